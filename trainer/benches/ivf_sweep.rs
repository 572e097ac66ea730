//! Inverted-file settings on real data: one fitted global-bank bundle, its bank re-indexed
//! with several list counts and probes, every variant run through the edge inspector on
//! a category's test images (one thread). Prints, per variant, image AUROC (good against
//! defective test images), the largest change of an image score against brute force, the
//! median scoring time and its ratio to brute force measured in this process.
//!
//! ```text
//! IVF_BUNDLE=out/real/mvtec_ad_bottle/bank/model.bundle \
//! IVF_DATA=../shared/datasets/mvtec_ad/bottle cargo bench -p trainer --bench ivf_sweep
//! ```
//!
//! `IVF_LISTS` (default `sqrt,default,256`: √entries, the fit's default 2√entries, 256)
//! and `IVF_PROBES` (default `2,4,8,16`) pick the grid;
//! `IVF_IMAGES` caps the test images (default all). Prints `skipped` without the bundle or
//! the data. Asserts nothing about time.

use std::path::{Path, PathBuf};

use edge::inspector::Inspector;
use shared::bundle::{Bundle, BANK};
use trainer::bank::{
    kmeans, BankModel, F32Bank, Int8Bank, IvfBank, IvfConfig, NearestNeighbours, KMEANS_ITERATIONS,
};
use trainer::metrics::roc_auc;

/// Test images of an MVTec-layout category with "is defective" labels.
fn test_images(data: &Path, cap: usize) -> Vec<(PathBuf, bool)> {
    let mut out = Vec::new();
    let Ok(kinds) = std::fs::read_dir(data.join("test")) else {
        return out;
    };
    let mut kinds: Vec<PathBuf> = kinds.filter_map(|e| e.ok().map(|e| e.path())).collect();
    kinds.sort();
    for kind in kinds.iter().filter(|k| k.is_dir()) {
        let defective = kind.file_name().is_some_and(|n| n != "good");
        let mut files: Vec<PathBuf> = std::fs::read_dir(kind)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|p| (p, defective)));
    }
    // Every kind keeps a share when capped: take evenly spaced images.
    if out.len() > cap {
        let step = out.len() as f64 / cap as f64;
        out = (0..cap)
            .map(|i| out[(i as f64 * step) as usize].clone())
            .collect();
    }
    out
}

/// Image scores and median scoring µs of `bundle` with its bank replaced by `bank`.
fn run(bundle: &Bundle, bank: &BankModel, frames: &[image::RgbImage]) -> (Vec<f32>, f64) {
    let mut variant = bundle.clone();
    for p in &mut variant.payloads {
        if p.name == BANK {
            p.bytes = bank.to_bytes();
        }
    }
    let mut inspector = Inspector::new(&variant, 1).expect("inspector");
    let mut scores = Vec::with_capacity(frames.len());
    let mut times = Vec::with_capacity(frames.len());
    for frame in frames {
        let r = inspector.inspect(frame).expect("inspect");
        scores.push(r.raw_score);
        times.push(r.timings.scoring_us as f64);
    }
    times.sort_by(f64::total_cmp);
    (scores, times[times.len() / 2])
}

fn main() {
    let (Some(bundle), Some(data)) = (std::env::var_os("IVF_BUNDLE"), std::env::var_os("IVF_DATA"))
    else {
        println!("ivf_sweep: skipped: set IVF_BUNDLE (a global-bank bundle) and IVF_DATA");
        return;
    };
    let cap = std::env::var("IVF_IMAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    let Ok(bundle) = Bundle::read_from(Path::new(&bundle)) else {
        println!("ivf_sweep: skipped: {bundle:?} is not a readable bundle");
        return;
    };
    let images = test_images(Path::new(&data), cap);
    if images.is_empty() {
        println!("ivf_sweep: skipped: no test images under {data:?}");
        return;
    }
    let bank: Int8Bank = match BankModel::from_bytes(bundle.payload(BANK).expect("bank payload"))
        .expect("bank")
    {
        BankModel::Int8(b) => b,
        // k-means starts from the first entries, which a coreset spreads out (farthest-
        // point order) but an index stores list by list: take them round-robin over the
        // lists instead, so the first rows span every list again.
        BankModel::Ivf(b) => {
            let lists: Vec<std::ops::Range<usize>> = (0..b.lists()).map(|l| b.list(l)).collect();
            let longest = lists.iter().map(|r| r.len()).max().unwrap_or(0);
            let mut rows = Vec::with_capacity(b.len() * b.dim());
            for r in 0..longest {
                for list in lists.iter().filter(|l| r < l.len()) {
                    rows.extend(b.entry(list.start + r).expect("entry"));
                }
            }
            // Dequantized entries re-encode to the same codes with the same codec.
            let rows = F32Bank::new(rows, b.dim()).expect("entries");
            Int8Bank::with_codec(&rows, b.bank().codec().clone()).expect("codec")
        }
        _ => {
            println!("ivf_sweep: skipped: the bundle holds no int8 global bank");
            return;
        }
    };
    let frames: Vec<image::RgbImage> = images
        .iter()
        .map(|(p, _)| image::open(p).expect("image").to_rgb8())
        .collect();
    let labels: Vec<bool> = images.iter().map(|(_, d)| *d).collect();
    let (dim, len) = (bank.dim(), bank.len());
    let entries = bank.entries();
    println!(
        "ivf_sweep: {len} × {dim} int8 bank, {} test images ({} defective), 1 thread",
        frames.len(),
        labels.iter().filter(|&&d| d).count()
    );

    let (exact, exact_us) = run(&bundle, &BankModel::Int8(bank.clone()), &frames);
    let exact_auroc = roc_auc(&exact, &labels).ok();
    let figure = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.4}"));
    println!("| search | image AUROC | max score change | scoring ms (median) | vs brute force |");
    println!("|---|---|---|---|---|");
    println!(
        "| brute force | {} | 0 | {:.2} | 1.000× |",
        figure(exact_auroc),
        exact_us / 1e3
    );
    let lists_arg = std::env::var("IVF_LISTS").unwrap_or_else(|_| "sqrt,default,256".into());
    let probes_arg = std::env::var("IVF_PROBES").unwrap_or_else(|_| "2,4,8,16".into());
    for lists in lists_arg.split(',') {
        let lists = match lists {
            "sqrt" => (len as f64).sqrt().round() as usize,
            "default" => IvfConfig::default().lists_for(len),
            n => n.parse().expect("IVF_LISTS: numbers or sqrt"),
        }
        .clamp(1, len);
        let centroids = kmeans(&entries, dim, lists, KMEANS_ITERATIONS).expect("k-means");
        for probes in probes_arg.split(',') {
            let probes: usize = probes.parse().expect("IVF_PROBES: numbers");
            let ivf = IvfBank::from_parts(&bank, &centroids, probes.min(lists)).expect("index");
            let (scores, us) = run(&bundle, &BankModel::Ivf(ivf), &frames);
            let change = scores
                .iter()
                .zip(&exact)
                .map(|(a, e)| (a - e).abs() / e.abs().max(1e-6))
                .fold(0.0f32, f32::max);
            println!(
                "| {lists} lists, {probes} probed | {} | {:.2} % | {:.2} | {:.3}× |",
                figure(roc_auc(&scores, &labels).ok()),
                100.0 * change,
                us / 1e3,
                us / exact_us
            );
        }
    }
}
