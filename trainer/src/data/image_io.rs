//! Decoding one image or mask file, and reading image headers; every error names the file.
//!
//! Images are converted to 8-bit RGB whatever they hold (grey, RGBA, 16-bit); masks to
//! booleans (> 127 = defect) after conversion to 8-bit grey.

use std::path::Path;

use image::{ColorType, ImageDecoder, ImageReader};

use super::{DataError, Sample};

/// Extensions (lower case) of the image files datasets may hold.
const IMAGE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// True when `path` ends in `.png`, `.jpg` or `.jpeg`, in any case.
pub fn is_image_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn open(path: &Path) -> Result<ImageReader<std::io::BufReader<std::fs::File>>, DataError> {
    ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| DataError::io(path, e))
}

/// Width, height and colour type from the file's header, without decoding pixels.
pub(crate) fn read_header(path: &Path) -> Result<((u32, u32), ColorType), DataError> {
    let decoder = open(path)?
        .into_decoder()
        .map_err(|e| DataError::image(path, e))?;
    Ok((decoder.dimensions(), decoder.color_type()))
}

/// Decodes an image file to 8-bit RGB (grey is replicated, alpha dropped, 16-bit scaled).
pub fn load_rgb(path: &Path) -> Result<image::RgbImage, DataError> {
    let img = open(path)?
        .decode()
        .map_err(|e| DataError::image(path, e))?;
    Ok(img.into_rgb8())
}

/// Decodes `mask_path` (the mask of `image_path`) to row-major booleans, true = defect
/// (grey value > 127). Fails naming both files when its size is not `image_size`.
pub fn load_mask_file(
    mask_path: &Path,
    image_path: &Path,
    image_size: (u32, u32),
) -> Result<Vec<bool>, DataError> {
    let mask = open(mask_path)?
        .decode()
        .map_err(|e| DataError::image(mask_path, e))?
        .into_luma8();
    if mask.dimensions() != image_size {
        return Err(DataError::MaskSize {
            mask: mask_path.to_path_buf(),
            mask_size: mask.dimensions(),
            image: image_path.to_path_buf(),
            image_size,
        });
    }
    Ok(mask.into_raw().into_iter().map(|v| v > 127).collect())
}

/// The sample's mask as row-major booleans (true = defect), `None` when it has no mask.
/// `image_size` is the (width, height) of the sample's image, which the mask must match.
pub fn load_mask(sample: &Sample, image_size: (u32, u32)) -> Result<Option<Vec<bool>>, DataError> {
    sample
        .mask
        .as_deref()
        .map(|mask| load_mask_file(mask, &sample.path, image_size))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_extensions_match_in_any_case_only_png_and_jpeg() {
        for name in ["a.png", "b.PNG", "c.jpg", "d.JpEg", "dir/e.JPG"] {
            assert!(is_image_path(Path::new(name)), "{name}");
        }
        for name in ["a.txt", "b.bmp", "png", "c.png.bak", ".png"] {
            assert!(!is_image_path(Path::new(name)), "{name}");
        }
    }
}
