//! Folding an inference-mode BatchNorm into the convolution before it.
//!
//! `BN(conv(x)) = γ·(W∗x + b − μ)/√(σ² + ε) + β`, so with `s = γ/√(σ² + ε)` per output
//! channel the pair is one conv with weights `s·W` and bias `s·(b − μ) + β`. EfficientNet
//! (trained in TensorFlow) uses ε = 1e-3 ([`BN_EPS`]), not PyTorch's 1e-5.

use std::collections::HashMap;

use super::checkpoint::RawTensor;
use super::error::TeacherError;

/// BatchNorm epsilon of the TensorFlow-trained EfficientNet-Lite weights.
pub const BN_EPS: f32 = 1e-3;

/// A convolution with its BatchNorm folded in: OIHW weights and a per-output bias.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldedConv {
    /// `[out, in / group, kh, kw]`.
    pub dims: [usize; 4],
    /// Row-major OIHW weights.
    pub weight: Vec<f32>,
    /// One bias per output channel.
    pub bias: Vec<f32>,
}

fn get<'a>(t: &'a HashMap<String, RawTensor>, name: &str) -> Result<&'a RawTensor, TeacherError> {
    t.get(name)
        .ok_or_else(|| TeacherError::MissingTensor(name.to_string()))
}

fn vector<'a>(
    t: &'a HashMap<String, RawTensor>,
    name: &str,
    len: usize,
) -> Result<&'a [f32], TeacherError> {
    let v = get(t, name)?;
    if v.shape != [len] {
        return Err(TeacherError::BadTensor {
            name: name.to_string(),
            reason: format!("expected shape [{len}], found {:?}", v.shape),
        });
    }
    Ok(&v.data)
}

/// Folds BatchNorm `bn` (`{bn}.weight/.bias/.running_mean/.running_var`) into conv `conv`
/// (`{conv}.weight`, optional `{conv}.bias`).
pub fn fold_conv_bn(
    t: &HashMap<String, RawTensor>,
    conv: &str,
    bn: &str,
) -> Result<FoldedConv, TeacherError> {
    let w_name = format!("{conv}.weight");
    let w = get(t, &w_name)?;
    let dims: [usize; 4] = w
        .shape
        .as_slice()
        .try_into()
        .map_err(|_| TeacherError::BadTensor {
            name: w_name.clone(),
            reason: format!("expected a 4-D conv weight, found shape {:?}", w.shape),
        })?;
    let out = dims[0];
    let gamma = vector(t, &format!("{bn}.weight"), out)?;
    let beta = vector(t, &format!("{bn}.bias"), out)?;
    let mean = vector(t, &format!("{bn}.running_mean"), out)?;
    let var = vector(t, &format!("{bn}.running_var"), out)?;
    let conv_bias = match t.get(&format!("{conv}.bias")) {
        Some(_) => Some(vector(t, &format!("{conv}.bias"), out)?),
        None => None,
    };
    let per_out = w.data.len() / out;
    let mut weight = w.data.clone();
    let mut bias = Vec::with_capacity(out);
    for o in 0..out {
        let s = gamma[o] / (var[o] + BN_EPS).sqrt();
        weight[o * per_out..(o + 1) * per_out]
            .iter_mut()
            .for_each(|v| *v *= s);
        let b = conv_bias.map_or(0.0, |b| b[o]);
        bias.push(s * (b - mean[o]) + beta[o]);
    }
    Ok(FoldedConv { dims, weight, bias })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], data: &[f32]) -> RawTensor {
        RawTensor {
            shape: shape.to_vec(),
            data: data.to_vec(),
        }
    }

    #[test]
    fn folded_conv_equals_conv_then_batchnorm() {
        // A 1×1 conv, 2 outputs, 1 input: y_o = w_o·x, then BN.
        let mut m = HashMap::new();
        m.insert("c.weight".into(), t(&[2, 1, 1, 1], &[2.0, -1.0]));
        m.insert("b.weight".into(), t(&[2], &[1.5, 0.5]));
        m.insert("b.bias".into(), t(&[2], &[0.1, -0.2]));
        m.insert("b.running_mean".into(), t(&[2], &[0.3, 0.4]));
        m.insert("b.running_var".into(), t(&[2], &[4.0, 0.25]));
        let f = fold_conv_bn(&m, "c", "b").unwrap();
        let x = 0.7f32;
        for o in 0..2 {
            let (w, g, be, mu, va) = (
                m["c.weight"].data[o],
                m["b.weight"].data[o],
                m["b.bias"].data[o],
                m["b.running_mean"].data[o],
                m["b.running_var"].data[o],
            );
            let reference = g * (w * x - mu) / (va + BN_EPS).sqrt() + be;
            let folded = f.weight[o] * x + f.bias[o];
            assert!((reference - folded).abs() < 1e-6, "{reference} vs {folded}");
        }
    }
}
