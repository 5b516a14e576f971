//! Fuzz target `schunk_model`; the body and its oracle live in `fuzz_targets::schunk_model`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_targets::schunk_model(data));
