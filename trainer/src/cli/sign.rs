//! `trainer sign`: a detached signature `<bundle>.sig` ([`crate::signing`]).

use std::path::PathBuf;

use anyhow::Context as _;

/// Arguments of `trainer sign`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Secret key file written by `trainer keygen`.
    #[arg(long)]
    pub key: PathBuf,
    /// The bundle to sign (left unchanged; the signature goes to `<bundle>.sig`).
    pub bundle: PathBuf,
}

/// Runs `trainer sign`.
///
/// # Errors
/// Unreadable key or bundle, invalid bundle, unwritable signature file.
pub fn run(args: Args) -> anyhow::Result<()> {
    let key = crate::signing::read_signing_key(&args.key)?;
    let sig = crate::signing::sign_bundle(&args.bundle, &key)
        .with_context(|| format!("signing {}", args.bundle.display()))?;
    println!(
        "signed {} → {} (key {})",
        args.bundle.display(),
        sig.display(),
        hex::encode(key.verifying_key().to_bytes())
    );
    Ok(())
}
