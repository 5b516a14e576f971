//! `FrameBuilder`: emits a contiguous frame field by field (blosc-format.md §6), independently of
//! the crate's own writer, so tests can build frames that are wrong in exactly one place.

#![allow(dead_code, clippy::unwrap_used)]

/// A 32-byte Blosc2 chunk header, little-endian fields (§2.1).
pub(crate) fn chunk_header(
    flags: u8,
    typesize: u8,
    nbytes: i32,
    blocksize: i32,
    cbytes: i32,
    b2flags: u8,
) -> Vec<u8> {
    let mut h = vec![5u8, 1, flags, typesize];
    h.extend_from_slice(&nbytes.to_le_bytes());
    h.extend_from_slice(&blocksize.to_le_bytes());
    h.extend_from_slice(&cbytes.to_le_bytes());
    h.extend_from_slice(&[0; 15]);
    h.push(b2flags);
    h
}

/// A memcpyed chunk holding `data` (flags 0x07, typesize `ts`).
pub(crate) fn memcpy_chunk(data: &[u8], ts: u8) -> Vec<u8> {
    let n = data.len() as i32;
    let mut c = chunk_header(0x07, ts, n, n.max(1), n + 32, 0);
    c.extend_from_slice(data);
    c
}

/// The offsets chunk for `offsets` (memcpyed, typesize 8).
pub(crate) fn offsets_chunk(offsets: &[i64]) -> Vec<u8> {
    let raw: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
    memcpy_chunk(&raw, 8)
}

pub(crate) const ZEROS: i64 = 0x8100_0000_0000_0000u64 as i64;
pub(crate) const NANS: i64 = 0x8200_0000_0000_0000u64 as i64;

/// Field-by-field frame description; `None` fields are computed from the rest.
#[derive(Clone, Debug)]
pub(crate) struct FrameBuilder {
    pub(crate) general_flags: u8,
    pub(crate) frame_type: u8,
    pub(crate) codec_flags: u8,
    pub(crate) other_flags: u8,
    pub(crate) nbytes: Option<i64>,
    pub(crate) cbytes: Option<i64>,
    pub(crate) typesize: i32,
    pub(crate) blocksize: i32,
    pub(crate) chunksize: i32,
    pub(crate) nfilters: u8,
    pub(crate) header_len: Option<i32>,
    pub(crate) frame_len: Option<u64>,
    /// Metalayers: raw name bytes and content.
    pub(crate) metalayers: Vec<(Vec<u8>, Vec<u8>)>,
    /// Overrides the metalayer count written in the map16/array16 headers.
    pub(crate) meta_count: Option<u16>,
    /// Overrides the content offset of metalayer 0.
    pub(crate) meta0_offset: Option<i32>,
    /// The chunk-data section, chunk by chunk.
    pub(crate) chunks: Vec<Vec<u8>>,
    /// Offsets; `None` = the chunks in order.
    pub(crate) offsets: Option<Vec<i64>>,
    /// Replaces the offsets chunk entirely.
    pub(crate) offsets_chunk: Option<Vec<u8>>,
    /// Omit the offsets chunk.
    pub(crate) no_offsets_chunk: bool,
    pub(crate) vlmeta: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) vlmeta_count: Option<u16>,
    pub(crate) trailer_len: Option<u32>,
    pub(crate) fingerprint_type: u8,
    /// Bytes appended after the frame (not counted in frame_len).
    pub(crate) trailing: Vec<u8>,
}

impl Default for FrameBuilder {
    fn default() -> Self {
        FrameBuilder {
            general_flags: 0x12,
            frame_type: 0,
            codec_flags: 0x51,
            other_flags: 3,
            nbytes: None,
            cbytes: None,
            typesize: 4,
            blocksize: 0,
            chunksize: 40,
            nfilters: 6,
            header_len: None,
            frame_len: None,
            metalayers: Vec::new(),
            meta_count: None,
            meta0_offset: None,
            chunks: Vec::new(),
            offsets: None,
            offsets_chunk: None,
            no_offsets_chunk: false,
            vlmeta: Vec::new(),
            vlmeta_count: None,
            trailer_len: None,
            fingerprint_type: 0,
            trailing: Vec::new(),
        }
    }
}

fn layers(
    out: &mut Vec<u8>,
    base: usize,
    items: &[(Vec<u8>, Vec<u8>)],
    count: Option<u16>,
    off0: Option<i32>,
) {
    let n = count.unwrap_or(items.len() as u16);
    out.push(0x93);
    out.push(0xCD);
    out.extend_from_slice(&[0, 0]);
    out.push(0xDE);
    out.extend_from_slice(&n.to_be_bytes());
    let mut patch = Vec::new();
    for (name, _) in items {
        out.push(0xA0 | (name.len() as u8 & 0x1F));
        out.extend_from_slice(name);
        out.push(0xD2);
        patch.push(out.len());
        out.extend_from_slice(&[0; 4]);
    }
    out.push(0xDC);
    out.extend_from_slice(&n.to_be_bytes());
    for (k, ((_, content), at)) in items.iter().zip(patch).enumerate() {
        let off = match (k, off0) {
            (0, Some(o)) => o,
            _ => (out.len() - base) as i32,
        };
        out[at..at + 4].copy_from_slice(&off.to_be_bytes());
        out.push(0xC6);
        out.extend_from_slice(&(content.len() as u32).to_be_bytes());
        out.extend_from_slice(content);
    }
}

/// `nbytes` of a chunk, read back from its header.
fn chunk_nbytes(c: &[u8]) -> i64 {
    i64::from(i32::from_le_bytes(c[4..8].try_into().unwrap()))
}

impl FrameBuilder {
    /// A valid fixed-chunksize frame: chunks of 40 bytes (10 int32) with a shorter last one,
    /// and a zero special chunk in the middle.
    pub(crate) fn valid() -> FrameBuilder {
        let c0: Vec<u8> = (0..10i32).flat_map(|i| i.to_le_bytes()).collect();
        let c2: Vec<u8> = (10..15i32).flat_map(|i| i.to_le_bytes()).collect();
        FrameBuilder {
            chunks: vec![memcpy_chunk(&c0, 4), memcpy_chunk(&c2, 4)],
            offsets: Some(vec![0, ZEROS, 72]),
            nbytes: Some(100),
            vlmeta: vec![(b"k".to_vec(), memcpy_chunk(b"\xa1v", 8))],
            metalayers: vec![(b"m".to_vec(), vec![0x07])],
            ..FrameBuilder::default()
        }
    }

    pub(crate) fn build(&self) -> Vec<u8> {
        let mut head = vec![0u8; 87];
        // Metalayer offsets are absolute: build them at their final position.
        let mut meta = vec![0u8; 87];
        layers(
            &mut meta,
            0,
            &self.metalayers,
            self.meta_count,
            self.meta0_offset,
        );
        let meta = meta.split_off(87);
        let header_len = 87 + meta.len();
        let data: Vec<u8> = self.chunks.concat();
        let offsets = self.offsets.clone().unwrap_or_else(|| {
            let mut at = 0i64;
            self.chunks
                .iter()
                .map(|c| {
                    let o = at;
                    at += c.len() as i64;
                    o
                })
                .collect()
        });
        let nbytes = self
            .nbytes
            .unwrap_or_else(|| self.chunks.iter().map(|c| chunk_nbytes(c)).sum());
        let ochunk = if self.no_offsets_chunk {
            Vec::new()
        } else {
            self.offsets_chunk
                .clone()
                .unwrap_or_else(|| offsets_chunk(&offsets))
        };
        let mut trailer = vec![0x94, 0x01];
        layers(&mut trailer, 0, &self.vlmeta, self.vlmeta_count, None);
        let tlen = trailer.len() + 23;
        trailer.push(0xCE);
        trailer.extend_from_slice(&self.trailer_len.unwrap_or(tlen as u32).to_be_bytes());
        trailer.push(0xD8);
        trailer.push(self.fingerprint_type);
        trailer.extend_from_slice(&[0; 16]);
        let frame_len = (header_len + data.len() + ochunk.len() + trailer.len()) as u64;

        head[0] = 0x9E;
        head[1] = 0xA8;
        head[2..10].copy_from_slice(b"b2frame\0");
        head[10] = 0xD2;
        head[11..15].copy_from_slice(&self.header_len.unwrap_or(header_len as i32).to_be_bytes());
        head[15] = 0xCF;
        head[16..24].copy_from_slice(&self.frame_len.unwrap_or(frame_len).to_be_bytes());
        head[24] = 0xA4;
        head[25] = self.general_flags;
        head[26] = self.frame_type;
        head[27] = self.codec_flags;
        head[28] = self.other_flags;
        head[29] = 0xD3;
        head[30..38].copy_from_slice(&nbytes.to_be_bytes());
        head[38] = 0xD3;
        head[39..47].copy_from_slice(&self.cbytes.unwrap_or(data.len() as i64).to_be_bytes());
        head[47] = 0xD2;
        head[48..52].copy_from_slice(&self.typesize.to_be_bytes());
        head[52] = 0xD2;
        head[53..57].copy_from_slice(&self.blocksize.to_be_bytes());
        head[57] = 0xD2;
        head[58..62].copy_from_slice(&self.chunksize.to_be_bytes());
        head[62] = 0xD1;
        head[63..65].copy_from_slice(&1i16.to_be_bytes());
        head[65] = 0xD1;
        head[66..68].copy_from_slice(&1i16.to_be_bytes());
        head[68] = if self.vlmeta.is_empty() { 0xC2 } else { 0xC3 };
        head[69] = 0xD8;
        head[70] = self.nfilters;
        head[76] = 1; // shuffle in the last slot
        head[77] = self.codec_flags & 0x0F;

        let mut out = head;
        out.extend_from_slice(&meta);
        out.extend_from_slice(&data);
        out.extend_from_slice(&ochunk);
        out.extend_from_slice(&trailer);
        out.extend_from_slice(&self.trailing);
        out
    }
}
