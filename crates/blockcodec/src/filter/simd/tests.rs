//! Every kernel of [`variants`] against the scalar reference (memchr style): exhaustive sweeps
//! over small element counts, where the block and tail logic lives, and property tests over
//! random typesizes, lengths up to ~70000 and misaligned slices.

use proptest::prelude::*;

use super::*;

/// The typesizes of the brief: every size up to 33 plus two large ones.
fn typesizes() -> Vec<usize> {
    (1..=33).chain([64, 255]).collect()
}

fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Shuffle,
    Unshuffle,
    Bitshuffle,
    Bitunshuffle,
}

const OPS: [Op; 4] = [Op::Shuffle, Op::Unshuffle, Op::Bitshuffle, Op::Bitunshuffle];

fn run(k: Kernel, op: Op, ts: usize, src: &[u8], dst: &mut [u8]) {
    match op {
        Op::Shuffle => k.shuffle(ts, src, dst),
        Op::Unshuffle => k.unshuffle(ts, src, dst),
        Op::Bitshuffle => k.bitshuffle(ts, src, dst),
        Op::Bitunshuffle => k.bitunshuffle(ts, src, dst),
    }
}

fn scalar(op: Op, ts: usize, src: &[u8], dst: &mut [u8]) {
    match op {
        Op::Shuffle => shuffle_scalar(ts, src, dst),
        Op::Unshuffle => unshuffle_scalar(ts, src, dst),
        Op::Bitshuffle => bitshuffle_scalar(ts, src, dst),
        Op::Bitunshuffle => bitunshuffle_scalar(ts, src, dst),
    }
}

fn inverse(op: Op) -> Op {
    match op {
        Op::Shuffle => Op::Unshuffle,
        Op::Unshuffle => Op::Shuffle,
        Op::Bitshuffle => Op::Bitunshuffle,
        Op::Bitunshuffle => Op::Bitshuffle,
    }
}

/// Runs every kernel and op on `len` bytes read at offset `so` of one buffer and written at
/// offset `do_` of another (prefilled with garbage), and compares with the scalar reference;
/// then checks that the inverse op brings the input back.
fn check(ts: usize, len: usize, so: usize, do_: usize, seed: u64) {
    let input = data(so + len, seed);
    let src = &input[so..];
    let mut want = vec![0x5A; len];
    let mut got = vec![0xA5; do_ + len];
    let mut back = vec![0x3C; len];
    for op in OPS {
        scalar(op, ts, src, &mut want);
        for k in variants() {
            got.fill(0xA5);
            run(k, op, ts, src, &mut got[do_..]);
            assert!(
                got[do_..] == want[..],
                "{k:?} {op:?} ts {ts} len {len} offsets {so}/{do_}"
            );
            run(k, inverse(op), ts, &got[do_..], &mut back);
            assert!(back == src, "{k:?} {op:?} roundtrip ts {ts} len {len}");
        }
    }
}

#[test]
fn variants_start_with_scalar_and_best_is_last() {
    let v = variants();
    assert_eq!(v.first(), Some(&Kernel::Scalar));
    assert_eq!(v.last(), Some(&Kernel::best()));
    #[cfg(target_arch = "x86_64")]
    assert!(v.contains(&Kernel::Sse2));
}

#[test]
fn sweep_small_element_counts() {
    // Every element count up to 140 (blocks are 16 or 32 elements, runs of 2 blocks: empty,
    // scalar-only, exact, runs, overlapped last block), with and without a tail, at a few
    // misalignments.
    for ts in typesizes() {
        for n in 0..=140 {
            for (k, tail) in [0, ts / 2, ts - 1].into_iter().enumerate() {
                check(
                    ts,
                    n * ts + tail,
                    1 + 5 * k,
                    3 + 11 * k,
                    (ts * 1000 + n) as u64,
                );
            }
        }
    }
}

#[test]
fn sweep_group_counts() {
    // Bitshuffle planes are `n / 8` bytes: cover 0..=70 groups, with partial groups and tails.
    for ts in typesizes() {
        for g in 0..=70 {
            for extra in [0, 5 * ts + ts / 3] {
                check(ts, 8 * g * ts + extra, 0, 0, (ts * 1000 + g) as u64);
            }
        }
    }
}

#[test]
fn sweep_tile_boundaries() {
    // The bitshuffle tile holds `TILE / ts / 8 * 8` elements: one tile, one more group, many
    // tiles and a short last tile.
    for ts in typesizes() {
        let k = TILE / ts / 8 * 8;
        for n in [k - 8, k, k + 8, 2 * k + 24, 3 * k + 256 + 8] {
            for tail in [0, ts - 1] {
                check(ts, n * ts + tail, 7, 2, (ts + n) as u64);
            }
        }
    }
}

#[test]
fn typesize_beyond_the_tile() {
    let ts = MAX_TILED_TYPESIZE + 3;
    for len in [0, ts - 1, 8 * ts, 9 * ts + 1, 24 * ts + 7] {
        check(ts, len, 1, 1, len as u64);
    }
}

fn typesize_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![1usize..=33, Just(64usize), Just(255usize)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn prop_matches_scalar(
        ts in typesize_strategy(),
        len in 0usize..70_000,
        so in 0usize..16,
        do_ in 0usize..16,
        seed in any::<u64>(),
    ) {
        check(ts, len, so, do_, seed);
    }

    #[test]
    fn prop_matches_scalar_short(
        ts in typesize_strategy(),
        len in 0usize..3000,
        so in 0usize..16,
        do_ in 0usize..16,
        seed in any::<u64>(),
    ) {
        check(ts, len, so, do_, seed);
    }
}

/// Replays vectors from C-Blosc2's `blosc2_{shuffle,unshuffle,bitshuffle,bitunshuffle}` against
/// every kernel: `SIMD_C_VECTORS=file cargo test -p blockcodec --lib c_vectors -- --ignored`.
/// Records: op (u8, 0..4 in the order of [`OPS`]), typesize (u16 LE), len (u32 LE), input,
/// C's output.
#[test]
#[ignore = "needs a vector file written with C-Blosc2"]
fn c_vectors() {
    let path = std::env::var("SIMD_C_VECTORS").expect("SIMD_C_VECTORS");
    let buf = std::fs::read(path).unwrap();
    let mut rest = &buf[..];
    let mut count = 0;
    while let [op, t0, t1, l0, l1, l2, l3, tail @ ..] = rest {
        let (ts, len) = (
            usize::from(u16::from_le_bytes([*t0, *t1])),
            u32::from_le_bytes([*l0, *l1, *l2, *l3]) as usize,
        );
        let (input, tail) = tail.split_at(len);
        let (expect, tail) = tail.split_at(len);
        rest = tail;
        for k in variants() {
            let mut got = vec![0xA5; len];
            run(k, OPS[usize::from(*op)], ts, input, &mut got);
            assert!(got == expect, "{k:?} op {op} ts {ts} len {len}");
        }
        count += 1;
    }
    assert!(rest.is_empty() && count > 0);
    println!("{count} C-Blosc2 vectors match");
}

/// Throughput of every kernel (`cargo test -p blockcodec --release --lib bench_kernels --
/// --ignored --nocapture`); `BENCH_SIZES` (bytes, comma-separated) and `BENCH_TS` override the
/// block sizes and typesizes. Best of interleaved trials, for a busy machine.
#[test]
#[ignore = "benchmark"]
fn bench_kernels() {
    use std::time::Instant;
    fn list(var: &str, default: &[usize]) -> Vec<usize> {
        std::env::var(var)
            .ok()
            .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_else(|| default.to_vec())
    }
    let sizes = list("BENCH_SIZES", &[32 << 10, 256 << 10]);
    let typesizes = list("BENCH_TS", &[1, 2, 3, 4, 8, 12, 16]);
    println!(
        "op ts KiB {}",
        variants()
            .iter()
            .map(|k| format!("{k:?}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for &size in &sizes {
        // `BENCH_OFFSET=s,d`: place src and dst at these offsets from a 64-byte boundary.
        let offs = list("BENCH_OFFSET", &[]);
        let (src_buf, mut dst_buf) = (data(size + 128, 7), vec![0u8; size + 128]);
        let at = |p: *const u8, o: usize| (64 - p as usize % 64) % 64 + o;
        let (so, do_) = match offs[..] {
            [s, d] => (at(src_buf.as_ptr(), s), at(dst_buf.as_ptr(), d)),
            _ => (0, 0),
        };
        let src = &src_buf[so..so + size];
        let dst = &mut dst_buf[do_..do_ + size];
        let reps = (2 << 20) / size + 1;
        for &ts in &typesizes {
            for op in OPS {
                let ks = variants();
                let mut best = vec![f64::INFINITY; ks.len()];
                for _ in 0..15 {
                    for (k, b) in ks.iter().zip(&mut best) {
                        let t = Instant::now();
                        for _ in 0..reps {
                            run(*k, op, ts, std::hint::black_box(src), dst);
                        }
                        *b = b.min(t.elapsed().as_secs_f64());
                    }
                }
                let mbs: Vec<String> = best
                    .iter()
                    .map(|t| format!("{:.0}", (size * reps) as f64 / t / 1e6))
                    .collect();
                println!("{op:?} {ts} {} {}", size >> 10, mbs.join(" "));
            }
        }
    }
}
