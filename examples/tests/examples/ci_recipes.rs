//! `action.yml` and the recipes of `examples/ci/` parse, and say what they mean: a composite
//! action whose outputs come from its steps, inputs that exist wherever they are used, no
//! `${{ }}` inside a script (inputs reach scripts through `env:` only: no script injection),
//! scripts that bash accepts, and recipes that use the action with its own inputs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

pub(crate) fn load(path: &Path) -> Yaml {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut docs = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
    assert_eq!(docs.len(), 1, "{}: one document", path.display());
    docs.remove(0)
}

fn keys(map: &Yaml) -> BTreeSet<String> {
    map.as_hash()
        .map(|h| {
            h.keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The `run:` scripts of the action's steps, by step name.
pub(crate) fn action_scripts() -> Vec<(String, String)> {
    let action = load(&root().join("action.yml"));
    action["runs"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|s| {
            Some((
                s["name"].as_str()?.to_owned(),
                s["run"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Every `NAME` of `${{ ... inputs.NAME ... }}` in `text`.
fn inputs_used(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let expr_end = rest[start..].find("}}").map_or(rest.len(), |e| start + e);
        let expr = &rest[start..expr_end];
        let mut inner = expr;
        while let Some(at) = inner.find("inputs.") {
            let name: String = inner[at + "inputs.".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            used.insert(name);
            inner = &inner[at + "inputs.".len()..];
        }
        rest = &rest[expr_end..];
    }
    used
}

#[test]
fn action_yml_is_a_composite_action_whose_parts_fit() {
    let path = root().join("action.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let action = load(&path);
    for key in ["name", "description"] {
        assert!(
            action[key].as_str().is_some_and(|v| !v.trim().is_empty()),
            "action.yml needs a {key}"
        );
    }
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));

    let inputs = keys(&action["inputs"]);
    for name in &inputs {
        let input = &action["inputs"][name.as_str()];
        assert!(
            input["description"].as_str().is_some_and(|d| !d.is_empty()),
            "input {name} needs a description"
        );
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "input {name}: lower-case-with-dashes"
        );
        if input["required"].as_bool() != Some(true) {
            assert!(
                !input["default"].is_badvalue(),
                "optional input {name} needs a default"
            );
        }
    }
    assert_eq!(action["inputs"]["format"]["required"].as_bool(), Some(true));
    for needed in [
        "format",
        "files",
        "product",
        "version",
        "build",
        "run-key",
        "profile",
        "args",
        "wheel-url",
        "pip-spec",
    ] {
        assert!(
            inputs.contains(needed),
            "input {needed} missing: {inputs:?}"
        );
    }
    let used = inputs_used(&text);
    assert!(
        used.is_subset(&inputs),
        "undeclared inputs used: {:?}",
        used.difference(&inputs).collect::<Vec<_>>()
    );
    let unused: Vec<_> = inputs.difference(&used).collect();
    assert!(unused.is_empty(), "inputs never used: {unused:?}");

    let steps = action["runs"]["steps"].as_vec().unwrap();
    assert!(!steps.is_empty());
    let mut ids = BTreeSet::new();
    for step in steps {
        let name = step["name"].as_str().unwrap_or("?");
        if let Some(script) = step["run"].as_str() {
            // A composite action's run steps must say their shell.
            assert_eq!(step["shell"].as_str(), Some("bash"), "step {name}");
            assert!(
                !script.contains("${{"),
                "step {name}: an expression inside the script (pass it through env:)"
            );
        }
        if let Some(id) = step["id"].as_str() {
            ids.insert(id.to_owned());
        }
    }
    let outputs = keys(&action["outputs"]);
    assert_eq!(
        outputs,
        BTreeSet::from(["run-id".to_owned(), "run-url".to_owned()])
    );
    for name in &outputs {
        let output = &action["outputs"][name.as_str()];
        assert!(output["description"].as_str().is_some(), "output {name}");
        let value = output["value"].as_str().unwrap_or_default();
        let step = value
            .strip_prefix("${{ steps.")
            .and_then(|v| v.split_once(".outputs."))
            .map(|(step, rest)| (step, rest.trim_end_matches(" }}")))
            .unwrap_or_else(|| panic!("output {name}: {value}"));
        assert!(ids.contains(step.0), "output {name} names step {}", step.0);
        assert_eq!(
            step.1, name,
            "output {name} is the step's output of that name"
        );
    }
    // The README documents every input.
    let readme = std::fs::read_to_string(root().join("examples/ci/README.md")).unwrap();
    for name in &inputs {
        assert!(
            readme.contains(&format!("`{name}`")),
            "examples/ci/README.md does not document the input {name}"
        );
    }
}

#[test]
fn the_action_scripts_are_valid_bash() {
    let scripts = action_scripts();
    assert_eq!(scripts.len(), 2, "{scripts:?}");
    for (name, script) in scripts {
        let out = Command::new("bash")
            .args(["-n", "-c", &script])
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root().join("examples/ci").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no recipes in {dir}");
    found
}

#[test]
fn github_recipes_are_workflows_that_use_the_action_as_declared() {
    let action = load(&root().join("action.yml"));
    let inputs = keys(&action["inputs"]);
    let mut uses_action = 0;
    for path in files("github") {
        let workflow = load(&path);
        let name = path.display();
        assert!(workflow["name"].as_str().is_some(), "{name}: name");
        assert!(!workflow["on"].is_badvalue(), "{name}: on");
        let jobs = workflow["jobs"]
            .as_hash()
            .unwrap_or_else(|| panic!("{name}: jobs"));
        for (job_name, job) in jobs {
            let job_name = job_name.as_str().unwrap_or("?");
            assert!(
                job["runs-on"].as_str().is_some(),
                "{name} {job_name}: runs-on"
            );
            for step in job["steps"].as_vec().unwrap() {
                assert!(
                    step["run"].as_str().is_some() || step["uses"].as_str().is_some(),
                    "{name} {job_name}: a step runs or uses something"
                );
                // No `cargo install` of the plugins any more: the wheel installs them.
                if let Some(script) = step["run"].as_str() {
                    assert!(
                        !script.contains("cargo install --locked --git"),
                        "{name} {job_name}: install with pip"
                    );
                }
                let Some(used) = step["uses"].as_str() else {
                    continue;
                };
                if !used.starts_with("kiwitcms-rs/kiwitcms-rs@") {
                    continue;
                }
                uses_action += 1;
                let with = keys(&step["with"]);
                assert!(
                    with.is_subset(&inputs),
                    "{name} {job_name}: unknown inputs {:?}",
                    with.difference(&inputs).collect::<Vec<_>>()
                );
                assert!(with.contains("format"), "{name} {job_name}: format");
            }
        }
    }
    assert!(
        uses_action >= 3,
        "the recipes show the action: {uses_action}"
    );
}

#[test]
fn gitlab_recipes_are_pipelines_that_keep_the_summary() {
    for path in files("gitlab") {
        let pipeline = load(&path);
        let name = path.display();
        let mut jobs = 0;
        for (key, job) in pipeline.as_hash().unwrap() {
            let key = key.as_str().unwrap_or_default();
            if ["stages", "variables", "default", "include", "workflow"].contains(&key)
                || key.starts_with('.')
            {
                continue;
            }
            jobs += 1;
            assert!(job["script"].as_vec().is_some(), "{name} {key}: script");
        }
        assert!(jobs > 0, "{name}: jobs");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("pip install"),
            "{name}: installed from the wheel"
        );
        assert!(text.contains("--summary-md") || text.contains("TCMS_REPORT_SUMMARY_MD"));
    }
    let jenkins = std::fs::read_to_string(root().join("examples/ci/jenkins/Jenkinsfile")).unwrap();
    assert!(jenkins.contains("--summary-md") && jenkins.contains("junit '"));
}
