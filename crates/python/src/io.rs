//! Image files and persistence: the wiring points for `Image.read`, `Image.save` and
//! `Image.load`.
//!
//! The Rust side of these (EXR/PNG/TIFF reading, `.b2frame` persistence) is not in
//! `compressed-image` yet, so each function here raises `NotImplementedError`. The bindings
//! around them are complete: arguments are parsed and checked, the GIL is released around the
//! calls, and images convert to and from the Rust `Image<T>` (`PyImage::to_rust` /
//! `PyImage::from_rust`, exercised by the tests through `Image._rust_roundtrip`). Wiring one in
//! is replacing a body here, e.g.
//!
//! ```ignore
//! pub(crate) fn read_image<T: Elem>(path: &Path, subimage: usize, selection: &Selection,
//!                                   params: &Params) -> PyResult<Image<T>> {
//!     let channels = match selection { /* map to the reader's selection type */ };
//!     compressed_image::read_image::<T>(path, subimage, channels, params.clone()).map_err(to_py)
//! }
//! ```
//!
//! (plus an `ErrorKind::Io` arm in `errors::to_py` mapping to `OSError` if the crate adds one).

use std::path::Path;

use compressed_image::{Image, Params};
use pyo3::exceptions::{PyNotImplementedError, PyTypeError};
use pyo3::prelude::*;

use crate::dtype::{AnyImage, Elem};

/// Which channels of a file to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Every channel, in file order.
    All,
    /// The channels with these names, in this order.
    Names(Vec<String>),
    /// The channels at these indices, in this order.
    Indices(Vec<usize>),
}

/// Parses `Image.read`'s `channels` argument: `None`, a list of names or a list of indices.
pub(crate) fn selection(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Selection> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Selection::All);
    };
    if obj.extract::<String>().is_err() {
        if let Ok(names) = obj.extract::<Vec<String>>() {
            return Ok(Selection::Names(names));
        }
        if let Ok(indices) = obj.extract::<Vec<usize>>() {
            return Ok(Selection::Indices(indices));
        }
    }
    Err(PyTypeError::new_err(
        "channels must be None, a list of channel names or a list of non-negative indices",
    ))
}

fn not_yet(what: &str, feature: &str) -> PyErr {
    PyNotImplementedError::new_err(format!(
        "{what}: {feature} is not available in this build of compressed_image yet"
    ))
}

/// Reads `path` (EXR, PNG, TIFF): replace the body with the reader's call once it exists.
pub(crate) fn read_image<T: Elem>(
    path: &Path,
    subimage: usize,
    selection: &Selection,
    params: &Params,
) -> PyResult<Image<T>> {
    let _ = (path, subimage, selection, params);
    Err(not_yet(
        "Image.read",
        "reading image files (EXR, PNG, TIFF)",
    ))
}

/// Fails early, before `save` copies the image for [`save_image`]; delete once persistence
/// exists.
pub(crate) fn check_save_available() -> PyResult<()> {
    Err(not_yet(
        "Image.save",
        "saving images (.b2frame persistence)",
    ))
}

/// Saves `image` to `path` as a `.b2frame`: replace the body once persistence exists.
pub(crate) fn save_image<T: Elem>(image: &Image<T>, path: &Path) -> PyResult<()> {
    let _ = (image, path);
    Err(not_yet(
        "Image.save",
        "saving images (.b2frame persistence)",
    ))
}

/// Loads an image saved by [`save_image`], of whatever dtype it holds: replace the body once
/// persistence exists.
pub(crate) fn load_image(path: &Path) -> PyResult<AnyImage> {
    let _ = path;
    Err(not_yet(
        "Image.load",
        "loading images (.b2frame persistence)",
    ))
}
