//! [`Inspector`]: one bundle, one frame at a time, frame → verdict. The trainer verifies
//! and evaluates every bundle through this very type, so a report's scores are the
//! device's scores.
//!
//! ```text
//! RgbImage ─ preprocess (crate::preprocess) ─► [1, C, H, W] f32
//!   ─ tract plan of payload `features.onnx` ─► [1, D, h, w] patch features (NCHW)
//!   ─ transpose ─► h·w rows of D ─ bank of payload `bank` ─► h×w patch-score map
//!   ─ shared::score::ScorePipeline (smoothing, image score) ─► S
//! raw_score = w · S      anomalous ⇔ raw_score ≥ thresholds.image
//! normalised = shared::score::normalise(raw_score, thresholds.image, score_stats)
//! ```
//!
//! # The scoring rule
//! The verdict comes from one rule for every model kind: the image score `S` of the shared
//! score path over the (smoothed, low-resolution) patch-score map, times a factor `w`.
//! `w = 1` unless a `MemoryBank` bundle sets `manifest.extra["patchcore.reweight_neighbours"]
//! = b` (b ≥ 2), in which case `w` is PatchCore's reweighting (eq. 7) computed at the
//! *raw* map's most anomalous patch against its `b` bank neighbours, as
//! [`crate::bank::score_image`] computes it. The bank's own `image_score` (`w · max` of the
//! raw map) is never the verdict. The heat map ([`Inspector::inspect_with_heatmap`]) is
//! the shared path's upsampled smoothed map and is not reweighted.
//!
//! # What always holds
//! - [`Inspector::new`] refuses, with an error naming the payload or manifest field, any
//!   bundle it could not inspect: a manifest failing `bundle_check`, a missing payload, a
//!   graph that does not parse or whose input is not `[1, C, H, W]` = `manifest.input` or
//!   whose single output is not `[1, D, map_height, map_width]` = `manifest.score`'s map,
//!   a bank that does not decode, does not suit `manifest.model` or does not have
//!   dimension `D` (and, per location or for a direct map, the map's grid).
//! - The tract plan is built once, in `new`. Every buffer of our own (input tensor, patch
//!   rows, patch map, nearest-neighbour indices, score-path scratch) is allocated in
//!   `new` and reused. What still allocates per frame: `image`'s resize buffer (none when
//!   the ROI is already at input size), tract's intermediate tensors and run state, the
//!   bank search's per-job scratch (a few KiB) and, with reweighting, one small
//!   neighbour query.
//! - Any error from [`Inspector::inspect`] means the part must be rejected; a NaN or
//!   infinite network output is such an error (the bank and the score path refuse it).
//! - Bank scoring and tract's matrix products run on one rayon pool of `threads` threads
//!   owned by the inspector; results do not depend on `threads`.

mod error;
mod scorer;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use image::RgbImage;
use shared::bundle::{Bundle, Manifest, BANK, FEATURES_ONNX};
use shared::score::{normalise, ScorePipeline};
use tract_linalg::multithread::Executor;
use tract_onnx::prelude::{DatumType, IntoArcTensor, TValue, TVec, Tensor, TypedModel};

pub use error::{BoxError, InspectorError};
pub use scorer::{PatchScorer, REWEIGHT_NEIGHBOURS_KEY};

use crate::bank::{BankModel, GridShape};
use crate::bundle_check::{check_manifest, load_bundle, load_bundle_checked};
use crate::network::{self, concrete_shape, Plan};
use crate::preprocess::Preprocessor;
use scorer::Scorer;

/// How long each stage of one inspection took, in microseconds (wall clock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageTimings {
    /// Crop, resize and normalisation.
    pub preprocess_us: u64,
    /// The feature network (tract) and the NCHW → patch-row transpose.
    pub network_us: u64,
    /// Bank scoring, the score path (and the heat map when asked for).
    pub scoring_us: u64,
    /// The whole inspection.
    pub total_us: u64,
}

/// The outcome of one inspected frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection<'a> {
    /// `w · S` (see the [module docs](self)), in the units of `manifest.thresholds.image`.
    pub raw_score: f32,
    /// `shared::score::normalise(raw_score, thresholds.image, score_stats)`: in `[0, 1]`,
    /// the threshold maps to 0.5.
    pub normalised: f32,
    /// `raw_score ≥ thresholds.image`: reject the part.
    pub anomalous: bool,
    /// The raw patch-score map, `map_height × map_width`, row-major (before smoothing).
    pub map: &'a [f32],
    /// Stage timings.
    pub timings: StageTimings,
}

/// A bundle ready to inspect frames; see the [module docs](self).
pub struct Inspector {
    manifest: Manifest,
    plan: Plan,
    input: Arc<Tensor>,
    grid: GridShape,
    scorer: Scorer,
    patches: Vec<f32>,
    map: Vec<f32>,
    pipeline: ScorePipeline,
    pool: Arc<rayon::ThreadPool>,
    network_macs: u64,
    preprocessor: Preprocessor,
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector")
            .field("model", &self.manifest.model)
            .field("input", &self.manifest.input)
            .field("grid", &self.grid)
            .field("scorer", &self.scorer.describe())
            .finish_non_exhaustive()
    }
}

/// Name used for in-memory bundles in manifest errors.
const IN_MEMORY: &str = "(in-memory bundle)";

fn graph_error(stage: &'static str) -> impl FnOnce(anyhow::Error) -> InspectorError {
    move |e| InspectorError::Graph {
        payload: FEATURES_ONNX,
        stage,
        source: e.into(),
    }
}

fn shape_error(what: &'static str, expected: String, found: String) -> InspectorError {
    InspectorError::GraphShape {
        payload: FEATURES_ONNX,
        what,
        expected,
        found,
    }
}

impl Inspector {
    /// Checks `bundle` and builds everything a frame needs, running on `threads` worker
    /// threads (≥ 1).
    ///
    /// # Errors
    /// Any of the refusals listed in the [module docs](self), each naming the payload or
    /// field; [`InspectorError::Threads`] for `threads == 0`.
    pub fn new(bundle: &Bundle, threads: usize) -> Result<Inspector, InspectorError> {
        Self::build(bundle, Path::new(IN_MEMORY), threads)
    }

    /// Reads the bundle at `path` (naming it in manifest errors) and builds the
    /// inspector as [`Inspector::new`].
    ///
    /// # Errors
    /// As [`Inspector::new`], plus unreadable or corrupt files.
    pub fn open(path: &Path, threads: usize) -> Result<Inspector, InspectorError> {
        Self::build(&load_bundle(path)?, path, threads)
    }

    /// Builds the inspector for `bundle`, already decoded from the file at `path` (named
    /// in manifest errors), as [`Inspector::new`]: hot deployment reads the file once
    /// to hash, check and decode it.
    ///
    /// # Errors
    /// As [`Inspector::new`].
    pub fn from_bundle(
        bundle: &Bundle,
        path: &Path,
        threads: usize,
    ) -> Result<Inspector, InspectorError> {
        Self::build(bundle, path, threads)
    }

    /// As [`Inspector::open`], after checking the bundle's detached signature against
    /// `key` when one is given (see [`crate::signature`]); the inspector is built from
    /// exactly the bytes that were verified.
    ///
    /// # Errors
    /// As [`Inspector::open`]; an unsigned, foreign-key or modified bundle is an
    /// [`InspectorError::Manifest`] wrapping the signature error, naming the file.
    pub fn open_with_key(
        path: &Path,
        key: Option<&crate::signature::PublicKey>,
        threads: usize,
    ) -> Result<Inspector, InspectorError> {
        Self::build(&load_bundle_checked(path, key)?, path, threads)
    }

    fn build(bundle: &Bundle, path: &Path, threads: usize) -> Result<Inspector, InspectorError> {
        if threads == 0 {
            return Err(InspectorError::Threads {
                threads,
                reason: "use at least 1".into(),
            });
        }
        let manifest = &bundle.manifest;
        check_manifest(path, manifest)?;
        let reweight = reweight_neighbours(manifest)?;
        let payload = |name: &'static str| {
            bundle.payload(name).ok_or(InspectorError::MissingPayload {
                name,
                model: manifest.model,
            })
        };
        let graph = payload(FEATURES_ONNX)?;
        let bank_bytes = payload(BANK)?;
        let typed = network::typed_from_onnx(graph)
            .map_err(graph_error("parsing and typing the ONNX graph"))?;
        let grid = check_graph(&typed, manifest)?;
        let network_macs =
            network::fma_count(&typed).map_err(graph_error("counting multiply-accumulates"))?;
        let model =
            BankModel::from_bytes(bank_bytes).map_err(|source| InspectorError::BankDecode {
                payload: BANK,
                source,
            })?;
        let scorer = Scorer::new(manifest.model, model, grid, reweight)?;
        let pipeline =
            ScorePipeline::new(manifest.score, manifest.input.width, manifest.input.height)
                .map_err(InspectorError::Score)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("inspector-{i}"))
            .build()
            .map_err(|e| InspectorError::Threads {
                threads,
                reason: e.to_string(),
            })?;
        let pool = Arc::new(pool);
        let executor = if threads == 1 {
            Executor::SingleThread
        } else {
            Executor::MultiThread(Arc::clone(&pool))
        };
        let plan =
            network::runnable(typed, executor).map_err(graph_error("optimising the graph"))?;
        let input = manifest.input;
        let shape = [
            1,
            usize::from(input.channels),
            input.height as usize,
            input.width as usize,
        ];
        let input_tensor = Tensor::zero::<f32>(&shape)
            .map_err(graph_error("allocating the input tensor"))?
            .into_arc_tensor();
        Ok(Inspector {
            manifest: manifest.clone(),
            plan,
            input: input_tensor,
            grid,
            scorer,
            patches: vec![0.0; grid.cells() * grid.dim],
            map: vec![0.0; grid.cells()],
            pipeline,
            pool,
            network_macs,
            preprocessor: Preprocessor::default(),
        })
    }

    /// The bundle's manifest.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The patch-feature grid: `map_height × map_width` patches of `D` features.
    #[must_use]
    pub fn grid(&self) -> GridShape {
        self.grid
    }

    /// One line saying which bank scores the patches (for `edge info`).
    #[must_use]
    pub fn describe_bank(&self) -> String {
        self.scorer.describe()
    }

    /// Multiply-accumulates per frame: the feature network (as tract counts them) plus the
    /// bank's scoring work.
    #[must_use]
    pub fn macs_per_frame(&self) -> u64 {
        self.network_macs + self.scorer.macs_per_frame(self.grid)
    }

    /// Heat-map size `(width, height)` that [`Inspector::inspect_with_heatmap`] fills: the
    /// network input size.
    #[must_use]
    pub fn heatmap_size(&self) -> (u32, u32) {
        self.pipeline.out_size()
    }

    /// Inspects one frame: score and verdict, no heat map.
    ///
    /// # Errors
    /// Preprocessing (e.g. ROI outside the frame), network, bank or score-path failures;
    /// any error means: reject the part.
    pub fn inspect(&mut self, frame: &RgbImage) -> Result<Inspection<'_>, InspectorError> {
        self.run(frame, None)
    }

    /// As [`Inspector::inspect`], and writes the smoothed, upsampled heat map
    /// (`input.width × input.height`, row-major, raw score units, not reweighted) into
    /// `heatmap`.
    ///
    /// # Errors
    /// As [`Inspector::inspect`]; [`InspectorError::HeatmapLength`] (before any work) for
    /// a buffer of the wrong length.
    pub fn inspect_with_heatmap(
        &mut self,
        frame: &RgbImage,
        heatmap: &mut [f32],
    ) -> Result<Inspection<'_>, InspectorError> {
        let (width, height) = self.heatmap_size();
        let expected = width as usize * height as usize;
        if heatmap.len() != expected {
            return Err(InspectorError::HeatmapLength {
                expected,
                got: heatmap.len(),
                width,
                height,
            });
        }
        self.run(frame, Some(heatmap))
    }

    fn run(
        &mut self,
        frame: &RgbImage,
        heatmap: Option<&mut [f32]>,
    ) -> Result<Inspection<'_>, InspectorError> {
        let start = Instant::now();
        let input = Arc::make_mut(&mut self.input);
        let mut view = input.try_as_plain_ram_mut().map_err(network_error)?;
        let values = view.as_slice_mut::<f32>().map_err(network_error)?;
        self.preprocessor
            .run(
                frame,
                self.manifest.input,
                &self.manifest.preprocess,
                values,
            )
            .map_err(InspectorError::Preprocess)?;
        let preprocessed = Instant::now();

        let mut inputs = TVec::new();
        inputs.push(TValue::from_const(Arc::clone(&self.input)));
        let outputs = self.plan.run(inputs).map_err(network_error)?;
        let view = outputs[0].try_as_plain_ram().map_err(network_error)?;
        let features = view.as_slice::<f32>().map_err(network_error)?;
        transpose_into(features, self.grid, &mut self.patches);
        let networked = Instant::now();

        let (scorer, patches, map, grid) =
            (&mut self.scorer, &self.patches, &mut self.map, self.grid);
        let weight = self
            .pool
            .install(|| scorer.score_into(patches, grid, map))
            .map_err(|source| InspectorError::Bank {
                payload: BANK,
                source,
            })?;
        let score = match heatmap {
            Some(out) => self.pipeline.run(&self.map, out),
            None => self.pipeline.score(&self.map),
        }
        .map_err(InspectorError::Score)?;
        let raw_score = weight * score;
        let thresholds = self.manifest.thresholds;
        let end = Instant::now();
        let us = |a: Instant, b: Instant| b.duration_since(a).as_micros() as u64;
        Ok(Inspection {
            raw_score,
            normalised: normalise(raw_score, thresholds.image, &self.manifest.score_stats),
            anomalous: raw_score >= thresholds.image || raw_score.is_nan(),
            map: &self.map,
            timings: StageTimings {
                preprocess_us: us(start, preprocessed),
                network_us: us(preprocessed, networked),
                scoring_us: us(networked, end),
                total_us: us(start, end),
            },
        })
    }
}

fn network_error(e: anyhow::Error) -> InspectorError {
    InspectorError::Network {
        payload: FEATURES_ONNX,
        source: e.into(),
    }
}

/// `[1, D, h, w]` NCHW features → `h·w` rows of `D` (patch `(y, x)` at `(y·w + x)·D`).
fn transpose_into(features: &[f32], grid: GridShape, patches: &mut [f32]) {
    let cells = grid.cells();
    for (d, plane) in features.chunks_exact(cells).enumerate() {
        for (cell, &v) in plane.iter().enumerate() {
            patches[cell * grid.dim + d] = v;
        }
    }
}

/// `manifest.extra[REWEIGHT_NEIGHBOURS_KEY]`, parsed and checked (≥ 2).
fn reweight_neighbours(manifest: &Manifest) -> Result<Option<usize>, InspectorError> {
    let Some(value) = manifest.extra(REWEIGHT_NEIGHBOURS_KEY) else {
        return Ok(None);
    };
    match value.trim().parse::<usize>() {
        Ok(b) if b >= 2 => Ok(Some(b)),
        _ => Err(InspectorError::InvalidExtra {
            key: REWEIGHT_NEIGHBOURS_KEY,
            value: value.to_string(),
            problem: "must be an integer ≥ 2 (PatchCore uses 3); remove it to disable",
        }),
    }
}

/// Checks the typed graph against the manifest; returns the patch grid it outputs.
fn check_graph(model: &TypedModel, manifest: &Manifest) -> Result<GridShape, InspectorError> {
    let counts = [
        ("number of inputs", model.inputs.len()),
        ("number of outputs", model.outputs.len()),
    ];
    for (what, n) in counts {
        if n != 1 {
            return Err(shape_error(what, "1".into(), n.to_string()));
        }
    }
    let input = manifest.input;
    let expected_input = vec![
        1,
        usize::from(input.channels),
        input.height as usize,
        input.width as usize,
    ];
    let fact = model
        .input_fact(0)
        .map_err(graph_error("reading input 0"))?;
    let found = concrete_shape(fact).map_err(|s| {
        shape_error(
            "input 0 shape",
            format!("{expected_input:?} (manifest field `input`)"),
            s,
        )
    })?;
    if found != expected_input || fact.datum_type != DatumType::F32 {
        return Err(shape_error(
            "input 0 (type, shape)",
            format!("(F32, {expected_input:?}) (manifest field `input`: [1, C, H, W])"),
            format!("({:?}, {found:?})", fact.datum_type),
        ));
    }
    let (map_h, map_w) = (
        manifest.score.map_height as usize,
        manifest.score.map_width as usize,
    );
    let expected_output =
        format!("(F32, [1, D, {map_h}, {map_w}]) (manifest field `score`: map_height, map_width)");
    let fact = model
        .output_fact(0)
        .map_err(graph_error("reading output 0"))?;
    let found = concrete_shape(fact)
        .map_err(|s| shape_error("output 0 shape", expected_output.clone(), s))?;
    let ok = fact.datum_type == DatumType::F32
        && found.len() == 4
        && found[0] == 1
        && found[1] >= 1
        && (found[2], found[3]) == (map_h, map_w);
    if !ok {
        return Err(shape_error(
            "output 0 (type, shape)",
            expected_output,
            format!("({:?}, {found:?})", fact.datum_type),
        ));
    }
    Ok(GridShape::new(map_h, map_w, found[1]))
}
