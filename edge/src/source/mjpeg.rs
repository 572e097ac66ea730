//! MJPEG frames without Huffman tables. UVC cameras send "abbreviated" JPEGs that rely
//! on the standard tables of ITU-T T.81 Annex K (K.3) instead of a DHT segment; `image`
//! 0.25 then fails with "No DC table for component Y". [`with_standard_huffman_tables`]
//! walks the header segments up to the start of scan and, when no DHT segment came
//! before it, inserts the standard one right before the SOS marker (after the frame
//! header, where a complete JPEG has it). Frames that have tables are returned untouched.

use std::borrow::Cow;

use super::decode::DecodeError;

/// T.81 Table K.3: DC luminance code lengths (count of codes of length 1..=16).
const DC_LUMA_BITS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
/// T.81 Table K.4: DC chrominance code lengths.
const DC_CHROMA_BITS: [u8; 16] = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
/// DC symbols (categories 0–11), the same for both tables.
const DC_VALUES: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/// T.81 Table K.5: AC luminance code lengths.
const AC_LUMA_BITS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
/// T.81 Table K.5: AC luminance symbols (run/size), in code order.
const AC_LUMA_VALUES: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
    0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
    0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
    0xf9, 0xfa,
];
/// T.81 Table K.6: AC chrominance code lengths.
const AC_CHROMA_BITS: [u8; 16] = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
/// T.81 Table K.6: AC chrominance symbols, in code order.
const AC_CHROMA_VALUES: [u8; 162] = [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
    0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
    0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
    0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
    0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
    0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
    0xf9, 0xfa,
];

/// The four standard tables as (class << 4 | id, code lengths, symbols).
const TABLES: [(u8, &[u8; 16], &[u8]); 4] = [
    (0x00, &DC_LUMA_BITS, &DC_VALUES),
    (0x10, &AC_LUMA_BITS, &AC_LUMA_VALUES),
    (0x01, &DC_CHROMA_BITS, &DC_VALUES),
    (0x11, &AC_CHROMA_BITS, &AC_CHROMA_VALUES),
];

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const DHT: u8 = 0xC4;

/// The standard DHT segment (marker `FF C4`, length, four tables): 420 bytes.
#[must_use]
pub fn standard_dht_segment() -> Vec<u8> {
    let body: usize = TABLES.iter().map(|(_, _, v)| 1 + 16 + v.len()).sum();
    let length = body + 2;
    let mut seg = Vec::with_capacity(2 + length);
    seg.extend_from_slice(&[0xFF, DHT]);
    // 418 fits in u16; the tables are constants.
    seg.extend_from_slice(&(length as u16).to_be_bytes());
    for (class_id, bits, values) in TABLES {
        seg.push(class_id);
        seg.extend_from_slice(bits);
        seg.extend_from_slice(values);
    }
    seg
}

/// What the header walk found before the start of scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegHeader {
    /// Frame width from the SOF segment, in pixels.
    pub width: u16,
    /// Frame height from the SOF segment, in pixels (0: defined later by a DNL marker).
    pub height: u16,
    /// `None` if a DHT segment came before the scan, else the offset of the SOS marker,
    /// where the standard tables must go.
    pub dht_missing_at: Option<usize>,
}

/// Walks the header segments of `jpeg` up to the start of scan (cheap: no pixel is
/// decoded), so a frame of the wrong size is refused before any allocation.
///
/// # Errors
/// [`DecodeError::NotJpeg`] without an SOI marker; [`DecodeError::JpegHeader`] when a
/// segment is malformed, no frame header (SOF) precedes the scan, or the data ends before
/// the start of scan.
pub fn scan_header(jpeg: &[u8]) -> Result<JpegHeader, DecodeError> {
    if jpeg.len() < 2 || jpeg[0] != 0xFF || jpeg[1] != SOI {
        return Err(DecodeError::NotJpeg {
            found: jpeg.iter().take(4).copied().collect(),
        });
    }
    let header_error = |offset: usize, reason: String| DecodeError::JpegHeader { offset, reason };
    let mut size: Option<(u16, u16)> = None;
    let mut has_dht = false;
    let mut pos = 2;
    loop {
        let marker_start = pos;
        match jpeg.get(pos) {
            Some(0xFF) => {}
            Some(&other) => {
                return Err(header_error(
                    pos,
                    format!("expected a marker (ff), found {other:02x}"),
                ))
            }
            None => {
                return Err(header_error(
                    pos,
                    "data ends before the start of scan".into(),
                ))
            }
        }
        // Any number of 0xFF fill bytes may precede a marker code.
        while jpeg.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = jpeg.get(pos) else {
            return Err(header_error(pos, "data ends inside a marker".into()));
        };
        pos += 1;
        match marker {
            SOS => {
                let Some((width, height)) = size else {
                    return Err(header_error(
                        marker_start,
                        "start of scan before any frame header (SOF)".into(),
                    ));
                };
                return Ok(JpegHeader {
                    width,
                    height,
                    dht_missing_at: (!has_dht).then_some(marker_start),
                });
            }
            SOI | EOI => {
                return Err(header_error(
                    marker_start,
                    format!("marker ff {marker:02x} before the start of scan"),
                ))
            }
            // Markers without a length field (RSTn, TEM).
            0xD0..=0xD7 | 0x01 => {}
            // ff 00 is a stuffed data byte, never a marker: a decoder would skip it where
            // a length-field reading would not, and the two would see different frames.
            0x00 => {
                return Err(header_error(
                    marker_start,
                    "ff 00 (a stuffed data byte) before the start of scan".into(),
                ))
            }
            _ => {
                let len = match jpeg.get(pos..pos + 2) {
                    Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
                    _ => {
                        return Err(header_error(
                            pos,
                            "data ends inside a segment length".into(),
                        ))
                    }
                };
                if len < 2 {
                    return Err(header_error(
                        pos,
                        format!("segment ff {marker:02x} has length {len} (< 2)"),
                    ));
                }
                let Some(segment) = jpeg.get(pos + 2..pos + len) else {
                    return Err(header_error(
                        pos,
                        format!(
                            "segment ff {marker:02x} of {len} bytes runs past the end of the \
                             data ({} bytes)",
                            jpeg.len()
                        ),
                    ));
                };
                if marker == DHT {
                    has_dht = true;
                } else if is_sof(marker) {
                    // SOF: precision (1), height (2), width (2), components…
                    let &[_, h0, h1, w0, w1, ..] = segment else {
                        return Err(header_error(pos, "frame header (SOF) too short".into()));
                    };
                    if size.is_some() {
                        return Err(header_error(
                            marker_start,
                            "a second frame header (SOF) before the start of scan".into(),
                        ));
                    }
                    size = Some((u16::from_be_bytes([w0, w1]), u16::from_be_bytes([h0, h1])));
                }
                pos += len;
            }
        }
    }
}

/// Start-of-frame markers: C0–CF except DHT (C4), JPG (C8) and DAC (CC).
fn is_sof(marker: u8) -> bool {
    (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// `jpeg` itself if it has Huffman tables, else a copy with the standard DHT segment
/// inserted before the start of scan; see the [module docs](self).
///
/// # Errors
/// As [`scan_header`].
pub fn with_standard_huffman_tables(jpeg: &[u8]) -> Result<Cow<'_, [u8]>, DecodeError> {
    let Some(at) = scan_header(jpeg)?.dht_missing_at else {
        return Ok(Cow::Borrowed(jpeg));
    };
    let dht = standard_dht_segment();
    let mut out = Vec::with_capacity(jpeg.len() + dht.len());
    out.extend_from_slice(&jpeg[..at]);
    out.extend_from_slice(&dht);
    out.extend_from_slice(&jpeg[at..]);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::decode::{
        decode_frame, decode_jpeg_within, mjpeg_to_rgb, PixelFormat, RawLayout,
    };
    use image::{ImageFormat, RgbImage};

    fn encode_jpeg(img: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Jpeg)
            .expect("encode");
        out
    }

    fn test_image() -> RgbImage {
        RgbImage::from_fn(40, 24, |x, y| {
            image::Rgb([(x * 6) as u8, (y * 10) as u8, ((x + y) * 3) as u8])
        })
    }

    /// Removes every DHT segment before the scan, as a UVC camera's frames come
    /// (an independent, simpler walk than the one under test: no fill bytes).
    fn strip_dht(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        let mut pos = 2;
        while jpeg[pos + 1] != SOS {
            let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
            if jpeg[pos + 1] != DHT {
                out.extend_from_slice(&jpeg[pos..pos + 2 + len]);
            }
            pos += 2 + len;
        }
        out.extend_from_slice(&jpeg[pos..]);
        out
    }

    #[test]
    fn standard_segment_has_annex_k_sizes() {
        let seg = standard_dht_segment();
        assert_eq!(seg.len(), 420);
        assert_eq!(&seg[..4], &[0xFF, 0xC4, 0x01, 0xA2]);
        for (_, bits, values) in TABLES {
            let codes: usize = bits.iter().map(|&b| usize::from(b)).sum();
            assert_eq!(codes, values.len());
        }
    }

    #[test]
    fn abbreviated_jpeg_fails_in_image_and_decodes_after_insertion() {
        let full = encode_jpeg(&test_image());
        let expected = image::load_from_memory(&full)
            .expect("full jpeg")
            .into_rgb8();
        let abbreviated = strip_dht(&full);
        assert!(
            abbreviated.len() < full.len(),
            "the encoder wrote DHT segments"
        );
        assert!(
            image::load_from_memory_with_format(&abbreviated, ImageFormat::Jpeg).is_err(),
            "image must fail without tables, or this test proves nothing"
        );
        let repaired = with_standard_huffman_tables(&abbreviated).expect("headers ok");
        assert!(matches!(repaired, Cow::Owned(_)));
        assert_eq!(mjpeg_to_rgb(&abbreviated).expect("decodes"), expected);
    }

    #[test]
    fn jpeg_with_tables_is_returned_untouched() {
        let full = encode_jpeg(&test_image());
        let out = with_standard_huffman_tables(&full).expect("headers ok");
        assert!(matches!(out, Cow::Borrowed(b) if b.as_ptr() == full.as_ptr()));
    }

    #[test]
    fn fill_bytes_and_standalone_markers_before_the_scan_are_skipped() {
        let stripped = strip_dht(&encode_jpeg(&test_image()));
        // SOI, then a TEM marker and an RST marker (no length fields), then the rest.
        let mut odd = vec![0xFF, SOI, 0xFF, 0x01, 0xFF, 0xD3];
        odd.extend_from_slice(&stripped[2..]);
        let header = scan_header(&odd).expect("walks");
        assert_eq!((header.width, header.height), (40, 24));
        let sos = header.dht_missing_at.expect("no DHT");
        assert_eq!(&odd[sos..sos + 2], &[0xFF, SOS]);
        // Fill bytes (T.81 B.1.1.2) before a marker: walked, and `image` decodes it.
        let mut filled = vec![0xFF, SOI, 0xFF, 0xFF, 0xFF];
        filled.extend_from_slice(&stripped[3..]);
        let header = scan_header(&filled).expect("walks");
        assert_eq!((header.width, header.height), (40, 24));
        assert!(mjpeg_to_rgb(&filled).is_ok());
    }

    #[test]
    fn padding_after_the_end_marker_is_accepted_a_cut_frame_is_not() {
        let stripped = strip_dht(&encode_jpeg(&test_image()));
        let mut padded = stripped.clone();
        padded.extend_from_slice(&[0; 13]);
        assert!(mjpeg_to_rgb(&padded).is_ok());
        let cut = &stripped[..stripped.len() - 40];
        assert!(matches!(
            mjpeg_to_rgb(cut),
            Err(DecodeError::JpegTruncated { .. })
        ));
    }

    #[test]
    fn non_jpeg_and_truncated_headers_are_typed_errors() {
        assert!(matches!(
            with_standard_huffman_tables(b"\x89PNG"),
            Err(DecodeError::NotJpeg { .. })
        ));
        assert!(matches!(
            with_standard_huffman_tables(&[]),
            Err(DecodeError::NotJpeg { .. })
        ));
        let stripped = strip_dht(&encode_jpeg(&test_image()));
        let sos = scan_header(&stripped)
            .expect("walks")
            .dht_missing_at
            .expect("no DHT");
        for cut in 2..sos + 2 {
            let err = with_standard_huffman_tables(&stripped[..cut]).expect_err("truncated");
            assert!(
                matches!(err, DecodeError::JpegHeader { .. }),
                "cut {cut}: {err:?}"
            );
        }
        // An EOI before any scan, and a segment with an impossible length.
        assert!(scan_header(&[0xFF, SOI, 0xFF, EOI]).is_err());
        assert!(scan_header(&[0xFF, SOI, 0xFF, 0xE0, 0x00, 0x01]).is_err());
        assert!(scan_header(&[0xFF, SOI, 0x00]).is_err());
        // A scan with no frame header before it.
        assert!(scan_header(&[0xFF, SOI, 0xFF, SOS, 0x00, 0x02]).is_err());
    }

    /// The input the `frame_decode` fuzz target found (fuzz/seeds/frame_decode keeps it):
    /// an `ff 00` read as a 67-byte segment hid a 32,008×8,464 frame header from the
    /// walk, which then saw an 8×16 one, while the decoder read the big one and
    /// allocated 800 MB for it.
    #[test]
    fn a_header_the_walk_and_the_decoder_read_differently_is_refused() {
        let frame = [
            0xff, 0xd8, 0xff, 0x00, 0x00, 0x43, 0x00, 0x01, 0x01, 0x78, 0x01, 0x26, 0x01, 0x01,
            0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x03, 0x01, 0x01, 0xff,
            0xc6, 0x00, 0x02, 0x08, 0x00, 0x08, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00, 0x01, 0x03,
            0x01, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x7d, 0x08, 0x21, 0x10, 0x01, 0x01, 0x11, 0x00,
            0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x02, 0x07, 0x01, 0x01, 0x01, 0x01, 0x01, 0xff,
            0xff, 0xff, 0xd3, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x10, 0x01, 0x01,
            0x11, 0x00, 0xff, 0xda, 0x00, 0xff, 0xd9,
        ];
        let err = scan_header(&frame).expect_err("ff 00 is no marker");
        assert!(
            matches!(&err, DecodeError::JpegHeader { offset: 2, reason } if reason.contains("ff 00")),
            "{err:?}"
        );
        let layout = RawLayout::packed(PixelFormat::Mjpeg, 16, 8);
        assert!(decode_frame(PixelFormat::Mjpeg, &frame, layout).is_err());
        // Two frame headers before one scan: which one counts is decoder-specific.
        let stripped = strip_dht(&encode_jpeg(&test_image()));
        let sof = stripped
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("baseline SOF");
        let len = usize::from(u16::from_be_bytes([stripped[sof + 2], stripped[sof + 3]]));
        let mut twice = stripped[..sof + 2 + len].to_vec();
        twice.extend_from_slice(&stripped[sof..]);
        let err = scan_header(&twice).expect_err("two SOFs");
        assert!(format!("{err}").contains("second frame header"), "{err}");
    }

    /// Whatever the walk concluded, the decoder itself is held to the negotiated size:
    /// a well-formed 40×24 frame under a 16×8 layout never reaches pixel decoding.
    #[test]
    fn the_decoder_is_held_to_the_negotiated_size() {
        let full = encode_jpeg(&test_image());
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(16);
        limits.max_image_height = Some(8);
        let err = decode_jpeg_within(&full, limits).expect_err("too big");
        assert!(
            matches!(&err, DecodeError::Image(image::ImageError::Limits(_))),
            "{err:?}"
        );
    }

    #[test]
    fn corrupt_or_truncated_frames_never_panic() {
        let stripped = strip_dht(&encode_jpeg(&test_image()));
        // The camera path: the negotiated size is known, so a corrupt SOF is refused
        // before `image` allocates for it.
        let layout = RawLayout::packed(PixelFormat::Mjpeg, 40, 24);
        for cut in (0..stripped.len()).step_by(7) {
            assert!(decode_frame(PixelFormat::Mjpeg, &stripped[..cut], layout).is_err());
        }
        // Deterministic byte flips all over the frame (headers and entropy data).
        let mut state = 0x9E37_79B9_u32;
        for _ in 0..200 {
            let mut bad = stripped.clone();
            for _ in 0..3 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let i = state as usize % bad.len();
                bad[i] ^= (state >> 24) as u8 | 1;
            }
            // Either a typed error or some image of the negotiated size.
            if let Ok(img) = decode_frame(PixelFormat::Mjpeg, &bad, layout) {
                assert_eq!(img.dimensions(), (40, 24));
            }
        }
    }
}
