//! Kiwi TCMS SDK. (crate docs: being written)

mod client;
mod config;
mod error;
pub mod report;
mod rpc;

pub use client::{Client, ClientBuilder, ServerVersion, USER_AGENT};
pub use config::{Config, ConfigBuilder, Secret};
pub use error::{ConfigError, Error, RpcError, codes};
pub use rpc::{Call, is_idempotent, unescape_html};
