//! Progress bars of the long steps (hidden when not asked for).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps labelled `unit`, or a hidden one.
pub(crate) fn bar(show: bool, len: u64, unit: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}, {{per_sec}}, eta {{eta}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}
