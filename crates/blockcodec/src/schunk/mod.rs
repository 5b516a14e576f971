//! Super-chunks (blosc-format.md §0, §6): an ordered list of chunks sharing compression
//! parameters, with metalayers and variable-length metalayers, serialised as a contiguous frame
//! (`.b2frame`, `.b2nd`).
//!
//! # Chunk sizes
//!
//! An [`SChunk`] is in one of two modes, chosen when it is created:
//!
//! - **fixed** ([`SChunk::new`], as C-Blosc2): the first chunk stored (or
//!   [`SChunk::with_chunksize`]) sets `chunksize`. Every chunk must then hold exactly
//!   `chunksize` bytes, except the last, which may be shorter; a short chunk can therefore only
//!   be followed by nothing, and only the last chunk may be replaced by a shorter one. The frame
//!   records `chunksize` (frame version 2), and zero/NaN/uninit chunks cost no bytes (§6.4)
//!   when their size is a multiple of the typesize (C-Blosc2 cannot rebuild other ones from an
//!   offset, so those are stored as their 32-byte headers).
//! - **variable** ([`SChunk::with_variable_chunks`]): chunks of any non-zero size in any order.
//!   The frame records chunksize 0 with general-flags bit 6 and frame version 3; special chunks
//!   are stored as their 32-byte headers (a special offset needs a chunksize to be sized).
//!
//! Chunks of 0 bytes are refused in both modes: a frame with `nbytes == 0` has no chunks.
//!
//! # Failure atomicity
//!
//! Every mutating method validates everything (parses the chunk, checks sizes, names and
//! limits, compresses) before it changes anything, then commits with a single infallible step.
//! An `Err` leaves the super-chunk exactly as it was (hardening.md §3.7.4–3.7.5).
//!
//! # Lazily opened files
//!
//! [`SChunk::open`] reads a frame's header, offsets and trailer eagerly, and the size fields of
//! every chunk, but chunk data only when a chunk is read. Reads do not cache: a chunk read twice
//! is read twice. Chunks that are appended, inserted or updated live in memory; deleting a
//! chunk drops its index entry. [`SChunk::load_all`] pulls every chunk into memory, and
//! [`SChunk::write_frame`] writes the current state back (atomically, via a temporary file).

pub(crate) mod b2nd;
pub(crate) mod frame;

use std::borrow::Cow;
use std::sync::Arc;

use crate::chunk::decompress::decompress_into_with;
use crate::chunk::header::{ChunkHeader, MAX_BUFFERSIZE, SpecialValue};
use crate::chunk::special::{chunk_nans, chunk_repeat, chunk_uninit, chunk_zeros};
use crate::error::{Error, Result};
use crate::params::{CParams, DParams, Limits};
use frame::header::{Layer, MAX_METALAYERS, MAX_NAME_LEN};
use frame::offsets::MAX_NCHUNKS;
use frame::trailer::MAX_VLMETALAYERS;
use frame::{Backing, Loc, RawParams};

pub use b2nd::{B2ND_MAX_DIM, B2ND_METALAYER, B2ndMeta};
pub use frame::FrameLimits;
pub use frame::msgpack::MsgValue;

/// How an appended special chunk is filled ([`SChunk::append_special`],
/// [`SChunk::fill_special`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecialKind {
    /// All bytes zero.
    Zeros,
    /// Quiet NaNs; the typesize must be 4 (f32) or 8 (f64).
    Nan,
    /// Unspecified contents (decoded as zeros here; C leaves the destination untouched).
    Uninit,
    /// One value, repeated. Stored as a 32-byte header plus the value.
    Value(Vec<u8>),
}

/// What a chunk of a super-chunk is, as `cimg info` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkKind {
    /// Compressed blocks.
    Regular,
    /// A plain copy of the data.
    Memcpyed,
    /// A special-value chunk (zeros, NaN, uninit or a repeated value).
    Special(SpecialValue),
    /// A variable-length-block chunk (§2.6): listed, but decoding it is `Unsupported`.
    VlBlocks,
    /// A chunk whose header names a feature this build lacks (decoding says which).
    Unsupported,
}

impl ChunkKind {
    /// Name used by `cimg info`: `regular`, `memcpyed`, `special-zeros`, ...
    pub fn name(self) -> &'static str {
        match self {
            ChunkKind::Regular => "regular",
            ChunkKind::Memcpyed => "memcpyed",
            ChunkKind::Special(SpecialValue::Zeros) => "special-zeros",
            ChunkKind::Special(SpecialValue::Nan) => "special-nan",
            ChunkKind::Special(SpecialValue::Value) => "special-value",
            ChunkKind::Special(SpecialValue::Uninit) => "special-uninit",
            ChunkKind::VlBlocks => "vl-blocks",
            ChunkKind::Unsupported => "unsupported",
        }
    }
}

/// Sizes and kind of one chunk ([`SChunk::chunk_info`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Uncompressed size.
    pub nbytes: usize,
    /// Compressed size: the chunk's `cbytes`, 32 for a special chunk kept as an offset.
    pub cbytes: usize,
    /// What the chunk is.
    pub kind: ChunkKind,
}

/// One chunk of the list.
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    /// Validated chunk bytes in memory (`cbytes == bytes.len()`).
    Mem {
        bytes: Vec<u8>,
        nbytes: usize,
        vl_blocks: bool,
    },
    /// Chunk bytes still in the backing file; sizes were checked against the frame layout.
    Lazy {
        loc: Loc,
        cbytes: usize,
        nbytes: usize,
        vl_blocks: bool,
    },
    /// A zeros / NaN / uninit chunk without bytes (NaN uses the super-chunk typesize).
    Special { kind: SpecialValue, nbytes: usize },
}

impl Entry {
    pub(crate) fn nbytes(&self) -> usize {
        match *self {
            Entry::Mem { nbytes, .. }
            | Entry::Lazy { nbytes, .. }
            | Entry::Special { nbytes, .. } => nbytes,
        }
    }

    /// Compressed size (32 for specials kept as offsets).
    pub(crate) fn cbytes(&self) -> usize {
        match self {
            Entry::Mem { bytes, .. } => bytes.len(),
            Entry::Lazy { cbytes, .. } => *cbytes,
            Entry::Special { .. } => crate::EXTENDED_HEADER_LEN,
        }
    }
}

/// A super-chunk: an ordered list of chunks sharing compression parameters, plus metalayers.
///
/// ```
/// use blockcodec::{CParams, Codec, FrameLimits, SChunk};
///
/// let mut sc = SChunk::new(CParams::default().codec(Codec::Lz4).typesize(4))?;
/// sc.append_buffer(&[7u8; 4000])?;
/// sc.append_buffer(&[9u8; 1000])?; // a shorter last chunk
/// sc.vlmeta_add("author", b"me")?;
/// let frame = sc.to_frame()?;
///
/// let back = SChunk::from_frame(&frame, &FrameLimits::default())?;
/// assert_eq!((back.nchunks(), back.nbytes(), back.chunksize()), (2, 5000, Some(4000)));
/// let mut out = vec![0u8; 1000];
/// back.decompress_chunk(1, &mut out)?;
/// assert_eq!(out, [9u8; 1000]);
/// assert_eq!(back.vlmeta_get("author")?.as_deref(), Some(&b"me"[..]));
/// # Ok::<(), blockcodec::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SChunk {
    pub(crate) cparams: CParams,
    pub(crate) dparams: DParams,
    /// Variable-size mode (module docs).
    pub(crate) variable: bool,
    /// Fixed mode: the chunk size, once known.
    pub(crate) chunksize: Option<usize>,
    pub(crate) chunks: Vec<Entry>,
    pub(crate) metalayers: Vec<Layer>,
    /// Name and *compressed* content (a Blosc2 chunk) of each vlmetalayer.
    pub(crate) vlmeta: Vec<Layer>,
    /// Frame parameters this build cannot express as [`CParams`] (codec, filters), kept to be
    /// written back unchanged; appending buffers is then `Unsupported`.
    pub(crate) raw_params: Option<RawParams>,
    /// The frame held variable-length-block chunks (§2.6): written back with general-flags bit
    /// 7; no chunk can be added or replaced.
    pub(crate) vl_blocks: bool,
    pub(crate) source: Option<Arc<Backing>>,
}

/// Parameters C-Blosc2 gives vlmetalayer chunks by default (`BLOSC2_CPARAMS_DEFAULTS`, §6.5).
fn vlmeta_cparams() -> CParams {
    frame::offsets::offsets_cparams()
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.contains('\0') {
        return Err(Error::param(format!(
            "metalayer name \"{name}\" must be 1 to {MAX_NAME_LEN} bytes without NUL"
        )));
    }
    Ok(())
}

impl SChunk {
    /// An empty fixed-chunksize super-chunk (the first chunk sets the chunk size).
    ///
    /// # Errors
    /// `InvalidParam` for typesize 0 or above `i32::MAX`, or clevel above 9.
    pub fn new(cparams: CParams) -> Result<SChunk> {
        if cparams.typesize == 0 || i32::try_from(cparams.typesize).is_err() {
            return Err(Error::param(format!(
                "typesize {} is out of range",
                cparams.typesize
            )));
        }
        if cparams.clevel > 9 {
            return Err(Error::param(format!(
                "clevel {} is out of range",
                cparams.clevel
            )));
        }
        Ok(SChunk {
            cparams,
            dparams: DParams::default(),
            variable: false,
            chunksize: None,
            chunks: Vec::new(),
            metalayers: Vec::new(),
            vlmeta: Vec::new(),
            raw_params: None,
            vl_blocks: false,
            source: None,
        })
    }

    /// Sets the chunk size of an empty fixed-mode super-chunk in advance (needed by
    /// [`SChunk::fill_special`]).
    ///
    /// # Errors
    /// `InvalidParam` for 0, more than 2 GiB − 32, a non-empty or variable-mode super-chunk.
    pub fn with_chunksize(mut self, chunksize: usize) -> Result<SChunk> {
        if chunksize == 0 || chunksize > MAX_BUFFERSIZE {
            return Err(Error::param(format!(
                "chunksize {chunksize} is out of range"
            )));
        }
        if !self.chunks.is_empty() || self.variable {
            return Err(Error::param(
                "the chunksize can only be set on an empty fixed-mode super-chunk",
            ));
        }
        self.chunksize = Some(chunksize);
        Ok(self)
    }

    /// Switches to variable-size mode (see the module docs). Always possible: every
    /// fixed-mode layout is also a valid variable one.
    pub fn with_variable_chunks(mut self) -> SChunk {
        self.set_variable_chunks();
        self
    }

    /// In-place form of [`SChunk::with_variable_chunks`].
    pub fn set_variable_chunks(&mut self) {
        self.variable = true;
        self.chunksize = None;
    }

    /// Replaces the decompression parameters.
    pub fn with_dparams(mut self, dparams: DParams) -> SChunk {
        self.dparams = dparams;
        self
    }

    /// Compression parameters used by [`SChunk::append_buffer`] and recorded in frames.
    pub fn cparams(&self) -> &CParams {
        &self.cparams
    }

    /// Decompression parameters.
    pub fn dparams(&self) -> &DParams {
        &self.dparams
    }

    /// Number of chunks.
    pub fn nchunks(&self) -> usize {
        self.chunks.len()
    }

    /// Total uncompressed size.
    pub fn nbytes(&self) -> u64 {
        self.chunks.iter().map(|e| e.nbytes() as u64).sum()
    }

    /// Size of the chunk-data section [`SChunk::to_frame`] writes: the sum of the stored chunks'
    /// `cbytes` (in fixed mode zero/NaN/uninit chunks cost nothing).
    pub fn cbytes(&self) -> u64 {
        self.chunks
            .iter()
            .map(|e| match e {
                Entry::Special { nbytes, .. } if self.special_as_offset(*nbytes) => 0,
                e => e.cbytes() as u64,
            })
            .sum()
    }

    /// Whether a zero/NaN/uninit chunk of `nbytes` is written as a special offset (costing no
    /// bytes) rather than as its 32-byte header: only with a fixed chunksize (the offset's size
    /// comes from it) and a multiple of the typesize (C-Blosc2 rebuilds the chunk with
    /// `blosc2_chunk_zeros` & co., which refuse other sizes).
    pub(crate) fn special_as_offset(&self, nbytes: usize) -> bool {
        !self.variable && nbytes.is_multiple_of(self.cparams.typesize)
    }

    /// The fixed chunk size, once known; `None` in variable mode or before the first chunk.
    pub fn chunksize(&self) -> Option<usize> {
        self.chunksize
    }

    /// Whether the super-chunk is in variable-size mode.
    pub fn is_variable(&self) -> bool {
        self.variable
    }

    /// Element size (the API typesize; values above 255 are stored as 1 in chunk headers).
    pub fn typesize(&self) -> usize {
        self.cparams.typesize
    }

    fn entry(&self, i: usize) -> Result<&Entry> {
        self.chunks.get(i).ok_or_else(|| {
            Error::param(format!(
                "chunk index {i} is out of range ({} chunks)",
                self.chunks.len()
            ))
        })
    }

    /// Uncompressed size of chunk `i`.
    ///
    /// # Errors
    /// `InvalidParam` when `i` is out of range.
    pub fn chunk_nbytes(&self, i: usize) -> Result<usize> {
        Ok(self.entry(i)?.nbytes())
    }

    /// Sizes and kind of chunk `i` (reads the chunk if it is still in the file).
    ///
    /// # Errors
    /// `InvalidParam` when `i` is out of range; `Io` when reading fails; `InvalidData` when the
    /// chunk header is malformed.
    pub fn chunk_info(&self, i: usize) -> Result<ChunkInfo> {
        let e = self.entry(i)?;
        let kind = match e {
            Entry::Special { kind, .. } => ChunkKind::Special(*kind),
            Entry::Mem {
                vl_blocks: true, ..
            }
            | Entry::Lazy {
                vl_blocks: true, ..
            } => ChunkKind::VlBlocks,
            _ => {
                let bytes = self.get_chunk(i)?;
                match ChunkHeader::parse(&bytes) {
                    Ok(h) => match h.special() {
                        Some(s) => ChunkKind::Special(s),
                        None if h.is_memcpyed() => ChunkKind::Memcpyed,
                        None => ChunkKind::Regular,
                    },
                    Err(err) if err.kind() == crate::ErrorKind::Unsupported => {
                        ChunkKind::Unsupported
                    }
                    Err(err) => return Err(err),
                }
            }
        };
        Ok(ChunkInfo {
            nbytes: e.nbytes(),
            cbytes: e.cbytes(),
            kind,
        })
    }

    /// The compressed bytes of chunk `i`: borrowed when in memory, read from the file for a
    /// lazily opened frame, synthesised (a 32-byte special chunk) for zero/NaN/uninit chunks.
    ///
    /// # Errors
    /// `InvalidParam` when `i` is out of range; `Io` when reading the file fails.
    pub fn get_chunk(&self, i: usize) -> Result<Cow<'_, [u8]>> {
        match self.entry(i)? {
            Entry::Mem { bytes, .. } => Ok(Cow::Borrowed(bytes)),
            Entry::Lazy { loc, cbytes, .. } => Ok(Cow::Owned(self.read_lazy(loc, *cbytes)?)),
            Entry::Special { kind, nbytes } => Ok(Cow::Owned(self.special_chunk(*kind, *nbytes)?)),
        }
    }

    fn read_lazy(&self, loc: &Loc, cbytes: usize) -> Result<Vec<u8>> {
        let src = self
            .source
            .as_ref()
            .ok_or_else(|| Error::invalid("internal: lazy chunk without a backing file"))?;
        src.read_chunk(loc, cbytes)
    }

    /// A 32-byte special chunk standing for `nbytes` of `kind`, with this super-chunk's params.
    fn special_chunk(&self, kind: SpecialValue, nbytes: usize) -> Result<Vec<u8>> {
        let cp = &self.cparams;
        match kind {
            SpecialValue::Zeros => chunk_zeros(nbytes, cp),
            SpecialValue::Nan => chunk_nans(nbytes, cp),
            SpecialValue::Uninit => chunk_uninit(nbytes, cp),
            SpecialValue::Value => Err(Error::invalid("internal: value chunks are stored")),
        }
    }

    /// Decompresses chunk `i` into `dst`, returning the number of bytes written.
    ///
    /// # Errors
    /// `InvalidParam` when `i` is out of range, `OutputTooSmall` when `dst` is shorter than the
    /// chunk (checked before any work), and the errors of [`crate::decompress_into`] (e.g.
    /// `Unsupported` for codecs this build cannot decode).
    pub fn decompress_chunk(&self, i: usize, dst: &mut [u8]) -> Result<usize> {
        let e = self.entry(i)?;
        let nbytes = e.nbytes();
        let avail = dst.len();
        let dst = dst.get_mut(..nbytes).ok_or_else(|| {
            Error::new(
                crate::ErrorKind::OutputTooSmall,
                format!("chunk {i} needs {nbytes} bytes, the buffer has {avail}"),
            )
        })?;
        let n = match e {
            Entry::Special { kind, .. } => {
                self.fill_special_value(*kind, dst)?;
                nbytes
            }
            Entry::Mem { bytes, .. } => decompress_into_with(bytes, dst, &self.dparams)?,
            Entry::Lazy { loc, cbytes, .. } => {
                let bytes = self.read_lazy(loc, *cbytes)?;
                decompress_into_with(&bytes, dst, &self.dparams)?
            }
        };
        if n != nbytes {
            return Err(Error::invalid(format!(
                "chunk {i} decoded to {n} bytes, the index says {nbytes}"
            )));
        }
        Ok(n)
    }

    fn fill_special_value(&self, kind: SpecialValue, dst: &mut [u8]) -> Result<()> {
        match kind {
            SpecialValue::Zeros | SpecialValue::Uninit => dst.fill(0),
            SpecialValue::Nan => {
                let pattern: &[u8] = match self.cparams.header_typesize() {
                    4 => &0x7FC0_0000u32.to_le_bytes(),
                    8 => &0x7FF8_0000_0000_0000u64.to_le_bytes(),
                    ts => {
                        return Err(Error::invalid(format!("NaN chunk with typesize {ts}")));
                    }
                };
                for c in dst.chunks_mut(pattern.len()) {
                    c.copy_from_slice(pattern.get(..c.len()).unwrap_or_default());
                }
            }
            SpecialValue::Value => return Err(Error::invalid("internal: value chunks are stored")),
        }
        Ok(())
    }

    /// Decompresses every chunk into one vector, refusing (before allocating) a total above
    /// `limits.max_nbytes`.
    ///
    /// # Errors
    /// `LimitExceeded`, and the errors of [`SChunk::decompress_chunk`].
    pub fn decompress_all(&self, limits: &Limits) -> Result<Vec<u8>> {
        let total = usize::try_from(self.nbytes())
            .ok()
            .filter(|&n| n <= limits.max_nbytes)
            .ok_or_else(|| {
                Error::limit(format!(
                    "super-chunk holds {} bytes, above the limit of {}",
                    self.nbytes(),
                    limits.max_nbytes
                ))
            })?;
        let mut out = Vec::new();
        out.try_reserve_exact(total)
            .map_err(|_| Error::limit(format!("cannot allocate {total} bytes")))?;
        out.resize(total, 0);
        let mut at = 0;
        for i in 0..self.chunks.len() {
            let n = self.decompress_chunk(i, out.get_mut(at..).unwrap_or_default())?;
            at += n;
        }
        Ok(out)
    }

    /// Reads every chunk still in the backing file into memory (all or nothing).
    ///
    /// # Errors
    /// `Io` when reading fails; the super-chunk is then unchanged.
    pub fn load_all(&mut self) -> Result<()> {
        let mut loaded = Vec::with_capacity(self.chunks.len());
        for e in &self.chunks {
            loaded.push(match e {
                Entry::Lazy {
                    loc,
                    cbytes,
                    nbytes,
                    vl_blocks,
                } => Entry::Mem {
                    bytes: self.read_lazy(loc, *cbytes)?,
                    nbytes: *nbytes,
                    vl_blocks: *vl_blocks,
                },
                e => e.clone(),
            });
        }
        self.chunks = loaded;
        Ok(())
    }

    // ----- adding chunks ---------------------------------------------------------------------

    /// Validates a caller's chunk and turns it into an entry (not yet committed).
    fn entry_from_chunk(&self, chunk: Vec<u8>) -> Result<Entry> {
        let h = ChunkHeader::parse(&chunk)?;
        if h.cbytes() != chunk.len() {
            return Err(Error::invalid(format!(
                "chunk buffer has {} bytes but its header says cbytes {}",
                chunk.len(),
                h.cbytes()
            )));
        }
        let nbytes = h.nbytes();
        if nbytes == 0 {
            return Err(Error::param(
                "a super-chunk cannot hold an empty chunk (a frame with nbytes 0 has no chunks)",
            ));
        }
        // Zero/uninit chunks (and NaN ones of this typesize) become index-only entries, as
        // C-Blosc2 does when appending to a frame (§6.4).
        Ok(match h.special() {
            Some(kind @ (SpecialValue::Zeros | SpecialValue::Uninit)) => {
                Entry::Special { kind, nbytes }
            }
            Some(SpecialValue::Nan) if h.typesize() == self.cparams.header_typesize() => {
                Entry::Special {
                    kind: SpecialValue::Nan,
                    nbytes,
                }
            }
            _ => Entry::Mem {
                bytes: chunk,
                nbytes,
                vl_blocks: false,
            },
        })
    }

    fn compress_buffer(&self, data: &[u8]) -> Result<Vec<u8>> {
        if let Some(raw) = &self.raw_params {
            return Err(Error::unsupported(format!(
                "this super-chunk's codec/filters ({raw}) cannot be used for compression here; \
                 append compressed chunks instead"
            )));
        }
        if data.is_empty() {
            return Err(Error::param("a super-chunk cannot hold an empty chunk"));
        }
        crate::compress(data, &self.cparams)
    }

    fn check_writable(&self) -> Result<()> {
        if self.vl_blocks {
            return Err(Error::unsupported(
                "super-chunks of variable-length-block chunks cannot take new chunks",
            ));
        }
        Ok(())
    }

    fn check_count(&self, extra: usize) -> Result<()> {
        if self.chunks.len().saturating_add(extra) > MAX_NCHUNKS {
            return Err(Error::limit(format!(
                "a frame holds at most {MAX_NCHUNKS} chunks"
            )));
        }
        Ok(())
    }

    /// Size rule for placing a chunk of `nbytes` at index `i` (insert when `replace` is false).
    /// Returns the chunksize to record on commit.
    fn check_size(&self, i: usize, nbytes: usize, replace: bool) -> Result<Option<usize>> {
        if self.variable {
            return Ok(None);
        }
        let n = self.chunks.len();
        let is_last = if replace { i + 1 == n } else { i == n };
        let cs = self.chunksize.unwrap_or(nbytes);
        if nbytes > cs {
            return Err(Error::param(format!(
                "chunk of {nbytes} bytes is larger than the chunksize {cs}"
            )));
        }
        if !is_last && nbytes != cs {
            return Err(Error::param(format!(
                "only the last chunk may be shorter than the chunksize {cs} (got {nbytes} bytes)"
            )));
        }
        if !replace && i == n && n > 0 {
            // Appending: the current last chunk must be a full one.
            let last = self.chunks[n - 1].nbytes();
            if last != cs {
                return Err(Error::param(format!(
                    "the last chunk is short ({last} of {cs} bytes); nothing can follow it"
                )));
            }
        }
        Ok(Some(cs))
    }

    fn commit_insert(&mut self, i: usize, entry: Entry, cs: Option<usize>) -> usize {
        if cs.is_some() {
            self.chunksize = cs;
        }
        self.chunks.insert(i, entry);
        self.chunks.len()
    }

    /// Appends an already-compressed chunk (validated with [`ChunkHeader::parse`]; its `cbytes`
    /// must equal the buffer length). Returns the new number of chunks.
    ///
    /// # Errors
    /// `InvalidData` for a malformed chunk, `Unsupported` for a chunk this build cannot read
    /// (e.g. VL blocks), `InvalidParam` when the chunk breaks the chunk-size rules or is
    /// empty, `LimitExceeded` beyond 268,435,455 chunks. On error nothing changes.
    pub fn append_chunk(&mut self, chunk: Vec<u8>) -> Result<usize> {
        let i = self.chunks.len();
        self.insert_chunk(i, chunk)
    }

    /// Compresses `data` with [`SChunk::cparams`] and appends it as a chunk.
    ///
    /// # Errors
    /// The errors of [`crate::compress`] and [`SChunk::append_chunk`]; `Unsupported` when the
    /// super-chunk came from a frame whose codec or filters this build cannot compress with.
    pub fn append_buffer(&mut self, data: &[u8]) -> Result<usize> {
        let i = self.chunks.len();
        self.insert_buffer(i, data)
    }

    /// Inserts an already-compressed chunk before index `i` (`i == nchunks` appends).
    ///
    /// # Errors
    /// As [`SChunk::append_chunk`], plus `InvalidParam` when `i > nchunks`.
    pub fn insert_chunk(&mut self, i: usize, chunk: Vec<u8>) -> Result<usize> {
        self.check_writable()?;
        self.check_insert_index(i)?;
        self.check_count(1)?;
        let entry = self.entry_from_chunk(chunk)?;
        let cs = self.check_size(i, entry.nbytes(), false)?;
        Ok(self.commit_insert(i, entry, cs))
    }

    /// Compresses `data` and inserts it before index `i`.
    ///
    /// # Errors
    /// As [`SChunk::insert_chunk`] and [`SChunk::append_buffer`].
    pub fn insert_buffer(&mut self, i: usize, data: &[u8]) -> Result<usize> {
        self.check_writable()?;
        self.check_insert_index(i)?;
        self.check_count(1)?;
        self.check_size(i, data.len(), false)?;
        let chunk = self.compress_buffer(data)?;
        self.insert_chunk(i, chunk)
    }

    fn check_insert_index(&self, i: usize) -> Result<()> {
        if i > self.chunks.len() {
            return Err(Error::param(format!(
                "insert position {i} is past the end ({} chunks)",
                self.chunks.len()
            )));
        }
        Ok(())
    }

    /// Replaces chunk `i` with an already-compressed chunk.
    ///
    /// # Errors
    /// As [`SChunk::append_chunk`], plus `InvalidParam` when `i` is out of range.
    pub fn update_chunk(&mut self, i: usize, chunk: Vec<u8>) -> Result<()> {
        self.check_writable()?;
        self.entry(i)?;
        let entry = self.entry_from_chunk(chunk)?;
        self.check_size(i, entry.nbytes(), true)?;
        self.chunks[i] = entry;
        Ok(())
    }

    /// Compresses `data` and replaces chunk `i` with it.
    ///
    /// # Errors
    /// As [`SChunk::update_chunk`] and [`SChunk::append_buffer`].
    pub fn update_buffer(&mut self, i: usize, data: &[u8]) -> Result<()> {
        self.check_writable()?;
        self.entry(i)?;
        self.check_size(i, data.len(), true)?;
        let chunk = self.compress_buffer(data)?;
        self.update_chunk(i, chunk)
    }

    /// Removes chunk `i`. Returns the new number of chunks.
    ///
    /// # Errors
    /// `InvalidParam` when `i` is out of range.
    pub fn delete_chunk(&mut self, i: usize) -> Result<usize> {
        self.entry(i)?;
        self.chunks.remove(i);
        Ok(self.chunks.len())
    }

    fn make_special(&self, kind: &SpecialKind, nbytes: usize) -> Result<Vec<u8>> {
        let cp = &self.cparams;
        match kind {
            SpecialKind::Zeros => chunk_zeros(nbytes, cp),
            SpecialKind::Nan => chunk_nans(nbytes, cp),
            SpecialKind::Uninit => chunk_uninit(nbytes, cp),
            SpecialKind::Value(v) => chunk_repeat(nbytes, v, cp),
        }
    }

    /// Appends a special chunk of `nbytes` (zeros, NaNs, uninitialised or a repeated value).
    /// A [`SpecialKind::Value`] is one item: exactly `typesize` bytes (C-Blosc2 reads the value
    /// of a stored repeated-value chunk as `typesize` bytes).
    ///
    /// # Errors
    /// `InvalidParam` for `nbytes` 0, NaN with a typesize other than 4 or 8 or not dividing
    /// `nbytes`, a value not `typesize` bytes long or not dividing `nbytes`, or the chunk-size
    /// rules.
    pub fn append_special(&mut self, kind: &SpecialKind, nbytes: usize) -> Result<usize> {
        self.check_writable()?;
        if nbytes == 0 {
            return Err(Error::param("a super-chunk cannot hold an empty chunk"));
        }
        if let SpecialKind::Value(v) = kind
            && v.len() != self.cparams.typesize
        {
            return Err(Error::param(format!(
                "a fill value must be one item of {} bytes, got {}",
                self.cparams.typesize,
                v.len()
            )));
        }
        let chunk = self.make_special(kind, nbytes)?;
        self.append_chunk(chunk)
    }

    /// Fills an empty fixed-mode super-chunk with `nitems` items of a special value, in chunks
    /// of `chunksize` bytes (the last one shorter), like python-blosc2's `SChunk.fill_special`.
    /// A [`SpecialKind::Value`] must be exactly one item (`typesize` bytes) long. Returns the
    /// number of chunks.
    ///
    /// # Errors
    /// `InvalidParam` when the super-chunk is not empty, is in variable mode, has no chunksize
    /// yet ([`SChunk::with_chunksize`]), the chunksize is not a multiple of the typesize, or the
    /// value has the wrong length; `LimitExceeded` for more than 268,435,455 chunks.
    pub fn fill_special(&mut self, nitems: u64, kind: &SpecialKind) -> Result<usize> {
        self.check_writable()?;
        if !self.chunks.is_empty() || self.variable {
            return Err(Error::param(
                "fill_special needs an empty fixed-mode super-chunk",
            ));
        }
        let cs = self
            .chunksize
            .ok_or_else(|| Error::param("fill_special needs a chunksize (with_chunksize)"))?;
        let ts = self.cparams.typesize;
        if !cs.is_multiple_of(ts) {
            return Err(Error::param(format!(
                "chunksize {cs} is not a multiple of the typesize {ts}"
            )));
        }
        if let SpecialKind::Value(v) = kind
            && v.len() != ts
        {
            return Err(Error::param(format!(
                "fill value has {} bytes, the typesize is {ts}",
                v.len()
            )));
        }
        let total = nitems
            .checked_mul(ts as u64)
            .ok_or_else(|| Error::param("nitems * typesize overflows"))?;
        let nfull = total / cs as u64;
        let rest = (total % cs as u64) as usize;
        let n = nfull + u64::from(rest > 0);
        if n > MAX_NCHUNKS as u64 {
            return Err(Error::limit(format!(
                "{n} chunks exceed the frame maximum of {MAX_NCHUNKS}"
            )));
        }
        let full = if nfull > 0 {
            Some(self.entry_from_chunk(self.make_special(kind, cs)?)?)
        } else {
            None
        };
        let last = if rest > 0 {
            Some(self.entry_from_chunk(self.make_special(kind, rest)?)?)
        } else {
            None
        };
        let mut chunks = Vec::new();
        chunks
            .try_reserve_exact(n as usize)
            .map_err(|_| Error::limit(format!("cannot allocate an index of {n} chunks")))?;
        if let Some(full) = full {
            chunks.resize(nfull as usize, full);
        }
        chunks.extend(last);
        self.chunks = chunks;
        Ok(self.chunks.len())
    }

    // ----- metalayers -------------------------------------------------------------------------

    /// Adds a metalayer (stored in the frame header; content opaque, python-blosc2 stores
    /// msgpack). Only possible while the super-chunk has no chunks. Returns its index.
    ///
    /// # Errors
    /// `InvalidParam` for a name that is empty, longer than 31 bytes, contains NUL or already
    /// exists; a 17th metalayer; a non-empty super-chunk; or a header above 2 GiB.
    pub fn meta_add(&mut self, name: &str, content: &[u8]) -> Result<usize> {
        check_name(name)?;
        if self.meta(name).is_some() {
            return Err(Error::param(format!("metalayer \"{name}\" already exists")));
        }
        if self.metalayers.len() >= MAX_METALAYERS {
            return Err(Error::param(format!(
                "a frame holds at most {MAX_METALAYERS} metalayers"
            )));
        }
        if !self.chunks.is_empty() {
            return Err(Error::param(
                "metalayers can only be added while the super-chunk is empty",
            ));
        }
        let mut layers = self.metalayers.clone();
        layers.push((name.to_owned(), content.to_vec()));
        if frame::header_len(&layers).is_none() {
            return Err(Error::param("metalayers exceed the 2 GiB header maximum"));
        }
        self.metalayers = layers;
        Ok(self.metalayers.len() - 1)
    }

    /// Replaces a metalayer's content with content of the same length (the header size of a
    /// frame cannot change once it holds data, so C-Blosc2 only allows this).
    ///
    /// # Errors
    /// `InvalidParam` when the metalayer does not exist or the length differs.
    pub fn meta_update(&mut self, name: &str, content: &[u8]) -> Result<()> {
        let slot = self
            .metalayers
            .iter_mut()
            .find(|(n, _)| n == name)
            .ok_or_else(|| Error::param(format!("metalayer \"{name}\" does not exist")))?;
        if slot.1.len() != content.len() {
            return Err(Error::param(format!(
                "metalayer \"{name}\" holds {} bytes; updates must keep that length (got {})",
                slot.1.len(),
                content.len()
            )));
        }
        slot.1.copy_from_slice(content);
        Ok(())
    }

    /// Content of a metalayer.
    pub fn meta(&self, name: &str) -> Option<&[u8]> {
        self.metalayers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_slice())
    }

    /// Names of the metalayers, in frame order.
    pub fn meta_names(&self) -> Vec<&str> {
        self.metalayers.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The decoded `b2nd` metalayer of an NDArray frame, if there is one.
    ///
    /// # Errors
    /// `InvalidData` when the layer exists but is malformed.
    pub fn b2nd(&self) -> Result<Option<B2ndMeta>> {
        self.meta(B2ND_METALAYER).map(B2ndMeta::parse).transpose()
    }

    // ----- variable-length metalayers ---------------------------------------------------------

    fn vlmeta_chunk(&self, content: &[u8]) -> Result<Vec<u8>> {
        crate::compress(content, &vlmeta_cparams())
    }

    /// Checks that the trailer still fits (offsets in it are `i32`) with entry `idx` (or a new
    /// one) holding `len` compressed bytes.
    fn check_trailer_fits(&self, idx: Option<usize>, name: &str, len: usize) -> Result<()> {
        let others = self
            .vlmeta
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != idx)
            .try_fold(0usize, |acc, (_, (n, c))| {
                acc.checked_add(n.len() + c.len() + 11)
            });
        let total = others
            .and_then(|t| t.checked_add(name.len() + len + 11))
            .and_then(|t| t.checked_add(frame::trailer::len(&[])?));
        match total {
            Some(n) if n <= i32::MAX as usize => Ok(()),
            _ => Err(Error::param(
                "vlmetalayers exceed the 2 GiB trailer maximum",
            )),
        }
    }

    /// Adds a variable-length metalayer (stored in the trailer as a Blosc2 chunk compressed
    /// with BloscLZ/5/SHUFFLE, as C-Blosc2 does). python-blosc2 expects msgpack-packed values:
    /// see [`MsgValue::to_msgpack`]. Returns its index.
    ///
    /// # Errors
    /// `InvalidParam` for a bad or existing name, more than 8192 vlmetalayers, or content above
    /// 2 GiB.
    pub fn vlmeta_add(&mut self, name: &str, content: &[u8]) -> Result<usize> {
        check_name(name)?;
        if self.vlmeta.iter().any(|(n, _)| n == name) {
            return Err(Error::param(format!(
                "vlmetalayer \"{name}\" already exists"
            )));
        }
        if self.vlmeta.len() >= MAX_VLMETALAYERS {
            return Err(Error::param(format!(
                "a frame holds at most {MAX_VLMETALAYERS} vlmetalayers"
            )));
        }
        let chunk = self.vlmeta_chunk(content)?;
        self.check_trailer_fits(None, name, chunk.len())?;
        self.vlmeta.push((name.to_owned(), chunk));
        Ok(self.vlmeta.len() - 1)
    }

    /// Replaces the content of a variable-length metalayer (any length).
    ///
    /// # Errors
    /// `InvalidParam` when it does not exist or the content is above 2 GiB.
    pub fn vlmeta_update(&mut self, name: &str, content: &[u8]) -> Result<()> {
        let idx = self
            .vlmeta
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| Error::param(format!("vlmetalayer \"{name}\" does not exist")))?;
        let chunk = self.vlmeta_chunk(content)?;
        self.check_trailer_fits(Some(idx), name, chunk.len())?;
        self.vlmeta[idx].1 = chunk;
        Ok(())
    }

    /// Adds or replaces a variable-length metalayer.
    ///
    /// # Errors
    /// As [`SChunk::vlmeta_add`].
    pub fn vlmeta_set(&mut self, name: &str, content: &[u8]) -> Result<()> {
        if self.vlmeta.iter().any(|(n, _)| n == name) {
            self.vlmeta_update(name, content)
        } else {
            self.vlmeta_add(name, content).map(|_| ())
        }
    }

    /// Removes a variable-length metalayer.
    ///
    /// # Errors
    /// `InvalidParam` when it does not exist.
    pub fn vlmeta_delete(&mut self, name: &str) -> Result<()> {
        let idx = self
            .vlmeta
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| Error::param(format!("vlmetalayer \"{name}\" does not exist")))?;
        self.vlmeta.remove(idx);
        Ok(())
    }

    /// Names of the variable-length metalayers, in frame order.
    pub fn vlmeta_names(&self) -> Vec<&str> {
        self.vlmeta.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The stored (compressed) form of a variable-length metalayer.
    pub fn vlmeta_raw(&self, name: &str) -> Option<&[u8]> {
        self.vlmeta
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_slice())
    }

    /// The decompressed content of a variable-length metalayer (at most 64 MiB; see
    /// [`SChunk::vlmeta_get_with`]).
    ///
    /// # Errors
    /// `InvalidData` when the stored chunk is malformed or its `cbytes` is not the stored
    /// length; the errors of [`crate::decompress_to_vec`].
    pub fn vlmeta_get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.vlmeta_get_with(name, &FrameLimits::default())
    }

    /// [`SChunk::vlmeta_get`] with an explicit bound (`limits.max_meta_len`).
    ///
    /// # Errors
    /// As [`SChunk::vlmeta_get`].
    pub fn vlmeta_get_with(&self, name: &str, limits: &FrameLimits) -> Result<Option<Vec<u8>>> {
        let Some(raw) = self.vlmeta_raw(name) else {
            return Ok(None);
        };
        let h = ChunkHeader::parse(raw)?;
        if h.cbytes() != raw.len() {
            return Err(Error::invalid(format!(
                "vlmetalayer \"{name}\" is corrupted: cbytes {} for {} stored bytes",
                h.cbytes(),
                raw.len()
            )));
        }
        let lim = Limits {
            max_nbytes: limits.max_meta_len,
        };
        crate::decompress_to_vec_with(raw, &lim, &self.dparams).map(Some)
    }
}
