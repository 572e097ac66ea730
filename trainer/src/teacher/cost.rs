//! Multiply-accumulate counts of the trunk, split dense (stem, 1×1) vs depthwise, to turn
//! measured times into throughput.

use super::arch::{Arch, STEM_STRIDE};
use super::error::TeacherError;
use super::padding::same_padding;

/// MACs of one forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrunkMacs {
    /// Stem and 1×1 (expand, project) convolutions.
    pub dense: u64,
    /// Depthwise convolutions.
    pub depthwise: u64,
}

/// MACs of stem + blocks up to and including `last_stage` (0-based) at `size`×`size`.
pub fn trunk_macs(arch: &Arch, size: usize, last_stage: usize) -> TrunkMacs {
    let (mut h, _) = same_padding(size, 3, STEM_STRIDE);
    let mut m = TrunkMacs {
        dense: (h * h * arch.stem_channels * 3 * 9) as u64,
        depthwise: 0,
    };
    for b in arch.blocks.iter().filter(|b| b.stage <= last_stage) {
        if b.expand {
            m.dense += (h * h * b.in_channels * b.hidden_channels) as u64;
        }
        h = same_padding(h, b.kernel, b.stride).0;
        m.depthwise += (h * h * b.hidden_channels * b.kernel * b.kernel) as u64;
        m.dense += (h * h * b.hidden_channels * b.out_channels) as u64;
    }
    m
}

/// MACs of the trunk a feature graph over `layers` (e.g. `["stride8", "stride16"]`) runs:
/// stem + blocks up to the deepest of those layers, at `size`×`size`.
///
/// # Errors
/// A layer name the architecture does not know.
pub fn feature_trunk_macs(
    arch: &Arch,
    size: usize,
    layers: &[&str],
) -> Result<TrunkMacs, TeacherError> {
    let mut last_stage = 0;
    for layer in layers {
        last_stage = last_stage.max(arch.resolve_layer(layer)?);
    }
    Ok(trunk_macs(arch, size, last_stage))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn lite0_at_224_costs_about_the_published_400m_macs() {
        // Lite0 layout: (repeats, width, kernel) per stage, expand 6 except stage 1.
        let stages = [
            (1, 16, 3),
            (2, 24, 3),
            (2, 40, 5),
            (3, 80, 3),
            (3, 112, 5),
            (4, 192, 5),
            (1, 320, 3),
        ];
        let mut shapes = HashMap::new();
        shapes.insert("_conv_stem.weight".to_string(), vec![32, 3, 3, 3]);
        let (mut prev, mut i) = (32, 0);
        for (s, &(r, w, k)) in stages.iter().enumerate() {
            for _ in 0..r {
                let hidden = if s == 0 { prev } else { 6 * prev };
                if s != 0 {
                    shapes.insert(
                        format!("_blocks.{i}._expand_conv.weight"),
                        vec![hidden, prev, 1, 1],
                    );
                }
                shapes.insert(
                    format!("_blocks.{i}._depthwise_conv.weight"),
                    vec![hidden, 1, k, k],
                );
                shapes.insert(
                    format!("_blocks.{i}._project_conv.weight"),
                    vec![w, hidden, 1, 1],
                );
                (prev, i) = (w, i + 1);
            }
        }
        shapes.insert("_conv_head.weight".to_string(), vec![1280, 320, 1, 1]);
        shapes.insert("_fc.weight".to_string(), vec![1000, 1280]);
        let arch = Arch::from_shapes(&shapes).unwrap();
        let m = trunk_macs(&arch, 224, 6);
        let head_and_fc = 7 * 7 * 320 * 1280 + 1280 * 1000;
        let total = m.dense + m.depthwise + head_and_fc;
        assert!((380_000_000..420_000_000).contains(&total), "{total} MACs");
    }
}
