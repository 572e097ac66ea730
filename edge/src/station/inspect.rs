//! [`Inspect`]: frame → score, the one thing the loop asks of the inspector. A trait so
//! that tests can wrap the real [`Inspector`] (a slow stage, a failing one) while the
//! loop stays the device's code. Hot deployment ([`crate::deploy::HotSwap`]) is an
//! `Inspect` too: the loop gives it a moment between two parts to swap models, and asks
//! which bundle scores the frames; a plain inspector does nothing then and names none.

use image::RgbImage;

use super::run::Observer;
use crate::deploy::DeployCounts;
use crate::inspector::{Inspector, InspectorError, StageTimings};

/// The bundle that scores frames now, as the verdict record names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BundleTag<'a> {
    /// SHA-256 of the bundle file, lowercase hex.
    pub sha256: &'a str,
    /// 0 for the model the run started with, +1 per swap or rollback.
    pub generation: u32,
}

/// The inspector's result for one frame, without borrowing the inspector.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InspectOutcome {
    /// `w · S`, in the units of the bundle's image threshold.
    pub raw_score: f32,
    /// In `[0, 1]`; the threshold maps to 0.5.
    pub normalised: f32,
    /// `raw_score ≥ threshold` (or not a number): reject.
    pub anomalous: bool,
    /// Stage timings, µs.
    pub timings: StageTimings,
}

/// Inspects frames; see the [module docs](self).
pub trait Inspect {
    /// Scores one frame. Any error means: reject the part.
    ///
    /// # Errors
    /// As [`Inspector::inspect`].
    fn inspect_frame(&mut self, frame: &RgbImage) -> Result<InspectOutcome, InspectorError>;

    /// Called by the loop between two parts (never while a frame is inspected): the one
    /// moment a model may be swapped. Must not block on I/O or allocate in the steady
    /// state. Default: nothing.
    fn between_parts(&mut self, _observer: &mut dyn Observer) {}

    /// The bundle that scores the next frame; `None`: not known (tests' wrappers).
    fn bundle_tag(&self) -> Option<BundleTag<'_>> {
        None
    }

    /// Swaps, refusals and rollbacks so far. Default: none.
    fn deploy_counts(&self) -> DeployCounts {
        DeployCounts::default()
    }
}

impl Inspect for Inspector {
    fn inspect_frame(&mut self, frame: &RgbImage) -> Result<InspectOutcome, InspectorError> {
        let i = self.inspect(frame)?;
        Ok(InspectOutcome {
            raw_score: i.raw_score,
            normalised: i.normalised,
            anomalous: i.anomalous,
            timings: i.timings,
        })
    }
}
