//! Image files and persistence: `Image.read`, `Image.write`, `Image.save`, `Image.load`,
//! `Image.dtype_from_file` and `Image.dtypes_from_file`, on `compressed_image::io` (EXR, PNG,
//! TIFF, JPEG) and `compressed_image::persist` (`.b2frame`).
//!
//! Every function here runs with the GIL released (the callers wrap it in `py.detach`) and
//! returns ready-made `PyErr`s (lazily built, so they cross threads). File reads go through
//! the Rust reader, which decodes EXR files block by block straight into compressed chunks:
//! memory stays at the compressed image plus about one chunk per selected channel.
//!
//! Errors: a missing or unreadable file is an `OSError` of the subclass Python's `open` would
//! raise (see [`errors::file_error`]); a damaged or unsupported file is a `ValueError`; a
//! subimage or channel index the file does not have is an `IndexError`, a channel name it does
//! not have a `ValueError` (as the C++ module's `channels(names)` and `get_channel_index`).

use std::path::Path;

use compressed_image::io::{
    self, AnyImage, ChannelSelection, ExrCompression, FileFormat, FileInfo, ReadOptions,
    WriteOptions,
};
use compressed_image::{Image, Params};
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::dtype::{DType, Elem};
use crate::errors::{self, Access};

/// Which channels of a file to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Every channel, in file order.
    All,
    /// The channels with these names, in this order.
    Names(Vec<String>),
    /// The channels at these indices (negative ones from the end), in this order.
    Indices(Vec<i64>),
}

/// Parses `Image.read`'s `channels` argument: `None`, a list of names or a list of indices.
pub(crate) fn selection(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Selection> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Selection::All);
    };
    let parsed = if obj.extract::<String>().is_ok() {
        None
    } else if let Ok(names) = obj.extract::<Vec<String>>() {
        Some(Selection::Names(names))
    } else if let Ok(indices) = obj.extract::<Vec<i64>>() {
        Some(Selection::Indices(indices))
    } else {
        None
    };
    match parsed {
        Some(Selection::Names(v)) if v.is_empty() => Err(empty_selection()),
        Some(Selection::Indices(v)) if v.is_empty() => Err(empty_selection()),
        Some(s) => Ok(s),
        None => Err(PyTypeError::new_err(
            "channels must be None, a list of channel names or a list of channel indices",
        )),
    }
}

fn empty_selection() -> PyErr {
    PyValueError::new_err("channels is empty; pass None (the default) to read every channel")
}

/// The format of `path`, refusing `.b2frame` files (saved images are loaded, not read).
fn image_format(path: &Path) -> PyResult<FileFormat> {
    let format = io::detect_format(path).map_err(|e| errors::file_error(e, path, Access::Read))?;
    if format == FileFormat::B2Frame {
        return Err(PyValueError::new_err(format!(
            "{}: a saved image (.b2frame), not an image file; open it with Image.load",
            path.display()
        )));
    }
    Ok(format)
}

/// The header of subimage `subimage` of `path`; `IndexError` if the file has no such
/// subimage.
fn probe(path: &Path, subimage: usize) -> PyResult<FileInfo> {
    image_format(path)?;
    let first = io::probe_file(path, 0).map_err(|e| errors::file_error(e, path, Access::Read))?;
    if subimage >= first.parts {
        return Err(PyIndexError::new_err(format!(
            "subimage {subimage} is out of range ({} has {} subimage{})",
            path.display(),
            first.parts,
            if first.parts == 1 { "" } else { "s" }
        )));
    }
    if subimage == 0 {
        return Ok(first);
    }
    io::probe_file(path, subimage).map_err(|e| errors::file_error(e, path, Access::Read))
}

/// Resolves `selection` against the file's channels, with Python's exception for each
/// mistake (the reader checks the result again, and rejects a channel selected twice).
fn resolve(info: &FileInfo, selection: &Selection) -> PyResult<ChannelSelection> {
    let names = &info.channel_names;
    match selection {
        Selection::All => Ok(ChannelSelection::All),
        Selection::Names(wanted) => {
            if let Some(missing) = wanted.iter().find(|w| !names.contains(w)) {
                return Err(PyValueError::new_err(format!(
                    "the file has no channel {missing:?} (it has {})",
                    names.join(", ")
                )));
            }
            Ok(ChannelSelection::Names(wanted.clone()))
        }
        Selection::Indices(wanted) => {
            let n = names.len();
            let indices = wanted
                .iter()
                .map(|&i| {
                    let resolved = if i < 0 {
                        usize::try_from(i.unsigned_abs())
                            .ok()
                            .and_then(|back| n.checked_sub(back))
                    } else {
                        usize::try_from(i).ok()
                    };
                    resolved.filter(|r| *r < n).ok_or_else(|| {
                        PyIndexError::new_err(format!(
                            "channel index {i} is out of range (the file has {n} channel{})",
                            if n == 1 { "" } else { "s" }
                        ))
                    })
                })
                .collect::<PyResult<Vec<usize>>>()?;
            Ok(ChannelSelection::Indices(indices))
        }
    }
}

/// Reads subimage `subimage` of `path` (EXR, PNG, TIFF or JPEG) into an `Image<T>`,
/// converting samples to `T`, chunk by chunk. Call while detached.
pub(crate) fn read_image<T: Elem>(
    path: &Path,
    subimage: usize,
    selection: &Selection,
    params: &Params,
) -> PyResult<Image<T>> {
    let info = probe(path, subimage)?;
    let options = ReadOptions::default()
        .part(subimage)
        .channels(resolve(&info, selection)?)
        .params(params.clone());
    Image::<T>::read(path, &options).map_err(|e| errors::file_error(e, path, Access::Read))
}

/// The element type of each channel of subimage `subimage` of `path`, and the one type
/// holding them all without loss (`float32` for mixed EXR channels). Call while detached.
pub(crate) fn file_dtypes(path: &Path, subimage: usize) -> PyResult<(DType, Vec<DType>)> {
    let info = probe(path, subimage)?;
    let to_dtype = |name: &str| {
        DType::from_name(name)
            .ok_or_else(|| errors::internal(&format!("unknown file sample type {name:?}")))
    };
    let native = info
        .native_dtype(&ChannelSelection::All)
        .map_err(errors::to_py)?;
    let all = info
        .channel_dtypes
        .iter()
        .map(|d| to_dtype(d))
        .collect::<PyResult<Vec<_>>>()?;
    Ok((to_dtype(native)?, all))
}

/// The EXR compression called `name` (`None`: the default, ZIP).
pub(crate) fn exr_compression(name: Option<&str>) -> PyResult<ExrCompression> {
    let Some(name) = name else {
        return Ok(ExrCompression::default());
    };
    ExrCompression::from_name(&name.to_ascii_lowercase()).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown EXR compression {name:?}; expected one of {}",
            ExrCompression::ALL.map(ExrCompression::name).join(", ")
        ))
    })
}

/// Checks, before the image is copied for [`write_image`], that `path` names a format this
/// module writes.
pub(crate) fn check_write_format(path: &Path) -> PyResult<()> {
    match FileFormat::from_extension(path) {
        Some(_) => Ok(()),
        None => Err(PyValueError::new_err(format!(
            "{}: unknown extension; use .exr, .png, .tif, .tiff or .b2frame",
            path.display()
        ))),
    }
}

/// Writes `image` as an EXR, PNG or TIFF file (by extension; `.b2frame` saves it), atomically.
/// Call while detached.
pub(crate) fn write_image<T: Elem>(
    image: &Image<T>,
    path: &Path,
    compression: ExrCompression,
) -> PyResult<()> {
    let options = WriteOptions::default().exr_compression(compression);
    image
        .write(path, &options)
        .map_err(|e| errors::file_error(e, path, Access::Write))
}

/// Saves `image` to `path` as a `.b2frame` (chunks copied, not recompressed), atomically.
/// Call while detached.
pub(crate) fn save_image<T: Elem>(image: &Image<T>, path: &Path) -> PyResult<()> {
    image
        .save(path)
        .map_err(|e| errors::file_error(e, path, Access::Write))
}

/// Loads an image saved by [`save_image`], of whatever dtype it holds. Call while detached.
pub(crate) fn load_image(path: &Path) -> PyResult<AnyImage> {
    AnyImage::load(path).map_err(|e| errors::file_error(e, path, Access::Read))
}
