//! `trainer retrain`: incremental bank growth that leaves the old entries as they were, a
//! drifted-lighting scenario whose false rejects recover, refusal of a worse bundle
//! unless forced, lineage, and `trainer info`.

mod common;

use std::path::{Path, PathBuf};

use common::TempDir;
use image::RgbImage;
use shared::bundle::{Bundle, BANK};
use trainer::bank::{
    extend_bank, index_bank, BankModel, Codes, CoresetSize, ExtendConfig, ExtendError, F32Bank,
    GridShape, Int8Bank, IvfConfig, NearestNeighbours, PositionBank, SyntheticFeatures,
};
use trainer::fit::{fit, BankSearch, FitConfig, ModelChoice, Precision};
use trainer::retrain::{retrain, RetrainConfig, RetrainError};
use trainer::synth::{self, SynthConfig};
use trainer::teacher::TeacherWeights;

/// Image and network input size of the quick tests.
const SMALL: u32 = 64;
/// The drift scenario's size: defects at 64 px are a few patches, too few to rank.
const DRIFT: u32 = 128;
const DIM: usize = 24;

fn bank_rows(n: usize, seed: u64) -> Vec<f32> {
    SyntheticFeatures::new(DIM, 3).sample(n, seed)
}

fn extend(fraction: f32, max_entries: Option<usize>) -> ExtendConfig {
    ExtendConfig {
        fraction,
        max_entries,
    }
}

#[test]
fn an_indexed_bank_grows_keeps_its_centroids_and_old_codes_and_lists_every_entry() {
    let old_rows = bank_rows(400, 1);
    let config = IvfConfig {
        lists: Some(12),
        probes: 3,
    };
    let old = index_bank(&F32Bank::new(old_rows, DIM).unwrap(), &config).unwrap();
    let new = bank_rows(300, 2);
    let out = extend_bank(&BankModel::Ivf(old.clone()), &new, &extend(0.2, None)).unwrap();
    let BankModel::Ivf(bank) = &out.model else {
        panic!("indexed in, indexed out")
    };
    assert!(out.added > 0, "{out:?}");
    assert_eq!(bank.len(), 400 + out.added);
    assert_eq!((bank.lists(), bank.probes()), (12, 3));
    assert_eq!(
        (0..12).map(|l| bank.list(l).len()).sum::<usize>(),
        bank.len()
    );
    if out.codes == Codes::Kept {
        assert_eq!(bank.centroids(), old.centroids());
        // Every old code is still in the bank (its position may have changed lists).
        let mut grown: Vec<&[i8]> = (0..bank.len())
            .map(|j| bank.bank().codes(j).unwrap())
            .collect();
        grown.sort();
        for j in 0..400 {
            assert!(grown.binary_search(&old.bank().codes(j).unwrap()).is_ok());
        }
    }
    // Each entry sits in the list of its nearest centroid.
    let centroids = F32Bank::new(bank.centroids(), DIM).unwrap();
    for l in 0..12 {
        for j in bank.list(l) {
            let nearest = centroids.search(&bank.entry(j).unwrap(), 1).unwrap();
            assert_eq!(nearest.indices[0] as usize, l, "entry {j}");
        }
    }
}

#[test]
fn incremental_update_keeps_old_int8_codes_bit_identical_when_the_range_covers_them() {
    let old_rows = bank_rows(200, 1);
    let old = Int8Bank::quantize(&F32Bank::new(old_rows.clone(), DIM).unwrap());
    // New patches: shrunk towards each dimension's midpoint, so inside the codec range.
    let offsets = old.codec().offsets().to_vec();
    let new: Vec<f32> = bank_rows(300, 2)
        .chunks_exact(DIM)
        .flat_map(|r| r.iter().zip(&offsets).map(|(v, o)| o + 0.5 * (v - o)))
        .collect();
    assert!(old.codec().covers(&new));
    let out = extend_bank(&BankModel::Int8(old.clone()), &new, &extend(0.2, None)).unwrap();
    let BankModel::Int8(bank) = &out.model else {
        panic!("int8 in, int8 out")
    };
    assert_eq!(out.codes, Codes::Kept);
    assert!(out.added > 0 && out.added <= 60, "{out:?}");
    assert_eq!(bank.len(), 200 + out.added);
    assert_eq!(bank.codec(), old.codec());
    for j in 0..200 {
        assert_eq!(bank.codes(j), old.codes(j), "old entry {j} changed");
    }
    // The serialised bank starts with the old one's codes: header and codec are equal,
    // then the old rows, byte for byte.
    let (old_bytes, new_bytes) = (old.to_bytes(), bank.to_bytes());
    let codes_start = old_bytes.len() - 200 * DIM;
    assert_eq!(
        old_bytes[codes_start..],
        new_bytes[codes_start..codes_start + 200 * DIM]
    );
}

#[test]
fn incremental_update_skips_what_the_bank_covers_and_respects_the_cap() {
    let old_rows = bank_rows(100, 1);
    let old = BankModel::F32(F32Bank::new(old_rows.clone(), DIM).unwrap());
    // Copies of old entries are covered: nothing to add.
    let out = extend_bank(&old, &old_rows[..20 * DIM], &extend(1.0, None)).unwrap();
    assert_eq!((out.added, out.codes), (0, Codes::F32));
    assert_eq!(out.model, old);

    // Far-away patches are added up to the cap, old values first and unchanged.
    let far: Vec<f32> = SyntheticFeatures::new(DIM, 3).anomalies(50, 9);
    let out = extend_bank(&old, &far, &extend(1.0, Some(130))).unwrap();
    let BankModel::F32(bank) = &out.model else {
        panic!("f32 in, f32 out")
    };
    assert_eq!(bank.len(), 130);
    assert_eq!(&bank.data()[..100 * DIM], &old_rows[..]);
    let full = extend_bank(&old, &far, &extend(1.0, Some(100))).unwrap_err();
    assert!(
        matches!(
            full,
            ExtendError::Full {
                entries: 100,
                max: 100
            }
        ),
        "{full}"
    );
}

#[test]
fn incremental_update_widens_an_int8_codec_and_reports_the_change_of_old_entries() {
    let old_rows = bank_rows(100, 1);
    let old = Int8Bank::quantize(&F32Bank::new(old_rows.clone(), DIM).unwrap());
    let far: Vec<f32> = bank_rows(40, 5).iter().map(|v| 3.0 * v + 2.0).collect();
    assert!(!old.codec().covers(&far));
    let out = extend_bank(&BankModel::Int8(old.clone()), &far, &extend(0.5, None)).unwrap();
    let Codes::Widened { max_old_change } = out.codes else {
        panic!("{:?}", out.codes)
    };
    let BankModel::Int8(bank) = &out.model else {
        panic!("int8")
    };
    // Re-encoding a dequantised value moves it by at most half the new step.
    let bound = 0.5 * bank.codec().scales().iter().copied().fold(0.0, f32::max) + 1e-5;
    assert!(
        max_old_change > 0.0 && max_old_change <= bound,
        "{max_old_change} > {bound}"
    );
    for j in 0..100 {
        let (a, b) = (old.entry(j).unwrap(), bank.entry(j).unwrap());
        let change = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(change <= max_old_change, "entry {j}");
    }
}

#[test]
fn per_location_banks_are_refused_with_a_reason() {
    let grid = GridShape::new(2, 2, DIM);
    let rows = SyntheticFeatures::new(DIM, 3).grid_images(grid, 4, 1);
    let bank = <PositionBank as trainer::bank::FitPosition>::fit(
        &rows,
        grid,
        &trainer::bank::PositionBankConfig {
            entries_per_location: 2,
            train_radius: 0,
            search_radius: 0,
            seed: 0,
        },
    )
    .unwrap();
    let err = extend_bank(&BankModel::Position(bank), &rows, &extend(0.1, None)).unwrap_err();
    assert!(err.to_string().contains("trainer fit"), "{err}");
}

// --- End to end: fit, drift, label, retrain. -------------------------------------------

/// Brighter, higher-gain lighting: the drift the line sees.
fn drifted(image: &RgbImage) -> RgbImage {
    let mut out = image.clone();
    for p in out.pixels_mut() {
        for c in &mut p.0 {
            *c = (f32::from(*c) * 1.25 + 30.0).min(255.0) as u8;
        }
    }
    out
}

fn synth(dir: &Path, name: &str, size: u32, seed: u64, train: usize, defects: usize) -> PathBuf {
    let root = dir.join(name);
    synth::generate(
        &SynthConfig {
            seed,
            size,
            train,
            test_good: 0,
            test_defect: defects,
            ..SynthConfig::default()
        },
        &root,
    )
    .unwrap();
    root
}

fn images_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(images_under(&path));
        } else if path.extension().is_some_and(|e| e == "png")
            && !path.to_string_lossy().contains("ground_truth")
        {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Copies `images` into `captures/<label>/` under capture-store names, drifted or not.
fn capture(captures: &Path, label: &str, images: &[PathBuf], first: usize, drift: bool) {
    let dir = captures.join(label);
    std::fs::create_dir_all(&dir).unwrap();
    for (i, path) in images.iter().enumerate() {
        let image = image::open(path).unwrap().to_rgb8();
        let image = if drift { drifted(&image) } else { image };
        let n = first + i;
        image.save(dir.join(format!("{n:010}-{n}.png"))).unwrap();
    }
}

fn fit_old(dir: &Path, precision: Precision, size: u32, train: usize) -> PathBuf {
    let data = synth(dir, "old-data", size, 5, train, 0);
    let out = dir.join("old.bundle");
    fit(
        &data,
        None,
        &out,
        &TeacherWeights::load_default().unwrap(),
        &FitConfig {
            input: (size, size),
            model: ModelChoice::Bank {
                size: CoresetSize::Fraction(0.25),
                max_entries: Some(2000),
                projection_dim: Some(32),
                precision,
                reweight: None,
                search: match precision {
                    Precision::F32 => BankSearch::BruteForce,
                    Precision::Int8 => BankSearch::Ivf(IvfConfig::default()),
                },
            },
            holdout_fraction: 0.25,
            threads: 2,
            ..FitConfig::default()
        },
    )
    .unwrap();
    out
}

fn config(tolerance: f64, force: bool) -> RetrainConfig {
    let mut c = RetrainConfig {
        tolerance,
        force,
        ..RetrainConfig::default()
    };
    c.fit.threads = 2;
    c.fit.holdout_fraction = 0.25;
    c.extend.fraction = 0.25;
    c
}

fn bank_of(path: &Path) -> BankModel {
    BankModel::from_bytes(Bundle::read_from(path).unwrap().payload(BANK).unwrap()).unwrap()
}

#[test]
fn drifted_lighting_false_rejects_recover_after_retraining_and_lineage_is_recorded() {
    let dir = TempDir::create("retrain-drift");
    let old = fit_old(&dir.0, Precision::F32, DRIFT, 24);
    let new_data = synth(&dir.0, "new-data", DRIFT, 6, 40, 12);
    let captures = dir.0.join("captures");
    capture(
        &captures,
        "good",
        &images_under(&new_data.join("train")),
        0,
        true,
    );
    let defects: Vec<PathBuf> = images_under(&new_data.join("test"));
    assert_eq!(defects.len(), 12);
    capture(&captures, "defect", &defects, 100, true);

    let out = dir.0.join("new.bundle");
    let done = retrain(&old, &captures, None, None, &out, &config(0.2, false)).unwrap();
    let c = &done.comparison;
    let (old_frr, new_frr) = (
        c.old.false_reject_rate.unwrap(),
        c.new.false_reject_rate.unwrap(),
    );
    eprintln!("{}", c.table());
    assert!(
        old_frr >= 0.5,
        "the drift must hurt the old bundle: {old_frr}"
    );
    assert!(new_frr <= 0.2 && new_frr < old_frr, "{old_frr} → {new_frr}");
    // The drifted old bundle rejects (nearly) everything, so its catch rate is no
    // achievement: the new one must rank defects better and lose no more catches than
    // it saves good parts.
    let (old_auroc, new_auroc) = (c.old.auroc.unwrap(), c.new.auroc.unwrap());
    assert!(
        new_auroc >= 0.8 && new_auroc > old_auroc,
        "{old_auroc} → {new_auroc}"
    );
    let (old_catch, new_catch) = (c.old.catch_rate.unwrap(), c.new.catch_rate.unwrap());
    assert!(
        new_catch - new_frr >= old_catch - old_frr,
        "catch − false rejects: {} → {}",
        old_catch - old_frr,
        new_catch - new_frr
    );
    assert!(!done.forced);

    // The old bank's entries lead the new bank unchanged (f32: bit for bit).
    let (BankModel::F32(old_bank), BankModel::F32(new_bank)) = (bank_of(&old), bank_of(&out))
    else {
        panic!("f32 banks")
    };
    assert!(done.extended.added > 0);
    assert_eq!(new_bank.len(), old_bank.len() + done.extended.added);
    let n = old_bank.data().len();
    assert!(new_bank.data()[..n]
        .iter()
        .zip(old_bank.data())
        .all(|(a, b)| a.to_bits() == b.to_bits()));

    // Lineage: parent hash, the old dataset and the captures.
    let old_bytes = std::fs::read(&old).unwrap();
    let new = Bundle::read_from(&out).unwrap();
    let p = &new.manifest.provenance;
    assert_eq!(
        p.parent_bundle_sha256.as_deref(),
        Some(hex::encode(edge::signature::sha256(&old_bytes)).as_str())
    );
    assert_eq!(p.datasets.len(), 2, "{:?}", p.datasets);
    assert!(p.datasets[0].path.ends_with("old-data"));
    assert_eq!(p.datasets[1].path, captures.display().to_string());
    assert_eq!(p.datasets[1].fingerprint.len(), 64);
    let info = trainer::cli::info::describe(
        &new,
        &hex::encode(edge::signature::sha256(&std::fs::read(&out).unwrap())),
        &trainer::signing::signature_status(&out, &std::fs::read(&out).unwrap()),
    );
    assert!(
        info.contains(p.parent_bundle_sha256.as_deref().unwrap()),
        "{info}"
    );
    assert!(info.contains("signature     none"), "{info}");
    assert!(!trainer::fit::unverified_path(&out).exists());
}

#[test]
fn a_retrain_that_is_worse_is_refused_unless_forced() {
    let dir = TempDir::create("retrain-worse");
    let old = fit_old(&dir.0, Precision::Int8, SMALL, 12);
    let new_data = synth(&dir.0, "new-data", SMALL, 7, 6, 6);
    let defects = images_under(&new_data.join("test"));
    // A careless labeller marks the defects good; the evaluation folder knows better.
    // (The old bundle has never seen this part and rejects everything; the new one then
    // passes everything: an exact trade of catches for false rejects, which keeps the
    // incumbent.)
    let captures = dir.0.join("captures");
    capture(
        &captures,
        "good",
        &images_under(&new_data.join("train")),
        0,
        false,
    );
    capture(&captures, "good", &defects, 100, false);
    let eval = dir.0.join("eval");
    capture(&eval, "defect", &defects, 100, false);
    capture(
        &eval,
        "good",
        &images_under(&new_data.join("train"))[..2],
        200,
        false,
    );

    let out = dir.0.join("new.bundle");
    std::fs::write(&out, b"previous").unwrap();
    let err = retrain(
        &old,
        &captures,
        None,
        Some(&eval),
        &out,
        &config(0.0, false),
    )
    .unwrap_err();
    assert!(matches!(err, RetrainError::Worse { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("WORSE") && message.contains("--force"),
        "{message}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"previous", "out untouched");
    assert!(!trainer::fit::unverified_path(&out).exists());

    let forced = retrain(&old, &captures, None, Some(&eval), &out, &config(0.0, true)).unwrap();
    assert!(forced.forced && !forced.comparison.regressions.is_empty());
    Bundle::read_from(&out).expect("forced bundle written");
}

#[test]
fn labels_come_from_a_csv_and_bad_lines_are_named() {
    let dir = TempDir::create("retrain-labels");
    let captures = dir.0.join("captures");
    let data = synth(&dir.0, "data", SMALL, 8, 3, 0);
    let images = images_under(&data.join("train"));
    std::fs::create_dir_all(&captures).unwrap();
    for (i, p) in images.iter().enumerate() {
        std::fs::copy(p, captures.join(format!("{i:010}-{i}.png"))).unwrap();
    }
    let csv = dir.0.join("labels.csv");
    std::fs::write(
        &csv,
        "image,label\n0000000000-0.png,good\n# a comment\n0000000001-1.png,defect\n",
    )
    .unwrap();
    let labelled = trainer::retrain::load_labelled(&captures, Some(&csv)).unwrap();
    assert_eq!(labelled.frames.len(), 2);
    assert_eq!(labelled.with(trainer::retrain::Label::Defect).len(), 1);

    std::fs::write(&csv, "0000000000-0.png,good\n0000000002-2.png,maybe\n").unwrap();
    let err = trainer::retrain::load_labelled(&captures, Some(&csv)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("labels.csv:2") && message.contains("maybe"),
        "{message}"
    );

    let err = trainer::retrain::load_labelled(&captures, None).unwrap_err();
    assert!(err.to_string().contains("good/"), "{err}");
}
