//! `Image<T>`: named channels of one size, ordered metadata, interleave/deinterleave.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Rng, TestElem, assert_same, check_channel, random_bits, smooth};
use compressed_image::half::f16;
use compressed_image::serde_json::{Value, json};
use compressed_image::{Channel, ErrorKind, Image, Metadata, Params};

#[test]
fn channels_by_name_and_index() {
    let (w, h) = (20, 10);
    let p = Params::default();
    let mut img = Image::<u8>::new(w, h);
    assert_eq!((img.width(), img.height(), img.num_channels()), (w, h, 0));
    assert_eq!(img.compression_ratio(), 1.0);
    assert_eq!(
        img.add_channel("R", Channel::full(w, h, 1, p.clone()).unwrap())
            .unwrap(),
        0
    );
    assert_eq!(
        img.add_channel(None, Channel::full(w, h, 2, p.clone()).unwrap())
            .unwrap(),
        1
    );
    assert_eq!(
        img.add_channel(None, Channel::full(w, h, 3, p.clone()).unwrap())
            .unwrap(),
        2
    );
    assert_eq!(
        img.add_channel("B", Channel::full(w, h, 4, p.clone()).unwrap())
            .unwrap(),
        3
    );
    assert_eq!(img.channel_names(), [Some("R"), None, None, Some("B")]);

    // Duplicate names and size mismatches are errors and change nothing.
    let dup = img
        .add_channel("R", Channel::zeros(w, h, p.clone()).unwrap())
        .unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::InvalidParam);
    for (cw, ch) in [(w + 1, h), (w, h - 1)] {
        let e = img
            .add_channel("X", Channel::zeros(cw, ch, p.clone()).unwrap())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParam);
    }
    assert_eq!(img.num_channels(), 4);

    assert_eq!(img.channel("B").unwrap().get(0, 0).unwrap(), 4);
    assert_eq!(img.channel_at(1).unwrap().get(5, 5).unwrap(), 2);
    assert!(img.channel("G").is_none() && img.channel_at(4).is_none());
    assert_eq!(img.channel_index("B"), Some(3));
    img.channel_mut("R").unwrap().fill(9);
    img.channel_at_mut(2).unwrap().fill(8);
    assert_eq!(img.channel("R").unwrap().get(3, 3).unwrap(), 9);
    assert_eq!(img.channels()[2].get(0, 9).unwrap(), 8);
    for ch in img.channels_mut() {
        ch.fill_chunk(0, 0).unwrap();
    }
    assert_eq!(img.to_planar().unwrap(), vec![vec![0u8; w * h]; 4]);

    let r = img.remove_channel("R").unwrap();
    assert_eq!(r.width(), w);
    assert_eq!(img.channel_names(), [None, None, Some("B")]);
    assert_eq!(
        img.remove_channel("R").unwrap_err().kind(),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        img.remove_channel_at(3).unwrap_err().kind(),
        ErrorKind::InvalidParam
    );
    img.remove_channel_at(0).unwrap();
    assert_eq!(img.channel_names(), [None, Some("B")]);
    // The name is free again.
    img.add_channel("R", r).unwrap();
    assert_eq!(img.channel_index("R"), Some(2));
    assert_eq!(img.uncompressed_bytes(), 3 * w * h);
    assert_eq!(img.compressed_bytes(), 3);
    assert_eq!(img.compression_ratio(), (w * h) as f64);
}

#[test]
fn metadata_keeps_insertion_order() {
    let mut img = Image::<f32>::new(4, 4);
    assert!(img.metadata().is_empty());
    let m = img.metadata_mut();
    m.insert("zeta".into(), json!(1));
    m.insert("alpha".into(), json!({"nested": [1, 2, 3]}));
    m.insert("mid".into(), Value::from("text"));
    let keys: Vec<&str> = img.metadata().keys().map(String::as_str).collect();
    assert_eq!(keys, ["zeta", "alpha", "mid"]);
    assert_eq!(img.metadata()["alpha"]["nested"][2], 3);
    let mut other = Metadata::new();
    other.insert("b".into(), json!(null));
    other.insert("a".into(), json!(true));
    img.set_metadata(other.clone());
    assert_eq!(img.metadata(), &other);
    let text = Value::Object(img.metadata().clone()).to_string();
    assert_eq!(text, r#"{"b":null,"a":true}"#);
}

fn interleave_roundtrip<T: TestElem>() {
    let mut rng = Rng::new(T::TYPESIZE as u64);
    for (w, h) in [(1, 1), (5, 3), (64, 33)] {
        for n in [1, 3, 4, 5] {
            for chunk_size in [1, 3 * w * T::TYPESIZE + 1, usize::MAX] {
                let data = if rng.chance(50) {
                    smooth::<T>(w * n, h, &mut rng)
                } else {
                    random_bits::<T>(w * h * n, &mut rng)
                };
                let params = Params::default().chunk_size(chunk_size);
                let img = Image::from_interleaved(&data, w, h, n, &[], params).unwrap();
                assert_eq!(img.num_channels(), n);
                assert!(img.channel_names().iter().all(Option::is_none));
                for c in 0..n {
                    let plane: Vec<T> = data.iter().skip(c).step_by(n).copied().collect();
                    check_channel(img.channel_at(c).unwrap(), &plane);
                }
                assert_same(&img.to_interleaved().unwrap(), &data);
                let mut out = vec![T::zero(); data.len()];
                img.interleave_into(&mut out).unwrap();
                assert_same(&out, &data);
            }
        }
    }
}

#[test]
fn interleave_roundtrip_types() {
    interleave_roundtrip::<u8>();
    interleave_roundtrip::<u16>();
    interleave_roundtrip::<f16>();
    interleave_roundtrip::<f32>();
    interleave_roundtrip::<f64>();
}

#[test]
fn rgba_names_and_mixed_layouts() {
    let (w, h) = (30, 20);
    let rgba: Vec<u8> = (0..w * h * 4).map(|i| (i * 31 % 251) as u8).collect();
    let mut img =
        Image::from_interleaved(&rgba, w, h, 4, &["R", "G", "B", "A"], Params::default()).unwrap();
    assert_eq!(
        img.channel_names(),
        [Some("R"), Some("G"), Some("B"), Some("A")]
    );
    assert_eq!(img.channel("A").unwrap().get(1, 0).unwrap(), rgba[7]);
    // Channels with other chunk sizes and codecs still interleave correctly.
    let g = img.remove_channel("G").unwrap().to_vec().unwrap();
    let small = Params::default()
        .chunk_size(w + 3)
        .codec(compressed_image::Codec::BloscLz);
    img.add_channel("G2", Channel::from_slice(&g, w, h, small).unwrap())
        .unwrap();
    let out = img.to_interleaved().unwrap();
    let expect: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[2], px[3], px[1]])
        .collect();
    assert_eq!(out, expect);
}

#[test]
fn interleave_errors() {
    let p = Params::default;
    let kind = |r: compressed_image::Result<Image<u8>>| r.map(|_| ()).unwrap_err().kind();
    let data = vec![0u8; 4 * 3 * 3];
    assert_eq!(
        kind(Image::from_interleaved(&data, 4, 3, 0, &[], p())),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(Image::from_interleaved(&data, 4, 3, 2, &[], p())),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(Image::from_interleaved(&data[1..], 4, 3, 3, &[], p())),
        ErrorKind::InvalidParam
    );
    let two = ["R", "G"];
    assert_eq!(
        kind(Image::from_interleaved(&data, 4, 3, 3, &two, p())),
        ErrorKind::InvalidParam
    );
    let dup = ["R", "G", "R"];
    assert_eq!(
        kind(Image::from_interleaved(&data, 4, 3, 3, &dup, p())),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(Image::from_interleaved(&data, 0, 3, 3, &[], p())),
        ErrorKind::InvalidParam
    );
    let huge = Image::from_interleaved(&data, usize::MAX / 2, 1, 3, &[], p());
    assert_eq!(kind(huge), ErrorKind::LimitExceeded);
    let img = Image::from_interleaved(&data, 4, 3, 3, &[], p()).unwrap();
    let mut short = vec![0u8; data.len() - 1];
    assert_eq!(
        img.interleave_into(&mut short).unwrap_err().kind(),
        ErrorKind::InvalidParam
    );
    // An image with no channels interleaves to nothing.
    assert!(Image::<u8>::new(4, 3).to_interleaved().unwrap().is_empty());
}
