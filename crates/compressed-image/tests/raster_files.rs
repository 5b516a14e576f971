//! PNG, TIFF and JPEG through the `image` crate: files the `image` crate writes (8 and 16 bit,
//! 1 to 4 channels) read back to the same planar values; images we write decode with the
//! `image` crate to the same pixels; the astronaut photo shipped in data/ matches its raw RGB.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use compressed_image::io::{self, FileFormat, ReadOptions, WriteOptions};
use compressed_image::{Channel, ErrorKind, Image, Params};
use image::{ExtendedColorType, ImageEncoder};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compressed-image-raster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn astronaut_png_matches_its_raw_rgb() {
    let rgb = std::fs::read(repo("data/astronaut-512x512.rgb")).unwrap();
    let opts = ReadOptions::default().params(Params::default().chunk_size(100_000));
    let img = Image::<u8>::read(repo("data/astronaut.png"), &opts).unwrap();
    assert_eq!(img.channel_names(), [Some("R"), Some("G"), Some("B")]);
    assert!(img.channel_at(0).unwrap().num_chunks() > 1);
    assert_eq!(img.to_interleaved().unwrap(), rgb);
    let info = io::probe_file(repo("data/astronaut.png"), 0).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (FileFormat::Png, 512, 512)
    );
    assert_eq!(info.channel_dtypes, ["uint8"; 3]);
    // Into f32: normalised.
    let f = Image::<f32>::read(repo("data/astronaut.png"), &ReadOptions::default()).unwrap();
    let g = f.channel("G").unwrap().to_vec().unwrap();
    for i in (0..512 * 512).step_by(101) {
        assert_eq!(g[i], f32::from(rgb[3 * i + 1]) / 255.0);
    }
    // Channel selection and the hook.
    let b = Image::<u8>::read_with(
        repo("data/astronaut.png"),
        &ReadOptions::default().names(["B"]),
        |chunk| {
            chunk.channel_mut(0).iter_mut().for_each(|v| *v = 255 - *v);
            Ok(())
        },
    )
    .unwrap();
    let b = b.channel("B").unwrap().to_vec().unwrap();
    assert!((0..512 * 512).all(|i| b[i] == 255 - rgb[3 * i + 2]));
}

/// Encodes `samples` (native-endian bytes) with the `image` crate.
fn encode(path: &Path, bytes: &[u8], w: u32, h: u32, color: ExtendedColorType) {
    let f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    match path.extension().unwrap().to_str().unwrap() {
        "png" => image::codecs::png::PngEncoder::new(f)
            .write_image(bytes, w, h, color)
            .unwrap(),
        _ => image::codecs::tiff::TiffEncoder::new(f)
            .write_image(bytes, w, h, color)
            .unwrap(),
    }
}

fn check_format(ext: &str) {
    let (w, h) = (97usize, 61usize);
    let names: [&[&str]; 4] = [&["Y"], &["Y", "A"], &["R", "G", "B"], &["R", "G", "B", "A"]];
    for n in 1..=4 {
        if ext == "tif" && n == 2 {
            // The image crate's TIFF encoder has no gray + alpha: writing says so.
            let img = Image::<u8>::from_interleaved(
                &vec![0; w * h * 2],
                w,
                h,
                2,
                &["Y", "A"],
                Params::default(),
            )
            .unwrap();
            let err = img
                .write(tmp("ya.tif"), &WriteOptions::default())
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
            continue;
        }
        // 8-bit
        let data8: Vec<u8> = (0..w * h * n).map(|i| (i * 7 % 256) as u8).collect();
        let color = [
            ExtendedColorType::L8,
            ExtendedColorType::La8,
            ExtendedColorType::Rgb8,
            ExtendedColorType::Rgba8,
        ][n - 1];
        let path = tmp(&format!("in8_{n}.{ext}"));
        encode(&path, &data8, w as u32, h as u32, color);
        let opts = ReadOptions::default().params(Params::default().chunk_size(w * 5));
        let img = Image::<u8>::read(&path, &opts).unwrap();
        assert_eq!(
            img.channel_names(),
            names[n - 1].iter().map(|s| Some(*s)).collect::<Vec<_>>()
        );
        assert_eq!(img.to_interleaved().unwrap(), data8, "{ext} 8-bit {n}");
        assert_eq!(
            io::read_native(&path, &ReadOptions::default())
                .unwrap()
                .dtype(),
            "uint8"
        );
        // Written back: the image crate decodes the same bytes.
        let out = tmp(&format!("out8_{n}.{ext}"));
        img.write(&out, &WriteOptions::default()).unwrap();
        assert_eq!(
            io::detect_format(&out).unwrap().name(),
            if ext == "png" { "png" } else { "tiff" }
        );
        let back = image::open(&out).unwrap();
        assert_eq!(back.as_bytes(), data8.as_slice(), "{ext} 8-bit {n} written");

        // 16-bit
        let data16: Vec<u16> = (0..w * h * n).map(|i| (i * 977 % 65536) as u16).collect();
        let bytes16: Vec<u8> = data16.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let color = [
            ExtendedColorType::L16,
            ExtendedColorType::La16,
            ExtendedColorType::Rgb16,
            ExtendedColorType::Rgba16,
        ][n - 1];
        let path = tmp(&format!("in16_{n}.{ext}"));
        encode(&path, &bytes16, w as u32, h as u32, color);
        let img = Image::<u16>::read(&path, &opts).unwrap();
        assert_eq!(img.to_interleaved().unwrap(), data16, "{ext} 16-bit {n}");
        assert_eq!(
            io::read_native(&path, &ReadOptions::default())
                .unwrap()
                .dtype(),
            "uint16"
        );
        let out = tmp(&format!("out16_{n}.{ext}"));
        img.write(&out, &WriteOptions::default()).unwrap();
        let back = image::open(&out).unwrap();
        assert_eq!(
            back.as_bytes(),
            bytes16.as_slice(),
            "{ext} 16-bit {n} written"
        );
        // Through f32 and back: 16-bit values survive the normalised conversion.
        let f = Image::<f32>::read(&path, &ReadOptions::default()).unwrap();
        f.write(&out, &WriteOptions::default()).unwrap();
        assert_eq!(image::open(&out).unwrap().as_bytes(), bytes16.as_slice());
    }
}

#[test]
fn png_8_and_16_bit() {
    check_format("png");
}

#[test]
fn tiff_8_and_16_bit() {
    check_format("tif");
}

#[test]
fn jpeg_reads_like_the_image_crate() {
    let rgb = std::fs::read(repo("data/astronaut-512x512.rgb")).unwrap();
    let path = tmp("astronaut.jpg");
    let f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    image::codecs::jpeg::JpegEncoder::new_with_quality(f, 90)
        .write_image(&rgb, 512, 512, ExtendedColorType::Rgb8)
        .unwrap();
    let img = Image::<u8>::read(&path, &ReadOptions::default()).unwrap();
    let reference = image::open(&path).unwrap().to_rgb8().into_raw();
    assert_eq!(img.to_interleaved().unwrap(), reference);
    // JPEG cannot be written.
    let err = img
        .write(tmp("x.jpg"), &WriteOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
}

#[test]
fn exr_channels_export_to_png_in_rgb_order() {
    // Channels named as EXR sorts them (A, B, G, R) are written as R G B A.
    let (w, h) = (16, 8);
    let mut img = Image::<u8>::new(w, h);
    for (name, v) in [("A", 4u8), ("B", 3), ("G", 2), ("R", 1)] {
        img.add_channel(name, Channel::full(w, h, v, Params::default()).unwrap())
            .unwrap();
    }
    let out = tmp("abgr.png");
    img.write(&out, &WriteOptions::default()).unwrap();
    let back = image::open(&out).unwrap().to_rgba8().into_raw();
    assert_eq!(&back[..4], &[1, 2, 3, 4]);
    // Five unnamed channels do not fit.
    let mut img = Image::<u8>::new(w, h);
    for _ in 0..5 {
        img.add_channel(None, Channel::zeros(w, h, Params::default()).unwrap())
            .unwrap();
    }
    let err = img.write(&out, &WriteOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    let err = img
        .write(tmp("x.bmp"), &WriteOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
}

#[test]
fn damaged_files_are_errors() {
    let good = std::fs::read(repo("data/astronaut.png")).unwrap();
    let out = tmp("bad.png");
    // Cut inside the image data (the last 10% may hold only the end of the stream).
    for len in (8..good.len() * 9 / 10).step_by(good.len() / 23) {
        std::fs::write(&out, &good[..len]).unwrap();
        let err = Image::<u8>::read(&out, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidData | ErrorKind::Unsupported),
            "{len}: {err}"
        );
    }
    let mut bad = good.clone();
    for i in (100..bad.len()).step_by(997) {
        bad[i] ^= 0x55;
    }
    std::fs::write(&out, &bad).unwrap();
    assert!(Image::<u8>::read(&out, &ReadOptions::default()).is_err());
    std::fs::write(&out, b"II*\0garbage").unwrap();
    assert!(Image::<u8>::read(&out, &ReadOptions::default()).is_err());
    let err = Image::<u8>::read(&out, &ReadOptions::default().part(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
}
