//! The one error type of [`crate::data`]; every variant names the file or folder involved.

use std::path::PathBuf;

/// A dataset could not be listed, read or checked.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file or folder could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The dataset folder does not exist or is not a folder.
    #[error(
        "{}: no such folder (expected a dataset folder: the MVTec AD layout or a folder of \
         good images)",
        path.display()
    )]
    NotAFolder {
        /// The path given.
        path: PathBuf,
    },
    /// The MVTec AD layout was asked for but `train/good` is missing.
    #[error(
        "{}: expected the MVTec AD layout (train/good/*.png|jpg, test/<type>/*, \
         ground_truth/<type>/<stem>_mask.png) but there is no train/good folder; found {found}",
        root.display()
    )]
    MissingTrainGood {
        /// The dataset folder.
        root: PathBuf,
        /// What the folder holds instead, in words.
        found: String,
    },
    /// A folder holds no image (PNG or JPEG) at all.
    #[error(
        "{}: no images found (looked for *.png, *.jpg, *.jpeg in any case{}); found {found}",
        root.display(),
        if *recursive { ", recursively" } else { "" }
    )]
    NoImages {
        /// The folder searched.
        root: PathBuf,
        /// Whether sub-folders were searched too.
        recursive: bool,
        /// What the folder holds instead, in words.
        found: String,
    },
    /// An image or mask file could not be decoded.
    #[error("cannot decode image {}", path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: image::ImageError,
    },
    /// A mask's size differs from its image's.
    #[error(
        "mask {} is {}x{} but its image {} is {}x{}; masks must match their image pixel for pixel",
        mask.display(), mask_size.0, mask_size.1, image.display(), image_size.0, image_size.1
    )]
    MaskSize {
        /// The mask file.
        mask: PathBuf,
        /// Mask width, height in pixels.
        mask_size: (u32, u32),
        /// The image file.
        image: PathBuf,
        /// Image width, height in pixels.
        image_size: (u32, u32),
    },
    /// Several files failed a check that looks at every file (e.g. inspection), in path
    /// order; each entry names its file.
    #[error("{}", list_problems(.0))]
    Several(Vec<DataError>),
}

/// Problems listed in full by [`DataError::Several`]; the rest are counted.
const LISTED_PROBLEMS: usize = 10;

fn list_problems(errors: &[DataError]) -> String {
    let mut out = format!("{} files have problems:", errors.len());
    for err in errors.iter().take(LISTED_PROBLEMS) {
        out.push_str(&format!("\n  - {err}"));
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            out.push_str(&format!(": {cause}"));
            source = cause.source();
        }
    }
    if errors.len() > LISTED_PROBLEMS {
        out.push_str(&format!(
            "\n  - and {} more",
            errors.len() - LISTED_PROBLEMS
        ));
    }
    out
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn image(path: impl Into<PathBuf>, source: image::ImageError) -> Self {
        DataError::Image {
            path: path.into(),
            source,
        }
    }
}
