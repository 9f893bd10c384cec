//! Every file in `tests/invalid/` is a definition with one deliberate mistake. Its first line says what
//! the compiler must report: `# expect: E0101 line 12` (the code, and the line of the mistake). The
//! rendered diagnostics are snapshot-tested, so a change in wording or position shows in review.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::path::{Path, PathBuf};

use switchboard_compiler::emit::Templates;
use switchboard_compiler::{compile, definition_files};

fn invalid_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid")
}

fn templates() -> Templates {
    Templates {
        integration_doc: String::new(),
    }
}

/// The workspace's unified models, which unified maps are checked against.
fn unified_models() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    switchboard_compiler::unified_model_files(&root)
        .expect("integrations/unified")
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
            (name, std::fs::read(&p).expect("readable"))
        })
        .collect()
}

/// Parses `# expect: CODE line N` from the first line.
fn expectation(text: &str) -> Option<(String, u32)> {
    let first = text.lines().next()?;
    let rest = first.strip_prefix("# expect: ")?;
    let mut words = rest.split_whitespace();
    let code = words.next()?.to_owned();
    (words.next()? == "line").then_some(())?;
    let line = words.next()?.parse().ok()?;
    Some((code, line))
}

#[test]
fn every_invalid_definition_reports_its_mistake_at_its_line() {
    let files = definition_files(&invalid_dir()).expect("tests/invalid exists");
    assert!(
        files.len() >= 30,
        "expected at least 30 invalid definitions, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let bytes = std::fs::read(&path).expect("readable");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let Some((code, line)) = expectation(&text) else {
            failures.push(format!(
                "{stem}: first line must be `# expect: CODE line N`"
            ));
            continue;
        };
        let name = format!("tests/invalid/{stem}.yaml");
        let mut inputs = unified_models();
        inputs.push((name.clone(), bytes));
        let compiled = compile(inputs, &templates(), false).expect("no emit");
        let rendered: Vec<String> = compiled
            .diagnostics
            .iter()
            .map(|d| d.render(compiled.source_text(&d.file), false))
            .collect();
        let rendered = rendered.join("\n");
        if code.starts_with('E') && !compiled.has_errors() {
            failures.push(format!("{stem}: expected an error, got none"));
        }
        let hit = compiled
            .diagnostics
            .iter()
            .any(|d| d.code.id == code && d.span.line == line && d.file == name);
        if !hit {
            failures.push(format!(
                "{stem}: expected {code} at line {line}, got:\n{rendered}"
            ));
        }
        for d in &compiled.diagnostics {
            if !rendered.contains(&format!("{}:{}:{}", d.file, d.span.line, d.span.column)) {
                failures.push(format!(
                    "{stem}: rendering lacks file:line:col for {}",
                    d.code.id
                ));
            }
        }
        insta::with_settings!({snapshot_path => "snapshots/invalid", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(stem, rendered);
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_code_has_an_invalid_definition_showing_it() {
    let files = definition_files(&invalid_dir()).expect("tests/invalid exists");
    let shown: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter_map(|b| expectation(&String::from_utf8_lossy(&b)).map(|(c, _)| c))
        .collect();
    let missing: Vec<&str> = switchboard_compiler::codes::ALL
        .iter()
        .map(|c| c.id)
        // Codes only reachable with bytes or sizes a text fixture cannot hold are covered in hostile.rs.
        .filter(|id| !["E0007", "E0008"].contains(id))
        .filter(|id| !shown.iter().any(|s| s == id))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an invalid definition: {missing:?}"
    );
}

#[test]
fn every_code_is_explained_in_the_diagnostics_page() {
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md"),
    )
    .expect("docs/diagnostics.md exists");
    for code in switchboard_compiler::codes::ALL {
        assert!(
            page.contains(&format!("## {}", code.id)),
            "docs/diagnostics.md has no section `## {}`",
            code.id
        );
    }
}
