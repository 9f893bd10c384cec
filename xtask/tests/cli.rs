//! `cargo xtask check` and `new` as an author runs them: exit codes, `file:line:col`, JSON lines.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("xtask runs")
}

fn invalid_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("compiler/tests/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// `# expect: E0101 line 12` → ("E0101", 12).
fn expectation(path: &Path) -> (String, u32) {
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap();
    let mut words = first.trim_start_matches("# expect: ").split_whitespace();
    let code = words.next().unwrap().to_owned();
    words.next();
    (code, words.next().unwrap().parse().unwrap())
}

#[test]
fn every_invalid_definition_fails_check_at_its_line() {
    let files = invalid_files();
    assert!(files.len() >= 30);
    for path in files {
        let (code, line) = expectation(&path);
        let rel = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let out = xtask(&["check", "--deny-warnings", &rel]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{rel}: expected exit 1\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("[{code}]")),
            "{rel}: no {code}\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("{rel}:{line}:")),
            "{rel}: no {rel}:{line}:col\n{stderr}"
        );
    }
}

#[test]
fn json_format_prints_one_object_per_diagnostic() {
    let path = "compiler/tests/invalid/http_verb_typo_gte.yaml";
    let out = xtask(&["check", "--format", "json", path]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(!lines.is_empty());
    for d in &lines {
        for key in ["code", "severity", "message", "file", "line", "column"] {
            assert!(d.get(key).is_some(), "missing {key} in {d}");
        }
    }
    assert_eq!(lines[0]["code"], "E0103");
    assert_eq!(lines[0]["file"], path);
}

#[test]
fn warnings_pass_unless_denied() {
    let path = "compiler/tests/invalid/undocumented_method.yaml";
    assert_eq!(xtask(&["check", path]).status.code(), Some(0));
    assert_eq!(
        xtask(&["check", "--deny-warnings", path]).status.code(),
        Some(1)
    );
}

#[test]
fn shipped_definitions_are_clean_and_the_scaffold_checks() {
    let out = xtask(&["check", "--deny-warnings"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = format!("scaffold_test_{}", std::process::id());
    let created = root().join("integrations").join(format!("{name}.yaml"));
    let out = xtask(&["new", &name]);
    // Move the scaffold out of integrations/ at once so concurrent tests never see it there.
    let dir = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let moved = dir.join(format!("{name}.yaml"));
    let _ = std::fs::rename(&created, &moved);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&moved).unwrap();
    assert!(text.starts_with(
        "# yaml-language-server: $schema=../generated/schemas/integration.schema.json"
    ));
    let out = xtask(&["check", "--deny-warnings", moved.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(xtask(&["new", "Not-Snake"]).status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}
