//! `trainer synth`: writes a deterministic synthetic category in the MVTec AD layout with
//! [`trainer::synth::generate`](crate::synth::generate) and prints what it wrote.

use std::path::PathBuf;

use anyhow::Context;

use crate::synth::{self, DefectKind, Scene, SynthConfig, TextureKind};

/// Arguments of `trainer synth`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output folder (created; must be empty unless --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed: the same seed writes byte-identical files.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// What the images show.
    #[arg(long, value_enum, default_value_t = Scene::Part)]
    pub scene: Scene,
    /// Surface of the texture scene.
    #[arg(long, value_enum, default_value_t = TextureKind::Weave)]
    pub texture: TextureKind,
    /// Image width and height in pixels.
    #[arg(long, default_value_t = 256)]
    pub size: u32,
    /// Good training images.
    #[arg(long, default_value_t = 80)]
    pub train: usize,
    /// Good test images.
    #[arg(long, default_value_t = 20)]
    pub test_good: usize,
    /// Defect test images (spread over the defect kinds).
    #[arg(long, default_value_t = 40)]
    pub test_defect: usize,
    /// Defect kinds, comma-separated (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub defects: Vec<DefectKind>,
    /// Write into a non-empty folder (removes only files a previous run listed in synth.json).
    #[arg(long)]
    pub force: bool,
}

/// Generates the dataset and prints a summary.
pub fn run(args: Args) -> anyhow::Result<()> {
    let config = SynthConfig {
        seed: args.seed,
        scene: args.scene,
        texture: args.texture,
        size: args.size,
        train: args.train,
        test_good: args.test_good,
        test_defect: args.test_defect,
        defects: if args.defects.is_empty() {
            DefectKind::ALL.to_vec()
        } else {
            args.defects
        },
        force: args.force,
    };
    let summary = synth::generate(&config, &args.out)
        .with_context(|| format!("generating a synthetic dataset in {}", args.out.display()))?;
    println!("{summary}");
    Ok(())
}
