//! Contract tests of the `SChunk` API: chunk-size rules, special chunks, metalayer rules,
//! atomic file writes, lazily opened files, and the §6.6 worked example byte for byte.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;

use blockcodec::{
    CParams, ChunkKind, Codec, ErrorKind, Filter, FrameLimits, Limits, MsgValue, SChunk,
    SpecialKind, SpecialValue,
};

fn lz4(typesize: usize) -> CParams {
    CParams::default()
        .codec(Codec::Lz4)
        .typesize(typesize)
        .filters(&[Filter::Shuffle])
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("blockcodec-api-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn kind<T: std::fmt::Debug>(r: blockcodec::Result<T>) -> ErrorKind {
    r.unwrap_err().kind()
}

#[test]
fn fixed_chunksize_rules() {
    let mut sc = SChunk::new(lz4(4)).unwrap();
    assert_eq!(sc.chunksize(), None);
    assert_eq!(kind(sc.append_buffer(&[])), ErrorKind::InvalidParam);
    sc.append_buffer(&[1; 400]).unwrap();
    assert_eq!(sc.chunksize(), Some(400));
    // Larger than the chunksize.
    assert_eq!(kind(sc.append_buffer(&[1; 401])), ErrorKind::InvalidParam);
    sc.append_buffer(&[2; 400]).unwrap();
    // A short last chunk, then nothing can follow it.
    sc.append_buffer(&[3; 100]).unwrap();
    assert_eq!(kind(sc.append_buffer(&[4; 400])), ErrorKind::InvalidParam);
    assert_eq!(kind(sc.append_buffer(&[4; 10])), ErrorKind::InvalidParam);
    // Only full chunks can go in the middle.
    assert_eq!(
        kind(sc.insert_buffer(1, &[5; 100])),
        ErrorKind::InvalidParam
    );
    sc.insert_buffer(1, &[5; 400]).unwrap();
    // The last chunk may be replaced by one of another length up to the chunksize.
    sc.update_buffer(3, &[6; 399]).unwrap();
    sc.update_buffer(3, &[6; 400]).unwrap();
    assert_eq!(
        kind(sc.update_buffer(0, &[7; 399])),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(sc.update_buffer(9, &[7; 400])),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(sc.insert_buffer(9, &[7; 400])),
        ErrorKind::InvalidParam
    );
    assert_eq!(kind(sc.delete_chunk(4)), ErrorKind::InvalidParam);
    assert_eq!(sc.nchunks(), 4);
    // The frame records the chunksize; a shorter last chunk is allowed (frame version 2).
    let frame = sc.to_frame().unwrap();
    assert_eq!(frame[25], 0x12);
    let back = SChunk::from_frame(&frame, &FrameLimits::default()).unwrap();
    assert_eq!(back.chunksize(), Some(400));
    // Preset chunksize: the first chunk may not be larger.
    let mut sc = SChunk::new(lz4(4)).unwrap().with_chunksize(100).unwrap();
    assert_eq!(kind(sc.append_buffer(&[1; 101])), ErrorKind::InvalidParam);
    sc.append_buffer(&[1; 100]).unwrap();
    assert_eq!(
        kind(SChunk::new(lz4(4)).unwrap().with_chunksize(0)),
        ErrorKind::InvalidParam
    );
}

#[test]
fn variable_chunksize_mode() {
    let mut sc = SChunk::new(lz4(1)).unwrap().with_variable_chunks();
    for n in [10usize, 5000, 3, 3, 700] {
        sc.append_buffer(&vec![n as u8; n]).unwrap();
    }
    sc.append_special(&SpecialKind::Zeros, 50).unwrap();
    sc.update_buffer(0, &[9; 4]).unwrap();
    sc.insert_buffer(2, &[8; 1]).unwrap();
    let frame = sc.to_frame().unwrap();
    // Frame version 3 with general-flags bit 6, chunksize 0 (§6.2).
    assert_eq!(frame[25], 0x53);
    assert_eq!(&frame[58..62], &[0, 0, 0, 0]);
    let back = SChunk::from_frame(&frame, &FrameLimits::default()).unwrap();
    assert!(back.is_variable());
    assert_eq!(back.nchunks(), 7);
    assert_eq!(
        back.decompress_all(&Limits::default()).unwrap(),
        sc.decompress_all(&Limits::default()).unwrap()
    );
    // In variable mode the special chunk is stored as its 32-byte header.
    assert_eq!(
        back.chunk_info(6).unwrap().kind,
        ChunkKind::Special(SpecialValue::Zeros)
    );
    assert_eq!(back.cbytes(), sc.cbytes());
}

#[test]
fn special_chunks_and_fill_special() {
    let mut sc = SChunk::new(lz4(4)).unwrap().with_chunksize(4000).unwrap();
    // fill_special: chunksize must be set and a multiple of the typesize; the schunk empty.
    sc.fill_special(2500, &SpecialKind::Nan).unwrap();
    assert_eq!(sc.nchunks(), 3);
    assert_eq!(sc.nbytes(), 10_000);
    assert_eq!(sc.cbytes(), 0);
    assert_eq!(
        kind(sc.fill_special(1, &SpecialKind::Zeros)),
        ErrorKind::InvalidParam
    );
    let data = sc.decompress_all(&Limits::default()).unwrap();
    assert!(data.chunks(4).all(|c| c == 0x7FC0_0000u32.to_le_bytes()));
    let frame = sc.to_frame().unwrap();
    // Zero-cost specials: the offsets are 0x82 00..00 (§6.4).
    let back = SChunk::from_frame(&frame, &FrameLimits::default()).unwrap();
    assert_eq!(back.decompress_all(&Limits::default()).unwrap(), data);

    let mut sc = SChunk::new(lz4(8)).unwrap();
    assert_eq!(
        kind(sc.fill_special(10, &SpecialKind::Zeros)),
        ErrorKind::InvalidParam
    );
    let mut sc = SChunk::new(lz4(8)).unwrap().with_chunksize(100).unwrap();
    assert_eq!(
        kind(sc.fill_special(10, &SpecialKind::Zeros)),
        ErrorKind::InvalidParam
    );
    let mut sc = SChunk::new(lz4(8)).unwrap().with_chunksize(800).unwrap();
    assert_eq!(
        kind(sc.fill_special(10, &SpecialKind::Value(vec![1; 4]))),
        ErrorKind::InvalidParam
    );
    sc.fill_special(250, &SpecialKind::Value(7u64.to_le_bytes().to_vec()))
        .unwrap();
    assert_eq!(sc.nchunks(), 3);
    assert_eq!(
        sc.chunk_info(2).unwrap().kind,
        ChunkKind::Special(SpecialValue::Value)
    );
    let data = sc.decompress_all(&Limits::default()).unwrap();
    assert_eq!(data.len(), 2000);
    assert!(data.chunks(8).all(|c| c == 7u64.to_le_bytes()));

    // append_special: NaN needs typesize 4/8; value widths must divide nbytes.
    let mut sc = SChunk::new(lz4(2)).unwrap().with_variable_chunks();
    assert_eq!(
        kind(sc.append_special(&SpecialKind::Nan, 8)),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(sc.append_special(&SpecialKind::Value(vec![1, 2, 3]), 8)),
        ErrorKind::InvalidParam
    );
    assert_eq!(
        kind(sc.append_special(&SpecialKind::Zeros, 0)),
        ErrorKind::InvalidParam
    );
    sc.append_special(&SpecialKind::Uninit, 8).unwrap();
    let mut out = [0xFFu8; 8];
    sc.decompress_chunk(0, &mut out).unwrap();
    assert_eq!(out, [0; 8]);
    // Compressing all-zero data gives a zero special (C rewrites it so, §2.4).
    sc.append_buffer(&[0; 4096]).unwrap();
    assert_eq!(
        sc.chunk_info(1).unwrap().kind,
        ChunkKind::Special(SpecialValue::Zeros)
    );
    // Output buffer too small: checked before any work.
    let mut small = [0u8; 4];
    assert_eq!(
        kind(sc.decompress_chunk(1, &mut small)),
        ErrorKind::OutputTooSmall
    );
}

#[test]
fn metalayer_rules() {
    let mut sc = SChunk::new(lz4(4)).unwrap();
    assert_eq!(kind(sc.meta_add("", b"x")), ErrorKind::InvalidParam);
    assert_eq!(
        kind(sc.meta_add(&"n".repeat(32), b"x")),
        ErrorKind::InvalidParam
    );
    sc.meta_add(&"n".repeat(31), b"x").unwrap();
    assert_eq!(
        kind(sc.meta_add(&"n".repeat(31), b"y")),
        ErrorKind::InvalidParam
    );
    for i in 1..16 {
        sc.meta_add(&format!("m{i}"), &[i as u8; 3]).unwrap();
    }
    assert_eq!(kind(sc.meta_add("m16", b"z")), ErrorKind::InvalidParam);
    sc.meta_update("m3", &[9, 9, 9]).unwrap();
    assert_eq!(kind(sc.meta_update("m3", &[9, 9])), ErrorKind::InvalidParam);
    assert_eq!(kind(sc.meta_update("nope", &[9])), ErrorKind::InvalidParam);
    let mut sc2 = SChunk::new(lz4(4)).unwrap();
    sc2.append_buffer(&[1; 8]).unwrap();
    assert_eq!(kind(sc2.meta_add("late", b"x")), ErrorKind::InvalidParam);
    // Updates still work once there is data (same length).
    sc.append_buffer(&[1; 8]).unwrap();
    sc.meta_update("m3", &[1, 2, 3]).unwrap();
    let back = SChunk::from_frame(&sc.to_frame().unwrap(), &FrameLimits::default()).unwrap();
    assert_eq!(back.meta("m3"), Some(&[1u8, 2, 3][..]));
    assert_eq!(back.meta_names().len(), 16);
}

#[test]
fn vlmeta_rules() {
    let mut sc = SChunk::new(lz4(4)).unwrap();
    let v = MsgValue::Map(vec![(
        MsgValue::Str("k".into()),
        MsgValue::Array(vec![MsgValue::Int(1), MsgValue::Float(2.5)]),
    )]);
    sc.vlmeta_add("obj", &v.to_msgpack().unwrap()).unwrap();
    assert_eq!(kind(sc.vlmeta_add("obj", b"")), ErrorKind::InvalidParam);
    assert_eq!(kind(sc.vlmeta_update("none", b"")), ErrorKind::InvalidParam);
    assert_eq!(kind(sc.vlmeta_delete("none")), ErrorKind::InvalidParam);
    // vlmeta can change any time, with any length.
    sc.append_buffer(&[1; 16]).unwrap();
    let long = vec![b'x'; 100_000];
    sc.vlmeta_set("long", &long).unwrap();
    sc.vlmeta_set("obj", b"\xc0").unwrap();
    let back = SChunk::from_frame(&sc.to_frame().unwrap(), &FrameLimits::default()).unwrap();
    assert_eq!(back.vlmeta_get("long").unwrap().unwrap(), long);
    assert_eq!(back.vlmeta_get("obj").unwrap().unwrap(), b"\xc0");
    assert!(back.vlmeta_get("nope").unwrap().is_none());
    // The stored form is a compressed Blosc2 chunk.
    assert!(back.vlmeta_raw("long").unwrap().len() < 1000);
    // Decompressed size bounded by the limits.
    let tight = FrameLimits {
        max_meta_len: 1000,
        ..FrameLimits::default()
    };
    assert_eq!(
        kind(back.vlmeta_get_with("long", &tight)),
        ErrorKind::LimitExceeded
    );
    sc.vlmeta_delete("long").unwrap();
    assert_eq!(sc.vlmeta_names(), vec!["obj"]);
}

#[test]
fn vlmeta_count_limit() {
    let mut sc = SChunk::new(lz4(4)).unwrap();
    for i in 0..8192 {
        sc.vlmeta_add(&format!("{i}"), b"").unwrap();
    }
    let before = sc.clone();
    assert_eq!(
        kind(sc.vlmeta_add("one-more", b"")),
        ErrorKind::InvalidParam
    );
    assert_eq!(sc.vlmeta_names(), before.vlmeta_names());
    let back = SChunk::from_frame(&sc.to_frame().unwrap(), &FrameLimits::default()).unwrap();
    assert_eq!(back.vlmeta_names().len(), 8192);
}

#[test]
fn chunks_from_elsewhere() {
    let mut sc = SChunk::new(lz4(4)).unwrap();
    let chunk = blockcodec::compress(&[5u8; 1000], &lz4(4)).unwrap();
    // cbytes must equal the buffer length.
    let mut longer = chunk.clone();
    longer.push(0);
    assert_eq!(kind(sc.append_chunk(longer)), ErrorKind::InvalidData);
    assert_eq!(
        kind(sc.append_chunk(chunk[..20].to_vec())),
        ErrorKind::InvalidData
    );
    sc.append_chunk(chunk.clone()).unwrap();
    assert_eq!(sc.get_chunk(0).unwrap().as_ref(), &chunk[..]);
    // A chunk of a codec this build cannot decode (reserved format code 5) is stored and
    // listed but not decoded.
    let mut odd =
        blockcodec::compress(&(0..1000u32).map(|i| i as u8).collect::<Vec<_>>(), &lz4(4)).unwrap();
    if odd[2] & 0x02 == 0 {
        odd[2] = (odd[2] & 0x1F) | (5 << 5);
        odd[0x16] = 5;
        sc.append_chunk(odd).unwrap();
        let mut out = vec![0u8; 1000];
        assert_eq!(
            kind(sc.decompress_chunk(1, &mut out)),
            ErrorKind::Unsupported
        );
    }
}

#[test]
fn write_frame_is_atomic() {
    let dir = tmpdir("atomic");
    let mut sc = SChunk::new(lz4(4)).unwrap();
    sc.append_buffer(&[1; 4000]).unwrap();
    let path = dir.join("a.b2frame");
    sc.write_frame(&path).unwrap();
    let first = std::fs::read(&path).unwrap();
    // Writing over a directory fails at the rename: the temporary file is removed.
    let target = dir.join("is-a-dir");
    std::fs::create_dir_all(target.join("x")).unwrap();
    assert_eq!(kind(sc.write_frame(&target)), ErrorKind::Io);
    // Into a missing directory: fails before anything is created.
    assert_eq!(
        kind(sc.write_frame(dir.join("missing/a.b2frame"))),
        ErrorKind::Io
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(std::fs::read(&path).unwrap(), first);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_sparse_layout_and_errors() {
    let dir = tmpdir("sparse");
    let mut sc = SChunk::new(lz4(4)).unwrap();
    sc.append_buffer(&[1; 4000]).unwrap();
    sc.append_special(&SpecialKind::Zeros, 4000).unwrap();
    sc.append_buffer(&[2; 1000]).unwrap();
    sc.vlmeta_add("v", b"x").unwrap();
    let target = dir.join("s.b2sparse");
    sc.write_sparse(&target).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    // Two stored chunks (the zero chunk is a special offset) and the index.
    assert_eq!(
        names,
        ["00000000.chunk", "00000001.chunk", "chunks.b2frame"]
    );
    let back = SChunk::open(&target).unwrap();
    assert_eq!(
        back.decompress_all(&Limits::default()).unwrap(),
        sc.decompress_all(&Limits::default()).unwrap()
    );
    assert_eq!(back.vlmeta_get("v").unwrap().unwrap(), b"x");
    // An existing target is refused and left alone.
    assert_eq!(kind(sc.write_sparse(&target)), ErrorKind::InvalidParam);
    assert_eq!(kind(sc.write_sparse(dir.join("missing/s"))), ErrorKind::Io);
    let leftovers = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(leftovers, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A writer that fails after `left` bytes.
struct FailAfter {
    left: usize,
}

impl Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn failing_writer_leaves_schunk_unchanged() {
    let mut sc = SChunk::new(lz4(4)).unwrap();
    for i in 0..5u8 {
        sc.append_buffer(&[i; 1000]).unwrap();
    }
    sc.vlmeta_add("v", b"1").unwrap();
    let frame = sc.to_frame().unwrap();
    for cut in [0, 10, 200, frame.len() - 1] {
        let mut w = FailAfter { left: cut };
        assert_eq!(kind(sc.write_frame_to(&mut w)), ErrorKind::Io);
        assert_eq!(sc.to_frame().unwrap(), frame);
    }
    let mut ok = Vec::new();
    assert_eq!(sc.write_frame_to(&mut ok).unwrap(), frame.len() as u64);
    assert_eq!(ok, frame);
}

#[test]
fn lazy_open_modify_and_write_back() {
    let dir = tmpdir("lazy");
    let path = dir.join("l.b2frame");
    let mut sc = SChunk::new(lz4(4)).unwrap();
    for i in 0..6u8 {
        sc.append_buffer(&[i; 2000]).unwrap();
    }
    sc.write_frame(&path).unwrap();
    let mut lazy = SChunk::open(&path).unwrap();
    assert_eq!(lazy.nchunks(), 6);
    // Chunk data is read on demand.
    assert_eq!(
        lazy.get_chunk(2).unwrap().as_ref(),
        sc.get_chunk(2).unwrap().as_ref()
    );
    lazy.update_buffer(1, &[9; 2000]).unwrap();
    lazy.delete_chunk(4).unwrap();
    lazy.append_special(&SpecialKind::Zeros, 2000).unwrap();
    // Write back over the file it reads from.
    lazy.write_frame(&path).unwrap();
    let mut expect: Vec<u8> = Vec::new();
    for (i, v) in [0u8, 9, 2, 3, 5].iter().enumerate() {
        let _ = i;
        expect.extend_from_slice(&[*v; 2000]);
    }
    expect.extend_from_slice(&[0; 2000]);
    // The old handle still reads the old contents (Unix semantics), the new file the new ones.
    assert_eq!(lazy.decompress_all(&Limits::default()).unwrap(), expect);
    let again = SChunk::open(&path).unwrap();
    assert_eq!(again.decompress_all(&Limits::default()).unwrap(), expect);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn decompress_all_respects_limits() {
    let mut sc = SChunk::new(lz4(4))
        .unwrap()
        .with_chunksize(1 << 20)
        .unwrap();
    sc.fill_special(1 << 28, &SpecialKind::Zeros).unwrap();
    assert_eq!(sc.nbytes(), 1 << 30);
    assert_eq!(
        kind(sc.decompress_all(&Limits::default())),
        ErrorKind::LimitExceeded
    );
    // A 1 GiB frame of zeros is tiny: header, 1024 special offsets, trailer.
    let frame = sc.to_frame().unwrap();
    assert!(frame.len() < 300, "{}", frame.len());
    let back = SChunk::from_frame(&frame, &FrameLimits::default()).unwrap();
    assert_eq!(back.nbytes(), 1 << 30);
}

/// blosc-format.md §6.6: python-blosc2's 252-byte frame for SChunk(chunksize 40, typesize 4,
/// BloscLZ 5, nthreads 1) holding int32 0..9 and 40 zero bytes. Ours differs only in the
/// header's blocksize and thread-count fields, which C fills from its context (C writes the
/// sticky blocksize 40 and a compression thread count of 0; we write the requested blocksize
/// and at least 1).
#[test]
fn worked_example_6_6() {
    let hex = "9ea862326672616d6500d200000061cf00000000000000fca412005002d30000\
               000000000050d30000000000000048d200000004d200000028d200000028d100\
               00d10001c2d8060000000000010000000000000000000093cd0007de0000dc00\
               0005011704280000002800000048000000000000000001000000000000000000\
               0000000000010000000200000003000000040000000500000006000000070000\
               0008000000090000000501070810000000100000003000000000000000000100\
               00000000000000000000000000000000000000000000000081940193cd0006de\
               0000dc0000ce00000023d80000000000000000000000000000000000";
    let want: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(want.len(), 252);
    let cp = CParams::default()
        .codec(Codec::BloscLz)
        .clevel(5)
        .typesize(4)
        .filters(&[Filter::Shuffle])
        .splitmode(blockcodec::SplitMode::Auto);
    let mut sc = SChunk::new(cp.blocksize(40)).unwrap();
    let ints: Vec<u8> = (0..10i32).flat_map(|i| i.to_le_bytes()).collect();
    sc.append_buffer(&ints).unwrap();
    sc.append_buffer(&[0; 40]).unwrap();
    let mut got = sc.to_frame().unwrap();
    assert_eq!(got.len(), 252);
    // Thread counts: C wrote 0 compression threads in this frame.
    assert_eq!(&got[62..65], &[0xD1, 0, 1]);
    got[64] = 0;
    assert_eq!(got, want);
    // And we read python's bytes as the same super-chunk.
    let back = SChunk::from_frame(&want, &FrameLimits::default()).unwrap();
    let mut data = ints.clone();
    data.extend_from_slice(&[0; 40]);
    assert_eq!(back.decompress_all(&Limits::default()).unwrap(), data);
}
