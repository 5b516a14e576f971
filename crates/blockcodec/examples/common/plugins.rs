//! The two example plugins, shared by `examples/user_codec.rs`, `examples/user_interop.rs` and
//! `tests/user_plugins.rs`. `tools/user_plugins.py` implements the same byte formats for
//! python-blosc2's `register_codec` / `register_filter`.
//!
//! **Repeated-value codec** (default id 160). Element width `w = compcode_meta`, or 1 when the
//! meta byte is 0. A stream is a sequence of runs, each stored as the element's `w` bytes
//! followed by the run length as a `u32` little-endian (at least 1). A stream whose length is
//! not a multiple of `w`, or whose runs do not fit in the output limit, is "not compressible"
//! (stored raw by the chunk writer). Decoding rejects a stream that is not whole records, a zero
//! count, or counts that do not add up to the output length.
//!
//! **Difference filter** (default id 160). Element width `w = filters_meta`, or the typesize
//! when the meta byte is 0; a width other than 1, 2, 4 or 8 is taken as 1. The block's whole
//! elements, read as little-endian unsigned integers, become `x[0], x[1] − x[0], x[2] − x[1],
//! ...` (wrapping); trailing bytes that do not make a whole element are copied unchanged.
//! Backward is the running sum.

#![allow(dead_code)]

use blockcodec::{BlockInfo, Error, ErrorKind, Result, UserCodec, UserFilter};

/// The repeated-value (run-length) codec.
pub(crate) struct RepeatedValueCodec {
    /// Codec id (160..=255).
    pub(crate) id: u8,
}

impl Default for RepeatedValueCodec {
    fn default() -> Self {
        RepeatedValueCodec { id: 160 }
    }
}

fn codec_width(meta: u8) -> usize {
    usize::from(meta).max(1)
}

impl UserCodec for RepeatedValueCodec {
    fn id(&self) -> u8 {
        self.id
    }

    fn name(&self) -> &str {
        "repeated-value"
    }

    fn encode(
        &self,
        input: &[u8],
        output: &mut [u8],
        meta: u8,
        _info: &BlockInfo,
    ) -> Result<Option<usize>> {
        let w = codec_width(meta);
        if input.is_empty() || !input.len().is_multiple_of(w) {
            return Ok(None);
        }
        let record = w + 4;
        let mut n = 0;
        let mut emit = |value: &[u8], count: u32| {
            let Some(out) = output.get_mut(n..n + record) else {
                return false;
            };
            out[..w].copy_from_slice(value);
            out[w..].copy_from_slice(&count.to_le_bytes());
            n += record;
            true
        };
        let mut elems = input.chunks_exact(w);
        let Some(mut run) = elems.next() else {
            return Ok(None);
        };
        let mut count: u32 = 1;
        for e in elems {
            if e == run && count < u32::MAX {
                count += 1;
            } else {
                if !emit(run, count) {
                    return Ok(None);
                }
                run = e;
                count = 1;
            }
        }
        if !emit(run, count) {
            return Ok(None);
        }
        Ok(Some(n))
    }

    fn decode(
        &self,
        input: &[u8],
        output: &mut [u8],
        meta: u8,
        _info: &BlockInfo,
    ) -> Result<usize> {
        let w = codec_width(meta);
        let record = w + 4;
        let bad =
            |what: &str| Error::new(ErrorKind::InvalidData, format!("repeated-value: {what}"));
        if !input.len().is_multiple_of(record) {
            return Err(bad("stream is not whole (value, count) records"));
        }
        let mut at: usize = 0;
        for rec in input.chunks_exact(record) {
            let (value, count) = rec.split_at(w);
            let count = u32::from_le_bytes([count[0], count[1], count[2], count[3]]) as usize;
            if count == 0 {
                return Err(bad("run of length 0"));
            }
            let end = count
                .checked_mul(w)
                .and_then(|len| at.checked_add(len))
                .filter(|&end| end <= output.len())
                .ok_or_else(|| bad("runs longer than the block"))?;
            for out in output[at..end].chunks_exact_mut(w) {
                out.copy_from_slice(value);
            }
            at = end;
        }
        if at != output.len() {
            return Err(bad("runs shorter than the block"));
        }
        Ok(at)
    }
}

/// The neighbour-difference filter.
pub(crate) struct DifferenceFilter {
    /// Filter id (160..=255).
    pub(crate) id: u8,
}

impl Default for DifferenceFilter {
    fn default() -> Self {
        DifferenceFilter { id: 160 }
    }
}

fn filter_width(meta: u8, typesize: usize) -> usize {
    let w = if meta == 0 {
        typesize
    } else {
        usize::from(meta)
    };
    if matches!(w, 1 | 2 | 4 | 8) { w } else { 1 }
}

fn load(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(b)
}

fn store(v: u64, out: &mut [u8]) {
    let n = out.len();
    out.copy_from_slice(&v.to_le_bytes()[..n]);
}

impl UserFilter for DifferenceFilter {
    fn id(&self) -> u8 {
        self.id
    }

    fn name(&self) -> &str {
        "difference"
    }

    fn forward(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<()> {
        let w = filter_width(meta, info.typesize);
        let whole = input.len() / w * w;
        let mut prev = 0u64;
        for (x, y) in input[..whole]
            .chunks_exact(w)
            .zip(output[..whole].chunks_exact_mut(w))
        {
            let v = load(x);
            // Stored in w bytes, so the subtraction wraps modulo 2^(8w).
            store(v.wrapping_sub(prev), y);
            prev = v;
        }
        output[whole..].copy_from_slice(&input[whole..]);
        Ok(())
    }

    fn backward(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<()> {
        let w = filter_width(meta, info.typesize);
        let whole = input.len() / w * w;
        let mut acc = 0u64;
        for (x, y) in input[..whole]
            .chunks_exact(w)
            .zip(output[..whole].chunks_exact_mut(w))
        {
            acc = acc.wrapping_add(load(x));
            store(acc, y);
        }
        output[whole..].copy_from_slice(&input[whole..]);
        Ok(())
    }
}
