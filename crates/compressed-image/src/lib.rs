//! `compressed-image`: large multi-channel images kept compressed in memory, on `blockcodec`.
//!
//! A [`Channel<T>`] is one `width × height` plane cut into chunks of whole scanlines, each an
//! independent Blosc2 chunk (LZ4 level 9 with byte shuffle by default, 4 MiB chunks of 32 KiB
//! blocks). Chunks are decompressed one at a time into caller or iterator buffers, so memory
//! stays at the compressed size plus a chunk per worker. Chunks whose values are all equal are
//! stored as that one value ("lazy"): `Channel::zeros` creates thousands of mask channels for
//! almost nothing. An [`Image<T>`] groups same-sized channels under names, with ordered JSON
//! metadata.
//!
//! ```
//! use compressed_image::{Channel, Image, Params};
//!
//! // A smooth 512 × 256 gradient, split into 64 KiB chunks.
//! let (w, h) = (512, 256);
//! let data: Vec<f32> = (0..w * h).map(|i| (i % w) as f32 / w as f32).collect();
//! let params = Params::default().chunk_size(64 << 10);
//! let mut ch = Channel::from_slice(&data, w, h, params.clone())?;
//! assert_eq!(ch.num_chunks(), 8);
//!
//! // Edit chunk by chunk; each modified chunk is recompressed when its guard drops.
//! ch.for_each_chunk_mut(|chunk| {
//!     for (x, y, v) in chunk.pixels_mut() {
//!         if x == y {
//!             *v = 1.0;
//!         }
//!     }
//! })?;
//! assert_eq!(ch.get(100, 100)?, 1.0);
//!
//! // A lazy mask costs one value per chunk until written.
//! let mask = Channel::<f32>::zeros_like(&ch);
//! assert_eq!(mask.compressed_bytes(), 8 * 4);
//!
//! let mut img = Image::new(w, h);
//! img.add_channel("Y", ch)?;
//! img.add_channel("mask", mask)?;
//! assert_eq!(img.channel("Y").map(|c| c.to_vec().map(|v| v.len())), Some(Ok(w * h)));
//! # Ok::<(), compressed_image::Error>(())
//! ```
//!
//! Channels and images are saved to and loaded from Blosc2 frames (`.b2frame`, chunks copied
//! verbatim, names and metadata in vlmeta; python-blosc2 opens them): see [`persist`]. Image
//! files are read straight into compressed channels, chunk by chunk, and written back: EXR
//! with the `exr` feature, PNG/TIFF/JPEG with the `image` feature; see [`io`].
//!
//! Errors never panic: bad sizes, indices and buffer lengths return [`Error`] with an
//! [`ErrorKind`]. A failed write leaves the channel as it was.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod channel;
mod chunk;
mod element;
mod error;
mod image;
pub mod io;
mod iter;
mod layout;
mod params;
pub mod persist;

pub use blockcodec;
pub use blockcodec::{Codec, Filter};
pub use channel::Channel;
pub use element::Element;
pub use error::{Error, ErrorKind, Result};
pub use half;
pub use image::{Image, Metadata};
pub use iter::{ChunkMut, ChunkView, Chunks, ChunksMut};
pub use layout::{ChunkLayout, ChunkRect};
pub use params::{DEFAULT_BLOCK_SIZE, DEFAULT_CHUNK_SIZE, DEFAULT_CLEVEL, Params};
pub use serde_json;

// Channels are read from and written to by many threads (cryptomatte extraction edits
// thousands of masks in parallel): keep these types thread-safe by construction.
const _: () = {
    const fn send_sync<S: Send + Sync>() {}
    const fn send<S: Send>() {}
    send_sync::<Channel<u8>>();
    send_sync::<Channel<half::f16>>();
    send_sync::<Channel<f64>>();
    send_sync::<Image<f32>>();
    send_sync::<ChunkView<f32>>();
    send_sync::<Chunks<'static, f32>>();
    send_sync::<Error>();
    send_sync::<Params>();
    send::<ChunkMut<'static, f32>>();
    send::<ChunksMut<'static, f32>>();
};
