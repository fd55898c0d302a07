//! `substance serve`: a local burn model behind an OpenAI-compatible HTTP server (`/v1/models`,
//! `/v1/completions` with `echo` + `logprobs`, `/v1/chat/completions`), so a small local model can be a
//! judge and the endpoint client is tested against a real server.
//!
//! The server holds one model and answers whatever `model` a request names (like llama.cpp's server);
//! `/v1/models` lists it under `--name` (default: the model's id). Requests are answered one at a time
//! (the model sits behind a mutex); connections beyond the server's cap get 503 + `Retry-After`.
//!
//! Log-likelihood through `echo`: the prompt is encoded as [`substance_model::LocalModel`] encodes it
//! (no post-processor specials, lm-eval `add_bos_token=False`), generated tokens (if `max_tokens > 0`)
//! are appended, and one forward pass over lm-eval's window (`whole[-(max_len+1):][:-1]`) gives every
//! token's log-prob given the tokens before it; the first token (and any token left of the window) has
//! none. Token texts are the prompt's characters between consecutive token starts (the starts come from
//! decoding each prefix), so they concatenate to the prompt exactly and `text_offset` is what the client
//! expects. The top alternative of each token is the model's argmax there, so the client's `is_greedy`
//! is lm-eval's.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, mpsc};

use anyhow::{Context, Result};
use clap::Args;
use substance_core::{GenerationSpec, Message, Prompt, Response};
use substance_endpoint::server::{ApiFailure, ServeBackend, ServeOptions, Server};
use substance_endpoint::{
    ChatChoice, ChatCompletionRequest, ChatCompletionResponse, ChatResponseMessage,
    CompletionChoice, CompletionLogprobs, CompletionPrompt, CompletionRequest, CompletionResponse,
    ModelList, ModelObject, Usage,
};
use substance_model::LocalModel;

/// `substance serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Local model spec: `gguf:PATH`, `hf:DIR` or `hf:ORG/NAME[@REVISION]` (downloaded from the Hugging Face hub
    /// into `$SUBSTANCE_MODELS/hf/ORG/NAME` when not cached; `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`).
    #[arg(long)]
    model: String,
    /// Name under which `/v1/models` lists the model (default: the model's id).
    #[arg(long)]
    name: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0 = any free port; the URL is printed on stderr).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Seed of sampled generations when a request sends none.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// GGUF model: dequantise every tensor to f32 (the reference path) instead of keeping the file's
    /// quantised blocks.
    #[arg(long)]
    f32_weights: bool,
    /// Requests answered at once, by threads sharing the loaded weights (default: the machine's cores).
    #[arg(long)]
    workers: Option<usize>,
}

pub fn run(a: ServeArgs) -> Result<ExitCode> {
    // The model thread loads the model, then it and `workers - 1` more threads answer the connection
    // threads' jobs, sharing the weights read-only (each job keeps its own caches).
    let workers = a
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let (ready_tx, ready_rx) = mpsc::channel::<Result<String, String>>();
    let spec = a.model.clone();
    let weights = if a.f32_weights {
        substance_model::LoadOptions::f32()
    } else {
        substance_model::LoadOptions::default()
    };
    std::thread::Builder::new()
        .name("substance-serve-model".into())
        .spawn(move || {
            let device = burn::tensor::Device::flex();
            let model = match crate::models::load_local(&spec, &device, weights) {
                Ok(m) => m,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let model = Arc::new(model);
            let _ = ready_tx.send(Ok(model.info().id));
            for k in 1..workers {
                let (m, r) = (Arc::clone(&model), Arc::clone(&rx));
                let spawned = std::thread::Builder::new()
                    .name(format!("substance-serve-model-{k}"))
                    .spawn(move || answer_jobs(&m, &r));
                if spawned.is_err() {
                    break; // fewer answering threads, not an error
                }
            }
            answer_jobs(&model, &rx);
        })
        .context("cannot start the model thread")?;
    errln!("loading {} on the CPU (burn Flex)…", a.model);
    let id = ready_rx
        .recv()
        .context("the model thread ended")?
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("cannot load {}", a.model))?;
    let name = a.name.unwrap_or(id);
    let listener = TcpListener::bind((a.host.as_str(), a.port))
        .with_context(|| format!("cannot listen on {}:{}", a.host, a.port))?;
    let backend = Arc::new(LocalBackend {
        jobs: Mutex::new(tx),
        name: name.clone(),
        seed: a.seed,
    });
    let server = Server::start(listener, backend, ServeOptions::default())
        .context("cannot start the server")?;
    let addr = server.local_addr();
    errln!("serving {name} at http://{addr}/v1 (use --model http://{addr}/v1#{name})");
    server.wait();
    Ok(ExitCode::SUCCESS)
}

type Job = Box<dyn FnOnce(&LocalModel) + Send>;

/// Answer jobs until the server drops the sending side (the lock is held only while waiting for one).
fn answer_jobs(model: &LocalModel, jobs: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(model),
            Err(_) => return,
        }
    }
}

/// [`ServeBackend`] over a [`LocalModel`] owned by the model thread.
pub struct LocalBackend {
    jobs: Mutex<mpsc::Sender<Job>>,
    name: String,
    seed: u64,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn internal(e: impl std::fmt::Display) -> ApiFailure {
    ApiFailure::internal(e.to_string())
}

/// Characters of `s` from `from` (a char index) on.
fn char_slice(s: &str, from: usize, to: usize) -> String {
    s.chars().skip(from).take(to.saturating_sub(from)).collect()
}

/// One echoed choice: the prompt `text` (ids `prompt_ids`) and the generated ids, with per-token
/// log-probs over lm-eval's window.
fn echo_logprobs(
    model: &substance_model::Model,
    text: &str,
    prompt_ids: &[u32],
    generated: &[u32],
) -> Result<CompletionLogprobs, ApiFailure> {
    let tok = model.tokenizer();
    let all: Vec<u32> = prompt_ids.iter().chain(generated).copied().collect();
    let n = all.len();
    // token texts: prompt tokens are slices of the prompt between consecutive starts
    let prompt_chars = text.chars().count();
    let mut starts = Vec::with_capacity(prompt_ids.len());
    let mut last = 0usize;
    for i in 0..prompt_ids.len() {
        let s = if i == 0 {
            0
        } else {
            let d = tok.decode(&prompt_ids[..i], false).map_err(internal)?;
            d.chars().count().clamp(last, prompt_chars)
        };
        starts.push(s);
        last = s;
    }
    let mut tokens: Vec<String> = (0..prompt_ids.len())
        .map(|i| {
            let end = starts.get(i + 1).copied().unwrap_or(prompt_chars);
            char_slice(text, starts[i], end)
        })
        .collect();
    let mut prev = String::new();
    for i in 0..generated.len() {
        let d = tok.decode(&generated[..=i], false).map_err(internal)?;
        let piece = d.strip_prefix(prev.as_str()).unwrap_or_default().to_owned();
        tokens.push(piece);
        prev = d;
    }
    // Log-probs over lm-eval's window: input = ids[start..len-1] predicts ids[start+1..len], with
    // start = len - (max_len + 1). The prompt's tokens are scored on the prompt alone (so a generated
    // token never shifts the window and the numbers are lm-eval's), the generated ones on everything.
    let mut lps: Vec<Option<f64>> = vec![None; n];
    let mut top: Vec<Option<BTreeMap<String, f64>>> = vec![None; n];
    let max_len = model.lm().max_context();
    for (len, from) in [(prompt_ids.len(), 0), (n, prompt_ids.len())] {
        if len < 2 || from >= len {
            continue;
        }
        let start = len.saturating_sub(max_len + 1);
        let logits = model
            .logits(&[all[start..len - 1].to_vec()])
            .map_err(internal)?;
        let rows = logits.into_iter().next().unwrap_or_default();
        for (j, row) in rows.iter().enumerate() {
            let k = start + j + 1;
            if k < from {
                continue;
            }
            let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            let lse = m + row.iter().map(|&x| (x as f64 - m).exp()).sum::<f64>().ln();
            let actual = all[k] as usize;
            let lp = row.get(actual).map(|&x| x as f64 - lse).unwrap_or(f64::NAN);
            let best = substance_model::sampling::argmax(row);
            let mut alts = BTreeMap::from([(tokens[k].clone(), lp)]);
            if best != actual {
                let best_text = tok
                    .decode(&[best as u32], false)
                    .unwrap_or_else(|_| format!("<{best}>"));
                let best_lp = row[best] as f64 - lse;
                let e = alts.entry(best_text).or_insert(best_lp);
                *e = e.max(best_lp);
            }
            lps[k] = Some(lp);
            top[k] = Some(alts);
        }
    }
    Ok(CompletionLogprobs::from_tokens(tokens, lps, top, 0))
}

impl LocalBackend {
    /// Run `f` on the model thread and wait for its answer.
    fn with_model<R: Send + 'static>(
        &self,
        f: impl FnOnce(&LocalModel) -> Result<R, ApiFailure> + Send + 'static,
    ) -> Result<R, ApiFailure> {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move |m| {
            let _ = tx.send(f(m));
        });
        self.jobs
            .lock()
            .map_err(|_| ApiFailure::internal("the job queue is poisoned"))?
            .send(job)
            .map_err(|_| ApiFailure::internal("the model thread has stopped"))?;
        rx.recv()
            .map_err(|_| ApiFailure::internal("the model thread dropped the request"))?
    }
}

impl ServeBackend for LocalBackend {
    fn models(&self) -> ModelList {
        ModelList {
            object: "list".into(),
            data: vec![ModelObject {
                id: self.name.clone(),
                object: "model".into(),
                created: 0,
                owned_by: "substance".into(),
            }],
        }
    }

    fn completions(&self, req: CompletionRequest) -> Result<CompletionResponse, ApiFailure> {
        let seed = req.seed.unwrap_or(self.seed);
        self.with_model(move |local| completions(local, req, seed))
    }

    fn chat(&self, req: ChatCompletionRequest) -> Result<ChatCompletionResponse, ApiFailure> {
        let seed = req.seed.unwrap_or(self.seed);
        self.with_model(move |local| chat(local, req, seed))
    }
}

fn completions(
    local: &LocalModel,
    req: CompletionRequest,
    seed: u64,
) -> Result<CompletionResponse, ApiFailure> {
    let model = local.model();
    let prompts: Vec<(String, Vec<u32>)> = match &req.prompt {
        CompletionPrompt::Text(t) => vec![(t.clone(), model.encode(t, false).map_err(internal)?)],
        CompletionPrompt::Texts(ts) => ts
            .iter()
            .map(|t| Ok((t.clone(), model.encode(t, false).map_err(internal)?)))
            .collect::<Result<_, ApiFailure>>()?,
        CompletionPrompt::Tokens(ids) => vec![(
            model.tokenizer().decode(ids, false).map_err(internal)?,
            ids.clone(),
        )],
        CompletionPrompt::TokenBatches(b) => b
            .iter()
            .map(|ids| {
                Ok((
                    model.tokenizer().decode(ids, false).map_err(internal)?,
                    ids.clone(),
                ))
            })
            .collect::<Result<_, ApiFailure>>()?,
    };
    let settings = settings(req.max_tokens, req.temperature, req.stop.as_ref());
    let echo = req.echo == Some(true);
    let mut choices = Vec::new();
    let (mut n_prompt, mut n_completion) = (0u64, 0u64);
    for (index, (text, ids)) in prompts.into_iter().enumerate() {
        if ids.is_empty() {
            return Err(ApiFailure::bad_request("empty prompt"));
        }
        let (generated, gen_text, finish) = if settings.max_tokens == 0 {
            (Vec::new(), String::new(), Some("length".to_owned()))
        } else {
            let opts = substance_model::GenerateOptions {
                max_tokens: settings.max_tokens,
                stop: settings.stop.clone(),
                sampling: substance_model::Sampling::from_temperature(settings.temperature, seed),
                stop_at_eos: true,
            };
            let state = model.generate_ids(&ids, opts).map_err(internal)?;
            (
                state.generated_ids().to_vec(),
                state.text().to_owned(),
                state.finish_reason().map(|f| f.openai().to_owned()),
            )
        };
        n_prompt += ids.len() as u64;
        n_completion += generated.len() as u64;
        let logprobs = match (req.logprobs, echo) {
            (Some(_), true) => Some(echo_logprobs(model, &text, &ids, &generated)?),
            _ => None,
        };
        choices.push(CompletionChoice {
            text: if echo {
                format!("{text}{gen_text}")
            } else {
                gen_text
            },
            index: index as u32,
            logprobs,
            finish_reason: finish,
        });
    }
    Ok(CompletionResponse {
        id: format!("cmpl-substance-{}", now()),
        object: "text_completion".into(),
        created: now(),
        model: req.model,
        choices,
        usage: Some(Usage {
            prompt_tokens: n_prompt,
            completion_tokens: n_completion,
            total_tokens: n_prompt + n_completion,
        }),
    })
}

fn chat(
    local: &LocalModel,
    req: ChatCompletionRequest,
    seed: u64,
) -> Result<ChatCompletionResponse, ApiFailure> {
    let messages: Vec<Message> = req
        .messages
        .iter()
        .map(|m| Message {
            role: m.role.clone(),
            content: m.content.text(),
        })
        .collect();
    let settings = settings(req.max_tokens, req.temperature, req.stop.as_ref());
    let response = local
        .generate(&Prompt::Chat { messages }, &settings, seed)
        .map_err(|e| ApiFailure::bad_request(e.to_string()))?;
    let Response::Generation {
        text,
        finish_reason,
    } = response
    else {
        return Err(ApiFailure::internal("the model did not generate text"));
    };
    Ok(ChatCompletionResponse {
        id: format!("chatcmpl-substance-{}", now()),
        object: "chat.completion".into(),
        created: now(),
        model: req.model,
        choices: vec![ChatChoice {
            index: 0,
            message: ChatResponseMessage {
                role: "assistant".into(),
                content: Some(text),
                refusal: None,
            },
            finish_reason,
            logprobs: None,
        }],
        usage: None,
    })
}

fn settings(
    max_tokens: Option<u64>,
    temperature: Option<f64>,
    stop: Option<&substance_endpoint::OneOrMany>,
) -> GenerationSpec {
    GenerationSpec {
        max_tokens: max_tokens.unwrap_or(16) as usize,
        stop: stop.map(|s| s.to_vec()).unwrap_or_default(),
        temperature: temperature.unwrap_or(1.0),
    }
}
