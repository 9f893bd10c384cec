//! The webhook outbox: events written in the same transaction as the change they report, then
//! delivered at least once by whichever process leases them first.

use crate::sql::{Dialect, SqlError, SqlExec};

use crate::{Store, StoreError, now_unix};

/// An event to deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEvent {
    /// Unique id receivers de-duplicate on.
    pub event_id: String,
    /// The JSON body, exactly as it will be signed and sent.
    pub body: String,
}

/// An event leased for one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingWebhook {
    /// Row id.
    pub id: i64,
    /// Unique id receivers de-duplicate on.
    pub event_id: String,
    /// The JSON body.
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// Queues `event` inside an open transaction (an event id seen before is not queued again).
pub(crate) fn insert_event(
    tx: &dyn SqlExec,
    event: &WebhookEvent,
    now: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO webhook_outbox (event_id, body, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?3) ON CONFLICT (event_id) DO NOTHING",
        &[
            event.event_id.as_str().into(),
            event.body.as_str().into(),
            now.into(),
        ],
    )?;
    Ok(())
}

impl Store {
    /// Leases up to `limit` due events for `lease_secs` seconds; another process sees them again
    /// only if this one neither delivers nor fails them in time. Replicas leasing at once never
    /// get the same event: the outer conditions are checked again on the row each one updates
    /// (PostgreSQL re-reads a row another transaction changed meanwhile), and on PostgreSQL the
    /// rows another replica is leasing are skipped rather than waited for.
    pub fn lease_webhooks(
        &self,
        limit: usize,
        lease_secs: i64,
    ) -> Result<Vec<PendingWebhook>, StoreError> {
        let now = now_unix();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let db = self.db();
        let skip_locked = match db.dialect() {
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE webhook_outbox SET lease_until = ?2
             WHERE id IN (SELECT id FROM webhook_outbox
                          WHERE delivered_at IS NULL AND next_attempt_at <= ?1
                            AND (lease_until IS NULL OR lease_until <= ?1)
                          ORDER BY id LIMIT ?3 {skip_locked})
               AND delivered_at IS NULL AND (lease_until IS NULL OR lease_until <= ?1)
             RETURNING id, event_id, body, attempts"
        );
        let mut out = db
            .query(
                &sql,
                &[
                    now.into(),
                    now.saturating_add(lease_secs).into(),
                    limit.into(),
                ],
            )?
            .iter()
            .map(|row| {
                Ok(PendingWebhook {
                    id: row.get_i64(0)?,
                    event_id: row.get_text(1)?,
                    body: row.get_text(2)?,
                    attempts: row.get_i64(3)?,
                })
            })
            .collect::<Result<Vec<_>, SqlError>>()?;
        out.sort_by_key(|w| w.id);
        Ok(out)
    }

    /// Records a delivered event.
    pub fn webhook_delivered(&self, id: i64) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE webhook_outbox SET delivered_at = ?2, attempts = attempts + 1, lease_until = NULL,
                    last_error = NULL
             WHERE id = ?1",
            &[id.into(), now_unix().into()],
        )?;
        Ok(())
    }

    /// Records a failed attempt; the event is due again at `next_attempt_at` (Unix seconds).
    pub fn webhook_failed(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = ?2,
                    lease_until = NULL, last_error = ?3
             WHERE id = ?1",
            &[id.into(), next_attempt_at.into(), error.into()],
        )?;
        Ok(())
    }

    /// Events not delivered yet, as `(event_id, attempts, last_error)`, oldest first.
    pub fn undelivered_webhooks(&self) -> Result<Vec<(String, i64, Option<String>)>, StoreError> {
        Ok(self
            .db()
            .query(
                "SELECT event_id, attempts, last_error FROM webhook_outbox
                 WHERE delivered_at IS NULL ORDER BY id",
                &[],
            )?
            .iter()
            .map(|row| Ok((row.get_text(0)?, row.get_i64(1)?, row.get_opt_text(2)?)))
            .collect::<Result<_, SqlError>>()?)
    }

    /// Every event delivered so far, as `event_id`s, oldest first.
    pub fn delivered_webhooks(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .db()
            .query(
                "SELECT event_id FROM webhook_outbox WHERE delivered_at IS NOT NULL ORDER BY id",
                &[],
            )?
            .iter()
            .map(|row| row.get_text(0))
            .collect::<Result<_, SqlError>>()?)
    }
}
