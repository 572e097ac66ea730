//! The reject scheduler's rules, one behaviour per test: configuration checks, the
//! fail-safe rule, verdict handling, pulse merging, lateness and clamped positions.

use shared::scheduler::{
    Action, Config, ConfigError, EncoderCounts, Micros, PartId, Position, RejectReason, Scheduler,
    SchedulerError, Span, Verdict, VerdictAck,
};

type Pos = Position<Micros>;

fn at(v: u64) -> Pos {
    Position::new(v)
}

/// delay 1000 µs, pulse 100 µs, margin 200 µs: deadline = trigger + 800.
fn config() -> Config<Micros> {
    Config {
        delay: Span::new(1000),
        pulse_width: Span::new(100),
        decision_margin: Span::new(200),
    }
}

fn sched<const N: usize>() -> Scheduler<Micros, N> {
    Scheduler::new(config()).expect("valid config")
}

fn drain<const N: usize>(s: &mut Scheduler<Micros, N>, now: u64) -> Vec<Action<Micros>> {
    s.poll(at(now)).collect()
}

fn fire(
    part: u64,
    reason: RejectReason,
    scheduled: u64,
    start: u64,
    merged: bool,
) -> Action<Micros> {
    Action::Fire {
        part_id: PartId(part),
        reason,
        scheduled_at: at(scheduled),
        start_at: at(start),
        end_at: at(start + 100),
        merged,
    }
}

fn release(scheduled: u64, now: u64) -> Action<Micros> {
    Action::Release {
        scheduled_at: at(scheduled),
        at: at(now),
    }
}

const DEFECT: Verdict = Verdict::Defect { code: 7 };
const DEFECT_REASON: RejectReason = RejectReason::Defect { code: 7 };

#[test]
fn rejects_zero_pulse_width() {
    let c = Config {
        pulse_width: Span::ZERO,
        ..config()
    };
    let err = Scheduler::<Micros, 4>::new(c).unwrap_err();
    assert_eq!(err, ConfigError::ZeroPulseWidth { unit: "µs" });
    assert!(err.to_string().contains("0 µs"), "{err}");
}

#[test]
fn rejects_margin_not_below_delay() {
    let c = Config::<EncoderCounts> {
        delay: Span::new(500),
        pulse_width: Span::new(10),
        decision_margin: Span::new(500),
    };
    let err = Scheduler::<EncoderCounts, 4>::new(c).unwrap_err();
    assert_eq!(
        err,
        ConfigError::MarginNotBelowDelay {
            margin: 500,
            delay: 500,
            unit: "counts"
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("500 counts") && msg.contains("lower the margin"),
        "{msg}"
    );
}

#[test]
fn accepts_zero_margin() {
    let c = Config {
        decision_margin: Span::ZERO,
        ..config()
    };
    let mut s = Scheduler::<Micros, 4>::new(c).unwrap();
    let id = s.on_trigger(at(0)).unwrap();
    assert_eq!(s.deadline(id), Some(at(1000)));
}

#[test]
fn fires_exactly_at_trigger_plus_delay() {
    let mut s = sched::<4>();
    let id = s.on_trigger(at(50)).unwrap();
    assert_eq!(id, PartId(0));
    assert_eq!(s.deadline(id), Some(at(850)));
    s.on_verdict(id, DEFECT, at(300)).unwrap();
    assert_eq!(s.next_wakeup(), Some(at(1050)));
    assert!(drain(&mut s, 1049).is_empty());
    let actions = drain(&mut s, 1050);
    assert_eq!(actions, [fire(0, DEFECT_REASON, 1050, 1050, false)]);
    assert_eq!(actions[0].late_by(), Span::ZERO);
    assert_eq!(s.line_high_until(), Some(at(1150)));
    assert_eq!(s.next_wakeup(), Some(at(1150)));
    assert!(drain(&mut s, 1149).is_empty());
    assert_eq!(drain(&mut s, 1150), [release(1150, 1150)]);
    assert_eq!(s.next_wakeup(), None);
    assert_eq!(s.stats().rejected_defect, 1);
    assert_eq!(s.stats().fired_late, 0);
}

#[test]
fn pass_verdict_passes_without_pulse() {
    let mut s = sched::<4>();
    let id = s.on_trigger(at(0)).unwrap();
    assert_eq!(
        s.on_verdict(id, Verdict::Pass, at(799)),
        Ok(VerdictAck::Accepted)
    );
    assert_eq!(
        drain(&mut s, 1000),
        [Action::Pass {
            part_id: id,
            at: at(1000)
        }]
    );
    assert_eq!(s.line_high_until(), None);
    assert_eq!(s.stats().passed, 1);
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn no_verdict_by_deadline_rejects_late() {
    let mut s = sched::<4>();
    s.on_trigger(at(0)).unwrap();
    assert_eq!(
        drain(&mut s, 1000),
        [fire(0, RejectReason::Late, 1000, 1000, false)]
    );
    assert_eq!(s.stats().rejected_late, 1);
}

#[test]
fn verdict_exactly_at_deadline_is_late() {
    let mut s = sched::<4>();
    let id = s.on_trigger(at(0)).unwrap();
    assert_eq!(
        s.on_verdict(id, Verdict::Pass, at(800)),
        Ok(VerdictAck::IgnoredLate)
    );
    assert_eq!(
        drain(&mut s, 1000),
        [fire(0, RejectReason::Late, 1000, 1000, false)]
    );
    assert_eq!(s.stats().late_verdicts_ignored, 1);
    assert_eq!(s.stats().passed, 0);
}

#[test]
fn late_verdict_after_fire_position_but_before_poll_never_passes() {
    let mut s = sched::<4>();
    let id = s.on_trigger(at(0)).unwrap();
    // The caller missed the poll at 1000; a Pass at 1200 must not rescue the part.
    assert_eq!(
        s.on_verdict(id, Verdict::Pass, at(1200)),
        Ok(VerdictAck::IgnoredLate)
    );
    assert_eq!(
        drain(&mut s, 1200),
        [fire(0, RejectReason::Late, 1000, 1200, false)]
    );
}

#[test]
fn verdict_after_retirement_is_ignored_and_counted() {
    let mut s = sched::<4>();
    let id = s.on_trigger(at(0)).unwrap();
    drain(&mut s, 1000);
    assert_eq!(
        s.on_verdict(id, Verdict::Pass, at(1010)),
        Ok(VerdictAck::IgnoredRetired)
    );
    assert_eq!(s.stats().late_verdicts_ignored, 1);
    assert_eq!(s.stats().rejected_late, 1);
    assert_eq!(s.stats().passed, 0);
}

#[test]
fn unknown_part_id_is_an_error() {
    let mut s = sched::<4>();
    assert_eq!(
        s.on_verdict(PartId(0), Verdict::Pass, at(0)),
        Err(SchedulerError::UnknownPart {
            part_id: PartId(0),
            last_issued: None
        })
    );
    s.on_trigger(at(0)).unwrap();
    let err = s.on_verdict(PartId(5), Verdict::Pass, at(1)).unwrap_err();
    assert_eq!(
        err,
        SchedulerError::UnknownPart {
            part_id: PartId(5),
            last_issued: Some(PartId(0))
        }
    );
    assert!(err.to_string().contains("part #5"), "{err}");
}

#[test]
fn duplicate_defect_after_pass_rejects() {
    let mut s = sched::<4>();
    let id = s.on_trigger(at(0)).unwrap();
    s.on_verdict(id, Verdict::Pass, at(100)).unwrap();
    assert_eq!(
        s.on_verdict(id, DEFECT, at(900)),
        Err(SchedulerError::DuplicateVerdict { part_id: id })
    );
    assert_eq!(
        drain(&mut s, 1000),
        [fire(0, DEFECT_REASON, 1000, 1000, false)]
    );
    assert_eq!(s.stats().duplicate_verdicts, 1);
}

#[test]
fn duplicate_pass_after_defect_still_rejects() {
    let mut s = sched::<4>();
    let id = s.on_trigger(at(0)).unwrap();
    s.on_verdict(id, Verdict::Failed, at(100)).unwrap();
    assert!(s.on_verdict(id, Verdict::Pass, at(200)).is_err());
    assert_eq!(
        drain(&mut s, 1000),
        [fire(0, RejectReason::Failed, 1000, 1000, false)]
    );
    assert_eq!(s.stats().rejected_failed, 1);
}

#[test]
fn out_of_order_verdicts_are_accepted() {
    let mut s = sched::<4>();
    let a = s.on_trigger(at(0)).unwrap();
    let b = s.on_trigger(at(10)).unwrap();
    assert_eq!(
        s.on_verdict(b, Verdict::Pass, at(20)),
        Ok(VerdictAck::Accepted)
    );
    assert_eq!(s.on_verdict(a, DEFECT, at(30)), Ok(VerdictAck::Accepted));
    assert_eq!(
        drain(&mut s, 1000),
        [fire(0, DEFECT_REASON, 1000, 1000, false)]
    );
    assert_eq!(
        drain(&mut s, 1010),
        [Action::Pass {
            part_id: b,
            at: at(1010)
        }]
    );
}

#[test]
fn queue_full_refuses_counts_and_issues_no_id() {
    let mut s = sched::<2>();
    s.on_trigger(at(0)).unwrap();
    s.on_trigger(at(1)).unwrap();
    let err = s.on_trigger(at(2)).unwrap_err();
    assert_eq!(
        err,
        SchedulerError::QueueFull {
            capacity: 2,
            at: 2,
            unit: "µs"
        }
    );
    assert!(err.to_string().contains("fault"), "{err}");
    assert_eq!(s.stats().overflows, 1);
    assert_eq!(s.stats().triggered, 2);
    drain(&mut s, 1000);
    assert_eq!(
        s.on_trigger(at(1000)),
        Ok(PartId(2)),
        "ids stay consecutive"
    );
}

#[test]
fn overlapping_pulses_merge_and_release_at_the_last_end() {
    let mut s = sched::<4>();
    for t in [0, 40, 90] {
        s.on_trigger(at(t)).unwrap();
    }
    assert_eq!(
        drain(&mut s, 1000),
        [fire(0, RejectReason::Late, 1000, 1000, false)]
    );
    assert_eq!(
        drain(&mut s, 1040),
        [fire(1, RejectReason::Late, 1040, 1040, true)]
    );
    assert_eq!(s.line_high_until(), Some(at(1140)));
    assert_eq!(
        drain(&mut s, 1090),
        [fire(2, RejectReason::Late, 1090, 1090, true)]
    );
    assert!(
        drain(&mut s, 1189).is_empty(),
        "line held until the last end"
    );
    assert_eq!(drain(&mut s, 1190), [release(1190, 1190)]);
}

#[test]
fn touching_pulses_merge() {
    let mut s = sched::<4>();
    s.on_trigger(at(0)).unwrap();
    s.on_trigger(at(100)).unwrap();
    drain(&mut s, 1000);
    assert_eq!(s.next_wakeup(), Some(at(1100)));
    assert_eq!(
        drain(&mut s, 1100),
        [fire(1, RejectReason::Late, 1100, 1100, true)]
    );
    assert_eq!(drain(&mut s, 1200), [release(1200, 1200)]);
}

#[test]
fn separate_pulses_release_in_between() {
    let mut s = sched::<4>();
    s.on_trigger(at(0)).unwrap();
    s.on_trigger(at(150)).unwrap();
    drain(&mut s, 1000);
    assert_eq!(drain(&mut s, 1100), [release(1100, 1100)]);
    assert_eq!(
        drain(&mut s, 1150),
        [fire(1, RejectReason::Late, 1150, 1150, false)]
    );
}

#[test]
fn late_poll_starts_pulse_at_poll_with_full_width_and_reports_lateness() {
    let mut s = sched::<4>();
    s.on_trigger(at(0)).unwrap();
    let actions = drain(&mut s, 1030);
    assert_eq!(actions, [fire(0, RejectReason::Late, 1000, 1030, false)]);
    assert_eq!(actions[0].late_by(), Span::new(30));
    assert_eq!(s.stats().fired_late, 1);
    assert_eq!(s.stats().max_fire_late_by, 30);
    assert_eq!(s.line_high_until(), Some(at(1130)));
    let actions = drain(&mut s, 1135);
    assert_eq!(actions, [release(1130, 1135)]);
    assert_eq!(actions[0].late_by(), Span::new(5));
}

#[test]
fn late_poll_over_a_gap_keeps_the_line_high() {
    let mut s = sched::<4>();
    s.on_trigger(at(0)).unwrap();
    s.on_trigger(at(150)).unwrap();
    drain(&mut s, 1000);
    // Missed the release at 1100 and the fire at 1150: no low blink, one merged pulse.
    assert_eq!(
        drain(&mut s, 1160),
        [fire(1, RejectReason::Late, 1150, 1160, true)]
    );
    assert_eq!(drain(&mut s, 1260), [release(1260, 1260)]);
}

#[test]
fn late_poll_emits_outcomes_in_fifo_order() {
    let mut s = sched::<4>();
    let a = s.on_trigger(at(0)).unwrap();
    let b = s.on_trigger(at(300)).unwrap();
    s.on_verdict(a, Verdict::Pass, at(10)).unwrap();
    s.on_verdict(b, Verdict::Failed, at(310)).unwrap();
    let actions = drain(&mut s, 5000);
    assert_eq!(
        actions,
        [
            Action::Pass {
                part_id: a,
                at: at(1000)
            },
            fire(1, RejectReason::Failed, 1300, 5000, false),
            // Nothing after: the line is due low at 5100.
        ]
    );
    assert_eq!(drain(&mut s, 5100), [release(5100, 5100)]);
}

#[test]
fn dropping_poll_early_keeps_actions_due() {
    let mut s = sched::<4>();
    s.on_trigger(at(0)).unwrap();
    s.on_trigger(at(1)).unwrap();
    let first = s.poll(at(1001)).next();
    assert_eq!(first.and_then(|a| a.part_id()), Some(PartId(0)));
    assert_eq!(
        drain(&mut s, 1001),
        [fire(1, RejectReason::Late, 1001, 1001, true)]
    );
}

#[test]
fn time_going_backwards_is_clamped_and_counted() {
    let mut s = sched::<4>();
    s.on_trigger(at(0)).unwrap();
    assert!(drain(&mut s, 500).is_empty());
    // A stale timestamp for the next trigger: taken as 500, never earlier.
    let id = s.on_trigger(at(400)).unwrap();
    assert_eq!(s.deadline(id), Some(at(1300)));
    assert_eq!(s.stats().time_regressions, 1);
    assert_eq!(s.latest_position(), at(500));
    // A stale verdict timestamp cannot make a late verdict on time: 790 < 800 but the
    // scheduler has already seen 900.
    let c = s.on_trigger(at(900)).unwrap();
    let _ = c;
    assert_eq!(
        s.on_verdict(PartId(0), Verdict::Pass, at(790)),
        Ok(VerdictAck::IgnoredLate)
    );
    // A backwards poll does nothing early.
    assert!(drain(&mut s, 100).is_empty());
    assert_eq!(s.stats().time_regressions, 3);
}

#[test]
fn position_overflow_is_refused() {
    let mut s = sched::<4>();
    // fire_at + pulse end = MAX exactly: still representable.
    assert_eq!(s.on_trigger(at(u64::MAX - 1100)), Ok(PartId(0)));
    let err = s.on_trigger(at(u64::MAX - 1050)).unwrap_err();
    assert!(
        matches!(err, SchedulerError::PositionOverflow { .. }),
        "{err:?}"
    );
    assert_eq!(s.stats().triggered, 1);
    assert_eq!(s.in_flight(), 1);
}

#[test]
fn encoder_axis_pulse_width_is_in_counts() {
    let c = Config::<EncoderCounts> {
        delay: Span::travel_counts(300_000, 2000).unwrap(),
        pulse_width: Span::travel_counts(20_000, 2000).unwrap(),
        decision_margin: Span::new(10),
    };
    assert_eq!(c.delay, Span::new(600));
    assert_eq!(c.pulse_width, Span::new(40));
    let mut s = Scheduler::<EncoderCounts, 8>::new(c).unwrap();
    s.on_trigger(Position::new(1000)).unwrap();
    let a: Vec<_> = s.poll(Position::new(1600)).collect();
    assert!(matches!(a[..], [Action::Fire { end_at, .. }] if end_at == Position::new(1640)));
    // The belt stands: the line stays high however long it takes.
    assert_eq!(s.poll(Position::new(1639)).count(), 0);
    assert_eq!(s.poll(Position::new(1639)).count(), 0);
    assert_eq!(s.poll(Position::new(1640)).count(), 1);
}

#[test]
fn travel_time_rounds_to_nearest_microsecond() {
    assert_eq!(
        Span::travel_time(300_000, 500_000),
        Some(Span::<Micros>::new(600_000))
    );
    assert_eq!(
        Span::travel_time(1, 3_000_000),
        Some(Span::<Micros>::new(0))
    );
    assert_eq!(
        Span::travel_time(2, 3_000_000),
        Some(Span::<Micros>::new(1))
    );
    assert_eq!(Span::travel_time(1, 0), None::<Span<Micros>>);
    assert_eq!(Span::travel_time(u64::MAX, 1), None::<Span<Micros>>);
}

#[test]
fn capacity_for_pitch_covers_the_parts_in_flight() {
    let c = config();
    assert_eq!(c.capacity_for_pitch(Span::new(100)), Some(11));
    assert_eq!(c.capacity_for_pitch(Span::new(300)), Some(5));
    assert_eq!(c.capacity_for_pitch(Span::ZERO), None);
    // Triggers exactly 100 µs apart, poll before trigger: 10 in flight at most.
    let mut s = sched::<10>();
    for k in 0..100u64 {
        let now = k * 100;
        drain(&mut s, now);
        s.on_trigger(at(now)).expect("capacity suffices");
    }
}

#[test]
fn positions_display_their_unit() {
    assert_eq!(Position::<Micros>::new(5).to_string(), "5 µs");
    assert_eq!(
        format!("{:?}", Span::<EncoderCounts>::new(3)),
        "Span(3 counts)"
    );
    assert_eq!(PartId(4).to_string(), "part #4");
}
