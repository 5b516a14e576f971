//! `cimg`: compress, decompress, inspect and benchmark Blosc2 chunks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use blockcodec::{CParams, ChunkHeader, Codec, DParams, Filter, Limits, SplitMode};
use blockcodec::{FrameLimits, SChunk};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "cimg",
    version,
    about = "Blosc2-compatible compression in pure Rust"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Split {
    Auto,
    Always,
    Never,
    ForwardCompat,
}

impl From<Split> for SplitMode {
    fn from(s: Split) -> SplitMode {
        match s {
            Split::Auto => SplitMode::Auto,
            Split::Always => SplitMode::Always,
            Split::Never => SplitMode::Never,
            Split::ForwardCompat => SplitMode::ForwardCompat,
        }
    }
}

/// Compression options shared by `compress` and `bench`.
#[derive(clap::Args, Clone)]
struct CompressOpts {
    /// Element size in bytes (values above 255 are stored as 1, as C-Blosc2 does).
    #[arg(long, default_value_t = 1)]
    typesize: usize,
    /// Filter pipeline, in application order; repeat the flag for several filters.
    #[arg(long = "filter", value_parser = parse_filter)]
    filters: Vec<Filter>,
    /// Block size in bytes (0 = automatic, as C-Blosc2 chooses).
    #[arg(long, default_value_t = 0)]
    blocksize: usize,
    /// Worker threads (the output does not depend on it).
    #[arg(long, default_value_t = 1)]
    nthreads: usize,
    /// How blocks are split into streams.
    #[arg(long, value_enum, default_value = "forward-compat")]
    splitmode: Split,
}

impl CompressOpts {
    fn cparams(&self, codec: Codec, clevel: u8) -> CParams {
        let filters = if self.filters.is_empty() {
            vec![Filter::Shuffle]
        } else {
            self.filters.clone()
        };
        CParams::default()
            .codec(codec)
            .clevel(clevel)
            .typesize(self.typesize)
            .filters(&filters)
            .blocksize(self.blocksize)
            .nthreads(self.nthreads)
            .splitmode(self.splitmode.into())
    }
}

#[derive(Subcommand)]
enum Command {
    /// Compress a file into one Blosc2 chunk, or with --frame into a super-chunk frame.
    Compress {
        /// Input file.
        input: PathBuf,
        /// Output chunk (or frame with --frame).
        #[arg(short, long)]
        output: PathBuf,
        /// Write a contiguous super-chunk frame (.b2frame) of --chunksize-byte chunks.
        #[arg(long)]
        frame: bool,
        /// Chunk size in bytes for --frame (default 1 MiB; the last chunk may be shorter).
        #[arg(long, requires = "frame")]
        chunksize: Option<usize>,
        /// Codec: blosclz, lz4, lz4hc, zstd or zlib.
        #[arg(long, default_value = "lz4", value_parser = parse_codec)]
        codec: Codec,
        /// Compression level 0 (store) to 9.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(0..=9))]
        clevel: u8,
        #[command(flatten)]
        opts: CompressOpts,
    },
    /// Decompress a Blosc1 or Blosc2 chunk, or all chunks of a frame (.b2frame, .b2nd).
    Decompress {
        /// Input chunk or frame (a sparse frame's directory also works).
        input: PathBuf,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        /// Worker threads.
        #[arg(long, default_value_t = 1)]
        nthreads: usize,
    },
    /// Print the header fields of a chunk, or the chunks and metadata of a frame.
    Info {
        /// Input chunk or frame.
        input: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Measure ratio and speed of compressing a file, chunk by chunk.
    Bench {
        /// Input file.
        input: PathBuf,
        /// Codecs, comma-separated, or "all" for every codec this build compresses with.
        #[arg(long, default_value = "all")]
        codec: String,
        /// Compression levels, comma-separated.
        #[arg(long, default_value = "5")]
        clevel: String,
        /// Chunk size in bytes (0 = the whole file, up to the 2 GiB chunk limit).
        #[arg(long, default_value_t = 0)]
        chunksize: usize,
        /// Minimum measuring time per configuration and direction, in seconds.
        #[arg(long, default_value_t = 0.25)]
        seconds: f64,
        /// Print one JSON object per configuration.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        opts: CompressOpts,
    },
}

fn parse_codec(s: &str) -> Result<Codec, String> {
    Codec::from_name(s)
        .ok_or_else(|| format!("unknown codec '{s}' (blosclz, lz4, lz4hc, zstd, zlib)"))
}

fn parse_filter(s: &str) -> Result<Filter, String> {
    Filter::from_name(s).ok_or_else(|| {
        format!("unknown filter '{s}' (none, shuffle, bitshuffle, delta, trunc-prec)")
    })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, data: &[u8]) -> Result<(), String> {
    std::fs::write(path, data).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("cimg: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Compress {
            input,
            output,
            frame: true,
            chunksize,
            codec,
            clevel,
            opts,
        } => {
            let data = read(&input)?;
            compress_frame(&data, chunksize, &opts.cparams(codec, clevel), &output)
        }
        Command::Compress {
            input,
            output,
            codec,
            clevel,
            opts,
            ..
        } => {
            let data = read(&input)?;
            let chunk = blockcodec::compress(&data, &opts.cparams(codec, clevel))
                .map_err(|e| e.to_string())?;
            write(&output, &chunk)
        }
        Command::Decompress {
            input,
            output,
            nthreads,
        } if is_frame(&input)? => decompress_frame(&input, &output, nthreads),
        Command::Decompress {
            input,
            output,
            nthreads,
        } => {
            let chunk = read(&input)?;
            let data = blockcodec::decompress_to_vec_with(
                &chunk,
                &Limits::unlimited(),
                &DParams::default().nthreads(nthreads),
            )
            .map_err(|e| format!("{}: {e}", input.display()))?;
            write(&output, &data)
        }
        Command::Info { input, json } if is_frame(&input)? => {
            let sc = SChunk::open_with(&input, &FrameLimits::unlimited())
                .map_err(|e| format!("{}: {e}", input.display()))?;
            print_frame_info(&sc, json);
            Ok(())
        }
        Command::Info { input, json } => {
            let chunk = read(&input)?;
            let h = ChunkHeader::parse(&chunk).map_err(|e| format!("{}: {e}", input.display()))?;
            print_info(&h, json);
            Ok(())
        }
        Command::Bench {
            input,
            codec,
            clevel,
            chunksize,
            seconds,
            json,
            opts,
        } => {
            let data = read(&input)?;
            let codecs: Vec<Codec> = if codec == "all" {
                Codec::ALL
                    .into_iter()
                    .filter(|c| c.can_compress())
                    .collect()
            } else {
                codec
                    .split(',')
                    .map(parse_codec)
                    .collect::<Result<_, _>>()?
            };
            let clevels: Vec<u8> = clevel
                .split(',')
                .map(|s| s.trim().parse::<u8>().ok().filter(|&l| l <= 9))
                .collect::<Option<_>>()
                .ok_or_else(|| format!("bad --clevel '{clevel}' (0-9, comma-separated)"))?;
            let chunksize = if chunksize == 0 {
                data.len().max(1)
            } else {
                chunksize
            };
            if !json {
                println!(
                    "{}: {} bytes, typesize {}, chunks of {} bytes, {} thread(s)",
                    input.display(),
                    data.len(),
                    opts.typesize,
                    chunksize.min(data.len()),
                    opts.nthreads
                );
                println!(
                    "{:<8} {:>6} {:>8} {:>14} {:>16}",
                    "codec", "clevel", "ratio", "compress MB/s", "decompress MB/s"
                );
            }
            for &c in &codecs {
                for &l in &clevels {
                    let r = bench(&data, chunksize, &opts.cparams(c, l), seconds)?;
                    if json {
                        println!(
                            "{{\"codec\": \"{c}\", \"clevel\": {l}, \"ratio\": {:.4}, \"compress_mb_s\": {:.1}, \"decompress_mb_s\": {:.1}, \"nbytes\": {}}}",
                            r.ratio,
                            r.compress_mb_s,
                            r.decompress_mb_s,
                            data.len()
                        );
                    } else {
                        println!(
                            "{:<8} {:>6} {:>8.3} {:>14.1} {:>16.1}",
                            c.name(),
                            l,
                            r.ratio,
                            r.compress_mb_s,
                            r.decompress_mb_s
                        );
                    }
                }
            }
            Ok(())
        }
    }
}

struct BenchResult {
    ratio: f64,
    compress_mb_s: f64,
    decompress_mb_s: f64,
}

/// Best time of repeated runs of `f` over at least `seconds`.
fn best_time(seconds: f64, mut f: impl FnMut() -> Result<(), String>) -> Result<Duration, String> {
    let start = Instant::now();
    let mut best = Duration::MAX;
    loop {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed());
        if start.elapsed().as_secs_f64() >= seconds {
            return Ok(best);
        }
    }
}

fn bench(data: &[u8], chunksize: usize, cp: &CParams, seconds: f64) -> Result<BenchResult, String> {
    let err = |e: blockcodec::Error| e.to_string();
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut bufs: Vec<Vec<u8>> = data
        .chunks(chunksize)
        .map(|c| vec![0u8; c.len() + blockcodec::MAX_OVERHEAD])
        .collect();
    let mut sizes = vec![0usize; bufs.len()];
    let ctime = best_time(seconds, || {
        for ((src, buf), size) in data.chunks(chunksize).zip(&mut bufs).zip(&mut sizes) {
            *size = blockcodec::compress_into(src, buf, cp).map_err(err)?;
        }
        Ok(())
    })?;
    for (buf, &size) in bufs.iter().zip(&sizes) {
        chunks.push(buf[..size].to_vec());
    }
    let dparams = DParams::default().nthreads(cp.nthreads);
    let mut out = vec![0u8; data.len()];
    let dtime = best_time(seconds, || {
        for (chunk, dst) in chunks.iter().zip(out.chunks_mut(chunksize)) {
            blockcodec::decompress_into_with(chunk, dst, &dparams).map_err(err)?;
        }
        Ok(())
    })?;
    if out != data {
        return Err(format!(
            "roundtrip mismatch with {} clevel {}",
            cp.codec, cp.clevel
        ));
    }
    let cbytes: usize = sizes.iter().sum();
    let mb = data.len() as f64 / 1e6;
    Ok(BenchResult {
        ratio: data.len() as f64 / cbytes.max(1) as f64,
        compress_mb_s: mb / ctime.as_secs_f64(),
        decompress_mb_s: mb / dtime.as_secs_f64(),
    })
}

fn print_info(h: &ChunkHeader, json: bool) {
    let codec = match h.codec() {
        Ok(c) => c.name().to_string(),
        Err(_) => format!("format code {} (udcodec {})", h.format_code(), h.udcodec()),
    };
    let filters: Vec<String> = h
        .filter_ids()
        .iter()
        .zip(h.filters_meta())
        .map(|(&id, meta)| match Filter::from_id(id) {
            Some(f) => format!("{}:{meta}", f.name()),
            None => format!("id{id}:{meta}"),
        })
        .collect();
    let special = h.special().map_or("none", |s| s.name());
    let kind = if h.special().is_some() {
        "special"
    } else if h.is_memcpyed() {
        "memcpyed"
    } else {
        "regular"
    };
    if json {
        let filters_json: Vec<String> = filters.iter().map(|f| format!("\"{f}\"")).collect();
        println!(
            "{{\"version\": {}, \"versionlz\": {}, \"flags\": {}, \"typesize\": {}, \"nbytes\": {}, \"blocksize\": {}, \"cbytes\": {}, \"header_len\": {}, \"kind\": \"{kind}\", \"special\": \"{special}\", \"codec\": \"{codec}\", \"split\": {}, \"filters\": [{}], \"nblocks\": {}}}",
            h.version(),
            h.versionlz(),
            h.flags(),
            h.typesize(),
            h.nbytes(),
            h.blocksize(),
            h.cbytes(),
            h.header_len(),
            !h.dont_split(),
            filters_json.join(", "),
            h.nblocks()
        );
    } else {
        println!("version     {}", h.version());
        println!("versionlz   {}", h.versionlz());
        println!("flags       {:#04x}", h.flags());
        println!("kind        {kind}");
        println!("special     {special}");
        println!("codec       {codec}");
        println!("typesize    {}", h.typesize());
        println!("nbytes      {}", h.nbytes());
        println!("cbytes      {}", h.cbytes());
        println!("ratio       {:.3}", h.nbytes() as f64 / h.cbytes() as f64);
        println!("blocksize   {}", h.blocksize());
        println!("nblocks     {}", h.nblocks());
        println!("split       {}", !h.dont_split());
        println!("filters     {}", filters.join(" "));
        println!("header      {} bytes", h.header_len());
    }
}

/// Frame detection: a directory (sparse frame) or the magic `b2frame\0` at byte 2
/// (blosc-format.md §6.2).
fn is_frame(path: &Path) -> Result<bool, String> {
    use std::io::Read;
    if path.is_dir() {
        return Ok(true);
    }
    let mut head = Vec::with_capacity(10);
    std::fs::File::open(path)
        .and_then(|f| f.take(10).read_to_end(&mut head))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(head.get(2..10) == Some(b"b2frame\0".as_slice()))
}

fn compress_frame(
    data: &[u8],
    chunksize: Option<usize>,
    cp: &CParams,
    output: &Path,
) -> Result<(), String> {
    let chunksize = chunksize.unwrap_or(1 << 20);
    if chunksize == 0 {
        return Err("--chunksize must be at least 1".into());
    }
    let err = |e: blockcodec::Error| e.to_string();
    let mut sc = SChunk::new(cp.clone()).map_err(err)?;
    for chunk in data.chunks(chunksize) {
        sc.append_buffer(chunk).map_err(err)?;
    }
    sc.write_frame(output)
        .map_err(|e| format!("cannot write {}: {e}", output.display()))
}

fn decompress_frame(input: &Path, output: &Path, nthreads: usize) -> Result<(), String> {
    use std::io::Write;
    let ctx = |e: blockcodec::Error| format!("{}: {e}", input.display());
    let sc = SChunk::open_with(input, &FrameLimits::unlimited())
        .map_err(ctx)?
        .with_dparams(DParams::default().nthreads(nthreads));
    let werr = |e: std::io::Error| format!("cannot write {}: {e}", output.display());
    let mut w = std::io::BufWriter::new(std::fs::File::create(output).map_err(werr)?);
    let mut buf = Vec::new();
    let result = (0..sc.nchunks())
        .try_for_each(|i| {
            buf.resize(sc.chunk_nbytes(i).map_err(ctx)?, 0);
            sc.decompress_chunk(i, &mut buf)
                .map_err(|e| format!("{}: chunk {i}: {e}", input.display()))?;
            w.write_all(&buf).map_err(werr)
        })
        .and_then(|()| w.flush().map_err(werr));
    if result.is_err() {
        // Leave no partial output behind.
        drop(w);
        let _ = std::fs::remove_file(output);
    }
    result
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn print_frame_info(sc: &SChunk, json: bool) {
    let codec = Codec::from_api_id(sc.codec_id()).map_or_else(
        || format!("codec id {}", sc.codec_id()),
        |c| c.name().to_string(),
    );
    let filters: Vec<String> = sc
        .cparams()
        .filters
        .iter()
        .filter(|s| s.filter != Filter::NoFilter)
        .map(|s| format!("{}:{}", s.filter.name(), s.meta))
        .collect();
    let b2nd = sc.b2nd();
    let chunks: Vec<(usize, Result<blockcodec::ChunkInfo, blockcodec::Error>)> =
        (0..sc.nchunks()).map(|i| (i, sc.chunk_info(i))).collect();
    let kind = |r: &Result<blockcodec::ChunkInfo, blockcodec::Error>| match r {
        Ok(c) => c.kind.name().to_string(),
        Err(e) => format!("error: {e}"),
    };
    let sizes = |r: &Result<blockcodec::ChunkInfo, blockcodec::Error>| {
        r.as_ref().map_or((0, 0), |c| (c.nbytes, c.cbytes))
    };
    if json {
        let metas: Vec<String> = sc
            .meta_names()
            .iter()
            .map(|n| {
                format!(
                    "{{\"name\": {}, \"size\": {}}}",
                    json_str(n),
                    sc.meta(n).map_or(0, <[u8]>::len)
                )
            })
            .collect();
        let b2nd_json = match &b2nd {
            Ok(Some(m)) => format!(
                "{{\"shape\": {:?}, \"chunkshape\": {:?}, \"blockshape\": {:?}, \"dtype\": {}}}",
                m.shape,
                m.chunkshape,
                m.blockshape,
                json_str(&m.dtype)
            ),
            Ok(None) => "null".into(),
            Err(e) => json_str(&format!("error: {e}")),
        };
        let vl: Vec<String> = sc.vlmeta_names().iter().map(|n| json_str(n)).collect();
        let chunk_json: Vec<String> = chunks
            .iter()
            .map(|(i, r)| {
                let (nb, cb) = sizes(r);
                format!(
                    "{{\"index\": {i}, \"nbytes\": {nb}, \"cbytes\": {cb}, \"kind\": {}}}",
                    json_str(&kind(r))
                )
            })
            .collect();
        println!(
            "{{\"frame\": true, \"nchunks\": {}, \"nbytes\": {}, \"cbytes\": {}, \"typesize\": {}, \"chunksize\": {}, \"variable_chunks\": {}, \"codec\": {}, \"clevel\": {}, \"filters\": [{}], \"metalayers\": [{}], \"b2nd\": {b2nd_json}, \"vlmeta\": [{}], \"chunks\": [{}]}}",
            sc.nchunks(),
            sc.nbytes(),
            sc.cbytes(),
            sc.typesize(),
            sc.chunksize().unwrap_or(0),
            sc.is_variable(),
            json_str(&codec),
            sc.clevel(),
            filters
                .iter()
                .map(|f| json_str(f))
                .collect::<Vec<_>>()
                .join(", "),
            metas.join(", "),
            vl.join(", "),
            chunk_json.join(", ")
        );
        return;
    }
    println!("frame");
    println!("nchunks     {}", sc.nchunks());
    println!("nbytes      {}", sc.nbytes());
    println!("cbytes      {}", sc.cbytes());
    println!(
        "ratio       {:.3}",
        sc.nbytes() as f64 / sc.cbytes().max(1) as f64
    );
    println!("typesize    {}", sc.typesize());
    match sc.chunksize() {
        Some(cs) => println!("chunksize   {cs}"),
        None if sc.is_variable() => println!("chunksize   variable"),
        None => println!("chunksize   unset"),
    }
    println!("codec       {codec} (clevel {})", sc.clevel());
    println!("filters     {}", filters.join(" "));
    println!("metalayers  {}", sc.meta_names().len());
    for n in sc.meta_names() {
        println!("  {n:<10} {} bytes", sc.meta(n).map_or(0, <[u8]>::len));
    }
    match &b2nd {
        Ok(Some(m)) => println!(
            "b2nd        shape {:?}, chunks {:?}, blocks {:?}, dtype {}",
            m.shape, m.chunkshape, m.blockshape, m.dtype
        ),
        Ok(None) => {}
        Err(e) => println!("b2nd        error: {e}"),
    }
    println!(
        "vlmeta      {} {}",
        sc.vlmeta_names().len(),
        sc.vlmeta_names().join(", ")
    );
    println!("{:>8} {:>12} {:>12}  kind", "chunk", "nbytes", "cbytes");
    for (i, r) in &chunks {
        let (nb, cb) = sizes(r);
        println!("{i:>8} {nb:>12} {cb:>12}  {}", kind(r));
    }
}
