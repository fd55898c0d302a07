//! Shared test helpers: a fake vLLM-like completions responder and error-text collection.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Tokenise like a toy BPE: split before every space (so continuations starting with a space are whole
/// tokens, as with real tokenizers).
pub fn toy_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ch in text.chars() {
        if ch == ' ' || out.is_empty() {
            out.push(ch.to_string());
        } else if let Some(last) = out.last_mut() {
            last.push(ch);
        }
    }
    out
}

/// Log-prob of a token in the toy model: deterministic from its text.
pub fn toy_logprob(tok: &str) -> f64 {
    -((tok.chars().count() as f64) * 0.25 + if tok.contains('x') { 2.0 } else { 0.0 })
}

/// A vLLM-shaped echo+logprobs completions body for `prompt` (plus one generated token `" ."`).
/// Tokens containing `x` are not the argmax (a `" the"` alternative beats them).
pub fn echo_body(prompt: &str) -> String {
    let mut tokens = toy_tokens(prompt);
    tokens.push(" .".into());
    let mut offsets = vec![];
    let mut off = 0;
    for t in &tokens {
        offsets.push(off);
        off += t.chars().count();
    }
    let lps: Vec<Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if i == 0 {
                Value::Null
            } else {
                json!(toy_logprob(t))
            }
        })
        .collect();
    let tops: Vec<Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if i == 0 {
                Value::Null
            } else {
                let mut m = BTreeMap::new();
                m.insert(t.clone(), toy_logprob(t));
                if t.contains('x') {
                    m.insert(" the".to_owned(), -0.01);
                }
                json!(m)
            }
        })
        .collect();
    json!({
        "id": "cmpl-1", "object": "text_completion", "created": 1, "model": "toy",
        "choices": [{"index": 0, "text": format!("{prompt} ."), "finish_reason": "length",
            "logprobs": {"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offsets}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    })
    .to_string()
}

/// Expected (ll, n_tokens, greedy) of `continuation` after `context` in the toy model.
pub fn toy_expected(context: &str, continuation: &str) -> (f64, usize, bool) {
    let all = toy_tokens(&format!("{context}{continuation}"));
    let ctx_chars = context.chars().count();
    let mut off = 0;
    let (mut ll, mut n, mut greedy) = (0.0, 0, true);
    for t in &all {
        let end = off + t.chars().count();
        if end > ctx_chars {
            ll += toy_logprob(t);
            n += 1;
            greedy &= !t.contains('x');
        }
        off = end;
    }
    (ll, n, greedy)
}

/// A chat completions body answering `text`.
pub fn chat_body(text: &str) -> String {
    json!({"id": "c", "object": "chat.completion", "created": 1, "model": "toy",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})
    .to_string()
}

/// Display, Debug and the whole source chain of an error.
pub fn all_text(e: &dyn std::error::Error) -> String {
    let mut s = format!("{e} | {e:?}");
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(&format!(" | {x} | {x:?}"));
        src = x.source();
    }
    s
}
