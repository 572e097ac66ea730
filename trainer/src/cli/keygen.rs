//! `trainer keygen`: an ed25519 key pair for signing bundles ([`crate::signing`]).

use std::path::PathBuf;

/// Arguments of `trainer keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Secret key file to create (mode 0600; never overwritten); the public key goes to
    /// `<out>.pub`.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `trainer keygen`.
///
/// # Errors
/// OS randomness or file creation failures (an existing file is refused).
pub fn run(args: Args) -> anyhow::Result<()> {
    let public = crate::signing::generate_key(&args.out)?;
    println!(
        "secret key  {} (keep it off the devices)",
        args.out.display()
    );
    println!(
        "public key  {} = {}",
        crate::signing::public_key_path(&args.out).display(),
        public.to_hex()
    );
    println!("board profile: bundle_public_key = \"{}\"", public.to_hex());
    Ok(())
}
