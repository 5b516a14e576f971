//! Persistence contract: channels and images saved as `.b2frame` load back identical (values,
//! lazy chunks, compressed bytes, names, params, metadata), for every element type; malformed
//! or mismatched files are errors, never panics.
//!
//! With `COMPRESSED_IMAGE_EXPORT_DIR` set, `export_frames_for_python` also writes frames plus a
//! `manifest.json` and the expected raw values for `tools/image_interop.py`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::{Rng, TestElem, assert_same, random_bits, smooth, snapshot};
use compressed_image::half::f16;
use compressed_image::persist::{self, FORMAT_NAME};
use compressed_image::{Channel, Codec, Element, ErrorKind, Filter, Image, Params};
use compressed_image::{blockcodec, serde_json};

fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "compressed-image-persist-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A channel with compressed chunks, zero-filled lazy chunks, other-value lazy chunks and a
/// short last chunk.
fn mixed<T: TestElem>(w: usize, h: usize, seed: u64) -> (Channel<T>, Vec<T>) {
    let mut rng = Rng::new(seed);
    let params = Params::default()
        .chunk_size(w * T::TYPESIZE * 3)
        .block_size(256);
    let mut model: Vec<T> = smooth(w, h, &mut rng);
    let noise: Vec<T> = random_bits(w * 3, &mut rng);
    model[3 * w..6 * w].copy_from_slice(&noise);
    let mut ch = Channel::from_slice(&model, w, h, params).unwrap();
    // chunk 0: a non-zero fill; chunk 2: zeros; chunk 4: a fill of arbitrary bits (NaN, -0.0).
    let fills = [
        (0, T::from_u64(7)),
        (2, T::zero()),
        (4, T::from_bits(0xFFF8_0000_8000_0001)),
    ];
    for (i, v) in fills {
        ch.fill_chunk(i, v).unwrap();
        model[ch.chunk_range(i).unwrap()].fill(v);
    }
    (ch, model)
}

fn roundtrip_channel<T: TestElem>() {
    let dir = tmp_dir(T::DTYPE);
    let (ch, model) = mixed::<T>(37, 20, 1);
    assert!(ch.num_lazy_chunks() >= 3, "{}", ch.num_lazy_chunks());
    let path = dir.join("ch.b2frame");
    ch.save(&path).unwrap();
    let back = Channel::<T>::load(&path).unwrap();
    assert_same(&back.to_vec().unwrap(), &model);
    assert_eq!(snapshot(&back), snapshot(&ch), "{}", T::DTYPE);
    assert_eq!(back.params(), ch.params());
    assert_eq!(back.layout(), ch.layout());
    // In memory too, and the bytes are the file's.
    let bytes = ch.to_bytes().unwrap();
    assert_eq!(bytes, std::fs::read(&path).unwrap());
    let back = Channel::<T>::from_bytes(&bytes).unwrap();
    assert_eq!(snapshot(&back), snapshot(&ch));
    // A loaded channel can be edited and saved again.
    let mut back = back;
    back.fill_chunk(1, T::from_u64(3)).unwrap();
    back.save(&path).unwrap();
    assert_eq!(
        Channel::<T>::load(&path).unwrap().chunk_fill_value(1),
        Some(T::from_u64(3))
    );
    // An image file with this one channel loads as a channel, and the other way around.
    let info = persist::probe(&path).unwrap();
    assert_eq!(
        (info.kind.as_str(), info.dtype.as_str()),
        ("channel", T::DTYPE)
    );
    assert_eq!(
        (info.width, info.height, info.channel_names),
        (37, 20, vec![None])
    );
    let img = Image::<T>::load(&path).unwrap();
    assert_eq!(img.num_channels(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn channel_roundtrip_every_type() {
    roundtrip_channel::<u8>();
    roundtrip_channel::<i8>();
    roundtrip_channel::<u16>();
    roundtrip_channel::<i16>();
    roundtrip_channel::<u32>();
    roundtrip_channel::<i32>();
    roundtrip_channel::<f16>();
    roundtrip_channel::<f32>();
    roundtrip_channel::<f64>();
}

fn roundtrip_image<T: TestElem>() {
    let (a, model_a) = mixed::<T>(50, 33, 2);
    // Another layout and codec parameters in the same image.
    let mut rng = Rng::new(3);
    let model_b: Vec<T> = smooth(50, 33, &mut rng);
    let params_b = Params::default()
        .codec(Codec::BloscLz)
        .clevel(5)
        .filter(Filter::BitShuffle)
        .chunk_size(50 * T::TYPESIZE * 7);
    let b = Channel::from_slice(&model_b, 50, 33, params_b).unwrap();
    let c = Channel::<T>::full(50, 33, T::from_u64(9), Params::default()).unwrap();
    let mut img = Image::new(50, 33);
    img.add_channel("R", a).unwrap();
    img.add_channel(None, b).unwrap();
    img.add_channel("mask.left", c).unwrap();
    img.metadata_mut()
        .insert("owner".into(), "me ünïcode".into());
    img.metadata_mut().insert(
        "nested".into(),
        serde_json::json!({"z": [1, 2.5, null], "a": true}),
    );
    let bytes = img.to_bytes().unwrap();
    let back = Image::<T>::from_bytes(&bytes).unwrap();
    assert_eq!((back.width(), back.height()), (50, 33));
    assert_eq!(back.channel_names(), [Some("R"), None, Some("mask.left")]);
    assert_eq!(back.metadata(), img.metadata());
    // Key order is kept.
    let keys: Vec<&String> = back.metadata().keys().collect();
    assert_eq!(keys, ["owner", "nested"]);
    for (x, y) in img.channels().iter().zip(back.channels()) {
        assert_eq!(snapshot(x), snapshot(y));
        assert_eq!(x.params(), y.params());
    }
    assert_same(&back.channel_at(0).unwrap().to_vec().unwrap(), &model_a);
    assert_same(&back.channel_at(1).unwrap().to_vec().unwrap(), &model_b);
    assert_eq!(back.channel("mask.left").unwrap().num_lazy_chunks(), 1);
    // A one-channel image loads as a channel.
    let mut one = Image::new(50, 33);
    one.add_channel("Y", back.channel_at(1).unwrap().clone())
        .unwrap();
    let ch = Channel::<T>::from_bytes(&one.to_bytes().unwrap()).unwrap();
    assert_same(&ch.to_vec().unwrap(), &model_b);
    // But a multi-channel image does not.
    let err = Channel::<T>::from_bytes(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam, "{err}");
}

#[test]
fn image_roundtrip_every_type() {
    roundtrip_image::<u8>();
    roundtrip_image::<i8>();
    roundtrip_image::<u16>();
    roundtrip_image::<i16>();
    roundtrip_image::<u32>();
    roundtrip_image::<i32>();
    roundtrip_image::<f16>();
    roundtrip_image::<f32>();
    roundtrip_image::<f64>();
}

#[test]
fn image_file_roundtrip_and_empty_image() {
    let dir = tmp_dir("image");
    let rgb: Vec<u8> = (0..64 * 40 * 3).map(|i| (i * 7 % 251) as u8).collect();
    let img =
        Image::from_interleaved(&rgb, 64, 40, 3, &["R", "G", "B"], Params::default()).unwrap();
    let path = dir.join("rgb.b2frame");
    img.save(&path).unwrap();
    let back = Image::<u8>::load(&path).unwrap();
    assert_eq!(back.to_interleaved().unwrap(), rgb);
    let info = persist::probe(&path).unwrap();
    assert_eq!(info.kind, "image");
    assert_eq!(
        info.channel_names,
        [
            Some("R".to_owned()),
            Some("G".to_owned()),
            Some("B".to_owned())
        ]
    );
    let empty = Image::<f32>::new(0, 0);
    let back = Image::<f32>::from_bytes(&empty.to_bytes().unwrap()).unwrap();
    assert_eq!(
        (back.num_channels(), back.width(), back.height()),
        (0, 0, 0)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrong_type_and_missing_file() {
    let ch = Channel::<u16>::zeros(10, 10, Params::default()).unwrap();
    let bytes = ch.to_bytes().unwrap();
    let err = Channel::<i16>::from_bytes(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert!(err.message().contains("uint16"), "{err}");
    let err = Image::<f32>::from_bytes(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    let err = Channel::<u16>::load("/nonexistent/dir/x.b2frame").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    let err = ch.save("/nonexistent/dir/x.b2frame").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
}

/// A frame whose vlmeta entry `name` is replaced by `value` (msgpack), built with blockcodec.
fn with_vlmeta(frame: &[u8], name: &str, value: Option<&[u8]>) -> Vec<u8> {
    let mut sc =
        blockcodec::SChunk::from_frame(frame, &blockcodec::FrameLimits::default()).unwrap();
    match value {
        Some(v) => sc.vlmeta_set(name, v).unwrap(),
        None => sc.vlmeta_delete(name).unwrap(),
    }
    sc.to_frame().unwrap()
}

fn msg(v: &blockcodec::MsgValue) -> Vec<u8> {
    v.to_msgpack().unwrap()
}

#[test]
fn malformed_frames_are_errors() {
    use blockcodec::MsgValue as M;
    let (ch, _) = mixed::<f32>(20, 14, 4);
    let good = ch.to_bytes().unwrap();
    let kind = |bytes: &[u8]| {
        Channel::<f32>::from_bytes(bytes)
            .map(|_| ())
            .map_err(|e| e.kind())
    };
    assert_eq!(kind(&good), Ok(()));

    // Truncated and garbage frames: every prefix fails cleanly.
    for n in (0..good.len()).step_by(7) {
        assert!(kind(&good[..n]).is_err(), "prefix {n}");
    }
    assert_eq!(kind(b"not a frame at all"), Err(ErrorKind::InvalidData));
    // Byte flips anywhere: an error or a channel, never a panic.
    let mut rng = Rng::new(5);
    for _ in 0..300 {
        let mut bad = good.clone();
        let i = rng.below(bad.len());
        bad[i] ^= 1 << rng.below(8);
        if let Ok(c) = Channel::<f32>::from_bytes(&bad) {
            let _ = c.to_vec();
        }
    }

    // A plain SChunk frame without our vlmeta.
    let mut sc = blockcodec::SChunk::new(blockcodec::CParams::default().typesize(4)).unwrap();
    sc.append_buffer(&[0u8; 64]).unwrap();
    assert_eq!(kind(&sc.to_frame().unwrap()), Err(ErrorKind::InvalidData));

    let cases: Vec<(&str, Option<Vec<u8>>, ErrorKind)> = vec![
        (
            "format",
            Some(msg(&M::Str("other".into()))),
            ErrorKind::InvalidData,
        ),
        ("format", None, ErrorKind::InvalidData),
        ("version", Some(msg(&M::Int(2))), ErrorKind::Unsupported),
        ("version", Some(msg(&M::Int(0))), ErrorKind::InvalidData),
        (
            "version",
            Some(msg(&M::Str("1".into()))),
            ErrorKind::InvalidData,
        ),
        (
            "kind",
            Some(msg(&M::Str("volume".into()))),
            ErrorKind::InvalidData,
        ),
        (
            "dtype",
            Some(msg(&M::Str("float64".into()))),
            ErrorKind::InvalidParam,
        ),
        ("width", Some(msg(&M::Int(21))), ErrorKind::InvalidData),
        ("width", Some(msg(&M::Int(-1))), ErrorKind::InvalidData),
        ("width", Some(msg(&M::Int(0))), ErrorKind::InvalidData),
        ("height", Some(msg(&M::Int(13))), ErrorKind::InvalidData),
        (
            "height",
            Some(msg(&M::Int(i64::MAX))),
            ErrorKind::InvalidData,
        ),
        ("height", None, ErrorKind::InvalidData),
        (
            "byteorder",
            Some(msg(&M::Str("middle".into()))),
            ErrorKind::Unsupported,
        ),
        (
            "channels",
            Some(msg(&M::Array(vec![]))),
            ErrorKind::InvalidData,
        ),
        ("channels", Some(msg(&M::Int(3))), ErrorKind::InvalidData),
        (
            "metadata",
            Some(msg(&M::Str("[1, 2]".into()))),
            ErrorKind::InvalidData,
        ),
        (
            "metadata",
            Some(msg(&M::Str("{".into()))),
            ErrorKind::InvalidData,
        ),
        ("metadata", Some(vec![0xC1]), ErrorKind::InvalidData),
    ];
    for (name, value, expected) in cases {
        let bad = with_vlmeta(&good, name, value.as_deref());
        assert_eq!(kind(&bad), Err(expected), "{name} = {value:?}");
    }

    // Channel entries: each field wrong in turn.
    let sc = blockcodec::SChunk::from_frame(&good, &blockcodec::FrameLimits::default()).unwrap();
    let entry = M::from_msgpack(&sc.vlmeta_get("channels").unwrap().unwrap()).unwrap();
    let M::Array(list) = entry else { panic!() };
    let M::Map(fields) = &list[0] else { panic!() };
    let set = |key: &str, v: Option<M>| {
        let mut f: Vec<(M, M)> = fields
            .iter()
            .filter(|(k, _)| k.as_str() != Some(key))
            .cloned()
            .collect();
        if let Some(v) = v {
            f.push((M::Str(key.into()), v));
        }
        with_vlmeta(&good, "channels", Some(&msg(&M::Array(vec![M::Map(f)]))))
    };
    let field_cases: Vec<(&str, Option<M>, ErrorKind)> = vec![
        ("first_chunk", Some(M::Int(1)), ErrorKind::InvalidData),
        ("nchunks", Some(M::Int(3)), ErrorKind::InvalidData),
        ("nchunks", None, ErrorKind::InvalidData),
        ("chunk_rows", Some(M::Int(2)), ErrorKind::InvalidData),
        (
            "chunk_size",
            Some(M::Int(20 * 4 * 6)),
            ErrorKind::InvalidData,
        ),
        ("chunk_size", Some(M::Int(0)), ErrorKind::InvalidData),
        (
            "codec",
            Some(M::Str("brotli".into())),
            ErrorKind::Unsupported,
        ),
        (
            "filter",
            Some(M::Str("sort".into())),
            ErrorKind::Unsupported,
        ),
        (
            "filter",
            Some(M::Str("trunc-prec".into())),
            ErrorKind::InvalidData,
        ),
        ("clevel", Some(M::Int(10)), ErrorKind::InvalidData),
        ("name", Some(M::Int(1)), ErrorKind::InvalidData),
    ];
    for (key, value, expected) in field_cases {
        assert_eq!(
            kind(&set(key, value.clone())),
            Err(expected),
            "{key} = {value:?}"
        );
    }
    // Two channels with one name; chunk ranges that do not tile the frame.
    let img_bytes = {
        let mut img = Image::new(20, 14);
        img.add_channel("a", ch.clone()).unwrap();
        img.add_channel("b", ch.clone()).unwrap();
        img.to_bytes().unwrap()
    };
    let img_kind = |b: &[u8]| {
        Image::<f32>::from_bytes(b)
            .map(|_| ())
            .map_err(|e| e.kind())
    };
    assert_eq!(img_kind(&img_bytes), Ok(()));
    let sc =
        blockcodec::SChunk::from_frame(&img_bytes, &blockcodec::FrameLimits::default()).unwrap();
    let entry = M::from_msgpack(&sc.vlmeta_get("channels").unwrap().unwrap()).unwrap();
    let M::Array(list) = entry else { panic!() };
    let rename = |key: &str, v: M| {
        let mut list = list.clone();
        if let M::Map(f) = &mut list[1] {
            for (k, val) in f.iter_mut() {
                if k.as_str() == Some(key) {
                    *val = v.clone();
                }
            }
        }
        with_vlmeta(&img_bytes, "channels", Some(&msg(&M::Array(list))))
    };
    assert_eq!(
        img_kind(&rename("name", M::Str("a".into()))),
        Err(ErrorKind::InvalidData)
    );
    assert_eq!(
        img_kind(&rename("first_chunk", M::Int(3))),
        Err(ErrorKind::InvalidData)
    );
    assert_eq!(
        img_kind(&with_vlmeta(
            &img_bytes,
            "kind",
            Some(&msg(&M::Str("channel".into())))
        )),
        Err(ErrorKind::InvalidData)
    );
}

#[test]
fn chunks_that_do_not_match_the_layout() {
    let ch = Channel::<u16>::from_fn(16, 8, Params::default().chunk_size(64), |x, y| {
        (x * 31 + y * 7) as u16
    })
    .unwrap();
    assert_eq!(ch.num_chunks(), 4);
    let good = ch.to_bytes().unwrap();
    let limits = blockcodec::FrameLimits::default();
    let kind = |bytes: &[u8]| {
        Channel::<u16>::from_bytes(bytes)
            .map(|_| ())
            .map_err(|e| e.kind())
    };

    // A chunk of another typesize (same nbytes).
    let mut sc = blockcodec::SChunk::from_frame(&good, &limits).unwrap();
    let data: Vec<u8> = (0..64).map(|i| i as u8).collect();
    let other = blockcodec::compress(&data, &blockcodec::CParams::default().typesize(1)).unwrap();
    sc.update_chunk(1, other).unwrap();
    let err = Channel::<u16>::from_bytes(&sc.to_frame().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.message().contains("chunk 1"), "{err}");

    // A missing chunk, and an extra one.
    let mut sc = blockcodec::SChunk::from_frame(&good, &limits).unwrap();
    sc.delete_chunk(3).unwrap();
    assert_eq!(kind(&sc.to_frame().unwrap()), Err(ErrorKind::InvalidData));
    let mut sc = blockcodec::SChunk::from_frame(&good, &limits)
        .unwrap()
        .with_variable_chunks();
    sc.append_buffer(&[0u8; 64]).unwrap();
    assert_eq!(kind(&sc.to_frame().unwrap()), Err(ErrorKind::InvalidData));

    // A short chunk where a full one belongs (variable-size frame).
    let mut sc = blockcodec::SChunk::from_frame(&good, &limits)
        .unwrap()
        .with_variable_chunks();
    let short =
        blockcodec::compress(&[1u8; 32], &blockcodec::CParams::default().typesize(2)).unwrap();
    sc.update_chunk(0, short).unwrap();
    assert_eq!(kind(&sc.to_frame().unwrap()), Err(ErrorKind::InvalidData));

    // A NaN special chunk in a u16 channel frame cannot be built (typesize 2), but zeros and
    // repeated values of the right size load lazily.
    let mut sc = blockcodec::SChunk::from_frame(&good, &limits).unwrap();
    let v =
        blockcodec::chunk_repeat(64, &[5, 0], &blockcodec::CParams::default().typesize(2)).unwrap();
    sc.update_chunk(2, v).unwrap();
    let back = Channel::<u16>::from_bytes(&sc.to_frame().unwrap()).unwrap();
    assert_eq!(back.chunk_fill_value(2), Some(5));
}

/// Frames for `tools/image_interop.py`: written only when `COMPRESSED_IMAGE_EXPORT_DIR` is set.
#[test]
fn export_frames_for_python() {
    let Some(dir) = std::env::var_os("COMPRESSED_IMAGE_EXPORT_DIR").map(PathBuf::from) else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = Vec::new();
    fn export<T: TestElem>(dir: &std::path::Path, manifest: &mut Vec<serde_json::Value>) {
        let (ch, model) = mixed::<T>(41, 23, 11);
        let name = format!("channel_{}", T::DTYPE);
        ch.save(dir.join(format!("{name}.b2frame"))).unwrap();
        std::fs::write(dir.join(format!("{name}.raw")), T::as_bytes(&model)).unwrap();
        manifest.push(serde_json::json!({
            "file": format!("{name}.b2frame"), "raw": [format!("{name}.raw")],
            "kind": "channel", "dtype": T::DTYPE, "width": 41, "height": 23,
            "names": [null], "lazy": (0..ch.num_chunks()).filter(|&i| ch.is_chunk_lazy(i))
                .collect::<Vec<_>>(), "metadata": {},
        }));
    }
    export::<u8>(&dir, &mut manifest);
    export::<i8>(&dir, &mut manifest);
    export::<u16>(&dir, &mut manifest);
    export::<i16>(&dir, &mut manifest);
    export::<u32>(&dir, &mut manifest);
    export::<i32>(&dir, &mut manifest);
    export::<f16>(&dir, &mut manifest);
    export::<f32>(&dir, &mut manifest);
    export::<f64>(&dir, &mut manifest);
    // A multi-channel image of two layouts, with metadata.
    let (a, model_a) = mixed::<f32>(64, 30, 12);
    let mut rng = Rng::new(13);
    let model_b: Vec<f32> = smooth(64, 30, &mut rng);
    let b =
        Channel::from_slice(&model_b, 64, 30, Params::default().chunk_size(64 * 4 * 7)).unwrap();
    let mut img = Image::new(64, 30);
    img.add_channel("R", a).unwrap();
    img.add_channel("depth.Z", b).unwrap();
    img.metadata_mut().insert("owner".into(), "test".into());
    img.metadata_mut().insert("exposure".into(), 1.5.into());
    img.save(dir.join("image_f32.b2frame")).unwrap();
    std::fs::write(dir.join("image_f32_R.raw"), f32::as_bytes(&model_a)).unwrap();
    std::fs::write(dir.join("image_f32_Z.raw"), f32::as_bytes(&model_b)).unwrap();
    manifest.push(serde_json::json!({
        "file": "image_f32.b2frame", "raw": ["image_f32_R.raw", "image_f32_Z.raw"],
        "kind": "image", "dtype": "float32", "width": 64, "height": 30,
        "names": ["R", "depth.Z"], "metadata": {"owner": "test", "exposure": 1.5},
    }));
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    assert_eq!(FORMAT_NAME, "compressed-image");
}
