//! Typed record ids, so a run id can never be passed where a case id is expected.
//!
//! Every id is a newtype over the `i64` primary key Kiwi TCMS uses; on the wire it is a plain
//! JSON number (`#[serde(transparent)]`). Ids that Kiwi's web UI shows with a prefix display
//! with it (`TP-3`, `TR-5`, `TC-12`, `TE-40`); the others display as the bare number.
//! [`FromStr`] accepts both forms.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not an id (see the [`FromStr`] impls of the id types).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid {kind} `{input}`: expected a number{}",
    expected_prefix(prefix)
)]
pub struct ParseIdError {
    kind: &'static str,
    prefix: &'static str,
    input: String,
}

fn expected_prefix(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!(", optionally prefixed with `{prefix}`")
    }
}

impl ParseIdError {
    /// The id type that was asked for, e.g. `test run id`.
    pub fn kind(&self) -> &str {
        self.kind
    }

    /// The text that could not be read.
    pub fn input(&self) -> &str {
        &self.input
    }
}

/// Reads `digits` or `PREFIX digits` (prefix case-insensitive, surrounding spaces ignored).
fn parse_id(s: &str, prefix: &'static str, kind: &'static str) -> Result<i64, ParseIdError> {
    let trimmed = s.trim();
    let digits = match trimmed.get(..prefix.len()) {
        Some(head) if !prefix.is_empty() && head.eq_ignore_ascii_case(prefix) => {
            &trimmed[prefix.len()..]
        }
        _ => trimmed,
    };
    let err = || ParseIdError {
        kind,
        prefix,
        input: s.to_owned(),
    };
    // `i64::from_str` accepts a leading `+`; ids are plain digits.
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    digits.parse().map_err(|_| err())
}

macro_rules! id_type {
    ($($(#[doc = $doc:literal])+ $name:ident, $prefix:literal, $kind:literal;)+) => {$(
        $(#[doc = $doc])+
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The id with this primary key.
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            /// The primary key.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_id(s, $prefix, $kind).map(Self)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl From<$name> for serde_json::Value {
            fn from(id: $name) -> Self {
                serde_json::Value::from(id.0)
            }
        }
    )+};
}

id_type! {
    /// Id of a `Classification` (a product family).
    ClassificationId, "", "classification id";
    /// Id of a `Product`.
    ProductId, "", "product id";
    /// Id of a product `Version`.
    VersionId, "", "version id";
    /// Id of a `Build` (belongs to a version).
    BuildId, "", "build id";
    /// Id of a test case `Category` (belongs to a product).
    CategoryId, "", "category id";
    /// Id of a test case `Priority` (stock: P1..P5 = 1..5).
    PriorityId, "", "priority id";
    /// Id of a test plan type (`PlanType`; stock: Unit = 1 ... Regression = 11).
    PlanTypeId, "", "plan type id";
    /// Id of a `TestPlan`; displays as `TP-<id>`.
    TestPlanId, "TP-", "test plan id";
    /// Id of a `TestCase`; displays as `TC-<id>`.
    TestCaseId, "TC-", "test case id";
    /// Id of a `TestCaseStatus` (stock: PROPOSED = 1, CONFIRMED = 2, DISABLED = 3,
    /// NEED_UPDATE = 4).
    TestCaseStatusId, "", "test case status id";
    /// Id of a `TestRun`; displays as `TR-<id>`.
    TestRunId, "TR-", "test run id";
    /// Id of a `TestExecution` (one case in one run); displays as `TE-<id>`.
    TestExecutionId, "TE-", "test execution id";
    /// Id of a `TestExecutionStatus` (stock: IDLE = 1 ... WAIVED = 8).
    TestExecutionStatusId, "", "test execution status id";
    /// Id of a `User` (on a fresh Kiwi the first real user is 2: 1 is `AnonymousUser`).
    UserId, "", "user id";
    /// Id of a comment (django_comments) on a test execution.
    CommentId, "", "comment id";
    /// Id of a link (`LinkReference`) on a test execution.
    LinkId, "", "link id";
    /// Id of a `Tag`.
    TagId, "", "tag id";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn displays_kiwi_prefixes() {
        assert_eq!(TestPlanId::new(3).to_string(), "TP-3");
        assert_eq!(TestRunId::new(5).to_string(), "TR-5");
        assert_eq!(TestCaseId::new(12).to_string(), "TC-12");
        assert_eq!(TestExecutionId::new(40).to_string(), "TE-40");
        assert_eq!(ProductId::new(7).to_string(), "7");
        assert_eq!(UserId::new(2).to_string(), "2");
    }

    #[test]
    fn parses_with_and_without_prefix() {
        assert_eq!("TR-5".parse::<TestRunId>(), Ok(TestRunId::new(5)));
        assert_eq!("tr-5".parse::<TestRunId>(), Ok(TestRunId::new(5)));
        assert_eq!(" 17 ".parse::<TestRunId>(), Ok(TestRunId::new(17)));
        assert_eq!("TC-9".parse::<TestCaseId>(), Ok(TestCaseId::new(9)));
        assert_eq!("42".parse::<BuildId>(), Ok(BuildId::new(42)));
        for id in [1, 99, i64::MAX] {
            let run = TestRunId::new(id);
            assert_eq!(run.to_string().parse::<TestRunId>(), Ok(run));
        }
    }

    #[test]
    fn refuses_what_is_not_an_id() {
        for bad in [
            "",
            "TR-",
            "TC-5",
            "x",
            "-3",
            "+3",
            "5.0",
            "TR-5x",
            "99999999999999999999",
        ] {
            let err = bad.parse::<TestRunId>().unwrap_err();
            assert_eq!(err.input(), bad);
            assert_eq!(err.kind(), "test run id");
            assert!(err.to_string().contains("`TR-`"), "{err}");
        }
        let err = "TR-5".parse::<BuildId>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid build id `TR-5`: expected a number"
        );
    }

    #[test]
    fn serializes_as_plain_numbers() {
        assert_eq!(serde_json::to_value(TestRunId::new(5)).unwrap(), json!(5));
        let id: TestCaseId = serde_json::from_value(json!(12)).unwrap();
        assert_eq!(id.get(), 12);
        assert!(serde_json::from_value::<TestCaseId>(json!("12")).is_err());
        assert_eq!(serde_json::Value::from(UserId::new(2)), json!(2));
        assert_eq!(i64::from(ProductId::from(8)), 8);
    }

    #[test]
    fn orders_by_number() {
        let mut ids = vec![TestCaseId::new(10), TestCaseId::new(2), TestCaseId::new(7)];
        ids.sort();
        assert_eq!(ids, [2, 7, 10].map(TestCaseId::new));
    }
}
