//! The audit log: one row per tool call (names and figures only).
//!
//! An [`AuditEvent`] says who called which tool through which server and account, when, how long it
//! took and how it ended. It never holds the call's arguments, request or response bodies,
//! credentials or tokens, or personal data from a vendor record: the type has no field that could
//! carry them, and must never grow one. The user is the name an API token was created with
//! (`api-tokens create --user`), an operator-chosen identifier rather than data from a vendor.
//!
//! Rows are written in batches ([`Store::record_audit`], one transaction each), read as a tail
//! ([`Store::audit_events`]) and pruned by age ([`Store::prune_audit`]).

use crate::sql::{Row, SqlError, SqlExec, Value, in_transaction};
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

/// How many events [`AuditQuery::default`] returns.
pub const DEFAULT_AUDIT_LIMIT: usize = 100;

/// Rows deleted per statement by [`Store::prune_audit`], so the store's lock is never held for long.
const PRUNE_CHUNK: i64 = 5_000;

/// One tool call, as audited: names and figures only.
///
/// Serialized (serde, JSON) with these field names, absent values as `null`; this is the JSON log
/// line `switchboard serve` emits per call and what `switchboard audit --format json` prints.
///
/// There is deliberately no field for arguments, bodies, tokens, credentials or personal data, and
/// there must never be one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When the call arrived, Unix milliseconds.
    pub at_ms: i64,
    /// The server (agent role) the call came through; `None` for calls outside any server
    /// (`switchboard call`, `mcp stdio` with an ad-hoc filter).
    pub server: Option<String>,
    /// The account the call acted as; `None` when none was resolved (e.g. a per-user server and a
    /// user without an account).
    pub account: Option<String>,
    /// The calling user (named by the API token), when known.
    pub user: Option<String>,
    /// The integration's name from the tool table.
    pub integration: String,
    /// The tool's name from the tool table (never a caller-chosen string for unknown tools).
    pub tool: String,
    /// `proxy` or `unified`.
    pub kind: String,
    /// The transport: `mcp`, `rest` or `stdio`.
    pub via: String,
    /// The request id (`X-Request-Id`), when there is one.
    pub request_id: Option<String>,
    /// Time from the call to its answer, milliseconds.
    pub latency_ms: u64,
    /// `ok` or the error's stable code (`rate_limited`, `auth_required`, …).
    pub outcome: String,
    /// The vendor's HTTP status, when a request was made.
    pub upstream_status: Option<u16>,
}

/// Which audit events to read: every filter that is set must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only calls through this server.
    pub server: Option<String>,
    /// Only calls as this account.
    pub account: Option<String>,
    /// Only calls by this user.
    pub user: Option<String>,
    /// Only calls at or after this time, Unix milliseconds.
    pub since_ms: Option<i64>,
    /// At most this many events: the newest ones (a tail). `0` reads nothing.
    pub limit: usize,
}

impl Default for AuditQuery {
    /// No filter, the newest [`DEFAULT_AUDIT_LIMIT`] events.
    fn default() -> Self {
        Self {
            server: None,
            account: None,
            user: None,
            since_ms: None,
            limit: DEFAULT_AUDIT_LIMIT,
        }
    }
}

const COLUMNS: &str = "at_ms, server, account, user_id, integration, tool, kind, via, request_id, \
                       latency_ms, outcome, upstream_status";

fn event_row(row: &Row) -> Result<AuditEvent, SqlError> {
    let out_of_range =
        |index: usize| SqlError::Other(format!("column {index}: a value out of range"));
    let latency = row.get_i64(9)?;
    let status = row.get_opt_i64(11)?;
    Ok(AuditEvent {
        at_ms: row.get_i64(0)?,
        server: row.get_opt_text(1)?,
        account: row.get_opt_text(2)?,
        user: row.get_opt_text(3)?,
        integration: row.get_text(4)?,
        tool: row.get_text(5)?,
        kind: row.get_text(6)?,
        via: row.get_text(7)?,
        request_id: row.get_opt_text(8)?,
        latency_ms: u64::try_from(latency).map_err(|_| out_of_range(9))?,
        outcome: row.get_text(10)?,
        upstream_status: status
            .map(|s| u16::try_from(s).map_err(|_| out_of_range(11)))
            .transpose()?,
    })
}

/// Rows per `INSERT` of audit events (12 parameters each).
const ROWS_PER_INSERT: usize = 64;

/// One `INSERT` of `events` (at most [`ROWS_PER_INSERT`]).
fn insert_events(db: &dyn SqlExec, events: &[AuditEvent]) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(events.len());
    let mut values: Vec<Value> = Vec::with_capacity(events.len() * 12);
    for e in events {
        let first = values.len() + 1;
        let placeholders: Vec<String> = (first..first + 12).map(|n| format!("?{n}")).collect();
        rows.push(format!("({})", placeholders.join(", ")));
        values.extend([
            e.at_ms.into(),
            e.server.clone().into(),
            e.account.clone().into(),
            e.user.clone().into(),
            e.integration.as_str().into(),
            e.tool.as_str().into(),
            e.kind.as_str().into(),
            e.via.as_str().into(),
            e.request_id.clone().into(),
            i64::try_from(e.latency_ms).unwrap_or(i64::MAX).into(),
            e.outcome.as_str().into(),
            e.upstream_status.map(i64::from).into(),
        ]);
    }
    db.execute(
        &format!(
            "INSERT INTO audit_events ({COLUMNS}) VALUES {}",
            rows.join(", ")
        ),
        &values,
    )?;
    Ok(())
}

impl Store {
    /// Appends `events` in one transaction (all or none). An empty slice writes nothing.
    pub fn record_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        // Many rows per statement: on PostgreSQL each statement is a network round trip.
        let chunks: Vec<&[AuditEvent]> = events.chunks(ROWS_PER_INSERT).collect();
        if let [only] = chunks.as_slice() {
            // One statement is all or none by itself.
            insert_events(self.db(), only)?;
            return Ok(());
        }
        in_transaction(self.db(), |tx| {
            for chunk in &chunks {
                insert_events(tx, chunk)?;
            }
            Ok::<_, StoreError>(())
        })
    }

    /// The newest `query.limit` events matching `query`, oldest first (a tail, like `tail -n`).
    pub fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let mut conditions = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        for (column, value) in [
            ("server", &query.server),
            ("account", &query.account),
            ("user_id", &query.user),
        ] {
            if let Some(value) = value {
                values.push(value.as_str().into());
                conditions.push(format!("{column} = ?{}", values.len()));
            }
        }
        if let Some(since) = query.since_ms {
            values.push(since.into());
            conditions.push(format!("at_ms >= ?{}", values.len()));
        }
        values.push(i64::try_from(query.limit).unwrap_or(i64::MAX).into());
        let limit_param = values.len();
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        // At most 16 distinct statements (which filters are set), so caching them all is fine.
        let sql = format!(
            "SELECT {COLUMNS} FROM (
                 SELECT id, {COLUMNS} FROM audit_events {filter}
                 ORDER BY at_ms DESC, id DESC LIMIT ?{limit_param}
             ) AS tail ORDER BY at_ms, id"
        );
        Ok(self
            .db()
            .query(&sql, &values)?
            .iter()
            .map(event_row)
            .collect::<Result<_, _>>()?)
    }

    /// Deletes the events from before `before_ms` (Unix milliseconds) and returns how many. Works in
    /// short chunks, so calls on other threads are not held up behind a large prune.
    pub fn prune_audit(&self, before_ms: i64) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let deleted = self.db().execute(
                "DELETE FROM audit_events WHERE id IN (
                     SELECT id FROM audit_events WHERE at_ms < ?1 ORDER BY at_ms LIMIT ?2
                 )",
                &[before_ms.into(), PRUNE_CHUNK.into()],
            )?;
            total += usize::try_from(deleted).unwrap_or(usize::MAX);
            if i64::try_from(deleted).unwrap_or(i64::MAX) < PRUNE_CHUNK {
                return Ok(total);
            }
        }
    }
}
