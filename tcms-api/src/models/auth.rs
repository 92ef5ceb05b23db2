//! `Auth.login` and `KiwiTCMS.version`: what the client sends to open a session.

use serde_json::Value;

use super::common::positional_call;
use crate::config::Secret;
use crate::rpc::Call;

/// `Auth.login(username, password)`: the session key.
pub(crate) fn login_call(username: &str, password: &Secret) -> Call<String> {
    positional_call(
        "Auth.login",
        vec![Value::from(username), Value::from(password.expose_secret())],
    )
}

/// `KiwiTCMS.version()`: the server's version text, e.g. `12.4`.
pub(crate) fn version_call() -> Call<String> {
    positional_call("KiwiTCMS.version", Vec::new())
}
