//! The `edge` subcommands that drive the line: `run`, `bench`, `check`, `soak` (the binary's own
//! modules; the work is in `edge::station`).

pub mod bench;
pub mod check;
pub mod run;
pub mod soak;
