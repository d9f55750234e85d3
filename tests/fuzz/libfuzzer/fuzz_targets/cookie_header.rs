//! libFuzzer driver for `edgegate_fuzz::cookie_header` (properties documented there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| edgegate_fuzz::cookie_header(data));
