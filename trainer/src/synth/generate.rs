//! Writing a synthetic category to disk: output-folder safety, the list of images, parallel
//! rendering and encoding, and the `synth.json` record.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::ImageFormat;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::defect::{Defect, DefectKind};
use super::render::{mask_image, render};
use super::rng::Rng;
use super::scene::{Material, View};
use super::{SynthConfig, SynthError, SIZE_RANGE};

/// Name of the record written beside the images.
const RECORD: &str = "synth.json";

/// Random streams of one image, so that each is independent of the others.
const STREAM_VIEW: u64 = 1;
const STREAM_DEFECT: u64 = 2;
const STREAM_NOISE: u64 = 3;

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SynthSummary {
    /// The output folder.
    pub out: PathBuf,
    /// Good training images.
    pub train: usize,
    /// Good test images.
    pub test_good: usize,
    /// Defect test images per kind, in [`DefectKind::ALL`] order (kinds with none left out).
    pub defects: Vec<(DefectKind, usize)>,
    /// Files written (images, masks and `synth.json`).
    pub files: usize,
}

/// The `synth.json` record: configuration and every file written, relative to the folder.
#[derive(Serialize, Deserialize)]
struct Record<C> {
    generator: String,
    config: C,
    files: Vec<String>,
}

/// One image to produce.
struct Job {
    split: u64,
    index: usize,
    defect: Option<DefectKind>,
    image: String,
    mask: Option<String>,
}

/// Generates the category described by `config` into `out` (created if missing).
/// Refuses a non-empty `out` unless `config.force`; never deletes files it did not write.
pub fn generate(config: &SynthConfig, out: &Path) -> Result<SynthSummary, SynthError> {
    validate(config)?;
    prepare_folder(out, config.force)?;
    let jobs = jobs(config);

    let mut dirs: Vec<PathBuf> = jobs
        .iter()
        .flat_map(|j| std::iter::once(&j.image).chain(&j.mask))
        .filter_map(|rel| out.join(rel).parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }

    let material = Material::new(config.scene, config.texture, config.seed);
    let results: Vec<Result<(), SynthError>> = jobs
        .par_iter()
        .map(|job| write_job(config, &material, job, out))
        .collect();
    results.into_iter().collect::<Result<Vec<()>, _>>()?;

    let mut files: Vec<String> = jobs
        .iter()
        .flat_map(|j| std::iter::once(j.image.clone()).chain(j.mask.clone()))
        .collect();
    files.push(RECORD.to_string());
    let record = Record {
        generator: format!("trainer synth {}", env!("CARGO_PKG_VERSION")),
        config,
        files,
    };
    let text = serde_json::to_string_pretty(&record).expect("config serialises");
    let record_path = out.join(RECORD);
    fs::write(&record_path, text + "\n").map_err(|e| io(&record_path, e))?;

    let mut per_kind: BTreeMap<DefectKind, usize> = BTreeMap::new();
    for kind in jobs.iter().filter_map(|j| j.defect) {
        *per_kind.entry(kind).or_default() += 1;
    }
    Ok(SynthSummary {
        out: out.to_path_buf(),
        train: config.train,
        test_good: config.test_good,
        defects: per_kind.into_iter().collect(),
        files: record.files.len(),
    })
}

fn validate(config: &SynthConfig) -> Result<(), SynthError> {
    if !SIZE_RANGE.contains(&config.size) {
        return Err(SynthError::Config(format!(
            "size {} is outside {}..={} pixels",
            config.size,
            SIZE_RANGE.start(),
            SIZE_RANGE.end()
        )));
    }
    if config.train == 0 {
        return Err(SynthError::Config(
            "at least one training image is needed".into(),
        ));
    }
    if config.test_defect > 0 && config.defects.is_empty() {
        return Err(SynthError::Config(
            "defect images were asked for but no defect kind is enabled".into(),
        ));
    }
    Ok(())
}

/// The images in order: train, test/good, then defect images round-robin over the kinds.
fn jobs(config: &SynthConfig) -> Vec<Job> {
    let digits = |count: usize| count.saturating_sub(1).to_string().len().max(3);
    let mut jobs = Vec::new();
    for (split, folder, count) in [(0, "train", config.train), (1, "test", config.test_good)] {
        let d = digits(count);
        jobs.extend((0..count).map(|index| Job {
            split,
            index,
            defect: None,
            image: format!("{folder}/good/{index:0d$}.png"),
            mask: None,
        }));
    }
    let mut kinds = config.defects.clone();
    kinds.sort();
    kinds.dedup();
    let mut per_kind: BTreeMap<DefectKind, usize> = BTreeMap::new();
    let d = digits(config.test_defect.div_ceil(kinds.len().max(1)));
    for index in 0..config.test_defect {
        let kind = kinds[index % kinds.len()];
        let n = per_kind.entry(kind).or_default();
        let name = kind.name();
        jobs.push(Job {
            split: 2,
            index,
            defect: Some(kind),
            image: format!("test/{name}/{n:0d$}.png"),
            mask: Some(format!("ground_truth/{name}/{n:0d$}_mask.png")),
        });
        *n += 1;
    }
    jobs
}

fn write_job(
    config: &SynthConfig,
    material: &Material,
    job: &Job,
    out: &Path,
) -> Result<(), SynthError> {
    let words = |stream| [config.seed, job.split, job.index as u64, stream];
    let view = View::random(&mut Rng::new(&words(STREAM_VIEW)));
    let defect = job.defect.map(|kind| {
        Defect::draw(
            kind,
            material,
            &view,
            config.size,
            &mut Rng::new(&words(STREAM_DEFECT)),
        )
    });
    let image = render(
        material,
        &view,
        config.size,
        defect.as_ref(),
        &mut Rng::new(&words(STREAM_NOISE)),
    );
    write_png(&out.join(&job.image), |buf| {
        image.write_to(buf, ImageFormat::Png)
    })?;
    if let (Some(defect), Some(mask)) = (&defect, &job.mask) {
        let mask_img = mask_image(defect, config.size);
        write_png(&out.join(mask), |buf| {
            mask_img.write_to(buf, ImageFormat::Png)
        })?;
    }
    Ok(())
}

fn write_png(
    path: &Path,
    encode: impl FnOnce(&mut Cursor<Vec<u8>>) -> image::ImageResult<()>,
) -> Result<(), SynthError> {
    let mut buf = Cursor::new(Vec::new());
    encode(&mut buf).map_err(|source| SynthError::Encode {
        path: path.to_path_buf(),
        source,
    })?;
    fs::write(path, buf.into_inner()).map_err(|e| io(path, e))
}

/// Makes sure `out` may be written: missing or empty, or `force` (then the files listed
/// in a previous `synth.json` are removed, and nothing else).
fn prepare_folder(out: &Path, force: bool) -> Result<(), SynthError> {
    if !out.exists() {
        return fs::create_dir_all(out).map_err(|e| io(out, e));
    }
    let entries: Vec<String> = fs::read_dir(out)
        .map_err(|e| io(out, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    if !force {
        let mut shown: Vec<String> = entries.iter().take(5).cloned().collect();
        shown.sort();
        let more = entries.len().saturating_sub(5);
        let found = if more > 0 {
            format!("holds {} and {more} more", shown.join(", "))
        } else {
            format!("holds {}", shown.join(", "))
        };
        return Err(SynthError::NotEmpty {
            path: out.to_path_buf(),
            found,
        });
    }
    let record_path = out.join(RECORD);
    let Ok(text) = fs::read_to_string(&record_path) else {
        return Ok(());
    };
    let Ok(record) = serde_json::from_str::<Record<serde_json::Value>>(&text) else {
        return Ok(());
    };
    for rel in &record.files {
        let rel_path = Path::new(rel);
        let safe = rel_path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        let path = out.join(rel_path);
        if safe && path.is_file() {
            fs::remove_file(&path).map_err(|e| io(&path, e))?;
        }
    }
    Ok(())
}

fn io(path: &Path, source: std::io::Error) -> SynthError {
    SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl fmt::Display for SynthSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let defects: usize = self.defects.iter().map(|(_, n)| n).sum();
        writeln!(f, "wrote {} files to {}", self.files, self.out.display())?;
        writeln!(f, "  train/good    {}", self.train)?;
        writeln!(f, "  test/good     {}", self.test_good)?;
        let list: Vec<String> = self
            .defects
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(f, "  test defects  {defects}: {}", list.join(", "))?;
        write!(
            f,
            "  masks         ground_truth/<defect>/<stem>_mask.png (255 = defect)"
        )
    }
}
