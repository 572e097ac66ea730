//! CutPaste (Li et al., 2021): a patch of the image itself pasted elsewhere, as a
//! rectangle or as a thin rotated "scar".

use std::f32::consts::FRAC_PI_4;

use image::RgbImage;

use super::{paint, to_byte};
use crate::synth::rng::Rng;

/// Share of the image area a rectangle covers.
const AREA: (f32, f32) = (0.02, 0.15);
/// Width / height of a rectangle (log-uniform).
const ASPECT: (f32, f32) = (0.3, 1.0 / 0.3);
/// Scar width and length in pixels at a 256-pixel image side (scaled with the side).
const SCAR_WIDTH: (f32, f32) = (2.0, 16.0);
const SCAR_LENGTH: (f32, f32) = (10.0, 25.0);
/// Draws of the destination before accepting one equal to the source.
const PLACE_TRIES: usize = 8;

/// Brightness/contrast/colour change applied to a pasted patch (CutPaste's colour jitter).
#[derive(Debug, Clone, Copy)]
struct Jitter {
    brightness: f32,
    contrast: f32,
    gain: [f32; 3],
}

impl Jitter {
    /// With probability ½ a random jitter, otherwise none.
    fn maybe(rng: &mut Rng) -> Option<Self> {
        rng.chance(0.5).then(|| Jitter {
            brightness: rng.range(0.8, 1.2),
            contrast: rng.range(0.8, 1.2),
            gain: [
                rng.range(0.9, 1.1),
                rng.range(0.9, 1.1),
                rng.range(0.9, 1.1),
            ],
        })
    }

    fn apply(jitter: Option<Self>, px: [u8; 3]) -> [u8; 3] {
        match jitter {
            None => px,
            Some(j) => {
                let mut out = [0; 3];
                for ((o, v), g) in out.iter_mut().zip(px).zip(j.gain) {
                    let c = (f32::from(v) - 127.5) * j.contrast + 127.5;
                    *o = to_byte(c * j.brightness * g);
                }
                out
            }
        }
    }
}

/// A rectangle cut from one place and pasted at another.
pub(super) fn rectangle(image: &RgbImage, rng: &mut Rng) -> (RgbImage, Vec<bool>) {
    let (w, h) = image.dimensions();
    let area = rng.range(AREA.0, AREA.1) * (w as f32) * (h as f32);
    let aspect = rng.range(ASPECT.0.ln(), ASPECT.1.ln()).exp();
    let pw = ((area * aspect).sqrt().round() as u32).clamp(1, w);
    let ph = ((area / aspect).sqrt().round() as u32).clamp(1, h);
    let src = (
        rng.below((w - pw + 1) as usize) as u32,
        rng.below((h - ph + 1) as usize) as u32,
    );
    let mut dst = src;
    for _ in 0..PLACE_TRIES {
        dst = (
            rng.below((w - pw + 1) as usize) as u32,
            rng.below((h - ph + 1) as usize) as u32,
        );
        if dst != src {
            break;
        }
    }
    let jitter = Jitter::maybe(rng);
    let mask: Vec<bool> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| (dst.0..dst.0 + pw).contains(&x) && (dst.1..dst.1 + ph).contains(&y))
        .collect();
    let out = paint(image, &mask, |x, y| {
        let px = image.get_pixel(x - dst.0 + src.0, y - dst.1 + src.1).0;
        Jitter::apply(jitter, px)
    });
    (out, mask)
}

/// A thin long patch, rotated by −45°…45° about its centre, pasted elsewhere.
pub(super) fn scar(image: &RgbImage, rng: &mut Rng) -> (RgbImage, Vec<bool>) {
    let (w, h) = image.dimensions();
    let scale = w.min(h) as f32 / 256.0;
    let half_w = (rng.range(SCAR_WIDTH.0, SCAR_WIDTH.1) * scale).max(1.0) / 2.0;
    let half_l = (rng.range(SCAR_LENGTH.0, SCAR_LENGTH.1) * scale).max(3.0) / 2.0;
    let angle = rng.range(-FRAC_PI_4, FRAC_PI_4);
    let (sin, cos) = angle.sin_cos();
    // Centres on pixel centres, so the centre pixel is always inside the scar.
    let src = (
        rng.below(w as usize) as f32 + 0.5,
        rng.below(h as usize) as f32 + 0.5,
    );
    let mut dst = src;
    for _ in 0..PLACE_TRIES {
        dst = (
            rng.below(w as usize) as f32 + 0.5,
            rng.below(h as usize) as f32 + 0.5,
        );
        if dst != src {
            break;
        }
    }
    let jitter = Jitter::maybe(rng);
    // Scar coordinates (u across, v along) of the pixel (x, y) around the destination.
    let local = |x: u32, y: u32| {
        let (dx, dy) = (x as f32 + 0.5 - dst.0, y as f32 + 0.5 - dst.1);
        (dx * cos + dy * sin, -dx * sin + dy * cos)
    };
    let mask: Vec<bool> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (u, v) = local(x, y);
            u.abs() <= half_w && v.abs() <= half_l
        })
        .collect();
    let out = paint(image, &mask, |x, y| {
        let (u, v) = local(x, y);
        let sx = ((src.0 + u).floor().max(0.0) as u32).min(w - 1);
        let sy = ((src.1 + v).floor().max(0.0) as u32).min(h - 1);
        Jitter::apply(jitter, image.get_pixel(sx, sy).0)
    });
    (out, mask)
}
