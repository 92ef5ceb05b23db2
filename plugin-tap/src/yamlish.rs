//! A tolerant reader for the top level of a TAP YAML diagnostic block.
//!
//! TAP 13 calls these blocks "YAMLish": producers write them by hand, and some write things
//! that are not YAML at all. A full YAML parser would reject such a block as a whole; this
//! reader only needs a few top-level keys (`message`, `severity`, `at`, `duration_ms`, ...), so
//! it reads `key: value` pairs line by line and keeps nested values as their raw text. A line
//! it cannot read is skipped. The caller keeps the whole block text anyway.
//!
//! Supported scalars: plain (folded over continuation lines, ` #` comments removed),
//! single-quoted (`''`), double-quoted (the usual escapes), literal `|` and folded `>` block
//! scalars with chomping and indentation indicators, and flow collections (`{..}`, `[..]`)
//! kept as raw text.

/// One top-level value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A scalar, unquoted and unescaped.
    Scalar(String),
    /// A nested mapping or sequence: its lines, dedented.
    Nested(String),
}

impl Value {
    /// The scalar text, or the raw nested text.
    pub(crate) fn text(&self) -> &str {
        match self {
            Value::Scalar(s) | Value::Nested(s) => s,
        }
    }
}

/// The top-level `key: value` pairs of `lines`, in order.
pub(crate) fn top_level(lines: &[&str]) -> Vec<(String, Value)> {
    let content = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let Some(base) = lines.iter().find(|l| content(l)).map(|l| indent(l)) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if !content(line) || indent(line) != base {
            continue;
        }
        let Some((key, value)) = split_key(&line[base..]) else {
            continue;
        };
        // Continuation lines: blank or more indented; a sequence may also sit at the key's
        // own indentation when the value is empty (`args:` / `- a`).
        let start = i;
        while i < lines.len() {
            let next = lines[i];
            let deeper = next.trim().is_empty() || indent(next) > base;
            let same_level_item = value.is_empty()
                && indent(next) == base
                && (next[base..].starts_with("- ") || next[base..].trim_end() == "-");
            if !(deeper || same_level_item) {
                break;
            }
            i += 1;
        }
        let mut continuation = &lines[start..i];
        while let Some((last, rest)) = continuation.split_last()
            && last.trim().is_empty()
        {
            continuation = rest;
        }
        entries.push((key, value_of(value, continuation)));
    }
    entries
}

/// The first value of `key`.
pub(crate) fn get<'a>(entries: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `key: value` / `key:` / `"quoted key": value`.
fn split_key(line: &str) -> Option<(String, &str)> {
    let line = line.trim_end();
    if line.starts_with("- ") || line == "-" {
        return None;
    }
    if let Some(quote @ ('"' | '\'')) = line.chars().next() {
        let (key, rest) = quoted(line, quote)?;
        let rest = rest.trim_start().strip_prefix(':')?;
        return Some((key, rest.trim()));
    }
    let mut search = 0;
    while let Some(pos) = line[search..].find(':') {
        let colon = search + pos;
        let after = &line[colon + 1..];
        if after.is_empty() || after.starts_with([' ', '\t']) {
            let key = line[..colon].trim();
            if key.is_empty() {
                return None;
            }
            return Some((key.to_owned(), after.trim()));
        }
        search = colon + 1;
    }
    None
}

fn value_of(first: &str, continuation: &[&str]) -> Value {
    if let Some(header) = first.strip_prefix(['|', '>']) {
        let folded = first.starts_with('>');
        return Value::Scalar(block_scalar(header, folded, continuation));
    }
    if first.is_empty() {
        if continuation.is_empty() {
            return Value::Scalar(String::new());
        }
        return Value::Nested(dedent(continuation).join("\n"));
    }
    let joined = || {
        let mut text = first.to_owned();
        for line in continuation {
            let line = line.trim();
            if line.is_empty() {
                text.push('\n');
            } else {
                if !text.ends_with('\n') {
                    text.push(' ');
                }
                text.push_str(line);
            }
        }
        text
    };
    match first.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let text = joined();
            match quoted(&text, quote) {
                Some((value, _)) => Value::Scalar(value),
                // Unbalanced quotes: keep what was written.
                None => Value::Scalar(text),
            }
        }
        Some('{' | '[') => Value::Scalar(joined()),
        _ => Value::Scalar(strip_comment(&joined()).trim().to_owned()),
    }
}

/// A quoted scalar at the start of `text`: its value and what follows the closing quote.
fn quoted(text: &str, quote: char) -> Option<(String, &str)> {
    let body = text.strip_prefix(quote)?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if quote == '\'' && body[i + 1..].starts_with('\'') {
                out.push('\'');
                chars.next();
                continue;
            }
            return Some((out, &body[i + 1..]));
        }
        if quote == '"' && c == '\\' {
            let (_, escape) = chars.next()?;
            match escape {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'x' | 'u' | 'U' => {
                    let len = match escape {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let start = i + 2;
                    let hex = body.get(start..start + len)?;
                    let c = u32::from_str_radix(hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .unwrap_or(char::REPLACEMENT_CHARACTER);
                    out.push(c);
                    for _ in 0..len {
                        chars.next();
                    }
                }
                other => out.push(other),
            }
            continue;
        }
        out.push(c);
    }
    None
}

/// `| `, `|-`, `|+`, `>2-` ...: the header after the indicator, and the block's lines.
fn block_scalar(header: &str, folded: bool, lines: &[&str]) -> String {
    let header = strip_comment(header).trim();
    // Chomping: `+` keeps the final line breaks; clip (the default) and `-` drop them here,
    // since every caller trims the end anyway.
    let keep = header.contains('+');
    let lines = dedent(lines);
    let mut text = if folded {
        let mut out = String::new();
        let mut previous_blank = true;
        for line in &lines {
            if line.is_empty() {
                out.push('\n');
                previous_blank = true;
            } else if line.starts_with([' ', '\t']) {
                // More indented lines are kept as they are.
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(line);
                out.push('\n');
                previous_blank = true;
            } else {
                if !previous_blank {
                    out.push(' ');
                }
                out.push_str(line);
                previous_blank = false;
            }
        }
        out
    } else {
        lines.join("\n")
    };
    if !keep {
        let trimmed = text.trim_end_matches('\n').len();
        text.truncate(trimmed);
    }
    text
}

/// The lines without their common indentation (blank lines become empty).
fn dedent<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let common = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent(l))
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                ""
            } else {
                l.get(common..).unwrap_or(l).trim_end()
            }
        })
        .collect()
}

/// A plain scalar's ` #` comment removed.
fn strip_comment(text: &str) -> &str {
    let mut previous_space = true;
    for (i, c) in text.char_indices() {
        if c == '#' && previous_space {
            return &text[..i];
        }
        previous_space = c == ' ' || c == '\t';
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, Value)> {
        let lines: Vec<&str> = text.lines().collect();
        top_level(&lines)
    }

    fn scalar(s: &str) -> Value {
        Value::Scalar(s.to_owned())
    }

    #[test]
    fn scalars() {
        let entries = read(
            "message: 'It''s broken'\n\
             severity: fail\n\
             quoted: \"tab\\there \\\"q\\\" \\u00e9 \\x41\"\n\
             plain: a value # with a comment\n\
             url: http://example.com/#frag\n\
             duration_ms: 0.5\n\
             empty:\n\
             flow: {a: 1, b: [2, 3]}\n",
        );
        assert_eq!(get(&entries, "message"), Some(&scalar("It's broken")));
        assert_eq!(get(&entries, "severity"), Some(&scalar("fail")));
        assert_eq!(
            get(&entries, "quoted"),
            Some(&scalar("tab\there \"q\" é A"))
        );
        assert_eq!(get(&entries, "plain"), Some(&scalar("a value")));
        assert_eq!(
            get(&entries, "url"),
            Some(&scalar("http://example.com/#frag"))
        );
        assert_eq!(get(&entries, "duration_ms"), Some(&scalar("0.5")));
        assert_eq!(get(&entries, "empty"), Some(&scalar("")));
        assert_eq!(get(&entries, "flow"), Some(&scalar("{a: 1, b: [2, 3]}")));
    }

    #[test]
    fn block_scalars() {
        let entries = read(
            "error: |-\n  first line\n  \n  third line\n  \n\
             stack: |\n    indented more\n      deeper\n\
             folded: >-\n  one\n  two\n\n  three\n\
             name: after\n",
        );
        assert_eq!(
            get(&entries, "error"),
            Some(&scalar("first line\n\nthird line"))
        );
        assert_eq!(
            get(&entries, "stack"),
            Some(&scalar("indented more\n  deeper"))
        );
        assert_eq!(get(&entries, "folded"), Some(&scalar("one two\nthree")));
        assert_eq!(get(&entries, "name"), Some(&scalar("after")));
    }

    #[test]
    fn nested_values_and_base_indentation() {
        // tape indents the whole block by two more spaces.
        let entries = read(
            "  operator: equal\n  at:\n    file: t/x.js\n    line: 3\n  args:\n  - a\n  - b\n  actual:   4\n",
        );
        assert_eq!(get(&entries, "operator"), Some(&scalar("equal")));
        assert_eq!(
            get(&entries, "at"),
            Some(&Value::Nested("file: t/x.js\nline: 3".into()))
        );
        assert_eq!(
            get(&entries, "args"),
            Some(&Value::Nested("- a\n- b".into()))
        );
        assert_eq!(get(&entries, "actual"), Some(&scalar("4")));
    }

    #[test]
    fn garbage_is_skipped_not_fatal() {
        let entries =
            read("this is: not: really: yaml\n- [unbalanced\n'open quote: x\nok: 'unclosed\n");
        assert_eq!(get(&entries, "this is"), Some(&scalar("not: really: yaml")));
        assert_eq!(get(&entries, "ok"), Some(&scalar("'unclosed")));
        assert!(read("").is_empty());
        assert!(read("   \n# only a comment\n").is_empty());
        assert_eq!(read("\"bad \\x\": 1").len(), 0);
        assert_eq!(
            read("k: \"\\u12\"").first().map(|(_, v)| v.text()),
            Some("\"\\u12\"")
        );
    }
}
