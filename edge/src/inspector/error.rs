//! [`InspectorError`]: why a bundle cannot be inspected with, or a frame could not be
//! inspected. Every variant names the payload, manifest field or stage involved; any
//! error on a frame means the part must be rejected.

use shared::bundle::ModelKind;
use shared::score::ScoreError;

use crate::bank::{BankError, DecodeError};
use crate::bundle_check::LoadError;
use crate::preprocess::PreprocessError;

/// A boxed source error (tract's errors are `anyhow` errors).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why an [`super::Inspector`] could not be built or a frame not inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectorError {
    /// The bundle file could not be read, or its manifest failed the device's checks
    /// (`bundle_check`); the message names the file and field.
    #[error(transparent)]
    Manifest(#[from] LoadError),
    /// A payload the model kind needs is absent.
    #[error("bundle has no payload `{name}`, which a {model:?} bundle needs")]
    MissingPayload {
        /// The payload name (see `shared::bundle::payloads`).
        name: &'static str,
        /// The bundle's model kind.
        model: ModelKind,
    },
    /// tract could not parse, type or optimise a graph payload.
    #[error("payload `{payload}`: {stage} failed")]
    Graph {
        /// The payload name.
        payload: &'static str,
        /// What was being done: "parsing and typing the ONNX graph", "optimising the graph".
        stage: &'static str,
        /// tract's error.
        #[source]
        source: BoxError,
    },
    /// A graph's inputs/outputs do not match the manifest.
    #[error("payload `{payload}`: {what} is {found}, expected {expected}")]
    GraphShape {
        /// The payload name.
        payload: &'static str,
        /// Which tensor: e.g. "input 0 shape", "number of outputs".
        what: &'static str,
        /// What the manifest implies, naming the field.
        expected: String,
        /// What the graph declares.
        found: String,
    },
    /// The bank payload does not decode.
    #[error("payload `{payload}` is not a valid bank model")]
    BankDecode {
        /// The payload name.
        payload: &'static str,
        /// The decoder's reason.
        #[source]
        source: DecodeError,
    },
    /// The bank decodes but does not fit the model kind or the graph's output.
    #[error("payload `{payload}`: {problem}")]
    BankMismatch {
        /// The payload name.
        payload: &'static str,
        /// What does not match, with both values.
        problem: String,
    },
    /// A `manifest.extra` setting is malformed or not allowed for this model kind.
    #[error("manifest field `extra[\"{key}\"]` = {value:?}: {problem}")]
    InvalidExtra {
        /// The key.
        key: &'static str,
        /// The value found.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// `threads` is 0 or the worker pool could not be started.
    #[error("cannot start {threads} inspection threads: {reason}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// Why not.
        reason: String,
    },
    /// The frame could not be preprocessed.
    #[error("preprocessing the frame")]
    Preprocess(#[source] PreprocessError),
    /// tract failed running the network on a frame.
    #[error("payload `{payload}`: running the network on the frame failed")]
    Network {
        /// The payload name.
        payload: &'static str,
        /// tract's error.
        #[source]
        source: BoxError,
    },
    /// The bank refused the frame's patch features (e.g. NaN from a broken network).
    #[error("payload `{payload}`: scoring the frame's patch features failed")]
    Bank {
        /// The payload name.
        payload: &'static str,
        /// The bank's reason.
        #[source]
        source: BankError,
    },
    /// The shared score path refused the patch-score map.
    #[error("score path (manifest field `score`) refused the patch-score map")]
    Score(#[source] ScoreError),
    /// The heat-map buffer is not `input.width × input.height`.
    #[error(
        "heat-map buffer holds {got} values, expected {expected} \
         (manifest field `input`: {width}×{height})"
    )]
    HeatmapLength {
        /// `width × height`.
        expected: usize,
        /// Buffer length given.
        got: usize,
        /// Input width.
        width: u32,
        /// Input height.
        height: u32,
    },
}
