//! Pending authorizations: what a `state` value stands for between the redirect to the identity
//! provider and the callback. Kept sealed (it holds the PKCE verifier), looked up by the state's
//! hash, taken exactly once, and worthless after it expires.

use crate::sql::SqlError;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError, now_unix};

pub(crate) fn state_aad(hash: &[u8; 32]) -> Vec<u8> {
    let mut aad = b"switchboard/oauth_state/v1\0".to_vec();
    aad.extend_from_slice(hash);
    aad
}

fn state_hash(state: &str) -> [u8; 32] {
    Sha256::digest(state.as_bytes()).into()
}

impl Store {
    /// Records the pending authorization `request` (opaque to the store) under `state` until
    /// `expires_at` (Unix seconds).
    pub fn put_oauth_state(
        &self,
        state: &str,
        request: &[u8],
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let hash = state_hash(state);
        let sealed = self.key.seal(request, &state_aad(&hash))?;
        let now = now_unix();
        let db = self.db();
        // Expired states are garbage: drop them while here.
        db.execute(
            "DELETE FROM oauth_states WHERE expires_at <= ?1",
            &[now.into()],
        )?;
        db.execute(
            "INSERT INTO oauth_states (state_hash, request, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            &[
                hash.as_slice().into(),
                sealed.into(),
                now.into(),
                expires_at.into(),
            ],
        )?;
        Ok(())
    }

    /// Takes the pending authorization recorded under `state`: `None` when unknown, already taken
    /// or expired. A state is taken at most once, whatever happens next.
    pub fn take_oauth_state(&self, state: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let hash = state_hash(state);
        let row = self
            .db()
            .query_opt(
                "DELETE FROM oauth_states WHERE state_hash = ?1 RETURNING request, expires_at",
                &[hash.as_slice().into()],
            )?
            .map(|row| Ok::<_, SqlError>((row.get_blob(0)?, row.get_i64(1)?)))
            .transpose()?;
        let Some((sealed, expires_at)) = row else {
            return Ok(None);
        };
        if expires_at <= now_unix() {
            return Ok(None);
        }
        self.key
            .unseal(&sealed, &state_aad(&hash))
            .map(Some)
            .map_err(|_| StoreError::Corrupt {
                what: "OAuth state",
                detail: "does not open under the master key".to_owned(),
            })
    }
}
