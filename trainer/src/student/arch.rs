//! The student's shape: plain and pointwise convolutions only (no depthwise, no
//! normalisation layers), ReLU between them, as in EfficientAD's PDN. tract runs dense
//! convolutions several times faster per MAC than the teacher's depthwise ones
//! (DESIGN.md), which is the point of distilling.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{PaddingConfig2d, Relu};
use burn::prelude::*;
use burn::tensor::TensorData;

/// One convolution: `kernel × kernel`, `stride`, `dilation`, "same" zero padding
/// (`dilation · (kernel − 1) / 2` on every side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvSpec {
    /// Output channels.
    pub out: usize,
    /// Square kernel side (odd).
    pub kernel: usize,
    /// Stride (both axes).
    pub stride: usize,
    /// Dilation (both axes).
    pub dilation: usize,
}

impl ConvSpec {
    const fn new(out: usize, kernel: usize, stride: usize, dilation: usize) -> Self {
        ConvSpec {
            out,
            kernel,
            stride,
            dilation,
        }
    }

    /// Zero padding on each side.
    #[must_use]
    pub fn pad(&self) -> usize {
        self.dilation * (self.kernel - 1) / 2
    }

    /// Output side for an input side `n`.
    #[must_use]
    pub fn out_side(&self, n: usize) -> usize {
        (n + 2 * self.pad() - self.dilation * (self.kernel - 1) - 1) / self.stride + 1
    }
}

/// A student: input channels and its convolutions in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentArch {
    /// Input channels (3: RGB).
    pub input_channels: usize,
    /// The convolutions; ReLU follows every one but the last.
    pub convs: Vec<ConvSpec>,
}

impl StudentArch {
    /// The default feature student for `out` channels at stride 8: three stride-2 3×3
    /// convolutions, two dilated 3×3 ones that widen the receptive field to 111 px (the
    /// teacher's stride-16 features see far; without them the student cannot follow), and
    /// a pointwise head. 0.28 GMAC at 256² for 152 outputs.
    #[must_use]
    pub fn feature_student(out: usize) -> Self {
        StudentArch {
            input_channels: 3,
            convs: vec![
                ConvSpec::new(24, 3, 2, 1),
                ConvSpec::new(48, 3, 2, 1),
                ConvSpec::new(96, 3, 2, 1),
                ConvSpec::new(96, 3, 1, 2),
                ConvSpec::new(96, 3, 1, 4),
                ConvSpec::new(out, 1, 1, 1),
            ],
        }
    }

    /// The anomaly student of a teacher–student pair (EfficientAD's student, following
    /// the feature student): the same stride, dilations and receptive field at two
    /// thirds of the width, 0.13 GMAC at 256² for 152 outputs. Trained on good images
    /// (by default), it fails to follow where a part differs from them, and that
    /// failure is the anomaly map.
    #[must_use]
    pub fn anomaly_student(out: usize) -> Self {
        StudentArch {
            input_channels: 3,
            convs: vec![
                ConvSpec::new(16, 3, 2, 1),
                ConvSpec::new(32, 3, 2, 1),
                ConvSpec::new(64, 3, 2, 1),
                ConvSpec::new(64, 3, 1, 2),
                ConvSpec::new(64, 3, 1, 4),
                ConvSpec::new(out, 1, 1, 1),
            ],
        }
    }

    /// Output channels.
    #[must_use]
    pub fn output_channels(&self) -> usize {
        self.convs.last().map_or(self.input_channels, |c| c.out)
    }

    /// Total stride (input pixels per output cell).
    #[must_use]
    pub fn stride(&self) -> usize {
        self.convs.iter().map(|c| c.stride).product()
    }

    /// Output `(height, width)` for an input of `(height, width)` pixels.
    #[must_use]
    pub fn output_size(&self, (height, width): (usize, usize)) -> (usize, usize) {
        self.convs
            .iter()
            .fold((height, width), |(h, w), c| (c.out_side(h), c.out_side(w)))
    }

    /// Receptive field side in input pixels.
    #[must_use]
    pub fn receptive_field(&self) -> usize {
        let (mut field, mut jump) = (1, 1);
        for c in &self.convs {
            field += c.dilation * (c.kernel - 1) * jump;
            jump *= c.stride;
        }
        field
    }

    /// Multiply-accumulates for one `(height, width)` input.
    #[must_use]
    pub fn macs(&self, (height, width): (usize, usize)) -> u64 {
        let (mut h, mut w, mut cin) = (height, width, self.input_channels);
        let mut total = 0u64;
        for c in &self.convs {
            (h, w) = (c.out_side(h), c.out_side(w));
            total += (h * w * c.out * cin * c.kernel * c.kernel) as u64;
            cin = c.out;
        }
        total
    }

    /// One line: layer shapes, e.g. `3→24 k3 s2, …`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut cin = self.input_channels;
        let mut parts = Vec::new();
        for c in &self.convs {
            let mut s = format!("{cin}→{} k{} s{}", c.out, c.kernel, c.stride);
            if c.dilation > 1 {
                s.push_str(&format!(" d{}", c.dilation));
            }
            parts.push(s);
            cin = c.out;
        }
        parts.join(", ")
    }
}

/// The student as a burn module.
#[derive(Module, Debug)]
pub struct StudentNet {
    convs: Vec<Conv2d>,
    activation: Relu,
}

impl StudentNet {
    /// Freshly initialised (burn's default initialiser; seed the device for repeatability).
    #[must_use]
    pub fn new(arch: &StudentArch, device: &Device) -> Self {
        let mut cin = arch.input_channels;
        let convs = arch
            .convs
            .iter()
            .map(|c| {
                let p = c.pad();
                let conv = Conv2dConfig::new([cin, c.out], [c.kernel, c.kernel])
                    .with_stride([c.stride, c.stride])
                    .with_dilation([c.dilation, c.dilation])
                    .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
                    .init(device);
                cin = c.out;
                conv
            })
            .collect();
        StudentNet {
            convs,
            activation: Relu::new(),
        }
    }

    /// A net holding `weights` (as [`StudentNet::weights`] returns them), on `device`.
    #[must_use]
    pub fn from_weights(
        arch: &StudentArch,
        weights: &[(Vec<f32>, Vec<f32>)],
        device: &Device,
    ) -> Self {
        let mut net = StudentNet::new(arch, device);
        let mut cin = arch.input_channels;
        for ((conv, spec), (w, b)) in net.convs.iter_mut().zip(&arch.convs).zip(weights) {
            let dims = [spec.out, cin, spec.kernel, spec.kernel];
            conv.weight =
                Param::from_tensor(Tensor::from_data(TensorData::new(w.clone(), dims), device));
            if !b.is_empty() {
                conv.bias = Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(b.clone(), [spec.out]),
                    device,
                )));
            }
            cin = spec.out;
        }
        net
    }

    /// `[batch, 3, h, w]` → `[batch, out, h / stride, w / stride]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let last = self.convs.len().saturating_sub(1);
        self.convs.iter().enumerate().fold(x, |x, (i, conv)| {
            let y = conv.forward(x);
            if i < last {
                self.activation.forward(y)
            } else {
                y
            }
        })
    }

    /// Each convolution's weights (`[out, in, k, k]` row-major) and bias, on the host.
    #[must_use]
    pub fn weights(&self) -> Vec<(Vec<f32>, Vec<f32>)> {
        self.convs
            .iter()
            .map(|conv| {
                let w = host_vec(conv.weight.val().into_data());
                let b = conv
                    .bias
                    .as_ref()
                    .map_or_else(Vec::new, |b| host_vec(b.val().into_data()));
                (w, b)
            })
            .collect()
    }
}

/// A tensor's values as host f32s (empty if they cannot be converted, which a float
/// tensor always can).
#[must_use]
pub fn host_vec(data: TensorData) -> Vec<f32> {
    data.convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_feature_student_matches_the_teacher_grid_and_budget() {
        let arch = StudentArch::feature_student(152);
        assert_eq!(arch.output_size((256, 256)), (32, 32));
        assert_eq!(arch.output_size((200, 320)), (25, 40));
        assert_eq!(arch.stride(), 8);
        assert_eq!(arch.receptive_field(), 111);
        let gmac = arch.macs((256, 256)) as f64 / 1e9;
        assert!(gmac <= 0.3, "{gmac} GMAC");
        assert!(gmac > 0.2, "{gmac} GMAC");
    }

    #[test]
    fn the_anomaly_student_sees_as_far_for_half_the_work() {
        let (feature, anomaly) = (
            StudentArch::feature_student(152),
            StudentArch::anomaly_student(152),
        );
        assert_eq!(anomaly.output_size((256, 256)), (32, 32));
        assert_eq!(anomaly.receptive_field(), feature.receptive_field());
        let ratio = anomaly.macs((256, 256)) as f64 / feature.macs((256, 256)) as f64;
        assert!((0.4..0.55).contains(&ratio), "{ratio}");
    }
}
