//! LZ4 block format: our fast encoder with C-Blosc2's acceleration, and our decoder.
//!
//! C-Blosc2 compresses with `LZ4_compress_fast(.., acceleration = 10 - clevel)` and lz4_flex has
//! no acceleration knob, so the encoder here is liblz4's `LZ4_compress_fast` algorithm (greedy,
//! one probe per position, same hash functions, table sizes, skip-ahead schedule and end-of-block
//! rules). Its output is byte-identical to liblz4's (checked against liblz4 1.9.4, and against
//! every LZ4 stream of C-Blosc2 3.3.5 / LZ4 1.10.0 in tests/data/reference), hence the same ratio
//! as C-Blosc2 at every clevel. Output is a raw LZ4 block (no size prefix).
//!
//! The decoder (safe code, like the rest) replaces lz4_flex's safe decoder, which copies
//! overlapping matches byte by byte: on sparse masks (long zero runs, offsets 1 to 8) it ran at
//! a quarter of liblz4's speed or less. It accepts and rejects exactly the blocks lz4_flex
//! does (lz4_flex stays as the test oracle); see `decode` for how that differs from liblz4.

/// Minimum match length of the format.
const MINMATCH: usize = 4;
/// A match must start at least this many bytes before the end of the block.
const MFLIMIT: usize = 12;
/// The last bytes of a block are always literals (a match must end before them).
const LAST_LITERALS: usize = 5;
/// Inputs shorter than this are a single literal run.
const MIN_LENGTH: usize = MFLIMIT + 1;
/// liblz4 uses its 16-bit table below this input size and its 32-bit table from it up.
const LIMIT_64K: usize = 64 * 1024 + MFLIMIT - 1;
/// Largest offset the format can express.
const MAX_DISTANCE: usize = 65535;
/// Misses per unit of acceleration before the search step grows (liblz4's `LZ4_skipTrigger`).
const SKIP_TRIGGER: u32 = 6;
/// liblz4 clamps the acceleration to this.
const MAX_ACCELERATION: u32 = 65537;
/// A token's 4-bit length fields saturate at 15; longer lengths continue in extra bytes.
const LEN_MASK: usize = 15;
/// Table for inputs below `LIMIT_64K`: 2^13 16-bit positions (16 KiB, as liblz4).
const SMALL_LEN: usize = 1 << 13;
/// Table for larger inputs: 2^12 32-bit positions (16 KiB, as liblz4).
const LARGE_LEN: usize = 1 << 12;

/// Reusable encoder state: liblz4's two kinds of hash table, allocated once. They are zeroed at
/// every call as liblz4 does (16 KiB): an unused slot then names position 0, which is part of
/// the algorithm (it can yield a match), so output never depends on earlier calls.
#[derive(Default)]
pub(crate) struct Lz4Table {
    small: Vec<u16>,
    large: Vec<u32>,
}

/// Compresses `input` into `output` (length = output limit) with LZ4 acceleration
/// `acceleration` (>= 1; 0 acts as 1). Returns the compressed length, or 0 when it does not
/// fit (or `input` is empty, or longer than `u32::MAX`).
pub(crate) fn compress(
    acceleration: u32,
    input: &[u8],
    output: &mut [u8],
    table: &mut Lz4Table,
) -> usize {
    if input.is_empty() || u32::try_from(input.len()).is_err() {
        return 0;
    }
    let accel = acceleration.clamp(1, MAX_ACCELERATION) as usize;
    let res = if input.len() < MIN_LENGTH {
        encode(accel, input, output, Unused)
    } else if input.len() < LIMIT_64K {
        table.small.resize(SMALL_LEN, 0);
        table.small.fill(0);
        let slots = table.small.first_chunk_mut::<SMALL_LEN>();
        slots.and_then(|slots| encode(accel, input, output, slots))
    } else {
        table.large.resize(LARGE_LEN, 0);
        table.large.fill(0);
        let slots = table.large.first_chunk_mut::<LARGE_LEN>();
        slots.and_then(|slots| encode(accel, input, output, slots))
    };
    res.unwrap_or(0)
}

/// Decompresses one raw LZ4 block into `output`; returns the number of bytes written, or `None`
/// if the block is malformed or would overrun `output`. Bytes of `output` past the returned
/// length may be overwritten (wild copies); those before it never depend on its old contents.
pub(crate) fn decompress(input: &[u8], output: &mut [u8]) -> Option<usize> {
    decode::<false>(input, &[], output)
}

/// As [`decompress`], for a block compressed with a dictionary: matches may reach back into
/// `dict` as if it immediately preceded `output` (the format's 64 KiB window). Same results as
/// `lz4_flex::block::decompress_into_with_dict`.
#[cfg_attr(not(test), allow(dead_code))] // for LZ4 dictionary chunks
pub(crate) fn decompress_with_dict(input: &[u8], dict: &[u8], output: &mut [u8]) -> Option<usize> {
    decode::<true>(input, dict, output)
}

/// One call's position table: liblz4's `byU16` (small) or `byU32` (large) mode.
trait Table {
    /// Small inputs: 13-bit hash of 4 bytes, and every offset fits (no distance check).
    /// Large inputs: 12-bit hash of 5 bytes, and candidates farther than 64 KiB are skipped.
    const SMALL: bool;
    fn get(&self, h: usize) -> usize;
    fn set(&mut self, h: usize, pos: usize);

    /// liblz4's `LZ4_hashPosition` (64-bit little-endian build) of a position whose next bytes
    /// are `v` (little-endian; at least the low 5 bytes are valid).
    #[inline(always)]
    fn hash(v: u64) -> usize {
        if Self::SMALL {
            ((v as u32).wrapping_mul(2_654_435_761) >> (32 - 13)) as usize
        } else {
            ((v << 24).wrapping_mul(889_523_592_379) >> (64 - 12)) as usize
        }
    }
}

// The masks are no-ops on real hashes; they let the compiler drop the bounds checks.
impl Table for &mut [u16; SMALL_LEN] {
    const SMALL: bool = true;
    #[inline(always)]
    fn get(&self, h: usize) -> usize {
        self[h & (SMALL_LEN - 1)] as usize
    }
    #[inline(always)]
    fn set(&mut self, h: usize, pos: usize) {
        // Positions are < LIMIT_64K - MFLIMIT <= u16::MAX here.
        self[h & (SMALL_LEN - 1)] = pos as u16;
    }
}

impl Table for &mut [u32; LARGE_LEN] {
    const SMALL: bool = false;
    #[inline(always)]
    fn get(&self, h: usize) -> usize {
        self[h & (LARGE_LEN - 1)] as usize
    }
    #[inline(always)]
    fn set(&mut self, h: usize, pos: usize) {
        // `compress` rejects inputs longer than u32::MAX.
        self[h & (LARGE_LEN - 1)] = pos as u32;
    }
}

/// For inputs too short to hold a match: no table needed.
struct Unused;

impl Table for Unused {
    const SMALL: bool = true;
    fn get(&self, _: usize) -> usize {
        0
    }
    fn set(&mut self, _: usize, _: usize) {}
}

#[inline(always)]
fn load<const N: usize>(s: &[u8], p: usize) -> Option<[u8; N]> {
    s.get(p..p + N)?.try_into().ok()
}

/// The 8 bytes at `p`: one load feeds the hash of `p` and the next few positions and the 4-byte
/// comparison. `None` only if `p` is out of range, which the callers rule out.
#[inline(always)]
fn read_u64(s: &[u8], p: usize) -> Option<u64> {
    load(s, p).map(u64::from_le_bytes)
}

/// Writes the continuation of a length field (`len >= 15`): `len - 15` as a run of 255s and a
/// final byte below 255. Returns the position after it.
#[inline(always)]
fn put_len_ext(dst: &mut [u8], mut op: usize, len: usize) -> Option<usize> {
    let mut rest = len - LEN_MASK;
    if rest >= 255 {
        let full = rest / 255;
        dst.get_mut(op..op + full)?.fill(255);
        op += full;
        rest -= full * 255;
    }
    *dst.get_mut(op)? = rest as u8;
    Some(op + 1)
}

/// Writes a token (literal length `n`, match length 0 for now) and the literals
/// `src[anchor..anchor + n]` at `op`. Returns the position after the literals.
#[inline(always)]
fn put_literals(dst: &mut [u8], op: usize, src: &[u8], anchor: usize, n: usize) -> Option<usize> {
    let token = op;
    let mut op = op + 1;
    if n < LEN_MASK {
        *dst.get_mut(token)? = (n as u8) << 4;
    } else {
        *dst.get_mut(token)? = (LEN_MASK as u8) << 4;
        op = put_len_ext(dst, op, n)?;
    }
    // Short runs (almost all of them): one fixed 16-byte copy instead of a variable-length
    // memcpy call; the bytes past `n` are overwritten next or lie beyond the returned length.
    if n <= 16
        && let (Some(d), Some(s)) = (dst.get_mut(op..op + 16), src.get(anchor..anchor + 16))
    {
        d.copy_from_slice(s);
    } else {
        dst.get_mut(op..op + n)?
            .copy_from_slice(src.get(anchor..anchor + n)?);
    }
    Some(op + n)
}

/// Length of the common prefix of `s[a..limit]` and `s[b..]` (`b < a`).
#[inline(always)]
fn count(s: &[u8], a: usize, b: usize, limit: usize) -> usize {
    let Some(sa) = s.get(a..limit) else {
        return 0;
    };
    let Some(sb) = s.get(b..b + sa.len()) else {
        return 0;
    };
    // Most matches end within 8 bytes: settle those with one compare.
    let (Some((x, ta)), Some((y, tb))) = (sa.split_first_chunk::<8>(), sb.split_first_chunk::<8>())
    else {
        return sa.iter().zip(sb).take_while(|(x, y)| x == y).count();
    };
    let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
    if diff != 0 {
        return (diff.trailing_zeros() / 8) as usize;
    }
    // Long matches: 16 bytes per iteration, as two 8-byte words (measured faster here than
    // 8-byte steps or one u128).
    let (ca, ra) = ta.as_chunks::<16>();
    let (cb, rb) = tb.as_chunks::<16>();
    let mut n = 8;
    for (x, y) in ca.iter().zip(cb) {
        let (x, y) = (x.as_chunks::<8>().0, y.as_chunks::<8>().0);
        let (Some(&[x0, x1]), Some(&[y0, y1])) = (x.first_chunk::<2>(), y.first_chunk::<2>())
        else {
            break;
        };
        let lo = u64::from_le_bytes(x0) ^ u64::from_le_bytes(y0);
        let hi = u64::from_le_bytes(x1) ^ u64::from_le_bytes(y1);
        if lo | hi != 0 {
            // Branch-free (a mispredicted branch here was measurable).
            let bits = (u128::from(hi) << 64 | u128::from(lo)).trailing_zeros();
            return n + (bits / 8) as usize;
        }
        n += 16;
    }
    n + ra.iter().zip(rb).take_while(|(x, y)| x == y).count()
}

/// liblz4's `LZ4_compress_generic` for one block, no dictionary, limited output. `None` means
/// the output does not fit: every write is bounds-checked, so the limit is exact (this fails
/// exactly when the complete block is longer than `dst`).
///
/// Not inlined: the two table modes get independent code (their speed was sensitive to layout).
#[inline(never)]
fn encode<T: Table>(accel: usize, src: &[u8], dst: &mut [u8], mut table: T) -> Option<usize> {
    let len = src.len();
    let mut op = 0;
    let mut anchor = 0;
    if len >= MIN_LENGTH {
        // Matches may start before `mflimit_plus_one` and must end by `match_limit`.
        let mflimit_plus_one = len - MFLIMIT + 1;
        let match_limit = len - LAST_LITERALS;
        let v = read_u64(src, 0)?;
        table.set(T::hash(v), 0);
        let mut ip = 1;
        let mut forward = v >> 8;
        'main: loop {
            // Probe one candidate per position, inserting each position probed. The step stays
            // 1 for the first 64 probes, then the acceleration, then grows by one every 64
            // probes: incompressible stretches are skipped quickly.
            let mut fwd = ip;
            let mut step = 1;
            let mut search_nb = accel << SKIP_TRIGGER;
            let mut mref;
            loop {
                let h = T::hash(forward);
                let seq = forward as u32;
                let cur = fwd;
                mref = table.get(h);
                ip = fwd;
                fwd += step;
                step = search_nb >> SKIP_TRIGGER;
                search_nb += 1;
                if fwd > mflimit_plus_one {
                    break 'main;
                }
                forward = read_u64(src, fwd)?;
                table.set(h, cur);
                if !T::SMALL && mref + MAX_DISTANCE < cur {
                    continue;
                }
                if u32::from_le_bytes(load(src, mref)?) == seq {
                    break;
                }
            }

            // Extend the match backwards over the pending literals.
            while ip > anchor && mref > 0 && src.get(ip - 1)? == src.get(mref - 1)? {
                ip -= 1;
                mref -= 1;
            }

            let mut token = op;
            op = put_literals(dst, op, src, anchor, ip - anchor)?;
            dst.get_mut(op..op + 2)?
                .copy_from_slice(&((ip - mref) as u16).to_le_bytes());
            op += 2;

            loop {
                let ml = count(src, ip + MINMATCH, mref + MINMATCH, match_limit);
                ip += ml + MINMATCH;
                if ml < LEN_MASK {
                    *dst.get_mut(token)? |= ml as u8;
                } else {
                    *dst.get_mut(token)? |= LEN_MASK as u8;
                    op = put_len_ext(dst, op, ml)?;
                }
                anchor = ip;
                if ip >= mflimit_plus_one {
                    break 'main;
                }

                // Index a position inside the match, then probe the current position directly:
                // on repetitive data this chains matches without literals in between. One load
                // covers positions ip - 2, ip and ip + 1.
                let v = read_u64(src, ip - 2)?;
                table.set(T::hash(v), ip - 2);
                let h = T::hash(v >> 16);
                let m = table.get(h);
                table.set(h, ip);
                if (T::SMALL || m + MAX_DISTANCE >= ip)
                    && u32::from_le_bytes(load(src, m)?) == (v >> 16) as u32
                {
                    mref = m;
                    token = op;
                    let [lo, hi] = ((ip - mref) as u16).to_le_bytes();
                    dst.get_mut(op..op + 3)?.copy_from_slice(&[0, lo, hi]);
                    op += 3;
                    continue;
                }
                forward = v >> 24;
                break;
            }
            ip += 1;
        }
    }

    // The rest is one literal run (at least LAST_LITERALS bytes).
    let n = len - anchor;
    let token = dst.get_mut(op)?;
    op += 1;
    if n < LEN_MASK {
        *token = (n as u8) << 4;
    } else {
        *token = (LEN_MASK as u8) << 4;
        op = put_len_ext(dst, op, n)?;
    }
    dst.get_mut(op..op + n)?.copy_from_slice(src.get(anchor..)?);
    Some(op + n)
}

// ---------------------------------------------------------------------------------------------
// Decoder.
//
// Every access is a checked `get`, so a malformed block can only make `decode` return `None`.
// Speed comes from doing few checks and few unpredictable branches per sequence: literals and
// short matches move as fixed 8- to 32-byte blocks ("wild" copies that may write past the end of
// the sequence, where the next sequence overwrites them) whenever both slices have room for
// that, and overlapping matches (offset < length) are written from a register pattern or by
// non-overlapping copies of growing size instead of byte by byte. A match never reads a byte
// the block has not produced (or masks it off), so stale bytes of `output` cannot leak.

/// Reads the continuation of a length field (the token's nibble was 15). Gives up (`None`) once
/// the length exceeds `limit` (the output size: such a block is invalid anyway), which also
/// keeps the sum from overflowing.
#[inline(always)]
fn read_len_ext(src: &[u8], ip: &mut usize, limit: usize) -> Option<usize> {
    let mut n = 0usize;
    loop {
        let b = *src.get(*ip)?;
        *ip += 1;
        n += usize::from(b);
        if b != 255 {
            return Some(n);
        }
        if n > limit {
            return None;
        }
    }
}

/// Copies the `N` bytes at `from` to `to` within `buf`: a load, then a store, so the ranges must
/// not overlap for LZ semantics (`to - from >= N`).
#[inline(always)]
fn copy_chunk<const N: usize>(buf: &mut [u8], from: usize, to: usize) -> Option<()> {
    let chunk = *buf.get(from..)?.first_chunk::<N>()?;
    *buf.get_mut(to..)?.first_chunk_mut::<N>()? = chunk;
    Some(())
}

/// The `N` bytes of `s` at `at`.
#[inline(always)]
fn chunk<const N: usize>(s: &[u8], at: usize) -> Option<&[u8; N]> {
    s.get(at..)?.first_chunk::<N>()
}

/// The `N` bytes of `s` at `at`, for writing.
#[inline(always)]
fn chunk_mut<const N: usize>(s: &mut [u8], at: usize) -> Option<&mut [u8; N]> {
    s.get_mut(at..)?.first_chunk_mut::<N>()
}

/// `*d = *s` as 16-byte integer moves: an array assignment is a `memcpy` to the compiler, which
/// then merges the fixed-size copies with the variable-size one into a single `memcpy` call.
#[inline(always)]
fn copy_blocks<const N: usize>(d: &mut [u8; N], s: &[u8; N]) {
    let (d, _) = d.as_chunks_mut::<16>();
    let (s, _) = s.as_chunks::<16>();
    for (d, s) in d.iter_mut().zip(s) {
        *d = u128::from_ne_bytes(*s).to_ne_bytes();
    }
}

/// Copies `n` literals from `src[ip..]` to `dst[op..]`: up to 32 as one 32-byte block where both
/// slices have room for it, else exactly.
#[inline(always)]
fn copy_literals(src: &[u8], ip: usize, dst: &mut [u8], op: usize, n: usize) -> Option<()> {
    if n <= 32
        && let (Some(s), Some(d)) = (chunk::<32>(src, ip), chunk_mut::<32>(dst, op))
    {
        copy_blocks(d, s);
        return Some(());
    }
    if n <= MAX_MEMCPY {
        dst.get_mut(op..op + n)?
            .copy_from_slice(src.get(ip..ip + n)?);
        return Some(());
    }
    copy_long(src, ip, dst, op, n)
}

/// Copies `n` bytes from `src[ip..]` to `dst[op..]`, as `memcpy` calls of at most
/// `MAX_MEMCPY` bytes.
#[inline(never)]
fn copy_long(src: &[u8], ip: usize, dst: &mut [u8], op: usize, n: usize) -> Option<()> {
    let s = src.get(ip..ip + n)?;
    let d = dst.get_mut(op..op + n)?;
    for (d, s) in d.chunks_mut(MAX_MEMCPY).zip(s.chunks(MAX_MEMCPY)) {
        d.copy_from_slice(s);
    }
    Some(())
}

/// Longer copies are split into `memcpy` calls of this size. glibc copies long runs (from 2 KiB
/// or more, depending on the CPU) with `rep movsb`, which on some CPUs is several times slower
/// at some distances between source and destination (seen on AMD Zen 3: a photo decoded at 7
/// instead of 14 GB/s, depending on the output buffer's alignment); shorter ones use vector
/// loops.
const MAX_MEMCPY: usize = 1024;

/// For offsets below 16: the largest multiple of the offset that is at most 16 (how far a
/// 16-byte store of the repeated pattern can advance).
const PATTERN_STEP: [usize; 16] = [
    16, 16, 16, 15, 16, 15, 12, 14, 16, 9, 10, 11, 12, 13, 14, 15,
];

/// The match of a sequence: `dst[op + i] = (dict ++ dst)[op - off + i]` for `i < len`, in order
/// (the source may overlap the bytes being written). Returns the new output position. The
/// caller checked `op + len <= dst.len()`.
#[inline(always)]
fn copy_match<const DICT: bool>(
    dst: &mut [u8],
    dict: &[u8],
    mut op: usize,
    off: usize,
    mut len: usize,
) -> Option<usize> {
    if off == 0 {
        return None;
    }
    if off > op {
        if !DICT {
            return None;
        }
        // The match starts in the dictionary and may continue at the start of the output.
        let back = off - op;
        let start = dict.len().checked_sub(back)?;
        let n = len.min(back);
        dst.get_mut(op..op + n)?
            .copy_from_slice(dict.get(start..start + n)?);
        op += n;
        len -= n;
        if len == 0 {
            return Some(op);
        }
    }
    let m = op - off;
    if off < 16 {
        copy_pattern(dst, op, off, len)?;
    } else if len <= 64 && op + 64 <= dst.len() {
        // 16-byte blocks in order, each reading at least 16 bytes behind what it writes.
        copy_chunk::<16>(dst, m, op)?;
        copy_chunk::<16>(dst, m + 16, op + 16)?;
        if len > 32 {
            copy_chunk::<16>(dst, m + 32, op + 32)?;
            copy_chunk::<16>(dst, m + 48, op + 48)?;
        }
    } else if off >= len && len <= MAX_MEMCPY {
        let (head, tail) = dst.split_at_mut_checked(op)?;
        tail.get_mut(..len)?.copy_from_slice(head.get(m..m + len)?);
    } else {
        copy_match_long(dst, op, off, len)?;
    }
    Some(op + len)
}

/// Match copy for offsets of 16 or more, any length: `memcpy` calls that never overlap. Each
/// takes bytes a multiple of `off` back, all those produced so far when the match overlaps
/// itself (so the copies grow `off`, `2 off`, `4 off`, ...), at most `MAX_MEMCPY` of them.
#[inline(never)]
fn copy_match_long(dst: &mut [u8], op: usize, off: usize, len: usize) -> Option<()> {
    let end = op + len;
    let mut x = op;
    let mut dist = off;
    while x < end {
        let n = dist.min(end - x).min(MAX_MEMCPY);
        let (head, tail) = dst.split_at_mut_checked(x)?;
        tail.get_mut(..n)?
            .copy_from_slice(head.get(x - dist..x - dist + n)?);
        x += n;
        if n == dist {
            dist *= 2;
        }
    }
    Some(())
}

/// Match copy for offsets 1 to 15: the `off` bytes before `op` repeated into a 16-byte pattern
/// (in a register), stored every `PATTERN_STEP[off]` bytes (a whole number of periods).
#[inline(always)]
fn copy_pattern(dst: &mut [u8], op: usize, off: usize, len: usize) -> Option<()> {
    let m = op.checked_sub(off)?;
    // Offsets dividing 16 load exactly the pattern (a load that spans several recent stores
    // would stall), the others 16 bytes and mask the stale ones past `op` off.
    let pat = match off {
        1 => {
            let b = *dst.get(m)?;
            if len > 64 {
                dst.get_mut(op..op + len)?.fill(b);
                return Some(());
            }
            u128::from_ne_bytes([b; 16])
        }
        2 => {
            u128::from(u16::from_le_bytes(*chunk(dst, m)?))
                * 0x0001_0001_0001_0001_0001_0001_0001_0001
        }
        4 => {
            u128::from(u32::from_le_bytes(*chunk(dst, m)?))
                * 0x0000_0001_0000_0001_0000_0001_0000_0001
        }
        8 => u128::from(u64::from_le_bytes(*chunk(dst, m)?)) * ((1 << 64) | 1),
        _ => {
            let v = match chunk::<16>(dst, m) {
                Some(v) => u128::from_le_bytes(*v),
                None => {
                    let mut b = [0u8; 16];
                    b.get_mut(..off)?.copy_from_slice(dst.get(m..op)?);
                    u128::from_le_bytes(b)
                }
            };
            let bits = 8 * off as u32;
            let mut p = v & ((1 << bits) - 1);
            p |= p << bits;
            p |= p.checked_shl(2 * bits).unwrap_or(0);
            p |= p.checked_shl(4 * bits).unwrap_or(0);
            p
        }
    };
    let pat = pat.to_le_bytes();
    let step = (*PATTERN_STEP.get(off)?).min(16);
    // Short matches (all that fit the token): two stores, no loop.
    if len <= step + 16
        && let Some(w) = chunk_mut::<32>(dst, op)
    {
        *w.first_chunk_mut::<16>()? = pat;
        *w.get_mut(step..)?.first_chunk_mut::<16>()? = pat;
        return Some(());
    }
    let end = op + len;
    let mut x = op;
    if op + len + 64 <= dst.len() {
        // Long runs: four stores per iteration.
        while x < end {
            let w = chunk_mut::<64>(dst, x)?;
            *w.first_chunk_mut::<16>()? = pat;
            *w.get_mut(step..)?.first_chunk_mut::<16>()? = pat;
            *w.get_mut(2 * step..)?.first_chunk_mut::<16>()? = pat;
            *w.get_mut(3 * step..)?.first_chunk_mut::<16>()? = pat;
            x += 4 * step;
        }
        return Some(());
    }
    while x < end {
        match chunk_mut::<16>(dst, x) {
            Some(d) => *d = pat,
            None => {
                dst.get_mut(x..end)?.copy_from_slice(pat.get(..end - x)?);
                break;
            }
        }
        x += step;
    }
    Some(())
}

/// The block decoder; with `DICT`, offsets past the start of `dst` continue into the end of
/// `dict`.
///
/// Validity is lz4_flex's (`decompress_into`, `decompress_into_with_dict`): the block is a run of
/// sequences whose last one ends right after its literals (no match); `None` for a read past
/// the input, a write past `dst`, offset 0 or an offset beyond the bytes produced (plus `dict`).
/// liblz4 1.9.4 (`LZ4_decompress_safe`) differs on blocks no LZ4 encoder writes: it also
/// rejects a literal run other than the last ending within the last 8 bytes of the input or
/// the last 12 of the output, and a match ending within the last 5 bytes of the output (the
/// format's end-of-block rules, which encoders must follow), while it accepts offset 0,
/// copying whatever the output buffer held. Tested in `end_of_block_rules`.
#[inline(always)]
fn decode<const DICT: bool>(src: &[u8], dict: &[u8], dst: &mut [u8]) -> Option<usize> {
    let mut ip = 0;
    let mut op = 0;
    loop {
        let token = *src.get(ip)?;
        ip += 1;

        // Literals and offset. Up to 14 literals (no length bytes) with room: one 16-byte copy
        // whose source also holds the offset.
        let lit = usize::from(token >> 4);
        let off;
        if lit < LEN_MASK
            && let Some(s) = chunk::<16>(src, ip)
            && let Some(d) = chunk_mut::<16>(dst, op)
        {
            // `lit <= 14`: the offset is within the 16 bytes (the `?` never fails).
            off = usize::from(u16::from_le_bytes(*chunk(s, lit)?));
            *d = *s;
            ip += lit + 2;
            op += lit;
        } else {
            let mut lit = lit;
            if lit == LEN_MASK {
                lit += read_len_ext(src, &mut ip, dst.len())?;
            }
            copy_literals(src, ip, dst, op, lit)?;
            ip += lit;
            op += lit;
            // The last sequence is literals only: the block ends after them.
            if ip >= src.len() {
                return Some(op);
            }
            off = usize::from(u16::from_le_bytes(*chunk(src, ip)?));
            ip += 2;
        }

        // Match.
        let mut len = usize::from(token) & LEN_MASK;
        if len < LEN_MASK
            && off >= 24
            && let Some((head, tail)) = dst.split_at_mut_checked(op)
            && let Some(d) = tail.first_chunk_mut::<24>()
            && let Some(m) = op.checked_sub(off)
        {
            // At most 18 bytes, wholly before `op` (so the `?` never fails): one 24-byte copy,
            // as 8-byte loads, which store forwarding serves more often than wider ones.
            let s = head.get(m..)?.first_chunk::<24>()?;
            let (s, _) = s.as_chunks::<8>();
            let (d, _) = d.as_chunks_mut::<8>();
            for (d, s) in d.iter_mut().zip(s) {
                *d = *s;
            }
            op += len + MINMATCH;
            continue;
        }
        if len < LEN_MASK
            && (8..24).contains(&off)
            && let Some(m) = op.checked_sub(off)
            && let Some(w) = chunk_mut::<48>(dst, m)
        {
            // Three 8-byte blocks in order, each reading at least 8 bytes behind what it
            // writes; `w` holds the source and the destination (`off + 24 <= 48`: the `?`
            // never fail).
            for i in [0, 8, 16] {
                let c = *w.get(i..)?.first_chunk::<8>()?;
                *w.get_mut(off + i..)?.first_chunk_mut::<8>()? = c;
            }
            op += len + MINMATCH;
            continue;
        }
        if len == LEN_MASK {
            len += read_len_ext(src, &mut ip, dst.len())?;
        }
        len += MINMATCH;
        if dst.len().checked_sub(op)? < len {
            return None;
        }
        op = copy_match::<DICT>(dst, dict, op, off, len)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_data::{
        Gen, Rng, check_block_rules, fnv1a, image, random, repetitive, runs, sparse, words,
    };

    const VOCAB: [&[u8]; 16] = [
        b"the",
        b"of",
        b"block",
        b"chunk",
        b"compress",
        b"lz4",
        b"blosc",
        b"data",
        b"a",
        b"filter",
        b"shuffle",
        b"and",
        b"to",
        b"stream",
        b"header",
        b"offset",
    ];

    fn text(seed: u64, n: usize) -> Vec<u8> {
        words(seed, n, &VOCAB)
    }

    const KINDS: [Gen; 6] = [text, image, random, repetitive, runs, sparse];

    fn compress_vec(accel: u32, input: &[u8], table: &mut Lz4Table) -> Vec<u8> {
        let mut out = vec![0; lz4_flex::block::get_maximum_output_size(input.len())];
        let n = compress(accel, input, &mut out, table);
        assert!(
            n > 0 || input.is_empty(),
            "compress failed with a bound-sized output"
        );
        out.truncate(n);
        out
    }

    fn check_roundtrip(accel: u32, input: &[u8], table: &mut Lz4Table) -> Vec<u8> {
        let block = compress_vec(accel, input, table);
        if input.is_empty() {
            assert!(block.is_empty());
            return block;
        }
        check_block_rules(&block, input.len());
        let mut dec = vec![0xA5; input.len()];
        assert_eq!(
            lz4_flex::block::decompress_into(&block, &mut dec).ok(),
            Some(input.len())
        );
        assert!(
            dec == input,
            "lz4_flex decodes to different bytes (accel {accel})"
        );
        dec.fill(0x5A);
        assert_eq!(decompress(&block, &mut dec), Some(input.len()));
        assert!(
            dec == input,
            "decompress gives different bytes (accel {accel})"
        );
        block
    }

    #[test]
    fn roundtrip_many_inputs_all_accelerations() {
        let mut sizes: Vec<usize> = (0..=40).collect();
        // Around the switch between liblz4's two table modes, and the longest inputs.
        sizes.extend([
            255,
            1000,
            4096,
            LIMIT_64K - 1,
            LIMIT_64K,
            65535,
            65536,
            65537,
            300_000,
        ]);
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        sizes.extend((0..6).map(|_| r.below(300_000) as usize));
        let mut table = Lz4Table::default();
        for (k, kind) in KINDS.iter().enumerate() {
            for (j, &n) in sizes.iter().enumerate() {
                let input = kind(1 + (k * 1000 + j) as u64, n);
                for accel in 1..=10 {
                    check_roundtrip(accel, &input, &mut table);
                }
            }
        }
    }

    #[test]
    fn compressible_inputs_shrink_and_noise_does_not() {
        let mut table = Lz4Table::default();
        for kind in [text, image, repetitive, runs, sparse] {
            let input = kind(7, 200_000);
            for accel in [1, 5, 9] {
                let n = compress_vec(accel, &input, &mut table).len();
                assert!(
                    n < input.len() * 3 / 4,
                    "accel {accel}: {n} of {}",
                    input.len()
                );
            }
        }
        // On text, skipping ahead faster costs ratio (not so on every input: greedy parsing).
        let input = text(8, 200_000);
        let (a1, a9) = (
            compress_vec(1, &input, &mut table),
            compress_vec(9, &input, &mut table),
        );
        assert!(
            a1.len() < a9.len(),
            "accel 1: {}, accel 9: {}",
            a1.len(),
            a9.len()
        );
        // Incompressible input costs the format's overhead only.
        let noise = random(7, 200_000);
        let n = compress_vec(1, &noise, &mut table).len();
        assert!(n > noise.len() && n <= lz4_flex::block::get_maximum_output_size(noise.len()));
    }

    #[test]
    fn short_inputs_are_one_literal_run() {
        let mut table = Lz4Table::default();
        for n in 1..13 {
            let input = vec![7u8; n];
            let block = compress_vec(1, &input, &mut table);
            let mut want = vec![(n as u8) << 4];
            want.extend_from_slice(&input);
            assert_eq!(block, want);
        }
        assert_eq!(compress(1, &[], &mut [0; 16], &mut table), 0);
    }

    #[test]
    fn acceleration_is_clamped_like_liblz4() {
        let mut table = Lz4Table::default();
        let input = text(3, 50_000);
        assert_eq!(
            compress_vec(0, &input, &mut table),
            compress_vec(1, &input, &mut table)
        );
        let max = compress_vec(MAX_ACCELERATION, &input, &mut table);
        assert_eq!(compress_vec(u32::MAX, &input, &mut table), max);
        check_roundtrip(u32::MAX, &input, &mut table);
    }

    #[test]
    fn output_limit_is_exact() {
        let mut table = Lz4Table::default();
        let inputs = [
            text(11, 3000),
            random(12, 2000),
            runs(13, 70_000),
            image(14, 66_000),
            sparse(15, 20),
        ];
        for (i, input) in inputs.iter().enumerate() {
            for accel in [1, 7] {
                let want = compress_vec(accel, input, &mut table);
                let mut out = vec![0u8; want.len()];
                for limit in 0..want.len() {
                    let n = compress(accel, input, &mut out[..limit], &mut table);
                    assert_eq!(
                        n,
                        0,
                        "input {i} accel {accel}: fit in {limit} < {}",
                        want.len()
                    );
                }
                assert_eq!(compress(accel, input, &mut out, &mut table), want.len());
                assert_eq!(
                    out, want,
                    "input {i} accel {accel}: exact-size output differs"
                );
            }
        }
    }

    #[test]
    fn reused_table_does_not_change_output() {
        let inputs = [
            text(21, 100_000),
            image(22, 40_000),
            runs(23, 70_000),
            sparse(24, 9_000),
        ];
        let mut shared = Lz4Table::default();
        for round in 0..2 {
            for (i, input) in inputs.iter().enumerate() {
                let fresh = compress_vec(3, input, &mut Lz4Table::default());
                assert_eq!(
                    compress_vec(3, input, &mut shared),
                    fresh,
                    "round {round} input {i}"
                );
            }
        }
    }

    /// Byte-identical to liblz4 1.9.4 `LZ4_compress_fast` (which also matches every LZ4 stream
    /// of C-Blosc2 3.3.5 / LZ4 1.10.0 in tests/data/reference). Values computed with the C
    /// library on the same generated inputs; both table modes are covered.
    #[test]
    fn matches_liblz4_output() {
        #[rustfmt::skip]
        let golden: [(Gen, u64, usize, u32, usize, u64); 16] = [
            (text, 1, 20000, 1, 9304, 0x8aea0cb1db853713),
            (text, 1, 20000, 3, 9349, 0x5c62e1caff15c494),
            (text, 1, 20000, 5, 9379, 0x65a03ac79d196b2f),
            (text, 1, 20000, 9, 9612, 0x430d5be538dcbe2f),
            (text, 2, 70000, 1, 28720, 0x0b5ef509a866fc7a),
            (text, 2, 70000, 3, 28797, 0x19b7be505fae3f1f),
            (text, 2, 70000, 5, 29009, 0x3d6d92141ba00a68),
            (text, 2, 70000, 9, 29329, 0x080b4dada7360e4e),
            (image, 3, 100000, 1, 54642, 0xa8d349bcddb4950f),
            (image, 3, 100000, 3, 54049, 0xd94055488605b25f),
            (image, 3, 100000, 5, 54595, 0xf287a10c2a31b8af),
            (image, 3, 100000, 9, 54009, 0x38fe9e9063f74b3c),
            (image, 4, 30000, 1, 16715, 0x88acf5bc611e470f),
            (image, 4, 30000, 3, 16955, 0xb593cbb5894ff3a5),
            (image, 4, 30000, 5, 16936, 0xc70cc7966c347eaf),
            (image, 4, 30000, 9, 17004, 0x7ce8c1e55b2b9e12),
        ];
        let mut table = Lz4Table::default();
        for (make, seed, n, accel, len, hash) in golden {
            let block = compress_vec(accel, &make(seed, n), &mut table);
            assert_eq!(
                (block.len(), fnv1a(&block)),
                (len, hash),
                "seed {seed} accel {accel}"
            );
        }
    }

    #[test]
    fn decompress_rejects_malformed_blocks() {
        let mut out = [0u8; 64];
        let mut huge_ext = vec![0xF0];
        huge_ext.resize(100_000, 0xFF);
        let mut huge_match_ext = vec![0x1F, b'a', 0x01, 0x00];
        huge_match_ext.resize(100_000, 0xFF);
        huge_match_ext.extend([0x00, 0x00]);
        let bad: [&[u8]; 15] = [
            &[],                                 // no token
            &[0x10, b'a', 0x00, 0x00],           // offset 0
            &[0x10, b'a', 0x02, 0x00, 0x00],     // offset beyond the output so far
            &[0x50, b'a', b'b'],                 // 5 literals announced, 2 present
            &[0xF0],                             // literal length continuation missing
            &[0xF0, 0xFF],                       // literal length continuation cut off
            &[0xF0, 0x00, b'a'],                 // 15 literals announced, 1 present
            &[0x1F, b'a', 0x01],                 // offset cut off
            &[0x1F, b'a', 0x01, 0x00],           // match length continuation missing
            &[0x1F, b'a', 0x01, 0x00, 0xFF],     // match length continuation cut off
            &[0x10, b'a', 0x01, 0x00],           // ends after a match: no last literals token
            &[0x1F, b'a', 0x01, 0x00, 60, 0x00], // match runs past the 64-byte output
            &[0x0F, 0x00, 0x00, 0x00],           // match before any output
            &huge_ext,                           // literal length far beyond input and output
            &huge_match_ext,                     // match length far beyond the output
        ];
        for (i, block) in bad.iter().enumerate() {
            assert_eq!(decompress(block, &mut out), None, "block {i}");
            assert!(
                lz4_flex::block::decompress_into(block, &mut out).is_err(),
                "block {i}"
            );
        }
        // Literals past the end of the output, with and without room for wild copies.
        let mut block = vec![0xF0, 100 - 15];
        block.extend(std::iter::repeat_n(7, 100));
        assert_eq!(decompress(&block, &mut [0; 99]), None);
        assert_eq!(decompress(&block, &mut [0; 100]), Some(100));
        assert_eq!(decompress(&block[..block.len() - 1], &mut [0; 100]), None);
        // A valid block whose output does not fit.
        let input = text(31, 1000);
        let block = compress_vec(1, &input, &mut Lz4Table::default());
        assert_eq!(decompress(&block, &mut vec![0; input.len() - 1]), None);
        assert_eq!(
            decompress(&block, &mut vec![0; input.len()]),
            Some(input.len())
        );
        // Empty output: only an empty literal run decodes.
        assert_eq!(decompress(&[0x00], &mut []), Some(0));
        assert_eq!(decompress(&[0x10, 1], &mut []), None);
    }

    #[test]
    fn decompress_survives_garbage() {
        let mut r = Rng(41);
        let mut out = vec![0u8; 4096];
        let valid = compress_vec(1, &text(42, 4000), &mut Lz4Table::default());
        for _ in 0..20_000 {
            let mut block = if r.below(2) == 0 {
                (0..r.below(64)).map(|_| r.byte()).collect()
            } else {
                valid.clone()
            };
            for _ in 0..1 + r.below(4) {
                if !block.is_empty() {
                    let at = r.below(block.len() as u64) as usize;
                    block[at] = r.byte();
                }
            }
            block.truncate(r.below(block.len() as u64 + 1) as usize);
            if let Some(n) = decompress(&block, &mut out) {
                assert!(n <= out.len());
            }
        }
    }

    /// The LZ4 semantics, byte by byte, as lz4_flex decodes (see `decode`): the reference for
    /// the differential tests. `None` for any malformed block or output overrun.
    fn reference_decode(block: &[u8], dict: &[u8], cap: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut i = 0;
        let read_len = |i: &mut usize, mut len: usize| -> Option<usize> {
            if len == 15 {
                loop {
                    let b = *block.get(*i)?;
                    *i += 1;
                    len += b as usize;
                    if b != 255 {
                        break;
                    }
                }
            }
            Some(len)
        };
        loop {
            let token = *block.get(i)?;
            i += 1;
            let lits = read_len(&mut i, (token >> 4) as usize)?;
            out.extend_from_slice(block.get(i..i + lits)?);
            i += lits;
            if out.len() > cap {
                return None;
            }
            if i == block.len() {
                return Some(out);
            }
            let off = u16::from_le_bytes(block.get(i..i + 2)?.try_into().unwrap()) as usize;
            i += 2;
            let len = read_len(&mut i, (token & 15) as usize)? + 4;
            if off == 0 || off > out.len() + dict.len() || out.len() + len > cap {
                return None;
            }
            for _ in 0..len {
                let from = out.len() as isize - off as isize;
                let b = if from < 0 {
                    dict[(dict.len() as isize + from) as usize]
                } else {
                    out[from as usize]
                };
                out.push(b);
            }
        }
    }

    /// Decodes `block` into a `cap`-byte buffer pre-filled with `fill`; the bytes produced.
    fn ours(block: &[u8], dict: &[u8], cap: usize, fill: u8) -> Option<Vec<u8>> {
        let mut out = vec![fill; cap];
        let n = if dict.is_empty() && fill.is_multiple_of(2) {
            decompress(block, &mut out)
        } else {
            decompress_with_dict(block, dict, &mut out)
        }?;
        out.truncate(n);
        Some(out)
    }

    fn lz4_flex_decode(block: &[u8], dict: &[u8], cap: usize) -> Option<Vec<u8>> {
        let mut out = vec![0u8; cap];
        let n = lz4_flex::block::decompress_into_with_dict(block, &mut out, dict).ok()?;
        out.truncate(n);
        Some(out)
    }

    /// Our decoder gives lz4_flex's result (both `None`, or the same bytes), into clean and
    /// dirty buffers alike; returns it.
    fn check_same(block: &[u8], dict: &[u8], cap: usize) -> Option<Vec<u8>> {
        let want = lz4_flex_decode(block, dict, cap);
        for fill in [0x00, 0xFF, 0xA5, 0x5A] {
            assert!(
                ours(block, dict, cap, fill) == want,
                "fill {fill:#x} cap {cap}"
            );
        }
        want
    }

    /// Appends one sequence: `lits`, then a match `(offset, length)` unless `None`.
    fn put_seq(block: &mut Vec<u8>, lits: &[u8], m: Option<(u16, usize)>) {
        let ext = |block: &mut Vec<u8>, n: usize| {
            if n >= 15 {
                let mut rest = n - 15;
                while rest >= 255 {
                    block.push(255);
                    rest -= 255;
                }
                block.push(rest as u8);
            }
        };
        let ml = m.map_or(0, |(_, len)| len - 4);
        block.push(((lits.len().min(15) as u8) << 4) | ml.min(15) as u8);
        ext(block, lits.len());
        block.extend_from_slice(lits);
        if let Some((off, _)) = m {
            block.extend_from_slice(&off.to_le_bytes());
            ext(block, ml);
        }
    }

    /// Every copy path: offsets 1..=40 and 60..=70 and lengths 4..=300, with and without room
    /// for wild copies after the match (tails of 0, 1, 7 and 40 literals, exact and roomy
    /// output buffers), against the reference and lz4_flex.
    #[test]
    fn matches_of_every_offset_and_length() {
        let mut r = Rng(51);
        let head: Vec<u8> = (0..80).map(|_| r.byte()).collect();
        for off in (1..=40).chain(60..=70) {
            for len in (4..=40).chain([47, 48, 49, 63, 64, 65, 100, 255, 256, 300]) {
                for tail in [0, 1, 7, 40] {
                    for pre in [off, 80] {
                        let mut block = Vec::new();
                        put_seq(&mut block, &head[..pre], Some((off as u16, len)));
                        put_seq(&mut block, &head[..tail], None);
                        let want = reference_decode(&block, &[], usize::MAX).unwrap();
                        assert_eq!(want.len(), pre + len + tail);
                        for cap in [want.len(), want.len() + 1, want.len() + 100] {
                            let got = check_same(&block, &[], cap);
                            assert!(got.as_ref() == Some(&want), "off {off} len {len}");
                        }
                        assert_eq!(check_same(&block, &[], want.len() - 1), None);
                    }
                }
            }
        }
    }

    /// `period` random bytes repeated (sparse with mutations): periodic matches.
    fn periodic(seed: u64, n: usize, period: usize) -> Vec<u8> {
        let mut r = Rng(seed);
        let pattern: Vec<u8> = (0..period).map(|_| r.byte()).collect();
        (0..n)
            .map(|i| {
                if r.below(500) == 0 {
                    r.byte()
                } else {
                    pattern[i % period]
                }
            })
            .collect()
    }

    /// A byte-shuffled f32 mask: mostly 0.0, with blobs and scattered pixels of 1.0.
    fn mask_f32(seed: u64, n: usize) -> Vec<u8> {
        let mut r = Rng(seed);
        let count = n / 4;
        let mut on = vec![false; count];
        let mut i = 0;
        while i < count {
            if r.below(300) == 0 {
                let run = 1 + r.below(200) as usize;
                on[i..(i + run).min(count)].fill(true);
                i += run;
            }
            i += 1;
        }
        let mut out = vec![0u8; n];
        for (k, &v) in on.iter().enumerate() {
            if v {
                out[2 * count + k] = 0x80;
                out[3 * count + k] = 0x3F;
            }
        }
        out
    }

    /// A test-data generator that may capture parameters.
    type BoxedGen = Box<dyn Fn(u64, usize) -> Vec<u8>>;

    #[test]
    fn decoder_matches_lz4_flex_on_our_blocks() {
        let mut sizes: Vec<usize> = (0..=40).collect();
        sizes.extend([
            64,
            65,
            100,
            255,
            1000,
            4096,
            32 * 1024,
            65537,
            256 * 1024,
            300_000,
        ]);
        let mut r = Rng(61);
        sizes.extend((0..4).map(|_| r.below(300_000) as usize));
        let mut table = Lz4Table::default();
        let mut kinds: Vec<BoxedGen> = KINDS.iter().map(|&k| Box::new(k) as BoxedGen).collect();
        kinds.push(Box::new(mask_f32));
        for period in 1..=20 {
            kinds.push(Box::new(move |s, n| periodic(s, n, period)));
        }
        for (k, kind) in kinds.iter().enumerate() {
            // The periodic kinds get fewer sizes and accelerations: there are 20 of them.
            let step = if k > KINDS.len() { 3 } else { 1 };
            for (j, &n) in sizes.iter().enumerate().skip(k % step).step_by(step) {
                let input = kind(1 + (k * 100 + j) as u64, n);
                for accel in (1..=10).skip((j + k) % step).step_by(step) {
                    let block = compress_vec(accel, &input, &mut table);
                    if input.is_empty() {
                        continue;
                    }
                    let got = check_same(&block, &[], input.len());
                    assert!(got.as_deref() == Some(&input[..]), "kind {k} size {n}");
                    assert_eq!(
                        check_same(&block, &[], input.len() + 33).map(|v| v.len()),
                        Some(n)
                    );
                    assert_eq!(check_same(&block, &[], input.len() - 1), None);
                }
            }
        }
    }

    /// Mutated valid blocks (bytes changed, inserted, removed; cut short): our decoder agrees
    /// with lz4_flex on validity and output, with and without a dictionary.
    #[test]
    fn mutated_blocks_agree_with_lz4_flex() {
        let mut r = Rng(71);
        let mut table = Lz4Table::default();
        let dict = text(72, 3000);
        let mut valid = Vec::new();
        for (k, kind) in KINDS.iter().enumerate() {
            for n in [20, 300, 5000] {
                let input = kind(73 + k as u64, n);
                valid.push((compress_vec(1 + k as u32, &input, &mut table), n));
            }
        }
        for p in [1, 2, 3, 4, 7, 8, 12, 16, 19] {
            let input = periodic(p as u64, 3000, p);
            valid.push((compress_vec(1, &input, &mut table), input.len()));
        }
        let mut with_dict = text(74, 2000);
        with_dict.extend_from_slice(&dict[1000..1500]);
        valid.push((lz4_flex::block::compress_with_dict(&with_dict, &dict), 2500));
        let (mut accepted, mut rejected) = (0, 0);
        for iter in 0..6000 {
            let (block, n) = &valid[r.below(valid.len() as u64) as usize];
            let mut block = block.clone();
            for _ in 0..1 + r.below(3) {
                let at = r.below(block.len() as u64 + 1) as usize;
                match r.below(8) {
                    0 => block.insert(at, r.byte()),
                    1 if at < block.len() => {
                        block.remove(at);
                    }
                    2 if at < block.len() => {
                        block[at] = [0x00, 0x0F, 0xF0, 0xFF][r.below(4) as usize]
                    }
                    3 => block.truncate(at),
                    _ if at < block.len() => block[at] ^= 1 << r.below(8),
                    _ => {}
                }
            }
            let cap = match r.below(4) {
                0 => n + r.below(100) as usize,
                1 => n.saturating_sub(r.below(8) as usize),
                _ => *n,
            };
            let d: &[u8] = if iter % 3 == 0 { &dict } else { &[] };
            match check_same(&block, d, cap) {
                Some(out) => {
                    accepted += 1;
                    assert!(reference_decode(&block, d, cap).as_ref() == Some(&out));
                }
                None => rejected += 1,
            }
        }
        // Both outcomes are well represented.
        assert!(
            accepted > 500 && rejected > 500,
            "{accepted} accepted, {rejected} rejected"
        );
    }

    #[test]
    fn dictionary_matches() {
        let mut r = Rng(81);
        let dict: Vec<u8> = (0..100).map(|_| r.byte()).collect();
        let lits: Vec<u8> = (0..50).map(|_| r.byte()).collect();
        // (literals before the match, offset, length): a match wholly in the dictionary, one
        // ending at its end, one crossing into the output (overlapping itself there), one
        // from the dictionary's first byte, and the same with short and long offsets.
        let cases = [
            (0, 100, 4),
            (0, 100, 100),
            (0, 30, 200),
            (10, 110, 4),
            (10, 20, 40),
            (3, 5, 64),
            (50, 150, 120),
            (50, 51, 18),
        ];
        for (pre, off, len) in cases {
            let mut block = Vec::new();
            put_seq(&mut block, &lits[..pre], Some((off, len)));
            put_seq(&mut block, &lits[..7], None);
            let want = reference_decode(&block, &dict, usize::MAX).unwrap();
            for cap in [want.len(), want.len() + 50] {
                let got = check_same(&block, &dict, cap);
                assert!(got.as_ref() == Some(&want), "case {pre} {off} {len}");
            }
            assert_eq!(check_same(&block, &dict, want.len() - 1), None);
            // One byte further back than the dictionary reaches.
            let mut block = Vec::new();
            put_seq(&mut block, &lits[..pre], Some((pre as u16 + 101, len)));
            put_seq(&mut block, &lits[..7], None);
            assert_eq!(check_same(&block, &dict, 1000), None);
            // Without the dictionary, only offsets within the output are valid.
            assert_eq!(decompress(&block, &mut [0; 1000]), None);
        }
        // Real blocks compressed against a dictionary, including one longer than the window.
        let big_dict = text(82, 100_000);
        for (k, d) in [&dict[..], &big_dict[..]].into_iter().enumerate() {
            let mut input = d[d.len() - 80..].to_vec();
            input.extend(text(83 + k as u64, 5000));
            input.extend_from_slice(&d[d.len() - 60_000.min(d.len())..][..50]);
            let block = lz4_flex::block::compress_with_dict(&input, d);
            assert!(check_same(&block, d, input.len()).as_ref() == Some(&input));
        }
        // An empty dictionary is no dictionary.
        let input = text(84, 3000);
        let block = compress_vec(1, &input, &mut Lz4Table::default());
        assert!(check_same(&block, &[], input.len()).as_ref() == Some(&input));
    }

    #[test]
    fn dirty_output_buffers_do_not_leak() {
        let mut table = Lz4Table::default();
        for (k, kind) in [text, image, runs, sparse, mask_f32].iter().enumerate() {
            let input = kind(91 + k as u64, 70_000);
            for accel in [1, 5] {
                let block = compress_vec(accel, &input, &mut table);
                let mut r = Rng(92);
                for cap in [input.len(), input.len() + 64] {
                    let mut out: Vec<u8> = (0..cap).map(|_| r.byte()).collect();
                    assert_eq!(decompress(&block, &mut out), Some(input.len()));
                    assert!(out[..input.len()] == input[..], "kind {k} accel {accel}");
                }
            }
        }
    }

    /// The end-of-block rules of the format bind encoders; like lz4_flex we do not enforce
    /// them, where liblz4 1.9.4 rejects such blocks (checked with the C library). Blocks that
    /// follow them (all that LZ4 encoders write) decode the same everywhere. Offset 0, which
    /// liblz4 1.9.4 accepts (copying stale output bytes), is rejected.
    #[test]
    fn end_of_block_rules() {
        // A non-final literal run ending within the last 8 bytes of the input (and the last 12
        // of the output), then a final sequence of no literals.
        let block = [0x10, b'a', 1, 0, 0x00];
        assert_eq!(check_same(&block, &[], 5).as_deref(), Some(&b"aaaaa"[..]));
        // A match ending 4 bytes before the end of the output.
        let mut block = Vec::new();
        let lits: Vec<u8> = (0..20).collect();
        put_seq(&mut block, &lits, Some((1, 20)));
        put_seq(&mut block, &lits[..4], None);
        let want = reference_decode(&block, &[], 44).unwrap();
        assert_eq!(want.len(), 44);
        assert!(check_same(&block, &[], 44) == Some(want));
        // Offset 0.
        let mut block = Vec::new();
        put_seq(&mut block, &lits, Some((0, 4)));
        put_seq(&mut block, &lits, None);
        assert_eq!(check_same(&block, &[], 44), None);
        // No final literals-only sequence.
        assert_eq!(check_same(&[0x10, b'a', 1, 0], &[], 5), None);
    }
}
