//! The Raspberry Pi backend (`rppal`, feature `rppal`): BCM GPIO numbers, memory-mapped
//! registers through `/dev/gpiomem`. Inputs keep the pull the board (or an opto-isolated
//! input card) provides.

use rppal::gpio::{Gpio, InputPin, OutputPin};

use super::backend::BackendError;
use super::io::{InputRole, LineConfig, LineOffsets, LinePins, OutputRole};

/// The Pi's pins.
pub type RppalPins = LinePins<InputPin, OutputPin>;

/// Claims the station's pins, outputs at their safe level from the first instant.
/// rppal puts each pin back as it found it when dropped (an output becomes an input
/// again): with an active-low fault line and a pull-down at the PLC, a stopped process
/// therefore reads as fault.
///
/// # Errors
/// [`BackendError::Rppal`] off a Raspberry Pi (`UnknownModel`) or without access to
/// `/dev/gpiomem`; [`BackendError::RppalLine`] for a pin in use or missing;
/// [`BackendError::BadLine`] for a number over 255.
pub fn open(offsets: &LineOffsets, config: &LineConfig) -> Result<RppalPins, BackendError> {
    let gpio = Gpio::new().map_err(|source| BackendError::Rppal { source })?;
    let claim = |role: &'static str, line: u32| {
        let bcm = u8::try_from(line).map_err(|_| BackendError::BadLine {
            backend: "rppal",
            role,
            line,
        })?;
        gpio.get(bcm).map_err(|source| BackendError::RppalLine {
            role,
            line: bcm,
            source,
        })
    };
    let input = |role: InputRole, line: Option<u32>| {
        line.map(|l| claim(role.name(), l).map(|p| p.into_input()))
            .transpose()
    };
    let output = |role: OutputRole, line: u32| {
        claim(role.name(), line).map(|p| {
            if config.safe_level(role) {
                p.into_output_high()
            } else {
                p.into_output_low()
            }
        })
    };
    Ok(LinePins {
        trigger: input(InputRole::Trigger, offsets.trigger)?,
        encoder_a: input(InputRole::EncoderA, offsets.encoder_a)?,
        encoder_b: input(InputRole::EncoderB, offsets.encoder_b)?,
        reject: output(OutputRole::Reject, offsets.reject)?,
        fault: output(OutputRole::Fault, offsets.fault)?,
        heartbeat: offsets
            .heartbeat
            .map(|l| output(OutputRole::Heartbeat, l))
            .transpose()?,
    })
}
