//! SIMD byte shuffle and bitshuffle (blosc-format.md §4.2), selected at run time. The only
//! module of the crate allowed to use `unsafe`.
//!
//! [`Kernel`] names one implementation of the four filters; [`Kernel::best`] is the fastest
//! one the CPU supports and [`variants`] lists them all, so that tests run every one against
//! the scalar reference in `shuffle.rs` / `bitshuffle.rs` (the spec). Kernels produce the
//! same bytes as the scalar code for every input, tails included.
//!
//! | target | kernels | byte (un)shuffle | bit (un)shuffle |
//! | --- | --- | --- | --- |
//! | x86-64 | SSE2 (always), AVX2 (detected) | typesizes >= 2 (\*) | typesizes 1..=2048 |
//! | others | scalar only | — | — |
//!
//! (\*) except where the scalar code measured faster: the SSE2 shuffle of 2-byte elements
//! (LLVM vectorises the scalar loop well) and the SSE2 unshuffle of 3-byte ones.
//!
//! Typesizes 2, 4, 8 and 16 have dedicated kernels; the others share a 16x16 byte transpose
//! (`x86.rs` explains both). Bitshuffle byte-shuffles tiles of elements into rows with those
//! kernels, and every row becomes its eight bit planes through the 8-byte kernel with a bit
//! transpose folded in.
//!
//! # Safety invariants
//!
//! 1. A `x86::Avx2` value exists only if the running CPU supports AVX2: its one constructor
//!    runs `is_x86_feature_detected!`. Every `#[target_feature(enable = "avx2")]` function is
//!    called either from another such function or after matching on an `Avx2` value.
//! 2. Raw-pointer loads and stores are unaligned and stay inside the slices they come from: each
//!    safe entry point of `x86.rs` (`shuffle_streams`, `unshuffle_streams`, `unshuffle_small`,
//!    `shuffle_any`, `unshuffle_any`) asserts the slice lengths it needs, and its block loop
//!    only visits blocks whose every access ends within those lengths.
//! 3. No `unsafe` outside this module: the crate root denies `unsafe_code` and only this module
//!    allows it.
//!
//! NEON (aarch64) kernels are not written yet: they could not be built or tested here.

#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
mod x86;

use std::sync::OnceLock;

use super::bitshuffle::{bitshuffle_scalar, bitunshuffle_scalar, transpose8x8};
use super::shuffle::{shuffle_scalar, unshuffle_scalar};

/// Bytes of the row tile of the SIMD bitshuffle: the rows of `TILE / typesize` elements (a
/// multiple of 8) are written and read back while they are still in L1.
const TILE: usize = 16384;

/// Largest typesize the tiled SIMD bitshuffle takes (a tile must hold 8 elements); larger
/// ones, which a chunk header cannot express, use the scalar code.
pub(crate) const MAX_TILED_TYPESIZE: usize = TILE / 8;

/// One implementation of the shuffle filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// The scalar reference code.
    Scalar,
    /// x86-64 SSE2 (baseline).
    #[cfg(target_arch = "x86_64")]
    Sse2,
    /// x86-64 AVX2; the token proves the CPU supports it.
    #[cfg(target_arch = "x86_64")]
    Avx2(x86::Avx2),
}

/// Every kernel the running CPU supports, slowest first.
pub(crate) fn variants() -> Vec<Kernel> {
    #[allow(unused_mut)]
    let mut v = vec![Kernel::Scalar];
    #[cfg(target_arch = "x86_64")]
    {
        v.push(Kernel::Sse2);
        v.extend(x86::Avx2::detect().map(Kernel::Avx2));
    }
    v
}

impl Kernel {
    /// The fastest supported kernel, detected once per process.
    pub(crate) fn best() -> Kernel {
        static BEST: OnceLock<Kernel> = OnceLock::new();
        *BEST.get_or_init(|| variants().last().copied().unwrap_or(Kernel::Scalar))
    }

    /// Byte shuffle with the contract of [`shuffle_scalar`].
    pub(crate) fn shuffle(self, typesize: usize, src: &[u8], dst: &mut [u8]) {
        if !self.has_byte_kernel(typesize) {
            return shuffle_scalar(typesize, src, dst);
        }
        let (src_body, src_tail, dst_body, dst_tail) = split(typesize, 1, src, dst);
        self.shuffle_elems(typesize, src_body, dst_body);
        dst_tail.copy_from_slice(src_tail);
    }

    /// Byte unshuffle with the contract of [`unshuffle_scalar`].
    pub(crate) fn unshuffle(self, typesize: usize, src: &[u8], dst: &mut [u8]) {
        if !self.has_byte_kernel(typesize) {
            return unshuffle_scalar(typesize, src, dst);
        }
        let (src_body, src_tail, dst_body, dst_tail) = split(typesize, 1, src, dst);
        self.unshuffle_elems(typesize, src_body, dst_body);
        dst_tail.copy_from_slice(src_tail);
    }

    /// Bitshuffle with the contract of [`bitshuffle_scalar`].
    pub(crate) fn bitshuffle(self, typesize: usize, src: &[u8], dst: &mut [u8]) {
        if self == Kernel::Scalar || !(1..=MAX_TILED_TYPESIZE).contains(&typesize) {
            return bitshuffle_scalar(typesize, src, dst);
        }
        let (src_body, src_tail, dst_body, dst_tail) = split(typesize, 8, src, dst);
        self.bit_forward(typesize, src_body, dst_body);
        dst_tail.copy_from_slice(src_tail);
    }

    /// Bit unshuffle with the contract of [`bitunshuffle_scalar`].
    pub(crate) fn bitunshuffle(self, typesize: usize, src: &[u8], dst: &mut [u8]) {
        if self == Kernel::Scalar || !(1..=MAX_TILED_TYPESIZE).contains(&typesize) {
            return bitunshuffle_scalar(typesize, src, dst);
        }
        let (src_body, src_tail, dst_body, dst_tail) = split(typesize, 8, src, dst);
        self.bit_inverse(typesize, src_body, dst_body);
        dst_tail.copy_from_slice(src_tail);
    }

    /// Whether [`Kernel::shuffle_elems`] has SIMD code for `ts`.
    fn has_byte_kernel(self, ts: usize) -> bool {
        self != Kernel::Scalar && ts >= 2
    }

    /// Byte-shuffles whole elements (`src.len()` a multiple of `ts`, equal to `dst.len()`).
    fn shuffle_elems(self, ts: usize, src: &[u8], dst: &mut [u8]) {
        // The streams are contiguous: `src.len() / ts` bytes apart.
        let done = match self {
            Kernel::Scalar => false,
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2 => x86::shuffle(None, ts, src, dst, src.len() / ts),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(avx2) => x86::shuffle(Some(avx2), ts, src, dst, src.len() / ts),
        };
        if !done {
            shuffle_scalar(ts, src, dst);
        }
    }

    /// Inverse of [`Kernel::shuffle_elems`].
    fn unshuffle_elems(self, ts: usize, src: &[u8], dst: &mut [u8]) {
        let done = match self {
            Kernel::Scalar => false,
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2 => x86::unshuffle(None, ts, src, dst.len() / ts, dst),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(avx2) => x86::unshuffle(Some(avx2), ts, src, dst.len() / ts, dst),
        };
        if !done {
            unshuffle_scalar(ts, src, dst);
        }
    }

    /// Turns a row (byte `j` of `8 * g` consecutive elements, `row.len() == 8 * g`) into its
    /// eight bit planes: plane `b` (bit `b` of every byte, LSB first) goes to
    /// `dst[b * stride..][..g]`.
    fn rows_to_planes(self, row: &[u8], dst: &mut [u8], stride: usize) {
        match self {
            Kernel::Scalar => scalar_shuffle_streams::<8, true>(row, dst, stride),
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2 => x86::rows_to_planes(None, row, dst, stride),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(avx2) => x86::rows_to_planes(Some(avx2), row, dst, stride),
        }
    }

    /// Inverse of [`Kernel::rows_to_planes`]: fills `row` from the planes
    /// `src[b * stride..][..row.len() / 8]`.
    fn planes_to_rows(self, src: &[u8], stride: usize, row: &mut [u8]) {
        match self {
            Kernel::Scalar => scalar_unshuffle_streams::<8, true>(src, stride, row),
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2 => x86::planes_to_rows(None, src, stride, row),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(avx2) => x86::planes_to_rows(Some(avx2), src, stride, row),
        }
    }

    /// Bitshuffles `m = src.len() / ts` elements, `m` a multiple of 8. Output row `j` (byte `j`
    /// of every element) is `dst[j * m..][..m]`, made of 8 planes of `m / 8` bytes, so a tile
    /// of elements fills the same slice of every plane and tiles are independent.
    fn bit_forward(self, ts: usize, src: &[u8], dst: &mut [u8]) {
        let m = src.len() / ts;
        let m8 = m / 8;
        if ts == 1 {
            return self.rows_to_planes(src, dst, m8);
        }
        let k = TILE / ts / 8 * 8; // elements per tile, >= 8
        let mut tmp = [0u8; TILE];
        for (t, tile) in src.chunks(k * ts).enumerate() {
            let kt = tile.len() / ts;
            let g0 = t * k / 8; // first plane byte of the tile
            let rows = &mut tmp[..tile.len()];
            self.shuffle_elems(ts, tile, rows);
            for (j, row) in rows.chunks_exact(kt).enumerate() {
                self.rows_to_planes(row, &mut dst[j * m + g0..(j + 1) * m], m8);
            }
        }
    }

    /// Inverse of [`Kernel::bit_forward`].
    fn bit_inverse(self, ts: usize, src: &[u8], dst: &mut [u8]) {
        let m = dst.len() / ts;
        let m8 = m / 8;
        if ts == 1 {
            return self.planes_to_rows(src, m8, dst);
        }
        let k = TILE / ts / 8 * 8;
        let mut tmp = [0u8; TILE];
        for (t, tile) in dst.chunks_mut(k * ts).enumerate() {
            let kt = tile.len() / ts;
            let g0 = t * k / 8;
            let rows = &mut tmp[..tile.len()];
            for (j, row) in rows.chunks_exact_mut(kt).enumerate() {
                self.planes_to_rows(&src[j * m + g0..(j + 1) * m], m8, row);
            }
            self.unshuffle_elems(ts, rows, tile);
        }
    }
}

/// Splits `src` and `dst` (cut to the shorter length) into a body of whole groups of
/// `group` elements of `typesize` bytes and the tail after it.
fn split<'s, 'd>(
    typesize: usize,
    group: usize,
    src: &'s [u8],
    dst: &'d mut [u8],
) -> (&'s [u8], &'s [u8], &'d mut [u8], &'d mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    let len = src.len().min(dst.len());
    let unit = typesize.max(1) * group;
    let body = len / unit * unit;
    let (src_body, src_tail) = src[..len].split_at(body);
    let (dst_body, dst_tail) = dst[..len].split_at_mut(body);
    (src_body, src_tail, dst_body, dst_tail)
}

/// The scalar form of the stream kernels, for blocks too short for a vector: element `i`
/// (`TS` bytes of `src`; its `u64` bit-transposed first if `T`, which needs `TS >= 8`) has
/// its byte `j` stored at `dst[j * stride + i]`.
fn scalar_shuffle_streams<const TS: usize, const T: bool>(
    src: &[u8],
    dst: &mut [u8],
    stride: usize,
) {
    for (i, e) in src.as_chunks::<TS>().0.iter().enumerate() {
        let e = maybe_transpose::<TS, T>(*e);
        for (j, b) in e.into_iter().enumerate() {
            dst[j * stride + i] = b;
        }
    }
}

/// Inverse of [`scalar_shuffle_streams`] over the `dst.len() / TS` elements of `dst`.
fn scalar_unshuffle_streams<const TS: usize, const T: bool>(
    src: &[u8],
    stride: usize,
    dst: &mut [u8],
) {
    for (i, e) in dst.as_chunks_mut::<TS>().0.iter_mut().enumerate() {
        let mut a = [0; TS];
        for (j, b) in a.iter_mut().enumerate() {
            *b = src[j * stride + i];
        }
        *e = maybe_transpose::<TS, T>(a);
    }
}

/// `e` with its first 8 bytes bit-transposed as a little-endian `u64` if `T`.
fn maybe_transpose<const TS: usize, const T: bool>(mut e: [u8; TS]) -> [u8; TS] {
    if T && let Some(w) = e.first_chunk_mut::<8>() {
        *w = transpose8x8(u64::from_le_bytes(*w)).to_le_bytes();
    }
    e
}

#[cfg(test)]
mod tests;
