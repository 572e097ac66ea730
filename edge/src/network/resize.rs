//! Bilinear resizing of the last two axes, plane by plane.
//!
//! Why: tract 0.23's `Resize` walks one axis at a time with a loop per output element
//! that, on the width axis, handles one value per iteration; the teacher's stride-16
//! upsampling (112 × 16² → 32²) took 1.1 ms of its 18 ms at 256² (`cargo bench -p edge
//! --bench network_profile`). [`substitute`] swaps every float linear `Resize` of a
//! decluttered model that only resizes height and width for [`PlaneResize`].
//!
//! Always holds: the taps and weights are tract's own ([`Resize::plan_axis`]), applied
//! in tract's order (height, then width) and with the same arithmetic, so the result is
//! tract's bit for bit.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::nn::{Interpolator, Resize};

/// For each output index along one axis: the two input indices it reads and their
/// weights (as bits, so the op can derive `Hash`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AxisTaps {
    index: Vec<[usize; 2]>,
    weight_bits: Vec<[u32; 2]>,
}

impl AxisTaps {
    /// From tract's plan for the axis; `None` unless every output reads two taps and
    /// none is extrapolated.
    fn of(op: &Resize, scale: f32, len_in: usize, len_out: usize) -> Option<AxisTaps> {
        let plan = op.plan_axis(scale, len_in, len_out);
        if plan.window != 2 || plan.extrapolated.contains(&true) {
            return None;
        }
        Some(AxisTaps {
            index: plan.indices.chunks_exact(2).map(|i| [i[0], i[1]]).collect(),
            weight_bits: plan
                .weights
                .chunks_exact(2)
                .map(|w| [w[0].to_bits(), w[1].to_bits()])
                .collect(),
        })
    }

    fn weights(&self, out: usize) -> [f32; 2] {
        self.weight_bits[out].map(f32::from_bits)
    }
}

/// `out[p, y, x] = Σ_taps wy · Σ_taps wx · in[p, iy, ix]` over the planes `p` of an
/// `[..., H, W]` f32 tensor, height first (`None`: that axis keeps its length).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlaneResize {
    input: (usize, usize),
    rows: Option<AxisTaps>,
    cols: Option<AxisTaps>,
    output_shape: TVec<usize>,
}

impl Op for PlaneResize {
    fn name(&self) -> StaticName {
        "PlaneResize".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        let (oh, ow) = self.output();
        Ok(vec![format!("{:?} -> {:?}", self.input, (oh, ow))])
    }

    op_as_typed_op!();
}

impl PlaneResize {
    fn output(&self) -> (usize, usize) {
        let rank = self.output_shape.len();
        (self.output_shape[rank - 2], self.output_shape[rank - 1])
    }

    /// One `ih × iw` plane into one `oh × ow` plane; `row` holds one height-resized row.
    fn plane(&self, src: &[f32], dst: &mut [f32], row: &mut [f32]) {
        let iw = self.input.1;
        let (_, ow) = self.output();
        for (y, out_row) in dst.chunks_exact_mut(ow).enumerate() {
            // Height: a weighted sum of two input rows, or the row itself.
            let line: &[f32] = match &self.rows {
                Some(taps) => {
                    let [i0, i1] = taps.index[y];
                    let [w0, w1] = taps.weights(y);
                    let (a, b) = (&src[i0 * iw..][..iw], &src[i1 * iw..][..iw]);
                    for ((r, &a), &b) in row.iter_mut().zip(a).zip(b) {
                        *r = sum2(w0, a, w1, b);
                    }
                    row
                }
                None => &src[y * iw..][..iw],
            };
            match &self.cols {
                Some(taps) => {
                    for (x, o) in out_row.iter_mut().enumerate() {
                        let [j0, j1] = taps.index[x];
                        let [w0, w1] = taps.weights(x);
                        *o = sum2(w0, line[j0], w1, line[j1]);
                    }
                }
                None => out_row.copy_from_slice(line),
            }
        }
    }
}

/// `0 + w0·a + w1·b` as tract's resampler sums it: a zero weight's tap is skipped.
#[inline]
fn sum2(w0: f32, a: f32, w1: f32, b: f32) -> f32 {
    let mut s = 0.0;
    if w0 != 0.0 {
        s += w0 * a;
    }
    if w1 != 0.0 {
        s += w1 * b;
    }
    s
}

impl EvalOp for PlaneResize {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = inputs.into_iter().next().context("PlaneResize: no input")?;
        let view = input.try_as_plain_ram()?;
        let data = view.as_slice::<f32>()?;
        let (ih, iw) = self.input;
        let (oh, ow) = self.output();
        let planes: usize = self.output_shape[..self.output_shape.len() - 2]
            .iter()
            .product();
        ensure!(
            data.len() == planes * ih * iw,
            "PlaneResize: input has {} values, expected {planes} planes of {ih}×{iw}",
            data.len()
        );
        // SAFETY: f32 has no invalid bit patterns, and `plane` writes every output value.
        let mut output = unsafe { Tensor::uninitialized::<f32>(&self.output_shape)? };
        let mut view = output.try_as_plain_ram_mut()?;
        let out = view.as_slice_mut::<f32>()?;
        let mut row = vec![0.0f32; iw];
        for (src, dst) in data
            .chunks_exact(ih * iw)
            .zip(out.chunks_exact_mut(oh * ow))
        {
            self.plane(src, dst, &mut row);
        }
        Ok(tvec!(output.into_tvalue()))
    }
}

impl TypedOp for PlaneResize {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs
            .first()
            .is_some_and(|f| f.datum_type == f32::datum_type()));
        Ok(tvec!(f32::fact(&*self.output_shape)))
    }

    as_op!();
}

/// The [`PlaneResize`] for the core `Resize` at `node`, or `None` when it is not a float
/// linear resize of the last two axes with constant scales or sizes.
fn plane_op(model: &TypedModel, node: &TypedNode, op: &Resize) -> TractResult<Option<PlaneResize>> {
    if op.interpolator != Interpolator::Linear {
        return Ok(None);
    }
    let input = model.outlet_fact(node.inputs[0])?;
    let output = model.outlet_fact(OutletId::new(node.id, 0))?;
    let (Some(shape_in), Some(shape_out)) = (input.shape.as_concrete(), output.shape.as_concrete())
    else {
        return Ok(None);
    };
    let rank = shape_in.len();
    if input.datum_type != f32::datum_type()
        || output.datum_type != f32::datum_type()
        || rank < 2
        || shape_out.len() != rank
        || shape_in[..rank - 2] != shape_out[..rank - 2]
        || shape_in.contains(&0)
        || shape_out.contains(&0)
    {
        return Ok(None);
    }
    // The scales tract's eval uses: the scales input when it has one per axis, else
    // output ÷ input lengths (the sizes are constant: the output shape is concrete).
    let scales_input = match op.optional_scales_input.and_then(|ix| node.inputs.get(ix)) {
        Some(&outlet) => match model.outlet_fact(outlet)?.konst.clone() {
            Some(scales) => Some(scales),
            None => return Ok(None),
        },
        None => None,
    };
    let scales: Vec<f32> = match scales_input {
        Some(s) if s.len() == rank => s
            .cast_to::<f32>()?
            .try_as_plain_ram()?
            .as_slice::<f32>()?
            .to_vec(),
        _ => shape_out
            .iter()
            .zip(shape_in)
            .map(|(&o, &i)| o as f32 / i as f32)
            .collect(),
    };
    if scales[..rank - 2].iter().any(|&s| s != 1.0) {
        return Ok(None);
    }
    let axis = |a: usize| -> Result<Option<AxisTaps>, ()> {
        let (len_in, len_out) = (shape_in[a], shape_out[a]);
        if len_in == len_out && scales[a] == 1.0 {
            return Ok(None);
        }
        AxisTaps::of(op, scales[a], len_in, len_out)
            .map(Some)
            .ok_or(())
    };
    let (Ok(rows), Ok(cols)) = (axis(rank - 2), axis(rank - 1)) else {
        return Ok(None);
    };
    Ok(Some(PlaneResize {
        input: (shape_in[rank - 2], shape_in[rank - 1]),
        rows,
        cols,
        output_shape: shape_out.into(),
    }))
}

/// Replaces every `Resize` [`PlaneResize`] can run in `model` (decluttered) with it;
/// returns how many it replaced.
///
/// # Errors
/// tract's error when a fact cannot be read or a patch does not apply.
pub fn substitute(model: &mut TypedModel) -> TractResult<usize> {
    super::replace_each(model, plane_op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_linalg::multithread::Executor;
    use tract_onnx::tract_core::ops::nn::{CoordTransformer, Nearest};

    fn model(input: [usize; 4], sizes: [usize; 4], coords: CoordTransformer) -> TypedModel {
        let mut m = TypedModel::default();
        let x = m.add_source("x", f32::fact(input)).unwrap();
        let sizes: Vec<i64> = sizes.iter().map(|&s| s as i64).collect();
        let sizes = m.add_const("sizes", tensor1(&sizes)).unwrap();
        let op = Resize {
            coord_transformer: coords,
            interpolator: Interpolator::Linear,
            nearest: Nearest::Floor,
            optional_scales_input: None,
            optional_sizes_input: Some(1),
        };
        let y = m.wire_node("up", op, &[x, sizes]).unwrap();
        m.select_output_outlets(&y).unwrap();
        m
    }

    fn run(model: TypedModel, kernels: super::super::Kernels, input: &Tensor) -> Vec<f32> {
        super::super::run_first_output(model, Executor::SingleThread, kernels, input)
    }

    #[test]
    fn plane_resize_is_tracts_resize_bit_for_bit() {
        let cases = [
            // The teacher's stride-16 upsampling, and odd ratios both ways.
            ([1, 3, 16, 16], [1, 3, 32, 32], CoordTransformer::HalfPixel),
            ([1, 2, 5, 7], [1, 2, 7, 12], CoordTransformer::HalfPixel),
            ([1, 2, 9, 8], [1, 2, 4, 3], CoordTransformer::HalfPixel),
            ([2, 1, 6, 4], [2, 1, 11, 4], CoordTransformer::AlignCorners),
            ([1, 2, 6, 4], [1, 2, 6, 9], CoordTransformer::Asymmetric),
        ];
        for (shape, sizes, coords) in cases {
            let n: usize = shape.iter().product();
            let values: Vec<f32> = (0..n).map(|i| (i as f32 * 0.61).sin() * 3.0).collect();
            let input = tract_ndarray::ArrayD::from_shape_vec(shape.to_vec(), values)
                .unwrap()
                .into_tensor();
            let reference = run(
                model(shape, sizes, coords.clone()),
                super::super::Kernels::Tract,
                &input,
            );
            let mut swapped = model(shape, sizes, coords.clone())
                .into_decluttered()
                .unwrap();
            assert_eq!(
                substitute(&mut swapped).unwrap(),
                1,
                "{shape:?} -> {sizes:?}"
            );
            assert!(swapped.nodes().iter().any(|n| n.op_is::<PlaneResize>()));
            let ours = run(swapped, super::super::Kernels::Tract, &input);
            assert_eq!(ours.len(), sizes.iter().product::<usize>());
            assert!(
                ours.iter()
                    .zip(&reference)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{shape:?} -> {sizes:?} {coords:?}"
            );
        }
    }

    #[test]
    fn nearest_resizes_and_channel_resizes_stay() {
        let mut m = model([1, 2, 4, 4], [1, 2, 8, 8], CoordTransformer::HalfPixel);
        let id = m.node_by_name("up").unwrap().id;
        m.node_mut(id).op_as_mut::<Resize>().unwrap().interpolator = Interpolator::Nearest;
        assert_eq!(substitute(&mut m).unwrap(), 0);
        let mut m = model([1, 2, 4, 4], [1, 3, 8, 8], CoordTransformer::HalfPixel);
        assert_eq!(substitute(&mut m).unwrap(), 0);
    }
}
