//! `trainer demo`: the README's main command, on the embedded default (no camera, no
//! board, no download). It walks the whole path that exists today:
//!
//! 1. generate the deterministic synthetic dataset ([`crate::synth`]) into `--out`;
//! 2. print its inspection ([`crate::data::inspect`]);
//! 3. extract patch features of the good training images with the converted
//!    EfficientNet-Lite0 teacher ([`crate::features`]);
//! 4. fit a 10 % coreset memory bank, int8-quantised ([`crate::bank`]), and build the
//!    edge's own `Inspector` over it (feature graph + bank + manifest);
//! 5. calibrate on held-out good images and synthetic anomalies made from them
//!    ([`crate::calibrate`]: image threshold for a target false-reject rate, estimated
//!    catch rate, pixel threshold; no defect image is used), write the bundle, open it
//!    from the file as the device does, score
//!    every test image through the inspector and write the evaluation report
//!    ([`crate::report`]: image/pixel AUROC, AUPRO, AUPR, F1-max, catch rate, false
//!    rejects, latency, worst-case overlays) to `<out>/report`.
//!
//! Steps 4–5 are a preview of the memory-bank model: the parity check, the model choices
//! and the real-data targets arrive with `trainer fit` / `trainer eval`.

use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use edge::inspector::Inspector;
use shared::bundle::{
    Bundle, Manifest, Metric, ModelKind, Payload, Provenance, BANK, FEATURES_ONNX,
};
use shared::score::{ImageScore, ScoreConfig, ScoreStats, Thresholds};

use crate::bank::{greedy_coreset, BankModel, CoresetConfig, F32Bank, Int8Bank, NearestNeighbours};
use crate::calibrate::{calibrate, CalibrationConfig};
use crate::data::{self, Dataset, Sample};
use crate::features::preprocess::{teacher_input, TEACHER_NORMALISATION};
use crate::features::{FeatureError, FeatureExtractor, PatchFeatures, DEFAULT_LAYERS};
use crate::report::{self, EvalRun, ImageRecord, Report};
use crate::synth::{self, SynthConfig};
use crate::teacher::{feature_trunk_macs, TeacherWeights};

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

    println!("== 5. calibration on held-out good images + synthetic anomalies, bundle, test set");
    let held_images = holdout
        .iter()
        .map(|s| data::load_rgb(&s.path))
        .collect::<Result<Vec<_>, _>>()?;
    let (width, height) = inspector.heatmap_size();
    let calibration = calibrate(&held_images, &CalibrationConfig::default(), |image| {
        let mut heatmap = vec![0.0; width as usize * height as usize];
        let inspection = inspector.inspect_with_heatmap(image, &mut heatmap)?;
        Ok::<_, edge::inspector::InspectorError>((inspection.raw_score, heatmap))
    })
    .context("calibrating on the held-out good images")?;
    println!("{calibration}");
    let mut calibrated = bundle.clone();
    calibrated.manifest.thresholds = calibration.thresholds();
    calibrated.manifest.score_stats = calibration.score_stats;
    let metrics = &mut calibrated.manifest.provenance.metrics;
    metrics.push(Metric {
        name: "holdout_false_reject_rate".into(),
        value: calibration.false_reject_rate as f32,
    });
    if let Some(catch) = &calibration.catch {
        metrics.push(Metric {
            name: "synthetic_catch_rate".into(),
            value: catch.rate as f32,
        });
    }
    calibrated
        .write_to(&bundle_path)
        .with_context(|| format!("writing {}", bundle_path.display()))?;
    let bundle_bytes = std::fs::metadata(&bundle_path)
        .with_context(|| format!("reading the size of {}", bundle_path.display()))?
        .len();
    println!(
        "bundle        {} ({bundle_bytes} bytes)",
        bundle_path.display()
    );
    // The test set is scored from the file, exactly as the device would load it.
    let mut inspector = Inspector::open(&bundle_path, threads)
        .with_context(|| format!("opening {} with the edge inspector", bundle_path.display()))?;
    let test = score_all(&mut inspector, &dataset.test)?;
    let gmac = gmac_per_frame(&weights, &bank, map_w * map_h)?;
    let run = eval_run(
        &dataset.test,
        test,
        &calibrated,
        bundle_bytes,
        gmac,
        &dataset,
    )?;
    let report = report::evaluate(&run)?;
    let report_dir = args.out.join("report");
    let written = report::write_report(&run, &report, &report_dir)?;
    println!("{}", Headline(&report));
    println!(
        "report        {}, {} and {} overlay(s) of the worst cases",
        written.json.display(),
        written.markdown.display(),
        written.overlays.len()
    );
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
    normalised: f32,
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
                normalised: inspection.normalised,
                total_ms: inspection.timings.total_us as f64 / 1e3,
                heatmap,
            })
        })
        .collect()
}

/// Feature-graph plus bank-search work per frame, in GMAC.
fn gmac_per_frame(
    weights: &TeacherWeights,
    bank: &BankModel,
    patches: usize,
) -> anyhow::Result<f64> {
    let trunk = feature_trunk_macs(&weights.arch, INPUT_SIZE as usize, &DEFAULT_LAYERS)?;
    let search = match bank {
        BankModel::Int8(b) => b.macs_per_query() * patches as u64,
        BankModel::F32(b) => b.macs_per_query() * patches as u64,
        BankModel::Position(b) => b.macs_per_frame(),
        BankModel::Gaussian(b) => b.macs_per_frame(),
    };
    Ok((trunk.dense + trunk.depthwise + search) as f64 / 1e9)
}

/// The evaluation run of the test set: one record per image, heat maps at the network
/// input size (the synthetic images have that size, so masks need no resizing).
fn eval_run(
    samples: &[Sample],
    scored: Vec<Scored>,
    bundle: &Bundle,
    bundle_bytes: u64,
    gmac_per_frame: f64,
    dataset: &Dataset,
) -> anyhow::Result<EvalRun> {
    let (width, height) = (bundle.manifest.input.width, bundle.manifest.input.height);
    let images = samples
        .iter()
        .zip(scored)
        .map(|(sample, s)| {
            let size = image::image_dimensions(&sample.path)
                .with_context(|| format!("reading the size of {}", sample.path.display()))?;
            anyhow::ensure!(
                size == (width, height),
                "{} is {}×{}: the demo compares heat maps at the network input size {width}×{height}",
                sample.path.display(),
                size.0,
                size.1
            );
            Ok(ImageRecord {
                path: sample.path.clone(),
                defect: sample.defect.clone(),
                anomalous: sample.is_anomalous(),
                score: s.score,
                normalised: s.normalised,
                heatmap: s.heatmap,
                width,
                height,
                mask: data::load_mask(sample, size)?,
                latency_ms: s.total_ms,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manifest = &bundle.manifest;
    Ok(EvalRun {
        model: format!("{:?}", manifest.model),
        dataset: dataset.name.clone(),
        dataset_fingerprint: manifest.provenance.dataset_fingerprint.clone(),
        bundle_bytes,
        gmac_per_frame,
        threshold: manifest.thresholds.image,
        pixel_threshold: manifest.thresholds.pixel,
        images,
    })
}

/// The headline figures of a report, as the demo prints them.
struct Headline<'a>(&'a Report);

impl std::fmt::Display for Headline<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.0;
        let figure = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.4}"));
        writeln!(f, "image AUROC   {}", figure(r.image_auroc))?;
        writeln!(f, "pixel AUROC   {}", figure(r.pixel_auroc))?;
        writeln!(f, "AUPRO@{}     {}", r.aupro_fpr_limit, figure(r.aupro))?;
        writeln!(f, "pixel AUPR    {}", figure(r.pixel_aupr))?;
        writeln!(
            f,
            "F1-max        {} at score {}",
            figure(r.f1_max),
            r.f1_max_threshold
                .map_or_else(|| "n/a".to_string(), |t| format!("{t:.4}"))
        )?;
        let c = &r.confusion;
        writeln!(
            f,
            "threshold     {:.4}: caught {}/{} defective, {}/{} good rejected",
            r.threshold, c.caught, c.defective, c.false_rejects, c.good
        )?;
        write!(
            f,
            "latency       frame → score p50 {:.1} ms, p95 {:.1} ms (edge inspector); \
             {:.2} GMAC/frame",
            r.latency_ms_p50, r.latency_ms_p95, r.gmac_per_frame
        )
    }
}
