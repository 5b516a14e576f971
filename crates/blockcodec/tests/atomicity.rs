//! Failure atomicity of `SChunk` (hardening.md §3.5 item 10, §3.7 items 4–5): every mutating
//! call that returns `Err` — a malformed or misfitting chunk, a codec that cannot compress, a
//! writer that fails after N bytes, a file that cannot be written or a lazily read chunk whose
//! file went away — leaves the super-chunk observably unchanged: same frame bytes, same shape,
//! same chunk contents.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use blockcodec::{CParams, Codec, ErrorKind, Filter, FrameLimits, SChunk, SpecialKind};

/// Everything observable about a super-chunk.
#[derive(Debug, PartialEq)]
struct Snapshot {
    frame: Vec<u8>,
    nchunks: usize,
    nbytes: u64,
    cbytes: u64,
    chunksize: Option<usize>,
    chunks: Vec<Vec<u8>>,
    meta: Vec<String>,
    vlmeta: Vec<String>,
}

fn snapshot(sc: &SChunk) -> Snapshot {
    Snapshot {
        frame: sc.to_frame().unwrap(),
        nchunks: sc.nchunks(),
        nbytes: sc.nbytes(),
        cbytes: sc.cbytes(),
        chunksize: sc.chunksize(),
        chunks: (0..sc.nchunks())
            .map(|i| {
                let mut v = vec![0u8; sc.chunk_nbytes(i).unwrap()];
                sc.decompress_chunk(i, &mut v).unwrap();
                v
            })
            .collect(),
        meta: sc.meta_names().into_iter().map(str::to_owned).collect(),
        vlmeta: sc.vlmeta_names().into_iter().map(str::to_owned).collect(),
    }
}

/// Runs a call that must fail with `kind` and checks it changed nothing.
#[track_caller]
fn fails_atomically<T: std::fmt::Debug>(
    sc: &mut SChunk,
    kind: ErrorKind,
    f: impl FnOnce(&mut SChunk) -> blockcodec::Result<T>,
) {
    let before = snapshot(sc);
    let r = f(sc);
    assert_eq!(
        r.as_ref().map_err(blockcodec::Error::kind).err(),
        Some(kind),
        "{r:?}"
    );
    assert_eq!(
        snapshot(sc),
        before,
        "a failed call changed the super-chunk"
    );
}

fn ramp(n: usize, k: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(3) ^ k).collect()
}

/// A fixed-size super-chunk of three 4000-byte chunks (one a zero special) and metadata.
fn sample() -> SChunk {
    let mut sc = SChunk::new(CParams::default().codec(Codec::Lz4).typesize(4)).unwrap();
    sc.meta_add("m", &[1, 2, 3]).unwrap();
    sc.append_buffer(&ramp(4000, 1)).unwrap();
    sc.append_special(&SpecialKind::Zeros, 4000).unwrap();
    sc.append_buffer(&ramp(4000, 2)).unwrap();
    sc.vlmeta_add("v", b"\xa1x").unwrap();
    sc
}

#[test]
fn chunk_operations_fail_atomically() {
    let mut sc = sample();
    let good = blockcodec::compress(&ramp(4000, 9), &CParams::default()).unwrap();
    let mut long = good.clone();
    long.push(0);
    let mut cut = good.clone();
    cut.truncate(good.len() - 1);
    let short = blockcodec::compress(&ramp(1000, 9), &CParams::default()).unwrap();

    // Malformed chunks.
    fails_atomically(&mut sc, ErrorKind::InvalidData, |s| {
        s.append_chunk(long.clone())
    });
    fails_atomically(&mut sc, ErrorKind::InvalidData, |s| {
        s.insert_chunk(1, cut.clone())
    });
    fails_atomically(&mut sc, ErrorKind::InvalidData, |s| {
        s.update_chunk(0, vec![0; 40])
    });
    // Chunk-size rules: a short chunk in the middle, a longer one anywhere.
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.update_chunk(1, short.clone())
    });
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.insert_buffer(0, &ramp(3999, 0))
    });
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.update_buffer(2, &ramp(4001, 0))
    });
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| s.append_buffer(&[]));
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.append_special(&SpecialKind::Value(vec![1, 2, 3]), 4000)
    });
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.append_special(&SpecialKind::Nan, 3998)
    });
    // Indices out of range.
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.insert_chunk(4, good.clone())
    });
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.update_chunk(3, good.clone())
    });
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| s.delete_chunk(3));
    // Metadata rules.
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| s.meta_add("n", &[0]));
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.meta_update("m", &[0])
    });
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.vlmeta_add("v", b"y")
    });
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.vlmeta_update("w", b"y")
    });
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| s.vlmeta_delete("w"));
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.fill_special(10, &SpecialKind::Zeros)
    });
    // The successful forms of the same calls still work afterwards.
    sc.update_chunk(0, good).unwrap();
    sc.delete_chunk(1).unwrap();
    assert_eq!(sc.nchunks(), 2);
}

#[test]
fn failing_codec_leaves_the_schunk_unchanged() {
    // A codec this build cannot compress with fails inside compression, after the size checks.
    for codec in Codec::ALL.into_iter().filter(|c| !c.can_compress()) {
        let mut sc = SChunk::new(CParams::default().codec(codec).typesize(4)).unwrap();
        let chunk = blockcodec::compress(&ramp(400, 0), &CParams::default()).unwrap();
        sc.append_chunk(chunk).unwrap();
        fails_atomically(&mut sc, ErrorKind::Unsupported, |s| {
            s.append_buffer(&ramp(400, 1))
        });
        fails_atomically(&mut sc, ErrorKind::Unsupported, |s| {
            s.insert_buffer(0, &ramp(400, 1))
        });
        fails_atomically(&mut sc, ErrorKind::Unsupported, |s| {
            s.update_buffer(0, &ramp(400, 1))
        });
    }
    // A filter the parameters cannot use (trunc-prec needs typesize 4 or 8).
    let cp = CParams::default().typesize(2).filters(&[Filter::TruncPrec]);
    let mut sc = SChunk::new(cp).unwrap();
    fails_atomically(&mut sc, ErrorKind::InvalidParam, |s| {
        s.append_buffer(&ramp(400, 1))
    });
    assert_eq!(sc.nchunks(), 0);
}

/// A writer that fails after `budget` bytes.
struct FailingWriter {
    budget: usize,
    written: Vec<u8>,
}

impl Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::Error::other("injected failure"));
        }
        let n = buf.len().min(self.budget);
        self.budget -= n;
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn failing_writer_leaves_the_schunk_unchanged() {
    let sc = sample();
    let before = snapshot(&sc);
    let len = before.frame.len();
    for budget in (0..len).step_by(len / 97 + 1).chain([len - 1]) {
        let mut w = FailingWriter {
            budget,
            written: Vec::new(),
        };
        let r = sc.write_frame_to(&mut w);
        assert_eq!(
            r.map_err(|e| e.kind()),
            Err(ErrorKind::Io),
            "budget {budget}"
        );
        assert!(before.frame.starts_with(&w.written));
        assert_eq!(snapshot(&sc), before);
    }
    let mut w = FailingWriter {
        budget: len,
        written: Vec::new(),
    };
    assert_eq!(sc.write_frame_to(&mut w), Ok(len as u64));
    assert_eq!(w.written, before.frame);
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("blockcodec-atomicity-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn failing_file_writes_leave_everything_unchanged() {
    let dir = temp_dir("write");
    let sc = sample();
    let before = snapshot(&sc);
    // The destination is a non-empty directory: the rename fails; nothing is left behind.
    let target = dir.join("taken");
    fs::create_dir_all(target.join("inside")).unwrap();
    let r = sc.write_frame(&target);
    assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::Io));
    assert!(target.join("inside").is_dir());
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "a temporary file was left behind: {names:?}"
    );
    // The parent does not exist.
    let r = sc.write_frame(dir.join("missing/x.b2frame"));
    assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::Io));
    // An existing frame is replaced only by a complete new one.
    let path = dir.join("a.b2frame");
    sc.write_frame(&path).unwrap();
    assert_eq!(fs::read(&path).unwrap(), before.frame);
    assert_eq!(snapshot(&sc), before);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn lazy_chunk_read_failure_leaves_the_schunk_unchanged() {
    let dir = temp_dir("lazy");
    let path = dir.join("a.b2frame");
    let sc = sample();
    sc.write_frame(&path).unwrap();
    let mut lazy = SChunk::open_with(&path, &FrameLimits::default()).unwrap();
    let before = snapshot(&lazy);
    let out = dir.join("b.b2frame");
    lazy.write_frame(&out).unwrap();
    assert_eq!(fs::read(&out).unwrap(), before.frame);
    // The file shrinks under the open super-chunk: reads fail, nothing changes.
    let f = fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(100).unwrap();
    drop(f);
    assert_eq!(lazy.load_all().map_err(|e| e.kind()), Err(ErrorKind::Io));
    assert_eq!(lazy.to_frame().map_err(|e| e.kind()), Err(ErrorKind::Io));
    let r = lazy.write_frame(&out);
    assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::Io));
    assert_eq!(
        fs::read(&out).unwrap(),
        before.frame,
        "the old file was damaged"
    );
    assert_eq!(lazy.nchunks(), before.nchunks);
    assert_eq!(lazy.nbytes(), before.nbytes);
    assert_eq!(lazy.cbytes(), before.cbytes);
    // The special chunk is still readable; the stored ones report the I/O error.
    let mut buf = vec![1u8; 4000];
    lazy.decompress_chunk(1, &mut buf).unwrap();
    assert!(buf.iter().all(|&b| b == 0));
    assert!(lazy.decompress_chunk(0, &mut buf).is_err());
    let _ = fs::remove_dir_all(&dir);
}
