//! Every shipped definition in `integrations/` loads into the model without a diagnostic.

use std::path::{Path, PathBuf};

use switchboard_compiler::load::load_file;

fn integrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../integrations")
}

fn definition_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(integrations_dir())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", integrations_dir().display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_integration_loads() {
    let files = definition_files();
    let mut failures = Vec::new();
    for path in &files {
        let (src, result) = load_file(path);
        match result {
            Ok(integration) => {
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default();
                assert_eq!(
                    integration.name.value,
                    stem,
                    "{}: `name` must match the file name",
                    path.display()
                );
            }
            Err(d) => failures.push(d.render(src.text.as_deref(), false)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_crm_definitions_are_present() {
    let names: Vec<String> = definition_files()
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect();
    for expected in ["hubspot", "salesforce"] {
        assert!(
            names.iter().any(|n| n == expected),
            "integrations/{expected}.yaml is missing (found {names:?})"
        );
    }
}

#[test]
fn a_misspelled_key_in_a_shipped_definition_is_rejected() {
    // Guards the test above: the loader must refuse keys the format does not have, even in a real file.
    let path = integrations_dir().join("hubspot.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let broken = text.replacen("\nbase_url:", "\nbase_uri:", 1);
    assert_ne!(
        broken, text,
        "hubspot.yaml has no top-level `base_url:` line"
    );
    let (_, result) = switchboard_compiler::load::load_bytes("hubspot.yaml", broken.into_bytes());
    match result {
        Ok(_) => panic!("a definition with `base_uri` loaded"),
        Err(d) => assert!(d.message.contains("base_uri"), "{}", d.message),
    }
}
