//! The transport seam: one request in, one response out. The native transport (blocking `ureq` on a
//! helper thread), the browser one (`fetch`) and [`MockTransport`] all implement [`Transport`]; retries,
//! caching, concurrency and parsing live above it in [`crate::EndpointClient`], identical everywhere.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::TransportError;
use crate::secret::Secret;

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// One HTTP request. The key travels separately from the other headers, as a [`Secret`], so that the
/// `Debug` of a request (in a log, a test failure, a recorded mock call) never shows it.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers other than `Authorization` (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Sent as `Authorization: Bearer …` by the transport.
    pub bearer: Option<Secret>,
    /// Body bytes (JSON for POST).
    pub body: Vec<u8>,
    /// Give up on this attempt after this long (connection, headers and body together).
    pub timeout: Option<Duration>,
    /// Refuse bodies larger than this many bytes.
    pub max_body_bytes: u64,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = String::from_utf8_lossy(&self.body[..self.body.len().min(512)]);
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("bearer", &self.bearer)
            .field("body", &body)
            .field("timeout", &self.timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl HttpRequest {
    /// The body as UTF-8 text (lossy), for tests and mocks.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers (lower-case names). The browser transport exposes only `content-type`, `retry-after`
    /// and `retry-after-ms` (CORS hides the rest anyway).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with a JSON body.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into().into_bytes(),
        }
    }

    /// Add a header (builder style).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends one HTTP request. Implementations do not retry, cache or parse; they do enforce
/// [`HttpRequest::timeout`] and [`HttpRequest::max_body_bytes`] and report a body cut short as
/// [`TransportError::Truncated`].
///
/// The future is not required to be `Send`: the browser's fetch futures are not, and the native blocking
/// wrappers drive everything on the calling thread.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Send the request and read the whole response.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

impl<T: Transport + ?Sized> Transport for &T {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

/// What the mock answers to one request.
#[derive(Debug, Clone)]
pub enum MockReply {
    /// This response.
    Response(HttpResponse),
    /// This failure.
    Fail(TransportError),
}

impl From<HttpResponse> for MockReply {
    fn from(r: HttpResponse) -> Self {
        Self::Response(r)
    }
}

impl From<TransportError> for MockReply {
    fn from(e: TransportError) -> Self {
        Self::Fail(e)
    }
}

type Responder = Box<dyn Fn(&HttpRequest) -> MockReply + Send + Sync>;

#[derive(Default)]
struct MockState {
    script: VecDeque<MockReply>,
    requests: Vec<HttpRequest>,
    in_flight: usize,
    max_in_flight: usize,
}

/// A scripted transport for tests: answers from a queue of [`MockReply`]s (then from a fallback
/// responder, if set), records every request, and tracks how many requests were in flight at once. Each
/// call yields to the executor `hold` times before answering so that concurrent callers overlap.
/// Cloning shares the state.
#[derive(Clone, Default)]
pub struct MockTransport {
    state: Arc<Mutex<MockState>>,
    fallback: Option<Arc<Responder>>,
    hold: usize,
}

impl MockTransport {
    /// An empty mock (every request fails with `Connect` until replies are pushed).
    pub fn new() -> Self {
        Self::default()
    }

    /// A mock that answers every request from `f` once the script is used up.
    pub fn with_responder(f: impl Fn(&HttpRequest) -> MockReply + Send + Sync + 'static) -> Self {
        Self {
            fallback: Some(Arc::new(Box::new(f))),
            ..Self::default()
        }
    }

    /// Yield `n` times inside each call (to make concurrent calls overlap).
    pub fn hold(mut self, n: usize) -> Self {
        self.hold = n;
        self
    }

    fn lock(&self) -> MutexGuard<'_, MockState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue one reply.
    pub fn push(&self, reply: impl Into<MockReply>) -> &Self {
        self.lock().script.push_back(reply.into());
        self
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.lock().requests.clone()
    }

    /// The largest number of requests that were in flight at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    /// Replies still queued.
    pub fn remaining(&self) -> usize {
        self.lock().script.len()
    }
}

impl Transport for MockTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        {
            let mut s = self.lock();
            s.requests.push(request.clone());
            s.in_flight += 1;
            s.max_in_flight = s.max_in_flight.max(s.in_flight);
        }
        for _ in 0..self.hold {
            YieldNow(false).await;
        }
        let reply = {
            let mut s = self.lock();
            s.in_flight -= 1;
            s.script.pop_front()
        };
        let reply = match (reply, &self.fallback) {
            (Some(r), _) => r,
            (None, Some(f)) => f(&request),
            (None, None) => {
                MockReply::Fail(TransportError::Connect("mock script exhausted".into()))
            }
        };
        match reply {
            MockReply::Response(mut r) => {
                if r.body.len() as u64 > request.max_body_bytes {
                    return Err(TransportError::TooLarge {
                        limit: request.max_body_bytes,
                    });
                }
                r.headers
                    .iter_mut()
                    .for_each(|(k, _)| k.make_ascii_lowercase());
                Ok(r)
            }
            MockReply::Fail(e) => Err(e),
        }
    }
}

/// Returns `Pending` once (waking itself), then `Ready`.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
