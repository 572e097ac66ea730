//! Slice kernels behind both [`super::ScorePipeline`] and the free functions. Nothing here
//! allocates; callers pass every buffer, sized as each function states.

use super::{ImageScore, ScoreError};

/// Gaussian kernel radius for `sigma` (map cells): `⌊4σ + 0.5⌋`, as
/// `scipy.ndimage.gaussian_filter(truncate=4.0)` computes it. `sigma` is already checked
/// to be finite and in `0..=MAX_SIGMA`.
pub(crate) fn kernel_radius(sigma: f32) -> usize {
    if sigma <= 0.0 {
        0
    } else {
        // Truncation toward zero is scipy's `int(truncate * sd + 0.5)`.
        (4.0 * f64::from(sigma) + 0.5) as usize
    }
}

/// Fills `kernel` (length `2·radius + 1`) with normalised Gaussian weights
/// `exp(−x²/2σ²) / Σ`, x = −radius..=radius. σ = 0 gives the identity `[1.0]`.
pub(crate) fn fill_kernel(sigma: f32, kernel: &mut [f64]) {
    let radius = kernel.len() / 2;
    if sigma <= 0.0 || radius == 0 {
        kernel.fill(0.0);
        kernel[radius] = 1.0;
        return;
    }
    let sigma2 = f64::from(sigma) * f64::from(sigma);
    let mut sum = 0.0;
    for (i, w) in kernel.iter_mut().enumerate() {
        let x = i as f64 - radius as f64;
        *w = libm::exp(-0.5 / sigma2 * x * x);
        sum += *w;
    }
    for w in kernel.iter_mut() {
        *w /= sum;
    }
}

/// Half-sample symmetric reflection of index `i` into `0..n` (scipy 'reflect':
/// `d c b a | a b c d | d c b a`), repeating with period `2n` when the kernel is wider
/// than the map.
fn reflect(i: isize, n: usize) -> usize {
    let period = 2 * n as isize;
    let m = i.rem_euclid(period) as usize;
    if m < n {
        m
    } else {
        2 * n - 1 - m
    }
}

/// Separable Gaussian blur of `src` (`width × height`, row-major) into `dst`, using
/// `tmp` (same length) between the vertical pass (scipy's axis 0, done first) and the
/// horizontal pass. Accumulates in f64, rounds to f32 after each pass.
pub(crate) fn blur(
    src: &[f32],
    width: usize,
    height: usize,
    kernel: &[f64],
    tmp: &mut [f32],
    dst: &mut [f32],
) {
    if kernel.len() == 1 {
        dst.copy_from_slice(src);
        return;
    }
    let radius = kernel.len() / 2;
    for y in 0..height {
        for x in 0..width {
            let mut acc = 0.0f64;
            for (j, w) in kernel.iter().enumerate() {
                let sy = reflect(y as isize + j as isize - radius as isize, height);
                acc += w * f64::from(src[sy * width + x]);
            }
            tmp[y * width + x] = acc as f32;
        }
    }
    for y in 0..height {
        let row = &tmp[y * width..(y + 1) * width];
        for x in 0..width {
            let mut acc = 0.0f64;
            for (j, w) in kernel.iter().enumerate() {
                let sx = reflect(x as isize + j as isize - radius as isize, width);
                acc += w * f64::from(row[sx]);
            }
            dst[y * width + x] = acc as f32;
        }
    }
}

/// One output coordinate's two source indices and the weight of the second.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Tap {
    i0: u32,
    i1: u32,
    w1: f64,
}

/// Fills `taps` (one per output coordinate) for resizing `in_len` cells to `taps.len()`
/// with half-pixel centres: `src = (o + 0.5)·in/out − 0.5`, negative clamped to 0, the
/// upper neighbour clamped to `in_len − 1` (ONNX Resize `half_pixel`, PyTorch
/// `align_corners=False`).
pub(crate) fn fill_taps(in_len: usize, taps: &mut [Tap]) {
    let scale = in_len as f64 / taps.len() as f64;
    let last = in_len - 1;
    for (o, tap) in taps.iter_mut().enumerate() {
        let src = ((o as f64 + 0.5) * scale - 0.5).max(0.0);
        let i0 = (src as usize).min(last);
        let i1 = (i0 + 1).min(last);
        let w1 = (src - i0 as f64).clamp(0.0, 1.0);
        *tap = Tap {
            i0: i0 as u32,
            i1: i1 as u32,
            w1,
        };
    }
}

/// `a + t·(b − a)` in f64, clamped to `[min(a, b), max(a, b)]` so rounding can never leave
/// the interval and `a == b` gives exactly `a`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    (a + t * (b - a)).clamp(lo, hi)
}

/// Bilinear resize of `src` (`width` columns, row-major) into `dst`
/// (`x_taps.len() × y_taps.len()`).
pub(crate) fn upsample(src: &[f32], width: usize, x_taps: &[Tap], y_taps: &[Tap], dst: &mut [f32]) {
    let out_width = x_taps.len();
    for (oy, ty) in y_taps.iter().enumerate() {
        let r0 = &src[ty.i0 as usize * width..][..width];
        let r1 = &src[ty.i1 as usize * width..][..width];
        let out_row = &mut dst[oy * out_width..][..out_width];
        for (out, tx) in out_row.iter_mut().zip(x_taps) {
            let (x0, x1) = (tx.i0 as usize, tx.i1 as usize);
            let top = lerp(f64::from(r0[x0]), f64::from(r0[x1]), tx.w1);
            let bottom = lerp(f64::from(r1[x0]), f64::from(r1[x1]), tx.w1);
            *out = lerp(top, bottom, ty.w1) as f32;
        }
    }
}

/// Returns the first non-finite value of `map` (`width` columns) as an error.
pub(crate) fn check_finite(map: &[f32], width: usize) -> Result<(), ScoreError> {
    match map.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(ScoreError::NonFinite {
            x: (i % width) as u32,
            y: (i / width) as u32,
            value: map[i],
        }),
    }
}

/// Reduces `map` (non-empty, finite) to an image score. `scratch` (same length as `map`)
/// is only used by `TopKMean`, whose `k` is already checked to be `1..=map.len()`: the top
/// k values are selected, sorted ascending and summed in f64, so the result does not
/// depend on the selection's internal order.
pub(crate) fn reduce(map: &[f32], method: ImageScore, scratch: &mut [f32]) -> f32 {
    match method {
        ImageScore::Max => map.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        ImageScore::TopKMean { k } => {
            let n = map.len();
            let k = k as usize;
            scratch.copy_from_slice(map);
            if k < n {
                scratch.select_nth_unstable_by(n - k, f32::total_cmp);
            }
            let top = &mut scratch[n - k..];
            top.sort_unstable_by(f32::total_cmp);
            let sum: f64 = top.iter().map(|&v| f64::from(v)).sum();
            (sum / k as f64) as f32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_is_half_sample_symmetric_and_periodic() {
        let got: [usize; 12] = core::array::from_fn(|i| reflect(i as isize - 4, 3));
        // -4..8 over n = 3: ... c b a | a b c | c b a | a b ...
        assert_eq!(got, [2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1]);
        assert_eq!(reflect(-7, 1), 0);
    }

    #[test]
    fn kernel_radius_follows_scipy_truncation() {
        assert_eq!(kernel_radius(0.0), 0);
        assert_eq!(kernel_radius(0.1), 0);
        assert_eq!(kernel_radius(0.125), 1);
        assert_eq!(kernel_radius(1.0), 4);
        assert_eq!(kernel_radius(4.0), 16);
    }

    #[test]
    fn taps_for_two_to_four_hit_quarter_positions() {
        let mut taps = [Tap::default(); 4];
        fill_taps(2, &mut taps);
        let got: [(u32, u32, f64); 4] =
            core::array::from_fn(|i| (taps[i].i0, taps[i].i1, taps[i].w1));
        assert_eq!(got, [(0, 1, 0.0), (0, 1, 0.25), (0, 1, 0.75), (1, 1, 0.25)]);
    }
}
