//! EXR reading and writing against real files (tests/data/exr, from the OpenEXR sample image
//! collection): every sample imports with the values of the `exr` crate's own full read, at
//! several chunk sizes; exports read back identical; channel selection, levels, hooks; every
//! damaged file from the OpenEXR fuzz corpus is an error, never a panic.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use compressed_image::half::f16;
use compressed_image::io::{self, ExrCompression, ReadOptions, WriteOptions};
use compressed_image::{Element, ErrorKind, Image, Params, serde_json};
use exr::prelude::{FlatSamples, ReadChannels, ReadLayers};

const SAMPLES: [&str; 7] = [
    "Beachball_singlepart.0004.exr",
    "LuminanceChroma_Garden.exr",
    "MultiResolution_ColorCodedLevels.exr",
    "ScanLines_Cannon.exr",
    "ScanLines_Carrots.exr",
    "TestImages_AllHalfValues.exr",
    "TestImages_GrayRampsHorizontal.exr",
];

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/exr")
        .join(name)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compressed-image-exr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The `exr` crate's full read of level `level` of the first layer: (name, samples as f64 bits
/// source) per channel, plus the size.
fn reference(path: &Path, level: usize) -> (usize, usize, Vec<(String, FlatSamples)>) {
    let image = exr::prelude::read()
        .no_deep_data()
        .all_resolution_levels()
        .all_channels()
        .all_layers()
        .all_attributes()
        .from_file(path)
        .unwrap();
    let layer = &image.layer_data[0];
    let mut size = None;
    let channels = layer
        .channel_data
        .list
        .iter()
        .map(|c| {
            let lvl = match &c.sample_data {
                exr::image::Levels::Singular(s) => {
                    assert_eq!(level, 0);
                    size = Some((layer.size.x(), layer.size.y()));
                    s
                }
                exr::image::Levels::Mip { level_data, .. } => {
                    let lsize = |full: usize| (full >> level).max(1);
                    size = Some((lsize(layer.size.x()), lsize(layer.size.y())));
                    &level_data[level]
                }
                exr::image::Levels::Rip { .. } => unimplemented!("no rip-map samples"),
            };
            (c.name.to_string(), lvl.clone())
        })
        .collect();
    let (w, h) = size.unwrap();
    (w, h, channels)
}

/// The reference samples converted to `T` the way our reader converts.
fn reference_as<T: Element>(s: &FlatSamples) -> Vec<T> {
    fn conv<S: Element, T: Element>(v: &[S]) -> Vec<T> {
        if S::DTYPE == T::DTYPE {
            return bytemuck::cast_slice::<S, T>(v).to_vec();
        }
        v.iter()
            .map(|x| T::from_normalized(x.to_normalized()))
            .collect()
    }
    match s {
        FlatSamples::F16(v) => conv::<f16, T>(v),
        FlatSamples::F32(v) => conv::<f32, T>(v),
        FlatSamples::U32(v) => conv::<u32, T>(v),
    }
}

#[track_caller]
fn assert_bits<T: Element>(a: &[T], b: &[T], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    if let Some(i) = (0..a.len()).find(|&i| !a[i].bits_eq(&b[i])) {
        panic!("{what}: element {i}: {:?} vs {:?}", a[i], b[i]);
    }
}

fn check_against_reference<T: Element>(path: &Path, options: &ReadOptions) {
    let img = Image::<T>::read(path, options).unwrap();
    let (w, h, channels) = reference(path, options.level);
    assert_eq!((img.width(), img.height()), (w, h), "{}", path.display());
    assert_eq!(img.num_channels(), channels.len());
    for (name, samples) in &channels {
        let ours = img.channel(name).unwrap().to_vec().unwrap();
        assert_bits(&ours, &reference_as::<T>(samples), name);
    }
}

#[test]
fn samples_equal_the_exr_crates_full_read() {
    for name in SAMPLES {
        let path = data(name);
        // Default 4 MiB chunks (often one chunk), and small chunks whose strips straddle the
        // file's scanline blocks and tiles.
        for chunk_size in [4 << 20, 10_000, 1] {
            let opts = ReadOptions::default().params(Params::default().chunk_size(chunk_size));
            check_against_reference::<f16>(&path, &opts);
        }
        check_against_reference::<f32>(&path, &ReadOptions::default());
    }
}

#[test]
fn native_dtype_and_probe() {
    for name in SAMPLES {
        let info = io::probe_file(data(name), 0).unwrap();
        assert_eq!(info.format, io::FileFormat::Exr);
        assert!(
            info.channel_dtypes.iter().all(|d| *d == "float16"),
            "{name}"
        );
        let img = io::read_native(data(name), &ReadOptions::default()).unwrap();
        assert_eq!(img.dtype(), "float16");
    }
    assert_eq!(
        io::detect_format(data("LICENSE")).unwrap_err().kind(),
        ErrorKind::Unsupported
    );
}

#[test]
fn mip_levels() {
    let path = data("MultiResolution_ColorCodedLevels.exr");
    for level in [1, 3, 9] {
        check_against_reference::<f16>(&path, &ReadOptions::default().level(level));
    }
    let img = Image::<f16>::read(&path, &ReadOptions::default().level(9)).unwrap();
    assert_eq!((img.width(), img.height()), (1, 1));
    let err = Image::<f16>::read(&path, &ReadOptions::default().level(10)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam, "{err}");
    let err = Image::<f16>::read(
        data("ScanLines_Carrots.exr"),
        &ReadOptions::default().level(1),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam, "{err}");
}

#[test]
fn channel_selection() {
    let path = data("Beachball_singlepart.0004.exr");
    let all = Image::<f16>::read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(all.num_channels(), 20);
    let img = Image::<f16>::read(&path, &ReadOptions::default().names(["Z", "R"])).unwrap();
    assert_eq!(img.channel_names(), [Some("Z"), Some("R")]);
    for n in ["Z", "R"] {
        assert_eq!(
            img.channel(n).unwrap().to_vec().unwrap(),
            all.channel(n).unwrap().to_vec().unwrap()
        );
    }
    let img = Image::<f16>::read(&path, &ReadOptions::default().indices([3, 0])).unwrap();
    assert_eq!(img.channel_names(), [Some("R"), Some("A")]);
    let img = Image::<f16>::read(&path, &ReadOptions::default().layer("left")).unwrap();
    assert_eq!(
        img.channel_names(),
        [
            Some("left.A"),
            Some("left.B"),
            Some("left.G"),
            Some("left.R"),
            Some("left.Z")
        ]
    );
    let img = Image::<f16>::read(&path, &ReadOptions::default().layer("")).unwrap();
    assert_eq!(img.num_channels(), 5);
    let kind = |o: ReadOptions| {
        Image::<f16>::read(&path, &o)
            .map(|_| ())
            .map_err(|e| e.kind())
    };
    assert_eq!(
        kind(ReadOptions::default().names(["nope"])),
        Err(ErrorKind::InvalidParam)
    );
    assert_eq!(
        kind(ReadOptions::default().names(["R", "R"])),
        Err(ErrorKind::InvalidParam)
    );
    assert_eq!(
        kind(ReadOptions::default().indices([20])),
        Err(ErrorKind::InvalidParam)
    );
    assert_eq!(
        kind(ReadOptions::default().layer("right")),
        Err(ErrorKind::InvalidParam)
    );
    assert_eq!(
        kind(ReadOptions::default().part(1)),
        Err(ErrorKind::InvalidParam)
    );
    // Attributes become metadata.
    let m = all.metadata();
    assert_eq!(m["dataWindow"], serde_json::json!([968, 451, 1882, 1320]));
    assert_eq!(m["displayWindow"], serde_json::json!([0, 0, 2047, 1555]));
    assert_eq!(m["name"], "rgba");
    assert_eq!(m["multiView"], serde_json::json!(["right", "left"]));
    assert_eq!(m["exr"]["channels"]["Z"]["type"], "float16");
}

#[test]
fn hook_sees_every_chunk_before_compression() {
    let path = data("ScanLines_Carrots.exr");
    let opts = ReadOptions::default()
        .names(["R", "G", "B"])
        .params(Params::default().chunk_size(50_000));
    let plain = Image::<f32>::read(&path, &opts).unwrap();
    let mut seen = Vec::new();
    let img = Image::<f32>::read_with(&path, &opts, |chunk| {
        seen.push((chunk.index(), chunk.y_range(), chunk.num_channels()));
        assert_eq!(chunk.name(2), "B");
        // A colour conversion across channels: RGB -> luma in R, G and B.
        let mut ch = chunk.channels_mut();
        let [r, g, b] = ch.as_mut_slice() else {
            panic!()
        };
        for ((r, g), b) in r.iter_mut().zip(g.iter_mut()).zip(b.iter_mut()) {
            let y = 0.25 * *r + 0.5 * *g + 0.25 * *b;
            (*r, *g, *b) = (y, y, y);
        }
        Ok(())
    })
    .unwrap();
    let n = plain.channel_at(0).unwrap().num_chunks();
    assert!(n > 3);
    seen.sort_by_key(|s| s.0);
    assert_eq!(seen.len(), n);
    assert_eq!(seen[0].1, 0..plain.channel_at(0).unwrap().chunk_rows());
    let (r, g, b) = (
        plain.channel("R").unwrap().to_vec().unwrap(),
        plain.channel("G").unwrap().to_vec().unwrap(),
        plain.channel("B").unwrap().to_vec().unwrap(),
    );
    let y = img.channel("G").unwrap().to_vec().unwrap();
    for i in (0..y.len()).step_by(97) {
        assert_eq!(y[i], 0.25 * r[i] + 0.5 * g[i] + 0.25 * b[i]);
    }
    // An error from the hook stops the read.
    let err = Image::<f32>::read_with(&path, &opts, |c| {
        if c.index() == 2 {
            Err(compressed_image::Error::new(
                ErrorKind::InvalidParam,
                "stop",
            ))
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert!(err.message().contains("stop"), "{err}");
}

fn roundtrip<T: Element>(src: &Path, compression: ExrCompression) {
    let img = Image::<T>::read(src, &ReadOptions::default()).unwrap();
    let out = tmp(&format!(
        "{}-{}-{}.exr",
        src.file_stem().unwrap().to_string_lossy(),
        T::DTYPE,
        compression.name()
    ));
    img.write(&out, &WriteOptions::default().exr_compression(compression))
        .unwrap();
    let back = Image::<T>::read(&out, &ReadOptions::default()).unwrap();
    assert_eq!(back.channel_names(), img.channel_names());
    for (a, b) in img.channels().iter().zip(back.channels()) {
        assert_bits(&b.to_vec().unwrap(), &a.to_vec().unwrap(), T::DTYPE);
    }
    // The exr crate reads our file to the same values.
    let (w, h, channels) = reference(&out, 0);
    assert_eq!((w, h), (img.width(), img.height()));
    for (name, samples) in channels {
        let ours = img.channel(&name).unwrap().to_vec().unwrap();
        assert_bits(&reference_as::<T>(&samples), &ours, &name);
    }
    for key in [
        "owner",
        "comments",
        "displayWindow",
        "dataWindow",
        "name",
        "multiView",
    ] {
        assert_eq!(back.metadata().get(key), img.metadata().get(key), "{key}");
    }
    std::fs::remove_file(out).unwrap();
}

#[test]
fn export_roundtrips() {
    for name in SAMPLES {
        roundtrip::<f16>(&data(name), ExrCompression::Zip);
    }
    roundtrip::<f16>(&data("TestImages_AllHalfValues.exr"), ExrCompression::Piz);
    roundtrip::<f16>(&data("ScanLines_Carrots.exr"), ExrCompression::None);
    roundtrip::<f32>(&data("ScanLines_Cannon.exr"), ExrCompression::Rle);
    roundtrip::<f32>(
        &data("TestImages_GrayRampsHorizontal.exr"),
        ExrCompression::Zips,
    );
}

#[test]
fn u32_and_other_types_roundtrip() {
    let (w, h) = (123, 77);
    let ids: Vec<u32> = (0..w * h)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761))
        .collect();
    let mut img = Image::new(w, h);
    let params = Params::default().chunk_size(4 * w * 5);
    img.add_channel(
        "id",
        compressed_image::Channel::from_slice(&ids, w, h, params).unwrap(),
    )
    .unwrap();
    img.metadata_mut().insert("owner".into(), "test".into());
    img.metadata_mut().insert("custom.scale".into(), 0.5.into());
    img.metadata_mut()
        .insert("custom.v2".into(), serde_json::json!([1, 2]));
    let out = tmp("ids.exr");
    img.write(&out, &WriteOptions::default()).unwrap();
    let info = io::probe_file(&out, 0).unwrap();
    assert_eq!(info.channel_dtypes, ["uint32"]);
    let back = Image::<u32>::read(&out, &ReadOptions::default()).unwrap();
    assert_eq!(back.channel("id").unwrap().to_vec().unwrap(), ids);
    assert_eq!(back.metadata()["owner"], "test");
    assert_eq!(back.metadata()["custom.scale"], 0.5);
    assert_eq!(back.metadata()["custom.v2"], serde_json::json!([1, 2]));
    // u8 images are stored as normalised float and come back exactly.
    let bytes: Vec<u8> = (0..w * h).map(|i| (i % 256) as u8).collect();
    let img = Image::from_interleaved(&bytes, w, h, 1, &["Y"], Params::default()).unwrap();
    img.write(&out, &WriteOptions::default()).unwrap();
    assert_eq!(io::probe_file(&out, 0).unwrap().channel_dtypes, ["float32"]);
    let back = Image::<u8>::read(&out, &ReadOptions::default()).unwrap();
    assert_eq!(back.to_interleaved().unwrap(), bytes);
    // Unnamed channels get names; no channels is an error.
    let mut img = Image::<f32>::new(4, 4);
    img.add_channel(
        None,
        compressed_image::Channel::zeros(4, 4, Params::default()).unwrap(),
    )
    .unwrap();
    img.write(&out, &WriteOptions::default()).unwrap();
    assert_eq!(io::probe_file(&out, 0).unwrap().channel_names, ["C0"]);
    let err = Image::<f32>::new(4, 4)
        .write(&out, &WriteOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    std::fs::remove_file(out).unwrap();
}

#[test]
fn channels_in_any_order_are_written_sorted_by_name() {
    let (w, h) = (37, 23);
    let mut img = Image::<f16>::new(w, h);
    let planes: Vec<Vec<f16>> = (0..4)
        .map(|c| {
            (0..w * h)
                .map(|i| f16::from_f32((i * (c + 1) % 251) as f32))
                .collect()
        })
        .collect();
    for (name, plane) in ["R", "G", "B", "A"].iter().zip(&planes) {
        let ch = compressed_image::Channel::from_slice(plane, w, h, Params::default()).unwrap();
        img.add_channel(*name, ch).unwrap();
    }
    let out = tmp("rgba-order.exr");
    img.write(&out, &WriteOptions::default()).unwrap();
    let back = Image::<f16>::read(&out, &ReadOptions::default()).unwrap();
    assert_eq!(
        back.channel_names(),
        [Some("A"), Some("B"), Some("G"), Some("R")]
    );
    for (name, plane) in ["R", "G", "B", "A"].iter().zip(&planes) {
        assert_eq!(
            &back.channel(name).unwrap().to_vec().unwrap(),
            plane,
            "{name}"
        );
    }
    std::fs::remove_file(out).unwrap();
}

#[test]
fn line_orders_and_tiles_written_by_the_exr_crate() {
    use exr::prelude::*;
    let (w, h) = (300usize, 211usize);
    let r: Vec<f32> = (0..w * h).map(|i| (i % 1013) as f32 * 0.5).collect();
    let g: Vec<f16> = (0..w * h).map(|i| f16::from_f32((i % 37) as f32)).collect();
    let blocks = [
        Blocks::ScanLines,
        Blocks::Tiles(Vec2(64, 32)),
        Blocks::Tiles(Vec2(17, 300)),
    ];
    for block in blocks {
        for order in [
            LineOrder::Increasing,
            LineOrder::Decreasing,
            LineOrder::Unspecified,
        ] {
            for compression in [
                Compression::Uncompressed,
                Compression::ZIP16,
                Compression::PIZ,
            ] {
                if matches!(block, Blocks::ScanLines) && order == LineOrder::Unspecified {
                    continue;
                }
                let channels = AnyChannels::sort(SmallVec::from_vec(vec![
                    AnyChannel::new("R", FlatSamples::F32(r.clone())),
                    AnyChannel::new("G", FlatSamples::F16(g.clone())),
                ]));
                let layer = Layer::new(
                    (w, h),
                    LayerAttributes::named("x"),
                    Encoding {
                        compression,
                        blocks: block,
                        line_order: order,
                    },
                    channels,
                );
                let out = tmp("order.exr");
                exr::image::Image::from_layer(layer)
                    .write()
                    .to_file(&out)
                    .unwrap();
                for chunk_size in [1, 5000, 1 << 20] {
                    let opts =
                        ReadOptions::default().params(Params::default().chunk_size(chunk_size));
                    let img = compressed_image::Image::<f32>::read(&out, &opts).unwrap();
                    let what = format!("{block:?} {order:?} {compression:?} {chunk_size}");
                    assert_eq!(img.channel("R").unwrap().to_vec().unwrap(), r, "{what}");
                    let gg: Vec<f32> = g.iter().map(|v| v.to_f32()).collect();
                    assert_eq!(img.channel("G").unwrap().to_vec().unwrap(), gg, "{what}");
                }
            }
        }
    }
}

#[test]
fn damaged_files_are_errors() {
    let dir = data("damaged");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rst") {
            continue;
        }
        n += 1;
        let r = Image::<f32>::read(&path, &ReadOptions::default());
        let err = r.map(|_| ()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidData | ErrorKind::Unsupported),
            "{}: {err}",
            path.display()
        );
        assert!(io::read_native(&path, &ReadOptions::default()).is_err());
        let _ = io::probe_file(&path, 0);
        let _ = Image::<f16>::read(
            &path,
            &ReadOptions::default().params(Params::default().chunk_size(1)),
        );
    }
    assert_eq!(n, 9);
    // Truncations of a good file: errors, never panics.
    let good = std::fs::read(data("TestImages_GrayRampsHorizontal.exr")).unwrap();
    let out = tmp("truncated.exr");
    for len in (0..good.len()).step_by(good.len() / 37) {
        std::fs::write(&out, &good[..len]).unwrap();
        assert!(
            Image::<f32>::read(&out, &ReadOptions::default()).is_err(),
            "{len}"
        );
    }
    std::fs::remove_file(out).unwrap();
}
