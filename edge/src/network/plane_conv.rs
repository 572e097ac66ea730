//! Convolutions with few input channels per group (depthwise ones, and a stem over the
//! 3 colour planes), vectorised for x86_64 hosts with AVX2 and FMA.
//!
//! Why: on x86_64, tract 0.23's depthwise op ran the teacher's layers at 1.2 GMAC/s (its
//! zone walk reaches a vector kernel for only part of each plane), 60 % of the teacher's
//! time for 12 % of its multiply-accumulates (README, Performance); on aarch64 it has
//! NEON kernels. Its direct convolution for the teacher's 3 → 32 stem took 1.1 ms for
//! 14 M multiply-accumulates. [`substitute`] swaps every float NCHW `Conv` of a
//! decluttered model with at most [`MAX_INPUTS_PER_GROUP`] input channels per group
//! (one, for a 1×1 kernel: tract's matrix products do those better) for [`PlaneConv`]
//! before tract optimises the rest, on x86_64 machines that have AVX2 and FMA;
//! elsewhere (the ARM boards included) tract's own ops stay.
//!
//! How: per group, each input plane of the group is split once into
//! `stride_y × stride_x` phase planes (zero where the padding is), so that every kernel
//! tap of every input channel becomes one contiguous multiply-add over the flattened
//! output rows; per output plane the AVX2 build keeps 32 running sums in registers and
//! walks all `inputs × k²` taps per block, so each output is stored once.
//!
//! Always holds: the result equals tract's up to float rounding (summation order and
//! fused multiply-adds; tests bound the difference); the trainer's features and the
//! device's go through the same [`super::runnable`], so the export parity check compares
//! like with like.

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::cnn::conv::KernelFormat;
use tract_onnx::tract_core::ops::cnn::Conv;
use tract_onnx::tract_core::ops::nn::DataFormat;

use super::clamp::{self, Clamp};

/// Most input channels per group [`PlaneConv`] takes (the taps of one output grow with
/// them; past a few, tract's matrix products win).
pub const MAX_INPUTS_PER_GROUP: usize = 4;

/// Outputs per block of rows (about): with a 3 × 3 stem's 12 phase planes the rows a
/// block reads take ~100 KiB, well inside L2.
const SPAN_BLOCK: usize = 2048;

/// Geometry of one grouped convolution over `[N, C, H, W]` (or `[C, H, W]`) f32 data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Geometry {
    batch: usize,
    in_channels: usize,
    out_channels: usize,
    groups: usize,
    input: (usize, usize),
    output: (usize, usize),
    kernel: (usize, usize),
    strides: (usize, usize),
    dilations: (usize, usize),
    /// Padding before (top, left); the padding after is implied by the output size.
    pad: (usize, usize),
}

impl Geometry {
    fn in_per_group(&self) -> usize {
        self.in_channels / self.groups
    }

    fn out_per_group(&self) -> usize {
        self.out_channels / self.groups
    }

    /// Kernel taps of one output channel: inputs per group × kernel area.
    fn taps(&self) -> usize {
        self.in_per_group() * self.kernel.0 * self.kernel.1
    }

    fn is_depthwise(&self) -> bool {
        self.groups == self.in_channels && self.groups == self.out_channels
    }

    /// Phase-plane size `(rows, cols)`: enough for every tap's shifted window.
    fn phase(&self) -> (usize, usize) {
        let reach = |out: usize, k: usize, d: usize, s: usize| (out - 1) + (k - 1) * d / s + 1;
        (
            reach(
                self.output.0,
                self.kernel.0,
                self.dilations.0,
                self.strides.0,
            ),
            reach(
                self.output.1,
                self.kernel.1,
                self.dilations.1,
                self.strides.1,
            ),
        )
    }
}

/// A grouped convolution with constant weights: `out[o] = clamp(bias[o] + Σ_{i, tap}
/// w[o, i, tap] · in[i, shifted])` over the input channels `i` of `o`'s group, zero
/// outside the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlaneConv {
    geometry: Geometry,
    /// `[C_out, inputs per group × kh × kw]` weights.
    kernel: Arc<Tensor>,
    /// `[C_out]` bias.
    bias: Arc<Tensor>,
    output_shape: TVec<usize>,
    /// The following ReLU/ReLU6 bounds, fused ([`Clamp::to_bits`]).
    clamp: (u32, u32),
}

impl Op for PlaneConv {
    /// Depthwise ones keep their own name in profiles (`trainer bench-teacher` counts them).
    fn name(&self) -> StaticName {
        if self.geometry.is_depthwise() {
            "PlaneDepthwise".into()
        } else {
            "PlaneConv".into()
        }
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![
            format!("{:?}", self.geometry),
            format!("{:?}", Clamp::from_bits(self.clamp)),
        ])
    }

    fn validation(&self) -> Validation {
        Validation::Rounding
    }

    op_as_typed_op!();
}

impl EvalOp for PlaneConv {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let view = input.try_as_plain_ram()?;
        let data = view.as_slice::<f32>()?;
        let g = &self.geometry;
        ensure!(
            data.len() == g.batch * g.in_channels * g.input.0 * g.input.1,
            "PlaneConv: input has {} values, expected {:?}",
            data.len(),
            g
        );
        // SAFETY: f32 has no invalid bit patterns, and `run` writes every output value.
        let mut output = unsafe { Tensor::uninitialized::<f32>(&self.output_shape)? };
        let (kernel, bias) = (
            self.kernel.try_as_plain_ram()?,
            self.bias.try_as_plain_ram()?,
        );
        let operands = Operands {
            kernel: kernel.as_slice::<f32>()?,
            bias: bias.as_slice::<f32>()?,
            input: data,
            clamp: Clamp::from_bits(self.clamp),
        };
        run(
            g,
            operands,
            output.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?,
        )?;
        Ok(tvec!(output.into_tvalue()))
    }
}

impl TypedOp for PlaneConv {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs.len() == 1 && inputs[0].datum_type == f32::datum_type());
        Ok(tvec!(f32::fact(&*self.output_shape)))
    }

    fn cost(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let g = &self.geometry;
        let macs = g.batch * g.out_channels * g.output.0 * g.output.1 * g.taps();
        Ok(tvec!((Cost::FMA(f32::datum_type()), macs.to_dim())))
    }

    as_op!();
}

/// Whether this machine runs [`PlaneConv`]'s vectorised kernel.
#[must_use]
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// What one evaluation reads: `[C_out, taps]` weights, `[C_out]` bias, the `[N, C_in, H, W]`
/// input, and the bounds every output is clamped to.
#[derive(Clone, Copy)]
struct Operands<'a> {
    kernel: &'a [f32],
    bias: &'a [f32],
    input: &'a [f32],
    clamp: Clamp,
}

fn run(g: &Geometry, x: Operands<'_>, output: &mut [f32]) -> TractResult<()> {
    #[cfg(target_arch = "x86_64")]
    if available() {
        return planes(g, x, output, |w, starts, phases, b, clamp, acc| {
            // SAFETY: the CPU has AVX2 and FMA (`available`), and every tap window
            // `start..start + acc.len()` lies in `phases` (`planes` asserts it).
            unsafe { taps_avx2(w, starts, phases, b, clamp, acc) }
        });
    }
    run_portable(g, x, output)
}

/// The same arithmetic without target features (other architectures, and tests).
fn run_portable(g: &Geometry, x: Operands<'_>, output: &mut [f32]) -> TractResult<()> {
    planes(g, x, output, taps_portable)
}

/// Every `(n, group)`: phase split of the group's input planes, then per output plane
/// `taps` over the flattened output rows (`acc[j] = clamp(bias + Σ_t w[t] ·
/// phases[starts[t] + j])` for every `j`, `t` over the input channels' kernel taps).
fn planes(
    g: &Geometry,
    Operands {
        kernel,
        bias,
        input,
        clamp,
    }: Operands<'_>,
    output: &mut [f32],
    taps: impl Fn(&[f32], &[usize], &[f32], f32, Clamp, &mut [f32]) + Sync + Send,
) -> TractResult<()> {
    let (ih, iw) = g.input;
    let (oh, ow) = g.output;
    let (kh, kw) = g.kernel;
    let (sy, sx) = g.strides;
    let (dy, dx) = g.dilations;
    let (qh, qw) = g.phase();
    let (inputs, outputs, taps_per_output) = (g.in_per_group(), g.out_per_group(), g.taps());
    let phase_len = sy * sx * qh * qw;
    // Where each tap's window starts in `phases`: tap (i, ky, kx) reads input i's phase
    // plane ((ky·dy) mod sy, (kx·dx) mod sx) shifted by ((ky·dy) div sy, (kx·dx) div sx).
    let starts: Vec<usize> = (0..taps_per_output)
        .map(|t| {
            let (i, t) = (t / (kh * kw), t % (kh * kw));
            let (ky, kx) = (t / kw, t % kw);
            let (py, ry) = ((ky * dy) % sy, (ky * dy) / sy);
            let (px, rx) = ((kx * dx) % sx, (kx * dx) / sx);
            i * phase_len + (py * sx + px) * qh * qw + ry * qw + rx
        })
        .collect();
    // Flattened output rows at the phase-plane stride: row `oy` starts at `oy · qw`; the
    // columns past `ow` are computed and dropped.
    let span = (oh - 1) * qw + ow;
    assert!(starts.iter().all(|&s| s + span <= inputs * phase_len));
    let rows_per_block = (SPAN_BLOCK / qw).max(1);
    // Groups are independent: on a multithreaded executor they split across its
    // threads, as tract's own depthwise op splits planes; inline otherwise.
    let group_out = outputs * oh * ow;
    tract_linalg::multithread::par_chunks_mut(output, group_out, input.len(), |first, chunk| {
        let mut phases = vec![0.0f32; inputs * phase_len];
        let mut acc = vec![0.0f32; span.min(rows_per_block * qw)];
        for (ix, dst) in chunk.chunks_exact_mut(group_out).enumerate() {
            let (n, group) = ((first + ix) / g.groups, (first + ix) % g.groups);
            for i in 0..inputs {
                let plane = n * g.in_channels + group * inputs + i;
                split_phases(
                    g,
                    &input[plane * ih * iw..(plane + 1) * ih * iw],
                    &mut phases[i * phase_len..(i + 1) * phase_len],
                    (qh, qw),
                );
            }
            // Blocks of output rows, every output channel per block: the phase rows a
            // block reads stay in cache while all the group's outputs are computed.
            for oy0 in (0..oh).step_by(rows_per_block) {
                let oy1 = (oy0 + rows_per_block).min(oh);
                let (from, to) = (oy0 * qw, (oy1 - 1) * qw + ow);
                for o in 0..outputs {
                    let c = group * outputs + o;
                    taps(
                        &kernel[c * taps_per_output..(c + 1) * taps_per_output],
                        &starts,
                        &phases[from..],
                        bias[c],
                        clamp,
                        &mut acc[..to - from],
                    );
                    for oy in oy0..oy1 {
                        let at = (oy - oy0) * qw;
                        dst[(o * oh + oy) * ow..][..ow].copy_from_slice(&acc[at..at + ow]);
                    }
                }
            }
        }
        Ok(())
    })
}

fn taps_portable(
    weights: &[f32],
    starts: &[usize],
    phases: &[f32],
    bias: f32,
    clamp: Clamp,
    acc: &mut [f32],
) {
    acc.fill(bias);
    let span = acc.len();
    for (&w, &start) in weights.iter().zip(starts) {
        for (a, &v) in acc.iter_mut().zip(&phases[start..start + span]) {
            *a = w.mul_add(v, *a);
        }
    }
    if clamp.is_some() {
        acc.iter_mut().for_each(|a| *a = clamp.apply(*a));
    }
}

/// [`taps_portable`] with AVX2: 32 outputs at a time in four registers of running sums
/// (enough independent chains to hide the fused multiply-add latency), every tap's
/// window loaded once per block, each output clamped in registers and stored once
/// (`maxps`/`minps`: a NaN sum becomes the bound, where the portable loop keeps it).
///
/// # Safety
/// The CPU must have AVX2 and FMA, and `start + acc.len() <= phases.len()` for every
/// `start` in `starts`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn taps_avx2(
    weights: &[f32],
    starts: &[usize],
    phases: &[f32],
    bias: f32,
    clamp: Clamp,
    acc: &mut [f32],
) {
    use std::arch::x86_64::{
        _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_max_ps, _mm256_min_ps, _mm256_set1_ps,
        _mm256_storeu_ps,
    };
    let span = acc.len();
    let base = phases.as_ptr();
    let out = acc.as_mut_ptr();
    let b = _mm256_set1_ps(bias);
    let (low, high) = (_mm256_set1_ps(clamp.low), _mm256_set1_ps(clamp.high));
    // A macro, not a closure: the intrinsics stay inside this function's target features.
    macro_rules! bound {
        ($s:expr) => {
            _mm256_min_ps(_mm256_max_ps($s, low), high)
        };
    }
    let mut j = 0;
    // SAFETY (all pointer arithmetic below): j + 32 (or + 8) <= span, and every tap window
    // start..start + span lies in `phases` (the caller's contract).
    unsafe {
        while j + 32 <= span {
            let (mut s0, mut s1, mut s2, mut s3) = (b, b, b, b);
            for (&w, &start) in weights.iter().zip(starts) {
                let w = _mm256_set1_ps(w);
                let p = base.add(start + j);
                s0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(p), s0);
                s1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(p.add(8)), s1);
                s2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(p.add(16)), s2);
                s3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(p.add(24)), s3);
            }
            _mm256_storeu_ps(out.add(j), bound!(s0));
            _mm256_storeu_ps(out.add(j + 8), bound!(s1));
            _mm256_storeu_ps(out.add(j + 16), bound!(s2));
            _mm256_storeu_ps(out.add(j + 24), bound!(s3));
            j += 32;
        }
        while j + 8 <= span {
            let mut s = b;
            for (&w, &start) in weights.iter().zip(starts) {
                s = _mm256_fmadd_ps(_mm256_set1_ps(w), _mm256_loadu_ps(base.add(start + j)), s);
            }
            _mm256_storeu_ps(out.add(j), bound!(s));
            j += 8;
        }
    }
    for j in j..span {
        let mut s = bias;
        for (&w, &start) in weights.iter().zip(starts) {
            s = w.mul_add(phases[start + j], s);
        }
        acc[j] = clamp.apply(s);
    }
}

/// Phase plane `(py, px)` holds padded-input pixel `(r·sy + py, q·sx + px)` at `(r, q)`,
/// zero where that falls in the padding.
fn split_phases(g: &Geometry, src: &[f32], phases: &mut [f32], (qh, qw): (usize, usize)) {
    let (ih, iw) = g.input;
    let (sy, sx) = g.strides;
    let (pt, pl) = g.pad;
    let plane = qh * qw;
    for py in 0..sy {
        // The sx phase planes of row phase py, side by side.
        let rows = &mut phases[py * sx * plane..(py + 1) * sx * plane];
        for r in 0..qh {
            let y = (r * sy + py).wrapping_sub(pt);
            let line = (y < ih).then(|| &src[y * iw..(y + 1) * iw]);
            match (line, sx) {
                (None, _) => {
                    for px in 0..sx {
                        rows[px * plane + r * qw..][..qw].fill(0.0);
                    }
                }
                (Some(line), 1) => shift_row(line, pl, &mut rows[r * qw..][..qw]),
                (Some(line), 2) => {
                    let (even, odd) = rows.split_at_mut(plane);
                    split_row_pairs(
                        line,
                        pl,
                        &mut even[r * qw..][..qw],
                        &mut odd[r * qw..][..qw],
                    );
                }
                (Some(line), _) => {
                    for px in 0..sx {
                        for (q, v) in rows[px * plane + r * qw..][..qw].iter_mut().enumerate() {
                            *v = at(line, (q * sx + px) as isize - pl as isize);
                        }
                    }
                }
            }
        }
    }
}

/// `line[x]`, zero outside the line.
#[inline(always)]
fn at(line: &[f32], x: isize) -> f32 {
    usize::try_from(x)
        .ok()
        .and_then(|x| line.get(x))
        .copied()
        .unwrap_or(0.0)
}

/// `row[q] = line[q − pad]` (stride 1): a copy between zero borders.
fn shift_row(line: &[f32], pad: usize, row: &mut [f32]) {
    let first = pad.min(row.len());
    let count = line.len().min(row.len() - first);
    row[..first].fill(0.0);
    row[first..first + count].copy_from_slice(&line[..count]);
    row[first + count..].fill(0.0);
}

/// `even[q] = line[2q − pad]`, `odd[q] = line[2q + 1 − pad]` (stride 2): one
/// de-interleaving pass over the pairs that lie inside the line, edges one by one.
fn split_row_pairs(line: &[f32], pad: usize, even: &mut [f32], odd: &mut [f32]) {
    let qw = even.len();
    let lo = pad.div_ceil(2).min(qw);
    let hi = ((line.len() + pad) / 2).clamp(lo, qw);
    let edge = |q: usize| {
        let x = (2 * q) as isize - pad as isize;
        (at(line, x), at(line, x + 1))
    };
    for q in (0..lo).chain(hi..qw) {
        (even[q], odd[q]) = edge(q);
    }
    let base = 2 * lo - pad;
    let pairs = line[base..base + 2 * (hi - lo)].chunks_exact(2);
    for ((e, o), pair) in even[lo..hi].iter_mut().zip(&mut odd[lo..hi]).zip(pairs) {
        *e = pair[0];
        *o = pair[1];
    }
}

/// The [`PlaneConv`] for `conv` at `node`, or `None` when it is not a float NCHW 2-D
/// convolution with constant weights and one input channel per group (depthwise), or up
/// to [`MAX_INPUTS_PER_GROUP`] with a kernel larger than 1×1.
fn plane_op(model: &TypedModel, node: &TypedNode, conv: &Conv) -> TractResult<Option<PlaneConv>> {
    let spec = &conv.pool_spec;
    let (cin, cout, groups) = (spec.input_channels, spec.output_channels, conv.group);
    let plain = conv.q_params.is_none()
        && groups >= 1
        && cin % groups == 0
        && cout % groups == 0
        && conv.kernel_fmt == KernelFormat::OIHW
        && matches!(spec.data_format, DataFormat::NCHW | DataFormat::CHW)
        && spec.kernel_shape.len() == 2
        && node.inputs.len() == 3;
    if !plain {
        return Ok(None);
    }
    let (kh, kw) = (spec.kernel_shape[0], spec.kernel_shape[1]);
    let inputs = cin / groups;
    if !(inputs == 1 || (inputs <= MAX_INPUTS_PER_GROUP && kh * kw > 1)) {
        return Ok(None);
    }
    let x = model.outlet_fact(node.inputs[0])?;
    let kernel = model.outlet_fact(node.inputs[1])?;
    let bias = model.outlet_fact(node.inputs[2])?;
    let (Some(shape), Some(kernel), Some(bias)) = (
        x.shape.as_concrete(),
        kernel.konst.clone(),
        bias.konst.clone(),
    ) else {
        return Ok(None);
    };
    if x.datum_type != f32::datum_type()
        || kernel.datum_type() != f32::datum_type()
        || bias.datum_type() != f32::datum_type()
    {
        return Ok(None);
    }
    let (batch, spatial) = match spec.data_format {
        DataFormat::NCHW if shape.len() == 4 => (shape[0], &shape[2..]),
        DataFormat::CHW if shape.len() == 3 => (1, &shape[1..]),
        _ => return Ok(None),
    };
    if shape[shape.len() - 3] != cin || kernel.shape() != [cout, inputs, kh, kw] {
        return Ok(None);
    }
    let bias = match bias.len() {
        1 => tensor1(&vec![bias.try_as_plain_ram()?.as_slice::<f32>()?[0]; cout]),
        n if n == cout => bias.into_tensor().into_shape(&[cout])?,
        _ => return Ok(None),
    };
    let dilations = spec.dilations.clone().unwrap_or_else(|| tvec!(1, 1));
    let strides = spec.strides.clone().unwrap_or_else(|| tvec!(1, 1));
    let dims: TVec<_> = (0..2)
        .map(|axis| {
            spec.padding.compute_one(
                axis,
                &spatial[axis],
                spec.kernel_shape[axis],
                dilations[axis],
                strides[axis],
            )
        })
        .collect();
    let geometry = Geometry {
        batch,
        in_channels: cin,
        out_channels: cout,
        groups,
        input: (spatial[0], spatial[1]),
        output: (dims[0].convoluted, dims[1].convoluted),
        kernel: (kh, kw),
        strides: (strides[0], strides[1]),
        dilations: (dilations[0], dilations[1]),
        pad: (dims[0].pad_before, dims[1].pad_before),
    };
    if geometry.output.0 == 0
        || geometry.output.1 == 0
        || strides.contains(&0)
        || dilations.contains(&0)
    {
        return Ok(None);
    }
    let mut output_shape: TVec<usize> = shape.into();
    let rank = output_shape.len();
    output_shape[rank - 3] = cout;
    output_shape[rank - 2] = geometry.output.0;
    output_shape[rank - 1] = geometry.output.1;
    Ok(Some(PlaneConv {
        geometry,
        kernel: Arc::new(kernel.into_tensor().into_shape(&[cout, geometry.taps()])?),
        bias: Arc::new(bias),
        output_shape,
        clamp: Clamp::NONE.to_bits(),
    }))
}

/// Replaces every convolution [`PlaneConv`] can run in `model` (decluttered) with it, each
/// with the `Max`/`Min` bounds right after it fused in; returns how many convolutions it
/// replaced.
///
/// # Errors
/// tract's error when a fact cannot be read or a patch does not apply.
pub fn substitute(model: &mut TypedModel) -> TractResult<usize> {
    let replaced = super::replace_each(model, plane_op)?;
    while fuse_one_clamp(model)? {}
    Ok(replaced)
}

/// Fuses the first `Max`/`Min` bound found right after a [`PlaneConv`]; whether it
/// found one (node ids change with each patch, so the caller starts over).
fn fuse_one_clamp(model: &mut TypedModel) -> TractResult<bool> {
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(op) = node.op_as::<PlaneConv>() else {
            continue;
        };
        // A model output keeps the unclamped values (`single_succ` counts nodes only).
        let Some(next) = model.single_succ(id)? else {
            continue;
        };
        if model.output_outlets()?.contains(&OutletId::new(id, 0)) {
            continue;
        }
        let Some(clamp) = clamp::tightened(model, id, next, Clamp::from_bits(op.clamp))? else {
            continue;
        };
        let fused = PlaneConv {
            clamp: clamp.to_bits(),
            ..op.clone()
        };
        TypedModelPatch::fuse_with_next(model, node, fused)?.apply(model)?;
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_linalg::multithread::Executor;
    use tract_onnx::tract_core::ops::cnn::{PaddingSpec, PoolSpec};

    struct Case {
        channels: usize,
        /// `(output channels, groups)`; depthwise (`channels`, `channels`) when `None`.
        grouping: Option<(usize, usize)>,
        size: (usize, usize),
        kernel: usize,
        stride: usize,
        dilation: usize,
        padding: PaddingSpec,
    }

    fn values(n: usize, seed: f32) -> Vec<f32> {
        (0..n)
            .map(|i| (i as f32 * 0.37 + seed).sin() * 2.0)
            .collect()
    }

    fn model(case: &Case) -> TypedModel {
        let c = case.channels;
        let (out, groups) = case.grouping.unwrap_or((c, c));
        let k = case.kernel;
        let mut model = TypedModel::default();
        let x = model
            .add_source("x", f32::fact([1, c, case.size.0, case.size.1]))
            .unwrap();
        let per_group = c / groups;
        let kernel = tract_ndarray::ArrayD::from_shape_vec(
            vec![out, per_group, k, k],
            values(out * per_group * k * k, 0.3),
        )
        .unwrap()
        .into_tensor();
        let kernel = model.add_const("kernel", kernel).unwrap();
        let bias = model.add_const("bias", tensor1(&values(out, 1.7))).unwrap();
        let conv = Conv {
            pool_spec: PoolSpec {
                data_format: DataFormat::NCHW,
                kernel_shape: tvec!(k, k),
                padding: case.padding.clone(),
                dilations: Some(tvec!(case.dilation, case.dilation)),
                strides: Some(tvec!(case.stride, case.stride)),
                input_channels: c,
                output_channels: out,
            },
            kernel_fmt: KernelFormat::OIHW,
            group: groups,
            q_params: None,
        };
        let y = model.wire_node("dw", conv, &[x, kernel, bias]).unwrap();
        model.select_output_outlets(&y).unwrap();
        model
    }

    fn run_plan(model: TypedModel, input: &Tensor) -> Vec<f32> {
        run_on(model, input, Executor::SingleThread)
    }

    fn run_on(model: TypedModel, input: &Tensor, executor: Executor) -> Vec<f32> {
        super::super::run_first_output(model, executor, super::super::Kernels::Tract, input)
    }

    #[test]
    fn plane_conv_matches_tract_on_every_geometry() {
        // (channels, (outputs, groups)), size, kernel, stride, dilation, padding.
        let cases = [
            (
                (3, None),
                (9, 7),
                3,
                1,
                1,
                PaddingSpec::Explicit(tvec!(1, 1), tvec!(1, 1)),
            ),
            (
                (4, None),
                (16, 16),
                3,
                2,
                1,
                PaddingSpec::Explicit(tvec!(0, 0), tvec!(1, 1)),
            ),
            (
                (5, None),
                (17, 13),
                5,
                2,
                1,
                PaddingSpec::Explicit(tvec!(2, 1), tvec!(2, 2)),
            ),
            ((2, None), (12, 11), 5, 1, 1, PaddingSpec::SameUpper),
            (
                (3, None),
                (15, 14),
                3,
                1,
                2,
                PaddingSpec::Explicit(tvec!(2, 2), tvec!(2, 2)),
            ),
            ((2, None), (10, 9), 3, 3, 1, PaddingSpec::Valid),
            ((6, None), (8, 8), 3, 2, 1, PaddingSpec::SameLower),
            // A stem over 3 colour planes (the teacher's: 3 → 32, 3×3, stride 2).
            (
                (3, Some((5, 1))),
                (17, 16),
                3,
                2,
                1,
                PaddingSpec::Explicit(tvec!(1, 1), tvec!(1, 1)),
            ),
            // A 4 × 4 stem (the students'), two inputs per group, a channel multiplier.
            ((3, Some((4, 1))), (12, 12), 4, 1, 1, PaddingSpec::Valid),
            ((4, Some((6, 2))), (9, 10), 3, 1, 1, PaddingSpec::SameUpper),
            ((2, Some((6, 2))), (9, 8), 5, 2, 1, PaddingSpec::SameLower),
            // Wide rows: several blocks of rows per plane (`SPAN_BLOCK`).
            (
                (3, Some((2, 1))),
                (23, 700),
                3,
                1,
                1,
                PaddingSpec::SameUpper,
            ),
        ];
        for ((channels, grouping), size, kernel, stride, dilation, padding) in cases {
            let case = Case {
                channels,
                grouping,
                size,
                kernel,
                stride,
                dilation,
                padding,
            };
            let input = tract_ndarray::ArrayD::from_shape_vec(
                vec![1, channels, size.0, size.1],
                values(channels * size.0 * size.1, 0.9),
            )
            .unwrap()
            .into_tensor();
            let reference = run_plan(model(&case), &input);
            let mut swapped = model(&case).into_decluttered().unwrap();
            assert_eq!(substitute(&mut swapped).unwrap(), 1, "{:?}", case.padding);
            assert!(swapped.nodes().iter().any(|n| n.op_is::<PlaneConv>()));
            let ours = run_plan(swapped.clone(), &input);
            // Planes split across threads compute exactly what one thread does.
            assert_eq!(run_on(swapped, &input, Executor::multithread(2)), ours);
            assert_eq!(ours.len(), reference.len(), "{:?}", case.padding);
            let worst = ours
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "{:?}: max difference {worst}", case.padding);
        }
    }

    #[test]
    fn the_portable_and_vectorised_loops_agree() {
        // Depthwise, and a 3 → 2 stem: 3 × 9 taps per output plane.
        for (out_channels, groups) in [(3, 3), (2, 1)] {
            loops_agree(Geometry {
                batch: 1,
                in_channels: 3,
                out_channels,
                groups,
                input: (11, 10),
                output: (6, 5),
                kernel: (3, 3),
                strides: (2, 2),
                dilations: (1, 1),
                pad: (1, 1),
            });
        }
    }

    fn loops_agree(g: Geometry) {
        let outputs = g.out_channels * g.output.0 * g.output.1;
        let (kernel, bias, input) = (
            values(g.out_channels * g.taps(), 0.1),
            values(g.out_channels, 0.2),
            values(g.in_channels * g.input.0 * g.input.1, 0.4),
        );
        let mut a = vec![0.0; outputs];
        let mut b = vec![0.0; outputs];
        let x = Operands {
            kernel: &kernel,
            bias: &bias,
            input: &input,
            clamp: Clamp {
                low: 0.0,
                high: 1.5,
            },
        };
        run_portable(&g, x, &mut a).unwrap();
        run(&g, x, &mut b).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5);
        }
    }

    /// `model(case)` followed by `bounds`, each a `Max` (`true`) or `Min` against a
    /// constant; `fan_out` also outputs the convolution itself.
    fn model_with_bounds(case: &Case, bounds: &[(bool, f32)], fan_out: bool) -> TypedModel {
        use tract_onnx::tract_core::ops::math;
        let mut m = model(case);
        let conv = m.node_by_name("dw").unwrap().id;
        let mut wire = OutletId::new(conv, 0);
        for (i, &(is_max, bound)) in bounds.iter().enumerate() {
            let konst = m
                .add_const(
                    format!("bound{i}"),
                    tensor0(bound).broadcast_into_rank(4).unwrap(),
                )
                .unwrap();
            let op = if is_max { math::max() } else { math::min() };
            wire = m.wire_node(format!("b{i}"), op, &[wire, konst]).unwrap()[0];
        }
        let mut outputs = vec![wire];
        if fan_out {
            outputs.push(OutletId::new(conv, 0));
        }
        m.select_output_outlets(&outputs).unwrap();
        m
    }

    #[test]
    fn relu6_after_the_convolution_is_fused_and_computes_what_tract_does() {
        let case = Case {
            channels: 3,
            grouping: None,
            size: (9, 8),
            kernel: 3,
            stride: 1,
            dilation: 1,
            padding: PaddingSpec::Explicit(tvec!(1, 1), tvec!(1, 1)),
        };
        let input = tract_ndarray::ArrayD::from_shape_vec(vec![1, 3, 9, 8], values(216, 0.9))
            .unwrap()
            .into_tensor();
        let bin_ops = |m: &TypedModel| {
            m.nodes()
                .iter()
                .filter(|n| n.op_is::<tract_onnx::tract_core::ops::binary::TypedBinOp>())
                .count()
        };
        // ReLU6 (max 0, min 6), a plain ReLU, and two upper bounds in a row.
        for bounds in [
            &[(true, 0.0), (false, 1.5)][..],
            &[(true, 0.0)],
            &[(false, 2.0), (false, 1.0)],
        ] {
            let reference = run_plan(model_with_bounds(&case, bounds, false), &input);
            let mut swapped = model_with_bounds(&case, bounds, false)
                .into_decluttered()
                .unwrap();
            assert_eq!(substitute(&mut swapped).unwrap(), 1);
            assert_eq!(bin_ops(&swapped), 0, "{bounds:?} fused");
            let ours = run_plan(swapped, &input);
            assert!(ours.iter().any(|&v| v == bounds[bounds.len() - 1].1));
            let worst = ours
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "{bounds:?}: max difference {worst}");
        }
        // A lower bound after an upper one, and a convolution whose output is also
        // used elsewhere, keep their nodes.
        let mut m = model_with_bounds(&case, &[(false, 6.0), (true, 0.0)], false)
            .into_decluttered()
            .unwrap();
        substitute(&mut m).unwrap();
        assert_eq!(bin_ops(&m), 1, "only the Min is fused");
        let mut m = model_with_bounds(&case, &[(true, 0.0)], true)
            .into_decluttered()
            .unwrap();
        substitute(&mut m).unwrap();
        assert_eq!(bin_ops(&m), 1, "the convolution's raw output is needed");
    }

    #[test]
    fn quantized_wide_and_pointwise_convolutions_stay() {
        let case = |channels, grouping, kernel| Case {
            channels,
            grouping,
            size: (8, 8),
            kernel,
            stride: 1,
            dilation: 1,
            padding: PaddingSpec::Valid,
        };
        let mut m = model(&case(4, None, 3));
        let id = m.node_by_name("dw").unwrap().id;
        let conv = m.node_mut(id).op_as_mut::<Conv>().unwrap();
        conv.q_params = Some(i8::datum_type());
        assert_eq!(substitute(&mut m).unwrap(), 0, "quantized");
        // Eight inputs per output: tract's matrix products.
        let mut m = model(&case(8, Some((4, 1)), 3)).into_decluttered().unwrap();
        assert_eq!(substitute(&mut m).unwrap(), 0, "8 inputs per group");
        // 1×1 over 3 inputs: a matrix product too.
        let mut m = model(&case(3, Some((4, 1)), 1)).into_decluttered().unwrap();
        assert_eq!(substitute(&mut m).unwrap(), 0, "pointwise");
    }
}
