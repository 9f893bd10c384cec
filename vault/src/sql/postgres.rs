//! [`PgSql`]: the executor over the PostgreSQL pool. Each statement is bridged to the pool's
//! runtime; statements are prepared once per connection (deadpool's `prepare_cached`) after their
//! `?N` placeholders are rewritten to `$N` (the rewritten text is cached too). Parameters are bound
//! by the types PostgreSQL inferred for the prepared statement, so a `NULL` is a typed `NULL`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use deadpool_postgres::{Object, PoolError};
use tokio_postgres::types::{ToSql, Type};

use super::{Dialect, Row, Sql, SqlError, SqlExec, Value, returns_rows, spoiled, to_postgres};
use crate::pg::PgPool;

/// Rewritten statement texts kept at most; past it the cache starts over (the store's statements
/// are a few hundred constants, so it never should).
const MAX_CACHED_TEXTS: usize = 1024;

/// PostgreSQL through a [`PgPool`]: each statement on any pooled connection, each transaction on
/// one connection held from `BEGIN` to `COMMIT`/`ROLLBACK`. Cheap to clone (the clones share the
/// pool and the statement texts).
#[derive(Clone)]
pub struct PgSql {
    pool: Arc<PgPool>,
    /// Shared SQL text → its PostgreSQL form.
    texts: Arc<Mutex<HashMap<String, Arc<str>>>>,
}

impl std::fmt::Debug for PgSql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSql")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl PgSql {
    /// Over a connected (and migrated) pool.
    pub fn new(pool: Arc<PgPool>) -> Self {
        Self {
            pool,
            texts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The pool.
    pub fn pool(&self) -> &Arc<PgPool> {
        &self.pool
    }

    /// `sql` in PostgreSQL's placeholders, from the cache when it was seen before.
    fn text(&self, sql: &str) -> Result<Arc<str>, SqlError> {
        let mut texts = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(text) = texts.get(sql) {
            return Ok(Arc::clone(text));
        }
        let text: Arc<str> = Arc::from(to_postgres(sql)?.as_ref());
        if texts.len() >= MAX_CACHED_TEXTS {
            texts.clear();
        }
        texts.insert(sql.to_owned(), Arc::clone(&text));
        Ok(text)
    }

    /// One statement on any pooled connection.
    fn run(&self, sql: &str, params: &[Value], op: Op) -> Result<Outcome, SqlError> {
        let text = self.text(sql)?;
        let params = params.to_vec();
        let pool = self.pool.deadpool();
        let result = self
            .pool
            .block_on(async move {
                let client = pool.get().await.map_err(Fail::Pool)?;
                run_op(&client, &text, params, op).await
            })
            .map_err(|e| SqlError::Other(e.to_string()))?;
        result.map_err(|fail| self.error(fail))
    }

    fn error(&self, fail: Fail) -> SqlError {
        match fail {
            Fail::Sql(e) => e,
            Fail::Pool(e) => SqlError::Other(format!(
                "PostgreSQL at {}: {}",
                self.pool.target(),
                self.pool.pool_error_text(&e)
            )),
            Fail::Pg(e) => match e.as_db_error() {
                Some(db) => {
                    let code = db.code().code();
                    // The message only: the detail quotes the row's values ("Key (id)=(…)").
                    let message = self.pool.scrubbed(db.message());
                    if code == "55P03" {
                        SqlError::LockTimeout(format!("PostgreSQL {code}: {message}"))
                    } else if code.starts_with("23") {
                        SqlError::Constraint(format!("PostgreSQL {code}: {message}"))
                    } else if code.starts_with("22") {
                        // Data exceptions quote the offending value ("invalid input syntax …: "x"").
                        SqlError::Other(format!(
                            "PostgreSQL {code}: a data exception (the server's message is withheld: it may quote a value)"
                        ))
                    } else {
                        SqlError::Other(format!("PostgreSQL {code}: {message}"))
                    }
                }
                None => SqlError::Other(format!("PostgreSQL: {}", self.pool.driver_error_text(&e))),
            },
        }
    }
}

impl SqlExec for PgSql {
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        self.run(sql, params, Op::Execute).map(Outcome::changed)
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError> {
        self.run(sql, params, Op::Query).map(Outcome::rows)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

impl PgSql {
    /// Opens a transaction on one pooled connection and hands it over: it stays open, holding its
    /// locks, until [`PgTx::commit`] or [`PgTx::rollback`], or until it is dropped, which closes
    /// the connection (the server then rolls back; the pool never sees it mid-transaction). For
    /// work that must hold a row lock across other work, such as a network call; everything else
    /// uses [`Sql::transaction`].
    pub fn begin(&self) -> Result<PgTx, SqlError> {
        let pool = self.pool.deadpool();
        let client = self
            .pool
            .block_on(async move {
                let client = pool.get().await.map_err(Fail::Pool)?;
                client.batch_execute("BEGIN").await.map_err(Fail::Pg)?;
                Ok(client)
            })
            .map_err(|e| SqlError::Other(e.to_string()))?
            .map_err(|fail| self.error(fail))?;
        Ok(PgTx {
            sql: self.clone(),
            client: RefCell::new(Some(client)),
            failed: Cell::new(false),
        })
    }
}

impl Sql for PgSql {
    fn transaction(
        &self,
        f: &mut dyn FnMut(&dyn SqlExec) -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        // From here until `finish`, dropping `tx` (a panic in `f`) discards the connection.
        let tx = self.begin()?;
        let result = f(&tx);
        let failed = tx.failed.get();
        match result {
            Ok(()) if !failed => tx.finish("COMMIT"),
            Ok(()) => {
                let _ = tx.finish("ROLLBACK");
                Err(spoiled())
            }
            Err(e) => {
                let _ = tx.finish("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// An open transaction on its one connection (see [`PgSql::begin`]). Statements after a failed
/// one fail (the server would refuse them too). `Send`, so it can travel with the work it guards.
pub struct PgTx {
    sql: PgSql,
    /// The connection; out of it only while a statement runs on the runtime.
    client: RefCell<Option<Object>>,
    failed: Cell<bool>,
}

impl PgTx {
    /// Commits; a transaction in which a statement failed rolls back instead and says so.
    pub fn commit(self) -> Result<(), SqlError> {
        if self.failed.get() {
            let _ = self.finish("ROLLBACK");
            return Err(spoiled());
        }
        self.finish("COMMIT")
    }

    /// Rolls back.
    pub fn rollback(self) -> Result<(), SqlError> {
        self.finish("ROLLBACK")
    }

    fn run(&self, sql: &str, params: &[Value], op: Op) -> Result<Outcome, SqlError> {
        if self.failed.get() {
            return Err(spoiled());
        }
        let result = self.run_unguarded(sql, params, op);
        if result.is_err() {
            self.failed.set(true);
        }
        result
    }

    fn run_unguarded(&self, sql: &str, params: &[Value], op: Op) -> Result<Outcome, SqlError> {
        let text = self.sql.text(sql)?;
        let client = self.take_client()?;
        let params = params.to_vec();
        let (client, result) = self
            .sql
            .pool
            .block_on(async move {
                let result = run_op(&client, &text, params, op).await;
                (client, result)
            })
            .map_err(|e| SqlError::Other(e.to_string()))?;
        *self.client.borrow_mut() = Some(client);
        result.map_err(|fail| self.sql.error(fail))
    }

    fn take_client(&self) -> Result<Object, SqlError> {
        self.client.borrow_mut().take().ok_or_else(|| {
            SqlError::Other("PostgreSQL: the transaction lost its connection".to_owned())
        })
    }

    /// Ends the transaction with `COMMIT` or `ROLLBACK`. The connection goes back to the pool only
    /// when that succeeded; otherwise it is discarded.
    fn finish(self, statement: &'static str) -> Result<(), SqlError> {
        let client = self.take_client()?;
        let (client, result) = self
            .sql
            .pool
            .block_on(async move {
                let result = client.batch_execute(statement).await;
                (client, result)
            })
            .map_err(|e| SqlError::Other(e.to_string()))?;
        match result {
            Ok(()) => {
                drop(client); // back to the pool, idle
                Ok(())
            }
            Err(e) => {
                drop(Object::take(client));
                Err(self.sql.error(Fail::Pg(e)))
            }
        }
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        if let Some(client) = self.client.get_mut().take() {
            // Still mid-transaction (the closure panicked): close it rather than pool it.
            drop(Object::take(client));
        }
    }
}

impl SqlExec for PgTx {
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        self.run(sql, params, Op::Execute).map(Outcome::changed)
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError> {
        self.run(sql, params, Op::Query).map(Outcome::rows)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

#[derive(Clone, Copy)]
enum Op {
    Execute,
    Query,
}

enum Outcome {
    Changed(u64),
    Rows(Vec<Row>),
}

impl Outcome {
    fn changed(self) -> u64 {
        match self {
            Self::Changed(n) => n,
            Self::Rows(rows) => u64::try_from(rows.len()).unwrap_or(u64::MAX),
        }
    }

    fn rows(self) -> Vec<Row> {
        match self {
            Self::Rows(rows) => rows,
            Self::Changed(_) => Vec::new(),
        }
    }
}

/// Why a statement failed, before it becomes a [`SqlError`] (which needs the pool's scrubber).
enum Fail {
    Pool(PoolError),
    Pg(tokio_postgres::Error),
    Sql(SqlError),
}

/// Prepares (cached per connection), binds by the inferred parameter types, runs, reads.
async fn run_op(client: &Object, text: &str, params: Vec<Value>, op: Op) -> Result<Outcome, Fail> {
    let stmt = client.prepare_cached(text).await.map_err(Fail::Pg)?;
    if matches!(op, Op::Execute) && !stmt.columns().is_empty() {
        return Err(Fail::Sql(returns_rows()));
    }
    let types = stmt.params();
    if types.len() != params.len() {
        return Err(Fail::Sql(SqlError::Other(format!(
            "PostgreSQL: the statement takes {} parameter(s), {} given",
            types.len(),
            params.len()
        ))));
    }
    let bound = params
        .into_iter()
        .zip(types)
        .enumerate()
        .map(|(i, (value, ty))| bind(value, ty, i + 1))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Fail::Sql)?;
    let refs: Vec<&(dyn ToSql + Sync)> =
        bound.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
    match op {
        Op::Execute => client
            .execute(&stmt, &refs)
            .await
            .map(Outcome::Changed)
            .map_err(Fail::Pg),
        Op::Query => {
            let rows = client.query(&stmt, &refs).await.map_err(Fail::Pg)?;
            rows.iter()
                .map(read_row)
                .collect::<Result<Vec<_>, _>>()
                .map(Outcome::Rows)
                .map_err(Fail::Sql)
        }
    }
}

/// The PostgreSQL types a [`Value`] binds to and is read from.
#[derive(Clone, Copy)]
enum Kind {
    Int8,
    Int4,
    Int2,
    Text,
    Bytea,
    Bool,
}

fn kind_of(ty: &Type) -> Option<Kind> {
    Some(if *ty == Type::INT8 {
        Kind::Int8
    } else if *ty == Type::INT4 {
        Kind::Int4
    } else if *ty == Type::INT2 {
        Kind::Int2
    } else if [
        Type::TEXT,
        Type::VARCHAR,
        Type::BPCHAR,
        Type::NAME,
        Type::UNKNOWN,
    ]
    .contains(ty)
    {
        Kind::Text
    } else if *ty == Type::BYTEA {
        Kind::Bytea
    } else if *ty == Type::BOOL {
        Kind::Bool
    } else {
        return None;
    })
}

/// Parameter `?n` as the type PostgreSQL expects; never a message with the value.
fn bind(value: Value, ty: &Type, n: usize) -> Result<Box<dyn ToSql + Sync + Send>, SqlError> {
    let Some(kind) = kind_of(ty) else {
        return Err(SqlError::Other(format!(
            "PostgreSQL: parameter ?{n} has type {ty}, which the vault does not bind; cast it in the SQL"
        )));
    };
    let out_of_range = || {
        SqlError::Other(format!(
            "PostgreSQL: parameter ?{n} is {ty} and the value is out of its range; make the column BIGINT"
        ))
    };
    Ok(match (kind, value) {
        (Kind::Int8, Value::Null) => Box::new(None::<i64>),
        (Kind::Int4, Value::Null) => Box::new(None::<i32>),
        (Kind::Int2, Value::Null) => Box::new(None::<i16>),
        (Kind::Text, Value::Null) => Box::new(None::<String>),
        (Kind::Bytea, Value::Null) => Box::new(None::<Vec<u8>>),
        (Kind::Bool, Value::Null) => Box::new(None::<bool>),
        (Kind::Int8, Value::Int(v)) => Box::new(v),
        (Kind::Int4, Value::Int(v)) => Box::new(i32::try_from(v).map_err(|_| out_of_range())?),
        (Kind::Int2, Value::Int(v)) => Box::new(i16::try_from(v).map_err(|_| out_of_range())?),
        (Kind::Text, Value::Text(v)) => Box::new(v),
        (Kind::Bytea, Value::Blob(v)) => Box::new(v),
        (Kind::Bool, Value::Bool(v)) => Box::new(v),
        (_, other) => {
            return Err(SqlError::Other(format!(
                "PostgreSQL: parameter ?{n} is {ty} but the value is {}; cast the placeholder in the SQL (e.g. CAST(?{n} AS BIGINT))",
                other.kind()
            )));
        }
    })
}

fn read_row(row: &tokio_postgres::Row) -> Result<Row, SqlError> {
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let read_error = |e: tokio_postgres::Error| {
            SqlError::Other(format!("PostgreSQL: cannot read column {i} ({ty}): {e}"))
        };
        let value = match kind_of(ty) {
            Some(Kind::Int8) => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
            Some(Kind::Int4) => row
                .try_get::<_, Option<i32>>(i)
                .map(|v| v.map(|v| Value::Int(v.into()))),
            Some(Kind::Int2) => row
                .try_get::<_, Option<i16>>(i)
                .map(|v| v.map(|v| Value::Int(v.into()))),
            Some(Kind::Text) => row.try_get::<_, Option<String>>(i).map(|v| v.map(Value::Text)),
            Some(Kind::Bytea) => row
                .try_get::<_, Option<Vec<u8>>>(i)
                .map(|v| v.map(Value::Blob)),
            Some(Kind::Bool) => row.try_get::<_, Option<bool>>(i).map(|v| v.map(Value::Bool)),
            None => {
                return Err(SqlError::Other(format!(
                    "PostgreSQL: column {i} (`{}`) has type {ty}, which the vault does not read; cast it in the SQL",
                    column.name()
                )));
            }
        }
        .map_err(read_error)?;
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}
