//! Fuzz target `lz4hc_roundtrip`; the body and its oracle live in `fuzz_targets::lz4hc_roundtrip`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_targets::lz4hc_roundtrip(data));
