//! Loading datasets from tiny folders written on the fly: MVTec AD happy path (grey and
//! RGB, PNG and JPEG, mixed sizes), plain folders, auto-detection, and the errors a user
//! meets (missing train/good, corrupt image, mask size mismatch), plus inspection counts
//! and the fingerprint.

mod common;

use std::path::Path;

use common::TempDir;
use image::{GrayImage, ImageBuffer, ImageFormat, Luma, Rgb, RgbImage, RgbaImage};
use trainer::data::{self, DataError, Layout};

fn rgb(path: &Path, w: u32, h: u32, format: ImageFormat) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    RgbImage::from_fn(w, h, |x, y| Rgb([x as u8 * 7, y as u8 * 5, 90]))
        .save_with_format(path, format)
        .unwrap();
}

fn grey(path: &Path, w: u32, h: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    GrayImage::from_fn(w, h, |x, _| Luma([x as u8 * 9]))
        .save_with_format(path, ImageFormat::Png)
        .unwrap();
}

/// Mask with the top-left `defect_w`×`defect_h` pixels set.
fn mask(path: &Path, w: u32, h: u32, defect_w: u32, defect_h: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    GrayImage::from_fn(w, h, |x, y| {
        Luma([if x < defect_w && y < defect_h { 255 } else { 0 }])
    })
    .save_with_format(path, ImageFormat::Png)
    .unwrap();
}

/// train/good: 5 images (RGB PNG, grey PNG, JPEG with upper-case extension, RGBA, 16-bit
/// grey; three sizes) and a text file;
/// test/good: 1; test/scratch: 2 with masks (one 25%, one empty); test/dent: 1 without.
fn mvtec_fixture(root: &Path) {
    rgb(&root.join("train/good/000.png"), 16, 12, ImageFormat::Png);
    grey(&root.join("train/good/001.png"), 16, 12);
    rgb(&root.join("train/good/002.JPG"), 20, 10, ImageFormat::Jpeg);
    std::fs::write(root.join("train/good/notes.txt"), "not an image").unwrap();
    rgb(&root.join("test/good/000.png"), 16, 12, ImageFormat::Png);
    rgb(&root.join("test/scratch/000.png"), 16, 12, ImageFormat::Png);
    grey(&root.join("test/scratch/001.png"), 8, 8);
    rgb(&root.join("test/dent/000.jpeg"), 16, 12, ImageFormat::Jpeg);
    mask(
        &root.join("ground_truth/scratch/000_mask.png"),
        16,
        12,
        8,
        6,
    );
    mask(&root.join("ground_truth/scratch/001_mask.png"), 8, 8, 0, 0);
    RgbaImage::new(4, 4)
        .save(root.join("train/good/003.png"))
        .unwrap();
    ImageBuffer::<Luma<u16>, Vec<u16>>::from_pixel(16, 12, Luma([40_000]))
        .save(root.join("train/good/004.png"))
        .unwrap();
}

#[test]
fn loads_mvtec_layout_with_mixed_formats_and_sizes() {
    let dir = TempDir::create("mvtec");
    mvtec_fixture(&dir.0);
    let ds = data::load(&dir.0).unwrap();
    assert_eq!(ds.layout, Layout::MvtecAd);
    let names = |s: &[data::Sample]| -> Vec<String> {
        s.iter()
            .map(|s| s.path.strip_prefix(&dir.0).unwrap().display().to_string())
            .collect()
    };
    assert_eq!(
        names(&ds.train),
        [
            "train/good/000.png",
            "train/good/001.png",
            "train/good/002.JPG",
            "train/good/003.png",
            "train/good/004.png"
        ]
    );
    assert_eq!(
        names(&ds.test),
        [
            "test/dent/000.jpeg",
            "test/good/000.png",
            "test/scratch/000.png",
            "test/scratch/001.png"
        ]
    );
    assert_eq!(ds.defect_types(), ["dent", "scratch"]);
    assert!(ds.test[0].is_anomalous() && ds.test[0].mask.is_none());
    assert!(!ds.test[1].is_anomalous());
    assert!(ds.test[2]
        .mask
        .as_ref()
        .unwrap()
        .ends_with("ground_truth/scratch/000_mask.png"));

    for s in ds.train.iter().chain(&ds.test) {
        let img = data::load_rgb(&s.path).unwrap();
        assert!(img.width() > 0);
    }
    assert_eq!(
        data::load_rgb(&ds.train[2].path).unwrap().dimensions(),
        (20, 10)
    );
    let deep = data::load_rgb(&ds.train[4].path).unwrap().get_pixel(3, 3).0;
    assert!(
        deep[0] == deep[2] && (155..=156).contains(&deep[0]),
        "{deep:?}"
    );
    let m = data::load_mask(&ds.test[2], (16, 12)).unwrap().unwrap();
    assert_eq!(m.iter().filter(|&&d| d).count(), 48);
    assert!(m[0] && !m[15]);
    assert_eq!(data::load_mask(&ds.test[0], (16, 12)).unwrap(), None);
}

#[test]
fn inspection_counts_sizes_colours_and_masks() {
    let dir = TempDir::create("inspect");
    mvtec_fixture(&dir.0);
    let ins = data::inspect(&dir.0).unwrap();
    assert_eq!(
        (ins.train_good, ins.test_good, ins.defect_images()),
        (5, 1, 3)
    );
    let scratch = ins.defects.iter().find(|d| d.name == "scratch").unwrap();
    assert_eq!(
        (
            scratch.images,
            scratch.masks,
            scratch.empty_masks,
            scratch.missing_masks
        ),
        (2, 2, 1, 0)
    );
    let cov = scratch.coverage.unwrap();
    assert!((cov.mean_pct - 25.0).abs() < 1e-9, "{cov:?}");
    let dent = ins.defects.iter().find(|d| d.name == "dent").unwrap();
    assert_eq!((dent.missing_masks, dent.coverage), (1, None));
    assert_eq!(ins.images(), 9);
    assert_eq!(ins.colours.get("RGB"), Some(&5));
    assert_eq!(ins.colours.get("grey"), Some(&2));
    assert_eq!(ins.colours.get("RGBA"), Some(&1));
    assert_eq!(ins.colours.get("grey 16-bit"), Some(&1));
    let text = ins.to_string();
    for needle in [
        "train/good    5",
        "test defects  3 in 2 types: dent 1, scratch 2",
        "16x12 (6)",
        "1 empty",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(
        ins.notes
            .iter()
            .any(|n| n.contains("dent: 1 of 1 images have no mask")),
        "{:?}",
        ins.notes
    );
    serde_json::to_string(&ins).unwrap();
}

#[test]
fn missing_train_good_says_what_was_expected_and_found() {
    let dir = TempDir::create("notrain");
    rgb(&dir.0.join("test/good/000.png"), 8, 8, ImageFormat::Png);
    let err = data::load_mvtec(&dir.0).unwrap_err();
    assert!(matches!(err, DataError::MissingTrainGood { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("train/good") && msg.contains("MVTec AD") && msg.contains("test/"),
        "{msg}"
    );
    // Auto-detection finds the images recursively and treats them as a plain folder.
    assert_eq!(data::load(&dir.0).unwrap().layout, Layout::Folder);

    let missing = dir.0.join("nope");
    let msg = data::inspect(&missing).unwrap_err().to_string();
    assert!(
        msg.contains("nope") && msg.contains("no such folder"),
        "{msg}"
    );

    let empty = TempDir::create("empty");
    let msg = data::load(&empty.0).unwrap_err().to_string();
    assert!(
        msg.contains("no images found")
            && msg.contains("empty folder")
            && msg.contains("train/good"),
        "{msg}"
    );
}

#[test]
fn corrupt_image_is_named_in_the_error() {
    let dir = TempDir::create("corrupt");
    rgb(&dir.0.join("train/good/000.png"), 8, 8, ImageFormat::Png);
    std::fs::write(dir.0.join("train/good/001.png"), b"\x89PNG\r\n\x1a\nbroken").unwrap();
    let ds = data::load(&dir.0).unwrap();
    let err = data::load_rgb(&ds.train[1].path).unwrap_err();
    assert!(err.to_string().contains("train/good/001.png"), "{err}");
    let err = data::inspect(&dir.0).unwrap_err();
    assert!(err.to_string().contains("001.png"), "{err}");
    std::fs::write(dir.0.join("train/good/002.jpg"), b"not a jpeg").unwrap();
    let err = data::inspect(&dir.0).unwrap_err();
    assert!(matches!(&err, DataError::Several(list) if list.len() == 2));
    let msg = err.to_string();
    assert!(msg.starts_with("2 files have problems"), "{msg}");
    assert!(msg.find("001.png") < msg.find("002.jpg"), "{msg}");
}

#[test]
fn mask_size_mismatch_names_both_files_and_sizes() {
    let dir = TempDir::create("masksize");
    rgb(&dir.0.join("train/good/000.png"), 8, 8, ImageFormat::Png);
    rgb(&dir.0.join("test/crack/007.png"), 16, 12, ImageFormat::Png);
    mask(&dir.0.join("ground_truth/crack/007_mask.png"), 12, 16, 2, 2);
    let ds = data::load(&dir.0).unwrap();
    let msg = data::load_mask(&ds.test[0], (16, 12))
        .unwrap_err()
        .to_string();
    for needle in [
        "ground_truth/crack/007_mask.png",
        "test/crack/007.png",
        "12x16",
        "16x12",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in {msg}");
    }
    let msg = data::inspect(&dir.0).unwrap_err().to_string();
    assert!(
        msg.contains("007_mask.png") && msg.contains("test/crack/007.png"),
        "{msg}"
    );
}

#[test]
fn plain_folder_is_searched_recursively_in_order() {
    let dir = TempDir::create("folder");
    rgb(&dir.0.join("b.png"), 8, 8, ImageFormat::Png);
    rgb(&dir.0.join("a/z.jpg"), 8, 6, ImageFormat::Jpeg);
    grey(&dir.0.join("a/y.PNG"), 8, 8);
    rgb(&dir.0.join(".hidden/x.png"), 8, 8, ImageFormat::Png);
    let ds = data::load_folder(&dir.0).unwrap();
    let rel: Vec<String> = ds
        .train
        .iter()
        .map(|s| s.path.strip_prefix(&dir.0).unwrap().display().to_string())
        .collect();
    assert_eq!(rel, ["a/y.PNG", "a/z.jpg", "b.png"]);
    assert!(ds.test.is_empty());
    assert_eq!(data::load(&dir.0).unwrap(), ds);
    let ins = data::inspect(&dir.0).unwrap();
    assert_eq!(ins.layout, Layout::Folder);
    assert!(ins.to_string().contains("plain folder"));
}

#[test]
fn fingerprint_follows_content_and_names_not_location() {
    let a = TempDir::create("fp-a");
    let b = TempDir::create("fp-b");
    mvtec_fixture(&a.0);
    mvtec_fixture(&b.0);
    let fa = data::fingerprint(&data::load(&a.0).unwrap()).unwrap();
    assert_eq!(fa.len(), 64);
    assert_eq!(fa, data::fingerprint(&data::load(&b.0).unwrap()).unwrap());
    mask(&b.0.join("ground_truth/scratch/000_mask.png"), 16, 12, 8, 5);
    assert_ne!(fa, data::fingerprint(&data::load(&b.0).unwrap()).unwrap());
}
