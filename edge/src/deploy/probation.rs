//! [`Probation`]: a newly swapped-in model's first parts. On a running line the truth
//! is not known, so the false-reject rate is taken as the model's reject rate over its
//! first `parts` parts (an inspector error counts as a reject: the part is rejected for
//! it) against an absolute limit (`docs/decisions.md`). The outcome is decided as soon
//! as it is certain: a model that has already rejected more than `limit × parts` fails
//! without waiting for the rest, so a broken threshold rejects as few good parts as
//! possible.

/// Where a probation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbationState {
    /// Still counting.
    Running,
    /// All `parts` scored within the limit: keep the model.
    Passed,
    /// The limit is exceeded: roll back.
    Failed,
}

/// See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probation {
    parts: u64,
    /// Most rejects within the limit: ⌊limit × parts⌋.
    allowed: u64,
    scored: u64,
    rejects: u64,
}

impl Probation {
    /// `parts` ≥ 1 parts, reject rate limit `max_reject_rate` in `0..=1` (checked by
    /// the board profile; clamped here).
    #[must_use]
    pub fn new(parts: u64, max_reject_rate: f64) -> Self {
        let parts = parts.max(1);
        let rate = max_reject_rate.clamp(0.0, 1.0);
        // rejects / parts > rate  ⇔  rejects > ⌊rate · parts⌋ for whole rejects.
        let allowed = (rate * parts as f64).floor() as u64;
        Self {
            parts,
            allowed,
            scored: 0,
            rejects: 0,
        }
    }

    /// Counts one part the model scored (`rejected`: anomalous or failed).
    pub fn count(&mut self, rejected: bool) {
        if self.state() == ProbationState::Running {
            self.scored += 1;
            self.rejects += u64::from(rejected);
        }
    }

    /// Running, passed or failed.
    #[must_use]
    pub fn state(&self) -> ProbationState {
        if self.rejects > self.allowed {
            ProbationState::Failed
        } else if self.scored >= self.parts {
            ProbationState::Passed
        } else {
            ProbationState::Running
        }
    }

    /// (rejects, parts scored) so far.
    #[must_use]
    pub fn tally(&self) -> (u64, u64) {
        (self.rejects, self.scored)
    }

    /// Parts the probation lasts.
    #[must_use]
    pub fn parts(&self) -> u64 {
        self.parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_at_the_limit_and_fails_as_soon_as_it_is_exceeded() {
        // 10 parts, 20 %: two rejects are fine, a third fails at once.
        let mut p = Probation::new(10, 0.2);
        for i in 0..10 {
            assert_eq!(p.state(), ProbationState::Running);
            p.count(i < 2);
        }
        assert_eq!(p.state(), ProbationState::Passed);
        assert_eq!(p.tally(), (2, 10));

        let mut p = Probation::new(10, 0.2);
        for _ in 0..3 {
            p.count(true);
        }
        assert_eq!(p.state(), ProbationState::Failed);
        p.count(false);
        assert_eq!(p.tally(), (3, 3), "nothing counted after the decision");

        let mut strict = Probation::new(5, 0.0);
        strict.count(true);
        assert_eq!(strict.state(), ProbationState::Failed);
        let mut lax = Probation::new(3, 1.0);
        for _ in 0..3 {
            lax.count(true);
        }
        assert_eq!(lax.state(), ProbationState::Passed);
    }
}
