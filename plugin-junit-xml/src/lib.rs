//! plugin-junit-xml: work in progress (see ARCHITECTURE.md).
