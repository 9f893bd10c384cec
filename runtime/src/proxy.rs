//! The proxy executor: one upstream request for one proxy tool of a generated table.
//!
//! Attach a usable credential → one request with a timeout → read rate-limit figures → normalize
//! errors or page the result → envelope. No retries and no sleeps: a rate-limited answer goes straight
//! back with its figures. The single exception is authentication: a 401 on a credential we believed
//! valid asks the [`CredentialSource`] once for a fresh one and replays that one request.
//! It knows nothing of unified tools: the unified layer wraps it, never the reverse.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Method, Url};
use serde_json::{Map, Value};

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

/// Same-origin redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

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
    max_response_bytes: usize,
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
        Self {
            tools,
            client,
            sealer: CursorSealer::new(config.cursor_key),
            credentials,
            max_response_bytes: config.max_response_bytes,
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
        let base = request::base_url(account.base_url.as_deref().unwrap_or(integration.base_url))?;
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
        let mut response = self.send(tool, &prepared, &placement).await?;
        if response.status == UNAUTHORIZED
            && let Some(fresh) = self.credentials.rejected(account, &credential).await?
        {
            // One refresh, one replay of this same request; a second 401 goes back as it is.
            placement = credentials::place(integration, &fresh)?;
            response = self.send(tool, &prepared, &placement).await?;
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

    /// Sends one request with `credential` attached and reads at most `max_response_bytes` of the
    /// answer.
    async fn send(
        &self,
        tool: &Tool,
        prepared: &Prepared,
        credential: &Placement,
    ) -> Result<Answer, ToolError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| ToolError::Transport(e.clone()))?;
        let mut url = prepared.url.clone();
        let mut headers = prepared.headers.clone();
        match credential {
            Placement::Header(name, value) => {
                headers.insert(name.clone(), value.clone());
            }
            Placement::Query(name, value) => {
                url.query_pairs_mut().append_pair(name, value);
            }
        }
        let mut builder = client
            .request(prepared.method.clone(), url)
            .headers(headers);
        if let Some(body) = &prepared.body {
            builder = builder.json(body);
        }
        let mut response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        let max = self.max_response_bytes;
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
    let url = request::build_url(base, &path, &query)?;
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
