//! Named regression tests for fuzz findings (hardening.md §3.8, lz4_flex's `bug_fuzz_N`
//! style): each pins the minimised input inline. The same inputs live in
//! `fuzz/artifacts/<target>/bug_fuzz_N`, which `crates/fuzz-targets/tests/replay.rs` replays
//! through the full fuzz oracle.

#![allow(clippy::unwrap_used, clippy::panic)]

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `chunk_decompress`: a Blosc1 (version 2) chunk of 4-byte elements in 256-byte blocks,
/// written with ALWAYS split. The legacy rule (`blocksize / typesize >= 128`) says "not split",
/// so `decompress` falls back to the flag and decodes it, but `getitem` did not retry and
/// failed with "corrupt lz4 stream" on a chunk `decompress` decodes.
#[test]
fn bug_fuzz_1_getitem_retries_legacy_split_like_decompress() {
    let chunk = unhex(
        "020121040001000000010000dd000000140000002e00000075000401050206030700750206030704010507\
         0075040805020603070700001f00c00805090603070408050906032d00000075010502060300040700750307\
         04010502060700001f00350704080700000500c009060307040805090603070430000000750206030004010507\
         007504010502060307070075060307040805020700f001080509060307040805090603070408052e000000750300\
         04010502060700750502060307040107007507040805020603070010091f00b00805090603070408050906",
    );
    let data: Vec<u8> = (0..256u32).map(|i| (i % 7 + i / 64) as u8).collect();
    assert_eq!(blockcodec::decompress(&chunk).unwrap(), data);
    for (start, n) in [(0, 1), (0, 64), (10, 5), (63, 1)] {
        let mut out = vec![0xFFu8; 4 * n];
        assert_eq!(blockcodec::getitem(&chunk, start, n, &mut out), Ok(4 * n));
        assert_eq!(
            out,
            data[4 * start..4 * (start + n)],
            "getitem({start}, {n})"
        );
    }
}
