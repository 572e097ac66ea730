//! Dataset fingerprint for bundle provenance: SHA-256 over the sorted relative paths and
//! bytes of every image and mask of a [`Dataset`].

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{DataError, Dataset};

/// SHA-256 (lower-case hex) over every file of the dataset (training and test images,
/// masks), in order of relative path (`/`-separated). Each file contributes its relative
/// path, a zero byte, its length as little-endian u64, then its bytes, so renaming,
/// moving or editing any file changes the fingerprint; where the root lives does not.
pub fn fingerprint(dataset: &Dataset) -> Result<String, DataError> {
    let mut files: Vec<(String, &PathBuf)> = dataset
        .train
        .iter()
        .chain(&dataset.test)
        .flat_map(|s| std::iter::once(&s.path).chain(s.mask.as_ref()))
        .map(|p| (relative(&dataset.root, p), p))
        .collect();
    files.sort();
    files.dedup();

    let mut hasher = Sha256::new();
    for (rel, path) in files {
        let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
        hasher.update(rel.as_bytes());
        hasher.update([0u8]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
