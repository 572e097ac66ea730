//! `trainer features`: teacher patch features for a dataset's training images.
//!
//! Prints the image count, the feature shape, total time and time per image; with `--out`
//! writes all features as one `.npy` array `[images, h·w, channels]` (f32, see
//! [`crate::features::npy`]), in the dataset's (sorted) training order.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;

use crate::features::{npy, FeatureError, FeatureExtractor};
use crate::teacher::TeacherWeights;

/// Arguments of `trainer features`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dataset folder (MVTec AD category or a plain folder of good images).
    #[arg(long)]
    pub data: PathBuf,
    /// Teacher layers, comma-separated (`strideN` or `stageN`).
    #[arg(long, value_delimiter = ',', default_value = crate::fit::DEFAULT_LAYERS_ARG)]
    pub layers: Vec<String>,
    /// Network input side in pixels (images are resized to size×size).
    #[arg(long, default_value_t = 256)]
    pub size: u32,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write the features to this `.npy` file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Teacher weights (default: the shipped EfficientNet-Lite0).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Loads the teacher named by `--weights` (or the shipped one), warning when unregistered.
pub fn load_teacher(weights: Option<&PathBuf>) -> anyhow::Result<TeacherWeights> {
    let w = match weights {
        Some(p) => TeacherWeights::load(p),
        None => TeacherWeights::load_default(),
    }
    .context("loading the teacher (the shipped one lives in models/teachers/)")?;
    if let Some(warning) = w.verification.warning(&w.path) {
        eprintln!("warning: {warning}");
    }
    Ok(w)
}

/// Runs `trainer features`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let dataset = crate::data::load(&args.data)
        .with_context(|| format!("loading dataset {}", args.data.display()))?;
    anyhow::ensure!(
        !dataset.train.is_empty(),
        "dataset {} has no training images",
        args.data.display()
    );
    let weights = load_teacher(args.weights.as_ref())?;
    let layers: Vec<&str> = args.layers.iter().map(String::as_str).collect();
    let extractor = FeatureExtractor::with_layers(&weights, args.size, &layers, threads)
        .context("building the feature extractor")?;
    let paths: Vec<PathBuf> = dataset.train.iter().map(|s| s.path.clone()).collect();
    let start = Instant::now();
    let features = extractor.extract_dataset(&paths, !args.quiet, |p| {
        crate::data::load_rgb(p).map_err(|e| FeatureError::Image {
            item: p.display().to_string(),
            message: e.to_string(),
        })
    })?;
    let elapsed = start.elapsed().as_secs_f64();
    let (c, h, w) = extractor.output_shape();
    println!(
        "{}: {} training images, teacher {} layers {} at {}x{}",
        dataset.name,
        features.len(),
        weights.name(),
        layers.join(","),
        args.size,
        args.size
    );
    println!("features per image: {h}x{w} patches x {c} channels");
    println!(
        "time: {elapsed:.2} s total, {:.1} ms per image ({threads} threads, load + preprocess + network)",
        elapsed * 1e3 / features.len() as f64
    );
    if let Some(out) = &args.out {
        npy::write_npy(out, &features)?;
        println!(
            "wrote {} ([{}, {}, {c}] f32 .npy)",
            out.display(),
            features.len(),
            h * w
        );
    }
    Ok(())
}
