//! Writing patch features as a NumPy `.npy` file (format version 1.0).
//!
//! The array is `float32` little-endian (`'<f4'`), C order, shape
//! `[images, height · width, channels]`: image `i`, patch `y · width + x`, feature `c`.
//! `numpy.load(path)` reads it; so does any `.npy` reader. All images must share a shape.

use std::io::Write as _;
use std::path::Path;

use super::error::FeatureError;
use super::extractor::PatchFeatures;

/// The `.npy` header (magic, version 1.0, padded dict) for an f32 C-order array.
pub fn npy_header(shape: &[usize]) -> Vec<u8> {
    let dims = match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}");
    // Magic (6) + version (2) + length (2) + dict + '\n' must be a multiple of 64.
    let unpadded = 10 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// Writes `features` (all of one shape) to `path` as described in the module docs.
pub fn write_npy(path: &Path, features: &[PatchFeatures]) -> Result<(), FeatureError> {
    let (patches, channels) = features
        .first()
        .map_or((0, 0), |f| (f.patch_count(), f.channels));
    if features
        .iter()
        .any(|f| f.patch_count() != patches || f.channels != channels)
    {
        return Err(FeatureError::Invalid(
            "all images must have the same feature shape to be written as one array".into(),
        ));
    }
    let io = |source| FeatureError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    w.write_all(&npy_header(&[features.len(), patches, channels]))
        .map_err(io)?;
    for f in features {
        let bytes: Vec<u8> = f.data.iter().flat_map(|v| v.to_le_bytes()).collect();
        w.write_all(&bytes).map_err(io)?;
    }
    w.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_describes_shape() {
        let h = npy_header(&[2, 1024, 152]);
        assert_eq!(h.len() % 64, 0);
        let text = String::from_utf8_lossy(&h[10..]);
        assert!(text.contains("'shape': (2, 1024, 152)"), "{text}");
        assert!(text.ends_with('\n'));
    }
}
