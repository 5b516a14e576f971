//! Roundtrip properties over data, typesize, codec, filters, split mode, block size and thread
//! count (hardening.md §3.5–3.6): identity, bytes independent of the thread count,
//! `cbytes <= nbytes + 32`, getitem equal to the slice of a full decode, dirty output buffers.

#![allow(clippy::unwrap_used, clippy::panic)]

use blockcodec::{CParams, Codec, DParams, Filter, SplitMode};
use proptest::prelude::*;

fn data_strategy() -> impl Strategy<Value = Vec<u8>> {
    let len = prop_oneof![0usize..100, 100usize..5000, 5000usize..150_000];
    (len, 0u8..6, any::<u64>()).prop_map(|(len, kind, seed)| make_data(len, kind, seed))
}

/// Deterministic data of a few shapes: noise, ramps of several widths, runs, zeros, smooth.
fn make_data(len: usize, kind: u8, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    match kind {
        0 => (0..len).map(|_| next() as u8).collect(),
        1 => (0..len).map(|i| (i / 4) as u8).collect(),
        2 => (0..len / 4 + 1)
            .flat_map(|i| (i as u32 * 3).to_le_bytes())
            .take(len)
            .collect(),
        3 => {
            let mut v = Vec::with_capacity(len);
            while v.len() < len {
                let b = next() as u8;
                let run = (next() % 300) as usize + 1;
                v.extend(std::iter::repeat_n(b, run.min(len - v.len())));
            }
            v
        }
        4 => vec![0; len],
        _ => {
            let mut acc = 0f32;
            (0..len / 4 + 1)
                .flat_map(|_| {
                    acc += (next() % 100) as f32 / 1000.0 - 0.05;
                    acc.to_le_bytes()
                })
                .take(len)
                .collect()
        }
    }
}

fn pipeline_strategy() -> impl Strategy<Value = Vec<Filter>> {
    prop_oneof![
        Just(vec![]),
        Just(vec![Filter::Shuffle]),
        Just(vec![Filter::BitShuffle]),
        Just(vec![Filter::Delta]),
        Just(vec![Filter::Delta, Filter::Shuffle]),
        Just(vec![Filter::Shuffle, Filter::Delta]),
        Just(vec![Filter::Delta, Filter::BitShuffle]),
        Just(vec![Filter::BitShuffle, Filter::Delta]),
        Just(vec![Filter::Shuffle, Filter::Shuffle]),
    ]
}

fn cparams_strategy() -> impl Strategy<Value = CParams> {
    (
        prop_oneof![Just(Codec::BloscLz), Just(Codec::Lz4)],
        0u8..=9,
        prop_oneof![1usize..=17, Just(255usize), Just(256usize), Just(1000usize)],
        pipeline_strategy(),
        prop_oneof![
            Just(SplitMode::Auto),
            Just(SplitMode::Always),
            Just(SplitMode::Never),
            Just(SplitMode::ForwardCompat)
        ],
        prop_oneof![Just(0usize), 1usize..70_000],
    )
        .prop_map(|(codec, clevel, typesize, filters, split, blocksize)| {
            CParams::default()
                .codec(codec)
                .clevel(clevel)
                .typesize(typesize)
                .filters(&filters)
                .splitmode(split)
                .blocksize(blocksize)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn roundtrip_identity_and_thread_independence(data in data_strategy(), cp in cparams_strategy()) {
        let chunk = blockcodec::compress(&data, &cp).unwrap();
        prop_assert!(chunk.len() <= data.len() + blockcodec::MAX_OVERHEAD);
        let h = blockcodec::ChunkHeader::parse(&chunk).unwrap();
        prop_assert_eq!(h.nbytes(), data.len());
        prop_assert_eq!(h.cbytes(), chunk.len());
        for nthreads in [2, 5] {
            let other = blockcodec::compress(&data, &cp.clone().nthreads(nthreads)).unwrap();
            prop_assert!(other == chunk, "bytes differ with {} threads", nthreads);
        }
        for nthreads in [1, 3] {
            let mut out = vec![0xFFu8; data.len()];
            let n = blockcodec::decompress_into_with(&chunk, &mut out, &DParams::default().nthreads(nthreads)).unwrap();
            prop_assert_eq!(n, data.len());
            prop_assert!(out == data, "roundtrip differs ({} threads)", nthreads);
        }
    }

    #[test]
    fn getitem_matches_full_decode(data in data_strategy(), cp in cparams_strategy(), a in any::<usize>(), b in any::<usize>()) {
        let chunk = blockcodec::compress(&data, &cp).unwrap();
        let ts = cp.header_typesize();
        let nitems = data.len() / ts;
        let start = if nitems == 0 { 0 } else { a % nitems };
        let count = if nitems == 0 { 0 } else { b % (nitems - start + 1) };
        let mut out = vec![0xEEu8; count * ts];
        let n = blockcodec::getitem(&chunk, start, count, &mut out).unwrap();
        prop_assert_eq!(n, count * ts);
        prop_assert!(out[..] == data[start * ts..(start + count) * ts]);
    }
}

#[test]
fn trunc_prec_clears_low_mantissa_bits() {
    let vals: Vec<f32> = (0..10_000).map(|i| (i as f32).sin() * 1000.0).collect();
    let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut slots = [blockcodec::FilterSlot::default(); 6];
    slots[4] = blockcodec::FilterSlot {
        filter: Filter::TruncPrec,
        meta: 10,
    };
    slots[5] = blockcodec::FilterSlot {
        filter: Filter::Shuffle,
        meta: 0,
    };
    let cp = CParams::default().typesize(4).filter_slots(slots);
    let out = blockcodec::decompress(&blockcodec::compress(&bytes, &cp).unwrap()).unwrap();
    for (orig, got) in vals.iter().zip(out.chunks_exact(4)) {
        let got = u32::from_le_bytes(got.try_into().unwrap());
        assert_eq!(
            got & ((1 << 13) - 1),
            0,
            "low 13 of 23 mantissa bits must be zero"
        );
        assert_eq!(got, orig.to_bits() & !((1 << 13) - 1));
    }
    let cp8 = CParams::default().typesize(2).filter_slots(slots);
    assert_eq!(
        blockcodec::compress(&bytes, &cp8).unwrap_err().kind(),
        blockcodec::ErrorKind::InvalidParam
    );
}

#[test]
fn special_chunk_writers_roundtrip() {
    let cp = CParams::default().typesize(4);
    let z = blockcodec::chunk_zeros(1 << 20, &cp).unwrap();
    assert_eq!(z.len(), 32);
    assert_eq!(blockcodec::decompress(&z).unwrap(), vec![0; 1 << 20]);
    let n = blockcodec::chunk_nans(4000, &cp).unwrap();
    assert!(
        blockcodec::decompress(&n)
            .unwrap()
            .chunks(4)
            .all(|c| f32::from_le_bytes(c.try_into().unwrap()).is_nan())
    );
    let v = blockcodec::chunk_repeat(12, &[1, 2, 3], &cp).unwrap();
    assert_eq!(blockcodec::decompress(&v).unwrap(), [1, 2, 3].repeat(4));
    let u = blockcodec::chunk_uninit(100, &cp).unwrap();
    assert_eq!(blockcodec::decompress(&u).unwrap(), vec![0; 100]);
    assert!(blockcodec::chunk_repeat(10, &[1, 2, 3], &cp).is_err());
    assert!(blockcodec::chunk_nans(10, &cp).is_err());
}

#[test]
fn all_zero_input_becomes_a_zero_special_chunk() {
    let cp = CParams::default().typesize(4).clevel(5);
    let chunk = blockcodec::compress(&vec![0u8; 100_000], &cp).unwrap();
    assert_eq!(chunk.len(), 32);
    let h = blockcodec::ChunkHeader::parse(&chunk).unwrap();
    assert_eq!(h.special(), Some(blockcodec::SpecialValue::Zeros));
}

#[test]
fn bad_params_are_errors() {
    use blockcodec::ErrorKind::*;
    let e = |cp: CParams| blockcodec::compress(&[1, 2, 3], &cp).unwrap_err().kind();
    assert_eq!(e(CParams::default().typesize(0)), InvalidParam);
    assert_eq!(e(CParams::default().clevel(10)), InvalidParam);
}
