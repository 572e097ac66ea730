//! The profile's TOML sections as serde reads them. Unknown fields are refused
//! everywhere, so a typo is an error, not a silently ignored setting.

use std::path::PathBuf;

use serde::Deserialize;

use crate::line::{Backend, Edge, EncoderMode, Polarity};

/// Pixel format the camera is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum PixelFormat {
    /// Packed 4:2:2, 2 bytes per pixel; width must be even.
    #[serde(rename = "YUYV")]
    Yuyv,
    /// Motion JPEG (UVC webcams at high resolution).
    #[serde(rename = "MJPEG")]
    Mjpeg,
    /// 8-bit greyscale (industrial mono cameras).
    #[serde(rename = "GREY")]
    Grey,
}

/// `[camera]`: the V4L2 device and the mode requested from it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraProfile {
    /// Device node, e.g. `/dev/video0`.
    pub device: PathBuf,
    /// Pixel format.
    pub format: PixelFormat,
    /// Frame width, pixels.
    pub width: u32,
    /// Frame height, pixels.
    pub height: u32,
    /// Frames per second requested.
    pub fps: u32,
}

/// `[gpio.trigger]`: the photo-eye input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerLine {
    /// Line number (BCM for rppal, offset on the chip for cdev).
    pub line: u32,
    /// Which edge marks a part (default `rising`).
    #[serde(default)]
    pub edge: Edge,
    /// How long a new level must hold, µs (default 0).
    #[serde(default)]
    pub debounce_us: u64,
}

/// `[gpio.encoder]`: the conveyor encoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderLines {
    /// Channel A line.
    pub a: u32,
    /// Channel B line (quadrature only).
    #[serde(default)]
    pub b: Option<u32>,
    /// Counting mode (default `rising`).
    #[serde(default)]
    pub mode: EncoderMode,
}

/// `[gpio.reject]`, `[gpio.fault]`: an output whose polarity must be chosen explicitly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputLine {
    /// Line number.
    pub line: u32,
    /// `active-high` or `active-low`.
    pub polarity: Polarity,
}

/// `[gpio.heartbeat]`: the watchdog output.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatLine {
    /// Line number.
    pub line: u32,
    /// Full period of the square wave, ms (default 500).
    #[serde(default = "default_heartbeat_ms")]
    pub period_ms: f64,
    /// Polarity (default `active-high`).
    #[serde(default)]
    pub polarity: Polarity,
}

const fn default_heartbeat_ms() -> f64 {
    500.0
}

/// `[gpio]`: backend and lines.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpioProfile {
    /// `rppal`, `cdev` or `sim` (the `--gpio` option overrides it).
    pub backend: Backend,
    /// GPIO character device for `cdev`, e.g. `/dev/gpiochip0`.
    #[serde(default)]
    pub chip: Option<PathBuf>,
    /// Photo-eye; absent = free-run (each frame is a part).
    #[serde(default)]
    pub trigger: Option<TriggerLine>,
    /// Encoder; required when the reject timing is in counts.
    #[serde(default)]
    pub encoder: Option<EncoderLines>,
    /// Reject output.
    pub reject: OutputLine,
    /// Fault / not-ready output.
    pub fault: OutputLine,
    /// Heartbeat output.
    #[serde(default)]
    pub heartbeat: Option<HeartbeatLine>,
}

/// `[reject]` as written: the axis is chosen by which fields are present; checked and
/// turned into [`super::RejectTiming`].
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReject {
    pub(crate) delay_ms: Option<f64>,
    pub(crate) delay_counts: Option<u64>,
    pub(crate) pulse_ms: Option<f64>,
    pub(crate) pulse_counts: Option<u64>,
    pub(crate) decision_margin_ms: Option<f64>,
    pub(crate) decision_margin_counts: Option<u64>,
    pub(crate) max_pulse_ms: Option<f64>,
    pub(crate) max_parts_in_flight: usize,
}

/// `[capture]`: where kept frames go (rejects and near-threshold goods).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureProfile {
    /// Directory for kept frames.
    pub dir: PathBuf,
    /// Disk quota, MiB; oldest frames go first.
    pub quota_mb: u64,
}

/// `[deploy]`: hot deployment of a new bundle while `edge run` runs
/// ([`crate::deploy`]). The section is optional; every field has a default.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeployProfile {
    /// Watch the bundle file and swap in a replacement (default `false`; `edge run
    /// --watch` / `--no-watch` override it). SIGHUP asks for a reload either way.
    pub watch: bool,
    /// Kept frames (newest first) a new bundle is dry-run on before the swap,
    /// `0..=1000` (default 16; 0: no dry run).
    pub dry_run_frames: usize,
    /// Parts a new bundle scores on probation after the swap, `1..=100000` (default 50).
    pub probation_parts: u64,
    /// Reject rate over the probation above which the new bundle is rolled back,
    /// `0..=1` (default 0.2).
    pub max_reject_rate: f64,
}

impl Default for DeployProfile {
    fn default() -> Self {
        Self {
            watch: false,
            dry_run_frames: 16,
            probation_parts: 50,
            max_reject_rate: 0.2,
        }
    }
}

/// The whole file as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProfile {
    pub(crate) board: String,
    pub(crate) inference_threads: usize,
    pub(crate) verdict_log: PathBuf,
    #[serde(default)]
    pub(crate) bundle_public_key: Option<String>,
    pub(crate) camera: CameraProfile,
    pub(crate) gpio: GpioProfile,
    pub(crate) reject: RawReject,
    pub(crate) capture: CaptureProfile,
    #[serde(default)]
    pub(crate) deploy: DeployProfile,
}
