//! Time axis: pulses land on schedule at several belt speeds with jittered ticks, merge
//! when back to back, and a part without a verdict is rejected.

use edge::line::{InputRole, LineEvent, Micros};
use shared::scheduler::{PartId, RejectReason, Span, Verdict};

use crate::bench::{driver_config, reject_pulses, run, station, Jitter};

const DEFECT: Verdict = Verdict::Defect { code: 0 };

#[test]
fn pulses_land_within_a_tick_of_schedule_at_three_belt_speeds_with_jitter() {
    let (pulse_us, margin_us, debounce_us) = (20_000, 5_000, 500);
    for (speed_um_per_s, seed) in [(200_000, 1), (500_000, 2), (1_500_000, 3)] {
        let travel = |um| {
            Span::<Micros>::travel_time(um, speed_um_per_s)
                .expect("speed > 0")
                .get()
        };
        // Actuator 300 mm downstream; parts 50 mm long every 150 mm; odd ones defective.
        let delay_us = travel(300_000);
        let (line, mut driver) = station::<Micros>(
            false,
            debounce_us,
            driver_config(delay_us, pulse_us, margin_us),
        );
        driver.set_ready(true);
        let mut place = Jitter::new(seed * 7);
        let edges: Vec<u64> = (0..8)
            .map(|i| 10_000 + i * travel(150_000) + place.between(0, 997))
            .collect();
        for &t in &edges {
            line.pulse_input(InputRole::Trigger, t, travel(50_000));
        }
        let end_us = edges[7] + delay_us + 100_000;
        let mut tick = Jitter::new(seed);
        let seen = run(
            &line,
            &mut driver,
            end_us,
            || tick.between(700, 1_300),
            30_000,
            |p| Some(if p.0 % 2 == 1 { DEFECT } else { Verdict::Pass }),
        );

        let gap = driver.stats().max_tick_gap_us;
        assert!(gap <= 1_300, "ticks drawn in 700..=1300 µs, saw {gap}");
        assert_eq!(seen.triggers.len(), 8, "one trigger per part");
        assert_eq!(driver.scheduler_stats().passed, 4);
        let pulses = reject_pulses(&line);
        assert_eq!(pulses.len(), 4, "speed {speed_um_per_s} µm/s: {pulses:?}");
        for (k, pulse) in pulses.iter().enumerate() {
            let part = 2 * k + 1;
            let (id, reason, scheduled, start_at) = seen.fires[k];
            assert_eq!(id, PartId(part as u64));
            assert_eq!(reason, RejectReason::Defect { code: 0 });
            // The valve moved at the tick the driver reported...
            assert_eq!(pulse.start_us, start_at.get());
            // ...within one tick of its scheduled position...
            let late = pulse.start_us - scheduled.get();
            assert!(late < gap, "part {part}: {late} µs after schedule");
            // ...and so within two ticks of the physical edge + delay (one to see the
            // part, one to fire).
            let ideal = edges[part] + delay_us;
            assert!(
                (ideal..ideal + 2 * gap).contains(&pulse.start_us),
                "part {part}: pulse at {} µs, ideal {ideal} µs",
                pulse.start_us
            );
            let width = pulse.width_us.expect("pulse ended");
            assert!(
                (pulse_us..pulse_us + gap).contains(&width),
                "part {part}: width {width} µs"
            );
        }
    }
}

#[test]
fn back_to_back_rejects_merge_and_a_pass_between_rejects_gets_no_pulse() {
    // 1 ms ticks on exact multiples, no debounce: every time below is exact.
    let (line, mut driver) = station::<Micros>(false, 0, driver_config(600_000, 20_000, 5_000));
    driver.set_ready(true);
    for t in [10_000, 22_000, 60_000, 100_000] {
        line.pulse_input(InputRole::Trigger, t, 5_000);
    }
    let seen = run(
        &line,
        &mut driver,
        800_000,
        || 1_000,
        40_000,
        |p| Some(if p.0 == 2 { Verdict::Pass } else { DEFECT }),
    );
    // Parts 0 and 1 fire 12 ms apart with 20 ms pulses: one pulse from 610 ms to 642 ms.
    let pulses: Vec<_> = reject_pulses(&line)
        .iter()
        .map(|p| (p.start_us, p.width_us))
        .collect();
    assert_eq!(
        pulses,
        vec![(610_000, Some(32_000)), (700_000, Some(20_000))]
    );
    let merged: Vec<bool> = seen
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            LineEvent::Fired { merged, .. } => Some(*merged),
            _ => None,
        })
        .collect();
    assert_eq!(merged, vec![false, true, false]);
    assert!(seen.events.iter().any(|(t, e)| *t == 660_000
        && matches!(
            e,
            LineEvent::Passed {
                part_id: PartId(2),
                ..
            }
        )));
}

#[test]
fn a_part_without_verdict_is_rejected_as_late() {
    let (line, mut driver) = station::<Micros>(false, 0, driver_config(100_000, 10_000, 5_000));
    driver.set_ready(true);
    line.pulse_input(InputRole::Trigger, 5_000, 2_000);
    let seen = run(&line, &mut driver, 200_000, || 1_000, 0, |_| None);
    assert_eq!(seen.fires.len(), 1);
    assert_eq!(seen.fires[0].1, RejectReason::Late);
    assert_eq!(reject_pulses(&line).len(), 1);
    assert_eq!(driver.scheduler_stats().rejected_late, 1);
}

#[test]
fn debounce_ignores_glitches_and_chatter_and_is_taken_off_the_delay() {
    let (line, mut driver) = station::<Micros>(false, 2_000, driver_config(100_000, 10_000, 5_000));
    driver.set_ready(true);
    // A 1 ms glitch, then a part whose leading edge chatters for 1.5 ms.
    line.pulse_input(InputRole::Trigger, 10_000, 1_000);
    for (t, high) in [
        (30_000, true),
        (30_500, false),
        (31_000, true),
        (31_500, false),
    ] {
        line.set_input_at(InputRole::Trigger, t, high);
    }
    line.pulse_input(InputRole::Trigger, 32_000, 20_000);
    let seen = run(&line, &mut driver, 200_000, || 250, 1_000, |_| Some(DEFECT));
    assert_eq!(seen.triggers.len(), 1, "{:?}", seen.triggers);
    // Seen at 32 ms, accepted at 34 ms and dated 34 ms; fires at 32 ms + delay.
    assert_eq!(seen.triggers[0].1.get(), 34_000);
    assert_eq!(reject_pulses(&line)[0].start_us, 132_000);
}
