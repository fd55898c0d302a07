//! The server module (what `substance serve` builds on) with a toy backend, exercised by the real client
//! over HTTP — the client/server contract for echo log-likelihood included — and by raw sockets for
//! the error paths.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use substance_core::{GenerationSpec, Message, Prompt, Response};
use substance_endpoint::server::{ApiFailure, ServeBackend, ServeOptions, Server, route};
use substance_endpoint::*;

/// The toy model of `common`, served properly: echo returns every prompt token with offsets.
struct Toy;

impl ServeBackend for Toy {
    fn models(&self) -> ModelList {
        ModelList {
            object: "list".into(),
            data: vec![ModelObject {
                id: "toy".into(),
                object: "model".into(),
                created: 0,
                owned_by: "substance".into(),
            }],
        }
    }

    fn completions(&self, req: CompletionRequest) -> Result<CompletionResponse, ApiFailure> {
        if req.model != "toy" {
            return Err(ApiFailure::not_found(format!(
                "model `{}` is not served",
                req.model
            )));
        }
        let CompletionPrompt::Text(prompt) = req.prompt else {
            return Err(ApiFailure::bad_request("only a text prompt"));
        };
        let generated = " ok";
        let (text, logprobs) = if req.echo == Some(true) {
            let mut tokens = toy_tokens(&prompt);
            tokens.push(generated.into());
            let lps = tokens
                .iter()
                .enumerate()
                .map(|(i, t)| (i > 0).then(|| toy_logprob(t)))
                .collect();
            let top = tokens
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    (i > 0).then(|| {
                        let mut m = BTreeMap::from([(t.clone(), toy_logprob(t))]);
                        if t.contains('x') {
                            m.insert(" the".into(), -0.01);
                        }
                        m
                    })
                })
                .collect();
            (
                format!("{prompt}{generated}"),
                req.logprobs
                    .map(|_| CompletionLogprobs::from_tokens(tokens, lps, top, 0)),
            )
        } else {
            (generated.to_owned(), None)
        };
        Ok(CompletionResponse {
            id: "cmpl-toy".into(),
            object: "text_completion".into(),
            created: 0,
            model: "toy".into(),
            choices: vec![CompletionChoice {
                text,
                index: 0,
                logprobs,
                finish_reason: Some("length".into()),
            }],
            usage: None,
        })
    }

    fn chat(&self, req: ChatCompletionRequest) -> Result<ChatCompletionResponse, ApiFailure> {
        let last = req
            .messages
            .last()
            .map(|m| m.content.text())
            .unwrap_or_default();
        Ok(ChatCompletionResponse {
            id: "chat-toy".into(),
            object: "chat.completion".into(),
            created: 0,
            model: req.model,
            choices: vec![ChatChoice {
                index: 0,
                message: ChatResponseMessage {
                    role: "assistant".into(),
                    content: Some(format!("you said: {last}")),
                    refusal: None,
                },
                finish_reason: Some("stop".into()),
                logprobs: None,
            }],
            usage: None,
        })
    }
}

fn serve(options: ServeOptions) -> Server {
    Server::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        Arc::new(Toy),
        options,
    )
    .unwrap()
}

fn raw(server: &Server, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

fn post(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn the_client_and_the_server_agree() {
    let server = serve(ServeOptions::default());
    let spec = ModelSpec::parse(&format!("http://{}/v1#toy", server.local_addr())).unwrap();
    let m = model_from_spec(&spec, None, ClientConfig::new(""), None);
    assert_eq!(block_on(m.client().models()).unwrap().data[0].id, "toy");
    let r = m
        .generate(
            &Prompt::Chat {
                messages: vec![Message {
                    role: "user".into(),
                    content: "héllo".into(),
                }],
            },
            &GenerationSpec::default(),
            0,
        )
        .unwrap();
    assert_eq!(
        r,
        Response::Generation {
            text: "you said: héllo".into(),
            finish_reason: Some("stop".into())
        }
    );
    let pairs: Vec<[String; 2]> = [" Paris", " Lyon x", " Zürich"]
        .iter()
        .map(|c| ["Die Hauptstadt ist".to_owned(), (*c).to_owned()])
        .collect();
    let out = m.loglikelihood(&pairs).unwrap();
    for (got, [ctx, cont]) in out.iter().zip(&pairs) {
        let (ll, n, greedy) = toy_expected(ctx, cont);
        assert!((got.ll - ll).abs() < 1e-12);
        assert_eq!((got.n_tokens, got.is_greedy), (Some(n), greedy));
    }
    // An unknown model is a typed 404 on the client side.
    let spec = ModelSpec::parse(&format!("http://{}/v1#nope", server.local_addr())).unwrap();
    let m = model_from_spec(&spec, None, ClientConfig::new(""), None);
    let e = m.loglikelihood(&pairs[..1]).unwrap_err();
    assert!(
        matches!(e, EndpointError::Http { status: 404, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("`nope` is not served"), "{e}");
    server.shutdown();
}

#[test]
fn error_paths_over_raw_sockets() {
    let server = serve(ServeOptions {
        max_body_bytes: 1000,
        ..ServeOptions::default()
    });
    let (s, out) = raw(
        &server,
        &post("/v1/completions", r#"{"model":"toy","prompt":5}"#),
    );
    assert_eq!(s, 400, "{out}");
    assert!(out.contains("invalid JSON body at `prompt`"), "{out}");
    let (s, out) = raw(&server, &post("/v1/chat/completions", "{not json"));
    assert_eq!(s, 400);
    assert!(out.contains("invalid_request_error"), "{out}");
    let (s, out) = raw(
        &server,
        &post(
            "/v1/chat/completions",
            r#"{"model":"toy","messages":[],"stream":true}"#,
        ),
    );
    assert_eq!(s, 400);
    assert!(out.contains("stream"), "{out}");
    let (s, _) = raw(&server, &post("/v1/completions", &"x".repeat(2000)));
    assert_eq!(s, 413);
    let (s, _) = raw(
        &server,
        "POST /v1/completions HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert_eq!(s, 411);
    let (s, _) = raw(&server, "GET /v2/nothing HTTP/1.1\r\n\r\n");
    assert_eq!(s, 404);
    let (s, _) = raw(&server, "GET /v1/completions HTTP/1.1\r\n\r\n");
    assert_eq!(s, 405);
    let (s, out) = raw(&server, "OPTIONS /v1/chat/completions HTTP/1.1\r\n\r\n");
    assert_eq!(s, 204);
    assert!(out.contains("access-control-allow-origin: *"), "{out}");
    let (s, out) = raw(&server, "GET /models HTTP/1.1\r\n\r\n");
    assert_eq!(s, 200);
    assert!(out.contains("\"toy\""));
    // Expect: 100-continue (curl with large bodies).
    let body = r#"{"model":"toy","prompt":"hi"}"#;
    let (s, out) = raw(
        &server,
        &format!(
            "POST /v1/completions HTTP/1.1\r\nexpect: 100-continue\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(s, 100);
    assert!(
        out.contains("HTTP/1.1 200 OK") && out.contains(" ok"),
        "{out}"
    );
    // Garbage instead of HTTP does not take the server down.
    let (s, _) = raw(&server, "\u{0}\u{1}garbage\r\n\r\n");
    assert_eq!(s, 404);
    assert_eq!(raw(&server, "GET /v1/models HTTP/1.1\r\n\r\n").0, 200);
}

#[test]
fn over_capacity_answers_503_which_the_client_retries() {
    let server = serve(ServeOptions {
        max_connections: 1,
        ..ServeOptions::default()
    });
    // Hold the only slot with a connection that sends nothing yet.
    let mut hog = TcpStream::connect(server.local_addr()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let (s, out) = raw(&server, "GET /v1/models HTTP/1.1\r\n\r\n");
    assert_eq!(s, 503);
    assert!(out.contains("retry-after: 1"), "{out}");
    // Release the slot shortly; the client's retry (after Retry-After: 1 s) gets through.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        hog.write_all(b"GET /v1/models HTTP/1.1\r\n\r\n").unwrap();
        let mut sink = String::new();
        let _ = hog.read_to_string(&mut sink);
    });
    let spec = ModelSpec::parse(&format!("http://{}/v1#toy", server.local_addr())).unwrap();
    let m = model_from_spec(&spec, None, ClientConfig::new(""), None);
    let t = std::time::Instant::now();
    let r = m
        .generate(
            &Prompt::Completion { text: "hi".into() },
            &GenerationSpec::default(),
            0,
        )
        .unwrap();
    assert_eq!(
        r,
        Response::Generation {
            text: " ok".into(),
            finish_reason: Some("length".into())
        }
    );
    assert!(m.client().stats().retries >= 1);
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 honoured: {:?}",
        t.elapsed()
    );
    releaser.join().unwrap();
}

#[test]
fn route_is_usable_without_sockets() {
    let a = route(&Toy, "POST", "/v1/chat/completions?x=1", br#"{"model":"toy","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}"#);
    assert_eq!(a.status, 200);
    assert!(a.body.contains("you said: ab"), "{}", a.body);
}
