//! Splits the 512 × 512 astronaut photograph (interleaved 8-bit RGB) into compressed R, G and
//! B channels, prints their sizes and compression ratios, and checks the roundtrip.
//!
//! `cargo run --release -p compressed-image --example 01_photo_channel`

use std::error::Error;
use std::path::Path;

use compressed_image::{Codec, Image, Params};

fn main() -> Result<(), Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/astronaut-512x512.rgb");
    let rgb = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (width, height) = (512, 512);
    if rgb.len() != width * height * 3 {
        return Err(format!(
            "{} is {} bytes, expected 512×512×3",
            path.display(),
            rgb.len()
        )
        .into());
    }

    println!(
        "{:<34} {:>7} {:>11} {:>9} {:>6}",
        "params", "channel", "bytes", "cbytes", "ratio"
    );
    let settings = [
        ("default (lz4 9, shuffle, 4 MiB)", Params::default()),
        (
            "lz4 5, 64 KiB chunks",
            Params::default().clevel(5).chunk_size(64 << 10),
        ),
        (
            "blosclz 9, 32-row chunks",
            Params::default().codec(Codec::BloscLz).chunk_size(32 * 512),
        ),
    ];
    for (label, params) in settings {
        let img = Image::from_interleaved(&rgb, width, height, 3, &["R", "G", "B"], params)?;
        for (name, ch) in img.channel_names().into_iter().zip(img.channels()) {
            println!(
                "{label:<34} {:>7} {:>11} {:>9} {:>6.2}",
                name.unwrap_or("?"),
                ch.uncompressed_bytes(),
                ch.compressed_bytes(),
                ch.compression_ratio()
            );
        }
        println!(
            "{label:<34} {:>7} {:>11} {:>9} {:>6.2}",
            "all",
            img.uncompressed_bytes(),
            img.compressed_bytes(),
            img.compression_ratio()
        );
        if img.to_interleaved()? != rgb {
            return Err("roundtrip mismatch".into());
        }
    }
    println!("roundtrip ok");
    Ok(())
}
