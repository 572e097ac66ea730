//! [`AnyInput`] / [`AnyOutput`]: one pin type over every backend, so the line loop is
//! compiled once and the backend is chosen at run time (`--gpio rppal|cdev|sim`).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use embedded_hal::digital::{ErrorKind, ErrorType, InputPin, OutputPin};
use serde::Deserialize;

use super::backend::BackendError;
use super::io::{LineConfig, LineOffsets, LinePins};
use super::sim::{SimError, SimInput, SimLine, SimOutput};

/// Which GPIO backend drives the station.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// Raspberry Pi registers through `rppal` (feature `rppal`).
    Rppal,
    /// Linux GPIO character device through `gpiocdev` (feature `cdev`).
    Cdev,
    /// The simulated line (always built).
    Sim,
}

impl Backend {
    /// Name as in profiles and on the command line.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Rppal => "rppal",
            Backend::Cdev => "cdev",
            Backend::Sim => "sim",
        }
    }

    /// Whether this build can open it.
    #[must_use]
    pub const fn is_compiled(self) -> bool {
        match self {
            Backend::Rppal => cfg!(feature = "rppal"),
            Backend::Cdev => cfg!(feature = "cdev"),
            Backend::Sim => true,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error of [`Backend::from_str`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown GPIO backend `{0}`: expected rppal, cdev or sim")]
pub struct UnknownBackend(pub String);

impl FromStr for Backend {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rppal" => Ok(Backend::Rppal),
            "cdev" => Ok(Backend::Cdev),
            "sim" => Ok(Backend::Sim),
            other => Err(UnknownBackend(other.to_owned())),
        }
    }
}

/// An input pin of any backend.
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyInput {
    /// Simulated.
    Sim(SimInput),
    /// Raspberry Pi.
    #[cfg(feature = "rppal")]
    Rppal(rppal::gpio::InputPin),
    /// GPIO character device.
    #[cfg(feature = "cdev")]
    Cdev(gpiocdev_embedded_hal::InputPin),
}

/// An output pin of any backend.
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyOutput {
    /// Simulated.
    Sim(SimOutput),
    /// Raspberry Pi.
    #[cfg(feature = "rppal")]
    Rppal(rppal::gpio::OutputPin),
    /// GPIO character device.
    #[cfg(feature = "cdev")]
    Cdev(gpiocdev_embedded_hal::OutputPin),
}

/// Error of an [`AnyInput`] / [`AnyOutput`] (rppal's pins cannot fail).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnyPinError {
    /// Simulated failure.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// GPIO character device.
    #[cfg(feature = "cdev")]
    #[error(transparent)]
    Cdev(#[from] gpiocdev_embedded_hal::Error),
}

impl embedded_hal::digital::Error for AnyPinError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

impl ErrorType for AnyInput {
    type Error = AnyPinError;
}

impl ErrorType for AnyOutput {
    type Error = AnyPinError;
}

impl InputPin for AnyInput {
    fn is_high(&mut self) -> Result<bool, AnyPinError> {
        match self {
            AnyInput::Sim(p) => Ok(p.is_high()?),
            #[cfg(feature = "rppal")]
            AnyInput::Rppal(p) => Ok(p.is_high().unwrap_or_else(|never| match never {})),
            #[cfg(feature = "cdev")]
            AnyInput::Cdev(p) => Ok(p.is_high()?),
        }
    }

    fn is_low(&mut self) -> Result<bool, AnyPinError> {
        self.is_high().map(|h| !h)
    }
}

impl OutputPin for AnyOutput {
    fn set_low(&mut self) -> Result<(), AnyPinError> {
        self.set_level(false)
    }

    fn set_high(&mut self) -> Result<(), AnyPinError> {
        self.set_level(true)
    }
}

impl AnyOutput {
    fn set_level(&mut self, high: bool) -> Result<(), AnyPinError> {
        let state = high.into();
        match self {
            AnyOutput::Sim(p) => Ok(p.set_state(state)?),
            #[cfg(feature = "rppal")]
            AnyOutput::Rppal(p) => {
                p.set_state(state).unwrap_or_else(|never| match never {});
                Ok(())
            }
            #[cfg(feature = "cdev")]
            AnyOutput::Cdev(p) => Ok(p.set_state(state)?),
        }
    }
}

fn wrap<I, O>(
    pins: LinePins<I, O>,
    input: fn(I) -> AnyInput,
    output: fn(O) -> AnyOutput,
) -> LinePins<AnyInput, AnyOutput> {
    LinePins {
        trigger: pins.trigger.map(input),
        encoder_a: pins.encoder_a.map(input),
        encoder_b: pins.encoder_b.map(input),
        reject: output(pins.reject),
        fault: output(pins.fault),
        heartbeat: pins.heartbeat.map(output),
    }
}

/// Opens the station's lines on `backend`: `chip` is the cdev chip (required for cdev,
/// ignored otherwise), `sim` the simulated line used for [`Backend::Sim`]. Outputs start
/// in their safe state (reject inactive, fault asserted).
///
/// # Errors
/// [`BackendError::NotCompiled`] for a backend this build lacks; otherwise the
/// backend's own errors (off-board: `UnknownModel` from rppal, [`BackendError::NoChip`]
/// from cdev).
pub fn open(
    backend: Backend,
    chip: Option<&Path>,
    offsets: &LineOffsets,
    config: &LineConfig,
    sim: &SimLine,
) -> Result<LinePins<AnyInput, AnyOutput>, BackendError> {
    // Unused in builds without the hardware features.
    let _ = (chip, config);
    match backend {
        Backend::Sim => Ok(wrap(sim.pins(offsets), AnyInput::Sim, AnyOutput::Sim)),
        #[cfg(feature = "rppal")]
        Backend::Rppal => {
            super::rppal::open(offsets, config).map(|p| wrap(p, AnyInput::Rppal, AnyOutput::Rppal))
        }
        #[cfg(feature = "cdev")]
        Backend::Cdev => {
            let chip = chip.ok_or(BackendError::NoChipPath)?;
            super::cdev::open(chip, offsets, config)
                .map(|p| wrap(p, AnyInput::Cdev, AnyOutput::Cdev))
        }
        #[allow(unreachable_patterns)]
        other => Err(BackendError::NotCompiled {
            backend: other.name(),
        }),
    }
}
