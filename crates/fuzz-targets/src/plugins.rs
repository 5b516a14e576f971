//! User codecs and filters for the `chunk_user` target: the two example plugins
//! (`crates/blockcodec/examples/common/plugins.rs`, whose byte formats `tools/user_plugins.py`
//! used to write the golden vectors in `crates/blockcodec/tests/data/user/`), a few more
//! well-behaved ones, and deliberately hostile ones.
//!
//! The well-behaved plugins also check the [`BlockInfo`] they are given and fail with
//! `InvalidParam` when it is inconsistent with the slices they see, so a wrong block offset or
//! size from the library surfaces in the oracles (a decode that blames the caller, or a
//! compression that fails on valid parameters).
//!
//! No plugin here panics: libFuzzer's panic hook aborts on any panic, even one the library
//! catches, so panicking plugins are left to `crates/blockcodec/tests/user_plugins.rs`.

use blockcodec::{BlockInfo, Error, ErrorKind, Registry, Result, UserCodec, UserFilter};

/// Repeated-value codec under the id of the golden vectors.
pub(crate) const RV: u8 = 160;
/// Repeated-value codec under a second id.
pub(crate) const RV2: u8 = 161;
/// A codec whose output is a copy of its input (stored raw by the chunk writer).
pub(crate) const COPY: u8 = 162;
/// A codec that never compresses.
pub(crate) const NEVER: u8 = 163;
/// Difference filter under the id of the golden vectors.
pub(crate) const DIFF: u8 = 160;
/// Difference filter under a second id.
pub(crate) const DIFF2: u8 = 161;
/// A filter that reverses each block.
pub(crate) const REVERSE: u8 = 162;

/// Hostile codec ids: claims more bytes than the output holds, a wrong length, garbage, fails.
pub(crate) const HOSTILE_CODECS: [(u8, Misbehaviour); 4] = [
    (200, Misbehaviour::TooLong),
    (201, Misbehaviour::WrongLen),
    (202, Misbehaviour::Garbage),
    (203, Misbehaviour::Fails),
];
/// Hostile filter ids: fails on some blocks, fails on every block, garbage.
pub(crate) const HOSTILE_FILTERS: [(u8, FilterFault); 3] = [
    (200, FilterFault::SomeBlocks),
    (201, FilterFault::Always),
    (202, FilterFault::Garbage),
];

fn broken(what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidParam,
        format!("fuzz plugin got an inconsistent BlockInfo: {what}"),
    )
}

/// What holds for every block: offset and size agree with the chunk geometry.
fn check_block(info: &BlockInfo) -> Result<()> {
    let offset_ok = info.nblock.checked_mul(info.blocksize) == Some(info.offset);
    let end_ok = info
        .offset
        .checked_add(info.bsize)
        .is_some_and(|end| end <= info.nbytes);
    if !offset_ok {
        return Err(broken("offset != nblock * blocksize"));
    }
    if !end_ok || info.bsize == 0 || info.bsize > info.blocksize {
        return Err(broken("block outside the chunk"));
    }
    if !(1..=255).contains(&info.typesize) {
        return Err(broken("typesize outside 1..=255"));
    }
    Ok(())
}

/// Filters see the whole block, in and out.
fn check_filter_info(input: &[u8], output: &[u8], info: &BlockInfo) -> Result<()> {
    check_block(info)?;
    if input.len() != info.bsize || output.len() != info.bsize {
        return Err(broken("filter slices are not the block"));
    }
    Ok(())
}

/// Codecs see one of `nstreams` equal streams of the block (`stream_len` is the uncompressed
/// stream: the encoder's input, the decoder's output).
fn check_codec_info(stream_len: usize, info: &BlockInfo) -> Result<()> {
    check_block(info)?;
    if info.stream >= info.nstreams {
        return Err(broken("stream index past nstreams"));
    }
    if stream_len.checked_mul(info.nstreams) != Some(info.bsize) {
        return Err(broken("stream length * nstreams != bsize"));
    }
    Ok(())
}

// The example plugins themselves: the wrappers below add the BlockInfo checks.
#[path = "../../blockcodec/examples/common/plugins.rs"]
mod example;

/// The repeated-value (run-length) codec of the examples, checking what it is given.
pub(crate) struct RepeatedValueCodec {
    pub(crate) id: u8,
}

impl RepeatedValueCodec {
    fn inner(&self) -> example::RepeatedValueCodec {
        example::RepeatedValueCodec { id: self.id }
    }
}

impl UserCodec for RepeatedValueCodec {
    fn id(&self) -> u8 {
        self.id
    }

    fn name(&self) -> &str {
        "repeated-value"
    }

    fn encode(
        &self,
        input: &[u8],
        output: &mut [u8],
        meta: u8,
        info: &BlockInfo,
    ) -> Result<Option<usize>> {
        check_codec_info(input.len(), info)?;
        if output.len() > input.len() {
            return Err(broken("encoder output limit above the stream length"));
        }
        self.inner().encode(input, output, meta, info)
    }

    fn decode(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<usize> {
        check_codec_info(output.len(), info)?;
        self.inner().decode(input, output, meta, info)
    }
}

/// The neighbour-difference filter of the examples, checking what it is given.
pub(crate) struct DifferenceFilter {
    pub(crate) id: u8,
}

impl DifferenceFilter {
    fn inner(&self) -> example::DifferenceFilter {
        example::DifferenceFilter { id: self.id }
    }
}

impl UserFilter for DifferenceFilter {
    fn id(&self) -> u8 {
        self.id
    }

    fn name(&self) -> &str {
        "difference"
    }

    fn forward(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<()> {
        check_filter_info(input, output, info)?;
        self.inner().forward(input, output, meta, info)
    }

    fn backward(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<()> {
        check_filter_info(input, output, info)?;
        self.inner().backward(input, output, meta, info)
    }
}

/// A codec that "compresses" to a copy of its input when it fits (the writer then stores the
/// stream raw), or never compresses at all.
struct TrivialCodec {
    id: u8,
    copies: bool,
}

impl UserCodec for TrivialCodec {
    fn id(&self) -> u8 {
        self.id
    }

    fn name(&self) -> &str {
        if self.copies { "copy" } else { "never" }
    }

    fn version(&self) -> u8 {
        3
    }

    fn encode(
        &self,
        input: &[u8],
        output: &mut [u8],
        _meta: u8,
        info: &BlockInfo,
    ) -> Result<Option<usize>> {
        check_codec_info(input.len(), info)?;
        if !self.copies {
            return Ok(None);
        }
        match output.get_mut(..input.len()) {
            Some(out) => {
                out.copy_from_slice(input);
                Ok(Some(input.len()))
            }
            None => Ok(None),
        }
    }

    fn decode(
        &self,
        input: &[u8],
        output: &mut [u8],
        _meta: u8,
        info: &BlockInfo,
    ) -> Result<usize> {
        check_codec_info(output.len(), info)?;
        if !self.copies || input.len() != output.len() {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!("{}: not a stream this codec wrote", self.name()),
            ));
        }
        output.copy_from_slice(input);
        Ok(output.len())
    }
}

/// A filter that reverses the bytes of each block (its own inverse).
struct ReverseFilter;

impl UserFilter for ReverseFilter {
    fn id(&self) -> u8 {
        REVERSE
    }

    fn name(&self) -> &str {
        "reverse"
    }

    fn forward(&self, input: &[u8], output: &mut [u8], _meta: u8, info: &BlockInfo) -> Result<()> {
        check_filter_info(input, output, info)?;
        for (o, i) in output.iter_mut().zip(input.iter().rev()) {
            *o = *i;
        }
        Ok(())
    }

    fn backward(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<()> {
        self.forward(input, output, meta, info)
    }
}

/// How a hostile codec's decoder misbehaves (its encoder never compresses).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Misbehaviour {
    /// Fills the output, then claims more bytes than it holds.
    TooLong,
    /// Fills part of the output and claims a length other than the output's.
    WrongLen,
    /// Fills the output with bytes derived from the input and claims success.
    Garbage,
    /// Returns an error.
    Fails,
}

/// Deterministic junk from the input, the meta byte and the block position: the same call
/// always gives the same bytes, so dirty-buffer and thread-count oracles still apply.
fn garbage(input: &[u8], out: &mut [u8], meta: u8, info: &BlockInfo) {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ u64::from(meta);
    for &b in input.iter().take(64) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    h ^= (info.nblock as u64) << 32 ^ info.stream as u64 ^ (input.len() as u64) << 16;
    for o in out.iter_mut() {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        *o = h as u8;
    }
}

pub(crate) struct HostileCodec {
    pub(crate) id: u8,
    pub(crate) how: Misbehaviour,
}

impl UserCodec for HostileCodec {
    fn id(&self) -> u8 {
        self.id
    }

    fn name(&self) -> &str {
        "hostile"
    }

    fn encode(&self, _: &[u8], _: &mut [u8], _: u8, _: &BlockInfo) -> Result<Option<usize>> {
        Ok(None)
    }

    fn decode(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<usize> {
        let n = output.len();
        match self.how {
            Misbehaviour::TooLong => {
                garbage(input, output, meta, info);
                Ok(if meta & 1 == 0 {
                    n + 1 + input.len() % 7
                } else {
                    usize::MAX
                })
            }
            Misbehaviour::WrongLen => {
                let claim = if n == 0 {
                    1
                } else if meta & 1 == 0 {
                    n - 1
                } else {
                    n / 2
                };
                let part = claim.min(n);
                garbage(input, &mut output[..part], meta, info);
                Ok(claim)
            }
            Misbehaviour::Garbage => {
                // Writes only part of what it claims: the rest must come out deterministic.
                let part = if meta & 1 == 0 { n } else { n / 3 };
                garbage(input, &mut output[..part], meta, info);
                Ok(n)
            }
            Misbehaviour::Fails => Err(Error::new(
                ErrorKind::InvalidData,
                "hostile codec refuses to decode",
            )),
        }
    }
}

/// How a hostile filter's backward direction misbehaves (forward copies).
#[derive(Clone, Copy, Debug)]
pub(crate) enum FilterFault {
    /// Fails on odd blocks.
    SomeBlocks,
    /// Fails on every block.
    Always,
    /// Writes deterministic junk to part of the block.
    Garbage,
}

pub(crate) struct HostileFilter {
    pub(crate) id: u8,
    pub(crate) fault: FilterFault,
}

impl UserFilter for HostileFilter {
    fn id(&self) -> u8 {
        self.id
    }

    fn name(&self) -> &str {
        "hostile"
    }

    fn forward(&self, input: &[u8], output: &mut [u8], _: u8, _: &BlockInfo) -> Result<()> {
        output.copy_from_slice(input);
        Ok(())
    }

    fn backward(&self, input: &[u8], output: &mut [u8], meta: u8, info: &BlockInfo) -> Result<()> {
        let fail = match self.fault {
            FilterFault::SomeBlocks => info.nblock % 2 == 1,
            FilterFault::Always => true,
            FilterFault::Garbage => {
                let half = output.len() / 2;
                garbage(input, &mut output[..half], meta, info);
                false
            }
        };
        if fail {
            return Err(Error::new(
                ErrorKind::InvalidData,
                "hostile filter refuses to undo the block",
            ));
        }
        Ok(())
    }
}

/// The well-behaved plugins: repeated-value codec (160, 161), copy (162) and never-compressing
/// (163) codecs; difference filter (160, 161) and byte-reversal filter (162).
pub(crate) fn good_registry() -> Result<Registry> {
    Registry::new()
        .with_codec(RepeatedValueCodec { id: RV })?
        .with_codec(RepeatedValueCodec { id: RV2 })?
        .with_codec(TrivialCodec {
            id: COPY,
            copies: true,
        })?
        .with_codec(TrivialCodec {
            id: NEVER,
            copies: false,
        })?
        .with_filter(DifferenceFilter { id: DIFF })?
        .with_filter(DifferenceFilter { id: DIFF2 })?
        .with_filter(ReverseFilter)
}
