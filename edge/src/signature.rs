//! Bundle signatures: a detached ed25519 signature beside the bundle, `<bundle>.sig`, and
//! the check the device runs before it uses a bundle when its board profile names a
//! public key (`bundle_public_key`).
//!
//! The `.sig` file is four lines of text:
//!
//! ```text
//! lsib-signature 1
//! public_key <64 hex digits: the signer's ed25519 public key>
//! bundle_sha256 <64 hex digits: SHA-256 of the bundle file's bytes>
//! signature <128 hex digits: ed25519 over SIGNED_CONTEXT ‖ the 32 digest bytes>
//! ```
//!
//! Detached, so the bundle's bytes, its SHA-256 (which lineage records as a child's
//! parent) and every tool that reads bundles stay as they are; the trainer writes it
//! (`trainer sign`), the device only verifies.
//!
//! What always holds: [`verify_bundle_file`] reads the bundle once and returns exactly the
//! bytes it verified, so the caller decodes what was checked (no second read that a
//! swapped file could slip through); it accepts only when the `.sig` names the trusted
//! key, the digest matches the bytes and the signature verifies under the trusted key.
//! Every refusal names the bundle (and the `.sig` file where it is at fault).

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// First line of a `.sig` file (format and its version).
pub const SIGNATURE_HEADER: &str = "lsib-signature 1";
/// Domain separation: what is signed is this context followed by the bundle's SHA-256,
/// so a signature over a bundle can never be replayed as one over anything else.
pub const SIGNED_CONTEXT: &[u8] = b"lsib bundle signature v1\0";

/// A trusted ed25519 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// Why a key could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not 64 hex digits of a valid ed25519 point.
    #[error("not an ed25519 public key ({problem}): expected 64 hex digits as `trainer keygen` writes to KEY.pub")]
    Malformed {
        /// What is wrong.
        problem: String,
    },
    /// The key file could not be read.
    #[error("public key file {}: cannot read", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The key file holds no valid key.
    #[error("public key file {}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with its text.
        #[source]
        source: Box<KeyError>,
    },
}

impl PublicKey {
    /// The key from its 32 bytes.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] for bytes that are not a valid curve point.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|e| KeyError::Malformed {
                problem: e.to_string(),
            })
    }

    /// The key from 64 hex digits (surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`KeyError::Malformed`] naming the problem.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        Self::from_bytes(
            &hex_array::<32>(text.trim()).map_err(|problem| KeyError::Malformed { problem })?,
        )
    }

    /// Reads a key file (`KEY.pub`: 64 hex digits and a newline).
    ///
    /// # Errors
    /// [`KeyError::Read`] or [`KeyError::File`], naming the file.
    pub fn read_from(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_hex(&text).map_err(|e| KeyError::File {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    /// The 32 key bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Lowercase hex of the key (as in `KEY.pub` and `.sig` files).
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }
}

/// A parsed `.sig` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureFile {
    /// The signer's public key.
    pub public_key: [u8; 32],
    /// SHA-256 of the signed bundle file.
    pub bundle_sha256: [u8; 32],
    /// ed25519 signature over [`signed_message`]`(bundle_sha256)`.
    pub signature: [u8; 64],
}

impl SignatureFile {
    /// The file's text (see the [module docs](self)).
    #[must_use]
    pub fn to_text(&self) -> String {
        format!(
            "{SIGNATURE_HEADER}\npublic_key {}\nbundle_sha256 {}\nsignature {}\n",
            hex::encode(self.public_key),
            hex::encode(self.bundle_sha256),
            hex::encode(self.signature)
        )
    }

    /// Parses the text of a `.sig` file.
    ///
    /// # Errors
    /// A message naming the line at fault.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        match lines.next() {
            Some(SIGNATURE_HEADER) => {}
            other => {
                return Err(format!(
                    "first line is {:?}, expected {SIGNATURE_HEADER:?}",
                    other.unwrap_or("")
                ))
            }
        }
        let mut field = |name: &str| -> Result<String, String> {
            let line = lines
                .next()
                .ok_or_else(|| format!("line `{name}` is missing"))?;
            match line.split_once(' ') {
                Some((key, value)) if key == name => Ok(value.trim().to_string()),
                _ => Err(format!("expected line `{name} <hex>`, found {line:?}")),
            }
        };
        let public_key =
            hex_array::<32>(&field("public_key")?).map_err(|e| format!("public_key: {e}"))?;
        let bundle_sha256 =
            hex_array::<32>(&field("bundle_sha256")?).map_err(|e| format!("bundle_sha256: {e}"))?;
        let signature =
            hex_array::<64>(&field("signature")?).map_err(|e| format!("signature: {e}"))?;
        if let Some(extra) = lines.next() {
            return Err(format!("unexpected line after `signature`: {extra:?}"));
        }
        Ok(SignatureFile {
            public_key,
            bundle_sha256,
            signature,
        })
    }
}

/// Why a bundle was refused by the signature check.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The bundle file could not be read.
    #[error("bundle {}: cannot read", bundle.display())]
    ReadBundle {
        /// The bundle.
        bundle: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// No `.sig` file beside the bundle although the board profile names a key.
    #[error(
        "bundle {} is unsigned: {} does not exist, and the board profile's \
         `bundle_public_key` requires a signature (sign it with `trainer sign --key KEY {}`)",
        bundle.display(), signature.display(), bundle.display()
    )]
    Unsigned {
        /// The bundle.
        bundle: PathBuf,
        /// The expected signature file.
        signature: PathBuf,
    },
    /// The `.sig` file exists but cannot be read or parsed.
    #[error("bundle {}: signature file {} is unreadable or malformed: {problem}", bundle.display(), signature.display())]
    Malformed {
        /// The bundle.
        bundle: PathBuf,
        /// The signature file.
        signature: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Signed, but by a key the profile does not trust.
    #[error(
        "bundle {}: signed by key {found}, but the board profile trusts key {trusted} \
         (signature {})",
        bundle.display(), signature.display()
    )]
    WrongKey {
        /// The bundle.
        bundle: PathBuf,
        /// The signature file.
        signature: PathBuf,
        /// The signer's key (hex).
        found: String,
        /// The trusted key (hex).
        trusted: String,
    },
    /// The bundle's bytes are not the ones that were signed.
    #[error(
        "bundle {} was modified after signing: its SHA-256 is {computed}, the signature \
         {} covers {signed}",
        bundle.display(), signature.display()
    )]
    Tampered {
        /// The bundle.
        bundle: PathBuf,
        /// The signature file.
        signature: PathBuf,
        /// SHA-256 of the bytes on disk (hex).
        computed: String,
        /// SHA-256 the signature covers (hex).
        signed: String,
    },
    /// The signature itself does not verify (the `.sig` file was edited or forged).
    #[error("bundle {}: the signature in {} does not verify under the trusted key", bundle.display(), signature.display())]
    BadSignature {
        /// The bundle.
        bundle: PathBuf,
        /// The signature file.
        signature: PathBuf,
    },
}

/// Where the detached signature of `bundle` lives: `<bundle>.sig`.
#[must_use]
pub fn signature_path(bundle: &Path) -> PathBuf {
    shared::bundle::with_suffix(bundle, ".sig")
}

/// What the signer signs for a bundle with this SHA-256: [`SIGNED_CONTEXT`] ‖ digest.
#[must_use]
pub fn signed_message(bundle_sha256: &[u8; 32]) -> Vec<u8> {
    [SIGNED_CONTEXT, bundle_sha256.as_slice()].concat()
}

/// SHA-256 of `bytes`.
#[must_use]
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Reads the bundle at `path` and its `<path>.sig`, and checks the signature against
/// `key`. Returns the bundle bytes that were verified (decode these, do not re-read the
/// file).
///
/// # Errors
/// [`SignatureError`]: unreadable bundle, no `.sig` file ([`SignatureError::Unsigned`]),
/// malformed `.sig`, other signer ([`SignatureError::WrongKey`]), changed bytes
/// ([`SignatureError::Tampered`]) or an invalid signature.
pub fn verify_bundle_file(path: &Path, key: &PublicKey) -> Result<Vec<u8>, SignatureError> {
    let bytes = std::fs::read(path).map_err(|source| SignatureError::ReadBundle {
        bundle: path.to_path_buf(),
        source,
    })?;
    verify_signature_of(path, &bytes, key)?;
    Ok(bytes)
}

/// Checks `<path>.sig` against `bytes`, the bundle already read from `path` (hot
/// deployment reads a replacement once to hash, check and decode it).
///
/// # Errors
/// As [`verify_bundle_file`], except reading the bundle.
pub fn verify_signature_of(
    path: &Path,
    bytes: &[u8],
    key: &PublicKey,
) -> Result<(), SignatureError> {
    let sig_path = signature_path(path);
    let text = match std::fs::read_to_string(&sig_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SignatureError::Unsigned {
                bundle: path.to_path_buf(),
                signature: sig_path,
            })
        }
        Err(e) => {
            return Err(SignatureError::Malformed {
                bundle: path.to_path_buf(),
                signature: sig_path,
                problem: e.to_string(),
            })
        }
    };
    verify_bundle_bytes(bytes, &text, key).map_err(|fault| fault.at(path, &sig_path, key))
}

/// A verification failure before the file names are attached.
#[derive(Debug)]
pub enum Fault {
    /// The `.sig` text does not parse.
    Malformed(String),
    /// Signed by another key (hex).
    WrongKey(String),
    /// Digest mismatch: (computed, signed), hex.
    Tampered(String, String),
    /// The signature does not verify.
    BadSignature,
}

impl Fault {
    fn at(self, bundle: &Path, signature: &Path, trusted: &PublicKey) -> SignatureError {
        let (bundle, signature) = (bundle.to_path_buf(), signature.to_path_buf());
        match self {
            Fault::Malformed(problem) => SignatureError::Malformed {
                bundle,
                signature,
                problem,
            },
            Fault::WrongKey(found) => SignatureError::WrongKey {
                bundle,
                signature,
                found,
                trusted: trusted.to_hex(),
            },
            Fault::Tampered(computed, signed) => SignatureError::Tampered {
                bundle,
                signature,
                computed,
                signed,
            },
            Fault::BadSignature => SignatureError::BadSignature { bundle, signature },
        }
    }
}

/// Checks `signature_text` (a `.sig` file) over the bundle `bytes` against `key`.
///
/// # Errors
/// The first failed check as a [`Fault`].
pub fn verify_bundle_bytes(
    bytes: &[u8],
    signature_text: &str,
    key: &PublicKey,
) -> Result<(), Fault> {
    let sig = SignatureFile::parse(signature_text).map_err(Fault::Malformed)?;
    if sig.public_key != key.to_bytes() {
        return Err(Fault::WrongKey(hex::encode(sig.public_key)));
    }
    let computed = sha256(bytes);
    if computed != sig.bundle_sha256 {
        return Err(Fault::Tampered(
            hex::encode(computed),
            hex::encode(sig.bundle_sha256),
        ));
    }
    key.0
        .verify(
            &signed_message(&sig.bundle_sha256),
            &Signature::from_bytes(&sig.signature),
        )
        .map_err(|_| Fault::BadSignature)
}

/// `N` bytes from exactly `2N` hex digits.
fn hex_array<const N: usize>(text: &str) -> Result<[u8; N], String> {
    if text.len() != 2 * N {
        return Err(format!("{} hex digits, expected {}", text.len(), 2 * N));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}
