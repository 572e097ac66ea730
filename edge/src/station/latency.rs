//! [`LatencyHistogram`]: percentiles of µs latencies over a run of any length, in fixed
//! memory: recording a sample never allocates (the line loop runs for months).
//!
//! Values below 128 µs have a bucket each; above, each power of two is split into 64
//! buckets, so a reported percentile is within 0.8 % of the true sample value (the
//! bucket's midpoint is reported). Exact percentiles of a short benchmark come from
//! [`percentile_of_sorted`].

/// Sub-buckets per power of two (2^6): relative resolution 1/64, error ≤ 1/128.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
/// Values below this have a bucket each.
const EXACT: u64 = 2 * SUB;
/// 128 exact buckets + 64 per exponent 7..=63.
const BUCKETS: usize = EXACT as usize + (64 - (SUB_BITS as usize + 1)) * SUB as usize;

/// See the [module docs](self).
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: Box<[u64]>,
    total: u64,
    max_us: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
            max_us: 0,
        }
    }
}

fn bucket_of(value: u64) -> usize {
    if value < EXACT {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros(); // ≥ 7
    let shift = exponent - SUB_BITS;
    let mantissa = (value >> shift) - SUB; // 0..64
    EXACT as usize + (exponent - SUB_BITS - 1) as usize * SUB as usize + mantissa as usize
}

/// The midpoint of bucket `index`.
fn value_of(index: usize) -> u64 {
    let index = index as u64;
    if index < EXACT {
        return index;
    }
    let k = index - EXACT;
    let exponent = k / SUB + u64::from(SUB_BITS) + 1;
    let mantissa = k % SUB;
    let shift = exponent - u64::from(SUB_BITS);
    let low = (SUB + mantissa) << shift;
    low + (1u64 << shift) / 2
}

impl LatencyHistogram {
    /// Adds one sample, µs.
    pub fn record(&mut self, us: u64) {
        if let Some(count) = self.counts.get_mut(bucket_of(us)) {
            *count += 1;
        }
        self.total += 1;
        self.max_us = self.max_us.max(us);
    }

    /// Samples recorded.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest sample, µs (exact).
    #[must_use]
    pub fn max_us(&self) -> u64 {
        self.max_us
    }

    /// The `q`-quantile (`0 < q ≤ 1`, e.g. 0.99): the smallest value with at least
    /// `⌈q · n⌉` samples at or below it, to the bucket's resolution (never above the
    /// maximum). `None` without samples.
    #[must_use]
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(value_of(index).min(self.max_us));
            }
        }
        Some(self.max_us)
    }
}

/// The `q`-quantile of `sorted` (ascending) by the same rank rule as
/// [`LatencyHistogram::quantile_us`], exactly; `None` when empty.
#[must_use]
pub fn percentile_of_sorted(sorted: &[u64], q: f64) -> Option<u64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = ((q.clamp(0.0, 1.0) * n as f64).ceil() as usize).clamp(1, n);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut last = 0;
        for v in (0..5000).chain([1 << 20, u64::MAX / 3, u64::MAX]) {
            let b = bucket_of(v);
            assert!(b < BUCKETS, "{v} → {b}");
            assert!(b >= last, "buckets must not go back at {v}");
            last = b;
        }
        assert_eq!(bucket_of(127), 127);
        assert_eq!(bucket_of(128), 128);
    }

    #[test]
    fn quantiles_are_within_the_resolution_of_exact_ones() {
        let mut h = LatencyHistogram::default();
        let mut exact: Vec<u64> = (0..10_000u64).map(|i| 50 + (i * 7919) % 200_000).collect();
        for &v in &exact {
            h.record(v);
        }
        exact.sort_unstable();
        for q in [0.5, 0.95, 0.99, 1.0] {
            let want = percentile_of_sorted(&exact, q).unwrap_or_default() as f64;
            let got = h.quantile_us(q).unwrap_or_default() as f64;
            assert!(
                (got - want).abs() <= want / 100.0 + 1.0,
                "q {q}: {got} vs {want}"
            );
        }
        assert_eq!(h.count(), 10_000);
        assert_eq!(h.max_us(), *exact.last().unwrap_or(&0));
        assert_eq!(LatencyHistogram::default().quantile_us(0.5), None);
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = LatencyHistogram::default();
        for v in [3, 3, 9, 100] {
            h.record(v);
        }
        assert_eq!(h.quantile_us(0.5), Some(3));
        assert_eq!(h.quantile_us(0.75), Some(9));
        assert_eq!(h.quantile_us(1.0), Some(100));
        assert_eq!(percentile_of_sorted(&[1, 2, 3, 4], 0.5), Some(2));
    }
}
