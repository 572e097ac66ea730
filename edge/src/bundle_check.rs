//! Opening a bundle on the device: `shared::bundle` checks the bytes (magic, version,
//! length, CRC, payload table); this module checks what the bytes mean — input shape,
//! normalisation, score settings, thresholds — so that a bundle the device cannot run is
//! refused at start-up with a message naming the file and field, never mid-shift.

use std::fmt;
use std::path::{Path, PathBuf};

use shared::bundle::{Bundle, BundleError, Manifest};
use shared::score::{ScoreError, ScorePipeline};

use crate::signature::{verify_bundle_file, PublicKey, SignatureError};

/// Why a bundle cannot be used on this device.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read or failed a format check.
    #[error(transparent)]
    Format(#[from] BundleError),
    /// The manifest decoded but a field holds a value the runtime cannot use.
    #[error("bundle {path}: manifest field `{field}` {problem}")]
    InvalidField {
        /// The bundle file.
        path: PathBuf,
        /// Dotted manifest path of the field, e.g. `preprocess.std[1]`.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The board profile names a public key and the bundle's signature is missing, from
    /// another key, or does not match the bytes.
    #[error(transparent)]
    Signature(Box<SignatureError>),
    /// The score settings are refused by the shared score path.
    #[error("bundle {path}: manifest field `score` is unusable: {source}")]
    Score {
        /// The bundle file.
        path: PathBuf,
        /// The score path's reason.
        source: ScoreError,
    },
}

/// Reads the bundle at `path` and checks that its manifest is usable.
///
/// # Errors
/// [`LoadError::Format`] for unreadable or corrupt files (the message names the file and
/// the failed check), [`LoadError::InvalidField`] / [`LoadError::Score`] for a manifest
/// the runtime cannot use.
pub fn load_bundle(path: &Path) -> Result<Bundle, LoadError> {
    let bundle = Bundle::read_from(path)?;
    check_manifest(path, &bundle.manifest)?;
    Ok(bundle)
}

/// As [`load_bundle`], after checking the bundle's detached signature against `key` when
/// one is given (a board profile's `bundle_public_key`); the bundle is decoded from
/// exactly the bytes that were verified. `None`: no signature check (unsigned bundles
/// run).
///
/// # Errors
/// [`LoadError::Signature`] for an unsigned, foreign-key or modified bundle; otherwise as
/// [`load_bundle`].
pub fn load_bundle_checked(path: &Path, key: Option<&PublicKey>) -> Result<Bundle, LoadError> {
    let Some(key) = key else {
        return load_bundle(path);
    };
    let bytes = verify_bundle_file(path, key)?;
    let bundle = Bundle::from_bytes(&bytes).map_err(|e| BundleError::File {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    check_manifest(path, &bundle.manifest)?;
    Ok(bundle)
}

/// Semantic checks of a decoded manifest; `path` only names the file in errors.
///
/// # Errors
/// The first unusable field found.
pub fn check_manifest(path: &Path, manifest: &Manifest) -> Result<(), LoadError> {
    let invalid = |field: &str, problem: String| LoadError::InvalidField {
        path: path.to_path_buf(),
        field: field.to_string(),
        problem,
    };
    let positive_sides = |field: &str, width: u32, height: u32| {
        if width == 0 || height == 0 {
            Err(invalid(
                field,
                format!("is {width}×{height}: both sides must be positive"),
            ))
        } else {
            Ok(())
        }
    };
    let input = manifest.input;
    positive_sides("input", input.width, input.height)?;
    if input.channels != 1 && input.channels != 3 {
        return Err(invalid(
            "input.channels",
            format!("is {}: must be 1 (grey) or 3 (RGB)", input.channels),
        ));
    }
    for (i, (&mean, &std)) in manifest
        .preprocess
        .mean
        .iter()
        .zip(&manifest.preprocess.std)
        .enumerate()
    {
        if !mean.is_finite() {
            return Err(invalid(
                &format!("preprocess.mean[{i}]"),
                format!("is {mean}: must be finite"),
            ));
        }
        if !std.is_finite() || std == 0.0 {
            return Err(invalid(
                &format!("preprocess.std[{i}]"),
                format!("is {std}: must be finite and non-zero"),
            ));
        }
    }
    if let Some(roi) = manifest.preprocess.roi {
        positive_sides("preprocess.roi", roi.width, roi.height)?;
    }
    for (field, value) in [
        ("thresholds.image", manifest.thresholds.image),
        ("thresholds.pixel", manifest.thresholds.pixel),
    ] {
        if !value.is_finite() {
            return Err(invalid(field, format!("is {value}: must be finite")));
        }
    }
    let stats = manifest.score_stats;
    if !(stats.min.is_finite() && stats.max.is_finite() && stats.min <= stats.max) {
        return Err(invalid(
            "score_stats",
            format!(
                "min {} / max {}: must be finite with min ≤ max",
                stats.min, stats.max
            ),
        ));
    }
    ScorePipeline::new(manifest.score, input.width, input.height).map_err(|source| {
        LoadError::Score {
            path: path.to_path_buf(),
            source,
        }
    })?;
    Ok(())
}

/// Human-readable summary of a bundle (what `edge info` prints).
pub struct Summary<'a>(pub &'a Bundle);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.0.manifest;
        writeln!(f, "model:       {:?}", m.model)?;
        writeln!(
            f,
            "input:       {}×{}×{} (w×h×c)",
            m.input.width, m.input.height, m.input.channels
        )?;
        match m.preprocess.roi {
            Some(r) => writeln!(
                f,
                "roi:         {}×{} at ({}, {})",
                r.width, r.height, r.x, r.y
            )?,
            None => writeln!(f, "roi:         whole frame")?,
        }
        writeln!(
            f,
            "normalise:   mean {:?} std {:?} (0..255 units)",
            m.preprocess.mean, m.preprocess.std
        )?;
        writeln!(
            f,
            "score:       map {}×{}, {:?} over σ {} cells, heat map σ {} cells",
            m.score.map_width,
            m.score.map_height,
            m.score.image_score,
            m.score.image_sigma,
            m.score.smoothing_sigma
        )?;
        writeln!(
            f,
            "thresholds:  image {} pixel {}",
            m.thresholds.image, m.thresholds.pixel
        )?;
        writeln!(
            f,
            "good scores: n={} min {} max {} mean {} std {}",
            m.score_stats.count,
            m.score_stats.min,
            m.score_stats.max,
            m.score_stats.mean,
            m.score_stats.std
        )?;
        let p = &m.provenance;
        writeln!(
            f,
            "trainer:     {} (created {} s since epoch)",
            p.trainer_version, p.created_unix_s
        )?;
        writeln!(f, "dataset:     {}", p.dataset_fingerprint)?;
        if let Some(parent) = &p.parent_bundle_sha256 {
            writeln!(f, "parent:      {parent}")?;
        }
        for metric in &p.metrics {
            writeln!(f, "metric:      {} = {}", metric.name, metric.value)?;
        }
        for payload in &self.0.payloads {
            writeln!(
                f,
                "payload:     {} ({} bytes)",
                payload.name,
                payload.bytes.len()
            )?;
        }
        Ok(())
    }
}

// Boxed: a signature error names two paths and two digests, and would make every
// `Result<_, InspectorError>` on the line's hot path that much larger.
impl From<SignatureError> for LoadError {
    fn from(e: SignatureError) -> Self {
        LoadError::Signature(Box::new(e))
    }
}
