//! The real backends off-board: clear errors, never a panic; the run-time switch.

use std::path::Path;

use edge::line::{open, Backend, BackendError, LineOffsets, SimClock, SimLine};

use crate::bench::{line_config, offsets};

fn try_open(backend: Backend, chip: Option<&Path>) -> Result<(), BackendError> {
    let sim = SimLine::new(SimClock::new(0));
    open(backend, chip, &offsets(false), &line_config(0), &sim).map(|_| ())
}

#[test]
fn backend_names_parse_and_unknown_ones_are_refused() {
    for b in [Backend::Rppal, Backend::Cdev, Backend::Sim] {
        assert_eq!(b.name().parse::<Backend>(), Ok(b));
    }
    let err = "gpiod".parse::<Backend>().expect_err("not a backend");
    assert!(err.to_string().contains("rppal, cdev or sim"), "{err}");
}

#[test]
fn sim_backend_opens_the_named_lines_only() {
    let sim = SimLine::new(SimClock::new(0));
    let offsets = LineOffsets {
        trigger: None,
        heartbeat: None,
        ..offsets(true)
    };
    let pins = open(Backend::Sim, None, &offsets, &line_config(0), &sim).expect("sim opens");
    assert!(pins.trigger.is_none() && pins.heartbeat.is_none());
    assert!(pins.encoder_a.is_some());
}

#[test]
fn rppal_off_a_pi_is_an_error_not_a_panic() {
    let on_a_pi = std::fs::read_to_string("/proc/device-tree/model")
        .is_ok_and(|m| m.contains("Raspberry Pi"));
    if on_a_pi {
        eprintln!("skipped: this machine is a Raspberry Pi");
        return;
    }
    let err = try_open(Backend::Rppal, None).expect_err("not a Pi");
    let message = err.to_string();
    if cfg!(feature = "rppal") {
        assert!(message.contains("rppal"), "{message}");
        assert!(
            message.contains("--gpio"),
            "suggests another backend: {message}"
        );
    } else {
        assert!(matches!(
            err,
            BackendError::NotCompiled { backend: "rppal" }
        ));
        assert!(message.contains("--features rppal"), "{message}");
    }
}

#[test]
fn cdev_without_the_chip_names_the_chip() {
    let chip = Path::new("/dev/gpiochip-edge-test-missing");
    let err = try_open(Backend::Cdev, Some(chip)).expect_err("no such chip");
    let message = err.to_string();
    if cfg!(feature = "cdev") {
        assert!(matches!(err, BackendError::NoChip { .. }), "{err:?}");
        assert!(
            message.contains("/dev/gpiochip-edge-test-missing"),
            "{message}"
        );
        let no_path = try_open(Backend::Cdev, None).expect_err("chip required");
        assert!(matches!(no_path, BackendError::NoChipPath));
    } else {
        assert!(matches!(err, BackendError::NotCompiled { backend: "cdev" }));
    }
}
