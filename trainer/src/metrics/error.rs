//! The one error type of [`crate::metrics`]; every variant says which input is wrong and how.

/// Inputs a metric cannot be computed from.
///
/// Metrics never panic on bad data: lengths, classes, NaN and image sizes are all checked
/// and reported here, naming the offending index where there is one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricError {
    /// `scores` and `labels` have different lengths.
    #[error("{scores} scores but {labels} labels: give one label per score")]
    LengthMismatch {
        /// Number of scores.
        scores: usize,
        /// Number of labels.
        labels: usize,
    },
    /// Only one class (or nothing at all) is present, so the metric is undefined.
    #[error(
        "{anomalous} anomalous and {normal} normal samples: the metric needs at least one of each"
    )]
    SingleClass {
        /// Samples labelled anomalous (`true`).
        anomalous: usize,
        /// Samples labelled normal (`false`).
        normal: usize,
    },
    /// A score is NaN; NaN has no rank.
    #[error("score at index {index} is NaN: NaN scores cannot be ranked")]
    NanScore {
        /// Index into the flat score slice.
        index: usize,
    },
    /// A pixel score of an anomaly map is NaN.
    #[error("image {image}: pixel {pixel} of the anomaly map is NaN; NaN scores cannot be ranked")]
    NanPixel {
        /// Index of the image.
        image: usize,
        /// Row-major pixel index inside that image.
        pixel: usize,
    },
    /// Per-image inputs come in different counts.
    #[error(
        "{maps} anomaly maps, {masks} masks and {sizes} image sizes: give one of each per image"
    )]
    ImageCountMismatch {
        /// Number of anomaly maps.
        maps: usize,
        /// Number of ground-truth masks.
        masks: usize,
        /// Number of image sizes (0 where sizes are not needed).
        sizes: usize,
    },
    /// An image's anomaly map, mask and size disagree.
    #[error(
        "image {image}: anomaly map has {map_len} pixels, mask has {mask_len}, \
         size says {expected}; they must all agree"
    )]
    ImageSizeMismatch {
        /// Index of the image.
        image: usize,
        /// Pixels in the anomaly map.
        map_len: usize,
        /// Pixels in the mask.
        mask_len: usize,
        /// `width * height`, or the map length where no size is given.
        expected: usize,
    },
    /// No ground-truth mask holds any anomalous pixel, so PRO is undefined.
    #[error("no anomalous region in any ground-truth mask: AUPRO needs at least one")]
    NoRegions,
    /// Every pixel of every image is anomalous, so the false-positive rate is undefined.
    #[error("no normal pixel in any image: AUPRO needs at least one to measure false positives")]
    NoNormalPixels,
    /// The false-positive-rate limit is not in `(0, 1]`.
    #[error("FPR limit {0} is outside (0, 1]; the field uses 0.3")]
    InvalidFprLimit(f64),
}
