//! blockcodec's pure-Rust Zstd backend: [structured-zstd] behind a non-generic API.
//!
//! structured-zstd's encoder is generic, so every crate that calls it compiles its match
//! finders anew (dozens of const-generic variants). Behind this crate's plain functions they
//! are compiled once per build profile, not again for each of blockcodec's library, test and
//! feature builds. The frame envelope checks, the level map and the tests are in blockcodec
//! (`codec/zstd.rs`); this crate only drives structured-zstd and works around two of its
//! flaws:
//!
//! - **Raw-block skip.** structured-zstd stores a block raw, unsearched, when a byte-histogram
//!   sample makes it look incompressible (≥ 200 distinct byte values, none above 1/24).
//!   Photographs fool that test: on a planar u8 photo the first blocks went out raw where
//!   libzstd's Huffman-coded literals save 10 %, 2–18 % worse than libzstd over the image
//!   depending on the level. The skip is off when long-distance matching is on, and with it the
//!   output is within 0.2 % of libzstd's; but LDM costs 30–45 % of the speed at low levels. So
//!   a frame with a raw block is compressed again with LDM and the smaller frame kept.
//! - **Frames that do not decode.** Version 0.2.6 sometimes writes such frames with its
//!   binary-tree match finders (zstd levels 13 and up): see [`State::compress`].
//!
//! [structured-zstd]: https://crates.io/crates/structured-zstd

#![forbid(unsafe_code)]

use structured_zstd::decoding::{ContentChecksum, DictionaryHandle, FrameDecoder};
use structured_zstd::encoding::{CompressionLevel, CompressionParameters, FrameCompressor};

/// The level a frame that does not decode is made again at: the highest without the
/// binary-tree match finders (zstd's lazy2 strategy).
const FALLBACK_LEVEL: i32 = 12;

/// Encoder and decoder state, kept between frames (one per thread).
#[derive(Default)]
pub struct State {
    /// Compressors of the last level used (tables are kept between frames): plain, LDM.
    encoders: Option<(i32, Box<[FrameCompressor; 2]>)>,
    frame: Vec<u8>,
    retry: Vec<u8>,
    /// Where each new frame is decoded to be checked.
    check: Vec<u8>,
    decoder: Option<Box<FrameDecoder>>,
    /// The last dictionary section seen and its parsed form.
    dict: Option<(Vec<u8>, DictionaryHandle)>,
}

fn encoder(level: i32, ldm: bool) -> FrameCompressor {
    let level = CompressionLevel::Level(level);
    let mut e = FrameCompressor::new(level);
    if ldm {
        // The builder only fails on out-of-range knobs, and none is set.
        if let Ok(p) = CompressionParameters::builder(level)
            .enable_long_distance_matching(true)
            .build()
        {
            e.set_parameters(&p);
        }
    }
    // As ZSTD_compressCCtx: content size in the header, no checksum.
    e.set_content_size_flag(true);
    e.set_content_checksum(false);
    e
}

fn new_decoder() -> Box<FrameDecoder> {
    let mut d = Box::new(FrameDecoder::new());
    d.set_content_checksum(ContentChecksum::Verify);
    d
}

impl State {
    /// Compresses `input` as one frame at zstd `level` into `out` (its length is the output
    /// limit); `has_raw_block` tells whether a frame stores some block raw. Returns the frame
    /// length, or 0 when it does not fit.
    ///
    /// At levels above [`FALLBACK_LEVEL`] every frame is decoded before it is used: there
    /// structured-zstd 0.2.6 sometimes writes frames that do not decode (a u32 ramp of 256 KiB
    /// at level 13, of 512 KiB at 16; blockcodec's tests keep them). That costs ≤ 2 % (encoding
    /// runs at ≤ 30 MB/s there, decoding at ≥ 1 GB/s); a bad frame is made again at
    /// [`FALLBACK_LEVEL`], and if that failed too 0 is returned (the caller stores the block
    /// raw). Lower levels are not checked (it would cost up to 27 % at level 1): 177,062
    /// random structured inputs of 1 B–1 MiB at those levels, 40 interop data sets and the
    /// fuzzers' roundtrips never produced a bad frame.
    pub fn compress(
        &mut self,
        level: i32,
        input: &[u8],
        out: &mut [u8],
        has_raw_block: fn(&[u8]) -> bool,
    ) -> usize {
        self.encode(level, input, has_raw_block);
        if level > FALLBACK_LEVEL && !self.decodes_to(input) {
            self.encode(FALLBACK_LEVEL, input, has_raw_block);
            if !self.decodes_to(input) {
                return 0;
            }
        }
        match out.get_mut(..self.frame.len()) {
            Some(dst) => {
                dst.copy_from_slice(&self.frame);
                self.frame.len()
            }
            None => 0,
        }
    }

    /// Compresses `input` into `self.frame`.
    fn encode(&mut self, level: i32, input: &[u8], has_raw_block: fn(&[u8]) -> bool) {
        let encoders = match &mut self.encoders {
            Some((l, e)) if *l == level => e,
            slot => {
                let pair = Box::new([encoder(level, false), encoder(level, true)]);
                &mut slot.insert((level, pair)).1
            }
        };
        let [plain, ldm] = &mut **encoders;
        plain.compress_independent_frame_into(input, &mut self.frame);
        if has_raw_block(&self.frame) {
            ldm.compress_independent_frame_into(input, &mut self.retry);
            if self.retry.len() < self.frame.len() {
                std::mem::swap(&mut self.frame, &mut self.retry);
            }
        }
    }

    /// Whether `self.frame` decodes to exactly `input`.
    fn decodes_to(&mut self, input: &[u8]) -> bool {
        let mut check = std::mem::take(&mut self.check);
        check.clear();
        check.resize(input.len(), 0);
        let ok = matches!(
            self.decoder
                .get_or_insert_with(new_decoder)
                .decode_all(&self.frame, &mut check),
            Ok(n) if n == input.len() && check == input
        );
        self.check = check;
        ok
    }

    /// Decodes the frame(s) in `input` into `out` with the chunk's dictionary section `dict`
    /// (zstd's format or raw content), verifying checksums. Returns the decoded length.
    ///
    /// # Errors
    /// structured-zstd's message for a corrupt frame or a bad dictionary.
    pub fn decompress(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        dict: Option<&[u8]>,
    ) -> Result<usize, String> {
        let decoder = self.decoder.get_or_insert_with(new_decoder);
        let Some(bytes) = dict else {
            return decoder.decode_all(input, out).map_err(|e| e.to_string());
        };
        let handle = match &mut self.dict {
            Some((b, h)) if b.as_slice() == bytes => h,
            slot => {
                let h = DictionaryHandle::from_serialized_or_raw_content(bytes)
                    .map_err(|e| format!("bad dictionary: {e}"))?;
                &mut slot.insert((bytes.to_vec(), h)).1
            }
        };
        decoder
            .decode_all_with_dict_handle(input, out, handle)
            .map_err(|e| e.to_string())
    }
}
