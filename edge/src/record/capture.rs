//! [`CaptureStore`]: frames kept for retraining, as `NNNNNNNNNN-partID.png` plus a
//! `NNNNNNNNNN-partID.json` [`Sidecar`] in one folder (`N`: the store's capture counter,
//! which orders captures oldest first and survives restarts).
//!
//! # What always holds
//! - A capture exists iff its sidecar exists. Both files are written under `.tmp-` names
//!   in the same folder and renamed, PNG first, sidecar last; on any failure the temp
//!   files (and a renamed PNG) are removed, so no partial file is ever visible under a
//!   final name. Eviction removes the sidecar first. [`CaptureStore::open`] removes temp
//!   files and PNGs without sidecar that a crash left, and never touches other files.
//! - The content bytes of all captures (PNG + sidecar) stay within
//!   `policy.quota_bytes`: the oldest captures are evicted to make room; a capture larger
//!   than the whole quota is refused. Filesystem block rounding is not counted.
//! - [`CaptureStore::keep`] never panics and never blocks on anything but the writes
//!   themselves: a full disk or an unwritable folder is an error for that part, counted
//!   in [`CaptureStats::failed`], and the next part is tried afresh.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Cursor};
use std::path::{Path, PathBuf};

use image::{ImageFormat, RgbImage};
use serde::{Deserialize, Serialize};

use super::policy::{CapturePolicy, KeepReason, PolicyError};
use super::verdict::VerdictRecord;

/// The `sidecar_version` this build writes.
pub const SIDECAR_VERSION: u32 = 1;

const TEMP_PREFIX: &str = ".tmp-";

/// The JSON written beside each kept frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// [`SIDECAR_VERSION`].
    pub sidecar_version: u32,
    /// The PNG's file name, in the same folder.
    pub image: String,
    /// Why the frame was kept.
    pub keep_reason: KeepReason,
    /// The bundle that scored the part, if the store was given one.
    pub bundle_hash: Option<String>,
    /// The part's verdict record (part id, score, verdict, reason, times, origin).
    pub record: VerdictRecord,
}

/// Writes a whole file; injected so tests can fail writes part-way (disk full).
pub trait StoreWriter {
    /// Creates or truncates `path` and writes `bytes` to it.
    ///
    /// # Errors
    /// Any I/O error; the file may then hold part of `bytes`.
    fn write_file(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()>;
}

/// The real writer: `std::fs::write` (no fsync: a power cut may lose recent captures,
/// but never exposes a partial one under a final name).
#[derive(Debug, Clone, Copy, Default)]
pub struct FsWriter;

impl StoreWriter for FsWriter {
    fn write_file(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        fs::write(path, bytes)
    }
}

/// Why a frame was not kept (or the store not opened).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The policy is unusable.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The store folder could not be created or listed.
    #[error("capture store {}: cannot open", dir.display())]
    Open {
        /// The folder.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The frame could not be encoded as PNG.
    #[error("part {part_id}: cannot encode the frame as PNG")]
    Encode {
        /// The part.
        part_id: u64,
        /// `image`'s error.
        #[source]
        source: image::ImageError,
    },
    /// One capture is larger than the whole quota.
    #[error(
        "part {part_id}: capture of {bytes} bytes exceeds the whole quota of {quota_bytes} bytes"
    )]
    TooLarge {
        /// The part.
        part_id: u64,
        /// PNG + sidecar bytes.
        bytes: u64,
        /// `policy.quota_bytes`.
        quota_bytes: u64,
    },
    /// Writing, renaming or evicting a file failed (disk full, folder gone or read-only).
    #[error("part {part_id}: {operation} {} failed", path.display())]
    Io {
        /// The part.
        part_id: u64,
        /// "writing", "renaming to", "evicting".
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

/// What [`CaptureStore::keep`] did with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepOutcome {
    /// The policy did not select the frame.
    Skipped,
    /// The frame is stored.
    Kept {
        /// Why.
        reason: KeepReason,
        /// PNG + sidecar bytes.
        bytes: u64,
        /// Older captures evicted to make room.
        evicted: usize,
    },
}

/// Counters since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Frames stored.
    pub kept: u64,
    /// Frames the policy let go.
    pub skipped: u64,
    /// Frames selected but not stored (errors).
    pub failed: u64,
    /// Captures evicted for the quota.
    pub evicted: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    stem: String,
    bytes: u64,
}

/// The capture store; see the [module docs](self).
#[derive(Debug)]
pub struct CaptureStore<W = FsWriter> {
    dir: PathBuf,
    policy: CapturePolicy,
    bundle_hash: Option<String>,
    writer: W,
    /// Oldest first.
    entries: VecDeque<Entry>,
    used_bytes: u64,
    next_counter: u64,
    stats: CaptureStats,
}

impl CaptureStore<FsWriter> {
    /// Opens (creating if needed) the store in `dir`; see [`CaptureStore::with_writer`].
    ///
    /// # Errors
    /// As [`CaptureStore::with_writer`].
    pub fn open(dir: &Path, policy: CapturePolicy) -> Result<Self, CaptureError> {
        Self::with_writer(dir, policy, FsWriter)
    }
}

impl<W: StoreWriter> CaptureStore<W> {
    /// Opens the store in `dir` writing through `writer`: creates the folder, removes
    /// what a crash left (temp files, PNGs without sidecar) and counts the captures
    /// already there against the quota (evicted at the next keep if over).
    ///
    /// # Errors
    /// [`CaptureError::Policy`] for an unusable policy; [`CaptureError::Open`] if the
    /// folder cannot be created or listed.
    pub fn with_writer(dir: &Path, policy: CapturePolicy, writer: W) -> Result<Self, CaptureError> {
        policy.validate()?;
        let open_error = |source| CaptureError::Open {
            dir: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(open_error)?;
        let mut sidecars = Vec::new();
        let mut pngs = Vec::new();
        for entry in fs::read_dir(dir).map_err(open_error)? {
            let entry = entry.map_err(open_error)?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if name.starts_with(TEMP_PREFIX) {
                // Leftovers of an interrupted write; best effort.
                let _ = fs::remove_file(entry.path());
            } else if let Some((counter, stem)) = parse_name(&name, ".json") {
                let bytes = entry.metadata().map_err(open_error)?.len();
                sidecars.push((counter, stem, bytes));
            } else if let Some((_, stem)) = parse_name(&name, ".png") {
                pngs.push(stem);
            }
        }
        sidecars.sort();
        let mut entries = VecDeque::with_capacity(sidecars.len());
        let mut used_bytes = 0;
        for (_, stem, json_bytes) in &sidecars {
            let png_bytes = fs::metadata(dir.join(format!("{stem}.png"))).map_or(0, |m| m.len());
            used_bytes += json_bytes + png_bytes;
            entries.push_back(Entry {
                stem: stem.clone(),
                bytes: json_bytes + png_bytes,
            });
        }
        for stem in pngs {
            if !sidecars.iter().any(|(_, s, _)| *s == stem) {
                // A PNG whose sidecar never landed (or was evicted first): not a capture.
                let _ = fs::remove_file(dir.join(format!("{stem}.png")));
            }
        }
        let next_counter = sidecars.last().map_or(0, |(c, _, _)| c + 1);
        Ok(Self {
            dir: dir.to_path_buf(),
            policy,
            bundle_hash: None,
            writer,
            entries,
            used_bytes,
            next_counter,
            stats: CaptureStats::default(),
        })
    }

    /// Names the bundle that scores the parts, for the sidecars.
    #[must_use]
    pub fn with_bundle_hash(mut self, hash: impl Into<String>) -> Self {
        self.bundle_hash = Some(hash.into());
        self
    }

    /// Keeps `image` for the part of `record` if the policy selects it; see the
    /// [module docs](self).
    ///
    /// # Errors
    /// [`CaptureError::TooLarge`], [`CaptureError::Encode`] or [`CaptureError::Io`]:
    /// the frame is not stored, nothing partial is visible, the store stays usable.
    pub fn keep(
        &mut self,
        record: &VerdictRecord,
        image: &RgbImage,
    ) -> Result<KeepOutcome, CaptureError> {
        let normalised = record.score.map(|s| s.normalised);
        let Some(reason) = self
            .policy
            .select(record.part_id, record.verdict, normalised)
        else {
            self.stats.skipped += 1;
            return Ok(KeepOutcome::Skipped);
        };
        let result = self.store(record, image, reason);
        match &result {
            Ok(KeepOutcome::Kept { evicted, .. }) => {
                self.stats.kept += 1;
                self.stats.evicted += *evicted as u64;
            }
            Ok(KeepOutcome::Skipped) => {}
            Err(_) => self.stats.failed += 1,
        }
        result
    }

    fn store(
        &mut self,
        record: &VerdictRecord,
        image: &RgbImage,
        reason: KeepReason,
    ) -> Result<KeepOutcome, CaptureError> {
        let part_id = record.part_id;
        let stem = format!("{:010}-part{part_id}", self.next_counter);
        let mut png = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .map_err(|source| CaptureError::Encode { part_id, source })?;
        let sidecar = Sidecar {
            sidecar_version: SIDECAR_VERSION,
            image: format!("{stem}.png"),
            keep_reason: reason,
            bundle_hash: self.bundle_hash.clone(),
            record: record.clone(),
        };
        let json = serde_json::to_vec_pretty(&sidecar).map_err(|e| CaptureError::Io {
            part_id,
            operation: "serialising the sidecar for",
            path: self.dir.join(format!("{stem}.json")),
            source: e.into(),
        })?;
        let bytes = (png.len() + json.len()) as u64;
        if bytes > self.policy.quota_bytes {
            return Err(CaptureError::TooLarge {
                part_id,
                bytes,
                quota_bytes: self.policy.quota_bytes,
            });
        }
        let mut evicted = 0;
        while self.used_bytes + bytes > self.policy.quota_bytes {
            self.evict_oldest(part_id)?;
            evicted += 1;
        }
        self.write_pair(part_id, &stem, &png, &json)?;
        self.next_counter += 1;
        self.used_bytes += bytes;
        self.entries.push_back(Entry { stem, bytes });
        Ok(KeepOutcome::Kept {
            reason,
            bytes,
            evicted,
        })
    }

    fn evict_oldest(&mut self, part_id: u64) -> Result<(), CaptureError> {
        let Some(oldest) = self.entries.front() else {
            // Unreachable while used_bytes only counts entries; stop rather than loop.
            self.used_bytes = 0;
            return Ok(());
        };
        for ext in ["json", "png"] {
            let path = self.dir.join(format!("{}.{ext}", oldest.stem));
            match fs::remove_file(&path) {
                Ok(()) => {}
                // Already gone (removed by hand): the space is free all the same.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(CaptureError::Io {
                        part_id,
                        operation: "evicting",
                        path,
                        source,
                    })
                }
            }
        }
        self.used_bytes = self.used_bytes.saturating_sub(oldest.bytes);
        self.entries.pop_front();
        Ok(())
    }

    /// Writes both files under temp names, then renames PNG, then sidecar.
    fn write_pair(
        &mut self,
        part_id: u64,
        stem: &str,
        png: &[u8],
        json: &[u8],
    ) -> Result<(), CaptureError> {
        let final_png = self.dir.join(format!("{stem}.png"));
        let final_json = self.dir.join(format!("{stem}.json"));
        let temp_png = self.dir.join(format!("{TEMP_PREFIX}{stem}.png"));
        let temp_json = self.dir.join(format!("{TEMP_PREFIX}{stem}.json"));
        let io_error = |operation, path: &Path| {
            let path = path.to_path_buf();
            move |source| CaptureError::Io {
                part_id,
                operation,
                path,
                source,
            }
        };
        let cleanup = |paths: &[&Path]| {
            for path in paths {
                let _ = fs::remove_file(path);
            }
        };
        if let Err(e) = self.writer.write_file(&temp_png, png) {
            cleanup(&[&temp_png]);
            return Err(io_error("writing", &temp_png)(e));
        }
        if let Err(e) = self.writer.write_file(&temp_json, json) {
            cleanup(&[&temp_png, &temp_json]);
            return Err(io_error("writing", &temp_json)(e));
        }
        if let Err(e) = fs::rename(&temp_png, &final_png) {
            cleanup(&[&temp_png, &temp_json]);
            return Err(io_error("renaming to", &final_png)(e));
        }
        if let Err(e) = fs::rename(&temp_json, &final_json) {
            cleanup(&[&temp_json, &final_png]);
            return Err(io_error("renaming to", &final_json)(e));
        }
        Ok(())
    }

    /// Counters since the store was opened.
    #[must_use]
    pub fn stats(&self) -> CaptureStats {
        self.stats
    }

    /// Content bytes of all captures.
    #[must_use]
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    /// Captures in the store.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store holds no capture.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The sidecar paths, oldest first (each PNG is the sidecar's `image`).
    pub fn sidecars(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.entries
            .iter()
            .map(|e| self.dir.join(format!("{}.json", e.stem)))
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &CapturePolicy {
        &self.policy
    }
}

/// The newest `n` captures in `dir` (those with a sidecar), newest first, as (PNG,
/// sidecar) paths. Only reads the folder, so it is safe beside a store writing there: a
/// capture evicted meanwhile is simply missing when its files are opened.
///
/// # Errors
/// The folder cannot be listed.
pub fn latest_captures(dir: &Path, n: usize) -> io::Result<Vec<(PathBuf, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str() {
            if let Some(capture) = parse_name(name, ".json") {
                found.push(capture);
            }
        }
    }
    found.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
    Ok(found
        .into_iter()
        .take(n)
        .map(|(_, stem)| {
            (
                dir.join(format!("{stem}.png")),
                dir.join(format!("{stem}.json")),
            )
        })
        .collect())
}

/// `NNNNNNNNNN-partID{ext}` → (counter, stem); anything else is not ours.
fn parse_name(name: &str, ext: &str) -> Option<(u64, String)> {
    let stem = name.strip_suffix(ext)?;
    let (counter, part) = stem.split_once("-part")?;
    let valid = counter.len() >= 10
        && counter.bytes().all(|b| b.is_ascii_digit())
        && !part.is_empty()
        && part.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    Some((counter.parse().ok()?, stem.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::parse_name;

    #[test]
    fn only_our_names_are_recognised() {
        assert_eq!(
            parse_name("0000000012-part7.json", ".json"),
            Some((12, "0000000012-part7".to_owned()))
        );
        for other in [
            "notes.json",
            "12-part7.json",
            "0000000012-part.json",
            "0000000012-partx.json",
            "0000000012-part7.png",
            "000000001a-part7.json",
        ] {
            assert_eq!(parse_name(other, ".json"), None, "{other}");
        }
    }
}
