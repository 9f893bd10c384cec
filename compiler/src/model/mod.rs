//! The definition format: what one `integrations/<name>.yaml` file may say.
//!
//! These types are the single source of truth for the format: the loader deserializes into them, and
//! `generated/schemas/integration.schema.json` (what editors autocomplete from) is derived from them.

mod auth;
mod field;
mod pagination;
mod rate_limit;
mod resource;
mod unified;

pub use auth::{
    ApiKey, ApiKeyLocation, Auth, Basic, Bearer, ClientAuthentication, DeadRefreshToken, OAuth2,
};
pub use field::{Field, FieldType, QueryStyle};
pub use pagination::{LimitHeader, PaginationRule, PaginationStyle};
pub use rate_limit::{
    RateLimit, RateLimitFigure, RateLimitHeader, RateLimitedWhen, ResetUnit, StructuredKeys,
};
pub use resource::{Documentation, ExtraBody, Method, MethodKind, Resource};
pub use unified::UnifiedModel;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::span::{Sp, SpMap};

/// One integration: a vendor API described as data.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Switchboard integration definition")]
pub struct Integration {
    /// Identifier of the integration, snake_case (`hubspot`, `salesforce`). Must match the file name.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub name: Sp<String>,
    /// Human-readable vendor name (`HubSpot`).
    pub display_name: Sp<String>,
    /// Word used in tool names; defaults to the snake_case of `display_name` (`HubSpot` → `hub_spot`).
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub tool_prefix: Option<Sp<String>>,
    /// One or two sentences describing the vendor's API, shown in docs.
    pub description: Sp<String>,
    /// Product categories this integration belongs to.
    pub categories: Vec<Sp<Category>>,
    /// The vendor's API reference.
    pub docs_url: Sp<String>,
    /// The vendor's origin exactly as the vendor hands it out (`https://api.hubapi.com`), without any
    /// version prefix: version prefixes belong to method paths, so a connected account's override swaps
    /// only the origin.
    pub base_url: Sp<String>,
    /// The variables `base_url` (and the OAuth endpoints) hold as `{name}` in the host
    /// (`https://{subdomain}.zendesk.com`): each account gives its values (`accounts add --var
    /// subdomain=acme`), checked against the variable's pattern.
    #[serde(default)]
    pub base_url_variables: SpMap<BaseUrlVariable>,
    /// How a connected account authenticates.
    pub auth: Sp<Auth>,
    /// How to read the vendor's rate-limit figures and recognise a rate-limited answer.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// Where the vendor puts the message and code of an error answer.
    pub errors: ErrorRules,
    /// Named pagination rules, referenced by list methods.
    #[serde(default)]
    pub pagination: SpMap<PaginationRule>,
    /// The pagination rule every list method uses unless it names another.
    #[serde(default)]
    pub default_pagination: Option<Sp<String>>,
    /// The vendor's resources (contacts, companies, …), keyed by their plural snake_case name.
    pub resources: SpMap<Resource>,
    /// Field maps from resources onto unified models, keyed by `<category>.<model>` (`crm.contact`).
    #[serde(default)]
    pub unified: SpMap<UnifiedMap>,
}

/// How one resource maps onto one unified model, in both directions. Each value is a field-map
/// expression (see docs/authoring.md), checked and compiled to Rust by `cargo xtask gen`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnifiedMap {
    /// The resource whose methods serve the unified tools (`contacts`).
    pub resource: Sp<String>,
    /// Unified field → expression over the vendor record `$`.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub response: SpMap<Sp<String>>,
    /// Vendor body property (dotted path, `properties.firstname`) → expression over the unified input `$`.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub request: SpMap<Sp<String>>,
    /// Updates only: vendor body target → expression over the fields given (`$`) and `current`, the
    /// record as stored now in unified form (read once with the get method, only when an expression
    /// names `current`). For vendors that store one value for several unified fields (one `name`
    /// for first and last names): a partial update then keeps what it was not given. Without it,
    /// updates use `request`.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub update_request: SpMap<Sp<String>>,
    /// Arguments always passed to the resource's list and get methods by the unified tools, such as
    /// which properties to return (`properties: [firstname, lastname, email]`). Each must be a
    /// documented query parameter of those methods.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, serde_json::Value>")]
    pub read_args: SpMap<serde_json::Value>,
    /// Set when the vendor answers a create or an update with something other than the whole record
    /// (an id, no content, only the changed fields): the unified tools then read the record back with
    /// the get method, one more request.
    #[serde(default)]
    pub read_back: Option<Sp<ReadBack>>,
    /// For a model with a `parent`: the parameter of the resource's list method that takes the parent
    /// record's id (`ticket_id` in `/tickets/{ticket_id}/comments.json`).
    #[serde(default)]
    pub parent_arg: Option<Sp<String>>,
}

/// When to read a record back with the get method because the write's answer is not the whole record.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadBack {
    /// The create answer holds only the new id, at this JSON Pointer (`/id`): read the record back.
    #[serde(default)]
    pub created_id: Option<Sp<String>>,
    /// The update answer is not the whole record (no content, or only the changed fields): read it
    /// back.
    #[serde(default)]
    pub after_update: bool,
}

/// Product category of an integration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Customer relationship management.
    Crm,
    /// Help desk and ticketing.
    Ticketing,
    /// Human resources information systems.
    Hris,
    /// Applicant tracking.
    Ats,
    /// Accounting and invoicing.
    Accounting,
    /// Marketing automation.
    Marketing,
    /// Issue and project tracking.
    ProjectManagement,
}

impl Category {
    /// The snake_case name used in YAML and in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crm => "crm",
            Self::Ticketing => "ticketing",
            Self::Hris => "hris",
            Self::Ats => "ats",
            Self::Accounting => "accounting",
            Self::Marketing => "marketing",
            Self::ProjectManagement => "project_management",
        }
    }
}

/// Where an error answer keeps its message, code and field errors, as JSON Pointers into the
/// response body.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorRules {
    /// JSON Pointer to the human-readable message (`/message`, or `/0/message` for an array body), or
    /// a list of candidates tried in order (`[/description, /error]`).
    pub message: Pointers,
    /// JSON Pointer (or candidates) to the vendor's machine-readable error code (`/category`,
    /// `/0/errorCode`).
    #[serde(default)]
    pub code: Option<Pointers>,
    /// Where validation errors are listed field by field; they are joined into the message, each
    /// named by its field, so the agent knows what to fix.
    #[serde(default)]
    pub fields: Option<FieldErrors>,
    /// Rules for the answers of one status where the vendor shapes them differently (an
    /// object-shaped 429 body); what a rule leaves out comes from the rules above.
    #[serde(default)]
    pub by_status: Vec<StatusErrors>,
}

/// Where an error answer lists field errors.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldErrors {
    /// JSON Pointer to them (`/details`; `""` for the whole body): an object keyed by field name whose
    /// values are a message, a list of messages or a list of error objects; or an array of error
    /// objects that name their field(s).
    pub at: Sp<String>,
    /// Within one error object, the JSON Pointer to its message (`/description`).
    #[serde(default)]
    pub message: Option<Sp<String>>,
    /// Within one error object of an array, the JSON Pointer to its field name or list of names
    /// (`/fields`).
    #[serde(default)]
    pub field: Option<Sp<String>>,
}

/// Error rules for the answers of one status.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusErrors {
    /// The HTTP status (400–599).
    pub status: Sp<u16>,
    /// Message pointer(s) for this status.
    #[serde(default)]
    pub message: Option<Pointers>,
    /// Code pointer(s) for this status.
    #[serde(default)]
    pub code: Option<Pointers>,
    /// Field errors for this status.
    #[serde(default)]
    pub fields: Option<FieldErrors>,
}

/// A variable of the base URL.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseUrlVariable {
    /// What it is and where a person finds it (`Your Zendesk subdomain: acme in acme.zendesk.com`).
    pub description: Sp<String>,
    /// The regular expression a value must match as a whole (`[a-z0-9][a-z0-9-]*`). Whatever it says,
    /// a value may only hold letters, digits, `-`, `_` and `.`.
    pub pattern: Sp<String>,
}

/// One JSON Pointer, or a list of candidates tried in order (the first that holds text wins).
#[derive(Debug)]
pub struct Pointers(pub Vec<Sp<String>>);

impl Pointers {
    /// The pointers, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Sp<String>> {
        self.0.iter()
    }

    /// Their texts, in order.
    pub fn texts(&self) -> Vec<String> {
        self.0.iter().map(|p| p.value.clone()).collect()
    }
}

impl<'de> Deserialize<'de> for Pointers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// A string, or a list whose strings keep their own spans.
        enum OneOrMany {
            One(String),
            Many(Vec<Sp<String>>),
        }
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON Pointer or a list of JSON Pointers")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut all = Vec::new();
                while let Some(p) = seq.next_element::<Sp<String>>()? {
                    all.push(p);
                }
                if all.is_empty() {
                    return Err(serde::de::Error::invalid_length(0, &"at least one pointer"));
                }
                Ok(OneOrMany::Many(all))
            }
        }
        impl<'de> Deserialize<'de> for OneOrMany {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(Visit)
            }
        }
        let spanned = Sp::<OneOrMany>::deserialize(deserializer)?;
        Ok(Self(match spanned.value {
            OneOrMany::One(p) => vec![Sp::new(p, spanned.span)],
            OneOrMany::Many(all) => all,
        }))
    }
}

impl JsonSchema for Pointers {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Pointers".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A JSON Pointer, or a list of candidates tried in order.",
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "minItems": 1}
            ]
        })
    }
}

/// What a method's `pagination` resolves to.
pub const NO_PAGINATION: &str = "none";

impl Integration {
    /// The pagination rule name a method uses, if any.
    pub fn pagination_for<'a>(
        &'a self,
        kind: MethodKind,
        method: &'a Method,
    ) -> Option<&'a Sp<String>> {
        match &method.pagination {
            Some(p) if p.value == NO_PAGINATION => None,
            Some(p) => Some(p),
            None if kind == MethodKind::List => self.default_pagination.as_ref(),
            None => None,
        }
    }

    /// The word used in tool names.
    pub fn tool_prefix(&self) -> String {
        match &self.tool_prefix {
            Some(p) => p.value.clone(),
            None => crate::naming::snake_case(&self.display_name),
        }
    }
}
