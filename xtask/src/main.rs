//! `cargo xtask`: the project's own build tasks.
//!
//! - `cargo xtask gen [--check]`: compile `integrations/` into `generated/` (or verify it is fresh).
//! - `cargo xtask check [PATH...] [--deny-warnings] [--format human|json]`: diagnostics only.
//! - `cargo xtask new <name>`: scaffold a documented integration definition.
//! - `cargo xtask diff [BASE]`: what the change since BASE means for agents, consent and context cost.

mod check;
mod diff_cmd;
mod gen_cmd;
mod git;
mod new;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--help` anywhere (`cargo xtask new --help`) asks for the usage, not for a definition named so.
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = match args.first().map(String::as_str) {
        Some("gen") => gen_cmd::run(&args[1..]),
        Some("check") => check::run(&args[1..]),
        Some("new") => new::run(&args[1..]),
        Some("diff") => diff_cmd::run(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => {
            eprintln!("error: unknown task `{other}`\n\n{USAGE}");
            Ok(ExitCode::from(2))
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::from(2)
    })
}

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  gen [--check]                                   compile integrations/ into generated/; with --check,
                                                  exit 1 listing stale, missing and orphaned files
  check [PATH...] [--deny-warnings] [--format human|json]
                                                  print diagnostics (default PATH: integrations/)
  new <name>                                      scaffold integrations/<name>.yaml
  diff [BASE] [--format markdown|json] [--deny-breaking]
                                                  report what the tools changed since BASE (default: the
                                                  merge base with the default branch) mean: breaking for
                                                  agents, needing new consent, safe, and the context cost
                                                  of tools/list; --deny-breaking exits 1 on anything but safe
";

/// The workspace root: the parent of this crate's folder in the checkout being worked on.
///
/// Taken from `CARGO_MANIFEST_DIR` as cargo sets it when it runs the binary (`cargo xtask`, tests),
/// not as it was when the binary was compiled: two clones sharing one `CARGO_TARGET_DIR` (git
/// worktrees do) share one xtask binary, which must work on the clone it is run in. Run directly,
/// the workspace is found from the current directory; the compile-time folder is the last resort.
pub fn workspace_root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .or_else(|| {
            let cwd = std::env::current_dir().ok()?;
            cwd.ancestors()
                .find(|dir| dir.join("xtask").join("Cargo.toml").is_file())
                .map(|dir| dir.join("xtask"))
        })
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Compiles the workspace's definitions, printing their diagnostics; `None` when any is an error
/// (after saying so: "N error(s) in integrations/; nothing {what}").
pub fn compile_clean(
    root: &std::path::Path,
    what: &str,
) -> anyhow::Result<Option<Vec<switchboard_compiler::emit::GeneratedFile>>> {
    let compiled = switchboard_compiler::compile_workspace(root)?;
    let (errors, _) = print_diagnostics(&compiled);
    match compiled.files {
        Some(files) if errors == 0 => Ok(Some(files)),
        _ => {
            eprintln!("error: {errors} error(s) in integrations/; nothing {what}");
            Ok(None)
        }
    }
}

/// Prints rendered diagnostics to stderr and returns `(errors, warnings)`.
pub fn print_diagnostics(compiled: &switchboard_compiler::Compiled) -> (usize, usize) {
    use std::io::IsTerminal;
    let styled = std::io::stderr().is_terminal();
    let (mut errors, mut warnings) = (0, 0);
    for d in &compiled.diagnostics {
        eprintln!("{}\n", d.render(compiled.source_text(&d.file), styled));
        if d.is_error() {
            errors += 1;
        } else {
            warnings += 1;
        }
    }
    (errors, warnings)
}
