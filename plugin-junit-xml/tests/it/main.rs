//! The one integration-test binary of plugin-junit-xml.

mod fixtures;
mod python_names;
mod render;
