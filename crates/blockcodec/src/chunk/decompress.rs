//! The chunk reader (blosc-format.md §8): validated header -> per-block streams -> codec ->
//! inverse filters, blocks decoded independently and in parallel where the filters allow.

use std::sync::Arc;

use super::header::{ChunkHeader, SpecialValue};
use super::scratch::{Scratch, block_buffer, with_scratch};
use crate::codec::{self, CodecScratch};
use crate::error::{Error, Result};
use crate::filter::{BitshuffleRules, Pipeline};
use crate::parallel;
use crate::params::{Codec, DParams, Limits};
use crate::user::{self, BlockCallback, BlockInfo, UserCodec};

/// Largest dictionary section C-Blosc2 accepts (`BLOSC2_MAXDICTSIZE`, §2.5).
const MAX_DICT_SIZE: usize = 32 * 1024;

/// Quiet-NaN bit patterns C-Blosc2 writes for NaN chunks (§2.4).
const NAN_F32: [u8; 4] = 0x7FC0_0000u32.to_le_bytes();
const NAN_F64: [u8; 8] = 0x7FF8_0000_0000_0000u64.to_le_bytes();

/// Decompresses a chunk into `dst`, returning the number of bytes written (`nbytes`).
///
/// # Errors
/// `InvalidData` for malformed input, `Unsupported` for features this build lacks,
/// `OutputTooSmall` when `dst` is shorter than the chunk's `nbytes` (checked before any work).
pub fn decompress_into(src: &[u8], dst: &mut [u8]) -> Result<usize> {
    decompress_into_with(src, dst, &DParams::default())
}

/// [`decompress_into`] with explicit parameters (thread count).
///
/// # Errors
/// As [`decompress_into`].
pub fn decompress_into_with(src: &[u8], dst: &mut [u8], dparams: &DParams) -> Result<usize> {
    let header = ChunkHeader::parse(src)?;
    let nbytes = header.nbytes();
    let avail = dst.len();
    let dst = dst
        .get_mut(..nbytes)
        .ok_or_else(|| Error::too_small(nbytes, avail))?;
    Chunk::new(src, header, dparams)?.decode_all(dst, dparams.nthreads)?;
    Ok(nbytes)
}

/// Decompresses a chunk into a new vector, refusing (before allocating) chunks whose `nbytes`
/// exceeds `limits.max_nbytes`.
///
/// # Errors
/// As [`decompress_into`], plus `LimitExceeded`.
pub fn decompress_to_vec(src: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    decompress_to_vec_with(src, limits, &DParams::default())
}

/// [`decompress_to_vec`] with explicit parameters.
///
/// # Errors
/// As [`decompress_to_vec`].
pub fn decompress_to_vec_with(src: &[u8], limits: &Limits, dparams: &DParams) -> Result<Vec<u8>> {
    let header = ChunkHeader::parse(src)?;
    let nbytes = header.nbytes();
    if nbytes > limits.max_nbytes {
        return Err(Error::limit(format!(
            "chunk declares {nbytes} bytes, above the limit of {}",
            limits.max_nbytes
        )));
    }
    let chunk = Chunk::new(src, header, dparams)?;
    let mut out = Vec::new();
    out.try_reserve_exact(nbytes)
        .map_err(|_| Error::limit(format!("cannot allocate {nbytes} bytes")))?;
    out.resize(nbytes, 0);
    chunk.decode_all(&mut out, dparams.nthreads)?;
    Ok(out)
}

/// Decompresses with default limits (256 MiB) into a new vector.
///
/// # Errors
/// As [`decompress_to_vec`].
pub fn decompress(src: &[u8]) -> Result<Vec<u8>> {
    decompress_to_vec(src, &Limits::default())
}

/// Decodes elements `start .. start + nitems` (in units of the header typesize) into `dst`,
/// decoding only the blocks that hold them. Returns the number of bytes written.
///
/// # Errors
/// `InvalidParam` when the range is outside the chunk, `OutputTooSmall` when `dst` is short,
/// and the errors of [`decompress_into`].
pub fn getitem(src: &[u8], start: usize, nitems: usize, dst: &mut [u8]) -> Result<usize> {
    getitem_with(src, start, nitems, dst, &DParams::default())
}

/// [`getitem`] with explicit parameters (registry, postfilter; blocks are decoded serially).
///
/// # Errors
/// As [`getitem`].
pub fn getitem_with(
    src: &[u8],
    start: usize,
    nitems: usize,
    dst: &mut [u8],
    dparams: &DParams,
) -> Result<usize> {
    let header = ChunkHeader::parse(src)?;
    let ts = header.typesize();
    let range = start
        .checked_mul(ts)
        .and_then(|a| Some((a, start.checked_add(nitems)?.checked_mul(ts)?)))
        .filter(|&(_, b)| b <= header.nbytes())
        .ok_or_else(|| {
            Error::param(format!(
                "items {start}..+{nitems} are outside a chunk of {} items",
                header.nbytes() / ts
            ))
        })?;
    let len = range.1 - range.0;
    let avail = dst.len();
    let dst = dst
        .get_mut(..len)
        .ok_or_else(|| Error::too_small(len, avail))?;
    Chunk::new(src, header, dparams)?.decode_range(range.0, dst)?;
    Ok(len)
}

/// A chunk whose header is validated, ready to decode blocks.
#[derive(Clone)]
struct Chunk<'a> {
    src: &'a [u8],
    h: ChunkHeader,
    pipeline: Pipeline,
    codec: Option<Codec>,
    /// The dictionary section's bytes (§2.5), for chunks with the dictionary flag.
    dict: Option<&'a [u8]>,
    /// Where block data may start: after the bstarts table and the dictionary section.
    data_start: usize,
    /// Whether non-leftover blocks are split into `typesize` streams.
    split: bool,
    /// The codec object when the chunk names a user codec (format code 6, §1.1).
    user_codec: Option<Arc<dyn UserCodec>>,
    /// Called on every block after the pipeline.
    postfilter: Option<BlockCallback>,
}

impl<'a> Chunk<'a> {
    fn new(src: &'a [u8], h: ChunkHeader, dparams: &DParams) -> Result<Chunk<'a>> {
        let src = &src[..h.cbytes()];
        let regular = h.special().is_none() && !h.is_memcpyed() && h.nbytes() > 0;
        let slots = if regular {
            h.filters()?
        } else {
            Default::default()
        };
        let codec = if regular { Some(h.codec()?) } else { None };
        // User codecs and filters are looked up only for chunks that name them; an id nobody
        // registered is `Unsupported`, whatever the streams hold.
        let registry = dparams.registry.as_ref();
        let user_codec = match codec {
            Some(c) => user::resolve_codec(c, registry)?,
            None => None,
        };
        let user_filters = user::resolve_filters(&slots, registry)?;
        let (dict, data_start) = if regular {
            // `ChunkHeader::parse` checked that the bstarts table fits in the chunk.
            let table_end = h.header_len() + 4 * h.nblocks();
            if h.uses_dict() {
                let d = read_dict(src, table_end)?;
                (Some(d), table_end + 4 + d.len())
            } else {
                (None, table_end)
            }
        } else {
            (None, 0)
        };
        let rules = if h.version() <= 2 {
            BitshuffleRules::V2
        } else {
            BitshuffleRules::V3
        };
        let pipeline = Pipeline::new(slots, h.typesize(), rules).with_user(user_filters);
        let split = if h.version() <= 2 {
            // C-Blosc 1.x also requires its legacy condition (§3.1).
            !h.dont_split() && h.typesize() <= 16 && h.blocksize() / h.typesize() >= 128
        } else {
            !h.dont_split()
        };
        Ok(Chunk {
            src,
            h,
            pipeline,
            codec,
            dict,
            data_start,
            split,
            user_codec,
            postfilter: dparams.postfilter.clone(),
        })
    }

    /// Streams a block of `bsize` bytes is stored as (memcpyed and special chunks: one).
    fn nstreams(&self, bsize: usize) -> usize {
        let stored = self.h.is_memcpyed() || self.h.special().is_some();
        if self.split && !stored && bsize == self.h.blocksize() {
            self.h.typesize()
        } else {
            1
        }
    }

    fn info(&self, nblock: usize, bsize: usize) -> BlockInfo {
        let blocksize = self.h.blocksize();
        BlockInfo {
            typesize: self.h.typesize(),
            nbytes: self.h.nbytes(),
            blocksize,
            nblock,
            offset: nblock * blocksize,
            bsize,
            stream: 0,
            nstreams: self.nstreams(bsize),
        }
    }

    /// Runs the postfilter on block `nblock`, whose restored bytes are in `out`: the callback
    /// reads a copy and writes `out`.
    fn postfilter_block(&self, post: &BlockCallback, nblock: usize, out: &mut [u8]) -> Result<()> {
        // The same info as the prefilter saw for this block.
        let info = self.info(nblock, out.len());
        with_scratch(|sc| {
            let input = block_buffer(&mut sc.block, out.len());
            input.copy_from_slice(out);
            post.run("postfilter", input, out, info)
        })
    }

    /// Blosc1 chunks written with ALWAYS split fail the legacy rule; they are retried
    /// flag-only. `None` when there is nothing to retry.
    fn legacy_split_retry(&self) -> Option<Chunk<'a>> {
        (self.h.version() <= 2 && !self.split && !self.h.dont_split()).then(|| Chunk {
            split: true,
            ..self.clone()
        })
    }

    fn decode_all(&self, dst: &mut [u8], nthreads: usize) -> Result<()> {
        self.decode_all_inner(dst, nthreads)
            .or_else(|e| match self.legacy_split_retry() {
                Some(retry) => retry.decode_all_inner(dst, nthreads).map_err(|_| e),
                None => Err(e),
            })?;
        let Some(post) = &self.postfilter else {
            return Ok(());
        };
        // A pass of its own after every block is restored, so delta's reference is block 0
        // before the postfilter (C-Blosc2 `pipeline_backward` runs it per block; with delta it
        // would XOR against the postfiltered block 0).
        let bs = self.h.blocksize();
        let mut jobs: Vec<&mut [u8]> = dst.chunks_mut(bs).collect();
        parallel::try_for_each(nthreads, &mut jobs, |j, out| {
            self.postfilter_block(post, j, out)
        })
    }

    /// [`Chunk::decode_range_inner`] with the same legacy retry as [`Chunk::decode_all`], so
    /// `getitem` decodes every chunk `decompress` decodes (fuzz finding bug_fuzz_1).
    fn decode_range(&self, offset: usize, dst: &mut [u8]) -> Result<()> {
        let Some(post) = &self.postfilter else {
            return self.decode_range_retrying(offset, dst);
        };
        if dst.is_empty() {
            return Ok(());
        }
        // The postfilter sees whole blocks: restore each block the range touches, postfilter
        // it, copy the requested part.
        let bs = self.h.blocksize();
        let mut block = Vec::new();
        let mut written = 0;
        for j in offset / bs..=(offset + dst.len() - 1) / bs {
            let bstart = j * bs;
            let blen = bs.min(self.h.nbytes() - bstart);
            block.resize(blen, 0);
            self.decode_range_retrying(bstart, &mut block)?;
            self.postfilter_block(post, j, &mut block)?;
            let from = offset.max(bstart) - bstart;
            let to = (offset + dst.len()).min(bstart + blen) - bstart;
            dst[written..written + (to - from)].copy_from_slice(&block[from..to]);
            written += to - from;
        }
        Ok(())
    }

    fn decode_range_retrying(&self, offset: usize, dst: &mut [u8]) -> Result<()> {
        self.decode_range_inner(offset, dst)
            .or_else(|e| match self.legacy_split_retry() {
                Some(retry) => retry.decode_range_inner(offset, dst).map_err(|_| e),
                None => Err(e),
            })
    }

    fn decode_all_inner(&self, dst: &mut [u8], nthreads: usize) -> Result<()> {
        if let Some(special) = self.h.special() {
            return self.fill_special(special, dst);
        }
        if self.h.is_memcpyed() {
            let hl = self.h.header_len();
            dst.copy_from_slice(&self.src[hl..hl + dst.len()]);
            return Ok(());
        }
        if dst.is_empty() {
            return Ok(());
        }
        let bs = self.h.blocksize();
        let delta = self.pipeline.has_delta();
        let (first, rest) = dst.split_at_mut(bs.min(dst.len()));
        if delta {
            // Later blocks are XORed against the decoded block 0, so it must come first.
            self.decode_block(0, first, None)?;
            let reference: &[u8] = first;
            let mut jobs: Vec<&mut [u8]> = rest.chunks_mut(bs).collect();
            parallel::try_for_each(nthreads, &mut jobs, |i, out| {
                self.decode_block(i + 1, out, Some(reference))
            })
        } else {
            let mut jobs: Vec<&mut [u8]> = dst.chunks_mut(bs).collect();
            parallel::try_for_each(nthreads, &mut jobs, |i, out| {
                self.decode_block(i, out, None)
            })
        }
    }

    fn fill_special(&self, special: SpecialValue, dst: &mut [u8]) -> Result<()> {
        let pattern: &[u8] = match special {
            // C leaves uninitialised chunks untouched; zeros make decoding deterministic.
            SpecialValue::Zeros | SpecialValue::Uninit => {
                dst.fill(0);
                return Ok(());
            }
            SpecialValue::Nan if self.h.typesize() == 4 => &NAN_F32,
            SpecialValue::Nan => &NAN_F64,
            SpecialValue::Value => self
                .h
                .special_value(self.src)
                .ok_or_else(|| Error::invalid("repeated-value chunk without a value"))?,
        };
        for out in dst.chunks_mut(pattern.len()) {
            out.copy_from_slice(&pattern[..out.len()]);
        }
        Ok(())
    }

    /// Decodes the part of the chunk starting at byte `offset` into `dst`.
    fn decode_range_inner(&self, offset: usize, dst: &mut [u8]) -> Result<()> {
        if dst.is_empty() {
            return Ok(());
        }
        if let Some(special) = self.h.special() {
            // Patterns repeat with their width: fill from the start of the covering element.
            let width = self
                .h
                .special_value(self.src)
                .map_or(self.h.typesize(), <[u8]>::len);
            let skip = offset % width;
            let mut span = vec![0u8; skip + dst.len()];
            self.fill_special(special, &mut span)?;
            dst.copy_from_slice(&span[skip..]);
            return Ok(());
        }
        if self.h.is_memcpyed() {
            let at = self.h.header_len() + offset;
            dst.copy_from_slice(&self.src[at..at + dst.len()]);
            return Ok(());
        }
        let bs = self.h.blocksize();
        let first = offset / bs;
        let last = (offset + dst.len() - 1) / bs;
        // Delta blocks after the first need the decoded block 0 (§4.3).
        let reference = if self.pipeline.has_delta() && last > 0 {
            let mut block0 = vec![0u8; bs];
            self.decode_block(0, &mut block0, None)?;
            Some(block0)
        } else {
            None
        };
        let mut scratch = Vec::new();
        let mut written = 0;
        for j in first..=last {
            let bstart = j * bs;
            let blen = bs.min(self.h.nbytes() - bstart);
            let from = offset.max(bstart) - bstart;
            let to = (offset + dst.len()).min(bstart + blen) - bstart;
            let piece = &mut dst[written..written + (to - from)];
            match (&reference, j) {
                (Some(block0), 0) => piece.copy_from_slice(&block0[from..to]),
                _ if from == 0 && to == blen => {
                    self.decode_block(j, piece, reference.as_deref())?
                }
                _ => {
                    scratch.resize(blen, 0);
                    self.decode_block(j, &mut scratch, reference.as_deref())?;
                    piece.copy_from_slice(&scratch[from..to]);
                }
            }
            written += to - from;
        }
        Ok(())
    }

    fn read_i32(&self, pos: usize) -> Result<i32> {
        let bytes = self
            .src
            .get(pos..pos.wrapping_add(4))
            .filter(|_| pos.checked_add(4).is_some())
            .ok_or_else(|| Error::invalid(format!("stream header at {pos} runs past the chunk")))?;
        let mut b = [0u8; 4];
        b.copy_from_slice(bytes);
        Ok(i32::from_le_bytes(b))
    }

    /// Decodes block `j` into `out` (its exact length). `reference` is the decoded block 0.
    fn decode_block(&self, j: usize, out: &mut [u8], reference: Option<&[u8]>) -> Result<()> {
        let hl = self.h.header_len();
        let bstart = self.read_i32(hl + 4 * j)?;
        let mut pos = usize::try_from(bstart)
            .ok()
            .filter(|&b| b >= self.data_start && b < self.src.len())
            .ok_or_else(|| {
                Error::invalid(format!("block {j} starts at invalid offset {bstart}"))
            })?;
        let nstreams = self.nstreams(out.len());
        if !out.len().is_multiple_of(nstreams) {
            return Err(Error::invalid(
                "block length is not a multiple of its stream count",
            ));
        }
        let neblock = out.len() / nstreams;
        if neblock == 0 {
            return Err(Error::invalid("empty stream"));
        }
        let info = self.info(j, out.len());
        with_scratch(|sc| {
            let Scratch {
                filter, codec: cs, ..
            } = sc;
            let filtered = self.pipeline.has_inverse();
            let target: &mut [u8] = if filtered {
                Pipeline::stream_buffer(filter, out.len())
            } else {
                &mut *out
            };
            for (k, piece) in target.chunks_exact_mut(neblock).enumerate() {
                pos = self.decode_stream(pos, piece, cs, &info, k)?;
            }
            if filtered {
                self.pipeline.backward(filter, out, reference, &info)?;
            }
            Ok(())
        })
    }

    /// Decodes stream `k` of a block, starting at `pos`, into `out`; returns the position
    /// after it.
    fn decode_stream(
        &self,
        pos: usize,
        out: &mut [u8],
        cs: &mut CodecScratch,
        info: &BlockInfo,
        k: usize,
    ) -> Result<usize> {
        let csize = self.read_i32(pos)?;
        let pos = pos + 4;
        let extended = self.h.is_extended();
        if csize <= 0 && !extended {
            return Err(Error::invalid(format!(
                "stream size {csize} in a Blosc1 chunk"
            )));
        }
        if csize == 0 {
            out.fill(0);
            return Ok(pos);
        }
        if csize < 0 {
            if csize < -255 {
                return Err(Error::invalid(format!("run stream with csize {csize}")));
            }
            let token = *self
                .src
                .get(pos)
                .ok_or_else(|| Error::invalid("run token missing"))?;
            if token & 0x01 == 0 {
                return Err(Error::invalid(format!(
                    "run token {token:#04x} lacks bit 0"
                )));
            }
            out.fill(csize.unsigned_abs() as u8);
            return Ok(pos + 1);
        }
        let csize = csize as usize;
        let payload = pos
            .checked_add(csize)
            .and_then(|end| self.src.get(pos..end))
            .ok_or_else(|| {
                Error::invalid(format!("stream of {csize} bytes runs past the chunk"))
            })?;
        if csize == out.len() {
            out.copy_from_slice(payload);
        } else if let Some(u) = &self.user_codec {
            // C-Blosc2 `blosc_d`: decoder(src, cbytes, dest, neblock, compcode_meta, ..), whose
            // result must be neblock.
            let info = BlockInfo { stream: k, ..*info };
            user::decode(u.as_ref(), payload, out, self.h.compcode_meta(), &info)?;
        } else {
            let codec = self
                .codec
                .ok_or_else(|| Error::invalid("stream without a codec"))?;
            codec::decompress(codec, payload, out, self.dict, cs)?;
        }
        Ok(pos + csize)
    }
}

/// The dictionary section after the bstarts table (§2.5): an i32 size, `0 < dsize <= 32768`,
/// then that many bytes, all inside the chunk.
fn read_dict(src: &[u8], table_end: usize) -> Result<&[u8]> {
    let size = table_end
        .checked_add(4)
        .and_then(|end| src.get(table_end..end))
        .ok_or_else(|| Error::invalid("dictionary size runs past the chunk"))?;
    let mut b = [0u8; 4];
    b.copy_from_slice(size);
    let dsize = i32::from_le_bytes(b);
    let len = usize::try_from(dsize)
        .ok()
        .filter(|&n| n > 0 && n <= MAX_DICT_SIZE)
        .ok_or_else(|| {
            Error::invalid(format!(
                "dictionary size {dsize} is outside 1..={MAX_DICT_SIZE}"
            ))
        })?;
    let start = table_end + 4;
    src.get(start..start + len).ok_or_else(|| {
        Error::invalid(format!(
            "dictionary of {len} bytes runs past the end of the chunk"
        ))
    })
}
