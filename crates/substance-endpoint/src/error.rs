//! Typed errors. Every endpoint error names the endpoint's `host[:port]` (never its key, never a path or
//! query that could carry one) and says what was wrong.

use std::time::Duration;

use thiserror::Error;

use crate::secret::Secret;

/// What a transport (native HTTP, browser fetch, mock) can fail with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    /// No response (or no complete body) within the per-request timeout.
    #[error("timed out after {:.1} s", .after.as_secs_f64())]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection could not be made (refused, unknown host, network down).
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connection ended before the whole response body arrived.
    #[error("response body truncated: {0}")]
    Truncated(String),
    /// The body is larger than the configured limit.
    #[error("response body over the {limit}-byte limit")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The bytes received are not HTTP/1.x.
    #[error("HTTP protocol error: {0}")]
    Protocol(String),
    /// TLS failed (certificate, handshake).
    #[error("TLS error: {0}")]
    Tls(String),
    /// The request itself could not be built (bad URL or header).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Any other I/O failure (connection reset…).
    #[error("I/O error: {0}")]
    Io(String),
}

impl TransportError {
    /// Whether trying again may help (timeouts, resets, truncated bodies, refused connections).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. } | Self::Connect(_) | Self::Truncated(_) | Self::Io(_)
        )
    }

    fn redacted(self, key: &Secret) -> Self {
        match self {
            Self::Connect(m) => Self::Connect(key.redact(&m)),
            Self::Truncated(m) => Self::Truncated(key.redact(&m)),
            Self::Protocol(m) => Self::Protocol(key.redact(&m)),
            Self::Tls(m) => Self::Tls(key.redact(&m)),
            Self::InvalidRequest(m) => Self::InvalidRequest(key.redact(&m)),
            Self::Io(m) => Self::Io(key.redact(&m)),
            e @ (Self::Timeout { .. } | Self::TooLarge { .. }) => e,
        }
    }
}

/// A malformed `--model` spec or a missing key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpecError {
    /// The spec is empty.
    #[error("empty model spec")]
    Empty,
    /// Not one of the accepted forms.
    #[error(
        "model spec `{spec}` is not `openai:NAME`, `http://HOST:PORT/PATH#NAME` or `https://HOST[:PORT]/PATH#NAME`"
    )]
    UnknownForm {
        /// The spec as given.
        spec: String,
    },
    /// The model name after `openai:` or `#` is missing or blank.
    #[error("model spec `{spec}` names no model (add `#NAME` after the URL, or `openai:NAME`)")]
    MissingModel {
        /// The spec as given.
        spec: String,
    },
    /// The URL part is malformed.
    #[error("model spec `{spec}`: {reason}")]
    BadUrl {
        /// The spec as given.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// The URL carries `user:password@` credentials (the spec is not echoed, since it holds a secret).
    #[error(
        "model spec URL carries credentials (`user:pass@host`); pass the key through an environment variable or the key flag instead"
    )]
    CredentialsInUrl,
    /// The environment variable that should hold the key is unset or empty.
    #[error("API key variable `{var}` is not set (or empty)")]
    MissingKey {
        /// The variable's name.
        var: String,
    },
}

/// Errors of the endpoint client.
#[derive(Debug, Error)]
pub enum EndpointError {
    /// The endpoint answered with a non-success HTTP status.
    #[error("endpoint {host}: HTTP {status}: {message}")]
    Http {
        /// `host[:port]`.
        host: String,
        /// The status code.
        status: u16,
        /// The server's error message (from its JSON error body, an HTML title or the start of the body).
        message: String,
    },
    /// The body is not the JSON the request calls for (non-JSON, HTML, wrong shape, truncated JSON…).
    #[error("endpoint {host}: malformed {what} response: {detail}")]
    Malformed {
        /// `host[:port]`.
        host: String,
        /// Which response (`chat completions`, `completions`, `models`).
        what: &'static str,
        /// What was wrong, with the JSON path when known.
        detail: String,
    },
    /// The transport failed.
    #[error("endpoint {host}: {source}")]
    Transport {
        /// `host[:port]`.
        host: String,
        /// The failure.
        #[source]
        source: TransportError,
    },
    /// A retryable failure persisted through every attempt.
    #[error("endpoint {host}: gave up after {attempts} attempts; last: {last}")]
    RetriesExhausted {
        /// `host[:port]`.
        host: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        #[source]
        last: Box<EndpointError>,
    },
    /// The server does not offer what was asked (e.g. prompt log-probabilities through `echo`).
    #[error("endpoint {host} does not support {what}: {detail}")]
    Unsupported {
        /// `host[:port]`.
        host: String,
        /// The missing capability.
        what: &'static str,
        /// How it showed.
        detail: String,
    },
    /// The request cannot be made as asked (empty continuation, a prompt kind the call does not take…).
    #[error("endpoint {host}: invalid request: {message}")]
    InvalidRequest {
        /// `host[:port]`.
        host: String,
        /// Why.
        message: String,
    },
    /// A bad spec or a missing key.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The on-disk response cache could not be read or written.
    #[error("response cache {path}: {message}")]
    Cache {
        /// The cache file.
        path: String,
        /// What failed.
        message: String,
    },
}

impl EndpointError {
    /// The same error with every occurrence of `key` in server-provided text replaced by `***`.
    pub fn redacted(self, key: &Secret) -> Self {
        match self {
            Self::Http {
                host,
                status,
                message,
            } => Self::Http {
                host,
                status,
                message: key.redact(&message),
            },
            Self::Malformed { host, what, detail } => Self::Malformed {
                host,
                what,
                detail: key.redact(&detail),
            },
            Self::Transport { host, source } => Self::Transport {
                host,
                source: source.redacted(key),
            },
            Self::RetriesExhausted {
                host,
                attempts,
                last,
            } => Self::RetriesExhausted {
                host,
                attempts,
                last: Box::new(last.redacted(key)),
            },
            Self::Unsupported { host, what, detail } => Self::Unsupported {
                host,
                what,
                detail: key.redact(&detail),
            },
            Self::InvalidRequest { host, message } => Self::InvalidRequest {
                host,
                message: key.redact(&message),
            },
            Self::Cache { path, message } => Self::Cache {
                path,
                message: key.redact(&message),
            },
            e @ Self::Spec(_) => e,
        }
    }

    /// Whether the failure is worth another attempt (429, 408, 5xx, retryable transport failures).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http { status, .. } => crate::retry::is_retryable_status(*status),
            Self::Transport { source, .. } => source.is_retryable(),
            _ => false,
        }
    }
}
