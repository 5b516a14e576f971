//! User-defined codecs and filters (ids 160–255), as python-blosc2's `register_codec` and
//! `register_filter` define them: the repeated-value codec and the neighbour-difference filter
//! of `common/plugins.rs` (byte formats there; `tools/user_plugins.py` has the Python twins).
//!
//! ```sh
//! cargo run -p blockcodec --example user_codec
//! ```

#[path = "common/plugins.rs"]
mod plugins;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use blockcodec::{BlockCallback, CParams, ChunkHeader, Codec, DParams, Error, Filter, Registry};
use plugins::{DifferenceFilter, RepeatedValueCodec};

fn main() -> Result<(), Error> {
    // 1. Register the plugins: in a registry carried by the params (or, like python-blosc2,
    //    process-wide with `blockcodec::register_codec` / `register_filter`).
    let registry = Registry::new()
        .with_codec(RepeatedValueCodec::default())?
        .with_filter(DifferenceFilter::default())?;

    // A 1024 × 1024 u16 image of flat bands and gentle ramps: differences are mostly
    // constant, so difference filter + run-length codec shrink it a lot.
    let (w, h) = (1024usize, 1024usize);
    let data: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            let v = if (y / 64) % 2 == 0 { 1000 } else { 3 * x + y };
            (v as u16).to_le_bytes()
        })
        .collect();

    // 2. Compress with codec 160 (its meta byte = element width 2) after filter 160, on four
    //    threads: the plugins run on every block in parallel.
    let cparams = CParams::default()
        .codec(Codec::User(160))
        .compcode_meta(2)
        .typesize(2)
        .filters(&[Filter::User(160)])
        .nthreads(4)
        .registry(registry.clone());
    let chunk = blockcodec::compress(&data, &cparams)?;
    let header = ChunkHeader::parse(&chunk)?;
    println!(
        "{} bytes -> {} bytes (ratio {:.0}); header: format code {}, udcodec {}, \
         compcode_meta {}, filters {:?}",
        data.len(),
        chunk.len(),
        data.len() as f64 / chunk.len() as f64,
        header.format_code(),
        header.udcodec(),
        header.compcode_meta(),
        header.filter_ids(),
    );
    let one_thread = blockcodec::compress(&data, &cparams.clone().nthreads(1))?;
    assert_eq!(one_thread, chunk, "bytes do not depend on the thread count");

    // 3. Decompress: the decoder finds codec and filter in its own registry by id.
    let mut out = vec![0u8; data.len()];
    let dparams = DParams::default().nthreads(4).registry(registry);
    blockcodec::decompress_into_with(&chunk, &mut out, &dparams)?;
    assert_eq!(out, data);
    // Without the plugins the chunk is `Unsupported`, naming the id.
    if let Err(err) = blockcodec::decompress_into(&chunk, &mut out) {
        println!("without the plugins: {err}");
    }

    // For comparison, the built-in LZ4 + shuffle.
    let lz4 = blockcodec::compress(&data, &CParams::default().typesize(2))?;
    println!("lz4 + shuffle: {} bytes", lz4.len());

    // 4. A postfilter sees every block after the pipeline (here: counts them, and turns the
    //    image into its negative on the fly); the user data travels with the callback.
    let blocks = Arc::new(AtomicUsize::new(0));
    let negate = BlockCallback::new(|p| {
        if let Some(n) = p.user_data::<Arc<AtomicUsize>>() {
            n.fetch_add(1, Ordering::Relaxed);
        }
        for px in p.output.chunks_exact_mut(2) {
            let v = u16::from_le_bytes([px[0], px[1]]);
            px.copy_from_slice(&(u16::MAX - v).to_le_bytes());
        }
        Ok(())
    })
    .with_user_data(Arc::clone(&blocks));
    let dparams = dparams.postfilter(negate);
    blockcodec::decompress_into_with(&chunk, &mut out, &dparams)?;
    assert_eq!(u16::from_le_bytes([out[0], out[1]]), u16::MAX - 1000);
    println!(
        "postfilter negated {} of {} blocks",
        blocks.load(Ordering::Relaxed),
        header.nblocks()
    );
    Ok(())
}
