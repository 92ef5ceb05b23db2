//! `plugin-junit-xml`: any bytes through `JunitParser`, to the end (see `src/junit.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kiwitcms_fuzz::junit::check(data));
