//! The nine element types, as NumPy dtypes, and a channel or image of any of them.

use compressed_image::half::f16;
use compressed_image::{Channel, Element};
use numpy::{PyArrayDescr, PyArrayDescrMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// An element type a channel can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F16,
    F32,
    F64,
}

/// Runs `$body` with `$T` bound to the Rust type of `$dtype`.
macro_rules! with_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::dtype::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::dtype::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::dtype::DType::U16 => {
                type $T = u16;
                $body
            }
            $crate::dtype::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::dtype::DType::U32 => {
                type $T = u32;
                $body
            }
            $crate::dtype::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::dtype::DType::F16 => {
                type $T = compressed_image::half::f16;
                $body
            }
            $crate::dtype::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}
pub(crate) use with_dtype;

/// Runs `$body` with `$c` bound to the typed channel inside an [`AnyChannel`] (by reference
/// when `$any` is a reference).
macro_rules! dispatch {
    ($any:expr, $c:ident => $body:expr) => {
        match $any {
            $crate::dtype::AnyChannel::U8($c) => $body,
            $crate::dtype::AnyChannel::I8($c) => $body,
            $crate::dtype::AnyChannel::U16($c) => $body,
            $crate::dtype::AnyChannel::I16($c) => $body,
            $crate::dtype::AnyChannel::U32($c) => $body,
            $crate::dtype::AnyChannel::I32($c) => $body,
            $crate::dtype::AnyChannel::F16($c) => $body,
            $crate::dtype::AnyChannel::F32($c) => $body,
            $crate::dtype::AnyChannel::F64($c) => $body,
        }
    };
}
pub(crate) use dispatch;

impl DType {
    pub(crate) const ALL: [DType; 9] = [
        DType::U8,
        DType::I8,
        DType::U16,
        DType::I16,
        DType::U32,
        DType::I32,
        DType::F16,
        DType::F32,
        DType::F64,
    ];

    /// NumPy's name for the type (`"float32"`).
    pub(crate) fn name(self) -> &'static str {
        with_dtype!(self, T => <T as Element>::DTYPE)
    }

    /// Bytes per element.
    pub(crate) fn itemsize(self) -> usize {
        with_dtype!(self, T => <T as Element>::TYPESIZE)
    }

    /// The type NumPy calls `name` (`"float32"`), if it is one of the nine.
    pub(crate) fn from_name(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The NumPy dtype object (native byte order).
    pub(crate) fn descr(self, py: Python<'_>) -> Bound<'_, PyArrayDescr> {
        with_dtype!(self, T => numpy::dtype::<T>(py))
    }

    /// The element type of a NumPy dtype, if it is one of the nine (native byte order only).
    pub(crate) fn from_descr(descr: &Bound<'_, PyArrayDescr>) -> Option<DType> {
        let py = descr.py();
        DType::ALL
            .into_iter()
            .find(|d| d.descr(py).is_equiv_to(descr))
    }

    /// Parses anything `numpy.dtype()` accepts (`np.float32`, `"uint16"`, a dtype object).
    ///
    /// # Errors
    /// `ValueError` for a dtype that is not one of the nine, or not a dtype at all.
    pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<DType> {
        let descr = PyArrayDescr::new(obj.py(), obj).map_err(|e| {
            let err = PyValueError::new_err(format!(
                "{} is not a dtype; supported: {}",
                repr(obj),
                supported()
            ));
            err.set_cause(obj.py(), Some(e));
            err
        })?;
        DType::from_descr(&descr).ok_or_else(|| unsupported(&descr))
    }
}

/// `ValueError` for an array or dtype of an element type channels cannot hold.
pub(crate) fn unsupported(descr: &Bound<'_, PyArrayDescr>) -> PyErr {
    PyValueError::new_err(format!(
        "unsupported dtype {}; supported: {} (native byte order)",
        repr(descr.as_any()),
        supported()
    ))
}

fn supported() -> String {
    DType::ALL.map(DType::name).join(", ")
}

/// `repr(obj)`, or a placeholder if `__repr__` fails.
pub(crate) fn repr(obj: &Bound<'_, PyAny>) -> String {
    obj.repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "<object>".to_owned())
}

/// A channel of any of the nine element types.
#[derive(Clone, Debug)]
pub(crate) enum AnyChannel {
    U8(Channel<u8>),
    I8(Channel<i8>),
    U16(Channel<u16>),
    I16(Channel<i16>),
    U32(Channel<u32>),
    I32(Channel<i32>),
    F16(Channel<f16>),
    F32(Channel<f32>),
    F64(Channel<f64>),
}

/// The element types the bindings handle: the crate's [`Element`]s that NumPy knows, tied to
/// their [`DType`] and [`AnyChannel`] variant.
pub(crate) trait Elem: Element + numpy::Element + Copy + Send + Sync {
    const KIND: DType;
    /// Wraps a typed channel.
    fn wrap(channel: Channel<Self>) -> AnyChannel;
    /// The typed channel, if `any` holds this type.
    fn channel(any: &AnyChannel) -> Option<&Channel<Self>>;
    /// The typed channel, mutably, if `any` holds this type.
    fn channel_mut(any: &mut AnyChannel) -> Option<&mut Channel<Self>>;
    /// Converts a Python number to the element type: integers must fit exactly, floats are
    /// rounded to the nearest value of the type.
    fn from_py(value: &Bound<'_, PyAny>) -> PyResult<Self>;
}

macro_rules! elem {
    ($($t:ty => $variant:ident, $from_py:expr),* $(,)?) => {$(
        impl Elem for $t {
            const KIND: DType = DType::$variant;
            fn wrap(channel: Channel<Self>) -> AnyChannel {
                AnyChannel::$variant(channel)
            }
            fn channel(any: &AnyChannel) -> Option<&Channel<Self>> {
                match any {
                    AnyChannel::$variant(c) => Some(c),
                    _ => None,
                }
            }
            fn channel_mut(any: &mut AnyChannel) -> Option<&mut Channel<Self>> {
                match any {
                    AnyChannel::$variant(c) => Some(c),
                    _ => None,
                }
            }
            fn from_py(value: &Bound<'_, PyAny>) -> PyResult<Self> {
                $from_py(value)
            }
        }
    )*};
}

/// Integers must fit the element type exactly.
fn int_from_py<T: Element + TryFrom<i128>>(value: &Bound<'_, PyAny>) -> PyResult<T> {
    let v: i128 = value.extract()?;
    T::try_from(v).map_err(|_| {
        PyValueError::new_err(format!("fill value {v} is out of range for {}", T::DTYPE))
    })
}

/// Floats are rounded to the nearest value of the type.
fn float_from_py<T>(value: &Bound<'_, PyAny>, from: fn(f64) -> T) -> PyResult<T> {
    Ok(from(value.extract()?))
}

// `as` rounds to the nearest f32 (overflowing to ±inf), as NumPy's casts do.
#[allow(clippy::cast_possible_truncation)]
fn f64_to_f32(v: f64) -> f32 {
    v as f32
}

elem! {
    u8 => U8, int_from_py,
    i8 => I8, int_from_py,
    u16 => U16, int_from_py,
    i16 => I16, int_from_py,
    u32 => U32, int_from_py,
    i32 => I32, int_from_py,
    f16 => F16, |v| float_from_py(v, f16::from_f64),
    f32 => F32, |v| float_from_py(v, f64_to_f32),
    f64 => F64, |v| float_from_py(v, std::convert::identity),
}

impl AnyChannel {
    /// The element type.
    pub(crate) fn dtype(&self) -> DType {
        dispatch!(self, c => dtype_of(c))
    }
}

fn dtype_of<T: Elem>(_: &Channel<T>) -> DType {
    T::KIND
}
