//! Hand-built bad chunks (hardening.md §3.3, cases 1–21): each gives a specific error kind or a
//! documented result, never a panic.

#![allow(clippy::unwrap_used, clippy::panic)]

use blockcodec::{ErrorKind, Limits};

/// Builds a chunk field by field: a 32-byte (or 16-byte) header, a bstarts table and streams.
#[derive(Clone)]
struct ChunkBuilder {
    header: Vec<u8>,
    body: Vec<u8>,
}

impl ChunkBuilder {
    /// A regular extended-header chunk: BloscLZ, no filters, `dont_split`.
    fn extended(nbytes: i32, blocksize: i32, typesize: u8) -> Self {
        let mut header = vec![0u8; 32];
        header[0] = 5;
        header[1] = 1;
        header[2] = 0x05 | 0x10;
        header[3] = typesize;
        header[4..8].copy_from_slice(&nbytes.to_le_bytes());
        header[8..12].copy_from_slice(&blocksize.to_le_bytes());
        ChunkBuilder {
            header,
            body: Vec::new(),
        }
    }

    /// A Blosc1 (version 2) chunk with a 16-byte header.
    fn blosc1(nbytes: i32, blocksize: i32, typesize: u8, flags: u8) -> Self {
        let mut b = Self::extended(nbytes, blocksize, typesize);
        b.header.truncate(16);
        b.header[0] = 2;
        b.header[2] = flags;
        b
    }

    fn set(mut self, off: usize, bytes: &[u8]) -> Self {
        self.header[off..off + bytes.len()].copy_from_slice(bytes);
        self
    }

    fn byte(self, off: usize, v: u8) -> Self {
        self.set(off, &[v])
    }

    fn i32_at(self, off: usize, v: i32) -> Self {
        self.set(off, &v.to_le_bytes())
    }

    fn body_i32(mut self, v: i32) -> Self {
        self.body.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn body_bytes(mut self, b: &[u8]) -> Self {
        self.body.extend_from_slice(b);
        self
    }

    /// Bytes with cbytes set to the real length.
    fn build(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        out.extend_from_slice(&self.body);
        let n = out.len() as i32;
        out[12..16].copy_from_slice(&n.to_le_bytes());
        out
    }

    /// Bytes with cbytes left as set in the header.
    fn raw(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        out.extend_from_slice(&self.body);
        out
    }
}

fn decode(chunk: &[u8]) -> blockcodec::Result<Vec<u8>> {
    let r = std::panic::catch_unwind(|| blockcodec::decompress(chunk));
    r.expect("decoder panicked")
}

#[track_caller]
fn assert_kind(chunk: &[u8], kind: ErrorKind) {
    match decode(chunk) {
        Ok(v) => panic!("expected {kind:?}, decoded {} bytes", v.len()),
        Err(e) => assert_eq!(e.kind(), kind, "{e}"),
    }
}

/// A valid one-block chunk of 64 bytes stored as a raw stream.
fn valid_raw64() -> ChunkBuilder {
    ChunkBuilder::extended(64, 64, 1)
        .body_i32(36)
        .body_i32(64)
        .body_bytes(&[0xAB; 64])
}

#[test]
fn valid_baseline_decodes() {
    assert_eq!(decode(&valid_raw64().build()).unwrap(), vec![0xAB; 64]);
}

#[test]
fn case01_truncated_headers() {
    let full = valid_raw64().build();
    for len in 0..16 {
        assert_kind(&full[..len], ErrorKind::InvalidData);
    }
    for len in 16..32 {
        assert_kind(&full[..len], ErrorKind::InvalidData);
    }
    // A 16-byte Blosc1 memcpyed chunk is never read at extended offsets.
    let mut c = ChunkBuilder::blosc1(4, 4, 1, 0x02)
        .body_bytes(&[1, 2, 3, 4])
        .build();
    assert_eq!(decode(&c).unwrap(), vec![1, 2, 3, 4]);
    c.extend_from_slice(&[0xFF; 16]);
    assert_eq!(decode(&c).unwrap(), vec![1, 2, 3, 4]);
}

#[test]
fn case02_cbytes() {
    let b = valid_raw64();
    assert_kind(&b.clone().i32_at(12, 15).raw(), ErrorKind::InvalidData);
    assert_kind(&b.clone().i32_at(12, 31).raw(), ErrorKind::InvalidData);
    assert_kind(&b.clone().i32_at(12, 200).raw(), ErrorKind::InvalidData);
    assert_kind(
        &b.clone().i32_at(12, i32::MIN).raw(),
        ErrorKind::InvalidData,
    );
    // Trailing bytes after cbytes are ignored.
    let mut c = b.build();
    c.extend_from_slice(&[9; 10]);
    assert_eq!(decode(&c).unwrap(), vec![0xAB; 64]);
}

#[test]
fn case03_nbytes() {
    let b = valid_raw64();
    assert_kind(&b.clone().i32_at(4, -1).build(), ErrorKind::InvalidData);
    assert_kind(
        &b.clone().i32_at(4, i32::MAX - 31).build(),
        ErrorKind::InvalidData,
    );
    let c = b.build();
    let mut small = [0u8; 63];
    let e = blockcodec::decompress_into(&c, &mut small).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutputTooSmall);
    let e = blockcodec::decompress_to_vec(&c, &Limits { max_nbytes: 63 }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn case04_blocksize() {
    let b = valid_raw64();
    assert_kind(&b.clone().i32_at(8, 0).build(), ErrorKind::InvalidData);
    assert_kind(&b.clone().i32_at(8, -64).build(), ErrorKind::InvalidData);
    assert_kind(
        &b.clone().i32_at(8, 536_866_817).build(),
        ErrorKind::InvalidData,
    );
    // blocksize > nbytes is clamped, as C does.
    assert_eq!(
        decode(&b.clone().i32_at(8, 4096).build()).unwrap(),
        vec![0xAB; 64]
    );
    // blocksize 1 with typesize 8: 64 blocks, but only one bstart present.
    assert_kind(
        &b.clone().i32_at(8, 1).byte(3, 8).build(),
        ErrorKind::InvalidData,
    );
}

#[test]
fn case05_typesize() {
    assert_kind(&valid_raw64().byte(3, 0).build(), ErrorKind::InvalidData);
    assert_eq!(
        decode(&valid_raw64().byte(3, 255).build()).unwrap(),
        vec![0xAB; 64]
    );
    // Shuffle with typesize 7 over 64 bytes: 9 whole elements and a 1-byte tail.
    let data: Vec<u8> = (0..64).collect();
    let cp = blockcodec::CParams::default()
        .typesize(7)
        .codec(blockcodec::Codec::Lz4);
    let chunk = blockcodec::compress(&data, &cp).unwrap();
    assert_eq!(decode(&chunk).unwrap(), data);
}

#[test]
fn case06_versions() {
    assert_kind(&valid_raw64().byte(0, 0).build(), ErrorKind::InvalidData);
    for v in [7u8, 8, 255] {
        assert_kind(&valid_raw64().byte(0, v).build(), ErrorKind::Unsupported);
    }
    for v in [3u8, 4, 5, 6] {
        assert_eq!(
            decode(&valid_raw64().byte(0, v).build()).unwrap(),
            vec![0xAB; 64],
            "v{v}"
        );
    }
}

#[test]
fn case07_memcpyed() {
    let ok = ChunkBuilder::extended(8, 8, 1)
        .byte(2, 0x07)
        .body_bytes(&[5; 8]);
    assert_eq!(decode(&ok.build()).unwrap(), vec![5; 8]);
    assert_kind(&ok.clone().body_bytes(&[0]).build(), ErrorKind::InvalidData);
    assert_kind(&ok.clone().i32_at(4, 9).build(), ErrorKind::InvalidData);
    // memcpyed + special
    assert_kind(
        &ChunkBuilder::extended(8, 8, 1)
            .byte(2, 0x07)
            .byte(31, 0x10)
            .build(),
        ErrorKind::InvalidData,
    );
    // memcpyed + VL blocks
    assert_kind(&ok.clone().byte(30, 0x01).build(), ErrorKind::Unsupported);
}

#[test]
fn case08_codec_format_codes() {
    let chunk = |code: u8| {
        ChunkBuilder::extended(64, 64, 1)
            .byte(2, 0x15 | (code << 5))
            .body_i32(36)
            .body_i32(10)
            .body_bytes(&[0; 10])
            .build()
    };
    // Reserved (5), user-defined without a registered codec (6), "defined in the super-chunk"
    // (7): never misparsed as another codec.
    for code in [5u8, 6, 7] {
        assert_kind(&chunk(code), ErrorKind::Unsupported);
    }
    // Snappy, zlib and Zstd decode; ten zero bytes are not a valid stream of any of them.
    for code in [2u8, 3, 4] {
        assert_kind(&chunk(code), ErrorKind::InvalidData);
    }
}

#[test]
fn case09_filters() {
    for id in [5u8, 31, 32, 160, 255] {
        assert_kind(
            &valid_raw64().byte(0x15, id).build(),
            ErrorKind::Unsupported,
        );
    }
    // Six shuffle slots on typesize 1 are the identity.
    let mut b = valid_raw64();
    for slot in 0..6 {
        b = b.byte(0x10 + slot, 1);
    }
    assert_eq!(decode(&b.build()).unwrap(), vec![0xAB; 64]);
    // Trunc-prec has no inverse: decoding passes the bytes through whatever its meta.
    assert_eq!(
        decode(&valid_raw64().byte(0x15, 4).byte(0x1D, 200).build()).unwrap(),
        vec![0xAB; 64]
    );
}

#[test]
fn case10_bstarts_table() {
    // 2^29 blocks of 1 byte: table far beyond cbytes; no allocation of it.
    assert_kind(
        &valid_raw64().i32_at(4, 1 << 29).i32_at(8, 1).build(),
        ErrorKind::InvalidData,
    );
    assert_kind(
        &ChunkBuilder::extended(64, 16, 1).body_i32(48).build(),
        ErrorKind::InvalidData,
    );
}

#[test]
fn case11_bstart_values() {
    let n = valid_raw64().build().len() as i32;
    for bad in [0, 16, 35, n, n - 3, -1, i32::MIN] {
        let mut c = valid_raw64().build();
        c[32..36].copy_from_slice(&bad.to_le_bytes());
        assert_kind(&c, ErrorKind::InvalidData);
    }
}

#[test]
fn case12_aliased_and_decreasing_bstarts() {
    // Four blocks all pointing at one raw stream: legal, decodes each from the same bytes.
    let b = ChunkBuilder::extended(64, 16, 1)
        .body_i32(48)
        .body_i32(48)
        .body_i32(48)
        .body_i32(48)
        .body_i32(16)
        .body_bytes(&(0..16).collect::<Vec<u8>>());
    let expected: Vec<u8> = (0..4).flat_map(|_| 0..16u8).collect();
    assert_eq!(decode(&b.build()).unwrap(), expected);
    // Decreasing: block 1 stored before block 0.
    let b = ChunkBuilder::extended(32, 16, 1)
        .body_i32(60)
        .body_i32(40)
        .body_i32(16)
        .body_bytes(&[1; 16])
        .body_i32(16)
        .body_bytes(&[0; 16]);
    let mut expected = vec![0u8; 16];
    expected.extend([1u8; 16]);
    assert_eq!(decode(&b.build()).unwrap(), expected);
}

#[test]
fn case13_stream_sizes_and_tokens() {
    let base = ChunkBuilder::extended(64, 64, 1).body_i32(36);
    assert_kind(
        &base.clone().body_i32(65).body_bytes(&[0; 10]).build(),
        ErrorKind::InvalidData,
    );
    assert_eq!(
        decode(&base.clone().body_i32(0).build()).unwrap(),
        vec![0; 64]
    );
    assert_eq!(
        decode(&base.clone().body_i32(-7).body_bytes(&[1]).build()).unwrap(),
        vec![7; 64]
    );
    assert_eq!(
        decode(&base.clone().body_i32(-255).body_bytes(&[3]).build()).unwrap(),
        vec![255; 64]
    );
    assert_kind(
        &base.clone().body_i32(-7).body_bytes(&[2]).build(),
        ErrorKind::InvalidData,
    );
    assert_kind(&base.clone().body_i32(-7).build(), ErrorKind::InvalidData);
    assert_kind(
        &base.clone().body_i32(-256).body_bytes(&[1]).build(),
        ErrorKind::InvalidData,
    );
    // Zero and run streams do not exist in Blosc1 chunks.
    let b1 = ChunkBuilder::blosc1(64, 64, 1, 0x10)
        .body_i32(20)
        .body_i32(0);
    assert_kind(&b1.build(), ErrorKind::InvalidData);
}

#[test]
fn case14_stream_decodes_to_wrong_size() {
    // BloscLZ literal run of 4 bytes where the block needs 64.
    let c = ChunkBuilder::extended(64, 64, 1)
        .body_i32(36)
        .body_i32(5)
        .body_bytes(&[0x23, 1, 2, 3, 4]);
    assert_kind(&c.build(), ErrorKind::InvalidData);
    // Split chunk whose leftover block is a single stream: 2 blocks of 8 + leftover 4, ts 4.
    let c = ChunkBuilder::extended(20, 8, 4)
        .byte(2, 0x05)
        .body_i32(44)
        .body_i32(60)
        .body_i32(76)
        .body_i32(0)
        .body_i32(0)
        .body_i32(0)
        .body_i32(0)
        .body_i32(0)
        .body_i32(0)
        .body_i32(0)
        .body_i32(0)
        .body_i32(4)
        .body_bytes(&[9, 9, 9, 9]);
    let mut expected = vec![0u8; 16];
    expected.extend([9; 4]);
    assert_eq!(decode(&c.build()).unwrap(), expected);
}

#[test]
fn case15_dictionary_section() {
    // The flag on the raw chunk: its csize (64) reads as the dictionary size, the dictionary
    // takes the rest of the chunk, and bstarts[0] then points into it.
    assert_kind(
        &valid_raw64().byte(31, 0x01).build(),
        ErrorKind::InvalidData,
    );
    let with_dict = |dsize: i32, dict: &[u8], bstart: i32| {
        ChunkBuilder::extended(64, 64, 1)
            .byte(31, 0x01)
            .body_i32(bstart)
            .body_i32(dsize)
            .body_bytes(dict)
            .body_i32(64)
            .body_bytes(&[0xAB; 64])
            .build()
    };
    // A valid section before a raw stream (raw streams do not use it).
    assert_eq!(decode(&with_dict(8, &[1; 8], 48)).unwrap(), vec![0xAB; 64]);
    // bstart inside the dictionary, at its size field, inside the bstarts table.
    for bstart in [44, 36, 32] {
        assert_kind(&with_dict(8, &[1; 8], bstart), ErrorKind::InvalidData);
    }
    // Size 0, negative, above 32768, past the end of the chunk.
    for dsize in [0, -8, 32769, i32::MIN, 200] {
        assert_kind(&with_dict(dsize, &[1; 8], 48), ErrorKind::InvalidData);
    }
    // No room for the size field.
    assert_kind(
        &ChunkBuilder::extended(4, 4, 1)
            .byte(31, 0x01)
            .body_i32(36)
            .build(),
        ErrorKind::InvalidData,
    );
    // Memcpyed chunks ignore the flag.
    let memcpyed = ChunkBuilder::extended(4, 4, 1)
        .byte(2, 0x07)
        .byte(31, 0x01)
        .body_bytes(&[1, 2, 3, 4])
        .build();
    assert_eq!(decode(&memcpyed).unwrap(), vec![1, 2, 3, 4]);
}

fn special(nbytes: i32, typesize: u8, id: u8, value: &[u8]) -> Vec<u8> {
    ChunkBuilder::extended(nbytes, nbytes.clamp(1, 1 << 20), typesize)
        .byte(2, 0x05)
        .byte(31, id << 4)
        .body_bytes(value)
        .build()
}

#[test]
fn case16_repeated_value() {
    assert_eq!(
        decode(&special(8, 2, 3, &[1, 2])).unwrap(),
        vec![1, 2, 1, 2, 1, 2, 1, 2]
    );
    assert_kind(&special(8, 2, 3, &[]), ErrorKind::InvalidData);
    assert_kind(&special(8, 2, 3, &[0; 16]), ErrorKind::InvalidData);
    assert_kind(&special(8, 2, 3, &[1, 2, 3]), ErrorKind::InvalidData);
    // Width differs from the typesize byte: the width wins.
    assert_eq!(
        decode(&special(8, 2, 3, &[1, 2, 3, 4])).unwrap(),
        vec![1, 2, 3, 4, 1, 2, 3, 4]
    );
    let wide: Vec<u8> = (0..=255).chain(0..44).map(|i| i as u8).collect();
    let out = decode(&special(600, 1, 3, &wide)).unwrap();
    assert_eq!(&out[..300], &wide[..]);
    assert_eq!(&out[300..], &wide[..]);
}

#[test]
fn case17_nan_zero_uninit_reserved() {
    assert_kind(&special(12, 2, 2, &[]), ErrorKind::InvalidData);
    assert_kind(&special(10, 4, 2, &[]), ErrorKind::InvalidData);
    let f = decode(&special(8, 4, 2, &[])).unwrap();
    assert!(f32::from_le_bytes(f[4..8].try_into().unwrap()).is_nan());
    let d = decode(&special(16, 8, 2, &[])).unwrap();
    assert!(f64::from_le_bytes(d[8..16].try_into().unwrap()).is_nan());
    assert_eq!(decode(&special(7, 4, 1, &[])).unwrap(), vec![0; 7]);
    assert_eq!(decode(&special(9, 1, 4, &[])).unwrap(), vec![0; 9]);
    for id in 5..8 {
        assert_kind(&special(8, 1, id, &[]), ErrorKind::Unsupported);
    }
    assert_kind(
        &valid_raw64().byte(31, 0x08).build(),
        ErrorKind::InvalidData,
    );
    assert_kind(
        &valid_raw64().byte(31, 0x80).build(),
        ErrorKind::Unsupported,
    );
}

#[test]
fn case18_huge_special_claim() {
    let c = special(i32::MAX - 32, 1, 1, &[]);
    let mut small = vec![0u8; 1024];
    let e = blockcodec::decompress_into(&c, &mut small).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutputTooSmall);
    assert_kind(&c, ErrorKind::LimitExceeded);
    // getitem of a small range decodes without allocating the claim.
    let mut out = [1u8; 16];
    assert_eq!(blockcodec::getitem(&c, 1 << 30, 16, &mut out).unwrap(), 16);
    assert_eq!(out, [0; 16]);
}

fn blosclz_chunk(stream: &[u8], nbytes: i32) -> Vec<u8> {
    ChunkBuilder::extended(nbytes, nbytes, 1)
        .body_i32(36)
        .body_i32(stream.len() as i32)
        .body_bytes(stream)
        .build()
}

#[test]
fn case19_21_blosclz_streams() {
    // Literal run of 32 with only 3 bytes present.
    assert_kind(&blosclz_chunk(&[0x3F, 1, 2, 3], 64), ErrorKind::InvalidData);
    // Literal then a match reaching 100 bytes before the output start.
    assert_kind(
        &blosclz_chunk(&[0x20 | 0x01, 9, 9, 0x40, 100, 0x00, 1], 64),
        ErrorKind::InvalidData,
    );
    // Match running past the output end.
    assert_kind(
        &blosclz_chunk(&[0x21, 9, 9, 0xE0, 200, 0x00, 0x00, 1], 64),
        ErrorKind::InvalidData,
    );
    // Long match with millions of 0xFF extension bytes (C-Blosc2 issue #801).
    let mut s = vec![0x21, 9, 9, 0xE0];
    s.extend(std::iter::repeat_n(0xFF, 9_000_000));
    s.extend([0x00, 0x00, 0x00, 9]);
    assert_kind(&blosclz_chunk(&s, 64), ErrorKind::InvalidData);
    // Far-distance escape truncated.
    assert_kind(
        &blosclz_chunk(&[0x21, 9, 9, 0x3F, 0xFF], 64),
        ErrorKind::InvalidData,
    );
}

#[test]
fn getitem_errors() {
    let c = valid_raw64().build();
    let mut out = [0u8; 64];
    assert_eq!(
        blockcodec::getitem(&c, 60, 5, &mut out).unwrap_err().kind(),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        blockcodec::getitem(&c, usize::MAX, 2, &mut out)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        blockcodec::getitem(&c, 0, 64, &mut out[..10])
            .unwrap_err()
            .kind(),
        ErrorKind::OutputTooSmall
    );
    assert_eq!(blockcodec::getitem(&c, 10, 4, &mut out).unwrap(), 4);
    assert_eq!(&out[..4], &[0xAB; 4]);
}

/// A one-stream chunk of `nbytes` whose stream is `payload`, with codec format code `code`.
fn coded(code: u8, nbytes: i32, payload: &[u8]) -> Vec<u8> {
    ChunkBuilder::extended(nbytes, nbytes, 1)
        .byte(2, 0x05 | 0x10 | (code << 5))
        .byte(0x16, if code == 4 { 5 } else { 4 })
        .body_i32(36)
        .body_i32(payload.len() as i32)
        .body_bytes(payload)
        .build()
}

/// A Zstd frame: magic, descriptor `fhd`, header rest `extra`, one last RLE block of `n` x 7.
fn zstd_frame(fhd: u8, extra: &[u8], n: u32) -> Vec<u8> {
    let mut f = vec![0x28, 0xB5, 0x2F, 0xFD, fhd];
    f.extend_from_slice(extra);
    let h = (n << 3) | 0x03;
    f.extend_from_slice(&[h as u8, (h >> 8) as u8, (h >> 16) as u8, 7]);
    f
}

#[test]
fn case25_zstd_frames() {
    // Single segment, 1-byte content size 100: the reference frame.
    assert_eq!(
        decode(&coded(4, 100, &zstd_frame(0x20, &[100], 100))).unwrap(),
        vec![7; 100]
    );
    // Window bombs: 2^41 and 2^31 bytes declared for a 100-byte stream, refused before the
    // decoder allocates anything.
    for wd in [0xF8, (31 - 10) << 3] {
        assert_kind(
            &coded(4, 100, &zstd_frame(0x00, &[wd], 100)),
            ErrorKind::LimitExceeded,
        );
    }
    // Trailing bytes after the frame; a second frame.
    let mut trailing = zstd_frame(0x20, &[100], 100);
    trailing.push(0);
    assert_kind(&coded(4, 100, &trailing), ErrorKind::InvalidData);
    let mut two = zstd_frame(0x20, &[50], 50);
    two.extend(zstd_frame(0x20, &[50], 50));
    assert_kind(&coded(4, 100, &two), ErrorKind::InvalidData);
    // Content size != block size (in the header, and in the blocks of a frame without one).
    assert_kind(
        &coded(4, 100, &zstd_frame(0x20, &[99], 99)),
        ErrorKind::InvalidData,
    );
    assert_kind(
        &coded(4, 100, &zstd_frame(0x00, &[0], 101)),
        ErrorKind::InvalidData,
    );
    assert_kind(
        &coded(4, 100, &zstd_frame(0xE0, &(1u64 << 40).to_le_bytes(), 100)),
        ErrorKind::InvalidData,
    );
    // Not a frame at all.
    assert_kind(&coded(4, 100, &[0xAB; 20]), ErrorKind::InvalidData);
}

#[test]
fn zlib_truncated_and_overlong() {
    // Python's zlib.compress(bytes(100)): 100 zero bytes.
    let z = [
        0x78, 0x9c, 0x63, 0x60, 0xa0, 0x3d, 0x00, 0x00, 0x00, 0x64, 0x00, 0x01,
    ];
    assert_eq!(decode(&coded(3, 100, &z)).unwrap(), vec![0; 100]);
    // (A cut to 0 bytes would be a csize-0 zero stream.)
    for cut in 1..z.len() {
        assert_kind(&coded(3, 100, &z[..cut]), ErrorKind::InvalidData);
    }
    // The stream holds 100 bytes: one more or one less than the block is an error.
    assert_kind(&coded(3, 99, &z), ErrorKind::InvalidData);
    assert_kind(&coded(3, 101, &z), ErrorKind::InvalidData);
    let mut trailing = z.to_vec();
    trailing.push(0);
    assert_kind(&coded(3, 100, &trailing), ErrorKind::InvalidData);
}
