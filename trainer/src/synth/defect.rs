//! Defects with exact masks. A defect is a weight field over the pixels (0 = untouched)
//! and an effect; the mask is drawn first (weights below a threshold are zeroed), and the
//! renderer changes a pixel only where its weight is non-zero, so mask and change agree
//! exactly. Size and contrast are drawn widely so some defects are subtle.

use std::f32::consts::{PI, TAU};

use serde::Serialize;

use super::noise::{fbm, value};
use super::rng::Rng;
use super::scene::{lerp3, scale, Material, View, DESIGN, PART_BORE, PART_OUTER};
use super::Scene;

/// Weights below this are not part of the defect (and leave the pixel untouched).
const MASK_THRESHOLD: f32 = 0.1;
/// A defect must mark at least this many pixels; otherwise it is drawn again.
const MIN_PIXELS: usize = 3;
const MAX_TRIES: usize = 40;

/// The kinds of defect the generator draws; each is a `test/<name>` folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum DefectKind {
    /// Thin curved line, brighter or darker than the surface.
    Scratch,
    /// Small round pit or stain.
    Spot,
    /// Dark, jagged, branching line.
    Crack,
    /// Material missing: a chunk bitten out of the part's rim (background shows through),
    /// or a hole in a texture (the backing shows through).
    Missing,
    /// Blob of foreign colour and texture (rust, oil, fibre, dust).
    Contamination,
}

impl DefectKind {
    /// All kinds, in folder order.
    pub const ALL: [DefectKind; 5] = [
        DefectKind::Scratch,
        DefectKind::Spot,
        DefectKind::Crack,
        DefectKind::Missing,
        DefectKind::Contamination,
    ];

    /// Folder name of this kind (`scratch`, `spot`, …).
    pub fn name(self) -> &'static str {
        match self {
            DefectKind::Scratch => "scratch",
            DefectKind::Spot => "spot",
            DefectKind::Crack => "crack",
            DefectKind::Missing => "missing",
            DefectKind::Contamination => "contamination",
        }
    }
}

impl std::fmt::Display for DefectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a defect changes the pixels under its weight `w`.
#[derive(Debug, Clone, Copy)]
pub enum Effect {
    /// Add `delta` × w to every channel.
    Shift(f32),
    /// Multiply by 1 − `depth` × w.
    Darken(f32),
    /// Blend towards a textured foreign colour by `opacity` × w.
    Contaminate {
        /// Foreign colour.
        colour: [f32; 3],
        /// Largest blend factor.
        opacity: f32,
        /// Seed of its texture.
        seed: u64,
    },
    /// Part coverage multiplied by 1 − w (the background shows through).
    RemovePart,
    /// Blend towards the material's backing by w (a hole in a texture).
    Hole,
}

/// One drawn defect: per-pixel weights (row-major, 0 outside the mask) and its effect.
#[derive(Debug, Clone)]
pub struct Defect {
    /// Which kind.
    pub kind: DefectKind,
    /// Weight per pixel in [0, 1]; non-zero exactly on the mask.
    pub weight: Vec<f32>,
    /// What it does to the pixels.
    pub effect: Effect,
}

impl Defect {
    /// The mask: true where the defect changes the image.
    pub fn mask(&self) -> impl Iterator<Item = bool> + '_ {
        self.weight.iter().map(|&w| w > 0.0)
    }

    /// Draws a defect of `kind` for an `n`×`n` image of `material` seen as `view`.
    pub fn draw(kind: DefectKind, material: &Material, view: &View, n: u32, rng: &mut Rng) -> Self {
        for _ in 0..MAX_TRIES {
            let defect = attempt(kind, material, view, n, rng);
            if defect.weight.iter().filter(|&&w| w > 0.0).count() >= MIN_PIXELS {
                return defect;
            }
        }
        // Practically unreachable: a plain dark pit on the anchor point, always visible.
        let (ax, ay) = anchor(material, view, rng);
        let ppu = n as f32 / DESIGN;
        let mut grid = Grid::new(n);
        grid.blob(ax * ppu, ay * ppu, 2.5, 2.5, 0.0, 0.0, 0, 1.0);
        finish(kind, grid, Effect::Darken(0.5), material, view)
    }
}

fn attempt(kind: DefectKind, material: &Material, view: &View, n: u32, rng: &mut Rng) -> Defect {
    let ppu = n as f32 / DESIGN;
    let mut grid = Grid::new(n);
    let subtle = |rng: &mut Rng, power: f32| rng.unit().powf(power);
    let effect = match kind {
        DefectKind::Scratch => {
            let (ax, ay) = anchor(material, view, rng);
            let length = rng.range(25.0, 140.0);
            let points = curve(rng, ax, ay, length, 2.0, 0.012, 0.02);
            let half_width = (rng.range(0.5, 1.3) * ppu).max(0.55);
            grid.stroke(&to_pixels(&points, ppu), half_width);
            let contrast = 0.025 + 0.3 * subtle(rng, 1.8);
            Effect::Shift(if rng.chance(0.5) { contrast } else { -contrast })
        }
        DefectKind::Spot => {
            let (ax, ay) = anchor(material, view, rng);
            let r = (rng.range(4.0, 14.0) * ppu).max(1.2);
            let squash = rng.range(0.6, 1.0);
            let angle = rng.range(0.0, PI);
            grid.blob(
                ax * ppu,
                ay * ppu,
                r,
                r * squash,
                angle,
                0.3,
                rng.next_u64(),
                0.5,
            );
            let strength = 0.06 + 0.5 * subtle(rng, 1.5);
            if rng.chance(0.3) {
                Effect::Shift(strength * 0.6)
            } else {
                Effect::Darken(strength)
            }
        }
        DefectKind::Crack => {
            let (ax, ay) = anchor(material, view, rng);
            let length = rng.range(30.0, 90.0);
            let half_width = (rng.range(0.35, 0.7) * ppu).max(0.5);
            let mut branches = vec![(ax, ay, rng.range(0.0, TAU), length)];
            let mut drawn = 0;
            while let Some((x, y, dir, len)) = branches.pop() {
                let points = walk(rng, x, y, dir, len);
                grid.stroke(&to_pixels(&points, ppu), half_width);
                drawn += 1;
                if drawn < 4 {
                    for window in points.windows(2).skip(3) {
                        if rng.chance(0.025) {
                            let (bx, by) = window[1];
                            let heading =
                                (window[1].1 - window[0].1).atan2(window[1].0 - window[0].0);
                            let turn =
                                rng.range(0.4, 1.1) * if rng.chance(0.5) { 1.0 } else { -1.0 };
                            branches.push((bx, by, heading + turn, len * rng.range(0.3, 0.6)));
                            break;
                        }
                    }
                }
            }
            Effect::Darken(0.2 + 0.5 * subtle(rng, 1.2))
        }
        DefectKind::Missing => match material.scene() {
            Scene::Part => {
                let a = rng.range(0.0, TAU);
                let rim = PART_OUTER + rng.range(-2.0, 6.0);
                let (cx, cy, angle) = view.part;
                let (x, y) = (cx + rim * (a + angle).cos(), cy + rim * (a + angle).sin());
                let r = rng.range(10.0, 30.0) * ppu;
                grid.blob(
                    x * ppu,
                    y * ppu,
                    r,
                    r * rng.range(0.6, 1.0),
                    a,
                    0.4,
                    rng.next_u64(),
                    0.08,
                );
                Effect::RemovePart
            }
            Scene::Texture => {
                anchored_blob(&mut grid, material, view, rng, ppu, (7.0, 22.0), 0.5, 0.15);
                Effect::Hole
            }
        },
        DefectKind::Contamination => {
            anchored_blob(&mut grid, material, view, rng, ppu, (7.0, 24.0), 0.6, 0.4);
            const COLOURS: [[f32; 3]; 4] = [
                [0.55, 0.30, 0.15], // rust
                [0.10, 0.09, 0.07], // oil
                [0.20, 0.30, 0.60], // blue fibre
                [0.90, 0.90, 0.85], // dust
            ];
            Effect::Contaminate {
                colour: COLOURS[rng.below(COLOURS.len())],
                opacity: 0.15 + 0.75 * subtle(rng, 1.5),
                seed: rng.next_u64(),
            }
        }
    };
    finish(kind, grid, effect, material, view)
}

/// A blob at a random [`anchor`], radius drawn from `radius` (design units), random
/// aspect and orientation; `irregular` and `soft` as in [`Grid::blob`]. The draws happen
/// in a fixed order, so a seed keeps giving the same defect.
#[allow(clippy::too_many_arguments)]
fn anchored_blob(
    grid: &mut Grid,
    material: &Material,
    view: &View,
    rng: &mut Rng,
    ppu: f32,
    radius: (f32, f32),
    irregular: f32,
    soft: f32,
) {
    let (ax, ay) = anchor(material, view, rng);
    let r = (rng.range(radius.0, radius.1) * ppu).max(1.5);
    let angle = rng.range(0.0, PI);
    let ry = r * rng.range(0.5, 1.0);
    grid.blob(
        ax * ppu,
        ay * ppu,
        r,
        ry,
        angle,
        irregular,
        rng.next_u64(),
        soft,
    );
}

/// Restricts surface defects to the part, thresholds the weights into the mask.
fn finish(
    kind: DefectKind,
    mut grid: Grid,
    effect: Effect,
    material: &Material,
    view: &View,
) -> Defect {
    let n = grid.n;
    let ppu = n as f32 / DESIGN;
    let on_part_only =
        material.scene() == Scene::Part && !matches!(effect, Effect::Contaminate { .. });
    for (i, w) in grid.w.iter_mut().enumerate() {
        if *w <= 0.0 {
            continue;
        }
        let coverage = if on_part_only {
            let (x, y) = ((i % n as usize) as f32 + 0.5, (i / n as usize) as f32 + 0.5);
            material.part(view, x / ppu, y / ppu, ppu).1
        } else {
            1.0
        };
        if *w * coverage <= MASK_THRESHOLD {
            *w = 0.0;
        } else if !matches!(effect, Effect::RemovePart) {
            *w *= coverage;
        }
    }
    Defect {
        kind,
        weight: grid.w,
        effect,
    }
}

/// A design-space point where a defect may start: on the part's face (not in a hole),
/// or anywhere away from the border of a texture.
fn anchor(material: &Material, view: &View, rng: &mut Rng) -> (f32, f32) {
    match material.scene() {
        Scene::Texture => (rng.range(40.0, 216.0), rng.range(40.0, 216.0)),
        Scene::Part => {
            let (cx, cy, angle) = view.part;
            let mut point = (cx, cy);
            for _ in 0..64 {
                let r = rng.range(PART_BORE + 10.0, PART_OUTER - 8.0);
                let a = rng.range(0.0, TAU) + angle;
                point = (cx + r * a.cos(), cy + r * a.sin());
                if material.part(view, point.0, point.1, 1.0).1 >= 1.0 {
                    break;
                }
            }
            point
        }
    }
}

/// A smooth curve from (x, y): `length` design units in steps of `step`, with a constant
/// curvature (rad/unit, drawn with scale `bend`) and a little wobble.
fn curve(
    rng: &mut Rng,
    x: f32,
    y: f32,
    length: f32,
    step: f32,
    bend: f32,
    wobble: f32,
) -> Vec<(f32, f32)> {
    let mut dir = rng.range(0.0, TAU);
    let curvature = rng.normal() * bend;
    let mut points = vec![(x, y)];
    let (mut px, mut py) = (x, y);
    for _ in 0..(length / step) as usize {
        dir += curvature * step + rng.normal() * wobble;
        px += step * dir.cos();
        py += step * dir.sin();
        points.push((px, py));
    }
    points
}

/// A jagged random walk from (x, y) heading `dir`, `length` design units.
fn walk(rng: &mut Rng, x: f32, y: f32, mut dir: f32, length: f32) -> Vec<(f32, f32)> {
    const STEP: f32 = 1.5;
    let mut points = vec![(x, y)];
    let (mut px, mut py) = (x, y);
    let mean_dir = dir;
    for _ in 0..(length / STEP) as usize {
        dir += rng.normal() * 0.3 + 0.15 * (mean_dir - dir);
        px += STEP * dir.cos();
        py += STEP * dir.sin();
        points.push((px, py));
    }
    points
}

fn to_pixels(points: &[(f32, f32)], ppu: f32) -> Vec<(f32, f32)> {
    points.iter().map(|&(x, y)| (x * ppu, y * ppu)).collect()
}

/// Per-pixel weights being drawn, combined by maximum.
struct Grid {
    n: u32,
    w: Vec<f32>,
}

impl Grid {
    fn new(n: u32) -> Self {
        Grid {
            n,
            w: vec![0.0; (n * n) as usize],
        }
    }

    /// Calls `f(x, y)` with pixel centres in the box around (x0..x1, y0..y1), inside the
    /// image, and keeps the larger weight.
    fn paint(&mut self, x0: f32, x1: f32, y0: f32, y1: f32, f: impl Fn(f32, f32) -> f32) {
        let n = self.n as i64;
        let clampi = |v: f32| (v.floor() as i64).clamp(0, n - 1);
        if x1 < 0.0 || y1 < 0.0 || x0 > n as f32 || y0 > n as f32 {
            return;
        }
        for y in clampi(y0)..=clampi(y1) {
            for x in clampi(x0)..=clampi(x1) {
                let w = f(x as f32 + 0.5, y as f32 + 0.5).clamp(0.0, 1.0);
                let cell = &mut self.w[(y * n + x) as usize];
                *cell = cell.max(w);
            }
        }
    }

    /// A polyline (pixel coordinates) of half-width `hw` pixels, anti-aliased.
    fn stroke(&mut self, points: &[(f32, f32)], hw: f32) {
        for seg in points.windows(2) {
            let ((ax, ay), (bx, by)) = (seg[0], seg[1]);
            let pad = hw + 1.0;
            self.paint(
                ax.min(bx) - pad,
                ax.max(bx) + pad,
                ay.min(by) - pad,
                ay.max(by) + pad,
                |x, y| hw + 0.5 - segment_distance(x, y, ax, ay, bx, by),
            );
        }
    }

    /// An ellipse (pixel units) with an irregular outline and a soft edge (`soft` is the
    /// fraction of the radius over which the weight falls from 1 to 0).
    #[allow(clippy::too_many_arguments)]
    fn blob(
        &mut self,
        cx: f32,
        cy: f32,
        rx: f32,
        ry: f32,
        angle: f32,
        irregular: f32,
        seed: u64,
        soft: f32,
    ) {
        let reach = rx.max(ry) * (1.0 + irregular) + 1.0;
        let (s, c) = angle.sin_cos();
        self.paint(cx - reach, cx + reach, cy - reach, cy + reach, |x, y| {
            let (dx, dy) = (x - cx, y - cy);
            let (lx, ly) = (c * dx + s * dy, -s * dx + c * dy);
            let rn = ((lx / rx).powi(2) + (ly / ry).powi(2)).sqrt();
            let theta = ly.atan2(lx);
            let wobble = fbm(seed, 1.5 * theta.cos() + 3.0, 1.5 * theta.sin() + 3.0, 2) - 0.5;
            let edge = 1.0 + irregular * 2.0 * wobble;
            (edge - rn) / (soft.max(0.02) * edge)
        });
    }
}

fn segment_distance(x: f32, y: f32, ax: f32, ay: f32, bx: f32, by: f32) -> f32 {
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((x - ax) * dx + (y - ay) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (px, py) = (ax + t * dx - x, ay + t * dy - y);
    (px * px + py * py).sqrt()
}

/// Applies a colour-changing effect with weight `w` at design point (x, y) to `c`.
/// [`Effect::RemovePart`] acts on coverage instead and leaves `c` as it is here.
pub fn apply(
    effect: Effect,
    material: &Material,
    view: &View,
    x: f32,
    y: f32,
    w: f32,
    c: [f32; 3],
) -> [f32; 3] {
    match effect {
        Effect::Shift(delta) => c.map(|v| v + delta * w),
        Effect::Darken(depth) => scale(c, 1.0 - depth * w),
        Effect::Contaminate {
            colour,
            opacity,
            seed,
        } => {
            let texture = 0.75 + 0.5 * fbm(seed, x / 4.0, y / 4.0, 3) + 0.1 * value(seed ^ 1, x, y);
            lerp3(c, scale(colour, texture), opacity * w)
        }
        Effect::Hole => lerp3(c, material.backing(view, x, y), w),
        Effect::RemovePart => c,
    }
}
