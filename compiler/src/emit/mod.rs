//! Pass 4: emit generated files from the IR. Pure: returns contents; writing is `freshness`'s job.

mod catalog;
mod docs;
mod json;
mod rust;
mod schemas;

use crate::ir::Catalog;

pub use json::GENERATED_MARKER;

/// One generated file: a path relative to the workspace root (`/`-separated) and its full contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Workspace-relative path.
    pub path: String,
    /// Contents, LF line endings, trailing newline.
    pub contents: String,
}

/// Templates the docs emitter renders.
#[derive(Clone, Debug)]
pub struct Templates {
    /// minijinja source of `generated/docs/<integration>.md`.
    pub integration_doc: String,
}

/// What can go wrong while emitting (a broken template, or a bug producing unparsable Rust).
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The docs template failed to parse or render.
    #[error("template {name}: {source}")]
    Template {
        /// Template name.
        name: String,
        /// What minijinja said.
        source: minijinja::Error,
    },
    /// Generated Rust did not parse (a compiler bug).
    #[error("generated Rust for {file} does not parse: {message}")]
    Rust {
        /// File being generated.
        file: String,
        /// syn's message.
        message: String,
    },
}

/// Every generated file for a catalog, sorted by path.
pub fn emit(catalog: &Catalog, templates: &Templates) -> Result<Vec<GeneratedFile>, EmitError> {
    let mut files = vec![
        schemas::definition_schema(),
        schemas::unified_model_format_schema(),
    ];
    files.push(catalog::catalog(catalog));
    files.extend(catalog.models.iter().map(schemas::model_schema));
    files.extend(catalog.models.iter().flat_map(schemas::model_tool_schemas));
    let per_integration =
        crate::parallel::map(catalog.integrations.iter().collect(), |integration| {
            let mut out = schemas::tool_schemas(integration);
            out.push(docs::integration_doc(integration, templates)?);
            out.push(rust::integration_module(integration)?);
            Ok::<_, EmitError>(out)
        });
    for result in per_integration {
        files.extend(result?);
    }
    files.push(rust::lib_module(catalog)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
