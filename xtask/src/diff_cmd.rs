//! `cargo xtask diff [BASE] [--format markdown|json] [--deny-breaking]`.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context, bail};
use switchboard_compiler::freshness;
use switchboard_review::{CATALOG, SCHEMAS, Tree, compare, markdown};

use crate::{compile_clean, git, workspace_root};

const USAGE: &str = "usage: cargo xtask diff [BASE] [--format markdown|json] [--deny-breaking]";

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut base = None;
    let mut json = false;
    let mut deny = false;
    let mut args = args.iter();
    let mut options = true;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--" if options => options = false,
            "--deny-breaking" if options => deny = true,
            "--format" if options => match args.next().map(String::as_str) {
                Some("markdown" | "md") => json = false,
                Some("json") => json = true,
                other => bail!(
                    "--format takes `markdown` or `json`, not `{}`\n{USAGE}",
                    other.unwrap_or("")
                ),
            },
            flag if options && flag.starts_with('-') => bail!("unknown option `{flag}`\n{USAGE}"),
            revision if base.is_none() => base = Some(revision.to_owned()),
            extra => bail!("unexpected argument `{extra}`: one BASE at most\n{USAGE}"),
        }
    }
    let root = workspace_root();

    // The change under review: integrations/ as `cargo xtask gen` would write them now.
    let Some(files) = compile_clean(&root, "to compare")? else {
        return Ok(ExitCode::FAILURE);
    };
    if !freshness::compare(&root, &files)
        .context("comparing generated/")?
        .is_empty()
    {
        eprintln!(
            "note: generated/ is out of date; this report describes integrations/ as `cargo xtask gen` would write them"
        );
    }
    let after = Tree::from_files(files.into_iter().map(|f| (f.path, f.contents.into_bytes())))?;

    let (label, commit) = match &base {
        Some(revision) => {
            let commit = git::resolve(&root, revision)?;
            (format!("`{revision}` ({})", short(&commit)), commit)
        }
        None => {
            let (branch, commit) = git::default_base(&root)?;
            (
                format!("merge base with `{branch}` ({})", short(&commit)),
                commit,
            )
        }
    };
    let schemas = SCHEMAS.trim_end_matches('/');
    let before = Tree::from_files(git::files_at(&root, &commit, &[CATALOG, schemas])?)
        .with_context(|| format!("reading the generated tree at {label}"))?;

    let report = compare(&before, &after);
    let text = if json {
        format!("{:#}\n", report.to_json(&commit))
    } else {
        markdown(&report, &label)
    };
    // A reader that stops early (`| head`) is not an error; the verdict below still stands.
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("writing the report");
    }
    let denials = report.denials();
    if deny && !denials.is_empty() {
        eprintln!(
            "error: {} change(s) break agents or need new consent (--deny-breaking):",
            denials.len()
        );
        for denial in &denials {
            eprintln!("  {denial}");
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}
