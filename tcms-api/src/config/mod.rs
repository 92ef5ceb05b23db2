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

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::ConfigError;

mod ini;
mod url;

use ini::{interpolate, parse_ini};
use url::{clear_text_warning, normalize_url};

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
mod tests;
