//! `edge score` and `edge info --verify` on a bundle file and image files.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use shared::bundle::ModelKind;

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edge-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

#[test]
fn score_prints_a_verdict_per_image_and_info_verifies() {
    let dir = scratch_dir("score");
    let mut m = manifest(ModelKind::MemoryBank);
    m.thresholds.image = 0.1;
    let path = dir.join("model.bundle");
    bundle(m, feature_graph(SIDE, DIM), int8_bank().to_bytes())
        .write_to(&path)
        .unwrap();
    let clean = dir.join("clean.png");
    let blob = dir.join("blob.png");
    clean_frame(300).save(&clean).unwrap();
    blob_frame(301).save(&blob).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_edge"))
        .args(["score", "--bundle"])
        .arg(&path)
        .arg(&clean)
        .arg(&blob)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdict = |name: &str| {
        stdout
            .lines()
            .find(|l| l.contains(name))
            .and_then(|l| l.split('\t').nth(3))
            .map(str::to_string)
    };
    assert_eq!(verdict("clean.png").as_deref(), Some("PASS"), "{stdout}");
    assert_eq!(verdict("blob.png").as_deref(), Some("REJECT"), "{stdout}");

    // An unreadable image is reported, the others still scored, exit code 1.
    let out = Command::new(env!("CARGO_BIN_EXE_edge"))
        .args(["score", "--bundle"])
        .arg(&path)
        .arg(dir.join("missing.png"))
        .arg(&clean)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("missing.png\t-\t-\tERROR"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.png"));
    assert_eq!(verdict("clean.png").as_deref(), Some("PASS"), "{stdout}");

    let out = Command::new(env!("CARGO_BIN_EXE_edge"))
        .args(["info", "--verify", "--bundle"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("global int8 bank") && stdout.contains("verified"),
        "{stdout}"
    );
}
