//! `comparison.md`: several bundles' reports on one test set, side by side (e.g. the
//! global bank against the position-aware bank, int8 against f32).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::write::{create_dir, write_atomic};
use super::{Report, ReportError};

/// File name of the comparison, inside the report folder.
pub const COMPARISON_FILE: &str = "comparison.md";

fn fig(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.4}"))
}

/// The comparison table of `reports` (name, report), one row per bundle.
#[must_use]
pub fn comparison_markdown(reports: &[(String, &Report)]) -> String {
    let mut s = String::new();
    let dataset = reports.first().map_or("", |(_, r)| r.dataset.as_str());
    let _ = writeln!(s, "# Comparison on {dataset}\n");
    s.push_str(
        "| bundle | model | image AUROC | pixel AUROC | AUPRO | pixel AUPR | F1-max | caught | \
         false rejects | p50 ms | p95 ms | GMAC/frame | bundle bytes |\n",
    );
    s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (name, r) in reports {
        let c = &r.confusion;
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {} | {} | {}/{} | {}/{} | {:.1} | {:.1} | {:.2} | {} |",
            r.model,
            fig(r.image_auroc),
            fig(r.pixel_auroc),
            fig(r.aupro),
            fig(r.pixel_aupr),
            fig(r.f1_max),
            c.caught,
            c.defective,
            c.false_rejects,
            c.good,
            r.latency_ms_p50,
            r.latency_ms_p95,
            r.gmac_per_frame,
            r.bundle_bytes
        );
    }
    s
}

/// Writes [`comparison_markdown`] to `out/comparison.md` (atomically); returns its path.
///
/// # Errors
/// [`ReportError::CreateDir`] / [`ReportError::Write`] naming the folder or file.
pub fn write_comparison(reports: &[(String, &Report)], out: &Path) -> Result<PathBuf, ReportError> {
    create_dir(out)?;
    let path = out.join(COMPARISON_FILE);
    write_atomic(&path, comparison_markdown(reports).as_bytes())?;
    Ok(path)
}
