//! Semantic checks of a parsed profile: ranges, unique lines, one reject axis. Each
//! refusal names the field and, through [`SourceMap`], the file and line.

use super::error::{ProfileError, SourceMap};
use super::sections::{PixelFormat, RawProfile, RawReject};
use super::{BoardProfile, RejectProfile, RejectTiming};
use crate::line::{Backend, EncoderMode, LINE_CAPACITY};
use crate::signature::PublicKey;
use std::path::Path;

/// Longest time setting accepted, ms (one hour): anything longer is a unit mistake.
const MAX_MS: f64 = 3_600_000.0;

type Check<T> = Result<T, ProfileError>;

/// Milliseconds (possibly fractional) → whole µs.
fn micros(map: &SourceMap<'_>, path: &str, ms: f64) -> Check<u64> {
    if !ms.is_finite() || !(0.0..=MAX_MS).contains(&ms) {
        return Err(map.field_error(path, format!("{ms} ms is not in 0..={MAX_MS} ms")));
    }
    // In range: the product is at most 3.6e9, exact enough and far below u64::MAX.
    Ok((ms * 1000.0).round() as u64)
}

fn in_range<T: PartialOrd + std::fmt::Display>(
    map: &SourceMap<'_>,
    path: &str,
    value: T,
    min: T,
    max: T,
    unit: &str,
) -> Check<()> {
    if value < min || value > max {
        return Err(map.field_error(path, format!("{value}{unit} is not in {min}..={max}{unit}")));
    }
    Ok(())
}

pub(super) fn profile(raw: RawProfile, map: &SourceMap<'_>) -> Check<BoardProfile> {
    in_range(map, "inference_threads", raw.inference_threads, 1, 64, "")?;
    if raw.verdict_log.as_os_str().is_empty() {
        return Err(map.field_error("verdict_log", "empty path"));
    }
    camera(&raw, map)?;
    gpio(&raw, map)?;
    let reject = reject(&raw, map)?;
    if raw.capture.dir.as_os_str().is_empty() {
        return Err(map.field_error("capture.dir", "empty path"));
    }
    if raw.capture.quota_mb == 0 {
        return Err(map.field_error(
            "capture.quota_mb",
            "quota 0 MiB would keep no frame for retraining",
        ));
    }
    deploy(&raw, map)?;
    let bundle_public_key = match &raw.bundle_public_key {
        Some(text) => Some(public_key(map, text)?),
        None => None,
    };
    Ok(BoardProfile {
        board: raw.board,
        inference_threads: raw.inference_threads,
        verdict_log: raw.verdict_log,
        bundle_public_key,
        camera: raw.camera,
        gpio: raw.gpio,
        reject,
        capture: raw.capture,
        deploy: raw.deploy,
    })
}

fn deploy(raw: &RawProfile, map: &SourceMap<'_>) -> Check<()> {
    let d = &raw.deploy;
    in_range(map, "deploy.dry_run_frames", d.dry_run_frames, 0, 1_000, "")?;
    in_range(
        map,
        "deploy.probation_parts",
        d.probation_parts,
        1,
        100_000,
        "",
    )?;
    let rate = d.max_reject_rate;
    if !rate.is_finite() || !(0.0..=1.0).contains(&rate) {
        return Err(map.field_error(
            "deploy.max_reject_rate",
            format!("{rate} is not a rate in 0..=1 (e.g. 0.2: roll back above 20 % rejects)"),
        ));
    }
    Ok(())
}

/// `bundle_public_key`: 64 hex digits, or a key file (`KEY.pub`) whose relative path is
/// taken from the profile's folder.
fn public_key(map: &SourceMap<'_>, text: &str) -> Check<PublicKey> {
    const FIELD: &str = "bundle_public_key";
    let text = text.trim();
    if text.is_empty() {
        return Err(map.field_error(FIELD, "empty: give 64 hex digits or a KEY.pub path"));
    }
    let hex_digits = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
    if hex_digits {
        return PublicKey::from_hex(text).map_err(|e| map.field_error(FIELD, e.to_string()));
    }
    let path = Path::new(text);
    let path = if path.is_relative() {
        map.file
            .parent()
            .map_or_else(|| path.to_path_buf(), |dir| dir.join(path))
    } else {
        path.to_path_buf()
    };
    PublicKey::read_from(&path).map_err(|e| {
        let chain = match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        };
        map.field_error(FIELD, chain)
    })
}

fn camera(raw: &RawProfile, map: &SourceMap<'_>) -> Check<()> {
    let c = &raw.camera;
    if c.device.as_os_str().is_empty() {
        return Err(map.field_error("camera.device", "empty path (e.g. \"/dev/video0\")"));
    }
    in_range(map, "camera.width", c.width, 1, 16_384, " px")?;
    in_range(map, "camera.height", c.height, 1, 16_384, " px")?;
    in_range(map, "camera.fps", c.fps, 1, 1_000, " fps")?;
    if c.format == PixelFormat::Yuyv && c.width % 2 == 1 {
        return Err(map.field_error(
            "camera.width",
            format!("YUYV packs pixel pairs: width {} must be even", c.width),
        ));
    }
    Ok(())
}

fn gpio(raw: &RawProfile, map: &SourceMap<'_>) -> Check<()> {
    let g = &raw.gpio;
    match &g.chip {
        None if g.backend == Backend::Cdev => {
            return Err(map.field_error(
                "gpio.backend",
                "backend `cdev` needs `chip` (e.g. chip = \"/dev/gpiochip0\")",
            ));
        }
        Some(chip) if chip.as_os_str().is_empty() => {
            return Err(map.field_error("gpio.chip", "empty path"));
        }
        _ => {}
    }
    // Every line at most once: a shared line would drive an output from two roles or
    // read an output as a sensor.
    let lines = [
        ("gpio.trigger.line", g.trigger.map(|t| t.line)),
        ("gpio.encoder.a", g.encoder.map(|e| e.a)),
        ("gpio.encoder.b", g.encoder.and_then(|e| e.b)),
        ("gpio.reject.line", Some(g.reject.line)),
        ("gpio.fault.line", Some(g.fault.line)),
        ("gpio.heartbeat.line", g.heartbeat.map(|h| h.line)),
    ];
    for (i, (path, line)) in lines.iter().enumerate() {
        let Some(line) = line else { continue };
        if let Some((first, _)) = lines[..i].iter().find(|(_, l)| *l == Some(*line)) {
            let at = map
                .line_of(first)
                .map_or(String::new(), |l| format!(" (line {l})"));
            return Err(map.field_error(
                path,
                format!("line {line} is already used by {first}{at}: each role needs its own line"),
            ));
        }
    }
    if let Some(e) = g.encoder {
        match (e.mode, e.b) {
            (EncoderMode::Quadrature, None) => {
                return Err(map.field_error(
                    "gpio.encoder.mode",
                    "quadrature needs channel B: add `b = <line>` or use mode \"rising\"",
                ));
            }
            (EncoderMode::Rising | EncoderMode::Both, Some(_)) => {
                return Err(map.field_error(
                    "gpio.encoder.b",
                    "channel B is only read in mode \"quadrature\": set the mode or remove `b`",
                ));
            }
            _ => {}
        }
    }
    if let Some(h) = g.heartbeat {
        if micros(map, "gpio.heartbeat.period_ms", h.period_ms)? < 2 {
            return Err(map.field_error(
                "gpio.heartbeat.period_ms",
                "the period must be at least 2 µs (typically 500 ms)",
            ));
        }
    }
    Ok(())
}

fn reject(raw: &RawProfile, map: &SourceMap<'_>) -> Check<RejectProfile> {
    let r: &RawReject = &raw.reject;
    in_range(
        map,
        "reject.max_parts_in_flight",
        r.max_parts_in_flight,
        1,
        LINE_CAPACITY,
        "",
    )?;
    let max_pulse_us = r
        .max_pulse_ms
        .map(|ms| micros(map, "reject.max_pulse_ms", ms))
        .transpose()?;
    let timing = match (r.delay_ms, r.delay_counts) {
        (Some(_), Some(_)) => {
            return Err(map.field_error(
                "reject.delay_counts",
                "give the delay either in ms (`delay_ms`) or in encoder counts (`delay_counts`), not both",
            ));
        }
        (None, None) => {
            return Err(map.field_error(
                "reject",
                "missing the camera→actuator delay: `delay_ms` (clock) or `delay_counts` (encoder)",
            ));
        }
        (Some(delay_ms), None) => time_axis(raw, map, delay_ms, max_pulse_us)?,
        (None, Some(delay_counts)) => encoder_axis(raw, map, delay_counts, max_pulse_us)?,
    };
    Ok(RejectProfile {
        timing,
        max_parts_in_flight: r.max_parts_in_flight,
    })
}

fn time_axis(
    raw: &RawProfile,
    map: &SourceMap<'_>,
    delay_ms: f64,
    max_pulse_us: Option<u64>,
) -> Check<RejectTiming> {
    let r = &raw.reject;
    if r.pulse_counts.is_some() || r.decision_margin_counts.is_some() {
        let path = if r.pulse_counts.is_some() {
            "reject.pulse_counts"
        } else {
            "reject.decision_margin_counts"
        };
        return Err(map.field_error(
            path,
            "the delay is in ms (`delay_ms`): give pulse and margin in ms too",
        ));
    }
    let delay_us = micros(map, "reject.delay_ms", delay_ms)?;
    let pulse_ms = r.pulse_ms.ok_or_else(|| {
        map.field_error("reject.pulse_ms", "missing: the reject pulse width in ms")
    })?;
    let pulse_us = micros(map, "reject.pulse_ms", pulse_ms)?;
    let margin_us = r
        .decision_margin_ms
        .map(|ms| micros(map, "reject.decision_margin_ms", ms))
        .transpose()?
        .unwrap_or(0);
    spans(map, "ms", "µs", delay_us, pulse_us, margin_us)?;
    let debounce_us = raw.gpio.trigger.map_or(0, |t| t.debounce_us);
    if debounce_us > 0 && debounce_us.saturating_add(margin_us) >= delay_us {
        return Err(map.field_error(
            "gpio.trigger.debounce_us",
            format!("debounce {debounce_us} µs + decision margin {margin_us} µs must be shorter than reject.delay_ms ({delay_us} µs)"),
        ));
    }
    if let Some(max) = max_pulse_us {
        if max < pulse_us {
            return Err(map.field_error(
                "reject.max_pulse_ms",
                "shorter than reject.pulse_ms: every pulse would be cut",
            ));
        }
    }
    Ok(RejectTiming::Time {
        delay_us,
        pulse_us,
        decision_margin_us: margin_us,
        max_pulse_us,
    })
}

fn encoder_axis(
    raw: &RawProfile,
    map: &SourceMap<'_>,
    delay_counts: u64,
    max_pulse_us: Option<u64>,
) -> Check<RejectTiming> {
    let r = &raw.reject;
    if raw.gpio.encoder.is_none() {
        return Err(map.field_error(
            "reject.delay_counts",
            "the delay is in encoder counts but there is no [gpio.encoder]",
        ));
    }
    if r.pulse_ms.is_some() || r.decision_margin_ms.is_some() {
        let path = if r.pulse_ms.is_some() {
            "reject.pulse_ms"
        } else {
            "reject.decision_margin_ms"
        };
        return Err(map.field_error(
            path,
            "the delay is in counts (`delay_counts`): give pulse and margin in counts too",
        ));
    }
    let pulse_counts = r.pulse_counts.ok_or_else(|| {
        map.field_error(
            "reject.pulse_counts",
            "missing: the reject pulse width in counts",
        )
    })?;
    let margin_counts = r.decision_margin_counts.unwrap_or(0);
    spans(
        map,
        "counts",
        "counts",
        delay_counts,
        pulse_counts,
        margin_counts,
    )?;
    let max_pulse_us = max_pulse_us.ok_or_else(|| {
        map.field_error(
            "reject.max_pulse_ms",
            "required with `delay_counts`: a stopped belt would otherwise hold the actuator on",
        )
    })?;
    if max_pulse_us == 0 {
        return Err(map.field_error("reject.max_pulse_ms", "must be > 0"));
    }
    Ok(RejectTiming::Encoder {
        delay_counts,
        pulse_counts,
        decision_margin_counts: margin_counts,
        max_pulse_us,
    })
}

/// Delay, pulse width and margin on one axis (`unit`: field suffix, `label`: unit of
/// the values).
fn spans(
    map: &SourceMap<'_>,
    unit: &str,
    label: &str,
    delay: u64,
    pulse: u64,
    margin: u64,
) -> Check<()> {
    if delay == 0 {
        return Err(map.field_error(
            &format!("reject.delay_{unit}"),
            "must be > 0: the actuator sits downstream of the camera",
        ));
    }
    if pulse == 0 {
        return Err(map.field_error(
            &format!("reject.pulse_{unit}"),
            "must be > 0 (the actuator's minimum on-time, e.g. 20 ms of a valve)",
        ));
    }
    if pulse > delay {
        return Err(map.field_error(
            &format!("reject.pulse_{unit}"),
            format!("pulse width {pulse} {label} is longer than the delay {delay} {label}: check the units or the actuator position"),
        ));
    }
    if margin >= delay {
        return Err(map.field_error(
            &format!("reject.decision_margin_{unit}"),
            format!("margin {margin} {label} must be smaller than the delay {delay} {label}"),
        ));
    }
    Ok(())
}
