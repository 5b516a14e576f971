//! The crate's single error type.

use std::borrow::Cow;
use std::fmt;

/// What kind of failure an [`Error`] is; stable across versions, so callers can match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not a valid chunk or stream (truncated, inconsistent, corrupt).
    InvalidData,
    /// The input is valid but uses a feature, codec or filter this build does not implement.
    Unsupported,
    /// Honouring the request would exceed a [`crate::Limits`] bound.
    LimitExceeded,
    /// The caller passed parameters that cannot work (typesize 0, clevel 12, ...).
    InvalidParam,
    /// The caller's output buffer is too small for the result.
    OutputTooSmall,
    /// An I/O operation failed.
    Io,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::InvalidData => "invalid data",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::InvalidParam => "invalid parameter",
            ErrorKind::OutputTooSmall => "output buffer too small",
            ErrorKind::Io => "i/o error",
        })
    }
}

/// Error returned by every fallible function of this crate: a [`kind`](Error::kind) to match on
/// and a message saying what exactly was wrong.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
}

impl Error {
    /// Builds an error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
        }))
    }

    /// The category of the failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The human-readable detail (without the kind prefix).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub(crate) fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidData, message)
    }

    pub(crate) fn unsupported(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    pub(crate) fn param(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidParam, message)
    }

    pub(crate) fn limit(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::LimitExceeded, message)
    }

    pub(crate) fn too_small(needed: usize, available: usize) -> Self {
        Self::new(
            ErrorKind::OutputTooSmall,
            format!("needs {needed} bytes, the buffer has {available}"),
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}: {})", self.0.kind, self.0.message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind, self.0.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, e.to_string())
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
