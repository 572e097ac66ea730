//! [`VerdictRecord`]: one line of the verdict log, and the invariant that makes a pass
//! trustworthy.

use serde::{Deserialize, Serialize};

/// What happened to the part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Inspected and found good.
    Pass,
    /// Rejected: anomalous, or not inspected in time for any reason.
    Reject,
}

/// Why the verdict is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The frame was inspected; the verdict is the inspector's.
    Inspected,
    /// No usable frame (camera error or timeout, unreadable file).
    FrameError,
    /// The verdict came after the reject decision's deadline.
    Late,
    /// The inspector failed on the frame (any inspector error means reject).
    InspectorError,
    /// A part was triggered but no frame came for it (the source ended, only frames
    /// older than the trigger came, or the run stopped first).
    NoFrame,
}

/// The inspector's score for the part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// `w · S`, in the units of the bundle's `thresholds.image`.
    pub raw: f32,
    /// In `[0, 1]`; the threshold maps to 0.5.
    pub normalised: f32,
}

/// How long each stage took for this part, in µs; `None` for stages that did not run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageLatency {
    /// Capture and conversion to RGB (camera dequeue or file read, decoding).
    pub capture_us: Option<u64>,
    /// Crop, resize, normalisation.
    pub preprocess_us: Option<u64>,
    /// The feature network.
    pub network_us: Option<u64>,
    /// Bank search and the score path.
    pub scoring_us: Option<u64>,
    /// From score to the verdict handed to the reject scheduler.
    pub decision_us: Option<u64>,
}

/// One part's outcome: one line of the verdict log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictRecord {
    /// The part's id (the reject scheduler's `PartId`).
    pub part_id: u64,
    /// Wall-clock time of the verdict, µs since the Unix epoch (for people; may jump).
    pub wall_us: u64,
    /// Monotonic time of the verdict, µs on the line's clock (for ordering and latency).
    pub mono_us: u64,
    /// The frame's sequence number in its source, if a frame was captured.
    pub frame_seq: Option<u64>,
    /// `None` when the part was not inspected.
    pub score: Option<Score>,
    /// Pass or reject.
    pub verdict: Verdict,
    /// Why.
    pub reason: Reason,
    /// The error message (whole chain) for a part that was not inspected or was late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Per-stage latency.
    pub latency_us: StageLatency,
    /// Where the frame came from (file path, `device#sequence`).
    pub origin: Option<String>,
    /// SHA-256 (hex) of the bundle file that scored the part; `None` when no bundle
    /// scored it (not inspected) or in logs written before hot deployment existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_sha256: Option<String>,
    /// Which model of the run scored the part: 0 the one started with, +1 per swap or
    /// rollback (a rollback brings an older bundle back under a new generation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_generation: Option<u32>,
}

/// A record that breaks the pass invariant (see [`VerdictRecord::check`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("part {part_id}: {reason}")]
pub struct InvalidRecord {
    /// The part.
    pub part_id: u64,
    /// Which rule is broken.
    pub reason: &'static str,
}

impl VerdictRecord {
    /// A part that was not inspected (or whose verdict came too late): always a reject.
    #[must_use]
    pub fn rejected_without_verdict(
        part_id: u64,
        wall_us: u64,
        mono_us: u64,
        reason: Reason,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            part_id,
            wall_us,
            mono_us,
            frame_seq: None,
            score: None,
            verdict: Verdict::Reject,
            reason,
            detail: Some(detail.into()),
            latency_us: StageLatency::default(),
            origin: None,
            bundle_sha256: None,
            model_generation: None,
        }
    }

    /// Checks the invariant: a `pass` has reason `inspected` and a finite score; reason
    /// `inspected` has a score; scores are finite.
    ///
    /// # Errors
    /// [`InvalidRecord`] naming the broken rule.
    pub fn check(&self) -> Result<(), InvalidRecord> {
        let invalid = |reason| {
            Err(InvalidRecord {
                part_id: self.part_id,
                reason,
            })
        };
        if let Some(score) = self.score {
            if !score.raw.is_finite() || !score.normalised.is_finite() {
                return invalid("score is not finite");
            }
        }
        if self.reason == Reason::Inspected && self.score.is_none() {
            return invalid("reason `inspected` without a score");
        }
        if self.verdict == Verdict::Pass && self.reason != Reason::Inspected {
            return invalid("a pass must come from an inspection (reason `inspected`)");
        }
        Ok(())
    }
}
