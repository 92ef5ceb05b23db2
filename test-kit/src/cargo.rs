//! Generated crates built and run by the end-to-end tests (the harness's, `tcms`'s): files
//! written only when they change (so cargo does not rebuild), and `cargo` commands whose
//! environment holds nothing of the person or CI job running the tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Writes `content` to `path` (and its folders) unless the file already holds it.
pub fn write_if_changed(path: &Path, content: &str) {
    if std::fs::read_to_string(path).ok().as_deref() == Some(content) {
        return;
    }
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, content).expect("write");
}

/// Where the generated crates share their builds (one target directory for every test
/// binary that builds them, below cargo's `CARGO_TARGET_TMPDIR`, `target/tmp`).
pub fn shared_target(tmpdir: &Path) -> PathBuf {
    tmpdir.join("plugin-cargo-test").join("e2e-target")
}

/// A child process with a clean environment: no `TCMS_*`, nextest or `GITHUB_*` variable of
/// this process, `HOME` = `home` (no `.tcms.conf`, so a developer's own Kiwi TCMS is never
/// used) with cargo's and rustup's homes kept, the generated crates' shared target directory
/// below `tmpdir`, no colours, no backtraces, nothing on stdin.
pub fn clean(cmd: &mut Command, home: &Path, tmpdir: &Path) {
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("TCMS_") || text.starts_with("NEXTEST") || text.starts_with("GITHUB_") {
            cmd.env_remove(&name);
        }
    }
    let own_home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| own_home.join(".cargo"));
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| own_home.join(".rustup"));
    std::fs::create_dir_all(home).expect("mkdir home");
    cmd.env("HOME", home)
        .env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .env("CARGO_TARGET_DIR", shared_target(tmpdir))
        .env("CARGO_TERM_COLOR", "never")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null());
}

/// `cargo` (the one running the tests) in `dir`, with [`clean`]'s environment.
pub fn cargo_in(dir: &Path, home: &Path, tmpdir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    clean(&mut cmd, home, tmpdir);
    cmd.current_dir(dir);
    cmd
}
