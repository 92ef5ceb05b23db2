//! The server URL: its accepted forms, credentials kept out of messages, the plain-http
//! warning.

use std::net::IpAddr;

use reqwest::Url;

use super::Origin;
use crate::error::ConfigError;

/// The base URL: http(s), no rpc suffix, no trailing slash.
pub(super) fn normalize_url(raw: &str, origin: &Origin) -> Result<String, ConfigError> {
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
pub(super) fn redact_userinfo(raw: &str) -> String {
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
pub(super) fn clear_text_warning(base_url: &str) -> Option<String> {
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
