//! x86-64 kernels: SSE2 (part of the x86-64 baseline, so always present) and AVX2 (detected at
//! run time).
//!
//! Every kernel is built from one operation, the *zip round*: `N` vectors become
//! `unpacklo_epi8(v[i], v[i + N/2])`, `unpackhi_epi8(v[i], v[i + N/2])` for `i < N/2`. Write a
//! byte's place in the `N` vectors of 16 bytes as one bit string, vector bits first, lane bits
//! last; a zip round moves the byte from place `P` to place `rotate_left(P, 1)`. A block of 16
//! elements of `TS = 2^k` bytes is `TS` vectors in which byte `j` of element `e` sits at
//! `(e, j)` (4 + k bits); its shuffle puts it at `(j, e)`, four rotations away, and its
//! unshuffle is the way back, `k` rotations. AVX2 unpacks work inside each 128-bit half, so
//! the half bit stays put: the AVX2 kernels handle two 16-element blocks side by side, one per
//! half, and exchange halves with `vperm2i128` where the elements are loaded (shuffle) or
//! stored (unshuffle).
//!
//! Other typesizes go through a 16x16 byte transpose (16 vectors, four rounds) of 16
//! elements. Over 16 bytes, one 16-byte column slice of the elements at a time (the last slice
//! may overlap the one before). Under 16, the shuffle loads 16 bytes per element, running into
//! the next elements (the extra rows are dropped), and the unshuffle transposes the streams
//! padded with zero rows, then packs the 16 zero-padded elements into `typesize` vectors with
//! byte shifts.
//!
//! Bitshuffle reuses the 8-byte kernels with an 8x8 bit transpose of every `u64` (delta swaps,
//! as in the scalar code) applied to the vectors before the shuffle or after the unshuffle.
//!
//! Loops that go over whole blocks finish with a block that may overlap the one before (it
//! rewrites the same bytes), and align one side to the vector size (or to a cache line, see
//! `shuffle_streams`) after a first unaligned block.

/// Proof that the CPU supports AVX2: [`Avx2::detect`] is the only way to make one (invariant 1
/// of the parent module).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Avx2(());

impl Avx2 {
    /// `Some` iff the running CPU supports AVX2.
    pub(super) fn detect() -> Option<Avx2> {
        std::is_x86_feature_detected!("avx2").then_some(Avx2(()))
    }
}

/// Byte-shuffles the `n = src.len() / ts` elements of `src` into `ts` streams of `n` bytes at
/// `dst[j * stride..]`; returns false, leaving `dst` alone, when there is no SIMD kernel for
/// `ts`.
///
/// # Panics
///
/// If the streams do not fit in `dst`.
pub(super) fn shuffle(
    avx2: Option<Avx2>,
    ts: usize,
    src: &[u8],
    dst: &mut [u8],
    stride: usize,
) -> bool {
    macro_rules! go {
        ($ts:literal) => {
            match avx2 {
                // SAFETY: an `Avx2` exists only if the CPU supports AVX2 (invariant 1).
                Some(_) => unsafe { avx2::shuffle_streams::<$ts, false>(src, dst, stride) },
                // SAFETY: every x86-64 CPU supports SSE2.
                None => unsafe { sse2::shuffle_streams::<$ts, false>(src, dst, stride) },
            }
        };
    }
    match ts {
        // LLVM vectorises the scalar 2-byte split into a pack sequence that beats SSE2 zips.
        2 if avx2.is_none() => return false,
        2 => go!(2),
        4 => go!(4),
        8 => go!(8),
        16 => go!(16),
        0 | 1 => return false,
        _ => match avx2 {
            // SAFETY: an `Avx2` exists only if the CPU supports AVX2 (invariant 1).
            Some(_) => unsafe { avx2::shuffle_any(ts, src, dst, stride, 0) },
            // SAFETY: every x86-64 CPU supports SSE2.
            None => unsafe { sse2::shuffle_any(ts, src, dst, stride, 0) },
        },
    }
    true
}

/// Inverse of [`shuffle`]: the `n = dst.len() / ts` elements of `dst` are gathered from the
/// streams `src[j * stride..][..n]`.
///
/// # Panics
///
/// If the streams do not fit in `src`.
pub(super) fn unshuffle(
    avx2: Option<Avx2>,
    ts: usize,
    src: &[u8],
    stride: usize,
    dst: &mut [u8],
) -> bool {
    macro_rules! go {
        ($ts:literal) => {
            match avx2 {
                // SAFETY: an `Avx2` exists only if the CPU supports AVX2 (invariant 1).
                Some(_) => unsafe { avx2::unshuffle_streams::<$ts, false>(src, stride, dst) },
                // SAFETY: every x86-64 CPU supports SSE2.
                None => unsafe { sse2::unshuffle_streams::<$ts, false>(src, stride, dst) },
            }
        };
    }
    macro_rules! small {
        ($ts:literal) => {
            match avx2 {
                // SAFETY: an `Avx2` exists only if the CPU supports AVX2 (invariant 1).
                Some(_) => unsafe { avx2::unshuffle_small::<$ts>(src, stride, dst) },
                // SAFETY: every x86-64 CPU supports SSE2.
                None => unsafe { sse2::unshuffle_small::<$ts>(src, stride, dst) },
            }
        };
    }
    match ts {
        2 => go!(2),
        4 => go!(4),
        8 => go!(8),
        16 => go!(16),
        // SSE2 lacks the registers to beat the scalar loop on 3-byte elements.
        3 if avx2.is_none() => return false,
        3 => small!(3),
        5 => small!(5),
        6 => small!(6),
        7 => small!(7),
        9 => small!(9),
        10 => small!(10),
        11 => small!(11),
        12 => small!(12),
        13 => small!(13),
        14 => small!(14),
        15 => small!(15),
        0 | 1 => return false,
        _ => match avx2 {
            // SAFETY: an `Avx2` exists only if the CPU supports AVX2 (invariant 1).
            Some(_) => unsafe { avx2::unshuffle_any(ts, src, stride, dst, 0) },
            // SAFETY: every x86-64 CPU supports SSE2.
            None => unsafe { sse2::unshuffle_any(ts, src, stride, dst, 0) },
        },
    }
    true
}

/// See [`super::Kernel::rows_to_planes`].
pub(super) fn rows_to_planes(avx2: Option<Avx2>, row: &[u8], dst: &mut [u8], stride: usize) {
    match avx2 {
        // SAFETY: an `Avx2` exists only if the CPU supports AVX2 (invariant 1).
        Some(_) => unsafe { avx2::shuffle_streams::<8, true>(row, dst, stride) },
        // SAFETY: every x86-64 CPU supports SSE2.
        None => unsafe { sse2::shuffle_streams::<8, true>(row, dst, stride) },
    }
}

/// See [`super::Kernel::planes_to_rows`].
pub(super) fn planes_to_rows(avx2: Option<Avx2>, src: &[u8], stride: usize, row: &mut [u8]) {
    match avx2 {
        // SAFETY: an `Avx2` exists only if the CPU supports AVX2 (invariant 1).
        Some(_) => unsafe { avx2::unshuffle_streams::<8, true>(src, stride, row) },
        // SAFETY: every x86-64 CPU supports SSE2.
        None => unsafe { sse2::unshuffle_streams::<8, true>(src, stride, row) },
    }
}

/// `$f::<n>($v)` for a byte count `n < 16` known only as a value (it folds to one
/// instruction once `n` is a constant); `$v` for 0.
macro_rules! by_const {
    ($n:expr, $v:expr, $f:ident) => {
        match $n {
            1 => $f::<1>($v),
            2 => $f::<2>($v),
            3 => $f::<3>($v),
            4 => $f::<4>($v),
            5 => $f::<5>($v),
            6 => $f::<6>($v),
            7 => $f::<7>($v),
            8 => $f::<8>($v),
            9 => $f::<9>($v),
            10 => $f::<10>($v),
            11 => $f::<11>($v),
            12 => $f::<12>($v),
            13 => $f::<13>($v),
            14 => $f::<14>($v),
            15 => $f::<15>($v),
            _ => $v,
        }
    };
}

/// ORs the element vectors `$v[e]` (`$ts` bytes each, then zeros) into `$out` at byte
/// `e * $ts` of the concatenated vectors; unrolled by hand so that every shift count is a
/// constant.
macro_rules! pack_elements {
    ($out:ident, $v:ident, $ts:ident; $($e:literal)*) => {$({
        // Element `e` covers bytes `[e * ts, (e + 1) * ts)`.
        let (k, off) = ($e * $ts / 16, $e * $ts % 16);
        $out[k] = or($out[k], shift_up($v[$e], off));
        if off + $ts > 16 {
            $out[k + 1] = or($out[k + 1], shift_down($v[$e], 16 - off));
        }
    })*};
}

/// The ISA-independent part of the kernels, expanded once per ISA module. The module provides
/// `V` (the vector type), `W` (elements per block), `LINE_BLOCKS`, `zero`, `unpacklo`,
/// `unpackhi`, `or`, `shift_up`, `shift_down`, `transpose_bits`, `load`, `store`, `load_elems`,
/// `store_elems`, `load_rows`, `store_rows` and the `fallback_*` functions for inputs too short
/// for a block; `$attr` are the attributes of every function (inlining, target feature).
macro_rules! kernels {
    ($(#[$attr:meta])*) => {
        /// One zip round (module docs): rotates every byte's place left by one bit.
        $(#[$attr])*
        fn zip<const N: usize>(v: [V; N]) -> [V; N] {
            let mut out = v;
            for i in 0..N / 2 {
                out[2 * i] = unpacklo(v[i], v[i + N / 2]);
                out[2 * i + 1] = unpackhi(v[i], v[i + N / 2]);
            }
            out
        }

        /// Shuffles `B` consecutive blocks of `W` elements of `TS` bytes (bit-transposing
        /// each `u64` first if `T`): stream `j` of the blocks, `B * W` bytes, goes to
        /// `dst + j * stride`, stored one stream after the other so that each stream's cache
        /// lines are written in one go.
        ///
        /// # Safety
        ///
        /// `src` is valid for reads of `B * W * TS` bytes and, for every `j < TS`,
        /// `dst + j * stride` is valid for writes of `B * W` bytes; the CPU supports the
        /// module's target feature.
        $(#[$attr])*
        unsafe fn shuffle_blocks<const TS: usize, const T: bool, const B: usize>(
            src: *const u8,
            dst: *mut u8,
            stride: usize,
        ) {
            let mut out = [[zero(); TS]; B];
            for (b, o) in out.iter_mut().enumerate() {
                // SAFETY: block `b` is within the caller's `B * W * TS` readable bytes.
                let mut v = unsafe { load_elems::<TS>(src.add(b * W * TS)) };
                if T {
                    for x in &mut v {
                        *x = transpose_bits(*x);
                    }
                }
                for _ in 0..4 {
                    v = zip(v);
                }
                *o = v;
            }
            for j in 0..TS {
                for (b, o) in out.iter().enumerate() {
                    // SAFETY: `j < TS` and `b * W + W <= B * W`: within the caller's writable
                    // bytes at `dst + j * stride`.
                    unsafe { store(dst.add(j * stride + b * W), o[j]) };
                }
            }
        }

        /// Inverse of [`shuffle_blocks`]: gathers `B * W` bytes from each stream
        /// `src + j * stride` (one stream after the other) into `B * W` elements at `dst`.
        ///
        /// # Safety
        ///
        /// For every `j < TS`, `src + j * stride` is valid for reads of `B * W` bytes; `dst`
        /// is valid for writes of `B * W * TS` bytes; the CPU supports the module's target
        /// feature.
        $(#[$attr])*
        unsafe fn unshuffle_blocks<const TS: usize, const T: bool, const B: usize>(
            src: *const u8,
            stride: usize,
            dst: *mut u8,
        ) {
            let mut v = [[zero(); TS]; B];
            for j in 0..TS {
                for (b, x) in v.iter_mut().enumerate() {
                    // SAFETY: `j < TS` and `b * W + W <= B * W`: within the caller's readable
                    // bytes at `src + j * stride`.
                    x[j] = unsafe { load(src.add(j * stride + b * W)) };
                }
            }
            for (b, mut x) in v.into_iter().enumerate() {
                let mut rounds = TS;
                while rounds > 1 {
                    x = zip(x);
                    rounds /= 2;
                }
                if T {
                    for y in &mut x {
                        *y = transpose_bits(*y);
                    }
                }
                // SAFETY: block `b` is within the caller's `B * W * TS` writable bytes.
                unsafe { store_elems::<TS>(dst.add(b * W * TS), x) };
            }
        }

        /// Shuffles the `n = src.len() / TS` elements of `src` (bit-transposing each `u64`
        /// first if `T`) into `TS` streams of `n` bytes at `dst[j * stride..]`.
        ///
        /// # Panics
        ///
        /// If the streams do not fit in `dst` (`(TS - 1) * stride + n > dst.len()`).
        $(#[$attr])*
        pub(super) fn shuffle_streams<const TS: usize, const T: bool>(
            src: &[u8],
            dst: &mut [u8],
            stride: usize,
        ) {
            // With 8 or more streams, a power-of-two stride (any power-of-two block) puts
            // every stream's current cache line in the same L1 set, as many lines as the set
            // has ways or more, and they evict each other between the blocks that fill them:
            // produce `LINE_BLOCKS` blocks per stream at once (twice as fast for 8 and 16).
            // The bit-transposing kernels are faster one block at a time.
            if TS >= 8 && !T {
                shuffle_streams_by::<TS, T, LINE_BLOCKS>(src, dst, stride)
            } else {
                shuffle_streams_by::<TS, T, 1>(src, dst, stride)
            }
        }

        /// [`shuffle_streams`], `B` blocks at a time.
        $(#[$attr])*
        fn shuffle_streams_by<const TS: usize, const T: bool, const B: usize>(
            src: &[u8],
            dst: &mut [u8],
            stride: usize,
        ) {
            let n = src.len() / TS;
            let end = (TS - 1).checked_mul(stride).and_then(|x| x.checked_add(n));
            assert!(end.is_some_and(|end| end <= dst.len()), "streams exceed the buffer");
            if n < W {
                return fallback_shuffle::<TS, T>(src, dst, stride);
            }
            let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
            // Runs of `B` blocks start where the stream side is line-aligned; single blocks
            // where the element side is vector-aligned. Blocks before that point, and after
            // the last run, are single blocks, the last one possibly overlapping the one
            // before (it rewrites the same bytes).
            let skew = if B > 1 {
                align_skew(d, 1, 64, B * W)
            } else {
                align_skew(s, TS, size_of::<V>(), W)
            };
            // Single blocks before `skew` (the first one unaligned), runs of `B` blocks from
            // `skew`, then single blocks, the last one possibly overlapping the one before (it
            // rewrites the same bytes). A call covering `k` blocks (1 or `B`) starts at an
            // element `e` with `e + k * W <= n`, so its reads `[e * TS, (e + k * W) * TS)` lie
            // in `src` (`src.len() >= n * TS`) and its writes `j * stride + [e, e + k * W)`
            // end by `(TS - 1) * stride + n <= dst.len()`, asserted above (invariant 2).
            let mut i = 0;
            while i < skew {
                let e = i.min(n - W);
                // SAFETY: `e + W <= n`: see above.
                unsafe { shuffle_blocks::<TS, T, 1>(s.add(e * TS), d.add(e), stride) };
                i += W;
            }
            let mut i = skew;
            while B > 1 && i + B * W <= n {
                // SAFETY: `i + B * W <= n`: see above.
                unsafe { shuffle_blocks::<TS, T, B>(s.add(i * TS), d.add(i), stride) };
                i += B * W;
            }
            while i < n {
                let e = i.min(n - W);
                // SAFETY: `e + W <= n`: see above.
                unsafe { shuffle_blocks::<TS, T, 1>(s.add(e * TS), d.add(e), stride) };
                i += W;
            }
        }

        /// Inverse of [`shuffle_streams`]: `n = dst.len() / TS` elements are gathered from the
        /// streams `src[j * stride..][..n]`.
        ///
        /// # Panics
        ///
        /// If the streams do not fit in `src` (`(TS - 1) * stride + n > src.len()`).
        $(#[$attr])*
        pub(super) fn unshuffle_streams<const TS: usize, const T: bool>(
            src: &[u8],
            stride: usize,
            dst: &mut [u8],
        ) {
            if TS >= 8 && !T {
                unshuffle_streams_by::<TS, T, LINE_BLOCKS>(src, stride, dst)
            } else {
                unshuffle_streams_by::<TS, T, 1>(src, stride, dst)
            }
        }

        /// [`unshuffle_streams`], `B` blocks at a time.
        $(#[$attr])*
        fn unshuffle_streams_by<const TS: usize, const T: bool, const B: usize>(
            src: &[u8],
            stride: usize,
            dst: &mut [u8],
        ) {
            let n = dst.len() / TS;
            let end = (TS - 1).checked_mul(stride).and_then(|x| x.checked_add(n));
            assert!(end.is_some_and(|end| end <= src.len()), "streams exceed the buffer");
            if n < W {
                return fallback_unshuffle::<TS, T>(src, stride, dst);
            }
            let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
            let skew = if B > 1 {
                align_skew(s, 1, 64, B * W)
            } else {
                align_skew(d, TS, size_of::<V>(), W)
            };
            // As in `shuffle_streams_by`: a call covering `k` blocks (1 or `B`) starts at an
            // element `e` with `e + k * W <= n`, so its reads `j * stride + [e, e + k * W)`
            // end by `(TS - 1) * stride + n <= src.len()` (asserted above) and its writes
            // `[e * TS, (e + k * W) * TS)` lie in `dst` (`dst.len() >= n * TS`)
            // (invariant 2).
            let mut i = 0;
            while i < skew {
                let e = i.min(n - W);
                // SAFETY: `e + W <= n`: see above.
                unsafe { unshuffle_blocks::<TS, T, 1>(s.add(e), stride, d.add(e * TS)) };
                i += W;
            }
            let mut i = skew;
            while B > 1 && i + B * W <= n {
                // SAFETY: `i + B * W <= n`: see above.
                unsafe { unshuffle_blocks::<TS, T, B>(s.add(i), stride, d.add(i * TS)) };
                i += B * W;
            }
            while i < n {
                let e = i.min(n - W);
                // SAFETY: `e + W <= n`: see above.
                unsafe { unshuffle_blocks::<TS, T, 1>(s.add(e), stride, d.add(e * TS)) };
                i += W;
            }
        }

        /// Unshuffles one block of `W` elements of `TS < 16` bytes: a 16x16 transpose of the
        /// `TS` streams padded with zeros gives one element per vector (zeros after its `TS`
        /// bytes), and the elements are then packed into `TS` vectors with byte shifts.
        ///
        /// # Safety
        ///
        /// For every `j < TS`, `src + j * stride` is valid for reads of `W` bytes; `dst` is
        /// valid for writes of `W * TS` bytes; the CPU supports the module's target feature.
        $(#[$attr])*
        unsafe fn unshuffle_block_small<const TS: usize>(
            src: *const u8,
            stride: usize,
            dst: *mut u8,
        ) {
            let mut v = [zero(); 16];
            for (j, x) in v.iter_mut().enumerate().take(TS) {
                // SAFETY: the caller guarantees `W` readable bytes at `src + j * stride`.
                *x = unsafe { load(src.add(j * stride)) };
            }
            for _ in 0..4 {
                v = zip(v);
            }
            let mut out = [zero(); TS];
            pack_elements!(out, v, TS; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
            // SAFETY: the caller guarantees `W * TS` writable bytes at `dst`.
            unsafe { store_elems::<TS>(dst, out) };
        }

        /// [`unshuffle_streams`] for typesizes `TS < 16` that are not powers of two.
        ///
        /// # Panics
        ///
        /// If the streams do not fit in `src` (`(TS - 1) * stride + n > src.len()`).
        $(#[$attr])*
        pub(super) fn unshuffle_small<const TS: usize>(
            src: &[u8],
            stride: usize,
            dst: &mut [u8],
        ) {
            let n = dst.len() / TS;
            let end = (TS - 1).checked_mul(stride).and_then(|x| x.checked_add(n));
            assert!(end.is_some_and(|end| end <= src.len()), "streams exceed the buffer");
            if n < W {
                return fallback_unshuffle_small::<TS>(src, stride, dst);
            }
            let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
            let mut i = 0;
            while i < n {
                let e = i.min(n - W);
                // SAFETY: `e + W <= n`, so the reads `j * stride + [e, e + W)` end by
                // `(TS - 1) * stride + n <= src.len()` (asserted above) and the writes
                // `[e * TS, (e + W) * TS)` lie in `dst` (`dst.len() >= n * TS`) (invariant 2).
                unsafe { unshuffle_block_small::<TS>(s.add(e), stride, d.add(e * TS)) };
                i += W;
            }
        }

        /// Shuffles `W` elements of `ts` bytes for the 16 streams (or, if `ts < 16`, the `ts`
        /// streams) starting at column `c`: `src` points at column `c` of the first element
        /// and `dst` at that element's byte in stream `c`. With `ts < 16` every element's
        /// 16-byte load runs into the elements after it (16x16 transpose, `ts` rows kept).
        ///
        /// # Safety
        ///
        /// For every `i < W`, `src + i * ts` is valid for reads of 16 bytes; for every
        /// `j < ts.min(16)`, `dst + j * stride` is valid for writes of `W` bytes; the CPU
        /// supports the module's target feature.
        $(#[$attr])*
        unsafe fn shuffle_block_any(src: *const u8, ts: usize, dst: *mut u8, stride: usize) {
            // SAFETY: the caller guarantees the reads.
            let mut v = unsafe { load_rows(src, ts) };
            for _ in 0..4 {
                v = zip(v);
            }
            for (j, x) in v.into_iter().enumerate().take(ts) {
                // SAFETY: `j < ts.min(16)`; the caller guarantees the writes.
                unsafe { store(dst.add(j * stride), x) };
            }
        }

        /// Inverse of [`shuffle_block_any`] for `ts >= 16`: gathers 16 streams from
        /// `src + j * stride` into column `c` of `W` elements at `dst` (which points at that
        /// column of the first element).
        ///
        /// # Safety
        ///
        /// For every `j < 16`, `src + j * stride` is valid for reads of `W` bytes; for every
        /// `i < W`, `dst + i * ts` is valid for writes of 16 bytes; the CPU supports the
        /// module's target feature.
        $(#[$attr])*
        unsafe fn unshuffle_block_any(src: *const u8, stride: usize, dst: *mut u8, ts: usize) {
            let mut v = [zero(); 16];
            for (j, x) in v.iter_mut().enumerate() {
                // SAFETY: `j < 16`; the caller guarantees the reads.
                *x = unsafe { load(src.add(j * stride)) };
            }
            for _ in 0..4 {
                v = zip(v);
            }
            // SAFETY: the caller guarantees the writes.
            unsafe { store_rows(dst, ts, v) };
        }

        /// Byte shuffle of whole elements of any typesize `ts >= 2`: the `n = src.len() / ts`
        /// elements go to `ts` streams of `n` bytes at `dst[j * stride..]`, from element
        /// `first` on (the elements before it are done already).
        ///
        /// # Panics
        ///
        /// If `ts < 2` or the streams do not fit in `dst`.
        $(#[$attr])*
        pub(super) fn shuffle_any(
            ts: usize,
            src: &[u8],
            dst: &mut [u8],
            stride: usize,
            first: usize,
        ) {
            let n = src.len() / ts.max(1);
            let end = (ts.max(1) - 1).checked_mul(stride).and_then(|x| x.checked_add(n));
            assert!(ts >= 2 && end.is_some_and(|end| end <= dst.len()), "bad streams");
            // Elements that must follow a block: its loads end `16 - ts` bytes past it.
            let extra = 16usize.div_ceil(ts) - 1;
            if n < first + W + extra {
                return fallback_shuffle_any(ts, src, dst, stride, first);
            }
            let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
            if ts < 16 {
                let mut e = first;
                while e + W + extra <= n {
                    // SAFETY: the loads end by `(e + W - 1) * ts + 16 <= (e + W + extra) * ts
                    // <= n * ts <= src.len()`; the writes `j * stride + [e, e + W)` for
                    // `j < ts` end by `(ts - 1) * stride + n <= dst.len()` (asserted)
                    // (invariant 2).
                    unsafe { shuffle_block_any(s.add(e * ts), ts, d.add(e), stride) };
                    e += W;
                }
                return fallback_shuffle_any(ts, src, dst, stride, e);
            }
            let mut i = first;
            while i < n {
                let e = i.min(n - W); // >= first, since n >= first + W
                let mut c0 = 0;
                while c0 < ts {
                    // The last column block may overlap the previous one.
                    let c = c0.min(ts - 16);
                    // SAFETY: `e + W <= n` and `c + 16 <= ts`: the loads
                    // `(e + i) * ts + c + [0, 16)` lie within element `e + i < n`, inside
                    // `src`; the writes `(c + j) * stride + [e, e + W)` lie within stream
                    // `c + j < ts`, which ends by `(ts - 1) * stride + n <= dst.len()`
                    // (asserted) (invariant 2).
                    unsafe {
                        shuffle_block_any(s.add(e * ts + c), ts, d.add(c * stride + e), stride)
                    };
                    c0 += 16;
                }
                i += W;
            }
        }

        /// Inverse of [`shuffle_any`] for `ts >= 16` (smaller typesizes have
        /// [`unshuffle_small`]): the `n = dst.len() / ts` elements of `dst`, from element
        /// `first` on, are gathered from the streams `src[j * stride..][..n]`.
        ///
        /// # Panics
        ///
        /// If `ts < 16` or the streams do not fit in `src`.
        $(#[$attr])*
        pub(super) fn unshuffle_any(
            ts: usize,
            src: &[u8],
            stride: usize,
            dst: &mut [u8],
            first: usize,
        ) {
            let n = dst.len() / ts.max(1);
            let end = (ts.max(1) - 1).checked_mul(stride).and_then(|x| x.checked_add(n));
            assert!(ts >= 16 && end.is_some_and(|end| end <= src.len()), "bad streams");
            if n < first + W {
                return fallback_unshuffle_any(ts, src, stride, dst, first);
            }
            let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
            let mut i = first;
            while i < n {
                let e = i.min(n - W); // >= first, since n >= first + W
                let mut c0 = 0;
                while c0 < ts {
                    // The last column block may overlap the previous one.
                    let c = c0.min(ts - 16);
                    // SAFETY: `e + W <= n` and `c + 16 <= ts`: the reads
                    // `(c + j) * stride + [e, e + W)` lie within stream `c + j < ts`, which
                    // ends by `(ts - 1) * stride + n <= src.len()` (asserted); the writes
                    // `(e + i) * ts + c + [0, 16)` lie within element `e + i < n`, inside
                    // `dst` (invariant 2).
                    unsafe {
                        unshuffle_block_any(s.add(c * stride + e), stride, d.add(e * ts + c), ts)
                    };
                    c0 += 16;
                }
                i += W;
            }
        }
    };
}

/// The scalar form of the any-typesize kernels: elements `first..n` of the `n = src.len() / ts`
/// elements of `src` go to the streams `dst[j * stride..][..n]`.
fn scalar_shuffle_any(ts: usize, src: &[u8], dst: &mut [u8], stride: usize, first: usize) {
    for (i, e) in src.chunks_exact(ts.max(1)).enumerate().skip(first) {
        for (j, b) in e.iter().enumerate() {
            dst[j * stride + i] = *b;
        }
    }
}

/// Inverse of [`scalar_shuffle_any`] for elements `first..n`, `n = dst.len() / ts`.
fn scalar_unshuffle_any(ts: usize, src: &[u8], stride: usize, dst: &mut [u8], first: usize) {
    for (i, e) in dst.chunks_exact_mut(ts.max(1)).enumerate().skip(first) {
        for (j, b) in e.iter_mut().enumerate() {
            *b = src[j * stride + i];
        }
    }
}

/// Elements to skip from `p` (element size `ts`) to reach an address aligned to `align`
/// bytes, if some element is aligned and the skip is shorter than `max`; else 0.
fn align_skew(p: *const u8, ts: usize, align: usize, max: usize) -> usize {
    let r = (align - p as usize % align) % align;
    if r.is_multiple_of(ts) && r / ts < max {
        r / ts
    } else {
        0
    }
}

/// SSE2 kernels, 16 elements per block. SSE2 is part of every x86-64 target, so calling these
/// needs no detection (their callers still need `unsafe`, the feature being named).
mod sse2 {
    use core::arch::x86_64::*;

    use super::super::scalar_shuffle_streams as fallback_shuffle;
    use super::super::scalar_unshuffle_streams as fallback_unshuffle;

    /// The scalar form of `unshuffle_small`.
    fn fallback_unshuffle_small<const TS: usize>(src: &[u8], stride: usize, dst: &mut [u8]) {
        super::scalar_unshuffle_any(TS, src, stride, dst, 0);
    }
    use super::align_skew;
    use super::scalar_shuffle_any as fallback_shuffle_any;
    use super::scalar_unshuffle_any as fallback_unshuffle_any;

    type V = __m128i;
    const W: usize = 16;
    /// Blocks per stream visit (see `shuffle_streams`): 2, half a line, measured faster than
    /// a whole line's 4, whose vectors do not fit in the registers.
    const LINE_BLOCKS: usize = 2;

    #[inline]
    #[target_feature(enable = "sse2")]
    fn zero() -> V {
        _mm_setzero_si128()
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn unpacklo(a: V, b: V) -> V {
        _mm_unpacklo_epi8(a, b)
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn unpackhi(a: V, b: V) -> V {
        _mm_unpackhi_epi8(a, b)
    }

    /// The scalar `transpose8x8` on each `u64` lane.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn transpose_bits(x: V) -> V {
        let t = _mm_and_si128(
            _mm_xor_si128(x, _mm_srli_epi64::<7>(x)),
            splat(0x00AA_00AA_00AA_00AA),
        );
        let x = _mm_xor_si128(x, _mm_xor_si128(t, _mm_slli_epi64::<7>(t)));
        let t = _mm_and_si128(
            _mm_xor_si128(x, _mm_srli_epi64::<14>(x)),
            splat(0x0000_CCCC_0000_CCCC),
        );
        let x = _mm_xor_si128(x, _mm_xor_si128(t, _mm_slli_epi64::<14>(t)));
        let t = _mm_and_si128(
            _mm_xor_si128(x, _mm_srli_epi64::<28>(x)),
            splat(0x0000_0000_F0F0_F0F0),
        );
        _mm_xor_si128(x, _mm_xor_si128(t, _mm_slli_epi64::<28>(t)))
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn splat(m: u64) -> V {
        _mm_set1_epi64x(m as i64)
    }

    /// # Safety
    ///
    /// `p` is valid for reads of 16 bytes; the CPU supports SSE2.
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn load(p: *const u8) -> V {
        // SAFETY: the caller guarantees 16 readable bytes; the load is unaligned.
        unsafe { _mm_loadu_si128(p.cast()) }
    }

    /// # Safety
    ///
    /// `p` is valid for writes of 16 bytes; the CPU supports SSE2.
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn store(p: *mut u8, v: V) {
        // SAFETY: the caller guarantees 16 writable bytes; the store is unaligned.
        unsafe { _mm_storeu_si128(p.cast(), v) }
    }

    /// The `16 * TS` bytes at `p` as `TS` consecutive vectors.
    ///
    /// # Safety
    ///
    /// `p` is valid for reads of `16 * TS` bytes; the CPU supports SSE2.
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn load_elems<const TS: usize>(p: *const u8) -> [V; TS] {
        let mut v = [zero(); TS];
        for (i, x) in v.iter_mut().enumerate() {
            // SAFETY: `16 * i + 16 <= 16 * TS`, within the caller's bytes.
            *x = unsafe { load(p.add(16 * i)) };
        }
        v
    }

    /// Stores `TS` vectors consecutively at `p`.
    ///
    /// # Safety
    ///
    /// `p` is valid for writes of `16 * TS` bytes; the CPU supports SSE2.
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn store_elems<const TS: usize>(p: *mut u8, v: [V; TS]) {
        for (i, x) in v.into_iter().enumerate() {
            // SAFETY: `16 * i + 16 <= 16 * TS`, within the caller's bytes.
            unsafe { store(p.add(16 * i), x) };
        }
    }

    /// The 16 bytes at `p + i * rs` as vector `i`, for `i < 16`.
    ///
    /// # Safety
    ///
    /// Each `p + i * rs` is valid for reads of 16 bytes; the CPU supports SSE2.
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn load_rows(p: *const u8, rs: usize) -> [V; 16] {
        let mut v = [zero(); 16];
        for (i, x) in v.iter_mut().enumerate() {
            // SAFETY: the caller guarantees these reads.
            *x = unsafe { load(p.add(i * rs)) };
        }
        v
    }

    /// Stores vector `i` at `p + i * rs`.
    ///
    /// # Safety
    ///
    /// Each `p + i * rs`, `i < 16`, is valid for writes of 16 bytes; the CPU supports SSE2.
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn store_rows(p: *mut u8, rs: usize, v: [V; 16]) {
        for (i, x) in v.into_iter().enumerate() {
            // SAFETY: the caller guarantees these writes.
            unsafe { store(p.add(i * rs), x) };
        }
    }

    /// `v` shifted up by `n < 16` bytes (zeros in); `n` is a constant once inlined.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn shift_up(v: V, n: usize) -> V {
        by_const!(n, v, _mm_bslli_si128)
    }

    /// `v` shifted down by `n < 16` bytes (zeros in).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn shift_down(v: V, n: usize) -> V {
        by_const!(n, v, _mm_bsrli_si128)
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn or(a: V, b: V) -> V {
        _mm_or_si128(a, b)
    }

    kernels!(#[inline] #[target_feature(enable = "sse2")]);
}

/// AVX2 kernels, 32 elements per block: the 16-element block of elements `0..16` runs in the
/// low 128-bit halves and that of elements `16..32` in the high halves. Every function here
/// requires AVX2 (invariant 1).
mod avx2 {
    use core::arch::x86_64::*;

    use super::align_skew;
    use super::sse2::shuffle_any as fallback_shuffle_any;
    use super::sse2::shuffle_streams as fallback_shuffle;
    use super::sse2::unshuffle_any as fallback_unshuffle_any;
    use super::sse2::unshuffle_small as fallback_unshuffle_small;
    use super::sse2::unshuffle_streams as fallback_unshuffle;

    type V = __m256i;
    const W: usize = 32;
    /// Blocks per stream visit (see `shuffle_streams`): one 64-byte cache line.
    const LINE_BLOCKS: usize = 64 / W;

    #[inline]
    #[target_feature(enable = "avx2")]
    fn zero() -> V {
        _mm256_setzero_si256()
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn unpacklo(a: V, b: V) -> V {
        _mm256_unpacklo_epi8(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn unpackhi(a: V, b: V) -> V {
        _mm256_unpackhi_epi8(a, b)
    }

    /// The scalar `transpose8x8` on each `u64` lane.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn transpose_bits(x: V) -> V {
        let t = _mm256_and_si256(
            _mm256_xor_si256(x, _mm256_srli_epi64::<7>(x)),
            splat(0x00AA_00AA_00AA_00AA),
        );
        let x = _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64::<7>(t)));
        let t = _mm256_and_si256(
            _mm256_xor_si256(x, _mm256_srli_epi64::<14>(x)),
            splat(0x0000_CCCC_0000_CCCC),
        );
        let x = _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64::<14>(t)));
        let t = _mm256_and_si256(
            _mm256_xor_si256(x, _mm256_srli_epi64::<28>(x)),
            splat(0x0000_0000_F0F0_F0F0),
        );
        _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64::<28>(t)))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn splat(m: u64) -> V {
        _mm256_set1_epi64x(m as i64)
    }

    /// # Safety
    ///
    /// `p` is valid for reads of 32 bytes; the CPU supports AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load(p: *const u8) -> V {
        // SAFETY: the caller guarantees 32 readable bytes; the load is unaligned.
        unsafe { _mm256_loadu_si256(p.cast()) }
    }

    /// # Safety
    ///
    /// `p` is valid for writes of 32 bytes; the CPU supports AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store(p: *mut u8, v: V) {
        // SAFETY: the caller guarantees 32 writable bytes; the store is unaligned.
        unsafe { _mm256_storeu_si256(p.cast(), v) }
    }

    /// The `32 * TS` bytes at `p` as `TS` vectors whose low halves are the 16-byte pieces of
    /// the first `16 * TS` bytes and whose high halves are those of the last `16 * TS`.
    ///
    /// # Safety
    ///
    /// `p` is valid for reads of `32 * TS` bytes; `TS` is even; the CPU supports AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load_elems<const TS: usize>(p: *const u8) -> [V; TS] {
        let mut v = [zero(); TS];
        for q in 0..TS / 2 {
            // SAFETY: `32 * q + 32 <= 16 * TS` and `16 * TS + 32 * q + 32 <= 32 * TS`: both
            // loads lie within the caller's bytes.
            let (a, b) = unsafe { (load(p.add(32 * q)), load(p.add(16 * TS + 32 * q))) };
            v[2 * q] = _mm256_permute2x128_si256::<0x20>(a, b);
            v[2 * q + 1] = _mm256_permute2x128_si256::<0x31>(a, b);
        }
        v
    }

    /// Inverse of [`load_elems`]: low halves to the first `16 * TS` bytes at `p`, high halves
    /// to the last (`TS` may be odd here).
    ///
    /// # Safety
    ///
    /// `p` is valid for writes of `32 * TS` bytes; the CPU supports AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store_elems<const TS: usize>(p: *mut u8, v: [V; TS]) {
        for q in 0..TS / 2 {
            let lo = _mm256_permute2x128_si256::<0x20>(v[2 * q], v[2 * q + 1]);
            let hi = _mm256_permute2x128_si256::<0x31>(v[2 * q], v[2 * q + 1]);
            // SAFETY: `32 * q + 32 <= 16 * TS`, so both stores lie within the caller's bytes.
            unsafe {
                store(p.add(32 * q), lo);
                store(p.add(16 * TS + 32 * q), hi);
            }
        }
        if TS % 2 == 1 {
            let (lo, hi) = (
                _mm256_castsi256_si128(v[TS - 1]),
                _mm256_extracti128_si256::<1>(v[TS - 1]),
            );
            // SAFETY: the last 16 bytes of each half of the caller's bytes.
            unsafe {
                _mm_storeu_si128(p.add(16 * (TS - 1)).cast(), lo);
                _mm_storeu_si128(p.add(16 * (2 * TS - 1)).cast(), hi);
            }
        }
    }

    /// Vector `i < 16` holds the 16 bytes at `p + i * rs` in its low half and those at
    /// `p + (16 + i) * rs` in its high half.
    ///
    /// # Safety
    ///
    /// Each `p + i * rs`, `i < 32`, is valid for reads of 16 bytes; the CPU supports AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load_rows(p: *const u8, rs: usize) -> [V; 16] {
        let mut v = [zero(); 16];
        for (i, x) in v.iter_mut().enumerate() {
            // SAFETY: the caller guarantees these reads; the loads are unaligned.
            *x = unsafe { _mm256_loadu2_m128i(p.add((16 + i) * rs).cast(), p.add(i * rs).cast()) };
        }
        v
    }

    /// Stores the low half of vector `i` at `p + i * rs` and its high half at
    /// `p + (16 + i) * rs`.
    ///
    /// # Safety
    ///
    /// Each `p + i * rs`, `i < 32`, is valid for writes of 16 bytes; the CPU supports AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store_rows(p: *mut u8, rs: usize, v: [V; 16]) {
        for (i, x) in v.iter().enumerate() {
            // SAFETY: the caller guarantees these writes; the stores are unaligned.
            unsafe { _mm_storeu_si128(p.add(i * rs).cast(), _mm256_castsi256_si128(*x)) };
        }
        for (i, x) in v.iter().enumerate() {
            let hi = _mm256_extracti128_si256::<1>(*x);
            // SAFETY: as above.
            unsafe { _mm_storeu_si128(p.add((16 + i) * rs).cast(), hi) };
        }
    }

    /// Each 128-bit half of `v` shifted up by `n < 16` bytes (zeros in).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn shift_up(v: V, n: usize) -> V {
        by_const!(n, v, _mm256_bslli_epi128)
    }

    /// Each 128-bit half of `v` shifted down by `n < 16` bytes (zeros in).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn shift_down(v: V, n: usize) -> V {
        by_const!(n, v, _mm256_bsrli_epi128)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn or(a: V, b: V) -> V {
        _mm256_or_si256(a, b)
    }

    kernels!(#[inline] #[target_feature(enable = "avx2")]);
}
