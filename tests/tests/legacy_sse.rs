//! The legacy HTTP+SSE transport on the capability URL, driven the way AutoGen's `SseServerParams` and
//! CrewAI's default adapter drive it: GET the URL for an event stream, read the `endpoint` event, POST
//! JSON-RPC there, read the answers on the stream.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use rmcp::ServiceExt;
use serde_json::{Value, json};
use support::{Harness, Options};

/// An open legacy session: its stream and where to post.
struct Session {
    response: reqwest::Response,
    buffer: String,
    post_url: String,
    http: reqwest::Client,
}

impl Session {
    async fn open(base: &str, token: &str) -> Self {
        let http = reqwest::Client::new();
        let response = http
            .get(format!("{base}/mcp/{token}"))
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let mut session = Self {
            response,
            buffer: String::new(),
            post_url: String::new(),
            http,
        };
        let (event, data) = session.next_event().await;
        assert_eq!(event, "endpoint");
        assert!(
            data.starts_with(&format!("/mcp/{token}/messages?sessionId=")),
            "{data}"
        );
        session.post_url = format!("{base}{data}");
        session
    }

    /// The next event (name, data), skipping keep-alive comments.
    async fn next_event(&mut self) -> (String, String) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event = name.trim().to_owned();
                    } else if let Some(text) = line.strip_prefix("data:") {
                        data.push(text.strip_prefix(' ').unwrap_or(text).to_owned());
                    }
                }
                if !data.is_empty() {
                    return (event, data.join("\n"));
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("an event within 10 s")
                .unwrap()
                .expect("the stream stays open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    async fn post(&self, message: Value) -> reqwest::StatusCode {
        self.http
            .post(&self.post_url)
            .json(&message)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Posts a request and reads its answer from the stream.
    async fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        let status = self
            .post(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        assert_eq!(status, 202);
        let (event, data) = self.next_event().await;
        assert_eq!(event, "message");
        let answer: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(answer["id"], id, "{answer}");
        answer
    }
}

#[tokio::test]
async fn a_legacy_sse_client_initializes_lists_and_calls() {
    let harness = Harness::start(Options::default()).await;
    let mut session = Session::open(&harness.base, &harness.write_token).await;
    let init = session
        .request(
            1,
            "initialize",
            json!({"protocolVersion": "2024-11-05", "capabilities": {},
                   "clientInfo": {"name": "legacy-test", "version": "1"}}),
        )
        .await;
    assert_eq!(
        init["result"]["serverInfo"]["name"], "switchboard",
        "{init}"
    );
    let status = session
        .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    assert_eq!(status, 202);
    let tools = session.request(2, "tools/list", json!({})).await;
    assert!(
        tools["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "list_all_hub_spot_contacts"),
        "{tools}"
    );
    let call = session
        .request(
            3,
            "tools/call",
            json!({"name": "list_all_hub_spot_contacts", "arguments": {"limit": 2}}),
        )
        .await;
    assert_eq!(
        call["result"]["structuredContent"]["result_count"], 2,
        "{call}"
    );

    // Streamable HTTP keeps working on the same URL meanwhile.
    let url = format!("{}/mcp/{}", harness.base, harness.write_token);
    let client = rmcp::model::ClientConfig::default()
        .serve(rmcp::transport::StreamableHttpClientTransport::from_uri(
            url.as_str(),
        ))
        .await
        .unwrap();
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn bad_posts_are_refused_clearly() {
    let harness = Harness::start(Options::default()).await;
    let session = Session::open(&harness.base, &harness.read_token).await;
    let http = reqwest::Client::new();
    // Not JSON-RPC.
    let reply = http
        .post(&session.post_url)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    // A session of another server, or none at all.
    let other = session
        .post_url
        .replace(&harness.read_token, &harness.write_token);
    let reply = http
        .post(&other)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
    let reply = http
        .post(format!(
            "{}/mcp/{}/messages?sessionId=nope",
            harness.base, harness.read_token
        ))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
    // An unknown capability token.
    let reply = http
        .post(format!(
            "{}/mcp/{}/messages?sessionId=x",
            harness.base,
            "A".repeat(43)
        ))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
}

#[tokio::test]
async fn sessions_per_server_are_capped() {
    let harness = Harness::start(Options::default()).await;
    let mut open = Vec::new();
    for _ in 0..32 {
        open.push(Session::open(&harness.base, &harness.read_token).await);
    }
    let refused = reqwest::Client::new()
        .get(format!("{}/mcp/{}", harness.base, harness.read_token))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    // Another server is not starved by this one.
    let _other = Session::open(&harness.base, &harness.write_token).await;
    // A closed stream frees its place.
    drop(open.pop());
    let mut reopened = None;
    for _ in 0..50 {
        let reply = reqwest::Client::new()
            .get(format!("{}/mcp/{}", harness.base, harness.read_token))
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        if reply.status() == 200 {
            reopened = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reopened.is_some(), "a closed stream gives its place back");
}
