//! libFuzzer driver for `edgegate_fuzz::page_template` (properties documented there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| edgegate_fuzz::page_template(data));
