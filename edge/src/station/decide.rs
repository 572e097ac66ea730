//! How one part ends: its verdict handed to the scheduler (whose answer decides between
//! `inspected` and `late`), its record filled from the reused scratch, logged and its
//! frame offered to the capture store, and the summary counted. The rules are those of
//! [`super::run`](mod@super::run).

use std::fmt;
use std::time::Instant;

use image::RgbImage;
use shared::scheduler::{PartId, SchedulerError, Verdict as LineVerdict, VerdictAck};

use super::port::PartTrigger;
use super::run::{Chain, LineLoop, DEFECT_CODE};
use super::truth::{truth_of, Truth};
use crate::record::{KeepOutcome, Reason, StageLatency, Verdict};
use crate::source::{Frame, SourceError};

/// How the scheduler took a verdict.
pub(super) enum Ack {
    OnTime,
    Late,
    Refused(SchedulerError),
}

pub(super) fn elapsed_us(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl LineLoop<'_, '_> {
    pub(super) fn hand_verdict(&mut self, part: PartId, verdict: LineVerdict) -> Ack {
        self.st.line.sync();
        match self.st.line.verdict(part, verdict) {
            Ok(VerdictAck::Accepted) => Ack::OnTime,
            Ok(VerdictAck::IgnoredLate | VerdictAck::IgnoredRetired) => Ack::Late,
            Err(e) => Ack::Refused(e),
        }
    }

    pub(super) fn inspect_part(&mut self, trigger: PartTrigger, frame: &Frame, capture_us: u64) {
        let part = trigger.part_id;
        let truth = truth_of(&frame.origin);
        let mut latency = StageLatency {
            capture_us: Some(capture_us),
            ..StageLatency::default()
        };
        self.st.line.sync();
        if self.st.line.deadline_passed(part) {
            // Rejected as late whatever the verdict: spend no inspection on it.
            let ack = self.hand_verdict(part, LineVerdict::Failed);
            let now = self.st.clock.now_us();
            let after_us = now.saturating_sub(trigger.at_us);
            self.scratch
                .begin(part.0, now, Reason::Late)
                .frame(frame.seq, &frame.origin)
                .latency(latency)
                .detail(format_args!(
                    "deadline passed before inspection could start ({after_us} µs after the trigger)"
                ));
            self.refused(ack);
            let lat = now.saturating_sub(frame.captured_us);
            self.finish_part(trigger, Some(&frame.image), truth, Some(lat));
            return;
        }
        let outcome = self.st.inspector.inspect_frame(&frame.image);
        let decided = Instant::now();
        match outcome {
            Err(e) => {
                let ack = self.hand_verdict(part, LineVerdict::Failed);
                let now = self.st.clock.now_us();
                self.scratch
                    .begin(part.0, now, Reason::InspectorError)
                    .frame(frame.seq, &frame.origin)
                    .bundle(self.st.inspector.bundle_tag())
                    .latency(latency)
                    .error_detail("inspecting the frame", &e);
                self.refused(ack);
            }
            Ok(o) if !(o.raw_score.is_finite() && o.normalised.is_finite()) => {
                let ack = self.hand_verdict(part, LineVerdict::Failed);
                let now = self.st.clock.now_us();
                self.scratch
                    .begin(part.0, now, Reason::InspectorError)
                    .frame(frame.seq, &frame.origin)
                    .bundle(self.st.inspector.bundle_tag())
                    .latency(latency)
                    .detail(format_args!("non-finite score {}", o.raw_score));
                self.refused(ack);
            }
            Ok(o) => {
                let verdict = if o.anomalous {
                    LineVerdict::Defect { code: DEFECT_CODE }
                } else {
                    LineVerdict::Pass
                };
                let ack = self.hand_verdict(part, verdict);
                let now = self.st.clock.now_us();
                latency.preprocess_us = Some(o.timings.preprocess_us);
                latency.network_us = Some(o.timings.network_us);
                latency.scoring_us = Some(o.timings.scoring_us);
                latency.decision_us = Some(elapsed_us(decided));
                let record = self
                    .scratch
                    .begin(part.0, now, Reason::Inspected)
                    .frame(frame.seq, &frame.origin)
                    .bundle(self.st.inspector.bundle_tag())
                    .score(o.raw_score, o.normalised)
                    .latency(latency);
                match ack {
                    Ack::OnTime if o.anomalous => {
                        record.verdict(Verdict::Reject, Reason::Inspected);
                    }
                    Ack::OnTime => {
                        record.verdict(Verdict::Pass, Reason::Inspected);
                    }
                    Ack::Late => {
                        let after_us = now.saturating_sub(trigger.at_us);
                        let said = if o.anomalous { "defect" } else { "pass" };
                        record.verdict(Verdict::Reject, Reason::Late).detail(format_args!(
                            "verdict ({said}) {after_us} µs after the trigger, past the part's deadline"
                        ));
                    }
                    Ack::Refused(e) => {
                        // Cannot happen (one verdict per issued part); never a pass.
                        record
                            .verdict(Verdict::Reject, Reason::InspectorError)
                            .error_detail("the scheduler refused the verdict", &e);
                    }
                }
            }
        }
        let lat = self
            .scratch
            .record()
            .mono_us
            .saturating_sub(frame.captured_us);
        self.finish_part(trigger, Some(&frame.image), truth, Some(lat));
    }

    /// A rejecting verdict the scheduler refused: the part is rejected anyway (it fires
    /// as late), so only tell.
    fn refused(&mut self, ack: Ack) {
        if let Ack::Refused(e) = ack {
            self.observer
                .warning(&Chain("the scheduler refused a reject verdict", &e));
        }
    }

    pub(super) fn reject_frame_error(&mut self, trigger: PartTrigger, error: &SourceError) {
        let ack = self.hand_verdict(trigger.part_id, LineVerdict::Failed);
        let now = self.st.clock.now_us();
        self.scratch
            .begin(trigger.part_id.0, now, Reason::FrameError)
            .error_detail("", error);
        self.refused(ack);
        self.finish_part(trigger, None, None, None);
    }

    pub(super) fn reject_no_frame(&mut self, trigger: PartTrigger, why: fmt::Arguments<'_>) {
        let ack = self.hand_verdict(trigger.part_id, LineVerdict::Failed);
        let now = self.st.clock.now_us();
        self.scratch
            .begin(trigger.part_id.0, now, Reason::NoFrame)
            .detail(why);
        self.refused(ack);
        self.finish_part(trigger, None, None, None);
    }

    /// Logs the scratch record, keeps the frame if the policy wants it, counts.
    fn finish_part(
        &mut self,
        trigger: PartTrigger,
        image: Option<&RgbImage>,
        truth: Option<Truth>,
        latency_us: Option<u64>,
    ) {
        let record = self.scratch.record();
        let recorded = self.st.recorder.record(record, image);
        if let Err(e) = &recorded.log {
            self.summary.log_failures += 1;
            self.observer
                .warning(&Chain("verdict log (inspection goes on)", e));
        }
        match &recorded.capture {
            Some(Ok(KeepOutcome::Kept { .. })) => self.summary.captures_kept += 1,
            Some(Err(e)) => {
                self.summary.capture_failures += 1;
                self.observer
                    .warning(&Chain("capture store (inspection goes on)", e));
            }
            Some(Ok(KeepOutcome::Skipped)) | None => {}
        }
        self.summary
            .count_part(record.verdict, record.reason, truth, latency_us);
        self.observer.part(record, trigger);
        if let Some(every) = self.opts.summary_every.filter(|&n| n > 0) {
            if self.summary.parts % every == 0 {
                self.observer.summary(&self.summary);
            }
        }
    }
}
