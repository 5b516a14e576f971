//! Codec dispatch: one place that maps a [`Codec`] to its block compressor and decompressor.

pub(crate) mod blosclz;
pub(crate) mod lz4;
pub(crate) mod lz4hc;
pub(crate) mod snappy;
#[cfg(test)]
mod test_data;
pub(crate) mod zlib;
pub(crate) mod zstd;

use crate::error::{Error, Result};
use crate::params::Codec;

/// Per-thread codec state, reused across blocks and calls.
#[derive(Default)]
pub(crate) struct CodecScratch {
    blosclz: blosclz::BloscLzTable,
    lz4: lz4::Lz4Table,
    lz4hc: lz4hc::Lz4HcState,
    zlib: zlib::ZlibScratch,
    zstd: zstd::ZstdScratch,
}

/// Compresses one stream into `out` (its length is the output limit). Returns the compressed
/// length, or 0 when the codec could not compress or the result does not fit.
pub(crate) fn compress(
    codec: Codec,
    clevel: u8,
    input: &[u8],
    out: &mut [u8],
    scratch: &mut CodecScratch,
) -> usize {
    match codec {
        Codec::BloscLz => blosclz::compress(clevel, input, out, &mut scratch.blosclz),
        // C-Blosc2 calls LZ4_compress_fast with acceleration 10 - clevel (§7.1).
        Codec::Lz4 => lz4::compress(u32::from(10 - clevel.min(9)), input, out, &mut scratch.lz4),
        // zlib `compress2` at level clevel; Zstd at 2·clevel − 1, 22 for 9 (§7.1).
        Codec::Zlib => zlib::compress(clevel, input, out, &mut scratch.zlib),
        Codec::Zstd => zstd::compress(clevel, input, out, &mut scratch.zstd),
        // LZ4_compress_HC with the HC level equal to clevel (§7.1).
        Codec::Lz4Hc => lz4hc::compress(clevel, input, out, &mut scratch.lz4hc),
        // `CParams::validate` rejects Snappy before any block is compressed; user codecs are
        // dispatched by the chunk writer.
        Codec::Snappy | Codec::User(_) => 0,
    }
}

/// Decompresses one stream into `out`, which must be filled exactly. `dict` is the chunk's
/// dictionary section (blosc-format.md §2.5): LZ4 streams use it as the window before their
/// first byte, Zstd frames as a zstd or raw-content dictionary; the other codecs ignore it, as
/// C-Blosc2 does.
pub(crate) fn decompress(
    codec: Codec,
    input: &[u8],
    out: &mut [u8],
    dict: Option<&[u8]>,
    scratch: &mut CodecScratch,
) -> Result<()> {
    let n = match (codec, dict) {
        (Codec::BloscLz, _) => blosclz::decompress(input, out),
        (Codec::Lz4 | Codec::Lz4Hc, None) => lz4::decompress(input, out),
        // C-Blosc2: LZ4_decompress_safe_usingDict.
        (Codec::Lz4 | Codec::Lz4Hc, Some(d)) => {
            lz4_flex::block::decompress_into_with_dict(input, out, d).ok()
        }
        (Codec::Snappy, _) => snappy::decompress(input, out),
        (Codec::Zlib, _) => return zlib::decompress(input, out, &mut scratch.zlib),
        (Codec::Zstd, _) => return zstd::decompress(input, out, dict, &mut scratch.zstd),
        // The chunk reader dispatches user codecs itself.
        (Codec::User(id), _) => {
            return Err(Error::invalid(format!(
                "internal: user codec {id} not resolved"
            )));
        }
    };
    match n {
        Some(n) if n == out.len() => Ok(()),
        Some(n) => Err(Error::invalid(format!(
            "{codec} stream decoded to {n} bytes, expected {}",
            out.len()
        ))),
        None => Err(Error::invalid(format!("corrupt {codec} stream"))),
    }
}
