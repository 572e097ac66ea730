//! Patch features → patch-score map, per model kind, with every buffer allocated once.
//!
//! | model kind | bank payload | patch score |
//! |---|---|---|
//! | `MemoryBank` | `F32Bank`, `Int8Bank` or `IvfBank` | distance to the nearest bank entry (`IvfBank`: among the probed lists) |
//! | `PositionalBank` | `PositionBank` | distance to the nearest entry of the location's banks |
//! | `Gaussian` | `GaussianModel` | Mahalanobis distance to the location's Gaussian |
//! | `Student` | `DirectMap` | the network's own one-channel output (student–teacher difference) |
//!
//! Always holds: a [`Scorer`] only exists for a bank whose dimension (and, for
//! per-location models, grid) equals the feature network's output, checked in
//! [`Scorer::new`]; the optional PatchCore reweighting exists only for `MemoryBank`.

use shared::bundle::{ModelKind, BANK};

use super::InspectorError;
use crate::bank::{
    patch_map_into, reweight, BankModel, DirectMap, F32Bank, GaussianModel, GridShape, Int8Bank,
    IvfBank, NearestNeighbours, PositionBank,
};

/// `manifest.extra` key enabling PatchCore's reweighting for `MemoryBank` bundles: the
/// neighbourhood size `b` (≥ 2, PatchCore uses 3). Absent: no reweighting (`w = 1`).
pub const REWEIGHT_NEIGHBOURS_KEY: &str = "patchcore.reweight_neighbours";

/// A global bank in either precision, brute force or indexed.
#[derive(Debug)]
pub(crate) enum Global {
    F32(F32Bank),
    Int8(Int8Bank),
    Ivf(IvfBank),
}

impl Global {
    fn bank(&self) -> &dyn NearestNeighbours {
        match self {
            Global::F32(b) => b,
            Global::Int8(b) => b,
            Global::Ivf(b) => b,
        }
    }
}

/// The decoded bank plus its per-frame buffers.
#[derive(Debug)]
pub(crate) enum Scorer {
    /// PatchCore over a global bank; `nearest` is the per-patch scratch of the search.
    Global {
        bank: Global,
        reweight_neighbours: Option<usize>,
        nearest: Vec<u32>,
    },
    /// Per-location int8 banks.
    Position(PositionBank),
    /// Per-location Gaussians.
    Gaussian(GaussianModel),
    /// The network's output is the map.
    Direct(DirectMap),
}

fn mismatch(problem: String) -> InspectorError {
    InspectorError::BankMismatch {
        payload: BANK,
        problem,
    }
}

impl Scorer {
    /// Checks that `model` suits `kind` and the feature grid `grid` (the graph's output).
    pub(crate) fn new(
        kind: ModelKind,
        model: BankModel,
        grid: GridShape,
        reweight_neighbours: Option<usize>,
    ) -> Result<Self, InspectorError> {
        let check_grid = |found: GridShape, what: &str| {
            if found == grid {
                Ok(())
            } else {
                Err(mismatch(format!(
                    "{what} covers a {}×{} grid of {}-dim features, but features.onnx \
                     outputs {}×{}×{} (manifest.score map_height×map_width, channels)",
                    found.height, found.width, found.dim, grid.height, grid.width, grid.dim
                )))
            }
        };
        if let (Some(b), false) = (reweight_neighbours, kind == ModelKind::MemoryBank) {
            return Err(InspectorError::InvalidExtra {
                key: REWEIGHT_NEIGHBOURS_KEY,
                value: b.to_string(),
                problem: "PatchCore reweighting applies to MemoryBank bundles only",
            });
        }
        let r = reweight_neighbours;
        match (kind, model) {
            (ModelKind::MemoryBank, BankModel::F32(b)) => Self::global(Global::F32(b), grid, r),
            (ModelKind::MemoryBank, BankModel::Int8(b)) => Self::global(Global::Int8(b), grid, r),
            (ModelKind::MemoryBank, BankModel::Ivf(b)) => Self::global(Global::Ivf(b), grid, r),
            (ModelKind::PositionalBank, BankModel::Position(b)) => {
                check_grid(b.grid(), "the position bank")?;
                Ok(Scorer::Position(b))
            }
            (ModelKind::Gaussian, BankModel::Gaussian(g)) => {
                check_grid(g.grid(), "the Gaussian model")?;
                Ok(Scorer::Gaussian(g))
            }
            (ModelKind::Student, BankModel::Direct(m)) => {
                check_grid(m.grid(), "the direct anomaly map")?;
                Ok(Scorer::Direct(m))
            }
            (kind, model) => Err(mismatch(format!(
                "holds a {} model, but manifest field `model` is {kind:?}",
                model_name(&model)
            ))),
        }
    }

    fn global(
        bank: Global,
        grid: GridShape,
        reweight_neighbours: Option<usize>,
    ) -> Result<Self, InspectorError> {
        let dim = bank.bank().dim();
        if dim != grid.dim {
            return Err(mismatch(format!(
                "bank entries have {dim} dimensions, but features.onnx outputs {} channels",
                grid.dim
            )));
        }
        Ok(Scorer::Global {
            bank,
            reweight_neighbours,
            nearest: vec![0; grid.cells()],
        })
    }

    /// One-line description for `edge info`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Scorer::Global {
                bank,
                reweight_neighbours,
                ..
            } => {
                let kind = match bank {
                    Global::F32(_) => "f32".to_string(),
                    Global::Int8(_) => "int8".to_string(),
                    Global::Ivf(b) => format!(
                        "int8 (inverted file: {} lists, {} probed)",
                        b.lists(),
                        b.probes()
                    ),
                };
                let b = bank.bank();
                let reweight =
                    reweight_neighbours.map_or_else(|| "off".to_string(), |b| format!("b = {b}"));
                format!(
                    "global {kind} bank, {} entries × {} dims, reweighting {reweight}",
                    b.len(),
                    b.dim()
                )
            }
            Scorer::Position(p) => format!(
                "position bank, {} entries per location, search radius {}",
                p.entries_per_location(),
                p.search_radius()
            ),
            Scorer::Gaussian(g) => format!(
                "Gaussian, {} of {} dims per location",
                g.selected_dims().len(),
                g.grid().dim
            ),
            Scorer::Direct(_) => {
                "teacher–student: the network outputs the anomaly map (no search)".into()
            }
        }
    }

    /// Multiply-accumulates of scoring one frame of `grid` (search or Mahalanobis work).
    pub(crate) fn macs_per_frame(&self, grid: GridShape) -> u64 {
        match self {
            Scorer::Global { bank, .. } => bank.bank().macs_per_query() * grid.cells() as u64,
            Scorer::Position(p) => p.macs_per_frame(),
            Scorer::Gaussian(g) => g.macs_per_frame(),
            Scorer::Direct(_) => 0,
        }
    }

    /// Writes the patch-score map of `patches` (one image of `grid`) into `map` and
    /// returns the image-score factor `w` (PatchCore's reweighting, else 1).
    pub(crate) fn score_into(
        &mut self,
        patches: &[f32],
        grid: GridShape,
        map: &mut [f32],
    ) -> Result<f32, crate::bank::BankError> {
        match self {
            Scorer::Global {
                bank,
                reweight_neighbours,
                nearest,
            } => {
                let bank = bank.bank();
                let max_patch = patch_map_into(bank, patches, grid, map, nearest)?;
                match *reweight_neighbours {
                    None => Ok(1.0),
                    Some(b) => {
                        let test = &patches[max_patch * grid.dim..(max_patch + 1) * grid.dim];
                        reweight(bank, test, nearest[max_patch] as usize, b)
                    }
                }
            }
            Scorer::Position(p) => p.score_map_into(patches, map).map(|()| 1.0),
            Scorer::Gaussian(g) => g.score_map_into(patches, map).map(|()| 1.0),
            Scorer::Direct(m) => m.score_map_into(patches, map).map(|()| 1.0),
        }
    }
}

/// Patch features → patch-score map for one bank, the exact code the [`super::Inspector`]
/// runs; public so that the trainer can score its own, not yet serialised, model with it
/// and compare against a bundle read back from disk (the export parity check).
#[derive(Debug)]
pub struct PatchScorer(Scorer);

impl PatchScorer {
    /// Checks that `model` suits `kind` and the feature grid `grid`; `reweight_neighbours`
    /// as `manifest.extra[REWEIGHT_NEIGHBOURS_KEY]` (`MemoryBank` only).
    ///
    /// # Errors
    /// [`InspectorError::BankMismatch`] or [`InspectorError::InvalidExtra`], as
    /// [`super::Inspector::new`] reports them.
    pub fn new(
        kind: ModelKind,
        model: BankModel,
        grid: GridShape,
        reweight_neighbours: Option<usize>,
    ) -> Result<Self, InspectorError> {
        Scorer::new(kind, model, grid, reweight_neighbours).map(PatchScorer)
    }

    /// Writes the raw patch-score map of `patches` (`grid.cells()` rows of `grid.dim`) into
    /// `map` and returns the image-score factor `w`.
    ///
    /// # Errors
    /// The bank's shape and finiteness checks.
    pub fn score_into(
        &mut self,
        patches: &[f32],
        grid: GridShape,
        map: &mut [f32],
    ) -> Result<f32, crate::bank::BankError> {
        self.0.score_into(patches, grid, map)
    }

    /// One-line description.
    #[must_use]
    pub fn describe(&self) -> String {
        self.0.describe()
    }

    /// Multiply-accumulates of scoring one frame of `grid`.
    #[must_use]
    pub fn macs_per_frame(&self, grid: GridShape) -> u64 {
        self.0.macs_per_frame(grid)
    }
}

fn model_name(model: &BankModel) -> &'static str {
    match model {
        BankModel::F32(_) => "global f32 bank",
        BankModel::Int8(_) => "global int8 bank",
        BankModel::Ivf(_) => "global int8 bank with an inverted file",
        BankModel::Position(_) => "position bank",
        BankModel::Gaussian(_) => "Gaussian",
        BankModel::Direct(_) => "direct anomaly map",
    }
}
