//! Good-image appearance: the category's material (fixed by the seed) and each image's
//! nuisance view (pose jitter, texture phase, lighting, sensor noise level).
//!
//! Geometry is in design units: the image is 256 units wide whatever its pixel size, so
//! a category looks the same at every `--size`. Colours are linear RGB in about [0, 1].

use std::f32::consts::{FRAC_PI_2, FRAC_PI_4, PI};

use super::noise::{fbm, value};
use super::rng::Rng;
use super::{Scene, TextureKind};

/// Image width and height in design units.
pub const DESIGN: f32 = 256.0;
/// Outer radius of the washer, design units.
pub const PART_OUTER: f32 = 92.0;
/// Radius of its central bore.
pub const PART_BORE: f32 = 33.0;
const BOLT_PITCH: f32 = 62.0;
const BOLT_RADIUS: f32 = 9.0;
const KEY_HALF: (f32, f32) = (10.0, 6.0);
const SHADOW_OFFSET: (f32, f32) = (3.0, 4.0);

/// The look shared by every image of a category.
#[derive(Debug, Clone)]
pub struct Material {
    scene: Scene,
    texture: TextureKind,
    seed: u64,
    tint: [f32; 3],
    alt: [f32; 3],
}

/// One image's nuisance variation.
#[derive(Debug, Clone)]
pub struct View {
    offset: (f32, f32),
    rot: (f32, f32),
    /// Part centre (design units) and rotation (radians).
    pub part: (f32, f32, f32),
    /// Overall lighting gain.
    pub gain: f32,
    /// Lighting gradient per half image, x and y.
    pub gradient: (f32, f32),
    /// Darkening at the corners.
    pub vignette: f32,
    /// Sensor noise standard deviation.
    pub noise_sigma: f32,
    sheen: f32,
}

impl View {
    /// Draws a view: small pose jitter, any texture phase, mild lighting changes.
    pub fn random(rng: &mut Rng) -> Self {
        let angle = rng.range(-0.03, 0.03);
        View {
            offset: (rng.range(0.0, 10_000.0), rng.range(0.0, 10_000.0)),
            rot: (angle.cos(), angle.sin()),
            part: (
                DESIGN / 2.0 + rng.range(-5.0, 5.0),
                DESIGN / 2.0 + rng.range(-5.0, 5.0),
                rng.range(-0.08, 0.08),
            ),
            gain: rng.range(0.88, 1.1),
            gradient: (rng.range(-0.07, 0.07), rng.range(-0.07, 0.07)),
            vignette: rng.range(0.0, 0.12),
            noise_sigma: rng.range(0.006, 0.018),
            sheen: rng.range(-2.6, -1.9),
        }
    }
}

impl Material {
    /// The category's material: colours and noise seeds derived from `seed`.
    pub fn new(scene: Scene, texture: TextureKind, seed: u64) -> Self {
        let mut rng = Rng::new(&[seed, 0x6d61_7465_7269_616c]);
        let (tint, alt) = match (scene, texture) {
            (Scene::Part, _) | (Scene::Texture, TextureKind::Brushed) => {
                let t = [1.0, rng.range(0.99, 1.02), rng.range(1.0, 1.06)];
                (t, t)
            }
            (Scene::Texture, TextureKind::Weave) => {
                let base = [
                    rng.range(0.7, 1.0),
                    rng.range(0.6, 0.85),
                    rng.range(0.4, 0.7),
                ];
                let alt = [base[0] * 0.92, base[1] * 0.95, base[2] * 1.08];
                (base, alt)
            }
            (Scene::Texture, TextureKind::Stone) => {
                let t = [rng.range(1.0, 1.1), 1.0, rng.range(0.85, 0.95)];
                (t, [0.9, 0.92, 0.95])
            }
        };
        Material {
            scene,
            texture,
            seed: rng.next_u64(),
            tint,
            alt,
        }
    }

    /// Which scene this material renders.
    pub fn scene(&self) -> Scene {
        self.scene
    }

    /// Background at design point (x, y): the texture, or the fixture plate with the
    /// part's soft shadow.
    pub fn background(&self, view: &View, x: f32, y: f32) -> [f32; 3] {
        match self.scene {
            Scene::Texture => {
                let (u, v) = texture_coords(view, x, y);
                match self.texture {
                    TextureKind::Brushed => self.brushed(u, v),
                    TextureKind::Weave => self.weave(u, v),
                    TextureKind::Stone => self.stone(u, v),
                }
            }
            Scene::Part => {
                let s = self.seed;
                let g = 0.17
                    + 0.05 * (fbm(s ^ 9, x / 30.0, y / 30.0, 3) - 0.5)
                    + 0.05 * (value(s ^ 10, x / 1.3, y / 1.3) - 0.5);
                let sd = part_sd(view, x - SHADOW_OFFSET.0, y - SHADOW_OFFSET.1);
                let shadow = 0.5 * (0.5 - sd / 5.0).clamp(0.0, 1.0);
                scale([1.0, 0.98, 0.95], g * (1.0 - shadow))
            }
        }
    }

    /// What shows through where texture material is missing: a dark backing.
    pub fn backing(&self, view: &View, x: f32, y: f32) -> [f32; 3] {
        let (u, v) = texture_coords(view, x, y);
        let g = 0.06 + 0.05 * fbm(self.seed ^ 11, u / 6.0, v / 6.0, 2);
        [g, g * 0.97, g * 0.95]
    }

    /// The part's colour and coverage (0 off the part, 1 on it, fractional on the edge
    /// pixel) at design point (x, y); `px_per_unit` sets the edge anti-aliasing width.
    pub fn part(&self, view: &View, x: f32, y: f32, px_per_unit: f32) -> ([f32; 3], f32) {
        let sd = part_sd(view, x, y);
        let alpha = (0.5 - sd * px_per_unit).clamp(0.0, 1.0);
        if alpha <= 0.0 {
            return ([0.0; 3], 0.0);
        }
        let (px, py) = part_local(view, x, y);
        let d = (px * px + py * py).sqrt().max(1e-3);
        let s = self.seed;
        let rings = 0.07 * (value(s ^ 7, d * 0.9, 3.5) - 0.5);
        let grain = 0.03 * (value(s ^ 8, px * 0.8, py * 0.8) - 0.5);
        let ang = py.atan2(px) + view.part.2;
        let dang = wrap(ang - view.sheen);
        let sheen = 0.10 * (-dang * dang / 0.6).exp() * (d / PART_OUTER);
        let (lx, ly) = (view.sheen.cos(), view.sheen.sin());
        let (nx, ny) = rotate(px / d, py / d, view.part.2);
        let bevel = (1.0 - (PART_OUTER - d) / 4.0).clamp(0.0, 1.0) * 0.22 * (nx * lx + ny * ly);
        let bore = -0.2 * (1.0 - (d - PART_BORE) / 3.0).clamp(0.0, 1.0);
        let bolt_edge = -0.15 * (1.0 - nearest_bolt_gap(px, py) / 2.5).clamp(0.0, 1.0);
        let g = 0.62 + rings + grain + sheen + bevel + bore + bolt_edge;
        (scale(self.tint, g), alpha)
    }

    fn brushed(&self, u: f32, v: f32) -> [f32; 3] {
        let s = self.seed;
        let streak = fbm(s ^ 1, u * 0.01, v * 0.9, 3);
        let fine = value(s ^ 2, u * 0.05, v * 2.5);
        let low = fbm(s ^ 3, u / 90.0, v / 90.0, 3);
        // Now and then a deeper groove: normal for brushed metal, and scratch-like.
        let groove = (value(s ^ 4, u * 0.006, v * 1.3) - 0.8).max(0.0) * 5.0;
        let g = 0.52 + 0.12 * (streak - 0.5) + 0.06 * (fine - 0.5) + 0.08 * (low - 0.5)
            - 0.2 * groove * groove;
        scale(self.tint, g)
    }

    fn weave(&self, u: f32, v: f32) -> [f32; 3] {
        const PERIOD: f32 = 8.0;
        let s = self.seed;
        let wu = u + 3.0 * (fbm(s ^ 3, u / 50.0, v / 50.0, 2) - 0.5);
        let wv = v + 3.0 * (fbm(s ^ 4, u / 50.0, v / 50.0, 2) - 0.5);
        let (i, j) = ((wu / PERIOD).floor(), (wv / PERIOD).floor());
        let (fx, fy) = (wu / PERIOD - i, wv / PERIOD - j);
        let warp_on_top = (i as i64 + j as i64).rem_euclid(2) == 0;
        let (across, along, thread, fibre) = if warp_on_top {
            (fx, fy, i, value(s ^ 5, wu * 1.5, wv * 0.25))
        } else {
            (fy, fx, j + 7919.0, value(s ^ 6, wu * 0.25, wv * 1.5))
        };
        let profile = (PI * across).sin().max(0.0).powf(0.6);
        let ends = 1.0 - 0.35 * (2.0 * along - 1.0).powi(4);
        let jitter = 0.9 + 0.2 * value(s ^ 7, thread + 0.37, 0.61);
        let g = 0.12 + 0.75 * profile * ends * jitter * (0.85 + 0.3 * fibre);
        scale(if warp_on_top { self.tint } else { self.alt }, g)
    }

    fn stone(&self, u: f32, v: f32) -> [f32; 3] {
        let s = self.seed;
        let base = fbm(s ^ 1, u / 60.0, v / 60.0, 4);
        let mid = fbm(s ^ 2, u / 8.0, v / 8.0, 2);
        let grain = value(s ^ 3, u / 2.2, v / 2.2);
        let mut g = 0.45 + 0.25 * (base - 0.5) + 0.12 * (mid - 0.5);
        if grain > 0.8 {
            g -= (grain - 0.8) * 1.5;
        } else if grain < 0.15 {
            g += (0.15 - grain) * 1.5;
        }
        let light_grain = (0.15 - grain).max(0.0) * 4.0;
        let tint = lerp3(self.tint, self.alt, light_grain.min(1.0));
        scale(tint, g)
    }
}

/// Signed distance (design units, negative inside) to the washer: a disc with a bore,
/// four bolt holes and a key slot on its rim.
pub fn part_sd(view: &View, x: f32, y: f32) -> f32 {
    let (px, py) = part_local(view, x, y);
    let d = (px * px + py * py).sqrt();
    let mut sd = (d - PART_OUTER).max(PART_BORE - d);
    sd = sd.max(-nearest_bolt_gap(px, py));
    let (qx, qy) = ((px - PART_OUTER).abs() - KEY_HALF.0, py.abs() - KEY_HALF.1);
    let outside = (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt();
    let key = outside + qx.max(qy).min(0.0);
    sd.max(-key)
}

/// Design point (x, y) in the part's own frame (centred, unrotated).
fn part_local(view: &View, x: f32, y: f32) -> (f32, f32) {
    let (cx, cy, angle) = view.part;
    rotate(x - cx, y - cy, -angle)
}

/// Distance from a part-frame point to the edge of the nearest bolt hole (negative inside).
fn nearest_bolt_gap(px: f32, py: f32) -> f32 {
    (0..4)
        .map(|k| {
            let a = FRAC_PI_4 + k as f32 * FRAC_PI_2;
            let (hx, hy) = (px - BOLT_PITCH * a.cos(), py - BOLT_PITCH * a.sin());
            (hx * hx + hy * hy).sqrt() - BOLT_RADIUS
        })
        .fold(f32::INFINITY, f32::min)
}

fn texture_coords(view: &View, x: f32, y: f32) -> (f32, f32) {
    let (dx, dy) = (x - DESIGN / 2.0, y - DESIGN / 2.0);
    let (c, s) = view.rot;
    (
        c * dx - s * dy + view.offset.0,
        s * dx + c * dy + view.offset.1,
    )
}

fn rotate(x: f32, y: f32, angle: f32) -> (f32, f32) {
    let (s, c) = angle.sin_cos();
    (c * x - s * y, s * x + c * y)
}

fn wrap(a: f32) -> f32 {
    (a + PI).rem_euclid(2.0 * PI) - PI
}

/// `c` times `g`.
pub fn scale(c: [f32; 3], g: f32) -> [f32; 3] {
    [c[0] * g, c[1] * g, c[2] * g]
}

/// Linear interpolation from `a` (t = 0) to `b` (t = 1).
pub fn lerp3(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}
