//! The verdict log and the capture store: formats, crash and disk-full behaviour, quota.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use edge::record::{
    parse_verdict_log, read_verdict_log, CaptureError, CapturePolicy, CaptureStore, KeepOutcome,
    KeepReason, LineSink, LogError, Reason, Score, Sidecar, StageLatency, StoreWriter, Verdict,
    VerdictLog, VerdictRecord,
};
use image::{Rgb, RgbImage};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edge-records-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn inspected(part_id: u64, normalised: f32, verdict: Verdict) -> VerdictRecord {
    VerdictRecord {
        part_id,
        wall_us: 1_767_225_600_000_000 + part_id,
        mono_us: 5_000 + part_id * 100,
        frame_seq: Some(part_id),
        score: Some(Score {
            raw: normalised * 4.0,
            normalised,
        }),
        verdict,
        reason: Reason::Inspected,
        detail: None,
        latency_us: StageLatency {
            capture_us: Some(900),
            preprocess_us: Some(1_200),
            network_us: Some(3_100),
            scoring_us: Some(450),
            decision_us: Some(3),
        },
        origin: Some(format!("/dev/video0#{part_id}")),
        bundle_sha256: Some("ab".repeat(32)),
        model_generation: Some(0),
    }
}

// ---------------------------------------------------------------- verdict log

#[test]
fn log_round_trips_with_readable_field_names() {
    let path = temp_dir("log-roundtrip").join("verdicts.jsonl");
    let records = vec![
        inspected(1, 0.2, Verdict::Pass),
        inspected(2, 0.8, Verdict::Reject),
        VerdictRecord::rejected_without_verdict(3, 10, 20, Reason::FrameError, "camera timeout"),
    ];
    let mut log = VerdictLog::open(&path).expect("open");
    for r in &records {
        log.append(r).expect("append");
    }
    assert_eq!((log.written(), log.failed()), (3, 0));
    drop(log);
    let text = fs::read_to_string(&path).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].contains(r#""verdict":"pass""#), "{}", lines[0]);
    assert!(lines[0].contains(r#""network_us":3100"#), "{}", lines[0]);
    assert!(
        lines[2].contains(r#""reason":"frame_error""#),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains(r#""score":null"#), "{}", lines[2]);
    assert!(lines[0].contains(r#""model_generation":0"#), "{}", lines[0]);
    // A part no bundle scored names none.
    assert!(!lines[2].contains("bundle_sha256"), "{}", lines[2]);
    let back = read_verdict_log(&path).expect("read back");
    assert_eq!(back.records, records);
    assert!(!back.truncated_tail);
    // Reopening appends after what is there.
    let mut log = VerdictLog::open(&path).expect("reopen");
    log.append(&inspected(4, 0.1, Verdict::Pass))
        .expect("append");
    assert_eq!(read_verdict_log(&path).expect("read").records.len(), 4);
}

#[test]
fn log_reader_reads_lines_written_before_the_bundle_fields() {
    // A line as the edge wrote it before hot deployment: no bundle hash, no generation.
    let old = concat!(
        r#"{"part_id":7,"wall_us":1,"mono_us":2,"frame_seq":7,"#,
        r#""score":{"raw":0.4,"normalised":0.1},"verdict":"pass","reason":"inspected","#,
        r#""latency_us":{"capture_us":1,"preprocess_us":null,"network_us":null,"#,
        r#""scoring_us":null,"decision_us":null},"origin":"/dev/video0#7"}"#,
        "\n"
    );
    let back = parse_verdict_log(old.as_bytes(), "old log").expect("an old line parses");
    let r = &back.records[0];
    assert_eq!((r.part_id, r.verdict), (7, Verdict::Pass));
    assert_eq!(
        (r.bundle_sha256.as_deref(), r.model_generation),
        (None, None)
    );
}

#[test]
fn log_refuses_a_pass_that_was_not_inspected() {
    let mut log = VerdictLog::with_sink(Vec::new(), "memory");
    let mut bad = VerdictRecord::rejected_without_verdict(9, 0, 0, Reason::Late, "late");
    bad.verdict = Verdict::Pass;
    assert!(matches!(log.append(&bad), Err(LogError::Invalid { .. })));
    let mut no_score = inspected(10, 0.1, Verdict::Pass);
    no_score.score = None;
    assert!(log.append(&no_score).is_err());
    let mut nan = inspected(11, 0.1, Verdict::Reject);
    nan.score = Some(Score {
        raw: f32::NAN,
        normalised: 0.5,
    });
    assert!(log.append(&nan).is_err());
    assert_eq!((log.written(), log.failed()), (0, 3));
    assert!(log.into_sink().is_empty(), "nothing written");
}

#[test]
fn log_reader_drops_a_crash_tail_but_names_a_corrupt_line() {
    let mut log = VerdictLog::with_sink(Vec::new(), "memory");
    for id in 1..=3 {
        log.append(&inspected(id, 0.3, Verdict::Pass))
            .expect("append");
    }
    let whole = log.into_sink();
    let mut crashed = whole.clone();
    crashed.extend_from_slice(br#"{"part_id":4,"wall_us":1"#);
    let back = parse_verdict_log(&crashed, "crashed").expect("tail tolerated");
    assert_eq!(back.records.len(), 3);
    assert!(back.truncated_tail);

    let text = String::from_utf8(whole).expect("utf8");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[1].truncate(20);
    let corrupt = lines.join("\n") + "\n";
    match parse_verdict_log(corrupt.as_bytes(), "corrupt.jsonl") {
        Err(LogError::Corrupt { line, log, .. }) => {
            assert_eq!((line, log.as_str()), (2, "corrupt.jsonl"))
        }
        other => panic!("expected a corrupt-line error, got {other:?}"),
    }
    // A pass without inspection in the file is corruption too.
    let forged = text.replacen(r#""reason":"inspected""#, r#""reason":"late""#, 1);
    match parse_verdict_log(forged.as_bytes(), "forged") {
        Err(LogError::Corrupt {
            line: 1, reason, ..
        }) => assert!(reason.contains("pass"), "{reason}"),
        other => panic!("expected a corrupt-line error, got {other:?}"),
    }
}

#[test]
fn log_reopened_after_a_crash_cuts_the_fragment_and_stays_readable() {
    let path = temp_dir("log-crash").join("verdicts.jsonl");
    let mut log = VerdictLog::open(&path).expect("open");
    log.append(&inspected(1, 0.3, Verdict::Pass))
        .expect("append");
    drop(log);
    let mut bytes = fs::read(&path).expect("read");
    bytes.extend_from_slice(br#"{"part_id":2,"wal"#);
    fs::write(&path, &bytes).expect("simulate a crash mid-line");
    let mut log = VerdictLog::open(&path).expect("reopen");
    assert_eq!(log.fragment_bytes_cut(), 17);
    log.append(&inspected(3, 0.3, Verdict::Pass))
        .expect("append");
    let back = read_verdict_log(&path).expect("whole lines only");
    let ids: Vec<u64> = back.records.iter().map(|r| r.part_id).collect();
    assert_eq!(ids, vec![1, 3]);
    assert!(!back.truncated_tail);
}

/// A sink that fails while `full` is set, like a full disk.
struct FlakySink {
    full: bool,
    lines: Vec<Vec<u8>>,
}

impl LineSink for FlakySink {
    fn append_line(&mut self, line: &[u8]) -> io::Result<()> {
        if self.full {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"));
        }
        self.lines.push(line.to_vec());
        Ok(())
    }
}

#[test]
fn log_write_errors_are_returned_and_counted_and_the_log_goes_on() {
    let sink = FlakySink {
        full: false,
        lines: Vec::new(),
    };
    let mut log = VerdictLog::with_sink(sink, "flaky");
    log.append(&inspected(1, 0.1, Verdict::Pass)).expect("ok");
    let mut sink = log.into_sink();
    sink.full = true;
    let mut log = VerdictLog::with_sink(sink, "flaky");
    match log.append(&inspected(2, 0.1, Verdict::Pass)) {
        Err(LogError::Write { part_id, .. }) => assert_eq!(part_id, 2),
        other => panic!("expected a write error, got {other:?}"),
    }
    assert_eq!(log.failed(), 1);
    let mut sink = log.into_sink();
    sink.full = false;
    let mut log = VerdictLog::with_sink(sink, "flaky");
    log.append(&inspected(3, 0.1, Verdict::Pass))
        .expect("recovered");
    assert_eq!(log.into_sink().lines.len(), 2);
}

#[test]
fn log_on_a_full_device_returns_an_error() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        eprintln!("skipped: /dev/full is absent on this system");
        return;
    }
    let mut log = VerdictLog::open(full).expect("open /dev/full");
    let err = log
        .append(&inspected(1, 0.1, Verdict::Pass))
        .expect_err("ENOSPC");
    assert!(matches!(err, LogError::Write { .. }), "{err:?}");
    assert_eq!(log.failed(), 1);
}

// ---------------------------------------------------------------- capture store

fn frame(tag: u8) -> RgbImage {
    RgbImage::from_fn(16, 12, |x, y| Rgb([tag, (x * 16) as u8, (y * 20) as u8]))
}

fn policy(quota_bytes: u64) -> CapturePolicy {
    CapturePolicy {
        near_low: 0.4,
        near_high: 0.5,
        sample_one_in: 0,
        sample_seed: 0,
        quota_bytes,
    }
}

/// Files in `dir`, sorted by name.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn dir_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum()
}

#[test]
fn store_keeps_rejects_and_near_threshold_with_a_sidecar() {
    let dir = temp_dir("store-rules");
    let mut store = CaptureStore::open(&dir, policy(1 << 20))
        .expect("open")
        .with_bundle_hash("abc123");
    let outcome = store
        .keep(&inspected(1, 0.9, Verdict::Reject), &frame(1))
        .expect("keep");
    assert!(matches!(
        outcome,
        KeepOutcome::Kept {
            reason: KeepReason::Reject,
            evicted: 0,
            ..
        }
    ));
    let not_inspected =
        VerdictRecord::rejected_without_verdict(2, 0, 0, Reason::InspectorError, "NaN map");
    assert!(matches!(
        store.keep(&not_inspected, &frame(2)).expect("keep"),
        KeepOutcome::Kept {
            reason: KeepReason::Reject,
            ..
        }
    ));
    assert!(matches!(
        store
            .keep(&inspected(3, 0.45, Verdict::Pass), &frame(3))
            .expect("keep"),
        KeepOutcome::Kept {
            reason: KeepReason::NearThreshold,
            ..
        }
    ));
    assert_eq!(
        store
            .keep(&inspected(4, 0.2, Verdict::Pass), &frame(4))
            .expect("keep"),
        KeepOutcome::Skipped
    );
    let stats = store.stats();
    assert_eq!((stats.kept, stats.skipped, stats.failed), (3, 1, 0));
    assert_eq!(store.len(), 3);
    assert_eq!(store.used_bytes(), dir_bytes(&dir));
    assert_eq!(
        listing(&dir),
        vec![
            "0000000000-part1.json",
            "0000000000-part1.png",
            "0000000001-part2.json",
            "0000000001-part2.png",
            "0000000002-part3.json",
            "0000000002-part3.png",
        ]
    );
    let sidecar: Sidecar =
        serde_json::from_slice(&fs::read(dir.join("0000000002-part3.json")).expect("read sidecar"))
            .expect("parse sidecar");
    assert_eq!(sidecar.record, inspected(3, 0.45, Verdict::Pass));
    assert_eq!(sidecar.keep_reason, KeepReason::NearThreshold);
    assert_eq!(sidecar.bundle_hash.as_deref(), Some("abc123"));
    assert_eq!(sidecar.image, "0000000002-part3.png");
    let png = image::open(dir.join(&sidecar.image))
        .expect("png")
        .into_rgb8();
    assert_eq!(png, frame(3));
}

#[test]
fn store_samples_clear_passes_deterministically() {
    let dir = temp_dir("store-sampling");
    let sampling = CapturePolicy {
        sample_one_in: 4,
        sample_seed: 42,
        ..policy(1 << 20)
    };
    let mut store = CaptureStore::open(&dir, sampling.clone()).expect("open");
    let kept: Vec<u64> = (0..40)
        .filter(|&id| {
            matches!(
                store.keep(&inspected(id, 0.1, Verdict::Pass), &frame(0)),
                Ok(KeepOutcome::Kept {
                    reason: KeepReason::Sampled,
                    ..
                })
            )
        })
        .collect();
    let expected: Vec<u64> = (0..40)
        .filter(|&id| sampling.select(id, Verdict::Pass, Some(0.1)).is_some())
        .collect();
    assert_eq!(kept, expected);
    assert!((3..=20).contains(&kept.len()), "kept {kept:?}");
}

/// Bytes one capture of `frame(_)` for a one-digit part id takes.
fn capture_size() -> u64 {
    let dir = temp_dir("store-measure");
    let mut store = CaptureStore::open(&dir, policy(1 << 20)).expect("open");
    match store.keep(&inspected(1, 0.9, Verdict::Reject), &frame(1)) {
        Ok(KeepOutcome::Kept { bytes, .. }) => bytes,
        other => panic!("expected a kept frame, got {other:?}"),
    }
}

#[test]
fn store_evicts_oldest_first_to_stay_within_quota_across_restarts() {
    let size = capture_size();
    let quota = 3 * size + size / 2;
    let dir = temp_dir("store-quota");
    let mut store = CaptureStore::open(&dir, policy(quota)).expect("open");
    let mut evicted = 0;
    for id in 1..=5 {
        match store
            .keep(&inspected(id, 0.9, Verdict::Reject), &frame(id as u8))
            .expect("keep")
        {
            KeepOutcome::Kept { evicted: e, .. } => evicted += e,
            KeepOutcome::Skipped => panic!("rejects are kept"),
        }
        assert!(store.used_bytes() <= quota);
        assert_eq!(store.used_bytes(), dir_bytes(&dir));
    }
    assert_eq!((evicted, store.len(), store.stats().evicted), (2, 3, 2));
    let parts = |dir: &Path| -> Vec<String> {
        listing(dir)
            .into_iter()
            .filter(|n| n.ends_with(".json"))
            .collect()
    };
    assert_eq!(
        parts(&dir),
        vec![
            "0000000002-part3.json",
            "0000000003-part4.json",
            "0000000004-part5.json"
        ]
    );
    drop(store);

    // A restart counts what is there, cleans crash leftovers, leaves foreign files alone.
    fs::write(dir.join(".tmp-0000000005-part6.png"), b"partial").expect("write");
    fs::write(dir.join("0000000009-part9.png"), b"orphan png").expect("write");
    fs::write(dir.join("notes.txt"), b"operator notes").expect("write");
    let mut store = CaptureStore::open(&dir, policy(quota)).expect("reopen");
    assert_eq!(store.len(), 3);
    assert_eq!(store.used_bytes(), 3 * size);
    store
        .keep(&inspected(7, 0.9, Verdict::Reject), &frame(7))
        .expect("keep");
    assert_eq!(
        listing(&dir),
        vec![
            "0000000003-part4.json",
            "0000000003-part4.png",
            "0000000004-part5.json",
            "0000000004-part5.png",
            "0000000005-part7.json",
            "0000000005-part7.png",
            "notes.txt",
        ]
    );
}

#[test]
fn store_refuses_a_capture_larger_than_the_quota() {
    let dir = temp_dir("store-tiny");
    let mut store = CaptureStore::open(&dir, policy(100)).expect("open");
    let err = store
        .keep(&inspected(1, 0.9, Verdict::Reject), &frame(1))
        .expect_err("too large");
    assert!(
        matches!(
            err,
            CaptureError::TooLarge {
                quota_bytes: 100,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(store.stats().failed, 1);
    assert!(listing(&dir).is_empty());
}

/// A disk that fills up at write number `full_from` (1-based): from then on every write
/// stores half its bytes, as a real full disk leaves a partial file, and fails.
struct FillingDisk {
    full_from: usize,
    writes: usize,
}

impl StoreWriter for FillingDisk {
    fn write_file(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.writes += 1;
        if self.writes < self.full_from {
            return fs::write(path, bytes);
        }
        fs::write(path, &bytes[..bytes.len() / 2])?;
        Err(io::Error::new(
            io::ErrorKind::StorageFull,
            "no space left on device",
        ))
    }
}

#[test]
fn store_on_a_full_disk_fails_the_part_leaves_nothing_partial_and_goes_on() {
    // Each capture writes its PNG, then its sidecar: fill up on either.
    for (name, full_from) in [("png", 3), ("sidecar", 4)] {
        let dir = temp_dir(&format!("store-full-{name}"));
        let writer = FillingDisk {
            full_from,
            writes: 0,
        };
        let mut store = CaptureStore::with_writer(&dir, policy(1 << 20), writer).expect("open");
        store
            .keep(&inspected(1, 0.9, Verdict::Reject), &frame(1))
            .expect("the first fits");
        let before = listing(&dir);
        let err = store
            .keep(&inspected(2, 0.9, Verdict::Reject), &frame(2))
            .expect_err("disk full");
        assert!(
            matches!(err, CaptureError::Io { part_id: 2, .. }),
            "{name}: {err:?}"
        );
        assert_eq!(
            listing(&dir),
            before,
            "{name}: no partial or temp file visible"
        );
        assert_eq!(store.stats().failed, 1);
        assert_eq!(store.used_bytes(), dir_bytes(&dir));
        // The line goes on: the next part fails the same way, no panic, no stop.
        assert!(store
            .keep(&inspected(3, 0.9, Verdict::Reject), &frame(3))
            .is_err());
        assert_eq!(listing(&dir), before);
        assert_eq!(
            store
                .keep(&inspected(4, 0.1, Verdict::Pass), &frame(4))
                .expect("skip"),
            KeepOutcome::Skipped
        );
    }
}

#[test]
fn store_whose_folder_vanished_reports_errors_and_recovers_when_it_returns() {
    let dir = temp_dir("store-gone");
    let mut store = CaptureStore::open(&dir, policy(1 << 20)).expect("open");
    store
        .keep(&inspected(1, 0.9, Verdict::Reject), &frame(1))
        .expect("keep");
    fs::remove_dir_all(&dir).expect("pull the USB stick");
    let err = store
        .keep(&inspected(2, 0.9, Verdict::Reject), &frame(2))
        .expect_err("folder gone");
    assert!(err.to_string().contains("part 2"), "{err}");
    fs::create_dir_all(&dir).expect("plug it back");
    store
        .keep(&inspected(3, 0.9, Verdict::Reject), &frame(3))
        .expect("works again");
    assert_eq!(store.stats().failed, 1);
}
