//! `trainer demo`: the README's main command, on the embedded default (no camera, no
//! board, no download). It runs the user's whole host-side day on synthetic data:
//!
//! 1. generate the deterministic synthetic dataset ([`crate::synth`]) into `--out`;
//! 2. print its inspection ([`crate::data::inspect`]);
//! 3. `trainer fit` ([`crate::fit`]): teacher patch features of the good training images,
//!    a 10 % int8 coreset memory bank, calibration on held-out good images and synthetic
//!    anomalies (no defect image is used), the bundle written and checked for parity
//!    through the edge's own inspector;
//! 4. `trainer eval` ([`crate::eval`]): the bundle, opened from the file as the device
//!    opens it, scores every test image; the report (image/pixel AUROC, AUPRO, AUPR,
//!    F1-max, catch rate, false rejects, latency, worst-case overlays) goes to
//!    `<out>/report`.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::data;
use crate::eval::{evaluate_bundle, EvalConfig};
use crate::fit::{self, FitConfig};
use crate::synth::{self, SynthConfig};

/// Arguments of `trainer demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Working folder; the synthetic dataset is written to `<out>/synthetic` (regenerated on
    /// every run; only files an earlier run listed in its `synth.json` are replaced).
    #[arg(long, default_value = "out/demo")]
    pub out: PathBuf,
    /// Seed of the synthetic dataset.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Worker threads for fitting (default: all cores); evaluation runs the inspector on
    /// one thread, the latency target's condition.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Hide progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs the demo.
pub fn run(args: Args) -> anyhow::Result<()> {
    let root = args.out.join("synthetic");

    println!("== 1. synthetic dataset (seed {})", args.seed);
    let config = SynthConfig {
        seed: args.seed,
        force: true,
        ..SynthConfig::default()
    };
    let summary = synth::generate(&config, &root)
        .with_context(|| format!("generating the synthetic dataset in {}", root.display()))?;
    println!("{summary}");

    println!("== 2. inspection");
    let inspection =
        data::inspect(&root).with_context(|| format!("inspecting {}", root.display()))?;
    println!("{inspection}");

    println!("== 3. trainer fit: features → 10% int8 coreset bank → calibration → bundle → parity");
    let weights = super::features::load_teacher(None)?;
    let defaults = FitConfig::default();
    let fit_config = FitConfig {
        threads: args.threads.unwrap_or(defaults.threads),
        progress: !args.quiet,
        ..defaults
    };
    let bundle = args.out.join("model.bundle");
    let fitted = fit::fit(&root, None, &bundle, &weights, &fit_config)
        .with_context(|| format!("fitting the memory bank to {}", root.display()))?;
    print!("{}", super::fit::Summary(&fitted));

    println!("== 4. trainer eval: the bundle from the file on every test image (1 thread)");
    let report_dir = args.out.join("report");
    let evaluated = evaluate_bundle(
        &bundle,
        &root,
        &report_dir,
        &EvalConfig {
            progress: !args.quiet,
            ..EvalConfig::default()
        },
    )
    .with_context(|| format!("evaluating {}", bundle.display()))?;
    super::eval::print_evaluated(&evaluated);
    Ok(())
}
