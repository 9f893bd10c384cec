//! `generated/docs/<integration>.md`, rendered with minijinja from `templates/`.

use minijinja::{Environment, context};
use serde_json::{Value, json};

use super::{EmitError, GENERATED_MARKER, GeneratedFile, Templates};
use crate::ir::IntegrationIr;

const TEMPLATE: &str = "integration.md.j2";

/// Renders one integration's page.
pub fn integration_doc(
    i: &IntegrationIr,
    templates: &Templates,
) -> Result<GeneratedFile, EmitError> {
    let mut env = Environment::new();
    let err = |source| EmitError::Template {
        name: TEMPLATE.to_owned(),
        source,
    };
    env.add_template(TEMPLATE, &templates.integration_doc)
        .map_err(err)?;
    let tools: Vec<Value> = i
        .tools
        .iter()
        .map(|t| {
            let params: Vec<Value> = t
                .input_schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .map(|(name, s)| {
                            json!({
                                "name": name,
                                "type": s.get("type").map(type_name).unwrap_or_default(),
                                "required": t.input_schema.get("required")
                                    .and_then(Value::as_array)
                                    .is_some_and(|r| r.iter().any(|x| x == name)),
                                "description": s.get("description").and_then(Value::as_str).unwrap_or_default().replace('\n', " "),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "http": t.http,
                "path": t.path,
                "kind": t.kind.as_str(),
                "scopes": t.scopes,
                "tags": t.tags,
                "read_only": t.annotations.read_only,
                "destructive": t.annotations.destructive,
                "params": params,
            })
        })
        .collect();
    let auth: Vec<&str> = [
        i.auth.oauth2.as_ref().map(|_| "OAuth 2.0"),
        i.auth.bearer.then_some("bearer token"),
        i.auth.api_key.as_ref().map(|_| "API key"),
        i.auth.basic.then_some("HTTP Basic"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let rendered = env
        .get_template(TEMPLATE)
        .and_then(|t| {
            t.render(context! {
                marker => GENERATED_MARKER,
                source => format!("integrations/{}.yaml", i.name),
                name => i.name.as_str(),
                display_name => i.display_name.as_str(),
                description => i.description.as_str(),
                categories => minijinja::value::Serde(&i.categories),
                docs_url => i.docs_url.as_str(),
                base_url => i.base_url.as_str(),
                auth => minijinja::value::Serde(&auth),
                oauth2_scopes_note => minijinja::value::Serde(i.auth.oauth2.as_ref().map(|o| &o.default_scopes)),
                broader_scopes => minijinja::value::Serde(i.auth.oauth2.as_ref().map(|o| &o.broader_scopes)),
                skipped => minijinja::value::Serde(&i.skipped),
                tools => minijinja::value::Serde(&tools),
            })
        })
        .map_err(err)?;
    let mut contents = rendered.replace("\r\n", "\n");
    if !contents.ends_with('\n') {
        contents.push('\n');
    }
    Ok(GeneratedFile {
        path: format!("generated/docs/{}.md", i.name),
        contents,
    })
}

fn type_name(t: &Value) -> String {
    match t {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => String::new(),
    }
}
