//! The store: connected accounts (secrets sealed at rest), MCP servers (capability tokens kept only
//! as hashes), API tokens, OAuth apps and states, the webhook outbox and the audit log; in one
//! SQLite file (the embedded default) or in PostgreSQL shared by several replicas.
//!
//! The database is `./switchboard.db` unless the operator picks another (`--db PATH`, `--db
//! postgres://…` or `SWITCHBOARD_DB`; see [`Database`]). Secrets are sealed with XChaCha20-Poly1305
//! under a master key taken from `SWITCHBOARD_MASTER_KEY` (base64 of 32 bytes) or, for an SQLite
//! file only, from `<db>.key` next to it (created with mode 0600 on first use); see [`Keyring`].
//! Opening a store with a key other than the one it was created with fails at once with
//! [`StoreError::WrongMasterKey`]. [`Store::rotate_keys`] re-seals everything under a new master
//! key (`switchboard keys rotate`).
//!
//! The store's logic is written once over [`sql::Sql`]; the two engines differ only where SQL
//! cannot be written the same (row locks for refreshes, see `oauth.rs`). Every call is a short
//! statement or transaction, so the store is cheap to call from blocking code and `Send + Sync`;
//! share it with an `Arc`.

mod api_tokens;
mod audit;
mod crypto;
mod oauth;
mod oauth_apps;
mod oauth_state;
mod outbox;
pub mod pg;
mod rotate;
mod schema;
mod servers;
mod slots;
pub mod sql;
pub mod time;
mod token;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use serde_json::json;

use pg::{PgError, PgPool};
use sql::{PgSql, Row, Sql, SqlError, SqlExec, SqliteSql};

use switchboard_runtime::account::{Account, Credential};
use switchboard_runtime::table::Integration;

pub use api_tokens::{API_TOKEN_PREFIX, ApiTokenRecord, is_well_formed_api_token};
pub use audit::{AuditEvent, AuditQuery, DEFAULT_AUDIT_LIMIT};
pub use crypto::{
    KeyError, KeyId, KeySource, Keyring, MASTER_KEY_ENV, MASTER_KEY_LEN, MasterKey,
    PREVIOUS_MASTER_KEY_ENV, SealError, UnsealError, commit_next_key_file, key_file_path,
    load_or_create_next_key_file, next_key_file_path, old_key_file_path, remove_stale_old_key_file,
};
pub use oauth::{Claim, OAuthGrant, OAuthSettings, RefreshDue, RefreshGrant};
pub use oauth_apps::{AppSummary, NewOAuthApp, OAuthApp};
pub use outbox::{PendingWebhook, WebhookEvent};
pub use rotate::{RotationProgress, RotationReport, SealedCounts};
pub use schema::MigrateError;
pub use servers::{
    Exposure, NewServer, ServerBinding, ServerOptions, ServerRecord, ServerSummary,
    describe as describe_bindings,
};
pub use token::hash as token_hash;
pub use token::{TOKEN_LEN, is_well_formed as is_well_formed_token};

/// The database file used when none is given.
pub const DEFAULT_DB_PATH: &str = "switchboard.db";

/// Environment variable naming the database: a file path, `sqlite:PATH` or a PostgreSQL URL.
pub const DB_ENV: &str = "SWITCHBOARD_DB";

/// Which database a store lives in, as the operator names it (`--db`, `SWITCHBOARD_DB`).
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (created when missing), or `:memory:`.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:pass@host:port/db`); it may hold a password,
    /// so it is never displayed or logged whole.
    Postgres(String),
}

impl Database {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite:PATH` (or `sqlite://PATH`) and
    /// anything else is the path of an SQLite file.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Self::Postgres(text.to_owned());
        }
        let path = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
            .unwrap_or(text);
        Self::Sqlite(PathBuf::from(path))
    }

    /// The SQLite file, when it is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(path) => Some(path),
            Self::Postgres(_) => None,
        }
    }
}

/// `` `path` `` or `postgres://host:port/db` (never the password).
impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "`{}`", path.display()),
            Self::Postgres(url) => write!(f, "postgres://{}", pg::target_of(url)),
        }
    }
}

/// Shows a file's path, and of a URL only its scheme and what follows the credentials.
impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
            Self::Postgres(url) => {
                let shown = url.rsplit_once('@').map_or("…", |(_, host)| host);
                write!(f, "Postgres(postgres://…@{shown})")
            }
        }
    }
}

/// Where an open store keeps its data, for messages: a file's path, or PostgreSQL's host, port
/// and database (never a password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file.
    File(PathBuf),
    /// A PostgreSQL database, as `host:port/db`.
    Postgres(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "`{}`", path.display()),
            Self::Postgres(target) => write!(f, "postgres://{target}"),
        }
    }
}

impl Location {
    /// Where the master key of this store comes from, for the wrong-key message.
    fn key_hint(&self) -> String {
        match self {
            Self::File(path) => format!(
                "check {MASTER_KEY_ENV}, and {PREVIOUS_MASTER_KEY_ENV} during a rotation, or `{}`",
                key_file_path(path).display()
            ),
            Self::Postgres(_) => format!(
                "check {MASTER_KEY_ENV}, and {PREVIOUS_MASTER_KEY_ENV} during a rotation: every replica needs the same"
            ),
        }
    }
}

/// Why a store's database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The SQLite file.
    #[error(transparent)]
    Sqlite(#[from] MigrateError),
    /// PostgreSQL.
    #[error(transparent)]
    Postgres(#[from] PgError),
}

/// Longest account id or server name.
pub const MAX_ID_LEN: usize = 64;

/// Plaintext sealed as the key check: opening it proves the master key is the store's.
const KEY_CHECK_PLAINTEXT: &[u8] = b"switchboard master key check v1";
/// Associated data of the key check.
const KEY_CHECK_AAD: &[u8] = b"switchboard/meta/key_check";
/// Associated data of the cursor key.
const CURSOR_KEY_AAD: &[u8] = b"switchboard/meta/cursor_key";
/// Associated data of the key signing connect links.
const CONNECT_KEY_AAD: &[u8] = b"switchboard/meta/connect_key";

/// Everything the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or migrated.
    #[error("cannot open the store {location}")]
    Open {
        /// The database.
        location: Location,
        /// Why.
        source: OpenError,
    },
    /// No usable master key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The master key is not the one the store was created with (or rotated to).
    #[error(
        "the master key from {key_source} does not open the store {location}: it was created with another key ({})",
        location.key_hint()
    )]
    WrongMasterKey {
        /// The database.
        location: Location,
        /// Where the wrong key came from.
        key_source: KeySource,
    },
    /// A secret could not be sealed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// An account's secret did not open (its row was altered or copied from another row).
    #[error(
        "the secret of account `{0}` does not open under the master key: the row was altered or copied; add the account again"
    )]
    Unseal(String),
    /// An account id or server name breaks the naming rule.
    #[error("invalid {what} `{value}`: use 1 to {MAX_ID_LEN} characters from A-Z a-z 0-9 _ . -")]
    InvalidName {
        /// `account id` or `server name`.
        what: &'static str,
        /// The rejected value.
        value: String,
    },
    /// An account with this id exists.
    #[error("account `{0}` already exists")]
    DuplicateAccount(String),
    /// A server with this name exists.
    #[error("server `{0}` already exists")]
    DuplicateServer(String),
    /// An API token with this name exists.
    #[error("API token `{0}` already exists")]
    DuplicateApiToken(String),
    /// No API token has this name.
    #[error("no API token `{name}`{suggestion}")]
    UnknownApiToken {
        /// The name asked for.
        name: String,
        /// A close match, when there is one.
        suggestion: Suggestion,
    },
    /// An OAuth app with this name exists.
    #[error("OAuth app `{0}` already exists")]
    DuplicateApp(String),
    /// The integration already has a default OAuth app.
    #[error("integration `{0}` already has a default OAuth app; remove it first")]
    DuplicateDefaultApp(String),
    /// No OAuth app has this name.
    #[error("no OAuth app `{name}`{suggestion}")]
    UnknownApp {
        /// The name asked for.
        name: String,
        /// A close match, when there is one.
        suggestion: Suggestion,
    },
    /// No integration has this name.
    #[error("no integration named `{name}`{suggestion}")]
    UnknownIntegration {
        /// The name asked for.
        name: String,
        /// A close match, when there is one.
        suggestion: Suggestion,
    },
    /// No account has this id.
    #[error("no account `{id}`{suggestion}")]
    UnknownAccount {
        /// The id asked for.
        id: String,
        /// A close match, when there is one.
        suggestion: Suggestion,
    },
    /// No server has this name.
    #[error("no server `{name}`{suggestion}")]
    UnknownServer {
        /// The name asked for.
        name: String,
        /// A close match, when there is one.
        suggestion: Suggestion,
    },
    /// The integration does not take this kind of credential.
    #[error(
        "integration `{integration}` does not accept {kind} credentials; it accepts {accepted}"
    )]
    UnsupportedCredential {
        /// The integration.
        integration: String,
        /// The offered kind.
        kind: &'static str,
        /// What it accepts, comma-separated.
        accepted: String,
    },
    /// A credential with an empty part.
    #[error("the {0} is empty")]
    EmptySecret(&'static str),
    /// A base URL that is not an absolute http(s) URL.
    #[error(
        "invalid base URL `{0}`: expected http:// or https:// followed by a host, e.g. https://api.example.com"
    )]
    InvalidBaseUrl(String),
    /// The integration's base URL has variables and the account gives no base URL.
    #[error(
        "integration `{integration}` needs the account's own base URL: give {variables} (accounts add|connect --var NAME=VALUE)"
    )]
    MissingBaseUrl {
        /// The integration.
        integration: String,
        /// Its variables, with what each is.
        variables: String,
    },
    /// The account still backs servers.
    #[error("account `{id}` is used by server(s) {servers}; delete them first")]
    AccountInUse {
        /// The account.
        id: String,
        /// The servers, comma-separated.
        servers: String,
    },
    /// The account belongs to another user.
    #[error("account `{0}` belongs to another user")]
    AccountOfAnotherUser(String),
    /// A server binding that cannot work.
    #[error("{0}")]
    InvalidServer(String),
    /// A row the store wrote no longer parses.
    #[error("corrupt {what} in the store: {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it does not parse.
        detail: String,
    },
    /// The operating system's random source failed.
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(getrandom::Error),
    /// The database failed.
    #[error("store database error: {0}")]
    Database(#[from] SqlError),
}

/// "; did you mean `x`?" when there is a close match, else nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Suggestion(pub Option<String>);

impl Suggestion {
    /// The closest of `candidates` to `name`, when close enough to be a typo.
    pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        let best = candidates
            .into_iter()
            .map(|c| (strsim::normalized_damerau_levenshtein(name, c), c))
            .filter(|(score, _)| *score >= 0.6)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        Self(best.map(|(_, c)| c.to_owned()))
    }
}

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(s) => write!(f, "; did you mean `{s}`?"),
            None => Ok(()),
        }
    }
}

/// Whether an account may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    /// Usable.
    Active,
    /// Its credentials stopped working (dead refresh token); it must be connected again.
    NeedsReauth,
}

impl AccountStatus {
    /// `active` or `needs_reauth`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NeedsReauth => "needs_reauth",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "active" => Ok(Self::Active),
            "needs_reauth" => Ok(Self::NeedsReauth),
            other => Err(StoreError::Corrupt {
                what: "account status",
                detail: format!("unknown status `{other}`"),
            }),
        }
    }
}

impl fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account to add.
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// Operator-chosen id, `[A-Za-z0-9_.-]{1,64}`.
    pub id: String,
    /// The integration's name; must be in the table list passed to [`Store::add_account`].
    pub integration: String,
    /// Origin override (sandbox, EU data centre); `None` uses the table's.
    pub base_url: Option<String>,
    /// The credential, sealed before it is written.
    pub credential: Credential,
    /// OAuth scopes granted; `None` when unknown (static tokens).
    pub granted_scopes: Option<Vec<String>>,
    /// The user the account belongs to (per-user servers); `None` for a shared account.
    pub user: Option<String>,
    /// For OAuth accounts (`credential` then holds the access token as a bearer token): the rest of
    /// the grant.
    pub oauth: Option<OAuthGrant>,
}

impl NewAccount {
    /// A shared account with a static credential.
    pub fn new(
        id: impl Into<String>,
        integration: impl Into<String>,
        credential: Credential,
    ) -> Self {
        Self {
            id: id.into(),
            integration: integration.into(),
            base_url: None,
            credential,
            granted_scopes: None,
            user: None,
            oauth: None,
        }
    }

    /// The kind stored for this account's credential: `oauth2` for OAuth grants.
    fn stored_kind(&self) -> &'static str {
        if self.oauth.is_some() {
            OAUTH2_KIND
        } else {
            self.credential.kind()
        }
    }
}

/// The stored credential kind of OAuth accounts (the access token is placed as a bearer token).
pub const OAUTH2_KIND: &str = "oauth2";

/// An account without its secret, for listings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSummary {
    /// Account id.
    pub id: String,
    /// The integration's name.
    pub integration: String,
    /// Origin override.
    pub base_url: Option<String>,
    /// `bearer`, `api_key`, `basic` or `oauth2`.
    pub credential_kind: String,
    /// OAuth scopes granted, when known.
    pub granted_scopes: Option<Vec<String>>,
    /// Whether it may be used.
    pub status: AccountStatus,
    /// When it was added, Unix seconds.
    pub created_at: i64,
    /// The user it belongs to, for per-user accounts.
    pub user: Option<String>,
    /// When its access token expires, Unix seconds (OAuth accounts).
    pub expires_at: Option<i64>,
    /// Why it needs re-authorization, when it does.
    pub reauth_reason: Option<String>,
}

/// Last use is written at most this often per server or API token, Unix seconds: a busy URL does not
/// turn every call into a write.
pub(crate) const LAST_USE_GRANULARITY: i64 = 60;

/// The store. `Send + Sync`; share it with an `Arc`.
pub struct Store {
    db: Arc<dyn Sql>,
    /// The same database as `db` when it is PostgreSQL, for what only PostgreSQL does (row locks
    /// held across a refresh).
    pg: Option<PgSql>,
    /// PostgreSQL: how many refresh locks (each holding a pooled connection) may be held at once.
    refresh_slots: std::sync::Arc<slots::Slots>,
    /// PostgreSQL: the change feed, started by the first [`Store::generation`].
    watch: std::sync::OnceLock<Option<pg::GenerationWatch>>,
    /// Seals under its current key, opens under either.
    key: Keyring,
    location: Location,
    cursor_key: [u8; 32],
    connect_key: [u8; 32],
    /// Derived from `cursor_key` once, at open (see [`Store::pii_key`]).
    pii_key: [u8; 32],
    /// Trips to the database so far (see [`Store::round_trips`]).
    round_trips: AtomicU64,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite store at `path`, with the master key from
    /// `SWITCHBOARD_MASTER_KEY` or `<path>.key` (created when the store is new), and the previous
    /// key of a rotation under way from `SWITCHBOARD_PREVIOUS_MASTER_KEY` or `<path>.key.next`;
    /// see [`Keyring::load`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let db = Self::connect(path)?;
        let is_new = read_meta(&db, "key_check")?.is_none();
        let keys = Keyring::load(path, is_new)?;
        Self::finish_open(Arc::new(db), None, Location::File(path.to_owned()), keys)
    }

    /// Opens (creating if needed) the SQLite store at `path` with the given master key.
    pub fn open_with_key(path: impl AsRef<Path>, key: MasterKey) -> Result<Self, StoreError> {
        Self::open_with_keys(path, Keyring::new(key))
    }

    /// Opens (creating if needed) the SQLite store at `path` with the given keys: values sealed
    /// under either open, new ones are sealed under the current key.
    pub fn open_with_keys(path: impl AsRef<Path>, keys: Keyring) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let db = Self::connect(path)?;
        Self::finish_open(Arc::new(db), None, Location::File(path.to_owned()), keys)
    }

    /// Opens `database`: an SQLite file as [`open`](Self::open) does, or PostgreSQL with the keys
    /// from the environment ([`Keyring::from_env`]; there is no key file next to a shared store).
    pub fn open_database(database: &Database) -> Result<Self, StoreError> {
        match database {
            Database::Sqlite(path) => Self::open(path),
            Database::Postgres(url) => {
                let keys = Keyring::from_env()?.ok_or(KeyError::EnvRequired)?;
                Self::open_postgres(url, keys)
            }
        }
    }

    /// Connects to the PostgreSQL database at `url`, migrates its schema (safe when several
    /// replicas start at once) and opens the store in it with `keys`.
    pub fn open_postgres(url: &str, keys: Keyring) -> Result<Self, StoreError> {
        let pool = PgPool::connect(url).map_err(|e| StoreError::Open {
            location: Location::Postgres(pg::target_of(url)),
            source: OpenError::Postgres(e),
        })?;
        let location = Location::Postgres(pool.target().to_owned());
        let pg = PgSql::new(Arc::new(pool));
        Self::finish_open(Arc::new(pg.clone()), Some(pg), location, keys)
    }

    fn connect(path: &Path) -> Result<SqliteSql, StoreError> {
        let open_err = |source: rusqlite::Error| StoreError::Open {
            location: Location::File(path.to_owned()),
            source: OpenError::Sqlite(MigrateError::Sqlite(source)),
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        // WAL: readers never block the writer; the server reads while the CLI writes.
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        schema::migrate(&mut conn).map_err(|source| StoreError::Open {
            location: Location::File(path.to_owned()),
            source: OpenError::Sqlite(source),
        })?;
        Ok(SqliteSql::new(conn))
    }

    fn finish_open(
        db: Arc<dyn Sql>,
        pg: Option<PgSql>,
        location: Location,
        key: Keyring,
    ) -> Result<Self, StoreError> {
        let wrong_key = |key: &Keyring| StoreError::WrongMasterKey {
            location: location.clone(),
            key_source: key.current().source().clone(),
        };
        match read_meta(&*db, "key_check")? {
            Some(sealed) => {
                if key.unseal(&sealed, KEY_CHECK_AAD).as_deref() != Ok(KEY_CHECK_PLAINTEXT) {
                    return Err(wrong_key(&key));
                }
            }
            None => {
                let sealed = key.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD)?;
                // DO NOTHING: a concurrent first open (another replica) may have won; the check
                // below catches a different key.
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('key_check', ?1)
                     ON CONFLICT (key) DO NOTHING",
                    &[sealed.into()],
                )?;
                if let Some(stored) = read_meta(&*db, "key_check")?
                    && key.unseal(&stored, KEY_CHECK_AAD).is_err()
                {
                    return Err(wrong_key(&key));
                }
            }
        }
        let cursor_key = load_meta_key(&*db, &key, "cursor_key", CURSOR_KEY_AAD)?;
        let connect_key = load_meta_key(&*db, &key, "connect_key", CONNECT_KEY_AAD)?;
        for each in key.keys() {
            if let KeySource::File {
                path: key_path,
                created: true,
            } = each.source()
            {
                tracing::info!(key_file = %key_path.display(), "created the store's master key file; keep it safe and out of database backups");
            }
        }
        if let Some(previous) = key.previous() {
            tracing::info!(
                store = %location,
                key = %key.current().source(),
                previous = %previous.source(),
                "opened the store during a master key rotation: values sealed under either key open, new ones are sealed under the current key; `switchboard keys rotate` finishes the rotation"
            );
        }
        tracing::debug!(store = %location, key = %key.current().source(), key_id = %key.current().id(), "opened store");
        Ok(Self {
            db,
            pg,
            watch: std::sync::OnceLock::new(),
            // Half the pool: the rest always serves everything else.
            refresh_slots: slots::Slots::new(pg::DEFAULT_MAX_CONNECTIONS / 2),
            key,
            location,
            pii_key: derive_pii_key(&cursor_key),
            cursor_key,
            connect_key,
            round_trips: AtomicU64::new(0),
        })
    }

    /// Where the store keeps its data.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The SQLite file, when the store is one.
    pub fn file(&self) -> Option<&Path> {
        match &self.location {
            Location::File(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }

    /// Whether the store is PostgreSQL (shared by replicas).
    pub fn is_shared(&self) -> bool {
        self.pg.is_some()
    }

    /// A secret 32-byte key for sealing pagination cursors, stable across restarts of this store
    /// and the same on every replica sharing it.
    pub fn cursor_key(&self) -> [u8; 32] {
        self.cursor_key
    }

    /// A secret 32-byte key for pseudonyms of personal data (`--redact hash`), stable across restarts
    /// of this store; derived from the cursor key under its own label.
    pub fn pii_key(&self) -> [u8; 32] {
        self.pii_key
    }

    /// A secret 32-byte key for signing connect links, stable across restarts of this store.
    pub fn connect_key(&self) -> [u8; 32] {
        self.connect_key
    }

    /// The database, counting the trip.
    fn db(&self) -> &dyn Sql {
        self.count_trip();
        &*self.db
    }

    /// Counts one trip to the database made other than through [`Store::db`] (a held transaction).
    pub(crate) fn count_trip(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// How many times the store has gone to its database since it was opened (each a statement or
    /// a transaction): what a cache in front of it saves, measured.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// The store's generation: bumped (by triggers, from any process) on every change to what a
    /// call resolves: accounts and their credentials, servers and their bindings, API tokens. Uses
    /// and refresh leases do not bump it. Equal generations mean cached resolutions still hold.
    ///
    /// On PostgreSQL the first call starts following the database's change feed (`LISTEN`, with a
    /// heartbeat read every [`pg::HEARTBEAT`]); from then on the answer comes from memory, no trip,
    /// at most a heartbeat behind any replica's commit. While the feed is down it is read from the
    /// database.
    pub fn generation(&self) -> Result<u64, StoreError> {
        if let Some(pg) = &self.pg {
            let watch = self.watch.get_or_init(|| {
                pg.pool()
                    .watch_generation()
                    .inspect_err(
                        |error| tracing::warn!(%error, "cannot follow the PostgreSQL change feed"),
                    )
                    .ok()
            });
            if let Some(value) = watch.as_ref().and_then(pg::GenerationWatch::get) {
                return Ok(value);
            }
        }
        let value = self
            .db()
            .query_opt("SELECT value FROM generation WHERE id = 1", &[])?
            .map(|row| row.get_i64(0))
            .transpose()?
            .unwrap_or_default();
        Ok(u64::try_from(value).unwrap_or_default())
    }

    /// Adds an account, sealing its secret; `integrations` are the known tables.
    pub fn add_account(
        &self,
        account: NewAccount,
        integrations: &[&Integration],
    ) -> Result<AccountSummary, StoreError> {
        check_name("account id", &account.id)?;
        let integration = find_integration(&account.integration, integrations)?;
        check_credential(integration, &account.credential)?;
        if account.oauth.is_some() && integration.auth.oauth2.is_none() {
            return Err(StoreError::UnsupportedCredential {
                integration: integration.name.to_owned(),
                kind: OAUTH2_KIND,
                accepted: accepted_kinds(integration),
            });
        }
        if let Some(user) = &account.user {
            check_name("user", user)?;
        }
        if let Some(url) = &account.base_url {
            check_base_url(url)?;
        } else if switchboard_runtime::base_url::has_variables(integration.base_url) {
            return Err(StoreError::MissingBaseUrl {
                integration: integration.name.to_owned(),
                variables: integration
                    .base_url_variables
                    .iter()
                    .map(|v| format!("`{}` ({})", v.name, v.description))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let row = self.sealed_row(&account, integration)?;
        let kind = row.kind;
        let created_at = now_unix();
        let inserted = self.db().execute(
            "INSERT INTO accounts (id, integration, base_url, credential_kind, secret, granted_scopes,
                                   status, created_at, user_id, refresh_secret, expires_at, oauth)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?8, ?9, ?10, ?11)",
            &[
                account.id.as_str().into(),
                integration.name.into(),
                account.base_url.clone().into(),
                kind.into(),
                row.secret.into(),
                row.scopes.into(),
                created_at.into(),
                account.user.clone().into(),
                row.refresh_secret.into(),
                row.expires_at.into(),
                row.oauth.into(),
            ],
        );
        match inserted {
            Ok(_) => {}
            Err(SqlError::Constraint(_)) => return Err(StoreError::DuplicateAccount(account.id)),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(account = %account.id, integration = %integration.name, credential = %kind, "added account");
        Ok(AccountSummary {
            id: account.id,
            integration: integration.name.to_owned(),
            base_url: account.base_url,
            credential_kind: kind.to_owned(),
            granted_scopes: account.granted_scopes,
            status: AccountStatus::Active,
            created_at,
            user: account.user,
            expires_at: row.expires_at,
            reauth_reason: None,
        })
    }

    /// Every account, by id, without secrets.
    pub fn list_accounts(&self) -> Result<Vec<AccountSummary>, StoreError> {
        self.db()
            .query(
                "SELECT id, integration, base_url, credential_kind, granted_scopes, status, created_at,
                        user_id, expires_at, reauth_reason
                 FROM accounts ORDER BY id",
                &[],
            )?
            .iter()
            .map(summary_row)
            .collect()
    }

    /// One account without its secret.
    pub fn account_summary(&self, id: &str) -> Result<Option<AccountSummary>, StoreError> {
        self.db()
            .query_opt(
                "SELECT id, integration, base_url, credential_kind, granted_scopes, status, created_at,
                        user_id, expires_at, reauth_reason
                 FROM accounts WHERE id = ?1",
                &[id.into()],
            )?
            .as_ref()
            .map(summary_row)
            .transpose()
    }

    /// One account without its secret, or an error naming a close match.
    pub fn require_account_summary(&self, id: &str) -> Result<AccountSummary, StoreError> {
        match self.account_summary(id)? {
            Some(account) => Ok(account),
            None => Err(self.unknown_account(id)?),
        }
    }

    /// One account with its secret decrypted, for a call.
    pub fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let Some(row) = self.db().query_opt(
            "SELECT integration, base_url, credential_kind, secret, granted_scopes, expires_at, status
             FROM accounts WHERE id = ?1",
            &[id.into()],
        )?
        else {
            return Ok(None);
        };
        let kind = row.get_text(2)?;
        let plaintext = self
            .key
            .unseal(&row.get_blob(3)?, &account_aad(id, &kind))
            .map_err(|_| StoreError::Unseal(id.to_owned()))?;
        let credential =
            parse_credential(&kind, &plaintext).ok_or_else(|| StoreError::Unseal(id.to_owned()))?;
        Ok(Some(Account {
            id: id.to_owned(),
            integration: row.get_text(0)?,
            base_url: row.get_opt_text(1)?,
            credential,
            granted_scopes: parse_scopes(row.get_opt_text(4)?)?,
            expires_at: row.get_opt_i64(5)?,
            needs_reauth: AccountStatus::parse(&row.get_text(6)?)? == AccountStatus::NeedsReauth,
        }))
    }

    /// The account with this id, or an error naming a close match.
    pub fn require_account(&self, id: &str) -> Result<Account, StoreError> {
        match self.account(id)? {
            Some(account) => Ok(account),
            None => Err(self.unknown_account(id)?),
        }
    }

    /// Marks an account active or needing re-authorization.
    pub fn set_account_status(&self, id: &str, status: AccountStatus) -> Result<(), StoreError> {
        let changed = self.db().execute(
            "UPDATE accounts SET status = ?2 WHERE id = ?1",
            &[id.into(), status.as_str().into()],
        )?;
        if changed == 0 {
            return Err(self.unknown_account(id)?);
        }
        tracing::info!(account = %id, status = status.as_str(), "account status changed");
        Ok(())
    }

    /// Deletes an account that no server uses.
    pub fn delete_account(&self, id: &str) -> Result<(), StoreError> {
        // One transaction: a server bound to it between the check and the delete is refused by
        // the foreign key, and then named like the others.
        let deleted = sql::in_transaction(self.db(), |tx| {
            let servers = servers_of(tx, id)?;
            if !servers.is_empty() {
                return Ok(Err(servers));
            }
            Ok::<_, StoreError>(Ok(
                tx.execute("DELETE FROM accounts WHERE id = ?1", &[id.into()])?
            ))
        })?;
        match deleted {
            Err(servers) => Err(StoreError::AccountInUse {
                id: id.to_owned(),
                servers: servers.join(", "),
            }),
            Ok(0) => Err(self.unknown_account(id)?),
            Ok(_) => {
                tracing::info!(account = %id, "deleted account");
                Ok(())
            }
        }
    }

    fn unknown_account(&self, id: &str) -> Result<StoreError, StoreError> {
        let ids: Vec<String> = self.list_accounts()?.into_iter().map(|a| a.id).collect();
        Ok(StoreError::UnknownAccount {
            id: id.to_owned(),
            suggestion: Suggestion::closest(id, ids.iter().map(String::as_str)),
        })
    }
}

/// The servers bound to account `id`, by name.
fn servers_of(db: &dyn SqlExec, id: &str) -> Result<Vec<String>, StoreError> {
    db.query(
        "SELECT DISTINCT s.name FROM servers s JOIN server_bindings b ON b.server_id = s.id
         WHERE b.account_id = ?1 ORDER BY s.name",
        &[id.into()],
    )?
    .iter()
    .map(|row| Ok(row.get_text(0)?))
    .collect()
}

/// The integration named `name`, or an error with a close match.
pub fn find_integration<'a>(
    name: &str,
    integrations: &[&'a Integration],
) -> Result<&'a Integration, StoreError> {
    integrations
        .iter()
        .copied()
        .find(|i| i.name == name)
        .ok_or_else(|| StoreError::UnknownIntegration {
            name: name.to_owned(),
            suggestion: Suggestion::closest(name, integrations.iter().map(|i| i.name)),
        })
}

/// The id of the account a per-user connect link creates for `user` on `integration`:
/// `<user>.<integration>`, or, when that is too long for an id, a digest of the user instead.
/// Deterministic, so a second link for the same user reconnects the same account.
pub fn per_user_account_id(user: &str, integration: &str) -> String {
    let readable = format!("{user}.{integration}");
    if check_name("account id", &readable).is_ok() {
        return readable;
    }
    let digest = token::hash(user);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let mut id = format!("u-{hex}.{integration}");
    id.truncate(MAX_ID_LEN);
    id
}

/// Checks an account id or server name: `[A-Za-z0-9_.-]{1,64}`.
pub fn check_name(what: &'static str, value: &str) -> Result<(), StoreError> {
    let ok = (1..=MAX_ID_LEN).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidName {
            what,
            value: value.to_owned(),
        })
    }
}

fn check_credential(integration: &Integration, credential: &Credential) -> Result<(), StoreError> {
    let auth = &integration.auth;
    let bearer = auth.accepts_bearer();
    let accepted = match credential {
        Credential::Bearer(token) => {
            if token.is_empty() {
                return Err(StoreError::EmptySecret("bearer token"));
            }
            bearer
        }
        Credential::ApiKey(key) => {
            if key.is_empty() {
                return Err(StoreError::EmptySecret("API key"));
            }
            auth.api_key.is_some()
        }
        Credential::Basic { username, .. } => {
            if username.is_empty() {
                return Err(StoreError::EmptySecret("user name"));
            }
            auth.basic
        }
    };
    if accepted {
        return Ok(());
    }
    Err(StoreError::UnsupportedCredential {
        integration: integration.name.to_owned(),
        kind: credential.kind(),
        accepted: accepted_kinds(integration),
    })
}

/// The credential kinds `integration` accepts, comma-separated.
fn accepted_kinds(integration: &Integration) -> String {
    let auth = &integration.auth;
    let kinds: Vec<&str> = [
        (auth.oauth2.is_some(), OAUTH2_KIND),
        (auth.accepts_bearer(), "bearer"),
        (auth.api_key.is_some(), "api_key"),
        (auth.basic, "basic"),
    ]
    .into_iter()
    .filter_map(|(ok, name)| ok.then_some(name))
    .collect();
    if kinds.is_empty() {
        "none of oauth2, bearer, api_key, basic".to_owned()
    } else {
        kinds.join(", ")
    }
}

/// The store accepts exactly the base URLs calls can use: the same parser decides both.
fn check_base_url(url: &str) -> Result<(), StoreError> {
    let usable = !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && switchboard_runtime::request::base_url(url).is_ok();
    if usable {
        Ok(())
    } else {
        Err(StoreError::InvalidBaseUrl(url.to_owned()))
    }
}

/// Binds a sealed secret to its row: moved to another account (or relabelled as another kind), it
/// no longer opens.
fn account_aad(id: &str, kind: &str) -> Vec<u8> {
    format!("switchboard/account/v1\0{id}\0{kind}").into_bytes()
}

fn credential_plaintext(credential: &Credential) -> String {
    match credential {
        Credential::Bearer(token) => json!({ "token": token }),
        Credential::ApiKey(key) => json!({ "key": key }),
        Credential::Basic { username, password } => {
            json!({ "username": username, "password": password })
        }
    }
    .to_string()
}

fn parse_credential(kind: &str, plaintext: &[u8]) -> Option<Credential> {
    let value: serde_json::Value = serde_json::from_slice(plaintext).ok()?;
    let field = |name: &str| value.get(name)?.as_str().map(str::to_owned);
    Some(match kind {
        "bearer" | OAUTH2_KIND => Credential::Bearer(field("token")?),
        "api_key" => Credential::ApiKey(field("key")?),
        "basic" => Credential::Basic {
            username: field("username")?,
            password: field("password")?,
        },
        _ => return None,
    })
}

fn parse_scopes(text: Option<String>) -> Result<Option<Vec<String>>, StoreError> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
            what: "granted scopes",
            detail: e.to_string(),
        })
    })
    .transpose()
}

fn summary_row(row: &Row) -> Result<AccountSummary, StoreError> {
    Ok(AccountSummary {
        id: row.get_text(0)?,
        integration: row.get_text(1)?,
        base_url: row.get_opt_text(2)?,
        credential_kind: row.get_text(3)?,
        granted_scopes: parse_scopes(row.get_opt_text(4)?)?,
        status: AccountStatus::parse(&row.get_text(5)?)?,
        created_at: row.get_i64(6)?,
        user: row.get_opt_text(7)?,
        expires_at: row.get_opt_i64(8)?,
        reauth_reason: row.get_opt_text(9)?,
    })
}

fn read_meta(db: &dyn SqlExec, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(db
        .query_opt("SELECT value FROM meta WHERE key = ?1", &[key.into()])?
        .map(|row| row.get_blob(0))
        .transpose()?)
}

/// A 32-byte secret of the store's (`name` in `meta`): random on first open, kept sealed.
fn load_meta_key(
    db: &dyn SqlExec,
    key: &Keyring,
    name: &'static str,
    aad: &[u8],
) -> Result<[u8; 32], StoreError> {
    let corrupt = || StoreError::Corrupt {
        what: name,
        detail: "does not open under the master key".to_owned(),
    };
    if read_meta(db, name)?.is_none() {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(StoreError::Random)?;
        let sealed = key.seal(&fresh, aad)?;
        // DO NOTHING: a concurrent first open (another replica) may have won; everyone then reads
        // the winner's.
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
            &[name.into(), sealed.into()],
        )?;
    }
    let sealed = read_meta(db, name)?.ok_or_else(corrupt)?;
    key.unseal(&sealed, aad)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(corrupt)
}

/// The pseudonym key: the cursor key hashed under its own label, so neither reveals the other.
fn derive_pii_key(cursor_key: &[u8; 32]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(b"switchboard/pii-key/v1");
    hasher.update(cursor_key);
    hasher.finalize().into()
}

/// Now, in Unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{Database, check_base_url};
    use std::path::Path;

    #[test]
    fn databases_are_told_apart_by_their_scheme_and_never_show_a_password() {
        assert_eq!(
            Database::parse("postgres://u:pw@db:5432/sb"),
            Database::Postgres("postgres://u:pw@db:5432/sb".into())
        );
        assert!(matches!(
            Database::parse("postgresql://db/sb"),
            Database::Postgres(_)
        ));
        for (text, path) in [
            ("switchboard.db", "switchboard.db"),
            ("sqlite:data/s.db", "data/s.db"),
            ("sqlite:///var/lib/s.db", "/var/lib/s.db"),
            ("/tmp/postgres://odd", "/tmp/postgres://odd"),
        ] {
            assert_eq!(
                Database::parse(text).file(),
                Some(Path::new(path)),
                "{text}"
            );
        }
        let secret = Database::parse("postgres://user:s3cretpw@db.internal:5432/sb");
        for shown in [format!("{secret}"), format!("{secret:?}")] {
            assert!(!shown.contains("s3cretpw"), "{shown}");
            assert!(shown.contains("db.internal"), "{shown}");
        }
    }

    #[test]
    fn only_base_urls_a_call_can_use_are_accepted() {
        for good in [
            "https://api.hubapi.com",
            "http://127.0.0.1:9100",
            "https://acme.my.example.com/",
        ] {
            assert!(check_base_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://host:notaport",
            "ftp://example.com",
            "api.example.com",
            "https://",
            "https://a b.com",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }
}
