//! Fuzz target `chunk_user`; the body and its oracle live in `fuzz_targets::chunk_user`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_targets::chunk_user(data));
