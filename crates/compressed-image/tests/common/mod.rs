//! Helpers shared by the integration tests: a seeded PRNG, data generators per element type,
//! and bitwise comparisons (floats hold NaNs and signed zeros, where `==` would lie).

#![allow(dead_code)]

use compressed_image::half::f16;
use compressed_image::{Channel, Element};

/// SplitMix64: tiny, seeded, good enough to drive tests reproducibly.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// Element types the tests generate values for.
pub(crate) trait TestElem: Element {
    /// A value derived from a small integer (smooth data compresses).
    fn from_u64(v: u64) -> Self;
    /// Arbitrary bits, including NaNs and signed zeros for floats.
    fn from_bits(v: u64) -> Self {
        let bytes = v.to_le_bytes();
        bytemuck::pod_read_unaligned(&bytes[..Self::TYPESIZE])
    }
}

macro_rules! test_elem_int {
    ($($t:ty),*) => {$(
        impl TestElem for $t {
            fn from_u64(v: u64) -> Self {
                v as $t
            }
        }
    )*};
}
test_elem_int!(u8, i8, u16, i16, u32, i32);

impl TestElem for f16 {
    fn from_u64(v: u64) -> Self {
        f16::from_f32((v % 2048) as f32 * 0.5)
    }
}

impl TestElem for f32 {
    fn from_u64(v: u64) -> Self {
        v as f32 * 0.25
    }
}

impl TestElem for f64 {
    fn from_u64(v: u64) -> Self {
        v as f64 * 0.125
    }
}

/// A smooth gradient with a little noise.
pub(crate) fn smooth<T: TestElem>(w: usize, h: usize, rng: &mut Rng) -> Vec<T> {
    (0..w * h)
        .map(|g| {
            let (x, y) = ((g % w) as u64, (g / w) as u64);
            T::from_u64((x + 2 * y) / 3 + rng.next_u64() % 3)
        })
        .collect()
}

/// Arbitrary bit patterns.
pub(crate) fn random_bits<T: TestElem>(n: usize, rng: &mut Rng) -> Vec<T> {
    (0..n).map(|_| T::from_bits(rng.next_u64())).collect()
}

/// Bitwise slice equality.
pub(crate) fn same_bits<T: Element>(a: &[T], b: &[T]) -> bool {
    T::as_bytes(a) == T::as_bytes(b)
}

#[track_caller]
pub(crate) fn assert_same<T: Element>(a: &[T], b: &[T]) {
    assert_eq!(a.len(), b.len(), "lengths differ");
    if let Some(i) = (0..a.len()).find(|&i| !a[i].bits_eq(&b[i])) {
        panic!("first difference at element {i}: {:?} vs {:?}", a[i], b[i]);
    }
}

/// Whether all elements of `s` are bitwise equal (what the channel stores lazily).
pub(crate) fn uniform<T: Element>(s: &[T]) -> bool {
    s.iter().all(|v| v.bits_eq(&s[0]))
}

/// Every observable part of a channel: values, compressed size, per-chunk lazy value and size.
pub(crate) fn snapshot<T: Element>(ch: &Channel<T>) -> (Vec<u8>, usize, Vec<Option<Vec<u8>>>) {
    let values = T::as_bytes(&ch.to_vec().unwrap()).to_vec();
    let lazy = (0..ch.num_chunks())
        .map(|i| ch.chunk_fill_value(i).map(|v| T::as_bytes(&[v]).to_vec()))
        .collect();
    (values, ch.compressed_bytes(), lazy)
}

/// Checks a channel against its model, chunk by chunk, including the lazy invariant: a chunk
/// is stored lazily exactly when its values are uniform.
#[track_caller]
pub(crate) fn check_channel<T: Element>(ch: &Channel<T>, model: &[T]) {
    assert_same(&ch.to_vec().unwrap(), model);
    let mut buf = vec![T::zero(); ch.chunk_elems()];
    let mut total = 0;
    for i in 0..ch.num_chunks() {
        let range = ch.chunk_range(i).unwrap();
        let n = range.len();
        ch.get_chunk(i, &mut buf[..n]).unwrap();
        assert_same(&buf[..n], &model[range.clone()]);
        assert_eq!(
            ch.is_chunk_lazy(i),
            uniform(&model[range]),
            "lazy state of chunk {i}"
        );
        total += ch.chunk_compressed_bytes(i).unwrap();
    }
    assert_eq!(total, ch.compressed_bytes());
}
