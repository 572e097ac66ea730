//! [`SourceError`]: why a frame could not be produced. Every variant names the file,
//! device or recording line at fault; every one means "this part was not inspected".

use std::io;
use std::path::PathBuf;

use super::decode::DecodeError;

/// Why a source could not be opened or a frame not produced.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file or folder could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A file or folder could not be written (recording).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// An image file could not be decoded.
    #[error("cannot decode image {}", path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// A folder holds no image `image` can read.
    #[error("no image files (png, jpg, jpeg) under {}", path.display())]
    NoImages {
        /// The folder.
        path: PathBuf,
    },
    /// A recorded sequence's index is malformed.
    #[error("recorded sequence {}, line {line}: {reason}", path.display())]
    Sequence {
        /// The `sequence.jsonl` file.
        path: PathBuf,
        /// 1-based line number (0: the file as a whole).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A camera operation failed (open, format negotiation, streaming, dequeue).
    #[error("camera {device}: {operation} failed")]
    Device {
        /// The device, e.g. `/dev/video0`.
        device: String,
        /// What was being done, e.g. "VIDIOC_DQBUF (next frame)".
        operation: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A camera delivered no frame in time.
    #[error("camera {device}: no frame within {timeout_ms} ms")]
    Timeout {
        /// The device.
        device: String,
        /// The timeout.
        timeout_ms: u64,
    },
    /// The camera refused the requested configuration.
    #[error("camera {device}: requested {requested}, the driver chose {actual}")]
    Negotiation {
        /// The device.
        device: String,
        /// What the configuration asked for (format, size, fps).
        requested: String,
        /// What the driver set instead.
        actual: String,
    },
    /// A camera buffer could not be decoded.
    #[error("camera {device}: frame #{sequence} could not be decoded")]
    Frame {
        /// The device.
        device: String,
        /// The driver's frame counter.
        sequence: u32,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// The driver flagged a camera buffer as corrupt (V4L2 `V4L2_BUF_FLAG_ERROR`).
    #[error("camera {device}: the driver flagged frame #{sequence} as corrupt")]
    CorruptBuffer {
        /// The device.
        device: String,
        /// The driver's frame counter.
        sequence: u32,
    },
    /// A camera configuration is unusable before any device is touched.
    #[error("camera configuration: field `{field}` {reason}")]
    Config {
        /// The field at fault, e.g. `width`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A [`super::Reconnecting`] source is down and this reopen attempt failed.
    #[error("{source_name}: reopen attempt {attempt} failed (next in {retry_in_ms} ms)")]
    Reopen {
        /// The wrapped source's label.
        source_name: String,
        /// Attempts since the source went down (1-based).
        attempt: u32,
        /// The back-off before the next attempt.
        retry_in_ms: u64,
        /// Why the opener failed.
        #[source]
        source: Box<SourceError>,
    },
}

impl SourceError {
    /// Whether this error means the device itself is in trouble (closed, unplugged,
    /// stalled), so [`super::Reconnecting`] should reopen it; a single undecodable frame
    /// or file is not.
    #[must_use]
    pub fn is_device_fault(&self) -> bool {
        matches!(
            self,
            SourceError::Device { .. }
                | SourceError::Timeout { .. }
                | SourceError::Negotiation { .. }
                | SourceError::Reopen { .. }
        )
    }
}
