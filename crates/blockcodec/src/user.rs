//! User-defined codecs and filters (ids 160–255) and the prefilter / postfilter callbacks,
//! compatible with C-Blosc2's `blosc2_register_codec` / `blosc2_register_filter` and
//! python-blosc2's `register_codec` / `register_filter`.
//!
//! Chunk format (blosc-format.md §1.1, §2.1, §4.1): a user codec is written as format code 6 in
//! the flags byte, its id in the extended header's `udcodec` byte (0x16), its parameter in
//! `compcode_meta` (0x17) and its version in `versionlz` (byte 1); a user filter's id goes into
//! a filter slot (0x10–0x15) and its parameter into that slot's `filters_meta` (0x18–0x1D).
//!
//! How C-Blosc2 3.3 (`blosc/blosc2.c`) drives them, and what this module does the same way:
//! - `blosc_c`: the codec runs per *stream* after the run check (all-equal streams become zero
//!   or run streams without calling the codec), with an output limit `maxout =
//!   min(neblock, room left)`. A result of 0 means "could not compress": the stream is stored
//!   raw, as is a result equal to `neblock`. A result above `maxout` is an error
//!   (`BLOSC2_ERROR_WRITE_BUFFER`), a negative one too (`BLOSC2_ERROR_DATA`).
//! - `split_block` (`stune.c`): user codecs are split into `typesize` streams only with
//!   [`SplitMode::Always`](crate::SplitMode::Always); the automatic modes split only BloscLZ,
//!   LZ4 and fast Zstd. The block-size tuner treats them as non-HCR codecs.
//! - `blosc_d`: raw, zero and run streams never reach the codec; the codec's result must equal
//!   `neblock`, else `BLOSC2_ERROR_DATA`.
//! - `pipeline_forward` / `pipeline_backward`: user filters run per *block* like the built-in
//!   ones, `forward(src, dest, bsize, filters_meta[i], cparams, id)`; a non-zero return fails the
//!   call. The prefilter runs on each block before the pipeline (also for chunks stored
//!   memcpyed), the postfilter after it (also for memcpyed and special-value chunks), with the
//!   block's offset and the user data (`blosc2_prefilter_params` / `blosc2_postfilter_params`).
//!
//! Unlike python-blosc2, which must run Python codecs on one thread, these are `Send + Sync`
//! Rust objects and run on every block in parallel; the chunk bytes do not depend on the
//! thread count as long as the plugins are deterministic.
//!
//! Misbehaving plugins never cause a panic or an out-of-bounds access here: they only see
//! slices, output buffers are cleared before each call (so nothing of an earlier block or
//! caller leaks through a plugin that writes less than it claims), lengths they return are
//! checked, and a panic inside a plugin is caught and returned as an error (unless the program
//! is built with `panic = "abort"`, where nothing can be caught).

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, PoisonError, RwLock};

use crate::error::{Error, ErrorKind, Result};
use crate::params::{Codec, Filter, FilterSlot, MAX_FILTERS};

/// First id available to user codecs and filters (`BLOSC2_USER_REGISTERED_CODECS_START` and
/// `BLOSC2_USER_REGISTERED_FILTERS_START`); ids below are reserved for Blosc's own codecs and
/// filters and for the ones registered with the Blosc team (32–159).
pub const USER_ID_START: u8 = 160;

/// Where a codec, filter or callback call sits in the chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct BlockInfo {
    /// Element size from the chunk header (1..=255; API typesizes above 255 are stored as 1).
    pub typesize: usize,
    /// Uncompressed size of the whole chunk.
    pub nbytes: usize,
    /// The chunk's block size.
    pub blocksize: usize,
    /// Index of the block in the chunk.
    pub nblock: usize,
    /// Byte offset of the block in the uncompressed chunk, `nblock * blocksize` (C's `offset`).
    pub offset: usize,
    /// Length of this block: `blocksize`, or the leftover for a short last block.
    pub bsize: usize,
    /// Index of the stream within the block (codecs only; 0 for filters and callbacks).
    pub stream: usize,
    /// Number of streams the block is split into (`typesize` when split, else 1).
    pub nstreams: usize,
}

impl BlockInfo {
    /// Info for block `nblock` of a chunk of `nbytes` bytes cut into `blocksize` blocks, as one
    /// stream.
    pub fn new(typesize: usize, nbytes: usize, blocksize: usize, nblock: usize) -> BlockInfo {
        let offset = nblock.saturating_mul(blocksize);
        BlockInfo {
            typesize,
            nbytes,
            blocksize,
            nblock,
            offset,
            bsize: blocksize.min(nbytes.saturating_sub(offset)),
            stream: 0,
            nstreams: 1,
        }
    }
}

/// A user-defined codec (C-Blosc2 `blosc2_codec`): compresses one stream of a block at a time.
///
/// The id (160–255) goes into the chunk header, so a decoder needs a codec registered under the
/// same id that reads what [`UserCodec::encode`] writes.
pub trait UserCodec: Send + Sync {
    /// Codec id, 160..=255 (the header's `udcodec` byte).
    fn id(&self) -> u8;

    /// Name, for messages (C's `compname`).
    fn name(&self) -> &str;

    /// Codec format version written into the header's `versionlz` byte (C's `compver`).
    fn version(&self) -> u8 {
        1
    }

    /// Compresses `input` (one stream) into `output`, whose length is the output limit
    /// (at most `input.len()`; less when the chunk is nearly full). `meta` is the chunk's
    /// `compcode_meta` byte ([`CParams::compcode_meta`](crate::CParams::compcode_meta)).
    ///
    /// Returns `Ok(Some(n))` with the compressed length, or `Ok(None)` (or `Ok(Some(0))`) when
    /// the data does not compress into `output`: the stream is then stored raw. A length of
    /// `input.len()` is stored raw as well.
    ///
    /// # Errors
    /// Any error aborts the compression call and is returned to its caller (with the codec id
    /// and block added to the message). Returning a length above `output.len()` is an
    /// [`ErrorKind::InvalidParam`] error.
    fn encode(
        &self,
        input: &[u8],
        output: &mut [u8],
        meta: u8,
        info: &BlockInfo,
    ) -> Result<Option<usize>>;

    /// Decompresses `input` (one stream, as `encode` wrote it) into `output`, which must be
    /// filled exactly, and returns the number of bytes written.
    ///
    /// # Errors
    /// Any error aborts the decompression; returning a length other than `output.len()` is an
    /// [`ErrorKind::InvalidData`] error, as C-Blosc2 makes it `BLOSC2_ERROR_DATA`.
    fn decode(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<usize>;
}

/// A user-defined filter (C-Blosc2 `blosc2_filter`): transforms one block in a pipeline slot.
pub trait UserFilter: Send + Sync {
    /// Filter id, 160..=255 (stored in the filter slot).
    fn id(&self) -> u8;

    /// Name, for messages.
    fn name(&self) -> &str {
        "user filter"
    }

    /// Applies the filter: `output` (same length as `input`, zero-filled) receives the
    /// transformed block. `meta` is the slot's `filters_meta` byte.
    ///
    /// # Errors
    /// Any error aborts the compression call.
    fn forward(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<()>;

    /// Undoes [`UserFilter::forward`] into `output` (same length as `input`, zero-filled).
    ///
    /// # Errors
    /// Any error aborts the decompression call.
    fn backward(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<()>;
}

#[derive(Clone, Default)]
struct Plugins {
    codecs: BTreeMap<u8, Arc<dyn UserCodec>>,
    filters: BTreeMap<u8, Arc<dyn UserFilter>>,
}

/// A set of user codecs and filters, carried by [`CParams`](crate::CParams) and
/// [`DParams`](crate::DParams). Cloning is cheap (one reference count); registering on a clone
/// copies the set first, so params that already hold a registry never see it change.
///
/// Params without a registry use the process-wide one ([`Registry::global`],
/// [`register_codec`], [`register_filter`]).
#[derive(Clone, Default)]
pub struct Registry {
    inner: Option<Arc<Plugins>>,
}

static GLOBAL: RwLock<Registry> = RwLock::new(Registry::new());

fn check_id(id: u8, what: &str) -> Result<()> {
    if id < USER_ID_START {
        return Err(Error::param(format!(
            "user {what} id {id} is below {USER_ID_START}: ids 0-159 are reserved for Blosc's \
             own and registered {what}s"
        )));
    }
    Ok(())
}

impl Registry {
    /// An empty registry.
    pub const fn new() -> Registry {
        Registry { inner: None }
    }

    fn plugins_mut(&mut self) -> &mut Plugins {
        Arc::make_mut(self.inner.get_or_insert_with(Default::default))
    }

    /// Adds a codec under its [`UserCodec::id`].
    ///
    /// # Errors
    /// `InvalidParam` for an id below 160 or one already registered here.
    pub fn register_codec(&mut self, codec: impl UserCodec + 'static) -> Result<()> {
        self.register_codec_arc(Arc::new(codec))
    }

    /// [`Registry::register_codec`] for a codec that is already shared.
    ///
    /// # Errors
    /// As [`Registry::register_codec`].
    pub fn register_codec_arc(&mut self, codec: Arc<dyn UserCodec>) -> Result<()> {
        let id = codec.id();
        check_id(id, "codec")?;
        if let Some(old) = self.codec(id) {
            return Err(Error::param(format!(
                "codec id {id} is already registered (as '{}')",
                old.name()
            )));
        }
        self.plugins_mut().codecs.insert(id, codec);
        Ok(())
    }

    /// Adds a filter under its [`UserFilter::id`].
    ///
    /// # Errors
    /// `InvalidParam` for an id below 160 or one already registered here.
    pub fn register_filter(&mut self, filter: impl UserFilter + 'static) -> Result<()> {
        self.register_filter_arc(Arc::new(filter))
    }

    /// [`Registry::register_filter`] for a filter that is already shared.
    ///
    /// # Errors
    /// As [`Registry::register_filter`].
    pub fn register_filter_arc(&mut self, filter: Arc<dyn UserFilter>) -> Result<()> {
        let id = filter.id();
        check_id(id, "filter")?;
        if let Some(old) = self.filter(id) {
            return Err(Error::param(format!(
                "filter id {id} is already registered (as '{}')",
                old.name()
            )));
        }
        self.plugins_mut().filters.insert(id, filter);
        Ok(())
    }

    /// Builder form of [`Registry::register_codec`].
    ///
    /// # Errors
    /// As [`Registry::register_codec`].
    pub fn with_codec(mut self, codec: impl UserCodec + 'static) -> Result<Registry> {
        self.register_codec(codec)?;
        Ok(self)
    }

    /// Builder form of [`Registry::register_filter`].
    ///
    /// # Errors
    /// As [`Registry::register_filter`].
    pub fn with_filter(mut self, filter: impl UserFilter + 'static) -> Result<Registry> {
        self.register_filter(filter)?;
        Ok(self)
    }

    /// The codec registered under `id`.
    pub fn codec(&self, id: u8) -> Option<&Arc<dyn UserCodec>> {
        self.inner.as_ref()?.codecs.get(&id)
    }

    /// The filter registered under `id`.
    pub fn filter(&self, id: u8) -> Option<&Arc<dyn UserFilter>> {
        self.inner.as_ref()?.filters.get(&id)
    }

    /// Ids of the registered codecs, ascending.
    pub fn codec_ids(&self) -> Vec<u8> {
        self.inner
            .as_ref()
            .map(|p| p.codecs.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Ids of the registered filters, ascending.
    pub fn filter_ids(&self) -> Vec<u8> {
        self.inner
            .as_ref()
            .map(|p| p.filters.keys().copied().collect())
            .unwrap_or_default()
    }

    /// A snapshot of the process-wide registry that params without a registry use.
    pub fn global() -> Registry {
        GLOBAL
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Registers a codec in the process-wide registry (python-blosc2's `register_codec`).
///
/// # Errors
/// As [`Registry::register_codec`].
pub fn register_codec(codec: impl UserCodec + 'static) -> Result<()> {
    GLOBAL
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .register_codec(codec)
}

/// Registers a filter in the process-wide registry (python-blosc2's `register_filter`).
///
/// # Errors
/// As [`Registry::register_filter`].
pub fn register_filter(filter: impl UserFilter + 'static) -> Result<()> {
    GLOBAL
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .register_filter(filter)
}

/// Two registries are equal when they share the same set (clones with no registration since).
impl PartialEq for Registry {
    fn eq(&self, other: &Registry) -> bool {
        match (&self.inner, &other.inner) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Registry {}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Registry");
        if let Some(p) = &self.inner {
            let codecs: Vec<_> = p.codecs.iter().map(|(id, c)| (*id, c.name())).collect();
            let filters: Vec<_> = p.filters.iter().map(|(id, c)| (*id, c.name())).collect();
            d.field("codecs", &codecs).field("filters", &filters);
        }
        d.finish()
    }
}

/// What a prefilter or postfilter sees for one block (C's `blosc2_prefilter_params` /
/// `blosc2_postfilter_params`).
pub struct BlockParams<'a> {
    /// Prefilter: the block of the caller's input. Postfilter: the block as the filter
    /// pipeline restored it.
    pub input: &'a [u8],
    /// Where the callback writes the block (same length as `input`). It starts as a copy of
    /// `input`, so a callback that writes nothing leaves the data unchanged. Prefilter: these
    /// bytes are what the filter pipeline and codec then compress. Postfilter: these bytes are
    /// the decompressed output.
    pub output: &'a mut [u8],
    /// Block index, offset, sizes and typesize.
    pub info: BlockInfo,
    user_data: Option<&'a (dyn Any + Send + Sync)>,
}

impl BlockParams<'_> {
    /// The user data attached with [`BlockCallback::with_user_data`], if it is a `T`.
    pub fn user_data<T: Any>(&self) -> Option<&T> {
        self.user_data?.downcast_ref::<T>()
    }
}

type CallbackFn = dyn Fn(&mut BlockParams<'_>) -> Result<()> + Send + Sync;

/// A prefilter ([`CParams::prefilter`](crate::CParams::prefilter)) or postfilter
/// ([`DParams::postfilter`](crate::DParams::postfilter)): a closure called once per block, on
/// any thread, with optional user data.
///
/// Prefilters run on every block before the filter pipeline, including chunks stored memcpyed
/// (clevel 0, tiny or incompressible input), as in C-Blosc2. Postfilters run on every block
/// after the pipeline, including memcpyed and special-value chunks. Two C-Blosc2 details differ
/// on purpose: with the delta filter, blocks after the first are XORed against the
/// *prefiltered* first block (C uses the raw input, which does not round-trip), and decoding
/// uses the first block as it was *before* the postfilter. When a stream must be re-encoded
/// because the destination is nearly full, the prefilter runs a second time on that block.
#[derive(Clone)]
pub struct BlockCallback {
    func: Arc<CallbackFn>,
    user_data: Option<Arc<dyn Any + Send + Sync>>,
}

impl BlockCallback {
    /// Wraps a closure.
    pub fn new<F>(f: F) -> BlockCallback
    where
        F: Fn(&mut BlockParams<'_>) -> Result<()> + Send + Sync + 'static,
    {
        BlockCallback {
            func: Arc::new(f),
            user_data: None,
        }
    }

    /// Attaches data the closure reads with [`BlockParams::user_data`] (C's `user_data`).
    #[must_use]
    pub fn with_user_data<T: Any + Send + Sync>(mut self, data: T) -> BlockCallback {
        self.user_data = Some(Arc::new(data));
        self
    }

    /// Runs the callback: `output` receives a copy of `input`, then the closure. Panics are
    /// caught and returned as errors.
    pub(crate) fn run(
        &self,
        what: &str,
        input: &[u8],
        output: &mut [u8],
        info: BlockInfo,
    ) -> Result<()> {
        output.copy_from_slice(input);
        let mut params = BlockParams {
            input,
            output,
            info,
            user_data: self.user_data.as_deref(),
        };
        let r = guarded(|| (self.func)(&mut params));
        r.map_err(|e| context(e, format_args!("{what} on block {}", info.nblock)))
    }
}

/// Callbacks are equal when they are clones of one another.
impl PartialEq for BlockCallback {
    fn eq(&self, other: &BlockCallback) -> bool {
        Arc::ptr_eq(&self.func, &other.func)
    }
}

impl Eq for BlockCallback {}

impl fmt::Debug for BlockCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockCallback")
            .field("user_data", &self.user_data.is_some())
            .finish_non_exhaustive()
    }
}

/// Runs plugin code, turning a panic into an `InvalidParam` error (the plugin broke its
/// contract; it is the caller's component, not the data, that failed).
fn guarded<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string());
        Err(Error::param(format!("panicked: {msg}")))
    })
}

fn context(e: Error, what: fmt::Arguments<'_>) -> Error {
    Error::new(e.kind(), format!("{what}: {}", e.message()))
}

/// The registry params resolve against: their own, else a snapshot of the global one. Only
/// called when a user id is present, so built-in paths never take the global lock.
pub(crate) fn effective(registry: Option<&Registry>) -> Registry {
    registry.cloned().unwrap_or_else(Registry::global)
}

/// User filters resolved per slot (`None` for built-in or empty slots).
pub(crate) type UserFilters = [Option<Arc<dyn UserFilter>>; MAX_FILTERS];

/// Looks up the user filters of a pipeline: `Unsupported` naming the first id not registered
/// (compressing or decoding), `InvalidParam` for an id below 160.
pub(crate) fn resolve_filters(
    slots: &[FilterSlot; MAX_FILTERS],
    registry: Option<&Registry>,
) -> Result<UserFilters> {
    let mut out: UserFilters = Default::default();
    if !slots.iter().any(|s| matches!(s.filter, Filter::User(_))) {
        return Ok(out);
    }
    let reg = effective(registry);
    for (i, (slot, user)) in slots.iter().zip(out.iter_mut()).enumerate() {
        if let Filter::User(id) = slot.filter {
            check_id(id, "filter")?;
            *user = Some(Arc::clone(reg.filter(id).ok_or_else(|| {
                Error::unsupported(format!(
                    "user-defined filter id {id} (slot {i}) is not registered"
                ))
            })?));
        }
    }
    Ok(out)
}

/// Looks up a user codec (`Ok(None)` for built-in codecs); errors as [`resolve_filters`].
pub(crate) fn resolve_codec(
    codec: Codec,
    registry: Option<&Registry>,
) -> Result<Option<Arc<dyn UserCodec>>> {
    let Codec::User(id) = codec else {
        return Ok(None);
    };
    check_id(id, "codec")?;
    let reg = effective(registry);
    let codec = reg.codec(id).ok_or_else(|| {
        Error::unsupported(format!("user-defined codec id {id} is not registered"))
    })?;
    Ok(Some(Arc::clone(codec)))
}

/// Calls a user codec's encoder on one stream; returns the compressed length, 0 for "store
/// raw" (the same convention as the built-in codecs).
pub(crate) fn encode(
    codec: &dyn UserCodec,
    input: &[u8],
    output: &mut [u8],
    meta: u8,
    info: &BlockInfo,
) -> Result<usize> {
    // Whatever the codec leaves unwritten is deterministic (§3.5 invariant 6).
    output.fill(0);
    let limit = output.len();
    let id = codec.id();
    let at = || {
        format!(
            "user codec {id} ('{}') on block {}",
            codec.name(),
            info.nblock
        )
    };
    let n = guarded(|| codec.encode(input, output, meta, info))
        .map_err(|e| context(e, format_args!("{}", at())))?;
    match n {
        None => Ok(0),
        Some(n) if n <= limit => Ok(n),
        // C-Blosc2: cbytes > maxout is BLOSC2_ERROR_WRITE_BUFFER.
        Some(n) => Err(Error::param(format!(
            "{} returned {n} bytes for an output buffer of {limit}",
            at()
        ))),
    }
}

/// Calls a user codec's decoder on one stream, which must fill `output` exactly.
pub(crate) fn decode(
    codec: &dyn UserCodec,
    input: &[u8],
    output: &mut [u8],
    meta: u8,
    info: &BlockInfo,
) -> Result<()> {
    output.fill(0);
    let id = codec.id();
    let at = || {
        format!(
            "user codec {id} ('{}') on block {}",
            codec.name(),
            info.nblock
        )
    };
    let n = guarded(|| codec.decode(input, output, meta, info))
        .map_err(|e| context(e, format_args!("{}", at())))?;
    if n != output.len() {
        // C-Blosc2 `blosc_d`: nbytes != neblock is BLOSC2_ERROR_DATA.
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("{} decoded {n} bytes, expected {}", at(), output.len()),
        ));
    }
    Ok(())
}

/// Runs a user filter forward (`backward == false`) or backward on one block.
pub(crate) fn run_filter(
    filter: Option<&dyn UserFilter>,
    backward: bool,
    input: &[u8],
    output: &mut [u8],
    meta: u8,
    info: &BlockInfo,
) -> Result<()> {
    // `Pipeline` is only built with every user slot resolved.
    let filter =
        filter.ok_or_else(|| Error::invalid("internal: user filter slot without a filter"))?;
    output.fill(0);
    let r = guarded(|| {
        if backward {
            filter.backward(input, output, meta, info)
        } else {
            filter.forward(input, output, meta, info)
        }
    });
    r.map_err(|e| {
        context(
            e,
            format_args!(
                "user filter {} ('{}') {} on block {}",
                filter.id(),
                filter.name(),
                if backward { "backward" } else { "forward" },
                info.nblock
            ),
        )
    })
}
