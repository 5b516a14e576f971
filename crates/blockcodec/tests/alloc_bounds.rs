//! Allocation bounds for hostile inputs (hardening.md §3.5 item 3), measured with a counting
//! global allocator (`peak_alloc`, which keeps the unsafe `GlobalAlloc` impl out of our code):
//! nothing is allocated from a declared size before it has been checked against the input
//! and the caller's limits.
//!
//! The allocator is process-wide, so every measurement holds `SERIAL` and the cases run one at
//! a time; the bounds have slack for the test harness's own small allocations.

#![allow(clippy::unwrap_used, clippy::panic)]

mod frames_util;

use std::sync::Mutex;

use blockcodec::{
    CParams, Codec, DParams, ErrorKind, Filter, FrameLimits, Limits, MAX_BUFFERSIZE, SChunk,
    SplitMode,
};
use frames_util::{FrameBuilder, chunk_header, memcpy_chunk};
use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

static SERIAL: Mutex<()> = Mutex::new(());

/// Slack for allocations that do not depend on the input (error messages, the harness).
const SLACK: usize = 64 << 10;

/// Runs `f` and returns its result with the peak number of bytes it had allocated on top of
/// what was live before it started.
fn peak<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let r = f();
    (r, ALLOC.peak_usage().saturating_sub(base))
}

fn kind<T>(r: &blockcodec::Result<T>) -> Option<ErrorKind> {
    r.as_ref().err().map(blockcodec::Error::kind)
}

/// Warm up rayon's pool and this thread's decode scratch, so the measurements below see only
/// what the call under test allocates.
fn warm_up() {
    let data: Vec<u8> = (0..1 << 18).map(|i: u32| (i / 5) as u8).collect();
    let cp = CParams::default()
        .codec(Codec::Lz4)
        .typesize(4)
        .blocksize(1 << 14)
        .nthreads(4);
    let c = blockcodec::compress(&data, &cp).unwrap();
    let mut out = vec![0u8; data.len()];
    blockcodec::decompress_into_with(&c, &mut out, &DParams::default().nthreads(4)).unwrap();
}

#[test]
fn special_chunk_claiming_2_gib() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    warm_up();
    let huge = MAX_BUFFERSIZE; // 2 GiB − 33: the format's maximum
    let cp4 = CParams::default().typesize(4);
    let chunks = [
        blockcodec::chunk_zeros(huge, &CParams::default().typesize(1)).unwrap(),
        blockcodec::chunk_nans(huge / 4 * 4, &cp4).unwrap(),
        blockcodec::chunk_uninit(huge, &CParams::default()).unwrap(),
        blockcodec::chunk_repeat(huge / 300 * 300, &[0xAB; 300], &cp4).unwrap(),
    ];
    for chunk in &chunks {
        assert!(chunk.len() <= 32 + 300);
        // decompress_to_vec with default limits: refused before allocating.
        let (r, p) = peak(|| blockcodec::decompress_to_vec(chunk, &Limits::default()));
        assert_eq!(kind(&r), Some(ErrorKind::LimitExceeded));
        assert!(
            p < SLACK,
            "decompress_to_vec allocated {p} bytes before refusing"
        );
        let (r, p) = peak(|| blockcodec::decompress(chunk));
        assert_eq!(kind(&r), Some(ErrorKind::LimitExceeded));
        assert!(p < SLACK, "decompress allocated {p} bytes");
        // decompress_into with a small buffer: refused before any work.
        let mut small = vec![0u8; 4096];
        let (r, p) = peak(|| blockcodec::decompress_into(chunk, &mut small));
        assert_eq!(kind(&r), Some(ErrorKind::OutputTooSmall));
        assert!(p < SLACK, "decompress_into allocated {p} bytes");
        // getitem of a small range anywhere costs O(range).
        let h = blockcodec::ChunkHeader::parse(chunk).unwrap();
        let ts = h.typesize();
        for start in [0, 1, 12_345, 1 << 20, h.nbytes() / ts - 1000] {
            let mut out = vec![0u8; 1000 * ts];
            let (r, p) = peak(|| blockcodec::getitem(chunk, start, 1000, &mut out));
            assert_eq!(r, Ok(1000 * ts));
            assert!(
                p < 1000 * ts + 300 + SLACK,
                "getitem of 1000 items allocated {p}"
            );
        }
    }
}

/// A regular chunk of `nbytes` in blocks of `blocksize`, whose every bstart points at the same
/// stream (aliasing) of a repeated byte (`csize` −7 with its token): decodes, cheaply.
fn aliased_chunk(nbytes: usize, blocksize: usize, shuffle: bool) -> Vec<u8> {
    let nblocks = nbytes.div_ceil(blocksize);
    let flags = 0x05 | 0x10; // extended header, dont_split, BloscLZ
    let mut c = chunk_header(flags, 4, nbytes as i32, blocksize as i32, 0, 0);
    if shuffle {
        c[0x15] = Filter::Shuffle.id();
    }
    let stream_at = (32 + 4 * nblocks) as i32;
    for _ in 0..nblocks {
        c.extend_from_slice(&stream_at.to_le_bytes());
    }
    c.extend_from_slice(&(-7i32).to_le_bytes());
    c.push(0x01);
    let n = c.len() as i32;
    c[12..16].copy_from_slice(&n.to_le_bytes());
    c
}

#[test]
fn hostile_regular_chunks_use_bounded_scratch() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    warm_up();
    let nbytes = 32 << 20;
    let mut dst = vec![0xFFu8; nbytes];
    for (blocksize, nthreads) in [(1 << 20, 1), (1 << 20, 4), (4 << 20, 2), (1 << 16, 3)] {
        for shuffle in [false, true] {
            let chunk = aliased_chunk(nbytes, blocksize, shuffle);
            let dp = DParams::default().nthreads(nthreads);
            let (r, p) = peak(|| blockcodec::decompress_into_with(&chunk, &mut dst, &dp));
            assert_eq!(r, Ok(nbytes));
            assert!(dst.iter().all(|&b| b == 7));
            dst.fill(0xFF);
            eprintln!("{blocksize}-byte blocks, {nthreads} threads, shuffle {shuffle}: peak {p}");
            // Per thread: the filter buffers (2 blocks); plus a job list of the blocks.
            let bound = nthreads * 2 * blocksize + 16 * (nbytes / blocksize) + SLACK;
            assert!(
                p <= bound,
                "{blocksize}-byte blocks, {nthreads} threads, shuffle {shuffle}: \
                 peak {p} > bound {bound}"
            );
        }
    }
    // A chunk claiming many tiny blocks, but too short for their bstarts table.
    let mut c = chunk_header(0x15, 1, 16 << 20, 1, 36, 0);
    c.extend_from_slice(&36i32.to_le_bytes());
    let (r, p) = peak(|| blockcodec::decompress_into(&c, &mut dst[..16 << 20]));
    assert_eq!(kind(&r), Some(ErrorKind::InvalidData));
    assert!(p < SLACK, "a truncated bstarts table cost {p} bytes");
    // Truncated streams in big blocks fail without allocating a block per call.
    let mut c = chunk_header(0x15, 1, 8 << 20, 8 << 20, 0, 0);
    c.extend_from_slice(&36i32.to_le_bytes());
    c.extend_from_slice(&1000i32.to_le_bytes());
    c.extend_from_slice(&[0; 10]);
    let n = c.len() as i32;
    c[12..16].copy_from_slice(&n.to_le_bytes());
    let (r, p) = peak(|| blockcodec::decompress_into(&c, &mut dst[..8 << 20]));
    assert_eq!(kind(&r), Some(ErrorKind::InvalidData));
    assert!(p <= 2 * (8 << 20) + SLACK, "peak {p}");
}

#[test]
fn decompress_to_vec_allocates_only_what_it_returns() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    warm_up();
    let data: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
    let cp = CParams::default()
        .codec(Codec::BloscLz)
        .typesize(1)
        .splitmode(SplitMode::Never)
        .blocksize(1 << 16);
    let chunk = blockcodec::compress(&data, &cp).unwrap();
    let (r, p) = peak(|| blockcodec::decompress_to_vec(&chunk, &Limits::default()));
    assert_eq!(r.unwrap().len(), data.len());
    assert!(p <= data.len() + 2 * (1 << 16) + SLACK, "peak {p}");
    // Below its size the limit refuses before allocating.
    let lim = Limits {
        max_nbytes: data.len() - 1,
    };
    let (r, p) = peak(|| blockcodec::decompress_to_vec(&chunk, &lim));
    assert_eq!(kind(&r), Some(ErrorKind::LimitExceeded));
    assert!(p < SLACK, "peak {p}");
}

/// A ~200-byte frame whose offsets chunk is a zero special chunk standing for `n` offsets, all
/// 0: `n` one-element chunks aliasing the single stored chunk.
fn aliased_frame(n: usize) -> Vec<u8> {
    let offsets = blockcodec::chunk_zeros(8 * n, &CParams::default().typesize(8)).unwrap();
    FrameBuilder {
        chunks: vec![memcpy_chunk(&[1, 2, 3, 4], 4)],
        chunksize: 4,
        nbytes: Some(4 * n as i64),
        offsets_chunk: Some(offsets),
        ..FrameBuilder::default()
    }
    .build()
}

#[test]
fn hostile_frames_stay_within_input_plus_limits() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    warm_up();
    // Over the chunk limit: refused before the index is decoded.
    let small = FrameLimits {
        max_chunks: 1000,
        ..FrameLimits::default()
    };
    let frame = aliased_frame(1 << 22);
    assert!(frame.len() < 512);
    let (r, p) = peak(|| SChunk::from_frame(&frame, &small));
    assert_eq!(kind(&r), Some(ErrorKind::LimitExceeded));
    assert!(p < SLACK, "refusing an oversized index cost {p} bytes");

    // At the limit: the index costs the documented bookkeeping per chunk, never more.
    for n in [1000, 1 << 16] {
        let limits = FrameLimits {
            max_chunks: n,
            ..FrameLimits::default()
        };
        let frame = aliased_frame(n);
        let (r, p) = peak(|| SChunk::from_frame(&frame, &limits));
        assert_eq!(
            kind(&r),
            Some(ErrorKind::InvalidData),
            "aliased chunks must be refused"
        );
        let per_chunk = p / n;
        eprintln!(
            "{n} aliased chunks in a {}-byte frame: peak {p} bytes",
            frame.len()
        );
        assert!(
            p <= frame.len() + 128 * n + SLACK,
            "{n} aliased chunks: peak {p} ({per_chunk} bytes per chunk)"
        );
    }

    // A valid frame opens within a small multiple of its size.
    let mut sc = SChunk::new(CParams::default().codec(Codec::BloscLz).typesize(4)).unwrap();
    for k in 0..64u8 {
        let chunk: Vec<u8> = (0..16384u32).map(|i| (i as u8) ^ k).collect();
        sc.append_buffer(&chunk).unwrap();
    }
    let frame = sc.to_frame().unwrap();
    let (r, p) = peak(|| SChunk::from_frame(&frame, &FrameLimits::default()));
    assert_eq!(r.unwrap().nchunks(), 64);
    assert!(
        p <= 2 * frame.len() + SLACK,
        "opening a {}-byte frame: peak {p}",
        frame.len()
    );
}
