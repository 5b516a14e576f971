//! OpenEXR reading and writing on the `exr` crate's block API (feature `exr`).
//!
//! Reading decodes the blocks (scanline blocks or tiles) of one part and level, in file order,
//! and copies each line of each selected channel into the strip buffer of the chunk it belongs
//! to; a strip is converted, handed to the hook and compressed as soon as all its rows are
//! complete. Writing produces scanline blocks in increasing line order, decoding one chunk per
//! channel at a time.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use exr::block::reader::ChunksReader;
use exr::block::writer::ChunksWriter;
use exr::block::{BlockIndex, UncompressedBlock};
use exr::compression::Compression;
use exr::math::{RoundingMode, Vec2};
use exr::meta::BlockDescription;
use exr::meta::attribute::{
    AttributeValue, ChannelDescription, IntegerBounds, LevelMode, LineOrder, SampleType, Text,
};
use exr::meta::header::Header;
use exr::prelude::SmallVec;
use serde_json::{Value, json};

use super::{ChunkPixels, FileFormat, FileInfo, ReadOptions, RowCache, StripSink, WriteOptions};
use crate::element::{Element, convert_slice};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{Image, Metadata};

/// Compression of the EXR files [`Image::write`] produces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExrCompression {
    /// No compression.
    None,
    /// Run-length encoding.
    Rle,
    /// Deflate, one scanline per block.
    Zips,
    /// Deflate, 16 scanlines per block (the default).
    #[default]
    Zip,
    /// Wavelet + Huffman, 32 scanlines per block: best for noisy photographic data.
    Piz,
    /// Lossy for `float` channels (rounded to 24 bits), lossless for `half` and `uint`.
    Pxr24,
}

impl ExrCompression {
    /// Every variant, for command-line parsers.
    pub const ALL: [ExrCompression; 6] = [
        ExrCompression::None,
        ExrCompression::Rle,
        ExrCompression::Zips,
        ExrCompression::Zip,
        ExrCompression::Piz,
        ExrCompression::Pxr24,
    ];

    /// The name OpenEXR uses: `none`, `rle`, `zips`, `zip`, `piz`, `pxr24`.
    pub fn name(self) -> &'static str {
        match self {
            ExrCompression::None => "none",
            ExrCompression::Rle => "rle",
            ExrCompression::Zips => "zips",
            ExrCompression::Zip => "zip",
            ExrCompression::Piz => "piz",
            ExrCompression::Pxr24 => "pxr24",
        }
    }

    /// The variant called `name` (see [`ExrCompression::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    fn to_exr(self) -> Compression {
        match self {
            ExrCompression::None => Compression::Uncompressed,
            ExrCompression::Rle => Compression::RLE,
            ExrCompression::Zips => Compression::ZIP1,
            ExrCompression::Zip => Compression::ZIP16,
            ExrCompression::Piz => Compression::PIZ,
            ExrCompression::Pxr24 => Compression::PXR24,
        }
    }
}

/// Maps an `exr` error: malformed files are `InvalidData`, unsupported features
/// `Unsupported`, a file that ends early `InvalidData`, other I/O errors `Io`.
fn exr_err(e: exr::error::Error) -> Error {
    match e {
        exr::error::Error::Aborted => Error::invalid("EXR: reading was aborted"),
        exr::error::Error::NotSupported(m) => Error::unsupported(format!("EXR: {m}")),
        exr::error::Error::Invalid(m) => Error::invalid(format!("EXR: {m}")),
        exr::error::Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::invalid(format!("EXR: the file ends early ({e})"))
        }
        exr::error::Error::Io(e) => Error::new(ErrorKind::Io, format!("EXR: {e}")),
    }
}

fn dtype_of(t: SampleType) -> &'static str {
    match t {
        SampleType::F16 => "float16",
        SampleType::F32 => "float32",
        SampleType::U32 => "uint32",
    }
}

fn open(path: &Path) -> Result<exr::block::reader::Reader<BufReader<File>>> {
    let file = File::open(path).map_err(|e| Error::io(path, &e))?;
    exr::block::read(BufReader::new(file), false).map_err(exr_err)
}

/// Size of level `l` of a `full`-pixel dimension (OpenEXR's level rounding), `None` past the
/// last level.
fn level_size(round: RoundingMode, full: usize, l: usize) -> Option<usize> {
    if l >= usize::BITS as usize - 1 {
        return None;
    }
    let div = 1usize << l;
    let size = match round {
        RoundingMode::Down => full / div,
        RoundingMode::Up => full.div_ceil(div),
    };
    Some(size.max(1))
}

/// Number of levels of a mip map over `full` pixels (largest dimension).
fn level_count(round: RoundingMode, full: usize) -> usize {
    let mut n = 1;
    while level_size(round, full, n - 1).is_some_and(|s| s > 1) {
        n += 1;
    }
    n
}

/// Size of the chosen level of a part.
fn part_size(header: &Header, level: usize) -> Result<(usize, usize)> {
    let Vec2(w, h) = header.layer_size;
    let levels = match header.blocks {
        BlockDescription::ScanLines => 1,
        BlockDescription::Tiles(t) => match t.level_mode {
            LevelMode::Singular => 1,
            LevelMode::MipMap => level_count(t.rounding_mode, w.max(h)),
            LevelMode::RipMap => level_count(t.rounding_mode, w.min(h)),
        },
    };
    if level >= levels {
        return Err(Error::param(format!(
            "level {level} does not exist (the part has {levels})"
        )));
    }
    let round = match header.blocks {
        BlockDescription::Tiles(t) => t.rounding_mode,
        BlockDescription::ScanLines => RoundingMode::Down,
    };
    match (level_size(round, w, level), level_size(round, h, level)) {
        (Some(lw), Some(lh)) if w > 0 && h > 0 => Ok((lw, lh)),
        _ => Err(Error::invalid(format!("EXR: a {w}×{h} data window"))),
    }
}

fn channel_names(header: &Header) -> Vec<String> {
    header
        .channels
        .list
        .iter()
        .map(|c| c.name.to_string())
        .collect()
}

pub(crate) fn probe(path: &Path, part: usize) -> Result<FileInfo> {
    let reader = open(path)?;
    let headers = reader.headers();
    let header = headers.get(part).ok_or_else(|| {
        Error::param(format!(
            "part {part} does not exist (the file has {})",
            headers.len()
        ))
    })?;
    let (width, height) = part_size(header, 0)?;
    Ok(FileInfo {
        format: FileFormat::Exr,
        width,
        height,
        channel_names: channel_names(header),
        channel_dtypes: header
            .channels
            .list
            .iter()
            .map(|c| dtype_of(c.sample_type))
            .collect(),
        parts: headers.len(),
    })
}

/// A strip (chunk of rows) being assembled from decoded blocks.
struct Strip<T> {
    planes: Vec<Vec<T>>,
    /// Samples written per row, over all selected channels.
    row_counts: Vec<usize>,
    filled: usize,
}

/// `src` bytes (native-endian samples of `S`) converted into `dst`.
fn convert_bytes<S: Element, T: Element>(src: &[u8], dst: &mut [T]) {
    if let Ok(samples) = bytemuck::try_cast_slice::<u8, S>(src) {
        convert_slice(samples, dst);
        return;
    }
    for (d, s) in dst.iter_mut().zip(src.chunks_exact(S::TYPESIZE)) {
        let v: S = bytemuck::pod_read_unaligned(s);
        convert_slice(std::slice::from_ref(&v), std::slice::from_mut(d));
    }
}

enum Decoder<R: ChunksReader> {
    Sequential(exr::block::reader::SequentialBlockDecompressor<R>),
    #[cfg(feature = "parallel")]
    Parallel(exr::block::reader::ParallelBlockDecompressor<R>),
}

impl<R: ChunksReader> Decoder<R> {
    fn new(chunks: R) -> Self {
        #[cfg(feature = "parallel")]
        {
            match chunks.parallel_decompressor(false) {
                Ok(p) => Decoder::Parallel(p),
                Err(chunks) => Decoder::Sequential(chunks.sequential_decompressor(false)),
            }
        }
        #[cfg(not(feature = "parallel"))]
        Decoder::Sequential(chunks.sequential_decompressor(false))
    }

    fn next_block(&mut self) -> Option<exr::error::Result<UncompressedBlock>> {
        match self {
            Decoder::Sequential(d) => d.next(),
            #[cfg(feature = "parallel")]
            Decoder::Parallel(d) => d.next(),
        }
    }
}

pub(crate) fn read<T: Element>(
    path: &Path,
    options: &ReadOptions,
    hook: &mut dyn FnMut(&mut ChunkPixels<'_, T>) -> Result<()>,
) -> Result<Image<T>> {
    let reader = open(path)?;
    let headers = reader.headers();
    let part = options.part;
    let header = headers
        .get(part)
        .ok_or_else(|| {
            Error::param(format!(
                "part {part} does not exist (the file has {})",
                headers.len()
            ))
        })?
        .clone();
    let parts = headers.len();
    if header.deep {
        return Err(Error::unsupported("deep EXR data cannot be read"));
    }
    if let Some(c) = header
        .channels
        .list
        .iter()
        .find(|c| c.sampling != Vec2(1, 1))
    {
        return Err(Error::unsupported(format!(
            "channel {} is subsampled ({}×{}); subsampled (luminance/chroma) parts cannot be \
             read",
            c.name,
            c.sampling.x(),
            c.sampling.y()
        )));
    }
    let (width, height) = part_size(&header, options.level)?;
    let names = channel_names(&header);
    let selected = options.channels.resolve(&names)?;
    // File channel index -> position in the selection.
    let mut sel_of = vec![None; names.len()];
    for (k, &i) in selected.iter().enumerate() {
        sel_of[i] = Some(k);
    }
    let sample_types: Vec<SampleType> =
        header.channels.list.iter().map(|c| c.sample_type).collect();
    let picked_names = selected.iter().map(|&i| names[i].clone()).collect();
    let mut sink = StripSink::new(width, height, picked_names, &options.params, hook)
        .map_err(|e| e.context("EXR"))?;
    let mut metadata = header_metadata(&header, part, parts, options.level);
    if selected.is_empty() {
        let mut image = sink.finish(width, height)?;
        image.set_metadata(std::mem::take(&mut metadata));
        return Ok(image);
    }

    let layout = sink.layout();
    let nsel = selected.len();
    let level = Vec2(options.level, options.level);
    let bytes_per_pixel = header.channels.bytes_per_pixel;
    let chunks = reader
        .filter_chunks(false, |_, _, block| {
            block.layer == part && block.level == level
        })
        .map_err(exr_err)?;
    let total = chunks.len() as u64;
    let mut decoder = Decoder::new(chunks);
    let mut strips: BTreeMap<usize, Strip<T>> = BTreeMap::new();
    let mut done = vec![false; layout.num_chunks()];
    let mut blocks = 0u64;
    while let Some(block) = decoder.next_block() {
        let block = block.map_err(exr_err)?;
        let BlockIndex {
            pixel_position: Vec2(bx, by),
            pixel_size: Vec2(bw, bh),
            ..
        } = block.index;
        let fits = bx.checked_add(bw).is_some_and(|e| e <= width)
            && by.checked_add(bh).is_some_and(|e| e <= height);
        let expected = bw
            .checked_mul(bh)
            .and_then(|n| n.checked_mul(bytes_per_pixel));
        if !fits || expected != Some(block.data.len()) {
            return Err(Error::invalid(format!(
                "EXR: block at ({bx}, {by}) of {bw}×{bh} pixels ({} bytes) does not fit the \
                 {width}×{height} image",
                block.data.len()
            )));
        }
        for line in block.lines(&header.channels) {
            let loc = line.location;
            let Some(Some(c)) = sel_of.get(loc.channel).copied() else {
                continue;
            };
            let (x, y, n) = (loc.position.x(), loc.position.y(), loc.sample_count);
            let index = layout
                .chunk_of_row(y)
                .ok_or_else(|| Error::invalid(format!("EXR: line {y} is outside the image")))?;
            if done.get(index).copied().unwrap_or(true) {
                return Err(Error::invalid(format!(
                    "EXR: two blocks hold line {y} (chunk {index} was complete)"
                )));
            }
            let strip = match strips.entry(index) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let rows = layout.chunk_y_range(index).map_or(0, |r| r.len());
                    e.insert(Strip {
                        planes: sink.planes(index)?,
                        row_counts: vec![0; rows],
                        filled: 0,
                    })
                }
            };
            let row = y - index * layout.chunk_rows();
            let start = row * width + x;
            let dst = strip
                .planes
                .get_mut(c)
                .and_then(|p| p.get_mut(start..start + n))
                .ok_or_else(|| Error::invalid("EXR: line outside its chunk"))?;
            match sample_types.get(loc.channel) {
                Some(SampleType::F16) => convert_bytes::<half::f16, T>(line.value, dst),
                Some(SampleType::F32) => convert_bytes::<f32, T>(line.value, dst),
                Some(SampleType::U32) => convert_bytes::<u32, T>(line.value, dst),
                None => return Err(Error::invalid("EXR: line of an unknown channel")),
            }
            let count = strip
                .row_counts
                .get_mut(row)
                .ok_or_else(|| Error::invalid("EXR: line outside its chunk"))?;
            *count += n;
            if *count > width * nsel {
                return Err(Error::invalid(format!("EXR: blocks overlap on line {y}")));
            }
            strip.filled += n;
            if strip.filled == strip.row_counts.len() * width * nsel {
                if let Some(mut strip) = strips.remove(&index) {
                    sink.store(index, &mut strip.planes)?;
                }
                if let Some(d) = done.get_mut(index) {
                    *d = true;
                }
            }
        }
        blocks += 1;
        if let Some(progress) = &options.progress {
            progress(blocks, total);
        }
    }
    if let Some(missing) = done.iter().position(|d| !d) {
        return Err(Error::invalid(format!(
            "EXR: pixel data is missing (rows of chunk {missing} never arrived)"
        )));
    }
    let mut image = sink.finish(width, height)?;
    image.set_metadata(metadata);
    Ok(image)
}

/// A JSON number for an `f32`, written as its shortest decimal (`0.1`, not
/// `0.10000000149011612`), which reads back to the same `f32`.
fn f32_json(v: f32) -> Value {
    format!("{v}")
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

fn v2f(v: Vec2<f32>) -> Value {
    json!([f32_json(v.x()), f32_json(v.y())])
}

fn bounds_json(b: &IntegerBounds) -> Value {
    // OpenEXR's box2i: [xMin, yMin, xMax, yMax], inclusive.
    let x1 = i64::from(b.position.x()) + b.size.x() as i64 - 1;
    let y1 = i64::from(b.position.y()) + b.size.y() as i64 - 1;
    json!([b.position.x(), b.position.y(), x1, y1])
}

fn attribute_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::F32(f) => f32_json(*f),
        AttributeValue::F64(f) => json!(f),
        AttributeValue::I32(i) => json!(i),
        AttributeValue::Text(t) => json!(t.to_string()),
        AttributeValue::TextVector(ts) => {
            Value::Array(ts.iter().map(|t| json!(t.to_string())).collect())
        }
        AttributeValue::IntVec2(v) => json!([v.x(), v.y()]),
        AttributeValue::FloatVec2(v) => v2f(*v),
        AttributeValue::IntVec3((a, b, c)) => json!([a, b, c]),
        AttributeValue::FloatVec3((a, b, c)) => json!([f32_json(*a), f32_json(*b), f32_json(*c)]),
        AttributeValue::Matrix3x3(m) => Value::Array(m.iter().map(|f| f32_json(*f)).collect()),
        AttributeValue::Matrix4x4(m) => Value::Array(m.iter().map(|f| f32_json(*f)).collect()),
        AttributeValue::IntegerBounds(b) => bounds_json(b),
        AttributeValue::Rational((n, d)) => json!([n, d]),
        AttributeValue::Chromaticities(c) => json!({
            "red": v2f(c.red), "green": v2f(c.green), "blue": v2f(c.blue), "white": v2f(c.white),
        }),
        other => json!(format!("{other:?}")),
    }
}

/// The header's attributes as image metadata: OpenEXR attribute names to JSON values, plus
/// an `"exr"` object describing the file (parts, compression, tiling, channel types).
fn header_metadata(header: &Header, part: usize, parts: usize, level: usize) -> Metadata {
    let mut m = Metadata::new();
    let s = &header.shared_attributes;
    let a = &header.own_attributes;
    let data_window = IntegerBounds {
        position: a.layer_position,
        size: header.layer_size,
    };
    m.insert("dataWindow".into(), bounds_json(&data_window));
    m.insert("displayWindow".into(), bounds_json(&s.display_window));
    m.insert("pixelAspectRatio".into(), f32_json(s.pixel_aspect));
    m.insert("screenWindowCenter".into(), v2f(a.screen_window_center));
    m.insert("screenWindowWidth".into(), f32_json(a.screen_window_width));
    if let Some(c) = &s.chromaticities {
        m.insert(
            "chromaticities".into(),
            attribute_json(&AttributeValue::Chromaticities(*c)),
        );
    }
    let texts = [
        ("name", &a.layer_name),
        ("owner", &a.owner),
        ("comments", &a.comments),
        ("capDate", &a.capture_date),
        ("renderingTransform", &a.rendering_transform_name),
        ("lookModTransform", &a.look_modification_transform_name),
        ("wrapmodes", &a.wrap_mode_name),
        ("view", &a.view_name),
        ("software", &a.software_name),
    ];
    for (key, value) in texts {
        if let Some(t) = value {
            m.insert(key.into(), json!(t.to_string()));
        }
    }
    let floats = [
        ("whiteLuminance", a.white_luminance),
        ("xDensity", a.horizontal_density),
        ("utcOffset", a.utc_offset),
        ("longitude", a.longitude),
        ("latitude", a.latitude),
        ("altitude", a.altitude),
        ("focus", a.focus),
        ("expTime", a.exposure),
        ("aperture", a.aperture),
        ("isoSpeed", a.iso_speed),
        ("nearClipPlane", a.near_clip_plane),
        ("farClipPlane", a.far_clip_plane),
        ("fieldOfViewHorizontal", a.horizontal_field_of_view),
        ("fieldOfViewVertical", a.vertical_field_of_view),
    ];
    for (key, value) in floats {
        if let Some(v) = value {
            m.insert(key.into(), f32_json(v));
        }
    }
    if let Some(v) = a.adopted_neutral {
        m.insert("adoptedNeutral".into(), v2f(v));
    }
    if let Some(views) = &a.multi_view_names {
        m.insert(
            "multiView".into(),
            Value::Array(views.iter().map(|t| json!(t.to_string())).collect()),
        );
    }
    if let Some(mat) = &a.world_to_camera {
        m.insert(
            "worldToCamera".into(),
            attribute_json(&AttributeValue::Matrix4x4(*mat)),
        );
    }
    if let Some(mat) = &a.world_to_normalized_device {
        m.insert(
            "worldToNDC".into(),
            attribute_json(&AttributeValue::Matrix4x4(*mat)),
        );
    }
    if let Some((n, d)) = a.frames_per_second {
        m.insert("framesPerSecond".into(), json!([n, d]));
    }
    if let Some(b) = &a.original_data_window {
        m.insert("originalDataWindow".into(), bounds_json(b));
    }
    // Custom attributes, sorted for a stable order (the exr crate keeps them in a HashMap).
    let mut other: Vec<(String, &AttributeValue)> = s
        .other
        .iter()
        .chain(&a.other)
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    other.sort_by(|x, y| x.0.cmp(&y.0));
    for (k, v) in other {
        m.entry(k).or_insert_with(|| attribute_json(v));
    }
    let tiles = match header.blocks {
        BlockDescription::ScanLines => Value::Null,
        BlockDescription::Tiles(t) => json!({
            "size": [t.tile_size.x(), t.tile_size.y()],
            "mode": match t.level_mode {
                LevelMode::Singular => "one-level",
                LevelMode::MipMap => "mipmap",
                LevelMode::RipMap => "ripmap",
            },
            "rounding": match t.rounding_mode {
                RoundingMode::Down => "down",
                RoundingMode::Up => "up",
            },
        }),
    };
    let channels: serde_json::Map<String, Value> = header
        .channels
        .list
        .iter()
        .map(|c| {
            (
                c.name.to_string(),
                json!({"type": dtype_of(c.sample_type), "linear": c.quantize_linearly}),
            )
        })
        .collect();
    m.insert(
        "exr".into(),
        json!({
            "part": part,
            "parts": parts,
            "level": level,
            "compression": format!("{:?}", header.compression),
            "lineOrder": match header.line_order {
                LineOrder::Increasing => "increasing",
                LineOrder::Decreasing => "decreasing",
                LineOrder::Unspecified => "random",
            },
            "tiles": tiles,
            "channels": channels,
        }),
    );
    m
}

/// Keys of [`header_metadata`] that describe the file rather than being attributes to copy.
const STRUCTURAL: [&str; 3] = ["exr", "dataWindow", "tiles"];

fn text(s: &str) -> Option<Text> {
    (!s.is_empty()).then(|| Text::new_or_none(s)).flatten()
}

fn num_list(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(Value::as_f64).collect()
}

fn ints(v: &Value) -> Option<Vec<i32>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_i64().and_then(|i| i32::try_from(i).ok()))
        .collect()
}

fn json_bounds(v: &Value) -> Option<IntegerBounds> {
    let b = ints(v)?;
    let [x0, y0, x1, y1] = b.as_slice() else {
        return None;
    };
    let w = usize::try_from(i64::from(*x1) - i64::from(*x0) + 1).ok()?;
    let h = usize::try_from(i64::from(*y1) - i64::from(*y0) + 1).ok()?;
    Some(IntegerBounds {
        position: Vec2(*x0, *y0),
        size: Vec2(w, h),
    })
}

fn vec2f(v: &Value) -> Option<Vec2<f32>> {
    match num_list(v)?.as_slice() {
        [x, y] => Some(Vec2(*x as f32, *y as f32)),
        _ => None,
    }
}

/// A custom attribute from its JSON value, typed by shape (the inverse of `attribute_json`
/// where that is unambiguous): integers → `int`, other numbers → `float`, strings → `string`,
/// lists of strings → `stringvector`, 2 or 3 numbers → `v2i`/`v2f`/`v3i`/`v3f`, 9 or 16
/// numbers → `m33f`/`m44f`. Other values are skipped.
fn json_attribute(v: &Value) -> Option<AttributeValue> {
    match v {
        Value::Number(n) => match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
            Some(i) => Some(AttributeValue::I32(i)),
            None => n.as_f64().map(|f| AttributeValue::F32(f as f32)),
        },
        Value::String(s) => Text::new_or_none(s).map(AttributeValue::Text),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => items
            .iter()
            .map(|s| s.as_str().and_then(Text::new_or_none))
            .collect::<Option<Vec<_>>>()
            .map(AttributeValue::TextVector),
        Value::Array(_) => {
            if let Some(i) = ints(v) {
                return match i.as_slice() {
                    [a, b] => Some(AttributeValue::IntVec2(Vec2(*a, *b))),
                    [a, b, c] => Some(AttributeValue::IntVec3((*a, *b, *c))),
                    _ => None,
                };
            }
            let f: Vec<f32> = num_list(v)?.into_iter().map(|x| x as f32).collect();
            match f.len() {
                2 => Some(AttributeValue::FloatVec2(Vec2(f[0], f[1]))),
                3 => Some(AttributeValue::FloatVec3((f[0], f[1], f[2]))),
                9 => <[f32; 9]>::try_from(f).ok().map(AttributeValue::Matrix3x3),
                16 => <[f32; 16]>::try_from(f).ok().map(AttributeValue::Matrix4x4),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Applies image metadata (as [`header_metadata`] makes it) to a header being written.
fn apply_metadata(header: &mut Header, m: &Metadata) {
    let s = &mut header.shared_attributes;
    let a = &mut header.own_attributes;
    a.layer_name = None;
    for (key, value) in m {
        let f = || value.as_f64().map(|f| f as f32);
        let t = || value.as_str().and_then(text);
        match key.as_str() {
            k if STRUCTURAL.contains(&k) => {}
            "displayWindow" => {
                if let Some(b) = json_bounds(value).filter(|b| b.validate(None).is_ok()) {
                    s.display_window = b;
                }
            }
            "pixelAspectRatio" => s.pixel_aspect = f().unwrap_or(s.pixel_aspect),
            "screenWindowCenter" => {
                a.screen_window_center = vec2f(value).unwrap_or(a.screen_window_center);
            }
            "screenWindowWidth" => a.screen_window_width = f().unwrap_or(a.screen_window_width),
            "name" => a.layer_name = t(),
            "owner" => a.owner = t(),
            "comments" => a.comments = t(),
            "capDate" => a.capture_date = t(),
            "renderingTransform" => a.rendering_transform_name = t(),
            "lookModTransform" => a.look_modification_transform_name = t(),
            "wrapmodes" => a.wrap_mode_name = t(),
            "view" => a.view_name = t(),
            "software" => a.software_name = t(),
            "whiteLuminance" => a.white_luminance = f(),
            "xDensity" => a.horizontal_density = f(),
            "utcOffset" => a.utc_offset = f(),
            "longitude" => a.longitude = f(),
            "latitude" => a.latitude = f(),
            "altitude" => a.altitude = f(),
            "focus" => a.focus = f(),
            "expTime" => a.exposure = f(),
            "aperture" => a.aperture = f(),
            "isoSpeed" => a.iso_speed = f(),
            "nearClipPlane" => a.near_clip_plane = f(),
            "farClipPlane" => a.far_clip_plane = f(),
            "fieldOfViewHorizontal" => a.horizontal_field_of_view = f(),
            "fieldOfViewVertical" => a.vertical_field_of_view = f(),
            "adoptedNeutral" => a.adopted_neutral = vec2f(value),
            "multiView" => {
                a.multi_view_names = value.as_array().and_then(|v| {
                    v.iter()
                        .map(|s| s.as_str().and_then(text))
                        .collect::<Option<Vec<_>>>()
                });
            }
            "worldToCamera" | "worldToNDC" => {
                let mat = num_list(value)
                    .map(|l| l.into_iter().map(|x| x as f32).collect::<Vec<_>>())
                    .and_then(|l| <[f32; 16]>::try_from(l).ok());
                if key == "worldToCamera" {
                    a.world_to_camera = mat;
                } else {
                    a.world_to_normalized_device = mat;
                }
            }
            "framesPerSecond" => {
                a.frames_per_second = ints(value).and_then(|v| match v.as_slice() {
                    [n, d] => u32::try_from(*d).ok().map(|d| (*n, d)),
                    _ => None,
                });
            }
            // Read-only or structural attributes the exr crate sets itself.
            "chromaticities" | "originalDataWindow" | "compression" | "lineOrder" | "channels"
            | "type" | "version" | "chunkCount" => {}
            k => {
                if let (Some(name), Some(v)) = (text(k), json_attribute(value)) {
                    a.other.insert(name, v);
                }
            }
        }
    }
}

/// EXR sample type for `T`: `half`, `float` and `uint` are kept; other types become `float`.
fn sample_type_for<T: Element>() -> SampleType {
    match T::DTYPE {
        "float16" => SampleType::F16,
        "uint32" => SampleType::U32,
        _ => SampleType::F32,
    }
}

/// Appends `row` converted to `S`, native-endian.
fn push_samples<S: Element, T: Element>(row: &[T], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + row.len() * S::TYPESIZE, 0);
    let dst = &mut out[start..];
    match bytemuck::try_cast_slice_mut::<u8, S>(dst) {
        Ok(samples) => convert_slice(row, samples),
        Err(_) => {
            for (d, v) in dst.chunks_exact_mut(S::TYPESIZE).zip(row) {
                let mut s = S::zero();
                convert_slice(std::slice::from_ref(v), std::slice::from_mut(&mut s));
                d.copy_from_slice(bytemuck::bytes_of(&s));
            }
        }
    }
}

pub(crate) fn write<T: Element>(
    image: &Image<T>,
    path: &Path,
    options: &WriteOptions,
) -> Result<()> {
    if image.num_channels() == 0 {
        return Err(Error::param("an EXR file needs at least one channel"));
    }
    let (width, height) = (image.width(), image.height());
    let names: Vec<String> = image
        .channel_names()
        .iter()
        .enumerate()
        .map(|(i, n)| n.map_or_else(|| format!("C{i}"), str::to_owned))
        .collect();
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(Error::param(format!("two channels are called {n:?}")));
        }
    }
    let sample_type = sample_type_for::<T>();
    let mut descriptions: SmallVec<[ChannelDescription; 5]> = SmallVec::new();
    for n in &names {
        let name = text(n).ok_or_else(|| {
            Error::param(format!(
                "channel name {n:?} cannot be stored in EXR (Latin-1 only)"
            ))
        })?;
        descriptions.push(ChannelDescription::named(name, sample_type));
    }
    // EXR requires the channel list sorted by name; `order` below maps it back.
    descriptions.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    let mut header = Header::new(
        Text::from_slice_unchecked(b"image"),
        (width, height),
        descriptions,
    )
    .with_encoding(
        options.exr_compression.to_exr(),
        BlockDescription::ScanLines,
        LineOrder::Increasing,
    );
    apply_metadata(&mut header, image.metadata());
    if let Some(b) = image.metadata().get("dataWindow").and_then(json_bounds) {
        header.own_attributes.layer_position = b.position;
    }
    // Channel order in the file (sorted by name) -> image channel index.
    let order: Vec<usize> = header
        .channels
        .list
        .iter()
        .filter_map(|d| {
            let n = d.name.to_string();
            names.iter().position(|m| *m == n)
        })
        .collect();
    if order.len() != names.len() {
        return Err(Error::param(
            "channel names do not survive EXR's Latin-1 text",
        ));
    }
    let headers: SmallVec<[Header; 3]> = smallvec_one(header);
    super::atomic_write(path, |w| {
        let mut failure: Option<Error> = None;
        let result = exr::block::write(&mut *w, headers, true, |meta, chunks| {
            let total = chunks.total_chunks_count() as u64;
            let mut compressor = chunks.sequential_blocks_compressor(&meta);
            let mut rows = RowCache::new(image);
            let mut written = 0u64;
            for (index_in_header, block) in
                exr::block::enumerate_ordered_header_block_indices(&meta.headers)
            {
                let data = match block_data::<T>(&mut rows, &order, &block, sample_type) {
                    Ok(d) => d,
                    Err(e) => {
                        failure = Some(e);
                        return Err(exr::error::Error::Aborted);
                    }
                };
                compressor
                    .compress_block(index_in_header, UncompressedBlock { index: block, data })?;
                written += 1;
                if let Some(p) = &options.progress {
                    p(written, total);
                }
            }
            Ok(())
        });
        match (result, failure) {
            (_, Some(e)) => Err(e),
            (Err(e), None) => Err(exr_err(e)),
            (Ok(()), None) => Ok(()),
        }
    })
}

fn smallvec_one(header: Header) -> SmallVec<[Header; 3]> {
    let mut v = SmallVec::new();
    v.push(header);
    v
}

/// The uncompressed bytes of one scanline block: for each line, each channel in file order.
fn block_data<T: Element>(
    rows: &mut RowCache<'_, T>,
    order: &[usize],
    block: &BlockIndex,
    sample_type: SampleType,
) -> Result<Vec<u8>> {
    let Vec2(x0, y0) = block.pixel_position;
    let Vec2(bw, bh) = block.pixel_size;
    let mut data = Vec::with_capacity(bw * bh * order.len() * sample_type.bytes_per_sample());
    for y in y0..y0 + bh {
        for &c in order {
            let row = rows.row(c, y)?;
            let row = row
                .get(x0..x0 + bw)
                .ok_or_else(|| Error::param("block outside the image"))?;
            match sample_type {
                SampleType::F16 => push_samples::<half::f16, T>(row, &mut data),
                SampleType::F32 => push_samples::<f32, T>(row, &mut data),
                SampleType::U32 => push_samples::<u32, T>(row, &mut data),
            }
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(level_count(RoundingMode::Down, 512), 10);
        assert_eq!(level_count(RoundingMode::Down, 1), 1);
        assert_eq!(level_count(RoundingMode::Up, 5), 4);
        assert_eq!(level_size(RoundingMode::Down, 5, 1), Some(2));
        assert_eq!(level_size(RoundingMode::Up, 5, 1), Some(3));
        assert_eq!(level_size(RoundingMode::Down, 5, 9), Some(1));
        assert_eq!(level_size(RoundingMode::Down, 5, 200), None);
    }

    #[test]
    fn custom_attributes_by_shape() {
        assert_eq!(json_attribute(&json!(3)), Some(AttributeValue::I32(3)));
        assert_eq!(json_attribute(&json!(0.5)), Some(AttributeValue::F32(0.5)));
        assert_eq!(
            json_attribute(&json!([1, 2])),
            Some(AttributeValue::IntVec2(Vec2(1, 2)))
        );
        assert_eq!(
            json_attribute(&json!([1.5, 2])),
            Some(AttributeValue::FloatVec2(Vec2(1.5, 2.0)))
        );
        assert_eq!(json_attribute(&json!({"a": 1})), None);
        assert!(json_attribute(&json!("ünï")).is_some());
        assert_eq!(json_attribute(&json!("中")), None);
    }
}
