//! Frame sources: folder replay, recorded sequences, the reconnect wrapper and source
//! specs, driven by a manual clock (no test waits).

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use edge::clock::{ManualClock, SharedClock};
use edge::source::{
    Backoff, CameraConfig, DecodeError, FolderOptions, FolderSource, Frame, FrameOrigin,
    FrameSource, OpenSettings, Pace, PixelFormat, Reconnecting, SequenceOptions, SequenceSource,
    SequenceWriter, SourceError, SourceSpec,
};
use image::{ImageFormat, Rgb, RgbImage};

/// A fresh, empty folder for test `name`.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edge-sources-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A small image whose colour encodes `tag`, so tests can tell frames apart.
fn tagged(tag: u8) -> RgbImage {
    RgbImage::from_pixel(8, 6, Rgb([tag, 255 - tag, 17]))
}

fn save(path: &Path, img: &RgbImage) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    img.save(path).expect("save image");
}

fn manual() -> (Arc<ManualClock>, SharedClock) {
    let clock = ManualClock::new(1_000);
    let shared: SharedClock = clock.clone();
    (clock, shared)
}

fn next(source: &mut impl FrameSource) -> Frame {
    source
        .next_frame()
        .expect("frame expected")
        .expect("not the end")
}

// ---------------------------------------------------------------- folder source

#[test]
fn folder_replays_an_mvtec_layout_in_sorted_path_order_then_ends() {
    let root = temp_dir("mvtec");
    let test = root.join("test");
    save(&test.join("good/001.png"), &tagged(4));
    save(&test.join("good/000.png"), &tagged(3));
    save(&test.join("broken_large/001.png"), &tagged(2));
    save(&test.join("broken_large/000.png"), &tagged(1));
    save(&test.join("good/.hidden.png"), &tagged(99));
    save(&root.join("train/good/000.png"), &tagged(98));
    fs::write(test.join("good/notes.txt"), "not an image").expect("write");
    let (clock, shared) = manual();
    let mut source =
        FolderSource::open(&test, FolderOptions::default(), shared).expect("folder opens");
    assert_eq!(source.files().len(), 4);
    assert!(
        source.describe().contains("4 images"),
        "{}",
        source.describe()
    );
    for (seq, tag) in [1u8, 2, 3, 4].into_iter().enumerate() {
        clock.advance_us(10);
        let frame = next(&mut source);
        assert_eq!(frame.seq, seq as u64);
        assert_eq!(frame.captured_us, 1_000 + 10 * (seq as u64 + 1));
        assert_eq!(frame.image, tagged(tag), "frame {seq}");
        assert!(matches!(&frame.origin, FrameOrigin::File(p) if p.starts_with(&test)));
    }
    assert!(source.next_frame().expect("end is not an error").is_none());
    assert!(source.next_frame().expect("still the end").is_none());
}

#[test]
fn folder_loops_when_asked_and_keeps_counting() {
    let root = temp_dir("loop");
    save(&root.join("a.png"), &tagged(1));
    save(&root.join("b.PNG"), &tagged(2));
    let (_, shared) = manual();
    let mut source =
        FolderSource::open(&root, FolderOptions { looping: true }, shared).expect("opens");
    let tags: Vec<(u64, u8)> = (0..5)
        .map(|_| {
            let f = next(&mut source);
            (f.seq, f.image.get_pixel(0, 0).0[0])
        })
        .collect();
    assert_eq!(tags, vec![(0, 1), (1, 2), (2, 1), (3, 2), (4, 1)]);
}

#[test]
fn folder_reports_a_bad_image_by_name_and_moves_on() {
    let root = temp_dir("bad-image");
    save(&root.join("0.png"), &tagged(1));
    fs::write(root.join("1.png"), b"\x89PNG truncated").expect("write");
    save(&root.join("2.png"), &tagged(3));
    let (_, shared) = manual();
    let mut source = FolderSource::open(&root, FolderOptions::default(), shared).expect("opens");
    assert_eq!(next(&mut source).image, tagged(1));
    let err = source.next_frame().expect_err("corrupt file");
    assert!(
        matches!(&err, SourceError::Image { path, .. } if path.ends_with("1.png")),
        "{err:?}"
    );
    assert!(err.to_string().contains("1.png"), "{err}");
    let frame = next(&mut source);
    assert_eq!(frame.image, tagged(3));
    assert_eq!(frame.seq, 1, "seq counts delivered frames");
    assert!(source.next_frame().expect("end").is_none());
}

#[test]
fn folder_without_images_or_missing_is_an_error_naming_it() {
    let root = temp_dir("empty");
    fs::write(root.join("readme.txt"), "x").expect("write");
    let (_, shared) = manual();
    let err = FolderSource::open(&root, FolderOptions::default(), shared.clone())
        .err()
        .expect("no images");
    assert!(matches!(err, SourceError::NoImages { .. }));
    let missing = root.join("nope");
    let err = FolderSource::open(&missing, FolderOptions::default(), shared)
        .err()
        .expect("missing");
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn folder_decodes_jpegs_saved_from_an_mjpeg_camera() {
    // A JPEG whose Huffman tables were stripped, as UVC cameras send them.
    let img = RgbImage::from_fn(16, 16, |x, y| Rgb([(x * 15) as u8, (y * 15) as u8, 80]));
    let mut full = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut full), ImageFormat::Jpeg)
        .expect("encode");
    let mut abbreviated = full[..2].to_vec();
    let mut pos = 2;
    while full[pos + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([full[pos + 2], full[pos + 3]]));
        if full[pos + 1] != 0xC4 {
            abbreviated.extend_from_slice(&full[pos..pos + 2 + len]);
        }
        pos += 2 + len;
    }
    abbreviated.extend_from_slice(&full[pos..]);
    let root = temp_dir("mjpeg-file");
    fs::write(root.join("frame.jpg"), &abbreviated).expect("write");
    let (_, shared) = manual();
    let mut source = FolderSource::open(&root, FolderOptions::default(), shared).expect("opens");
    let expected = image::load_from_memory(&full).expect("full").into_rgb8();
    assert_eq!(next(&mut source).image, expected);
}

// ---------------------------------------------------------------- recorded sequences

fn frame(seq: u64, captured_us: u64, tag: u8) -> Frame {
    Frame {
        seq,
        captured_us,
        image: tagged(tag),
        origin: FrameOrigin::Camera {
            device: "/dev/video0".into(),
            sequence: 100 + seq as u32,
        },
    }
}

/// Records three frames at 5 000, 5 500 and 8 000 µs.
fn record(name: &str) -> PathBuf {
    let dir = temp_dir(name).join("run");
    let mut writer = SequenceWriter::create(&dir, Some("test camera")).expect("create");
    for (i, (t, tag)) in [(5_000, 10), (5_500, 20), (8_000, 30)]
        .into_iter()
        .enumerate()
    {
        writer.append(&frame(i as u64, t, tag)).expect("append");
    }
    assert_eq!(writer.frames(), 3);
    dir
}

#[test]
fn recording_replays_as_fast_as_possible_with_its_frames_and_offsets() {
    let dir = record("replay-fast");
    let index = fs::read_to_string(dir.join("sequence.jsonl")).expect("index");
    let lines: Vec<&str> = index.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(
        lines[0].contains(r#""format":"edge-sequence""#),
        "{}",
        lines[0]
    );
    assert!(lines[2].contains(r#""offset_us":500"#), "{}", lines[2]);
    assert!(
        lines[3].contains(r#""origin":"/dev/video0#102""#),
        "{}",
        lines[3]
    );
    let (clock, shared) = manual();
    let mut source = SequenceSource::open(&dir, SequenceOptions::default(), shared).expect("opens");
    assert_eq!(source.len(), 3);
    assert_eq!(source.recorded_source(), Some("test camera"));
    assert!(!source.truncated_tail());
    for (seq, tag) in [10u8, 20, 30].into_iter().enumerate() {
        let f = next(&mut source);
        assert_eq!((f.seq, f.image.clone()), (seq as u64, tagged(tag)));
        assert!(matches!(&f.origin, FrameOrigin::File(p) if p.starts_with(&dir)));
    }
    assert!(source.next_frame().expect("end").is_none());
    assert!(clock.sleeps_us().is_empty(), "fast replay never sleeps");
}

#[test]
fn recording_replays_at_the_recorded_pace_on_the_injected_clock() {
    let dir = record("replay-paced");
    let (clock, shared) = manual();
    let options = SequenceOptions {
        pace: Pace::Recorded,
        looping: true,
    };
    let mut source = SequenceSource::open(&dir, options, shared).expect("opens");
    let stamps: Vec<u64> = (0..3).map(|_| next(&mut source).captured_us).collect();
    assert_eq!(stamps, vec![1_000, 1_500, 4_000]);
    assert_eq!(clock.sleeps_us(), vec![500, 2_500]);
    // A slow consumer: already past the next pass's second frame, so no sleep.
    clock.advance_us(10_000);
    let first = next(&mut source);
    assert_eq!(first.captured_us, 14_000);
    assert_eq!(first.seq, 3);
    clock.advance_us(900);
    assert_eq!(next(&mut source).captured_us, 14_900);
    assert_eq!(
        clock.sleeps_us(),
        vec![500, 2_500],
        "late frames are not delayed"
    );
}

#[test]
fn recording_cut_by_a_crash_replays_up_to_the_last_whole_frame() {
    let dir = record("replay-truncated");
    let index = dir.join("sequence.jsonl");
    let mut bytes = fs::read(&index).expect("read");
    bytes.extend_from_slice(br#"{"file":"frames/00000003.png","offs"#);
    fs::write(&index, &bytes).expect("write");
    let (_, shared) = manual();
    let source = SequenceSource::open(&dir, SequenceOptions::default(), shared).expect("opens");
    assert_eq!(source.len(), 3);
    assert!(source.truncated_tail());
}

#[test]
fn recording_index_errors_name_the_line() {
    let (_, shared) = manual();
    let open = |dir: &Path| {
        SequenceSource::open(dir, SequenceOptions::default(), shared.clone())
            .err()
            .expect("must fail")
    };
    let line_of = |err: SourceError| match err {
        SourceError::Sequence { line, reason, .. } => (line, reason),
        other => panic!("expected a sequence error, got {other:?}"),
    };
    let header = r#"{"format":"edge-sequence","version":1}"#;
    let cases = [
        (
            "corrupt-middle",
            format!("{header}\n{{\"file\":\"a.png\",\"offset_us\":0}}\n{{oops\n{{\"file\":\"b.png\",\"offset_us\":1}}\n"),
            3,
        ),
        (
            "bad-version",
            "{\"format\":\"edge-sequence\",\"version\":2}\n".to_owned(),
            1,
        ),
        (
            "escape",
            format!("{header}\n{{\"file\":\"../secret.png\",\"offset_us\":0}}\n"),
            2,
        ),
        (
            "backwards",
            format!("{header}\n{{\"file\":\"a.png\",\"offset_us\":9}}\n{{\"file\":\"b.png\",\"offset_us\":3}}\n"),
            3,
        ),
        ("no-frames", format!("{header}\n"), 0),
    ];
    for (name, text, line) in cases {
        let dir = temp_dir(name);
        fs::write(dir.join("sequence.jsonl"), text).expect("write");
        let (got, reason) = line_of(open(&dir));
        assert_eq!(got, line, "{name}: {reason}");
    }
    let err = open(&temp_dir("no-index"));
    assert!(err.to_string().contains("sequence.jsonl"), "{err}");
}

#[test]
fn recording_with_a_missing_frame_file_names_it() {
    let dir = record("replay-missing");
    fs::remove_file(dir.join("frames/00000001.png")).expect("remove");
    let (_, shared) = manual();
    let mut source = SequenceSource::open(&dir, SequenceOptions::default(), shared).expect("opens");
    next(&mut source);
    let err = source.next_frame().expect_err("missing frame");
    assert!(err.to_string().contains("00000001.png"), "{err}");
    assert_eq!(next(&mut source).image, tagged(30));
}

#[test]
fn writer_never_overwrites_a_recording_and_refuses_time_going_back() {
    let dir = record("writer-rules");
    let err = SequenceWriter::create(&dir, None).expect_err("exists");
    assert!(
        matches!(&err, SourceError::Sequence { reason, .. } if reason.contains("overwrite")),
        "{err:?}"
    );
    let other = temp_dir("writer-backwards").join("run");
    let mut writer = SequenceWriter::create(&other, None).expect("create");
    writer.append(&frame(0, 100, 1)).expect("first");
    assert!(writer.append(&frame(1, 99, 2)).is_err());
    writer.append(&frame(1, 150, 2)).expect("time moves on");
    assert_eq!(writer.frames(), 2);
    let leftovers: Vec<_> = fs::read_dir(other.join("frames"))
        .expect("list")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temp files left");
}

// ---------------------------------------------------------------- reconnect wrapper

/// A camera double: delivers frames until its script says fail.
struct FakeCamera {
    /// Per call: `None` = deliver a frame, `Some(err)` = fail with it.
    script: VecDeque<Option<SourceError>>,
    clock: SharedClock,
    delivered: u64,
}

impl FrameSource for FakeCamera {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if let Some(Some(err)) = self.script.pop_front() {
            return Err(err);
        }
        self.delivered += 1;
        Ok(Some(Frame {
            seq: self.delivered - 1,
            captured_us: self.clock.now_us(),
            image: tagged(self.delivered as u8),
            origin: FrameOrigin::Other("fake".into()),
        }))
    }

    fn describe(&self) -> String {
        "fake camera".into()
    }
}

fn unplugged() -> SourceError {
    SourceError::Device {
        device: "/dev/video9".into(),
        operation: "VIDIOC_DQBUF",
        source: std::io::Error::from_raw_os_error(19),
    }
}

/// An opener that follows a script: `Err(())` fails to open, `Ok(script)` opens a camera
/// with that per-frame script. Returns the opener and a count of calls.
fn scripted_opener(
    opens: Vec<Result<Vec<Option<SourceError>>, ()>>,
    clock: SharedClock,
) -> (
    impl FnMut() -> Result<FakeCamera, SourceError>,
    Arc<Mutex<u32>>,
) {
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let mut opens: VecDeque<_> = opens.into();
    let opener = move || {
        *counter.lock().expect("lock") += 1;
        match opens.pop_front() {
            Some(Ok(script)) => Ok(FakeCamera {
                script: script.into(),
                clock: clock.clone(),
                delivered: 0,
            }),
            _ => Err(SourceError::Device {
                device: "/dev/video9".into(),
                operation: "open",
                source: std::io::Error::from_raw_os_error(2),
            }),
        }
    };
    (opener, calls)
}

fn ms(n: u64) -> std::time::Duration {
    std::time::Duration::from_millis(n)
}

#[test]
fn reconnect_reports_each_failure_backs_off_exponentially_and_recovers() {
    let (clock, shared) = manual();
    let (opener, calls) = scripted_opener(
        vec![
            Ok(vec![None, None, Some(unplugged())]),
            Err(()),
            Err(()),
            Err(()),
            Ok(vec![]),
        ],
        shared.clone(),
    );
    let backoff = Backoff::new(ms(100), ms(10_000)).expect("valid");
    let mut camera = Reconnecting::new("/dev/video9", opener, backoff, shared);
    assert!(!camera.is_healthy(), "not healthy before the first frame");
    assert_eq!(next(&mut camera).seq, 0);
    assert!(camera.is_healthy());
    assert_eq!(next(&mut camera).seq, 1);
    assert!(clock.sleeps_us().is_empty(), "the first open does not wait");

    let err = camera.next_frame().expect_err("unplugged");
    assert!(matches!(err, SourceError::Device { .. }));
    assert!(!camera.is_healthy());
    for attempt in 1..=3u32 {
        match camera.next_frame().expect_err("reopen fails") {
            SourceError::Reopen {
                attempt: a,
                retry_in_ms,
                ..
            } => {
                assert_eq!(a, attempt);
                assert_eq!(retry_in_ms, 100 << attempt);
            }
            other => panic!("expected a reopen error, got {other:?}"),
        }
        assert!(!camera.is_healthy());
        assert_eq!(camera.failed_attempts(), attempt);
    }
    let back = next(&mut camera);
    assert_eq!(back.seq, 2, "seq continues across the reopen");
    assert!(camera.is_healthy());
    assert_eq!(camera.reconnects(), 1);
    assert_eq!(camera.failed_attempts(), 0);
    assert_eq!(
        clock.sleeps_us(),
        vec![100_000, 200_000, 400_000, 800_000],
        "back-off before each reopen attempt"
    );
    assert_eq!(*calls.lock().expect("lock"), 5);
}

#[test]
fn reconnect_back_off_is_capped_and_resets_after_a_frame() {
    let (clock, shared) = manual();
    let (opener, _) = scripted_opener(
        vec![
            Err(()),
            Err(()),
            Err(()),
            Err(()),
            Ok(vec![None, Some(unplugged())]),
            Ok(vec![]),
        ],
        shared.clone(),
    );
    let backoff = Backoff::new(ms(100), ms(300)).expect("valid");
    let mut camera = Reconnecting::new("cam", opener, backoff, shared);
    for _ in 0..4 {
        assert!(camera.next_frame().is_err());
    }
    next(&mut camera);
    assert!(camera.next_frame().is_err(), "unplugged again");
    next(&mut camera);
    // Startup: no wait, then 100, 200, 300 (capped), 300; after a frame, from 100 again.
    assert_eq!(
        clock.sleeps_us(),
        vec![100_000, 200_000, 300_000, 300_000, 100_000]
    );
}

#[test]
fn reconnect_grows_back_off_when_a_reopened_camera_fails_at_once() {
    let (clock, shared) = manual();
    let timeout = || SourceError::Timeout {
        device: "cam".into(),
        timeout_ms: 1000,
    };
    let (opener, _) = scripted_opener(
        vec![
            Ok(vec![Some(timeout())]),
            Ok(vec![Some(timeout())]),
            Ok(vec![]),
        ],
        shared.clone(),
    );
    let backoff = Backoff::new(ms(10), ms(1000)).expect("valid");
    let mut camera = Reconnecting::new("cam", opener, backoff, shared);
    assert!(matches!(
        camera.next_frame(),
        Err(SourceError::Timeout { .. })
    ));
    assert!(matches!(
        camera.next_frame(),
        Err(SourceError::Timeout { .. })
    ));
    next(&mut camera);
    assert_eq!(clock.sleeps_us(), vec![10_000, 20_000]);
    assert_eq!(
        camera.reconnects(),
        0,
        "it never delivered before, so no reconnect"
    );
}

#[test]
fn reconnect_passes_frame_errors_through_without_reopening() {
    let (_, shared) = manual();
    let corrupt = SourceError::Frame {
        device: "cam".into(),
        sequence: 7,
        source: DecodeError::NotJpeg { found: vec![0, 0] },
    };
    let (opener, calls) =
        scripted_opener(vec![Ok(vec![None, Some(corrupt), None])], shared.clone());
    let mut camera = Reconnecting::new("cam", opener, Backoff::default(), shared);
    next(&mut camera);
    assert!(matches!(
        camera.next_frame(),
        Err(SourceError::Frame { .. })
    ));
    assert!(camera.is_healthy(), "one bad frame is not a device fault");
    assert_eq!(next(&mut camera).seq, 1);
    assert_eq!(*calls.lock().expect("lock"), 1);
}

#[test]
fn backoff_refuses_impossible_settings() {
    assert!(Backoff::new(ms(0), ms(10)).is_err());
    assert!(Backoff::new(ms(20), ms(10)).is_err());
    let b = Backoff::new(ms(20), ms(20)).expect("equal is fine");
    assert_eq!((b.initial_us(), b.max_us()), (20_000, 20_000));
}

// ---------------------------------------------------------------- specs

#[test]
fn specs_open_folders_and_recordings() {
    let root = temp_dir("spec");
    save(&root.join("x.png"), &tagged(5));
    let (_, shared) = manual();
    let spec: SourceSpec = format!("dir:{}", root.display()).parse().expect("spec");
    let mut source = spec
        .open(&OpenSettings::default(), shared.clone())
        .expect("opens");
    assert_eq!(next(&mut source).image, tagged(5));
    assert!(source.is_healthy());
    let run = record("spec-seq");
    let spec: SourceSpec = format!("seq:{}", run.display()).parse().expect("spec");
    let mut source = spec.open(&OpenSettings::default(), shared).expect("opens");
    assert_eq!(next(&mut source).image, tagged(10));
}

#[test]
fn camera_spec_needs_a_camera_config() {
    let (_, shared) = manual();
    let spec: SourceSpec = "v4l:/dev/video0".parse().expect("spec");
    let err = spec
        .open(&OpenSettings::default(), shared)
        .err()
        .expect("no config");
    assert!(
        matches!(
            err,
            SourceError::Config {
                field: "camera",
                ..
            }
        ),
        "{err:?}"
    );
}

#[cfg(not(feature = "v4l"))]
#[test]
fn camera_spec_without_the_v4l_feature_says_how_to_get_it() {
    let (_, shared) = manual();
    let spec: SourceSpec = "v4l:/dev/video0".parse().expect("spec");
    let settings = OpenSettings {
        camera: Some(CameraConfig::new("", PixelFormat::Yuyv, 640, 480)),
        ..OpenSettings::default()
    };
    let err = spec.open(&settings, shared).err().expect("no v4l");
    assert!(err.to_string().contains("--features v4l"), "{err}");
}

#[cfg(feature = "v4l")]
#[test]
fn camera_spec_with_v4l_reports_a_missing_device_as_a_failed_reopen() {
    let (clock, shared) = manual();
    let spec: SourceSpec = "v4l:/dev/video-edge-test-absent".parse().expect("spec");
    let settings = OpenSettings {
        camera: Some(CameraConfig::new("", PixelFormat::Yuyv, 640, 480)),
        ..OpenSettings::default()
    };
    let mut camera = spec.open(&settings, shared).expect("opens lazily");
    for attempt in 1..=2 {
        match camera.next_frame().expect_err("no such device") {
            SourceError::Reopen {
                attempt: a, source, ..
            } => {
                assert_eq!(a, attempt);
                assert!(
                    matches!(
                        *source,
                        SourceError::Device {
                            operation: "open",
                            ..
                        }
                    ),
                    "{source:?}"
                );
            }
            other => panic!("expected a reopen error, got {other:?}"),
        }
        assert!(!camera.is_healthy());
    }
    assert_eq!(clock.sleeps_us(), vec![100_000]);
}

#[test]
fn sources_can_move_to_a_capture_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<FolderSource>();
    assert_send::<SequenceSource>();
    assert_send::<SequenceWriter>();
    #[cfg(feature = "v4l")]
    assert_send::<edge::source::v4l::V4lSource>();
}
