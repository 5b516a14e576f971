//! Editing chunks in parallel: a 2048 × 2048 `f32` channel gets a gamma curve applied chunk by
//! chunk, serially and with `par_chunks_mut` (rayon, with the default `parallel` feature), and
//! several channels of an image are edited at once from scoped threads.
//!
//! `cargo run --release -p compressed-image --example 03_parallel_edit`

use std::time::Instant;

use compressed_image::{Channel, Image, Params};

fn main() -> Result<(), compressed_image::Error> {
    let (w, h) = (2048, 2048);
    let params = Params::default().chunk_size(1 << 20);
    let original = Channel::from_fn(w, h, params, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        0.5 + 0.5 * (6.0 * u).sin() * (4.0 * v).cos()
    })?;
    println!(
        "{} chunks, {:.1} MiB -> {:.1} MiB",
        original.num_chunks(),
        original.uncompressed_bytes() as f64 / (1 << 20) as f64,
        original.compressed_bytes() as f64 / (1 << 20) as f64
    );

    let gamma = |chunk: &mut compressed_image::ChunkMut<'_, f32>| {
        for v in chunk.iter_mut() {
            *v = v.powf(1.0 / 2.2);
        }
    };
    let mut serial = original.clone();
    let t = Instant::now();
    serial.for_each_chunk_mut(gamma)?;
    println!(
        "serial gamma:   {:>7.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    let mut parallel = original.clone();
    let t = Instant::now();
    parallel.par_chunks_mut(gamma)?;
    println!(
        "parallel gamma: {:>7.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let same = serial.to_vec()? == parallel.to_vec()?;
    println!("serial == parallel: {same}");

    // Several channels edited at once: each thread owns one channel.
    let mut img = Image::new(w, h);
    for name in ["R", "G", "B"] {
        img.add_channel(name, original.clone())?;
    }
    let results: Vec<compressed_image::Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = img
            .channels_mut()
            .iter_mut()
            .enumerate()
            .map(|(c, ch)| {
                s.spawn(move || {
                    ch.for_each_chunk_mut(|chunk| {
                        for (x, _, v) in chunk.pixels_mut() {
                            if x % 3 == c {
                                *v = 0.0;
                            }
                        }
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results
        .into_iter()
        .collect::<compressed_image::Result<()>>()?;
    println!(
        "image: {} channels, ratio {:.2}, G(4, 0) = {}",
        img.num_channels(),
        img.compression_ratio(),
        img.channel("G")
            .map(|g| g.get(4, 0))
            .transpose()?
            .unwrap_or(f32::NAN)
    );
    Ok(())
}
