//! Line I/O: the reject station's pins behind `embedded-hal` 1.0 traits, and the
//! tick-driven glue to [`shared::scheduler`].
//!
//! - [`LineIo`] owns the pins ([`LinePins`]): trigger input (photo-eye, debounced by
//!   [`TriggerDetector`]; absent for free-run), optional encoder input
//!   ([`EncoderCounter`]: A-channel edges, or A/B quadrature), and the reject, fault and
//!   heartbeat outputs with a [`Polarity`] each. It speaks logical levels (reject active,
//!   fault asserted); polarity is applied there and nowhere else.
//! - [`LineDriver`] runs a [`shared::scheduler::Scheduler`] on µs ([`Micros`]) or encoder
//!   counts ([`EncoderCounts`]): each [`LineDriver::tick`] samples inputs, tracks new
//!   parts, carries out due actions and reconciles every output with what it should be,
//!   reporting [`LineEvent`]s. Time comes from an injected [`MonotonicClock`].
//! - Backends hand over pins: [`sim`] (always built; a scripted, recorded line on a
//!   [`SimClock`]), `rppal` (feature `rppal`, Raspberry Pi), `cdev` (feature `cdev`,
//!   `/dev/gpiochipN`, Jetson and any Linux). [`open`] picks one at run time and returns
//!   [`AnyInput`]/[`AnyOutput`] pins.
//!
//! # What always holds
//! - Outputs start safe: reject inactive, fault asserted, heartbeat inactive — requested
//!   at that level by the backends, then written again by [`LineIo::new`].
//! - The fault output is asserted unless the station was declared ready and no fault is
//!   latched: a failed pin read or write, an untracked part (queue full) or a reject that
//!   fired a pulse width late. Faults stay latched until [`LineDriver::clear_faults`].
//! - A failed write is counted ([`LineStats`]), reported ([`LineEvent::PinFailed`]) and
//!   retried at the next tick; it is never ignored.
//! - A pulse starts on the first tick at or after its scheduled position and keeps its
//!   full width; so pulse edges are late by less than one tick period. On the time axis
//!   the schedule is counted from the first tick that saw the trigger level (the
//!   debounce is taken off the delay), so a trigger is itself seen less than one tick
//!   after the physical edge.
//!
//! # Fault line polarity (fail-safe)
//! Recommended wiring: fault `active-low`, i.e. the board drives the line *high* only
//! while ready, with a pull-down on the PLC input. A board without power, a cut wire, a
//! pin released by a stopped process (rppal returns pins to inputs on drop) all read
//! low = fault. A process killed by SIGKILL may leave a cdev or rppal line at its last
//! level, so the PLC must also watch the heartbeat output (toggling every half period
//! while the loop runs) and treat a stalled heartbeat as fault.

mod any;
mod axis;
mod backend;
#[cfg(feature = "cdev")]
pub mod cdev;
mod clock;
mod driver;
mod encoder;
mod error;
mod event;
mod io;
mod polarity;
#[cfg(feature = "rppal")]
pub mod rppal;
pub mod sim;
mod trigger;

pub use any::{open, AnyInput, AnyOutput, AnyPinError, Backend, UnknownBackend};
pub use axis::LineAxis;
pub use backend::BackendError;
pub use clock::{MonotonicClock, StdClock};
pub use driver::{DriverConfig, LineDriver, LINE_CAPACITY};
pub use encoder::EncoderCounter;
pub use error::{LineError, PinError, PinOp};
pub use event::{FaultCause, Faults, LineEvent, LineStats};
pub use io::{InputRole, LineConfig, LineIo, LineOffsets, LinePins, LineSample, OutputRole};
pub use polarity::{Edge, EncoderMode, Polarity};
pub use sim::{SimClock, SimLine};
pub use trigger::TriggerDetector;

pub use shared::scheduler::{EncoderCounts, Micros};
