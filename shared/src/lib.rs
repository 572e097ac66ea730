//! Contracts both sides of the system agree on bit for bit.
//!
//! - [`bundle`] (feature `alloc`): the one file the trainer hands to the device: a
//!   checksummed container holding a [`bundle::Manifest`] and named binary payloads
//!   (ONNX graphs, a memory bank, …). Reading never panics and never allocates more
//!   than the input's size plus a small constant. File I/O (atomic writes) needs `std`.
//! - [`score`]: the anomaly-map post-processing both trainer evaluation and edge
//!   inference run: Gaussian smoothing → image score → bilinear upsampling, and score
//!   normalisation. [`score::ScorePipeline`] (feature `alloc`) preallocates everything
//!   so the edge does not allocate per frame.
//! - [`scheduler`]: the reject scheduler, a pure state machine fed clock or encoder
//!   positions: parts in flight, when the actuator fires, and the fail-safe rule (no
//!   verdict by the deadline ⇒ reject). Needs no feature, no allocation.
//!
//! `score` depends on nothing else here; `bundle` uses `score`'s configuration types
//! inside its manifest. Features: `alloc` (bundle, pipeline), `std` (file I/O,
//! `std::error::Error` plumbing; default).
#![no_std]
#![deny(missing_docs)]
// Docs link to items of richer feature sets; with fewer features those links cannot
// resolve.
#![cfg_attr(not(feature = "std"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "alloc")]
pub mod bundle;
pub mod scheduler;
pub mod score;
