//! Exact pin transactions, checked with `embedded-hal-mock`: the safe state at start,
//! polarity, one reject pulse, and a failed write that raises the fault line.

use std::io::ErrorKind;

use edge::line::{
    DriverConfig, Edge, EncoderMode, LineConfig, LineDriver, LineIo, LinePins, Micros, Polarity,
    SimClock,
};
use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction as Tx};
use embedded_hal_mock::eh1::MockError;
use shared::scheduler::{Config, Span, Verdict};

fn config(reject: Polarity, fault: Polarity) -> LineConfig {
    LineConfig {
        trigger_edge: Edge::Rising,
        debounce_us: 0,
        encoder_mode: EncoderMode::Rising,
        reject,
        fault,
        heartbeat: Polarity::ActiveHigh,
    }
}

fn pins(
    trigger: Option<PinMock>,
    reject: &[Tx],
    fault: &[Tx],
    heartbeat: Option<&[Tx]>,
) -> LinePins<PinMock, PinMock> {
    LinePins {
        trigger,
        encoder_a: None,
        encoder_b: None,
        reject: PinMock::new(reject),
        fault: PinMock::new(fault),
        heartbeat: heartbeat.map(PinMock::new),
    }
}

fn done(pins: LinePins<PinMock, PinMock>) {
    let LinePins {
        trigger,
        reject,
        fault,
        heartbeat,
        ..
    } = pins;
    for mut pin in [Some(reject), Some(fault), trigger, heartbeat]
        .into_iter()
        .flatten()
    {
        pin.done();
    }
}

fn timing(delay_us: u64, pulse_us: u64) -> DriverConfig<Micros> {
    DriverConfig {
        timing: Config {
            delay: Span::new(delay_us),
            pulse_width: Span::new(pulse_us),
            decision_margin: Span::ZERO,
        },
        max_in_flight: 4,
        max_pulse_us: None,
        heartbeat_period_us: 1_000_000,
    }
}

#[test]
fn safe_state_follows_each_polarity() {
    // Active-high reject → low; active-low fault asserted → low; heartbeat inactive → low.
    let io = LineIo::new(
        pins(
            None,
            &[Tx::set(State::Low)],
            &[Tx::set(State::Low)],
            Some(&[Tx::set(State::Low)]),
        ),
        config(Polarity::ActiveHigh, Polarity::ActiveLow),
    )
    .expect("mock writes succeed");
    done(io.release());
    // Inverted wiring: active-low reject → high; active-high fault asserted → high.
    let io = LineIo::new(
        pins(None, &[Tx::set(State::High)], &[Tx::set(State::High)], None),
        config(Polarity::ActiveLow, Polarity::ActiveHigh),
    )
    .expect("mock writes succeed");
    done(io.release());
}

#[test]
fn photo_eye_part_without_verdict_gives_one_pulse_with_exact_transactions() {
    // Ticks every ms: trigger low, then high from 1 ms; fires at 1 + 3 ms, ends 1 ms later.
    let trigger = PinMock::new(&[
        Tx::get(State::Low),
        Tx::get(State::High),
        Tx::get(State::High),
        Tx::get(State::High),
        Tx::get(State::Low),
        Tx::get(State::Low),
    ]);
    let io = LineIo::new(
        pins(
            Some(trigger),
            &[
                Tx::set(State::Low),
                Tx::set(State::High),
                Tx::set(State::Low),
            ],
            &[Tx::set(State::Low)],
            None,
        ),
        config(Polarity::ActiveHigh, Polarity::ActiveLow),
    )
    .expect("mock writes succeed");
    let clock = SimClock::new(0);
    let mut driver: LineDriver<_, _, _, Micros, 4> =
        LineDriver::new(io, clock.clone(), timing(3_000, 1_000)).expect("valid timing");
    for _ in 0..6 {
        driver.tick();
        clock.advance(1_000);
    }
    assert_eq!(driver.scheduler_stats().rejected_late, 1);
    let (io, _) = driver.into_parts();
    done(io.release());
}

#[test]
fn failed_reject_write_asserts_fault_in_the_same_tick_then_retries() {
    let error = MockError::Io(ErrorKind::BrokenPipe);
    let io = LineIo::new(
        pins(
            None,
            &[
                Tx::set(State::Low),
                Tx::set(State::High).with_error(error),
                Tx::set(State::High),
            ],
            // Safe state (asserted = low), ready (high), fault (low).
            &[
                Tx::set(State::Low),
                Tx::set(State::High),
                Tx::set(State::Low),
            ],
            None,
        ),
        config(Polarity::ActiveHigh, Polarity::ActiveLow),
    )
    .expect("mock writes succeed");
    let clock = SimClock::new(0);
    let mut driver: LineDriver<_, _, _, Micros, 4> =
        LineDriver::new(io, clock.clone(), timing(2_000, 5_000)).expect("valid timing");
    driver.set_ready(true);
    driver.tick(); // 0 ms: ready → fault line high
    let part = driver.trigger_now().expect("room");
    driver
        .on_verdict(part, Verdict::Defect { code: 3 })
        .expect("known part");
    clock.advance(2_000);
    driver.tick(); // 2 ms: reject write fails → fault low
    clock.advance(1_000);
    driver.tick(); // 3 ms: reject retried
    assert_eq!(driver.stats().pin_write_failures, 1);
    let (io, _) = driver.into_parts();
    done(io.release());
}
