//! Overlay PNGs of the worst cases: three panels side by side, no text (no font needed):
//!
//! `[ original | heat map blended over it | the same with the mask contour ]`
//!
//! Always holds: the overlay is `3 × width` by `height` pixels, where `width × height` is
//! the heat map's size (the original is resized to it, bilinear); panel 3 equals panel 2
//! except on the mask's boundary pixels, which are [`CONTOUR`]; with no mask, panels 2 and 3
//! are equal.

use image::{imageops, Rgb, RgbImage};

use super::colormap::{viridis, HeatScale};
use super::ImageRecord;

/// Colour of the ground-truth contour (pure red: absent from viridis, so it always shows).
pub const CONTOUR: [u8; 3] = [255, 0, 0];

/// Weight of the heat-map colour when blended over the image, in `[0, 1]`.
pub const HEAT_ALPHA: f32 = 0.5;

/// Row-major boundary of `mask` (`width × height`): the mask pixels with at least one
/// 4-neighbour inside the frame that is not a mask pixel (a 1-px inner outline). Pixels on
/// the frame's edge are not outlined for touching it.
///
/// # Panics
/// If `mask.len() != width * height` (callers check sizes first).
#[must_use]
pub fn mask_boundary(mask: &[bool], width: usize, height: usize) -> Vec<bool> {
    assert_eq!(mask.len(), width * height, "mask size");
    let at = |x: usize, y: usize| mask[y * width + x];
    let mut boundary = vec![false; mask.len()];
    for y in 0..height {
        for x in 0..width {
            if !at(x, y) {
                continue;
            }
            let outside = (x > 0 && !at(x - 1, y))
                || (x + 1 < width && !at(x + 1, y))
                || (y > 0 && !at(x, y - 1))
                || (y + 1 < height && !at(x, y + 1));
            boundary[y * width + x] = outside;
        }
    }
    boundary
}

/// Draws the three-panel overlay of `record` over `image` (any size; resized to the heat
/// map's), colouring pixel scores on `scale`.
///
/// # Panics
/// If the record's heat map or mask disagrees with its size (checked by
/// [`super::evaluate`] first).
#[must_use]
pub fn render_overlay(image: &RgbImage, record: &ImageRecord, scale: HeatScale) -> RgbImage {
    let (w, h) = (record.width, record.height);
    let original = if image.dimensions() == (w, h) {
        image.clone()
    } else {
        imageops::resize(image, w, h, imageops::FilterType::Triangle)
    };
    let mut blended = original.clone();
    for (i, px) in blended.pixels_mut().enumerate() {
        let heat = viridis(scale.position(record.heatmap[i]));
        px.0 = std::array::from_fn(|c| {
            let v = f32::from(px.0[c]) * (1.0 - HEAT_ALPHA) + f32::from(heat[c]) * HEAT_ALPHA;
            v.round() as u8
        });
    }
    let mut contoured = blended.clone();
    if let Some(mask) = &record.mask {
        let boundary = mask_boundary(mask, w as usize, h as usize);
        for (px, _) in contoured.pixels_mut().zip(&boundary).filter(|(_, &b)| b) {
            *px = Rgb(CONTOUR);
        }
    }
    let mut out = RgbImage::new(3 * w, h);
    for (panel, img) in [original, blended, contoured].iter().enumerate() {
        imageops::replace(&mut out, img, i64::from(panel as u32 * w), 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_of_a_square_is_its_ring() {
        // 5×5 with a 3×3 square at (1..4, 1..4).
        let mask: Vec<bool> = (0..25)
            .map(|i| (1..4).contains(&(i % 5)) && (1..4).contains(&(i / 5)))
            .collect();
        let b = mask_boundary(&mask, 5, 5);
        let ring: Vec<usize> = (0..25).filter(|&i| b[i]).collect();
        assert_eq!(ring, vec![6, 7, 8, 11, 13, 16, 17, 18]);
    }

    #[test]
    fn full_mask_has_no_boundary_inside_the_frame() {
        assert!(!mask_boundary(&[true; 6], 3, 2).contains(&true));
    }
}
