//! LZ4HC: liblz4's high-compression LZ4 encoder (`LZ4_compress_HC`), as in LZ4 1.10.0, the
//! version C-Blosc2 3.3.5 bundles. The output is a plain LZ4 block (lz4_flex and liblz4 decode
//! it); only the search for matches differs from the fast encoder in `lz4.rs`.
//!
//! liblz4 1.10 has three strategies, chosen by level (its `k_clTable`):
//! - levels 1-2, "mid": two hash tables (4-byte and 8-byte keys), one candidate each, greedy;
//! - levels 3-9, hash chain: every position is linked into chains of 4-byte hashes, searched
//!   up to `2^(level-1)` candidates deep, with liblz4's lazy evaluation of up to three
//!   overlapping matches (`LZ4HC_compress_hashChain`); level 9 adds the repeated-byte shortcut;
//! - levels 10-12, optimal parsing over the same chains (`LZ4HC_compress_optimal`).
//!
//! Every step (hashes, table sizes, candidate order and limits, tie-breaking, end-of-block
//! rules) is liblz4's, so the output is byte-identical to `LZ4_compress_HC` at every level
//! (checked against liblz4 1.10.0 on over a thousand varied inputs, 16 B to 1 MiB, at levels
//! 1-12). The output limit is exact, as in liblz4 (whose per-sequence checks never reject a
//! block that fits): compression fails exactly when the complete block does not fit.
//!
//! Positions are stored in the tables as `u32` indices, `start + position`, where `start` is at
//! least 64 KiB. liblz4 clears its tables and starts at 64 KiB on every call; here each call
//! starts 64 KiB past the end of the previous one instead, so entries left by earlier calls are
//! always out of reach (farther than the 64 KiB window, or below the call's first index) and act
//! exactly like cleared ones, without clearing 256 KiB per call.
#![forbid(unsafe_code)]

/// Minimum match length of the format.
const MINMATCH: usize = 4;
/// A match must start at least this many bytes before the end of the block.
const MFLIMIT: usize = 12;
/// The last bytes of a block are always literals.
const LAST_LITERALS: usize = 5;
/// Inputs shorter than this are a single literal run.
const MIN_LENGTH: usize = MFLIMIT + 1;
/// A token's 4-bit length fields saturate at 15; longer lengths continue in extra bytes.
const LEN_MASK: usize = 15;
/// Largest offset the format can express (and the chain table's largest step).
const MAX_DISTANCE: u32 = 65535;
/// liblz4's input size limit (`LZ4_MAX_INPUT_SIZE`).
const MAX_INPUT_SIZE: usize = 0x7E00_0000;
/// First table index of a call when the tables are fresh (liblz4 always starts here).
const WINDOW: u32 = 1 << 16;
/// Hash chain: 2^15 heads of 4-byte hashes.
const HASH_LOG: u32 = 15;
const HASH_SIZE: usize = 1 << HASH_LOG;
/// Hash chain: distance to the previous position with the same hash, for the last 64 Ki
/// positions (indexed by the low 16 bits of the index).
const CHAIN_SIZE: usize = 1 << 16;
/// Mid strategy: the hash table is split into a 4-byte-key and an 8-byte-key table.
const MID_HASH_LOG: u32 = HASH_LOG - 1;
const MID_SIZE: usize = 1 << MID_HASH_LOG;
/// Hash chain: when two matches overlap, the first one is cut to at most this length when
/// that lets the second one start earlier (15 + MINMATCH - 1: its length still fits the token).
const OPTIMAL_ML: usize = 18;
/// Optimal parser: longest stretch priced at once.
const OPT_NUM: usize = 1 << 12;
/// Optimal parser: positions priced past the last match end.
const TRAILING_LITERALS: usize = 3;

/// Reusable encoder state: liblz4's hash table (32 Ki `u32`), chain table (64 Ki `u16`) and
/// the optimal parser's price table, allocated on first use and reused across calls. Output
/// never depends on earlier calls.
#[derive(Default)]
pub(crate) struct Lz4HcState(Option<Box<Tables>>);

struct Tables {
    hash: Box<[u32; HASH_SIZE]>,
    chain: Box<[u16; CHAIN_SIZE]>,
    /// Optimal parser only (levels 10-12): `OPT_NUM + TRAILING_LITERALS` entries once used.
    opt: Vec<Opt>,
    /// First index of the next call (see the module doc).
    next_start: u32,
}

impl Tables {
    fn new() -> Option<Box<Tables>> {
        Some(Box::new(Tables {
            hash: vec![0; HASH_SIZE].into_boxed_slice().try_into().ok()?,
            chain: vec![0; CHAIN_SIZE].into_boxed_slice().try_into().ok()?,
            opt: Vec::new(),
            next_start: WINDOW,
        }))
    }

    /// Index of position 0 for a call on `len` bytes. Every index the call stores is below
    /// `start + len`, and the next call starts a window further: from its first position on,
    /// all older entries are more than 64 KiB back, which the searches treat as no entry.
    /// Near the end of the `u32` range the hash table is cleared and indices start over (the
    /// chain table needs no clearing: its entries are only read after being rewritten).
    fn claim(&mut self, len: usize) -> u32 {
        let need = u64::from(self.next_start) + len as u64 + 2 * u64::from(WINDOW);
        let start = if need > u64::from(u32::MAX) || self.next_start < WINDOW {
            self.hash.fill(0);
            WINDOW
        } else {
            self.next_start
        };
        // `compress` caps `len` at MAX_INPUT_SIZE, so this stays below u32::MAX.
        self.next_start = start + len as u32 + WINDOW;
        start
    }
}

/// liblz4 1.10's search strategies (`k_clTable`).
#[derive(Clone, Copy)]
enum Strategy {
    Mid,
    HashChain {
        attempts: u32,
    },
    Optimal {
        attempts: u32,
        sufficient_len: usize,
        full_update: bool,
    },
}

impl Strategy {
    /// liblz4's level rules: 0 means the default 9, levels above 12 act as 12.
    fn of(level: u8) -> Strategy {
        let level = if level == 0 { 9 } else { level.min(12) };
        match level {
            1 | 2 => Strategy::Mid,
            3..=9 => Strategy::HashChain {
                attempts: 1 << (level - 1),
            },
            10 => Strategy::Optimal {
                attempts: 96,
                sufficient_len: 64,
                full_update: false,
            },
            11 => Strategy::Optimal {
                attempts: 512,
                sufficient_len: 128,
                full_update: false,
            },
            _ => Strategy::Optimal {
                attempts: 16384,
                sufficient_len: OPT_NUM - 1,
                full_update: true,
            },
        }
    }
}

/// Compresses `input` into `output` (len = output limit) as liblz4's `LZ4_compress_HC` at
/// compression level `level` (1..=12; 0 acts as 9 and levels above 12 as 12, like liblz4;
/// C-Blosc2 passes its clevel 1..9 directly, blosc-format.md §7.1). Returns the compressed
/// length, or 0 when it does not fit / empty input (or longer than liblz4's 0x7E000000-byte
/// limit). Standard LZ4 block format (lz4_flex and liblz4 decode it).
pub(crate) fn compress(
    level: u8,
    input: &[u8],
    output: &mut [u8],
    state: &mut Lz4HcState,
) -> usize {
    if input.is_empty() || input.len() > MAX_INPUT_SIZE {
        return 0;
    }
    if input.len() < MIN_LENGTH {
        return put_last_literals(output, 0, input, 0).unwrap_or(0);
    }
    if state.0.is_none() {
        state.0 = Tables::new();
    }
    let Some(tables) = state.0.as_deref_mut() else {
        return 0;
    };
    let base = tables.claim(input.len());
    let res = match Strategy::of(level) {
        Strategy::Mid => compress_mid(input, output, &mut tables.hash, base),
        Strategy::HashChain { attempts } => {
            let mut hc = Chains::new(input, &mut tables.hash, &mut tables.chain, base, attempts);
            if attempts > 128 {
                compress_hash_chain::<true>(&mut hc, output)
            } else {
                compress_hash_chain::<false>(&mut hc, output)
            }
        }
        Strategy::Optimal {
            attempts,
            sufficient_len,
            full_update,
        } => {
            tables
                .opt
                .resize(OPT_NUM + TRAILING_LITERALS, Opt::default());
            let mut hc = Chains::new(input, &mut tables.hash, &mut tables.chain, base, attempts);
            compress_optimal(
                &mut hc,
                output,
                &mut tables.opt,
                sufficient_len,
                full_update,
            )
        }
    };
    res.unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Levels 1-2: the "mid" strategy (`LZ4MID_compress`).

/// liblz4's `LZ4MID_hash4`: 14-bit hash of 4 bytes.
#[inline(always)]
fn mid_hash4(v: u32) -> usize {
    (v.wrapping_mul(2_654_435_761) >> (32 - MID_HASH_LOG)) as usize & (MID_SIZE - 1)
}

/// liblz4's `LZ4MID_hash7` of an 8-byte little-endian load: 14-bit hash of its low 7 bytes.
#[inline(always)]
fn mid_hash8(v: u64) -> usize {
    ((v << 8).wrapping_mul(58_295_818_150_454_627) >> (64 - MID_HASH_LOG)) as usize & (MID_SIZE - 1)
}

/// `LZ4MID_compress` without dictionary: at each position, the last position with the same 8
/// bytes (hash), else the last one with the same 4 bytes (then also the 8-byte candidate of
/// the next position, if longer). Greedy, skipping faster over long literal runs.
#[inline(never)]
fn compress_mid(
    src: &[u8],
    dst: &mut [u8],
    hash: &mut [u32; HASH_SIZE],
    base: u32,
) -> Option<usize> {
    let len = src.len();
    let (h4, h8) = hash.split_at_mut(MID_SIZE);
    let h4: &mut [u32; MID_SIZE] = h4.try_into().ok()?;
    let h8: &mut [u32; MID_SIZE] = h8.try_into().ok()?;
    let mflimit = len - MFLIMIT;
    let match_limit = len - LAST_LITERALS;
    // Tables are filled after a match only while the 8-byte keys stay inside the input.
    let ilimit_idx = base + (len - 8) as u32;
    let add8 = |h8: &mut [u32; MID_SIZE], p: usize, idx: u32| -> Option<()> {
        h8[mid_hash8(read64(src, p)?)] = idx;
        Some(())
    };
    let add4 = |h4: &mut [u32; MID_SIZE], p: usize, idx: u32| -> Option<()> {
        h4[mid_hash4(read32(src, p)?)] = idx;
        Some(())
    };
    let mut ip = 0;
    let mut anchor = 0;
    let mut op = 0;
    'main: while ip <= mflimit {
        let ip_index = base + ip as u32;
        let v = read64(src, ip)?;
        let (mut ml, dist) = 'found: {
            // Long candidate (8-byte key). Entries of earlier calls are more than 64 KiB back.
            let h = mid_hash8(v);
            let pos8 = h8[h];
            h8[h] = ip_index;
            if ip_index.wrapping_sub(pos8) <= MAX_DISTANCE && pos8 >= base {
                let ml = count(src, ip, (pos8 - base) as usize, match_limit);
                if ml >= MINMATCH {
                    break 'found (ml, ip_index - pos8);
                }
            }
            // Short candidate (4-byte key).
            let h = mid_hash4(v as u32);
            let pos4 = h4[h];
            h4[h] = ip_index;
            if ip_index.wrapping_sub(pos4) <= MAX_DISTANCE && pos4 >= base {
                let ml = count(src, ip, (pos4 - base) as usize, match_limit);
                if ml >= MINMATCH {
                    // Try the long candidate of the next position.
                    let h = mid_hash8(read64(src, ip + 1)?);
                    let pos8 = h8[h];
                    let dist2 = (ip_index + 1).wrapping_sub(pos8);
                    if dist2 <= MAX_DISTANCE && pos8 >= base && ip < mflimit {
                        let ml2 = count(src, ip + 1, (pos8 - base) as usize, match_limit);
                        if ml2 > ml {
                            h8[h] = ip_index + 1;
                            ip += 1;
                            break 'found (ml2, dist2);
                        }
                    }
                    break 'found (ml, ip_index - pos4);
                }
            }
            ip += 1 + ((ip - anchor) >> 9);
            continue 'main;
        };

        // Extend backwards over the pending literals.
        let d = dist as usize;
        while ip > anchor && ip > d && src.get(ip - 1)? == src.get(ip - 1 - d)? {
            ip -= 1;
            ml += 1;
        }
        // As liblz4: these use the index of the position the search started at, whatever the
        // steps above did to `ip` (a quirk that shapes later matches, so kept).
        add8(h8, ip + 1, ip_index + 1)?;
        add8(h8, ip + 2, ip_index + 2)?;
        add4(h4, ip + 1, ip_index + 1)?;
        op = put_sequence(dst, op, src, anchor, ip, ml, dist)?;
        ip += ml;
        anchor = ip;

        let end_idx = base + ip as u32;
        if end_idx - 2 < ilimit_idx {
            if ip > 5 {
                add8(h8, ip - 5, end_idx - 5)?;
            }
            add8(h8, ip - 3, end_idx - 3)?;
            add8(h8, ip - 2, end_idx - 2)?;
            add4(h4, ip - 2, end_idx - 2)?;
            add4(h4, ip - 1, end_idx - 1)?;
        }
    }
    put_last_literals(dst, op, src, anchor)
}

// ---------------------------------------------------------------------------------------------
// Levels 3-12: hash chains.

/// liblz4's `LZ4HC_hashPtr`: 15-bit hash of 4 bytes.
#[inline(always)]
fn hc_hash(v: u32) -> usize {
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_LOG)) as usize & (HASH_SIZE - 1)
}

/// A match found by [`Chains::wider_match`]: `len` bytes at `off` back, starting `back` bytes
/// before the searched position.
#[derive(Clone, Copy)]
struct Match {
    len: usize,
    off: u32,
    back: usize,
}

const NO_MATCH: Match = Match {
    len: 0,
    off: 0,
    back: 0,
};

/// Pattern analysis state of one search (liblz4's `repeat_state_e`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeat {
    Untested,
    Not,
    Confirmed,
}

/// The hash-chain match finder of one call (`LZ4HC_CCtx_internal` without dictionaries).
struct Chains<'a> {
    src: &'a [u8],
    hash: &'a mut [u32; HASH_SIZE],
    chain: &'a mut [u16; CHAIN_SIZE],
    /// Index of `src[0]`.
    base: u32,
    /// First index not yet linked into the chains.
    next_to_update: u32,
    /// Matches end by here (liblz4's `matchlimit`: the last 5 bytes are literals).
    high: usize,
    /// Candidates examined per search, at most.
    attempts: u32,
}

impl<'a> Chains<'a> {
    fn new(
        src: &'a [u8],
        hash: &'a mut [u32; HASH_SIZE],
        chain: &'a mut [u16; CHAIN_SIZE],
        base: u32,
        attempts: u32,
    ) -> Self {
        Chains {
            src,
            hash,
            chain,
            base,
            next_to_update: base,
            high: src.len().saturating_sub(LAST_LITERALS),
            attempts,
        }
    }

    #[inline(always)]
    fn delta(&self, idx: u32) -> u32 {
        u32::from(self.chain[usize::from(idx as u16)])
    }

    /// `LZ4HC_Insert`: links the positions before `ip` into the chains. Like liblz4 it sets the
    /// next position to `ip` even when that goes backwards.
    #[inline(always)]
    fn insert(&mut self, ip: usize) -> Option<()> {
        let target = self.base + ip as u32;
        let mut idx = self.next_to_update;
        while idx < target {
            let h = hc_hash(read32(self.src, (idx - self.base) as usize)?);
            let delta = idx.wrapping_sub(self.hash[h]).min(MAX_DISTANCE);
            self.chain[usize::from(idx as u16)] = delta as u16;
            self.hash[h] = idx;
            idx += 1;
        }
        self.next_to_update = target;
        Some(())
    }

    /// `LZ4HC_InsertAndGetWiderMatch` without dictionaries: the longest match at `ip` that is
    /// longer than `longest`, possibly extended backwards down to `low`, ending by `high`, over
    /// at most `attempts` candidates. With no such match the result has length `longest`.
    /// `PATTERN_ANALYSIS` enables the shortcut through runs of one byte value, `CHAIN_SWAP`
    /// the jump to a sparser chain inside a found match (optimal parser only, `low == ip`).
    #[inline(always)]
    fn wider_match<const PATTERN_ANALYSIS: bool, const CHAIN_SWAP: bool>(
        &mut self,
        ip: usize,
        low: usize,
        mut longest: usize,
    ) -> Option<Match> {
        self.insert(ip)?;
        let src = self.src;
        let high = self.high;
        let base = self.base;
        let ip_index = base + ip as u32;
        let lowest = if base + MAX_DISTANCE + 1 > ip_index {
            base
        } else {
            ip_index - MAX_DISTANCE
        };
        let look_back = ip - low;
        let pattern = read32(src, ip)?;
        let mut offset = 0;
        let mut s_back = 0;
        let mut chain_pos = 0u32;
        let mut repeat = Repeat::Untested;
        let mut src_pattern_len = 0;
        // The two bytes that a candidate must match to beat `longest` (checked first).
        let mut tail = read16(src, low + longest - 1)?;
        let mut match_index = self.hash[hc_hash(pattern)];
        let mut attempts = self.attempts;
        while match_index >= lowest && attempts > 0 {
            attempts -= 1;
            let mut match_len = 0;
            let mpos = (match_index - base) as usize;
            // `longest - 1 >= look_back` in all of liblz4's calls.
            if read16(src, mpos + longest - 1 - look_back)? == tail && read32(src, mpos)? == pattern
            {
                let back = if look_back > 0 {
                    count_back(src, ip, mpos, low)
                } else {
                    0
                };
                match_len = MINMATCH + count(src, ip + MINMATCH, mpos + MINMATCH, high) + back;
                if match_len > longest {
                    longest = match_len;
                    offset = ip_index - match_index;
                    s_back = back;
                    tail = read16(src, low + longest - 1)?;
                }
            }

            if CHAIN_SWAP && match_len == longest && match_index + longest as u32 <= ip_index {
                // Better match: follow, from here on, the chain of the position inside it whose
                // previous occurrence is farthest back (fewer candidates to skip).
                let end = longest - MINMATCH + 1;
                let mut dist_next = 1;
                let mut accel = 1 << 4;
                let mut pos = 0;
                while pos < end {
                    let cand = self.delta(match_index + pos as u32);
                    let step = accel >> 4;
                    accel += 1;
                    if cand > dist_next {
                        dist_next = cand;
                        chain_pos = pos as u32;
                        accel = 1 << 4;
                    }
                    pos += step;
                }
                if dist_next > 1 {
                    if dist_next > match_index {
                        break;
                    }
                    match_index -= dist_next;
                    continue;
                }
            }

            if PATTERN_ANALYSIS && chain_pos == 0 && self.delta(match_index) == 1 {
                // The candidate's chain steps one byte at a time: maybe a run of one byte value.
                // Jump over the run instead of walking it.
                let cand_idx = match_index - 1;
                if repeat == Repeat::Untested {
                    // liblz4 tests for a 4-byte sample of a pattern of period 1, 2 or 4, but its
                    // test only accepts period 1: one byte value repeated.
                    repeat = if pattern == u32::from_ne_bytes([pattern as u8; 4]) {
                        src_pattern_len = run_forward(src, ip + 4, high, pattern as u8) + 4;
                        Repeat::Confirmed
                    } else {
                        Repeat::Not
                    };
                }
                if repeat == Repeat::Confirmed && cand_idx >= lowest {
                    let cpos = (cand_idx - base) as usize;
                    if read32(src, cpos)? == pattern {
                        let b = pattern as u8;
                        let forward = run_forward(src, cpos + 4, high, b) + 4;
                        let back = run_backward(src, cpos, b) as u32;
                        let back = (cand_idx - (cand_idx - back).max(lowest)) as usize;
                        let segment = back + forward;
                        if segment >= src_pattern_len && forward <= src_pattern_len {
                            // The whole source run fits: align its end with this run's end.
                            match_index = cand_idx + forward as u32 - src_pattern_len as u32;
                        } else {
                            // Go to the start of this run.
                            match_index = cand_idx - back as u32;
                            if look_back == 0 {
                                let max_ml = segment.min(src_pattern_len);
                                if longest < max_ml {
                                    if ip_index - match_index > MAX_DISTANCE {
                                        break;
                                    }
                                    longest = max_ml;
                                    offset = ip_index - match_index;
                                    tail = read16(src, low + longest - 1)?;
                                }
                                let d = self.delta(match_index);
                                if d > match_index {
                                    break;
                                }
                                match_index -= d;
                            }
                        }
                        continue;
                    }
                }
            }

            match_index = match_index.wrapping_sub(self.delta(match_index + chain_pos));
        }
        Some(Match {
            len: longest,
            off: offset,
            back: s_back,
        })
    }
}

/// `LZ4HC_compress_hashChain` without dictionaries (levels 3-9): for each match found, look
/// for a longer one starting inside it (up to three overlapping candidates), then shorten the
/// earlier ones so that each sequence is emitted once.
/// `PATTERN_ANALYSIS` is on at level 9 (more than 128 attempts), as in liblz4.
#[inline(never)]
fn compress_hash_chain<const PATTERN_ANALYSIS: bool>(
    hc: &mut Chains<'_>,
    dst: &mut [u8],
) -> Option<usize> {
    let src = hc.src;
    let mflimit = src.len() - MFLIMIT;
    let mut ip = 0;
    let mut anchor = 0;
    let mut op = 0;
    'main: while ip <= mflimit {
        let mut m1 = hc.wider_match::<PATTERN_ANALYSIS, false>(ip, ip, MINMATCH - 1)?;
        if m1.len < MINMATCH {
            ip += 1;
            continue;
        }
        // Saved, in case we would skip too much.
        let mut start0 = ip;
        let mut m0 = m1;

        'search2: loop {
            let mut m2 = NO_MATCH;
            let mut start2 = 0;
            if ip + m1.len <= mflimit {
                let at = ip + m1.len - 2;
                m2 = hc.wider_match::<PATTERN_ANALYSIS, false>(at, ip, m1.len)?;
                start2 = at - m2.back;
            }
            if m2.len <= m1.len {
                // No better match: encode the first one.
                op = put_sequence(dst, op, src, anchor, ip, m1.len, m1.off)?;
                ip += m1.len;
                anchor = ip;
                continue 'main;
            }
            if start0 < ip && start2 < ip + m0.len {
                // Squeeze the first match between the original one and the second one.
                ip = start0;
                m1 = m0;
            }
            if start2 < ip + 3 {
                // First match too short: drop it.
                ip = start2;
                m1 = m2;
                continue 'search2;
            }

            'search3: loop {
                if start2 < ip + OPTIMAL_ML {
                    let mut new_ml = m1.len.min(OPTIMAL_ML);
                    if ip + new_ml > start2 + m2.len - MINMATCH {
                        new_ml = start2 - ip + m2.len - MINMATCH;
                    }
                    if new_ml > start2 - ip {
                        let correction = new_ml - (start2 - ip);
                        start2 += correction;
                        m2.len -= correction;
                    }
                }

                let mut m3 = NO_MATCH;
                let mut start3 = 0;
                if start2 + m2.len <= mflimit {
                    let at = start2 + m2.len - 3;
                    m3 = hc.wider_match::<PATTERN_ANALYSIS, false>(at, start2, m2.len)?;
                    start3 = at - m3.back;
                }

                if m3.len <= m2.len {
                    // No better match: encode the first two.
                    if start2 < ip + m1.len {
                        m1.len = start2 - ip;
                    }
                    op = put_sequence(dst, op, src, anchor, ip, m1.len, m1.off)?;
                    anchor = ip + m1.len;
                    ip = start2;
                    op = put_sequence(dst, op, src, anchor, ip, m2.len, m2.off)?;
                    ip += m2.len;
                    anchor = ip;
                    continue 'main;
                }

                if start3 < ip + m1.len + 3 {
                    // Not enough room for the second match: remove it.
                    if start3 >= ip + m1.len {
                        // The first one can be written now; the third becomes the first.
                        if start2 < ip + m1.len {
                            let correction = ip + m1.len - start2;
                            if m2.len < correction + MINMATCH {
                                start2 = start3;
                                m2 = m3;
                            } else {
                                start2 += correction;
                                m2.len -= correction;
                            }
                        }
                        op = put_sequence(dst, op, src, anchor, ip, m1.len, m1.off)?;
                        anchor = ip + m1.len;
                        ip = start3;
                        m1 = m3;
                        start0 = start2;
                        m0 = m2;
                        continue 'search2;
                    }
                    start2 = start3;
                    m2 = m3;
                    continue 'search3;
                }

                // Three ascending matches: write the first one, cut where the second starts.
                if start2 < ip + m1.len {
                    if start2 < ip + OPTIMAL_ML {
                        m1.len = m1.len.min(OPTIMAL_ML);
                        if ip + m1.len > start2 + m2.len - MINMATCH {
                            m1.len = start2 - ip + m2.len - MINMATCH;
                        }
                        if m1.len > start2 - ip {
                            let correction = m1.len - (start2 - ip);
                            start2 += correction;
                            m2.len -= correction;
                        }
                    } else {
                        m1.len = start2 - ip;
                    }
                }
                op = put_sequence(dst, op, src, anchor, ip, m1.len, m1.off)?;
                anchor = ip + m1.len;
                // The second becomes the first, the third the second; find a new third.
                ip = start2;
                m1 = m2;
                start2 = start3;
                m2 = m3;
            }
        }
    }
    put_last_literals(dst, op, src, anchor)
}

// ---------------------------------------------------------------------------------------------
// Levels 10-12: optimal parsing (`LZ4HC_compress_optimal`).

/// One priced position of the optimal parser (`LZ4HC_optimal_t`): the cheapest known way to
/// reach it, ending with a match of `mlen` at `off` (or a literal when `mlen == 1`, after
/// `litlen` literals in a row).
#[derive(Clone, Copy, Default)]
struct Opt {
    price: usize,
    off: u32,
    mlen: usize,
    litlen: usize,
}

/// Encoded size of `litlen` literals, length bytes included (`LZ4HC_literalsPrice`).
#[inline(always)]
fn literals_price(litlen: usize) -> usize {
    if litlen >= LEN_MASK {
        litlen + 1 + (litlen - LEN_MASK) / 255
    } else {
        litlen
    }
}

/// Encoded size of a sequence (`LZ4HC_sequencePrice`, `mlen >= MINMATCH`).
#[inline(always)]
fn sequence_price(litlen: usize, mlen: usize) -> usize {
    let price = 3 + literals_price(litlen);
    if mlen >= LEN_MASK + MINMATCH {
        price + 1 + (mlen - (LEN_MASK + MINMATCH)) / 255
    } else {
        price
    }
}

#[inline(always)]
fn get_opt(opt: &[Opt], i: usize) -> Option<Opt> {
    opt.get(i).copied()
}

#[inline(always)]
fn set_opt(opt: &mut [Opt], i: usize, v: Opt) -> Option<()> {
    *opt.get_mut(i)? = v;
    Some(())
}

/// Prices the positions just past the last match end as literals following it.
fn add_trailing_literals(opt: &mut [Opt], last: usize) -> Option<()> {
    let last_price = get_opt(opt, last)?.price;
    for add in 1..=TRAILING_LITERALS {
        let o = Opt {
            price: last_price + literals_price(add),
            off: 0,
            mlen: 1,
            litlen: add,
        };
        set_opt(opt, last + add, o)?;
    }
    Some(())
}

/// `LZ4HC_FindLongerMatch`: a match longer than `min_len` at `ip`, or length 0.
#[inline(always)]
fn find_longer(hc: &mut Chains<'_>, ip: usize, min_len: usize) -> Option<Match> {
    let m = hc.wider_match::<true, true>(ip, ip, min_len)?;
    Some(if m.len <= min_len { NO_MATCH } else { m })
}

#[inline(never)]
fn compress_optimal(
    hc: &mut Chains<'_>,
    dst: &mut [u8],
    opt: &mut [Opt],
    sufficient_len: usize,
    full_update: bool,
) -> Option<usize> {
    let src = hc.src;
    let mflimit = src.len() - MFLIMIT;
    let sufficient_len = sufficient_len.min(OPT_NUM - 1);
    let mut ip = 0;
    let mut anchor = 0;
    let mut op = 0;

    while ip <= mflimit {
        let llen = ip - anchor;
        let first = find_longer(hc, ip, MINMATCH - 1)?;
        if first.len == 0 {
            ip += 1;
            continue;
        }
        if first.len > sufficient_len {
            // Good enough: encode it right away.
            op = put_sequence(dst, op, src, anchor, ip, first.len, first.off)?;
            ip += first.len;
            anchor = ip;
            continue;
        }

        // Price the first positions as literals, then those the first match reaches.
        for rpos in 0..MINMATCH {
            let o = Opt {
                price: literals_price(llen + rpos),
                off: 0,
                mlen: 1,
                litlen: llen + rpos,
            };
            set_opt(opt, rpos, o)?;
        }
        for mlen in MINMATCH..=first.len {
            let o = Opt {
                price: sequence_price(llen, mlen),
                off: first.off,
                mlen,
                litlen: llen,
            };
            set_opt(opt, mlen, o)?;
        }
        let mut last_match_pos = first.len;
        add_trailing_literals(opt, last_match_pos)?;

        // Check further positions; ends with the final sequence to encode (`encode:` in liblz4).
        let (cur, best_mlen, best_off) = 'priced: {
            let mut cur = 1;
            while cur < last_match_pos {
                let cur_ptr = ip + cur;
                if cur_ptr > mflimit {
                    break;
                }
                let here = get_opt(opt, cur)?;
                let next_price = get_opt(opt, cur + 1)?.price;
                // Not worth searching here if the next position is no more expensive (at level
                // 12: unless a short match would still pay off).
                if next_price <= here.price
                    && (!full_update || get_opt(opt, cur + MINMATCH)?.price < here.price + 3)
                {
                    cur += 1;
                    continue;
                }
                let min_len = if full_update {
                    MINMATCH - 1
                } else {
                    last_match_pos - cur
                };
                let found = find_longer(hc, cur_ptr, min_len)?;
                if found.len == 0 {
                    cur += 1;
                    continue;
                }
                if found.len > sufficient_len || found.len + cur >= OPT_NUM {
                    // Immediate encoding.
                    last_match_pos = cur + 1;
                    break 'priced (cur, found.len, found.off);
                }

                // Literals after the sequence that reaches `cur`.
                for litlen in 1..MINMATCH {
                    let price = here.price + literals_price(here.litlen + litlen)
                        - literals_price(here.litlen);
                    let pos = cur + litlen;
                    if price < get_opt(opt, pos)?.price {
                        let o = Opt {
                            price,
                            off: 0,
                            mlen: 1,
                            litlen: here.litlen + litlen,
                        };
                        set_opt(opt, pos, o)?;
                    }
                }

                // The match found at `cur`, at every length.
                for ml in MINMATCH..=found.len {
                    let pos = cur + ml;
                    let (ll, price) = if here.mlen == 1 {
                        let ll = here.litlen;
                        let before = if cur > ll {
                            get_opt(opt, cur - ll)?.price
                        } else {
                            0
                        };
                        (ll, before + sequence_price(ll, ml))
                    } else {
                        (0, here.price + sequence_price(0, ml))
                    };
                    if pos > last_match_pos + TRAILING_LITERALS || price <= get_opt(opt, pos)?.price
                    {
                        if ml == found.len && last_match_pos < pos {
                            last_match_pos = pos;
                        }
                        let o = Opt {
                            price,
                            off: found.off,
                            mlen: ml,
                            litlen: ll,
                        };
                        set_opt(opt, pos, o)?;
                    }
                }
                add_trailing_literals(opt, last_match_pos)?;
                cur += 1;
            }
            let best = get_opt(opt, last_match_pos)?;
            // `mlen <= last_match_pos` for every priced position.
            (last_match_pos.checked_sub(best.mlen)?, best.mlen, best.off)
        };

        // Walk back from the end, turning each position's "how I was reached" into "what
        // starts here" along the chosen path.
        let mut pos = cur;
        let mut sel_len = best_mlen;
        let mut sel_off = best_off;
        loop {
            let o = get_opt(opt, pos)?;
            set_opt(
                opt,
                pos,
                Opt {
                    mlen: sel_len,
                    off: sel_off,
                    ..o
                },
            )?;
            sel_len = o.mlen;
            sel_off = o.off;
            if sel_len > pos {
                break;
            }
            if sel_len == 0 {
                return None;
            }
            pos -= sel_len;
        }

        // Encode the path.
        let mut rpos = 0;
        while rpos < last_match_pos {
            let o = get_opt(opt, rpos)?;
            if o.mlen == 1 {
                ip += 1;
                rpos += 1;
                continue;
            }
            rpos += o.mlen;
            op = put_sequence(dst, op, src, anchor, ip, o.mlen, o.off)?;
            ip += o.mlen;
            anchor = ip;
        }
    }
    put_last_literals(dst, op, src, anchor)
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

#[inline(always)]
fn read16(s: &[u8], p: usize) -> Option<u16> {
    Some(u16::from_le_bytes(*s.get(p..)?.first_chunk::<2>()?))
}

#[inline(always)]
fn read32(s: &[u8], p: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*s.get(p..)?.first_chunk::<4>()?))
}

#[inline(always)]
fn read64(s: &[u8], p: usize) -> Option<u64> {
    Some(u64::from_le_bytes(*s.get(p..)?.first_chunk::<8>()?))
}

/// Length of the common prefix of `s[a..limit]` and `s[b..]`, `b < a` (liblz4's `LZ4_count`).
#[inline(always)]
fn count(s: &[u8], a: usize, b: usize, limit: usize) -> usize {
    // Most candidates differ within 8 bytes: settle those with one compare.
    if a + 8 <= limit
        && let (Some(x), Some(y)) = (read64(s, a), read64(s, b))
    {
        let diff = x ^ y;
        if diff != 0 {
            return (diff.trailing_zeros() / 8) as usize;
        }
        return 8 + count_long(s, a + 8, b + 8, limit);
    }
    count_long(s, a, b, limit)
}

/// [`count`] past the first 8 bytes.
fn count_long(s: &[u8], a: usize, b: usize, limit: usize) -> usize {
    let Some(sa) = s.get(a..limit) else {
        return 0;
    };
    let Some(sb) = s.get(b..b + sa.len()) else {
        return 0;
    };
    let (ca, ra) = sa.as_chunks::<8>();
    let (cb, rb) = sb.as_chunks::<8>();
    let mut n = 0;
    for (x, y) in ca.iter().zip(cb) {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + ra.iter().zip(rb).take_while(|(x, y)| x == y).count()
}

/// Number of equal bytes before positions `ip` and `m` (`LZ4HC_countBack`), at most
/// `ip - low` and at most `m`.
#[inline(always)]
fn count_back(s: &[u8], ip: usize, m: usize, low: usize) -> usize {
    let max = (ip - low).min(m);
    let (Some(a), Some(b)) = (s.get(ip - max..ip), s.get(m - max..m)) else {
        return 0;
    };
    let (_, ca) = a.as_rchunks::<8>();
    let (_, cb) = b.as_rchunks::<8>();
    let mut n = 0;
    for (x, y) in ca.iter().rev().zip(cb.iter().rev()) {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if diff != 0 {
            return n + (diff.leading_zeros() / 8) as usize;
        }
        n += 8;
    }
    let (ra, rb) = (&a[..max - n], &b[..max - n]);
    n + ra
        .iter()
        .rev()
        .zip(rb.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Number of bytes equal to `b` from `p` on, stopping at `limit` (`LZ4HC_countPattern` for a
/// one-byte pattern).
fn run_forward(s: &[u8], p: usize, limit: usize, b: u8) -> usize {
    let Some(run) = s.get(p..limit) else {
        return 0;
    };
    let word = u64::from_ne_bytes([b; 8]);
    let (chunks, rest) = run.as_chunks::<8>();
    let mut n = 0;
    for c in chunks {
        let diff = u64::from_le_bytes(*c) ^ word;
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + rest.iter().take_while(|&&x| x == b).count()
}

/// Number of bytes equal to `b` just before `p`, down to the start of `s`
/// (`LZ4HC_reverseCountPattern` for a one-byte pattern).
fn run_backward(s: &[u8], p: usize, b: u8) -> usize {
    let Some(run) = s.get(..p) else {
        return 0;
    };
    let word = u64::from_ne_bytes([b; 8]);
    let (rest, chunks) = run.as_rchunks::<8>();
    let mut n = 0;
    for c in chunks.iter().rev() {
        let diff = u64::from_le_bytes(*c) ^ word;
        if diff != 0 {
            return n + (diff.leading_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + rest.iter().rev().take_while(|&&x| x == b).count()
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

/// Writes a token, the literals `src[anchor..ip]`, the offset and the match length extension
/// for a match of `ml` bytes at `ip` (`LZ4HC_encodeSequence`). Returns the new output position;
/// `None` if the output is full (or `ml` is below the format's minimum).
#[inline(always)]
fn put_sequence(
    dst: &mut [u8],
    op: usize,
    src: &[u8],
    anchor: usize,
    ip: usize,
    ml: usize,
    offset: u32,
) -> Option<usize> {
    let lits = ip - anchor;
    let ml_code = ml.checked_sub(MINMATCH)?;
    let token = op;
    let mut op = op + 1;
    let lit_nibble = if lits < LEN_MASK {
        lits
    } else {
        op = put_len_ext(dst, op, lits)?;
        LEN_MASK
    };
    // Short runs (almost all of them): one fixed 16-byte copy; the bytes past `lits` are
    // overwritten next or lie beyond the returned length.
    if lits <= 16
        && let (Some(d), Some(s)) = (dst.get_mut(op..op + 16), src.get(anchor..anchor + 16))
    {
        d.copy_from_slice(s);
    } else {
        dst.get_mut(op..op + lits)?
            .copy_from_slice(src.get(anchor..ip)?);
    }
    op += lits;
    dst.get_mut(op..op + 2)?
        .copy_from_slice(&(offset as u16).to_le_bytes());
    op += 2;
    let ml_nibble = if ml_code < LEN_MASK {
        ml_code
    } else {
        op = put_len_ext(dst, op, ml_code)?;
        LEN_MASK
    };
    *dst.get_mut(token)? = (lit_nibble << 4 | ml_nibble) as u8;
    Some(op)
}

/// Writes the final literal run `src[anchor..]` at `op`; returns the block length.
fn put_last_literals(dst: &mut [u8], op: usize, src: &[u8], anchor: usize) -> Option<usize> {
    let n = src.len() - anchor;
    let token = op;
    let mut op = op + 1;
    let nibble = if n < LEN_MASK {
        n
    } else {
        op = put_len_ext(dst, op, n)?;
        LEN_MASK
    };
    *dst.get_mut(token)? = (nibble << 4) as u8;
    dst.get_mut(op..op + n)?.copy_from_slice(src.get(anchor..)?);
    Some(op + n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_data::{
        Gen, Rng, check_block_rules, floats, fnv1a, image, random, repetitive, runs, sparse, words,
        zeros,
    };

    const VOCAB: [&[u8]; 12] = [
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
        b"stream",
    ];

    fn text(seed: u64, n: usize) -> Vec<u8> {
        words(seed, n, &VOCAB)
    }

    const KINDS: [Gen; 8] = [text, image, floats, random, repetitive, runs, sparse, zeros];

    fn compress_vec(level: u8, input: &[u8], state: &mut Lz4HcState) -> Vec<u8> {
        let mut out = vec![0; lz4_flex::block::get_maximum_output_size(input.len())];
        let n = compress(level, input, &mut out, state);
        assert!(
            n > 0 || input.is_empty(),
            "level {level}: failed with a bound-sized output"
        );
        out.truncate(n);
        out
    }

    fn check_roundtrip(level: u8, input: &[u8], state: &mut Lz4HcState) -> Vec<u8> {
        let block = compress_vec(level, input, state);
        if input.is_empty() {
            return block;
        }
        check_block_rules(&block, input.len());
        let mut dec = vec![0xA5; input.len()];
        assert_eq!(
            lz4_flex::block::decompress_into(&block, &mut dec).ok(),
            Some(input.len()),
            "level {level}"
        );
        assert!(dec == input, "level {level}: decodes to different bytes");
        block
    }

    #[test]
    fn roundtrip_many_inputs_all_levels() {
        let mut sizes: Vec<usize> = (0..=40).collect();
        // Around the 64 KiB window, and larger (matches of several windows).
        sizes.extend([255, 1000, 4096, 65535, 65536, 65537, 65548, 70_000, 140_000]);
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        sizes.extend((0..4).map(|_| r.below(100_000) as usize));
        let mut state = Lz4HcState::default();
        for (k, kind) in KINDS.iter().enumerate() {
            for (j, &n) in sizes.iter().enumerate() {
                let input = kind(1 + (k * 1000 + j) as u64, n);
                for level in 1..=12 {
                    check_roundtrip(level, &input, &mut state);
                }
            }
        }
    }

    #[test]
    fn levels_out_of_range_act_like_liblz4() {
        let mut state = Lz4HcState::default();
        let input = text(3, 30_000);
        let l9 = compress_vec(9, &input, &mut state);
        assert_eq!(compress_vec(0, &input, &mut state), l9);
        let l12 = compress_vec(12, &input, &mut state);
        assert_eq!(compress_vec(13, &input, &mut state), l12);
        assert_eq!(compress_vec(255, &input, &mut state), l12);
        // Levels 1 and 2 are the same strategy in liblz4 1.10.
        assert_eq!(
            compress_vec(1, &input, &mut state),
            compress_vec(2, &input, &mut state)
        );
    }

    #[test]
    fn short_inputs_are_one_literal_run() {
        let mut state = Lz4HcState::default();
        for n in 1..13 {
            let input = vec![7u8; n];
            for level in [1, 5, 12] {
                let block = compress_vec(level, &input, &mut state);
                let mut want = vec![(n as u8) << 4];
                want.extend_from_slice(&input);
                assert_eq!(block, want);
            }
        }
        assert_eq!(compress(9, &[], &mut [0; 16], &mut state), 0);
        // 13 bytes: the first input long enough for a match.
        let block = compress_vec(9, &[1; 13], &mut state);
        assert_eq!(block, [0x13, 1, 1, 0, 0x50, 1, 1, 1, 1, 1]);
    }

    #[test]
    fn compressible_inputs_shrink_and_noise_does_not() {
        let mut state = Lz4HcState::default();
        for kind in [text, image, floats, repetitive, runs, sparse] {
            let input = kind(7, 100_000);
            for level in [1, 5, 9, 12] {
                let n = compress_vec(level, &input, &mut state).len();
                assert!(n < input.len() * 3 / 4, "level {level}: {n}");
            }
        }
        // More search finds more on text: the strategies rank as liblz4's do.
        let input = text(8, 100_000);
        let sizes: Vec<usize> = [1, 3, 5, 9, 12]
            .iter()
            .map(|&l| compress_vec(l, &input, &mut state).len())
            .collect();
        assert!(sizes.windows(2).all(|w| w[1] < w[0]), "{sizes:?}");
        let noise = random(7, 100_000);
        for level in [1, 5, 9, 12] {
            let n = compress_vec(level, &noise, &mut state).len();
            assert!(n > noise.len() && n <= lz4_flex::block::get_maximum_output_size(noise.len()));
        }
    }

    #[test]
    fn output_limit_is_exact() {
        let mut state = Lz4HcState::default();
        let inputs = [
            text(11, 3000),
            random(12, 2000),
            runs(13, 70_000),
            image(14, 66_000),
            floats(15, 40_000),
            sparse(16, 20),
        ];
        for (i, input) in inputs.iter().enumerate() {
            for level in [1, 4, 9, 10, 12] {
                let want = compress_vec(level, input, &mut state);
                let mut out = vec![0u8; want.len() + 3];
                // Every limit below the needed size for small blocks, a range for large ones.
                let from = if want.len() < 3000 {
                    0
                } else {
                    want.len() - 200
                };
                for limit in (from..want.len()).chain([0, want.len() / 2]) {
                    let n = compress(level, input, &mut out[..limit], &mut state);
                    assert_eq!(
                        n,
                        0,
                        "input {i} level {level}: fit in {limit} < {}",
                        want.len()
                    );
                }
                for extra in 0..=3 {
                    out.fill(0);
                    let limit = want.len() + extra;
                    let n = compress(level, input, &mut out[..limit], &mut state);
                    assert_eq!(n, want.len(), "input {i} level {level} limit {limit}");
                    assert_eq!(out[..n], want[..], "input {i} level {level} limit {limit}");
                }
            }
        }
    }

    #[test]
    fn reused_state_does_not_change_output() {
        let inputs = [
            text(21, 100_000),
            image(22, 40_000),
            runs(23, 70_000),
            sparse(24, 9_000),
        ];
        let mut shared = Lz4HcState::default();
        for round in 0..2 {
            for (i, input) in inputs.iter().enumerate() {
                // Alternate the mid and hash-chain layouts of the hash table.
                for level in [2, 9, 1, 11, 5] {
                    let fresh = compress_vec(level, input, &mut Lz4HcState::default());
                    let reused = compress_vec(level, input, &mut shared);
                    assert!(reused == fresh, "round {round} input {i} level {level}");
                }
            }
        }
        // Near the end of the index range the tables start over.
        let input = image(25, 80_000);
        for level in [1, 9, 12] {
            let fresh = compress_vec(level, &input, &mut Lz4HcState::default());
            for back in [0, 1, 40_000, 80_000, 140_000, 300_000] {
                if let Some(t) = shared.0.as_deref_mut() {
                    t.next_start = u32::MAX - back;
                }
                let reused = compress_vec(level, &input, &mut shared);
                assert!(reused == fresh, "level {level} start {back} before the end");
            }
        }
    }

    /// Byte-identical to liblz4 1.10.0 `LZ4_compress_HC(src, dst, n, LZ4_compressBound(n),
    /// level)` (the LZ4 bundled in C-Blosc2 3.3.5 / python-blosc2 4.14.1). Lengths and FNV-1a
    /// hashes were computed with that library on the same generated inputs.
    #[test]
    fn matches_liblz4_1_10_output() {
        #[rustfmt::skip]
        let golden: [(Gen, u64, usize, u8, usize, u64); 42] = [
            (text, 1, 20000, 1, 6738, 0x372bde0ad02b7e38),
            (text, 1, 20000, 3, 5501, 0x164e31444cfc8d51),
            (text, 1, 20000, 5, 5119, 0xd4faa97438e82d62),
            (text, 1, 20000, 9, 4968, 0xa044888cb7df04a5),
            (text, 1, 20000, 10, 4777, 0x8944b14d33ce1096),
            (text, 1, 20000, 11, 4752, 0xba10d49f3161d727),
            (text, 1, 20000, 12, 4752, 0xecb6b4c8acf69dc9),
            (image, 2, 100000, 1, 54360, 0x544bd587f48ed3de),
            (image, 2, 100000, 3, 49926, 0x2f0adb56040f6cbc),
            (image, 2, 100000, 5, 49622, 0xd5e5b86d91eefc14),
            (image, 2, 100000, 9, 49487, 0xdd2864bb9135e7bf),
            (image, 2, 100000, 10, 49500, 0x65eb4c2e96b0165a),
            (image, 2, 100000, 11, 49446, 0x2c7f9500aaf9e69a),
            (image, 2, 100000, 12, 49384, 0xf6009d96747d7379),
            (floats, 3, 70000, 1, 42965, 0x67dc2cf42dcf1617),
            (floats, 3, 70000, 3, 40288, 0xb1a79204cb8f69bd),
            (floats, 3, 70000, 5, 40185, 0xe8592133f0f585df),
            (floats, 3, 70000, 9, 40171, 0x94784a36f63f1afd),
            (floats, 3, 70000, 10, 40178, 0xec92e90e3cce10a6),
            (floats, 3, 70000, 11, 40167, 0x1ce693d19ba551d4),
            (floats, 3, 70000, 12, 40159, 0x54201af726af8b5b),
            (runs, 4, 50000, 1, 660, 0xb185c0430fe0e3cc),
            (runs, 4, 50000, 3, 621, 0x35db40cad04efc56),
            (runs, 4, 50000, 5, 618, 0x0bc37799f0a0e035),
            (runs, 4, 50000, 9, 597, 0xcd43ccc8265ff2d2),
            (runs, 4, 50000, 10, 602, 0xe7e4b54827e4bbcb),
            (runs, 4, 50000, 11, 602, 0xe7e4b54827e4bbcb),
            (runs, 4, 50000, 12, 597, 0xd5cc85731f03458d),
            (repetitive, 5, 30000, 1, 3239, 0xee632a6f5f41ec0c),
            (repetitive, 5, 30000, 3, 2887, 0x1d209d234791963b),
            (repetitive, 5, 30000, 5, 2510, 0xa3df26a614f4bc3d),
            (repetitive, 5, 30000, 9, 2173, 0x61141b2cd458bcb8),
            (repetitive, 5, 30000, 10, 2320, 0xf1e696e6500ac8f3),
            (repetitive, 5, 30000, 11, 2193, 0xcc0e2df861e78764),
            (repetitive, 5, 30000, 12, 2138, 0x182dfa9a2baf8a18),
            (sparse, 6, 66000, 1, 6650, 0xa4c1d8775889d353),
            (sparse, 6, 66000, 3, 4798, 0xb3133751bcfad3f2),
            (sparse, 6, 66000, 5, 4713, 0x1268f538b4ea2558),
            (sparse, 6, 66000, 9, 4454, 0xdf86b911e552f1f9),
            (sparse, 6, 66000, 10, 5074, 0x7e6bd160940143a0),
            (sparse, 6, 66000, 11, 4516, 0x62f4e5922ca89ff3),
            (sparse, 6, 66000, 12, 4307, 0x8cfc9bf8c740bc36),
        ];
        let mut state = Lz4HcState::default();
        for (make, seed, n, level, len, hash) in golden {
            let block = compress_vec(level, &make(seed, n), &mut state);
            assert_eq!(
                (block.len(), fnv1a(&block)),
                (len, hash),
                "seed {seed} level {level}"
            );
        }
    }
}
