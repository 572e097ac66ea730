//! Bundle format: round trip, each rejection, file I/O, and a proptest fuzz.
#![cfg(feature = "alloc")]

mod common;

use proptest::prelude::*;
use shared::bundle::{
    Bundle, BundleError, Metric, Payload, TableFault, FORMAT_VERSION, HEADER_LEN, MAGIC,
    MAX_METRICS, MAX_PAYLOADS,
};

use common::{body, bundle, frame, manifest_bytes_with_empty_lists, varint};

#[test]
fn round_trips_every_field() {
    let b = bundle();
    let bytes = b.to_bytes();
    assert_eq!(&bytes[..8], &MAGIC);
    assert_eq!(&bytes[8..10], &FORMAT_VERSION.to_le_bytes());
    let back = Bundle::from_bytes(&bytes).unwrap();
    assert_eq!(back, b);
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.payload("bank"), Some(&[7u8; 33][..]));
    assert_eq!(back.payload("missing"), None);
    assert_eq!(back.manifest.extra("teacher"), Some("efficientnet-lite0"));
}

#[test]
fn round_trips_an_empty_bundle() {
    let mut b = bundle();
    b.payloads.clear();
    b.manifest.provenance.parent_bundle_sha256 = None;
    b.manifest.preprocess.roi = None;
    assert_eq!(Bundle::from_bytes(&b.to_bytes()).unwrap(), b);
}

#[test]
fn layout_matches_the_documented_offsets() {
    let b = bundle();
    let bytes = b.to_bytes();
    let declared = u64::from_le_bytes(bytes[10..18].try_into().unwrap());
    assert_eq!(declared as usize, bytes.len() - HEADER_LEN);
    let crc = u32::from_le_bytes(bytes[18..22].try_into().unwrap());
    let computed = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&bytes[HEADER_LEN..]);
    assert_eq!(crc, computed);
    let manifest_len = u64::from_le_bytes(bytes[22..30].try_into().unwrap()) as usize;
    let manifest: shared::bundle::Manifest =
        postcard::from_bytes(&bytes[30..30 + manifest_len]).unwrap();
    assert_eq!(manifest, b.manifest);
    let count_at = 30 + manifest_len;
    assert_eq!(
        u64::from_le_bytes(bytes[count_at..count_at + 8].try_into().unwrap()),
        2
    );
}

#[test]
fn rejects_too_short_header() {
    for len in [0, 1, 8, HEADER_LEN - 1] {
        let err = Bundle::from_bytes(&bundle().to_bytes()[..len]).unwrap_err();
        assert!(
            matches!(err, BundleError::TooShort { len: l } if l == len),
            "{err:?}"
        );
    }
}

#[test]
fn rejects_bad_magic() {
    let mut bytes = bundle().to_bytes();
    bytes[..8].copy_from_slice(b"PK\x03\x04zip!");
    let err = Bundle::from_bytes(&bytes).unwrap_err();
    assert!(matches!(err, BundleError::BadMagic { found } if &found == b"PK\x03\x04zip!"));
    let msg = err.to_string();
    assert!(
        msg.contains("bad magic") && msg.contains("50, 4b, 03, 04"),
        "{msg}"
    );
}

#[test]
fn rejects_newer_version() {
    let mut bytes = bundle().to_bytes();
    bytes[8..10].copy_from_slice(&4u16.to_le_bytes());
    let err = Bundle::from_bytes(&bytes).unwrap_err();
    assert!(matches!(
        err,
        BundleError::UnsupportedVersion {
            found: 4,
            oldest: 2,
            newest: 3
        }
    ));
    let msg = err.to_string();
    assert!(
        msg.contains("version 4") && msg.contains("versions 2 to 3"),
        "{msg}"
    );
}

#[test]
fn rejects_version_1_written_before_lineage() {
    let mut bytes = bundle().to_bytes();
    bytes[8..10].copy_from_slice(&1u16.to_le_bytes());
    assert!(matches!(
        Bundle::from_bytes(&bytes).unwrap_err(),
        BundleError::UnsupportedVersion {
            found: 1,
            oldest: 2,
            newest: 3
        }
    ));
}

#[test]
fn rejects_truncated_file() {
    let bytes = bundle().to_bytes();
    let total = (bytes.len() - HEADER_LEN) as u64;
    for cut in [1, 2, 100, bytes.len() - HEADER_LEN] {
        let err = Bundle::from_bytes(&bytes[..bytes.len() - cut]).unwrap_err();
        match err {
            BundleError::Truncated { declared, actual } => {
                assert_eq!((declared, actual), (total, total - cut as u64));
            }
            other => panic!("cut {cut}: {other:?}"),
        }
    }
    let msg = Bundle::from_bytes(&bytes[..bytes.len() - 1])
        .unwrap_err()
        .to_string();
    assert!(msg.contains(&format!("declares {total}")), "{msg}");
}

#[test]
fn rejects_trailing_bytes() {
    let mut bytes = bundle().to_bytes();
    bytes.extend_from_slice(b"xyz");
    let err = Bundle::from_bytes(&bytes).unwrap_err();
    let n = (bytes.len() - HEADER_LEN) as u64;
    assert!(
        matches!(err, BundleError::TrailingBytes { declared, actual } if declared == n - 3 && actual == n)
    );
}

#[test]
fn rejects_flipped_bit() {
    let bytes = bundle().to_bytes();
    for i in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[i / 8] ^= 1 << (i % 8);
        let err = Bundle::from_bytes(&flipped).expect_err("every single-bit flip is detected");
        if i / 8 >= HEADER_LEN {
            assert!(
                matches!(err, BundleError::ChecksumMismatch { .. }),
                "bit {i}: {err:?}"
            );
        }
    }
    let mut flipped = bytes.clone();
    flipped[HEADER_LEN + 40] ^= 0x10;
    let msg = Bundle::from_bytes(&flipped).unwrap_err().to_string();
    assert!(
        msg.contains("checksum mismatch") && msg.contains("0x"),
        "{msg}"
    );
}

#[test]
fn rejects_duplicate_payload() {
    let mut b = bundle();
    b.payloads.push(Payload {
        name: "bank".into(),
        bytes: vec![1, 2, 3],
    });
    // At read: bytes encoded regardless.
    let err = Bundle::from_bytes(&b.to_bytes()).unwrap_err();
    assert!(
        matches!(&err, BundleError::DuplicatePayload { name } if name == "bank"),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"bank\""));
}

#[test]
fn rejects_empty_payload_name_and_too_many_payloads() {
    let mut b = bundle();
    b.payloads[1].name.clear();
    assert!(matches!(
        Bundle::from_bytes(&b.to_bytes()).unwrap_err(),
        BundleError::MalformedPayloadTable {
            entry: 1,
            reason: TableFault::EmptyName
        }
    ));
    assert!(b.check().is_err());

    let mut b = bundle();
    b.payloads = (0..=MAX_PAYLOADS)
        .map(|i| Payload {
            name: format!("p{i}"),
            bytes: vec![],
        })
        .collect();
    assert!(matches!(
        b.check().unwrap_err(),
        BundleError::MalformedPayloadTable {
            reason: TableFault::TooManyEntries { .. },
            ..
        }
    ));
    assert!(matches!(
        Bundle::from_bytes(&b.to_bytes()).unwrap_err(),
        BundleError::MalformedPayloadTable {
            reason: TableFault::TooManyEntries { .. },
            ..
        }
    ));
}

#[test]
fn rejects_too_many_metrics_at_write_and_at_read() {
    let mut b = bundle();
    b.manifest.provenance.metrics = (0..=MAX_METRICS)
        .map(|i| Metric {
            name: format!("m{i}"),
            value: 0.0,
        })
        .collect();
    assert!(matches!(
        b.check().unwrap_err(),
        BundleError::ManifestListTooLong {
            field: "provenance.metrics",
            len: 65,
            max: 64
        }
    ));
    assert!(matches!(
        Bundle::from_bytes(&b.to_bytes()).unwrap_err(),
        BundleError::ManifestDecode(_)
    ));
    b.manifest.provenance.metrics.pop();
    assert_eq!(Bundle::from_bytes(&b.to_bytes()).unwrap(), b);
}

#[test]
fn rejects_too_many_lineage_datasets_at_write_and_at_read() {
    let mut b = bundle();
    b.manifest.provenance.datasets = (0..=shared::bundle::MAX_DATASETS)
        .map(|i| shared::bundle::DatasetSeen {
            path: format!("captures/{i}"),
            images: i as u64,
            fingerprint: "00".repeat(32),
        })
        .collect();
    assert!(matches!(
        b.check().unwrap_err(),
        BundleError::ManifestListTooLong {
            field: "provenance.datasets",
            len: 65,
            max: 64
        }
    ));
    assert!(matches!(
        Bundle::from_bytes(&b.to_bytes()).unwrap_err(),
        BundleError::ManifestDecode(_)
    ));
    b.manifest.provenance.datasets.pop();
    assert_eq!(Bundle::from_bytes(&b.to_bytes()).unwrap(), b);
}

#[test]
fn rejects_malformed_table_entries() {
    let m = manifest_bytes_with_empty_lists();
    type Expect = fn(&BundleError) -> bool;
    let cases: Vec<(Vec<u8>, Expect)> = vec![
        (vec![], |e| {
            matches!(
                e,
                BundleError::MalformedPayloadTable {
                    entry: 0,
                    reason: TableFault::FieldPastEnd {
                        field: "payload count",
                        ..
                    }
                }
            )
        }),
        (
            [&1u64.to_le_bytes()[..], &100u64.to_le_bytes(), &[0; 9]].concat(),
            |e| {
                matches!(
                    e,
                    BundleError::MalformedPayloadTable {
                        entry: 0,
                        reason: TableFault::NamePastEnd {
                            declared: 100,
                            remaining: 9
                        }
                    }
                )
            },
        ),
        (
            [
                &1u64.to_le_bytes()[..],
                &1u64.to_le_bytes(),
                &[0xff],
                &u64::MAX.to_le_bytes(),
            ]
            .concat(),
            |e| {
                matches!(
                    e,
                    BundleError::MalformedPayloadTable {
                        entry: 0,
                        reason: TableFault::NameNotUtf8
                    }
                )
            },
        ),
        (
            [
                &1u64.to_le_bytes()[..],
                &1u64.to_le_bytes(),
                b"a",
                &u64::MAX.to_le_bytes(),
            ]
            .concat(),
            |e| {
                matches!(
                    e,
                    BundleError::MalformedPayloadTable {
                        entry: 0,
                        reason: TableFault::DataPastEnd {
                            declared: u64::MAX,
                            remaining: 0
                        }
                    }
                )
            },
        ),
        ([&0u64.to_le_bytes()[..], b"junk"].concat(), |e| {
            matches!(
                e,
                BundleError::MalformedPayloadTable {
                    entry: 0,
                    reason: TableFault::BytesAfterLastEntry { extra: 4 }
                }
            )
        }),
        (u64::MAX.to_le_bytes().to_vec(), |e| {
            matches!(
                e,
                BundleError::MalformedPayloadTable {
                    entry: 0,
                    reason: TableFault::TooManyEntries {
                        count: u64::MAX,
                        max: 0
                    }
                }
            )
        }),
    ];
    for (i, (table, check)) in cases.into_iter().enumerate() {
        let err = Bundle::from_bytes(&frame(&body(&m, &table))).unwrap_err();
        assert!(check(&err), "case {i}: {err:?}");
    }
}

#[test]
fn rejects_malformed_manifest_region() {
    let m = manifest_bytes_with_empty_lists();
    let table = 0u64.to_le_bytes();
    // Length field past the end.
    let mut b = (u64::MAX).to_le_bytes().to_vec();
    b.extend_from_slice(&m);
    assert!(matches!(
        Bundle::from_bytes(&frame(&b)).unwrap_err(),
        BundleError::ManifestLength {
            declared: u64::MAX,
            ..
        }
    ));
    // Payload too short for the length field itself.
    assert!(matches!(
        Bundle::from_bytes(&frame(&[1, 2, 3])).unwrap_err(),
        BundleError::ManifestLength {
            declared: 8,
            remaining: 3
        }
    ));
    // Unused bytes inside the manifest region.
    let mut padded = m.clone();
    padded.push(0);
    assert!(matches!(
        Bundle::from_bytes(&frame(&body(&padded, &table))).unwrap_err(),
        BundleError::ManifestTrailingBytes { unused: 1 }
    ));
    // Manifest cut short.
    let err = Bundle::from_bytes(&frame(&body(&m[..m.len() - 1], &table))).unwrap_err();
    assert!(matches!(err, BundleError::ManifestDecode(_)), "{err:?}");
    // A forged huge list length.
    let mut forged = m[..m.len() - 2].to_vec();
    forged.extend(varint(u64::MAX >> 1));
    forged.push(0);
    let err = Bundle::from_bytes(&frame(&body(&forged, &table))).unwrap_err();
    assert!(matches!(err, BundleError::ManifestDecode(_)), "{err:?}");
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Truncate { len: usize },
    Extend { bytes: Vec<u8> },
    Overwrite { at: usize, bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        prop::collection::vec(any::<u8>(), 1..16).prop_map(|bytes| Mutation::Extend { bytes }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..9))
            .prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match m {
        Mutation::Flip { at, bit } => {
            let i = at % bytes.len();
            bytes[i] ^= 1 << bit;
        }
        Mutation::Truncate { len } => bytes.truncate(len % bytes.len()),
        Mutation::Extend { bytes: extra } => bytes.extend_from_slice(extra),
        Mutation::Overwrite { at, bytes: new } => {
            let start = at % bytes.len();
            for (dst, src) in bytes[start..].iter_mut().zip(new) {
                *dst = *src;
            }
        }
    }
}

/// Decoding either fails with a typed error or yields a bundle whose re-encoding decodes
/// to the same bytes again.
fn decode_is_sound(input: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(b) = Bundle::from_bytes(input) {
        let again = b.to_bytes();
        let b2 = Bundle::from_bytes(&again).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(b2.to_bytes(), again);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        decode_is_sound(&bytes)?;
        let mut with_magic = MAGIC.to_vec();
        with_magic.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        with_magic.extend_from_slice(&bytes);
        decode_is_sound(&with_magic)?;
    }

    #[test]
    fn mutated_bundles_never_panic(muts in prop::collection::vec(mutation(), 1..4)) {
        let mut bytes = bundle().to_bytes();
        for m in &muts {
            apply(&mut bytes, m);
        }
        decode_is_sound(&bytes)?;
    }

    /// Mutations of the payload behind a freshly computed CRC reach the manifest and
    /// table parsers.
    #[test]
    fn mutated_payloads_with_valid_crc_never_panic(muts in prop::collection::vec(mutation(), 1..4)) {
        let mut payload = bundle().to_bytes()[HEADER_LEN..].to_vec();
        for m in &muts {
            apply(&mut payload, m);
        }
        decode_is_sound(&frame(&payload))?;
    }

    #[test]
    fn any_valid_payload_table_round_trips(
        payloads in prop::collection::vec(("[a-z0-9._]{1,12}", prop::collection::vec(any::<u8>(), 0..64)), 0..8),
        fingerprint in ".{0,40}",
    ) {
        let mut b = bundle();
        b.manifest.provenance.dataset_fingerprint = fingerprint;
        b.payloads = payloads.into_iter().map(|(name, bytes)| Payload { name, bytes }).collect();
        let bytes = b.to_bytes();
        match b.check() {
            Ok(()) => prop_assert_eq!(Bundle::from_bytes(&bytes).unwrap(), b),
            Err(_) => prop_assert!(Bundle::from_bytes(&bytes).is_err()),
        }
    }
}
