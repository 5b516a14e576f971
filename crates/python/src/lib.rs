//! Python bindings for `compressed-image`: the `compressed_image` module (`Codec`, `Channel`,
//! `Image`), built with maturin as an abi3 wheel.
//!
//! Conventions, held by every function here:
//! - Arrays are NumPy arrays of the nine element types (see [`dtype`]); outputs are allocated by
//!   NumPy and decompressed into directly, inputs are read in place when C-contiguous.
//! - Compression and decompression run with the GIL released (`Python::detach`). A channel's
//!   lock is only ever taken while detached, and never held while attaching, so a thread
//!   waiting for a lock never holds the GIL that the lock's owner needs.
//! - Every error is a Python exception (see [`errors`]); nothing here panics.

#![forbid(unsafe_code)]

mod channel;
mod dtype;
mod errors;
mod image;
mod io;

use compressed_image::blockcodec::Codec;
use compressed_image::{DEFAULT_BLOCK_SIZE, DEFAULT_CHUNK_SIZE, DEFAULT_CLEVEL, Params};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// Compression codec of a channel's chunks (values are the C-Blosc2 codec ids).
///
/// `lz4` (the default) and `blosclz` compress in every build; `lz4hc`, `zstd` and `zlib` are
/// accepted where the engine can compress with them and raise `ValueError` otherwise.
#[pyclass(module = "compressed_image", name = "Codec", eq, eq_int, frozen, hash)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PyCodec {
    /// BloscLZ, Blosc's own LZ77 codec.
    #[pyo3(name = "blosclz")]
    BloscLz = 0,
    /// LZ4 (the default).
    #[pyo3(name = "lz4")]
    Lz4 = 1,
    /// LZ4 high-compression encoder (plain LZ4 output).
    #[pyo3(name = "lz4hc")]
    Lz4Hc = 2,
    /// zlib.
    #[pyo3(name = "zlib")]
    Zlib = 4,
    /// Zstandard.
    #[pyo3(name = "zstd")]
    Zstd = 5,
}

#[pymethods]
impl PyCodec {
    /// The codec's lower-case name (`"lz4"`).
    #[getter]
    fn name(&self) -> &'static str {
        self.codec().name()
    }

    /// The C-Blosc2 codec id.
    #[getter]
    fn value(&self) -> u8 {
        self.codec().api_id()
    }
}

impl PyCodec {
    const ALL: [PyCodec; 5] = [
        PyCodec::BloscLz,
        PyCodec::Lz4,
        PyCodec::Lz4Hc,
        PyCodec::Zlib,
        PyCodec::Zstd,
    ];

    pub(crate) fn codec(self) -> Codec {
        match self {
            PyCodec::BloscLz => Codec::BloscLz,
            PyCodec::Lz4 => Codec::Lz4,
            PyCodec::Lz4Hc => Codec::Lz4Hc,
            PyCodec::Zlib => Codec::Zlib,
            PyCodec::Zstd => Codec::Zstd,
        }
    }

    pub(crate) fn from_codec(codec: Codec) -> PyResult<PyCodec> {
        Ok(match codec {
            Codec::BloscLz => PyCodec::BloscLz,
            Codec::Lz4 => PyCodec::Lz4,
            Codec::Lz4Hc => PyCodec::Lz4Hc,
            Codec::Zlib => PyCodec::Zlib,
            Codec::Zstd => PyCodec::Zstd,
            other => return Err(errors::internal(&format!("unknown codec {other}"))),
        })
    }
}

/// A codec argument: a `Codec` member or its name (`"zstd"`); `None` means the default, LZ4.
pub(crate) fn codec_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Codec> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Codec::Lz4);
    };
    if let Ok(codec) = obj.cast::<PyCodec>() {
        return Ok(codec.get().codec());
    }
    if let Ok(name) = obj.extract::<&str>() {
        // Only the codecs the `Codec` enum has, whatever else the engine may know.
        return PyCodec::ALL
            .into_iter()
            .map(PyCodec::codec)
            .find(|c| c.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "unknown codec {name:?}; expected one of blosclz, lz4, lz4hc, zstd, zlib"
                ))
            });
    }
    Err(PyTypeError::new_err(format!(
        "compression_codec must be a Codec or a codec name, not {}",
        dtype::repr(obj)
    )))
}

/// A size or count argument that must not be negative.
pub(crate) fn non_negative(name: &str, value: i64) -> PyResult<usize> {
    usize::try_from(value)
        .map_err(|_| PyValueError::new_err(format!("{name} must not be negative, got {value}")))
}

/// The four compression arguments every constructor takes, checked.
///
/// # Errors
/// `ValueError` for a level outside 0..=9 or a negative size (the channel constructors check
/// the rest: zero chunk size, codec support).
pub(crate) fn make_params(
    codec: Option<&Bound<'_, PyAny>>,
    level: i64,
    block_size: i64,
    chunk_size: i64,
) -> PyResult<Params> {
    let clevel = u8::try_from(level)
        .ok()
        .filter(|l| *l <= 9)
        .ok_or_else(|| {
            PyValueError::new_err(format!("compression_level must be in 0..=9, got {level}"))
        })?;
    Ok(Params::default()
        .codec(codec_arg(codec)?)
        .clevel(clevel)
        .block_size(non_negative("block_size", block_size)?)
        .chunk_size(non_negative("chunk_size", chunk_size)?))
}

/// Whether this build can compress with `codec` (a `Codec` or a name). Every codec decodes.
#[pyfunction]
#[pyo3(name = "_can_compress")]
fn can_compress(codec: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(codec_arg(Some(codec))?.can_compress())
}

/// Large multi-channel images kept compressed in memory, chunk by chunk (Blosc2 chunks made by
/// a pure-Rust engine).
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCodec>()?;
    m.add_class::<channel::PyChannel>()?;
    m.add_class::<channel::ChunkIterator>()?;
    m.add_class::<image::PyImage>()?;
    m.add_function(wrap_pyfunction!(can_compress, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_BLOCK_SIZE", DEFAULT_BLOCK_SIZE)?;
    m.add("DEFAULT_CHUNK_SIZE", DEFAULT_CHUNK_SIZE)?;
    m.add("DEFAULT_COMPRESSION_LEVEL", DEFAULT_CLEVEL)?;
    Ok(())
}
