//! [`EncoderCounter`]: conveyor position from polled encoder channels.
//!
//! Polling sees a transition only if the level holds until the next sample, so the
//! encoder must change state at most once per tick: at a 10 kHz tick, up to ~5 000
//! states/s (A only) — e.g. a 2 000 counts/m encoder at 2.5 m/s in `rising` mode. In
//! `quadrature` mode a skipped state is detected and counted ([`EncoderCounter::missed`]);
//! in single-channel modes it cannot be. Faster encoders need a hardware counter.

use super::polarity::EncoderMode;

/// Quadrature states in forward order, as `(A, B)`: A leads B when the belt runs forward.
/// Swap the A and B lines to reverse the direction.
const QUADRATURE_ORDER: [(bool, bool); 4] =
    [(false, false), (true, false), (true, true), (false, true)];

/// Counts encoder transitions; the position handed to the scheduler never goes below 0.
#[derive(Clone, Copy, Debug)]
pub struct EncoderCounter {
    mode: EncoderMode,
    /// Last sampled `(A, B)`; `B` is `false` outside quadrature mode.
    last: Option<(bool, bool)>,
    /// Signed net count (quadrature can count down).
    net: i64,
    missed: u64,
}

impl EncoderCounter {
    /// A counter at 0 for `mode`.
    #[must_use]
    pub const fn new(mode: EncoderMode) -> Self {
        Self {
            mode,
            last: None,
            net: 0,
            missed: 0,
        }
    }

    /// The counting mode.
    #[must_use]
    pub const fn mode(&self) -> EncoderMode {
        self.mode
    }

    /// Feeds one sample of channel A and, in quadrature mode, channel B (ignored
    /// otherwise). The first sample only sets the state.
    pub fn sample(&mut self, a: bool, b: bool) {
        let b = matches!(self.mode, EncoderMode::Quadrature) && b;
        let Some(last) = self.last.replace((a, b)) else {
            return;
        };
        let step = match self.mode {
            EncoderMode::Rising => i64::from(a && !last.0),
            EncoderMode::Both => i64::from(a != last.0),
            EncoderMode::Quadrature => self.quadrature_step(last, (a, b)),
        };
        self.net = self.net.saturating_add(step);
    }

    fn quadrature_step(&mut self, from: (bool, bool), to: (bool, bool)) -> i64 {
        let index = |s| QUADRATURE_ORDER.iter().position(|&q| q == s).unwrap_or(0);
        match (index(to) + 4 - index(from)) % 4 {
            1 => 1,
            3 => -1,
            2 => {
                // Both channels changed between two samples: a state was skipped and the
                // direction is unknown.
                self.missed += 1;
                0
            }
            _ => 0,
        }
    }

    /// Position on the belt in counts. Backwards travel below the start reads 0; the
    /// scheduler holds its position while the count is below the highest seen, so a
    /// belt that jogs back never fires anything early.
    #[must_use]
    pub fn counts(&self) -> u64 {
        u64::try_from(self.net).unwrap_or(0)
    }

    /// Signed net count (quadrature can go negative).
    #[must_use]
    pub const fn net(&self) -> i64 {
        self.net
    }

    /// Quadrature transitions that skipped a state (the belt outran the tick).
    #[must_use]
    pub const fn missed(&self) -> u64 {
        self.missed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(counter: &mut EncoderCounter, states: &[(bool, bool)]) {
        for &(a, b) in states {
            counter.sample(a, b);
        }
    }

    const F: bool = false;
    const T: bool = true;

    #[test]
    fn single_channel_modes_count_rises_or_all_edges() {
        let wave = [(F, F), (T, F), (F, F), (T, F), (T, F), (F, F)];
        let mut rising = EncoderCounter::new(EncoderMode::Rising);
        feed(&mut rising, &wave);
        assert_eq!(rising.counts(), 2);
        let mut both = EncoderCounter::new(EncoderMode::Both);
        feed(&mut both, &wave);
        assert_eq!(both.counts(), 4);
    }

    #[test]
    fn quadrature_counts_four_per_cycle_and_down_when_reversed() {
        let mut q = EncoderCounter::new(EncoderMode::Quadrature);
        // Two forward cycles: 8 states after the first.
        let forward: Vec<_> = (0..9).map(|i| QUADRATURE_ORDER[i % 4]).collect();
        feed(&mut q, &forward);
        assert_eq!(q.counts(), 8);
        // Three states back.
        feed(
            &mut q,
            &[
                QUADRATURE_ORDER[3],
                QUADRATURE_ORDER[2],
                QUADRATURE_ORDER[1],
            ],
        );
        assert_eq!(q.net(), 5);
        assert_eq!(q.missed(), 0);
    }

    #[test]
    fn quadrature_skip_is_missed_not_counted_and_reverse_from_zero_reads_zero() {
        let mut q = EncoderCounter::new(EncoderMode::Quadrature);
        feed(&mut q, &[(F, F), (T, T)]);
        assert_eq!((q.net(), q.missed()), (0, 1));
        feed(&mut q, &[(T, F)]); // (T,T) → (T,F) is one step back
        assert_eq!(q.net(), -1);
        assert_eq!(q.counts(), 0);
    }
}
