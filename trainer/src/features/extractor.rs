//! [`FeatureExtractor`]: runs the feature graph with tract on images, one or many.
//!
//! One optimised plan is shared by every worker; each `run` makes its own state, so workers
//! never share scratch memory. `extract_*` spread images over a rayon pool of `threads`
//! workers, each running tract single-threaded (image-level parallelism scales better than
//! tract's intra-op threads for this network). Output order equals input order.

use std::path::{Path, PathBuf};

use image::RgbImage;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use tract_onnx::prelude::*;

use super::error::FeatureError;
use super::graph::{feature_graph_sized, FeatureGraph, DEFAULT_LAYERS};
use super::preprocess::{teacher_input_sized, TEACHER_NORMALISATION};
use crate::onnx::{runnable_from_bytes, Plan};
use crate::teacher::TeacherWeights;

/// Patch features of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchFeatures {
    /// Grid width (patches).
    pub width: usize,
    /// Grid height (patches).
    pub height: usize,
    /// Feature dimension.
    pub channels: usize,
    /// `(height · width) × channels`, row-major: patch `(y, x)` is row `y · width + x`.
    pub data: Vec<f32>,
}

impl PatchFeatures {
    /// The feature vector of patch `(y, x)`.
    pub fn patch(&self, y: usize, x: usize) -> &[f32] {
        let i = (y * self.width + x) * self.channels;
        &self.data[i..i + self.channels]
    }

    /// Number of patches.
    pub fn patch_count(&self) -> usize {
        self.width * self.height
    }
}

/// Teacher patch features for images of one input size.
#[derive(Debug, Clone)]
pub struct FeatureExtractor {
    graph: FeatureGraph,
    plan: Plan,
    threads: usize,
}

impl FeatureExtractor {
    /// The default layers ([`DEFAULT_LAYERS`]) at `input_size`² on `threads` workers.
    pub fn new(
        weights: &TeacherWeights,
        input_size: u32,
        threads: usize,
    ) -> Result<Self, FeatureError> {
        Self::with_layers(weights, input_size, &DEFAULT_LAYERS, threads)
    }

    /// Chosen teacher `layers` (e.g. `["stride8", "stride16"]`) at `input_size`².
    pub fn with_layers(
        weights: &TeacherWeights,
        input_size: u32,
        layers: &[&str],
        threads: usize,
    ) -> Result<Self, FeatureError> {
        Self::with_layers_sized(weights, (input_size, input_size), layers, threads)
    }

    /// Chosen teacher `layers` at `width × height` inputs (non-square cameras, long
    /// parts).
    pub fn with_layers_sized(
        weights: &TeacherWeights,
        (width, height): (u32, u32),
        layers: &[&str],
        threads: usize,
    ) -> Result<Self, FeatureError> {
        if width.min(height) < 32 || layers.is_empty() || threads == 0 {
            return Err(FeatureError::Invalid(format!(
                "feature extractor needs input sides >= 32 (got {width}×{height}), at least \
                 one layer (got {}) and threads >= 1 (got {threads})",
                layers.len()
            )));
        }
        let graph = feature_graph_sized(weights, (width as usize, height as usize), layers)?;
        Self::from_graph(graph, threads)
    }

    /// Runs an already written feature graph (e.g. a distilled student's) on `threads`
    /// workers: same input normalisation, same output layout as the teacher's.
    pub fn from_graph(graph: FeatureGraph, threads: usize) -> Result<Self, FeatureError> {
        if threads == 0 {
            return Err(FeatureError::Invalid(
                "feature extractor needs threads >= 1 (got 0)".into(),
            ));
        }
        let plan = runnable_from_bytes(&graph.onnx, "patch features")
            .map_err(|e| FeatureError::Runtime(format!("{e:#}")))?;
        Ok(Self {
            graph,
            plan,
            threads,
        })
    }

    /// Runs a bundle's own feature graph: `onnx` takes `[1, 3, height, width]` inputs
    /// (`input` = (width, height)) and returns `[1, channels, grid_h, grid_w]` features
    /// (`grid` = (channels, grid_h, grid_w), checked on every run). Retraining extracts
    /// features with exactly the graph the device runs, without the teacher weights.
    pub fn from_onnx(
        onnx: Vec<u8>,
        (width, height): (u32, u32),
        (channels, grid_h, grid_w): (usize, usize, usize),
        threads: usize,
    ) -> Result<Self, FeatureError> {
        Self::from_graph(
            FeatureGraph {
                onnx,
                input_width: width as usize,
                input_height: height as usize,
                channels,
                height: grid_h,
                width: grid_w,
            },
            threads,
        )
    }

    /// The ONNX graph being run (what the edge ships).
    pub fn onnx(&self) -> &[u8] {
        &self.graph.onnx
    }

    /// Input width in pixels (the side, for square inputs).
    pub fn input_size(&self) -> u32 {
        self.graph.input_width as u32
    }

    /// Input `(width, height)` in pixels.
    pub fn input_dims(&self) -> (u32, u32) {
        (
            self.graph.input_width as u32,
            self.graph.input_height as u32,
        )
    }

    /// Output `(channels, height, width)`.
    pub fn output_shape(&self) -> (usize, usize, usize) {
        (self.graph.channels, self.graph.height, self.graph.width)
    }

    /// Features of an already preprocessed input (`[1, 3, height, width]` values).
    pub fn extract_input(&self, nchw: &[f32]) -> Result<PatchFeatures, FeatureError> {
        let (w, h) = (self.graph.input_width, self.graph.input_height);
        let input = Tensor::from_shape(&[1, 3, h, w], nchw)
            .map_err(|e| FeatureError::Invalid(format!("input tensor: {e:#}")))?;
        let out = self
            .plan
            .run(tvec!(input.into()))
            .map_err(|e| FeatureError::Runtime(format!("{e:#}")))?;
        let view = out[0]
            .to_plain_array_view::<f32>()
            .map_err(|e| FeatureError::Runtime(format!("{e:#}")))?;
        let (c, h, w) = self.output_shape();
        if view.shape() != [1, c, h, w] {
            return Err(FeatureError::Runtime(format!(
                "feature graph returned shape {:?}, expected [1, {c}, {h}, {w}]",
                view.shape()
            )));
        }
        let chw = view.iter().copied().collect::<Vec<f32>>();
        let mut data = vec![0.0f32; c * h * w];
        for ch in 0..c {
            for p in 0..h * w {
                data[p * c + ch] = chw[ch * h * w + p];
            }
        }
        Ok(PatchFeatures {
            width: w,
            height: h,
            channels: c,
            data,
        })
    }

    /// Features of one image ([`preprocess`] then the graph).
    pub fn extract(&self, image: &RgbImage) -> Result<PatchFeatures, FeatureError> {
        let (w, h) = self.input_dims();
        let input =
            edge::preprocess::preprocess(image, teacher_input_sized(w, h), &TEACHER_NORMALISATION)
                .map_err(|e| FeatureError::Invalid(format!("preprocessing: {e}")))?;
        self.extract_input(&input)
    }

    /// Features of many items, loaded by `load` inside the workers, in input order.
    pub fn extract_dataset<T, F>(
        &self,
        items: &[T],
        progress: bool,
        load: F,
    ) -> Result<Vec<PatchFeatures>, FeatureError>
    where
        T: Sync,
        F: Fn(&T) -> Result<RgbImage, FeatureError> + Sync,
    {
        let bar = if progress {
            let bar = ProgressBar::new(items.len() as u64);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} images, {per_sec}, eta {eta}")
            {
                bar.set_style(style);
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| FeatureError::Invalid(format!("thread pool: {e}")))?;
        let out = pool.install(|| {
            items
                .par_iter()
                .map(|item| {
                    let f = self.extract(&load(item)?);
                    bar.inc(1);
                    f
                })
                .collect::<Result<Vec<_>, _>>()
        });
        bar.finish_and_clear();
        out
    }

    /// Features of in-memory images.
    pub fn extract_images(
        &self,
        images: &[RgbImage],
        progress: bool,
    ) -> Result<Vec<PatchFeatures>, FeatureError> {
        self.extract_dataset(images, progress, |img| Ok(img.clone()))
    }

    /// Features of image files (any format `image` decodes, converted to RGB8).
    pub fn extract_paths(
        &self,
        paths: &[PathBuf],
        progress: bool,
    ) -> Result<Vec<PatchFeatures>, FeatureError> {
        self.extract_dataset(paths, progress, |p| open_rgb(p))
    }
}

/// Opens an image file as RGB8.
pub fn open_rgb(path: &Path) -> Result<RgbImage, FeatureError> {
    image::open(path)
        .map(|i| i.to_rgb8())
        .map_err(|e| FeatureError::Image {
            item: path.display().to_string(),
            message: e.to_string(),
        })
}
