//! spec: work in progress (see ARCHITECTURE.md).
