//! TensorFlow "same" padding, made explicit for a fixed input size.
//!
//! TensorFlow pads so that `out = ceil(in / stride)`, putting the odd pixel at the bottom/
//! right. ONNX's `auto_pad=SAME_UPPER` means the same thing, but explicit pads are written
//! instead because they need no runtime shape logic and every reader agrees on them.

/// Output size and (begin, end) padding of one spatial axis of length `input` for a
/// `kernel`-wide window moved by `stride`.
pub fn same_padding(input: usize, kernel: usize, stride: usize) -> (usize, (usize, usize)) {
    let out = input.div_ceil(stride);
    let total = ((out - 1) * stride + kernel).saturating_sub(input);
    (out, (total / 2, total - total / 2))
}

#[cfg(test)]
mod tests {
    use super::same_padding;

    #[test]
    fn stride_two_pads_bottom_right_only() {
        assert_eq!(same_padding(224, 3, 2), (112, (0, 1)));
        assert_eq!(same_padding(224, 5, 2), (112, (1, 2)));
        assert_eq!(same_padding(7, 3, 2), (4, (1, 1)));
    }

    #[test]
    fn stride_one_keeps_size() {
        assert_eq!(same_padding(32, 5, 1), (32, (2, 2)));
        assert_eq!(same_padding(32, 1, 1), (32, (0, 0)));
    }
}
