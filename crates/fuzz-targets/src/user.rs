//! Target `chunk_user`: user-defined codecs and filters (ids 160–255), prefilters and
//! postfilters (`crates/blockcodec/src/user.rs`).
//!
//! The first input byte picks the mode. Even: the rest is a chunk, decoded with a registry of
//! plugins chosen by that byte (well-behaved or hostile ones under id 160, the id of the golden
//! vectors; fixed well-behaved ones under 161–163 and hostile ones under 200–203). Odd: the
//! rest chooses parameters (a user or built-in codec, user filters in any slot next to built-in
//! ones, a prefilter/postfilter pair) and data, and the chunk must roundtrip.

use std::sync::{Arc, OnceLock};

use blockcodec::{
    BlockCallback, BlockInfo, ChunkHeader, Codec, DParams, Error, ErrorKind, Filter, FilterSlot,
    Limits, MAX_FILTERS, MAX_OVERHEAD, Registry, SplitMode, USER_ID_START,
};

use crate::chunk::{MAX_DECODE, check_chunk_with, read_cparams};
use crate::input::{Input, payload};
use crate::plugins::{
    COPY, DIFF, DIFF2, DifferenceFilter, FilterFault, HOSTILE_CODECS, HOSTILE_FILTERS,
    HostileCodec, HostileFilter, Misbehaviour, NEVER, REVERSE, RV, RV2, RepeatedValueCodec,
    good_registry,
};

/// Choices for the codec registered under id 160 in decode mode (`None`: not registered).
const CODEC_160: [Option<Misbehaviour>; 6] = [
    None, // the repeated-value codec
    Some(Misbehaviour::TooLong),
    Some(Misbehaviour::WrongLen),
    Some(Misbehaviour::Garbage),
    Some(Misbehaviour::Fails),
    None, // nothing (index 5)
];
/// Choices for the filter registered under id 160 in decode mode.
const FILTER_160: [Option<FilterFault>; 4] = [
    None, // the difference filter
    Some(FilterFault::SomeBlocks),
    Some(FilterFault::Garbage),
    None, // nothing (index 3)
];
/// Number of decode-mode registries; the selector byte is taken modulo this.
pub(crate) const NREGISTRIES: usize = CODEC_160.len() * FILTER_160.len();

/// The registry of the well-behaved plugins (repeated-value codec and difference filter under
/// id 160 as in `crates/blockcodec/tests/data/user/`, and a few more under 161–163), which
/// the roundtrip mode compresses with.
pub fn user_registry() -> Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| good_registry().unwrap()).clone()
}

fn build_decode_registry(sel: usize) -> Result<Registry, Error> {
    let (codec_sel, filter_sel) = (sel % CODEC_160.len(), sel / CODEC_160.len());
    let mut reg = Registry::new();
    match (codec_sel, CODEC_160[codec_sel]) {
        (0, _) => reg.register_codec(RepeatedValueCodec { id: RV })?,
        (_, Some(how)) => reg.register_codec(HostileCodec { id: RV, how })?,
        _ => {}
    }
    match (filter_sel, FILTER_160[filter_sel]) {
        (0, _) => reg.register_filter(DifferenceFilter { id: DIFF })?,
        (_, Some(fault)) => reg.register_filter(HostileFilter { id: DIFF, fault })?,
        _ => {}
    }
    let good = user_registry();
    for id in [RV2, COPY, NEVER] {
        reg.register_codec_arc(Arc::clone(good.codec(id).unwrap()))?;
    }
    for id in [DIFF2, REVERSE] {
        reg.register_filter_arc(Arc::clone(good.filter(id).unwrap()))?;
    }
    for (id, how) in HOSTILE_CODECS {
        reg.register_codec(HostileCodec { id, how })?;
    }
    for (id, fault) in HOSTILE_FILTERS {
        reg.register_filter(HostileFilter { id, fault })?;
    }
    Ok(reg)
}

/// Decode-mode registry number `sel` (modulo [`NREGISTRIES`]); 0 holds the example plugins.
fn decode_registry(sel: usize) -> Registry {
    static REGS: OnceLock<Vec<Registry>> = OnceLock::new();
    let regs = REGS.get_or_init(|| {
        (0..NREGISTRIES)
            .map(|s| build_decode_registry(s).unwrap())
            .collect()
    });
    regs[sel % NREGISTRIES].clone()
}

/// Every user id 160..=255 taken by a codec and a filter that fail whenever they are called.
fn failing_registry() -> Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| {
        let mut reg = Registry::new();
        for id in 160..=255u8 {
            let how = Misbehaviour::Fails;
            reg.register_codec(HostileCodec { id, how }).unwrap();
            let fault = FilterFault::Always;
            reg.register_filter(HostileFilter { id, fault }).unwrap();
        }
        reg
    })
    .clone()
}

/// Fuzz target `chunk_user`. Even first byte: the rest is a chunk decoded with plugin registry
/// number `byte / 2` (decode mode below); odd: a roundtrip through user codecs and filters with
/// parameters and data from the rest (roundtrip mode below).
pub fn chunk_user(data: &[u8]) {
    let mut inp = Input::new(data);
    let op = inp.u8();
    if op & 1 == 0 {
        decode(usize::from(op >> 1), inp.rest());
    } else {
        roundtrip(&mut inp);
    }
}

/// Decode mode. Oracle: that of `chunk_decompress` with the registry in the params (no panic,
/// `Ok` ⇒ `nbytes` bytes, identical into zeros and 0xFF and for 1 and 3 threads, getitem and
/// the Vec form agree, caller never blamed); errors are `InvalidData`, `Unsupported` or
/// `LimitExceeded`; and plugins that fail whenever they are called change nothing about a
/// chunk that decodes with them: such a chunk decodes to the same bytes with any plugins (or
/// is `Unsupported` when an id it names is missing).
fn decode(sel: usize, src: &[u8]) {
    let dp = DParams::default().registry(decode_registry(sel));
    let Some(result) = check_chunk_with(src, &dp) else {
        return;
    };
    if let Err(e) = &result {
        assert!(
            matches!(
                e.kind(),
                ErrorKind::InvalidData | ErrorKind::Unsupported | ErrorKind::LimitExceeded
            ),
            "untyped decode error: {e:?}"
        );
    }
    // A parsed header: the chunk is at most MAX_DECODE bytes (else `check_chunk_with` is None).
    let h = ChunkHeader::parse(src).unwrap();
    let limits = Limits {
        max_nbytes: MAX_DECODE,
    };
    let failing = DParams::default().registry(failing_registry()).nthreads(2);
    let r = blockcodec::decompress_to_vec_with(src, &limits, &failing);
    // Blosc1 chunks retry a failed decode with another split rule, which can skip a plugin
    // the first attempt called: the invariant only holds for version 3+ chunks.
    if let Ok(never_called) = r
        && h.version() >= 3
    {
        match &result {
            Ok(out) => assert!(
                *out == never_called,
                "a chunk that never calls a plugin decodes differently with other plugins"
            ),
            Err(e) => assert_eq!(
                e.kind(),
                ErrorKind::Unsupported,
                "a chunk that never calls a plugin fails with one: {e}"
            ),
        }
    }
}

/// A byte-wise invertible prefilter: `out[i] = f(in[i], offset + i)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Callback {
    /// No prefilter, no postfilter.
    None,
    /// A prefilter that writes nothing (the output starts as a copy of the input).
    Identity,
    /// Adds a constant; the postfilter subtracts it.
    Add(u8),
    /// XOR with a mask derived from the byte's position in the chunk; the postfilter is the same.
    PositionXor,
}

fn mask(pos: usize) -> u8 {
    ((pos as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

impl Callback {
    fn forward(self, b: u8, pos: usize) -> u8 {
        match self {
            Callback::None | Callback::Identity => b,
            Callback::Add(k) => b.wrapping_add(k),
            Callback::PositionXor => b ^ mask(pos),
        }
    }

    fn backward(self, b: u8, pos: usize) -> u8 {
        match self {
            Callback::None | Callback::Identity => b,
            Callback::Add(k) => b.wrapping_sub(k),
            Callback::PositionXor => b ^ mask(pos),
        }
    }

    /// The callback, checking that it is called on a block of a chunk of `nbytes` bytes with
    /// a consistent [`BlockInfo`] (a mismatch fails the call with `InvalidParam`).
    fn callback(self, backward: bool, nbytes: usize) -> Option<BlockCallback> {
        if self == Callback::None {
            return None;
        }
        Some(BlockCallback::new(move |p| {
            check_callback_info(&p.info, p.input.len(), nbytes)?;
            if self == Callback::Identity {
                return Ok(());
            }
            let offset = p.info.offset;
            for (i, (o, &b)) in p.output.iter_mut().zip(p.input).enumerate() {
                *o = if backward {
                    self.backward(b, offset + i)
                } else {
                    self.forward(b, offset + i)
                };
            }
            Ok(())
        }))
    }
}

fn check_callback_info(info: &BlockInfo, len: usize, nbytes: usize) -> Result<(), Error> {
    let ok = info.nbytes == nbytes
        && info.bsize == len
        && info.nblock.checked_mul(info.blocksize) == Some(info.offset)
        && info.offset + len <= nbytes
        && (len == info.blocksize || info.offset + len == nbytes);
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidParam,
            format!("callback got an inconsistent BlockInfo {info:?} for {len} bytes"),
        ))
    }
}

fn user_filter_meta(inp: &mut Input<'_>) -> u8 {
    match inp.below(4) {
        0 => 0,
        1 => [1, 2, 4, 8][inp.below(4)],
        _ => inp.u8(),
    }
}

/// Roundtrip mode. Oracle: `compress` succeeds on valid parameters; `cbytes ≤ nbytes + 32`
/// (the writer falls back to a memcpyed chunk when user-codec streams do not fit, so there is
/// no exception for user codecs); the header names the user codec (format code 6, id, meta,
/// split only when forced) and filters; identical bytes for 1, 2 and 5 threads and from
/// `compress_into`; an identity prefilter changes nothing; decoding (full oracle, with the
/// registry) gives the prefiltered data without a postfilter and the input with the inverse
/// postfilter; without the registry a chunk that names a user id is `Unsupported`; a tight
/// destination gives `OutputTooSmall` or a chunk that still roundtrips.
fn roundtrip(inp: &mut Input<'_>) {
    let mut cp = read_cparams(inp, true);
    let codec_choice = inp.below(5);
    let user_codec = match codec_choice {
        0 => None,
        1 | 2 => Some(RV),
        3 => Some(RV2),
        _ => Some(if inp.bool() { COPY } else { NEVER }),
    };
    if let Some(id) = user_codec {
        cp.codec = Codec::User(id);
        cp.compcode_meta = match inp.below(5) {
            0 => 0,
            1 => cp.header_typesize() as u8,
            2 | 3 => [1, 2, 4, 8][inp.below(4)],
            _ => inp.u8(),
        };
    }
    let mut nuser = inp.below(3);
    if user_codec.is_none() {
        nuser = nuser.max(1);
    }
    for _ in 0..nuser {
        let slot = inp.below(MAX_FILTERS);
        let id = [DIFF, DIFF, DIFF2, REVERSE][inp.below(4)];
        let meta = user_filter_meta(inp);
        cp.filters[slot] = FilterSlot {
            filter: Filter::User(id),
            meta,
        };
    }
    let callback = match inp.below(5) {
        0 | 1 => Callback::None,
        2 => Callback::Identity,
        3 => Callback::Add(inp.u8() | 1),
        _ => Callback::PositionXor,
    };
    let kind = inp.u8();
    let len = match inp.below(4) {
        0 => inp.below(64),
        1 | 2 => inp.below(1 << 14),
        _ => inp.below(1 << 16),
    };
    let short_by = inp.below(64);
    let seed = inp.bytes(256);
    let rng_seed = u64::from(inp.u32());
    let src = payload(kind, len, cp.typesize, seed, rng_seed);

    let reg = user_registry();
    let plain = cp.clone().registry(reg.clone());
    let mut cp = plain.clone();
    if let Some(pre) = callback.callback(false, src.len()) {
        cp = cp.prefilter(pre);
    }

    let chunk = match blockcodec::compress(&src, &cp.clone().nthreads(1)) {
        Ok(c) => c,
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
    let regular = h.special().is_none() && !h.is_memcpyed() && h.nbytes() > 0;
    if regular {
        if let Some(id) = user_codec {
            assert_eq!(h.format_code(), 6, "user codec chunk without format code 6");
            assert_eq!(h.udcodec(), id);
            assert_eq!(h.compcode_meta(), cp.compcode_meta);
            assert_eq!(h.codec().unwrap(), Codec::User(id));
            // C-Blosc2 `split_block`: user codecs split only when forced.
            let splits = cp.splitmode == SplitMode::Always && h.blocksize() >= h.typesize();
            assert_eq!(h.dont_split(), !splits, "split flag of a user codec chunk");
        }
        let (ids, metas) = (h.filter_ids(), h.filters_meta());
        for (i, slot) in cp.filters.iter().enumerate() {
            if let Filter::User(id) = slot.filter {
                assert_eq!((ids[i], metas[i]), (id, slot.meta), "user filter slot {i}");
            }
        }
    }
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
    if callback == Callback::Identity {
        let without = blockcodec::compress(&src, &plain).unwrap();
        assert!(without == chunk, "an identity prefilter changed the chunk");
    }

    // Decoding: without a postfilter, the prefiltered data; with the inverse, the input.
    let dp = DParams::default().registry(reg);
    let expect_raw: Vec<u8> = src
        .iter()
        .enumerate()
        .map(|(i, &b)| callback.forward(b, i))
        .collect();
    let raw = check_chunk_with(&chunk, &dp);
    match raw {
        Some(Ok(raw)) => assert!(raw == expect_raw, "roundtrip changed the data"),
        other => panic!(
            "a chunk we wrote does not decode: {:?}",
            other.map(|r| r.map(|v| v.len()))
        ),
    }
    let dp_post = match callback.callback(true, src.len()) {
        Some(post) => {
            let dp_post = dp.clone().postfilter(post);
            let back = check_chunk_with(&chunk, &dp_post);
            match back {
                Some(Ok(back)) => assert!(back == src, "pre/postfilter roundtrip changed the data"),
                other => panic!(
                    "a chunk we wrote does not decode with the postfilter: {:?}",
                    other.map(|r| r.map(|v| v.len()))
                ),
            }
            dp_post
        }
        None => dp,
    };

    // Without the plugins: `Unsupported` exactly when the chunk names one it would call.
    let names_user =
        regular && (h.format_code() == 6 || h.filter_ids().iter().any(|&id| id >= USER_ID_START));
    let mut out = vec![0u8; src.len()];
    match blockcodec::decompress_into(&chunk, &mut out) {
        Ok(_) => assert!(
            !names_user,
            "a chunk naming user plugins decoded without them"
        ),
        Err(e) => {
            assert!(names_user, "decoding without plugins failed: {e}");
            assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
        }
    }

    // A destination that is too small: an error, or a (smaller) chunk that still roundtrips.
    let tight = chunk.len().saturating_sub(short_by);
    let mut small = vec![0u8; tight];
    match blockcodec::compress_into(&src, &mut small, &cp) {
        Ok(m) => {
            let mut out = vec![0u8; src.len()];
            let r = blockcodec::decompress_into_with(&small[..m], &mut out, &dp_post);
            assert_eq!(
                r,
                Ok(src.len()),
                "a chunk written into a tight buffer fails"
            );
            assert!(
                out == src,
                "a chunk written into a tight buffer decodes differently"
            );
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::OutputTooSmall, "{e}"),
    }
}
