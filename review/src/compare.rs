//! Two trees compared tool by tool: what agents lose, what needs consent, what is merely new.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::report::{Change, Class, Report};
use crate::schema::{self, Finding, Side, code};
use crate::tree::{Tool, Tree};

/// Compares the tree at the base (`before`) with the tree under review (`after`).
pub fn compare(before: &Tree, after: &Tree) -> Report {
    let mut changes = Vec::new();
    integrations(before, after, &mut changes);
    tools(before, after, &mut changes);
    models(before, after, &mut changes);
    changes.sort_by(|a, b| {
        (a.class, &a.scope, &a.tool, &a.at, a.code, &a.message)
            .cmp(&(b.class, &b.scope, &b.tool, &b.at, b.code, &b.message))
    });
    changes.dedup();
    Report {
        changes,
        context_cost: crate::cost::context_cost(before, after),
    }
}

fn change(
    class: Class,
    scope: &str,
    tool: Option<&str>,
    code: &'static str,
    message: String,
) -> Change {
    Change {
        class,
        scope: scope.to_owned(),
        tool: tool.map(str::to_owned),
        code,
        at: None,
        message,
        before: None,
        after: None,
    }
}

fn integrations(before: &Tree, after: &Tree, out: &mut Vec<Change>) {
    for name in before.integrations.keys() {
        if !after.integrations.contains_key(name) {
            let count = before.tools_of(name).count();
            out.push(change(
                Class::Breaking,
                name,
                None,
                "integration_removed",
                format!("integration removed with its {count} tool(s): servers bound to it lose every tool"),
            ));
        }
    }
    for (name, display) in &after.integrations {
        if !before.integrations.contains_key(name) {
            let count = after.tools_of(name).count();
            out.push(change(
                Class::Safe,
                name,
                None,
                "integration_added",
                format!("new integration {display} with {count} tool(s)"),
            ));
        }
    }
}

/// The one tool among `candidates` (in `theirs`) that `tool` (in `mine`) was probably renamed to or from.
///
/// Same integration, kind and method group, and either the same resource and method (a new tool
/// prefix or naming rule) or the same resource and input schema (a method renamed).
fn counterpart<'a>(
    tool: &Tool,
    mine: &Tree,
    candidates: &[&'a Tool],
    theirs: &Tree,
) -> Option<&'a Tool> {
    let alike = |c: &&&Tool| {
        c.integration == tool.integration
            && c.kind == tool.kind
            && c.group == tool.group
            && c.model == tool.model
            && c.resource == tool.resource
    };
    let input = |tree: &Tree, t: &Tool| tree.schema(t).and_then(|s| s.get("inputSchema")).cloned();
    let one = |mut found: Vec<&'a Tool>| (found.len() == 1).then(|| found.remove(0));
    one(candidates
        .iter()
        .filter(alike)
        .filter(|c| c.method == tool.method)
        .copied()
        .collect())
    .or_else(|| {
        let schema = input(mine, tool)?;
        one(candidates
            .iter()
            .filter(alike)
            .filter(|c| input(theirs, c).as_ref() == Some(&schema))
            .copied()
            .collect())
    })
}

fn tools(before: &Tree, after: &Tree, out: &mut Vec<Change>) {
    let removed: Vec<&Tool> = before
        .tools
        .iter()
        .filter(|(key, _)| !after.tools.contains_key(*key))
        .map(|(_, t)| t)
        .collect();
    let added: Vec<&Tool> = after
        .tools
        .iter()
        .filter(|(key, _)| !before.tools.contains_key(*key))
        .map(|(_, t)| t)
        .collect();
    for tool in &removed {
        let renamed = counterpart(tool, before, &added, after)
            .map(|new| format!(" (renamed to `{}`?)", new.name))
            .unwrap_or_default();
        out.push(change(
            Class::Breaking,
            &tool.integration,
            Some(&tool.name),
            "tool_removed",
            format!("tool removed{renamed}: agents calling it get `unknown tool`"),
        ));
    }
    for tool in &added {
        let replaces = counterpart(tool, after, &removed, before)
            .map(|old| format!(", replaces `{}`?", old.name))
            .unwrap_or_default();
        let scopes = if tool.scopes.is_empty() {
            String::new()
        } else {
            format!(", needs {}", quoted(&tool.scopes))
        };
        out.push(change(
            Class::Safe,
            &tool.integration,
            Some(&tool.name),
            "tool_added",
            format!(
                "new {} tool ({}{scopes}{replaces})",
                tool.kind,
                tool.group.as_deref().unwrap_or("no method group")
            ),
        ));
        // A scope the integration never asked for widens its consent: accounts connected before
        // lack it, and their servers hide the tool until someone authorizes again.
        if before.integrations.contains_key(&tool.integration) {
            let unseen = new_to_integration(before, tool, &tool.scopes);
            if !unseen.is_empty() {
                out.push(change(
                    Class::Consent,
                    &tool.integration,
                    Some(&tool.name),
                    "scopes_added",
                    format!(
                        "needs {}, new to the integration: accounts connected before must authorize again before their servers list it{}",
                        quoted(&unseen),
                        listed_by(tool)
                    ),
                ));
            }
        }
    }
    for (key, old) in &before.tools {
        let Some(new) = after.tools.get(key) else {
            continue;
        };
        catalog_entry(old, new, before, out);
        let (was, now) = (before.schema(old), after.schema(new));
        if was.is_none() || now.is_none() {
            // A tree that names a tool without its schema cannot be judged: fail closed.
            let side = if was.is_none() {
                "at the base"
            } else {
                "in this change"
            };
            out.push(change(
                Class::Breaking,
                &new.integration,
                Some(&new.name),
                "schema_missing",
                format!("its schema file is missing {side}: the tool could not be compared"),
            ));
        } else if let (true, Some(was), Some(now)) = (new.kind != "unified", was, now) {
            // A unified tool's schema is its model's, compared once per model in `models`.
            document(was, now, &new.integration, &new.name, out);
        }
    }
}

/// Which of `scopes` no tool of `tool`'s integration needed in `before`.
fn new_to_integration(before: &Tree, tool: &Tool, scopes: &BTreeSet<String>) -> BTreeSet<String> {
    let known: BTreeSet<&String> = before
        .tools_of(&tool.integration)
        .flat_map(|t| &t.scopes)
        .collect();
    scopes
        .iter()
        .filter(|s| !known.contains(s))
        .cloned()
        .collect()
}

/// The servers that list `tool`, for a consent message.
fn listed_by(tool: &Tool) -> String {
    let mut filters = Vec::new();
    if let Some(group) = &tool.group {
        filters.push(format!("`--methods {group}`"));
    }
    if let Some(kind) = &tool.method_kind {
        filters.push(format!("`--methods {kind}`"));
    }
    filters.extend(tool.tags.iter().map(|tag| format!("`--tags {tag}`")));
    if filters.is_empty() {
        "; every server without a filter lists it".to_owned()
    } else {
        format!(
            "; listed by servers without a filter or with {}",
            filters.join(" or ")
        )
    }
}

/// What the catalog says of a tool kept under the same name: annotations, filters, scopes.
fn catalog_entry(old: &Tool, new: &Tool, before: &Tree, out: &mut Vec<Change>) {
    let scope = new.integration.as_str();
    let tool = Some(new.name.as_str());
    if let (Some(was), Some(now)) = (&old.title, &new.title)
        && was != now
    {
        out.push(change(
            Class::Safe,
            scope,
            tool,
            "title_changed",
            format!("title {} → {}", code(was), code(now)),
        ));
    }
    let hint = |t: &Tool, name: &str| t.annotations.get(name).copied();
    if hint(old, "readOnlyHint") == Some(true) && hint(new, "readOnlyHint") != Some(true) {
        out.push(change(
            Class::Breaking,
            scope,
            tool,
            "became_write",
            "was read-only and now changes data (`readOnlyHint` true → false)".to_owned(),
        ));
    }
    if hint(old, "destructiveHint") != Some(true) && hint(new, "destructiveHint") == Some(true) {
        out.push(change(
            Class::Breaking,
            scope,
            tool,
            "became_destructive",
            "is now destructive (`destructiveHint` → true)".to_owned(),
        ));
    }
    let names: BTreeSet<&String> = old
        .annotations
        .keys()
        .chain(new.annotations.keys())
        .collect();
    for name in names {
        let (was, now) = (hint(old, name), hint(new, name));
        // The two changes above are reported as breaking; any other change of a hint is safe.
        let reported = (name == "readOnlyHint" && was == Some(true))
            || (name == "destructiveHint" && now == Some(true));
        if was != now && !reported {
            out.push(change(
                Class::Safe,
                scope,
                tool,
                "annotation_changed",
                format!("`{name}` {} → {}", show(was), show(now)),
            ));
        }
    }
    if let (Some(was), Some(now)) = (&old.group, &new.group)
        && was != now
    {
        out.push(change(
            Class::Breaking,
            scope,
            tool,
            "group_changed",
            format!(
                "moves from the `{was}` to the `{now}` method group: servers created with `--methods {was}` no longer list it"
            ),
        ));
    }
    if let (Some(was), Some(now)) = (&old.method_kind, &new.method_kind)
        && was != now
    {
        out.push(change(
            Class::Breaking,
            scope,
            tool,
            "kind_changed",
            format!("its method kind changes from `{was}` to `{now}`: servers created with `--methods {was}` no longer list it"),
        ));
    }
    match (old.mostly_pii, new.mostly_pii) {
        // A base catalog without the mark predates `--no-pii-tools`: no server could filter on it.
        (Some(false), Some(true)) => out.push(change(
            Class::Breaking,
            scope,
            tool,
            "became_mostly_pii",
            "now returns mostly personal data: servers created with `--no-pii-tools` no longer list it".to_owned(),
        )),
        (Some(true), Some(false)) => out.push(change(
            Class::Safe,
            scope,
            tool,
            "no_longer_mostly_pii",
            "no longer returns mostly personal data: servers created with `--no-pii-tools` list it".to_owned(),
        )),
        _ => {}
    }
    for tag in old.tags.difference(&new.tags) {
        out.push(change(
            Class::Breaking,
            scope,
            tool,
            "tag_removed",
            format!(
                "no longer tagged `{tag}`: servers created with `--tags {tag}` no longer list it"
            ),
        ));
    }
    for tag in new.tags.difference(&old.tags) {
        out.push(change(
            Class::Safe,
            scope,
            tool,
            "tag_added",
            format!("now tagged `{tag}`: servers created with `--tags {tag}` list it"),
        ));
    }
    let grown: BTreeSet<String> = new.scopes.difference(&old.scopes).cloned().collect();
    if !grown.is_empty() {
        let besides = if old.scopes.is_empty() {
            "no scope before".to_owned()
        } else {
            format!("besides {}", quoted(&old.scopes))
        };
        let unseen = new_to_integration(before, old, &grown);
        let who = if unseen.is_empty() {
            "accounts connected without it".to_owned()
        } else {
            format!(
                "{} is new to the integration: every account connected before",
                quoted(&unseen)
            )
        };
        let servers = listed_by(new);
        out.push(change(
            Class::Consent,
            scope,
            tool,
            "scopes_added",
            format!(
                "needs {} ({besides}); {who} must authorize again to call it{servers}",
                quoted(&grown)
            ),
        ));
    }
    // A broad scope that stops granting a needed one takes the tool from accounts granted only it.
    let none = BTreeSet::new();
    for needed in old.scopes.intersection(&new.scopes) {
        let was = old.broader_scopes.get(needed).unwrap_or(&none);
        let now = new.broader_scopes.get(needed).unwrap_or(&none);
        for broad in was.difference(now) {
            out.push(change(
                Class::Consent,
                scope,
                tool,
                "broader_scope_removed",
                format!(
                    "`{broad}` no longer grants `{needed}`: accounts granted `{broad}` without `{needed}` must authorize again to call it{}",
                    listed_by(new)
                ),
            ));
        }
        for broad in now.difference(was) {
            out.push(change(
                Class::Safe,
                scope,
                tool,
                "broader_scope_added",
                format!(
                    "`{broad}` now grants `{needed}` too: accounts granted `{broad}` can call it"
                ),
            ));
        }
    }
    let dropped: BTreeSet<String> = old.scopes.difference(&new.scopes).cloned().collect();
    if !dropped.is_empty() {
        out.push(change(
            Class::Safe,
            scope,
            tool,
            "scopes_removed",
            format!("no longer needs {}", quoted(&dropped)),
        ));
    }
}

/// A tool's schema document: its description, input and output.
fn document(was: &Value, now: &Value, scope: &str, tool: &str, out: &mut Vec<Change>) {
    let text = |v: &Value| {
        v.get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    if text(was) != text(now) {
        out.push(Change {
            before: Some(text(was)),
            after: Some(text(now)),
            ..change(
                Class::Safe,
                scope,
                Some(tool),
                "description_changed",
                "tool description changed".to_owned(),
            )
        });
    }
    let mut findings = Vec::new();
    let null = Value::Null;
    let part = |v: &'_ Value, key: &str| v.get(key).cloned().unwrap_or(null.clone());
    schema::compare(
        &part(was, "inputSchema"),
        &part(now, "inputSchema"),
        Side::Input,
        "",
        &mut findings,
    );
    pair_renamed_input(&mut findings);
    schema::compare(
        &part(was, "outputSchema"),
        &part(now, "outputSchema"),
        Side::Output,
        "",
        &mut findings,
    );
    out.extend(
        findings
            .into_iter()
            .map(|f| from_finding(f, scope, Some(tool))),
    );
}

/// One input removed and one required input added beside it: most likely a rename, said so.
fn pair_renamed_input(findings: &mut [Finding]) {
    let parent = |at: &str| at.rsplit_once('/').map_or("", |(p, _)| p).to_owned();
    let removed: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].code == "input_removed")
        .collect();
    let added: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].code == "input_added_required")
        .collect();
    if let ([old], [new]) = (removed.as_slice(), added.as_slice())
        && parent(&findings[*old].at) == parent(&findings[*new].at)
    {
        let name = findings[*new]
            .at
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let was = findings[*old]
            .at
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        findings[*old].message = findings[*old].message.replacen(
            " removed:",
            &format!(" removed (renamed to `{name}`?):"),
            1,
        );
        findings[*new].message =
            findings[*new]
                .message
                .replacen("):", &format!(", replaces `{was}`?):"), 1);
    }
}

fn from_finding(finding: Finding, scope: &str, tool: Option<&str>) -> Change {
    let (before, after) = match finding.texts {
        Some((b, a)) => (Some(b), Some(a)),
        None => (None, None),
    };
    Change {
        class: finding.class,
        scope: scope.to_owned(),
        tool: tool.map(str::to_owned),
        code: finding.code,
        at: (!finding.at.is_empty()).then_some(finding.at),
        message: finding.message,
        before,
        after,
    }
}

/// Unified models and the schemas of their tools, once per model whichever integrations serve them.
fn models(before: &Tree, after: &Tree, out: &mut Vec<Change>) {
    for (name, was) in &before.models {
        let Some(now) = after.models.get(name) else {
            out.push(change(
                Class::Breaking,
                name,
                None,
                "model_removed",
                "unified model removed, with its tools in every integration".to_owned(),
            ));
            continue;
        };
        let mut findings = Vec::new();
        schema::compare(was, now, Side::Model, "", &mut findings);
        out.extend(findings.into_iter().map(|f| from_finding(f, name, None)));
    }
    for name in after.models.keys() {
        if !before.models.contains_key(name) {
            out.push(change(
                Class::Safe,
                name,
                None,
                "model_added",
                "new unified model".to_owned(),
            ));
        }
    }
    // A model's tool no integration served could not be called: its schema's changes break no one.
    for ((model, tool), was) in &before.unified_schemas {
        let served = before
            .tools
            .values()
            .any(|t| t.kind == "unified" && t.model.as_ref() == Some(model) && &t.name == tool);
        if let (true, Some(now)) = (
            served,
            after.unified_schemas.get(&(model.clone(), tool.clone())),
        ) {
            document(was, now, model, tool, out);
        }
    }
}

fn quoted(values: &BTreeSet<String>) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn show(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "true",
        Some(false) => "false",
        None => "(unset)",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::compare;
    use crate::report::Class;
    use crate::tree::Tree;

    /// A tree of one tool with the given annotations and input schema.
    fn tree(annotations: serde_json::Value, input: serde_json::Value) -> Tree {
        let catalog = json!({
            "integrations": [{"name": "acme", "display_name": "Acme"}],
            "tools": [{
                "integration": "acme", "name": "archive_acme_contact", "tool_kind": "proxy",
                "method": "archive", "resource": "contacts", "group": "write",
                "tags": ["contacts"], "scopes": ["contacts.write"], "annotations": annotations,
            }],
        });
        let schema =
            json!({"description": "Archives a contact.", "inputSchema": input, "outputSchema": {}});
        Tree::from_files([
            (
                "generated/catalog.json".to_owned(),
                catalog.to_string().into_bytes(),
            ),
            (
                "generated/schemas/acme/archive_acme_contact.json".to_owned(),
                schema.to_string().into_bytes(),
            ),
        ])
        .unwrap()
    }

    fn codes(before: &Tree, after: &Tree) -> Vec<(Class, &'static str)> {
        compare(before, after)
            .changes
            .iter()
            .map(|c| (c.class, c.code))
            .collect()
    }

    #[test]
    fn a_tool_turned_destructive_is_breaking() {
        let input = json!({"type": "object", "properties": {}});
        let before = tree(
            json!({"readOnlyHint": false, "destructiveHint": false}),
            input.clone(),
        );
        let after = tree(
            json!({"readOnlyHint": false, "destructiveHint": true}),
            input,
        );
        assert_eq!(
            codes(&before, &after),
            [(Class::Breaking, "became_destructive")]
        );
        // The other way round is safe.
        assert_eq!(
            codes(&after, &before),
            [(Class::Safe, "annotation_changed")]
        );
    }

    #[test]
    fn inputs_may_widen_but_not_tighten() {
        let annotations = json!({"readOnlyHint": false});
        let schema = |limit: serde_json::Value, required: serde_json::Value| {
            json!({"type": "object", "additionalProperties": false, "required": required,
                   "properties": {"id": {"type": "string"}, "limit": limit}})
        };
        let narrow = tree(
            annotations.clone(),
            schema(
                json!({"type": "integer", "maximum": 100}),
                json!(["id", "limit"]),
            ),
        );
        let wide = tree(
            annotations,
            schema(
                json!({"type": ["number", "string"], "maximum": 500}),
                json!(["id"]),
            ),
        );
        assert_eq!(
            codes(&narrow, &wide),
            [
                (Class::Safe, "input_became_optional"),
                (Class::Safe, "input_type_widened"),
                (Class::Safe, "schema_changed"),
            ]
        );
        assert_eq!(
            codes(&wide, &narrow),
            [
                (Class::Breaking, "input_became_required"),
                (Class::Breaking, "input_constraint_tightened"),
                (Class::Breaking, "input_type_narrowed"),
            ]
        );
    }

    #[test]
    fn outputs_may_narrow_but_not_widen() {
        let tool = |output: serde_json::Value| {
            let mut tree = tree(json!({}), json!({"type": "object"}));
            let key = ("acme".to_owned(), "archive_acme_contact".to_owned());
            let doc = tree.proxy_schemas.get_mut(&key).unwrap();
            doc["outputSchema"] = output;
            tree
        };
        let schema = |types: serde_json::Value| {
            json!({"type": "object", "properties": {"result": {"type": "object",
                   "properties": {"score": {"type": types}}}}})
        };
        let nullable = tool(schema(json!(["number", "null"])));
        let integer = tool(schema(json!("integer")));
        assert_eq!(
            codes(&nullable, &integer),
            [(Class::Safe, "output_type_narrowed")]
        );
        assert_eq!(
            codes(&integer, &nullable),
            [(Class::Breaking, "output_type_changed")]
        );
    }

    #[test]
    fn a_tree_without_a_catalog_is_empty_and_everything_after_it_is_new() {
        let empty = Tree::from_files([]).unwrap();
        let after = tree(json!({}), json!({"type": "object"}));
        assert_eq!(
            codes(&empty, &after),
            [
                (Class::Safe, "integration_added"),
                (Class::Safe, "tool_added")
            ]
        );
    }

    #[test]
    fn losing_a_server_filter_is_breaking() {
        let input = json!({"type": "object"});
        let base = tree(json!({}), input.clone());
        let mut changed = tree(json!({}), input);
        let key = ("acme".to_owned(), "archive_acme_contact".to_owned());
        let tool = changed.tools.get_mut(&key).unwrap();
        tool.mostly_pii = Some(true);
        tool.method_kind = Some("custom".into());
        let mut before = base.clone();
        let old = before.tools.get_mut(&key).unwrap();
        old.mostly_pii = Some(false);
        old.method_kind = Some("update".into());
        assert_eq!(
            codes(&before, &changed),
            [
                (Class::Breaking, "became_mostly_pii"),
                (Class::Breaking, "kind_changed")
            ]
        );
    }

    #[test]
    fn a_broad_scope_that_stops_granting_a_needed_one_needs_consent() {
        let input = json!({"type": "object"});
        let key = ("acme".to_owned(), "archive_acme_contact".to_owned());
        let granted_by = |broad: &[&str]| {
            let mut tree = tree(json!({}), input.clone());
            let tool = tree.tools.get_mut(&key).unwrap();
            let set = broad.iter().map(|b| (*b).to_owned()).collect();
            tool.broader_scopes = [("contacts.write".to_owned(), set)].into();
            tree
        };
        let (both, one) = (granted_by(&["write", "admin"]), granted_by(&["write"]));
        assert_eq!(
            codes(&both, &one),
            [(Class::Consent, "broader_scope_removed")]
        );
        assert_eq!(codes(&one, &both), [(Class::Safe, "broader_scope_added")]);
    }

    #[test]
    fn a_tool_without_its_schema_fails_closed() {
        let input = json!({"type": "object"});
        let before = tree(json!({}), input.clone());
        let mut after = tree(json!({}), input);
        after.proxy_schemas.clear();
        assert_eq!(
            codes(&before, &after),
            [(Class::Breaking, "schema_missing")]
        );
    }

    #[test]
    fn a_catalog_of_another_shape_is_refused_not_read_as_empty() {
        for catalog in [
            r#"[]"#,
            r#"{"tools": {}}"#,
            r#"{"integrations": 1}"#,
            r#"{"tools": [1]}"#,
        ] {
            let files = [(
                "generated/catalog.json".to_owned(),
                catalog.as_bytes().to_vec(),
            )];
            let error = Tree::from_files(files).unwrap_err();
            assert!(
                error.to_string().starts_with("generated/catalog.json: "),
                "{error}"
            );
        }
    }

    #[test]
    fn a_broken_file_is_named() {
        let error =
            Tree::from_files([("generated/catalog.json".to_owned(), b"{".to_vec())]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("generated/catalog.json: not valid JSON"),
            "{error}"
        );
    }
}
