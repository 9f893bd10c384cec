//! Hardening found by probing: redirects stay inside the account's base URL, oversized arguments are
//! the caller's mistake, a vendor that answered badly is not "unreachable", and upstream answers held in
//! memory at once are bounded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_runtime::account::{Account, Credential};
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_runtime::outcome::{Success, ToolError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

// ------------------------------------------------------------------------------------------------
// Helpers

const GET_OWNER: &str = "get_single_hub_spot_owner_by_id";
const CREATE_CONTACT: &str = "create_a_hub_spot_contact";
const LIST_CONTACTS: &str = "list_all_hub_spot_contacts";
const TOKEN: &str = "tenant-a-token";

fn executor(config: ExecutorConfig) -> Executor {
    Executor::new(switchboard_generated::INTEGRATIONS, config)
}

fn account(base_url: &str) -> Account {
    Account {
        id: "tenant-a".to_owned(),
        integration: "hubspot".to_owned(),
        base_url: Some(base_url.to_owned()),
        credential: Credential::Bearer(TOKEN.to_owned()),
        granted_scopes: None,
        expires_at: None,
        needs_reauth: false,
    }
}

async fn call(
    ex: &Executor,
    account: &Account,
    tool: &str,
    args: Value,
) -> Result<Success, ToolError> {
    ex.call(account, tool, args).await
}

/// One request as the vendor saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    body: String,
}

type Log = Arc<Mutex<Vec<Seen>>>;

fn seen(log: &Log) -> Vec<Seen> {
    log.lock().map(|seen| seen.clone()).unwrap_or_default()
}

/// What the fake vendor answers: status, `Location` (if any) and a JSON body.
type Answer = (u16, Option<String>, String);

/// A vendor answering each request with `answer(method, path)`, recording method, path, the
/// Authorization header and the body of every request it receives.
async fn vendor(answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> (String, Log) {
    use axum::body::{Body, to_bytes};
    use axum::extract::{Request, State};
    use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
    use axum::response::Response;

    type Shared = (Arc<dyn Fn(&str, &str) -> Answer + Send + Sync>, Log);
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let state: Shared = (Arc::new(answer), log.clone());
    let app = axum::Router::new().fallback(
        |State((answer, log)): State<Shared>, request: Request| async move {
            let (parts, body) = request.into_parts();
            let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
            let method = parts.method.as_str().to_owned();
            let path = parts.uri.path().to_owned();
            if let Ok(mut log) = log.lock() {
                log.push(Seen {
                    method: method.clone(),
                    path: path.clone(),
                    authorization: parts
                        .headers
                        .get(AUTHORIZATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
            }
            let (status, location, body) = answer(&method, &path);
            let mut response = Response::builder()
                .status(status)
                .header(CONTENT_TYPE, "application/json");
            if let Some(location) = location {
                response = response.header(LOCATION, location);
            }
            response
                .body(Body::from(body))
                .unwrap_or_else(|e| panic!("test vendor response: {e}"))
        },
    );
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.with_state(state)).await;
    });
    (format!("http://{addr}"), log)
}

fn ok_json(body: Value) -> Answer {
    (200, None, body.to_string())
}

fn redirect(status: u16, location: &str) -> Answer {
    (status, Some(location.to_owned()), String::new())
}

/// A raw HTTP server writing `head`, then each of `chunks` a few milliseconds apart, then closing.
async fn raw_server(head: String, chunks: Vec<Vec<u8>>) -> String {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let chunks = Arc::new(chunks);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let head = head.clone();
            let chunks = chunks.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let mut read = 0;
                // Read the request head; these tests send no bodies.
                while let Ok(n) = socket.read(&mut buffer[read..]).await {
                    if n == 0 {
                        return;
                    }
                    read += n;
                    if buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") || read == buffer.len() {
                        break;
                    }
                }
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for chunk in chunks.iter() {
                    if socket.write_all(chunk).await.is_err() {
                        return;
                    }
                    let _ = socket.flush().await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// A JSON owner record padded to about `size` bytes.
fn padded_owner(size: usize) -> String {
    let pad = "x".repeat(size.saturating_sub(30));
    json!({"id": "1", "pad": pad}).to_string()
}

/// `body` with a Content-Length, written in 4 KiB pieces.
async fn sized_server(body: &str) -> String {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    raw_server(head, pieces(body.as_bytes(), 4096)).await
}

/// `body` chunked (no Content-Length), in 4 KiB chunks.
async fn chunked_server(body: &str) -> String {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_owned();
    let mut chunks: Vec<Vec<u8>> = pieces(body.as_bytes(), 4096)
        .into_iter()
        .map(|piece| {
            let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
            chunk.extend_from_slice(&piece);
            chunk.extend_from_slice(b"\r\n");
            chunk
        })
        .collect();
    chunks.push(b"0\r\n\r\n".to_vec());
    raw_server(head, chunks).await
}

fn pieces(bytes: &[u8], size: usize) -> Vec<Vec<u8>> {
    bytes.chunks(size).map(<[u8]>::to_vec).collect()
}

// ------------------------------------------------------------------------------------------------
// Redirects stay inside the account's base URL

#[tokio::test]
async fn redirects_inside_the_base_url_are_followed_with_the_credential() {
    let (origin, log) = vendor(|_, path| match path {
        "/tenant-a/crm/v3/owners/1" => redirect(308, "/tenant-a/crm/v3/owners/2"),
        "/tenant-a/crm/v3/owners/2" => redirect(302, "3"),
        "/tenant-a/crm/v3/owners/3" => ok_json(json!({"id": "3"})),
        _ => (404, None, "{}".to_owned()),
    })
    .await;
    let ex = executor(ExecutorConfig::default());
    let account = account(&format!("{origin}/tenant-a"));
    let success = call(&ex, &account, GET_OWNER, json!({"id": "1"})).await;
    let success = success.unwrap_or_else(|e| panic!("followed: {e:?}"));
    assert_eq!(success.envelope["result"], json!({"id": "3"}));
    let seen = seen(&log);
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/tenant-a/crm/v3/owners/1",
            "/tenant-a/crm/v3/owners/2",
            "/tenant-a/crm/v3/owners/3"
        ]
    );
    let bearer = format!("Bearer {TOKEN}");
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some(bearer.as_str()))
    );
}

#[tokio::test]
async fn a_redirect_to_another_tenants_path_is_not_followed() {
    let (origin, log) = vendor(|_, path| match path {
        "/tenant-a/crm/v3/owners/1" => redirect(302, "/tenant-b/crm/v3/owners/1"),
        "/tenant-a/crm/v3/owners/2" => redirect(307, "/tenant-a-evil/crm/v3/owners/2"),
        "/tenant-a/crm/v3/owners/3" => redirect(301, "/tenant-a/../tenant-b/crm/v3/owners/3"),
        _ => ok_json(json!({"id": "stolen"})),
    })
    .await;
    let ex = executor(ExecutorConfig::default());
    let account = account(&format!("{origin}/tenant-a"));
    for id in ["1", "2", "3"] {
        let error = call(&ex, &account, GET_OWNER, json!({"id": id})).await;
        assert!(
            matches!(&error, Err(ToolError::Upstream { status, message, .. })
                if (301..=308).contains(status) && message.contains("not followed")),
            "{id}: {:?}",
            error.map(|s| s.envelope)
        );
    }
    let seen = seen(&log);
    assert_eq!(seen.len(), 3, "one request per call: {seen:?}");
    assert!(
        seen.iter()
            .all(|s| s.path.starts_with("/tenant-a/crm/v3/owners/")),
        "the credential reached another path: {seen:?}"
    );
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let (elsewhere, elsewhere_log) = vendor(|_, _| ok_json(json!({"id": "stolen"}))).await;
    let target = format!("{elsewhere}/tenant-a/crm/v3/owners/1");
    let (origin, log) = vendor(move |_, _| redirect(302, &target)).await;
    let ex = executor(ExecutorConfig::default());
    let account = account(&format!("{origin}/tenant-a"));
    let error = call(&ex, &account, GET_OWNER, json!({"id": "1"})).await;
    assert!(
        matches!(&error, Err(ToolError::Upstream { status: 302, .. })),
        "{:?}",
        error.map(|s| s.envelope)
    );
    assert_eq!(seen(&log).len(), 1);
    assert!(
        seen(&elsewhere_log).is_empty(),
        "another origin was called: {:?}",
        seen(&elsewhere_log)
    );
}

#[tokio::test]
async fn a_write_answered_307_is_not_replayed() {
    let (origin, log) = vendor(|_, path| match path {
        "/tenant-a/crm/v3/objects/contacts" => redirect(307, "/tenant-a/crm/v3/objects/contacts2"),
        _ => ok_json(json!({"id": "2"})),
    })
    .await;
    let ex = executor(ExecutorConfig::default());
    let account = account(&format!("{origin}/tenant-a"));
    let args = json!({"properties": {"email": "ada@example.com"}});
    let error = call(&ex, &account, CREATE_CONTACT, args).await;
    assert!(
        matches!(&error, Err(ToolError::Upstream { status: 307, .. })),
        "{:?}",
        error.map(|s| s.envelope)
    );
    let seen = seen(&log);
    assert_eq!(seen.len(), 1, "the write was replayed: {seen:?}");
    assert_eq!(seen[0].method, "POST");
}

#[tokio::test]
async fn a_write_answered_303_continues_as_a_get_without_body() {
    let (origin, log) = vendor(|method, path| match (method, path) {
        ("POST", "/tenant-a/crm/v3/objects/contacts") => {
            redirect(303, "/tenant-a/crm/v3/objects/contacts/7")
        }
        ("GET", "/tenant-a/crm/v3/objects/contacts/7") => ok_json(json!({"id": "7"})),
        _ => (405, None, "{}".to_owned()),
    })
    .await;
    let ex = executor(ExecutorConfig::default());
    let account = account(&format!("{origin}/tenant-a"));
    let args = json!({"properties": {"email": "ada@example.com"}});
    let success = call(&ex, &account, CREATE_CONTACT, args).await;
    let success = success.unwrap_or_else(|e| panic!("303: {e:?}"));
    assert_eq!(success.envelope["result"], json!({"id": "7"}));
    let seen = seen(&log);
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[1].method.as_str(), seen[1].body.as_str()),
        ("GET", "")
    );
}

#[tokio::test]
async fn redirect_loops_stop_after_five_hops() {
    let (origin, log) = vendor(|_, path| {
        let n: u32 = path
            .rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        redirect(302, &format!("/tenant-a/crm/v3/owners/{}", n + 1))
    })
    .await;
    let ex = executor(ExecutorConfig::default());
    let account = account(&format!("{origin}/tenant-a"));
    let error = call(&ex, &account, GET_OWNER, json!({"id": "1"})).await;
    assert!(
        matches!(&error, Err(ToolError::Upstream { status: 302, .. })),
        "{:?}",
        error.map(|s| s.envelope)
    );
    assert_eq!(seen(&log).len(), 6, "the first request and five redirects");
}

// ------------------------------------------------------------------------------------------------
// Bounded argument sizes

#[tokio::test]
async fn oversized_arguments_are_invalid_arguments_and_send_nothing() {
    let (origin, log) = vendor(|_, _| ok_json(json!({"id": "1", "results": []}))).await;
    let ex = executor(ExecutorConfig::default());
    let account = account(&origin);
    let refused = |result: Result<Success, ToolError>| match result {
        Err(ToolError::InvalidArguments { pointer, message }) => (pointer, message),
        other => panic!("not invalid_arguments: {:?}", other.map(|s| s.envelope)),
    };

    // A 64 KB path argument: the caller's mistake, not a vendor outage.
    let huge = "a".repeat(64 * 1024);
    let (pointer, message) = refused(call(&ex, &account, GET_OWNER, json!({"id": huge})).await);
    assert_eq!(pointer, "/id");
    assert!(message.contains("2048"), "{message}");
    assert!(
        !message.contains("aaaa"),
        "the value is not echoed: {message}"
    );

    // The limit counts encoded bytes: 342 `é` are 684 bytes, 2,052 once percent-encoded.
    let accented = "é".repeat(342);
    let (pointer, _) = refused(call(&ex, &account, GET_OWNER, json!({"id": accented})).await);
    assert_eq!(pointer, "/id");

    // Each item of a query array is bounded on its own...
    let properties = json!(["firstname", "p".repeat(3000)]);
    let (pointer, _) = refused(
        call(
            &ex,
            &account,
            LIST_CONTACTS,
            json!({"properties": properties}),
        )
        .await,
    );
    assert_eq!(pointer, "/properties/1");

    // ... and the whole URL too, pointing at the argument that makes it long.
    let many: Vec<String> = (0..20)
        .map(|i| format!("{i}{}", "q".repeat(1000)))
        .collect();
    let (pointer, message) =
        refused(call(&ex, &account, LIST_CONTACTS, json!({"properties": many})).await);
    assert_eq!(pointer, "/properties");
    assert!(message.contains("8192"), "{message}");

    assert!(
        seen(&log).is_empty(),
        "a request was sent: {:?}",
        seen(&log)
    );

    // At the limit, the call goes out.
    let at_limit = "a".repeat(2048);
    let success = call(&ex, &account, GET_OWNER, json!({"id": at_limit})).await;
    assert!(success.is_ok(), "{:?}", success.err());
    assert_eq!(seen(&log).len(), 1);
}

// ------------------------------------------------------------------------------------------------
// A vendor that answered is not "unreachable"

#[tokio::test]
async fn bad_answers_are_upstream_invalid_and_connection_failures_unreachable() {
    let ex = executor(ExecutorConfig {
        timeout: Duration::from_secs(5),
        max_response_bytes: 4096,
        ..ExecutorConfig::default()
    });

    // Cut off mid-body: 1,000 bytes announced, 20 sent.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n";
    let base = raw_server(
        head.to_owned(),
        vec![b"{\"id\": \"1\", \"pad\": \"".to_vec()],
    )
    .await;
    let error = call(&ex, &account(&base), GET_OWNER, json!({"id": "1"})).await;
    assert!(
        matches!(&error, Err(ToolError::UpstreamInvalid(message)) if message.contains("broke off")),
        "{:?}",
        error.map(|s| s.envelope)
    );

    // Too large, announced or not.
    for base in [
        sized_server(&padded_owner(10_000)).await,
        chunked_server(&padded_owner(10_000)).await,
    ] {
        let error = call(&ex, &account(&base), GET_OWNER, json!({"id": "1"})).await;
        let code = error.as_ref().err().map(ToolError::code);
        assert_eq!(
            code,
            Some("upstream_invalid_response"),
            "{error:?}",
            error = error.err()
        );
    }

    // Not JSON.
    let (origin, _) = vendor(|_, _| (200, None, "<html>maintenance</html>".to_owned())).await;
    let error = call(&ex, &account(&origin), GET_OWNER, json!({"id": "1"})).await;
    assert_eq!(
        error.err().map(|e| e.code()),
        Some("upstream_invalid_response")
    );

    // Nobody listening: that one is unreachable.
    let closed = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        Err(e) => panic!("bind: {e}"),
    };
    let error = call(
        &ex,
        &account(&format!("http://{closed}")),
        GET_OWNER,
        json!({"id": "1"}),
    )
    .await;
    assert!(
        matches!(&error, Err(ToolError::Transport(_))),
        "{:?}",
        error.map(|s| s.envelope)
    );
    assert_eq!(error.err().map(|e| e.code()), Some("upstream_unreachable"));
}

// ------------------------------------------------------------------------------------------------
// A bound on upstream bytes in flight

#[tokio::test]
async fn concurrent_large_answers_share_the_in_flight_budget_and_give_it_back() {
    // 64 KiB for everyone; each answer is 40 KiB, so only one fits at a time.
    let ex = executor(ExecutorConfig {
        timeout: Duration::from_secs(2),
        max_in_flight_bytes: 64 * 1024,
        ..ExecutorConfig::default()
    });
    let body = padded_owner(40 * 1024);
    let sized = account(&sized_server(&body).await);
    let chunked = account(&chunked_server(&body).await);

    // Announced lengths are held whole before reading, so the calls take turns and all complete.
    let mut calls = Vec::new();
    for _ in 0..8 {
        let (ex, account) = (ex.clone(), sized.clone());
        calls.push(tokio::spawn(async move {
            call(&ex, &account, GET_OWNER, json!({"id": "1"})).await
        }));
    }
    for handle in calls {
        let result = handle.await.unwrap_or_else(|e| panic!("task: {e}"));
        let success = result.unwrap_or_else(|e| panic!("a sized call failed: {e:?}"));
        assert_eq!(success.envelope["result"]["id"], "1");
    }

    // Unannounced lengths grow as they are read: when the budget runs out, one partly read answer
    // waits for room and completes; the others fail clearly as busy rather than take more memory.
    let mut calls = Vec::new();
    for _ in 0..4 {
        let (ex, account) = (ex.clone(), chunked.clone());
        calls.push(tokio::spawn(async move {
            call(&ex, &account, GET_OWNER, json!({"id": "1"})).await
        }));
    }
    let mut completed = 0;
    for handle in calls {
        match handle.await.unwrap_or_else(|e| panic!("task: {e}")) {
            Ok(success) => {
                assert_eq!(success.envelope["result"]["id"], "1");
                completed += 1;
            }
            Err(error @ ToolError::Busy(_)) => assert_eq!(error.code(), "upstream_busy"),
            Err(other) => panic!("neither complete nor busy: {other:?}"),
        }
    }
    assert!(completed >= 1, "every call failed");

    // Everything was given back: an answer needing almost the whole budget goes through at once.
    let nearly_all = account(&sized_server(&padded_owner(63 * 1024)).await);
    let success = call(&ex, &nearly_all, GET_OWNER, json!({"id": "1"})).await;
    assert!(success.is_ok(), "{:?}", success.err());
    let success = call(&ex, &chunked, GET_OWNER, json!({"id": "1"})).await;
    assert!(success.is_ok(), "{:?}", success.err());

    // An answer larger than the whole budget can never be held: too large, not busy.
    let too_big = account(&sized_server(&padded_owner(80 * 1024)).await);
    let error = call(&ex, &too_big, GET_OWNER, json!({"id": "1"})).await;
    assert_eq!(
        error.err().map(|e| e.code()),
        Some("upstream_invalid_response")
    );
}
