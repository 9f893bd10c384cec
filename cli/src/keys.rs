//! `switchboard keys`: the master key sealing the store's secrets.

use std::io::{self, Write as _};
use std::ops::ControlFlow;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use switchboard_vault::{
    KeySource, MASTER_KEY_ENV, PREVIOUS_MASTER_KEY_ENV, RotationProgress, commit_next_key_file,
    key_file_path, load_or_create_next_key_file, next_key_file_path, old_key_file_path,
    remove_stale_old_key_file,
};

use crate::{Context, Outcome};

/// Print a progress line on stderr every this many re-sealed values.
const PROGRESS_EVERY: usize = 1_000;

/// `switchboard keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Re-seal every stored secret under a new master key; safe to interrupt and run again.
    ///
    /// Key-file mode (SWITCHBOARD_MASTER_KEY unset): a new key is generated into `<db>.key.next`
    /// (or an existing one, left by an interrupted run, is resumed), every value is re-sealed
    /// under it, and it replaces `<db>.key`. Stop other switchboard processes using the store
    /// first: they would keep sealing under the old key. Environment mode: SWITCHBOARD_MASTER_KEY
    /// is the new key and SWITCHBOARD_PREVIOUS_MASTER_KEY the old one; restart every process with
    /// both set first, and unset the previous key afterwards. See docs/operating-keys.md.
    Rotate,
}

/// Runs `switchboard keys …`.
pub fn run(cmd: KeysCommand, ctx: &Context) -> Outcome {
    match cmd {
        KeysCommand::Rotate => rotate(ctx),
    }
}

fn rotate(ctx: &Context) -> Outcome {
    let database = ctx.database();
    let mut store = ctx.open_existing_store()?;
    let env_mode = matches!(store.keyring().current().source(), KeySource::Env);
    let next = if env_mode {
        store.keyring().current().clone()
    } else {
        let Some(db) = database.file() else {
            anyhow::bail!("a PostgreSQL store takes its keys from the environment only");
        };
        let next_path = next_key_file_path(db);
        // The store opened with `<db>.key.next` as its current key: a rotation is under way.
        let resuming = store.keyring().previous().is_some();
        if !resuming && remove_stale_old_key_file(db)? {
            out!(
                "removed `{}`, left by a rotation that had already replaced the key file",
                old_key_file_path(db).display()
            )?;
        }
        let next = load_or_create_next_key_file(db).with_context(|| {
            format!("cannot prepare the new key file `{}`", next_path.display())
        })?;
        if resuming {
            out!(
                "resuming the unfinished rotation to the key in `{}` (key id {})",
                next_path.display(),
                next.id()
            )?;
        } else {
            out!(
                "new master key in `{}` (key id {})",
                next_path.display(),
                next.id()
            )?;
        }
        next
    };

    let report = store
        .rotate_keys(&next, |progress: &RotationProgress| {
            if progress.resealed.is_multiple_of(PROGRESS_EVERY) {
                // Progress only: a closed stderr must not stop the rotation.
                let _ = writeln!(io::stderr(), "re-sealed {} values…", progress.resealed);
            }
            ControlFlow::Continue(())
        })
        .context("the rotation stopped; every value still opens with both keys: run `switchboard keys rotate` again")?;
    let total = report.resealed.total();
    if total == 0 {
        out!(
            "nothing to re-seal: every value is already sealed under the master key from {} (key id {})",
            next.source(),
            report.key_id
        )?;
    } else {
        out!(
            "re-sealed {total} value{} under the master key from {} (key id {}): {}",
            if total == 1 { "" } else { "s" },
            next.source(),
            report.key_id,
            report.resealed
        )?;
    }
    if !report.finished {
        bail!(
            "values kept being sealed under the old master key while rotating: another switchboard process (serve, mcp stdio) still uses it. Stop it, or restart it with the new key, then run `switchboard keys rotate` again"
        );
    }
    drop(store);

    if env_mode {
        if std::env::var_os(PREVIOUS_MASTER_KEY_ENV).is_some() {
            out!(
                "every value is sealed under {MASTER_KEY_ENV}: {PREVIOUS_MASTER_KEY_ENV} is no longer needed; unset it once every switchboard process runs with the new key"
            )?;
        }
    } else if let Some(db) = database.file() {
        let key_path = key_file_path(db);
        commit_next_key_file(db, &next).with_context(|| {
            format!(
                "every value is sealed under the key in `{}`, but it could not replace `{}`; run `switchboard keys rotate` again",
                next_key_file_path(db).display(),
                key_path.display()
            )
        })?;
        out!(
            "replaced `{}` with the new key; the old key is gone. Restart running switchboard processes so they use it",
            key_path.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
