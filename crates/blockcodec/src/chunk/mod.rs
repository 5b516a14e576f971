//! Chunks: header, layout, compression, decompression, special values.

pub(crate) mod compress;
pub(crate) mod decompress;
pub(crate) mod header;
pub(crate) mod layout;
pub(crate) mod scratch;
pub(crate) mod special;
