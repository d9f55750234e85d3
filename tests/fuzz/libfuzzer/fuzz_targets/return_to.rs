//! libFuzzer driver for `edgegate_fuzz::return_to` (properties documented there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| edgegate_fuzz::return_to(data));
