//! A lazy mask channel: a 4096 × 4096 `f32` mask of zeros costs one float per chunk; drawing a
//! small disc touches only the chunks it covers, and clearing them makes them lazy again.
//!
//! `cargo run --release -p compressed-image --example 02_lazy_mask`

use compressed_image::{Channel, Params};

fn report(label: &str, mask: &Channel<f32>) {
    println!(
        "{label:<28} chunks {:>3} lazy {:>3} compressed {:>9} B of {:>9} B",
        mask.num_chunks(),
        mask.num_lazy_chunks(),
        mask.compressed_bytes(),
        mask.uncompressed_bytes()
    );
}

fn main() -> Result<(), compressed_image::Error> {
    let (w, h) = (4096, 4096);
    // 256 KiB chunks: 16 rows of 4096 floats.
    let mut mask = Channel::<f32>::zeros(w, h, Params::default().chunk_size(256 << 10))?;
    report("zeros", &mask);

    // A soft disc of radius 40 around (1000, 3000): only the chunks covering rows 2960..3040.
    let (cx, cy, r) = (1000.0f32, 3000.0f32, 40.0f32);
    let rows = (cy - r) as usize..(cy + r) as usize + 1;
    let chunks = mask.layout().chunk_of_row(rows.start).unwrap_or(0)
        ..=mask.layout().chunk_of_row(rows.end).unwrap_or(0);
    let mut buf = vec![0.0f32; mask.chunk_elems()];
    for i in chunks.clone() {
        let n = mask.chunk_len(i).unwrap_or(0);
        let y0 = mask.chunk_y_range(i).map_or(0, |r| r.start);
        mask.get_chunk(i, &mut buf[..n])?;
        for (k, v) in buf[..n].iter_mut().enumerate() {
            let (x, y) = ((k % w) as f32, (y0 + k / w) as f32);
            let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            *v = (1.0 - d / r).clamp(0.0, 1.0);
        }
        mask.set_chunk(i, &buf[..n])?;
    }
    report("disc drawn", &mask);
    println!("coverage at the centre: {}", mask.get(1000, 3000)?);

    // Clearing the touched chunks with a constant stores them lazily again.
    mask.for_each_chunk_mut(|chunk| {
        if chunks.contains(&chunk.index()) {
            chunk.fill(0.0);
        }
    })?;
    report("cleared", &mask);
    Ok(())
}
