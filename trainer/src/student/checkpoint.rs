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
    /// Lowest held-out loss so far.
    pub best_loss: f32,
    /// The step that reached it.
    pub best_step: usize,
    /// Evaluations since the last 1 % improvement.
    pub stale_evals: usize,
    /// `(step, train loss, held-out loss)` at every evaluation.
    pub history: Vec<(usize, f32, f32)>,
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
