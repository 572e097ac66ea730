//! [`BackendError`]: why a hardware backend could not hand over the station's pins.

use std::path::PathBuf;

/// Why a GPIO backend could not open the station's lines. Off-board (a PC, CI) this is
/// what the real backends return; they never panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The backend was not compiled in.
    #[error("GPIO backend `{backend}` is not compiled in: rebuild with `--features {backend}` (or use `--gpio sim`)")]
    NotCompiled {
        /// `"rppal"` or `"cdev"`.
        backend: &'static str,
    },
    /// A line number does not fit the backend.
    #[error("{role} line {line} is not a valid {backend} line number")]
    BadLine {
        /// Backend name.
        backend: &'static str,
        /// The line's role.
        role: &'static str,
        /// The number given.
        line: u32,
    },
    /// rppal could not open the GPIO peripheral (not a Raspberry Pi: `UnknownModel`).
    #[cfg(feature = "rppal")]
    #[error("rppal: cannot open the Raspberry Pi GPIO ({source}); not a Raspberry Pi? use `--gpio cdev` or `--gpio sim`")]
    Rppal {
        /// rppal's error.
        #[source]
        source: rppal::gpio::Error,
    },
    /// rppal refused one pin (in use, not available).
    #[cfg(feature = "rppal")]
    #[error("rppal: cannot claim BCM GPIO {line} for the {role} line: {source}")]
    RppalLine {
        /// The line's role.
        role: &'static str,
        /// BCM number.
        line: u8,
        /// rppal's error.
        #[source]
        source: rppal::gpio::Error,
    },
    /// The GPIO character device does not exist.
    #[error("no GPIO chip {}: wrong board profile, or not on the board (list chips with `gpiodetect`)", chip.display())]
    NoChip {
        /// The chip path from the profile.
        chip: PathBuf,
    },
    /// The cdev backend needs a chip path.
    #[error("the cdev backend needs `gpio.chip` in the board profile (e.g. \"/dev/gpiochip0\")")]
    NoChipPath,
    /// The kernel refused a line request (busy, permission, no such offset).
    #[cfg(feature = "cdev")]
    #[error("cdev: cannot request line {line} on {} for the {role} line: {source} (in group `gpio`? line used by another process?)", chip.display())]
    CdevLine {
        /// The chip path.
        chip: PathBuf,
        /// The line's role.
        role: &'static str,
        /// The offset on the chip.
        line: u32,
        /// gpiocdev's error.
        #[source]
        source: gpiocdev_embedded_hal::Error,
    },
}
