//! [`LineIo`]: the pins of one reject station, in logical terms. It owns the
//! `embedded-hal` pins, applies polarity, debounces the trigger, counts the encoder and
//! remembers what each output was last driven to, so writes happen only on change and a
//! failed write is retried at the next call.

use std::fmt;

use embedded_hal::digital::{InputPin, OutputPin};

use super::encoder::EncoderCounter;
use super::error::{LineError, PinError, PinOp};
use super::polarity::{Edge, EncoderMode, Polarity};
use super::trigger::TriggerDetector;

/// The outputs of a station.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputRole {
    /// Reject actuator (valve, pusher): active for the pulse.
    Reject,
    /// Fault / not-ready: active (asserted) whenever the system is not ready.
    Fault,
    /// Heartbeat: toggles while the line loop runs, for a PLC watchdog.
    Heartbeat,
}

/// The inputs of a station.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputRole {
    /// Photo-eye: one edge per part at the camera.
    Trigger,
    /// Encoder channel A.
    EncoderA,
    /// Encoder channel B (quadrature only).
    EncoderB,
}

impl OutputRole {
    /// Name used in messages and profiles.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            OutputRole::Reject => "reject",
            OutputRole::Fault => "fault",
            OutputRole::Heartbeat => "heartbeat",
        }
    }
}

impl InputRole {
    /// Name used in messages and profiles.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            InputRole::Trigger => "trigger",
            InputRole::EncoderA => "encoder A",
            InputRole::EncoderB => "encoder B",
        }
    }
}

impl fmt::Display for OutputRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for InputRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Line numbers of a station on its backend (BCM numbers for rppal, line offsets on the
/// chip for cdev; ignored by the simulated line except for which lines exist).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LineOffsets {
    /// Photo-eye input; `None` for free-run (the camera frame is the trigger).
    pub trigger: Option<u32>,
    /// Encoder channel A; `None` for time-based reject timing.
    pub encoder_a: Option<u32>,
    /// Encoder channel B (quadrature only).
    pub encoder_b: Option<u32>,
    /// Reject output.
    pub reject: u32,
    /// Fault / not-ready output.
    pub fault: u32,
    /// Heartbeat output, optional.
    pub heartbeat: Option<u32>,
}

/// The pins of a station, as a backend hands them over. Optional lines are `None`.
#[derive(Debug)]
pub struct LinePins<I, O> {
    /// Photo-eye input; `None` for free-run.
    pub trigger: Option<I>,
    /// Encoder channel A.
    pub encoder_a: Option<I>,
    /// Encoder channel B (quadrature only).
    pub encoder_b: Option<I>,
    /// Reject output.
    pub reject: O,
    /// Fault / not-ready output.
    pub fault: O,
    /// Heartbeat output.
    pub heartbeat: Option<O>,
}

/// Electrical conventions of a station.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LineConfig {
    /// Which trigger edge marks a part.
    pub trigger_edge: Edge,
    /// How long a new trigger level must hold before it counts, µs.
    pub debounce_us: u64,
    /// How the encoder is counted.
    pub encoder_mode: EncoderMode,
    /// Reject output polarity (usually active-high).
    pub reject: Polarity,
    /// Fault output polarity (active-low recommended: ready = driven high).
    pub fault: Polarity,
    /// Heartbeat output polarity.
    pub heartbeat: Polarity,
}

impl LineConfig {
    /// Electrical level (`true` = high) of `role` in its safe state: reject inactive,
    /// fault asserted, heartbeat inactive. Backends request outputs at this level so
    /// that no glitch occurs between claiming a pin and the first write.
    #[must_use]
    pub const fn safe_level(&self, role: OutputRole) -> bool {
        match role {
            OutputRole::Reject => self.reject.level(false),
            OutputRole::Fault => self.fault.level(true),
            OutputRole::Heartbeat => self.heartbeat.level(false),
        }
    }
}

/// What one sample of the inputs found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineSample {
    /// A part edge accepted by this sample: when it happened, µs (see
    /// [`TriggerDetector::sample`]).
    pub trigger_at_us: Option<u64>,
    /// Encoder position after this sample, counts; `None` without an encoder.
    pub encoder_counts: Option<u64>,
}

#[derive(Debug)]
struct Output<O> {
    pin: O,
    role: OutputRole,
    polarity: Polarity,
    /// What the pin was last driven to (logical); `None` after a failed write.
    active: Option<bool>,
}

impl<O: OutputPin> Output<O> {
    /// Drives the output to `active` unless it already is. Returns whether it wrote.
    fn drive(&mut self, active: bool) -> Result<bool, PinError> {
        if self.active == Some(active) {
            return Ok(false);
        }
        let result = if self.polarity.level(active) {
            self.pin.set_high()
        } else {
            self.pin.set_low()
        };
        match result {
            Ok(()) => {
                self.active = Some(active);
                Ok(true)
            }
            Err(e) => {
                // The level is unknown now: the next drive writes again.
                self.active = None;
                Err(PinError::new(self.role.name(), PinOp::Write, &e))
            }
        }
    }
}

#[derive(Debug)]
struct Encoder<I> {
    a: I,
    b: Option<I>,
    counter: EncoderCounter,
}

fn read<I: InputPin>(pin: &mut I, role: InputRole) -> Result<bool, PinError> {
    pin.is_high()
        .map_err(|e| PinError::new(role.name(), PinOp::Read, &e))
}

/// The I/O of one reject station. Built in the safe state (reject inactive, fault
/// asserted, heartbeat inactive); the polarity of each output is applied here and
/// nowhere else.
#[derive(Debug)]
pub struct LineIo<I, O> {
    trigger: Option<(I, TriggerDetector)>,
    encoder: Option<Encoder<I>>,
    reject: Output<O>,
    fault: Output<O>,
    heartbeat: Option<Output<O>>,
    config: LineConfig,
}

impl<I: InputPin, O: OutputPin> LineIo<I, O> {
    /// Takes the pins and drives every output to its safe state.
    ///
    /// # Errors
    /// [`LineError::QuadratureWithoutB`] for quadrature mode without a B pin;
    /// [`LineError::Pin`] when a safe-state write fails (the pins are dropped, which
    /// releases them on the real backends).
    pub fn new(pins: LinePins<I, O>, config: LineConfig) -> Result<Self, LineError> {
        let quadrature = config.encoder_mode == EncoderMode::Quadrature;
        if quadrature && pins.encoder_a.is_some() && pins.encoder_b.is_none() {
            return Err(LineError::QuadratureWithoutB);
        }
        let output = |pin, role, polarity| Output {
            pin,
            role,
            polarity,
            active: None,
        };
        let mut io = Self {
            trigger: pins.trigger.map(|pin| {
                (
                    pin,
                    TriggerDetector::new(config.trigger_edge, config.debounce_us),
                )
            }),
            encoder: pins.encoder_a.map(|a| Encoder {
                a,
                b: pins.encoder_b,
                counter: EncoderCounter::new(config.encoder_mode),
            }),
            reject: output(pins.reject, OutputRole::Reject, config.reject),
            fault: output(pins.fault, OutputRole::Fault, config.fault),
            heartbeat: pins
                .heartbeat
                .map(|pin| output(pin, OutputRole::Heartbeat, config.heartbeat)),
            config,
        };
        io.reject.drive(false)?;
        io.fault.drive(true)?;
        if let Some(h) = io.heartbeat.as_mut() {
            h.drive(false)?;
        }
        Ok(io)
    }

    /// The electrical conventions in use.
    #[must_use]
    pub const fn config(&self) -> &LineConfig {
        &self.config
    }

    /// Whether the station has a photo-eye input (otherwise it is free-run).
    #[must_use]
    pub const fn has_trigger(&self) -> bool {
        self.trigger.is_some()
    }

    /// Whether the station has an encoder input.
    #[must_use]
    pub const fn has_encoder(&self) -> bool {
        self.encoder.is_some()
    }

    /// Whether the station has a heartbeat output.
    #[must_use]
    pub const fn has_heartbeat(&self) -> bool {
        self.heartbeat.is_some()
    }

    /// Reads the trigger and encoder inputs at `now_us`. Every input is read even when
    /// another fails, so a trigger edge is never lost to an encoder error; each failure
    /// goes to `failed`, and the sample holds what could be read (the encoder count
    /// holds still for a tick in which a channel could not be read).
    pub fn sample(&mut self, now_us: u64, mut failed: impl FnMut(PinError)) -> LineSample {
        let mut sample = LineSample::default();
        if let Some((pin, detector)) = self.trigger.as_mut() {
            match read(pin, InputRole::Trigger) {
                Ok(high) => sample.trigger_at_us = detector.sample(high, now_us),
                Err(e) => failed(e),
            }
        }
        if let Some(enc) = self.encoder.as_mut() {
            let a = read(&mut enc.a, InputRole::EncoderA);
            // B is only read in quadrature mode.
            let b = match enc.b.as_mut() {
                Some(pin) if enc.counter.mode() == EncoderMode::Quadrature => {
                    read(pin, InputRole::EncoderB)
                }
                _ => Ok(false),
            };
            match (a, b) {
                (Ok(a), Ok(b)) => enc.counter.sample(a, b),
                (a, b) => {
                    for e in [a.err(), b.err()].into_iter().flatten() {
                        failed(e);
                    }
                }
            }
            sample.encoder_counts = Some(enc.counter.counts());
        }
        sample
    }

    /// Encoder position, counts; `None` without an encoder.
    #[must_use]
    pub fn encoder_counts(&self) -> Option<u64> {
        self.encoder.as_ref().map(|e| e.counter.counts())
    }

    /// Quadrature steps missed so far (0 without quadrature).
    #[must_use]
    pub fn encoder_missed(&self) -> u64 {
        self.encoder.as_ref().map_or(0, |e| e.counter.missed())
    }

    /// Drives `role` to `active` (logical) unless it already is; a missing heartbeat
    /// output is a no-op. Returns whether a write happened.
    ///
    /// # Errors
    /// The backend refused the write; the output's state is then unknown and the next
    /// call writes again.
    pub fn drive(&mut self, role: OutputRole, active: bool) -> Result<bool, PinError> {
        match role {
            OutputRole::Reject => self.reject.drive(active),
            OutputRole::Fault => self.fault.drive(active),
            OutputRole::Heartbeat => self
                .heartbeat
                .as_mut()
                .map_or(Ok(false), |h| h.drive(active)),
        }
    }

    /// What `role` was last driven to (logical); `None` after a failed write or for a
    /// missing heartbeat.
    #[must_use]
    pub fn output(&self, role: OutputRole) -> Option<bool> {
        match role {
            OutputRole::Reject => self.reject.active,
            OutputRole::Fault => self.fault.active,
            OutputRole::Heartbeat => self.heartbeat.as_ref().and_then(|h| h.active),
        }
    }

    /// Hands the pins back (in whatever state they were last driven to).
    pub fn release(self) -> LinePins<I, O> {
        let (trigger, encoder_a, encoder_b) = match (self.trigger, self.encoder) {
            (t, Some(e)) => (t.map(|t| t.0), Some(e.a), e.b),
            (t, None) => (t.map(|t| t.0), None, None),
        };
        LinePins {
            trigger,
            encoder_a,
            encoder_b,
            reject: self.reject.pin,
            fault: self.fault.pin,
            heartbeat: self.heartbeat.map(|h| h.pin),
        }
    }
}
