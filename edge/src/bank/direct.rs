//! The scoring rule of a teacher–student (`Student`) bundle: its network already outputs
//! the anomaly map (one channel per location: the squared difference between the feature
//! student and the anomaly student, EfficientAD style), so nothing is searched and the
//! patch score is the network's value. It is kept as a bank model so that every bundle's
//! `bank` payload says how network outputs become patch scores, and the grid it names is
//! checked against the graph like every other model's.

use super::{BankError, GridShape};

/// "The network output is the patch-score map", for a `height × width` grid of one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectMap {
    pub(crate) grid: GridShape,
}

impl DirectMap {
    /// A direct map over `height × width` locations.
    ///
    /// # Errors
    /// [`BankError::ZeroDim`] for an empty grid.
    pub fn new(height: usize, width: usize) -> Result<Self, BankError> {
        if height == 0 || width == 0 {
            return Err(BankError::ZeroDim);
        }
        Ok(DirectMap {
            grid: GridShape::new(height, width, 1),
        })
    }

    /// The grid the network must output: `height × width × 1`.
    #[must_use]
    pub fn grid(&self) -> GridShape {
        self.grid
    }

    /// Copies the one-channel network output `patches` into `out`, refusing non-finite
    /// values (a NaN map would otherwise pass a part; the score path rejects it anyway,
    /// this names where it came from).
    ///
    /// # Errors
    /// Grid, output length or finiteness problems.
    pub fn score_map_into(&self, patches: &[f32], out: &mut [f32]) -> Result<(), BankError> {
        self.grid.check_one_image(patches)?;
        self.grid.check_map_output(out)?;
        if let Some(index) = patches.iter().position(|v| !v.is_finite()) {
            return Err(BankError::NonFinite { index });
        }
        out.copy_from_slice(patches);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_the_map_and_refuses_wrong_shapes_and_nan() {
        let m = DirectMap::new(2, 3).unwrap();
        let mut out = [0.0; 6];
        m.score_map_into(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut out)
            .unwrap();
        assert_eq!(out, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert!(m.score_map_into(&[0.0; 5], &mut out).is_err());
        assert!(m.score_map_into(&[0.0; 6], &mut [0.0; 5]).is_err());
        let mut nan = [0.0; 6];
        nan[4] = f32::NAN;
        assert!(matches!(
            m.score_map_into(&nan, &mut out),
            Err(BankError::NonFinite { index: 4 })
        ));
        assert!(DirectMap::new(0, 3).is_err());
    }
}
