//! The one error type of [`crate::report`]; every variant names the file or folder involved.

use std::path::PathBuf;

use crate::metrics::MetricError;

/// A run that cannot be evaluated, or a report that cannot be written.
///
/// Figures that are merely undefined for the run (one class only, no mask) are not errors:
/// they are `null` in the report with a note.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The run holds no image.
    #[error("the evaluation run holds no test image: nothing to report")]
    NoImages,
    /// A heat map's length disagrees with its stated size.
    #[error(
        "{}: heat map has {len} values but is said to be {width}×{height}",
        path.display()
    )]
    HeatmapSize {
        /// The test image.
        path: PathBuf,
        /// Values in the heat map.
        len: usize,
        /// Stated width, pixels.
        width: u32,
        /// Stated height, pixels.
        height: u32,
    },
    /// A mask's length disagrees with its heat map's size.
    #[error(
        "{}: mask has {len} pixels but the heat map is {width}×{height}; resize the mask to \
         the heat map first",
        path.display()
    )]
    MaskSize {
        /// The test image.
        path: PathBuf,
        /// Pixels in the mask.
        len: usize,
        /// Heat map width, pixels.
        width: u32,
        /// Heat map height, pixels.
        height: u32,
    },
    /// An image score is NaN or infinite.
    #[error("{}: image score {score} is not finite", path.display())]
    NonFiniteScore {
        /// The test image.
        path: PathBuf,
        /// The score.
        score: f32,
    },
    /// A heat-map value is NaN.
    #[error("{}: heat map value at pixel {pixel} is NaN", path.display())]
    NanPixel {
        /// The test image.
        path: PathBuf,
        /// Row-major pixel index.
        pixel: usize,
    },
    /// A latency is negative, NaN or infinite.
    #[error("{}: latency {latency_ms} ms is not a finite non-negative number", path.display())]
    BadLatency {
        /// The test image.
        path: PathBuf,
        /// The latency, milliseconds.
        latency_ms: f64,
    },
    /// A metric failed on inputs that passed the checks above (a bug, not a data problem).
    #[error("computing {metric}")]
    Metric {
        /// The report field being computed.
        metric: &'static str,
        /// The metric's error.
        #[source]
        source: MetricError,
    },
    /// The output folder could not be created.
    #[error("cannot create the report folder {}", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A report file could not be written (or renamed into place).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A test image could not be read for its overlay.
    #[error("cannot read the test image {} for its overlay: {message}", path.display())]
    Image {
        /// The test image.
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },
    /// An overlay could not be encoded as PNG.
    #[error("cannot encode the overlay {}", path.display())]
    Encode {
        /// The overlay file.
        path: PathBuf,
        /// The encoder's error.
        #[source]
        source: image::ImageError,
    },
    /// The report could not be serialised to JSON.
    #[error("cannot serialise {}", path.display())]
    Json {
        /// The JSON file.
        path: PathBuf,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
}
