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
//!    `<out>/report`;
//! 5. `edge run` ([`edge::station`]): the test frames replayed, one part per frame, through
//!    the edge's line loop on the simulated line of `boards/sim.toml` (a copy is written
//!    to `<out>/board-sim.toml`): verdict log `<out>/verdicts.jsonl`, kept frames in
//!    `<out>/captures`, the verdict stream summary (catch rate, false rejects, latency)
//!    and the simulated reject pulses against their schedule.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;
use edge::clock::MonotonicClock;
use edge::line::Backend;
use edge::source::SourceSpec;
use edge::station::session::{run_session, session_failed};
use edge::station::{CaptureChoice, RunSettings};

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

    println!("== 5. edge run: the test frames through the line loop on the simulated line");
    replay_on_the_line(&args.out, &bundle, &root.join("test"))
}

/// The simulated line's board profile, shipped with the repository.
const SIM_BOARD: &str = include_str!("../../../boards/sim.toml");

/// Replays `test` through `edge run`'s session on the simulated line.
fn replay_on_the_line(out: &Path, bundle: &Path, test: &Path) -> anyhow::Result<()> {
    let board = out.join("board-sim.toml");
    std::fs::write(&board, SIM_BOARD).with_context(|| format!("writing {}", board.display()))?;
    let log = out.join("verdicts.jsonl");
    // The log is appended to: start the demo's stream afresh.
    if log.exists() {
        std::fs::remove_file(&log)
            .with_context(|| format!("removing the old {}", log.display()))?;
    }
    let settings = RunSettings {
        bundle: bundle.to_path_buf(),
        board,
        source: Some(SourceSpec::Folder(test.to_path_buf())),
        gpio: Some(Backend::Sim),
        log: Some(log),
        captures: CaptureChoice::Dir(out.join("captures")),
        threads: Some(1),
        part_interval_us: None,
        max_parts: None,
        summary_every: None,
        watch: Some(false),
        reload: None,
    };
    let report = run_session(&settings, MonotonicClock::shared(), &AtomicBool::new(false))
        .context("edge run on the simulated line cannot start")?;
    anyhow::ensure!(
        !session_failed(&report),
        "the simulated line did not shut down cleanly (see above)"
    );
    Ok(())
}
