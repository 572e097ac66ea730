//! The verdict-log reader (JSON lines, crash tail dropped, corrupt lines named) on any
//! bytes.
#![no_main]

#[path = "alloc_limit.rs"]
mod alloc_limit;

#[global_allocator]
static ALLOC: alloc_limit::Limited = alloc_limit::Limited;

use edge::record::parse_verdict_log;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_verdict_log(data, "fuzz.jsonl");
});
