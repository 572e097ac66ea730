//! [`Reconnecting`]: keeps a camera coming back. When the wrapped source reports a device
//! fault ([`SourceError::is_device_fault`]: unplugged, ioctl failure, timeout), it is
//! dropped (closing the device) and reopened through a user-supplied opener, with
//! exponential back-off between attempts.
//!
//! - Every call that yields no frame returns an `Err`: the fault itself, then one
//!   [`SourceError::Reopen`] per failed attempt. The line loop counts each as a failed
//!   frame (reject, never pass) and raises the fault line while
//!   [`FrameSource::is_healthy`] is false.
//! - Each call makes at most one reopen attempt, after sleeping the current back-off on
//!   the injected clock: `initial`, then doubling up to `max`, reset by the first frame
//!   after a reopen. So a call blocks at most `max` plus one open. The very first open
//!   (nothing has failed yet) does not wait.
//! - Errors that concern one frame (undecodable data, a buffer flagged corrupt) are
//!   passed through without reopening: the device still streams.
//! - `seq` is renumbered across reopens, so the wrapper's frames count 0, 1, 2, … without
//!   gaps; `captured_us` is the wrapped source's stamp.

use std::time::Duration;

use super::{Frame, FrameSource, SourceError};
use crate::clock::SharedClock;

/// Exponential back-off between reopen attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial_us: u64,
    max_us: u64,
}

/// An impossible back-off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("back-off: {0}")]
pub struct BackoffError(&'static str);

impl Backoff {
    /// Waits `initial` before the first reopen attempt, doubling after each failed one up
    /// to `max`.
    ///
    /// # Errors
    /// `initial` of zero, or `max` shorter than `initial`.
    pub fn new(initial: Duration, max: Duration) -> Result<Self, BackoffError> {
        let us = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let (initial_us, max_us) = (us(initial), us(max));
        if initial_us == 0 {
            return Err(BackoffError("`initial` must be at least 1 µs"));
        }
        if max_us < initial_us {
            return Err(BackoffError("`max` must not be shorter than `initial`"));
        }
        Ok(Self { initial_us, max_us })
    }

    /// The first delay, in µs.
    #[must_use]
    pub fn initial_us(&self) -> u64 {
        self.initial_us
    }

    /// The longest delay, in µs.
    #[must_use]
    pub fn max_us(&self) -> u64 {
        self.max_us
    }

    /// The delay after `delay_us`: `initial` from zero, else doubled, capped at `max`.
    fn after(&self, delay_us: u64) -> u64 {
        if delay_us == 0 {
            self.initial_us
        } else {
            delay_us.saturating_mul(2).min(self.max_us)
        }
    }
}

impl Default for Backoff {
    /// 100 ms, doubling up to 5 s.
    fn default() -> Self {
        Self {
            initial_us: 100_000,
            max_us: 5_000_000,
        }
    }
}

/// A source that reopens itself after device faults; see the [module docs](self).
pub struct Reconnecting<S, F> {
    name: String,
    opener: F,
    source: Option<S>,
    backoff: Backoff,
    clock: SharedClock,
    /// Sleep before the next open attempt (0: none).
    delay_us: u64,
    /// Failed open attempts since the source was last up.
    failed_attempts: u32,
    /// The source has delivered a frame at least once (so an open is a *re*connect).
    was_up: bool,
    healthy: bool,
    reconnects: u64,
    seq: u64,
}

impl<S, F> Reconnecting<S, F>
where
    S: FrameSource,
    F: FnMut() -> Result<S, SourceError>,
{
    /// Wraps the source that `opener` opens; `name` (e.g. the device path) labels errors.
    /// Nothing is opened until the first [`FrameSource::next_frame`].
    pub fn new(name: impl Into<String>, opener: F, backoff: Backoff, clock: SharedClock) -> Self {
        Self {
            name: name.into(),
            opener,
            source: None,
            backoff,
            clock,
            delay_us: 0,
            failed_attempts: 0,
            was_up: false,
            healthy: false,
            reconnects: 0,
            seq: 0,
        }
    }

    /// Times the source came back after a device fault.
    #[must_use]
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Failed open attempts since the source was last up.
    #[must_use]
    pub fn failed_attempts(&self) -> u32 {
        self.failed_attempts
    }

    fn went_down(&mut self) {
        self.source = None;
        self.healthy = false;
        // Zero unless the source failed again before delivering a frame since its last
        // reopen: then the streak goes on and the back-off grows.
        self.delay_us = self.backoff.after(self.delay_us);
    }
}

impl<S, F> FrameSource for Reconnecting<S, F>
where
    S: FrameSource,
    F: FnMut() -> Result<S, SourceError>,
{
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if self.source.is_none() {
            if self.delay_us > 0 {
                self.clock.sleep_us(self.delay_us);
            }
            match (self.opener)() {
                Ok(source) => {
                    if self.was_up {
                        self.reconnects += 1;
                    }
                    self.source = Some(source);
                }
                Err(e) => {
                    self.failed_attempts = self.failed_attempts.saturating_add(1);
                    self.delay_us = self.backoff.after(self.delay_us);
                    self.healthy = false;
                    return Err(SourceError::Reopen {
                        source_name: self.name.clone(),
                        attempt: self.failed_attempts,
                        retry_in_ms: self.delay_us / 1000,
                        source: Box::new(e),
                    });
                }
            }
        }
        let Some(source) = self.source.as_mut() else {
            return Ok(None);
        };
        match source.next_frame() {
            Ok(Some(mut frame)) => {
                frame.seq = self.seq;
                self.seq += 1;
                self.healthy = true;
                self.was_up = true;
                self.failed_attempts = 0;
                self.delay_us = 0;
                Ok(Some(frame))
            }
            Ok(None) => Ok(None),
            Err(e) if e.is_device_fault() => {
                self.went_down();
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// True while the source is open and its last call delivered a frame or failed on a
    /// single frame only; false before the first frame and from a device fault until the
    /// first frame after a reopen.
    fn is_healthy(&self) -> bool {
        self.healthy
    }

    fn describe(&self) -> String {
        match &self.source {
            Some(source) => format!("{} (reconnecting): {}", self.name, source.describe()),
            None if self.failed_attempts > 0 => format!(
                "{} (reconnecting): down, {} failed attempts, next in {} ms",
                self.name,
                self.failed_attempts,
                self.delay_us / 1000
            ),
            None => format!("{} (reconnecting): not open", self.name),
        }
    }
}
