//! Fixtures for the inspector tests, independent of the trainer and of teacher weights: a
//! hand-written ONNX feature graph (4×4 stride-4 Conv + Relu, [1, 3, 16, 16] →
//! [1, D, 4, 4]), procedural frames, and banks built from the graph's own features with
//! `edge::bank` constructors only.

#![allow(dead_code)]

use image::{Rgb, RgbImage};
use prost::Message;
use shared::bundle::{
    Bundle, InputSpec, Manifest, ModelKind, Payload, Preprocess, Provenance, BANK, FEATURES_ONNX,
};
use shared::score::{ImageScore, ScoreConfig, ScoreStats, Thresholds};
use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType,
    tensor_shape_proto::dimension::Value as DimValue, tensor_shape_proto::Dimension, type_proto,
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

use edge::bank::{F32Bank, GaussianModel, GridShape, Int8Bank, PositionBank};
use edge::preprocess::preprocess;

/// Network input side.
pub const SIDE: u32 = 16;
/// Feature channels.
pub const DIM: usize = 8;
/// Patch grid side (16 / stride 4).
pub const MAP: u32 = 4;
/// Camera frame side (resized to SIDE by the preprocessing).
pub const FRAME: u32 = 32;

pub fn grid() -> GridShape {
    GridShape::new(MAP as usize, MAP as usize, DIM)
}

fn value_info(name: &str, shape: &[i64]) -> ValueInfoProto {
    let dim = shape
        .iter()
        .map(|&d| Dimension {
            value: Some(DimValue::DimValue(d)),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn initializer(name: &str, dims: &[i64], values: Vec<f32>) -> TensorProto {
    TensorProto {
        name: name.to_string(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: values,
        ..Default::default()
    }
}

/// `[1, 3, side, side]` → Conv(D, 4×4, stride 4) → Relu → `[1, dim, side/4, side/4]`.
pub fn feature_graph(side: u32, dim: usize) -> Vec<u8> {
    feature_graph_with(side, dim, "Relu")
}

/// [`feature_graph`] with another unary operator after the Conv (e.g. `"Log"`, which
/// turns the Conv's negative outputs into NaN: a broken network).
pub fn feature_graph_with(side: u32, dim: usize, activation: &str) -> Vec<u8> {
    let weights: Vec<f32> = (0..dim * 3 * 16)
        .map(|i| ((i as f32) * 0.618).sin() * 0.25)
        .collect();
    let bias: Vec<f32> = (0..dim).map(|i| 0.05 * i as f32).collect();
    let map = i64::from(side / 4);
    let conv = NodeProto {
        input: vec!["x".into(), "w".into(), "b".into()],
        output: vec!["conv".into()],
        name: "conv".into(),
        op_type: "Conv".into(),
        attribute: vec![
            AttributeProto {
                name: "kernel_shape".into(),
                r#type: AttributeType::Ints as i32,
                ints: vec![4, 4],
                ..Default::default()
            },
            AttributeProto {
                name: "strides".into(),
                r#type: AttributeType::Ints as i32,
                ints: vec![4, 4],
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let relu = NodeProto {
        input: vec!["conv".into()],
        output: vec!["features".into()],
        name: "activation".into(),
        op_type: activation.into(),
        ..Default::default()
    };
    let model = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        producer_name: "edge-tests".into(),
        graph: Some(GraphProto {
            node: vec![conv, relu],
            name: "features".into(),
            initializer: vec![
                initializer("w", &[dim as i64, 3, 4, 4], weights),
                initializer("b", &[dim as i64], bias),
            ],
            input: vec![value_info("x", &[1, 3, i64::from(side), i64::from(side)])],
            output: vec![value_info("features", &[1, dim as i64, map, map])],
            ..Default::default()
        }),
        ..Default::default()
    };
    model.encode_to_vec()
}

/// A clean part: smooth stripes plus seeded per-pixel noise (±6 levels).
pub fn clean_frame(seed: u64) -> RgbImage {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    RgbImage::from_fn(FRAME, FRAME, |x, y| {
        let base = 128.0 + 40.0 * (x as f32 * 0.7).sin() + 30.0 * (y as f32 * 0.5).cos();
        let mut channel = |shift: f32| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state % 13) as f32 - 6.0;
            (base + shift + noise).clamp(0.0, 255.0) as u8
        };
        Rgb([channel(0.0), channel(-20.0), channel(15.0)])
    })
}

/// `clean_frame(seed)` with a saturated red disc of radius 5 centred at (20, 12).
pub fn blob_frame(seed: u64) -> RgbImage {
    let mut frame = clean_frame(seed);
    for y in 0..FRAME {
        for x in 0..FRAME {
            let (dx, dy) = (x as i32 - 20, y as i32 - 12);
            if dx * dx + dy * dy <= 25 {
                frame.put_pixel(x, y, Rgb([250, 30, 30]));
            }
        }
    }
    frame
}

pub fn manifest(model: ModelKind) -> Manifest {
    Manifest {
        model,
        input: InputSpec {
            width: SIDE,
            height: SIDE,
            channels: 3,
        },
        preprocess: Preprocess {
            roi: None,
            mean: [127.0; 3],
            std: [128.0; 3],
        },
        score: ScoreConfig {
            smoothing_sigma: 1.0,
            image_sigma: 1.0,
            image_score: ImageScore::Max,
            map_width: MAP,
            map_height: MAP,
        },
        thresholds: Thresholds {
            image: 1.0,
            pixel: 1.0,
        },
        score_stats: ScoreStats {
            min: 0.2,
            max: 0.8,
            mean: 0.5,
            std: 0.1,
            count: 12,
        },
        provenance: Provenance {
            dataset_fingerprint: "00".repeat(32),
            trainer_version: "test".into(),
            created_unix_s: 0,
            parent_bundle_sha256: None,
            metrics: vec![],
            datasets: vec![],
            created_by: "test".into(),
        },
        extra: vec![],
    }
}

pub fn bundle(manifest: Manifest, graph: Vec<u8>, bank: Vec<u8>) -> Bundle {
    Bundle {
        manifest,
        payloads: vec![
            Payload {
                name: FEATURES_ONNX.into(),
                bytes: graph,
            },
            Payload {
                name: BANK.into(),
                bytes: bank,
            },
        ],
    }
}

/// Runs the graph through `edge::network` directly (its own plan, outside the
/// inspector) on the preprocessed frame and returns the features as patch rows
/// (`cells × DIM`). The edge's kernels (its own convolution for this 3-channel stem)
/// round differently from tract's, so the scores are compared with the plan the device
/// runs; the kernels are checked against tract's in `edge::network`'s tests.
pub fn patch_rows(frame: &RgbImage) -> Vec<f32> {
    use tract_onnx::prelude::*;
    let m = manifest(ModelKind::MemoryBank);
    let input = preprocess(frame, m.input, &m.preprocess).expect("preprocess");
    let typed = edge::network::typed_from_onnx(&feature_graph(SIDE, DIM)).expect("parse");
    let plan = edge::network::runnable(typed, tract_linalg::multithread::Executor::SingleThread)
        .expect("runnable");
    let tensor = Tensor::from_shape(&[1, 3, SIDE as usize, SIDE as usize], &input).expect("t");
    let out = plan.run(tvec!(tensor.into())).expect("run");
    let nchw = out[0].to_plain_array_view::<f32>().expect("f32");
    let cells = (MAP * MAP) as usize;
    let flat: Vec<f32> = nchw.iter().copied().collect();
    let mut rows = vec![0.0; cells * DIM];
    for d in 0..DIM {
        for c in 0..cells {
            rows[c * DIM + d] = flat[d * cells + c];
        }
    }
    rows
}

/// Training seeds; test frames use other seeds.
pub const TRAIN_SEEDS: std::ops::Range<u64> = 0..12;

/// Patch rows of every training frame, frame after frame.
pub fn train_rows() -> Vec<f32> {
    TRAIN_SEEDS
        .flat_map(|s| patch_rows(&clean_frame(s)))
        .collect()
}

pub fn f32_bank() -> F32Bank {
    F32Bank::new(train_rows(), DIM).expect("bank")
}

pub fn int8_bank() -> Int8Bank {
    Int8Bank::quantize(&f32_bank())
}

/// One bank per location holding that location's training patches (location-major).
pub fn position_bank() -> PositionBank {
    let train = train_rows();
    let cells = grid().cells();
    let frames = TRAIN_SEEDS.count();
    let mut rows = Vec::with_capacity(train.len());
    for c in 0..cells {
        for f in 0..frames {
            let start = (f * cells + c) * DIM;
            rows.extend_from_slice(&train[start..start + DIM]);
        }
    }
    let bank = Int8Bank::quantize(&F32Bank::new(rows, DIM).expect("rows"));
    PositionBank::from_parts(grid(), frames, 0, bank).expect("position bank")
}

/// Per-location Gaussians with the training means and a diagonal factor (std + 0.1).
pub fn gaussian() -> GaussianModel {
    let train = train_rows();
    let cells = grid().cells();
    let frames = TRAIN_SEEDS.count() as f32;
    let mut means = vec![0.0f32; cells * DIM];
    for (i, v) in train.iter().enumerate() {
        means[i % (cells * DIM)] += v / frames;
    }
    let mut var = vec![0.0f32; cells * DIM];
    for (i, v) in train.iter().enumerate() {
        let d = v - means[i % (cells * DIM)];
        var[i % (cells * DIM)] += d * d / frames;
    }
    let packed = DIM * (DIM + 1) / 2;
    let mut factors = vec![0.0f32; cells * packed];
    for c in 0..cells {
        for i in 0..DIM {
            factors[c * packed + i * (i + 1) / 2 + i] = var[c * DIM + i].sqrt() + 0.1;
        }
    }
    GaussianModel::from_factors(grid(), (0..DIM as u32).collect(), means, factors)
        .expect("gaussian")
}

/// The error and its whole source chain, as `edge` prints it (`{:#}`).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A fresh, empty folder under the system temp dir for test `name`.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("edge-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}
