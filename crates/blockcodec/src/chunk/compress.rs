//! The chunk writer (blosc-format.md §5.1): blocks -> filters -> streams -> codec.
//!
//! Blocks are compressed independently (in parallel with the `parallel` feature) into private
//! regions, then a serial walk in block order assembles the chunk exactly as C-Blosc2 does with
//! one thread, including its output-limit rules. The bytes are therefore identical for every
//! thread count, and identical to C-Blosc2's at one thread for BloscLZ.

use super::header::{
    EXTENDED_HEADER_LEN, FLAG_DELTA, FLAG_DONT_SPLIT, FLAG_EXTENDED, FLAG_MEMCPYED, HeaderFields,
    MAX_BUFFERSIZE, MAX_OVERHEAD, SpecialValue,
};
use super::layout::{compute_blocksize, writer_splits};
use super::scratch::{Scratch, block_buffer, with_scratch};
use crate::codec::{self, CodecScratch};
use crate::error::{Error, Result};
use crate::filter::{BitshuffleRules, Pipeline};
use crate::parallel;
use crate::params::{CParams, Filter};
use crate::user::{self, BlockInfo, UserCodec};
use std::sync::Arc;

/// Inputs below this size are always stored memcpyed (`BLOSC_MIN_BUFFERSIZE`, §1.3).
const MIN_BUFFERSIZE: usize = 32;

/// Compresses `src` into a new chunk.
///
/// # Errors
/// `InvalidParam` for bad parameters or an input above 2 GiB − 32, `Unsupported` for codecs
/// this build cannot compress with.
pub fn compress(src: &[u8], cparams: &CParams) -> Result<Vec<u8>> {
    let mut dst = vec![0u8; src.len().saturating_add(MAX_OVERHEAD)];
    let n = compress_into(src, &mut dst, cparams)?;
    dst.truncate(n);
    // Callers keep chunks around; do not make them hold the worst-case capacity.
    dst.shrink_to_fit();
    Ok(dst)
}

/// What a stream of the compressed block turned into.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Stream {
    /// Placeholder for streams a block does not have.
    #[default]
    Absent,
    /// All bytes zero: a csize of 0 and no payload.
    Zero,
    /// All bytes equal to a non-zero byte: negative csize and a token.
    Run,
    /// Codec output of this many bytes.
    Coded(u32),
    /// Stored raw (the codec could not compress).
    Raw,
}

struct BlockJob<'a> {
    src: &'a [u8],
    region: &'a mut [u8],
    streams: &'a mut [Stream],
}

struct Plan<'a> {
    cp: &'a CParams,
    src: &'a [u8],
    typesize: usize,
    blocksize: usize,
    split: bool,
    pipeline: Pipeline,
    /// The codec object when `cp.codec` is a user codec.
    user_codec: Option<Arc<dyn UserCodec>>,
    /// Block 0 as the prefilter made it: the delta reference when a prefilter is set.
    prefiltered_block0: Option<Vec<u8>>,
}

impl Plan<'_> {
    fn nstreams(&self, block_len: usize) -> usize {
        if self.split && block_len == self.blocksize {
            self.typesize
        } else {
            1
        }
    }

    fn reference(&self, index: usize) -> Option<&[u8]> {
        (index > 0 && self.pipeline.has_delta()).then(|| {
            self.prefiltered_block0
                .as_deref()
                .unwrap_or(&self.src[..self.blocksize])
        })
    }

    fn info(&self, index: usize, bsize: usize) -> BlockInfo {
        BlockInfo {
            typesize: self.typesize,
            nbytes: self.src.len(),
            blocksize: self.blocksize,
            nblock: index,
            offset: index * self.blocksize,
            bsize,
            stream: 0,
            nstreams: self.nstreams(bsize),
        }
    }

    /// The block the pipeline filters: the prefilter's output in `buf`, or `block` itself.
    fn prefiltered<'b>(
        &self,
        block: &'b [u8],
        info: &BlockInfo,
        buf: &'b mut Vec<u8>,
    ) -> Result<&'b [u8]> {
        match &self.cp.prefilter {
            None => Ok(block),
            Some(pre) => {
                let out = block_buffer(buf, block.len());
                pre.run("prefilter", block, out, *info)?;
                Ok(out)
            }
        }
    }

    /// Encodes stream `k` of a block into `out` (its length is the output limit); 0 means
    /// "store raw". Built-in codecs go straight to [`codec::compress`].
    fn encode(
        &self,
        piece: &[u8],
        out: &mut [u8],
        cs: &mut CodecScratch,
        info: &BlockInfo,
        k: usize,
    ) -> Result<usize> {
        match &self.user_codec {
            None => Ok(codec::compress(
                self.cp.codec,
                self.cp.clevel,
                piece,
                out,
                cs,
            )),
            Some(u) => {
                let info = BlockInfo { stream: k, ..*info };
                user::encode(u.as_ref(), piece, out, self.cp.compcode_meta, &info)
            }
        }
    }

    /// Phase 1: filters the block and encodes each stream into `region` at
    /// `k * (neblock + 5)` with an output limit of `neblock`.
    fn compress_block(&self, index: usize, job: &mut BlockJob<'_>, sc: &mut Scratch) -> Result<()> {
        let Scratch {
            filter,
            codec: cs,
            block,
        } = sc;
        let info = self.info(index, job.src.len());
        let input = self.prefiltered(job.src, &info, block)?;
        let filtered = self
            .pipeline
            .forward(input, self.reference(index), filter, &info)?;
        let nstreams = self.nstreams(filtered.len());
        let neblock = filtered.len() / nstreams;
        for (k, piece) in filtered.chunks_exact(neblock).take(nstreams).enumerate() {
            let slot = &mut job.region[k * (neblock + 5)..][..neblock];
            job.streams[k] = match run_byte(piece) {
                Some(0) => Stream::Zero,
                Some(v) => {
                    slot[0] = v;
                    Stream::Run
                }
                _ => {
                    let c = self.encode(piece, slot, cs, &info, k)?;
                    if c == 0 || c >= neblock {
                        slot.copy_from_slice(piece);
                        Stream::Raw
                    } else {
                        Stream::Coded(c as u32)
                    }
                }
            };
        }
        Ok(())
    }

    /// Re-encodes stream `k` of block `index` with a smaller output limit, as C does when the
    /// destination is nearly full. Returns the coded length, or 0.
    fn recompress_stream(&self, index: usize, k: usize, limit: &mut [u8]) -> Result<usize> {
        let start = index * self.blocksize;
        let src = &self.src[start..(start + self.blocksize).min(self.src.len())];
        with_scratch(|sc| {
            let Scratch {
                filter,
                codec: cs,
                block,
            } = sc;
            let info = self.info(index, src.len());
            let input = self.prefiltered(src, &info, block)?;
            let filtered = self
                .pipeline
                .forward(input, self.reference(index), filter, &info)?;
            let neblock = filtered.len() / self.nstreams(filtered.len());
            let piece = &filtered[k * neblock..(k + 1) * neblock];
            self.encode(piece, limit, cs, &info, k)
        })
    }
}

/// Compresses `src` into `dst`, returning the chunk length. A destination of
/// `src.len() + 32` bytes always suffices; a smaller one follows C-Blosc2's rules (streams get a
/// reduced output limit near the end, and a chunk that does not fit is an error).
///
/// # Errors
/// As [`compress`], plus `OutputTooSmall` when the chunk does not fit in `dst`.
pub fn compress_into(src: &[u8], dst: &mut [u8], cparams: &CParams) -> Result<usize> {
    cparams.validate()?;
    let nbytes = src.len();
    if nbytes > MAX_BUFFERSIZE {
        return Err(Error::param(format!(
            "input of {nbytes} bytes exceeds the chunk maximum of {MAX_BUFFERSIZE}"
        )));
    }
    let typesize = cparams.header_typesize();
    let blocksize = compute_blocksize(cparams, typesize, nbytes);
    let nblocks = nbytes.div_ceil(blocksize);
    let destsize = dst.len();
    // Resolves nothing (and takes no lock) unless a user codec or filter is named.
    let user_codec = user::resolve_codec(cparams.codec, cparams.registry.as_ref())?;
    let user_filters = user::resolve_filters(&cparams.filters, cparams.registry.as_ref())?;
    let mut fields = HeaderFields {
        versionlz: user_codec.as_ref().map_or(1, |u| u.version()),
        flags: FLAG_EXTENDED,
        typesize: typesize as u8,
        nbytes,
        blocksize,
        cbytes: 0,
        filters: cparams.filters.map(|s| s.filter.id()),
        filters_meta: cparams.filters.map(|s| s.meta),
        udcodec: cparams.codec.api_id(),
        compcode_meta: cparams.compcode_meta,
        blosc2_flags: 0,
    };
    let memcpyed = cparams.clevel == 0
        || nbytes < MIN_BUFFERSIZE
        || EXTENDED_HEADER_LEN + 4 * nblocks > destsize;
    if memcpyed {
        fields.flags |= FLAG_MEMCPYED;
        return write_memcpyed(src, dst, &mut fields, cparams);
    }
    let split = writer_splits(cparams, typesize, blocksize);
    if cparams.has_filter(Filter::Delta) {
        fields.flags |= FLAG_DELTA;
    }
    if !split {
        fields.flags |= FLAG_DONT_SPLIT;
    }
    fields.flags |= cparams.codec.format_code() << 5;
    let slots = cparams.filters;
    let mut plan = Plan {
        cp: cparams,
        src,
        typesize,
        blocksize,
        split,
        pipeline: Pipeline::new(slots, typesize, BitshuffleRules::V3).with_user(user_filters),
        user_codec,
        prefiltered_block0: None,
    };
    if nblocks > 1
        && plan.pipeline.has_delta()
        && let Some(pre) = &cparams.prefilter
    {
        // Delta XORs later blocks with block 0 as the decoder will restore it (§4.3), which
        // with a prefilter is the prefilter's output, not the raw input C-Blosc2 uses.
        let mut block0 = vec![0u8; blocksize];
        pre.run(
            "prefilter",
            &src[..blocksize],
            &mut block0,
            plan.info(0, blocksize),
        )?;
        plan.prefiltered_block0 = Some(block0);
    }
    match assemble(&plan, nblocks, dst)? {
        Some(Assembled::Streams(cbytes)) => {
            fields.cbytes = cbytes;
            write_header(dst, &fields);
            Ok(cbytes)
        }
        Some(Assembled::AllZero) => {
            // Every stream was a zero run: C rewrites the chunk as a zero special (§5.1 step 7).
            fields.blosc2_flags |= HeaderFields::special(SpecialValue::Zeros);
            fields.cbytes = EXTENDED_HEADER_LEN;
            write_header(dst, &fields);
            Ok(EXTENDED_HEADER_LEN)
        }
        None => write_memcpyed(src, dst, &mut fields, cparams),
    }
}

/// The byte every position of `piece` holds, if they are all equal (§5.1 step 6b). Compares
/// 64-byte slices so the check vectorises; it runs on every stream.
fn run_byte(piece: &[u8]) -> Option<u8> {
    let v = *piece.first()?;
    let pattern = [v; 64];
    let (chunks, rest) = piece.as_chunks::<64>();
    (chunks.iter().all(|c| *c == pattern) && rest.iter().all(|&b| b == v)).then_some(v)
}

fn write_header(dst: &mut [u8], fields: &HeaderFields) {
    dst[..EXTENDED_HEADER_LEN].copy_from_slice(&fields.to_bytes());
}

fn write_memcpyed(
    src: &[u8],
    dst: &mut [u8],
    fields: &mut HeaderFields,
    cparams: &CParams,
) -> Result<usize> {
    let cbytes = src.len() + EXTENDED_HEADER_LEN;
    if cbytes > dst.len() {
        return Err(Error::too_small(cbytes, dst.len()));
    }
    fields.flags |= FLAG_MEMCPYED;
    fields.cbytes = cbytes;
    let body = &mut dst[EXTENDED_HEADER_LEN..cbytes];
    match &cparams.prefilter {
        None => body.copy_from_slice(src),
        Some(pre) => {
            // C-Blosc2 `serial_blosc`/`blosc_c`: with a prefilter a memcpyed chunk stores the
            // prefilter's output, block by block.
            let bs = fields.blocksize.max(1);
            for (j, (out, block)) in body.chunks_mut(bs).zip(src.chunks(bs)).enumerate() {
                let info = BlockInfo {
                    typesize: usize::from(fields.typesize),
                    nbytes: src.len(),
                    blocksize: bs,
                    nblock: j,
                    offset: j * bs,
                    bsize: block.len(),
                    stream: 0,
                    nstreams: 1,
                };
                pre.run("prefilter", block, out, info)?;
            }
        }
    }
    write_header(dst, fields);
    Ok(cbytes)
}

enum Assembled {
    Streams(usize),
    AllZero,
}

/// Writes the bstarts table and streams into `dst`. `None` means C would fall back to memcpy.
fn assemble(plan: &Plan<'_>, nblocks: usize, dst: &mut [u8]) -> Result<Option<Assembled>> {
    if cfg!(feature = "parallel") && plan.cp.nthreads > 1 && nblocks > 1 {
        assemble_parallel(plan, nblocks, dst)
    } else {
        with_scratch(|sc| assemble_serial(plan, nblocks, dst, sc))
    }
}

/// C-Blosc2's one-thread writer (§5.1 step 6): each stream is encoded straight into `dst` with
/// an output limit of `min(neblock, room left)`.
fn assemble_serial(
    plan: &Plan<'_>,
    nblocks: usize,
    dst: &mut [u8],
    sc: &mut Scratch,
) -> Result<Option<Assembled>> {
    let Scratch {
        filter,
        codec: cs,
        block: prebuf,
    } = sc;
    let destsize = dst.len();
    let mut ntbytes = EXTENDED_HEADER_LEN + 4 * nblocks;
    let mut all_zero = true;
    for (j, block) in plan.src.chunks(plan.blocksize).enumerate() {
        let at = EXTENDED_HEADER_LEN + 4 * j;
        dst[at..at + 4].copy_from_slice(&(ntbytes as i32).to_le_bytes());
        let info = plan.info(j, block.len());
        let input = plan.prefiltered(block, &info, prebuf)?;
        let filtered = plan
            .pipeline
            .forward(input, plan.reference(j), filter, &info)?;
        let nstreams = plan.nstreams(filtered.len());
        let neblock = filtered.len() / nstreams;
        for (k, piece) in filtered.chunks_exact(neblock).take(nstreams).enumerate() {
            ntbytes += 4;
            if ntbytes > destsize {
                return Ok(None);
            }
            let csize_at = ntbytes - 4;
            let csize = match run_byte(piece) {
                Some(0) => 0,
                Some(v) => {
                    ntbytes += 1;
                    if ntbytes > destsize {
                        return Ok(None);
                    }
                    dst[ntbytes - 1] = 0x01;
                    all_zero = false;
                    -i32::from(v)
                }
                _ => {
                    all_zero = false;
                    let maxout = neblock.min(destsize - ntbytes);
                    if maxout == 0 {
                        return Ok(None);
                    }
                    let out = &mut dst[ntbytes..ntbytes + maxout];
                    let c = plan.encode(piece, out, cs, &info, k)?;
                    let len = if c == 0 || c >= neblock {
                        if ntbytes + neblock > destsize {
                            return Ok(None);
                        }
                        dst[ntbytes..ntbytes + neblock].copy_from_slice(piece);
                        neblock
                    } else {
                        c
                    };
                    ntbytes += len;
                    len as i32
                }
            };
            dst[csize_at..csize_at + 4].copy_from_slice(&csize.to_le_bytes());
        }
    }
    Ok(Some(if all_zero {
        Assembled::AllZero
    } else {
        Assembled::Streams(ntbytes)
    }))
}

/// Phase 1 (parallel) then phase 2 (serial walk reproducing [`assemble_serial`]'s decisions).
fn assemble_parallel(plan: &Plan<'_>, nblocks: usize, dst: &mut [u8]) -> Result<Option<Assembled>> {
    let max_streams = if plan.split { plan.typesize } else { 1 };
    // Each stream slot holds its payload (at most neblock) plus room for 5 header bytes.
    let stride = plan.blocksize + 5 * max_streams;
    let mut regions = REGIONS.take();
    if regions.len() < stride * nblocks {
        // Grown, never cleared: every stream writes its slot before the slot is read.
        regions.resize(stride * nblocks, 0);
    }
    let result = assemble_regions(plan, nblocks, dst, stride, max_streams, &mut regions);
    if regions.len() <= KEEP_REGIONS {
        REGIONS.set(regions);
    }
    result
}

thread_local! {
    /// The parallel writer's per-block output regions, kept for the caller's next chunk: a
    /// fresh zeroed allocation per call cost up to a third of the time of compressing a very
    /// compressible 3 MiB chunk on two threads (page faults and zeroing).
    static REGIONS: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Largest region buffer kept between calls.
const KEEP_REGIONS: usize = 32 << 20;

fn assemble_regions(
    plan: &Plan<'_>,
    nblocks: usize,
    dst: &mut [u8],
    stride: usize,
    max_streams: usize,
    regions: &mut [u8],
) -> Result<Option<Assembled>> {
    let regions = &mut regions[..stride * nblocks];
    let mut streams = vec![Stream::Absent; max_streams * nblocks];
    let mut jobs: Vec<BlockJob<'_>> = plan
        .src
        .chunks(plan.blocksize)
        .zip(regions.chunks_mut(stride))
        .zip(streams.chunks_mut(max_streams))
        .map(|((src, region), streams)| BlockJob {
            src,
            region,
            streams,
        })
        .collect();
    parallel::try_for_each(plan.cp.nthreads, &mut jobs, |i, job| {
        with_scratch(|sc| plan.compress_block(i, job, sc))
    })?;
    drop(jobs);

    let destsize = dst.len();
    let table = EXTENDED_HEADER_LEN;
    let mut ntbytes = EXTENDED_HEADER_LEN + 4 * nblocks;
    let mut all_zero = true;
    for (j, block) in plan.src.chunks(plan.blocksize).enumerate() {
        dst[table + 4 * j..table + 4 * j + 4].copy_from_slice(&(ntbytes as i32).to_le_bytes());
        let nstreams = plan.nstreams(block.len());
        let neblock = block.len() / nstreams;
        for k in 0..nstreams {
            let kind = streams[j * max_streams + k];
            let payload_at = j * stride + k * (neblock + 5);
            // §5.1 step 6a: room for csize.
            ntbytes += 4;
            let csize_at = ntbytes - 4;
            if ntbytes > destsize {
                return Ok(None);
            }
            let csize: i32 = match kind {
                Stream::Absent => return Err(Error::invalid("internal: missing stream")),
                Stream::Zero => 0,
                Stream::Run => {
                    ntbytes += 1;
                    if ntbytes > destsize {
                        return Ok(None);
                    }
                    dst[ntbytes - 1] = 0x01;
                    -i32::from(regions[payload_at])
                }
                Stream::Coded(_) | Stream::Raw => {
                    let room = destsize - ntbytes;
                    let len = if room >= neblock {
                        match kind {
                            Stream::Coded(c) => c as usize,
                            _ => neblock,
                        }
                    } else {
                        // C would call the codec with a limit of `room` (step 6c).
                        if room == 0 {
                            return Ok(None);
                        }
                        let c = plan.recompress_stream(j, k, &mut dst[ntbytes..destsize])?;
                        if c == 0 || c >= neblock {
                            return Ok(None);
                        }
                        ntbytes += c;
                        all_zero = false;
                        write_csize(dst, csize_at, c);
                        continue;
                    };
                    dst[ntbytes..ntbytes + len]
                        .copy_from_slice(&regions[payload_at..payload_at + len]);
                    ntbytes += len;
                    len as i32
                }
            };
            if kind != Stream::Zero {
                all_zero = false;
            }
            dst[csize_at..csize_at + 4].copy_from_slice(&csize.to_le_bytes());
        }
    }
    Ok(Some(if all_zero {
        Assembled::AllZero
    } else {
        Assembled::Streams(ntbytes)
    }))
}

fn write_csize(dst: &mut [u8], at: usize, c: usize) {
    dst[at..at + 4].copy_from_slice(&(c as i32).to_le_bytes());
}
