//! [`RecordScratch`]: one [`VerdictRecord`] reused for every part, so that filling a
//! record (origin path, error chain) reuses the strings of the previous part instead of
//! allocating new ones.

use std::error::Error;
use std::fmt::{self, Write as _};

use super::inspect::BundleTag;
use crate::clock::unix_time_us;
use crate::record::{Reason, Score, StageLatency, Verdict, VerdictRecord};
use crate::source::FrameOrigin;

/// See the [module docs](self).
#[derive(Debug)]
pub(crate) struct RecordScratch {
    record: VerdictRecord,
    /// Spare buffers while the record's fields are `None`.
    detail: String,
    origin: String,
    bundle: String,
}

impl RecordScratch {
    pub(crate) fn new() -> Self {
        Self {
            record: VerdictRecord::rejected_without_verdict(0, 0, 0, Reason::NoFrame, ""),
            detail: String::new(),
            origin: String::new(),
            bundle: String::new(),
        }
    }

    /// Starts the record of `part_id`: a reject with `reason`, no frame, no score, no
    /// detail, stamped at `mono_us` (and the wall clock now).
    pub(crate) fn begin(&mut self, part_id: u64, mono_us: u64, reason: Reason) -> &mut Self {
        if let Some(s) = self.record.detail.take() {
            self.detail = s;
        }
        if let Some(s) = self.record.origin.take() {
            self.origin = s;
        }
        if let Some(s) = self.record.bundle_sha256.take() {
            self.bundle = s;
        }
        let r = &mut self.record;
        r.model_generation = None;
        r.part_id = part_id;
        r.wall_us = unix_time_us();
        r.mono_us = mono_us;
        r.frame_seq = None;
        r.score = None;
        r.verdict = Verdict::Reject;
        r.reason = reason;
        r.latency_us = StageLatency::default();
        self
    }

    pub(crate) fn frame(&mut self, seq: u64, origin: &FrameOrigin) -> &mut Self {
        self.record.frame_seq = Some(seq);
        let mut s = std::mem::take(&mut self.origin);
        s.clear();
        // Writing into a String cannot fail.
        let _ = write!(s, "{origin}");
        self.record.origin = Some(s);
        self
    }

    /// Names the bundle that scored the part (copied into a reused buffer).
    pub(crate) fn bundle(&mut self, tag: Option<BundleTag<'_>>) -> &mut Self {
        if let Some(tag) = tag {
            let mut s = std::mem::take(&mut self.bundle);
            s.clear();
            s.push_str(tag.sha256);
            self.record.bundle_sha256 = Some(s);
            self.record.model_generation = Some(tag.generation);
        }
        self
    }

    pub(crate) fn verdict(&mut self, verdict: Verdict, reason: Reason) -> &mut Self {
        self.record.verdict = verdict;
        self.record.reason = reason;
        self
    }

    pub(crate) fn score(&mut self, raw: f32, normalised: f32) -> &mut Self {
        self.record.score = Some(Score { raw, normalised });
        self
    }

    pub(crate) fn latency(&mut self, latency: StageLatency) -> &mut Self {
        self.record.latency_us = latency;
        self
    }

    /// Sets the detail to `args`.
    pub(crate) fn detail(&mut self, args: fmt::Arguments<'_>) -> &mut Self {
        let mut s = std::mem::take(&mut self.detail);
        s.clear();
        let _ = s.write_fmt(args);
        self.record.detail = Some(s);
        self
    }

    /// Sets the detail to `context: error: source: source…` (the whole chain).
    pub(crate) fn error_detail(&mut self, context: &str, error: &dyn Error) -> &mut Self {
        let mut s = std::mem::take(&mut self.detail);
        s.clear();
        s.push_str(context);
        write_chain(&mut s, error);
        self.record.detail = Some(s);
        self
    }

    pub(crate) fn record(&self) -> &VerdictRecord {
        &self.record
    }
}

/// Appends `: error: source: …` to `out`.
pub(crate) fn write_chain(out: &mut String, error: &dyn Error) {
    let mut next: Option<&dyn Error> = Some(error);
    while let Some(e) = next {
        if !out.is_empty() {
            out.push_str(": ");
        }
        let _ = write!(out, "{e}");
        next = e.source();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_reused_record_carries_nothing_over_and_keeps_its_buffers() {
        let mut scratch = RecordScratch::new();
        scratch
            .begin(1, 10, Reason::Inspected)
            .frame(4, &FrameOrigin::File(PathBuf::from("test/good/000.png")))
            .verdict(Verdict::Pass, Reason::Inspected)
            .score(0.5, 0.25);
        assert!(scratch.record().check().is_ok());
        assert_eq!(
            scratch.record().origin.as_deref(),
            Some("test/good/000.png")
        );
        let err = Outer(std::io::Error::other("disk gone"));
        scratch
            .begin(2, 20, Reason::FrameError)
            .error_detail("frame", &err);
        let r = scratch.record();
        assert_eq!(
            (r.part_id, r.mono_us, r.frame_seq, r.score),
            (2, 20, None, None)
        );
        assert_eq!(r.verdict, Verdict::Reject);
        assert_eq!(r.origin, None);
        assert_eq!(r.detail.as_deref(), Some("frame: outer: disk gone"));
        assert!(r.check().is_ok());
        assert!(
            scratch.origin.capacity() >= "test/good/000.png".len(),
            "the origin buffer is kept for the next part"
        );
    }
}
