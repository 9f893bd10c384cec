//! The SQL executor's behaviour, written once and run against both backends: `sqlite::<test>` on
//! a temporary file, `postgres::<test>` on a fresh database of its own (skipped with a printed
//! reason when `SWITCHBOARD_TEST_POSTGRES` is unset outside CI; see `support/postgres.rs`).
//!
//! Each test body below is a function of a [`Backend`]; the `suite!` macro instantiates every one
//! of them in one module per backend, so the same assertions hold for both.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on a broken environment.

mod support {
    pub mod postgres;
}

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use switchboard_vault::pg::PgPool;
use switchboard_vault::sql::{
    Dialect, PgSql, Row, Sql, SqlError, SqliteSql, Value, in_transaction,
};

use support::postgres::TestDb;

/// A database to test against, and what keeps it alive.
struct Backend {
    db: Arc<dyn Sql>,
    /// The column type for bytes (`BLOB` in SQLite, `BYTEA` in PostgreSQL).
    blob: &'static str,
    /// The engine it is.
    dialect: Dialect,
    _keep: Box<dyn std::any::Any>,
}

impl Backend {
    /// The scratch table every test uses.
    fn scratch(&self) {
        let ddl = format!(
            "CREATE TABLE scratch (
                 id   BIGINT NOT NULL PRIMARY KEY,
                 i    BIGINT,
                 t    TEXT,
                 b    {},
                 f    BOOLEAN,
                 name TEXT UNIQUE,
                 n    BIGINT CHECK (n >= 0)
             )",
            self.blob
        );
        self.db.execute(&ddl, &[]).unwrap();
    }

    fn count(&self) -> i64 {
        self.db
            .query_opt("SELECT count(*) FROM scratch", &[])
            .unwrap()
            .unwrap()
            .get_i64(0)
            .unwrap()
    }
}

fn sqlite_backend() -> Option<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteSql::open(dir.path().join("sql.db")).unwrap();
    Some(Backend {
        db: Arc::new(db),
        blob: "BLOB",
        dialect: Dialect::Sqlite,
        _keep: Box::new(dir),
    })
}

fn postgres_backend() -> Option<Backend> {
    let test_db = TestDb::create()?;
    let pool = PgPool::connect(&test_db.url).unwrap();
    let db = PgSql::new(Arc::new(pool));
    Some(Backend {
        db: Arc::new(db),
        blob: "BYTEA",
        dialect: Dialect::Postgres,
        // Declared after `db`: the pool closes before the database is dropped.
        _keep: Box::new(test_db),
    })
}

/// Instantiates every test body for one backend, as `<backend>::<test>`.
macro_rules! suite {
    ($backend:ident, $open:path) => {
        mod $backend {
            suite!(@tests $open;
                round_trip_of_every_type,
                nulls_of_every_type,
                getters_report_the_column_and_the_type_found,
                constraint_violations_map_to_constraint,
                other_errors_are_other,
                transaction_commits_on_ok,
                transaction_rolls_back_on_err,
                transaction_rolls_back_on_panic,
                a_failed_statement_spoils_the_transaction,
                in_transaction_returns_values_and_caller_errors,
                reused_placeholder_binds_the_same_value,
                query_opt_on_no_rows_is_none,
                bare_and_dollar_placeholders_are_refused,
                execute_counts_changed_rows,
                execute_refuses_statements_that_return_rows,
                shared_across_threads,
            );
        }
    };
    (@tests $open:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                if let Some(backend) = $open() {
                    super::$name(&backend);
                }
            }
        )*
    };
}

suite!(sqlite, super::sqlite_backend);
suite!(postgres, super::postgres_backend);

fn round_trip_of_every_type(b: &Backend) {
    b.scratch();
    let rows: [(i64, i64, &str, &[u8], bool); 4] = [
        (1, i64::MAX, "plain", b"\x00\x01\xff", true),
        (2, i64::MIN, "it's \"quoted\" ?1 $1 -- é ✓", b"", false),
        (3, 0, "", &[0u8; 300], true),
        (4, -1, "\n\t", b"?1", false),
    ];
    for (id, i, t, blob, f) in rows {
        let changed =
            b.db.execute(
                "INSERT INTO scratch (id, i, t, b, f) VALUES (?1, ?2, ?3, ?4, ?5)",
                &[id.into(), i.into(), t.into(), blob.into(), f.into()],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }
    let got =
        b.db.query("SELECT id, i, t, b, f FROM scratch ORDER BY id", &[])
            .unwrap();
    assert_eq!(got.len(), rows.len());
    for (row, (id, i, t, blob, f)) in got.iter().zip(rows) {
        assert_eq!(row.len(), 5);
        assert_eq!(row.get_i64(0).unwrap(), id);
        assert_eq!(row.get_i64(1).unwrap(), i);
        assert_eq!(row.get_text(2).unwrap(), t);
        assert_eq!(row.get_blob(3).unwrap(), blob);
        assert_eq!(row.get_bool(4).unwrap(), f);
        assert_eq!(row.get_opt_i64(1).unwrap(), Some(i));
        assert_eq!(row.get_opt_text(2).unwrap().as_deref(), Some(t));
        assert_eq!(row.get_opt_blob(3).unwrap().as_deref(), Some(blob));
        assert_eq!(row.get_opt_bool(4).unwrap(), Some(f));
    }
    // Filtering by each type binds it the same way.
    let found =
        b.db.query_opt(
            "SELECT id FROM scratch WHERE i = ?1 AND t = ?2 AND b = ?3 AND f = ?4",
            &[
                i64::MIN.into(),
                rows[1].2.into(),
                Value::Blob(Vec::new()),
                false.into(),
            ],
        )
        .unwrap()
        .unwrap();
    assert_eq!(found.get_i64(0).unwrap(), 2);
}

fn nulls_of_every_type(b: &Backend) {
    b.scratch();
    b.db.execute(
        "INSERT INTO scratch (id, i, t, b, f) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            7.into(),
            Value::Null,
            None::<String>.into(),
            None::<Vec<u8>>.into(),
            None::<bool>.into(),
        ],
    )
    .unwrap();
    let row =
        b.db.query_opt("SELECT i, t, b, f FROM scratch WHERE id = ?1", &[7.into()])
            .unwrap()
            .unwrap();
    assert_eq!(row, Row(vec![Value::Null; 4]));
    assert_eq!(row.get_opt_i64(0).unwrap(), None);
    assert_eq!(row.get_opt_text(1).unwrap(), None);
    assert_eq!(row.get_opt_blob(2).unwrap(), None);
    assert_eq!(row.get_opt_bool(3).unwrap(), None);
    // NULL parameters compare as NULL: `IS` finds the row, `=` does not. (PostgreSQL must know a
    // parameter's type: `?1 IS NULL` alone does not say, so it is cast.)
    let null_checks =
        b.db.query(
            "SELECT id FROM scratch WHERE i IS NULL AND t IS NULL AND CAST(?1 AS TEXT) IS NULL",
            &[Value::Null],
        )
        .unwrap();
    assert_eq!(null_checks.len(), 1);
    assert!(
        b.db.query_opt("SELECT id FROM scratch WHERE t = ?1", &[Value::Null])
            .unwrap()
            .is_none()
    );
    // Setting a value back to NULL through an UPDATE, for every type.
    b.db.execute(
        "UPDATE scratch SET i = ?1, t = ?2, b = ?3, f = ?4 WHERE id = ?5",
        &[
            1.into(),
            "x".into(),
            b"y".as_slice().into(),
            true.into(),
            7.into(),
        ],
    )
    .unwrap();
    b.db.execute(
        "UPDATE scratch SET i = ?1, t = ?2, b = ?3, f = ?4 WHERE id = ?5",
        &[Value::Null, Value::Null, Value::Null, Value::Null, 7.into()],
    )
    .unwrap();
    let row =
        b.db.query_opt("SELECT i, t, b, f FROM scratch WHERE id = ?1", &[7.into()])
            .unwrap()
            .unwrap();
    assert_eq!(row, Row(vec![Value::Null; 4]));
}

fn getters_report_the_column_and_the_type_found(b: &Backend) {
    b.scratch();
    b.db.execute(
        "INSERT INTO scratch (id, t) VALUES (?1, ?2)",
        &[1.into(), "s3cret-value".into()],
    )
    .unwrap();
    let row =
        b.db.query_opt("SELECT id, t, i FROM scratch", &[])
            .unwrap()
            .unwrap();
    let err = row.get_i64(1).unwrap_err().to_string();
    assert!(err.contains("column 1") && err.contains("Text"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    let err = row.get_text(2).unwrap_err().to_string();
    assert!(err.contains("column 2") && err.contains("Null"), "{err}");
    let err = row.get_blob(0).unwrap_err().to_string();
    assert!(err.contains("column 0") && err.contains("Int"), "{err}");
}

fn constraint_violations_map_to_constraint(b: &Backend) {
    b.scratch();
    let secret = "s3cret-unique-name";
    b.db.execute(
        "INSERT INTO scratch (id, name) VALUES (?1, ?2)",
        &[1.into(), secret.into()],
    )
    .unwrap();
    let violations = [
        // primary key
        (
            "INSERT INTO scratch (id, name) VALUES (?1, ?2)",
            vec![1.into(), "other".into()],
        ),
        // unique
        (
            "INSERT INTO scratch (id, name) VALUES (?1, ?2)",
            vec![2.into(), secret.into()],
        ),
        // not null (declared: SQLite lets a primary key that is not INTEGER be NULL otherwise)
        (
            "INSERT INTO scratch (id, name) VALUES (?1, ?2)",
            vec![Value::Null, "third".into()],
        ),
        // check
        (
            "INSERT INTO scratch (id, n) VALUES (?1, ?2)",
            vec![3.into(), (-42_i64).into()],
        ),
    ];
    for (sql, params) in violations {
        let err = b.db.execute(sql, &params).unwrap_err();
        assert!(matches!(err, SqlError::Constraint(_)), "{err:?}");
        let text = format!("{err} {err:?}");
        assert!(!text.contains(secret) && !text.contains("-42"), "{text}");
    }
    // A foreign key.
    b.db.execute(
        "CREATE TABLE child (id BIGINT PRIMARY KEY, parent BIGINT NOT NULL REFERENCES scratch (id))",
        &[],
    )
    .unwrap();
    b.db.execute(
        "INSERT INTO child (id, parent) VALUES (?1, ?2)",
        &[1.into(), 1.into()],
    )
    .unwrap();
    let err =
        b.db.execute(
            "INSERT INTO child (id, parent) VALUES (?1, ?2)",
            &[2.into(), 99.into()],
        )
        .unwrap_err();
    assert!(matches!(err, SqlError::Constraint(_)), "{err:?}");
    assert_eq!(b.count(), 1);
}

fn other_errors_are_other(b: &Backend) {
    b.scratch();
    for (sql, params) in [
        ("SELEKT 1", vec![]),
        ("SELECT nope FROM scratch", vec![]),
        ("SELECT id FROM no_such_table", vec![]),
        // too few and too many parameters
        ("SELECT id FROM scratch WHERE id = ?1", vec![]),
        (
            "SELECT id FROM scratch WHERE id = ?1",
            vec![1.into(), 2.into()],
        ),
    ] {
        let err = b.db.query(sql, &params).unwrap_err();
        assert!(matches!(err, SqlError::Other(_)), "{sql}: {err:?}");
    }
}

fn transaction_commits_on_ok(b: &Backend) {
    b.scratch();
    b.db.transaction(&mut |tx| {
        tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[1.into()])?;
        tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[2.into()])?;
        // The transaction sees its own writes.
        let n = tx
            .query_opt("SELECT count(*) FROM scratch", &[])?
            .unwrap()
            .get_i64(0)?;
        assert_eq!(n, 2);
        Ok(())
    })
    .unwrap();
    assert_eq!(b.count(), 2);
}

fn transaction_rolls_back_on_err(b: &Backend) {
    b.scratch();
    let err =
        b.db.transaction(&mut |tx| {
            tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[1.into()])?;
            Err(SqlError::Other("the caller changed its mind".into()))
        })
        .unwrap_err();
    assert_eq!(err, SqlError::Other("the caller changed its mind".into()));
    assert_eq!(b.count(), 0);
    // A constraint error inside comes back as itself, and rolls back the rows before it.
    let err =
        b.db.transaction(&mut |tx| {
            tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[5.into()])?;
            tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[5.into()])?;
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(err, SqlError::Constraint(_)), "{err:?}");
    assert_eq!(b.count(), 0);
    // And the database is usable afterwards, in and out of transactions.
    b.db.transaction(&mut |tx| {
        tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[5.into()])
            .map(drop)
    })
    .unwrap();
    assert_eq!(b.count(), 1);
}

fn transaction_rolls_back_on_panic(b: &Backend) {
    b.scratch();
    let db = Arc::clone(&b.db);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _ = db.transaction(&mut |tx| {
            tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[1.into()])?;
            panic!("boom inside the transaction");
        });
    }));
    assert!(caught.is_err(), "the panic goes on unwinding");
    // Never visible: not now, not through whichever connection serves the next statements (a
    // connection pooled mid-transaction would show the row to its next user).
    for _ in 0..20 {
        assert_eq!(b.count(), 0);
    }
    b.db.transaction(&mut |tx| {
        tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[1.into()])
            .map(drop)
    })
    .unwrap();
    assert_eq!(b.count(), 1);
}

fn a_failed_statement_spoils_the_transaction(b: &Backend) {
    b.scratch();
    b.db.execute("INSERT INTO scratch (id) VALUES (?1)", &[1.into()])
        .unwrap();
    let mut after = None;
    let err =
        b.db.transaction(&mut |tx| {
            tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[2.into()])?;
            let dup = tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[1.into()]);
            assert!(matches!(dup, Err(SqlError::Constraint(_))), "{dup:?}");
            // Swallowed: later statements fail, and Ok does not commit.
            after = Some(tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[3.into()]));
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(err, SqlError::Other(_)), "{err:?}");
    assert!(err.to_string().contains("rolled back"), "{err}");
    let after = after.unwrap().unwrap_err();
    assert!(after.to_string().contains("earlier statement"), "{after}");
    assert_eq!(b.count(), 1);
}

#[derive(Debug, PartialEq)]
enum AppError {
    Exists(i64),
    Sql(String),
}

impl From<SqlError> for AppError {
    fn from(e: SqlError) -> Self {
        Self::Sql(e.to_string())
    }
}

fn in_transaction_returns_values_and_caller_errors(b: &Backend) {
    b.scratch();
    let insert = |id: i64| {
        in_transaction(&*b.db, |tx| {
            let exists = tx.query_opt("SELECT id FROM scratch WHERE id = ?1", &[id.into()])?;
            if exists.is_some() {
                return Err(AppError::Exists(id));
            }
            tx.execute(
                "INSERT INTO scratch (id, t) VALUES (?1, ?2)",
                &[id.into(), "new".into()],
            )?;
            Ok(id * 10)
        })
    };
    assert_eq!(insert(1), Ok(10));
    assert_eq!(insert(1), Err(AppError::Exists(1)));
    // A caller error after a write rolls the write back.
    let result: Result<(), AppError> = in_transaction(&*b.db, |tx| {
        tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[2.into()])?;
        Err(AppError::Exists(2))
    });
    assert_eq!(result, Err(AppError::Exists(2)));
    // An SQL error converts into the caller's error.
    let result: Result<(), AppError> = in_transaction(&*b.db, |tx| {
        tx.execute("INSERT INTO scratch (id) VALUES (?1)", &[1.into()])?;
        Ok(())
    });
    assert!(
        matches!(&result, Err(AppError::Sql(m)) if m.starts_with("constraint violated")),
        "{result:?}"
    );
    assert_eq!(b.count(), 1);
}

fn reused_placeholder_binds_the_same_value(b: &Backend) {
    let row =
        b.db.query_opt("SELECT ?1, ?2, ?1", &["a".into(), "b".into()])
            .unwrap()
            .unwrap();
    assert_eq!(row.0, vec![Value::from("a"), "b".into(), "a".into()]);
    // Out of order, and reused across columns of different statements.
    let row =
        b.db.query_opt(
            "SELECT CAST(?2 AS BIGINT), ?1, CAST(?2 AS BIGINT) + 1",
            &["x".into(), 41.into()],
        )
        .unwrap()
        .unwrap();
    assert_eq!(row.get_i64(0).unwrap(), 41);
    assert_eq!(row.get_text(1).unwrap(), "x");
    assert_eq!(row.get_i64(2).unwrap(), 42);
    b.scratch();
    b.db.execute(
        "INSERT INTO scratch (id, i, t, name) VALUES (?2, ?2, ?1, ?1)",
        &["same".into(), 9.into()],
    )
    .unwrap();
    let row =
        b.db.query_opt("SELECT id, i, t, name FROM scratch", &[])
            .unwrap()
            .unwrap();
    assert_eq!(
        row.0,
        vec![Value::Int(9), Value::Int(9), "same".into(), "same".into()]
    );
    // A `?1` inside a literal is text in both engines.
    let row =
        b.db.query_opt("SELECT '?1', ?1", &["v".into()])
            .unwrap()
            .unwrap();
    assert_eq!(row.0, vec![Value::from("?1"), "v".into()]);
}

fn query_opt_on_no_rows_is_none(b: &Backend) {
    b.scratch();
    assert!(
        b.db.query_opt("SELECT id FROM scratch WHERE id = ?1", &[1.into()])
            .unwrap()
            .is_none()
    );
    assert!(
        b.db.query("SELECT id FROM scratch", &[])
            .unwrap()
            .is_empty()
    );
    b.db.transaction(&mut |tx| {
        assert!(tx.query_opt("SELECT id FROM scratch", &[])?.is_none());
        Ok(())
    })
    .unwrap();
}

fn bare_and_dollar_placeholders_are_refused(b: &Backend) {
    for sql in ["SELECT ?", "SELECT $1", "SELECT ?1, ?"] {
        let err = b.db.query(sql, &["a".into()]).unwrap_err();
        assert!(matches!(err, SqlError::Other(_)), "{sql}: {err:?}");
        assert!(
            err.to_string().contains("?N") || err.to_string().contains("?1"),
            "{sql}: {err}"
        );
    }
}

fn execute_counts_changed_rows(b: &Backend) {
    b.scratch();
    for id in 1..=3_i64 {
        b.db.execute(
            "INSERT INTO scratch (id, i) VALUES (?1, ?2)",
            &[id.into(), (id % 2).into()],
        )
        .unwrap();
    }
    assert_eq!(
        b.db.execute(
            "UPDATE scratch SET t = ?1 WHERE i = ?2",
            &["odd".into(), 1.into()]
        )
        .unwrap(),
        2
    );
    assert_eq!(
        b.db.execute("DELETE FROM scratch WHERE id = ?1", &[99.into()])
            .unwrap(),
        0
    );
    // ON CONFLICT … DO NOTHING is the portable "insert unless present".
    assert_eq!(
        b.db.execute(
            "INSERT INTO scratch (id) VALUES (?1) ON CONFLICT (id) DO NOTHING",
            &[1.into()]
        )
        .unwrap(),
        0
    );
    // Each handle, and each transaction, says which engine it runs on.
    assert_eq!(b.db.dialect(), b.dialect);
    b.db.transaction(&mut |tx| {
        assert_eq!(tx.dialect(), b.dialect);
        Ok(())
    })
    .unwrap();
}

fn execute_refuses_statements_that_return_rows(b: &Backend) {
    b.scratch();
    for sql in [
        "SELECT id FROM scratch",
        "INSERT INTO scratch (id) VALUES (?1) RETURNING id",
    ] {
        let params: &[Value] = if sql.contains("?1") {
            &[Value::Int(1)]
        } else {
            &[]
        };
        let err = b.db.execute(sql, params).unwrap_err();
        assert!(err.to_string().contains("use query"), "{sql}: {err}");
    }
    // Refused before it ran: nothing was inserted.
    assert_eq!(b.count(), 0);
    // `query` runs it and returns what it returns.
    let rows =
        b.db.query(
            "INSERT INTO scratch (id, t) VALUES (?1, ?2) RETURNING id, t",
            &[4.into(), "four".into()],
        )
        .unwrap();
    assert_eq!(rows, vec![Row(vec![Value::Int(4), "four".into()])]);
    assert_eq!(b.count(), 1);
}

fn shared_across_threads(b: &Backend) {
    b.scratch();
    let threads: Vec<_> = (0..8_i64)
        .map(|t| {
            let db = Arc::clone(&b.db);
            std::thread::spawn(move || {
                for k in 0..10_i64 {
                    let id = t * 100 + k;
                    db.transaction(&mut |tx| {
                        tx.execute(
                            "INSERT INTO scratch (id, i) VALUES (?1, ?2)",
                            &[id.into(), t.into()],
                        )?;
                        tx.execute(
                            "UPDATE scratch SET n = ?1 WHERE id = ?2",
                            &[k.into(), id.into()],
                        )?;
                        Ok(())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(b.count(), 80);
    let sum =
        b.db.query_opt("SELECT CAST(sum(n) AS BIGINT) FROM scratch", &[])
            .unwrap()
            .unwrap();
    assert_eq!(sum.get_i64(0).unwrap(), 8 * 45);
}
