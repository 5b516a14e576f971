//! Bodies of the fuzz targets of hardening.md §3.4.
//!
//! Each target is a plain `fn(&[u8])` that returns normally for every input and panics only
//! when an oracle finds a real bug (a panic inside the library, a wrong roundtrip, a result
//! that depends on the thread count or on the destination's previous contents, ...). The
//! cargo-fuzz crate in `fuzz/` wraps each one in `fuzz_target!`, and
//! `tests/replay.rs` runs them on `fuzz/corpus/<target>/*`, `fuzz/artifacts/<target>/*` and a
//! seeded mutation loop, so `cargo test` exercises every target without libFuzzer.

#![forbid(unsafe_code)]
// A fuzz oracle's job is to panic on a bug.
#![allow(clippy::panic, clippy::unwrap_used)]

mod chunk;
mod codec;
mod image;
mod input;
mod plugins;
mod schunk;
mod user;

pub use chunk::{check_chunk, chunk_decompress, chunk_getitem, chunk_roundtrip, chunk_structured};
pub use codec::{blosclz_decompress, blosclz_roundtrip, lz4hc_roundtrip, shuffle_roundtrip};
pub use image::channel_model;
pub use input::Input;
pub use schunk::{frame_decode, schunk_model};
pub use user::{chunk_user, user_registry};

/// A fuzz target body.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` file and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("chunk_decompress", chunk_decompress),
    ("chunk_structured", chunk_structured),
    ("chunk_getitem", chunk_getitem),
    ("chunk_roundtrip", chunk_roundtrip),
    ("chunk_user", chunk_user),
    ("blosclz_decompress", blosclz_decompress),
    ("blosclz_roundtrip", blosclz_roundtrip),
    ("lz4hc_roundtrip", lz4hc_roundtrip),
    ("shuffle_roundtrip", shuffle_roundtrip),
    ("frame_decode", frame_decode),
    ("schunk_model", schunk_model),
    ("channel_model", channel_model),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
}
