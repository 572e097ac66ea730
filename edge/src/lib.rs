//! Edge runtime: everything that runs beside the production line.
//!
//! - [`bank`]: memory-bank models (global f32/int8 banks, per-location banks, Gaussians):
//!   decoding, nearest-neighbour search and patch scoring; the trainer fits them.
//! - [`bundle_check`]: opens a model bundle and checks that the device can use it
//!   (format checks live in `shared::bundle`; this adds the semantic checks a device
//!   needs before it inspects a single frame).
//! - [`preprocess`] (with [`resample`]): frame → network input (ROI crop, resize,
//!   normalisation); the one
//!   implementation, which the trainer calls too.
//! - [`network`]: ONNX bytes → tract plan.
//! - [`inspector`]: [`inspector::Inspector`] runs a bundle on frames: preprocess → tract
//!   → bank → `shared::score` → verdict.
//! - [`source`]: where frames come from, behind [`source::FrameSource`]: an image folder,
//!   a recorded sequence (and its writer), a V4L2 camera (feature `v4l`), and a wrapper
//!   that reopens a failed camera with back-off; pure pixel-format decoders (YUYV, GREY,
//!   MJPEG without Huffman tables).
//! - [`record`]: what is written about each part: the JSON-lines verdict log and the
//!   capture store that keeps frames for retraining within a disk quota.
//! - [`clock`]: monotonic µs time that can sleep, injected so tests never wait.
//! - [`signature`]: detached ed25519 bundle signatures (`<bundle>.sig`) and the check the
//!   device runs when its board profile names a public key.
//!
//! - [`line`](mod@line): the reject station's I/O behind `embedded-hal` 1.0 pins ([`line::LineIo`]:
//!   debounced photo-eye, encoder, reject / fault / heartbeat outputs with per-line
//!   polarity) and [`line::LineDriver`], which ticks `shared::scheduler` on µs or encoder
//!   counts and drives the reject pulse; backends: simulated line (always), `rppal`
//!   (feature `rppal`), GPIO character device (feature `cdev`).
//! - [`board`]: board profiles (`boards/*.toml`) → camera mode, GPIO lines, reject timing,
//!   threads, log and capture paths; errors name file, line and field.
//!
//! - [`deploy`]: hot deployment of a replacement bundle while `edge run` runs: watch,
//!   validate and dry-run off the loop's thread, swap between two parts, probation and
//!   rollback.
//! - [`station`]: the line loop (`edge run`) joining them: frames → inspector → verdict →
//!   scheduler → pulse, one verdict record per part, the fault output following the
//!   camera; the driver ticks on its own thread ([`station::ThreadedLine`]) or, in tests
//!   and replays, on a simulated clock ([`station::SteppedLine`]); plus `edge bench`
//!   ([`station::bench`]) and `edge check` ([`station::check`]).
//!
//! - [`soak`]: the figures of `edge soak` (resident memory, verdicts and pulses accounted
//!   part by part, p99 drift) for long replays on the simulated line.
//!
//! The trainer depends on this crate (library only, no hardware features) so that every
//! exported bundle is checked by the device's own code.
//!
//! Cargo features (all off by default, so the library builds anywhere): `v4l` (V4L2
//! camera; building it needs `libclang-dev` for bindgen), `rppal` (Raspberry Pi GPIO),
//! `cdev` (Linux GPIO character device).

pub mod bank;
pub mod board;
pub mod bundle_check;
pub mod clock;
pub mod deploy;
pub mod inspector;
mod jsonl;
pub mod line;
pub mod network;
pub mod preprocess;
pub mod record;
pub mod resample;
pub mod signature;
pub mod soak;
pub mod source;
pub mod station;
