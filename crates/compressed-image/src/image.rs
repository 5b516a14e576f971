//! `Image<T>`: channels of one size, optionally named, plus ordered JSON metadata.

use crate::channel::{Channel, try_alloc};
use crate::element::Element;
use crate::error::{Error, Result};
use crate::params::Params;

/// Image metadata: string keys to JSON values, kept in insertion order. Opaque to this crate.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// A planar `width × height` image: any number of [`Channel`]s of the same size, each with an
/// optional unique name, plus [`Metadata`]. Channels may use different [`Params`].
///
/// ```
/// use compressed_image::{Image, Params};
///
/// // 4 × 2 interleaved RGB.
/// let rgb: Vec<u8> = (0..4 * 2 * 3).map(|i| i as u8).collect();
/// let mut img = Image::from_interleaved(&rgb, 4, 2, 3, &["R", "G", "B"], Params::default())?;
/// img.metadata_mut().insert("source".into(), "example".into());
///
/// assert_eq!(img.channel_names(), [Some("R"), Some("G"), Some("B")]);
/// assert_eq!(img.channel("G").map(|g| g.get(1, 0)), Some(Ok(4)));
/// assert_eq!(img.to_interleaved()?, rgb);
/// # Ok::<(), compressed_image::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Image<T: Element> {
    width: usize,
    height: usize,
    channels: Vec<Channel<T>>,
    names: Vec<Option<String>>,
    metadata: Metadata,
}

impl<T: Element> Image<T> {
    /// An image without channels. Any size is accepted here; channels check their own.
    pub fn new(width: usize, height: usize) -> Self {
        Image {
            width,
            height,
            channels: Vec::new(),
            names: Vec::new(),
            metadata: Metadata::new(),
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Number of channels.
    pub fn num_channels(&self) -> usize {
        self.channels.len()
    }

    /// Appends a channel, named (`"R"`) or not (`None`), and returns its index.
    ///
    /// # Errors
    /// `InvalidParam` if the channel's size differs from the image's or the name is taken.
    pub fn add_channel<'n>(
        &mut self,
        name: impl Into<Option<&'n str>>,
        channel: Channel<T>,
    ) -> Result<usize> {
        let name = name.into();
        if (channel.width(), channel.height()) != (self.width, self.height) {
            return Err(Error::param(format!(
                "a {}×{} channel cannot join a {}×{} image",
                channel.width(),
                channel.height(),
                self.width,
                self.height
            )));
        }
        if let Some(name) = name
            && self.channel_index(name).is_some()
        {
            return Err(Error::param(format!(
                "the image already has a channel {name:?}"
            )));
        }
        self.channels.push(channel);
        self.names.push(name.map(str::to_owned));
        Ok(self.channels.len() - 1)
    }

    /// Index of the channel called `name`.
    pub fn channel_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.as_deref() == Some(name))
    }

    /// The channel called `name`.
    pub fn channel(&self, name: &str) -> Option<&Channel<T>> {
        self.channels.get(self.channel_index(name)?)
    }

    /// The channel called `name`, mutably.
    pub fn channel_mut(&mut self, name: &str) -> Option<&mut Channel<T>> {
        let i = self.channel_index(name)?;
        self.channels.get_mut(i)
    }

    /// Channel `index`.
    pub fn channel_at(&self, index: usize) -> Option<&Channel<T>> {
        self.channels.get(index)
    }

    /// Channel `index`, mutably.
    pub fn channel_at_mut(&mut self, index: usize) -> Option<&mut Channel<T>> {
        self.channels.get_mut(index)
    }

    /// All channels, in order.
    pub fn channels(&self) -> &[Channel<T>] {
        &self.channels
    }

    /// All channels, mutably: e.g. to edit them in parallel with rayon's `par_iter_mut`.
    /// (A `&mut Channel` cannot change the channel's size, so the image stays consistent.)
    pub fn channels_mut(&mut self) -> &mut [Channel<T>] {
        &mut self.channels
    }

    /// The channel names in order (`None` for unnamed channels).
    pub fn channel_names(&self) -> Vec<Option<&str>> {
        self.names.iter().map(Option::as_deref).collect()
    }

    /// Removes and returns the channel called `name` (the C++ library's `extract_channel`).
    ///
    /// # Errors
    /// `InvalidParam` if there is no such channel.
    pub fn remove_channel(&mut self, name: &str) -> Result<Channel<T>> {
        let i = self
            .channel_index(name)
            .ok_or_else(|| Error::param(format!("the image has no channel {name:?}")))?;
        self.remove_channel_at(i)
    }

    /// Removes and returns channel `index`.
    ///
    /// # Errors
    /// `InvalidParam` if `index` is out of range.
    pub fn remove_channel_at(&mut self, index: usize) -> Result<Channel<T>> {
        if index >= self.channels.len() {
            return Err(Error::param(format!(
                "channel index {index} is out of range (the image has {})",
                self.channels.len()
            )));
        }
        self.names.remove(index);
        Ok(self.channels.remove(index))
    }

    /// The metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The metadata, mutably.
    pub fn metadata_mut(&mut self) -> &mut Metadata {
        &mut self.metadata
    }

    /// Replaces the metadata.
    pub fn set_metadata(&mut self, metadata: Metadata) {
        self.metadata = metadata;
    }

    /// Compressed bytes of all channels.
    pub fn compressed_bytes(&self) -> usize {
        self.channels.iter().map(Channel::compressed_bytes).sum()
    }

    /// Uncompressed bytes of all channels.
    pub fn uncompressed_bytes(&self) -> usize {
        self.channels.iter().map(Channel::uncompressed_bytes).sum()
    }

    /// `uncompressed_bytes / compressed_bytes` over all channels (1.0 without channels).
    pub fn compression_ratio(&self) -> f64 {
        if self.channels.is_empty() {
            return 1.0;
        }
        self.uncompressed_bytes() as f64 / self.compressed_bytes().max(1) as f64
    }

    /// Splits a packed interleaved buffer (`RGBRGB...`: `nchannels` values per pixel, rows
    /// top to bottom) into `nchannels` channels, named by `names` (empty for unnamed).
    ///
    /// Works one chunk of scanlines at a time, so besides the compressed result only one
    /// chunk of one channel is held uncompressed.
    ///
    /// # Errors
    /// `InvalidParam` for zero channels, a wrong `data` length, a `names` list that is neither
    /// empty nor `nchannels` long, duplicate names, or the errors of [`Channel::zeros`].
    pub fn from_interleaved(
        data: &[T],
        width: usize,
        height: usize,
        nchannels: usize,
        names: &[&str],
        params: Params,
    ) -> Result<Self> {
        if nchannels == 0 {
            return Err(Error::param(
                "an interleaved image needs at least one channel",
            ));
        }
        if !names.is_empty() && names.len() != nchannels {
            return Err(Error::param(format!(
                "{} names for {nchannels} channels",
                names.len()
            )));
        }
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(Error::param(format!(
                    "channel name {name:?} is given twice"
                )));
            }
        }
        let template = Channel::<T>::zeros(width, height, params)?;
        let expected = template
            .num_elements()
            .checked_mul(nchannels)
            .ok_or_else(|| {
                Error::limit(format!(
                    "{width}×{height}×{nchannels} elements overflow usize"
                ))
            })?;
        if data.len() != expected {
            return Err(Error::param(format!(
                "{width}×{height}×{nchannels} needs {expected} elements, the slice has {}",
                data.len()
            )));
        }
        let mut channels: Vec<Channel<T>> = (0..nchannels)
            .map(|_| Channel::zeros_like(&template))
            .collect();
        let (mut buffer, mut scratch) = (Vec::new(), Vec::new());
        for index in 0..template.num_chunks() {
            let range = template.chunk_range(index).unwrap_or_default();
            let strip = &data[range.start * nchannels..range.end * nchannels];
            for (c, channel) in channels.iter_mut().enumerate() {
                buffer.clear();
                buffer.extend(strip.iter().skip(c).step_by(nchannels).copied());
                channel.store_chunk(index, &buffer, &mut scratch)?;
            }
        }
        let mut image = Image::new(width, height);
        for (i, channel) in channels.into_iter().enumerate() {
            image.add_channel(names.get(i).copied(), channel)?;
        }
        Ok(image)
    }

    /// Packs the channels into one interleaved buffer (`nchannels` values per pixel), the
    /// inverse of [`Image::from_interleaved`]. Needs one chunk of scratch besides the output.
    ///
    /// # Errors
    /// `LimitExceeded` if the output cannot be allocated; decode errors.
    pub fn to_interleaved(&self) -> Result<Vec<T>> {
        let n = self
            .width
            .checked_mul(self.height)
            .and_then(|px| px.checked_mul(self.channels.len()))
            .ok_or_else(|| Error::limit("interleaved size overflows usize"))?;
        let mut out = try_alloc(n)?;
        self.interleave_into(&mut out)?;
        Ok(out)
    }

    /// [`Image::to_interleaved`] into a caller buffer of `width × height × num_channels`.
    ///
    /// # Errors
    /// `InvalidParam` for a buffer of the wrong length; decode errors.
    pub fn interleave_into(&self, out: &mut [T]) -> Result<()> {
        let n = self.channels.len();
        let expected = self.width.saturating_mul(self.height).saturating_mul(n);
        if out.len() != expected {
            return Err(Error::param(format!(
                "the interleaved image has {expected} elements, the buffer {}",
                out.len()
            )));
        }
        let mut buffer = Vec::new();
        for (c, channel) in self.channels.iter().enumerate() {
            // Channels may have different chunk layouts, so each is walked on its own.
            for index in 0..channel.num_chunks() {
                let range = channel.chunk_range(index).unwrap_or_default();
                buffer.resize(range.len(), T::zero());
                channel.get_chunk(index, &mut buffer)?;
                let dst = &mut out[range.start * n..range.end * n];
                for (d, v) in dst.iter_mut().skip(c).step_by(n).zip(&buffer) {
                    *d = *v;
                }
            }
        }
        Ok(())
    }

    /// Every channel decompressed, in order (the C++ library's `get_decompressed`).
    ///
    /// # Errors
    /// As [`Channel::to_vec`].
    pub fn to_planar(&self) -> Result<Vec<Vec<T>>> {
        self.channels.iter().map(Channel::to_vec).collect()
    }
}
