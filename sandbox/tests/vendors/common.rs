//! A minimal client for the sandbox under test.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use switchboard_sandbox::{SandboxConfig, SandboxHandle, spawn};

/// A running sandbox plus an HTTP client that authenticates by default.
pub struct Sandbox {
    pub handle: SandboxHandle,
    pub http: reqwest::Client,
}

/// A response with its body read as JSON (`Value::Null` when empty).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// A header's value as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub async fn start(config: SandboxConfig) -> Sandbox {
    let handle = match spawn(config).await {
        Ok(handle) => handle,
        Err(e) => panic!("sandbox did not start: {e}"),
    };
    Sandbox {
        handle,
        http: reqwest::Client::new(),
    }
}

pub async fn start_default() -> Sandbox {
    start(SandboxConfig::default()).await
}

pub async fn read(response: reqwest::Result<Response>) -> Reply {
    let response = match response {
        Ok(r) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = match response.bytes().await {
        Ok(b) => b,
        Err(e) => panic!("body read failed: {e}"),
    };
    let plain_text = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    let body = if bytes.is_empty() {
        Value::Null
    } else if plain_text {
        Value::String(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    Reply {
        status,
        headers,
        body,
    }
}

impl Sandbox {
    /// An authenticated request to `path` (absolute URLs are used as they are).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.handle.base_url())
        };
        self.http
            .request(method, url)
            .bearer_auth(self.handle.api_token())
    }

    pub async fn get(&self, path: &str) -> Reply {
        read(self.request(Method::GET, path).send().await).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        read(self.request(Method::DELETE, path).send().await).await
    }

    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> Reply {
        read(self.request(method, path).json(body).send().await).await
    }

    pub async fn send_raw(&self, method: Method, path: &str, body: &'static str) -> Reply {
        read(
            self.request(method, path)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await,
        )
        .await
    }

    /// The absolute URL of `path` (absolute URLs are kept).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.handle.base_url())
        }
    }

    /// A Pipedrive request authenticated with the `api_token` query parameter (v1 spec style).
    pub fn pipedrive(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .query(&[("api_token", self.handle.api_token())])
    }

    /// A Pipedrive request and its reply; `body` is sent as JSON.
    pub async fn pd(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut request = self.pipedrive(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        read(request.send().await).await
    }

    /// A Zendesk request authenticated as `{email}/token` with the api token (HTTP Basic).
    pub fn zendesk(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .basic_auth("admin@example.com/token", Some(self.handle.api_token()))
    }

    /// A Zendesk request and its reply; `body` is sent as JSON.
    pub async fn zd(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut request = self.zendesk(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        read(request.send().await).await
    }

    /// A SOQL query (first page).
    pub async fn soql(&self, query: &str) -> Reply {
        read(
            self.request(Method::GET, "/services/data/v60.0/query")
                .query(&[("q", query)])
                .send()
                .await,
        )
        .await
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hex.
pub fn is_uuid_like(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && groups.iter().all(|g| {
            g.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        })
}

/// A field of a JSON object as text ("" when absent or not a string).
pub fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// A copied recording (see NOTICE.md) as JSON.
pub fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("fixture is not JSON: {e}"))
}
