//! The client against the mock transport: retries, Retry-After, backoff caps, the concurrency limit,
//! the cache, malformed bodies, the adapter's request mapping, and the key never leaking.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use serde_json::Value;
use substance_core::{GenerationSpec, Message, Prompt, Response};
use substance_endpoint::*;

const KEY: &str = "sk-TEST-0123456789abcdef";

fn start() -> SystemTime {
    httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap()
}

fn config() -> ClientConfig {
    let mut c = ClientConfig::new("http://127.0.0.1:9/v1");
    c.api_key = Some(Secret::new(KEY));
    c.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(3),
        max_retry_after: Duration::from_secs(60),
        jitter: 0.0,
        seed: 1,
    };
    c
}

fn client(
    mock: &MockTransport,
    config: ClientConfig,
) -> (EndpointClient<MockTransport>, MockClock) {
    let clock = MockClock::new(start());
    let c = EndpointClient::build(config, mock.clone(), Arc::new(clock.clone()), None);
    (c, clock)
}

fn chat_req() -> ChatCompletionRequest {
    ChatCompletionRequest {
        model: "m".into(),
        messages: vec![ChatMessage {
            role: "user".into(),
            content: ChatContent::Text("hi".into()),
        }],
        max_tokens: Some(5),
        temperature: Some(0.0),
        top_p: None,
        stop: None,
        seed: None,
        logprobs: None,
        top_logprobs: None,
        stream: None,
    }
}

fn secs(v: &[Duration]) -> Vec<f64> {
    v.iter().map(Duration::as_secs_f64).collect()
}

#[test]
fn retry_after_seconds_date_and_ms_are_honoured() {
    let mock = MockTransport::new();
    mock.push(
        HttpResponse::json(429, r#"{"error":{"message":"slow down"}}"#)
            .with_header("Retry-After", "7"),
    );
    mock.push(
        HttpResponse::json(503, "{}").with_header("retry-after", "Wed, 21 Oct 2015 07:28:19 GMT"),
    );
    mock.push(HttpResponse::json(429, "{}").with_header("retry-after-ms", "250"));
    mock.push(HttpResponse::json(200, chat_body("ok")));
    let (c, clock) = client(&mock, config());
    let r = block_on(c.chat(&chat_req())).unwrap();
    assert_eq!(r.choices[0].message.content.as_deref(), Some("ok"));
    // 7 s; the date is 19 s after the start, and the clock has advanced 7 s → 12 s; then 0.25 s.
    assert_eq!(secs(&clock.sleeps()), vec![7.0, 12.0, 0.25]);
    assert_eq!(c.stats().attempts, 4);
    assert_eq!(c.stats().retries, 3);
}

#[test]
fn retry_after_is_capped_and_garbage_falls_back_to_backoff() {
    let mock = MockTransport::new();
    mock.push(HttpResponse::json(429, "{}").with_header("Retry-After", "86400"));
    mock.push(HttpResponse::json(429, "{}").with_header("Retry-After", "whenever"));
    mock.push(HttpResponse::json(200, chat_body("ok")));
    let (c, clock) = client(&mock, config());
    block_on(c.chat(&chat_req())).unwrap();
    assert_eq!(secs(&clock.sleeps()), vec![60.0, 2.0]);
}

#[test]
fn backoff_doubles_caps_and_gives_up() {
    let mock = MockTransport::new();
    for _ in 0..4 {
        mock.push(HttpResponse::json(500, r#"{"error":{"message":"boom"}}"#));
    }
    let (c, clock) = client(&mock, config());
    let e = block_on(c.chat(&chat_req())).unwrap_err();
    assert_eq!(secs(&clock.sleeps()), vec![1.0, 2.0, 3.0]);
    match &e {
        EndpointError::RetriesExhausted {
            attempts,
            last,
            host,
        } => {
            assert_eq!((*attempts, host.as_str()), (4, "127.0.0.1:9"));
            assert!(matches!(**last, EndpointError::Http { status: 500, .. }));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("boom"), "{e}");
    assert_eq!(mock.requests().len(), 4);
}

#[test]
fn jitter_is_bounded_and_reproducible() {
    let run = |seed| {
        let mock = MockTransport::new();
        for _ in 0..3 {
            mock.push(TransportError::Timeout {
                after: Duration::from_secs(1),
            });
        }
        mock.push(HttpResponse::json(200, chat_body("ok")));
        let mut cfg = config();
        cfg.retry.jitter = 0.5;
        cfg.retry.seed = seed;
        let (c, clock) = client(&mock, cfg);
        block_on(c.chat(&chat_req())).unwrap();
        clock.sleeps()
    };
    let a = run(42);
    assert_eq!(a, run(42));
    assert_ne!(a, run(43));
    for (d, full) in a.iter().zip([1.0, 2.0, 3.0]) {
        let s = d.as_secs_f64();
        assert!(s > full * 0.5 - 1e-9 && s <= full, "{s} vs {full}");
    }
}

#[test]
fn client_errors_are_not_retried_but_transport_failures_are() {
    let mock = MockTransport::new();
    mock.push(HttpResponse::json(
        400,
        r#"{"error":{"message":"bad model"}}"#,
    ));
    let (c, clock) = client(&mock, config());
    let e = block_on(c.chat(&chat_req())).unwrap_err();
    assert!(
        matches!(e, EndpointError::Http { status: 400, .. }),
        "{e:?}"
    );
    assert!(clock.sleeps().is_empty());

    let mock = MockTransport::new();
    mock.push(TransportError::Connect("refused".into()));
    mock.push(TransportError::Truncated("eof".into()));
    mock.push(HttpResponse::json(200, chat_body("ok")));
    let (c, _) = client(&mock, config());
    block_on(c.chat(&chat_req())).unwrap();
    assert_eq!(mock.requests().len(), 3);

    let mock = MockTransport::new();
    mock.push(TransportError::Tls("bad certificate".into()));
    let (c, _) = client(&mock, config());
    assert!(matches!(
        block_on(c.chat(&chat_req())).unwrap_err(),
        EndpointError::Transport {
            source: TransportError::Tls(_),
            ..
        }
    ));
}

#[test]
fn concurrency_limit_is_honoured() {
    let mock = MockTransport::with_responder(|r| {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        HttpResponse::json(200, echo_body(body["prompt"].as_str().unwrap())).into()
    })
    .hold(5);
    let mut cfg = config();
    cfg.concurrency = 3;
    let (c, _) = client(&mock, cfg);
    let model = EndpointModel::new(c, "toy", "test");
    let pairs: Vec<[String; 2]> = (0..12)
        .map(|i| ["Question".to_owned(), format!(" answer{i}")])
        .collect();
    let out = model.loglikelihood(&pairs).unwrap();
    assert_eq!(out.len(), 12);
    assert_eq!(mock.max_in_flight(), 3);
    // Unlimited-ish: all 12 overlap.
    let mock2 = MockTransport::with_responder(|r| {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        HttpResponse::json(200, echo_body(body["prompt"].as_str().unwrap())).into()
    })
    .hold(5);
    let mut cfg = config();
    cfg.concurrency = 64;
    let (c, _) = client(&mock2, cfg);
    EndpointModel::new(c, "toy", "test")
        .loglikelihood(&pairs)
        .unwrap();
    assert_eq!(mock2.max_in_flight(), 12);
}

#[test]
fn cache_hits_misses_and_persists() {
    let mock =
        MockTransport::with_responder(|_| HttpResponse::json(200, chat_body("cached")).into());
    let cache = Arc::new(ResponseCache::in_memory());
    let c = EndpointClient::build(
        config(),
        mock.clone(),
        Arc::new(MockClock::new(start())),
        Some(cache.clone()),
    );
    let req = chat_req();
    let a = block_on(c.chat(&req)).unwrap();
    let b = block_on(c.chat(&req)).unwrap();
    assert_eq!(a, b);
    assert_eq!(mock.requests().len(), 1);
    let mut other = req.clone();
    other.seed = Some(9);
    block_on(c.chat(&other)).unwrap();
    assert_eq!(mock.requests().len(), 2);
    assert_eq!(c.stats().cache_hits, 1);
    assert_eq!(c.stats().cache_misses, 2);
    assert_eq!(cache.len(), 2);

    // A cache hit parses the very bytes of the original answer: bit-identical log-likelihoods.
    let echo = MockTransport::with_responder(|r| {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        HttpResponse::json(200, echo_body(body["prompt"].as_str().unwrap())).into()
    });
    let c = EndpointClient::build(
        config(),
        echo.clone(),
        Arc::new(MockClock::new(start())),
        Some(Arc::new(ResponseCache::in_memory())),
    );
    let m = EndpointModel::new(c, "toy", "t");
    let pairs = [["The sky is".to_owned(), " blue xx".to_owned()]];
    let first = m.loglikelihood(&pairs).unwrap();
    let again = m.loglikelihood(&pairs).unwrap();
    assert_eq!(first[0].ll.to_bits(), again[0].ll.to_bits());
    assert_eq!(echo.requests().len(), 1);

    // Failures are not cached.
    let failing = MockTransport::new();
    failing.push(HttpResponse::json(200, r#"{"choices": []}"#));
    failing.push(HttpResponse::json(200, chat_body("second")));
    let cache = Arc::new(ResponseCache::in_memory());
    let c = EndpointClient::build(
        config(),
        failing.clone(),
        Arc::new(MockClock::new(start())),
        Some(cache.clone()),
    );
    assert!(block_on(c.chat(&req)).is_err());
    assert_eq!(cache.len(), 0);
    assert_eq!(
        block_on(c.chat(&req)).unwrap().choices[0]
            .message
            .content
            .as_deref(),
        Some("second")
    );

    // On disk: a fresh client answers from the file without the network.
    let dir = std::env::temp_dir().join(format!("substance-endpoint-mock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.jsonl");
    let _ = std::fs::remove_file(&path);
    {
        let disk = Arc::new(ResponseCache::open_jsonl(&path).unwrap());
        let c = EndpointClient::build(
            config(),
            mock.clone(),
            Arc::new(MockClock::new(start())),
            Some(disk),
        );
        block_on(c.chat(&req)).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(KEY));
    let silent = MockTransport::new();
    let disk = Arc::new(ResponseCache::open_jsonl(&path).unwrap());
    let c = EndpointClient::build(
        config(),
        silent.clone(),
        Arc::new(MockClock::new(start())),
        Some(disk),
    );
    assert_eq!(
        block_on(c.chat(&req)).unwrap().choices[0]
            .message
            .content
            .as_deref(),
        Some("cached")
    );
    assert!(silent.requests().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_bodies_are_typed_errors_naming_the_host() {
    let cases: Vec<(HttpResponse, &str)> = vec![
        (
            HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "text/html".into())],
                body: b"<html><head><title>Captive portal</title></head></html>".to_vec(),
            },
            "Captive portal",
        ),
        (HttpResponse::json(200, "not json"), "not JSON"),
        (
            HttpResponse::json(200, r#"{"choices": [{"message": {"content": "cut"#),
            "truncated",
        ),
        (
            HttpResponse::json(200, r#"{"object": "chat.completion"}"#),
            "missing field `choices`",
        ),
        (HttpResponse::json(200, r#"{"choices": []}"#), "empty"),
        (
            HttpResponse::json(200, r#"{"choices": [{"message": "hello"}]}"#),
            "choices[0].message",
        ),
        (HttpResponse::json(200, ""), "empty body"),
        (HttpResponse::json(200, "[1,2,3]"), "unexpected shape"),
        (
            HttpResponse::json(200, "x".repeat(2048)),
            "over the 1024-byte limit",
        ),
    ];
    for (resp, needle) in cases {
        let mock = MockTransport::new();
        mock.push(resp);
        let mut cfg = config();
        cfg.max_body_bytes = 1024;
        let (c, _) = client(&mock, cfg);
        let e = block_on(c.chat(&chat_req())).unwrap_err().to_string();
        assert!(
            e.contains(needle) && e.contains("127.0.0.1:9"),
            "{needle}: {e}"
        );
    }
}

#[test]
fn the_key_never_leaks() {
    // A hostile server echoes the Authorization header into every kind of failure.
    type Echo = Box<dyn Fn(&str) -> MockReply + Send + Sync>;
    let echoes: Vec<Echo> = vec![
        Box::new(|k| {
            HttpResponse::json(401, format!(r#"{{"error":{{"message":"bad key {k}"}}}}"#)).into()
        }),
        Box::new(|k| HttpResponse::json(400, format!("Bearer {k}")).into()),
        Box::new(|k| HttpResponse::json(500, format!("<html><title>{k}</title></html>")).into()),
        Box::new(|k| HttpResponse::json(200, format!("garbage {k}")).into()),
        Box::new(|k| HttpResponse::json(200, format!("<!doctype html><title>{k}</title>")).into()),
        Box::new(|k| TransportError::Io(format!("reset after Bearer {k}")).into()),
        Box::new(|k| TransportError::Protocol(format!("junk {k}")).into()),
    ];
    for echo in echoes {
        let mock = MockTransport::with_responder(move |r| {
            echo(
                r.bearer
                    .as_ref()
                    .map(Secret::expose)
                    .unwrap_or("NO KEY SENT"),
            )
        });
        let mut cfg = config();
        cfg.retry.max_attempts = 2;
        let (c, _) = client(&mock, cfg);
        let e = block_on(c.chat(&chat_req())).unwrap_err();
        let text = all_text(&e);
        assert!(!text.contains(KEY), "leaked: {text}");
        assert!(!text.contains("NO KEY SENT"), "{text}");
        let requests = mock.requests();
        assert_eq!(requests[0].bearer.as_ref().map(Secret::expose), Some(KEY));
        let debug = format!("{c:?} {requests:?} {:?}", c.config());
        assert!(!debug.contains(KEY), "{debug}");
        assert!(debug.contains("***"));
    }
    let model = model_from_spec(
        &ModelSpec::parse("openai:gpt-4o").unwrap(),
        Some(Secret::new(KEY)),
        ClientConfig::new("ignored"),
        None,
    );
    let shown = format!("{model:?} {:?}", model.info());
    assert!(!shown.contains(KEY), "{shown}");
    assert_eq!(model.info().id, "openai:gpt-4o");
}

#[test]
fn generation_requests_map_the_settings() {
    let mock = MockTransport::new();
    mock.push(HttpResponse::json(
        200,
        chat_body("The answer is 4.\n\nQ: next"),
    ));
    mock.push(HttpResponse::json(
        200,
        r#"{"choices":[{"text":" 42","finish_reason":"length"}]}"#,
    ));
    let (c, _) = client(&mock, config());
    let model = EndpointModel::new(c, "toy-chat", "http://127.0.0.1:9/v1#toy-chat");
    let settings = GenerationSpec {
        max_tokens: 32,
        stop: ["\n\n", "Q:", "A:", "###", "END"]
            .map(String::from)
            .to_vec(),
        temperature: 0.7,
    };
    let chat = Prompt::Chat {
        messages: vec![
            Message {
                role: "system".into(),
                content: "be brief".into(),
            },
            Message {
                role: "user".into(),
                content: "2+2?".into(),
            },
        ],
    };
    let r = model.generate(&chat, &settings, 1234).unwrap();
    assert_eq!(
        r,
        Response::Generation {
            text: "The answer is 4.".into(),
            finish_reason: Some("stop".into())
        }
    );
    let greedy = GenerationSpec {
        temperature: 0.0,
        stop: vec![],
        ..settings.clone()
    };
    let r = model
        .generate(
            &Prompt::Completion {
                text: "6*7=".into(),
            },
            &greedy,
            1234,
        )
        .unwrap();
    assert_eq!(
        r,
        Response::Generation {
            text: " 42".into(),
            finish_reason: Some("length".into())
        }
    );

    let reqs = mock.requests();
    assert!(
        reqs[0].url.ends_with("/v1/chat/completions"),
        "{}",
        reqs[0].url
    );
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(body["model"], "toy-chat");
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "2+2?");
    assert_eq!(body["max_tokens"], 32);
    assert_eq!(body["temperature"], 0.7);
    assert_eq!(body["seed"], 1234);
    assert_eq!(body["stop"].as_array().unwrap().len(), 4);
    assert!(reqs[1].url.ends_with("/v1/completions"));
    let body: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(body["prompt"], "6*7=");
    assert_eq!(body["temperature"], 0.0);
    assert!(body.get("seed").is_none(), "no seed when greedy: {body}");
    assert!(body.get("stop").is_none());
}

#[test]
fn loglikelihood_through_echo() {
    let mock = MockTransport::with_responder(|r| {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["echo"], true);
        assert_eq!(body["logprobs"], 1);
        assert_eq!(body["temperature"], 0.0);
        HttpResponse::json(200, echo_body(body["prompt"].as_str().unwrap())).into()
    });
    let (c, _) = client(&mock, config());
    let model = EndpointModel::new(c, "toy", "test");
    let pairs = [
        ["Q: capital of France?\nA:", " Paris"],
        ["Q: capital of France?\nA:", " Lyon xx"],
        ["Überraschung ü", " größer"],
    ]
    .map(|[a, b]| [a.to_owned(), b.to_owned()]);
    let out = model.loglikelihood(&pairs).unwrap();
    for (got, [ctx, cont]) in out.iter().zip(&pairs) {
        let (ll, n, greedy) = toy_expected(ctx, cont);
        assert!((got.ll - ll).abs() < 1e-12, "{got:?} vs {ll}");
        assert_eq!((got.n_tokens, got.is_greedy), (Some(n), greedy));
    }
    assert!(out[0].is_greedy && !out[1].is_greedy);
    // The same through the Prompt interface.
    let r = model
        .generate(
            &Prompt::LogLikelihood {
                context: pairs[0][0].clone(),
                continuations: vec![pairs[0][1].clone(), pairs[1][1].clone()],
            },
            &GenerationSpec::default(),
            0,
        )
        .unwrap();
    match r {
        Response::LogLikelihood { choices, .. } => assert_eq!(choices, out[..2].to_vec()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn loglikelihood_unsupported_servers_are_named() {
    let cases: Vec<(HttpResponse, &str)> = vec![
        // OpenAI on current models.
        (
            HttpResponse::json(
                400,
                r#"{"error":{"message":"Setting 'echo' and 'logprobs' at the same time is not supported for this model."}}"#,
            ),
            "echo",
        ),
        // llama.cpp: generated-token log-probs only, no echoed text.
        (
            HttpResponse::json(
                200,
                r#"{"choices":[{"text":" .","logprobs":{"tokens":[" ."],"token_logprobs":[-0.1],"top_logprobs":[{" .":-0.1}],"text_offset":[0]}}]}"#,
            ),
            "did not echo",
        ),
        // Echoed text, but log-probs of the generated token only (offset past the prompt).
        (
            HttpResponse::json(
                200,
                r#"{"choices":[{"text":"Hi there .","logprobs":{"tokens":[" ."],"token_logprobs":[-0.1],"top_logprobs":[{" .":-0.1}],"text_offset":[8]}}]}"#,
            ),
            "not echoed",
        ),
        // Ollama/TGI: no logprobs at all.
        (
            HttpResponse::json(200, r#"{"choices":[{"text":"Hi there ."}]}"#),
            "no `logprobs`",
        ),
    ];
    for (resp, needle) in cases {
        let mock = MockTransport::new();
        mock.push(resp);
        let (c, _) = client(&mock, config());
        let model = EndpointModel::new(c, "toy", "test");
        let e = model
            .loglikelihood(&[["Hi".to_owned(), " there".to_owned()]])
            .unwrap_err();
        assert!(matches!(e, EndpointError::Unsupported { .. }), "{e:?}");
        let s = e.to_string();
        assert!(
            s.contains(needle) && s.contains("127.0.0.1:9") && s.contains("does not support"),
            "{s}"
        );
    }
    let mock = MockTransport::new();
    let (c, _) = client(&mock, config());
    let model = EndpointModel::new(c, "toy", "test");
    assert!(matches!(
        model
            .loglikelihood(&[[String::new(), " x".into()]])
            .unwrap_err(),
        EndpointError::Unsupported { .. }
    ));
    assert!(matches!(
        model
            .loglikelihood(&[["a".into(), String::new()]])
            .unwrap_err(),
        EndpointError::InvalidRequest { .. }
    ));
    assert!(mock.requests().is_empty());
}
