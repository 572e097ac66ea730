//! Memory-bank benchmark: coreset selection time, search latency per 32×32 image for the
//! f32 and int8 global banks, the int8 bank with its inverted file (and how often it finds
//! brute force's nearest entry), the position-aware bank and the Gaussian baseline (as ratios
//! against f32 brute force measured in this process), int8 distance error, sizes and MACs.
//!
//! `cargo bench -p trainer --bench bank_search`. Sizes shrink with environment variables
//! `BANK_BENCH_IMAGES` (training images, default 200 → 204,800 patches) and
//! `BANK_BENCH_FRACTION` (coreset fraction, default 0.1). Prints figures only; asserts
//! nothing about time.

use std::time::Instant;

use trainer::bank::{
    greedy_coreset, index_bank, score_image, CoresetConfig, CoresetSize, F32Bank, FitGaussian,
    FitPosition, GaussianConfig, GaussianModel, GridShape, Int8Bank, IvfConfig, NearestNeighbours,
    PatchCoreConfig, PositionBank, PositionBankConfig, SyntheticFeatures,
};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Median wall time in ms of `reps` runs of `f`.
fn time_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let images: usize = env_or("BANK_BENCH_IMAGES", 200);
    let fraction: f32 = env_or("BANK_BENCH_FRACTION", 0.1);
    let grid = GridShape::new(32, 32, 152);
    let dim = grid.dim;
    let features = SyntheticFeatures::new(dim, 1);
    let train = features.grid_images(grid, images, 2);
    let rows = train.len() / dim;
    println!(
        "bank_search: {images} training images of {}×{}×{dim} = {rows} patches, {} threads",
        grid.height,
        grid.width,
        rayon::current_num_threads()
    );

    let start = Instant::now();
    let mut last_report = 0;
    let coreset = greedy_coreset(
        &train,
        dim,
        &CoresetConfig {
            size: CoresetSize::Fraction(fraction),
            ..CoresetConfig::default()
        },
        |done, total| {
            if done * 4 / total > last_report {
                last_report = done * 4 / total;
                eprintln!(
                    "  coreset {done}/{total} after {:.1} s",
                    start.elapsed().as_secs_f64()
                );
            }
        },
    )
    .expect("coreset");
    let coreset_s = start.elapsed().as_secs_f64();
    println!(
        "coreset: {rows} × {dim} → {} in {coreset_s:.2} s (projection 128), covering radius {:.3}",
        coreset.indices.len(),
        coreset.covering_radius
    );

    let bank = F32Bank::from_coreset(&train, dim, &coreset).expect("bank");
    let int8 = Int8Bank::quantize(&bank);
    let report = int8.report(&bank).expect("report");
    println!(
        "int8 bank: {} B vs f32 {} B ({:.3}×); value error max {:.4}, rms {:.5} ({:.3}% of rms)",
        report.int8_bytes,
        report.f32_bytes,
        report.int8_bytes as f64 / report.f32_bytes as f64,
        report.max_abs_error,
        report.rms_error,
        100.0 * report.relative_rms_error
    );

    // Test images: nominal grids with a block of anomalous patches in the second.
    let mut test = features.grid_images(grid, 2, 99);
    for p in 0..16 {
        let at = grid.floats_per_image() + (10 * 32 + 10 + p) * dim;
        features.make_anomalous(&mut test[at..at + dim], p as u64);
    }
    let image = &test[..grid.floats_per_image()];
    let config = PatchCoreConfig::default();

    let reps = 5;
    let f32_ms = time_ms(reps, || {
        score_image(&bank, image, grid, &config).expect("f32 score");
    });
    let int8_ms = time_ms(reps, || {
        score_image(&int8, image, grid, &config).expect("int8 score");
    });

    // int8 vs f32 distances on all test patches (nominal and anomalous).
    let exact = bank.search(&test, 1).expect("f32 search");
    let approx = int8.search(&test, 1).expect("int8 search");
    let same = exact
        .indices
        .iter()
        .zip(&approx.indices)
        .filter(|(a, b)| a == b)
        .count();
    let (mut max_abs, mut max_rel) = (0.0f32, 0.0f32);
    for (a, b) in exact.distances.iter().zip(&approx.distances) {
        max_abs = max_abs.max((a - b).abs());
        max_rel = max_rel.max((a - b).abs() / a.max(1e-6));
    }
    let nominal_nn = exact.distances[..grid.cells()].iter().sum::<f32>() / grid.cells() as f32;
    println!(
        "int8 NN vs f32 on {} patches: same index {:.1}%, |Δd| max {max_abs:.4} ({:.2}% relative max), mean nominal NN distance {nominal_nn:.3}",
        exact.distances.len(),
        100.0 * same as f64 / exact.distances.len() as f64,
        100.0 * max_rel
    );
    let s32 = score_image(&bank, &test[grid.floats_per_image()..], grid, &config).expect("score");
    let s8 = score_image(&int8, &test[grid.floats_per_image()..], grid, &config).expect("score");
    println!(
        "anomalous image: f32 s* {:.3} w {:.3} score {:.3}; int8 s* {:.3} w {:.3} score {:.3}",
        s32.raw_score, s32.weight, s32.image_score, s8.raw_score, s8.weight, s8.image_score
    );

    let start = Instant::now();
    let ivf = index_bank(&bank, &IvfConfig::default()).expect("index");
    let ivf_fit_s = start.elapsed().as_secs_f64();
    let ivf_ms = time_ms(reps, || {
        score_image(&ivf, image, grid, &config).expect("ivf score");
    });
    let indexed = ivf.search(&test, 1).expect("ivf search");
    let found = indexed
        .distances
        .iter()
        .zip(&approx.distances)
        .filter(|(a, b)| (*a - *b).abs() <= 1e-5 * b.max(1.0))
        .count();
    let worst = indexed
        .distances
        .iter()
        .zip(&approx.distances)
        .map(|(a, b)| (a - b) / b.max(1e-6))
        .fold(0.0f32, f32::max);
    println!(
        "inverted file ({} lists, {} probed, k-means {ivf_fit_s:.2} s): int8 brute force's \
         nearest distance on {:.1}% of patches, at most {:.2}% farther",
        ivf.lists(),
        ivf.probes(),
        100.0 * found as f64 / indexed.distances.len() as f64,
        100.0 * worst
    );

    let start = Instant::now();
    let position = PositionBank::fit(&train, grid, &PositionBankConfig::default()).expect("fit");
    let position_fit_s = start.elapsed().as_secs_f64();
    let pos_ms = time_ms(reps, || {
        position.score_map(image).expect("position score");
    });
    let position3 = position.clone().with_search_radius(1);
    let pos3_ms = time_ms(reps, || {
        position3.score_map(image).expect("position score");
    });

    let start = Instant::now();
    let gaussian = GaussianModel::fit(
        &train,
        grid,
        &GaussianConfig {
            reduced_dim: Some(100),
            ..GaussianConfig::default()
        },
    )
    .expect("gaussian");
    let gaussian_fit_s = start.elapsed().as_secs_f64();
    let gauss_ms = time_ms(reps, || {
        gaussian.score_map(image).expect("gaussian score");
    });

    let global_macs = grid.cells() as u64 * bank.macs_per_query();
    println!("search per 32×32 image (median of {reps}), ratio = time / f32 brute force:");
    let line = |name: &str, ms: f64, macs: u64, bytes: usize| {
        println!(
            "  {name:<28} {ms:8.2} ms  {:6.3}×  {:8.1} MMAC/frame  {:>10} B",
            ms / f32_ms,
            macs as f64 / 1e6,
            bytes
        );
    };
    line("f32 brute force", f32_ms, global_macs, bank.byte_size());
    line("int8 brute force", int8_ms, global_macs, int8.byte_size());
    line(
        "int8 inverted file",
        ivf_ms,
        grid.cells() as u64 * ivf.macs_per_query(),
        ivf.byte_size(),
    );
    line(
        "position-aware r=0 (16/loc)",
        pos_ms,
        position.macs_per_frame(),
        position.byte_size(),
    );
    line(
        "position-aware r=1 (16/loc)",
        pos3_ms,
        position3.macs_per_frame(),
        position3.byte_size(),
    );
    line(
        "Gaussian d=100",
        gauss_ms,
        gaussian.macs_per_frame(),
        gaussian.byte_size(),
    );
    println!("fit: position-aware {position_fit_s:.2} s, Gaussian {gaussian_fit_s:.2} s");
}
