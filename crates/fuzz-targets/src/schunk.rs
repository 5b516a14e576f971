//! Super-chunk targets: decoding hostile frames, and operation sequences against a model.

use std::io::{self, Write};

use blockcodec::{CParams, Codec, ErrorKind, Filter, FrameLimits, SChunk, SpecialKind};

use crate::chunk::{MAX_DECODE, compressible_codecs};
use crate::input::{Input, payload};

/// Limits for hostile frames: small enough that nothing the fuzzer builds can make the
/// process allocate much.
pub(crate) fn fuzz_frame_limits() -> FrameLimits {
    FrameLimits {
        max_frame_len: 16 << 20,
        max_chunks: 1 << 12,
        max_meta_len: 1 << 20,
    }
}

/// Chunk count, nbytes, chunksize, mode, chunk sizes, metalayer and vlmetalayer names.
type Shape = (
    usize,
    u64,
    Option<usize>,
    bool,
    Vec<usize>,
    Vec<String>,
    Vec<String>,
);

/// Every observable part of a super-chunk that can be read without decoding its chunks.
fn shape(sc: &SChunk) -> Shape {
    (
        sc.nchunks(),
        sc.nbytes(),
        sc.chunksize(),
        sc.is_variable(),
        (0..sc.nchunks())
            .map(|i| sc.chunk_nbytes(i).unwrap())
            .collect(),
        sc.meta_names().into_iter().map(str::to_owned).collect(),
        sc.vlmeta_names().into_iter().map(str::to_owned).collect(),
    )
}

/// Fuzz target `frame_decode`: the input is offered as a contiguous frame. Oracle: no panic;
/// if it opens, every chunk either decodes (to its indexed size, identically into a dirty
/// buffer) or errors, every accessor answers, and the super-chunk survives `to_frame` →
/// `from_frame` with the same shape and chunk bytes.
pub fn frame_decode(data: &[u8]) {
    let limits = fuzz_frame_limits();
    let Ok(sc) = SChunk::from_frame(data, &limits) else {
        return;
    };
    let _ = (
        sc.codec_id(),
        sc.clevel(),
        sc.typesize(),
        sc.cbytes(),
        sc.b2nd(),
    );
    for name in sc.vlmeta_names() {
        let _ = sc.vlmeta_get_with(name, &limits);
    }
    for name in sc.meta_names() {
        assert!(sc.meta(name).is_some());
    }
    for i in 0..sc.nchunks() {
        let info = sc.chunk_info(i);
        let nbytes = sc.chunk_nbytes(i).unwrap();
        if let Ok(info) = &info {
            assert_eq!(info.nbytes, nbytes);
        }
        if nbytes > MAX_DECODE {
            continue;
        }
        let mut clean = vec![0u8; nbytes];
        let mut dirty = vec![0xFFu8; nbytes];
        let a = sc.decompress_chunk(i, &mut clean);
        let b = sc.decompress_chunk(i, &mut dirty);
        match (a, b) {
            (Ok(n), Ok(m)) => {
                assert_eq!((n, m), (nbytes, nbytes));
                assert!(
                    clean == dirty,
                    "chunk {i} depends on the destination's contents"
                );
            }
            (Err(x), Err(y)) => assert_eq!(x, y),
            (x, y) => panic!("chunk {i} decodes nondeterministically: {x:?} vs {y:?}"),
        }
        if nbytes > 0 {
            let mut short = vec![0u8; nbytes - 1];
            let r = sc.decompress_chunk(i, &mut short);
            assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::OutputTooSmall));
        }
    }
    // Writing it back and reading that gives the same super-chunk.
    let frame = sc
        .to_frame()
        .expect("an opened frame cannot be written back");
    let back = SChunk::from_frame(&frame, &FrameLimits::unlimited())
        .unwrap_or_else(|e| panic!("a frame we wrote does not open: {e}"));
    assert_eq!(shape(&back), shape(&sc));
    // The writer may re-encode a chunk (a special chunk 0 is written as plain blocks for
    // C-Blosc2), so compare what the chunks decode to.
    for i in 0..sc.nchunks() {
        let nbytes = sc.chunk_nbytes(i).unwrap();
        if nbytes > MAX_DECODE {
            continue;
        }
        let mut a = vec![0u8; nbytes];
        let mut b = vec![0u8; nbytes];
        match (
            sc.decompress_chunk(i, &mut a),
            back.decompress_chunk(i, &mut b),
        ) {
            (Ok(_), Ok(_)) => assert!(a == b, "chunk {i} changed through to_frame/from_frame"),
            (Err(x), Err(y)) => assert_eq!(x.kind(), y.kind()),
            (x, y) => panic!("chunk {i} changed through to_frame/from_frame: {x:?} vs {y:?}"),
        }
    }
    assert_eq!(
        back.to_frame().unwrap(),
        frame,
        "to_frame is not a fixed point"
    );
}

/// A writer that fails after `budget` bytes.
struct FailingWriter {
    budget: usize,
    written: Vec<u8>,
}

impl Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::Error::other("injected write failure"));
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

/// The model of [`schunk_model`]: chunk contents and the chunk-size rule of `SChunk`'s docs.
struct Model {
    chunks: Vec<Vec<u8>>,
    variable: bool,
    chunksize: Option<usize>,
}

impl Model {
    fn can_place(&self, i: usize, n: usize, replace: bool) -> bool {
        let len = self.chunks.len();
        if n == 0 || (replace && i >= len) || (!replace && i > len) {
            return false;
        }
        if self.variable {
            return true;
        }
        let cs = self.chunksize.unwrap_or(n);
        let is_last = if replace { i + 1 == len } else { i == len };
        if n > cs || (!is_last && n != cs) {
            return false;
        }
        !(!replace && i == len && len > 0 && self.chunks[len - 1].len() != cs)
    }

    fn place(&mut self, i: usize, data: Vec<u8>, replace: bool) {
        if !self.variable && self.chunksize.is_none() {
            self.chunksize = Some(data.len());
        }
        if replace {
            self.chunks[i] = data;
        } else {
            self.chunks.insert(i, data);
        }
    }
}

/// The super-chunk equals the model.
fn check_model(sc: &SChunk, m: &Model) {
    assert_eq!(sc.nchunks(), m.chunks.len());
    assert_eq!(
        sc.nbytes(),
        m.chunks.iter().map(|c| c.len() as u64).sum::<u64>()
    );
    assert_eq!(sc.is_variable(), m.variable);
    if !m.variable {
        assert_eq!(sc.chunksize(), m.chunksize);
    }
    for (i, want) in m.chunks.iter().enumerate() {
        assert_eq!(sc.chunk_nbytes(i).unwrap(), want.len());
        let mut buf = vec![0xC3u8; want.len() + 3];
        let n = sc.decompress_chunk(i, &mut buf).unwrap();
        assert_eq!(n, want.len());
        assert!(buf[..n] == want[..], "chunk {i} differs from the model");
        assert!(buf[n..].iter().all(|&b| b == 0xC3));
        sc.chunk_info(i).unwrap();
    }
}

/// Fuzz target `schunk_model`: a sequence of operations (append, insert, update, delete,
/// special chunks, reads, frame roundtrips, corrupted chunks, failing writers, metadata) on an
/// `SChunk` and on a `Vec<Vec<u8>>`. Oracle: after every operation the super-chunk equals the
/// model; an operation fails exactly when the model says it must, and then changes nothing
/// (its frame bytes are identical before and after).
pub fn schunk_model(data: &[u8]) {
    let mut inp = Input::new(data);
    let ts = [1, 2, 4, 8][inp.below(4)];
    let codecs = compressible_codecs();
    let cp = CParams::default()
        .codec(codecs[inp.below(codecs.len())])
        .clevel(inp.below(10) as u8)
        .typesize(ts)
        .filters(&[[
            Filter::NoFilter,
            Filter::Shuffle,
            Filter::BitShuffle,
            Filter::Delta,
        ][inp.below(4)]]);
    let variable = inp.below(4) == 0;
    let mut sc = SChunk::new(cp.clone()).unwrap();
    if variable {
        sc = sc.with_variable_chunks();
    }
    let mut m = Model {
        chunks: Vec::new(),
        variable,
        chunksize: None,
    };
    // Sizes are drawn from a small set so fixed-mode rules are met often enough.
    let sizes = [ts * 64, ts * 64, ts * 17, 1 + inp.below(700)];
    let mut vl_names: Vec<String> = Vec::new();
    for step in 0..32 {
        if inp.is_empty() {
            break;
        }
        let before = sc.to_frame().unwrap();
        let n = m.chunks.len();
        let op = inp.below(12);
        let i = inp.below(n + 2);
        let size = sizes[inp.below(sizes.len())];
        let kind = inp.u8();
        let fill = inp.u8();
        let data = payload(kind, size, ts, &[fill, kind], u64::from(fill));
        let ok: bool = match op {
            0 | 1 => {
                let i = if op == 0 { n } else { i };
                let expect = m.can_place(i, data.len(), false);
                let r = sc.insert_buffer(i, &data);
                assert_eq!(r.is_ok(), expect, "step {step}: insert_buffer({i}) {r:?}");
                if expect {
                    m.place(i, data, false);
                }
                expect
            }
            2 => {
                let expect = m.can_place(i, data.len(), true);
                let r = sc.update_buffer(i, &data);
                assert_eq!(r.is_ok(), expect, "step {step}: update_buffer({i}) {r:?}");
                if expect {
                    m.place(i, data, true);
                }
                expect
            }
            3 => {
                let r = sc.delete_chunk(i);
                assert_eq!(r.is_ok(), i < n, "step {step}: delete_chunk({i})");
                if i < n {
                    m.chunks.remove(i);
                }
                i < n
            }
            // Special chunks: zeros, or a repeated value of the typesize.
            4 => {
                let nb = size / ts * ts;
                let (special, content) = if fill.is_multiple_of(2) {
                    (SpecialKind::Zeros, vec![0u8; nb])
                } else {
                    let v: Vec<u8> = (0..ts as u8).map(|k| k ^ fill).collect();
                    (SpecialKind::Value(v.clone()), v.repeat(nb / ts))
                };
                let expect = m.can_place(n, nb, false);
                let r = sc.append_special(&special, nb);
                assert_eq!(r.is_ok(), expect, "step {step}: append_special {r:?}");
                if expect {
                    m.place(n, content, false);
                }
                expect
            }
            // A chunk compressed elsewhere (other parameters), inserted or updating.
            5 => {
                let other = CParams::default()
                    .codec(Codec::BloscLz)
                    .typesize(1 + usize::from(fill % 8));
                let chunk = blockcodec::compress(&data, &other).unwrap();
                let replace = kind.is_multiple_of(2);
                let expect = m.can_place(i, data.len(), replace);
                let r = if replace {
                    sc.update_chunk(i, chunk).map(|()| 0)
                } else {
                    sc.insert_chunk(i, chunk)
                };
                assert_eq!(r.is_ok(), expect, "step {step}: foreign chunk {r:?}");
                if expect {
                    m.place(i, data, replace);
                }
                expect
            }
            // A corrupted chunk: cbytes disagrees with the buffer, or the header is cut.
            6 => {
                let mut chunk = blockcodec::compress(&data, &cp).unwrap();
                if kind.is_multiple_of(2) {
                    chunk.push(0);
                } else {
                    chunk.truncate(usize::from(fill) % 16);
                }
                assert!(sc.update_chunk(i, chunk.clone()).is_err());
                assert!(sc.insert_chunk(i.min(n), chunk).is_err());
                false
            }
            // Frame roundtrip (in memory, or through a writer).
            7 => {
                let frame = if kind.is_multiple_of(2) {
                    sc.to_frame().unwrap()
                } else {
                    let mut v = Vec::new();
                    let len = sc.write_frame_to(&mut v).unwrap();
                    assert_eq!(len, v.len() as u64);
                    v
                };
                assert_eq!(frame, before, "to_frame and write_frame_to differ");
                let back = SChunk::from_frame(&frame, &FrameLimits::default()).unwrap();
                if variable {
                    assert!(back.is_variable());
                }
                sc = back;
                true
            }
            // A writer that fails part-way: an `Io` error, the super-chunk unchanged.
            8 => {
                let budget = usize::from(inp.u16()) % before.len().max(1);
                let mut w = FailingWriter {
                    budget,
                    written: Vec::new(),
                };
                let r = sc.write_frame_to(&mut w);
                assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::Io));
                assert!(before.starts_with(&w.written));
                false
            }
            // A truncated frame does not open.
            9 => {
                let cut = usize::from(inp.u16()) % before.len().max(1);
                assert!(SChunk::from_frame(&before[..cut], &FrameLimits::default()).is_err());
                false
            }
            // Variable-length metalayers.
            10 => {
                let name = format!("k{}", fill % 4);
                if kind.is_multiple_of(3) {
                    let r = sc.vlmeta_delete(&name);
                    let had = vl_names.contains(&name);
                    assert_eq!(r.is_ok(), had);
                    vl_names.retain(|n| *n != name);
                    had
                } else {
                    sc.vlmeta_set(&name, &data).unwrap();
                    if !vl_names.contains(&name) {
                        vl_names.push(name.clone());
                    }
                    assert_eq!(sc.vlmeta_get(&name).unwrap().as_deref(), Some(&data[..]));
                    true
                }
            }
            // Reads and out-of-range accesses.
            _ => {
                let mut buf = vec![0u8; 8];
                if i >= n {
                    assert_eq!(
                        sc.decompress_chunk(i, &mut buf).map_err(|e| e.kind()),
                        Err(ErrorKind::InvalidParam)
                    );
                    assert!(sc.get_chunk(i).is_err() && sc.chunk_info(i).is_err());
                } else if m.chunks[i].len() > 1 {
                    let mut short = vec![0u8; m.chunks[i].len() - 1];
                    assert_eq!(
                        sc.decompress_chunk(i, &mut short).map_err(|e| e.kind()),
                        Err(ErrorKind::OutputTooSmall)
                    );
                }
                false
            }
        };
        if !ok {
            assert!(
                sc.to_frame().unwrap() == before,
                "step {step}: a failed op changed state"
            );
        }
        assert_eq!(sc.vlmeta_names(), vl_names);
        check_model(&sc, &m);
    }
    // Whatever happened, the result is a frame that opens to the same content.
    let frame = sc.to_frame().unwrap();
    let back = SChunk::from_frame(&frame, &FrameLimits::default()).unwrap();
    check_model(&back, &m);
}
