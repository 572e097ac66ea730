//! The reject scheduler: decides, for every part that passed the camera, whether and
//! when the downstream actuator fires. A pure state machine: the caller feeds it
//! positions (a monotonic clock in µs, or encoder counts) with each event and carries
//! out the [`Action`]s it returns; it owns no clock, pin or allocation (`N` parts in a
//! `heapless::Deque`), so it runs and is tested anywhere, microcontrollers included.
//!
//! # Timeline of one part (all positions on one [`Axis`]: [`Micros`] or [`EncoderCounts`])
//!
//! ```text
//!  camera                                    actuator
//!  trigger            deadline               fire_at                  end_at
//! ───┬───────────────────┬──────────────────────┬────────────────────────┬────► axis
//!    ├──────────────── delay ───────────────────┤                        │
//!    │                   ├── decision_margin ───┤───── pulse_width ──────┤
//!    │ on_trigger → id   │                      │ Fire: line high        │ Release:
//!    │ verdict in time ◄─┤ verdict late:        │ (rejects) or Pass      │ line low
//!    │                   │ ignored, counted     │ (retires the part)     │
//! ```
//!
//! - `fire_at = trigger + delay`, `deadline = fire_at − decision_margin`,
//!   `end_at = start + pulse_width`, all in the same unit ([`Config`]). On the encoder
//!   axis the pulse therefore lasts `pulse_width` counts of belt travel.
//! - Parts in flight form a FIFO: triggers are monotonic, so `fire_at`s are too, and
//!   outcomes come out in trigger order.
//!
//! # The fail-safe rule
//! A part is passed only if a [`Verdict::Pass`] arrived strictly before its deadline
//! and no rejecting verdict came at all. Every other part is rejected when it reaches
//! the actuator: [`Verdict::Defect`] → [`RejectReason::Defect`], [`Verdict::Failed`] →
//! [`RejectReason::Failed`], no verdict by the deadline → [`RejectReason::Late`]. A late
//! verdict is ignored and counted ([`Stats::late_verdicts_ignored`]) and can never turn
//! a reject into a pass.
//!
//! # What always holds
//! - Every id issued by [`Scheduler::on_trigger`] gets exactly one outcome from
//!   [`Scheduler::poll`]: one [`Action::Fire`] or one [`Action::Pass`], in id order.
//! - Polled at its `fire_at` (e.g. at [`Scheduler::next_wakeup`]), a part's pulse starts
//!   exactly there. Polled late, it starts at the poll with its full width, and
//!   [`Action::late_by`] / [`Stats::fired_late`] report by how much.
//! - The reject line is never cut short: a pulse that starts while the line is high (or
//!   exactly as it is due to drop) merges into it, and the single [`Action::Release`]
//!   comes at the latest `end_at`.
//! - Positions never go back: a `now` behind the newest seen is treated as the newest
//!   (counted in [`Stats::time_regressions`]), so a jittering clock or an encoder that
//!   jogs backwards never fires anything early. u64 positions are assumed not to wrap.
//! - A trigger with `N` parts in flight is refused ([`SchedulerError::QueueFull`]) and
//!   counted: that part is untracked, so the caller must raise the fault output.
//!
//! # Driving it
//! ```
//! use shared::scheduler::{Action, Config, Micros, Position, Scheduler, Span, Verdict};
//!
//! let config = Config::<Micros> {
//!     delay: Span::travel_time(300_000, 500_000).unwrap(), // 300 mm at 0.5 m/s: 600 ms
//!     pulse_width: Span::new(20_000),                      // 20 ms valve pulse
//!     decision_margin: Span::new(5_000),
//! };
//! let mut sched = Scheduler::<Micros, 32>::new(config)?;
//! let id = sched.on_trigger(Position::new(1_000))?; // photo-eye edge
//! sched.on_verdict(id, Verdict::Defect { code: 0 }, Position::new(80_000))?;
//! let at = sched.next_wakeup().unwrap(); // sleep until then
//! assert_eq!(at, Position::new(601_000));
//! for action in sched.poll(at) {
//!     match action {
//!         Action::Fire { .. } => { /* reject line high */ }
//!         Action::Release { .. } => { /* reject line low */ }
//!         Action::Pass { .. } => { /* log */ }
//!     }
//! }
//! assert_eq!(sched.line_high_until(), Some(Position::new(621_000)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod axis;
mod config;
mod error;
mod event;
mod machine;

pub use axis::{Axis, EncoderCounts, Micros, Position, Span};
pub use config::Config;
pub use error::{ConfigError, SchedulerError};
pub use event::{Action, PartId, RejectReason, Stats, Verdict, VerdictAck};
pub use machine::{Poll, Scheduler};
