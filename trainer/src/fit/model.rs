//! Patch features → the chosen anomaly model (global bank, position-aware bank, Gaussian).

use edge::inspector::REWEIGHT_NEIGHBOURS_KEY;
use shared::bundle::ModelKind;

use super::config::{BankSearch, ModelChoice, Precision};
use super::error::FitError;
use super::progress::bar;
use crate::bank::{
    greedy_coreset, index_bank, BankError, BankModel, CoresetConfig, CoresetSize, DirectMap,
    F32Bank, FitGaussian, FitPosition, GaussianConfig, GaussianModel, GridShape, Int8Bank,
    PositionBank, PositionBankConfig,
};

/// A fitted model, ready for a bundle.
#[derive(Debug, Clone)]
pub struct FittedModel {
    /// The manifest's model kind.
    pub kind: ModelKind,
    /// The model (the `bank` payload).
    pub model: BankModel,
    /// `manifest.extra` entries the model needs (PatchCore reweighting).
    pub extra: Vec<(String, String)>,
    /// Training patches the model was fitted to.
    pub training_patches: usize,
    /// Bytes the same bank would take in f32 (global banks; equals the payload otherwise).
    pub f32_bytes: usize,
}

impl FittedModel {
    /// PatchCore reweighting neighbourhood, when enabled.
    #[must_use]
    pub fn reweight(&self) -> Option<usize> {
        self.extra
            .iter()
            .find(|(k, _)| k == REWEIGHT_NEIGHBOURS_KEY)
            .and_then(|(_, v)| v.parse().ok())
    }
}

/// Fits `choice` to `features` (`images × grid` patch rows, row-major per image).
///
/// # Errors
/// [`FitError::Model`] for shape, size or numerical problems; [`FitError::Config`] for a
/// reweighting neighbourhood below 2.
pub fn fit_model(
    features: &[f32],
    grid: GridShape,
    choice: &ModelChoice,
    seed: u64,
    progress: bool,
) -> Result<FittedModel, FitError> {
    let model_error = |source: BankError| FitError::Model {
        model: choice.name(),
        source,
    };
    let dim = grid.dim;
    let training_patches = features.len() / dim.max(1);
    match *choice {
        ModelChoice::Bank {
            size,
            max_entries,
            projection_dim,
            precision,
            reweight,
            search,
        } => {
            if let Some(b) = reweight.filter(|&b| b < 2) {
                return Err(FitError::Config {
                    field: "reweight",
                    problem: format!("{b} neighbours: use ≥ 2 (PatchCore uses 3) or leave it off"),
                });
            }
            let mut count = size.resolve(training_patches).map_err(model_error)?;
            if let Some(max) = max_entries {
                count = count.min(max.max(1));
            }
            let progress_bar = bar(progress, count as u64, "coreset entries");
            let coreset = greedy_coreset(
                features,
                dim,
                &CoresetConfig {
                    size: CoresetSize::Count(count),
                    projection_dim,
                    seed,
                },
                |done, _| {
                    if done % 256 == 0 || done == count {
                        progress_bar.set_position(done as u64);
                    }
                },
            )
            .map_err(model_error)?;
            progress_bar.finish_and_clear();
            let bank = F32Bank::from_coreset(features, dim, &coreset).map_err(model_error)?;
            let f32_bytes = bank.byte_size();
            let model = match (precision, search) {
                (Precision::F32, BankSearch::BruteForce) => BankModel::F32(bank),
                (Precision::Int8, BankSearch::BruteForce) => {
                    BankModel::Int8(Int8Bank::quantize(&bank))
                }
                (Precision::Int8, BankSearch::Ivf(ivf)) => {
                    BankModel::Ivf(index_bank(&bank, &ivf).map_err(model_error)?)
                }
                (Precision::F32, BankSearch::Ivf(_)) => {
                    return Err(FitError::Config {
                        field: "search",
                        problem: "the inverted-file search needs the int8 bank: add \
                                  `--search brute-force` for an f32 bank"
                            .into(),
                    })
                }
            };
            let extra = reweight
                .map(|b| vec![(REWEIGHT_NEIGHBOURS_KEY.to_string(), b.to_string())])
                .unwrap_or_default();
            Ok(FittedModel {
                kind: ModelKind::MemoryBank,
                model,
                extra,
                training_patches,
                f32_bytes,
            })
        }
        ModelChoice::Position {
            entries_per_location,
            train_radius,
            search_radius,
        } => {
            let config = PositionBankConfig {
                entries_per_location,
                train_radius,
                search_radius,
                seed,
            };
            let bank = PositionBank::fit(features, grid, &config).map_err(model_error)?;
            let f32_bytes = grid.cells() * entries_per_location * dim * 4;
            Ok(FittedModel {
                kind: ModelKind::PositionalBank,
                model: BankModel::Position(bank),
                extra: Vec::new(),
                training_patches,
                f32_bytes,
            })
        }
        ModelChoice::Student { .. } => direct_map(grid, training_patches),
        ModelChoice::Gaussian { reduced_dim, ridge } => {
            let config = GaussianConfig {
                ridge,
                reduced_dim,
                seed,
            };
            let model = GaussianModel::fit(features, grid, &config).map_err(model_error)?;
            let f32_bytes = model.byte_size();
            Ok(FittedModel {
                kind: ModelKind::Gaussian,
                model: BankModel::Gaussian(model),
                extra: Vec::new(),
                training_patches,
                f32_bytes,
            })
        }
    }
}

/// The teacher–student pair's model: its graph outputs the map over `grid` (one
/// channel), so there is nothing to fit.
///
/// # Errors
/// [`FitError::Model`] for an empty grid.
pub fn direct_map(grid: GridShape, training_patches: usize) -> Result<FittedModel, FitError> {
    let map = DirectMap::new(grid.height, grid.width).map_err(|source| FitError::Model {
        model: "student",
        source,
    })?;
    let model = BankModel::Direct(map);
    Ok(FittedModel {
        kind: ModelKind::Student,
        f32_bytes: model.to_bytes().len(),
        model,
        extra: Vec::new(),
        training_patches,
    })
}
