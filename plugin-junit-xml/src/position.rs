//! Line and column tracking for a streamed input.
//!
//! quick-xml reports byte offsets. [`Tracked`] sits between the caller's [`BufRead`] and the XML
//! reader, counts the newlines in every byte the reader consumes, and turns a byte offset back
//! into a 1-based line and column. It keeps the offsets of the newlines seen since the last
//! [`Tracked::checkpoint`] only (the parser sets one before every event), so memory stays in
//! proportion to one XML event, not to the whole input.

use std::io::{self, BufRead, Read};

/// The UTF-8 byte order mark, which quick-xml does not count in its offsets either.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A line and column in the input, both 1-based; the column counts bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: u64,
    pub(crate) column: u64,
}

/// A [`BufRead`] adapter that records where the lines start.
pub(crate) struct Tracked<R> {
    inner: R,
    /// Bytes consumed so far (leading byte order marks excluded).
    consumed: u64,
    /// Whether the start of the input was checked for a byte order mark.
    bom_checked: bool,
    /// The first bytes of the input, read to look for a byte order mark when it was not one;
    /// served before `inner`.
    head: Vec<u8>,
    /// Lines that ended before the checkpoint.
    base_newlines: u64,
    /// Offset of the first byte of the line the checkpoint is on.
    base_line_start: u64,
    /// Offsets of the newlines consumed since the checkpoint, ascending.
    newlines: Vec<u64>,
}

impl<R: BufRead> Tracked<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            consumed: 0,
            bom_checked: false,
            head: Vec::new(),
            base_newlines: 0,
            base_line_start: 0,
            newlines: Vec::new(),
        }
    }

    /// Forgets the newline offsets before `offset`: positions before it cannot be asked for any
    /// more.
    pub(crate) fn checkpoint(&mut self, offset: u64) {
        let done = self.newlines.partition_point(|&nl| nl < offset);
        if done == 0 {
            return;
        }
        self.base_newlines += done as u64;
        self.base_line_start = self.newlines[done - 1] + 1;
        self.newlines.drain(..done);
    }

    /// The line and column of `offset`, which must not be before the last checkpoint (an earlier
    /// offset is reported at the start of the checkpoint's line).
    pub(crate) fn position(&self, offset: u64) -> Position {
        let before = self.newlines.partition_point(|&nl| nl < offset);
        let line_start = match before {
            0 => self.base_line_start,
            n => self.newlines[n - 1] + 1,
        };
        Position {
            line: self.base_newlines + before as u64 + 1,
            column: offset.saturating_sub(line_start) + 1,
        }
    }

    fn skip_bom(&mut self) -> io::Result<()> {
        if self.bom_checked {
            return Ok(());
        }
        // Every leading byte order mark, not just the first: quick-xml would skip the next one
        // itself, without counting it in its offsets, and only when the read it comes in holds
        // it whole, so positions would depend on how the input is read.
        loop {
            // Read up to three bytes, however small the reads of `inner` are.
            while self.head.len() < UTF8_BOM.len() {
                let buf = self.inner.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                let n = buf.len().min(UTF8_BOM.len() - self.head.len());
                self.head.extend_from_slice(&buf[..n]);
                self.inner.consume(n);
            }
            if self.head != UTF8_BOM {
                break;
            }
            self.head.clear();
        }
        self.bom_checked = true;
        Ok(())
    }

    /// The bytes `fill_buf` would return now, without reading.
    fn buffered(&mut self) -> io::Result<&[u8]> {
        if self.head.is_empty() {
            self.inner.fill_buf()
        } else {
            Ok(&self.head)
        }
    }
}

impl<R: BufRead> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.skip_bom()?;
        self.buffered()
    }

    fn consume(&mut self, amount: usize) {
        if amount == 0 {
            return;
        }
        // Called after `fill_buf`, so the buffered bytes are the ones being consumed (a correct
        // caller never consumes more than it was given).
        let base = self.consumed;
        let from_head = !self.head.is_empty();
        let buf: &[u8] = if from_head {
            &self.head
        } else {
            self.inner.fill_buf().unwrap_or_default()
        };
        let taken = &buf[..amount.min(buf.len())];
        self.newlines
            .extend(memchr::memchr_iter(b'\n', taken).map(|i| base + i as u64));
        self.consumed += amount as u64;
        if from_head {
            let n = amount.min(self.head.len());
            self.head.drain(..n);
        } else {
            self.inner.consume(amount);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcms_test_kit::io::Trickle;

    fn read_all<R: BufRead>(t: &mut Tracked<R>) {
        let mut sink = Vec::new();
        t.read_to_end(&mut sink).unwrap();
    }

    #[test]
    fn positions_across_lines() {
        let input: &[u8] = b"ab\ncd\n\nef";
        let mut t = Tracked::new(io::BufReader::with_capacity(2, input));
        read_all(&mut t);
        let at = |o| {
            let p = t.position(o);
            (p.line, p.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(1), (1, 2));
        assert_eq!(at(2), (1, 3)); // the newline itself ends line 1
        assert_eq!(at(3), (2, 1));
        assert_eq!(at(6), (3, 1));
        assert_eq!(at(7), (4, 1));
        assert_eq!(at(8), (4, 2));
    }

    #[test]
    fn checkpoint_keeps_positions_after_it() {
        let input: &[u8] = b"a\nb\nc\nd";
        let mut t = Tracked::new(input);
        read_all(&mut t);
        t.checkpoint(4);
        assert_eq!(t.position(4), Position { line: 3, column: 1 });
        assert_eq!(t.position(6), Position { line: 4, column: 1 });
        t.checkpoint(7);
        assert_eq!(t.position(7), Position { line: 4, column: 2 });
    }

    #[test]
    fn byte_order_mark_split_across_reads() {
        for input in [
            &b"\xEF\xBB\xBF<a/>\n"[..],
            b"<a/>\n",
            b"<a",
            b"\xEF\xBB",
            b"",
        ] {
            let mut t = Tracked::new(io::BufReader::with_capacity(1, Trickle::new(input)));
            let mut out = Vec::new();
            t.read_to_end(&mut out).unwrap();
            let want = input.strip_prefix(UTF8_BOM).unwrap_or(input);
            assert_eq!(out, want);
            let nl = want.iter().position(|&b| b == b'\n');
            if let Some(nl) = nl {
                assert_eq!(t.position(nl as u64 + 1).line, 2);
            }
        }
    }

    #[test]
    fn byte_order_mark_is_skipped_and_not_counted() {
        let mut t = Tracked::new(&b"\xEF\xBB\xBF<a/>\n"[..]);
        let mut out = Vec::new();
        t.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"<a/>\n");
        assert_eq!(t.position(5), Position { line: 2, column: 1 });
    }
}
