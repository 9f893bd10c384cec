//! `cargo xtask gen [--check]`.

use std::process::ExitCode;

use anyhow::{Context, bail};
use switchboard_compiler::freshness;

use crate::{compile_clean, workspace_root};

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut check = false;
    for a in args {
        match a.as_str() {
            "--check" => check = true,
            other => bail!("unknown argument `{other}` (usage: cargo xtask gen [--check])"),
        }
    }
    let root = workspace_root();
    let Some(files) = compile_clean(&root, "generated")? else {
        return Ok(ExitCode::FAILURE);
    };
    if check {
        let problems = freshness::compare(&root, &files).context("comparing generated/")?;
        if problems.is_empty() {
            eprintln!("generated/ is up to date ({} files)", files.len());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "error: generated/ is out of date ({} file(s)):",
            problems.len()
        );
        for p in &problems {
            eprintln!("  {p}");
        }
        eprintln!("help: run `cargo xtask gen` and commit the result");
        return Ok(ExitCode::FAILURE);
    }
    let report = freshness::write(&root, &files).context("writing generated/")?;
    for p in &report.written {
        eprintln!("  wrote    {p}");
    }
    for p in &report.removed {
        eprintln!("  removed  {p}");
    }
    eprintln!(
        "generated/: {} written, {} removed, {} unchanged",
        report.written.len(),
        report.removed.len(),
        report.unchanged
    );
    Ok(ExitCode::SUCCESS)
}
