//! Readers for streaming parsers.

use std::io::{self, Read};

/// A reader that gives out one byte per `read`: a streaming parser must produce the same
/// results and positions however its input is cut.
///
/// ```
/// use std::io::Read;
/// let mut text = String::new();
/// tcms_test_kit::io::Trickle::new(b"ok 1\n").read_to_string(&mut text).unwrap();
/// assert_eq!(text, "ok 1\n");
/// ```
#[derive(Debug, Clone)]
pub struct Trickle<'a>(&'a [u8]);

impl<'a> Trickle<'a> {
    /// A reader of `bytes`, one at a time.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), out.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}
