//! Peak memory and time of importing an EXR into compressed channels, against reading it
//! fully with the `exr` crate.
//!
//! ```sh
//! cargo run --release -p compressed-image --features exr --example import_bench -- \
//!     crates/compressed-image/tests/data/exr/Beachball_singlepart.0004.exr
//! ```
//!
//! Each case runs in a child process of its own (this binary with `--case NAME`), which
//! reports its peak resident set size (`VmHWM` in `/proc/self/status`, Linux) and the best
//! wall time of a few runs. Cases:
//! - `exr-full`: `exr::prelude::read_all_flat_layers_from_file`-style full read (all channels,
//!   level 0), the whole image uncompressed in memory;
//! - `import`: `Image::<f16>::read` with the default parameters (4 MiB chunks, LZ4 level 9);
//! - `import-1mib`, `import-256kib`: the same with 1 MiB and 256 KiB chunks;
//! - `baseline`: the child doing nothing, for the process's own footprint.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use compressed_image::half::f16;
use compressed_image::io::ReadOptions;
use compressed_image::{Image, Params};
use exr::prelude::{ReadChannels, ReadLayers};

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run_case(case: &str, path: &Path, reps: usize) -> Result<(Duration, String), String> {
    let mut best = Duration::MAX;
    let mut detail = String::new();
    for _ in 0..reps {
        let t = Instant::now();
        match case {
            "baseline" => {}
            "exr-full" => {
                let img = exr::prelude::read()
                    .no_deep_data()
                    .largest_resolution_level()
                    .all_channels()
                    .all_layers()
                    .all_attributes()
                    .from_file(path)
                    .map_err(|e| e.to_string())?;
                let n: usize = img
                    .layer_data
                    .iter()
                    .map(|l| l.channel_data.list.len())
                    .sum();
                detail = format!("{n} channels in memory");
            }
            "import" | "import-1mib" | "import-256kib" => {
                let params = match case {
                    "import-1mib" => Params::default().chunk_size(1 << 20),
                    "import-256kib" => Params::default().chunk_size(256 << 10),
                    _ => Params::default(),
                };
                let img = Image::<f16>::read(path, &ReadOptions::default().params(params))
                    .map_err(|e| e.to_string())?;
                detail = format!(
                    "{} channels, {} -> {} bytes (ratio {:.2})",
                    img.num_channels(),
                    img.uncompressed_bytes(),
                    img.compressed_bytes(),
                    img.compression_ratio()
                );
            }
            other => return Err(format!("unknown case {other}")),
        }
        best = best.min(t.elapsed());
    }
    Ok((best, detail))
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, case, path] = args.as_slice()
        && flag == "--case"
    {
        let (best, detail) = run_case(case, Path::new(path), 3)?;
        let hwm = vm_hwm_kib().ok_or("no VmHWM in /proc/self/status")?;
        println!("{case}\t{}\t{:.1}\t{detail}", hwm, best.as_secs_f64() * 1e3);
        return Ok(());
    }
    let path = args
        .get(1)
        .ok_or("usage: import_bench FILE.exr")?
        .to_owned();
    let size = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    println!("{path} ({size} bytes), best of 3 runs per case, one process per case\n");
    println!(
        "{:<12} {:>14} {:>10}  detail",
        "case", "peak RSS MiB", "time ms"
    );
    for case in [
        "baseline",
        "exr-full",
        "import",
        "import-1mib",
        "import-256kib",
    ] {
        let out = Command::new(&exe)
            .args(["--case", case, &path])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "case {case} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = text.trim_end_matches('\n').split('\t').collect();
        if let [_, kib, ms, detail] = fields.as_slice() {
            let mib = kib.parse::<f64>().unwrap_or(0.0) / 1024.0;
            println!("{case:<12} {mib:>14.1} {ms:>10}  {detail}");
        }
    }
    Ok(())
}
