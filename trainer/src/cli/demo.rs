//! `trainer demo`: the README's main command, on the embedded default (no camera, no
//! board, no download). It walks the whole host path that exists today:
//!
//! 1. generate the deterministic synthetic dataset ([`crate::synth`]) into `--out`;
//! 2. print its inspection ([`crate::data::inspect`]);
//! 3. extract patch features of every image with the converted EfficientNet-Lite0 teacher
//!    ([`crate::features`]);
//! 4. fit a 10 % coreset memory bank, int8-quantised ([`crate::bank`]), score the test
//!    images through the shared score path ([`shared::score`]) and report image AUROC,
//!    pixel AUROC, AUPRO and F1-max ([`crate::metrics`]).
//!
//! Step 4 is a preview of the memory-bank model: calibration, bundle export and the edge
//! parity check arrive with `trainer fit` / `trainer eval`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use shared::score::{ImageScore, ScoreConfig, ScorePipeline};

use crate::bank::{
    greedy_coreset, score_image, CoresetConfig, F32Bank, GridShape, Int8Bank, NearestNeighbours,
    PatchCoreConfig,
};
use crate::data::{self, Sample};
use crate::features::{FeatureError, FeatureExtractor, PatchFeatures};
use crate::metrics::{self, ImageSize};
use crate::synth::{self, SynthConfig};

/// Teacher input side used by the demo (the default of every later model).
const INPUT_SIZE: u32 = 256;
/// Gaussian σ of the anomaly-map smoothing, in 32×32 map cells (4 input pixels ≈ 0.5 cells,
/// PatchCore's σ = 4 at full resolution).
const SMOOTHING_SIGMA: f32 = 0.5;

/// Arguments of `trainer demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Working folder; the synthetic dataset is written to `<out>/synthetic` (regenerated on
    /// every run; only files an earlier run listed in its `synth.json` are replaced).
    #[arg(long, default_value = "out/demo")]
    pub out: PathBuf,
    /// Seed of the synthetic dataset.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Hide progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs the demo.
pub fn run(args: Args) -> anyhow::Result<()> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let root = args.out.join("synthetic");

    println!("== 1. synthetic dataset (seed {})", args.seed);
    let config = SynthConfig {
        seed: args.seed,
        force: true,
        ..SynthConfig::default()
    };
    let summary = synth::generate(&config, &root)
        .with_context(|| format!("generating the synthetic dataset in {}", root.display()))?;
    println!("{summary}");

    println!("== 2. inspection");
    let inspection =
        data::inspect(&root).with_context(|| format!("inspecting {}", root.display()))?;
    println!("{inspection}");

    println!("== 3. teacher patch features");
    let dataset =
        data::load(&root).with_context(|| format!("loading dataset {}", root.display()))?;
    let weights = super::features::load_teacher(None)?;
    let extractor = FeatureExtractor::new(&weights, INPUT_SIZE, threads)
        .context("building the teacher feature extractor")?;
    let (channels, map_h, map_w) = extractor.output_shape();
    let start = Instant::now();
    let train = extract(&extractor, &dataset.train, args.quiet)?;
    let test = extract(&extractor, &dataset.test, args.quiet)?;
    let per_image_ms =
        start.elapsed().as_secs_f64() * 1e3 / (dataset.train.len() + dataset.test.len()) as f64;
    println!(
        "teacher       {} at {INPUT_SIZE}×{INPUT_SIZE}, features {channels} × {map_h}×{map_w} \
         per image, {per_image_ms:.1} ms/image on {threads} thread(s)",
        weights.name()
    );

    println!("== 4. memory bank preview (10% coreset, int8)");
    let grid = GridShape::new(map_h, map_w, channels);
    let report = evaluate_bank(&dataset.test, &train, &test, grid)?;
    println!("{report}");
    Ok(())
}

fn extract(
    extractor: &FeatureExtractor,
    samples: &[Sample],
    quiet: bool,
) -> anyhow::Result<Vec<PatchFeatures>> {
    let paths: Vec<PathBuf> = samples.iter().map(|s| s.path.clone()).collect();
    Ok(extractor.extract_dataset(&paths, !quiet, |p| {
        data::load_rgb(p).map_err(|e| FeatureError::Image {
            item: p.display().to_string(),
            message: e.to_string(),
        })
    })?)
}

/// Figures of the bank preview.
struct BankReport {
    bank_entries: usize,
    train_patches: usize,
    f32_bytes: usize,
    int8_bytes: usize,
    image_auroc: f64,
    image_auroc_reweighted: f64,
    pixel_auroc: f64,
    aupro: f64,
    f1_max: metrics::F1Max,
    score_ms_per_image: f64,
}

impl std::fmt::Display for BankReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "bank          {} of {} training patches, {} bytes int8 ({} bytes f32)",
            self.bank_entries, self.train_patches, self.int8_bytes, self.f32_bytes
        )?;
        writeln!(
            f,
            "image AUROC   {:.4} (smoothed max), {:.4} (PatchCore reweighted)",
            self.image_auroc, self.image_auroc_reweighted
        )?;
        writeln!(f, "pixel AUROC   {:.4}", self.pixel_auroc)?;
        writeln!(f, "AUPRO@0.3     {:.4}", self.aupro)?;
        writeln!(
            f,
            "F1-max        {:.4} at score {:.4} (precision {:.3}, recall {:.3})",
            self.f1_max.f1, self.f1_max.threshold, self.f1_max.precision, self.f1_max.recall
        )?;
        write!(
            f,
            "scoring       {:.1} ms/image (int8 search + score path)",
            self.score_ms_per_image
        )
    }
}

fn evaluate_bank(
    samples: &[Sample],
    train: &[PatchFeatures],
    test: &[PatchFeatures],
    grid: GridShape,
) -> anyhow::Result<BankReport> {
    let train_data: Vec<f32> = train.iter().flat_map(|f| f.data.iter().copied()).collect();
    let coreset = greedy_coreset(&train_data, grid.dim, &CoresetConfig::default(), |_, _| {})
        .context("selecting the coreset")?;
    let f32_bank = F32Bank::from_coreset(&train_data, grid.dim, &coreset)?;
    let bank = Int8Bank::quantize(&f32_bank);

    let score_config = ScoreConfig {
        smoothing_sigma: SMOOTHING_SIGMA,
        image_score: ImageScore::Max,
        map_width: grid.width as u32,
        map_height: grid.height as u32,
    };
    let mut labels = Vec::with_capacity(samples.len());
    let mut image_scores = Vec::with_capacity(samples.len());
    let mut reweighted = Vec::with_capacity(samples.len());
    let mut heatmaps: Vec<Vec<f32>> = Vec::with_capacity(samples.len());
    let mut masks: Vec<Vec<bool>> = Vec::with_capacity(samples.len());
    let mut sizes = Vec::with_capacity(samples.len());
    let start = Instant::now();
    for (sample, features) in samples.iter().zip(test) {
        let scores = score_image(&bank, &features.data, grid, &PatchCoreConfig::default())?;
        let (width, height) = image_size(&sample.path)?;
        let mut pipeline = ScorePipeline::new(score_config, width, height)?;
        let mut heatmap = vec![0.0; (width * height) as usize];
        let score = pipeline
            .run(&scores.map, &mut heatmap)
            .with_context(|| format!("scoring {}", sample.path.display()))?;
        let mask =
            data::load_mask(sample, (width, height))?.unwrap_or_else(|| vec![false; heatmap.len()]);
        labels.push(sample.is_anomalous());
        image_scores.push(score);
        reweighted.push(scores.image_score);
        heatmaps.push(heatmap);
        masks.push(mask);
        sizes.push(ImageSize::new(width as usize, height as usize));
    }
    let score_ms_per_image = start.elapsed().as_secs_f64() * 1e3 / samples.len().max(1) as f64;
    let map_refs: Vec<&[f32]> = heatmaps.iter().map(Vec::as_slice).collect();
    let mask_refs: Vec<&[bool]> = masks.iter().map(Vec::as_slice).collect();
    Ok(BankReport {
        bank_entries: f32_bank.len(),
        train_patches: train_data.len() / grid.dim,
        f32_bytes: f32_bank.byte_size(),
        int8_bytes: bank.byte_size(),
        image_auroc: metrics::roc_auc(&image_scores, &labels)?,
        image_auroc_reweighted: metrics::roc_auc(&reweighted, &labels)?,
        pixel_auroc: metrics::pixel_auroc(&map_refs, &mask_refs)?,
        aupro: metrics::aupro(&map_refs, &mask_refs, &sizes, metrics::DEFAULT_FPR_LIMIT)?,
        f1_max: metrics::f1_max(&image_scores, &labels)?,
        score_ms_per_image,
    })
}

fn image_size(path: &Path) -> anyhow::Result<(u32, u32)> {
    image::image_dimensions(path).with_context(|| format!("reading the size of {}", path.display()))
}
