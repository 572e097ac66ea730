//! Listing a dataset folder: the MVTec AD layout, a plain folder of good images, and the
//! auto-detection between them. Lists files only; nothing is decoded here.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::image_io::is_image_path;
use super::{DataError, Dataset, Layout, Sample, GOOD};

/// Loads `root` as MVTec AD when it has `train/good`, otherwise as a plain folder of good
/// images; fails with a message saying what was expected when neither fits.
pub fn load(root: &Path) -> Result<Dataset, DataError> {
    require_folder(root)?;
    if root.join("train").join(GOOD).is_dir() {
        return load_mvtec(root);
    }
    load_folder(root).map_err(|err| match err {
        DataError::NoImages { root, found, .. } => DataError::NoImages {
            found: format!(
                "{found}, and no train/good folder of the MVTec AD layout (train/good/, \
                 test/<type>/, ground_truth/<type>/<stem>_mask.png)"
            ),
            root,
            recursive: true,
        },
        other => other,
    })
}

/// Loads the MVTec AD layout: `train/good/*`, `test/<type>/*` (`good` is the normal type)
/// and `ground_truth/<type>/<stem>_mask.<ext>`. A test image without a mask is allowed
/// (its `mask` is `None`); `test/` and `ground_truth/` may be absent.
pub fn load_mvtec(root: &Path) -> Result<Dataset, DataError> {
    require_folder(root)?;
    let train_dir = root.join("train").join(GOOD);
    if !train_dir.is_dir() {
        return Err(DataError::MissingTrainGood {
            root: root.to_path_buf(),
            found: describe(root),
        });
    }
    let train: Vec<Sample> = images_in(&train_dir)?
        .into_iter()
        .map(|path| Sample {
            path,
            defect: GOOD.to_string(),
            mask: None,
        })
        .collect();
    if train.is_empty() {
        return Err(DataError::NoImages {
            root: train_dir,
            recursive: false,
            found: describe(&root.join("train").join(GOOD)),
        });
    }

    let mut test = Vec::new();
    let test_dir = root.join("test");
    if test_dir.is_dir() {
        for type_dir in subdirs(&test_dir)? {
            let defect = file_name(&type_dir);
            let masks = masks_in(&root.join("ground_truth").join(&defect))?;
            for path in images_in(&type_dir)? {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mask = masks.get(&stem).cloned();
                test.push(Sample {
                    path,
                    defect: defect.clone(),
                    mask,
                });
            }
        }
    }

    Ok(Dataset {
        name: dataset_name(root),
        root: root.to_path_buf(),
        layout: Layout::MvtecAd,
        train,
        test,
    })
}

/// Loads a plain folder of good images, searched recursively (hidden entries skipped),
/// sorted by path. All images become training samples; the test split is empty.
pub fn load_folder(root: &Path) -> Result<Dataset, DataError> {
    require_folder(root)?;
    let mut paths = Vec::new();
    collect_recursive(root, &mut paths)?;
    paths.sort();
    if paths.is_empty() {
        return Err(DataError::NoImages {
            root: root.to_path_buf(),
            recursive: true,
            found: describe(root),
        });
    }
    Ok(Dataset {
        name: dataset_name(root),
        root: root.to_path_buf(),
        layout: Layout::Folder,
        train: paths
            .into_iter()
            .map(|path| Sample {
                path,
                defect: GOOD.to_string(),
                mask: None,
            })
            .collect(),
        test: Vec::new(),
    })
}

/// Masks of one `ground_truth/<type>` folder keyed by image stem (`000_mask.png` → `000`).
pub(crate) fn masks_in(dir: &Path) -> Result<BTreeMap<String, PathBuf>, DataError> {
    if !dir.is_dir() {
        return Ok(BTreeMap::new());
    }
    Ok(images_in(dir)?
        .into_iter()
        .filter_map(|path| {
            let stem = path.file_stem()?.to_str()?;
            let image_stem = stem.strip_suffix("_mask")?.to_string();
            Some((image_stem, path))
        })
        .collect())
}

fn require_folder(root: &Path) -> Result<(), DataError> {
    if root.is_dir() {
        Ok(())
    } else {
        Err(DataError::NotAFolder {
            path: root.to_path_buf(),
        })
    }
}

fn dataset_name(root: &Path) -> String {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".to_string())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_hidden(path: &Path) -> bool {
    file_name(path).starts_with('.')
}

/// Sorted, non-hidden entries of `dir`.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| DataError::io(dir, e))? {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        if !is_hidden(&path) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Sorted image files directly in `dir`.
pub(crate) fn images_in(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    Ok(entries(dir)?
        .into_iter()
        .filter(|p| p.is_file() && is_image_path(p))
        .collect())
}

/// Sorted sub-folders of `dir`.
pub(crate) fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    Ok(entries(dir)?.into_iter().filter(|p| p.is_dir()).collect())
}

fn collect_recursive(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DataError> {
    for path in entries(dir)? {
        if path.is_dir() {
            collect_recursive(&path, out)?;
        } else if is_image_path(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// What a folder holds, in words, for error messages: "no such folder", "an empty folder",
/// or up to eight entry names.
fn describe(dir: &Path) -> String {
    if !dir.exists() {
        return "no such folder".to_string();
    }
    if !dir.is_dir() {
        return "a file, not a folder".to_string();
    }
    match entries(dir) {
        Err(err) => format!("an unreadable folder ({err})"),
        Ok(list) if list.is_empty() => "an empty folder".to_string(),
        Ok(list) => {
            let names: Vec<String> = list
                .iter()
                .take(8)
                .map(|p| {
                    let name = file_name(p);
                    if p.is_dir() {
                        format!("{name}/")
                    } else {
                        name
                    }
                })
                .collect();
            let more = list.len().saturating_sub(8);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("{}{tail}", names.join(", "))
        }
    }
}
