//! [`CapturePolicy`]: which parts' frames the capture store keeps.
//!
//! In this order: every reject; every part whose normalised score lies in the
//! near-threshold band (inclusive; the threshold is 0.5); and one in `sample_one_in`
//! of the other parts, chosen by a seeded hash of the part id. The hash, unlike "every
//! k-th part", does not lock onto periodic line patterns (a k-cavity mould or a k-nest
//! rotary table would otherwise always sample the same cavity), and it is deterministic:
//! the same run keeps the same parts.

use serde::{Deserialize, Serialize};

use super::verdict::Verdict;

/// Why a frame is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepReason {
    /// The part was rejected (for any reason).
    Reject,
    /// The normalised score lies in the near-threshold band.
    NearThreshold,
    /// A sampled clear pass.
    Sampled,
}

/// Which frames to keep and how much disk to use; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapturePolicy {
    /// Lower end of the near-threshold band on the normalised score (inclusive).
    pub near_low: f32,
    /// Upper end of the near-threshold band (inclusive).
    pub near_high: f32,
    /// Keep one in this many of the remaining parts (0: none).
    pub sample_one_in: u64,
    /// Seed of the sampling hash.
    #[serde(default)]
    pub sample_seed: u64,
    /// Disk quota for frames and sidecars, in bytes of file content.
    pub quota_bytes: u64,
}

impl Default for CapturePolicy {
    /// Band 0.4–0.6, one clear pass in 100, 1 GiB.
    fn default() -> Self {
        Self {
            near_low: 0.4,
            near_high: 0.6,
            sample_one_in: 100,
            sample_seed: 0,
            quota_bytes: 1 << 30,
        }
    }
}

/// An unusable capture policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("capture policy: field `{field}` {reason}")]
pub struct PolicyError {
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong.
    pub reason: &'static str,
}

impl CapturePolicy {
    /// Checks the band and the quota.
    ///
    /// # Errors
    /// [`PolicyError`] naming the field.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let in_unit = |x: f32| (0.0..=1.0).contains(&x);
        if !in_unit(self.near_low) {
            return Err(PolicyError {
                field: "near_low",
                reason: "must be within [0, 1]",
            });
        }
        if !in_unit(self.near_high) || self.near_high < self.near_low {
            return Err(PolicyError {
                field: "near_high",
                reason: "must be within [near_low, 1]",
            });
        }
        if self.quota_bytes == 0 {
            return Err(PolicyError {
                field: "quota_bytes",
                reason: "must be at least 1",
            });
        }
        Ok(())
    }

    /// Whether to keep the frame of `part_id`, and why; `None` to let it go.
    #[must_use]
    pub fn select(
        &self,
        part_id: u64,
        verdict: Verdict,
        normalised: Option<f32>,
    ) -> Option<KeepReason> {
        if verdict == Verdict::Reject {
            return Some(KeepReason::Reject);
        }
        if normalised.is_some_and(|s| (self.near_low..=self.near_high).contains(&s)) {
            return Some(KeepReason::NearThreshold);
        }
        let sampled =
            self.sample_one_in > 0 && mix64(part_id ^ self.sample_seed) % self.sample_one_in == 0;
        sampled.then_some(KeepReason::Sampled)
    }
}

/// SplitMix64's finaliser: a bijective, well-mixed 64-bit hash.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(one_in: u64) -> CapturePolicy {
        CapturePolicy {
            near_low: 0.4,
            near_high: 0.5,
            sample_one_in: one_in,
            sample_seed: 7,
            quota_bytes: 1000,
        }
    }

    #[test]
    fn rejects_always_band_inclusive_then_nothing_without_sampling() {
        let p = policy(0);
        assert_eq!(p.select(1, Verdict::Reject, None), Some(KeepReason::Reject));
        assert_eq!(
            p.select(1, Verdict::Reject, Some(0.1)),
            Some(KeepReason::Reject)
        );
        for s in [0.4, 0.45, 0.5] {
            assert_eq!(
                p.select(1, Verdict::Pass, Some(s)),
                Some(KeepReason::NearThreshold),
                "score {s}"
            );
        }
        for id in 0..1000 {
            assert_eq!(p.select(id, Verdict::Pass, Some(0.39)), None);
            assert_eq!(p.select(id, Verdict::Pass, Some(0.51)), None);
        }
    }

    #[test]
    fn sampling_is_deterministic_close_to_its_share_and_blind_to_period() {
        let p = policy(10);
        let kept: Vec<u64> = (0..10_000)
            .filter(|&id| p.select(id, Verdict::Pass, Some(0.1)).is_some())
            .collect();
        let again: Vec<u64> = (0..10_000)
            .filter(|&id| p.select(id, Verdict::Pass, Some(0.1)).is_some())
            .collect();
        assert_eq!(kept, again);
        assert!((850..=1150).contains(&kept.len()), "kept {}", kept.len());
        // A 10-nest table: every nest gets sampled, not just one.
        let mut nests = [0u32; 10];
        for id in &kept {
            nests[(id % 10) as usize] += 1;
        }
        assert!(nests.iter().all(|&n| n > 50), "per nest {nests:?}");
        // Another seed picks other parts.
        let other = CapturePolicy {
            sample_seed: 8,
            ..p.clone()
        };
        let kept_other: Vec<u64> = (0..10_000)
            .filter(|&id| other.select(id, Verdict::Pass, Some(0.1)).is_some())
            .collect();
        assert_ne!(kept, kept_other);
        assert!((0..100).all(|id| policy(1).select(id, Verdict::Pass, Some(0.1)).is_some()));
    }

    #[test]
    fn validation_names_the_field() {
        assert!(CapturePolicy::default().validate().is_ok());
        let field = |p: CapturePolicy| p.validate().expect_err("invalid").field;
        assert_eq!(
            field(CapturePolicy {
                near_low: -0.1,
                ..policy(0)
            }),
            "near_low"
        );
        assert_eq!(
            field(CapturePolicy {
                near_low: f32::NAN,
                ..policy(0)
            }),
            "near_low"
        );
        assert_eq!(
            field(CapturePolicy {
                near_high: 0.3,
                ..policy(0)
            }),
            "near_high"
        );
        assert_eq!(
            field(CapturePolicy {
                quota_bytes: 0,
                ..policy(0)
            }),
            "quota_bytes"
        );
    }
}
