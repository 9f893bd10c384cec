//! Compare emitted files with the tree on disk, and write them: stale, missing and orphaned files.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use crate::emit::GeneratedFile;

/// Folders wholly owned by the generator: every file in them must be one it emits.
pub const OWNED_DIRS: &[&str] = &["generated/src", "generated/schemas", "generated/docs"];

/// Single files owned by the generator outside those folders.
pub const OWNED_FILES: &[&str] = &["generated/catalog.json"];

/// A generated file that does not match what is on disk.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    /// On disk, but with other contents.
    Stale(String),
    /// Emitted, but not on disk.
    Missing(String),
    /// On disk in an owned folder, but no longer emitted (its integration or tool is gone).
    Orphaned(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Stale(p) => write!(f, "stale:    {p}"),
            Self::Missing(p) => write!(f, "missing:  {p}"),
            Self::Orphaned(p) => write!(f, "orphaned: {p}"),
        }
    }
}

/// What `write` did.
#[derive(Debug, Default)]
pub struct WriteReport {
    /// Files written because they were new or changed.
    pub written: Vec<String>,
    /// Orphaned files removed.
    pub removed: Vec<String>,
    /// Files left alone because they were already up to date.
    pub unchanged: usize,
}

/// Lists every difference between `files` and the tree under `root`, sorted.
pub fn compare(root: &Path, files: &[GeneratedFile]) -> io::Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for f in files {
        match std::fs::read(root.join(&f.path)) {
            Ok(bytes) if bytes == f.contents.as_bytes() => {}
            Ok(_) => problems.push(Problem::Stale(f.path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                problems.push(Problem::Missing(f.path.clone()))
            }
            Err(e) => return Err(e),
        }
    }
    for orphan in orphans(root, files)? {
        problems.push(Problem::Orphaned(orphan));
    }
    problems.sort();
    Ok(problems)
}

/// Writes new and changed files, removes orphans, leaves unchanged files untouched (so mtimes, and
/// therefore incremental builds, are not disturbed).
pub fn write(root: &Path, files: &[GeneratedFile]) -> io::Result<WriteReport> {
    let mut report = WriteReport::default();
    for f in files {
        let path = root.join(&f.path);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == f.contents.as_bytes() => {
                report.unchanged += 1;
                continue;
            }
            _ => {}
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &f.contents)?;
        report.written.push(f.path.clone());
    }
    for orphan in orphans(root, files)? {
        std::fs::remove_file(root.join(&orphan))?;
        report.removed.push(orphan);
    }
    for dir in OWNED_DIRS {
        remove_empty_dirs(&root.join(dir))?;
    }
    Ok(report)
}

fn orphans(root: &Path, files: &[GeneratedFile]) -> io::Result<Vec<String>> {
    let expected: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut found = Vec::new();
    for dir in OWNED_DIRS {
        walk(root, &root.join(dir), &mut found)?;
    }
    for file in OWNED_FILES {
        if root.join(file).is_file() {
            found.push((*file).to_owned());
        }
    }
    found.retain(|p| !expected.contains(p.as_str()));
    found.sort();
    Ok(found)
}

/// Collects workspace-relative, `/`-separated paths of files under `dir` (sorted walk).
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(rel.join("/"));
        }
    }
    Ok(())
}

fn remove_empty_dirs(dir: &Path) -> io::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            remove_empty_dirs(&path)?;
            if std::fs::read_dir(&path)?.next().is_none() {
                std::fs::remove_dir(&path)?;
            }
        }
    }
    Ok(())
}
