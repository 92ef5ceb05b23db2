//! Where the client finds the server and the credentials.
//!
//! # Lookup order
//!
//! Each value is taken from the first place that has it:
//!
//! 1. **The program**: values set on [`ConfigBuilder`] (a plugin's command-line options).
//! 2. **The config file**: the `[tcms]` section of the *first* of these files that exists:
//!    `~/.tcms.conf`, then `/etc/tcms.conf` (and `C:\tcms.conf` on Windows). Only that one
//!    file is read; files are never merged, exactly like the official Python `tcms-api`.
//! 3. **The environment**: `TCMS_API_URL`, `TCMS_USERNAME`, `TCMS_PASSWORD`,
//!    `TCMS_CA_BUNDLE` and `TCMS_TLS_VERIFY`. They are used when no file exists, and for any
//!    key the file lacks (the file wins over the environment).
//!
//! An empty value counts as not set, wherever it comes from. The URL, the user name and the
//! password are required; when one is missing, [`ConfigError::Missing`] names the environment
//! variable, the key, and the files that were looked at.
//!
//! # The config file
//!
//! The file the Python `tcms-api` and the official plugins read works unchanged:
//!
//! ```ini
//! [tcms]
//! url = https://tcms.example.com/xml-rpc/
//! username = your-username
//! password = your-password
//!
//! # Extras of this client (the Python tcms-api ignores them):
//! # ca_bundle = /etc/ssl/certs/company-ca.pem   ; a PEM bundle of extra trusted CAs
//! # tls_verify = false                          ; never in production
//! ```
//!
//! It is read the way Python's `configparser.ConfigParser` reads it:
//!
//! - Keys are case-insensitive (`URL` is `url`); the section name is not (`[tcms]`).
//! - `key = value` and `key: value` both work; spaces around the value are dropped.
//! - Only *whole* lines starting with `#` or `;` are comments. A `;` or `#` inside a value is
//!   part of it: `password = a;b#c` is the password `a;b#c`.
//! - `%%` stands for one `%` (`password = 50%%off` is `50%off`), and `%(key)s` is replaced by
//!   the value of another key of the section. A `%` followed by anything else is an error, as
//!   in Python.
//! - Quotes and backslashes are kept as written: `password = "x\y"` is the password `"x\y"`.
//! - Values in a `[DEFAULT]` section apply to `[tcms]` too; indented lines continue the
//!   previous value; a key given twice in a section is an error.
//!
//! Our extra keys:
//!
//! - `ca_bundle`: a PEM file of CA certificates to trust in addition to the system's (a
//!   company CA). `~/` is expanded; a relative path is relative to the config file.
//! - `tls_verify`: `false` turns certificate verification off (a warning is logged on every
//!   client built). Booleans are read like Python's `strtobool`: `1`, `yes`, `y`, `true`, `t`,
//!   `on` and `0`, `no`, `n`, `false`, `f`, `off`, in any case.
//!
//! `use_kerberos = True` is refused with [`ConfigError::KerberosNotSupported`]: this client
//! only logs in with a user name and password, and never falls back to it silently.
//!
//! # The URL
//!
//! Any of these forms means the same server:
//!
//! | written | [`Config::base_url`] |
//! |---|---|
//! | `https://tcms.example.com` or `https://tcms.example.com/` | `https://tcms.example.com` |
//! | `https://tcms.example.com/xml-rpc/` (the Python tcms-api form) | `https://tcms.example.com` |
//! | `https://tcms.example.com/json-rpc` | `https://tcms.example.com` |
//! | `https://example.com/kiwi/xml-rpc/` (Kiwi under a path) | `https://example.com/kiwi` |
//!
//! The client posts to [`Config::endpoint`], `<base>/json-rpc/`. Only `http` and `https` are
//! accepted. A plain `http://` URL to another machine than this one is accepted with a
//! warning: the password would travel in clear text.
//!
//! # What is logged
//!
//! At `debug` level, where each value came from (`url = https://... (from
//! /home/me/.tcms.conf)`, `password: from environment variable TCMS_PASSWORD`); the password
//! itself is never logged. A config file that holds a password and can be read by other users
//! gets a warning to `chmod 600` it.
//!
//! # Example
//!
//! ```
//! use tcms_api::Config;
//!
//! // Explicit values; `env` and `config_files` replace the process environment and the
//! // files looked for, so this example does not depend on the machine it runs on.
//! let config = Config::builder()
//!     .url("https://tcms.example.com/xml-rpc/")
//!     .username("bot")
//!     .password("secret")
//!     .env([("TCMS_TLS_VERIFY", "yes")])
//!     .config_files([])
//!     .load()?;
//! assert_eq!(config.endpoint(), "https://tcms.example.com/json-rpc/");
//! assert!(config.tls_verify());
//! assert!(!format!("{config:?}").contains("secret"));
//! # Ok::<(), tcms_api::ConfigError>(())
//! ```
//!
//! In a program, [`Config::load`] does all of the above with the real files and environment.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use reqwest::Url;

use crate::error::ConfigError;

/// The section of the config file that holds our keys.
const SECTION: &str = "tcms";

/// Python's `configparser` default section, inherited by every other section.
const DEFAULT_SECTION: &str = "DEFAULT";

/// Python's `configparser.MAX_INTERPOLATION_DEPTH`.
const MAX_INTERPOLATION_DEPTH: usize = 10;

/// A password. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The password itself, for the one place that must send it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A resolved configuration: server, credentials and TLS settings.
#[derive(Clone, Debug)]
pub struct Config {
    base_url: String,
    username: String,
    password: Secret,
    ca_bundle: Option<PathBuf>,
    tls_verify: bool,
    sources: Vec<String>,
}

impl Config {
    /// Resolves the configuration the standard way (see the module docs).
    pub fn load() -> Result<Self, ConfigError> {
        Self::builder().load()
    }

    /// A builder for explicit values and for tests.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The config files looked for when none are given: `~/.tcms.conf`, then `/etc/tcms.conf`
    /// (then `C:\tcms.conf` on Windows).
    pub fn default_files() -> Vec<PathBuf> {
        let mut files = Vec::new();
        if let Some(home) = dirs::home_dir() {
            files.push(home.join(".tcms.conf"));
        }
        files.push(PathBuf::from("/etc/tcms.conf"));
        if cfg!(windows) {
            files.push(PathBuf::from(r"C:\tcms.conf"));
        }
        files
    }

    /// The server base URL, without a trailing slash and without `/json-rpc/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The JSON-RPC endpoint: `<base>/json-rpc/`.
    pub fn endpoint(&self) -> String {
        format!("{}/json-rpc/", self.base_url)
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &Secret {
        &self.password
    }

    /// An extra PEM bundle of trusted CA certificates.
    pub fn ca_bundle(&self) -> Option<&Path> {
        self.ca_bundle.as_deref()
    }

    /// Whether TLS certificates are verified (true unless explicitly turned off).
    pub fn tls_verify(&self) -> bool {
        self.tls_verify
    }

    /// Where each value came from, one line each (`url = https://... (from /home/u/.tcms.conf)`,
    /// `password: from environment variable TCMS_PASSWORD`): what is logged at debug level.
    /// Never contains the password.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }
}

/// Builds a [`Config`]: explicit values win over config files, which win over the environment.
#[derive(Debug, Default, Clone)]
pub struct ConfigBuilder {
    url: Option<String>,
    username: Option<String>,
    password: Option<Secret>,
    ca_bundle: Option<PathBuf>,
    tls_verify: Option<bool>,
    files: Option<Vec<PathBuf>>,
    env: Option<Vec<(String, String)>>,
}

impl ConfigBuilder {
    /// The server URL: its base, `.../xml-rpc/` or `.../json-rpc/`.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The user name.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(Secret::new(password));
        self
    }

    /// An extra PEM bundle of CA certificates to trust.
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// Turns TLS certificate verification on or off (off warns on every client built).
    pub fn tls_verify(mut self, verify: bool) -> Self {
        self.tls_verify = Some(verify);
        self
    }

    /// Replaces the config files looked for (default `~/.tcms.conf`, then `/etc/tcms.conf`).
    pub fn config_files(mut self, files: impl IntoIterator<Item = PathBuf>) -> Self {
        self.files = Some(files.into_iter().collect());
        self
    }

    /// Replaces the process environment (for tests).
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Resolves the configuration: explicit values, then the first config file found, then
    /// the environment (see the module docs).
    pub fn load(self) -> Result<Config, ConfigError> {
        let files = self.files.clone().unwrap_or_else(Config::default_files);
        let (file, tried) = read_first_file(&files)?;
        if let Some(file) = &file {
            file.check_kerberos()?;
            file.warn_if_exposed();
        }
        let lookup = Lookup {
            file: file.as_ref(),
            env: self.env.as_deref(),
        };

        let url = lookup
            .resolve(self.url.clone(), "url", "TCMS_API_URL")?
            .ok_or_else(|| missing("TCMS_API_URL", "url", &tried))?;
        let base_url = normalize_url(&url.value, &url.origin)?;
        let mut sources = vec![format!("url = {base_url} (from {})", url.origin)];
        if let Some(warning) = clear_text_warning(&base_url) {
            tracing::warn!("{warning}");
        }

        let username = lookup
            .resolve(self.username.clone(), "username", "TCMS_USERNAME")?
            .ok_or_else(|| missing("TCMS_USERNAME", "username", &tried))?;
        sources.push(format!(
            "username = {} (from {})",
            username.value, username.origin
        ));

        let explicit_password = self.password.map(|p| p.0);
        let password = lookup
            .resolve(explicit_password, "password", "TCMS_PASSWORD")?
            .ok_or_else(|| missing("TCMS_PASSWORD", "password", &tried))?;
        sources.push(format!("password: from {}", password.origin));

        let explicit_bundle = self.ca_bundle.map(|p| p.to_string_lossy().into_owned());
        let ca_bundle = lookup
            .resolve(explicit_bundle, "ca_bundle", "TCMS_CA_BUNDLE")?
            .map(|found| {
                let path = bundle_path(&found.value, &found.origin);
                sources.push(format!(
                    "ca_bundle = {} (from {})",
                    path.display(),
                    found.origin
                ));
                path
            });

        let explicit_verify = self.tls_verify.map(|v| v.to_string());
        let tls_verify = match lookup.resolve(explicit_verify, "tls_verify", "TCMS_TLS_VERIFY")? {
            Some(found) => {
                let verify = parse_bool(&found.value, "tls_verify", &found.origin)?;
                sources.push(format!("tls_verify = {verify} (from {})", found.origin));
                verify
            }
            None => true,
        };

        for line in &sources {
            tracing::debug!("{line}");
        }
        Ok(Config {
            base_url,
            username: username.value,
            password: Secret(password.value),
            ca_bundle,
            tls_verify,
            sources,
        })
    }
}

/// Where a value came from, for the log and for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// Set on the [`ConfigBuilder`].
    Program,
    /// The `[tcms]` section of this file.
    File(PathBuf),
    /// This environment variable.
    Env(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Program => f.write_str("the program"),
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Env(var) => write!(f, "environment variable {var}"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug)]
struct Found {
    value: String,
    origin: Origin,
}

/// The `[tcms]` section of the config file that was chosen.
#[derive(Debug)]
struct ConfigFile {
    path: PathBuf,
    /// The section's raw values (before `%` interpolation), `[DEFAULT]` included; `None` when
    /// the file has no `[tcms]` section.
    section: Option<HashMap<String, String>>,
    /// Unix permission bits of the file.
    mode: Option<u32>,
}

impl ConfigFile {
    /// The value of `key`, interpolated like Python's `ConfigParser.get`; empty counts as
    /// not set.
    fn get(&self, key: &str) -> Result<Option<String>, ConfigError> {
        let Some(section) = &self.section else {
            return Ok(None);
        };
        let Some(raw) = section.get(key) else {
            return Ok(None);
        };
        let mut value = String::new();
        interpolate(section, raw, 1, &mut value).map_err(|reason| ConfigError::File {
            file: self.path.clone(),
            message: format!("`{key}` in [{SECTION}]: {reason}"),
        })?;
        Ok(Some(value).filter(|v| !v.is_empty()))
    }

    /// Refuses `use_kerberos = True`.
    fn check_kerberos(&self) -> Result<(), ConfigError> {
        let origin = Origin::File(self.path.clone());
        match self.get("use_kerberos")? {
            Some(value) if parse_bool(&value, "use_kerberos", &origin)? => {
                Err(ConfigError::KerberosNotSupported {
                    file: self.path.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Warns when the file holds a password that other users can read.
    fn warn_if_exposed(&self) {
        if let Some(text) = self.exposure_warning() {
            tracing::warn!("{text}");
        }
    }

    /// The warning [`Self::warn_if_exposed`] logs, if any.
    fn exposure_warning(&self) -> Option<String> {
        let has_password = self
            .section
            .as_ref()
            .and_then(|s| s.get("password"))
            .is_some_and(|p| !p.is_empty());
        let mode = self.mode?;
        (has_password && mode & 0o077 != 0).then(|| {
            format!(
                "{path} contains a password and can be read by other users (mode {mode:04o}); \
                 run `chmod 600 {path}`",
                path = self.path.display(),
                mode = mode & 0o7777,
            )
        })
    }
}

/// Where values are looked up after the explicit ones.
struct Lookup<'a> {
    file: Option<&'a ConfigFile>,
    /// `None`: the process environment.
    env: Option<&'a [(String, String)]>,
}

impl Lookup<'_> {
    /// The explicit value, else the file's `key`, else the environment's `var`.
    fn resolve(
        &self,
        explicit: Option<String>,
        key: &'static str,
        var: &'static str,
    ) -> Result<Option<Found>, ConfigError> {
        if let Some(value) = explicit.filter(|v| !v.is_empty()) {
            return Ok(Some(Found {
                value,
                origin: Origin::Program,
            }));
        }
        if let Some(file) = self.file
            && let Some(value) = file.get(key)?
        {
            return Ok(Some(Found {
                value,
                origin: Origin::File(file.path.clone()),
            }));
        }
        Ok(self.env_var(var).map(|value| Found {
            value,
            origin: Origin::Env(var),
        }))
    }

    /// A non-empty environment variable.
    fn env_var(&self, var: &str) -> Option<String> {
        let value = match self.env {
            Some(vars) => vars
                .iter()
                .rev()
                .find(|(name, _)| name == var)
                .map(|(_, value)| value.clone()),
            None => match std::env::var(var) {
                Ok(value) => Some(value),
                Err(std::env::VarError::NotPresent) => None,
                Err(std::env::VarError::NotUnicode(_)) => {
                    tracing::warn!("ignoring {var}: its value is not valid UTF-8");
                    None
                }
            },
        };
        value.filter(|v| !v.is_empty())
    }
}

/// Reads the first of `files` that exists. Also returns the files looked at, in order, up to
/// and including the one read.
fn read_first_file(files: &[PathBuf]) -> Result<(Option<ConfigFile>, Vec<PathBuf>), ConfigError> {
    let mut tried = Vec::new();
    for path in files {
        tried.push(path.clone());
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) => {
                // Like Python's `os.path.exists`: anything we cannot stat is not there.
                if e.kind() != io::ErrorKind::NotFound {
                    tracing::debug!("skipping config file {}: {e}", path.display());
                }
                continue;
            }
        };
        tracing::debug!("reading config file {}", path.display());
        let file_error = |message: String| ConfigError::File {
            file: path.clone(),
            message,
        };
        let bytes = fs::read(path).map_err(|e| file_error(format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| file_error("cannot read: not valid UTF-8".to_owned()))?;
        let mut ini = parse_ini(&text).map_err(file_error)?;
        let section = ini.remove(SECTION).map(|values| {
            let mut merged = ini.remove(DEFAULT_SECTION).unwrap_or_default();
            merged.extend(values);
            merged
        });
        if section.is_none() {
            tracing::warn!(
                "{} has no [{SECTION}] section; it is ignored (only this file is read)",
                path.display()
            );
        }
        let file = ConfigFile {
            path: path.clone(),
            section,
            mode: file_mode(&metadata),
        };
        return Ok((Some(file), tried));
    }
    tracing::debug!(
        "no config file found (looked for {}); using the environment",
        display_list(&tried)
    );
    Ok((None, tried))
}

#[cfg(unix)]
fn file_mode(metadata: &fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(metadata.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_metadata: &fs::Metadata) -> Option<u32> {
    None
}

fn display_list(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "no files".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn missing(variable: &'static str, key: &'static str, tried: &[PathBuf]) -> ConfigError {
    ConfigError::Missing {
        variable,
        key,
        tried: tried.to_vec(),
    }
}

/// The sections of an INI file, read like Python's `configparser.ConfigParser` (strict, no
/// inline comments, empty lines allowed in values). Keys are lowercased; values are raw (not
/// interpolated). Errors name the line, never its text (it may hold a password).
fn parse_ini(text: &str) -> Result<HashMap<String, HashMap<String, String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Values as lists of lines; joined at the end.
    let mut sections: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut seen_sections: HashSet<String> = HashSet::new();
    let mut seen_keys: HashSet<(String, String)> = HashSet::new();
    let mut section: Option<String> = None;
    let mut key: Option<String> = None;
    let mut indent_level = 0;

    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let stripped = line.trim();
        let comment = stripped.starts_with('#') || stripped.starts_with(';');
        if comment || stripped.is_empty() {
            // An empty line may be inside a multi-line value; trailing ones are dropped later.
            if !comment
                && let (Some(s), Some(k)) = (&section, &key)
                && let Some(lines) = sections.get_mut(s).and_then(|values| values.get_mut(k))
            {
                lines.push(String::new());
            }
            continue;
        }
        let indent = line.chars().take_while(|c| c.is_whitespace()).count();
        if let (Some(s), Some(k)) = (&section, &key)
            && indent > indent_level
        {
            if let Some(lines) = sections.get_mut(s).and_then(|values| values.get_mut(k)) {
                lines.push(stripped.to_owned());
            }
            continue;
        }
        indent_level = indent;

        if let Some(header) = section_header(stripped) {
            if header != DEFAULT_SECTION && !seen_sections.insert(header.to_owned()) {
                return Err(format!("line {number}: section [{header}] appears twice"));
            }
            sections.entry(header.to_owned()).or_default();
            section = Some(header.to_owned());
            key = None;
            continue;
        }
        let Some(current) = &section else {
            return Err(format!(
                "line {number}: expected a section header such as [{SECTION}] before any key"
            ));
        };
        let Some(delimiter) = stripped.find(['=', ':']) else {
            return Err(format!(
                "line {number}: expected `key = value`, a [section] header or a comment"
            ));
        };
        let name = stripped[..delimiter].trim_end().to_lowercase();
        if name.is_empty() {
            return Err(format!("line {number}: a value without a key"));
        }
        if !seen_keys.insert((current.clone(), name.clone())) {
            return Err(format!(
                "line {number}: `{name}` appears twice in section [{current}]"
            ));
        }
        let value = stripped[delimiter + 1..].trim().to_owned();
        sections
            .entry(current.clone())
            .or_default()
            .insert(name.clone(), vec![value]);
        key = Some(name);
    }

    Ok(sections
        .into_iter()
        .map(|(name, values)| {
            let values = values
                .into_iter()
                .map(|(k, lines)| (k, lines.join("\n").trim_end().to_owned()))
                .collect();
            (name, values)
        })
        .collect())
}

/// The name in a `[section]` line: everything up to the last `]` (Python's `\[(?P<header>.+)\]`).
fn section_header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// Python's `BasicInterpolation`: `%%` is `%`, `%(key)s` is the (interpolated) value of `key`.
/// The reason for an error never quotes the value (it may be a password).
fn interpolate(
    section: &HashMap<String, String>,
    value: &str,
    depth: usize,
    out: &mut String,
) -> Result<(), String> {
    if depth > MAX_INTERPOLATION_DEPTH {
        return Err(format!(
            "`%(...)s` references nest more than {MAX_INTERPOLATION_DEPTH} deep (a loop?)"
        ));
    }
    let mut rest = value;
    while let Some(percent) = rest.find('%') {
        out.push_str(&rest[..percent]);
        rest = &rest[percent + 1..];
        if let Some(after) = rest.strip_prefix('%') {
            out.push('%');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('(') {
            let reference = after
                .find(')')
                .filter(|&close| close > 0 && after[close + 1..].starts_with('s'));
            let Some(close) = reference else {
                return Err("a `%(` must form `%(key)s`; write `%%` for a literal `%`".to_owned());
            };
            let name = after[..close].to_lowercase();
            rest = &after[close + 2..];
            let Some(referenced) = section.get(&name) else {
                return Err(format!(
                    "a `%(key)s` reference names a key that is not in [{SECTION}]; \
                     write `%%` for a literal `%`"
                ));
            };
            interpolate(section, referenced, depth + 1, out)?;
        } else {
            return Err(
                "a `%` must be followed by `%` or `(`; write `%%` for a literal `%`".into(),
            );
        }
    }
    out.push_str(rest);
    Ok(())
}

/// Python's `strtobool`, case-insensitive.
fn parse_bool(value: &str, name: &str, origin: &Origin) -> Result<bool, ConfigError> {
    match value.trim().to_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Ok(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Ok(false),
        _ => Err(ConfigError::InvalidValue {
            name: name.to_owned(),
            value: value.to_owned(),
            origin: origin.to_string(),
            reason: "expected a boolean: true/false, yes/no, on/off, 1/0 (or y/n, t/f)".to_owned(),
        }),
    }
}

/// The base URL: http(s), no rpc suffix, no trailing slash.
fn normalize_url(raw: &str, origin: &Origin) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidUrl {
        url: redact_userinfo(raw),
        origin: origin.to_string(),
        reason,
    };
    let text = raw.trim();
    if !text.contains("://") {
        return Err(invalid(
            "expected an http:// or https:// URL, such as https://tcms.example.com".to_owned(),
        ));
    }
    let mut url = Url::parse(text).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "the scheme must be https or http, not `{}`",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("the URL has no host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "the URL must not contain credentials; set `username` and `password` instead"
                .to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "the URL must not have a query (`?`) or a fragment (`#`)".to_owned(),
        ));
    }
    let mut path = url.path().trim_end_matches('/');
    for suffix in ["/json-rpc", "/xml-rpc"] {
        if let Some(base) = path.strip_suffix(suffix) {
            path = base.trim_end_matches('/');
            break;
        }
    }
    let path = path.to_owned();
    url.set_path(&path);
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Hides `user:password@` in a URL shown in an error.
fn redact_userinfo(raw: &str) -> String {
    // Whatever the URL looks like (no scheme, `//`, `http//`, `http:/`): the text before any
    // `@` back to the previous `/` may be `user:password`, and a query or fragment may hold a
    // token. Both are hidden.
    let (main, hidden_tail) = match raw.find(['?', '#']) {
        Some(at) => (&raw[..at], true),
        None => (raw, false),
    };
    let mut out = String::with_capacity(raw.len());
    let mut segment_start = 0;
    for (i, c) in main.char_indices() {
        match c {
            '/' => {
                out.push_str(&main[segment_start..=i]);
                segment_start = i + 1;
            }
            '@' => {
                out.push_str("***@");
                segment_start = i + 1;
            }
            _ => {}
        }
    }
    out.push_str(&main[segment_start..]);
    if hidden_tail {
        out.push_str("?***");
    }
    out
}

/// Warns when the password would cross the network unencrypted.
/// The warning for a plain `http://` URL to a host other than this machine.
fn clear_text_warning(base_url: &str) -> Option<String> {
    let url = Url::parse(base_url).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    (!loopback).then(|| {
        format!("{base_url} uses plain http: the password will travel in clear text; use https://")
    })
}

/// The CA bundle path: `~/` expanded; relative paths in a config file are relative to it.
fn bundle_path(value: &str, origin: &Origin) -> PathBuf {
    let Origin::File(file) = origin else {
        return PathBuf::from(value);
    };
    if let Some(rest) = value.strip_prefix("~/")
        && let Some(home) = dirs::home_dir()
    {
        return home.join(rest);
    }
    let path = PathBuf::from(value);
    match file.parent() {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap (team rule); library code never does.
mod tests {
    use tempfile::TempDir;

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

        let ini = parse_ini("[tcms]\npassword = a\n  b\n\n  # c\n\n  d\n\nurl = x\n[a]b]\nk=v\n")
            .unwrap();
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
}
