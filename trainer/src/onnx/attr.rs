//! Constructors for ONNX node attributes (`AttributeProto`), one per attribute type we use.

use tract_onnx::pb::{attribute_proto::AttributeType, AttributeProto};

fn base(name: &str, kind: AttributeType) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: kind as i32,
        ..Default::default()
    }
}

/// An `INT` attribute.
pub fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        i: value,
        ..base(name, AttributeType::Int)
    }
}

/// An `INTS` attribute.
pub fn ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        ints: values.to_vec(),
        ..base(name, AttributeType::Ints)
    }
}

/// A `FLOAT` attribute.
pub fn float(name: &str, value: f32) -> AttributeProto {
    AttributeProto {
        f: value,
        ..base(name, AttributeType::Float)
    }
}

/// A `STRING` attribute (UTF-8 bytes).
pub fn string(name: &str, value: &str) -> AttributeProto {
    AttributeProto {
        s: value.as_bytes().to_vec(),
        ..base(name, AttributeType::String)
    }
}
