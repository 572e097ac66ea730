//! `trainer fit`: good images → calibrated, parity-checked bundle ([`crate::fit`]).

use std::path::PathBuf;

use anyhow::Context as _;

use crate::bank::{CoresetSize, IvfConfig, DEFAULT_IVF_PROBES, DEFAULT_PROJECTION_DIM};
use crate::calibrate::CalibrationConfig;
use crate::fit::{
    self, BankSearch, FeatureSource, FitConfig, Fitted, ModelChoice, Precision, StudentSummary,
    DEFAULT_LAYERS_ARG, DEFAULT_MAX_ENTRIES,
};
use crate::student::{StudentConfig, SyntheticAnomalies, TrainDevice};

/// Model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelArg {
    /// PatchCore: global coreset bank, nearest-neighbour distance.
    Bank,
    /// Position-aware bank: a small bank per feature-map location (fixed fixtures).
    Position,
    /// PaDiM baseline: a Gaussian per location.
    Gaussian,
    /// Teacher–student pair (EfficientAD style): a feature student and an anomaly
    /// student, both plain convolutions; the bundle's graph outputs the anomaly map
    /// (implies `--features student`).
    Student,
}

/// Which network makes the patch features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FeaturesArg {
    /// The ImageNet teacher (EfficientNet-Lite0, depthwise convolutions).
    Teacher,
    /// A plain-convolution student distilled from the teacher on the training images
    /// (trained with burn before the model is fitted; the bundle ships the student).
    Student,
}

/// Which of the anomaly student's weights a fit keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnomalySelectArg {
    /// Lowest held-out loss (default, as a feature student).
    Loss,
    /// Best separation of held-out goods from their synthetic-anomaly copies (image
    /// AUROC of the anomaly student's error, then the median anomalous score over the
    /// highest good one); on bottle it kept an earlier, worse step (0.77 vs 0.80).
    Separation,
}

/// What the anomaly student's synthetic-anomaly copies teach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnomalyCopiesArg {
    /// Good images only (EfficientAD without its ImageNet penalty).
    Off,
    /// Defect copies with the clean copy's features as target (DeSTSeg-style denoising;
    /// image AUROC 0.85 vs 0.89 on bottle).
    Restore,
}

/// Where the student trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    /// burn's pure-Rust CPU backend, all cores.
    Cpu,
    /// A GPU when the trainer was built with `--features cuda` or `wgpu`, else the CPU.
    Auto,
}

/// Bank precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrecisionArg {
    /// 1 byte per value (per-dimension scale) with an exact f32 re-rank.
    Int8,
    /// 4 bytes per value.
    F32,
}

/// How a global bank is searched on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SearchArg {
    /// Inverted file: each patch scans the lists of its `--probes` nearest k-means
    /// centroids (int8 banks; about a tenth of the brute-force work by default).
    Ivf,
    /// Every bank entry for every patch.
    BruteForce,
}

/// Arguments of `trainer fit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dataset folder: an MVTec AD category (its train/good is used) or a plain folder of
    /// good images.
    #[arg(long)]
    pub data: PathBuf,
    /// Bundle to write (replaced only once the new one passes the parity check).
    #[arg(long)]
    pub out: PathBuf,
    /// Model family.
    #[arg(long, value_enum, default_value_t = ModelArg::Bank)]
    pub model: ModelArg,
    /// Folder of real defect images: the threshold becomes F1-max between held-out good
    /// images and these.
    #[arg(long)]
    pub defects: Option<PathBuf>,
    /// Bank: coreset size as a share of all training patches.
    #[arg(long, default_value_t = 0.1)]
    pub coreset: f32,
    /// Bank: a fixed number of entries instead of `--coreset`.
    #[arg(long, conflicts_with = "coreset")]
    pub bank_size: Option<usize>,
    /// Bank: upper bound on the entries, 0 for none (keeps large training sets' bundles
    /// under 5 MB and their search fast; 14,000 × 152 int8 is 2.1 MB).
    #[arg(long, default_value_t = DEFAULT_MAX_ENTRIES)]
    pub max_entries: usize,
    /// Bank: precision of the stored entries.
    #[arg(long, value_enum, default_value_t = PrecisionArg::Int8)]
    pub precision: PrecisionArg,
    /// Bank: PatchCore image-score reweighting over this many neighbours (3 in the
    /// paper); off by default.
    #[arg(long)]
    pub reweight: Option<usize>,
    /// Bank: how the device searches it.
    #[arg(long, value_enum, default_value_t = SearchArg::Ivf)]
    pub search: SearchArg,
    /// Bank, `--search ivf`: number of k-means lists (default 2√entries, 237 for 14,000).
    #[arg(long)]
    pub lists: Option<usize>,
    /// Bank, `--search ivf`: lists scanned per patch (more: closer to brute force, slower).
    #[arg(long, default_value_t = DEFAULT_IVF_PROBES)]
    pub probes: usize,
    /// Position: entries per location.
    #[arg(long, default_value_t = 16)]
    pub entries_per_location: usize,
    /// Position: pool training patches from this radius around each location.
    #[arg(long, default_value_t = 1)]
    pub train_radius: usize,
    /// Position: search the banks within this radius at test time.
    #[arg(long, default_value_t = 0)]
    pub search_radius: usize,
    /// Gaussian: keep this many randomly chosen feature dimensions (default: all).
    #[arg(long)]
    pub gaussian_dims: Option<usize>,
    /// Feature network: the teacher (default), or a student distilled from it (faster on
    /// the device; implied by `--model student`).
    #[arg(long, value_enum)]
    pub features: Option<FeaturesArg>,
    /// Student: most training steps (early stopping may end sooner).
    #[arg(long, default_value_t = StudentConfig::default().steps)]
    pub student_steps: usize,
    /// Student: images per step.
    #[arg(long, default_value_t = StudentConfig::default().batch)]
    pub student_batch: usize,
    /// Student: peak learning rate (Adam, cosine decay).
    #[arg(long, default_value_t = StudentConfig::default().learning_rate)]
    pub student_lr: f64,
    /// Student: copies per training image (the image plus augmented and
    /// synthetic-anomaly ones).
    #[arg(long, default_value_t = StudentConfig::default().variants)]
    pub student_variants: usize,
    /// Student: hard-feature loss quantile (0 = mean squared error; EfficientAD: 0.999).
    #[arg(long, default_value_t = StudentConfig::default().hard_quantile)]
    pub student_hard_quantile: f32,
    /// `--model student`: the anomaly student's hard-feature loss quantile.
    #[arg(long, default_value_t = fit::DEFAULT_ANOMALY_HARD_QUANTILE)]
    pub anomaly_hard_quantile: f32,
    /// `--model student`: what the anomaly student's synthetic-anomaly copies teach.
    #[arg(long, value_enum, default_value_t = AnomalyCopiesArg::Off)]
    pub anomaly_copies: AnomalyCopiesArg,
    /// `--model student`: which anomaly-student weights to keep: those that best separate
    /// held-out goods from their synthetic-anomaly copies, or those of the lowest
    /// held-out loss.
    #[arg(long, value_enum, default_value_t = AnomalySelectArg::Loss)]
    pub anomaly_select: AnomalySelectArg,
    /// Student: steps between held-out evaluations and checkpoints.
    #[arg(long, default_value_t = StudentConfig::default().eval_every)]
    pub student_eval_every: usize,
    /// Student: evaluations without a 1 % improvement before stopping early.
    #[arg(long, default_value_t = StudentConfig::default().patience)]
    pub student_patience: usize,
    /// Student: checkpoint folder (default: `<out>.student/`).
    #[arg(long)]
    pub student_checkpoints: Option<PathBuf>,
    /// Student: continue from the checkpoint folder's last checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Student: where to train.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub student_device: DeviceArg,
    /// Network input in pixels: `256` (square) or `WxH` such as `448x160` for long parts
    /// or non-square cameras (frames are resized to it; the aspect ratio is not kept).
    #[arg(long, default_value = "256", value_parser = parse_input_size)]
    pub input_size: (u32, u32),
    /// Teacher layers, comma-separated (`strideN` or `stageN`).
    #[arg(long, value_delimiter = ',', default_value = DEFAULT_LAYERS_ARG)]
    pub layers: Vec<String>,
    /// Share of the good images held out for calibration.
    #[arg(long, default_value_t = 0.1)]
    pub holdout: f64,
    /// Target false-reject rate of good parts (sets the image threshold).
    #[arg(long, default_value_t = 0.01)]
    pub target_frr: f64,
    /// Heat-map smoothing σ in feature-map cells.
    #[arg(long, default_value_t = 0.5)]
    pub sigma: f32,
    /// Smoothing σ, in feature-map cells, of the map the image score is taken from
    /// (default on teacher features: 1/16 of the map's side, 2 cells for a 256² input;
    /// on student features: `--sigma`).
    #[arg(long)]
    pub image_sigma: Option<f32>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Teacher weights (default: the shipped EfficientNet-Lite0).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Hide progress bars.
    #[arg(long)]
    pub quiet: bool,
}

impl Args {
    /// The library configuration these arguments describe.
    pub fn config(&self) -> FitConfig {
        let defaults = FitConfig::default();
        let model = match self.model {
            ModelArg::Bank => ModelChoice::Bank {
                size: self
                    .bank_size
                    .map_or(CoresetSize::Fraction(self.coreset), CoresetSize::Count),
                max_entries: (self.max_entries > 0).then_some(self.max_entries),
                projection_dim: Some(DEFAULT_PROJECTION_DIM),
                precision: match self.precision {
                    PrecisionArg::Int8 => Precision::Int8,
                    PrecisionArg::F32 => Precision::F32,
                },
                reweight: self.reweight,
                search: match self.search {
                    SearchArg::Ivf => BankSearch::Ivf(IvfConfig {
                        lists: self.lists,
                        probes: self.probes,
                    }),
                    SearchArg::BruteForce => BankSearch::BruteForce,
                },
            },
            ModelArg::Position => ModelChoice::Position {
                entries_per_location: self.entries_per_location,
                train_radius: self.train_radius,
                search_radius: self.search_radius,
            },
            ModelArg::Gaussian => ModelChoice::Gaussian {
                reduced_dim: self.gaussian_dims,
                ridge: crate::bank::DEFAULT_RIDGE,
            },
            ModelArg::Student => ModelChoice::Student {
                hard_quantile: self.anomaly_hard_quantile,
                anomalies: match self.anomaly_copies {
                    AnomalyCopiesArg::Restore => SyntheticAnomalies::Restore,
                    AnomalyCopiesArg::Off => SyntheticAnomalies::Off,
                },
                select_by_separation: self.anomaly_select == AnomalySelectArg::Separation,
            },
        };
        // The pair is two students: unless the teacher was asked for explicitly (which
        // the fit refuses, naming the field), `--model student` implies student features.
        let features = match (self.features, self.model) {
            (Some(FeaturesArg::Student), _) | (None, ModelArg::Student) => {
                FeatureSource::Student(self.student_config())
            }
            (Some(FeaturesArg::Teacher) | None, _) => FeatureSource::Teacher,
        };
        FitConfig {
            input: self.input_size,
            layers: self.layers.clone(),
            model,
            features,
            holdout_fraction: self.holdout,
            calibration: CalibrationConfig {
                target_false_reject_rate: self.target_frr,
                seed: self.seed,
                ..CalibrationConfig::default()
            },
            smoothing_sigma: self.sigma,
            image_sigma: self.image_sigma,
            threads: self.threads.unwrap_or(defaults.threads),
            seed: self.seed,
            progress: !self.quiet,
            parity_tolerance: defaults.parity_tolerance,
            created_by: super::command_line(),
        }
    }
}

impl Args {
    fn student_config(&self) -> StudentConfig {
        let checkpoints = self
            .student_checkpoints
            .clone()
            .unwrap_or_else(|| shared::bundle::with_suffix(&self.out, ".student"));
        StudentConfig {
            steps: self.student_steps,
            batch: self.student_batch,
            learning_rate: self.student_lr,
            variants: self.student_variants,
            hard_quantile: self.student_hard_quantile,
            synthetic_anomalies: SyntheticAnomalies::Follow,
            select_by_separation: false,
            eval_every: self.student_eval_every,
            patience: self.student_patience,
            checkpoint_dir: Some(checkpoints),
            resume: self.resume,
            device: match self.student_device {
                DeviceArg::Cpu => TrainDevice::Cpu,
                DeviceArg::Auto => TrainDevice::Auto,
            },
            seed: self.seed,
        }
    }
}

/// `"256"` → (256, 256); `"448x160"` → (448, 160).
fn parse_input_size(text: &str) -> Result<(u32, u32), String> {
    let side = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("`{text}`: expected a size such as 256 or 448x160"))
    };
    match text.split_once(['x', 'X', '×']) {
        Some((w, h)) => Ok((side(w)?, side(h)?)),
        None => side(text).map(|s| (s, s)),
    }
}

/// Runs `trainer fit`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let weights = super::features::load_teacher(args.weights.as_ref())?;
    let config = args.config();
    let fitted = fit::fit(
        &args.data,
        args.defects.as_deref(),
        &args.out,
        &weights,
        &config,
    )
    .with_context(|| format!("fitting {} to {}", config.model.name(), args.data.display()))?;
    print!("{}", Summary(&fitted));
    Ok(())
}

/// What `trainer fit` prints about a fitted bundle.
pub struct Summary<'a>(pub &'a Fitted);

impl std::fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.0;
        if let Some(s) = &r.student {
            writeln!(f, "student       {}", StudentLine(s))?;
        }
        if let Some(s) = &r.anomaly_student {
            writeln!(f, "anomaly net   {}", StudentLine(s))?;
        }
        writeln!(
            f,
            "images        {} fitted, {} held out for calibration{}",
            r.fit_images,
            r.held_out,
            if r.defect_images > 0 {
                format!(", {} real defect images", r.defect_images)
            } else {
                String::new()
            }
        )?;
        if r.anomaly_student.is_none() {
            writeln!(
                f,
                "features      {:.1} ms/image, {} training patches",
                r.features_ms_per_image, r.training_patches
            )?;
        }
        writeln!(
            f,
            "model         {} (fitted in {:.1} s); bank {} bytes ({:.2}× its f32 size)",
            r.model_description,
            r.model_seconds,
            r.bank_bytes,
            r.bank_bytes as f64 / r.f32_bank_bytes.max(1) as f64
        )?;
        writeln!(f, "{}", r.calibration)?;
        writeln!(
            f,
            "parity        {} held-out images: edge scores from the file match the trainer's \
             within {:.1e}",
            r.parity.images, r.parity.max_difference
        )?;
        writeln!(
            f,
            "bundle        {} ({} bytes, {:.2} GMAC/frame)",
            r.out.display(),
            r.bundle_bytes,
            r.macs_per_frame as f64 / 1e9
        )
    }
}

/// One distilled network's training figures.
struct StudentLine<'a>(&'a StudentSummary);

impl std::fmt::Display for StudentLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0;
        write!(
            f,
            "{} steps{} (kept step {}), held-out loss {:.4}{}, {} training images; \
             targets {:.0} s, training {:.0} s; layers {}",
            s.steps,
            if s.stopped_early {
                ", stopped early"
            } else {
                ""
            },
            s.best_step,
            s.held_out_loss,
            s.separation.map_or_else(String::new, |p| format!(
                ", separation of synthetic defects AUROC {:.3} margin {:.2}",
                p.auroc, p.margin
            )),
            s.training_images,
            s.targets_seconds,
            s.train_seconds,
            s.arch
        )
    }
}
