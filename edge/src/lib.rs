//! Edge runtime: everything that runs beside the production line.
//!
//! - [`bundle_check`]: opens a model bundle and checks that the device can use it
//!   (format checks live in `shared::bundle`; this adds the semantic checks a device
//!   needs before it inspects a single frame).
//!
//! Frame sources, the inspector, line I/O and reject scheduling arrive with the
//! edge-runtime issue; the trainer already depends on this crate (library only, no
//! hardware features) so that every exported bundle is checked by the device's own code.

pub mod bundle_check;
