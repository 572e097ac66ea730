//! The board-profile parser (TOML → checked profile, errors with file:line) on any text.
#![no_main]

#[path = "alloc_limit.rs"]
mod alloc_limit;

#[global_allocator]
static ALLOC: alloc_limit::Limited = alloc_limit::Limited;

use std::path::Path;

use edge::board::BoardProfile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = BoardProfile::from_toml_str(text, Path::new("fuzz.toml")) {
        // Formatting the error walks the source map (line lookup): part of the parser.
        let _ = e.to_string();
    }
});
