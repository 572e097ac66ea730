//! `edge`: the line-side runtime. Thin entry point: parse, dispatch, print the whole error
//! chain. Exit codes: 0 success, 1 any error (the message names the file and the check);
//! for `edge score`, 1 also when any image could not be inspected (it is reported as
//! `ERROR`, which on the line means reject); for `edge check`, 1 when any check failed;
//! for `edge run`, 1 also when the line could not be shut down cleanly or its tick thread
//! stopped; for `edge soak`, 1 when a verdict or pulse was lost or memory grew past its
//! bound.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use edge::bundle_check::{load_bundle, Summary};
use edge::inspector::Inspector;

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
        /// Also build the inspector (parse the graph, check its shapes, decode the bank),
        /// as `edge score` would.
        #[arg(long)]
        verify: bool,
    },
    /// Inspect image files with a bundle: prints per image the raw and normalised score,
    /// the verdict (PASS / REJECT / ERROR) and the stage timings.
    Score {
        /// The model bundle written by `trainer`.
        #[arg(long)]
        bundle: PathBuf,
        /// Worker threads for the network and the bank search.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Image files (PNG, JPEG), inspected in order.
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Run the line: frames → verdicts → reject pulses, a verdict record per part.
    Run(cli::run::RunArgs),
    /// Time a bundle stage by stage (capture, preprocess, network, scoring, decision).
    Bench(cli::bench::BenchArgs),
    /// Check that a board is ready for `edge run`: profile, camera, GPIO, bundle, folders.
    Check(cli::check::CheckArgs),
    /// Run a looping replay on the simulated line for many parts and report resident
    /// memory, lost verdicts and pulses, and p99 latency drift (docs/reliability.md).
    Soak(cli::soak::SoakArgs),
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Info { bundle, verify } => {
            let loaded = load_bundle(&bundle)?;
            println!("bundle:      {}", bundle.display());
            print!("{}", Summary(&loaded));
            if verify {
                let inspector = Inspector::new(&loaded, 1)
                    .with_context(|| format!("bundle {}", bundle.display()))?;
                let g = inspector.grid();
                println!(
                    "features:    {}×{} patches × {} dims",
                    g.height, g.width, g.dim
                );
                println!("bank:        {}", inspector.describe_bank());
                println!("verified:    the edge can inspect with this bundle");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Score {
            bundle,
            threads,
            images,
        } => score(&bundle, threads, &images),
        Command::Run(args) => cli::run::run(args),
        Command::Bench(args) => cli::bench::run(args),
        Command::Check(args) => Ok(cli::check::run(args)),
        Command::Soak(args) => cli::soak::run_soak(args),
    }
}

fn score(bundle: &std::path::Path, threads: usize, images: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut inspector = Inspector::open(bundle, threads)?;
    let threshold = inspector.manifest().thresholds.image;
    println!(
        "# bundle {} (image threshold {threshold})",
        bundle.display()
    );
    println!("image\traw\tnormalised\tverdict\tpreprocess_us\tnetwork_us\tscoring_us\ttotal_us");
    let mut failures = 0usize;
    for path in images {
        let result = image::open(path)
            .with_context(|| format!("reading image {}", path.display()))
            .and_then(|img| {
                let frame = img.to_rgb8();
                let i = inspector
                    .inspect(&frame)
                    .with_context(|| format!("inspecting {}", path.display()))?;
                Ok((i.raw_score, i.normalised, i.anomalous, i.timings))
            });
        match result {
            Ok((raw, normalised, anomalous, t)) => println!(
                "{}\t{raw:.6}\t{normalised:.4}\t{}\t{}\t{}\t{}\t{}",
                path.display(),
                if anomalous { "REJECT" } else { "PASS" },
                t.preprocess_us,
                t.network_us,
                t.scoring_us,
                t.total_us
            ),
            Err(err) => {
                failures += 1;
                println!("{}\t-\t-\tERROR\t-\t-\t-\t-", path.display());
                eprintln!("error: {err:#}");
            }
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
