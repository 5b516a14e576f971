//! Time and peak memory of the compressed image layer (plain harness, no criterion).
//!
//! `cargo bench -p compressed-image --bench image_bench`
//!
//! Each case runs in a child process of this binary so that its peak resident memory is its
//! own. Peak memory is read from `/proc/self/status` (`VmHWM`), reset at the start of the
//! measured phase by writing `5` to `/proc/self/clear_refs` (Linux ≥ 4.0); "peak +MiB" is that
//! peak minus the resident size when the phase started, i.e. what the phase itself added on top
//! of its inputs. Cases:
//!
//! * `build`: `Channel::from_slice` of a 4096 × 4096 `f32` image (smooth field plus noise),
//!   default parameters (LZ4 9, shuffle, 4 MiB chunks), 1 and 2 codec threads.
//! * `edit`: one chunk-wise pass `v = v * 0.5 + 0.25` over that image with `chunks_mut`
//!   (serial) and `par_chunks_mut`, versus the same pass over a plain `Vec<f32>`. The parallel
//!   pass also runs with `MALLOC_ARENA_MAX=1`: with glibc's per-thread arenas, chunks
//!   recompressed on rayon workers cannot reuse the memory freed by the old chunks in the main
//!   arena, which inflates the peak without being memory the channel holds.
//! * `masks`: 1,000 lazy 4096 × 4096 `f32` mask channels (16 chunks each), then 1 % of all
//!   chunks (160) filled with a soft disc through `get_chunk`/`set_chunk` and one scratch buffer,
//!   as cryptomatte extraction does.

use std::error::Error;
use std::process::Command;
use std::time::Instant;

use compressed_image::{Channel, Params};

type Res<T> = Result<T, Box<dyn Error>>;

const W: usize = 4096;
const H: usize = 4096;
const REPS: usize = 3;

/// One row of the results table.
struct Row {
    case: String,
    millis: f64,
    /// Megabytes (uncompressed) processed per second.
    mb_per_s: f64,
    peak_delta_mib: f64,
    peak_total_mib: f64,
    stored_mib: f64,
    note: String,
}

impl Row {
    fn print(&self) {
        println!(
            "RESULT\t{}\t{:.1}\t{:.0}\t{:.1}\t{:.1}\t{:.2}\t{}",
            self.case,
            self.millis,
            self.mb_per_s,
            self.peak_delta_mib,
            self.peak_total_mib,
            self.stored_mib,
            self.note
        );
    }
}

fn status_kib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(f64::NAN)
}

/// Starts a measured phase: resets the peak to the current RSS; returns the RSS in MiB.
fn phase_start() -> f64 {
    // Ignored where not permitted: the peak then covers the whole process.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    status_kib("VmRSS:") / 1024.0
}

fn peak_mib() -> f64 {
    status_kib("VmHWM:") / 1024.0
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// A smooth field with a little noise, like a rendered or photographed float image.
fn synthetic() -> Vec<f32> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..W * H)
        .map(|g| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (x, y) = ((g % W) as f32 / W as f32, (g / W) as f32 / H as f32);
            let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            0.5 + 0.3 * (7.0 * x).sin() * (5.0 * y).cos() + 0.2 * x * y + 0.002 * noise
        })
        .collect()
}

/// Best-of-`REPS` wall time of `f` in milliseconds.
fn best_ms(mut f: impl FnMut() -> Res<()>) -> Res<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..REPS {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(best)
}

fn edit(v: &mut f32) {
    *v = *v * 0.5 + 0.25;
}

fn case_build(nthreads: usize) -> Res<Row> {
    let data = synthetic();
    let params = Params::default().nthreads(nthreads);
    let base = phase_start();
    let mut stored = 0;
    let ms = best_ms(|| {
        let ch = Channel::from_slice(&data, W, H, params.clone())?;
        stored = ch.compressed_bytes();
        Ok(())
    })?;
    Ok(Row {
        case: format!("build from_slice, nthreads {nthreads}"),
        millis: ms,
        mb_per_s: mib(W * H * 4) / ms * 1e3,
        peak_delta_mib: peak_mib() - base,
        peak_total_mib: peak_mib(),
        stored_mib: mib(stored),
        note: format!("ratio {:.2}", (W * H * 4) as f64 / stored as f64),
    })
}

fn case_edit(parallel: bool) -> Res<Row> {
    let mut ch = Channel::from_slice(&synthetic(), W, H, Params::default())?;
    let base = phase_start();
    let ms = best_ms(|| {
        if parallel {
            ch.par_chunks_mut(|c| c.iter_mut().for_each(edit))?;
        } else {
            ch.for_each_chunk_mut(|c| c.iter_mut().for_each(edit))?;
        }
        Ok(())
    })?;
    Ok(Row {
        case: format!(
            "edit pass, {}",
            if parallel {
                "par_chunks_mut"
            } else {
                "chunks_mut"
            }
        ),
        millis: ms,
        mb_per_s: mib(W * H * 4) / ms * 1e3,
        peak_delta_mib: peak_mib() - base,
        peak_total_mib: peak_mib(),
        stored_mib: mib(ch.compressed_bytes()),
        note: format!(
            "{} chunks of {} MiB",
            ch.num_chunks(),
            mib(ch.layout().chunk_bytes())
        ),
    })
}

fn case_edit_vec() -> Res<Row> {
    let mut data = synthetic();
    let chunk = Params::default().chunk_size / 4;
    let base = phase_start();
    let ms = best_ms(|| {
        for c in data.chunks_mut(chunk) {
            c.iter_mut().for_each(edit);
        }
        std::hint::black_box(&mut data);
        Ok(())
    })?;
    Ok(Row {
        case: "edit pass, plain Vec<f32>".into(),
        millis: ms,
        mb_per_s: mib(W * H * 4) / ms * 1e3,
        peak_delta_mib: peak_mib() - base,
        peak_total_mib: peak_mib(),
        stored_mib: mib(data.len() * 4),
        note: "uncompressed baseline".into(),
    })
}

fn case_masks() -> Res<Row> {
    let base = phase_start();
    let t = Instant::now();
    let template = Channel::<f32>::zeros(W, H, Params::default())?;
    let mut masks: Vec<Channel<f32>> = (0..1000).map(|_| Channel::zeros_like(&template)).collect();
    let create_ms = t.elapsed().as_secs_f64() * 1e3;
    let create_peak = peak_mib() - base;

    let nchunks = template.num_chunks();
    let total = masks.len() * nchunks;
    let fill = total / 100;
    let mut scratch = vec![0.0f32; template.chunk_elems()];
    let mut set_s = 0.0;
    let t = Instant::now();
    for k in 0..fill {
        // Spread the filled chunks over masks and rows: a fixed odd stride visits distinct slots.
        let slot = (k * 7919) % total;
        let (m, i) = (slot / nchunks, slot % nchunks);
        let n = template.chunk_len(i).unwrap_or(0);
        let y0 = template.chunk_y_range(i).map_or(0, |r| r.start);
        let buf = &mut scratch[..n];
        masks[m].get_chunk(i, buf)?;
        let (cx, cy, r) = ((k * 613 % W) as f32, (y0 + 128) as f32, 100.0f32);
        for (j, v) in buf.iter_mut().enumerate() {
            let (x, y) = ((j % W) as f32, (y0 + j / W) as f32);
            let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            *v += (1.0 - d / r).clamp(0.0, 1.0);
        }
        let ts = Instant::now();
        masks[m].set_chunk(i, buf)?;
        set_s += ts.elapsed().as_secs_f64();
    }
    let fill_ms = t.elapsed().as_secs_f64() * 1e3;
    let stored: usize = masks.iter().map(Channel::compressed_bytes).sum();
    let lazy: usize = masks.iter().map(Channel::num_lazy_chunks).sum();
    Ok(Row {
        case: "1000 lazy masks, fill 1% chunks".into(),
        millis: create_ms + fill_ms,
        mb_per_s: mib(fill * template.layout().chunk_bytes()) / fill_ms * 1e3,
        peak_delta_mib: peak_mib() - base,
        peak_total_mib: peak_mib(),
        stored_mib: mib(stored),
        note: format!(
            "create {create_ms:.2} ms (+{create_peak:.1} MiB); fill {fill} chunks {fill_ms:.0} ms, \
             of which set_chunk {:.0} ms; {lazy} of {total} chunks lazy; {:.0} GiB logical",
            set_s * 1e3,
            mib(masks.len() * W * H * 4) / 1024.0
        ),
    })
}

fn run_case(name: &str) -> Res<Row> {
    match name {
        "build1" => case_build(1),
        "build2" => case_build(2),
        "edit" => case_edit(false),
        "edit-par" => case_edit(true),
        "edit-vec" => case_edit_vec(),
        "masks" => case_masks(),
        other => Err(format!("unknown case {other}").into()),
    }
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--case") {
        let name = args.get(pos + 1).ok_or("--case needs a name")?;
        run_case(name)?.print();
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    // (case, MALLOC_ARENA_MAX for the child or ""): glibc gives each rayon worker its own
    // malloc arena, so chunks recompressed on workers cannot reuse memory the old chunks freed
    // in the main arena; the one-arena row shows the peak without that effect.
    let cases = [
        ("build1", ""),
        ("build2", ""),
        ("edit", ""),
        ("edit-par", ""),
        ("edit-par", "1"),
        ("edit-vec", ""),
        ("masks", ""),
    ];
    println!("compressed-image bench: {W}×{H} f32 (64 MiB), best of {REPS} where repeated");
    println!(
        "{:<44} {:>9} {:>8} {:>9} {:>9} {:>9}  note",
        "case", "ms", "MiB/s", "peak +MiB", "peak MiB", "held MiB"
    );
    for (case, arenas) in cases {
        let mut cmd = Command::new(&exe);
        cmd.args(["--case", case]);
        if !arenas.is_empty() {
            cmd.env("MALLOC_ARENA_MAX", arenas);
        }
        let out = cmd.output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("RESULT\t")) else {
            println!(
                "{case}: failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            continue;
        };
        let f: Vec<&str> = line.split('\t').collect();
        if let [name, ms, mbs, dpeak, peak, held, note] = f[..] {
            let name = match arenas {
                "" => name.to_owned(),
                n => format!("{name} ({n} arena)"),
            };
            println!("{name:<44} {ms:>9} {mbs:>8} {dpeak:>9} {peak:>9} {held:>9}  {note}");
        }
    }
    Ok(())
}
