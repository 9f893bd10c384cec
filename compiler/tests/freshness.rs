//! `gen --check` semantics on a scratch copy of the workspace: an edited description makes exactly the
//! affected files stale; a deleted integration leaves orphans that are named; `write` repairs both.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::path::{Path, PathBuf};

use switchboard_compiler::freshness::{self, Problem};
use switchboard_compiler::{compile_workspace, emit::GeneratedFile};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn scratch(tag: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::temp_dir().join(format!(
        "switchboard-freshness-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["integrations", "templates", "generated"] {
        copy_dir(&root.join(sub), &dir.join(sub));
    }
    dir
}

fn generate(root: &Path) -> Vec<GeneratedFile> {
    compile_workspace(root)
        .expect("compiles")
        .files
        .expect("no errors")
}

#[test]
fn an_edited_description_makes_its_files_stale() {
    let root = scratch("edit");
    assert_eq!(freshness::compare(&root, &generate(&root)).unwrap(), vec![]);
    let path = root.join("integrations/hubspot.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let needle = "Lists the contacts (people)";
    assert!(text.contains(needle), "fixture text moved; update the test");
    std::fs::write(&path, text.replacen(needle, "Lists every contact", 1)).unwrap();
    let problems = freshness::compare(&root, &generate(&root)).unwrap();
    assert!(problems.contains(&Problem::Stale(
        "generated/schemas/hubspot/list_all_hub_spot_contacts.json".into()
    )));
    assert!(
        problems
            .iter()
            .all(|p| matches!(p, Problem::Stale(f) if f.contains("hubspot"))),
        "{problems:?}"
    );
    freshness::write(&root, &generate(&root)).unwrap();
    assert_eq!(freshness::compare(&root, &generate(&root)).unwrap(), vec![]);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_deleted_integration_leaves_named_orphans() {
    let root = scratch("delete");
    std::fs::remove_file(root.join("integrations/salesforce.yaml")).unwrap();
    let problems = freshness::compare(&root, &generate(&root)).unwrap();
    for orphan in [
        "generated/src/salesforce.rs",
        "generated/docs/salesforce.md",
        "generated/schemas/salesforce/list_all_salesforce_contacts.json",
    ] {
        assert!(
            problems.contains(&Problem::Orphaned(orphan.into())),
            "{orphan} not named in {problems:?}"
        );
    }
    assert!(problems.contains(&Problem::Stale("generated/catalog.json".into())));
    let report = freshness::write(&root, &generate(&root)).unwrap();
    assert!(
        report
            .removed
            .iter()
            .any(|p| p == "generated/src/salesforce.rs")
    );
    assert!(
        !root.join("generated/schemas/salesforce").exists(),
        "empty folder removed"
    );
    assert_eq!(freshness::compare(&root, &generate(&root)).unwrap(), vec![]);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn output_is_deterministic() {
    let root = scratch("determinism");
    assert_eq!(generate(&root), generate(&root));
    std::fs::remove_dir_all(&root).ok();
}
