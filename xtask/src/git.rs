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
    repository(root)?;
    if let Some(hash) = commit_of(root, revision) {
        return Ok(hash);
    }
    let shallow = git(root, &["rev-parse", "--is-shallow-repository"])
        .map(line)
        .is_ok_and(|answer| answer == "true");
    let hint = if shallow {
        " (this clone is shallow: fetch the history, e.g. `git fetch --unshallow`, or \
         `fetch-depth: 0` with actions/checkout)"
    } else {
        ""
    };
    bail!(
        "`{revision}` names no commit of the repository at {}{hint}",
        root.display()
    )
}

/// The commit `revision` names, if any (one `git rev-parse`, nothing more).
fn commit_of(root: &Path, revision: &str) -> Option<String> {
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
    .ok()
    .map(line)
}

/// Fails, with git's own words, unless `root` is in a repository git will read.
fn repository(root: &Path) -> anyhow::Result<()> {
    git(root, &["rev-parse", "--git-dir"])
        .map(drop)
        .with_context(|| format!("{} is not in a git repository git can read", root.display()))
}

/// The default base: where `HEAD` left the default branch (`origin/HEAD`, else `main` or `master`).
///
/// Returns the branch's name and the merge base's hash.
pub fn default_base(root: &Path) -> anyhow::Result<(String, String)> {
    repository(root)?;
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
        if commit_of(root, &branch).is_none() {
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
    // `<mode> <type> <object>\t<path>\0` per entry; blobs are then read by object id, so no path
    // (spaces, newlines, anything) ever goes back to git as text.
    let mut args = vec!["ls-tree", "-r", "-z", commit, "--"];
    args.extend(paths);
    let listing = git(root, &args)?;
    let mut blobs = Vec::new();
    for entry in listing.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let text = String::from_utf8_lossy(entry);
        let Some((meta, path)) = text.split_once('\t') else {
            bail!("git ls-tree answered `{text}`");
        };
        let mut fields = meta.split(' ');
        let (_, kind, object) = (fields.next(), fields.next(), fields.next());
        if let (Some("blob"), Some(object)) = (kind, object) {
            blobs.push((path.to_owned(), object.to_owned()));
        }
    }
    if blobs.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git cat-file")?;
    let request: String = blobs
        .iter()
        .map(|(_, object)| format!("{object}\n"))
        .collect();
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
    parse_batch(
        &out.stdout,
        blobs.into_iter().map(|(path, _)| path).collect(),
    )
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::parse_batch;

    #[test]
    fn batch_output_splits_on_sizes_not_on_newlines() {
        let out = b"aaaa blob 5\na\nb\n\n\nbbbb blob 0\n\n";
        let files = parse_batch(out, vec!["one".into(), "two".into()]).unwrap();
        assert_eq!(
            files,
            [
                ("one".into(), b"a\nb\n\n".to_vec()),
                ("two".into(), Vec::new())
            ]
        );
        let short = parse_batch(b"aaaa blob 50\nabc\n", vec!["x".into()]).unwrap_err();
        assert!(short.to_string().contains("short object"), "{short}");
        let missing = parse_batch(b"aaaa missing\n", vec!["x".into()]).unwrap_err();
        assert!(
            missing.to_string().contains("answered `aaaa missing`"),
            "{missing}"
        );
    }
}
