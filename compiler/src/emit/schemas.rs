//! `generated/schemas/`: the definition format's own schema and one file per tool.

use schemars::generate::SchemaSettings;
use serde_json::json;

use super::GeneratedFile;
use super::json::document;
use crate::ir::{IntegrationIr, ModelIr};
use crate::model::{Integration, UnifiedModel};

/// `generated/schemas/integration.schema.json`: JSON Schema 2020-12 of the YAML format, from the model types.
pub fn definition_schema() -> GeneratedFile {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<Integration>();
    let mut value = schema.to_value();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "$id".into(),
            json!("https://switchboard.dev/schemas/integration.schema.json"),
        );
    }
    GeneratedFile {
        path: "generated/schemas/integration.schema.json".into(),
        contents: document(value, "compiler/src/model"),
    }
}

/// `generated/schemas/unified_model.schema.json`: JSON Schema 2020-12 of the unified-model YAML format.
pub fn unified_model_format_schema() -> GeneratedFile {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let value = generator.into_root_schema_for::<UnifiedModel>().to_value();
    GeneratedFile {
        path: "generated/schemas/unified_model.schema.json".into(),
        contents: document(value, "compiler/src/model/unified.rs"),
    }
}

/// `generated/schemas/unified/<category>/<model>.json`: the canonical record schema.
pub fn model_schema(model: &ModelIr) -> GeneratedFile {
    GeneratedFile {
        path: format!(
            "generated/schemas/unified/{}/{}.json",
            model.category, model.name
        ),
        contents: document(
            model.schema.clone(),
            &format!(
                "integrations/unified/{}/{}.yaml",
                model.category, model.name
            ),
        ),
    }
}

/// `generated/schemas/unified/<category>/<model>/<tool>.json`: each unified tool's schemas, shared by
/// every integration that maps the model.
pub fn model_tool_schemas(model: &ModelIr) -> Vec<GeneratedFile> {
    let source = format!(
        "integrations/unified/{}/{}.yaml",
        model.category, model.name
    );
    model
        .tools
        .iter()
        .map(|tool| {
            tool_file(
                crate::lower::unified_tool_schema_path(model, &tool.name),
                [&tool.name, &tool.description],
                [&tool.input_schema, &tool.output_schema],
                &source,
            )
        })
        .collect()
}

/// One tool's `{name, description, inputSchema, outputSchema}` file.
fn tool_file(
    path: String,
    [name, description]: [&String; 2],
    [input, output]: [&serde_json::Value; 2],
    source: &str,
) -> GeneratedFile {
    GeneratedFile {
        path,
        contents: document(
            json!({
                "name": name,
                "description": description,
                "inputSchema": input,
                "outputSchema": output,
            }),
            source,
        ),
    }
}

/// `generated/schemas/<integration>/<tool>.json` for every proxy tool (unified tools share their
/// model's files).
pub fn tool_schemas(integration: &IntegrationIr) -> Vec<GeneratedFile> {
    let source = format!("integrations/{}.yaml", integration.name);
    integration
        .tools
        .iter()
        .filter(|tool| tool.unified.is_none())
        .map(|tool| {
            tool_file(
                format!("generated/schemas/{}/{}.json", integration.name, tool.name),
                [&tool.name, &tool.description],
                [&tool.input_schema, &tool.output_schema],
                &source,
            )
        })
        .collect()
}
