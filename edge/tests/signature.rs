//! Signed bundles: with a public key in the board profile the device opens only bundles
//! whose detached `<bundle>.sig` is from that key and matches the bytes; without a key,
//! unsigned bundles run as before.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bundle, error_chain, feature_graph, int8_bank, manifest, scratch_dir};
use ed25519_dalek::{Signer, SigningKey};
use edge::board::BoardProfile;
use edge::inspector::Inspector;
use edge::signature::{
    sha256, signature_path, signed_message, verify_bundle_file, PublicKey, SignatureError,
    SignatureFile,
};
use shared::bundle::ModelKind;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn public(key: &SigningKey) -> PublicKey {
    PublicKey::from_bytes(&key.verifying_key().to_bytes()).expect("valid key")
}

/// A bundle the inspector accepts (the tiny graph and int8 bank of `common`).
fn write_bundle(dir: &Path) -> PathBuf {
    let path = dir.join("model.bundle");
    bundle(
        manifest(ModelKind::MemoryBank),
        feature_graph(common::SIDE, common::DIM),
        int8_bank().to_bytes(),
    )
    .write_to(&path)
    .expect("write bundle");
    path
}

/// Writes `<bundle>.sig` as `trainer sign` does.
fn sign(bundle: &Path, key: &SigningKey) {
    let digest = sha256(&std::fs::read(bundle).expect("read bundle"));
    let sig = SignatureFile {
        public_key: key.verifying_key().to_bytes(),
        bundle_sha256: digest,
        signature: key.sign(&signed_message(&digest)).to_bytes(),
    };
    std::fs::write(signature_path(bundle), sig.to_text()).expect("write sig");
}

fn refusal(bundle: &Path, key: &PublicKey) -> (SignatureError, String) {
    let err = verify_bundle_file(bundle, key).expect_err("must be refused");
    let message = error_chain(&err);
    assert!(message.contains(&bundle.display().to_string()), "{message}");
    // The inspector refuses it too, with the same message.
    let inspector = Inspector::open_with_key(bundle, Some(key), 1).expect_err("refused");
    assert!(
        error_chain(&inspector).contains(&message),
        "{}",
        error_chain(&inspector)
    );
    (err, message)
}

#[test]
fn a_signed_bundle_opens_with_its_key_and_verifies_the_exact_bytes() {
    let dir = scratch_dir("sig-ok");
    let path = write_bundle(&dir);
    sign(&path, &key(1));
    let bytes = verify_bundle_file(&path, &public(&key(1))).expect("verifies");
    assert_eq!(bytes, std::fs::read(&path).unwrap());
    Inspector::open_with_key(&path, Some(&public(&key(1))), 1).expect("opens");
}

#[test]
fn a_tampered_bundle_is_refused() {
    let dir = scratch_dir("sig-tampered");
    let path = write_bundle(&dir);
    sign(&path, &key(1));
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let (err, message) = refusal(&path, &public(&key(1)));
    assert!(matches!(err, SignatureError::Tampered { .. }), "{message}");
    assert!(message.contains("modified after signing"), "{message}");
}

#[test]
fn a_bundle_signed_by_another_key_is_refused() {
    let dir = scratch_dir("sig-wrong-key");
    let path = write_bundle(&dir);
    sign(&path, &key(2));
    let (err, message) = refusal(&path, &public(&key(1)));
    assert!(matches!(err, SignatureError::WrongKey { .. }), "{message}");
    assert!(message.contains(&public(&key(2)).to_hex()), "{message}");
    assert!(message.contains(&public(&key(1)).to_hex()), "{message}");
}

#[test]
fn a_forged_signature_is_refused() {
    let dir = scratch_dir("sig-forged");
    let path = write_bundle(&dir);
    sign(&path, &key(1));
    // Keep key and digest, change one signature digit.
    let sig_path = signature_path(&path);
    let text = std::fs::read_to_string(&sig_path).unwrap();
    let at = text.find("\nsignature ").unwrap() + "\nsignature ".len();
    let mut chars: Vec<char> = text.chars().collect();
    chars[at] = if chars[at] == '0' { '1' } else { '0' };
    std::fs::write(&sig_path, chars.into_iter().collect::<String>()).unwrap();
    let (err, message) = refusal(&path, &public(&key(1)));
    assert!(
        matches!(err, SignatureError::BadSignature { .. }),
        "{message}"
    );
}

#[test]
fn an_unsigned_bundle_is_refused_when_a_key_is_configured_and_runs_without_one() {
    let dir = scratch_dir("sig-unsigned");
    let path = write_bundle(&dir);
    let (err, message) = refusal(&path, &public(&key(1)));
    assert!(matches!(err, SignatureError::Unsigned { .. }), "{message}");
    assert!(message.contains("model.bundle.sig"), "{message}");
    assert!(message.contains("trainer sign"), "{message}");
    Inspector::open_with_key(&path, None, 1).expect("no key configured: runs");
}

fn sim_profile_with(dir: &Path, key_line: &str) -> PathBuf {
    let sim = Path::new(env!("CARGO_MANIFEST_DIR")).join("../boards/sim.toml");
    let text = std::fs::read_to_string(sim).expect("sim profile");
    let with_key = text.replacen(
        "verdict_log = \"verdicts.jsonl\"",
        &format!("verdict_log = \"verdicts.jsonl\"\n{key_line}"),
        1,
    );
    assert_ne!(with_key, text, "sim.toml names its verdict log");
    let path = dir.join("board.toml");
    std::fs::write(&path, with_key).unwrap();
    path
}

#[test]
fn the_board_profile_takes_a_hex_key_or_a_key_file_beside_it() {
    let dir = scratch_dir("sig-profile");
    let hex = public(&key(1)).to_hex();
    let profile = BoardProfile::read_from(&sim_profile_with(
        &dir,
        &format!("bundle_public_key = \"{hex}\""),
    ))
    .expect("hex key");
    assert_eq!(profile.bundle_public_key, Some(public(&key(1))));

    std::fs::write(dir.join("line.pub"), format!("{hex}\n")).unwrap();
    let profile =
        BoardProfile::read_from(&sim_profile_with(&dir, "bundle_public_key = \"line.pub\""))
            .expect("key file relative to the profile");
    assert_eq!(profile.bundle_public_key, Some(public(&key(1))));

    let err = BoardProfile::read_from(&sim_profile_with(
        &dir,
        "bundle_public_key = \"missing.pub\"",
    ))
    .expect_err("missing key file");
    let message = error_chain(&err);
    assert!(message.contains("board.toml:6"), "{message}");
    assert!(message.contains("bundle_public_key"), "{message}");
    assert!(message.contains("missing.pub"), "{message}");
}

#[test]
fn edge_run_refuses_a_tampered_bundle_when_the_profile_names_a_key() {
    let dir = scratch_dir("sig-run");
    let path = write_bundle(&dir);
    sign(&path, &key(1));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[30] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();
    let profile = sim_profile_with(
        &dir,
        &format!("bundle_public_key = \"{}\"", public(&key(1)).to_hex()),
    );
    let frames = dir.join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    common::clean_frame(1).save(frames.join("1.png")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_edge"))
        .current_dir(&dir)
        .args(["run", "--bundle"])
        .arg(&path)
        .arg("--board")
        .arg(&profile)
        .args(["--gpio", "sim", "--no-captures", "--source"])
        .arg(format!("dir:{}", frames.display()))
        .output()
        .expect("run edge");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("modified after signing"), "{stderr}");
    assert!(stderr.contains("model.bundle"), "{stderr}");
    assert!(!dir.join("verdicts.jsonl").exists(), "nothing ran");
}
