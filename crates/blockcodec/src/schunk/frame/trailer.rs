//! The frame trailer (blosc-format.md §6.5): vlmetalayers, then the trailer length and an (empty)
//! fingerprint in the last 23 bytes.

use super::header::{Layer, parse_layers, write_layers};
use super::msgpack::Reader;
use crate::error::{Error, Result};

/// The fixed tail: `CE u32 trailer_len`, `D8 type 16×fingerprint`.
pub(crate) const TAIL_LEN: usize = 23;
/// Smallest trailer: `94 01 93 CD xx xx DE 00 00 DC 00 00` is 12 bytes, but C's readers require
/// 25 (`FRAME_TRAILER_MINLEN`), so that is the bound enforced (§9.3).
pub(crate) const MIN_LEN: usize = 25;
/// Most vlmetalayers a frame holds (`BLOSC2_MAX_VLMETALAYERS`).
pub(crate) const MAX_VLMETALAYERS: usize = 8192;
/// Trailer format version written (a positive fixint; 0 was pre-beta2).
const VERSION: u8 = 1;

/// Reads `trailer_len` from the last 23 bytes of a frame and checks the tail markers.
///
/// # Errors
/// `InvalidData` when byte `len − 23` is not `0xCE` or the fingerprint marker is not `0xD8`;
/// `Unsupported` for a fingerprint type other than 0 (none).
pub(crate) fn parse_tail(tail: &[u8]) -> Result<u32> {
    let mut r = Reader::new(tail);
    r.expect(0xCE, "frame trailer length")?;
    let trailer_len = r.be_u32("frame trailer length")?;
    r.expect(0xD8, "frame fingerprint")?;
    let fp_type = r.u8("frame fingerprint")?;
    if fp_type != 0 {
        return Err(Error::unsupported(format!(
            "frame fingerprint type {fp_type} (only 0, no fingerprint, is defined)"
        )));
    }
    Ok(trailer_len)
}

/// Parses a whole trailer (from its first byte to the frame end) into its vlmetalayers.
///
/// # Errors
/// `InvalidData` for bad markers, counts above 8192, offsets or lengths out of range;
/// `Unsupported` for a trailer version above 1.
pub(crate) fn parse(trailer: &[u8]) -> Result<Vec<Layer>> {
    let mut r = Reader::new(trailer);
    r.expect(0x94, "frame trailer")?;
    let version = r.u8("frame trailer version")?;
    if version > 0x7F {
        return Err(Error::invalid(format!(
            "frame trailer version marker {version:#04x} is not a positive fixint"
        )));
    }
    if version > VERSION {
        return Err(Error::unsupported(format!(
            "frame trailer version {version}"
        )));
    }
    let limit = trailer.len().saturating_sub(TAIL_LEN);
    parse_layers(trailer, r.pos(), 0, limit, MAX_VLMETALAYERS, "vlmetalayers")
}

/// Builds a complete trailer holding `vlmeta` (already-compressed contents).
pub(crate) fn write(vlmeta: &[Layer]) -> Vec<u8> {
    let mut out = vec![0x94, VERSION];
    write_layers(&mut out, vlmeta, 0, true);
    let total = (out.len() + TAIL_LEN) as u32;
    out.push(0xCE);
    out.extend_from_slice(&total.to_be_bytes());
    out.push(0xD8);
    out.push(0);
    out.extend_from_slice(&[0; 16]);
    out
}

/// Length of the trailer [`write`] would build, without building it.
pub(crate) fn len(vlmeta: &[Layer]) -> Option<usize> {
    let mut n: usize = 2 + 1 + 3 + 3 + 3 + TAIL_LEN;
    for (name, content) in vlmeta {
        n = n
            .checked_add(1 + name.len() + 5)?
            .checked_add(5)?
            .checked_add(content.len())?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_trailer_matches_c() {
        // §6.6: `94 01 93 cd 0006 de 0000 dc 0000 ce 00000023 d8 00 + 16 zeros`.
        let t = write(&[]);
        assert_eq!(t.len(), 35);
        assert_eq!(len(&[]), Some(35));
        assert_eq!(
            &t[..17],
            &[
                0x94, 0x01, 0x93, 0xCD, 0x00, 0x06, 0xDE, 0, 0, 0xDC, 0, 0, 0xCE, 0, 0, 0, 0x23
            ]
        );
        assert_eq!(parse(&t).unwrap(), vec![]);
        assert_eq!(parse_tail(&t[t.len() - TAIL_LEN..]).unwrap(), 35);
    }

    #[test]
    fn vlmeta_offsets_are_trailer_relative() {
        let layers = vec![
            ("foo".to_string(), vec![1, 2, 3]),
            ("n".to_string(), vec![9]),
        ];
        let t = write(&layers);
        assert_eq!(len(&layers), Some(t.len()));
        assert_eq!(parse(&t).unwrap(), layers);
        // idx_size counts from the 0xCD byte (§10 item 9): 3 + 3 + (1+3+5) + (1+1+5) = 22.
        assert_eq!(u16::from_be_bytes([t[4], t[5]]), 22);
    }
}
