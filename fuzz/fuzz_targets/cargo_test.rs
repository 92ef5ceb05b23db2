//! `plugin-cargo-test`: any text through the `cargo test` output parser (see
//! `src/libtest.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kiwitcms_fuzz::libtest::check(data));
