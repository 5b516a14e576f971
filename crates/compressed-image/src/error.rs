//! The crate's single error type.

use std::borrow::Cow;
use std::fmt;

/// What kind of failure an [`Error`] is; callers match on it, the message is for humans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller passed something that cannot work: a zero width, a buffer of the wrong length,
    /// a chunk index out of range, a duplicate channel name, a compression level above 9, ...
    InvalidParam,
    /// The request is well-formed but too large: `width × height × typesize` overflows `usize`,
    /// a chunk would exceed the 2 GiB − 32 bytes a Blosc2 chunk can hold, or an allocation
    /// failed.
    LimitExceeded,
    /// The block codec (`blockcodec`) failed; carries its error kind (e.g. `Unsupported` for a
    /// codec this build cannot compress with).
    Codec(blockcodec::ErrorKind),
    /// A file or byte buffer being loaded or read is malformed or inconsistent: a damaged EXR,
    /// a `.b2frame` whose chunks do not match its recorded layout, a truncated PNG, ...
    InvalidData,
    /// The input is well-formed but uses something this build cannot handle: an unknown image
    /// format, deep EXR data, subsampled channels, a feature (`exr`, `image`) not compiled in,
    /// a format version from the future.
    Unsupported,
    /// Reading or writing a file failed (not found, permission denied, disk full, ...).
    Io,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::InvalidParam => f.write_str("invalid parameter"),
            ErrorKind::LimitExceeded => f.write_str("limit exceeded"),
            ErrorKind::Codec(kind) => write!(f, "codec error ({kind})"),
            ErrorKind::InvalidData => f.write_str("invalid data"),
            ErrorKind::Unsupported => f.write_str("unsupported"),
            ErrorKind::Io => f.write_str("I/O error"),
        }
    }
}

/// Error returned by every fallible function of this crate: a [`kind`](Error::kind) to match on
/// and a message saying what exactly was wrong. Boxed, so a `Result` stays one pointer wide.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    source: Option<blockcodec::Error>,
}

impl Error {
    /// Builds an error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            source: None,
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

    pub(crate) fn param(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidParam, message)
    }

    pub(crate) fn limit(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::LimitExceeded, message)
    }

    pub(crate) fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidData, message)
    }

    pub(crate) fn unsupported(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: &std::path::Path, e: &std::io::Error) -> Self {
        Self::new(ErrorKind::Io, format!("{}: {e}", path.display()))
    }

    /// The same error with `context: ` put before its message (kind and source kept).
    pub(crate) fn context(mut self, context: impl std::fmt::Display) -> Self {
        self.0.message = Cow::Owned(format!("{context}: {}", self.0.message));
        self
    }

    /// A `blockcodec` error met while loading a file: malformed data is `InvalidData` and a
    /// failed read `Io` (the `blockcodec` error stays the source); other kinds as `From`.
    pub(crate) fn from_file(e: blockcodec::Error) -> Self {
        let kind = match e.kind() {
            blockcodec::ErrorKind::InvalidData => Some(ErrorKind::InvalidData),
            blockcodec::ErrorKind::Io => Some(ErrorKind::Io),
            blockcodec::ErrorKind::Unsupported => Some(ErrorKind::Unsupported),
            _ => None,
        };
        let mut err = Error::from(e);
        if let Some(kind) = kind {
            err.0.kind = kind;
        }
        err
    }

    /// A chunk index that is not below `num_chunks`.
    pub(crate) fn chunk_index(index: usize, num_chunks: usize) -> Self {
        Self::param(format!(
            "chunk index {index} is out of range (the channel has {num_chunks})"
        ))
    }

    /// A caller buffer whose length is not the chunk's.
    pub(crate) fn chunk_len(index: usize, expected: usize, actual: usize) -> Self {
        Self::param(format!(
            "chunk {index} holds {expected} elements, the buffer has {actual}"
        ))
    }
}

impl From<blockcodec::Error> for Error {
    fn from(e: blockcodec::Error) -> Self {
        Error(Box::new(Inner {
            kind: ErrorKind::Codec(e.kind()),
            message: Cow::Owned(e.message().to_owned()),
            source: Some(e),
        }))
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

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
