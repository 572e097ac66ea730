//! Deterministic synthetic anomaly datasets in the MVTec AD layout, for demos and tests
//! that must not depend on downloaded data.
//!
//! [`generate`] writes one category: `train/good`, `test/good`, `test/<defect>` and
//! `ground_truth/<defect>/<stem>_mask.png`, plus `synth.json` (the configuration and the
//! list of files written). A [`scene::Material`] fixes the category's look from the seed;
//! each image draws a [`scene::View`] (pose jitter, texture phase, lighting, noise) and,
//! in the defect folders, a [`defect::Defect`] whose mask is drawn before any pixel changes.
//!
//! Always holds: the same [`SynthConfig`] gives byte-identical files on every run (own
//! PRNG, one stream per image and purpose, so thread scheduling does not matter); a mask
//! exists exactly for defect images, is non-empty and has its image's size. Across
//! machines, pixels depend on the platform's `sin`/`exp`/`powf` and bytes on the `png`
//! encoder's version; both lie outside this module's control.

pub mod defect;
mod generate;
pub(crate) mod noise;
pub mod render;
pub mod rng;
pub mod scene;

pub use defect::DefectKind;
pub use generate::{generate, SynthSummary};

use std::path::PathBuf;

use serde::Serialize;

/// What the images show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Scene {
    /// A machined washer (bore, bolt holes, key slot) in a fixture on a dark plate.
    #[default]
    Part,
    /// A textured surface filling the frame (see [`TextureKind`]).
    Texture,
}

/// The surface of a [`Scene::Texture`] category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TextureKind {
    /// Brushed metal: long directional streaks.
    Brushed,
    /// Plain-weave fabric.
    #[default]
    Weave,
    /// Granular stone with light and dark grains.
    Stone,
}

/// What to generate. `Default` is the quick demo set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SynthConfig {
    /// Seed: the same seed gives the same files.
    pub seed: u64,
    /// What the images show.
    pub scene: Scene,
    /// Surface for [`Scene::Texture`] (ignored for [`Scene::Part`]).
    pub texture: TextureKind,
    /// Image width and height in pixels (32..=2048).
    pub size: u32,
    /// Good training images.
    pub train: usize,
    /// Good test images.
    pub test_good: usize,
    /// Defect test images, spread round-robin over `defects`.
    pub test_defect: usize,
    /// Defect kinds to draw (at least one when `test_defect` > 0).
    pub defects: Vec<DefectKind>,
    /// Write into a non-empty folder (files this generator wrote before, as listed in its
    /// `synth.json`, are removed first; nothing else is deleted).
    #[serde(skip)]
    pub force: bool,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 0,
            scene: Scene::Part,
            texture: TextureKind::Weave,
            size: 256,
            train: 80,
            test_good: 20,
            test_defect: 40,
            defects: DefectKind::ALL.to_vec(),
            force: false,
        }
    }
}

/// Smallest and largest image size accepted.
pub const SIZE_RANGE: std::ops::RangeInclusive<u32> = 32..=2048;

/// Why a dataset could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The configuration cannot be generated.
    #[error("invalid synthetic dataset configuration: {0}")]
    Config(String),
    /// The output folder holds files and `force` was not given.
    #[error(
        "{} is not empty ({found}); choose an empty or new folder, or pass --force to write \
         into it (only files listed in its synth.json are removed)",
        path.display()
    )]
    NotEmpty {
        /// The output folder.
        path: PathBuf,
        /// Some of what it holds.
        found: String,
    },
    /// A file or folder could not be written, read or removed.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An image could not be encoded.
    #[error("cannot encode {}", path.display())]
    Encode {
        /// The file being written.
        path: PathBuf,
        /// The encoder's error.
        #[source]
        source: image::ImageError,
    },
}
