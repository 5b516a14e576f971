//! Byte shuffle (blosc-format.md §4.2): the entry points, which run the best SIMD kernel of
//! [`super::simd`], and the scalar reference kernels (`*_scalar`), which are the spec every
//! SIMD kernel is tested against.
//!
//! Element `i`'s byte `j` moves to `dst[j*n + i]`, so each of the `typesize` "streams" holds
//! one byte position of every element. Typesizes 2, 4, 8 and 16 have dedicated kernels written
//! so that LLVM vectorises them even for the baseline x86-64 target (SSE2): elements are loaded
//! as one little-endian integer and split with shifts, which the vectoriser turns into
//! mask-and-pack sequences, while a byte-indexed gather (`dst[i] = src[4*i]`) stays scalar.
//! 8 and 16 are built from those passes through a small stack tile. Other typesizes use a
//! stream-major loop (sequential writes, strided reads); it measured faster than element-major
//! for every typesize tried.

use super::simd::Kernel;

/// Bytes of the stack tile used by the composed (8- and 16-byte) kernels: small enough to stay
/// in L1 next to the input and output lines.
pub(super) const TILE: usize = 8192;

/// Scratch tile; callers create one per call and pass it down so it is zeroed only once.
pub(super) type Tile = [u8; TILE];

/// `dst[j*n + i] = src[i*typesize + j]` for the `n = len / typesize` whole elements; the
/// `len % typesize` tail bytes are copied unchanged. `src.len() == dst.len()`.
pub(crate) fn shuffle(typesize: usize, src: &[u8], dst: &mut [u8]) {
    Kernel::best().shuffle(typesize, src, dst);
}

/// Inverse of [`shuffle`].
pub(crate) fn unshuffle(typesize: usize, src: &[u8], dst: &mut [u8]) {
    Kernel::best().unshuffle(typesize, src, dst);
}

/// Scalar reference for [`shuffle`].
pub(crate) fn shuffle_scalar(typesize: usize, src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    debug_assert!(typesize >= 1);
    let len = src.len().min(dst.len());
    let ts = typesize.max(1);
    let body = len / ts * ts;
    let (src_body, src_tail) = src[..len].split_at(body);
    let (dst_body, dst_tail) = dst[..len].split_at_mut(body);
    // With fewer than two elements (or one-byte elements) the permutation is the identity.
    if ts == 1 || body / ts < 2 {
        dst_body.copy_from_slice(src_body);
    } else if needs_tile(ts) {
        shuffle_body(ts, src_body, dst_body, &mut [0; TILE]);
    } else {
        shuffle_untiled(ts, src_body, dst_body);
    }
    // §3.3: the trailing partial element is stored as is.
    dst_tail.copy_from_slice(src_tail);
}

/// Scalar reference for [`unshuffle`].
pub(crate) fn unshuffle_scalar(typesize: usize, src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    debug_assert!(typesize >= 1);
    let len = src.len().min(dst.len());
    let ts = typesize.max(1);
    let body = len / ts * ts;
    let (src_body, src_tail) = src[..len].split_at(body);
    let (dst_body, dst_tail) = dst[..len].split_at_mut(body);
    if ts == 1 || body / ts < 2 {
        dst_body.copy_from_slice(src_body);
    } else if needs_tile(ts) {
        unshuffle_body(ts, src_body, dst_body, &mut [0; TILE]);
    } else {
        unshuffle_untiled(ts, src_body, dst_body);
    }
    dst_tail.copy_from_slice(src_tail);
}

/// Whether the kernel for `ts` uses the scratch tile (so callers skip zeroing one otherwise).
fn needs_tile(ts: usize) -> bool {
    matches!(ts, 8 | 16)
}

/// Shuffles whole elements: `src.len()` is a multiple of `ts` (>= 2) and equals `dst.len()`.
pub(super) fn shuffle_body(ts: usize, src: &[u8], dst: &mut [u8], tmp: &mut Tile) {
    let n = src.len() / ts;
    match ts {
        8 => split8(src, streams_mut(dst, n), tmp),
        16 => split16(src, streams_mut(dst, n), tmp),
        _ => shuffle_untiled(ts, src, dst),
    }
}

/// [`shuffle_body`] for the typesizes that need no scratch tile.
fn shuffle_untiled(ts: usize, src: &[u8], dst: &mut [u8]) {
    let n = src.len() / ts;
    if n == 0 {
        return;
    }
    match ts {
        2 => {
            let (a, b) = dst.split_at_mut(n);
            split2(src, a, b);
        }
        4 => split4(src, streams_mut(dst, n)),
        _ => {
            for (j, stream) in dst.chunks_exact_mut(n).enumerate() {
                for (o, e) in stream.iter_mut().zip(src.chunks_exact(ts)) {
                    *o = e[j];
                }
            }
        }
    }
}

/// Inverse of [`shuffle_body`].
pub(super) fn unshuffle_body(ts: usize, src: &[u8], dst: &mut [u8], tmp: &mut Tile) {
    let n = src.len() / ts;
    match ts {
        8 => join8(streams(src, n), dst, tmp),
        16 => join16(streams(src, n), dst, tmp),
        _ => unshuffle_untiled(ts, src, dst),
    }
}

/// Inverse of [`shuffle_untiled`].
fn unshuffle_untiled(ts: usize, src: &[u8], dst: &mut [u8]) {
    let n = src.len() / ts;
    if n == 0 {
        return;
    }
    match ts {
        2 => {
            let (a, b) = src.split_at(n);
            join2(a, b, dst);
        }
        4 => join4(streams(src, n), dst),
        _ => {
            for (j, stream) in src.chunks_exact(n).enumerate() {
                for (e, &b) in dst.chunks_exact_mut(ts).zip(stream) {
                    e[j] = b;
                }
            }
        }
    }
}

/// The first `K` consecutive `n`-byte streams of `buf`. A missing stream (only possible if the
/// caller broke the length contract) comes back empty, which makes the kernels stop early
/// instead of panicking.
pub(super) fn streams_mut<const K: usize>(buf: &mut [u8], n: usize) -> [&mut [u8]; K] {
    let mut it = buf.chunks_exact_mut(n.max(1));
    core::array::from_fn(|_| it.next().unwrap_or_default())
}

/// Shared-borrow twin of [`streams_mut`].
pub(super) fn streams<const K: usize>(buf: &[u8], n: usize) -> [&[u8]; K] {
    let mut it = buf.chunks_exact(n.max(1));
    core::array::from_fn(|_| it.next().unwrap_or_default())
}

/// Splits 2-byte elements into two streams (`a`, `b` hold `src.len() / 2` bytes each).
pub(super) fn split2(src: &[u8], a: &mut [u8], b: &mut [u8]) {
    for ((e, x), y) in src.as_chunks::<2>().0.iter().zip(a).zip(b) {
        let v = u16::from_le_bytes(*e);
        *x = v as u8;
        *y = (v >> 8) as u8;
    }
}

/// Inverse of [`split2`].
pub(super) fn join2(a: &[u8], b: &[u8], dst: &mut [u8]) {
    for ((e, x), y) in dst.as_chunks_mut::<2>().0.iter_mut().zip(a).zip(b) {
        *e = [*x, *y];
    }
}

/// Splits 4-byte elements into four streams.
pub(super) fn split4(src: &[u8], outs: [&mut [u8]; 4]) {
    let [d0, d1, d2, d3] = outs;
    let elems = src.as_chunks::<4>().0.iter();
    for ((((e, a), b), c), d) in elems.zip(d0).zip(d1).zip(d2).zip(d3) {
        let v = u32::from_le_bytes(*e);
        *a = v as u8;
        *b = (v >> 8) as u8;
        *c = (v >> 16) as u8;
        *d = (v >> 24) as u8;
    }
}

/// Inverse of [`split4`].
pub(super) fn join4(ins: [&[u8]; 4], dst: &mut [u8]) {
    let [s0, s1, s2, s3] = ins;
    let elems = dst.as_chunks_mut::<4>().0.iter_mut();
    for ((((e, a), b), c), d) in elems.zip(s0).zip(s1).zip(s2).zip(s3) {
        // Assembled as an integer, like `split4`: this form vectorises, the byte array does not.
        let v = u32::from(*a) | u32::from(*b) << 8 | u32::from(*c) << 16 | u32::from(*d) << 24;
        *e = v.to_le_bytes();
    }
}

/// Splits 8-byte elements into eight streams of `src.len() / 8` bytes each (they may be longer;
/// the extra bytes are not touched). Per tile: a 4-byte split leaves, in stream `j`, bytes `j`
/// and `j + 4` of each element alternating, which a 2-byte split then separates.
pub(super) fn split8(src: &[u8], outs: [&mut [u8]; 8], tmp: &mut Tile) {
    let mut outs = outs;
    let (lo, hi) = outs.split_at_mut(4);
    let mut base = 0;
    for tile in src.chunks(TILE) {
        let k = tile.len() / 8;
        if k == 0 {
            break;
        }
        let tmp = &mut tmp[..8 * k];
        split4(tile, streams_mut(tmp, 2 * k));
        for ((part, a), b) in tmp
            .chunks_exact(2 * k)
            .zip(lo.iter_mut())
            .zip(hi.iter_mut())
        {
            split2(part, sub_mut(a, base, k), sub_mut(b, base, k));
        }
        base += k;
    }
}

/// Inverse of [`split8`].
pub(super) fn join8(ins: [&[u8]; 8], dst: &mut [u8], tmp: &mut Tile) {
    let (lo, hi) = ins.split_at(4);
    let mut base = 0;
    for tile in dst.chunks_mut(TILE) {
        let k = tile.len() / 8;
        if k == 0 {
            break;
        }
        let tmp = &mut tmp[..8 * k];
        for ((part, a), b) in tmp.chunks_exact_mut(2 * k).zip(lo).zip(hi) {
            join2(sub(a, base, k), sub(b, base, k), part);
        }
        join4(streams(tmp, 2 * k), tile);
        base += k;
    }
}

/// Splits 16-byte elements: a 4-byte split puts bytes `j, j+4, j+8, j+12` of each element in
/// stream `j`; a second 4-byte split of that stream separates them.
fn split16(src: &[u8], outs: [&mut [u8]; 16], tmp: &mut Tile) {
    let mut outs = outs;
    let mut base = 0;
    for tile in src.chunks(TILE) {
        let k = tile.len() / 16;
        if k == 0 {
            break;
        }
        let tmp = &mut tmp[..16 * k];
        split4(tile, streams_mut(tmp, 4 * k));
        for (j, part) in tmp.chunks_exact(4 * k).enumerate() {
            let Ok([a, b, c, d]) = outs.get_disjoint_mut([j, j + 4, j + 8, j + 12]) else {
                return;
            };
            split4(part, [a, b, c, d].map(|s| sub_mut(s, base, k)));
        }
        base += k;
    }
}

/// Inverse of [`split16`].
fn join16(ins: [&[u8]; 16], dst: &mut [u8], tmp: &mut Tile) {
    let mut base = 0;
    for tile in dst.chunks_mut(TILE) {
        let k = tile.len() / 16;
        if k == 0 {
            break;
        }
        let tmp = &mut tmp[..16 * k];
        for (j, part) in tmp.chunks_exact_mut(4 * k).enumerate() {
            let parts = [ins[j], ins[j + 4], ins[j + 8], ins[j + 12]];
            join4(parts.map(|s| sub(s, base, k)), part);
        }
        join4(streams(tmp, 4 * k), tile);
        base += k;
    }
}

/// `s[base..base + k]`, or an empty slice if out of range (never, for correct callers).
pub(super) fn sub(s: &[u8], base: usize, k: usize) -> &[u8] {
    s.get(base..base.saturating_add(k)).unwrap_or_default()
}

/// Mutable twin of [`sub`].
pub(super) fn sub_mut(s: &mut [u8], base: usize, k: usize) -> &mut [u8] {
    s.get_mut(base..base.saturating_add(k)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte-by-byte transcription of §4.2.
    fn shuffle_ref(ts: usize, src: &[u8]) -> Vec<u8> {
        let n = src.len() / ts;
        let mut out = src.to_vec();
        for i in 0..n {
            for j in 0..ts {
                out[j * n + i] = src[i * ts + j];
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

    /// Lengths that hit empty input, a lone partial element, exact multiples, tails, and more
    /// than one stack tile of the composed kernels.
    pub(crate) fn lengths(ts: usize) -> Vec<usize> {
        let mut v = vec![
            0,
            1,
            ts - 1,
            ts,
            ts + 1,
            2 * ts,
            7 * ts,
            8 * ts,
            8 * ts + 3,
            9 * ts,
        ];
        v.extend([
            64 * ts,
            64 * ts + ts / 2,
            1000,
            4096,
            12345,
            3 * TILE + 40 * ts + 1,
        ]);
        v.extend([TILE * ts / 4 + 8 * ts - 1, 2 * TILE + 16]);
        v
    }

    #[test]
    fn matches_reference_and_roundtrips() {
        for ts in (1..=17).chain([24, 32, 255]) {
            for len in lengths(ts) {
                let src = data(len, (ts * 31 + len) as u32);
                let mut shuffled = vec![0xEE; len];
                shuffle(ts, &src, &mut shuffled);
                assert_eq!(shuffled, shuffle_ref(ts, &src), "ts {ts} len {len}");
                let mut back = vec![0xEE; len];
                unshuffle(ts, &shuffled, &mut back);
                assert_eq!(back, src, "ts {ts} len {len}");
            }
        }
    }

    #[test]
    fn small_hand_checked() {
        // Three int16 plus one tail byte: low bytes, then high bytes, then the tail (§4.2).
        let src = [0x01, 0x02, 0x11, 0x12, 0x21, 0x22, 0x99];
        let mut dst = [0; 7];
        shuffle(2, &src, &mut dst);
        assert_eq!(dst, [0x01, 0x11, 0x21, 0x02, 0x12, 0x22, 0x99]);
        // typesize larger than the buffer: everything is tail.
        let mut dst = [0; 7];
        shuffle(9, &src, &mut dst);
        assert_eq!(dst, src);
    }

    #[test]
    fn matches_c_blosc2() {
        // Output of `blosc2_shuffle(typesize, len, src, dst)` from C-Blosc2 3.3.5 for
        // src = bytes 0, 1, 2, ...: three 3-byte elements plus one tail byte, and two 8-byte
        // elements plus three tail bytes.
        let cases: [(usize, usize, &str); 2] = [
            (3, 10, "00030601040702050809"),
            (8, 19, "00080109020a030b040c050d060e070f101112"),
        ];
        for (ts, len, expect) in cases {
            let src: Vec<u8> = (0..len as u8).collect();
            let mut dst = vec![0; len];
            shuffle(ts, &src, &mut dst);
            assert_eq!(hex(&dst), expect);
        }
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
