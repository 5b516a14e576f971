//! `compressed_image.Image`: named channels of one dtype and size, plus JSON metadata.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use compressed_image::io::AnyImage;
use compressed_image::{Image, Metadata, Params};
use numpy::PyArrayDyn;
use numpy::prelude::*;
use pyo3::exceptions::{PyIndexError, PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::channel::{self, PyChannel, ratio, typed};
use crate::dtype::{DType, Elem, with_dtype};
use crate::errors::{self, to_py};
use crate::{io, make_params, non_negative};

/// A planar ``width × height`` image: channels of one dtype and size, each optionally named,
/// plus metadata (a JSON-compatible dict, kept in insertion order).
///
/// ``Image(dtype, channels, width, height, channel_names=None, compression_codec=Codec.lz4,
/// compression_level=9, block_size=32768, chunk_size=4194304)`` takes a list of NumPy arrays
/// (compressed with the given parameters) or ``Channel`` objects (used as they are, so
/// channels may differ in compression parameters). ``image["R"]`` and ``image[0]`` return the
/// channel itself, not a copy: writing its chunks changes the image.
#[pyclass(module = "compressed_image", name = "Image", frozen)]
pub(crate) struct PyImage {
    dtype: DType,
    width: usize,
    height: usize,
    /// Locked only briefly while attached, never across `detach` or a call into Python code.
    state: Mutex<State>,
}

struct State {
    channels: Vec<Py<PyChannel>>,
    names: Vec<Option<String>>,
    metadata: Metadata,
}

impl State {
    fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.as_deref() == Some(name))
    }
}

/// A channel key: a name or an index (negative from the end).
enum Key {
    Name(String),
    Index(isize),
}

fn key(obj: &Bound<'_, PyAny>) -> PyResult<Key> {
    if let Ok(name) = obj.extract::<String>() {
        return Ok(Key::Name(name));
    }
    if let Ok(index) = obj.extract::<isize>() {
        return Ok(Key::Index(index));
    }
    Err(PyTypeError::new_err(format!(
        "channels are looked up by name (str) or index (int), not {}",
        crate::dtype::repr(&obj.get_type().into_any())
    )))
}

/// Checks a list of channel names: `count` long, no name twice.
fn check_names(names: &[Option<String>], count: usize) -> PyResult<()> {
    if names.len() != count {
        return Err(PyValueError::new_err(format!(
            "{} channel names for {count} channels",
            names.len()
        )));
    }
    for (i, name) in names.iter().enumerate() {
        if let Some(name) = name
            && names.iter().take(i).any(|n| n.as_deref() == Some(name))
        {
            return Err(PyValueError::new_err(format!(
                "channel name {name:?} is given twice"
            )));
        }
    }
    Ok(())
}

impl PyImage {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The channels, names and metadata as they are now (the channels shared, not copied).
    fn snapshot(&self, py: Python<'_>) -> (Vec<Py<PyChannel>>, Vec<Option<String>>, Metadata) {
        let state = self.lock();
        (
            state.channels.iter().map(|c| c.clone_ref(py)).collect(),
            state.names.clone(),
            state.metadata.clone(),
        )
    }

    /// A channel for this image: a `Channel` of the image's dtype and size, used as it is, or
    /// an array, compressed with `params`.
    fn make_channel(
        &self,
        py: Python<'_>,
        obj: &Bound<'_, PyAny>,
        params: &Params,
    ) -> PyResult<Py<PyChannel>> {
        if let Ok(channel) = obj.cast::<PyChannel>() {
            let ch = channel.get();
            if ch.dtype() != self.dtype {
                return Err(PyValueError::new_err(format!(
                    "the channel has dtype {}, the image {}",
                    ch.dtype().name(),
                    self.dtype.name()
                )));
            }
            if ch.size() != (self.width, self.height) {
                let (w, h) = ch.size();
                return Err(PyValueError::new_err(format!(
                    "a {w}×{h} channel cannot join a {}×{} image",
                    self.width, self.height
                )));
            }
            return Ok(channel.clone().unbind());
        }
        let channel = PyChannel::from_array(
            py,
            obj,
            self.width,
            self.height,
            params.clone(),
            Some(self.dtype),
        )?;
        Py::new(py, channel)
    }

    /// The image as a Rust `Image<T>` (the compressed chunks copied, not recompressed): what
    /// the file writers take.
    pub(crate) fn to_rust<T: Elem>(&self, py: Python<'_>) -> PyResult<Image<T>> {
        let (channels, names, metadata) = self.snapshot(py);
        let (width, height) = (self.width, self.height);
        py.detach(|| {
            let mut image = Image::new(width, height);
            for (channel, name) in channels.iter().zip(&names) {
                let copy = typed::<T>(&channel.get().read())?.clone();
                image.add_channel(name.as_deref(), copy).map_err(to_py)?;
            }
            image.set_metadata(metadata);
            Ok(image)
        })
    }

    /// Wraps a Rust `Image<T>` (what the file readers return), moving its channels.
    pub(crate) fn from_rust<T: Elem>(py: Python<'_>, mut image: Image<T>) -> PyResult<Self> {
        let names: Vec<Option<String>> = image
            .channel_names()
            .into_iter()
            .map(|n| n.map(str::to_owned))
            .collect();
        let mut channels = Vec::with_capacity(names.len());
        while let Some(last) = image.num_channels().checked_sub(1) {
            let channel = image.remove_channel_at(last).map_err(to_py)?;
            channels.push(Py::new(py, PyChannel::new(T::wrap(channel)))?);
        }
        channels.reverse();
        Ok(PyImage {
            dtype: T::KIND,
            width: image.width(),
            height: image.height(),
            state: Mutex::new(State {
                channels,
                names,
                metadata: image.metadata().clone(),
            }),
        })
    }

    /// Wraps an image of any dtype.
    pub(crate) fn from_any(py: Python<'_>, image: AnyImage) -> PyResult<Self> {
        match image {
            AnyImage::U8(i) => Self::from_rust(py, i),
            AnyImage::I8(i) => Self::from_rust(py, i),
            AnyImage::U16(i) => Self::from_rust(py, i),
            AnyImage::I16(i) => Self::from_rust(py, i),
            AnyImage::U32(i) => Self::from_rust(py, i),
            AnyImage::I32(i) => Self::from_rust(py, i),
            AnyImage::F16(i) => Self::from_rust(py, i),
            AnyImage::F32(i) => Self::from_rust(py, i),
            AnyImage::F64(i) => Self::from_rust(py, i),
        }
    }

    fn get_decompressed_t<'py, T: Elem>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (channels, _, _) = self.snapshot(py);
        let plane = self.width.saturating_mul(self.height);
        let array = py.import("numpy")?.call_method1(
            "empty",
            (
                PyTuple::new(py, [channels.len(), self.height, self.width])?,
                self.dtype.descr(py),
            ),
        )?;
        let array = array.cast_into::<PyArrayDyn<T>>()?;
        {
            let mut rw = array
                .try_readwrite()
                .map_err(|e| PyValueError::new_err(format!("cannot write to the array: {e}")))?;
            let out = rw
                .as_slice_mut()
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            py.detach(|| {
                for (channel, out) in channels.iter().zip(out.chunks_mut(plane.max(1))) {
                    typed::<T>(&channel.get().read())?
                        .decompress_into(out)
                        .map_err(to_py)?;
                }
                Ok::<_, PyErr>(())
            })?;
        }
        Ok(array.into_any())
    }
}

#[pymethods]
impl PyImage {
    #[new]
    #[pyo3(
        signature = (dtype, channels, width, height, channel_names=None, compression_codec=None,
                     compression_level=9, block_size=32768, chunk_size=4194304),
        text_signature = "(dtype, channels, width, height, channel_names=None, \
                          compression_codec=Codec.lz4, compression_level=9, block_size=32768, \
                          chunk_size=4194304)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        dtype: &Bound<'_, PyAny>,
        channels: &Bound<'_, PyAny>,
        width: i64,
        height: i64,
        channel_names: Option<Vec<Option<String>>>,
        compression_codec: Option<&Bound<'_, PyAny>>,
        compression_level: i64,
        block_size: i64,
        chunk_size: i64,
    ) -> PyResult<Self> {
        let dtype = DType::from_py(dtype)?;
        let params = make_params(compression_codec, compression_level, block_size, chunk_size)?;
        let image = PyImage {
            dtype,
            width: non_negative("width", width)?,
            height: non_negative("height", height)?,
            state: Mutex::new(State {
                channels: Vec::new(),
                names: Vec::new(),
                metadata: Metadata::new(),
            }),
        };
        let mut list = Vec::new();
        for (i, item) in channels.try_iter()?.enumerate() {
            let channel = image.make_channel(py, &item?, &params).map_err(|e| {
                let err = PyValueError::new_err(format!("channel {i}: {}", e.value(py)));
                if e.is_instance_of::<PyValueError>(py) {
                    err
                } else {
                    e
                }
            })?;
            list.push(channel);
        }
        let names = channel_names.unwrap_or_else(|| vec![None; list.len()]);
        check_names(&names, list.len())?;
        {
            let mut state = image.lock();
            state.channels = list;
            state.names = names;
        }
        Ok(image)
    }

    /// ``Image.read(dtype, path, subimage=0, channels=None, compression_codec=Codec.lz4,
    /// compression_level=9, block_size=32768, chunk_size=4194304)``: reads an image file
    /// (OpenEXR, PNG, TIFF or JPEG, recognised by its first bytes) straight into compressed
    /// channels of ``dtype``, chunk by chunk: EXR files never need the whole decoded image in
    /// memory, only about one chunk per channel.
    ///
    /// Samples are converted to ``dtype`` as OpenImageIO does: the same type is copied
    /// exactly; otherwise integers are scaled to 0..1 (``uint8`` 255 becomes ``1.0`` or
    /// ``65535``) and floats convert by value. ``subimage`` is the part of a multi-part EXR
    /// (0 for other formats). ``channels`` selects channels by name (``["R", "G", "B"]``) or
    /// by index (``[0, 2]``, negative from the end), in the order given; all by default. EXR
    /// channels keep their names, PNG/TIFF/JPEG channels are ``R G B A``, ``Y`` or ``Y A``.
    /// The file's attributes become the metadata.
    ///
    /// Raises ``OSError`` (``FileNotFoundError``, ...) if the file cannot be read,
    /// ``ValueError`` for a damaged or unsupported file, a channel name the file does not
    /// have or a channel selected twice, ``IndexError`` for a subimage or channel index out
    /// of range. The GIL is released while reading.
    #[staticmethod]
    #[pyo3(
        signature = (dtype, path, subimage=0, channels=None, compression_codec=None,
                     compression_level=9, block_size=32768, chunk_size=4194304),
        text_signature = "(dtype, path, subimage=0, channels=None, compression_codec=Codec.lz4, \
                          compression_level=9, block_size=32768, chunk_size=4194304)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn read(
        py: Python<'_>,
        dtype: &Bound<'_, PyAny>,
        path: PathBuf,
        subimage: i64,
        channels: Option<&Bound<'_, PyAny>>,
        compression_codec: Option<&Bound<'_, PyAny>>,
        compression_level: i64,
        block_size: i64,
        chunk_size: i64,
    ) -> PyResult<Self> {
        let dtype = DType::from_py(dtype)?;
        let params = make_params(compression_codec, compression_level, block_size, chunk_size)?;
        let subimage = non_negative("subimage", subimage)?;
        let selection = io::selection(channels)?;
        with_dtype!(dtype, T => {
            let image =
                py.detach(|| io::read_image::<T>(&path, subimage, &selection, &params))?;
            PyImage::from_rust(py, image)
        })
    }

    /// ``save(path)``: saves the image (channels, their names and compression parameters,
    /// and the metadata) as one ``.b2frame`` file, a Blosc2 frame that python-blosc2 opens.
    /// Chunks are copied, not recompressed; lazy chunks stay lazy. The file is written to a
    /// temporary name and renamed, so ``path`` is never left half-written. Raises ``OSError``
    /// if it cannot be written, ``ValueError`` for metadata JSON cannot hold.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        with_dtype!(self.dtype, T => {
            let image = self.to_rust::<T>(py)?;
            py.detach(|| io::save_image(&image, &path))
        })
    }

    /// ``Image.load(path)``: an image saved with ``save``, with its dtype, channel names,
    /// compression parameters and metadata (a ``.b2frame`` holding one saved channel gives a
    /// one-channel image). Raises ``OSError`` if the file cannot be read, ``ValueError`` if it
    /// is not a valid saved image.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let image = py.detach(|| io::load_image(&path))?;
        PyImage::from_any(py, image)
    }

    /// ``write(path, exr_compression="zip")``: writes the image as an image file whose format
    /// the extension names: ``.exr``, ``.png``, ``.tif``/``.tiff`` (or ``.b2frame``, as
    /// ``save``). EXR keeps float16, float32 and uint32 samples and stores other dtypes as
    /// float32 (scaled to 0..1 as ``read`` does); PNG and TIFF store 8-bit (uint8, int8) or
    /// 16-bit samples, 1 to 4 channels (``R G B [A]`` or ``Y [A]`` by name when present, else
    /// in order). ``exr_compression`` is one of ``none``, ``rle``, ``zips``, ``zip``, ``piz``,
    /// ``pxr24``. EXR files are written one chunk per channel at a time; PNG and TIFF are
    /// encoded whole. Written to a temporary name and renamed. Raises ``ValueError`` for an
    /// unknown extension or a channel count the format cannot hold, ``OSError`` if the file
    /// cannot be written.
    #[pyo3(signature = (path, exr_compression=None))]
    fn write(&self, py: Python<'_>, path: PathBuf, exr_compression: Option<&str>) -> PyResult<()> {
        let compression = io::exr_compression(exr_compression)?;
        io::check_write_format(&path)?;
        with_dtype!(self.dtype, T => {
            let image = self.to_rust::<T>(py)?;
            py.detach(|| io::write_image(&image, &path, compression))
        })
    }

    /// ``Image.dtype_from_file(path, subimage=0)``: the dtype that holds every channel of the
    /// file without loss, from its header (no pixels are decoded): ``uint8`` or ``uint16``
    /// for PNG/TIFF/JPEG, the channels' type for EXR (``float16``, ``float32``, ``uint32``),
    /// ``float32`` for EXR channels of mixed types.
    #[staticmethod]
    #[pyo3(signature = (path, subimage=0))]
    fn dtype_from_file<'py>(
        py: Python<'py>,
        path: PathBuf,
        subimage: i64,
    ) -> PyResult<Bound<'py, numpy::PyArrayDescr>> {
        let subimage = non_negative("subimage", subimage)?;
        let (native, _) = py.detach(|| io::file_dtypes(&path, subimage))?;
        Ok(native.descr(py))
    }

    /// ``Image.dtypes_from_file(path, subimage=0)``: the dtype of each channel of the file,
    /// in file order, from its header.
    #[staticmethod]
    #[pyo3(signature = (path, subimage=0))]
    fn dtypes_from_file<'py>(
        py: Python<'py>,
        path: PathBuf,
        subimage: i64,
    ) -> PyResult<Vec<Bound<'py, numpy::PyArrayDescr>>> {
        let subimage = non_negative("subimage", subimage)?;
        let (_, all) = py.detach(|| io::file_dtypes(&path, subimage))?;
        Ok(all.into_iter().map(|d| d.descr(py)).collect())
    }

    /// ``image[name]`` or ``image[index]``: the channel itself (not a copy).
    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyChannel>> {
        let key = self::key(key)?;
        let state = self.lock();
        let index = resolve(&state, &key)?;
        state
            .channels
            .get(index)
            .map(|c| c.clone_ref(py))
            .ok_or_else(|| errors::internal("channel index"))
    }

    fn __len__(&self) -> usize {
        self.lock().channels.len()
    }

    fn __contains__(&self, name: &Bound<'_, PyAny>) -> bool {
        name.extract::<String>()
            .is_ok_and(|name| self.lock().index_of(&name).is_some())
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.channels(py)?.into_any().try_iter()?.into_any())
    }

    /// The channels, in order, as a list.
    fn channels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let (channels, _, _) = self.snapshot(py);
        PyList::new(py, channels)
    }

    /// ``add_channel(channel, name=None, compression_codec=Codec.lz4, compression_level=9,
    /// block_size=32768, chunk_size=4194304)``: appends a ``Channel`` of the image's dtype and
    /// size, or an array (compressed with the given parameters); returns its index.
    #[pyo3(
        signature = (channel, name=None, compression_codec=None, compression_level=9,
                     block_size=32768, chunk_size=4194304),
        text_signature = "(channel, name=None, compression_codec=Codec.lz4, \
                          compression_level=9, block_size=32768, chunk_size=4194304)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn add_channel(
        &self,
        py: Python<'_>,
        channel: &Bound<'_, PyAny>,
        name: Option<String>,
        compression_codec: Option<&Bound<'_, PyAny>>,
        compression_level: i64,
        block_size: i64,
        chunk_size: i64,
    ) -> PyResult<usize> {
        if let Some(name) = &name
            && self.lock().index_of(name).is_some()
        {
            return Err(PyValueError::new_err(format!(
                "the image already has a channel {name:?}"
            )));
        }
        let params = make_params(compression_codec, compression_level, block_size, chunk_size)?;
        let channel = self.make_channel(py, channel, &params)?;
        let mut state = self.lock();
        // Checked again: another thread may have added the name while we compressed.
        if let Some(name) = &name
            && state.index_of(name).is_some()
        {
            return Err(PyValueError::new_err(format!(
                "the image already has a channel {name:?}"
            )));
        }
        state.channels.push(channel);
        state.names.push(name);
        Ok(state.channels.len() - 1)
    }

    /// ``remove_channel(name_or_index)``: removes the channel and returns it.
    fn remove_channel(&self, key: &Bound<'_, PyAny>) -> PyResult<Py<PyChannel>> {
        let key = self::key(key)?;
        let mut state = self.lock();
        let index = resolve(&state, &key)?;
        state.names.remove(index);
        Ok(state.channels.remove(index))
    }

    /// The channel names in order (``None`` for an unnamed channel). Assign a list of the
    /// same length to rename.
    #[getter]
    fn get_channel_names(&self) -> Vec<Option<String>> {
        self.lock().names.clone()
    }

    #[setter]
    fn set_channel_names(&self, names: Vec<Option<String>>) -> PyResult<()> {
        let mut state = self.lock();
        check_names(&names, state.channels.len())?;
        state.names = names;
        Ok(())
    }

    /// The metadata as a new dict.
    fn get_metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let metadata = self.lock().metadata.clone();
        let text = compressed_image::serde_json::to_string(&metadata)
            .map_err(|e| errors::internal(&format!("metadata to JSON: {e}")))?;
        py.import("json")?.call_method1("loads", (text,))
    }

    /// Replaces the metadata with ``metadata``, a dict that ``json.dumps`` accepts (string
    /// keys; no NaN or infinity).
    fn set_metadata(&self, py: Python<'_>, metadata: &Bound<'_, PyAny>) -> PyResult<()> {
        if !metadata.is_instance_of::<PyDict>() {
            return Err(PyTypeError::new_err(format!(
                "metadata must be a dict, not {}",
                crate::dtype::repr(&metadata.get_type().into_any())
            )));
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item("allow_nan", false)?;
        let text: String = py
            .import("json")?
            .call_method("dumps", (metadata,), Some(&kwargs))?
            .extract()?;
        let metadata: Metadata = compressed_image::serde_json::from_str(&text)
            .map_err(|e| PyValueError::new_err(format!("metadata is not a JSON object: {e}")))?;
        self.lock().metadata = metadata;
        Ok(())
    }

    /// Every channel decompressed, as a 3-D array of shape ``(channels, height, width)``.
    fn get_decompressed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        with_dtype!(self.dtype, T => self.get_decompressed_t::<T>(py))
    }

    /// Uncompressed bytes of all channels divided by their compressed bytes (1.0 without
    /// channels).
    fn compression_ratio(&self, py: Python<'_>) -> f64 {
        let (cbytes, nbytes) = self.totals(py);
        ratio(nbytes, cbytes)
    }

    /// Bytes held by the compressed chunks of all channels.
    fn compressed_bytes(&self, py: Python<'_>) -> usize {
        self.totals(py).0
    }

    /// Prints the size and compression of every channel.
    fn print_statistics(&self, py: Python<'_>) -> PyResult<()> {
        let (channels, names, _) = self.snapshot(py);
        let mut text = format!(
            "Image {}×{} {}, {} channel(s)\n  {:<12} {:<7} {:>5} {:>10} {:>10} {:>6} {:>5} \
             {:>16} {:>8}\n",
            self.width,
            self.height,
            self.dtype.name(),
            channels.len(),
            "name",
            "codec",
            "level",
            "block_size",
            "chunk_size",
            "chunks",
            "lazy",
            "compressed_bytes",
            "ratio",
        );
        let (mut cbytes, mut nbytes) = (0, 0);
        for (i, (channel, name)) in channels.iter().zip(&names).enumerate() {
            let name = name.clone().unwrap_or_else(|| format!("#{i}"));
            text.push_str(&channel.get().statistics_row(py, &name));
            text.push('\n');
            let (c, n, _) = channel.get().sizes(py);
            cbytes += c;
            nbytes += n;
        }
        let _ = write!(
            text,
            "  total: {nbytes} bytes uncompressed, {cbytes} compressed, ratio {:.2}",
            ratio(nbytes, cbytes)
        );
        py.import("builtins")?.call_method1("print", (text,))?;
        Ok(())
    }

    /// ``update_nthreads(nthreads, block_size=None)`` on every channel: see
    /// ``Channel.update_nthreads``. A new block size recompresses every channel; all
    /// channels change or, on error, none.
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
        let (channels, _, _) = self.snapshot(py);
        channel::update_nthreads_all(py, &channels, nthreads, block_size)
    }

    /// The NumPy dtype of every channel.
    #[getter(dtype)]
    fn py_dtype<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArrayDescr> {
        self.dtype.descr(py)
    }

    /// Width in pixels.
    #[getter]
    fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    #[getter]
    fn height(&self) -> usize {
        self.height
    }

    /// ``(channels, height, width)``, the shape of ``get_decompressed()``.
    #[getter]
    fn shape(&self) -> (usize, usize, usize) {
        (self.lock().channels.len(), self.height, self.width)
    }

    /// The image converted to the Rust ``Image`` type and back (a deep copy): tests the
    /// conversions `Image.read`, `save`, `load` and `write` use.
    fn _rust_roundtrip(&self, py: Python<'_>) -> PyResult<Self> {
        with_dtype!(self.dtype, T => {
            let image = self.to_rust::<T>(py)?;
            PyImage::from_rust(py, image)
        })
    }

    fn __repr__(&self) -> String {
        let state = self.lock();
        let names: Vec<String> = state
            .names
            .iter()
            .map(|n| {
                n.as_deref()
                    .map_or_else(|| "None".to_owned(), |n| format!("{n:?}"))
            })
            .collect();
        format!(
            "Image(dtype={}, width={}, height={}, channel_names=[{}])",
            self.dtype.name(),
            self.width,
            self.height,
            names.join(", ")
        )
    }
}

impl PyImage {
    /// `(compressed_bytes, uncompressed_bytes)` of all channels.
    fn totals(&self, py: Python<'_>) -> (usize, usize) {
        let (channels, _, _) = self.snapshot(py);
        channels.iter().fold((0, 0), |(c, n), channel| {
            let (cc, nn, _) = channel.get().sizes(py);
            (c + cc, n + nn)
        })
    }
}

/// The index of the channel `key` names.
fn resolve(state: &State, key: &Key) -> PyResult<usize> {
    match key {
        Key::Name(name) => state
            .index_of(name)
            .ok_or_else(|| PyKeyError::new_err(format!("the image has no channel {name:?}"))),
        Key::Index(index) => {
            let n = state.channels.len();
            let i = if *index < 0 {
                n.checked_sub(index.unsigned_abs())
            } else {
                usize::try_from(*index).ok()
            };
            i.filter(|i| *i < n).ok_or_else(|| {
                PyIndexError::new_err(format!(
                    "channel index {index} is out of range (the image has {n} channels)"
                ))
            })
        }
    }
}
