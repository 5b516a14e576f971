//! Per-thread scratch reused across blocks and calls.

use std::cell::RefCell;

use crate::codec::CodecScratch;
use crate::filter::FilterScratch;

#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) filter: FilterScratch,
    pub(crate) codec: CodecScratch,
    /// Block buffer for prefilter and postfilter callbacks (unused without them).
    pub(crate) block: Vec<u8>,
}

/// `buf` resized to `len` bytes (growing only), for block-sized scratch.
pub(crate) fn block_buffer(buf: &mut Vec<u8>, len: usize) -> &mut [u8] {
    if buf.len() < len {
        buf.resize(len, 0);
    }
    &mut buf[..len]
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch; a re-entrant call (a callback compressing from inside a
/// block) gets a fresh one instead of failing.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    let mut f = Some(f);
    let reused = SCRATCH.with(|cell| {
        let mut guard = cell.try_borrow_mut().ok()?;
        let f = f.take()?;
        Some(f(&mut guard))
    });
    match (reused, f) {
        (Some(r), _) => r,
        (None, Some(f)) => f(&mut Scratch::default()),
        // `f` was consumed only on the path that returned `Some`.
        (None, None) => unreachable_scratch(),
    }
}

#[cold]
fn unreachable_scratch() -> ! {
    unreachable!("scratch closure consumed without a result")
}
