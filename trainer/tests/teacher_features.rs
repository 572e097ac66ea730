//! The feature graph computes exactly PatchCore's recipe on the truncated teacher: checked
//! against a plain-Rust reference (3×3 average with padding counted, bilinear
//! `align_corners=False` upsampling, concat) applied to the truncated trunk's outputs.

use std::path::Path;
use std::sync::OnceLock;

use image::RgbImage;
use tract_onnx::prelude::*;
use trainer::features::{npy, preprocess, FeatureExtractor, DEFAULT_LAYERS};
use trainer::onnx::runnable_from_bytes;
use trainer::teacher::{truncated_onnx, TeacherWeights};

fn weights() -> &'static TeacherWeights {
    static W: OnceLock<TeacherWeights> = OnceLock::new();
    W.get_or_init(|| TeacherWeights::load_default().unwrap())
}

fn photo(name: &str) -> RgbImage {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/photos")
        .join(name);
    image::open(p).unwrap().to_rgb8()
}

/// A `[c, h, w]` map.
struct Map {
    c: usize,
    h: usize,
    w: usize,
    v: Vec<f32>,
}

fn avg3(m: &Map) -> Map {
    let mut v = vec![0.0; m.v.len()];
    for c in 0..m.c {
        for y in 0..m.h as isize {
            for x in 0..m.w as isize {
                let mut s = 0.0;
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        let (yy, xx) = (y + dy, x + dx);
                        if yy >= 0 && xx >= 0 && yy < m.h as isize && xx < m.w as isize {
                            s += m.v[(c * m.h + yy as usize) * m.w + xx as usize];
                        }
                    }
                }
                v[(c * m.h + y as usize) * m.w + x as usize] = s / 9.0;
            }
        }
    }
    Map { v, ..*m }
}

/// Bilinear, half-pixel centres, source coordinate clamped at 0 (PyTorch's rule).
fn upsample(m: &Map, h: usize, w: usize) -> Map {
    let coord = |d: usize, out: usize, inn: usize| {
        let s = ((d as f32 + 0.5) * inn as f32 / out as f32 - 0.5).max(0.0);
        let i0 = (s.floor() as usize).min(inn - 1);
        (i0, (i0 + 1).min(inn - 1), s - i0 as f32)
    };
    let mut v = vec![0.0; m.c * h * w];
    for c in 0..m.c {
        for y in 0..h {
            let (y0, y1, fy) = coord(y, h, m.h);
            for x in 0..w {
                let (x0, x1, fx) = coord(x, w, m.w);
                let at = |yy: usize, xx: usize| m.v[(c * m.h + yy) * m.w + xx];
                let top = at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx;
                let bottom = at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx;
                v[(c * h + y) * w + x] = top * (1.0 - fy) + bottom * fy;
            }
        }
    }
    Map { c: m.c, h, w, v }
}

#[test]
fn feature_graph_matches_reference_pooling_upsampling_concat() {
    let size = 64;
    let input = preprocess(&photo("chelsea.png"), size as u32).unwrap();
    let trunk = runnable_from_bytes(
        &truncated_onnx(weights(), size, &DEFAULT_LAYERS).unwrap(),
        "trunk",
    )
    .unwrap();
    let tensor = Tensor::from_shape(&[1, 3, size, size], &input).unwrap();
    let outs = trunk.run(tvec!(tensor.into())).unwrap();
    let maps: Vec<Map> = outs
        .iter()
        .map(|t| {
            let a = t.to_plain_array_view::<f32>().unwrap();
            let s = a.shape().to_vec();
            Map {
                c: s[1],
                h: s[2],
                w: s[3],
                v: a.iter().copied().collect(),
            }
        })
        .collect();
    assert_eq!(
        (maps[0].c, maps[0].h, maps[1].c, maps[1].h),
        (40, 8, 112, 4)
    );
    let fine = avg3(&maps[0]);
    let coarse = upsample(&avg3(&maps[1]), fine.h, fine.w);

    let fx = FeatureExtractor::with_layers(weights(), size as u32, &DEFAULT_LAYERS, 1).unwrap();
    let f = fx.extract_input(&input).unwrap();
    assert_eq!((f.channels, f.height, f.width), (152, 8, 8));
    let mut worst = 0.0f32;
    for y in 0..8 {
        for x in 0..8 {
            for (c, &value) in f.patch(y, x).iter().enumerate() {
                let reference = if c < 40 {
                    fine.v[(c * 8 + y) * 8 + x]
                } else {
                    coarse.v[((c - 40) * 8 + y) * 8 + x]
                };
                worst = worst.max((value - reference).abs() / (1.0 + reference.abs()));
            }
        }
    }
    assert!(
        worst < 1e-4,
        "feature graph differs from the reference by {worst}"
    );
}

#[test]
fn lite0_features_at_256_are_152_by_32_by_32() {
    let fx = FeatureExtractor::new(weights(), 256, 1).unwrap();
    assert_eq!(fx.output_shape(), (152, 32, 32));
    let f = fx.extract(&photo("coffee.png")).unwrap();
    assert_eq!(
        (f.channels, f.height, f.width, f.data.len()),
        (152, 32, 32, 152 * 1024)
    );
    assert!(f.data.iter().all(|v| v.is_finite()));
}

#[test]
fn dataset_extraction_keeps_order_and_matches_single_images() {
    let fx = FeatureExtractor::new(weights(), 64, 2).unwrap();
    let images = [
        photo("chelsea.png"),
        photo("coffee.png"),
        photo("chelsea.png"),
    ];
    let all = fx.extract_images(&images, false).unwrap();
    assert_eq!(all.len(), 3);
    for (img, f) in images.iter().zip(&all) {
        assert_eq!(&fx.extract(img).unwrap(), f);
    }
    assert_ne!(all[0], all[1]);

    let path = std::env::temp_dir().join(format!("trainer-features-{}.npy", std::process::id()));
    npy::write_npy(&path, &all).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let header_len = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!(bytes.len(), header_len + 3 * 64 * 152 * 4);
    let first = f32::from_le_bytes(bytes[header_len..header_len + 4].try_into().unwrap());
    assert_eq!(first, all[0].data[0]);
}
