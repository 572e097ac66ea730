//! [`TeacherWeights`]: a verified checkpoint turned into BN-folded layers ready to be written
//! as a graph.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::arch::{Arch, BlockSpec};
use super::checkpoint::{read_f32_tensors, RawTensor};
use super::error::TeacherError;
use super::fold::{fold_conv_bn, FoldedConv};
use super::registry::{self, Verification, EFFICIENTNET_LITE0};

/// A fully connected layer, PyTorch layout (`weight` is `[out, in]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    /// Output features.
    pub out_features: usize,
    /// Input features.
    pub in_features: usize,
    /// Row-major `[out, in]`.
    pub weight: Vec<f32>,
    /// One per output.
    pub bias: Vec<f32>,
}

/// One MBConv block with its BatchNorms folded.
#[derive(Debug, Clone, PartialEq)]
pub struct MbBlock {
    /// Shape and wiring.
    pub spec: BlockSpec,
    /// 1×1 expansion (absent in the first block).
    pub expand: Option<FoldedConv>,
    /// k×k depthwise.
    pub depthwise: FoldedConv,
    /// 1×1 projection (linear: no activation after it).
    pub project: FoldedConv,
}

/// EfficientNet-Lite weights, verified against the registry and BN-folded.
#[derive(Debug, Clone, PartialEq)]
pub struct TeacherWeights {
    /// File they were read from.
    pub path: PathBuf,
    /// What the registry says about the file.
    pub verification: Verification,
    /// Derived architecture.
    pub arch: Arch,
    /// Stem: 3×3 stride-2 conv (+BN, ReLU6).
    pub stem: FoldedConv,
    /// The MBConv blocks in order.
    pub blocks: Vec<MbBlock>,
    /// Head: 1×1 conv to `arch.head_channels` (+BN, ReLU6).
    pub head: FoldedConv,
    /// ImageNet classifier.
    pub fc: Linear,
}

impl TeacherWeights {
    /// Verifies `path` against the registry (a registered file name with other content is
    /// refused), reads it and folds every BatchNorm.
    pub fn load(path: &Path) -> Result<Self, TeacherError> {
        let verification = registry::verify(path)?;
        let tensors = read_f32_tensors(path)?;
        Self::from_tensors(path, verification, &tensors)
    }

    /// Loads the shipped EfficientNet-Lite0 (see [`registry::default_path`]).
    pub fn load_default() -> Result<Self, TeacherError> {
        Self::load(&registry::default_path(&EFFICIENTNET_LITE0))
    }

    /// A short name: the registered teacher's, else the file stem.
    pub fn name(&self) -> String {
        match &self.verification {
            Verification::Registered(k) => k.name.to_string(),
            Verification::Unregistered { .. } => self.path.file_stem().map_or_else(
                || "teacher".to_string(),
                |s| s.to_string_lossy().into_owned(),
            ),
        }
    }

    fn from_tensors(
        path: &Path,
        verification: Verification,
        t: &HashMap<String, RawTensor>,
    ) -> Result<Self, TeacherError> {
        let shapes = t
            .iter()
            .map(|(k, v)| (k.clone(), v.shape.clone()))
            .collect();
        let arch = Arch::from_shapes(&shapes)?;
        let stem = fold_conv_bn(t, "_conv_stem", "_bn0")?;
        let blocks = arch
            .blocks
            .iter()
            .map(|spec| {
                let p = format!("_blocks.{}", spec.index);
                Ok(MbBlock {
                    spec: spec.clone(),
                    expand: spec
                        .expand
                        .then(|| {
                            fold_conv_bn(t, &format!("{p}._expand_conv"), &format!("{p}._bn0"))
                        })
                        .transpose()?,
                    depthwise: fold_conv_bn(
                        t,
                        &format!("{p}._depthwise_conv"),
                        &format!("{p}._bn1"),
                    )?,
                    project: fold_conv_bn(t, &format!("{p}._project_conv"), &format!("{p}._bn2"))?,
                })
            })
            .collect::<Result<Vec<_>, TeacherError>>()?;
        let head = fold_conv_bn(t, "_conv_head", "_bn1")?;
        let fc_w = t
            .get("_fc.weight")
            .ok_or_else(|| TeacherError::MissingTensor("_fc.weight".into()))?;
        let fc_b = t
            .get("_fc.bias")
            .ok_or_else(|| TeacherError::MissingTensor("_fc.bias".into()))?;
        if fc_b.shape != [arch.classes] {
            return Err(TeacherError::BadTensor {
                name: "_fc.bias".into(),
                reason: format!("expected [{}], found {:?}", arch.classes, fc_b.shape),
            });
        }
        let fc = Linear {
            out_features: arch.classes,
            in_features: arch.head_channels,
            weight: fc_w.data.clone(),
            bias: fc_b.data.clone(),
        };
        Ok(Self {
            path: path.to_path_buf(),
            verification,
            arch,
            stem,
            blocks,
            head,
            fc,
        })
    }
}
