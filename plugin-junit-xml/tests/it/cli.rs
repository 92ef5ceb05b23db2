//! The command line's habits, on the real binary: `--version` with the commit, `--color`
//! and `NO_COLOR` for clap's own help, `--generate` for completions and the man page.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tcms-junit-xml");

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().env("HOME", "/nonexistent-home").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn version_names_the_commit() {
    let (code, text) = run(&["--version"], &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        text.trim(),
        format!(
            "tcms-junit-xml {}",
            tcms_cli::version::text(env!("CARGO_PKG_VERSION"))
        )
    );
    // Built from a checkout (CI clones have .git): the commit is known.
    if std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.git")
        .exists()
    {
        assert!(tcms_cli::version::COMMIT.is_some(), "{text}");
        assert!(text.contains(" ("), "{text}");
    }
}

#[test]
fn color_follows_the_option_then_no_color() {
    let escape = "\u{1b}[";
    let (_, always) = run(&["--help", "--color", "always"], &[("NO_COLOR", "1")]);
    assert!(always.contains(escape), "{always}");
    let (_, never) = run(&["--help", "--color=never"], &[]);
    assert!(!never.contains(escape), "{never}");
    // Not a terminal, and NO_COLOR: no colour either way.
    let (_, auto) = run(&["--help"], &[("NO_COLOR", "1")]);
    assert!(!auto.contains(escape), "{auto}");
    // Errors of the parser too.
    let (code, error) = run(&["--no-such-option", "--color=always"], &[]);
    assert_eq!(code, 2, "{error}");
    assert!(error.contains(escape), "{error}");
}

#[test]
fn generate_prints_completions_and_the_man_page() {
    for (what, start) in [
        ("bash", "complete -F _tcms__junit__xml"),
        ("zsh", "#compdef tcms-junit-xml"),
        ("fish", "complete -c tcms-junit-xml"),
        ("man", ".ie \\n(.g .ds Aq"),
    ] {
        let (code, text) = run(&["--generate", what], &[]);
        assert_eq!(code, 0, "{what}: {text}");
        let option = if what == "man" {
            "summary\\-md"
        } else {
            "summary-md"
        };
        assert!(text.contains(option), "{what}: {text}");
        assert!(text.contains(start), "{what}: {text}");
        assert!(
            !text.contains("shell completions"),
            "hidden: {what}: {text}"
        );
    }
    let (code, text) = run(&["--generate", "man", "x.xml"], &[]);
    assert_eq!(code, 2, "--generate stands alone: {text}");
}
