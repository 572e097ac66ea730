//! [`write_report`]: a [`Report`] → `OUT/report.json`, `OUT/report.md` and
//! `OUT/overlays/*.png`.
//!
//! Always holds: `OUT` (and `OUT/overlays`) are created when missing, never emptied; each
//! file is written to a temporary sibling and renamed over its name, so a reader never sees
//! a half-written file; only the files named here are replaced, nothing is deleted except
//! this function's own temporary file after a failed write. Every error names its path.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::colormap::HeatScale;
use super::overlay::render_overlay;
use super::{markdown, EvalRun, Report, ReportError};

/// Machine-readable report, inside `OUT`.
pub const JSON_FILE: &str = "report.json";
/// Human report, inside `OUT`.
pub const MARKDOWN_FILE: &str = "report.md";
/// Folder of the overlay PNGs, inside `OUT`.
pub const OVERLAY_DIR: &str = "overlays";

/// The files [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `OUT/report.json`.
    pub json: PathBuf,
    /// `OUT/report.md`.
    pub markdown: PathBuf,
    /// One PNG per worst case, false accepts first, in report order.
    pub overlays: Vec<PathBuf>,
}

/// Writes `report` (computed from `run` by [`super::evaluate`]) into `out`: the JSON, the
/// Markdown and an overlay for every [`Report::worst_false_accepts`] and
/// [`Report::worst_false_rejects`] entry, reading each such test image from its path.
///
/// Overlay colours use [`HeatScale::from_pixel_threshold`] of the run's pixel threshold.
///
/// # Errors
/// [`ReportError::CreateDir`] / [`ReportError::Write`] naming the folder or file;
/// [`ReportError::Image`] naming a test image that cannot be decoded;
/// [`ReportError::Encode`] / [`ReportError::Json`] naming the output file.
pub fn write_report(run: &EvalRun, report: &Report, out: &Path) -> Result<Written, ReportError> {
    create_dir(out)?;
    let scale = HeatScale::from_pixel_threshold(
        run.pixel_threshold,
        run.images.iter().map(|r| r.heatmap.as_slice()),
    );
    let cases = report
        .worst_false_accepts
        .iter()
        .chain(&report.worst_false_rejects);
    let mut overlays = Vec::new();
    for case in cases {
        let record = run.images.get(case.index).filter(|r| r.path == case.path);
        let Some(record) = record else {
            // A report from another run: its worst cases do not index this one.
            return Err(ReportError::Image {
                path: case.path.clone(),
                message: format!(
                    "record {} of the run is not this image; write the report of this run",
                    case.index
                ),
            });
        };
        let path = out.join(&case.overlay);
        if let Some(dir) = path.parent() {
            create_dir(dir)?;
        }
        let image = crate::data::load_rgb(&record.path).map_err(|e| ReportError::Image {
            path: record.path.clone(),
            message: e.to_string(),
        })?;
        let overlay = render_overlay(&image, record, scale);
        let mut png = Vec::new();
        overlay
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|source| ReportError::Encode {
                path: path.clone(),
                source,
            })?;
        write_atomic(&path, &png)?;
        overlays.push(path);
    }

    let json = out.join(JSON_FILE);
    let mut bytes = serde_json::to_vec_pretty(report).map_err(|source| ReportError::Json {
        path: json.clone(),
        source,
    })?;
    bytes.push(b'\n');
    write_atomic(&json, &bytes)?;
    let md = out.join(MARKDOWN_FILE);
    write_atomic(&md, markdown::render(report).as_bytes())?;
    Ok(Written {
        json,
        markdown: md,
        overlays,
    })
}

pub(super) fn create_dir(dir: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `.<name>.tmp-<pid>` beside `path`, syncs, then renames it to `path`.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let error = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::create(&tmp).map_err(error)?;
    // From here on the temporary file is ours: remove it if anything fails.
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            fs::rename(&tmp, path)
        });
    result.map_err(|source| {
        let _ = fs::remove_file(&tmp);
        error(source)
    })
}
