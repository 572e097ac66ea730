//! Checkpoints: the last weights and optimiser state, the best weights, and a small JSON
//! state (step, losses, which run wrote it). Every file is written beside its final name
//! and renamed into place, so a killed run leaves the previous checkpoint whole.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::{ModuleOptimizer, OptimizerRecord};
use burn::store::ModuleRecord;
use serde::{Deserialize, Serialize};

use super::arch::StudentNet;
use super::error::StudentError;

/// The progress a checkpoint records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Which run this is: architecture, data fingerprint, settings (resuming another
    /// run's checkpoint is refused).
    pub run: String,
    /// Steps done.
    pub step: usize,
    /// Held-out loss of the kept weights (the lowest so far, unless the weights are
    /// chosen by separation).
    pub best_loss: f32,
    /// The step of the kept weights.
    pub best_step: usize,
    /// Evaluations since the last 1 % improvement of the lowest held-out loss.
    pub stale_evals: usize,
    /// `(step, train loss, held-out loss)` at every evaluation.
    pub history: Vec<(usize, f32, f32)>,
    /// Lowest held-out loss so far (`None` in checkpoints written before it was kept
    /// apart from `best_loss`).
    #[serde(default)]
    pub lowest_loss: Option<f32>,
    /// Separation of the kept weights, when weights are chosen by it.
    #[serde(default)]
    pub best_separation: Option<Separation>,
    /// `(step, separation)` at every evaluation, when it is measured.
    #[serde(default)]
    pub separations: Vec<(usize, Separation)>,
}

/// How well an anomaly student's error tells held-out goods from the same images with
/// synthetic anomalies: image score = the largest per-cell squared error (mean over
/// channels), as the pair's map scores a frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Separation {
    /// Image AUROC, anomalous copies against goods.
    pub auroc: f32,
    /// Median anomalous score over the highest good score (> 1: most defects above
    /// every good part); breaks AUROC ties, which synthetic defects make common.
    pub margin: f32,
}

impl Separation {
    /// `true` when `self` separates better than `other`.
    #[must_use]
    pub fn beats(&self, other: &Separation) -> bool {
        (self.auroc, self.margin) > (other.auroc, other.margin)
    }
}

/// The checkpoint folder's files.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
}

fn failed(path: &Path, problem: impl std::fmt::Display) -> StudentError {
    StudentError::Checkpoint {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

fn temporary(path: &Path) -> PathBuf {
    shared::bundle::with_suffix(path, ".tmp")
}

fn commit(path: &Path) -> Result<(), StudentError> {
    std::fs::rename(temporary(path), path).map_err(|e| failed(path, e))
}

impl Checkpoints {
    /// The folder `dir` (created on first save).
    #[must_use]
    pub fn new(dir: &Path) -> Self {
        Checkpoints {
            dir: dir.to_path_buf(),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `true` when a complete checkpoint is there.
    #[must_use]
    pub fn exists(&self) -> bool {
        ["state.json", "last.bpk", "optimizer.bpk", "best.bpk"]
            .iter()
            .all(|f| self.file(f).is_file())
    }

    /// Saves the last weights, the optimiser, the best weights and the state (the state
    /// last: it is what marks the checkpoint complete).
    ///
    /// # Errors
    /// [`StudentError::Checkpoint`] naming the file.
    pub fn save(
        &self,
        last: &StudentNet,
        optimizer: &ModuleOptimizer,
        best: &StudentNet,
        state: &TrainState,
    ) -> Result<(), StudentError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| failed(&self.dir, e))?;
        for (name, net) in [("last.bpk", last), ("best.bpk", best)] {
            let path = self.file(name);
            net.clone()
                .save_file(temporary(&path))
                .map_err(|e| failed(&path, format!("{e:?}")))?;
            commit(&path)?;
        }
        let path = self.file("optimizer.bpk");
        optimizer
            .to_record()
            .save(temporary(&path))
            .map_err(|e| failed(&path, format!("{e:?}")))?;
        commit(&path)?;
        let path = self.file("state.json");
        let json = serde_json::to_vec_pretty(state).map_err(|e| failed(&path, e))?;
        std::fs::write(temporary(&path), json).map_err(|e| failed(&path, e))?;
        commit(&path)
    }

    /// Loads the checkpoint into freshly built `last`/`best` nets and `optimizer`, after
    /// checking it belongs to `run`.
    ///
    /// # Errors
    /// Unreadable or foreign checkpoint files.
    pub fn load(
        &self,
        run: &str,
        last: StudentNet,
        optimizer: ModuleOptimizer,
        best: StudentNet,
    ) -> Result<(StudentNet, ModuleOptimizer, StudentNet, TrainState), StudentError> {
        let path = self.file("state.json");
        let bytes = std::fs::read(&path).map_err(|e| failed(&path, e))?;
        let state: TrainState = serde_json::from_slice(&bytes).map_err(|e| failed(&path, e))?;
        if state.run != run {
            return Err(StudentError::CheckpointMismatch {
                path,
                found: state.run,
                expected: run.to_string(),
            });
        }
        let read_net = |name: &str, net: StudentNet| {
            let path = self.file(name);
            let record = ModuleRecord::load(&path).map_err(|e| failed(&path, format!("{e:?}")))?;
            net.try_load_record(record)
                .map_err(|e| failed(&path, format!("{e:?}")))
        };
        let last = read_net("last.bpk", last)?;
        let best = read_net("best.bpk", best)?;
        let path = self.file("optimizer.bpk");
        let record = OptimizerRecord::load(&path).map_err(|e| failed(&path, format!("{e:?}")))?;
        Ok((last, optimizer.load_record(record), best, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separation_ranks_by_auroc_then_margin() {
        let s = |auroc, margin| Separation { auroc, margin };
        assert!(s(0.9, 0.5).beats(&s(0.8, 3.0)));
        assert!(s(1.0, 1.4).beats(&s(1.0, 1.2)));
        assert!(!s(1.0, 1.2).beats(&s(1.0, 1.2)));
        assert!(!s(0.7, 9.0).beats(&s(0.8, 0.1)));
    }

    #[test]
    fn a_state_written_before_separation_still_loads() {
        let old = r#"{"run":"r","step":100,"best_loss":0.5,"best_step":50,"stale_evals":1,
                      "history":[[50,1.0,0.5],[100,0.9,0.6]]}"#;
        let state: TrainState = serde_json::from_str(old).unwrap();
        assert_eq!((state.step, state.best_step), (100, 50));
        assert_eq!(state.lowest_loss, None);
        assert_eq!(state.best_separation, None);
        assert!(state.separations.is_empty());
    }
}
