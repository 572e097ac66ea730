//! `edge run`: open everything (`edge::station::open_station`), run the line loop until
//! the source ends, `--max-parts`, SIGTERM/SIGINT or a dead tick thread, then print the
//! summary (and, on the simulated line, its pulses). SIGHUP asks for the bundle file to
//! be looked at (hot deployment, `edge::deploy`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context as _;
use edge::clock::{MonotonicClock, SharedClock};
use edge::line::Backend;
use edge::source::SourceSpec;
use edge::station::session::{run_session, session_failed};
use edge::station::{CaptureChoice, RunSettings};

/// `edge run` options.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The model bundle written by `trainer`.
    #[arg(long)]
    bundle: PathBuf,
    /// Board profile (boards/*.toml): camera, GPIO lines, reject timing, threads.
    #[arg(long)]
    board: PathBuf,
    /// Frames: v4l:/dev/videoN, dir:PATH (images, sorted) or seq:PATH (a recording);
    /// default: the profile's camera.
    #[arg(long)]
    source: Option<SourceSpec>,
    /// GPIO backend, overriding the profile's `gpio.backend`: rppal, cdev or sim.
    #[arg(long)]
    gpio: Option<Backend>,
    /// Verdict log (JSON lines, appended); default: the profile's `verdict_log`.
    #[arg(long)]
    log: Option<PathBuf>,
    /// Keep frames (rejects, near-threshold, a sample) here instead of the profile's
    /// `[capture]` folder.
    #[arg(long, conflicts_with = "no_captures")]
    captures: Option<PathBuf>,
    /// Keep no frames.
    #[arg(long)]
    no_captures: bool,
    /// Stop after this many parts.
    #[arg(long)]
    max_parts: Option<u64>,
    /// Time between parts for file sources (free-run) and the simulated photo-eye, ms;
    /// default 100 for files, 0 for cameras.
    #[arg(long)]
    interval_ms: Option<f64>,
    /// Inference threads, overriding the profile's `inference_threads`.
    #[arg(long)]
    threads: Option<usize>,
    /// Also print the summary every this many parts.
    #[arg(long)]
    summary_every: Option<u64>,
    /// Watch the bundle file and swap in a replacement between two parts (validated,
    /// dry-run, on probation), overriding the profile's `deploy.watch`. SIGHUP asks
    /// for a reload either way.
    #[arg(long, conflicts_with = "no_watch")]
    watch: bool,
    /// Do not watch the bundle file (SIGHUP still reloads).
    #[arg(long)]
    no_watch: bool,
}

/// Runs `edge run`.
///
/// # Errors
/// Anything that stops the station from starting (bundle, profile, source, log,
/// captures, GPIO), with the file or device named.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let interval_us = match args.interval_ms {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Some((ms * 1000.0).round() as u64),
        Some(ms) => anyhow::bail!("--interval-ms {ms}: must be a number ≥ 0"),
        None => None,
    };
    let settings = RunSettings {
        bundle: args.bundle,
        board: args.board,
        source: args.source,
        gpio: args.gpio,
        log: args.log,
        captures: match (args.captures, args.no_captures) {
            (_, true) => CaptureChoice::Off,
            (Some(dir), false) => CaptureChoice::Dir(dir),
            (None, false) => CaptureChoice::Profile,
        },
        threads: args.threads,
        part_interval_us: interval_us,
        max_parts: args.max_parts,
        summary_every: args.summary_every,
        watch: match (args.watch, args.no_watch) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        reload: Some(Arc::new(AtomicBool::new(false))),
    };
    let clock: SharedClock = MonotonicClock::shared();
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .with_context(|| format!("installing the handler for signal {signal}"))?;
    }
    if let Some(reload) = &settings.reload {
        signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(reload))
            .context("installing the handler for SIGHUP (bundle reload)")?;
    }
    let report = run_session(&settings, clock, &stop).context("edge run cannot start")?;
    Ok(if session_failed(&report) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
