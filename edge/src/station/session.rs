//! One `edge run` session as the command line shows it: open the station, print what was
//! opened, run the loop until it stops, print the report (and, on the simulated line,
//! the pulses against their schedule). Shared by `edge run` and `trainer demo`, which
//! replays its test frames through the line after fitting.

use std::sync::atomic::AtomicBool;

use crate::clock::SharedClock;
use crate::line::{Backend, OutputRole, Polarity, SimLine};
use crate::record::VerdictRecord;

use super::{
    open_station, run, FireRecord, Observer, OpenError, PartTrigger, RunReport, RunSettings,
    Station, StopReason, Summary,
};

/// Prints warnings (rate-limited: a full disk warns on every part) and periodic
/// summaries.
#[derive(Debug, Default)]
pub struct Printer {
    warnings: u64,
}

impl Observer for Printer {
    fn part(&mut self, _record: &VerdictRecord, _trigger: PartTrigger) {}

    fn summary(&mut self, summary: &Summary) {
        println!("-- summary so far\n{summary}");
    }

    fn notice(&mut self, message: &dyn std::fmt::Display) {
        eprintln!("note: {message}");
    }

    fn warning(&mut self, message: &dyn std::fmt::Display) {
        self.warnings += 1;
        let n = self.warnings;
        if n <= 20 || n % 100 == 0 {
            eprintln!("warning [{n}]: {message}");
        }
        if n == 20 {
            eprintln!("warning: further warnings are printed every 100th");
        }
    }
}

/// Opens the station for `settings`, prints what it opened, runs the loop until the
/// source ends, `max_parts`, `stop` or a dead tick thread, prints the report and returns
/// it. The session failed when [`session_failed`] says so.
///
/// # Errors
/// [`OpenError`]: anything that stops the station from starting, naming the file or
/// device.
pub fn run_session(
    settings: &RunSettings,
    clock: SharedClock,
    stop: &AtomicBool,
) -> Result<RunReport, OpenError> {
    let mut open = open_station(settings, clock.clone())?;
    let m = open.inspector.inspector().manifest();
    println!(
        "bundle       {} ({:?}, input {}×{}, threshold {}, sha256 {})",
        settings.bundle.display(),
        m.model,
        m.input.width,
        m.input.height,
        m.thresholds.image,
        open.inspector.running().sha256
    );
    let d = open.inspector.options();
    println!(
        "deploy       {}; SIGHUP reloads; probation {} parts, roll back above {:.1} % rejects",
        if d.watch {
            "watching the bundle file"
        } else {
            "not watching the bundle file"
        },
        d.probation_parts,
        100.0 * d.max_reject_rate
    );
    println!(
        "board        {} ({})",
        settings.board.display(),
        open.profile.board
    );
    println!("source       {}", open.source.describe());
    let mode = if open.line.has_trigger() {
        "one part per photo-eye edge"
    } else {
        "free-run: one part per frame"
    };
    let gpio = if open.backend == Backend::Sim {
        "sim (simulated line on the monotonic clock)".to_string()
    } else {
        open.backend.to_string()
    };
    println!(
        "line         {gpio}, {mode}, {:?}",
        open.profile.reject.timing
    );
    println!(
        "records      log {}, captures {}",
        open.log_path.display(),
        open.captures_dir
            .as_ref()
            .map_or_else(|| "off".to_string(), |d| d.display().to_string())
    );
    let options = open.options;
    let mut printer = Printer::default();
    let report = run(
        Station {
            source: open.source.as_mut(),
            inspector: &mut open.inspector,
            line: open.line.as_mut(),
            recorder: &mut open.recorder,
            clock,
            stop,
        },
        &options,
        &mut printer,
    );
    print_report(&report);
    for event in open.inspector.events() {
        println!("  deploy: {event}");
    }
    if let Some(sim) = &open.sim {
        let gpio = &open.profile.gpio;
        print_sim_pulses(
            sim,
            &report.fires,
            gpio.reject.polarity,
            gpio.fault.polarity,
        );
    }
    Ok(report)
}

fn print_report(report: &RunReport) {
    let stop = match report.stop {
        StopReason::SourceEnded => "the source has no more frames",
        StopReason::MaxParts => "--max-parts reached",
        StopReason::Signal => "stop signal",
        StopReason::LineStopped => "the line's tick thread stopped (no pulse could fire)",
    };
    println!("== stopped: {stop}");
    println!("{}", report.summary);
    let l = &report.line;
    let s = &l.scheduler;
    println!(
        "line         {} ticks, longest tick gap {} µs; scheduler: {} passed, {} rejected \
         (defect {}, failed {}, late {}), {} late verdicts ignored, {} fired late (max {} {})",
        l.stats.ticks,
        l.stats.max_tick_gap_us,
        s.passed,
        s.rejected_defect + s.rejected_failed + s.rejected_late,
        s.rejected_defect,
        s.rejected_failed,
        s.rejected_late,
        s.late_verdicts_ignored,
        s.fired_late,
        s.max_fire_late_by,
        l.unit
    );
    match l.realtime {
        Some(true) => println!("tick thread  real-time priority (SCHED_FIFO)"),
        Some(false) => println!(
            "tick thread  normal priority: SCHED_FIFO was refused, pulses can be late under \
             CPU load (allow it with LimitRTPRIO=20 in the systemd unit, as boards/edge.service does)"
        ),
        None => {}
    }
    if l.faults.any() || l.stats.refused_triggers > 0 {
        println!(
            "faults       latched {:?}; {} untracked triggers, {} pin read / {} write failures",
            l.faults,
            l.stats.refused_triggers,
            l.stats.pin_read_failures,
            l.stats.pin_write_failures
        );
    }
    let r = &report.records;
    println!(
        "log          {} written, {} failed; captures {} kept, {} failed",
        r.written, r.log_failures, r.kept, r.capture_failures
    );
    match &report.shutdown {
        Ok(()) => println!("shutdown     reject line dropped, fault output asserted"),
        Err(e) => eprintln!("error: shutdown: {e}"),
    }
}

/// The simulated valve's pulses, matched to the scheduler's fires.
fn print_sim_pulses(sim: &SimLine, fires: &[FireRecord], reject: Polarity, fault: Polarity) {
    let pulses = sim.pulses(OutputRole::Reject, reject);
    let widths: Vec<u64> = pulses.iter().filter_map(|p| p.width_us).collect();
    let (min_w, max_w) = (
        widths.iter().min().copied().unwrap_or(0),
        widths.iter().max().copied().unwrap_or(0),
    );
    let starts: Vec<u64> = fires
        .iter()
        .filter(|f| !f.merged)
        .map(|f| f.start_at.saturating_sub(f.scheduled_at))
        .collect();
    println!(
        "sim line     {} reject pulses for {} rejects ({} merged into a pulse already on); \
         widths {:.1}–{:.1} ms; start − scheduled ≤ {} {}",
        pulses.len(),
        fires.len(),
        fires.iter().filter(|f| f.merged).count(),
        min_w as f64 / 1000.0,
        max_w as f64 / 1000.0,
        starts.iter().max().copied().unwrap_or(0),
        fires.first().map_or("µs", |f| f.unit)
    );
    for fire in fires.iter().take(10) {
        let pulse = pulses.iter().find(|p| p.start_us == fire.start_at);
        println!(
            "  {}: scheduled {} {}, started +{}, {:?}, pulse width {}",
            fire.part_id,
            fire.scheduled_at,
            fire.unit,
            fire.start_at.saturating_sub(fire.scheduled_at),
            fire.reason,
            pulse
                .and_then(|p| p.width_us)
                .map_or_else(|| "(merged)".to_string(), |w| format!("{w} µs"))
        );
    }
    if fires.len() > 10 {
        println!("  … {} more", fires.len() - 10);
    }
    let faults = sim.pulses(OutputRole::Fault, fault);
    println!(
        "sim fault    asserted {} time(s) (start-up and shutdown included); heartbeat {} writes",
        faults.len(),
        sim.writes(OutputRole::Heartbeat)
    );
}

/// A clean shutdown failed or the tick thread died: the session did not end well.
#[must_use]
pub fn session_failed(report: &RunReport) -> bool {
    report.shutdown.is_err() || report.stop == StopReason::LineStopped
}
