//! Frame → network input: the one preprocessing implementation. The edge's [`Inspector`]
//! runs it on every frame and the trainer calls it for every training and evaluation
//! image, so both feed the network bit-identical tensors.
//!
//! 1. Crop to `preprocess.roi` (frame pixels; `None` = whole frame). A ROI that does not
//!    lie entirely inside the frame is an error, never clipped: a camera delivering the
//!    wrong resolution must not be inspected silently.
//! 2. Resize the crop to exactly `input.width × input.height` (aspect ratio not kept)
//!    with the separable triangle filter of [`crate::resample`] (bilinear, averaging
//!    over the footprint when shrinking), in f32 without rounding back to u8; a crop
//!    already at that size is used as is.
//! 3. Per channel `(v − mean[c]) / std[c]` with `v` in [0, 255] units, computed in that
//!    order in f32, laid out NCHW (`[1, C, H, W]`, planes R, G, B, rows top to bottom).
//!
//! Frames are RGB. A grey camera's frame arrives as R = G = B (the source replicates
//! the channel): an RGB model (`channels = 3`) sees three equal planes. A grey model
//! (`channels = 1`) reads the Rec. 709 luma that `image` computes in integers
//! (`(2126 R + 7152 G + 722 B) / 10000`, per source pixel before resizing), which for
//! R = G = B is that value exactly, and normalises with `mean[0]` / `std[0]`.
//!
//! Always holds: [`Preprocessor::run`] (and [`preprocess_into`]) writes exactly
//! [`input_len`] values or returns an error having written nothing it promises; a
//! [`Preprocessor`] allocates only when the crop size changes (the resampling weights and
//! its scratch rows), never per frame.
//!
//! [`Inspector`]: crate::inspector::Inspector

use image::imageops::{self, FilterType};
use image::{GenericImageView, Pixel, Rgb, RgbImage};
use shared::bundle::{InputSpec, Preprocess, Roi};

use crate::resample::Resampler;

/// The `image` filter closest to the preprocessing's own resampling, for code that
/// resizes pictures for people (overlays, centre crops of photos), never for the network.
pub const RESIZE_FILTER: FilterType = FilterType::Triangle;

/// Why a frame could not be turned into a network input. Any error means: reject.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PreprocessError {
    /// The frame has no pixels.
    #[error("frame is {width}×{height}: it has no pixels")]
    EmptyFrame {
        /// Frame width in pixels.
        width: u32,
        /// Frame height in pixels.
        height: u32,
    },
    /// The manifest's ROI is empty or does not lie inside the frame.
    #[error(
        "manifest field `preprocess.roi` ({width}×{height} at ({x}, {y})) does not lie inside \
         the {frame_width}×{frame_height} frame: check the camera resolution or the ROI"
    )]
    RoiOutsideFrame {
        /// ROI left edge.
        x: u32,
        /// ROI top edge.
        y: u32,
        /// ROI width.
        width: u32,
        /// ROI height.
        height: u32,
        /// Frame width in pixels.
        frame_width: u32,
        /// Frame height in pixels.
        frame_height: u32,
    },
    /// `input` is not a size this path can produce.
    #[error(
        "manifest field `input` is {width}×{height}×{channels}: sides must be positive, \
         channels 1 or 3"
    )]
    InvalidInput {
        /// Input width.
        width: u32,
        /// Input height.
        height: u32,
        /// Input channels.
        channels: u8,
    },
    /// The output buffer does not hold `C × H × W` values.
    #[error("input buffer holds {got} values but the network input has {expected} (C×H×W)")]
    OutputLength {
        /// `C × H × W`.
        expected: usize,
        /// Buffer length given.
        got: usize,
    },
}

/// Number of f32 values of the network input, `C × H × W`.
#[must_use]
pub fn input_len(input: InputSpec) -> usize {
    usize::from(input.channels) * input.width as usize * input.height as usize
}

/// Crops, resizes and normalises `frame` into `out` (`C × H × W` values, NCHW without the
/// batch axis) with a one-off [`Preprocessor`]; see the [module docs](self).
///
/// # Errors
/// [`PreprocessError::EmptyFrame`], [`PreprocessError::RoiOutsideFrame`],
/// [`PreprocessError::InvalidInput`], [`PreprocessError::OutputLength`]; checked before
/// anything is written.
pub fn preprocess_into(
    frame: &RgbImage,
    input: InputSpec,
    preprocess: &Preprocess,
    out: &mut [f32],
) -> Result<(), PreprocessError> {
    Preprocessor::default().run(frame, input, preprocess, out)
}

/// The preprocessing with its resampling weights kept between frames of one size.
#[derive(Debug, Clone, Default)]
pub struct Preprocessor {
    resampler: Option<Resampler>,
}

impl Preprocessor {
    /// As [`preprocess_into`]; rebuilds the resampling weights only when the crop size
    /// differs from the previous frame's.
    ///
    /// # Errors
    /// As [`preprocess_into`].
    pub fn run(
        &mut self,
        frame: &RgbImage,
        input: InputSpec,
        preprocess: &Preprocess,
        out: &mut [f32],
    ) -> Result<(), PreprocessError> {
        let (frame_width, frame_height) = frame.dimensions();
        if frame_width == 0 || frame_height == 0 {
            return Err(PreprocessError::EmptyFrame {
                width: frame_width,
                height: frame_height,
            });
        }
        if input.width == 0 || input.height == 0 || !matches!(input.channels, 1 | 3) {
            return Err(PreprocessError::InvalidInput {
                width: input.width,
                height: input.height,
                channels: input.channels,
            });
        }
        if out.len() != input_len(input) {
            return Err(PreprocessError::OutputLength {
                expected: input_len(input),
                got: out.len(),
            });
        }
        let roi = preprocess.roi.unwrap_or(Roi {
            x: 0,
            y: 0,
            width: frame_width,
            height: frame_height,
        });
        check_roi(roi, frame_width, frame_height)?;
        let size = (input.width, input.height);
        if (roi.width, roi.height) == size {
            let crop = imageops::crop_imm(frame, roi.x, roi.y, roi.width, roi.height);
            normalise(&*crop, input.channels, preprocess, out);
            return Ok(());
        }
        let src = (roi.width, roi.height);
        let resampler = match &mut self.resampler {
            Some(r) if r.src() == src && r.dst() == size => r,
            slot => slot.insert(Resampler::new(src, size)),
        };
        resampler.run(
            frame.as_raw(),
            frame_width as usize * 3,
            (roi.x as usize, roi.y as usize),
            input.channels == 1,
            (preprocess.mean, preprocess.std),
            out,
        );
        Ok(())
    }
}

/// Allocating form of [`preprocess_into`]: the `C × H × W` network input of `frame`.
///
/// # Errors
/// As [`preprocess_into`].
pub fn preprocess(
    frame: &RgbImage,
    input: InputSpec,
    preprocess: &Preprocess,
) -> Result<Vec<f32>, PreprocessError> {
    let mut out = vec![0.0; input_len(input)];
    preprocess_into(frame, input, preprocess, &mut out)?;
    Ok(out)
}

fn check_roi(roi: Roi, frame_width: u32, frame_height: u32) -> Result<(), PreprocessError> {
    let inside = roi.width > 0
        && roi.height > 0
        && u64::from(roi.x) + u64::from(roi.width) <= u64::from(frame_width)
        && u64::from(roi.y) + u64::from(roi.height) <= u64::from(frame_height);
    if inside {
        Ok(())
    } else {
        Err(PreprocessError::RoiOutsideFrame {
            x: roi.x,
            y: roi.y,
            width: roi.width,
            height: roi.height,
            frame_width,
            frame_height,
        })
    }
}

/// Writes the normalised planes of `image` (already at input size) into `out`.
fn normalise<I: GenericImageView<Pixel = Rgb<u8>>>(
    image: &I,
    channels: u8,
    preprocess: &Preprocess,
    out: &mut [f32],
) {
    let (width, height) = image.dimensions();
    let plane = width as usize * height as usize;
    let (mean, std) = (preprocess.mean, preprocess.std);
    for y in 0..height {
        for x in 0..width {
            let pixel = image.get_pixel(x, y);
            let i = y as usize * width as usize + x as usize;
            if channels == 1 {
                let luma = f32::from(pixel.to_luma()[0]);
                out[i] = (luma - mean[0]) / std[0];
            } else {
                for c in 0..3 {
                    out[c * plane + i] = (f32::from(pixel[c]) - mean[c]) / std[c];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RGB: InputSpec = InputSpec {
        width: 2,
        height: 1,
        channels: 3,
    };
    const TEACHER: Preprocess = Preprocess {
        roi: None,
        mean: [127.0; 3],
        std: [128.0; 3],
    };

    #[test]
    fn normalises_into_planes() {
        let mut img = RgbImage::new(2, 1);
        img.put_pixel(0, 0, Rgb([255, 127, 0]));
        img.put_pixel(1, 0, Rgb([0, 0, 255]));
        let v = preprocess(&img, RGB, &TEACHER).unwrap();
        let m = -127.0 / 128.0;
        assert_eq!(v, vec![1.0, m, 0.0, m, m, 1.0]);
    }

    #[test]
    fn grey_models_read_luma_and_grey_frames_exactly() {
        let grey = InputSpec { channels: 1, ..RGB };
        let img = RgbImage::from_pixel(2, 1, Rgb([200, 200, 200]));
        let v = preprocess(&img, grey, &TEACHER).unwrap();
        assert_eq!(v, vec![73.0 / 128.0; 2]);
    }

    #[test]
    fn roi_outside_the_frame_is_refused() {
        let img = RgbImage::new(10, 10);
        let roi = |x, y, width, height| Preprocess {
            roi: Some(Roi {
                x,
                y,
                width,
                height,
            }),
            ..TEACHER
        };
        assert!(preprocess(&img, RGB, &roi(2, 2, 8, 8)).is_ok());
        for bad in [roi(3, 2, 8, 8), roi(0, 0, 0, 4), roi(u32::MAX, 0, 2, 2)] {
            assert!(matches!(
                preprocess(&img, RGB, &bad),
                Err(PreprocessError::RoiOutsideFrame { .. })
            ));
        }
        let mut short = [0.0; 5];
        assert!(matches!(
            preprocess_into(&img, RGB, &TEACHER, &mut short),
            Err(PreprocessError::OutputLength {
                expected: 6,
                got: 5
            })
        ));
    }
}
