//! `cargo xtask check [PATH...] [--deny-warnings] [--format human|json]`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use switchboard_compiler::{INTEGRATIONS_DIR, compile_paths, definition_files};

use crate::{print_diagnostics, workspace_root};

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut deny_warnings = false;
    let mut json = false;
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--deny-warnings" => deny_warnings = true,
            "--format" => match it.next().map(String::as_str) {
                Some("json") => json = true,
                Some("human") => json = false,
                other => bail!("--format takes `human` or `json`, not {other:?}"),
            },
            "--format=json" => json = true,
            "--format=human" => json = false,
            flag if flag.starts_with("--") => bail!("unknown flag `{flag}`"),
            path => paths.push(PathBuf::from(path)),
        }
    }
    let root = workspace_root();
    // Paths are relative to where the user ran the command; cargo runs us from the workspace root.
    let cwd = std::env::current_dir().unwrap_or_else(|_| root.clone());
    if paths.is_empty() {
        paths.push(root.join(INTEGRATIONS_DIR));
    }
    let mut files = Vec::new();
    for p in paths {
        let p = if p.is_absolute() { p } else { cwd.join(p) };
        if p.is_dir() {
            files.extend(definition_files(&p)?);
        } else {
            files.push(p);
        }
    }
    let compiled = compile_paths(&root, &files, false)?;
    let (errors, warnings) = if json {
        let mut counts = (0, 0);
        for d in &compiled.diagnostics {
            println!("{}", d.to_json());
            if d.is_error() {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
        counts
    } else {
        let counts = print_diagnostics(&compiled);
        eprintln!(
            "checked {} file(s): {} error(s), {} warning(s)",
            files.len(),
            counts.0,
            counts.1
        );
        counts
    };
    let fail = errors > 0 || (deny_warnings && warnings > 0);
    Ok(if fail {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
