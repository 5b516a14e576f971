//! One stored chunk: a Blosc2 chunk, or a single fill value standing for the whole chunk.

use blockcodec::{CParams, DParams, MAX_OVERHEAD};

use crate::element::{Element, uniform_value};
use crate::error::{Error, Result};

/// Storage of one chunk.
///
/// `Fill` is the lazy form: the C++ library's `lazy_schunk` keeps `variant<bytes, T>` per chunk
/// for the same reason. It costs nothing to create, is materialised with a fill on read, and is
/// what a chunk becomes again whenever all its values are (bitwise) equal.
#[derive(Clone)]
pub(crate) enum ChunkStore<T> {
    /// Every element has this value.
    Fill(T),
    /// A Blosc2 chunk of exactly `cbytes` bytes (no spare capacity).
    Compressed(Box<[u8]>),
}

impl<T: Element> ChunkStore<T> {
    /// Bytes this chunk occupies: `cbytes`, or `size_of::<T>()` for a fill value.
    pub(crate) fn cbytes(&self) -> usize {
        match self {
            ChunkStore::Fill(_) => T::TYPESIZE,
            ChunkStore::Compressed(bytes) => bytes.len(),
        }
    }

    pub(crate) fn fill_value(&self) -> Option<T> {
        match self {
            ChunkStore::Fill(v) => Some(*v),
            ChunkStore::Compressed(_) => None,
        }
    }

    /// Writes the chunk's values into `out`, whose length is the chunk length.
    pub(crate) fn decode_into(&self, out: &mut [T], dparams: &DParams) -> Result<()> {
        match self {
            ChunkStore::Fill(v) => out.fill(*v),
            ChunkStore::Compressed(src) => {
                let dst = T::as_bytes_mut(out);
                let n = blockcodec::decompress_into_with(src, dst, dparams)?;
                if n != dst.len() {
                    return Err(Error::new(
                        crate::ErrorKind::Codec(blockcodec::ErrorKind::InvalidData),
                        format!("chunk decoded to {n} bytes, expected {}", dst.len()),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Element `offset` of the chunk, decoding only the block that holds it.
    pub(crate) fn get(&self, offset: usize) -> Result<T> {
        match self {
            ChunkStore::Fill(v) => Ok(*v),
            ChunkStore::Compressed(src) => {
                let mut v = T::zero();
                blockcodec::getitem(src, offset, 1, bytemuck::bytes_of_mut(&mut v))?;
                Ok(v)
            }
        }
    }

    /// Stores `values`: a fill value if they are all equal, else a new compressed chunk built in
    /// `scratch` (grown to `nbytes + MAX_OVERHEAD` once and reused) and copied out at its exact
    /// size, so stored chunks carry no spare capacity.
    pub(crate) fn encode(values: &[T], cparams: &CParams, scratch: &mut Vec<u8>) -> Result<Self> {
        #[cfg(test)]
        fault::check()?;
        if let Some(v) = uniform_value(values) {
            return Ok(ChunkStore::Fill(v));
        }
        let src = T::as_bytes(values);
        let need = src
            .len()
            .checked_add(MAX_OVERHEAD)
            .ok_or_else(|| Error::limit("chunk size"))?;
        if scratch.len() < need {
            scratch.resize(need, 0);
        }
        let n = blockcodec::compress_into(src, scratch, cparams)?;
        Ok(ChunkStore::Compressed(scratch[..n].into()))
    }

    /// [`ChunkStore::encode`] without a reusable scratch buffer (one-off writes).
    pub(crate) fn encode_once(values: &[T], cparams: &CParams) -> Result<Self> {
        #[cfg(test)]
        fault::check()?;
        if let Some(v) = uniform_value(values) {
            return Ok(ChunkStore::Fill(v));
        }
        // `into_boxed_slice` shrinks the nbytes + 32 allocation in place instead of copying.
        let chunk = blockcodec::compress(T::as_bytes(values), cparams)?;
        Ok(ChunkStore::Compressed(chunk.into_boxed_slice()))
    }
}

/// Test-only fault injection: makes the n-th next encode on this thread fail, to check that
/// failed writes leave channels unchanged (hardening.md §3.7.4).
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::Cell;

    use crate::error::{Error, Result};

    thread_local! {
        static FAIL_IN: Cell<Option<usize>> = const { Cell::new(None) };
    }

    /// The encode after `n` successful ones fails (once).
    pub(crate) fn fail_after(n: usize) {
        FAIL_IN.with(|c| c.set(Some(n)));
    }

    pub(crate) fn clear() {
        FAIL_IN.with(|c| c.set(None));
    }

    pub(crate) fn check() -> Result<()> {
        FAIL_IN.with(|c| match c.get() {
            Some(0) => {
                c.set(None);
                Err(Error::limit("injected fault"))
            }
            Some(n) => {
                c.set(Some(n - 1));
                Ok(())
            }
            None => Ok(()),
        })
    }
}
