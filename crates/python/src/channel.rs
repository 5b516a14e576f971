//! `compressed_image.Channel`: one compressed image plane, and its chunk iterator.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use compressed_image::{Channel, ChunkLayout, Params};
use numpy::prelude::*;
use numpy::{PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::dtype::{AnyChannel, DType, Elem, dispatch, unsupported, with_dtype};
use crate::errors::{self, to_py};
use crate::{PyCodec, make_params, non_negative};

/// One ``width × height`` image plane of one dtype, kept as independently compressed chunks of
/// whole scanlines (LZ4 level 9 with byte shuffle, 4 MiB chunks of 32 KiB blocks by default).
///
/// ``Channel(data, width, height, compression_codec=Codec.lz4, compression_level=9,
/// block_size=32768, chunk_size=4194304)`` compresses ``data``, a NumPy array of ``width ×
/// height`` elements: 1-D, or 2-D of shape ``(height, width)``. Its dtype (float16, float32,
/// float64, uint8, int8, uint16, int16, uint32 or int32) becomes the channel's. The chunk size
/// is in bytes and rounded down to whole scanlines (at least one).
///
/// Chunks whose elements are all equal are stored as that one value ("lazy"), so
/// ``Channel.zeros`` costs almost nothing until chunks are written. Compression and
/// decompression release the GIL; a channel can be read from many threads at once, and writes
/// wait for reads in progress.
#[pyclass(module = "compressed_image", name = "Channel", frozen)]
pub(crate) struct PyChannel {
    dtype: DType,
    /// Immutable for the channel's life, so read without the lock.
    layout: ChunkLayout,
    /// As built: codec, level and filter never change; `nthreads` and `block_size` may, and
    /// are read from the channel itself.
    params: Params,
    /// Locked only while detached from the interpreter (see the crate docs).
    inner: RwLock<AnyChannel>,
}

impl PyChannel {
    pub(crate) fn new(channel: AnyChannel) -> Self {
        let (layout, params) = dispatch!(&channel, c => (*c.layout(), c.params().clone()));
        PyChannel {
            dtype: channel.dtype(),
            layout,
            params,
            inner: RwLock::new(channel),
        }
    }

    pub(crate) fn dtype(&self) -> DType {
        self.dtype
    }

    pub(crate) fn size(&self) -> (usize, usize) {
        (self.layout.width(), self.layout.height())
    }

    /// Shared access; call only while detached. A poisoned lock is taken over: every write
    /// replaces a chunk completely or not at all, so the channel is consistent.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, AnyChannel> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Exclusive access; call only while detached.
    fn write(&self) -> RwLockWriteGuard<'_, AnyChannel> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the channel with the GIL released.
    pub(crate) fn with_read<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&AnyChannel) -> R + Send,
    ) -> R {
        py.detach(|| f(&self.read()))
    }

    /// A chunk index, negative ones counting from the end, checked against the chunk count.
    fn resolve(&self, index: isize) -> PyResult<usize> {
        let n = self.layout.num_chunks();
        let i = if index < 0 {
            n.checked_sub(index.unsigned_abs())
        } else {
            usize::try_from(index).ok()
        };
        i.filter(|i| *i < n)
            .ok_or_else(|| errors::chunk_index(index, n))
    }

    /// Elements in chunk `index` (already resolved).
    fn chunk_len(&self, index: usize) -> PyResult<usize> {
        self.layout
            .chunk_len(index)
            .ok_or_else(|| errors::internal("unchecked chunk index"))
    }

    /// Compresses a 1-D or 2-D array of `width × height` elements. With `expected`, the
    /// array's dtype must be that one.
    pub(crate) fn from_array(
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        width: usize,
        height: usize,
        params: Params,
        expected: Option<DType>,
    ) -> PyResult<Self> {
        let array = as_ndarray(data)?;
        let dtype = array_dtype(&array)?;
        if let Some(expected) = expected.filter(|e| *e != dtype) {
            return Err(PyValueError::new_err(format!(
                "the array has dtype {}, expected {}",
                dtype.name(),
                expected.name()
            )));
        }
        check_shape(&array, width, height)?;
        let array = contiguous(&array)?;
        with_dtype!(dtype, T => {
            let ro = readonly::<T>(&array)?;
            let values = as_slice(&ro)?;
            let channel = py
                .detach(|| Channel::from_slice(values, width, height, params))
                .map_err(to_py)?;
            Ok(PyChannel::new(T::wrap(channel)))
        })
    }

    /// Decompresses chunk `index` into a new array, or into `out` (checked).
    fn get_chunk_t<'py, T: Elem>(
        &self,
        py: Python<'py>,
        index: usize,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let len = self.chunk_len(index)?;
        let array = match out {
            None => empty::<T>(py, &[len])?,
            Some(obj) => {
                let array = writable_array::<T>(obj, self.dtype)?;
                if array.len() != len {
                    return Err(PyValueError::new_err(format!(
                        "chunk {index} holds {len} elements, the array has {}",
                        array.len()
                    )));
                }
                array
            }
        };
        {
            let mut rw = array
                .try_readwrite()
                .map_err(|e| PyValueError::new_err(format!("cannot write to the array: {e}")))?;
            let out = rw
                .as_slice_mut()
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            py.detach(|| {
                let guard = self.read();
                typed::<T>(&guard)?.get_chunk(index, out).map_err(to_py)
            })?;
        }
        Ok(array.into_any())
    }

    /// Compresses `data` (the chunk's elements) into chunk `index`.
    fn set_chunk_t<T: Elem>(
        &self,
        py: Python<'_>,
        index: usize,
        array: &Bound<'_, PyUntypedArray>,
    ) -> PyResult<()> {
        let ro = readonly::<T>(array)?;
        let values = as_slice(&ro)?;
        py.detach(|| {
            let mut guard = self.write();
            T::channel_mut(&mut guard)
                .ok_or_else(|| errors::internal("channel dtype mismatch"))?
                .set_chunk(index, values)
                .map_err(to_py)
        })
    }

    fn get_decompressed_t<'py, T: Elem>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let array = empty::<T>(py, &[self.layout.height(), self.layout.width()])?;
        {
            let mut rw = array
                .try_readwrite()
                .map_err(|e| PyValueError::new_err(format!("cannot write to the array: {e}")))?;
            let out = rw
                .as_slice_mut()
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            py.detach(|| {
                let guard = self.read();
                typed::<T>(&guard)?.decompress_into(out).map_err(to_py)
            })?;
        }
        Ok(array.into_any())
    }

    /// `update_nthreads` for this channel: sets the codec threads and, when `block_size`
    /// differs from the channel's, recompresses every chunk with blocks of that size (with
    /// the new thread count). On error the channel is unchanged.
    pub(crate) fn set_nthreads(
        &self,
        py: Python<'_>,
        nthreads: usize,
        block_size: Option<usize>,
    ) -> PyResult<()> {
        py.detach(|| {
            let mut guard = self.write();
            update(&mut guard, nthreads, block_size)
        })
    }

    fn nthreads_now(&self, py: Python<'_>) -> usize {
        self.with_read(py, |c| dispatch!(c, c => c.params().nthreads))
    }

    fn block_size_now(&self, py: Python<'_>) -> usize {
        self.with_read(py, |c| dispatch!(c, c => c.params().block_size))
    }

    /// `(compressed_bytes, uncompressed_bytes, lazy chunks)`.
    pub(crate) fn sizes(&self, py: Python<'_>) -> (usize, usize, usize) {
        self.with_read(py, |c| {
            dispatch!(c, c => (c.compressed_bytes(), c.uncompressed_bytes(), c.num_lazy_chunks()))
        })
    }

    /// One line of `Image.print_statistics`.
    pub(crate) fn statistics_row(&self, py: Python<'_>, name: &str) -> String {
        let (cbytes, nbytes, lazy) = self.sizes(py);
        let block = self.block_size_now(py);
        format!(
            "  {name:<12} {codec:<7} {level:>5} {block:>10} {chunk:>10} {chunks:>6} {lazy:>5} \
             {cbytes:>16} {ratio:>8.2}",
            codec = self.params.codec.name(),
            level = self.params.clevel,
            chunk = self.layout.chunk_bytes(),
            chunks = self.layout.num_chunks(),
            ratio = ratio(nbytes, cbytes),
        )
    }
}

/// `uncompressed / compressed` (1.0 for an empty channel set).
pub(crate) fn ratio(uncompressed: usize, compressed: usize) -> f64 {
    if uncompressed == 0 {
        return 1.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let r = uncompressed as f64 / compressed.max(1) as f64;
    r
}

#[pymethods]
impl PyChannel {
    #[new]
    #[pyo3(
        signature = (data, width, height, compression_codec=None, compression_level=9,
                     block_size=32768, chunk_size=4194304),
        text_signature = "(data, width, height, compression_codec=Codec.lz4, \
                          compression_level=9, block_size=32768, chunk_size=4194304)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        width: i64,
        height: i64,
        compression_codec: Option<&Bound<'_, PyAny>>,
        compression_level: i64,
        block_size: i64,
        chunk_size: i64,
    ) -> PyResult<Self> {
        let params = make_params(compression_codec, compression_level, block_size, chunk_size)?;
        let (width, height) = (
            non_negative("width", width)?,
            non_negative("height", height)?,
        );
        PyChannel::from_array(py, data, width, height, params, None)
    }

    /// ``Channel.zeros(dtype, width, height, compression_codec=Codec.lz4,
    /// compression_level=9, block_size=32768, chunk_size=4194304)``: a lazy channel of zeros;
    /// no chunk is compressed or allocated until it is written.
    #[staticmethod]
    #[pyo3(
        signature = (dtype, width, height, compression_codec=None, compression_level=9,
                     block_size=32768, chunk_size=4194304),
        text_signature = "(dtype, width, height, compression_codec=Codec.lz4, \
                          compression_level=9, block_size=32768, chunk_size=4194304)"
    )]
    fn zeros(
        dtype: &Bound<'_, PyAny>,
        width: i64,
        height: i64,
        compression_codec: Option<&Bound<'_, PyAny>>,
        compression_level: i64,
        block_size: i64,
        chunk_size: i64,
    ) -> PyResult<Self> {
        let dtype = DType::from_py(dtype)?;
        let params = make_params(compression_codec, compression_level, block_size, chunk_size)?;
        let (width, height) = (
            non_negative("width", width)?,
            non_negative("height", height)?,
        );
        with_dtype!(dtype, T => {
            let channel = Channel::<T>::zeros(width, height, params).map_err(to_py)?;
            Ok(PyChannel::new(T::wrap(channel)))
        })
    }

    /// ``Channel.full(dtype, fill_value, width, height, ...)``: a lazy channel whose every
    /// element is ``fill_value`` (integers must fit the dtype; floats are rounded to it).
    #[staticmethod]
    #[pyo3(
        signature = (dtype, fill_value, width, height, compression_codec=None,
                     compression_level=9, block_size=32768, chunk_size=4194304),
        text_signature = "(dtype, fill_value, width, height, compression_codec=Codec.lz4, \
                          compression_level=9, block_size=32768, chunk_size=4194304)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn full(
        dtype: &Bound<'_, PyAny>,
        fill_value: &Bound<'_, PyAny>,
        width: i64,
        height: i64,
        compression_codec: Option<&Bound<'_, PyAny>>,
        compression_level: i64,
        block_size: i64,
        chunk_size: i64,
    ) -> PyResult<Self> {
        let dtype = DType::from_py(dtype)?;
        let params = make_params(compression_codec, compression_level, block_size, chunk_size)?;
        let (width, height) = (
            non_negative("width", width)?,
            non_negative("height", height)?,
        );
        with_dtype!(dtype, T => {
            let value = T::from_py(fill_value)?;
            let channel = Channel::<T>::full(width, height, value, params).map_err(to_py)?;
            Ok(PyChannel::new(T::wrap(channel)))
        })
    }

    /// A lazy channel of zeros with the dtype, size and compression parameters of ``other``.
    #[staticmethod]
    fn zeros_like(py: Python<'_>, other: &Bound<'_, PyChannel>) -> Self {
        let other = other.get();
        let channel = other.with_read(
            py,
            |c| dispatch!(c, c => Elem::wrap(Channel::zeros_like(c))),
        );
        PyChannel::new(channel)
    }

    /// A lazy channel of ``fill_value`` with the dtype, size and compression parameters of
    /// ``other``.
    #[staticmethod]
    fn full_like(
        py: Python<'_>,
        other: &Bound<'_, PyChannel>,
        fill_value: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let other = other.get();
        with_dtype!(other.dtype, T => {
            let value = T::from_py(fill_value)?;
            let channel = other.with_read(py, |c| {
                typed::<T>(c).map(|c| T::wrap(Channel::full_like(c, value)))
            })?;
            Ok(PyChannel::new(channel))
        })
    }

    /// ``get_chunk(chunk_index, array=None)``: chunk ``chunk_index`` decompressed, as a new
    /// 1-D array of ``chunk_elems(chunk_index)`` elements, or into ``array`` (a writable,
    /// C-contiguous array of the channel's dtype with exactly that many elements), which is
    /// returned. Negative indices count from the end.
    #[pyo3(signature = (chunk_index, array=None))]
    fn get_chunk<'py>(
        &self,
        py: Python<'py>,
        chunk_index: isize,
        array: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let index = self.resolve(chunk_index)?;
        with_dtype!(self.dtype, T => self.get_chunk_t::<T>(py, index, array))
    }

    /// ``set_chunk(chunk_index, array)``: replaces chunk ``chunk_index`` with ``array``, which
    /// has the channel's dtype and ``chunk_elems(chunk_index)`` elements (1-D, or 2-D of whole
    /// rows). A chunk whose elements are all equal is stored as one value.
    fn set_chunk(
        &self,
        py: Python<'_>,
        chunk_index: isize,
        array: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let index = self.resolve(chunk_index)?;
        let len = self.chunk_len(index)?;
        let array = as_ndarray(array)?;
        let dtype = array_dtype(&array)?;
        if dtype != self.dtype {
            return Err(PyValueError::new_err(format!(
                "the array has dtype {}, the channel {}",
                dtype.name(),
                self.dtype.name()
            )));
        }
        let whole_rows = match array.shape() {
            [_] => true,
            [_, w] => *w == self.layout.width(),
            _ => false,
        };
        if !whole_rows || array.len() != len {
            return Err(PyValueError::new_err(format!(
                "chunk {index} holds {len} elements ({} rows of {}), the array has shape {}",
                len / self.layout.width().max(1),
                self.layout.width(),
                py_shape(array.shape())
            )));
        }
        let array = contiguous(&array)?;
        with_dtype!(self.dtype, T => self.set_chunk_t::<T>(py, index, &array))
    }

    /// The whole channel decompressed, as a 2-D array of shape ``(height, width)``.
    fn get_decompressed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        with_dtype!(self.dtype, T => self.get_decompressed_t::<T>(py))
    }

    /// An iterator over the chunks, each decompressed into a new 1-D array:
    /// ``for chunk in channel.chunks(): ...``.
    fn chunks(slf: &Bound<'_, Self>) -> ChunkIterator {
        ChunkIterator {
            channel: slf.clone().unbind(),
            next: 0,
        }
    }

    /// Number of chunks.
    fn num_chunks(&self) -> usize {
        self.layout.num_chunks()
    }

    /// ``chunk_elems()``: elements in a full chunk (a buffer of this size holds any chunk);
    /// ``chunk_elems(i)``: elements in chunk ``i`` (the last chunk may be shorter).
    #[pyo3(signature = (chunk_index=None))]
    fn chunk_elems(&self, chunk_index: Option<isize>) -> PyResult<usize> {
        match chunk_index {
            None => Ok(self.layout.chunk_elems()),
            Some(i) => self.chunk_len(self.resolve(i)?),
        }
    }

    /// ``chunk_size()``: bytes in a full chunk (the requested chunk size rounded down to whole
    /// scanlines); ``chunk_size(i)``: bytes in chunk ``i``.
    #[pyo3(signature = (chunk_index=None))]
    fn chunk_size(&self, chunk_index: Option<isize>) -> PyResult<usize> {
        Ok(self.chunk_elems(chunk_index)? * self.dtype.itemsize())
    }

    /// Bytes per Blosc2 block inside a chunk, as requested (0: chosen by the codec).
    fn block_size(&self, py: Python<'_>) -> usize {
        self.block_size_now(py)
    }

    /// Bytes held by the compressed chunks (a lazy chunk counts as one element).
    fn compressed_bytes(&self, py: Python<'_>) -> usize {
        self.sizes(py).0
    }

    /// Number of elements, ``width × height``.
    fn uncompressed_size(&self) -> usize {
        self.layout.num_elements()
    }

    /// Uncompressed bytes divided by compressed bytes.
    fn compression_ratio(&self, py: Python<'_>) -> f64 {
        let (cbytes, nbytes, _) = self.sizes(py);
        ratio(nbytes, cbytes)
    }

    /// The codec of the chunks.
    fn compression(&self) -> PyResult<PyCodec> {
        PyCodec::from_codec(self.params.codec)
    }

    /// The compression level, 0 to 9.
    fn compression_level(&self) -> u8 {
        self.params.clevel
    }

    /// Threads the codec uses for the blocks of one chunk.
    fn nthreads(&self, py: Python<'_>) -> usize {
        self.nthreads_now(py)
    }

    /// ``update_nthreads(nthreads, block_size=None)``: threads the codec uses for the blocks
    /// of one chunk from now on (default 1; parallelise across chunks or channels instead
    /// where you can). A ``block_size`` other than the channel's (see ``block_size()``)
    /// recompresses every chunk with Blosc2 blocks of that many bytes (0: the codec
    /// chooses), and chunks written later use it too; lazy chunks stay lazy. ``None`` (the
    /// default, unlike the C++ module's 32768) keeps the block size, so changing the thread
    /// count never recompresses. On error the channel is unchanged.
    #[pyo3(signature = (nthreads, block_size=None))]
    fn update_nthreads(
        &self,
        py: Python<'_>,
        nthreads: i64,
        block_size: Option<i64>,
    ) -> PyResult<()> {
        let nthreads = non_negative("nthreads", nthreads)?;
        let block_size = block_size
            .map(|b| non_negative("block_size", b))
            .transpose()?;
        self.set_nthreads(py, nthreads, block_size)
    }

    /// The NumPy dtype of the elements.
    #[getter(dtype)]
    fn py_dtype<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArrayDescr> {
        self.dtype.descr(py)
    }

    /// ``(height, width)``, as NumPy orders a 2-D image.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.layout.height(), self.layout.width())
    }

    /// Width in pixels.
    #[getter]
    fn width(&self) -> usize {
        self.layout.width()
    }

    /// Height in pixels.
    #[getter]
    fn height(&self) -> usize {
        self.layout.height()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let (cbytes, _, _) = self.sizes(py);
        format!(
            "Channel(dtype={}, width={}, height={}, num_chunks={}, compression=Codec.{}, \
             compression_level={}, compressed_bytes={cbytes})",
            self.dtype.name(),
            self.layout.width(),
            self.layout.height(),
            self.layout.num_chunks(),
            self.params.codec.name(),
            self.params.clevel,
        )
    }
}

/// Iterator over a channel's chunks (``Channel.chunks()``): each item is a new 1-D array.
#[pyclass(module = "compressed_image", name = "ChunkIterator")]
pub(crate) struct ChunkIterator {
    channel: Py<PyChannel>,
    next: usize,
}

#[pymethods]
impl ChunkIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let channel = self.channel.get();
        if self.next >= channel.layout.num_chunks() {
            return Ok(None);
        }
        let index = self.next;
        self.next += 1;
        with_dtype!(channel.dtype, T => channel.get_chunk_t::<T>(py, index, None)).map(Some)
    }

    fn __length_hint__(&self) -> usize {
        self.channel
            .get()
            .layout
            .num_chunks()
            .saturating_sub(self.next)
    }
}

/// A shape as Python prints it: `(2, 3)`, `(5,)`.
fn py_shape(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The typed channel inside `any`.
pub(crate) fn typed<T: Elem>(any: &AnyChannel) -> PyResult<&Channel<T>> {
    T::channel(any).ok_or_else(|| errors::internal("channel dtype mismatch"))
}

/// `obj` as a NumPy array; other array-likes go through `numpy.asarray`.
pub(crate) fn as_ndarray<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyUntypedArray>> {
    if let Ok(array) = obj.cast::<PyUntypedArray>() {
        return Ok(array.clone());
    }
    let array = obj.py().import("numpy")?.call_method1("asarray", (obj,))?;
    Ok(array.cast_into::<PyUntypedArray>()?)
}

/// The array's element type, if channels can hold it.
pub(crate) fn array_dtype(array: &Bound<'_, PyUntypedArray>) -> PyResult<DType> {
    let descr = array.dtype();
    DType::from_descr(&descr).ok_or_else(|| unsupported(&descr))
}

/// `array` itself if it is C-contiguous and aligned, else such a copy (`numpy.require`).
fn contiguous<'py>(array: &Bound<'py, PyUntypedArray>) -> PyResult<Bound<'py, PyUntypedArray>> {
    if array.is_c_contiguous() && array.is_aligned() {
        return Ok(array.clone());
    }
    let copy = array
        .py()
        .import("numpy")?
        .call_method1("require", (array, array.py().None(), "CA"))?;
    Ok(copy.cast_into::<PyUntypedArray>()?)
}

/// Checks that `array` holds a `width × height` plane: 1-D of `width × height` elements, or
/// 2-D of shape `(height, width)`.
fn check_shape(array: &Bound<'_, PyUntypedArray>, width: usize, height: usize) -> PyResult<()> {
    let expected = width.checked_mul(height);
    match array.shape() {
        [n] if Some(*n) == expected => Ok(()),
        [h, w] if (*h, *w) == (height, width) => Ok(()),
        [n] => Err(PyValueError::new_err(format!(
            "a {width}×{height} channel needs {} elements, the array has {n}",
            expected.map_or_else(|| "more than usize::MAX".to_owned(), |e| e.to_string())
        ))),
        [h, w] => Err(PyValueError::new_err(format!(
            "a 2-D array must have shape (height, width) = ({height}, {width}), not ({h}, {w})"
        ))),
        shape => Err(PyValueError::new_err(format!(
            "the data must be a 1-D or 2-D array, not {}-D",
            shape.len()
        ))),
    }
}

/// A read borrow of an array whose dtype is known to be `T`'s.
fn readonly<'py, T: Elem>(
    array: &Bound<'py, PyUntypedArray>,
) -> PyResult<PyReadonlyArrayDyn<'py, T>> {
    let typed = array
        .cast::<PyArrayDyn<T>>()
        .map_err(|_| PyValueError::new_err(format!("expected an array of {}", T::KIND.name())))?;
    typed
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("cannot read the array: {e}")))
}

fn as_slice<'a, T: Elem>(array: &'a PyReadonlyArrayDyn<'_, T>) -> PyResult<&'a [T]> {
    array
        .as_slice()
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A new uninitialised array (`numpy.empty`) of `shape`; every element is overwritten before
/// the caller sees it. Allocation failure is NumPy's `MemoryError`.
fn empty<'py, T: Elem>(py: Python<'py>, shape: &[usize]) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let shape = PyTuple::new(py, shape)?;
    let array = py
        .import("numpy")?
        .call_method1("empty", (shape, T::KIND.descr(py)))?;
    Ok(array.cast_into::<PyArrayDyn<T>>()?)
}

/// A caller's output array: an ndarray of `dtype`, C-contiguous and aligned (it is written in
/// place, so it cannot be copied to fix it).
fn writable_array<'py, T: Elem>(
    obj: &Bound<'py, PyAny>,
    dtype: DType,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let array = obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "the output must be a numpy.ndarray, not {}",
            crate::dtype::repr(&obj.get_type().into_any())
        ))
    })?;
    let actual = array_dtype(array)?;
    if actual != dtype {
        return Err(PyValueError::new_err(format!(
            "the output array has dtype {}, the channel {}",
            actual.name(),
            dtype.name()
        )));
    }
    if !(array.is_c_contiguous() && array.is_aligned()) {
        return Err(PyValueError::new_err(
            "the output array must be C-contiguous and aligned",
        ));
    }
    readonly_check_writeable(array)?;
    Ok(array
        .cast::<PyArrayDyn<T>>()
        .map_err(|_| PyValueError::new_err(format!("expected an array of {}", dtype.name())))?
        .clone())
}

fn readonly_check_writeable(array: &Bound<'_, PyUntypedArray>) -> PyResult<()> {
    let writeable: bool = array.getattr("flags")?.getattr("writeable")?.extract()?;
    if writeable {
        Ok(())
    } else {
        Err(PyValueError::new_err("the output array is read-only"))
    }
}

/// Sets the thread count and, if it differs, the block size of one locked channel; on error
/// the channel is unchanged.
fn update(channel: &mut AnyChannel, nthreads: usize, block_size: Option<usize>) -> PyResult<()> {
    let old = dispatch!(&*channel, c => c.params().nthreads);
    dispatch!(&mut *channel, c => c.set_nthreads(nthreads));
    if let Some(block_size) = block_size {
        let result = dispatch!(&mut *channel, c => c.set_block_size(block_size));
        if let Err(e) = result {
            dispatch!(&mut *channel, c => c.set_nthreads(old));
            return Err(to_py(e));
        }
    }
    Ok(())
}

/// `Image.update_nthreads`: [`PyChannel::set_nthreads`] on every channel, all or nothing.
///
/// Every distinct channel is write-locked (in address order, so two such calls on images
/// sharing channels cannot deadlock; no other code holds two channel locks) for the whole
/// call, new versions of all channels are built, and only when all succeeded are they
/// swapped in. A channel listed twice is updated once.
pub(crate) fn update_nthreads_all(
    py: Python<'_>,
    channels: &[Py<PyChannel>],
    nthreads: usize,
    block_size: Option<usize>,
) -> PyResult<()> {
    let mut distinct: Vec<&PyChannel> = channels.iter().map(Py::get).collect();
    distinct.sort_by_key(|c| std::ptr::from_ref(*c).addr());
    distinct.dedup_by_key(|c| std::ptr::from_ref(*c).addr());
    py.detach(|| {
        let mut guards: Vec<RwLockWriteGuard<'_, AnyChannel>> =
            distinct.iter().map(|c| c.write()).collect();
        // The new thread count first, so the recompression below uses it.
        let old: Vec<usize> = guards
            .iter()
            .map(|g| dispatch!(&**g, c => c.params().nthreads))
            .collect();
        for guard in &mut guards {
            dispatch!(&mut **guard, c => c.set_nthreads(nthreads));
        }
        let Some(block_size) = block_size else {
            return Ok(());
        };
        let rebuilt: PyResult<Vec<Option<AnyChannel>>> =
            guards.iter().map(|g| rebuild(g, block_size)).collect();
        match rebuilt {
            Ok(rebuilt) => {
                for (guard, new) in guards.iter_mut().zip(rebuilt) {
                    if let Some(new) = new {
                        **guard = new;
                    }
                }
                Ok(())
            }
            Err(e) => {
                for (guard, old) in guards.iter_mut().zip(old) {
                    dispatch!(&mut **guard, c => c.set_nthreads(old));
                }
                Err(e)
            }
        }
    })
}

/// `channel` recompressed with `block_size`-byte blocks, or `None` if it has that block size.
fn rebuild(channel: &AnyChannel, block_size: usize) -> PyResult<Option<AnyChannel>> {
    dispatch!(channel, c => {
        if c.params().block_size == block_size {
            return Ok(None);
        }
        c.with_block_size(block_size).map(|c| Some(Elem::wrap(c))).map_err(to_py)
    })
}
