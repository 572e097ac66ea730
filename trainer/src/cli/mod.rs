//! `trainer` subcommands: each file holds one subcommand's clap arguments and its `run`.

pub mod bench_teacher;
pub mod demo;
pub mod eval;
pub mod features;
pub mod fit;
pub mod info;
pub mod inspect_data;
pub mod keygen;
pub mod retrain;
pub mod sign;
pub mod synth;

/// This process's command line as one string, for a bundle's lineage
/// (`Provenance::created_by`): arguments joined by spaces, those with spaces or quotes
/// single-quoted.
#[must_use]
pub fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
