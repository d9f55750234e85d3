//! libFuzzer driver for `edgegate_fuzz::gate_frame` (properties documented there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| edgegate_fuzz::gate_frame(data));
