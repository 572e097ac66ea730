//! [`GraphBuilder`]: the graph under construction (values, initializers, nodes, inputs and
//! outputs) and its encoding to ONNX bytes.

use std::collections::HashSet;

use prost::Message;
use tract_onnx::pb::{
    tensor_proto::DataType, tensor_shape_proto::dimension::Value as DimValue,
    tensor_shape_proto::Dimension, type_proto, AttributeProto, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

/// Operator set written by [`GraphBuilder::new`]: 13 has every operator we need in the form
/// tract and onnxruntime both read (Clip bounds as inputs, Resize with `sizes`).
pub const DEFAULT_OPSET: i64 = 13;

/// ONNX IR version written for opsets up to 18 (IR 8 = ONNX 1.10 to 1.13); later opsets
/// get the IR version of the ONNX release that introduced them (see [`ir_version_for`]).
pub const IR_VERSION: i64 = 8;

/// The IR version to declare for `opset` (the oldest that allows it).
pub fn ir_version_for(opset: i64) -> i64 {
    match opset {
        ..=18 => IR_VERSION,
        19..=20 => 9,
        _ => 10,
    }
}

/// Why a graph could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// An initializer's data length does not match the product of its dimensions.
    #[error("initializer \"{name}\": {len} values for dimensions {dims:?} ({expected} expected)")]
    DataLength {
        /// Initializer name.
        name: String,
        /// Dimensions given.
        dims: Vec<usize>,
        /// Values given.
        len: usize,
        /// Product of the dimensions.
        expected: usize,
    },
    /// A node names an input that no input, initializer or earlier node produces.
    #[error("node \"{node}\" reads \"{value}\", which is not defined yet (inputs, initializers and earlier nodes only)")]
    UnknownValue {
        /// The node being added.
        node: String,
        /// The missing value.
        value: String,
    },
    /// A graph input or initializer name is already used.
    #[error("value name \"{0}\" is already used in this graph")]
    DuplicateName(String),
    /// An operator helper was given arguments it cannot express.
    #[error("{op}: {reason}")]
    BadArguments {
        /// Operator type.
        op: &'static str,
        /// What is wrong, in words.
        reason: String,
    },
}

/// Builds one ONNX graph; see the [module docs](crate::onnx) for what always holds.
///
/// ```
/// use trainer::onnx::GraphBuilder;
/// let mut g = GraphBuilder::new("double");
/// let x = g.input("x", &[1, 4]).unwrap();
/// let two = g.scalar_f32("two", 2.0).unwrap();
/// let y = g.mul(&x, &two).unwrap();
/// g.output(&y, &[1, 4]).unwrap();
/// let bytes = g.encode();
/// assert!(!bytes.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct GraphBuilder {
    name: String,
    opset: i64,
    doc: String,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    known: HashSet<String>,
}

impl GraphBuilder {
    /// An empty graph named `name`, opset [`DEFAULT_OPSET`].
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            opset: DEFAULT_OPSET,
            doc: String::new(),
            nodes: Vec::new(),
            initializers: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            known: HashSet::new(),
        }
    }

    /// Sets the default-domain operator set version (helpers adapt where the operator's
    /// signature changed, e.g. ReduceMean's `axes` became an input in opset 18).
    pub fn with_opset(mut self, opset: i64) -> Self {
        self.opset = opset;
        self
    }

    /// Sets the graph's `doc_string` (free text, e.g. provenance of the weights).
    pub fn with_doc(mut self, doc: &str) -> Self {
        self.doc = doc.to_string();
        self
    }

    /// The operator set version being written.
    pub fn opset(&self) -> i64 {
        self.opset
    }

    /// Number of nodes written so far.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Whether `name` is a value of the graph (input, initializer or node output).
    pub fn has_value(&self, name: &str) -> bool {
        self.known.contains(name)
    }

    /// `hint` if unused, else `hint_2`, `hint_3`, ...
    fn fresh(&self, hint: &str) -> String {
        if !self.known.contains(hint) {
            return hint.to_string();
        }
        (2..)
            .map(|i| format!("{hint}_{i}"))
            .find(|n| !self.known.contains(n))
            .unwrap_or_else(|| hint.to_string())
    }

    fn claim(&mut self, name: &str) -> Result<(), OnnxError> {
        if !self.known.insert(name.to_string()) {
            return Err(OnnxError::DuplicateName(name.to_string()));
        }
        Ok(())
    }

    /// Declares an f32 graph input of fixed `shape`; returns its name.
    pub fn input(&mut self, name: &str, shape: &[i64]) -> Result<String, OnnxError> {
        self.claim(name)?;
        self.inputs.push(value_info(name, shape));
        Ok(name.to_string())
    }

    /// Declares the existing value `name` as an f32 graph output of `shape`.
    pub fn output(&mut self, name: &str, shape: &[i64]) -> Result<(), OnnxError> {
        if !self.known.contains(name) {
            return Err(OnnxError::UnknownValue {
                node: "<graph output>".into(),
                value: name.to_string(),
            });
        }
        self.outputs.push(value_info(name, shape));
        Ok(())
    }

    /// Adds an f32 initializer (row-major `data`, `dims` outermost first); returns its name,
    /// made unique from `hint`.
    pub fn initializer_f32(
        &mut self,
        hint: &str,
        dims: &[usize],
        data: &[f32],
    ) -> Result<String, OnnxError> {
        let name = self.fresh(hint);
        check_len(&name, dims, data.len())?;
        let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push_initializer(name, dims, DataType::Float, raw)
    }

    /// Adds an i64 initializer (shapes, sizes, axes); returns its unique name.
    pub fn initializer_i64(
        &mut self,
        hint: &str,
        dims: &[usize],
        data: &[i64],
    ) -> Result<String, OnnxError> {
        let name = self.fresh(hint);
        check_len(&name, dims, data.len())?;
        let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push_initializer(name, dims, DataType::Int64, raw)
    }

    /// A rank-0 f32 constant.
    pub fn scalar_f32(&mut self, hint: &str, value: f32) -> Result<String, OnnxError> {
        self.initializer_f32(hint, &[], &[value])
    }

    fn push_initializer(
        &mut self,
        name: String,
        dims: &[usize],
        kind: DataType,
        raw_data: Vec<u8>,
    ) -> Result<String, OnnxError> {
        self.claim(&name)?;
        self.initializers.push(TensorProto {
            name: name.clone(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: kind as i32,
            raw_data,
            ..Default::default()
        });
        Ok(name)
    }

    /// Adds a node of `op_type` reading `inputs` (`""` marks an omitted optional input) and
    /// writing one output; returns the output's unique name (derived from `hint`, also used
    /// as the node name).
    pub fn node(
        &mut self,
        op_type: &str,
        hint: &str,
        inputs: &[&str],
        attributes: Vec<AttributeProto>,
    ) -> Result<String, OnnxError> {
        let out = self.fresh(hint);
        self.node_with_outputs(op_type, &out, inputs, &[&out], attributes)?;
        Ok(out)
    }

    /// Adds a node with explicit output names (for multi-output operators).
    pub fn node_with_outputs(
        &mut self,
        op_type: &str,
        node_name: &str,
        inputs: &[&str],
        outputs: &[&str],
        attributes: Vec<AttributeProto>,
    ) -> Result<(), OnnxError> {
        if let Some(missing) = inputs
            .iter()
            .find(|i| !i.is_empty() && !self.known.contains(**i))
        {
            return Err(OnnxError::UnknownValue {
                node: node_name.to_string(),
                value: missing.to_string(),
            });
        }
        for o in outputs {
            self.claim(o)?;
        }
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            name: node_name.to_string(),
            op_type: op_type.to_string(),
            attribute: attributes,
            ..Default::default()
        });
        Ok(())
    }

    /// The finished `ModelProto` (producer "trainer").
    pub fn into_model(self) -> ModelProto {
        ModelProto {
            ir_version: ir_version_for(self.opset),
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: self.opset,
            }],
            producer_name: "trainer".into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            graph: Some(GraphProto {
                node: self.nodes,
                name: self.name,
                initializer: self.initializers,
                doc_string: self.doc,
                input: self.inputs,
                output: self.outputs,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// Encodes the model to ONNX protobuf bytes.
    pub fn encode(self) -> Vec<u8> {
        self.into_model().encode_to_vec()
    }
}

fn check_len(name: &str, dims: &[usize], len: usize) -> Result<(), OnnxError> {
    let expected: usize = dims.iter().product();
    if expected != len {
        return Err(OnnxError::DataLength {
            name: name.to_string(),
            dims: dims.to_vec(),
            len,
            expected,
        });
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_input() {
        let mut g = GraphBuilder::new("t");
        let err = g.node("Relu", "r", &["nope"], vec![]).unwrap_err();
        assert!(matches!(err, OnnxError::UnknownValue { .. }), "{err}");
    }

    #[test]
    fn rejects_wrong_initializer_length() {
        let mut g = GraphBuilder::new("t");
        let err = g.initializer_f32("w", &[2, 3], &[0.0; 5]).unwrap_err();
        assert!(
            matches!(err, OnnxError::DataLength { expected: 6, .. }),
            "{err}"
        );
    }

    #[test]
    fn names_are_made_unique() {
        let mut g = GraphBuilder::new("t");
        let x = g.input("x", &[1]).unwrap();
        let a = g.node("Relu", "r", &[&x], vec![]).unwrap();
        let b = g.node("Relu", "r", &[&a], vec![]).unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("r", "r_2"));
        assert!(matches!(
            g.input("x", &[1]),
            Err(OnnxError::DuplicateName(_))
        ));
    }
}
