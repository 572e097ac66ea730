//! The camera frame decoders (YUYV, GREY, MJPEG) on any buffer and any negotiated
//! layout: the first five bytes pick the format and a layout up to 1024×1024 with a
//! stride that may be wrong, the rest is the frame, as a broken driver could hand over.
#![no_main]

#[path = "alloc_limit.rs"]
mod alloc_limit;

#[global_allocator]
static ALLOC: alloc_limit::Limited = alloc_limit::Limited;

use edge::source::decode::{decode_frame, PixelFormat, RawLayout};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, frame)) = data.split_first_chunk::<5>() else {
        return;
    };
    let format = match head[0] % 3 {
        0 => PixelFormat::Yuyv,
        1 => PixelFormat::Grey,
        _ => PixelFormat::Mjpeg,
    };
    let width = u32::from(u16::from_le_bytes([head[1], head[2]]) % 1025);
    let height = u32::from(u16::from_le_bytes([head[3], head[4]]) % 1025);
    let mut layout = RawLayout::packed(format, width, height);
    // Odd first bytes: a stride other than the packed one.
    if head[0] & 0x80 != 0 {
        layout.stride = layout
            .stride
            .wrapping_add(u32::from(head[1] & 0x0f))
            .wrapping_sub(8);
    }
    let _ = decode_frame(format, frame, layout);
    if format == PixelFormat::Mjpeg {
        let _ = edge::source::mjpeg::scan_header(frame);
        let _ = edge::source::mjpeg::with_standard_huffman_tables(frame);
    }
});
