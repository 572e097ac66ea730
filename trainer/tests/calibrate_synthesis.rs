//! Synthetic anomalies of `trainer::calibrate`: exact, non-empty masks for every kind and
//! image shape, and determinism by seed.

use image::RgbImage;
use trainer::calibrate::{synthesize, synthetic_anomaly, AnomalyKind, CalibrationConfig};
use trainer::synth::render::render;
use trainer::synth::rng::Rng;
use trainer::synth::scene::{Material, View};
use trainer::synth::{Scene, TextureKind};

/// Good images of several looks and shapes, including flat and tiny ones.
fn images() -> Vec<(String, RgbImage)> {
    let mut out = Vec::new();
    for (i, (scene, texture)) in [
        (Scene::Part, TextureKind::Weave),
        (Scene::Texture, TextureKind::Stone),
        (Scene::Texture, TextureKind::Brushed),
    ]
    .into_iter()
    .enumerate()
    {
        let material = Material::new(scene, texture, 11 + i as u64);
        let view = View::random(&mut Rng::new(&[i as u64, 1]));
        let image = render(&material, &view, 64, None, &mut Rng::new(&[i as u64, 2]));
        out.push((format!("{scene:?}/{texture:?}"), image));
    }
    out.push((
        "flat grey".into(),
        RgbImage::from_pixel(48, 48, image::Rgb([128; 3])),
    ));
    out.push((
        "flat white".into(),
        RgbImage::from_pixel(32, 32, image::Rgb([255; 3])),
    ));
    let gradient = RgbImage::from_fn(80, 30, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 8) as u8, 90])
    });
    out.push(("wide gradient".into(), gradient));
    out.push((
        "1×1".into(),
        RgbImage::from_pixel(1, 1, image::Rgb([0, 0, 0])),
    ));
    out.push((
        "3×2".into(),
        RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8 * 60, y as u8 * 90, 7])),
    ));
    out
}

#[test]
fn masks_are_exact_and_non_empty_for_every_kind() {
    for (name, image) in images() {
        for kind in AnomalyKind::ALL {
            for seed in 0..12u64 {
                let (out, mask) = synthesize(&image, kind, &mut Rng::new(&[seed]));
                assert_eq!(out.dimensions(), image.dimensions(), "{name} {kind}");
                assert_eq!(
                    mask.len(),
                    (image.width() * image.height()) as usize,
                    "{name} {kind}: mask size"
                );
                assert!(
                    mask.iter().any(|&m| m),
                    "{name} {kind} seed {seed}: empty mask"
                );
                let mut changed = 0;
                for (i, (a, b)) in image.pixels().zip(out.pixels()).enumerate() {
                    if a != b {
                        assert!(
                            mask[i],
                            "{name} {kind} seed {seed}: pixel {i} changed outside the mask"
                        );
                        changed += 1;
                    }
                }
                assert!(changed > 0, "{name} {kind} seed {seed}: nothing changed");
            }
        }
    }
}

#[test]
fn anomaly_sizes_follow_their_kind() {
    let image = images().remove(1).1;
    let pixels = (image.width() * image.height()) as f64;
    for seed in 0..20u64 {
        let share = |kind| {
            let (_, mask) = synthesize(&image, kind, &mut Rng::new(&[seed]));
            mask.iter().filter(|&&m| m).count() as f64 / pixels
        };
        // Rectangles cover 2–15 % of the area (rounding of the sides allows a little more).
        let cut = share(AnomalyKind::CutPaste);
        assert!((0.01..=0.2).contains(&cut), "cut-paste covers {cut}");
        // DRAEM blobs cover 2–20 %.
        let draem = share(AnomalyKind::Draem);
        assert!((0.015..=0.21).contains(&draem), "draem covers {draem}");
        // Scars and scratches are thin.
        assert!(share(AnomalyKind::CutPasteScar) < 0.1);
        assert!(share(AnomalyKind::Scratch) < 0.15);
    }
}

#[test]
fn same_seed_same_anomaly_other_seed_other_anomaly() {
    let image = images().remove(0).1;
    for kind in AnomalyKind::ALL {
        let a = synthesize(&image, kind, &mut Rng::new(&[5, 9]));
        let b = synthesize(&image, kind, &mut Rng::new(&[5, 9]));
        assert_eq!(a, b, "{kind}: not deterministic");
        let c = synthesize(&image, kind, &mut Rng::new(&[6, 9]));
        assert_ne!(a.1, c.1, "{kind}: another seed drew the same mask");
    }
}

#[test]
fn calibration_anomalies_depend_only_on_seed_and_index() {
    let image = images().remove(2).1;
    let config = CalibrationConfig {
        seed: 3,
        ..CalibrationConfig::default()
    };
    let first = synthetic_anomaly(&image, 4, 1, &config).unwrap();
    // Drawing others first changes nothing.
    let _ = synthetic_anomaly(&image, 0, 0, &config);
    assert_eq!(synthetic_anomaly(&image, 4, 1, &config).unwrap(), first);
    // Kinds cycle: index 4 × 4 per image + 1 → the second kind.
    assert_eq!(first.0, AnomalyKind::ALL[1]);
    let other_seed = CalibrationConfig { seed: 4, ..config };
    assert_ne!(
        synthetic_anomaly(&image, 4, 1, &other_seed).unwrap().2,
        first.2
    );
    let no_kinds = CalibrationConfig {
        kinds: Vec::new(),
        ..CalibrationConfig::default()
    };
    assert!(synthetic_anomaly(&image, 0, 0, &no_kinds).is_none());
}

#[test]
fn empty_image_gives_empty_mask() {
    let image = RgbImage::new(0, 0);
    for kind in AnomalyKind::ALL {
        let (out, mask) = synthesize(&image, kind, &mut Rng::new(&[1]));
        assert!(mask.is_empty());
        assert_eq!(out, image);
    }
}
