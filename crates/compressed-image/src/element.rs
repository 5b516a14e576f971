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
}

macro_rules! element {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: &'static str = $name;
        }
    )*};
}

element! {
    u8 => "uint8", i8 => "int8", u16 => "uint16", i16 => "int16", u32 => "uint32",
    i32 => "int32", f16 => "float16", f32 => "float32", f64 => "float64",
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
