//! `trainer inspect-data DIR`: prints what [`trainer::data::inspect`](crate::data::inspect)
//! finds in a dataset folder, as text or JSON.

use std::path::PathBuf;

use anyhow::Context;

use crate::data;

/// Arguments of `trainer inspect-data`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dataset folder: MVTec AD layout (`train/good`, `test/<type>`, `ground_truth/<type>`) or a
    /// plain folder of good images.
    pub dir: PathBuf,
    /// Print the inspection as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Inspects `args.dir` and prints the result to stdout.
pub fn run(args: Args) -> anyhow::Result<()> {
    let inspection = data::inspect(&args.dir)
        .with_context(|| format!("inspecting dataset {}", args.dir.display()))?;
    if args.json {
        let text = serde_json::to_string_pretty(&inspection).context("encoding JSON")?;
        println!("{text}");
    } else {
        print!("{inspection}");
    }
    Ok(())
}
