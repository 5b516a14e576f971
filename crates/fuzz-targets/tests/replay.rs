//! Runs every fuzz target body without libFuzzer (hardening.md §3.4, §3.8): on its committed
//! corpus (`fuzz/corpus/<target>/*`), on every committed finding (`fuzz/artifacts/<target>/*`),
//! and on a seeded mutation loop over the corpus, so `cargo test` keeps the targets alive and
//! replays old crashes. `FUZZ_REPLAY_ITERS` overrides the mutation count per target.
//!
//! `cargo test -p fuzz-targets --test replay -- --ignored write_seed_corpora` regenerates the
//! seed corpora from the golden vectors in `crates/blockcodec/tests/data/`.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use blockcodec::{
    CParams, ChunkHeader, Codec, DParams, Filter, Registry, SChunk, SpecialKind, SplitMode,
};
use fuzz_targets::{TARGETS, Target};

// The plugins of the examples, to check that the fuzz crate's copies write and read the same
// bytes (they must, to decode the golden vectors of `crates/blockcodec/tests/data/user/`).
#[path = "../../blockcodec/examples/common/plugins.rs"]
mod example_plugins;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none if the directory does not exist).
fn files(kind: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = root().join("fuzz").join(kind).join(target);
    let Ok(rd) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

/// Runs `f(data)`, turning a panic into a message naming the input.
fn run_one(name: &str, f: Target, what: &str, data: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| f(data))).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        format!(
            "{name}: {what} ({} bytes: {}) panicked: {msg}",
            data.len(),
            hex(data, 64)
        )
    })
}

fn hex(data: &[u8], max: usize) -> String {
    let mut s: String = data.iter().take(max).map(|b| format!("{b:02x}")).collect();
    if data.len() > max {
        s.push_str("...");
    }
    s
}

#[test]
fn every_target_has_a_corpus() {
    for (name, _) in TARGETS {
        assert!(
            !files("corpus", name).is_empty(),
            "fuzz/corpus/{name} is empty"
        );
        assert!(
            root()
                .join(format!("fuzz/fuzz_targets/{name}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
    }
}

#[test]
fn corpus_and_artifacts_replay() {
    let mut failures = Vec::new();
    let mut count = 0;
    for &(name, f) in TARGETS {
        for kind in ["corpus", "artifacts"] {
            for (path, data) in files(kind, name) {
                count += 1;
                let what = path.file_name().unwrap().to_string_lossy().into_owned();
                if let Err(e) = run_one(name, f, &format!("{kind}/{what}"), &data) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(count > 0);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// xorshift64*, as in the other seeded tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One libFuzzer-style mutation: bit flips, byte sets, interesting 32-bit values at aligned
/// header/table positions, truncation, insertion, duplication, splicing with another input.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    const INTERESTING: [i32; 10] = [0, -1, 1, 16, 32, i32::MAX, i32::MIN, 255, 256, 536_866_817];
    let len = data.len();
    match rng.below(9) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next() as u8;
        }
        2 if len >= 4 => {
            let i = (rng.below(len - 3) / 4 * 4).min(len - 4);
            let v = INTERESTING[rng.below(INTERESTING.len())];
            data[i..i + 4].copy_from_slice(&v.to_le_bytes());
        }
        3 => data.truncate(rng.below(len + 1)),
        4 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            data.splice(at..at, bytes);
        }
        5 if len > 0 => {
            let from = rng.below(len);
            let n = 1 + rng.below((len - from).min(64));
            let at = rng.below(len + 1);
            let piece = data[from..from + n].to_vec();
            data.splice(at..at, piece);
        }
        6 if !other.is_empty() => {
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        7 if len > 0 => {
            let i = rng.below(len);
            data[i] = data[i].wrapping_add(rng.below(9) as u8).wrapping_sub(4);
        }
        _ => {
            let n = 1 + rng.below(32);
            data.extend((0..n).map(|_| rng.next() as u8));
        }
    }
}

fn iterations(default: usize) -> usize {
    std::env::var("FUZZ_REPLAY_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Mutation loop for one target, starting from its corpus (or from nothing).
fn mutation_loop(name: &str, f: Target, iters: usize) {
    let seeds: Vec<Vec<u8>> = files("corpus", name).into_iter().map(|(_, d)| d).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64 ^ (name.as_bytes()[0] as u64) << 8);
    let mut failures = Vec::new();
    for it in 0..iters {
        let mut data = if seeds.is_empty() {
            Vec::new()
        } else {
            seeds[rng.below(seeds.len())].clone()
        };
        let other = if seeds.is_empty() {
            &[][..]
        } else {
            &seeds[rng.below(seeds.len())][..]
        };
        for _ in 0..1 + rng.below(6) {
            mutate(&mut rng, &mut data, other);
        }
        if let Err(e) = run_one(name, f, &format!("mutation {it}"), &data) {
            failures.push(e);
            if failures.len() >= 5 {
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

macro_rules! mutation_tests {
    ($($name:ident: $iters:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let f = fuzz_targets::target(stringify!($name)).unwrap();
                mutation_loop(stringify!($name), f, iterations($iters));
            }
        )*
        /// Every target has a mutation test above.
        #[test]
        fn mutation_tests_cover_every_target() {
            let mut names = vec![$(stringify!($name)),*];
            names.sort_unstable();
            let mut all: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
            all.sort_unstable();
            assert_eq!(names, all);
        }
    };
}

mod mutations {
    use super::*;

    mutation_tests! {
        chunk_decompress: 8000,
        chunk_structured: 5000,
        chunk_getitem: 8000,
        chunk_roundtrip: 800,
        chunk_user: 3000,
        blosclz_decompress: 8000,
        blosclz_roundtrip: 1500,
        lz4hc_roundtrip: 1500,
        shuffle_roundtrip: 1500,
        frame_decode: 6000,
        schunk_model: 800,
        channel_model: 800,
    }
}

// ----- seed corpora ---------------------------------------------------------------------------

/// Deterministic pseudo-random seeds for the structured targets (their inputs are decisions).
fn random_seeds(n: usize, len: usize, salt: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x2545_F491 ^ salt);
    (0..n)
        .map(|k| (0..len + k * 7 % 97).map(|_| rng.next() as u8).collect())
        .collect()
}

/// Representative golden chunks: the smallest file of every format-version/codec/filter/split
/// family, at most 16 KiB each.
fn golden_chunks() -> Vec<(String, Vec<u8>)> {
    let dir = root().join("crates/blockcodec/tests/data/reference");
    let mut by_family: BTreeMap<String, (String, Vec<u8>)> = BTreeMap::new();
    let mut names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".b2chunk"))
        .collect();
    names.sort();
    for name in names {
        let bytes = fs::read(dir.join(&name)).unwrap();
        if bytes.len() > 16 << 10 {
            continue;
        }
        // "NNN-c2-<codec>-c<level>-t<ts>-<filter>[-<split>]-...-n<size>-<data>.b2chunk"
        let f: Vec<&str> = name.split('-').collect();
        let split = ["fwd", "auto", "always", "never"]
            .into_iter()
            .find(|s| f.contains(s))
            .unwrap_or("-");
        let family = format!("{}-{}-{}-{split}", f[1], f[2], f[5]);
        let keep = by_family
            .get(&family)
            .is_none_or(|(_, b)| bytes.len() < b.len());
        if keep {
            by_family.insert(family, (name, bytes));
        }
    }
    let compat = root().join("crates/blockcodec/tests/data/compat");
    let mut out: Vec<_> = by_family.into_values().collect();
    for name in [
        "blosc-1.3.0-blosclz.cdata",
        "blosc-1.14.0-lz4.cdata",
        "blosc-2.0.0-lz4-bitshuffle4-memcpy.cdata",
    ] {
        if let Ok(b) = fs::read(compat.join(name))
            && b.len() <= 64 << 10
        {
            out.push((name.to_owned(), b));
        }
    }
    out
}

/// Chunks of every kind our writer produces: specials, memcpyed, split, filters, delta.
fn own_chunks() -> Vec<(String, Vec<u8>)> {
    let ramp: Vec<u8> = (0..3000u32).flat_map(|i| (i / 3).to_le_bytes()).collect();
    let cp = |codec, filters: &[Filter]| {
        CParams::default()
            .codec(codec)
            .typesize(4)
            .filters(filters)
            .blocksize(1024)
    };
    let mut out = vec![
        (
            "zeros".into(),
            blockcodec::chunk_zeros(4096, &CParams::default()).unwrap(),
        ),
        (
            "nans".into(),
            blockcodec::chunk_nans(4096, &CParams::default().typesize(4)).unwrap(),
        ),
        (
            "uninit".into(),
            blockcodec::chunk_uninit(100, &CParams::default()).unwrap(),
        ),
        (
            "value".into(),
            blockcodec::chunk_repeat(600, &[1, 2, 3], &CParams::default()).unwrap(),
        ),
        (
            "memcpyed".into(),
            blockcodec::compress(&ramp[..500], &cp(Codec::Lz4, &[]).clevel(0)).unwrap(),
        ),
        (
            "tiny".into(),
            blockcodec::compress(&ramp[..20], &cp(Codec::Lz4, &[])).unwrap(),
        ),
    ];
    for (tag, codec) in [("blosclz", Codec::BloscLz), ("lz4", Codec::Lz4)] {
        for (ftag, filters) in [
            ("none", &[][..]),
            ("shuffle", &[Filter::Shuffle][..]),
            ("bitshuffle", &[Filter::BitShuffle][..]),
            ("delta-shuffle", &[Filter::Delta, Filter::Shuffle][..]),
        ] {
            for (stag, split) in [("split", SplitMode::Always), ("nosplit", SplitMode::Never)] {
                let c = blockcodec::compress(&ramp, &cp(codec, filters).splitmode(split)).unwrap();
                out.push((format!("{tag}-{ftag}-{stag}"), c));
            }
        }
    }
    out
}

/// BloscLZ streams cut out of BloscLZ chunks, each prefixed with its decoded size − 1 (`u16`).
fn blosclz_streams(chunks: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, c) in chunks {
        let Ok(h) = ChunkHeader::parse(c) else {
            continue;
        };
        if h.format_code() != 0 || h.special().is_some() || h.is_memcpyed() || h.nbytes() == 0 {
            continue;
        }
        let hl = h.header_len();
        let bstart = i32::from_le_bytes(c[hl..hl + 4].try_into().unwrap()) as usize;
        let csize = i32::from_le_bytes(c[bstart..bstart + 4].try_into().unwrap());
        let split = !h.dont_split() && h.blocksize() / h.typesize() >= 1;
        let bs = h.blocksize().min(h.nbytes());
        let neblock = if split { bs / h.typesize() } else { bs };
        if csize <= 0 || csize as usize >= neblock || neblock > 65536 {
            continue;
        }
        let mut seed = ((neblock - 1) as u16).to_le_bytes().to_vec();
        seed.extend_from_slice(&c[bstart + 4..bstart + 4 + csize as usize]);
        out.push((name.clone(), seed));
    }
    out
}

/// Frames: the golden ones and a few of our own (fixed, variable, specials, metadata).
fn frames() -> Vec<(String, Vec<u8>)> {
    let dir = root().join("crates/blockcodec/tests/data/frames");
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".b2frame"))
        .collect();
    names.sort();
    for name in names {
        let b = fs::read(dir.join(&name)).unwrap();
        if b.len() <= 64 << 10 {
            out.push((name, b));
        }
    }
    let cp = CParams::default().codec(Codec::BloscLz).typesize(4);
    let mut fixed = SChunk::new(cp.clone()).unwrap();
    fixed.meta_add("b2nd", &[0x90]).unwrap();
    fixed.append_buffer(&[7u8; 400]).unwrap();
    fixed.append_special(&SpecialKind::Zeros, 400).unwrap();
    fixed
        .append_special(&SpecialKind::Value(vec![1, 2, 3, 4]), 400)
        .unwrap();
    fixed
        .append_buffer(&(0..200u8).collect::<Vec<_>>())
        .unwrap();
    fixed.vlmeta_add("author", b"\xa2me").unwrap();
    out.push(("own-fixed".into(), fixed.to_frame().unwrap()));
    let mut var = SChunk::new(cp).unwrap().with_variable_chunks();
    var.append_buffer(&[1u8; 100]).unwrap();
    var.append_buffer(&(0..255u8).collect::<Vec<_>>()).unwrap();
    var.append_special(&SpecialKind::Zeros, 64).unwrap();
    out.push(("own-variable".into(), var.to_frame().unwrap()));
    let empty = SChunk::new(CParams::default()).unwrap();
    out.push(("own-empty".into(), empty.to_frame().unwrap()));
    out
}

/// The golden user-plugin chunks (python-blosc2 with the example plugins), smallest first.
fn golden_user_chunks(max_len: usize) -> Vec<(String, Vec<u8>)> {
    let dir = root().join("crates/blockcodec/tests/data/user");
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".b2chunk"))
        .map(|n| {
            let b = fs::read(dir.join(&n)).unwrap();
            (n, b)
        })
        .filter(|(_, b)| b.len() <= max_len)
        .collect();
    out.sort_by(|a, b| (a.1.len(), &a.0).cmp(&(b.1.len(), &b.0)));
    out
}

/// 4-byte elements in runs, ramps and noise (as `tests/user_plugins.rs`' sample).
fn user_sample(n: usize) -> Vec<u8> {
    let mut x = 0x1234_5678u32;
    (0..n / 4)
        .flat_map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = match (i / 700) % 3 {
                0 => (i / 50) as u32,
                1 => (i as u32).wrapping_mul(7),
                _ => x % 16,
            };
            v.to_le_bytes()
        })
        .chain((0..n % 4).map(|i| i as u8))
        .collect()
}

/// Parameter sets with user codecs (160 repeated-value, 162 copy) and filters (160
/// difference, 162 reverse) in several slots, for seeds and the cross-check.
fn user_cparams() -> Vec<(&'static str, CParams)> {
    let rv = Codec::User(160);
    let diff = Filter::User(160);
    let base = || {
        CParams::default()
            .typesize(4)
            .blocksize(2048)
            .registry(fuzz_targets::user_registry())
    };
    vec![
        ("rv", base().codec(rv).compcode_meta(4)),
        (
            "rv-diff",
            base().codec(rv).compcode_meta(4).filters(&[diff]),
        ),
        (
            "rv-split-shuffle",
            base()
                .codec(rv)
                .splitmode(SplitMode::Always)
                .filters(&[Filter::Shuffle]),
        ),
        (
            "rv-delta-diff",
            base().codec(rv).filters(&[Filter::Delta, diff]),
        ),
        ("lz4-diff-shuffle", base().filters(&[diff, Filter::Shuffle])),
        (
            "blosclz-reverse-diff",
            base()
                .codec(Codec::BloscLz)
                .filters(&[Filter::User(162), diff]),
        ),
        (
            "copy-bitshuffle",
            base()
                .codec(Codec::User(162))
                .filters(&[Filter::BitShuffle]),
        ),
        ("rv-clevel0", base().codec(rv).clevel(0).filters(&[diff])),
    ]
}

/// Seeds for `chunk_user`: decode-mode inputs (even selector byte, then a chunk) from the
/// golden chunks and our own, some retargeted at the hostile ids; roundtrip-mode inputs (odd
/// first byte, then decisions).
fn user_seeds() -> Vec<(String, Vec<u8>)> {
    let with_sel = |sel: u8, chunk: &[u8]| {
        let mut v = vec![sel << 1];
        v.extend_from_slice(chunk);
        v
    };
    let mut out = Vec::new();
    for (i, (name, c)) in golden_user_chunks(20 << 10).into_iter().enumerate() {
        let stem = name.trim_end_matches(".b2chunk");
        out.push((format!("golden-{stem}"), with_sel(0, &c)));
        // The smallest ones also with a hostile codec or filter under id 160.
        if i < 8 {
            let sel = [1u8, 2, 3, 4, 5, 6, 12, 18][i];
            out.push((format!("golden-{stem}-sel{sel}"), with_sel(sel, &c)));
        }
    }
    let data = user_sample(5_000);
    for (name, cp) in user_cparams() {
        let c = blockcodec::compress(&data, &cp).unwrap();
        out.push((format!("own-{name}"), with_sel(0, &c)));
        let h = ChunkHeader::parse(&c).unwrap();
        if h.is_memcpyed() || h.special().is_some() {
            continue;
        }
        out.push((format!("own-{name}-sel3"), with_sel(3, &c)));
        if h.format_code() == 6 {
            // The codec id retargeted at the hostile codecs 200..=203.
            for id in 200..=203u8 {
                let mut m = c.clone();
                m[0x16] = id;
                out.push((format!("own-{name}-codec{id}"), with_sel(0, &m)));
            }
        }
        if let Some(slot) = h.filter_ids().iter().position(|&id| id == 160) {
            for id in 200..=202u8 {
                let mut m = c.clone();
                m[0x10 + slot] = id;
                out.push((format!("own-{name}-filter{id}"), with_sel(0, &m)));
            }
        }
    }
    for (i, mut seed) in random_seeds(24, 48, 99).into_iter().enumerate() {
        seed[0] |= 1;
        out.push((format!("roundtrip-{i:03}"), seed));
    }
    out
}

fn write_corpus(target: &str, seeds: &[(String, Vec<u8>)]) {
    let dir = root().join("fuzz/corpus").join(target);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    for (name, data) in seeds {
        let stem = name
            .trim_end_matches(".b2chunk")
            .trim_end_matches(".b2frame");
        fs::write(dir.join(format!("seed-{stem}")), data).unwrap();
    }
}

fn named(seeds: Vec<Vec<u8>>) -> Vec<(String, Vec<u8>)> {
    seeds
        .into_iter()
        .enumerate()
        .map(|(i, d)| (format!("{i:03}"), d))
        .collect()
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand to regenerate the seeds"]
fn write_seed_corpora() {
    let mut chunks = golden_chunks();
    chunks.extend(own_chunks());
    write_corpus("chunk_decompress", &chunks);
    let getitem: Vec<_> = chunks
        .iter()
        .enumerate()
        .map(|(i, (n, c))| {
            let mut d = ((i * 37 % 200) as u16).to_le_bytes().to_vec();
            d.extend_from_slice(&(1 + (i * 13 % 50) as u16).to_le_bytes());
            d.extend_from_slice(c);
            (n.clone(), d)
        })
        .collect();
    write_corpus("chunk_getitem", &getitem);
    write_corpus("blosclz_decompress", &blosclz_streams(&chunks));
    write_corpus("frame_decode", &frames());
    write_corpus("chunk_user", &user_seeds());
    for (i, target) in [
        "chunk_structured",
        "chunk_roundtrip",
        "blosclz_roundtrip",
        "lz4hc_roundtrip",
        "shuffle_roundtrip",
        "schunk_model",
        "channel_model",
    ]
    .into_iter()
    .enumerate()
    {
        write_corpus(target, &named(random_seeds(24, 48, i as u64)));
    }
}

#[test]
#[ignore = "writes fuzz/corpus/chunk_user; run by hand to regenerate its seeds alone"]
fn write_seed_corpus_chunk_user() {
    write_corpus("chunk_user", &user_seeds());
}

/// The fuzz crate's plugins read and write the bytes of the example plugins: every golden
/// chunk decodes identically with both, and compressing with either gives the same chunk.
#[test]
fn fuzz_plugins_match_the_examples() {
    let examples = Registry::new()
        .with_codec(example_plugins::RepeatedValueCodec::default())
        .unwrap()
        .with_filter(example_plugins::DifferenceFilter::default())
        .unwrap();
    let ours = DParams::default().registry(fuzz_targets::user_registry());
    let theirs = DParams::default().registry(examples.clone());
    let golden = golden_user_chunks(usize::MAX);
    assert!(golden.len() >= 15, "only {} golden chunks", golden.len());
    for (name, c) in &golden {
        let a = blockcodec::decompress_to_vec_with(c, &Default::default(), &ours);
        let b = blockcodec::decompress_to_vec_with(c, &Default::default(), &theirs);
        assert!(a.is_ok(), "{name}: {a:?}");
        assert!(a == b, "{name}: the fuzz plugins decode differently");
    }
    let data = user_sample(30_001);
    for (name, cp) in user_cparams() {
        let uses_only_160 = !matches!(cp.codec, Codec::User(id) if id != 160)
            && cp
                .filters
                .iter()
                .all(|s| !matches!(s.filter, Filter::User(id) if id != 160));
        if !uses_only_160 {
            continue;
        }
        let a = blockcodec::compress(&data, &cp).unwrap();
        let b = blockcodec::compress(&data, &cp.clone().registry(examples.clone())).unwrap();
        assert!(a == b, "{name}: the fuzz plugins compress differently");
    }
}
