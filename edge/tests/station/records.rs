//! A full disk under the verdict log and the capture store: inspection goes on, every
//! failure is counted, and no frame that was not inspected passes.

use std::io;
use std::path::Path;

use edge::record::{
    CapturePolicy, CaptureStore, LineSink, Reason, StoreWriter, Verdict, VerdictLog,
};
use edge::source::{FolderOptions, FolderSource};
use edge::station::Recorder;

use crate::harness::*;

/// A log disk that is full for appends `full.start..full.end` (0-based).
struct FlakyLog {
    calls: usize,
    full: std::ops::Range<usize>,
    lines: Vec<u8>,
}

impl LineSink for FlakyLog {
    fn append_line(&mut self, line: &[u8]) -> io::Result<()> {
        let call = self.calls;
        self.calls += 1;
        if self.full.contains(&call) {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"));
        }
        self.lines.extend_from_slice(line);
        Ok(())
    }
}

/// A capture disk that fills up at write `full_from` (1-based): later writes store half
/// their bytes and fail, as a real full disk does.
struct FillingDisk {
    full_from: usize,
    writes: usize,
}

impl StoreWriter for FillingDisk {
    fn write_file(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.writes += 1;
        if self.writes < self.full_from {
            return std::fs::write(path, bytes);
        }
        std::fs::write(path, &bytes[..bytes.len() / 2])?;
        Err(io::Error::new(
            io::ErrorKind::StorageFull,
            "no space left on device",
        ))
    }
}

#[test]
fn a_full_disk_loses_records_and_captures_but_never_an_inspection() {
    let dir = scratch("full-disk");
    let bundle = write_bundle(&dir);
    let frames = write_frames(&dir, 3, 3);
    // Part 4 (test/good/001.png) cannot be read at all.
    std::fs::write(frames.join("test/good/001.png"), b"garbage").expect("corrupt");
    let mut bench = station(false);
    let mut source =
        FolderSource::open(&frames, FolderOptions::default(), bench.clock.clone()).expect("open");
    let mut inspector = inspector(&bundle);
    let log = VerdictLog::with_sink(
        FlakyLog {
            calls: 0,
            full: 1..3,
            lines: Vec::new(),
        },
        "full log disk",
    );
    let captures_dir = dir.join("captures");
    let policy = CapturePolicy {
        sample_one_in: 1,
        ..CapturePolicy::default()
    };
    // Two writes per capture: the first capture lands, the disk is full from then on.
    let store = CaptureStore::with_writer(
        &captures_dir,
        policy,
        FillingDisk {
            full_from: 3,
            writes: 0,
        },
    )
    .expect("store");
    let mut recorder = Recorder::new(log, Some(store));
    let (report, keep) = run_loop(
        &mut bench,
        &mut source,
        &mut inspector,
        &mut recorder,
        &options(),
    );

    // Every part was decided as if the disk were fine.
    assert_eq!(keep.parts.len(), 6);
    for (i, (record, _)) in keep.parts.iter().enumerate() {
        if i == 4 {
            assert_eq!(
                (record.verdict, record.reason),
                (Verdict::Reject, Reason::FrameError)
            );
        } else {
            assert_eq!(record.reason, Reason::Inspected, "{record:?}");
        }
        if record.verdict == Verdict::Pass {
            assert!(record.score.is_some() && record.reason == Reason::Inspected);
        }
    }
    let passes = keep
        .parts
        .iter()
        .filter(|(r, _)| r.verdict == Verdict::Pass)
        .count();
    assert_eq!(passes, 2, "good/000 and good/002");
    assert_eq!(report.line.scheduler.passed, 2);

    // Failures counted: two log lines lost, four frames not kept (the corrupt part has
    // no frame to keep).
    assert_eq!(report.summary.log_failures, 2);
    assert_eq!(report.records.log_failures, 2);
    assert_eq!(report.records.written, 4);
    assert_eq!(
        (
            report.summary.captures_kept,
            report.summary.capture_failures
        ),
        (1, 4)
    );
    assert!(keep.warnings.iter().any(|w| w.contains("verdict log")));
    assert!(keep
        .warnings
        .iter()
        .any(|w| w.contains("no space left on device")));
    let (log, store) = recorder.into_parts();
    let lines = log.into_sink().lines;
    let back = edge::record::parse_verdict_log(&lines, "log").expect("whole lines only");
    let ids: Vec<u64> = back.records.iter().map(|r| r.part_id).collect();
    assert_eq!(ids, vec![0, 3, 4, 5]);
    let store = store.expect("store");
    assert_eq!(store.len(), 1);
    // Nothing partial is left behind.
    let names: Vec<String> = std::fs::read_dir(&captures_dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "one PNG + sidecar: {names:?}");
}
