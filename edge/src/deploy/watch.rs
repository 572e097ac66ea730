//! [`BundleWatcher`]: has the bundle file changed? Polls the path's metadata; users
//! replace the file by renaming a new one over it (atomic), but a copy in place is
//! half-written for a while, so a change is reported only once two polls in a row see
//! the same metadata. A half-written file that still slips through fails validation
//! (format error) and is refused; the finished file changes the metadata again and is
//! tried afresh.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What identifies one version of the file without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// Bytes.
    pub len: u64,
    /// Last modification.
    pub modified: Option<SystemTime>,
    /// Inode (a rename over the path changes it even within one mtime tick); 0 off Unix.
    pub inode: u64,
}

impl Fingerprint {
    /// The file at `path` now; `None` while it does not exist (between unlink and
    /// rename) or cannot be read.
    #[must_use]
    pub fn of(path: &Path) -> Option<Fingerprint> {
        // `metadata` of a short path builds its C string on the stack: no allocation.
        let meta = std::fs::metadata(path).ok()?;
        Some(Fingerprint {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode: inode(&meta),
        })
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    meta.ino()
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct BundleWatcher {
    path: PathBuf,
    /// The version last handed on (at first: the running bundle's).
    handled: Option<Fingerprint>,
    /// The previous poll's view.
    last: Option<Fingerprint>,
}

impl BundleWatcher {
    /// Watches `path`, taking its current version as the one running.
    #[must_use]
    pub fn new(path: &Path) -> Self {
        let now = Fingerprint::of(path);
        Self {
            path: path.to_path_buf(),
            handled: now,
            last: now,
        }
    }

    /// The watched path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Polls once: `true` when the file differs from the version last handed on and
    /// two polls in a row agreed on it; that version counts as handed on from then.
    pub fn poll(&mut self) -> bool {
        let now = Fingerprint::of(&self.path);
        let settled = now == self.last;
        self.last = now;
        if now.is_some() && settled && now != self.handled {
            self.handled = now;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_reported_once_after_it_settles() {
        let dir = std::env::temp_dir().join(format!("edge-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("model.bundle");
        std::fs::write(&path, b"one").expect("write");
        let mut w = BundleWatcher::new(&path);
        assert!(!w.poll(), "nothing changed");
        std::fs::write(dir.join("next"), b"second version").expect("write");
        std::fs::rename(dir.join("next"), &path).expect("rename");
        assert!(!w.poll(), "first sight: not settled yet");
        assert!(w.poll(), "settled");
        assert!(!w.poll(), "reported once");
        std::fs::remove_file(&path).expect("remove");
        assert!(
            !w.poll() && !w.poll(),
            "a missing file is no change to act on"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
