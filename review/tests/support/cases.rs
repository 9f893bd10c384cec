//! The review cases: a fixture workspace and, per case, the edits that make its "after".
//!
//! Shared by the review crate's snapshot suite and `cargo xtask diff`'s end-to-end test.

#![allow(dead_code)] // Each including test uses its part.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Change codes the report must contain.
    pub expect: Vec<String>,
    /// Whether `--deny-breaking` refuses the change.
    pub deny: bool,
    pub edits: Vec<Edit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// The file edited, relative to the fixture; the integration when absent.
    #[serde(default)]
    pub file: Option<String>,
    /// Text found once in the file, at any indentation when it spans lines.
    pub find: String,
    /// Its replacement, indented as the found text was.
    pub replace: String,
}

pub fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../review/tests")
}

/// The fixture's files as `(workspace-relative name, text)`.
pub fn fixture() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let root = here().join("fixture");
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files.sort();
    files
}

/// Replaces `find` in `text`: a one-line text anywhere, a block at the start of lines at the one
/// indentation where it occurs, with `replace` indented alike. Exactly one occurrence is allowed.
pub fn apply(text: &str, find: &str, replace: &str, case: &str) -> String {
    if !find.trim_end().contains('\n') {
        assert_eq!(
            text.matches(find).count(),
            1,
            "{case}: `{find}` must occur exactly once"
        );
        return text.replacen(find, replace, 1);
    }
    let indent = |block: &str, by: usize| -> String {
        block
            .split_inclusive('\n')
            .map(|line| {
                if line.trim().is_empty() {
                    line.to_owned()
                } else {
                    format!("{}{line}", " ".repeat(by))
                }
            })
            .collect()
    };
    let mut found = Vec::new();
    for by in 0..40 {
        let block = indent(find, by);
        for (at, _) in text.match_indices(&block) {
            if at == 0 || text.as_bytes()[at - 1] == b'\n' {
                found.push((at, block.len(), by));
            }
        }
    }
    assert_eq!(
        found.len(),
        1,
        "{case}: this block must occur exactly once:\n{find}"
    );
    let (at, len, by) = found[0];
    format!(
        "{}{}{}",
        &text[..at],
        indent(replace, by),
        &text[at + len..]
    )
}

pub fn cases() -> Vec<(String, Case)> {
    let mut cases: Vec<(String, Case)> = std::fs::read_dir(here().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            let case = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, case)
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

impl Case {
    /// The fixture's files with this case's edits applied.
    pub fn apply(&self, mut files: Vec<(String, String)>, name: &str) -> Vec<(String, String)> {
        for edit in &self.edits {
            let file = edit.file.as_deref().unwrap_or("integrations/acme.yaml");
            let entry = files
                .iter_mut()
                .find(|(n, _)| n == file)
                .unwrap_or_else(|| panic!("{name}: no fixture file {file}"));
            entry.1 = apply(&entry.1, &edit.find, &edit.replace, name);
        }
        files
    }
}
