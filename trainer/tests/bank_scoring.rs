//! Scoring: PatchCore's reweighting, the Mahalanobis baseline by hand, the position-aware
//! bank's sensitivity to misplaced patches, and anomalies outscoring held-out normal
//! patches for the global (f32 and int8), position-aware and Gaussian models.

use trainer::bank::{
    greedy_coreset, reweight, score_image, CoresetConfig, F32Bank, FitGaussian, FitPosition,
    GaussianConfig, GaussianModel, GridShape, Int8Bank, NearestNeighbours, PatchCoreConfig,
    PositionBank, PositionBankConfig, SyntheticFeatures,
};

const B: usize = 3;

fn train_grid() -> (SyntheticFeatures, GridShape, Vec<f32>) {
    let grid = GridShape::new(12, 12, 32);
    let f = SyntheticFeatures::new(grid.dim, 11);
    let train = f.grid_images(grid, 40, 1);
    (f, grid, train)
}

fn global_bank(train: &[f32], dim: usize) -> F32Bank {
    let c = greedy_coreset(train, dim, &CoresetConfig::default(), |_, _| {}).unwrap();
    F32Bank::from_coreset(train, dim, &c).unwrap()
}

#[test]
fn reweighting_weight_lies_in_unit_interval_and_above_one_minus_one_over_b() {
    let (f, grid, train) = train_grid();
    let bank = global_bank(&train, grid.dim);
    let int8 = Int8Bank::quantize(&bank);
    let mut test = f.grid_images(grid, 3, 50);
    let per = grid.floats_per_image();
    f.make_anomalous(&mut test[per + 5 * grid.dim..per + 6 * grid.dim], 1);
    for image in test.chunks_exact(per) {
        for b in [2, 3, 9] {
            let config = PatchCoreConfig {
                reweight_neighbours: Some(b),
            };
            let s = score_image(&bank, image, grid, &config).unwrap();
            assert!((0.0..=1.0).contains(&s.weight));
            assert!(
                s.weight >= 1.0 - 1.0 / b as f32 - 1e-6,
                "b {b}: w {}",
                s.weight
            );
            assert!((s.image_score - s.weight * s.raw_score).abs() < 1e-6);
            let q = score_image(&int8, image, grid, &config).unwrap();
            assert!((0.0..=1.0).contains(&q.weight));
        }
    }
}

#[test]
fn reweighting_is_a_constant_factor_when_the_neighbourhood_is_uniform() {
    // m* sits in a tight cluster of b entries; the test patch is far from all of them, so
    // every exp-distance in eq. 7 is (nearly) the same and w = 1 − 1/b.
    let dim = 4;
    let mut entries = vec![0.0f32; 3 * dim];
    entries[dim] = 1e-4;
    entries[2 * dim + 1] = 1e-4;
    entries.extend_from_slice(&[50.0, 50.0, 50.0, 50.0]);
    let bank = F32Bank::new(entries, dim).unwrap();
    for far in [5.0f32, 20.0, 200.0] {
        let test = [0.0, 0.0, -far, 0.0];
        let w = reweight(&bank, &test, 0, B).unwrap();
        assert!(
            (w - (1.0 - 1.0 / B as f32)).abs() < 1e-3,
            "far {far}: w {w}"
        );
    }
}

#[test]
fn reweighting_leaves_s_star_unchanged_when_the_nearest_entry_is_isolated() {
    // m* is a rare nominal feature: its bank neighbours are far from the test patch, so
    // their exp-distances dominate the sum and w → 1, s → s*.
    let dim = 2;
    let bank = F32Bank::new(vec![0.0, 0.0, 40.0, 0.0, 0.0, 40.0, 40.0, 40.0], dim).unwrap();
    let grid = GridShape::new(1, 2, dim);
    let patches = [0.5, 0.0, 0.0, -3.0];
    let s = score_image(&bank, &patches, grid, &PatchCoreConfig::default()).unwrap();
    assert_eq!(s.max_patch, 1);
    assert_eq!(s.raw_score, 3.0);
    assert!(s.weight > 0.999_999, "w {}", s.weight);
    assert!((s.image_score - s.raw_score).abs() < 1e-5);
    let plain = PatchCoreConfig {
        reweight_neighbours: None,
    };
    let p = score_image(&bank, &patches, grid, &plain).unwrap();
    assert_eq!((p.weight, p.image_score), (1.0, 3.0));
    assert!(reweight(&bank, &patches[2..], 0, 1).is_err());
}

#[test]
fn patch_map_has_grid_shape_and_its_maximum_is_the_raw_score() {
    let (f, grid, train) = train_grid();
    let bank = global_bank(&train, grid.dim);
    let test = f.grid_images(grid, 1, 60);
    let s = score_image(&bank, &test, grid, &PatchCoreConfig::default()).unwrap();
    assert_eq!((s.height, s.width, s.map.len()), (12, 12, 144));
    assert_eq!(s.map.iter().fold(0.0f32, |a, &b| a.max(b)), s.raw_score);
    assert_eq!(s.map[s.max_patch], s.raw_score);
    let nn = bank.search(&test, 1).unwrap();
    assert_eq!(nn.distances, s.map);
    assert!(score_image(&bank, &test[..100], grid, &PatchCoreConfig::default()).is_err());
}

#[test]
fn mahalanobis_matches_hand_computed_2d_cases() {
    let grid = GridShape::new(1, 1, 2);
    // Σ = [[2, 1], [1, 2]], Σ⁻¹ = [[2, −1], [−1, 2]] / 3; x − μ = (1, 0) → d² = 2/3.
    let m = GaussianModel::from_moments(
        grid,
        vec![0, 1],
        vec![1.0, -1.0],
        &[2.0, 1.0, 1.0, 2.0],
        0.0,
    )
    .unwrap();
    let d = m.mahalanobis(0, &[2.0, -1.0]).unwrap();
    assert!((d - (2.0f32 / 3.0).sqrt()).abs() < 1e-6, "{d}");
    // x − μ = (1, 1) → d² = (2 − 2 + 2)/3 = 2/3 as well; (1, −1) → 6/3 = 2.
    assert!((m.mahalanobis(0, &[2.0, 0.0]).unwrap() - (2.0f32 / 3.0).sqrt()).abs() < 1e-6);
    assert!((m.mahalanobis(0, &[2.0, -2.0]).unwrap() - 2.0f32.sqrt()).abs() < 1e-6);

    // Fitted: points (±2, 0), (0, ±1) → mean 0, unbiased variances 8/3 and 2/3, no
    // covariance; ridge 0.01 on the diagonal.
    let train = [2.0, 0.0, -2.0, 0.0, 0.0, 1.0, 0.0, -1.0];
    let m = GaussianModel::fit(&train, grid, &GaussianConfig::default()).unwrap();
    let expected = (1.0 / (8.0 / 3.0 + 0.01) + 1.0 / (2.0 / 3.0 + 0.01f64)).sqrt() as f32;
    assert!((m.mahalanobis(0, &[1.0, 1.0]).unwrap() - expected).abs() < 1e-5);
    assert_eq!(
        m.score_map(&[1.0, 1.0]).unwrap()[0],
        m.mahalanobis(0, &[1.0, 1.0]).unwrap()
    );
    assert!(m.mahalanobis(1, &[1.0, 1.0]).is_none());
}

#[test]
fn position_bank_scores_a_misplaced_patch_higher_than_at_its_own_location() {
    let (f, grid, train) = train_grid();
    let position = PositionBank::fit(&train, grid, &PositionBankConfig::default()).unwrap();
    let dim = grid.dim;
    let test = f.grid_images(grid, 1, 70);
    let home = grid.width + 1; // (1, 1)
    let away = 10 * grid.width + 10; // (10, 10), another prototype block
    let mut moved = test.clone();
    moved.copy_within(home * dim..(home + 1) * dim, away * dim);
    let at_home = position.score_map(&test).unwrap();
    let misplaced = position.score_map(&moved).unwrap();
    assert!(
        misplaced[away] > 2.0 * at_home[home],
        "misplaced {} vs at home {}",
        misplaced[away],
        at_home[home]
    );
    assert!(misplaced[away] > at_home[away]);
    // A global bank cannot tell: the patch is normal somewhere.
    let global = global_bank(&train, dim);
    let g = global.search(&moved, 1).unwrap();
    assert!(g.distances[away] < misplaced[away]);
    // Cost: 16 entries per location against a 10% global coreset per patch.
    assert!(position.macs_per_frame() * 10 < grid.cells() as u64 * global.macs_per_query());
}

#[test]
fn anomalies_outscore_held_out_normal_patches_for_every_model() {
    let (f, grid, train) = train_grid();
    let dim = grid.dim;
    let per = grid.floats_per_image();
    let normal = f.grid_images(grid, 2, 80);
    let mut anomalous = f.grid_images(grid, 1, 81);
    let defect: Vec<usize> = (0..6).map(|i| (3 + i) * grid.width + 4 + i).collect();
    for (n, &cell) in defect.iter().enumerate() {
        f.make_anomalous(&mut anomalous[cell * dim..(cell + 1) * dim], n as u64);
    }

    let bank = global_bank(&train, dim);
    let int8 = Int8Bank::quantize(&bank);
    let position = PositionBank::fit(&train, grid, &PositionBankConfig::default()).unwrap();
    let gaussian = GaussianModel::fit(
        &train,
        grid,
        &GaussianConfig {
            reduced_dim: Some(24),
            ..GaussianConfig::default()
        },
    )
    .unwrap();
    let config = PatchCoreConfig::default();
    type MapFn<'a> = Box<dyn Fn(&[f32]) -> Vec<f32> + 'a>;
    let models: Vec<(&str, MapFn)> = vec![
        (
            "f32",
            Box::new(|x| score_image(&bank, x, grid, &config).unwrap().map),
        ),
        (
            "int8",
            Box::new(|x| score_image(&int8, x, grid, &config).unwrap().map),
        ),
        ("position", Box::new(|x| position.score_map(x).unwrap())),
        ("gaussian", Box::new(|x| gaussian.score_map(x).unwrap())),
    ];
    for (name, map) in &models {
        let normal_max = normal
            .chunks_exact(per)
            .flat_map(map)
            .fold(0.0f32, f32::max);
        let a = map(&anomalous);
        let weakest = defect.iter().map(|&c| a[c]).fold(f32::INFINITY, f32::min);
        assert!(
            weakest > normal_max,
            "{name}: weakest anomalous patch {weakest} vs largest normal patch {normal_max}"
        );
    }
    for bank in [&bank as &dyn NearestNeighbours, &int8] {
        let n = score_image(bank, &normal[..per], grid, &config).unwrap();
        let a = score_image(bank, &anomalous, grid, &config).unwrap();
        assert!(a.image_score > n.image_score);
    }
}
