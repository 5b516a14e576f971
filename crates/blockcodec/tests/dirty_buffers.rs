//! Dirty buffers (hardening.md §3.5 item 6, §3.3 item 24): decoding into a buffer pre-filled
//! with 0xFF (or noise) gives the same bytes as decoding into zeros, for every golden chunk and
//! every entry point, and bytes past the result are left alone. Compressing into a dirty
//! destination gives the same chunk as into a clean one.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use blockcodec::{CParams, ChunkHeader, Codec, DParams, Filter, FrameLimits, SChunk, SplitMode};

fn data_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(sub)
}

fn files(sub: &str, ext: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(data_dir(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s as u8
        })
        .collect()
}

/// Decodes `chunk` into zeros, 0xFF and noise (with 1 and 3 threads) and checks they agree.
/// Returns how many chunks decoded (the rest are codecs this build lacks).
fn check_chunk(name: &str, chunk: &[u8]) -> bool {
    let h = ChunkHeader::parse(chunk).unwrap();
    let n = h.nbytes();
    let slack = 13;
    let mut clean = vec![0u8; n + slack];
    let r = blockcodec::decompress_into(chunk, &mut clean);
    let Ok(written) = r else {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), blockcodec::ErrorKind::Unsupported, "{name}: {e}");
        return false;
    };
    assert_eq!(written, n);
    for (k, fill) in [vec![0xFFu8; n + slack], noise(n + slack, n as u64)]
        .into_iter()
        .enumerate()
    {
        for nthreads in [1, 3] {
            let mut dirty = fill.clone();
            let dp = DParams::default().nthreads(nthreads);
            assert_eq!(
                blockcodec::decompress_into_with(chunk, &mut dirty, &dp),
                Ok(n)
            );
            assert!(
                dirty[..n] == clean[..n],
                "{name}: dirty buffer {k} ({nthreads} threads)"
            );
            assert!(dirty[n..] == fill[n..], "{name}: wrote past nbytes");
        }
    }
    // getitem into dirty buffers: a head, a middle and a tail range.
    let ts = h.typesize();
    let items = n / ts;
    for (start, count) in [
        (0, items.min(7)),
        (items / 3, (items / 3).min(1000)),
        (items.saturating_sub(5), items.min(5)),
    ] {
        let len = count * ts;
        let mut out = vec![0xFFu8; len + 3];
        assert_eq!(blockcodec::getitem(chunk, start, count, &mut out), Ok(len));
        assert!(
            out[..len] == clean[start * ts..start * ts + len],
            "{name}: getitem({start}, {count})"
        );
        assert_eq!(
            &out[len..],
            &[0xFF; 3],
            "{name}: getitem wrote past its range"
        );
    }
    true
}

#[test]
fn golden_chunks_decode_the_same_into_dirty_buffers() {
    let mut decoded = 0;
    let mut total = 0;
    for (name, chunk) in files("reference", "b2chunk")
        .into_iter()
        .chain(files("compat", "cdata"))
    {
        total += 1;
        if check_chunk(&name, &chunk) {
            decoded += 1;
        }
    }
    assert!(total > 300, "golden chunks missing ({total})");
    assert!(
        decoded * 2 > total,
        "only {decoded} of {total} golden chunks decode"
    );
}

#[test]
fn own_chunks_decode_the_same_into_dirty_buffers() {
    let data: Vec<u8> = (0..200_003u32)
        .map(|i| ((i / 3) ^ (i >> 9)) as u8)
        .collect();
    for codec in Codec::ALL.into_iter().filter(|c| c.can_compress()) {
        for filters in [
            &[][..],
            &[Filter::Shuffle],
            &[Filter::BitShuffle],
            &[Filter::Delta, Filter::Shuffle],
        ] {
            for split in [SplitMode::Always, SplitMode::Never] {
                let cp = CParams::default()
                    .codec(codec)
                    .typesize(4)
                    .filters(filters)
                    .splitmode(split)
                    .blocksize(1 << 14);
                let chunk = blockcodec::compress(&data, &cp).unwrap();
                assert!(check_chunk(
                    &format!("{codec}/{filters:?}/{split:?}"),
                    &chunk
                ));
                // Compressing into a dirty, larger destination gives the same chunk. (Bytes past
                // the chunk are the writer's workspace, as in C-Blosc2: not checked.)
                let mut dst = vec![0xFFu8; data.len() + 100];
                let m = blockcodec::compress_into(&data, &mut dst, &cp).unwrap();
                assert!(
                    dst[..m] == chunk[..],
                    "compress_into a dirty buffer differs"
                );
            }
        }
    }
    let cp = CParams::default().typesize(8);
    for chunk in [
        blockcodec::chunk_zeros(80_000, &cp).unwrap(),
        blockcodec::chunk_nans(80_000, &cp).unwrap(),
        blockcodec::chunk_uninit(80_000, &cp).unwrap(),
        blockcodec::chunk_repeat(90_000, &[1, 2, 3, 4, 5, 6, 7, 8, 9], &cp).unwrap(),
    ] {
        assert!(check_chunk("special", &chunk));
    }
}

#[test]
fn frame_chunks_decode_the_same_into_dirty_buffers() {
    for (name, frame) in files("frames", "b2frame") {
        let Ok(sc) = SChunk::from_frame(&frame, &FrameLimits::default()) else {
            continue;
        };
        for i in 0..sc.nchunks() {
            let n = sc.chunk_nbytes(i).unwrap();
            let mut clean = vec![0u8; n];
            let Ok(_) = sc.decompress_chunk(i, &mut clean) else {
                continue;
            };
            let mut dirty = vec![0xFFu8; n + 5];
            assert_eq!(sc.decompress_chunk(i, &mut dirty), Ok(n));
            assert!(dirty[..n] == clean[..], "{name} chunk {i}");
            assert_eq!(
                &dirty[n..],
                &[0xFF; 5],
                "{name} chunk {i}: wrote past nbytes"
            );
        }
    }
}
