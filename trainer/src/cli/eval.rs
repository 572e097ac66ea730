//! `trainer eval`: a bundle on a labelled test set → report ([`crate::eval`]).

use std::path::PathBuf;

use anyhow::Context as _;

use crate::eval::{evaluate_bundle, EvalConfig, Evaluated};
use crate::report::{comparison_markdown, write_comparison, Report};

/// Arguments of `trainer eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle to evaluate; give it several times to compare bundles side by side
    /// (each report goes to `<report>/<bundle file stem>/`, the table to
    /// `<report>/comparison.md`).
    #[arg(long = "bundle", required = true)]
    pub bundles: Vec<PathBuf>,
    /// Dataset in the MVTec AD layout (its test split is scored).
    #[arg(long)]
    pub data: PathBuf,
    /// Report folder: report.json, report.md, overlays/.
    #[arg(long)]
    pub report: PathBuf,
    /// Inspector threads; latency is reported per frame at this count.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Worst false accepts and false rejects drawn as overlays (each).
    #[arg(long, default_value_t = crate::report::DEFAULT_WORST_CASES)]
    pub worst: usize,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `trainer eval`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let config = EvalConfig {
        threads: args.threads,
        progress: !args.quiet,
        worst_cases: args.worst,
    };
    let several = args.bundles.len() > 1;
    let mut all = Vec::new();
    for bundle in &args.bundles {
        let name = bundle
            .file_stem()
            .map_or_else(|| "bundle".into(), |s| s.to_string_lossy().into_owned());
        let dir = if several {
            args.report.join(&name)
        } else {
            args.report.clone()
        };
        let evaluated = evaluate_bundle(bundle, &args.data, &dir, &config).with_context(|| {
            format!("evaluating {} on {}", bundle.display(), args.data.display())
        })?;
        if several {
            println!("== {}", bundle.display());
        }
        print_evaluated(&evaluated);
        all.push((name, evaluated.report));
    }
    if several {
        let rows: Vec<(String, &Report)> = all.iter().map(|(n, r)| (n.clone(), r)).collect();
        let path = write_comparison(&rows, &args.report)?;
        print!("{}", comparison_markdown(&rows));
        println!("comparison    {}", path.display());
    }
    Ok(())
}

/// Prints the headline figures and where the report went.
pub fn print_evaluated(evaluated: &Evaluated) {
    println!("{}", Headline(&evaluated.report));
    let w = &evaluated.written;
    println!(
        "report        {}, {} and {} overlay(s) of the worst cases",
        w.json.display(),
        w.markdown.display(),
        w.overlays.len()
    );
}

/// The headline figures of a report.
pub struct Headline<'a>(pub &'a Report);

impl std::fmt::Display for Headline<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.0;
        let figure = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.4}"));
        writeln!(f, "model         {}", r.model)?;
        writeln!(f, "image AUROC   {}", figure(r.image_auroc))?;
        for d in &r.per_defect {
            writeln!(
                f,
                "  {:<11} {} ({} images, {} caught)",
                d.defect,
                figure(d.image_auroc),
                d.images,
                d.caught
            )?;
        }
        writeln!(f, "pixel AUROC   {}", figure(r.pixel_auroc))?;
        writeln!(f, "AUPRO@{}     {}", r.aupro_fpr_limit, figure(r.aupro))?;
        writeln!(f, "pixel AUPR    {}", figure(r.pixel_aupr))?;
        writeln!(
            f,
            "F1-max        {} at score {}",
            figure(r.f1_max),
            r.f1_max_threshold
                .map_or_else(|| "n/a".to_string(), |t| format!("{t:.4}"))
        )?;
        let c = &r.confusion;
        writeln!(
            f,
            "threshold     {:.4}: caught {}/{} defective, {}/{} good rejected",
            r.threshold, c.caught, c.defective, c.false_rejects, c.good
        )?;
        write!(
            f,
            "latency       frame → score p50 {:.1} ms, p95 {:.1} ms (edge inspector); \
             {:.2} GMAC/frame; bundle {} bytes",
            r.latency_ms_p50, r.latency_ms_p95, r.gmac_per_frame, r.bundle_bytes
        )
    }
}
