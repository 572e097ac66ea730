//! What can go wrong training or exporting a student.

use std::path::PathBuf;

use crate::features::FeatureError;
use crate::onnx::OnnxError;

/// Student training and export errors.
#[derive(Debug, thiserror::Error)]
pub enum StudentError {
    /// A setting out of range.
    #[error("student setting `{field}`: {problem}")]
    Config {
        /// The setting (as the CLI names it).
        field: &'static str,
        /// What is wrong and what to use.
        problem: String,
    },
    /// The teacher failed on a training image.
    #[error("teacher features for the student: {0}")]
    Teacher(#[from] FeatureError),
    /// The student's output grid differs from the teacher's.
    #[error(
        "the student maps a {input_w}×{input_h} input to a {student_w}×{student_h} grid but \
         the teacher gives {teacher_w}×{teacher_h}; use an input size divisible by 8"
    )]
    Grid {
        /// Input width.
        input_w: usize,
        /// Input height.
        input_h: usize,
        /// Student grid width.
        student_w: usize,
        /// Student grid height.
        student_h: usize,
        /// Teacher grid width.
        teacher_w: usize,
        /// Teacher grid height.
        teacher_h: usize,
    },
    /// The loss became NaN or infinite.
    #[error("training diverged at step {step} (loss {loss}); lower --student-lr")]
    Diverged {
        /// The step.
        step: usize,
        /// The loss value.
        loss: f32,
    },
    /// A checkpoint could not be written or read.
    #[error("checkpoint {}: {problem}", path.display())]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What failed.
        problem: String,
    },
    /// The checkpoint belongs to another run.
    #[error(
        "checkpoint {} was written for another run ({found}); this run is {expected}: delete the \
         folder or drop --resume",
        path.display()
    )]
    CheckpointMismatch {
        /// The state file.
        path: PathBuf,
        /// The run it describes.
        found: String,
        /// This run.
        expected: String,
    },
    /// Writing the ONNX graph failed.
    #[error("student ONNX graph: {0}")]
    Onnx(#[from] OnnxError),
}
