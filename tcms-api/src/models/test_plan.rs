//! `TestPlan` (`TestPlan.filter`, `.create`, `.update`, `.add_case`, `.remove_case`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::common::{
    bool_or_true, filter_call, id_values_call, null_default, positional_call, values_call, yes,
};
use super::test_case::TestCase;
use crate::client::Client;
use crate::error::Error;
use crate::ids::{PlanTypeId, ProductId, TestCaseId, TestPlanId, UserId, VersionId};
use crate::query::Query;
use crate::rpc::Call;

/// A test plan as Kiwi returns it.
///
/// `TestPlan.filter` gives `{"id", "name", "text", "create_date", "is_active", "extra_link",
/// "product_version", "product_version__value", "product", "product__name", "author",
/// "author__username", "type", "type__name", "parent", "children__count"}`; `create` and
/// `update` leave out the `__` keys and `children__count`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct TestPlan {
    /// The id.
    pub id: TestPlanId,
    /// The name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The plan document (Markdown; may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub text: String,
    /// When it was created (UTC).
    #[serde(default, with = "crate::datetime::option")]
    pub create_date: Option<DateTime<Utc>>,
    /// Whether it is active. True when the server leaves it out.
    #[serde(default = "yes", deserialize_with = "bool_or_true")]
    pub is_active: bool,
    /// An external link.
    #[serde(default)]
    pub extra_link: Option<String>,
    /// The product.
    #[serde(default)]
    pub product: Option<ProductId>,
    /// The product name (`product__name`; only from `filter`).
    #[serde(default, rename = "product__name")]
    pub product_name: Option<String>,
    /// The product version.
    #[serde(default)]
    pub product_version: Option<VersionId>,
    /// The version text (`product_version__value`; only from `filter`).
    #[serde(default, rename = "product_version__value")]
    pub product_version_value: Option<String>,
    /// The author.
    #[serde(default)]
    pub author: Option<UserId>,
    /// The author's user name (`author__username`; only from `filter`).
    #[serde(default, rename = "author__username")]
    pub author_username: Option<String>,
    /// The plan type (Kiwi's key `type`).
    #[serde(default, rename = "type")]
    pub plan_type: Option<PlanTypeId>,
    /// The plan type name (`type__name`; only from `filter`).
    #[serde(default, rename = "type__name")]
    pub plan_type_name: Option<String>,
    /// The parent plan.
    #[serde(default)]
    pub parent: Option<TestPlanId>,
    /// How many child plans it has (`children__count`; only from `filter`).
    #[serde(default, rename = "children__count")]
    pub children_count: Option<u64>,
}

/// Input of `TestPlan.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTestPlan {
    /// The name (required).
    pub name: String,
    /// The product (required; a missing product gives `Internal error: 'product'`).
    pub product: ProductId,
    /// The product version (required; must belong to `product`).
    pub product_version: VersionId,
    /// The plan type (required; Kiwi's key `type`).
    #[serde(rename = "type")]
    pub plan_type: PlanTypeId,
    /// The plan document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The author (the server's default: the caller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<UserId>,
    /// Active or not (the server's default: active).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// The parent plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<TestPlanId>,
    /// An external link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_link: Option<String>,
}

impl NewTestPlan {
    /// Plan `name` for `product` at `product_version`, of type `plan_type`.
    pub fn new(
        name: impl Into<String>,
        product: ProductId,
        product_version: VersionId,
        plan_type: PlanTypeId,
    ) -> Self {
        Self {
            name: name.into(),
            product,
            product_version,
            plan_type,
            text: None,
            author: None,
            is_active: None,
            parent: None,
            extra_link: None,
        }
    }
}

/// Input of `TestPlan.update`: only the fields set are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestPlanUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new plan document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Another product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductId>,
    /// Another product version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_version: Option<VersionId>,
    /// Another plan type (Kiwi's key `type`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub plan_type: Option<PlanTypeId>,
    /// Activate or deactivate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// Another parent plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<TestPlanId>,
    /// Another external link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_link: Option<String>,
    /// Another author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<UserId>,
}

/// Test plan methods; from [`Client::test_plans`].
#[derive(Debug, Clone, Copy)]
pub struct TestPlans<'c> {
    client: &'c Client,
}

impl Client {
    /// Test plan methods (`TestPlan.*`).
    pub fn test_plans(&self) -> TestPlans<'_> {
        TestPlans { client: self }
    }
}

impl TestPlans<'_> {
    /// `TestPlan.filter(query)`: every plan that matches (e.g. `{"name": n, "product": id}`).
    pub async fn filter(&self, query: Query) -> Result<Vec<TestPlan>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `TestPlan.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<TestPlan>> {
        filter_call("TestPlan.filter", query)
    }

    /// `TestPlan.create(values)`.
    pub async fn create(&self, new: &NewTestPlan) -> Result<TestPlan, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `TestPlan.create` call, to send in a batch.
    pub fn create_call(new: &NewTestPlan) -> Call<TestPlan> {
        values_call("TestPlan.create", new)
    }

    /// `TestPlan.update(plan_id, values)`: the updated plan.
    pub async fn update(
        &self,
        plan: TestPlanId,
        update: &TestPlanUpdate,
    ) -> Result<TestPlan, Error> {
        self.client.send(Self::update_call(plan, update)).await
    }

    /// The `TestPlan.update` call, to send in a batch.
    pub fn update_call(plan: TestPlanId, update: &TestPlanUpdate) -> Call<TestPlan> {
        id_values_call("TestPlan.update", plan.into(), update)
    }

    /// `TestPlan.add_case(plan_id, case_id)`: the case, with its `sortkey` in the plan.
    /// Idempotent: adding a case already in the plan returns it again.
    pub async fn add_case(&self, plan: TestPlanId, case: TestCaseId) -> Result<TestCase, Error> {
        self.client.send(Self::add_case_call(plan, case)).await
    }

    /// The `TestPlan.add_case` call, to send in a batch.
    pub fn add_case_call(plan: TestPlanId, case: TestCaseId) -> Call<TestCase> {
        positional_call("TestPlan.add_case", vec![plan.into(), case.into()])
    }

    /// `TestPlan.remove_case(plan_id, case_id)`.
    pub async fn remove_case(&self, plan: TestPlanId, case: TestCaseId) -> Result<(), Error> {
        self.client.send(Self::remove_case_call(plan, case)).await
    }

    /// The `TestPlan.remove_case` call, to send in a batch.
    pub fn remove_case_call(plan: TestPlanId, case: TestCaseId) -> Call<()> {
        positional_call("TestPlan.remove_case", vec![plan.into(), case.into()])
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_filter_shape() {
        let rows: Vec<TestPlan> = serde_json::from_value(json!([{
            "id": 1, "name": "plan", "text": "t", "create_date": "2026-11-23T03:49:55.507",
            "is_active": true, "extra_link": null, "product_version": 2,
            "product_version__value": "1.0", "product": 1, "product__name": "p", "author": 2,
            "author__username": "admin", "type": 1, "type__name": "Unit", "parent": null,
            "children__count": 0
        }]))
        .unwrap();
        let plan = &rows[0];
        assert_eq!(plan.id, TestPlanId::new(1));
        assert_eq!(
            plan.create_date,
            Some(
                Utc.with_ymd_and_hms(2026, 11, 23, 3, 49, 55).unwrap()
                    + Duration::milliseconds(507)
            )
        );
        assert_eq!(plan.product_version, Some(VersionId::new(2)));
        assert_eq!(plan.product_version_value.as_deref(), Some("1.0"));
        assert_eq!(plan.plan_type, Some(PlanTypeId::new(1)));
        assert_eq!(plan.plan_type_name.as_deref(), Some("Unit"));
        assert_eq!(plan.author_username.as_deref(), Some("admin"));
        assert_eq!(plan.children_count, Some(0));
        assert_eq!(plan.parent, None);
        assert_eq!(plan.extra_link, None);
    }

    #[test]
    fn decodes_create_shape() {
        let plan: TestPlan = serde_json::from_value(json!({
            "id": 1, "parent": null, "name": "plan", "text": "t", "is_active": true,
            "extra_link": null, "product_version": 2, "author": 2, "product": 1, "type": 1,
            "create_date": "2026-11-23T03:49:55"
        }))
        .unwrap();
        assert_eq!(plan.product, Some(ProductId::new(1)));
        assert_eq!(plan.product_name, None);
        assert_eq!(plan.children_count, None);
        assert!(plan.create_date.is_some());
    }

    #[test]
    fn encodes_inputs() {
        let mut new = NewTestPlan::new(
            "plan",
            ProductId::new(1),
            VersionId::new(2),
            PlanTypeId::new(1),
        );
        assert_eq!(
            TestPlans::create_call(&new).params(),
            &json!([{"name": "plan", "product": 1, "product_version": 2, "type": 1}])
        );
        new.text = Some("doc".into());
        new.is_active = Some(true);
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            json!({"name": "plan", "product": 1, "product_version": 2, "type": 1,
                   "text": "doc", "is_active": true})
        );
        let update = TestPlanUpdate {
            text: Some("t2".into()),
            plan_type: Some(PlanTypeId::new(3)),
            ..TestPlanUpdate::default()
        };
        let call = TestPlans::update_call(TestPlanId::new(7), &update);
        assert_eq!(call.method(), "TestPlan.update");
        assert_eq!(call.params(), &json!([7, {"text": "t2", "type": 3}]));
        let call = TestPlans::add_case_call(TestPlanId::new(7), TestCaseId::new(9));
        assert_eq!(call.method(), "TestPlan.add_case");
        assert_eq!(call.params(), &json!([7, 9]));
        let call = TestPlans::remove_case_call(TestPlanId::new(7), TestCaseId::new(9));
        assert_eq!(call.method(), "TestPlan.remove_case");
        assert_eq!(call.params(), &json!([7, 9]));
    }
}
