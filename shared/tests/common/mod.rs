//! Fixtures shared by the integration tests.
#![allow(dead_code)]

use shared::bundle::{
    Bundle, DatasetSeen, InputSpec, Manifest, Metric, ModelKind, Payload, Preprocess, Provenance,
    Roi, HEADER_LEN,
};
use shared::score::{ImageScore, ScoreConfig, ScoreStats, Thresholds};

/// A manifest with every field set to a non-default value.
pub fn manifest() -> Manifest {
    Manifest {
        model: ModelKind::PositionalBank,
        input: InputSpec {
            width: 256,
            height: 224,
            channels: 3,
        },
        preprocess: Preprocess {
            roi: Some(Roi {
                x: 10,
                y: 20,
                width: 300,
                height: 280,
            }),
            mean: [127.0, 127.5, 126.0],
            std: [128.0, 64.0, 32.5],
        },
        score: ScoreConfig {
            smoothing_sigma: 4.0,
            image_score: ImageScore::TopKMean { k: 10 },
            map_width: 32,
            map_height: 28,
            image_sigma: 1.5,
        },
        thresholds: Thresholds {
            image: 1.25,
            pixel: 0.75,
        },
        score_stats: ScoreStats {
            min: 0.5,
            max: 1.5,
            mean: 0.9,
            std: 0.1,
            count: 42,
        },
        provenance: Provenance {
            dataset_fingerprint: "ab".repeat(32),
            trainer_version: "0.1.0".into(),
            created_unix_s: 1_795_000_000,
            parent_bundle_sha256: Some("cd".repeat(32)),
            metrics: vec![
                Metric {
                    name: "image_auroc".into(),
                    value: 0.998,
                },
                Metric {
                    name: "latency_ms_p99".into(),
                    value: 12.5,
                },
            ],
            datasets: vec![DatasetSeen {
                path: "data/bottle".into(),
                images: 209,
                fingerprint: "ef".repeat(32),
            }],
            created_by: "trainer fit --data data/bottle --out bottle.bundle".into(),
        },
        extra: vec![("teacher".into(), "efficientnet-lite0".into())],
    }
}

/// A small valid bundle with two payloads.
pub fn bundle() -> Bundle {
    Bundle {
        manifest: manifest(),
        payloads: vec![
            Payload {
                name: "student.onnx".into(),
                bytes: (0..=255).collect(),
            },
            Payload {
                name: "bank".into(),
                bytes: vec![7; 33],
            },
        ],
    }
}

/// Frames `body` with a valid header (magic, version 1, length, correct CRC), so tests
/// can reach the manifest and table parsers with arbitrary bodies.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(body);
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(b"LSIBNDL\0");
    out.extend_from_slice(&shared::bundle::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// The postcard-encoded manifest of `manifest()` with empty `metrics`, `datasets`,
/// `created_by` and `extra`, so the last four bytes are their lengths (varint 0 each, in
/// that order).
pub fn manifest_bytes_with_empty_lists() -> Vec<u8> {
    let mut m = manifest();
    m.provenance.metrics.clear();
    m.provenance.datasets.clear();
    m.provenance.created_by.clear();
    m.extra.clear();
    let bytes = postcard::to_allocvec(&m).unwrap();
    assert_eq!(&bytes[bytes.len() - 4..], &[0, 0, 0, 0]);
    bytes
}

/// A body: manifest length, manifest, then `table` verbatim.
pub fn body(manifest: &[u8], table: &[u8]) -> Vec<u8> {
    let mut out = (manifest.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(manifest);
    out.extend_from_slice(table);
    out
}

/// Postcard varint (LEB128) of `v`.
pub fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}
