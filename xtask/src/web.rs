//! `cargo xtask web`: set up and serve the browser app; `e2e()`: its Playwright tests.
//!
//! The server is a static file server ([`tiny_http`], a few worker threads) over a fixed set of folders of
//! the repository, mounted at the same paths they have in the tree, so `web/worker.js` imports
//! `../pkg/substance_wasm.js` exactly as it would from any other static host rooted at the repository:
//!
//! | URL | folder | what |
//! |---|---|---|
//! | `/` | — | redirect to `/web/` |
//! | `/web/` | `web/` | the app |
//! | `/pkg/` | `pkg/` | the wasm-bindgen package (`cargo xtask pkg`) |
//! | `/models/` | `models/` | the default model (`cargo xtask fetch-model`) |
//! | `/suites/` | `suites/` | the bundled sample suites |
//! | `/out/` | `out/` | the CLI demo's receipts (examples for the Verify tab); `/out/index.json` lists them |
//! | `/fixtures/models/` | `tests/fixtures/models/` | tiny committed models, for fast end-to-end tests |
//!
//! Every response carries the Content-Security-Policy of the app (the same as the `<meta>` tag of
//! `web/index.html`), cross-origin isolation headers (COOP/COEP, so `SharedArrayBuffer` and precise timers
//! are available to the worker), `nosniff` and `no-referrer`. Paths are percent-decoded and any `..`,
//! hidden or absolute component is refused; nothing outside the mounted folders is reachable.

use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{Context, Result, anyhow, bail};
use tiny_http::{Header, Request, Response, Server, StatusCode};

use crate::{fetch_model, root, run};

/// The app's Content-Security-Policy. Scripts only from this origin (plus WebAssembly compilation);
/// no inline scripts, styles or event handlers; network access to this origin and to https endpoints
/// (Hugging Face, OpenAI-compatible APIs) or local http servers (vLLM, llama.cpp, Ollama on this machine).
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
worker-src 'self'; style-src 'self'; img-src 'self' blob: data:; font-src 'self'; \
connect-src 'self' https: http://localhost:* http://127.0.0.1:*; \
object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// URL prefix → folder (relative to the repository root).
const MOUNTS: &[(&str, &str)] = &[
    ("/web/", "web"),
    ("/pkg/", "pkg"),
    ("/models/", "models"),
    ("/suites/", "suites"),
    ("/out/", "out"),
    ("/fixtures/models/", "tests/fixtures/models"),
];

/// Default port of `cargo xtask web`.
pub const DEFAULT_PORT: u16 = 8080;

fn mime(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "jsonl" | "toml" | "md" | "txt" | "ts" | "csv" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Add a header; names and values here are fixed ASCII strings or ASCII formatted by us, so building one
/// cannot fail in practice (a failure drops the header rather than the response).
fn with<R: std::io::Read>(mut resp: Response<R>, name: &str, value: &str) -> Response<R> {
    if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        resp.add_header(h);
    }
    resp
}

fn with_security_headers<R: std::io::Read>(mut resp: Response<R>) -> Response<R> {
    for (k, v) in [
        ("Content-Security-Policy", CSP),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Embedder-Policy", "require-corp"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-cache"),
    ] {
        resp = with(resp, k, v);
    }
    resp
}

/// Map a request path (already without the query) to a file, or `None` when it is not served.
fn resolve(base: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(url_path)
        .decode_utf8()
        .ok()?;
    let (prefix, dir) = MOUNTS.iter().find(|(prefix, _)| {
        decoded.starts_with(prefix) || decoded == prefix.trim_end_matches('/')
    })?;
    let rest = decoded.get(prefix.len()..).unwrap_or("");
    let rel = Path::new(rest);
    let mut path = base.join(dir);
    for c in rel.components() {
        match c {
            Component::Normal(s) if !s.to_string_lossy().starts_with('.') => path.push(s),
            _ => return None,
        }
    }
    if path.is_dir() {
        path.push("index.html");
    }
    path.is_file().then_some(path)
}

/// `/out/index.json`: the receipts in `out/` (names only), for the Verify tab's examples.
fn out_index(base: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(base.join("out"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".receipt.jsonl") && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let quoted: Vec<String> = names
        .iter()
        .map(|n| format!("\"{}\"", n.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("{{\"receipts\":[{}]}}", quoted.join(","))
}

fn respond(base: &Path, req: Request) {
    let url = req.url().to_owned();
    let path = url.split(['?', '#']).next().unwrap_or("/").to_owned();
    let method = req.method().as_str().to_owned();
    let result = if method != "GET" && method != "HEAD" {
        req.respond(with_security_headers(
            Response::from_string("method not allowed\n").with_status_code(StatusCode(405)),
        ))
    } else if path == "/" || path == "/index.html" {
        req.respond(with_security_headers(with(
            Response::empty(StatusCode(302)),
            "Location",
            "/web/",
        )))
    } else if path == "/out/index.json" {
        req.respond(with_security_headers(with(
            Response::from_string(out_index(base)),
            "Content-Type",
            "application/json",
        )))
    } else {
        match resolve(base, &path).and_then(|p| std::fs::File::open(&p).ok().map(|f| (p, f))) {
            Some((p, f)) => req.respond(with_security_headers(with(
                Response::from_file(f),
                "Content-Type",
                mime(&p),
            ))),
            None => req.respond(with_security_headers(with(
                Response::from_string(format!("not found: {path}\n"))
                    .with_status_code(StatusCode(404)),
                "Content-Type",
                "text/plain; charset=utf-8",
            ))),
        }
    };
    if let Err(e) = result {
        // A client that went away mid-download (the app's cancel button does that): not an error.
        eprintln!("web: {method} {url}: {e}");
    }
}

/// A running server: its URL, and [`WebServer::stop`] to shut it down.
pub struct WebServer {
    server: Arc<Server>,
    threads: Vec<JoinHandle<()>>,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
}

/// Worker threads of the static server. Each one is held for as long as a response is being written,
/// and a page that streams the 50 MB package and the 98 MB model into slow consumers (streaming
/// compilation, the weights cache) can hold several at once: with 8, the page's own small modules
/// sometimes waited minutes for a free worker (an end-to-end run timed out on `page.goto`).
const SERVER_THREADS: usize = 64;

impl WebServer {
    /// Bind `127.0.0.1:port` (0: any free port) and serve on `threads` worker threads.
    pub fn start(port: u16, threads: usize) -> Result<WebServer> {
        let server = Server::http(("127.0.0.1", port))
            .map_err(|e| anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .context("server has no IP address")?;
        let server = Arc::new(server);
        let base = root();
        let threads = (0..threads.max(1))
            .map(|_| {
                let server = Arc::clone(&server);
                let base = base.clone();
                std::thread::spawn(move || {
                    while let Ok(req) = server.recv() {
                        respond(&base, req);
                    }
                })
            })
            .collect();
        Ok(WebServer {
            server,
            threads,
            origin: format!("http://127.0.0.1:{port}"),
        })
    }

    /// The app's URL.
    pub fn app_url(&self) -> String {
        format!("{}/web/", self.origin)
    }

    /// Block until the process is interrupted.
    pub fn wait(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }

    /// Stop accepting requests and join the worker threads.
    pub fn stop(self) {
        for _ in &self.threads {
            self.server.unblock();
        }
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn port_from(args: &[String]) -> Result<u16> {
    let mut port = match std::env::var("SUBSTANCE_WEB_PORT") {
        Ok(p) => p
            .parse()
            .context("SUBSTANCE_WEB_PORT is not a port number")?,
        Err(_) => DEFAULT_PORT,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => {
                port = it
                    .next()
                    .context("--port needs a number")?
                    .parse()
                    .context("--port needs a number")?;
            }
            "--no-setup" => {}
            other => {
                bail!("unknown argument to `cargo xtask web`: {other} (use --port P, --no-setup)")
            }
        }
    }
    Ok(port)
}

/// The wasm package in `pkg/` (`cargo xtask pkg`): optimised for the app, `dev` for the tests.
fn build_pkg(dev: bool) -> Result<()> {
    crate::pkg::build(crate::pkg::PkgOptions {
        dev,
        ..Default::default()
    })
}

/// What the app needs before it can be served: the wasm package and the default model.
pub fn setup() -> Result<()> {
    build_pkg(false)?;
    if let Err(e) = fetch_model() {
        eprintln!(
            "warning: the default model could not be fetched ({e:#}); the app still runs with a model file, an HF URL or an endpoint"
        );
    }
    Ok(())
}

/// `cargo xtask web [--port P] [--no-setup]`: build the package, fetch the default model, serve the app.
pub fn web(args: &[String]) -> Result<()> {
    let port = port_from(args)?;
    if !args.iter().any(|a| a == "--no-setup") {
        setup()?;
    }
    serve(port)
}

/// Serve until interrupted, printing the URL.
pub fn serve(port: u16) -> Result<()> {
    let server = WebServer::start(port, SERVER_THREADS)?;
    println!();
    println!("substance browser app: {}", server.app_url());
    println!(
        "(serving web/, pkg/, models/, suites/ and out/ from {}; Ctrl-C stops)",
        root().display()
    );
    server.wait();
    Ok(())
}

/// The Playwright end-to-end tests (`tests/e2e/`): `npm ci`, the package, a server on a free port,
/// `node --test`, the server stopped. Screenshots go to `target/e2e-screenshots/`.
pub fn e2e() -> Result<()> {
    let dir = root().join("tests/e2e");
    if !Path::new("/usr/bin/chromium").is_file() {
        bail!("the end-to-end tests need Debian's chromium (apt-get install -y chromium)");
    }
    if !dir.join("node_modules/playwright-core").is_dir() {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir))
        .context("npm ci in tests/e2e (Node 20+ and npm are needed)")?;
    }
    build_pkg(true)?;
    let server = WebServer::start(0, SERVER_THREADS)?;
    eprintln!("e2e: serving on {}", server.origin);
    let status = Command::new("node")
        .args(["--test", "--test-concurrency=1"])
        .current_dir(&dir)
        .env("SUBSTANCE_WEB_ORIGIN", &server.origin)
        .env("SUBSTANCE_ROOT", root())
        .status()
        .context("cannot start node");
    server.stop();
    let status = status?;
    if !status.success() {
        bail!("end-to-end tests failed ({status}); screenshots in target/e2e-screenshots/");
    }
    Ok(())
}
