//! plugin-tap: work in progress (see ARCHITECTURE.md).
