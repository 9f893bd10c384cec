//! Unified models: one canonical shape per kind of record (a CRM contact, company, deal, owner), so an
//! agent's prompt works the same whichever vendor a customer uses.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Category, Field};
use crate::span::{Sp, SpMap};

/// One unified model, `integrations/unified/<category>/<name>.yaml`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Switchboard unified model")]
pub struct UnifiedModel {
    /// snake_case singular name (`contact`); must match the file name.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub name: Sp<String>,
    /// snake_case plural, used in tool names (`list_all_crm_contacts`).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub plural: Sp<String>,
    /// The category it belongs to; must match the folder name.
    pub category: Sp<Category>,
    /// What the record is, for agents.
    pub description: Sp<String>,
    /// The canonical fields. Mark personal data `pii: true`.
    pub fields: SpMap<Field>,
    /// For records that live inside another record (a ticket's comments): the object field, with an
    /// `id`, that names the record they belong to (`ticket`). The list tool then takes `<parent>_id`
    /// and lists the records of that one parent, filling the field on each.
    #[serde(default)]
    pub parent: Option<Sp<String>>,
}
