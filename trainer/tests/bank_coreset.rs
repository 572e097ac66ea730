//! Greedy k-center coreset: distinct picks, monotone covering, one pick per separated
//! cluster first, prefix property, progress reporting, argument errors.

use trainer::bank::{
    greedy_coreset, BankError, CoresetConfig, CoresetSize, SeededRng, SyntheticFeatures,
};

fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Largest distance of any row to its nearest row in `picks` (original space, naive).
fn covering_radius(data: &[f32], dim: usize, picks: &[usize]) -> f32 {
    data.chunks_exact(dim)
        .map(|x| {
            picks
                .iter()
                .map(|&p| sq_dist(x, &data[p * dim..(p + 1) * dim]))
                .fold(f32::INFINITY, f32::min)
        })
        .fold(0.0, f32::max)
        .sqrt()
}

fn config(n: usize, projection_dim: Option<usize>) -> CoresetConfig {
    CoresetConfig {
        size: CoresetSize::Count(n),
        projection_dim,
        seed: 17,
    }
}

#[test]
fn indices_are_distinct_in_range_and_reproducible() {
    let dim = 152;
    let data = SyntheticFeatures::new(dim, 1).sample(1500, 2);
    let c = greedy_coreset(&data, dim, &CoresetConfig::default(), |_, _| {}).unwrap();
    assert_eq!(c.indices.len(), 150);
    let mut s = c.indices.clone();
    s.sort_unstable();
    s.dedup();
    assert_eq!(s.len(), 150);
    assert!(s.iter().all(|&i| i < 1500));
    let again = greedy_coreset(&data, dim, &CoresetConfig::default(), |_, _| {}).unwrap();
    assert_eq!(c, again);
}

#[test]
fn covering_radius_decreases_monotonically_with_size() {
    let dim = 40;
    let data = SyntheticFeatures::new(dim, 3).sample(800, 4);
    for projection in [None, Some(16)] {
        let c = greedy_coreset(&data, dim, &config(64, projection), |_, _| {}).unwrap();
        assert!(c.pick_distances[0].is_infinite());
        assert!(c.pick_distances[1..].windows(2).all(|w| w[1] <= w[0]));
        let mut last = f32::INFINITY;
        for n in [1, 2, 4, 8, 16, 32, 64] {
            let r = covering_radius(&data, dim, &c.indices[..n]);
            assert!(r <= last, "n = {n}: radius {r} > {last}");
            last = r;
            // The prefix is what a smaller coreset with the same seed selects.
            let small = greedy_coreset(&data, dim, &config(n, projection), |_, _| {}).unwrap();
            assert_eq!(small.indices, c.indices[..n]);
        }
        if projection.is_none() {
            let exact = covering_radius(&data, dim, &c.indices);
            assert!((exact - c.covering_radius).abs() < 1e-3 * exact.max(1.0));
        }
    }
}

#[test]
fn well_separated_clusters_get_one_pick_each_first() {
    let dim = 152;
    let clusters = 8;
    let per = 60;
    let mut rng = SeededRng::new(5);
    let mut data = Vec::new();
    for _ in 0..per {
        for c in 0..clusters {
            for d in 0..dim {
                let centre = if d % clusters == c { 50.0 } else { 0.0 };
                data.push(centre + 0.3 * rng.normal() as f32);
            }
        }
    }
    for projection in [None, Some(128), Some(32)] {
        let c = greedy_coreset(&data, dim, &config(clusters, projection), |_, _| {}).unwrap();
        let mut hit: Vec<usize> = c.indices.iter().map(|i| i % clusters).collect();
        hit.sort_unstable();
        assert_eq!(hit, (0..clusters).collect::<Vec<_>>(), "{projection:?}");
    }
}

#[test]
fn progress_is_reported_after_every_pick() {
    let data = SyntheticFeatures::new(8, 1).sample(300, 1);
    let mut calls = Vec::new();
    greedy_coreset(&data, 8, &config(30, None), |done, total| {
        calls.push((done, total))
    })
    .unwrap();
    assert_eq!(calls, (1..=30).map(|d| (d, 30)).collect::<Vec<_>>());
}

#[test]
fn fraction_defaults_to_ten_percent_and_bad_arguments_are_errors() {
    let data = SyntheticFeatures::new(8, 1).sample(200, 1);
    let c = greedy_coreset(&data, 8, &CoresetConfig::default(), |_, _| {}).unwrap();
    assert_eq!(c.indices.len(), 20);
    let bad = |size, projection_dim| {
        greedy_coreset(
            &data,
            8,
            &CoresetConfig {
                size,
                projection_dim,
                seed: 0,
            },
            |_, _| {},
        )
    };
    assert!(matches!(
        bad(CoresetSize::Count(201), None),
        Err(BankError::CoresetSize { .. })
    ));
    assert!(matches!(
        bad(CoresetSize::Fraction(1.5), None),
        Err(BankError::CoresetFraction(_))
    ));
    assert!(matches!(
        bad(CoresetSize::Count(5), Some(0)),
        Err(BankError::InvalidParameter { .. })
    ));
    assert_eq!(
        greedy_coreset(&[], 8, &CoresetConfig::default(), |_, _| {}),
        Err(BankError::Empty)
    );
    let mut nan = data.clone();
    nan[17] = f32::NAN;
    assert_eq!(
        greedy_coreset(&nan, 8, &CoresetConfig::default(), |_, _| {}),
        Err(BankError::NonFinite { index: 17 })
    );
}

#[test]
fn selection_does_not_depend_on_thread_count() {
    let dim = 24;
    let data = SyntheticFeatures::new(dim, 8).sample(20_000, 9);
    let config = CoresetConfig {
        size: CoresetSize::Count(300),
        projection_dim: Some(16),
        seed: 1,
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let single = one.install(|| greedy_coreset(&data, dim, &config, |_, _| {}).unwrap());
    assert_eq!(
        single,
        greedy_coreset(&data, dim, &config, |_, _| {}).unwrap()
    );
}
