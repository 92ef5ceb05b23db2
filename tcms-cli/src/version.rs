//! `--version`: the version and the commit the commands were built from (`build.rs`).

/// The commit's short hash, when the build knew it (a checkout, or a crate packaged from one).
pub const COMMIT: Option<&str> = option_env!("TCMS_GIT_COMMIT");

/// The commit's date (`YYYY-MM-DD`), when the build knew it (a checkout).
pub const COMMIT_DATE: Option<&str> = option_env!("TCMS_GIT_DATE");

/// `0.1.0 (1a2b3c4d5 2026-08-20)`, or the version alone when the commit is not known (a
/// source tarball without `.git`).
pub fn text(version: &str) -> String {
    match (COMMIT, COMMIT_DATE) {
        (Some(commit), Some(date)) => format!("{version} ({commit} {date})"),
        (Some(commit), None) => format!("{version} ({commit})"),
        _ => version.to_owned(),
    }
}

/// [`text`] for clap, which keeps it for the life of the process.
pub fn long(version: &str) -> &'static str {
    Box::leak(text(version).into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_names_the_commit_when_known() {
        let text = text("1.2.3");
        assert!(text.starts_with("1.2.3"), "{text}");
        match COMMIT {
            Some(commit) => assert!(text.contains(commit), "{text}"),
            None => assert_eq!(text, "1.2.3"),
        }
    }
}
