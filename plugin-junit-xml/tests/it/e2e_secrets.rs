//! The password never appears in any output of `tcms-junit-xml`: stdout, stderr, the journal
//! and the receipt, at the highest verbosity (`-vv` and `RUST_LOG=trace`), on the success path
//! (retries and logging in again included) and on every error path the command line reaches.
//! And the warnings that protect it: a config file others can read, `TCMS_TLS_VERIFY=0`, plain
//! `http://` to another machine.
//!
//! The success paths use the real server's password; the error paths a distinctive fake one.
//! No test sends a request to anything but the loopback interface: the non-loopback URLs are
//! `.invalid` (RFC 6761, never resolves) and fail configuration before any request.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tcms_test_kit::proxy::{FaultProxy, ProxyFault};
use tcms_test_kit::server::{RealServer, real_server, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_tcms-junit-xml");

/// The fake password of the error paths.
const FAKE: &str = "S3cr3t-Pa55word";

fn server() -> RealServer {
    real_server().unwrap_or_else(|e| panic!("no Kiwi TCMS for end-to-end tests: {e}"))
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// The plugin at full verbosity, in `dir` (also its HOME), with `url`, the user `admin` and
/// `password` in the environment.
fn plugin(dir: &Path, url: &str, password: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .current_dir(dir)
        .env("HOME", dir)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "trace")
        .env("TCMS_API_URL", url)
        .env("TCMS_USERNAME", "admin")
        .env("TCMS_PASSWORD", password)
        .env("TCMS_PRODUCT", unique_name("secrets"))
        .env("TCMS_PRODUCT_VERSION", "v1")
        .env("TCMS_BUILD", "b1")
        .arg("-vv");
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Everything the run left: its output, and the journals and receipts in `dir`.
fn everything(out: &Output, dir: &Path) -> String {
    let mut all = text(out);
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            all.push_str(&format!("\n--- {name}\n"));
            all.push_str(&std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    all
}

/// Runs `cmd` and checks its exit code; returns everything it left, and whether `password`
/// (or its percent-encoded or JSON-escaped forms) appears in it.
fn run(mut cmd: Command, dir: &Path, password: &str, exit: i32, what: &str) -> (String, bool) {
    let out = cmd.output().unwrap();
    let all = everything(&out, dir);
    assert_eq!(out.status.code(), Some(exit), "{what}: {all}");
    let leaked = [
        password.to_owned(),
        password.replace('-', "%2D"),
        serde_json::to_string(password).unwrap(),
    ]
    .iter()
    .any(|form| all.contains(form.as_str()));
    (all, leaked)
}

/// [`run`], and the password must not appear; returns the output for further checks.
fn run_clean(cmd: Command, dir: &Path, password: &str, exit: i32, what: &str) -> String {
    let (all, leaked) = run(cmd, dir, password, exit, what);
    assert!(
        !leaked,
        "{what}: the password appears in the output:\n{all}"
    );
    all
}

/// A loopback port where nothing listens.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

/// A server that answers every request with HTTP 500 and the request's body in its page, as a
/// careless error page would (the body of `Auth.login` holds the password). Serves `n`
/// connections on a thread of its own.
fn echoing_500(n: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Head, then Content-Length bytes of body.
            while let Ok(k) = stream.read(&mut buf) {
                if k == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..k]);
                let text = String::from_utf8_lossy(&request).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .and_then(|v| v.trim().parse::<usize>().ok())
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&request).into_owned();
            let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
            let page = format!("<h1>Server Error (500)</h1><pre>request body: {body}</pre>");
            let answer = format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    url
}

/// A junit.xml with a failure (so that a comment is sent).
fn input(dir: &Path) -> PathBuf {
    let path = dir.join("junit.xml");
    std::fs::write(
        &path,
        "<testsuite name=\"s\"><testcase classname=\"secrets\" name=\"passes\"/>\
         <testcase classname=\"secrets\" name=\"fails\"><failure message=\"no\">trace\
         </failure></testcase></testsuite>\n",
    )
    .unwrap();
    path
}

#[test]
fn success_paths_at_trace_level_never_show_the_real_password() {
    let server = server();
    let password = server.password().expose_secret();
    assert!(password.len() >= 8, "a password too short to search for");

    // Straight to the server.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = plugin(dir.path(), server.url(), password);
    cmd.arg("--receipt")
        .arg(dir.path().join("receipt.json"))
        .arg(input(dir.path()));
    let log = run_clean(cmd, dir.path(), password, 0, "direct");
    assert!(
        log.contains("Auth.login"),
        "the trace names the login: {log}"
    );
    assert!(log.contains("\"run_id\""), "the receipt was read: {log}");

    // The dry run.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = plugin(dir.path(), server.url(), password);
    cmd.arg("--dry-run").arg(input(dir.path()));
    run_clean(cmd, dir.path(), password, 0, "dry run");

    // Through faults: retries, sessions refused and logins again are logged too.
    let proxy = FaultProxy::builder(server.url())
        .seed(5)
        .rate(0.4)
        .faults([
            ProxyFault::BadSession,
            ProxyFault::Unavailable,
            ProxyFault::ResetBefore,
        ])
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = plugin(dir.path(), &proxy.url(), password);
    cmd.arg("--receipt")
        .arg(dir.path().join("receipt.json"))
        .arg(input(dir.path()));
    let out = cmd.output().unwrap();
    let log = everything(&out, dir.path());
    assert!(!log.contains(password), "through faults:\n{log}");
    assert!(proxy.counts().total_faults() > 0, "{:?}", proxy.counts());

    // A report that does not land entirely: the journal is left, and the receipt lists the
    // failures; neither holds the password.
    let refuse = FaultProxy::builder(server.url())
        .rate(1.0)
        .faults([ProxyFault::BadGateway])
        .only_methods(["TestExecution.add_comment"])
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = plugin(dir.path(), &refuse.url(), password);
    cmd.arg("--receipt")
        .arg(dir.path().join("receipt.json"))
        .arg(input(dir.path()));
    let log = run_clean(cmd, dir.path(), password, 1, "journal and receipt");
    assert!(
        log.contains("--- tcms-journal-TR"),
        "a journal was left: {log}"
    );
    assert!(log.contains("\"failures\""), "{log}");
}

#[test]
fn error_paths_at_trace_level_never_show_the_password() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let xml = input(dir.path());
    let check = |what: &str, url: &str, extra: &[&str], exit: i32| {
        let mut cmd = plugin(dir.path(), url, FAKE);
        cmd.args(extra).arg(&xml);
        run_clean(cmd, dir.path(), FAKE, exit, what)
    };

    let log = check("wrong password", server.url(), &[], 1);
    assert!(log.contains("authentication failed"), "{log}");

    let down = format!("http://127.0.0.1:{}", closed_port());
    check("server down", &down, &[], 1);

    for url in [
        format!("http://admin:{FAKE}@127.0.0.1:9/"),
        format!("https://admin:{FAKE}@127.0.0.1:9/xml-rpc/"),
        format!("ftp://admin:{FAKE}@127.0.0.1/"),
        format!("https://admin:{FAKE}@[::1/"),
        "not a url".to_owned(),
    ] {
        check(&format!("bad URL {url}"), &url, &[], 1);
        check(
            &format!("bad --url {url}"),
            &down,
            &["--url", url.as_str()],
            1,
        );
    }

    let redirect = FaultProxy::builder(server.url())
        .rate(1.0)
        .faults([ProxyFault::Redirect])
        .start()
        .unwrap();
    let log = check("redirect", &redirect.url(), &[], 1);
    assert!(
        log.contains("https://127.0.0.1:"),
        "names the new URL: {log}"
    );

    // An error page that echoes the request: the body of `Auth.login` holds the password.
    let log = check("HTTP 500 echoing the request", &echoing_500(20), &[], 1);
    assert!(
        log.contains("request body: [{"),
        "the page is quoted: {log}"
    );
    assert!(log.contains(r#""admin","***""#), "{log}");

    let error = FaultProxy::builder(server.url())
        .rate(1.0)
        .faults([ProxyFault::ServerError])
        .start()
        .unwrap();
    let log = check("HTTP 500", &error.url(), &[], 1);
    assert!(log.contains("500"), "{log}");

    let mut cmd = plugin(dir.path(), server.url(), FAKE);
    cmd.arg(fixture("errors/truncated.xml"));
    run_clean(cmd, dir.path(), FAKE, 2, "malformed input");

    let mut cmd = plugin(dir.path(), server.url(), FAKE);
    cmd.env("TCMS_TIMEOUT", "not-a-number").arg(&xml);
    run_clean(cmd, dir.path(), FAKE, 2, "bad option");

    // Errors after a successful login, with the real password.
    let real = server.password().expose_secret();
    let mut cmd = plugin(dir.path(), server.url(), real);
    cmd.env("TCMS_RUN_ID", "999999999").arg(&xml);
    let log = run_clean(cmd, dir.path(), real, 1, "no such run");
    assert!(log.contains("there is no TestRun 999999999"), "{log}");
    let mut cmd = plugin(dir.path(), server.url(), real);
    cmd.env("TCMS_DEFAULT_TESTER_ID", "999999999").arg(&xml);
    run_clean(cmd, dir.path(), real, 1, "no such tester");

    let mut cmd = plugin(dir.path(), server.url(), FAKE);
    cmd.arg("--resume")
        .arg(dir.path().join("missing-journal.json"));
    cmd.arg(&xml);
    run_clean(cmd, dir.path(), FAKE, 1, "missing journal");
}

/// Writes `~/.tcms.conf` in `home` with `mode`.
fn conf(home: &Path, text: &str, mode: u32) {
    let path = home.join(".tcms.conf");
    std::fs::write(&path, text).unwrap();
    set_mode(&path, mode);
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

#[test]
fn config_file_errors_never_show_the_password() {
    let server = server();
    let down = format!("http://127.0.0.1:{}", closed_port());
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "key twice",
            format!(
                "[tcms]\nurl = {down}\nusername = admin\npassword = {FAKE}\npassword = {FAKE}\n"
            )
            .into_bytes(),
        ),
        (
            "bad % in the password",
            format!("[tcms]\nurl = {down}\nusername = admin\npassword = 50%{FAKE}\n").into_bytes(),
        ),
        (
            "unknown %(key)s",
            format!("[tcms]\nurl = {down}\nusername = admin\npassword = %(x)s{FAKE}\n")
                .into_bytes(),
        ),
        (
            "line without =",
            format!("[tcms]\nurl = {down}\nusername = admin\npassword {FAKE}\n").into_bytes(),
        ),
        (
            "key before any section",
            format!("password = {FAKE}\n[tcms]\nurl = {down}\n").into_bytes(),
        ),
        (
            "not UTF-8",
            [
                format!("[tcms]\nurl = {down}\npassword = {FAKE}").into_bytes(),
                vec![0xff, 0xfe, b'\n'],
            ]
            .concat(),
        ),
        (
            "credentials in the URL",
            format!(
                "[tcms]\nurl = http://admin:{FAKE}@127.0.0.1:9/xml-rpc/\nusername = admin\n\
                 password = {FAKE}\n"
            )
            .into_bytes(),
        ),
        (
            "kerberos",
            format!("[tcms]\nurl = {down}\nuse_kerberos = True\npassword = {FAKE}\n").into_bytes(),
        ),
        (
            "no [tcms] section",
            format!("[other]\nurl = {down}\nusername = admin\npassword = {FAKE}\n").into_bytes(),
        ),
        (
            "wrong password from the file",
            format!(
                "[tcms]\nurl = {}/xml-rpc/\nusername = admin\npassword = {FAKE}\n",
                server.url()
            )
            .into_bytes(),
        ),
    ];
    for (what, bytes) in files {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join(".tcms.conf");
        std::fs::write(&path, bytes).unwrap();
        set_mode(&path, 0o600);
        let xml = input(home.path());
        let mut cmd = plugin(home.path(), &down, "");
        cmd.env_remove("TCMS_PASSWORD")
            .env_remove("TCMS_API_URL")
            .arg(&xml);
        run_clean(cmd, home.path(), FAKE, 1, what);
    }
}

#[test]
fn a_config_file_others_can_read_warns() {
    let down = format!("http://127.0.0.1:{}", closed_port());
    for (mode, warns) in [(0o644, true), (0o640, true), (0o600, false)] {
        let home = tempfile::tempdir().unwrap();
        conf(
            home.path(),
            &format!("[tcms]\nurl = {down}\nusername = admin\npassword = {FAKE}\n"),
            mode,
        );
        let xml = input(home.path());
        // No product: the settings fail before any request.
        let mut cmd = plugin(home.path(), &down, "");
        cmd.env_remove("TCMS_PASSWORD")
            .env_remove("TCMS_PRODUCT")
            .env_remove("RUST_LOG")
            .arg(&xml);
        let out = cmd.output().unwrap();
        let log = text(&out);
        assert_eq!(out.status.code(), Some(1), "{log}");
        assert!(!log.contains(FAKE), "{log}");
        assert_eq!(
            log.contains("can be read by other users") && log.contains("chmod 600"),
            warns,
            "mode {mode:o}: {log}"
        );
    }
}

#[test]
fn tls_verification_off_warns_on_every_run() {
    let down = format!("http://127.0.0.1:{}", closed_port());
    let dir = tempfile::tempdir().unwrap();
    let xml = input(dir.path());
    for run in 0..2 {
        // No product: the settings fail after the client is built, before any request.
        let mut cmd = plugin(dir.path(), &down, FAKE);
        cmd.env("TCMS_TLS_VERIFY", "0")
            .env_remove("TCMS_PRODUCT")
            .env_remove("RUST_LOG")
            .arg(&xml);
        let out = cmd.output().unwrap();
        let log = text(&out);
        assert_eq!(out.status.code(), Some(1), "{log}");
        assert!(
            log.contains("TLS certificate verification is OFF"),
            "run {run}: {log}"
        );
        assert!(!log.contains(FAKE), "{log}");
    }
    // And not without it.
    let mut cmd = plugin(dir.path(), &down, FAKE);
    cmd.env_remove("TCMS_PRODUCT")
        .env_remove("RUST_LOG")
        .arg(&xml);
    let log = text(&cmd.output().unwrap());
    assert!(!log.contains("verification is OFF"), "{log}");
}

#[test]
fn plain_http_to_another_machine_warns_without_sending_anything() {
    let dir = tempfile::tempdir().unwrap();
    let xml = input(dir.path());
    // `.invalid` never resolves (RFC 6761), and without a user name the configuration fails
    // right after the URL is read: no request, not even a lookup.
    let mut cmd = plugin(dir.path(), "http://tcms.example.invalid/xml-rpc/", FAKE);
    cmd.env_remove("TCMS_USERNAME")
        .env_remove("RUST_LOG")
        .arg(&xml);
    let out = cmd.output().unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("TCMS_USERNAME not configured"), "{log}");
    assert!(
        log.contains("http://tcms.example.invalid uses plain http"),
        "{log}"
    );
    assert!(!log.contains(FAKE), "{log}");
    // Loopback http is fine.
    let mut cmd = plugin(dir.path(), "http://127.0.0.1:9", FAKE);
    cmd.env_remove("TCMS_USERNAME")
        .env_remove("RUST_LOG")
        .arg(&xml);
    let log = text(&cmd.output().unwrap());
    assert!(!log.contains("plain http"), "{log}");
    // https to the same host is fine too.
    let mut cmd = plugin(dir.path(), "https://tcms.example.invalid", FAKE);
    cmd.env_remove("TCMS_USERNAME")
        .env_remove("RUST_LOG")
        .arg(&xml);
    let log = text(&cmd.output().unwrap());
    assert!(!log.contains("plain http"), "{log}");
}

/// KNOWN LEAKS, ignored until fixed (in `tcms-api/src/config.rs`, `normalize_url` and
/// `redact_userinfo`): a URL without `://` is quoted whole in the "invalid URL" error, because
/// `redact_userinfo` only hides `user:password@` after a `://`; so `admin:PASSWORD@host`,
/// `//admin:PASSWORD@host`, `http//admin:PASSWORD@host` and `http:/admin:PASSWORD@host` print
/// the password. A query string is quoted whole too (`http://host/?token=SECRET`).
#[test]
fn known_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let xml = input(dir.path());
    let down = format!("http://127.0.0.1:{}", closed_port());
    let mut leaks = Vec::new();
    let mut probe = |what: String, url: &str, extra: &[&str]| {
        let mut cmd = plugin(dir.path(), url, FAKE);
        cmd.args(extra).arg(&xml);
        let (all, leaked) = run(cmd, dir.path(), FAKE, 1, &what);
        if leaked {
            let line = all
                .lines()
                .find(|l| l.contains(FAKE))
                .unwrap_or_default()
                .to_owned();
            leaks.push(format!("{what}: {line}"));
        }
    };
    for url in [
        format!("admin:{FAKE}@127.0.0.1"),
        format!("//admin:{FAKE}@127.0.0.1/json-rpc/"),
        format!("http//admin:{FAKE}@127.0.0.1"),
        format!("http:/admin:{FAKE}@127.0.0.1/"),
        format!("http://127.0.0.1:9/?token={FAKE}"),
    ] {
        probe(format!("TCMS_API_URL={url}"), &url, &[]);
        probe(format!("--url {url}"), &down, &["--url", url.as_str()]);
    }
    assert!(
        leaks.is_empty(),
        "the password leaks:\n{}",
        leaks.join("\n")
    );
}
