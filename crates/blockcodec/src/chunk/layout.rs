//! Block size and split decisions (blosc-format.md §3.1 and §5.3), shared by writer and reader.

use crate::params::{CParams, Codec, Filter, SplitMode};

/// L1 cache size the C-Blosc2 tuner is built around.
const L1: usize = 32 * 1024;

/// C-Blosc2's `split_block`: whether blocks of `blocksize` bytes are cut into `typesize` streams.
pub(crate) fn split_block(cp: &CParams, typesize: usize, blocksize: usize) -> bool {
    match cp.splitmode {
        SplitMode::Always => true,
        SplitMode::Never => false,
        SplitMode::Auto | SplitMode::ForwardCompat => {
            let codec_ok = matches!(cp.codec, Codec::BloscLz | Codec::Lz4)
                || (cp.codec == Codec::Zstd && cp.clevel <= 5);
            codec_ok
                && cp.has_filter(Filter::Shuffle)
                && typesize <= 16
                && blocksize / typesize >= 32
        }
    }
}

/// C-Blosc2's automatic block size (`blosc_stune_next_blocksize`, §5.3), or the requested one
/// rounded down to whole elements. `typesize` is the header typesize (1..=255).
pub(crate) fn compute_blocksize(cp: &CParams, typesize: usize, nbytes: usize) -> usize {
    if nbytes < typesize {
        return 1;
    }
    let mut bs;
    if cp.blocksize != 0 {
        bs = cp.blocksize;
    } else {
        let split = split_block(cp, typesize, nbytes);
        let hcr = cp.codec.is_hcr();
        bs = nbytes;
        if nbytes >= L1 {
            bs = if hcr { 2 * L1 } else { L1 };
            bs = match cp.clevel {
                0 => bs / 4,
                1 => bs / 2,
                2 => bs,
                3 => bs * 2,
                4 | 5 => bs * 4,
                6..=8 => bs * 8,
                _ => {
                    if hcr {
                        bs * 16
                    } else {
                        bs * 8
                    }
                }
            };
        }
        if cp.clevel > 0 && split {
            let k = match cp.clevel {
                1..=3 => 32,
                4..=6 => 64,
                7 => 128,
                8 => 256,
                _ => 512,
            };
            bs = (k * 1024 * typesize).clamp(L1, 4 << 20);
        }
    }
    bs = bs.min(nbytes);
    if bs > typesize {
        bs = bs / typesize * typesize;
    }
    bs
}

/// Whether the writer marks blocks of `blocksize` as split. Never splits a block whose streams
/// would be empty (C-Blosc2 would write an undecodable chunk there).
pub(crate) fn writer_splits(cp: &CParams, typesize: usize, blocksize: usize) -> bool {
    blocksize >= typesize && split_block(cp, typesize, blocksize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(codec: Codec, clevel: u8, filters: &[Filter]) -> CParams {
        CParams::default()
            .codec(codec)
            .clevel(clevel)
            .filters(filters)
            .splitmode(SplitMode::Auto)
    }

    // Examples stated in blosc-format.md §5.3 (verified there against C-Blosc2 3.3.5).
    #[test]
    fn spec_examples() {
        let big = 8 << 20;
        assert_eq!(
            compute_blocksize(&cp(Codec::Zstd, 5, &[Filter::Shuffle]), 8, big),
            512 * 1024
        );
        assert_eq!(
            compute_blocksize(&cp(Codec::BloscLz, 5, &[Filter::Shuffle]), 4, big),
            256 * 1024
        );
        assert_eq!(
            compute_blocksize(&cp(Codec::Lz4Hc, 5, &[Filter::Shuffle]), 4, big),
            256 * 1024
        );
        assert_eq!(
            compute_blocksize(&cp(Codec::Zlib, 9, &[Filter::Shuffle]), 8, big),
            1 << 20
        );
    }

    #[test]
    fn small_and_requested() {
        let c = cp(Codec::Lz4, 5, &[Filter::Shuffle]);
        assert_eq!(compute_blocksize(&c, 8, 0), 1);
        assert_eq!(compute_blocksize(&c, 8, 7), 1);
        assert_eq!(
            compute_blocksize(&c.clone().blocksize(1001), 8, 100_000),
            1000
        );
        assert_eq!(
            compute_blocksize(&c.clone().blocksize(1 << 20), 4, 1000),
            1000
        );
    }

    #[test]
    fn split_rules() {
        let c = cp(Codec::Lz4, 5, &[Filter::Shuffle]);
        assert!(split_block(&c, 4, 4096));
        assert!(!split_block(&c, 4, 4 * 31));
        assert!(!split_block(&c, 17, 1 << 20));
        assert!(!split_block(&cp(Codec::Lz4, 5, &[]), 4, 4096));
        assert!(!split_block(
            &cp(Codec::Lz4Hc, 5, &[Filter::Shuffle]),
            4,
            4096
        ));
        assert!(split_block(
            &cp(Codec::Zstd, 5, &[Filter::Shuffle]),
            4,
            4096
        ));
        assert!(!split_block(
            &cp(Codec::Zstd, 6, &[Filter::Shuffle]),
            4,
            4096
        ));
        assert!(split_block(
            &c.clone().splitmode(SplitMode::Always),
            200,
            10
        ));
        assert!(!writer_splits(
            &c.clone().splitmode(SplitMode::Always),
            200,
            10
        ));
    }
}
