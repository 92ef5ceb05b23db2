//! Tests of the configuration: the lookup order, the file as configparser reads it, URLs.
use tempfile::TempDir;

use super::url::redact_userinfo;
use super::*;

const NO_ENV: [(&str, &str); 0] = [];

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, text).expect("write config file");
    path
}

/// A builder that sees only `files` and `env`.
fn builder(files: &[&PathBuf], env: &[(&str, &str)]) -> ConfigBuilder {
    Config::builder()
        .config_files(files.iter().map(|p| (*p).clone()))
        .env(env.iter().copied())
}

const FULL: &str = "[tcms]\nurl = https://file.example.com/xml-rpc/\nusername = file-user\n\
                    password = file-pass\n";

#[test]
fn reads_the_file_only() {
    let dir = TempDir::new().unwrap();
    let file = write(&dir, "tcms.conf", FULL);
    let config = builder(&[&file], &NO_ENV).load().unwrap();
    assert_eq!(config.base_url(), "https://file.example.com");
    assert_eq!(config.endpoint(), "https://file.example.com/json-rpc/");
    assert_eq!(config.username(), "file-user");
    assert_eq!(config.password().expose_secret(), "file-pass");
    assert_eq!(config.ca_bundle(), None);
    assert!(config.tls_verify());
}

#[test]
fn reads_the_environment_when_no_file_exists() {
    let dir = TempDir::new().unwrap();
    let absent = dir.path().join("absent.conf");
    let config = builder(
        &[&absent],
        &[
            ("TCMS_API_URL", "https://env.example.com/json-rpc/"),
            ("TCMS_USERNAME", "env-user"),
            ("TCMS_PASSWORD", "env-pass"),
            ("TCMS_CA_BUNDLE", "/tmp/ca.pem"),
            ("TCMS_TLS_VERIFY", "Off"),
        ],
    )
    .load()
    .unwrap();
    assert_eq!(config.base_url(), "https://env.example.com");
    assert_eq!(config.username(), "env-user");
    assert_eq!(config.password().expose_secret(), "env-pass");
    assert_eq!(config.ca_bundle(), Some(Path::new("/tmp/ca.pem")));
    assert!(!config.tls_verify());
}

#[test]
fn environment_fills_in_what_the_file_lacks_and_the_file_wins() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        "[tcms]\nurl = https://file.example.com\nusername = file-user\n",
    );
    let config = builder(
        &[&file],
        &[
            ("TCMS_API_URL", "https://env.example.com"),
            ("TCMS_USERNAME", "env-user"),
            ("TCMS_PASSWORD", "env-pass"),
        ],
    )
    .load()
    .unwrap();
    assert_eq!(config.base_url(), "https://file.example.com");
    assert_eq!(config.username(), "file-user");
    assert_eq!(config.password().expose_secret(), "env-pass");
}

#[test]
fn empty_values_count_as_not_set() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        "[tcms]\nurl = https://file.example.com\nusername =\npassword = p\n",
    );
    let config = builder(&[&file], &[("TCMS_USERNAME", "env-user")])
        .username("")
        .load()
        .unwrap();
    assert_eq!(config.username(), "env-user");

    let err = builder(&[&file], &[("TCMS_USERNAME", "")])
        .load()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Missing {
                key: "username",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn explicit_values_win_over_file_and_environment() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        &format!("{FULL}ca_bundle = /file/ca.pem\ntls_verify = yes\n"),
    );
    let config = builder(
        &[&file],
        &[
            ("TCMS_API_URL", "https://env.example.com"),
            ("TCMS_USERNAME", "env-user"),
            ("TCMS_PASSWORD", "env-pass"),
        ],
    )
    .url("http://127.0.0.1:8080/")
    .username("cli-user")
    .password("cli-pass")
    .ca_bundle("/cli/ca.pem")
    .tls_verify(false)
    .load()
    .unwrap();
    assert_eq!(config.base_url(), "http://127.0.0.1:8080");
    assert_eq!(config.username(), "cli-user");
    assert_eq!(config.password().expose_secret(), "cli-pass");
    assert_eq!(config.ca_bundle(), Some(Path::new("/cli/ca.pem")));
    assert!(!config.tls_verify());
}

#[test]
fn only_the_first_existing_file_is_read() {
    let dir = TempDir::new().unwrap();
    let absent = dir.path().join("absent.conf");
    let first = write(
        &dir,
        "first.conf",
        "[tcms]\nurl = https://first.example.com\nusername = first\n",
    );
    let second = write(&dir, "second.conf", FULL);

    // The second file's password is not used: files are not merged.
    let config = builder(
        &[&absent, &first, &second],
        &[("TCMS_PASSWORD", "env-pass")],
    )
    .load()
    .unwrap();
    assert_eq!(config.base_url(), "https://first.example.com");
    assert_eq!(config.username(), "first");
    assert_eq!(config.password().expose_secret(), "env-pass");

    // Without the environment, the error names the files looked at, not the later one.
    let err = builder(&[&absent, &first, &second], &NO_ENV)
        .load()
        .unwrap_err();
    match &err {
        ConfigError::Missing {
            variable, tried, ..
        } => {
            assert_eq!(*variable, "TCMS_PASSWORD");
            assert_eq!(tried, &vec![absent.clone(), first.clone()]);
        }
        other => panic!("unexpected error: {other}"),
    }
}

#[test]
fn each_missing_variable_is_named_with_the_files_tried() {
    let dir = TempDir::new().unwrap();
    let home = dir.path().join("home.conf");
    let etc = dir.path().join("etc.conf");
    let all = [
        ("TCMS_API_URL", "https://env.example.com"),
        ("TCMS_USERNAME", "u"),
        ("TCMS_PASSWORD", "p"),
    ];
    for (variable, key) in [
        ("TCMS_API_URL", "url"),
        ("TCMS_USERNAME", "username"),
        ("TCMS_PASSWORD", "password"),
    ] {
        let env: Vec<_> = all
            .iter()
            .copied()
            .filter(|(v, _)| *v != variable)
            .collect();
        let err = builder(&[&home, &etc], &env).load().unwrap_err();
        match &err {
            ConfigError::Missing {
                variable: v,
                key: k,
                tried,
            } => {
                assert_eq!((*v, *k), (variable, key));
                assert_eq!(tried, &vec![home.clone(), etc.clone()]);
            }
            other => panic!("unexpected error: {other}"),
        }
        let text = err.to_string();
        assert!(text.contains(variable), "{text}");
        assert!(text.contains(&format!("`{key}`")), "{text}");
        assert!(text.contains(&home.display().to_string()), "{text}");
        assert!(text.contains(&etc.display().to_string()), "{text}");
    }
}

#[test]
fn default_files_are_home_then_etc() {
    let files = Config::default_files();
    if let Some(home) = dirs::home_dir() {
        assert_eq!(files[0], home.join(".tcms.conf"));
    }
    assert!(files.contains(&PathBuf::from("/etc/tcms.conf")));
}

#[test]
fn kerberos_is_refused() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        "[tcms]\nurl = https://tcms.example.com/xml-rpc/\nuse_kerberos = True\n",
    );
    // Even with credentials available, no silent fallback to the password.
    let err = builder(&[&file], &[("TCMS_USERNAME", "u"), ("TCMS_PASSWORD", "p")])
        .load()
        .unwrap_err();
    match &err {
        ConfigError::KerberosNotSupported { file: f } => assert_eq!(f, &file),
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("use_kerberos"), "{err}");

    let off = write(&dir, "off.conf", &format!("{FULL}use_kerberos = False\n"));
    assert!(builder(&[&off], &NO_ENV).load().is_ok());

    let bad = write(&dir, "bad.conf", &format!("{FULL}use_kerberos = maybe\n"));
    let err = builder(&[&bad], &NO_ENV).load().unwrap_err();
    assert!(
        matches!(&err, ConfigError::InvalidValue { name, .. } if name == "use_kerberos"),
        "{err}"
    );
}

fn base_of(url: &str) -> Result<String, ConfigError> {
    builder(&[], &NO_ENV)
        .url(url)
        .username("u")
        .password("p")
        .load()
        .map(|c| c.base_url().to_owned())
}

#[test]
fn url_forms_are_normalised() {
    for (given, base) in [
        ("https://tcms.example.com", "https://tcms.example.com"),
        ("https://tcms.example.com/", "https://tcms.example.com"),
        (
            "https://tcms.example.com/xml-rpc/",
            "https://tcms.example.com",
        ),
        (
            "https://tcms.example.com/xml-rpc",
            "https://tcms.example.com",
        ),
        (
            "https://tcms.example.com/json-rpc/",
            "https://tcms.example.com",
        ),
        (
            "https://tcms.example.com/json-rpc",
            "https://tcms.example.com",
        ),
        ("https://example.com/kiwi", "https://example.com/kiwi"),
        ("https://example.com/kiwi/", "https://example.com/kiwi"),
        (
            "https://example.com/kiwi/xml-rpc/",
            "https://example.com/kiwi",
        ),
        (
            "https://example.com/kiwi/json-rpc",
            "https://example.com/kiwi",
        ),
        (
            "HTTPS://Tcms.Example.COM:8443/",
            "https://tcms.example.com:8443",
        ),
        (
            "  http://localhost:8080/json-rpc/  ",
            "http://localhost:8080",
        ),
    ] {
        assert_eq!(base_of(given).unwrap(), base, "{given}");
    }
    let config = builder(&[], &NO_ENV)
        .url("https://example.com/kiwi/xml-rpc/")
        .username("u")
        .password("p")
        .load()
        .unwrap();
    assert_eq!(config.endpoint(), "https://example.com/kiwi/json-rpc/");
}

#[test]
fn bad_urls_are_refused_naming_their_origin() {
    for bad in [
        "ftp://tcms.example.com/",
        "tcms.example.com",
        "localhost:8080",
        "https://",
        "https://tcms.example.com/?x=1",
    ] {
        let err = base_of(bad).unwrap_err();
        assert!(
            matches!(&err, ConfigError::InvalidUrl { origin, .. } if origin == "the program"),
            "{bad}: {err}"
        );
    }

    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        "[tcms]\nurl = ftp://tcms.example.com\nusername = u\npassword = p\n",
    );
    let err = builder(&[&file], &NO_ENV).load().unwrap_err();
    assert!(
        err.to_string().contains(&file.display().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("ftp"), "{err}");

    let err = builder(
        &[],
        &[("TCMS_API_URL", "gopher://x"), ("TCMS_USERNAME", "u")],
    )
    .password("p")
    .load()
    .unwrap_err();
    assert!(err.to_string().contains("TCMS_API_URL"), "{err}");
}

#[test]
fn credentials_in_the_url_are_refused_and_hidden() {
    let err = base_of("https://bot:hunter2@tcms.example.com/").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ConfigError::InvalidUrl { .. }), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("https://***@tcms.example.com/"), "{text}");
}

#[test]
fn semicolons_and_hashes_inside_values_are_kept() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        "; a comment\n# another\n[tcms]\n  # an indented comment\n\
         url = https://tcms.example.com\nusername = u ; not a comment\n\
         password = a;b#c # d ;e\n",
    );
    let config = builder(&[&file], &NO_ENV).load().unwrap();
    assert_eq!(config.username(), "u ; not a comment");
    assert_eq!(config.password().expose_secret(), "a;b#c # d ;e");
}

#[test]
fn percent_signs_are_interpolated_like_configparser() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        "[DEFAULT]\nhost = tcms.example.com\n[tcms]\nurl = https://%(HOST)s/xml-rpc/\n\
         username = u\npassword = pa%%ss%%\n",
    );
    let config = builder(&[&file], &NO_ENV).load().unwrap();
    assert_eq!(config.password().expose_secret(), "pa%ss%");
    assert_eq!(config.base_url(), "https://tcms.example.com");

    for (bad, why) in [
        ("pa%ss-secret", "followed by"),
        ("pa%(nokey)s-secret", "not in [tcms]"),
        ("pa%(password)s-secret", "deep"),
        ("pa%(open-secret", "must form"),
    ] {
        let file = write(
            &dir,
            "bad.conf",
            &format!("[tcms]\nurl = https://x.example.com\nusername = u\npassword = {bad}\n"),
        );
        let err = builder(&[&file], &NO_ENV).load().unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ConfigError::File { .. }), "{text}");
        assert!(text.contains("`password`"), "{text}");
        assert!(text.contains(why), "{bad}: {text}");
        assert!(!text.contains("secret"), "{text}");
    }
}

#[test]
fn values_are_otherwise_kept_verbatim() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        "[tcms]\r\nURL: https://tcms.example.com\r\nUserName = \"quoted\"\r\n\
         password = a\\nb\\\\c=d:e\r\n",
    );
    let config = builder(&[&file], &NO_ENV).load().unwrap();
    assert_eq!(config.base_url(), "https://tcms.example.com");
    assert_eq!(config.username(), "\"quoted\"");
    assert_eq!(config.password().expose_secret(), "a\\nb\\\\c=d:e");
}

#[test]
fn ini_reader_matches_configparser() {
    let ini = parse_ini("[tcms]\npassword = a\n  b\n\n  # c\n\n  d\n\nurl = x\n[tcms] junk\n");
    assert_eq!(ini.unwrap_err(), "line 10: section [tcms] appears twice");

    let ini =
        parse_ini("[tcms]\npassword = a\n  b\n\n  # c\n\n  d\n\nurl = x\n[a]b]\nk=v\n").unwrap();
    assert_eq!(ini["tcms"]["password"], "a\nb\n\n\nd");
    assert_eq!(ini["tcms"]["url"], "x");
    assert_eq!(ini["a]b"]["k"], "v");

    assert_eq!(
        parse_ini("[tcms]\nurl = a\nURL = b\n").unwrap_err(),
        "line 3: `url` appears twice in section [tcms]"
    );
    assert!(parse_ini("url = a\n").unwrap_err().starts_with("line 1:"));
    assert!(
        parse_ini("[tcms]\nurl = a\npassword\n")
            .unwrap_err()
            .starts_with("line 3:")
    );
    assert!(
        parse_ini("[tcms]\n= a\n")
            .unwrap_err()
            .starts_with("line 2:")
    );
    // Section names are case-sensitive: [TCMS] is not [tcms].
    let ini = parse_ini("\u{feff}[TCMS]\nurl = a\n").unwrap();
    assert!(ini.contains_key("TCMS") && !ini.contains_key("tcms"));
}

#[test]
fn a_file_without_the_section_leaves_it_to_the_environment() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        "[other]\nurl = https://other.example.com\n",
    );
    let config = builder(
        &[&file],
        &[
            ("TCMS_API_URL", "https://env.example.com"),
            ("TCMS_USERNAME", "u"),
            ("TCMS_PASSWORD", "p"),
        ],
    )
    .load()
    .unwrap();
    assert_eq!(config.base_url(), "https://env.example.com");
}

#[test]
fn urls_are_shown_without_credentials_or_queries() {
    for (raw, shown) in [
        ("https://u:pw@host/kiwi", "https://***@host/kiwi"),
        ("admin:pw@127.0.0.1", "***@127.0.0.1"),
        (
            "//admin:pw@127.0.0.1/json-rpc/",
            "//***@127.0.0.1/json-rpc/",
        ),
        ("http//admin:pw@127.0.0.1", "http//***@127.0.0.1"),
        ("http:/admin:pw@127.0.0.1/", "http:/***@127.0.0.1/"),
        ("http://127.0.0.1:9/?token=pw", "http://127.0.0.1:9/?***"),
        ("https://host/kiwi", "https://host/kiwi"),
    ] {
        assert_eq!(redact_userinfo(raw), shown, "{raw}");
    }
}

#[test]
fn a_file_that_cannot_be_parsed_is_an_error_that_hides_the_line() {
    let dir = TempDir::new().unwrap();
    let file = write(&dir, "tcms.conf", "[tcms]\nsecret-without-equals\n");
    let err = builder(&[&file], &NO_ENV).load().unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ConfigError::File { .. }), "{text}");
    assert!(text.contains("line 2"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}

#[test]
fn tls_verify_is_parsed_like_strtobool() {
    let dir = TempDir::new().unwrap();
    for (value, expected) in [
        ("1", true),
        ("yes", true),
        ("TRUE", true),
        ("On", true),
        ("y", true),
        ("t", true),
        ("0", false),
        ("No", false),
        ("false", false),
        ("OFF", false),
        ("n", false),
        ("F", false),
    ] {
        let file = write(&dir, "tcms.conf", &format!("{FULL}tls_verify = {value}\n"));
        let config = builder(&[&file], &NO_ENV).load().unwrap();
        assert_eq!(config.tls_verify(), expected, "{value}");
    }

    let file = write(&dir, "tcms.conf", &format!("{FULL}tls_verify = maybe\n"));
    let err = builder(&[&file], &NO_ENV).load().unwrap_err();
    match &err {
        ConfigError::InvalidValue {
            name,
            value,
            origin,
            ..
        } => {
            assert_eq!(name, "tls_verify");
            assert_eq!(value, "maybe");
            assert_eq!(origin, &file.display().to_string());
        }
        other => panic!("unexpected error: {other}"),
    }

    // An explicit value wins: the file's value is not even read.
    let config = builder(&[&file], &[("TCMS_TLS_VERIFY", "nope")])
        .tls_verify(true)
        .load()
        .unwrap();
    assert!(config.tls_verify());

    let err = builder(&[], &[("TCMS_TLS_VERIFY", "nope")])
        .url("https://x.example.com")
        .username("u")
        .password("p")
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("TCMS_TLS_VERIFY"), "{err}");
}

#[test]
fn ca_bundle_in_a_file_is_relative_to_it() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        &format!("{FULL}ca_bundle = certs/ca.pem\n"),
    );
    let config = builder(&[&file], &NO_ENV).load().unwrap();
    assert_eq!(
        config.ca_bundle(),
        Some(dir.path().join("certs/ca.pem").as_path())
    );

    let file = write(
        &dir,
        "tcms.conf",
        &format!("{FULL}ca_bundle = /abs/ca.pem\n"),
    );
    let config = builder(&[&file], &NO_ENV).load().unwrap();
    assert_eq!(config.ca_bundle(), Some(Path::new("/abs/ca.pem")));
}

#[test]
fn debug_never_shows_the_password() {
    let config = builder(&[], &NO_ENV)
        .url("https://tcms.example.com")
        .username("u")
        .password("hunter2")
        .load()
        .unwrap();
    let debug = format!("{config:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("Secret(***)"), "{debug}");
    assert_eq!(config.password().to_string(), "***");
    assert!(!format!("{:?}", Config::builder().password("hunter2")).contains("hunter2"));
}

/// Everything logged while `f` runs.

#[test]
fn logs_say_where_values_came_from_without_the_password() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "tcms.conf",
        "[tcms]\nurl = https://tcms.example.com\nusername = u\npassword = s3cr3t-value\n",
    );
    let config = builder(&[&file], &[("TCMS_TLS_VERIFY", "yes")])
        .load()
        .unwrap();
    let logs = config.sources().join("\n");
    let path = file.display().to_string();
    assert!(logs.contains(&format!("password: from {path}")), "{logs}");
    assert!(
        logs.contains(&format!("url = https://tcms.example.com (from {path})")),
        "{logs}"
    );
    assert!(
        logs.contains("environment variable TCMS_TLS_VERIFY"),
        "{logs}"
    );
    assert!(!logs.contains("s3cr3t"), "{logs}");
}

#[cfg(unix)]
#[test]
fn a_password_file_readable_by_others_is_warned_about() {
    // The decision is tested directly: log capture races with tracing's global callsite
    // cache when tests run in parallel.
    let file = |password: Option<&str>, mode: u32| ConfigFile {
        path: PathBuf::from("/home/u/.tcms.conf"),
        section: Some(
            password
                .map(|p| ("password".to_owned(), p.to_owned()))
                .into_iter()
                .collect(),
        ),
        mode: Some(mode),
    };
    let warning = file(Some("s3cr3t"), 0o100644).exposure_warning().unwrap();
    assert!(
        warning.contains("chmod 600 /home/u/.tcms.conf"),
        "{warning}"
    );
    assert!(warning.contains("mode 0644"), "{warning}");
    assert!(!warning.contains("s3cr3t"), "{warning}");
    assert_eq!(file(Some("s3cr3t"), 0o100600).exposure_warning(), None);
    assert!(file(Some("s3cr3t"), 0o100640).exposure_warning().is_some());
    // No password in the file: nothing to protect.
    assert_eq!(file(None, 0o100644).exposure_warning(), None);
}

#[cfg(unix)]
#[test]
fn the_file_mode_is_read_from_disk() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new().unwrap();
    let path = write(&dir, "tcms.conf", FULL);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let read = |path: &PathBuf| {
        read_first_file(std::slice::from_ref(path))
            .unwrap()
            .0
            .unwrap()
    };
    assert!(read(&path).exposure_warning().is_some());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(read(&path).exposure_warning().is_none());
}

#[test]
fn plain_http_warns_unless_loopback() {
    for (url, warns) in [
        ("http://tcms.example.com", true),
        ("http://10.1.2.3:8080", true),
        ("http://127.0.0.1:8080", false),
        ("http://127.8.9.10", false),
        ("http://localhost:8080/kiwi", false),
        ("http://[::1]:8080", false),
        ("https://tcms.example.com", false),
    ] {
        let base = base_of(url).unwrap();
        let warning = clear_text_warning(&base);
        assert_eq!(warning.is_some(), warns, "{url}: {warning:?}");
    }
}
