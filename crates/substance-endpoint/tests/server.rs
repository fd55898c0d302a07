//! The real native transport against a fault-injecting OpenAI-compatible server started inside the test
//! (std `TcpListener` on 127.0.0.1, one thread per connection, bounded lifetime): success, 429 with
//! Retry-After, 500 then success, slow responses hitting the timeout, bodies cut mid-JSON (by framing
//! and by content), oversized bodies, refused connections, and echo log-likelihood end to end.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use substance_core::{GenerationSpec, Prompt, Response};
use substance_endpoint::*;

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
    body: String,
}

/// What the server does with one connection.
#[derive(Clone)]
enum Step {
    /// Answer with status, extra headers and body.
    Reply(u16, Vec<(&'static str, String)>, String),
    /// Write these raw bytes, then close.
    Raw(Vec<u8>),
    /// Wait, then do the step.
    After(Duration, Box<Step>),
    /// Answer like a toy vLLM: echo log-probs for completions, a fixed chat answer.
    Openai,
}

struct FakeServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Serve `script` (one step per connection, in order), then `Openai` for any further connection.
    fn start(script: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut script = script.into_iter();
            let mut workers = Vec::new();
            while !stop2.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let step = script.next().unwrap_or(Step::Openai);
                        let seen = seen2.clone();
                        workers.push(std::thread::spawn(move || serve(stream, step, &seen)));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Self {
            addr,
            seen,
            stop,
            handle: Some(handle),
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn serve(stream: TcpStream, step: Step, seen: &Mutex<Vec<Seen>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let (mut len, mut authorization) = (0usize, None);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        let (k, v) = h.split_once(':').unwrap_or((&h, ""));
        match k.to_ascii_lowercase().as_str() {
            "content-length" => len = v.trim().parse().unwrap_or(0),
            "authorization" => authorization = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8_lossy(&body).into_owned();
    seen.lock().unwrap().push(Seen {
        path: path.clone(),
        authorization,
        body: body.clone(),
    });
    act(stream, step, &path, &body);
}

fn act(mut stream: TcpStream, step: Step, path: &str, body: &str) {
    match step {
        Step::After(d, next) => {
            std::thread::sleep(d);
            act(stream, *next, path, body);
        }
        Step::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
        }
        Step::Reply(status, headers, text) => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                text.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&text);
            let _ = stream.write_all(out.as_bytes());
        }
        Step::Openai => {
            let text = if path.ends_with("/completions") && !path.ends_with("/chat/completions") {
                let req: Value = serde_json::from_str(body).unwrap();
                echo_body(req["prompt"].as_str().unwrap_or_default())
            } else if path.ends_with("/models") {
                r#"{"object":"list","data":[{"id":"toy","object":"model"}]}"#.to_owned()
            } else {
                chat_body("hello from the fake server")
            };
            act(stream, Step::Reply(200, vec![], text), path, body);
        }
    }
}

fn ok_chat() -> Step {
    Step::Reply(200, vec![], chat_body("fine"))
}

/// A body that promises more bytes than it sends, then the connection closes.
fn cut_by_framing() -> Step {
    let full = chat_body("this answer will be cut");
    let half = &full[..full.len() / 2];
    Step::Raw(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{half}",
            full.len()
        )
        .into_bytes(),
    )
}

const KEY: &str = "sk-live-SERVERTEST-42";

fn model(
    server: &FakeServer,
    tweak: impl FnOnce(&mut ClientConfig),
) -> EndpointModel<NativeTransport> {
    let spec = ModelSpec::parse(&format!("{}#toy", server.base_url())).unwrap();
    let mut cfg = ClientConfig::new("");
    cfg.timeout = Duration::from_secs(5);
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        jitter: 0.0,
        seed: 0,
    };
    tweak(&mut cfg);
    model_from_spec(&spec, Some(Secret::new(KEY)), cfg, None)
}

fn chat() -> Prompt {
    Prompt::Chat {
        messages: vec![substance_core::Message {
            role: "user".into(),
            content: "hi".into(),
        }],
    }
}

fn text_of(r: Response) -> String {
    match r {
        Response::Generation { text, .. } => text,
        other => panic!("{other:?}"),
    }
}

#[test]
fn chat_and_models_over_real_http() {
    let server = FakeServer::start(vec![]);
    let m = model(&server, |_| {});
    let r = m.generate(&chat(), &GenerationSpec::default(), 0).unwrap();
    assert_eq!(text_of(r), "hello from the fake server");
    let models = block_on(m.client().models()).unwrap();
    assert_eq!(models.data[0].id, "toy");
    let seen = server.seen();
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(seen[1].path, "/v1/models");
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body["model"], "toy");
}

#[test]
fn honours_retry_after_on_429() {
    let server = FakeServer::start(vec![
        Step::Reply(
            429,
            vec![("retry-after", "1".into())],
            r#"{"error":{"message":"rate limited"}}"#.into(),
        ),
        ok_chat(),
    ]);
    let m = model(&server, |_| {});
    let t = Instant::now();
    let r = m.generate(&chat(), &GenerationSpec::default(), 0).unwrap();
    assert_eq!(text_of(r), "fine");
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(m.client().stats().retries, 1);
}

#[test]
fn retries_500_then_succeeds() {
    let server = FakeServer::start(vec![
        Step::Reply(500, vec![], r#"{"error":{"message":"oops"}}"#.into()),
        Step::Reply(
            502,
            vec![("content-type", "text/html".into())],
            "<html><title>502 Bad Gateway</title></html>".into(),
        ),
        ok_chat(),
    ]);
    let m = model(&server, |_| {});
    assert_eq!(
        text_of(m.generate(&chat(), &GenerationSpec::default(), 0).unwrap()),
        "fine"
    );
    assert_eq!(server.seen().len(), 3);

    let server = FakeServer::start(vec![
        Step::Reply(503, vec![], "{}".into()),
        Step::Reply(503, vec![], "{}".into()),
        Step::Reply(503, vec![], r#"{"error":{"message":"still down"}}"#.into()),
    ]);
    let m = model(&server, |_| {});
    let e = m
        .generate(&chat(), &GenerationSpec::default(), 0)
        .unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("gave up after 3 attempts") && s.contains("still down"),
        "{s}"
    );
    assert!(s.contains(&server.addr.to_string()), "{s}");
}

#[test]
fn slow_server_times_out() {
    // The server answers after 4 s; the client gives up after 2 attempts of 300 ms. The bound below
    // leaves ~2.5 s for scheduling on a loaded machine, and a client that ignored its timeout would
    // still fail it.
    let slow = || Step::After(Duration::from_millis(4000), Box::new(ok_chat()));
    let server = FakeServer::start(vec![slow(), slow()]);
    let m = model(&server, |c| {
        c.timeout = Duration::from_millis(300);
        c.retry.max_attempts = 2;
    });
    let t = Instant::now();
    let e = m
        .generate(&chat(), &GenerationSpec::default(), 0)
        .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(3500),
        "{:?}",
        t.elapsed()
    );
    match &e {
        EndpointError::RetriesExhausted { last, .. } => assert!(
            matches!(
                **last,
                EndpointError::Transport {
                    source: TransportError::Timeout { .. },
                    ..
                }
            ),
            "{e:?}"
        ),
        other => panic!("{other:?}"),
    }
    // A slow first attempt, then a quick one: success.
    let server = FakeServer::start(vec![slow(), ok_chat()]);
    let m = model(&server, |c| c.timeout = Duration::from_millis(300));
    assert_eq!(
        text_of(m.generate(&chat(), &GenerationSpec::default(), 0).unwrap()),
        "fine"
    );
}

#[test]
fn body_cut_mid_json() {
    // Cut by framing (fewer bytes than content-length): a truncated transfer, retried.
    let server = FakeServer::start(vec![cut_by_framing(), ok_chat()]);
    let m = model(&server, |_| {});
    assert_eq!(
        text_of(m.generate(&chat(), &GenerationSpec::default(), 0).unwrap()),
        "fine"
    );
    let server = FakeServer::start(vec![cut_by_framing()]);
    let m = model(&server, |c| c.retry.max_attempts = 1);
    let e = m
        .generate(&chat(), &GenerationSpec::default(), 0)
        .unwrap_err();
    assert!(
        matches!(
            e,
            EndpointError::Transport {
                source: TransportError::Truncated(_),
                ..
            }
        ),
        "{e:?}"
    );
    // Complete HTTP framing around half a JSON document: malformed, not retried.
    let full = chat_body("cut");
    let server = FakeServer::start(vec![Step::Reply(
        200,
        vec![],
        full[..full.len() / 2].to_owned(),
    )]);
    let m = model(&server, |_| {});
    let e = m
        .generate(&chat(), &GenerationSpec::default(), 0)
        .unwrap_err();
    let s = e.to_string();
    assert!(
        matches!(e, EndpointError::Malformed { .. }) && s.contains("truncated"),
        "{s}"
    );
    assert_eq!(server.seen().len(), 1);
    // Not HTTP at all.
    let server = FakeServer::start(vec![Step::Raw(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec())]);
    let m = model(&server, |c| c.retry.max_attempts = 1);
    assert!(m.generate(&chat(), &GenerationSpec::default(), 0).is_err());
}

#[test]
fn oversized_body_is_refused() {
    let huge = format!(
        "{{\"choices\":[{{\"message\":{{\"content\":\"{}\"}}}}]}}",
        "a".repeat(300_000)
    );
    let server = FakeServer::start(vec![Step::Reply(200, vec![], huge)]);
    let m = model(&server, |c| c.max_body_bytes = 100_000);
    let e = m
        .generate(&chat(), &GenerationSpec::default(), 0)
        .unwrap_err();
    assert!(
        matches!(
            e,
            EndpointError::Transport {
                source: TransportError::TooLarge { limit: 100_000 },
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn refused_connection_is_retried_then_reported() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let spec = ModelSpec::parse(&format!("http://127.0.0.1:{port}/v1#toy")).unwrap();
    let mut cfg = ClientConfig::new("");
    cfg.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        jitter: 0.0,
        ..RetryPolicy::default()
    };
    let m = model_from_spec(&spec, Some(Secret::new(KEY)), cfg, None);
    let e = m
        .generate(&chat(), &GenerationSpec::default(), 0)
        .unwrap_err();
    let text = all_text(&e);
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains(KEY), "{text}");
    assert!(
        matches!(e, EndpointError::RetriesExhausted { attempts: 2, .. }),
        "{e:?}"
    );
}

#[test]
fn loglikelihood_end_to_end() {
    let server = FakeServer::start(vec![Step::Reply(500, vec![], "{}".into())]);
    let m = model(&server, |c| c.concurrency = 4);
    let pairs: Vec<[String; 2]> = [" Paris", " Lyon", " Marseille x", " Nice"]
        .iter()
        .map(|c| ["The capital of France is".to_owned(), (*c).to_owned()])
        .collect();
    let out = m.loglikelihood(&pairs).unwrap();
    for (got, [ctx, cont]) in out.iter().zip(&pairs) {
        let (ll, n, greedy) = toy_expected(ctx, cont);
        assert!((got.ll - ll).abs() < 1e-12);
        assert_eq!((got.n_tokens, got.is_greedy), (Some(n), greedy));
    }
    // One 500 was retried; every request asked for echo.
    let seen = server.seen();
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|s| s.body.contains("\"echo\":true")));
}
