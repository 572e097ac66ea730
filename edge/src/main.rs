//! `edge`: the line-side runtime. Thin entry point: parse, dispatch, print the whole error
//! chain. Exit codes: 0 success, 1 any error (the message names the file and the check).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use edge::bundle_check::{load_bundle, Summary};

/// Runs a trained model bundle beside the production line: camera frame → verdict →
/// reject pulse.
#[derive(Debug, Parser)]
#[command(name = "edge", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open a bundle, run every format and manifest check, and print what it holds.
    Info {
        /// The model bundle written by `trainer`.
        #[arg(long)]
        bundle: PathBuf,
    },
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Info { bundle } => {
            let loaded = load_bundle(&bundle)?;
            println!("bundle:      {}", bundle.display());
            print!("{}", Summary(&loaded));
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
