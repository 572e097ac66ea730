//! `edge bench`: per-stage latency and throughput of a bundle on this machine.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use edge::clock::MonotonicClock;
use edge::inspector::Inspector;
use edge::source::{OpenSettings, SourceSpec};
use edge::station::bench::{bench, BenchFrames, BenchOptions};

/// `edge bench` options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The model bundle.
    #[arg(long)]
    bundle: PathBuf,
    /// Inspector threads (network and bank search).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Frames from dir:PATH or seq:PATH (looped); default: one deterministic synthetic
    /// frame at the bundle's input size.
    #[arg(long)]
    source: Option<SourceSpec>,
    /// Measured frames.
    #[arg(long, default_value_t = 100)]
    frames: usize,
    /// Frames run first and not measured.
    #[arg(long, default_value_t = 10)]
    warmup: usize,
    /// Also write the figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs `edge bench`.
///
/// # Errors
/// Unusable bundle or source, an inspector failure, an unwritable JSON file.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut inspector = Inspector::open(&args.bundle, args.threads)
        .with_context(|| format!("model bundle {}", args.bundle.display()))?;
    let options = BenchOptions {
        frames: args.frames,
        warmup: args.warmup,
    };
    let mut source = match &args.source {
        Some(spec @ (SourceSpec::Folder(_) | SourceSpec::Sequence(_))) => {
            let settings = OpenSettings {
                looping: true,
                ..OpenSettings::default()
            };
            Some(
                spec.open(&settings, MonotonicClock::shared())
                    .with_context(|| format!("frame source `{spec}`"))?,
            )
        }
        Some(spec) => anyhow::bail!(
            "--source {spec}: edge bench reads dir:PATH or seq:PATH (time a camera with `edge run`)"
        ),
        None => None,
    };
    let frames = match source.as_mut() {
        Some(s) => BenchFrames::Source(s.as_mut()),
        None => BenchFrames::Synthetic,
    };
    let report = bench(&mut inspector, args.threads, frames, options)
        .with_context(|| format!("benchmarking {}", args.bundle.display()))?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).context("serialising the figures")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
        println!("json       {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
