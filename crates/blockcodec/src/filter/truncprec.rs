//! Truncate precision, lossy (blosc-format.md §4.4).

use crate::error::{Error, Result};

/// Zeroes low mantissa bits of f32 (typesize 4) or f64 (typesize 8) values; `meta` is the
/// signed precision byte. Errors for other typesizes or an out-of-range precision.
///
/// `meta` as `i8` `p`: `p >= 0` keeps `p` mantissa bits, `p < 0` zeroes `-p` bits. Like
/// C-Blosc2 this refuses `|p| >` mantissa bits and zeroing all of them (which could turn a NaN
/// into an infinity). Elements are masked as native-endian integers, as C does, so the data
/// the caller handed in (native floats) loses the intended bits. The `len % typesize` tail is
/// copied unchanged (C-Blosc2 leaves it unwritten, see §4.3).
pub(crate) fn truncate(typesize: usize, meta: u8, src: &[u8], dst: &mut [u8]) -> Result<()> {
    debug_assert_eq!(src.len(), dst.len());
    let len = src.len().min(dst.len());
    let mantissa: u32 = match typesize {
        4 => 23,
        8 => 52,
        _ => {
            return Err(Error::param(format!(
                "trunc-prec needs typesize 4 or 8 (f32/f64), got {typesize}"
            )));
        }
    };
    let prec = meta as i8;
    let zeroed = if prec >= 0 {
        i64::from(mantissa) - i64::from(prec)
    } else {
        -i64::from(prec)
    };
    if prec.unsigned_abs() > mantissa as u8 || zeroed >= i64::from(mantissa) {
        return Err(Error::param(format!(
            "trunc-prec precision {prec} out of range for a {mantissa}-bit mantissa \
             (must keep 1..={mantissa} bits)"
        )));
    }
    // 0 <= zeroed < mantissa here, so the shifts below are in range.
    let body = len / typesize * typesize;
    let (src_body, src_tail) = src[..len].split_at(body);
    let (dst_body, dst_tail) = dst[..len].split_at_mut(body);
    if typesize == 4 {
        let mask = !((1u32 << zeroed) - 1);
        let pairs = dst_body
            .as_chunks_mut::<4>()
            .0
            .iter_mut()
            .zip(src_body.as_chunks::<4>().0);
        for (o, i) in pairs {
            *o = (u32::from_ne_bytes(*i) & mask).to_ne_bytes();
        }
    } else {
        let mask = !((1u64 << zeroed) - 1);
        let pairs = dst_body
            .as_chunks_mut::<8>()
            .0
            .iter_mut()
            .zip(src_body.as_chunks::<8>().0);
        for (o, i) in pairs {
            *o = (u64::from_ne_bytes(*i) & mask).to_ne_bytes();
        }
    }
    dst_tail.copy_from_slice(src_tail);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn f32_keeps_requested_bits() {
        // 1 + 2^-1 + 2^-10 + 2^-23: bits 22, 13 and 0 of the mantissa.
        let x = f32::from_bits(0x3F80_0000 | (1 << 22) | (1 << 13) | 1);
        let src: Vec<u8> = [x, -x]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .chain([0xAB])
            .collect();
        let mut dst = vec![0; src.len()];
        // Keep 10 mantissa bits: bits 22..13 stay, bits 12..0 are zeroed.
        truncate(4, 10, &src, &mut dst).unwrap();
        let kept = f32::from_bits(0x3F80_0000 | (1 << 22) | (1 << 13));
        let expect: Vec<u8> = [kept, -kept]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .chain([0xAB])
            .collect();
        assert_eq!(dst, expect);
        // Keep 9: bit 13 goes as well. Negative meta: zero the low 14 bits, same result.
        let one_half = f32::from_bits(0x3F80_0000 | (1 << 22));
        for meta in [9u8, (-14i8) as u8] {
            truncate(4, meta, &src, &mut dst).unwrap();
            assert_eq!(f32::from_ne_bytes(dst[..4].try_into().unwrap()), one_half);
            assert_eq!(dst[8], 0xAB);
        }
        // All 23 bits kept: identity.
        truncate(4, 23, &src, &mut dst).unwrap();
        assert_eq!(dst, src);
    }

    #[test]
    fn f64_masks_low_bits() {
        let src: Vec<u8> = [u64::MAX, 0x0123_4567_89AB_CDEF]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let mut dst = vec![0; 16];
        truncate(8, 20, &src, &mut dst).unwrap(); // keep 20 of 52: zero the low 32 bits
        let got: Vec<u64> = dst
            .chunks_exact(8)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(got, [0xFFFF_FFFF_0000_0000, 0x0123_4567_0000_0000]);
        truncate(8, (-51i8) as u8, &src, &mut dst).unwrap(); // zero 51, keep 1
        assert_eq!(
            u64::from_ne_bytes(dst[..8].try_into().unwrap()),
            !((1u64 << 51) - 1)
        );
    }

    #[test]
    fn bad_params() {
        let src = [0u8; 16];
        let mut dst = [0u8; 16];
        for ts in [1, 2, 3, 5, 16] {
            let e = truncate(ts, 10, &src, &mut dst).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidParam);
        }
        // f32: 0 keeps nothing, 24 > 23 bits, -23 zeroes them all, -24 beyond.
        for meta in [0i8, 24, 127, -23, -24, -128] {
            let e = truncate(4, meta as u8, &src, &mut dst).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidParam, "meta {meta}");
        }
        for meta in [0i8, 53, -52, -128] {
            assert!(
                truncate(8, meta as u8, &src, &mut dst).is_err(),
                "meta {meta}"
            );
        }
        for meta in [1i8, 23, -1, -22] {
            assert!(
                truncate(4, meta as u8, &src, &mut dst).is_ok(),
                "meta {meta}"
            );
        }
        for meta in [1i8, 52, -1, -51] {
            assert!(
                truncate(8, meta as u8, &src, &mut dst).is_ok(),
                "meta {meta}"
            );
        }
    }
}
