//! The proxy executor: one upstream request for one proxy tool of a generated table.
//!
//! Attach a usable credential → one request with a timeout → read rate-limit figures → normalize
//! errors or page the result → envelope. No retries and no sleeps: a rate-limited answer goes straight
//! back with its figures. The single exception is authentication: a 401 on a credential we believed
//! valid asks the [`CredentialSource`] once for a fresh one and replays that one request.
//! It knows nothing of unified tools: the unified layer wraps it, never the reverse.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Client, Method, Url};
use serde_json::{Map, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::account::Account;
use crate::credential_source::CredentialSource;
use crate::credentials::{self, Placement};
use crate::cursor::{CursorSealer, CursorState, Position};
use crate::envelope;
use crate::executor::{ExecutorConfig, loggable_tool_name};
use crate::outcome::{Success, ToolError};
use crate::pagination;
use crate::rate_limit::{self, RateLimitReading};
use crate::request::{self, SplitArgs};
use crate::table::{HttpVerb, Integration, Tool};
use crate::upstream_error;

/// Redirects followed (each inside the account's base URL) before giving up.
const MAX_REDIRECTS: usize = 5;

/// The in-flight budget counts in units of this many bytes.
const BUDGET_UNIT: usize = 1024;

/// HTTP 401: the vendor refused the credential.
const UNAUTHORIZED: u16 = 401;

/// Runs proxy tools; shared by the executor's entry point and the unified layer.
pub(crate) struct Proxy {
    /// Proxy tools by (integration, name), for the unified layer's routes.
    tools: HashMap<(&'static str, &'static str), (&'static Integration, &'static Tool)>,
    /// One pooled client for every call; an error if TLS could not initialise.
    client: Result<Client, String>,
    sealer: CursorSealer,
    credentials: Arc<dyn CredentialSource>,
    /// Largest answer read for one call (never above the whole in-flight budget).
    max_response_bytes: usize,
    /// Time for one call's request, redirects, body and budget waits together.
    timeout: Duration,
    /// Upstream answer bytes held in memory at once, across every call of this executor.
    budget: Budget,
}

impl Proxy {
    /// A proxy executor over `integrations`' proxy tools.
    pub(crate) fn new(
        integrations: &'static [&'static Integration],
        config: &ExecutorConfig,
        credentials: Arc<dyn CredentialSource>,
    ) -> Self {
        let tools = integrations
            .iter()
            .flat_map(|integration| {
                integration
                    .tools
                    .iter()
                    .filter(|tool| !tool.is_unified())
                    .map(move |tool| ((integration.name, tool.name), (*integration, tool)))
            })
            .collect();
        // Redirects are followed by `send`, which alone knows the account's base URL they must stay in.
        let client = Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("could not initialise the HTTP client: {e}"));
        let budget = Budget::new(config.max_in_flight_bytes);
        Self {
            tools,
            client,
            sealer: CursorSealer::new(config.cursor_key),
            credentials,
            max_response_bytes: config.max_response_bytes.min(budget.capacity_bytes()),
            timeout: config.timeout,
            budget,
        }
    }

    /// Runs the proxy tool `name` of the account's integration with arguments `split` builds: one
    /// upstream request, never retried.
    pub(crate) async fn execute_named(
        &self,
        account: &Account,
        name: &str,
        split: impl FnOnce(&'static Tool) -> Result<SplitArgs, ToolError>,
        upstream_status: &mut Option<u16>,
    ) -> Result<Success, ToolError> {
        let (integration, tool) = self
            .tools
            .get(&(account.integration.as_str(), name))
            .copied()
            .ok_or_else(|| {
                // The compiler routes unified tools only to proxy tools it emitted.
                ToolError::Transport(format!(
                    "the tool table routes to `{}`, which this integration does not have; \
                     regenerate the tool tables",
                    loggable_tool_name(name)
                ))
            })?;
        let split = split(tool)?;
        self.execute(account, integration, tool, split, upstream_status)
            .await
    }

    /// One proxy request for `tool` with split arguments (and at most one replay after a 401).
    pub(crate) async fn execute(
        &self,
        account: &Account,
        integration: &'static Integration,
        tool: &'static Tool,
        split: SplitArgs,
        upstream_status: &mut Option<u16>,
    ) -> Result<Success, ToolError> {
        let template = match account.base_url.as_deref() {
            Some(own) => own,
            None if crate::base_url::has_variables(integration.base_url) => {
                // Never a request to a host with braces in it: the account lacks its values.
                return Err(ToolError::Transport(format!(
                    "account `{}` has no base URL: `{}` needs {} (add the account again with --var)",
                    account.id,
                    integration.base_url,
                    integration
                        .base_url_variables
                        .iter()
                        .map(|v| format!("`{}` ({})", v.name, v.description))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            None => integration.base_url,
        };
        let base = request::base_url(template)?;
        let state = match (&tool.pagination, &split.cursor) {
            (Some(_), Some(cursor)) => self.sealer.open(tool.name, &account.id, cursor)?,
            _ => CursorState {
                at: Position::First,
                skip: 0,
            },
        };
        let limit = split.limit;
        let prepared = prepare(tool, split, &state, &base)?;
        let credential = self.credentials.usable(account).await?;
        let mut placement = credentials::place(integration, &credential)?;
        let mut response = self.send(tool, &prepared, &placement, &base).await?;
        if response.status == UNAUTHORIZED
            && let Some(fresh) = self.credentials.rejected(account, &credential).await?
        {
            // One refresh, one replay of this same request; a second 401 goes back as it is. The
            // refused answer gives its share of the in-flight budget back first.
            drop(response);
            placement = credentials::place(integration, &fresh)?;
            response = self.send(tool, &prepared, &placement, &base).await?;
        }
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
                message: "the vendor answered with a redirect that was not followed (outside the \
                          account's base URL, a write that would have been replayed, or too many)"
                    .to_owned(),
                rate_limit: reading.info,
            });
        }
        let body = parse_body(&response)?;
        let envelope = match &tool.pagination {
            Some(paging) => {
                // Whatever the pager cannot use is the vendor's answer, not the connection.
                let page =
                    pagination::page(paging, body, &state, limit, &base).map_err(|error| {
                        match error {
                            ToolError::Transport(message) => ToolError::UpstreamInvalid(message),
                            other => other,
                        }
                    })?;
                let next_cursor = page.next.map(|mut next| {
                    if let (Position::Url(link), Placement::Query(name, _)) =
                        (&mut next.at, &placement)
                    {
                        // Added back on the next request; never kept in the agent's cursor.
                        *link = request::without_query_param(link, name);
                    }
                    self.sealer.seal(tool.name, &account.id, &next)
                });
                envelope::list(page.records, next_cursor, &reading.info)
            }
            None => envelope::single(body, &reading.info),
        };
        Ok(success(envelope, response.status, reading))
    }

    /// Sends one request with `credential` attached, follows the redirects it may follow, and reads
    /// at most `max_response_bytes` of the final answer, all within the call's timeout.
    ///
    /// A redirect is followed only to a target inside the account's base URL (same origin, under its
    /// path), at most [`MAX_REDIRECTS`] times; 301, 302 and 303 continue as a GET without body; 307
    /// and 308 keep the method and body, and so are followed only for reads: a write is never
    /// replayed. Any other redirect comes back as the answer.
    async fn send(
        &self,
        tool: &Tool,
        prepared: &Prepared,
        credential: &Placement,
        base: &Url,
    ) -> Result<Answer, ToolError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| ToolError::Transport(e.clone()))?;
        let deadline = Instant::now() + self.timeout;
        let mut method = prepared.method.clone();
        let mut url = prepared.url.clone();
        let mut body = prepared.body.as_ref();
        let mut hops = 0;
        loop {
            let response = send_once(
                client,
                Hop {
                    method: &method,
                    url: &url,
                    headers: &prepared.headers,
                    credential,
                    body,
                },
                deadline,
            )
            .await?;
            let next = if hops < MAX_REDIRECTS {
                redirect(&response, &method, &url, base, credential)
            } else {
                None
            };
            let Some((next_method, next_url, keep_body)) = next else {
                return self.read(tool, response, deadline).await;
            };
            if !keep_body {
                body = None;
            }
            method = next_method;
            url = next_url;
            hops += 1;
        }
    }

    /// Reads the answer's body, holding its size in the in-flight budget (waiting for room until
    /// `deadline` at most).
    async fn read(
        &self,
        tool: &Tool,
        mut response: reqwest::Response,
        deadline: Instant,
    ) -> Result<Answer, ToolError> {
        let status = response.status();
        let max = self.max_response_bytes;
        let declared = match response.content_length() {
            Some(len) => match usize::try_from(len) {
                Ok(len) if len <= max => len,
                _ => return Err(too_large(tool, max)),
            },
            None => 0,
        };
        // A declared length is held at once, so a call does not stall half-read for room.
        let mut held = self.budget.hold(declared, deadline).await?;
        let mut body = Vec::with_capacity(declared);
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(error) => return Err(body_error(error, body.len())),
            };
            let len = body.len().saturating_add(chunk.len());
            if len > max {
                // Stop reading: dropping the response closes the connection.
                return Err(too_large(tool, max));
            }
            held.grow(len, deadline).await?;
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status: status.as_u16(),
            reason: status.canonical_reason(),
            headers: std::mem::take(response.headers_mut()),
            body,
            _held: held,
        })
    }
}

/// One request of a call: the first, or one after a redirect.
struct Hop<'a> {
    method: &'a Method,
    url: &'a Url,
    headers: &'a HeaderMap,
    credential: &'a Placement,
    body: Option<&'a Map<String, Value>>,
}

/// Sends one request with the credential attached; its response's body is not read yet.
async fn send_once(
    client: &Client,
    hop: Hop<'_>,
    deadline: Instant,
) -> Result<reqwest::Response, ToolError> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err(ToolError::Timeout);
    }
    let mut url = hop.url.clone();
    let mut headers = hop.headers.clone();
    match hop.credential {
        Placement::Header(name, value) => {
            headers.insert(name.clone(), value.clone());
        }
        Placement::Query(name, value) => {
            url.query_pairs_mut().append_pair(name, value);
        }
    }
    let mut builder = client
        .request(hop.method.clone(), url)
        .headers(headers)
        .timeout(remaining);
    if let Some(body) = hop.body {
        builder = builder.json(body);
    }
    builder.send().await.map_err(transport_error)
}

/// The method and URL to continue with, and whether the body goes along, when `response` is a
/// redirect this call may follow; `None` when it is not a redirect, or one that must not be followed.
fn redirect(
    response: &reqwest::Response,
    method: &Method,
    from: &Url,
    base: &Url,
    credential: &Placement,
) -> Option<(Method, Url, bool)> {
    let (next_method, keep_body) = match response.status().as_u16() {
        301..=303 if *method == Method::HEAD => (Method::HEAD, false),
        301..=303 => (Method::GET, false),
        // The same method and body again: a write would be replayed.
        307 | 308 if *method == Method::GET || *method == Method::HEAD => (method.clone(), true),
        _ => return None,
    };
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    let mut target = from.join(location.trim()).ok()?;
    target.set_fragment(None);
    if !request::within_base(base, &target) {
        // Another origin, or another tenant's path on the same one: the credential stays home.
        return None;
    }
    if let Placement::Query(name, _) = credential {
        // Added back by `send_once`; a vendor echoing it in the link must not make it appear twice.
        target = Url::parse(&request::without_query_param(target.as_str(), name)).ok()?;
    }
    Some((next_method, target, keep_body))
}

/// Upstream answer bytes held in memory at once, shared by every call of one executor: a semaphore
/// whose permits are [`BUDGET_UNIT`]s of body.
///
/// An answer whose length is announced holds it whole before its body is read, waiting (holding
/// nothing) until its deadline at most. An answer of unknown length grows its share as chunks arrive;
/// when there is no room, one such partly read answer at a time (the one holding `turn`) waits for
/// more, and the others give up at once as busy: two partly read answers each waiting for the room
/// the other holds would otherwise both wait until their timeouts and both fail.
struct Budget {
    permits: Arc<Semaphore>,
    turn: Arc<Semaphore>,
    units: usize,
}

impl Budget {
    fn new(bytes: usize) -> Self {
        let most = Semaphore::MAX_PERMITS.min(usize::try_from(u32::MAX).unwrap_or(usize::MAX));
        let units = (bytes / BUDGET_UNIT).clamp(1, most);
        Self {
            permits: Arc::new(Semaphore::new(units)),
            turn: Arc::new(Semaphore::new(1)),
            units,
        }
    }

    /// The whole budget in bytes: no single answer can be larger.
    fn capacity_bytes(&self) -> usize {
        self.units.saturating_mul(BUDGET_UNIT)
    }

    /// Room for `bytes` of one answer (grown as it is read), waiting until `deadline` at most.
    async fn hold(&self, bytes: usize, deadline: Instant) -> Result<Held, ToolError> {
        let mut held = Held {
            permits: self.permits.clone(),
            turn: self.turn.clone(),
            permit: None,
            units: 0,
            budget_bytes: self.capacity_bytes(),
        };
        held.grow(bytes, deadline).await?;
        Ok(held)
    }
}

/// One answer's share of the [`Budget`], given back when dropped.
struct Held {
    permits: Arc<Semaphore>,
    turn: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
    units: u32,
    budget_bytes: usize,
}

impl Held {
    /// Holds room for `bytes` in all: at once when there is room; else waiting until `deadline` at
    /// most, when holding nothing yet or when no other partly read answer is waiting.
    async fn grow(&mut self, bytes: usize, deadline: Instant) -> Result<(), ToolError> {
        let want = u32::try_from(bytes.div_ceil(BUDGET_UNIT)).unwrap_or(u32::MAX);
        let extra = want.saturating_sub(self.units);
        if extra == 0 {
            return Ok(());
        }
        let permit = match self.permits.clone().try_acquire_many_owned(extra) {
            Ok(permit) => permit,
            Err(_) => {
                // Waiting while holding nothing stalls no one; while holding part of an answer, only
                // with the turn, released as soon as the room is found.
                let _turn = if self.units == 0 {
                    None
                } else {
                    Some(
                        self.turn
                            .clone()
                            .try_acquire_owned()
                            .map_err(|_| self.busy())?,
                    )
                };
                let acquire = self.permits.clone().acquire_many_owned(extra);
                match tokio::time::timeout_at(deadline, acquire).await {
                    Ok(Ok(permit)) => permit,
                    // Timed out (or, never in practice, closed).
                    _ => return Err(self.busy()),
                }
            }
        };
        match &mut self.permit {
            Some(held) => held.merge(permit),
            None => self.permit = Some(permit),
        }
        self.units = want;
        Ok(())
    }

    fn busy(&self) -> ToolError {
        ToolError::Busy(format!(
            "this server is already holding {} bytes of vendor answers, its limit; try again in a \
             few seconds",
            self.budget_bytes
        ))
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
    /// The body's share of the in-flight budget, given back when the answer is dropped.
    _held: Held,
}

/// Builds the request for `tool` at paging position `state`, without its credential (added per send,
/// so a replay after a refresh sends the same request with the new one).
fn prepare(
    tool: &Tool,
    split: SplitArgs,
    state: &CursorState,
    base: &Url,
) -> Result<Prepared, ToolError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
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
        // The vendor's link already carries the query; only the credential is added (at send). It was checked
        // when the cursor was issued, and is checked again against today's base URL.
        let url = pagination::resolve_next_url(base, link).map_err(|_| {
            ToolError::InvalidCursor(
                "next_cursor points outside the account's base URL; omit it to start from the \
                 first page"
                    .to_owned(),
            )
        })?;
        request::check_url_length(&url, Some(request::CURSOR_ARG))?;
        return Ok(Prepared {
            method: Method::GET,
            url,
            headers,
            body: None,
        });
    }

    // Looked up before the arguments are moved into the URL, to name one should it be too long.
    let culprit = request::largest_argument(tool, &split)
        .or_else(|| split.cursor.is_some().then_some(request::CURSOR_ARG));
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
    let url = request::build_url(base, &path, &query)?;
    request::check_url_length(&url, culprit)?;
    Ok(Prepared {
        method: method(tool.http),
        url,
        headers,
        body: split.body,
    })
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
        ToolError::UpstreamInvalid(format!(
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
    ToolError::UpstreamInvalid(format!(
        "response too large: the vendor's answer to {} exceeds {max} bytes",
        tool.name
    ))
}

/// A failure while reading an answer's body: the vendor answered, then broke off.
fn body_error(error: reqwest::Error, read: usize) -> ToolError {
    if error.is_timeout() {
        return ToolError::Timeout;
    }
    ToolError::UpstreamInvalid(format!(
        "the vendor's answer broke off after {read} bytes of body: {}",
        error.without_url()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[tokio::test]
    async fn an_exhausted_budget_waits_then_answers_busy_and_is_given_back_on_drop() {
        let budget = Budget::new(8 * 1024);
        assert_eq!(budget.capacity_bytes(), 8 * 1024);
        let first = budget.hold(6 * 1024, soon(1000)).await;
        let Ok(mut first) = first else {
            panic!("room for the first answer: {first:?}", first = first.err());
        };
        // 6 KiB held, 2 KiB left: a 3 KiB answer waits, then is told the server is busy.
        let second = budget.hold(3 * 1024, soon(50)).await;
        assert!(
            matches!(&second, Err(ToolError::Busy(message)) if message.contains("8192")),
            "{:?}",
            second.err()
        );
        // Growing within what is held costs nothing; growing past it waits for room.
        assert!(first.grow(6 * 1024 - 1, soon(10)).await.is_ok());
        assert!(first.grow(8 * 1024, soon(10)).await.is_ok());
        assert_eq!(budget.permits.available_permits(), 0);
        // A waiter is served as soon as the holder's answer is dropped.
        let waiter = budget.hold(8 * 1024, soon(2000));
        let release = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(first);
        };
        let (held, ()) = tokio::join!(waiter, release);
        assert!(held.is_ok());
        drop(held);
        assert_eq!(budget.permits.available_permits(), 8);
    }

    #[tokio::test]
    async fn one_partly_read_answer_waits_for_room_the_others_give_up_at_once() {
        let budget = Budget::new(8 * 1024);
        let (Ok(mut first), Ok(mut second)) = (
            budget.hold(4 * 1024, soon(1000)).await,
            budget.hold(4 * 1024, soon(1000)).await,
        ) else {
            panic!("room for both answers");
        };
        // Both are partly read and the budget is full: the first waits for more room; the second,
        // also partly read, does not wait behind it (each would wait for the other's room).
        let first_grows = first.grow(6 * 1024, soon(2000));
        let second_gives_up = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let result = second.grow(6 * 1024, soon(2000)).await;
            drop(second);
            result
        };
        let (grown, given_up) = tokio::join!(first_grows, second_gives_up);
        assert!(grown.is_ok(), "{:?}", grown.err());
        assert!(matches!(given_up, Err(ToolError::Busy(_))), "{given_up:?}");
        assert_eq!(first.units, 6);
        drop(first);
        assert_eq!(budget.permits.available_permits(), 8);
        assert_eq!(budget.turn.available_permits(), 1);
    }

    #[test]
    fn budgets_round_to_whole_units_and_never_to_nothing() {
        assert_eq!(Budget::new(0).capacity_bytes(), BUDGET_UNIT);
        assert_eq!(Budget::new(1500).capacity_bytes(), BUDGET_UNIT);
        assert_eq!(
            Budget::new(256 * 1024 * 1024).capacity_bytes(),
            256 * 1024 * 1024
        );
        assert!(Budget::new(usize::MAX).capacity_bytes() > 0);
    }
}
