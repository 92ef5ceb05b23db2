//! `plugin-tap`: any text through `parse_str` (see `src/tap.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kiwitcms_fuzz::tap::check_parse_str(data));
