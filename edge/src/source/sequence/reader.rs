//! [`SequenceSource`]: replays a recording (format in the [parent docs](super)).

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::{FrameLine, Header, FORMAT_NAME, FORMAT_VERSION, INDEX_FILE};
use crate::clock::SharedClock;
use crate::jsonl;
use crate::source::folder::read_image;
use crate::source::{Frame, FrameOrigin, FrameSource, SourceError};

/// How fast a recording is replayed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pace {
    /// Each frame as soon as it is asked for.
    #[default]
    AsFastAsPossible,
    /// Each frame no earlier than its recorded offset after the first frame of the pass
    /// (the source sleeps on its clock; a slow consumer is never made to catch up by
    /// skipping frames).
    Recorded,
}

/// How a [`SequenceSource`] plays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SequenceOptions {
    /// Replay pace.
    pub pace: Pace,
    /// Start again from the first frame after the last one instead of ending.
    pub looping: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    path: PathBuf,
    offset_us: u64,
}

/// A recorded run, replayed; see the [parent docs](super).
pub struct SequenceSource {
    dir: PathBuf,
    recorded_source: Option<String>,
    entries: Vec<Entry>,
    truncated_tail: bool,
    options: SequenceOptions,
    clock: SharedClock,
    next: usize,
    seq: u64,
    pass_start_us: u64,
}

impl SequenceSource {
    /// Reads and checks the index of the recording in `dir` (frames are read as they
    /// are played).
    ///
    /// # Errors
    /// [`SourceError::Io`] if the index cannot be read; [`SourceError::Sequence`] naming
    /// the line for a bad header, a bad or unsafe file name, decreasing offsets, or a
    /// recording without frames.
    pub fn open(
        dir: &Path,
        options: SequenceOptions,
        clock: SharedClock,
    ) -> Result<Self, SourceError> {
        let index = dir.join(INDEX_FILE);
        let bytes = fs::read(&index).map_err(|source| SourceError::Io {
            path: index.clone(),
            source,
        })?;
        let bad = |line: usize, reason: String| SourceError::Sequence {
            path: index.clone(),
            line,
            reason,
        };
        let parsed =
            jsonl::parse::<serde_json::Value>(&bytes).map_err(|e| bad(e.line, e.reason))?;
        let mut lines = parsed.records.into_iter();
        let Some((_, header)) = lines.next() else {
            return Err(bad(1, "empty index: no header line".into()));
        };
        let header: Header = serde_json::from_value(header)
            .map_err(|e| bad(1, format!("not a sequence header: {e}")))?;
        if header.format != FORMAT_NAME || header.version != FORMAT_VERSION {
            return Err(bad(
                1,
                format!(
                    "format `{}` version {}: this build reads `{FORMAT_NAME}` version \
                     {FORMAT_VERSION}",
                    header.format, header.version
                ),
            ));
        }
        let mut entries = Vec::new();
        let mut last_offset = 0;
        for (number, value) in lines {
            let line: FrameLine = serde_json::from_value(value)
                .map_err(|e| bad(number, format!("not a frame line: {e}")))?;
            let relative = safe_relative(&line.file).ok_or_else(|| {
                bad(
                    number,
                    format!(
                        "file `{}` must be a relative path inside the recording",
                        line.file
                    ),
                )
            })?;
            if line.offset_us < last_offset {
                return Err(bad(
                    number,
                    format!(
                        "offset_us {} is before the previous frame's {last_offset}",
                        line.offset_us
                    ),
                ));
            }
            last_offset = line.offset_us;
            entries.push(Entry {
                path: dir.join(relative),
                offset_us: line.offset_us,
            });
        }
        if entries.is_empty() {
            return Err(bad(0, "the recording holds no frames".into()));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            recorded_source: header.source,
            entries,
            truncated_tail: parsed.truncated_tail,
            options,
            clock,
            next: 0,
            seq: 0,
            pass_start_us: 0,
        })
    }

    /// Frames in the recording.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: [`SequenceSource::open`] refuses empty recordings.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The header's description of what was recorded.
    #[must_use]
    pub fn recorded_source(&self) -> Option<&str> {
        self.recorded_source.as_deref()
    }

    /// The index ended in an incomplete line (the recorder was cut off), which was
    /// dropped.
    #[must_use]
    pub fn truncated_tail(&self) -> bool {
        self.truncated_tail
    }
}

impl FrameSource for SequenceSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if self.next >= self.entries.len() {
            if !self.options.looping {
                return Ok(None);
            }
            self.next = 0;
        }
        let Some(entry) = self.entries.get(self.next).cloned() else {
            return Ok(None);
        };
        if self.next == 0 {
            self.pass_start_us = self.clock.now_us();
        }
        self.next += 1;
        if self.options.pace == Pace::Recorded {
            let due_us = self.pass_start_us.saturating_add(entry.offset_us);
            let now_us = self.clock.now_us();
            if now_us < due_us {
                self.clock.sleep_us(due_us - now_us);
            }
        }
        let captured_us = self.clock.now_us();
        let image = read_image(&entry.path)?;
        let frame = Frame {
            seq: self.seq,
            captured_us,
            image,
            origin: FrameOrigin::File(entry.path),
        };
        self.seq += 1;
        Ok(Some(frame))
    }

    fn describe(&self) -> String {
        let pace = match self.options.pace {
            Pace::AsFastAsPossible => "as fast as possible",
            Pace::Recorded => "at recorded pace",
        };
        format!(
            "recording {} ({} frames, {pace}{})",
            self.dir.display(),
            self.entries.len(),
            if self.options.looping {
                ", looping"
            } else {
                ""
            }
        )
    }
}

/// `file` as a path that stays inside the recording folder, or `None`.
fn safe_relative(file: &str) -> Option<PathBuf> {
    let path = Path::new(file);
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::safe_relative;
    use std::path::PathBuf;

    #[test]
    fn frame_files_must_stay_inside_the_recording() {
        assert_eq!(
            safe_relative("frames/0.png"),
            Some(PathBuf::from("frames/0.png"))
        );
        assert_eq!(safe_relative("./a.png"), Some(PathBuf::from("a.png")));
        assert_eq!(safe_relative("../a.png"), None);
        assert_eq!(safe_relative("frames/../../a.png"), None);
        assert_eq!(safe_relative("/etc/passwd"), None);
        assert_eq!(safe_relative(""), None);
    }
}
