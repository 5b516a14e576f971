//! The filter pipeline (blosc-format.md §4.1): up to six slots applied in order on compression
//! and undone in reverse on decompression.

pub(crate) mod bitshuffle;
pub(crate) mod delta;
pub(crate) mod shuffle;
mod simd;
pub(crate) mod truncprec;

use crate::error::Result;
use crate::params::{Filter, FilterSlot, MAX_FILTERS};
use crate::user::{self, BlockInfo, UserFilters};

/// Which bitshuffle rules the chunk was written with (§4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BitshuffleRules {
    /// C-Blosc 1.x, chunk version <= 2.
    V2,
    /// C-Blosc2, chunk version >= 3.
    V3,
}

/// A pipeline resolved for one chunk: the active slots, the chunk's typesize and the user
/// filters of [`Filter::User`] slots (blosc-format.md §4.1, ids 160–255).
#[derive(Clone)]
pub(crate) struct Pipeline {
    slots: [FilterSlot; MAX_FILTERS],
    typesize: usize,
    rules: BitshuffleRules,
    user: UserFilters,
}

/// Per-thread filter buffers, reused across blocks and calls.
#[derive(Default)]
pub(crate) struct FilterScratch {
    a: Vec<u8>,
    b: Vec<u8>,
}

fn resized(buf: &mut Vec<u8>, len: usize) -> &mut [u8] {
    if buf.len() < len {
        buf.resize(len, 0);
    }
    &mut buf[..len]
}

impl Pipeline {
    pub(crate) fn new(
        slots: [FilterSlot; MAX_FILTERS],
        typesize: usize,
        rules: BitshuffleRules,
    ) -> Pipeline {
        Pipeline {
            slots,
            typesize,
            rules,
            user: UserFilters::default(),
        }
    }

    /// Attaches the resolved user filters (one per [`Filter::User`] slot).
    pub(crate) fn with_user(mut self, user: UserFilters) -> Pipeline {
        self.user = user;
        self
    }

    /// Whether any slot changes data on the way back (trunc-prec has no inverse).
    pub(crate) fn has_inverse(&self) -> bool {
        self.slots
            .iter()
            .any(|s| !matches!(s.filter, Filter::NoFilter | Filter::TruncPrec))
    }

    /// Whether any slot changes data on the way in.
    pub(crate) fn is_identity(&self) -> bool {
        self.slots.iter().all(|s| s.filter == Filter::NoFilter)
    }

    pub(crate) fn has_delta(&self) -> bool {
        self.slots.iter().any(|s| s.filter == Filter::Delta)
    }

    fn shuffle_size(&self, slot: &FilterSlot) -> usize {
        // filters_meta of a shuffle slot is its element size; 0 means the typesize (§4.1).
        if slot.meta == 0 {
            self.typesize
        } else {
            usize::from(slot.meta)
        }
    }

    /// Runs the pipeline forward over `src` (a block). `reference` is the chunk's original first
    /// block for blocks after the first (delta). Returns the filtered bytes, which live in
    /// `scratch` (or are `src` itself when every slot is empty). `info` is only read by user
    /// filters.
    pub(crate) fn forward<'a>(
        &self,
        src: &'a [u8],
        reference: Option<&[u8]>,
        scratch: &'a mut FilterScratch,
        info: &BlockInfo,
    ) -> Result<&'a [u8]> {
        if self.is_identity() {
            return Ok(src);
        }
        let len = src.len();
        let FilterScratch { a, b } = scratch;
        resized(a, len).copy_from_slice(src);
        let (mut cur, mut nxt) = (a, b);
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.filter == Filter::NoFilter {
                continue;
            }
            let input = &cur[..len];
            let out = resized(nxt, len);
            match slot.filter {
                Filter::Shuffle => shuffle::shuffle(self.shuffle_size(slot), input, out),
                Filter::BitShuffle => bitshuffle::bitshuffle(self.typesize, input, out),
                Filter::Delta => delta::encode(self.typesize, reference, input, out),
                Filter::TruncPrec => truncprec::truncate(self.typesize, slot.meta, input, out)?,
                // C-Blosc2 `pipeline_forward`: forward(src, dest, bsize, filters_meta[i], ..).
                Filter::User(_) => {
                    let f = self.user[i].as_deref();
                    user::run_filter(f, false, input, out, slot.meta, info)?;
                }
                Filter::NoFilter => {}
            }
            std::mem::swap(&mut cur, &mut nxt);
        }
        Ok(&cur[..len])
    }

    /// Undoes the pipeline: `filtered` (the decoded streams of a block, in `scratch.a` of the
    /// caller's choosing) becomes the block in `dst`. `reference` is the decoded block 0 for
    /// later blocks (delta). `info` is only read by user filters, the only stage that can fail.
    pub(crate) fn backward(
        &self,
        scratch: &mut FilterScratch,
        dst: &mut [u8],
        reference: Option<&[u8]>,
        info: &BlockInfo,
    ) -> Result<()> {
        let len = dst.len();
        let undoes = |s: &FilterSlot| !matches!(s.filter, Filter::NoFilter | Filter::TruncPrec);
        let total = self.slots.iter().filter(|s| undoes(s)).count();
        let FilterScratch { a, b } = scratch;
        let (mut cur, mut nxt) = (a, b);
        let stages = self.slots.iter().enumerate().rev();
        for (k, (i, slot)) in stages.filter(|(_, s)| undoes(s)).enumerate() {
            let input = &cur[..len];
            let last = k + 1 == total;
            let out: &mut [u8] = if last { &mut *dst } else { resized(nxt, len) };
            match slot.filter {
                Filter::Shuffle => shuffle::unshuffle(self.shuffle_size(slot), input, out),
                Filter::BitShuffle => match self.rules {
                    BitshuffleRules::V3 => bitshuffle::bitunshuffle(self.typesize, input, out),
                    BitshuffleRules::V2 => bitshuffle::bitunshuffle_v2(self.typesize, input, out),
                },
                Filter::Delta => delta::decode(self.typesize, reference, input, out),
                // C-Blosc2 `pipeline_backward`: backward(src, dest, bsize, filters_meta[i], ..).
                Filter::User(_) => {
                    let f = self.user[i].as_deref();
                    user::run_filter(f, true, input, out, slot.meta, info)?;
                }
                Filter::TruncPrec | Filter::NoFilter => {}
            }
            if !last {
                std::mem::swap(&mut cur, &mut nxt);
            }
        }
        Ok(())
    }

    /// Buffer the decoder writes a block's streams into before [`Pipeline::backward`].
    pub(crate) fn stream_buffer(scratch: &mut FilterScratch, len: usize) -> &mut [u8] {
        resized(&mut scratch.a, len)
    }
}
