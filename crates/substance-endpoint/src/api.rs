//! OpenAI-compatible wire types: chat completions, (legacy) completions with `echo`/`logprobs`, the model
//! list and error bodies — for the client (serialise requests, parse responses) and for a server
//! (`substance serve`: parse requests, serialise responses), so both sides share one definition.
//!
//! Parsing is lenient about what does not matter and strict about what does: unknown fields are ignored
//! everywhere (servers add their own: vLLM `prompt_logprobs`, llama.cpp `timings`…), optional metadata
//! (`id`, `created`, `usage`) may be missing, but `choices` must be there and non-empty, and a log-prob
//! block must be internally consistent. [`parse_response`] turns anything else — HTML error pages,
//! truncated or non-JSON bodies, wrong shapes — into [`EndpointError::Malformed`], never a panic.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::EndpointError;

/// A string or a list of strings (`stop`, `prompt` accept both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single string.
    One(String),
    /// Several strings.
    Many(Vec<String>),
}

impl OneOrMany {
    /// As a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}

/// The `prompt` of a completions request: text, texts, or pre-tokenised ids (lm-eval's
/// `local-completions` sends ids when `tokenized_requests=True`; a server must accept all four).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CompletionPrompt {
    /// One text.
    Text(String),
    /// A batch of texts (one choice each, in order).
    Texts(Vec<String>),
    /// One pre-tokenised prompt.
    Tokens(Vec<u32>),
    /// A batch of pre-tokenised prompts.
    TokenBatches(Vec<Vec<u32>>),
}

/// `POST /v1/completions` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    /// Model name.
    pub model: String,
    /// The prompt.
    pub prompt: CompletionPrompt,
    /// Maximum new tokens (0 with `echo` = score the prompt only, where the server allows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<OneOrMany>,
    /// Sampling seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Return the prompt (and its token log-probs when `logprobs` is set) before the completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo: Option<bool>,
    /// Number of top alternatives per token to return (0–5 at OpenAI; `Some(1)` = the argmax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<u32>,
    /// Server-sent events; this client never streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

/// Token log-probabilities of a completions choice (the legacy OpenAI shape, which vLLM returns as is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionLogprobs {
    /// The tokens as text.
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Log-prob of each token (`null` for the first echoed token, which has no context).
    #[serde(default)]
    pub token_logprobs: Vec<Option<f64>>,
    /// Top alternatives per token (`null` for the first echoed token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<Vec<Option<BTreeMap<String, f64>>>>,
    /// Character offset of each token in the returned text (Unicode scalar values, as Python counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_offset: Option<Vec<usize>>,
}

/// One choice of a completions response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionChoice {
    /// The text (the prompt followed by the completion when `echo` was set).
    #[serde(default)]
    pub text: String,
    /// Choice index.
    #[serde(default)]
    pub index: u32,
    /// Token log-probabilities, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<CompletionLogprobs>,
    /// `stop`, `length`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
}

/// Token counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Generated tokens.
    #[serde(default)]
    pub completion_tokens: u64,
    /// Both.
    #[serde(default)]
    pub total_tokens: u64,
}

/// `POST /v1/completions` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionResponse {
    /// Response id.
    #[serde(default)]
    pub id: String,
    /// `text_completion`.
    #[serde(default)]
    pub object: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: u64,
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// The choices (required, non-empty).
    pub choices: Vec<CompletionChoice>,
    /// Token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// One part of a multi-part message content (`{"type": "text", "text": …}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentPart {
    /// Part type (`text`, `image_url`…).
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of a `text` part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Message content: a string, or parts (clients such as the OpenAI SDK may send parts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChatContent {
    /// Plain text.
    Text(String),
    /// Typed parts.
    Parts(Vec<ContentPart>),
}

impl ChatContent {
    /// The text: the string, or the `text` parts concatenated.
    pub fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Parts(parts) => parts.iter().filter_map(|p| p.text.as_deref()).collect(),
        }
    }
}

/// A request message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` (or `developer`, `tool`).
    pub role: String,
    /// The content.
    pub content: ChatContent,
}

/// `POST /v1/chat/completions` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionRequest {
    /// Model name.
    pub model: String,
    /// The conversation.
    pub messages: Vec<ChatMessage>,
    /// Maximum new tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<OneOrMany>,
    /// Sampling seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Return token log-probs of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    /// Alternatives per token (with `logprobs: true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u32>,
    /// Server-sent events; this client never streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

/// An alternative token of chat log-probs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopLogprob {
    /// The token.
    pub token: String,
    /// Its log-probability.
    pub logprob: f64,
}

/// One token of chat log-probs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenLogprob {
    /// The token.
    pub token: String,
    /// Its log-probability.
    pub logprob: f64,
    /// The top alternatives.
    #[serde(default)]
    pub top_logprobs: Vec<TopLogprob>,
}

/// Chat log-probs (`choices[].logprobs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatLogprobs {
    /// One entry per generated token (`null` when the server has none).
    #[serde(default)]
    pub content: Option<Vec<TokenLogprob>>,
}

/// The assistant message of a chat choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatResponseMessage {
    /// `assistant`.
    #[serde(default)]
    pub role: String,
    /// The text (`null` when the model refused or called a tool).
    #[serde(default)]
    pub content: Option<String>,
    /// A refusal message (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// One choice of a chat response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChoice {
    /// Choice index.
    #[serde(default)]
    pub index: u32,
    /// The answer.
    pub message: ChatResponseMessage,
    /// `stop`, `length`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Token log-probs, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<ChatLogprobs>,
}

/// `POST /v1/chat/completions` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionResponse {
    /// Response id.
    #[serde(default)]
    pub id: String,
    /// `chat.completion`.
    #[serde(default)]
    pub object: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: u64,
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// The choices (required, non-empty).
    pub choices: Vec<ChatChoice>,
    /// Token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// One entry of `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelObject {
    /// The name to put in `model`.
    pub id: String,
    /// `model`.
    #[serde(default)]
    pub object: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: u64,
    /// Owner.
    #[serde(default)]
    pub owned_by: String,
}

/// `GET /v1/models` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    /// `list`.
    #[serde(default)]
    pub object: String,
    /// The models.
    pub data: Vec<ModelObject>,
}

/// The `error` object of an error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Human-readable message.
    pub message: String,
    /// `invalid_request_error`, `rate_limit_error`, `server_error`…
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The offending parameter, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// A machine-readable code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// An OpenAI error response (`{"error": {…}}`), what a server sends with a 4xx/5xx.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// The error.
    pub error: ApiErrorBody,
}

impl ApiError {
    /// An error body with `message` and `type`.
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        Self {
            error: ApiErrorBody {
                message: message.into(),
                kind: kind.to_owned(),
                param: None,
                code: None,
            },
        }
    }
}

/// Responses that can be checked beyond their JSON shape.
pub trait CheckedResponse: DeserializeOwned {
    /// Which response this is, for error messages.
    const WHAT: &'static str;
    /// Invariants serde cannot express; `Err` says what is wrong.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

impl CheckedResponse for CompletionResponse {
    const WHAT: &'static str = "completions";
    fn check(&self) -> Result<(), String> {
        if self.choices.is_empty() {
            return Err("`choices` is empty".into());
        }
        for (i, c) in self.choices.iter().enumerate() {
            if let Some(lp) = &c.logprobs {
                lp.check()
                    .map_err(|e| format!("choices[{i}].logprobs: {e}"))?;
            }
        }
        Ok(())
    }
}

impl CompletionLogprobs {
    /// The per-token arrays have one entry per token.
    pub fn check(&self) -> Result<(), String> {
        let n = self.tokens.len();
        if self.token_logprobs.len() != n {
            return Err(format!(
                "{} tokens but {} token_logprobs",
                n,
                self.token_logprobs.len()
            ));
        }
        if let Some(t) = &self.top_logprobs {
            if t.len() != n {
                return Err(format!("{n} tokens but {} top_logprobs", t.len()));
            }
        }
        if let Some(o) = &self.text_offset {
            if o.len() != n {
                return Err(format!("{n} tokens but {} text_offset", o.len()));
            }
            if o.windows(2).any(|w| w[1] < w[0]) {
                return Err("text_offset decreases".into());
            }
        }
        Ok(())
    }
}

impl CompletionLogprobs {
    /// Build the block a server returns for `tokens` (their texts, in order, starting at character
    /// `start` of the choice's text): `text_offset` counts Unicode scalar values, as the client reads it;
    /// `logprobs[i]` is `None` only for a first echoed token; `top[i]` are the alternatives.
    pub fn from_tokens(
        tokens: Vec<String>,
        logprobs: Vec<Option<f64>>,
        top: Vec<Option<BTreeMap<String, f64>>>,
        start: usize,
    ) -> Self {
        let mut offset = start;
        let text_offset = tokens
            .iter()
            .map(|t| {
                let o = offset;
                offset += t.chars().count();
                o
            })
            .collect();
        Self {
            tokens,
            token_logprobs: logprobs,
            top_logprobs: Some(top),
            text_offset: Some(text_offset),
        }
    }
}

impl CheckedResponse for ChatCompletionResponse {
    const WHAT: &'static str = "chat completions";
    fn check(&self) -> Result<(), String> {
        if self.choices.is_empty() {
            return Err("`choices` is empty".into());
        }
        Ok(())
    }
}

impl CheckedResponse for ModelList {
    const WHAT: &'static str = "models";
}

/// Parse and check a 2xx body as `T`. `host` names the endpoint in the error.
pub fn parse_response<T: CheckedResponse>(
    host: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<T, EndpointError> {
    let bad = |detail: String| EndpointError::Malformed {
        host: host.to_owned(),
        what: T::WHAT,
        detail,
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad("empty body".into()));
    }
    if looks_like_html(content_type, body) {
        return Err(bad(format!(
            "an HTML page instead of JSON{}",
            html_title(body)
                .map(|t| format!(" (title: {t})"))
                .unwrap_or_default()
        )));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value: T = match serde_path_to_error::deserialize(de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let detail = match inner.classify() {
                serde_json::error::Category::Eof => {
                    format!("JSON ends early ({} bytes; body truncated?)", body.len())
                }
                serde_json::error::Category::Syntax => {
                    format!("not JSON ({inner}); body starts {}", snippet(body, 80))
                }
                _ if path == "." => format!("unexpected shape: {inner}"),
                _ => format!("unexpected shape at `{path}`: {inner}"),
            };
            return Err(bad(detail));
        }
    };
    value.check().map_err(bad)?;
    Ok(value)
}

/// The message of an error body, whatever the server's dialect: OpenAI/vLLM/Ollama `{"error":
/// {"message"}}`, TGI `{"error": "…"}`, vLLM `{"message"}`, FastAPI `{"detail"}`; an HTML page's title;
/// or the start of the body.
pub fn error_message(content_type: Option<&str>, body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let pick = |v: &Value| -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            }
        };
        let found = v
            .pointer("/error/message")
            .and_then(pick)
            .or_else(|| v.get("error").filter(|e| e.is_string()).and_then(pick))
            .or_else(|| v.get("message").and_then(pick))
            .or_else(|| v.get("detail").and_then(pick));
        if let Some(m) = found {
            return truncate_chars(&m, 500);
        }
    }
    if looks_like_html(content_type, body) {
        return match html_title(body) {
            Some(t) => format!("HTML page: {t}"),
            None => "HTML page".into(),
        };
    }
    if body.is_empty() {
        return "(empty body)".into();
    }
    snippet(body, 200)
}

fn looks_like_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if content_type.is_some_and(|c| c.to_ascii_lowercase().contains("text/html")) {
        return true;
    }
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(15)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let t = text.get(start..end)?.trim();
    (!t.is_empty()).then(|| truncate_chars(t, 120))
}

/// The first `n` characters of a body, lossily decoded, quoted, with `…` when cut.
fn snippet(body: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4 * n)]);
    format!("{:?}", truncate_chars(&text, n))
}

fn truncate_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: CheckedResponse>(body: &str) -> Result<T, EndpointError> {
        parse_response::<T>("h:1", Some("application/json"), body.as_bytes())
    }

    #[test]
    fn garbage_is_typed() {
        let e = |b: &str| parse::<ChatCompletionResponse>(b).unwrap_err().to_string();
        assert!(e("").contains("empty body"));
        assert!(
            e("<!DOCTYPE html><html><title>502 Bad Gateway</title>").contains("502 Bad Gateway")
        );
        assert!(e(r#"{"choices": [{"message": {"content": "hi""#).contains("truncated"));
        assert!(e("not json at all").contains("not JSON"));
        assert!(e(r#"{"id": "x"}"#).contains("missing field `choices`"));
        assert!(e(r#"{"choices": []}"#).contains("empty"));
        let m = e(r#"{"choices": [{"message": {"content": 5}}]}"#);
        assert!(m.contains("choices[0].message.content"), "{m}");
        assert!(m.contains("h:1"), "{m}");
    }

    #[test]
    fn lenient_on_extras() {
        let r: CompletionResponse = parse(
            r#"{"choices":[{"text":"a","logprobs":null,"extra":1}],"timings":{},"usage":{"prompt_tokens":1}}"#,
        )
        .unwrap();
        assert_eq!(r.choices[0].text, "a");
        let lp =
            r#"{"choices":[{"text":"a","logprobs":{"tokens":["a","b"],"token_logprobs":[null]}}]}"#;
        assert!(
            parse::<CompletionResponse>(lp)
                .unwrap_err()
                .to_string()
                .contains("2 tokens but 1 token_logprobs")
        );
    }

    #[test]
    fn error_dialects() {
        let m = |b: &str| error_message(None, b.as_bytes());
        assert_eq!(
            m(r#"{"error":{"message":"slow down","type":"rate_limit"}}"#),
            "slow down"
        );
        assert_eq!(
            m(r#"{"error":"TGI says no","error_type":"x"}"#),
            "TGI says no"
        );
        assert_eq!(
            m(r#"{"object":"error","message":"vllm says no"}"#),
            "vllm says no"
        );
        assert_eq!(m(r#"{"detail":"fastapi"}"#), "fastapi");
        assert_eq!(m("<html><head><title>Oops</title>"), "HTML page: Oops");
        assert_eq!(m(""), "(empty body)");
        assert_eq!(m("plain"), "\"plain\"");
    }

    #[test]
    fn prompt_forms_round_trip() {
        for p in [r#""a""#, r#"["a","b"]"#, r#"[1,2,3]"#, r#"[[1],[2,3]]"#] {
            let v: CompletionPrompt = serde_json::from_str(p).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), p);
        }
        let c: ChatMessage =
            serde_json::from_str(r#"{"role":"user","content":[{"type":"text","text":"hi"}]}"#)
                .unwrap();
        assert_eq!(c.content.text(), "hi");
    }
}
