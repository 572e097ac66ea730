//! [`TeacherError`]: why teacher weights could not be loaded or turned into a graph.

use std::path::PathBuf;

/// Why teacher weights could not be loaded, verified or built into a graph.
#[derive(Debug, thiserror::Error)]
pub enum TeacherError {
    /// The weights file could not be read.
    #[error("reading teacher weights {path}: {source}")]
    Io {
        /// File involved.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file's name is registered but its content is not the registered file.
    #[error(
        "teacher weights {path} fail their hash check: registered \"{file_name}\" has SHA-256 \
         {expected}, this file has {actual}. The file is corrupt or was modified; restore it \
         from models/teachers/ (see PROVENANCE.md there), or rename it if it really is a \
         different network"
    )]
    HashMismatch {
        /// File involved.
        path: PathBuf,
        /// Registered file name.
        file_name: String,
        /// Registered SHA-256 (hex).
        expected: String,
        /// SHA-256 of the file on disk (hex).
        actual: String,
    },
    /// `pytorch-reader` could not parse the checkpoint.
    #[error("parsing PyTorch checkpoint {path}: {message}")]
    Checkpoint {
        /// File involved.
        path: PathBuf,
        /// The reader's error, in words.
        message: String,
    },
    /// A tensor the architecture needs is missing.
    #[error(
        "tensor \"{0}\" is missing from the checkpoint (is this an EfficientNet-Lite state dict?)"
    )]
    MissingTensor(String),
    /// A tensor has an unexpected shape or element type.
    #[error("tensor \"{name}\": {reason}")]
    BadTensor {
        /// Tensor name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The tensors present do not describe an EfficientNet-Lite.
    #[error("not an EfficientNet-Lite layout: {0}")]
    Architecture(String),
    /// A requested feature layer does not exist.
    #[error("unknown teacher layer \"{name}\": use one of {known}")]
    UnknownLayer {
        /// Requested name.
        name: String,
        /// Names that exist, comma-separated.
        known: String,
    },
    /// The ONNX writer refused the graph (a bug in the builder).
    #[error("writing the teacher ONNX graph: {0}")]
    Onnx(#[from] crate::onnx::OnnxError),
}
