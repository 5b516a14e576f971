//! The offsets chunk (blosc-format.md §6.4) and the size fields of stored chunks.

use crate::chunk::header::{EXTENDED_HEADER_LEN, MIN_HEADER_LEN, SpecialValue};
use crate::error::{Error, Result};
use crate::params::{CParams, Codec, Filter, SplitMode};

/// Most chunks a frame can index: the offsets chunk holds `8 · nchunks` bytes in an `i32`
/// (`INT32_MAX / 8`, §6.2).
pub const MAX_NCHUNKS: usize = 268_435_455;

/// What one entry of the offsets chunk says about its chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offset {
    /// Stored at this byte offset from the end of the header (a chunk id in sparse frames).
    Stored(u64),
    /// Not stored: a zeros, NaN or uninit special chunk.
    Special(SpecialValue),
}

/// Top byte of a special offset: `0x80 | special id` (§6.4).
fn special_top(kind: SpecialValue) -> u8 {
    0x80 | kind.id()
}

impl Offset {
    /// Decodes one little-endian `i64` of the offsets chunk.
    ///
    /// # Errors
    /// `InvalidData` for a negative value that is not exactly `0x81…`, `0x82…` or `0x84…`
    /// followed by 56 zero bits (repeated-value chunks are never encoded as offsets).
    pub(crate) fn decode(v: i64) -> Result<Offset> {
        if v >= 0 {
            return Ok(Offset::Stored(v as u64));
        }
        let top = (v as u64 >> 56) as u8;
        let low = v as u64 & 0x00FF_FFFF_FFFF_FFFF;
        let kind = [SpecialValue::Zeros, SpecialValue::Nan, SpecialValue::Uninit]
            .into_iter()
            .find(|&k| special_top(k) == top);
        match kind {
            Some(k) if low == 0 => Ok(Offset::Special(k)),
            _ => Err(Error::invalid(format!(
                "chunk offset {:#018x} is negative but not a special-chunk marker",
                v as u64
            ))),
        }
    }

    pub(crate) fn encode(self) -> i64 {
        match self {
            Offset::Stored(v) => v as i64,
            Offset::Special(k) => (u64::from(special_top(k)) << 56) as i64,
        }
    }
}

/// The parameters C-Blosc2's `frame_from_schunk` compresses the offsets with: BloscLZ, clevel
/// 5, typesize 8, SHUFFLE, automatic blocksize, one thread (§6.4). Indexes under 32 bytes come
/// out memcpyed, as in C.
pub(crate) fn offsets_cparams() -> CParams {
    CParams::default()
        .codec(Codec::BloscLz)
        .clevel(5)
        .typesize(8)
        .filters(&[Filter::Shuffle])
        .splitmode(SplitMode::ForwardCompat)
}

/// Compresses an index of offsets into an offsets chunk.
///
/// # Errors
/// As [`crate::compress`] (only for more than [`MAX_NCHUNKS`] offsets in practice).
pub(crate) fn encode_offsets(offsets: &[Offset]) -> Result<Vec<u8>> {
    let mut raw = Vec::with_capacity(offsets.len() * 8);
    for o in offsets {
        raw.extend_from_slice(&o.encode().to_le_bytes());
    }
    crate::compress(&raw, &offsets_cparams())
}

/// The size fields of a stored chunk, read from its first 16 or 32 bytes — what C-Blosc2's
/// `blosc2_cbuffer_sizes` gives a frame reader. The chunk body is validated only when the chunk
/// is decoded (by [`crate::ChunkHeader::parse`]); these fields are enough to place and size it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChunkSizes {
    pub(crate) nbytes: usize,
    pub(crate) cbytes: usize,
    /// Variable-length-block chunk (version ≥ 6, flags2 bit 0, §2.6).
    pub(crate) vl_blocks: bool,
}

impl ChunkSizes {
    /// Reads the sizes from `prefix`, the first `min(32, available)` bytes of a chunk.
    ///
    /// # Errors
    /// `InvalidData` for fewer than 16 bytes, version 0, negative `nbytes`, `cbytes` below the
    /// header length, or an extended header cut short.
    pub(crate) fn read(prefix: &[u8]) -> Result<ChunkSizes> {
        let field = |at: usize| -> i32 {
            let mut b = [0u8; 4];
            if let Some(s) = prefix.get(at..at + 4) {
                b.copy_from_slice(s);
            }
            i32::from_le_bytes(b)
        };
        if prefix.len() < MIN_HEADER_LEN {
            return Err(Error::invalid(format!(
                "chunk of {} bytes is shorter than a chunk header",
                prefix.len()
            )));
        }
        let version = prefix.first().copied().unwrap_or(0);
        let flags = prefix.get(2).copied().unwrap_or(0);
        if version == 0 {
            return Err(Error::invalid("chunk format version 0"));
        }
        let nbytes = usize::try_from(field(4))
            .map_err(|_| Error::invalid(format!("chunk nbytes {} is negative", field(4))))?;
        let extended = flags & 0x05 == 0x05;
        let header_len = if extended {
            EXTENDED_HEADER_LEN
        } else {
            MIN_HEADER_LEN
        };
        let cbytes = usize::try_from(field(12))
            .ok()
            .filter(|&c| c >= header_len)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "chunk cbytes {} is below its {header_len}-byte header",
                    field(12)
                ))
            })?;
        let vl_blocks = if extended {
            let ext = prefix.get(..EXTENDED_HEADER_LEN).ok_or_else(|| {
                Error::invalid("extended chunk header cut short by the frame layout")
            })?;
            version >= 6 && ext.get(0x1E).is_some_and(|f2| f2 & 0x01 != 0)
        } else {
            false
        };
        Ok(ChunkSizes {
            nbytes,
            cbytes,
            vl_blocks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_offsets() {
        let z = 0x8100_0000_0000_0000u64 as i64;
        assert_eq!(
            Offset::decode(z).unwrap(),
            Offset::Special(SpecialValue::Zeros)
        );
        assert_eq!(Offset::Special(SpecialValue::Zeros).encode(), z);
        assert_eq!(
            Offset::decode(0x8200_0000_0000_0000u64 as i64).unwrap(),
            Offset::Special(SpecialValue::Nan)
        );
        assert_eq!(
            Offset::decode(0x8400_0000_0000_0000u64 as i64).unwrap(),
            Offset::Special(SpecialValue::Uninit)
        );
        for bad in [
            0x8300_0000_0000_0000u64,
            0x8000_0000_0000_0000,
            0x8100_0000_0000_0001,
            0xFFFF_FFFF_FFFF_FFFF,
        ] {
            assert!(Offset::decode(bad as i64).is_err(), "{bad:#x}");
        }
        assert_eq!(Offset::decode(5).unwrap(), Offset::Stored(5));
    }

    #[test]
    fn small_index_is_memcpyed_like_c() {
        // §6.6: two offsets (one stored at 0, one zero special) -> memcpyed `05 01 07 08 ...`.
        let c = encode_offsets(&[Offset::Stored(0), Offset::Special(SpecialValue::Zeros)]).unwrap();
        assert_eq!(&c[..4], &[0x05, 0x01, 0x07, 0x08]);
        assert_eq!(c.len(), 48);
    }
}
