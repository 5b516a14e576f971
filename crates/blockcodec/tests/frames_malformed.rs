//! Malformed frames (hardening.md §3.3 cases 26–32, blosc-format.md §9.3): each hand-built frame
//! is wrong in one place and must give a specific `ErrorKind`, never a panic. Plus a seeded
//! mutation loop over valid frames.

#![allow(clippy::unwrap_used, clippy::panic)]

mod frames_util;

use std::panic::{AssertUnwindSafe, catch_unwind};

use blockcodec::{CParams, Codec, ErrorKind, FrameLimits, Limits, SChunk, SpecialKind};
use frames_util::{FrameBuilder, NANS, ZEROS, chunk_header, memcpy_chunk, offsets_chunk};

fn parse(frame: &[u8]) -> Result<SChunk, ErrorKind> {
    parse_with(frame, &FrameLimits::default())
}

fn parse_with(frame: &[u8], limits: &FrameLimits) -> Result<SChunk, ErrorKind> {
    catch_unwind(AssertUnwindSafe(|| SChunk::from_frame(frame, limits)))
        .unwrap_or_else(|_| panic!("from_frame panicked"))
        .map_err(|e| e.kind())
}

#[track_caller]
fn expect(frame: &[u8], kind: ErrorKind) {
    match parse(frame) {
        Ok(_) => panic!("expected {kind:?}, the frame was accepted"),
        Err(k) => assert_eq!(k, kind),
    }
}

#[track_caller]
fn expect_b(b: &FrameBuilder, kind: ErrorKind) {
    expect(&b.build(), kind);
}

#[test]
fn builder_baseline_is_valid() {
    let sc = parse(&FrameBuilder::valid().build()).unwrap();
    assert_eq!(sc.nchunks(), 3);
    assert_eq!(sc.nbytes(), 100);
    let data = sc.decompress_all(&Limits::default()).unwrap();
    let mut want: Vec<u8> = (0..10i32).flat_map(|i| i.to_le_bytes()).collect();
    want.extend_from_slice(&[0; 40]);
    want.extend((10..15i32).flat_map(|i| i.to_le_bytes()));
    assert_eq!(data, want);
    assert_eq!(sc.meta("m"), Some(&[7u8][..]));
    assert_eq!(sc.vlmeta_get("k").unwrap().unwrap(), b"\xa1v");
}

// ----- 26: magic, markers, header_len ---------------------------------------------------------

#[test]
fn case26_magic_markers_header_len() {
    let good = FrameBuilder::valid().build();
    let mut bad = good.clone();
    bad[5] = b'X';
    expect(&bad, ErrorKind::InvalidData);
    for pos in [0usize, 1, 10, 15, 24, 29, 38, 47, 52, 57, 62, 65, 68, 69] {
        let mut bad = good.clone();
        bad[pos] ^= 0x40;
        expect(&bad, ErrorKind::InvalidData);
    }
    for hl in [0, 50, 86, -1, i32::MIN] {
        expect_b(
            &FrameBuilder {
                header_len: Some(hl),
                ..FrameBuilder::valid()
            },
            ErrorKind::InvalidData,
        );
    }
    // header_len beyond frame_len, and inside the frame but past the metalayers.
    expect_b(
        &FrameBuilder {
            header_len: Some(good.len() as i32 + 1),
            ..FrameBuilder::valid()
        },
        ErrorKind::InvalidData,
    );
    expect_b(
        &FrameBuilder {
            header_len: Some(200),
            ..FrameBuilder::valid()
        },
        ErrorKind::InvalidData,
    );
    for n in 0..87 {
        expect(&good[..n], ErrorKind::InvalidData);
    }
}

// ----- 27: frame_len and trailer_len ----------------------------------------------------------

#[test]
fn case27_frame_and_trailer_len() {
    let good = FrameBuilder::valid().build();
    let len = good.len();
    // Shorter buffer: truncated.
    for cut in [1, 10, 23, 100] {
        expect(&good[..len - cut], ErrorKind::InvalidData);
    }
    // Longer buffer: trailing bytes are refused (embed frames by slicing them out).
    expect_b(
        &FrameBuilder {
            trailing: vec![0; 5],
            ..FrameBuilder::valid()
        },
        ErrorKind::InvalidData,
    );
    for fl in [0u64, 86, len as u64 - 1, len as u64 + 1, u64::MAX] {
        expect_b(
            &FrameBuilder {
                frame_len: Some(fl),
                ..FrameBuilder::valid()
            },
            ErrorKind::InvalidData,
        );
    }
    // frame_len above the caller's limit.
    let limits = FrameLimits {
        max_frame_len: len as u64 - 1,
        ..FrameLimits::default()
    };
    assert_eq!(
        parse_with(&good, &limits).unwrap_err(),
        ErrorKind::LimitExceeded
    );
    // trailer_len: beyond the frame, below the minimum, into the header, into the data.
    for tl in [u32::MAX, len as u32 + 1, len as u32 - 90, 24, 0, 60] {
        expect_b(
            &FrameBuilder {
                trailer_len: Some(tl),
                ..FrameBuilder::valid()
            },
            ErrorKind::InvalidData,
        );
    }
    // The trailer_len marker.
    let mut bad = good.clone();
    bad[len - 23] = 0xD2;
    expect(&bad, ErrorKind::InvalidData);
    let mut bad = good.clone();
    bad[len - 18] = 0xD7;
    expect(&bad, ErrorKind::InvalidData);
    // Trailer structure: array marker, version (fixint 0..=1 known), vlmeta markers.
    let tlen = u32::from_be_bytes(good[len - 22..len - 18].try_into().unwrap()) as usize;
    let tstart = len - tlen;
    assert_eq!(good[tstart], 0x94);
    for (off, val, kind) in [
        (0, 0x95, ErrorKind::InvalidData),
        (1, 0x02, ErrorKind::Unsupported),
        (1, 0x80, ErrorKind::InvalidData),
        (2, 0x92, ErrorKind::InvalidData),
        (3, 0xCC, ErrorKind::InvalidData),
        (6, 0xDF, ErrorKind::InvalidData),
    ] {
        let mut bad = good.clone();
        bad[tstart + off] = val;
        expect(&bad, kind);
    }
    let mut old = good.clone();
    old[tstart + 1] = 0; // pre-beta2 trailer version: still read
    parse(&old).unwrap();
}

// ----- 28: nchunks, index chunk, flags --------------------------------------------------------

#[test]
fn case28_nchunks_and_index_chunk() {
    let v = FrameBuilder::valid;
    for nb in [-1i64, i64::MIN] {
        expect_b(
            &FrameBuilder {
                nbytes: Some(nb),
                ..v()
            },
            ErrorKind::InvalidData,
        );
    }
    expect_b(
        &FrameBuilder {
            cbytes: Some(-1),
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // cbytes running into the trailer.
    expect_b(
        &FrameBuilder {
            cbytes: Some(1 << 40),
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // nbytes/chunksize disagree with the index (too many, too few, huge).
    for nb in [140i64, 60, 1 << 40] {
        expect_b(
            &FrameBuilder {
                nbytes: Some(nb),
                ..v()
            },
            ErrorKind::InvalidData,
        );
    }
    expect_b(
        &FrameBuilder {
            chunksize: 1,
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // Negative chunksize with data.
    expect_b(
        &FrameBuilder {
            chunksize: -1,
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // Index of 7 bytes (not a multiple of 8); index missing.
    expect_b(
        &FrameBuilder {
            offsets_chunk: Some(memcpy_chunk(&[0; 7], 8)),
            ..v()
        },
        ErrorKind::InvalidData,
    );
    expect_b(
        &FrameBuilder {
            no_offsets_chunk: true,
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // The index chunk itself malformed: bad cbytes, truncated header, lazy bit set.
    let mut oc = offsets_chunk(&[0, ZEROS, 72]);
    oc[12] = 0xFF;
    expect_b(
        &FrameBuilder {
            offsets_chunk: Some(oc),
            ..v()
        },
        ErrorKind::InvalidData,
    );
    let mut oc = offsets_chunk(&[0, ZEROS, 72]);
    oc[31] = 0x08;
    expect_b(
        &FrameBuilder {
            offsets_chunk: Some(oc),
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // An index chunk in a codec this build cannot decode (reserved format code 5).
    let mut oc = chunk_header(0xA5, 8, 24, 24, 32 + 4 + 4 + 10, 0);
    oc[0x16] = 5;
    oc.extend_from_slice(&36i32.to_le_bytes());
    oc.extend_from_slice(&10i32.to_le_bytes());
    oc.extend_from_slice(&[0; 10]);
    expect_b(
        &FrameBuilder {
            offsets_chunk: Some(oc),
            ..v()
        },
        ErrorKind::Unsupported,
    );
    // Index typesize other than 8: C accepts it, so do we.
    let raw: Vec<u8> = [0i64, ZEROS, 72]
        .iter()
        .flat_map(|o| o.to_le_bytes())
        .collect();
    parse(
        &FrameBuilder {
            offsets_chunk: Some(memcpy_chunk(&raw, 1)),
            ..v()
        }
        .build(),
    )
    .unwrap();
    // More chunks than the caller allows.
    let limits = FrameLimits {
        max_chunks: 2,
        ..FrameLimits::default()
    };
    assert_eq!(
        parse_with(&v().build(), &limits).unwrap_err(),
        ErrorKind::LimitExceeded
    );
    // A 40-byte repeated-value index claiming 2^28 - 1 zero chunks: refused by the default
    // limits before the index is allocated.
    let mut oc = chunk_header(0x05, 8, 8 * 268_435_455, 16384, 40, 0x30);
    oc.extend_from_slice(&ZEROS.to_le_bytes());
    expect_b(
        &FrameBuilder {
            offsets_chunk: Some(oc),
            chunks: vec![],
            offsets: Some(vec![]),
            nbytes: Some(268_435_455 * 40),
            ..v()
        },
        ErrorKind::LimitExceeded,
    );
    // Flags: offset width, frame version, filter count, typesize.
    for gf in [0x02u8, 0x22, 0x32, 0x14, 0x1F] {
        expect_b(
            &FrameBuilder {
                general_flags: gf,
                ..v()
            },
            ErrorKind::Unsupported,
        );
    }
    expect_b(&FrameBuilder { nfilters: 7, ..v() }, ErrorKind::InvalidData);
    for ts in [0, -4] {
        expect_b(
            &FrameBuilder {
                typesize: ts,
                ..v()
            },
            ErrorKind::InvalidData,
        );
    }
}

// ----- 29: offsets ----------------------------------------------------------------------------

#[test]
fn case29_offsets() {
    let v = FrameBuilder::valid;
    let with = |offs: Vec<i64>| FrameBuilder {
        offsets: Some(offs),
        ..v()
    };
    // Into the index chunk (== cbytes), into the trailer, past everything.
    for o in [144i64, 150, 300, i64::MAX] {
        expect_b(&with(vec![0, ZEROS, o]), ErrorKind::InvalidData);
    }
    // Into the middle of another chunk / two offsets equal.
    expect_b(&with(vec![0, ZEROS, 0]), ErrorKind::InvalidData);
    expect_b(&with(vec![0, ZEROS, 40]), ErrorKind::InvalidData);
    // Negative without the special marker, reserved special ids, stray low bits.
    for o in [
        -1i64,
        0x8300_0000_0000_0000u64 as i64,
        0x8000_0000_0000_0000u64 as i64,
        0x8500_0000_0000_0000u64 as i64,
        ZEROS | 1,
    ] {
        expect_b(&with(vec![0, o, 72]), ErrorKind::InvalidData);
    }
    // NaN specials need typesize 4 or 8.
    parse(&with(vec![0, NANS, 72]).build()).unwrap();
    expect_b(
        &FrameBuilder {
            typesize: 2,
            ..with(vec![0, NANS, 72])
        },
        ErrorKind::InvalidData,
    );
    // Special offsets need a chunksize.
    expect_b(
        &FrameBuilder {
            chunksize: 0,
            general_flags: 0x53,
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // Reordered offsets are fine (C reorders and inserts by editing offsets).
    let b = FrameBuilder {
        chunks: vec![memcpy_chunk(&[2u8; 40], 4), memcpy_chunk(&[1u8; 40], 4)],
        offsets: Some(vec![72, 0]),
        nbytes: Some(80),
        ..FrameBuilder::default()
    };
    let sc = parse(&b.build()).unwrap();
    let data = sc.decompress_all(&Limits::default()).unwrap();
    assert_eq!(&data[..40], &[1u8; 40]);
    assert_eq!(&data[40..], &[2u8; 40]);
}

// ----- 30: a chunk running past the data section ----------------------------------------------

#[test]
fn case30_chunk_past_data_section() {
    let mut c2 = memcpy_chunk(&[5u8; 20], 4);
    c2[12..16].copy_from_slice(&200i32.to_le_bytes());
    expect_b(
        &FrameBuilder {
            chunks: vec![memcpy_chunk(&[1u8; 40], 4), c2],
            ..FrameBuilder::valid()
        },
        ErrorKind::InvalidData,
    );
    // A chunk too short for its own header at the end of the data section.
    let b = FrameBuilder {
        chunks: vec![memcpy_chunk(&[1u8; 40], 4), vec![5, 1, 7, 4, 0, 0, 0]],
        nbytes: Some(100),
        ..FrameBuilder::valid()
    };
    expect_b(&b, ErrorKind::InvalidData);
    // cbytes below the header.
    let mut c2 = memcpy_chunk(&[5u8; 20], 4);
    c2[12..16].copy_from_slice(&8i32.to_le_bytes());
    expect_b(
        &FrameBuilder {
            chunks: vec![memcpy_chunk(&[1u8; 40], 4), c2],
            ..FrameBuilder::valid()
        },
        ErrorKind::InvalidData,
    );
}

// ----- 31: chunk size disagreeing with a fixed chunksize --------------------------------------

#[test]
fn case31_chunk_size_vs_chunksize() {
    // First chunk short (30 bytes) in a chunksize-40 frame.
    let b = FrameBuilder {
        chunks: vec![memcpy_chunk(&[1u8; 30], 4), memcpy_chunk(&[5u8; 20], 4)],
        offsets: Some(vec![0, ZEROS, 62]),
        nbytes: Some(100),
        ..FrameBuilder::valid()
    };
    expect_b(&b, ErrorKind::InvalidData);
    // Last chunk larger than nbytes % chunksize says.
    let b = FrameBuilder {
        chunks: vec![memcpy_chunk(&[1u8; 40], 4), memcpy_chunk(&[5u8; 30], 4)],
        ..FrameBuilder::valid()
    };
    expect_b(&b, ErrorKind::InvalidData);
    // Variable-size frame whose chunks do not add up to nbytes.
    let b = FrameBuilder {
        chunksize: 0,
        general_flags: 0x53,
        chunks: vec![memcpy_chunk(&[1u8; 40], 4), memcpy_chunk(&[5u8; 30], 4)],
        offsets: None,
        nbytes: Some(71),
        ..FrameBuilder::valid()
    };
    expect_b(&b, ErrorKind::InvalidData);
    let ok = FrameBuilder {
        nbytes: Some(70),
        ..b
    };
    let sc = parse(&ok.build()).unwrap();
    assert!(sc.is_variable());
}

// ----- 32: metalayers, vlmetalayers, fingerprint, frame type ----------------------------------

#[test]
fn case32_metalayers_and_types() {
    let v = FrameBuilder::valid;
    // 17 metalayers.
    let many: Vec<(Vec<u8>, Vec<u8>)> = (0..17)
        .map(|i| (format!("m{i}").into_bytes(), vec![1]))
        .collect();
    expect_b(
        &FrameBuilder {
            metalayers: many,
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // Count above the entries present (and 0xFFFF).
    for n in [2u16, 0xFFFF] {
        expect_b(
            &FrameBuilder {
                meta_count: Some(n),
                ..v()
            },
            ErrorKind::InvalidData,
        );
    }
    // Content offset out of range, pointing into the index, at a wrong marker.
    for off in [-1i32, 0, 90, 10_000, i32::MAX] {
        expect_b(
            &FrameBuilder {
                meta0_offset: Some(off),
                ..v()
            },
            ErrorKind::InvalidData,
        );
    }
    // Name running past the header: a fixstr of 31 bytes with only 1 present.
    let mut bad = v().build();
    let at = 87 + 7;
    assert_eq!(bad[at], 0xA1);
    bad[at] = 0xBF;
    expect(&bad, ErrorKind::InvalidData);
    // Name marker not a fixstr.
    let mut bad = v().build();
    bad[at] = 0xD9;
    expect(&bad, ErrorKind::InvalidData);
    // Duplicate names.
    expect_b(
        &FrameBuilder {
            metalayers: vec![(b"a".to_vec(), vec![1]), (b"a".to_vec(), vec![2])],
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // Non-UTF-8 name.
    expect_b(
        &FrameBuilder {
            metalayers: vec![(vec![0xFF, 0xFE], vec![1])],
            ..v()
        },
        ErrorKind::InvalidData,
    );
    // vlmetalayer count 0xFFFF (decoded as u16, refused against the maximum and the bytes).
    for n in [0xFFFFu16, 2, 8193] {
        expect_b(
            &FrameBuilder {
                vlmeta_count: Some(n),
                ..v()
            },
            ErrorKind::InvalidData,
        );
    }
    // Metadata above the caller's limit.
    let limits = FrameLimits {
        max_meta_len: 4,
        ..FrameLimits::default()
    };
    let big = FrameBuilder {
        metalayers: vec![(b"big".to_vec(), vec![0; 100])],
        ..v()
    };
    assert_eq!(
        parse_with(&big.build(), &limits).unwrap_err(),
        ErrorKind::LimitExceeded
    );
    // Fingerprint types: only 0 (none) is defined.
    for fp in [1u8, 3, 0xFF] {
        expect_b(
            &FrameBuilder {
                fingerprint_type: fp,
                ..v()
            },
            ErrorKind::Unsupported,
        );
    }
    // Frame types: sparse index and user types are not contiguous frames.
    for ft in [1u8, 0x10, 0xFF] {
        expect_b(
            &FrameBuilder {
                frame_type: ft,
                ..v()
            },
            ErrorKind::Unsupported,
        );
    }
    // A corrupt vlmeta chunk parses, but reading it is InvalidData.
    let b = FrameBuilder {
        vlmeta: vec![(b"k".to_vec(), vec![5, 1, 7, 8, 9, 9])],
        ..v()
    };
    let sc = parse(&b.build()).unwrap();
    assert_eq!(
        sc.vlmeta_get("k").unwrap_err().kind(),
        ErrorKind::InvalidData
    );
}

// ----- mutation loop ---------------------------------------------------------------------------

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut out = vec![FrameBuilder::valid().build()];
    let cp = CParams::default().codec(Codec::Lz4).typesize(4);
    let mut sc = SChunk::new(cp).unwrap().with_chunksize(400).unwrap();
    sc.meta_add(
        "b2nd",
        &[
            0x97, 0, 1, 0x91, 0x05, 0x91, 0x05, 0x91, 0x05, 0, 0xA3, b'<', b'i', b'4',
        ],
    )
    .unwrap();
    for i in 0..12u8 {
        if i % 4 == 1 {
            sc.append_special(&SpecialKind::Zeros, 400).unwrap();
        } else {
            let data: Vec<u8> = (0..400u32).map(|j| (j / 3) as u8 ^ i).collect();
            sc.append_buffer(&data).unwrap();
        }
    }
    sc.append_buffer(&[3u8; 100]).unwrap();
    sc.vlmeta_add("a", b"\xa5hello").unwrap();
    sc.vlmeta_add("b", &[0x92, 1, 2]).unwrap();
    out.push(sc.to_frame().unwrap());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/frames");
    for name in [
        "py-cframe-vlmeta.b2frame",
        "py-file-many.b2frame",
        "py-fill-zeros.b2frame",
    ] {
        out.push(std::fs::read(dir.join(name)).unwrap());
    }
    out
}

/// Everything a reader might do with a frame; must never panic.
fn exercise(frame: &[u8]) {
    let Ok(sc) = SChunk::from_frame(frame, &FrameLimits::default()) else {
        return;
    };
    for i in 0..sc.nchunks().min(64) {
        let _ = sc.chunk_info(i);
        let mut buf = vec![0u8; sc.chunk_nbytes(i).unwrap().min(1 << 20)];
        let _ = sc.decompress_chunk(i, &mut buf);
    }
    for name in sc.vlmeta_names() {
        let _ = sc.vlmeta_get(name);
    }
    let _ = sc.b2nd();
    if let Ok(f) = sc.to_frame() {
        // Whatever we accepted, we write in a form we accept again.
        SChunk::from_frame(&f, &FrameLimits::default()).unwrap();
    }
}

#[test]
fn mutation_loop_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for seed in seeds() {
        for _ in 0..1500 {
            let mut f = seed.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(f.len());
                match rng.below(4) {
                    0 => f[at] = rng.next() as u8,
                    1 => f[at] ^= 1 << rng.below(8),
                    2 => f[at] = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)],
                    _ => {
                        let n = rng.below(9).min(f.len() - at);
                        let v = rng.next().to_le_bytes();
                        f[at..at + n].copy_from_slice(&v[..n]);
                    }
                }
            }
            if rng.below(20) == 0 {
                let keep = rng.below(f.len());
                f.truncate(keep);
            }
            let r = catch_unwind(AssertUnwindSafe(|| exercise(&f)));
            assert!(r.is_ok(), "panic on a mutated frame: {f:02x?}");
        }
    }
}
