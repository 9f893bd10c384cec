//! PostgreSQL, the vault shared by several replicas: a connection pool, the bridge from the
//! synchronous vault API to the async driver, and the schema migrations applied at connect.
//!
//! The vault API is synchronous and is called from everywhere: `spawn_blocking`, plain threads, and
//! CLI code that already runs on an async thread (inside `Runtime::block_on`). The one bridge that
//! works in all of these is a small runtime owned by the pool: each operation is spawned on it and
//! the caller waits on a synchronous channel. `Handle::current().block_on` and a current-thread
//! runtime both panic on an async thread; so does dropping a runtime there, which is why dropping a
//! [`PgPool`] shuts its runtime down in the background.
//!
//! Nothing here prints the password: [`PgError`] messages are scrubbed of it and `Debug` shows the
//! host, port and database only.

mod listen;
mod schema;

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::mpsc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::config::Host;

pub use listen::{GenerationWatch, HEARTBEAT};
pub use schema::{GENERATION_CHANNEL, MIGRATIONS, Migration, latest_version};

/// Connections a pool opens at most unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 8;

/// How long opening one connection may take unless the URL says (`connect_timeout`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an operation waits for a free connection before failing.
const WAIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Worker threads of the pool's runtime: the driver's I/O is light, the callers block elsewhere.
const RUNTIME_WORKERS: usize = 2;

/// The key of the transaction-scoped advisory lock that serializes migrations across replicas
/// (the bytes of "sbmigrat").
const MIGRATION_LOCK_KEY: i64 = 0x7362_6d69_6772_6174;

/// What the PostgreSQL vault can fail with. No message holds the database password.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The URL is not a PostgreSQL connection string.
    #[error("invalid PostgreSQL URL: {0}")]
    InvalidUrl(String),
    /// The pool or its runtime could not be built.
    #[error("cannot set up the PostgreSQL pool: {0}")]
    Setup(String),
    /// No connection could be opened (server down, wrong credentials, timeout).
    #[error("cannot connect to PostgreSQL at {target}: {message}")]
    Connect {
        /// Host, port and database.
        target: String,
        /// Why, as the driver or server said it.
        message: String,
    },
    /// A schema migration failed; nothing of it was applied.
    #[error("cannot migrate the PostgreSQL schema at {target} to version {version}: {message}")]
    Migrate {
        /// Host, port and database.
        target: String,
        /// The migration that failed.
        version: i64,
        /// Why.
        message: String,
    },
    /// The database was migrated by a newer build.
    #[error(
        "the PostgreSQL schema at {target} is at version {found}, newer than this build knows ({known}); upgrade switchboard"
    )]
    TooNew {
        /// Host, port and database.
        target: String,
        /// The database's version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A statement failed.
    #[error("PostgreSQL: {0}")]
    Query(String),
    /// The pool's runtime stopped before answering (the pool is being dropped).
    #[error("the PostgreSQL pool stopped before answering")]
    Stopped,
}

/// A pool of PostgreSQL connections with its own small runtime; the schema is migrated when it
/// connects. `Send + Sync`: share it with an `Arc`.
pub struct PgPool {
    // Dropped before `bridge`: closing the connections only queues messages, the runtime then stops.
    pool: Pool,
    target: String,
    scrub: Scrubber,
    /// What the pool connects with, for connections of their own (the change feed).
    config: tokio_postgres::Config,
    bridge: Bridge,
}

/// Settings for [`PgPool::connect_with`].
#[derive(Debug, Clone, Copy)]
pub struct PgOptions {
    /// Connections open at most.
    pub max_connections: usize,
    /// How long opening one connection may take when the URL does not say (`connect_timeout`).
    pub connect_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

impl PgPool {
    /// Connects to the database at `url` (`postgres://user:pass@host:port/db` or the key=value
    /// form) with the default [`PgOptions`], and brings its schema up to date.
    pub fn connect(url: &str) -> Result<Self, PgError> {
        Self::connect_with(url, PgOptions::default())
    }

    /// [`connect`](Self::connect) with explicit settings.
    pub fn connect_with(url: &str, options: PgOptions) -> Result<Self, PgError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| PgError::InvalidUrl(Scrubber::from_raw_url(url).scrub(&e.to_string())))?;
        let scrub = Scrubber::from_config(&config);
        let target = describe(&config);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        let create_timeout = *config
            .get_connect_timeout()
            .unwrap_or(&options.connect_timeout);
        let bridge = Bridge::new()?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            // A little beyond the driver's own timeout, which gives the better message.
            .create_timeout(Some(create_timeout + Duration::from_secs(1)))
            .wait_timeout(Some(WAIT_TIMEOUT))
            .build()
            .map_err(|e| PgError::Setup(scrub.scrub(&e.to_string())))?;
        let this = Self {
            pool,
            target,
            scrub,
            config,
            bridge,
        };
        this.migrate()?;
        Ok(this)
    }

    /// Starts following the database's generation (see [`GenerationWatch`]) over a connection of
    /// its own, on the pool's runtime.
    pub fn watch_generation(&self) -> Result<GenerationWatch, PgError> {
        let rt = self.bridge.rt.as_ref().ok_or(PgError::Stopped)?;
        Ok(GenerationWatch::start(rt.handle(), self.config.clone()))
    }

    /// The schema version the database is at (the newest applied migration).
    pub fn schema_version(&self) -> Result<i64, PgError> {
        self.run(|client| async move {
            let row = client
                .query_one(
                    "SELECT COALESCE(max(version), 0) FROM schema_migrations",
                    &[],
                )
                .await?;
            Ok(row.get::<_, i64>(0))
        })
    }

    /// Applies every pending migration in one transaction, under an advisory lock that makes
    /// replicas starting at once wait for each other (without it even `CREATE TABLE IF NOT EXISTS`
    /// races). A failed migration leaves the schema as it was.
    fn migrate(&self) -> Result<(), PgError> {
        let target = self.target.clone();
        let outcome = self.run_raw(|mut client| async move {
            let known = latest_version();
            let tx = client.transaction().await.map_err(Failure::Connect)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
                .await
                .map_err(Failure::Connect)?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version     BIGINT PRIMARY KEY,
                     applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )
            .await
            .map_err(|e| Failure::Migrate(known, e))?;
            let found: i64 = tx
                .query_one(
                    "SELECT COALESCE(max(version), 0) FROM schema_migrations",
                    &[],
                )
                .await
                .map_err(|e| Failure::Migrate(known, e))?
                .get(0);
            if found > known {
                return Err(Failure::TooNew(found));
            }
            for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
                tx.batch_execute(migration.sql)
                    .await
                    .map_err(|e| Failure::Migrate(migration.version, e))?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[&migration.version],
                )
                .await
                .map_err(|e| Failure::Migrate(migration.version, e))?;
                tracing::info!(
                    version = migration.version,
                    description = migration.description,
                    "applied PostgreSQL migration"
                );
            }
            tx.commit().await.map_err(|e| Failure::Migrate(known, e))?;
            Ok(())
        })?;
        outcome.map_err(|failure| match failure {
            Failure::Connect(e) => PgError::Connect {
                target: target.clone(),
                message: self.scrub.scrub(&error_text(&e)),
            },
            Failure::Pool(message) => PgError::Connect {
                target: target.clone(),
                message: self.scrub.scrub(&message),
            },
            Failure::Migrate(version, e) => PgError::Migrate {
                target: target.clone(),
                version,
                message: self.scrub.scrub(&error_text(&e)),
            },
            Failure::TooNew(found) => PgError::TooNew {
                target: target.clone(),
                found,
                known: latest_version(),
            },
        })
    }

    /// Runs `f` with a pooled connection on the pool's runtime and waits for its answer; callable
    /// from any thread, async or not.
    fn run<T, F, Fut>(&self, f: F) -> Result<T, PgError>
    where
        F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, tokio_postgres::Error>> + Send + 'static,
        T: Send + 'static,
    {
        match self.run_raw(|client| async move { f(client).await.map_err(Failure::Connect) })? {
            Ok(value) => Ok(value),
            Err(Failure::Pool(message)) => Err(PgError::Connect {
                target: self.target.clone(),
                message: self.scrub.scrub(&message),
            }),
            Err(Failure::Connect(e)) if e.as_db_error().is_none() && e.is_closed() => {
                Err(PgError::Connect {
                    target: self.target.clone(),
                    message: self.scrub.scrub(&error_text(&e)),
                })
            }
            Err(Failure::Connect(e) | Failure::Migrate(_, e)) => {
                Err(PgError::Query(self.scrub.scrub(&error_text(&e))))
            }
            Err(Failure::TooNew(_)) => Err(PgError::Query("unexpected schema version".to_owned())),
        }
    }

    /// The bridge itself: takes a connection from the pool (a pool failure becomes
    /// [`Failure::Pool`]) and runs `f` with it on the runtime.
    fn run_raw<T, F, Fut>(&self, f: F) -> Result<Result<T, Failure>, PgError>
    where
        F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, Failure>> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        self.bridge.run(async move {
            let client = pool
                .get()
                .await
                .map_err(|e| Failure::Pool(pool_error_text(&e)))?;
            f(client).await
        })
    }
}

/// What [`crate::sql::PgSql`] needs of the pool: its runtime, its connections, and messages
/// without the password.
impl PgPool {
    /// Runs `fut` on the pool's runtime and blocks the calling thread until it finishes; callable
    /// from any thread, async or not.
    pub(crate) fn block_on<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, PgError> {
        self.bridge.run(fut)
    }

    /// The deadpool pool (a cheap handle), to take connections on the runtime.
    pub(crate) fn deadpool(&self) -> Pool {
        self.pool.clone()
    }

    /// Host, port and database, for messages.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// `message` without the password.
    pub(crate) fn scrubbed(&self, message: &str) -> String {
        self.scrub.scrub(message)
    }

    /// The driver's error (with its cause) without the password.
    pub(crate) fn driver_error_text(&self, e: &tokio_postgres::Error) -> String {
        self.scrub.scrub(&error_text(e))
    }

    /// Why no connection could be had, without the password.
    pub(crate) fn pool_error_text(&self, e: &deadpool_postgres::PoolError) -> String {
        self.scrub.scrub(&pool_error_text(e))
    }
}

impl fmt::Debug for PgPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PgPool")
            .field("target", &self.target)
            .field("max_size", &status.max_size)
            .field("size", &status.size)
            .finish_non_exhaustive()
    }
}

/// Why an operation on the runtime failed, before it becomes a [`PgError`].
enum Failure {
    /// No pooled connection (the pool's own message).
    Pool(String),
    /// The driver failed outside a migration.
    Connect(tokio_postgres::Error),
    /// Migration `version` failed.
    Migrate(i64, tokio_postgres::Error),
    /// The database is at a newer version.
    TooNew(i64),
}

/// The pool's own runtime; shut down in the background on drop, which is safe on any thread.
struct Bridge {
    rt: Option<tokio::runtime::Runtime>,
}

impl Bridge {
    fn new() -> Result<Self, PgError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_WORKERS)
            .thread_name("switchboard-pg")
            .enable_all()
            .build()
            .map_err(|e| PgError::Setup(format!("cannot start its runtime: {e}")))?;
        Ok(Self { rt: Some(rt) })
    }

    /// Runs `fut` on the runtime and blocks the calling thread until it finishes.
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, PgError> {
        let rt = self.rt.as_ref().ok_or(PgError::Stopped)?;
        let (tx, rx) = mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| PgError::Stopped)
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Removes the password from messages (should a driver or server ever echo it).
#[derive(Clone)]
struct Scrubber {
    password: Option<String>,
}

impl Scrubber {
    /// Passwords shorter than this are not searched for: replacing them would mangle every message
    /// while hiding little.
    const MIN_LEN: usize = 4;

    fn from_config(config: &tokio_postgres::Config) -> Self {
        let password = config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        Self { password }
    }

    /// From a URL that did not parse: the part between `user:` and the `@` of a `postgres://`
    /// URL, and the value of a `password=` setting.
    fn from_raw_url(url: &str) -> Self {
        let from_url = url
            .split_once("://")
            .and_then(|(_, rest)| {
                let authority = rest.split(['/', '?']).next().unwrap_or(rest);
                authority.rsplit_once('@').map(|(userinfo, _)| userinfo)
            })
            .and_then(|userinfo| userinfo.split_once(':').map(|(_, p)| p.to_owned()));
        let from_kv = url.split_whitespace().find_map(|kv| {
            kv.strip_prefix("password=")
                .map(|p| p.trim_matches('\'').to_owned())
        });
        Self {
            password: from_url.or(from_kv),
        }
    }

    fn scrub(&self, message: &str) -> String {
        match &self.password {
            Some(p) if p.len() >= Self::MIN_LEN => message.replace(p.as_str(), "***"),
            _ => message.to_owned(),
        }
    }
}

/// `host:port/database`, for messages and `Debug`.
/// `host:port/db` of a connection URL, for messages (never its password); a placeholder when it
/// does not parse.
pub fn target_of(url: &str) -> String {
    tokio_postgres::Config::from_str(url).map_or_else(
        |_| "(an unparsable URL)".to_owned(),
        |config| describe(&config),
    )
}

fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            };
            let port = config
                .get_ports()
                .get(i)
                .or_else(|| config.get_ports().first())
                .copied()
                .unwrap_or(5432);
            format!("{name}:{port}")
        })
        .collect();
    let hosts = if hosts.is_empty() {
        "localhost:5432".to_owned()
    } else {
        hosts.join(",")
    };
    let database = config
        .get_dbname()
        .or_else(|| config.get_user())
        .unwrap_or("postgres");
    format!("{hosts}/{database}")
}

/// The driver's message with its source (the server's error or the I/O error) when it has one.
fn error_text(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn pool_error_text(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => error_text(e),
        deadpool_postgres::PoolError::Timeout(_) => {
            "timed out waiting for a connection (check the server's address, or raise the pool size)"
                .to_owned()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_target_never_show_the_password() {
        let config =
            tokio_postgres::Config::from_str("postgres://alice:s3cret-pw@db.example:6543/vault")
                .unwrap();
        assert_eq!(describe(&config), "db.example:6543/vault");
        let scrub = Scrubber::from_config(&config);
        assert_eq!(
            scrub.scrub("FATAL: bad password s3cret-pw"),
            "FATAL: bad password ***"
        );
    }

    #[test]
    fn an_unparsable_url_is_scrubbed() {
        let url = "postgres://alice:s3cret-pw@db.example:notaport/vault";
        let Err(e) = PgPool::connect(url) else {
            panic!("connected with a bad port")
        };
        assert!(matches!(e, PgError::InvalidUrl(_)), "{e:?}");
        assert!(!e.to_string().contains("s3cret-pw"), "{e}");
        assert!(!format!("{e:?}").contains("s3cret-pw"), "{e:?}");
        assert_eq!(
            Scrubber::from_raw_url("host=x password='s3cret-pw' port=1")
                .password
                .as_deref(),
            Some("s3cret-pw")
        );
    }

    #[test]
    fn targets_default_like_libpq() {
        let config = tokio_postgres::Config::from_str("postgres://bob@10.0.0.1").unwrap();
        assert_eq!(describe(&config), "10.0.0.1:5432/bob");
    }
}
