//! The heat-map colours of the overlays: a compact viridis table (perceptually uniform,
//! readable in grey and by most colour-blind readers) and the fixed scale it is read on.
//!
//! Always holds: the scale is the same for every overlay of a report, so colours compare
//! across images: raw pixel score 0 → dark violet, the bundle's pixel threshold → mid-scale
//! teal-green (t = 0.5), twice the threshold and above → yellow.

/// matplotlib's viridis at t = i/7, i = 0..=7 (R's `viridis(8)`); colours between anchors
/// are interpolated linearly, which stays within a few levels of the full 256-entry table.
pub const VIRIDIS: [[u8; 3]; 8] = [
    [0x44, 0x01, 0x54],
    [0x46, 0x33, 0x7E],
    [0x36, 0x5C, 0x8D],
    [0x27, 0x7F, 0x8E],
    [0x1F, 0xA1, 0x87],
    [0x4A, 0xC1, 0x6D],
    [0x9F, 0xDA, 0x3A],
    [0xFD, 0xE7, 0x25],
];

/// Viridis colour of `t` in `[0, 1]`; values outside are clamped, NaN gives the t = 0 colour.
#[must_use]
pub fn viridis(t: f32) -> [u8; 3] {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (VIRIDIS.len() - 1) as f32;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f32;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    std::array::from_fn(|c| {
        (f32::from(a[c]) + (f32::from(b[c]) - f32::from(a[c])) * f).round() as u8
    })
}

/// The colour scale of a report's overlays, raw pixel-score units: `low` ↦ t = 0,
/// `high` ↦ t = 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatScale {
    /// Score drawn with the first colour.
    pub low: f32,
    /// Score drawn with the last colour (and everything above).
    pub high: f32,
}

impl HeatScale {
    /// `[0, 2 × pixel_threshold]`, so the pixel threshold sits at mid-scale. When the
    /// threshold is not a positive finite number (an uncalibrated bundle), falls back to
    /// `[min, max]` of `heatmaps` (per report, still shared by all its overlays).
    #[must_use]
    pub fn from_pixel_threshold<'a>(
        pixel_threshold: f32,
        heatmaps: impl IntoIterator<Item = &'a [f32]>,
    ) -> Self {
        if pixel_threshold.is_finite() && pixel_threshold > 0.0 {
            return Self {
                low: 0.0,
                high: 2.0 * pixel_threshold,
            };
        }
        let (mut low, mut high) = (f32::INFINITY, f32::NEG_INFINITY);
        for v in heatmaps.into_iter().flatten().filter(|v| v.is_finite()) {
            low = low.min(*v);
            high = high.max(*v);
        }
        if low > high {
            return Self {
                low: 0.0,
                high: 1.0,
            };
        }
        if high <= low {
            high = low + 1.0;
        }
        Self { low, high }
    }

    /// Position of `value` on the scale, clamped to `[0, 1]` (NaN → 0).
    #[must_use]
    pub fn position(self, value: f32) -> f32 {
        let t = (value - self.low) / (self.high - self.low);
        if t.is_nan() {
            0.0
        } else {
            t.clamp(0.0, 1.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_hits_its_anchors_and_clamps() {
        assert_eq!(viridis(0.0), VIRIDIS[0]);
        assert_eq!(viridis(1.0), VIRIDIS[7]);
        assert_eq!(viridis(3.0 / 7.0), VIRIDIS[3]);
        assert_eq!(viridis(-1.0), VIRIDIS[0]);
        assert_eq!(viridis(f32::NAN), VIRIDIS[0]);
        assert_eq!(viridis(7.0), VIRIDIS[7]);
    }

    #[test]
    fn threshold_sits_at_mid_scale() {
        let scale = HeatScale::from_pixel_threshold(2.0, std::iter::empty());
        assert_eq!(scale.position(2.0), 0.5);
        assert_eq!(scale.position(10.0), 1.0);
    }

    #[test]
    fn uncalibrated_threshold_falls_back_to_the_maps_range() {
        let map = [1.0_f32, 3.0];
        let scale = HeatScale::from_pixel_threshold(f32::MAX * 2.0, [&map[..]]);
        assert_eq!((scale.low, scale.high), (1.0, 3.0));
        let flat = [5.0_f32];
        let scale = HeatScale::from_pixel_threshold(0.0, [&flat[..]]);
        assert_eq!((scale.low, scale.high), (5.0, 6.0));
    }
}
