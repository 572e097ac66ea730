//! Encoder axis: the pulse starts at the same belt position whatever the speed, lasts
//! its width in counts, and is cut when the belt stops with the valve on.

use edge::line::{EncoderCounts, InputRole, LineEvent};
use shared::scheduler::Verdict;

use crate::bench::{driver_config, reject_pulses, run, station, Jitter};

/// Scripts `counts` encoder cycles on channel A from `start_us`, one per `period_us`;
/// returns the time of each rising edge (edge `j` moves the count to `j + 1`).
fn belt(line: &edge::line::SimLine, start_us: u64, period_us: u64, counts: u64) -> Vec<u64> {
    (0..counts)
        .map(|j| {
            let rise = start_us + j * period_us;
            line.pulse_input(InputRole::EncoderA, rise, period_us / 2);
            rise
        })
        .collect()
}

#[test]
fn pulse_starts_at_the_same_belt_position_at_two_speeds() {
    let (delay, width) = (400, 20);
    for (period_us, seed) in [(1_000, 11), (400, 12)] {
        let (line, mut driver) = station::<EncoderCounts>(true, 0, driver_config(delay, width, 5));
        driver.set_ready(true);
        let rises = belt(&line, 1_000, period_us, 1_000);
        // Photo-eye between counts 50 and 51.
        line.pulse_input(
            InputRole::Trigger,
            rises[50] + period_us / 4,
            20 * period_us,
        );
        let end_us = rises[999];
        let mut tick = Jitter::new(seed);
        let seen = run(
            &line,
            &mut driver,
            end_us,
            || tick.between(80, 120),
            10_000,
            |_| Some(Verdict::Defect { code: 1 }),
        );
        let gap = driver.stats().max_tick_gap_us;
        assert_eq!(seen.triggers.len(), 1);
        let trigger_count = seen.triggers[0].1.get();
        assert_eq!(trigger_count, 51, "count at the photo-eye");
        let pulses = reject_pulses(&line);
        assert_eq!(pulses.len(), 1, "period {period_us} µs: {pulses:?}");
        // Count n is reached at rises[n - 1].
        let on = rises[(trigger_count + delay - 1) as usize];
        let off = rises[(trigger_count + delay + width - 1) as usize];
        let p = pulses[0];
        assert!(
            (on..on + gap).contains(&p.start_us),
            "{p:?}, count reached at {on}"
        );
        let end = p.start_us + p.width_us.expect("ended");
        assert!((off..off + gap).contains(&end), "{p:?}, ends at {off}");
    }
}

#[test]
fn a_stopped_belt_cuts_the_pulse_after_the_maximum_on_time() {
    let mut config = driver_config::<EncoderCounts>(100, 20, 5);
    config.max_pulse_us = Some(50_000);
    let (line, mut driver) = station::<EncoderCounts>(true, 0, config);
    driver.set_ready(true);
    // 1 count per ms for 110 counts, then the belt stops; 200 more counts from 400 ms.
    let mut rises = belt(&line, 1_000, 1_000, 110);
    line.pulse_input(InputRole::Trigger, 2_500, 5_000);
    rises.extend(belt(&line, 400_000, 1_000, 200));
    let seen = run(
        &line,
        &mut driver,
        700_000,
        || 100,
        5_000,
        |_| Some(Verdict::Failed),
    );
    let pulses = reject_pulses(&line);
    assert_eq!(pulses.len(), 1, "{pulses:?}");
    let width = pulses[0].width_us.expect("cut");
    assert!((50_000..50_100).contains(&width), "width {width} µs");
    assert_eq!(driver.stats().capped_pulses, 1);
    assert!(seen
        .events
        .iter()
        .any(|(_, e)| matches!(e, LineEvent::PulseCapped { .. })));
    // The scheduler's release, once the belt moves on, does not raise the valve again.
    assert!(seen
        .events
        .iter()
        .any(|(t, e)| *t > 400_000 && matches!(e, LineEvent::PulseEnded { .. })));
    assert!(!driver.faults().any(), "a stopped belt is not a fault");
}
