//! Board profiles: one TOML file per board (`boards/*.toml`) saying which camera mode to
//! ask for, which GPIO backend and lines the reject station uses, the reject timing,
//! inference threads and where logs and kept frames go.
//!
//! [`BoardProfile::read_from`] parses with serde + `toml` (unknown fields refused), then
//! checks what types cannot say (ranges, every line used once, one reject axis, pulse
//! shorter than the delay). Every refusal is a [`ProfileError`] naming file, line and
//! field. [`BoardProfile::line_offsets`], [`BoardProfile::line_config`] and
//! [`BoardProfile::station_timing`] turn a profile into what [`crate::line`] needs.
//!
//! ```toml
//! board = "Raspberry Pi 4 Model B"
//! inference_threads = 4
//! verdict_log = "/var/log/edge/verdicts.jsonl"
//! bundle_public_key = "bundle.pub"   # optional: only signed bundles run (hex or KEY.pub path)
//!
//! [camera]
//! device = "/dev/video0"
//! format = "YUYV"          # YUYV | MJPEG | GREY
//! width = 1280
//! height = 720
//! fps = 30
//!
//! [gpio]
//! backend = "cdev"         # rppal | cdev | sim
//! chip = "/dev/gpiochip0"
//! trigger = { line = 17, edge = "rising", debounce_us = 500 }
//! reject = { line = 27, polarity = "active-high" }
//! fault = { line = 22, polarity = "active-low" }
//! heartbeat = { line = 23, period_ms = 500 }
//!
//! [reject]
//! delay_ms = 600           # or delay_counts (+ pulse_counts, max_pulse_ms) with [gpio.encoder]
//! pulse_ms = 20
//! decision_margin_ms = 5
//! max_parts_in_flight = 16
//!
//! [capture]
//! dir = "/var/lib/edge/captures"
//! quota_mb = 2048
//!
//! [deploy]                 # optional; these are the defaults but `watch`
//! watch = true             # swap in a replacement bundle file (`edge run --no-watch`)
//! dry_run_frames = 16      # kept frames a new bundle must score first
//! probation_parts = 50     # parts the new bundle is watched for
//! max_reject_rate = 0.2    # roll back above this reject rate over the probation
//! ```

mod error;
mod sections;
mod validate;

use std::path::{Path, PathBuf};

pub use error::{Invalid, ProfileError};
pub use sections::{
    CameraProfile, CaptureProfile, DeployProfile, EncoderLines, GpioProfile, HeartbeatLine,
    OutputLine, PixelFormat, TriggerLine,
};

use crate::line::{DriverConfig, EncoderCounts, LineConfig, LineOffsets, Micros};
use crate::signature::PublicKey;
use error::SourceMap;
use sections::RawProfile;
use shared::scheduler::{Config, Span};

/// Heartbeat period used when a profile has no heartbeat line (nothing toggles then).
const NO_HEARTBEAT_PERIOD_US: u64 = 1_000_000;

/// When the actuator fires, on one axis; checked: `0 ≤ margin < delay`,
/// `0 < pulse ≤ delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectTiming {
    /// On the clock: fixed belt speed.
    Time {
        /// Camera trigger → actuator, µs.
        delay_us: u64,
        /// Reject pulse width, µs.
        pulse_us: u64,
        /// Verdicts later than `delay − margin` reject, µs.
        decision_margin_us: u64,
        /// Cap on one reject line on-time, µs (optional on this axis).
        max_pulse_us: Option<u64>,
    },
    /// On the encoder: the pulse follows the belt.
    Encoder {
        /// Camera trigger → actuator, counts.
        delay_counts: u64,
        /// Reject pulse width, counts.
        pulse_counts: u64,
        /// Verdicts later than `delay − margin` reject, counts.
        decision_margin_counts: u64,
        /// Cap on one reject line on-time, µs (required: a stopped belt).
        max_pulse_us: u64,
    },
}

/// `[reject]`, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RejectProfile {
    /// Delay, pulse, margin and cap on their axis.
    pub timing: RejectTiming,
    /// Most parts between camera and actuator, `1..=`[`crate::line::LINE_CAPACITY`].
    pub max_parts_in_flight: usize,
}

/// A checked board profile.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardProfile {
    /// Human name of the board.
    pub board: String,
    /// Worker threads for the network and bank search, `1..=64`.
    pub inference_threads: usize,
    /// Verdict log (JSON lines); `edge run --log` overrides it.
    pub verdict_log: PathBuf,
    /// Trusted key for bundle signatures (`bundle_public_key`: 64 hex digits or a
    /// `KEY.pub` path, relative to the profile's folder). When set, `edge run` and `edge
    /// check` refuse bundles without a valid `<bundle>.sig` from this key.
    pub bundle_public_key: Option<PublicKey>,
    /// Camera device and mode.
    pub camera: CameraProfile,
    /// GPIO backend and lines.
    pub gpio: GpioProfile,
    /// Reject timing.
    pub reject: RejectProfile,
    /// Kept frames.
    pub capture: CaptureProfile,
    /// Hot deployment of a replacement bundle (optional section).
    pub deploy: DeployProfile,
}

/// The driver configuration on the profile's axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StationTiming {
    /// Time axis: run a `LineDriver<_, _, _, Micros, _>`.
    Time(DriverConfig<Micros>),
    /// Encoder axis: run a `LineDriver<_, _, _, EncoderCounts, _>`.
    Encoder(DriverConfig<EncoderCounts>),
}

impl BoardProfile {
    /// Reads and checks the profile at `path`.
    ///
    /// # Errors
    /// [`ProfileError::Read`] when the file cannot be read; [`ProfileError::Invalid`]
    /// naming file, line and field otherwise.
    pub fn read_from(path: &Path) -> Result<Self, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, path)
    }

    /// Parses and checks profile `text`; `file` is only used in error messages.
    ///
    /// # Errors
    /// [`ProfileError::Invalid`] naming file, line and field.
    pub fn from_toml_str(text: &str, file: &Path) -> Result<Self, ProfileError> {
        let map = SourceMap::new(file.to_path_buf(), text);
        let raw: RawProfile = toml::from_str(text).map_err(|e| {
            let field = e.span().and_then(|s| map.path_at(s.start));
            map.error_at(e.span(), field, e.message().trim_end())
        })?;
        validate::profile(raw, &map)
    }

    /// Line numbers for the backends.
    #[must_use]
    pub fn line_offsets(&self) -> LineOffsets {
        let g = &self.gpio;
        LineOffsets {
            trigger: g.trigger.map(|t| t.line),
            encoder_a: g.encoder.map(|e| e.a),
            encoder_b: g.encoder.and_then(|e| e.b),
            reject: g.reject.line,
            fault: g.fault.line,
            heartbeat: g.heartbeat.map(|h| h.line),
        }
    }

    /// Polarities, trigger edge and debounce, encoder mode.
    #[must_use]
    pub fn line_config(&self) -> LineConfig {
        let g = &self.gpio;
        LineConfig {
            trigger_edge: g.trigger.map(|t| t.edge).unwrap_or_default(),
            debounce_us: g.trigger.map_or(0, |t| t.debounce_us),
            encoder_mode: g.encoder.map(|e| e.mode).unwrap_or_default(),
            reject: g.reject.polarity,
            fault: g.fault.polarity,
            heartbeat: g.heartbeat.map(|h| h.polarity).unwrap_or_default(),
        }
    }

    /// The line driver's configuration, on the profile's axis.
    #[must_use]
    pub fn station_timing(&self) -> StationTiming {
        let heartbeat_period_us = self.gpio.heartbeat.map_or(NO_HEARTBEAT_PERIOD_US, |h| {
            // Checked to be a finite, in-range number of ms.
            (h.period_ms * 1000.0).round() as u64
        });
        let max_in_flight = self.reject.max_parts_in_flight;
        match self.reject.timing {
            RejectTiming::Time {
                delay_us,
                pulse_us,
                decision_margin_us,
                max_pulse_us,
            } => StationTiming::Time(DriverConfig {
                timing: Config {
                    delay: Span::new(delay_us),
                    pulse_width: Span::new(pulse_us),
                    decision_margin: Span::new(decision_margin_us),
                },
                max_in_flight,
                max_pulse_us,
                heartbeat_period_us,
            }),
            RejectTiming::Encoder {
                delay_counts,
                pulse_counts,
                decision_margin_counts,
                max_pulse_us,
            } => StationTiming::Encoder(DriverConfig {
                timing: Config {
                    delay: Span::new(delay_counts),
                    pulse_width: Span::new(pulse_counts),
                    decision_margin: Span::new(decision_margin_counts),
                },
                max_in_flight,
                max_pulse_us: Some(max_pulse_us),
                heartbeat_period_us,
            }),
        }
    }
}
