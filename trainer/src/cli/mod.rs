//! `trainer` subcommands: each file holds one subcommand's clap arguments and its `run`.

pub mod bench_teacher;
pub mod demo;
pub mod eval;
pub mod features;
pub mod fit;
pub mod inspect_data;
pub mod synth;
