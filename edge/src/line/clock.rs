//! [`MonotonicClock`]: the one source of "now" for the line, in microseconds. Injected so
//! that debounce, pulse timing and the simulated line run on a clock tests control.

use std::time::Instant;

/// A monotonic clock in microseconds since an arbitrary epoch. Never goes backwards.
pub trait MonotonicClock {
    /// Microseconds since the clock's epoch.
    fn now_us(&self) -> u64;
}

impl<C: MonotonicClock + ?Sized> MonotonicClock for &C {
    fn now_us(&self) -> u64 {
        (**self).now_us()
    }
}

/// The process's monotonic clock ([`Instant`]), with its epoch at [`StdClock::new`].
#[derive(Clone, Copy, Debug)]
pub struct StdClock {
    origin: Instant,
}

impl StdClock {
    /// A clock reading 0 now.
    #[must_use]
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

impl MonotonicClock for StdClock {
    fn now_us(&self) -> u64 {
        // u64 µs lasts 584 000 years: saturating is only a formality.
        u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_clock_starts_near_zero_and_never_goes_back() {
        let clock = StdClock::new();
        let a = clock.now_us();
        let b = clock.now_us();
        assert!(a < 1_000_000, "a fresh clock reads {a} µs");
        assert!(b >= a);
    }
}
