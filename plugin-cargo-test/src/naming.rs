//! How test cases are named in Kiwi TCMS: `<target>::<test name>`.
//!
//! The **target** is the name of the Cargo target whose test binary ran the test, as Cargo
//! names the binary without its hash suffix: `tests/it.rs` is `it`, the unit tests of the
//! library of `my-crate` are `my_crate`, a binary `src/bin/tool.rs` is `tool`, the doc-tests
//! of `my-crate` are `my_crate` (`Doc-tests my_crate`). Dashes become underscores, as in
//! Cargo's file names, so `cargo test`, `cargo nextest run` and the harness give one test the
//! same name.

/// Between the target and the test name.
pub const SEPARATOR: &str = "::";

/// The target of a test binary, from its path: the file name without directory, `.exe` and
/// Cargo's `-<hash>` suffix (`target/debug/deps/my_crate-0f1e2d3c4b5a6978` is `my_crate`).
///
/// ```
/// use tcms_cargo_test::naming::target_of_binary;
///
/// assert_eq!(target_of_binary("target/debug/deps/it-0ddca08fee548bda"), "it");
/// assert_eq!(target_of_binary(r"target\debug\deps\my_crate-0ddca08fee548bda.exe"), "my_crate");
/// assert_eq!(target_of_binary("/usr/local/bin/custom-runner"), "custom_runner");
/// ```
pub fn target_of_binary(path: &str) -> String {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let file = file.strip_suffix(".exe").unwrap_or(file);
    let stem = match file.rsplit_once('-') {
        Some((stem, hash)) if !stem.is_empty() && is_hash(hash) => stem,
        _ => file,
    };
    normalize_target(stem)
}

/// The target of a nextest binary id: `my-crate` (the library's unit tests) is `my_crate`,
/// `my-crate::it` is `it`, `my-crate::bin/tool` is `tool`.
///
/// ```
/// use tcms_cargo_test::naming::target_of_nextest_binary_id;
///
/// assert_eq!(target_of_nextest_binary_id("demo-crate"), "demo_crate");
/// assert_eq!(target_of_nextest_binary_id("demo-crate::my-test"), "my_test");
/// assert_eq!(target_of_nextest_binary_id("demo-crate::bin/tool"), "tool");
/// ```
pub fn target_of_nextest_binary_id(id: &str) -> String {
    match id.split_once(SEPARATOR) {
        None => normalize_target(id),
        Some((_, rest)) => normalize_target(rest.rsplit_once('/').map_or(rest, |(_, name)| name)),
    }
}

/// A target name as Cargo writes it in file names: dashes become underscores.
pub fn normalize_target(name: &str) -> String {
    name.trim().replace('-', "_")
}

/// `<target>::<test>`, or the test name alone when the target is unknown.
pub fn case_name(target: Option<&str>, test: &str) -> String {
    match target {
        Some(t) if !t.is_empty() => format!("{t}{SEPARATOR}{test}"),
        _ => test.to_owned(),
    }
}

/// Cargo's metadata hash: 16 lowercase hex digits (8 to 32 accepted).
fn is_hash(s: &str) -> bool {
    (8..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_names() {
        assert_eq!(
            target_of_binary("target/debug/deps/demo_crate-194e5f239690026b"),
            "demo_crate"
        );
        assert_eq!(
            target_of_binary("/tmp/t/debug/deps/other_suite-1dffbec6c92d9155"),
            "other_suite"
        );
        // No hash: the whole name; a dash that is not a hash stays (as an underscore).
        assert_eq!(target_of_binary("harness-demo"), "harness_demo");
        assert_eq!(target_of_binary("x-notahash"), "x_notahash");
        assert_eq!(target_of_binary("-0ddca08fee548bda"), "_0ddca08fee548bda");
    }

    #[test]
    fn case_names() {
        assert_eq!(case_name(Some("it"), "a::b"), "it::a::b");
        assert_eq!(case_name(None, "a::b"), "a::b");
        assert_eq!(case_name(Some(""), "t"), "t");
    }
}
