//! `trainer`: the host side. Thin entry point: parse, dispatch, print the whole error chain.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use trainer::cli;

/// Learns what a good part looks like from images of good parts and exports a bundle for
/// the edge runtime.
#[derive(Debug, Parser)]
#[command(name = "trainer", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Main job on the embedded default: synthetic data → inspection → teacher features →
    /// memory-bank preview with image/pixel AUROC, AUPRO and F1-max.
    Demo(cli::demo::Args),
    /// Fit a model to good images: features → bank → calibration → bundle → parity check.
    Fit(cli::fit::Args),
    /// Retrain a bundle on labelled edge captures; refuses a result worse than the old one.
    Retrain(cli::retrain::Args),
    /// Print a bundle's manifest summary, lineage and signature status.
    Info(cli::info::Args),
    /// Create an ed25519 key pair for signing bundles.
    Keygen(cli::keygen::Args),
    /// Sign a bundle: writes a detached `<bundle>.sig`.
    Sign(cli::sign::Args),
    /// Evaluate a bundle on a labelled test set: AUROC, AUPRO, F1-max, latency, overlays.
    Eval(cli::eval::Args),
    /// Generate a deterministic synthetic anomaly dataset in the MVTec AD layout.
    Synth(cli::synth::Args),
    /// Summarise a dataset folder: counts per split and defect type, sizes, mask coverage.
    InspectData(cli::inspect_data::Args),
    /// Extract teacher patch features for a dataset.
    Features(cli::features::Args),
    /// Benchmark the truncated teacher network.
    BenchTeacher(cli::bench_teacher::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cli::demo::run(args),
        Command::Fit(args) => cli::fit::run(args),
        Command::Retrain(args) => cli::retrain::run(args),
        Command::Info(args) => cli::info::run(args),
        Command::Keygen(args) => cli::keygen::run(args),
        Command::Sign(args) => cli::sign::run(args),
        Command::Eval(args) => cli::eval::run(args),
        Command::Synth(args) => cli::synth::run(args),
        Command::InspectData(args) => cli::inspect_data::run(args),
        Command::Features(args) => cli::features::run(args),
        Command::BenchTeacher(args) => cli::bench_teacher::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
