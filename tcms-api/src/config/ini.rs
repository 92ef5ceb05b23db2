//! The INI reader: Python's `configparser.ConfigParser`, as the Python `tcms-api` reads
//! `~/.tcms.conf` (the `config` crate was measured and reads such files differently).

use std::collections::{HashMap, HashSet};

use super::{DEFAULT_SECTION, MAX_INTERPOLATION_DEPTH, SECTION};

/// The sections of an INI file, read like Python's `configparser.ConfigParser` (strict, no
/// inline comments, empty lines allowed in values). Keys are lowercased; values are raw (not
/// interpolated). Errors name the line, never its text (it may hold a password).
pub(super) fn parse_ini(text: &str) -> Result<HashMap<String, HashMap<String, String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Values as lists of lines; joined at the end.
    let mut sections: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut seen_sections: HashSet<String> = HashSet::new();
    let mut seen_keys: HashSet<(String, String)> = HashSet::new();
    let mut section: Option<String> = None;
    let mut key: Option<String> = None;
    let mut indent_level = 0;

    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let stripped = line.trim();
        let comment = stripped.starts_with('#') || stripped.starts_with(';');
        if comment || stripped.is_empty() {
            // An empty line may be inside a multi-line value; trailing ones are dropped later.
            if !comment
                && let (Some(s), Some(k)) = (&section, &key)
                && let Some(lines) = sections.get_mut(s).and_then(|values| values.get_mut(k))
            {
                lines.push(String::new());
            }
            continue;
        }
        let indent = line.chars().take_while(|c| c.is_whitespace()).count();
        if let (Some(s), Some(k)) = (&section, &key)
            && indent > indent_level
        {
            if let Some(lines) = sections.get_mut(s).and_then(|values| values.get_mut(k)) {
                lines.push(stripped.to_owned());
            }
            continue;
        }
        indent_level = indent;

        if let Some(header) = section_header(stripped) {
            if header != DEFAULT_SECTION && !seen_sections.insert(header.to_owned()) {
                return Err(format!("line {number}: section [{header}] appears twice"));
            }
            sections.entry(header.to_owned()).or_default();
            section = Some(header.to_owned());
            key = None;
            continue;
        }
        let Some(current) = &section else {
            return Err(format!(
                "line {number}: expected a section header such as [{SECTION}] before any key"
            ));
        };
        let Some(delimiter) = stripped.find(['=', ':']) else {
            return Err(format!(
                "line {number}: expected `key = value`, a [section] header or a comment"
            ));
        };
        let name = stripped[..delimiter].trim_end().to_lowercase();
        if name.is_empty() {
            return Err(format!("line {number}: a value without a key"));
        }
        if !seen_keys.insert((current.clone(), name.clone())) {
            return Err(format!(
                "line {number}: `{name}` appears twice in section [{current}]"
            ));
        }
        let value = stripped[delimiter + 1..].trim().to_owned();
        sections
            .entry(current.clone())
            .or_default()
            .insert(name.clone(), vec![value]);
        key = Some(name);
    }

    Ok(sections
        .into_iter()
        .map(|(name, values)| {
            let values = values
                .into_iter()
                .map(|(k, lines)| (k, lines.join("\n").trim_end().to_owned()))
                .collect();
            (name, values)
        })
        .collect())
}

/// The name in a `[section]` line: everything up to the last `]` (Python's `\[(?P<header>.+)\]`).
pub(super) fn section_header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// Python's `BasicInterpolation`: `%%` is `%`, `%(key)s` is the (interpolated) value of `key`.
/// The reason for an error never quotes the value (it may be a password).
pub(super) fn interpolate(
    section: &HashMap<String, String>,
    value: &str,
    depth: usize,
    out: &mut String,
) -> Result<(), String> {
    if depth > MAX_INTERPOLATION_DEPTH {
        return Err(format!(
            "`%(...)s` references nest more than {MAX_INTERPOLATION_DEPTH} deep (a loop?)"
        ));
    }
    let mut rest = value;
    while let Some(percent) = rest.find('%') {
        out.push_str(&rest[..percent]);
        rest = &rest[percent + 1..];
        if let Some(after) = rest.strip_prefix('%') {
            out.push('%');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('(') {
            let reference = after
                .find(')')
                .filter(|&close| close > 0 && after[close + 1..].starts_with('s'));
            let Some(close) = reference else {
                return Err("a `%(` must form `%(key)s`; write `%%` for a literal `%`".to_owned());
            };
            let name = after[..close].to_lowercase();
            rest = &after[close + 2..];
            let Some(referenced) = section.get(&name) else {
                return Err(format!(
                    "a `%(key)s` reference names a key that is not in [{SECTION}]; \
                     write `%%` for a literal `%`"
                ));
            };
            interpolate(section, referenced, depth + 1, out)?;
        } else {
            return Err(
                "a `%` must be followed by `%` or `(`; write `%%` for a literal `%`".into(),
            );
        }
    }
    out.push_str(rest);
    Ok(())
}
