//! Compression and decompression parameters.

use crate::error::{Error, Result};
use crate::user::{self, BlockCallback, Registry, USER_ID_START};

/// A compression codec, identified by its C-Blosc2 API id (`BLOSC_BLOSCLZ` = 0, ...).
///
/// The chunk header stores a *format code* instead (blosc-format.md §1.1); [`Codec::format_code`]
/// and [`ChunkHeader::codec`](crate::ChunkHeader::codec) are the one mapping between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Codec {
    /// BloscLZ, Blosc's native LZ77 codec (API id 0, format code 0).
    BloscLz,
    /// LZ4 block format (API id 1, format code 1).
    #[default]
    Lz4,
    /// LZ4 high-compression encoder, plain LZ4 output (API id 2, format code 1).
    Lz4Hc,
    /// Snappy, raw format (C-Blosc 1.x API id 3, format code 2): decode only, for chunks
    /// C-Blosc 1.x wrote; C-Blosc2 dropped it.
    Snappy,
    /// zlib stream (API id 4, format code 3).
    Zlib,
    /// Zstandard frame (API id 5, format code 4).
    Zstd,
    /// A user-defined codec, id 160..=255 (format code 6, the id in the header's `udcodec`
    /// byte), looked up in the params' [`Registry`] (blosc-format.md §1.1).
    User(u8),
}

impl Codec {
    /// Every built-in codec, in API-id order.
    pub const ALL: [Codec; 6] = [
        Codec::BloscLz,
        Codec::Lz4,
        Codec::Lz4Hc,
        Codec::Snappy,
        Codec::Zlib,
        Codec::Zstd,
    ];

    /// C-Blosc2 API id (`blosc2.h`: BLOSCLZ 0, LZ4 1, LZ4HC 2, ZLIB 4, ZSTD 5; C-Blosc 1.x
    /// SNAPPY 3).
    pub fn api_id(self) -> u8 {
        match self {
            Codec::BloscLz => 0,
            Codec::Lz4 => 1,
            Codec::Lz4Hc => 2,
            Codec::Snappy => 3,
            Codec::Zlib => 4,
            Codec::Zstd => 5,
            Codec::User(id) => id,
        }
    }

    /// Codec for an API id: a built-in one, or [`Codec::User`] for 160..=255. `None` for the
    /// reserved ids and those registered with the Blosc team (ZFP, NDLZ, ...).
    pub fn from_api_id(id: u8) -> Option<Codec> {
        if id >= USER_ID_START {
            return Some(Codec::User(id));
        }
        Codec::ALL.into_iter().find(|c| c.api_id() == id)
    }

    /// Chunk-header format code, `flags >> 5` (blosc-format.md §1.1).
    pub fn format_code(self) -> u8 {
        match self {
            Codec::BloscLz => 0,
            Codec::Lz4 | Codec::Lz4Hc => 1,
            Codec::Snappy => 2,
            Codec::Zlib => 3,
            Codec::Zstd => 4,
            // BLOSC_UDCODEC_FORMAT (C-Blosc2 `compcode_to_compformat`).
            Codec::User(_) => 6,
        }
    }

    /// Lower-case name as C-Blosc2 and the CLI spell it.
    pub fn name(self) -> &'static str {
        match self {
            Codec::BloscLz => "blosclz",
            Codec::Lz4 => "lz4",
            Codec::Lz4Hc => "lz4hc",
            Codec::Snappy => "snappy",
            Codec::Zlib => "zlib",
            Codec::Zstd => "zstd",
            Codec::User(_) => "user",
        }
    }

    /// Parses a codec name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// Whether this build can compress with the codec. Zstd is pure Rust (structured-zstd)
    /// unless the `zstd-c` feature switches it to libzstd; Snappy is decode-only. User codecs
    /// can, given a [`Registry`] that holds them.
    pub fn can_compress(self) -> bool {
        matches!(
            self,
            Codec::BloscLz | Codec::Lz4 | Codec::Lz4Hc | Codec::Zlib | Codec::Zstd | Codec::User(_)
        )
    }

    /// High-compression-ratio codecs get larger automatic blocks (blosc-format.md §5.3, `HCR`).
    pub(crate) fn is_hcr(self) -> bool {
        matches!(self, Codec::Lz4Hc | Codec::Zlib | Codec::Zstd)
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Codec::User(id) => write!(f, "user codec {id}"),
            _ => f.write_str(self.name()),
        }
    }
}

/// A filter of the pipeline, with the ids the chunk header stores (blosc-format.md §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Filter {
    /// Empty slot (id 0).
    #[default]
    NoFilter,
    /// Byte shuffle (id 1).
    Shuffle,
    /// Bit shuffle (id 2).
    BitShuffle,
    /// XOR delta against the first block (id 3).
    Delta,
    /// Lossy: zero low mantissa bits of f32/f64 (id 4); the slot meta is the precision.
    TruncPrec,
    /// A user-defined filter, id 160..=255, looked up in the params' [`Registry`]; the slot
    /// meta is passed to it.
    User(u8),
}

impl Filter {
    /// Every built-in filter, in id order.
    pub const ALL: [Filter; 5] = [
        Filter::NoFilter,
        Filter::Shuffle,
        Filter::BitShuffle,
        Filter::Delta,
        Filter::TruncPrec,
    ];

    /// Id stored in the chunk header.
    pub fn id(self) -> u8 {
        match self {
            Filter::NoFilter => 0,
            Filter::Shuffle => 1,
            Filter::BitShuffle => 2,
            Filter::Delta => 3,
            Filter::TruncPrec => 4,
            Filter::User(id) => id,
        }
    }

    /// Filter for a header id: a built-in one, or [`Filter::User`] for 160..=255; `None` for
    /// reserved ids and those registered with the Blosc team (bytedelta, ...).
    pub fn from_id(id: u8) -> Option<Filter> {
        if id >= USER_ID_START {
            return Some(Filter::User(id));
        }
        Filter::ALL.into_iter().find(|f| f.id() == id)
    }

    /// Name as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Filter::NoFilter => "none",
            Filter::Shuffle => "shuffle",
            Filter::BitShuffle => "bitshuffle",
            Filter::Delta => "delta",
            Filter::TruncPrec => "trunc-prec",
            Filter::User(_) => "user",
        }
    }

    /// Parses a filter name.
    pub fn from_name(name: &str) -> Option<Filter> {
        let name = name.to_ascii_lowercase().replace('_', "-");
        Filter::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// How blocks are cut into streams (blosc-format.md §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SplitMode {
    /// Every block is split into `typesize` streams.
    Always,
    /// Every block is one stream.
    Never,
    /// C-Blosc2's rule: split for BloscLZ, LZ4 and fast Zstd on shuffled small types.
    #[default]
    Auto,
    /// C-Blosc2's default; the same rule as `Auto` for writing.
    ForwardCompat,
}

impl SplitMode {
    /// C-Blosc2's enum value (`BLOSC_ALWAYS_SPLIT` = 1 ... `BLOSC_FORWARD_COMPAT_SPLIT` = 4).
    pub fn c_value(self) -> u8 {
        match self {
            SplitMode::Always => 1,
            SplitMode::Never => 2,
            SplitMode::Auto => 3,
            SplitMode::ForwardCompat => 4,
        }
    }
}

/// Maximum number of filter slots in a pipeline.
pub const MAX_FILTERS: usize = 6;

/// One slot of the filter pipeline: a filter and its `filters_meta` byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FilterSlot {
    /// The filter.
    pub filter: Filter,
    /// Its parameter: element size for shuffle (0 = typesize), signed precision for trunc-prec.
    pub meta: u8,
}

/// Compression parameters; [`CParams::default`] matches python-blosc2's SChunk defaults except
/// for the codec (LZ4 here, as the image layer uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CParams {
    /// Codec.
    pub codec: Codec,
    /// 0 (store) to 9 (best).
    pub clevel: u8,
    /// Element size in bytes; values above 255 are treated as 1, as C-Blosc2 does.
    pub typesize: usize,
    /// Filter pipeline, applied in slot order.
    pub filters: [FilterSlot; MAX_FILTERS],
    /// Split mode.
    pub splitmode: SplitMode,
    /// Requested block size in bytes; 0 = automatic (C-Blosc2's tuner).
    pub blocksize: usize,
    /// Worker threads; 1 = serial. Output bytes do not depend on it.
    pub nthreads: usize,
    /// Codec parameter stored in the header (`compcode_meta`); passed to user codecs.
    pub compcode_meta: u8,
    /// User codecs and filters; `None` uses the process-wide registry ([`Registry::global`]).
    /// Only consulted when the codec or a filter is [`Codec::User`] / [`Filter::User`].
    pub registry: Option<Registry>,
    /// Called on every block before the filter pipeline (C-Blosc2's `prefilter`).
    pub prefilter: Option<BlockCallback>,
}

impl Default for CParams {
    fn default() -> Self {
        let mut filters = [FilterSlot::default(); MAX_FILTERS];
        filters[MAX_FILTERS - 1].filter = Filter::Shuffle;
        CParams {
            codec: Codec::Lz4,
            clevel: 5,
            typesize: 8,
            filters,
            splitmode: SplitMode::ForwardCompat,
            blocksize: 0,
            nthreads: 1,
            compcode_meta: 0,
            registry: None,
            prefilter: None,
        }
    }
}

impl CParams {
    /// Sets the codec.
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// Sets the compression level (0–9).
    pub fn clevel(mut self, clevel: u8) -> Self {
        self.clevel = clevel;
        self
    }

    /// Sets the element size.
    pub fn typesize(mut self, typesize: usize) -> Self {
        self.typesize = typesize;
        self
    }

    /// Replaces the pipeline with `filters` (at most 6), placed in the *last* slots as
    /// C-Blosc2 places a single shuffle.
    pub fn filters(mut self, filters: &[Filter]) -> Self {
        self.filters = [FilterSlot::default(); MAX_FILTERS];
        let n = filters.len().min(MAX_FILTERS);
        for (slot, f) in self.filters[MAX_FILTERS - n..].iter_mut().zip(filters) {
            slot.filter = *f;
        }
        self
    }

    /// Replaces the pipeline with explicit slots.
    pub fn filter_slots(mut self, slots: [FilterSlot; MAX_FILTERS]) -> Self {
        self.filters = slots;
        self
    }

    /// Sets the split mode.
    pub fn splitmode(mut self, splitmode: SplitMode) -> Self {
        self.splitmode = splitmode;
        self
    }

    /// Requests a block size (0 = automatic).
    pub fn blocksize(mut self, blocksize: usize) -> Self {
        self.blocksize = blocksize;
        self
    }

    /// Sets the number of threads (0 is taken as 1).
    pub fn nthreads(mut self, nthreads: usize) -> Self {
        self.nthreads = nthreads;
        self
    }

    /// Sets the codec parameter byte (`compcode_meta`).
    pub fn compcode_meta(mut self, meta: u8) -> Self {
        self.compcode_meta = meta;
        self
    }

    /// Sets the registry user codecs and filters are looked up in.
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Sets the prefilter.
    pub fn prefilter(mut self, prefilter: BlockCallback) -> Self {
        self.prefilter = Some(prefilter);
        self
    }

    /// Typesize as stored in the header: values above 255 become 1 (C-Blosc2 behaviour).
    pub fn header_typesize(&self) -> usize {
        if self.typesize > 255 {
            1
        } else {
            self.typesize
        }
    }

    pub(crate) fn has_filter(&self, filter: Filter) -> bool {
        self.filters.iter().any(|s| s.filter == filter)
    }

    /// Checks the parameters without compressing anything.
    ///
    /// # Errors
    /// `InvalidParam` for typesize 0, clevel above 9, trunc-prec without typesize 4 or 8, or a
    /// user codec or filter id below 160; `Unsupported` for a codec this build cannot compress
    /// with, or a user codec or filter id that is not registered.
    pub fn validate(&self) -> Result<()> {
        if self.typesize == 0 {
            return Err(Error::param("typesize must be at least 1"));
        }
        if self.clevel > 9 {
            return Err(Error::param(format!(
                "clevel {} is out of range 0..=9",
                self.clevel
            )));
        }
        if self.has_filter(Filter::TruncPrec) && !matches!(self.header_typesize(), 4 | 8) {
            return Err(Error::param("trunc-prec needs typesize 4 or 8"));
        }
        if !self.codec.can_compress() {
            return Err(Error::unsupported(format!(
                "compressing with {} is not supported yet",
                self.codec
            )));
        }
        let registry = self.registry.as_ref();
        user::resolve_codec(self.codec, registry)?;
        user::resolve_filters(&self.filters, registry)?;
        Ok(())
    }
}

/// Decompression parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DParams {
    /// Worker threads; 1 = serial.
    pub nthreads: usize,
    /// User codecs and filters; `None` uses the process-wide registry ([`Registry::global`]).
    /// Only consulted for chunks naming a user codec or filter.
    pub registry: Option<Registry>,
    /// Called on every block after the filter pipeline (C-Blosc2's `postfilter`).
    pub postfilter: Option<BlockCallback>,
}

impl Default for DParams {
    fn default() -> Self {
        DParams {
            nthreads: 1,
            registry: None,
            postfilter: None,
        }
    }
}

impl DParams {
    /// Sets the number of threads (0 is taken as 1).
    pub fn nthreads(mut self, nthreads: usize) -> Self {
        self.nthreads = nthreads;
        self
    }

    /// Sets the registry user codecs and filters are looked up in.
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Sets the postfilter.
    pub fn postfilter(mut self, postfilter: BlockCallback) -> Self {
        self.postfilter = Some(postfilter);
        self
    }
}

/// Bounds on what decoding untrusted input may allocate, checked before allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest uncompressed size a `*_to_vec` call will allocate.
    pub max_nbytes: usize,
}

impl Default for Limits {
    /// 256 MiB: far above a typical chunk, far below what a hostile header can claim.
    fn default() -> Self {
        Limits {
            max_nbytes: 256 << 20,
        }
    }
}

impl Limits {
    /// No limit beyond the format's own 2 GiB.
    pub fn unlimited() -> Self {
        Limits {
            max_nbytes: usize::MAX,
        }
    }
}
