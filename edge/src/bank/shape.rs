//! Input shapes and their validation: flat row-major vector sets (`&[f32]` + `dim`) and
//! per-image patch grids ([`GridShape`]). Every public entry point of the module checks
//! its inputs here first, so the math behind it can assume whole, finite rows.

use super::BankError;

/// One image's patch-feature grid: `height × width` patches of `dim` features, stored
/// row-major as `[y][x][d]` (patch `(y, x)` starts at `(y * width + x) * dim`). Several
/// images are stored back to back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridShape {
    /// Patch rows (e.g. 32 for a 256² input at stride 8).
    pub height: usize,
    /// Patch columns.
    pub width: usize,
    /// Features per patch (e.g. 152 = 40 + 112 for EfficientNet-Lite0).
    pub dim: usize,
}

impl GridShape {
    /// A grid of `height × width` patches with `dim` features each.
    pub fn new(height: usize, width: usize, dim: usize) -> Self {
        GridShape { height, width, dim }
    }

    /// Patches per image, `height * width`.
    pub fn cells(&self) -> usize {
        self.height * self.width
    }

    /// Floats per image, `height * width * dim`.
    pub fn floats_per_image(&self) -> usize {
        self.cells() * self.dim
    }

    /// Checks `data` holds a whole, non-zero number of finite images of this shape and
    /// returns how many.
    pub fn check_images(&self, data: &[f32]) -> Result<usize, BankError> {
        if self.dim == 0 {
            return Err(BankError::ZeroDim);
        }
        let per = self.floats_per_image();
        if per == 0 || data.is_empty() || data.len().checked_rem(per) != Some(0) {
            return Err(self.mismatch(*self, data.len()));
        }
        check_finite(data)?;
        Ok(data.len() / per)
    }

    /// Checks `data` is exactly one finite image of this shape.
    pub fn check_one_image(&self, data: &[f32]) -> Result<(), BankError> {
        if self.check_images(data)? != 1 {
            return Err(self.mismatch(*self, data.len()));
        }
        Ok(())
    }

    /// Checks `out` holds exactly one score per grid cell (`height × width`).
    pub fn check_map_output(&self, out: &[f32]) -> Result<(), BankError> {
        if out.len() != self.cells() {
            return Err(BankError::OutputLength {
                expected: self.cells(),
                got: out.len(),
            });
        }
        Ok(())
    }

    /// The error for data of `got` shape (or length) given to a model of shape `self`.
    pub fn mismatch(&self, got: GridShape, len: usize) -> BankError {
        BankError::GridMismatch {
            expected_height: self.height,
            expected_width: self.width,
            expected_dim: self.dim,
            got_height: got.height,
            got_width: got.width,
            got_dim: got.dim,
            len,
        }
    }
}

/// Checks `data` is a non-empty whole number of finite `dim`-sized rows; returns the row
/// count.
pub fn check_rows(data: &[f32], dim: usize) -> Result<usize, BankError> {
    if dim == 0 {
        return Err(BankError::ZeroDim);
    }
    if data.is_empty() {
        return Err(BankError::Empty);
    }
    if data.len().checked_rem(dim) != Some(0) {
        return Err(BankError::RaggedData {
            len: data.len(),
            dim,
        });
    }
    check_finite(data)?;
    Ok(data.len() / dim)
}

/// First non-finite value, as an error.
pub fn check_finite(data: &[f32]) -> Result<(), BankError> {
    match data.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(BankError::NonFinite { index }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_grids_are_validated() {
        assert_eq!(check_rows(&[1.0; 6], 3), Ok(2));
        assert_eq!(check_rows(&[], 3), Err(BankError::Empty));
        assert_eq!(check_rows(&[1.0; 6], 0), Err(BankError::ZeroDim));
        assert!(matches!(
            check_rows(&[1.0; 7], 3),
            Err(BankError::RaggedData { .. })
        ));
        assert_eq!(
            check_rows(&[1.0, f32::NAN, 0.0], 3),
            Err(BankError::NonFinite { index: 1 })
        );
        let g = GridShape::new(2, 3, 4);
        assert_eq!(g.check_images(&[0.0; 48]), Ok(2));
        assert!(g.check_one_image(&[0.0; 48]).is_err());
        assert!(g.check_images(&[0.0; 25]).is_err());
    }
}
