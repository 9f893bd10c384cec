//! [`SqliteSql`]: the executor over one SQLite connection behind a mutex, statements prepared once
//! and cached (`prepare_cached`).

use std::cell::Cell;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, Statement, TransactionBehavior, params_from_iter};

use super::{Dialect, Row, Sql, SqlError, SqlExec, Value, returns_rows, spoiled};

/// SQLite behind a mutex: every statement and every transaction holds the one connection.
pub struct SqliteSql {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteSql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSql").finish_non_exhaustive()
    }
}

impl SqliteSql {
    /// Over a connection the caller opened and configured (pragmas, migrations).
    pub fn new(conn: Connection) -> Self {
        Self {
            conn: Mutex::new(conn),
        }
    }

    /// Opens (creating if needed) the database file at `path` with foreign keys enforced and a
    /// five-second busy timeout; no schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SqlError> {
        let conn = Connection::open(path).map_err(map_err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(map_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(map_err)?;
        Ok(Self::new(conn))
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-done statement behind (an unfinished
        // transaction is rolled back when it drops), so the connection is still good.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SqlExec for SqliteSql {
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        execute(&self.conn(), sql, params)
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError> {
        query(&self.conn(), sql, params)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

impl Sql for SqliteSql {
    fn transaction(
        &self,
        f: &mut dyn FnMut(&dyn SqlExec) -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        let mut conn = self.conn();
        let outcome = {
            // IMMEDIATE: take the write lock at BEGIN, so two writers never deadlock upgrading.
            // A panic in `f` drops `tx`, which rolls back.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(map_err)?;
            let scope = SqliteTx {
                conn: &tx,
                failed: Cell::new(false),
            };
            let result = f(&scope);
            let failed = scope.failed.get();
            match result {
                Ok(()) if !failed => tx.commit().map_err(map_err),
                Ok(()) => {
                    let _ = tx.rollback();
                    Err(spoiled())
                }
                Err(e) => {
                    let _ = tx.rollback();
                    Err(e)
                }
            }
        };
        if !conn.is_autocommit() {
            // A failed COMMIT or ROLLBACK can leave the transaction open; never hand it on.
            let _ = conn.execute_batch("ROLLBACK");
        }
        outcome
    }
}

/// The statements of one transaction; the first failure spoils the rest (as in PostgreSQL).
struct SqliteTx<'a> {
    conn: &'a Connection,
    failed: Cell<bool>,
}

impl SqliteTx<'_> {
    fn guard<T>(&self, run: impl FnOnce() -> Result<T, SqlError>) -> Result<T, SqlError> {
        if self.failed.get() {
            return Err(spoiled());
        }
        let result = run();
        if result.is_err() {
            self.failed.set(true);
        }
        result
    }
}

impl SqlExec for SqliteTx<'_> {
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        self.guard(|| execute(self.conn, sql, params))
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError> {
        self.guard(|| query(self.conn, sql, params))
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

fn execute(conn: &Connection, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
    let mut stmt = prepare(conn, sql)?;
    if stmt.column_count() > 0 {
        return Err(returns_rows());
    }
    let changed = stmt
        .execute(params_from_iter(params.iter().map(Bind)))
        .map_err(map_err)?;
    Ok(u64::try_from(changed).unwrap_or(u64::MAX))
}

fn query(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError> {
    let mut stmt = prepare(conn, sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt
        .query(params_from_iter(params.iter().map(Bind)))
        .map_err(map_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_err)? {
        let mut values = Vec::with_capacity(columns);
        for i in 0..columns {
            values.push(match row.get_ref(i).map_err(map_err)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Text(bytes) => Value::Text(String::from_utf8(bytes.to_vec()).map_err(
                    |_| SqlError::Other(format!("SQLite: column {i} holds text that is not UTF-8")),
                )?),
                ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
                ValueRef::Real(_) => {
                    return Err(SqlError::Other(format!(
                        "SQLite: column {i} is a REAL, which the vault does not read; cast it in the SQL"
                    )));
                }
            });
        }
        out.push(Row(values));
    }
    Ok(out)
}

/// The cached statement, after checking that its placeholders are all `?N` (a bare `?` and
/// `$N`/`:name`/`@name` are refused: see `rewrite.rs`).
fn prepare<'c>(conn: &'c Connection, sql: &str) -> Result<rusqlite::CachedStatement<'c>, SqlError> {
    let stmt = conn.prepare_cached(sql).map_err(map_err)?;
    check_placeholders(&stmt)?;
    Ok(stmt)
}

fn check_placeholders(stmt: &Statement<'_>) -> Result<(), SqlError> {
    for i in 1..=stmt.parameter_count() {
        match stmt.parameter_name(i) {
            Some(name) if name.starts_with('?') => {}
            Some(name) => {
                return Err(SqlError::Other(format!(
                    "SQLite: placeholder `{name}`: the shared SQL writes ?N (a named parameter like $1 binds by first appearance, not by number)"
                )));
            }
            None => {
                return Err(SqlError::Other(format!(
                    "SQLite: parameter {i} is an unnumbered `?` or missing from the numbering: write ?1, ?2, … without gaps"
                )));
            }
        }
    }
    Ok(())
}

/// A [`Value`] bound to a SQLite statement: booleans as 0/1.
struct Bind<'a>(&'a Value);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Value::Bool(v) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*v))),
        })
    }
}

/// SQLite's messages name the constraint (`UNIQUE constraint failed: t.name`), never a value.
fn map_err(e: rusqlite::Error) -> SqlError {
    if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
        SqlError::Constraint(format!("SQLite: {e}"))
    } else {
        SqlError::Other(format!("SQLite: {e}"))
    }
}
