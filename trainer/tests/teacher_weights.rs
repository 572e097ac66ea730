//! Loading the shipped teacher: registry hash check, tamper refusal, unregistered files,
//! and the architecture derived from the tensors.

use std::path::PathBuf;

use trainer::teacher::{registry, TeacherError, TeacherWeights, Verification, EFFICIENTNET_LITE0};

/// A private copy of the shipped weights named `file_name`, with byte `flip_at` (from the
/// end) inverted when given.
fn copy_of_weights(test: &str, file_name: &str, flip_from_end: Option<usize>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trainer-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = std::fs::read(registry::default_path(&EFFICIENTNET_LITE0)).unwrap();
    if let Some(k) = flip_from_end {
        let i = bytes.len() - 1 - k;
        bytes[i] ^= 0xff;
    }
    let path = dir.join(file_name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn shipped_lite0_loads_verified_with_standard_layout() {
    let w = TeacherWeights::load_default().unwrap();
    assert_eq!(w.verification, Verification::Registered(EFFICIENTNET_LITE0));
    assert_eq!(w.name(), "efficientnet-lite0");
    let a = &w.arch;
    assert_eq!(
        (a.stem_channels, a.blocks.len(), a.head_channels, a.classes),
        (32, 16, 1280, 1000)
    );
    let strides: Vec<usize> = a.blocks.iter().map(|b| b.stride).collect();
    assert_eq!(strides, [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]);
    let kernels: Vec<usize> = a.blocks.iter().map(|b| b.kernel).collect();
    assert_eq!(kernels, [3, 3, 3, 5, 5, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 3]);
    let channels: Vec<usize> = (0..7).map(|s| a.stage_channels(s)).collect();
    assert_eq!(channels, [16, 24, 40, 80, 112, 192, 320]);
    assert_eq!(a.resolve_layer("stride8").unwrap(), 2);
    assert_eq!(a.resolve_layer("stride16").unwrap(), 4);
    assert_eq!(w.blocks.iter().filter(|b| b.spec.residual).count(), 9);
}

#[test]
fn tampered_weights_are_refused_with_hash_mismatch() {
    let path = copy_of_weights("tamper", EFFICIENTNET_LITE0.file_name, Some(1000));
    let err = TeacherWeights::load(&path).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, TeacherError::HashMismatch { .. }),
        "{message}"
    );
    assert!(message.contains(EFFICIENTNET_LITE0.sha256), "{message}");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn unregistered_weights_load_flagged_with_a_warning() {
    // The last bytes are classifier bias data: the file still parses, but is not ours.
    let path = copy_of_weights("unregistered", "my-teacher.pth", Some(0));
    let w = TeacherWeights::load(&path).unwrap();
    assert!(matches!(w.verification, Verification::Unregistered { .. }));
    let warning = w.verification.warning(&path).unwrap();
    assert!(warning.contains("not a registered teacher"), "{warning}");
    assert_eq!(w.name(), "my-teacher");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn renamed_copy_of_a_registered_file_counts_as_registered() {
    let path = copy_of_weights("renamed", "lite0.pth", None);
    assert_eq!(
        registry::verify(&path).unwrap(),
        Verification::Registered(EFFICIENTNET_LITE0)
    );
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}
