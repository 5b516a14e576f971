//! The 16-byte Blosc1 and 32-byte Blosc2 chunk headers (blosc-format.md §1, §2.1).
//!
//! [`ChunkHeader::parse`] is the only code that reads header bytes; everything downstream takes
//! the validated header and does no raw-offset math on untrusted fields of its own.

use crate::error::{Error, Result};
use crate::params::{Codec, Filter, FilterSlot, MAX_FILTERS};
use crate::user::USER_ID_START;

/// Length of the Blosc1 header (`BLOSC_MIN_HEADER_LENGTH`).
pub const MIN_HEADER_LEN: usize = 16;
/// Length of the Blosc2 extended header (`BLOSC_EXTENDED_HEADER_LENGTH`).
pub const EXTENDED_HEADER_LEN: usize = 32;
/// A destination of `nbytes + MAX_OVERHEAD` always holds the compressed chunk (`BLOSC2_MAX_OVERHEAD`).
pub const MAX_OVERHEAD: usize = 32;
/// Largest uncompressed chunk (`BLOSC2_MAX_BUFFERSIZE = INT_MAX - 32`).
pub const MAX_BUFFERSIZE: usize = i32::MAX as usize - MAX_OVERHEAD;
/// Largest block C-Blosc2 decodes (`BLOSC2_MAXBLOCKSIZE`, §1.3).
pub const MAX_BLOCKSIZE: usize = 536_866_816;
/// Largest block C-Blosc 1.x writes when forced (§1.3): `(INT_MAX - 255*4) / 3`.
const MAX_BLOCKSIZE_V1: usize = 715_827_542;

/// Chunk format version written by C-Blosc2 for regular chunks (§1.2).
pub(crate) const VERSION_BLOSC2: u8 = 5;

// Flag bits of byte 2 (§1.1).
pub(crate) const FLAG_SHUFFLE: u8 = 0x01;
pub(crate) const FLAG_MEMCPYED: u8 = 0x02;
pub(crate) const FLAG_BITSHUFFLE: u8 = 0x04;
pub(crate) const FLAG_DELTA: u8 = 0x08;
pub(crate) const FLAG_DONT_SPLIT: u8 = 0x10;
/// Both bits 0 and 2 set = extended header.
pub(crate) const FLAG_EXTENDED: u8 = FLAG_SHUFFLE | FLAG_BITSHUFFLE;

// blosc2_flags, byte 0x1F (§2.1).
const B2_DICT: u8 = 0x01;
const B2_LAZY: u8 = 0x08;
const B2_INSTRUMENTED: u8 = 0x80;
const B2_SPECIAL_SHIFT: u8 = 4;
const FLAGS2_VL_BLOCKS: u8 = 0x01;

/// The special value a whole chunk stands for (§2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpecialValue {
    /// All bytes zero.
    Zeros,
    /// Every element a quiet NaN (f32 or f64).
    Nan,
    /// One value of `cbytes - 32` bytes, repeated.
    Value,
    /// Uninitialised in C; decoded as zeros here for determinism.
    Uninit,
}

impl SpecialValue {
    fn from_id(id: u8) -> Option<SpecialValue> {
        match id {
            1 => Some(SpecialValue::Zeros),
            2 => Some(SpecialValue::Nan),
            3 => Some(SpecialValue::Value),
            4 => Some(SpecialValue::Uninit),
            _ => None,
        }
    }

    pub(crate) fn id(self) -> u8 {
        match self {
            SpecialValue::Zeros => 1,
            SpecialValue::Nan => 2,
            SpecialValue::Value => 3,
            SpecialValue::Uninit => 4,
        }
    }

    /// Name used by `cimg info`.
    pub fn name(self) -> &'static str {
        match self {
            SpecialValue::Zeros => "zeros",
            SpecialValue::Nan => "nan",
            SpecialValue::Value => "value",
            SpecialValue::Uninit => "uninit",
        }
    }
}

/// A validated chunk header. Sizes are already checked against each other and against the input
/// length, so `nblocks`, `leftover` and the bstarts table can be used without further checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkHeader {
    version: u8,
    versionlz: u8,
    flags: u8,
    typesize: u8,
    nbytes: usize,
    blocksize: usize,
    cbytes: usize,
    header_len: usize,
    filters: [u8; MAX_FILTERS],
    filters_meta: [u8; MAX_FILTERS],
    udcodec: u8,
    compcode_meta: u8,
    flags2: u8,
    blosc2_flags: u8,
    special: Option<SpecialValue>,
}

fn read_i32(src: &[u8], off: usize) -> i32 {
    let mut b = [0u8; 4];
    // `parse` checked `src.len() >= 16` before any call.
    if let Some(s) = src.get(off..off + 4) {
        b.copy_from_slice(s);
    }
    i32::from_le_bytes(b)
}

fn non_negative(v: i32, what: &str) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::invalid(format!("{what} is negative ({v})")))
}

impl ChunkHeader {
    /// Parses and validates the header at the start of `src` (which may hold trailing bytes
    /// after `cbytes`; they are ignored).
    ///
    /// # Errors
    /// `InvalidData` for malformed or truncated headers, `Unsupported` for valid features this
    /// build does not implement (VL blocks, instrumented codecs, versions > 6).
    pub fn parse(src: &[u8]) -> Result<ChunkHeader> {
        if src.len() < MIN_HEADER_LEN {
            return Err(Error::invalid(format!(
                "chunk is {} bytes, shorter than the 16-byte header",
                src.len()
            )));
        }
        let version = src[0];
        let versionlz = src[1];
        let flags = src[2];
        let typesize = src[3];
        if version == 0 {
            return Err(Error::invalid("chunk format version 0"));
        }
        if version > 6 {
            return Err(Error::unsupported(format!(
                "chunk format version {version}"
            )));
        }
        if typesize == 0 {
            return Err(Error::invalid("typesize 0 in chunk header"));
        }
        let extended = flags & FLAG_EXTENDED == FLAG_EXTENDED;
        let header_len = if extended {
            EXTENDED_HEADER_LEN
        } else {
            MIN_HEADER_LEN
        };
        let nbytes = non_negative(read_i32(src, 4), "nbytes")?;
        let raw_blocksize = read_i32(src, 8);
        let cbytes = non_negative(read_i32(src, 12), "cbytes")?;
        if nbytes > i32::MAX as usize - header_len {
            return Err(Error::invalid(format!(
                "nbytes {nbytes} exceeds the format maximum"
            )));
        }
        let max_block = if version <= 2 {
            MAX_BLOCKSIZE_V1
        } else {
            MAX_BLOCKSIZE
        };
        if raw_blocksize <= 0 || raw_blocksize as usize > max_block {
            return Err(Error::invalid(format!(
                "blocksize {raw_blocksize} is out of range"
            )));
        }
        if cbytes < header_len {
            return Err(Error::invalid(format!(
                "cbytes {cbytes} is smaller than the {header_len}-byte header"
            )));
        }
        if cbytes > src.len() {
            return Err(Error::invalid(format!(
                "chunk truncated: cbytes is {cbytes} but only {} bytes are present",
                src.len()
            )));
        }
        let mut h = ChunkHeader {
            version,
            versionlz,
            flags,
            typesize,
            nbytes,
            blocksize: raw_blocksize as usize,
            cbytes,
            header_len,
            filters: [0; MAX_FILTERS],
            filters_meta: [0; MAX_FILTERS],
            udcodec: 0,
            compcode_meta: 0,
            flags2: 0,
            blosc2_flags: 0,
            special: None,
        };
        if extended {
            // cbytes >= 32 and cbytes <= src.len() were checked above.
            h.filters.copy_from_slice(&src[0x10..0x16]);
            h.udcodec = src[0x16];
            h.compcode_meta = src[0x17];
            h.filters_meta.copy_from_slice(&src[0x18..0x1E]);
            h.flags2 = src[0x1E];
            h.blosc2_flags = src[0x1F];
            if version == 3 {
                // Blosc2 alpha left garbage in the last slot (§1.2).
                h.filters[5] = 0;
                h.filters_meta[5] = 0;
            }
            h.validate_extended()?;
        } else {
            // A 16-byte header maps its flag bits onto a pipeline (§4.1).
            if flags & FLAG_SHUFFLE != 0 && typesize > 1 {
                h.filters[5] = Filter::Shuffle.id();
            }
            if flags & FLAG_BITSHUFFLE != 0 {
                h.filters[5] = Filter::BitShuffle.id();
            }
            if flags & FLAG_DELTA != 0 {
                h.filters[4] = Filter::Delta.id();
            }
        }
        if h.nbytes > 0 && h.blocksize > h.nbytes {
            // C clamps instead of failing (hardening.md §3.1).
            h.blocksize = h.nbytes;
        }
        h.validate_body()?;
        Ok(h)
    }

    fn validate_extended(&mut self) -> Result<()> {
        let b2 = self.blosc2_flags;
        if b2 & B2_LAZY != 0 {
            return Err(Error::invalid("lazy-chunk flag set in a stored chunk"));
        }
        if b2 & B2_INSTRUMENTED != 0 {
            return Err(Error::unsupported("instrumented codec chunks"));
        }
        if self.flags2 & FLAGS2_VL_BLOCKS != 0 {
            return Err(Error::unsupported("variable-length-block chunks"));
        }
        let special_id = (b2 >> B2_SPECIAL_SHIFT) & 0x07;
        if special_id != 0 {
            let special = SpecialValue::from_id(special_id).ok_or_else(|| {
                Error::unsupported(format!("reserved special-value id {special_id}"))
            })?;
            if self.flags & FLAG_MEMCPYED != 0 {
                return Err(Error::invalid("chunk is both memcpyed and special"));
            }
            match special {
                SpecialValue::Nan => {
                    let ts = usize::from(self.typesize);
                    if !(ts == 4 || ts == 8) || !self.nbytes.is_multiple_of(ts) {
                        return Err(Error::invalid(format!(
                            "NaN chunk with typesize {ts} and nbytes {}",
                            self.nbytes
                        )));
                    }
                }
                SpecialValue::Value => {
                    // The value width is cbytes - 32; the typesize byte is ignored (§2.4).
                    let w = self.cbytes - EXTENDED_HEADER_LEN;
                    if w == 0 || w > self.nbytes || !self.nbytes.is_multiple_of(w) {
                        return Err(Error::invalid(format!(
                            "repeated-value chunk: value width {w} does not divide nbytes {}",
                            self.nbytes
                        )));
                    }
                }
                SpecialValue::Zeros | SpecialValue::Uninit => {}
            }
            self.special = Some(special);
        }
        Ok(())
    }

    fn validate_body(&self) -> Result<()> {
        if self.special.is_some() {
            return Ok(());
        }
        if self.is_memcpyed() {
            if self.cbytes != self.nbytes + self.header_len {
                return Err(Error::invalid(format!(
                    "memcpyed chunk: cbytes {} != nbytes {} + header {}",
                    self.cbytes, self.nbytes, self.header_len
                )));
            }
            return Ok(());
        }
        if self.nbytes == 0 {
            return Ok(());
        }
        let table_end = self
            .nblocks()
            .checked_mul(4)
            .and_then(|t| t.checked_add(self.header_len))
            .ok_or_else(|| Error::invalid("bstarts table size overflows"))?;
        if table_end > self.cbytes {
            return Err(Error::invalid(format!(
                "bstarts table of {} blocks runs past cbytes {}",
                self.nblocks(),
                self.cbytes
            )));
        }
        Ok(())
    }

    /// Chunk format version (§1.2).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Codec format version byte.
    pub fn versionlz(&self) -> u8 {
        self.versionlz
    }

    /// Raw flags byte.
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// Element size stored in the header (1..=255).
    pub fn typesize(&self) -> usize {
        usize::from(self.typesize)
    }

    /// Uncompressed size.
    pub fn nbytes(&self) -> usize {
        self.nbytes
    }

    /// Effective block size (clamped to `nbytes`).
    pub fn blocksize(&self) -> usize {
        self.blocksize
    }

    /// Compressed size including the header.
    pub fn cbytes(&self) -> usize {
        self.cbytes
    }

    /// 16 or 32.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Whether the header is the 32-byte Blosc2 one.
    pub fn is_extended(&self) -> bool {
        self.header_len == EXTENDED_HEADER_LEN
    }

    /// Whether the body is a plain copy of the data.
    pub fn is_memcpyed(&self) -> bool {
        self.special.is_none() && self.flags & FLAG_MEMCPYED != 0
    }

    /// The special value the chunk stands for, if any.
    pub fn special(&self) -> Option<SpecialValue> {
        self.special
    }

    /// Whether block data follows a dictionary section (§2.5): the dictionary flag of a regular
    /// chunk (memcpyed and special chunks ignore it, as C-Blosc2 does).
    pub fn uses_dict(&self) -> bool {
        self.blosc2_flags & B2_DICT != 0 && self.special.is_none() && !self.is_memcpyed()
    }

    /// The `dont_split` flag.
    pub fn dont_split(&self) -> bool {
        self.flags & FLAG_DONT_SPLIT != 0
    }

    /// Codec format code, `flags >> 5` (§1.1).
    pub fn format_code(&self) -> u8 {
        self.flags >> 5
    }

    /// The user/API codec byte of the extended header.
    pub fn udcodec(&self) -> u8 {
        self.udcodec
    }

    /// Codec parameter byte of the extended header.
    pub fn compcode_meta(&self) -> u8 {
        self.compcode_meta
    }

    /// Filter ids per slot (derived from the flags for 16-byte headers).
    pub fn filter_ids(&self) -> [u8; MAX_FILTERS] {
        self.filters
    }

    /// `filters_meta` per slot.
    pub fn filters_meta(&self) -> [u8; MAX_FILTERS] {
        self.filters_meta
    }

    /// The filter pipeline.
    ///
    /// # Errors
    /// `Unsupported` naming the first filter id this build does not implement. User filter ids
    /// (160..=255) come back as [`Filter::User`]; the decoder resolves them.
    pub fn filters(&self) -> Result<[FilterSlot; MAX_FILTERS]> {
        let mut out = [FilterSlot::default(); MAX_FILTERS];
        for (i, slot) in out.iter_mut().enumerate() {
            let id = self.filters[i];
            slot.filter = Filter::from_id(id)
                .ok_or_else(|| Error::unsupported(format!("filter id {id} in slot {i}")))?;
            slot.meta = self.filters_meta[i];
        }
        Ok(out)
    }

    /// The codec that wrote the streams, as far as the header tells (LZ4HC is told apart from
    /// LZ4 only by the extended header's codec byte).
    ///
    /// # Errors
    /// `Unsupported` for format codes without a codec in this build (reserved codes, plugin
    /// codecs below id 160, ...). User codecs (160..=255) come back as [`Codec::User`] whether
    /// or not they are registered anywhere.
    pub fn codec(&self) -> Result<Codec> {
        let code = self.format_code();
        let by_code = match code {
            0 => Codec::BloscLz,
            1 => Codec::Lz4,
            3 => Codec::Zlib,
            4 => Codec::Zstd,
            // Only C-Blosc 1.x wrote Snappy (C-Blosc2 reserves the code); decoded anywhere.
            2 => Codec::Snappy,
            // BLOSC_UDCODEC_FORMAT: the codec id is the udcodec byte (§1.1). Ids 160..=255 are
            // user codecs, resolved against a registry by the decoder; lower ones (ZFP, NDLZ,
            // ...) are plugins this build does not have.
            6 => {
                return match self.udcodec {
                    id if id >= USER_ID_START && self.is_extended() => Ok(Codec::User(id)),
                    id => Err(Error::unsupported(format!(
                        "codec id {id} (format code 6) is not supported"
                    ))),
                };
            }
            _ => return Err(Error::unsupported(format!("codec format code {code}"))),
        };
        if self.is_extended()
            && let Some(c) = Codec::from_api_id(self.udcodec)
            && c.format_code() == code
        {
            return Ok(c);
        }
        Ok(by_code)
    }

    /// Number of blocks, `ceil(nbytes / blocksize)`.
    pub fn nblocks(&self) -> usize {
        self.nbytes.div_ceil(self.blocksize)
    }

    /// Size of the last block when shorter than `blocksize`, else 0.
    pub fn leftover(&self) -> usize {
        self.nbytes % self.blocksize
    }

    /// The repeated value of a [`SpecialValue::Value`] chunk.
    pub fn special_value<'a>(&self, src: &'a [u8]) -> Option<&'a [u8]> {
        match self.special {
            Some(SpecialValue::Value) => src.get(EXTENDED_HEADER_LEN..self.cbytes),
            _ => None,
        }
    }
}

/// Fields of a version-5 extended header, written by [`HeaderFields::write`].
#[derive(Clone, Debug)]
pub(crate) struct HeaderFields {
    /// Codec format version: 1 for the built-in codecs, a user codec's own version
    /// (C-Blosc2 `compcode_to_compversion`).
    pub(crate) versionlz: u8,
    pub(crate) flags: u8,
    pub(crate) typesize: u8,
    pub(crate) nbytes: usize,
    pub(crate) blocksize: usize,
    pub(crate) cbytes: usize,
    pub(crate) filters: [u8; MAX_FILTERS],
    pub(crate) filters_meta: [u8; MAX_FILTERS],
    pub(crate) udcodec: u8,
    pub(crate) compcode_meta: u8,
    pub(crate) blosc2_flags: u8,
}

impl Default for HeaderFields {
    fn default() -> Self {
        HeaderFields {
            versionlz: 1,
            flags: 0,
            typesize: 0,
            nbytes: 0,
            blocksize: 0,
            cbytes: 0,
            filters: [0; MAX_FILTERS],
            filters_meta: [0; MAX_FILTERS],
            udcodec: 0,
            compcode_meta: 0,
            blosc2_flags: 0,
        }
    }
}

fn le_i32(v: usize) -> [u8; 4] {
    // Callers keep every size at or below MAX_BUFFERSIZE + 32 = i32::MAX.
    i32::try_from(v).unwrap_or(i32::MAX).to_le_bytes()
}

impl HeaderFields {
    /// Writes the 32-byte header (version 5).
    pub(crate) fn write(&self, out: &mut [u8; EXTENDED_HEADER_LEN]) {
        out[0] = VERSION_BLOSC2;
        out[1] = self.versionlz;
        out[2] = self.flags;
        out[3] = self.typesize;
        out[4..8].copy_from_slice(&le_i32(self.nbytes));
        out[8..12].copy_from_slice(&le_i32(self.blocksize));
        out[12..16].copy_from_slice(&le_i32(self.cbytes));
        out[0x10..0x16].copy_from_slice(&self.filters);
        out[0x16] = self.udcodec;
        out[0x17] = self.compcode_meta;
        out[0x18..0x1E].copy_from_slice(&self.filters_meta);
        out[0x1E] = 0;
        out[0x1F] = self.blosc2_flags;
    }

    pub(crate) fn special(special: SpecialValue) -> u8 {
        special.id() << B2_SPECIAL_SHIFT
    }

    pub(crate) fn to_bytes(&self) -> [u8; EXTENDED_HEADER_LEN] {
        let mut out = [0u8; EXTENDED_HEADER_LEN];
        self.write(&mut out);
        out
    }
}
