//! Profiles: the configuration a set of results belongs to (`py312-linux`, or
//! `python=3.12,os=linux`), kept apart in Kiwi so that one profile's results never replace
//! another's (testrepository's profiles).
//!
//! Where a profile is recorded, so that a reader sees it and queries find it:
//!
//! - the run's tag [`Profile::tag`] (`tcms-profile:<name>`) and a line of its notes
//!   (`profile: <name>`), on every server;
//! - on Kiwi ≥ 15.3, each execution's property [`Profile::PROPERTY`] (`profile=<name>`), and one
//!   property per `key=value` pair.

use std::fmt;

use super::settings::SettingsError;

/// A profile: a name, or `key=value` pairs (then the name is the pairs sorted by key, joined
/// with `,`, so `os=linux,python=3.12` and `python=3.12,os=linux` are one profile).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Profile {
    name: String,
    pairs: Vec<(String, String)>,
}

impl Profile {
    /// The execution property that holds the profile's name.
    pub const PROPERTY: &'static str = "profile";

    /// The prefix of the run tag that names a profile.
    pub const TAG_PREFIX: &'static str = "tcms-profile:";

    /// Reads `py312-linux` or `python=3.12,os=linux`. Surrounding spaces are dropped; an empty
    /// text, an empty key, or a character Kiwi's tags cannot hold (a comma in a plain name) is
    /// refused.
    pub fn parse(text: &str) -> Result<Self, SettingsError> {
        let invalid = |reason: &str| SettingsError::InvalidProfile {
            value: text.to_owned(),
            reason: reason.to_owned(),
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(invalid("it is empty"));
        }
        if !text.contains('=') {
            if text.contains(',') {
                return Err(invalid("a name without `=` cannot hold a comma"));
            }
            return Ok(Self {
                name: text.to_owned(),
                pairs: Vec::new(),
            });
        }
        let mut pairs = Vec::new();
        for part in text.split(',') {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| invalid("every part of `key=value,key=value` needs a `=`"))?;
            let (key, value) = (key.trim(), value.trim());
            if key.is_empty() {
                return Err(invalid("a key is empty"));
            }
            if pairs.iter().any(|(k, _): &(String, String)| k == key) {
                return Err(invalid("a key is given twice"));
            }
            pairs.push((key.to_owned(), value.to_owned()));
        }
        pairs.sort();
        let name = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        Ok(Self { name, pairs })
    }

    /// The canonical name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `key=value` pairs, sorted by key (empty for a plain name).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The run tag that records it: `tcms-profile:<name>`.
    pub fn tag(&self) -> String {
        format!("{}{}", Self::TAG_PREFIX, self.name)
    }

    /// The profile a run tag names, if it is a profile tag.
    pub fn from_tag(tag: &str) -> Option<Self> {
        tag.strip_prefix(Self::TAG_PREFIX)
            .and_then(|name| Self::parse(name).ok())
    }

    /// The execution properties that record it: `profile=<name>`, then each pair.
    pub fn properties(&self) -> Vec<(String, String)> {
        let mut out = vec![(Self::PROPERTY.to_owned(), self.name.clone())];
        out.extend(self.pairs.iter().cloned());
        out
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_pairs() {
        let p = Profile::parse(" py312-linux ").unwrap();
        assert_eq!(p.name(), "py312-linux");
        assert!(p.pairs().is_empty());
        assert_eq!(p.tag(), "tcms-profile:py312-linux");
        let q = Profile::parse("python=3.12, os=linux").unwrap();
        assert_eq!(q.name(), "os=linux,python=3.12");
        assert_eq!(q, Profile::parse("os=linux,python=3.12").unwrap());
        assert_eq!(Profile::from_tag(&q.tag()), Some(q.clone()));
        assert_eq!(Profile::from_tag("tcms-run-key:x"), None);
        assert_eq!(
            q.properties(),
            vec![
                ("profile".to_owned(), "os=linux,python=3.12".to_owned()),
                ("os".to_owned(), "linux".to_owned()),
                ("python".to_owned(), "3.12".to_owned()),
            ]
        );
        for bad in ["", " ", "a,b", "=x", "a=1,a=2", "a=1,b"] {
            assert!(Profile::parse(bad).is_err(), "{bad:?}");
        }
    }
}
