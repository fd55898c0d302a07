//! `hf:ORG/NAME` downloads (`src/hub.rs`) against a local stand-in for the Hugging Face hub.
//!
//! The server below speaks just enough HTTP/1.1 to serve `tests/fixtures/models/tiny-llama` the way the
//! hub does: small files answered directly (with a git-blob-style ETag, which is not a sha256), the
//! weights as a 302 to a "CDN" URL on another origin with the LFS sha256 in `X-Linked-Etag`. It counts
//! requests and records whether each carried the token. It is hand-written rather than `tiny_http` so a
//! test can cut a transfer short (a `Content-Length` the body does not reach) and close the socket.
//! Every test passes the endpoint and cache through `HubOptions`: no process environment is touched.
#![cfg(not(target_family = "wasm"))]
#![cfg(feature = "hub")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use burn::tensor::Device;
use substance_model::hub::{HubEvent, HubOptions, HubToken};
use substance_model::load::is_complete_dir;
use substance_model::{Model, ModelError, ModelSpec};

const ORG: &str = "acme";
const NAME: &str = "tiny-llama";
const TOKEN: &str = "hf_test_token_do_not_leak";

/// What the stand-in hub does wrong, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// `model.safetensors` (and any shard index) answers 404.
    NoWeights,
    /// `model.safetensors` 404; `model.safetensors.index.json` splits the tensors over two shards.
    Sharded,
    /// As `Sharded`, but the index names a shard outside the model folder.
    ShardedEscape,
    /// The redirect announces a sha256 the bytes do not have.
    WrongSha,
    /// The CDN declares the full length, sends half and closes.
    Truncated,
    /// Every resolve answers 401 (a gated repository without access).
    Gated,
}

#[derive(Debug, Clone)]
struct Hit {
    path: String,
    authorized: bool,
}

struct Hub {
    port: u16,
    mode: Arc<Mutex<Mode>>,
    hits: Arc<Mutex<Vec<Hit>>>,
}

fn fixture() -> PathBuf {
    common::fixtures().join("tiny-llama")
}

fn sha256(bytes: &[u8]) -> String {
    substance_model::load::sha256_hex(bytes)
}

impl Hub {
    fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(Mutex::new(mode));
        let hits = Arc::new(Mutex::new(Vec::new()));
        let (m, h) = (mode.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mode = *m.lock().unwrap();
                // A broken client connection must not stop the server.
                let _ = serve(stream, port, mode, &h);
            }
        });
        Self { port, mode, hits }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
    content_length: usize,
) -> std::io::Result<()> {
    let mut head =
        format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {content_length}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

fn serve(
    mut stream: TcpStream,
    port: u16,
    mode: Mode,
    hits: &Mutex<Vec<Hit>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut authorized = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if h.to_ascii_lowercase().starts_with("authorization:") {
            authorized = h.trim_end() == format!("authorization: Bearer {TOKEN}")
                || h.trim_end() == format!("Authorization: Bearer {TOKEN}");
        }
    }
    hits.lock().unwrap().push(Hit {
        path: path.clone(),
        authorized,
    });
    let not_found = |s: &mut TcpStream| respond(s, "404 Not Found", &[], b"Entry not found", 15);
    let resolve = format!("/{ORG}/{NAME}/resolve/main/");
    let cdn = "/cdn/tiny-llama/model.safetensors";
    if path == cdn {
        let body = std::fs::read(fixture().join("model.safetensors"))?;
        let sent = if mode == Mode::Truncated {
            &body[..body.len() / 2]
        } else {
            &body[..]
        };
        return respond(&mut stream, "200 OK", &[], sent, body.len());
    }
    // `main` and one tag, `v1`, hold the model; any other revision is unknown.
    let pinned = format!("/{ORG}/{NAME}/resolve/v1/");
    let Some(file) = path
        .strip_prefix(&resolve)
        .or_else(|| path.strip_prefix(&pinned))
    else {
        return not_found(&mut stream);
    };
    if mode == Mode::Gated {
        return respond(&mut stream, "401 Unauthorized", &[], b"gated", 5);
    }
    match file {
        "model.safetensors"
            if matches!(mode, Mode::NoWeights | Mode::Sharded | Mode::ShardedEscape) =>
        {
            not_found(&mut stream)
        }
        "model.safetensors.index.json" if mode == Mode::Sharded => {
            let body = shard_index(SHARDS);
            respond(&mut stream, "200 OK", &[], body.as_bytes(), body.len())
        }
        "model.safetensors.index.json" if mode == Mode::ShardedEscape => {
            let body = shard_index(["model-1.safetensors", "../outside.safetensors"]);
            respond(&mut stream, "200 OK", &[], body.as_bytes(), body.len())
        }
        f if mode == Mode::Sharded && SHARDS.contains(&f) => {
            let body = shard(SHARDS.iter().position(|s| *s == f).unwrap());
            // An LFS file the hub serves itself: the sha256 is the ETag.
            let etag = format!("\"{}\"", sha256(&body));
            respond(&mut stream, "200 OK", &[("ETag", etag)], &body, body.len())
        }
        "model.safetensors" => {
            let body = std::fs::read(fixture().join(file))?;
            let sha = if mode == Mode::WrongSha {
                sha256(b"something else")
            } else {
                sha256(&body)
            };
            // The hub's shape: the redirect carries the LFS digest; the CDN is another origin
            // (`localhost` vs the endpoint's `127.0.0.1`), which must not get the token.
            respond(
                &mut stream,
                "302 Found",
                &[
                    ("Location", format!("http://localhost:{port}{cdn}")),
                    ("X-Linked-Etag", format!("\"{sha}\"")),
                    ("X-Linked-Size", body.len().to_string()),
                ],
                b"",
                0,
            )
        }
        _ => match std::fs::read(fixture().join(file)) {
            Ok(body) if !file.contains('/') => {
                // A git blob id, as the hub sends for non-LFS files: 40 hex, not a sha256.
                let etag = format!("\"{}\"", &sha256(&body)[..40]);
                respond(&mut stream, "200 OK", &[("ETag", etag)], &body, body.len())
            }
            _ => not_found(&mut stream),
        },
    }
}

/// The two shards of the sharded mode: the fixture's tensors, the first half in one, the rest in the other.
const SHARDS: [&str; 2] = [
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
];

fn fixture_tensors() -> common::StEntries {
    common::st_read(&std::fs::read(fixture().join("model.safetensors")).unwrap())
}

fn shard(k: usize) -> Vec<u8> {
    let all = fixture_tensors();
    let half = all.len() / 2;
    let part = if k == 0 { &all[..half] } else { &all[half..] };
    common::st_write(&part.to_vec())
}

fn shard_index(names: [&str; 2]) -> String {
    let all = fixture_tensors();
    let half = all.len() / 2;
    let map: serde_json::Map<String, serde_json::Value> = all
        .iter()
        .enumerate()
        .map(|(i, e)| (e.0.clone(), names[usize::from(i >= half)].into()))
        .collect();
    serde_json::json!({"metadata": {}, "weight_map": map}).to_string()
}

fn options(endpoint: String, cache: &Path) -> HubOptions {
    HubOptions {
        endpoint,
        cache_dir: cache.to_path_buf(),
        token: Some(HubToken::new(TOKEN)),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(10),
        ..HubOptions::default()
    }
}

fn spec() -> ModelSpec {
    format!("hf:{ORG}/{NAME}").parse().unwrap()
}

fn load(opts: &HubOptions) -> Result<Model, ModelError> {
    Model::load_with_hub(&spec(), &Device::flex(), opts, &mut |_| {})
}

/// An endpoint nothing listens on (a port just released).
fn dead_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// Files in the cache folder, hidden ones included.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn assert_not_loadable(cache: &Path) {
    let dir = cache.join(ORG).join(NAME);
    assert!(!is_complete_dir(&dir), "{:?}", listing(&dir));
    assert!(!dir.join("model.safetensors").exists());
    assert!(
        listing(&dir).iter().all(|f| !f.contains(".part")),
        "temporary file left: {:?}",
        listing(&dir)
    );
    // Without the hub the half-filled folder is not taken for a model.
    match load(&options(dead_endpoint(), cache)) {
        Err(ModelError::Offline { .. }) => {}
        other => panic!("expected the offline error, got {other:?}"),
    }
}

#[test]
fn first_load_downloads_second_load_makes_no_request() {
    let hub = Hub::start(Mode::Normal);
    let cache = tempfile::tempdir().unwrap();
    let opts = options(hub.endpoint(), cache.path());
    let mut events = Vec::new();
    let model = Model::load_with_hub(&spec(), &Device::flex(), &opts, &mut |e| {
        events.push(format!("{e:?}"))
    })
    .unwrap();

    // Same logits (bit for bit) and weights digest as loading the fixture folder directly.
    let direct = Model::from_hf_dir(&fixture(), "direct", &Device::flex()).unwrap();
    let r = common::reference("tiny-llama");
    for p in r["prompts"].as_array().unwrap() {
        let ids = common::ids(&p["ids"]);
        let a = model.logits(std::slice::from_ref(&ids)).unwrap();
        let b = direct.logits(std::slice::from_ref(&ids)).unwrap();
        assert_eq!(a, b, "logits of {ids:?}");
    }
    assert_eq!(model.meta().weights_sha256, direct.meta().weights_sha256);
    assert_eq!(model.meta().id, format!("hf:{ORG}/{NAME}"));

    // The cache holds exact copies and nothing else.
    let dir = cache.path().join(ORG).join(NAME);
    for f in [
        "config.json",
        "tokenizer.json",
        "generation_config.json",
        "model.safetensors",
    ] {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(fixture().join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(
        listing(&dir),
        [
            "config.json",
            "generation_config.json",
            "model.safetensors",
            "tokenizer.json"
        ]
    );

    // Requests: four resolves + tokenizer_config.json (404, optional) + the CDN; the token went to the
    // endpoint's origin only.
    let hits = hub.hits();
    let paths: Vec<&str> = hits.iter().map(|h| h.path.as_str()).collect();
    let base = format!("/{ORG}/{NAME}/resolve/main");
    assert_eq!(
        paths,
        [
            format!("{base}/config.json"),
            format!("{base}/tokenizer.json"),
            format!("{base}/generation_config.json"),
            format!("{base}/tokenizer_config.json"),
            format!("{base}/model.safetensors"),
            "/cdn/tiny-llama/model.safetensors".to_owned(),
        ]
    );
    for h in &hits {
        assert_eq!(h.authorized, h.path.starts_with(&base), "{h:?}");
    }
    assert!(
        events
            .iter()
            .any(|e| e.contains("Absent") && e.contains("tokenizer_config.json"))
    );
    let weights_len = std::fs::metadata(fixture().join("model.safetensors"))
        .unwrap()
        .len();
    assert!(
        events.contains(&format!(
            "Done {{ file: \"model.safetensors\", bytes: {weights_len}, sha256_checked: true }}"
        )),
        "{events:?}"
    );

    // Second load: from the cache, no request at all; also with the hub gone.
    let again = load(&opts).unwrap();
    assert_eq!(again.meta().weights_sha256, direct.meta().weights_sha256);
    assert_eq!(hub.hits().len(), hits.len());
    load(&options(dead_endpoint(), cache.path())).unwrap();
}

#[test]
fn missing_weights_is_a_typed_error_naming_repo_and_file() {
    let hub = Hub::start(Mode::NoWeights);
    let cache = tempfile::tempdir().unwrap();
    let e = load(&options(hub.endpoint(), cache.path())).unwrap_err();
    match &e {
        ModelError::HubNotFound {
            repo,
            file,
            revision,
            ..
        } => {
            assert_eq!(repo, "acme/tiny-llama");
            assert_eq!(file, "model.safetensors");
            assert_eq!(revision, "main");
        }
        other => panic!("expected HubNotFound, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("acme/tiny-llama") && msg.contains("model.safetensors"),
        "{msg}"
    );
    assert!(!msg.contains(TOKEN), "{msg}");
    assert_not_loadable(cache.path());
}

/// A sharded repository downloads its index and every shard it names (the index last), loads to the
/// same logits as the single-file fixture, and a second load makes no request.
#[test]
fn sharded_checkpoints_download_every_shard_and_load() {
    let hub = Hub::start(Mode::Sharded);
    let cache = tempfile::tempdir().unwrap();
    let opts = options(hub.endpoint(), cache.path());
    let mut order = Vec::new();
    let model = Model::load_with_hub(&spec(), &Device::flex(), &opts, &mut |e| {
        if let HubEvent::Done { file, .. } = e {
            order.push(file.to_owned());
        }
    })
    .unwrap();
    assert_eq!(&order[order.len() - 2..], SHARDS, "{order:?}");
    let dir = cache.path().join(ORG).join(NAME);
    let files = listing(&dir);
    for f in SHARDS.iter().chain(&["model.safetensors.index.json"]) {
        assert!(files.contains(&f.to_string()), "{files:?}");
    }
    assert!(files.iter().all(|f| !f.contains(".part")), "{files:?}");
    let direct = Model::load(
        &format!("hf:{}", fixture().display()).parse().unwrap(),
        &Device::flex(),
    )
    .unwrap();
    let ids = direct.encode("Snow fell on the hills", false).unwrap();
    let (a, b) = (
        model.logits(std::slice::from_ref(&ids)).unwrap(),
        direct.logits(&[ids]).unwrap(),
    );
    assert_eq!(a, b);
    let hits = hub.hits().len();
    load(&opts).unwrap();
    assert_eq!(hub.hits().len(), hits, "the second load asked the hub");
}

/// An index naming a shard outside the model folder is refused naming the index; nothing is fetched
/// or written for it and the folder does not look complete.
#[test]
fn a_shard_index_that_leaves_the_folder_is_refused() {
    let hub = Hub::start(Mode::ShardedEscape);
    let cache = tempfile::tempdir().unwrap();
    let e = load(&options(hub.endpoint(), cache.path())).unwrap_err();
    assert!(
        matches!(&e, ModelError::Config { file, .. } if file == "model.safetensors.index.json"),
        "{e:?}"
    );
    assert!(e.to_string().contains("../outside.safetensors"), "{e}");
    let asked: Vec<String> = hub.hits().into_iter().map(|h| h.path).collect();
    assert!(
        asked
            .iter()
            .all(|p| !p.contains("outside") && !p.contains("model-1")),
        "{asked:?}"
    );
    assert!(!cache.path().join(ORG).join("outside.safetensors").exists());
    assert_not_loadable(cache.path());
}

#[test]
fn wrong_sha256_leaves_nothing_that_loads_and_a_retry_fetches_only_the_weights() {
    let hub = Hub::start(Mode::WrongSha);
    let cache = tempfile::tempdir().unwrap();
    let opts = options(hub.endpoint(), cache.path());
    let e = load(&opts).unwrap_err();
    match &e {
        ModelError::HubIntegrity { file, message, .. } => {
            assert_eq!(file, "model.safetensors");
            assert!(message.contains("sha256"), "{message}");
        }
        other => panic!("expected HubIntegrity, got {other:?}"),
    }
    assert_not_loadable(cache.path());

    // The hub repaired: only the missing files are asked for again, and the model loads.
    hub.set_mode(Mode::Normal);
    let before = hub.hits().len();
    load(&opts).unwrap();
    let retried: Vec<String> = hub.hits()[before..]
        .iter()
        .map(|h| h.path.clone())
        .collect();
    assert!(
        retried
            .iter()
            .all(|p| !p.ends_with("/config.json") && !p.ends_with("/tokenizer.json")),
        "{retried:?}"
    );
    assert!(retried.iter().any(|p| p.ends_with("/model.safetensors")));
}

/// `hf:ORG/NAME@v1` downloads from `resolve/v1/` into its own cache folder (`NAME@v1`), names the
/// revision in the model id (so receipts do), and an unknown revision is a typed error, not `main`.
#[test]
fn a_pinned_revision_downloads_that_revision_into_its_own_folder() {
    let hub = Hub::start(Mode::Normal);
    let cache = tempfile::tempdir().unwrap();
    let opts = options(hub.endpoint(), cache.path());
    let pinned: ModelSpec = format!("hf:{ORG}/{NAME}@v1").parse().unwrap();
    let model = Model::load_with_hub(&pinned, &Device::flex(), &opts, &mut |_| {}).unwrap();
    assert_eq!(model.meta().id, format!("hf:{ORG}/{NAME}@v1"));
    let hits: Vec<String> = hub.hits().iter().map(|h| h.path.clone()).collect();
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .filter(|p| p.contains("/resolve/"))
            .all(|p| p.contains("/resolve/v1/")),
        "{hits:?}"
    );
    assert!(is_complete_dir(
        &cache.path().join(ORG).join(format!("{NAME}@v1"))
    ));
    assert!(!cache.path().join(ORG).join(NAME).exists());
    let unknown: ModelSpec = format!("hf:{ORG}/{NAME}@v9").parse().unwrap();
    let e = Model::load_with_hub(&unknown, &Device::flex(), &opts, &mut |_| {}).unwrap_err();
    assert!(
        !matches!(e, ModelError::Offline { .. })
            && e.to_string().contains(&format!("{ORG}/{NAME}")),
        "{e:?}"
    );
}

/// A `.FILE.part-PID` left by a killed download is removed by the next download of that file when its
/// process is gone; one whose process runs (another download) is left alone.
#[cfg(target_os = "linux")]
#[test]
fn a_killed_downloads_temporary_file_is_removed_by_the_next_download() {
    let hub = Hub::start(Mode::Normal);
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join(ORG).join(NAME);
    std::fs::create_dir_all(&dir).unwrap();
    // A PID above the kernel's limit (pid_max ≤ 2^22) never runs; PID 1 always does.
    let dead = dir.join(".model.safetensors.part-4294967295");
    let alive = dir.join(".model.safetensors.part-1");
    std::fs::write(&dead, b"half a file").unwrap();
    std::fs::write(&alive, b"someone else's download").unwrap();
    load(&options(hub.endpoint(), cache.path())).unwrap();
    assert!(!dead.exists(), "{:?}", listing(&dir));
    assert!(alive.exists(), "{:?}", listing(&dir));
}

#[test]
fn truncated_transfer_leaves_nothing_that_loads() {
    let hub = Hub::start(Mode::Truncated);
    let cache = tempfile::tempdir().unwrap();
    let e = load(&options(hub.endpoint(), cache.path())).unwrap_err();
    assert!(
        matches!(
            &e,
            ModelError::HubIntegrity { file, .. } | ModelError::Hub { file, .. } if file == "model.safetensors"
        ),
        "{e:?}"
    );
    assert_not_loadable(cache.path());
}

#[test]
fn gated_repositories_name_the_status_and_the_token() {
    let hub = Hub::start(Mode::Gated);
    let cache = tempfile::tempdir().unwrap();
    let e = load(&options(hub.endpoint(), cache.path())).unwrap_err();
    assert!(
        matches!(&e, ModelError::HubStatus { status: 401, file, .. } if file == "config.json"),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("HF_TOKEN") && !msg.contains(TOKEN), "{msg}");
}

#[test]
fn unreachable_hub_is_the_offline_error_naming_the_cache_folder() {
    let cache = tempfile::tempdir().unwrap();
    let e = load(&options(dead_endpoint(), cache.path())).unwrap_err();
    let dir = cache.path().join(ORG).join(NAME);
    match &e {
        ModelError::Offline {
            name,
            dir: d,
            reason,
        } => {
            assert_eq!(name, "acme/tiny-llama");
            assert_eq!(Path::new(d), dir);
            assert!(reason.contains("unreachable"), "{reason}");
        }
        other => panic!("expected Offline, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains(&dir.display().to_string()) && msg.contains("config.json"),
        "{msg}"
    );
    // Nothing was created.
    assert!(!dir.exists());
}

#[test]
fn offline_mode_makes_no_request() {
    let hub = Hub::start(Mode::Normal);
    let cache = tempfile::tempdir().unwrap();
    let opts = HubOptions {
        offline: true,
        ..options(hub.endpoint(), cache.path())
    };
    let e = load(&opts).unwrap_err();
    assert!(matches!(e, ModelError::Offline { .. }), "{e:?}");
    assert!(hub.hits().is_empty());
}
