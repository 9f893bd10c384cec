//! The generation watcher: one connection per replica listening on `switchboard_generation`, so a
//! change made by any replica (a revoked server, a removed account, rotated tokens) reaches every
//! other one at once, and reading the generation on the hot path costs no database trip.
//!
//! Notifications can be lost without the listener noticing (a connection that dies silently, a
//! NOTIFY while reconnecting), so the watcher also reads the generation itself every
//! [`HEARTBEAT`] and after every (re)subscription: the value it holds is never more than a
//! heartbeat behind, and while it is not subscribed it says so ([`GenerationWatch::get`] answers
//! `None`) and callers read the table instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio_postgres::{AsyncMessage, NoTls};

use super::GENERATION_CHANNEL;

/// How often the watcher reads the generation itself, on top of the notifications.
pub const HEARTBEAT: Duration = Duration::from_millis(500);

/// How long the watcher waits before subscribing again after losing its connection.
const RETRY: Duration = Duration::from_secs(1);

/// The latest generation a [`PgPool`](super::PgPool)'s watcher saw. Dropping it stops the watcher.
pub struct GenerationWatch {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    latest: AtomicU64,
    /// Subscribed, and the heartbeat answered within the last two beats.
    live: AtomicBool,
}

impl GenerationWatch {
    /// Starts watching on `rt` over a connection of its own to `config`.
    pub(super) fn start(rt: &tokio::runtime::Handle, config: tokio_postgres::Config) -> Self {
        let shared = Arc::new(Shared {
            latest: AtomicU64::new(0),
            live: AtomicBool::new(false),
        });
        let task = rt.spawn(watch(config, Arc::clone(&shared)));
        Self { shared, task }
    }

    /// The generation, when the watcher is subscribed and current; `None` when the caller must read
    /// it from the database.
    pub fn get(&self) -> Option<u64> {
        self.shared
            .live
            .load(Ordering::Acquire)
            .then(|| self.shared.latest.load(Ordering::Acquire))
    }
}

impl Drop for GenerationWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Subscribes, follows, and subscribes again whenever the connection is lost.
async fn watch(config: tokio_postgres::Config, shared: Arc<Shared>) {
    loop {
        if let Err(error) = follow(&config, &shared).await {
            tracing::warn!(%error, "lost the PostgreSQL change feed; caches read the database until it is back");
        }
        shared.live.store(false, Ordering::Release);
        tokio::time::sleep(RETRY).await;
    }
}

/// One subscription, until its connection fails.
async fn follow(config: &tokio_postgres::Config, shared: &Shared) -> Result<(), String> {
    let (client, mut connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| format!("cannot connect: {}", short(&e)))?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<u64>>();
    // The connection is driven here; notifications go to the loop below, and its end closes `tx`.
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().parse().ok()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    let result = async {
        client
            .batch_execute(&format!("LISTEN {GENERATION_CHANNEL}"))
            .await
            .map_err(|e| format!("cannot subscribe: {}", short(&e)))?;
        let read = || async {
            client
                .query_one("SELECT value FROM generation WHERE id = 1", &[])
                .await
                .map(|row| u64::try_from(row.get::<_, i64>(0)).unwrap_or_default())
                .map_err(|e| format!("cannot read the generation: {}", short(&e)))
        };
        // Subscribed first, read second: nothing committed in between is missed.
        shared.latest.fetch_max(read().await?, Ordering::AcqRel);
        shared.live.store(true, Ordering::Release);
        tracing::debug!("following the PostgreSQL change feed");
        loop {
            match tokio::time::timeout(HEARTBEAT, rx.recv()).await {
                Ok(Some(Some(generation))) => {
                    shared.latest.fetch_max(generation, Ordering::AcqRel);
                }
                // A payload that is not a number: read the table instead.
                Ok(Some(None)) => {
                    shared.latest.fetch_max(read().await?, Ordering::AcqRel);
                }
                Ok(None) => return Err("the connection closed".to_owned()),
                Err(_) => {
                    // The beat must answer before the next one is due, or the feed is not live.
                    match tokio::time::timeout(HEARTBEAT, read()).await {
                        Ok(value) => {
                            shared.latest.fetch_max(value?, Ordering::AcqRel);
                        }
                        Err(_) => return Err("the heartbeat went unanswered".to_owned()),
                    }
                }
            }
        }
    }
    .await;
    shared.live.store(false, Ordering::Release);
    driver.abort();
    result
}

/// The driver's error without its source chain (which may quote the server's address details).
fn short(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |db| db.message().to_owned())
}
