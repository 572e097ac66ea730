//! Bundle file I/O (feature `std`): atomic writes, errors that name the file.
#![cfg(feature = "std")]

mod common;

use std::fs;
use std::path::PathBuf;

use shared::bundle::{Bundle, BundleError, Payload, HEADER_LEN};

use common::bundle;

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shared-bundle-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn dir_entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn rejects_duplicate_payload_at_write_before_touching_the_file_system() {
    let mut b = bundle();
    b.payloads.push(Payload {
        name: "bank".into(),
        bytes: vec![1, 2, 3],
    });
    // At write: refused before touching the file system.
    let dir = scratch_dir("dup");
    let target = dir.join("a.bundle");
    let err = b.write_to(&target).unwrap_err();
    assert!(
        matches!(err.root(), BundleError::DuplicatePayload { .. }),
        "{err:?}"
    );
    assert!(dir_entries(&dir).is_empty());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_then_read_round_trips() {
    let dir = scratch_dir("rt");
    let target = dir.join("model.bundle");
    let b = bundle();
    b.write_to(&target).unwrap();
    assert_eq!(Bundle::read_from(&target).unwrap(), b);
    // Overwrite with a different bundle.
    let mut b2 = b.clone();
    b2.payloads.pop();
    b2.write_to(&target).unwrap();
    assert_eq!(Bundle::read_from(&target).unwrap(), b2);
    assert_eq!(dir_entries(&dir), ["model.bundle"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_is_atomic_and_keeps_old_file_on_failure() {
    let dir = scratch_dir("atomic");
    let b = bundle();

    // Parent directory missing: an Io error naming the path, nothing created.
    let missing = dir.join("no/such/dir/model.bundle");
    let err = b.write_to(&missing).unwrap_err();
    assert!(matches!(err, BundleError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("no/such/dir"), "{err}");
    assert!(dir_entries(&dir).is_empty());

    // Rename fails (target is a non-empty directory): old content kept, temp removed.
    let target = dir.join("model.bundle");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep"), b"old").unwrap();
    let err = b.write_to(&target).unwrap_err();
    assert!(err.to_string().contains("rename"), "{err}");
    assert_eq!(fs::read(target.join("keep")).unwrap(), b"old");
    assert_eq!(dir_entries(&dir), ["model.bundle"]);
    fs::remove_dir_all(&target).unwrap();

    // An invalid bundle never replaces a good one.
    b.write_to(&target).unwrap();
    let before = fs::read(&target).unwrap();
    let mut bad = b.clone();
    bad.payloads.push(bad.payloads[0].clone());
    assert!(bad.write_to(&target).is_err());
    assert_eq!(fs::read(&target).unwrap(), before);
    assert_eq!(dir_entries(&dir), ["model.bundle"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn read_from_names_the_file_in_every_error() {
    let dir = scratch_dir("names");
    let missing = dir.join("absent.bundle");
    let err = Bundle::read_from(&missing).unwrap_err();
    assert!(matches!(err, BundleError::Io { .. }));
    assert!(err.to_string().contains("absent.bundle"), "{err}");

    let corrupt = dir.join("corrupt.bundle");
    let mut bytes = bundle().to_bytes();
    bytes[HEADER_LEN + 5] ^= 1;
    fs::write(&corrupt, &bytes).unwrap();
    let err = Bundle::read_from(&corrupt).unwrap_err();
    assert!(err.to_string().contains("corrupt.bundle"), "{err}");
    assert!(matches!(err.root(), BundleError::ChecksumMismatch { .. }));
    let source = std::error::Error::source(&err).expect("format error is the source");
    assert!(source.to_string().contains("checksum mismatch"));
    fs::remove_dir_all(&dir).unwrap();
}
