//! [`Summary`]: what a run did, in counters that never allocate per part: parts, passes,
//! rejects by reason, catch rate and false rejects where the frames carry ground truth,
//! frame → verdict latency percentiles, and what went wrong around the parts (stale
//! frames, untracked parts, log and capture failures, camera losses).

use std::fmt;

use super::latency::LatencyHistogram;
use super::truth::Truth;
use crate::deploy::DeployCounts;
use crate::record::{Reason, Verdict};

/// Rejects by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RejectCounts {
    /// Inspected and anomalous.
    pub defect: u64,
    /// No usable frame (camera error, unreadable file).
    pub frame_error: u64,
    /// Triggered, but no frame came for it.
    pub no_frame: u64,
    /// The inspector failed on the frame.
    pub inspector_error: u64,
    /// The verdict came after the part's deadline (or inspection could not start before).
    pub late: u64,
}

impl RejectCounts {
    /// All rejects.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.defect + self.frame_error + self.no_frame + self.inspector_error + self.late
    }
}

/// Outcomes of the parts whose frames carry ground truth ([`super::truth`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TruthCounts {
    /// Good parts seen.
    pub good: u64,
    /// Good parts rejected (any reason): false rejects.
    pub good_rejected: u64,
    /// Defective parts seen.
    pub defective: u64,
    /// Defective parts rejected (any reason): caught.
    pub defective_rejected: u64,
}

impl TruthCounts {
    /// Caught / defective; `None` without defective parts.
    #[must_use]
    pub fn catch_rate(&self) -> Option<f64> {
        ratio(self.defective_rejected, self.defective)
    }

    /// Good rejected / good; `None` without good parts.
    #[must_use]
    pub fn false_reject_rate(&self) -> Option<f64> {
        ratio(self.good_rejected, self.good)
    }
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Parts with a verdict record (each tracked part has exactly one).
    pub parts: u64,
    /// Parts passed.
    pub passes: u64,
    /// Parts rejected, by reason.
    pub rejects: RejectCounts,
    /// Catch rate and false rejects, for frames with ground truth.
    pub truth: TruthCounts,
    /// Frame capture → verdict handed to the scheduler, µs, per part with a frame.
    pub frame_to_verdict: LatencyHistogram,
    /// Frames older than their part's trigger, dropped (trigger mode).
    pub stale_frames: u64,
    /// Frames read while no part waited (trigger mode, cameras), discarded.
    pub idle_frames: u64,
    /// Source errors while no part waited.
    pub idle_frame_errors: u64,
    /// Free-run frames the scheduler could not track (queue full): no part, fault latched.
    pub untracked_frames: u64,
    /// Verdict records that could not be written (counted by the log too).
    pub log_failures: u64,
    /// Frames kept in the capture store.
    pub captures_kept: u64,
    /// Frames the capture store failed to keep.
    pub capture_failures: u64,
    /// Times the source went from healthy to unhealthy (fault output asserted).
    pub camera_losses: u64,
    /// Hot deployment: models swapped in, replacements refused, rollbacks.
    pub deploy: DeployCounts,
}

impl Summary {
    /// Counts one part's record; `truth` from its frame, `latency_us` frame → verdict.
    pub fn count_part(
        &mut self,
        verdict: Verdict,
        reason: Reason,
        truth: Option<Truth>,
        latency_us: Option<u64>,
    ) {
        self.parts += 1;
        let rejected = verdict == Verdict::Reject;
        if rejected {
            let r = &mut self.rejects;
            match reason {
                Reason::Inspected => r.defect += 1,
                Reason::FrameError => r.frame_error += 1,
                Reason::NoFrame => r.no_frame += 1,
                Reason::InspectorError => r.inspector_error += 1,
                Reason::Late => r.late += 1,
            }
        } else {
            self.passes += 1;
        }
        match truth {
            Some(Truth::Good) => {
                self.truth.good += 1;
                self.truth.good_rejected += u64::from(rejected);
            }
            Some(Truth::Defective) => {
                self.truth.defective += 1;
                self.truth.defective_rejected += u64::from(rejected);
            }
            None => {}
        }
        if let Some(us) = latency_us {
            self.frame_to_verdict.record(us);
        }
    }
}

fn ms(us: Option<u64>) -> String {
    us.map_or_else(|| "-".into(), |us| format!("{:.1} ms", us as f64 / 1000.0))
}

fn rate(num: u64, den: u64) -> String {
    match ratio(num, den) {
        Some(r) => format!("{num}/{den} = {:.1} %", 100.0 * r),
        None => "-".into(),
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.rejects;
        writeln!(
            f,
            "parts        {}: {} pass, {} reject (defect {}, frame error {}, no frame {}, \
             inspector error {}, late {})",
            self.parts,
            self.passes,
            r.total(),
            r.defect,
            r.frame_error,
            r.no_frame,
            r.inspector_error,
            r.late
        )?;
        let t = &self.truth;
        if t.good + t.defective > 0 {
            writeln!(
                f,
                "truth        caught {}, false rejects {} (MVTec layout: test/good = good)",
                rate(t.defective_rejected, t.defective),
                rate(t.good_rejected, t.good)
            )?;
        }
        let h = &self.frame_to_verdict;
        writeln!(
            f,
            "latency      frame → verdict p50 {}, p95 {}, p99 {} (max {}, {} parts with a frame)",
            ms(h.quantile_us(0.5)),
            ms(h.quantile_us(0.95)),
            ms(h.quantile_us(0.99)),
            ms((h.count() > 0).then(|| h.max_us())),
            h.count()
        )?;
        writeln!(
            f,
            "records      {} log failures; captures {} kept, {} failed",
            self.log_failures, self.captures_kept, self.capture_failures
        )?;
        write!(
            f,
            "frames       {} stale dropped, {} read while idle ({} errors), {} untracked \
             (queue full); camera lost {} time(s)",
            self.stale_frames,
            self.idle_frames,
            self.idle_frame_errors,
            self.untracked_frames,
            self.camera_losses
        )?;
        let d = &self.deploy;
        write!(
            f,
            "\ndeploy       {} swaps, {} refused, {} rolled back",
            d.swaps, d.refusals, d.rollbacks
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_reason_and_truth() {
        let mut s = Summary::default();
        s.count_part(
            Verdict::Pass,
            Reason::Inspected,
            Some(Truth::Good),
            Some(10),
        );
        s.count_part(
            Verdict::Reject,
            Reason::Inspected,
            Some(Truth::Good),
            Some(20),
        );
        s.count_part(
            Verdict::Reject,
            Reason::Late,
            Some(Truth::Defective),
            Some(30),
        );
        s.count_part(
            Verdict::Reject,
            Reason::FrameError,
            Some(Truth::Defective),
            None,
        );
        s.count_part(
            Verdict::Pass,
            Reason::Inspected,
            Some(Truth::Defective),
            None,
        );
        s.count_part(Verdict::Reject, Reason::NoFrame, None, None);
        assert_eq!((s.parts, s.passes, s.rejects.total()), (6, 2, 4));
        assert_eq!(
            s.rejects,
            RejectCounts {
                defect: 1,
                frame_error: 1,
                no_frame: 1,
                inspector_error: 0,
                late: 1
            }
        );
        assert_eq!(s.truth.catch_rate(), Some(2.0 / 3.0));
        assert_eq!(s.truth.false_reject_rate(), Some(0.5));
        assert_eq!(s.frame_to_verdict.count(), 3);
        let text = s.to_string();
        assert!(text.contains("caught 2/3 = 66.7 %"), "{text}");
        assert!(text.contains("false rejects 1/2 = 50.0 %"), "{text}");
    }
}
