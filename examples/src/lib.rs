//! SDK examples live in `examples/*.rs`; run one with `cargo run -p examples --example NAME`.
