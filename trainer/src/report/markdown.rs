//! `report.md`: the human view of a [`Report`]: summary table, per-defect table, confusion
//! at the threshold, worst cases linking their overlays, notes. Pure string building.

use std::fmt::Write as _;

use super::{Report, WorstCase};

/// `-` for an undefined figure, else four decimals.
fn fig(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.4}"))
}

/// The whole Markdown document.
pub(super) fn render(r: &Report) -> String {
    let mut s = String::new();
    // Writing into a String cannot fail.
    let _ = write_all(&mut s, r);
    s
}

fn write_all(s: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(s, "# Evaluation report: {} on {}\n", r.model, r.dataset)?;
    writeln!(
        s,
        "Dataset fingerprint `{}`, {} test images.\n",
        r.dataset_fingerprint, r.images
    )?;
    writeln!(s, "## Summary\n")?;
    writeln!(s, "| figure | value |\n|---|---|")?;
    writeln!(s, "| image AUROC | {} |", fig(r.image_auroc))?;
    writeln!(s, "| pixel AUROC | {} |", fig(r.pixel_auroc))?;
    writeln!(s, "| AUPRO@{} | {} |", r.aupro_fpr_limit, fig(r.aupro))?;
    writeln!(s, "| pixel AUPR | {} |", fig(r.pixel_aupr))?;
    let f1_at = r
        .f1_max_threshold
        .map_or_else(String::new, |t| format!(" (at score {t:.4})"));
    writeln!(s, "| F1-max | {}{f1_at} |", fig(r.f1_max))?;
    writeln!(s, "| image threshold | {:.4} |", r.threshold)?;
    writeln!(s, "| pixel threshold | {:.4} |", r.pixel_threshold)?;
    writeln!(
        s,
        "| latency p50 / p95 | {:.2} / {:.2} ms |",
        r.latency_ms_p50, r.latency_ms_p95
    )?;
    writeln!(s, "| bundle size | {} bytes |", r.bundle_bytes)?;
    writeln!(s, "| compute | {:.3} GMAC/frame |\n", r.gmac_per_frame)?;

    let c = &r.confusion;
    writeln!(s, "## At the threshold ({:.4})\n", r.threshold)?;
    writeln!(s, "| | rejected | accepted |\n|---|---|---|")?;
    writeln!(
        s,
        "| defective ({}) | {} caught | {} missed |",
        c.defective,
        c.caught,
        c.defective - c.caught
    )?;
    writeln!(
        s,
        "| good ({}) | {} false rejects | {} passed |\n",
        c.good,
        c.false_rejects,
        c.good - c.false_rejects
    )?;

    writeln!(s, "## Per defect type (each vs all good images)\n")?;
    if r.per_defect.is_empty() {
        writeln!(s, "No defective image in the run.\n")?;
    } else {
        writeln!(
            s,
            "| defect | images | caught | image AUROC |\n|---|---|---|---|"
        )?;
        for d in &r.per_defect {
            writeln!(
                s,
                "| {} | {} | {} | {} |",
                d.defect,
                d.images,
                d.caught,
                fig(d.image_auroc)
            )?;
        }
        writeln!(s)?;
    }

    worst(
        s,
        "Worst false accepts (defective images, lowest scores)",
        &r.worst_false_accepts,
        "missed",
    )?;
    worst(
        s,
        "Worst false rejects (good images, highest scores)",
        &r.worst_false_rejects,
        "rejected",
    )?;
    writeln!(
        s,
        "Overlays: original | heat map over the image (viridis, 0 → 2 × pixel threshold, \
         threshold at mid-scale) | the same with the ground-truth contour in red.\n"
    )?;

    if !r.notes.is_empty() {
        writeln!(s, "## Notes\n")?;
        for n in &r.notes {
            writeln!(s, "- {n}")?;
        }
    }
    Ok(())
}

fn worst(s: &mut String, title: &str, cases: &[WorstCase], wrong: &str) -> std::fmt::Result {
    writeln!(s, "## {title}\n")?;
    if cases.is_empty() {
        return writeln!(s, "None.\n");
    }
    writeln!(
        s,
        "| # | image | defect | score | normalised | at threshold | overlay |"
    )?;
    writeln!(s, "|---|---|---|---|---|---|---|")?;
    for (i, c) in cases.iter().enumerate() {
        let verdict = if c.wrong_at_threshold {
            wrong
        } else {
            "correct"
        };
        writeln!(
            s,
            "| {} | `{}` | {} | {:.4} | {:.3} | {verdict} | [png]({}) |",
            i + 1,
            c.path.display(),
            c.defect,
            c.score,
            c.normalised,
            c.overlay
        )?;
    }
    writeln!(s)
}
