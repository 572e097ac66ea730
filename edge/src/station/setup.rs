//! [`open_station`]: turns the settings of `edge run` (bundle, board profile, overrides)
//! into the running pieces, in an order that touches nothing before the bundle is known
//! to be usable: bundle → source → verdict log → capture store → bundle validator
//! thread (hot deployment) → GPIO and the tick thread. Every failure is an [`OpenError`] naming the file, device or backend.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::clock::LineClock;
use super::port::LinePort;
use super::records::Recorder;
use super::run::LoopOptions;
use super::threaded::{StartError, ThreadedLine};
use crate::board::StationTiming;
use crate::board::{BoardProfile, PixelFormat as BoardFormat, ProfileError, RejectTiming};
use crate::clock::SharedClock;
use crate::deploy::{open_hashed, BundleValidator, HotSwap, HotSwapOptions, SignatureCheck};
use crate::inspector::{Inspector, InspectorError};
use crate::line::{
    self, AnyInput, AnyOutput, Backend, BackendError, LineError, LineIo, SimClock, SimLine,
};
use crate::record::{CaptureError, CapturePolicy, CaptureStore, LogError, VerdictLog};
use crate::source::{
    Backoff, CameraConfig, FrameSource, OpenSettings, PixelFormat, SourceError, SourceSpec,
};

/// The line driver's tick period, µs: 1 kHz.
pub const TICK_PERIOD_US: u64 = 1_000;

/// Free-run replays of files: default time between parts, µs (a camera paces itself).
pub const FILE_PART_INTERVAL_US: u64 = 100_000;

/// Where kept frames go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CaptureChoice {
    /// The profile's `[capture]` folder and quota.
    #[default]
    Profile,
    /// Another folder, with the profile's quota.
    Dir(PathBuf),
    /// Keep no frames.
    Off,
}

/// What `edge run` was asked to do; parsed, not yet acted on.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// The model bundle.
    pub bundle: PathBuf,
    /// The board profile (TOML).
    pub board: PathBuf,
    /// Frames; `None`: the profile's camera (`v4l:<camera.device>`).
    pub source: Option<SourceSpec>,
    /// GPIO backend; `None`: the profile's `gpio.backend`.
    pub gpio: Option<Backend>,
    /// Verdict log; `None`: the profile's `verdict_log`.
    pub log: Option<PathBuf>,
    /// Capture store.
    pub captures: CaptureChoice,
    /// Inference threads; `None`: the profile's `inference_threads`.
    pub threads: Option<usize>,
    /// Free-run replays: time between parts, µs; `None`: 100 ms for files, 0 for cameras.
    pub part_interval_us: Option<u64>,
    /// Stop after this many parts.
    pub max_parts: Option<u64>,
    /// Print a summary every this many parts.
    pub summary_every: Option<u64>,
    /// Watch the bundle file for a replacement; `None`: the profile's `deploy.watch`.
    pub watch: Option<bool>,
    /// Set (e.g. by SIGHUP) to have the bundle file looked at before the next part.
    pub reload: Option<Arc<AtomicBool>>,
}

/// Why `edge run` could not start; every variant names what failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The board profile could not be read or is invalid (names file, line, field).
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The bundle could not be read, is corrupt, or cannot be inspected with.
    #[error("model bundle {}: cannot inspect with it", path.display())]
    Bundle {
        /// The bundle file.
        path: PathBuf,
        /// Why.
        #[source]
        source: InspectorError,
    },
    /// The frame source could not be opened.
    #[error("frame source `{spec}`")]
    Source {
        /// The spec, e.g. `dir:/data/test`.
        spec: String,
        /// Why.
        #[source]
        source: SourceError,
    },
    /// The verdict log could not be opened (names the file).
    #[error(transparent)]
    Log(#[from] LogError),
    /// The capture store could not be opened (names the folder).
    #[error(transparent)]
    Captures(#[from] CaptureError),
    /// The GPIO backend could not hand over the lines.
    #[error("GPIO backend `{backend}` (profile {})", profile.display())]
    Gpio {
        /// The backend.
        backend: Backend,
        /// The profile naming the lines.
        profile: PathBuf,
        /// Why.
        #[source]
        source: BackendError,
    },
    /// The lines or the reject timing could not be set up.
    #[error("reject station on `{backend}` (profile {})", profile.display())]
    Line {
        /// The backend.
        backend: Backend,
        /// The profile.
        profile: PathBuf,
        /// Why.
        #[source]
        source: LineError,
    },
    /// The tick thread could not start.
    #[error("reject station")]
    Start(#[source] StartError),
    /// The bundle validator thread (hot deployment) could not start.
    #[error("bundle validator thread")]
    Validator(#[source] std::io::Error),
}

/// Everything `edge run` runs on, opened.
pub struct OpenStation {
    /// The profile, as read.
    pub profile: BoardProfile,
    /// The bundle, ready, swappable for a replacement between two parts.
    pub inspector: HotSwap,
    /// Where frames come from.
    pub source_spec: SourceSpec,
    /// The source, opened (cameras lazily, at the first frame).
    pub source: Box<dyn FrameSource + Send>,
    /// The GPIO backend in use.
    pub backend: Backend,
    /// The station, ticking on its own thread.
    pub line: Box<dyn LinePort>,
    /// The simulated line, with `--gpio sim`.
    pub sim: Option<SimLine>,
    /// Verdict log and capture store.
    pub recorder: Recorder,
    /// The verdict log's path.
    pub log_path: PathBuf,
    /// The capture folder, if frames are kept.
    pub captures_dir: Option<PathBuf>,
    /// How the loop runs, from the settings and the profile.
    pub options: LoopOptions,
}

/// The source [`CameraConfig`] a profile's `[camera]` asks for.
#[must_use]
pub fn camera_config(profile: &BoardProfile) -> CameraConfig {
    let c = &profile.camera;
    let format = match c.format {
        BoardFormat::Yuyv => PixelFormat::Yuyv,
        BoardFormat::Mjpeg => PixelFormat::Mjpeg,
        BoardFormat::Grey => PixelFormat::Grey,
    };
    let mut config = CameraConfig::new(c.device.clone(), format, c.width, c.height);
    config.fps = Some(c.fps);
    config
}

/// The source `edge run` uses: `spec`, or the profile's camera.
#[must_use]
pub fn source_spec(profile: &BoardProfile, spec: Option<&SourceSpec>) -> SourceSpec {
    spec.cloned()
        .unwrap_or_else(|| SourceSpec::Camera(profile.camera.device.clone()))
}

/// Opens the source: cameras reconnect with back-off up to 2 s (so a stop signal is
/// answered within systemd's 5 s), files play once.
///
/// # Errors
/// As [`SourceSpec::open`].
pub fn open_source(
    spec: &SourceSpec,
    profile: &BoardProfile,
    clock: SharedClock,
) -> Result<Box<dyn FrameSource + Send>, SourceError> {
    let backoff =
        Backoff::new(Duration::from_millis(100), Duration::from_secs(2)).unwrap_or_default();
    let settings = OpenSettings {
        camera: Some(camera_config(profile)),
        backoff,
        ..OpenSettings::default()
    };
    spec.open(&settings, clock)
}

/// How long parts in flight may take to reach the actuator at the end: delay + pulse +
/// 100 ms on the time axis; the pulse cap + 2 s on the encoder axis (a stopped belt
/// would never bring them).
#[must_use]
pub fn drain_timeout_us(profile: &BoardProfile) -> u64 {
    match profile.reject.timing {
        RejectTiming::Time {
            delay_us, pulse_us, ..
        } => delay_us + pulse_us + 100_000,
        RejectTiming::Encoder { max_pulse_us, .. } => max_pulse_us + 2_000_000,
    }
}

/// Opens everything for `edge run`; see the [module docs](self).
///
/// # Errors
/// The first [`OpenError`]; nothing later in the order has been touched then.
pub fn open_station(settings: &RunSettings, clock: SharedClock) -> Result<OpenStation, OpenError> {
    let profile = BoardProfile::read_from(&settings.board)?;
    let threads = settings.threads.unwrap_or(profile.inference_threads);
    let key = profile.bundle_public_key.as_ref();
    let (inspector, sha256) =
        open_hashed(&settings.bundle, key, threads).map_err(|source| OpenError::Bundle {
            path: settings.bundle.clone(),
            source,
        })?;
    let spec = source_spec(&profile, settings.source.as_ref());
    let source =
        open_source(&spec, &profile, clock.clone()).map_err(|source| OpenError::Source {
            spec: spec.to_string(),
            source,
        })?;
    let log_path = settings
        .log
        .clone()
        .unwrap_or_else(|| profile.verdict_log.clone());
    let log = VerdictLog::open(&log_path)?;
    let captures_dir = match &settings.captures {
        CaptureChoice::Profile => Some(profile.capture.dir.clone()),
        CaptureChoice::Dir(dir) => Some(dir.clone()),
        CaptureChoice::Off => None,
    };
    let captures = match &captures_dir {
        Some(dir) => Some(open_captures(dir, &profile, &settings.bundle)?),
        None => None,
    };
    let camera = matches!(spec, SourceSpec::Camera(_));
    let inspector = hot_swap(
        settings,
        &profile,
        (inspector, sha256),
        captures_dir.as_deref(),
        camera,
        clock.clone(),
    )?;
    let backend = settings.gpio.unwrap_or(profile.gpio.backend);
    let (line, sim) = start_line(&profile, &settings.board, backend, clock)?;
    let options = LoopOptions {
        max_parts: settings.max_parts,
        part_interval_us: settings.part_interval_us.unwrap_or(if camera {
            0
        } else {
            FILE_PART_INTERVAL_US
        }),
        read_while_idle: camera,
        summary_every: settings.summary_every,
        drain_timeout_us: drain_timeout_us(&profile),
        ..LoopOptions::default()
    };
    Ok(OpenStation {
        profile,
        inspector,
        source_spec: spec,
        source,
        backend,
        line,
        sim,
        recorder: Recorder::new(log, captures),
        log_path,
        captures_dir,
        options,
    })
}

/// The running model behind hot deployment: replacements dry-run on the capture store's
/// newest frames and, from a camera, must fit its frame size.
fn hot_swap(
    settings: &RunSettings,
    profile: &BoardProfile,
    (inspector, sha256): (Inspector, String),
    captures_dir: Option<&Path>,
    camera: bool,
    clock: SharedClock,
) -> Result<HotSwap, OpenError> {
    let threads = settings.threads.unwrap_or(profile.inference_threads);
    let deploy = &profile.deploy;
    let mut validator = BundleValidator::new(threads);
    if let Some(key) = &profile.bundle_public_key {
        validator = validator.with_check(Box::new(SignatureCheck(key.clone())));
    }
    if let Some(dir) = captures_dir {
        validator = validator.with_dry_run(dir.to_path_buf(), deploy.dry_run_frames);
    }
    if camera {
        validator = validator.with_frame_size(profile.camera.width, profile.camera.height);
    }
    let options = HotSwapOptions::from_profile(deploy, settings.watch);
    let hot = HotSwap::new(
        inspector,
        &settings.bundle,
        sha256,
        validator,
        clock,
        options,
    )
    .map_err(OpenError::Validator)?;
    Ok(match &settings.reload {
        Some(flag) => hot.with_reload_flag(Arc::clone(flag)),
        None => hot,
    })
}

fn open_captures(
    dir: &Path,
    profile: &BoardProfile,
    bundle: &Path,
) -> Result<CaptureStore, CaptureError> {
    let policy = CapturePolicy {
        quota_bytes: profile.capture.quota_mb.saturating_mul(1 << 20).max(1),
        ..CapturePolicy::default()
    };
    let store = CaptureStore::open(dir, policy)?;
    // The sidecars name the bundle by file; its hash is the trainer's business.
    Ok(store.with_bundle_hash(bundle.display().to_string()))
}

/// Opens the GPIO lines (outputs at their safe level) and starts the tick thread on the
/// profile's axis.
///
/// # Errors
/// [`OpenError::Gpio`], [`OpenError::Line`], [`OpenError::Start`].
pub fn start_line(
    profile: &BoardProfile,
    profile_path: &Path,
    backend: Backend,
    clock: SharedClock,
) -> Result<(Box<dyn LinePort>, Option<SimLine>), OpenError> {
    let io = open_io(profile, profile_path, backend, &clock)?;
    let (io, sim, line_clock) = io;
    let line_error = |source| OpenError::Line {
        backend,
        profile: profile_path.to_path_buf(),
        source,
    };
    let start_error = |e: StartError| match e {
        StartError::Line(source) => line_error(source),
        other => OpenError::Start(other),
    };
    let line: Box<dyn LinePort> = match profile.station_timing() {
        StationTiming::Time(config) => Box::new(
            ThreadedLine::start(io, config, line_clock, clock, sim.clone(), TICK_PERIOD_US)
                .map_err(start_error)?,
        ),
        StationTiming::Encoder(config) => Box::new(
            ThreadedLine::start(io, config, line_clock, clock, sim.clone(), TICK_PERIOD_US)
                .map_err(start_error)?,
        ),
    };
    Ok((line, sim))
}

type OpenedIo = (LineIo<AnyInput, AnyOutput>, Option<SimLine>, LineClock);

/// The profile's lines on `backend`, in their safe state; a simulated line gets a
/// [`SimClock`] that follows `clock`.
///
/// # Errors
/// [`OpenError::Gpio`], [`OpenError::Line`].
pub fn open_io(
    profile: &BoardProfile,
    profile_path: &Path,
    backend: Backend,
    clock: &SharedClock,
) -> Result<OpenedIo, OpenError> {
    let sim_clock = SimClock::new(clock.now_us());
    let sim = SimLine::new(sim_clock.clone());
    let config = profile.line_config();
    let pins = line::open(
        backend,
        profile.gpio.chip.as_deref(),
        &profile.line_offsets(),
        &config,
        &sim,
    )
    .map_err(|source| OpenError::Gpio {
        backend,
        profile: profile_path.to_path_buf(),
        source,
    })?;
    let io = LineIo::new(pins, config).map_err(|source| OpenError::Line {
        backend,
        profile: profile_path.to_path_buf(),
        source,
    })?;
    Ok(if backend == Backend::Sim {
        (io, Some(sim), LineClock::Sim(sim_clock))
    } else {
        (io, None, LineClock::World(clock.clone()))
    })
}
