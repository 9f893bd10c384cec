//! A generated tree read back from its files: the tools as agents see them, and the unified models.
//!
//! Only what `cargo xtask gen` writes for agents and reviewers is read: `generated/catalog.json`
//! (names, scopes, method groups, tags, annotations) and `generated/schemas/` (descriptions, input and
//! output schemas, unified models). Generated Rust is not read: what it does is what these describe.
//! Keys missing from an older tree read as absent, so any revision of the tree can be compared.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The catalog, relative to the workspace root.
pub const CATALOG: &str = "generated/catalog.json";
/// Where schemas live, relative to the workspace root.
pub const SCHEMAS: &str = "generated/schemas/";

/// A file of the tree that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TreeError {
    /// The file, relative to the workspace root.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

/// One tool of one integration, as the catalog describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tool {
    /// The integration serving it (`hubspot`).
    pub integration: String,
    /// The name agents call.
    pub name: String,
    /// The human-readable title clients show (absent from older catalogs).
    pub title: Option<String>,
    /// `proxy` (vendor-shaped) or `unified` (a unified model's shape).
    pub kind: String,
    /// The unified model a unified tool serves (`crm.contact`).
    pub model: Option<String>,
    /// The definition's resource.
    pub resource: Option<String>,
    /// The definition's method (`list`, `get`, `create`, …).
    pub method: Option<String>,
    /// `read` or `write`: what a server's `--methods` filter selects.
    pub group: Option<String>,
    /// The method kind (`list`, `get`, `search`, `custom`, …), which `--methods` also selects.
    pub method_kind: Option<String>,
    /// Whether its results are mostly personal data (`--no-pii-tools` hides it).
    pub mostly_pii: Option<bool>,
    /// What a server's `--tags` filter selects.
    pub tags: BTreeSet<String>,
    /// OAuth scopes an account must have granted to call it.
    pub scopes: BTreeSet<String>,
    /// For a needed scope, the broad scopes that grant it as well (Zendesk's `read` for `tickets:read`).
    pub broader_scopes: BTreeMap<String, BTreeSet<String>>,
    /// MCP annotations (`readOnlyHint`, `destructiveHint`, …).
    pub annotations: BTreeMap<String, bool>,
}

/// A generated tree.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// Integration name → display name.
    pub integrations: BTreeMap<String, String>,
    /// Tools by (integration, name).
    pub tools: BTreeMap<(String, String), Tool>,
    /// Proxy tools' schema documents by (integration, name): `description`, `inputSchema`, `outputSchema`.
    pub proxy_schemas: BTreeMap<(String, String), Value>,
    /// Unified tools' schema documents by (model, name); one per model, whichever integration serves it.
    pub unified_schemas: BTreeMap<(String, String), Value>,
    /// Unified models' JSON Schemas by name (`crm.contact`).
    pub models: BTreeMap<String, Value>,
}

impl Tree {
    /// Reads a tree from its files, given as (workspace-relative path, contents); other files are ignored.
    ///
    /// A tree without a catalog is empty: a revision from before anything was generated.
    pub fn from_files(
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Result<Tree, TreeError> {
        let mut tree = Tree::default();
        let mut catalog = None;
        for (path, bytes) in files {
            let path = path.replace('\\', "/");
            let Some(place) = Place::of(&path) else {
                continue;
            };
            let value: Value = serde_json::from_slice(&bytes).map_err(|e| TreeError {
                path: path.clone(),
                message: format!("not valid JSON: {e}"),
            })?;
            match place {
                Place::Catalog => catalog = Some(value),
                Place::ProxySchema(integration, tool) => {
                    tree.proxy_schemas.insert((integration, tool), value);
                }
                Place::UnifiedSchema(model, tool) => {
                    tree.unified_schemas.insert((model, tool), value);
                }
                Place::Model(model) => {
                    tree.models.insert(model, value);
                }
            }
        }
        if let Some(catalog) = catalog {
            tree.read_catalog(&catalog)?;
        }
        Ok(tree)
    }

    fn read_catalog(&mut self, catalog: &Value) -> Result<(), TreeError> {
        let shape = |message: &str| TreeError {
            path: CATALOG.to_owned(),
            message: message.to_owned(),
        };
        if !catalog.is_object() {
            return Err(shape("not a JSON object"));
        }
        for key in ["integrations", "tools"] {
            if catalog.get(key).is_some_and(|v| !v.is_array()) {
                return Err(shape(&format!("`{key}` is not an array")));
            }
        }
        for entry in array(catalog.get("integrations")) {
            let name =
                text(entry.get("name")).ok_or_else(|| shape("an integration has no name"))?;
            let display = text(entry.get("display_name")).unwrap_or_else(|| name.clone());
            self.integrations.insert(name, display);
        }
        for entry in array(catalog.get("tools")) {
            if !entry.is_object() {
                return Err(shape("a tool is not a JSON object"));
            }
            let (Some(integration), Some(name)) =
                (text(entry.get("integration")), text(entry.get("name")))
            else {
                return Err(shape("a tool has no name or integration"));
            };
            let annotations = entry
                .get("annotations")
                .and_then(Value::as_object)
                .map(|a| {
                    a.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_bool()?)))
                        .collect()
                })
                .unwrap_or_default();
            let tool = Tool {
                integration: integration.clone(),
                name: name.clone(),
                title: text(entry.get("title")),
                kind: text(entry.get("tool_kind")).unwrap_or_else(|| "proxy".to_owned()),
                model: text(entry.get("model")),
                resource: text(entry.get("resource")),
                method: text(entry.get("method")),
                group: text(entry.get("group")),
                method_kind: text(entry.get("kind")),
                mostly_pii: entry.get("mostly_pii").and_then(Value::as_bool),
                tags: strings(entry.get("tags")),
                scopes: strings(entry.get("scopes")),
                broader_scopes: entry
                    .get("broader_scopes")
                    .and_then(Value::as_object)
                    .map(|o| {
                        o.iter()
                            .map(|(scope, broad)| (scope.clone(), strings(Some(broad))))
                            .collect()
                    })
                    .unwrap_or_default(),
                annotations,
            };
            self.integrations
                .entry(integration.clone())
                .or_insert_with(|| integration.clone());
            self.tools.insert((integration, name), tool);
        }
        Ok(())
    }

    /// The schema document of a tool: its own for a proxy tool, its model's for a unified one.
    pub fn schema(&self, tool: &Tool) -> Option<&Value> {
        match (&tool.model, tool.kind.as_str()) {
            (Some(model), "unified") => self
                .unified_schemas
                .get(&(model.clone(), tool.name.clone())),
            _ => self
                .proxy_schemas
                .get(&(tool.integration.clone(), tool.name.clone())),
        }
    }

    /// The tools of one integration, by name.
    pub fn tools_of<'a>(&'a self, integration: &'a str) -> impl Iterator<Item = &'a Tool> + 'a {
        self.tools
            .values()
            .filter(move |t| t.integration == integration)
    }
}

/// What a file under `generated/` holds, from its path.
enum Place {
    Catalog,
    ProxySchema(String, String),
    UnifiedSchema(String, String),
    Model(String),
}

impl Place {
    fn of(path: &str) -> Option<Place> {
        if path == CATALOG {
            return Some(Place::Catalog);
        }
        let rest = path.strip_prefix(SCHEMAS)?.strip_suffix(".json")?;
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            ["unified", category, model, tool] => Some(Place::UnifiedSchema(
                format!("{category}.{model}"),
                (*tool).to_owned(),
            )),
            ["unified", category, model] => Some(Place::Model(format!("{category}.{model}"))),
            ["unified", ..] => None,
            [integration, tool] => Some(Place::ProxySchema(
                (*integration).to_owned(),
                (*tool).to_owned(),
            )),
            // `integration.schema.json` and `unified_model.schema.json`: the format, not tools.
            _ => None,
        }
    }
}

fn array(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

fn strings(value: Option<&Value>) -> BTreeSet<String> {
    array(value)
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}
