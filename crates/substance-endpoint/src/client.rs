//! [`EndpointClient`]: concurrency limit, timeouts, retries, cache and parsing over any [`Transport`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::api::{
    ChatCompletionRequest, ChatCompletionResponse, CheckedResponse, CompletionRequest,
    CompletionResponse, ModelList, error_message, parse_response,
};
use crate::cache::{ResponseCache, cache_key};
use crate::error::{EndpointError, TransportError};
use crate::retry::{RetryPolicy, SplitMix64, parse_retry_after, parse_retry_after_ms};
use crate::rt::{Clock, Semaphore, SystemClock};
use crate::secret::Secret;
use crate::spec::host_of;
use crate::transport::{HttpRequest, HttpResponse, Method, Transport};

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL without a trailing `/` (e.g. `http://127.0.0.1:8000/v1`).
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub api_key: Option<Secret>,
    /// Requests in flight at once, at most.
    pub concurrency: usize,
    /// Per-attempt timeout (connect + response + body).
    pub timeout: Duration,
    /// Retry settings.
    pub retry: RetryPolicy,
    /// Bodies larger than this are refused.
    pub max_body_bytes: u64,
}

impl ClientConfig {
    /// Defaults for `base_url`: no key, 8 in flight, 120 s timeout, [`RetryPolicy::default`], 32 MiB.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key: None,
            concurrency: 8,
            timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            max_body_bytes: 32 << 20,
        }
    }
}

/// Counters of a client's activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP attempts made (retries included).
    pub attempts: u64,
    /// Retries made.
    pub retries: u64,
    /// Requests answered from the cache.
    pub cache_hits: u64,
    /// Requests that went to the network because the cache had no answer.
    pub cache_misses: u64,
}

struct Inner<T> {
    transport: T,
    config: ClientConfig,
    host: String,
    semaphore: Semaphore,
    clock: Arc<dyn Clock>,
    rng: Mutex<SplitMix64>,
    cache: Option<Arc<ResponseCache>>,
    attempts: AtomicU64,
    retries: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// An OpenAI-compatible client over a [`Transport`]. Cheap to clone (shared state): clones share the
/// concurrency limit, cache, jitter generator and counters.
pub struct EndpointClient<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for EndpointClient<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T> std::fmt::Debug for EndpointClient<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointClient")
            .field("config", &self.inner.config)
            .field("cache", &self.inner.cache)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> EndpointClient<T> {
    /// A client with the platform clock and no cache.
    pub fn new(config: ClientConfig, transport: T) -> Self {
        Self::build(config, transport, Arc::new(SystemClock), None)
    }

    /// Full control: clock (tests pass a [`crate::MockClock`]) and cache.
    pub fn build(
        config: ClientConfig,
        transport: T,
        clock: Arc<dyn Clock>,
        cache: Option<Arc<ResponseCache>>,
    ) -> Self {
        let host = host_of(&config.base_url);
        Self {
            inner: Arc::new(Inner {
                semaphore: Semaphore::new(config.concurrency),
                rng: Mutex::new(SplitMix64::new(config.retry.seed)),
                transport,
                host,
                clock,
                cache,
                config,
                attempts: AtomicU64::new(0),
                retries: AtomicU64::new(0),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// `host[:port]` of the endpoint.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    /// Activity counters.
    pub fn stats(&self) -> ClientStats {
        let i = &self.inner;
        ClientStats {
            attempts: i.attempts.load(Ordering::Relaxed),
            retries: i.retries.load(Ordering::Relaxed),
            cache_hits: i.hits.load(Ordering::Relaxed),
            cache_misses: i.misses.load(Ordering::Relaxed),
        }
    }

    /// `POST {base}/chat/completions`.
    pub async fn chat(
        &self,
        request: &ChatCompletionRequest,
    ) -> Result<ChatCompletionResponse, EndpointError> {
        self.post("/chat/completions", request).await
    }

    /// `POST {base}/completions`.
    pub async fn completions(
        &self,
        request: &CompletionRequest,
    ) -> Result<CompletionResponse, EndpointError> {
        self.post("/completions", request).await
    }

    /// `GET {base}/models` (never cached).
    pub async fn models(&self) -> Result<ModelList, EndpointError> {
        let url = format!("{}/models", self.inner.config.base_url);
        let (ct, body) = self.execute(Method::Get, url, Vec::new()).await?;
        self.parse::<ModelList>(ct.as_deref(), &body)
    }

    /// POST a JSON request to `{base}{path}` and parse a `R`, through the cache.
    pub async fn post<Q: Serialize, R: CheckedResponse>(
        &self,
        path: &str,
        request: &Q,
    ) -> Result<R, EndpointError> {
        let url = format!("{}{}", self.inner.config.base_url, path);
        let value = serde_json::to_value(request).map_err(|e| EndpointError::InvalidRequest {
            host: self.inner.host.clone(),
            message: e.to_string(),
        })?;
        let key = self.inner.cache.as_ref().map(|_| cache_key(&url, &value));
        if let (Some(cache), Some(key)) = (&self.inner.cache, &key) {
            // An entry that no longer parses (older schema) is simply refetched.
            if let Some(Ok(r)) = cache
                .get(key)
                .map(|hit| self.parse::<R>(None, hit.as_bytes()))
            {
                self.inner.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(r);
            }
            self.inner.misses.fetch_add(1, Ordering::Relaxed);
        }
        let body = value.to_string().into_bytes();
        let (ct, bytes) = self.execute(Method::Post, url, body).await?;
        let parsed = self.parse::<R>(ct.as_deref(), &bytes)?;
        if let (Some(cache), Some(key), Ok(text)) =
            (&self.inner.cache, &key, std::str::from_utf8(&bytes))
        {
            cache.put(key, text).map_err(|e| self.redact(e))?;
        }
        Ok(parsed)
    }

    fn parse<R: CheckedResponse>(
        &self,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<R, EndpointError> {
        parse_response::<R>(&self.inner.host, content_type, body).map_err(|e| self.redact(e))
    }

    fn redact(&self, e: EndpointError) -> EndpointError {
        match &self.inner.config.api_key {
            Some(k) => e.redacted(k),
            None => e,
        }
    }

    /// One logical request: attempts with retries; returns the 2xx content type and body.
    async fn execute(
        &self,
        method: Method,
        url: String,
        body: Vec<u8>,
    ) -> Result<(Option<String>, Vec<u8>), EndpointError> {
        let inner = &self.inner;
        let policy = &inner.config.retry;
        let max_attempts = policy.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let request = HttpRequest {
                method,
                url: url.clone(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("accept".into(), "application/json".into()),
                ],
                bearer: inner.config.api_key.clone(),
                body: body.clone(),
                timeout: Some(inner.config.timeout),
                max_body_bytes: inner.config.max_body_bytes,
            };
            let outcome = {
                let _permit = inner.semaphore.acquire().await;
                inner.attempts.fetch_add(1, Ordering::Relaxed);
                inner.transport.send(request).await
            };
            let (error, retry_after) = match outcome {
                Ok(r) if r.is_success() => {
                    let ct = r.header("content-type").map(str::to_owned);
                    return Ok((ct, r.body));
                }
                Ok(r) => {
                    let after = self.retry_after(&r);
                    (self.http_error(&r), after)
                }
                Err(e) => (self.transport_error(e), None),
            };
            if !error.is_retryable() {
                return Err(self.redact(error));
            }
            if attempt >= max_attempts {
                return Err(self.redact(if max_attempts == 1 {
                    error
                } else {
                    EndpointError::RetriesExhausted {
                        host: inner.host.clone(),
                        attempts: attempt,
                        last: Box::new(error),
                    }
                }));
            }
            let unit = inner
                .rng
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .next_unit();
            let delay = policy.delay(attempt, retry_after, unit);
            inner.retries.fetch_add(1, Ordering::Relaxed);
            inner.clock.sleep(delay).await;
        }
    }

    fn retry_after(&self, r: &HttpResponse) -> Option<std::time::Duration> {
        r.header("retry-after-ms")
            .and_then(parse_retry_after_ms)
            .or_else(|| {
                r.header("retry-after")
                    .and_then(|v| parse_retry_after(v, self.inner.clock.now()))
            })
    }

    fn http_error(&self, r: &HttpResponse) -> EndpointError {
        EndpointError::Http {
            host: self.inner.host.clone(),
            status: r.status,
            message: error_message(r.header("content-type"), &r.body),
        }
    }

    fn transport_error(&self, e: TransportError) -> EndpointError {
        EndpointError::Transport {
            host: self.inner.host.clone(),
            source: e,
        }
    }
}
