//! Bit shuffle (blosc-format.md §4.2): the entry points, which run the best SIMD kernel of
//! [`super::simd`], and the scalar reference kernels (`*_scalar`), the spec of the SIMD ones.
//!
//! Output is `8 * typesize` bit planes over the first `m` elements (`m` = element count rounded
//! down to a multiple of 8); plane `p = 8*j + b` collects bit `b` of byte `j` of every element,
//! LSB first. Computed like bitshuffle's `bshuf_trans_bit_elem`, one stack tile of elements at
//! a time: (1) byte-shuffle the tile, so row `j` holds byte `j` of each element; (2) transpose
//! every 8x8 bit matrix held in a little-endian `u64` of a row, so byte `b` of word `g` holds
//! bit `b` of elements `8g..8g+8`; (3) split each row's words by byte (an 8-byte shuffle)
//! straight into the planes. Row `j` of the whole block occupies output bytes `j*m..(j+1)*m`,
//! which is why tiles of elements can be processed independently.

use super::shuffle::{
    TILE, Tile, join8, shuffle_body, split8, streams, streams_mut, sub, sub_mut, unshuffle_body,
};
use super::simd::Kernel;

/// Bitshuffle with the C-Blosc2 (chunk version >= 3) rules: groups of 8 elements, then the
/// remaining bytes copied unchanged. `src.len() == dst.len()`.
pub(crate) fn bitshuffle(typesize: usize, src: &[u8], dst: &mut [u8]) {
    Kernel::best().bitshuffle(typesize, src, dst);
}

/// Inverse of [`bitshuffle`] (chunk version >= 3).
pub(crate) fn bitunshuffle(typesize: usize, src: &[u8], dst: &mut [u8]) {
    Kernel::best().bitunshuffle(typesize, src, dst);
}

/// Scalar reference for [`bitshuffle`].
pub(crate) fn bitshuffle_scalar(typesize: usize, src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    debug_assert!(typesize >= 1);
    let len = src.len().min(dst.len());
    let ts = typesize.max(1);
    let body = len / ts / 8 * 8 * ts;
    let (src_body, src_tail) = src[..len].split_at(body);
    let (dst_body, dst_tail) = dst[..len].split_at_mut(body);
    forward(ts, src_body, dst_body);
    dst_tail.copy_from_slice(src_tail);
}

/// Scalar reference for [`bitunshuffle`].
pub(crate) fn bitunshuffle_scalar(typesize: usize, src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    debug_assert!(typesize >= 1);
    let len = src.len().min(dst.len());
    let ts = typesize.max(1);
    let body = len / ts / 8 * 8 * ts;
    let (src_body, src_tail) = src[..len].split_at(body);
    let (dst_body, dst_tail) = dst[..len].split_at_mut(body);
    inverse(ts, src_body, dst_body);
    dst_tail.copy_from_slice(src_tail);
}

/// Inverse bitshuffle with the C-Blosc 1.x (chunk version <= 2) rules: a block whose element
/// count is not a multiple of 8 was stored without bitshuffle; otherwise all elements are
/// planes and the `len % typesize` tail is raw, which is exactly [`bitunshuffle`]. C-Blosc2
/// forgets to copy that tail here (§4.2); we follow C-Blosc 1.x, which decodes it right.
pub(crate) fn bitunshuffle_v2(typesize: usize, src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    let len = src.len().min(dst.len());
    if (len / typesize.max(1)).is_multiple_of(8) {
        bitunshuffle(typesize, src, dst);
    } else {
        dst[..len].copy_from_slice(&src[..len]);
    }
}

/// Elements per tile: a multiple of 8 with `k * ts <= TILE` (typesize <= 255 gives k >= 32).
/// Larger typesizes, which the format cannot express, use a heap tile of 8 elements.
fn tile_elems(ts: usize) -> usize {
    (TILE / ts / 8 * 8).max(8)
}

/// Steps (1)-(3) of the module docs over `src.len() / ts` elements, a multiple of 8.
fn forward(ts: usize, src: &[u8], dst: &mut [u8]) {
    let m = src.len() / ts;
    if m == 0 {
        return;
    }
    let m8 = m / 8; // plane length; output row `j` is `dst[j*m..(j+1)*m]`, 8 planes
    let k = tile_elems(ts);
    let (mut stack, mut heap) = ([0u8; TILE], Vec::new());
    let rows = tile_buffer(&mut stack, &mut heap, k * ts);
    let scratch: &mut Tile = &mut [0; TILE];
    let mut g0 = 0; // first 8-element group of the tile
    for tile in src.chunks(k * ts) {
        let kt = tile.len() / ts; // elements in this tile, a multiple of 8
        let rows = &mut rows[..tile.len()];
        if ts == 1 {
            rows.copy_from_slice(tile);
        } else {
            shuffle_body(ts, tile, rows, scratch);
        }
        transpose_words(rows);
        for (row, out) in rows.chunks_exact(kt).zip(dst.chunks_exact_mut(m)) {
            let planes: [&mut [u8]; 8] = streams_mut(out, m8);
            split8(row, planes.map(|p| sub_mut(p, g0, kt / 8)), scratch);
        }
        g0 += kt / 8;
    }
}

/// Inverse of [`forward`]: the same steps in reverse order (the bit transpose is an involution).
fn inverse(ts: usize, src: &[u8], dst: &mut [u8]) {
    let m = src.len() / ts;
    if m == 0 {
        return;
    }
    let m8 = m / 8;
    let k = tile_elems(ts);
    let (mut stack, mut heap) = ([0u8; TILE], Vec::new());
    let rows = tile_buffer(&mut stack, &mut heap, k * ts);
    let scratch: &mut Tile = &mut [0; TILE];
    let mut g0 = 0;
    for tile in dst.chunks_mut(k * ts) {
        let kt = tile.len() / ts;
        let rows = &mut rows[..tile.len()];
        for (row, inp) in rows.chunks_exact_mut(kt).zip(src.chunks_exact(m)) {
            let planes: [&[u8]; 8] = streams(inp, m8);
            join8(planes.map(|p| sub(p, g0, kt / 8)), row, scratch);
        }
        transpose_words(rows);
        if ts == 1 {
            tile.copy_from_slice(rows);
        } else {
            unshuffle_body(ts, rows, tile, scratch);
        }
        g0 += kt / 8;
    }
}

/// The stack tile when `len` fits in it, else `heap` grown to `len`.
fn tile_buffer<'a>(stack: &'a mut Tile, heap: &'a mut Vec<u8>, len: usize) -> &'a mut [u8] {
    if len <= TILE {
        stack
    } else {
        heap.resize(len, 0);
        heap
    }
}

/// Transposes the 8x8 bit matrix in each little-endian `u64` of `buf` (row = byte, column =
/// bit): bit `c` of byte `r` swaps with bit `r` of byte `c`. Three rounds of delta swaps,
/// exchanging 1x1, 2x2 and then 4x4 blocks across the diagonal. A plain loop over words so
/// that LLVM vectorises it.
fn transpose_words(buf: &mut [u8]) {
    for w in buf.as_chunks_mut::<8>().0 {
        *w = transpose8x8(u64::from_le_bytes(*w)).to_le_bytes();
    }
}

/// The 8x8 bit transpose of [`transpose_words`] on one word.
#[inline(always)]
pub(super) fn transpose8x8(mut x: u64) -> u64 {
    let t = (x ^ (x >> 7)) & 0x00AA_00AA_00AA_00AA;
    x ^= t ^ (t << 7);
    let t = (x ^ (x >> 14)) & 0x0000_CCCC_0000_CCCC;
    x ^= t ^ (t << 14);
    let t = (x ^ (x >> 28)) & 0x0000_0000_F0F0_F0F0;
    x ^= t ^ (t << 28);
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-by-bit transcription of §4.2 (version >= 3 rules).
    fn bitshuffle_ref(ts: usize, src: &[u8]) -> Vec<u8> {
        let m = src.len() / ts / 8 * 8;
        let mut out = src.to_vec();
        out[..m * ts].fill(0);
        for j in 0..ts {
            for b in 0..8 {
                let p = j * 8 + b;
                for i in 0..m {
                    let bit = (src[i * ts + j] >> b) & 1;
                    out[p * (m / 8) + i / 8] |= bit << (i % 8);
                }
            }
        }
        out
    }

    fn data(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    fn lengths(ts: usize) -> Vec<usize> {
        let mut v = vec![
            0,
            1,
            ts - 1,
            ts,
            ts + 1,
            7 * ts,
            8 * ts,
            8 * ts + 1,
            9 * ts,
            16 * ts,
        ];
        v.extend([
            16 * ts + ts - 1,
            24 * ts + 5,
            1000,
            4096,
            12345,
            3 * TILE + 8 * ts + 3,
        ]);
        v.extend([TILE / ts * ts * 2 + 64 * ts, 2 * TILE + 16]);
        v
    }

    #[test]
    fn matches_reference_and_roundtrips() {
        for ts in (1..=17).chain([24, 32, 255]) {
            for len in lengths(ts) {
                let src = data(len, (ts * 131 + len) as u32);
                let mut shuffled = vec![0xEE; len];
                bitshuffle(ts, &src, &mut shuffled);
                assert_eq!(shuffled, bitshuffle_ref(ts, &src), "ts {ts} len {len}");
                let mut back = vec![0xEE; len];
                bitunshuffle(ts, &shuffled, &mut back);
                assert_eq!(back, src, "ts {ts} len {len}");
            }
        }
    }

    #[test]
    fn typesize_beyond_the_stack_tile() {
        // Not expressible in a chunk header, but the kernel must still be right (heap tile).
        let ts = 1100;
        for len in [8 * ts - 1, 8 * ts, 16 * ts + 5] {
            let src = data(len, len as u32);
            let mut shuffled = vec![0; len];
            bitshuffle(ts, &src, &mut shuffled);
            assert_eq!(shuffled, bitshuffle_ref(ts, &src));
            let mut back = vec![0; len];
            bitunshuffle(ts, &shuffled, &mut back);
            assert_eq!(back, src);
        }
    }

    #[test]
    fn version_2_rules() {
        for ts in [1, 2, 3, 4, 7, 8, 16, 255] {
            for len in lengths(ts) {
                let src = data(len, (ts * 7 + len) as u32);
                let mut dst = vec![0xEE; len];
                bitunshuffle_v2(ts, &src, &mut dst);
                if (len / ts) % 8 == 0 {
                    // C-Blosc 1.x: all elements are planes, tail raw: same as version >= 3.
                    let mut expected = vec![0; len];
                    bitunshuffle(ts, &src, &mut expected);
                    assert_eq!(dst, expected);
                } else {
                    // Not bitshuffled at all.
                    assert_eq!(dst, src);
                }
            }
        }
    }

    #[test]
    fn matches_c_blosc2() {
        // From C-Blosc2 3.3.5 `blosc2_bitshuffle(typesize, len, src, dst)` (and
        // `blosc2_bitunshuffle` for the last case) with src[i] = (37 * i + 5) as u8.
        let cases: [(usize, usize, bool, &str); 4] = [
            (1, 11, true, "55662db6386a4c702d5277"),
            (2, 19, true, "ffaa339624386a4c0055662db6c75264557a9f"),
            (
                3,
                26,
                true,
                "55ccc3c06a261e54aa997807aa99785255330fffaa66e14a7da2",
            ),
            (2, 19, false, "555566662d2db649388e6aa54c367038557a9f"),
        ];
        for (ts, len, forward, expect) in cases {
            let src: Vec<u8> = (0..len).map(|i| (37 * i + 5) as u8).collect();
            let mut dst = vec![0; len];
            if forward {
                bitshuffle(ts, &src, &mut dst);
            } else {
                bitunshuffle(ts, &src, &mut dst);
            }
            let hex: String = dst.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, expect, "typesize {ts} len {len}");
        }
    }

    #[test]
    fn transpose_is_a_transpose() {
        let mut w = 0x0123_4567_89AB_CDEF_u64.to_le_bytes();
        let x = u64::from_le_bytes(w);
        transpose_words(&mut w);
        let y = u64::from_le_bytes(w);
        for r in 0..8 {
            for c in 0..8 {
                assert_eq!((x >> (8 * r + c)) & 1, (y >> (8 * c + r)) & 1);
            }
        }
    }
}
