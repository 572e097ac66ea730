//! What `trainer fit` builds: feature layers, model family and its size, calibration.

use crate::bank::{CoresetSize, IvfConfig, DEFAULT_PROJECTION_DIM};
use crate::calibrate::CalibrationConfig;
use crate::student::{StudentConfig, SyntheticAnomalies};

/// The default teacher layers, as the CLI takes them.
/// [`crate::features::DEFAULT_LAYERS`] as the CLI spells it (a unit test keeps them equal).
pub const DEFAULT_LAYERS_ARG: &str = "stride8,stride16";

/// Default upper bound on a global bank's entries: 14,000 × 152 int8 codes are 2.1 MB,
/// which with the 2.8 MB feature graph keeps the default bundle under 5 MB.
pub const DEFAULT_MAX_ENTRIES: usize = 14_000;

/// The anomaly student's hard-feature loss quantile: 0, plain mean squared error. With
/// our 1,000 steps (EfficientAD trains 70,000) its 0.999 left the student noisy on good
/// parts: bottle image AUROC 0.80 against 0.98 with 0 (0.975 with 0.9), same feature
/// student.
pub const DEFAULT_ANOMALY_HARD_QUANTILE: f32 = 0.0;

/// Numeric precision of a global bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 4 bytes per value.
    F32,
    /// 1 byte per value, per-dimension scale, exact f32 re-rank of the best candidates.
    Int8,
}

/// How a global bank is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankSearch {
    /// Every entry for every patch (exact up to the int8 selection).
    BruteForce,
    /// An inverted file: each patch scans the lists of its nearest k-means centroids.
    Ivf(IvfConfig),
}

/// The model family and its settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelChoice {
    /// PatchCore: one global coreset bank, nearest-neighbour patch score.
    Bank {
        /// Coreset size (fraction of all training patches or a count).
        size: CoresetSize,
        /// Upper bound on the entries whatever `size` resolves to (keeps bundles small
        /// and search fast on large training sets); `None`: no bound.
        max_entries: Option<usize>,
        /// Random-projection dimension for the selection; `None`: exact distances.
        projection_dim: Option<usize>,
        /// Bank precision.
        precision: Precision,
        /// PatchCore's image-score reweighting neighbourhood `b` (≥ 2); `None`: off.
        reweight: Option<usize>,
        /// How the device searches the bank (int8 only for the inverted file).
        search: BankSearch,
    },
    /// A small int8 bank per feature-map location (fixed fixtures).
    Position {
        /// Entries kept per location.
        entries_per_location: usize,
        /// Training patches pooled from this Chebyshev radius.
        train_radius: usize,
        /// Banks searched at test time within this radius.
        search_radius: usize,
    },
    /// PaDiM: one Gaussian per location (the baseline).
    Gaussian {
        /// Random subset of the feature dimensions; `None`: all.
        reduced_dim: Option<usize>,
        /// Covariance ridge.
        ridge: f32,
    },
    /// Teacher–student (EfficientAD style): a feature student follows the teacher, an
    /// anomaly student follows the feature student (on good images only by default);
    /// the map is their squared difference, computed inside the bundle's graph (no search). Needs
    /// [`FeatureSource::Student`], whose settings both students share except for these.
    Student {
        /// The anomaly student's hard-feature quantile (default 0; EfficientAD: 0.999).
        hard_quantile: f32,
        /// What the anomaly student learns from synthetic-anomaly copies: `Off`
        /// (default: good images only, as in EfficientAD without its ImageNet penalty)
        /// or `Restore` (good-part features on defects; measured worse on bottle).
        anomalies: SyntheticAnomalies,
        /// Keep the anomaly student's weights that best separate held-out goods from
        /// their synthetic-anomaly copies, rather than those of the lowest held-out loss.
        select_by_separation: bool,
    },
}

impl ModelChoice {
    /// The default global bank: 10 % coreset of at most [`DEFAULT_MAX_ENTRIES`], int8, no
    /// reweighting.
    #[must_use]
    pub fn default_bank() -> Self {
        ModelChoice::Bank {
            size: CoresetSize::default(),
            max_entries: Some(DEFAULT_MAX_ENTRIES),
            projection_dim: Some(DEFAULT_PROJECTION_DIM),
            precision: Precision::Int8,
            reweight: None,
            search: BankSearch::Ivf(IvfConfig::default()),
        }
    }

    /// The default position-aware bank: 16 entries per location from a 3×3 neighbourhood,
    /// searched at the own location only.
    #[must_use]
    pub fn default_position() -> Self {
        ModelChoice::Position {
            entries_per_location: 16,
            train_radius: 1,
            search_radius: 0,
        }
    }

    /// The default Gaussian baseline: all dimensions, ridge 0.01.
    #[must_use]
    pub fn default_gaussian() -> Self {
        ModelChoice::Gaussian {
            reduced_dim: None,
            ridge: crate::bank::DEFAULT_RIDGE,
        }
    }

    /// The default teacher–student pair: plain squared error, good images only, the
    /// weights of the lowest held-out loss.
    #[must_use]
    pub fn default_student() -> Self {
        ModelChoice::Student {
            hard_quantile: DEFAULT_ANOMALY_HARD_QUANTILE,
            anomalies: SyntheticAnomalies::Off,
            select_by_separation: false,
        }
    }

    /// Short name, as the CLI spells it.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            ModelChoice::Bank { .. } => "bank",
            ModelChoice::Position { .. } => "position",
            ModelChoice::Gaussian { .. } => "gaussian",
            ModelChoice::Student { .. } => "student",
        }
    }

    /// The anomaly student's settings for a pair whose feature student uses `feature`:
    /// the same schedule, this choice's synthetic-anomaly rule and hard-feature quantile,
    /// checkpoints in an `anomaly/` folder inside the feature student's. `None` for
    /// the other families.
    #[must_use]
    pub fn anomaly_student(&self, feature: &StudentConfig) -> Option<StudentConfig> {
        let ModelChoice::Student {
            hard_quantile,
            anomalies,
            select_by_separation,
        } = *self
        else {
            return None;
        };
        Some(StudentConfig {
            hard_quantile,
            synthetic_anomalies: anomalies,
            select_by_separation,
            checkpoint_dir: feature.checkpoint_dir.as_ref().map(|d| d.join("anomaly")),
            ..feature.clone()
        })
    }
}

/// Which network computes the patch features the model is fitted on.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureSource {
    /// The converted ImageNet teacher itself (depthwise convolutions).
    Teacher,
    /// A plain-convolution student distilled from the teacher on the training images;
    /// the bundle ships the student instead of the teacher.
    Student(StudentConfig),
}

impl FeatureSource {
    /// Short name, as the CLI spells it.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            FeatureSource::Teacher => "teacher",
            FeatureSource::Student(_) => "student",
        }
    }
}

/// Everything [`super::fit`] needs besides the data.
#[derive(Debug, Clone)]
pub struct FitConfig {
    /// Network input `(width, height)`, pixels; frames are resized to it (aspect not
    /// kept, so give long parts a long input).
    pub input: (u32, u32),
    /// Teacher layers (`strideN` / `stageN`).
    pub layers: Vec<String>,
    /// Model family and settings.
    pub model: ModelChoice,
    /// The feature network: the teacher, or a student distilled from it.
    pub features: FeatureSource,
    /// Share of the good training images held out for calibration and the parity check.
    pub holdout_fraction: f64,
    /// Calibration settings (false-reject target, synthetic anomalies).
    pub calibration: CalibrationConfig,
    /// Heat-map smoothing σ in map cells.
    pub smoothing_sigma: f32,
    /// Smoothing σ, in map cells, of the map the image score is taken from; `None`:
    /// [`FitConfig::image_sigma_for`].
    pub image_sigma: Option<f32>,
    /// Worker threads for feature extraction, fitting and the inspector.
    pub threads: usize,
    /// Seed of every random choice (coreset start, projections, synthetic anomalies).
    pub seed: u64,
    /// Show progress bars.
    pub progress: bool,
    /// Largest accepted |trainer − edge| score difference, relative to max(1, |score|).
    pub parity_tolerance: f32,
    /// The command line recorded in the bundle's lineage (`Provenance::created_by`).
    pub created_by: String,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            input: (256, 256),
            layers: crate::features::DEFAULT_LAYERS
                .iter()
                .map(|l| (*l).to_string())
                .collect(),
            model: ModelChoice::default_bank(),
            features: FeatureSource::Teacher,
            holdout_fraction: 0.1,
            calibration: CalibrationConfig::default(),
            smoothing_sigma: 0.5,
            image_sigma: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            seed: 0,
            progress: false,
            parity_tolerance: 1e-5,
            created_by: "trainer fit (library call)".into(),
        }
    }
}

/// Default image-score σ of the models on teacher features (banks and the Gaussian), as
/// a share of the map's side (geometric mean of width and height): 2 cells on the
/// 32 × 32 map of a 256² input. Averaging the patch scores over a neighbourhood before
/// the maximum keeps one noisy patch among a thousand from deciding the verdict, while
/// a defect spans several patches: with teacher features this raised the bank's image
/// AUROC on bsdata (0.9680 → 0.9717) and mtd (0.9773 → 0.9825) over the heat map's 0.5,
/// with bottle and cookie at 1.000 either way (README, Real data). A share rather than a
/// fixed number of cells because a defect covers a share of the part, whatever the
/// input size: 2 cells on a 12 × 12 map would blur a small defect into its whole
/// neighbourhood.
pub const DEFAULT_IMAGE_SIGMA_SHARE: f32 = 1.0 / 16.0;

impl FitConfig {
    /// The image score's σ, in cells of a `(width, height)` map: `image_sigma` when
    /// given; otherwise [`DEFAULT_IMAGE_SIGMA_SHARE`] of the map's side on teacher
    /// features (at most `MAX_SIGMA`) and the heat map's σ on student features, whose
    /// maps are already smoother and lost image AUROC with more smoothing (bottle pair
    /// 0.977 → 0.968 at 2 cells).
    #[must_use]
    pub fn image_sigma_for(&self, (width, height): (usize, usize)) -> f32 {
        match (self.image_sigma, &self.features) {
            (Some(sigma), _) => sigma,
            (None, FeatureSource::Teacher) => {
                let side = ((width * height) as f64).sqrt() as f32;
                (side * DEFAULT_IMAGE_SIGMA_SHARE).min(shared::score::MAX_SIGMA)
            }
            (None, FeatureSource::Student(_)) => self.smoothing_sigma,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cli_default_layers_are_the_feature_default() {
        assert_eq!(
            super::DEFAULT_LAYERS_ARG,
            crate::features::DEFAULT_LAYERS.join(",")
        );
    }
}
