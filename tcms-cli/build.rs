//! The commit the commands are built from, for `--version`: `TCMS_GIT_COMMIT` (short hash)
//! and `TCMS_GIT_DATE` (its commit date, `YYYY-MM-DD`).
//!
//! From `git` when the sources are a checkout (a worktree too); else from the
//! `.cargo_vcs_info.json` that `cargo package` writes into a crate published from a checkout
//! (hash only); else neither is set and `--version` shows the version alone (a source
//! tarball without `.git`).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let dir = Path::new(&dir);
    if let Some((commit, date)) = from_git(dir) {
        println!("cargo:rustc-env=TCMS_GIT_COMMIT={commit}");
        println!("cargo:rustc-env=TCMS_GIT_DATE={date}");
    } else if let Some(commit) = from_vcs_info(dir) {
        println!("cargo:rustc-env=TCMS_GIT_COMMIT={commit}");
    }
}

/// `git` run in `dir`, its output trimmed, if it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn from_git(dir: &Path) -> Option<(String, String)> {
    let line = git(dir, &["log", "-1", "--format=%h %cs"])?;
    let (commit, date) = line.split_once(' ')?;
    // Built again when HEAD moves: HEAD itself, the branch it names, packed refs (the paths
    // git gives are right in a worktree too, whose `.git` is a file).
    // (Only files that exist: cargo runs the script every time for a missing one.)
    let branch = git(dir, &["symbolic-ref", "-q", "HEAD"]);
    // logs/HEAD: every commit and checkout of this worktree, also on a branch whose ref is
    // packed (not refs/heads/: other worktrees' commits would rebuild this one).
    let watched = ["HEAD", "logs/HEAD", "packed-refs"];
    for path in watched.into_iter().chain(branch.as_deref()) {
        if let Some(p) = git(dir, &["rev-parse", "--git-path", path]) {
            let p = dir.join(p);
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
    Some((commit.to_owned(), date.to_owned()))
}

/// `"sha1": "<40 hex digits>"` of `.cargo_vcs_info.json`, shortened.
fn from_vcs_info(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let after = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let start = after.find('"')? + 1;
    let sha: String = after[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (sha.len() >= 7).then(|| sha[..9.min(sha.len())].to_owned())
}
