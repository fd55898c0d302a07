//! The native transport: `ureq` (blocking HTTP/1.1, rustls) on a helper thread per request, so the
//! async [`Transport`] interface holds without an async runtime. One thread per in-flight request is
//! cheap at the concurrency an evaluation uses (the client's semaphore bounds it); connections are
//! pooled by the shared `ureq::Agent`.

use std::io::ErrorKind;
use std::time::Duration;

use crate::error::TransportError;
use crate::rt::oneshot;
use crate::transport::{HttpRequest, HttpResponse, Method, Transport};

/// `ureq`-backed transport.
#[derive(Clone)]
pub struct NativeTransport {
    agent: ureq::Agent,
}

impl std::fmt::Debug for NativeTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NativeTransport")
    }
}

impl Default for NativeTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl NativeTransport {
    /// A transport with its own connection pool. HTTP error statuses come back as responses (the client
    /// decides), redirects are not followed (an API endpoint does not redirect a POST).
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("substance/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// Send a request on the calling thread (blocking).
    pub fn send_blocking(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        send_blocking(&self.agent, request)
    }
}

impl Transport for NativeTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (tx, rx) = oneshot();
        let agent = self.agent.clone();
        std::thread::Builder::new()
            .name("substance-http".into())
            .spawn(move || tx.send(send_blocking(&agent, request)))
            .map_err(|e| TransportError::Io(format!("cannot start a request thread: {e}")))?;
        rx.await.unwrap_or_else(|| {
            Err(TransportError::Io(
                "request thread ended without a result".into(),
            ))
        })
    }
}

fn send_blocking(
    agent: &ureq::Agent,
    request: HttpRequest,
) -> Result<HttpResponse, TransportError> {
    use ureq::RequestExt;
    let timeout = request.timeout;
    let mut builder = ureq::http::Request::builder()
        .method(request.method.as_str())
        .uri(request.url.as_str());
    for (k, v) in &request.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    if let Some(key) = &request.bearer {
        builder = builder.header("authorization", format!("Bearer {}", key.expose()));
    }
    let body = match request.method {
        Method::Post => request.body,
        Method::Get => Vec::new(),
    };
    // The http crate's messages name the offending part, which may be the header value: keep them out.
    let http_request = builder
        .body(body)
        .map_err(|_| TransportError::InvalidRequest("bad URL or header".into()))?;
    let mut response = http_request
        .with_agent(agent)
        .configure()
        .timeout_global(timeout)
        .build()
        .run()
        .map_err(|e| map_error(e, timeout, false))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned())))
        .collect();
    let limit = request.max_body_bytes;
    let body = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => TransportError::TooLarge { limit },
            e => map_error(e, timeout, true),
        })?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn map_error(e: ureq::Error, timeout: Option<Duration>, reading_body: bool) -> TransportError {
    let after = timeout.unwrap_or_default();
    match e {
        ureq::Error::Timeout(_) => TransportError::Timeout { after },
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportError::Timeout { after },
            _ if reading_body => TransportError::Truncated(io.to_string()),
            ErrorKind::ConnectionRefused
            | ErrorKind::AddrNotAvailable
            | ErrorKind::NotConnected
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable => TransportError::Connect(io.to_string()),
            _ => TransportError::Io(io.to_string()),
        },
        ureq::Error::Protocol(p) if reading_body => TransportError::Truncated(p.to_string()),
        ureq::Error::Protocol(p) => TransportError::Protocol(p.to_string()),
        ureq::Error::HostNotFound => TransportError::Connect("host not found".into()),
        ureq::Error::ConnectionFailed => TransportError::Connect("connection failed".into()),
        ureq::Error::BodyExceedsLimit(n) => TransportError::TooLarge { limit: n },
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            TransportError::InvalidRequest("bad URL or header".into())
        }
        ureq::Error::Tls(m) => TransportError::Tls(m.to_owned()),
        other => {
            let m = other.to_string();
            if m.to_ascii_lowercase().contains("tls") || m.contains("certificate") {
                TransportError::Tls(m)
            } else if reading_body {
                TransportError::Truncated(m)
            } else {
                TransportError::Io(m)
            }
        }
    }
}
