//! Typed helpers on [`GraphBuilder`], one per operator we write. Each adds the node (and
//! any constant inputs it needs) and returns the output value's name. Layout is NCHW.

use super::attr;
use super::builder::{GraphBuilder, OnnxError};

/// Parameters of a 2-D convolution (ONNX `Conv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv2d {
    /// Stride along (height, width).
    pub strides: [usize; 2],
    /// Zero padding as ONNX orders it: (top, left, bottom, right).
    pub pads: [usize; 4],
    /// Channel groups: 1 for a dense conv, the channel count for a depthwise conv.
    pub group: usize,
    /// Dilation along (height, width); 1 for an ordinary convolution.
    pub dilations: [usize; 2],
}

impl Conv2d {
    /// Stride 1, no padding, one group.
    pub fn pointwise() -> Self {
        Self {
            strides: [1, 1],
            pads: [0; 4],
            group: 1,
            dilations: [1, 1],
        }
    }
}

fn ints(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&x| x as i64).collect()
}

impl GraphBuilder {
    /// `Conv(x, w[, b])`; `w` is `[out, in/group, kh, kw]`, `b` is `[out]`.
    pub fn conv(
        &mut self,
        hint: &str,
        x: &str,
        w: &str,
        b: Option<&str>,
        p: &Conv2d,
    ) -> Result<String, OnnxError> {
        let mut inputs = vec![x, w];
        if let Some(b) = b {
            inputs.push(b);
        }
        self.node(
            "Conv",
            hint,
            &inputs,
            vec![
                attr::ints("strides", &ints(&p.strides)),
                attr::ints("pads", &ints(&p.pads)),
                attr::int("group", p.group as i64),
                attr::ints("dilations", &ints(&p.dilations)),
            ],
        )
    }

    /// A convolution whose weights (`[out, in/group, kh, kw]`, row-major) and optional bias
    /// are added as initializers named `{hint}.weight` / `{hint}.bias`.
    pub fn conv_with_weights(
        &mut self,
        hint: &str,
        x: &str,
        weight_dims: [usize; 4],
        weight: &[f32],
        bias: Option<&[f32]>,
        p: &Conv2d,
    ) -> Result<String, OnnxError> {
        let w = self.initializer_f32(&format!("{hint}.weight"), &weight_dims, weight)?;
        let b = match bias {
            Some(b) => Some(self.initializer_f32(&format!("{hint}.bias"), &[weight_dims[0]], b)?),
            None => None,
        };
        self.conv(hint, x, &w, b.as_deref(), p)
    }

    /// `Clip(x, min, max)` with the bounds as constant inputs (opset ≥ 11 form).
    pub fn clip(&mut self, hint: &str, x: &str, min: f32, max: f32) -> Result<String, OnnxError> {
        let lo = self.scalar_f32(&format!("{hint}.min"), min)?;
        let hi = self.scalar_f32(&format!("{hint}.max"), max)?;
        self.node("Clip", hint, &[x, &lo, &hi], vec![])
    }

    /// ReLU6 = `Clip(x, 0, 6)`.
    pub fn relu6(&mut self, hint: &str, x: &str) -> Result<String, OnnxError> {
        self.clip(hint, x, 0.0, 6.0)
    }

    /// `Relu(x)`.
    pub fn relu(&mut self, hint: &str, x: &str) -> Result<String, OnnxError> {
        self.node("Relu", hint, &[x], vec![])
    }

    /// `Sigmoid(x)`.
    pub fn sigmoid(&mut self, hint: &str, x: &str) -> Result<String, OnnxError> {
        self.node("Sigmoid", hint, &[x], vec![])
    }

    /// Element-wise `a + b` (numpy broadcasting).
    pub fn add(&mut self, a: &str, b: &str) -> Result<String, OnnxError> {
        self.node("Add", &format!("{a}+"), &[a, b], vec![])
    }

    /// Element-wise `a - b` (numpy broadcasting).
    pub fn sub(&mut self, a: &str, b: &str) -> Result<String, OnnxError> {
        self.node("Sub", &format!("{a}-"), &[a, b], vec![])
    }

    /// Element-wise `a * b` (numpy broadcasting).
    pub fn mul(&mut self, a: &str, b: &str) -> Result<String, OnnxError> {
        self.node("Mul", &format!("{a}*"), &[a, b], vec![])
    }

    /// Element-wise `a / b` (numpy broadcasting).
    pub fn div(&mut self, a: &str, b: &str) -> Result<String, OnnxError> {
        self.node("Div", &format!("{a}/"), &[a, b], vec![])
    }

    /// `AveragePool` over `kernel` with `strides` and `pads` (top, left, bottom, right);
    /// `count_include_pad` = true divides by the full window (PyTorch's default).
    pub fn average_pool(
        &mut self,
        hint: &str,
        x: &str,
        kernel: [usize; 2],
        strides: [usize; 2],
        pads: [usize; 4],
        count_include_pad: bool,
    ) -> Result<String, OnnxError> {
        self.node(
            "AveragePool",
            hint,
            &[x],
            vec![
                attr::ints("kernel_shape", &ints(&kernel)),
                attr::ints("strides", &ints(&strides)),
                attr::ints("pads", &ints(&pads)),
                attr::int("count_include_pad", count_include_pad as i64),
            ],
        )
    }

    /// `GlobalAveragePool`: `[n, c, h, w]` → `[n, c, 1, 1]`.
    pub fn global_average_pool(&mut self, hint: &str, x: &str) -> Result<String, OnnxError> {
        self.node("GlobalAveragePool", hint, &[x], vec![])
    }

    /// Bilinear `Resize` of an NCHW tensor to `sizes` = `[n, c, h, w]`, with
    /// `half_pixel` coordinates (= PyTorch `interpolate(mode="bilinear",
    /// align_corners=False)`).
    pub fn resize_bilinear(
        &mut self,
        hint: &str,
        x: &str,
        sizes: [usize; 4],
    ) -> Result<String, OnnxError> {
        let sizes = self.initializer_i64(&format!("{hint}.sizes"), &[4], &ints(&sizes))?;
        self.node(
            "Resize",
            hint,
            &[x, "", "", &sizes],
            vec![
                attr::string("mode", "linear"),
                attr::string("coordinate_transformation_mode", "half_pixel"),
            ],
        )
    }

    /// `Concat` along `axis`.
    pub fn concat(&mut self, hint: &str, xs: &[&str], axis: i64) -> Result<String, OnnxError> {
        if xs.is_empty() {
            return Err(OnnxError::BadArguments {
                op: "Concat",
                reason: "needs at least one input".into(),
            });
        }
        self.node("Concat", hint, xs, vec![attr::int("axis", axis)])
    }

    /// `Flatten` at `axis`: `[d0..d(axis-1)]` × `[rest]`.
    pub fn flatten(&mut self, hint: &str, x: &str, axis: i64) -> Result<String, OnnxError> {
        self.node("Flatten", hint, &[x], vec![attr::int("axis", axis)])
    }

    /// `Gemm`: `a · bᵀ + c` when `trans_b` (the layout of a PyTorch `Linear` weight),
    /// else `a · b + c`.
    pub fn gemm(
        &mut self,
        hint: &str,
        a: &str,
        b: &str,
        c: Option<&str>,
        trans_b: bool,
    ) -> Result<String, OnnxError> {
        let mut inputs = vec![a, b];
        if let Some(c) = c {
            inputs.push(c);
        }
        self.node(
            "Gemm",
            hint,
            &inputs,
            vec![attr::int("transB", trans_b as i64)],
        )
    }

    /// `MatMul(a, b)` (numpy semantics).
    pub fn matmul(&mut self, hint: &str, a: &str, b: &str) -> Result<String, OnnxError> {
        self.node("MatMul", hint, &[a, b], vec![])
    }

    /// `ReduceMean` over `axes`; written as an attribute below opset 18, as an input from 18.
    pub fn reduce_mean(
        &mut self,
        hint: &str,
        x: &str,
        axes: &[i64],
        keep_dims: bool,
    ) -> Result<String, OnnxError> {
        let keep = attr::int("keepdims", keep_dims as i64);
        if self.opset() >= 18 {
            let a = self.initializer_i64(&format!("{hint}.axes"), &[axes.len()], axes)?;
            self.node("ReduceMean", hint, &[x, &a], vec![keep])
        } else {
            self.node(
                "ReduceMean",
                hint,
                &[x],
                vec![attr::ints("axes", axes), keep],
            )
        }
    }

    /// `Transpose` with permutation `perm`.
    pub fn transpose(&mut self, hint: &str, x: &str, perm: &[i64]) -> Result<String, OnnxError> {
        self.node("Transpose", hint, &[x], vec![attr::ints("perm", perm)])
    }

    /// `Reshape` to the constant `shape` (ONNX rules: `0` copies, `-1` infers).
    pub fn reshape(&mut self, hint: &str, x: &str, shape: &[i64]) -> Result<String, OnnxError> {
        let s = self.initializer_i64(&format!("{hint}.shape"), &[shape.len()], shape)?;
        self.node("Reshape", hint, &[x, &s], vec![])
    }
}

#[cfg(test)]
mod tests {
    use tract_onnx::prelude::*;

    use super::*;
    use crate::onnx::runnable_from_bytes;

    /// Conv(1×1, bias) → ReLU6 → ReduceMean(h, w) → Gemm, run by tract, against hand values.
    fn run_small_graph(opset: i64) -> Vec<f32> {
        let mut g = GraphBuilder::new("small").with_opset(opset);
        let x = g.input("x", &[1, 1, 2, 2]).unwrap();
        let c = g
            .conv_with_weights(
                "c",
                &x,
                [2, 1, 1, 1],
                &[1.0, -1.0],
                Some(&[0.5, 0.0]),
                &Conv2d::pointwise(),
            )
            .unwrap();
        let r = g.relu6("r", &c).unwrap();
        let m = g.reduce_mean("m", &r, &[2, 3], false).unwrap();
        let w = g
            .initializer_f32("w", &[3, 2], &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
            .unwrap();
        let b = g.initializer_f32("b", &[3], &[0.0, 1.0, 2.0]).unwrap();
        let y = g.gemm("y", &m, &w, Some(&b), true).unwrap();
        g.output(&y, &[1, 3]).unwrap();
        let plan = runnable_from_bytes(&g.encode(), "small").unwrap();
        let input = Tensor::from_shape(&[1, 1, 2, 2], &[0.0f32, 1.0, 2.0, 3.0]).unwrap();
        let out = plan.run(tvec!(input.into())).unwrap();
        out[0]
            .to_plain_array_view::<f32>()
            .unwrap()
            .iter()
            .copied()
            .collect()
    }

    #[test]
    fn small_graph_runs_in_tract_with_expected_values() {
        // mean(x + 0.5) = 2, mean(relu6(-x)) = 0 → [2, 0]·Wᵀ + b = [2, 1, 4].
        assert_eq!(run_small_graph(13), vec![2.0, 1.0, 4.0]);
        assert_eq!(run_small_graph(18), vec![2.0, 1.0, 4.0]);
    }
}
