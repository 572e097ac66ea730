//! Renders one image: material under its view, the defect (if any) inside its mask, then
//! lighting and sensor noise over everything, quantised to 8-bit RGB.
//!
//! Always holds: rendering the same view and noise stream with and without a defect
//! gives images that differ only where the defect's mask is set.

use image::{GrayImage, RgbImage};

use super::defect::{apply, Defect, Effect};
use super::rng::Rng;
use super::scene::{Material, View, DESIGN};
use super::Scene;

/// An `n`×`n` image of `material` seen as `view`, with `defect` painted in; `noise`
/// supplies the sensor noise (consumed in row-major order, three values per pixel).
pub fn render(
    material: &Material,
    view: &View,
    n: u32,
    defect: Option<&Defect>,
    noise: &mut Rng,
) -> RgbImage {
    let ppu = n as f32 / DESIGN;
    let half = DESIGN / 2.0;
    let mut img = RgbImage::new(n, n);
    for (i, pixel) in img.pixels_mut().enumerate() {
        let (x, y) = ((i % n as usize) as f32 + 0.5, (i / n as usize) as f32 + 0.5);
        let (dx, dy) = (x / ppu, y / ppu);
        let w = defect.map_or(0.0, |d| d.weight[i]);

        let mut c = material.background(view, dx, dy);
        if material.scene() == Scene::Part {
            let (part, mut alpha) = material.part(view, dx, dy, ppu);
            if let (
                Some(Defect {
                    effect: Effect::RemovePart,
                    ..
                }),
                true,
            ) = (defect, w > 0.0)
            {
                alpha *= 1.0 - w;
            }
            c = c.map(|v| v * (1.0 - alpha));
            c = [
                c[0] + part[0] * alpha,
                c[1] + part[1] * alpha,
                c[2] + part[2] * alpha,
            ];
        }
        if let (Some(d), true) = (defect, w > 0.0) {
            c = apply(d.effect, material, view, dx, dy, w, c);
        }

        let (ux, uy) = ((dx - half) / half, (dy - half) / half);
        let light = view.gain
            * (1.0 + view.gradient.0 * ux + view.gradient.1 * uy)
            * (1.0 - view.vignette * 0.5 * (ux * ux + uy * uy));
        for (out, v) in pixel.0.iter_mut().zip(c) {
            let lit = v * light + view.noise_sigma * noise.normal();
            *out = (lit.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    img
}

/// The defect's mask as an 8-bit image: 255 = defect, 0 = normal.
pub fn mask_image(defect: &Defect, n: u32) -> GrayImage {
    let raw = defect.mask().map(|m| if m { 255 } else { 0 }).collect();
    GrayImage::from_raw(n, n, raw).expect("weight field has n*n entries")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{DefectKind, TextureKind};

    #[test]
    fn defect_changes_pixels_only_inside_its_mask() {
        let n = 64;
        for scene in [Scene::Part, Scene::Texture] {
            let material = Material::new(scene, TextureKind::Stone, 5);
            for (i, kind) in DefectKind::ALL.into_iter().enumerate() {
                let view = View::random(&mut Rng::new(&[i as u64, 1]));
                let defect = Defect::draw(kind, &material, &view, n, &mut Rng::new(&[i as u64, 2]));
                let clean = render(&material, &view, n, None, &mut Rng::new(&[i as u64, 3]));
                let marked = render(
                    &material,
                    &view,
                    n,
                    Some(&defect),
                    &mut Rng::new(&[i as u64, 3]),
                );
                let mask: Vec<bool> = defect.mask().collect();
                assert!(
                    mask.iter().filter(|&&m| m).count() >= 3,
                    "{scene:?} {kind}: mask too small"
                );
                for (j, (a, b)) in clean.pixels().zip(marked.pixels()).enumerate() {
                    assert!(
                        mask[j] || a == b,
                        "{scene:?} {kind}: pixel {j} changed outside the mask"
                    );
                }
                assert_ne!(clean, marked, "{scene:?} {kind}: defect changed nothing");
            }
        }
    }
}
