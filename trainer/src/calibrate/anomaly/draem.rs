//! DRAEM-style anomalies (Zavrtanik et al., 2021): a thresholded fractal-noise mask filled
//! with a blend of foreign appearance, `out = (1 − β)·image + β·fill` inside the mask.

use std::f32::consts::PI;

use image::RgbImage;

use super::{paint, to_byte};
use crate::synth::noise::fbm;
use crate::synth::rng::Rng;
use crate::synth::scene::{Material, View, DESIGN};
use crate::synth::{Scene, TextureKind};

/// Share of the image the blobs cover.
const COVERAGE: (f32, f32) = (0.02, 0.2);
/// Opacity β of the fill.
const OPACITY: (f32, f32) = (0.15, 1.0);

/// Noise blobs filled with a procedural texture or a flipped, shifted copy of the image.
pub(super) fn blobs(image: &RgbImage, rng: &mut Rng) -> (RgbImage, Vec<bool>) {
    let mask = blob_mask(image.width(), image.height(), rng);
    let beta = rng.range(OPACITY.0, OPACITY.1);
    let fill = Fill::random(image, rng);
    let out = paint(image, &mask, |x, y| {
        let a = image.get_pixel(x, y).0;
        let b = fill.at(image, x, y);
        [0, 1, 2].map(|c| to_byte((1.0 - beta) * f32::from(a[c]) + beta * b[c]))
    });
    (out, mask)
}

/// Pixels whose rotated fractal noise lies in the top `coverage` share (at least one).
fn blob_mask(w: u32, h: u32, rng: &mut Rng) -> Vec<bool> {
    let seed = rng.next_u64();
    // 2, 4, 8 or 16 noise cells across the shorter side: blobs from large to small.
    let cells = (1u32 << (1 + rng.below(4))) as f32;
    let angle = rng.range(0.0, PI);
    let (sin, cos) = angle.sin_cos();
    let side = w.min(h) as f32;
    let field: Vec<f32> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (px, py) = (
                (x as f32 + 0.5) / side * cells,
                (y as f32 + 0.5) / side * cells,
            );
            fbm(seed, px * cos - py * sin, px * sin + py * cos, 3)
        })
        .collect();
    let wanted = ((rng.range(COVERAGE.0, COVERAGE.1) * field.len() as f32).round() as usize)
        .clamp(1, field.len());
    let mut sorted = field.clone();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let cut = sorted[wanted - 1];
    field.iter().map(|&v| v >= cut).collect()
}

/// What the blobs are filled with, in grey levels.
enum Fill {
    /// One of the generator's procedural textures, seen under a random view.
    Texture(Box<(Material, View)>),
    /// The image itself, shifted (with wrap-around) and optionally flipped/transposed.
    Image {
        shift: (u32, u32),
        flip_x: bool,
        flip_y: bool,
        transpose: bool,
    },
}

impl Fill {
    fn random(image: &RgbImage, rng: &mut Rng) -> Self {
        if rng.chance(0.5) {
            let texture =
                [TextureKind::Brushed, TextureKind::Weave, TextureKind::Stone][rng.below(3)];
            let material = Material::new(Scene::Texture, texture, rng.next_u64());
            Fill::Texture(Box::new((material, View::random(rng))))
        } else {
            Fill::Image {
                shift: (
                    rng.below(image.width() as usize) as u32,
                    rng.below(image.height() as usize) as u32,
                ),
                flip_x: rng.chance(0.5),
                flip_y: rng.chance(0.5),
                transpose: rng.chance(0.5),
            }
        }
    }

    fn at(&self, image: &RgbImage, x: u32, y: u32) -> [f32; 3] {
        let (w, h) = image.dimensions();
        match self {
            Fill::Texture(t) => {
                let ppu = w.min(h) as f32 / DESIGN;
                let c =
                    t.0.background(&t.1, (x as f32 + 0.5) / ppu, (y as f32 + 0.5) / ppu);
                c.map(|v| v * 255.0)
            }
            &Fill::Image {
                shift,
                flip_x,
                flip_y,
                transpose,
            } => {
                let (mut u, mut v) = if transpose { (y, x) } else { (x, y) };
                u = (u + shift.0) % w;
                v = (v + shift.1) % h;
                if flip_x {
                    u = w - 1 - u;
                }
                if flip_y {
                    v = h - 1 - v;
                }
                image.get_pixel(u, v).0.map(f32::from)
            }
        }
    }
}
