//! Scratches: thin curved polylines, darker or brighter than the surface, strongest on
//! their centre line.

use std::f32::consts::TAU;

use image::RgbImage;

use super::{paint, to_byte};
use crate::synth::rng::Rng;

/// Length of one scratch as a share of the shorter image side.
const LENGTH: (f32, f32) = (0.25, 0.7);
/// Half width in pixels at a 256-pixel side (scaled), never below [`MIN_HALF_WIDTH`].
const HALF_WIDTH: (f32, f32) = (0.5, 1.5);
/// Above √½ px, so the pixel holding the start point is always marked.
const MIN_HALF_WIDTH: f32 = 0.75;
/// Grey-level change on the centre line.
const CONTRAST: (f32, f32) = (40.0, 110.0);
/// Polyline step in pixels and direction change per step (radians, standard deviation).
const STEP: f32 = 2.0;
const BEND: f32 = 0.08;

/// One or two scratches.
pub(super) fn lines(image: &RgbImage, rng: &mut Rng) -> (RgbImage, Vec<bool>) {
    let (w, h) = image.dimensions();
    let side = w.min(h) as f32;
    // Per pixel: the strongest change of any scratch over it (0 = untouched).
    let mut delta = vec![0.0f32; (w * h) as usize];
    for _ in 0..1 + rng.below(2) {
        let points = polyline(w, h, side, rng);
        let hw = (rng.range(HALF_WIDTH.0, HALF_WIDTH.1) * side / 256.0).max(MIN_HALF_WIDTH);
        let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
        let contrast = sign * rng.range(CONTRAST.0, CONTRAST.1);
        stroke(&points, hw, contrast, w, h, &mut delta);
    }
    let mask: Vec<bool> = delta.iter().map(|&d| d != 0.0).collect();
    let out = paint(image, &mask, |x, y| {
        let d = delta[(y * w + x) as usize];
        image.get_pixel(x, y).0.map(|v| to_byte(f32::from(v) + d))
    });
    (out, mask)
}

/// A random walk from a point inside the image; may leave the image (clipped when drawn).
fn polyline(w: u32, h: u32, side: f32, rng: &mut Rng) -> Vec<(f32, f32)> {
    let mut p = (rng.range(0.0, w as f32), rng.range(0.0, h as f32));
    let mut dir = rng.range(0.0, TAU);
    let steps = ((rng.range(LENGTH.0, LENGTH.1) * side / STEP).ceil() as usize).max(1);
    let mut points = vec![p];
    for _ in 0..steps {
        dir += BEND * rng.normal();
        p = (p.0 + STEP * dir.cos(), p.1 + STEP * dir.sin());
        points.push(p);
    }
    points
}

/// Marks every pixel whose centre lies within `hw` of the polyline with
/// `contrast · (1 − ½ (d / hw)²)` (non-zero inside, so mask and change agree).
fn stroke(points: &[(f32, f32)], hw: f32, contrast: f32, w: u32, h: u32, delta: &mut [f32]) {
    for seg in points.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        let x0 = (a.0.min(b.0) - hw).floor().max(0.0) as u32;
        let y0 = (a.1.min(b.1) - hw).floor().max(0.0) as u32;
        let x1 = ((a.0.max(b.0) + hw).ceil().max(0.0) as u32).min(w);
        let y1 = ((a.1.max(b.1) + hw).ceil().max(0.0) as u32).min(h);
        for y in y0..y1 {
            for x in x0..x1 {
                let d = segment_distance((x as f32 + 0.5, y as f32 + 0.5), a, b);
                if d <= hw {
                    let v = contrast * (1.0 - 0.5 * (d / hw).powi(2));
                    let cell = &mut delta[(y * w + x) as usize];
                    if v.abs() > cell.abs() {
                        *cell = v;
                    }
                }
            }
        }
    }
}

fn segment_distance(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (abx, aby) = (b.0 - a.0, b.1 - a.1);
    let len2 = abx * abx + aby * aby;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * abx + (p.1 - a.1) * aby) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.0 + t * abx - p.0, a.1 + t * aby - p.1);
    (cx * cx + cy * cy).sqrt()
}
