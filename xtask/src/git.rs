//! Reading a revision's files from git without checking it out.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// Runs git in `root` and returns its standard output.
fn git(root: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("cannot run git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

fn line(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_owned()
}

/// The commit `revision` names, as a full hash.
pub fn resolve(root: &Path, revision: &str) -> anyhow::Result<String> {
    if revision.starts_with('-') || revision.is_empty() {
        bail!("`{revision}` is not a git revision");
    }
    let spec = format!("{revision}^{{commit}}");
    git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )
    .map(line)
    .map_err(|_| {
        anyhow::anyhow!(
            "`{revision}` names no commit of the repository at {}",
            root.display()
        )
    })
}

/// The default base: where `HEAD` left the default branch (`origin/HEAD`, else `main` or `master`).
///
/// Returns the branch's name and the merge base's hash.
pub fn default_base(root: &Path) -> anyhow::Result<(String, String)> {
    let mut candidates = Vec::new();
    if let Ok(head) = git(
        root,
        &[
            "symbolic-ref",
            "--quiet",
            "--short",
            "refs/remotes/origin/HEAD",
        ],
    ) {
        candidates.push(line(head));
    }
    candidates.extend(["main", "master", "origin/main", "origin/master"].map(str::to_owned));
    for branch in candidates {
        if resolve(root, &branch).is_err() {
            continue;
        }
        let base = git(root, &["merge-base", "--end-of-options", &branch, "HEAD"])
            .with_context(|| format!("no merge base between `{branch}` and HEAD"))?;
        return Ok((branch, line(base)));
    }
    bail!(
        "no default branch found (origin/HEAD, main or master): name the base, e.g. `cargo xtask diff HEAD~1`"
    )
}

/// The files under `paths` (relative to `root`) at `commit`, with their contents.
pub fn files_at(
    root: &Path,
    commit: &str,
    paths: &[&str],
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut args = vec!["ls-tree", "-r", "-z", "--name-only", commit, "--"];
    args.extend(paths);
    let listing = git(root, &args)?;
    let names: Vec<String> = listing
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    // One `cat-file --batch` for every file: `<commit>:./<path>` is relative to `root`, like the listing.
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut request = String::new();
    for name in &names {
        request.push_str(&format!("{commit}:./{name}\n"));
    }
    let mut stdin = child.stdin.take().context("git cat-file has no input")?;
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let out = child.wait_with_output().context("git cat-file failed")?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("writing to git cat-file panicked"))?
        .context("writing to git cat-file")?;
    if !out.status.success() {
        bail!(
            "git cat-file failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    parse_batch(&out.stdout, names)
}

/// Splits `git cat-file --batch` output (`<oid> <type> <size>\n<contents>\n` per object).
fn parse_batch(mut out: &[u8], names: Vec<String>) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let end = out
            .iter()
            .position(|b| *b == b'\n')
            .context("git cat-file answered less than asked")?;
        let header = String::from_utf8_lossy(&out[..end]).into_owned();
        let mut fields = header.split(' ');
        let (_, kind, size) = (fields.next(), fields.next(), fields.next());
        if kind != Some("blob") {
            bail!("{name}: git cat-file answered `{header}`");
        }
        let size: usize = size
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("{name}: git cat-file answered `{header}`"))?;
        let body = out
            .get(end + 1..end + 1 + size)
            .with_context(|| format!("{name}: git cat-file answered a short object"))?;
        files.push((name, body.to_vec()));
        out = out.get(end + 2 + size..).unwrap_or_default();
    }
    Ok(files)
}
