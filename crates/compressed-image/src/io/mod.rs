//! Reading and writing image files: OpenEXR (feature `exr`), PNG, TIFF and JPEG (feature
//! `image`), straight into and out of compressed channels.
//!
//! ```no_run
//! # #[cfg(feature = "exr")] {
//! use compressed_image::io::ReadOptions;
//! use compressed_image::{Image, Params};
//!
//! // Every channel of the first part, as f32 (half channels are converted).
//! let img = Image::<f32>::read("render.exr", &ReadOptions::default())?;
//! // Only the beauty pass, 1 MiB chunks, with a per-chunk hook (here: exposure +1 stop)
//! // applied before each chunk is compressed.
//! let opts = ReadOptions::default()
//!     .names(["R", "G", "B"])
//!     .params(Params::default().chunk_size(1 << 20));
//! let rgb = Image::<f32>::read_with("render.exr", &opts, |chunk| {
//!     for c in 0..chunk.num_channels() {
//!         chunk.channel_mut(c).iter_mut().for_each(|v| *v *= 2.0);
//!     }
//!     Ok(())
//! })?;
//! rgb.write("beauty.exr", &Default::default())?;
//! # }
//! # Ok::<(), compressed_image::Error>(())
//! ```
//!
//! # Memory
//!
//! EXR files are decoded block by block (the `exr` crate's `block` API): each decoded block is
//! converted into the strip buffers of the chunks it touches, and a strip is compressed as
//! soon as all its rows have arrived. Peak memory is the compressed image plus about one chunk
//! per selected channel (two while blocks straddle a chunk boundary) plus the blocks being
//! decoded. EXR writing decodes one chunk per channel at a time. PNG, TIFF and JPEG are decoded
//! and encoded whole by the `image` crate (they are 8/16-bit and rarely huge): peak memory is
//! the decoded image plus the compressed one.
//!
//! # Type conversion
//!
//! Reading into `Image<T>` converts each sample from the file's type: the same type is copied
//! bitwise; otherwise values go through the normalised scale of
//! [`Element::to_normalized`] (as OpenImageIO does: a `u8` 255 becomes `1.0f32` or `65535u16`,
//! `0.5f32` becomes `128u8`, floats convert by value). Writing converts the other way to the
//! file's sample type. Read an EXR `uint32` ID channel into `Image<u32>` to keep it exact.
//!
//! # Channels
//!
//! EXR channels keep their names (`R`, `left.Z`, `forward.u`, ...; EXR stores them sorted by
//! name). PNG/TIFF/JPEG channels are named `Y` (gray), `Y A`, `R G B` or `R G B A`. Select by
//! name, by index or by EXR layer (`"left"` selects `left.*`); the image keeps the selection's
//! order.
//!
//! Subsampled EXR channels (luminance/chroma `RY`, `BY` with x/y sampling 2) are refused with
//! `Unsupported`: an [`Image`] holds channels of one size, and upsampling would invent values
//! (and would not round-trip). Select the full-resolution channels to read the rest of such a
//! file. Deep EXR data is also `Unsupported`.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::channel::Channel;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::params::Params;

#[cfg(feature = "exr")]
mod exr_file;
#[cfg(feature = "image")]
mod raster;

#[cfg(feature = "exr")]
pub use self::exr_file::ExrCompression;

/// A file format this module knows, detected from the first bytes of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileFormat {
    /// OpenEXR (feature `exr`).
    Exr,
    /// PNG (feature `image`).
    Png,
    /// TIFF (feature `image`).
    Tiff,
    /// JPEG, read only (feature `image`).
    Jpeg,
    /// A Blosc2 frame: a saved channel or image (see [`crate::persist`]), or another frame.
    B2Frame,
}

impl FileFormat {
    /// Lower-case name: `exr`, `png`, `tiff`, `jpeg`, `b2frame`.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Exr => "exr",
            FileFormat::Png => "png",
            FileFormat::Tiff => "tiff",
            FileFormat::Jpeg => "jpeg",
            FileFormat::B2Frame => "b2frame",
        }
    }

    /// The format from the first bytes of a file (at least 10 for a frame).
    pub fn from_magic(head: &[u8]) -> Option<FileFormat> {
        match head {
            [0x76, 0x2F, 0x31, 0x01, ..] => Some(FileFormat::Exr),
            [0x89, b'P', b'N', b'G', ..] => Some(FileFormat::Png),
            [b'I', b'I', 42 | 43, 0, ..] | [b'M', b'M', 0, 42 | 43, ..] => Some(FileFormat::Tiff),
            [0xFF, 0xD8, 0xFF, ..] => Some(FileFormat::Jpeg),
            _ if head.get(2..10) == Some(b"b2frame\0".as_slice()) => Some(FileFormat::B2Frame),
            _ => None,
        }
    }

    /// The format an output file name asks for: `.exr`, `.png`, `.tif`/`.tiff`, `.b2frame`
    /// (case-insensitive); JPEG is not offered (read only).
    pub fn from_extension(path: &Path) -> Option<FileFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "exr" => Some(FileFormat::Exr),
            "png" => Some(FileFormat::Png),
            "tif" | "tiff" => Some(FileFormat::Tiff),
            "b2frame" => Some(FileFormat::B2Frame),
            _ => None,
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Detects the format of the file at `path` from its first bytes.
///
/// # Errors
/// `Io` if it cannot be read; `Unsupported` if it is none of the formats of [`FileFormat`].
pub fn detect_format(path: impl AsRef<Path>) -> Result<FileFormat> {
    let path = path.as_ref();
    let mut head = Vec::with_capacity(16);
    File::open(path)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .map_err(|e| Error::io(path, &e))?;
    FileFormat::from_magic(&head).ok_or_else(|| {
        Error::unsupported(format!(
            "{}: not an EXR, PNG, TIFF, JPEG or Blosc2 frame file",
            path.display()
        ))
    })
}

/// Which channels of a file to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelSelection {
    /// Every channel, in file order.
    #[default]
    All,
    /// These channels, in this order.
    Names(Vec<String>),
    /// The channels at these file indices, in this order.
    Indices(Vec<usize>),
    /// The channels of an EXR layer: names starting with `"<layer>."`, in file order. The
    /// empty layer selects the channels without a dot (`R`, `G`, `B`, `A`, `Z`, ...).
    Layer(String),
}

impl ChannelSelection {
    /// Resolves the selection against the file's channel names, giving file indices.
    pub(crate) fn resolve(&self, names: &[String]) -> Result<Vec<usize>> {
        let picked: Vec<usize> = match self {
            ChannelSelection::All => (0..names.len()).collect(),
            ChannelSelection::Names(wanted) => wanted
                .iter()
                .map(|w| {
                    names.iter().position(|n| n == w).ok_or_else(|| {
                        Error::param(format!(
                            "the file has no channel {w:?} (it has {})",
                            names.join(", ")
                        ))
                    })
                })
                .collect::<Result<_>>()?,
            ChannelSelection::Indices(wanted) => {
                if let Some(&i) = wanted.iter().find(|&&i| i >= names.len()) {
                    return Err(Error::param(format!(
                        "channel index {i} is out of range (the file has {})",
                        names.len()
                    )));
                }
                wanted.clone()
            }
            ChannelSelection::Layer(layer) => {
                let picked: Vec<usize> = (0..names.len())
                    .filter(|&i| {
                        let n = &names[i];
                        if layer.is_empty() {
                            !n.contains('.')
                        } else {
                            n.strip_prefix(layer.as_str())
                                .is_some_and(|rest| rest.starts_with('.'))
                        }
                    })
                    .collect();
                if picked.is_empty() {
                    return Err(Error::param(format!("the file has no layer {layer:?}")));
                }
                picked
            }
        };
        for (k, i) in picked.iter().enumerate() {
            if picked[..k].contains(i) {
                return Err(Error::param(format!(
                    "channel {:?} is selected twice",
                    names.get(*i).map_or("", String::as_str)
                )));
            }
        }
        Ok(picked)
    }
}

/// Progress callback: `(done, total)` work units (EXR blocks, chunks) so far.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Options for [`Image::read`]: which part, level and channels, and how to compress.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Which channels (all by default).
    pub channels: ChannelSelection,
    /// Part (subimage) index of a multi-part EXR; must be 0 for other formats.
    pub part: usize,
    /// Mip/rip level of a tiled multi-resolution EXR (level `(n, n)`); 0 = full resolution.
    pub level: usize,
    /// Compression parameters of every channel.
    pub params: Params,
    /// Called as blocks are decoded (for progress bars).
    pub progress: Option<ProgressFn>,
}

impl fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOptions")
            .field("channels", &self.channels)
            .field("part", &self.part)
            .field("level", &self.level)
            .field("params", &self.params)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl ReadOptions {
    /// Sets the channel selection.
    pub fn channels(mut self, channels: ChannelSelection) -> Self {
        self.channels = channels;
        self
    }

    /// Selects channels by name, in this order.
    pub fn names<S: Into<String>>(self, names: impl IntoIterator<Item = S>) -> Self {
        self.channels(ChannelSelection::Names(
            names.into_iter().map(Into::into).collect(),
        ))
    }

    /// Selects channels by file index, in this order.
    pub fn indices(self, indices: impl IntoIterator<Item = usize>) -> Self {
        self.channels(ChannelSelection::Indices(indices.into_iter().collect()))
    }

    /// Selects the channels of an EXR layer (`"left"` for `left.R`, `left.G`, ...).
    pub fn layer(self, layer: impl Into<String>) -> Self {
        self.channels(ChannelSelection::Layer(layer.into()))
    }

    /// Sets the part (subimage) index.
    pub fn part(mut self, part: usize) -> Self {
        self.part = part;
        self
    }

    /// Sets the resolution level.
    pub fn level(mut self, level: usize) -> Self {
        self.level = level;
        self
    }

    /// Sets the compression parameters.
    pub fn params(mut self, params: Params) -> Self {
        self.params = params;
        self
    }

    /// Sets the progress callback.
    pub fn progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// Options for [`Image::write`].
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct WriteOptions {
    /// File format; `None` picks it from the file extension.
    pub format: Option<FileFormat>,
    /// EXR compression (ZIP, 16 scanlines per block, by default).
    #[cfg(feature = "exr")]
    pub exr_compression: ExrCompression,
    /// Called as blocks or chunks are written (for progress bars).
    pub progress: Option<ProgressFn>,
}

impl fmt::Debug for WriteOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("WriteOptions");
        d.field("format", &self.format);
        #[cfg(feature = "exr")]
        d.field("exr_compression", &self.exr_compression);
        d.field("progress", &self.progress.is_some()).finish()
    }
}

impl WriteOptions {
    /// Sets the file format (instead of taking it from the extension).
    pub fn format(mut self, format: FileFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Sets the EXR compression.
    #[cfg(feature = "exr")]
    pub fn exr_compression(mut self, compression: ExrCompression) -> Self {
        self.exr_compression = compression;
        self
    }

    /// Sets the progress callback.
    pub fn progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// The pixels of one chunk of every channel being read, handed to the hook of
/// [`Image::read_with`] after decoding and type conversion, before compression.
///
/// All channels share one layout, so chunk `index` covers the same rows in each.
#[derive(Debug)]
pub struct ChunkPixels<'a, T> {
    index: usize,
    rows: Range<usize>,
    width: usize,
    names: &'a [String],
    planes: &'a mut [Vec<T>],
}

impl<T: Element> ChunkPixels<'_, T> {
    /// Index of the chunk in each channel.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The image rows the chunk covers.
    pub fn y_range(&self) -> Range<usize> {
        self.rows.clone()
    }

    /// Width of the image (and of every row of the chunk).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of channels being read.
    pub fn num_channels(&self) -> usize {
        self.planes.len()
    }

    /// Name of channel `c` (its name in the image being built).
    ///
    /// # Panics
    /// If `c >= num_channels()`.
    pub fn name(&self, c: usize) -> &str {
        &self.names[c]
    }

    /// Index of the channel called `name`.
    pub fn channel_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The chunk's values of channel `c`, row-major.
    ///
    /// # Panics
    /// If `c >= num_channels()`.
    pub fn channel(&self, c: usize) -> &[T] {
        &self.planes[c]
    }

    /// The chunk's values of channel `c`, to modify before compression.
    ///
    /// # Panics
    /// If `c >= num_channels()`.
    pub fn channel_mut(&mut self, c: usize) -> &mut [T] {
        &mut self.planes[c]
    }

    /// Every channel's values at once, e.g. for a colour conversion across R, G and B.
    pub fn channels_mut(&mut self) -> Vec<&mut [T]> {
        self.planes.iter_mut().map(Vec::as_mut_slice).collect()
    }
}

/// Builds the channels of an image being read, one chunk (strip of rows) at a time: readers
/// fill a strip's planes, then [`StripSink::store`] runs the hook and compresses them.
#[cfg_attr(not(any(feature = "exr", feature = "image")), allow(dead_code))]
pub(crate) struct StripSink<'h, T: Element> {
    layout: crate::ChunkLayout,
    names: Vec<String>,
    channels: Vec<Channel<T>>,
    hook: &'h mut dyn FnMut(&mut ChunkPixels<'_, T>) -> Result<()>,
    scratch: Vec<u8>,
}

#[cfg_attr(not(any(feature = "exr", feature = "image")), allow(dead_code))]
impl<'h, T: Element> StripSink<'h, T> {
    pub(crate) fn new(
        width: usize,
        height: usize,
        names: Vec<String>,
        params: &Params,
        hook: &'h mut dyn FnMut(&mut ChunkPixels<'_, T>) -> Result<()>,
    ) -> Result<Self> {
        let template = Channel::<T>::zeros(width, height, params.clone())?;
        let channels = names
            .iter()
            .map(|_| Channel::zeros_like(&template))
            .collect();
        Ok(StripSink {
            layout: *template.layout(),
            names,
            channels,
            hook,
            scratch: Vec::new(),
        })
    }

    /// The layout every channel shares.
    pub(crate) fn layout(&self) -> crate::ChunkLayout {
        self.layout
    }

    /// Fresh planes for chunk `index` (one `Vec` per channel, of the chunk's length).
    pub(crate) fn planes(&self, index: usize) -> Result<Vec<Vec<T>>> {
        let len = self.layout().chunk_len(index).unwrap_or(0);
        (0..self.channels.len())
            .map(|_| crate::channel::try_alloc(len))
            .collect()
    }

    /// Runs the hook on chunk `index` and compresses it into every channel.
    pub(crate) fn store(&mut self, index: usize, planes: &mut [Vec<T>]) -> Result<()> {
        let layout = self.layout();
        let rows = layout
            .chunk_y_range(index)
            .ok_or_else(|| Error::chunk_index(index, layout.num_chunks()))?;
        let mut pixels = ChunkPixels {
            index,
            rows,
            width: layout.width(),
            names: &self.names,
            planes,
        };
        (self.hook)(&mut pixels)?;
        for (channel, plane) in self.channels.iter_mut().zip(planes.iter()) {
            channel.store_chunk(index, plane, &mut self.scratch)?;
        }
        Ok(())
    }

    pub(crate) fn finish(self, width: usize, height: usize) -> Result<Image<T>> {
        let mut image = Image::new(width, height);
        for (name, channel) in self.names.iter().zip(self.channels) {
            image.add_channel(name.as_str(), channel)?;
        }
        Ok(image)
    }
}

/// One decompressed chunk per channel, for writers walking rows in order.
#[cfg_attr(not(any(feature = "exr", feature = "image")), allow(dead_code))]
pub(crate) struct RowCache<'a, T: Element> {
    image: &'a Image<T>,
    cached: Vec<Option<(usize, Vec<T>)>>,
}

#[cfg_attr(not(any(feature = "exr", feature = "image")), allow(dead_code))]
impl<'a, T: Element> RowCache<'a, T> {
    pub(crate) fn new(image: &'a Image<T>) -> Self {
        RowCache {
            image,
            cached: vec![None; image.num_channels()],
        }
    }

    /// Row `y` of channel `c`.
    pub(crate) fn row(&mut self, c: usize, y: usize) -> Result<&[T]> {
        let channel = self
            .image
            .channel_at(c)
            .ok_or_else(|| Error::param(format!("no channel {c}")))?;
        let index = channel
            .layout()
            .chunk_of_row(y)
            .ok_or_else(|| Error::param(format!("row {y} is outside the image")))?;
        let slot = self
            .cached
            .get_mut(c)
            .ok_or_else(|| Error::param(format!("no channel {c}")))?;
        if slot.as_ref().is_none_or(|(i, _)| *i != index) {
            let mut buf = slot.take().map(|(_, b)| b).unwrap_or_default();
            buf.resize(channel.chunk_len(index).unwrap_or(0), T::zero());
            channel.get_chunk(index, &mut buf)?;
            *slot = Some((index, buf));
        }
        let (_, buf) = slot
            .as_ref()
            .ok_or_else(|| Error::param("internal: empty row cache"))?;
        let width = channel.width();
        let row = y - index * channel.chunk_rows();
        buf.get(row * width..(row + 1) * width)
            .ok_or_else(|| Error::param(format!("row {y} is outside the chunk")))
    }
}

/// Writes a file atomically: `write` fills a temporary file next to `path`, which is synced
/// and renamed over `path`; on error it is removed and `path` is untouched.
#[cfg_attr(not(any(feature = "exr", feature = "image")), allow(dead_code))]
pub(crate) fn atomic_write(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
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
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, &e))?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        w.flush().map_err(|e| Error::io(&tmp, &e))?;
        let file = w.into_inner().map_err(|e| Error::io(&tmp, e.error()))?;
        file.sync_all().map_err(|e| Error::io(&tmp, &e))?;
        fs::rename(&tmp, path).map_err(|e| Error::io(path, &e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn feature_missing(format: FileFormat, feature: &str) -> Error {
    Error::unsupported(format!(
        "{format} files need the `{feature}` feature of compressed-image"
    ))
}

impl<T: Element> Image<T> {
    /// Reads an image file (EXR, PNG, TIFF or JPEG, detected from its first bytes) into
    /// compressed channels of `T`, converting samples (see the [module docs](crate::io)); the
    /// file's attributes become the image metadata.
    ///
    /// # Errors
    /// `Io` if the file cannot be read; `InvalidData` for a damaged file; `Unsupported` for
    /// other formats, formats whose feature is off, deep or subsampled EXR data;
    /// `InvalidParam` for a part, level or channel the file does not have.
    pub fn read(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Self> {
        Self::read_with(path, options, |_| Ok(()))
    }

    /// [`Image::read`] with a hook run on every chunk of pixels after decoding and before
    /// compression (the C++ library's postprocess callback): convert colours, rescale, clamp
    /// ... without a decompress/recompress cycle. An error from the hook stops the read and
    /// is returned.
    ///
    /// # Errors
    /// As [`Image::read`], plus the hook's errors.
    pub fn read_with(
        path: impl AsRef<Path>,
        options: &ReadOptions,
        mut hook: impl FnMut(&mut ChunkPixels<'_, T>) -> Result<()>,
    ) -> Result<Self> {
        let path = path.as_ref();
        let format = detect_format(path)?;
        // Without the `exr` and `image` features nothing below reads them.
        let _ = (options, &mut hook);
        let result = match format {
            #[cfg(feature = "exr")]
            FileFormat::Exr => exr_file::read(path, options, &mut hook),
            #[cfg(not(feature = "exr"))]
            FileFormat::Exr => Err(feature_missing(format, "exr")),
            #[cfg(feature = "image")]
            FileFormat::Png | FileFormat::Tiff | FileFormat::Jpeg => {
                raster::read(path, format, options, &mut hook)
            }
            #[cfg(not(feature = "image"))]
            FileFormat::Png | FileFormat::Tiff | FileFormat::Jpeg => {
                Err(feature_missing(format, "image"))
            }
            FileFormat::B2Frame => Err(Error::unsupported(
                "a Blosc2 frame is not an image file: use Image::load",
            )),
        };
        result.map_err(|e| e.context(path.display()))
    }

    /// Writes the image as an EXR, PNG or TIFF file (or a `.b2frame`, as [`Image::save`]),
    /// atomically (a temporary file renamed over `path`). Samples are converted to the file's
    /// type: EXR keeps `f16`, `f32` and `u32` and stores other types as `f32` (normalised);
    /// PNG and TIFF store `u8`/`i8` images as 8-bit and others as 16-bit, normalised and
    /// clamped. PNG and TIFF take 1 to 4 channels: `R G B [A]` or `Y [A]` by name when
    /// present, else the channels in order.
    ///
    /// # Errors
    /// `InvalidParam` for an unknown extension, a channel count the format cannot hold or an
    /// image without channels; `Unsupported` for a format whose feature is off; `Io` when
    /// writing fails.
    pub fn write(&self, path: impl AsRef<Path>, options: &WriteOptions) -> Result<()> {
        let path = path.as_ref();
        let format = match options.format {
            Some(f) => f,
            None => FileFormat::from_extension(path).ok_or_else(|| {
                Error::param(format!(
                    "{}: unknown extension (use .exr, .png, .tif, .tiff or .b2frame)",
                    path.display()
                ))
            })?,
        };
        let result = match format {
            FileFormat::B2Frame => return self.save(path),
            #[cfg(feature = "exr")]
            FileFormat::Exr => exr_file::write(self, path, options),
            #[cfg(not(feature = "exr"))]
            FileFormat::Exr => Err(feature_missing(format, "exr")),
            #[cfg(feature = "image")]
            FileFormat::Png | FileFormat::Tiff => raster::write(self, path, format, options),
            #[cfg(not(feature = "image"))]
            FileFormat::Png | FileFormat::Tiff => Err(feature_missing(format, "image")),
            FileFormat::Jpeg => Err(Error::unsupported("writing JPEG is not supported")),
        };
        result.map_err(|e| e.context(path.display()))
    }
}

/// What an image file holds, from its header: see [`probe_file`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileInfo {
    /// The format.
    pub format: FileFormat,
    /// Width of the selected part and level.
    pub width: usize,
    /// Height of the selected part and level.
    pub height: usize,
    /// Channel names, in file order.
    pub channel_names: Vec<String>,
    /// Sample type of each channel as a NumPy name (`"float16"`, `"uint8"`, ...).
    pub channel_dtypes: Vec<&'static str>,
    /// Number of parts (EXR; 1 otherwise).
    pub parts: usize,
}

impl FileInfo {
    /// The element type that holds the selected channels without loss: their common type, or
    /// `float32` when EXR channels mix `half` and `float`, or `float32`/`uint32` mixes.
    ///
    /// # Errors
    /// The selection's errors.
    pub fn native_dtype(&self, selection: &ChannelSelection) -> Result<&'static str> {
        let picked = selection.resolve(&self.channel_names)?;
        let mut types = picked.iter().filter_map(|&i| self.channel_dtypes.get(i));
        let first = types.next().copied().unwrap_or("float32");
        Ok(if types.all(|t| *t == first) {
            first
        } else {
            "float32"
        })
    }
}

/// Reads the header of an image file (EXR part `part`, level 0) without decoding pixels.
///
/// # Errors
/// As [`Image::read`].
pub fn probe_file(path: impl AsRef<Path>, part: usize) -> Result<FileInfo> {
    let path = path.as_ref();
    let format = detect_format(path)?;
    let _ = part;
    let result = match format {
        #[cfg(feature = "exr")]
        FileFormat::Exr => exr_file::probe(path, part),
        #[cfg(feature = "image")]
        FileFormat::Png | FileFormat::Tiff | FileFormat::Jpeg => raster::probe(path, format, part),
        #[allow(unreachable_patterns)]
        FileFormat::Exr => Err(feature_missing(format, "exr")),
        #[allow(unreachable_patterns)]
        FileFormat::Png | FileFormat::Tiff | FileFormat::Jpeg => {
            Err(feature_missing(format, "image"))
        }
        FileFormat::B2Frame => Err(Error::unsupported(
            "a Blosc2 frame is not an image file: use persist::probe",
        )),
    };
    result.map_err(|e| e.context(path.display()))
}

/// An [`Image`] of any element type: what [`read_native`] and [`AnyImage::load`] return when
/// the element type is only known from the file.
///
/// Exhaustive on purpose: [`Element`] is sealed to these nine types.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum AnyImage {
    U8(Image<u8>),
    I8(Image<i8>),
    U16(Image<u16>),
    I16(Image<i16>),
    U32(Image<u32>),
    I32(Image<i32>),
    F16(Image<half::f16>),
    F32(Image<f32>),
    F64(Image<f64>),
}

/// Runs `$body` with `$img` bound to the typed image inside an [`AnyImage`].
#[macro_export]
macro_rules! with_any_image {
    ($any:expr, $img:ident => $body:expr) => {
        match $any {
            $crate::io::AnyImage::U8($img) => $body,
            $crate::io::AnyImage::I8($img) => $body,
            $crate::io::AnyImage::U16($img) => $body,
            $crate::io::AnyImage::I16($img) => $body,
            $crate::io::AnyImage::U32($img) => $body,
            $crate::io::AnyImage::I32($img) => $body,
            $crate::io::AnyImage::F16($img) => $body,
            $crate::io::AnyImage::F32($img) => $body,
            $crate::io::AnyImage::F64($img) => $body,
        }
    };
}

impl AnyImage {
    /// NumPy name of the element type.
    pub fn dtype(&self) -> &'static str {
        fn d<T: Element>(_: &Image<T>) -> &'static str {
            T::DTYPE
        }
        with_any_image!(self, img => d(img))
    }

    /// Loads a saved image of whatever element type it holds ([`crate::persist`]).
    ///
    /// # Errors
    /// As [`Image::load`].
    pub fn load(path: impl AsRef<Path>) -> Result<AnyImage> {
        let path = path.as_ref();
        let info = crate::persist::probe(path)?;
        Self::with_dtype(&info.dtype, |t| t.load(path))
    }

    fn with_dtype(dtype: &str, f: impl FnOnce(DType) -> Result<AnyImage>) -> Result<AnyImage> {
        let t = match dtype {
            "uint8" => DType::U8,
            "int8" => DType::I8,
            "uint16" => DType::U16,
            "int16" => DType::I16,
            "uint32" => DType::U32,
            "int32" => DType::I32,
            "float16" => DType::F16,
            "float32" => DType::F32,
            "float64" => DType::F64,
            other => return Err(Error::unsupported(format!("unknown dtype {other:?}"))),
        };
        f(t)
    }

    /// Saves the image ([`Image::save`]).
    ///
    /// # Errors
    /// As [`Image::save`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        with_any_image!(self, img => img.save(path))
    }

    /// Writes the image file ([`Image::write`]).
    ///
    /// # Errors
    /// As [`Image::write`].
    pub fn write(&self, path: impl AsRef<Path>, options: &WriteOptions) -> Result<()> {
        with_any_image!(self, img => img.write(path, options))
    }
}

#[derive(Clone, Copy)]
enum DType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F16,
    F32,
    F64,
}

impl DType {
    fn load(self, path: &Path) -> Result<AnyImage> {
        Ok(match self {
            DType::U8 => AnyImage::U8(Image::load(path)?),
            DType::I8 => AnyImage::I8(Image::load(path)?),
            DType::U16 => AnyImage::U16(Image::load(path)?),
            DType::I16 => AnyImage::I16(Image::load(path)?),
            DType::U32 => AnyImage::U32(Image::load(path)?),
            DType::I32 => AnyImage::I32(Image::load(path)?),
            DType::F16 => AnyImage::F16(Image::load(path)?),
            DType::F32 => AnyImage::F32(Image::load(path)?),
            DType::F64 => AnyImage::F64(Image::load(path)?),
        })
    }

    fn read(self, path: &Path, options: &ReadOptions) -> Result<AnyImage> {
        Ok(match self {
            DType::U8 => AnyImage::U8(Image::read(path, options)?),
            DType::I8 => AnyImage::I8(Image::read(path, options)?),
            DType::U16 => AnyImage::U16(Image::read(path, options)?),
            DType::I16 => AnyImage::I16(Image::read(path, options)?),
            DType::U32 => AnyImage::U32(Image::read(path, options)?),
            DType::I32 => AnyImage::I32(Image::read(path, options)?),
            DType::F16 => AnyImage::F16(Image::read(path, options)?),
            DType::F32 => AnyImage::F32(Image::read(path, options)?),
            DType::F64 => AnyImage::F64(Image::read(path, options)?),
        })
    }
}

/// Reads an image file into an image of element type `dtype` (a NumPy name: `"uint8"`, ...,
/// `"float64"`; see [`Element::DTYPE`]), converting samples as [`Image::read`] does.
///
/// # Errors
/// `InvalidParam` for an unknown dtype; as [`Image::read`].
pub fn read_as(path: impl AsRef<Path>, dtype: &str, options: &ReadOptions) -> Result<AnyImage> {
    let path = path.as_ref();
    AnyImage::with_dtype(dtype, |t| t.read(path, options)).map_err(|e| {
        if e.kind() == crate::ErrorKind::Unsupported && e.message().starts_with("unknown dtype") {
            Error::param(e.message().to_owned())
        } else {
            e
        }
    })
}

/// Reads an image file in its native element type ([`FileInfo::native_dtype`] of the
/// selection): `u8` for 8-bit PNG/TIFF/JPEG, `u16` for 16-bit ones, `f16`, `f32` or `u32` for
/// EXR channels of one type, `f32` for mixed EXR channels.
///
/// # Errors
/// As [`Image::read`].
pub fn read_native(path: impl AsRef<Path>, options: &ReadOptions) -> Result<AnyImage> {
    let path = path.as_ref();
    let info = probe_file(path, options.part)?;
    let dtype = info.native_dtype(&options.channels)?;
    AnyImage::with_dtype(dtype, |t| t.read(path, options))
}
