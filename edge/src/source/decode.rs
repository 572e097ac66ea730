//! Camera pixel formats → [`RgbImage`]: pure functions, no device, fully tested.
//!
//! - YUYV (YUV 4:2:2, `Y0 U Y1 V` per two pixels), BT.601 limited range (Y 16–235,
//!   U/V 16–240) → full-range RGB in exact integer arithmetic (8-bit fixed point, the
//!   coefficients of ITU-R BT.601 scaled by 256; within 1 of the exact real result).
//! - GREY (8-bit luma) → RGB with R = G = B = Y (no range conversion: V4L2 GREY is full
//!   range).
//! - MJPEG: one JPEG per frame; the standard Huffman tables are inserted when the camera
//!   omitted them ([`super::mjpeg`]), then `image` decodes it.
//!
//! Raw formats must hold exactly `stride × height` bytes: a shorter or longer buffer is a
//! [`DecodeError::Length`] naming both lengths, never a partial image.

use std::fmt;
use std::io::Cursor;
use std::str::FromStr;

use image::{ImageFormat, ImageReader, Limits, RgbImage};
use serde::{Deserialize, Serialize};

use super::mjpeg;

/// A camera pixel format, named by its V4L2 four-character code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PixelFormat {
    /// YUV 4:2:2 packed, `Y0 U Y1 V`, BT.601 limited range (`YUYV`).
    #[serde(rename = "YUYV")]
    Yuyv,
    /// Motion JPEG, one JPEG per frame (`MJPG`).
    #[serde(rename = "MJPG")]
    Mjpeg,
    /// 8-bit greyscale (`GREY`).
    #[serde(rename = "GREY")]
    Grey,
}

impl PixelFormat {
    /// The V4L2 four-character code.
    #[must_use]
    pub fn fourcc(self) -> [u8; 4] {
        match self {
            PixelFormat::Yuyv => *b"YUYV",
            PixelFormat::Mjpeg => *b"MJPG",
            PixelFormat::Grey => *b"GREY",
        }
    }

    /// The format with this four-character code, if supported.
    #[must_use]
    pub fn from_fourcc(code: [u8; 4]) -> Option<Self> {
        [PixelFormat::Yuyv, PixelFormat::Mjpeg, PixelFormat::Grey]
            .into_iter()
            .find(|f| f.fourcc() == code)
    }

    /// Bytes per pixel of a packed raw format; `None` for compressed MJPEG.
    #[must_use]
    pub fn bytes_per_pixel(self) -> Option<u32> {
        match self {
            PixelFormat::Yuyv => Some(2),
            PixelFormat::Grey => Some(1),
            PixelFormat::Mjpeg => None,
        }
    }
}

impl fmt::Display for PixelFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.fourcc();
        f.write_str(std::str::from_utf8(&code).unwrap_or("????"))
    }
}

/// A pixel-format name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown pixel format `{0}`: expected YUYV, MJPG (or MJPEG) or GREY (or GRAY)")]
pub struct UnknownFormat(pub String);

impl FromStr for PixelFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "YUYV" | "YUY2" => Ok(PixelFormat::Yuyv),
            "MJPG" | "MJPEG" => Ok(PixelFormat::Mjpeg),
            "GREY" | "GRAY" | "Y8" => Ok(PixelFormat::Grey),
            _ => Err(UnknownFormat(s.to_owned())),
        }
    }
}

/// The geometry of a raw frame buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLayout {
    /// Pixels per row.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Bytes from the start of one row to the next (≥ width × bytes per pixel; V4L2
    /// `bytesperline`). Ignored for MJPEG.
    pub stride: u32,
}

impl RawLayout {
    /// A layout without row padding for `format`.
    #[must_use]
    pub fn packed(format: PixelFormat, width: u32, height: u32) -> Self {
        let bpp = format.bytes_per_pixel().unwrap_or(0);
        Self {
            width,
            height,
            stride: width.saturating_mul(bpp),
        }
    }
}

/// Why a frame buffer could not be turned into an image.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The buffer length does not match the layout.
    #[error(
        "{format} frame {width}×{height} with stride {stride} needs {expected} bytes, \
         the buffer has {actual}"
    )]
    Length {
        /// The pixel format.
        format: PixelFormat,
        /// Pixels per row.
        width: u32,
        /// Rows.
        height: u32,
        /// Bytes per row in the buffer.
        stride: u32,
        /// `stride × height`.
        expected: usize,
        /// The buffer's length.
        actual: usize,
    },
    /// The layout itself is impossible.
    #[error("{format} frame {width}×{height} with stride {stride}: {reason}")]
    Layout {
        /// The pixel format.
        format: PixelFormat,
        /// Pixels per row.
        width: u32,
        /// Rows.
        height: u32,
        /// Bytes per row in the buffer.
        stride: u32,
        /// What is wrong, e.g. "YUYV needs an even width".
        reason: &'static str,
    },
    /// The data is not a JPEG (no SOI marker).
    #[error("not a JPEG: starts with {found:02x?} instead of ff d8")]
    NotJpeg {
        /// The first bytes (up to 4).
        found: Vec<u8>,
    },
    /// The JPEG headers are malformed or end before the scan.
    #[error("JPEG header malformed at byte {offset}: {reason}")]
    JpegHeader {
        /// Byte offset in the frame.
        offset: usize,
        /// What was found, e.g. "segment runs past the end of the data".
        reason: String,
    },
    /// The JPEG does not end with an EOI marker (trailing zero padding allowed): the
    /// frame was cut short, and `image` would fill the missing rows with grey.
    #[error("JPEG truncated: {len} bytes without an end-of-image marker (ff d9) at the end")]
    JpegTruncated {
        /// The data's length.
        len: usize,
    },
    /// `image` could not decode the (repaired) JPEG, or the file is no image it reads.
    #[error("image data could not be decoded")]
    Image(#[source] image::ImageError),
    /// The decoded JPEG does not have the negotiated size.
    #[error("MJPEG frame decodes to {actual_width}×{actual_height}, expected {width}×{height}")]
    Size {
        /// The negotiated width.
        width: u32,
        /// The negotiated height.
        height: u32,
        /// The decoded width.
        actual_width: u32,
        /// The decoded height.
        actual_height: u32,
    },
}

/// Decodes one camera buffer of `format` laid out as `layout`.
///
/// # Errors
/// [`DecodeError::Length`] or [`DecodeError::Layout`] for raw buffers that do not fit the
/// layout; JPEG errors and [`DecodeError::Size`] for MJPEG.
pub fn decode_frame(
    format: PixelFormat,
    data: &[u8],
    layout: RawLayout,
) -> Result<RgbImage, DecodeError> {
    match format {
        PixelFormat::Yuyv => yuyv_to_rgb(data, layout),
        PixelFormat::Grey => grey_to_rgb(data, layout),
        PixelFormat::Mjpeg => {
            // Checked from the header first: a corrupt frame claiming a huge size must
            // not make `image` allocate for it.
            let header = mjpeg::scan_header(data)?;
            let size = |w: u32, h: u32| DecodeError::Size {
                width: layout.width,
                height: layout.height,
                actual_width: w,
                actual_height: h,
            };
            let (w, h) = (u32::from(header.width), u32::from(header.height));
            if (w, h) != (layout.width, layout.height) {
                return Err(size(w, h));
            }
            // The walk and the decoder may still read a malformed header differently:
            // the decoder's own view of the size is held to the negotiated one too.
            let mut limits = Limits::default();
            limits.max_image_width = Some(layout.width);
            limits.max_image_height = Some(layout.height);
            let image = decode_jpeg_within(data, limits)?;
            if image.dimensions() != (layout.width, layout.height) {
                return Err(size(image.width(), image.height()));
            }
            Ok(image)
        }
    }
}

/// YUYV (BT.601 limited range) → RGB; see the [module docs](self).
///
/// # Errors
/// Odd width, a stride shorter than a row, or a buffer that is not `stride × height`.
pub fn yuyv_to_rgb(data: &[u8], layout: RawLayout) -> Result<RgbImage, DecodeError> {
    let format = PixelFormat::Yuyv;
    if layout.width % 2 != 0 {
        return Err(layout_error(
            format,
            layout,
            "YUYV needs an even width (pixels come in pairs)",
        ));
    }
    let row_bytes = check_length(format, data, layout, 2)?;
    let mut out = Vec::with_capacity(row_bytes / 2 * 3 * layout.height as usize);
    for row in rows(data, layout) {
        for quad in row[..row_bytes].chunks_exact(4) {
            let (y0, u, y1, v) = (quad[0], quad[1], quad[2], quad[3]);
            out.extend_from_slice(&yuv601_to_rgb(y0, u, v));
            out.extend_from_slice(&yuv601_to_rgb(y1, u, v));
        }
    }
    into_image(out, format, layout)
}

/// GREY (8-bit) → RGB with R = G = B.
///
/// # Errors
/// A stride shorter than a row, or a buffer that is not `stride × height`.
pub fn grey_to_rgb(data: &[u8], layout: RawLayout) -> Result<RgbImage, DecodeError> {
    let row_bytes = check_length(PixelFormat::Grey, data, layout, 1)?;
    let mut out = Vec::with_capacity(row_bytes * 3 * layout.height as usize);
    for row in rows(data, layout) {
        for &y in &row[..row_bytes] {
            out.extend_from_slice(&[y, y, y]);
        }
    }
    into_image(out, PixelFormat::Grey, layout)
}

/// One MJPEG frame → RGB, inserting the standard Huffman tables if the frame has none.
///
/// # Errors
/// Not a JPEG, malformed headers, no end-of-image marker (a cut frame), or `image`
/// failing on the data.
pub fn mjpeg_to_rgb(data: &[u8]) -> Result<RgbImage, DecodeError> {
    decode_jpeg_within(data, Limits::default())
}

/// [`mjpeg_to_rgb`] with `image`'s decoder held to `limits`: a size past them is refused
/// from the decoder's own header reading, before it allocates the picture.
pub(crate) fn decode_jpeg_within(data: &[u8], limits: Limits) -> Result<RgbImage, DecodeError> {
    let jpeg = mjpeg::with_standard_huffman_tables(data)?;
    // `image` decodes a cut frame "successfully", greying the missing rows: a part
    // would be inspected on half a picture. Some cameras pad frames with zeros.
    let end = jpeg.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    if !jpeg[..end].ends_with(&[0xFF, 0xD9]) {
        return Err(DecodeError::JpegTruncated { len: data.len() });
    }
    let mut reader = ImageReader::with_format(Cursor::new(&jpeg[..]), ImageFormat::Jpeg);
    reader.limits(limits);
    reader
        .decode()
        .map(image::DynamicImage::into_rgb8)
        .map_err(DecodeError::Image)
}

/// An image file's bytes → RGB: JPEGs go through [`mjpeg_to_rgb`] (so frames saved
/// straight from an MJPEG camera decode too), anything else through `image`'s format
/// detection (PNG, and whatever else `image` is built with).
///
/// # Errors
/// [`DecodeError::Image`] for unknown or corrupt data; JPEG header errors.
pub fn image_file_to_rgb(bytes: &[u8]) -> Result<RgbImage, DecodeError> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return mjpeg_to_rgb(bytes);
    }
    image::load_from_memory(bytes)
        .map(image::DynamicImage::into_rgb8)
        .map_err(DecodeError::Image)
}

/// One BT.601 limited-range YUV sample → full-range RGB, 8-bit fixed point:
/// `R = (298(Y−16) + 409(V−128) + 128) >> 8` etc., clamped to 0–255.
#[must_use]
pub fn yuv601_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = 298 * (i32::from(y) - 16);
    let d = i32::from(u) - 128;
    let e = i32::from(v) - 128;
    [
        clamp_u8((c + 409 * e + 128) >> 8),
        clamp_u8((c - 100 * d - 208 * e + 128) >> 8),
        clamp_u8((c + 516 * d + 128) >> 8),
    ]
}

fn clamp_u8(x: i32) -> u8 {
    // Clamped first, so the cast is exact.
    x.clamp(0, 255) as u8
}

fn layout_error(format: PixelFormat, layout: RawLayout, reason: &'static str) -> DecodeError {
    DecodeError::Layout {
        format,
        width: layout.width,
        height: layout.height,
        stride: layout.stride,
        reason,
    }
}

/// Checks the layout against the buffer; returns the bytes of pixels per row.
fn check_length(
    format: PixelFormat,
    data: &[u8],
    layout: RawLayout,
    bytes_per_pixel: usize,
) -> Result<usize, DecodeError> {
    if layout.width == 0 || layout.height == 0 {
        return Err(layout_error(format, layout, "the frame is empty"));
    }
    let row_bytes = (layout.width as usize)
        .checked_mul(bytes_per_pixel)
        .ok_or_else(|| layout_error(format, layout, "a row does not fit in memory"))?;
    if (layout.stride as usize) < row_bytes {
        return Err(layout_error(
            format,
            layout,
            "the stride is shorter than a row of pixels",
        ));
    }
    let expected = (layout.stride as usize)
        .checked_mul(layout.height as usize)
        .ok_or_else(|| layout_error(format, layout, "the frame does not fit in memory"))?;
    if data.len() != expected {
        return Err(DecodeError::Length {
            format,
            width: layout.width,
            height: layout.height,
            stride: layout.stride,
            expected,
            actual: data.len(),
        });
    }
    Ok(row_bytes)
}

fn rows(data: &[u8], layout: RawLayout) -> std::slice::ChunksExact<'_, u8> {
    data.chunks_exact(layout.stride as usize)
}

fn into_image(
    pixels: Vec<u8>,
    format: PixelFormat,
    layout: RawLayout,
) -> Result<RgbImage, DecodeError> {
    // The length was checked against the layout, so this cannot fail; still no panic.
    RgbImage::from_raw(layout.width, layout.height, pixels)
        .ok_or_else(|| layout_error(format, layout, "internal size mismatch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact BT.601 limited range → full-range RGB in f64.
    fn reference(y: u8, u: u8, v: u8) -> [f64; 3] {
        let (kr, kb) = (0.299, 0.114);
        let kg = 1.0 - kr - kb;
        let yy = (f64::from(y) - 16.0) * 255.0 / 219.0;
        let pb = (f64::from(u) - 128.0) * 255.0 / 224.0;
        let pr = (f64::from(v) - 128.0) * 255.0 / 224.0;
        let r = yy + 2.0 * (1.0 - kr) * pr;
        let b = yy + 2.0 * (1.0 - kb) * pb;
        let g = yy - 2.0 * (1.0 - kb) * kb / kg * pb - 2.0 * (1.0 - kr) * kr / kg * pr;
        [r, g, b].map(|c| c.clamp(0.0, 255.0))
    }

    #[test]
    fn known_colours_convert_exactly() {
        // (Y, U, V) of BT.601 limited-range colour bars → expected integer RGB.
        let cases = [
            ((16, 128, 128), [0, 0, 0]),
            ((235, 128, 128), [255, 255, 255]),
            ((126, 128, 128), [128, 128, 128]),
            ((81, 90, 240), [255, 0, 0]),
            // Green's blue is 1, not 0: 8-bit YUV cannot hit pure green exactly.
            ((145, 54, 34), [0, 255, 1]),
            ((41, 240, 110), [0, 0, 255]),
            // Out-of-range codes (Y < 16, Y > 235) clamp instead of wrapping.
            ((0, 128, 128), [0, 0, 0]),
            ((255, 128, 128), [255, 255, 255]),
        ];
        for ((y, u, v), rgb) in cases {
            assert_eq!(yuv601_to_rgb(y, u, v), rgb, "Y={y} U={u} V={v}");
        }
    }

    #[test]
    fn integer_conversion_is_within_one_of_exact_bt601() {
        let mut worst = 0.0f64;
        for y in (0..=255u8).step_by(3) {
            for u in (0..=255u8).step_by(5) {
                for v in (0..=255u8).step_by(5) {
                    let got = yuv601_to_rgb(y, u, v);
                    let want = reference(y, u, v);
                    for c in 0..3 {
                        worst = worst.max((f64::from(got[c]) - want[c]).abs());
                    }
                }
            }
        }
        assert!(worst <= 1.0, "worst channel error {worst}");
    }

    #[test]
    fn yuyv_pairs_share_chroma_and_rows_honour_stride() {
        // 2×2 image, stride 6 (2 bytes of padding per row): red pair, then white/black.
        let data = [
            81, 90, 81, 240, 0xEE, 0xEE, // row 0: red, red, padding
            235, 128, 16, 128, 0xEE, 0xEE, // row 1: white, black, padding
        ];
        let layout = RawLayout {
            width: 2,
            height: 2,
            stride: 6,
        };
        let img = yuyv_to_rgb(&data, layout).expect("valid frame");
        assert_eq!(img.get_pixel(0, 0).0, [255, 0, 0]);
        assert_eq!(img.get_pixel(1, 0).0, [255, 0, 0]);
        assert_eq!(img.get_pixel(0, 1).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(1, 1).0, [0, 0, 0]);
    }

    #[test]
    fn yuyv_wrong_length_names_both_lengths() {
        let layout = RawLayout::packed(PixelFormat::Yuyv, 4, 2);
        let err = yuyv_to_rgb(&[0; 15], layout).expect_err("one byte short");
        match &err {
            DecodeError::Length {
                expected, actual, ..
            } => assert_eq!((*expected, *actual), (16, 15)),
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.contains("16 bytes") && text.contains("15"),
            "message: {text}"
        );
        assert!(matches!(
            yuyv_to_rgb(&[0; 17], layout),
            Err(DecodeError::Length {
                expected: 16,
                actual: 17,
                ..
            })
        ));
    }

    #[test]
    fn yuyv_odd_width_short_stride_and_empty_are_layout_errors() {
        let odd = RawLayout {
            width: 3,
            height: 1,
            stride: 6,
        };
        assert!(matches!(
            yuyv_to_rgb(&[0; 6], odd),
            Err(DecodeError::Layout { .. })
        ));
        let short = RawLayout {
            width: 4,
            height: 1,
            stride: 7,
        };
        assert!(matches!(
            yuyv_to_rgb(&[0; 7], short),
            Err(DecodeError::Layout { .. })
        ));
        let empty = RawLayout::packed(PixelFormat::Yuyv, 0, 0);
        assert!(matches!(
            yuyv_to_rgb(&[], empty),
            Err(DecodeError::Layout { .. })
        ));
        // A huge claimed size is an error, not an allocation or overflow.
        let huge = RawLayout {
            width: u32::MAX - 1,
            height: u32::MAX,
            stride: u32::MAX,
        };
        assert!(yuyv_to_rgb(&[0; 8], huge).is_err());
    }

    #[test]
    fn grey_replicates_luma_and_checks_length() {
        let layout = RawLayout {
            width: 3,
            height: 2,
            stride: 4,
        };
        let data = [0, 100, 255, 9, 1, 2, 3, 9];
        let img = grey_to_rgb(&data, layout).expect("valid frame");
        assert_eq!(img.dimensions(), (3, 2));
        assert_eq!(img.get_pixel(1, 0).0, [100, 100, 100]);
        assert_eq!(img.get_pixel(2, 0).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(2, 1).0, [3, 3, 3]);
        assert!(matches!(
            grey_to_rgb(&data[..7], layout),
            Err(DecodeError::Length {
                expected: 8,
                actual: 7,
                ..
            })
        ));
    }

    #[test]
    fn formats_parse_from_fourcc_and_names() {
        for f in [PixelFormat::Yuyv, PixelFormat::Mjpeg, PixelFormat::Grey] {
            assert_eq!(PixelFormat::from_fourcc(f.fourcc()), Some(f));
            assert_eq!(f.to_string().parse::<PixelFormat>(), Ok(f));
        }
        assert_eq!("mjpeg".parse::<PixelFormat>(), Ok(PixelFormat::Mjpeg));
        assert_eq!("gray".parse::<PixelFormat>(), Ok(PixelFormat::Grey));
        let err = "NV12".parse::<PixelFormat>().expect_err("unsupported");
        assert!(err.to_string().contains("NV12"));
        assert_eq!(PixelFormat::from_fourcc(*b"NV12"), None);
    }

    #[test]
    fn mjpeg_frame_of_the_wrong_size_is_an_error() {
        let img = RgbImage::from_pixel(16, 8, image::Rgb([10, 200, 30]));
        let mut jpeg = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .expect("encode");
        let right = RawLayout::packed(PixelFormat::Mjpeg, 16, 8);
        assert_eq!(
            decode_frame(PixelFormat::Mjpeg, &jpeg, right)
                .expect("decodes")
                .dimensions(),
            (16, 8)
        );
        let wrong = RawLayout::packed(PixelFormat::Mjpeg, 640, 480);
        assert!(matches!(
            decode_frame(PixelFormat::Mjpeg, &jpeg, wrong),
            Err(DecodeError::Size {
                actual_width: 16,
                actual_height: 8,
                ..
            })
        ));
    }

    #[test]
    fn image_files_decode_by_content() {
        let img = RgbImage::from_fn(5, 4, |x, y| image::Rgb([x as u8 * 40, y as u8 * 60, 7]));
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
            .expect("encode");
        assert_eq!(image_file_to_rgb(&png).expect("png decodes"), img);
        assert!(matches!(
            image_file_to_rgb(b"not an image at all"),
            Err(DecodeError::Image(_))
        ));
        assert!(image_file_to_rgb(&png[..png.len() / 2]).is_err());
    }
}
