//! Where the client finds the server and the credentials.
//!
//! STUB: explicit values only. The full resolution (files, environment, logging of sources)
//! is being written; the public API below is fixed.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::ConfigError;

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

    /// Resolves the configuration.
    pub fn load(self) -> Result<Config, ConfigError> {
        let tried = self.files.clone().unwrap_or_default();
        let url = self.url.ok_or_else(|| ConfigError::Missing {
            variable: "TCMS_API_URL",
            key: "url",
            tried: tried.clone(),
        })?;
        let username = self.username.ok_or_else(|| ConfigError::Missing {
            variable: "TCMS_USERNAME",
            key: "username",
            tried: tried.clone(),
        })?;
        let password = self.password.ok_or(ConfigError::Missing {
            variable: "TCMS_PASSWORD",
            key: "password",
            tried,
        })?;
        let base_url = url
            .trim_end_matches('/')
            .trim_end_matches("/json-rpc")
            .trim_end_matches("/xml-rpc")
            .to_owned();
        Ok(Config {
            base_url,
            username,
            password,
            ca_bundle: self.ca_bundle,
            tls_verify: self.tls_verify.unwrap_or(true),
        })
    }
}
