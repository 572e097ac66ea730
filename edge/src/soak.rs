//! The soak check behind `edge soak` (docs/reliability.md): what a long replay on the
//! simulated line must show — resident memory that stays flat, every part with exactly
//! one verdict, every reject with exactly one fire and every fire with its pulse, and a
//! trigger → verdict latency whose p99 does not drift between the first and last tenth.
//!
//! - [`resident_kib`] reads the process's resident set from `/proc/self/status`.
//! - [`SoakObserver`] samples it and keeps each part's latency in memory reserved before
//!   the run, so the instrument itself does not grow.
//! - [`account`] compares the verdict log read back with the scheduler's fires and the
//!   simulated valve's pulses.

use std::collections::BTreeMap;
use std::fmt;

use crate::record::{Verdict, VerdictRecord};
use crate::station::{percentile_of_sorted, FireRecord, Observer, PartTrigger};

/// The process's resident set size in KiB (`VmRSS` of `/proc/self/status`); `None` where
/// there is no procfs (not Linux).
#[must_use]
pub fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_rss(&status)
}

/// The `VmRSS:` line of a `/proc/<pid>/status` text, KiB.
fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Samples resident memory every `sample_every` parts and keeps each part's trigger →
/// verdict latency (µs) in a buffer reserved for `expected_parts`.
#[derive(Debug)]
pub struct SoakObserver {
    sample_every: u64,
    parts: u64,
    latencies_us: Vec<u32>,
    rss: Vec<(u64, u64)>,
    warnings: u64,
}

impl SoakObserver {
    /// An observer for a run of `expected_parts`, sampling memory `samples` times.
    #[must_use]
    pub fn new(expected_parts: u64, samples: u64) -> Self {
        let samples = samples.max(1);
        Self {
            sample_every: (expected_parts / samples).max(1),
            parts: 0,
            latencies_us: Vec::with_capacity(usize::try_from(expected_parts).unwrap_or(0)),
            rss: Vec::with_capacity(usize::try_from(samples + 2).unwrap_or(0)),
            warnings: 0,
        }
    }

    /// Takes a memory sample now (before the first part, after the last).
    pub fn sample_rss(&mut self) {
        if self.rss.len() < self.rss.capacity() {
            if let Some(kib) = resident_kib() {
                self.rss.push((self.parts, kib));
            }
        }
    }

    /// `(parts so far, KiB)` samples, in order.
    #[must_use]
    pub fn rss_samples(&self) -> &[(u64, u64)] {
        &self.rss
    }

    /// Trigger → verdict latency of every part, µs, in part order.
    #[must_use]
    pub fn latencies_us(&self) -> &[u32] {
        &self.latencies_us
    }

    /// Warnings the loop gave (written to stderr, the first 20 in full).
    #[must_use]
    pub fn warnings(&self) -> u64 {
        self.warnings
    }
}

impl Observer for SoakObserver {
    fn part(&mut self, record: &VerdictRecord, trigger: PartTrigger) {
        self.parts += 1;
        // Within the reserved capacity: pushing never allocates during the run.
        if self.latencies_us.len() < self.latencies_us.capacity() {
            let us = record.mono_us.saturating_sub(trigger.at_us);
            self.latencies_us
                .push(u32::try_from(us).unwrap_or(u32::MAX));
        }
        if self.parts % self.sample_every == 0 {
            self.sample_rss();
        }
    }

    fn warning(&mut self, message: &dyn fmt::Display) {
        self.warnings += 1;
        if self.warnings <= 20 {
            eprintln!("warning [{}]: {message}", self.warnings);
        }
    }

    fn notice(&mut self, message: &dyn fmt::Display) {
        eprintln!("note: {message}");
    }
}

/// p99 of the first and of the last tenth of `latencies_us`, µs; `None` with fewer than
/// 10 samples per tenth.
#[must_use]
pub fn p99_first_last_tenth(latencies_us: &[u32]) -> Option<(u64, u64)> {
    let tenth = latencies_us.len() / 10;
    if tenth < 10 {
        return None;
    }
    let p99 = |part: &[u32]| {
        let mut sorted: Vec<u64> = part.iter().map(|&v| u64::from(v)).collect();
        sorted.sort_unstable();
        percentile_of_sorted(&sorted, 0.99).unwrap_or(0)
    };
    Some((
        p99(&latencies_us[..tenth]),
        p99(&latencies_us[latencies_us.len() - tenth..]),
    ))
}

/// Verdicts and pulses of a run, accounted part by part.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Accounting {
    /// Parts the scheduler was given (ids `0..triggered`).
    pub triggered: u64,
    /// Records in the log.
    pub records: u64,
    /// Rejects in the log.
    pub rejects: u64,
    /// Part ids with no record (lost verdicts).
    pub lost: Vec<u64>,
    /// Part ids with more than one record.
    pub duplicated: Vec<u64>,
    /// Records for ids the scheduler never issued.
    pub unknown: Vec<u64>,
    /// Rejected parts whose fire count is not exactly one.
    pub rejects_not_fired_once: Vec<u64>,
    /// Fires for parts the log does not reject.
    pub fires_without_reject: Vec<u64>,
    /// Fires that started a pulse (not merged into one already on).
    pub pulsing_fires: u64,
    /// Pulses the simulated valve made.
    pub pulses: u64,
}

impl Accounting {
    /// Nothing lost, doubled or unexplained.
    #[must_use]
    pub fn clean(&self) -> bool {
        self.lost.is_empty()
            && self.duplicated.is_empty()
            && self.unknown.is_empty()
            && self.rejects_not_fired_once.is_empty()
            && self.fires_without_reject.is_empty()
            && self.pulsing_fires == self.pulses
    }
}

/// Accounts `records` (the log read back) against the `triggered` part ids, the
/// scheduler's `fires` and the valve's `pulses`.
#[must_use]
pub fn account(
    records: &[VerdictRecord],
    triggered: u64,
    fires: &[FireRecord],
    pulses: u64,
) -> Accounting {
    let mut seen: BTreeMap<u64, (u32, bool)> = BTreeMap::new();
    for r in records {
        let entry = seen.entry(r.part_id).or_insert((0, false));
        entry.0 += 1;
        entry.1 |= r.verdict == Verdict::Reject;
    }
    let mut fired: BTreeMap<u64, u32> = BTreeMap::new();
    for f in fires {
        *fired.entry(f.part_id.0).or_insert(0) += 1;
    }
    let mut out = Accounting {
        triggered,
        records: records.len() as u64,
        rejects: records
            .iter()
            .filter(|r| r.verdict == Verdict::Reject)
            .count() as u64,
        pulsing_fires: fires.iter().filter(|f| !f.merged).count() as u64,
        pulses,
        ..Accounting::default()
    };
    out.lost = (0..triggered).filter(|id| !seen.contains_key(id)).collect();
    for (&id, &(count, rejected)) in &seen {
        if count > 1 {
            out.duplicated.push(id);
        }
        if id >= triggered {
            out.unknown.push(id);
        }
        if rejected && fired.get(&id) != Some(&1) {
            out.rejects_not_fired_once.push(id);
        }
    }
    out.fires_without_reject = fired
        .keys()
        .copied()
        .filter(|id| !seen.get(id).is_some_and(|&(_, rejected)| rejected))
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Reason, StageLatency};
    use shared::scheduler::{PartId, RejectReason};

    fn record(part_id: u64, verdict: Verdict) -> VerdictRecord {
        VerdictRecord {
            part_id,
            wall_us: 0,
            mono_us: 0,
            frame_seq: None,
            score: None,
            verdict,
            reason: Reason::NoFrame,
            detail: None,
            latency_us: StageLatency::default(),
            origin: None,
            bundle_sha256: None,
            model_generation: None,
        }
    }

    fn fire(part_id: u64, merged: bool) -> FireRecord {
        FireRecord {
            part_id: PartId(part_id),
            reason: RejectReason::Defect { code: 0 },
            scheduled_at: 0,
            start_at: 0,
            merged,
            unit: "µs",
        }
    }

    #[test]
    fn reads_vm_rss_in_kib() {
        let status = "Name:\tedge\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(parse_vm_rss(status), Some(12_345));
        assert_eq!(parse_vm_rss("Name:\tedge\n"), None);
    }

    #[test]
    fn a_clean_run_accounts_every_part_and_pulse() {
        let records = [
            record(0, Verdict::Pass),
            record(1, Verdict::Reject),
            record(2, Verdict::Reject),
        ];
        let a = account(&records, 3, &[fire(1, false), fire(2, true)], 1);
        assert!(a.clean(), "{a:?}");
        assert_eq!((a.records, a.rejects, a.pulsing_fires), (3, 2, 1));
    }

    #[test]
    fn lost_doubled_unknown_and_unfired_parts_are_named() {
        let records = [
            record(0, Verdict::Reject),
            record(0, Verdict::Reject),
            record(2, Verdict::Pass),
            record(7, Verdict::Pass),
        ];
        let a = account(&records, 4, &[fire(2, false)], 0);
        assert_eq!(a.lost, vec![1, 3]);
        assert_eq!(a.duplicated, vec![0]);
        assert_eq!(a.unknown, vec![7]);
        assert_eq!(a.rejects_not_fired_once, vec![0]);
        assert_eq!(a.fires_without_reject, vec![2]);
        assert_ne!(a.pulsing_fires, a.pulses);
        assert!(!a.clean());
    }

    #[test]
    fn p99_compares_the_first_and_last_tenth() {
        let mut latencies: Vec<u32> = vec![100; 1000];
        latencies[999] = 5_000;
        latencies[998] = 5_000;
        let (first, last) = p99_first_last_tenth(&latencies).unwrap();
        assert_eq!(first, 100);
        assert_eq!(last, 5_000);
        assert_eq!(p99_first_last_tenth(&latencies[..50]), None);
    }
}
