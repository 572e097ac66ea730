//! `edge run`, `edge check` and `edge bench` as a user runs them (the simulated line on
//! the real monotonic clock; a short run).

use std::path::Path;
use std::process::{Command, Output};

use edge::record::{read_verdict_log, Reason, Verdict};

use crate::harness::*;
use crate::startup::sim_profile;

fn edge(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edge"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run edge")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 test paths")
}

#[test]
fn edge_run_replays_a_folder_on_the_simulated_line_and_prints_its_pulses() {
    let dir = scratch("cli-run");
    let bundle = write_bundle(&dir);
    let frames = write_frames(&dir, 2, 2);
    let log = dir.join("verdicts.jsonl");
    let source = format!("dir:{}", s(&frames));
    let out = edge(
        &dir,
        &[
            "run",
            "--bundle",
            s(&bundle),
            "--board",
            s(&sim_profile()),
            "--gpio",
            "sim",
            "--source",
            &source,
            "--log",
            s(&log),
            "--no-captures",
            // Parts 80 ms apart: 20 ms pulses stay apart even when a tick comes late.
            "--interval-ms",
            "80",
            "--threads",
            "1",
            "--watch",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("one part per photo-eye edge"), "{stdout}");
    assert!(
        stdout.contains("deploy       watching the bundle file"),
        "{stdout}"
    );
    assert!(
        stdout.contains("deploy       0 swaps, 0 refused, 0 rolled back"),
        "{stdout}"
    );
    assert!(
        stdout.contains("parts        4: 2 pass, 2 reject"),
        "{stdout}"
    );
    assert!(stdout.contains("caught 2/2 = 100.0 %"), "{stdout}");
    assert!(
        stdout.contains("sim line     2 reject pulses for 2 rejects"),
        "{stdout}"
    );
    let records = read_verdict_log(&log).expect("log").records;
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|r| r.reason == Reason::Inspected));
    let sha256 = edge::deploy::sha256_hex(&std::fs::read(&bundle).expect("bundle"));
    assert!(
        records
            .iter()
            .all(|r| r.bundle_sha256.as_deref() == Some(sha256.as_str())
                && r.model_generation == Some(0)),
        "every record names the bundle that scored it"
    );
    assert_eq!(
        records
            .iter()
            .filter(|r| r.verdict == Verdict::Reject)
            .count(),
        2
    );
}

#[test]
fn edge_run_with_a_missing_bundle_fails_naming_it_and_logs_nothing() {
    let dir = scratch("cli-missing");
    let frames = write_frames(&dir, 1, 0);
    let log = dir.join("verdicts.jsonl");
    let source = format!("dir:{}", s(&frames));
    let out = edge(
        &dir,
        &[
            "run",
            "--bundle",
            "nowhere/model.bundle",
            "--board",
            s(&sim_profile()),
            "--gpio",
            "sim",
            "--source",
            &source,
            "--log",
            s(&log),
            "--no-captures",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("nowhere/model.bundle"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!log.exists());
}

#[test]
fn edge_check_off_board_names_what_is_missing_and_fails() {
    let dir = scratch("cli-check");
    let bundle = write_bundle(&dir);
    let profile = dir.join("board.toml");
    let sim = std::fs::read_to_string(sim_profile()).expect("sim profile");
    let moved = sim.replace(
        "device = \"/dev/video0\"",
        "device = \"/nonexistent/video9\"",
    );
    assert_ne!(moved, sim, "the sim profile names /dev/video0");
    std::fs::write(&profile, moved).expect("profile");

    let out = edge(
        &dir,
        &["check", "--board", s(&profile), "--bundle", s(&bundle)],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = |what: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(what))
            .unwrap_or_else(|| panic!("no `{what}` line in\n{stdout}"))
            .to_string()
    };
    assert!(line("profile").starts_with("OK"), "{stdout}");
    let camera = line("camera");
    assert!(camera.starts_with("FAIL"), "{camera}");
    assert!(camera.contains("no /nonexistent/video9"), "{camera}");
    assert!(
        camera.contains("v4l2-ctl --list-devices"),
        "says what to do: {camera}"
    );
    assert!(line("gpio").starts_with("OK"), "{stdout}");
    assert!(line("bundle").starts_with("OK"), "{stdout}");
    assert!(stdout.contains("not ready: 1 check(s) failed"), "{stdout}");

    // A hardware backend off-board: a clear failure, no panic.
    let out = edge(&dir, &["check", "--board", s(&profile), "--gpio", "cdev"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let gpio = line_of(&stdout, "gpio");
    assert!(gpio.starts_with("FAIL") && gpio.contains("cdev"), "{gpio}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A folder instead of the camera: the probe reads one frame.
    let frames = write_frames(&dir, 1, 0);
    let source = format!("dir:{}", s(&frames));
    let out = edge(
        &dir,
        &["check", "--board", s(&profile), "--source", &source],
    );
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        line_of(&stdout, "camera").contains("32×32 frame"),
        "{stdout}"
    );
}

fn line_of(stdout: &str, what: &str) -> String {
    stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(what))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn edge_bench_writes_per_stage_figures_as_json() {
    let dir = scratch("cli-bench");
    let bundle = write_bundle(&dir);
    let json = dir.join("bench.json");
    let out = edge(
        &dir,
        &[
            "bench",
            "--bundle",
            s(&bundle),
            "--frames",
            "8",
            "--warmup",
            "2",
            "--json",
            s(&json),
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for stage in [
        "capture",
        "preprocess",
        "network",
        "scoring",
        "decision",
        "total",
    ] {
        assert!(stdout.contains(stage), "{stdout}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parses");
    assert_eq!(v["frames"], 8);
    assert_eq!(v["input"], serde_json::json!([16, 16, 3]));
    assert!(v["stages"]["capture"].is_null(), "synthetic frames: {v}");
    for stage in ["preprocess", "network", "scoring", "decision", "total"] {
        let f = &v["stages"][stage];
        let (p50, p99) = (f["p50_us"].as_u64(), f["p99_us"].as_u64());
        assert!(p50.is_some() && p50 <= p99, "{stage}: {f}");
    }
    assert!(v["fps"].as_f64().is_some_and(|fps| fps > 0.0), "{v}");

    // Frames from a folder: the capture stage is timed too.
    let frames = write_frames(&dir, 2, 1);
    let source = format!("dir:{}", s(&frames));
    let out = edge(
        &dir,
        &[
            "bench",
            "--bundle",
            s(&bundle),
            "--source",
            &source,
            "--frames",
            "5",
            "--warmup",
            "0",
            "--json",
            s(&json),
        ],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parses");
    assert!(v["stages"]["capture"]["p50_us"].is_u64(), "{v}");
}
