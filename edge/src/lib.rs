//! Edge runtime: everything that runs beside the production line.
//!
//! - [`bank`]: memory-bank models (global f32/int8 banks, per-location banks, Gaussians):
//!   decoding, nearest-neighbour search and patch scoring; the trainer fits them.
//! - [`bundle_check`]: opens a model bundle and checks that the device can use it
//!   (format checks live in `shared::bundle`; this adds the semantic checks a device
//!   needs before it inspects a single frame).
//! - [`preprocess`]: frame → network input (ROI crop, resize, normalisation); the one
//!   implementation, which the trainer calls too.
//! - [`network`]: ONNX bytes → tract plan.
//! - [`inspector`]: [`inspector::Inspector`] runs a bundle on frames: preprocess → tract
//!   → bank → `shared::score` → verdict.
//!
//! - [`line`](mod@line): the reject station's I/O behind `embedded-hal` 1.0 pins ([`line::LineIo`]:
//!   debounced photo-eye, encoder, reject / fault / heartbeat outputs with per-line
//!   polarity) and [`line::LineDriver`], which ticks `shared::scheduler` on µs or encoder
//!   counts and drives the reject pulse; backends: simulated line (always), `rppal`
//!   (feature `rppal`), GPIO character device (feature `cdev`).
//! - [`board`]: board profiles (`boards/*.toml`) → camera mode, GPIO lines, reject timing,
//!   threads, log and capture paths; errors name file, line and field.
//!
//! Frame sources and the verdict log arrive with the edge-runtime issue; the trainer
//! already depends on this crate (library only, no hardware features) so that every
//! exported bundle is checked by the device's own code.

pub mod bank;
pub mod board;
pub mod bundle_check;
pub mod inspector;
pub mod line;
pub mod network;
pub mod preprocess;
