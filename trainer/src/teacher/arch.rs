//! The EfficientNet-Lite architecture, derived from the tensors a checkpoint holds.
//!
//! Lite0/1/2 differ only by width and depth multipliers, so nothing is hard-coded per
//! variant: the number of blocks, their channels, kernel sizes and whether they expand come
//! from the tensor shapes. What the tensors cannot say, the strides, comes from the fixed
//! EfficientNet stage table [`STAGE_STRIDES`]: a new stage starts at every block whose input
//! and output channel counts differ (the first block of each stage changes width; repeats
//! keep it), and there must be exactly 7 stages. A block has a residual connection when its
//! stride is 1 and its input and output channels match.
//!
//! Layers are named `stage1`..`stage7` (output of that stage) or `stride<s>` (output of the
//! *last* stage at cumulative stride `s`): for Lite0, `stride8` = stage 3 (40 channels) and
//! `stride16` = stage 5 (112 channels).

use std::collections::HashMap;

use super::error::TeacherError;

/// Stride of the first block of each of the 7 stages (EfficientNet-B0/Lite table).
pub const STAGE_STRIDES: [usize; 7] = [1, 2, 2, 2, 1, 2, 1];

/// Stride of the stem convolution.
pub const STEM_STRIDE: usize = 2;

/// One MBConv block: optional 1×1 expansion, k×k depthwise, 1×1 projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockSpec {
    /// Block index in the checkpoint (`_blocks.<index>`).
    pub index: usize,
    /// Stage, 0-based.
    pub stage: usize,
    /// Input channels.
    pub in_channels: usize,
    /// Channels of the depthwise conv (expanded width).
    pub hidden_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Depthwise kernel size (square).
    pub kernel: usize,
    /// Depthwise stride.
    pub stride: usize,
    /// Whether a 1×1 expansion conv precedes the depthwise conv.
    pub expand: bool,
    /// Whether the block input is added to its output.
    pub residual: bool,
}

/// The whole network's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arch {
    /// Stem output channels.
    pub stem_channels: usize,
    /// The MBConv blocks in order.
    pub blocks: Vec<BlockSpec>,
    /// Channels of the 1×1 head conv.
    pub head_channels: usize,
    /// Classifier outputs.
    pub classes: usize,
}

fn shape<'a>(
    shapes: &'a HashMap<String, Vec<usize>>,
    name: &str,
    rank: usize,
) -> Result<&'a [usize], TeacherError> {
    let s = shapes
        .get(name)
        .ok_or_else(|| TeacherError::MissingTensor(name.to_string()))?;
    if s.len() != rank {
        return Err(TeacherError::BadTensor {
            name: name.to_string(),
            reason: format!("expected rank {rank}, found shape {s:?}"),
        });
    }
    Ok(s)
}

impl Arch {
    /// Derives the architecture from tensor shapes by state-dict name.
    pub fn from_shapes(shapes: &HashMap<String, Vec<usize>>) -> Result<Self, TeacherError> {
        let stem = shape(shapes, "_conv_stem.weight", 4)?;
        let stem_channels = stem[0];
        let mut blocks: Vec<BlockSpec> = Vec::new();
        let mut stage: Option<usize> = None;
        let mut prev_out = stem_channels;
        for index in 0.. {
            let dw_name = format!("_blocks.{index}._depthwise_conv.weight");
            if !shapes.contains_key(&dw_name) {
                break;
            }
            let dw = shape(shapes, &dw_name, 4)?;
            let (hidden, kernel) = (dw[0], dw[2]);
            let expand_name = format!("_blocks.{index}._expand_conv.weight");
            let expand = shapes.contains_key(&expand_name);
            let in_channels = if expand {
                shape(shapes, &expand_name, 4)?[1]
            } else {
                hidden
            };
            let project = shape(shapes, &format!("_blocks.{index}._project_conv.weight"), 4)?;
            let out_channels = project[0];
            if in_channels != prev_out || project[1] != hidden || dw[1] != 1 || dw[3] != kernel {
                return Err(TeacherError::Architecture(format!(
                    "block {index} does not chain: input {in_channels} after {prev_out} \
                     channels, depthwise {dw:?}, project {project:?}"
                )));
            }
            let starts_stage = stage.is_none() || in_channels != out_channels;
            let s = if starts_stage {
                stage.map_or(0, |s| s + 1)
            } else {
                stage.unwrap_or(0)
            };
            if s >= STAGE_STRIDES.len() {
                return Err(TeacherError::Architecture(format!(
                    "block {index} would start stage {} but EfficientNet has {}",
                    s + 1,
                    STAGE_STRIDES.len()
                )));
            }
            let stride = if starts_stage { STAGE_STRIDES[s] } else { 1 };
            blocks.push(BlockSpec {
                index,
                stage: s,
                in_channels,
                hidden_channels: hidden,
                out_channels,
                kernel,
                stride,
                expand,
                residual: stride == 1 && in_channels == out_channels,
            });
            stage = Some(s);
            prev_out = out_channels;
        }
        let stages = stage.map_or(0, |s| s + 1);
        if stages != STAGE_STRIDES.len() {
            return Err(TeacherError::Architecture(format!(
                "found {} blocks in {stages} stages, expected {} stages",
                blocks.len(),
                STAGE_STRIDES.len()
            )));
        }
        let head = shape(shapes, "_conv_head.weight", 4)?;
        if head[1] != prev_out {
            return Err(TeacherError::Architecture(format!(
                "head conv reads {} channels, last block writes {prev_out}",
                head[1]
            )));
        }
        let fc = shape(shapes, "_fc.weight", 2)?;
        if fc[1] != head[0] {
            return Err(TeacherError::Architecture(format!(
                "fc reads {} features, head writes {}",
                fc[1], head[0]
            )));
        }
        Ok(Self {
            stem_channels,
            blocks,
            head_channels: head[0],
            classes: fc[0],
        })
    }

    /// Number of stages (always 7 for a valid architecture).
    pub fn stage_count(&self) -> usize {
        self.blocks.last().map_or(0, |b| b.stage + 1)
    }

    /// Output channels of `stage` (0-based).
    pub fn stage_channels(&self, stage: usize) -> usize {
        self.blocks
            .iter()
            .rev()
            .find(|b| b.stage == stage)
            .map_or(0, |b| b.out_channels)
    }

    /// Cumulative stride (input pixels per output pixel) after `stage` (0-based).
    pub fn stage_stride(&self, stage: usize) -> usize {
        STEM_STRIDE
            * STAGE_STRIDES[..=stage.min(STAGE_STRIDES.len() - 1)]
                .iter()
                .product::<usize>()
    }

    /// Every accepted layer name (see the module docs).
    pub fn layer_names(&self) -> Vec<String> {
        let mut names: Vec<String> = (0..self.stage_count())
            .map(|s| format!("stride{}", self.stage_stride(s)))
            .collect();
        names.dedup();
        names.extend((1..=self.stage_count()).map(|s| format!("stage{s}")));
        names
    }

    /// The 0-based stage whose output `name` designates.
    pub fn resolve_layer(&self, name: &str) -> Result<usize, TeacherError> {
        let unknown = || TeacherError::UnknownLayer {
            name: name.to_string(),
            known: self.layer_names().join(", "),
        };
        if let Some(n) = name
            .strip_prefix("stage")
            .and_then(|n| n.parse::<usize>().ok())
        {
            return (1..=self.stage_count())
                .contains(&n)
                .then_some(n - 1)
                .ok_or_else(unknown);
        }
        if let Some(s) = name
            .strip_prefix("stride")
            .and_then(|n| n.parse::<usize>().ok())
        {
            return (0..self.stage_count())
                .rev()
                .find(|&st| self.stage_stride(st) == s)
                .ok_or_else(unknown);
        }
        Err(unknown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shapes of an EfficientNet-Lite with the given blocks per stage and stage widths
    /// (expand ratio 6 except the first stage, kernel 3).
    fn synthetic(repeats: &[usize], widths: &[usize]) -> HashMap<String, Vec<usize>> {
        let mut m = HashMap::new();
        m.insert("_conv_stem.weight".into(), vec![32, 3, 3, 3]);
        let (mut prev, mut i) = (32, 0);
        for (s, (&r, &w)) in repeats.iter().zip(widths).enumerate() {
            for _ in 0..r {
                let hidden = if s == 0 { prev } else { prev * 6 };
                if s != 0 {
                    m.insert(
                        format!("_blocks.{i}._expand_conv.weight"),
                        vec![hidden, prev, 1, 1],
                    );
                }
                m.insert(
                    format!("_blocks.{i}._depthwise_conv.weight"),
                    vec![hidden, 1, 3, 3],
                );
                m.insert(
                    format!("_blocks.{i}._project_conv.weight"),
                    vec![w, hidden, 1, 1],
                );
                prev = w;
                i += 1;
            }
        }
        m.insert("_conv_head.weight".into(), vec![1280, prev, 1, 1]);
        m.insert("_fc.weight".into(), vec![1000, 1280]);
        m
    }

    #[test]
    fn derives_lite0_layout() {
        let arch = Arch::from_shapes(&synthetic(
            &[1, 2, 2, 3, 3, 4, 1],
            &[16, 24, 40, 80, 112, 192, 320],
        ))
        .unwrap();
        assert_eq!(arch.blocks.len(), 16);
        let strides: Vec<usize> = arch.blocks.iter().map(|b| b.stride).collect();
        assert_eq!(strides, [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]);
        assert_eq!(
            arch.stage_channels(arch.resolve_layer("stride8").unwrap()),
            40
        );
        assert_eq!(
            arch.stage_channels(arch.resolve_layer("stride16").unwrap()),
            112
        );
        assert!(!arch.blocks[0].residual && arch.blocks[2].residual);
    }

    #[test]
    fn derives_deeper_wider_variant() {
        // Lite2-like: width 1.1, depth 1.2 (first and last stage not repeated more).
        let arch = Arch::from_shapes(&synthetic(
            &[1, 3, 3, 4, 4, 5, 1],
            &[16, 24, 48, 88, 120, 208, 352],
        ))
        .unwrap();
        assert_eq!(arch.blocks.len(), 21);
        assert_eq!(
            arch.stage_channels(arch.resolve_layer("stride8").unwrap()),
            48
        );
        assert_eq!(
            arch.stage_channels(arch.resolve_layer("stage5").unwrap()),
            120
        );
    }

    #[test]
    fn rejects_unknown_layer_naming_the_known_ones() {
        let arch =
            Arch::from_shapes(&synthetic(&[1; 7], &[16, 24, 40, 80, 112, 192, 320])).unwrap();
        let err = arch.resolve_layer("stride3").unwrap_err().to_string();
        assert!(err.contains("stride8") && err.contains("stage7"), "{err}");
    }

    #[test]
    fn rejects_wrong_stage_count() {
        let err = Arch::from_shapes(&synthetic(&[1; 6], &[16, 24, 40, 80, 112, 192])).unwrap_err();
        assert!(matches!(err, TeacherError::Architecture(_)), "{err}");
    }
}
