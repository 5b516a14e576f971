//! Failure atomicity through the public API (hardening.md §3.5 item 10, §3.7 item 4): every
//! call that returns `Err` leaves the channel or image observably unchanged. (Codec failures
//! in the middle of `set_chunk` and of a `chunks_mut` commit are injected by the unit tests in
//! `src/channel.rs`, which can reach the test-only fault hook.)

#![allow(clippy::unwrap_used, clippy::panic)]

use compressed_image::{Channel, ErrorKind, Image, Params};

type Snapshot = (Vec<u16>, usize, Vec<Option<u16>>, Vec<Option<usize>>);

fn snapshot(ch: &Channel<u16>) -> Snapshot {
    (
        ch.to_vec().unwrap(),
        ch.compressed_bytes(),
        (0..ch.num_chunks())
            .map(|i| ch.chunk_fill_value(i))
            .collect(),
        (0..ch.num_chunks())
            .map(|i| ch.chunk_compressed_bytes(i))
            .collect(),
    )
}

fn image_snapshot(img: &Image<u16>) -> (Vec<Option<String>>, Vec<Snapshot>) {
    (
        img.channel_names()
            .into_iter()
            .map(|n| n.map(str::to_owned))
            .collect(),
        img.channels().iter().map(snapshot).collect(),
    )
}

#[track_caller]
fn fails<T: std::fmt::Debug>(r: compressed_image::Result<T>) {
    assert_eq!(
        r.map_err(|e| e.kind()).err(),
        Some(ErrorKind::InvalidParam),
        "expected InvalidParam"
    );
}

fn channel() -> Channel<u16> {
    let (w, h) = (37, 29);
    let data: Vec<u16> = (0..w * h).map(|i| (i * 7 % 1009) as u16).collect();
    let mut ch =
        Channel::from_slice(&data, w, h, Params::default().chunk_size(37 * 2 * 4)).unwrap();
    ch.fill_chunk(2, 5).unwrap();
    ch
}

#[test]
fn failed_channel_calls_change_nothing() {
    let mut ch = channel();
    let before = snapshot(&ch);
    let n = ch.num_chunks();
    let len = ch.chunk_len(1).unwrap();
    let last = ch.chunk_len(n - 1).unwrap();
    let mut buf = vec![9u16; len + 1];
    fails(ch.set_chunk(1, &buf[..len + 1]));
    fails(ch.set_chunk(1, &buf[..len - 1]));
    fails(ch.set_chunk(n - 1, &buf[..last + 1]));
    fails(ch.set_chunk(n, &buf[..len]));
    fails(ch.set_chunk(usize::MAX, &buf[..len]));
    fails(ch.fill_chunk(n, 1));
    fails(ch.get_chunk(n, &mut buf[..len]));
    fails(ch.get_chunk(0, &mut buf[..len - 1]));
    fails(ch.get(37, 0));
    fails(ch.get(0, 29));
    fails(ch.decompress_into(&mut buf));
    assert_eq!(snapshot(&ch), before);
    // The buffers handed to failed reads are not written either.
    assert!(buf.iter().all(|&v| v == 9));
}

#[test]
fn failed_image_calls_change_nothing() {
    let mut img = Image::new(37, 29);
    img.add_channel("Y", channel()).unwrap();
    img.add_channel(None, Channel::zeros(37, 29, Params::default()).unwrap())
        .unwrap();
    let before = image_snapshot(&img);
    fails(img.add_channel("Y", channel()));
    fails(img.add_channel("Z", Channel::zeros(37, 28, Params::default()).unwrap()));
    fails(img.add_channel(None, Channel::zeros(36, 29, Params::default()).unwrap()));
    fails(img.remove_channel("nope"));
    fails(img.remove_channel_at(2));
    let mut out = vec![0u16; 37 * 29 * 2 - 1];
    fails(img.interleave_into(&mut out));
    assert_eq!(image_snapshot(&img), before);
    // Failed construction from interleaved data returns nothing half-built.
    let data = vec![1u16; 37 * 29 * 3];
    fails(Image::from_interleaved(
        &data,
        37,
        29,
        3,
        &["R", "R", "B"],
        Params::default(),
    ));
    fails(Image::from_interleaved(
        &data[1..],
        37,
        29,
        3,
        &[],
        Params::default(),
    ));
    fails(Image::from_interleaved(
        &data,
        37,
        29,
        0,
        &[],
        Params::default(),
    ));
}
