//! Which good training images are held out for calibration.

/// Splits `n` items (in the dataset's sorted order) into (fit, held-out) index lists:
/// every k-th item is held out, k = round(1 / fraction), so the held-out images spread
/// over the whole capture order (drift, lighting changes) rather than its tail. At least
/// `min_held` (when `n` allows one fit item) and at most `n − 1` items are held out.
#[must_use]
pub fn holdout_split(n: usize, fraction: f64, min_held: usize) -> (Vec<usize>, Vec<usize>) {
    if n < 2 || fraction.is_nan() || fraction <= 0.0 {
        return ((0..n).collect(), Vec::new());
    }
    let wanted = ((n as f64 * fraction.min(1.0)).round() as usize)
        .max(min_held)
        .min(n - 1);
    // Evenly spaced picks: item floor((j + 0.5) · n / wanted) for j < wanted.
    let held: Vec<usize> = (0..wanted)
        .map(|j| ((2 * j + 1) * n) / (2 * wanted))
        .collect();
    let fit = (0..n).filter(|i| held.binary_search(i).is_err()).collect();
    (fit, held)
}

#[cfg(test)]
mod tests {
    use super::holdout_split;

    #[test]
    fn holds_out_the_fraction_spread_over_the_order() {
        let (fit, held) = holdout_split(209, 0.1, 2);
        assert_eq!(held.len(), 21);
        assert_eq!(fit.len() + held.len(), 209);
        assert!(held[0] < 10 && *held.last().unwrap() > 199);
        let mut all: Vec<usize> = fit.iter().chain(&held).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..209).collect::<Vec<_>>());
    }

    #[test]
    fn respects_the_minimum_and_keeps_one_fit_image() {
        assert_eq!(holdout_split(10, 0.01, 2).1.len(), 2);
        let (fit, held) = holdout_split(3, 0.9, 2);
        assert_eq!((fit.len(), held.len()), (1, 2));
        assert_eq!(holdout_split(1, 0.5, 2), (vec![0], vec![]));
        assert_eq!(holdout_split(5, 0.0, 2).1.len(), 0);
    }
}
