//! `edge soak` as CI runs it (the 2,000-part version of scripts/soak.sh): a looping
//! replay on the simulated line on the real clock, every verdict and pulse accounted,
//! resident memory within its bound. The 100,000-part run is the script's.

use std::path::Path;
use std::process::Command;

use edge::record::read_verdict_log;

use crate::harness::*;

fn soak_profile() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../boards/sim-soak.toml")
}

#[test]
fn edge_soak_of_2000_parts_loses_no_verdict_or_pulse_and_keeps_memory_flat() {
    let dir = scratch("soak");
    let bundle = write_bundle(&dir);
    let frames = write_frames(&dir, 7, 3);
    let log = dir.join("soak.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_edge"))
        .current_dir(&dir)
        .args(["soak", "--frames", "2000", "--interval-ms", "5", "--bundle"])
        .arg(&bundle)
        .arg("--board")
        .arg(soak_profile())
        .arg("--source")
        .arg(format!("dir:{}", frames.display()))
        .arg("--log")
        .arg(&log)
        .output()
        .expect("run edge soak");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("lost 0, doubled 0, unknown ids 0"),
        "{stdout}"
    );
    assert!(stdout.contains("soak         OK"), "{stdout}");
    // The figures the script prints are there.
    for what in [
        "memory       RSS",
        "latency      trigger → verdict p99",
        "pulses ",
    ] {
        assert!(stdout.contains(what), "{what}: {stdout}");
    }
    // The log holds the 2,000 parts; 3 of every 10 frames are defective.
    let records = read_verdict_log(&log).expect("the log reads back").records;
    assert_eq!(records.len(), 2000);
    let rejects = records
        .iter()
        .filter(|r| r.verdict == edge::record::Verdict::Reject)
        .count();
    assert!(rejects >= 600, "{rejects} rejects of 2000");
}
