//! The pixel element types a channel can hold.

use std::fmt::Debug;

use half::f16;

mod sealed {
    /// Keeps [`super::Element`] closed: the codec settings (typesize, shuffle) and the bitwise
    /// equality used for lazy chunks are only known to be right for the listed types.
    pub trait Sealed {}
}

/// A pixel element: `u8`, `i8`, `u16`, `i16`, `u32`, `i32`, [`half::f16`], `f32` or `f64`.
///
/// Elements are plain old data ([`bytemuck::Pod`]), so a `&[T]` is viewed as bytes without
/// copying. Compressed chunks hold the bytes in native byte order: they live in memory only and
/// are never exchanged between machines.
pub trait Element:
    sealed::Sealed + bytemuck::Pod + PartialEq + Debug + Send + Sync + 'static
{
    /// Size of one element in bytes, the Blosc2 `typesize`.
    const TYPESIZE: usize = size_of::<Self>();
    /// Name of the type as NumPy spells it (`"uint8"`, `"float16"`, ...).
    const DTYPE: &'static str;

    /// The all-zero-bits value (`0` or `+0.0`).
    fn zero() -> Self {
        bytemuck::Zeroable::zeroed()
    }

    /// The elements as bytes (native byte order).
    fn as_bytes(values: &[Self]) -> &[u8] {
        bytemuck::cast_slice(values)
    }

    /// The elements as mutable bytes (native byte order).
    fn as_bytes_mut(values: &mut [Self]) -> &mut [u8] {
        bytemuck::cast_slice_mut(values)
    }

    /// Bitwise equality: unlike `==`, NaN equals the same NaN and `-0.0` differs from `+0.0`,
    /// which is what storing a value exactly requires.
    fn bits_eq(&self, other: &Self) -> bool {
        bytemuck::bytes_of(self) == bytemuck::bytes_of(other)
    }

    /// Whether the type is a float type (`f16`, `f32`, `f64`).
    const IS_FLOAT: bool;

    /// The value on the normalised scale used when converting between element types (as
    /// OpenImageIO does): unsigned integers map `0..=MAX` to `0.0..=1.0`, signed integers
    /// `-MAX..=MAX` to `-1.0..=1.0`; floats keep their value.
    fn to_normalized(self) -> f64;

    /// Inverse of [`Element::to_normalized`]: integers are scaled by `MAX`, rounded to nearest
    /// and clamped to their range (NaN becomes 0); floats are converted (rounded to nearest).
    fn from_normalized(v: f64) -> Self;
}

macro_rules! element_int {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: &'static str = $name;
            const IS_FLOAT: bool = false;
            fn to_normalized(self) -> f64 {
                (f64::from(self) / f64::from(<$t>::MAX)).max(-1.0)
            }
            fn from_normalized(v: f64) -> Self {
                // `as` saturates and maps NaN to 0.
                (v * f64::from(<$t>::MAX)).round() as $t
            }
        }
    )*};
}

element_int! {
    u8 => "uint8", i8 => "int8", u16 => "uint16", i16 => "int16", u32 => "uint32",
    i32 => "int32",
}

impl sealed::Sealed for f16 {}
impl Element for f16 {
    const DTYPE: &'static str = "float16";
    const IS_FLOAT: bool = true;
    fn to_normalized(self) -> f64 {
        self.to_f64()
    }
    fn from_normalized(v: f64) -> Self {
        f16::from_f64(v)
    }
}

impl sealed::Sealed for f32 {}
impl Element for f32 {
    const DTYPE: &'static str = "float32";
    const IS_FLOAT: bool = true;
    fn to_normalized(self) -> f64 {
        f64::from(self)
    }
    fn from_normalized(v: f64) -> Self {
        v as f32
    }
}

impl sealed::Sealed for f64 {}
impl Element for f64 {
    const DTYPE: &'static str = "float64";
    const IS_FLOAT: bool = true;
    fn to_normalized(self) -> f64 {
        self
    }
    fn from_normalized(v: f64) -> Self {
        v
    }
}

/// Converts `src` into `dst` (same length): a bitwise copy when `S` and `T` are the same
/// type, else through [`Element::to_normalized`] / [`Element::from_normalized`].
#[cfg_attr(not(any(feature = "exr", feature = "image")), allow(dead_code))]
pub(crate) fn convert_slice<S: Element, T: Element>(src: &[S], dst: &mut [T]) {
    if S::DTYPE == T::DTYPE {
        T::as_bytes_mut(dst).copy_from_slice(S::as_bytes(src));
        return;
    }
    for (d, s) in dst.iter_mut().zip(src) {
        *d = T::from_normalized(s.to_normalized());
    }
}

/// The value every element of `values` has, compared bitwise; `None` if they differ or the
/// slice is empty.
pub(crate) fn uniform_value<T: Element>(values: &[T]) -> Option<T> {
    let first = *values.first()?;
    let bytes = T::as_bytes(values);
    // Every element equals its predecessor iff the bytes equal themselves shifted by one
    // element: a single memcmp instead of a per-element loop.
    let (head, tail) = (&bytes[..bytes.len() - T::TYPESIZE], &bytes[T::TYPESIZE..]);
    (head == tail).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_bitwise() {
        assert_eq!(uniform_value::<f32>(&[]), None);
        assert_eq!(uniform_value(&[3u16]), Some(3));
        assert_eq!(uniform_value(&[7u8; 100]), Some(7));
        assert_eq!(uniform_value(&[1u32, 1, 2, 1]), None);
        assert_eq!(uniform_value(&[1u32, 1, 1, 2]), None);
        // -0.0 == 0.0 numerically, but a chunk mixing them must not collapse to one value.
        assert_eq!(uniform_value(&[0.0f32, -0.0]), None);
        let nan = uniform_value(&[f64::NAN; 4]).map(f64::to_bits);
        assert_eq!(nan, Some(f64::NAN.to_bits()));
        // A byte pattern that repeats with a period shorter than the element is not uniform.
        assert_eq!(uniform_value(&[0x0101u16, 0x0101, 0x0102]), None);
    }

    #[test]
    fn conversions() {
        let mut out = [0u16; 3];
        convert_slice(&[0u8, 128, 255], &mut out);
        assert_eq!(out, [0, 128 * 257, 65535]);
        let mut out = [0u8; 5];
        convert_slice(&[-1.0f32, 0.5, 2.0, f32::NAN, 0.2], &mut out);
        assert_eq!(out, [0, 128, 255, 0, 51]);
        let mut out = [0i8; 2];
        convert_slice(&[-1.0f64, 1.0], &mut out);
        assert_eq!(out, [-127, 127]);
        assert_eq!(i16::MIN.to_normalized(), -1.0);
        let mut out = [f16::ZERO; 2];
        convert_slice(&[1.5f32, 65504.0], &mut out);
        assert_eq!(out, [f16::from_f32(1.5), f16::MAX]);
        // Same type: bitwise, NaN payloads kept.
        let nan = f32::from_bits(0x7FC0_1234);
        let mut out = [0.0f32];
        convert_slice(&[nan], &mut out);
        assert_eq!(out[0].to_bits(), 0x7FC0_1234);
    }

    #[test]
    fn typesizes() {
        assert_eq!(<u8 as Element>::TYPESIZE, 1);
        assert_eq!(<f16 as Element>::TYPESIZE, 2);
        assert_eq!(<i32 as Element>::TYPESIZE, 4);
        assert_eq!(<f64 as Element>::TYPESIZE, 8);
        assert_eq!(<f16 as Element>::DTYPE, "float16");
        assert!(f32::NAN.bits_eq(&f32::NAN));
        assert!(!0.0f32.bits_eq(&-0.0));
    }
}
