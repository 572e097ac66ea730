//! Image AUROC of one fitted bundle under other image-score settings: the smoothing σ
//! of the map the score is taken from (`--image-sigma` of `trainer fit`) and the
//! reduction (maximum or mean of the k largest cells). The raw patch-score maps come
//! from the edge inspector once per test image; each setting is then applied to them
//! with the shared score functions, so the figures are what a bundle fitted with that
//! setting would rank (its threshold aside). Reproduces the README's σ sweep:
//!
//! ```text
//! cargo run -p trainer --example image_score_sweep -- <model.bundle> <category folder>
//! ```

use std::path::PathBuf;

use anyhow::{bail, Context};
use edge::inspector::Inspector;
use shared::score::{gaussian_blur, image_score, ImageScore};

const SIGMAS: [f32; 6] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0];
const TOP_K: [u32; 5] = [1, 2, 4, 8, 16];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bundle, data] = args.as_slice() else {
        bail!("usage: image_score_sweep <model.bundle> <category folder with test/>");
    };
    let (bundle, data) = (PathBuf::from(bundle), PathBuf::from(data));
    let dataset = trainer::data::load(&data)?;
    if dataset.test.is_empty() {
        bail!("{} has no test images", data.display());
    }
    let mut inspector =
        Inspector::open(&bundle, 1).with_context(|| format!("opening {}", bundle.display()))?;
    let grid = inspector.grid();
    let (width, height) = (grid.width as u32, grid.height as u32);
    let mut maps = Vec::with_capacity(dataset.test.len());
    for sample in &dataset.test {
        let frame = trainer::data::load_rgb(&sample.path)?;
        let inspection = inspector
            .inspect(&frame)
            .with_context(|| format!("inspecting {}", sample.path.display()))?;
        maps.push(inspection.map.to_vec());
    }
    let labels: Vec<bool> = dataset.test.iter().map(|s| s.is_anomalous()).collect();
    let score = inspector.manifest().score;
    println!(
        "{}: {} test images, map {width}×{height}; fitted with image σ {} ({:?}), heat-map σ {}",
        bundle.display(),
        maps.len(),
        score.image_sigma,
        score.image_score,
        score.smoothing_sigma
    );
    print!("| image σ |");
    for k in TOP_K {
        print!(
            " {} |",
            if k == 1 {
                "max".into()
            } else {
                format!("top-{k} mean")
            }
        );
    }
    println!("\n|---|{}", "---|".repeat(TOP_K.len()));
    for sigma in SIGMAS {
        let smoothed = maps
            .iter()
            .map(|m| gaussian_blur(m, width, height, sigma))
            .collect::<Result<Vec<_>, _>>()?;
        print!("| {sigma} |");
        for k in TOP_K {
            let method = if k == 1 {
                ImageScore::Max
            } else {
                ImageScore::TopKMean { k }
            };
            let scores = smoothed
                .iter()
                .map(|m| image_score(m, method))
                .collect::<Result<Vec<_>, _>>()?;
            print!(" {:.4} |", trainer::metrics::roc_auc(&scores, &labels)?);
        }
        println!();
    }
    Ok(())
}
