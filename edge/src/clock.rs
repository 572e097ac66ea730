//! Time for the line side: a [`Clock`] gives monotonic microseconds (the axis of
//! `shared::scheduler::Micros`) and can sleep. Sources and wrappers take a [`SharedClock`]
//! so that tests drive time with a [`ManualClock`] instead of waiting.
//!
//! What always holds: `now_us` never decreases on one clock; `sleep_us(d)` returns after
//! `now_us` has advanced by at least `d` (a [`ManualClock`] advances it at once).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A monotonic microsecond clock that can sleep.
pub trait Clock: Send + Sync {
    /// Microseconds since this clock's epoch (arbitrary, fixed for the clock's lifetime).
    fn now_us(&self) -> u64;
    /// Blocks the calling thread for `us` microseconds (a test clock just advances).
    fn sleep_us(&self, us: u64);
}

/// The clock handle sources and wrappers hold.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock: `std::time::Instant` (CLOCK_MONOTONIC on Linux) with its epoch at
/// creation, and `std::thread::sleep`.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    epoch: Instant,
}

impl MonotonicClock {
    /// A clock whose epoch is now.
    #[must_use]
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }

    /// A new [`MonotonicClock`] as a [`SharedClock`].
    #[must_use]
    pub fn shared() -> SharedClock {
        Arc::new(Self::new())
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    fn now_us(&self) -> u64 {
        // u64 µs lasts 584 000 years: saturating is only a formality.
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn sleep_us(&self, us: u64) {
        std::thread::sleep(Duration::from_micros(us));
    }
}

/// A test double: time moves only when told to or when someone sleeps, and every sleep
/// is recorded so tests can check back-off and pacing without waiting.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_us: AtomicU64,
    sleeps_us: Mutex<Vec<u64>>,
}

impl ManualClock {
    /// A clock at `start_us`.
    #[must_use]
    pub fn new(start_us: u64) -> Arc<Self> {
        Arc::new(Self {
            now_us: AtomicU64::new(start_us),
            sleeps_us: Mutex::new(Vec::new()),
        })
    }

    /// Moves time forward by `us` (without recording a sleep).
    pub fn advance_us(&self, us: u64) {
        self.now_us.fetch_add(us, Ordering::SeqCst);
    }

    /// Every `sleep_us` argument so far, in call order.
    #[must_use]
    pub fn sleeps_us(&self) -> Vec<u64> {
        self.sleeps_us
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> u64 {
        self.now_us.load(Ordering::SeqCst)
    }

    fn sleep_us(&self, us: u64) {
        self.sleeps_us
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(us);
        self.advance_us(us);
    }
}

/// Wall-clock time as microseconds since the Unix epoch (0 if the system clock is set
/// before 1970); for logs only, never for deadlines, since it can jump.
#[must_use]
pub fn unix_time_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_advances_only_when_told_and_records_sleeps() {
        let clock = ManualClock::new(100);
        assert_eq!(clock.now_us(), 100);
        clock.sleep_us(50);
        clock.advance_us(7);
        clock.sleep_us(3);
        assert_eq!(clock.now_us(), 160);
        assert_eq!(clock.sleeps_us(), vec![50, 3]);
    }

    #[test]
    fn monotonic_clock_never_goes_back() {
        let clock = MonotonicClock::new();
        let a = clock.now_us();
        clock.sleep_us(200);
        let b = clock.now_us();
        assert!(b >= a + 200, "{a} then {b}");
    }
}
