//! Compression and layout parameters of a channel.

use blockcodec::{CParams, Codec, DParams, Filter};

use crate::error::{Error, Result};

/// Default chunk size: 4 MiB, one 2048 × 2048 `u8` channel (the C++ library's default).
pub const DEFAULT_CHUNK_SIZE: usize = 4 << 20;
/// Default block size: 32 KiB, sized for the L1 cache (the C++ library's default).
pub const DEFAULT_BLOCK_SIZE: usize = 32 << 10;
/// Default compression level.
pub const DEFAULT_CLEVEL: u8 = 9;

/// How a channel is cut into chunks and how each chunk is compressed.
///
/// Start from [`Params::default`] (LZ4, level 9, byte shuffle, 32 KiB blocks, 4 MiB chunks,
/// one thread) and change what you need:
///
/// ```
/// use compressed_image::{Codec, Params};
/// let params = Params::default().codec(Codec::Lz4).clevel(5).chunk_size(1 << 20);
/// assert_eq!(params.chunk_size, 1 << 20);
/// ```
///
/// Values are checked when a channel is built with them, not here.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Params {
    /// Codec of every chunk.
    pub codec: Codec,
    /// Compression level, 0 (store) to 9 (best).
    pub clevel: u8,
    /// The filter applied before the codec (byte shuffle by default). Lossy filters are
    /// rejected.
    pub filter: Filter,
    /// Bytes per Blosc2 block inside a chunk; 0 lets the codec choose. Values above the chunk
    /// size are clamped to it.
    pub block_size: usize,
    /// Requested bytes per chunk. Rounded down to whole scanlines (at least one row), capped at
    /// the channel size; see [`crate::ChunkLayout`].
    pub chunk_size: usize,
    /// Threads the codec may use for the blocks of one chunk. Default 1: callers usually
    /// parallelise across channels or chunks instead.
    pub nthreads: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            codec: Codec::Lz4,
            clevel: DEFAULT_CLEVEL,
            filter: Filter::Shuffle,
            block_size: DEFAULT_BLOCK_SIZE,
            chunk_size: DEFAULT_CHUNK_SIZE,
            nthreads: 1,
        }
    }
}

impl Params {
    /// Sets the codec.
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// Sets the compression level (0–9).
    pub fn clevel(mut self, clevel: u8) -> Self {
        self.clevel = clevel;
        self
    }

    /// Sets the filter (`Filter::Shuffle`, `Filter::BitShuffle`, `Filter::Delta` or
    /// `Filter::NoFilter`).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = filter;
        self
    }

    /// Sets the block size in bytes (0 = automatic).
    pub fn block_size(mut self, bytes: usize) -> Self {
        self.block_size = bytes;
        self
    }

    /// Sets the requested chunk size in bytes.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes;
        self
    }

    /// Sets the number of codec threads per chunk (0 is taken as 1).
    pub fn nthreads(mut self, nthreads: usize) -> Self {
        self.nthreads = nthreads;
        self
    }

    /// Checks that chunks of `T`-sized elements can be compressed with these parameters.
    ///
    /// # Errors
    /// `InvalidParam` for a level above 9, a zero chunk size or a lossy filter;
    /// `Codec(Unsupported)` for a codec this build of `blockcodec` cannot compress with.
    pub(crate) fn validate(&self, typesize: usize) -> Result<CParams> {
        if self.clevel > 9 {
            return Err(Error::param(format!(
                "clevel {} is out of range 0..=9",
                self.clevel
            )));
        }
        if self.chunk_size == 0 {
            return Err(Error::param("chunk size must be at least 1 byte"));
        }
        if self.filter == Filter::TruncPrec {
            return Err(Error::param("lossy filters (trunc-prec) are not supported"));
        }
        let cparams = self.cparams(typesize);
        // Let blockcodec judge the rest (codec support, typesize) on an empty input, so a bad
        // codec is reported when the channel is built, not on its first write.
        blockcodec::compress(&[], &cparams)?;
        Ok(cparams)
    }

    pub(crate) fn cparams(&self, typesize: usize) -> CParams {
        CParams::default()
            .codec(self.codec)
            .clevel(self.clevel)
            .typesize(typesize)
            .filters(&[self.filter])
            .blocksize(self.block_size)
            .nthreads(self.nthreads.max(1))
    }

    pub(crate) fn dparams(&self) -> DParams {
        DParams::default().nthreads(self.nthreads.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn defaults_match_the_cpp_library() {
        let p = Params::default();
        assert_eq!(p.codec, Codec::Lz4);
        assert_eq!(p.clevel, 9);
        assert_eq!(p.filter, Filter::Shuffle);
        assert_eq!(p.block_size, 32 * 1024);
        assert_eq!(p.chunk_size, 4 * 1024 * 1024);
        assert_eq!(p.nthreads, 1);
        let c = p.cparams(4);
        assert_eq!(
            (c.typesize, c.clevel, c.blocksize, c.nthreads),
            (4, 9, 32768, 1)
        );
        assert!(c.filters.iter().any(|s| s.filter == Filter::Shuffle));
    }

    #[test]
    fn validation() {
        assert!(Params::default().validate(4).is_ok());
        let kind = |p: Params| p.validate(2).map(|_| ()).map_err(|e| e.kind());
        assert_eq!(
            kind(Params::default().clevel(10)),
            Err(ErrorKind::InvalidParam)
        );
        assert_eq!(
            kind(Params::default().chunk_size(0)),
            Err(ErrorKind::InvalidParam)
        );
        assert_eq!(
            kind(Params::default().filter(Filter::TruncPrec)),
            Err(ErrorKind::InvalidParam)
        );
        assert_eq!(kind(Params::default().nthreads(0)), Ok(()));
        for codec in Codec::ALL {
            let r = kind(Params::default().codec(codec));
            if codec.can_compress() {
                assert_eq!(r, Ok(()), "{codec}");
            } else {
                assert_eq!(
                    r,
                    Err(ErrorKind::Codec(blockcodec::ErrorKind::Unsupported)),
                    "{codec}"
                );
            }
        }
    }
}
