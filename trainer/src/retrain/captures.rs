//! Labelled frames from the edge's capture store (`NNNNNNNNNN-partID.png` + `.json`
//! sidecar per kept frame, see `edge::record::capture`).
//!
//! Two ways to label, documented in `docs/retraining.md`:
//! - folders: move frames into `<captures>/good/` and `<captures>/defect/` (searched
//!   recursively); frames left elsewhere are unlabelled and ignored;
//! - a CSV (`--labels FILE`): `image,label` lines, `image` relative to the captures
//!   folder, `label` `good` or `defect`; a header line `image,label`, blank lines and
//!   `#` comments are skipped. With a CSV the folders are not read.
//!
//! Always holds: frames are listed in path order (the store's capture counter, i.e.
//! capture order); each frame has exactly one label; every error names the file (and
//! line for the CSV).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use edge::record::capture::Sidecar;
use edge::record::verdict::Verdict;
use sha2::{Digest, Sha256};

use super::error::RetrainError;
use crate::data::is_image_path;

/// A user's label for a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Label {
    /// Confirmed good.
    Good,
    /// Confirmed defective.
    Defect,
}

/// One labelled frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledFrame {
    /// The image file.
    pub path: PathBuf,
    /// The user's label.
    pub label: Label,
    /// The edge's verdict from the frame's sidecar, when one is beside it.
    pub edge_verdict: Option<Verdict>,
}

/// Labelled frames of one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    /// The folder.
    pub root: PathBuf,
    /// Frames in path order.
    pub frames: Vec<LabelledFrame>,
}

impl Labelled {
    /// Frames with `label`, in order.
    pub fn with(&self, label: Label) -> Vec<&LabelledFrame> {
        self.frames.iter().filter(|f| f.label == label).collect()
    }

    /// SHA-256 (lowercase hex) over each frame's path relative to the root, its label and
    /// its bytes, in order: relabelling, moving or editing a frame changes it.
    ///
    /// # Errors
    /// [`RetrainError::Read`] naming an unreadable frame.
    pub fn fingerprint(&self) -> Result<String, RetrainError> {
        let mut hasher = Sha256::new();
        for frame in &self.frames {
            let bytes = std::fs::read(&frame.path).map_err(|source| RetrainError::Read {
                path: frame.path.clone(),
                source,
            })?;
            let rel = frame.path.strip_prefix(&self.root).unwrap_or(&frame.path);
            hasher.update(rel.to_string_lossy().as_bytes());
            hasher.update([0, frame.label as u8]);
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
        Ok(hex::encode(hasher.finalize()))
    }
}

/// Labelled frames of `root`: from `labels` (a CSV) when given, else from its `good/` and
/// `defect/` subfolders.
///
/// # Errors
/// Unreadable folders or CSV, CSV lines that do not parse or name missing or
/// non-image files, a frame labelled twice, no labelled frame at all.
pub fn load_labelled(root: &Path, labels: Option<&Path>) -> Result<Labelled, RetrainError> {
    if !root.is_dir() {
        return Err(RetrainError::Captures {
            path: root.to_path_buf(),
            problem: "is not a folder (give the edge's capture folder, `[capture] dir`)".into(),
        });
    }
    let mut frames = BTreeMap::new();
    match labels {
        Some(csv) => read_csv(root, csv, &mut frames)?,
        None => {
            for (folder, label) in [("good", Label::Good), ("defect", Label::Defect)] {
                let dir = root.join(folder);
                if dir.is_dir() {
                    list_images(&dir, &mut |path| {
                        frames.insert(path, label);
                    })?;
                }
            }
        }
    }
    if frames.is_empty() {
        return Err(RetrainError::Captures {
            path: root.to_path_buf(),
            problem: "has no labelled frame: move frames into its `good/` and `defect/` \
                      folders, or list them in a labels CSV (`image,label`) given with --labels"
                .into(),
        });
    }
    Ok(Labelled {
        root: root.to_path_buf(),
        frames: frames
            .into_iter()
            .map(|(path, label)| LabelledFrame {
                edge_verdict: edge_verdict(&path),
                path,
                label,
            })
            .collect(),
    })
}

fn read_csv(
    root: &Path,
    csv: &Path,
    frames: &mut BTreeMap<PathBuf, Label>,
) -> Result<(), RetrainError> {
    let text = std::fs::read_to_string(csv).map_err(|source| RetrainError::Read {
        path: csv.to_path_buf(),
        source,
    })?;
    let bad = |line: usize, problem: String| RetrainError::Labels {
        path: csv.to_path_buf(),
        line,
        problem,
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || (i == 0 && line == "image,label") {
            continue;
        }
        let Some((image, label)) = line.rsplit_once(',') else {
            return Err(bad(i + 1, format!("{line:?} is not `image,label`")));
        };
        let label = match label.trim() {
            "good" => Label::Good,
            "defect" => Label::Defect,
            other => {
                return Err(bad(
                    i + 1,
                    format!("label {other:?}: use `good` or `defect`"),
                ))
            }
        };
        let path = root.join(image.trim());
        if !path.is_file() || !is_image_path(&path) {
            return Err(bad(
                i + 1,
                format!(
                    "{} is not an image file (paths are relative to {})",
                    path.display(),
                    root.display()
                ),
            ));
        }
        if let Some(previous) = frames.insert(path.clone(), label) {
            if previous != label {
                return Err(bad(
                    i + 1,
                    format!("{} is labelled both good and defect", path.display()),
                ));
            }
        }
    }
    Ok(())
}

fn list_images(dir: &Path, found: &mut dyn FnMut(PathBuf)) -> Result<(), RetrainError> {
    let entries = std::fs::read_dir(dir).map_err(|source| RetrainError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let path = entry
            .map_err(|source| RetrainError::Read {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue; // the store's `.tmp-` files
        }
        if path.is_dir() {
            list_images(&path, found)?;
        } else if is_image_path(&path) {
            found(path);
        }
    }
    Ok(())
}

/// The verdict recorded in the frame's sidecar (`<stem>.json` beside it), if it parses.
fn edge_verdict(image: &Path) -> Option<Verdict> {
    let text = std::fs::read_to_string(image.with_extension("json")).ok()?;
    let sidecar: Sidecar = serde_json::from_str(&text).ok()?;
    Some(sidecar.record.verdict)
}
