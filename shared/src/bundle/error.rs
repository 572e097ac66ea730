//! [`BundleError`]: one variant per check, each naming the check and its numbers.

#[cfg(feature = "std")]
use alloc::boxed::Box;
use alloc::string::String;
#[cfg(feature = "std")]
use std::path::PathBuf;

use super::{HEADER_LEN, MAGIC};

/// Why a bundle could not be read or written.
///
/// Format errors from [`super::Bundle::read_from`] / [`super::Bundle::write_to`] are
/// wrapped in `File { path, .. }` so the message names the file; [`BundleError::root`]
/// unwraps to the check that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Input shorter than the fixed header.
    #[error("too short for a bundle header: {len} bytes, need at least {HEADER_LEN}")]
    TooShort {
        /// Input length in bytes.
        len: usize,
    },
    /// First 8 bytes are not [`MAGIC`]: not a bundle file.
    #[error("bad magic: found {found:02x?}, expected {MAGIC:02x?} (not a bundle file)")]
    BadMagic {
        /// The 8 bytes found.
        found: [u8; 8],
    },
    /// Format version outside [`super::OLDEST_READ_VERSION`]..=[`super::FORMAT_VERSION`]
    /// (usually: written by a newer trainer).
    #[error("unsupported bundle format version {found}: this build reads versions {oldest} to {newest}; update the reader or re-export the bundle")]
    UnsupportedVersion {
        /// Version in the header.
        found: u16,
        /// Oldest version this build reads ([`super::OLDEST_READ_VERSION`]).
        oldest: u16,
        /// Newest version this build reads and the one it writes ([`super::FORMAT_VERSION`]).
        newest: u16,
    },
    /// Fewer payload bytes than the header declares (file cut short).
    #[error("truncated: header declares {declared} payload bytes, only {actual} present")]
    Truncated {
        /// Payload length from the header.
        declared: u64,
        /// Payload bytes actually present.
        actual: u64,
    },
    /// More bytes than the header declares (file appended to or concatenated).
    #[error("trailing bytes: header declares {declared} payload bytes, {actual} present")]
    TrailingBytes {
        /// Payload length from the header.
        declared: u64,
        /// Payload bytes actually present.
        actual: u64,
    },
    /// CRC-32 of the payload differs from the header's (corruption).
    #[error("checksum mismatch: header says CRC-32 {expected:#010x}, payload computes to {computed:#010x} (file corrupted)")]
    ChecksumMismatch {
        /// CRC from the header.
        expected: u32,
        /// CRC computed over the payload.
        computed: u32,
    },
    /// The manifest length field points past the end of the payload (also returned with
    /// `declared = 8` when the payload cannot even hold the 8-byte length field).
    #[error("manifest length {declared} exceeds the {remaining} payload bytes left")]
    ManifestLength {
        /// Manifest length from the payload.
        declared: u64,
        /// Bytes left after the length field.
        remaining: u64,
    },
    /// The manifest bytes are not a valid postcard [`super::Manifest`] (including lists
    /// longer than their documented bounds).
    #[error("manifest decode failed")]
    ManifestDecode(#[source] postcard::Error),
    /// The manifest decoded without consuming all its declared bytes.
    #[error("manifest decode left {unused} of its declared bytes unused")]
    ManifestTrailingBytes {
        /// Bytes left over inside the manifest region.
        unused: u64,
    },
    /// A manifest list is longer than its bound (checked before writing).
    #[error("manifest list `{field}` has {len} entries, at most {max} allowed")]
    ManifestListTooLong {
        /// Field name, e.g. `provenance.metrics`.
        field: &'static str,
        /// Entries present.
        len: usize,
        /// Bound.
        max: usize,
    },
    /// The payload table is malformed.
    #[error("malformed payload table at entry {entry}: {reason}")]
    MalformedPayloadTable {
        /// Index of the entry being read (or the count, for faults after the last one).
        entry: u64,
        /// What is wrong.
        reason: TableFault,
    },
    /// Two payloads share a name.
    #[error("duplicate payload name {name:?}")]
    DuplicatePayload {
        /// The repeated name.
        name: String,
    },
    /// An I/O operation failed on `path`.
    #[cfg(feature = "std")]
    #[error("could not {action} {}", path.display())]
    Io {
        /// What was attempted, e.g. `"read"`, `"fsync"`.
        action: &'static str,
        /// File or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A format or validity error, tagged with the bundle file it concerns.
    #[cfg(feature = "std")]
    #[error("bundle file {}", path.display())]
    File {
        /// The bundle file read or written.
        path: PathBuf,
        /// The check that failed.
        #[source]
        source: Box<BundleError>,
    },
}

impl BundleError {
    /// The innermost error, unwrapping `File { .. }` tags, to match on the failed check.
    #[must_use]
    pub fn root(&self) -> &BundleError {
        #[cfg(feature = "std")]
        if let BundleError::File { source, .. } = self {
            return source.root();
        }
        self
    }
}

/// What is wrong with a payload-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableFault {
    /// A fixed-size field (count or length) runs past the end of the payload.
    #[error("{field} needs {needed} bytes, {remaining} left")]
    FieldPastEnd {
        /// `"payload count"`, `"name length"` or `"data length"`.
        field: &'static str,
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left.
        remaining: u64,
    },
    /// More entries than [`super::MAX_PAYLOADS`], or than the remaining bytes could hold.
    #[error("{count} entries declared, at most {max} possible")]
    TooManyEntries {
        /// Entries declared.
        count: u64,
        /// Upper bound (format limit or what the remaining bytes can hold).
        max: u64,
    },
    /// Name length past the end of the payload.
    #[error("name length {declared} exceeds the {remaining} bytes left")]
    NamePastEnd {
        /// Declared name length.
        declared: u64,
        /// Bytes left.
        remaining: u64,
    },
    /// Empty name.
    #[error("empty name")]
    EmptyName,
    /// Name is not UTF-8.
    #[error("name is not valid UTF-8")]
    NameNotUtf8,
    /// Data length past the end of the payload.
    #[error("data length {declared} exceeds the {remaining} bytes left")]
    DataPastEnd {
        /// Declared data length.
        declared: u64,
        /// Bytes left.
        remaining: u64,
    },
    /// Bytes left after the last declared entry.
    #[error("{extra} bytes after the last entry")]
    BytesAfterLastEntry {
        /// Leftover bytes.
        extra: u64,
    },
}
