//! From a test name to the case summary Kiwi stores: the one place that decides it, so that the
//! same test lands on the same case on every run and two tests never share one. The rules are
//! in [`case_summary`]'s documentation (this module is private; the functions are re-exported
//! from [`crate::report`]).

use super::settings::stored_name;

/// The most characters Kiwi keeps in a case summary (and a plan name).
pub const MAX_SUMMARY_CHARS: usize = 255;
const SUMMARY_CHARS: usize = MAX_SUMMARY_CHARS;

/// What separates the prefix from the hash.
const HASH_OPEN: &str = "… [h:";
/// After the hash.
const HASH_CLOSE: &str = "]";
/// Hex digits of the hash.
const HASH_DIGITS: usize = 16;
/// How far back from the cut a word break is looked for.
const WORD_BREAK_WINDOW: usize = 32;

/// The summary Kiwi stores for a test called `name`. Kiwi's `TestCase.summary` holds 255
/// characters, so:
///
/// - **a name that fits** (at most 255 characters once NUL characters are removed and the
///   surrounding whitespace is stripped, like Python's `str.strip`, as Kiwi's Django form
///   saves it) is that cleaned name: exactly what was stored before long names were shortened,
///   so existing cases keep matching. (One difference: a name that was over 255 characters
///   only because of leading whitespace or NUL characters used to lose its end; it is now kept
///   whole.)
/// - **a longer name** becomes a readable prefix of it, then `… [h:`, 16 lowercase hex digits
///   of a hash of the whole cleaned name, and `]`: 255 characters at most. The prefix is cut on
///   a character boundary (never before a combining mark or around a zero-width joiner), at a
///   word break (white space or punctuation other than `_`) when one lies within its last 32
///   characters, and without trailing white space. A 300-character name gives its first 233
///   characters (or fewer, up to a word break) followed by e.g. `… [h:3f9a0c1d2e4b5a67]`.
///
/// The hash is 64-bit FNV-1a over the UTF-8 bytes of the cleaned name (offset basis
/// `0xcbf29ce484222325`, prime `0x100000001b3`): plain integer arithmetic, the same on every
/// platform and easy to compute in any language. Names that differ anywhere, in the last
/// character too, get different hashes (for a million long names the chance that two share
/// one is about 3e-8). Blank names give an empty summary.
///
/// ```
/// use tcms_api::report::{case_summary, is_shortened};
///
/// assert_eq!(case_summary("  adds numbers "), "adds numbers");
/// let long = format!("test_param[{}-1]", "x".repeat(300));
/// let other = format!("test_param[{}-2]", "x".repeat(300));
/// assert!(is_shortened(&long));
/// assert!(case_summary(&long).chars().count() <= 255);
/// assert_ne!(case_summary(&long), case_summary(&other));
/// assert_eq!(case_summary(&long), case_summary(&long.clone()));
/// ```
pub fn case_summary(name: &str) -> String {
    let clean = clean(name);
    if fits(&clean) { clean } else { shorten(&clean) }
}

/// True when `name` is too long for a summary, so that [`case_summary`] gives a prefix and a
/// hash (the full name then belongs somewhere else, e.g. the case's text).
pub fn is_shortened(name: &str) -> bool {
    !fits(&clean(name))
}

/// Without NUL characters and surrounding whitespace, not cut.
fn clean(name: &str) -> String {
    stored_name(name, usize::MAX)
}

fn fits(clean: &str) -> bool {
    clean.chars().nth(SUMMARY_CHARS).is_none()
}

fn shorten(clean: &str) -> String {
    let hash = fnv1a_64(clean.as_bytes());
    let budget =
        SUMMARY_CHARS - HASH_OPEN.chars().count() - HASH_DIGITS - HASH_CLOSE.chars().count();
    let chars: Vec<(usize, char)> = clean.char_indices().take(budget + 1).collect();
    // `cut` is a count of characters kept; `clean` has more than `budget` of them.
    let mut cut = budget;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let kept_last = chars[cut - 1].1;
    let dropped_first = chars[cut].1;
    if is_word(kept_last) && is_word(dropped_first) {
        // Mid-word: back to the last break within the window, if any.
        if let Some(at) = (cut.saturating_sub(WORD_BREAK_WINDOW).max(1)..cut)
            .rev()
            .find(|&i| !is_word(chars[i - 1].1))
        {
            cut = at;
        }
    }
    // Never separate a character from the marks that follow it, nor the two sides of a
    // zero-width joiner.
    while cut > 1 && (joins_previous(chars[cut].1) || chars[cut - 1].1 == '\u{200D}') {
        cut -= 1;
    }
    let prefix = clean[..chars[cut].0].trim_end();
    format!("{prefix}{HASH_OPEN}{hash:016x}{HASH_CLOSE}")
}

/// Combining marks, variation selectors and the zero-width joiner belong to the character
/// before them.
fn joins_previous(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200D}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{E0100}'..='\u{E01EF}'
    )
}

/// 64-bit FNV-1a.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn chars(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn fnv1a_reference_values() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a_64("é".as_bytes()), 0x0ac2_1707_b718_1e01);
    }

    #[test]
    fn names_that_fit_are_stored_as_before() {
        // What `stored_name(name, 255)` gave before long names were shortened.
        for name in [
            "adds numbers",
            "top level throws. top level throws ",
            " \t a\u{1f}",
            "a\0b",
            "",
            "   ",
        ] {
            assert_eq!(case_summary(name), stored_name(name, 255), "{name:?}");
            assert!(!is_shortened(name));
        }
        assert_eq!(case_summary(" \t a\u{1f}"), "a");
        assert_eq!(case_summary("a\0b"), "ab");
        let exactly = "x".repeat(255);
        assert_eq!(case_summary(&exactly), exactly);
        assert!(!is_shortened(&exactly));
        let with_spaces = format!("  {}  ", "é".repeat(255));
        assert_eq!(case_summary(&with_spaces), "é".repeat(255));
        assert!(!is_shortened(&with_spaces));
    }

    #[test]
    fn long_names_get_a_prefix_and_the_hash_of_the_whole_name() {
        let name = format!("{} tail", "x".repeat(254));
        let summary = case_summary(&name);
        assert!(is_shortened(&name));
        assert_eq!(chars(&summary), 255, "{summary}");
        let hash = format!("{:016x}", fnv1a_64(name.as_bytes()));
        assert!(summary.ends_with(&format!("… [h:{hash}]")), "{summary}");
        assert!(summary.starts_with(&"x".repeat(233)), "{summary}");
        // Leading and trailing white space do not change the hash.
        assert_eq!(case_summary(&format!("  {name}\n")), summary);
    }

    #[test]
    fn same_name_same_summary_distinct_names_distinct_summaries() {
        let base = "Namespace.Tests.ParserTests.Parses<System.Collections.Generic.Dictionary\
                    <System.String, System.Collections.Generic.List<System.Int32>>>";
        let mut seen = HashSet::new();
        for i in 0..2000 {
            // Names that differ only at the very end.
            let name = format!("{base}(input: \"{}\", case: {i})", "a".repeat(150));
            let summary = case_summary(&name);
            assert_eq!(summary, case_summary(&name));
            assert!(chars(&summary) <= 255, "{summary}");
            assert!(seen.insert(summary.clone()), "two names share {summary}");
        }
        // Differing only in the last character, and in one byte of a multi-byte one.
        let a = format!("{}a", "y".repeat(300));
        let b = format!("{}b", "y".repeat(300));
        assert_ne!(case_summary(&a), case_summary(&b));
        let c = format!("{}é", "y".repeat(300));
        let d = format!("{}è", "y".repeat(300));
        assert_ne!(case_summary(&c), case_summary(&d));
    }

    #[test]
    fn the_prefix_ends_at_a_word_break_when_one_is_near() {
        let words = "lorem ipsum dolor sit amet ".repeat(20);
        let summary = case_summary(&words);
        let prefix = summary.split("… [h:").next().unwrap();
        assert!(
            prefix.ends_with("lorem")
                || prefix.ends_with("ipsum")
                || prefix.ends_with("dolor")
                || prefix.ends_with("sit")
                || prefix.ends_with("amet"),
            "{prefix:?}"
        );
        assert!(words.starts_with(prefix));
        assert!(!prefix.ends_with(' '));
        // A cut right after punctuation keeps it.
        let params = format!("test_x[{}]", "abc-".repeat(100));
        let prefix = case_summary(&params)
            .split("… [h:")
            .next()
            .unwrap()
            .to_owned();
        assert!(prefix.ends_with('-'), "{prefix:?}");
        // No break nearby: cut where the budget ends.
        let word = "w".repeat(400);
        let summary = case_summary(&word);
        assert_eq!(chars(&summary), 255);
        assert!(summary.starts_with(&"w".repeat(233)));
    }

    #[test]
    fn multi_byte_names_are_cut_on_character_boundaries() {
        for unit in ["é", "日本語", "🦀", "e\u{301}", "👩\u{200D}💻", "a\u{FE0F}"] {
            let name = unit.repeat(400 / chars(unit));
            let summary = case_summary(&name);
            assert!(chars(&summary) <= 255, "{unit}: {}", chars(&summary));
            assert!(summary.ends_with(']'));
            let prefix = summary.split("… [h:").next().unwrap();
            assert!(name.starts_with(prefix), "{unit}");
            let next = name[prefix.len()..].chars().next().unwrap();
            assert!(!joins_previous(next), "{unit}: cut before {next:?}");
            assert!(!prefix.ends_with('\u{200D}'), "{unit}: cut after a joiner");
        }
        assert_eq!(chars(&case_summary(&"é".repeat(300))), 255);
    }
}
