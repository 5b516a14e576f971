//! `Channel<T>` against a plain `Vec<T>` model: every element type, chunk geometries (short
//! last chunk, chunk sizes that are not whole rows, one-row chunks, chunks larger than the
//! image), lazy storage, and error cases that must leave the channel unchanged
//! (hardening.md §3.3 cases 33–35, §3.5.10).

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Rng, TestElem, assert_same, check_channel, random_bits, smooth, snapshot};
use compressed_image::half::f16;
use compressed_image::{Channel, ChunkRect, Codec, ErrorKind, Filter, Params};

/// Chunk sizes in bytes for a row of `row` bytes: one row, not a multiple of a row (below and
/// above), several rows plus change, and larger than any image.
fn chunk_sizes(row: usize) -> Vec<usize> {
    vec![
        1,
        (row - 1).max(1),
        row,
        row + 1,
        3 * row + 5,
        7 * row - 1,
        usize::MAX,
    ]
}

fn roundtrip_matrix<T: TestElem>() {
    let mut rng = Rng::new(0xC0FFEE ^ T::TYPESIZE as u64);
    for (w, h) in [(1, 1), (1, 9), (9, 1), (7, 5), (33, 17), (100, 64)] {
        let row = w * T::TYPESIZE;
        for cs in chunk_sizes(row) {
            for data in [
                smooth::<T>(w, h, &mut rng),
                random_bits::<T>(w * h, &mut rng),
            ] {
                let params = Params::default().chunk_size(cs);
                let ch = Channel::from_slice(&data, w, h, params).unwrap();
                let rows = (cs / row).clamp(1, h);
                assert_eq!(ch.chunk_rows(), rows, "{w}×{h} cs {cs}");
                assert_eq!(ch.num_chunks(), h.div_ceil(rows));
                assert_eq!((ch.width(), ch.height(), ch.num_elements()), (w, h, w * h));
                assert_eq!(ch.uncompressed_bytes(), w * h * T::TYPESIZE);
                // Every chunk has the same length but the last, which may be shorter.
                let n = ch.num_chunks();
                for i in 0..n - 1 {
                    assert_eq!(ch.chunk_len(i), Some(rows * w));
                }
                let last = ch.chunk_len(n - 1).unwrap();
                assert!(last > 0 && last <= rows * w);
                assert_eq!((n - 1) * rows * w + last, w * h);
                assert_eq!(ch.chunk_len(n), None);
                check_channel(&ch, &data);
                for _ in 0..5 {
                    let (x, y) = (rng.below(w), rng.below(h));
                    assert!(ch.get(x, y).unwrap().bits_eq(&data[y * w + x]));
                }
            }
        }
    }
}

macro_rules! per_type {
    ($($name:ident: $t:ty),* $(,)?) => {$(
        #[test]
        fn $name() {
            roundtrip_matrix::<$t>();
            lazy_behaviour::<$t>();
            set_chunk_errors_leave_channel_unchanged::<$t>();
        }
    )*};
}

per_type! {
    type_u8: u8, type_i8: i8, type_u16: u16, type_i16: i16, type_u32: u32, type_i32: i32,
    type_f16: f16, type_f32: f32, type_f64: f64,
}

fn lazy_behaviour<T: TestElem>() {
    let (w, h) = (37, 23);
    let params = Params::default().chunk_size(5 * w * T::TYPESIZE);
    let v = T::from_u64(9);
    let zeros = Channel::<T>::zeros(w, h, params.clone()).unwrap();
    let full = Channel::full(w, h, v, params.clone()).unwrap();
    let n = zeros.num_chunks();
    assert_eq!(n, 5);
    for (ch, value) in [(&zeros, T::zero()), (&full, v)] {
        assert_eq!(ch.num_lazy_chunks(), n);
        assert_eq!(ch.compressed_bytes(), n * T::TYPESIZE);
        check_channel(ch, &vec![value; w * h]);
    }
    let zl = Channel::zeros_like(&full);
    let fl = Channel::full_like(&zeros, v);
    assert_eq!((zl.layout(), zl.params()), (full.layout(), full.params()));
    check_channel(&zl, &vec![T::zero(); w * h]);
    check_channel(&fl, &vec![v; w * h]);

    // Reading (get_chunk, chunks(), a read-only guard) keeps chunks lazy.
    let mut ch = fl;
    let mut buf = vec![T::zero(); ch.chunk_elems()];
    ch.get_chunk(0, &mut buf).unwrap();
    assert_eq!(ch.chunks().count(), n);
    ch.for_each_chunk_mut(|c| assert!(c.iter().all(|x| x.bits_eq(&v))))
        .unwrap();
    assert_eq!(ch.num_lazy_chunks(), n);

    // Writing varying values materialises only that chunk.
    let mut rng = Rng::new(1);
    let mut model = vec![v; w * h];
    let r = ch.chunk_range(2).unwrap();
    let vals = smooth::<T>(w, r.len() / w, &mut rng);
    model[r.clone()].copy_from_slice(&vals);
    ch.set_chunk(2, &vals).unwrap();
    assert!(!ch.is_chunk_lazy(2) || common::uniform(&vals));
    assert_eq!(ch.num_lazy_chunks(), n - 1);
    check_channel(&ch, &model);

    // Writing a constant makes it lazy again, through set_chunk and through a guard.
    let c = T::from_u64(3);
    ch.set_chunk(2, &vec![c; r.len()]).unwrap();
    assert_eq!(ch.chunk_fill_value(2).map(|x| x.bits_eq(&c)), Some(true));
    model[r.clone()].fill(c);
    check_channel(&ch, &model);
    ch.set_chunk(2, &vals).unwrap();
    ch.for_each_chunk_mut(|chunk| {
        if chunk.index() == 2 {
            chunk.fill(c);
        }
    })
    .unwrap();
    assert_eq!(ch.num_lazy_chunks(), n);
    check_channel(&ch, &model);

    // fill_chunk / fill.
    ch.set_chunk(4, &vec![T::from_u64(1); ch.chunk_len(4).unwrap()])
        .unwrap();
    ch.fill_chunk(0, T::from_u64(5)).unwrap();
    let r0 = ch.chunk_range(0).unwrap();
    model[r0].fill(T::from_u64(5));
    model[ch.chunk_range(4).unwrap()].fill(T::from_u64(1));
    check_channel(&ch, &model);
    assert_eq!(
        ch.fill_chunk(n, v).unwrap_err().kind(),
        ErrorKind::InvalidParam
    );
    ch.set_chunk(1, &vals[..ch.chunk_len(1).unwrap()]).unwrap();
    ch.fill(T::from_u64(2));
    assert_eq!(ch.compressed_bytes(), n * T::TYPESIZE);
    check_channel(&ch, &vec![T::from_u64(2); w * h]);

    // from_slice stores uniform chunks lazily too.
    let mut data = vec![v; w * h];
    data[0] = T::from_u64(1);
    let ch = Channel::from_slice(&data, w, h, params).unwrap();
    assert_eq!(ch.num_lazy_chunks(), n - 1);
    assert!(!ch.is_chunk_lazy(0));
    check_channel(&ch, &data);
}

fn set_chunk_errors_leave_channel_unchanged<T: TestElem>() {
    let (w, h) = (19, 11);
    let mut rng = Rng::new(7);
    let data = smooth::<T>(w, h, &mut rng);
    let mut ch = Channel::from_slice(
        &data,
        w,
        h,
        Params::default().chunk_size(4 * w * T::TYPESIZE),
    )
    .unwrap();
    let n = ch.num_chunks();
    let before = snapshot(&ch);
    let clone = ch.clone();
    let len0 = ch.chunk_len(0).unwrap();
    let last = ch.chunk_len(n - 1).unwrap();
    let long = vec![T::from_u64(1); len0 + 1];
    let cases: Vec<(usize, &[T])> = vec![
        (0, &long[..len0 - 1]),
        (0, &long),
        (0, &[]),
        (n - 1, &long[..len0]), // a full chunk's length for the shorter last chunk
        (n, &long[..len0]),
        (n, &long[..last]),
        (usize::MAX, &long[..len0]),
    ];
    if last == len0 {
        panic!("test layout should have a short last chunk");
    }
    for (i, vals) in cases {
        let err = ch.set_chunk(i, vals).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParam, "{err}");
        let mut buf = vals.to_vec();
        let err = ch.get_chunk(i, &mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParam, "{err}");
        assert_eq!(snapshot(&ch), before);
        assert_eq!(snapshot(&clone), before);
    }
    for (x, y) in [(w, 0), (0, h), (usize::MAX, usize::MAX)] {
        assert_eq!(ch.get(x, y).unwrap_err().kind(), ErrorKind::InvalidParam);
    }
    let mut out = vec![T::zero(); w * h - 1];
    assert_eq!(
        ch.decompress_into(&mut out).unwrap_err().kind(),
        ErrorKind::InvalidParam
    );
}

#[test]
fn layout_errors_are_errors_not_panics() {
    let p = Params::default;
    let kind = |r: compressed_image::Result<Channel<f32>>| r.map(|_| ()).unwrap_err().kind();
    assert_eq!(kind(Channel::zeros(0, 10, p())), ErrorKind::InvalidParam);
    assert_eq!(kind(Channel::zeros(10, 0, p())), ErrorKind::InvalidParam);
    assert_eq!(kind(Channel::full(0, 0, 1.0, p())), ErrorKind::InvalidParam);
    assert_eq!(
        kind(Channel::from_slice(&[], 0, 5, p())),
        ErrorKind::InvalidParam
    );
    // width × height × 4 overflows usize.
    assert_eq!(
        kind(Channel::zeros(usize::MAX / 4 + 1, 1, p())),
        ErrorKind::LimitExceeded
    );
    assert_eq!(
        kind(Channel::zeros(1 << 32, 1 << 31, p())),
        ErrorKind::LimitExceeded
    );
    assert_eq!(
        kind(Channel::zeros(usize::MAX, usize::MAX, p())),
        ErrorKind::LimitExceeded
    );
    // One row of 2^31 bytes exceeds a Blosc2 chunk; so does a requested 3 GiB chunk.
    assert_eq!(
        kind(Channel::zeros(1 << 29, 1, p())),
        ErrorKind::LimitExceeded
    );
    let big = p().chunk_size(3 << 30);
    assert_eq!(
        kind(Channel::zeros(1 << 20, 1 << 10, big.clone())),
        ErrorKind::LimitExceeded
    );
    // ... but the chunk size is capped at the channel size first, so small images are fine.
    assert_eq!(Channel::<f32>::zeros(64, 64, big).unwrap().num_chunks(), 1);
    // A huge lazy channel is fine: nothing is allocated per pixel.
    let huge = Channel::<u8>::zeros(1 << 20, 1 << 20, p()).unwrap();
    assert_eq!(huge.num_chunks(), (1 << 20) / 4);
    assert_eq!(huge.compressed_bytes(), huge.num_chunks());
    // Wrong slice length and bad params.
    assert_eq!(
        kind(Channel::from_slice(&[0.0; 11], 3, 4, p())),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(Channel::from_slice(&[0.0; 13], 3, 4, p())),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(Channel::zeros(3, 4, p().clevel(10))),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(Channel::zeros(3, 4, p().chunk_size(0))),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(Channel::zeros(3, 4, p().filter(Filter::TruncPrec))),
        ErrorKind::InvalidParam
    );
    for codec in Codec::ALL.into_iter().filter(|c| !c.can_compress()) {
        let k = kind(Channel::zeros(3, 4, p().codec(codec)));
        assert_eq!(
            k,
            ErrorKind::Codec(compressed_image::blockcodec::ErrorKind::Unsupported)
        );
    }
}

#[test]
fn edge_chunks_report_their_rectangles() {
    // 10 rows of 4-row chunks: 4 + 4 + 2.
    let ch = Channel::<u16>::zeros(13, 10, Params::default().chunk_size(13 * 2 * 4 + 3)).unwrap();
    let l = ch.layout();
    assert_eq!(l.num_chunks(), 3);
    assert_eq!(
        l.chunk_rect(0),
        Some(ChunkRect {
            x: 0,
            y: 0,
            width: 13,
            height: 4
        })
    );
    assert_eq!(
        l.chunk_rect(2),
        Some(ChunkRect {
            x: 0,
            y: 8,
            width: 13,
            height: 2
        })
    );
    assert_eq!(l.chunk_rect(3), None);
    assert_eq!(ch.chunk_y_range(2), Some(8..10));
    assert_eq!(ch.chunk_range(2), Some(104..130));
    assert_eq!(l.chunk_start(1), Some(52));
    assert_eq!(l.chunk_of_row(9), Some(2));
    assert_eq!(l.locate(12, 9), Some((2, 25)));
}

#[test]
fn params_and_threads_do_not_change_values() {
    let (w, h) = (300, 70);
    let mut rng = Rng::new(3);
    let data = smooth::<u16>(w, h, &mut rng);
    let base = Params::default().chunk_size(w * 2 * 16);
    let reference = Channel::from_slice(&data, w, h, base.clone()).unwrap();
    let variants = [
        base.clone().nthreads(3),
        base.clone().codec(Codec::BloscLz).clevel(5),
        base.clone().clevel(0),
        base.clone().clevel(1).filter(Filter::NoFilter),
        base.clone().filter(Filter::BitShuffle),
        base.clone().filter(Filter::Delta),
        base.clone().block_size(0),
        base.clone().block_size(1000),
        base.clone().block_size(1 << 30),
    ];
    for p in variants {
        let mut ch = Channel::from_slice(&data, w, h, p.clone()).unwrap();
        assert_eq!(ch.params(), &p);
        check_channel(&ch, &data);
        ch.set_nthreads(4);
        assert_eq!(ch.params().nthreads, 4);
        check_channel(&ch, &data);
    }
    // Output bytes do not depend on the thread count.
    let threaded = Channel::from_slice(&data, w, h, base.nthreads(2)).unwrap();
    assert_eq!(snapshot(&threaded), snapshot(&reference));
}

#[test]
fn sizes_and_ratio() {
    let (w, h) = (512, 64);
    // A ramp repeating every row compresses well with any LZ codec.
    let data: Vec<u8> = (0..w * h).map(|g| (g % w) as u8).collect();
    let ch = Channel::from_slice(&data, w, h, Params::default().chunk_size(w * 8)).unwrap();
    assert_eq!(ch.uncompressed_bytes(), w * h);
    assert!(
        ch.compressed_bytes() < w * h / 4,
        "{}",
        ch.compressed_bytes()
    );
    assert!(ch.compression_ratio() > 4.0);
    let lazy = Channel::<f64>::zeros(w, h, Params::default()).unwrap();
    assert_eq!(lazy.compressed_bytes(), 8);
    assert_eq!(lazy.compression_ratio(), (w * h) as f64);
    let dbg = format!("{lazy:?}");
    assert!(
        dbg.contains("float64") && dbg.contains("lazy_chunks: 1"),
        "{dbg}"
    );
}

#[test]
fn float_special_values_roundtrip_bitwise() {
    let vals = [
        0.0f32,
        -0.0,
        f32::NAN,
        -f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e-45,
    ];
    let data: Vec<f32> = (0..64 * 8).map(|i| vals[i % vals.len()]).collect();
    let ch = Channel::from_slice(&data, 64, 8, Params::default().chunk_size(256)).unwrap();
    assert_same(&ch.to_vec().unwrap(), &data);
    // A chunk of +0.0 and -0.0 is not uniform; a chunk of one NaN pattern is.
    let mut ch = Channel::<f32>::zeros(4, 2, Params::default()).unwrap();
    ch.set_chunk(0, &[0.0, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        .unwrap();
    assert!(!ch.is_chunk_lazy(0));
    assert!(ch.to_vec().unwrap()[1].is_sign_negative());
    ch.set_chunk(0, &[f32::NAN; 8]).unwrap();
    assert!(ch.chunk_fill_value(0).unwrap().is_nan());
}
