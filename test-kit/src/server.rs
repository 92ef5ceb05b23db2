//! Helpers for end-to-end tests against a real Kiwi TCMS (cargo feature `test-support`).
//!
//! [`real_server`] tells a test which server to use and with which credentials:
//!
//! - `TCMS_E2E_URL`, `TCMS_E2E_USERNAME` and `TCMS_E2E_PASSWORD`, when set (`scripts/test`
//!   sets them, and they can point at any Kiwi TCMS, e.g. a 16.x one). The usual
//!   `TCMS_API_URL` / `~/.tcms.conf` are deliberately never read, so a developer's own
//!   Kiwi TCMS is never written to by tests.
//! - otherwise the workspace's `scripts/kiwi-server start` (a local, loopback-only Kiwi TCMS
//!   12.4; the first start installs it and takes a few minutes, later ones about a minute)
//!   and the credentials printed by `scripts/kiwi-server env`. A server started this way is
//!   left running after the tests; `scripts/kiwi-server stop` stops it.
//!
//! The server is shared by every test and keeps its data between runs, so each test creates
//! its own objects under a name from [`unique_name`] and never relies on what other tests
//! (or earlier runs) created.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use tcms_test_kit::server::{real_server, unique_name};
//!
//! let server = real_server()?;
//! let client = tcms_api::Client::new(server.config())?;
//! let product = unique_name("my-test");
//! let found: Vec<serde_json::Value> = client
//!     .call("Product.filter", serde_json::json!([{ "name": product }]))
//!     .await?;
//! assert!(found.is_empty());
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use tcms_api::{Config, ConfigError, Secret};

/// Environment variable: base URL of the Kiwi TCMS for end-to-end tests.
pub const E2E_URL: &str = "TCMS_E2E_URL";
/// Environment variable: user name for [`E2E_URL`].
pub const E2E_USERNAME: &str = "TCMS_E2E_USERNAME";
/// Environment variable: password for [`E2E_USERNAME`].
pub const E2E_PASSWORD: &str = "TCMS_E2E_PASSWORD";

/// A Kiwi TCMS that end-to-end tests may write to, and how to log in.
#[derive(Clone, Debug)]
pub struct RealServer {
    url: String,
    username: String,
    password: Secret,
    config: Config,
}

impl RealServer {
    /// A server at `url` (its base, `.../json-rpc/` or `.../xml-rpc/`) with these credentials.
    pub fn new(
        url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Result<Self, SetupError> {
        let url = url.into();
        let username = username.into();
        let password = Secret::new(password);
        let config = Config::builder()
            .url(url.clone())
            .username(username.clone())
            .password(password.expose_secret())
            .config_files([])
            .env(Vec::<(String, String)>::new())
            .load()
            .map_err(|e| SetupError::Config(Arc::new(e)))?;
        Ok(Self {
            url,
            username,
            password,
            config,
        })
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &Secret {
        &self.password
    }

    /// A client configuration for this server, built from these values only (no config file,
    /// no environment variable of the test process).
    pub fn config(&self) -> Config {
        self.config.clone()
    }
}

/// Why no end-to-end server could be found or started.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// Some of the `TCMS_E2E_*` variables are set, but not all.
    #[error(
        "{set} is set but {missing} is not: set all of {E2E_URL}, {E2E_USERNAME} and \
         {E2E_PASSWORD}, or none of them (then scripts/kiwi-server starts a local server)"
    )]
    Incomplete {
        /// A variable that is set.
        set: &'static str,
        /// A variable that is missing or empty.
        missing: &'static str,
    },

    /// The launcher script could not be run.
    #[error(
        "cannot run {}: {message} (or set {E2E_URL}, {E2E_USERNAME} and {E2E_PASSWORD} to use \
         a running Kiwi TCMS)",
        script.display()
    )]
    Launch {
        /// `<workspace>/scripts/kiwi-server`.
        script: PathBuf,
        /// The operating system's error.
        message: String,
    },

    /// The launcher script ran but failed.
    #[error("`{} {command}` failed ({status}); its messages are above", script.display())]
    Script {
        /// `<workspace>/scripts/kiwi-server`.
        script: PathBuf,
        /// `start` or `env`.
        command: &'static str,
        /// Its exit status.
        status: String,
    },

    /// `scripts/kiwi-server env` did not print a value the tests need.
    #[error("`{} env` printed no {variable}", script.display())]
    EnvOutput {
        /// `<workspace>/scripts/kiwi-server`.
        script: PathBuf,
        /// The missing variable, e.g. `KIWI_ADMIN_PASSWORD`.
        variable: &'static str,
    },

    /// The URL or credentials do not make a valid configuration.
    #[error("invalid end-to-end server settings: {0}")]
    Config(Arc<ConfigError>),
}

/// The Kiwi TCMS for end-to-end tests (see the [module docs](self)), found or started once per
/// process; later calls, from any thread, return the same answer.
pub fn real_server() -> Result<RealServer, SetupError> {
    static SERVER: OnceLock<Result<RealServer, SetupError>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let from_env = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
            match from_env_vars(
                from_env(E2E_URL),
                from_env(E2E_USERNAME),
                from_env(E2E_PASSWORD),
            )? {
                Some(server) => Ok(server),
                None => start_local_server(&launcher_script()),
            }
        })
        .clone()
}

/// `Ok(None)` when none of the three variables is set.
fn from_env_vars(
    url: Option<String>,
    username: Option<String>,
    password: Option<String>,
) -> Result<Option<RealServer>, SetupError> {
    let set = [
        (E2E_URL, url.is_some()),
        (E2E_USERNAME, username.is_some()),
        (E2E_PASSWORD, password.is_some()),
    ];
    match (url, username, password) {
        (Some(url), Some(username), Some(password)) => {
            RealServer::new(url, username, password).map(Some)
        }
        (None, None, None) => Ok(None),
        _ => {
            let name_where = |want: bool| {
                set.iter()
                    .find(|(_, is_set)| *is_set == want)
                    .map_or("", |(name, _)| *name)
            };
            Err(SetupError::Incomplete {
                set: name_where(true),
                missing: name_where(false),
            })
        }
    }
}

/// `<workspace root>/scripts/kiwi-server`; tcms-api sits one level below the root.
fn launcher_script() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .unwrap_or(manifest_dir)
        .join("scripts")
        .join("kiwi-server")
}

fn start_local_server(script: &Path) -> Result<RealServer, SetupError> {
    // `start` prints the URL on stdout and its progress on stderr, which goes straight to the
    // terminal (a first start takes minutes; the developer should see why).
    run_script(script, "start")?;
    // `env` prints the password: captured, parsed, never echoed.
    let exports = run_script(script, "env")?;
    parse_env_output(script, &exports)
}

fn run_script(script: &Path, command: &'static str) -> Result<String, SetupError> {
    if !script.is_file() {
        return Err(SetupError::Launch {
            script: script.to_owned(),
            message: "no such file (tcms-api is not used from its workspace)".to_owned(),
        });
    }
    let output = Command::new("bash")
        .arg(script)
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| SetupError::Launch {
            script: script.to_owned(),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(SetupError::Script {
            script: script.to_owned(),
            command,
            status: output.status.to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Reads `export KIWI_URL='...'` lines, as printed by `scripts/kiwi-server env`.
fn parse_env_output(script: &Path, exports: &str) -> Result<RealServer, SetupError> {
    let value = |variable: &'static str| {
        exports
            .lines()
            .filter_map(|line| line.trim().strip_prefix("export "))
            .filter_map(|assignment| assignment.split_once('='))
            .find(|(name, _)| *name == variable)
            .map(|(_, raw)| {
                raw.strip_prefix('\'')
                    .and_then(|v| v.strip_suffix('\''))
                    .unwrap_or(raw)
                    .to_owned()
            })
            .filter(|v| !v.is_empty())
            .ok_or_else(|| SetupError::EnvOutput {
                script: script.to_owned(),
                variable,
            })
    };
    RealServer::new(
        value("KIWI_URL")?,
        value("KIWI_ADMIN_USER")?,
        value("KIWI_ADMIN_PASSWORD")?,
    )
}

/// A name no other test, process or run has used: `<prefix>-<pid>-<time>-<n>`, where time is
/// the nanoseconds since 1970 in base 36 and `n` counts calls in this process. Under 64
/// characters (Kiwi's limit for product names) for a prefix of up to 30.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{}-{n}", std::process::id(), base36(nanos))
}

fn base36(mut n: u128) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// A plugin binary (`env!("CARGO_BIN_EXE_...")`) set up to report into `product` (version
/// `v1`, build `b1`) on `server`, with a clean environment: only the server's credentials,
/// a `HOME` without `.tcms.conf`, and `PATH`.
pub fn plugin_command(bin: &str, server: &RealServer, product: &str) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("HOME", "/nonexistent-home")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TCMS_API_URL", server.url())
        .env("TCMS_USERNAME", server.username())
        .env("TCMS_PASSWORD", server.password().expose_secret())
        .env("TCMS_PRODUCT", product)
        .env("TCMS_PRODUCT_VERSION", "v1")
        .env("TCMS_BUILD", "b1");
    cmd
}

/// A finished process's exit status, stdout and stderr as one text, for assertion messages.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn env_vars_all_set_give_a_config_without_files_or_env() {
        let server = from_env_vars(
            some("http://127.0.0.1:9/json-rpc/"),
            some("bob"),
            some("pw-1"),
        )
        .expect("valid settings")
        .expect("all variables set");
        assert_eq!(server.url(), "http://127.0.0.1:9/json-rpc/");
        let config = server.config();
        assert_eq!(config.base_url(), "http://127.0.0.1:9");
        assert_eq!(config.username(), "bob");
        assert_eq!(config.password().expose_secret(), "pw-1");
    }

    #[test]
    fn env_vars_none_set_means_start_a_local_server() {
        assert!(from_env_vars(None, None, None).expect("no error").is_none());
    }

    #[test]
    fn env_vars_partly_set_is_an_error_naming_what_is_missing() {
        let err =
            from_env_vars(some("http://127.0.0.1:9"), None, some("pw")).expect_err("should fail");
        assert!(
            matches!(
                err,
                SetupError::Incomplete {
                    set: E2E_URL,
                    missing: E2E_USERNAME
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("TCMS_E2E_USERNAME is not"),
            "{err}"
        );
    }

    #[test]
    fn parses_the_exports_of_kiwi_server_env() {
        let exports = "export KIWI_URL='http://127.0.0.1:8090'\n\
                       export KIWI_JSONRPC_URL='http://127.0.0.1:8090/json-rpc/'\n\
                       export KIWI_ADMIN_USER='admin'\n\
                       export KIWI_ADMIN_PASSWORD='s3cr-t_x'\n";
        let server = parse_env_output(Path::new("kiwi-server"), exports).expect("parses");
        assert_eq!(server.url(), "http://127.0.0.1:8090");
        assert_eq!(server.username(), "admin");
        assert_eq!(server.password().expose_secret(), "s3cr-t_x");
        assert_eq!(
            server.config().endpoint(),
            "http://127.0.0.1:8090/json-rpc/"
        );
    }

    #[test]
    fn missing_password_in_env_output_is_named_and_nothing_is_echoed() {
        let exports = "export KIWI_URL='http://127.0.0.1:8090'\nexport KIWI_ADMIN_USER='admin'\n";
        let err = parse_env_output(Path::new("kiwi-server"), exports).expect_err("should fail");
        assert!(
            matches!(
                err,
                SetupError::EnvOutput {
                    variable: "KIWI_ADMIN_PASSWORD",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn debug_of_a_server_hides_the_password() {
        let server = RealServer::new("http://127.0.0.1:9", "bob", "hunter2-secret").expect("valid");
        let debug = format!("{server:?}");
        assert!(!debug.contains("hunter2-secret"), "{debug}");
    }

    #[test]
    fn a_missing_launcher_is_a_launch_error() {
        let err = start_local_server(Path::new("/nonexistent/scripts/kiwi-server"))
            .expect_err("should fail");
        assert!(matches!(err, SetupError::Launch { .. }), "{err:?}");
    }

    #[test]
    fn launcher_is_the_workspace_script() {
        let script = launcher_script();
        assert!(
            script.ends_with("scripts/kiwi-server"),
            "{}",
            script.display()
        );
        assert!(script.is_file(), "{}", script.display());
    }

    #[test]
    fn unique_names_differ_and_stay_short() {
        let names: Vec<String> = (0..1000)
            .map(|_| unique_name("a-thirty-char-prefix-xxxxxxxxx"))
            .collect();
        let distinct: HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
        assert!(names.iter().all(|n| n.len() < 64), "{}", names[0]);
        assert!(names[0].starts_with("a-thirty-char-prefix-xxxxxxxxx-"));
        assert!(names[0].contains(&format!("-{}-", std::process::id())));
    }

    #[test]
    fn base36_digits() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
        assert_eq!(base36(u128::from(u64::MAX)), "3w5e11264sgsf");
    }
}
