//! `trainer demo`: the README's main command, on the embedded default (no camera, no
//! board, no download). It walks the whole path that exists today:
//!
//! 1. generate the deterministic synthetic dataset ([`crate::synth`]) into `--out`;
//! 2. print its inspection ([`crate::data::inspect`]);
//! 3. extract patch features of the good training images with the converted
//!    EfficientNet-Lite0 teacher ([`crate::features`]);
//! 4. fit a 10 % coreset memory bank, int8-quantised ([`crate::bank`]), and build the
//!    edge's own `Inspector` over it (feature graph + bank + manifest);
//! 5. set the image threshold at the highest score of held-out good images (no defect
//!    image is used), write the bundle, open it from the file as the device does, score
//!    every test image through the inspector and report image
//!    AUROC, pixel AUROC, AUPRO, F1-max, catch rate, false rejects and latency
//!    ([`crate::metrics`]).
//!
//! Steps 4–5 are a preview of the memory-bank model: proper calibration (quantile target,
//! synthetic anomalies), the report files and the parity check arrive with `trainer fit` /
//! `trainer eval`.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use edge::inspector::Inspector;
use shared::bundle::{
    Bundle, Manifest, Metric, ModelKind, Payload, Provenance, BANK, FEATURES_ONNX,
};
use shared::score::{ImageScore, ScoreConfig, ScoreStats, Thresholds};

use crate::bank::{greedy_coreset, BankModel, CoresetConfig, F32Bank, Int8Bank};
use crate::data::{self, Dataset, Sample};
use crate::features::preprocess::{teacher_input, TEACHER_NORMALISATION};
use crate::features::{FeatureError, FeatureExtractor, PatchFeatures};
use crate::metrics::{self, ImageSize};
use crate::synth::{self, SynthConfig};

/// Teacher input side used by the demo (the default of every later model).
const INPUT_SIZE: u32 = 256;
/// Gaussian σ of the anomaly-map smoothing, in 32×32 map cells (4 input pixels ≈ 0.5 cells,
/// PatchCore's σ = 4 at full resolution).
const SMOOTHING_SIGMA: f32 = 0.5;
/// Share of the good training images held out to set the threshold.
const HOLDOUT_FRACTION: f64 = 0.1;

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

    println!("== 3. teacher patch features of the good training images");
    let dataset =
        data::load(&root).with_context(|| format!("loading dataset {}", root.display()))?;
    let holdout_len = ((dataset.train.len() as f64 * HOLDOUT_FRACTION).ceil() as usize).max(2);
    anyhow::ensure!(
        dataset.train.len() > holdout_len,
        "{} has {} training images: too few to hold {holdout_len} out",
        root.display(),
        dataset.train.len()
    );
    let (fit_samples, holdout) = dataset.train.split_at(dataset.train.len() - holdout_len);
    let weights = super::features::load_teacher(None)?;
    let extractor = FeatureExtractor::new(&weights, INPUT_SIZE, threads)
        .context("building the teacher feature extractor")?;
    let start = Instant::now();
    let train = extract(&extractor, fit_samples, args.quiet)?;
    let per_image_ms = start.elapsed().as_secs_f64() * 1e3 / fit_samples.len() as f64;
    let (channels, map_h, map_w) = extractor.output_shape();
    println!(
        "teacher       {} at {INPUT_SIZE}×{INPUT_SIZE}, features {channels} × {map_h}×{map_w} \
         per image, {per_image_ms:.1} ms/image on {threads} thread(s)",
        weights.name()
    );

    println!("== 4. memory bank (10% coreset, int8) → bundle → edge inspector");
    let bank = fit_bank(&train, channels)?;
    let bundle_path = args.out.join("model.bundle");
    let bundle = Bundle {
        manifest: manifest(&dataset, (map_w, map_h))?,
        payloads: vec![
            Payload {
                name: FEATURES_ONNX.into(),
                bytes: extractor.onnx().to_vec(),
            },
            Payload {
                name: BANK.into(),
                bytes: bank.to_bytes(),
            },
        ],
    };
    let mut inspector =
        Inspector::new(&bundle, threads).context("building the edge inspector for the bundle")?;
    println!("bank          {}", inspector.describe_bank());

    println!("== 5. threshold from held-out good images, bundle, then the test set");
    let held = score_all(&mut inspector, holdout)?;
    let calibrated = calibrate(&bundle, &held)?;
    calibrated
        .write_to(&bundle_path)
        .with_context(|| format!("writing {}", bundle_path.display()))?;
    let bundle_bytes = std::fs::metadata(&bundle_path)
        .with_context(|| format!("reading the size of {}", bundle_path.display()))?
        .len();
    println!(
        "bundle        {} ({bundle_bytes} bytes, threshold from {} held-out good images)",
        bundle_path.display(),
        held.len()
    );
    // The test set is scored from the file, exactly as the device would load it.
    let mut inspector = Inspector::open(&bundle_path, threads)
        .with_context(|| format!("opening {} with the edge inspector", bundle_path.display()))?;
    let test = score_all(&mut inspector, &dataset.test)?;
    let report = Report::new(&dataset.test, &test, calibrated.manifest.thresholds.image)?;
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

fn fit_bank(train: &[PatchFeatures], dim: usize) -> anyhow::Result<BankModel> {
    let data: Vec<f32> = train.iter().flat_map(|f| f.data.iter().copied()).collect();
    let coreset = greedy_coreset(&data, dim, &CoresetConfig::default(), |_, _| {})
        .context("selecting the coreset")?;
    let f32_bank = F32Bank::from_coreset(&data, dim, &coreset)?;
    Ok(BankModel::Int8(Int8Bank::quantize(&f32_bank)))
}

/// The manifest before calibration: thresholds and statistics are filled in by
/// [`calibrate`].
fn manifest(dataset: &Dataset, (map_w, map_h): (usize, usize)) -> anyhow::Result<Manifest> {
    let created_unix_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(Manifest {
        model: ModelKind::MemoryBank,
        input: teacher_input(INPUT_SIZE),
        preprocess: TEACHER_NORMALISATION,
        score: ScoreConfig {
            smoothing_sigma: SMOOTHING_SIGMA,
            image_score: ImageScore::Max,
            map_width: map_w as u32,
            map_height: map_h as u32,
        },
        thresholds: Thresholds {
            image: f32::MAX,
            pixel: f32::MAX,
        },
        score_stats: ScoreStats {
            min: 0.0,
            max: 0.0,
            mean: 0.0,
            std: 0.0,
            count: 0,
        },
        provenance: Provenance {
            dataset_fingerprint: data::fingerprint(dataset)?,
            trainer_version: env!("CARGO_PKG_VERSION").to_string(),
            created_unix_s,
            parent_bundle_sha256: None,
            metrics: Vec::new(),
        },
        extra: Vec::new(),
    })
}

/// One scored image: raw image score, heat map at input resolution, inspection latency.
struct Scored {
    score: f32,
    heatmap: Vec<f32>,
    total_ms: f64,
}

fn score_all(inspector: &mut Inspector, samples: &[Sample]) -> anyhow::Result<Vec<Scored>> {
    let (width, height) = inspector.heatmap_size();
    samples
        .iter()
        .map(|sample| {
            let frame = data::load_rgb(&sample.path)?;
            let mut heatmap = vec![0.0; width as usize * height as usize];
            let inspection = inspector
                .inspect_with_heatmap(&frame, &mut heatmap)
                .with_context(|| format!("inspecting {}", sample.path.display()))?;
            Ok(Scored {
                score: inspection.raw_score,
                total_ms: inspection.timings.total_us as f64 / 1e3,
                heatmap,
            })
        })
        .collect()
}

/// Sets the image threshold at the highest held-out good score (no false reject on the
/// held-out images) and the pixel threshold at the highest held-out good heat-map value.
fn calibrate(bundle: &Bundle, held: &[Scored]) -> anyhow::Result<Bundle> {
    let scores: Vec<f32> = held.iter().map(|s| s.score).collect();
    let n = scores.len() as f32;
    let mean = scores.iter().sum::<f32>() / n;
    let std = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / n).sqrt();
    let max = scores.iter().copied().fold(f32::MIN, f32::max);
    let pixel = held
        .iter()
        .flat_map(|s| s.heatmap.iter().copied())
        .fold(f32::MIN, f32::max);
    let mut calibrated = bundle.clone();
    let manifest = &mut calibrated.manifest;
    manifest.thresholds = Thresholds { image: max, pixel };
    manifest.score_stats = ScoreStats {
        min: scores.iter().copied().fold(f32::MAX, f32::min),
        max,
        mean,
        std,
        count: scores.len() as u32,
    };
    manifest.provenance.metrics.push(Metric {
        name: "holdout_good_images".into(),
        value: n,
    });
    Ok(calibrated)
}

/// Figures of the test set at the calibrated threshold.
struct Report {
    image_auroc: f64,
    pixel_auroc: f64,
    aupro: f64,
    f1_max: metrics::F1Max,
    threshold: f32,
    caught: usize,
    defective: usize,
    false_rejects: usize,
    good: usize,
    latency_ms_p50: f64,
    latency_ms_p95: f64,
}

impl Report {
    fn new(samples: &[Sample], scored: &[Scored], threshold: f32) -> anyhow::Result<Self> {
        let labels: Vec<bool> = samples.iter().map(Sample::is_anomalous).collect();
        let scores: Vec<f32> = scored.iter().map(|s| s.score).collect();
        let mut masks = Vec::with_capacity(samples.len());
        let mut sizes = Vec::with_capacity(samples.len());
        for (sample, s) in samples.iter().zip(scored) {
            let size = image_size(&sample.path)?;
            anyhow::ensure!(
                (size.0 * size.1) as usize == s.heatmap.len(),
                "{} is {}×{}: the demo compares heat maps at the network input size",
                sample.path.display(),
                size.0,
                size.1
            );
            masks.push(
                data::load_mask(sample, size)?.unwrap_or_else(|| vec![false; s.heatmap.len()]),
            );
            sizes.push(ImageSize::new(size.0 as usize, size.1 as usize));
        }
        let maps: Vec<&[f32]> = scored.iter().map(|s| s.heatmap.as_slice()).collect();
        let mask_refs: Vec<&[bool]> = masks.iter().map(Vec::as_slice).collect();
        let mut latencies: Vec<f64> = scored.iter().map(|s| s.total_ms).collect();
        latencies.sort_by(f64::total_cmp);
        let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
        let rejected = |s: &Scored| s.score >= threshold;
        Ok(Report {
            image_auroc: metrics::roc_auc(&scores, &labels)?,
            pixel_auroc: metrics::pixel_auroc(&maps, &mask_refs)?,
            aupro: metrics::aupro(&maps, &mask_refs, &sizes, metrics::DEFAULT_FPR_LIMIT)?,
            f1_max: metrics::f1_max(&scores, &labels)?,
            threshold,
            caught: scored
                .iter()
                .zip(&labels)
                .filter(|(s, &l)| l && rejected(s))
                .count(),
            defective: labels.iter().filter(|&&l| l).count(),
            false_rejects: scored
                .iter()
                .zip(&labels)
                .filter(|(s, &l)| !l && rejected(s))
                .count(),
            good: labels.iter().filter(|&&l| !l).count(),
            latency_ms_p50: pick(0.5),
            latency_ms_p95: pick(0.95),
        })
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "image AUROC   {:.4}", self.image_auroc)?;
        writeln!(f, "pixel AUROC   {:.4}", self.pixel_auroc)?;
        writeln!(f, "AUPRO@0.3     {:.4}", self.aupro)?;
        writeln!(
            f,
            "F1-max        {:.4} at score {:.4} (precision {:.3}, recall {:.3})",
            self.f1_max.f1, self.f1_max.threshold, self.f1_max.precision, self.f1_max.recall
        )?;
        writeln!(
            f,
            "threshold     {:.4}: caught {}/{} defective, {}/{} good rejected",
            self.threshold, self.caught, self.defective, self.false_rejects, self.good
        )?;
        write!(
            f,
            "latency       frame → score p50 {:.1} ms, p95 {:.1} ms (edge inspector)",
            self.latency_ms_p50, self.latency_ms_p95
        )
    }
}

fn image_size(path: &Path) -> anyhow::Result<(u32, u32)> {
    image::image_dimensions(path).with_context(|| format!("reading the size of {}", path.display()))
}
