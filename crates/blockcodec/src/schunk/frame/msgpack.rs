//! A small MessagePack reader and writer (<https://msgpack.org>), just what frames need: the
//! fixed header and trailer markers (blosc-format.md §6.2–6.5), the `b2nd` metalayer (§6.3) and
//! the msgpack-packed values python-blosc2 stores in metalayers and vlmetalayers.
//!
//! All multi-byte integers are big-endian. The decoder never allocates more than the input it was
//! given could describe (every element takes at least one input byte) and bounds nesting.

use crate::error::{Error, Result};

/// Deepest nesting [`MsgValue::from_msgpack`] accepts.
const MAX_DEPTH: usize = 64;
/// Most elements reserved up front for a container (more are added as they decode).
const PREALLOC: usize = 256;

/// A decoded MessagePack value.
///
/// Integers that fit an `i64` decode to [`MsgValue::Int`] whatever their wire width; larger
/// unsigned ones to [`MsgValue::UInt`]. Floats of either width decode to [`MsgValue::Float`].
#[derive(Clone, Debug, PartialEq)]
pub enum MsgValue {
    /// `nil` (Python `None`).
    Nil,
    /// `true` / `false`.
    Bool(bool),
    /// An integer in `i64` range.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A float32 or float64.
    Float(f64),
    /// A UTF-8 string.
    Str(String),
    /// A byte string (Python `bytes`).
    Bin(Vec<u8>),
    /// An array (Python `list`/`tuple`).
    Array(Vec<MsgValue>),
    /// A map, in wire order (Python `dict`).
    Map(Vec<(MsgValue, MsgValue)>),
    /// An extension value: type and payload.
    Ext(i8, Vec<u8>),
}

impl MsgValue {
    /// Decodes one value that must span all of `bytes`.
    ///
    /// # Errors
    /// `InvalidData` for truncated or malformed input, trailing bytes, non-UTF-8 strings, the
    /// reserved marker `0xC1` or nesting deeper than 64 levels.
    pub fn from_msgpack(bytes: &[u8]) -> Result<MsgValue> {
        let mut r = Reader::new(bytes);
        let v = r.value(0)?;
        if r.remaining() != 0 {
            return Err(Error::invalid(format!(
                "msgpack: {} trailing bytes after the value",
                r.remaining()
            )));
        }
        Ok(v)
    }

    /// Encodes the value the way Python's `msgpack.packb(v, use_bin_type=True)` does: the
    /// smallest integer form (unsigned forms for non-negative values), float64 for floats.
    ///
    /// # Errors
    /// `InvalidParam` for a string, byte string, array or map with more than `u32::MAX`
    /// elements.
    pub fn to_msgpack(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write(&mut out)?;
        Ok(out)
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            MsgValue::Nil => out.push(0xC0),
            MsgValue::Bool(b) => out.push(if *b { 0xC3 } else { 0xC2 }),
            MsgValue::Int(v) => write_int(out, *v),
            MsgValue::UInt(v) => write_uint(out, *v),
            MsgValue::Float(f) => {
                out.push(0xCB);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
            MsgValue::Str(s) => {
                let n = len_u32(s.len())?;
                match n {
                    0..=31 => out.push(0xA0 | n as u8),
                    32..=0xFF => out.extend_from_slice(&[0xD9, n as u8]),
                    0x100..=0xFFFF => {
                        out.push(0xDA);
                        out.extend_from_slice(&(n as u16).to_be_bytes());
                    }
                    _ => {
                        out.push(0xDB);
                        out.extend_from_slice(&n.to_be_bytes());
                    }
                }
                out.extend_from_slice(s.as_bytes());
            }
            MsgValue::Bin(b) => {
                write_bin_header(out, b.len())?;
                out.extend_from_slice(b);
            }
            MsgValue::Array(items) => {
                let n = len_u32(items.len())?;
                write_container_header(out, n, 0x90, 0xDC, 0xDD);
                for item in items {
                    item.write(out)?;
                }
            }
            MsgValue::Map(entries) => {
                let n = len_u32(entries.len())?;
                write_container_header(out, n, 0x80, 0xDE, 0xDF);
                for (k, v) in entries {
                    k.write(out)?;
                    v.write(out)?;
                }
            }
            MsgValue::Ext(ty, data) => {
                let n = len_u32(data.len())?;
                let fixed = match n {
                    1 => Some(0xD4),
                    2 => Some(0xD5),
                    4 => Some(0xD6),
                    8 => Some(0xD7),
                    16 => Some(0xD8),
                    _ => None,
                };
                match fixed {
                    Some(m) => out.push(m),
                    None if n <= 0xFF => out.extend_from_slice(&[0xC7, n as u8]),
                    None if n <= 0xFFFF => {
                        out.push(0xC8);
                        out.extend_from_slice(&(n as u16).to_be_bytes());
                    }
                    None => {
                        out.push(0xC9);
                        out.extend_from_slice(&n.to_be_bytes());
                    }
                }
                out.push(*ty as u8);
                out.extend_from_slice(data);
            }
        }
        Ok(())
    }

    /// The value as an `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            MsgValue::Int(v) => Some(v),
            _ => None,
        }
    }

    /// The string, if the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MsgValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if the value is an array.
    pub fn as_array(&self) -> Option<&[MsgValue]> {
        match self {
            MsgValue::Array(a) => Some(a),
            _ => None,
        }
    }
}

fn len_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::param(format!("msgpack: {n} elements is too many")))
}

fn write_container_header(out: &mut Vec<u8>, n: u32, fix: u8, m16: u8, m32: u8) {
    match n {
        0..=15 => out.push(fix | n as u8),
        16..=0xFFFF => {
            out.push(m16);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            out.push(m32);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn write_uint(out: &mut Vec<u8>, v: u64) {
    match v {
        0..=0x7F => out.push(v as u8),
        0x80..=0xFF => out.extend_from_slice(&[0xCC, v as u8]),
        0x100..=0xFFFF => {
            out.push(0xCD);
            out.extend_from_slice(&(v as u16).to_be_bytes());
        }
        0x1_0000..=0xFFFF_FFFF => {
            out.push(0xCE);
            out.extend_from_slice(&(v as u32).to_be_bytes());
        }
        _ => {
            out.push(0xCF);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

fn write_int(out: &mut Vec<u8>, v: i64) {
    if let Ok(u) = u64::try_from(v) {
        return write_uint(out, u);
    }
    match v {
        -32..=-1 => out.push(v as u8),
        -0x80..=-33 => out.extend_from_slice(&[0xD0, v as u8]),
        -0x8000..=-0x81 => {
            out.push(0xD1);
            out.extend_from_slice(&(v as i16).to_be_bytes());
        }
        -0x8000_0000..=-0x8001 => {
            out.push(0xD2);
            out.extend_from_slice(&(v as i32).to_be_bytes());
        }
        _ => {
            out.push(0xD3);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

/// Writes a `bin` header (bin8/16/32) for `n` bytes of payload.
fn write_bin_header(out: &mut Vec<u8>, n: usize) -> Result<()> {
    let n = len_u32(n)?;
    match n {
        0..=0xFF => out.extend_from_slice(&[0xC4, n as u8]),
        0x100..=0xFFFF => {
            out.push(0xC5);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            out.push(0xC6);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
    Ok(())
}

/// A bounds-checked cursor over untrusted bytes. Every read returns `InvalidData` naming `what`
/// when the input ends early; nothing here can panic.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// A reader positioned at `pos` (which may be past the end: the next read then fails).
    pub(crate) fn at(buf: &'a [u8], pos: usize) -> Self {
        Reader { buf, pos }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{what}: needs {n} bytes at offset {}, only {} left",
                    self.pos,
                    self.remaining()
                ))
            })?;
        let s = self.buf.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn be_u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn be_u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn be_i32(&mut self, what: &str) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn be_u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// Reads one byte and checks it is the msgpack `marker` expected there.
    pub(crate) fn expect(&mut self, marker: u8, what: &str) -> Result<()> {
        let at = self.pos;
        let b = self.u8(what)?;
        if b != marker {
            return Err(Error::invalid(format!(
                "{what}: expected msgpack marker {marker:#04x} at offset {at}, found {b:#04x}"
            )));
        }
        Ok(())
    }

    /// Reads a `fixstr` (`0xA0 | len`, at most 31 bytes) holding UTF-8.
    pub(crate) fn fixstr(&mut self, what: &str) -> Result<&'a str> {
        let at = self.pos;
        let m = self.u8(what)?;
        if m & 0xE0 != 0xA0 {
            return Err(Error::invalid(format!(
                "{what}: expected a fixstr at offset {at}, found marker {m:#04x}"
            )));
        }
        let bytes = self.take(usize::from(m & 0x1F), what)?;
        std::str::from_utf8(bytes).map_err(|_| Error::invalid(format!("{what}: not UTF-8")))
    }

    fn len_prefixed(&mut self, n: usize, what: &str) -> Result<usize> {
        match n {
            1 => Ok(usize::from(self.u8(what)?)),
            2 => Ok(usize::from(self.be_u16(what)?)),
            _ => usize::try_from(self.be_u32(what)?)
                .map_err(|_| Error::invalid(format!("{what}: length overflows"))),
        }
    }

    /// Decodes one complete value.
    pub(crate) fn value(&mut self, depth: usize) -> Result<MsgValue> {
        const W: &str = "msgpack value";
        if depth > MAX_DEPTH {
            return Err(Error::invalid("msgpack: nesting too deep"));
        }
        let at = self.pos;
        let m = self.u8(W)?;
        Ok(match m {
            0x00..=0x7F => MsgValue::Int(i64::from(m)),
            0x80..=0x8F => self.map(usize::from(m & 0x0F), depth)?,
            0x90..=0x9F => self.seq(usize::from(m & 0x0F), depth)?,
            0xA0..=0xBF => self.string(usize::from(m & 0x1F))?,
            0xC0 => MsgValue::Nil,
            0xC2 => MsgValue::Bool(false),
            0xC3 => MsgValue::Bool(true),
            0xC4..=0xC6 => {
                let n = self.len_prefixed(1 << (m - 0xC4), W)?;
                MsgValue::Bin(self.take(n, W)?.to_vec())
            }
            0xC7..=0xC9 => {
                let n = self.len_prefixed(1 << (m - 0xC7), W)?;
                let ty = self.u8(W)? as i8;
                MsgValue::Ext(ty, self.take(n, W)?.to_vec())
            }
            0xCA => MsgValue::Float(f64::from(f32::from_bits(self.be_u32(W)?))),
            0xCB => MsgValue::Float(f64::from_bits(self.be_u64(W)?)),
            0xCC => MsgValue::Int(i64::from(self.u8(W)?)),
            0xCD => MsgValue::Int(i64::from(self.be_u16(W)?)),
            0xCE => MsgValue::Int(i64::from(self.be_u32(W)?)),
            0xCF => {
                let v = self.be_u64(W)?;
                i64::try_from(v).map_or(MsgValue::UInt(v), MsgValue::Int)
            }
            0xD0 => MsgValue::Int(i64::from(self.u8(W)? as i8)),
            0xD1 => MsgValue::Int(i64::from(self.be_u16(W)? as i16)),
            0xD2 => MsgValue::Int(i64::from(self.be_i32(W)?)),
            0xD3 => MsgValue::Int(self.be_u64(W)? as i64),
            0xD4..=0xD8 => {
                let n = 1usize << (m - 0xD4);
                let ty = self.u8(W)? as i8;
                MsgValue::Ext(ty, self.take(n, W)?.to_vec())
            }
            0xD9..=0xDB => {
                let n = self.len_prefixed(1 << (m - 0xD9), W)?;
                self.string(n)?
            }
            0xDC | 0xDD => {
                let n = self.len_prefixed(if m == 0xDC { 2 } else { 4 }, W)?;
                self.seq(n, depth)?
            }
            0xDE | 0xDF => {
                let n = self.len_prefixed(if m == 0xDE { 2 } else { 4 }, W)?;
                self.map(n, depth)?
            }
            0xE0..=0xFF => MsgValue::Int(i64::from(m as i8)),
            0xC1 => {
                return Err(Error::invalid(format!(
                    "msgpack: reserved marker 0xc1 at offset {at}"
                )));
            }
        })
    }

    fn string(&mut self, n: usize) -> Result<MsgValue> {
        let bytes = self.take(n, "msgpack string")?;
        let s = std::str::from_utf8(bytes)
            .map_err(|_| Error::invalid("msgpack: string is not UTF-8"))?;
        Ok(MsgValue::Str(s.to_owned()))
    }

    fn check_count(&self, n: usize, per_item: usize) -> Result<()> {
        // Every element takes at least one byte: a count the input cannot hold is refused
        // before anything is allocated for it.
        if n.saturating_mul(per_item) > self.remaining() {
            return Err(Error::invalid(format!(
                "msgpack: {n} elements cannot fit in the {} bytes left",
                self.remaining()
            )));
        }
        Ok(())
    }

    fn seq(&mut self, n: usize, depth: usize) -> Result<MsgValue> {
        self.check_count(n, 1)?;
        // Capacity grows with what is actually decoded, so nested containers that all claim
        // the whole input cannot multiply the allocation by the nesting depth.
        let mut items = Vec::with_capacity(n.min(PREALLOC));
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(MsgValue::Array(items))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<MsgValue> {
        self.check_count(n, 2)?;
        let mut entries = Vec::with_capacity(n.min(PREALLOC));
        for _ in 0..n {
            let k = self.value(depth + 1)?;
            let v = self.value(depth + 1)?;
            entries.push((k, v));
        }
        Ok(MsgValue::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(v: MsgValue, bytes: &[u8]) {
        assert_eq!(v.to_msgpack().unwrap(), bytes, "{v:?}");
        assert_eq!(MsgValue::from_msgpack(bytes).unwrap(), v);
    }

    // Encodings as Python's msgpack 1.x produces them (checked with msgpack.packb).
    #[test]
    fn python_encodings() {
        rt(MsgValue::Int(0), &[0x00]);
        rt(MsgValue::Int(127), &[0x7F]);
        rt(MsgValue::Int(128), &[0xCC, 0x80]);
        rt(MsgValue::Int(65536), &[0xCE, 0, 1, 0, 0]);
        rt(MsgValue::Int(-1), &[0xFF]);
        rt(MsgValue::Int(-33), &[0xD0, 0xDF]);
        rt(MsgValue::Int(i64::MIN), &[0xD3, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        rt(
            MsgValue::UInt(u64::MAX),
            &[0xCF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        );
        rt(MsgValue::Str("bar".into()), b"\xa3bar");
        rt(MsgValue::Bin(vec![1, 2, 3]), &[0xC4, 3, 1, 2, 3]);
        rt(
            MsgValue::Array(vec![MsgValue::Nil, MsgValue::Bool(true)]),
            &[0x92, 0xC0, 0xC3],
        );
        rt(
            MsgValue::Map(vec![(MsgValue::Str("a".into()), MsgValue::Float(3.5))]),
            &[0x81, 0xA1, b'a', 0xCB, 0x40, 0x0C, 0, 0, 0, 0, 0, 0],
        );
        rt(
            MsgValue::Ext(0, vec![0; 16]),
            &[[0xD8, 0].as_slice(), &[0; 16]].concat(),
        );
        let long = "x".repeat(40);
        let mut enc = vec![0xD9, 40];
        enc.extend_from_slice(long.as_bytes());
        rt(MsgValue::Str(long), &enc);
        let many: Vec<MsgValue> = (0..20).map(MsgValue::Int).collect();
        let mut enc = vec![0xDC, 0, 20];
        enc.extend(0..20u8);
        rt(MsgValue::Array(many), &enc);
    }

    #[test]
    fn bad_inputs_are_errors() {
        for bad in [
            &[][..],
            &[0xC1],
            &[0xA3, b'a'],
            &[0xDC, 0xFF, 0xFF],
            &[0xDD, 0xFF, 0xFF, 0xFF, 0xFF, 0x00],
            &[0xDF, 0xFF, 0xFF, 0xFF, 0xFF],
            &[0xC6, 0xFF, 0xFF, 0xFF, 0xFF],
            &[0xA2, 0xFF, 0xFE],
            &[0x01, 0x02],
            &[0xCB, 0, 0],
        ] {
            assert!(MsgValue::from_msgpack(bad).is_err(), "{bad:?}");
        }
        let deep = vec![0x91u8; 100];
        assert!(MsgValue::from_msgpack(&deep).is_err());
    }
}
