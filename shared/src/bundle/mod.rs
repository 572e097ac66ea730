//! The bundle: the only file the trainer hands to the device. Owns the byte layout,
//! its encoder ([`Bundle::to_bytes`]) and its checking decoder ([`Bundle::from_bytes`]);
//! with `std`, atomic file writes and reads that name the file in every error.
//!
//! # Byte layout (format version 3; all integers little-endian)
//!
//! ```text
//! offset  size  field
//! 0       8     magic            b"LSIBNDL\0"  ("line-side inspection bundle")
//! 8       2     format version   u16 = 3 (2 added lineage to `Provenance`, 3 the image
//!                                score's own smoothing σ; version 2 is still read)
//! 10      8     payload length   u64 = N, bytes after the header
//! 18      4     payload CRC-32   u32, CRC-32/ISO-HDLC (zlib's crc32) over the N bytes
//! 22      N     payload:
//!                 manifest length  u64 = M
//!                 manifest         M bytes, postcard encoding of `Manifest`
//!                 entry count      u64 = E (≤ MAX_PAYLOADS)
//!                 E × entry:
//!                   name length    u64 = L (≥ 1)
//!                   name           L bytes, UTF-8, unique within the bundle
//!                   data length    u64 = D
//!                   data           D bytes (ONNX graph, memory bank, …)
//! 22+N          end of file: nothing may follow
//! ```
//!
//! # What always holds
//! - [`Bundle::from_bytes`] checks, in this order: header length, magic, version
//!   ([`OLDEST_READ_VERSION`]..=[`FORMAT_VERSION`] are read), payload length against
//!   the actual length (truncated / trailing), CRC, manifest, payload table, duplicate
//!   names; the first failure is returned as its own [`BundleError`] variant. It never
//!   panics on any input.
//! - Decoding never trusts a length before comparing it with the bytes left and bounds
//!   every list, so it allocates at most `input.len() + DECODE_OVERHEAD_MAX_BYTES`.
//! - A bundle that passes [`Bundle::check`] round-trips exactly:
//!   `from_bytes(&b.to_bytes()) == Ok(b)` (up to NaN ≠ NaN in floats).
//! - Every single-bit flip of a bundle file is detected (header fields are each checked,
//!   the payload by CRC-32).
//! - [`Bundle::write_to`] (std) replaces the file atomically or leaves it untouched.

mod error;
#[cfg(feature = "std")]
mod io;
mod manifest;
mod manifest_v2;
pub mod payloads;

use alloc::string::String;
use alloc::vec::Vec;

pub use error::{BundleError, TableFault};
#[cfg(feature = "std")]
pub use io::with_suffix;
pub use manifest::{
    DatasetSeen, InputSpec, Manifest, Metric, ModelKind, Preprocess, Provenance, Roi, MAX_DATASETS,
    MAX_EXTRA, MAX_METRICS,
};
pub use payloads::{BANK, FEATURES_ONNX};

/// First 8 bytes of every bundle file.
pub const MAGIC: [u8; 8] = *b"LSIBNDL\0";
/// Format version this build writes (and the newest it reads).
pub const FORMAT_VERSION: u16 = 3;
/// Oldest format version this build reads: format 2 lacks
/// [`crate::score::ScoreConfig::image_sigma`] and reads with it equal to the heat map's σ.
pub const OLDEST_READ_VERSION: u16 = 2;
/// Bytes before the payload: magic, version, payload length, CRC.
pub const HEADER_LEN: usize = 8 + 2 + 8 + 4;
/// Most payloads in one bundle.
pub const MAX_PAYLOADS: usize = 64;
/// Bound on what [`Bundle::from_bytes`] allocates beyond the input's length: the
/// bounded lists' element storage (growth included). Strings and payload bytes are
/// copied from disjoint input ranges, so together they never exceed the input length.
pub const DECODE_OVERHEAD_MAX_BYTES: usize = MAX_PAYLOADS * core::mem::size_of::<Payload>()
    + 3 * MAX_METRICS * core::mem::size_of::<Metric>()
    + 3 * MAX_EXTRA * core::mem::size_of::<(String, String)>()
    + 3 * MAX_DATASETS * core::mem::size_of::<DatasetSeen>();

const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
/// Smallest encoded table entry: name length, one name byte, data length.
const MIN_ENTRY_LEN: u64 = 8 + 1 + 8;

/// A manifest plus named binary payloads.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// What the payloads are and how to score their output.
    pub manifest: Manifest,
    /// Named payloads in file order; names unique and non-empty, at most [`MAX_PAYLOADS`].
    pub payloads: Vec<Payload>,
}

/// One named binary payload (an ONNX graph, a memory bank, …). `Debug` shows the
/// length, not the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    /// Unique, non-empty UTF-8 name, e.g. `"student.onnx"`.
    pub name: String,
    /// The bytes, opaque to this crate.
    pub bytes: Vec<u8>,
}

impl core::fmt::Debug for Payload {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Payload")
            .field("name", &self.name)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl Bundle {
    /// Bytes of the payload called `name`, if present.
    #[must_use]
    pub fn payload(&self, name: &str) -> Option<&[u8]> {
        self.payloads
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.bytes.as_slice())
    }

    /// Checks what the encoder cannot express but the decoder refuses: payload count,
    /// empty and duplicate names, manifest list bounds. [`Bundle::write_to`] calls it
    /// first.
    ///
    /// # Errors
    /// [`BundleError::MalformedPayloadTable`] (too many payloads, empty name),
    /// [`BundleError::DuplicatePayload`], [`BundleError::ManifestListTooLong`].
    pub fn check(&self) -> Result<(), BundleError> {
        if self.payloads.len() > MAX_PAYLOADS {
            return Err(BundleError::MalformedPayloadTable {
                entry: MAX_PAYLOADS as u64,
                reason: TableFault::TooManyEntries {
                    count: self.payloads.len() as u64,
                    max: MAX_PAYLOADS as u64,
                },
            });
        }
        for (i, p) in self.payloads.iter().enumerate() {
            if p.name.is_empty() {
                return Err(BundleError::MalformedPayloadTable {
                    entry: i as u64,
                    reason: TableFault::EmptyName,
                });
            }
        }
        check_unique(self.payloads.iter().map(|p| p.name.as_str()))?;
        let lists = [
            (
                "provenance.metrics",
                self.manifest.provenance.metrics.len(),
                MAX_METRICS,
            ),
            (
                "provenance.datasets",
                self.manifest.provenance.datasets.len(),
                MAX_DATASETS,
            ),
            ("extra", self.manifest.extra.len(), MAX_EXTRA),
        ];
        for (field, len, max) in lists {
            if len > max {
                return Err(BundleError::ManifestListTooLong { field, len, max });
            }
        }
        Ok(())
    }

    /// Encodes the bundle in the layout of the [module docs](self). Encodes as given:
    /// a bundle failing [`Bundle::check`] yields bytes that [`Bundle::from_bytes`]
    /// refuses, so call `check` (or use [`Bundle::write_to`]) before shipping bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let manifest = postcard::to_allocvec(&self.manifest)
            .expect("postcard encodes a Manifest infallibly: every field has a known length");
        let body_len = 8
            + manifest.len()
            + 8
            + self
                .payloads
                .iter()
                .map(|p| 16 + p.name.len() + p.bytes.len())
                .sum::<usize>();
        let mut out = Vec::with_capacity(HEADER_LEN + body_len);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body_len as u64).to_le_bytes());
        out.extend_from_slice(&[0; 4]); // CRC, filled in below
        put_u64(&mut out, manifest.len());
        out.extend_from_slice(&manifest);
        put_u64(&mut out, self.payloads.len());
        for p in &self.payloads {
            put_u64(&mut out, p.name.len());
            out.extend_from_slice(p.name.as_bytes());
            put_u64(&mut out, p.bytes.len());
            out.extend_from_slice(&p.bytes);
        }
        let crc = CRC32.checksum(&out[HEADER_LEN..]);
        out[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes and checks a bundle (see the [module docs](self) for the order of
    /// checks). Never panics; allocates at most `bytes.len() + DECODE_OVERHEAD_MAX_BYTES`.
    ///
    /// # Errors
    /// The first failed check as its [`BundleError`] variant.
    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle, BundleError> {
        let (version, body) = check_header(bytes)?;
        let mut r = Reader { rest: body };

        let manifest_len = r.u64().map_err(|remaining| BundleError::ManifestLength {
            declared: 8,
            remaining,
        })?;
        let manifest_bytes =
            r.take(manifest_len)
                .map_err(|remaining| BundleError::ManifestLength {
                    declared: manifest_len,
                    remaining,
                })?;
        let (manifest, unused) = if version == 2 {
            postcard::take_from_bytes::<manifest_v2::ManifestV2>(manifest_bytes)
                .map(|(m, unused)| (Manifest::from(m), unused))
        } else {
            postcard::take_from_bytes::<Manifest>(manifest_bytes)
        }
        .map_err(BundleError::ManifestDecode)?;
        if !unused.is_empty() {
            return Err(BundleError::ManifestTrailingBytes {
                unused: unused.len() as u64,
            });
        }

        let payloads = read_table(&mut r)?;
        check_unique(payloads.iter().map(|p| p.name.as_str()))?;
        Ok(Bundle { manifest, payloads })
    }
}

fn put_u64(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&(v as u64).to_le_bytes());
}

/// Checks the fixed header and returns the format version and the CRC-verified payload.
fn check_header(bytes: &[u8]) -> Result<(u16, &[u8]), BundleError> {
    let Some((header, body)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(BundleError::TooShort { len: bytes.len() });
    };
    let magic: [u8; 8] = core::array::from_fn(|i| header[i]);
    if magic != MAGIC {
        return Err(BundleError::BadMagic { found: magic });
    }
    let version = u16::from_le_bytes([header[8], header[9]]);
    if !(OLDEST_READ_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(BundleError::UnsupportedVersion {
            found: version,
            oldest: OLDEST_READ_VERSION,
            newest: FORMAT_VERSION,
        });
    }
    let declared = u64::from_le_bytes(core::array::from_fn(|i| header[10 + i]));
    let expected = u32::from_le_bytes(core::array::from_fn(|i| header[18 + i]));
    let actual = body.len() as u64;
    if declared > actual {
        return Err(BundleError::Truncated { declared, actual });
    }
    if declared < actual {
        return Err(BundleError::TrailingBytes { declared, actual });
    }
    let computed = CRC32.checksum(body);
    if computed != expected {
        return Err(BundleError::ChecksumMismatch { expected, computed });
    }
    Ok((version, body))
}

/// Reads the payload table; every length is compared with the bytes left before use.
fn read_table(r: &mut Reader<'_>) -> Result<Vec<Payload>, BundleError> {
    let fault = |entry: u64, reason| BundleError::MalformedPayloadTable { entry, reason };
    let past_end = |field, remaining| TableFault::FieldPastEnd {
        field,
        needed: 8,
        remaining,
    };
    let count = r
        .u64()
        .map_err(|rem| fault(0, past_end("payload count", rem)))?;
    let max = (MAX_PAYLOADS as u64).min(r.remaining() / MIN_ENTRY_LEN);
    if count > max {
        return Err(fault(0, TableFault::TooManyEntries { count, max }));
    }
    // `count ≤ MAX_PAYLOADS`: a forged count cannot make this allocation large.
    let mut payloads = Vec::with_capacity(count as usize);
    for entry in 0..count {
        let name_len = r
            .u64()
            .map_err(|rem| fault(entry, past_end("name length", rem)))?;
        let name = r.take(name_len).map_err(|remaining| {
            fault(
                entry,
                TableFault::NamePastEnd {
                    declared: name_len,
                    remaining,
                },
            )
        })?;
        if name.is_empty() {
            return Err(fault(entry, TableFault::EmptyName));
        }
        let name = core::str::from_utf8(name).map_err(|_| fault(entry, TableFault::NameNotUtf8))?;
        let data_len = r
            .u64()
            .map_err(|rem| fault(entry, past_end("data length", rem)))?;
        let data = r.take(data_len).map_err(|remaining| {
            fault(
                entry,
                TableFault::DataPastEnd {
                    declared: data_len,
                    remaining,
                },
            )
        })?;
        payloads.push(Payload {
            name: String::from(name),
            bytes: data.to_vec(),
        });
    }
    if r.remaining() > 0 {
        return Err(fault(
            count,
            TableFault::BytesAfterLastEntry {
                extra: r.remaining(),
            },
        ));
    }
    Ok(payloads)
}

/// Refuses the first name seen twice. Quadratic, but `n ≤ MAX_PAYLOADS` and it needs no
/// allocation.
fn check_unique<'a>(names: impl Iterator<Item = &'a str> + Clone) -> Result<(), BundleError> {
    for (i, name) in names.clone().enumerate() {
        if names.clone().take(i).any(|earlier| earlier == name) {
            return Err(BundleError::DuplicatePayload {
                name: String::from(name),
            });
        }
    }
    Ok(())
}

/// Cursor over the payload; failures return the number of bytes that were left.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> u64 {
        self.rest.len() as u64
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], u64> {
        if n > self.remaining() {
            return Err(self.remaining());
        }
        let (head, tail) = self.rest.split_at(n as usize);
        self.rest = tail;
        Ok(head)
    }

    fn u64(&mut self) -> Result<u64, u64> {
        let bytes = self.take(8)?;
        let mut buf = [0u8; 8];
        buf.copy_from_slice(bytes);
        Ok(u64::from_le_bytes(buf))
    }
}
