//! Snappy, raw format (no framing), decode only: C-Blosc 1.x chunks with format code 2
//! (blosc-format.md §7.1). C-Blosc 1.x let a Snappy stream grow up to
//! `snappy_max_compressed_length(neblock)`, so a stored stream may be longer than its output;
//! one exactly `neblock` long is stored raw and never reaches this decoder.
//!
//! Decoded with the `snap` crate (pure Rust). No C fixture exists for these chunks (no
//! C-Blosc 1.x build at hand has Snappy), so the tests use `snap`'s encoder.

/// Decompresses one raw Snappy stream into `output`; returns the number of bytes written, or
/// `None` if the stream is malformed or does not declare exactly `output.len()` bytes.
pub(crate) fn decompress(input: &[u8], output: &mut [u8]) -> Option<usize> {
    // The stream starts with its decoded length (a varint): check it before decoding.
    if snap::raw::decompress_len(input).ok()? != output.len() {
        return None;
    }
    snap::raw::Decoder::new().decompress(input, output).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::error::ErrorKind;

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| ((i / 7) % 251) as u8).collect()
    }

    #[test]
    fn roundtrip_and_bad_lengths() {
        let data = sample(10_000);
        let c = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        let mut out = vec![0u8; data.len()];
        assert_eq!(decompress(&c, &mut out), Some(data.len()));
        assert_eq!(out, data);
        let mut short = vec![0u8; data.len() - 1];
        assert_eq!(decompress(&c, &mut short), None);
        let mut long = vec![0u8; data.len() + 1];
        assert_eq!(decompress(&c, &mut long), None);
        for cut in 0..c.len() {
            assert_eq!(decompress(&c[..cut], &mut out), None, "cut {cut}");
        }
        assert_eq!(decompress(&[], &mut []), None);
    }

    #[test]
    fn corrupted_streams_never_panic() {
        let data = sample(5000);
        let c = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        let mut out = vec![0u8; data.len()];
        let mut seed = 7u32;
        for _ in 0..2000 {
            let mut g = c.clone();
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let at = (seed >> 8) as usize % g.len();
            g[at] ^= 1 << (seed % 8);
            let _ = decompress(&g, &mut out);
        }
    }

    /// A C-Blosc 1.x chunk (16-byte header, version 2) with Snappy streams: one unsplit block,
    /// and a split, shuffled one with a stored Snappy stream longer than its output.
    #[test]
    fn blosc1_snappy_chunks() {
        let data = sample(4096);
        let stream = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        let mut chunk = vec![2, 1, 0x10 | (2 << 5), 1];
        let cbytes = 16 + 4 + 4 + stream.len();
        for v in [data.len(), data.len(), cbytes] {
            chunk.extend((v as i32).to_le_bytes());
        }
        chunk.extend(20i32.to_le_bytes());
        chunk.extend((stream.len() as i32).to_le_bytes());
        chunk.extend(&stream);
        assert_eq!(crate::decompress(&chunk).unwrap(), data);
        let h = crate::ChunkHeader::parse(&chunk).unwrap();
        assert_eq!(h.codec().unwrap(), crate::Codec::Snappy);

        // typesize 2, shuffle, split into 2 streams of 256 bytes; the second is random bytes
        // whose Snappy form is longer than 256.
        let mut block = vec![0u8; 512];
        let mut seed = 99u32;
        for i in 0..256 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            block[2 * i] = (i / 16) as u8;
            block[2 * i + 1] = (seed >> 16) as u8;
        }
        let lo: Vec<u8> = block.iter().step_by(2).copied().collect();
        let hi: Vec<u8> = block.iter().skip(1).step_by(2).copied().collect();
        let s0 = snap::raw::Encoder::new().compress_vec(&lo).unwrap();
        let s1 = snap::raw::Encoder::new().compress_vec(&hi).unwrap();
        assert!(s1.len() > hi.len());
        let cbytes = 16 + 4 + 8 + s0.len() + s1.len();
        let mut chunk = vec![2, 1, 0x01 | (2 << 5), 2];
        for v in [512, 512, cbytes] {
            chunk.extend((v as i32).to_le_bytes());
        }
        chunk.extend(20i32.to_le_bytes());
        for s in [&s0, &s1] {
            chunk.extend((s.len() as i32).to_le_bytes());
            chunk.extend(s.iter());
        }
        assert_eq!(crate::decompress(&chunk).unwrap(), block);

        // Snappy is decode-only.
        let cp = crate::CParams::default().codec(crate::Codec::Snappy);
        assert_eq!(cp.validate().unwrap_err().kind(), ErrorKind::Unsupported);
    }
}
