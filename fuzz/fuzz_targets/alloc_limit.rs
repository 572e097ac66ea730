//! A global allocator that aborts on any single allocation above [`LIMIT`]: libFuzzer's
//! `-malloc_limit_mb` needs AddressSanitizer's hooks, which these stable `-s none`
//! builds do not have. A parser that sizes a buffer from a length field it has not
//! checked against the input shows up as a crash, even when the pages are never touched
//! (which `-rss_limit_mb` would miss). Inputs are at most a few MB; 256 MiB is far above
//! anything a correct parser asks for.

use std::alloc::{GlobalAlloc, Layout, System};

const LIMIT: usize = 256 << 20;

pub struct Limited;

// SAFETY: forwards to the system allocator unchanged; only refuses to go on (abort,
// which libFuzzer records with the input) for oversized requests.
unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

fn check(size: usize) {
    if size > LIMIT {
        // No allocation here: write(2) the message, then abort.
        let msg = b"alloc_limit: one allocation above 256 MiB: unbounded allocation\n";
        // SAFETY: writing a static buffer to stderr.
        unsafe { libc_write(2, msg.as_ptr(), msg.len()) };
        std::process::abort();
    }
}

extern "C" {
    #[link_name = "write"]
    fn libc_write(fd: i32, buf: *const u8, count: usize) -> isize;
}
