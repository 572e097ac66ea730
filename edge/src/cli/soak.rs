//! `edge soak`: `edge run` on a looping replay and the simulated line for N parts, then
//! the figures of docs/reliability.md — resident memory at the start and end, verdicts
//! and pulses accounted part by part against the log read back, p99 trigger → verdict
//! latency of the first and last tenth. Exit 1 when a verdict or pulse is lost or
//! doubled, memory grew past `--max-rss-growth-mib`, or the session failed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use edge::clock::{MonotonicClock, SharedClock};
use edge::line::{Backend, OutputRole};
use edge::record::read_verdict_log;
use edge::soak::{account, p99_first_last_tenth, SoakObserver};
use edge::source::{OpenSettings, SourceSpec};
use edge::station::session::session_failed;
use edge::station::{open_station, run, CaptureChoice, RunSettings, Station};

/// Memory samples over the run; the first, at 1 % of the parts, is the start figure
/// (after the allocator, tract and the log have reached their working size).
const RSS_SAMPLES: u64 = 100;

/// `edge soak` options.
#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// The model bundle written by `trainer`.
    #[arg(long)]
    bundle: PathBuf,
    /// Board profile; its GPIO backend is replaced by the simulated line.
    #[arg(long)]
    board: PathBuf,
    /// Frames, replayed in a loop: dir:PATH or seq:PATH.
    #[arg(long)]
    source: SourceSpec,
    /// Verdict log to write (a new file: it is read back and accounted).
    #[arg(long)]
    log: PathBuf,
    /// Parts to run.
    #[arg(long, default_value_t = 100_000)]
    frames: u64,
    /// Time between parts, ms (the simulated photo-eye or free-run pace).
    #[arg(long, default_value_t = 5.0)]
    interval_ms: f64,
    /// Inference threads, overriding the profile's.
    #[arg(long)]
    threads: Option<usize>,
    /// Fail when resident memory grows more than this from the start sample to the end.
    #[arg(long, default_value_t = 16.0)]
    max_rss_growth_mib: f64,
}

/// Runs `edge soak`.
///
/// # Errors
/// Anything that stops the station from starting, a log that exists already or cannot be
/// read back.
pub fn run_soak(args: SoakArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.interval_ms.is_finite() && args.interval_ms >= 0.0,
        "--interval-ms {}: must be a number ≥ 0",
        args.interval_ms
    );
    anyhow::ensure!(
        !matches!(args.source, SourceSpec::Camera(_)),
        "--source {}: the soak replays files (dir:PATH or seq:PATH)",
        args.source
    );
    anyhow::ensure!(
        !args.log.exists(),
        "--log {}: exists already; the soak accounts a fresh log",
        args.log.display()
    );
    let settings = RunSettings {
        bundle: args.bundle.clone(),
        board: args.board.clone(),
        source: Some(args.source.clone()),
        gpio: Some(Backend::Sim),
        log: Some(args.log.clone()),
        captures: CaptureChoice::Off,
        threads: args.threads,
        part_interval_us: Some((args.interval_ms * 1000.0).round() as u64),
        max_parts: Some(args.frames),
        summary_every: None,
        // The soak measures one model over many parts: no hot deployment.
        watch: Some(false),
        reload: None,
    };
    let clock: SharedClock = MonotonicClock::shared();
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .with_context(|| format!("installing the handler for signal {signal}"))?;
    }
    let mut open = open_station(&settings, clock.clone()).context("edge soak cannot start")?;
    // The replay loops, so any number of parts can run from a few files.
    open.source = args
        .source
        .open(
            &OpenSettings {
                looping: true,
                ..OpenSettings::default()
            },
            clock.clone(),
        )
        .with_context(|| format!("opening {} in a loop", args.source))?;
    println!(
        "soak         {} parts, one every {} ms, {} on the simulated line, log {}",
        args.frames,
        args.interval_ms,
        open.source.describe(),
        args.log.display()
    );
    let mut observer = SoakObserver::new(args.frames, RSS_SAMPLES);
    let options = open.options;
    let started = Instant::now();
    let report = run(
        Station {
            source: open.source.as_mut(),
            inspector: &mut open.inspector,
            line: open.line.as_mut(),
            recorder: &mut open.recorder,
            clock,
            stop: &stop,
        },
        &options,
        &mut observer,
    );
    let elapsed = started.elapsed().as_secs_f64();
    observer.sample_rss();
    drop(open.recorder);

    let log = read_verdict_log(&args.log)
        .with_context(|| format!("reading back the verdict log {}", args.log.display()))?;
    let sim = open
        .sim
        .as_ref()
        .context("the simulated line kept no record")?;
    let reject = open.profile.gpio.reject.polarity;
    let pulses = sim.pulses(OutputRole::Reject, reject).len() as u64;
    let triggered = report.line.scheduler.triggered;
    let accounting = account(&log.records, triggered, &report.fires, pulses);

    let s = &report.summary;
    println!(
        "parts        {} in {elapsed:.1} s ({:.0} parts/s); {} passed, {} rejected; {} warnings",
        s.parts,
        s.parts as f64 / elapsed.max(1e-9),
        s.passes,
        accounting.rejects,
        observer.warnings()
    );
    let a = &accounting;
    let lost = a.lost.len() + a.duplicated.len() + a.unknown.len();
    println!(
        "verdicts     {} triggered, {} logged; lost {}, doubled {}, unknown ids {}",
        a.triggered,
        a.records,
        a.lost.len(),
        a.duplicated.len(),
        a.unknown.len()
    );
    println!(
        "pulses       {} rejects, {} fires ({} merged into a pulse already on), {} pulses; \
         rejects not fired exactly once {}, fires without a reject {}",
        a.rejects,
        report.fires.len(),
        report.fires.len() as u64 - a.pulsing_fires,
        a.pulses,
        a.rejects_not_fired_once.len(),
        a.fires_without_reject.len()
    );
    // Not lost verdicts (no part id was issued) but the line falling behind: a starved
    // tick thread (a loaded machine) fills the in-flight queue and the fault is raised.
    let l = &report.line;
    println!(
        "line         {} refused triggers ({} frames dropped untracked), {} pin failures, \
         longest tick gap {} µs, latched faults {:?}",
        l.stats.refused_triggers,
        s.untracked_frames,
        l.stats.pin_read_failures + l.stats.pin_write_failures,
        l.stats.max_tick_gap_us,
        l.faults
    );
    let samples = observer.rss_samples();
    let (start, end) = match (samples.get(1).or(samples.first()), samples.last()) {
        (Some(&start), Some(&end)) => (start, end),
        _ => anyhow::bail!("no resident-memory figure: /proc/self/status cannot be read"),
    };
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let growth_mib = (end.1 as f64 - start.1 as f64) / 1024.0;
    println!(
        "memory       RSS {:.1} MiB at part {}, {:.1} MiB at the end (part {}), peak {:.1} MiB; \
         growth {growth_mib:+.2} MiB (bound {} MiB)",
        start.1 as f64 / 1024.0,
        start.0,
        end.1 as f64 / 1024.0,
        end.0,
        peak as f64 / 1024.0,
        args.max_rss_growth_mib
    );
    match p99_first_last_tenth(observer.latencies_us()) {
        Some((first, last)) => println!(
            "latency      trigger → verdict p99: first tenth {:.2} ms, last tenth {:.2} ms",
            first as f64 / 1000.0,
            last as f64 / 1000.0
        ),
        None => println!("latency      too few parts for p99 per tenth"),
    }

    let mut failed = Vec::new();
    if lost > 0 || !a.clean() {
        failed.push("verdicts or pulses were lost or doubled");
    }
    if growth_mib > args.max_rss_growth_mib {
        failed.push("resident memory grew past the bound");
    }
    if session_failed(&report) {
        failed.push("the line did not shut down cleanly");
    }
    if s.parts < args.frames {
        failed.push("the run stopped before its parts were done");
    }
    if failed.is_empty() {
        println!("soak         OK");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("soak         FAILED: {}", failed.join("; "));
        for (what, ids) in [
            ("lost", &a.lost),
            ("doubled", &a.duplicated),
            ("unknown", &a.unknown),
            ("reject not fired once", &a.rejects_not_fired_once),
            ("fire without reject", &a.fires_without_reject),
        ] {
            if !ids.is_empty() {
                let shown: Vec<String> = ids.iter().take(10).map(u64::to_string).collect();
                println!("  {what}: part ids {}", shown.join(", "));
            }
        }
        Ok(ExitCode::FAILURE)
    }
}
