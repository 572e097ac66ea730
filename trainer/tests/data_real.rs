//! Inspection of the real categories under `shared/datasets` (read-only, not in the repo);
//! each case prints a `skipped:` line when its folder is not present.

use std::path::PathBuf;
use std::time::Instant;

use trainer::data;

fn category(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/datasets"
    ))
    .join(rel);
    if path.is_dir() {
        Some(path)
    } else {
        println!("skipped: {} not present", path.display());
        None
    }
}

/// Defect types with their image counts.
type Defects = &'static [(&'static str, usize)];

/// (category, train/good, test/good, defect types (all of them where listed), empty masks),
/// from `shared/datasets/README.md`.
const EXPECTED: [(&str, usize, usize, Defects, usize); 4] = [
    (
        "mvtec_ad/bottle",
        209,
        20,
        &[
            ("broken_large", 20),
            ("broken_small", 22),
            ("contamination", 21),
        ],
        0,
    ),
    ("bsdata/ball_screw_drive", 578, 132, &[("pitting", 394)], 0),
    ("lookout_cookies/cookie", 31, 14, &[("cracked", 32)], 0),
    ("mtd/magnetic_tile", 779, 173, &[], 5),
];

#[test]
fn real_categories_inspect_as_documented() {
    for (rel, train, test_good, defects, empty) in EXPECTED {
        let Some(root) = category(rel) else { continue };
        let start = Instant::now();
        let ins = data::inspect(&root).unwrap();
        println!(
            "{ins}(inspected in {:.2} s)\n",
            start.elapsed().as_secs_f64()
        );
        assert_eq!((ins.train_good, ins.test_good), (train, test_good), "{rel}");
        for &(name, count) in defects {
            let d = ins
                .defects
                .iter()
                .find(|d| d.name == name)
                .unwrap_or_else(|| panic!("{rel}: no {name}"));
            assert_eq!(d.images, count, "{rel} {name}");
        }
        let empty_masks: usize = ins.defects.iter().map(|d| d.empty_masks).sum();
        assert_eq!(empty_masks, empty, "{rel}");
        assert!(ins.defects.iter().all(|d| d.missing_masks == 0), "{rel}");
    }
}

#[test]
fn magnetic_tile_has_five_defect_types_and_empty_uneven_masks() {
    let Some(root) = category("mtd/magnetic_tile") else {
        return;
    };
    let ins = data::inspect(&root).unwrap();
    let names: Vec<&str> = ins.defects.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["blowhole", "break", "crack", "fray", "uneven"]);
    assert_eq!(ins.defect_images(), 392);
    let uneven = ins.defects.iter().find(|d| d.name == "uneven").unwrap();
    assert_eq!(uneven.empty_masks, 5);
}

#[test]
fn bottle_fingerprint_is_stable() {
    let Some(root) = category("mvtec_ad/bottle") else {
        return;
    };
    let ds = data::load(&root).unwrap();
    let first = data::fingerprint(&ds).unwrap();
    assert_eq!(first, data::fingerprint(&ds).unwrap());
}
