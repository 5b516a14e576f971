//! Fuzz target `chunk_structured`; the body and its oracle live in `fuzz_targets::chunk_structured`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_targets::chunk_structured(data));
