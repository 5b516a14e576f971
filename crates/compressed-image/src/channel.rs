//! `Channel<T>`: one image plane stored as independently compressed scanline chunks.

use std::fmt;
use std::ops::Range;

use blockcodec::{CParams, DParams};

use crate::chunk::ChunkStore;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::iter::{ChunkMut, Chunks, ChunksMut};
use crate::layout::ChunkLayout;
use crate::params::Params;

/// One `width × height` plane of `T`, kept as compressed chunks of whole scanlines.
///
/// Reads take `&self` and share nothing mutable, so one channel can be read from many threads at
/// once; writes take `&mut self`. Chunks whose values are all (bitwise) equal are stored as one
/// value ("lazy") and cost `size_of::<T>()` bytes until a differing value is written.
///
/// ```
/// use compressed_image::{Channel, Params};
///
/// let data: Vec<u16> = (0..64 * 48).map(|i| (i % 64) as u16).collect();
/// let mut ch = Channel::from_slice(&data, 64, 48, Params::default().chunk_size(64 * 2 * 10))?;
/// assert_eq!((ch.num_chunks(), ch.chunk_rows()), (5, 10));
///
/// let mut buf = vec![0u16; ch.chunk_elems()];
/// let n = ch.chunk_len(4).unwrap_or(0);
/// ch.get_chunk(4, &mut buf[..n])?;
/// assert_eq!(&buf[..n], &data[40 * 64..]);
///
/// buf[..n].fill(7);
/// ch.set_chunk(4, &buf[..n])?;
/// assert_eq!(ch.chunk_fill_value(4), Some(7));
/// # Ok::<(), compressed_image::Error>(())
/// ```
#[derive(Clone)]
pub struct Channel<T: Element> {
    layout: ChunkLayout,
    params: Params,
    cparams: CParams,
    dparams: DParams,
    chunks: Vec<ChunkStore<T>>,
}

impl<T: Element> fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("dtype", &T::DTYPE)
            .field("width", &self.layout.width())
            .field("height", &self.layout.height())
            .field("num_chunks", &self.num_chunks())
            .field("lazy_chunks", &self.num_lazy_chunks())
            .field("compressed_bytes", &self.compressed_bytes())
            .field("params", &self.params)
            .finish()
    }
}

impl<T: Element> Channel<T> {
    /// A channel whose every chunk is the fill value `value`, after validating the layout and
    /// the parameters.
    fn lazy(width: usize, height: usize, value: T, params: Params) -> Result<Self> {
        let cparams = params.validate(T::TYPESIZE)?;
        let layout = ChunkLayout::new(width, height, T::TYPESIZE, params.chunk_size)?;
        let dparams = params.dparams();
        let chunks = vec![ChunkStore::Fill(value); layout.num_chunks()];
        Ok(Channel {
            layout,
            params,
            cparams,
            dparams,
            chunks,
        })
    }

    /// A channel from already-validated parts (loading, file readers). `chunks` must hold
    /// `layout.num_chunks()` entries of the layout's chunk lengths.
    pub(crate) fn from_parts(
        layout: ChunkLayout,
        params: Params,
        chunks: Vec<ChunkStore<T>>,
    ) -> Result<Self> {
        let cparams = params.validate(T::TYPESIZE)?;
        if chunks.len() != layout.num_chunks() || layout.typesize() != T::TYPESIZE {
            return Err(Error::invalid(format!(
                "{} chunks for a layout of {}",
                chunks.len(),
                layout.num_chunks()
            )));
        }
        let dparams = params.dparams();
        Ok(Channel {
            layout,
            params,
            cparams,
            dparams,
            chunks,
        })
    }

    /// The stored chunks, in order.
    pub(crate) fn stores(&self) -> &[ChunkStore<T>] {
        &self.chunks
    }

    /// Compresses `data` (row-major, `width × height` elements) chunk by chunk.
    ///
    /// # Errors
    /// `InvalidParam` when `data.len() != width × height` or the parameters are invalid,
    /// `LimitExceeded` for layouts that do not fit (see [`ChunkLayout::new`]), `Codec(_)` when
    /// the codec cannot be used.
    pub fn from_slice(data: &[T], width: usize, height: usize, params: Params) -> Result<Self> {
        let mut ch = Self::lazy(width, height, T::zero(), params)?;
        if data.len() != ch.layout.num_elements() {
            return Err(Error::param(format!(
                "{width}×{height} needs {} elements, the slice has {}",
                ch.layout.num_elements(),
                data.len()
            )));
        }
        let mut scratch = Vec::new();
        for (i, slot) in ch.chunks.iter_mut().enumerate() {
            let range = ch.layout.chunk_range(i).unwrap_or_default();
            *slot = ChunkStore::encode(&data[range], &ch.cparams, &mut scratch)?;
        }
        Ok(ch)
    }

    /// Builds a channel from `f(x, y)`, one chunk at a time, so memory stays at one chunk of
    /// uncompressed values.
    ///
    /// # Errors
    /// As [`Channel::zeros`], plus codec errors.
    pub fn from_fn(
        width: usize,
        height: usize,
        params: Params,
        mut f: impl FnMut(usize, usize) -> T,
    ) -> Result<Self> {
        let mut ch = Self::zeros(width, height, params)?;
        let mut it = ch.chunks_mut();
        while let Some(mut chunk) = it.next() {
            for (x, y, v) in chunk.pixels_mut() {
                *v = f(x, y);
            }
        }
        it.finish()?;
        Ok(ch)
    }

    /// A lazy channel of zeros: no chunk is compressed or allocated until it is written.
    ///
    /// # Errors
    /// `InvalidParam` for zero sizes or invalid parameters, `LimitExceeded` for layouts that do
    /// not fit, `Codec(_)` for a codec this build cannot compress with.
    pub fn zeros(width: usize, height: usize, params: Params) -> Result<Self> {
        Self::lazy(width, height, T::zero(), params)
    }

    /// A lazy channel whose every element is `value`.
    ///
    /// # Errors
    /// As [`Channel::zeros`].
    pub fn full(width: usize, height: usize, value: T, params: Params) -> Result<Self> {
        Self::lazy(width, height, value, params)
    }

    /// A lazy channel of zeros with the size and parameters of `other`.
    pub fn zeros_like(other: &Self) -> Self {
        Self::full_like(other, T::zero())
    }

    /// A lazy channel of `value` with the size and parameters of `other`.
    pub fn full_like(other: &Self, value: T) -> Self {
        Channel {
            layout: other.layout,
            params: other.params.clone(),
            cparams: other.cparams.clone(),
            dparams: other.dparams.clone(),
            chunks: vec![ChunkStore::Fill(value); other.layout.num_chunks()],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.layout.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.layout.height()
    }

    /// Number of elements, `width × height`.
    pub fn num_elements(&self) -> usize {
        self.layout.num_elements()
    }

    /// The parameters the channel was built with.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Changes the number of codec threads used for each chunk from now on (the C++
    /// library's `update_nthreads`). Stored chunks are unaffected: output bytes do not depend
    /// on the thread count.
    pub fn set_nthreads(&mut self, nthreads: usize) {
        self.params.nthreads = nthreads;
        self.cparams.nthreads = nthreads.max(1);
        self.dparams.nthreads = nthreads.max(1);
    }

    /// A copy of the channel whose compressed chunks are recompressed with Blosc2 blocks of
    /// `block_size` bytes (0 lets the codec choose); lazy chunks stay lazy. The values, the
    /// layout and the other parameters are unchanged. Holds one uncompressed chunk besides the
    /// two compressed channels.
    ///
    /// # Errors
    /// `Codec(_)` if a stored chunk fails to decode or a chunk fails to compress;
    /// `LimitExceeded` if the chunk buffer cannot be allocated.
    pub fn with_block_size(&self, block_size: usize) -> Result<Self> {
        let params = self.params.clone().block_size(block_size);
        let cparams = params.cparams(T::TYPESIZE);
        let mut buf = Vec::new();
        let mut scratch = Vec::new();
        let mut chunks = Vec::new();
        chunks
            .try_reserve_exact(self.chunks.len())
            .map_err(|_| Error::limit("cannot allocate the chunk table"))?;
        for (index, store) in self.chunks.iter().enumerate() {
            let new = match store {
                ChunkStore::Fill(v) => ChunkStore::Fill(*v),
                ChunkStore::Compressed(_) => {
                    let len = self
                        .chunk_len(index)
                        .ok_or_else(|| Error::chunk_index(index, self.chunks.len()))?;
                    if buf.is_empty() {
                        buf = try_alloc(self.chunk_elems())?;
                    }
                    let values = buf
                        .get_mut(..len)
                        .ok_or_else(|| Error::chunk_len(index, len, self.chunk_elems()))?;
                    store.decode_into(values, &self.dparams)?;
                    ChunkStore::encode(values, &cparams, &mut scratch)?
                }
            };
            chunks.push(new);
        }
        Ok(Channel {
            layout: self.layout,
            params,
            cparams,
            dparams: self.dparams.clone(),
            chunks,
        })
    }

    /// Changes the Blosc2 block size (`Params::block_size`) of the channel, recompressing
    /// every compressed chunk (see [`Channel::with_block_size`]); chunks written later use it
    /// too. Atomic: on error the channel is unchanged. Repeating the current block size does
    /// nothing.
    ///
    /// # Errors
    /// As [`Channel::with_block_size`].
    pub fn set_block_size(&mut self, block_size: usize) -> Result<()> {
        if block_size != self.params.block_size {
            *self = self.with_block_size(block_size)?;
        }
        Ok(())
    }

    /// The chunk geometry.
    pub fn layout(&self) -> &ChunkLayout {
        &self.layout
    }

    /// Number of chunks.
    pub fn num_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Rows per chunk (the last chunk may have fewer).
    pub fn chunk_rows(&self) -> usize {
        self.layout.chunk_rows()
    }

    /// Elements in a full chunk: a buffer of this length holds any chunk.
    pub fn chunk_elems(&self) -> usize {
        self.layout.chunk_elems()
    }

    /// Elements in chunk `index` (`None` if out of range).
    pub fn chunk_len(&self, index: usize) -> Option<usize> {
        self.layout.chunk_len(index)
    }

    /// Rows covered by chunk `index` (`None` if out of range).
    pub fn chunk_y_range(&self, index: usize) -> Option<Range<usize>> {
        self.layout.chunk_y_range(index)
    }

    /// Element range of chunk `index` within the whole channel (`None` if out of range).
    pub fn chunk_range(&self, index: usize) -> Option<Range<usize>> {
        self.layout.chunk_range(index)
    }

    fn slot(&self, index: usize) -> Result<&ChunkStore<T>> {
        self.chunks
            .get(index)
            .ok_or_else(|| Error::chunk_index(index, self.chunks.len()))
    }

    /// Checks `index` and a buffer length against the chunk's length.
    fn check_chunk(&self, index: usize, len: usize) -> Result<()> {
        let expected = self
            .chunk_len(index)
            .ok_or_else(|| Error::chunk_index(index, self.chunks.len()))?;
        if len != expected {
            return Err(Error::chunk_len(index, expected, len));
        }
        Ok(())
    }

    /// Decompresses chunk `index` into `out`, whose length must be `chunk_len(index)`. A lazy
    /// chunk is a plain fill.
    ///
    /// # Errors
    /// `InvalidParam` for an index out of range or a buffer of the wrong length; `Codec(_)` if
    /// the stored chunk fails to decode (never for chunks this crate wrote).
    pub fn get_chunk(&self, index: usize, out: &mut [T]) -> Result<()> {
        self.check_chunk(index, out.len())?;
        self.slot(index)?.decode_into(out, &self.dparams)
    }

    /// Replaces chunk `index` with `values` (length `chunk_len(index)`), stored lazily when all
    /// values are equal. On error the old chunk is kept: the new one is built completely before
    /// it replaces the old.
    ///
    /// # Errors
    /// `InvalidParam` for an index out of range or a slice of the wrong length; `Codec(_)` if
    /// compression fails.
    pub fn set_chunk(&mut self, index: usize, values: &[T]) -> Result<()> {
        self.check_chunk(index, values.len())?;
        let new = ChunkStore::encode_once(values, &self.cparams)?;
        if let Some(slot) = self.chunks.get_mut(index) {
            *slot = new;
        }
        Ok(())
    }

    /// [`Channel::set_chunk`] with a reusable compression buffer, for bulk builders.
    pub(crate) fn store_chunk(
        &mut self,
        index: usize,
        values: &[T],
        scratch: &mut Vec<u8>,
    ) -> Result<()> {
        self.check_chunk(index, values.len())?;
        let new = ChunkStore::encode(values, &self.cparams, scratch)?;
        if let Some(slot) = self.chunks.get_mut(index) {
            *slot = new;
        }
        Ok(())
    }

    /// Makes chunk `index` lazy with every element `value`.
    ///
    /// # Errors
    /// `InvalidParam` for an index out of range.
    pub fn fill_chunk(&mut self, index: usize, value: T) -> Result<()> {
        let n = self.chunks.len();
        let slot = self
            .chunks
            .get_mut(index)
            .ok_or_else(|| Error::chunk_index(index, n))?;
        *slot = ChunkStore::Fill(value);
        Ok(())
    }

    /// Sets every element to `value`, making every chunk lazy (frees all compressed data).
    pub fn fill(&mut self, value: T) {
        self.chunks.fill(ChunkStore::Fill(value));
    }

    /// The fill value of chunk `index` if it is stored lazily, `None` if it is compressed or
    /// out of range.
    pub fn chunk_fill_value(&self, index: usize) -> Option<T> {
        self.chunks.get(index).and_then(ChunkStore::fill_value)
    }

    /// Whether chunk `index` is stored lazily (a single value).
    pub fn is_chunk_lazy(&self, index: usize) -> bool {
        self.chunk_fill_value(index).is_some()
    }

    /// Number of lazily stored chunks.
    pub fn num_lazy_chunks(&self) -> usize {
        self.chunks
            .iter()
            .filter(|c| c.fill_value().is_some())
            .count()
    }

    /// Compressed size of chunk `index` in bytes (`size_of::<T>()` when lazy).
    pub fn chunk_compressed_bytes(&self, index: usize) -> Option<usize> {
        self.chunks.get(index).map(ChunkStore::cbytes)
    }

    /// The value of pixel `(x, y)`, decoding only the Blosc2 block that holds it.
    ///
    /// # Errors
    /// `InvalidParam` outside the image; `Codec(_)` if the chunk fails to decode.
    pub fn get(&self, x: usize, y: usize) -> Result<T> {
        let (chunk, offset) = self.layout.locate(x, y).ok_or_else(|| {
            Error::param(format!(
                "pixel ({x}, {y}) is outside the {}×{} channel",
                self.width(),
                self.height()
            ))
        })?;
        self.slot(chunk)?.get(offset)
    }

    /// Decompresses the whole channel into `out` (length `width × height`), chunk by chunk.
    ///
    /// # Errors
    /// `InvalidParam` for a buffer of the wrong length; `Codec(_)` on decode failure.
    pub fn decompress_into(&self, out: &mut [T]) -> Result<()> {
        if out.len() != self.num_elements() {
            return Err(Error::param(format!(
                "the channel has {} elements, the buffer {}",
                self.num_elements(),
                out.len()
            )));
        }
        for (chunk, out) in self.chunks.iter().zip(out.chunks_mut(self.chunk_elems())) {
            chunk.decode_into(out, &self.dparams)?;
        }
        Ok(())
    }

    /// The whole channel as a vector (the C++ library's `get_decompressed`).
    ///
    /// # Errors
    /// `LimitExceeded` if the vector cannot be allocated; `Codec(_)` on decode failure.
    pub fn to_vec(&self) -> Result<Vec<T>> {
        let mut out = try_alloc(self.num_elements())?;
        self.decompress_into(&mut out)?;
        Ok(out)
    }

    /// Bytes held by the compressed chunks (a lazy chunk counts as `size_of::<T>()`).
    pub fn compressed_bytes(&self) -> usize {
        self.chunks.iter().map(ChunkStore::cbytes).sum()
    }

    /// Bytes the channel would take uncompressed, `width × height × size_of::<T>()`.
    pub fn uncompressed_bytes(&self) -> usize {
        self.num_elements() * T::TYPESIZE
    }

    /// `uncompressed_bytes / compressed_bytes`.
    pub fn compression_ratio(&self) -> f64 {
        self.uncompressed_bytes() as f64 / self.compressed_bytes().max(1) as f64
    }

    /// Iterates over the chunks, read-only: each item is an owned, decompressed
    /// [`ChunkView`](crate::ChunkView) with `x(i)`/`y(i)` helpers. Iterators of several
    /// channels with one layout can be zipped to walk them in lock-step.
    pub fn chunks(&self) -> Chunks<'_, T> {
        Chunks::new(self)
    }

    /// A lending iterator over mutable chunks; see [`ChunksMut`] for the protocol and how
    /// recompression errors are reported.
    pub fn chunks_mut(&mut self) -> ChunksMut<'_, T> {
        let Channel {
            layout,
            cparams,
            dparams,
            chunks,
            ..
        } = self;
        ChunksMut::new(layout, cparams, dparams, chunks)
    }

    /// Runs `f` on every chunk in order, recompressing the chunks it modified.
    ///
    /// # Errors
    /// The first decode or recompression error; chunks before it keep their edits, the failing
    /// chunk keeps its old content, and later chunks are not visited.
    pub fn for_each_chunk_mut(&mut self, mut f: impl FnMut(&mut ChunkMut<'_, T>)) -> Result<()> {
        let mut it = self.chunks_mut();
        while let Some(mut chunk) = it.next() {
            f(&mut chunk);
        }
        it.finish()
    }

    /// Runs `f` on every chunk, in parallel on rayon's pool with the `parallel` feature (serially
    /// without it). Each worker decodes into its own buffer and recompresses the chunks `f`
    /// modified; the stored result is identical to [`Channel::for_each_chunk_mut`]'s.
    ///
    /// # Errors
    /// A decode or recompression error from some chunk; the chunk that failed keeps its old
    /// content, others may or may not have been edited.
    pub fn par_chunks_mut<F>(&mut self, f: F) -> Result<()>
    where
        F: Fn(&mut ChunkMut<'_, T>) + Sync + Send,
    {
        let Channel {
            layout,
            cparams,
            dparams,
            chunks,
            ..
        } = self;
        crate::iter::par_for_each(layout, cparams, dparams, chunks, f)
    }
}

/// `vec![zero; n]` that reports allocation failure instead of aborting.
pub(crate) fn try_alloc<T: Element>(n: usize) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| Error::limit(format!("cannot allocate {n} elements of {}", T::DTYPE)))?;
    v.resize(n, T::zero());
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::fault;
    use crate::error::ErrorKind;

    fn ramp(n: usize) -> Vec<u16> {
        (0..n).map(|i| (i * 7 % 1000) as u16).collect()
    }

    /// Every observable part of the channel, to compare before and after a failed call.
    fn snapshot(ch: &Channel<u16>) -> (Vec<u16>, usize, Vec<Option<u16>>) {
        let lazy = (0..ch.num_chunks())
            .map(|i| ch.chunk_fill_value(i))
            .collect();
        (ch.to_vec().unwrap(), ch.compressed_bytes(), lazy)
    }

    #[test]
    fn failed_set_chunk_keeps_old_chunk() {
        let data = ramp(40 * 30);
        let mut ch = Channel::from_slice(&data, 40, 30, Params::default().chunk_size(800)).unwrap();
        let before = snapshot(&ch);
        fault::fail_after(0);
        let err = ch
            .set_chunk(1, &vec![5; ch.chunk_len(1).unwrap()])
            .unwrap_err();
        fault::clear();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        assert_eq!(snapshot(&ch), before);
    }

    #[test]
    fn failed_recompression_in_guard_is_reported_and_atomic() {
        let data = ramp(40 * 30);
        let mut ch = Channel::from_slice(&data, 40, 30, Params::default().chunk_size(800)).unwrap();
        let before = snapshot(&ch);
        // Chunk 0 recompresses fine, chunk 1's recompression fails.
        fault::fail_after(1);
        let mut it = ch.chunks_mut();
        let mut visited = 0;
        while let Some(mut chunk) = it.next() {
            chunk.iter_mut().for_each(|v| *v = v.wrapping_add(1));
            visited += 1;
        }
        assert!(it.error().is_some());
        let err = it.finish().unwrap_err();
        fault::clear();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        // Iteration stops at the first error.
        assert_eq!(visited, 2);
        let (after, _, _) = snapshot(&ch);
        let rows = ch.chunk_elems();
        assert!(
            after[..rows]
                .iter()
                .zip(&before.0)
                .all(|(a, b)| *a == b + 1)
        );
        assert_eq!(&after[rows..], &before.0[rows..]);
    }

    #[test]
    fn explicit_commit_returns_the_error() {
        let data = ramp(40 * 30);
        let mut ch = Channel::from_slice(&data, 40, 30, Params::default().chunk_size(800)).unwrap();
        let before = snapshot(&ch);
        let mut it = ch.chunks_mut();
        let mut chunk = it.next().unwrap();
        chunk[0] = 999;
        fault::fail_after(0);
        let err = chunk.commit().unwrap_err();
        fault::clear();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        // The error is also recorded, so the iterator stops and `finish` reports it.
        assert!(it.next().is_none());
        assert_eq!(it.finish().unwrap_err(), err);
        assert_eq!(snapshot(&ch), before);
    }

    #[test]
    fn for_each_chunk_mut_reports_fault() {
        let mut ch = Channel::<u16>::zeros(10, 10, Params::default().chunk_size(20)).unwrap();
        fault::fail_after(3);
        let r = ch.for_each_chunk_mut(|c| c[0] = 1);
        fault::clear();
        assert_eq!(r.unwrap_err().kind(), ErrorKind::LimitExceeded);
        assert_eq!(ch.num_lazy_chunks(), 7);
        for i in 0..3 {
            assert_eq!(ch.get(0, i).unwrap(), 1);
        }
        assert_eq!(ch.get(0, 3).unwrap(), 0);
    }

    #[test]
    fn unmodified_guard_does_not_recompress() {
        let data = ramp(40 * 30);
        let mut ch = Channel::from_slice(&data, 40, 30, Params::default().chunk_size(800)).unwrap();
        // Any encode would fail; reading through the guard must not trigger one.
        fault::fail_after(0);
        let mut sum = 0u64;
        let r = ch.for_each_chunk_mut(|c| sum += c.iter().map(|&v| u64::from(v)).sum::<u64>());
        fault::clear();
        r.unwrap();
        assert_eq!(sum, data.iter().map(|&v| u64::from(v)).sum::<u64>());
    }

    /// The Blosc2 block size in each compressed chunk's header (`None` for lazy chunks).
    fn header_blocksizes(ch: &Channel<u16>) -> Vec<Option<usize>> {
        ch.chunks
            .iter()
            .map(|c| match c {
                ChunkStore::Compressed(b) => {
                    Some(blockcodec::ChunkHeader::parse(b).unwrap().blocksize())
                }
                ChunkStore::Fill(_) => None,
            })
            .collect()
    }

    #[test]
    fn set_block_size_recompresses_every_compressed_chunk() {
        let data = ramp(100 * 90);
        let params = Params::default().block_size(4096).chunk_size(100 * 2 * 20);
        let mut ch = Channel::from_slice(&data, 100, 90, params).unwrap();
        ch.fill_chunk(2, 9).unwrap();
        assert_eq!(
            header_blocksizes(&ch),
            [Some(4000), Some(4000), None, Some(4000), Some(2000)]
        );
        ch.set_block_size(1024).unwrap();
        assert_eq!(ch.params().block_size, 1024);
        assert_eq!(
            header_blocksizes(&ch),
            [Some(1024), Some(1024), None, Some(1024), Some(1024)]
        );
        assert_eq!(ch.chunk_fill_value(2), Some(9));
        let mut expected = data.clone();
        expected[2 * 2000..3 * 2000].fill(9);
        assert_eq!(ch.to_vec().unwrap(), expected);
        // Chunks written later use the new block size too.
        ch.set_chunk(2, &data[2 * 2000..3 * 2000]).unwrap();
        assert_eq!(header_blocksizes(&ch)[2], Some(1024));
        assert_eq!(ch.to_vec().unwrap(), data);
        // 0 lets the codec choose (here: the whole 4000-byte chunk).
        ch.set_block_size(0).unwrap();
        assert_eq!(header_blocksizes(&ch)[0], Some(4000));
        assert_eq!(ch.to_vec().unwrap(), data);
        // The copy leaves the original alone.
        let copy = ch.with_block_size(512).unwrap();
        assert_eq!(header_blocksizes(&copy)[0], Some(512));
        assert_eq!(header_blocksizes(&ch)[0], Some(4000));
        assert_eq!(copy.to_vec().unwrap(), data);
    }

    #[test]
    fn set_block_size_of_the_current_size_does_not_recompress() {
        let data = ramp(40 * 30);
        let mut ch = Channel::from_slice(&data, 40, 30, Params::default().chunk_size(800)).unwrap();
        fault::fail_after(0);
        let r = ch.set_block_size(crate::params::DEFAULT_BLOCK_SIZE);
        fault::clear();
        r.unwrap();
        assert_eq!(ch.to_vec().unwrap(), data);
    }

    #[test]
    fn failed_set_block_size_leaves_the_channel_unchanged() {
        let data = ramp(40 * 30);
        let mut ch = Channel::from_slice(&data, 40, 30, Params::default().chunk_size(800)).unwrap();
        ch.fill_chunk(1, 3).unwrap();
        let before = snapshot(&ch);
        let blocksizes = header_blocksizes(&ch);
        // The second compressed chunk's recompression fails.
        fault::fail_after(1);
        let err = ch.set_block_size(256).unwrap_err();
        fault::clear();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        assert_eq!(snapshot(&ch), before);
        assert_eq!(header_blocksizes(&ch), blocksizes);
        assert_eq!(ch.params().block_size, crate::params::DEFAULT_BLOCK_SIZE);
    }

    #[test]
    fn compressed_chunks_have_no_spare_capacity() {
        let data = ramp(300 * 200);
        let ch =
            Channel::from_slice(&data, 300, 200, Params::default().chunk_size(30_000)).unwrap();
        for c in &ch.chunks {
            if let ChunkStore::Compressed(b) = c {
                let h = blockcodec::ChunkHeader::parse(b).unwrap();
                assert_eq!(h.cbytes(), b.len());
            }
        }
    }
}
