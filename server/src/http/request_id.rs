//! A request id on every request: the caller's `X-Request-Id` when it is a plausible id, else a new
//! one; echoed on the response and carried into the call's log line.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The header carrying it, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request's id, in its extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Whether a caller's id can be used as is: short, and only characters that cannot forge log lines.
fn plausible(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn fresh() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        // Ids need to be distinct, not secret.
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        return format!("req-{}", COUNTER.fetch_add(1, Ordering::Relaxed));
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The middleware.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| plausible(v))
        .map_or_else(fresh, str::to_owned);
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_kept() {
        assert!(plausible("7f3c-91ab_x.y:1"));
        for bad in ["", "a b", "line\nbreak", "é", &"x".repeat(129)] {
            assert!(!plausible(bad), "{bad:?}");
        }
        assert_ne!(fresh(), fresh());
        assert!(plausible(&fresh()));
    }
}
