//! [`FeatureError`]: why features could not be extracted.

/// Why features could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    /// Building the teacher graph failed.
    #[error(transparent)]
    Teacher(#[from] crate::teacher::TeacherError),
    /// tract could not load or run the graph.
    #[error("tract: {0}")]
    Runtime(String),
    /// An image could not be loaded.
    #[error("loading image {item}: {message}")]
    Image {
        /// The image (path or index).
        item: String,
        /// Why.
        message: String,
    },
    /// Arguments out of range.
    #[error("{0}")]
    Invalid(String),
    /// Writing a features file failed.
    #[error("writing features to {path}: {source}")]
    Io {
        /// File involved.
        path: std::path::PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
}
