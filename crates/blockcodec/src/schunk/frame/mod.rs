//! Contiguous frames (blosc-format.md §6.1–6.6, §6.8) and reading sparse frames (§6.7).
//!
//! ```text
//! header (msgpack, header_len bytes) | chunk data (cbytes bytes) | offsets chunk | trailer
//! ```
//!
//! Reading goes through one function, [`parse_frame`], whatever the bytes come from (a slice, a
//! file, a sparse frame's index): every length and offset is checked, with checked arithmetic,
//! against the frame's real size before it is used or anything is allocated from it (§9.3).

pub(crate) mod header;
pub(crate) mod msgpack;
pub(crate) mod offsets;
pub(crate) mod trailer;

use std::borrow::Cow;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::{Entry, SChunk};
use crate::chunk::decompress::decompress_into;
use crate::chunk::header::{
    EXTENDED_HEADER_LEN, FLAG_DONT_SPLIT, FLAG_EXTENDED, HeaderFields, MAX_BLOCKSIZE, SpecialValue,
};
use crate::chunk::layout::compute_blocksize;
use crate::error::{Error, ErrorKind, Result};
use crate::params::{CParams, Codec, DParams, Filter, FilterSlot, MAX_FILTERS, SplitMode};
use header::{
    FIXED_LEN, FLAG_OFFSETS_64, FLAG_VARIABLE_CHUNKS, FLAG_VL_BLOCKS, FixedHeader, Layer,
    MAX_METALAYERS, TYPE_CONTIGUOUS, TYPE_SPARSE, VERSION_FIXED, VERSION_VARIABLE, parse_layers,
    write_layers,
};
use offsets::{ChunkSizes, MAX_NCHUNKS, Offset, encode_offsets};
use trailer::TAIL_LEN;

/// Name of the index file inside a sparse frame's directory (§6.7).
const SPARSE_INDEX: &str = "chunks.b2frame";

/// Bounds on what opening an untrusted frame may allocate or accept, checked before use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameLimits {
    /// Largest frame accepted, in bytes.
    pub max_frame_len: u64,
    /// Most chunks a frame may index. The index is decoded at open time: 8 bytes per chunk,
    /// plus about 40 bytes per chunk of bookkeeping.
    pub max_chunks: usize,
    /// Largest metalayer section, trailer, or decompressed vlmetalayer value, in bytes.
    pub max_meta_len: usize,
}

impl Default for FrameLimits {
    /// 1 TiB frames, 4 Mi chunks (32 MiB of offsets), 64 MiB of metadata.
    fn default() -> Self {
        FrameLimits {
            max_frame_len: 1 << 40,
            max_chunks: 1 << 22,
            max_meta_len: 64 << 20,
        }
    }
}

impl FrameLimits {
    /// Only the format's own bounds (268,435,455 chunks, 2 GiB sections).
    pub fn unlimited() -> Self {
        FrameLimits {
            max_frame_len: u64::MAX,
            max_chunks: MAX_NCHUNKS,
            max_meta_len: usize::MAX,
        }
    }
}

/// Where a lazily read chunk lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// Absolute byte position in the frame file.
    Frame(u64),
    /// Chunk id of a sparse frame: file `%08X.chunk` in its directory.
    Sparse(u64),
}

/// The file behind a lazily opened super-chunk.
pub(crate) enum Backing {
    File { path: PathBuf, file: Mutex<File> },
    Sparse { dir: PathBuf },
}

impl fmt::Debug for Backing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backing::File { path, .. } => write!(f, "File({})", path.display()),
            Backing::Sparse { dir } => write!(f, "Sparse({})", dir.display()),
        }
    }
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{}: {e}", path.display()))
}

fn sparse_chunk_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:08X}.chunk"))
}

fn read_exact_at(file: &Mutex<File>, path: &Path, pos: u64, len: usize) -> Result<Vec<u8>> {
    let mut f = file
        .lock()
        .map_err(|_| Error::new(ErrorKind::Io, "frame file lock poisoned"))?;
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|_| Error::limit(format!("cannot allocate {len} bytes")))?;
    buf.resize(len, 0);
    f.seek(SeekFrom::Start(pos)).map_err(|e| io_err(path, e))?;
    f.read_exact(&mut buf).map_err(|e| io_err(path, e))?;
    Ok(buf)
}

impl Backing {
    /// Reads a chunk whose size was validated when the frame was opened.
    pub(crate) fn read_chunk(&self, loc: &Loc, cbytes: usize) -> Result<Vec<u8>> {
        match (self, loc) {
            (Backing::File { path, file }, Loc::Frame(pos)) => {
                read_exact_at(file, path, *pos, cbytes)
            }
            (Backing::Sparse { dir }, Loc::Sparse(id)) => {
                let path = sparse_chunk_path(dir, *id);
                let file = File::open(&path).map_err(|e| io_err(&path, e))?;
                let mut buf = Vec::new();
                buf.try_reserve_exact(cbytes)
                    .map_err(|_| Error::limit(format!("cannot allocate {cbytes} bytes")))?;
                file.take(cbytes as u64)
                    .read_to_end(&mut buf)
                    .map_err(|e| io_err(&path, e))?;
                if buf.len() != cbytes {
                    return Err(Error::invalid(format!(
                        "{}: chunk file shrank to {} bytes",
                        path.display(),
                        buf.len()
                    )));
                }
                Ok(buf)
            }
            _ => Err(Error::invalid(
                "internal: chunk location does not match its file",
            )),
        }
    }
}

/// Random access to frame bytes during parsing.
trait ReadAt {
    fn size(&self) -> u64;
    /// Exactly `len` bytes at `pos`; the caller has bounded `pos + len` by [`ReadAt::size`].
    fn read_at(&self, pos: u64, len: usize) -> Result<Cow<'_, [u8]>>;
}

struct SliceSrc<'a>(&'a [u8]);

impl ReadAt for SliceSrc<'_> {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_at(&self, pos: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        usize::try_from(pos)
            .ok()
            .and_then(|p| Some(p..p.checked_add(len)?))
            .and_then(|r| self.0.get(r))
            .map(Cow::Borrowed)
            .ok_or_else(|| Error::invalid(format!("frame truncated: {len} bytes at {pos}")))
    }
}

struct FileSrc<'a> {
    file: &'a Mutex<File>,
    path: &'a Path,
    len: u64,
}

impl ReadAt for FileSrc<'_> {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_at(&self, pos: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        if pos.checked_add(len as u64).is_none_or(|end| end > self.len) {
            return Err(Error::invalid(format!(
                "frame truncated: {len} bytes at {pos}"
            )));
        }
        read_exact_at(self.file, self.path, pos, len).map(Cow::Owned)
    }
}

/// Frame parameters that have no [`CParams`] equivalent in this build, kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawParams {
    codec_flags: u8,
    udcodec: u8,
    compcode_meta: u8,
    other_flags: u8,
    filters: [u8; MAX_FILTERS],
    filters_meta: [u8; MAX_FILTERS],
}

impl RawParams {
    fn codec_id(&self) -> u8 {
        match self.codec_flags & 0x0F {
            6 => self.udcodec,
            c => c,
        }
    }
}

impl fmt::Display for RawParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "codec id {}, clevel {}, filters {:?}",
            self.codec_id(),
            self.codec_flags >> 4,
            self.filters
        )
    }
}

/// One chunk as the index describes it.
enum ParsedEntry {
    Stored { loc: Loc, sizes: ChunkSizes },
    Special { kind: SpecialValue, nbytes: usize },
}

/// A frame whose structure has been validated.
struct Parsed {
    header: FixedHeader,
    metalayers: Vec<Layer>,
    vlmeta: Vec<Layer>,
    entries: Vec<ParsedEntry>,
}

fn u64_to_usize(v: u64, what: &str) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::limit(format!("{what} of {v} does not fit in memory")))
}

/// Prefixes an error's message with where it happened, keeping its kind.
fn context(e: Error, what: &str) -> Error {
    Error::new(e.kind(), format!("{what}: {}", e.message()))
}

/// Reads the size fields of the chunk at `pos`, which may use at most `avail` bytes.
fn chunk_sizes_at(src: &dyn ReadAt, pos: u64, avail: u64, what: &str) -> Result<ChunkSizes> {
    let plen = avail.min(EXTENDED_HEADER_LEN as u64) as usize;
    let prefix = src.read_at(pos, plen)?;
    let sizes = ChunkSizes::read(&prefix).map_err(|e| context(e, what))?;
    if sizes.cbytes as u64 > avail {
        return Err(Error::invalid(format!(
            "{what}: cbytes {} runs past the {avail} bytes available",
            sizes.cbytes
        )));
    }
    Ok(sizes)
}

/// Validates a frame's structure (§6, §9.3). `sparse_dir` is the directory of a sparse frame
/// whose index `src` is; chunk files are then sized from the directory.
fn parse_frame(
    src: &dyn ReadAt,
    limits: &FrameLimits,
    sparse_dir: Option<&Path>,
) -> Result<Parsed> {
    let size = src.size();
    if size < FIXED_LEN as u64 {
        return Err(Error::invalid(format!(
            "frame of {size} bytes is shorter than the {FIXED_LEN}-byte header"
        )));
    }
    let h = FixedHeader::parse(&src.read_at(0, FIXED_LEN)?)?;
    let want_type = if sparse_dir.is_some() {
        TYPE_SPARSE
    } else {
        TYPE_CONTIGUOUS
    };
    if h.frame_type != want_type {
        return Err(match h.frame_type {
            TYPE_SPARSE => Error::unsupported(
                "this is the index of a sparse frame; open its directory with SChunk::open",
            ),
            t if t > TYPE_SPARSE => Error::unsupported(format!("frame type {t:#04x}")),
            _ => Error::invalid("a sparse frame's index is not marked as sparse"),
        });
    }
    if h.frame_len != size {
        return Err(Error::invalid(if h.frame_len > size {
            format!(
                "frame truncated: frame_len is {} but only {size} bytes are present",
                h.frame_len
            )
        } else {
            format!(
                "frame_len is {} but {} trailing bytes follow it",
                h.frame_len,
                size - h.frame_len
            )
        }));
    }
    if h.frame_len > limits.max_frame_len {
        return Err(Error::limit(format!(
            "frame_len {} exceeds the limit of {}",
            h.frame_len, limits.max_frame_len
        )));
    }
    let frame_len = h.frame_len;
    let header_len = h.header_len as u64; // <= frame_len (FixedHeader::parse)

    // Metalayers (§6.3).
    if h.header_len - FIXED_LEN > limits.max_meta_len {
        return Err(Error::limit(format!(
            "frame header of {} bytes exceeds the metadata limit",
            h.header_len
        )));
    }
    let metalayers = if h.header_len > FIXED_LEN {
        let head = src.read_at(0, h.header_len)?;
        parse_layers(
            &head,
            FIXED_LEN,
            0,
            h.header_len,
            MAX_METALAYERS,
            "metalayers",
        )?
    } else {
        Vec::new()
    };

    // Trailer (§6.5).
    let after_header = frame_len - header_len;
    if after_header < TAIL_LEN as u64 {
        return Err(Error::invalid(
            "frame has no room for a trailer after its header",
        ));
    }
    let trailer_len = u64::from(trailer::parse_tail(
        &src.read_at(frame_len - TAIL_LEN as u64, TAIL_LEN)?,
    )?);
    if trailer_len < trailer::MIN_LEN as u64 || trailer_len > after_header {
        return Err(Error::invalid(format!(
            "trailer_len {trailer_len} is outside 25..={after_header}"
        )));
    }
    if trailer_len - TAIL_LEN as u64 > limits.max_meta_len as u64 {
        return Err(Error::limit(format!(
            "frame trailer of {trailer_len} bytes exceeds the metadata limit"
        )));
    }
    let trailer_start = frame_len - trailer_len;
    let vlmeta = trailer::parse(&src.read_at(trailer_start, trailer_len as usize)?)?;

    // Sizes and the chunk-data section.
    let nbytes = u64::try_from(h.nbytes)
        .map_err(|_| Error::invalid(format!("frame nbytes {} is negative", h.nbytes)))?;
    let cbytes = u64::try_from(h.cbytes)
        .map_err(|_| Error::invalid(format!("frame cbytes {} is negative", h.cbytes)))?;
    let data_end = if sparse_dir.is_some() {
        header_len
    } else {
        header_len
            .checked_add(cbytes)
            .filter(|&e| e <= trailer_start)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "frame cbytes {cbytes} runs past the trailer at {trailer_start}"
                ))
            })?
    };

    let mut entries = Vec::new();
    if nbytes > 0 {
        let chunksize = h.chunksize;
        if chunksize < 0 {
            return Err(Error::invalid(format!(
                "frame holds {nbytes} bytes but its chunksize is {chunksize}"
            )));
        }
        let chunksize = chunksize as u64;
        // The offsets chunk follows the chunk data (§6.4).
        let avail = trailer_start - data_end;
        let osizes = chunk_sizes_at(src, data_end, avail, "frame offsets chunk")?;
        if osizes.nbytes % 8 != 0 {
            return Err(Error::invalid(format!(
                "frame offsets chunk holds {} bytes, not a multiple of 8",
                osizes.nbytes
            )));
        }
        let nchunks = (osizes.nbytes / 8) as u64;
        if chunksize > 0 {
            let expected = nbytes.div_ceil(chunksize);
            if expected != nchunks {
                return Err(Error::invalid(format!(
                    "frame nbytes {nbytes} and chunksize {chunksize} make {expected} chunks, \
                     the offsets chunk indexes {nchunks}"
                )));
            }
        }
        if nchunks == 0 || nchunks > MAX_NCHUNKS as u64 {
            return Err(Error::invalid(format!(
                "frame indexes {nchunks} chunks for {nbytes} bytes"
            )));
        }
        if nchunks > limits.max_chunks as u64 {
            return Err(Error::limit(format!(
                "frame indexes {nchunks} chunks, above the limit of {}",
                limits.max_chunks
            )));
        }
        let nchunks = nchunks as usize;
        let ochunk = src.read_at(data_end, osizes.cbytes)?;
        // Bounded: nchunks <= limits.max_chunks.
        let mut raw = vec![0u8; nchunks * 8];
        decompress_into(&ochunk, &mut raw).map_err(|e| context(e, "frame offsets chunk"))?;
        let offsets = raw
            .chunks_exact(8)
            .map(|b| Offset::decode(i64::from_le_bytes(b.try_into().unwrap_or_default())))
            .collect::<Result<Vec<_>>>()?;

        // Expected size of chunk i in fixed mode (only asked when chunksize > 0).
        let last_nbytes = nbytes
            .checked_rem(chunksize)
            .filter(|&r| r != 0)
            .unwrap_or(chunksize);
        let fixed_nbytes = |i: usize| -> usize {
            if i + 1 < nchunks {
                chunksize as usize
            } else {
                last_nbytes as usize
            }
        };
        entries.reserve_exact(nchunks);
        let mut total: u64 = 0;
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for (i, off) in offsets.into_iter().enumerate() {
            let e = match off {
                Offset::Special(kind) => {
                    if chunksize == 0 {
                        return Err(Error::invalid(format!(
                            "chunk {i}: special offset in a variable-chunksize frame"
                        )));
                    }
                    let nb = fixed_nbytes(i);
                    if kind == SpecialValue::Nan
                        && !(matches!(h.typesize, 4 | 8) && nb % h.typesize as usize == 0)
                    {
                        return Err(Error::invalid(format!(
                            "chunk {i}: NaN chunk of {nb} bytes with typesize {}",
                            h.typesize
                        )));
                    }
                    ParsedEntry::Special { kind, nbytes: nb }
                }
                Offset::Stored(o) => {
                    let what = format!("chunk {i}");
                    let (loc, sizes) = match sparse_dir {
                        Some(dir) => (Loc::Sparse(o), sparse_chunk_sizes(dir, o, &what)?),
                        None => {
                            if o >= cbytes {
                                return Err(Error::invalid(format!(
                                    "{what}: offset {o} is past the {cbytes}-byte data section"
                                )));
                            }
                            let pos = header_len + o;
                            let sizes = chunk_sizes_at(src, pos, cbytes - o, &what)?;
                            ranges.push((o, o + sizes.cbytes as u64));
                            (Loc::Frame(pos), sizes)
                        }
                    };
                    if chunksize > 0 && sizes.nbytes != fixed_nbytes(i) {
                        return Err(Error::invalid(format!(
                            "{what} holds {} bytes; the frame's chunksize makes it {}",
                            sizes.nbytes,
                            fixed_nbytes(i)
                        )));
                    }
                    ParsedEntry::Stored { loc, sizes }
                }
            };
            total += match &e {
                ParsedEntry::Stored { sizes, .. } => sizes.nbytes as u64,
                ParsedEntry::Special { nbytes, .. } => *nbytes as u64,
            };
            entries.push(e);
        }
        if total != nbytes {
            return Err(Error::invalid(format!(
                "frame chunks hold {total} bytes, its header says {nbytes}"
            )));
        }
        // Chunks may be in any order, but never share bytes: copying them all then costs at
        // most the frame size (§3.5 item 3), and duplicate offsets are refused.
        ranges.sort_unstable();
        if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(Error::invalid(
                "frame chunks overlap (duplicate or aliased offsets)",
            ));
        }
        if sparse_dir.is_some() {
            let mut ids: Vec<u64> = entries
                .iter()
                .filter_map(|e| match e {
                    ParsedEntry::Stored {
                        loc: Loc::Sparse(id),
                        ..
                    } => Some(*id),
                    _ => None,
                })
                .collect();
            ids.sort_unstable();
            if ids.windows(2).any(|w| w[0] == w[1]) {
                return Err(Error::invalid(
                    "sparse frame: two chunks share a chunk file",
                ));
            }
        }
    }
    Ok(Parsed {
        header: h,
        metalayers,
        vlmeta,
        entries,
    })
}

fn sparse_chunk_sizes(dir: &Path, id: u64, what: &str) -> Result<ChunkSizes> {
    let path = sparse_chunk_path(dir, id);
    let file = File::open(&path).map_err(|e| io_err(&path, e))?;
    let len = file.metadata().map_err(|e| io_err(&path, e))?.len();
    let lock = Mutex::new(file);
    let src = FileSrc {
        file: &lock,
        path: &path,
        len,
    };
    chunk_sizes_at(&src, 0, len, what)
}

/// Compression parameters a frame header describes, or the raw bytes when this build has no
/// equivalent (unknown codec, filter or clevel).
fn frame_params(h: &FixedHeader) -> (CParams, Option<RawParams>) {
    let codec = Codec::from_api_id(h.codec_id());
    let mut slots = [FilterSlot::default(); MAX_FILTERS];
    let mut known = true;
    for (i, slot) in slots.iter_mut().enumerate() {
        match Filter::from_id(h.filters[i]) {
            Some(f) => {
                slot.filter = f;
                slot.meta = h.filters_meta[i];
            }
            None => known = false,
        }
    }
    let splitmode = match h.splitmode() {
        1 => SplitMode::Always,
        2 => SplitMode::Never,
        3 => SplitMode::Auto,
        _ => SplitMode::ForwardCompat,
    };
    let blocksize = usize::try_from(h.blocksize)
        .ok()
        .filter(|&b| b <= MAX_BLOCKSIZE)
        .unwrap_or(0);
    let mut cp = CParams::default()
        .typesize(h.typesize as usize)
        .filter_slots(slots)
        .splitmode(splitmode)
        .blocksize(blocksize);
    cp.compcode_meta = h.compcode_meta;
    let raw = match codec {
        Some(c) if known && h.clevel() <= 9 => {
            cp = cp.codec(c).clevel(h.clevel());
            None
        }
        _ => Some(RawParams {
            codec_flags: h.codec_flags,
            udcodec: h.udcodec,
            compcode_meta: h.compcode_meta,
            other_flags: h.other_flags,
            filters: h.filters,
            filters_meta: h.filters_meta,
        }),
    };
    (cp, raw)
}

/// Total header length for these metalayers, `None` above `i32::MAX`.
pub(crate) fn header_len(layers: &[Layer]) -> Option<usize> {
    let mut n: usize = FIXED_LEN + 1 + 3 + 3 + 3;
    for (name, content) in layers {
        n = n
            .checked_add(1 + name.len() + 5 + 5)?
            .checked_add(content.len())?;
    }
    (n <= i32::MAX as usize).then_some(n)
}

/// A zero/NaN/uninit chunk written as ordinary blocks rather than as a special-value header:
/// zeros as blocks of one zero-run stream each (8 bytes per block), NaNs compressed with LZ4 and
/// shuffle (they shuffle into byte runs).
fn plain_special_chunk(kind: SpecialValue, nbytes: usize, cp: &CParams) -> Result<Vec<u8>> {
    let ts = cp.header_typesize();
    if kind == SpecialValue::Nan {
        let pattern: &[u8] = match ts {
            4 => &0x7FC0_0000u32.to_le_bytes(),
            _ => &0x7FF8_0000_0000_0000u64.to_le_bytes(),
        };
        let data: Vec<u8> = pattern.iter().copied().cycle().take(nbytes).collect();
        let cp = CParams::default()
            .codec(Codec::Lz4)
            .typesize(ts)
            .filters(&[Filter::Shuffle]);
        return crate::compress(&data, &cp);
    }
    let plain = CParams::default()
        .codec(Codec::Lz4)
        .typesize(ts)
        .filters(&[])
        .splitmode(SplitMode::Never);
    let blocksize = compute_blocksize(&plain, ts, nbytes).max(1);
    let nblocks = nbytes.div_ceil(blocksize);
    let cbytes = nblocks
        .checked_mul(8)
        .and_then(|n| n.checked_add(EXTENDED_HEADER_LEN))
        .filter(|&n| n <= i32::MAX as usize)
        .ok_or_else(|| Error::limit("zero chunk too large"))?;
    let fields = HeaderFields {
        flags: FLAG_EXTENDED | FLAG_DONT_SPLIT | (Codec::Lz4.format_code() << 5),
        typesize: ts as u8,
        nbytes,
        blocksize,
        cbytes,
        udcodec: Codec::Lz4.api_id(),
        ..HeaderFields::default()
    };
    let mut out = Vec::with_capacity(cbytes);
    out.extend_from_slice(&fields.to_bytes());
    let streams = EXTENDED_HEADER_LEN + 4 * nblocks;
    for j in 0..nblocks {
        out.extend_from_slice(&((streams + 4 * j) as i32).to_le_bytes());
    }
    // csize 0: a stream of zeros (§2.3).
    out.resize(cbytes, 0);
    Ok(out)
}

/// One stored chunk in the order it is written.
enum Piece<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
    Lazy(&'a Loc, usize),
}

/// Everything needed to write a frame, sizes known up front.
struct Plan<'a> {
    head: Vec<u8>,
    pieces: Vec<Piece<'a>>,
    offsets: Vec<u8>,
    trailer: Vec<u8>,
    frame_len: u64,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl SChunk {
    /// API id of the codec the super-chunk records ([`Codec::api_id`]). Equal to
    /// `cparams().codec.api_id()` except for frames naming a codec this build does not know.
    pub fn codec_id(&self) -> u8 {
        match &self.raw_params {
            Some(r) => r.codec_id(),
            None => self.cparams.codec.api_id(),
        }
    }

    /// Compression level the super-chunk records (as [`SChunk::codec_id`]).
    pub fn clevel(&self) -> u8 {
        match &self.raw_params {
            Some(r) => r.codec_flags >> 4,
            None => self.cparams.clevel,
        }
    }

    /// Lays out the frame of the current state (§6.8 checklist).
    /// `sparse`: lay out the index of a sparse frame (chunk ids as offsets, no data section).
    fn frame_plan(&self, sparse: bool) -> Result<Plan<'_>> {
        let overflow = || Error::limit("frame size overflows");
        let mut offsets = Vec::new();
        offsets
            .try_reserve_exact(self.chunks.len())
            .map_err(|_| Error::limit("cannot allocate the offsets index"))?;
        let mut pieces = Vec::with_capacity(self.chunks.len());
        let mut cursor: u64 = 0;
        for e in &self.chunks {
            let piece = match e {
                Entry::Special { kind, nbytes } if self.special_as_offset(*nbytes) => {
                    offsets.push(Offset::Special(*kind));
                    continue;
                }
                // C-Blosc2 3.3.5 cannot open a frame *file* whose chunk 0 is a stored
                // special-value chunk ("Cannot inspect the first chunk"): write that one as
                // ordinary blocks instead.
                Entry::Special { kind, nbytes } if pieces.is_empty() && offsets.is_empty() => {
                    Piece::Owned(plain_special_chunk(*kind, *nbytes, &self.cparams)?)
                }
                // A special offset needs a chunksize to be sized: store the 32-byte chunk.
                Entry::Special { kind, nbytes } => {
                    Piece::Owned(self.special_chunk(*kind, *nbytes)?)
                }
                Entry::Mem { bytes, .. } => Piece::Borrowed(bytes),
                Entry::Lazy { loc, cbytes, .. } => Piece::Lazy(loc, *cbytes),
            };
            let len = match &piece {
                Piece::Borrowed(b) => b.len(),
                Piece::Owned(b) => b.len(),
                Piece::Lazy(_, n) => *n,
            };
            offsets.push(Offset::Stored(if sparse {
                pieces.len() as u64
            } else {
                cursor
            }));
            cursor = cursor.checked_add(len as u64).ok_or_else(overflow)?;
            pieces.push(piece);
        }
        let cbytes = cursor;
        let nbytes = self.nbytes();
        let offsets = if nbytes > 0 {
            encode_offsets(&offsets)?
        } else {
            Vec::new()
        };
        let trailer = trailer::write(&self.vlmeta);
        let header_len = header_len(&self.metalayers).ok_or_else(overflow)?;
        let frame_len = (header_len as u64)
            .checked_add(if sparse { 0 } else { cbytes })
            .and_then(|n| n.checked_add(offsets.len() as u64))
            .and_then(|n| n.checked_add(trailer.len() as u64))
            .filter(|&n| n <= i64::MAX as u64)
            .ok_or_else(overflow)?;

        let cp = &self.cparams;
        let (codec_flags, udcodec, compcode_meta, other_flags, filters, filters_meta) =
            match &self.raw_params {
                Some(r) => (
                    r.codec_flags,
                    r.udcodec,
                    r.compcode_meta,
                    r.other_flags,
                    r.filters,
                    r.filters_meta,
                ),
                None => (
                    // C-Blosc2 `new_header_frame`: codec ids from BLOSC_LAST_CODEC (6) on are
                    // written as BLOSC_UDCODEC_FORMAT, the id itself in the udcodec byte.
                    cp.codec.api_id().min(6) | (cp.clevel.min(15) << 4),
                    cp.codec.api_id(),
                    cp.compcode_meta,
                    cp.splitmode.c_value() - 1,
                    cp.filters.map(|s| s.filter.id()),
                    cp.filters.map(|s| s.meta),
                ),
            };
        let version = if self.variable || self.vl_blocks {
            VERSION_VARIABLE
        } else {
            VERSION_FIXED
        };
        let mut general_flags = version | FLAG_OFFSETS_64;
        if self.variable {
            general_flags |= FLAG_VARIABLE_CHUNKS;
        }
        if self.vl_blocks {
            general_flags |= FLAG_VL_BLOCKS;
        }
        let chunksize = match (self.variable, self.chunksize) {
            (true, _) => 0,
            (false, Some(cs)) => i32::try_from(cs).map_err(|_| overflow())?,
            (false, None) => -1,
        };
        let threads = |n: usize| n.clamp(1, i16::MAX as usize) as i16;
        let fixed = FixedHeader {
            header_len,
            frame_len,
            general_flags,
            frame_type: if sparse { TYPE_SPARSE } else { TYPE_CONTIGUOUS },
            codec_flags,
            other_flags,
            nbytes: nbytes as i64,
            cbytes: cbytes as i64,
            typesize: i32::try_from(cp.typesize).map_err(|_| overflow())?,
            blocksize: i32::try_from(cp.blocksize)
                .ok()
                .filter(|&b| b as usize <= MAX_BLOCKSIZE)
                .unwrap_or(0),
            chunksize,
            cthreads: threads(cp.nthreads),
            dthreads: threads(self.dparams.nthreads),
            has_vlmeta: !self.vlmeta.is_empty(),
            filters,
            udcodec,
            compcode_meta,
            filters_meta,
            other_flags2: 0,
        };
        let mut head = Vec::with_capacity(header_len);
        fixed.write(&mut head);
        write_layers(&mut head, &self.metalayers, 0, false);
        if head.len() != header_len {
            return Err(Error::invalid("internal: frame header length mismatch"));
        }
        Ok(Plan {
            head,
            pieces,
            offsets,
            trailer,
            frame_len,
        })
    }

    fn emit_piece<W: Write + ?Sized>(&self, p: &Piece<'_>, w: &mut W) -> Result<()> {
        match p {
            Piece::Borrowed(b) => w.write_all(b)?,
            Piece::Owned(b) => w.write_all(b)?,
            Piece::Lazy(loc, cbytes) => w.write_all(&self.read_lazy(loc, *cbytes)?)?,
        }
        Ok(())
    }

    fn emit<W: Write + ?Sized>(&self, plan: &Plan<'_>, w: &mut W) -> Result<()> {
        w.write_all(&plan.head)?;
        for p in &plan.pieces {
            self.emit_piece(p, w)?;
        }
        w.write_all(&plan.offsets)?;
        w.write_all(&plan.trailer)?;
        Ok(())
    }

    /// Serialises the super-chunk as a contiguous frame (`.b2frame`) that C-Blosc2 and
    /// python-blosc2 open (blosc-format.md §6.8). Lazily opened chunks are read from their
    /// file.
    ///
    /// # Errors
    /// `Io` when reading a lazy chunk fails; `LimitExceeded` when the frame does not fit in
    /// memory.
    pub fn to_frame(&self) -> Result<Vec<u8>> {
        let plan = self.frame_plan(false)?;
        let len = u64_to_usize(plan.frame_len, "frame")?;
        let mut out = Vec::new();
        out.try_reserve_exact(len)
            .map_err(|_| Error::limit(format!("cannot allocate a {len}-byte frame")))?;
        self.emit(&plan, &mut out)?;
        Ok(out)
    }

    /// Streams the frame to `w`, returning its length. Holds at most one chunk in memory
    /// beyond what the super-chunk already holds.
    ///
    /// # Errors
    /// `Io` when writing or reading a lazy chunk fails (`w` may then hold part of a frame; the
    /// super-chunk is unchanged).
    pub fn write_frame_to<W: Write>(&self, w: &mut W) -> Result<u64> {
        let plan = self.frame_plan(false)?;
        self.emit(&plan, w)?;
        Ok(plan.frame_len)
    }

    /// Writes the frame to `path` atomically: into a temporary file in the same directory,
    /// which is synced to disk and then renamed over `path`. On error the temporary file is
    /// removed and `path` is untouched.
    ///
    /// Writing back to the file a super-chunk was [`open`](SChunk::open)ed from is fine on
    /// Unix-like systems (the super-chunk keeps reading the old file's contents through its
    /// open handle).
    ///
    /// # Errors
    /// `Io` for file-system errors; `InvalidParam` for a path without a file name.
    pub fn write_frame(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let plan = self.frame_plan(false)?;
        let name = path
            .file_name()
            .ok_or_else(|| Error::param(format!("{}: not a file path", path.display())))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = dir.join(format!(
            ".{}.{}-{}.tmp",
            name.to_string_lossy(),
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| -> Result<()> {
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(|e| io_err(&tmp, e))?;
            let mut w = BufWriter::new(file);
            self.emit(&plan, &mut w)
                .map_err(|e| context(e, &tmp.display().to_string()))?;
            let file = w.into_inner().map_err(|e| io_err(&tmp, e.into_error()))?;
            file.sync_all().map_err(|e| io_err(&tmp, e))?;
            fs::rename(&tmp, path).map_err(|e| io_err(path, e))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
            return result;
        }
        // Make the rename itself durable (best effort: not every platform can sync a directory).
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Writes the super-chunk as a sparse frame (§6.7): a new directory `dir` holding the index
    /// `chunks.b2frame` (frame type 1, chunk ids as offsets) and one `%08X.chunk` file per
    /// stored chunk. The directory is built under a temporary name next to `dir`, every file
    /// synced, then renamed into place; on error it is removed and nothing appears at `dir`.
    ///
    /// # Errors
    /// `InvalidParam` when `dir` already exists or has no file name; `Io` for file-system
    /// errors.
    pub fn write_sparse(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        if dir.exists() {
            return Err(Error::param(format!("{} already exists", dir.display())));
        }
        let plan = self.frame_plan(true)?;
        let name = dir
            .file_name()
            .ok_or_else(|| Error::param(format!("{}: not a directory path", dir.display())))?;
        let parent = match dir.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = parent.join(format!(
            ".{}.{}-{}.tmp",
            name.to_string_lossy(),
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let write_file = |path: &Path, f: &dyn Fn(&mut BufWriter<File>) -> Result<()>| {
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| io_err(path, e))?;
            let mut w = BufWriter::new(file);
            f(&mut w).map_err(|e| context(e, &path.display().to_string()))?;
            let file = w.into_inner().map_err(|e| io_err(path, e.into_error()))?;
            file.sync_all().map_err(|e| io_err(path, e))
        };
        let result = (|| -> Result<()> {
            fs::create_dir(&tmp).map_err(|e| io_err(&tmp, e))?;
            for (id, piece) in plan.pieces.iter().enumerate() {
                write_file(&sparse_chunk_path(&tmp, id as u64), &|w| {
                    self.emit_piece(piece, w)
                })?;
            }
            write_file(&tmp.join(SPARSE_INDEX), &|w| {
                w.write_all(&plan.head)?;
                w.write_all(&plan.offsets)?;
                w.write_all(&plan.trailer)?;
                Ok(())
            })?;
            if let Ok(d) = File::open(&tmp) {
                let _ = d.sync_all();
            }
            fs::rename(&tmp, dir).map_err(|e| io_err(dir, e))
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(&tmp);
            return result;
        }
        if let Ok(d) = File::open(parent) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Reads a contiguous frame from memory, copying its chunks. `frame` must hold exactly one
    /// frame (`frame_len` equal to its length: slice embedded frames out first). The frame's
    /// structure is validated completely (§9.3); chunk contents are validated when a chunk is
    /// decoded.
    ///
    /// # Errors
    /// `InvalidData` for malformed frames, `Unsupported` for frame versions above 3, offset
    /// widths other than 64 bits, sparse or user frame types and fingerprints,
    /// `LimitExceeded` beyond `limits`.
    pub fn from_frame(frame: &[u8], limits: &FrameLimits) -> Result<SChunk> {
        let parsed = parse_frame(&SliceSrc(frame), limits, None)?;
        let mut chunks = Vec::with_capacity(parsed.entries.len());
        for e in &parsed.entries {
            chunks.push(match e {
                ParsedEntry::Special { kind, nbytes } => Entry::Special {
                    kind: *kind,
                    nbytes: *nbytes,
                },
                ParsedEntry::Stored { loc, sizes } => {
                    let pos = match loc {
                        Loc::Frame(p) => *p,
                        Loc::Sparse(_) => {
                            return Err(Error::invalid("internal: sparse entry in a cframe"));
                        }
                    };
                    Entry::Mem {
                        bytes: SliceSrc(frame).read_at(pos, sizes.cbytes)?.into_owned(),
                        nbytes: sizes.nbytes,
                        vl_blocks: sizes.vl_blocks,
                    }
                }
            });
        }
        Ok(SChunk::from_parsed(parsed, chunks, None))
    }

    /// Opens a `.b2frame`/`.b2nd` file (or a sparse frame's directory) with default
    /// [`FrameLimits`], reading chunk data lazily (see the module docs).
    ///
    /// # Errors
    /// As [`SChunk::from_frame`], plus `Io`.
    pub fn open(path: impl AsRef<Path>) -> Result<SChunk> {
        Self::open_with(path, &FrameLimits::default())
    }

    /// [`SChunk::open`] with explicit limits.
    ///
    /// # Errors
    /// As [`SChunk::open`].
    pub fn open_with(path: impl AsRef<Path>, limits: &FrameLimits) -> Result<SChunk> {
        let path = path.as_ref();
        let meta = fs::metadata(path).map_err(|e| io_err(path, e))?;
        let (sparse_dir, index) = if meta.is_dir() {
            (Some(path), path.join(SPARSE_INDEX))
        } else {
            (None, path.to_path_buf())
        };
        let file = File::open(&index).map_err(|e| io_err(&index, e))?;
        let len = file.metadata().map_err(|e| io_err(&index, e))?.len();
        let file = Mutex::new(file);
        let src = FileSrc {
            file: &file,
            path: &index,
            len,
        };
        let parsed = parse_frame(&src, limits, sparse_dir)?;
        let backing = match sparse_dir {
            Some(dir) => Backing::Sparse {
                dir: dir.to_path_buf(),
            },
            None => Backing::File { path: index, file },
        };
        let chunks = parsed
            .entries
            .iter()
            .map(|e| match e {
                ParsedEntry::Special { kind, nbytes } => Entry::Special {
                    kind: *kind,
                    nbytes: *nbytes,
                },
                ParsedEntry::Stored { loc, sizes } => Entry::Lazy {
                    loc: loc.clone(),
                    cbytes: sizes.cbytes,
                    nbytes: sizes.nbytes,
                    vl_blocks: sizes.vl_blocks,
                },
            })
            .collect();
        Ok(SChunk::from_parsed(parsed, chunks, Some(Arc::new(backing))))
    }

    fn from_parsed(p: Parsed, chunks: Vec<Entry>, source: Option<Arc<Backing>>) -> SChunk {
        let h = &p.header;
        let (cparams, raw_params) = frame_params(h);
        let variable = h.chunksize == 0;
        let chunksize = usize::try_from(h.chunksize).ok().filter(|&c| c > 0);
        // VL blocks are detected from the chunks, as C-Blosc2 does (general-flags bit 7 is
        // not trusted, §6.2).
        let vl_blocks = chunks.iter().any(|e| {
            matches!(
                e,
                Entry::Mem {
                    vl_blocks: true,
                    ..
                } | Entry::Lazy {
                    vl_blocks: true,
                    ..
                }
            )
        });
        SChunk {
            cparams,
            dparams: DParams::default(),
            variable,
            chunksize,
            chunks,
            metalayers: p.metalayers,
            vlmeta: p.vlmeta,
            raw_params,
            vl_blocks,
            source,
        }
    }
}
