//! libFuzzer driver for `edgegate_fuzz::cf_base64_target` (properties documented there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| edgegate_fuzz::cf_base64_target(data));
