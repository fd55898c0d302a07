//! The `LanguageModel`-shaped adapter: log-likelihoods through completions with `echo`, generations
//! through chat completions or completions.
//!
//! # Log-likelihood through `echo` + `logprobs`
//!
//! For each `[context, continuation]` pair one completions request is sent with the prompt
//! `context + continuation`, `echo: true`, `logprobs: 1`, `temperature: 0` and `max_tokens` =
//! [`ModelOptions::loglik_max_tokens`] (default 1, as lm-eval's `local-completions` sends: vLLM rejects 0
//! in most versions; the generated token lies past the prompt and is ignored). The server returns every
//! prompt token with its log-prob, its top alternatives and its character offset (`text_offset`; where
//! it is missing, offsets are rebuilt from the token texts). The continuation's tokens are those that
//! start before the end of the prompt and end after the end of the context — so a token straddling the
//! boundary counts as continuation, which matches lm-eval whenever the tokenizer splits at the boundary
//! (the usual case: continuations start with a space). `ll` is the sum of their log-probs and `is_greedy`
//! holds when no top alternative has a higher log-prob than the actual token, at every position.
//!
//! Which servers can do it: **vLLM** (`echo` since 0.2.4, prompt log-probs since 0.5) — yes. OpenAI —
//! only the retired base models (`davinci-002`, `babbage-002`); current models refuse `echo` with
//! `logprobs`. **llama.cpp server** — no: it either rejects `echo` or silently returns log-probs of the
//! generated token only. **Ollama** `/v1` and **TGI** — no `echo`. The adapter detects every one of
//! these (an HTTP 4xx mentioning `echo`/`logprobs`, no `logprobs` block, an echoed text that does not
//! start with the prompt, no token covering the continuation) and answers
//! [`EndpointError::Unsupported`] instead of a wrong number.
//!
//! Offsets are in Unicode scalar values, as OpenAI and vLLM (Python `len`) count them.

use substance_core::{ChoiceLogLik, GenerationSpec, Message, ModelInfo, Prompt, Response};

use crate::api::{
    ChatCompletionRequest, ChatContent, ChatMessage, CompletionLogprobs, CompletionPrompt,
    CompletionRequest, OneOrMany,
};
use crate::client::EndpointClient;
use crate::error::EndpointError;
use crate::rt::join_all;
use crate::transport::Transport;

/// Adapter settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelOptions {
    /// `max_tokens` of log-likelihood requests (0 or 1; see the module doc).
    pub loglik_max_tokens: u64,
    /// At most this many stop sequences are sent (OpenAI allows 4); all of them are applied to the text
    /// that comes back, so the result is the same, only generation may run longer.
    pub max_stop_sequences: usize,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            loglik_max_tokens: 1,
            max_stop_sequences: 4,
        }
    }
}

/// A model behind an OpenAI-compatible endpoint.
#[derive(Debug, Clone)]
pub struct EndpointModel<T> {
    client: EndpointClient<T>,
    model: String,
    id: String,
    options: ModelOptions,
}

const LOGLIK: &str = "prompt log-probabilities (completions with echo + logprobs)";

impl<T: Transport> EndpointModel<T> {
    /// `model` (the request's `model` field) on `client`; `id` is written into receipts (the spec string
    /// — never a key).
    pub fn new(client: EndpointClient<T>, model: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            client,
            model: model.into(),
            id: id.into(),
            options: ModelOptions::default(),
        }
    }

    /// Replace the options.
    pub fn with_options(mut self, options: ModelOptions) -> Self {
        self.options = options;
        self
    }

    /// The client.
    pub fn client(&self) -> &EndpointClient<T> {
        &self.client
    }

    /// Identity for the receipt header.
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            id: self.id.clone(),
            weights_sha256: None,
            source: Some(format!("OpenAI-compatible endpoint {}", self.client.host())),
        }
    }

    fn invalid(&self, message: impl Into<String>) -> EndpointError {
        EndpointError::InvalidRequest {
            host: self.client.host().to_owned(),
            message: message.into(),
        }
    }

    fn unsupported(&self, detail: impl Into<String>) -> EndpointError {
        EndpointError::Unsupported {
            host: self.client.host().to_owned(),
            what: LOGLIK,
            detail: detail.into(),
        }
    }

    /// Log-likelihood of each `[context, continuation]` pair (requests run concurrently, up to the
    /// client's limit); results in input order.
    pub async fn loglikelihood_async(
        &self,
        requests: &[[String; 2]],
    ) -> Result<Vec<ChoiceLogLik>, EndpointError> {
        let futures: Vec<_> = requests
            .iter()
            .map(|[c, x]| self.one_loglikelihood(c, x))
            .collect();
        join_all(futures).await.into_iter().collect()
    }

    async fn one_loglikelihood(
        &self,
        context: &str,
        continuation: &str,
    ) -> Result<ChoiceLogLik, EndpointError> {
        if continuation.is_empty() {
            return Err(self.invalid("empty continuation"));
        }
        if context.is_empty() {
            return Err(self.unsupported(
                "an empty context needs the model's BOS token, which a text completions API cannot send",
            ));
        }
        let prompt = format!("{context}{continuation}");
        let request = CompletionRequest {
            model: self.model.clone(),
            prompt: CompletionPrompt::Text(prompt.clone()),
            max_tokens: Some(self.options.loglik_max_tokens),
            temperature: Some(0.0),
            top_p: None,
            stop: None,
            seed: None,
            echo: Some(true),
            logprobs: Some(1),
            stream: None,
        };
        let response = match self.client.completions(&request).await {
            Ok(r) => r,
            Err(EndpointError::Http {
                status, message, ..
            }) if (400..500).contains(&status) && mentions_echo(&message) => {
                return Err(self.unsupported(format!("HTTP {status}: {message}")));
            }
            Err(e) => return Err(e),
        };
        let choice = response
            .choices
            .first()
            .ok_or_else(|| self.unsupported("no choices"))?;
        let logprobs = choice
            .logprobs
            .as_ref()
            .ok_or_else(|| self.unsupported("the response has no `logprobs`"))?;
        if !choice.text.starts_with(&prompt) {
            return Err(self.unsupported(
                "the returned text does not start with the prompt (the server did not echo it)",
            ));
        }
        continuation_loglik(&prompt, context.chars().count(), logprobs).map_err(|e| match e {
            LoglikError::NotEchoed(d) => self.unsupported(d),
            LoglikError::Malformed(d) => EndpointError::Malformed {
                host: self.client.host().to_owned(),
                what: "completions",
                detail: d,
            },
        })
    }

    /// Answer a prompt: generations for `Completion` (completions endpoint) and `Chat` (chat
    /// completions), per-choice log-likelihoods for the log-likelihood kinds. `seed` is sent when the
    /// temperature is above zero.
    pub async fn generate_async(
        &self,
        prompt: &Prompt,
        settings: &GenerationSpec,
        seed: u64,
    ) -> Result<Response, EndpointError> {
        let temperature = if settings.temperature.is_finite() {
            settings.temperature.max(0.0)
        } else {
            return Err(self.invalid("temperature is not a finite number"));
        };
        let seed = (temperature > 0.0).then_some(seed);
        let stop = (!settings.stop.is_empty()).then(|| {
            OneOrMany::Many(
                settings
                    .stop
                    .iter()
                    .filter(|s| !s.is_empty())
                    .take(self.options.max_stop_sequences)
                    .cloned()
                    .collect(),
            )
        });
        let max_tokens = Some(settings.max_tokens as u64);
        match prompt {
            Prompt::Completion { text } => {
                let request = CompletionRequest {
                    model: self.model.clone(),
                    prompt: CompletionPrompt::Text(text.clone()),
                    max_tokens,
                    temperature: Some(temperature),
                    top_p: None,
                    stop,
                    seed,
                    echo: None,
                    logprobs: None,
                    stream: None,
                };
                let r = self.client.completions(&request).await?;
                let c = r.choices.into_iter().next();
                let (text, finish) = c.map(|c| (c.text, c.finish_reason)).unwrap_or_default();
                Ok(generation(text, finish, &settings.stop))
            }
            Prompt::Chat { messages } => {
                let request = ChatCompletionRequest {
                    model: self.model.clone(),
                    messages: messages.iter().map(to_chat_message).collect(),
                    max_tokens,
                    temperature: Some(temperature),
                    top_p: None,
                    stop,
                    seed,
                    logprobs: None,
                    top_logprobs: None,
                    stream: None,
                };
                let r = self.client.chat(&request).await?;
                let c = r
                    .choices
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| crate::api::ChatChoice {
                        index: 0,
                        message: Default::default(),
                        finish_reason: None,
                        logprobs: None,
                    });
                let text = match (c.message.content, c.message.refusal) {
                    (Some(t), _) => t,
                    (None, Some(refusal)) => refusal,
                    (None, None) => {
                        return Err(EndpointError::Malformed {
                            host: self.client.host().to_owned(),
                            what: "chat completions",
                            detail: "the message has neither `content` nor `refusal`".into(),
                        });
                    }
                };
                Ok(generation(text, c.finish_reason, &settings.stop))
            }
            Prompt::LogLikelihood {
                context,
                continuations,
            } => {
                let pairs: Vec<[String; 2]> = continuations
                    .iter()
                    .map(|c| [context.clone(), c.clone()])
                    .collect();
                Ok(Response::LogLikelihood {
                    choices: self.loglikelihood_async(&pairs).await?,
                    unconditional: None,
                })
            }
            Prompt::LogLikelihoodPairs { requests } => Ok(Response::LogLikelihood {
                choices: self.loglikelihood_async(requests).await?,
                unconditional: None,
            }),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl<T: Transport> EndpointModel<T> {
    /// Blocking [`EndpointModel::loglikelihood_async`] (native).
    pub fn loglikelihood(
        &self,
        requests: &[[String; 2]],
    ) -> Result<Vec<ChoiceLogLik>, EndpointError> {
        crate::rt::block_on(self.loglikelihood_async(requests))
    }

    /// Blocking [`EndpointModel::generate_async`] (native).
    pub fn generate(
        &self,
        prompt: &Prompt,
        settings: &GenerationSpec,
        seed: u64,
    ) -> Result<Response, EndpointError> {
        crate::rt::block_on(self.generate_async(prompt, settings, seed))
    }
}

fn to_chat_message(m: &Message) -> ChatMessage {
    ChatMessage {
        role: m.role.clone(),
        content: ChatContent::Text(m.content.clone()),
    }
}

fn mentions_echo(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("echo") || m.contains("logprobs")
}

/// Cut `text` before the first occurrence of any stop sequence (servers exclude the stop string, but
/// not every server honours every stop, and at most [`ModelOptions::max_stop_sequences`] are sent).
pub fn apply_stop(text: &str, stop: &[String]) -> Option<usize> {
    stop.iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
}

fn generation(mut text: String, finish_reason: Option<String>, stop: &[String]) -> Response {
    let finish_reason = match apply_stop(&text, stop) {
        Some(cut) => {
            text.truncate(cut);
            Some("stop".to_owned())
        }
        None => finish_reason,
    };
    Response::Generation {
        text,
        finish_reason,
    }
}

/// Why a log-prob block cannot give a continuation log-likelihood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoglikError {
    /// The prompt's tokens are not there: the server did not echo them.
    NotEchoed(String),
    /// The block is inconsistent.
    Malformed(String),
}

/// Log-likelihood of the continuation `prompt[context_chars..]` (in characters) from the echoed
/// log-probs of `prompt` (see the module doc for the token rule).
pub fn continuation_loglik(
    prompt: &str,
    context_chars: usize,
    lp: &CompletionLogprobs,
) -> Result<ChoiceLogLik, LoglikError> {
    lp.check().map_err(LoglikError::Malformed)?;
    let prompt_chars = prompt.chars().count();
    let n = lp.tokens.len();
    let offsets: Vec<usize> = match &lp.text_offset {
        Some(o) => o.clone(),
        None => lp
            .tokens
            .iter()
            .scan(0usize, |acc, t| {
                let start = *acc;
                *acc += t.chars().count();
                Some(start)
            })
            .collect(),
    };
    if n == 0 || offsets.first() != Some(&0) {
        return Err(LoglikError::NotEchoed(format!(
            "{n} tokens returned, none at offset 0: the prompt was not echoed"
        )));
    }
    let end_of = |i: usize| -> usize {
        offsets
            .get(i + 1)
            .copied()
            .unwrap_or_else(|| offsets[i] + lp.tokens[i].chars().count())
    };
    let prompt_tokens = offsets.iter().take_while(|&&o| o < prompt_chars).count();
    if prompt_tokens == 0 || end_of(prompt_tokens - 1) < prompt_chars {
        return Err(LoglikError::NotEchoed(format!(
            "the echoed tokens cover {} of the prompt's {prompt_chars} characters",
            if prompt_tokens == 0 {
                0
            } else {
                end_of(prompt_tokens - 1)
            }
        )));
    }
    let mut ll = 0.0f64;
    let mut greedy = true;
    let mut count = 0usize;
    for i in 0..prompt_tokens {
        if end_of(i) <= context_chars {
            continue;
        }
        let Some(x) = lp.token_logprobs[i] else {
            return Err(LoglikError::Malformed(format!(
                "continuation token {i} ({:?}) has a null log-prob",
                lp.tokens[i]
            )));
        };
        if !x.is_finite() && x != f64::NEG_INFINITY {
            return Err(LoglikError::Malformed(format!(
                "token {i} has log-prob {x}"
            )));
        }
        ll += x;
        count += 1;
        let top = lp
            .top_logprobs
            .as_ref()
            .and_then(|t| t[i].as_ref())
            .ok_or_else(|| {
                LoglikError::Malformed(format!(
                    "continuation token {i} has no top_logprobs (needed for is_greedy)"
                ))
            })?;
        if top.iter().any(|(tok, &v)| tok != &lp.tokens[i] && v > x) {
            greedy = false;
        }
    }
    if count == 0 {
        return Err(LoglikError::NotEchoed(
            "no returned token covers the continuation".into(),
        ));
    }
    Ok(ChoiceLogLik {
        ll,
        is_greedy: greedy,
        n_tokens: Some(count),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    type Tok<'a> = (&'a str, Option<f64>, &'a [(&'a str, f64)]);

    fn lp(tokens: &[Tok<'_>]) -> CompletionLogprobs {
        let mut off = 0;
        let mut offsets = vec![];
        for (t, ..) in tokens {
            offsets.push(off);
            off += t.chars().count();
        }
        CompletionLogprobs {
            tokens: tokens.iter().map(|t| t.0.to_owned()).collect(),
            token_logprobs: tokens.iter().map(|t| t.1).collect(),
            top_logprobs: Some(
                tokens
                    .iter()
                    .map(|t| {
                        t.1.map(|_| {
                            t.2.iter()
                                .map(|(k, v)| ((*k).to_owned(), *v))
                                .collect::<BTreeMap<_, _>>()
                        })
                    })
                    .collect(),
            ),
            text_offset: Some(offsets),
        }
    }

    #[test]
    fn sums_the_continuation_and_checks_greedy() {
        // prompt "The cat sat" = "The cat" + " sat"; generated token " down" after it.
        let l = lp(&[
            ("The", None, &[]),
            (" cat", Some(-2.0), &[(" cat", -2.0), (" dog", -1.0)]),
            (" sat", Some(-0.5), &[(" sat", -0.5)]),
            (" down", Some(-0.1), &[(" down", -0.1)]),
        ]);
        let r = continuation_loglik("The cat sat", 7, &l).unwrap();
        assert_eq!(
            r,
            ChoiceLogLik {
                ll: -0.5,
                is_greedy: true,
                n_tokens: Some(1)
            }
        );
        let r = continuation_loglik("The cat sat", 3, &l).unwrap();
        assert_eq!(
            r,
            ChoiceLogLik {
                ll: -2.5,
                is_greedy: false,
                n_tokens: Some(2)
            }
        );
        // Without offsets, rebuilt from token texts.
        let mut no_off = l.clone();
        no_off.text_offset = None;
        assert_eq!(
            continuation_loglik("The cat sat", 3, &no_off).unwrap().ll,
            -2.5
        );
        // A token straddling the boundary counts as continuation.
        let r = continuation_loglik("The cat sat", 5, &l).unwrap();
        assert_eq!(r.n_tokens, Some(2));
    }

    #[test]
    fn detects_servers_that_do_not_echo() {
        // llama.cpp-style: log-probs of the generated token only.
        let l = lp(&[(" down", Some(-0.1), &[(" down", -0.1)])]);
        let mut gen_only = l.clone();
        gen_only.text_offset = Some(vec![11]);
        assert!(matches!(
            continuation_loglik("The cat sat", 7, &gen_only),
            Err(LoglikError::NotEchoed(_))
        ));
        let empty = CompletionLogprobs {
            tokens: vec![],
            token_logprobs: vec![],
            top_logprobs: None,
            text_offset: None,
        };
        assert!(matches!(
            continuation_loglik("ab", 1, &empty),
            Err(LoglikError::NotEchoed(_))
        ));
        // Tokens that stop short of the prompt's end.
        let short = lp(&[("The", None, &[]), (" cat", Some(-1.0), &[])]);
        assert!(matches!(
            continuation_loglik("The cat sat", 7, &short),
            Err(LoglikError::NotEchoed(_))
        ));
    }

    #[test]
    fn malformed_blocks() {
        let mut l = lp(&[("a", None, &[]), ("b", None, &[])]);
        assert!(matches!(
            continuation_loglik("ab", 1, &l),
            Err(LoglikError::Malformed(_))
        ));
        l.token_logprobs[1] = Some(-1.0);
        l.top_logprobs = None;
        assert!(matches!(
            continuation_loglik("ab", 1, &l),
            Err(LoglikError::Malformed(_))
        ));
    }

    #[test]
    fn stop_sequences_cut() {
        let stop = vec!["\n\n".to_owned(), "Q:".to_owned(), String::new()];
        assert_eq!(apply_stop("a b\n\nc Q:", &stop), Some(3));
        assert_eq!(apply_stop("abc", &stop), None);
        match generation("x Q: y".into(), Some("length".into()), &stop) {
            Response::Generation {
                text,
                finish_reason,
            } => {
                assert_eq!(
                    (text.as_str(), finish_reason.as_deref()),
                    ("x ", Some("stop"))
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
