//! Writers of special-value chunks (blosc-format.md §2.4): a 32-byte header standing for a whole
//! chunk of zeros, NaNs, uninitialised bytes or one repeated value.

use super::header::{
    EXTENDED_HEADER_LEN, FLAG_EXTENDED, HeaderFields, MAX_BUFFERSIZE, SpecialValue,
};
use super::layout::compute_blocksize;
use crate::error::{Error, Result};
use crate::params::CParams;

fn special_header(nbytes: usize, cparams: &CParams, special: SpecialValue) -> Result<HeaderFields> {
    if cparams.typesize == 0 {
        return Err(Error::param("typesize must be at least 1"));
    }
    if nbytes > MAX_BUFFERSIZE {
        return Err(Error::param(format!(
            "{nbytes} bytes exceed the chunk maximum"
        )));
    }
    let typesize = cparams.header_typesize();
    Ok(HeaderFields {
        flags: FLAG_EXTENDED,
        typesize: typesize as u8,
        nbytes,
        // C writes what its tuner would choose for this size (§2.4).
        blocksize: compute_blocksize(cparams, typesize, nbytes),
        cbytes: EXTENDED_HEADER_LEN,
        blosc2_flags: HeaderFields::special(special),
        ..HeaderFields::default()
    })
}

/// A chunk of `nbytes` zero bytes.
///
/// # Errors
/// `InvalidParam` for typesize 0 or more than 2 GiB − 32 bytes.
pub fn chunk_zeros(nbytes: usize, cparams: &CParams) -> Result<Vec<u8>> {
    Ok(special_header(nbytes, cparams, SpecialValue::Zeros)?
        .to_bytes()
        .to_vec())
}

/// A chunk of `nbytes` uninitialised bytes (decoded as zeros here; C leaves them untouched).
///
/// # Errors
/// As [`chunk_zeros`].
pub fn chunk_uninit(nbytes: usize, cparams: &CParams) -> Result<Vec<u8>> {
    Ok(special_header(nbytes, cparams, SpecialValue::Uninit)?
        .to_bytes()
        .to_vec())
}

/// A chunk of quiet NaNs; the typesize must be 4 (f32) or 8 (f64) and divide `nbytes`.
///
/// # Errors
/// `InvalidParam` otherwise.
pub fn chunk_nans(nbytes: usize, cparams: &CParams) -> Result<Vec<u8>> {
    let ts = cparams.header_typesize();
    if !matches!(ts, 4 | 8) || !nbytes.is_multiple_of(ts) {
        return Err(Error::param(format!(
            "NaN chunks need typesize 4 or 8 dividing nbytes (typesize {ts}, nbytes {nbytes})"
        )));
    }
    Ok(special_header(nbytes, cparams, SpecialValue::Nan)?
        .to_bytes()
        .to_vec())
}

/// A chunk of `nbytes` holding `value` repeated; `value.len()` must divide `nbytes`.
///
/// # Errors
/// `InvalidParam` for an empty value or one whose length does not divide `nbytes`.
pub fn chunk_repeat(nbytes: usize, value: &[u8], cparams: &CParams) -> Result<Vec<u8>> {
    let w = value.len();
    if w == 0 || w > nbytes || !nbytes.is_multiple_of(w) {
        return Err(Error::param(format!(
            "a value of {w} bytes cannot fill {nbytes} bytes exactly"
        )));
    }
    let mut h = special_header(nbytes, cparams, SpecialValue::Value)?;
    h.cbytes = EXTENDED_HEADER_LEN + w;
    let mut out = Vec::with_capacity(h.cbytes);
    out.extend_from_slice(&h.to_bytes());
    out.extend_from_slice(value);
    Ok(out)
}
