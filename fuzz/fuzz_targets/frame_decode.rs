//! Fuzz target `frame_decode`; the body and its oracle live in `fuzz_targets::frame_decode`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_targets::frame_decode(data));
