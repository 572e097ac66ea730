//! Distilled students: small plain-convolution networks trained with burn to reproduce
//! the teacher's patch features, so the device never runs the depthwise teacher (slow
//! in tract, DESIGN.md).
//!
//! - [`arch`]: the shapes ([`StudentArch`]) and the burn module ([`StudentNet`]).
//! - [`data`]: training images (with augmented and synthetic-anomaly copies) and their
//!   normalised teacher targets ([`TrainingSet`]).
//! - [`batch`]: seeded, resumable batch order and tensors.
//! - [`train`](mod@train): the loop: Adam, hard-feature loss option, held-out early
//!   stopping, checkpoints and resume ([`train_student`]).
//! - [`export`]: the trained student as an ONNX feature graph ([`student_graph`]) that
//!   a bundle ships in place of the teacher's, or a feature student and an anomaly
//!   student as one graph whose output is the anomaly map ([`pair_graph`]).

pub mod arch;
pub mod batch;
pub mod checkpoint;
pub mod config;
pub mod data;
mod error;
pub mod export;
pub mod train;

pub use arch::{ConvSpec, StudentArch, StudentNet};
pub use checkpoint::Separation;
pub use config::{StudentConfig, TrainDevice};
pub use data::{Augment, SyntheticAnomalies, TrainingSet};
pub use error::StudentError;
pub use export::{pair_graph, student_graph};
pub use train::{train_student, train_student_separating, TrainedStudent};
