//! The tables of named records, one generic `filter` and `create` for all of them:
//! Classification, Product and PlanType (names unique), Version, Build and Category (names
//! unique within their parent). Each table says its model, its fields, its parent and what
//! Kiwi does after saving one (its post-save signals); the rules are written once.

use serde_json::{Map, Value, json};

use super::args::{invalid_choice, required_id, required_text, values_arg};
use super::lookup::{Row, next_id, select};
use super::{Build, Category, Classification, Db, PlanType, Product, Version};
use crate::fake::{HandlerResult, RpcFault};

/// The table a parent id points into.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Parent {
    Classification,
    Product,
    Version,
}

impl Parent {
    fn exists(self, db: &Db, id: i64) -> bool {
        match self {
            Parent::Classification => db.classifications.iter().any(|c| c.id == id),
            Parent::Product => db.products.iter().any(|p| p.id == id),
            Parent::Version => db.versions.iter().any(|v| v.id == id),
        }
    }
}

/// A table of named records.
pub(crate) trait Named: Sized {
    /// The model, as Kiwi's messages name it (`Version`).
    const MODEL: &'static str;
    /// The name field (`name`; `value` for Version).
    const NAME: &'static str;
    /// The foreign key field and its table, if any.
    const PARENT: Option<(&'static str, Parent)>;
    /// True: the name is unique within the parent (Django's `unique_together`); false:
    /// unique in the whole table.
    const PER_PARENT: bool;
    /// The fields a filter knows.
    const FIELDS: &'static [&'static str];

    fn rows(db: &Db) -> &Vec<Self>;
    fn rows_mut(db: &mut Db) -> &mut Vec<Self>;
    fn id(&self) -> i64;
    fn name(&self) -> &str;
    fn parent(&self) -> i64;
    /// A new record from the create call's values.
    fn make(id: i64, name: String, parent: i64, values: &Map<String, Value>) -> Self;
    /// The record as `filter` returns it.
    fn json(&self, db: &Db) -> Value;
    /// The record as `create` returns it (no `__` keys).
    fn created_json(&self, db: &Db) -> Value {
        self.json(db)
    }
    /// Kiwi's post-save signals.
    fn after_create(_db: &mut Db, _id: i64) {}
}

impl Db {
    /// `<Model>.filter(query)`.
    pub(crate) fn filter_named<T: Named>(&mut self, params: &Value) -> HandlerResult {
        let rows = T::rows(self)
            .iter()
            .map(|r| Row::new(r.json(self)))
            .collect();
        select(T::MODEL, T::FIELDS, rows, params)
    }

    /// `<Model>.create(values)`: required fields, the parent must exist, the name must be
    /// unique (in the parent).
    pub(crate) fn create_named<T: Named>(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let name = required_text(values, T::NAME)?;
        let parent = match T::PARENT {
            Some((field, table)) => {
                let id = required_id(values, field)?;
                if !table.exists(self, id) {
                    return Err(invalid_choice(field));
                }
                id
            }
            None => 0,
        };
        let taken = T::rows(self)
            .iter()
            .any(|r| r.name() == name && (!T::PER_PARENT || r.parent() == parent));
        if taken {
            return Err(match T::PARENT {
                Some((field, _)) if T::PER_PARENT => {
                    let message = format!(
                        "{} with this {} and {} already exists.",
                        T::MODEL,
                        capitalized(field),
                        capitalized(T::NAME)
                    );
                    RpcFault::validation(&[("__all__", &[message.as_str()])])
                }
                _ => RpcFault::duplicate(T::MODEL, T::NAME),
            });
        }
        let id = self.insert_named::<T>(name, parent, values);
        let record = T::rows(self)
            .iter()
            .find(|r| r.id() == id)
            .map(|r| r.created_json(self))
            .unwrap_or(Value::Null);
        Ok(record)
    }

    /// Adds a record (no checks) and runs its post-save signals; its id.
    pub(crate) fn insert_named<T: Named>(
        &mut self,
        name: String,
        parent: i64,
        values: &Map<String, Value>,
    ) -> i64 {
        let id = next_id(T::rows(self).iter().map(T::id));
        let record = T::make(id, name, parent, values);
        T::rows_mut(self).push(record);
        T::after_create(self, id);
        id
    }
}

/// The accessors of a table: `table!(rows_field, name_field, parent_field)` (`0`: no parent).
macro_rules! table {
    ($rows:ident, $name:ident, 0) => {
        table!(@rows $rows, $name);
        fn parent(&self) -> i64 {
            0
        }
    };
    ($rows:ident, $name:ident, $parent:ident) => {
        table!(@rows $rows, $name);
        fn parent(&self) -> i64 {
            self.$parent
        }
    };
    (@rows $rows:ident, $name:ident) => {
        fn rows(db: &Db) -> &Vec<Self> {
            &db.$rows
        }
        fn rows_mut(db: &mut Db) -> &mut Vec<Self> {
            &mut db.$rows
        }
        fn id(&self) -> i64 {
            self.id
        }
        fn name(&self) -> &str {
            &self.$name
        }
    };
}

fn capitalized(field: &str) -> String {
    let mut chars = field.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl Named for Classification {
    const MODEL: &'static str = "Classification";
    const NAME: &'static str = "name";
    const PARENT: Option<(&'static str, Parent)> = None;
    const PER_PARENT: bool = false;
    const FIELDS: &'static [&'static str] = &["id", "name"];
    table!(classifications, name, 0);
    fn make(id: i64, name: String, _: i64, _: &Map<String, Value>) -> Self {
        Self { id, name }
    }
    fn json(&self, _: &Db) -> Value {
        json!({"id": self.id, "name": self.name})
    }
}

impl Named for PlanType {
    const MODEL: &'static str = "PlanType";
    const NAME: &'static str = "name";
    const PARENT: Option<(&'static str, Parent)> = None;
    const PER_PARENT: bool = false;
    const FIELDS: &'static [&'static str] = &["id", "name", "description"];
    table!(plan_types, name, 0);
    fn make(id: i64, name: String, _: i64, _: &Map<String, Value>) -> Self {
        Self { id, name }
    }
    fn json(&self, _: &Db) -> Value {
        json!({"id": self.id, "name": self.name, "description": ""})
    }
}

impl Named for Product {
    const MODEL: &'static str = "Product";
    const NAME: &'static str = "name";
    const PARENT: Option<(&'static str, Parent)> = Some(("classification", Parent::Classification));
    const PER_PARENT: bool = false;
    const FIELDS: &'static [&'static str] = &["id", "name", "description", "classification"];
    table!(products, name, classification);
    fn make(id: i64, name: String, classification: i64, _: &Map<String, Value>) -> Self {
        Self {
            id,
            name,
            classification,
        }
    }
    fn json(&self, _: &Db) -> Value {
        json!({"id": self.id, "name": self.name, "description": "",
               "classification": self.classification})
    }
    /// A new product gets Version `unspecified` (with its Build) and Category `--default--`.
    fn after_create(db: &mut Db, id: i64) {
        db.insert_named::<Version>("unspecified".into(), id, &Map::new());
        db.insert_named::<Category>("--default--".into(), id, &Map::new());
    }
}

impl Named for Version {
    const MODEL: &'static str = "Version";
    const NAME: &'static str = "value";
    const PARENT: Option<(&'static str, Parent)> = Some(("product", Parent::Product));
    const PER_PARENT: bool = true;
    const FIELDS: &'static [&'static str] = &["id", "value", "product", "product__name"];
    table!(versions, value, product);
    fn make(id: i64, value: String, product: i64, _: &Map<String, Value>) -> Self {
        Self { id, value, product }
    }
    fn json(&self, db: &Db) -> Value {
        let product = db.products.iter().find(|p| p.id == self.product);
        json!({"id": self.id, "value": self.value, "product": self.product,
               "product__name": product.map(|p| p.name.clone())})
    }
    fn created_json(&self, _: &Db) -> Value {
        json!({"id": self.id, "value": self.value, "product": self.product})
    }
    /// A new version gets Build `unspecified`.
    fn after_create(db: &mut Db, id: i64) {
        db.insert_named::<Build>("unspecified".into(), id, &Map::new());
    }
}

impl Named for Build {
    const MODEL: &'static str = "Build";
    const NAME: &'static str = "name";
    const PARENT: Option<(&'static str, Parent)> = Some(("version", Parent::Version));
    const PER_PARENT: bool = true;
    const FIELDS: &'static [&'static str] =
        &["id", "name", "version", "version__value", "is_active"];
    table!(builds, name, version);
    fn make(id: i64, name: String, version: i64, values: &Map<String, Value>) -> Self {
        let is_active = values
            .get("is_active")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        Self {
            id,
            name,
            version,
            is_active,
        }
    }
    fn json(&self, db: &Db) -> Value {
        json!({"id": self.id, "name": self.name, "version": self.version,
               "version__value": db.versions.iter().find(|v| v.id == self.version).map(|v| v.value.clone()),
               "is_active": self.is_active})
    }
    fn created_json(&self, _: &Db) -> Value {
        json!({"id": self.id, "name": self.name, "version": self.version,
               "is_active": self.is_active})
    }
}

impl Named for Category {
    const MODEL: &'static str = "Category";
    const NAME: &'static str = "name";
    const PARENT: Option<(&'static str, Parent)> = Some(("product", Parent::Product));
    const PER_PARENT: bool = true;
    const FIELDS: &'static [&'static str] = &["id", "name", "product", "description"];
    table!(categories, name, product);
    fn make(id: i64, name: String, product: i64, _: &Map<String, Value>) -> Self {
        Self { id, name, product }
    }
    fn json(&self, _: &Db) -> Value {
        json!({"id": self.id, "name": self.name, "product": self.product, "description": ""})
    }
}
