//! A missing or corrupt bundle stops `edge run` with the file named, before any part
//! is processed (nothing is logged, no GPIO line is touched).

use std::path::{Path, PathBuf};

use edge::clock::MonotonicClock;
use edge::line::Backend;
use edge::source::SourceSpec;
use edge::station::{open_station, CaptureChoice, OpenError, RunSettings};

use crate::common::error_chain;
use crate::harness::*;

pub fn sim_profile() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../boards/sim.toml")
}

fn settings(dir: &Path, bundle: PathBuf) -> RunSettings {
    RunSettings {
        bundle,
        board: sim_profile(),
        source: Some(SourceSpec::Folder(write_frames(dir, 1, 0))),
        gpio: Some(Backend::Sim),
        log: Some(dir.join("verdicts.jsonl")),
        captures: CaptureChoice::Dir(dir.join("captures")),
        threads: Some(1),
        part_interval_us: None,
        max_parts: None,
        summary_every: None,
        watch: None,
        reload: None,
    }
}

fn open_error(settings: &RunSettings) -> OpenError {
    match open_station(settings, MonotonicClock::shared()) {
        Ok(_) => panic!("{} must not open", settings.bundle.display()),
        Err(e) => e,
    }
}

#[test]
fn a_missing_bundle_is_named_before_anything_is_opened() {
    let dir = scratch("missing-bundle");
    let s = settings(&dir, dir.join("no-such.bundle"));
    let err = open_error(&s);
    assert!(matches!(err, OpenError::Bundle { .. }), "{err:?}");
    let text = error_chain(&err);
    assert!(text.contains("no-such.bundle"), "{text}");
    assert!(
        !dir.join("verdicts.jsonl").exists(),
        "no log before the bundle"
    );
    assert!(!dir.join("captures").exists());
}

#[test]
fn a_corrupt_bundle_is_named_with_the_failed_check() {
    let dir = scratch("corrupt-bundle");
    let good = write_bundle(&dir);
    let bytes = std::fs::read(&good).expect("bundle bytes");
    let cases = [
        ("truncated.bundle", bytes[..bytes.len() / 2].to_vec()),
        ("garbage.bundle", b"definitely not a bundle".to_vec()),
        ("flipped.bundle", {
            let mut b = bytes.clone();
            let mid = b.len() / 2;
            b[mid] ^= 0x40;
            b
        }),
    ];
    for (name, content) in cases {
        let path = dir.join(name);
        std::fs::write(&path, content).expect("write");
        let err = open_error(&settings(&dir, path));
        assert!(matches!(err, OpenError::Bundle { .. }), "{name}: {err:?}");
        let text = error_chain(&err);
        assert!(text.contains(name), "{text}");
        assert!(!dir.join("verdicts.jsonl").exists());
    }
}
