//! Nearest-neighbour search: exact f32 against a naive scan, int8 against f32 (index
//! agreement, the documented distance tolerance), top-k order, payload size, thread-count
//! independence.

use trainer::bank::{F32Bank, Int8Bank, NearestNeighbours, SyntheticFeatures};

fn dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

/// All entries of `bank` (row-major) by ascending distance to `x`, ties by index.
fn naive_order(bank: &[f32], dim: usize, x: &[f32]) -> Vec<(f32, u32)> {
    let mut all: Vec<(f32, u32)> = bank
        .chunks_exact(dim)
        .enumerate()
        .map(|(j, b)| (dist(x, b), j as u32))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all
}

fn setup(dim: usize, bank_len: usize, queries: usize) -> (F32Bank, Int8Bank, Vec<f32>) {
    let f = SyntheticFeatures::new(dim, 7);
    let bank = F32Bank::new(f.sample(bank_len, 1), dim).unwrap();
    let int8 = Int8Bank::quantize(&bank);
    let mut q = f.sample(queries, 2);
    q.extend(f.anomalies(queries / 4, 3));
    (bank, int8, q)
}

#[test]
fn exact_search_equals_naive_scan_for_any_k() {
    let dim = 37;
    let (bank, _, q) = setup(dim, 500, 40);
    for k in [1, 3, 8] {
        let nn = bank.search(&q, k).unwrap();
        for (i, x) in q.chunks_exact(dim).enumerate() {
            let naive = naive_order(bank.data(), dim, x);
            for (r, &(d, j)) in naive.iter().take(k).enumerate() {
                assert_eq!(nn.indices[i * k + r], j, "query {i} rank {r}");
                assert!((nn.distances[i * k + r] - d).abs() <= 1e-4 * d.max(1.0));
            }
        }
    }
}

#[test]
fn int8_nearest_index_agrees_with_f32_on_most_queries() {
    let dim = 152;
    let (bank, int8, q) = setup(dim, 2000, 400);
    let exact = bank.search(&q, 1).unwrap();
    let approx = int8.search(&q, 1).unwrap();
    let same = exact
        .indices
        .iter()
        .zip(&approx.indices)
        .filter(|(a, b)| a == b)
        .count();
    let rate = same as f64 / exact.indices.len() as f64;
    assert!(
        rate >= 0.95,
        "int8 and f32 agree on {:.1}% of queries",
        100.0 * rate
    );
}

#[test]
fn int8_distances_stay_within_the_reconstruction_bound() {
    let dim = 152;
    let (bank, int8, q) = setup(dim, 2000, 400);
    let bound = int8.reconstruction_bound();
    let exact = bank.search(&q, 1).unwrap();
    let approx = int8.search(&q, 1).unwrap();
    let mut within = 0;
    for (d32, d8) in exact.distances.iter().zip(&approx.distances) {
        // An int8 distance is a distance to some dequantized entry: never below the true NN
        // distance minus the bound.
        assert!(*d8 >= d32 - bound - 1e-4, "int8 {d8} far below f32 {d32}");
        if (d8 - d32).abs() <= bound + 1e-4 {
            within += 1;
        }
    }
    assert!(within as f64 >= 0.99 * exact.distances.len() as f64);
    // The bound is small next to nominal nearest-neighbour distances.
    let mean = exact.distances.iter().sum::<f32>() / exact.distances.len() as f32;
    assert!(
        bound < 0.05 * mean,
        "bound {bound} vs mean NN distance {mean}"
    );
}

#[test]
fn int8_top_k_is_sorted_and_exact_on_the_dequantized_entries() {
    let dim = 24;
    let (_, int8, q) = setup(dim, 300, 30);
    let dequantized: Vec<f32> = (0..int8.len())
        .flat_map(|j| int8.entry(j).unwrap())
        .collect();
    let k = 4;
    let nn = int8.search(&q, k).unwrap();
    let mut exact_rank_hits = 0;
    for (i, x) in q.chunks_exact(dim).enumerate() {
        let d = &nn.distances[i * k..(i + 1) * k];
        assert!(d.windows(2).all(|w| w[0] <= w[1]));
        let naive = naive_order(&dequantized, dim, x);
        for r in 0..k {
            let j = nn.indices[i * k + r] as usize;
            let direct = dist(x, &dequantized[j * dim..(j + 1) * dim]);
            assert!((d[r] - direct).abs() <= 1e-4 * direct.max(1.0));
            exact_rank_hits += usize::from(naive[r].1 as usize == j);
        }
    }
    assert!(exact_rank_hits as f64 >= 0.95 * (q.len() / dim * k) as f64);
}

#[test]
fn int8_payload_is_a_quarter_of_f32_plus_codec() {
    let (bank, int8, _) = setup(152, 1000, 0);
    let report = int8.report(&bank).unwrap();
    let header = 14;
    assert_eq!(report.f32_bytes, header + 1000 * 152 * 4);
    assert_eq!(report.int8_bytes, header + 1000 * 152 + 8 * 152);
    assert!(
        report.int8_bytes <= (report.f32_bytes - header) / 4 + int8.codec().byte_size() + header
    );
    let half_step = int8.codec().scales().iter().fold(0.0f32, |a, &s| a.max(s)) * 0.5;
    assert!(report.max_abs_error <= half_step * 1.001);
    assert!(report.relative_rms_error < 0.01);
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let (bank, int8, q) = setup(40, 700, 50);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let (a, b) = one.install(|| (bank.search(&q, 3).unwrap(), int8.search(&q, 3).unwrap()));
    assert_eq!(a, bank.search(&q, 3).unwrap());
    assert_eq!(b, int8.search(&q, 3).unwrap());
}
