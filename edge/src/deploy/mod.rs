//! Hot deployment: a new bundle takes over from the running one while `edge run` runs,
//! without stopping the line and without losing a part.
//!
//! ```text
//! loop thread (between two parts)            validator thread
//!   BundleWatcher: file changed & settled ──► read, SHA-256, decode, checks (signature…),
//!   or SIGHUP                                  build the Inspector, dry run on the newest
//!                                              kept frames
//!   swap (pointer move) ◄── Candidate ─────────┘   or ─► Refusal (counted, logged)
//!   Probation over the next N parts ─► keep, or roll back to the previous model
//! ```
//!
//! - [`BundleWatcher`]: polls the bundle path's metadata (length, mtime, inode); a change
//!   counts once two polls agree, so a file still being written is not read at once.
//! - [`BundleValidator`]: everything a replacement must pass before it may score a part,
//!   off the loop's thread: the bundle format, the [`BundleCheck`]s it was given (the
//!   signature check plugs in here), the inspector's own refusals, the ROI against the
//!   camera frame, and a dry run whose scores must all be finite.
//! - [`Probation`]: the new model's reject rate over its first `probation_parts`.
//! - [`HotSwap`]: the [`Inspect`](crate::station::Inspect) the loop runs: it owns the
//!   running model (and, on probation, the previous one), swaps only in
//!   [`between_parts`](crate::station::Inspect::between_parts), and names the bundle of
//!   every scored part ([`BundleTag`](crate::station::inspect::BundleTag)).
//!
//! # What always holds
//! - The running model keeps inspecting whatever a replacement does: a file that cannot
//!   be read, decoded, checked, loaded or dry-run is refused (counted, its reason logged)
//!   and never scores a part; the same content (SHA-256) is not tried again until the
//!   file changes.
//! - A swap happens between two parts, so every part is scored by exactly one model; no
//!   frame waits for a validation (the loop only polls a channel).
//! - A model rolled back is not swapped in again until the file's content changes.
//! - In the steady state (no change) the loop's side allocates nothing: a `stat`, an
//!   atomic flag and a channel poll per part.

mod hotswap;
mod probation;
mod validate;
mod watch;
mod worker;

pub use hotswap::{DeployCounts, DeployEvent, HotSwap, HotSwapOptions};
pub use probation::{Probation, ProbationState};
pub use validate::{
    open_hashed, sha256_hex, BundleCheck, BundleValidator, Candidate, DryRunFrame, DryRunReport,
    Refusal, SignatureCheck,
};
pub use watch::{BundleWatcher, Fingerprint};
