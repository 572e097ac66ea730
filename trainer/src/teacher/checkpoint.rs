//! Reading a PyTorch state dict into named f32 tensors.
//!
//! `pytorch-reader` 0.22 reads the legacy (pre-1.6, non-zip) container these weights use.
//! 49 of the Lite0 tensors are stored non-contiguous (the TensorFlow HWIO storage seen
//! through an OIHW view); the reader gathers every view through its strides, so the bytes
//! we get are the *logical* row-major OIHW data. The classification test is the end-to-end
//! proof of that (a transposed kernel would not classify a cat as a cat).

use std::collections::HashMap;
use std::path::Path;

use pytorch_reader::{DType, PytorchReader};

use super::error::TeacherError;

/// One tensor of the checkpoint: logical shape and row-major values.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTensor {
    /// Extents, outermost first.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

/// All floating-point tensors of the checkpoint at `path`, by state-dict name. Integer
/// tensors (`num_batches_tracked`) are skipped.
pub fn read_f32_tensors(path: &Path) -> Result<HashMap<String, RawTensor>, TeacherError> {
    let bad = |message: String| TeacherError::Checkpoint {
        path: path.to_path_buf(),
        message,
    };
    let reader = PytorchReader::new(path).map_err(|e| bad(e.to_string()))?;
    let mut out = HashMap::new();
    for (name, tensor) in reader.tensors() {
        let bytes = match tensor.dtype() {
            DType::F32 | DType::F64 | DType::F16 | DType::BF16 => tensor
                .read()
                .map_err(|e| bad(format!("tensor \"{name}\": {e}")))?,
            _ => continue,
        };
        let data = decode(tensor.dtype(), &bytes);
        out.insert(
            name.clone(),
            RawTensor {
                shape: tensor.shape().to_vec(),
                data,
            },
        );
    }
    Ok(out)
}

/// Native-endian bytes of a float tensor → f32 values.
fn decode(dtype: DType, bytes: &[u8]) -> Vec<f32> {
    match dtype {
        DType::F64 => bytes
            .chunks_exact(8)
            .map(|c| f64::from_ne_bytes(c.try_into().unwrap_or([0; 8])) as f32)
            .collect(),
        DType::F16 => bytes
            .chunks_exact(2)
            .map(|c| f16_to_f32(u16::from_ne_bytes([c[0], c[1]])))
            .collect(),
        DType::BF16 => bytes
            .chunks_exact(2)
            .map(|c| f32::from_bits((u16::from_ne_bytes([c[0], c[1]]) as u32) << 16))
            .collect(),
        _ => bytes
            .chunks_exact(4)
            .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    }
}

/// IEEE half → single precision (exact).
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f32;
    match exp {
        0 => sign * frac * 2f32.powi(-24),
        31 if frac == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f32.powi(e - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_half_precision() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(decode(DType::BF16, &0x3f80u16.to_ne_bytes()), vec![1.0]);
    }
}
