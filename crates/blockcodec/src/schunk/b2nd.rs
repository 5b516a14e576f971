//! The `b2nd` metalayer of python-blosc2 / C-Blosc2 NDArrays (blosc-format.md §6.3).

use super::frame::msgpack::MsgValue;
use crate::error::{Error, Result};

/// Most dimensions accepted (C-Blosc2's `B2ND_MAX_DIM` is 8 to 16 depending on the version; the
/// msgpack encoding uses fixarrays, so 15 is the hard ceiling).
pub const B2ND_MAX_DIM: usize = 15;

/// Name of the metalayer python-blosc2 uses to tell an NDArray from a plain SChunk.
pub const B2ND_METALAYER: &str = "b2nd";

/// The decoded `b2nd` metalayer: array geometry and NumPy dtype.
///
/// Wire form: `fixarray(7) = [version, ndim, shape (i64 each), chunkshape (i32), blockshape
/// (i32), dtype format (0 = NumPy), dtype string]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct B2ndMeta {
    /// Layer format version (0 today).
    pub version: u8,
    /// Array shape.
    pub shape: Vec<i64>,
    /// Shape of each chunk.
    pub chunkshape: Vec<i32>,
    /// Shape of each block inside a chunk.
    pub blockshape: Vec<i32>,
    /// How `dtype` is spelled: 0 = NumPy `dtype.str` (e.g. `"<f8"`).
    pub dtype_format: u8,
    /// The dtype string.
    pub dtype: String,
}

fn small_uint(v: &MsgValue, what: &str) -> Result<u8> {
    v.as_i64()
        .and_then(|i| u8::try_from(i).ok())
        .ok_or_else(|| Error::invalid(format!("b2nd: {what} is not a small non-negative integer")))
}

fn dims<T: TryFrom<i64>>(v: &MsgValue, ndim: usize, what: &str) -> Result<Vec<T>> {
    let items = v
        .as_array()
        .ok_or_else(|| Error::invalid(format!("b2nd: {what} is not an array")))?;
    if items.len() != ndim {
        return Err(Error::invalid(format!(
            "b2nd: {what} has {} entries for {ndim} dimensions",
            items.len()
        )));
    }
    items
        .iter()
        .map(|x| {
            x.as_i64()
                .filter(|&i| i >= 0)
                .and_then(|i| T::try_from(i).ok())
                .ok_or_else(|| Error::invalid(format!("b2nd: {what} entry out of range")))
        })
        .collect()
}

impl B2ndMeta {
    /// Decodes a `b2nd` metalayer's content.
    ///
    /// # Errors
    /// `InvalidData` for malformed msgpack, the wrong number of fields, more than 15 dimensions,
    /// shape lists whose length is not `ndim`, or negative extents.
    pub fn parse(content: &[u8]) -> Result<B2ndMeta> {
        let v = MsgValue::from_msgpack(content)?;
        let f = v
            .as_array()
            .filter(|a| a.len() == 7)
            .ok_or_else(|| Error::invalid("b2nd: expected an array of 7 fields"))?;
        let version = small_uint(&f[0], "version")?;
        let ndim = usize::from(small_uint(&f[1], "ndim")?);
        if ndim > B2ND_MAX_DIM {
            return Err(Error::invalid(format!("b2nd: {ndim} dimensions")));
        }
        let shape = dims::<i64>(&f[2], ndim, "shape")?;
        let chunkshape = dims::<i32>(&f[3], ndim, "chunkshape")?;
        let blockshape = dims::<i32>(&f[4], ndim, "blockshape")?;
        let dtype_format = small_uint(&f[5], "dtype format")?;
        let dtype = f[6]
            .as_str()
            .ok_or_else(|| Error::invalid("b2nd: dtype is not a string"))?
            .to_owned();
        Ok(B2ndMeta {
            version,
            shape,
            chunkshape,
            blockshape,
            dtype_format,
            dtype,
        })
    }

    /// Encodes the layer exactly as C-Blosc2's `b2nd_serialize_meta` does (shape as int64,
    /// chunk and block shapes as int32, dtype as str32), so C and python-blosc2 read it.
    ///
    /// # Errors
    /// `InvalidParam` for more than 15 dimensions, shape lists of different lengths, a version
    /// or dtype format above 127, or a dtype longer than `u32::MAX` bytes.
    pub fn to_msgpack(&self) -> Result<Vec<u8>> {
        let ndim = self.shape.len();
        if ndim > B2ND_MAX_DIM
            || self.chunkshape.len() != ndim
            || self.blockshape.len() != ndim
            || self.version > 0x7F
            || self.dtype_format > 0x7F
        {
            return Err(Error::param("b2nd: inconsistent or oversized geometry"));
        }
        let dlen = u32::try_from(self.dtype.len())
            .map_err(|_| Error::param("b2nd: dtype string too long"))?;
        let mut out = vec![0x97, self.version, ndim as u8, 0x90 | ndim as u8];
        for &s in &self.shape {
            out.push(0xD3);
            out.extend_from_slice(&s.to_be_bytes());
        }
        for list in [&self.chunkshape, &self.blockshape] {
            out.push(0x90 | ndim as u8);
            for &s in list {
                out.push(0xD2);
                out.extend_from_slice(&s.to_be_bytes());
            }
        }
        out.push(self.dtype_format);
        out.push(0xDB);
        out.extend_from_slice(&dlen.to_be_bytes());
        out.extend_from_slice(self.dtype.as_bytes());
        Ok(out)
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Total number of items (product of the shape), `None` on overflow.
    pub fn nitems(&self) -> Option<u64> {
        self.shape
            .iter()
            .try_fold(1u64, |acc, &s| acc.checked_mul(u64::try_from(s).ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_blosc2_layer() {
        // blosc2.arange(0, 100, dtype=float64, shape=(10, 10), chunks=(5, 5), blocks=(5, 5)).
        let hex = "97000292d3000000000000000ad3000000000000000a92d200000005d20000000592d2000000\
                   05d20000000500db000000033c6638";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let m = B2ndMeta::parse(&bytes).unwrap();
        assert_eq!(m.shape, vec![10, 10]);
        assert_eq!(m.chunkshape, vec![5, 5]);
        assert_eq!(m.blockshape, vec![5, 5]);
        assert_eq!(m.dtype, "<f8");
        assert_eq!(m.nitems(), Some(100));
        assert_eq!(m.to_msgpack().unwrap(), bytes);
        assert!(B2ndMeta::parse(&bytes[..bytes.len() - 1]).is_err());
        let mut bad = bytes.clone();
        bad[2] = 3; // ndim disagrees with the shape lists
        assert!(B2ndMeta::parse(&bad).is_err());
    }
}
