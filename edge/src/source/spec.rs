//! [`SourceSpec`]: a source named on the command line or in a profile (`dir:PATH`,
//! `seq:PATH`, `v4l:DEVICE`), parsed without side effects; [`SourceSpec::open`] then
//! builds the real source.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::camera::CameraConfig;
use super::folder::{FolderOptions, FolderSource};
use super::reconnect::Backoff;
use super::sequence::{Pace, SequenceOptions, SequenceSource};
use super::{FrameSource, SourceError};
use crate::clock::SharedClock;

/// Where frames come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// `dir:PATH`: every image under a folder ([`FolderSource`]).
    Folder(PathBuf),
    /// `seq:PATH`: a recorded sequence ([`SequenceSource`]).
    Sequence(PathBuf),
    /// `v4l:DEVICE`: a V4L2 camera (feature `v4l`), reopened after faults.
    Camera(PathBuf),
}

/// A source spec that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("source `{spec}`: {reason}; expected dir:PATH, seq:PATH or v4l:/dev/videoN")]
pub struct SpecError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl FromStr for SourceSpec {
    type Err = SpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let err = |reason| SpecError {
            spec: spec.to_owned(),
            reason,
        };
        let (kind, rest) = spec
            .split_once(':')
            .ok_or_else(|| err("no `kind:` prefix"))?;
        if rest.is_empty() {
            return Err(err("the path is empty"));
        }
        let path = PathBuf::from(rest);
        match kind {
            "dir" => Ok(SourceSpec::Folder(path)),
            "seq" => Ok(SourceSpec::Sequence(path)),
            "v4l" => Ok(SourceSpec::Camera(path)),
            _ => Err(err("unknown kind")),
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Folder(p) => write!(f, "dir:{}", p.display()),
            SourceSpec::Sequence(p) => write!(f, "seq:{}", p.display()),
            SourceSpec::Camera(p) => write!(f, "v4l:{}", p.display()),
        }
    }
}

/// Settings [`SourceSpec::open`] needs beyond the spec.
#[derive(Debug, Clone, Default)]
pub struct OpenSettings {
    /// Folders and recordings: start again after the last frame.
    pub looping: bool,
    /// Recordings: replay pace.
    pub pace: Pace,
    /// Cameras: format, size, rate (its `device` is replaced by the spec's).
    pub camera: Option<CameraConfig>,
    /// Cameras: back-off between reopen attempts.
    pub backoff: Backoff,
}

impl SourceSpec {
    /// Opens the source. Cameras come wrapped in [`super::Reconnecting`], so they are
    /// opened lazily, at the first frame. Every source is `Send`, so a capture thread
    /// can own it.
    ///
    /// # Errors
    /// As the backend's `open`; [`SourceError::Config`] for a camera spec without
    /// `settings.camera` or in a build without the `v4l` feature.
    pub fn open(
        &self,
        settings: &OpenSettings,
        clock: SharedClock,
    ) -> Result<Box<dyn FrameSource + Send>, SourceError> {
        match self {
            SourceSpec::Folder(path) => Ok(Box::new(FolderSource::open(
                path,
                FolderOptions {
                    looping: settings.looping,
                },
                clock,
            )?)),
            SourceSpec::Sequence(path) => Ok(Box::new(SequenceSource::open(
                path,
                SequenceOptions {
                    pace: settings.pace,
                    looping: settings.looping,
                },
                clock,
            )?)),
            SourceSpec::Camera(device) => {
                let Some(camera) = &settings.camera else {
                    return Err(SourceError::Config {
                        field: "camera",
                        reason: format!(
                            "is missing: `v4l:{}` needs a format and size",
                            device.display()
                        ),
                    });
                };
                let mut config = camera.clone();
                config.device.clone_from(device);
                config.validate()?;
                open_camera(config, settings.backoff, clock)
            }
        }
    }
}

#[cfg(feature = "v4l")]
fn open_camera(
    config: CameraConfig,
    backoff: Backoff,
    clock: SharedClock,
) -> Result<Box<dyn FrameSource + Send>, SourceError> {
    let name = config.device.display().to_string();
    let opener_clock = clock.clone();
    let opener = move || super::v4l::V4lSource::open(&config, opener_clock.clone());
    Ok(Box::new(super::Reconnecting::new(
        name, opener, backoff, clock,
    )))
}

#[cfg(not(feature = "v4l"))]
fn open_camera(
    config: CameraConfig,
    _backoff: Backoff,
    _clock: SharedClock,
) -> Result<Box<dyn FrameSource + Send>, SourceError> {
    Err(SourceError::Config {
        field: "camera",
        reason: format!(
            "{}: this edge build has no V4L2 support (rebuild with `--features v4l`)",
            config.device.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print_back() {
        for text in ["dir:/data/bottle/test", "seq:runs/a", "v4l:/dev/video0"] {
            let spec: SourceSpec = text.parse().expect("valid");
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!(
            "dir:C:x".parse::<SourceSpec>(),
            Ok(SourceSpec::Folder("C:x".into()))
        );
    }

    #[test]
    fn bad_specs_say_what_is_expected() {
        for text in ["/data/test", "dir:", "usb:/dev/video0"] {
            let err = text.parse::<SourceSpec>().expect_err("invalid");
            let msg = err.to_string();
            assert!(
                msg.contains(text) && msg.contains("dir:PATH"),
                "message: {msg}"
            );
        }
    }
}
