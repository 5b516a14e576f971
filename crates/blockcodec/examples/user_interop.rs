//! The Rust half of `tools/user_interop.py` (live cross-check with python-blosc2's Python
//! plugins); not meant to be run on its own.
//!
//! ```sh
//! cargo run -p blockcodec --example user_interop -- DIR
//! ```
//!
//! `DIR/manifest.json` (written by the Python script) lists cases: raw input data, the chunk
//! python-blosc2 made of it, and the compression parameters. For every case this decodes
//! python's chunk with the Rust plugins (1 and 3 threads) and compares it with the input,
//! compresses the input with the same parameters (1 and 4 threads, which must agree) into
//! `<name>.rs.b2chunk`, and notes whether the bytes equal python's. The frame case is decoded
//! from python's frame and written again as a frame by this crate. The results go to
//! `DIR/rust_report.json`; the exit code is 1 if anything failed.

#[path = "common/plugins.rs"]
mod plugins;

use std::path::{Path, PathBuf};

use blockcodec::{
    CParams, Codec, DParams, Error, Filter, FilterSlot, FrameLimits, Limits, Registry, SChunk,
    SplitMode,
};
use plugins::{DifferenceFilter, RepeatedValueCodec};
use serde_json::{Value, json};

fn field(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| fail(&format!("manifest field {key} missing")))
}

fn fail(msg: &str) -> ! {
    eprintln!("user_interop: {msg}");
    std::process::exit(2)
}

fn cparams_of(v: &Value, registry: &Registry) -> CParams {
    let mut slots = [FilterSlot::default(); 6];
    for (i, slot) in slots.iter_mut().enumerate() {
        let id = v["filters"][i].as_u64().unwrap_or(0) as u8;
        slot.filter = Filter::from_id(id).unwrap_or_else(|| fail(&format!("filter id {id}")));
        slot.meta = v["filters_meta"][i].as_u64().unwrap_or(0) as u8;
    }
    let codec = field(v, "codec") as u8;
    CParams::default()
        .codec(Codec::from_api_id(codec).unwrap_or_else(|| fail(&format!("codec id {codec}"))))
        .compcode_meta(field(v, "codec_meta") as u8)
        .clevel(field(v, "clevel") as u8)
        .typesize(field(v, "typesize") as usize)
        .filter_slots(slots)
        .splitmode(match v["splitmode"].as_str() {
            Some("always") => SplitMode::Always,
            _ => SplitMode::Auto,
        })
        .blocksize(field(v, "blocksize") as usize)
        .registry(registry.clone())
}

fn read(dir: &Path, v: &Value, key: &str) -> Vec<u8> {
    let name = v[key]
        .as_str()
        .unwrap_or_else(|| fail(&format!("manifest field {key} missing")));
    std::fs::read(dir.join(name)).unwrap_or_else(|e| fail(&format!("{name}: {e}")))
}

struct Tally {
    errors: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: &str, r: Result<bool, Error>) -> bool {
        match r {
            Ok(true) => true,
            Ok(false) => {
                self.errors.push(format!("{what}: mismatch"));
                false
            }
            Err(e) => {
                self.errors.push(format!("{what}: {e}"));
                false
            }
        }
    }
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| fail("usage: user_interop DIR")),
    );
    let manifest: Value = std::fs::read(dir.join("manifest.json"))
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| fail(&format!("manifest.json: {e}")));
    let registry = Registry::new()
        .with_codec(RepeatedValueCodec::default())
        .and_then(|r| r.with_filter(DifferenceFilter::default()))
        .unwrap_or_else(|e| fail(&e.to_string()));
    let mut t = Tally { errors: Vec::new() };
    let (mut decoded, mut written, mut identical) = (0, 0, 0);
    let cases = manifest["cases"].as_array().cloned().unwrap_or_default();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let data = read(&dir, case, "data");
        let py = read(&dir, case, "py");
        let ok = [1, 3].iter().all(|&nthreads| {
            let dp = DParams::default()
                .nthreads(nthreads)
                .registry(registry.clone());
            let mut out = vec![0xA5u8; data.len()];
            let r = blockcodec::decompress_into_with(&py, &mut out, &dp).map(|_| out == data);
            t.check(
                &format!("{name}: decode python chunk ({nthreads} threads)"),
                r,
            )
        });
        decoded += usize::from(ok);
        let cp = cparams_of(case, &registry);
        let one = blockcodec::compress(&data, &cp.clone().nthreads(1));
        let four = blockcodec::compress(&data, &cp.clone().nthreads(4));
        match (one, four) {
            (Ok(one), Ok(four)) => {
                if t.check(&format!("{name}: 1 vs 4 threads"), Ok(one == four)) {
                    let path = dir.join(format!("{name}.rs.b2chunk"));
                    match std::fs::write(&path, &one) {
                        Ok(()) => written += 1,
                        Err(e) => t.errors.push(format!("{}: {e}", path.display())),
                    }
                    identical += usize::from(one == py);
                }
            }
            (Err(e), _) | (_, Err(e)) => t.errors.push(format!("{name}: compress: {e}")),
        }
    }

    // Frames both ways.
    let mut frames = 0;
    if let Some(f) = manifest.get("frame").filter(|f| f.is_object()) {
        let data = read(&dir, f, "data");
        let py = read(&dir, f, "py");
        let dp = DParams::default().nthreads(2).registry(registry.clone());
        let r = SChunk::from_frame(&py, &FrameLimits::default())
            .and_then(|sc| sc.with_dparams(dp).decompress_all(&Limits::default()))
            .map(|all| all == data);
        frames += usize::from(t.check("frame: decode python frame", r));
        let chunksize = field(f, "chunksize") as usize;
        let r = SChunk::new(cparams_of(f, &registry)).and_then(|mut sc| {
            for piece in data.chunks(chunksize) {
                sc.append_buffer(piece)?;
            }
            sc.write_frame(dir.join("frame.rs.b2frame"))?;
            Ok(true)
        });
        frames += usize::from(t.check("frame: write", r));
    }

    let report = json!({
        "cases": cases.len(),
        "decoded_python_chunks": decoded,
        "written_chunks": written,
        "identical_to_python": identical,
        "frames_ok": frames,
        "errors": t.errors,
    });
    if let Err(e) = std::fs::write(dir.join("rust_report.json"), report.to_string()) {
        fail(&format!("rust_report.json: {e}"));
    }
    println!(
        "rust: decoded {decoded}/{n} python chunks, wrote {written}, {identical} byte-identical \
         to python's; frames {frames}/2; {} errors",
        t.errors.len(),
        n = cases.len()
    );
    for e in &t.errors {
        println!("  {e}");
    }
    if !t.errors.is_empty() {
        std::process::exit(1);
    }
}
