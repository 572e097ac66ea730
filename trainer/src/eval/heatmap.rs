//! Heat maps back on the camera frame: the inspector's heat map covers the ROI (or the
//! whole frame) stretched to the network input; masks and overlays live at the frame's
//! own size, so pixel metrics need the map resampled onto the frame.

use shared::bundle::Roi;

/// Resamples `heatmap` (`size.0 × size.1`, row-major, covering `roi` or the whole frame
/// when `None`) onto a `frame.0 × frame.1` frame: bilinear with pixel centres aligned
/// (`align_corners = false`, edge values held); pixels outside the ROI get the map's
/// minimum (they were not inspected, so they are never the most anomalous).
///
/// Returns an empty vector when `heatmap.len() != size.0 × size.1` or a size is zero.
#[must_use]
pub fn heatmap_on_frame(
    heatmap: &[f32],
    size: (u32, u32),
    roi: Option<Roi>,
    frame: (u32, u32),
) -> Vec<f32> {
    let (w, h) = (size.0 as usize, size.1 as usize);
    let (fw, fh) = (frame.0 as usize, frame.1 as usize);
    if w == 0 || h == 0 || fw == 0 || fh == 0 || heatmap.len() != w * h {
        return Vec::new();
    }
    let roi = roi.unwrap_or(Roi {
        x: 0,
        y: 0,
        width: frame.0,
        height: frame.1,
    });
    let floor = heatmap.iter().copied().fold(f32::INFINITY, f32::min);
    let mut out = vec![floor; fw * fh];
    let (rx, ry) = (roi.x as usize, roi.y as usize);
    let (rw, rh) = (roi.width as usize, roi.height as usize);
    if rw == w && rh == h {
        for y in 0..h.min(fh.saturating_sub(ry)) {
            let cols = w.min(fw.saturating_sub(rx));
            out[(ry + y) * fw + rx..(ry + y) * fw + rx + cols]
                .copy_from_slice(&heatmap[y * w..y * w + cols]);
        }
        return out;
    }
    let taps = |out_len: usize, in_len: usize| -> Vec<(usize, usize, f32)> {
        let scale = in_len as f32 / out_len as f32;
        (0..out_len)
            .map(|i| {
                let src = ((i as f32 + 0.5) * scale - 0.5).max(0.0);
                let i0 = (src.floor() as usize).min(in_len - 1);
                let i1 = (i0 + 1).min(in_len - 1);
                (i0, i1, src - i0 as f32)
            })
            .collect()
    };
    let xs = taps(rw, w);
    let ys = taps(rh, h);
    for (y, &(y0, y1, fy)) in ys.iter().enumerate() {
        let fy_row = ry + y;
        if fy_row >= fh {
            break;
        }
        let (top, bottom) = (
            &heatmap[y0 * w..(y0 + 1) * w],
            &heatmap[y1 * w..(y1 + 1) * w],
        );
        for (x, &(x0, x1, fx)) in xs.iter().enumerate() {
            let fx_col = rx + x;
            if fx_col >= fw {
                break;
            }
            let t = top[x0] + (top[x1] - top[x0]) * fx;
            let b = bottom[x0] + (bottom[x1] - bottom[x0]) * fx;
            out[fy_row * fw + fx_col] = t + (b - t) * fy;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_size_is_a_copy() {
        let map: Vec<f32> = (0..12).map(|v| v as f32).collect();
        assert_eq!(heatmap_on_frame(&map, (4, 3), None, (4, 3)), map);
    }

    #[test]
    fn upsampling_interpolates_between_centres_and_holds_edges() {
        // 2×1 → 4×1: centres of the output at 0.5, 1.5, 2.5, 3.5 map to -0.25, 0.25,
        // 0.75, 1.25 in the input: held, 1/4, 3/4, held.
        let out = heatmap_on_frame(&[0.0, 4.0], (2, 1), None, (4, 1));
        assert_eq!(out, vec![0.0, 1.0, 3.0, 4.0]);
    }

    #[test]
    fn downsampling_keeps_the_range() {
        let map: Vec<f32> = (0..64).map(|v| (v % 8) as f32).collect();
        let out = heatmap_on_frame(&map, (8, 8), None, (3, 5));
        assert_eq!(out.len(), 15);
        assert!(out.iter().all(|&v| (0.0..=7.0).contains(&v)));
        assert!(out[0] < out[2]);
    }

    #[test]
    fn outside_the_roi_is_the_minimum() {
        let map = vec![5.0, 6.0, 7.0, 8.0];
        let roi = Roi {
            x: 1,
            y: 1,
            width: 2,
            height: 2,
        };
        let out = heatmap_on_frame(&map, (2, 2), Some(roi), (4, 3));
        assert_eq!(
            out,
            vec![5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 6.0, 5.0, 5.0, 7.0, 8.0, 5.0]
        );
    }

    #[test]
    fn bad_lengths_give_nothing() {
        assert!(heatmap_on_frame(&[1.0; 3], (2, 2), None, (2, 2)).is_empty());
        assert!(heatmap_on_frame(&[1.0; 4], (2, 2), None, (0, 2)).is_empty());
    }
}
