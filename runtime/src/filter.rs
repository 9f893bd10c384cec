//! Which tools a server exposes: filters by method group, tag, integration and kind.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::table::{Integration, MethodKind, Tool};

/// Tool kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    /// Vendor-shaped tools, one per documented method.
    Proxy,
    /// Canonical-shape tools over a unified model.
    Unified,
}

/// Which custom methods pass a method filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomFilter {
    /// No custom methods.
    #[default]
    None,
    /// Read-only custom methods.
    ReadOnly,
    /// Custom methods that change data.
    Write,
    /// All custom methods.
    All,
}

/// A server's tool filter; `None` fields allow everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolFilter {
    /// Allowed method kinds (non-custom).
    #[serde(default, with = "method_set")]
    pub methods: Option<BTreeSet<MethodKind>>,
    /// Which custom methods pass when `methods` is set.
    #[serde(default)]
    pub write_custom: CustomFilter,
    /// Allowed tags (any match).
    #[serde(default)]
    pub tags: Option<BTreeSet<String>>,
    /// Allowed integrations.
    #[serde(default)]
    pub integrations: Option<BTreeSet<String>>,
    /// Allowed kinds.
    #[serde(default)]
    pub kinds: Option<BTreeSet<ToolKind>>,
}

/// A filter specification that could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FilterError {
    /// Unknown method or group name.
    #[error(
        "unknown method `{0}`: expected `read`, `write`, or a comma-separated list of list, get, create, update, delete, search, custom"
    )]
    UnknownMethod(String),
    /// Unknown tool kind.
    #[error("unknown kind `{0}`: expected `proxy` or `unified`")]
    UnknownKind(String),
    /// Empty list.
    #[error("empty {0} list: give at least one value")]
    Empty(&'static str),
}

impl ToolFilter {
    /// Parses `read`, `write` or a comma-separated list of method kinds and groups
    /// (`list,get,custom`): the non-custom kinds it allows, and which custom methods.
    ///
    /// `read` = list, get, search and read-only custom methods; `write` = create, update, delete and
    /// custom methods that change data; `custom` names every custom method.
    pub fn parse_methods(spec: &str) -> Result<(BTreeSet<MethodKind>, CustomFilter), FilterError> {
        let mut kinds = BTreeSet::new();
        let mut custom = CustomFilter::None;
        let mut any = false;
        for word in spec.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            any = true;
            match word.to_ascii_lowercase().as_str() {
                "read" => {
                    kinds.extend([MethodKind::List, MethodKind::Get, MethodKind::Search]);
                    custom = custom.union(CustomFilter::ReadOnly);
                }
                "write" => {
                    kinds.extend([MethodKind::Create, MethodKind::Update, MethodKind::Delete]);
                    custom = custom.union(CustomFilter::Write);
                }
                "all" | "*" => {
                    kinds.extend(ALL_KINDS);
                    custom = CustomFilter::All;
                }
                other => match method_kind(other) {
                    Some(MethodKind::Custom) => custom = CustomFilter::All,
                    Some(kind) => {
                        kinds.insert(kind);
                    }
                    None => return Err(FilterError::UnknownMethod(word.to_owned())),
                },
            }
        }
        if !any {
            return Err(FilterError::Empty("method"));
        }
        kinds.remove(&MethodKind::Custom);
        Ok((kinds, custom))
    }

    /// Parses a comma-separated tag list (blank entries ignored).
    pub fn parse_tags(spec: &str) -> Result<BTreeSet<String>, FilterError> {
        let tags: BTreeSet<String> = spec
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if tags.is_empty() {
            Err(FilterError::Empty("tag"))
        } else {
            Ok(tags)
        }
    }

    /// Parses a comma-separated list of tool kinds: `proxy`, `unified`.
    pub fn parse_kinds(spec: &str) -> Result<BTreeSet<ToolKind>, FilterError> {
        let mut kinds = BTreeSet::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            kinds.insert(match part {
                "proxy" => ToolKind::Proxy,
                "unified" => ToolKind::Unified,
                other => return Err(FilterError::UnknownKind(other.to_owned())),
            });
        }
        if kinds.is_empty() {
            Err(FilterError::Empty("kind"))
        } else {
            Ok(kinds)
        }
    }

    /// This filter with its method part set from [`ToolFilter::parse_methods`].
    pub fn with_methods(mut self, spec: &str) -> Result<Self, FilterError> {
        let (methods, custom) = Self::parse_methods(spec)?;
        self.methods = Some(methods);
        self.write_custom = custom;
        Ok(self)
    }

    /// The OAuth scopes `integration`'s tools that this filter allows need, with the integration's
    /// always-requested scopes: what an account must be granted for a server with this filter. Sorted.
    pub fn needed_scopes(&self, integration: &Integration) -> BTreeSet<&'static str> {
        let mut scopes: BTreeSet<&'static str> = integration
            .tools
            .iter()
            .filter(|tool| self.allows(tool))
            .flat_map(|tool| tool.scopes.iter().copied())
            .collect();
        if let Some(oauth) = &integration.auth.oauth2 {
            scopes.extend(oauth.default_scopes.iter().copied());
        }
        scopes
    }

    /// Whether the filter allows the tool.
    pub fn allows(&self, tool: &Tool) -> bool {
        let kind = if tool.is_unified() {
            ToolKind::Unified
        } else {
            ToolKind::Proxy
        };
        self.allows_kind(tool, kind)
    }

    /// Whether the filter allows `tool`, which is of kind `kind`.
    pub fn allows_kind(&self, tool: &Tool, kind: ToolKind) -> bool {
        let method_ok = match &self.methods {
            None => true,
            Some(methods) => match tool.kind {
                MethodKind::Custom => match self.write_custom {
                    CustomFilter::None => false,
                    CustomFilter::ReadOnly => tool.annotations.read_only,
                    CustomFilter::Write => !tool.annotations.read_only,
                    CustomFilter::All => true,
                },
                other => methods.contains(&other),
            },
        };
        let tags_ok = self
            .tags
            .as_ref()
            .is_none_or(|tags| tool.tags.iter().any(|t| tags.contains(*t)));
        let integration_ok = self
            .integrations
            .as_ref()
            .is_none_or(|names| names.contains(tool.integration));
        let kind_ok = self
            .kinds
            .as_ref()
            .is_none_or(|kinds| kinds.contains(&kind));
        method_ok && tags_ok && integration_ok && kind_ok
    }
}

const ALL_KINDS: [MethodKind; 7] = [
    MethodKind::List,
    MethodKind::Get,
    MethodKind::Create,
    MethodKind::Update,
    MethodKind::Delete,
    MethodKind::Search,
    MethodKind::Custom,
];

impl CustomFilter {
    /// Custom methods allowed by either filter.
    pub fn union(self, other: Self) -> Self {
        match (self, other) {
            (Self::None, x) | (x, Self::None) => x,
            (a, b) if a == b => a,
            _ => Self::All,
        }
    }
}

impl fmt::Display for ToolFilter {
    /// `methods=list,get,custom(read-only) tags=crm integrations=… kinds=proxy`, or `all tools`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(methods) = &self.methods {
            let mut names: Vec<String> =
                methods.iter().map(|m| method_name(*m).to_owned()).collect();
            match self.write_custom {
                CustomFilter::None => {}
                CustomFilter::ReadOnly => names.push("custom(read-only)".to_owned()),
                CustomFilter::Write => names.push("custom(write)".to_owned()),
                CustomFilter::All => names.push("custom".to_owned()),
            }
            parts.push(format!("methods={}", names.join(",")));
        }
        if let Some(tags) = &self.tags {
            parts.push(format!("tags={}", join(tags.iter().map(String::as_str))));
        }
        if let Some(integrations) = &self.integrations {
            parts.push(format!(
                "integrations={}",
                join(integrations.iter().map(String::as_str))
            ));
        }
        if let Some(kinds) = &self.kinds {
            parts.push(format!(
                "kinds={}",
                join(kinds.iter().map(|k| match k {
                    ToolKind::Proxy => "proxy",
                    ToolKind::Unified => "unified",
                }))
            ));
        }
        if parts.is_empty() {
            f.write_str("all tools")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(",")
}

/// Serializes method kinds as their snake_case names, since the table type carries no serde derive.
mod method_set {
    use std::collections::BTreeSet;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::table::MethodKind;

    pub fn serialize<S: Serializer>(
        set: &Option<BTreeSet<MethodKind>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        set.as_ref()
            .map(|set| {
                set.iter()
                    .map(|m| super::method_name(*m))
                    .collect::<Vec<_>>()
            })
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<BTreeSet<MethodKind>>, D::Error> {
        let names = Option::<Vec<String>>::deserialize(d)?;
        names
            .map(|names| {
                names
                    .iter()
                    .map(|n| {
                        super::method_kind(n).ok_or_else(|| {
                            serde::de::Error::custom(format!("unknown method kind `{n}`"))
                        })
                    })
                    .collect()
            })
            .transpose()
    }
}

/// The snake_case name of a method kind.
pub fn method_name(kind: MethodKind) -> &'static str {
    match kind {
        MethodKind::List => "list",
        MethodKind::Get => "get",
        MethodKind::Create => "create",
        MethodKind::Update => "update",
        MethodKind::Delete => "delete",
        MethodKind::Search => "search",
        MethodKind::Custom => "custom",
    }
}

/// The method kind with this snake_case name.
pub fn method_kind(name: &str) -> Option<MethodKind> {
    Some(match name {
        "list" => MethodKind::List,
        "get" => MethodKind::Get,
        "create" => MethodKind::Create,
        "update" => MethodKind::Update,
        "delete" => MethodKind::Delete,
        "search" => MethodKind::Search,
        "custom" => MethodKind::Custom,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Annotations, HttpVerb};

    fn tool(kind: MethodKind, read_only: bool, tags: &'static [&'static str]) -> Tool {
        Tool {
            name: "t",
            title: "",
            description: "",
            integration: "example",
            resource: "things",
            method: "m",
            kind,
            http: HttpVerb::Get,
            path: "/",
            params: &[],
            fixed_query: &[],
            extra_body: None,
            pagination: None,
            scopes: &[],
            broader_scopes: &[],
            tags,
            annotations: Annotations {
                read_only,
                destructive: false,
                idempotent: false,
                open_world: true,
            },
            schema: "{}",
            unified: None,
            pii: &[],
            mostly_pii: false,
        }
    }

    fn filter(methods: &str) -> ToolFilter {
        ToolFilter::default()
            .with_methods(methods)
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn a_broader_scope_grants_the_narrow_ones_it_covers() {
        let tool = Tool {
            scopes: &["tickets:read", "users:read"],
            broader_scopes: &[("tickets:read", &["read"])],
            ..tool(MethodKind::List, true, &[])
        };
        let granted = |scopes: &[&str]| scopes.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(tool.missing_scopes(&granted(&["read"])), ["users:read"]);
        assert!(
            tool.missing_scopes(&granted(&["read", "users:read"]))
                .is_empty()
        );
        assert_eq!(
            tool.missing_scopes(&granted(&["write"])),
            ["tickets:read", "users:read"]
        );
    }

    #[test]
    fn read_and_write_groups() {
        let read = filter("read");
        assert!(read.allows(&tool(MethodKind::List, true, &[])));
        assert!(read.allows(&tool(MethodKind::Search, true, &[])));
        assert!(!read.allows(&tool(MethodKind::Delete, false, &[])));
        assert!(read.allows(&tool(MethodKind::Custom, true, &[])));
        assert!(!read.allows(&tool(MethodKind::Custom, false, &[])));
        let write = filter("write");
        assert!(write.allows(&tool(MethodKind::Create, false, &[])));
        assert!(!write.allows(&tool(MethodKind::Get, true, &[])));
        assert!(write.allows(&tool(MethodKind::Custom, false, &[])));
        assert!(!write.allows(&tool(MethodKind::Custom, true, &[])));
        let both = filter("read, write");
        assert!(both.allows(&tool(MethodKind::Custom, true, &[])));
        assert!(both.allows(&tool(MethodKind::Custom, false, &[])));
    }

    #[test]
    fn explicit_kinds_and_errors() {
        let f = filter("list,get");
        assert!(f.allows(&tool(MethodKind::Get, true, &[])));
        assert!(!f.allows(&tool(MethodKind::Search, true, &[])));
        assert!(!f.allows(&tool(MethodKind::Custom, true, &[])));
        assert!(filter("list,custom").allows(&tool(MethodKind::Custom, false, &[])));
        let error = ToolFilter::parse_methods("list,fetch");
        assert_eq!(error, Err(FilterError::UnknownMethod("fetch".to_owned())));
        assert!(
            error
                .err()
                .map(|e| e.to_string())
                .is_some_and(|m| m.contains("`fetch`") && m.contains("read"))
        );
        assert_eq!(
            ToolFilter::parse_methods(" , "),
            Err(FilterError::Empty("method"))
        );
    }

    #[test]
    fn tags_integrations_and_kinds() {
        let f = ToolFilter {
            tags: ToolFilter::parse_tags("contacts, deals").ok(),
            integrations: Some(["example".to_owned()].into()),
            kinds: Some([ToolKind::Proxy].into()),
            ..ToolFilter::default()
        };
        assert!(f.allows(&tool(MethodKind::List, true, &["crm", "deals"])));
        assert!(!f.allows(&tool(MethodKind::List, true, &["crm"])));
        assert!(!f.allows_kind(&tool(MethodKind::List, true, &["deals"]), ToolKind::Unified));
        let other = ToolFilter {
            integrations: Some(["other".to_owned()].into()),
            ..ToolFilter::default()
        };
        assert!(!other.allows(&tool(MethodKind::List, true, &[])));
        assert!(ToolFilter::default().allows(&tool(MethodKind::Delete, false, &[])));
        assert_eq!(ToolFilter::parse_tags(""), Err(FilterError::Empty("tag")));
    }

    #[test]
    fn json_round_trip_and_display() {
        let f = ToolFilter {
            tags: Some(["crm".to_owned()].into()),
            kinds: Some([ToolKind::Proxy].into()),
            ..filter("read")
        };
        let json = serde_json::to_string(&f).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"methods":["list","get","search"],"write_custom":"read_only","tags":["crm"],"integrations":null,"kinds":["proxy"]}"#
        );
        assert_eq!(
            serde_json::from_str::<ToolFilter>(&json).ok(),
            Some(f.clone())
        );
        assert_eq!(
            serde_json::from_str::<ToolFilter>("{}").ok(),
            Some(ToolFilter::default())
        );
        assert!(serde_json::from_str::<ToolFilter>(r#"{"methods":["fetch"]}"#).is_err());
        assert_eq!(
            f.to_string(),
            "methods=list,get,search,custom(read-only) tags=crm kinds=proxy"
        );
        assert_eq!(ToolFilter::default().to_string(), "all tools");
    }
}
