//! Separable triangle-filter (bilinear, area-averaging when shrinking) resampling of an
//! RGB crop straight into normalised f32 planes: the resize and normalisation of
//! [`crate::preprocess`] in one pass over the pixels, with every weight computed once
//! per (crop size, input size) and no allocation per frame.
//!
//! Filter: for a scale `s = src / dst`, output pixel `o` is centred at `c = (o + ½)·s` in
//! source coordinates; source pixel `i` (centre `i + ½`) gets weight
//! `max(0, 1 − |i + ½ − c| / max(s, 1))`, weights normalised to sum 1. Pixels beyond the
//! edge are not used (the weights of the pixels inside are renormalised), so edges keep
//! their values. This is the classic triangle ("bilinear" with antialiasing) filter;
//! shrinking by `s` averages over `2s` source pixels, so nothing aliases.

/// One output position's source taps: first index and weights.
#[derive(Debug, Clone, PartialEq)]
struct Taps {
    first: usize,
    weights: Vec<f32>,
}

fn taps(src: usize, dst: usize) -> Vec<Taps> {
    let scale = src as f64 / dst as f64;
    let support = scale.max(1.0);
    (0..dst)
        .map(|o| {
            let centre = (o as f64 + 0.5) * scale;
            let lo = ((centre - support).floor().max(0.0)) as usize;
            let hi = ((centre + support).ceil() as usize).min(src);
            let mut weights: Vec<f64> = (lo..hi)
                .map(|i| (1.0 - ((i as f64 + 0.5 - centre).abs() / support)).max(0.0))
                .collect();
            let sum: f64 = weights.iter().sum();
            if sum > 0.0 {
                for w in &mut weights {
                    *w /= sum;
                }
            } else {
                // Unreachable for src ≥ 1 (the nearest pixel is within the support), kept
                // so a degenerate size never divides by zero: take the nearest pixel.
                weights = vec![1.0];
            }
            // Trim zero weights at both ends.
            let start = weights.iter().position(|&w| w > 0.0).unwrap_or(0);
            let end = weights.iter().rposition(|&w| w > 0.0).map_or(1, |e| e + 1);
            Taps {
                first: (lo + start).min(src.saturating_sub(1)),
                weights: weights[start..end.max(start + 1)]
                    .iter()
                    .map(|&w| w as f32)
                    .collect(),
            }
        })
        .collect()
}

/// Precomputed resampling of `src_w × src_h` RGB crops to `dst_w × dst_h` planes.
#[derive(Debug, Clone)]
pub struct Resampler {
    src: (usize, usize),
    dst: (usize, usize),
    x_taps: Vec<Taps>,
    y_taps: Vec<Taps>,
    /// Horizontal pass: `src_h × dst_w × channels`.
    rows: Vec<f32>,
    /// One output row of the vertical pass, `dst_w × channels`.
    acc: Vec<f32>,
}

impl Resampler {
    /// Weights for `src` → `dst` (width, height), all sides ≥ 1.
    #[must_use]
    pub fn new(src: (u32, u32), dst: (u32, u32)) -> Self {
        let src = (src.0.max(1) as usize, src.1.max(1) as usize);
        let dst = (dst.0.max(1) as usize, dst.1.max(1) as usize);
        Resampler {
            src,
            dst,
            x_taps: taps(src.0, dst.0),
            y_taps: taps(src.1, dst.1),
            rows: Vec::new(),
            acc: Vec::new(),
        }
    }

    /// Source size this resampler was built for.
    #[must_use]
    pub fn src(&self) -> (u32, u32) {
        (self.src.0 as u32, self.src.1 as u32)
    }

    /// Destination size.
    #[must_use]
    pub fn dst(&self) -> (u32, u32) {
        (self.dst.0 as u32, self.dst.1 as u32)
    }

    /// Resamples the crop of the interleaved RGB8 buffer `data` (`row_stride` bytes per
    /// row) whose top-left pixel is `origin` into planes of `out` (`dst_h × dst_w` each):
    /// three planes R, G, B, or with `grey` one plane of the integer Rec. 709 luma
    /// `(2126 R + 7152 G + 722 B) / 10000`; each value `v` is written as
    /// `(v − mean[c]) / std[c]`.
    ///
    /// # Panics
    /// When the crop does not lie inside `data` or `out` is shorter than the planes: the
    /// caller ([`crate::preprocess`]) checks both first.
    pub fn run(
        &mut self,
        data: &[u8],
        row_stride: usize,
        origin: (usize, usize),
        grey: bool,
        (mean, std): ([f32; 3], [f32; 3]),
        out: &mut [f32],
    ) {
        let (sh, dw, dh) = (self.src.1, self.dst.0, self.dst.1);
        let channels = if grey { 1 } else { 3 };
        self.rows.resize(sh * dw * channels, 0.0);
        for y in 0..sh {
            let start = (origin.1 + y) * row_stride + origin.0 * 3;
            let src = &data[start..start + self.src.0 * 3];
            let row = &mut self.rows[y * dw * channels..(y + 1) * dw * channels];
            for (o, t) in self.x_taps.iter().enumerate() {
                let px = &src[t.first * 3..(t.first + t.weights.len()) * 3];
                if grey {
                    let mut acc = 0.0f32;
                    for (p, &w) in px.chunks_exact(3).zip(&t.weights) {
                        acc += w * luma(p);
                    }
                    row[o] = acc;
                } else {
                    let (mut r, mut g, mut b) = (0.0f32, 0.0f32, 0.0f32);
                    for (p, &w) in px.chunks_exact(3).zip(&t.weights) {
                        r += w * f32::from(p[0]);
                        g += w * f32::from(p[1]);
                        b += w * f32::from(p[2]);
                    }
                    row[o * 3..o * 3 + 3].copy_from_slice(&[r, g, b]);
                }
            }
        }
        let plane = dw * dh;
        let acc = &mut self.acc;
        acc.resize(dw * channels, 0.0);
        for (oy, t) in self.y_taps.iter().enumerate() {
            acc.iter_mut().for_each(|a| *a = 0.0);
            for (k, &w) in t.weights.iter().enumerate() {
                let y = t.first + k;
                let row = &self.rows[y * dw * channels..(y + 1) * dw * channels];
                for (a, &v) in acc.iter_mut().zip(row) {
                    *a += w * v;
                }
            }
            for ox in 0..dw {
                for c in 0..channels {
                    out[c * plane + oy * dw + ox] = (acc[ox * channels + c] - mean[c]) / std[c];
                }
            }
        }
    }
}

/// `image`'s integer Rec. 709 luma of an RGB8 pixel.
fn luma(p: &[u8]) -> f32 {
    let l = (2126 * u32::from(p[0]) + 7152 * u32::from(p[1]) + 722 * u32::from(p[2])) / 10000;
    l as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_one_and_stay_inside() {
        for (src, dst) in [(320, 256), (900, 256), (10, 3), (3, 10), (256, 256), (1, 5)] {
            for t in taps(src, dst) {
                let sum: f32 = t.weights.iter().sum();
                assert!((sum - 1.0).abs() < 1e-5, "{src}->{dst}: {sum}");
                assert!(t.first + t.weights.len() <= src, "{src}->{dst}: {t:?}");
            }
        }
    }

    #[test]
    fn equal_sizes_are_the_identity() {
        for t in taps(7, 7) {
            assert_eq!(t.weights, vec![1.0]);
        }
    }

    #[test]
    fn halving_averages_pairs_with_their_neighbours() {
        // 4 → 2: output 0 is centred at 1.0 with support 2: pixels 0, 1, 2 weigh
        // 0.75, 0.75, 0.25 before normalisation (pixel 3 is at distance 2.5).
        let t = &taps(4, 2)[0];
        assert_eq!(t.first, 0);
        let w = &t.weights;
        assert!((w[0] - 0.75 / 1.75).abs() < 1e-6 && (w[2] - 0.25 / 1.75).abs() < 1e-6);
    }

    const ID: ([f32; 3], [f32; 3]) = ([0.0; 3], [1.0; 3]);

    #[test]
    fn a_constant_crop_stays_constant() {
        // 15×11 frame, 13×9 crop at (1, 2).
        let data: Vec<u8> = (0..15 * 11).flat_map(|_| [3u8, 13, 23]).collect();
        let mut r = Resampler::new((13, 9), (5, 4));
        let mut out = vec![0.0; 3 * 20];
        r.run(&data, 15 * 3, (1, 2), false, ID, &mut out);
        for (i, v) in out.iter().enumerate() {
            let c = i / 20;
            assert!((v - (10.0 * c as f32 + 3.0)).abs() < 1e-4, "{i}: {v}");
        }
    }

    #[test]
    fn upsampling_a_ramp_interpolates_and_normalises() {
        let data = [0u8, 0, 0, 4, 4, 4];
        let mut r = Resampler::new((2, 1), (4, 1));
        let mut out = vec![0.0; 4];
        r.run(&data, 6, (0, 0), true, ([1.0; 3], [2.0; 3]), &mut out);
        assert_eq!(out, vec![-0.5, 0.0, 1.0, 1.5]);
    }
}
