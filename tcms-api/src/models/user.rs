//! `User` (`User.filter`).

use serde::Deserialize;

use super::common::{filter_call, null_default, positional_call};
use crate::client::Client;
use crate::error::Error;
use crate::ids::UserId;
use crate::query::Query;
use crate::rpc::Call;

/// A user as Kiwi returns it: `{"id", "username", "email", "first_name", "last_name",
/// "is_active", "is_staff", "is_superuser"}`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The id.
    pub id: UserId,
    /// The login name.
    #[serde(default, deserialize_with = "null_default")]
    pub username: String,
    /// The e-mail address (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub email: String,
    /// The first name (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub first_name: String,
    /// The last name (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub last_name: String,
    /// Whether the account is active.
    #[serde(default, deserialize_with = "null_default")]
    pub is_active: bool,
    /// Whether the user may use the admin pages.
    #[serde(default, deserialize_with = "null_default")]
    pub is_staff: bool,
    /// Whether the user has every permission.
    #[serde(default, deserialize_with = "null_default")]
    pub is_superuser: bool,
}

/// User methods; from [`Client::users`].
#[derive(Debug, Clone, Copy)]
pub struct Users<'c> {
    client: &'c Client,
}

impl Client {
    /// User methods (`User.*`).
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }
}

impl Users<'_> {
    /// `User.filter(query)`: every user that matches (the empty query matches all users;
    /// see [`Users::me`] for the caller).
    pub async fn filter(&self, query: Query) -> Result<Vec<User>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `User.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<User>> {
        filter_call("User.filter", query)
    }

    /// The logged-in user: `User.filter()` with no argument.
    pub async fn me(&self) -> Result<User, Error> {
        let users: Vec<User> = self.client.send(Self::me_call()).await?;
        users.into_iter().next().ok_or_else(|| Error::Decode {
            method: "User.filter".into(),
            path: ".".into(),
            message: "no user in the answer to a query for the caller".into(),
        })
    }

    /// The `User.filter()` call that returns the caller (a list of one user).
    pub fn me_call() -> Call<Vec<User>> {
        positional_call("User.filter", Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes() {
        let rows: Vec<User> = serde_json::from_value(json!([{
            "email": "admin@example.com", "first_name": "", "id": 2, "is_active": true,
            "is_staff": true, "is_superuser": true, "last_name": "", "username": "admin"
        }, {"id": 3, "username": "bot"}]))
        .unwrap();
        assert_eq!(rows[0].id, UserId::new(2));
        assert_eq!(rows[0].username, "admin");
        assert!(rows[0].is_superuser);
        assert!(!rows[1].is_active);
        assert_eq!(rows[1].email, "");
    }

    #[test]
    fn me_sends_no_query() {
        // `{}` would match every user; no argument means "the caller".
        let call = Users::me_call();
        assert_eq!(call.method(), "User.filter");
        assert_eq!(call.params(), &json!([]));
        assert_eq!(Users::filter_call(Query::new()).params(), &json!([{}]));
    }
}
