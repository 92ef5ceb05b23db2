//! Which trials run: the command line's filters (several, as libtest takes them) and
//! [`EnvVars::TCMS_SHARD`] (only shard I of N, split as `tcms shard` splits).

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches};
use tcms_api::env::EnvVars;
use tcms_api::history::{DEFAULT_DURATION_RUNS, Durations, History, HistoryError, Scope, split};
use tcms_api::{Client, Config};

/// The harness's command line: libtest-mimic's [`libtest_mimic::Arguments`] (reached through
/// `Deref`), plus every filter given, since libtest takes several: `cargo test --test it --
/// --exact a::b c::d` runs exactly those two (what `tcms failing --format cargo` prints).
///
/// ```
/// use tcms_cargo_test::Arguments;
///
/// let args = Arguments::from_iter(["checks", "--exact", "a::b", "c::d"]);
/// assert_eq!(args.filters(), ["a::b", "c::d"]);
/// assert!(args.exact);
/// let one = Arguments::from_iter(["checks", "parser"]);
/// assert_eq!(one.filter.as_deref(), Some("parser"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Arguments {
    inner: libtest_mimic::Arguments,
    filters: Vec<String>,
}

impl Arguments {
    /// Parses the process's arguments (`--help` and errors exit, as libtest's do).
    pub fn from_args() -> Self {
        Self::from_iter(std::env::args_os())
    }

    /// Parses `iter` (the first item is the program name).
    // The name of libtest-mimic's own constructor, which code written for it calls.
    #[allow(clippy::should_implement_trait)]
    pub fn from_iter<I>(iter: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<std::ffi::OsString> + Clone,
    {
        let command = libtest_mimic::Arguments::command()
            .mut_arg("filter", |a| {
                a.num_args(0..).action(clap::ArgAction::Append)
            })
            .override_usage("[OPTIONS] [FILTER]...");
        let mut matches = match command.try_get_matches_from(iter) {
            Ok(m) => m,
            Err(e) => e.exit(),
        };
        let filters: Vec<String> = matches
            .remove_many::<String>("filter")
            .map(Iterator::collect)
            .unwrap_or_default();
        let mut inner = match libtest_mimic::Arguments::from_arg_matches(&matches) {
            Ok(a) => a,
            Err(e) => e.exit(),
        };
        if let [one] = filters.as_slice() {
            inner.filter = Some(one.clone());
        }
        Self { inner, filters }
    }

    /// Every filter given (a test runs when it matches any).
    pub fn filters(&self) -> &[String] {
        &self.filters
    }

    /// True when `trial` is not selected by the filters and `--skip` (as libtest decides,
    /// for any number of filters).
    pub(crate) fn is_filtered_out(&self, trial: &libtest_mimic::Trial) -> bool {
        if self.filters.len() <= 1 {
            return self.inner.is_filtered_out(trial);
        }
        self.filters.iter().all(|filter| {
            let mut one = self.inner.clone();
            one.filter = Some(filter.clone());
            one.is_filtered_out(trial)
        })
    }

    /// The arguments for libtest-mimic once the harness selected the trials itself: without
    /// the filter (`--skip` has been applied too, and applies again harmlessly).
    pub(crate) fn without_filters(&self) -> libtest_mimic::Arguments {
        let mut inner = self.inner.clone();
        inner.filter = None;
        inner
    }

    /// True when libtest-mimic cannot filter on its own (several filters).
    pub(crate) fn has_several_filters(&self) -> bool {
        self.filters.len() > 1
    }
}

impl Deref for Arguments {
    type Target = libtest_mimic::Arguments;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl DerefMut for Arguments {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

impl From<libtest_mimic::Arguments> for Arguments {
    fn from(inner: libtest_mimic::Arguments) -> Self {
        let filters = inner.filter.iter().cloned().collect();
        Self { inner, filters }
    }
}

impl From<&Arguments> for Arguments {
    fn from(args: &Arguments) -> Self {
        args.clone()
    }
}

impl From<&libtest_mimic::Arguments> for Arguments {
    fn from(args: &libtest_mimic::Arguments) -> Self {
        args.clone().into()
    }
}

/// What [`EnvVars::TCMS_SHARD`] asks for: shard `index` (from 1) of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShardSpec {
    pub(crate) index: usize,
    pub(crate) total: usize,
}

/// [`EnvVars::TCMS_SHARD`], read: `None` when unset or empty.
pub(crate) fn shard_spec(value: Option<&str>) -> Result<Option<ShardSpec>, String> {
    let Some(text) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    tcms_api::history::parse_shard(text)
        .map(|(index, total)| Some(ShardSpec { index, total }))
        .map_err(|e| format!("{}: {e}", EnvVars::TCMS_SHARD))
}

/// Where the durations of a split came from.
#[derive(Debug)]
pub(crate) enum Source {
    /// Read from Kiwi TCMS.
    History(Durations),
    /// No history was read: split by count, with the reason.
    Count(String),
}

/// The durations to split by: from the history of the scope the environment names (every
/// profile's, or `TCMS_PROFILE`'s; the run and build left out), when `read` is true; else,
/// or when the server cannot say, none.
pub(crate) fn durations(read: bool) -> Source {
    if !read {
        return Source::Count(format!("{} is off", EnvVars::TCMS_REPORT));
    }
    match read_durations() {
        Ok(d) if d.is_empty() => Source::Count("no durations in the history yet".to_owned()),
        Ok(d) => Source::History(d),
        Err(reason) => Source::Count(reason),
    }
}

fn read_durations() -> Result<Durations, String> {
    let scope = Scope::from_env()
        .map_err(|e| e.to_string())?
        .for_durations();
    let config = Config::load().map_err(|e| e.to_string())?;
    let client = Client::builder()
        .config(config)
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .max_retries(1)
        .user_agent(format!("tcms-cargo-test/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(async {
        let history = History::new(client, scope);
        let read = history.durations(DEFAULT_DURATION_RUNS);
        match tokio::time::timeout(Duration::from_secs(60), read).await {
            Ok(Ok(d)) => Ok(d),
            Ok(Err(HistoryError::NoRuns { .. } | HistoryError::NoRunsOfProfile { .. })) => {
                Ok(Durations::new())
            }
            Ok(Err(e)) => Err(format!("cannot read the history: {e}")),
            Err(_) => Err("reading the history took over 60 s".to_owned()),
        }
    })
}

/// The indices of `names` in shard `spec`, and the message that says what was filtered.
pub(crate) fn shard_of(names: &[String], spec: ShardSpec, source: &Source) -> (Vec<usize>, String) {
    let empty = Durations::new();
    let durations = match source {
        Source::History(d) => d,
        Source::Count(_) => &empty,
    };
    let mine = match split(names, durations, spec.total) {
        Ok(mut shards) => shards.swap_remove(spec.index - 1),
        // `spec` was checked when read: every shard exists.
        Err(_) => return ((0..names.len()).collect(), String::new()),
    };
    let wanted: std::collections::HashSet<&str> = mine.tests.iter().map(String::as_str).collect();
    let mut seen = std::collections::HashSet::new();
    let keep: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| wanted.contains(n.as_str()) && seen.insert(n.as_str()))
        .map(|(i, _)| i)
        .collect();
    let how = match source {
        Source::History(d) => format!(
            "balanced by their durations in Kiwi TCMS ({} of {} with history, from {} runs; \
             this shard ~{:.1} s)",
            names.len() - count_without(names, d),
            names.len(),
            d.runs(),
            mine.estimated.as_secs_f64()
        ),
        Source::Count(reason) => format!("split by count ({reason})"),
    };
    let message = format!(
        "tcms-cargo-test: {}={}/{}: running {} of {} tests, {how}",
        EnvVars::TCMS_SHARD,
        spec.index,
        spec.total,
        keep.len(),
        names.len()
    );
    (keep, message)
}

fn count_without(names: &[String], durations: &Durations) -> usize {
    names.iter().filter(|n| durations.get(n).is_none()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_filters_select_like_libtest() {
        let args = Arguments::from_iter(["t", "--exact", "a::b", "c"]);
        let trial = |name: &str| libtest_mimic::Trial::test(name, || Ok(()));
        assert!(!args.is_filtered_out(&trial("a::b")));
        assert!(!args.is_filtered_out(&trial("c")));
        assert!(args.is_filtered_out(&trial("a::bc")));
        assert!(args.has_several_filters());
        assert_eq!(args.without_filters().filter, None);
        let substring = Arguments::from_iter(["t", "a", "zz", "--skip", "a::x"]);
        assert!(!substring.is_filtered_out(&trial("a::b")));
        assert!(substring.is_filtered_out(&trial("a::x")));
        assert!(substring.is_filtered_out(&trial("b")));
        let none = Arguments::from_iter(["t", "--list"]);
        assert!(none.list && none.filters().is_empty());
        assert!(!none.is_filtered_out(&trial("anything")));
        let from: Arguments = libtest_mimic::Arguments {
            filter: Some("x".into()),
            ..Default::default()
        }
        .into();
        assert_eq!(from.filters(), ["x"]);
    }

    #[test]
    fn shard_specs() {
        assert_eq!(shard_spec(None), Ok(None));
        assert_eq!(shard_spec(Some(" ")), Ok(None));
        assert_eq!(
            shard_spec(Some("2/3")),
            Ok(Some(ShardSpec { index: 2, total: 3 }))
        );
        let err = shard_spec(Some("4/3")).unwrap_err();
        assert!(
            err.starts_with("TCMS_SHARD: \"4/3\" is not a shard"),
            "{err}"
        );
    }

    #[test]
    fn shards_by_count_cover_the_names_once() {
        let names: Vec<String> = (0..7).map(|i| format!("it::t{i}")).collect();
        let mut all = Vec::new();
        for index in 1..=3 {
            let spec = ShardSpec { index, total: 3 };
            let (keep, message) =
                shard_of(&names, spec, &Source::Count("TCMS_REPORT is off".into()));
            assert!(
                message.starts_with(&format!("tcms-cargo-test: TCMS_SHARD={index}/3: running ")),
                "{message}"
            );
            assert!(
                message.ends_with("split by count (TCMS_REPORT is off)"),
                "{message}"
            );
            all.extend(keep);
        }
        all.sort_unstable();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        let mut durations = Durations::new();
        durations.insert("it::t0", Duration::from_secs(9));
        let (keep, message) = shard_of(
            &names,
            ShardSpec { index: 1, total: 2 },
            &Source::History(durations),
        );
        assert_eq!(keep[0], 0);
        assert!(
            message.contains("balanced by their durations in Kiwi TCMS (1 of 7 with history"),
            "{message}"
        );
    }
}
