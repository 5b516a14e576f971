//! Chunk-wise iteration: owned read-only views, and write guards that recompress on drop.

use std::iter::FusedIterator;
use std::ops::{Deref, DerefMut, Range};

use blockcodec::{CParams, DParams};

use crate::channel::{Channel, try_alloc};
use crate::chunk::ChunkStore;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::layout::ChunkLayout;

/// Where a chunk sits in its channel. Chunks are whole scanlines, so a chunk starts at `x = 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Geom {
    index: usize,
    width: usize,
    y0: usize,
    len: usize,
}

impl Geom {
    fn new(layout: &ChunkLayout, index: usize) -> Option<Geom> {
        let rows = layout.chunk_y_range(index)?;
        Some(Geom {
            index,
            width: layout.width(),
            y0: rows.start,
            len: rows.len() * layout.width(),
        })
    }
}

/// The coordinate helpers shared by [`ChunkView`] and [`ChunkMut`].
macro_rules! geometry_methods {
    () => {
        /// Index of the chunk in its channel.
        pub fn index(&self) -> usize {
            self.geom.index
        }

        /// Channel index of element 0 of this chunk (`chunk_index × chunk_elems`).
        pub fn start(&self) -> usize {
            self.geom.y0 * self.geom.width
        }

        /// Column of element `i` of this chunk: `(start + i) % width`.
        pub fn x(&self, i: usize) -> usize {
            i % self.geom.width
        }

        /// Row of element `i` of this chunk: `(start + i) / width`.
        pub fn y(&self, i: usize) -> usize {
            self.geom.y0 + i / self.geom.width
        }

        /// `(x(i), y(i))`.
        pub fn xy(&self, i: usize) -> (usize, usize) {
            (self.x(i), self.y(i))
        }

        /// The rows this chunk covers.
        pub fn y_range(&self) -> Range<usize> {
            self.geom.y0..self.geom.y0 + self.geom.len / self.geom.width
        }

        /// Width of the channel (and of every row of the chunk).
        pub fn width(&self) -> usize {
            self.geom.width
        }

        /// The chunk's rows as `(y, row)`.
        pub fn rows(&self) -> impl ExactSizeIterator<Item = (usize, &[T])> + '_ {
            let y0 = self.geom.y0;
            self.data
                .chunks_exact(self.geom.width)
                .enumerate()
                .map(move |(r, row)| (y0 + r, row))
        }

        /// The chunk's elements as `(x, y, &value)`.
        pub fn pixels(&self) -> impl Iterator<Item = (usize, usize, &T)> + '_ {
            self.rows()
                .flat_map(|(y, row)| row.iter().enumerate().map(move |(x, v)| (x, y, v)))
        }
    };
}

/// One decompressed chunk, owned: a `Vec<T>` plus its position in the channel. Derefs to `[T]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkView<T> {
    geom: Geom,
    data: Vec<T>,
}

impl<T: Element> ChunkView<T> {
    geometry_methods!();

    /// The values, giving up the position.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }
}

impl<T> Deref for ChunkView<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.data
    }
}

/// Iterator over a channel's chunks as owned [`ChunkView`]s; see [`Channel::chunks`].
///
/// Each item allocates its chunk buffer; to reuse one buffer, call [`Channel::get_chunk`] in a
/// loop instead.
#[derive(Clone, Debug)]
pub struct Chunks<'a, T: Element> {
    channel: &'a Channel<T>,
    indices: Range<usize>,
}

impl<'a, T: Element> Chunks<'a, T> {
    pub(crate) fn new(channel: &'a Channel<T>) -> Self {
        Chunks {
            channel,
            indices: 0..channel.num_chunks(),
        }
    }

    fn view(&self, index: usize) -> Result<ChunkView<T>> {
        let geom = Geom::new(self.channel.layout(), index)
            .ok_or_else(|| Error::chunk_index(index, self.channel.num_chunks()))?;
        let mut data = try_alloc(geom.len)?;
        self.channel.get_chunk(index, &mut data)?;
        Ok(ChunkView { geom, data })
    }
}

impl<T: Element> Iterator for Chunks<'_, T> {
    type Item = Result<ChunkView<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.indices.next().map(|i| self.view(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.indices.size_hint()
    }
}

impl<T: Element> DoubleEndedIterator for Chunks<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.indices.next_back().map(|i| self.view(i))
    }
}

impl<T: Element> ExactSizeIterator for Chunks<'_, T> {}
impl<T: Element> FusedIterator for Chunks<'_, T> {}

/// A write guard over one decompressed chunk. Derefs to `&mut [T]`; knows its
/// [`index`](ChunkMut::index) and the `x(i)`/`y(i)` of each element.
///
/// Mutable access (`DerefMut`, [`pixels_mut`](ChunkMut::pixels_mut),
/// [`rows_mut`](ChunkMut::rows_mut)) marks the chunk modified; a modified chunk is recompressed
/// when the guard is dropped or [`commit`](ChunkMut::commit)ted — stored lazily if all its
/// values are equal. An unmodified chunk is never recompressed.
///
/// `Drop` cannot return an error, so a failed recompression on drop is recorded in the owner
/// (the [`ChunksMut`] iterator, or the `for_each`/`par_chunks_mut` call, which return it); the
/// chunk then keeps its old content. Use [`commit`](ChunkMut::commit) to get the error right
/// there.
pub struct ChunkMut<'a, T: Element> {
    geom: Geom,
    data: &'a mut [T],
    slot: &'a mut ChunkStore<T>,
    cparams: &'a CParams,
    scratch: &'a mut Vec<u8>,
    error: &'a mut Option<Error>,
    dirty: bool,
}

impl<T: Element> ChunkMut<'_, T> {
    geometry_methods!();

    /// Whether the chunk was accessed mutably (and so will be recompressed).
    pub fn is_modified(&self) -> bool {
        self.dirty
    }

    /// The chunk's rows as `(y, &mut row)`; marks the chunk modified.
    pub fn rows_mut(&mut self) -> impl ExactSizeIterator<Item = (usize, &mut [T])> + '_ {
        self.dirty = true;
        let y0 = self.geom.y0;
        self.data
            .chunks_exact_mut(self.geom.width)
            .enumerate()
            .map(move |(r, row)| (y0 + r, row))
    }

    /// The chunk's elements as `(x, y, &mut value)`; marks the chunk modified.
    pub fn pixels_mut(&mut self) -> impl Iterator<Item = (usize, usize, &mut T)> + '_ {
        self.rows_mut()
            .flat_map(|(y, row)| row.iter_mut().enumerate().map(move |(x, v)| (x, y, v)))
    }

    /// Recompresses now if modified, returning any error (which is also recorded in the owner,
    /// like an error on drop). On error the chunk keeps its old content.
    ///
    /// # Errors
    /// A compression error.
    pub fn commit(mut self) -> Result<()> {
        self.commit_inner()
    }

    fn commit_inner(&mut self) -> Result<()> {
        if !std::mem::take(&mut self.dirty) {
            return Ok(());
        }
        // Build the new chunk completely, then swap: a failure leaves the slot untouched.
        match ChunkStore::encode(self.data, self.cparams, self.scratch) {
            Ok(new) => {
                *self.slot = new;
                Ok(())
            }
            Err(e) => {
                if self.error.is_none() {
                    *self.error = Some(e.clone());
                }
                Err(e)
            }
        }
    }
}

impl<T: Element> std::fmt::Debug for ChunkMut<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkMut")
            .field("index", &self.geom.index)
            .field("len", &self.geom.len)
            .field("y_range", &self.y_range())
            .field("modified", &self.dirty)
            .finish()
    }
}

impl<T: Element> Deref for ChunkMut<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.data
    }
}

impl<T: Element> DerefMut for ChunkMut<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.dirty = true;
        self.data
    }
}

impl<T: Element> Drop for ChunkMut<'_, T> {
    fn drop(&mut self) {
        // The error, if any, is recorded in `self.error` for the owner to report.
        let _ = self.commit_inner();
    }
}

/// Decodes chunk `index` into `buffer`, resized to the chunk's length (capacity is reused).
fn load<T: Element>(
    layout: &ChunkLayout,
    index: usize,
    slot: &ChunkStore<T>,
    buffer: &mut Vec<T>,
    dparams: &DParams,
) -> Result<Geom> {
    let geom =
        Geom::new(layout, index).ok_or_else(|| Error::chunk_index(index, layout.num_chunks()))?;
    buffer.resize(geom.len, T::zero());
    slot.decode_into(buffer, dparams)?;
    Ok(geom)
}

/// A lending iterator over a channel's chunks as [`ChunkMut`] guards; see
/// [`Channel::chunks_mut`].
///
/// One decompression buffer and one compression buffer are reused for all chunks. Each guard
/// borrows the iterator, so only one chunk is open at a time:
///
/// ```
/// use compressed_image::{Channel, Params};
///
/// let mut ch = Channel::<f32>::zeros(256, 256, Params::default().chunk_size(64 << 10))?;
/// let mut it = ch.chunks_mut();
/// while let Some(mut chunk) = it.next() {
///     for (x, y, v) in chunk.pixels_mut() {
///         *v = (x + y) as f32;
///     }
/// } // each guard recompresses its chunk as it goes out of scope
/// it.finish()?; // reports a recompression error, if any happened
/// assert_eq!(ch.get(3, 200)?, 203.0);
/// # Ok::<(), compressed_image::Error>(())
/// ```
///
/// Errors: decoding a chunk or recompressing a modified one can fail (in practice only on
/// allocation failure or a codec bug). The first error is recorded, iteration stops (`next`
/// returns `None`), and [`finish`](ChunksMut::finish) returns it; [`error`](ChunksMut::error)
/// peeks at it. The chunk whose recompression failed keeps its old content; chunks committed
/// before it keep their edits. Dropping the iterator without calling `finish` discards the
/// error, hence `#[must_use]`.
#[must_use = "call `finish()` to learn whether every modified chunk was recompressed"]
pub struct ChunksMut<'a, T: Element> {
    layout: &'a ChunkLayout,
    cparams: &'a CParams,
    dparams: &'a DParams,
    chunks: &'a mut [ChunkStore<T>],
    buffer: Vec<T>,
    scratch: Vec<u8>,
    next: usize,
    error: Option<Error>,
}

impl<'a, T: Element> ChunksMut<'a, T> {
    pub(crate) fn new(
        layout: &'a ChunkLayout,
        cparams: &'a CParams,
        dparams: &'a DParams,
        chunks: &'a mut [ChunkStore<T>],
    ) -> Self {
        ChunksMut {
            layout,
            cparams,
            dparams,
            chunks,
            buffer: Vec::new(),
            scratch: Vec::new(),
            next: 0,
            error: None,
        }
    }

    /// Opens the next chunk, after the previous guard was dropped (and so recompressed).
    /// `None` at the end or once an error has been recorded.
    // A lending iterator cannot implement `Iterator`: each item borrows the iterator's buffer.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<ChunkMut<'_, T>> {
        if self.error.is_some() {
            return None;
        }
        let index = self.next;
        let slot = self.chunks.get_mut(index)?;
        self.next += 1;
        let geom = match load(self.layout, index, slot, &mut self.buffer, self.dparams) {
            Ok(geom) => geom,
            Err(e) => {
                self.error = Some(e);
                return None;
            }
        };
        Some(ChunkMut {
            geom,
            data: &mut self.buffer,
            slot,
            cparams: self.cparams,
            scratch: &mut self.scratch,
            error: &mut self.error,
            dirty: false,
        })
    }

    /// Chunks not yet opened.
    pub fn remaining(&self) -> usize {
        self.chunks.len().saturating_sub(self.next)
    }

    /// The first error recorded so far, if any.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Ends the iteration, returning the first recorded error.
    ///
    /// # Errors
    /// The first decode or recompression error that occurred.
    pub fn finish(self) -> Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

impl<T: Element> std::fmt::Debug for ChunksMut<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunksMut")
            .field("next", &self.next)
            .field("num_chunks", &self.chunks.len())
            .field("error", &self.error)
            .finish()
    }
}

/// Opens chunk `index` in `buffer`, runs `f` on its guard, and recompresses it if modified.
#[allow(clippy::too_many_arguments)]
fn edit_one<T: Element>(
    layout: &ChunkLayout,
    cparams: &CParams,
    dparams: &DParams,
    index: usize,
    slot: &mut ChunkStore<T>,
    buffer: &mut Vec<T>,
    scratch: &mut Vec<u8>,
    f: &(impl Fn(&mut ChunkMut<'_, T>) + ?Sized),
) -> Result<()> {
    let geom = load(layout, index, slot, buffer, dparams)?;
    let mut error = None;
    let mut guard = ChunkMut {
        geom,
        data: buffer,
        slot,
        cparams,
        scratch,
        error: &mut error,
        dirty: false,
    };
    f(&mut guard);
    drop(guard);
    error.map_or(Ok(()), Err)
}

/// [`Channel::par_chunks_mut`]: one task per chunk on rayon's pool.
///
/// Buffers come from a pool local to the call: a task pops a (decode, compress) buffer pair,
/// or makes one, and pushes it back when done, so at most one pair exists per running task.
/// (`try_for_each_init` would make a pair per work split, and splits nest on a thread when it
/// steals work, which multiplied peak memory.)
#[cfg(feature = "parallel")]
pub(crate) fn par_for_each<T, F>(
    layout: &ChunkLayout,
    cparams: &CParams,
    dparams: &DParams,
    chunks: &mut [ChunkStore<T>],
    f: F,
) -> Result<()>
where
    T: Element,
    F: Fn(&mut ChunkMut<'_, T>) + Sync + Send,
{
    use rayon::prelude::*;
    use std::sync::Mutex;

    type Buffers<T> = (Vec<T>, Vec<u8>);
    let pool: Mutex<Vec<Buffers<T>>> = Mutex::new(Vec::new());
    chunks
        .par_iter_mut()
        .enumerate()
        .try_for_each(|(index, slot)| {
            // The lock is never held while `f` runs, so a panicking `f` cannot poison it; if it
            // were poisoned anyway, tasks just allocate fresh buffers.
            let (mut buffer, mut scratch) = pool
                .lock()
                .ok()
                .and_then(|mut p| p.pop())
                .unwrap_or_default();
            let result = edit_one(
                layout,
                cparams,
                dparams,
                index,
                slot,
                &mut buffer,
                &mut scratch,
                &f,
            );
            if let Ok(mut p) = pool.lock() {
                p.push((buffer, scratch));
            }
            result
        })
}

/// Serial [`Channel::par_chunks_mut`] for builds without the `parallel` feature.
#[cfg(not(feature = "parallel"))]
pub(crate) fn par_for_each<T, F>(
    layout: &ChunkLayout,
    cparams: &CParams,
    dparams: &DParams,
    chunks: &mut [ChunkStore<T>],
    f: F,
) -> Result<()>
where
    T: Element,
    F: Fn(&mut ChunkMut<'_, T>) + Sync + Send,
{
    let (mut buffer, mut scratch) = (Vec::new(), Vec::new());
    for (index, slot) in chunks.iter_mut().enumerate() {
        edit_one(
            layout,
            cparams,
            dparams,
            index,
            slot,
            &mut buffer,
            &mut scratch,
            &f,
        )?;
    }
    Ok(())
}
