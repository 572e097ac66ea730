//! The synthetic datasets are neither trivial nor empty: a constant detector scores image
//! AUROC 0.5 and a per-pixel Gaussian detector (mean and std of the good training images
//! per pixel) scores below 1.0, on both scenes.

mod common;

use common::TempDir;
use trainer::data;
use trainer::synth::{generate, Scene, SynthConfig, TextureKind};

/// Image AUROC by pair counting (ties count half); labels true = anomalous.
fn auroc(scores: &[f64], labels: &[bool]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (s_pos, _) in scores.iter().zip(labels).filter(|(_, &l)| l) {
        for (s_neg, _) in scores.iter().zip(labels).filter(|(_, &l)| !l) {
            pairs += 1.0;
            wins += if s_pos > s_neg {
                1.0
            } else if s_pos == s_neg {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / pairs
}

fn pixels(path: &std::path::Path) -> Vec<f64> {
    data::load_rgb(path)
        .unwrap()
        .into_raw()
        .into_iter()
        .map(f64::from)
        .collect()
}

/// (AUROC of max |z|, AUROC of mean |z|, AUROC of a constant) for one generated set.
fn detector_aurocs(config: &SynthConfig) -> (f64, f64, f64) {
    let dir = TempDir::new("difficulty");
    generate(config, &dir.0).unwrap();
    let ds = data::load_mvtec(&dir.0).unwrap();
    let train: Vec<Vec<f64>> = ds.train.iter().map(|s| pixels(&s.path)).collect();
    let n = train.len() as f64;
    let mean: Vec<f64> = (0..train[0].len())
        .map(|i| train.iter().map(|t| t[i]).sum::<f64>() / n)
        .collect();
    let std: Vec<f64> = (0..mean.len())
        .map(|i| (train.iter().map(|t| (t[i] - mean[i]).powi(2)).sum::<f64>() / n).sqrt() + 1.0)
        .collect();
    let (mut max_z, mut mean_z, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for s in &ds.test {
        let z: Vec<f64> = pixels(&s.path)
            .iter()
            .enumerate()
            .map(|(i, v)| ((v - mean[i]) / std[i]).abs())
            .collect();
        max_z.push(z.iter().copied().fold(0.0, f64::max));
        mean_z.push(z.iter().sum::<f64>() / z.len() as f64);
        labels.push(s.is_anomalous());
    }
    let constant = vec![1.0; labels.len()];
    (
        auroc(&max_z, &labels),
        auroc(&mean_z, &labels),
        auroc(&constant, &labels),
    )
}

#[test]
fn trivial_detectors_do_not_solve_synthetic_sets() {
    for (seed, (scene, texture)) in (11..).zip([
        (Scene::Part, TextureKind::Weave),
        (Scene::Texture, TextureKind::Weave),
        (Scene::Texture, TextureKind::Stone),
        (Scene::Texture, TextureKind::Brushed),
    ]) {
        let config = SynthConfig {
            seed,
            scene,
            texture,
            size: 80,
            train: 24,
            test_good: 12,
            test_defect: 20,
            ..SynthConfig::default()
        };
        let (max_z, mean_z, constant) = detector_aurocs(&config);
        println!("{scene:?}/{texture:?}: per-pixel max|z| AUROC {max_z:.3}, mean|z| {mean_z:.3}, constant {constant:.3}");
        assert_eq!(constant, 0.5);
        assert!(
            max_z < 1.0 && mean_z < 1.0,
            "{scene:?}/{texture:?}: a per-pixel detector solves it"
        );
        assert!(
            max_z.max(mean_z) > 0.5,
            "{scene:?}/{texture:?}: defects look invisible"
        );
    }
}
