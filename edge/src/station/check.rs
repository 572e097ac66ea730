//! `edge check`: is this board ready for `edge run`? One [`CheckLine`] per check —
//! profile, camera (open + one frame), GPIO (open the lines, build the driver), bundle
//! (build the inspector), verdict log and capture folders — each OK or FAIL with what
//! to do. Off the board every check fails or passes with a message; none panics.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::port::LinePort;
use super::setup::{open_io, open_source, source_spec, OpenError, TICK_PERIOD_US};
use super::stepped::SteppedLine;
use crate::board::{BoardProfile, StationTiming};
use crate::clock::SharedClock;
use crate::inspector::Inspector;
use crate::line::{Backend, BackendError, LineError};
use crate::signature::PublicKey;
use crate::source::{SourceError, SourceSpec};

/// OK or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Ready.
    Ok,
    /// Not ready: see the line's `fix`.
    Fail,
    /// Not checked (an earlier check failed, or nothing to check).
    Skip,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: the report aligns statuses with `{:<4}`.
        f.pad(match self {
            Status::Ok => "OK",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        })
    }
}

/// One check's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    /// What was checked: `profile`, `camera`, `gpio`, `bundle`, `verdict log`, `captures`.
    pub what: &'static str,
    /// The outcome.
    pub status: Status,
    /// What was found (the whole error chain on failure).
    pub detail: String,
    /// What to do about a failure.
    pub fix: Option<String>,
}

impl fmt::Display for CheckLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<4} {:<12} {}", self.status, self.what, self.detail)?;
        if let Some(fix) = &self.fix {
            write!(f, " → {fix}")?;
        }
        Ok(())
    }
}

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// The board profile.
    pub board: PathBuf,
    /// A bundle to build the inspector from, if any.
    pub bundle: Option<PathBuf>,
    /// The source to probe instead of the profile's camera.
    pub source: Option<SourceSpec>,
    /// The GPIO backend instead of the profile's.
    pub gpio: Option<Backend>,
    /// The verdict log instead of the profile's.
    pub log: Option<PathBuf>,
}

fn line(what: &'static str, status: Status, detail: String, fix: Option<String>) -> CheckLine {
    CheckLine {
        what,
        status,
        detail,
        fix,
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = String::new();
    super::part::write_chain(&mut text, error);
    text
}

/// Runs every check; see the [module docs](self).
#[must_use]
pub fn check_board(options: &CheckOptions, clock: &SharedClock) -> Vec<CheckLine> {
    let profile = match BoardProfile::read_from(&options.board) {
        Ok(p) => p,
        Err(e) => {
            return vec![line(
                "profile",
                Status::Fail,
                chain(&e),
                Some("fix the field named above (see boards/README.md)".into()),
            )]
        }
    };
    let mut lines = vec![line(
        "profile",
        Status::Ok,
        format!(
            "{}: {} ({} inference threads)",
            options.board.display(),
            profile.board,
            profile.inference_threads
        ),
        None,
    )];
    lines.push(check_camera(&profile, options.source.as_ref(), clock));
    lines.push(check_gpio(&profile, &options.board, options.gpio, clock));
    lines.push(match &options.bundle {
        Some(bundle) => check_bundle(
            bundle,
            profile.bundle_public_key.as_ref(),
            profile.inference_threads,
        ),
        None => line("bundle", Status::Skip, "no --bundle given".into(), None),
    });
    let log = options.log.as_deref().unwrap_or(&profile.verdict_log);
    lines.push(check_folder("verdict log", log, false));
    lines.push(check_folder("captures", &profile.capture.dir, true));
    lines
}

fn check_camera(
    profile: &BoardProfile,
    spec: Option<&SourceSpec>,
    clock: &SharedClock,
) -> CheckLine {
    let spec = source_spec(profile, spec);
    if let SourceSpec::Camera(device) = &spec {
        if !device.exists() {
            return line(
                "camera",
                Status::Fail,
                format!("no {}: no camera device on this machine", device.display()),
                Some(
                    "plug the camera in and list devices with `v4l2-ctl --list-devices`, \
                     fix `camera.device`, or test with --source dir:PATH"
                        .into(),
                ),
            );
        }
    }
    let started = Instant::now();
    let result = open_source(&spec, profile, clock.clone()).and_then(|mut source| {
        let frame = source.next_frame()?;
        Ok((source.describe(), frame))
    });
    match result {
        Ok((what, Some(frame))) => line(
            "camera",
            Status::Ok,
            format!(
                "{spec}: {}×{} frame in {} ms ({what})",
                frame.image.width(),
                frame.image.height(),
                started.elapsed().as_millis()
            ),
            None,
        ),
        Ok((what, None)) => line(
            "camera",
            Status::Fail,
            format!("{spec}: no frame at all ({what})"),
            Some("point --source at a folder or recording with frames".into()),
        ),
        Err(e) => line(
            "camera",
            Status::Fail,
            format!("{spec}: {}", chain(&e)),
            Some(camera_fix(&e)),
        ),
    }
}

fn camera_fix(error: &SourceError) -> String {
    match error {
        SourceError::Config {
            field: "camera", ..
        } => "build edge with `--features v4l` (needs libclang-dev)".into(),
        SourceError::Negotiation { .. } => {
            "set `camera.format`/`width`/`height` to a mode `v4l2-ctl --list-formats-ext` lists"
                .into()
        }
        _ => "check the device (permissions: group `video`; busy: another process?)".into(),
    }
}

fn check_gpio(
    profile: &BoardProfile,
    path: &Path,
    backend: Option<Backend>,
    clock: &SharedClock,
) -> CheckLine {
    let backend = backend.unwrap_or(profile.gpio.backend);
    let offsets = profile.line_offsets();
    let opened = open_io(profile, path, backend, clock).and_then(|(io, sim, line_clock)| {
        // Building the driver checks the timing against the lines (debounce, encoder).
        let built = match profile.station_timing() {
            StationTiming::Time(c) => {
                SteppedLine::new(io, c, line_clock, clock.clone(), sim, TICK_PERIOD_US)
                    .map(|mut l| l.shutdown())
            }
            StationTiming::Encoder(c) => {
                SteppedLine::new(io, c, line_clock, clock.clone(), sim, TICK_PERIOD_US)
                    .map(|mut l| l.shutdown())
            }
        };
        built.map_err(|source| OpenError::Line {
            backend,
            profile: path.to_path_buf(),
            source,
        })
    });
    let lines = format!(
        "trigger {:?}, encoder {:?}/{:?}, reject {}, fault {}, heartbeat {:?}",
        offsets.trigger,
        offsets.encoder_a,
        offsets.encoder_b,
        offsets.reject,
        offsets.fault,
        offsets.heartbeat
    );
    let chip = profile
        .gpio
        .chip
        .as_ref()
        .map_or_else(String::new, |c| format!(" on {}", c.display()));
    match opened {
        Ok(Ok(())) => line(
            "gpio",
            Status::Ok,
            format!("{backend}{chip}: lines {lines} opened (outputs left at their safe level)"),
            None,
        ),
        Ok(Err(e)) => line(
            "gpio",
            Status::Fail,
            format!("{backend}{chip}: lines opened but a write failed: {e}"),
            Some("check the wiring and the line numbers in the profile".into()),
        ),
        Err(e) => line("gpio", Status::Fail, chain(&e), gpio_fix(&e)),
    }
}

/// What to do, where the backend's own message does not already say it.
fn gpio_fix(error: &OpenError) -> Option<String> {
    let fix = match error {
        OpenError::Gpio { source, .. } => match source {
            // These messages name the fix themselves.
            BackendError::NotCompiled { .. }
            | BackendError::NoChip { .. }
            | BackendError::NoChipPath => return None,
            _ => {
                "check the line numbers, the user's `gpio` group and that no other process \
                 (edge.service?) holds the lines"
            }
        },
        OpenError::Line {
            source: LineError::DebounceTooLong { .. } | LineError::Timing(_),
            ..
        } => "fix [reject] timing or the trigger debounce in the profile",
        _ => "check the [gpio] section of the profile",
    };
    Some(fix.into())
}

fn check_bundle(path: &Path, key: Option<&PublicKey>, threads: usize) -> CheckLine {
    match Inspector::open_with_key(path, key, threads) {
        Ok(inspector) => {
            let m = inspector.manifest();
            line(
                "bundle",
                Status::Ok,
                format!(
                    "{}: {:?}, input {}×{}, {:.1} MMAC/frame, {}",
                    path.display(),
                    m.model,
                    m.input.width,
                    m.input.height,
                    inspector.macs_per_frame() as f64 / 1e6,
                    inspector.describe_bank()
                ),
                None,
            )
        }
        Err(e) => {
            let signature = matches!(
                &e,
                crate::inspector::InspectorError::Manifest(
                    crate::bundle_check::LoadError::Signature(_)
                )
            );
            let fix = if signature {
                "copy the bundle together with its `.sig` file, signed by the key the profile \
                 names (`trainer sign --key KEY BUNDLE`)"
            } else {
                "copy a bundle written by `trainer fit` (check it with `edge info`)"
            };
            line(
                "bundle",
                Status::Fail,
                format!("{}: {}", path.display(), chain(&e)),
                Some(fix.into()),
            )
        }
    }
}

/// A file's folder must exist; a folder (`is_dir`) must exist or have a parent that does
/// (the capture store creates it).
fn check_folder(what: &'static str, path: &Path, is_dir: bool) -> CheckLine {
    let folder = if is_dir {
        path
    } else {
        path.parent().unwrap_or(Path::new("."))
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    if folder.is_dir() {
        return line(
            what,
            Status::Ok,
            format!("{} (folder {} exists)", path.display(), folder.display()),
            None,
        );
    }
    let parent = folder.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    if is_dir && parent.is_some_and(Path::is_dir) {
        return line(
            what,
            Status::Ok,
            format!("{} (created at the first run)", path.display()),
            None,
        );
    }
    line(
        what,
        Status::Fail,
        format!(
            "{}: folder {} does not exist",
            path.display(),
            folder.display()
        ),
        Some(format!(
            "create it for the service user (`sudo install -d -o edge {}`; the systemd unit's \
             StateDirectory/LogsDirectory do it for /var/lib/edge and /var/log/edge)",
            folder.display()
        )),
    )
}
