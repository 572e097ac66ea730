//! `trainer::report::write_report`: files land in a created folder, overlays are three
//! panels with the contour on the mask boundary, user files survive, and errors name the
//! path.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use image::{Rgb, RgbImage};
use trainer::report::overlay::CONTOUR;
use trainer::report::{evaluate, write_report, EvalRun, ImageRecord, ReportError};

/// Heat map size; the test images are twice as large, so overlays are resized.
const W: u32 = 8;
const H: u32 = 6;
const GREY: [u8; 3] = [128, 128, 128];

/// A fresh, empty folder under the system temp dir (removed at the start of each run).
fn scratch(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("trainer-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

/// Mask: the 4×3 block at x in 2..6, y in 1..4 (boundary 10 px, interior 2 px).
fn block(x: u32, y: u32) -> bool {
    (2..6).contains(&x) && (1..4).contains(&y)
}

fn record(dir: &Path, name: &str, defect: &str, score: f32) -> ImageRecord {
    let path = dir.join(format!("{name}.png"));
    RgbImage::from_pixel(2 * W, 2 * H, Rgb(GREY))
        .save(&path)
        .unwrap();
    let anomalous = defect != "good";
    let mask = anomalous.then(|| {
        (0..W * H)
            .map(|i| block(i % W, i / W))
            .collect::<Vec<bool>>()
    });
    ImageRecord {
        path,
        defect: defect.into(),
        anomalous,
        score,
        normalised: score,
        heatmap: (0..W * H).map(|i| (i % W) as f32 * 0.1 + score).collect(),
        width: W,
        height: H,
        mask,
        latency_ms: 2.0,
    }
}

fn run(dir: &Path) -> EvalRun {
    EvalRun {
        model: "MemoryBank".into(),
        dataset: "written".into(),
        dataset_fingerprint: "abcd".into(),
        bundle_bytes: 1000,
        gmac_per_frame: 1.5,
        threshold: 0.5,
        pixel_threshold: 0.4,
        images: vec![
            record(dir, "g0", "good", 0.2),
            record(dir, "g1", "good", 0.6),
            record(dir, "c0", "crack", 0.3),
            record(dir, "c1", "crack", 0.9),
        ],
    }
}

#[test]
fn writes_json_markdown_and_overlays_into_a_created_folder() {
    let dir = scratch("report-write");
    let run = run(&dir);
    let report = evaluate(&run).unwrap();
    let out = dir.join("nested/out");
    let written = write_report(&run, &report, &out).unwrap();

    assert_eq!(written.json, out.join("report.json"));
    assert_eq!(written.markdown, out.join("report.md"));
    assert_eq!(written.overlays.len(), 4, "2 defective + 2 good");
    for png in &written.overlays {
        assert!(
            png.starts_with(out.join("overlays")) && png.is_file(),
            "{}",
            png.display()
        );
    }

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&written.json).unwrap()).unwrap();
    assert_eq!(json["bundle_bytes"], 1000);
    assert_eq!(json["confusion"]["caught"], 1);
    assert_eq!(
        json["worst_false_accepts"][0]["overlay"],
        "overlays/false-accept-01-crack-c0.png"
    );
    let back: trainer::report::Report = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);

    let md = std::fs::read_to_string(&written.markdown).unwrap();
    for needle in [
        "| image AUROC |",
        "| crack | 2 | 1 |",
        "1 caught",
        "1 false rejects",
        "(overlays/false-accept-01-crack-c0.png)",
        "(overlays/false-reject-01-good-g1.png)",
    ] {
        assert!(md.contains(needle), "report.md lacks {needle:?}:\n{md}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn overlay_is_three_panels_with_the_contour_on_the_mask_boundary() {
    let dir = scratch("report-overlay");
    let run = run(&dir);
    let report = evaluate(&run).unwrap();
    let written = write_report(&run, &report, &dir.join("out")).unwrap();
    let overlay = image::open(&written.overlays[0]).unwrap().into_rgb8();
    assert_eq!(overlay.dimensions(), (3 * W, H));

    let on_boundary = |x: u32, y: u32| {
        let inside = |dx: i64, dy: i64| {
            let (nx, ny) = (i64::from(x) + dx, i64::from(y) + dy);
            // Neighbours outside the frame do not make a boundary.
            !(0..i64::from(W)).contains(&nx)
                || !(0..i64::from(H)).contains(&ny)
                || block(nx as u32, ny as u32)
        };
        block(x, y) && !(inside(-1, 0) && inside(1, 0) && inside(0, -1) && inside(0, 1))
    };
    let mut contour = 0;
    for y in 0..H {
        for x in 0..W {
            // Panel 1: the uniform grey original, resized.
            assert_eq!(overlay.get_pixel(x, y).0, GREY, "original at ({x}, {y})");
            let heat = overlay.get_pixel(W + x, y).0;
            let marked = overlay.get_pixel(2 * W + x, y).0;
            if on_boundary(x, y) {
                assert_eq!(marked, CONTOUR, "boundary pixel ({x}, {y}) not outlined");
                contour += 1;
            } else {
                assert_eq!(marked, heat, "({x}, {y}) is off the boundary but changed");
            }
        }
    }
    assert_eq!(contour, 10);
    // The heat panel varies along x (the map is a ramp) and is not the original.
    assert_ne!(overlay.get_pixel(W, 0), overlay.get_pixel(2 * W - 1, 0));
    assert_ne!(overlay.get_pixel(W, 0).0, GREY);

    // A good image has no mask: panels 2 and 3 are equal.
    let good = image::open(&written.overlays[2]).unwrap().into_rgb8();
    for y in 0..H {
        for x in 0..W {
            assert_eq!(good.get_pixel(W + x, y), good.get_pixel(2 * W + x, y));
        }
    }
}

#[test]
fn existing_user_files_are_kept_and_report_files_replaced() {
    let dir = scratch("report-keep");
    let run = run(&dir);
    let report = evaluate(&run).unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(out.join("overlays")).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(out.join("overlays/keep.png"), "mine too").unwrap();
    std::fs::write(out.join("report.json"), "old").unwrap();
    write_report(&run, &report, &out).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("overlays/keep.png")).unwrap(),
        "mine too"
    );
    assert_ne!(
        std::fs::read_to_string(out.join("report.json")).unwrap(),
        "old"
    );
}

#[test]
fn unwritable_out_is_an_error_naming_the_path() {
    let dir = scratch("report-unwritable");
    let run = run(&dir);
    let report = evaluate(&run).unwrap();
    // A regular file where a folder is needed fails for every user, root included.
    let blocker = dir.join("blocker");
    std::fs::write(&blocker, "a file").unwrap();
    let out = blocker.join("out");
    let err = write_report(&run, &report, &out).unwrap_err();
    assert!(matches!(err, ReportError::CreateDir { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&out.display().to_string()),
        "{err}"
    );

    // `report.json` taken by a folder: the rename fails and names the file.
    let out = dir.join("taken");
    std::fs::create_dir_all(out.join("report.json/inside")).unwrap();
    let err = write_report(&run, &report, &out).unwrap_err();
    assert!(matches!(err, ReportError::Write { .. }), "{err:?}");
    assert!(err.to_string().contains("report.json"), "{err}");
    assert!(
        out.join("report.json/inside").is_dir(),
        "user folder touched"
    );
}

#[test]
fn missing_test_image_is_an_error_naming_it() {
    let dir = scratch("report-missing");
    let run = run(&dir);
    let report = evaluate(&run).unwrap();
    std::fs::remove_file(&run.images[2].path).unwrap();
    let err = write_report(&run, &report, &dir.join("out")).unwrap_err();
    assert!(matches!(err, ReportError::Image { .. }), "{err:?}");
    assert!(err.to_string().contains("c0.png"), "{err}");
}
