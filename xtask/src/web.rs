//! `cargo xtask web`: set up and serve the browser app; `e2e()`: its Playwright tests.
//!
//! The server is a static file server ([`crate::http`], a thread per connection) over a fixed set of folders of
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

use anyhow::{Context, Result, bail};

use crate::http::{Body, Reply, Request, Server};
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

/// The Content-Type of a served file, by extension.
pub(crate) fn mime(path: &Path) -> &'static str {
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

fn with_security_headers(reply: Reply) -> Reply {
    reply
        .with("Content-Security-Policy", CSP)
        .with("Cross-Origin-Opener-Policy", "same-origin")
        .with("Cross-Origin-Embedder-Policy", "require-corp")
        .with("Cross-Origin-Resource-Policy", "same-origin")
        .with("X-Content-Type-Options", "nosniff")
        .with("Referrer-Policy", "no-referrer")
        .with("Cache-Control", "no-cache")
}

/// Map a request path (already without the query) to a file of the app's [`MOUNTS`], or `None`.
fn resolve(base: &Path, url_path: &str) -> Option<PathBuf> {
    resolve_in(base, MOUNTS, url_path)
}

/// Map a request path to a file under `mounts` (URL prefix → folder relative to `base`), or `None` when
/// it is not served: percent-decoded; `..`, hidden, root and other non-plain components refused; a
/// folder serves its `index.html`.
pub(crate) fn resolve_in(base: &Path, mounts: &[(&str, &str)], url_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(url_path)
        .decode_utf8()
        .ok()?;
    let (prefix, dir) = mounts.iter().find(|(prefix, _)| {
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

fn respond(base: &Path, req: &Request) -> Reply {
    let path = req.path.as_str();
    let reply = if req.method != "GET" && req.method != "HEAD" {
        Reply::text(405, "method not allowed\n").with("Allow", "GET, HEAD")
    } else if path == "/" || path == "/index.html" {
        Reply::text(302, "").with("Location", "/web/")
    } else if path == "/out/index.json" {
        Reply {
            status: 200,
            headers: vec![("Content-Type", "application/json".into())],
            body: Body::Bytes(out_index(base).into_bytes()),
        }
    } else {
        match resolve(base, path).and_then(|p| std::fs::File::open(&p).ok().map(|f| (p, f))) {
            Some((p, f)) => Reply::file(f, mime(&p)),
            None => Reply::text(404, format!("not found: {path}\n")),
        }
    };
    with_security_headers(reply)
}

/// A running server: its URL, and [`WebServer::stop`] to shut it down.
pub struct WebServer {
    server: Server,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
}

impl WebServer {
    /// Bind `127.0.0.1:port` (0: any free port) and serve the mounted folders.
    pub fn start(port: u16) -> Result<WebServer> {
        let base = root();
        let server = Server::start(port, Arc::new(move |req: &Request| respond(&base, req)))?;
        let origin = server.origin.clone();
        Ok(WebServer { server, origin })
    }

    /// The app's URL.
    pub fn app_url(&self) -> String {
        format!("{}/web/", self.origin)
    }

    /// Block until the process is interrupted.
    pub fn wait(self) {
        self.server.wait();
    }

    /// Stop accepting requests.
    pub fn stop(self) {
        self.server.stop();
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
    let server = WebServer::start(port)?;
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
    let server = WebServer::start(0)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway tree: `web/index.html`, `web/.hidden`, `web/sub/` (no index), `pkg/a b.js`, and a file
    /// outside the mounts.
    fn tree(test: &str) -> PathBuf {
        let base =
            std::env::temp_dir().join(format!("substance-web-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        for (file, text) in [
            ("web/index.html", "<p>app</p>"),
            ("web/.hidden", "secret"),
            ("web/sub/x.txt", "x"),
            ("pkg/a b.js", "js"),
            ("Cargo.toml", "outside"),
        ] {
            let p = base.join(file);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        base
    }

    fn get(base: &Path, method: &str, path: &str) -> Reply {
        respond(
            base,
            &Request {
                method: method.into(),
                path: path.into(),
            },
        )
    }

    fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn only_mounted_visible_files_are_served() {
        let base = tree("resolve");
        assert_eq!(resolve(&base, "/web/"), Some(base.join("web/index.html")));
        assert_eq!(resolve(&base, "/web"), Some(base.join("web/index.html")));
        assert_eq!(
            resolve(&base, "/pkg/a%20b.js"),
            Some(base.join("pkg/a b.js"))
        );
        assert_eq!(
            resolve(&base, "/web/sub/x.txt"),
            Some(base.join("web/sub/x.txt"))
        );
        for refused in [
            "/web/.hidden",
            "/web/%2e%2e/Cargo.toml",
            "/web/../Cargo.toml",
            "/web//etc/passwd",
            "/web/sub/",
            "/Cargo.toml",
            "/web/%ff",
        ] {
            assert_eq!(resolve(&base, refused), None, "{refused}");
        }
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn replies_carry_the_security_headers() {
        let base = tree("respond");
        let ok = get(&base, "GET", "/web/");
        assert_eq!(ok.status, 200);
        assert_eq!(
            header(&ok, "Content-Type"),
            Some("text/html; charset=utf-8")
        );
        let redirect = get(&base, "GET", "/");
        assert_eq!(
            (redirect.status, header(&redirect, "Location")),
            (302, Some("/web/"))
        );
        assert_eq!(get(&base, "POST", "/web/").status, 405);
        assert_eq!(get(&base, "GET", "/web/.hidden").status, 404);
        let index = get(&base, "GET", "/out/index.json");
        assert!(matches!(&index.body, Body::Bytes(b) if b == br#"{"receipts":[]}"#));
        for r in [ok, redirect, index, get(&base, "GET", "/nope")] {
            assert_eq!(header(&r, "Content-Security-Policy"), Some(CSP));
            assert_eq!(
                header(&r, "Cross-Origin-Embedder-Policy"),
                Some("require-corp")
            );
            assert_eq!(header(&r, "X-Content-Type-Options"), Some("nosniff"));
        }
        let _ = std::fs::remove_dir_all(&base);
    }
}
