//! [`SequenceWriter`]: records frames as a replayable sequence (format in the
//! [parent docs](super)).

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::ImageFormat;

use super::{FrameLine, Header, FORMAT_NAME, FORMAT_VERSION, FRAMES_DIR, INDEX_FILE};
use crate::jsonl::{self, AppendFile};
use crate::source::{Frame, SourceError};

/// Writes a recording; see the [parent docs](super).
#[derive(Debug)]
pub struct SequenceWriter {
    dir: PathBuf,
    index_path: PathBuf,
    index: AppendFile,
    first_us: Option<u64>,
    last_captured_us: u64,
    frames: u64,
}

impl SequenceWriter {
    /// Starts a recording in `dir` (created if needed), with `source` describing what is
    /// recorded in the header.
    ///
    /// # Errors
    /// [`SourceError::Write`] if the folder or index cannot be created;
    /// [`SourceError::Sequence`] if `dir` already holds a recording (never overwritten).
    pub fn create(dir: &Path, source: Option<&str>) -> Result<Self, SourceError> {
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SourceError::Write { path, source }
        };
        let frames_dir = dir.join(FRAMES_DIR);
        fs::create_dir_all(&frames_dir).map_err(write_error(&frames_dir))?;
        let index_path = dir.join(INDEX_FILE);
        let mut index = AppendFile::create_new(&index_path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                SourceError::Sequence {
                    path: index_path.clone(),
                    line: 0,
                    reason: "already exists: refusing to overwrite a recording".into(),
                }
            } else {
                SourceError::Write {
                    path: index_path.clone(),
                    source,
                }
            }
        })?;
        let header = Header {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            source: source.map(str::to_owned),
        };
        let line = jsonl::to_line(&header).map_err(|e| SourceError::Write {
            path: index_path.clone(),
            source: e.into(),
        })?;
        index.append_line(&line).map_err(write_error(&index_path))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            index_path,
            index,
            first_us: None,
            last_captured_us: 0,
            frames: 0,
        })
    }

    /// Appends `frame`: its PNG (written under a temp name, then renamed), then its
    /// index line. On error nothing of this frame is visible to a reader.
    ///
    /// # Errors
    /// [`SourceError::Write`] naming the file; [`SourceError::Sequence`] if the frame's
    /// capture stamp is before the previous frame's.
    pub fn append(&mut self, frame: &Frame) -> Result<(), SourceError> {
        let first_us = self.first_us.unwrap_or(frame.captured_us);
        if self.frames > 0 && frame.captured_us < self.last_captured_us {
            return Err(SourceError::Sequence {
                path: self.index_path.clone(),
                // +1 for the header, +1 for 1-based numbering.
                line: usize::try_from(self.frames + 2).unwrap_or(usize::MAX),
                reason: format!(
                    "frame captured at {} µs, before the previous frame ({} µs)",
                    frame.captured_us, self.last_captured_us
                ),
            });
        }
        let file = format!("{FRAMES_DIR}/{:08}.png", self.frames);
        let final_path = self.dir.join(&file);
        let temp_path = self
            .dir
            .join(FRAMES_DIR)
            .join(format!(".tmp-{:08}.png", self.frames));
        let mut png = Vec::new();
        frame
            .image
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .map_err(|e| SourceError::Write {
                path: final_path.clone(),
                source: std::io::Error::other(e),
            })?;
        let write_frame =
            fs::write(&temp_path, &png).and_then(|()| fs::rename(&temp_path, &final_path));
        if let Err(source) = write_frame {
            let _ = fs::remove_file(&temp_path);
            return Err(SourceError::Write {
                path: final_path,
                source,
            });
        }
        let line = FrameLine {
            file,
            // captured_us ≥ last_captured_us ≥ first_us (checked above).
            offset_us: frame.captured_us.saturating_sub(first_us),
            origin: Some(frame.origin.to_string()),
        };
        let written = jsonl::to_line(&line)
            .map_err(std::io::Error::from)
            .and_then(|bytes| self.index.append_line(&bytes));
        if let Err(source) = written {
            // The frame has no line, so no reader sees it; tidy up.
            let _ = fs::remove_file(&final_path);
            return Err(SourceError::Write {
                path: self.index_path.clone(),
                source,
            });
        }
        self.first_us = Some(first_us);
        self.last_captured_us = frame.captured_us;
        self.frames += 1;
        Ok(())
    }

    /// Frames recorded so far.
    #[must_use]
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The recording folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
