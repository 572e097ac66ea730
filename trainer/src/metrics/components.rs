//! Connected components of a binary mask with 8-connectivity, the regions AUPRO averages
//! over (same partition as `scipy.ndimage.label(mask, structure=np.ones((3, 3)))`).
//!
//! Always holds: label 0 is background, regions are numbered `1..=count` in raster order
//! of their first pixel (top-left first), and every `true` pixel gets a non-zero label.

/// Labels the 8-connected regions of a row-major `width × height` mask.
///
/// Returns `(labels, count)`: `labels[y * width + x]` is 0 for a `false` pixel, else the
/// region's number in `1..=count`. Two `true` pixels share a region iff a path of `true`
/// pixels joins them, stepping to any of the 8 neighbours (diagonal contact connects).
/// O(width · height) time, one stack of pixel indices as extra memory.
///
/// # Panics
/// If `mask.len() != width * height` (a caller bug: the metrics check sizes before calling).
#[must_use]
pub fn connected_components(mask: &[bool], width: usize, height: usize) -> (Vec<u32>, usize) {
    assert_eq!(
        mask.len(),
        width * height,
        "mask has {} pixels, expected {width}×{height}",
        mask.len()
    );
    let mut labels = vec![0u32; mask.len()];
    let mut count: u32 = 0;
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        count += 1;
        labels[start] = count;
        stack.push(start);
        while let Some(index) = stack.pop() {
            let (x, y) = (index % width, index / width);
            for ny in y.saturating_sub(1)..=(y + 1).min(height - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(width - 1) {
                    let neighbour = ny * width + nx;
                    if mask[neighbour] && labels[neighbour] == 0 {
                        labels[neighbour] = count;
                        stack.push(neighbour);
                    }
                }
            }
        }
    }
    (labels, count as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a drawn mask: `#` anomalous, `.` normal, one string per row.
    fn drawn(rows: &[&str]) -> (Vec<bool>, usize, usize) {
        let width = rows[0].len();
        let mask = rows
            .iter()
            .flat_map(|r| {
                assert_eq!(r.len(), width);
                r.chars().map(|c| c == '#')
            })
            .collect();
        (mask, width, rows.len())
    }

    #[test]
    fn diagonal_contact_connects() {
        let (mask, w, h) = drawn(&[
            "#...", //
            ".#..", //
            "..#.", //
            "...#",
        ]);
        let (labels, count) = connected_components(&mask, w, h);
        assert_eq!(count, 1);
        assert!(labels.iter().zip(&mask).all(|(&l, &m)| (l == 1) == m));
    }

    #[test]
    fn separate_blobs_numbered_in_raster_order() {
        let (mask, w, h) = drawn(&[
            "..##.#", //
            "..#..#", //
            "......", //
            "#.....", //
            "##..##",
        ]);
        let (labels, count) = connected_components(&mask, w, h);
        assert_eq!(count, 4);
        #[rustfmt::skip]
        let expected = vec![
            0, 0, 1, 1, 0, 2,
            0, 0, 1, 0, 0, 2,
            0, 0, 0, 0, 0, 0,
            3, 0, 0, 0, 0, 0,
            3, 3, 0, 0, 4, 4,
        ];
        assert_eq!(labels, expected);
    }

    #[test]
    fn ring_with_hole_is_one_region_and_hole_is_background() {
        let (mask, w, h) = drawn(&[
            "###", //
            "#.#", //
            "###",
        ]);
        let (labels, count) = connected_components(&mask, w, h);
        assert_eq!(count, 1);
        assert_eq!(labels[4], 0);
    }

    #[test]
    fn u_shape_merges_late() {
        // Two arms first met in raster order as separate runs, joined at the bottom.
        let (mask, w, h) = drawn(&[
            "#...#", //
            "#...#", //
            "#####",
        ]);
        let (labels, count) = connected_components(&mask, w, h);
        assert_eq!(count, 1);
        assert_eq!(labels.iter().filter(|&&l| l == 1).count(), 9);
    }

    #[test]
    fn empty_full_and_degenerate_masks() {
        assert_eq!(connected_components(&[false; 6], 3, 2), (vec![0; 6], 0));
        assert_eq!(connected_components(&[true; 6], 3, 2), (vec![1; 6], 1));
        assert_eq!(connected_components(&[], 0, 0), (vec![], 0));
        // A single column: vertical neighbours only.
        let (labels, count) = connected_components(&[true, false, true, true], 1, 4);
        assert_eq!((labels, count), (vec![1, 0, 2, 2], 2));
    }

    #[test]
    #[should_panic(expected = "expected 3×3")]
    fn wrong_size_panics() {
        let _ = connected_components(&[true; 4], 3, 3);
    }
}
