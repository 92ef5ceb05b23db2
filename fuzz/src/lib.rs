//! What must hold for any input of the parsers, beyond "it does not panic": the checks the fuzz
//! targets in `fuzz_targets/` run on every input libFuzzer makes up.
//!
//! - **Memory**: a counting global allocator measures the peak of live heap bytes while one
//!   input is parsed (results are dropped as they come out, as a reporter does). It must stay
//!   under [`MEMORY_BASE`] + [`MEMORY_PER_INPUT_BYTE`] × the input's length: memory grows with
//!   the largest element or line, never with how many there are, and never quadratically.
//! - **Streaming = whole**: the same input read through a reader that hands out a few bytes at
//!   a time gives the same results, errors and positions.
//! - **Determinism**: parsing twice gives the same.
//! - **Bookkeeping**: errors point inside the input, no more results than test cases / test
//!   points, nothing after the first error.

use std::fmt;
use std::hash::{DefaultHasher, Hasher};
use std::io::{self, BufRead, Read};
use std::sync::OnceLock;

pub mod alloc;
pub mod junit;
#[cfg(feature = "cargo-test")]
pub mod libtest;
pub mod tap;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// Heap any parse may use whatever its input (the readers' and quick-xml's buffers, TAP's
/// subtest levels, ...), on top of [`MEMORY_PER_INPUT_BYTE`].
pub const MEMORY_BASE: usize = 1 << 20;

/// [`MEMORY_BASE`] for the junit parser, which holds back up to 8 MiB of failed results per
/// suite until the suite's own output is known (see its crate docs); inputs of 32 KiB can reach
/// that, since every held-back result carries a copy of its suites' properties.
pub const JUNIT_MEMORY_BASE: usize = 12 << 20;

/// Heap per input byte on top of the base. Generous on purpose (the parsers copy text a few
/// times, keep 8 bytes per newline of the current XML event, put each line of a TAP subtest
/// into the text of every level around it, ...): what it catches is growth with the square
/// of the input, or with the number of elements instead of the largest one. Measured on the
/// corpora: at most 46 bytes per byte for inputs of 256 bytes or more, 47 KB for 10 KB.
pub const MEMORY_PER_INPUT_BYTE: usize = 64;

/// Panics when `peak` heap bytes are more than the bound for an input of `len` bytes. With
/// `FUZZ_MEMORY_REPORT=1` in the environment it also prints `memory: WHAT PEAK LEN` to
/// standard error (to measure the corpus: `scripts/fuzz --replay`).
pub fn check_memory(what: &str, peak: usize, len: usize, base: usize) {
    static REPORT: OnceLock<bool> = OnceLock::new();
    if *REPORT.get_or_init(|| std::env::var_os("FUZZ_MEMORY_REPORT").is_some_and(|v| v == "1")) {
        eprintln!("memory: {what} {peak} {len}");
    }
    let bound = base + MEMORY_PER_INPUT_BYTE * len;
    assert!(
        peak <= bound,
        "{what}: {peak} bytes of heap for {len} bytes of input (bound {bound})"
    );
}

/// A [`BufRead`] over a byte slice that hands out at most `chunk` bytes at a time, so that the
/// parser sees its input split at every place.
#[derive(Debug)]
pub struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl<'a> Chunked<'a> {
    /// Reads `data`, `chunk` bytes (at least one) at a time.
    pub fn new(data: &'a [u8], chunk: usize) -> Self {
        Self {
            data,
            chunk: chunk.max(1),
        }
    }
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunked<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(&self.data[..self.data.len().min(self.chunk)])
    }

    fn consume(&mut self, amount: usize) {
        self.data = &self.data[amount.min(self.data.len())..];
    }
}

/// A chunk size between 1 and 13 that depends on the input, so that different inputs are split
/// differently.
pub fn chunk_for(data: &[u8]) -> usize {
    1 + data.len() % 13
}

/// A hash of `value`'s `Debug` text, computed without allocating (so that hashing a result does
/// not count against the parser's memory). The hasher has fixed keys: the same value always
/// gives the same digest.
pub fn digest(value: &impl fmt::Debug) -> u64 {
    struct Writer(DefaultHasher);
    impl fmt::Write for Writer {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0.write(s.as_bytes());
            Ok(())
        }
    }
    let mut writer = Writer(DefaultHasher::new());
    let _ = fmt::write(&mut writer, format_args!("{value:?}"));
    writer.0.finish()
}

/// The input's lines as [`str::split`] on `\n` gives them, the last one dropped when empty (so
/// `"a\nb\n"` has two): how the readers cut their input.
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let empty = data.is_empty();
    body.split(|&b| b == b'\n').filter(move |_| !empty)
}

/// Occurrences of `needle` in `haystack`.
pub fn count(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || haystack.len() < needle.len() {
        return 0;
    }
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}
