//! Image → network input: the one preprocessing path (the edge mirrors it exactly).
//!
//! 1. RGB8 image, resized to `size`×`size` with `image`'s `Triangle` filter (bilinear; when
//!    shrinking its support widens with the scale, so it averages like an area filter and
//!    does not alias). Aspect ratio is not kept: inspection images are framed by the
//!    fixture, and the training and inspection images share the framing.
//! 2. Each channel value `x` in [0, 255] → `(x − 127) / 128` ([`PIXEL_OFFSET`],
//!    [`PIXEL_SCALE`]), the normalisation EfficientNet-Lite was trained with.
//! 3. Laid out NCHW (`[1, 3, size, size]`, planes R, G, B), row-major.
//!
//! [`resize_shorter_side_centre_crop`] is the ImageNet-style alternative (shorter side to
//! `size`, centre crop) used for classifying photos of other aspect ratios.

use image::{imageops::FilterType, RgbImage};

/// Subtracted from each 0..=255 channel value.
pub const PIXEL_OFFSET: f32 = 127.0;
/// Divides each offset channel value.
pub const PIXEL_SCALE: f32 = 128.0;
/// Resize filter of the preprocessing.
pub const RESIZE_FILTER: FilterType = FilterType::Triangle;

/// Resizes to exactly `size`×`size` (aspect ratio not kept) with [`RESIZE_FILTER`].
pub fn resize_exact(image: &RgbImage, size: u32) -> RgbImage {
    if image.dimensions() == (size, size) {
        return image.clone();
    }
    image::imageops::resize(image, size, size, RESIZE_FILTER)
}

/// Resizes so the shorter side is `size` (aspect kept, [`RESIZE_FILTER`]), then crops the
/// central `size`×`size` square.
pub fn resize_shorter_side_centre_crop(image: &RgbImage, size: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let scale = size as f64 / w.min(h).max(1) as f64;
    let nw = ((w as f64 * scale).round() as u32).max(size);
    let nh = ((h as f64 * scale).round() as u32).max(size);
    let resized = image::imageops::resize(image, nw, nh, RESIZE_FILTER);
    image::imageops::crop_imm(&resized, (nw - size) / 2, (nh - size) / 2, size, size).to_image()
}

/// Normalises an RGB image already at network size into NCHW `[1, 3, h, w]` values.
pub fn normalise_nchw(image: &RgbImage) -> Vec<f32> {
    let (w, h) = image.dimensions();
    let plane = (w * h) as usize;
    let mut out = vec![0.0f32; 3 * plane];
    for (i, p) in image.pixels().enumerate() {
        for c in 0..3 {
            out[c * plane + i] = (p.0[c] as f32 - PIXEL_OFFSET) / PIXEL_SCALE;
        }
    }
    out
}

/// The preprocessing: [`resize_exact`] to `size`, then [`normalise_nchw`].
pub fn preprocess(image: &RgbImage, size: u32) -> Vec<f32> {
    normalise_nchw(&resize_exact(image, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_into_planes() {
        let mut img = RgbImage::new(2, 1);
        img.put_pixel(0, 0, image::Rgb([255, 127, 0]));
        img.put_pixel(1, 0, image::Rgb([0, 0, 255]));
        let v = normalise_nchw(&img);
        assert_eq!(
            v,
            vec![
                1.0,
                -127.0 / 128.0,
                0.0,
                -127.0 / 128.0,
                -127.0 / 128.0,
                1.0
            ]
        );
    }

    #[test]
    fn resizes_to_square() {
        let img = RgbImage::new(40, 30);
        assert_eq!(resize_exact(&img, 16).dimensions(), (16, 16));
        assert_eq!(
            resize_shorter_side_centre_crop(&img, 16).dimensions(),
            (16, 16)
        );
        assert_eq!(preprocess(&img, 8).len(), 3 * 64);
    }
}
