//! [`Scheduler`]: the FIFO of parts in flight and the reject line's state.

use heapless::Deque;

use super::axis::{Axis, Position, Span};
use super::config::Config;
use super::error::{ConfigError, SchedulerError};
use super::event::{Action, PartId, RejectReason, Stats, Verdict, VerdictAck};

/// One part between camera and actuator.
#[derive(Clone, Copy, Debug)]
struct Part<A: Axis> {
    id: PartId,
    fire_at: Position<A>,
    deadline: Position<A>,
    /// `None` while pending; only a verdict that arrived before `deadline` is stored
    /// (plus a rejecting duplicate, which overrides a `Pass`).
    verdict: Option<Verdict>,
}

/// The reject scheduler for one actuator, on axis `A`, tracking at most `N` parts in
/// flight. See the [module documentation](super) for the timeline and the rules.
///
/// Pure: it never reads a clock or touches a pin. The caller passes the current
/// position `now` (µs or encoder counts) with every event and acts on the returned
/// [`Action`]s.
///
/// Size `N` with [`Config::capacity_for_pitch`]. `N = 0` does not compile:
///
/// ```compile_fail,E0080
/// use shared::scheduler::{Config, Micros, Scheduler, Span};
/// let c = Config::<Micros> { delay: Span::new(10), pulse_width: Span::new(1), decision_margin: Span::ZERO };
/// let _ = Scheduler::<Micros, 0>::new(c);
/// ```
#[derive(Clone, Debug)]
pub struct Scheduler<A: Axis, const N: usize> {
    config: Config<A>,
    parts: Deque<Part<A>, N>,
    /// Id the next accepted trigger gets; the FIFO holds ids `next_id − len .. next_id`.
    next_id: u64,
    /// Newest position seen; earlier `now`s are clamped to it.
    latest: Position<A>,
    /// `Some(end)` while the reject line is high: the latest `end_at` of merged pulses.
    line_until: Option<Position<A>>,
    stats: Stats,
}

impl<A: Axis, const N: usize> Scheduler<A, N> {
    /// A scheduler with an empty FIFO, the reject line low and the axis at 0.
    ///
    /// # Errors
    /// [`ConfigError`] when the pulse width is 0 or the decision margin is not smaller
    /// than the delay.
    pub fn new(config: Config<A>) -> Result<Self, ConfigError> {
        if config.pulse_width.get() == 0 {
            return Err(ConfigError::ZeroPulseWidth { unit: A::UNIT });
        }
        if config.decision_margin >= config.delay {
            return Err(ConfigError::MarginNotBelowDelay {
                margin: config.decision_margin.get(),
                delay: config.delay.get(),
                unit: A::UNIT,
            });
        }
        Ok(Self {
            config,
            parts: Deque::new(),
            next_id: 0,
            latest: Position::ZERO,
            line_until: None,
            stats: Stats::default(),
        })
    }

    /// The configuration in use.
    #[must_use]
    pub const fn config(&self) -> &Config<A> {
        &self.config
    }

    /// Counters since [`Scheduler::new`].
    #[must_use]
    pub const fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Parts triggered whose outcome has not been emitted yet.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.parts.len()
    }

    /// Most parts in flight at once: `N`.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Newest position passed to any method (0 before the first); older ones are
    /// clamped to it.
    #[must_use]
    pub const fn latest_position(&self) -> Position<A> {
        self.latest
    }

    /// `Some(end)` while the reject line is high: where it is due to go low.
    #[must_use]
    pub const fn line_high_until(&self) -> Option<Position<A>> {
        self.line_until
    }

    /// The earliest position at which [`Scheduler::poll`] will have an action: the
    /// oldest part's `fire_at` or the line's release, whichever is first; `None` when
    /// nothing is scheduled. Polling exactly there gives actions with zero lateness.
    #[must_use]
    pub fn next_wakeup(&self) -> Option<Position<A>> {
        let fire = self.parts.front().map(|p| p.fire_at);
        match (fire, self.line_until) {
            (Some(f), Some(r)) => Some(f.min(r)),
            (f, r) => f.or(r),
        }
    }

    /// The verdict deadline of a part still in flight (`fire_at − decision_margin`):
    /// inference may skip a frame whose deadline has passed, its part is rejected anyway.
    #[must_use]
    pub fn deadline(&self, part_id: PartId) -> Option<Position<A>> {
        self.index_of(part_id)
            .and_then(|i| self.parts.get(i))
            .map(|p| p.deadline)
    }

    /// A part reached the camera at `now`. It will reach the actuator at
    /// `now + delay` (its `fire_at`) and needs a verdict before `fire_at − margin`.
    ///
    /// Poll before triggering at the same position, so parts that have reached the
    /// actuator free their slots first.
    ///
    /// # Errors
    /// - [`SchedulerError::QueueFull`] when `N` parts are in flight: the part is NOT
    ///   tracked and will pass the actuator undecided, so the caller must raise the
    ///   fault output. Counted in [`Stats::overflows`].
    /// - [`SchedulerError::PositionOverflow`] when `now + delay + pulse_width` exceeds
    ///   `u64::MAX`.
    pub fn on_trigger(&mut self, now: Position<A>) -> Result<PartId, SchedulerError> {
        let now = self.observe(now);
        let overflow = SchedulerError::PositionOverflow {
            at: now.get(),
            unit: A::UNIT,
        };
        let fire_at = now.checked_add(self.config.delay).ok_or(overflow)?;
        fire_at
            .checked_add(self.config.pulse_width)
            .ok_or(overflow)?;
        // `margin < delay` (checked in `new`), so the deadline falls after the trigger.
        let deadline = fire_at.saturating_sub(self.config.decision_margin);
        let id = PartId(self.next_id);
        let part = Part {
            id,
            fire_at,
            deadline,
            verdict: None,
        };
        if self.parts.push_back(part).is_err() {
            self.stats.overflows += 1;
            return Err(SchedulerError::QueueFull {
                capacity: N,
                at: now.get(),
                unit: A::UNIT,
            });
        }
        self.next_id += 1;
        self.stats.triggered += 1;
        Ok(id)
    }

    /// Inspection's verdict for `part_id`, delivered at `now`.
    ///
    /// Verdicts may come in any order (inference is serial, so they usually come in
    /// trigger order). A verdict counts only if it arrives strictly before the part's
    /// deadline; at or after it, the part is already committed to a reject
    /// ([`RejectReason::Late`]) whether or not the caller has polled since, so the
    /// outcome never depends on the order of calls at the same position.
    ///
    /// # Errors
    /// - [`SchedulerError::UnknownPart`] for an id never issued.
    /// - [`SchedulerError::DuplicateVerdict`] for a second verdict of a part in flight:
    ///   the first stands, except that a rejecting verdict replaces a `Pass` (even late).
    pub fn on_verdict(
        &mut self,
        part_id: PartId,
        verdict: Verdict,
        now: Position<A>,
    ) -> Result<VerdictAck, SchedulerError> {
        let now = self.observe(now);
        if part_id.0 >= self.next_id {
            return Err(SchedulerError::UnknownPart {
                part_id,
                last_issued: self.next_id.checked_sub(1).map(PartId),
            });
        }
        let Some(part) = self.index_of(part_id).and_then(|i| self.parts.get_mut(i)) else {
            self.stats.late_verdicts_ignored += 1;
            return Ok(VerdictAck::IgnoredRetired);
        };
        match part.verdict {
            Some(first) => {
                if first == Verdict::Pass && verdict.rejects() {
                    part.verdict = Some(verdict);
                }
                self.stats.duplicate_verdicts += 1;
                Err(SchedulerError::DuplicateVerdict { part_id })
            }
            None if now >= part.deadline => {
                self.stats.late_verdicts_ignored += 1;
                Ok(VerdictAck::IgnoredLate)
            }
            None => {
                part.verdict = Some(verdict);
                Ok(VerdictAck::Accepted)
            }
        }
    }

    /// The next action due at `now`, or `None` when nothing is due. Call until `None`
    /// (or use [`Scheduler::poll`]); actions not taken stay due and come at a later call,
    /// with their lateness reported.
    ///
    /// Order: due parts in FIFO order (their outcome: `Fire` or `Pass`), then the line's
    /// `Release`. A release is deferred while a due reject remains, so pulses that touch
    /// or overlap merge into one and a late poll never makes the line blink.
    pub fn next_action(&mut self, now: Position<A>) -> Option<Action<A>> {
        let now = self.observe(now);
        if let Some(part) = self.parts.pop_front_if(|p| p.fire_at <= now) {
            let reason = match part.verdict {
                Some(Verdict::Pass) => {
                    self.stats.passed += 1;
                    return Some(Action::Pass {
                        part_id: part.id,
                        at: part.fire_at,
                    });
                }
                Some(Verdict::Defect { code }) => {
                    self.stats.rejected_defect += 1;
                    RejectReason::Defect { code }
                }
                Some(Verdict::Failed) => {
                    self.stats.rejected_failed += 1;
                    RejectReason::Failed
                }
                None => {
                    self.stats.rejected_late += 1;
                    RejectReason::Late
                }
            };
            return Some(self.fire(part, reason, now));
        }
        match self.line_until {
            Some(until) if until <= now => {
                self.line_until = None;
                Some(Action::Release {
                    scheduled_at: until,
                    at: now,
                })
            }
            _ => None,
        }
    }

    /// All actions due at `now`, in order (see [`Scheduler::next_action`]). Dropping the
    /// iterator early leaves the rest due.
    pub fn poll(&mut self, now: Position<A>) -> Poll<'_, A, N> {
        let now = self.observe(now);
        Poll {
            scheduler: self,
            now,
        }
    }

    fn fire(&mut self, part: Part<A>, reason: RejectReason, now: Position<A>) -> Action<A> {
        let start_at = now;
        // A late pulse keeps its full width: the part has moved on by the lateness.
        let end_at = start_at.saturating_add(self.config.pulse_width);
        let late_by: Span<A> = start_at.saturating_since(part.fire_at);
        if late_by.get() > 0 {
            self.stats.fired_late += 1;
            self.stats.max_fire_late_by = self.stats.max_fire_late_by.max(late_by.get());
        }
        let merged = self.line_until.is_some();
        self.line_until = Some(self.line_until.map_or(end_at, |u| u.max(end_at)));
        Action::Fire {
            part_id: part.id,
            reason,
            scheduled_at: part.fire_at,
            start_at,
            end_at,
            merged,
        }
    }

    /// Clamps `now` to the newest position seen (counting regressions) and records it.
    fn observe(&mut self, now: Position<A>) -> Position<A> {
        if now < self.latest {
            self.stats.time_regressions += 1;
            self.latest
        } else {
            self.latest = now;
            now
        }
    }

    /// FIFO index of an in-flight part.
    fn index_of(&self, part_id: PartId) -> Option<usize> {
        let len = self.parts.len() as u64;
        let front = self.next_id - len;
        let offset = part_id.0.checked_sub(front)?;
        if offset < len {
            usize::try_from(offset).ok()
        } else {
            None
        }
    }
}

/// Iterator over the actions due at one position, from [`Scheduler::poll`].
#[derive(Debug)]
pub struct Poll<'a, A: Axis, const N: usize> {
    scheduler: &'a mut Scheduler<A, N>,
    now: Position<A>,
}

impl<A: Axis, const N: usize> Iterator for Poll<'_, A, N> {
    type Item = Action<A>;

    fn next(&mut self) -> Option<Action<A>> {
        self.scheduler.next_action(self.now)
    }
}

// Same position, no mutation in between: once `None`, always `None`.
impl<A: Axis, const N: usize> core::iter::FusedIterator for Poll<'_, A, N> {}
