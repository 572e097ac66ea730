//! File I/O for bundles (feature `std`): atomic replacement on write, and errors that
//! name the file on read and write.
//!
//! What always holds: after [`Bundle::write_to`] returns, the file at `path` is either
//! the complete new bundle or exactly what was there before (possibly nothing), and no
//! temporary file is left behind, except when the final directory fsync fails (the new
//! file is then in place but may not survive a power cut; the error says so).

use alloc::boxed::Box;
use alloc::format;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Bundle, BundleError};

/// Distinguishes temporary files of concurrent writers in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Steps of an atomic write, for fault injection in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Write,
    SyncFile,
    Rename,
    SyncDir,
}

fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> BundleError + 'a {
    move |source| BundleError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn tag(path: &Path, err: BundleError) -> BundleError {
    match err {
        BundleError::Io { .. } | BundleError::File { .. } => err,
        other => BundleError::File {
            path: path.to_path_buf(),
            source: Box::new(other),
        },
    }
}

impl Bundle {
    /// Writes the bundle to `path` atomically: [`Bundle::check`], then a temporary file
    /// in the same directory (`.<name>.tmp-<pid>-<n>`), write, fsync, rename over `path`,
    /// fsync the directory. On any failure before the rename the old file at `path` is
    /// untouched and the temporary file removed.
    ///
    /// # Errors
    /// Check failures wrapped in [`BundleError::File`] naming `path`;
    /// [`BundleError::Io`] naming the file or directory and the step that failed.
    pub fn write_to(&self, path: &Path) -> Result<(), BundleError> {
        self.check().map_err(|e| tag(path, e))?;
        write_atomically(path, &self.to_bytes(), &mut |_| Ok(()))
    }

    /// Reads and decodes the bundle at `path` (see [`Bundle::from_bytes`]).
    ///
    /// # Errors
    /// [`BundleError::Io`] if the file cannot be read; any format error wrapped in
    /// [`BundleError::File`] naming `path` (use [`BundleError::root`] to match on it).
    pub fn read_from(path: &Path) -> Result<Bundle, BundleError> {
        let bytes = fs::read(path).map_err(io_error("read bundle file", path))?;
        Bundle::from_bytes(&bytes).map_err(|e| tag(path, e))
    }
}

/// The atomic-replace protocol; `fault` runs before each step and may fail it.
fn write_atomically(
    path: &Path,
    bytes: &[u8],
    fault: &mut dyn FnMut(Step) -> io::Result<()>,
) -> Result<(), BundleError> {
    let file_name = path.file_name().ok_or_else(|| BundleError::Io {
        action: "write bundle to",
        path: path.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io_error("create temporary file", &tmp))?;

    let written = (|| {
        fault(Step::Write)
            .and_then(|()| file.write_all(bytes))
            .map_err(io_error("write temporary file", &tmp))?;
        fault(Step::SyncFile)
            .and_then(|()| file.sync_all())
            .map_err(io_error("fsync temporary file", &tmp))?;
        drop(file);
        fault(Step::Rename)
            .and_then(|()| fs::rename(&tmp, path))
            .map_err(io_error("rename temporary file over", path))
    })();
    if let Err(e) = written {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fault(Step::SyncDir)
        .and_then(|()| File::open(&dir)?.sync_all())
        .map_err(io_error(
            "fsync directory (new bundle is in place but may not be durable)",
            &dir,
        ))
}

/// `path` with `suffix` appended to its file name, in the same folder:
/// `model.bundle` + `.sig` → `model.bundle.sig`. The sibling files around a bundle
/// (signature, unverified copy, key pair, temporaries) are all named this way.
#[must_use]
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("shared-io-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn failure_at_any_step_before_rename_keeps_old_file_and_removes_temp() {
        for step in [Step::Write, Step::SyncFile, Step::Rename] {
            let dir = scratch_dir(&format!("{step:?}"));
            let target = dir.join("model.bundle");
            fs::write(&target, b"old contents").unwrap();
            let err = write_atomically(&target, b"new contents", &mut |s| {
                if s == step {
                    Err(io::Error::other("injected"))
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
            assert!(matches!(err, BundleError::Io { .. }), "{step:?}: {err:?}");
            assert_eq!(fs::read(&target).unwrap(), b"old contents", "{step:?}");
            assert_eq!(entries(&dir), ["model.bundle"], "{step:?}");
            fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn failed_directory_sync_reports_but_new_file_is_in_place() {
        let dir = scratch_dir("syncdir");
        let target = dir.join("model.bundle");
        fs::write(&target, b"old").unwrap();
        let err = write_atomically(&target, b"new", &mut |s| {
            if s == Step::SyncDir {
                Err(io::Error::other("injected"))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("fsync directory"), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(entries(&dir), ["model.bundle"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn successful_write_leaves_only_the_target() {
        let dir = scratch_dir("ok");
        let target = dir.join("model.bundle");
        write_atomically(&target, b"abc", &mut |_| Ok(())).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"abc");
        assert_eq!(entries(&dir), ["model.bundle"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
