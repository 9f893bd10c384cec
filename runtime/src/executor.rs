//! The executor: the runtime's one entry point for a tool call.
//!
//! Look the tool up in the account's integration → validate the arguments → hand the call to the
//! proxy executor ([`crate::proxy`]) or, for unified tools, to the unified layer that wraps it
//! ([`crate::unified`]) → log one event. No retries and no sleeps.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use jsonschema::Validator;
use serde_json::{Map, Value};

use crate::account::Account;
use crate::credential_source::{AccountCredential, CredentialSource};
use crate::observe::{CallObserver, CallRecord};
use crate::outcome::{Success, ToolError};
use crate::proxy::Proxy;
use crate::request;
use crate::table::{Integration, Tool};
use crate::unified;
use crate::validate;

/// Executor settings.
#[derive(Clone)]
pub struct ExecutorConfig {
    /// Upstream request timeout, connecting and reading the body included.
    pub timeout: Duration,
    /// Largest upstream response body accepted for one call (capped at `max_in_flight_bytes`);
    /// a larger answer is `upstream_invalid_response`.
    pub max_response_bytes: usize,
    /// Upstream response bytes this executor holds in memory at once, across all calls. A call whose
    /// answer finds no room waits for it until its timeout runs out, then answers `upstream_busy`.
    pub max_in_flight_bytes: usize,
    /// Key sealing `next_cursor` values; cursors from another key are refused.
    pub cursor_key: [u8; 32],
}

impl Default for ExecutorConfig {
    /// 10 s timeout, 16 MiB bodies, 256 MiB of bodies in flight, and a fresh random cursor key (cursors do not survive a restart;
    /// set a persistent key to keep them valid across restarts and replicas).
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_response_bytes: 16 * 1024 * 1024,
            max_in_flight_bytes: 256 * 1024 * 1024,
            cursor_key: random_key(),
        }
    }
}

impl fmt::Debug for ExecutorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutorConfig")
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_in_flight_bytes", &self.max_in_flight_bytes)
            .field("cursor_key", &"<redacted>")
            .finish()
    }
}

/// 32 random bytes from the operating system.
fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if getrandom::fill(&mut key).is_err() {
        // The OS source practically never fails; if it does, fall back to hashing what differs per
        // process and instant rather than using a fixed, guessable key.
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        hasher.update(format!("{:?}", std::time::SystemTime::now()).as_bytes());
        hasher.update(std::process::id().to_be_bytes());
        hasher.update(format!("{:p}", &key).as_bytes());
        hasher.update(format!("{:?}", Instant::now()).as_bytes());
        key = hasher.finalize().into();
    }
    key
}

/// A tool's parsed schemas.
#[derive(Clone, Debug)]
pub struct ToolSchemas {
    /// The input JSON Schema.
    pub input: Arc<Map<String, Value>>,
    /// The output JSON Schema.
    pub output: Arc<Map<String, Value>>,
    /// The description agents see.
    pub description: String,
}

/// Executes tool calls; cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct Executor {
    inner: Arc<Inner>,
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("tools", &self.inner.sorted.len())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

struct Inner {
    integrations: &'static [&'static Integration],
    /// Tools by name; unified tools share a name across integrations, so each name holds one entry
    /// per integration that has it.
    by_name: HashMap<&'static str, Vec<Entry>>,
    /// Every tool, sorted by name then integration; an entry's `index` points here.
    sorted: Vec<&'static Tool>,
    /// Parsed schemas, per tool index, on first use.
    schemas: Vec<OnceLock<ToolSchemas>>,
    /// Compiled input validators, per tool index, on first use.
    validators: Vec<OnceLock<Result<Validator, String>>>,
    /// What `schemas` returns for a tool this executor does not know.
    empty_schemas: ToolSchemas,
    /// Runs proxy tools (and, through the unified layer, unified ones).
    proxy: Proxy,
    /// Where credentials come from (shared with `proxy`).
    credentials: Arc<dyn CredentialSource>,
    /// Told about every finished call (metrics), once set.
    observer: OnceLock<Arc<dyn CallObserver>>,
    config: ExecutorConfig,
}

#[derive(Clone, Copy)]
struct Entry {
    integration: &'static Integration,
    tool: &'static Tool,
    index: usize,
}

impl Executor {
    /// Builds an executor over the given tables, sending each account's own credential as it is.
    pub fn new(integrations: &'static [&'static Integration], config: ExecutorConfig) -> Self {
        Self::with_credentials(integrations, config, Arc::new(AccountCredential))
    }

    /// Builds an executor whose upstream requests take their credentials from `credentials`.
    pub fn with_credentials(
        integrations: &'static [&'static Integration],
        config: ExecutorConfig,
        credentials: Arc<dyn CredentialSource>,
    ) -> Self {
        let mut all: Vec<(&'static Integration, &'static Tool)> = integrations
            .iter()
            .flat_map(|integration| {
                integration
                    .tools
                    .iter()
                    .map(move |tool| (*integration, tool))
            })
            .collect();
        all.sort_by_key(|(integration, tool)| (tool.name, integration.name));
        // Names are unique per integration by construction (the compiler refuses collisions); keep the
        // first should a hand-written table repeat one.
        all.dedup_by_key(|(integration, tool)| (tool.name, integration.name));
        let mut by_name: HashMap<&'static str, Vec<Entry>> = HashMap::new();
        for (index, (integration, tool)) in all.iter().enumerate() {
            by_name.entry(tool.name).or_default().push(Entry {
                integration,
                tool,
                index,
            });
        }
        let sorted: Vec<&'static Tool> = all.iter().map(|(_, tool)| *tool).collect();
        let count = sorted.len();
        Self {
            inner: Arc::new(Inner {
                integrations,
                by_name,
                sorted,
                schemas: (0..count).map(|_| OnceLock::new()).collect(),
                validators: (0..count).map(|_| OnceLock::new()).collect(),
                empty_schemas: ToolSchemas {
                    input: Arc::new(object_schema()),
                    output: Arc::new(object_schema()),
                    description: String::new(),
                },
                proxy: Proxy::new(integrations, &config, credentials.clone()),
                credentials,
                observer: OnceLock::new(),
                config,
            }),
        }
    }

    /// Tells `observer` about every call from now on (names and figures only). An executor has one
    /// observer: a second is refused (`false`).
    pub fn observe_with(&self, observer: Arc<dyn CallObserver>) -> bool {
        self.inner.observer.set(observer).is_ok()
    }

    /// Where a person reconnects `account` (its credential source's link), when known.
    pub fn reconnect_url(&self, account: &Account) -> Option<String> {
        self.inner.credentials.reconnect_url(account)
    }

    /// All integrations.
    pub fn integrations(&self) -> &'static [&'static Integration] {
        self.inner.integrations
    }

    /// One integration by name.
    pub fn integration(&self, name: &str) -> Option<&'static Integration> {
        self.inner
            .integrations
            .iter()
            .copied()
            .find(|i| i.name == name)
    }

    /// The tool `name` of `integration`.
    pub fn tool(&self, integration: &str, name: &str) -> Option<&'static Tool> {
        self.entry(integration, name).map(|entry| entry.tool)
    }

    /// All tools of every integration, sorted by name then integration.
    pub fn tools(&self) -> impl Iterator<Item = &'static Tool> {
        self.inner.sorted.iter().copied()
    }

    fn entry(&self, integration: &str, name: &str) -> Option<Entry> {
        self.inner
            .by_name
            .get(name)?
            .iter()
            .find(|entry| entry.integration.name == integration)
            .copied()
    }

    /// A tool's parsed schemas (parsed on first use, then cached).
    pub fn schemas(&self, tool: &Tool) -> &ToolSchemas {
        match self.entry(tool.integration, tool.name) {
            Some(entry) => self.entry_schemas(entry),
            None => &self.inner.empty_schemas,
        }
    }

    /// The schemas of an entry already looked up.
    fn entry_schemas(&self, entry: Entry) -> &ToolSchemas {
        self.inner
            .schemas
            .get(entry.index)
            .map(|cell| cell.get_or_init(|| parse_schemas(entry.tool)))
            .unwrap_or(&self.inner.empty_schemas)
    }

    /// Executes one tool call for `account`: one upstream request, never retried.
    pub async fn call(
        &self,
        account: &Account,
        tool_name: &str,
        args: Value,
    ) -> Result<Success, ToolError> {
        self.call_recorded(account, tool_name, args).await.0
    }

    /// [`Self::call`], also returning the record observers got (names and figures only), for
    /// callers that keep their own account of calls (audit).
    pub async fn call_recorded(
        &self,
        account: &Account,
        tool_name: &str,
        args: Value,
    ) -> (Result<Success, ToolError>, CallRecord) {
        let started = Instant::now();
        let mut upstream_status = None;
        // Looked up once, in the account's own integration: another integration's tool does not
        // exist here.
        let entry = self.entry(&account.integration, tool_name);
        let result = match entry {
            Some(entry) => self.run(account, entry, args, &mut upstream_status).await,
            None => Err(ToolError::UnknownTool(tool_name.to_owned())),
        };
        let result = result.map_err(|error| match error {
            // Every `auth_required` says where to reconnect, when the account can be reconnected.
            ToolError::AuthRequired {
                reconnect_url: None,
                message,
            } => ToolError::AuthRequired {
                reconnect_url: self.inner.credentials.reconnect_url(account),
                message,
            },
            other => other,
        });
        let latency = started.elapsed();
        let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        let outcome = match &result {
            Ok(_) => "ok",
            Err(error) => error.code(),
        };
        let record = CallRecord {
            integration: entry.map_or("unknown", |e| e.integration.name),
            tool: entry.map_or("unknown", |e| e.tool.name),
            kind: entry.map_or("unknown", |e| e.tool.kind_name()),
            outcome,
            upstream_status,
            latency,
        };
        if let Some(observer) = self.inner.observer.get() {
            observer.observe(&record);
        }
        // Names only: arguments, bodies and credentials never reach the log.
        tracing::info!(
            target: "switchboard::call",
            // The table's name, or `unknown`: never the caller's text.
            tool = record.tool,
            account = %account.id,
            upstream_status,
            latency_ms,
            outcome,
            "tool call"
        );
        (result, record)
    }

    async fn run(
        &self,
        account: &Account,
        entry: Entry,
        args: Value,
        upstream_status: &mut Option<u16>,
    ) -> Result<Success, ToolError> {
        // Absent arguments are an empty object; anything else not an object fails below.
        let args = match args {
            Value::Null => Value::Object(Map::new()),
            other => other,
        };
        let args = validate::normalize(&self.entry_schemas(entry).input, args);
        validate::check(self.validator(entry)?, &args)?;
        let Value::Object(args) = args else {
            return Err(ToolError::InvalidArguments {
                pointer: String::new(),
                message: "arguments must be a JSON object".to_owned(),
            });
        };
        match &entry.tool.unified {
            Some(route) => {
                let proxy = &self.inner.proxy;
                unified::run(proxy, account, entry.tool, route, args, upstream_status).await
            }
            None => {
                let split = request::split(entry.tool, args)?;
                self.inner
                    .proxy
                    .execute(
                        account,
                        entry.integration,
                        entry.tool,
                        split,
                        upstream_status,
                    )
                    .await
            }
        }
    }

    /// The tool's compiled input validator.
    fn validator(&self, entry: Entry) -> Result<&Validator, ToolError> {
        let cell = self
            .inner
            .validators
            .get(entry.index)
            .ok_or_else(|| ToolError::UnknownTool(entry.tool.name.to_owned()))?;
        let compiled = cell.get_or_init(|| {
            let schemas = self.entry_schemas(entry);
            validate::compile(&Value::Object(schemas.input.as_ref().clone()))
        });
        compiled.as_ref().map_err(|e| {
            // A generated schema that does not compile is a build defect, not the caller's fault.
            ToolError::Transport(format!(
                "tool {} has an invalid input schema ({e}); regenerate the tool tables",
                entry.tool.name
            ))
        })
    }
}

/// An empty object schema, for tools whose schema text is missing or malformed.
fn object_schema() -> Map<String, Value> {
    let mut schema = Map::new();
    schema.insert("type".to_owned(), Value::String("object".to_owned()));
    schema
}

/// Reads a tool's `{"description", "inputSchema", "outputSchema"}` text; falls back to an empty
/// object schema rather than failing, since listing tools must never break.
fn parse_schemas(tool: &Tool) -> ToolSchemas {
    let parsed: Option<Map<String, Value>> = serde_json::from_str(tool.schema).ok();
    let part = |key: &str| match parsed.as_ref().and_then(|p| p.get(key)) {
        Some(Value::Object(schema)) => schema.clone(),
        _ => object_schema(),
    };
    let description = parsed
        .as_ref()
        .and_then(|p| p.get("description"))
        .and_then(Value::as_str)
        .unwrap_or(tool.description)
        .to_owned();
    ToolSchemas {
        input: Arc::new(part("inputSchema")),
        output: Arc::new(part("outputSchema")),
        description,
    }
}

/// A client-supplied tool name as it may appear in logs: tool names are short `[a-z0-9_]` words, so
/// anything else (overlong, control characters, log-line forgery) is replaced.
pub fn loggable_tool_name(name: &str) -> &str {
    if name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        name
    } else {
        "<not a tool name>"
    }
}
