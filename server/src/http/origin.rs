//! Host and Origin validation (DNS-rebinding and cross-site protection) as an axum middleware.
//!
//! A browser tricked into talking to a local server (DNS rebinding) sends the attacker's host name in
//! `Host`; a page on another site sends its own `Origin`. Both are checked against allowlists built from
//! where the server listens and its public URL. Requests without `Origin` (agents, CLIs, SDKs: anything
//! but a browser) pass the Origin check.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::uri::{Authority, Scheme};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::json_error;

/// A host allowlist entry: a host name or address, and a port when it must match too.
#[derive(Clone, Debug, PartialEq, Eq)]
struct HostEntry {
    host: String,
    port: Option<u16>,
}

/// An origin allowlist entry: scheme, host and (effective) port.
#[derive(Clone, Debug, PartialEq, Eq)]
struct OriginEntry {
    scheme: String,
    host: String,
    port: u16,
}

/// Which `Host` and `Origin` values a server accepts.
#[derive(Clone, Debug)]
pub struct OriginPolicy {
    /// `None` accepts any host (`--allowed-hosts '*'`).
    hosts: Option<Vec<HostEntry>>,
    /// `None` accepts any origin (`--allowed-origins '*'`).
    origins: Option<Vec<OriginEntry>>,
    /// Whether `Origin: null` is accepted.
    null_origin: bool,
}

/// An allowlist entry or public URL that could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OriginConfigError {
    /// The public URL is not an absolute http(s) URL.
    #[error("invalid public URL `{0}`: expected an absolute http:// or https:// URL")]
    PublicUrl(String),
    /// An `--allowed-hosts` entry is not `host` or `host:port`.
    #[error("invalid allowed host `{0}`: expected `host` or `host:port`")]
    Host(String),
    /// An `--allowed-origins` entry is not `scheme://host[:port]` or `null`.
    #[error("invalid allowed origin `{0}`: expected `http(s)://host[:port]` or `null`")]
    Origin(String),
}

impl OriginPolicy {
    /// The policy for a server listening on `listen`, reachable at `public_url`, plus extra entries.
    ///
    /// Accepted hosts: the listen address and, for loopback or wildcard listeners, `localhost`,
    /// `127.0.0.1` and `::1`, all on the listen port; the public URL's host; `extra_hosts`.
    /// Accepted origins: `http://` on those listen hosts and port; the public URL's origin;
    /// `extra_origins`. An entry `*` accepts anything.
    pub fn new(
        listen: SocketAddr,
        public_url: Option<&str>,
        extra_hosts: &[String],
        extra_origins: &[String],
    ) -> Result<Self, OriginConfigError> {
        let mut hosts = Vec::new();
        let mut origins = Vec::new();
        let port = listen.port();
        let ip = listen.ip();
        let mut listen_hosts = vec![normalize_host(&ip.to_string())];
        if ip.is_loopback() || ip.is_unspecified() {
            for name in ["localhost", "127.0.0.1", "::1"] {
                if !listen_hosts.iter().any(|h| h == name) {
                    listen_hosts.push(name.to_owned());
                }
            }
        }
        for host in listen_hosts {
            hosts.push(HostEntry {
                host: host.clone(),
                port: Some(port),
            });
            origins.push(OriginEntry {
                scheme: "http".into(),
                host,
                port,
            });
        }
        if let Some(url) = public_url {
            let (origin, explicit_port) =
                parse_origin(url).ok_or_else(|| OriginConfigError::PublicUrl(url.to_owned()))?;
            hosts.push(HostEntry {
                host: origin.host.clone(),
                port: explicit_port,
            });
            origins.push(origin);
        }
        let mut any_host = false;
        for entry in extra_hosts {
            let entry = entry.trim();
            if entry == "*" {
                any_host = true;
                continue;
            }
            hosts.push(parse_host(entry).ok_or_else(|| OriginConfigError::Host(entry.to_owned()))?);
        }
        let mut any_origin = false;
        let mut null_origin = false;
        for entry in extra_origins {
            let entry = entry.trim();
            match entry {
                "*" => any_origin = true,
                "null" => null_origin = true,
                _ => origins.push(
                    parse_origin(entry)
                        .map(|(origin, _)| origin)
                        .ok_or_else(|| OriginConfigError::Origin(entry.to_owned()))?,
                ),
            }
        }
        Ok(Self {
            hosts: (!any_host).then_some(hosts),
            origins: (!any_origin).then_some(origins),
            null_origin,
        })
    }

    /// Accepts every host and origin (for tests and trusted networks).
    pub fn permissive() -> Self {
        Self {
            hosts: None,
            origins: None,
            null_origin: true,
        }
    }

    /// Checks a request's `Host` and `Origin`; `Err` says which was refused.
    pub fn check(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
        if let Some(allowed) = &self.hosts {
            let host = headers
                .get(HOST)
                .and_then(|v| v.to_str().ok())
                .or_else(|| uri.authority().map(Authority::as_str))
                .and_then(parse_host)
                .ok_or(Refusal::Host)?;
            let accepted = allowed.iter().any(|entry| {
                entry.host == host.host
                    && match (entry.port, host.port) {
                        (None, _) => true,
                        (Some(want), Some(got)) => want == got,
                        (Some(want), None) => want == 80,
                    }
            });
            if !accepted {
                return Err(Refusal::Host);
            }
        }
        let Some(origin) = headers.get(ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().map_err(|_| Refusal::Origin)?.trim();
        if origin == "null" {
            return if self.null_origin || self.origins.is_none() {
                Ok(())
            } else {
                Err(Refusal::Origin)
            };
        }
        let Some(allowed) = &self.origins else {
            return Ok(());
        };
        let (origin, _) = parse_origin(origin).ok_or(Refusal::Origin)?;
        if allowed.contains(&origin) {
            Ok(())
        } else {
            Err(Refusal::Origin)
        }
    }
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The `Host` header is missing or not allowed.
    Host,
    /// The `Origin` header is not allowed.
    Origin,
}

/// The middleware: answers 403 to a request whose `Host` or `Origin` the policy refuses.
pub async fn enforce(
    State(policy): State<Arc<OriginPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    match policy.check(request.uri(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let (code, message) = match refusal {
                Refusal::Host => (
                    "forbidden_host",
                    "the Host header is not allowed on this server",
                ),
                Refusal::Origin => (
                    "forbidden_origin",
                    "the Origin header is not allowed on this server",
                ),
            };
            // The values themselves are attacker-controlled: log which check failed, not the value.
            tracing::warn!(check = code, method = %request.method(), "refused request");
            json_error(StatusCode::FORBIDDEN, code, message).into_response()
        }
    }
}

fn normalize_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn parse_host(text: &str) -> Option<HostEntry> {
    let authority = Authority::try_from(text.trim()).ok()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let host = normalize_host(authority.host());
    (!host.is_empty()).then_some(HostEntry {
        host,
        port: authority.port_u16(),
    })
}

/// Parses `scheme://host[:port][/…]` into an origin, and the port if it was explicit.
fn parse_origin(text: &str) -> Option<(OriginEntry, Option<u16>)> {
    let uri = Uri::try_from(text.trim()).ok()?;
    let scheme = uri.scheme()?;
    let default_port = if *scheme == Scheme::HTTP {
        80
    } else if *scheme == Scheme::HTTPS {
        443
    } else {
        return None;
    };
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let host = normalize_host(authority.host());
    if host.is_empty() {
        return None;
    }
    let explicit = authority.port_u16();
    Some((
        OriginEntry {
            scheme: scheme.as_str().to_ascii_lowercase(),
            host,
            port: explicit.unwrap_or(default_port),
        },
        explicit,
    ))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(host: Option<&'static str>, origin: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(HOST, HeaderValue::from_static(host));
        }
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    fn policy(public_url: Option<&str>) -> OriginPolicy {
        let listen: SocketAddr = "127.0.0.1:8080".parse().unwrap_or_else(|_| unreachable!());
        OriginPolicy::new(listen, public_url, &[], &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn loopback_hosts_on_the_listen_port_pass() {
        let policy = policy(None);
        let uri = Uri::from_static("/mcp/x");
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
        ] {
            let mut h = HeaderMap::new();
            h.insert(HOST, HeaderValue::from_static(host));
            assert_eq!(policy.check(&uri, &h), Ok(()), "{host}");
        }
        for host in [
            "evil.example:8080",
            "127.0.0.1:9999",
            "localhost",
            "user@localhost:8080",
        ] {
            let mut h = HeaderMap::new();
            h.insert(HOST, HeaderValue::from_static(host));
            assert_eq!(policy.check(&uri, &h), Err(Refusal::Host), "{host}");
        }
        assert_eq!(policy.check(&uri, &HeaderMap::new()), Err(Refusal::Host));
    }

    #[test]
    fn public_url_host_and_origin_pass() {
        let policy = policy(Some("https://mcp.example.com/base"));
        let uri = Uri::from_static("/mcp/x");
        assert_eq!(
            policy.check(&uri, &headers(Some("mcp.example.com"), None)),
            Ok(())
        );
        assert_eq!(
            policy.check(
                &uri,
                &headers(Some("mcp.example.com"), Some("https://mcp.example.com"))
            ),
            Ok(())
        );
        assert_eq!(
            policy.check(
                &uri,
                &headers(Some("mcp.example.com"), Some("http://mcp.example.com"))
            ),
            Err(Refusal::Origin)
        );
    }

    #[test]
    fn origins() {
        let policy = policy(None);
        let uri = Uri::from_static("/mcp/x");
        let host = Some("127.0.0.1:8080");
        assert_eq!(policy.check(&uri, &headers(host, None)), Ok(()));
        assert_eq!(
            policy.check(&uri, &headers(host, Some("http://localhost:8080"))),
            Ok(())
        );
        for origin in [
            "https://evil.example",
            "null",
            "http://localhost:3000",
            "garbage",
        ] {
            assert_eq!(
                policy.check(&uri, &headers(host, Some(origin))),
                Err(Refusal::Origin),
                "{origin}"
            );
        }
    }

    #[test]
    fn extra_entries_and_wildcards() {
        let listen: SocketAddr = "0.0.0.0:80".parse().unwrap_or_else(|_| unreachable!());
        let policy = OriginPolicy::new(
            listen,
            None,
            &["internal.corp".to_owned()],
            &["https://app.example.com".to_owned(), "null".to_owned()],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let uri = Uri::from_static("/");
        assert_eq!(
            policy.check(&uri, &headers(Some("internal.corp:1234"), None)),
            Ok(())
        );
        assert_eq!(
            policy.check(&uri, &headers(Some("localhost"), Some("null"))),
            Ok(())
        );
        assert_eq!(
            policy.check(
                &uri,
                &headers(Some("localhost"), Some("https://app.example.com:443"))
            ),
            Ok(())
        );
        let open = OriginPolicy::new(listen, None, &["*".to_owned()], &["*".to_owned()])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            open.check(&uri, &headers(Some("anything"), Some("https://x.y"))),
            Ok(())
        );
        assert!(OriginPolicy::new(listen, Some("not a url"), &[], &[]).is_err());
        assert!(OriginPolicy::new(listen, None, &["a b".to_owned()], &[]).is_err());
        assert!(OriginPolicy::new(listen, None, &[], &["ftp://x".to_owned()]).is_err());
    }
}
