//! Master key rotation: re-sealing every sealed value of the store under a new key.
//!
//! Each row is re-sealed in its own short transaction (read, open under the old
//! keys, seal under the new key, write), so an interruption at any point leaves every row sealed
//! under one of the two keys, readable by a [`Keyring`] holding both, and other processes are never
//! blocked for longer than one row. Rows already sealed under the new key are skipped, which makes
//! a second run finish what an interrupted one began. The key check is replaced last: until then
//! the old key alone still opens the store; afterwards only the new key does.
//!
//! Every sealed column is listed here (`Row`); a new sealed column must be added to it, or a
//! rotation would leave it under a key that is about to be thrown away (the store's tests list the
//! schema's BLOB columns to catch that).

use std::fmt;
use std::ops::ControlFlow;

use crate::sql::{SqlError, SqlExec, in_transaction};

use crate::crypto::{KeyId, Keyring, MasterKey};
use crate::oauth::REFRESH_COLUMN;
use crate::oauth_apps::app_aad;
use crate::oauth_state::state_aad;
use crate::{
    CONNECT_KEY_AAD, CURSOR_KEY_AAD, KEY_CHECK_AAD, KEY_CHECK_PLAINTEXT, Store, StoreError,
    account_aad, read_meta,
};

/// How many times the rows are swept before giving up on values that keep appearing under an old
/// key (another process still sealing with it).
const MAX_PASSES: usize = 3;

/// Sealed values, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SealedCounts {
    /// Account credentials (`accounts.secret`).
    pub account_secrets: usize,
    /// OAuth refresh tokens (`accounts.refresh_secret`).
    pub refresh_tokens: usize,
    /// OAuth app client secrets (`oauth_apps.client_secret`).
    pub app_secrets: usize,
    /// Pending OAuth authorizations (`oauth_states.request`).
    pub oauth_states: usize,
    /// The store's own keys and its key check (`meta`: `cursor_key`, `connect_key`, `key_check`).
    pub store_keys: usize,
}

impl SealedCounts {
    /// Every value counted.
    pub fn total(&self) -> usize {
        self.account_secrets
            + self.refresh_tokens
            + self.app_secrets
            + self.oauth_states
            + self.store_keys
    }

    fn add(&mut self, kind: Kind) {
        let slot = match kind {
            Kind::AccountSecret => &mut self.account_secrets,
            Kind::RefreshToken => &mut self.refresh_tokens,
            Kind::AppSecret => &mut self.app_secrets,
            Kind::OAuthState => &mut self.oauth_states,
            Kind::StoreKey => &mut self.store_keys,
        };
        *slot += 1;
    }
}

impl fmt::Display for SealedCounts {
    /// `2 account secrets, 1 refresh token, 3 store keys` (kinds with none left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            (self.account_secrets, "account secret", "account secrets"),
            (self.refresh_tokens, "refresh token", "refresh tokens"),
            (self.app_secrets, "OAuth app secret", "OAuth app secrets"),
            (
                self.oauth_states,
                "pending authorization",
                "pending authorizations",
            ),
            (
                self.store_keys,
                "store key or key check",
                "store keys and key check",
            ),
        ];
        let mut first = true;
        for (n, one, many) in parts {
            if n == 0 {
                continue;
            }
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{n} {}", if n == 1 { one } else { many })?;
        }
        if first {
            f.write_str("nothing")?;
        }
        Ok(())
    }
}

/// Where a rotation stands, given to its progress callback after every row it re-sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotationProgress {
    /// Values re-sealed so far by this run.
    pub resealed: usize,
}

/// What [`Store::rotate_keys`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a rotation may stop before the end: check `finished`"]
pub struct RotationReport {
    /// The key everything is being moved to.
    pub key_id: KeyId,
    /// Values this run re-sealed under it.
    pub resealed: SealedCounts,
    /// Values found already sealed under it (by an earlier, interrupted run, or written since).
    pub already_current: usize,
    /// Whether every value, the key check included, is now sealed under the new key. `false` when
    /// the progress callback stopped the run, or when values kept being written under an old key
    /// (another process that does not know the new key): run it again.
    pub finished: bool,
}

/// Which sealed column a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    AccountSecret,
    RefreshToken,
    AppSecret,
    OAuthState,
    StoreKey,
}

/// One row holding sealed values, by its primary key.
enum Row {
    Account(String),
    App(String),
    State(Vec<u8>),
    Meta(String),
}

/// One sealed value of a row: its column, kind, blob, and the associated data it is bound to.
struct Value {
    column: &'static str,
    kind: Kind,
    blob: Vec<u8>,
    aad: Vec<u8>,
}

impl Row {
    /// Every row with sealed values but the key check, in a stable order.
    fn all(db: &dyn SqlExec) -> Result<Vec<Self>, StoreError> {
        let mut rows = Vec::new();
        let texts = |sql: &str| -> Result<Vec<String>, StoreError> {
            Ok(db
                .query(sql, &[])?
                .iter()
                .map(|row| row.get_text(0))
                .collect::<Result<_, _>>()?)
        };
        rows.extend(
            texts("SELECT id FROM accounts ORDER BY id")?
                .into_iter()
                .map(Self::Account),
        );
        rows.extend(
            texts("SELECT name FROM oauth_apps ORDER BY name")?
                .into_iter()
                .map(Self::App),
        );
        let states = db
            .query(
                "SELECT state_hash FROM oauth_states ORDER BY state_hash",
                &[],
            )?
            .iter()
            .map(|row| row.get_blob(0))
            .collect::<Result<Vec<_>, _>>()?;
        rows.extend(states.into_iter().map(Self::State));
        rows.extend(
            texts("SELECT key FROM meta WHERE key IN ('cursor_key', 'connect_key') ORDER BY key")?
                .into_iter()
                .map(Self::Meta),
        );
        Ok(rows)
    }

    /// Names the row in errors (never a secret; a state is named only as such).
    fn label(&self) -> String {
        match self {
            Self::Account(id) => format!("account `{id}`"),
            Self::App(name) => format!("OAuth app `{name}`"),
            Self::State(_) => "a pending OAuth authorization".to_owned(),
            Self::Meta(key) => format!("store key `{key}`"),
        }
    }

    /// The row's sealed values as stored now, with their associated data rebuilt from its key
    /// columns; empty when the row is gone.
    fn values(&self, db: &dyn SqlExec) -> Result<Vec<Value>, StoreError> {
        let mut values = Vec::new();
        match self {
            Self::Account(id) => {
                let row = db
                    .query_opt(
                        "SELECT credential_kind, secret, refresh_secret FROM accounts WHERE id = ?1",
                        &[id.into()],
                    )?
                    .map(|row| {
                        Ok::<_, SqlError>((
                            row.get_text(0)?,
                            row.get_blob(1)?,
                            row.get_opt_blob(2)?,
                        ))
                    })
                    .transpose()?;
                if let Some((kind, secret, refresh)) = row {
                    values.push(Value {
                        column: "secret",
                        kind: Kind::AccountSecret,
                        blob: secret,
                        aad: account_aad(id, &kind),
                    });
                    if let Some(refresh) = refresh {
                        values.push(Value {
                            column: "refresh_secret",
                            kind: Kind::RefreshToken,
                            blob: refresh,
                            aad: account_aad(id, REFRESH_COLUMN),
                        });
                    }
                }
            }
            Self::App(name) => {
                let blob = db
                    .query_opt(
                        "SELECT client_secret FROM oauth_apps WHERE name = ?1",
                        &[name.into()],
                    )?
                    .map(|row| row.get_blob(0))
                    .transpose()?;
                values.extend(blob.map(|blob| Value {
                    column: "client_secret",
                    kind: Kind::AppSecret,
                    blob,
                    aad: app_aad(name),
                }));
            }
            Self::State(hash) => {
                let hash_array: [u8; 32] =
                    hash.as_slice()
                        .try_into()
                        .map_err(|_| StoreError::Corrupt {
                            what: "OAuth state",
                            detail: format!("state hash of {} bytes", hash.len()),
                        })?;
                let blob = db
                    .query_opt(
                        "SELECT request FROM oauth_states WHERE state_hash = ?1",
                        &[hash.as_slice().into()],
                    )?
                    .map(|row| row.get_blob(0))
                    .transpose()?;
                values.extend(blob.map(|blob| Value {
                    column: "request",
                    kind: Kind::OAuthState,
                    blob,
                    aad: state_aad(&hash_array),
                }));
            }
            Self::Meta(key) => {
                let aad = match key.as_str() {
                    "cursor_key" => CURSOR_KEY_AAD,
                    "connect_key" => CONNECT_KEY_AAD,
                    _ => return Ok(values),
                };
                values.extend(read_meta(db, key)?.map(|blob| Value {
                    column: "value",
                    kind: Kind::StoreKey,
                    blob,
                    aad: aad.to_vec(),
                }));
            }
        }
        Ok(values)
    }

    /// Replaces one value of the row.
    fn write(&self, db: &dyn SqlExec, column: &str, blob: &[u8]) -> Result<(), StoreError> {
        let (sql, key): (&str, crate::sql::Value) = match (self, column) {
            (Self::Account(id), "secret") => (
                "UPDATE accounts SET secret = ?2 WHERE id = ?1",
                id.as_str().into(),
            ),
            (Self::Account(id), "refresh_secret") => (
                "UPDATE accounts SET refresh_secret = ?2 WHERE id = ?1",
                id.as_str().into(),
            ),
            (Self::App(name), "client_secret") => (
                "UPDATE oauth_apps SET client_secret = ?2 WHERE name = ?1",
                name.as_str().into(),
            ),
            (Self::State(hash), "request") => (
                "UPDATE oauth_states SET request = ?2 WHERE state_hash = ?1",
                hash.as_slice().into(),
            ),
            (Self::Meta(key), "value") => (
                "UPDATE meta SET value = ?2 WHERE key = ?1",
                key.as_str().into(),
            ),
            _ => {
                return Err(StoreError::Corrupt {
                    what: "sealed value",
                    detail: format!("{} has no sealed column `{column}`", self.label()),
                });
            }
        };
        db.execute(sql, &[key, blob.into()])?;
        Ok(())
    }
}

impl Store {
    /// The keys this store seals and opens with.
    pub fn keyring(&self) -> &Keyring {
        &self.key
    }

    /// Re-seals every sealed value (account secrets and refresh tokens, OAuth app secrets, pending
    /// OAuth authorizations, the cursor and connect keys) under `next`, each with the associated
    /// data it had, then replaces the key check so that only `next` opens the store.
    ///
    /// Values open under this store's keys or `next`; from this call on, this store also seals
    /// under `next`. Values already sealed under `next` are skipped, so running it again after an
    /// interruption finishes the job, and running it when nothing is left re-seals nothing.
    /// `progress` is called after every row re-sealed; returning `ControlFlow::Break` stops the
    /// rotation there (the report then says `finished: false`), leaving every row readable with
    /// both keys.
    ///
    /// Another process writing with only the old key while this runs can leave values under it;
    /// the rows are swept again until none is left (or the report says `finished: false`).
    pub fn rotate_keys(
        &mut self,
        next: &MasterKey,
        mut progress: impl FnMut(&RotationProgress) -> ControlFlow<()>,
    ) -> Result<RotationReport, StoreError> {
        let old = self.key.clone();
        if old.current().id() != next.id() {
            self.key = Keyring::new(next.clone()).with_previous(old.current().clone());
        }
        let mut report = RotationReport {
            key_id: next.id(),
            resealed: SealedCounts::default(),
            already_current: 0,
            finished: false,
        };
        let mut swept_clean = false;
        for pass in 0..MAX_PASSES {
            let before = report.resealed.total();
            let rows = Row::all(self.db())?;
            for row in &rows {
                if self.reseal_row(row, next, &old, &mut report, pass == 0)? {
                    let seen = RotationProgress {
                        resealed: report.resealed.total(),
                    };
                    if progress(&seen).is_break() {
                        tracing::info!(
                            resealed = seen.resealed,
                            "master key rotation stopped before the end"
                        );
                        return Ok(report);
                    }
                }
            }
            if report.resealed.total() == before {
                swept_clean = true;
                break;
            }
            if pass > 0 {
                tracing::warn!(
                    values = report.resealed.total() - before,
                    "values were sealed under an old master key during the rotation: another switchboard process is still using it"
                );
            }
        }
        if !swept_clean {
            return Ok(report);
        }
        self.replace_key_check(next, &old, &mut report)?;
        report.finished = true;
        tracing::info!(
            key_id = %next.id(),
            resealed = report.resealed.total(),
            "every sealed value is under the new master key"
        );
        Ok(report)
    }

    /// Re-seals the values of `row` that are not under `next`, in one transaction; `true` when it
    /// re-sealed any.
    fn reseal_row(
        &self,
        row: &Row,
        next: &MasterKey,
        old: &Keyring,
        report: &mut RotationReport,
        count_current: bool,
    ) -> Result<bool, StoreError> {
        // A cheap look first: most rows need nothing on a second pass or a resumed run.
        let values = row.values(self.db())?;
        let stale = values
            .iter()
            .filter(|v| !next.is_sealed_under(&v.blob, &v.aad))
            .count();
        if count_current {
            report.already_current += values.len() - stale;
        }
        if stale == 0 {
            return Ok(false);
        }
        let resealed = in_transaction(self.db(), |tx| {
            let mut resealed = Vec::new();
            for value in row.values(tx)? {
                if next.is_sealed_under(&value.blob, &value.aad) {
                    continue;
                }
                let plaintext = old
                    .unseal(&value.blob, &value.aad)
                    .or_else(|_| next.unseal(&value.blob, &value.aad))
                    .map_err(|_| StoreError::Corrupt {
                        what: "sealed value",
                        detail: format!(
                            "{} ({}) opens under neither the old nor the new master key; repair or delete it, then run the rotation again",
                            row.label(),
                            value.column
                        ),
                    })?;
                let sealed = next.seal(&plaintext, &value.aad)?;
                drop(plaintext);
                row.write(tx, value.column, &sealed)?;
                resealed.push(value.kind);
            }
            Ok::<_, StoreError>(resealed)
        })?;
        let any = !resealed.is_empty();
        for kind in resealed {
            report.resealed.add(kind);
        }
        Ok(any)
    }

    /// Seals the key check under `next`, once every other value is.
    fn replace_key_check(
        &self,
        next: &MasterKey,
        old: &Keyring,
        report: &mut RotationReport,
    ) -> Result<(), StoreError> {
        let wrong_key = || StoreError::WrongMasterKey {
            location: self.location.clone(),
            key_source: old.current().source().clone(),
        };
        let replaced = in_transaction(self.db(), |tx| {
            let check = read_meta(tx, "key_check")?.ok_or_else(wrong_key)?;
            if next.is_sealed_under(&check, KEY_CHECK_AAD) {
                return Ok(false);
            }
            let opened = old
                .unseal(&check, KEY_CHECK_AAD)
                .or_else(|_| next.unseal(&check, KEY_CHECK_AAD))
                .map_err(|_| wrong_key())?;
            if opened != KEY_CHECK_PLAINTEXT {
                return Err(wrong_key());
            }
            let sealed = next.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD)?;
            tx.execute(
                "UPDATE meta SET value = ?1 WHERE key = 'key_check'",
                &[sealed.into()],
            )?;
            Ok(true)
        })?;
        if replaced {
            report.resealed.add(Kind::StoreKey);
        } else {
            report.already_current += 1;
        }
        Ok(())
    }
}
