//! Ground truth of replayed frames: in the MVTec AD layout (`…/test/<type>/<file>`) the
//! folder name says whether a part is good (`good`) or defective (anything else), so a
//! replay can report its catch rate and false rejects. Frames from anywhere else have no
//! truth.

use std::path::{Component, Path};

use crate::source::FrameOrigin;

/// What the frame's path says about the part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    /// `…/test/good/<file>`.
    Good,
    /// `…/test/<defect type>/<file>`.
    Defective,
}

/// The truth of a frame from an MVTec-layout folder; `None` for any other origin.
#[must_use]
pub fn truth_of(origin: &FrameOrigin) -> Option<Truth> {
    match origin {
        FrameOrigin::File(path) => truth_of_path(path),
        FrameOrigin::Camera { .. } | FrameOrigin::Other(_) => None,
    }
}

/// As [`truth_of`], for a path: its parent must sit directly in a folder named `test`.
#[must_use]
pub fn truth_of_path(path: &Path) -> Option<Truth> {
    let mut folders = path.parent()?.components().rev();
    let kind = match folders.next()? {
        Component::Normal(name) => name,
        _ => return None,
    };
    match folders.next()? {
        Component::Normal(split) if split == "test" => {}
        _ => return None,
    }
    Some(if kind == "good" {
        Truth::Good
    } else {
        Truth::Defective
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_mvtec_test_layout_has_truth() {
        let t = |p: &str| truth_of_path(Path::new(p));
        assert_eq!(t("/d/bottle/test/good/000.png"), Some(Truth::Good));
        assert_eq!(
            t("bottle/test/broken_large/001.png"),
            Some(Truth::Defective)
        );
        assert_eq!(t("test/good/a.png"), Some(Truth::Good));
        assert_eq!(t("/d/bottle/train/good/000.png"), None);
        assert_eq!(t("/d/frames/000.png"), None);
        assert_eq!(t("good/000.png"), None);
        assert_eq!(t("000.png"), None);
        assert_eq!(
            truth_of(&FrameOrigin::Other("synthetic".into())),
            None,
            "non-file frames have no truth"
        );
    }
}
