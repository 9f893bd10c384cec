//! Shared harness for the fuzz targets: compile one definition and check what must hold for any input.

pub mod tree;

use switchboard_compiler::compile;
use switchboard_compiler::emit::Templates;

/// The real docs template, so emitting renders what `cargo xtask gen` renders.
const INTEGRATION_DOC: &str = include_str!("../../templates/integration.md.j2");

/// Runs `bytes`, as the definition file `name`, through load → check (→ lower → emit when there is no
/// error) and renders every diagnostic. Panics (a finding) when:
///
/// - any pass or the renderer panics, or runs out of time or memory (libFuzzer's limits);
/// - emitting fails for a definition the checks accepted (`EmitError`: unparsable Rust, template error);
/// - files are emitted although there is an error, or not emitted although there is none;
/// - a rendered diagnostic does not carry its code, or a diagnostic points outside its file;
/// - a generated `.json` file is not valid JSON.
pub fn compile_and_render(name: &str, bytes: Vec<u8>) {
    let templates = Templates {
        integration_doc: INTEGRATION_DOC.to_owned(),
    };
    let compiled = match compile(vec![(name.to_owned(), bytes)], &templates, true) {
        Ok(c) => c,
        Err(e) => panic!("emit failed for a definition without errors: {e}"),
    };
    for d in &compiled.diagnostics {
        assert_eq!(d.file, name, "diagnostic for an unknown file: {d:?}");
        let source = compiled.source_text(&d.file);
        if let Some(src) = source {
            assert!(
                d.span.start <= src.len(),
                "span starts past the end of the file ({} bytes): {d:?}",
                src.len()
            );
        }
        for styled in [false, true] {
            let rendered = d.render(source, styled);
            assert!(
                rendered.contains(d.code.id),
                "rendered diagnostic lacks its code {}:\n{rendered}",
                d.code.id
            );
        }
        // Rendering without the source must work too (an unreadable file).
        let _ = d.render(None, false);
        let _ = d.to_json().to_string();
    }
    match &compiled.files {
        Some(files) => {
            assert!(
                !compiled.has_errors(),
                "files emitted despite errors: {:?}",
                compiled.diagnostics
            );
            for f in files {
                if f.path.ends_with(".json")
                    && let Err(e) = serde_json::from_str::<serde_json::Value>(&f.contents)
                {
                    panic!("{} is not valid JSON: {e}", f.path);
                }
            }
        }
        None => assert!(
            compiled.has_errors(),
            "no files emitted, but no error either: {:?}",
            compiled.diagnostics
        ),
    }
}
