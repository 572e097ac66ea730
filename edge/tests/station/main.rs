//! The line loop end to end without hardware or waiting: frames written by the tests,
//! the tiny hand-written bundle of `common`, the simulated line ticked through a manual
//! clock (`SteppedLine`), and the `edge run` / `check` / `bench` commands. One test
//! binary, so tract is linked once for all of them.

#[path = "../common/mod.rs"]
mod common;

mod alloc;
mod cli;
mod faults;
mod harness;
mod hotswap;
mod line_faults;
mod records;
mod replay;
mod soak;
mod startup;
