//! The pixel threshold: the heat-map value maximising pixel F1 over synthetic-anomaly
//! masks ([`crate::metrics::f1_max`]), or a high quantile of good-image heat-map values
//! when there is no anomaly pixel.
//!
//! Always holds: a pixel is anomalous ⇔ `value ≥ threshold`; heat maps are in the raw
//! units of the scorer's heat map, row-major, one value per mask pixel.

use serde::Serialize;

use super::error::{check_maps, check_unit, CalibrateError};
use super::threshold::{allowed_above_quantile, quantile_threshold};
use crate::metrics;

/// How the pixel threshold was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PixelMethod {
    /// Best pixel F1 over good heat maps (all normal) and synthetic anomalies (mask =
    /// anomalous); the threshold is one of the heat-map values.
    F1Max {
        /// The F1 reached, in [0, 1].
        f1: f64,
        /// Pixel precision at the threshold, in [0, 1].
        precision: f64,
        /// Pixel recall at the threshold, in [0, 1].
        recall: f64,
    },
    /// The `quantile` of the good heat-map values by [`super::image_threshold`]'s rule
    /// with target `1 − quantile`: the smallest good value `t` with at least `quantile` of
    /// the good pixels below it (above the maximum plus a margin when none qualifies).
    GoodQuantile {
        /// Quantile in [0, 1].
        quantile: f64,
    },
}

/// A pixel threshold and how it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PixelThreshold {
    /// Heat-map value at or above which a pixel is anomalous (finite).
    pub threshold: f32,
    /// How it was chosen.
    pub method: PixelMethod,
    /// Anomalous pixels (mask set) seen.
    pub anomaly_pixels: usize,
    /// Normal pixels seen: every good heat-map pixel plus unmasked synthetic pixels.
    pub normal_pixels: usize,
}

/// The pixel threshold maximising pixel F1, with good heat maps as normal pixels and each
/// synthetic heat map labelled by its mask; falls back to the `fallback_quantile` of the
/// good heat-map values when no mask has an anomalous pixel.
///
/// # Errors
/// [`CalibrateError::EmptyHeldOut`] when the good heat maps hold no value,
/// [`CalibrateError::CountMismatch`] / [`CalibrateError::SizeMismatch`] when maps and masks
/// disagree, [`CalibrateError::NonFinitePixel`] for a NaN or infinite value,
/// [`CalibrateError::OutOfRange`] for a quantile outside [0, 1].
pub fn pixel_threshold(
    good_maps: &[&[f32]],
    anomaly_maps: &[&[f32]],
    masks: &[&[bool]],
    fallback_quantile: f64,
) -> Result<PixelThreshold, CalibrateError> {
    check_unit("pixel fallback quantile", fallback_quantile)?;
    if anomaly_maps.len() != masks.len() {
        return Err(CalibrateError::CountMismatch {
            set: "synthetic",
            maps: anomaly_maps.len(),
            masks: masks.len(),
        });
    }
    for (image, (map, mask)) in anomaly_maps.iter().zip(masks).enumerate() {
        if map.len() != mask.len() {
            return Err(CalibrateError::SizeMismatch {
                set: "synthetic",
                image,
                map_len: map.len(),
                mask_len: mask.len(),
            });
        }
    }
    check_maps("good", good_maps)?;
    check_maps("synthetic", anomaly_maps)?;
    let good_pixels: usize = good_maps.iter().map(|m| m.len()).sum();
    if good_pixels == 0 {
        return Err(CalibrateError::EmptyHeldOut);
    }
    let anomaly_pixels: usize = masks.iter().map(|m| m.iter().filter(|&&b| b).count()).sum();
    let synthetic_pixels: usize = masks.iter().map(|m| m.len()).sum();
    let normal_pixels = good_pixels + synthetic_pixels - anomaly_pixels;
    if anomaly_pixels == 0 {
        let values: Vec<f32> = good_maps.iter().flat_map(|m| m.iter().copied()).collect();
        let (threshold, _) = quantile_threshold("good pixel", &values, |n| {
            allowed_above_quantile(n, fallback_quantile)
        })?;
        return Ok(PixelThreshold {
            threshold,
            method: PixelMethod::GoodQuantile {
                quantile: fallback_quantile,
            },
            anomaly_pixels,
            normal_pixels,
        });
    }
    let mut values = Vec::with_capacity(good_pixels + synthetic_pixels);
    let mut labels = Vec::with_capacity(good_pixels + synthetic_pixels);
    for map in good_maps {
        values.extend_from_slice(map);
        labels.resize(values.len(), false);
    }
    for (map, mask) in anomaly_maps.iter().zip(masks) {
        values.extend_from_slice(map);
        labels.extend_from_slice(mask);
    }
    let best = metrics::f1_max(&values, &labels)?;
    Ok(PixelThreshold {
        threshold: best.threshold,
        method: PixelMethod::F1Max {
            f1: best.f1,
            precision: best.precision,
            recall: best.recall,
        },
        anomaly_pixels,
        normal_pixels,
    })
}
