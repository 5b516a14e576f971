//! The frame header (blosc-format.md §6.2): a fixed 87-byte msgpack array, then the metalayers
//! section (§6.3). All integers are big-endian.

use super::msgpack::Reader;
use crate::error::{Error, Result};

/// Length of the fixed part of the header (`FRAME_HEADER_MINLEN`).
pub(crate) const FIXED_LEN: usize = 87;
/// Magic at bytes 2..10 (inside a fixstr(8) at byte 1).
pub(crate) const MAGIC: &[u8; 8] = b"b2frame\0";
/// Frame format version for fixed-size chunks (`BLOSC2_VERSION_FRAME_FORMAT_RC1`).
pub(crate) const VERSION_FIXED: u8 = 2;
/// Frame format version for variable-size chunks or VL blocks; readers reject anything newer.
pub(crate) const VERSION_VARIABLE: u8 = 3;
/// General flags: 64-bit offsets, the only width that exists (bits 4–5 = 1).
pub(crate) const FLAG_OFFSETS_64: u8 = 0x10;
/// General flags bit 6: variable-size chunks (chunksize 0).
pub(crate) const FLAG_VARIABLE_CHUNKS: u8 = 0x40;
/// General flags bit 7: variable-length-block chunks.
pub(crate) const FLAG_VL_BLOCKS: u8 = 0x80;
/// Frame type byte 26: contiguous frame.
pub(crate) const TYPE_CONTIGUOUS: u8 = 0;
/// Frame type byte 26: sparse frame (directory).
pub(crate) const TYPE_SPARSE: u8 = 1;
/// Most metalayers a frame holds (`BLOSC2_MAX_METALAYERS`).
pub(crate) const MAX_METALAYERS: usize = 16;
/// Longest metalayer / vlmetalayer name (`BLOSC2_METALAYER_NAME_MAXLEN`; fixstr).
pub(crate) const MAX_NAME_LEN: usize = 31;
/// Number of filter slots a frame header stores.
const NFILTERS: usize = 6;

/// The fixed 87-byte header, with its markers checked and raw field values kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FixedHeader {
    pub(crate) header_len: usize,
    pub(crate) frame_len: u64,
    pub(crate) general_flags: u8,
    pub(crate) frame_type: u8,
    pub(crate) codec_flags: u8,
    pub(crate) other_flags: u8,
    pub(crate) nbytes: i64,
    pub(crate) cbytes: i64,
    pub(crate) typesize: i32,
    pub(crate) blocksize: i32,
    pub(crate) chunksize: i32,
    pub(crate) cthreads: i16,
    pub(crate) dthreads: i16,
    pub(crate) has_vlmeta: bool,
    pub(crate) filters: [u8; NFILTERS],
    pub(crate) udcodec: u8,
    pub(crate) compcode_meta: u8,
    pub(crate) filters_meta: [u8; NFILTERS],
    pub(crate) other_flags2: u8,
}

impl FixedHeader {
    /// API codec id: the codec nibble, or byte 77 when the nibble says "user codec" (6).
    pub(crate) fn codec_id(&self) -> u8 {
        match self.codec_flags & 0x0F {
            6 => self.udcodec,
            c => c,
        }
    }

    pub(crate) fn clevel(&self) -> u8 {
        self.codec_flags >> 4
    }

    /// C-Blosc2 split-mode value 1..=4.
    pub(crate) fn splitmode(&self) -> u8 {
        (self.other_flags & 0x03) + 1
    }

    /// Parses and checks the fixed header; `buf` holds at least its 87 bytes.
    ///
    /// Checks: array and magic markers, every fixed msgpack marker, frame version ≤ 3 and
    /// 64-bit offsets (`Unsupported` otherwise), `header_len ≥ 87`, `header_len ≤ frame_len`,
    /// typesize > 0 and at most six filter slots (§9.3).
    pub(crate) fn parse(buf: &[u8]) -> Result<FixedHeader> {
        if buf.len() < FIXED_LEN {
            return Err(Error::invalid(format!(
                "frame of {} bytes is shorter than the {FIXED_LEN}-byte header",
                buf.len()
            )));
        }
        let mut r = Reader::new(buf);
        r.expect(0x9E, "frame header array")?;
        r.expect(0xA8, "frame magic")?;
        if r.take(8, "frame magic")? != MAGIC {
            return Err(Error::invalid("not a Blosc2 frame (bad magic)"));
        }
        r.expect(0xD2, "frame header_len")?;
        let header_len = r.be_i32("frame header_len")?;
        r.expect(0xCF, "frame frame_len")?;
        let frame_len = r.be_u64("frame frame_len")?;
        r.expect(0xA4, "frame flags")?;
        let general_flags = r.u8("frame flags")?;
        let frame_type = r.u8("frame type")?;
        let codec_flags = r.u8("frame codec flags")?;
        let other_flags = r.u8("frame other flags")?;
        r.expect(0xD3, "frame nbytes")?;
        let nbytes = r.be_u64("frame nbytes")? as i64;
        r.expect(0xD3, "frame cbytes")?;
        let cbytes = r.be_u64("frame cbytes")? as i64;
        r.expect(0xD2, "frame typesize")?;
        let typesize = r.be_i32("frame typesize")?;
        r.expect(0xD2, "frame blocksize")?;
        let blocksize = r.be_i32("frame blocksize")?;
        r.expect(0xD2, "frame chunksize")?;
        let chunksize = r.be_i32("frame chunksize")?;
        r.expect(0xD1, "frame compression threads")?;
        let cthreads = r.be_u16("frame compression threads")? as i16;
        r.expect(0xD1, "frame decompression threads")?;
        let dthreads = r.be_u16("frame decompression threads")? as i16;
        let has_vlmeta = match r.u8("frame vlmeta flag")? {
            0xC2 => false,
            0xC3 => true,
            m => {
                return Err(Error::invalid(format!(
                    "frame vlmeta flag: expected msgpack true/false, found {m:#04x}"
                )));
            }
        };
        // §10 item 9: the marker is fixext16 (0xD8); the README's 0xD2 is wrong.
        r.expect(0xD8, "frame filter pipeline")?;
        let nfilters = usize::from(r.u8("frame filter count")?);
        let slots = r.take(16, "frame filter pipeline")?;
        let mut filters = [0u8; NFILTERS];
        let mut filters_meta = [0u8; NFILTERS];
        filters.copy_from_slice(slots.get(..NFILTERS).unwrap_or(&[0; NFILTERS]));
        filters_meta.copy_from_slice(slots.get(8..8 + NFILTERS).unwrap_or(&[0; NFILTERS]));
        let udcodec = slots.get(6).copied().unwrap_or(0);
        let compcode_meta = slots.get(7).copied().unwrap_or(0);
        let other_flags2 = slots.get(14).copied().unwrap_or(0);

        if nfilters > NFILTERS {
            return Err(Error::invalid(format!(
                "frame header declares {nfilters} filter slots, at most {NFILTERS} exist"
            )));
        }
        // Slots beyond the declared count are not part of the pipeline.
        filters[nfilters..].fill(0);
        filters_meta[nfilters..].fill(0);
        let version = general_flags & 0x0F;
        if version > VERSION_VARIABLE {
            return Err(Error::unsupported(format!(
                "frame format version {version} (this reader knows up to {VERSION_VARIABLE})"
            )));
        }
        if general_flags & 0x30 != FLAG_OFFSETS_64 {
            return Err(Error::unsupported(format!(
                "frame offset width code {} (only 64-bit offsets exist)",
                (general_flags >> 4) & 0x03
            )));
        }
        let header_len = usize::try_from(header_len)
            .ok()
            .filter(|&h| h >= FIXED_LEN)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "frame header_len {header_len} is below the {FIXED_LEN}-byte minimum"
                ))
            })?;
        if header_len as u64 > frame_len {
            return Err(Error::invalid(format!(
                "frame header_len {header_len} exceeds frame_len {frame_len}"
            )));
        }
        if typesize <= 0 {
            return Err(Error::invalid(format!(
                "frame typesize {typesize} is not positive"
            )));
        }
        Ok(FixedHeader {
            header_len,
            frame_len,
            general_flags,
            frame_type,
            codec_flags,
            other_flags,
            nbytes,
            cbytes,
            typesize,
            blocksize,
            chunksize,
            cthreads,
            dthreads,
            has_vlmeta,
            filters,
            udcodec,
            compcode_meta,
            filters_meta,
            other_flags2,
        })
    }

    /// Writes the 87 fixed bytes.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.push(0x9E);
        out.push(0xA8);
        out.extend_from_slice(MAGIC);
        out.push(0xD2);
        out.extend_from_slice(&(self.header_len as i32).to_be_bytes());
        out.push(0xCF);
        out.extend_from_slice(&self.frame_len.to_be_bytes());
        out.push(0xA4);
        out.extend_from_slice(&[
            self.general_flags,
            self.frame_type,
            self.codec_flags,
            self.other_flags,
        ]);
        out.push(0xD3);
        out.extend_from_slice(&self.nbytes.to_be_bytes());
        out.push(0xD3);
        out.extend_from_slice(&self.cbytes.to_be_bytes());
        for v in [self.typesize, self.blocksize, self.chunksize] {
            out.push(0xD2);
            out.extend_from_slice(&v.to_be_bytes());
        }
        for v in [self.cthreads, self.dthreads] {
            out.push(0xD1);
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.push(if self.has_vlmeta { 0xC3 } else { 0xC2 });
        out.push(0xD8);
        out.push(NFILTERS as u8);
        let mut slots = [0u8; 16];
        slots[..NFILTERS].copy_from_slice(&self.filters);
        slots[6] = self.udcodec;
        slots[7] = self.compcode_meta;
        slots[8..8 + NFILTERS].copy_from_slice(&self.filters_meta);
        slots[14] = self.other_flags2;
        out.extend_from_slice(&slots);
    }
}

/// A named metalayer as stored: name and raw content.
pub(crate) type Layer = (String, Vec<u8>);

/// Parses a metalayer section (§6.3, and the trailer's vlmetalayers, §6.5) starting at `start`
/// in `buf` (the `0x93` byte). Entry offsets are relative to `base` (0 for the header, the
/// trailer start for the trailer) and every content must end at or before `limit`.
pub(crate) fn parse_layers(
    buf: &[u8],
    start: usize,
    base: usize,
    limit: usize,
    max: usize,
    what: &str,
) -> Result<Vec<Layer>> {
    let mut r = Reader::at(buf, start);
    r.expect(0x93, what)?;
    r.expect(0xCD, what)?;
    // idx_size is informational (the map is parsed entry by entry).
    let _idx_size = r.be_u16(what)?;
    r.expect(0xDE, what)?;
    // The count is a u16 on the wire: a 0xFFFF count is 65535, refused against `max`.
    let n = usize::from(r.be_u16(what)?);
    if n > max {
        return Err(Error::invalid(format!(
            "{what}: {n} entries, at most {max} are allowed"
        )));
    }
    let mut names: Vec<(String, usize)> = Vec::with_capacity(n.min(r.remaining()));
    for _ in 0..n {
        let name = r.fixstr(what)?;
        r.expect(0xD2, what)?;
        let off = r.be_i32(what)?;
        let abs = usize::try_from(off)
            .ok()
            .and_then(|o| o.checked_add(base))
            .filter(|&a| a < limit)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{what}: content offset {off} of \"{name}\" is out of range"
                ))
            })?;
        if names.iter().any(|(m, _)| m == name) {
            return Err(Error::invalid(format!("{what}: duplicate name \"{name}\"")));
        }
        names.push((name.to_owned(), abs));
    }
    r.expect(0xDC, what)?;
    let m = usize::from(r.be_u16(what)?);
    if m != n {
        return Err(Error::invalid(format!(
            "{what}: {n} names but {m} contents"
        )));
    }
    let contents_start = r.pos();
    let mut out = Vec::with_capacity(n);
    for (name, abs) in names {
        if abs < contents_start {
            return Err(Error::invalid(format!(
                "{what}: content of \"{name}\" points into the index"
            )));
        }
        let mut c = Reader::at(buf, abs);
        c.expect(0xC6, what)?;
        let len = usize::try_from(c.be_u32(what)?)
            .map_err(|_| Error::invalid(format!("{what}: content length overflows")))?;
        let end = c
            .pos()
            .checked_add(len)
            .filter(|&e| e <= limit)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{what}: content of \"{name}\" ({len} bytes) runs past its section"
                ))
            })?;
        let content = buf.get(c.pos()..end).unwrap_or_default().to_vec();
        out.push((name, content));
    }
    Ok(out)
}

/// Writes a metalayer section. Entry offsets are `base + position in out`; the caller's `out`
/// must already hold everything from `base` on (so positions are relative to the same origin
/// the reader uses). `idx_from` is the position idx_size counts from: the `0x93` byte for the
/// header, the `0xCD` byte for the trailer (§10 item 9).
pub(crate) fn write_layers(out: &mut Vec<u8>, layers: &[Layer], origin: usize, trailer: bool) {
    let start = out.len();
    out.push(0x93);
    out.push(0xCD);
    let idx_at = out.len();
    out.extend_from_slice(&[0, 0]);
    out.push(0xDE);
    out.extend_from_slice(&(layers.len() as u16).to_be_bytes());
    let mut patch = Vec::with_capacity(layers.len());
    for (name, _) in layers {
        out.push(0xA0 | name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.push(0xD2);
        patch.push(out.len());
        out.extend_from_slice(&[0; 4]);
    }
    let idx_from = if trailer { start + 1 } else { start };
    let idx_size = (out.len() - idx_from) as u16;
    out[idx_at..idx_at + 2].copy_from_slice(&idx_size.to_be_bytes());
    out.push(0xDC);
    out.extend_from_slice(&(layers.len() as u16).to_be_bytes());
    for ((_, content), at) in layers.iter().zip(patch) {
        let off = (out.len() - origin) as i32;
        out[at..at + 4].copy_from_slice(&off.to_be_bytes());
        out.push(0xC6);
        out.extend_from_slice(&(content.len() as u32).to_be_bytes());
        out.extend_from_slice(content);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_roundtrip_and_python_bytes() {
        // The metalayer section python-blosc2 4.14.1 writes for meta={"m1": b"\x01\x02\x03",
        // "abc": 7}: header offsets are absolute, idx_size counts from the 0x93 byte.
        let mut out = vec![0u8; FIXED_LEN];
        let layers = vec![
            ("m1".to_string(), vec![0xC4, 3, 1, 2, 3]),
            ("abc".to_string(), vec![7]),
        ];
        write_layers(&mut out, &layers, 0, false);
        let want = "93cd0018de0002a26d31d200000072a3616263d20000007cdc0002c600000005c403010203\
                    c6000000010700";
        let want = &want[..want.len() - 2];
        let got: String = out[FIXED_LEN..]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, want);
        let back = parse_layers(&out, FIXED_LEN, 0, out.len(), 16, "metalayers").unwrap();
        assert_eq!(back, layers);
        assert!(parse_layers(&out, FIXED_LEN, 0, out.len(), 1, "metalayers").is_err());
        assert!(parse_layers(&out, FIXED_LEN, 0, out.len() - 1, 16, "metalayers").is_err());
    }
}
