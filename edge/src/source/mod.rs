//! Frame sources: where the line's images come from, behind one trait.
//!
//! - [`FrameSource`]: `next_frame() -> Result<Option<Frame>, SourceError>`; `Ok(None)` is
//!   the end of a finite stream (a folder or a recording played once), never an error.
//! - [`Frame`]: an RGB image with a per-source sequence number, a monotonic capture stamp
//!   in µs (the clock of [`crate::clock`], the axis of `shared::scheduler::Micros`) and
//!   its [`FrameOrigin`] (file or camera buffer), for the verdict log and the capture store.
//! - [`decode`]: pure pixel-format decoders (YUYV, GREY, MJPEG with the missing Huffman
//!   tables inserted by [`mjpeg`]); cameras only move bytes, all format logic lives there.
//! - Backends: [`FolderSource`] (`dir:PATH`, every image under a folder in sorted path
//!   order), [`SequenceSource`] / [`SequenceWriter`] (`seq:PATH`, a recorded run replayed
//!   as fast as possible or at the recorded pace), `V4lSource` (`v4l:/dev/videoN`, cargo
//!   feature `v4l`), and [`Reconnecting`], which reopens a failed camera with exponential
//!   back-off and says whether it is healthy.
//! - [`SourceSpec`]: parses `dir:…`, `seq:…`, `v4l:…` without touching anything.
//!
//! # What always holds
//! - A frame that could not be produced is an `Err`, never a skipped frame: the line loop
//!   counts it and rejects the part (or raises the fault line); nothing here can turn a
//!   failure into a pass. Bad input (truncated buffers, corrupt JPEGs, unreadable files)
//!   gives a typed error naming the file, device or field, never a panic.
//! - An error consumes that frame: the next call moves on (next file, next camera buffer,
//!   or, for [`Reconnecting`], the next reopen attempt).
//! - `seq` counts the frames a source delivered before this one (0, 1, 2, … without gaps);
//!   `captured_us` never decreases within a source.

pub mod camera;
pub mod decode;
mod error;
pub mod folder;
pub mod mjpeg;
pub mod reconnect;
pub mod sequence;
pub mod spec;
#[cfg(feature = "v4l")]
pub mod v4l;

use std::fmt;
use std::path::PathBuf;

use image::RgbImage;

pub use camera::CameraConfig;
pub use decode::{DecodeError, PixelFormat, RawLayout};
pub use error::SourceError;
pub use folder::{FolderOptions, FolderSource};
pub use reconnect::{Backoff, BackoffError, Reconnecting};
pub use sequence::{Pace, SequenceOptions, SequenceSource, SequenceWriter};
pub use spec::{OpenSettings, SourceSpec, SpecError};

/// One captured frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Frames this source delivered before this one: 0, 1, 2, … without gaps.
    pub seq: u64,
    /// When the pixels became available to the source, in µs of the source's monotonic
    /// [`crate::clock::Clock`]: a camera buffer's dequeue, a file's read start, or a
    /// recording's scheduled time at recorded pace.
    pub captured_us: u64,
    /// The pixels; the inspector takes `&frame.image`.
    pub image: RgbImage,
    /// Where the pixels came from.
    pub origin: FrameOrigin,
}

/// Where a frame came from, for the verdict log and the capture store's sidecars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameOrigin {
    /// An image file (folder source, recorded sequence).
    File(PathBuf),
    /// A camera buffer.
    Camera {
        /// The device, e.g. `/dev/video0`.
        device: String,
        /// The driver's frame counter (V4L2 `sequence`); gaps mean dropped frames.
        sequence: u32,
    },
    /// Anything else (generated frames, test doubles), described in words.
    Other(String),
}

impl fmt::Display for FrameOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameOrigin::File(path) => write!(f, "{}", path.display()),
            FrameOrigin::Camera { device, sequence } => write!(f, "{device}#{sequence}"),
            FrameOrigin::Other(what) => f.write_str(what),
        }
    }
}

/// A source of frames; see the [module docs](self).
pub trait FrameSource {
    /// The next frame, `Ok(None)` at the end of a finite stream.
    ///
    /// # Errors
    /// The frame could not be produced (unreadable file, camera error or timeout, corrupt
    /// data); the error names the file or device. The caller must count it and must not
    /// pass the part; the next call moves on.
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError>;

    /// One line saying what this source reads, e.g. `folder /data/bottle/test (83 images)`.
    fn describe(&self) -> String;

    /// Whether the source can currently deliver frames; drive the fault output from it.
    /// Files and recordings always can (a bad file is an error for that frame only);
    /// [`Reconnecting`] is unhealthy from a device fault until a frame arrives again.
    fn is_healthy(&self) -> bool {
        true
    }
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        (**self).next_frame()
    }

    fn describe(&self) -> String {
        (**self).describe()
    }

    fn is_healthy(&self) -> bool {
        (**self).is_healthy()
    }
}
