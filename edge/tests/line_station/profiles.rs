//! Board profiles: every file in `boards/` parses; each kind of mistake is refused with
//! file, line and field; a profile drives a simulated station end to end.

use std::path::{Path, PathBuf};

use edge::board::{
    BoardProfile, DeployProfile, Invalid, PixelFormat, ProfileError, RejectTiming, StationTiming,
};
use edge::line::{
    open, Backend, InputRole, LineDriver, LineIo, MonotonicClock as _, OutputRole, Polarity,
    SimClock, SimLine, LINE_CAPACITY,
};
use shared::scheduler::Verdict;

fn boards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../boards")
}

fn sim_text() -> String {
    std::fs::read_to_string(boards_dir().join("sim.toml")).expect("boards/sim.toml")
}

/// 1-based line of the first line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}"))
}

/// Parses `text` as `bad.toml` and returns the located error.
fn refuse(text: &str) -> Invalid {
    match BoardProfile::from_toml_str(text, Path::new("boards/bad.toml")) {
        Err(ProfileError::Invalid(invalid)) => *invalid,
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn every_profile_in_boards_parses() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(boards_dir()).expect("boards/ exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            BoardProfile::read_from(&path).unwrap_or_else(|e| panic!("{e}"));
            names.push(path.file_stem().map(|s| s.to_string_lossy().into_owned()));
        }
    }
    names.sort();
    let expected = [
        "jetson-nano",
        "jetson-orin-nano",
        "rpi4",
        "rpi5",
        "sim",
        "sim-soak",
    ];
    assert_eq!(
        names,
        expected
            .iter()
            .map(|n| Some((*n).to_owned()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn profiles_carry_the_board_specific_values() {
    let read = |name: &str| {
        BoardProfile::read_from(&boards_dir().join(format!("{name}.toml")))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let rpi4 = read("rpi4");
    assert_eq!(rpi4.gpio.backend, Backend::Rppal);
    assert_eq!(rpi4.inference_threads, 4);
    assert_eq!(rpi4.camera.format, PixelFormat::Mjpeg);
    assert_eq!(rpi4.line_config().fault, Polarity::ActiveLow);
    assert_eq!(rpi4.line_offsets().trigger, Some(17));
    match rpi4.station_timing() {
        StationTiming::Time(c) => {
            assert_eq!(c.timing.delay.get(), 600_000);
            assert_eq!(c.timing.pulse_width.get(), 20_000);
            assert_eq!(c.heartbeat_period_us, 500_000);
        }
        other => panic!("rpi4 runs on the clock: {other:?}"),
    }
    let rpi5 = read("rpi5");
    assert!(matches!(
        rpi5.reject.timing,
        RejectTiming::Encoder {
            delay_counts: 400,
            max_pulse_us: 200_000,
            ..
        }
    ));
    assert_eq!(rpi5.line_offsets().encoder_b, Some(6));
    assert_eq!(read("jetson-nano").inference_threads, 4);
    let orin = read("jetson-orin-nano");
    assert_eq!(orin.inference_threads, 6);
    assert_eq!(orin.gpio.chip.as_deref(), Some(Path::new("/dev/gpiochip0")));
    assert_eq!(read("sim").gpio.backend, Backend::Sim);
}

#[test]
fn unknown_field_is_refused_with_line_and_field() {
    let text = sim_text().replace("fps = 30", "fsp = 30");
    let e = refuse(&text);
    assert_eq!(e.line, Some(line_of(&text, "fsp")));
    assert_eq!(e.field.as_deref(), Some("camera.fsp"));
    assert!(e.message.contains("unknown field `fsp`"), "{e}");
    assert!(e.to_string().starts_with("boards/bad.toml:"), "{e}");
}

#[test]
fn typo_inside_an_inline_table_names_the_nested_field() {
    let text = sim_text().replace("debounce_us = 200", "debounce_ms = 200");
    let e = refuse(&text);
    assert_eq!(e.line, Some(line_of(&text, "trigger =")));
    assert_eq!(e.field.as_deref(), Some("gpio.trigger.debounce_ms"), "{e}");
}

#[test]
fn wrong_type_and_bad_enum_value_are_located() {
    let text = sim_text().replace("width = 640", "width = \"wide\"");
    let e = refuse(&text);
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(line_of(&text, "width")), Some("camera.width")),
        "{e}"
    );
    let text = sim_text().replace("format = \"YUYV\"", "format = \"RGB3\"");
    let e = refuse(&text);
    assert_eq!(e.field.as_deref(), Some("camera.format"), "{e}");
    assert!(e.message.contains("YUYV"), "lists the choices: {e}");
}

#[test]
fn syntax_error_and_missing_field_are_located() {
    let text = sim_text().replace("[camera]", "[camera");
    let e = refuse(&text);
    assert_eq!(e.line, Some(line_of(&text, "[camera")));
    let text = sim_text().replace("fps = 30\n", "");
    let e = refuse(&text);
    assert!(e.message.contains("missing field `fps`"), "{e}");
    assert_eq!(e.field.as_deref(), Some("camera"), "{e}");
    assert!(e.line.is_some(), "{e}");
}

#[test]
fn semantic_errors_name_file_line_and_field() {
    let cases = [
        (
            "width = 640",
            "width = 0",
            "width =",
            "camera.width",
            "not in 1..=16384",
        ),
        (
            "width = 640",
            "width = 641",
            "width =",
            "camera.width",
            "even",
        ),
        (
            "fault = { line = 2,",
            "fault = { line = 0,",
            "fault =",
            "gpio.fault.line",
            "already used by gpio.trigger.line (line ",
        ),
        (
            "max_reject_rate = 0.2",
            "max_reject_rate = 1.5",
            "max_reject_rate",
            "deploy.max_reject_rate",
            "not a rate in 0..=1",
        ),
        (
            "probation_parts = 50",
            "probation_parts = 0",
            "probation_parts",
            "deploy.probation_parts",
            "not in 1..=100000",
        ),
        (
            "pulse_ms = 20",
            "pulse_ms = 700",
            "pulse_ms",
            "reject.pulse_ms",
            "longer than the delay",
        ),
        (
            "decision_margin_ms = 5",
            "decision_margin_ms = 600",
            "decision_margin_ms",
            "reject.decision_margin_ms",
            "smaller than the delay",
        ),
        (
            "max_parts_in_flight = 16",
            "max_parts_in_flight = 100000",
            "max_parts_in_flight",
            "reject.max_parts_in_flight",
            "not in 1..=",
        ),
        (
            "delay_ms = 600",
            "delay_counts = 600",
            "delay_counts",
            "reject.delay_counts",
            "no [gpio.encoder]",
        ),
        (
            "backend = \"sim\"",
            "backend = \"cdev\"",
            "backend",
            "gpio.backend",
            "needs `chip`",
        ),
        (
            "quota_mb = 256",
            "quota_mb = 0",
            "quota_mb",
            "capture.quota_mb",
            "quota 0",
        ),
        (
            "inference_threads = 2",
            "inference_threads = 0",
            "inference_threads",
            "inference_threads",
            "not in 1..=64",
        ),
    ];
    for (from, to, line_prefix, field, needle) in cases {
        let text = sim_text().replacen(from, to, 1);
        assert_ne!(text, sim_text(), "{from:?} not found in sim.toml");
        let e = refuse(&text);
        let where_ = format!("boards/bad.toml:{}:", line_of(&text, line_prefix));
        let shown = e.to_string();
        assert!(shown.starts_with(&where_), "{shown} (expected at {where_})");
        assert_eq!(e.field.as_deref(), Some(field), "{shown}");
        assert!(shown.contains(needle), "{shown} lacks {needle:?}");
    }
}

#[test]
fn encoder_settings_must_agree_with_the_axis() {
    let with_encoder = sim_text().replace(
        "reject = { line = 1,",
        "encoder = { a = 4, mode = \"quadrature\" }\nreject = { line = 1,",
    );
    let e = refuse(&with_encoder);
    assert_eq!(e.field.as_deref(), Some("gpio.encoder.mode"), "{e}");
    let counts = with_encoder
        .replace("mode = \"quadrature\"", "mode = \"rising\"")
        .replace("delay_ms = 600", "delay_counts = 600")
        .replace("pulse_ms = 20", "pulse_counts = 20")
        .replace("decision_margin_ms = 5", "decision_margin_counts = 5");
    let e = refuse(&counts);
    assert_eq!(e.field.as_deref(), Some("reject.max_pulse_ms"), "{e}");
    assert!(e.message.contains("stopped belt"), "{e}");
    let ok = counts.replace(
        "max_parts_in_flight",
        "max_pulse_ms = 250\nmax_parts_in_flight",
    );
    let profile =
        BoardProfile::from_toml_str(&ok, Path::new("ok.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        profile.station_timing(),
        StationTiming::Encoder(_)
    ));
    let mixed = counts.replace("pulse_counts = 20", "pulse_ms = 20");
    assert_eq!(refuse(&mixed).field.as_deref(), Some("reject.pulse_ms"));
}

#[test]
fn the_deploy_section_is_optional_and_checked() {
    let text = sim_text();
    let start = text.find("[deploy]").expect("sim.toml has [deploy]");
    let without = &text[..start];
    let p = BoardProfile::from_toml_str(without, Path::new("boards/bad.toml")).expect("parses");
    assert_eq!(p.deploy, DeployProfile::default());
    assert!(!p.deploy.watch, "watching is opt-in");
    let typo = format!("{without}[deploy]\nwatch = true\nprobation = 10\n");
    let err = refuse(&typo);
    assert_eq!(err.field.as_deref(), Some("deploy.probation"), "{err}");
    let watched = format!("{without}[deploy]\nwatch = true\n");
    let p = BoardProfile::from_toml_str(&watched, Path::new("boards/bad.toml")).expect("parses");
    assert!(p.deploy.watch);
    assert_eq!(
        p.deploy.probation_parts,
        DeployProfile::default().probation_parts
    );
}

#[test]
fn unreadable_file_names_the_path() {
    let err = BoardProfile::read_from(Path::new("/nonexistent/board.toml")).expect_err("missing");
    assert!(matches!(err, ProfileError::Read { .. }));
    assert!(err.to_string().contains("/nonexistent/board.toml"), "{err}");
}

#[test]
fn the_sim_profile_drives_a_simulated_station() {
    let profile =
        BoardProfile::read_from(&boards_dir().join("sim.toml")).unwrap_or_else(|e| panic!("{e}"));
    let clock = SimClock::new(0);
    let line = SimLine::new(clock.clone());
    let config = profile.line_config();
    let pins = open(
        profile.gpio.backend,
        None,
        &profile.line_offsets(),
        &config,
        &line,
    )
    .expect("sim opens");
    let io = LineIo::new(pins, config).expect("sim writes succeed");
    let StationTiming::Time(timing) = profile.station_timing() else {
        panic!("sim.toml runs on the clock");
    };
    let mut driver: LineDriver<_, _, _, _, LINE_CAPACITY> =
        LineDriver::new(io, clock.clone(), timing).expect("profile timing is valid");
    driver.set_ready(true);
    line.pulse_input(InputRole::Trigger, 100_000, 30_000);
    while clock.now_us() < 800_000 {
        let parts: Vec<_> = driver
            .tick()
            .iter()
            .filter_map(|e| match e {
                edge::line::LineEvent::Triggered { part_id, .. } => Some(*part_id),
                _ => None,
            })
            .collect();
        for part in parts {
            driver
                .on_verdict(part, Verdict::Defect { code: 0 })
                .expect("known part");
        }
        clock.advance(1_000);
    }
    let pulses = line.pulses(OutputRole::Reject, profile.gpio.reject.polarity);
    // Seen at 100 ms, 600 ms delay, 20 ms pulse (1 ms ticks on exact multiples).
    assert_eq!(pulses.len(), 1);
    assert_eq!(
        (pulses[0].start_us, pulses[0].width_us),
        (700_000, Some(20_000))
    );
    assert_eq!(
        line.level(OutputRole::Fault),
        Some(true),
        "ready, active-low"
    );
}
