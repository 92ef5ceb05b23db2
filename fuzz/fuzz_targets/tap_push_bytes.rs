//! `plugin-tap`: any bytes, line by line through `Parser::push_bytes`, and through `Results`
//! (see `src/tap.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kiwitcms_fuzz::tap::check_push_bytes(data));
