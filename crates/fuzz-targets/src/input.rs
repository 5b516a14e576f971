//! A byte reader that turns fuzzer input into decisions; past the end it yields zeros, so every
//! input, however short, is a valid program.

/// Reads fuzzer bytes as small integers and choices.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// Whether every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, 0 past the end.
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    /// The next four bytes, little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// A choice in `0..n` (0 when `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            usize::from(self.u8()) % n.max(1)
        } else {
            self.u32() as usize % n
        }
    }

    /// A coin flip.
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// Up to `n` bytes.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.data.len())
    }
}

/// A deterministic generator for test data (xorshift64*), seeded from fuzzer bytes.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `len` bytes of test data in one of several shapes (compressible or not), chosen by `kind`.
/// `typesize` shapes ramps and sparse data element-wise, so shuffles and codecs see the
/// structure they are built for.
pub(crate) fn payload(
    kind: u8,
    len: usize,
    typesize: usize,
    seed: &[u8],
    rng_seed: u64,
) -> Vec<u8> {
    let ts = typesize.max(1);
    let mut rng = Rng::new(rng_seed);
    match kind % 6 {
        // The fuzzer's own bytes, repeated.
        0 if !seed.is_empty() => seed.iter().copied().cycle().take(len).collect(),
        // A little-endian ramp of `ts`-byte elements.
        1 => (0..len)
            .map(|i| {
                let (e, b) = (i / ts, i % ts);
                (e.checked_shr(8 * b as u32).unwrap_or(0) & 0xFF) as u8
            })
            .collect(),
        // Zeros with a few random bytes.
        2 => {
            let mut v = vec![0u8; len];
            for _ in 0..(len / 64).max(1) {
                let i = rng.below(len.max(1));
                if let Some(b) = v.get_mut(i) {
                    *b = rng.next() as u8;
                }
            }
            v
        }
        // Runs of random lengths.
        3 => {
            let mut v = Vec::with_capacity(len);
            while v.len() < len {
                let run = 1 + rng.below(300);
                let b = rng.next() as u8;
                v.extend(std::iter::repeat_n(b, run.min(len - v.len())));
            }
            v
        }
        // Noise.
        4 => (0..len).map(|_| rng.next() as u8).collect(),
        // Smooth 16-bit image rows with small noise.
        _ => (0..len)
            .map(|i| {
                let x = (i / 2) as u64;
                let v = (x % 97) * 3 + rng.next() % 4;
                if i % 2 == 0 { v as u8 } else { (v >> 8) as u8 }
            })
            .collect(),
    }
}
