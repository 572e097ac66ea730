//! Image → teacher input. The pixels → tensor step is `edge::preprocess`, the one
//! implementation the device runs too; this module only fixes the teacher's settings
//! ([`TEACHER_NORMALISATION`], the square input) and keeps the ImageNet-style crop used to
//! classify photos.
//!
//! 1. RGB8 image, resized to `size`×`size` with `image`'s `Triangle` filter
//!    ([`edge::preprocess::RESIZE_FILTER`]); aspect ratio is not kept: inspection images
//!    are framed by the fixture, and training and inspection images share the framing.
//! 2. Each channel value `x` in [0, 255] → `(x − 127) / 128`, the normalisation
//!    EfficientNet-Lite was trained with.
//! 3. Laid out NCHW (`[1, 3, size, size]`, planes R, G, B), row-major.

use edge::preprocess::{preprocess as edge_preprocess, PreprocessError, RESIZE_FILTER};
use image::RgbImage;
use shared::bundle::{InputSpec, Preprocess};

/// The teacher's normalisation, `(x − 127) / 128` on every channel, whole frame; it is
/// what a bundle built on the teacher stores in its manifest.
pub const TEACHER_NORMALISATION: Preprocess = Preprocess {
    roi: None,
    mean: [127.0; 3],
    std: [128.0; 3],
};

/// The square RGB network input of side `size`.
pub fn teacher_input(size: u32) -> InputSpec {
    teacher_input_sized(size, size)
}

/// The RGB network input of `width × height` pixels.
pub fn teacher_input_sized(width: u32, height: u32) -> InputSpec {
    InputSpec {
        width,
        height,
        channels: 3,
    }
}

/// Resizes so the shorter side is `size` (aspect kept, [`RESIZE_FILTER`]), then crops the
/// central `size`×`size` square (ImageNet-style, for classifying photos).
pub fn resize_shorter_side_centre_crop(image: &RgbImage, size: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let scale = size as f64 / w.min(h).max(1) as f64;
    let nw = ((w as f64 * scale).round() as u32).max(size);
    let nh = ((h as f64 * scale).round() as u32).max(size);
    let resized = image::imageops::resize(image, nw, nh, RESIZE_FILTER);
    image::imageops::crop_imm(&resized, (nw - size) / 2, (nh - size) / 2, size, size).to_image()
}

/// The teacher preprocessing of `image` at `size`² (through `edge::preprocess`).
///
/// # Errors
/// An empty image or a zero `size`.
pub fn preprocess(image: &RgbImage, size: u32) -> Result<Vec<f32>, PreprocessError> {
    edge_preprocess(image, teacher_input(size), &TEACHER_NORMALISATION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_into_planes() {
        let mut img = RgbImage::new(2, 1);
        img.put_pixel(0, 0, image::Rgb([255, 127, 0]));
        img.put_pixel(1, 0, image::Rgb([0, 0, 255]));
        let input = InputSpec {
            width: 2,
            height: 1,
            channels: 3,
        };
        let v = edge_preprocess(&img, input, &TEACHER_NORMALISATION).unwrap();
        let low = -127.0 / 128.0;
        assert_eq!(v, vec![1.0, low, 0.0, low, low, 1.0]);
    }

    #[test]
    fn resizes_to_square() {
        let img = RgbImage::new(40, 30);
        assert_eq!(
            resize_shorter_side_centre_crop(&img, 16).dimensions(),
            (16, 16)
        );
        assert_eq!(preprocess(&img, 8).unwrap().len(), 3 * 64);
    }
}
