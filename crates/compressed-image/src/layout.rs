//! Chunk geometry: chunks are full-width horizontal strips of whole scanlines.

use std::ops::Range;

use blockcodec::MAX_BUFFERSIZE;

use crate::error::{Error, Result};

/// How a `width × height` channel of `typesize`-byte elements is cut into chunks.
///
/// A chunk is `chunk_rows` whole scanlines: the requested chunk size is rounded down to whole
/// rows, but is at least one row and at most the whole channel. Every chunk holds
/// `chunk_rows` rows except the last, which holds the remaining `1..=chunk_rows` rows. Element
/// `i` of chunk `c` is pixel `g = c * chunk_elems() + i` of the channel, at `x = g % width`,
/// `y = g / width`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChunkLayout {
    width: usize,
    height: usize,
    typesize: usize,
    chunk_rows: usize,
    num_chunks: usize,
}

/// The pixel rectangle a chunk covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChunkRect {
    /// Left edge (always 0: chunks span the full width).
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Width in pixels (the channel width).
    pub width: usize,
    /// Height in rows.
    pub height: usize,
}

impl ChunkLayout {
    /// Computes the layout for a requested chunk size in bytes.
    ///
    /// # Errors
    /// `InvalidParam` for a zero width, height, typesize or chunk size; `LimitExceeded` when
    /// `width × height × typesize` overflows `usize` or one chunk (at least one row) would
    /// exceed the 2 GiB − 32 bytes a Blosc2 chunk can hold.
    pub fn new(width: usize, height: usize, typesize: usize, chunk_size: usize) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::param(format!(
                "image size {width}×{height} has no pixels"
            )));
        }
        if typesize == 0 || chunk_size == 0 {
            return Err(Error::param("typesize and chunk size must be at least 1"));
        }
        let overflow = || Error::limit(format!("{width}×{height}×{typesize} bytes overflow usize"));
        let row_bytes = width.checked_mul(typesize).ok_or_else(overflow)?;
        row_bytes.checked_mul(height).ok_or_else(overflow)?;
        let chunk_rows = (chunk_size / row_bytes).clamp(1, height);
        // Cannot overflow: chunk_rows <= height and row_bytes * height fits.
        let chunk_bytes = chunk_rows * row_bytes;
        if chunk_bytes > MAX_BUFFERSIZE {
            return Err(Error::limit(format!(
                "a chunk of {chunk_rows} rows is {chunk_bytes} bytes, above the Blosc2 chunk \
                 limit of {MAX_BUFFERSIZE}"
            )));
        }
        let num_chunks = height.div_ceil(chunk_rows);
        Ok(ChunkLayout {
            width,
            height,
            typesize,
            chunk_rows,
            num_chunks,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Bytes per element.
    pub fn typesize(&self) -> usize {
        self.typesize
    }

    /// Number of elements, `width × height`.
    pub fn num_elements(&self) -> usize {
        self.width * self.height
    }

    /// Rows per chunk (the last chunk may have fewer).
    pub fn chunk_rows(&self) -> usize {
        self.chunk_rows
    }

    /// Elements per chunk (the last chunk may have fewer): the size of a buffer that holds any
    /// chunk.
    pub fn chunk_elems(&self) -> usize {
        self.chunk_rows * self.width
    }

    /// Bytes per full chunk.
    pub fn chunk_bytes(&self) -> usize {
        self.chunk_elems() * self.typesize
    }

    /// Number of chunks.
    pub fn num_chunks(&self) -> usize {
        self.num_chunks
    }

    /// Rows `y_start..y_end` of chunk `index`, or `None` if there is no such chunk.
    pub fn chunk_y_range(&self, index: usize) -> Option<Range<usize>> {
        if index >= self.num_chunks {
            return None;
        }
        let start = index * self.chunk_rows;
        Some(start..(start + self.chunk_rows).min(self.height))
    }

    /// Elements in chunk `index`, or `None` if there is no such chunk.
    pub fn chunk_len(&self, index: usize) -> Option<usize> {
        self.chunk_y_range(index).map(|r| r.len() * self.width)
    }

    /// Index of the chunk's first element in the whole channel.
    pub fn chunk_start(&self, index: usize) -> Option<usize> {
        self.chunk_y_range(index).map(|r| r.start * self.width)
    }

    /// Element range of chunk `index` in the whole channel.
    pub fn chunk_range(&self, index: usize) -> Option<Range<usize>> {
        self.chunk_y_range(index)
            .map(|r| r.start * self.width..r.end * self.width)
    }

    /// The pixel rectangle of chunk `index`.
    pub fn chunk_rect(&self, index: usize) -> Option<ChunkRect> {
        self.chunk_y_range(index).map(|r| ChunkRect {
            x: 0,
            y: r.start,
            width: self.width,
            height: r.len(),
        })
    }

    /// The chunk holding row `y`, or `None` if `y` is outside the image.
    pub fn chunk_of_row(&self, y: usize) -> Option<usize> {
        (y < self.height).then(|| y / self.chunk_rows)
    }

    /// The chunk and the index within it of pixel `(x, y)`, or `None` outside the image.
    pub fn locate(&self, x: usize, y: usize) -> Option<(usize, usize)> {
        if x >= self.width {
            return None;
        }
        let chunk = self.chunk_of_row(y)?;
        Some((chunk, (y - chunk * self.chunk_rows) * self.width + x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn rounds_down_to_rows() {
        // 100 px × 4 bytes = 400-byte rows; 1000 bytes -> 2 rows.
        let l = ChunkLayout::new(100, 7, 4, 1000).unwrap();
        assert_eq!(
            (l.chunk_rows(), l.num_chunks(), l.chunk_elems()),
            (2, 4, 200)
        );
        assert_eq!(l.chunk_len(3), Some(100));
        assert_eq!(l.chunk_len(4), None);
        assert_eq!(l.chunk_y_range(3), Some(6..7));
        assert_eq!(l.chunk_range(1), Some(200..400));
        assert_eq!(
            l.chunk_rect(3),
            Some(ChunkRect {
                x: 0,
                y: 6,
                width: 100,
                height: 1
            })
        );
        assert_eq!(l.locate(5, 3), Some((1, 105)));
        assert_eq!(l.locate(100, 3), None);
        assert_eq!(l.locate(0, 7), None);
        assert_eq!(l.chunk_of_row(6), Some(3));
    }

    #[test]
    fn at_least_one_row_at_most_all() {
        let l = ChunkLayout::new(100, 7, 4, 1).unwrap();
        assert_eq!((l.chunk_rows(), l.num_chunks()), (1, 7));
        let l = ChunkLayout::new(100, 7, 4, usize::MAX).unwrap();
        assert_eq!(
            (l.chunk_rows(), l.num_chunks(), l.chunk_len(0)),
            (7, 1, Some(700))
        );
    }

    #[test]
    fn bad_layouts_are_errors() {
        let kind = |w, h, ts, cs| ChunkLayout::new(w, h, ts, cs).map_err(|e| e.kind());
        assert_eq!(kind(0, 5, 4, 1024), Err(ErrorKind::InvalidParam));
        assert_eq!(kind(5, 0, 4, 1024), Err(ErrorKind::InvalidParam));
        assert_eq!(kind(5, 5, 0, 1024), Err(ErrorKind::InvalidParam));
        assert_eq!(kind(5, 5, 4, 0), Err(ErrorKind::InvalidParam));
        assert_eq!(
            kind(usize::MAX / 2, 1, 4, 1024),
            Err(ErrorKind::LimitExceeded)
        );
        assert_eq!(
            kind(1 << 20, usize::MAX / (1 << 20), 4, 1024),
            Err(ErrorKind::LimitExceeded)
        );
        // One row of 2^31 bytes cannot be a Blosc2 chunk.
        assert_eq!(kind(1 << 29, 2, 4, 1024), Err(ErrorKind::LimitExceeded));
        // The largest chunk that fits is fine; one row more is not.
        let rows_max = MAX_BUFFERSIZE / 1024;
        assert!(kind(256, rows_max, 4, MAX_BUFFERSIZE).is_ok());
        assert!(kind(256, rows_max + 1, 4, MAX_BUFFERSIZE).is_ok());
        assert_eq!(
            kind(256, rows_max + 1, 4, (rows_max + 1) * 1024),
            Err(ErrorKind::LimitExceeded)
        );
    }
}
