//! Recorded sequences (`seq:PATH`): a captured run kept on disk and replayed later, as
//! fast as possible (tests, re-scoring with a new bundle) or at the recorded pace
//! (rehearsing the line's timing).
//!
//! # Format (version 1)
//! A folder holding an index `sequence.jsonl` and the frames it names:
//!
//! ```text
//! run-2026-11-03/
//!   sequence.jsonl
//!   frames/00000000.png
//!   frames/00000001.png
//! ```
//!
//! `sequence.jsonl` is JSON lines: a header, then one line per frame in capture order.
//!
//! ```text
//! {"format":"edge-sequence","version":1,"source":"camera /dev/video0 YUYV 1280×720 @ 30 fps"}
//! {"file":"frames/00000000.png","offset_us":0,"origin":"/dev/video0#1841"}
//! {"file":"frames/00000001.png","offset_us":33366,"origin":"/dev/video0#1842"}
//! ```
//!
//! - `file`: a relative path inside the folder (no `..`, no absolute path); PNG as the
//!   [`SequenceWriter`] writes them, though any image `image` reads (or an MJPEG frame
//!   without Huffman tables) replays.
//! - `offset_us`: capture time in µs after the first frame (which has 0); never
//!   decreasing.
//! - `origin` (optional): where the frame came from when it was recorded.
//! - `source` in the header (optional): what was recorded, in words.
//!
//! A frame's PNG is written (temp name + rename) before its line, and each line is
//! written and flushed in one call, so a recording cut by a crash replays up to the last
//! complete frame: an incomplete last line is dropped ([`SequenceSource::truncated_tail`]
//! says so); a bad line elsewhere is an error naming the line.

mod reader;
mod writer;

use serde::{Deserialize, Serialize};

pub use reader::{Pace, SequenceOptions, SequenceSource};
pub use writer::SequenceWriter;

/// The index file's name inside a recording folder.
pub const INDEX_FILE: &str = "sequence.jsonl";
/// The folder, inside a recording, where [`SequenceWriter`] puts frames.
pub const FRAMES_DIR: &str = "frames";
/// The `format` value of the header line.
pub const FORMAT_NAME: &str = "edge-sequence";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The first line of `sequence.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub format: String,
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One frame line of `sequence.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FrameLine {
    pub file: String,
    pub offset_us: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}
