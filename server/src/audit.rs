//! Audit: one event per tool call, stored in the vault and emitted as a JSON log line.
//!
//! The request path builds an [`AuditEvent`] (usually with [`event_for`] from the runtime's
//! [`CallRecord`]) and hands it to [`AuditLog::record`], which never waits: it logs the event at
//! once as one JSON line (target [`LOG_TARGET`], level info) and queues it for a background thread
//! that writes queued events to an [`AuditSink`] (the store) in batches of up to [`MAX_BATCH`],
//! gathered for at most [`BATCH_WINDOW`]. When the queue ([`QUEUE_CAPACITY`] events) is full because
//! the store is not keeping up, events are dropped from the store (not from the log), counted in
//! [`AuditStats::dropped`] and reported in a rate-limited warning; the call itself never slows down.
//!
//! Events hold names and figures only (server, account, user, integration, tool, kind, transport,
//! request id, latency, outcome, upstream status): never arguments, bodies, tokens, credentials or
//! personal data. [`AuditEvent`] has no field for them; keep it that way.
//!
//! With a retention period, the writer deletes older events when it starts and then every
//! [`PRUNE_INTERVAL`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use switchboard_runtime::observe::CallRecord;
use switchboard_vault::Store;
pub use switchboard_vault::time::now_ms;

pub use switchboard_vault::{AuditEvent, AuditQuery};

/// The tracing target of the per-call JSON log lines.
pub const LOG_TARGET: &str = "switchboard::audit";
/// Events waiting for the writer at most; past this, events are dropped from the store.
pub const QUEUE_CAPACITY: usize = 65_536;
/// Events per write at most.
pub const MAX_BATCH: usize = 512;
/// How long the writer gathers events after the first one before writing them.
pub const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// How often old events are pruned when a retention period is set.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(3_600);
/// Warnings about dropped events or failed writes: at most one per this period.
const WARN_INTERVAL: Duration = Duration::from_secs(10);

/// Where audit events are kept. Called from the audit log's own thread, never from a request.
pub trait AuditSink: Send + Sync + 'static {
    /// Stores `events` (all or none).
    fn write(&self, events: &[AuditEvent]) -> Result<(), String>;
    /// Deletes the events from before `before_ms` (Unix milliseconds); returns how many.
    fn prune(&self, before_ms: i64) -> Result<usize, String>;
}

impl AuditSink for Store {
    fn write(&self, events: &[AuditEvent]) -> Result<(), String> {
        self.record_audit(events).map_err(|e| e.to_string())
    }

    fn prune(&self, before_ms: i64) -> Result<usize, String> {
        self.prune_audit(before_ms).map_err(|e| e.to_string())
    }
}

/// The transport a call came through ([`AuditEvent::via`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// MCP over HTTP (Streamable HTTP or legacy SSE).
    Mcp,
    /// The REST mirror, `POST /mcp/<token>/tools/<tool>`.
    Rest,
    /// MCP over stdio (`switchboard mcp stdio`).
    Stdio,
}

impl Via {
    /// `mcp`, `rest` or `stdio`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mcp => "mcp",
            Self::Rest => "rest",
            Self::Stdio => "stdio",
        }
    }
}

/// What the server knows about a call that the runtime's [`CallRecord`] does not.
#[derive(Clone, Copy, Debug)]
pub struct CallContext<'a> {
    /// The server's name, if the call came through one.
    pub server: Option<&'a str>,
    /// The account the call acted as, once resolved.
    pub account: Option<&'a str>,
    /// The user named by the caller's API token.
    pub user: Option<&'a str>,
    /// The transport.
    pub via: Via,
    /// The request id.
    pub request_id: Option<&'a str>,
}

/// The audit event of a finished call: `at_ms` is when it arrived (now minus its latency).
pub fn event_for(record: &CallRecord, context: &CallContext<'_>) -> AuditEvent {
    let latency_ms = u64::try_from(record.latency.as_millis()).unwrap_or(u64::MAX);
    AuditEvent {
        at_ms: now_ms().saturating_sub(i64::try_from(latency_ms).unwrap_or(i64::MAX)),
        server: context.server.map(str::to_owned),
        account: context.account.map(str::to_owned),
        user: context.user.map(str::to_owned),
        integration: record.integration.to_owned(),
        tool: record.tool.to_owned(),
        kind: record.kind.to_owned(),
        via: context.via.as_str().to_owned(),
        request_id: context.request_id.map(str::to_owned),
        latency_ms,
        outcome: record.outcome.to_owned(),
        upstream_status: record.upstream_status,
    }
}

/// Counts since the log started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Events queued for the store.
    pub queued: u64,
    /// Events not queued because the queue was full (or the writer is gone): they are in the log
    /// lines only.
    pub dropped: u64,
    /// Events stored.
    pub written: u64,
    /// Events lost because the sink failed to store them.
    pub failed: u64,
    /// Writes to the store (each a batch of events in one transaction), failed ones included.
    pub batches: u64,
}

#[derive(Default)]
struct Counters {
    queued: AtomicU64,
    dropped: AtomicU64,
    written: AtomicU64,
    batches: AtomicU64,
    failed: AtomicU64,
}

/// Events are boxed: the bounded queue allocates all its slots up front, so a slot stays small.
enum Message {
    Event(Box<AuditEvent>),
    /// Answered once every event queued before it is written (or failed).
    Flush(SyncSender<()>),
}

struct Inner {
    tx: SyncSender<Message>,
    counters: Arc<Counters>,
    started: Instant,
    /// Milliseconds after `started` of the last drop warning; `u64::MAX` before the first.
    last_drop_warning: AtomicU64,
    /// Drops since the last warning.
    unreported_drops: AtomicU64,
}

/// The audit recorder: cheap to clone (one `Arc`), never blocks the caller.
///
/// Build one per process with [`AuditLog::start`] (or [`AuditLog::disabled`]), clone it into every
/// handler, and [`flush`](AuditLog::flush) it on shutdown. The writer thread ends once every clone
/// is dropped and the queue is written.
#[derive(Clone)]
pub struct AuditLog {
    inner: Option<Arc<Inner>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("enabled", &self.inner.is_some())
            .field("stats", &self.stats())
            .finish()
    }
}

impl AuditLog {
    /// Starts the writer thread over `sink`. With `retention`, events older than that are deleted
    /// now (on the writer thread) and every [`PRUNE_INTERVAL`] after.
    ///
    /// The writer logs through the tracing subscriber current when this is called (the global one
    /// once logging is set up), so set up logging first.
    pub fn start(sink: Arc<dyn AuditSink>, retention: Option<Duration>) -> Self {
        Self::start_with_capacity(sink, retention, QUEUE_CAPACITY)
    }

    fn start_with_capacity(
        sink: Arc<dyn AuditSink>,
        retention: Option<Duration>,
        capacity: usize,
    ) -> Self {
        let (tx, rx) = mpsc::sync_channel(capacity);
        let counters = Arc::new(Counters::default());
        let writer = Writer {
            sink,
            retention,
            counters: Arc::clone(&counters),
            last_failure_warning: None,
            unreported_failures: 0,
        };
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let spawned = std::thread::Builder::new()
            .name("switchboard-audit".into())
            .spawn(move || {
                if dispatch.is::<tracing::subscriber::NoSubscriber>() {
                    writer.run(&rx);
                } else {
                    tracing::dispatcher::with_default(&dispatch, || writer.run(&rx));
                }
            });
        if let Err(error) = spawned {
            // The receiver went with the closure: every event counts as dropped, and says so.
            tracing::error!(%error, "cannot start the audit writer: audit events go to the log only");
        }
        Self {
            inner: Some(Arc::new(Inner {
                tx,
                counters,
                started: Instant::now(),
                last_drop_warning: AtomicU64::new(u64::MAX),
                unreported_drops: AtomicU64::new(0),
            })),
        }
    }

    /// An audit log that records nothing, neither in a store nor in the log.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// Whether events go anywhere.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Records one call: logs its JSON line now and queues it for the store. Never blocks; when the
    /// queue is full the event is dropped from the store and counted.
    pub fn record(&self, event: AuditEvent) {
        let Some(inner) = &self.inner else {
            return;
        };
        if tracing::enabled!(target: LOG_TARGET, tracing::Level::INFO) {
            match serde_json::to_string(&event) {
                Ok(json) => tracing::info!(target: LOG_TARGET, "{json}"),
                Err(error) => tracing::warn!(%error, "cannot serialize an audit event"),
            }
        }
        match inner.tx.try_send(Message::Event(Box::new(event))) {
            Ok(()) => {
                inner.counters.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => inner.note_drop(),
        }
    }

    /// Waits (blocking the thread) until every event recorded before this call is written or has
    /// failed. Returns at once for a disabled log or a writer that is gone. From async code use
    /// [`flush`](Self::flush).
    pub fn flush_blocking(&self) {
        let Some(inner) = &self.inner else {
            return;
        };
        let (reply, done) = mpsc::sync_channel(1);
        if inner.tx.send(Message::Flush(reply)).is_ok() {
            // An error means the writer is gone: nothing more will be written anyway.
            let _ = done.recv();
        }
    }

    /// [`flush_blocking`](Self::flush_blocking) without blocking the async runtime's workers.
    pub async fn flush(&self) {
        if self.inner.is_none() {
            return;
        }
        let log = self.clone();
        // A failed join means the flush panicked, which it cannot; either way there is nothing left
        // to wait for.
        let _ = tokio::task::spawn_blocking(move || log.flush_blocking()).await;
    }

    /// Counts since the log started (all zero for a disabled log).
    pub fn stats(&self) -> AuditStats {
        self.inner
            .as_ref()
            .map_or_else(AuditStats::default, |inner| {
                let c = &inner.counters;
                AuditStats {
                    queued: c.queued.load(Ordering::Relaxed),
                    dropped: c.dropped.load(Ordering::Relaxed),
                    written: c.written.load(Ordering::Relaxed),
                    failed: c.failed.load(Ordering::Relaxed),
                    batches: c.batches.load(Ordering::Relaxed),
                }
            })
    }
}

impl Inner {
    /// Counts a dropped event and warns, at most once per [`WARN_INTERVAL`].
    fn note_drop(&self) {
        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        self.unreported_drops.fetch_add(1, Ordering::Relaxed);
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let last = self.last_drop_warning.load(Ordering::Relaxed);
        let due = last == u64::MAX
            || now.saturating_sub(last) >= u64::try_from(WARN_INTERVAL.as_millis()).unwrap_or(0);
        if due
            && self
                .last_drop_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let dropped = self.unreported_drops.swap(0, Ordering::Relaxed);
            tracing::warn!(
                dropped,
                total_dropped = self.counters.dropped.load(Ordering::Relaxed),
                "audit queue full: events dropped from the store (their log lines were written); the store is not keeping up"
            );
        }
    }
}

/// The background thread's state.
struct Writer {
    sink: Arc<dyn AuditSink>,
    retention: Option<Duration>,
    counters: Arc<Counters>,
    last_failure_warning: Option<Instant>,
    unreported_failures: u64,
}

impl Writer {
    fn run(mut self, rx: &Receiver<Message>) {
        let mut next_prune = self.retention.map(|_| Instant::now());
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut waiting = Vec::new();
        loop {
            if let Some(at) = next_prune
                && Instant::now() >= at
            {
                self.prune();
                next_prune = Some(Instant::now() + PRUNE_INTERVAL);
            }
            let first = match next_prune {
                Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            let mut open = match first {
                Ok(message) => {
                    take(message, &mut batch, &mut waiting);
                    true
                }
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => false,
            };
            let deadline = Instant::now() + BATCH_WINDOW;
            while open && batch.len() < MAX_BATCH && waiting.is_empty() {
                match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(message) => take(message, &mut batch, &mut waiting),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => open = false,
                }
            }
            self.write(&batch);
            batch.clear();
            for reply in waiting.drain(..) {
                // The flusher may have given up waiting; nothing to do then.
                let _ = reply.send(());
            }
            if !open {
                return;
            }
        }
    }

    fn write(&mut self, batch: &[AuditEvent]) {
        if batch.is_empty() {
            return;
        }
        let count = batch.len() as u64;
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
        let result = catch_unwind(AssertUnwindSafe(|| self.sink.write(batch)))
            .unwrap_or_else(|_| Err("the audit sink panicked".to_owned()));
        match result {
            Ok(()) => {
                self.counters.written.fetch_add(count, Ordering::Relaxed);
            }
            Err(error) => {
                self.counters.failed.fetch_add(count, Ordering::Relaxed);
                self.unreported_failures += count;
                let due = self
                    .last_failure_warning
                    .is_none_or(|at| at.elapsed() >= WARN_INTERVAL);
                if due {
                    self.last_failure_warning = Some(Instant::now());
                    tracing::error!(
                        lost = self.unreported_failures,
                        %error,
                        "cannot store audit events: they are in the log lines only"
                    );
                    self.unreported_failures = 0;
                }
            }
        }
    }

    fn prune(&self) {
        let Some(retention) = self.retention else {
            return;
        };
        let keep_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        let before_ms = now_ms().saturating_sub(keep_ms);
        let result = catch_unwind(AssertUnwindSafe(|| self.sink.prune(before_ms)))
            .unwrap_or_else(|_| Err("the audit sink panicked".to_owned()));
        match result {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, before_ms, "pruned old audit events"),
            Err(error) => tracing::warn!(%error, "cannot prune old audit events"),
        }
    }
}

fn take(message: Message, batch: &mut Vec<AuditEvent>, waiting: &mut Vec<SyncSender<()>>) {
    match message {
        Message::Event(event) => batch.push(*event),
        Message::Flush(reply) => waiting.push(reply),
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::atomic::AtomicBool;
    use std::sync::{Mutex, PoisonError};

    use super::*;

    fn event(n: u64) -> AuditEvent {
        AuditEvent {
            at_ms: 1_764_324_000_000,
            server: Some("crm-reader".into()),
            account: Some("acme-crm".into()),
            user: Some("alice".into()),
            integration: "crm".into(),
            tool: "list_all_crm_contacts".into(),
            kind: "proxy".into(),
            via: "mcp".into(),
            request_id: Some(format!("req-{n}")),
            latency_ms: n,
            outcome: "ok".into(),
            upstream_status: Some(200),
        }
    }

    fn numbers(events: &[AuditEvent]) -> Vec<u64> {
        events.iter().map(|e| e.latency_ms).collect()
    }

    /// A sink in memory; optionally fails or panics on its first write, or holds its first write
    /// until released.
    #[derive(Default)]
    struct MemorySink {
        batches: Mutex<Vec<Vec<AuditEvent>>>,
        prunes: Mutex<Vec<i64>>,
        fail_first: AtomicBool,
        panic_first: AtomicBool,
        gate: Mutex<Option<(SyncSender<()>, Receiver<()>)>>,
    }

    impl MemorySink {
        fn batches(&self) -> Vec<Vec<AuditEvent>> {
            self.batches
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }

        fn all(&self) -> Vec<AuditEvent> {
            self.batches().concat()
        }
    }

    impl AuditSink for MemorySink {
        fn write(&self, events: &[AuditEvent]) -> Result<(), String> {
            let gate = self
                .gate
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some((entered, release)) = gate {
                entered.send(()).unwrap();
                release.recv().unwrap();
            }
            if self.panic_first.swap(false, Ordering::SeqCst) {
                panic!("sink exploded");
            }
            if self.fail_first.swap(false, Ordering::SeqCst) {
                return Err("disk I/O error".into());
            }
            self.batches
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(events.to_vec());
            Ok(())
        }

        fn prune(&self, before_ms: i64) -> Result<usize, String> {
            self.prunes
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(before_ms);
            Ok(0)
        }
    }

    /// Holds the sink's first write: returns (entered, release).
    fn gate(sink: &MemorySink) -> (Receiver<()>, SyncSender<()>) {
        let (entered_tx, entered_rx) = mpsc::sync_channel(1);
        let (release_tx, release_rx) = mpsc::sync_channel(1);
        *sink.gate.lock().unwrap() = Some((entered_tx, release_rx));
        (entered_rx, release_tx)
    }

    /// Log output captured from every thread that uses the subscriber.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn capturing() -> (Captured, impl tracing::Subscriber + Send + Sync) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::INFO)
            .finish();
        (captured, subscriber)
    }

    #[test]
    fn every_event_reaches_the_sink_in_order_and_flush_waits_for_them() {
        let sink = Arc::new(MemorySink::default());
        let log = AuditLog::start(sink.clone(), None);
        for n in 0..1_000 {
            log.record(event(n));
        }
        log.flush_blocking();
        assert_eq!(numbers(&sink.all()), (0..1_000).collect::<Vec<_>>());
        assert!(sink.batches().iter().all(|b| b.len() <= MAX_BATCH));
        assert_eq!(
            log.stats(),
            AuditStats {
                queued: 1_000,
                dropped: 0,
                written: 1_000,
                failed: 0,
                batches: sink.batches().len() as u64,
            }
        );
        // Nothing pending: a flush still returns.
        log.flush_blocking();
    }

    #[test]
    fn events_queued_behind_a_slow_write_are_written_in_batches() {
        let sink = Arc::new(MemorySink::default());
        let (entered, release) = gate(&sink);
        let log = AuditLog::start(sink.clone(), None);
        log.record(event(0));
        entered.recv().unwrap();
        // The writer is inside its first write: these wait in the queue.
        for n in 1..=600 {
            log.record(event(n));
        }
        release.send(()).unwrap();
        log.flush_blocking();
        let sizes: Vec<usize> = sink.batches().iter().map(Vec::len).collect();
        assert_eq!(sizes, [1, MAX_BATCH, 600 - MAX_BATCH]);
        assert_eq!(numbers(&sink.all()), (0..=600).collect::<Vec<_>>());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn flush_from_async_code_waits_for_the_writer() {
        let sink = Arc::new(MemorySink::default());
        let log = AuditLog::start(sink.clone(), None);
        let handler = log.clone();
        tokio::spawn(async move {
            for n in 0..10 {
                handler.record(event(n));
            }
        })
        .await
        .unwrap();
        log.flush().await;
        assert_eq!(sink.all().len(), 10);
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        let sink = Arc::new(MemorySink::default());
        let (entered, release) = gate(&sink);
        let log = AuditLog::start_with_capacity(sink.clone(), None, 4);
        log.record(event(0));
        entered.recv().unwrap();
        let (captured, subscriber) = capturing();
        tracing::subscriber::with_default(subscriber, || {
            for n in 1..=10 {
                log.record(event(n));
            }
        });
        let text = captured.text();
        assert_eq!(
            text.matches("audit queue full").count(),
            1,
            "one warning for a burst of drops: {text}"
        );
        assert_eq!(
            text.matches(LOG_TARGET).count(),
            10,
            "dropped events are still logged: {text}"
        );
        let stats = log.stats();
        assert_eq!((stats.queued, stats.dropped), (5, 6));
        release.send(()).unwrap();
        log.flush_blocking();
        assert_eq!(numbers(&sink.all()), [0, 1, 2, 3, 4]);
        assert_eq!(log.stats().written, 5);
    }

    #[test]
    fn each_event_is_logged_as_one_json_line() {
        let (captured, subscriber) = capturing();
        tracing::subscriber::with_default(subscriber, || {
            let log = AuditLog::start(Arc::new(MemorySink::default()), None);
            log.record(event(7));
            log.flush_blocking();
        });
        let text = captured.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        assert!(lines[0].contains(LOG_TARGET), "{text}");
        let json = &lines[0][lines[0].find('{').unwrap()..];
        let parsed: AuditEvent = serde_json::from_str(json).unwrap();
        assert_eq!(parsed, event(7));
    }

    #[test]
    fn a_failing_sink_is_logged_and_the_log_keeps_going() {
        let sink = Arc::new(MemorySink::default());
        sink.fail_first.store(true, Ordering::SeqCst);
        let (captured, subscriber) = capturing();
        let log =
            tracing::subscriber::with_default(subscriber, || AuditLog::start(sink.clone(), None));
        log.record(event(1));
        log.flush_blocking();
        log.record(event(2));
        log.flush_blocking();
        assert_eq!(numbers(&sink.all()), [2]);
        assert_eq!(log.stats().failed, 1);
        assert_eq!(log.stats().written, 1);
        let text = captured.text();
        assert!(text.contains("cannot store audit events"), "{text}");
        assert!(text.contains("disk I/O error"), "{text}");
    }

    #[test]
    fn a_panicking_sink_does_not_stop_the_writer() {
        let sink = Arc::new(MemorySink::default());
        sink.panic_first.store(true, Ordering::SeqCst);
        let log = AuditLog::start(sink.clone(), None);
        log.record(event(1));
        log.flush_blocking();
        log.record(event(2));
        log.flush_blocking();
        assert_eq!(numbers(&sink.all()), [2]);
        assert_eq!(log.stats().failed, 1);
    }

    #[test]
    fn retention_prunes_at_start_and_none_means_never() {
        let sink = Arc::new(MemorySink::default());
        let before = now_ms();
        let log = AuditLog::start(sink.clone(), Some(Duration::from_secs(3_600)));
        log.flush_blocking();
        let prunes = sink.prunes.lock().unwrap().clone();
        assert_eq!(prunes.len(), 1);
        let cut = prunes[0];
        assert!(
            (before - 3_600_000..=now_ms() - 3_600_000).contains(&cut),
            "{cut}"
        );

        let sink = Arc::new(MemorySink::default());
        let log = AuditLog::start(sink.clone(), None);
        log.record(event(1));
        log.flush_blocking();
        assert!(sink.prunes.lock().unwrap().is_empty());
    }

    #[test]
    fn a_disabled_log_records_nothing_and_flushes_at_once() {
        let (captured, subscriber) = capturing();
        tracing::subscriber::with_default(subscriber, || {
            let log = AuditLog::disabled();
            assert!(!log.is_enabled());
            log.record(event(1));
            log.flush_blocking();
            assert_eq!(log.stats(), AuditStats::default());
        });
        assert_eq!(captured.text(), "");
    }

    #[test]
    fn the_writer_ends_when_the_last_clone_is_dropped_after_writing_the_rest() {
        let sink = Arc::new(MemorySink::default());
        let log = AuditLog::start(sink.clone(), None);
        log.record(event(1));
        drop(log);
        // The writer holds the only other reference to the sink until it has written and exited.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&sink) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            Arc::strong_count(&sink),
            1,
            "the writer thread is still running"
        );
        assert_eq!(numbers(&sink.all()), [1]);
    }

    #[test]
    fn a_stored_event_round_trips_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            Store::open_with_key(
                dir.path().join("s.db"),
                switchboard_vault::MasterKey::from_bytes([1; 32]),
            )
            .unwrap(),
        );
        let log = AuditLog::start(store.clone(), None);
        log.record(event(3));
        log.flush_blocking();
        assert_eq!(
            store.audit_events(&AuditQuery::default()).unwrap(),
            [event(3)]
        );
    }

    #[test]
    fn events_for_calls_carry_names_and_figures() {
        let record = CallRecord {
            integration: "crm",
            tool: "get_single_crm_contact_by_id",
            kind: "proxy",
            outcome: "rate_limited",
            upstream_status: Some(429),
            latency: Duration::from_millis(1_250),
        };
        let before = now_ms();
        let event = event_for(
            &record,
            &CallContext {
                server: Some("crm-reader"),
                account: Some("acme-crm"),
                user: None,
                via: Via::Rest,
                request_id: Some("req-1"),
            },
        );
        assert!((before - 1_250..=now_ms() - 1_250).contains(&event.at_ms));
        assert_eq!(
            event,
            AuditEvent {
                at_ms: event.at_ms,
                server: Some("crm-reader".into()),
                account: Some("acme-crm".into()),
                user: None,
                integration: "crm".into(),
                tool: "get_single_crm_contact_by_id".into(),
                kind: "proxy".into(),
                via: "rest".into(),
                request_id: Some("req-1".into()),
                latency_ms: 1_250,
                outcome: "rate_limited".into(),
                upstream_status: Some(429),
            }
        );
    }
}
