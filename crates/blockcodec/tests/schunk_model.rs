//! Model-based test of `SChunk` (hardening.md §3.4 `schunk_model`, §3.5 item 10): seeded random
//! sequences of append / insert / update / delete / get / special / metadata / frame roundtrips
//! (in memory and through files opened lazily), some made to fail on purpose, against a
//! `Vec<Vec<u8>>` model. After every operation the super-chunk equals the model; after a failed
//! one it also equals a clone taken before the call.

#![allow(clippy::unwrap_used, clippy::panic)]

use blockcodec::{CParams, Codec, ErrorKind, FrameLimits, Limits, SChunk, SpecialKind};

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

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// The model: chunk contents, the fixed chunksize (if any), metadata.
#[derive(Clone, Debug, PartialEq)]
struct Model {
    chunks: Vec<Vec<u8>>,
    variable: bool,
    chunksize: Option<usize>,
    meta: Vec<(String, Vec<u8>)>,
    vlmeta: Vec<(String, Vec<u8>)>,
}

impl Model {
    /// The documented size rule, written independently of the implementation.
    fn can_place(&self, i: usize, n: usize, replace: bool) -> bool {
        let len = self.chunks.len();
        if n == 0 || (replace && i >= len) || (!replace && i > len) {
            return false;
        }
        if self.variable {
            return true;
        }
        let cs = self.chunksize.unwrap_or(n);
        let is_last = if replace { i + 1 == len } else { i == len };
        if n > cs || (!is_last && n != cs) {
            return false;
        }
        !(!replace && i == len && len > 0 && self.chunks[len - 1].len() != cs)
    }

    fn place(&mut self, i: usize, data: Vec<u8>, replace: bool) {
        if !self.variable && self.chunksize.is_none() {
            self.chunksize = Some(data.len());
        }
        if replace {
            self.chunks[i] = data;
        } else {
            self.chunks.insert(i, data);
        }
    }
}

fn data(rng: &mut Rng, n: usize) -> Vec<u8> {
    match rng.below(4) {
        0 => vec![0; n],
        1 => vec![rng.next() as u8; n],
        2 => (0..n).map(|i| (i / 4) as u8).collect(),
        _ => (0..n).map(|_| rng.next() as u8).collect(),
    }
}

const NAN_F32: [u8; 4] = 0x7FC0_0000u32.to_le_bytes();

fn special(rng: &mut Rng, n: usize) -> (SpecialKind, Option<Vec<u8>>) {
    match rng.below(4) {
        0 => (SpecialKind::Zeros, Some(vec![0; n])),
        1 => (SpecialKind::Uninit, Some(vec![0; n])),
        2 => (
            SpecialKind::Nan,
            n.is_multiple_of(4)
                .then(|| NAN_F32.iter().copied().cycle().take(n).collect()),
        ),
        _ => {
            let w = [1usize, 2, 4, 8][rng.below(4)];
            let v: Vec<u8> = (0..w).map(|_| rng.next() as u8).collect();
            // A value is one item (typesize 4 here).
            let expected = (n > 0 && w == 4 && n.is_multiple_of(w))
                .then(|| v.iter().copied().cycle().take(n).collect());
            (SpecialKind::Value(v), expected)
        }
    }
}

#[track_caller]
fn assert_matches(sc: &SChunk, m: &Model, ctx: &str) {
    assert_eq!(sc.nchunks(), m.chunks.len(), "{ctx}");
    assert_eq!(
        sc.nbytes(),
        m.chunks.iter().map(|c| c.len() as u64).sum::<u64>(),
        "{ctx}"
    );
    assert_eq!(sc.is_variable(), m.variable, "{ctx}");
    if !m.variable {
        assert_eq!(sc.chunksize(), m.chunksize, "{ctx}");
    }
    for (i, want) in m.chunks.iter().enumerate() {
        assert_eq!(sc.chunk_nbytes(i).unwrap(), want.len(), "{ctx}: chunk {i}");
        let mut buf = vec![0xEEu8; want.len() + 3];
        let n = sc.decompress_chunk(i, &mut buf).unwrap();
        assert_eq!(n, want.len(), "{ctx}: chunk {i}");
        assert_eq!(&buf[..n], &want[..], "{ctx}: chunk {i}");
    }
    let all = sc.decompress_all(&Limits::default()).unwrap();
    assert_eq!(all, m.chunks.concat(), "{ctx}");
    let names: Vec<&str> = m.meta.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(sc.meta_names(), names, "{ctx}");
    for (n, c) in &m.meta {
        assert_eq!(sc.meta(n), Some(c.as_slice()), "{ctx}");
    }
    let names: Vec<&str> = m.vlmeta.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(sc.vlmeta_names(), names, "{ctx}");
    for (n, c) in &m.vlmeta {
        assert_eq!(
            sc.vlmeta_get(n).unwrap().as_deref(),
            Some(c.as_slice()),
            "{ctx}"
        );
    }
}

/// The observable state, for "unchanged after a failure" checks.
fn snapshot(sc: &SChunk) -> (Vec<u8>, Option<usize>) {
    (sc.to_frame().unwrap(), sc.chunksize())
}

fn run(seed: u64, variable: bool, steps: usize) {
    let mut rng = Rng(seed);
    let codec = if rng.chance(50) {
        Codec::Lz4
    } else {
        Codec::BloscLz
    };
    let cp = CParams::default().codec(codec).typesize(4).clevel(5);
    let mut sc = SChunk::new(cp.clone()).unwrap();
    if variable {
        sc.set_variable_chunks();
    }
    let mut m = Model {
        chunks: Vec::new(),
        variable,
        chunksize: None,
        meta: Vec::new(),
        vlmeta: Vec::new(),
    };
    let dir = std::env::temp_dir().join(format!("blockcodec-model-{seed}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sizes = [1usize, 3, 40, 100, 256, 1000, 4096];
    let mut failures = 0;
    let mut max_len = 0;
    for step in 0..steps {
        let len = m.chunks.len();
        let cs = m.chunksize.unwrap_or(sizes[rng.below(sizes.len())]);
        // Sizes biased towards what the rules accept, with mistakes mixed in.
        let n = match rng.below(6) {
            0 => sizes[rng.below(sizes.len())],
            1 => cs.saturating_sub(rng.below(cs)),
            2 if rng.chance(10) => 0,
            _ => cs,
        };
        let i = rng.below(len + 2);
        let before = sc.clone();
        let snap = snapshot(&sc);
        let op = rng.below(13);
        let ctx = format!("seed {seed} step {step} op {op} i {i} n {n} len {len}");
        let expect_ok: bool;
        let result: Result<(), blockcodec::Error> = match op {
            0 | 1 => {
                let d = data(&mut rng, n);
                expect_ok = m.can_place(len, n, false);
                let r = sc.append_buffer(&d).map(|_| ());
                if r.is_ok() {
                    m.place(len, d, false);
                }
                r
            }
            2 => {
                let d = data(&mut rng, n);
                let mut chunk = blockcodec::compress(&d, &cp).unwrap();
                let corrupt = rng.chance(25);
                if corrupt {
                    match rng.below(3) {
                        0 => chunk.push(0),
                        1 => chunk[12] ^= 0x40,
                        _ => chunk.truncate(chunk.len() - 1),
                    }
                }
                expect_ok = !corrupt && m.can_place(i, n, false);
                let r = sc.insert_chunk(i, chunk).map(|_| ());
                if r.is_ok() {
                    m.place(i, d, false);
                }
                r
            }
            3 => {
                let d = data(&mut rng, n);
                expect_ok = m.can_place(i, n, false);
                let r = sc.insert_buffer(i, &d).map(|_| ());
                if r.is_ok() {
                    m.place(i, d, false);
                }
                r
            }
            4 | 5 => {
                let d = data(&mut rng, n);
                let i = rng.below(len + 1);
                expect_ok = m.can_place(i, n, true);
                let r = if rng.chance(50) {
                    sc.update_buffer(i, &d)
                } else {
                    sc.update_chunk(i, blockcodec::compress(&d, &cp).unwrap())
                };
                if r.is_ok() {
                    m.place(i, d, true);
                }
                r
            }
            6 => {
                expect_ok = i < len;
                let r = sc.delete_chunk(i).map(|_| ());
                if r.is_ok() {
                    m.chunks.remove(i);
                }
                r
            }
            7 => {
                let (kind, want) = special(&mut rng, n);
                expect_ok = want.is_some() && m.can_place(len, n, false);
                let r = sc.append_special(&kind, n).map(|_| ());
                if r.is_ok() {
                    m.place(len, want.unwrap(), false);
                }
                r
            }
            8 => {
                // Frame roundtrip in memory.
                let frame = sc.to_frame().unwrap();
                sc = SChunk::from_frame(&frame, &FrameLimits::default()).unwrap();
                expect_ok = true;
                Ok(())
            }
            9 => {
                // Through a file, opened lazily; later ops mix lazy and in-memory chunks.
                let path = dir.join(format!("s{}.b2frame", step % 2));
                sc.write_frame(&path).unwrap();
                sc = SChunk::open(&path).unwrap();
                if rng.chance(30) {
                    sc.load_all().unwrap();
                }
                expect_ok = true;
                Ok(())
            }
            10 => {
                let name = if rng.chance(10) {
                    "x".repeat(32)
                } else {
                    format!("v{}", rng.below(4))
                };
                let vlen = rng.below(300);
                let value = data(&mut rng, vlen);
                let exists = m.vlmeta.iter().position(|(k, _)| *k == name);
                match rng.below(3) {
                    0 => {
                        expect_ok = name.len() <= 31 && exists.is_none();
                        let r = sc.vlmeta_add(&name, &value).map(|_| ());
                        if r.is_ok() {
                            m.vlmeta.push((name, value));
                        }
                        r
                    }
                    1 => {
                        expect_ok = exists.is_some();
                        let r = sc.vlmeta_update(&name, &value);
                        if r.is_ok() {
                            m.vlmeta[exists.unwrap()].1 = value;
                        }
                        r
                    }
                    _ => {
                        expect_ok = exists.is_some();
                        let r = sc.vlmeta_delete(&name);
                        if r.is_ok() {
                            m.vlmeta.remove(exists.unwrap());
                        }
                        r
                    }
                }
            }
            11 => {
                let name = format!("m{}", rng.below(3));
                let exists = m.meta.iter().position(|(k, _)| *k == name);
                let clen = 1 + rng.below(8);
                let content = data(&mut rng, clen);
                if rng.chance(50) {
                    expect_ok = exists.is_none() && m.chunks.is_empty();
                    let r = sc.meta_add(&name, &content).map(|_| ());
                    if r.is_ok() {
                        m.meta.push((name, content));
                    }
                    r
                } else {
                    expect_ok = exists.is_some_and(|e| m.meta[e].1.len() == content.len());
                    let r = sc.meta_update(&name, &content);
                    if r.is_ok() {
                        m.meta[exists.unwrap()].1 = content;
                    }
                    r
                }
            }
            _ => {
                // Reads: get_chunk and chunk_info of every index (incl. out of range).
                expect_ok = i < len;
                let r = sc.get_chunk(i).map(|c| {
                    let h = blockcodec::ChunkHeader::parse(&c).unwrap();
                    assert_eq!(h.nbytes(), m.chunks[i].len(), "{ctx}");
                });
                if i < len {
                    sc.chunk_info(i).unwrap();
                }
                r
            }
        };
        match (&result, expect_ok) {
            (Ok(()), true) => {}
            (Err(e), false) => {
                failures += 1;
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::InvalidParam | ErrorKind::InvalidData | ErrorKind::LimitExceeded
                    ),
                    "{ctx}: {e}"
                );
                // Failure atomicity: the super-chunk is exactly as before the call.
                assert_eq!(snapshot(&sc), snap, "{ctx}: changed by a failed call");
                assert_eq!(sc.nchunks(), before.nchunks(), "{ctx}");
            }
            (r, want) => panic!("{ctx}: result {r:?}, model expected ok={want}"),
        }
        assert_matches(&sc, &m, &ctx);
        max_len = max_len.max(m.chunks.len());
    }
    assert!(max_len >= 8, "seed {seed}: at most {max_len} chunks");
    assert!(
        failures > steps / 20,
        "seed {seed}: only {failures} failing ops"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn model_fixed_chunksize() {
    for seed in 1..=6u64 {
        run(seed * 0x9E37_79B9, false, 400);
    }
}

#[test]
fn model_variable_chunksize() {
    for seed in 1..=4u64 {
        run(seed * 0x51_7CC1_B727, true, 400);
    }
}

#[test]
fn send_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<SChunk>();
}

#[test]
fn concurrent_readers_of_a_lazy_file() {
    let cp = CParams::default().codec(Codec::Lz4).typesize(4);
    let mut sc = SChunk::new(cp).unwrap();
    let chunks: Vec<Vec<u8>> = (0..16u8)
        .map(|k| (0..4096u32).map(|i| (i as u8) ^ k).collect())
        .collect();
    for c in &chunks {
        sc.append_buffer(c).unwrap();
    }
    let path = std::env::temp_dir().join(format!("blockcodec-conc-{}.b2frame", std::process::id()));
    sc.write_frame(&path).unwrap();
    let lazy = SChunk::open(&path).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let lazy = &lazy;
            let chunks = &chunks;
            s.spawn(move || {
                for r in 0..50 {
                    let i = (t * 7 + r * 3) % chunks.len();
                    let mut buf = vec![0u8; 4096];
                    lazy.decompress_chunk(i, &mut buf).unwrap();
                    assert_eq!(buf, chunks[i]);
                }
            });
        }
    });
    std::fs::remove_file(&path).unwrap();
}
