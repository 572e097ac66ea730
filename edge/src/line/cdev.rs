//! The Linux GPIO character-device backend (`gpiocdev`, feature `cdev`): any Linux
//! board, Jetson included; a chip path (`/dev/gpiochipN`) and line offsets on it.

use std::path::Path;

use embedded_hal::digital::PinState;
use gpiocdev_embedded_hal::{InputPin, OutputPin};

use super::backend::BackendError;
use super::io::{InputRole, LineConfig, LineOffsets, LinePins, OutputRole};

/// A cdev chip's pins.
pub type CdevPins = LinePins<InputPin, OutputPin>;

/// Requests the station's lines on `chip`, outputs at their safe level from the
/// first instant. The kernel releases them when the pins are dropped or the process
/// dies; what level a released line keeps depends on the driver, which is why the PLC
/// must also watch the heartbeat.
///
/// # Errors
/// [`BackendError::NoChip`] when `chip` does not exist (off-board);
/// [`BackendError::CdevLine`] when the kernel refuses a line (busy, permission).
pub fn open(
    chip: &Path,
    offsets: &LineOffsets,
    config: &LineConfig,
) -> Result<CdevPins, BackendError> {
    if !chip.exists() {
        return Err(BackendError::NoChip {
            chip: chip.to_path_buf(),
        });
    }
    let refused = |role: &'static str, line: u32| {
        move |source| BackendError::CdevLine {
            chip: chip.to_path_buf(),
            role,
            line,
            source,
        }
    };
    let input = |role: InputRole, line: Option<u32>| {
        line.map(|l| InputPin::new(chip, l).map_err(refused(role.name(), l)))
            .transpose()
    };
    let output = |role: OutputRole, line: u32| {
        let level = PinState::from(config.safe_level(role));
        OutputPin::new(chip, line, level).map_err(refused(role.name(), line))
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
