//! Synthetic anomalies painted onto good images, with exact masks: the stand-in for defect
//! images when calibrating thresholds ([`synthesize`]).
//!
//! - [`AnomalyKind::CutPaste`] / [`AnomalyKind::CutPasteScar`]: a patch of the same image
//!   pasted elsewhere (Li et al., CutPaste, 2021), optionally colour-jittered.
//! - [`AnomalyKind::Draem`]: a thresholded fractal-noise blob mask filled with a blend of a
//!   procedural texture or a flipped/shifted copy of the image (Zavrtanik et al., DRAEM,
//!   2021), opacity β in [0.15, 1].
//! - [`AnomalyKind::Scratch`]: thin curved polylines, darker or brighter.
//!
//! Always holds, for every image with at least one pixel: the mask has the image's size
//! (row-major, `width × height`), is non-empty, every pixel that differs from the input is
//! inside the mask, and at least one pixel differs. Mask pixels may keep their value where
//! the anomaly happens to match the image (a pasted patch over the same colour, a scratch
//! on a saturated pixel); the mask is the region the anomaly occupies. The output is a pure
//! function of (image, kind, rng state): the same seed gives the same pixels.

mod cutpaste;
mod draem;
mod scratch;

use image::RgbImage;
use serde::Serialize;

use crate::synth::rng::Rng;

/// The kinds of synthetic anomaly [`synthesize`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// A rectangle (2–15 % of the image area, aspect 0.3–3.3) cut from the image, colour
    /// jittered with probability ½, pasted elsewhere.
    CutPaste,
    /// CutPaste's "scar": a thin long patch (2–16 × 10–25 px at 256 px, scaled with the
    /// image), rotated by −45°…45°, pasted elsewhere.
    CutPasteScar,
    /// DRAEM: noise blobs (2–20 % of the area) filled with texture or a transformed copy
    /// of the image, blended with opacity β ∈ [0.15, 1].
    Draem,
    /// One or two thin curved lines, darker or brighter by 40–110 grey levels.
    Scratch,
}

impl AnomalyKind {
    /// Every kind, in the order [`crate::calibrate::calibrate`] cycles through them.
    pub const ALL: [AnomalyKind; 4] = [
        AnomalyKind::CutPaste,
        AnomalyKind::CutPasteScar,
        AnomalyKind::Draem,
        AnomalyKind::Scratch,
    ];

    /// Short name (`cut_paste`, `cut_paste_scar`, `draem`, `scratch`).
    pub fn name(self) -> &'static str {
        match self {
            AnomalyKind::CutPaste => "cut_paste",
            AnomalyKind::CutPasteScar => "cut_paste_scar",
            AnomalyKind::Draem => "draem",
            AnomalyKind::Scratch => "scratch",
        }
    }
}

impl std::fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Paints one anomaly of `kind` onto a copy of `image`; returns the copy and its mask
/// (row-major, `true` = anomalous, `width × height` entries).
///
/// For an image with at least one pixel: the mask is non-empty, every pixel that differs
/// from the input lies inside it, and at least one pixel differs; mask pixels may keep
/// their value where the anomaly matches the image. The result is a pure function of
/// (image, kind, rng state). An image with no pixel is returned unchanged with an empty
/// mask.
pub fn synthesize(image: &RgbImage, kind: AnomalyKind, rng: &mut Rng) -> (RgbImage, Vec<bool>) {
    if image.width() == 0 || image.height() == 0 {
        return (image.clone(), Vec::new());
    }
    let (out, mask) = match kind {
        AnomalyKind::CutPaste => cutpaste::rectangle(image, rng),
        AnomalyKind::CutPasteScar => cutpaste::scar(image, rng),
        AnomalyKind::Draem => draem::blobs(image, rng),
        AnomalyKind::Scratch => scratch::lines(image, rng),
    };
    ensure_changed(image, out, mask)
}

/// A copy of `image` in which only the pixels under `mask` are replaced by `fill(x, y)`.
/// Painting only through this function is what keeps masks exact.
fn paint(image: &RgbImage, mask: &[bool], mut fill: impl FnMut(u32, u32) -> [u8; 3]) -> RgbImage {
    let mut out = image.clone();
    let width = image.width() as usize;
    for (i, _) in mask.iter().enumerate().filter(|(_, &m)| m) {
        let (x, y) = ((i % width) as u32, (i / width) as u32);
        out.put_pixel(x, y, image::Rgb(fill(x, y)));
    }
    out
}

/// Guarantees a visible anomaly: if no masked pixel changed (e.g. a patch pasted over an
/// identical flat region), every masked channel moves 48 grey levels away from the nearer
/// end of [0, 255]. The mask is never empty for a non-empty image (each kind marks at
/// least its anchor pixel), so this always changes something.
fn ensure_changed(image: &RgbImage, out: RgbImage, mask: Vec<bool>) -> (RgbImage, Vec<bool>) {
    let changed = image
        .pixels()
        .zip(out.pixels())
        .zip(&mask)
        .any(|((a, b), &m)| m && a != b);
    if changed {
        return (out, mask);
    }
    let shifted = paint(image, &mask, |x, y| {
        image
            .get_pixel(x, y)
            .0
            .map(|v| if v < 128 { v + 48 } else { v - 48 })
    });
    (shifted, mask)
}

/// Rounds and clamps a linear grey level to a byte.
fn to_byte(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}
