//! `trainer info`: a bundle's manifest summary, lineage and signature status.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use shared::bundle::Bundle;

use crate::signing::{signature_status, SignatureStatus};

/// Arguments of `trainer info`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle file.
    pub bundle: PathBuf,
}

/// Runs `trainer info`.
///
/// # Errors
/// Unreadable or invalid bundle.
pub fn run(args: Args) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.bundle)
        .with_context(|| format!("reading bundle {}", args.bundle.display()))?;
    let bundle =
        Bundle::from_bytes(&bytes).with_context(|| format!("bundle {}", args.bundle.display()))?;
    let sha = hex::encode(edge::signature::sha256(&bytes));
    print!(
        "{}",
        describe(&bundle, &sha, &signature_status(&args.bundle, &bytes))
    );
    Ok(())
}

/// The text `trainer info` prints.
#[must_use]
pub fn describe(bundle: &Bundle, sha256: &str, signature: &SignatureStatus) -> String {
    let m = &bundle.manifest;
    let p = &m.provenance;
    let mut out = String::new();
    let _ = writeln!(out, "sha256        {sha256}");
    let _ = writeln!(
        out,
        "model         {:?}, input {}×{}×{}, map {}×{}",
        m.model,
        m.input.width,
        m.input.height,
        m.input.channels,
        m.score.map_width,
        m.score.map_height
    );
    let _ = writeln!(
        out,
        "thresholds    image {} pixel {}; good scores min {} max {} mean {} std {} (n = {})",
        m.thresholds.image,
        m.thresholds.pixel,
        m.score_stats.min,
        m.score_stats.max,
        m.score_stats.mean,
        m.score_stats.std,
        m.score_stats.count
    );
    for payload in &bundle.payloads {
        let _ = writeln!(
            out,
            "payload       {} ({} bytes)",
            payload.name,
            payload.bytes.len()
        );
    }
    for metric in &p.metrics {
        let _ = writeln!(out, "metric        {} = {}", metric.name, metric.value);
    }
    let _ = writeln!(
        out,
        "created       {} s since epoch by trainer {}: {}",
        p.created_unix_s, p.trainer_version, p.created_by
    );
    let _ = writeln!(
        out,
        "parent        {}",
        p.parent_bundle_sha256
            .as_deref()
            .unwrap_or("none (fresh fit)")
    );
    for d in &p.datasets {
        let _ = writeln!(
            out,
            "dataset       {} ({} images, fingerprint {})",
            d.path, d.images, d.fingerprint
        );
    }
    let _ = writeln!(
        out,
        "signature     {}",
        match signature {
            SignatureStatus::Unsigned => "none (no .sig file beside the bundle)".to_string(),
            SignatureStatus::Valid { key } => format!("valid, key {key}"),
            SignatureStatus::Invalid { problem } => format!("INVALID: {problem}"),
        }
    );
    out
}
