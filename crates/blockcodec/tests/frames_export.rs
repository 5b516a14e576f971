//! Frames written by this crate, for python-blosc2 to read back (`tools/frame_interop.py`).
//!
//! With `BLOCKCODEC_FRAME_EXPORT_DIR` set, [`export_frames`] writes the frames and an
//! `expected.json` (sizes, SHA-256 of the data, vlmeta values, metalayer bytes, NDArray
//! geometry) there; otherwise it writes them to a temporary directory and only checks that this
//! crate reads them back as described.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use blockcodec::{
    B2ndMeta, CParams, Codec, Filter, FrameLimits, Limits, MsgValue, SChunk, SpecialKind,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn s(v: &str) -> MsgValue {
    MsgValue::Str(v.to_owned())
}

fn ramp_i32(n: usize, offset: i32) -> Vec<u8> {
    (0..n as i32)
        .flat_map(|i| ((i * 7 + offset) % 1000).to_le_bytes())
        .collect()
}

struct Frame {
    name: &'static str,
    sc: SChunk,
    /// What python-blosc2 should decode the vlmetalayers to (JSON) — values are msgpack.
    vlmeta: Vec<(&'static str, MsgValue, Value)>,
    ndarray: Option<Value>,
}

fn frames() -> Vec<Frame> {
    let mut out = Vec::new();

    // Fixed chunks (3 full, one short), LZ4 + shuffle, metalayers, vlmeta of several types,
    // a zero special chunk in the middle (stored as a special offset).
    let cp = CParams::default()
        .codec(Codec::Lz4)
        .clevel(5)
        .typesize(4)
        .filters(&[Filter::Shuffle]);
    let mut sc = SChunk::new(cp).unwrap();
    sc.meta_add("layer", &MsgValue::Int(7).to_msgpack().unwrap())
        .unwrap();
    sc.meta_add("bytes", &MsgValue::Bin(vec![1, 2, 3]).to_msgpack().unwrap())
        .unwrap();
    sc.append_buffer(&ramp_i32(1000, 0)).unwrap();
    sc.append_special(&SpecialKind::Zeros, 4000).unwrap();
    sc.append_buffer(&ramp_i32(1000, 3)).unwrap();
    sc.append_buffer(&ramp_i32(250, 9)).unwrap();
    let vlmeta = vec![
        (
            "title",
            s("written by blockcodec"),
            json!("written by blockcodec"),
        ),
        ("answer", MsgValue::Int(42), json!(42)),
        ("ratio", MsgValue::Float(0.25), json!(0.25)),
        (
            "list",
            MsgValue::Array(vec![MsgValue::Int(1), s("two"), MsgValue::Nil]),
            json!([1, "two", null]),
        ),
        (
            "dict",
            MsgValue::Map(vec![
                (s("a"), MsgValue::Bool(true)),
                (s("b"), MsgValue::Int(-5)),
            ]),
            json!({"a": true, "b": -5}),
        ),
        (
            "long",
            MsgValue::Array((0..200).map(MsgValue::Int).collect()),
            Value::Array((0..200).map(Value::from).collect()),
        ),
    ];
    out.push(Frame {
        name: "rs-fixed-lz4.b2frame",
        sc,
        vlmeta,
        ndarray: None,
    });

    // Variable chunk sizes with BloscLZ; a NaN special chunk must then be stored as bytes.
    let cp = CParams::default()
        .codec(Codec::BloscLz)
        .clevel(9)
        .typesize(4)
        .filters(&[Filter::Shuffle]);
    let mut sc = SChunk::new(cp).unwrap().with_variable_chunks();
    for (n, off) in [(10, 0), (3000, 1), (77, 2), (1024, 3)] {
        sc.append_buffer(&ramp_i32(n, off)).unwrap();
    }
    sc.append_special(&SpecialKind::Nan, 400).unwrap();
    sc.append_special(&SpecialKind::Value(vec![1, 0, 0, 0]), 64)
        .unwrap();
    out.push(Frame {
        name: "rs-variable-blosclz.b2frame",
        sc,
        vlmeta: vec![("kind", s("variable"), json!("variable"))],
        ndarray: None,
    });

    // Many chunks: the offsets chunk is BloscLZ-compressed (not memcpyed).
    let cp = CParams::default().codec(Codec::Lz4).typesize(4);
    let mut sc = SChunk::new(cp).unwrap().with_chunksize(512).unwrap();
    for i in 0..300 {
        if i % 3 == 0 {
            sc.append_special(&SpecialKind::Zeros, 512).unwrap();
        } else {
            sc.append_buffer(&ramp_i32(128, i)).unwrap();
        }
    }
    sc.append_buffer(&ramp_i32(5, 1)).unwrap();
    out.push(Frame {
        name: "rs-many.b2frame",
        sc,
        vlmeta: vec![],
        ndarray: None,
    });

    // fill_special: uninit and repeated-value chunks.
    let cp = CParams::default().codec(Codec::Lz4).typesize(8);
    let mut sc = SChunk::new(cp).unwrap().with_chunksize(8000).unwrap();
    sc.fill_special(2500, &SpecialKind::Value(2.5f64.to_le_bytes().to_vec()))
        .unwrap();
    out.push(Frame {
        name: "rs-fill-value.b2frame",
        sc,
        vlmeta: vec![],
        ndarray: None,
    });

    // An NDArray: float64 10x12, chunks 5x4 = blocks 5x4 (so each chunk is C order).
    let cp = CParams::default()
        .codec(Codec::Lz4)
        .typesize(8)
        .filters(&[Filter::Shuffle]);
    let mut sc = SChunk::new(cp).unwrap();
    let meta = B2ndMeta {
        version: 0,
        shape: vec![10, 12],
        chunkshape: vec![5, 4],
        blockshape: vec![5, 4],
        dtype_format: 0,
        dtype: "<f8".into(),
    };
    sc.meta_add("b2nd", &meta.to_msgpack().unwrap()).unwrap();
    for ci in 0..2 {
        for cj in 0..3 {
            let mut chunk = Vec::new();
            for i in 0..5 {
                for j in 0..4 {
                    let (r, c) = (ci * 5 + i, cj * 4 + j);
                    chunk.extend_from_slice(&((r * 12 + c) as f64 * 0.5).to_le_bytes());
                }
            }
            sc.append_buffer(&chunk).unwrap();
        }
    }
    out.push(Frame {
        name: "rs-ndarray.b2nd",
        sc,
        vlmeta: vec![("units", s("m"), json!("m"))],
        ndarray: Some(json!({"shape": [10, 12], "dtype": "<f8", "formula": "arange*0.5"})),
    });

    // No chunks at all, only vlmeta.
    let sc = SChunk::new(CParams::default().typesize(2)).unwrap();
    out.push(Frame {
        name: "rs-empty.b2frame",
        sc,
        vlmeta: vec![("empty", MsgValue::Bool(true), json!(true))],
        ndarray: None,
    });

    for f in &mut out {
        for (k, v, _) in &f.vlmeta {
            f.sc.vlmeta_add(k, &v.to_msgpack().unwrap()).unwrap();
        }
    }
    out
}

fn expected(f: &Frame) -> Value {
    let data = f.sc.decompress_all(&Limits::default()).unwrap();
    let mut vl = serde_json::Map::new();
    for name in f.sc.vlmeta_names() {
        let raw = f.sc.vlmeta_get(name).unwrap().unwrap();
        let json = f
            .vlmeta
            .iter()
            .find(|(k, _, _)| *k == name)
            .map_or(Value::Null, |(_, _, j)| j.clone());
        vl.insert(name.into(), json!({"msgpack": hex(&raw), "json": json}));
    }
    let metas: serde_json::Map<String, Value> =
        f.sc.meta_names()
            .into_iter()
            .map(|n| (n.to_owned(), Value::from(hex(f.sc.meta(n).unwrap()))))
            .collect();
    json!({
        "file": f.name,
        "nchunks": f.sc.nchunks(),
        "nbytes": f.sc.nbytes(),
        "typesize": f.sc.typesize(),
        "chunk_nbytes": (0..f.sc.nchunks()).map(|i| f.sc.chunk_nbytes(i).unwrap()).collect::<Vec<_>>(),
        "sha256": sha256_hex(&data),
        "vlmeta": vl,
        "metalayers": metas,
        "ndarray": f.ndarray.clone().unwrap_or(Value::Null),
    })
}

fn write_all(dir: &Path) -> Vec<Value> {
    std::fs::create_dir_all(dir).unwrap();
    let mut manifest = Vec::new();
    for f in frames() {
        f.sc.write_frame(dir.join(f.name)).unwrap();
        manifest.push(expected(&f));
        // The fixed-size frame also as a sparse frame (a directory).
        if f.name == "rs-fixed-lz4.b2frame" {
            let sparse = dir.join("rs-fixed-lz4.b2sparse");
            if sparse.exists() {
                std::fs::remove_dir_all(&sparse).unwrap();
            }
            f.sc.write_sparse(&sparse).unwrap();
            let mut e = expected(&f);
            e["file"] = Value::from("rs-fixed-lz4.b2sparse");
            manifest.push(e);
        }
    }
    let text = serde_json::to_string_pretty(&json!({"frames": manifest})).unwrap();
    std::fs::write(dir.join("expected.json"), text).unwrap();
    manifest
}

#[test]
fn export_frames() {
    let (dir, temp): (PathBuf, bool) = match std::env::var_os("BLOCKCODEC_FRAME_EXPORT_DIR") {
        Some(d) => (d.into(), false),
        None => (
            std::env::temp_dir().join(format!("blockcodec-export-{}", std::process::id())),
            true,
        ),
    };
    let manifest = write_all(&dir);
    // Whatever python makes of them, we must read our own files back as described.
    for m in &manifest {
        let path = dir.join(m["file"].as_str().unwrap());
        let mut both = vec![SChunk::open(&path).unwrap()];
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            both.push(SChunk::from_frame(&bytes, &FrameLimits::default()).unwrap());
        }
        for sc in both {
            assert_eq!(sc.nchunks() as u64, m["nchunks"].as_u64().unwrap());
            assert_eq!(sc.nbytes(), m["nbytes"].as_u64().unwrap());
            let data = sc.decompress_all(&Limits::default()).unwrap();
            assert_eq!(sha256_hex(&data), m["sha256"].as_str().unwrap());
            for (k, v) in m["vlmeta"].as_object().unwrap() {
                let raw = sc.vlmeta_get(k).unwrap().unwrap();
                assert_eq!(hex(&raw), v["msgpack"].as_str().unwrap());
            }
        }
    }
    if temp {
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
