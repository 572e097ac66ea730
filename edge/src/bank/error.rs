//! The two error types of [`crate::bank`]: [`BankError`] for unusable inputs and
//! parameters when fitting or searching, [`DecodeError`] for bytes that are not a valid
//! serialised model. Every variant names the offending value; nothing in the module panics
//! on bad data.

/// Inputs or parameters a bank model cannot be built or queried from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BankError {
    /// A feature dimension of zero.
    #[error("feature dimension is 0: vectors need at least one component")]
    ZeroDim,
    /// No vectors at all.
    #[error("no vectors given: need at least one")]
    Empty,
    /// The flat slice is not a whole number of `dim`-sized rows.
    #[error("{len} floats is not a whole number of {dim}-dim vectors")]
    RaggedData {
        /// Length of the flat slice.
        len: usize,
        /// Expected row length.
        dim: usize,
    },
    /// A value is NaN or infinite.
    #[error("value at flat index {index} is not finite: features must be finite")]
    NonFinite {
        /// Index into the flat slice.
        index: usize,
    },
    /// Queries and model disagree on the feature dimension.
    #[error("vectors have {got} components but the model expects {expected}")]
    DimMismatch {
        /// The model's dimension.
        expected: usize,
        /// The dimension given.
        got: usize,
    },
    /// A per-image grid does not match the flat slice or the model's grid.
    #[error(
        "feature grid mismatch: expected {expected_height}×{expected_width}×{expected_dim} \
         per image, got {got_height}×{got_width}×{got_dim} ({len} floats)"
    )]
    GridMismatch {
        /// The model's grid height.
        expected_height: usize,
        /// The model's grid width.
        expected_width: usize,
        /// The model's feature dimension.
        expected_dim: usize,
        /// Grid height given.
        got_height: usize,
        /// Grid width given.
        got_width: usize,
        /// Feature dimension given.
        got_dim: usize,
        /// Length of the flat slice given.
        len: usize,
    },
    /// A coreset of `requested` points cannot be drawn from `available`.
    #[error("coreset of {requested} points from {available}: choose 1..={available}")]
    CoresetSize {
        /// Points asked for.
        requested: usize,
        /// Points available.
        available: usize,
    },
    /// A coreset fraction outside `(0, 1]`.
    #[error("coreset fraction {0} is outside (0, 1]; PatchCore uses 0.1")]
    CoresetFraction(f32),
    /// `k` nearest neighbours cannot be returned from this bank.
    #[error("{k} nearest neighbours requested from a bank of {len}: choose 1..={len}")]
    BadK {
        /// Neighbours asked for.
        k: usize,
        /// Bank entries.
        len: usize,
    },
    /// An output buffer has the wrong length.
    #[error("output buffer holds {got} values but {expected} are written")]
    OutputLength {
        /// Values that will be written.
        expected: usize,
        /// Buffer length given.
        got: usize,
    },
    /// A numeric parameter is out of its documented range.
    #[error("{name} = {value} is invalid: {hint}")]
    InvalidParameter {
        /// The parameter's field name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The accepted range.
        hint: &'static str,
    },
    /// A location's covariance stayed non-positive-definite despite the ridge.
    #[error(
        "covariance at location {location} is not positive definite with ridge {ridge}: \
         raise the ridge or check the features for constant/duplicated channels"
    )]
    NotPositiveDefinite {
        /// Row-major index of the grid location.
        location: usize,
        /// The ridge ε used.
        ridge: f32,
    },
}

/// Bytes that are not a valid serialised bank model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes end before a field does.
    #[error(
        "truncated: field `{field}` needs {needed} bytes at offset {offset}, {available} left"
    )]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Byte offset of the field.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// The first four bytes are not this model's magic.
    #[error("bad magic {found:?}: expected {expected:?} (is this payload another model kind?)")]
    BadMagic {
        /// The magic this decoder reads.
        expected: [u8; 4],
        /// The bytes found.
        found: [u8; 4],
    },
    /// A format version this build cannot read.
    #[error("format version {found} is not supported: this build reads version {supported}")]
    UnsupportedVersion {
        /// Version in the bytes.
        found: u16,
        /// Version this build reads.
        supported: u16,
    },
    /// A field holds a value the model cannot have.
    #[error("field `{field}` is invalid: {reason}")]
    InvalidField {
        /// The field's name.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Bytes remain after the model's last field.
    #[error("{trailing} trailing bytes after the model's last field")]
    TrailingBytes {
        /// Bytes left over.
        trailing: usize,
    },
}
