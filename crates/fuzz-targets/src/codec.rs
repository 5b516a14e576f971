//! Codec and filter targets, reached through the public chunk API: a chunk holding one raw
//! BloscLZ stream exercises its decoder; single-block chunks exercise the encoders; chunks
//! with hand-shuffled raw streams check the filters against a scalar reference written here.

use blockcodec::{CParams, ChunkHeader, Codec, ErrorKind, Filter, FilterSlot, MAX_FILTERS};
use blockcodec::{MAX_OVERHEAD, SplitMode};

use crate::chunk::check_chunk;
use crate::input::{Input, payload};

const HEADER_LEN: usize = 32;
const FLAG_EXTENDED: u8 = 0x05;
const FLAG_DONT_SPLIT: u8 = 0x10;

/// A version-5 chunk whose blocks are each one stream (`dont_split`), built by hand:
/// `streams[j]` is `(csize, payload)` of block `j`.
fn raw_chunk(
    format_code: u8,
    typesize: u8,
    nbytes: usize,
    blocksize: usize,
    filters: [u8; MAX_FILTERS],
    streams: &[(i32, &[u8])],
) -> Vec<u8> {
    let mut c = vec![0u8; HEADER_LEN];
    c[0] = 5;
    c[1] = 1;
    c[2] = FLAG_EXTENDED | FLAG_DONT_SPLIT | (format_code << 5);
    c[3] = typesize;
    c[4..8].copy_from_slice(&(nbytes as i32).to_le_bytes());
    c[8..12].copy_from_slice(&(blocksize as i32).to_le_bytes());
    c[0x10..0x16].copy_from_slice(&filters);
    let mut at = HEADER_LEN + 4 * streams.len();
    for _ in streams {
        c.extend_from_slice(&[0; 4]);
    }
    for (j, (csize, bytes)) in streams.iter().enumerate() {
        c[HEADER_LEN + 4 * j..][..4].copy_from_slice(&(at as i32).to_le_bytes());
        c.extend_from_slice(&csize.to_le_bytes());
        c.extend_from_slice(bytes);
        at += 4 + bytes.len();
    }
    let n = c.len() as i32;
    c[12..16].copy_from_slice(&n.to_le_bytes());
    c
}

/// Fuzz target `blosclz_decompress`: 2 bytes of decoded size (1..=65536), then one raw BloscLZ
/// stream, decoded through a one-block chunk. Oracle: [`check_chunk`] (no panic, dirty equals
/// clean, same for every thread count).
pub fn blosclz_decompress(data: &[u8]) {
    let mut inp = Input::new(data);
    let mut nbytes = usize::from(inp.u16()) + 1;
    let stream = inp.rest();
    if stream.is_empty() {
        return;
    }
    if stream.len() == nbytes {
        // csize == block size means "stored raw": keep the decoder in play.
        nbytes += 1;
    }
    let chunk = raw_chunk(
        0,
        1,
        nbytes,
        nbytes,
        [0; MAX_FILTERS],
        &[(stream.len() as i32, stream)],
    );
    check_chunk(&chunk);
}

/// Single-block, unfiltered, unsplit parameters: the chunk holds exactly one codec stream.
fn one_stream_params(codec: Codec, clevel: u8, len: usize) -> CParams {
    CParams::default()
        .codec(codec)
        .clevel(clevel)
        .typesize(1)
        .filters(&[])
        .splitmode(SplitMode::Never)
        .blocksize(len)
}

/// Shared body of the codec roundtrip targets: a chunk of one stream and a multi-block chunk.
fn codec_roundtrip(codec: Codec, data: &[u8]) {
    let mut inp = Input::new(data);
    let clevel = 1 + inp.below(9) as u8;
    let kind = inp.u8();
    let len = usize::from(inp.u16()) * 4;
    let blocksize = 1 + usize::from(inp.u16());
    let rest = inp.rest();
    let src = if kind < 64 {
        rest.to_vec()
    } else {
        payload(kind, len, 1, rest, len as u64)
    };
    let cp = one_stream_params(codec, clevel, src.len());
    let chunk = blockcodec::compress(&src, &cp).unwrap();
    assert!(
        chunk.len() <= src.len() + MAX_OVERHEAD,
        "cbytes > nbytes + 32"
    );
    let back = check_chunk(&chunk).expect("a chunk we wrote does not decode");
    assert!(back == src, "{codec} roundtrip changed the data");
    // Many blocks, each its own stream; at most 4096 of them, so that one input stays cheap
    // (a 256 KiB payload in 1-byte blocks ran at 19 executions/s under AddressSanitizer).
    let cp = cp.blocksize(blocksize.max(src.len().div_ceil(4096)));
    let chunk = blockcodec::compress(&src, &cp).unwrap();
    assert!(
        chunk.len() <= src.len() + MAX_OVERHEAD,
        "cbytes > nbytes + 32"
    );
    let back = check_chunk(&chunk).expect("a chunk we wrote does not decode");
    assert!(
        back == src,
        "{codec} multi-block roundtrip changed the data"
    );
}

/// Fuzz target `blosclz_roundtrip`: BloscLZ at a fuzzer-chosen level on fuzzer data (raw, or
/// shaped for compressibility). Oracle: identity, `cbytes ≤ nbytes + 32`.
pub fn blosclz_roundtrip(data: &[u8]) {
    codec_roundtrip(Codec::BloscLz, data);
}

/// Fuzz target `lz4hc_roundtrip`: as [`blosclz_roundtrip`] with LZ4HC once this build can
/// compress with it; until then it checks that asking is `Unsupported`.
pub fn lz4hc_roundtrip(data: &[u8]) {
    if Codec::Lz4Hc.can_compress() {
        codec_roundtrip(Codec::Lz4Hc, data);
    } else {
        let r = blockcodec::compress(data, &one_stream_params(Codec::Lz4Hc, 5, data.len()));
        assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::Unsupported));
    }
}

/// Scalar byte shuffle (the spec): element `i`'s byte `j` goes to `j * n + i`; the trailing
/// partial element is copied.
fn shuffle_ref(ts: usize, src: &[u8]) -> Vec<u8> {
    let n = src.len() / ts;
    let mut out = src.to_vec();
    for i in 0..n {
        for j in 0..ts {
            out[j * n + i] = src[i * ts + j];
        }
    }
    out
}

/// Scalar bitshuffle (C-Blosc2 rules): over the first `m` elements (a multiple of 8), bit `b`
/// of byte `j` of element `i` goes to plane `8j + b`, byte `i / 8`, bit `i % 8`; the rest is
/// copied.
fn bitshuffle_ref(ts: usize, src: &[u8]) -> Vec<u8> {
    let m = src.len() / ts / 8 * 8;
    let mut out = src.to_vec();
    out[..m * ts].fill(0);
    for i in 0..m {
        for j in 0..ts {
            let byte = src[i * ts + j];
            for b in 0..8 {
                if byte >> b & 1 == 1 {
                    let plane = 8 * j + b;
                    out[plane * (m / 8) + i / 8] |= 1 << (i % 8);
                }
            }
        }
    }
    out
}

/// Fuzz target `shuffle_roundtrip`: typesize, block size and data from the input. For byte
/// shuffle and bitshuffle: (1) a chunk whose raw streams hold the *reference*-shuffled blocks
/// decodes to the data (the unshuffle the build dispatches to equals the scalar spec);
/// (2) compressing with the filter gives the same streams as compressing the
/// reference-shuffled blocks without it (the forward kernel equals the spec); (3) roundtrip.
pub fn shuffle_roundtrip(data: &[u8]) {
    let mut inp = Input::new(data);
    let ts = match inp.below(4) {
        0 => [2, 4, 8, 16][inp.below(4)],
        _ => 1 + inp.below(255),
    };
    let blocksize = match inp.below(3) {
        0 => ts * (1 + inp.below(300)),
        1 => 1 + usize::from(inp.u16()),
        _ => 0,
    };
    let kind = inp.u8();
    let len = usize::from(inp.u16()) % 20_000;
    let rest = inp.rest();
    let src = if kind < 64 {
        rest.to_vec()
    } else {
        payload(kind, len, ts, rest, len as u64)
    };
    if src.is_empty() {
        return;
    }
    let bs = if blocksize == 0 {
        src.len()
    } else {
        blocksize.min(src.len())
    };
    for (filter, reference) in [
        (Filter::Shuffle, shuffle_ref as fn(usize, &[u8]) -> Vec<u8>),
        (Filter::BitShuffle, bitshuffle_ref),
    ] {
        let mut filters = [0u8; MAX_FILTERS];
        filters[MAX_FILTERS - 1] = filter.id();
        // (1) Decoder: raw streams of reference-shuffled blocks.
        let shuffled: Vec<Vec<u8>> = src.chunks(bs).map(|b| reference(ts, b)).collect();
        let streams: Vec<(i32, &[u8])> =
            shuffled.iter().map(|b| (b.len() as i32, &b[..])).collect();
        let chunk = raw_chunk(0, ts as u8, src.len(), bs, filters, &streams);
        let back = check_chunk(&chunk);
        assert!(
            back.as_deref() == Some(&src[..]),
            "{filter:?} unshuffle != scalar spec (ts {ts})"
        );

        // (2) Encoder: filter inside vs. reference outside, with the block size the writer
        // settles on (a requested one is rounded down to whole elements).
        let cp = CParams::default()
            .codec(Codec::BloscLz)
            .clevel(5)
            .typesize(ts)
            .splitmode(SplitMode::Never)
            .blocksize(bs);
        let with = blockcodec::compress(&src, &cp.clone().filters(&[filter])).unwrap();
        let hw = ChunkHeader::parse(&with).unwrap();
        let wbs = hw.blocksize().max(1);
        let pre: Vec<u8> = src.chunks(wbs).flat_map(|b| reference(ts, b)).collect();
        let without = blockcodec::compress(&pre, &cp.filters(&[])).unwrap();
        let hwo = ChunkHeader::parse(&without).unwrap();
        if !hw.is_memcpyed() && !hwo.is_memcpyed() && hw.special().is_none() {
            assert_eq!(hwo.blocksize(), wbs);
            assert!(
                with[HEADER_LEN..] == without[HEADER_LEN..],
                "{filter:?} forward kernel != scalar spec (ts {ts}, blocksize {bs})"
            );
        }
        // (3) Roundtrip.
        let back = check_chunk(&with).expect("a chunk we wrote does not decode");
        assert!(back == src, "{filter:?} roundtrip changed the data");
    }
    // Byte shuffle with an element size other than the typesize (filters_meta).
    let meta = 1 + inp.below(255) as u8;
    let slot = FilterSlot {
        filter: Filter::Shuffle,
        meta,
    };
    let mut slots = [FilterSlot::default(); MAX_FILTERS];
    slots[0] = slot;
    let cp = CParams::default()
        .codec(Codec::BloscLz)
        .typesize(ts)
        .filter_slots(slots)
        .blocksize(blocksize);
    let chunk = blockcodec::compress(&src, &cp).unwrap();
    let back = check_chunk(&chunk).expect("a chunk we wrote does not decode");
    assert!(
        back == src,
        "shuffle with meta {meta} roundtrip changed the data"
    );
}
