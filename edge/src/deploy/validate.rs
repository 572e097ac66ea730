//! [`BundleValidator`]: what a replacement bundle must pass before it may score a part,
//! in this order, the first failure refusing it with a [`Refusal`] naming the file:
//! 1. read the file, hash it (SHA-256), decode it (`shared::bundle`'s format checks: a
//!    truncated or half-written file fails here);
//! 2. every [`BundleCheck`] given (the bundle signature check plugs in here);
//! 3. the manifest's ROI must lie inside the camera's frame (when the frame size is
//!    known: a camera source);
//! 4. build the [`Inspector`] (every refusal of [`Inspector::new`]);
//! 5. dry run on the newest `dry_run_frames` kept frames of the capture store: each must
//!    inspect without error and with finite scores. The would-be verdicts are reported,
//!    beside the verdicts the running model gave the same parts (from the sidecars).
//!
//! With no kept frame (a new store, captures off) step 5 has nothing to run on and is
//! skipped; the probation after the swap still guards the line.

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use shared::bundle::{Bundle, BundleError};

use crate::bundle_check::LoadError;
use crate::inspector::{BoxError, Inspector, InspectorError};
use crate::record::{latest_captures, Sidecar, Verdict};
use crate::signature::{verify_bundle_file, verify_signature_of, PublicKey};

/// A check of a decoded bundle, run before it is loaded (e.g. its signature).
pub trait BundleCheck: Send {
    /// Short name for messages, e.g. `"signature"`.
    fn name(&self) -> &str;

    /// Checks the bundle read from `path`: its file bytes and their decoding.
    ///
    /// # Errors
    /// Why the bundle must not be used.
    fn check(&self, path: &Path, bytes: &[u8], bundle: &Bundle) -> Result<(), BoxError>;
}

/// Why a replacement bundle was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The bundle file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a valid bundle (truncated, half-written, corrupt).
    #[error("{}: not a valid bundle", path.display())]
    Format {
        /// The bundle file.
        path: PathBuf,
        /// The failed format check.
        #[source]
        source: BundleError,
    },
    /// A [`BundleCheck`] refused it.
    #[error("{}: {check} check failed", path.display())]
    Check {
        /// The bundle file.
        path: PathBuf,
        /// The check's name.
        check: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The manifest's ROI does not fit the camera's frames.
    #[error(
        "{}: manifest field `preprocess.roi` ({roi_width}×{roi_height} at ({x}, {y})) does not \
         lie inside the camera's {frame_width}×{frame_height} frames",
        path.display()
    )]
    FrameSize {
        /// The bundle file.
        path: PathBuf,
        /// ROI left.
        x: u32,
        /// ROI top.
        y: u32,
        /// ROI width.
        roi_width: u32,
        /// ROI height.
        roi_height: u32,
        /// Camera frame width.
        frame_width: u32,
        /// Camera frame height.
        frame_height: u32,
    },
    /// The inspector cannot be built from it.
    #[error("{}: cannot inspect with it", path.display())]
    Load {
        /// The bundle file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<InspectorError>,
    },
    /// The dry run failed on a kept frame.
    #[error("{}: dry run on kept frame {}", path.display(), frame.display())]
    DryRun {
        /// The bundle file.
        path: PathBuf,
        /// The kept frame.
        frame: PathBuf,
        /// The inspector's error.
        #[source]
        source: Box<InspectorError>,
    },
    /// The dry run scored a kept frame with a non-finite score.
    #[error("{}: dry run on kept frame {}: non-finite score {raw}", path.display(), frame.display())]
    NonFinite {
        /// The bundle file.
        path: PathBuf,
        /// The kept frame.
        frame: PathBuf,
        /// The score.
        raw: f32,
    },
    /// Validation itself panicked (a bug or a hostile file); refused, never run.
    #[error("{}: validation panicked: {message}", path.display())]
    Panicked {
        /// The bundle file.
        path: PathBuf,
        /// The panic message.
        message: String,
    },
}

/// One kept frame of the dry run.
#[derive(Clone, Debug, PartialEq)]
pub struct DryRunFrame {
    /// The PNG.
    pub frame: PathBuf,
    /// The new model's raw score.
    pub raw_score: f32,
    /// The new model would reject it.
    pub would_reject: bool,
    /// The verdict the part got when it was kept (from its sidecar), if readable.
    pub logged: Option<Verdict>,
}

/// The dry run's would-be verdicts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DryRunReport {
    /// Per kept frame, newest first.
    pub frames: Vec<DryRunFrame>,
    /// Kept frames listed but gone or unreadable when opened (evicted meanwhile).
    pub unreadable: usize,
}

impl DryRunReport {
    /// Frames the new model would reject.
    #[must_use]
    pub fn would_reject(&self) -> usize {
        self.frames.iter().filter(|f| f.would_reject).count()
    }

    /// (frames whose logged verdict is known, of which the new model agrees on).
    #[must_use]
    pub fn agreement(&self) -> (usize, usize) {
        let known: Vec<_> = self
            .frames
            .iter()
            .filter_map(|f| f.logged.map(|v| (f, v)))
            .collect();
        let agree = known
            .iter()
            .filter(|(f, v)| f.would_reject == (*v == Verdict::Reject))
            .count();
        (known.len(), agree)
    }
}

impl fmt::Display for DryRunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.frames.is_empty() {
            return write!(f, "no dry run (no kept frame)");
        }
        let (known, agree) = self.agreement();
        write!(
            f,
            "dry run on {} kept frames: would reject {}; agrees with the logged verdict on \
             {agree} of {known}",
            self.frames.len(),
            self.would_reject()
        )
    }
}

/// A replacement that passed every check, ready to swap in.
#[derive(Debug)]
pub struct Candidate {
    /// The model.
    pub inspector: Inspector,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// The dry run's would-be verdicts.
    pub dry_run: DryRunReport,
}

/// See the [module docs](self).
pub struct BundleValidator {
    checks: Vec<Box<dyn BundleCheck>>,
    threads: usize,
    dry_run_frames: usize,
    captures: Option<PathBuf>,
    frame_size: Option<(u32, u32)>,
}

impl fmt::Debug for BundleValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.checks.iter().map(|c| c.name()).collect();
        f.debug_struct("BundleValidator")
            .field("checks", &names)
            .field("threads", &self.threads)
            .field("dry_run_frames", &self.dry_run_frames)
            .field("captures", &self.captures)
            .field("frame_size", &self.frame_size)
            .finish()
    }
}

/// SHA-256 of `bytes`, lowercase hex: how records and messages name a bundle.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl BundleValidator {
    /// Builds inspectors on `threads` threads; no checks, no dry run, frame size unknown.
    #[must_use]
    pub fn new(threads: usize) -> Self {
        Self {
            checks: Vec::new(),
            threads,
            dry_run_frames: 0,
            captures: None,
            frame_size: None,
        }
    }

    /// Adds a check, run after the format checks in the order added.
    #[must_use]
    pub fn with_check(mut self, check: Box<dyn BundleCheck>) -> Self {
        self.checks.push(check);
        self
    }

    /// Dry-runs on the newest `frames` captures of the store in `dir`.
    #[must_use]
    pub fn with_dry_run(mut self, dir: PathBuf, frames: usize) -> Self {
        self.captures = Some(dir);
        self.dry_run_frames = frames;
        self
    }

    /// The camera delivers `width × height` frames: the ROI must fit them.
    #[must_use]
    pub fn with_frame_size(mut self, width: u32, height: u32) -> Self {
        self.frame_size = Some((width, height));
        self
    }

    /// Reads and hashes the file: `(bytes, sha256)`.
    ///
    /// # Errors
    /// [`Refusal::Read`].
    pub fn read(path: &Path) -> Result<(Vec<u8>, String), Refusal> {
        let bytes = std::fs::read(path).map_err(|source| Refusal::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let hash = sha256_hex(&bytes);
        Ok((bytes, hash))
    }

    /// Validates the bundle `bytes` read from `path` (hash `sha256`); see the
    /// [module docs](self).
    ///
    /// # Errors
    /// The first [`Refusal`].
    pub fn validate(
        &self,
        path: &Path,
        bytes: &[u8],
        sha256: String,
    ) -> Result<Candidate, Refusal> {
        let bundle = Bundle::from_bytes(bytes).map_err(|source| Refusal::Format {
            path: path.to_path_buf(),
            source,
        })?;
        for check in &self.checks {
            check
                .check(path, bytes, &bundle)
                .map_err(|source| Refusal::Check {
                    path: path.to_path_buf(),
                    check: check.name().to_owned(),
                    source,
                })?;
        }
        if let (Some((fw, fh)), Some(roi)) = (self.frame_size, bundle.manifest.preprocess.roi) {
            let fits = u64::from(roi.x) + u64::from(roi.width) <= u64::from(fw)
                && u64::from(roi.y) + u64::from(roi.height) <= u64::from(fh);
            if !fits {
                return Err(Refusal::FrameSize {
                    path: path.to_path_buf(),
                    x: roi.x,
                    y: roi.y,
                    roi_width: roi.width,
                    roi_height: roi.height,
                    frame_width: fw,
                    frame_height: fh,
                });
            }
        }
        let mut inspector =
            Inspector::from_bundle(&bundle, path, self.threads).map_err(|source| {
                Refusal::Load {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                }
            })?;
        let dry_run = self.dry_run(path, &mut inspector)?;
        Ok(Candidate {
            inspector,
            sha256,
            dry_run,
        })
    }

    fn dry_run(&self, path: &Path, inspector: &mut Inspector) -> Result<DryRunReport, Refusal> {
        let mut report = DryRunReport::default();
        let Some(dir) = self.captures.as_ref().filter(|_| self.dry_run_frames > 0) else {
            return Ok(report);
        };
        // A store not created yet has nothing to run on.
        let kept = latest_captures(dir, self.dry_run_frames).unwrap_or_default();
        for (png, sidecar) in kept {
            let Ok(image) = image::open(&png) else {
                report.unreadable += 1;
                continue;
            };
            let inspection =
                inspector
                    .inspect(&image.to_rgb8())
                    .map_err(|source| Refusal::DryRun {
                        path: path.to_path_buf(),
                        frame: png.clone(),
                        source: Box::new(source),
                    })?;
            let (raw, normalised) = (inspection.raw_score, inspection.normalised);
            if !(raw.is_finite() && normalised.is_finite()) {
                return Err(Refusal::NonFinite {
                    path: path.to_path_buf(),
                    frame: png,
                    raw,
                });
            }
            let would_reject = inspection.anomalous;
            let logged = std::fs::read(&sidecar)
                .ok()
                .and_then(|b| serde_json::from_slice::<Sidecar>(&b).ok())
                .map(|s| s.record.verdict);
            report.frames.push(DryRunFrame {
                frame: png,
                raw_score: raw,
                would_reject,
                logged,
            });
        }
        Ok(report)
    }
}

/// Opens the bundle at `path` as [`Inspector::open`] does (same errors), reading the
/// file once, and returns its SHA-256 with it: the model `edge run` starts with.
///
/// # Errors
/// As [`Inspector::open`].
pub fn open_hashed(
    path: &Path,
    key: Option<&PublicKey>,
    threads: usize,
) -> Result<(Inspector, String), InspectorError> {
    let bytes = match key {
        Some(key) => verify_bundle_file(path, key).map_err(LoadError::from)?,
        None => std::fs::read(path).map_err(|source| {
            LoadError::Format(BundleError::Io {
                action: "read bundle file",
                path: path.to_path_buf(),
                source,
            })
        })?,
    };
    let bundle = Bundle::from_bytes(&bytes).map_err(|e| {
        LoadError::Format(BundleError::File {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    })?;
    let inspector = Inspector::from_bundle(&bundle, path, threads)?;
    Ok((inspector, sha256_hex(&bytes)))
}

/// The [`BundleCheck`] a board profile's `bundle_public_key` adds: the replacement's
/// detached signature must verify over exactly the bytes that were read.
#[derive(Debug, Clone)]
pub struct SignatureCheck(pub PublicKey);

impl BundleCheck for SignatureCheck {
    fn name(&self) -> &str {
        "signature"
    }

    fn check(&self, path: &Path, bytes: &[u8], _bundle: &Bundle) -> Result<(), BoxError> {
        verify_signature_of(path, bytes, &self.0).map_err(|e| Box::new(e) as BoxError)
    }
}
