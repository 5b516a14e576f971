//! `cimg`: compress, decompress, inspect and benchmark Blosc2 chunks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use blockcodec::{CParams, ChunkHeader, Codec, DParams, Filter, Limits, SplitMode};
use blockcodec::{FrameLimits, SChunk};
use clap::{Parser, Subcommand, ValueEnum};
use compressed_image::io::{self as image_io, AnyImage, FileFormat, ReadOptions, WriteOptions};
use compressed_image::{Element, Image, with_any_image};

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
    /// Import an EXR, PNG, TIFF or JPEG file as a compressed image (.b2frame).
    Import {
        /// Input image file.
        input: PathBuf,
        /// Output image frame (.b2frame).
        #[arg(short, long)]
        output: PathBuf,
        /// Codec of the chunks: blosclz, lz4, lz4hc, zstd or zlib.
        #[arg(long, default_value = "lz4", value_parser = parse_codec)]
        codec: Codec,
        /// Compression level 0 (store) to 9.
        #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u8).range(0..=9))]
        clevel: u8,
        /// Filter before the codec.
        #[arg(long, default_value = "shuffle", value_parser = parse_filter)]
        filter: Filter,
        /// Requested chunk size in bytes (rounded down to whole scanlines).
        #[arg(long, default_value_t = compressed_image::DEFAULT_CHUNK_SIZE)]
        chunk_size: usize,
        /// Block size in bytes (0 = automatic).
        #[arg(long, default_value_t = compressed_image::DEFAULT_BLOCK_SIZE)]
        block_size: usize,
        /// Channels to import, by name, comma-separated (default: all).
        #[arg(long, value_delimiter = ',', conflicts_with = "layer")]
        channels: Vec<String>,
        /// EXR layer to import (`left` imports left.R, left.G, ...).
        #[arg(long)]
        layer: Option<String>,
        /// EXR part (subimage) index.
        #[arg(long, default_value_t = 0)]
        part: usize,
        /// EXR mip level (0 = full resolution).
        #[arg(long, default_value_t = 0)]
        level: usize,
        /// Element type (uint8, uint16, float16, float32, ...); default: the file's own.
        #[arg(long)]
        dtype: Option<String>,
        /// Codec threads per chunk.
        #[arg(long, default_value_t = 1)]
        nthreads: usize,
    },
    /// Export a compressed image (.b2frame) to an EXR, PNG or TIFF file (by extension).
    Export {
        /// Input image frame (an image file also works: this converts it).
        input: PathBuf,
        /// Output file: .exr, .png, .tif or .tiff.
        #[arg(short, long)]
        output: PathBuf,
        /// EXR compression: none, rle, zips, zip, piz or pxr24.
        #[arg(long, default_value = "zip")]
        exr_compression: String,
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
        Command::Import {
            input,
            output,
            codec,
            clevel,
            filter,
            chunk_size,
            block_size,
            channels,
            layer,
            part,
            level,
            dtype,
            nthreads,
        } => {
            let params = compressed_image::Params::default()
                .codec(codec)
                .clevel(clevel)
                .filter(filter)
                .chunk_size(chunk_size)
                .block_size(block_size)
                .nthreads(nthreads);
            let mut options = ReadOptions::default()
                .params(params)
                .part(part)
                .level(level);
            if let Some(layer) = layer {
                options = options.layer(layer);
            } else if !channels.is_empty() {
                options = options.names(channels);
            }
            import_image(&input, &output, options, dtype.as_deref())
        }
        Command::Export {
            input,
            output,
            exr_compression,
        } => export_image(&input, &output, &exr_compression),
        Command::Info { input, json } if image_frame(&input) => print_image_info(&input, json),
        Command::Info { input, json } if image_file(&input) => print_file_info(&input, json),
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
            let bar = progress_bar((codecs.len() * clevels.len()) as u64, "bench");
            for &c in &codecs {
                for &l in &clevels {
                    let r = bench(&data, chunksize, &opts.cparams(c, l), seconds)?;
                    if let Some(bar) = &bar {
                        bar.inc(1);
                    }
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
            if let Some(bar) = bar {
                bar.finish_and_clear();
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
        // Built-in codecs print their name, user codecs "user codec <id>".
        Ok(c) => c.to_string(),
        Err(_) => format!("format code {} (udcodec {})", h.format_code(), h.udcodec()),
    };
    let filters: Vec<String> = h
        .filter_ids()
        .iter()
        .zip(h.filters_meta())
        .map(|(&id, meta)| match Filter::from_id(id) {
            Some(Filter::User(_)) | None => format!("id{id}:{meta}"),
            Some(f) => format!("{}:{meta}", f.name()),
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
    let codec = Codec::from_api_id(sc.codec_id())
        .map_or_else(|| format!("codec id {}", sc.codec_id()), |c| c.to_string());
    let filters: Vec<String> = sc
        .cparams()
        .filters
        .iter()
        .filter(|s| s.filter != Filter::NoFilter)
        .map(|s| match s.filter {
            Filter::User(id) => format!("id{id}:{}", s.meta),
            f => format!("{}:{}", f.name(), s.meta),
        })
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

// ----- images: import, export, info ---------------------------------------------------------

/// A progress bar on stderr, or `None` when stderr is not a terminal (pipes, CI logs).
fn progress_bar(total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{msg:>8} [{elapsed_precise}] {wide_bar} {pos}/{len} ({eta})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    Some(bar)
}

/// A progress callback for the image reader and writers, driving `bar`.
fn progress_fn(bar: &indicatif::ProgressBar) -> impl Fn(u64, u64) + Send + Sync + 'static {
    let bar = bar.clone();
    move |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    }
}

fn import_image(
    input: &Path,
    output: &Path,
    mut options: ReadOptions,
    dtype: Option<&str>,
) -> Result<(), String> {
    let start = Instant::now();
    let bar = progress_bar(0, "import");
    if let Some(bar) = &bar {
        options = options.progress(progress_fn(bar));
    }
    let image = match dtype {
        Some(d) => image_io::read_as(input, d, &options),
        None => image_io::read_native(input, &options),
    }
    .map_err(|e| e.to_string())?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    image.save(output).map_err(|e| e.to_string())?;
    let (w, h, n, raw, packed) = with_any_image!(&image, img => (
        img.width(), img.height(), img.num_channels(), img.uncompressed_bytes(),
        img.compressed_bytes()
    ));
    eprintln!(
        "{}: {w}x{h}, {n} channel(s) of {} -> {} ({raw} -> {packed} bytes, ratio {:.2}, {:.2} s)",
        input.display(),
        image.dtype(),
        output.display(),
        raw as f64 / packed.max(1) as f64,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn export_image(input: &Path, output: &Path, exr_compression: &str) -> Result<(), String> {
    let image = match image_io::detect_format(input).map_err(|e| e.to_string())? {
        FileFormat::B2Frame => AnyImage::load(input),
        _ => image_io::read_native(input, &ReadOptions::default()),
    }
    .map_err(|e| e.to_string())?;
    let mut options = WriteOptions::default();
    #[cfg(feature = "exr")]
    {
        let c = image_io::ExrCompression::from_name(exr_compression).ok_or_else(|| {
            format!(
                "unknown --exr-compression '{exr_compression}' (none, rle, zips, zip, piz, pxr24)"
            )
        })?;
        options = options.exr_compression(c);
    }
    #[cfg(not(feature = "exr"))]
    let _ = exr_compression;
    let bar = progress_bar(0, "export");
    if let Some(bar) = &bar {
        options = options.progress(progress_fn(bar));
    }
    image.write(output, &options).map_err(|e| e.to_string())?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(())
}

/// Whether `path` is a frame written by `Image::save` / `Channel::save`.
fn image_frame(path: &Path) -> bool {
    compressed_image::persist::probe(path).is_ok()
}

/// Whether `path` is an EXR, PNG, TIFF or JPEG file.
fn image_file(path: &Path) -> bool {
    matches!(
        image_io::detect_format(path),
        Ok(FileFormat::Exr | FileFormat::Png | FileFormat::Tiff | FileFormat::Jpeg)
    )
}

fn print_image_info(path: &Path, json: bool) -> Result<(), String> {
    let info = compressed_image::persist::probe(path).map_err(|e| e.to_string())?;
    let image = AnyImage::load(path).map_err(|e| e.to_string())?;
    with_any_image!(&image, img => print_typed_image_info(img, &info.kind, json));
    Ok(())
}

fn print_typed_image_info<T: Element>(img: &Image<T>, kind: &str, json: bool) {
    let names = img.channel_names();
    let channels: Vec<String> = img
        .channels()
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(i, (c, n))| {
            let p = c.params();
            if json {
                format!(
                    "{{\"index\": {i}, \"name\": {}, \"chunks\": {}, \"lazy_chunks\": {}, \"chunk_rows\": {}, \"nbytes\": {}, \"cbytes\": {}, \"ratio\": {:.4}, \"codec\": \"{}\", \"clevel\": {}, \"filter\": \"{}\"}}",
                    n.map_or_else(|| "null".to_owned(), json_str),
                    c.num_chunks(),
                    c.num_lazy_chunks(),
                    c.chunk_rows(),
                    c.uncompressed_bytes(),
                    c.compressed_bytes(),
                    c.compression_ratio(),
                    p.codec.name(),
                    p.clevel,
                    p.filter.name()
                )
            } else {
                format!(
                    "{i:>5} {:<24} {:>7} {:>6} {:>12} {:>12} {:>8.2}  {} {} {}",
                    n.unwrap_or("-"),
                    c.num_chunks(),
                    c.num_lazy_chunks(),
                    c.uncompressed_bytes(),
                    c.compressed_bytes(),
                    c.compression_ratio(),
                    p.codec.name(),
                    p.clevel,
                    p.filter.name()
                )
            }
        })
        .collect();
    let metadata = compressed_image::serde_json::to_string(img.metadata()).unwrap_or_default();
    if json {
        println!(
            "{{\"image\": true, \"kind\": \"{kind}\", \"dtype\": \"{}\", \"width\": {}, \"height\": {}, \"nbytes\": {}, \"cbytes\": {}, \"ratio\": {:.4}, \"channels\": [{}], \"metadata\": {metadata}}}",
            T::DTYPE,
            img.width(),
            img.height(),
            img.uncompressed_bytes(),
            img.compressed_bytes(),
            img.compression_ratio(),
            channels.join(", ")
        );
        return;
    }
    println!("compressed-image {kind}");
    println!("dtype       {}", T::DTYPE);
    println!("size        {} x {}", img.width(), img.height());
    println!("channels    {}", img.num_channels());
    println!("nbytes      {}", img.uncompressed_bytes());
    println!("cbytes      {}", img.compressed_bytes());
    println!("ratio       {:.3}", img.compression_ratio());
    println!("metadata    {} keys", img.metadata().len());
    println!(
        "{:>5} {:<24} {:>7} {:>6} {:>12} {:>12} {:>8}  codec",
        "index", "name", "chunks", "lazy", "nbytes", "cbytes", "ratio"
    );
    for line in channels {
        println!("{line}");
    }
}

fn print_file_info(path: &Path, json: bool) -> Result<(), String> {
    let info = image_io::probe_file(path, 0).map_err(|e| e.to_string())?;
    if json {
        let channels: Vec<String> = info
            .channel_names
            .iter()
            .zip(&info.channel_dtypes)
            .map(|(n, d)| format!("{{\"name\": {}, \"dtype\": \"{d}\"}}", json_str(n)))
            .collect();
        println!(
            "{{\"file\": true, \"format\": \"{}\", \"width\": {}, \"height\": {}, \"parts\": {}, \"channels\": [{}]}}",
            info.format,
            info.width,
            info.height,
            info.parts,
            channels.join(", ")
        );
        return Ok(());
    }
    println!("{} file", info.format);
    println!("size        {} x {}", info.width, info.height);
    println!("parts       {}", info.parts);
    println!("channels    {}", info.channel_names.len());
    for (n, d) in info.channel_names.iter().zip(&info.channel_dtypes) {
        println!("  {n:<24} {d}");
    }
    Ok(())
}
