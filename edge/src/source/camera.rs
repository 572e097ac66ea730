//! [`CameraConfig`]: what a board profile asks of its camera. Plain data, available
//! without the `v4l` feature so that profiles parse and validate on any build; the V4L2
//! backend (`source::v4l`, feature `v4l`) opens a device with it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::decode::PixelFormat;
use super::SourceError;

/// The camera settings of a board profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// The device node, e.g. `/dev/video0`.
    pub device: PathBuf,
    /// Pixel format to request: `YUYV`, `MJPG` or `GREY`.
    pub format: PixelFormat,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frames per second to request; `None` keeps the driver's default.
    #[serde(default)]
    pub fps: Option<u32>,
    /// Driver buffers to map (2–32); more absorbs jitter, each adds a frame of latency
    /// when the consumer falls behind.
    #[serde(default = "default_buffers")]
    pub buffers: u32,
    /// How long to wait for a frame before reporting a timeout, in ms.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_buffers() -> u32 {
    4
}

fn default_timeout_ms() -> u64 {
    1000
}

impl CameraConfig {
    /// A configuration with the default buffer count and timeout.
    #[must_use]
    pub fn new(device: impl Into<PathBuf>, format: PixelFormat, width: u32, height: u32) -> Self {
        Self {
            device: device.into(),
            format,
            width,
            height,
            fps: None,
            buffers: default_buffers(),
            timeout_ms: default_timeout_ms(),
        }
    }

    /// Checks the values that no camera could satisfy.
    ///
    /// # Errors
    /// [`SourceError::Config`] naming the field.
    pub fn validate(&self) -> Result<(), SourceError> {
        let bad = |field, reason: &str| {
            Err(SourceError::Config {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.width == 0 || self.height == 0 {
            return bad("width", "and `height` must be at least 1");
        }
        if self.format == PixelFormat::Yuyv && self.width % 2 != 0 {
            return bad("width", "must be even for YUYV (pixels come in pairs)");
        }
        if self.fps == Some(0) {
            return bad(
                "fps",
                "must be at least 1 (or absent for the driver's default)",
            );
        }
        if !(2..=32).contains(&self.buffers) {
            return bad("buffers", "must be between 2 and 32");
        }
        if self.timeout_ms == 0 || self.timeout_ms > i32::MAX as u64 {
            return bad("timeout_ms", "must be between 1 and 2147483647");
        }
        Ok(())
    }

    /// One line for logs, e.g. `/dev/video0 YUYV 1280×720 @ 30 fps`.
    #[must_use]
    pub fn describe(&self) -> String {
        let fps = self
            .fps
            .map_or_else(|| "driver fps".to_owned(), |f| format!("{f} fps"));
        format!(
            "{} {} {}×{} @ {fps}",
            self.device.display(),
            self.format,
            self.width,
            self.height
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        let ok = CameraConfig::new("/dev/video0", PixelFormat::Yuyv, 640, 480);
        assert!(ok.validate().is_ok());
        let field = |c: CameraConfig| match c.validate() {
            Err(SourceError::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        };
        let mut c = ok.clone();
        c.width = 641;
        assert_eq!(field(c.clone()), "width");
        c.format = PixelFormat::Mjpeg;
        assert!(c.validate().is_ok(), "odd widths are fine for MJPEG");
        let mut c = ok.clone();
        c.buffers = 1;
        assert_eq!(field(c), "buffers");
        let mut c = ok.clone();
        c.fps = Some(0);
        assert_eq!(field(c), "fps");
        let mut c = ok;
        c.timeout_ms = 0;
        assert_eq!(field(c), "timeout_ms");
    }

    #[test]
    fn parses_from_json_with_defaults_and_refuses_unknown_fields() {
        let c: CameraConfig = serde_json::from_str(
            r#"{"device":"/dev/video2","format":"MJPG","width":1280,"height":720,"fps":30}"#,
        )
        .expect("valid");
        assert_eq!(c.format, PixelFormat::Mjpeg);
        assert_eq!((c.buffers, c.timeout_ms), (4, 1000));
        assert_eq!(c.describe(), "/dev/video2 MJPG 1280×720 @ 30 fps");
        assert!(serde_json::from_str::<CameraConfig>(
            r#"{"device":"/dev/video2","format":"MJPG","width":1,"height":1,"fsp":30}"#
        )
        .is_err());
    }
}
