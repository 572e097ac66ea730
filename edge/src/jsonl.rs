//! JSON-lines files written by the edge (verdict log, recorded sequences): one rule for
//! reading back what a crash may have left.
//!
//! Writers put each record on its own line and write the line in one call, so a crash
//! leaves at most one incomplete line, the last one. [`parse`] drops such a tail (and
//! says so), while a bad line anywhere else is an error naming its 1-based number: that
//! is corruption, not a crash.
//!
//! [`AppendFile`] keeps that promise on the writing side: each line goes out in one
//! `write_all`; a failed write (disk full) is rolled back to the last complete line, and
//! reopening a file that a crash left with an incomplete line first cuts that line off,
//! so new lines never glue onto a fragment.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Records read back from a JSON-lines file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed<T> {
    /// Each record with its 1-based line number.
    pub records: Vec<(usize, T)>,
    /// The file ended in an incomplete line, which was dropped.
    pub truncated_tail: bool,
}

/// A line that is not a valid record.
#[derive(Debug)]
pub(crate) struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// Parses every line of `bytes` as a `T`; see the [module docs](self).
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<Parsed<T>, BadLine> {
    let mut records = Vec::new();
    let mut truncated_tail = false;
    let complete = bytes.ends_with(b"\n");
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if complete {
        // `split` yields an empty piece after the final newline.
        lines.pop();
    }
    let last = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        let number = i + 1;
        let is_tail = !complete && number == last;
        if line.is_empty() {
            if is_tail {
                continue;
            }
            return Err(BadLine {
                line: number,
                reason: "empty line".into(),
            });
        }
        match serde_json::from_slice::<T>(line) {
            Ok(record) => records.push((number, record)),
            Err(_) if is_tail => truncated_tail = true,
            Err(e) => {
                return Err(BadLine {
                    line: number,
                    reason: e.to_string(),
                })
            }
        }
    }
    Ok(Parsed {
        records,
        truncated_tail,
    })
}

/// `value` as one JSON line, newline included, ready for a single `write_all`.
pub(crate) fn to_line<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    Ok(line)
}

/// An append-only JSON-lines file; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct AppendFile {
    file: File,
    /// Length up to the end of the last complete line.
    good_len: u64,
}

impl AppendFile {
    /// Opens (creating if needed) `path` for appending; an incomplete last line left by
    /// a crash is cut off first. Returns the file and the number of bytes cut.
    pub fn open(path: &Path) -> io::Result<(Self, u64)> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let len = file.metadata()?.len();
        let good_len = end_of_last_line(&mut file, len)?;
        if good_len < len {
            file.set_len(good_len)?;
        }
        Ok((Self { file, good_len }, len - good_len))
    }

    /// Creates `path`, failing with `AlreadyExists` if it exists.
    pub fn create_new(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)?;
        Ok(Self { file, good_len: 0 })
    }

    /// Appends one complete line (newline included) and flushes it. On failure the
    /// file is cut back to its last complete line (best effort) and the error returned.
    pub fn append_line(&mut self, line: &[u8]) -> io::Result<()> {
        let written = self.file.write_all(line).and_then(|()| self.file.flush());
        match written {
            Ok(()) => {
                self.good_len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                // If this fails too, the reader will name the damaged line.
                let _ = self.file.set_len(self.good_len);
                Err(e)
            }
        }
    }
}

/// The length of `file` up to and including its last newline (0 if none).
fn end_of_last_line(file: &mut File, len: u64) -> io::Result<u64> {
    const CHUNK: u64 = 4096;
    let mut end = len;
    let mut buf = [0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        // `start..end` is at most CHUNK long.
        let piece = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(piece)?;
        if let Some(i) = piece.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct R {
        a: u32,
    }

    #[test]
    fn complete_lines_parse_with_numbers() {
        let p = parse::<R>(b"{\"a\":1}\n{\"a\":2}\n").expect("valid");
        assert_eq!(p.records, vec![(1, R { a: 1 }), (2, R { a: 2 })]);
        assert!(!p.truncated_tail);
        assert!(parse::<R>(b"").expect("empty file").records.is_empty());
    }

    #[test]
    fn an_incomplete_last_line_is_dropped_and_reported() {
        let p = parse::<R>(b"{\"a\":1}\n{\"a\":").expect("crash tail tolerated");
        assert_eq!(p.records, vec![(1, R { a: 1 })]);
        assert!(p.truncated_tail);
        // A complete record that only lacks its newline is kept.
        let p = parse::<R>(b"{\"a\":1}\n{\"a\":2}").expect("valid");
        assert_eq!(p.records.len(), 2);
        assert!(!p.truncated_tail);
    }

    #[test]
    fn a_bad_line_before_the_end_names_its_number() {
        let err = parse::<R>(b"{\"a\":1}\n{\"a\":\n{\"a\":3}\n").expect_err("corrupt");
        assert_eq!(err.line, 2);
        // A complete (newline-terminated) last line that is bad is corruption too.
        assert_eq!(parse::<R>(b"{\"a\":1}\n{\"b\n").expect_err("bad").line, 2);
        assert_eq!(
            parse::<R>(b"{\"a\":1}\n\n{\"a\":3}\n")
                .expect_err("empty")
                .line,
            2
        );
    }

    fn temp_file(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("edge-jsonl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn reopening_cuts_a_crash_fragment_so_new_lines_stay_whole() {
        let path = temp_file("fragment.jsonl");
        // A long first line, so the backwards scan crosses a chunk boundary.
        let long = format!("{{\"a\":1,\"pad\":\"{}\"}}\n", "x".repeat(5000));
        std::fs::write(&path, format!("{long}{{\"a\":")).expect("write");
        let (mut file, cut) = AppendFile::open(&path).expect("open");
        assert_eq!(cut, 5);
        file.append_line(b"{\"a\":2}\n").expect("append");
        let p = parse::<R>(&std::fs::read(&path).expect("read")).expect("whole lines");
        assert_eq!(p.records, vec![(1, R { a: 1 }), (2, R { a: 2 })]);
        assert!(!p.truncated_tail);
        // A file without any newline is all fragment.
        std::fs::write(&path, b"{\"a\"").expect("write");
        assert_eq!(AppendFile::open(&path).expect("open").1, 4);
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 0);
    }

    #[test]
    fn create_new_refuses_an_existing_file() {
        let path = temp_file("exists.jsonl");
        std::fs::write(&path, b"").expect("write");
        let err = AppendFile::create_new(&path).expect_err("exists");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    }
}
