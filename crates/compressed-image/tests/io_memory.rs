//! Importing an EXR keeps memory near the compressed image plus about one chunk per channel,
//! never the whole decoded image: measured with a counting global allocator (this test binary
//! only; the allocator's `unsafe` lives in the `peak_alloc` crate).

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use compressed_image::half::f16;
use compressed_image::io::ReadOptions;
use compressed_image::{Image, Params};
use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Peak bytes allocated while `f` runs, above what was live before.
fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let r = f();
    (r, ALLOC.peak_usage().saturating_sub(base))
}

#[test]
fn import_peak_is_about_one_chunk_per_channel() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exr/Beachball_singlepart.0004.exr");
    let chunk_size = 256 << 10;
    let opts = ReadOptions::default().params(Params::default().chunk_size(chunk_size));
    let (img, peak) = peak_of(|| Image::<f16>::read(&path, &opts).unwrap());
    let decoded = img.uncompressed_bytes();
    let compressed = img.compressed_bytes();
    let channels = img.num_channels();
    // Two strips per channel may be open while a block straddles a chunk boundary; the exr
    // crate holds a few decoded blocks (a scanline block here is 1 row of all channels) and
    // its offset tables; chunk compression needs one scratch chunk.
    let bound = compressed + 3 * channels * chunk_size + (2 << 20);
    println!(
        "decoded {decoded} bytes, compressed {compressed}, peak {peak}, bound {bound} \
         ({channels} channels, {chunk_size}-byte chunks)"
    );
    assert_eq!(decoded, 915 * 870 * 2 * 20);
    assert!(peak < bound, "peak {peak} above {bound}");
    assert!(
        peak < decoded / 2,
        "peak {peak} is not well below the decoded size {decoded}"
    );
}
