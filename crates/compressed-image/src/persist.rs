//! Persistence: channels and images as Blosc2 contiguous frames (`.b2frame`).
//!
//! # Layout (format `compressed-image`, version 1)
//!
//! A saved channel or image is **one** Blosc2 contiguous frame (a super-chunk serialised as in
//! `README_CFRAME_FORMAT.rst`), so C-Blosc2 and python-blosc2 open it as an `SChunk`:
//!
//! - **Chunks**: the channels' chunks in order, channel 0's first. Each compressed chunk is
//!   copied verbatim (no recompression). A lazy chunk (one fill value) becomes a Blosc2 special
//!   chunk of the same `nbytes`: all-zero-bits fills a *zeros* chunk (costing no bytes in a
//!   fixed-chunksize frame), other fills a *repeated-value* chunk (32-byte header + the value).
//!   Loading turns every special chunk (zeros, NaN, uninit, value) back into a lazy chunk, so
//!   laziness survives a round trip.
//! - **Frame parameters**: typesize = `size_of::<T>()`; codec, level, filter and blocksize of
//!   the first channel (informational: every chunk header names its own codec). A single
//!   channel is a fixed-chunksize frame (all chunks `chunk_rows × width` elements but the
//!   last); several channels make a variable-chunksize frame (frame version 3), because each
//!   channel's last chunk may be short.
//! - **vlmeta** (variable-length metalayers, each a msgpack value, as python-blosc2 expects):
//!
//!   | key | msgpack value |
//!   | --- | --- |
//!   | `format` | `"compressed-image"` |
//!   | `version` | `1` |
//!   | `kind` | `"channel"` or `"image"` |
//!   | `dtype` | NumPy name of `T`: `"uint8"`, `"float16"`, `"float32"`, ... |
//!   | `byteorder` | `"little"` or `"big"`: the byte order of the chunk data |
//!   | `width`, `height` | image size in pixels |
//!   | `channels` | array of maps, one per channel, in order: `name` (str or nil), `first_chunk`, `nchunks`, `chunk_rows`, `codec` (`"lz4"`, ...), `clevel`, `filter` (`"shuffle"`, ...), `block_size`, `chunk_size` (the requested chunk size in bytes, [`crate::Params::chunk_size`]) |
//!   | `metadata` | the image metadata as JSON text (`"{}"` for a channel) |
//!
//!   Channel `c` occupies frame chunks `first_chunk .. first_chunk + nchunks`; the ranges are
//!   contiguous and cover every chunk. Chunk `i` of a channel holds rows
//!   `i × chunk_rows .. min((i + 1) × chunk_rows, height)`, row-major.
//!
//! The [`Params::nthreads`](crate::Params::nthreads) setting is not saved (loaded channels use
//! one thread; see [`Channel::set_nthreads`]).
//!
//! # Why one frame per image
//!
//! One file is written atomically (temporary file, fsync, rename), is copied or moved as a
//! unit, keeps channels and metadata from drifting apart, and is still a plain `SChunk` for
//! python-blosc2. A directory of per-channel frames would let NumPy users open single
//! channels, but would need a manifest, could be left half-written, and is not one file to
//! hand around. A channel saved on its own is the same format with one channel, so either
//! loader reads either kind of file ([`Image::load`] of a channel file gives a one-channel
//! image with an unnamed channel).
//!
//! # Why not a `b2nd` NDArray
//!
//! python-blosc2 opens frames carrying a `b2nd` metalayer as NDArrays, but b2nd requires every
//! chunk, including the bottom edge chunk, to be padded to the full chunk shape, and every
//! block to be a whole number of rows. Our last chunk is short and our blocks are a byte size
//! (32 KiB by default), so a b2nd frame would mean recompressing chunks on save. Frames are
//! plain `SChunk`s instead; in Python:
//!
//! ```python
//! import blosc2, numpy as np
//! sc = blosc2.open("mask.b2frame")
//! v = sc.vlmeta
//! ch = v["channels"][0]
//! first, n = ch["first_chunk"], ch["nchunks"]
//! data = b"".join(sc.decompress_chunk(i) for i in range(first, first + n))
//! mask = np.frombuffer(data, dtype=v["dtype"]).reshape(v["height"], v["width"])
//! ```
//!
//! (python-blosc2 4.14.1 crashes on `schunk[:]` of a variable-chunksize frame, i.e. any
//! multi-channel image: read those chunk by chunk as above.)
//!
//! # Validation
//!
//! Loading checks the frame structure (through `blockcodec`), every vlmeta entry, that the
//! dtype is `T`'s, that each channel's chunk count and chunk sizes match the layout its
//! parameters give, and every chunk header (typesize, `nbytes`, `cbytes`). Chunk payloads are
//! checked when a chunk is decoded, as for any channel. Loading reads the file chunk by chunk
//! into memory: the loaded channel does not keep the file open.

use std::path::Path;

use blockcodec::{ChunkHeader, FrameLimits, MsgValue, SChunk, SpecialKind};

use crate::channel::Channel;
use crate::chunk::ChunkStore;
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::image::{Image, Metadata};
use crate::layout::ChunkLayout;
use crate::params::Params;
use crate::{Codec, Filter};

/// Value of the `format` vlmetalayer.
pub const FORMAT_NAME: &str = "compressed-image";
/// Value of the `version` vlmetalayer this build writes (and the highest it reads).
pub const FORMAT_VERSION: i64 = 1;

/// What a saved frame holds, read from its vlmeta without loading any chunk: use it to pick
/// the element type before [`Image::load`] (see [`probe`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FrameInfo {
    /// `"channel"` or `"image"`: which of `save` functions wrote it.
    pub kind: String,
    /// NumPy name of the element type (`"uint8"`, `"float32"`, ...; [`Element::DTYPE`]).
    pub dtype: String,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Channel names in order (`None` for unnamed channels).
    pub channel_names: Vec<Option<String>>,
}

/// Reads the header of a saved channel or image (a few KiB) and reports what it holds.
///
/// # Errors
/// `Io` if the file cannot be read, `InvalidData` if it is not a valid frame of this format,
/// `Unsupported` for a newer format version.
pub fn probe(path: impl AsRef<Path>) -> Result<FrameInfo> {
    let path = path.as_ref();
    let sc = SChunk::open(path).map_err(|e| Error::from_file(e).context(path.display()))?;
    let h = Header::parse(&sc).map_err(|e| e.context(path.display()))?;
    Ok(h.info())
}

/// [`probe`] for a frame in memory.
///
/// # Errors
/// As [`probe`].
pub fn probe_bytes(frame: &[u8]) -> Result<FrameInfo> {
    let sc = SChunk::from_frame(frame, &FrameLimits::default()).map_err(Error::from_file)?;
    Ok(Header::parse(&sc)?.info())
}

/// One channel's entry in the `channels` vlmetalayer.
#[derive(Clone, Debug)]
struct ChannelEntry {
    name: Option<String>,
    first_chunk: usize,
    nchunks: usize,
    chunk_rows: usize,
    params: Params,
}

/// The decoded vlmeta of a saved frame.
#[derive(Clone, Debug)]
struct Header {
    kind: String,
    dtype: String,
    width: usize,
    height: usize,
    channels: Vec<ChannelEntry>,
    metadata: Metadata,
}

const BYTEORDER: &str = if cfg!(target_endian = "big") {
    "big"
} else {
    "little"
};

fn str_value(s: &str) -> MsgValue {
    MsgValue::Str(s.to_owned())
}

fn int_value(n: usize) -> MsgValue {
    i64::try_from(n).map_or(MsgValue::UInt(n as u64), MsgValue::Int)
}

fn vl_set(sc: &mut SChunk, name: &str, value: &MsgValue) -> Result<()> {
    let bytes = value.to_msgpack()?;
    sc.vlmeta_set(name, &bytes)?;
    Ok(())
}

fn vl_get(sc: &SChunk, name: &str) -> Result<MsgValue> {
    let bytes = sc
        .vlmeta_get(name)
        .map_err(Error::from_file)?
        .ok_or_else(|| Error::invalid(format!("vlmeta entry {name:?} is missing")))?;
    MsgValue::from_msgpack(&bytes)
        .map_err(|e| Error::invalid(format!("vlmeta entry {name:?}: {}", e.message())))
}

fn as_usize(v: &MsgValue, what: &str) -> Result<usize> {
    v.as_i64()
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(|| Error::invalid(format!("{what} is not a non-negative integer")))
}

fn as_string(v: &MsgValue, what: &str) -> Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid(format!("{what} is not a string")))
}

fn map_get<'a>(map: &'a [(MsgValue, MsgValue)], key: &str, what: &str) -> Result<&'a MsgValue> {
    map.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
        .ok_or_else(|| Error::invalid(format!("{what} has no {key:?}")))
}

impl ChannelEntry {
    fn to_msg(&self) -> MsgValue {
        let p = &self.params;
        let name = self.name.as_deref().map_or(MsgValue::Nil, str_value);
        MsgValue::Map(vec![
            (str_value("name"), name),
            (str_value("first_chunk"), int_value(self.first_chunk)),
            (str_value("nchunks"), int_value(self.nchunks)),
            (str_value("chunk_rows"), int_value(self.chunk_rows)),
            (str_value("codec"), str_value(p.codec.name())),
            (str_value("clevel"), int_value(usize::from(p.clevel))),
            (str_value("filter"), str_value(p.filter.name())),
            (str_value("block_size"), int_value(p.block_size)),
            (str_value("chunk_size"), int_value(p.chunk_size)),
        ])
    }

    fn from_msg(v: &MsgValue, index: usize) -> Result<Self> {
        let what = format!("channels[{index}]");
        let MsgValue::Map(map) = v else {
            return Err(Error::invalid(format!("{what} is not a map")));
        };
        let get = |key: &str| map_get(map, key, &what);
        let name = match get("name")? {
            MsgValue::Nil => None,
            v => Some(as_string(v, &format!("{what}.name"))?),
        };
        let codec_name = as_string(get("codec")?, &format!("{what}.codec"))?;
        let codec = Codec::from_name(&codec_name)
            .ok_or_else(|| Error::unsupported(format!("{what}: unknown codec {codec_name:?}")))?;
        let filter_name = as_string(get("filter")?, &format!("{what}.filter"))?;
        let filter = Filter::from_name(&filter_name)
            .ok_or_else(|| Error::unsupported(format!("{what}: unknown filter {filter_name:?}")))?;
        let clevel = as_usize(get("clevel")?, &format!("{what}.clevel"))?;
        let clevel = u8::try_from(clevel)
            .ok()
            .filter(|&l| l <= 9)
            .ok_or_else(|| Error::invalid(format!("{what}: clevel {clevel} is out of range")))?;
        let params = Params::default()
            .codec(codec)
            .clevel(clevel)
            .filter(filter)
            .block_size(as_usize(get("block_size")?, &format!("{what}.block_size"))?)
            .chunk_size(as_usize(get("chunk_size")?, &format!("{what}.chunk_size"))?);
        Ok(ChannelEntry {
            name,
            first_chunk: as_usize(get("first_chunk")?, &format!("{what}.first_chunk"))?,
            nchunks: as_usize(get("nchunks")?, &format!("{what}.nchunks"))?,
            chunk_rows: as_usize(get("chunk_rows")?, &format!("{what}.chunk_rows"))?,
            params,
        })
    }
}

impl Header {
    fn info(&self) -> FrameInfo {
        FrameInfo {
            kind: self.kind.clone(),
            dtype: self.dtype.clone(),
            width: self.width,
            height: self.height,
            channel_names: self.channels.iter().map(|c| c.name.clone()).collect(),
        }
    }

    fn write(&self, sc: &mut SChunk) -> Result<()> {
        vl_set(sc, "format", &str_value(FORMAT_NAME))?;
        vl_set(sc, "version", &MsgValue::Int(FORMAT_VERSION))?;
        vl_set(sc, "kind", &str_value(&self.kind))?;
        vl_set(sc, "dtype", &str_value(&self.dtype))?;
        vl_set(sc, "byteorder", &str_value(BYTEORDER))?;
        vl_set(sc, "width", &int_value(self.width))?;
        vl_set(sc, "height", &int_value(self.height))?;
        let channels = self.channels.iter().map(ChannelEntry::to_msg).collect();
        vl_set(sc, "channels", &MsgValue::Array(channels))?;
        let json = serde_json::to_string(&self.metadata)
            .map_err(|e| Error::param(format!("metadata cannot be serialised: {e}")))?;
        vl_set(sc, "metadata", &MsgValue::Str(json))
    }

    /// Decodes and checks the vlmeta (everything that does not depend on `T`).
    fn parse(sc: &SChunk) -> Result<Header> {
        let format = vl_get(sc, "format").map_err(|_| {
            Error::invalid("not a compressed-image frame (no \"format\" vlmeta entry)")
        })?;
        if format.as_str() != Some(FORMAT_NAME) {
            return Err(Error::invalid(format!(
                "not a compressed-image frame (format {format:?})"
            )));
        }
        let version = vl_get(sc, "version")?
            .as_i64()
            .ok_or_else(|| Error::invalid("version is not an integer"))?;
        if version > FORMAT_VERSION {
            return Err(Error::unsupported(format!(
                "format version {version} is newer than this build reads ({FORMAT_VERSION})"
            )));
        }
        if version < 1 {
            return Err(Error::invalid(format!("format version {version}")));
        }
        let kind = as_string(&vl_get(sc, "kind")?, "kind")?;
        if kind != "channel" && kind != "image" {
            return Err(Error::invalid(format!("unknown kind {kind:?}")));
        }
        let byteorder = as_string(&vl_get(sc, "byteorder")?, "byteorder")?;
        if byteorder != BYTEORDER {
            return Err(Error::unsupported(format!(
                "the data is {byteorder}-endian, this machine is {BYTEORDER}-endian"
            )));
        }
        let dtype = as_string(&vl_get(sc, "dtype")?, "dtype")?;
        let width = as_usize(&vl_get(sc, "width")?, "width")?;
        let height = as_usize(&vl_get(sc, "height")?, "height")?;
        let channels = vl_get(sc, "channels")?;
        let channels = channels
            .as_array()
            .ok_or_else(|| Error::invalid("channels is not an array"))?
            .iter()
            .enumerate()
            .map(|(i, v)| ChannelEntry::from_msg(v, i))
            .collect::<Result<Vec<_>>>()?;
        let metadata = as_string(&vl_get(sc, "metadata")?, "metadata")?;
        let metadata: Metadata = serde_json::from_str(&metadata)
            .map_err(|e| Error::invalid(format!("metadata is not a JSON object: {e}")))?;
        if kind == "channel" && channels.len() != 1 {
            return Err(Error::invalid(format!(
                "a channel frame lists {} channels",
                channels.len()
            )));
        }
        // The chunk ranges must tile the frame's chunks exactly, in order.
        let mut next = 0usize;
        for (i, c) in channels.iter().enumerate() {
            if c.first_chunk != next {
                return Err(Error::invalid(format!(
                    "channel {i} starts at chunk {}, expected {next}",
                    c.first_chunk
                )));
            }
            next = next
                .checked_add(c.nchunks)
                .ok_or_else(|| Error::invalid("chunk counts overflow"))?;
        }
        if next != sc.nchunks() {
            return Err(Error::invalid(format!(
                "the channels list {next} chunks, the frame holds {}",
                sc.nchunks()
            )));
        }
        for (i, c) in channels.iter().enumerate() {
            if let Some(name) = &c.name
                && channels[..i].iter().any(|o| o.name.as_ref() == Some(name))
            {
                return Err(Error::invalid(format!(
                    "channel name {name:?} appears twice"
                )));
            }
        }
        Ok(Header {
            kind,
            dtype,
            width,
            height,
            channels,
            metadata,
        })
    }
}

/// Builds the super-chunk of `channels` (name, channel) with `metadata`.
fn build<T: Element>(
    kind: &str,
    width: usize,
    height: usize,
    channels: &[(Option<&str>, &Channel<T>)],
    metadata: &Metadata,
) -> Result<SChunk> {
    let first_params = channels
        .first()
        .map_or_else(Params::default, |(_, c)| c.params().clone());
    let mut sc = SChunk::new(first_params.cparams(T::TYPESIZE))?;
    if channels.len() > 1 {
        sc.set_variable_chunks();
    }
    let mut entries = Vec::with_capacity(channels.len());
    for (name, channel) in channels {
        entries.push(ChannelEntry {
            name: name.map(str::to_owned),
            first_chunk: sc.nchunks(),
            nchunks: channel.num_chunks(),
            chunk_rows: channel.chunk_rows(),
            params: channel.params().clone(),
        });
        for (i, store) in channel.stores().iter().enumerate() {
            let nbytes = channel.chunk_len(i).unwrap_or(0) * T::TYPESIZE;
            match store {
                ChunkStore::Compressed(bytes) => sc.append_chunk(bytes.to_vec())?,
                ChunkStore::Fill(v) if v.bits_eq(&T::zero()) => {
                    sc.append_special(&SpecialKind::Zeros, nbytes)?
                }
                ChunkStore::Fill(v) => {
                    let value = bytemuck::bytes_of(v).to_vec();
                    sc.append_special(&SpecialKind::Value(value), nbytes)?
                }
            };
        }
    }
    let header = Header {
        kind: kind.to_owned(),
        dtype: T::DTYPE.to_owned(),
        width,
        height,
        channels: entries,
        metadata: metadata.clone(),
    };
    header.write(&mut sc)?;
    Ok(sc)
}

/// The channels of a parsed frame, as `Channel<T>`s (name, channel).
fn extract<T: Element>(sc: &SChunk, h: &Header) -> Result<Vec<(Option<String>, Channel<T>)>> {
    if h.dtype != T::DTYPE {
        return Err(Error::param(format!(
            "the file holds {} data, not {}",
            h.dtype,
            T::DTYPE
        )));
    }
    if sc.typesize() != T::TYPESIZE {
        return Err(Error::invalid(format!(
            "frame typesize {} does not match dtype {}",
            sc.typesize(),
            h.dtype
        )));
    }
    let mut out = Vec::with_capacity(h.channels.len());
    for (c, entry) in h.channels.iter().enumerate() {
        let channel =
            extract_channel::<T>(sc, h, entry).map_err(|e| e.context(format!("channel {c}")))?;
        out.push((entry.name.clone(), channel));
    }
    Ok(out)
}

fn extract_channel<T: Element>(
    sc: &SChunk,
    h: &Header,
    entry: &ChannelEntry,
) -> Result<Channel<T>> {
    let data_err = |e: Error| match e.kind() {
        ErrorKind::InvalidParam | ErrorKind::LimitExceeded => {
            Error::invalid(e.message().to_owned())
        }
        _ => e,
    };
    let layout = ChunkLayout::new(h.width, h.height, T::TYPESIZE, entry.params.chunk_size)
        .map_err(data_err)?;
    entry.params.validate(T::TYPESIZE).map_err(data_err)?;
    if layout.num_chunks() != entry.nchunks || layout.chunk_rows() != entry.chunk_rows {
        return Err(Error::invalid(format!(
            "{} chunks of {} rows recorded, the layout has {} of {}",
            entry.nchunks,
            entry.chunk_rows,
            layout.num_chunks(),
            layout.chunk_rows()
        )));
    }
    let mut chunks = Vec::new();
    chunks
        .try_reserve_exact(entry.nchunks)
        .map_err(|_| Error::limit("cannot allocate the chunk list"))?;
    for i in 0..entry.nchunks {
        let store = load_chunk::<T>(sc, entry.first_chunk + i, &layout, i)
            .map_err(|e| e.context(format!("chunk {i}")))?;
        chunks.push(store);
    }
    Channel::from_parts(layout, entry.params.clone(), chunks)
}

fn load_chunk<T: Element>(
    sc: &SChunk,
    index: usize,
    layout: &ChunkLayout,
    local: usize,
) -> Result<ChunkStore<T>> {
    let expected = layout.chunk_len(local).unwrap_or(0) * T::TYPESIZE;
    let nbytes = sc.chunk_nbytes(index).map_err(Error::from_file)?;
    if nbytes != expected {
        return Err(Error::invalid(format!(
            "holds {nbytes} bytes, the layout needs {expected}"
        )));
    }
    let bytes = sc.get_chunk(index).map_err(Error::from_file)?;
    let header = ChunkHeader::parse(&bytes).map_err(Error::from_file)?;
    if header.cbytes() != bytes.len() || header.nbytes() != nbytes {
        return Err(Error::invalid(format!(
            "header says cbytes {} nbytes {}, stored {} bytes for {nbytes}",
            header.cbytes(),
            header.nbytes(),
            bytes.len()
        )));
    }
    if header.typesize() != T::TYPESIZE {
        return Err(Error::invalid(format!(
            "typesize {} in the chunk header, {} expected",
            header.typesize(),
            T::TYPESIZE
        )));
    }
    if header.special().is_some() {
        let mut v = T::zero();
        blockcodec::getitem(&bytes, 0, 1, bytemuck::bytes_of_mut(&mut v))
            .map_err(Error::from_file)?;
        return Ok(ChunkStore::Fill(v));
    }
    Ok(ChunkStore::Compressed(
        bytes.into_owned().into_boxed_slice(),
    ))
}

fn open(path: &Path) -> Result<SChunk> {
    SChunk::open(path).map_err(|e| Error::from_file(e).context(path.display()))
}

fn write(sc: &SChunk, path: &Path) -> Result<()> {
    sc.write_frame(path)
        .map_err(|e| Error::from_file(e).context(path.display()))
}

impl<T: Element> Channel<T> {
    /// Saves the channel as a `.b2frame` file (see the [`persist`](crate::persist) module for
    /// the layout), atomically: a temporary file is written, synced and renamed over `path`.
    /// Chunks are copied, not recompressed; while writing, a second copy of the compressed data
    /// is held in memory.
    ///
    /// # Errors
    /// `Io` when the file cannot be written (then `path` is untouched).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let sc = self.to_schunk()?;
        write(&sc, path.as_ref())
    }

    /// Loads a channel saved by [`Channel::save`] (or an image file holding exactly one
    /// channel), reading it chunk by chunk into memory.
    ///
    /// # Errors
    /// `Io` if the file cannot be read; `InvalidData` if it is not a valid frame of this format
    /// or its contents are inconsistent (layout, chunk sizes, headers); `InvalidParam` if it
    /// holds another element type than `T` (see [`probe`]) or more than one channel;
    /// `Unsupported` for a newer format version or a codec this build cannot use.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let sc = open(path)?;
        Self::from_schunk(&sc).map_err(|e| e.context(path.display()))
    }

    /// The frame [`Channel::save`] writes, in memory.
    ///
    /// # Errors
    /// `LimitExceeded` if it does not fit in memory.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.to_schunk()?.to_frame()?)
    }

    /// [`Channel::load`] from a frame in memory.
    ///
    /// # Errors
    /// As [`Channel::load`] (without `Io`).
    pub fn from_bytes(frame: &[u8]) -> Result<Self> {
        let sc = SChunk::from_frame(frame, &FrameLimits::default()).map_err(Error::from_file)?;
        Self::from_schunk(&sc)
    }

    fn to_schunk(&self) -> Result<SChunk> {
        build(
            "channel",
            self.width(),
            self.height(),
            &[(None, self)],
            &Metadata::new(),
        )
    }

    fn from_schunk(sc: &SChunk) -> Result<Self> {
        let h = Header::parse(sc)?;
        if h.channels.len() != 1 {
            return Err(Error::param(format!(
                "the file holds an image of {} channels, not one channel",
                h.channels.len()
            )));
        }
        let mut channels = extract::<T>(sc, &h)?;
        channels
            .pop()
            .map(|(_, c)| c)
            .ok_or_else(|| Error::invalid("no channel"))
    }
}

impl<T: Element> Image<T> {
    /// Saves the image (all channels, their names and the metadata) as one `.b2frame` file;
    /// see the [`persist`](crate::persist) module for the layout. Atomic like
    /// [`Channel::save`]; chunks are copied, not recompressed.
    ///
    /// # Errors
    /// `Io` when the file cannot be written; `InvalidParam` for metadata that cannot be
    /// serialised as JSON.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let sc = self.to_schunk()?;
        write(&sc, path.as_ref())
    }

    /// Loads an image saved by [`Image::save`] (a file saved by [`Channel::save`] gives a
    /// one-channel image).
    ///
    /// # Errors
    /// As [`Channel::load`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let sc = open(path)?;
        Self::from_schunk(&sc).map_err(|e| e.context(path.display()))
    }

    /// The frame [`Image::save`] writes, in memory.
    ///
    /// # Errors
    /// As [`Image::save`], without `Io`; `LimitExceeded` if it does not fit in memory.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.to_schunk()?.to_frame()?)
    }

    /// [`Image::load`] from a frame in memory.
    ///
    /// # Errors
    /// As [`Image::load`], without `Io`.
    pub fn from_bytes(frame: &[u8]) -> Result<Self> {
        let sc = SChunk::from_frame(frame, &FrameLimits::default()).map_err(Error::from_file)?;
        Self::from_schunk(&sc)
    }

    fn to_schunk(&self) -> Result<SChunk> {
        let names = self.channel_names();
        let channels: Vec<(Option<&str>, &Channel<T>)> =
            names.into_iter().zip(self.channels()).collect();
        build(
            "image",
            self.width(),
            self.height(),
            &channels,
            self.metadata(),
        )
    }

    fn from_schunk(sc: &SChunk) -> Result<Self> {
        let h = Header::parse(sc)?;
        let channels = extract::<T>(sc, &h)?;
        let mut image = Image::new(h.width, h.height);
        for (name, channel) in channels {
            image
                .add_channel(name.as_deref(), channel)
                .map_err(|e| Error::invalid(e.message().to_owned()))?;
        }
        image.set_metadata(h.metadata);
        Ok(image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_roundtrip() {
        let ch = Channel::<u16>::from_fn(30, 20, Params::default().chunk_size(200), |x, y| {
            (x * y) as u16
        })
        .unwrap();
        let sc = ch.to_schunk().unwrap();
        let h = Header::parse(&sc).unwrap();
        assert_eq!((h.width, h.height, h.dtype.as_str()), (30, 20, "uint16"));
        assert_eq!(h.channels.len(), 1);
        assert_eq!(h.channels[0].nchunks, ch.num_chunks());
        assert_eq!(h.channels[0].chunk_rows, 3);
        assert_eq!(h.channels[0].params, *ch.params());
    }
}
