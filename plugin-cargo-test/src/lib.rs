//! plugin-cargo-test: work in progress (see ARCHITECTURE.md).
