//! Dataset inspection: the summary a user reads before training. Counts per split and
//! defect type, image sizes and colour types (from file headers, not decoded), and mask
//! presence and defect coverage (every mask is decoded and checked against its image).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use image::ColorType;
use rayon::prelude::*;
use serde::Serialize;

use super::image_io::{load_mask_file, read_header};
use super::layout::{masks_in, subdirs};
use super::{load, DataError, Layout, Sample, GOOD};

/// Fewer training images than this earns a note (the design asks for 100–300).
const FEW_TRAIN_IMAGES: usize = 50;
/// More distinct image sizes than this are summarised as ranges.
const MAX_LISTED_SIZES: usize = 6;

/// What [`inspect`] found in a dataset folder.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// Dataset name (the folder's name).
    pub name: String,
    /// The folder inspected.
    pub root: PathBuf,
    /// Detected layout.
    pub layout: Layout,
    /// Number of good training images.
    pub train_good: usize,
    /// Number of good test images.
    pub test_good: usize,
    /// One entry per defect type, sorted by name.
    pub defects: Vec<DefectStats>,
    /// Distinct image sizes over all images, most frequent first.
    pub sizes: Vec<SizeCount>,
    /// Image count per colour type (`grey`, `RGB`, `RGBA`, … with ` 16-bit` where so).
    pub colours: BTreeMap<String, usize>,
    /// Good test images whose mask marks defect pixels (should be none).
    pub good_with_defect_mask: Vec<PathBuf>,
    /// Mask files under `ground_truth/` that belong to no test image.
    pub orphan_masks: Vec<PathBuf>,
    /// Things worth the user's attention, in words.
    pub notes: Vec<String>,
}

/// Counts and mask statistics of one defect type.
#[derive(Debug, Clone, Serialize)]
pub struct DefectStats {
    /// Defect type (`test/<type>` folder name).
    pub name: String,
    /// Number of test images of this type.
    pub images: usize,
    /// Images that have a mask file.
    pub masks: usize,
    /// Images without a mask (image-level label only).
    pub missing_masks: usize,
    /// Masks with no defect pixel.
    pub empty_masks: usize,
    /// Defect coverage over the non-empty masks, `None` when there are none.
    pub coverage: Option<MaskCoverage>,
}

/// Share of an image's pixels marked defective, in percent (0–100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MaskCoverage {
    /// Mean over masks, %.
    pub mean_pct: f64,
    /// Smallest, %.
    pub min_pct: f64,
    /// Largest, %.
    pub max_pct: f64,
}

/// How many images have one size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SizeCount {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Number of images of this size.
    pub count: usize,
}

/// Per-image facts gathered in parallel.
struct ImageFacts {
    size: (u32, u32),
    colour: ColorType,
    /// Share of defect pixels in [0, 1], when the image has a mask.
    coverage: Option<f64>,
}

/// Inspects the dataset at `root` (layout auto-detected as by [`load`]). Reads every
/// image header and decodes every mask. A single problem is returned as it is; several
/// as [`DataError::Several`], in path order; each names its file(s).
pub fn inspect(root: &Path) -> Result<Inspection, DataError> {
    let dataset = load(root)?;
    let samples: Vec<&Sample> = dataset.train.iter().chain(&dataset.test).collect();
    let facts: Vec<Result<ImageFacts, DataError>> =
        samples.par_iter().map(|s| image_facts(s)).collect();
    let mut errors = Vec::new();
    let facts: Vec<ImageFacts> = facts
        .into_iter()
        .filter_map(|f| f.map_err(|e| errors.push(e)).ok())
        .collect();
    if errors.len() > 1 {
        return Err(DataError::Several(errors));
    }
    if let Some(err) = errors.pop() {
        return Err(err);
    }

    let mut size_counts: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let mut colours: BTreeMap<String, usize> = BTreeMap::new();
    for f in &facts {
        *size_counts.entry(f.size).or_default() += 1;
        *colours.entry(colour_name(f.colour)).or_default() += 1;
    }
    let mut sizes: Vec<SizeCount> = size_counts
        .into_iter()
        .map(|((width, height), count)| SizeCount {
            width,
            height,
            count,
        })
        .collect();
    sizes.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then((a.width, a.height).cmp(&(b.width, b.height)))
    });

    let test_facts = &facts[dataset.train.len()..];
    let mut by_type: BTreeMap<&str, Vec<(&Sample, &ImageFacts)>> = BTreeMap::new();
    for (s, f) in dataset.test.iter().zip(test_facts) {
        by_type.entry(s.defect.as_str()).or_default().push((s, f));
    }
    let good_with_defect_mask: Vec<PathBuf> = by_type
        .get(GOOD)
        .into_iter()
        .flatten()
        .filter(|(_, f)| f.coverage.is_some_and(|c| c > 0.0))
        .map(|(s, _)| s.path.clone())
        .collect();
    let defects: Vec<DefectStats> = by_type
        .iter()
        .filter(|(name, _)| **name != GOOD)
        .map(|(name, items)| defect_stats(name, items))
        .collect();

    let orphan_masks = if dataset.layout == Layout::MvtecAd {
        orphan_masks(root, &dataset.test)?
    } else {
        Vec::new()
    };

    let mut inspection = Inspection {
        name: dataset.name.clone(),
        root: dataset.root.clone(),
        layout: dataset.layout,
        train_good: dataset.train.len(),
        test_good: by_type.get(GOOD).map_or(0, Vec::len),
        defects,
        sizes,
        colours,
        good_with_defect_mask,
        orphan_masks,
        notes: Vec::new(),
    };
    inspection.notes = notes(&inspection);
    Ok(inspection)
}

fn image_facts(sample: &Sample) -> Result<ImageFacts, DataError> {
    let (size, colour) = read_header(&sample.path)?;
    let coverage = match &sample.mask {
        None => None,
        Some(mask) => {
            let pixels = load_mask_file(mask, &sample.path, size)?;
            let defect = pixels.iter().filter(|&&d| d).count();
            Some(defect as f64 / pixels.len().max(1) as f64)
        }
    };
    Ok(ImageFacts {
        size,
        colour,
        coverage,
    })
}

fn defect_stats(name: &str, items: &[(&Sample, &ImageFacts)]) -> DefectStats {
    let coverages: Vec<f64> = items.iter().filter_map(|(_, f)| f.coverage).collect();
    let non_empty: Vec<f64> = coverages.iter().copied().filter(|&c| c > 0.0).collect();
    let coverage = (!non_empty.is_empty()).then(|| MaskCoverage {
        mean_pct: 100.0 * non_empty.iter().sum::<f64>() / non_empty.len() as f64,
        min_pct: 100.0 * non_empty.iter().copied().fold(f64::INFINITY, f64::min),
        max_pct: 100.0 * non_empty.iter().copied().fold(0.0, f64::max),
    });
    DefectStats {
        name: name.to_string(),
        images: items.len(),
        masks: coverages.len(),
        missing_masks: items.len() - coverages.len(),
        empty_masks: coverages.len() - non_empty.len(),
        coverage,
    }
}

/// Mask files in `ground_truth/<type>/` that no test image of that type refers to.
fn orphan_masks(root: &Path, test: &[Sample]) -> Result<Vec<PathBuf>, DataError> {
    let gt = root.join("ground_truth");
    if !gt.is_dir() {
        return Ok(Vec::new());
    }
    let mut orphans = Vec::new();
    for dir in subdirs(&gt)? {
        for (_, mask) in masks_in(&dir)? {
            if !test.iter().any(|s| s.mask.as_ref() == Some(&mask)) {
                orphans.push(mask);
            }
        }
    }
    Ok(orphans)
}

fn colour_name(colour: ColorType) -> String {
    let base = match colour {
        ColorType::L8 | ColorType::L16 => "grey",
        ColorType::La8 | ColorType::La16 => "grey+alpha",
        ColorType::Rgb8 | ColorType::Rgb16 | ColorType::Rgb32F => "RGB",
        ColorType::Rgba8 | ColorType::Rgba16 | ColorType::Rgba32F => "RGBA",
        _ => "other",
    };
    match colour.bytes_per_pixel() / colour.channel_count().max(1) {
        1 => base.to_string(),
        n => format!("{base} {}-bit", 8 * u32::from(n)),
    }
}

fn notes(ins: &Inspection) -> Vec<String> {
    let mut notes = Vec::new();
    if ins.layout == Layout::Folder {
        notes.push(
            "plain folder: training images only; evaluation needs the MVTec AD layout \
             (test/<type>/, ground_truth/<type>/)"
                .to_string(),
        );
    } else if ins.test_good == 0 && ins.defects.is_empty() {
        notes.push("no test images: nothing to evaluate on".to_string());
    } else if ins.defects.is_empty() {
        notes.push("no defect images in test/: image AUROC cannot be computed".to_string());
    } else if ins.test_good == 0 {
        notes.push("no test/good images: image AUROC cannot be computed".to_string());
    }
    if ins.train_good < FEW_TRAIN_IMAGES {
        notes.push(format!(
            "only {} training images (100-300 good images are recommended)",
            ins.train_good
        ));
    }
    for d in &ins.defects {
        if d.missing_masks > 0 {
            notes.push(format!(
                "{}: {} of {} images have no mask (image-level label only; no pixel metrics)",
                d.name, d.missing_masks, d.images
            ));
        }
        if d.empty_masks > 0 {
            notes.push(format!(
                "{}: {} masks are empty (defective image with no marked pixel)",
                d.name, d.empty_masks
            ));
        }
    }
    if let Some(first) = ins.good_with_defect_mask.first() {
        notes.push(format!(
            "{} good test images have a mask marking defect pixels, e.g. {}",
            ins.good_with_defect_mask.len(),
            first.display()
        ));
    }
    if let Some(first) = ins.orphan_masks.first() {
        notes.push(format!(
            "{} mask files belong to no test image, e.g. {}",
            ins.orphan_masks.len(),
            first.display()
        ));
    }
    notes
}

impl Inspection {
    /// Total number of images (training and test).
    pub fn images(&self) -> usize {
        self.sizes.iter().map(|s| s.count).sum()
    }

    /// Total number of defect test images.
    pub fn defect_images(&self) -> usize {
        self.defects.iter().map(|d| d.images).sum()
    }
}

impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "dataset       {} ({})", self.name, self.layout)?;
        writeln!(f, "root          {}", self.root.display())?;
        writeln!(f, "train/good    {}", self.train_good)?;
        if self.layout == Layout::MvtecAd {
            writeln!(f, "test/good     {}", self.test_good)?;
            let list: Vec<String> = self
                .defects
                .iter()
                .map(|d| format!("{} {}", d.name, d.images))
                .collect();
            writeln!(
                f,
                "test defects  {} in {} type{}: {}",
                self.defect_images(),
                self.defects.len(),
                if self.defects.len() == 1 { "" } else { "s" },
                list.join(", ")
            )?;
        }
        writeln!(f, "image sizes   {}", self.sizes_line())?;
        let colours: Vec<String> = self
            .colours
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        writeln!(f, "colour        {}", colours.join(", "))?;
        if self.layout == Layout::MvtecAd {
            let present: usize = self.defects.iter().map(|d| d.masks).sum();
            let missing: usize = self.defects.iter().map(|d| d.missing_masks).sum();
            let empty: usize = self.defects.iter().map(|d| d.empty_masks).sum();
            writeln!(
                f,
                "masks         {present} present, {missing} missing, {empty} empty"
            )?;
            let width = self.defects.iter().map(|d| d.name.len()).max().unwrap_or(0);
            for d in &self.defects {
                match d.coverage {
                    Some(c) => writeln!(
                        f,
                        "  {:width$}  coverage mean {}%, min {}%, max {}%",
                        d.name,
                        pct(c.mean_pct),
                        pct(c.min_pct),
                        pct(c.max_pct)
                    )?,
                    None => writeln!(f, "  {:width$}  no non-empty masks", d.name)?,
                }
            }
        }
        if !self.notes.is_empty() {
            writeln!(f, "notes")?;
            for n in &self.notes {
                writeln!(f, "  - {n}")?;
            }
        }
        Ok(())
    }
}

impl Inspection {
    fn sizes_line(&self) -> String {
        let fmt_size = |s: &SizeCount| format!("{}x{} ({})", s.width, s.height, s.count);
        if self.sizes.len() <= MAX_LISTED_SIZES {
            return self
                .sizes
                .iter()
                .map(fmt_size)
                .collect::<Vec<_>>()
                .join(", ");
        }
        let range = |(lo, hi): (u32, u32)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}..{hi}")
            }
        };
        let widths = range(min_max(self.sizes.iter().map(|s| s.width)));
        let heights = range(min_max(self.sizes.iter().map(|s| s.height)));
        let common: Vec<String> = self.sizes.iter().take(3).map(fmt_size).collect();
        format!(
            "{} distinct sizes, width {widths}, height {heights}; most common {}",
            self.sizes.len(),
            common.join(", ")
        )
    }
}

/// A percentage with two decimals, or enough significant digits for tiny values.
fn pct(value: f64) -> String {
    if value > 0.0 && value < 0.01 {
        format!("{value:.1e}")
    } else {
        format!("{value:.2}")
    }
}

fn min_max(values: impl Iterator<Item = u32>) -> (u32, u32) {
    values.fold((u32::MAX, 0), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_names_say_channels_and_depth() {
        assert_eq!(colour_name(ColorType::L8), "grey");
        assert_eq!(colour_name(ColorType::L16), "grey 16-bit");
        assert_eq!(colour_name(ColorType::Rgb8), "RGB");
        assert_eq!(colour_name(ColorType::Rgba16), "RGBA 16-bit");
        assert_eq!(colour_name(ColorType::Rgb32F), "RGB 32-bit");
    }

    #[test]
    fn tiny_percentages_keep_significant_digits() {
        assert_eq!(pct(0.0), "0.00");
        assert_eq!(pct(12.345), "12.35");
        assert_eq!(pct(0.0042), "4.2e-3");
    }
}
