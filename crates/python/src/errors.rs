//! Rust errors as Python exceptions.

use std::fs::{self, File};
use std::io::Read as _;
use std::path::Path;

use compressed_image::blockcodec::ErrorKind as CodecKind;
use compressed_image::{Error, ErrorKind};
use pyo3::PyErr;
use pyo3::exceptions::{PyIndexError, PyOSError, PyRuntimeError, PyValueError};

/// Maps a `compressed_image::Error` to the Python exception for its kind:
/// - bad arguments, sizes that do not fit, codecs this build cannot compress with, and
///   damaged, inconsistent or unsupported files and chunks are `ValueError`s;
/// - failed reads and writes (`ErrorKind::Io`, also from the codec's frame I/O) are
///   `OSError`s (use [`file_error`] where the path is known, for the precise subclass).
///
/// The message is the Rust error's message (for codec errors, blockcodec's).
pub(crate) fn to_py(err: Error) -> PyErr {
    let message = err.message().to_owned();
    match err.kind() {
        ErrorKind::InvalidParam
        | ErrorKind::LimitExceeded
        | ErrorKind::InvalidData
        | ErrorKind::Unsupported => PyValueError::new_err(message),
        ErrorKind::Codec(
            CodecKind::Unsupported
            | CodecKind::InvalidParam
            | CodecKind::LimitExceeded
            | CodecKind::OutputTooSmall
            | CodecKind::InvalidData,
        ) => PyValueError::new_err(message),
        ErrorKind::Io | ErrorKind::Codec(CodecKind::Io) => PyOSError::new_err(message),
        _ => PyRuntimeError::new_err(format!("{err}")),
    }
}

/// Whether a file was being read or written when an error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// [`to_py`] for an error reading or writing the file at `path`: an I/O failure becomes the
/// `OSError` subclass Python's own file functions raise (`FileNotFoundError`,
/// `PermissionError`, `IsADirectoryError`, `NotADirectoryError`, ...), with `errno`,
/// `strerror` and `filename` set.
///
/// The Rust error keeps only a message, so the OS error is found again by repeating the first
/// step that failed: opening and reading the file, or listing the directory a new file goes
/// into. If that now succeeds (the failure was later, e.g. a full disk), the result is a plain
/// `OSError` with the Rust message.
pub(crate) fn file_error(err: Error, path: &Path, access: Access) -> PyErr {
    if !matches!(err.kind(), ErrorKind::Io | ErrorKind::Codec(CodecKind::Io)) {
        return to_py(err);
    }
    let cause = match access {
        Access::Read => read_failure(path),
        Access::Write => write_failure(path),
    };
    match cause {
        Some(cause) => os_error(&cause, path),
        None => PyOSError::new_err(err.message().to_owned()),
    }
}

/// The error opening `path` and reading its first byte gives, if any.
fn read_failure(path: &Path) -> Option<std::io::Error> {
    let mut byte = [0u8; 1];
    File::open(path).and_then(|mut f| f.read(&mut byte)).err()
}

/// The error a new file at `path` most likely met: its directory is missing or not a
/// directory, or `path` is a directory.
fn write_failure(path: &Path) -> Option<std::io::Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Err(e) = fs::read_dir(dir) {
        return Some(e);
    }
    if path.is_dir() {
        return read_failure(path);
    }
    None
}

/// `OSError(errno, strerror, filename)`, which Python turns into the subclass for `errno`
/// (`FileNotFoundError` for `ENOENT`, ...). Errors without an OS code keep pyo3's mapping by
/// kind.
fn os_error(cause: &std::io::Error, path: &Path) -> PyErr {
    let Some(code) = cause.raw_os_error() else {
        return PyErr::from(std::io::Error::new(
            cause.kind(),
            format!("{}: {cause}", path.display()),
        ));
    };
    // Rust prints "No such file or directory (os error 2)"; Python's strerror is the text.
    let text = cause.to_string();
    let suffix = format!(" (os error {code})");
    let strerror = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
    PyOSError::new_err((code, strerror, path.as_os_str().to_owned()))
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
