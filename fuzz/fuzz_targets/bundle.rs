//! The bundle reader: `Bundle::from_bytes` on raw bytes, then on the same bytes framed
//! with a valid header and CRC of each format version read (so the fuzzer reaches both
//! manifest decoders and the payload table, not only the checksum), then the edge's
//! manifest checks on whatever decodes.
#![no_main]

#[path = "alloc_limit.rs"]
mod alloc_limit;

#[global_allocator]
static ALLOC: alloc_limit::Limited = alloc_limit::Limited;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use shared::bundle::{Bundle, FORMAT_VERSION, HEADER_LEN, MAGIC, OLDEST_READ_VERSION};

const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// `body` behind a header of format `version` that passes the magic, version, length
/// and CRC checks.
fn framed(body: &[u8], version: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&CRC32.checksum(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fuzz_target!(|data: &[u8]| {
    let _ = Bundle::from_bytes(data);
    for version in OLDEST_READ_VERSION..=FORMAT_VERSION {
        if let Ok(bundle) = Bundle::from_bytes(&framed(data, version)) {
            let _ = edge::bundle_check::check_manifest(Path::new("fuzz.bundle"), &bundle.manifest);
        }
    }
});
