//! Chunk targets: decoding hostile chunks, structured mutations of valid ones, getitem, and
//! compression roundtrips.

use blockcodec::{
    CParams, ChunkHeader, Codec, DParams, Error, ErrorKind, Filter, FilterSlot, Limits,
    MAX_FILTERS, MAX_OVERHEAD, SplitMode,
};

use crate::input::{Input, payload};

/// Largest `nbytes` the oracles decode (hardening.md §3.4: `dst_len` ≤ 1 MiB).
pub(crate) const MAX_DECODE: usize = 1 << 20;

/// The common oracle for any bytes offered as a chunk (hardening.md §3.4 `chunk_decompress`):
/// no panic; `Ok(n)` ⇒ `n == nbytes`; the same result for 1 and 3 threads; decoding into a
/// 0xFF-filled buffer gives the same bytes as into zeros and leaves the bytes past `nbytes`
/// alone; `decompress_to_vec` agrees with `decompress_into`; `getitem` agrees with the full
/// decode; oversized chunks fail before any work. Returns the decoded bytes, if any.
pub fn check_chunk(src: &[u8]) -> Option<Vec<u8>> {
    check_chunk_with(src, &DParams::default()).and_then(Result::ok)
}

/// [`check_chunk`] decoding with `base` (registry, postfilter; its thread count is replaced).
/// `None` when the header does not parse or the chunk is too large to decode here, else the
/// result of the full decode (whose error kinds the oracle has already compared).
pub(crate) fn check_chunk_with(src: &[u8], base: &DParams) -> Option<Result<Vec<u8>, Error>> {
    let dparams = |nthreads: usize| base.clone().nthreads(nthreads);
    let header = match ChunkHeader::parse(src) {
        Ok(h) => h,
        Err(e) => {
            // Every entry point parses the header first and reports the same error.
            let mut dst = [0u8; 64];
            let r = blockcodec::decompress_into_with(src, &mut dst, base);
            assert_eq!(r, Err(e.clone()));
            assert_eq!(blockcodec::decompress(src), Err(e.clone()));
            assert_eq!(blockcodec::getitem_with(src, 0, 1, &mut dst, base), Err(e));
            return None;
        }
    };
    let nbytes = header.nbytes();
    let ts = header.typesize();
    assert!(ts >= 1, "parsed header with typesize 0");
    assert!(header.cbytes() <= src.len(), "cbytes past the input");
    if nbytes > MAX_DECODE {
        // Too large to decode here: the size checks must fire before any work.
        let mut small = vec![0u8; 4096];
        let r = blockcodec::decompress_into_with(src, &mut small, base);
        assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::OutputTooSmall));
        let r = blockcodec::decompress_to_vec_with(
            src,
            &Limits {
                max_nbytes: MAX_DECODE,
            },
            base,
        );
        assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::LimitExceeded));
        // A small range of it must still be cheap to ask for (and never panic).
        let _ = blockcodec::getitem_with(src, 0, 16, &mut small, base);
        let mid = nbytes / ts / 2;
        let _ = blockcodec::getitem_with(src, mid, 16, &mut small, base);
        return None;
    }

    // Clean and dirty destinations, one and three threads, slack past nbytes.
    let slack = 16;
    let mut clean = vec![0u8; nbytes + slack];
    let r1 = blockcodec::decompress_into_with(src, &mut clean, &dparams(1));
    let mut dirty = vec![0xFFu8; nbytes + slack];
    let r3 = blockcodec::decompress_into_with(src, &mut dirty, &dparams(3));
    let decoded = match (r1, r3) {
        (Ok(n), Ok(m)) => {
            assert_eq!(n, nbytes, "decoded size differs from the header's nbytes");
            assert_eq!(m, nbytes);
            assert!(
                clean[..n] == dirty[..n],
                "decoding depends on the destination's contents or the thread count"
            );
            assert!(clean[n..].iter().all(|&b| b == 0), "wrote past nbytes");
            assert!(dirty[n..].iter().all(|&b| b == 0xFF), "wrote past nbytes");
            clean.truncate(n);
            Ok(clean)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.kind(), b.kind(), "error kind depends on the thread count");
            assert_ne!(
                a.kind(),
                ErrorKind::InvalidParam,
                "decoding blamed the caller: {a}"
            );
            Err(a)
        }
        (a, b) => panic!("result depends on the thread count: {a:?} vs {b:?}"),
    };

    // A destination one byte short fails before any work.
    if nbytes > 0 {
        let mut short = vec![0u8; nbytes - 1];
        let r = blockcodec::decompress_into_with(src, &mut short, base);
        assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::OutputTooSmall));
        let r = blockcodec::decompress_to_vec_with(
            src,
            &Limits {
                max_nbytes: nbytes - 1,
            },
            base,
        );
        assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::LimitExceeded));
    }

    // The Vec form agrees with the slice form.
    let v = blockcodec::decompress_to_vec_with(
        src,
        &Limits {
            max_nbytes: MAX_DECODE,
        },
        &dparams(2),
    );
    match (&decoded, &v) {
        (Ok(a), Ok(b)) => assert!(a == b, "decompress_to_vec differs from decompress_into"),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "decompress_to_vec and decompress_into disagree: {:?}",
            v.map(|v| v.len())
        ),
    }

    // getitem agrees with the full decode on a few ranges.
    if let Ok(full) = &decoded {
        let nitems = nbytes / ts;
        let ranges = [
            (0, nitems.min(1)),
            (0, nitems),
            (nitems / 2, (nitems - nitems / 2).min(3)),
            (nitems.saturating_sub(2), nitems.min(2)),
        ];
        for (start, n) in ranges {
            check_getitem(src, full, ts, start, n, base);
        }
    }
    Some(decoded)
}

/// `getitem(start, n)` must equal the slice of a full decode, into a dirty buffer.
fn check_getitem(src: &[u8], full: &[u8], ts: usize, start: usize, n: usize, dp: &DParams) {
    let len = n * ts;
    let mut out = vec![0xA5u8; len + 8];
    match blockcodec::getitem_with(src, start, n, &mut out, dp) {
        Ok(written) => {
            assert_eq!(written, len);
            assert!(
                out[..len] == full[start * ts..start * ts + len],
                "getitem({start}, {n}) differs from the full decode"
            );
            assert!(
                out[len..].iter().all(|&b| b == 0xA5),
                "getitem wrote past its range"
            );
        }
        Err(e) => panic!("getitem({start}, {n}) failed on a chunk that decodes: {e}"),
    }
}

/// Fuzz target `chunk_decompress`: the whole input is offered as a chunk.
pub fn chunk_decompress(data: &[u8]) {
    check_chunk(data);
}

/// Fuzz target `chunk_getitem`: 4 bytes of range (start, nitems as `u16`) then a chunk.
/// `Ok` ⇒ the bytes equal the slice of a full decode; ranges outside the chunk are
/// `InvalidParam`.
pub fn chunk_getitem(data: &[u8]) {
    let mut inp = Input::new(data);
    let start = usize::from(inp.u16());
    let nitems = usize::from(inp.u16());
    let src = inp.rest();
    let Ok(h) = ChunkHeader::parse(src) else {
        return;
    };
    let ts = h.typesize();
    let mut out = vec![0x5Au8; (nitems * ts).min(MAX_DECODE) + 8];
    let r = blockcodec::getitem(src, start, nitems, &mut out);
    let in_range = (start + nitems) * ts <= h.nbytes();
    if !in_range {
        assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::InvalidParam));
        return;
    }
    if nitems * ts > MAX_DECODE {
        assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::OutputTooSmall));
        return;
    }
    let full = if h.nbytes() <= MAX_DECODE {
        blockcodec::decompress(src).ok()
    } else {
        None
    };
    match (r, full) {
        (Ok(n), Some(full)) => {
            assert_eq!(n, nitems * ts);
            assert!(
                out[..n] == full[start * ts..start * ts + n],
                "getitem != slice of decode"
            );
            assert!(
                out[n..].iter().all(|&b| b == 0x5A),
                "getitem wrote past its range"
            );
        }
        (Ok(n), None) => assert_eq!(n, nitems * ts),
        (Err(e), Some(_)) => panic!("getitem failed on a chunk that decodes: {e}"),
        (Err(e), None) => assert_ne!(e.kind(), ErrorKind::InvalidParam, "{e}"),
    }
}

/// Codecs this build can compress with (picks up LZ4HC & co. as they land).
pub(crate) fn compressible_codecs() -> Vec<Codec> {
    Codec::ALL
        .into_iter()
        .filter(|c| c.can_compress())
        .collect()
}

/// Compression parameters read from the input. `lossless` leaves out trunc-prec.
pub(crate) fn read_cparams(inp: &mut Input<'_>, lossless: bool) -> CParams {
    let codecs = compressible_codecs();
    let codec = codecs[inp.below(codecs.len())];
    let clevel = inp.below(10) as u8;
    let typesize = match inp.below(8) {
        0 => 1,
        1 => 2,
        2 => 4,
        3 => 8,
        4 => 3 + inp.below(14),
        5 => 16,
        6 => 1 + inp.below(255),
        _ => 256 + inp.below(45), // treated as 1 by the format
    };
    let mut slots = [FilterSlot::default(); MAX_FILTERS];
    for _ in 0..inp.below(3) {
        let filter = match inp.below(5) {
            0 => Filter::Shuffle,
            1 => Filter::BitShuffle,
            2 => Filter::Delta,
            3 if !lossless && matches!(typesize, 4 | 8) => Filter::TruncPrec,
            _ => Filter::NoFilter,
        };
        let meta = match filter {
            Filter::Shuffle if inp.below(4) == 0 => inp.u8(),
            Filter::TruncPrec => inp.u8() % 64,
            _ => 0,
        };
        slots[inp.below(MAX_FILTERS)] = FilterSlot { filter, meta };
    }
    let splitmode = match inp.below(4) {
        0 => SplitMode::Always,
        1 => SplitMode::Never,
        2 => SplitMode::Auto,
        _ => SplitMode::ForwardCompat,
    };
    let blocksize = match inp.below(4) {
        0 | 1 => 0,
        2 => usize::from(inp.u16()),
        _ => typesize.min(255) * (1 + inp.below(64)),
    };
    CParams::default()
        .codec(codec)
        .clevel(clevel)
        .typesize(typesize)
        .filter_slots(slots)
        .splitmode(splitmode)
        .blocksize(blocksize)
}

/// Interesting values for `i32` header and table fields.
fn interesting_i32(inp: &mut Input<'_>, len: usize, nbytes: usize) -> i32 {
    let v: i64 = match inp.below(14) {
        0 => 0,
        1 => -1,
        2 => 1,
        3 => i64::from(i32::MAX),
        4 => i64::from(i32::MIN),
        5 => len as i64,
        6 => len as i64 + 1,
        7 => len as i64 - 3,
        8 => nbytes as i64 * 2,
        9 => 16,
        10 => 32,
        11 => 536_866_817,
        12 => -(i64::from(inp.u8())),
        _ => i64::from(inp.u16()),
    };
    v as i32
}

fn put_i32(buf: &mut [u8], at: usize, v: i32) {
    if let Some(s) = buf.get_mut(at..at + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

fn get_i32(buf: &[u8], at: usize) -> Option<i32> {
    let s = buf.get(at..at + 4)?;
    Some(i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Fuzz target `chunk_structured`: a valid chunk made from fuzzer-chosen parameters and data,
/// then a few fuzzer-chosen field mutations (sizes, bstarts, csizes, flags, truncation), so
/// the decoder is reached past the header validation. Oracle: [`check_chunk`], and the
/// unmutated chunk roundtrips.
pub fn chunk_structured(data: &[u8]) {
    let mut inp = Input::new(data);
    let cp = read_cparams(&mut inp, true);
    let kind = inp.u8();
    let len = inp.below(1 << 15);
    let seed = inp.bytes(64);
    let rng_seed = u64::from(inp.u32());
    let src = payload(kind, len, cp.typesize, seed, rng_seed);
    let chunk = match blockcodec::compress(&src, &cp) {
        Ok(c) => c,
        Err(e) => panic!("compress failed on valid parameters {cp:?}: {e}"),
    };
    let mut chunk = chunk;
    let nmut = inp.below(6);
    if nmut == 0 {
        let back = check_chunk(&chunk);
        assert!(back.as_deref() == Some(&src[..]), "roundtrip failed");
        return;
    }
    let nbytes = src.len();
    for _ in 0..nmut {
        let clen = chunk.len();
        let nblocks = get_i32(&chunk, 8)
            .and_then(|bs| usize::try_from(bs).ok())
            .filter(|&bs| bs > 0)
            .map_or(1, |bs| nbytes.div_ceil(bs).max(1));
        match inp.below(10) {
            // A header i32 field: nbytes, blocksize, cbytes.
            0 => {
                let at = [4, 8, 12][inp.below(3)];
                let v = interesting_i32(&mut inp, clen, nbytes);
                put_i32(&mut chunk, at, v);
            }
            // A bstarts entry.
            1 => {
                let at = 32 + 4 * inp.below(nblocks);
                let v = interesting_i32(&mut inp, clen, nbytes);
                put_i32(&mut chunk, at, v);
            }
            // Alias two bstarts entries.
            2 => {
                let (a, b) = (inp.below(nblocks), inp.below(nblocks));
                if let Some(v) = get_i32(&chunk, 32 + 4 * a) {
                    put_i32(&mut chunk, 32 + 4 * b, v);
                }
            }
            // The csize of the stream a bstart points at.
            3 => {
                let at = get_i32(&chunk, 32 + 4 * inp.below(nblocks))
                    .and_then(|b| usize::try_from(b).ok())
                    .unwrap_or(0);
                let v = interesting_i32(&mut inp, clen, nbytes);
                put_i32(&mut chunk, at, v);
            }
            // A header byte (flags, typesize, filters, codec, blosc2 flags).
            4 => {
                let at = inp.below(32);
                let v = inp.u8();
                if let Some(b) = chunk.get_mut(at) {
                    *b = v;
                }
            }
            // Flip a bit anywhere.
            5 => {
                let at = inp.below(clen.max(1));
                let bit = inp.below(8);
                if let Some(b) = chunk.get_mut(at) {
                    *b ^= 1 << bit;
                }
            }
            // Set a byte anywhere (stream contents).
            6 => {
                let at = inp.below(clen.max(1));
                let v = inp.u8();
                if let Some(b) = chunk.get_mut(at) {
                    *b = v;
                }
            }
            // Truncate (cbytes keeps claiming the old length, or is fixed up).
            7 => {
                let to = inp.below(clen + 1);
                chunk.truncate(to);
                if inp.bool() {
                    let n = chunk.len() as i32;
                    put_i32(&mut chunk, 12, n);
                }
            }
            // Append junk (trailing bytes past cbytes, or claimed by it).
            8 => {
                let junk = inp.bytes(16);
                chunk.extend_from_slice(junk);
                if inp.bool() {
                    let n = chunk.len() as i32;
                    put_i32(&mut chunk, 12, n);
                }
            }
            // Keep cbytes equal to the length after earlier mutations.
            _ => {
                let n = chunk.len() as i32;
                put_i32(&mut chunk, 12, n);
            }
        }
    }
    check_chunk(&chunk);
}

/// Fuzz target `chunk_roundtrip`: fuzzer-chosen parameters and data. Oracle:
/// `decompress(compress(x)) == x`; `cbytes ≤ nbytes + 32`; header fields agree with reality;
/// identical chunks for 1, 2 and 5 threads and from `compress_into`; a short destination gives
/// either `OutputTooSmall` or a chunk that still roundtrips; trunc-prec is idempotent.
pub fn chunk_roundtrip(data: &[u8]) {
    let mut inp = Input::new(data);
    let cp = read_cparams(&mut inp, false);
    let kind = inp.u8();
    let len = match inp.below(4) {
        0 => inp.below(64),
        1 | 2 => inp.below(1 << 14),
        _ => inp.below(1 << 16),
    };
    // The slow encoders (Zstd levels 13+, LZ4HC's optimal parser) get short inputs, so that
    // one execution stays in milliseconds: the 10-minute AddressSanitizer run managed 7/s.
    let slow = matches!(
        (cp.codec, cp.clevel),
        (Codec::Zstd, 7..) | (Codec::Lz4Hc, 8..)
    );
    let len = if slow { len.min(1 << 12) } else { len };
    let short_by = inp.below(64);
    let seed = inp.bytes(256);
    let rng_seed = u64::from(inp.u32());
    let src = payload(kind, len, cp.typesize, seed, rng_seed);
    let lossy = cp.filters.iter().any(|s| s.filter == Filter::TruncPrec);

    let chunk = match blockcodec::compress(&src, &cp.clone().nthreads(1)) {
        Ok(c) => c,
        // The trunc-prec precision (its slot's meta) has a typesize-dependent range.
        Err(e) if lossy && e.kind() == ErrorKind::InvalidParam => return,
        Err(e) => panic!("compress failed on valid parameters {cp:?}: {e}"),
    };
    assert!(
        chunk.len() <= src.len() + MAX_OVERHEAD,
        "cbytes > nbytes + 32"
    );
    let h = ChunkHeader::parse(&chunk).unwrap();
    assert_eq!(h.cbytes(), chunk.len());
    assert_eq!(h.nbytes(), src.len());
    assert_eq!(h.typesize(), cp.header_typesize());
    for nthreads in [2, 5] {
        let other = blockcodec::compress(&src, &cp.clone().nthreads(nthreads)).unwrap();
        assert!(
            other == chunk,
            "compressed bytes depend on the thread count ({nthreads})"
        );
    }
    let mut dst = vec![0xEEu8; src.len() + MAX_OVERHEAD];
    let n = blockcodec::compress_into(&src, &mut dst, &cp).unwrap();
    assert!(dst[..n] == chunk[..], "compress_into differs from compress");

    let back = check_chunk(&chunk).expect("a chunk we wrote does not decode");
    let delta = cp.filters.iter().any(|s| s.filter == Filter::Delta);
    if lossy && delta {
        // Delta against a block 0 that is itself truncated on the way back: lossy in a way
        // that is not idempotent (nor meant to be); only the size is checked.
        assert_eq!(back.len(), src.len());
    } else if lossy {
        // Truncating the mantissa twice changes nothing more.
        let again = blockcodec::compress(&back, &cp).unwrap();
        let back2 = blockcodec::decompress(&again).unwrap();
        assert!(back2 == back, "trunc-prec is not idempotent");
    } else {
        assert!(back == src, "roundtrip changed the data");
    }

    // A destination that is too small: an error, or a (smaller) chunk that still roundtrips.
    let tight = chunk.len().saturating_sub(short_by);
    let mut small = vec![0u8; tight];
    match blockcodec::compress_into(&src, &mut small, &cp) {
        Ok(m) => {
            let out = blockcodec::decompress(&small[..m]).unwrap();
            assert!(
                out == back,
                "a chunk written into a tight buffer decodes differently"
            );
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::OutputTooSmall, "{e}"),
    }
}
