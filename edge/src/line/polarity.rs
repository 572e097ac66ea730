//! Electrical conventions of one line: [`Polarity`] (which level means "active" on an
//! output), [`Edge`] (which transition of the trigger input counts) and [`EncoderMode`]
//! (which transitions of the encoder count).

use serde::Deserialize;

/// Which electrical level means "active" on an output.
///
/// The line I/O works in logical terms (reject active, fault asserted); the polarity maps
/// them to levels once, in [`super::LineIo`], so no other code knows about wiring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Polarity {
    /// Active = high (3.3 V). The usual choice for the reject valve driver.
    #[default]
    ActiveHigh,
    /// Active = low (0 V). The fail-safe choice for the fault line: "ready" is the driven
    /// high level, so a dead board, a released pin or a cut wire all read as fault.
    ActiveLow,
}

impl Polarity {
    /// The electrical level (`true` = high) that makes the line `active`.
    #[must_use]
    pub const fn level(self, active: bool) -> bool {
        match self {
            Polarity::ActiveHigh => active,
            Polarity::ActiveLow => !active,
        }
    }

    /// Whether the electrical level `high` means active (the mapping is its own inverse).
    #[must_use]
    pub const fn is_active(self, high: bool) -> bool {
        self.level(high)
    }
}

/// The electrical transition of the trigger input that marks a part at the camera.
///
/// A PNP photo-eye in dark-on mode goes high when a part breaks the beam: `Rising`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Edge {
    /// Low → high.
    #[default]
    Rising,
    /// High → low.
    Falling,
}

impl Edge {
    /// Whether a debounced change *to* level `high` is this edge.
    #[must_use]
    pub const fn is_reached_by(self, high: bool) -> bool {
        match self {
            Edge::Rising => high,
            Edge::Falling => !high,
        }
    }
}

/// How the encoder input is counted. Counts only ever go up on the scheduler's axis; see
/// [`super::EncoderCounter`] for direction and missed steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncoderMode {
    /// One count per rising edge of channel A (1 per encoder cycle).
    #[default]
    Rising,
    /// One count per edge of channel A (2 per cycle).
    Both,
    /// Channels A and B decoded in quadrature (4 per cycle, signed: the belt running
    /// backwards counts down; a transition that skips a state is counted as missed).
    Quadrature,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_low_inverts_and_is_its_own_inverse() {
        assert!(Polarity::ActiveHigh.level(true));
        assert!(!Polarity::ActiveLow.level(true));
        assert!(Polarity::ActiveLow.level(false));
        for p in [Polarity::ActiveHigh, Polarity::ActiveLow] {
            for a in [false, true] {
                assert_eq!(p.is_active(p.level(a)), a);
            }
        }
    }

    #[test]
    fn edges_match_the_new_level() {
        assert!(Edge::Rising.is_reached_by(true));
        assert!(!Edge::Rising.is_reached_by(false));
        assert!(Edge::Falling.is_reached_by(false));
    }
}
