//! `blockcodec`: a pure-Rust Blosc2 block/chunk compression engine.
//!
//! Chunks are written in the Blosc2 chunk format that C-Blosc2 reads, and every chunk C-Blosc2
//! (or C-Blosc 1.x) writes with a supported codec decodes here. Blocks are filtered (byte
//! shuffle, bitshuffle, delta, trunc-prec), split into streams and compressed independently —
//! in parallel with the default `parallel` feature — and the output bytes never depend on the
//! thread count.
//!
//! ```
//! use blockcodec::{CParams, Codec, Filter};
//!
//! let data: Vec<u8> = (0..100_000u32).flat_map(|i| (i / 7).to_le_bytes()).collect();
//! let cparams = CParams::default().codec(Codec::BloscLz).clevel(5).typesize(4)
//!     .filters(&[Filter::Shuffle]);
//! let chunk = blockcodec::compress(&data, &cparams)?;
//! assert!(chunk.len() < data.len() / 10);
//!
//! let mut out = vec![0u8; data.len()];
//! blockcodec::decompress_into(&chunk, &mut out)?;
//! assert_eq!(out, data);
//! # Ok::<(), blockcodec::Error>(())
//! ```
//!
//! User-defined codecs and filters (ids 160–255, as python-blosc2's `register_codec` /
//! `register_filter` use them) plug in through [`UserCodec`], [`UserFilter`] and a [`Registry`]
//! carried by [`CParams`] / [`DParams`]; [`BlockCallback`]s are C-Blosc2's prefilter and
//! postfilter.
//!
//! Untrusted input never panics and never makes the decoder allocate more than the caller's
//! [`Limits`] allow; see [`decompress_to_vec`].

#![deny(unsafe_code)]
#![deny(missing_docs)]

mod chunk;
mod codec;
mod error;
mod filter;
mod parallel;
mod params;
mod schunk;
mod user;

pub use chunk::compress::{compress, compress_into};
pub use chunk::decompress::{
    decompress, decompress_into, decompress_into_with, decompress_to_vec, decompress_to_vec_with,
    getitem, getitem_with,
};
pub use chunk::header::{
    ChunkHeader, EXTENDED_HEADER_LEN, MAX_BLOCKSIZE, MAX_BUFFERSIZE, MAX_OVERHEAD, MIN_HEADER_LEN,
    SpecialValue,
};
pub use chunk::special::{chunk_nans, chunk_repeat, chunk_uninit, chunk_zeros};
pub use error::{Error, ErrorKind, Result};
pub use params::{CParams, Codec, DParams, Filter, FilterSlot, Limits, MAX_FILTERS, SplitMode};
pub use schunk::frame::offsets::MAX_NCHUNKS;
pub use schunk::{
    B2ND_MAX_DIM, B2ND_METALAYER, B2ndMeta, ChunkInfo, ChunkKind, FrameLimits, MsgValue, SChunk,
    SpecialKind,
};
pub use user::{
    BlockCallback, BlockInfo, BlockParams, Registry, USER_ID_START, UserCodec, UserFilter,
    register_codec, register_filter,
};
