//! Int8 quantization of bank vectors, affine per dimension: each dimension `d` keeps an
//! offset `o_d` (the midpoint of its training range) and a scale `s_d = (max_d − min_d) /
//! 254`, and a value is stored as the code `q = round((x − o_d) / s_d)` clamped to
//! `-127..=127`, read back as `o_d + s_d q`.
//!
//! Why affine with the midpoint, not symmetric around 0: patch features are skewed and
//! mostly non-negative (ReLU/ReLU6 stages, local averaging), so a symmetric code would
//! leave the negative half of the range unused (7 effective bits). Centring on the
//! midpoint uses all codes, and since the offset is shared by bank and query it cancels in
//! every distance. The code `-128` is never produced, so `i16` products of two codes never
//! overflow in pairs (see [`super::kernels`]).
//!
//! Always holds: inside the training range the reconstruction error per value is at most
//! `s_d / 2`; outside it, codes saturate. A constant dimension has scale 0 and code 0 and
//! is reconstructed exactly. Bytes: codes take `N × dim` bytes, the codec `8 × dim`.

use super::shape::check_rows;
use super::BankError;

/// Largest code magnitude; `-128` is never used.
pub const CODE_MAX: i8 = 127;

/// Per-dimension affine int8 codec (offset, scale).
#[derive(Debug, Clone, PartialEq)]
pub struct Int8Codec {
    offset: Vec<f32>,
    scale: Vec<f32>,
}

impl Int8Codec {
    /// Fits offsets and scales to the per-dimension range of `data` (`N × dim`).
    pub fn fit(data: &[f32], dim: usize) -> Result<Self, BankError> {
        check_rows(data, dim)?;
        let mut lo = vec![f32::INFINITY; dim];
        let mut hi = vec![f32::NEG_INFINITY; dim];
        for row in data.chunks_exact(dim) {
            for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(row) {
                *l = l.min(v);
                *h = h.max(v);
            }
        }
        let offset = lo.iter().zip(&hi).map(|(l, h)| 0.5 * l + 0.5 * h).collect();
        let scale = lo
            .iter()
            .zip(&hi)
            .map(|(l, h)| (f64::from(*h) - f64::from(*l)) as f32 / (2.0 * f32::from(CODE_MAX)))
            .collect();
        Ok(Int8Codec { offset, scale })
    }

    /// Builds a codec from stored parts; `None` unless lengths agree and are ≥ 1, offsets
    /// are finite and scales finite and ≥ 0.
    pub fn from_parts(offset: Vec<f32>, scale: Vec<f32>) -> Option<Self> {
        let ok = !offset.is_empty()
            && offset.len() == scale.len()
            && offset.iter().all(|v| v.is_finite())
            && scale.iter().all(|s| s.is_finite() && *s >= 0.0);
        ok.then_some(Int8Codec { offset, scale })
    }

    /// Feature dimension.
    pub fn dim(&self) -> usize {
        self.offset.len()
    }

    /// Per-dimension offsets `o_d`.
    pub fn offsets(&self) -> &[f32] {
        &self.offset
    }

    /// Per-dimension scales `s_d` (≥ 0).
    pub fn scales(&self) -> &[f32] {
        &self.scale
    }

    /// Encodes one vector (`dim` values) into `out` (at least `dim` codes; the rest is left
    /// untouched).
    pub fn encode_into(&self, x: &[f32], out: &mut [i8]) {
        for (((o, &v), &off), &s) in out.iter_mut().zip(x).zip(&self.offset).zip(&self.scale) {
            *o = if s > 0.0 {
                ((v - off) / s)
                    .round()
                    .clamp(-f32::from(CODE_MAX), f32::from(CODE_MAX)) as i8
            } else {
                0
            };
        }
    }

    /// True when every value of `x` (`dim` values per row, any number of rows) lies in
    /// this codec's range, i.e. encodes without saturating, with error at most `s_d / 2`.
    pub fn covers(&self, x: &[f32]) -> bool {
        let limit = f32::from(CODE_MAX) + 0.5;
        x.chunks_exact(self.dim()).all(|row| {
            row.iter()
                .zip(&self.offset)
                .zip(&self.scale)
                .all(|((&v, &o), &s)| {
                    if s > 0.0 {
                        ((v - o) / s).abs() <= limit
                    } else {
                        v == o
                    }
                })
        })
    }

    /// Decodes `dim` codes into `out`.
    pub fn decode_into(&self, codes: &[i8], out: &mut [f32]) {
        for (((o, &q), &off), &s) in out.iter_mut().zip(codes).zip(&self.offset).zip(&self.scale) {
            *o = off + s * f32::from(q);
        }
    }

    /// Bytes of the codec itself (offsets and scales, f32 each).
    pub fn byte_size(&self) -> usize {
        8 * self.dim()
    }
}

/// How well an int8 bank reproduces its f32 source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantizationReport {
    /// Largest absolute error of any value.
    pub max_abs_error: f32,
    /// Root-mean-square error over all values.
    pub rms_error: f32,
    /// RMS error relative to the RMS of the values (dimensionless).
    pub relative_rms_error: f32,
    /// Serialised payload bytes of the f32 bank.
    pub f32_bytes: usize,
    /// Serialised payload bytes of the int8 bank (codes + codec + header).
    pub int8_bytes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_error_is_at_most_half_a_step_and_constants_are_exact() {
        let dim = 3;
        let data: Vec<f32> = (0..300)
            .map(|i| match i % 3 {
                0 => (i as f32 * 0.013).sin().max(0.0) * 5.0,
                1 => 2.5,
                _ => -(i as f32) * 0.01,
            })
            .collect();
        let codec = Int8Codec::fit(&data, dim).unwrap();
        assert_eq!(codec.scales()[1], 0.0);
        let mut q = [0i8; 3];
        let mut back = [0.0f32; 3];
        for row in data.chunks_exact(dim) {
            codec.encode_into(row, &mut q);
            assert!(q.iter().all(|&c| c != i8::MIN));
            codec.decode_into(&q, &mut back);
            for d in 0..dim {
                assert!((back[d] - row[d]).abs() <= codec.scales()[d] * 0.5001 + 1e-6);
            }
            assert_eq!(back[1], 2.5);
        }
        assert!(Int8Codec::from_parts(vec![0.0], vec![-1.0]).is_none());
        assert!(Int8Codec::from_parts(vec![0.0, 1.0], vec![1.0]).is_none());
    }
}
