//! Bundle signing on the host: ed25519 key pairs (`trainer keygen`) and detached
//! signatures (`trainer sign` writes `<bundle>.sig`). The `.sig` format, the signed
//! message and the verification live in [`edge::signature`], the one definition both
//! sides use.
//!
//! Files: the secret key `KEY` is `lsib-secret-key 1` and the 32-byte seed in hex,
//! created with mode 0600 and never overwritten; `KEY.pub` is the public key in hex (what
//! a board profile's `bundle_public_key` names).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer, SigningKey};
use edge::signature::{
    sha256, signature_path, signed_message, verify_bundle_bytes, Fault, PublicKey, SignatureFile,
};
use shared::bundle::{Bundle, BundleError};

/// First line of a secret key file.
pub const SECRET_HEADER: &str = "lsib-secret-key 1";

/// Why a key or signature could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The OS random source failed.
    #[error("reading OS randomness for a new key: {0}")]
    Random(String),
    /// A file could not be written (or already exists, for keys).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The secret key file is malformed.
    #[error("secret key file {}: {problem} (expected `{SECRET_HEADER}` and 64 hex digits, as `trainer keygen` writes)", path.display())]
    SecretKey {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The file to sign is not a valid bundle.
    #[error("refusing to sign {}: not a valid bundle", path.display())]
    NotABundle {
        /// The file.
        path: PathBuf,
        /// The format error.
        #[source]
        source: BundleError,
    },
}

/// Creates a key pair: the secret at `out` (mode 0600, refused if it exists) and the
/// public key at `out.pub`. Returns the public key.
///
/// # Errors
/// [`SigningError::Random`], [`SigningError::Write`] (also when a file exists).
pub fn generate_key(out: &Path) -> Result<PublicKey, SigningError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| SigningError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    let public = PublicKey::from_bytes(&key.verifying_key().to_bytes())
        .expect("a freshly derived ed25519 public key is a valid point");
    write_new(
        out,
        &format!("{SECRET_HEADER}\n{}\n", hex::encode(seed)),
        true,
    )?;
    write_new(
        &public_key_path(out),
        &format!("{}\n", public.to_hex()),
        false,
    )?;
    Ok(public)
}

/// `KEY.pub` beside the secret `KEY`.
#[must_use]
pub fn public_key_path(secret: &Path) -> PathBuf {
    shared::bundle::with_suffix(secret, ".pub")
}

fn write_new(path: &Path, text: &str, secret: bool) -> Result<(), SigningError> {
    let error = |source| SigningError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(error)?;
    file.write_all(text.as_bytes()).map_err(error)?;
    file.sync_all().map_err(error)
}

/// Reads a secret key file written by [`generate_key`].
///
/// # Errors
/// [`SigningError::Read`] or [`SigningError::SecretKey`], naming the file.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, SigningError> {
    let text = std::fs::read_to_string(path).map_err(|source| SigningError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |problem: &str| SigningError::SecretKey {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some(SECRET_HEADER) {
        return Err(bad("first line is not the header"));
    }
    let hex_seed = lines.next().ok_or_else(|| bad("the key line is missing"))?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(hex_seed, &mut seed).map_err(|e| bad(&format!("key line: {e}")))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Signs the bundle at `bundle` (checked to decode first): writes `<bundle>.sig` and
/// returns its path. The bundle file itself is not modified.
///
/// # Errors
/// Unreadable or invalid bundle, unwritable `.sig`.
pub fn sign_bundle(bundle: &Path, key: &SigningKey) -> Result<PathBuf, SigningError> {
    let bytes = std::fs::read(bundle).map_err(|source| SigningError::Read {
        path: bundle.to_path_buf(),
        source,
    })?;
    Bundle::from_bytes(&bytes).map_err(|source| SigningError::NotABundle {
        path: bundle.to_path_buf(),
        source,
    })?;
    let digest = sha256(&bytes);
    let sig = SignatureFile {
        public_key: key.verifying_key().to_bytes(),
        bundle_sha256: digest,
        signature: key.sign(&signed_message(&digest)).to_bytes(),
    };
    let path = signature_path(bundle);
    // Written beside the bundle under a temporary name, then renamed: never half a file.
    let tmp = shared::bundle::with_suffix(&path, ".tmp");
    std::fs::write(&tmp, sig.to_text()).map_err(|source| SigningError::Write {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, &path).map_err(|source| SigningError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// What `trainer info` says about a bundle's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// No `<bundle>.sig`.
    Unsigned,
    /// The `.sig` verifies under the key it names (whether that key is trusted is the
    /// device's decision).
    Valid {
        /// The signer's public key, hex.
        key: String,
    },
    /// The `.sig` is malformed, or does not match the bytes, or does not verify.
    Invalid {
        /// Why.
        problem: String,
    },
}

/// Checks `<bundle>.sig` against `bytes` (the bundle file's content) under the key the
/// `.sig` itself names.
#[must_use]
pub fn signature_status(bundle: &Path, bytes: &[u8]) -> SignatureStatus {
    let Ok(text) = std::fs::read_to_string(signature_path(bundle)) else {
        return SignatureStatus::Unsigned;
    };
    let sig = match SignatureFile::parse(&text) {
        Ok(sig) => sig,
        Err(problem) => return SignatureStatus::Invalid { problem },
    };
    let key = match PublicKey::from_bytes(&sig.public_key) {
        Ok(key) => key,
        Err(e) => {
            return SignatureStatus::Invalid {
                problem: e.to_string(),
            }
        }
    };
    match verify_bundle_bytes(bytes, &text, &key) {
        Ok(()) => SignatureStatus::Valid { key: key.to_hex() },
        Err(Fault::Tampered(computed, signed)) => SignatureStatus::Invalid {
            problem: format!("bundle modified after signing (SHA-256 {computed}, signed {signed})"),
        },
        Err(fault) => SignatureStatus::Invalid {
            problem: format!("{fault:?}"),
        },
    }
}
