//! [`ByProfile`]: one value per profile, "no profile" included.

use std::collections::BTreeMap;

use super::error::HistoryError;
use crate::report::Profile;

/// How "no profile" (runs without a `tcms-profile:` tag) is written in messages and tables.
pub const NO_PROFILE: &str = "(no profile)";

/// The name of a profile for messages and tables: its name, or [`NO_PROFILE`].
pub fn profile_label(profile: Option<&Profile>) -> String {
    profile.map_or_else(|| NO_PROFILE.to_owned(), |p| p.name().to_owned())
}

/// The key of a profile in the JSON documents: its name, or `""` for no profile (a profile
/// name is never empty).
pub fn profile_key(profile: Option<&Profile>) -> String {
    profile.map_or_else(String::new, |p| p.name().to_owned())
}

/// One value per profile of a scope, ordered by profile name, "no profile" (`None`) first.
#[derive(Debug, Clone, PartialEq)]
pub struct ByProfile<T> {
    map: BTreeMap<Option<Profile>, T>,
}

impl<T> Default for ByProfile<T> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
        }
    }
}

impl<T> ByProfile<T> {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value of `profile`.
    pub fn insert(&mut self, profile: Option<Profile>, value: T) {
        self.map.insert(profile, value);
    }

    /// The value of `profile` (`None`: no profile).
    pub fn get(&self, profile: Option<&Profile>) -> Option<&T> {
        self.map.get(&profile.cloned())
    }

    /// Every profile and its value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Option<&Profile>, &T)> {
        self.map.iter().map(|(p, v)| (p.as_ref(), v))
    }

    /// How many profiles.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when there is no profile at all.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The profiles, as [`profile_label`] writes them.
    pub fn labels(&self) -> Vec<String> {
        self.map.keys().map(|p| profile_label(p.as_ref())).collect()
    }

    /// The one profile and its value, for outputs that are a flat list: `Ok(None)` when
    /// there is none, [`HistoryError::SeveralProfiles`] (listing them) when there are
    /// several.
    pub fn single(&self) -> Result<Option<(Option<&Profile>, &T)>, HistoryError> {
        if self.map.len() > 1 {
            return Err(HistoryError::SeveralProfiles {
                profiles: self.labels(),
            });
        }
        Ok(self.iter().next())
    }

    /// Each value changed by `f`.
    pub fn map<U>(self, mut f: impl FnMut(Option<&Profile>, T) -> U) -> ByProfile<U> {
        ByProfile {
            map: self
                .map
                .into_iter()
                .map(|(p, v)| {
                    let u = f(p.as_ref(), v);
                    (p, u)
                })
                .collect(),
        }
    }
}

impl<T> FromIterator<(Option<Profile>, T)> for ByProfile<T> {
    fn from_iter<I: IntoIterator<Item = (Option<Profile>, T)>>(iter: I) -> Self {
        Self {
            map: iter.into_iter().collect(),
        }
    }
}

impl<T> IntoIterator for ByProfile<T> {
    type Item = (Option<Profile>, T);
    type IntoIter = std::collections::btree_map::IntoIter<Option<Profile>, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> Option<Profile> {
        Profile::parse(name).ok()
    }

    #[test]
    fn order_labels_and_single() {
        let mut by = ByProfile::new();
        by.insert(p("py34"), 2);
        by.insert(None, 0);
        by.insert(p("py27"), 1);
        assert_eq!(by.labels(), vec!["(no profile)", "py27", "py34"]);
        assert_eq!(by.get(p("py27").as_ref()), Some(&1));
        let err = by.single().unwrap_err();
        assert_eq!(
            err.to_string(),
            "the results are of 3 profiles: (no profile), py27, py34; choose one with \
             --profile (TCMS_PROFILE), or ask for --format json, which lists every profile"
        );
        let one: ByProfile<i32> = [(p("py27"), 5)].into_iter().collect();
        let (profile, value) = one.single().unwrap().unwrap();
        assert_eq!((profile.map(Profile::name), *value), (Some("py27"), 5));
        assert!(ByProfile::<i32>::new().single().unwrap().is_none());
        assert_eq!(profile_key(None), "");
        assert_eq!(profile_key(p("a=1").as_ref()), "a=1");
        let doubled = one.map(|_, v| v * 2);
        assert_eq!(doubled.get(p("py27").as_ref()), Some(&10));
    }
}
