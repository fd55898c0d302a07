//! A small OpenAI-compatible HTTP/1.1 server for `substance serve` (native only, std only — no server
//! framework in the dependency tree).
//!
//! The model side is a [`ServeBackend`]: it receives parsed [`CompletionRequest`]s and
//! [`ChatCompletionRequest`]s and returns the response types of [`crate::api`], or an [`ApiFailure`]
//! (status + OpenAI error body). This module does the rest: routing (`GET /v1/models`,
//! `POST /v1/completions`, `POST /v1/chat/completions`, with or without the `/v1` prefix), request
//! parsing with typed 400s (the JSON path of what is wrong), a body limit (413), `stream: true` refused
//! (400, this server does not stream), `Expect: 100-continue`, CORS (so the browser page can call a local
//! server; `Retry-After` is exposed), a cap on concurrent connections (503 with `Retry-After: 1`, which
//! the client retries), one thread per connection and `Connection: close`.
//!
//! For log-likelihood through `echo`, a backend builds the block with
//! [`crate::api::CompletionLogprobs::from_tokens`], which computes `text_offset` the way the client reads it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    ApiError, ChatCompletionRequest, ChatCompletionResponse, CompletionRequest, CompletionResponse,
    ModelList,
};

/// An error answer: HTTP status and OpenAI error body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub error: ApiError,
}

impl ApiFailure {
    /// 400 `invalid_request_error`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            error: ApiError::new("invalid_request_error", message),
        }
    }
    /// 404 `not_found_error` (e.g. an unknown model).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            error: ApiError::new("not_found_error", message),
        }
    }
    /// 500 `server_error`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: 500,
            error: ApiError::new("server_error", message),
        }
    }
}

/// What `substance serve` plugs in: a model that answers parsed requests. Called from connection
/// threads, concurrently.
pub trait ServeBackend: Send + Sync {
    /// `GET /v1/models`.
    fn models(&self) -> ModelList;
    /// `POST /v1/completions` (`stream` is already refused).
    fn completions(&self, request: CompletionRequest) -> Result<CompletionResponse, ApiFailure>;
    /// `POST /v1/chat/completions` (`stream` is already refused).
    fn chat(&self, request: ChatCompletionRequest) -> Result<ChatCompletionResponse, ApiFailure>;
}

/// Server limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Connections handled at once; more get 503 + `Retry-After: 1`.
    pub max_connections: usize,
    /// Give up on a client that sends nothing for this long.
    pub read_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 << 20,
            max_connections: 64,
            read_timeout: Duration::from_secs(30),
        }
    }
}

/// A routed answer: status, JSON body, extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body (empty for 204).
    pub body: String,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
}

fn json_answer<T: Serialize>(status: u16, value: &T) -> Answer {
    match serde_json::to_string(value) {
        Ok(body) => Answer {
            status,
            body,
            headers: vec![],
        },
        Err(e) => failure(ApiFailure::internal(format!(
            "cannot serialise the response: {e}"
        ))),
    }
}

fn failure(f: ApiFailure) -> Answer {
    json_answer(f.status, &f.error)
}

fn parse_request<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiFailure> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ApiFailure::bad_request(if path == "." || path.is_empty() {
            format!("invalid JSON body: {inner}")
        } else {
            format!("invalid JSON body at `{path}`: {inner}")
        })
    })
}

/// Route one request (no sockets involved: the unit the tests and other transports can reuse).
pub fn route(backend: &dyn ServeBackend, method: &str, path: &str, body: &[u8]) -> Answer {
    let path = path.split('?').next().unwrap_or_default();
    let path = path.strip_prefix("/v1").unwrap_or(path);
    match (method, path) {
        ("OPTIONS", _) => Answer {
            status: 204,
            body: String::new(),
            headers: vec![],
        },
        ("GET", "/models") => json_answer(200, &backend.models()),
        ("POST", "/completions") => {
            let r = parse_request::<CompletionRequest>(body).and_then(|req| {
                if req.stream == Some(true) {
                    return Err(ApiFailure::bad_request(
                        "`stream: true` is not supported by this server",
                    ));
                }
                backend.completions(req)
            });
            match r {
                Ok(resp) => json_answer(200, &resp),
                Err(f) => failure(f),
            }
        }
        ("POST", "/chat/completions") => {
            let r = parse_request::<ChatCompletionRequest>(body).and_then(|req| {
                if req.stream == Some(true) {
                    return Err(ApiFailure::bad_request(
                        "`stream: true` is not supported by this server",
                    ));
                }
                backend.chat(req)
            });
            match r {
                Ok(resp) => json_answer(200, &resp),
                Err(f) => failure(f),
            }
        }
        (_, "/models" | "/completions" | "/chat/completions") => failure(ApiFailure {
            status: 405,
            error: ApiError::new(
                "invalid_request_error",
                format!("method {method} not allowed here"),
            ),
        }),
        _ => failure(ApiFailure::not_found(format!(
            "no route for {method} {path}"
        ))),
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Serve `backend` on `listener` (bind it yourself: `TcpListener::bind("127.0.0.1:8000")`) from a
    /// background accept thread.
    pub fn start(
        listener: TcpListener,
        backend: Arc<dyn ServeBackend>,
        options: ServeOptions,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let active = Arc::new(AtomicUsize::new(0));
        let accept = std::thread::Builder::new()
            .name("substance-serve".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    let n = active.fetch_add(1, Ordering::SeqCst);
                    let (backend, options, in_conn) =
                        (backend.clone(), options.clone(), active.clone());
                    let spawned = std::thread::Builder::new()
                        .name("substance-serve-conn".into())
                        .spawn(move || {
                            // Read the request even when over capacity: closing on unread bytes resets the
                            // connection, and the client would see a transport error instead of the 503.
                            let busy = n >= options.max_connections;
                            let _ = connection(&stream, backend.as_ref(), &options, busy);
                            in_conn.fetch_sub(1, Ordering::SeqCst);
                        });
                    if spawned.is_err() {
                        active.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            })?;
        Ok(Self {
            addr,
            stop,
            accept: Some(accept),
        })
    }

    /// The address served.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Block until the server stops (it runs until [`Server::shutdown`] from another handle or the
    /// process ends).
    pub fn wait(mut self) {
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }

    /// Stop accepting connections (connections in progress finish on their own threads).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.accept.is_some() {
            self.stop_now();
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn write_answer(mut stream: &TcpStream, a: &Answer) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\
         access-control-allow-origin: *\r\naccess-control-allow-methods: GET, POST, OPTIONS\r\n\
         access-control-allow-headers: authorization, content-type\r\n\
         access-control-expose-headers: retry-after, retry-after-ms\r\n",
        a.status,
        reason(a.status),
        a.body.len()
    );
    for (k, v) in &a.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(a.body.as_bytes())?;
    stream.flush()
}

fn busy_answer() -> Answer {
    Answer {
        status: 503,
        body: serde_json::to_string(&ApiError::new("server_error", "too many connections"))
            .unwrap_or_default(),
        headers: vec![("retry-after", "1".into())],
    }
}

fn connection(
    stream: &TcpStream,
    backend: &dyn ServeBackend,
    options: &ServeOptions,
    busy: bool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(options.read_timeout))?;
    let mut reader = BufReader::new(stream);
    let too_big = |what: &str| Answer {
        status: 431,
        body: serde_json::to_string(&ApiError::new(
            "invalid_request_error",
            format!("{what} too large"),
        ))
        .unwrap_or_default(),
        headers: vec![],
    };
    let mut line = String::new();
    if (&mut reader).take(8192).read_line(&mut line)? == 0 {
        return Ok(());
    }
    if !line.ends_with('\n') {
        return write_answer(stream, &too_big("request line"));
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("/").to_owned(),
    );
    let (mut length, mut chunked, mut expect_continue) = (None, false, false);
    let mut header_bytes = 0usize;
    loop {
        let mut h = String::new();
        let n = (&mut reader).take(8192).read_line(&mut h)?;
        header_bytes += n;
        if n == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if header_bytes > 64 * 1024 || !h.ends_with('\n') {
            return write_answer(stream, &too_big("headers"));
        }
        let Some((k, v)) = h.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = v.parse::<usize>().ok(),
            "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
            "expect" => expect_continue = v.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    let body = if method == "POST" {
        let Some(len) = length.filter(|_| !chunked) else {
            return write_answer(
                stream,
                &failure(ApiFailure {
                    status: 411,
                    error: ApiError::new(
                        "invalid_request_error",
                        "a Content-Length body is required",
                    ),
                }),
            );
        };
        if len > options.max_body_bytes {
            return write_answer(
                stream,
                &failure(ApiFailure {
                    status: 413,
                    error: ApiError::new(
                        "invalid_request_error",
                        format!(
                            "body of {len} bytes is over the {}-byte limit",
                            options.max_body_bytes
                        ),
                    ),
                }),
            );
        }
        if expect_continue {
            let mut w = stream;
            w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        body
    } else {
        Vec::new()
    };
    if busy {
        return write_answer(stream, &busy_answer());
    }
    write_answer(stream, &route(backend, &method, &path, &body))
}
