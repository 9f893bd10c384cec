//! The Switchboard compiler: integration YAML → checked model → IR → generated Rust, JSON Schemas and docs.
//!
//! Passes, each a module with one entry point: [`load`] → [`check`] → [`lower`] → [`emit`];
//! [`freshness`] compares emitted files with the tree on disk and writes them. [`compile`] runs them all.

pub mod check;
pub mod codes;
pub mod diagnostic;
pub mod emit;
pub mod freshness;
pub mod ir;
pub mod load;
pub mod lower;
pub mod mapping;
pub mod model;
pub mod naming;
pub mod parallel;
pub mod span;

use std::path::{Path, PathBuf};

use check::Unit;
use diagnostic::Diagnostic;
use emit::{EmitError, GeneratedFile, Templates};
use load::SourceFile;

/// Where definitions live, relative to the workspace root.
pub const INTEGRATIONS_DIR: &str = "integrations";
/// The docs template, relative to the workspace root.
pub const INTEGRATION_DOC_TEMPLATE: &str = "templates/integration.md.j2";

/// The result of compiling a set of definitions.
#[derive(Debug)]
pub struct Compiled {
    /// Every finding, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read, for rendering diagnostics.
    pub sources: Vec<SourceFile>,
    /// The generated files, when there was no error.
    pub files: Option<Vec<GeneratedFile>>,
}

impl Compiled {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The text of a source file, for rendering its diagnostics.
    pub fn source_text(&self, file: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|s| s.name == file)
            .and_then(|s| s.text.as_deref())
    }
}

/// Loads and checks definitions given as `(name, bytes)`; emits files only if there is no error.
pub fn compile(
    inputs: Vec<(String, Vec<u8>)>,
    templates: &Templates,
    emit_files: bool,
) -> Result<Compiled, EmitError> {
    let mut diagnostics = Vec::new();
    let mut sources = Vec::new();
    let mut units = Vec::new();
    let mut model_units = Vec::new();
    let (model_inputs, inputs): (Vec<_>, Vec<_>) = inputs
        .into_iter()
        .partition(|(name, _)| is_unified_model_path(name));
    let loaded = parallel::map(inputs, |(name, bytes)| load::load_bytes(&name, bytes));
    for (source, result) in loaded {
        match result {
            Ok(def) => units.push(Unit { source, def }),
            Err(d) => {
                if let Some(text) = &source.text {
                    diagnostics.extend(load::further_errors::<model::Integration>(
                        &source.name,
                        text,
                        &d,
                    ));
                }
                diagnostics.push(*d);
                sources.push(source);
            }
        }
    }
    for (name, bytes) in model_inputs {
        match load::load_bytes_as::<model::UnifiedModel>(&name, bytes) {
            (source, Ok(model)) => model_units.push(check::ModelUnit { source, model }),
            (source, Err(d)) => {
                if let Some(text) = &source.text {
                    diagnostics.extend(load::further_errors::<model::UnifiedModel>(
                        &source.name,
                        text,
                        &d,
                    ));
                }
                diagnostics.push(*d);
                sources.push(source);
            }
        }
    }
    diagnostics.extend(check::check_models(&model_units));
    diagnostics.extend(check::check_unified_maps(&units, &model_units));
    diagnostics.extend(check::check(&units));
    diagnostics.sort_by(|a, b| {
        (&a.file, a.span.line, a.span.column).cmp(&(&b.file, b.span.line, b.span.column))
    });
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    let files = if failed || !emit_files {
        None
    } else {
        let mut catalog = lower::lower(&units);
        catalog.models = lower::lower_models(&model_units);
        lower::link_unified_tools(&mut catalog);
        Some(emit::emit(&catalog, templates)?)
    };
    sources.extend(units.into_iter().map(|u| u.source));
    sources.extend(model_units.into_iter().map(|u| u.source));
    Ok(Compiled {
        diagnostics,
        sources,
        files,
    })
}

/// Errors reading the workspace.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// What was being read.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// Emitting failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// Lists `*.yaml` / `*.yml` files directly in `dir`, sorted.
pub fn definition_files(dir: &Path) -> Result<Vec<PathBuf>, WorkspaceError> {
    let io = |source| WorkspaceError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Reads the docs template from the workspace.
pub fn templates(root: &Path) -> Result<Templates, WorkspaceError> {
    let path = root.join(INTEGRATION_DOC_TEMPLATE);
    let integration_doc =
        std::fs::read_to_string(&path).map_err(|source| WorkspaceError::Io { path, source })?;
    Ok(Templates { integration_doc })
}

/// Compiles the given definition files; names in diagnostics are the paths relative to `root` when possible.
pub fn compile_paths(
    root: &Path,
    paths: &[PathBuf],
    emit_files: bool,
) -> Result<Compiled, WorkspaceError> {
    let mut inputs = Vec::new();
    let mut unreadable = Vec::new();
    // Unified maps are checked against the workspace's unified models, whichever files were named.
    let mut paths = paths.to_vec();
    let named: Vec<Option<PathBuf>> = paths.iter().map(|p| p.canonicalize().ok()).collect();
    for model in unified_model_files(root)? {
        if !named.contains(&model.canonicalize().ok()) {
            paths.push(model);
        }
    }
    for path in &paths {
        let name = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        match read_capped(path) {
            Ok(bytes) => inputs.push((name, bytes)),
            Err(d) => unreadable.push(Diagnostic { file: name, ..*d }),
        }
    }
    let templates = templates(root)?;
    let mut compiled = compile(inputs, &templates, emit_files && unreadable.is_empty())?;
    compiled.diagnostics.extend(unreadable);
    Ok(compiled)
}

fn read_capped(path: &Path) -> Result<Vec<u8>, Box<Diagnostic>> {
    let (_, result) = load::load_file_bytes(path);
    result
}

/// Where unified models live, below the integrations folder: `unified/<category>/<model>.yaml`.
pub const UNIFIED_DIR: &str = "unified";

/// Whether a definition path names a unified model (`…/unified/<category>/<model>.yaml`).
pub fn is_unified_model_path(name: &str) -> bool {
    let path = Path::new(name);
    path.parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .is_some_and(|d| d == UNIFIED_DIR)
}

/// Compiles every definition in `<root>/integrations/` and every unified model below
/// `<root>/integrations/unified/`.
pub fn compile_workspace(root: &Path) -> Result<Compiled, WorkspaceError> {
    let paths = definition_files(&root.join(INTEGRATIONS_DIR))?;
    compile_paths(root, &paths, true)
}

/// `<root>/integrations/unified/<category>/*.yaml`, sorted.
pub fn unified_model_files(root: &Path) -> Result<Vec<PathBuf>, WorkspaceError> {
    let unified = root.join(INTEGRATIONS_DIR).join(UNIFIED_DIR);
    if !unified.is_dir() {
        return Ok(Vec::new());
    }
    let io = |source| WorkspaceError::Io {
        path: unified.clone(),
        source,
    };
    let mut categories: Vec<PathBuf> = std::fs::read_dir(&unified)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    categories.sort();
    let mut files = Vec::new();
    for category in categories {
        files.extend(definition_files(&category)?);
    }
    Ok(files)
}
