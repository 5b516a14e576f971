//! Codec dispatch: one place that maps a [`Codec`] to its block compressor and decompressor.

pub(crate) mod blosclz;
pub(crate) mod lz4;

use crate::error::{Error, Result};
use crate::params::Codec;

/// Per-thread codec state, reused across blocks and calls.
#[derive(Default)]
pub(crate) struct CodecScratch {
    blosclz: blosclz::BloscLzTable,
    lz4: lz4::Lz4Table,
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
        // `CParams::validate` rejects the others before any block is compressed.
        Codec::Lz4Hc | Codec::Zlib | Codec::Zstd => 0,
    }
}

/// Decompresses one stream into `out`, which must be filled exactly.
pub(crate) fn decompress(codec: Codec, input: &[u8], out: &mut [u8]) -> Result<()> {
    let n = match codec {
        Codec::BloscLz => blosclz::decompress(input, out),
        Codec::Lz4 | Codec::Lz4Hc => lz4::decompress(input, out),
        Codec::Zlib | Codec::Zstd => {
            return Err(Error::unsupported(format!(
                "decoding {codec} is not supported yet"
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
