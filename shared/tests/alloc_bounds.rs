//! Allocation contracts, measured with a counting global allocator (per thread, so
//! tests may run in parallel):
//! - `Bundle::from_bytes` allocates at most `input.len() + DECODE_OVERHEAD_MAX_BYTES`
//!   at its peak, whatever lengths the input claims;
//! - `ScorePipeline::run` does not allocate at all.
#![cfg(feature = "alloc")]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use shared::bundle::{Bundle, DECODE_OVERHEAD_MAX_BYTES, HEADER_LEN, MAX_EXTRA, MAX_METRICS};
use shared::score::{ImageScore, ScoreConfig, ScorePipeline};

use common::{body, bundle, frame, manifest_bytes_with_empty_lists, varint};

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn on_alloc(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            LIVE.with(|l| {
                let live = l.get() + size;
                l.set(live);
                PEAK.with(|p| p.set(p.get().max(live)));
            });
            COUNT.with(|c| c.set(c.get() + 1));
        }
    });
}

fn on_dealloc(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            LIVE.with(|l| l.set(l.get().saturating_sub(size)));
        }
    });
}

// SAFETY: forwards to `System`; the bookkeeping touches only const-initialised
// thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        on_dealloc(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    // `realloc` is left to the default (alloc + copy + dealloc), so growth is counted
    // at its true peak.
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with (peak live bytes, number of allocations) during
/// the call.
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    COUNT.with(|c| c.set(0));
    TRACKING.with(|t| t.set(true));
    let out = f();
    TRACKING.with(|t| t.set(false));
    (out, PEAK.with(Cell::get), COUNT.with(Cell::get))
}

fn assert_bounded(name: &str, input: &[u8]) {
    let (result, peak, _) = measure(|| Bundle::from_bytes(input).map(drop));
    if std::env::var_os("SHOW_PEAKS").is_some() {
        eprintln!("{name}: input {} peak {peak} {result:?}", input.len());
    }
    assert!(
        peak <= input.len() + DECODE_OVERHEAD_MAX_BYTES,
        "{name}: peak {peak} bytes for a {}-byte input (+{DECODE_OVERHEAD_MAX_BYTES} allowed), result {result:?}",
        input.len()
    );
}

#[test]
fn decode_allocation_is_bounded_by_input_length_on_forged_lengths() {
    let m = manifest_bytes_with_empty_lists();
    let empty_table = 0u64.to_le_bytes();
    let prefix = &m[..m.len() - 4];

    // Header claims an enormous payload.
    let mut huge_len = bundle().to_bytes();
    huge_len[10..18].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_bounded("header length u64::MAX", &huge_len);

    // Manifest length u64::MAX.
    let mut b = u64::MAX.to_le_bytes().to_vec();
    b.extend_from_slice(&m);
    assert_bounded("manifest length u64::MAX", &frame(&b));

    // Metrics count claims 60 000 entries and the bytes to back the claim exist, so
    // serde's own Vec visitor would preallocate min(60 000, 1 MiB / 32) × 32 B = 1 MiB.
    for claimed in [60_000u64, u64::MAX >> 1, MAX_METRICS as u64 + 1] {
        let mut forged = prefix.to_vec();
        forged.extend(varint(claimed));
        forged.resize(forged.len() + 60_000, 0);
        assert_bounded("forged metrics count", &frame(&body(&forged, &empty_table)));
    }

    // Lineage datasets count (after an empty metrics list) claims many entries.
    for claimed in [
        60_000u64,
        u64::MAX >> 1,
        shared::bundle::MAX_DATASETS as u64 + 1,
    ] {
        let mut forged = m[..m.len() - 3].to_vec();
        forged.extend(varint(claimed));
        forged.resize(forged.len() + 60_000, 0);
        assert_bounded(
            "forged datasets count",
            &frame(&body(&forged, &empty_table)),
        );
    }

    // Extra (last field) claims many pairs of empty strings.
    let mut forged = m[..m.len() - 1].to_vec();
    forged.extend(varint(50_000));
    forged.resize(forged.len() + 100_000, 0);
    assert_bounded("forged extra count", &frame(&body(&forged, &empty_table)));

    // Payload table: huge count, huge name and data lengths.
    let tables: [Vec<u8>; 3] = [
        [u64::MAX.to_le_bytes(), 0u64.to_le_bytes()].concat(),
        [&1u64.to_le_bytes()[..], &u64::MAX.to_le_bytes(), &[0; 64]].concat(),
        [
            &1u64.to_le_bytes()[..],
            &1u64.to_le_bytes(),
            b"a",
            &u64::MAX.to_le_bytes(),
            &[0; 64],
        ]
        .concat(),
    ];
    for table in &tables {
        assert_bounded("forged table", &frame(&body(&m, table)));
    }
}

#[test]
fn decode_allocation_is_bounded_on_valid_worst_cases() {
    // Maximum number of the smallest possible metrics, datasets and extras, and one large payload.
    let mut b = bundle();
    b.manifest.provenance.metrics = (0..MAX_METRICS)
        .map(|_| shared::bundle::Metric {
            name: String::new(),
            value: 1.0,
        })
        .collect();
    b.manifest.extra = vec![(String::new(), String::new()); MAX_EXTRA];
    b.manifest.provenance.datasets = vec![
        shared::bundle::DatasetSeen {
            path: String::new(),
            images: 0,
            fingerprint: String::new(),
        };
        shared::bundle::MAX_DATASETS
    ];
    b.payloads = (0..shared::bundle::MAX_PAYLOADS)
        .map(|i| shared::bundle::Payload {
            name: char::from(b'!' + i as u8).to_string(),
            bytes: vec![],
        })
        .collect();
    b.check().unwrap();
    let bytes = b.to_bytes();
    assert_bounded("valid worst case", &bytes);
    assert_eq!(Bundle::from_bytes(&bytes).unwrap(), b);

    let mut big = bundle();
    big.payloads[0].bytes = vec![0xAB; 1 << 20];
    let bytes = big.to_bytes();
    assert!(bytes.len() > HEADER_LEN + (1 << 20));
    assert_bounded("1 MiB payload", &bytes);
}

#[test]
fn score_pipeline_does_not_allocate_per_frame() {
    for image_score in [ImageScore::Max, ImageScore::TopKMean { k: 7 }] {
        let config = ScoreConfig {
            smoothing_sigma: 2.0,
            image_score,
            map_width: 16,
            map_height: 12,
            image_sigma: 1.0,
        };
        let mut pipeline = ScorePipeline::new(config, 64, 48).unwrap();
        let map: Vec<f32> = (0..16 * 12).map(|i| (i % 13) as f32 * 0.1).collect();
        let mut out = vec![0.0; 64 * 48];
        let (result, peak, count) = measure(|| {
            let mut last = 0.0;
            for _ in 0..5 {
                last = pipeline.run(&map, &mut out).unwrap();
                last += pipeline.score(&map).unwrap();
            }
            let _ = pipeline.run(&map[1..], &mut out).unwrap_err();
            last
        });
        assert!(result.is_finite());
        assert_eq!((count, peak), (0, 0), "{image_score:?}");
    }
}

#[test]
fn counting_allocator_sees_allocations() {
    let (v, peak, count) = measure(|| vec![1u8; 1000]);
    assert_eq!(v.len(), 1000);
    assert!(peak >= 1000 && count >= 1, "peak {peak}, count {count}");
}
