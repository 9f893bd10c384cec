//! The executor: runs one tool call from a generated table against the vendor.
//!
//! Validate → split arguments → attach credentials → one upstream request with a timeout → read
//! rate-limit figures → normalize errors or page the result → envelope. No retries and no sleeps:
//! a rate-limited answer goes straight back to the caller with its figures.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use jsonschema::Validator;
use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Method, Url};
use serde_json::{Map, Value};

use crate::account::Account;
use crate::credentials::{self, Placement};
use crate::cursor::{CursorSealer, CursorState, Position};
use crate::envelope;
use crate::outcome::{Success, ToolError};
use crate::pagination;
use crate::rate_limit::{self, RateLimitReading};
use crate::request::{self, SplitArgs};
use crate::table::{HttpVerb, Integration, Tool};
use crate::unified;
use crate::upstream_error;
use crate::validate;

/// Same-origin redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// Executor settings.
#[derive(Clone)]
pub struct ExecutorConfig {
    /// Upstream request timeout, connecting and reading the body included.
    pub timeout: Duration,
    /// Largest upstream response body accepted.
    pub max_response_bytes: usize,
    /// Key sealing `next_cursor` values; cursors from another key are refused.
    pub cursor_key: [u8; 32],
}

impl Default for ExecutorConfig {
    /// 10 s timeout, 16 MiB bodies, and a fresh random cursor key (cursors do not survive a restart;
    /// set a persistent key to keep them valid across restarts and replicas).
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_response_bytes: 16 * 1024 * 1024,
            cursor_key: random_key(),
        }
    }
}

impl fmt::Debug for ExecutorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutorConfig")
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
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
    /// One pooled client for every call; an error if TLS could not initialise.
    client: Result<Client, String>,
    sealer: CursorSealer,
    config: ExecutorConfig,
}

#[derive(Clone, Copy)]
struct Entry {
    integration: &'static Integration,
    tool: &'static Tool,
    index: usize,
}

impl Executor {
    /// Builds an executor over the given tables.
    pub fn new(integrations: &'static [&'static Integration], config: ExecutorConfig) -> Self {
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
        let client = Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                // A redirect to another origin would carry the account's credentials away.
                let same_origin = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.origin() == attempt.url().origin());
                if attempt.previous().len() > MAX_REDIRECTS || !same_origin {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| format!("could not initialise the HTTP client: {e}"));
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
                client,
                sealer: CursorSealer::new(config.cursor_key),
                config,
            }),
        }
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
            Some(entry) => self
                .inner
                .schemas
                .get(entry.index)
                .map(|cell| cell.get_or_init(|| parse_schemas(entry.tool)))
                .unwrap_or(&self.inner.empty_schemas),
            None => &self.inner.empty_schemas,
        }
    }

    /// Executes one tool call for `account`: one upstream request, never retried.
    pub async fn call(
        &self,
        account: &Account,
        tool_name: &str,
        args: Value,
    ) -> Result<Success, ToolError> {
        let started = Instant::now();
        let mut upstream_status = None;
        let result = self
            .run(account, tool_name, args, &mut upstream_status)
            .await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let outcome = match &result {
            Ok(_) => "ok",
            Err(error) => error.code(),
        };
        // Names only: arguments, bodies and credentials never reach the log.
        tracing::info!(
            target: "switchboard::call",
            tool = loggable_tool_name(tool_name),
            account = %account.id,
            upstream_status,
            latency_ms,
            outcome,
            "tool call"
        );
        result
    }

    async fn run(
        &self,
        account: &Account,
        tool_name: &str,
        args: Value,
        upstream_status: &mut Option<u16>,
    ) -> Result<Success, ToolError> {
        // Looked up in the account's own integration: another integration's tool does not exist here.
        let entry = self
            .entry(&account.integration, tool_name)
            .ok_or_else(|| ToolError::UnknownTool(tool_name.to_owned()))?;
        // Absent arguments are an empty object; anything else not an object fails below.
        let args = match args {
            Value::Null => Value::Object(Map::new()),
            other => other,
        };
        validate::check(self.validator(entry)?, &args)?;
        let Value::Object(args) = args else {
            return Err(ToolError::InvalidArguments {
                pointer: String::new(),
                message: "arguments must be a JSON object".to_owned(),
            });
        };
        match &entry.tool.unified {
            Some(route) => {
                unified::run(self, account, entry.tool, route, args, upstream_status).await
            }
            None => {
                let split = request::split(entry.tool, args)?;
                self.execute(account, entry, split, upstream_status).await
            }
        }
    }

    /// Runs the proxy tool `name` of the account's integration with already split arguments: one
    /// upstream request, never retried.
    pub(crate) async fn execute_proxy(
        &self,
        account: &Account,
        name: &str,
        split: impl FnOnce(&'static Tool) -> Result<SplitArgs, ToolError>,
        upstream_status: &mut Option<u16>,
    ) -> Result<Success, ToolError> {
        let entry = self
            .entry(&account.integration, name)
            .filter(|entry| !entry.tool.is_unified())
            .ok_or_else(|| {
                // The compiler routes unified tools only to proxy tools it emitted.
                ToolError::Transport(format!(
                    "the tool table routes to `{}`, which this integration does not have; \
                     regenerate the tool tables",
                    loggable_tool_name(name)
                ))
            })?;
        let split = split(entry.tool)?;
        self.execute(account, entry, split, upstream_status).await
    }

    /// One proxy request for the entry's tool with split arguments.
    async fn execute(
        &self,
        account: &Account,
        entry: Entry,
        split: SplitArgs,
        upstream_status: &mut Option<u16>,
    ) -> Result<Success, ToolError> {
        let (integration, tool) = (entry.integration, entry.tool);
        let base = request::base_url(account.base_url.as_deref().unwrap_or(integration.base_url))?;
        let credential = credentials::place(integration, &account.credential)?;

        let state = match (&tool.pagination, &split.cursor) {
            (Some(_), Some(cursor)) => self.inner.sealer.open(tool.name, &account.id, cursor)?,
            _ => CursorState {
                at: Position::First,
                skip: 0,
            },
        };
        let limit = split.limit;
        let prepared = prepare(tool, split, &state, &base, &credential)?;
        let response = self.send(tool, prepared).await?;
        *upstream_status = Some(response.status);
        let reading = rate_limit::read(&integration.rate_limit, &response.headers);

        if response.status >= 400 {
            return Err(upstream_error::classify(
                integration,
                response.status,
                response.reason,
                &response.body,
                reading,
            ));
        }
        if response.status >= 300 {
            return Err(ToolError::Upstream {
                status: response.status,
                code: None,
                message: "the vendor answered with a redirect that was not followed (to another \
                          origin, or too many)"
                    .to_owned(),
                rate_limit: reading.info,
            });
        }
        let body = parse_body(&response)?;
        let envelope = match &tool.pagination {
            Some(paging) => {
                let page = pagination::page(paging, body, &state, limit, &base)?;
                let next_cursor = page.next.map(|mut next| {
                    if let (Position::Url(link), Placement::Query(name, _)) =
                        (&mut next.at, &credential)
                    {
                        // Added back on the next request; never kept in the agent's cursor.
                        *link = request::without_query_param(link, name);
                    }
                    self.inner.sealer.seal(tool.name, &account.id, &next)
                });
                envelope::list(page.records, next_cursor, &reading.info)
            }
            None => envelope::single(body, &reading.info),
        };
        Ok(success(envelope, response.status, reading))
    }

    /// The tool's compiled input validator.
    fn validator(&self, entry: Entry) -> Result<&Validator, ToolError> {
        let cell = self
            .inner
            .validators
            .get(entry.index)
            .ok_or_else(|| ToolError::UnknownTool(entry.tool.name.to_owned()))?;
        let compiled = cell.get_or_init(|| {
            let schemas = self.schemas(entry.tool);
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

    /// Sends one request and reads at most `max_response_bytes` of the answer.
    async fn send(&self, tool: &Tool, prepared: Prepared) -> Result<Answer, ToolError> {
        let client = self
            .inner
            .client
            .as_ref()
            .map_err(|e| ToolError::Transport(e.clone()))?;
        let mut builder = client
            .request(prepared.method, prepared.url)
            .headers(prepared.headers);
        if let Some(body) = &prepared.body {
            builder = builder.json(body);
        }
        let mut response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        let max = self.inner.config.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > u64::try_from(max).unwrap_or(u64::MAX))
        {
            return Err(too_large(tool, max));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len().saturating_add(chunk.len()) > max {
                // Stop reading: dropping the response closes the connection.
                return Err(too_large(tool, max));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status: status.as_u16(),
            reason: status.canonical_reason(),
            headers: std::mem::take(response.headers_mut()),
            body,
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

/// A request ready to send.
struct Prepared {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Map<String, Value>>,
}

/// An upstream answer, fully read.
struct Answer {
    status: u16,
    reason: Option<&'static str>,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Builds the request for `tool` at paging position `state`.
fn prepare(
    tool: &Tool,
    split: SplitArgs,
    state: &CursorState,
    base: &Url,
    credential: &Placement,
) -> Result<Prepared, ToolError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let mut credential_query = None;
    match credential {
        Placement::Header(name, value) => {
            headers.insert(name.clone(), value.clone());
        }
        Placement::Query(name, value) => credential_query = Some((name.to_string(), value.clone())),
    }
    if let Some(paging) = &tool.pagination
        && let Some((name, value)) = pagination::limit_header(paging, split.limit)
    {
        let invalid = || {
            ToolError::Transport(format!(
                "tool {} declares an invalid page-size header",
                tool.name
            ))
        };
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_str(&value).map_err(|_| invalid())?;
        headers.insert(name, value);
    }

    if let Position::Url(link) = &state.at {
        // The vendor's link already carries the query; only credentials are added. It was checked
        // when the cursor was issued, and is checked again against today's base URL.
        let mut url = pagination::resolve_next_url(base, link).map_err(|_| {
            ToolError::InvalidCursor(
                "next_cursor points outside the account's base URL; omit it to start from the \
                 first page"
                    .to_owned(),
            )
        })?;
        if let Some((name, value)) = credential_query {
            url.query_pairs_mut().append_pair(&name, &value);
        }
        return Ok(Prepared {
            method: Method::GET,
            url,
            headers,
            body: None,
        });
    }

    let path = request::render_path(tool.path, &split.path)?;
    let mut query: Vec<(String, String)> = tool
        .fixed_query
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    query.extend(split.query);
    if let Some(paging) = &tool.pagination {
        if let Some((name, value)) = pagination::limit_query(paging, split.limit) {
            query.push((name.to_owned(), value));
        }
        if let Some((name, value)) = pagination::position_query(paging, &state.at)? {
            query.push((name.to_owned(), value));
        }
    }
    query.extend(credential_query);
    let url = request::build_url(base, &path, &query)?;
    Ok(Prepared {
        method: method(tool.http),
        url,
        headers,
        body: split.body,
    })
}

/// A client-supplied tool name as it may appear in logs: tool names are short `[a-z0-9_]` words, so
/// anything else (overlong, control characters, log-line forgery) is replaced.
pub(crate) fn loggable_tool_name(name: &str) -> &str {
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

fn method(verb: HttpVerb) -> Method {
    match verb {
        HttpVerb::Get => Method::GET,
        HttpVerb::Post => Method::POST,
        HttpVerb::Put => Method::PUT,
        HttpVerb::Patch => Method::PATCH,
        HttpVerb::Delete => Method::DELETE,
    }
}

/// The success body as JSON; empty bodies (204) are `null`.
fn parse_body(answer: &Answer) -> Result<Value, ToolError> {
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&answer.body).map_err(|e| {
        ToolError::Transport(format!(
            "the vendor answered {} with a body that is not JSON ({} bytes; {e})",
            answer.status,
            answer.body.len()
        ))
    })
}

fn success(envelope: Value, status: u16, reading: RateLimitReading) -> Success {
    Success {
        envelope,
        upstream_status: status,
        rate_limit: reading.info,
    }
}

fn too_large(tool: &Tool, max: usize) -> ToolError {
    ToolError::Transport(format!(
        "response too large: the vendor's answer to {} exceeds {max} bytes",
        tool.name
    ))
}

/// A reqwest failure as a tool error, without the URL (its query may hold an API key).
fn transport_error(error: reqwest::Error) -> ToolError {
    if error.is_timeout() {
        return ToolError::Timeout;
    }
    let connect = error.is_connect();
    let error = error.without_url();
    if connect {
        ToolError::Transport(format!("could not connect to the vendor: {error}"))
    } else {
        ToolError::Transport(format!("upstream request failed: {error}"))
    }
}
