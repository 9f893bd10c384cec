//! Tool names: deterministic, `[a-z0-9_]`, at most 64 characters, in the convention agents already know
//! (`list_all_hub_spot_contacts`, `get_single_salesforce_contact_by_id`).

use crate::model::MethodKind;

/// Longest tool name MCP clients reliably accept.
pub const MAX_TOOL_NAME: usize = 64;

/// The snake_case of a display name: `HubSpot` → `hub_spot`, `Zendesk Sell` → `zendesk_sell`.
pub fn snake_case(display: &str) -> String {
    let mut out = String::new();
    let mut prev_lower_or_digit = false;
    for c in display.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower_or_digit {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower_or_digit = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower_or_digit = false;
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// Whether `s` is a snake_case identifier: `[a-z][a-z0-9_]*`.
pub fn is_snake_case(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The argument name of the record's id on every get, update and delete tool (the tools whose names end
/// in `_by_id`), whatever the vendor calls it in its path: agents moving between vendors always send `id`.
pub const RECORD_ID_ARG: &str = "id";

/// The `{placeholders}` of a method path, in path order. Total on any text: a `{` without a closing `}`
/// ends the list.
pub fn path_placeholders(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}

/// For get, update and delete methods: the path parameter that identifies the record, which the tool
/// takes as [`RECORD_ID_ARG`]. It is the last placeholder of the path (`{contactId}` in
/// `/contacts/{contactId}`, `{noteId}` in `/contacts/{contactId}/notes/{noteId}`); the others keep
/// their names. `None` for other kinds and for paths without placeholders.
pub fn record_id_placeholder(kind: MethodKind, path: &str) -> Option<&str> {
    match kind {
        MethodKind::Get | MethodKind::Update | MethodKind::Delete => {
            path_placeholders(path).last().copied()
        }
        _ => None,
    }
}

/// The tool name of one method: `prefix` is the integration's tool prefix, `plural` the resource key.
pub fn tool_name(
    kind: MethodKind,
    method_key: &str,
    prefix: &str,
    singular: &str,
    plural: &str,
) -> String {
    match kind {
        MethodKind::List => format!("list_all_{prefix}_{plural}"),
        MethodKind::Get => format!("get_single_{prefix}_{singular}_by_id"),
        MethodKind::Create => format!("create_a_{prefix}_{singular}"),
        MethodKind::Update => format!("update_a_{prefix}_{singular}_by_id"),
        MethodKind::Delete => format!("delete_a_{prefix}_{singular}_by_id"),
        MethodKind::Search => format!("search_{prefix}_{plural}"),
        MethodKind::Custom => format!("{method_key}_{prefix}_{plural}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_become_snake_case() {
        assert_eq!(snake_case("HubSpot"), "hub_spot");
        assert_eq!(snake_case("Salesforce"), "salesforce");
        assert_eq!(snake_case("Zendesk Sell"), "zendesk_sell");
        assert_eq!(snake_case("BambooHR"), "bamboo_hr");
        assert_eq!(
            snake_case("Microsoft Dynamics 365"),
            "microsoft_dynamics_365"
        );
    }

    #[test]
    fn names_follow_the_convention() {
        let n = |k, key| tool_name(k, key, "hub_spot", "contact", "contacts");
        assert_eq!(n(MethodKind::List, "list"), "list_all_hub_spot_contacts");
        assert_eq!(
            n(MethodKind::Get, "get"),
            "get_single_hub_spot_contact_by_id"
        );
        assert_eq!(n(MethodKind::Create, "create"), "create_a_hub_spot_contact");
        assert_eq!(
            n(MethodKind::Update, "update"),
            "update_a_hub_spot_contact_by_id"
        );
        assert_eq!(
            n(MethodKind::Delete, "delete"),
            "delete_a_hub_spot_contact_by_id"
        );
        assert_eq!(n(MethodKind::Search, "search"), "search_hub_spot_contacts");
        assert_eq!(n(MethodKind::Custom, "merge"), "merge_hub_spot_contacts");
    }

    #[test]
    fn the_record_id_is_the_last_placeholder_of_get_update_and_delete() {
        let nested = "/v1/contacts/{contactId}/notes/{noteId}";
        assert_eq!(path_placeholders(nested), ["contactId", "noteId"]);
        for kind in [MethodKind::Get, MethodKind::Update, MethodKind::Delete] {
            assert_eq!(record_id_placeholder(kind, nested), Some("noteId"));
            assert_eq!(record_id_placeholder(kind, "/v1/contacts/{id}"), Some("id"));
            assert_eq!(record_id_placeholder(kind, "/v1/me"), None);
        }
        for kind in [
            MethodKind::List,
            MethodKind::Create,
            MethodKind::Search,
            MethodKind::Custom,
        ] {
            assert_eq!(record_id_placeholder(kind, nested), None);
        }
        assert_eq!(path_placeholders("/a/{b"), Vec::<&str>::new());
        assert_eq!(path_placeholders("/a/{}/c"), [""]);
    }
}
