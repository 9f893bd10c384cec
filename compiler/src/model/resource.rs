//! Resources and their methods.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Field;
use crate::span::{Sp, SpMap};

/// A vendor resource (contacts, companies, …).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Singular snake_case noun, used in tool names (`contact`).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub singular: Sp<String>,
    /// Tags servers can filter tools by.
    #[serde(default)]
    pub tags: Vec<Sp<String>>,
    /// The resource's methods, keyed by kind (`list`, `get`, `create`, `update`, `delete`, `search`) or,
    /// for anything else, by a snake_case name with `kind: custom`.
    pub methods: SpMap<Method>,
}

/// One vendor endpoint, which becomes one tool when it is documented.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Method {
    /// The method kind; inferred from the key for standard kinds.
    #[serde(default)]
    pub kind: Option<Sp<MethodKind>>,
    /// HTTP verb: GET, POST, PUT, PATCH or DELETE.
    pub http: Sp<String>,
    /// Path below the base URL, with `{param}` placeholders (`/crm/v3/objects/contacts/{contactId}`).
    pub path: Sp<String>,
    /// OAuth scopes this call needs (least privilege).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub scopes: Vec<Sp<serde_json::Value>>,
    /// For custom methods: whether the call only reads.
    #[serde(default)]
    pub read_only: bool,
    /// Pagination rule name for list methods, or `none`; defaults to `default_pagination`.
    #[serde(default)]
    pub pagination: Option<Sp<String>>,
    /// Query parameters always sent with fixed values, hidden from agents (Salesforce's SOQL `q`).
    #[serde(default)]
    pub fixed_query: SpMap<String>,
    /// What the method does and takes. No documentation, no tool.
    #[serde(default)]
    pub documentation: Option<Documentation>,
}

/// A method's documentation: the text agents read and the shapes of what goes in and comes out.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Documentation {
    /// What the tool does, written for an agent deciding whether to call it.
    pub description: Sp<String>,
    /// Path parameters, one per `{param}` in the path.
    #[serde(default)]
    pub path: SpMap<Field>,
    /// Query parameters.
    #[serde(default)]
    pub query: SpMap<Field>,
    /// Top-level properties of the JSON request body.
    #[serde(default)]
    pub body: SpMap<Field>,
    /// Body properties the vendor accepts beyond `body`, named by a pattern: custom fields by their
    /// key (a 40-character hash, `cf_*`). Arguments whose names match it go into the body as they are.
    #[serde(default)]
    pub extra_body: Option<ExtraBody>,
    /// The successful response body.
    #[serde(default)]
    pub response: Option<Field>,
}

/// Extra body properties named by a pattern.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtraBody {
    /// The regular expression an extra property's name matches (`^[0-9a-f]{40}$`).
    pub pattern: Sp<String>,
    /// What these properties are and where their names come from, for agents.
    pub description: Sp<String>,
    /// Their value, when the vendor documents one shape for all; any JSON value otherwise.
    #[serde(default)]
    pub value: Option<Box<Field>>,
}

/// Kinds of methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    /// Lists records, page by page.
    List,
    /// Reads one record by id.
    Get,
    /// Creates a record.
    Create,
    /// Updates a record by id.
    Update,
    /// Deletes a record by id.
    Delete,
    /// Searches records.
    Search,
    /// Anything else.
    Custom,
}

impl MethodKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Get => "get",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Search => "search",
            Self::Custom => "custom",
        }
    }

    /// The standard kind a method key names, if any.
    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "list" => Self::List,
            "get" => Self::Get,
            "create" => Self::Create,
            "update" => Self::Update,
            "delete" => Self::Delete,
            "search" => Self::Search,
            _ => return None,
        })
    }
}

impl Method {
    /// The method's kind: `kind:` if given, else the kind its key names; `None` if neither.
    pub fn resolved_kind(&self, key: &str) -> Option<MethodKind> {
        self.kind
            .as_ref()
            .map(|k| k.value)
            .or_else(|| MethodKind::from_key(key))
    }
}
