//! Rust errors as Python exceptions.

use compressed_image::blockcodec::ErrorKind as CodecKind;
use compressed_image::{Error, ErrorKind};
use pyo3::PyErr;
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyValueError};

/// Maps a `compressed_image::Error` to the Python exception for its kind: bad arguments,
/// sizes that do not fit and codecs this build cannot compress with are `ValueError`s; corrupt
/// stored data (never produced by this module) is a `RuntimeError`. The message is the Rust
/// error's message (for codec errors, blockcodec's).
pub(crate) fn to_py(err: Error) -> PyErr {
    let message = err.message().to_owned();
    match err.kind() {
        ErrorKind::InvalidParam | ErrorKind::LimitExceeded => PyValueError::new_err(message),
        ErrorKind::Codec(
            CodecKind::Unsupported
            | CodecKind::InvalidParam
            | CodecKind::LimitExceeded
            | CodecKind::OutputTooSmall,
        ) => PyValueError::new_err(message),
        _ => PyRuntimeError::new_err(format!("{err}")),
    }
}

/// `IndexError` for a chunk index that is out of range.
pub(crate) fn chunk_index(index: isize, num_chunks: usize) -> PyErr {
    PyIndexError::new_err(format!(
        "chunk index {index} is out of range (the channel has {num_chunks} chunks)"
    ))
}

/// `RuntimeError` for a broken internal invariant (a bug in this module, never user error).
pub(crate) fn internal(what: &str) -> PyErr {
    PyRuntimeError::new_err(format!("compressed_image internal error: {what}"))
}
