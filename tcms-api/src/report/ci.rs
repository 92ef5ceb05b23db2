//! Where the results came from: the CI job that produced them (GitHub Actions, GitLab CI,
//! Jenkins, Travis CI), read from the variables those systems set.
//!
//! The engine records it on the run (as run properties on Kiwi ≥ 15.3, in the run's notes
//! before), and links every execution that did not pass to the job, so a reader gets from Kiwi
//! to the log in one click.

use std::collections::HashMap;

/// The CI job a report runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiInfo {
    /// `GitHub Actions`, `GitLab CI`, `Jenkins`, `Travis CI`.
    pub system: &'static str,
    /// The commit tested.
    pub commit: Option<String>,
    /// The branch, when the job runs for one.
    pub branch: Option<String>,
    /// The tag, when the job runs for one.
    pub tag: Option<String>,
    /// The job's (or pipeline's) web page.
    pub job_url: Option<String>,
    /// The runner's operating system (`Linux`, `linux/amd64`, else this program's `linux`).
    pub os: String,
}

impl CiInfo {
    /// The CI job the variables describe, if any.
    pub fn from_vars(env: &HashMap<String, String>) -> Option<Self> {
        let get = |name: &str| {
            env.get(name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let is = |name: &str| get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let os = |name: &str| get(name).unwrap_or_else(|| std::env::consts::OS.to_owned());
        if is("GITHUB_ACTIONS") {
            let tag = (get("GITHUB_REF_TYPE").as_deref() == Some("tag"))
                .then(|| get("GITHUB_REF_NAME"))
                .flatten();
            let branch = match tag {
                Some(_) => None,
                None => get("GITHUB_HEAD_REF").or_else(|| get("GITHUB_REF_NAME")),
            };
            let job_url = match (
                get("GITHUB_SERVER_URL"),
                get("GITHUB_REPOSITORY"),
                get("GITHUB_RUN_ID"),
            ) {
                (Some(server), Some(repo), Some(run)) => Some(match get("GITHUB_RUN_ATTEMPT") {
                    Some(attempt) => {
                        format!("{server}/{repo}/actions/runs/{run}/attempts/{attempt}")
                    }
                    None => format!("{server}/{repo}/actions/runs/{run}"),
                }),
                _ => None,
            };
            return Some(Self {
                system: "GitHub Actions",
                commit: get("GITHUB_SHA"),
                branch,
                tag,
                job_url,
                os: os("RUNNER_OS"),
            });
        }
        if is("GITLAB_CI") {
            let tag = get("CI_COMMIT_TAG");
            return Some(Self {
                system: "GitLab CI",
                commit: get("CI_COMMIT_SHA"),
                branch: match tag {
                    Some(_) => None,
                    None => get("CI_COMMIT_BRANCH").or_else(|| get("CI_COMMIT_REF_NAME")),
                },
                tag,
                job_url: get("CI_JOB_URL").or_else(|| get("CI_PIPELINE_URL")),
                os: os("CI_RUNNER_EXECUTABLE_ARCH"),
            });
        }
        if get("JENKINS_URL").is_some() || get("JENKINS_HOME").is_some() {
            let tag = get("TAG_NAME");
            return Some(Self {
                system: "Jenkins",
                commit: get("GIT_COMMIT"),
                branch: match tag {
                    Some(_) => None,
                    None => get("BRANCH_NAME").or_else(|| get("GIT_BRANCH")),
                },
                tag,
                job_url: get("BUILD_URL"),
                os: std::env::consts::OS.to_owned(),
            });
        }
        if is("TRAVIS") {
            let tag = get("TRAVIS_TAG");
            return Some(Self {
                system: "Travis CI",
                commit: get("TRAVIS_COMMIT"),
                branch: match tag {
                    Some(_) => None,
                    None => get("TRAVIS_BRANCH"),
                },
                tag,
                job_url: get("TRAVIS_JOB_WEB_URL").or_else(|| get("TRAVIS_BUILD_WEB_URL")),
                os: os("TRAVIS_OS_NAME"),
            });
        }
        None
    }

    /// The `name=value` pairs recorded on the run, in a fixed order.
    pub fn properties(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("ci", self.system.to_owned())];
        for (name, value) in [
            ("commit", &self.commit),
            ("branch", &self.branch),
            ("tag", &self.tag),
            ("job_url", &self.job_url),
        ] {
            if let Some(v) = value {
                out.push((name, v.clone()));
            }
        }
        out.push(("os", self.os.clone()));
        out
    }

    /// The lines written in the run's notes where the server has no run properties.
    pub fn notes(&self) -> String {
        self.properties()
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn github_actions() {
        let ci = CiInfo::from_vars(&vars(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SHA", "abc123"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_REF_TYPE", "branch"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "org/repo"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
            ("RUNNER_OS", "Linux"),
        ]))
        .unwrap();
        assert_eq!(ci.system, "GitHub Actions");
        assert_eq!(
            ci.job_url.as_deref(),
            Some("https://github.com/org/repo/actions/runs/42/attempts/2")
        );
        assert_eq!(ci.branch.as_deref(), Some("main"));
        assert_eq!(ci.tag, None);
        assert_eq!(ci.os, "Linux");
        assert_eq!(ci.properties()[0], ("ci", "GitHub Actions".to_owned()));
        assert!(ci.notes().contains("commit: abc123"));
        let tagged = CiInfo::from_vars(&vars(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REF_NAME", "v1.0"),
            ("GITHUB_REF_TYPE", "tag"),
        ]))
        .unwrap();
        assert_eq!((tagged.tag.as_deref(), tagged.branch), (Some("v1.0"), None));
    }

    #[test]
    fn gitlab_jenkins_travis_and_none() {
        let gl = CiInfo::from_vars(&vars(&[
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_SHA", "def"),
            ("CI_COMMIT_REF_NAME", "feature"),
            ("CI_JOB_URL", "https://gitlab.example.com/g/p/-/jobs/7"),
        ]))
        .unwrap();
        assert_eq!(
            gl.job_url.as_deref(),
            Some("https://gitlab.example.com/g/p/-/jobs/7")
        );
        assert_eq!(gl.branch.as_deref(), Some("feature"));
        let j = CiInfo::from_vars(&vars(&[
            ("JENKINS_URL", "https://ci/"),
            ("BUILD_URL", "https://ci/job/x/3/"),
            ("GIT_COMMIT", "123"),
        ]))
        .unwrap();
        assert_eq!(j.system, "Jenkins");
        let t = CiInfo::from_vars(&vars(&[("TRAVIS", "true"), ("TRAVIS_OS_NAME", "osx")])).unwrap();
        assert_eq!(t.os, "osx");
        assert_eq!(CiInfo::from_vars(&vars(&[("CI", "true")])), None);
    }
}
