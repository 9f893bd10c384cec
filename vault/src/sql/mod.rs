//! A small synchronous SQL executor with two implementations, so the store's logic (sealing,
//! validation, error mapping) is written once: [`SqliteSql`] over one SQLite connection and
//! [`PgSql`] over the PostgreSQL pool.
//!
//! The rules the shared SQL follows:
//! - placeholders are SQLite's numbered `?1`, `?2`, … (rewritten to `$N` for PostgreSQL, see
//!   [`to_postgres`]); never a bare `?`, never `$N`; both backends refuse either;
//! - integers are `BIGINT` ([`Value::Int`]), text `TEXT`, bytes `BLOB`/`BYTEA`, booleans `BOOLEAN`
//!   ([`Value::Bool`]; SQLite stores 0/1 and [`Row::get_bool`] reads both). PostgreSQL infers a
//!   parameter's type from the statement and binds only a value of that type: an untyped
//!   `SELECT ?1` is `TEXT` there, so write `CAST(?1 AS BIGINT)` when it must be an integer. Columns
//!   of other types (`NUMERIC` from `sum()`, timestamps) are refused: cast them in the SQL;
//! - `INSERT … ON CONFLICT … DO NOTHING / DO UPDATE` and `RETURNING` work in both engines; `INSERT
//!   OR IGNORE`, `FOR UPDATE` and advisory locks do not (see [`SqlExec::dialect`]).
//!
//! Errors ([`SqlError`]) tell constraint violations from everything else and never hold parameter
//! values.
//!
//! Transactions ([`Sql::transaction`], or [`in_transaction`] to return a value or another error
//! type) commit when the closure returns `Ok` and roll back when it returns `Err` or panics. **A
//! statement that fails inside a transaction spoils it on both backends**: later statements fail and
//! the transaction rolls back even if the closure swallowed the error and returned `Ok` (PostgreSQL
//! behaves so natively; SQLite is made to match). The closure must not use the outer [`Sql`] handle:
//! on SQLite that waits forever for the connection it holds, on PostgreSQL it takes a second pooled
//! connection outside the transaction.

mod postgres;
mod rewrite;
mod sqlite;
mod value;

pub use postgres::{PgSql, PgTx};
pub use rewrite::to_postgres;
pub use sqlite::SqliteSql;
pub use value::{Row, Value};

/// What a statement can fail with. Messages say what the engine said (constraint names, SQLSTATE
/// codes) but never a parameter's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// A unique, primary key, foreign key, not-null or check constraint was violated (SQLite's
    /// `SQLITE_CONSTRAINT`, PostgreSQL's SQLSTATE class 23).
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// A lock could not be had in time (PostgreSQL's `lock_timeout`, SQLSTATE 55P03).
    #[error("lock not available: {0}")]
    LockTimeout(String),
    /// Anything else: a syntax error, a type mismatch, a lost connection, a spoiled transaction.
    #[error("{0}")]
    Other(String),
}

/// Which engine runs the statements, for the rare SQL that cannot be written the same in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Running statements, inside a transaction or not: the shared store code takes a `&dyn SqlExec`
/// so one function serves both (`&dyn Sql` coerces to it).
pub trait SqlExec {
    /// Runs a statement that returns no rows; returns how many rows it changed. A statement that
    /// returns rows (a `SELECT`, `… RETURNING`) is refused before it runs, on both backends: use
    /// [`query`](Self::query) for it.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError>;

    /// Runs a query; returns all its rows.
    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError>;

    /// Runs a query; returns its first row, or `None` when it has none.
    fn query_opt(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, SqlError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The engine.
    fn dialect(&self) -> Dialect;
}

/// A database: statements, and transactions. Object-safe, `Send + Sync`; share it with an `Arc`.
pub trait Sql: SqlExec + Send + Sync {
    /// Runs `f` in one transaction (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `BEGIN` on one pooled
    /// connection held throughout). Commits when `f` returns `Ok` and no statement in it failed;
    /// otherwise rolls back and returns `f`'s error (or the statement's). A panic in `f` rolls back
    /// and goes on unwinding. `f` is called once.
    fn transaction(
        &self,
        f: &mut dyn FnMut(&dyn SqlExec) -> Result<(), SqlError>,
    ) -> Result<(), SqlError>;
}

/// [`Sql::transaction`] for closures that return a value or fail with the caller's own error type
/// (a store error such as "account exists"): `Err` rolls back and comes back unchanged.
pub fn in_transaction<T, E>(
    db: &dyn Sql,
    f: impl FnOnce(&dyn SqlExec) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<SqlError>,
{
    let mut f = Some(f);
    let mut outcome: Option<Result<T, E>> = None;
    let result = db.transaction(&mut |tx| {
        let Some(f) = f.take() else {
            return Err(SqlError::Other(
                "the transaction closure was called twice".to_owned(),
            ));
        };
        match f(tx) {
            Ok(value) => {
                outcome = Some(Ok(value));
                Ok(())
            }
            Err(e) => {
                outcome = Some(Err(e));
                Err(SqlError::Other("rolled back by the caller".to_owned()))
            }
        }
    });
    match (result, outcome) {
        // The caller's own error wins over the rollback marker.
        (_, Some(Err(e))) => Err(e),
        (Ok(()), Some(Ok(value))) => Ok(value),
        (Err(e), _) => Err(e.into()),
        (Ok(()), None) => Err(SqlError::Other(
            "the transaction committed without running its closure".to_owned(),
        )
        .into()),
    }
}

/// What a statement in a transaction answers after an earlier one failed, and what the
/// transaction returns when its closure swallowed such a failure.
fn spoiled() -> SqlError {
    SqlError::Other(
        "an earlier statement in this transaction failed; the transaction was rolled back"
            .to_owned(),
    )
}

/// What `execute` answers for a statement that returns rows.
fn returns_rows() -> SqlError {
    SqlError::Other(
        "execute was given a statement that returns rows (SELECT, RETURNING): use query".to_owned(),
    )
}
