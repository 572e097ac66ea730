//! Helpers shared by the trainer's integration tests.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh path under the system temp dir, unique per process and call, removed (with
/// everything below it) on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// The path, not yet created (for code that must create its own output folder).
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("trainer-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    /// The path, created empty.
    pub fn create(tag: &str) -> Self {
        let dir = TempDir::new(tag);
        std::fs::create_dir_all(&dir.0).expect("create temp dir");
        dir
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
