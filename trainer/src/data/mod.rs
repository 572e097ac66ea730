//! Datasets of images for training and evaluation: the MVTec AD layout and plain folders of
//! good images, image and mask loading, provenance fingerprints and inspection.
//!
//! - [`load`] auto-detects the layout; [`load_mvtec`] and [`load_folder`] are explicit.
//!   Both give a [`Dataset`]: training samples (always good) and test samples (good or a
//!   named defect type, with an optional ground-truth mask), in sorted, deterministic order.
//! - [`load_rgb`] and [`load_mask`] decode one image or mask; every error names the file.
//! - [`fingerprint`] hashes the dataset's relative paths and bytes (bundle provenance).
//! - [`inspect`] summarises a folder for the user without decoding images where headers
//!   suffice (counts, sizes, colour, mask coverage).
//!
//! Always holds: paths in a [`Dataset`] are existing files with a supported image
//! extension (PNG or JPEG, any case); training samples have defect type [`GOOD`].

mod error;
mod fingerprint;
mod image_io;
mod inspect;
mod layout;

pub use error::DataError;
pub use fingerprint::fingerprint;
pub use image_io::{is_image_path, load_mask, load_mask_file, load_rgb};
pub use inspect::{inspect, DefectStats, Inspection, MaskCoverage, SizeCount};
pub use layout::{load, load_folder, load_mvtec};

use std::path::PathBuf;

use serde::Serialize;

/// The defect type of normal (defect-free) images.
pub const GOOD: &str = "good";

/// How a dataset's folder is organised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// `train/good/`, `test/<type>/`, `ground_truth/<type>/<stem>_mask.png`.
    MvtecAd,
    /// A folder (searched recursively) of good images only; no test split.
    Folder,
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Layout::MvtecAd => "MVTec AD layout",
            Layout::Folder => "plain folder of good images",
        })
    }
}

/// One image of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// The image file.
    pub path: PathBuf,
    /// [`GOOD`] or the defect type (the name of its `test/<type>` folder).
    pub defect: String,
    /// Ground-truth mask (0 = normal, > 127 = defect), when the dataset has one.
    pub mask: Option<PathBuf>,
}

impl Sample {
    /// True for images of a defect type, i.e. anything but [`GOOD`].
    pub fn is_anomalous(&self) -> bool {
        self.defect != GOOD
    }
}

/// A loaded (listed, not decoded) dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dataset {
    /// Name of the dataset, the root folder's name (e.g. `bottle`).
    pub name: String,
    /// The folder it was loaded from.
    pub root: PathBuf,
    /// How the folder is organised.
    pub layout: Layout,
    /// Good training images, sorted by path.
    pub train: Vec<Sample>,
    /// Test images, sorted by defect type then file name; empty for [`Layout::Folder`].
    pub test: Vec<Sample>,
}

impl Dataset {
    /// Test samples of one defect type ([`GOOD`] included), in order.
    pub fn test_of<'a>(&'a self, defect: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
        self.test.iter().filter(move |s| s.defect == defect)
    }

    /// Distinct defect types of the test split, sorted, without [`GOOD`].
    pub fn defect_types(&self) -> Vec<&str> {
        let mut types: Vec<&str> = self
            .test
            .iter()
            .filter(|s| s.is_anomalous())
            .map(|s| s.defect.as_str())
            .collect();
        types.sort_unstable();
        types.dedup();
        types
    }
}
