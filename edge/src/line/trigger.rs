//! [`TriggerDetector`]: debounced edge detection on a polled trigger input.

use super::polarity::Edge;

/// Turns level samples of the trigger input into part edges.
///
/// A new level is accepted once it has been seen continuously for `debounce_us` (samples
/// in between that show the old level cancel it), so glitches shorter than the debounce
/// never trigger and a chattering edge triggers once. The first sample only sets the
/// level: a photo-eye already blocked at start-up is not a part.
#[derive(Clone, Copy, Debug)]
pub struct TriggerDetector {
    edge: Edge,
    debounce_us: u64,
    /// The accepted level; `None` before the first sample.
    stable: Option<bool>,
    /// When the other level was first seen, while it waits out the debounce.
    candidate_since_us: Option<u64>,
}

impl TriggerDetector {
    /// A detector for `edge` that needs a level to hold `debounce_us` µs (0: accept at
    /// once).
    #[must_use]
    pub const fn new(edge: Edge, debounce_us: u64) -> Self {
        Self {
            edge,
            debounce_us,
            stable: None,
            candidate_since_us: None,
        }
    }

    /// The debounce, in µs.
    #[must_use]
    pub const fn debounce_us(&self) -> u64 {
        self.debounce_us
    }

    /// Feeds the level `high` sampled at `now_us`. Returns the time of a part edge
    /// accepted by this sample: first sighting of the new level + debounce, so it lies in
    /// `(previous sample, now_us]` and does not depend on where the debounce ends between
    /// two samples.
    pub fn sample(&mut self, high: bool, now_us: u64) -> Option<u64> {
        let Some(stable) = self.stable else {
            self.stable = Some(high);
            return None;
        };
        if high == stable {
            self.candidate_since_us = None;
            return None;
        }
        let since = *self.candidate_since_us.get_or_insert(now_us);
        if now_us.saturating_sub(since) < self.debounce_us {
            return None;
        }
        self.stable = Some(high);
        self.candidate_since_us = None;
        self.edge
            .is_reached_by(high)
            .then(|| since.saturating_add(self.debounce_us))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples every 100 µs; returns the accepted edge times.
    fn run(detector: &mut TriggerDetector, levels: &[bool]) -> Vec<u64> {
        levels
            .iter()
            .enumerate()
            .filter_map(|(i, &l)| detector.sample(l, i as u64 * 100))
            .collect()
    }

    #[test]
    fn level_at_start_is_not_an_edge() {
        let mut d = TriggerDetector::new(Edge::Rising, 0);
        assert_eq!(run(&mut d, &[true, true, false, true]), vec![300]);
    }

    #[test]
    fn edge_is_timed_from_first_sighting_plus_debounce() {
        // High first seen at 200 µs, debounce 250 µs: accepted at the 500 µs sample, dated
        // 450 µs.
        let mut d = TriggerDetector::new(Edge::Rising, 250);
        let got = run(&mut d, &[false, false, true, true, true, true, true]);
        assert_eq!(got, vec![450]);
    }

    #[test]
    fn glitch_shorter_than_debounce_is_ignored_and_chatter_triggers_once() {
        let mut d = TriggerDetector::new(Edge::Rising, 200);
        // 100 µs glitch, then chatter, then a solid high.
        let levels = [
            false, true, false, false, true, false, true, true, true, true, false, true,
        ];
        assert_eq!(run(&mut d, &levels), vec![800]);
    }

    #[test]
    fn falling_edge_ignores_rises() {
        let mut d = TriggerDetector::new(Edge::Falling, 0);
        assert_eq!(run(&mut d, &[false, true, true, false, true]), vec![300]);
    }
}
