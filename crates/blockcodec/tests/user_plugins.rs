//! User-defined codecs and filters (ids 160–255), prefilters and postfilters.
//!
//! - Golden vectors: python-blosc2 4.14.1 with the Python versions of the example plugins
//!   (`tests/data/generate_user_vectors.py`, `tools/user_plugins.py`) wrote chunks and a frame;
//!   the Rust plugins of `examples/common/plugins.rs` decode them to python's SHA-256, and
//!   re-compressing gives python's exact bytes.
//! - Round trips at several thread counts give identical bytes; misbehaving plugins, unknown ids
//!   and registry misuse give typed errors, never panics; callbacks see every block once.

#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../examples/common/plugins.rs"]
mod plugins;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use blockcodec::{
    BlockCallback, BlockInfo, CParams, ChunkHeader, Codec, DParams, Error, ErrorKind, Filter,
    FilterSlot, FrameLimits, Limits, Registry, Result, SChunk, SplitMode, UserCodec, UserFilter,
};
use plugins::{DifferenceFilter, RepeatedValueCodec};
use serde_json::Value;
use sha2::{Digest, Sha256};

const RV: Codec = Codec::User(160);
const DIFF: Filter = Filter::User(160);

fn registry() -> Registry {
    Registry::new()
        .with_codec(RepeatedValueCodec::default())
        .unwrap()
        .with_filter(DifferenceFilter::default())
        .unwrap()
}

fn dparams() -> DParams {
    DParams::default().registry(registry())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn user_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/user")
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(user_dir().join("manifest.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["blosc2_version"], "4.14.1");
    v["entries"].as_array().unwrap().clone()
}

fn slots_of(v: &Value) -> [FilterSlot; 6] {
    let mut slots = [FilterSlot::default(); 6];
    for (i, slot) in slots.iter_mut().enumerate() {
        slot.filter = Filter::from_id(v["filters"][i].as_u64().unwrap() as u8).unwrap();
        slot.meta = v["filters_meta"][i].as_u64().unwrap() as u8;
    }
    slots
}

fn cparams_of(v: &Value) -> CParams {
    let splitmode = match v["splitmode"].as_str().unwrap() {
        "always" => SplitMode::Always,
        _ => SplitMode::Auto,
    };
    CParams::default()
        .codec(Codec::from_api_id(v["codec"].as_u64().unwrap() as u8).unwrap())
        .compcode_meta(v["codec_meta"].as_u64().unwrap() as u8)
        .clevel(v["clevel"].as_u64().unwrap() as u8)
        .typesize(v["typesize"].as_u64().unwrap() as usize)
        .filter_slots(slots_of(v))
        .splitmode(splitmode)
        .blocksize(v["blocksize"].as_u64().unwrap() as usize)
        .registry(registry())
}

#[test]
fn golden_python_chunks_decode_and_reencode_identically() {
    let entries = manifest();
    let mut chunks = 0;
    for v in entries
        .iter()
        .filter(|v| v["file"].as_str().unwrap().ends_with(".b2chunk"))
    {
        let name = v["name"].as_str().unwrap();
        let chunk = std::fs::read(user_dir().join(v["file"].as_str().unwrap())).unwrap();
        let nbytes = v["nbytes"].as_u64().unwrap() as usize;
        let h = ChunkHeader::parse(&chunk).unwrap();
        assert_eq!(h.nbytes(), nbytes, "{name}");
        assert_eq!(h.udcodec(), v["codec"].as_u64().unwrap() as u8, "{name}");
        assert_eq!(h.compcode_meta(), v["codec_meta"].as_u64().unwrap() as u8);
        if h.special().is_none() && !h.is_memcpyed() {
            assert_eq!(
                h.codec().unwrap(),
                Codec::from_api_id(h.udcodec()).unwrap(),
                "{name}"
            );
        }
        for nthreads in [1, 3] {
            let mut out = vec![0xFFu8; nbytes];
            let dp = dparams().nthreads(nthreads);
            blockcodec::decompress_into_with(&chunk, &mut out, &dp)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(sha256_hex(&out), v["sha256"].as_str().unwrap(), "{name}");
            // getitem through the same registry.
            let ts = h.typesize();
            if nbytes >= 3 * ts {
                let mut some = vec![0u8; ts];
                let mid = nbytes / ts / 2;
                blockcodec::getitem_with(&chunk, mid, 1, &mut some, &dp).unwrap();
                assert_eq!(some, out[mid * ts..][..ts], "{name}");
            }
            // The same chunk with our compressor, at any thread count: python's bytes.
            let cp = cparams_of(v).nthreads(nthreads);
            let ours = blockcodec::compress(&out, &cp).unwrap();
            assert!(
                ours == chunk,
                "{name}: re-encoded chunk differs from python-blosc2's"
            );
        }
        chunks += 1;
    }
    assert!(chunks >= 15, "only {chunks} chunks in the manifest");
}

#[test]
fn golden_python_frame_decodes() {
    let v = manifest()
        .into_iter()
        .find(|v| v["file"].as_str().unwrap().ends_with(".b2frame"))
        .unwrap();
    let frame = std::fs::read(user_dir().join(v["file"].as_str().unwrap())).unwrap();
    let sc = SChunk::from_frame(&frame, &FrameLimits::default())
        .unwrap()
        .with_dparams(dparams().nthreads(2));
    assert_eq!(sc.nchunks(), v["nchunks"].as_u64().unwrap() as usize);
    assert_eq!(sc.codec_id(), 160);
    assert_eq!(sc.cparams().codec, RV);
    assert_eq!(sc.cparams().filters[0].filter, DIFF);
    let all = sc.decompress_all(&Limits::default()).unwrap();
    assert_eq!(sha256_hex(&all), v["sha256"].as_str().unwrap());
    // Written back, the frame names the user codec as C does (codec flags 6, udcodec 160),
    // and reads back the same.
    let again = sc.to_frame().unwrap();
    let back = SChunk::from_frame(&again, &FrameLimits::default())
        .unwrap()
        .with_dparams(dparams());
    assert_eq!(back.codec_id(), 160);
    assert_eq!(back.decompress_all(&Limits::default()).unwrap(), all);
    // Without the plugins the frame opens but its chunks are unsupported.
    let bare = SChunk::from_frame(&frame, &FrameLimits::default()).unwrap();
    let mut out = vec![0u8; 80_000];
    let err = bare.decompress_chunk(0, &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
}

fn sample(n: usize) -> Vec<u8> {
    // Runs, ramps and noise, in 4-byte elements.
    let mut x = 0x1234_5678u32;
    (0..n / 4)
        .flat_map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = match (i / 5000) % 3 {
                0 => (i / 300) as u32,
                1 => (i as u32).wrapping_mul(7),
                _ => x % 16,
            };
            v.to_le_bytes()
        })
        .chain((0..n % 4).map(|i| i as u8))
        .collect()
}

fn roundtrip_all_threads(data: &[u8], cp: &CParams) -> Vec<u8> {
    let one = blockcodec::compress(data, &cp.clone().nthreads(1)).unwrap();
    for nthreads in [2, 5] {
        let many = blockcodec::compress(data, &cp.clone().nthreads(nthreads)).unwrap();
        assert!(many == one, "bytes differ at {nthreads} threads");
    }
    for nthreads in [1, 4] {
        let mut dp = DParams::default().nthreads(nthreads);
        dp.registry.clone_from(&cp.registry);
        let mut out = vec![0xEEu8; data.len()];
        blockcodec::decompress_into_with(&one, &mut out, &dp).unwrap();
        assert!(out == data, "round trip differs at {nthreads} threads");
    }
    one
}

#[test]
fn roundtrips_identical_across_threads() {
    let reg = registry();
    let filter_sets: [&[Filter]; 5] = [
        &[],
        &[DIFF],
        &[DIFF, Filter::Shuffle],
        &[Filter::Delta, DIFF],
        &[Filter::BitShuffle, DIFF],
    ];
    for n in [0, 1, 31, 32, 1000, 100_003, 400_000] {
        let data = sample(n);
        for filters in filter_sets {
            for (codec, meta) in [(RV, 0), (RV, 4), (Codec::Lz4, 0), (Codec::Zstd, 0)] {
                for split in [SplitMode::Auto, SplitMode::Always] {
                    let cp = CParams::default()
                        .codec(codec)
                        .compcode_meta(meta)
                        .typesize(4)
                        .filters(filters)
                        .splitmode(split)
                        .blocksize(if n > 200_000 { 0 } else { 16_384 })
                        .registry(reg.clone());
                    let chunk = roundtrip_all_threads(&data, &cp);
                    if n >= 1000 && matches!(codec, Codec::User(_)) {
                        let h = ChunkHeader::parse(&chunk).unwrap();
                        // §1.1 / §2.1: format code 6, id and meta in the extended header.
                        assert_eq!(h.udcodec(), 160);
                        assert_eq!(h.compcode_meta(), meta);
                        if h.special().is_none() && !h.is_memcpyed() {
                            assert_eq!(h.format_code(), 6);
                            assert_eq!(h.codec().unwrap(), RV);
                            // User codecs split only when forced (C-Blosc2 split_block).
                            assert_eq!(h.dont_split(), split == SplitMode::Auto);
                        }
                    }
                    if let Some(pos) = filters.iter().position(|f| *f == DIFF) {
                        let h = ChunkHeader::parse(&chunk).unwrap();
                        assert_eq!(h.filter_ids()[6 - filters.len() + pos], 160);
                    }
                }
            }
        }
    }
}

#[test]
fn codec_compresses_where_it_should() {
    // A ramp: the difference filter makes it constant, the codec stores one run per block.
    let data: Vec<u8> = (0..250_000u32)
        .flat_map(|i| (i * 3).to_le_bytes())
        .collect();
    let cp = CParams::default()
        .codec(RV)
        .compcode_meta(4)
        .typesize(4)
        .filters(&[DIFF])
        .registry(registry());
    let chunk = roundtrip_all_threads(&data, &cp);
    // 8 blocks of 128 KiB, each two runs (the first element, then a constant difference).
    assert_eq!(
        chunk.len(),
        32 + 8 * (4 + 4 + 2 * 8),
        "{} bytes",
        chunk.len()
    );
    // The codec's version goes into versionlz (C-Blosc2 compcode_to_compversion).
    assert_eq!(chunk[1], 1);
}

/// A codec whose behaviour is chosen per test.
struct Bad {
    id: u8,
    encode: fn(&[u8], &mut [u8]) -> Result<Option<usize>>,
    decode: fn(&[u8], &mut [u8]) -> Result<usize>,
}

impl UserCodec for Bad {
    fn id(&self) -> u8 {
        self.id
    }
    fn name(&self) -> &str {
        "bad"
    }
    fn version(&self) -> u8 {
        7
    }
    fn encode(&self, i: &[u8], o: &mut [u8], _: u8, _: &BlockInfo) -> Result<Option<usize>> {
        (self.encode)(i, o)
    }
    fn decode(&self, i: &[u8], o: &mut [u8], _: u8, _: &BlockInfo) -> Result<usize> {
        (self.decode)(i, o)
    }
}

/// Stores the first half of each stream and claims success: decodes to the wrong length.
fn half(i: &[u8], o: &mut [u8]) -> Result<Option<usize>> {
    let n = i.len() / 2;
    o[..n].copy_from_slice(&i[..n]);
    Ok(Some(n))
}

fn copy_back(i: &[u8], o: &mut [u8]) -> Result<usize> {
    let n = i.len().min(o.len());
    o[..n].copy_from_slice(&i[..n]);
    Ok(i.len())
}

fn bad_cparams(bad: Bad) -> CParams {
    CParams::default()
        .codec(Codec::User(bad.id))
        .typesize(4)
        .blocksize(8192)
        .registry(Registry::new().with_codec(bad).unwrap())
}

#[test]
fn misbehaving_codecs_give_errors() {
    let data = sample(50_000);
    let try_all = |cp: &CParams| {
        let kinds: Vec<ErrorKind> = [1, 3]
            .iter()
            .map(|&t| {
                blockcodec::compress(&data, &cp.clone().nthreads(t))
                    .unwrap_err()
                    .kind()
            })
            .collect();
        assert_eq!(kinds[0], kinds[1]);
        kinds[0]
    };
    // Encoder claims more bytes than the buffer holds (C: BLOSC2_ERROR_WRITE_BUFFER).
    let too_long = bad_cparams(Bad {
        id: 170,
        encode: |_, o| Ok(Some(o.len() + 1)),
        decode: copy_back,
    });
    assert_eq!(try_all(&too_long), ErrorKind::InvalidParam);
    // Encoder fails: its error kind and message come through with the codec named.
    let fails = bad_cparams(Bad {
        id: 171,
        encode: |_, _| Err(Error::new(ErrorKind::Unsupported, "nope")),
        decode: copy_back,
    });
    assert_eq!(try_all(&fails), ErrorKind::Unsupported);
    let e = blockcodec::compress(&data, &fails).unwrap_err();
    assert!(
        e.message().contains("171") && e.message().contains("nope"),
        "{e}"
    );
    // Encoder panics: caught, reported.
    let panics = bad_cparams(Bad {
        id: 172,
        encode: |_, _| panic!("encoder exploded"),
        decode: copy_back,
    });
    assert_eq!(try_all(&panics), ErrorKind::InvalidParam);
    let e = blockcodec::compress(&data, &panics).unwrap_err();
    assert!(e.message().contains("encoder exploded"), "{e}");

    // Decoder returns lengths other than the stream's: InvalidData (C: BLOSC2_ERROR_DATA).
    for (id, decode) in [
        (173u8, copy_back as fn(&[u8], &mut [u8]) -> Result<usize>),
        (174, |_, o| Ok(o.len() + 100)),
        (175, |_, _| Ok(usize::MAX)),
        (176, |_, _| panic!("decoder exploded")),
        (177, |_, _| {
            Err(Error::new(ErrorKind::InvalidData, "garbage"))
        }),
    ] {
        let cp = bad_cparams(Bad {
            id,
            encode: half,
            decode,
        });
        let chunk = blockcodec::compress(&data, &cp).unwrap();
        let dp = DParams::default().registry(cp.registry.clone().unwrap());
        assert_eq!(chunk[1], 7, "versionlz is the codec's version");
        for nthreads in [1, 4] {
            let mut out = vec![0u8; data.len()];
            let e =
                blockcodec::decompress_into_with(&chunk, &mut out, &dp.clone().nthreads(nthreads))
                    .unwrap_err();
            let want = if id == 176 {
                ErrorKind::InvalidParam
            } else {
                ErrorKind::InvalidData
            };
            assert_eq!(e.kind(), want, "codec {id}: {e}");
            assert!(e.message().contains(&id.to_string()), "{e}");
        }
        let e = blockcodec::getitem_with(&chunk, 100, 10, &mut [0u8; 40], &dp).unwrap_err();
        assert!(matches!(
            e.kind(),
            ErrorKind::InvalidData | ErrorKind::InvalidParam
        ));
    }
}

#[test]
fn codec_that_never_compresses_stores_raw() {
    let data = sample(40_000);
    let cp = bad_cparams(Bad {
        id: 178,
        encode: |_, _| Ok(None),
        decode: |_, _| panic!("raw streams never reach the decoder"),
    });
    let chunk = roundtrip_all_threads(&data, &cp);
    // Every stream raw does not fit in nbytes + 32: C falls back to a memcpyed chunk (§5.1).
    assert!(ChunkHeader::parse(&chunk).unwrap().is_memcpyed());
    // A codec that claims 0 bytes behaves the same.
    let zero = bad_cparams(Bad {
        id: 179,
        encode: |_, _| Ok(Some(0)),
        decode: copy_back,
    });
    let other = roundtrip_all_threads(&data, &zero);
    assert!(ChunkHeader::parse(&other).unwrap().is_memcpyed());
    assert!(other[32..] == chunk[32..]);
}

/// A filter that fails or panics in one direction.
struct BadFilter {
    id: u8,
    panic_forward: bool,
    fail_backward: bool,
}

impl UserFilter for BadFilter {
    fn id(&self) -> u8 {
        self.id
    }
    fn forward(&self, i: &[u8], o: &mut [u8], _: u8, info: &BlockInfo) -> Result<()> {
        assert!(!self.panic_forward || info.nblock == 0, "forward exploded");
        o.copy_from_slice(i);
        Ok(())
    }
    fn backward(&self, i: &[u8], o: &mut [u8], _: u8, info: &BlockInfo) -> Result<()> {
        if self.fail_backward && info.nblock == 2 {
            return Err(Error::new(ErrorKind::InvalidData, "cannot undo"));
        }
        o.copy_from_slice(i);
        Ok(())
    }
}

#[test]
fn misbehaving_filters_give_errors() {
    let data = sample(60_000);
    let cp = |f: BadFilter| {
        let id = f.id;
        CParams::default()
            .codec(Codec::Lz4)
            .typesize(4)
            .blocksize(8192)
            .filters(&[Filter::User(id)])
            .registry(Registry::new().with_filter(f).unwrap())
    };
    let panics = cp(BadFilter {
        id: 200,
        panic_forward: true,
        fail_backward: false,
    });
    for t in [1, 3] {
        let e = blockcodec::compress(&data, &panics.clone().nthreads(t)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParam, "{e}");
        assert!(e.message().contains("forward exploded"), "{e}");
    }
    let fails = cp(BadFilter {
        id: 201,
        panic_forward: false,
        fail_backward: true,
    });
    let chunk = blockcodec::compress(&data, &fails).unwrap();
    let dp = DParams::default().registry(fails.registry.clone().unwrap());
    for t in [1, 3] {
        let mut out = vec![0u8; data.len()];
        let e = blockcodec::decompress_into_with(&chunk, &mut out, &dp.clone().nthreads(t))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
        assert!(e.message().contains("201") && e.message().contains("cannot undo"));
    }
    // Blocks other than 2 still decode through getitem.
    let mut some = [0u8; 16];
    blockcodec::getitem_with(&chunk, 10, 4, &mut some, &dp).unwrap();
    assert_eq!(some, data[40..56]);
}

#[test]
fn unknown_ids_are_unsupported() {
    let data = sample(30_000);
    let chunk = blockcodec::compress(
        &data,
        &CParams::default()
            .codec(RV)
            .typesize(4)
            .filters(&[DIFF])
            .registry(registry()),
    )
    .unwrap();
    assert_eq!(ChunkHeader::parse(&chunk).unwrap().format_code(), 6);
    let mut out = vec![0u8; data.len()];
    // No plugin at all (the process-wide registry has nothing under 160).
    let e = blockcodec::decompress_into(&chunk, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("160"), "{e}");
    // Codec known, filter not.
    let only_codec = Registry::new()
        .with_codec(RepeatedValueCodec::default())
        .unwrap();
    let dp = DParams::default().registry(only_codec.clone());
    let e = blockcodec::decompress_into_with(&chunk, &mut out, &dp).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("filter id 160"), "{e}");
    let e = blockcodec::getitem_with(&chunk, 0, 1, &mut [0u8; 4], &dp).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    // Filter known, codec not; codec registered under another id.
    let other = Registry::new()
        .with_codec(RepeatedValueCodec { id: 161 })
        .unwrap()
        .with_filter(DifferenceFilter::default())
        .unwrap();
    let e = blockcodec::decompress_into_with(&chunk, &mut out, &DParams::default().registry(other))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("codec id 160"), "{e}");

    // Compressing with ids nobody registered.
    let cp = CParams::default().typesize(4).registry(only_codec);
    let e = blockcodec::compress(&data, &cp.clone().codec(Codec::User(230))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("230"), "{e}");
    let e = blockcodec::compress(&data, &cp.clone().filters(&[Filter::User(231)])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("231"), "{e}");
    assert!(cp.clone().filters(&[Filter::User(231)]).validate().is_err());
    // Ids below 160 are not user ids.
    let e = blockcodec::compress(&data, &cp.clone().codec(Codec::User(100))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParam);
    let e = blockcodec::compress(&data, &cp.filters(&[Filter::User(7)])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParam);
    assert_eq!(Codec::from_api_id(33), None);
    assert_eq!(Filter::from_id(35), None);
}

#[test]
fn registry_rules() {
    let mut reg = Registry::new();
    let e = reg
        .register_codec(RepeatedValueCodec { id: 159 })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParam);
    let e = reg.register_filter(DifferenceFilter { id: 3 }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParam);
    reg.register_codec(RepeatedValueCodec { id: 160 }).unwrap();
    reg.register_codec(RepeatedValueCodec { id: 255 }).unwrap();
    let e = reg
        .register_codec(RepeatedValueCodec { id: 160 })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParam);
    assert!(e.message().contains("already registered"), "{e}");
    // Codec and filter ids are separate spaces, as in C-Blosc2.
    reg.register_filter(DifferenceFilter { id: 160 }).unwrap();
    assert!(reg.register_filter(DifferenceFilter { id: 160 }).is_err());
    assert_eq!(reg.codec_ids(), vec![160, 255]);
    assert_eq!(reg.filter_ids(), vec![160]);
    assert_eq!(reg.codec(160).unwrap().name(), "repeated-value");
    // Clones are snapshots: registering on one leaves the other (and params holding it) alone.
    let snapshot = reg.clone();
    assert_eq!(snapshot, reg);
    reg.register_filter(DifferenceFilter { id: 161 }).unwrap();
    assert_ne!(snapshot, reg);
    assert!(snapshot.filter(161).is_none());
    assert!(reg.filter(161).is_some());
    assert!(format!("{reg:?}").contains("difference"));
}

#[test]
fn global_registry_is_the_default() {
    // Ids used nowhere else in this test binary.
    blockcodec::register_codec(RepeatedValueCodec { id: 250 }).unwrap();
    blockcodec::register_filter(DifferenceFilter { id: 251 }).unwrap();
    let e = blockcodec::register_codec(RepeatedValueCodec { id: 250 }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParam);
    assert!(Registry::global().codec(250).is_some());
    let data = sample(70_000);
    let cp = CParams::default()
        .codec(Codec::User(250))
        .compcode_meta(4)
        .typesize(4)
        .filters(&[Filter::User(251)]);
    assert!(cp.validate().is_ok());
    let chunk = roundtrip_all_threads(&data, &cp);
    assert_eq!(blockcodec::decompress(&chunk).unwrap(), data);
    // A registry in the params replaces the global one entirely.
    let e = blockcodec::decompress_into_with(
        &chunk,
        &mut vec![0u8; data.len()],
        &DParams::default().registry(registry()),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

#[test]
fn prefilter_and_postfilter_see_every_block() {
    let data = sample(100_001);
    let bs = 16_384;
    let expect: Vec<(usize, usize, usize)> = (0..data.len().div_ceil(bs))
        .map(|j| (j, j * bs, bs.min(data.len() - j * bs)))
        .collect();
    let plus1: Vec<u8> = data.iter().map(|b| b.wrapping_add(1)).collect();
    let log = Arc::new(Mutex::new(Vec::new()));
    let infos = Arc::new(Mutex::new((Vec::new(), Vec::new()))); // (pre, post)
    for (codec, filters, clevel) in [
        (RV, vec![DIFF], 5u8),
        (Codec::Lz4, vec![Filter::Shuffle], 5),
        (Codec::BloscLz, vec![Filter::Delta, Filter::Shuffle], 5),
        (Codec::Lz4, vec![], 0), // memcpyed: the prefilter still runs (C-Blosc2 blosc_c)
    ] {
        for nthreads in [1, 3] {
            let calls = Arc::new(Mutex::new(Vec::new()));
            let c2 = Arc::clone(&calls);
            let i2 = Arc::clone(&infos);
            let pre = BlockCallback::new(move |p| {
                c2.lock()
                    .unwrap()
                    .push((p.info.nblock, p.info.offset, p.info.bsize));
                i2.lock().unwrap().0.push(p.info);
                let tag: &&str = p.user_data().unwrap();
                assert_eq!(*tag, "pre-data");
                for (o, i) in p.output.iter_mut().zip(p.input.iter()) {
                    *o = i.wrapping_add(1);
                }
                Ok(())
            })
            .with_user_data("pre-data");
            let cp = CParams::default()
                .codec(codec)
                .clevel(clevel)
                .compcode_meta(4)
                .typesize(4)
                .blocksize(bs)
                .filters(&filters)
                .nthreads(nthreads)
                .registry(registry())
                .prefilter(pre);
            *infos.lock().unwrap() = Default::default();
            let chunk = blockcodec::compress(&data, &cp).unwrap();
            let mut got = calls.lock().unwrap().clone();
            got.sort_unstable();
            got.dedup();
            assert_eq!(got, expect, "{codec} {filters:?} {nthreads}");
            // Without a postfilter the chunk holds the prefilter's output.
            let mut out = vec![0u8; data.len()];
            blockcodec::decompress_into_with(&chunk, &mut out, &dparams().nthreads(nthreads))
                .unwrap();
            assert!(out == plus1, "{codec} {filters:?}");
            // A postfilter undoing it restores the input, seeing each block once.
            let l2 = Arc::clone(&log);
            let i3 = Arc::clone(&infos);
            let post = BlockCallback::new(move |p| {
                l2.lock()
                    .unwrap()
                    .push((p.info.nblock, p.info.offset, p.info.bsize));
                i3.lock().unwrap().1.push(p.info);
                // The output starts as a copy of the input.
                assert_eq!(p.output, p.input);
                for o in p.output.iter_mut() {
                    *o = o.wrapping_sub(1);
                }
                Ok(())
            });
            log.lock().unwrap().clear();
            let dp = dparams().nthreads(nthreads).postfilter(post);
            out.fill(0);
            blockcodec::decompress_into_with(&chunk, &mut out, &dp).unwrap();
            assert!(out == data, "{codec} {filters:?} postfilter");
            let mut got = log.lock().unwrap().clone();
            got.sort_unstable();
            assert_eq!(got, expect);
            // Both callbacks are told the same about each block (nstreams included).
            let (mut pre_seen, mut post_seen) = std::mem::take(&mut *infos.lock().unwrap());
            for v in [&mut pre_seen, &mut post_seen] {
                v.sort_by_key(|i| i.nblock);
                v.dedup();
            }
            assert_eq!(pre_seen, post_seen, "{codec} {filters:?}");
            // getitem with the postfilter: only the touched blocks.
            log.lock().unwrap().clear();
            let mut some = vec![0u8; 40_000];
            blockcodec::getitem_with(&chunk, 5_000, 10_000, &mut some, &dp).unwrap();
            assert_eq!(some, data[20_000..60_000]);
            let mut got = log.lock().unwrap().clone();
            got.sort_unstable();
            assert_eq!(got, expect[1..4]);
        }
    }
}

#[test]
fn postfilter_runs_on_special_chunks_and_errors_propagate() {
    let cp = CParams::default().typesize(4).blocksize(4096);
    let zeros = blockcodec::chunk_zeros(10_000, &cp).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&count);
    let post = BlockCallback::new(move |p| {
        c2.fetch_add(1, Ordering::Relaxed);
        p.output.fill(7);
        Ok(())
    });
    let mut out = vec![0u8; 10_000];
    blockcodec::decompress_into_with(&zeros, &mut out, &DParams::default().postfilter(post))
        .unwrap();
    assert!(out.iter().all(|&b| b == 7));
    assert_eq!(count.load(Ordering::Relaxed), 3);

    let failing = BlockCallback::new(|p| {
        if p.info.nblock == 1 {
            return Err(Error::new(ErrorKind::InvalidParam, "no block 1 please"));
        }
        Ok(())
    });
    let data = sample(20_000);
    let e = blockcodec::compress(&data, &cp.clone().prefilter(failing.clone())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParam);
    assert!(e.message().contains("prefilter on block 1"), "{e}");
    let chunk = blockcodec::compress(&data, &cp).unwrap();
    let e = blockcodec::decompress_into_with(
        &chunk,
        &mut vec![0u8; data.len()],
        &DParams::default().postfilter(failing).nthreads(2),
    )
    .unwrap_err();
    assert!(e.message().contains("postfilter on block 1"), "{e}");
    let panicking = BlockCallback::new(|_| panic!("callback exploded"));
    let e = blockcodec::compress(&data, &cp.prefilter(panicking)).unwrap_err();
    assert!(e.message().contains("callback exploded"), "{e}");
}

#[test]
fn user_plugins_see_block_info() {
    struct Probe(Mutex<Vec<BlockInfo>>);
    impl UserCodec for Probe {
        fn id(&self) -> u8 {
            190
        }
        fn name(&self) -> &str {
            "probe"
        }
        fn encode(
            &self,
            _: &[u8],
            _: &mut [u8],
            meta: u8,
            info: &BlockInfo,
        ) -> Result<Option<usize>> {
            assert_eq!(meta, 42);
            self.0.lock().unwrap().push(*info);
            Ok(None)
        }
        fn decode(&self, _: &[u8], _: &mut [u8], _: u8, _: &BlockInfo) -> Result<usize> {
            Ok(0)
        }
    }
    let probe = Arc::new(Probe(Mutex::new(Vec::new())));
    let mut reg = Registry::new();
    reg.register_codec_arc(probe.clone()).unwrap();
    // Noise, so that no stream is a run (runs never reach the codec): 2 whole blocks of 4096
    // and a leftover of 1808.
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let data: Vec<u8> = (0..10_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let cp = CParams::default()
        .codec(Codec::User(190))
        .compcode_meta(42)
        .typesize(4)
        .blocksize(4096)
        .splitmode(SplitMode::Always)
        .registry(reg);
    blockcodec::compress(&data, &cp).unwrap();
    let mut infos = probe.0.lock().unwrap().clone();
    infos.sort_by_key(|i| (i.nblock, i.stream));
    // Split blocks: 4 streams each; the leftover block is one stream (§3.1).
    assert_eq!(infos.len(), 4 + 4 + 1);
    let last = infos.last().unwrap();
    assert_eq!(
        (last.nblock, last.offset, last.bsize, last.nstreams),
        (2, 8192, 1808, 1)
    );
    assert_eq!(infos[5].stream, 1);
    assert_eq!(infos[5].nstreams, 4);
    assert!(
        infos
            .iter()
            .all(|i| i.typesize == 4 && i.nbytes == 10_000 && i.blocksize == 4096)
    );
}

#[test]
fn malformed_user_chunks_never_panic() {
    // A regular chunk naming codec 160 (format code 6), with and without plugins.
    let mut chunk = vec![0u8; 32];
    chunk[0] = 5;
    chunk[1] = 1;
    chunk[2] = 0xD5;
    chunk[3] = 4;
    chunk[4..8].copy_from_slice(&64i32.to_le_bytes());
    chunk[8..12].copy_from_slice(&64i32.to_le_bytes());
    chunk[0x16] = 160;
    chunk.extend_from_slice(&36i32.to_le_bytes());
    chunk.extend_from_slice(&10i32.to_le_bytes());
    chunk.extend_from_slice(&[7; 10]);
    let len = chunk.len() as i32;
    chunk[12..16].copy_from_slice(&len.to_le_bytes());
    let mut out = [0u8; 64];
    let e = blockcodec::decompress_into(&chunk, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = blockcodec::decompress_into_with(&chunk, &mut out, &dparams()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    // udcodec below 160 with format code 6: a plugin this build does not have.
    chunk[0x16] = 33;
    let e = blockcodec::decompress_into_with(&chunk, &mut out, &dparams()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);

    // Seeded mutations of real chunks, decoded with the plugins and without.
    let reg = registry();
    let seeds: Vec<Vec<u8>> = [
        CParams::default()
            .codec(RV)
            .compcode_meta(4)
            .filters(&[DIFF]),
        CParams::default()
            .codec(RV)
            .splitmode(SplitMode::Always)
            .filters(&[Filter::Shuffle]),
        CParams::default()
            .codec(Codec::Lz4)
            .filters(&[DIFF, Filter::Shuffle]),
    ]
    .into_iter()
    .map(|cp| {
        let cp = cp.typesize(4).blocksize(2048).registry(reg.clone());
        blockcodec::compress(&sample(9_000), &cp).unwrap()
    })
    .collect();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let dp = dparams();
    let mut decoded = 0;
    for _ in 0..3000 {
        let mut c = seeds[(next() % 3) as usize].clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() as usize) % c.len();
            c[at] = next() as u8;
        }
        let mut out = vec![0u8; 9_000];
        for d in [&dp, &DParams::default()] {
            if blockcodec::decompress_into_with(&c, &mut out, &d.clone().nthreads(2)).is_ok() {
                decoded += 1;
            }
            let _ = blockcodec::getitem_with(&c, 3, 100, &mut [0u8; 400], d);
        }
    }
    assert!(decoded > 0);
}
