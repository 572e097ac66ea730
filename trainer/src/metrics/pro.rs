//! AUPRO: the per-region-overlap curve of MVTec AD (Bergmann et al.), integrated up to a
//! false-positive-rate limit and normalised.
//!
//! Always holds: the curve is swept exactly, one point per distinct pixel score (no fixed
//! threshold grid), in one sorted pass with incremental per-region overlap, O(N log N) for
//! N pixels. Regions are the 8-connected components of each ground-truth mask; FPR counts
//! the normal pixels of all images (including defect-free ones).

use serde::{Deserialize, Serialize};

use super::components::connected_components;
use super::ranking::{pack, payload, sort_keys, TieGroups};
use super::MetricError;

/// The FPR limit the field integrates PRO up to (30 %).
pub const DEFAULT_FPR_LIMIT: f64 = 0.3;

/// Width and height of one anomaly map / mask, in pixels (both stored row-major).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageSize {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

impl ImageSize {
    /// A `width × height` image.
    #[must_use]
    pub const fn new(width: usize, height: usize) -> Self {
        Self { width, height }
    }

    /// `width * height` (saturating, so an absurd size cannot wrap into a valid one).
    #[must_use]
    pub const fn pixels(self) -> usize {
        self.width.saturating_mul(self.height)
    }
}

/// Payload marking a normal pixel; anomalous pixels carry their global region index.
const NORMAL: u32 = u32::MAX;

/// Normalised area under the PRO curve up to `fpr_limit`, as in the MVTec AD evaluation.
///
/// For image `i`, `maps[i]` is the anomaly map (higher = more anomalous), `masks[i]` the
/// ground truth (`true` = anomalous), both row-major of `sizes[i]`. For each threshold `t`
/// (every distinct pixel score, descending), with pixels predicted anomalous iff
/// `score >= t`:
/// - PRO(t) = mean over *all* regions of all images of the fraction of the region's pixels
///   predicted anomalous; regions are 8-connected components of the masks;
/// - FPR(t) = normal pixels predicted anomalous / all normal pixels of all images.
///
/// The curve starts at (0, 0); consecutive points are joined linearly, the area from
/// FPR 0 to `fpr_limit` is taken by trapezoids with the curve interpolated exactly at
/// `fpr_limit`, and divided by `fpr_limit`. Result in `[0, 1]`: 1 when every anomalous
/// pixel outscores every normal one, `fpr_limit / 2` when all scores tie.
///
/// Images with an empty mask (defect-free, or defective without a drawn region) add only
/// normal pixels. Memory: one 8-byte key per pixel plus one label buffer per image.
///
/// # Errors
/// [`MetricError::InvalidFprLimit`] unless `0 < fpr_limit <= 1`;
/// [`MetricError::ImageCountMismatch`] / [`MetricError::ImageSizeMismatch`] if counts or
/// sizes disagree; [`MetricError::NanPixel`] on a NaN score; [`MetricError::NoRegions`] if
/// no mask has an anomalous pixel; [`MetricError::NoNormalPixels`] if no pixel is normal.
pub fn aupro(
    maps: &[&[f32]],
    masks: &[&[bool]],
    sizes: &[ImageSize],
    fpr_limit: f64,
) -> Result<f64, MetricError> {
    // Written positively so that NaN is rejected too.
    let limit_is_valid = fpr_limit > 0.0 && fpr_limit <= 1.0;
    if !limit_is_valid {
        return Err(MetricError::InvalidFprLimit(fpr_limit));
    }
    if maps.len() != masks.len() || maps.len() != sizes.len() {
        return Err(MetricError::ImageCountMismatch {
            maps: maps.len(),
            masks: masks.len(),
            sizes: sizes.len(),
        });
    }
    for (image, ((map, mask), size)) in maps.iter().zip(masks).zip(sizes).enumerate() {
        if map.len() != size.pixels() || mask.len() != size.pixels() {
            return Err(MetricError::ImageSizeMismatch {
                image,
                map_len: map.len(),
                mask_len: mask.len(),
                expected: size.pixels(),
            });
        }
        if let Some(pixel) = map.iter().position(|s| s.is_nan()) {
            return Err(MetricError::NanPixel { image, pixel });
        }
    }

    let (mut keys, inverse_region_sizes, normal_pixels) = rank_pixels(maps, masks, sizes);
    if inverse_region_sizes.is_empty() {
        return Err(MetricError::NoRegions);
    }
    if normal_pixels == 0 {
        return Err(MetricError::NoNormalPixels);
    }
    sort_keys(&mut keys);

    let regions = inverse_region_sizes.len() as f64;
    let normal_pixels = normal_pixels as f64;
    let mut false_positives = 0u64;
    // Σ over regions of (covered pixels / region pixels), updated pixel by pixel.
    let mut overlap_sum = CompensatedSum::default();
    let (mut fpr_prev, mut pro_prev) = (0.0f64, 0.0f64);
    let mut area = 0.0f64;
    for (_, group) in TieGroups::new(&keys) {
        for &key in group {
            match payload(key) {
                NORMAL => false_positives += 1,
                region => overlap_sum.add(inverse_region_sizes[region as usize]),
            }
        }
        let fpr = false_positives as f64 / normal_pixels;
        let pro = (overlap_sum.total() / regions).min(1.0);
        if fpr <= fpr_limit {
            area += (fpr - fpr_prev) * (pro + pro_prev) / 2.0;
            (fpr_prev, pro_prev) = (fpr, pro);
        } else {
            // This segment crosses the limit: cut it there, linearly.
            let pro_at_limit =
                pro_prev + (pro - pro_prev) * (fpr_limit - fpr_prev) / (fpr - fpr_prev);
            area += (fpr_limit - fpr_prev) * (pro_at_limit + pro_prev) / 2.0;
            break;
        }
    }
    Ok((area / fpr_limit).clamp(0.0, 1.0))
}

/// One key per pixel (score + region index or [`NORMAL`]), `1 / size` per region in global
/// region order, and the number of normal pixels. Sizes are already checked.
fn rank_pixels(
    maps: &[&[f32]],
    masks: &[&[bool]],
    sizes: &[ImageSize],
) -> (Vec<u64>, Vec<f64>, u64) {
    let total: usize = maps.iter().map(|m| m.len()).sum();
    let mut keys = Vec::with_capacity(total);
    let mut inverse_region_sizes = Vec::new();
    let mut normal_pixels = 0u64;
    for ((map, mask), size) in maps.iter().zip(masks).zip(sizes) {
        let (labels, count) = connected_components(mask, size.width, size.height);
        let first_region = inverse_region_sizes.len();
        let mut region_pixels = vec![0u64; count];
        for (&score, &label) in map.iter().zip(&labels) {
            let tag = if label == 0 {
                normal_pixels += 1;
                NORMAL
            } else {
                let region = label as usize - 1;
                region_pixels[region] += 1;
                u32::try_from(first_region + region)
                    .ok()
                    .filter(|&id| id != NORMAL)
                    .expect("fewer than 2^32 - 1 regions (each needs a pixel and 8 bytes)")
            };
            keys.push(pack(score, tag));
        }
        inverse_region_sizes.extend(region_pixels.iter().map(|&n| 1.0 / n as f64));
    }
    (keys, inverse_region_sizes, normal_pixels)
}

/// Neumaier-compensated sum: millions of `1 / size` terms stay accurate to ~1 ulp.
#[derive(Default)]
struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    fn add(&mut self, value: f64) {
        let t = self.sum + value;
        if self.sum.abs() >= value.abs() {
            self.compensation += (self.sum - t) + value;
        } else {
            self.compensation += (value - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-worked 4×4 case (row-major, `#` anomalous):
    /// ```text
    /// mask      scores
    /// # . . .   .9  0  0  0
    /// . # . .    0 .5 .8  0
    /// . . . #    0  0 .4 .7
    /// . . . #    0  0  0 .7
    /// ```
    /// Regions (8-connected): A = {(0,0), (1,1)} touching diagonally, B = {(3,2), (3,3)}.
    /// 12 normal pixels: 0.8, 0.4 and ten zeros.
    fn hand_case() -> (Vec<f32>, Vec<bool>) {
        #[rustfmt::skip]
        let map = vec![
            0.9, 0.0, 0.0, 0.0,
            0.0, 0.5, 0.8, 0.0,
            0.0, 0.0, 0.4, 0.7,
            0.0, 0.0, 0.0, 0.7,
        ];
        let mask = map
            .iter()
            .enumerate()
            .map(|(i, _)| matches!(i, 0 | 5 | 11 | 15))
            .collect();
        (map, mask)
    }

    const SIZE_4X4: ImageSize = ImageSize::new(4, 4);

    #[test]
    fn four_by_four_by_hand() {
        // Sweep (FPR, PRO): t=.9 → (0, 1/4) [A half covered, mean over 2 regions];
        // t=.8 → (1/12, 1/4); t=.7 → (1/12, 3/4); t=.5 → (1/12, 1); t=.4 → (2/12, 1);
        // t=0 → (1, 1). Area to 0.3: (1/4)·(1/12) + 1·(1/12) + 1·(0.3 − 2/12)
        // = 0.3 − 0.75/12 = 0.2375; / 0.3 = 19/24.
        // (With 4-connectivity A would be two regions and the value 22/27 instead.)
        let (map, mask) = hand_case();
        let value = aupro(&[&map], &[&mask], &[SIZE_4X4], DEFAULT_FPR_LIMIT).unwrap();
        assert!((value - 19.0 / 24.0).abs() < 1e-12, "{value}");
    }

    #[test]
    fn normal_image_and_empty_mask_only_add_normal_pixels() {
        // Same as above plus a 2×2 image with an empty mask, all scores 0: 16 normal pixels.
        // (0, 1/4) → (1/16, 1/4) → (1/16, 1) → (2/16, 1) → …; area to 0.3
        // = (1/4)/16 + 1/16 + (0.3 − 2/16) = 0.3 − 0.75/16; / 0.3 = 1 − 2.5/16 = 0.84375.
        let (map, mask) = hand_case();
        let value = aupro(
            &[&map, &[0.0; 4]],
            &[&mask, &[false; 4]],
            &[SIZE_4X4, ImageSize::new(2, 2)],
            DEFAULT_FPR_LIMIT,
        )
        .unwrap();
        assert!((value - 0.84375).abs() < 1e-12, "{value}");
    }

    #[test]
    fn all_tied_scores_give_half_the_limit() {
        // One point: (0, 0) → (1, 1), a diagonal; area to L is L²/2, normalised L/2.
        let size = ImageSize::new(4, 1);
        let mask = [true, false, false, false];
        let value = aupro(&[&[0.5; 4]], &[&mask], &[size], 0.3).unwrap();
        assert!((value - 0.15).abs() < 1e-12, "{value}");
        let value = aupro(&[&[0.5; 4]], &[&mask], &[size], 1.0).unwrap();
        assert!((value - 0.5).abs() < 1e-12, "{value}");
    }

    #[test]
    fn perfect_and_reversed_maps() {
        let (_, mask) = hand_case();
        let perfect: Vec<f32> = mask.iter().map(|&m| f32::from(u8::from(m))).collect();
        let reversed: Vec<f32> = perfect.iter().map(|s| -s).collect();
        assert_eq!(aupro(&[&perfect], &[&mask], &[SIZE_4X4], 0.3), Ok(1.0));
        assert_eq!(aupro(&[&reversed], &[&mask], &[SIZE_4X4], 0.3), Ok(0.0));
    }

    #[test]
    fn limit_landing_on_a_curve_point_keeps_its_vertical_step() {
        // 1×3: region pixel 0.2, normals 0.9 and 0.1. Points: (0,0) → (1/2, 0) → (1/2, 1)
        // → (1, 1). At L = 0.5 the vertical step at 0.5 has no width: area 0.
        let size = ImageSize::new(3, 1);
        let (map, mask) = ([0.2, 0.9, 0.1], [true, false, false]);
        assert_eq!(aupro(&[&map], &[&mask], &[size], 0.5), Ok(0.0));
        // At L = 1: area 1/2 → 1/2.
        assert_eq!(aupro(&[&map], &[&mask], &[size], 1.0), Ok(0.5));
    }

    #[test]
    fn errors_are_typed() {
        let size = ImageSize::new(2, 1);
        let map: &[f32] = &[0.1, 0.2];
        assert_eq!(
            aupro(&[map], &[&[false, false]], &[size], 0.3),
            Err(MetricError::NoRegions)
        );
        assert_eq!(
            aupro(&[map], &[&[true, true]], &[size], 0.3),
            Err(MetricError::NoNormalPixels)
        );
        for limit in [0.0, -0.1, 1.5, f64::NAN] {
            assert!(matches!(
                aupro(&[map], &[&[true, false]], &[size], limit),
                Err(MetricError::InvalidFprLimit(_))
            ));
        }
        assert_eq!(
            aupro(&[map], &[&[true, false]], &[], 0.3),
            Err(MetricError::ImageCountMismatch {
                maps: 1,
                masks: 1,
                sizes: 0
            })
        );
        assert_eq!(
            aupro(&[map], &[&[true, false, false]], &[size], 0.3),
            Err(MetricError::ImageSizeMismatch {
                image: 0,
                map_len: 2,
                mask_len: 3,
                expected: 2
            })
        );
        assert_eq!(
            aupro(&[&[0.1, f32::NAN]], &[&[true, false]], &[size], 0.3),
            Err(MetricError::NanPixel { image: 0, pixel: 1 })
        );
    }
}
