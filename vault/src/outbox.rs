//! The webhook outbox: events written in the same transaction as the change they report, then
//! delivered at least once by whichever process leases them first.

use rusqlite::{Transaction, params};

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

/// Queues `event` inside an open transaction.
pub(crate) fn insert_event(
    tx: &Transaction<'_>,
    event: &WebhookEvent,
    now: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO webhook_outbox (event_id, body, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?3)",
        params![event.event_id, event.body, now],
    )?;
    Ok(())
}

impl Store {
    /// Leases up to `limit` due events for `lease_secs` seconds; another process sees them again
    /// only if this one neither delivers nor fails them in time.
    pub fn lease_webhooks(
        &self,
        limit: usize,
        lease_secs: i64,
    ) -> Result<Vec<PendingWebhook>, StoreError> {
        let now = now_unix();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "UPDATE webhook_outbox SET lease_until = ?2
             WHERE id IN (SELECT id FROM webhook_outbox
                          WHERE delivered_at IS NULL AND next_attempt_at <= ?1
                            AND (lease_until IS NULL OR lease_until <= ?1)
                          ORDER BY id LIMIT ?3)
             RETURNING id, event_id, body, attempts",
        )?;
        let rows = stmt.query_map(params![now, now.saturating_add(lease_secs), limit], |row| {
            Ok(PendingWebhook {
                id: row.get(0)?,
                event_id: row.get(1)?,
                body: row.get(2)?,
                attempts: row.get(3)?,
            })
        })?;
        let mut out: Vec<PendingWebhook> = rows.collect::<Result<_, _>>()?;
        out.sort_by_key(|w| w.id);
        Ok(out)
    }

    /// Records a delivered event.
    pub fn webhook_delivered(&self, id: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE webhook_outbox SET delivered_at = ?2, attempts = attempts + 1, lease_until = NULL,
                    last_error = NULL
             WHERE id = ?1",
            params![id, now_unix()],
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
        self.conn().execute(
            "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = ?2,
                    lease_until = NULL, last_error = ?3
             WHERE id = ?1",
            params![id, next_attempt_at, error],
        )?;
        Ok(())
    }

    /// Events not delivered yet, as `(event_id, attempts, last_error)`, oldest first.
    pub fn undelivered_webhooks(&self) -> Result<Vec<(String, i64, Option<String>)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT event_id, attempts, last_error FROM webhook_outbox
             WHERE delivered_at IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
