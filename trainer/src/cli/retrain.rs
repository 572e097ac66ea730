//! `trainer retrain`: labelled edge captures extend an old bundle ([`crate::retrain`]).

use std::path::PathBuf;

use anyhow::Context as _;

use crate::bank::ExtendConfig;
use crate::calibrate::CalibrationConfig;
use crate::fit::{FitConfig, DEFAULT_MAX_ENTRIES};
use crate::retrain::{self, describe_codes, RetrainConfig, Retrained};

/// Arguments of `trainer retrain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle to retrain (a `trainer fit` or `trainer retrain` global-bank bundle).
    #[arg(long)]
    pub bundle: PathBuf,
    /// The edge's capture folder (`[capture] dir`), with frames labelled by moving them
    /// into its `good/` and `defect/` folders, or by `--labels`.
    #[arg(long)]
    pub captures: PathBuf,
    /// Labels CSV: `image,label` lines, image relative to `--captures`, label `good` or
    /// `defect` (then the folders are not read).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Evaluation folder with `good/` and `defect/` images for old vs new (default: a
    /// held-out share of the labelled goods plus all labelled defects).
    #[arg(long)]
    pub eval: Option<PathBuf>,
    /// Bundle to write (only if not worse than the old one beyond `--tolerance`).
    #[arg(long)]
    pub out: PathBuf,
    /// Largest accepted drop of catch rate or AUROC, or rise of false-reject rate.
    #[arg(long, default_value_t = 0.02)]
    pub tolerance: f64,
    /// Write the new bundle even when it is worse beyond the tolerance.
    #[arg(long)]
    pub force: bool,
    /// Share of the labelled good frames kept for evaluation (without `--eval`).
    #[arg(long, default_value_t = 0.3)]
    pub eval_fraction: f64,
    /// Share of the training goods held out for calibration.
    #[arg(long, default_value_t = 0.2)]
    pub holdout: f64,
    /// Most entries added, as a share of the new frames' patches.
    #[arg(long, default_value_t = 0.1)]
    pub coreset: f32,
    /// Upper bound on the bank's entries, old ones included; 0 for none.
    #[arg(long, default_value_t = DEFAULT_MAX_ENTRIES)]
    pub max_entries: usize,
    /// Target false-reject rate of good parts on the held-out frames.
    #[arg(long, default_value_t = 0.01)]
    pub target_frr: f64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Hide progress bars.
    #[arg(long)]
    pub quiet: bool,
}

impl Args {
    /// The library configuration these arguments describe.
    pub fn config(&self) -> RetrainConfig {
        let defaults = FitConfig::default();
        RetrainConfig {
            fit: FitConfig {
                holdout_fraction: self.holdout,
                calibration: CalibrationConfig {
                    target_false_reject_rate: self.target_frr,
                    seed: self.seed,
                    ..CalibrationConfig::default()
                },
                threads: self.threads.unwrap_or(defaults.threads),
                seed: self.seed,
                progress: !self.quiet,
                created_by: super::command_line(),
                ..defaults
            },
            extend: ExtendConfig {
                fraction: self.coreset,
                max_entries: (self.max_entries > 0).then_some(self.max_entries),
            },
            eval_fraction: self.eval_fraction,
            tolerance: self.tolerance,
            force: self.force,
        }
    }
}

/// Runs `trainer retrain`.
///
/// # Errors
/// Any [`crate::retrain::RetrainError`], with the old bundle named.
pub fn run(args: Args) -> anyhow::Result<()> {
    let config = args.config();
    let done = retrain::retrain(
        &args.bundle,
        &args.captures,
        args.labels.as_deref(),
        args.eval.as_deref(),
        &args.out,
        &config,
    )
    .with_context(|| {
        format!(
            "retraining {} on {}",
            args.bundle.display(),
            args.captures.display()
        )
    })?;
    print!("{}", Summary(&done));
    Ok(())
}

/// What `trainer retrain` prints.
pub struct Summary<'a>(pub &'a Retrained);

impl std::fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.0;
        let e = &r.extended;
        writeln!(
            f,
            "captures      {} good frames offered to the bank, {} held out for calibration; \
             on the line the edge had rejected {} of the labelled goods and passed {} of the \
             labelled defects",
            r.fit_images, r.held_out, r.line_false_rejects, r.line_escapes
        )?;
        writeln!(
            f,
            "bank          {} old entries kept, {} added from {} patches (coverage radius \
             {:.4}, farthest remaining {:.4}); {}",
            e.old_entries,
            e.added,
            e.candidates,
            e.coverage_radius,
            e.farthest_remaining,
            describe_codes(&e.codes)
        )?;
        writeln!(f, "{}", r.calibration)?;
        writeln!(
            f,
            "thresholds    image {} pixel {} (each the larger of the new calibration's and \
             the parent's)",
            r.manifest.thresholds.image, r.manifest.thresholds.pixel
        )?;
        writeln!(
            f,
            "parity        {} held-out images match within {:.1e}",
            r.parity.images, r.parity.max_difference
        )?;
        writeln!(f, "old vs new (tolerance {}):", r.comparison.tolerance)?;
        write!(f, "{}", r.comparison.table())?;
        if r.forced {
            writeln!(
                f,
                "FORCED        written despite: {}",
                r.comparison.regressions.join(", ")
            )?;
        }
        writeln!(
            f,
            "bundle        {} ({} bytes), parent sha256 {}",
            r.out.display(),
            r.bundle_bytes,
            r.parent_sha256
        )
    }
}
