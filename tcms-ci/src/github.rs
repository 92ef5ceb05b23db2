//! GitHub Actions step outputs (`GITHUB_OUTPUT`): `run-id` and `run-url`.

use tcms_api::report::Summary;

/// The step outputs of a report, in the file format of `GITHUB_OUTPUT`: `run-id=42` and
/// `run-url=...` (left out when the report has no run, as a dry run that would create it).
pub fn outputs(summary: &Summary) -> String {
    let mut out = String::new();
    if let Some(id) = summary.run_id {
        out.push_str(&output("run-id", &id.get().to_string()));
    }
    if let Some(url) = &summary.run_url {
        out.push_str(&output("run-url", url));
    }
    out
}

/// `name=value`, or the multi-line form (`name<<DELIMITER`) for a value with a line break.
pub fn output(name: &str, value: &str) -> String {
    if !value.contains(['\n', '\r']) {
        return format!("{name}={value}\n");
    }
    let mut delimiter = String::from("TCMS_EOF");
    while value.contains(&delimiter) {
        delimiter.push('_');
    }
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}
