//! API tokens: the second factor a server may require on top of its capability URL.
//!
//! A capability URL that leaks into a log or a dotfile must not be enough to act: a server created
//! with `require_api_token` also wants `Authorization: Bearer <api token>` naming a live API token.
//! An API token is `sbk_` followed by a capability-style token (256 random bits, unpadded base64url),
//! so secret scanners can recognise it; the store keeps only its SHA-256, and it is shown once, at
//! creation.
//!
//! Lookups go by the hash (an index), then compare the stored hash with the presented one in constant
//! time. The hash of a 256-bit random token leaks nothing useful through timing, so the comparison
//! is defence in depth (a future lookup by prefix or a replica returning near matches stays safe);
//! a fixed-length XOR fold needs no new dependency.

use crate::sql::{Row, SqlError};
use crate::{LAST_USE_GRANULARITY, Store, StoreError, Suggestion, check_name, now_unix, token};

/// What every API token starts with.
pub const API_TOKEN_PREFIX: &str = "sbk_";

/// A stored API token (never the token itself, which only exists at creation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// Row id.
    pub id: i64,
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// The user it acts for (per-user servers, audit); `None` for a service token.
    pub user: Option<String>,
    /// When it was created, Unix seconds.
    pub created_at: i64,
    /// When it was revoked, Unix seconds; a revoked token opens nothing.
    pub revoked_at: Option<i64>,
    /// When it was last presented, Unix seconds (recorded at most once a minute).
    pub last_used_at: Option<i64>,
}

impl ApiTokenRecord {
    /// Whether the token has been revoked.
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

/// Whether `text` has the shape of an API token (`sbk_` and 43 base64url characters), so junk is
/// rejected before touching the database.
pub fn is_well_formed_api_token(text: &str) -> bool {
    text.strip_prefix(API_TOKEN_PREFIX)
        .is_some_and(token::is_well_formed)
}

/// Equality of two hashes in time independent of where they differ.
fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

const COLUMNS: &str = "id, name, user_id, created_at, revoked_at, last_used_at";

fn record_row(row: &Row) -> Result<ApiTokenRecord, SqlError> {
    Ok(ApiTokenRecord {
        id: row.get_i64(0)?,
        name: row.get_text(1)?,
        user: row.get_opt_text(2)?,
        created_at: row.get_i64(3)?,
        revoked_at: row.get_opt_i64(4)?,
        last_used_at: row.get_opt_i64(5)?,
    })
}

impl Store {
    /// Creates an API token and returns it with the token, which is shown only now: the store keeps
    /// its hash.
    pub fn create_api_token(
        &self,
        name: &str,
        user: Option<&str>,
    ) -> Result<(ApiTokenRecord, String), StoreError> {
        check_name("API token name", name)?;
        if let Some(user) = user {
            check_name("user", user)?;
        }
        let minted = token::mint().map_err(StoreError::Random)?;
        let secret = format!("{API_TOKEN_PREFIX}{}", minted.token);
        let hash = token::hash(&secret);
        let created_at = now_unix();
        let id = match self.db().query(
            "INSERT INTO api_tokens (name, user_id, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             RETURNING id",
            &[
                name.into(),
                user.into(),
                hash.as_slice().into(),
                created_at.into(),
            ],
        ) {
            Ok(rows) => rows
                .first()
                .ok_or_else(|| SqlError::Other("INSERT … RETURNING gave no row".to_owned()))?
                .get_i64(0)?,
            Err(SqlError::Constraint(_)) => {
                return Err(StoreError::DuplicateApiToken(name.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        tracing::info!(api_token = %name, user = user.unwrap_or("-"), "created API token");
        let record = ApiTokenRecord {
            id,
            name: name.to_owned(),
            user: user.map(str::to_owned),
            created_at,
            revoked_at: None,
            last_used_at: None,
        };
        Ok((record, secret))
    }

    /// Every API token, by name (without tokens: the store does not have them).
    pub fn list_api_tokens(&self) -> Result<Vec<ApiTokenRecord>, StoreError> {
        Ok(self
            .db()
            .query(
                &format!("SELECT {COLUMNS} FROM api_tokens ORDER BY name"),
                &[],
            )?
            .iter()
            .map(record_row)
            .collect::<Result<_, _>>()?)
    }

    /// One API token by name.
    pub fn api_token(&self, name: &str) -> Result<Option<ApiTokenRecord>, StoreError> {
        Ok(self
            .db()
            .query_opt(
                &format!("SELECT {COLUMNS} FROM api_tokens WHERE name = ?1"),
                &[name.into()],
            )?
            .as_ref()
            .map(record_row)
            .transpose()?)
    }

    /// Revokes an API token: it opens nothing from now on; its row stays for listings. Revoking a
    /// revoked token changes nothing.
    pub fn revoke_api_token(&self, name: &str) -> Result<ApiTokenRecord, StoreError> {
        self.db().execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            &[name.into(), now_unix().into()],
        )?;
        match self.api_token(name)? {
            Some(record) => {
                tracing::info!(api_token = %name, "revoked API token");
                Ok(record)
            }
            None => {
                let names: Vec<String> = self
                    .list_api_tokens()?
                    .into_iter()
                    .map(|t| t.name)
                    .collect();
                Err(StoreError::UnknownApiToken {
                    name: name.to_owned(),
                    suggestion: Suggestion::closest(name, names.iter().map(String::as_str)),
                })
            }
        }
    }

    /// The live API token `token` is; `None` for unknown, malformed or revoked tokens. Records the
    /// use (at most once a minute per token).
    pub fn api_token_for(&self, token: &str) -> Result<Option<ApiTokenRecord>, StoreError> {
        if !is_well_formed_api_token(token) {
            return Ok(None);
        }
        let hash = token::hash(token);
        let found = self
            .db()
            .query_opt(
                &format!("SELECT {COLUMNS}, token_hash FROM api_tokens WHERE token_hash = ?1"),
                &[hash.as_slice().into()],
            )?
            .map(|row| Ok::<_, SqlError>((record_row(&row)?, row.get_blob(6)?)))
            .transpose()?;
        let Some((record, stored)) = found else {
            return Ok(None);
        };
        let matches = <[u8; 32]>::try_from(stored.as_slice())
            .is_ok_and(|stored| hashes_equal(&stored, &hash));
        if !matches || record.is_revoked() {
            return Ok(None);
        }
        let now = now_unix();
        if record
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USE_GRANULARITY)
            && let Err(error) = self.db().execute(
                "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
                &[record.id.into(), now.into()],
            )
        {
            // Best effort: a busy database must not fail the call that merely used the token.
            tracing::warn!(api_token = %record.name, %error, "cannot record the API token's last use");
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_compare_equal_only_when_every_byte_matches() {
        let a = [7u8; 32];
        assert!(hashes_equal(&a, &a));
        for i in [0, 15, 31] {
            let mut b = a;
            b[i] ^= 0x80;
            assert!(!hashes_equal(&a, &b), "byte {i}");
        }
    }

    #[test]
    fn only_prefixed_tokens_are_well_formed() {
        let body = "a".repeat(43);
        assert!(is_well_formed_api_token(&format!("sbk_{body}")));
        assert!(!is_well_formed_api_token(&body));
        assert!(!is_well_formed_api_token(&format!("sbk_{}", &body[1..])));
        assert!(!is_well_formed_api_token(&format!("xyz_{body}")));
    }
}
