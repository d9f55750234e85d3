//! libFuzzer driver for `edgegate_fuzz::cidr` (properties documented there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| edgegate_fuzz::cidr(data));
