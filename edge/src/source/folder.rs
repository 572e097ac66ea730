//! [`FolderSource`] (`dir:PATH`): every image file under a folder, recursively, in sorted
//! path order, so `dir:…/bottle/test` replays all test images of an MVTec-layout folder
//! (`broken_large/000.png`, …, `good/019.png`).
//!
//! - The file list is taken once, at open: files added later are not seen, and a folder
//!   without any image is an error (a mistyped path must not look like an empty line).
//! - Image files are those `image` reads by extension in this build (PNG, JPEG);
//!   hidden entries (names starting with `.`) are skipped; symbolic links to files are
//!   followed, links to folders are not (no cycles).
//! - An unreadable or undecodable file is an error naming it, and the next call moves to
//!   the next file: never a silent skip. The end of the list is `Ok(None)` unless the
//!   source loops.

use std::fs;
use std::path::{Path, PathBuf};

use image::ImageFormat;

use super::decode::image_file_to_rgb;
use super::{Frame, FrameOrigin, FrameSource, SourceError};
use crate::clock::SharedClock;

/// How a [`FolderSource`] plays its files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderOptions {
    /// Start again from the first file after the last one instead of ending.
    pub looping: bool,
}

/// Every image under a folder, in sorted path order; see the [module docs](self).
pub struct FolderSource {
    root: PathBuf,
    files: Vec<PathBuf>,
    next: usize,
    seq: u64,
    options: FolderOptions,
    clock: SharedClock,
}

impl FolderSource {
    /// Lists the image files under `root`.
    ///
    /// # Errors
    /// [`SourceError::Io`] naming a folder that cannot be listed;
    /// [`SourceError::NoImages`] if there is no image file at all.
    pub fn open(
        root: &Path,
        options: FolderOptions,
        clock: SharedClock,
    ) -> Result<Self, SourceError> {
        let mut files = Vec::new();
        collect_images(root, &mut files)?;
        if files.is_empty() {
            return Err(SourceError::NoImages {
                path: root.to_path_buf(),
            });
        }
        files.sort();
        Ok(Self {
            root: root.to_path_buf(),
            files,
            next: 0,
            seq: 0,
            options,
            clock,
        })
    }

    /// The image files, in the order they are played.
    #[must_use]
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

impl FrameSource for FolderSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if self.next >= self.files.len() {
            if !self.options.looping {
                return Ok(None);
            }
            self.next = 0;
        }
        // `open` refused an empty list, so `next` indexes a file.
        let Some(path) = self.files.get(self.next).cloned() else {
            return Ok(None);
        };
        self.next += 1;
        let captured_us = self.clock.now_us();
        let image = read_image(&path)?;
        let frame = Frame {
            seq: self.seq,
            captured_us,
            image,
            origin: FrameOrigin::File(path),
        };
        self.seq += 1;
        Ok(Some(frame))
    }

    fn describe(&self) -> String {
        format!(
            "folder {} ({} images{})",
            self.root.display(),
            self.files.len(),
            if self.options.looping {
                ", looping"
            } else {
                ""
            }
        )
    }
}

/// Reads and decodes one image file, naming it in errors.
pub(crate) fn read_image(path: &Path) -> Result<image::RgbImage, SourceError> {
    let bytes = fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    image_file_to_rgb(&bytes).map_err(|source| SourceError::Image {
        path: path.to_path_buf(),
        source,
    })
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

fn is_readable_image(path: &Path) -> bool {
    ImageFormat::from_path(path).is_ok_and(|f| f.reading_enabled())
}

fn collect_images(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let io_error = |source| SourceError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let path = entry.path();
        if is_hidden(&path) {
            continue;
        }
        let kind = entry.file_type().map_err(|source| SourceError::Io {
            path: path.clone(),
            source,
        })?;
        if kind.is_dir() {
            collect_images(&path, out)?;
        } else if (kind.is_file() || (kind.is_symlink() && path.is_file()))
            && is_readable_image(&path)
        {
            out.push(path);
        }
    }
    Ok(())
}
