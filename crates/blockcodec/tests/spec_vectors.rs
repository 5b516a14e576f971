//! The chunk test vectors of blosc-format.md §11, produced by C-Blosc2 3.3.5 (nthreads 1) and
//! C-Blosc 1.21.7: each decodes to its stated content, and each C-Blosc2 vector re-encodes to
//! the same bytes.

#![allow(clippy::unwrap_used, clippy::panic)]

use blockcodec::{CParams, Codec, Filter, SplitMode};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn check(chunk: &[u8], data: &[u8], cp: Option<&CParams>) {
    assert_eq!(blockcodec::decompress(chunk).unwrap(), data, "decode");
    if let Some(cp) = cp {
        for nthreads in [1, 3] {
            let ours = blockcodec::compress(data, &cp.clone().nthreads(nthreads)).unwrap();
            assert_eq!(ours, chunk, "re-encode with {nthreads} thread(s)");
        }
    }
}

fn blosclz(clevel: u8, typesize: usize, filters: &[Filter]) -> CParams {
    CParams::default()
        .codec(Codec::BloscLz)
        .clevel(clevel)
        .typesize(typesize)
        .filters(filters)
        .splitmode(SplitMode::ForwardCompat)
}

#[test]
fn a_empty() {
    let chunk = hex("0501070800000000010000002000000000000000000100000000000000000000");
    check(&chunk, &[], Some(&blosclz(5, 8, &[Filter::Shuffle])));
}

#[test]
fn b_zero_special() {
    let chunk = hex("0501050400100000001000002000000000000000000100000000000000000010");
    check(
        &chunk,
        &[0u8; 4096],
        Some(&blosclz(5, 4, &[Filter::Shuffle])),
    );
}

#[test]
fn c_walkthrough() {
    let mut chunk = hex("0501150100010000000100007100000000000000000000000000000000000000");
    chunk.extend(hex("24000000 49000000 3F"));
    chunk.extend(0u8..0x20);
    chunk.push(0x1F);
    chunk.extend(0x20u8..0x40);
    chunk.extend(hex("E0B43F 023D3E3F"));
    let data: Vec<u8> = (0..256).map(|i| (i % 64) as u8).collect();
    check(&chunk, &data, Some(&blosclz(5, 1, &[])));
}

#[test]
fn d_shuffle_split_runs() {
    let mut chunk = hex(
        "05010504 00010000 00010000 74000000 000000000001 00 00 000000000000 00 00 24000000 40000000",
    );
    chunk.extend(0u8..0x40);
    chunk.extend(hex("00000000 00000000 00000000"));
    let data: Vec<u8> = (0..64u32).flat_map(u32::to_le_bytes).collect();
    check(&chunk, &data, Some(&blosclz(9, 4, &[Filter::Shuffle])));
}

#[test]
fn f_run_token() {
    let mut chunk = hex(
        "0501150180000000400000007100000000000000000000000000000000000000 28000000 2d000000 f9ffffff 01 40000000",
    );
    chunk.extend(0u8..0x40);
    let mut data = vec![7u8; 64];
    data.extend(0u8..0x40);
    check(&chunk, &data, Some(&blosclz(5, 1, &[]).blocksize(64)));
}

#[test]
fn g_bitshuffle() {
    let chunk = hex(
        "0501150250000000500000004f000000000000000002000000000000000000002400000027000000
         3eaaaaaaaaaaccccccccccf0f0f0f0f000ff00ff000000ffff0000000000ff00e0250002000000",
    );
    let data: Vec<u8> = (0..40u16).flat_map(u16::to_le_bytes).collect();
    check(&chunk, &data, Some(&blosclz(5, 2, &[Filter::BitShuffle])));
}

#[test]
fn e_blosc1_shuffle() {
    let mut chunk = hex("02010104 00040000 00040000 48010000 14000000 00010000");
    chunk.extend((0..=255u8).collect::<Vec<_>>());
    for _ in 0..3 {
        chunk.extend(hex("0c000000 2300000000e0f00302000000"));
    }
    let data: Vec<u8> = (0..256u32).flat_map(u32::to_le_bytes).collect();
    check(&chunk, &data, None);
}
