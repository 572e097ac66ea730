//! The fault output: asserted at start and until ready, raised by a failed write or
//! read, an untracked part or a missed part; failures are counted and retried.

use edge::line::{
    FaultCause, InputRole, LineEvent, Micros, MonotonicClock as _, OutputRole, PinOp, Polarity,
};
use shared::scheduler::{PartId, SchedulerError, Verdict};

use crate::bench::{driver_config, reject_pulses, run, station, Driver};

const DEFECT: Verdict = Verdict::Defect { code: 0 };

/// The fault line is active-low on the bench: asserted = low.
fn fault_asserted(line: &edge::line::SimLine) -> bool {
    line.level(OutputRole::Fault) == Some(false)
}

fn tick_at(
    line: &edge::line::SimLine,
    driver: &mut Driver<Micros>,
    t: u64,
) -> Vec<LineEvent<Micros>> {
    line.clock().set(t);
    driver.tick().to_vec()
}

#[test]
fn outputs_start_safe_and_fault_follows_ready_until_shutdown() {
    let (line, mut driver) = station::<Micros>(false, 0, driver_config(100_000, 10_000, 0));
    assert_eq!(line.level(OutputRole::Reject), Some(false));
    assert!(fault_asserted(&line), "fault asserted from the first write");
    assert_eq!(line.level(OutputRole::Heartbeat), Some(false));
    tick_at(&line, &mut driver, 1_000);
    assert!(fault_asserted(&line), "not ready yet");
    driver.set_ready(true);
    tick_at(&line, &mut driver, 2_000);
    assert!(!fault_asserted(&line));
    assert_eq!(driver.fault_asserted(), Some(false));
    driver.shutdown().expect("sim writes succeed");
    assert!(fault_asserted(&line));
    assert_eq!(line.level(OutputRole::Reject), Some(false));
}

#[test]
fn a_failed_reject_write_raises_fault_is_counted_and_retried_next_tick() {
    let (line, mut driver) = station::<Micros>(false, 0, driver_config(10_000, 5_000, 1_000));
    driver.set_ready(true);
    tick_at(&line, &mut driver, 0);
    let part = driver.trigger_now().expect("room in the queue");
    driver.on_verdict(part, DEFECT).expect("known part");
    tick_at(&line, &mut driver, 9_000);
    assert!(!fault_asserted(&line));

    line.fail_writes(OutputRole::Reject, 1);
    let events = tick_at(&line, &mut driver, 10_000);
    assert!(events.iter().any(|e| matches!(
        e,
        LineEvent::PinFailed(err) if err.line == "reject" && err.op == PinOp::Write
    )));
    assert!(events.contains(&LineEvent::FaultLatched(FaultCause::Pin)));
    assert!(fault_asserted(&line), "fault raised in the same tick");
    assert_eq!(line.level(OutputRole::Reject), Some(false));
    assert_eq!(driver.stats().pin_write_failures, 1);

    tick_at(&line, &mut driver, 11_000);
    assert_eq!(line.level(OutputRole::Reject), Some(true), "retried");
    for t in [12_000, 16_000] {
        tick_at(&line, &mut driver, t);
    }
    let pulses = reject_pulses(&line);
    assert_eq!(pulses.len(), 1);
    assert_eq!(pulses[0].start_us, 11_000);
    // Latched until an operator reset.
    assert!(fault_asserted(&line));
    driver.clear_faults();
    tick_at(&line, &mut driver, 17_000);
    assert!(!fault_asserted(&line));
}

#[test]
fn when_the_fault_write_fails_too_both_are_counted_and_fault_is_retried() {
    let (line, mut driver) = station::<Micros>(false, 0, driver_config(10_000, 5_000, 1_000));
    driver.set_ready(true);
    tick_at(&line, &mut driver, 0);
    let part = driver.trigger_now().expect("room");
    driver.on_verdict(part, DEFECT).expect("known part");
    line.fail_writes(OutputRole::Reject, 1);
    line.fail_writes(OutputRole::Fault, 1);
    let events = tick_at(&line, &mut driver, 10_000);
    let failed: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            LineEvent::PinFailed(err) => Some(err.line),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec!["reject", "fault"]);
    assert_eq!(driver.stats().pin_write_failures, 2);
    assert_eq!(
        driver.fault_asserted(),
        None,
        "state unknown after the failure"
    );
    tick_at(&line, &mut driver, 11_000);
    assert!(fault_asserted(&line));
    assert_eq!(line.level(OutputRole::Reject), Some(true));
}

#[test]
fn a_failed_input_read_raises_fault() {
    let (line, mut driver) = station::<Micros>(false, 0, driver_config(10_000, 5_000, 1_000));
    driver.set_ready(true);
    tick_at(&line, &mut driver, 0);
    line.fail_reads(InputRole::Trigger, 1);
    let events = tick_at(&line, &mut driver, 1_000);
    assert!(events.iter().any(|e| matches!(
        e,
        LineEvent::PinFailed(err) if err.line == "trigger" && err.op == PinOp::Read
    )));
    assert!(fault_asserted(&line));
    assert_eq!(driver.stats().pin_read_failures, 1);
}

#[test]
fn a_full_queue_refuses_the_part_and_raises_fault() {
    let mut config = driver_config::<Micros>(500_000, 10_000, 5_000);
    config.max_in_flight = 2;
    let (line, mut driver) = station::<Micros>(false, 0, config);
    driver.set_ready(true);
    for t in [10_000, 30_000, 50_000] {
        line.pulse_input(InputRole::Trigger, t, 5_000);
    }
    let seen = run(
        &line,
        &mut driver,
        60_000,
        || 1_000,
        1_000,
        |_| Some(Verdict::Pass),
    );
    assert_eq!(seen.triggers.len(), 2);
    assert!(seen.events.iter().any(|(_, e)| matches!(
        e,
        LineEvent::TriggerRefused(SchedulerError::QueueFull { capacity: 2, .. })
    )));
    assert!(driver.faults().untracked_part);
    assert!(fault_asserted(&line));
    assert_eq!(driver.stats().refused_triggers, 1);
    assert_eq!(
        driver.trigger_now(),
        Err(SchedulerError::QueueFull {
            capacity: 2,
            at: 59_000,
            unit: "µs"
        })
    );
}

#[test]
fn a_reject_a_pulse_width_late_is_a_missed_part() {
    let (line, mut driver) = station::<Micros>(false, 0, driver_config(10_000, 5_000, 1_000));
    driver.set_ready(true);
    tick_at(&line, &mut driver, 0);
    let part = driver.trigger_now().expect("room");
    driver.on_verdict(part, DEFECT).expect("known");
    // The loop stalls from 9 ms to 16 ms: the 10 ms reject fires 6 ms late.
    tick_at(&line, &mut driver, 5_000);
    tick_at(&line, &mut driver, 9_000);
    let events = tick_at(&line, &mut driver, 16_000);
    assert!(events.contains(&LineEvent::FaultLatched(FaultCause::MissedPart)));
    assert!(events.iter().any(|e| matches!(
        e,
        LineEvent::Fired {
            part_id: PartId(0),
            ..
        }
    )));
    assert!(fault_asserted(&line));
    assert_eq!(driver.stats().max_tick_gap_us, 7_000);
}

#[test]
fn heartbeat_toggles_every_half_period() {
    let (line, mut driver) = station::<Micros>(false, 0, driver_config(10_000, 5_000, 1_000));
    run(&line, &mut driver, 1_100_000, || 1_000, 0, |_| None);
    let toggles: Vec<u64> = line
        .transitions(OutputRole::Heartbeat)
        .iter()
        .map(|t| t.at_us)
        .collect();
    assert_eq!(toggles, vec![0, 250_000, 500_000, 750_000, 1_000_000]);
    let high: Vec<_> = line
        .pulses(OutputRole::Heartbeat, Polarity::ActiveHigh)
        .iter()
        .map(|p| p.width_us)
        .collect();
    assert_eq!(high, vec![Some(250_000), Some(250_000)]);
    assert!(line.clock().now_us() >= 1_100_000);
}

#[test]
fn an_encoder_read_failure_does_not_lose_the_trigger_seen_in_the_same_tick() {
    let (line, mut driver) = station::<Micros>(true, 0, driver_config(10_000, 5_000, 1_000));
    driver.set_ready(true);
    tick_at(&line, &mut driver, 0);
    line.pulse_input(InputRole::Trigger, 1_000, 2_000);
    line.fail_reads(InputRole::EncoderA, 1);
    let events = tick_at(&line, &mut driver, 1_000);
    assert!(events.iter().any(|e| matches!(
        e,
        LineEvent::Triggered {
            part_id: PartId(0),
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        LineEvent::PinFailed(err) if err.line == "encoder A" && err.op == PinOp::Read
    )));
    assert!(fault_asserted(&line));
}
