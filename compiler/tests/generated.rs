//! The committed `generated/` tree: fresh, valid, and holding what agents and reviewers rely on.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::path::{Path, PathBuf};

use serde_json::Value;
use switchboard_compiler::{compile_workspace, definition_files, freshness};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read_json(rel: &str) -> Value {
    let text = std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The same check as `cargo xtask gen --check`, so a stale tree fails `cargo test` too.
#[test]
fn generated_tree_is_fresh() {
    let compiled = compile_workspace(&root()).expect("workspace compiles");
    let rendered: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(compiled.source_text(&d.file), false))
        .collect();
    let files = compiled
        .files
        .as_ref()
        .unwrap_or_else(|| panic!("errors:\n{}", rendered.join("\n")));
    let problems = freshness::compare(&root(), files).expect("comparable");
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "generated/ is out of date; run `cargo xtask gen` and commit:\n{}",
        listed.join("\n")
    );
}

#[test]
fn definition_schema_is_valid_2020_12_and_every_integration_validates() {
    let schema = read_json("generated/schemas/integration.schema.json");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::draft202012::meta::validate(&schema).expect("a valid 2020-12 schema");
    let validator = jsonschema::draft202012::new(&schema).expect("compiles");
    let files = definition_files(&root().join("integrations")).expect("integrations/");
    assert!(!files.is_empty());
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(
            text.starts_with(
                "# yaml-language-server: $schema=../generated/schemas/integration.schema.json"
            ),
            "{} lacks the schema modeline",
            path.display()
        );
        let instance: Value = serde_saphyr::from_str(&text).expect("YAML");
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{}: {}",
            path.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn catalog_holds_the_expected_tools() {
    let catalog = read_json("generated/catalog.json");
    let names: Vec<&str> = catalog["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for expected in [
        "list_all_hub_spot_contacts",
        "get_single_hub_spot_contact_by_id",
        "create_a_hub_spot_contact",
        "update_a_hub_spot_contact_by_id",
        "delete_a_hub_spot_contact_by_id",
        "list_all_hub_spot_companies",
        "list_all_hub_spot_deals",
        "list_all_hub_spot_owners",
        "list_all_salesforce_contacts",
        "get_single_salesforce_contact_by_id",
        "create_a_salesforce_contact",
        "list_all_salesforce_accounts",
        "list_all_salesforce_opportunities",
        "list_all_salesforce_users",
    ] {
        assert!(names.contains(&expected), "catalog lacks {expected}");
    }
    // Unified tools share their name across the integrations that map the model; within one
    // integration every name is unique.
    let tools = catalog["tools"].as_array().expect("tools");
    let mut keys: Vec<(&str, &str)> = tools
        .iter()
        .map(|t| {
            (
                t["integration"].as_str().unwrap(),
                t["name"].as_str().unwrap(),
            )
        })
        .collect();
    let count = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), count, "tool names are unique per integration");
    for integration in ["hubspot", "salesforce"] {
        for name in [
            "list_all_crm_contacts",
            "get_single_crm_contact_by_id",
            "create_a_crm_contact",
            "update_a_crm_contact_by_id",
            "delete_a_crm_contact_by_id",
        ] {
            let tool = tools
                .iter()
                .find(|t| t["integration"] == integration && t["name"] == name)
                .unwrap_or_else(|| panic!("{integration} lacks {name}"));
            assert_eq!(tool["tool_kind"], "unified", "{name}");
            assert_eq!(tool["model"], "crm.contact", "{name}");
            // Routed to the integration's own proxy tool of the same kind.
            let via = tool["via"].as_str().unwrap();
            let proxy = tools
                .iter()
                .find(|t| t["integration"] == integration && t["name"] == via)
                .unwrap_or_else(|| panic!("{name} is routed to a missing tool {via}"));
            assert_eq!(proxy["tool_kind"], "proxy");
            assert_eq!(proxy["kind"], tool["kind"]);
        }
    }
}

/// Walks a schema and collects the JSON Pointers of properties without a description.
fn undescribed(schema: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let here = format!("{at}/properties/{name}");
            if prop
                .get("description")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                out.push(here.clone());
            }
            undescribed(prop, &here, out);
        }
    }
    if let Some(items) = schema.get("items") {
        undescribed(items, &format!("{at}/items"), out);
    }
}

#[test]
fn tool_schemas_are_described_and_annotated() {
    let catalog = read_json("generated/catalog.json");
    let tools = catalog["tools"].as_array().expect("tools");
    assert!(tools.len() >= 30);
    for tool in tools {
        let name = tool["name"].as_str().expect("name");
        let integration = tool["integration"].as_str().expect("integration");
        let file = match tool["model"].as_str() {
            // Unified tools share one schema file per model.
            Some(model) => read_json(&format!(
                "generated/schemas/unified/{}/{name}.json",
                model.replace('.', "/")
            )),
            None => read_json(&format!("generated/schemas/{integration}/{name}.json")),
        };
        let input = &file["inputSchema"];
        assert_eq!(input["type"], "object", "{name}");
        assert!(
            file["description"].as_str().is_some_and(|d| d.len() > 20),
            "{name} description"
        );
        let mut missing = Vec::new();
        undescribed(input, "", &mut missing);
        assert!(
            missing.is_empty(),
            "{name}: input properties without description: {missing:?}"
        );
        let kind = tool["kind"].as_str().expect("kind");
        if kind == "list" {
            for injected in ["limit", "next_cursor"] {
                let prop = &input["properties"][injected];
                assert!(prop.is_object(), "{name} lacks `{injected}`");
                assert!(
                    prop["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{name}.{injected}"
                );
            }
            assert!(
                file["outputSchema"]["properties"]["next_cursor"].is_object(),
                "{name} output"
            );
        }
        let annotations = &tool["annotations"];
        if matches!(kind, "list" | "get" | "search") {
            assert_eq!(annotations["readOnlyHint"], true, "{name}");
        }
        if kind == "delete" {
            assert_eq!(annotations["destructiveHint"], true, "{name}");
            assert_eq!(annotations["readOnlyHint"], false, "{name}");
        }
    }
}

#[test]
fn unified_models_validate_and_their_schemas_are_valid() {
    let format = read_json("generated/schemas/unified_model.schema.json");
    let validator = jsonschema::draft202012::new(&format).expect("compiles");
    let dir = root().join("integrations/unified/crm");
    let models = definition_files(&dir).expect("integrations/unified/crm/");
    let names: Vec<String> = models
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_owned))
        .collect();
    assert_eq!(names, ["company", "contact", "deal", "owner"]);
    for path in models {
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(
            text.starts_with("# yaml-language-server: $schema=../../../generated/schemas/unified_model.schema.json"),
            "{} lacks the schema modeline",
            path.display()
        );
        let instance: Value = serde_saphyr::from_str(&text).expect("YAML");
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{}: {}",
            path.display(),
            errors.join("\n")
        );
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("stem");
        let schema = read_json(&format!("generated/schemas/unified/crm/{stem}.json"));
        jsonschema::draft202012::meta::validate(&schema).expect("a valid 2020-12 schema");
    }
    let contact = read_json("generated/schemas/unified/crm/contact.json");
    for pii in [
        "first_name",
        "last_name",
        "email_addresses",
        "phone_numbers",
        "addresses",
    ] {
        assert_eq!(
            contact["properties"][pii]["x-pii"], true,
            "{pii} is personal data"
        );
    }
    assert!(contact["properties"]["id"].get("x-pii").is_none());
}

/// Every place in an input schema where a keyword sits that client-side model builders stumble on, and
/// every property name some client refuses.
fn client_hazards(schema: &Value, at: &str, out: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    for keyword in ["format", "$ref", "$defs", "oneOf", "anyOf", "allOf", "not"] {
        if obj.contains_key(keyword) {
            out.push(format!("{at}/{keyword}"));
        }
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let python_identifier = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && name.len() <= 64;
            if !python_identifier {
                out.push(format!("{at}/properties/{name} (name)"));
            }
            client_hazards(prop, &format!("{at}/properties/{name}"), out);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = obj.get(key) {
            client_hazards(inner, &format!("{at}/{key}"), out);
        }
    }
}

/// Every tool's input schema is one flat object every client can build a model from: no `format`
/// (pydantic needs extra packages for some), no `$ref` or combinators, plain identifiers as property
/// names. Output schemas keep `format`.
#[test]
fn input_schemas_are_safe_for_client_side_models() {
    let catalog = read_json("generated/catalog.json");
    let tools = catalog["tools"].as_array().expect("tools");
    let mut problems = Vec::new();
    let mut output_formats = 0;
    for tool in tools {
        let name = tool["name"].as_str().expect("name");
        let integration = tool["integration"].as_str().expect("integration");
        let file = match tool["model"].as_str() {
            Some(model) => read_json(&format!(
                "generated/schemas/unified/{}/{name}.json",
                model.replace('.', "/")
            )),
            None => read_json(&format!("generated/schemas/{integration}/{name}.json")),
        };
        let input = &file["inputSchema"];
        assert_eq!(input["type"], "object", "{name}");
        assert_eq!(input["additionalProperties"], false, "{name}");
        let mut found = Vec::new();
        client_hazards(input, "", &mut found);
        problems.extend(found.into_iter().map(|p| format!("{name}: {p}")));
        output_formats += file["outputSchema"]
            .to_string()
            .matches("\"format\"")
            .count();
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(output_formats > 0, "output schemas keep `format`");
    // The dropped rule is said in words.
    let create = read_json("generated/schemas/unified/crm/contact/create_a_crm_contact.json");
    let email =
        &create["inputSchema"]["properties"]["email_addresses"]["items"]["properties"]["email"];
    assert!(
        email["description"]
            .as_str()
            .is_some_and(|d| d.contains("An email address.")),
        "{email}"
    );
}

/// Every get, update and delete tool of every integration takes the record's id as `id`, required, and
/// says what the vendor calls it.
#[test]
fn by_id_tools_take_the_record_id_as_id() {
    let catalog = read_json("generated/catalog.json");
    let tools = catalog["tools"].as_array().expect("tools");
    let mut seen = 0;
    for tool in tools {
        let name = tool["name"].as_str().expect("name");
        let kind = tool["kind"].as_str().expect("kind");
        if !matches!(kind, "get" | "update" | "delete") {
            continue;
        }
        assert!(name.ends_with("_by_id"), "{name}");
        let integration = tool["integration"].as_str().expect("integration");
        let file = match tool["model"].as_str() {
            Some(model) => read_json(&format!(
                "generated/schemas/unified/{}/{name}.json",
                model.replace('.', "/")
            )),
            None => read_json(&format!("generated/schemas/{integration}/{name}.json")),
        };
        let input = &file["inputSchema"];
        // The vendor's own type: a string, or an integer (Pipedrive), which a string of digits also
        // passes (arguments are read forgivingly), so a unified record's string id works everywhere.
        assert!(
            matches!(
                input["properties"]["id"]["type"].as_str(),
                Some("string" | "integer")
            ),
            "{name}: {}",
            input["properties"]["id"]
        );
        assert!(
            input["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|n| n == "id")),
            "{name}: `id` is required"
        );
        seen += 1;
    }
    assert!(seen >= 20, "{seen} by-id tools");
    // Where the definition says no more than "The contact's id.", it is not repeated.
    let delete = read_json("generated/schemas/hubspot/delete_a_hub_spot_contact_by_id.json");
    assert_eq!(
        delete["inputSchema"]["properties"]["id"]["description"],
        "The contact's id (HubSpot `contactId`)."
    );
    let hubspot = read_json("generated/schemas/hubspot/get_single_hub_spot_contact_by_id.json");
    let properties = hubspot["inputSchema"]["properties"]
        .as_object()
        .expect("properties");
    assert!(!properties.contains_key("contactId"));
    assert!(
        properties["id"]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("The contact's id (HubSpot `contactId`).")),
        "{}",
        properties["id"]
    );
}
