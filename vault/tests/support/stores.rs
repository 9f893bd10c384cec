//! Stores to test against, one factory per backend, and [`store_suite!`], which runs the same test
//! bodies on both: `sqlite::<test>` on a file in a temporary directory, `postgres::<test>` on a
//! fresh database of its own (skipped with a printed reason when `SWITCHBOARD_TEST_POSTGRES` is
//! unset outside CI; see `support/postgres.rs`).
//!
//! A test body is a function of a [`Stores`]: it opens as many [`Store`] handles on the one
//! database as it needs ([`Stores::open`]; two handles are two replicas, or a restart), all with
//! the same fixed test master key unless it asks for another.

#![allow(dead_code)] // Each test file uses a different part.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use switchboard_vault::pg::PgPool;
use switchboard_vault::sql::{PgSql, Sql, SqliteSql};
use switchboard_vault::{Keyring, MasterKey, Store, StoreError};

use super::postgres::TestDb;

/// The master key every [`Stores::open`] uses; tests that need a wrong or a second key pick
/// another (they use small repeated bytes, never this one).
pub const TEST_KEY: [u8; 32] = [0x5b; 32];

/// One database on one backend, empty until a store is opened on it.
pub struct Stores {
    key: MasterKey,
    /// It holds no store and no pool: every handle a test opens is the test's own and is dropped
    /// before the test returns, so before this (and its database) is.
    engine: Engine,
}

enum Engine {
    /// An SQLite file in a temporary directory of its own, deleted with it.
    Sqlite {
        file: PathBuf,
        _dir: tempfile::TempDir,
    },
    /// A PostgreSQL database of its own, dropped (with any connection left) with it.
    Postgres(TestDb),
}

impl Stores {
    /// An SQLite file in a fresh temporary directory (always available).
    pub fn sqlite() -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        Some(Self {
            key: MasterKey::from_bytes(TEST_KEY),
            engine: Engine::Sqlite {
                file: dir.path().join("switchboard.db"),
                _dir: dir,
            },
        })
    }

    /// A fresh PostgreSQL database, or `None` (after saying why) when the test should skip.
    pub fn postgres() -> Option<Self> {
        Some(Self {
            key: MasterKey::from_bytes(TEST_KEY),
            engine: Engine::Postgres(TestDb::create()?),
        })
    }

    /// Another empty database on the same backend.
    pub fn another(&self) -> Self {
        match self.engine {
            Engine::Sqlite { .. } => Self::sqlite(),
            Engine::Postgres(_) => Self::postgres(),
        }
        .expect("the backend was available a moment ago")
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// The SQLite file, when this is one.
    pub fn file(&self) -> Option<&Path> {
        match &self.engine {
            Engine::Sqlite { file, .. } => Some(file),
            Engine::Postgres(_) => None,
        }
    }

    /// A new store handle on this database with the test master key (created on first open):
    /// opening it again is a restart, two of them are two replicas.
    pub fn open(&self) -> Store {
        self.open_with_key(self.key.clone())
            .unwrap_or_else(|e| panic!("cannot open the test store: {e}"))
    }

    /// A new store handle on this database with `key`.
    pub fn open_with_key(&self, key: MasterKey) -> Result<Store, StoreError> {
        self.open_with_keys(Keyring::new(key))
    }

    /// A new store handle on this database with `keys`.
    pub fn open_with_keys(&self, keys: Keyring) -> Result<Store, StoreError> {
        match &self.engine {
            Engine::Sqlite { file, .. } => Store::open_with_keys(file, keys),
            Engine::Postgres(db) => Store::open_postgres(&db.url, keys),
        }
    }

    /// The database itself, past the store: to read what it holds or alter a row behind the
    /// store's back. Drop it before the test ends (it holds a connection, or a pool).
    pub fn raw(&self) -> Arc<dyn Sql> {
        match &self.engine {
            Engine::Sqlite { file, .. } => Arc::new(SqliteSql::open(file).unwrap()),
            Engine::Postgres(db) => {
                Arc::new(PgSql::new(Arc::new(PgPool::connect(&db.url).unwrap())))
            }
        }
    }

    /// Whether `needle` is anywhere in what the database keeps. SQLite: every byte of the file and
    /// of its WAL and shared-memory files (so also data not checkpointed yet, and freed pages).
    /// PostgreSQL: every row of every table, read back as text (byte columns as hex, so `needle`
    /// is looked for in both forms).
    pub fn holds(&self, needle: &[u8]) -> bool {
        match &self.engine {
            Engine::Sqlite { file, .. } => contains(&sqlite_bytes(file), needle),
            Engine::Postgres(_) => {
                let dump = self.postgres_rows();
                let hex: String = needle.iter().map(|b| format!("{b:02x}")).collect();
                contains(dump.as_bytes(), needle) || dump.contains(&hex)
            }
        }
    }

    /// Every row of every table of the PostgreSQL database, as text, one line a row.
    fn postgres_rows(&self) -> String {
        let db = self.raw();
        let tables: Vec<String> = db
            .query(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                 ORDER BY table_name",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| row.get_text(0).unwrap())
            .collect();
        assert!(
            tables.iter().any(|t| t == "accounts"),
            "no store tables in the database: {tables:?}"
        );
        let mut dump = String::new();
        for table in tables {
            for row in db
                .query(&format!("SELECT CAST(t AS TEXT) FROM {table} t"), &[])
                .unwrap()
            {
                dump.push_str(&format!("{table}: {}\n", row.get_text(0).unwrap()));
            }
        }
        dump
    }
}

/// Every byte SQLite wrote for the store at `file` (database, WAL and shared-memory files).
pub fn sqlite_bytes(file: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        if let Ok(b) = std::fs::read(PathBuf::from(name)) {
            bytes.extend(b);
        }
    }
    bytes
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Instantiates every listed test body `fn name(stores: &Stores)` once per backend, as
/// `sqlite::name` and `postgres::name`: the same assertions hold for both.
macro_rules! store_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    if let Some(stores) = $crate::support::stores::Stores::sqlite() {
                        super::$name(&stores);
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(stores) = $crate::support::stores::Stores::postgres() {
                        super::$name(&stores);
                    }
                }
            )*
        }
    };
}
pub(crate) use store_suite;
