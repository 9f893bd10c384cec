//! `cargo xtask diff` as a reviewer's CI runs it: in a git repository, against a base revision read
//! from git, with `--deny-breaking` deciding the exit code.
//!
//! Each review case (`review/tests/cases/`) is played in a scratch repository: the fixture is
//! generated and committed, the case's edits are made in the working tree, and the binary is run.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

#[path = "../../review/tests/support/cases.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch workspace: the review fixture, the docs template, and the marker xtask finds its
/// workspace by, committed on `main` with its generated tree.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        let workspace = Workspace {
            dir: tempfile::tempdir().unwrap(),
        };
        workspace.write(&support::fixture());
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates/integration.md.j2");
        workspace.write(&[
            (
                "templates/integration.md.j2".to_owned(),
                std::fs::read_to_string(template).unwrap(),
            ),
            ("xtask/Cargo.toml".to_owned(), String::new()),
        ]);
        workspace.git(&["init", "--quiet", "--initial-branch=main"]);
        let generated = workspace.xtask(&["gen"]);
        assert!(generated.status.success(), "{}", stderr(&generated));
        workspace.git(&["add", "--all"]);
        workspace.git(&["commit", "--quiet", "--message", "base"]);
        workspace
    }

    fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn write(&self, files: &[(String, String)]) {
        for (name, text) in files {
            let path = self.root().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=Review Test",
                "-c",
                "user.email=review@example.com",
            ])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(self.root())
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs xtask here the way `cargo xtask` would after building it elsewhere: the workspace
    /// comes from the current directory, not from where the binary was compiled.
    fn xtask(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .current_dir(self.root())
            .env_remove("CARGO_MANIFEST_DIR")
            .output()
            .unwrap()
    }

    /// Puts the working tree back to the committed base.
    fn reset(&self) {
        self.git(&["checkout", "--quiet", "--", "."]);
        self.git(&["clean", "--quiet", "-d", "--force"]);
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn deny_breaking_exits_1_on_every_breaking_or_consent_case_and_0_on_safe_ones() {
    let workspace = Workspace::new();
    let cases = support::cases();
    assert!(cases.iter().any(|(_, c)| !c.deny) && cases.iter().any(|(_, c)| c.deny));
    for (name, case) in &cases {
        workspace.reset();
        workspace.write(&case.apply(support::fixture(), name));
        let report = workspace.xtask(&["diff", "HEAD"]);
        assert_eq!(report.status.code(), Some(0), "{name}: {}", stderr(&report));
        let text = stdout(&report);
        assert!(
            text.starts_with("### Generated tools: `HEAD` ("),
            "{name}: {text}"
        );
        let json = workspace.xtask(&["diff", "HEAD", "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let codes: Vec<&str> = json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["code"].as_str())
            .collect();
        for code in &case.expect {
            assert!(
                codes.contains(&code.as_str()),
                "{name}: no {code} in {codes:?}"
            );
        }
        let denied = workspace.xtask(&["diff", "HEAD", "--deny-breaking"]);
        let expected = if case.deny { 1 } else { 0 };
        assert_eq!(
            denied.status.code(),
            Some(expected),
            "{name}: --deny-breaking\n{}",
            stderr(&denied)
        );
        if case.deny {
            assert!(
                stderr(&denied).contains("(--deny-breaking):"),
                "{name}: the refusal says why\n{}",
                stderr(&denied)
            );
        }
    }
}

#[test]
fn the_default_base_is_where_the_branch_left_main_and_stale_generated_files_are_noted() {
    let workspace = Workspace::new();
    workspace.git(&["checkout", "--quiet", "-b", "feature"]);
    let (name, case) = support::cases()
        .into_iter()
        .find(|(name, _)| name == "input_removed")
        .unwrap();
    workspace.write(&case.apply(support::fixture(), &name));
    workspace.git(&["commit", "--quiet", "--all", "--message", "drop owner"]);
    let out = workspace.xtask(&["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("### Generated tools: merge base with `main` ("),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("input `owner` removed"),
        "{}",
        stdout(&out)
    );
    // generated/ was not regenerated on the branch: the report still describes the definitions.
    assert!(
        stderr(&out).contains("note: generated/ is out of date"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_arguments_and_revisions_are_refused_clearly() {
    let workspace = Workspace::new();
    for (args, says) in [
        (
            vec!["diff", "no-such-branch"],
            "`no-such-branch` names no commit",
        ),
        (
            vec!["diff", "--upload-pack=x"],
            "unknown option `--upload-pack=x`",
        ),
        (
            vec!["diff", "--format", "xml"],
            "--format takes `markdown` or `json`",
        ),
        (vec!["diff", "HEAD", "HEAD~1"], "one BASE at most"),
    ] {
        let out = workspace.xtask(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn outside_a_repository_git_says_why() {
    let workspace = Workspace::new();
    std::fs::remove_dir_all(workspace.root().join(".git")).unwrap();
    for args in [vec!["diff"], vec!["diff", "HEAD~1"]] {
        let out = workspace.xtask(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is not in a git repository git can read")
                && stderr(&out).contains("not a git repository"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_double_dash_ends_the_options() {
    let workspace = Workspace::new();
    let out = workspace.xtask(&["diff", "--deny-breaking", "--", "HEAD"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("### Generated tools: `HEAD` ("),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_base_from_before_anything_was_generated_makes_everything_new() {
    let workspace = Workspace::new();
    // A first commit with no generated tree, then the base commit on top of it.
    let empty = workspace
        .git(&[
            "commit-tree",
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
            "-m",
            "empty",
        ])
        .trim()
        .to_owned();
    let out = workspace.xtask(&["diff", &empty, "--deny-breaking"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("new integration Acme with 9 tool(s)"),
        "{}",
        stdout(&out)
    );
}

/// Issue 13's bug: two checkouts sharing one build of xtask. Each must work on its own tree, whether
/// cargo runs the binary (it sets `CARGO_MANIFEST_DIR` to the checkout's xtask) or it is run directly.
#[test]
fn one_build_serves_two_clones_each_on_its_own_tree() {
    let a = Workspace::new();
    let b = Workspace::new();
    // B changes a definition without regenerating.
    let (name, case) = support::cases()
        .into_iter()
        .find(|(name, _)| name == "tool_removed")
        .unwrap();
    b.write(&case.apply(support::fixture(), &name));
    let as_cargo_runs_it = |w: &Workspace, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .current_dir(w.root())
            .env("CARGO_MANIFEST_DIR", w.root().join("xtask"))
            .output()
            .unwrap()
    };
    for run in [
        &as_cargo_runs_it as &dyn Fn(&Workspace, &[&str]) -> Output,
        &|w: &Workspace, args: &[&str]| w.xtask(args),
    ] {
        let fresh = run(&a, &["gen", "--check"]);
        assert_eq!(fresh.status.code(), Some(0), "A: {}", stderr(&fresh));
        let stale = run(&b, &["gen", "--check"]);
        assert_eq!(stale.status.code(), Some(1), "B: {}", stderr(&stale));
        assert!(
            stderr(&stale).contains("export_acme_contacts.json"),
            "{}",
            stderr(&stale)
        );
    }
    // `gen` in B writes B and leaves A alone.
    let a_before = a.git(&["status", "--porcelain"]);
    let written = as_cargo_runs_it(&b, &["gen"]);
    assert!(written.status.success(), "{}", stderr(&written));
    assert!(
        !b.root()
            .join("generated/schemas/acme/export_acme_contacts.json")
            .exists()
    );
    assert!(
        a.root()
            .join("generated/schemas/acme/export_acme_contacts.json")
            .exists()
    );
    assert_eq!(a.git(&["status", "--porcelain"]), a_before);
    assert_eq!(
        as_cargo_runs_it(&b, &["gen", "--check"]).status.code(),
        Some(0)
    );
}

#[test]
fn definitions_that_do_not_compile_are_reported_not_compared() {
    let workspace = Workspace::new();
    let mut files = support::fixture();
    let acme = files
        .iter_mut()
        .find(|(n, _)| n == "integrations/acme.yaml")
        .unwrap();
    acme.1 = acme.1.replacen("http: GET", "http: GTE", 1);
    workspace.write(&files);
    let out = workspace.xtask(&["diff", "HEAD", "--deny-breaking"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("error[E0103]"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to compare"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}
