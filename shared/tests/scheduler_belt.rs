//! Simulated belts driving the reject scheduler, plus a property test over random event
//! sequences. A checking harness mirrors the scheduler's documented rules independently
//! and asserts, after every poll and at the end:
//! - every issued part id gets exactly one outcome (`Fire` or `Pass`), in id order;
//! - a `Pass` only for a part whose `Pass` verdict came before its deadline and that no
//!   rejecting verdict ever named: no defective or undecided part is passed;
//! - every `Fire` starts at the poll's position, is scheduled at `trigger + delay`, and
//!   reports its lateness (zero when polled at `next_wakeup`);
//! - the reject line stays high from each pulse's start to at least its end (merged
//!   pulses are never cut short) and is released exactly once per high period;
//! - the counters add up.
//!
//! The belts also check physics: with exact polling, each reject pulse starts within
//! the trigger jitter (µs) or the encoder quantisation (counts) of the moment the part
//! actually reaches the actuator.

use std::collections::BTreeMap;

use proptest::prelude::*;
use shared::scheduler::{
    Action, Axis, Config, EncoderCounts, Micros, PartId, Position, RejectReason, Scheduler,
    SchedulerError, Span, Verdict, VerdictAck,
};

// ─── checking harness ──────────────────────────────────────────────────────────────

/// What the harness knows about one issued part.
#[derive(Debug)]
struct Truth {
    fire_at: u64,
    deadline: u64,
    /// The verdict the scheduler should act on (first on-time one, upgraded by a later
    /// rejecting duplicate); `None` = no verdict in time.
    effective: Option<Verdict>,
    /// Some rejecting verdict named this part while it was in flight.
    reject_sent: bool,
    /// The ground truth, when the caller knows it (simulations).
    defective: Option<bool>,
    outcome: Option<Action<Micros>>,
}

/// Drives a scheduler and checks every answer against the rules (positions as u64 so
/// one harness serves both axes).
struct Harness<A: Axis, const N: usize> {
    s: Scheduler<A, N>,
    config: Config<A>,
    latest: u64,
    parts: Vec<Truth>,
    outcomes: Vec<(PartId, Action<A>)>,
    refused: u64,
    /// Line state as the actuator sees it.
    line_high_since: Option<u64>,
    line_scheduled_low: u64,
    /// (start, end) of every high period, and of every individual pulse.
    high_periods: Vec<(u64, u64)>,
    pulses: Vec<(u64, u64)>,
    /// Assert zero lateness (caller polls at every `next_wakeup`).
    exact: bool,
    late_fires: u64,
    max_late: u64,
    regressions: u64,
    late_ignored: u64,
    duplicates: u64,
    /// Position of the latest `Release`: a `Fire` there would make the line blink.
    released_at: Option<u64>,
    /// Verdicts delivered for an older id than an earlier verdict.
    out_of_order: u64,
    newest_verdict: Option<PartId>,
}

fn p<A: Axis>(v: u64) -> Position<A> {
    Position::new(v)
}

impl<A: Axis, const N: usize> Harness<A, N> {
    fn new(config: Config<A>, exact: bool) -> Self {
        Self {
            s: Scheduler::new(config).expect("valid config"),
            config,
            latest: 0,
            parts: Vec::new(),
            outcomes: Vec::new(),
            refused: 0,
            line_high_since: None,
            line_scheduled_low: 0,
            high_periods: Vec::new(),
            pulses: Vec::new(),
            exact,
            late_fires: 0,
            max_late: 0,
            regressions: 0,
            late_ignored: 0,
            duplicates: 0,
            released_at: None,
            out_of_order: 0,
            newest_verdict: None,
        }
    }

    fn clamp(&mut self, now: u64) -> u64 {
        if now < self.latest {
            self.regressions += 1;
        }
        self.latest = self.latest.max(now);
        self.latest
    }

    fn trigger(&mut self, now: u64, defective: Option<bool>) -> Option<PartId> {
        let raw = now;
        let now = self.clamp(now);
        match self.s.on_trigger(p(raw)) {
            Ok(id) => {
                assert_eq!(id, PartId(self.parts.len() as u64), "ids are consecutive");
                let fire_at = now + self.config.delay.get();
                let deadline = fire_at - self.config.decision_margin.get();
                assert_eq!(self.s.deadline(id), Some(p(deadline)));
                self.parts.push(Truth {
                    fire_at,
                    deadline,
                    effective: None,
                    reject_sent: false,
                    defective,
                    outcome: None,
                });
                Some(id)
            }
            Err(SchedulerError::QueueFull { capacity, at, .. }) => {
                assert_eq!((capacity, at), (N, now));
                assert_eq!(self.s.in_flight(), N, "refused only when full");
                self.refused += 1;
                None
            }
            Err(e) => panic!("unexpected trigger error {e}"),
        }
    }

    fn verdict(&mut self, id: PartId, v: Verdict, now: u64) {
        let raw = now;
        let now = self.clamp(now);
        if self.newest_verdict.is_some_and(|n| id < n) {
            self.out_of_order += 1;
        }
        self.newest_verdict = self.newest_verdict.max(Some(id));
        let got = self.s.on_verdict(id, v, p(raw));
        let Some(t) = self.parts.get_mut(id.0 as usize) else {
            assert!(
                matches!(got, Err(SchedulerError::UnknownPart { .. })),
                "{got:?}"
            );
            return;
        };
        if t.outcome.is_some() {
            assert_eq!(got, Ok(VerdictAck::IgnoredRetired));
            self.late_ignored += 1;
            return;
        }
        if v.rejects() {
            t.reject_sent = true;
        }
        match t.effective {
            Some(first) => {
                assert_eq!(got, Err(SchedulerError::DuplicateVerdict { part_id: id }));
                self.duplicates += 1;
                if first == Verdict::Pass && v.rejects() {
                    t.effective = Some(v);
                }
            }
            None if now >= t.deadline => {
                assert_eq!(got, Ok(VerdictAck::IgnoredLate), "{id} at {now}");
                self.late_ignored += 1;
            }
            None => {
                assert_eq!(got, Ok(VerdictAck::Accepted), "{id} at {now}");
                t.effective = Some(v);
            }
        }
    }

    fn poll(&mut self, now: u64) {
        let raw = now;
        let now = self.clamp(now);
        let actions: Vec<Action<A>> = self.s.poll(p(raw)).collect();
        for a in actions {
            self.check_action(a, now);
        }
        if let Some(w) = self.s.next_wakeup() {
            assert!(w.get() > now, "an action due at {now} was left behind");
        }
    }

    fn check_action(&mut self, a: Action<A>, now: u64) {
        if let Some(id) = a.part_id() {
            let first_open = self.parts.iter().position(|t| t.outcome.is_none());
            assert_eq!(first_open, Some(id.0 as usize), "outcomes in id order");
        }
        match a {
            Action::Fire {
                part_id,
                reason,
                scheduled_at,
                start_at,
                end_at,
                merged,
            } => {
                let t = &self.parts[part_id.0 as usize];
                assert_eq!(scheduled_at.get(), t.fire_at);
                assert!(t.fire_at <= now);
                assert_eq!(start_at.get(), now, "pulse starts at the poll");
                assert_eq!(end_at.get(), now + self.config.pulse_width.get());
                let expected = match t.effective {
                    None => RejectReason::Late,
                    Some(Verdict::Defect { code }) => RejectReason::Defect { code },
                    Some(Verdict::Failed) => RejectReason::Failed,
                    Some(Verdict::Pass) => panic!("{part_id} rejected despite a Pass"),
                };
                assert_eq!(reason, expected);
                let late = now - t.fire_at;
                assert_eq!(a.late_by().get(), late);
                if self.exact {
                    assert_eq!(late, 0, "{part_id} fired late when polled at wakeups");
                }
                if late > 0 {
                    self.late_fires += 1;
                    self.max_late = self.max_late.max(late);
                }
                assert_eq!(merged, self.line_high_since.is_some());
                assert_ne!(self.released_at, Some(now), "line blinked low at {now}");
                if self.line_high_since.is_none() {
                    self.line_high_since = Some(now);
                    self.line_scheduled_low = 0;
                }
                self.line_scheduled_low = self.line_scheduled_low.max(end_at.get());
                assert_eq!(self.s.line_high_until(), Some(p(self.line_scheduled_low)));
                self.pulses.push((start_at.get(), end_at.get()));
                self.parts[part_id.0 as usize].outcome = Some(erase(a));
            }
            Action::Pass { part_id, at } => {
                let t = &self.parts[part_id.0 as usize];
                assert_eq!(at.get(), t.fire_at);
                assert!(t.fire_at <= now);
                assert_eq!(
                    t.effective,
                    Some(Verdict::Pass),
                    "{part_id} passed undecided"
                );
                assert!(
                    !t.reject_sent,
                    "{part_id} passed though a verdict rejected it"
                );
                assert_ne!(t.defective, Some(true), "defective {part_id} passed");
                self.parts[part_id.0 as usize].outcome = Some(erase(a));
            }
            Action::Release { scheduled_at, at } => {
                let since = self.line_high_since.take().expect("release of a low line");
                assert_eq!(scheduled_at.get(), self.line_scheduled_low);
                assert_eq!(at.get(), now);
                assert!(
                    scheduled_at.get() <= now,
                    "released before the last pulse ended"
                );
                if self.exact {
                    assert_eq!(a.late_by().get(), 0);
                }
                self.high_periods.push((since, now));
                self.released_at = Some(now);
            }
        }
        self.outcomes
            .push((a.part_id().unwrap_or(PartId(u64::MAX)), a));
    }

    /// Polls far in the future until the line is low and every part has left, then
    /// checks the end-of-run invariants.
    fn finish(mut self) -> Self {
        let far = self.latest + self.config.delay.get() + self.config.pulse_width.get() + 1;
        if !self.exact {
            self.poll(far);
        }
        while let Some(w) = self.s.next_wakeup() {
            self.poll(w.get());
        }
        assert_eq!(self.s.in_flight(), 0);
        assert_eq!(self.s.line_high_until(), None);
        assert!(self.line_high_since.is_none());
        for (i, t) in self.parts.iter().enumerate() {
            assert!(t.outcome.is_some(), "part #{i} got no outcome");
        }
        let n_outcomes = self
            .outcomes
            .iter()
            .filter(|(_, a)| a.part_id().is_some())
            .count();
        assert_eq!(n_outcomes, self.parts.len(), "exactly one outcome per part");
        for &(start, end) in &self.pulses {
            assert!(
                self.high_periods
                    .iter()
                    .any(|&(s, e)| s <= start && end <= e),
                "pulse {start}..{end} cut short; line high periods {:?}",
                self.high_periods
            );
        }
        self.check_stats();
        self
    }

    fn check_stats(&self) {
        let st = self.s.stats();
        let count = |f: &dyn Fn(&Action<Micros>) -> bool| {
            self.parts
                .iter()
                .filter(|t| t.outcome.as_ref().is_some_and(f))
                .count() as u64
        };
        assert_eq!(st.triggered, self.parts.len() as u64);
        assert_eq!(st.passed, count(&|a| matches!(a, Action::Pass { .. })));
        let reason = |r: fn(&RejectReason) -> bool| {
            count(&move |a| matches!(a, Action::Fire { reason, .. } if r(reason)))
        };
        assert_eq!(
            st.rejected_defect,
            reason(|r| matches!(r, RejectReason::Defect { .. }))
        );
        assert_eq!(st.rejected_late, reason(|r| *r == RejectReason::Late));
        assert_eq!(st.rejected_failed, reason(|r| *r == RejectReason::Failed));
        let open = self.parts.iter().filter(|t| t.outcome.is_none()).count() as u64;
        assert_eq!(
            st.triggered,
            st.passed + st.rejected_defect + st.rejected_late + st.rejected_failed + open
        );
        assert_eq!(st.overflows, self.refused);
        assert_eq!(st.late_verdicts_ignored, self.late_ignored);
        assert_eq!(st.duplicate_verdicts, self.duplicates);
        assert_eq!(st.fired_late, self.late_fires);
        assert_eq!(st.max_fire_late_by, self.max_late);
        assert_eq!(st.time_regressions, self.regressions);
    }

    fn count_reason(&self, want: fn(&RejectReason) -> bool) -> usize {
        self.parts
            .iter()
            .filter(|t| matches!(&t.outcome, Some(Action::Fire { reason, .. }) if want(reason)))
            .count()
    }
}

/// Outcomes are stored axis-free (positions as raw numbers under the `Micros` tag).
fn erase<A: Axis>(a: Action<A>) -> Action<Micros> {
    match a {
        Action::Fire {
            part_id,
            reason,
            scheduled_at,
            start_at,
            end_at,
            merged,
        } => Action::Fire {
            part_id,
            reason,
            scheduled_at: p(scheduled_at.get()),
            start_at: p(start_at.get()),
            end_at: p(end_at.get()),
            merged,
        },
        Action::Pass { part_id, at } => Action::Pass {
            part_id,
            at: p(at.get()),
        },
        Action::Release { scheduled_at, at } => Action::Release {
            scheduled_at: p(scheduled_at.get()),
            at: p(at.get()),
        },
    }
}

// ─── deterministic randomness ──────────────────────────────────────────────────────

/// SplitMix64: small, seedable, good enough for simulation draws.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }
}

// ─── belt on the time axis ─────────────────────────────────────────────────────────

/// A belt at constant speed, camera → actuator `distance_um`, parts `pitch_um` apart.
#[derive(Clone, Copy, Debug)]
struct Belt {
    speed_um_per_s: u64,
    distance_um: u64,
    pitch_um: (u64, u64),
    /// Photo-eye/trigger latency, uniform in `0..=jitter_us`.
    jitter_us: u64,
    /// Valve on-time and decision margin.
    width_us: u64,
    margin_us: u64,
    p_defect: f64,
    p_failed: f64,
    /// Inference latency per frame, and rare spikes.
    latency_us: (u64, u64),
    p_spike: f64,
    spike_us: u64,
    /// Parallel inference workers (2 ⇒ verdicts out of order).
    workers: usize,
    /// `None`: poll at every `next_wakeup`; `Some(t)`: a loop ticking every `t` µs.
    tick_us: Option<u64>,
    /// Chance a verdict is delivered twice, or with a stale timestamp.
    p_duplicate: f64,
    p_stale: f64,
    parts: usize,
    seed: u64,
}

impl Belt {
    fn typical(speed_um_per_s: u64) -> Self {
        Belt {
            speed_um_per_s,
            distance_um: 400_000,
            pitch_um: (60_000, 150_000),
            jitter_us: 200,
            width_us: 15_000,
            margin_us: 5_000,
            p_defect: 0.1,
            p_failed: 0.02,
            latency_us: (10_000, 30_000),
            p_spike: 0.02,
            spike_us: 250_000,
            workers: 1,
            tick_us: None,
            p_duplicate: 0.0,
            p_stale: 0.0,
            parts: 2000,
            seed: speed_um_per_s,
        }
    }

    fn config(&self) -> Config<Micros> {
        Config {
            delay: Span::travel_time(self.distance_um, self.speed_um_per_s).unwrap(),
            pulse_width: Span::new(self.width_us),
            decision_margin: Span::new(self.margin_us),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Event {
    /// Part `k` trips the photo-eye (observed trigger time).
    Trigger(usize),
    /// Inference result for a part, with the timestamp the verdict carries.
    Verdict(u64, Verdict, u64),
    /// Loop tick (tick mode).
    Tick,
}

struct BeltRun<const N: usize> {
    h: Harness<Micros, N>,
    /// True arrival time at the actuator for each issued part id.
    arrival: BTreeMap<u64, u64>,
    untracked: usize,
}

fn run_belt<const N: usize>(b: Belt) -> BeltRun<N> {
    let mut rng = Rng(b.seed);
    let h = Harness::<Micros, N>::new(b.config(), b.tick_us.is_none());
    let travel = |um: u64| {
        Span::<Micros>::travel_time(um, b.speed_um_per_s)
            .unwrap()
            .get()
    };

    // Part k's leading edge reaches the camera at `cross[k]`, the actuator at
    // `cross[k] + travel(distance)`.
    let mut cross = Vec::with_capacity(b.parts);
    let mut belt_um = 1_000_000u64;
    for _ in 0..b.parts {
        belt_um += rng.range(b.pitch_um.0, b.pitch_um.1);
        cross.push(travel(belt_um));
    }
    let defective: Vec<bool> = (0..b.parts).map(|_| rng.chance(b.p_defect)).collect();

    // Event queue ordered by (time, insertion order).
    let mut events: BTreeMap<(u64, u64), Event> = BTreeMap::new();
    let mut seq = 0u64;
    let mut push = |events: &mut BTreeMap<(u64, u64), Event>, t: u64, e: Event| {
        seq += 1;
        events.insert((t, seq), e);
    };
    for (k, &t) in cross.iter().enumerate() {
        push(
            &mut events,
            t + rng.range(0, b.jitter_us),
            Event::Trigger(k),
        );
    }
    if let Some(tick) = b.tick_us {
        push(&mut events, tick, Event::Tick);
    }
    let mut worker_free = vec![0u64; b.workers];
    let mut run = BeltRun {
        h,
        arrival: BTreeMap::new(),
        untracked: 0,
    };
    let last_cross = *cross.last().unwrap();

    loop {
        let next_event = events.first_key_value().map(|(&(t, _), _)| t);
        let wake = if b.tick_us.is_none() {
            run.h.s.next_wakeup().map(|w| w.get())
        } else {
            None
        };
        let t = match (next_event, wake) {
            (Some(e), Some(w)) => e.min(w),
            (e, w) => match e.or(w) {
                Some(t) => t,
                None => break,
            },
        };
        if wake == Some(t) {
            run.h.poll(t);
        }
        while let Some(entry) = events.first_entry() {
            if entry.key().0 != t {
                break;
            }
            let e = entry.remove();
            match e {
                Event::Tick => {
                    run.h.poll(t);
                    if t <= last_cross + 3_000_000 {
                        push(&mut events, t + b.tick_us.unwrap(), Event::Tick);
                    }
                }
                Event::Trigger(k) => {
                    let Some(id) = run.h.trigger(t, Some(defective[k])) else {
                        run.untracked += 1;
                        continue;
                    };
                    run.arrival.insert(id.0, cross[k] + travel(b.distance_um));
                    // Inference: earliest free worker, serial within a worker.
                    let w = (0..b.workers).min_by_key(|&w| worker_free[w]).unwrap();
                    let mut latency = rng.range(b.latency_us.0, b.latency_us.1);
                    if rng.chance(b.p_spike) {
                        latency += b.spike_us;
                    }
                    let done = worker_free[w].max(t) + latency;
                    worker_free[w] = done;
                    let v = if rng.chance(b.p_failed) {
                        Verdict::Failed
                    } else if defective[k] {
                        Verdict::Defect { code: 1 }
                    } else {
                        Verdict::Pass
                    };
                    // A stale timestamp: taken when inference finished, delivered later.
                    let (deliver, stamp) = if rng.chance(b.p_stale) {
                        (done + rng.range(1, 3_000), done)
                    } else {
                        (done, done)
                    };
                    push(&mut events, deliver, Event::Verdict(id.0, v, stamp));
                    if rng.chance(b.p_duplicate) {
                        let again = if rng.chance(0.5) { Verdict::Pass } else { v };
                        push(
                            &mut events,
                            deliver + rng.range(0, 50_000),
                            Event::Verdict(id.0, again, deliver),
                        );
                    }
                }
                Event::Verdict(id, v, stamp) => run.h.verdict(PartId(id), v, stamp),
            }
        }
    }
    run.h = run.h.finish();
    run
}

impl<const N: usize> BeltRun<N> {
    /// With exact polling every pulse starts within the trigger jitter of the part's
    /// true arrival (trigger latency only ever delays, so the pulse is never early by
    /// more than the rounding of the delay).
    fn assert_pulses_hit_parts(&self, jitter: u64) {
        for (i, t) in self.h.parts.iter().enumerate() {
            if let Some(Action::Fire { start_at, .. }) = t.outcome {
                let arrival = self.arrival[&(i as u64)];
                let start = start_at.get();
                assert!(
                    start + 1 >= arrival && start <= arrival + jitter + 1,
                    "part #{i}: pulse at {start} µs, part at actuator at {arrival} µs"
                );
            }
        }
    }
}

#[test]
fn belts_at_three_speeds_fire_exactly_at_the_part_when_polled_at_wakeups() {
    for speed in [200_000, 800_000, 2_000_000] {
        let b = Belt::typical(speed);
        let run = run_belt::<32>(b);
        run.assert_pulses_hit_parts(b.jitter_us);
        let st = run.h.s.stats();
        assert_eq!(st.fired_late, 0);
        assert_eq!(st.overflows, 0, "capacity suffices at {speed} µm/s");
        assert!(st.passed > 1000, "{st:?}");
        assert!(st.rejected_defect > 100, "{st:?}");
        assert!(st.rejected_failed > 10, "{st:?}");
    }
}

#[test]
fn slow_belt_absorbs_inference_spikes_fast_belt_rejects_them_late() {
    // 0.2 m/s: 2 s to the actuator, a 1 s spike is still on time.
    let slow = run_belt::<32>(Belt::typical(200_000));
    assert_eq!(slow.h.s.stats().rejected_late, 0, "{:?}", slow.h.s.stats());
    // 2 m/s: 200 ms to the actuator, spikes (and the backlog behind them) are late.
    let fast = run_belt::<32>(Belt::typical(2_000_000));
    let st = *fast.h.s.stats();
    assert!(st.rejected_late > 20, "{st:?}");
    assert!(st.late_verdicts_ignored >= st.rejected_late - 1, "{st:?}");
    assert_eq!(
        fast.h.count_reason(|r| *r == RejectReason::Late) as u64,
        st.rejected_late
    );
}

#[test]
fn loop_ticking_every_millisecond_reports_its_lateness() {
    let b = Belt {
        tick_us: Some(1_000),
        ..Belt::typical(800_000)
    };
    let run = run_belt::<32>(b);
    let st = run.h.s.stats();
    assert!(st.fired_late > 0, "{st:?}");
    assert!(st.max_fire_late_by < 1_000, "{st:?}");
}

#[test]
fn back_to_back_parts_closer_than_the_pulse_merge_into_one_pulse() {
    let b = Belt {
        pitch_um: (2_000, 30_000),
        width_us: 40_000,
        p_defect: 0.5,
        latency_us: (1_000, 3_000),
        p_spike: 0.0,
        parts: 1500,
        ..Belt::typical(1_000_000)
    };
    let run = run_belt::<512>(b);
    run.assert_pulses_hit_parts(b.jitter_us);
    let merged = run
        .h
        .parts
        .iter()
        .filter(|t| matches!(t.outcome, Some(Action::Fire { merged: true, .. })))
        .count();
    assert!(merged > 200, "merged pulses: {merged}");
    assert!(run.h.high_periods.len() < run.h.pulses.len());
}

#[test]
fn frames_failing_often_are_all_rejected() {
    let b = Belt {
        p_failed: 0.3,
        ..Belt::typical(500_000)
    };
    let run = run_belt::<32>(b);
    let st = run.h.s.stats();
    assert!(st.rejected_failed > 400, "{st:?}");
}

#[test]
fn undersized_queue_refuses_and_counts_untracked_parts() {
    // ~1 m between camera and actuator, parts every 20–40 mm: ~35 in flight, room for 8.
    let b = Belt {
        distance_um: 1_000_000,
        pitch_um: (20_000, 40_000),
        parts: 500,
        ..Belt::typical(1_000_000)
    };
    let run = run_belt::<8>(b);
    let st = run.h.s.stats();
    assert!(st.overflows > 100, "{st:?}");
    assert_eq!(st.overflows as usize, run.untracked);
    assert_eq!(st.triggered as usize + run.untracked, b.parts);
}

#[test]
fn two_workers_duplicates_and_stale_stamps_keep_every_rule() {
    let b = Belt {
        workers: 2,
        latency_us: (10_000, 150_000),
        p_duplicate: 0.1,
        p_stale: 0.2,
        p_spike: 0.05,
        ..Belt::typical(1_500_000)
    };
    let run = run_belt::<64>(b);
    let st = run.h.s.stats();
    assert!(st.duplicate_verdicts > 50, "{st:?}");
    assert!(st.time_regressions > 50, "{st:?}");
    assert!(st.rejected_late > 0 && st.passed > 500, "{st:?}");
    assert!(
        run.h.out_of_order > 50,
        "out-of-order verdicts: {}",
        run.h.out_of_order
    );
    run.assert_pulses_hit_parts(b.jitter_us);
}

// ─── belt on the encoder axis ──────────────────────────────────────────────────────

/// Belt speed in µm/s at time `t_us`: accelerate, run, slow down, stop, restart.
fn speed_profile(t_us: u64) -> u64 {
    match (t_us / 1_000_000) % 20 {
        0..=1 => 200_000 + (t_us % 2_000_000) / 4, // ramp 0.2 → 0.7 m/s
        2..=8 => 700_000,
        9..=11 => 150_000,
        12 => 0, // stopped for a second
        _ => 1_200_000,
    }
}

#[test]
fn encoder_belt_with_speed_changes_and_a_stop_fires_at_the_part() {
    const UM_PER_COUNT: u64 = 100; // 10 000 counts/m
    const DT_US: u64 = 50;
    let distance_um = 350_000;
    let config = Config::<EncoderCounts> {
        delay: Span::travel_counts(distance_um, 1_000_000 / UM_PER_COUNT).unwrap(),
        pulse_width: Span::travel_counts(10_000, 1_000_000 / UM_PER_COUNT).unwrap(),
        decision_margin: Span::new(50),
    };
    assert_eq!(config.delay.get(), 3_500);
    let mut rng = Rng(7);
    let mut h = Harness::<EncoderCounts, 64>::new(config, true);

    // Parts at belt coordinates (µm of belt travel when they reach the camera).
    let mut cams = Vec::new();
    let mut c = 50_000u64;
    for _ in 0..1500 {
        c += rng.range(8_000, 60_000);
        cams.push(c);
    }
    let defective: Vec<bool> = (0..cams.len()).map(|_| rng.chance(0.15)).collect();

    let mut belt_um = 0u64;
    let mut counts = 0u64;
    let mut t = 0u64;
    let mut next_part = 0;
    let mut infer_free = 0u64;
    let mut pending: Vec<(u64, PartId, Verdict)> = Vec::new(); // (done time, id, verdict)
    let mut cam_of: BTreeMap<u64, u64> = BTreeMap::new();
    let end_um = cams.last().unwrap() + distance_um + 50_000;
    while belt_um < end_um {
        t += DT_US;
        belt_um += speed_profile(t) * DT_US / 1_000_000;
        let new_counts = belt_um / UM_PER_COUNT;
        // One encoder edge at a time, as an interrupt-driven loop sees them.
        for edge in counts + 1..=new_counts {
            h.poll(edge);
            while next_part < cams.len() && cams[next_part] / UM_PER_COUNT <= edge {
                if let Some(id) = h.trigger(edge, Some(defective[next_part])) {
                    cam_of.insert(id.0, cams[next_part]);
                    let latency =
                        rng.range(5_000, 25_000) + if rng.chance(0.02) { 300_000 } else { 0 };
                    infer_free = infer_free.max(t) + latency;
                    let v = if rng.chance(0.03) {
                        Verdict::Failed
                    } else if defective[next_part] {
                        Verdict::Defect { code: 2 }
                    } else {
                        Verdict::Pass
                    };
                    pending.push((infer_free, id, v));
                }
                next_part += 1;
            }
        }
        counts = new_counts;
        pending.retain(|&(done, id, v)| {
            if done <= t {
                h.verdict(id, v, counts);
                false
            } else {
                true
            }
        });
    }
    for (_, id, v) in pending {
        h.verdict(id, v, counts);
    }
    let h = h.finish();
    let st = *h.s.stats();
    assert_eq!(st.triggered, 1500, "{st:?}");
    assert!(st.rejected_defect > 150 && st.passed > 1000, "{st:?}");
    assert!(st.rejected_late > 0, "{st:?}");
    // Each pulse starts within one count of the part reaching the actuator.
    for (i, part) in h.parts.iter().enumerate() {
        if let Some(Action::Fire { start_at, .. }) = part.outcome {
            let arrival_counts = (cam_of[&(i as u64)] + distance_um) / UM_PER_COUNT;
            assert!(
                start_at.get().abs_diff(arrival_counts) <= 1,
                "part #{i}: pulse at count {}, part at actuator at count {arrival_counts}",
                start_at.get()
            );
        }
    }
}

// ─── random event sequences ────────────────────────────────────────────────────────

#[derive(Clone, Debug)]
enum Op {
    /// Advance by `dt` (may be "negative": a stale position) and trigger.
    Trigger { dt: i64 },
    /// Verdict for the part `back` ids before the newest (may be retired or unknown).
    Verdict { back: u64, kind: u8, dt: i64 },
    /// Poll at the current position, or at the next wakeup.
    Poll { dt: i64, at_wakeup: bool },
}

fn op() -> impl Strategy<Value = Op> {
    let dt = prop_oneof![8 => 0i64..60, 1 => -30i64..0, 1 => 60i64..400];
    prop_oneof![
        3 => dt.clone().prop_map(|dt| Op::Trigger { dt }),
        3 => (0u64..8, 0u8..4, dt.clone()).prop_map(|(back, kind, dt)| Op::Verdict { back, kind, dt }),
        3 => (dt, any::<bool>()).prop_map(|(dt, at_wakeup)| Op::Poll { dt, at_wakeup }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_event_sequences_keep_the_invariants(
        ops in prop::collection::vec(op(), 1..300),
        delay in 20u64..300,
        width in 1u64..80,
        margin_frac in 0u64..100,
    ) {
        let config = Config::<Micros> {
            delay: Span::new(delay),
            pulse_width: Span::new(width),
            decision_margin: Span::new(delay * margin_frac / 100),
        };
        let mut h = Harness::<Micros, 6>::new(config, false);
        let mut now: u64 = 1_000;
        let step = |now: u64, dt: i64| now.saturating_add_signed(dt);
        for op in ops {
            match op {
                Op::Trigger { dt } => {
                    now = step(now, dt);
                    h.trigger(now, None);
                }
                Op::Verdict { back, kind, dt } => {
                    now = step(now, dt);
                    let newest = h.parts.len() as u64;
                    // back = 0 names the id not issued yet.
                    let id = PartId(newest.wrapping_sub(back).min(newest));
                    let v = match kind {
                        0 | 1 => Verdict::Pass,
                        2 => Verdict::Defect { code: u16::from(kind) },
                        _ => Verdict::Failed,
                    };
                    h.verdict(id, v, now);
                }
                Op::Poll { dt, at_wakeup } => {
                    now = step(now, dt);
                    match (at_wakeup, h.s.next_wakeup()) {
                        // Polled exactly at the wakeup: nothing may be late.
                        (true, Some(w)) if w.get() >= h.latest => {
                            h.exact = true;
                            h.poll(w.get());
                            h.exact = false;
                            now = now.max(w.get());
                        }
                        (true, Some(w)) => h.poll(w.get()),
                        _ => h.poll(now),
                    }
                }
            }
            h.check_stats();
        }
        h.finish();
    }
}
