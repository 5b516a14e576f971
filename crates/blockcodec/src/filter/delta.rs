//! XOR delta (blosc-format.md §4.3).
//!
//! Works on words of `w` bytes (`w` = typesize if it is 1, 2, 4 or 8; else 8 if typesize is a
//! multiple of 8; else 1). Since the operation is XOR, word-wise XOR at distance `w` is the
//! same as byte-wise XOR at distance `w` bytes, so everything here is byte-wise and
//! independent of the host's endianness. Only the first `W = floor(len / w) * w` bytes are
//! coded; C-Blosc2 never writes the last `len % w` bytes in either direction (they come out as
//! scratch garbage), so we pass them through unchanged (documented divergence, §10.1).

/// Forward delta. `reference` is `None` for block 0 (XOR with the element `w` bytes back),
/// or the chunk's original first block for later blocks. `src.len() == dst.len()`.
pub(crate) fn encode(typesize: usize, reference: Option<&[u8]>, src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    let len = src.len().min(dst.len());
    let w = word_size(typesize);
    let coded = len / w * w;
    let (src, tail) = src[..len].split_at(coded);
    let (dst, dst_tail) = dst[..len].split_at_mut(coded);
    dst_tail.copy_from_slice(tail);
    match reference {
        None => {
            // out[k] = in[k] ^ in[k - w]; the first word is stored as is.
            let first = w.min(coded);
            dst[..first].copy_from_slice(&src[..first]);
            for ((o, a), b) in dst[first..].iter_mut().zip(&src[first..]).zip(src) {
                *o = a ^ b;
            }
        }
        Some(r) => xor_with_reference(r, src, dst),
    }
}

/// Inverse delta. For blocks > 0 `reference` is the fully decoded block 0.
pub(crate) fn decode(typesize: usize, reference: Option<&[u8]>, src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    let len = src.len().min(dst.len());
    let w = word_size(typesize);
    let coded = len / w * w;
    let (src, tail) = src[..len].split_at(coded);
    let (dst, dst_tail) = dst[..len].split_at_mut(coded);
    dst_tail.copy_from_slice(tail);
    match reference {
        None => prefix_xor(w, src, dst),
        Some(r) => xor_with_reference(r, src, dst),
    }
}

/// The §4.3 word size for a typesize.
fn word_size(typesize: usize) -> usize {
    match typesize {
        1 | 2 | 4 | 8 => typesize,
        t if t.is_multiple_of(8) => 8,
        _ => 1,
    }
}

/// `dst[k] = src[k] ^ reference[k]`, the rule for blocks after the first. The reference (block
/// 0) is never shorter than a later block; if it were, the bytes it does not cover are copied.
fn xor_with_reference(reference: &[u8], src: &[u8], dst: &mut [u8]) {
    let covered = reference.len().min(src.len());
    for ((o, a), b) in dst.iter_mut().zip(src).zip(reference) {
        *o = a ^ b;
    }
    dst[covered..].copy_from_slice(&src[covered..]);
}

/// Undoes block-0 delta: `dst[k] = src[k] ^ dst[k - w]`, a running XOR at distance `w`
/// (`src.len()` is a multiple of `w`). A byte loop would be one serial dependency per byte,
/// so 8 bytes are done at once: inside a little-endian `u64` the prefix XOR at distance `w`
/// takes log2(8 / w) shift-XOR steps, then every lane is XORed with the last `w`-byte word
/// of the previous output, broadcast (`w` divides 8, so words never straddle a `u64`).
fn prefix_xor(w: usize, src: &[u8], dst: &mut [u8]) {
    let wbits = 8 * w as u32; // w ∈ {1, 2, 4, 8}
    // Multiplying a w-byte value by `lanes` copies it into every w-byte lane of a u64.
    let lanes = if w >= 8 {
        1
    } else {
        u64::MAX / ((1u64 << wbits) - 1)
    };
    // Previous output word broadcast; 0 before the start, so the first word is stored raw.
    let mut carry = 0u64;
    let (words, _) = src.as_chunks::<8>();
    let (out_words, _) = dst.as_chunks_mut::<8>();
    for (o, i) in out_words.iter_mut().zip(words) {
        let mut x = u64::from_le_bytes(*i);
        let mut shift = wbits;
        while shift < 64 {
            x ^= x << shift;
            shift *= 2;
        }
        x ^= carry;
        *o = x.to_le_bytes();
        carry = (x >> (64 - wbits)).wrapping_mul(lanes);
    }
    // The last `len % 8` bytes (a whole number of words) straight from the definition.
    for k in src.len() / 8 * 8..src.len().min(dst.len()) {
        dst[k] = if k < w { src[k] } else { src[k] ^ dst[k - w] };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §4.3 transcribed byte by byte, including the pass-through tail.
    fn encode_ref(ts: usize, reference: Option<&[u8]>, src: &[u8]) -> Vec<u8> {
        let w = word_size(ts);
        let coded = src.len() / w * w;
        let mut out = src.to_vec();
        for k in 0..coded {
            out[k] = match reference {
                None if k < w => src[k],
                None => src[k] ^ src[k - w],
                Some(r) => src[k] ^ r[k],
            };
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

    #[test]
    fn word_sizes() {
        let expect = [
            (1, 1),
            (2, 2),
            (3, 1),
            (4, 4),
            (5, 1),
            (8, 8),
            (12, 1),
            (16, 8),
            (24, 8),
        ];
        for (ts, w) in expect {
            assert_eq!(word_size(ts), w, "typesize {ts}");
        }
        assert_eq!(word_size(255), 1);
    }

    #[test]
    fn hand_computed() {
        // typesize 2 (w = 2), block 0: first word raw, then XOR with the word 2 bytes back;
        // the odd last byte is a tail and passes through.
        let src = [0x01, 0x02, 0x03, 0x06, 0xFF, 0x00, 0x7A];
        let mut dst = [0; 7];
        encode(2, None, &src, &mut dst);
        assert_eq!(dst, [0x01, 0x02, 0x02, 0x04, 0xFC, 0x06, 0x7A]);
        let mut back = [0; 7];
        decode(2, None, &dst, &mut back);
        assert_eq!(back, src);
        // A later block XORs with block 0 (only its first 7 bytes are used here).
        let block0 = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80];
        encode(2, Some(&block0), &src, &mut dst);
        assert_eq!(dst, [0x11, 0x22, 0x33, 0x46, 0xAF, 0x60, 0x7A]);
        decode(2, Some(&block0), &dst, &mut back);
        assert_eq!(back, src);
    }

    #[test]
    fn roundtrips_against_reference() {
        for ts in (1..=17).chain([24, 32, 255]) {
            let lens = [
                0,
                1,
                ts - 1,
                ts,
                ts + 1,
                7,
                8,
                9,
                15,
                16,
                17,
                63,
                64,
                1000,
                4099,
                65536,
            ];
            for len in lens {
                let src = data(len, (ts * 17 + len) as u32);
                let block0 = data(len + 13, (ts + len) as u32);
                for reference in [None, Some(&block0[..])] {
                    let mut enc = vec![0xEE; len];
                    encode(ts, reference, &src, &mut enc);
                    assert_eq!(enc, encode_ref(ts, reference, &src), "ts {ts} len {len}");
                    let mut dec = vec![0xEE; len];
                    decode(ts, reference, &enc, &mut dec);
                    assert_eq!(dec, src, "ts {ts} len {len}");
                }
            }
        }
    }

    #[test]
    fn short_reference_does_not_panic() {
        let src = [1u8; 16];
        let mut dst = [0u8; 16];
        encode(4, Some(&[1u8; 8][..]), &src, &mut dst);
        assert_eq!(dst[..8], [0; 8]);
        assert_eq!(dst[8..], [1; 8]);
    }
}
