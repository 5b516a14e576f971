//! PNG, TIFF (8 and 16 bit, and 32-bit float TIFF on read) and JPEG (read) on the `image`
//! crate (feature `image`). Files are decoded whole, then split into planar channels chunk by
//! chunk; writing interleaves the channels into one buffer and encodes it.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageError};

use super::{ChunkPixels, FileFormat, FileInfo, ReadOptions, RowCache, StripSink, WriteOptions};
use crate::element::{Element, convert_slice};
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;

fn img_err(e: ImageError) -> Error {
    match e {
        ImageError::Decoding(e) => Error::invalid(e.to_string()),
        ImageError::Encoding(e) => Error::param(e.to_string()),
        ImageError::Parameter(e) => Error::param(e.to_string()),
        ImageError::Limits(e) => Error::limit(e.to_string()),
        ImageError::Unsupported(e) => Error::unsupported(e.to_string()),
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::invalid(format!("the file ends early ({e})"))
        }
        ImageError::IoError(e) => Error::new(ErrorKind::Io, e.to_string()),
    }
}

fn image_format(format: FileFormat) -> Result<image::ImageFormat> {
    match format {
        FileFormat::Png => Ok(image::ImageFormat::Png),
        FileFormat::Tiff => Ok(image::ImageFormat::Tiff),
        FileFormat::Jpeg => Ok(image::ImageFormat::Jpeg),
        other => Err(Error::unsupported(format!(
            "{other} is not a raster format"
        ))),
    }
}

fn reader(path: &Path, format: FileFormat) -> Result<image::ImageReader<BufReader<File>>> {
    let file = File::open(path).map_err(|e| Error::io(path, &e))?;
    Ok(image::ImageReader::with_format(
        BufReader::new(file),
        image_format(format)?,
    ))
}

/// Channel names for a number of channels: `Y`, `Y A`, `R G B`, `R G B A`.
fn names_for(n: usize) -> &'static [&'static str] {
    match n {
        1 => &["Y"],
        2 => &["Y", "A"],
        3 => &["R", "G", "B"],
        _ => &["R", "G", "B", "A"],
    }
}

fn check_part(options: &ReadOptions) -> Result<()> {
    if options.part != 0 || options.level != 0 {
        return Err(Error::param(format!(
            "part {} level {} does not exist (the file has one image)",
            options.part, options.level
        )));
    }
    Ok(())
}

pub(crate) fn probe(path: &Path, format: FileFormat, part: usize) -> Result<FileInfo> {
    if part != 0 {
        return Err(Error::param(format!("part {part} does not exist")));
    }
    let decoder = reader(path, format)?.into_decoder().map_err(img_err)?;
    let (w, h) = decoder.dimensions();
    let color = decoder.color_type();
    let n = usize::from(color.channel_count());
    let dtype = match color.bytes_per_pixel() / color.channel_count().max(1) {
        1 => "uint8",
        2 => "uint16",
        _ => "float32",
    };
    Ok(FileInfo {
        format,
        width: w as usize,
        height: h as usize,
        channel_names: names_for(n).iter().map(|s| (*s).to_owned()).collect(),
        channel_dtypes: vec![dtype; n],
        parts: 1,
    })
}

pub(crate) fn read<T: Element>(
    path: &Path,
    format: FileFormat,
    options: &ReadOptions,
    hook: &mut dyn FnMut(&mut ChunkPixels<'_, T>) -> Result<()>,
) -> Result<Image<T>> {
    check_part(options)?;
    let decoded = reader(path, format)?.decode().map_err(img_err)?;
    let (w, h) = (decoded.width() as usize, decoded.height() as usize);
    match decoded {
        DynamicImage::ImageLuma8(b) => split::<u8, T>(b.as_raw(), w, h, 1, options, hook),
        DynamicImage::ImageLumaA8(b) => split::<u8, T>(b.as_raw(), w, h, 2, options, hook),
        DynamicImage::ImageRgb8(b) => split::<u8, T>(b.as_raw(), w, h, 3, options, hook),
        DynamicImage::ImageRgba8(b) => split::<u8, T>(b.as_raw(), w, h, 4, options, hook),
        DynamicImage::ImageLuma16(b) => split::<u16, T>(b.as_raw(), w, h, 1, options, hook),
        DynamicImage::ImageLumaA16(b) => split::<u16, T>(b.as_raw(), w, h, 2, options, hook),
        DynamicImage::ImageRgb16(b) => split::<u16, T>(b.as_raw(), w, h, 3, options, hook),
        DynamicImage::ImageRgba16(b) => split::<u16, T>(b.as_raw(), w, h, 4, options, hook),
        DynamicImage::ImageRgb32F(b) => split::<f32, T>(b.as_raw(), w, h, 3, options, hook),
        DynamicImage::ImageRgba32F(b) => split::<f32, T>(b.as_raw(), w, h, 4, options, hook),
        other => {
            let b = other.to_rgba32f();
            split::<f32, T>(b.as_raw(), w, h, 4, options, hook)
        }
    }
}

/// Splits interleaved samples (`n` per pixel) into the selected channels, chunk by chunk.
fn split<S: Element, T: Element>(
    data: &[S],
    width: usize,
    height: usize,
    n: usize,
    options: &ReadOptions,
    hook: &mut dyn FnMut(&mut ChunkPixels<'_, T>) -> Result<()>,
) -> Result<Image<T>> {
    let names: Vec<String> = names_for(n).iter().map(|s| (*s).to_owned()).collect();
    let selected = options.channels.resolve(&names)?;
    let picked = selected.iter().map(|&i| names[i].clone()).collect();
    let mut sink = StripSink::new(width, height, picked, &options.params, hook)?;
    let layout = sink.layout();
    if data.len() != width * height * n {
        return Err(Error::invalid("decoded image has the wrong size"));
    }
    let mut tmp: Vec<S> = Vec::new();
    let total = layout.num_chunks() as u64;
    for index in 0..layout.num_chunks() {
        let range = layout.chunk_range(index).unwrap_or_default();
        let strip = data
            .get(range.start * n..range.end * n)
            .ok_or_else(|| Error::invalid("decoded image has the wrong size"))?;
        let mut planes = sink.planes(index)?;
        for (plane, &c) in planes.iter_mut().zip(&selected) {
            tmp.clear();
            tmp.extend(strip.iter().skip(c).step_by(n).copied());
            convert_slice(&tmp, plane);
        }
        sink.store(index, &mut planes)?;
        if let Some(p) = &options.progress {
            p(index as u64 + 1, total);
        }
    }
    sink.finish(width, height)
}

/// The channels written to a PNG/TIFF, in file order: `R G B [A]` or `Y [A]` by name, else
/// all channels in order (at most 4).
fn pick_channels<T: Element>(image: &Image<T>) -> Result<Vec<usize>> {
    let find = |n: &str| image.channel_index(n);
    let alpha = find("A");
    let picked: Vec<usize> = match (find("R"), find("G"), find("B"), find("Y")) {
        (Some(r), Some(g), Some(b), _) => [Some(r), Some(g), Some(b), alpha]
            .into_iter()
            .flatten()
            .collect(),
        (_, _, _, Some(y)) => [Some(y), alpha].into_iter().flatten().collect(),
        _ if (1..=4).contains(&image.num_channels()) => (0..image.num_channels()).collect(),
        _ => {
            return Err(Error::param(format!(
                "PNG and TIFF hold 1 to 4 channels (R G B [A] or Y [A]); the image has {}",
                image.num_channels()
            )));
        }
    };
    Ok(picked)
}

pub(crate) fn write<T: Element>(
    image: &Image<T>,
    path: &Path,
    format: FileFormat,
    options: &WriteOptions,
) -> Result<()> {
    let picked = pick_channels(image)?;
    let n = picked.len();
    let (w, h) = (image.width(), image.height());
    let (w32, h32) = match (u32::try_from(w), u32::try_from(h)) {
        (Ok(a), Ok(b)) if a > 0 && b > 0 => (a, b),
        _ => return Err(Error::param(format!("a {w}×{h} image cannot be written"))),
    };
    let eight = T::TYPESIZE == 1;
    let color = match (eight, n) {
        (true, 1) => ExtendedColorType::L8,
        (true, 2) => ExtendedColorType::La8,
        (true, 3) => ExtendedColorType::Rgb8,
        (true, _) => ExtendedColorType::Rgba8,
        (false, 1) => ExtendedColorType::L16,
        (false, 2) => ExtendedColorType::La16,
        (false, 3) => ExtendedColorType::Rgb16,
        (false, _) => ExtendedColorType::Rgba16,
    };
    let samples = w
        .checked_mul(h)
        .and_then(|p| p.checked_mul(n))
        .ok_or_else(|| Error::limit("image too large"))?;
    let mut bytes: Vec<u8> = Vec::new();
    bytes
        .try_reserve_exact(samples * if eight { 1 } else { 2 })
        .map_err(|_| Error::limit("cannot allocate the interleaved image"))?;
    let mut rows = RowCache::new(image);
    let mut row8 = vec![0u8; w];
    let mut row16 = vec![0u16; w];
    let mut line: Vec<u8> = Vec::with_capacity(w * n * 2);
    for y in 0..h {
        line.clear();
        line.resize(w * n * if eight { 1 } else { 2 }, 0);
        for (k, &c) in picked.iter().enumerate() {
            let src = rows.row(c, y)?;
            if eight {
                convert_slice(src, &mut row8);
                for (x, v) in row8.iter().enumerate() {
                    line[x * n + k] = *v;
                }
            } else {
                convert_slice(src, &mut row16);
                for (x, v) in row16.iter().enumerate() {
                    let at = (x * n + k) * 2;
                    line[at..at + 2].copy_from_slice(&v.to_ne_bytes());
                }
            }
        }
        bytes.extend_from_slice(&line);
        if let Some(p) = &options.progress {
            p(y as u64 + 1, h as u64);
        }
    }
    super::atomic_write(path, |out| match format {
        FileFormat::Png => image::codecs::png::PngEncoder::new(out)
            .write_image(&bytes, w32, h32, color)
            .map_err(img_err),
        FileFormat::Tiff => image::codecs::tiff::TiffEncoder::new(out)
            .write_image(&bytes, w32, h32, color)
            .map_err(img_err),
        other => Err(Error::unsupported(format!("cannot write {other} files"))),
    })
}
