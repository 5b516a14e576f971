//! Test inputs and checks shared by the codec modules' unit tests. The generators are
//! deterministic: golden hashes of encoder output (lz4.rs, lz4hc.rs) depend on every byte.

/// xorshift64: deterministic test data without dependencies.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(crate) fn byte(&mut self) -> u8 {
        (self.next() >> 32) as u8
    }
}

/// A test-data generator: (seed, length) -> bytes.
pub(crate) type Gen = fn(u64, usize) -> Vec<u8>;

/// Incompressible bytes.
pub(crate) fn noise(n: usize) -> Vec<u8> {
    random(0x9E37_79B9_7F4A_7C15, n)
}

pub(crate) fn random(seed: u64, n: usize) -> Vec<u8> {
    let mut r = Rng(seed);
    (0..n).map(|_| r.byte()).collect()
}

pub(crate) fn zeros(_: u64, n: usize) -> Vec<u8> {
    vec![0; n]
}

/// Words drawn from `vocab`, separated by spaces and now and then a newline.
pub(crate) fn words(seed: u64, n: usize, vocab: &[&[u8]]) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        out.extend_from_slice(vocab[r.below(vocab.len() as u64) as usize]);
        out.push(if r.below(8) == 0 { b'\n' } else { b' ' });
    }
    out.truncate(n);
    out
}

/// Byte planes of `n / width` values (low byte first), as Blosc's shuffle filter makes.
pub(crate) fn planes(values: &[u64], width: usize, n: usize) -> Vec<u8> {
    let mut out: Vec<u8> = (0..width)
        .flat_map(|b| values.iter().map(move |v| (v >> (8 * b)) as u8))
        .collect();
    out.resize(n, 0);
    out
}

/// A noisy 16-bit gradient image (300 px wide), shuffled into two byte planes.
pub(crate) fn image(seed: u64, n: usize) -> Vec<u8> {
    let mut r = Rng(seed);
    let v: Vec<u64> = (0..n as u64 / 2)
        .map(|i| ((i % 300) * 7 + (i / 300) * 3 + r.below(8)) & 0xFFFF)
        .collect();
    planes(&v, 2, n)
}

/// A smooth f32 signal with small noise, shuffled into four byte planes.
pub(crate) fn floats(seed: u64, n: usize) -> Vec<u8> {
    let mut r = Rng(seed);
    let v: Vec<u64> = (0..n as u64 / 4)
        .map(|i| {
            let x = (i as f32 * 0.01).sin() * 100.0 + r.below(16) as f32 * 0.001;
            u64::from(x.to_bits())
        })
        .collect();
    planes(&v, 4, n)
}

/// A short random pattern repeated with rare mutations.
pub(crate) fn repetitive(seed: u64, n: usize) -> Vec<u8> {
    let mut r = Rng(seed);
    let pattern: Vec<u8> = (0..1 + r.below(64)).map(|_| r.byte()).collect();
    (0..n)
        .map(|i| {
            if r.below(64) == 0 {
                r.byte()
            } else {
                pattern[i % pattern.len()]
            }
        })
        .collect()
}

/// Runs of one byte value, from 1 to 5000 long (long runs need multi-byte lengths).
pub(crate) fn runs(seed: u64, n: usize) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let b = if r.below(2) == 0 { 0 } else { r.byte() };
        let max = if r.below(4) == 0 { 5000 } else { 40 };
        let len = 1 + r.below(max) as usize;
        out.extend(std::iter::repeat_n(b, len.min(n - out.len())));
    }
    out
}

/// Zeros with a random byte every ~50: many ~50-byte matches, short literal runs.
pub(crate) fn sparse(seed: u64, n: usize) -> Vec<u8> {
    let mut r = Rng(seed);
    (0..n)
        .map(|_| if r.below(50) == 0 { r.byte() } else { 0 })
        .collect()
}

/// FNV-1a, 64 bits: golden hashes of encoder output.
pub(crate) fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Parses a block and checks the format's end rules and offsets, which a decoder may not
/// enforce: the last sequence is literals only, at least 5 of them (unless the input is
/// shorter than 13 bytes: then it is all literals), no match starts within the last 12
/// bytes and every offset points into the output produced so far. The numbers are the
/// format's, written out so that a wrong constant in the encoder cannot hide here.
pub(crate) fn check_block_rules(block: &[u8], input_len: usize) {
    let mut i = 0;
    let mut out = 0;
    let read_len = |i: &mut usize, mut len: usize| {
        if len == 15 {
            loop {
                let b = block[*i];
                *i += 1;
                len += b as usize;
                if b != 255 {
                    break;
                }
            }
        }
        len
    };
    loop {
        let token = block[i];
        i += 1;
        let lits = read_len(&mut i, (token >> 4) as usize);
        i += lits;
        out += lits;
        if i == block.len() {
            assert_eq!(token & 15, 0, "last sequence has a match");
            if input_len >= 13 {
                assert!(lits >= 5, "last literal run is {lits} bytes");
            } else {
                assert_eq!(lits, input_len, "a short input must be one literal run");
            }
            break;
        }
        let offset = u16::from_le_bytes([block[i], block[i + 1]]) as usize;
        i += 2;
        assert!(
            offset >= 1 && offset <= out,
            "offset {offset} at output {out}"
        );
        assert!(
            out + 12 <= input_len,
            "match starts at {out} of {input_len}"
        );
        let ml = read_len(&mut i, (token & 15) as usize) + 4;
        out += ml;
        assert!(out + 5 <= input_len, "match ends at {out} of {input_len}");
    }
    assert_eq!(out, input_len);
}
