//! [`Inspect`]: frame → score, the one thing the loop asks of the inspector. A trait so
//! that tests can wrap the real [`Inspector`] (a slow stage, a failing one) while the
//! loop stays the device's code.

use image::RgbImage;

use crate::inspector::{Inspector, InspectorError, StageTimings};

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
