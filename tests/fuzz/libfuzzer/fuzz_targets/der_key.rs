//! libFuzzer driver for `edgegate_fuzz::der_key` (properties documented there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| edgegate_fuzz::der_key(data));
