//! [`VerdictLog`]: the JSON-lines verdict log, and [`read_verdict_log`] to read it back.
//! Crash and disk-full rules are those of `crate::jsonl`: one `write_all` + flush per
//! line, a failed write rolled back to the last whole line, a crash fragment cut off
//! when the log is reopened and dropped (and reported) when it is read.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::verdict::{InvalidRecord, VerdictRecord};
use crate::jsonl::{self, AppendFile};

/// Where log lines go: a file ([`FileSink`]), memory (`Vec<u8>`), or a test double.
pub trait LineSink {
    /// Writes one whole line (newline included) and flushes it.
    ///
    /// # Errors
    /// The write failed; the sink should not leave a partial line behind.
    fn append_line(&mut self, line: &[u8]) -> io::Result<()>;
}

impl LineSink for Vec<u8> {
    fn append_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.extend_from_slice(line);
        Ok(())
    }
}

/// A log file opened for appending; see the [module docs](self).
#[derive(Debug)]
pub struct FileSink {
    file: AppendFile,
}

impl LineSink for FileSink {
    fn append_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.file.append_line(line)
    }
}

/// Why the verdict log could not be opened, written or read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The log file could not be opened (or its crash fragment cut off).
    #[error("cannot open verdict log {}", path.display())]
    Open {
        /// The log file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A record could not be written; the line was not added.
    #[error("verdict log {log}: writing part {part_id} failed")]
    Write {
        /// The log's label (its path).
        log: String,
        /// The part whose record was lost.
        part_id: u64,
        /// The OS error (e.g. no space left).
        #[source]
        source: io::Error,
    },
    /// A record breaks the pass invariant and was not written.
    #[error("verdict log {log}: refusing record")]
    Invalid {
        /// The log's label.
        log: String,
        /// The broken rule.
        #[source]
        source: InvalidRecord,
    },
    /// The log file could not be read.
    #[error("cannot read verdict log {}", path.display())]
    Read {
        /// The log file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A line other than a crash-truncated last one is not a valid record.
    #[error("verdict log {log}, line {line}: {reason}")]
    Corrupt {
        /// The log's label.
        log: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Appends [`VerdictRecord`]s as JSON lines; see the [module docs](self).
#[derive(Debug)]
pub struct VerdictLog<S = FileSink> {
    sink: S,
    label: String,
    written: u64,
    failed: u64,
    fragment_bytes_cut: u64,
}

impl VerdictLog<FileSink> {
    /// Opens (creating if needed) the log at `path` for appending. An incomplete last
    /// line left by a crash is cut off first ([`VerdictLog::fragment_bytes_cut`]).
    ///
    /// # Errors
    /// [`LogError::Open`] naming the file.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let (file, cut) = AppendFile::open(path).map_err(|source| LogError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut log = Self::with_sink(FileSink { file }, path.display().to_string());
        log.fragment_bytes_cut = cut;
        Ok(log)
    }
}

impl<S: LineSink> VerdictLog<S> {
    /// A log writing to `sink`, called `label` in errors.
    pub fn with_sink(sink: S, label: impl Into<String>) -> Self {
        Self {
            sink,
            label: label.into(),
            written: 0,
            failed: 0,
            fragment_bytes_cut: 0,
        }
    }

    /// Appends one record as one flushed line.
    ///
    /// # Errors
    /// [`LogError::Invalid`] for a record breaking the pass invariant (nothing written);
    /// [`LogError::Write`] if the sink failed. Both are counted in [`VerdictLog::failed`];
    /// the log stays usable.
    pub fn append(&mut self, record: &VerdictRecord) -> Result<(), LogError> {
        let result = self.try_append(record);
        match result {
            Ok(()) => self.written += 1,
            Err(_) => self.failed += 1,
        }
        result
    }

    fn try_append(&mut self, record: &VerdictRecord) -> Result<(), LogError> {
        record.check().map_err(|source| LogError::Invalid {
            log: self.label.clone(),
            source,
        })?;
        let write_error = |source| LogError::Write {
            log: self.label.clone(),
            part_id: record.part_id,
            source,
        };
        let line = jsonl::to_line(record).map_err(|e| write_error(e.into()))?;
        self.sink.append_line(&line).map_err(write_error)
    }

    /// Records written.
    #[must_use]
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Records refused or lost to write errors.
    #[must_use]
    pub fn failed(&self) -> u64 {
        self.failed
    }

    /// Bytes of an incomplete crash line cut off when the log was opened.
    #[must_use]
    pub fn fragment_bytes_cut(&self) -> u64 {
        self.fragment_bytes_cut
    }

    /// The sink, e.g. the bytes of an in-memory log.
    pub fn into_sink(self) -> S {
        self.sink
    }
}

/// A verdict log read back.
#[derive(Debug, Clone, PartialEq)]
pub struct LogContents {
    /// The records, in file order.
    pub records: Vec<VerdictRecord>,
    /// The log ended in an incomplete line (a crash while writing it), which was dropped.
    pub truncated_tail: bool,
}

/// Reads the verdict log at `path`; see [`parse_verdict_log`].
///
/// # Errors
/// [`LogError::Read`] naming the file, or as [`parse_verdict_log`].
pub fn read_verdict_log(path: &Path) -> Result<LogContents, LogError> {
    let bytes = fs::read(path).map_err(|source| LogError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_verdict_log(&bytes, &path.display().to_string())
}

/// Parses a verdict log's bytes (`label` names it in errors). An incomplete last line is
/// dropped and reported in [`LogContents::truncated_tail`].
///
/// # Errors
/// [`LogError::Corrupt`] naming the 1-based line of any other line that is not a valid
/// record, including one that breaks the pass invariant.
pub fn parse_verdict_log(bytes: &[u8], label: &str) -> Result<LogContents, LogError> {
    let corrupt = |line, reason| LogError::Corrupt {
        log: label.to_owned(),
        line,
        reason,
    };
    let parsed = jsonl::parse::<VerdictRecord>(bytes).map_err(|e| corrupt(e.line, e.reason))?;
    let mut records = Vec::with_capacity(parsed.records.len());
    for (line, record) in parsed.records {
        record
            .check()
            .map_err(|e| corrupt(line, e.reason.to_owned()))?;
        records.push(record);
    }
    Ok(LogContents {
        records,
        truncated_tail: parsed.truncated_tail,
    })
}
