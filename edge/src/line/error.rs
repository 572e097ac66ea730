//! [`PinError`] (one failed pin access, at run time) and [`LineError`] (a line that
//! cannot be set up).

use std::fmt;

use shared::scheduler::ConfigError;

/// Read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinOp {
    /// `InputPin::is_high`.
    Read,
    /// `OutputPin::set_high` / `set_low`.
    Write,
}

impl fmt::Display for PinOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PinOp::Read => "read",
            PinOp::Write => "write",
        })
    }
}

/// One pin access that failed. Not generic over the backend's error type so that the
/// driver can count, report and log failures of any backend the same way; the backend's
/// error is kept as its `Debug` text (the only thing `embedded_hal` guarantees).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("GPIO {op} of the {line} line failed: {detail}")]
pub struct PinError {
    /// The line's role, e.g. `"reject"`.
    pub line: &'static str,
    /// What was attempted.
    pub op: PinOp,
    /// The backend's error.
    pub detail: String,
}

impl PinError {
    pub(crate) fn new(line: &'static str, op: PinOp, error: &impl fmt::Debug) -> Self {
        Self {
            line,
            op,
            detail: format!("{error:?}"),
        }
    }
}

/// Why line I/O or its driver could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// Setting the outputs to their safe state failed.
    #[error(transparent)]
    Pin(#[from] PinError),
    /// Quadrature decoding was asked for without a B channel.
    #[error("encoder mode `quadrature` needs a B channel: add the B line or use mode `rising`")]
    QuadratureWithoutB,
    /// The reject timing is on the encoder axis but no encoder input was given.
    #[error("reject timing is in encoder counts but the line has no encoder input")]
    NoEncoder,
    /// The scheduler refused the timing.
    #[error("reject timing: {0}")]
    Timing(#[from] ConfigError),
    /// The trigger debounce eats the whole camera→actuator delay.
    #[error("trigger debounce {debounce_us} µs + decision margin {margin_us} µs must be shorter than the camera→actuator delay {delay_us} µs")]
    DebounceTooLong {
        /// Debounce, µs.
        debounce_us: u64,
        /// Decision margin, µs.
        margin_us: u64,
        /// Delay, µs.
        delay_us: u64,
    },
    /// More parts in flight were asked for than the driver was compiled for.
    #[error("max parts in flight {requested} is not in 1..={capacity} (the driver's capacity)")]
    InFlightOutOfRange {
        /// Requested limit.
        requested: usize,
        /// The driver's compile-time capacity `N`.
        capacity: usize,
    },
}
