//! `Comment`: a django_comments comment on a test execution (`TestExecution.add_comment`,
//! `.get_comments`; the methods are on [`crate::models::TestExecutions`]).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::common::{null_default, text_or_number};
use crate::ids::{CommentId, UserId};

/// A comment as Kiwi returns it: the django_comments dict.
///
/// `add_comment` gives `{"id", "content_type", "object_pk", "site", "user", "user_name",
/// "user_email", "user_url", "comment", "submit_date", "ip_address", "is_public",
/// "is_removed"}` with `object_pk` a number; `get_comments` names the keys `content_type_id`,
/// `site_id`, `user_id` and sends `object_pk` as a string. Both decode here.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Comment {
    /// The id.
    pub id: CommentId,
    /// The text.
    #[serde(default, deserialize_with = "null_default")]
    pub comment: String,
    /// The commented object's id, as text (the execution id for execution comments).
    #[serde(default, deserialize_with = "text_or_number")]
    pub object_pk: Option<String>,
    /// The author (`user`, or `user_id` from `get_comments`).
    #[serde(default, alias = "user_id")]
    pub user: Option<UserId>,
    /// The author's user name.
    #[serde(default, deserialize_with = "null_default")]
    pub user_name: String,
    /// The author's e-mail address.
    #[serde(default, deserialize_with = "null_default")]
    pub user_email: String,
    /// When it was posted (UTC).
    #[serde(default, with = "crate::datetime::option")]
    pub submit_date: Option<DateTime<Utc>>,
    /// Whether it is public.
    #[serde(default, deserialize_with = "null_default")]
    pub is_public: bool,
    /// Whether it was removed.
    #[serde(default, deserialize_with = "null_default")]
    pub is_removed: bool,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_add_comment_shape() {
        let c: Comment = serde_json::from_value(json!({
            "id": 1, "content_type": 36, "object_pk": 1, "site": 1, "user": 2,
            "user_name": "admin", "user_email": "admin@example.com", "user_url": "",
            "comment": "hello <b>", "submit_date": "2026-11-23T03:49:55.939",
            "ip_address": null, "is_public": true, "is_removed": false
        }))
        .unwrap();
        assert_eq!(c.id, CommentId::new(1));
        assert_eq!(c.comment, "hello <b>");
        assert_eq!(c.object_pk.as_deref(), Some("1"));
        assert_eq!(c.user, Some(UserId::new(2)));
        assert!(c.submit_date.is_some());
        assert!(c.is_public);
    }

    #[test]
    fn decodes_get_comments_shape() {
        let rows: Vec<Comment> = serde_json::from_value(json!([{
            "id": 1, "content_type_id": 36, "object_pk": "1", "site_id": 1, "user_id": 2,
            "user_name": "admin", "user_email": "admin@example.com", "user_url": "",
            "comment": "hello", "submit_date": "2026-11-23T03:49:55.939", "ip_address": null,
            "is_public": true, "is_removed": false
        }]))
        .unwrap();
        assert_eq!(rows[0].object_pk.as_deref(), Some("1"));
        assert_eq!(rows[0].user, Some(UserId::new(2)));
        assert_eq!(rows[0].user_name, "admin");
    }
}
