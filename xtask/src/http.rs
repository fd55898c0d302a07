//! A small static-file HTTP/1.1 server for the browser app (`cargo xtask web`, `e2e`) and the web bench.
//!
//! One thread per connection, keep-alive, `Content-Length` bodies streamed from files, `HEAD` answered
//! without a body; the request head is parsed by [`httparse`]. Routing is the caller's [`Handler`].
//!
//! Why not `tiny_http` (used before): its connection pool starts 4 threads and decides whether to add one
//! from an idle-thread counter that is only updated once a woken thread runs, so a burst of connections
//! (a browser opens six at once) queues some behind the 4 threads, each of which then serves one
//! keep-alive connection for as long as the browser keeps it open. The queued connections' requests — the
//! app's own modules — were never read: `page.goto` waited minutes and CI's end-to-end tests timed out.
//! A thread per connection cannot starve that way; idle connections are closed after [`IDLE`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

/// How long a kept-alive connection may sit idle before the server closes it.
pub const IDLE: Duration = Duration::from_secs(30);
/// Connections served at once; more get `503` and are closed.
const MAX_CONNECTIONS: usize = 256;
/// Largest request head accepted (request line and headers).
const MAX_HEAD: usize = 64 * 1024;

/// What a [`Handler`] sees of a request.
pub struct Request {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// The path, without query or fragment (still percent-encoded).
    pub path: String,
}

/// A response body.
pub enum Body {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A file, streamed.
    File(std::fs::File),
}

/// A response: status, headers (besides `Content-Length` and `Connection`, which the server writes) and
/// body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Reply {
    /// A `text/plain` reply.
    pub fn text(status: u16, text: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
            body: Body::Bytes(text.into().into_bytes()),
        }
    }

    /// A `200` streaming `file` as `content_type`.
    pub fn file(file: std::fs::File, content_type: &str) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type", content_type.into())],
            body: Body::File(file),
        }
    }

    /// Add a header.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// Routes a request to a reply (called on the connection's thread).
pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// A running server; [`Server::stop`] ends it.
pub struct Server {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
}

impl Server {
    /// Listen on `127.0.0.1:port` (0: a free port) and serve `handler`.
    pub fn start(port: u16, handler: Handler) -> Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
        let addr = listener.local_addr().context("server has no address")?;
        let stopping = Arc::new(AtomicBool::new(false));
        let open = Arc::new(AtomicUsize::new(0));
        let stop = Arc::clone(&stopping);
        let accept = std::thread::Builder::new()
            .name("http-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = Arc::clone(&handler);
                    let counter = Arc::clone(&open);
                    let n = open.fetch_add(1, Ordering::AcqRel);
                    let spawned =
                        std::thread::Builder::new()
                            .name("http-conn".into())
                            .spawn(move || {
                                if n >= MAX_CONNECTIONS {
                                    let _ = write_reply(
                                        &stream,
                                        false,
                                        false,
                                        Reply::text(503, "too many connections\n")
                                            .with("Retry-After", "1"),
                                    );
                                } else {
                                    serve_connection(stream, &*handler);
                                }
                                counter.fetch_sub(1, Ordering::AcqRel);
                            });
                    if spawned.is_err() {
                        // The closure (and its stream) was dropped without running.
                        open.fetch_sub(1, Ordering::AcqRel);
                        eprintln!("web: cannot start a connection thread");
                    }
                }
            })
            .map_err(|e| anyhow!("cannot start the server thread: {e}"))?;
        Ok(Server {
            addr,
            stopping,
            accept: Some(accept),
            origin: format!("http://127.0.0.1:{}", addr.port()),
        })
    }

    /// Block until the process is interrupted.
    pub fn wait(mut self) {
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }

    /// Stop accepting connections (open ones end when their client goes or after [`IDLE`]).
    pub fn stop(mut self) {
        self.stopping.store(true, Ordering::Release);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Read and answer requests on one connection until the client closes it, asks to, sends something we
/// cannot keep the connection open after, or stays idle for [`IDLE`].
fn serve_connection(stream: TcpStream, handler: &(dyn Fn(&Request) -> Reply + Send + Sync)) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    loop {
        let head = match read_head(&mut reader) {
            Ok(Some(head)) => head,
            Ok(None) => break,
            Err(status) => {
                let _ = write_reply(&stream, false, false, Reply::text(status, "bad request\n"));
                break;
            }
        };
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        let parsed = match req.parse(&head) {
            Ok(httparse::Status::Complete(_)) => req,
            _ => {
                let _ = write_reply(&stream, false, false, Reply::text(400, "bad request\n"));
                break;
            }
        };
        let header = |name: &str| {
            parsed
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
        };
        // A request body would have to be read before the next request; these requests have none, so a
        // request with one is answered and the connection closed.
        let has_body = header("transfer-encoding").is_some()
            || header("content-length").is_some_and(|v| v.trim() != "0");
        let http11 = parsed.version == Some(1);
        let keep_alive = !has_body
            && match header("connection") {
                Some(v) if v.contains("close") => false,
                Some(v) if v.contains("keep-alive") => true,
                _ => http11,
            };
        let request = Request {
            method: parsed.method.unwrap_or("GET").to_owned(),
            path: parsed
                .path
                .unwrap_or("/")
                .split(['?', '#'])
                .next()
                .unwrap_or("/")
                .to_owned(),
        };
        let head_only = request.method == "HEAD";
        let reply = handler(&request);
        if let Err(e) = write_reply(&stream, keep_alive, head_only, reply) {
            // A client that went away mid-download (the app's cancel button does that): not an error.
            if !matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ) {
                eprintln!("web: {} {}: {e}", request.method, request.path);
            }
            break;
        }
        if !keep_alive {
            break;
        }
    }
    linger_close(stream, reader);
}

/// Close after the last reply without losing it: stop writing, then read and drop what the client still
/// sends for a moment (closing with unread input makes the kernel reset the connection, and a client may
/// then lose the reply it has not read yet — RFC 9112 §9.6).
fn linger_close(stream: TcpStream, mut reader: BufReader<TcpStream>) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let _ = std::io::copy(&mut reader.by_ref().take(1 << 20), &mut std::io::sink());
}

/// The next request head (through the blank line), `None` when the client closed or went idle before
/// sending one, `Err(status)` when it is too long or cut off.
fn read_head(reader: &mut BufReader<TcpStream>) -> std::result::Result<Option<Vec<u8>>, u16> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        match reader
            .by_ref()
            .take((MAX_HEAD + 1 - head.len()) as u64)
            .read_until(b'\n', &mut head)
        {
            Ok(0) if head.is_empty() => return Ok(None),
            Ok(0) => return Err(400),
            Ok(_) => {}
            Err(_) if head.is_empty() => return Ok(None),
            Err(_) => return Err(400),
        }
        if head.len() > MAX_HEAD {
            return Err(431);
        }
        let line = &head[before..];
        // Blank lines before a request line are allowed (RFC 9112 §2.2).
        if (line == b"\r\n" || line == b"\n") && before == 0 {
            head.clear();
            continue;
        }
        if line == b"\r\n" || line == b"\n" {
            return Ok(Some(head));
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn write_reply(
    stream: &TcpStream,
    keep_alive: bool,
    head_only: bool,
    reply: Reply,
) -> std::io::Result<()> {
    let len = match &reply.body {
        Body::Bytes(b) => b.len() as u64,
        Body::File(f) => f.metadata()?.len(),
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {len}\r\nConnection: {}\r\n\r\n",
        if keep_alive { "keep-alive" } else { "close" }
    ));
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stream);
    out.write_all(head.as_bytes())?;
    if !head_only {
        match reply.body {
            Body::Bytes(b) => out.write_all(&b)?,
            Body::File(f) => {
                // Exactly the announced length, even if the file grows meanwhile.
                let copied = std::io::copy(&mut f.take(len), &mut out)?;
                if copied != len {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the file shrank while it was sent",
                    ));
                }
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Server {
        let handler: Handler = Arc::new(|req: &Request| match req.path.as_str() {
            "/big" => Reply::text(200, "x".repeat(1 << 20)),
            p => Reply::text(200, format!("{} {p}", req.method)),
        });
        Server::start(0, handler).unwrap()
    }

    /// Send `raw` and read one response (head and a `Content-Length` body) from `r`.
    fn exchange(s: &mut TcpStream, r: &mut BufReader<TcpStream>, raw: &str) -> (String, Vec<u8>) {
        s.write_all(raw.as_bytes()).unwrap();
        let mut head = String::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            head.push_str(&line);
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .map(|v| v.trim().parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0; if raw.starts_with("HEAD") { 0 } else { len }];
        r.read_exact(&mut body).unwrap();
        (head, body)
    }

    fn connect(origin: &str) -> (TcpStream, BufReader<TcpStream>) {
        let s = TcpStream::connect(origin.trim_start_matches("http://")).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let r = BufReader::new(s.try_clone().unwrap());
        (s, r)
    }

    #[test]
    fn idle_keep_alive_connections_do_not_starve_new_ones() {
        // tiny_http served at most 4 such connections; the fifth one's requests were never read.
        let srv = server();
        let mut held = Vec::new();
        for i in 0..12 {
            let (mut s, mut r) = connect(&srv.origin);
            let (head, body) = exchange(
                &mut s,
                &mut r,
                &format!("GET /a{i} HTTP/1.1\r\nHost: x\r\n\r\n"),
            );
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            assert!(head.contains("Connection: keep-alive"), "{head}");
            assert_eq!(body, format!("GET /a{i}").as_bytes());
            held.push((s, r));
        }
        // Every held connection still answers, in order, with the query dropped from the path.
        for (i, (s, r)) in held.iter_mut().enumerate() {
            let (_, body) = exchange(s, r, &format!("GET /b{i}?q=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
            assert_eq!(body, format!("GET /b{i}").as_bytes());
        }
        srv.stop();
    }

    #[test]
    fn head_has_no_body_and_close_is_honoured() {
        let srv = server();
        let (mut s, mut r) = connect(&srv.origin);
        let (head, body) = exchange(&mut s, &mut r, "HEAD /big HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(
            head.contains(&format!("Content-Length: {}", 1 << 20)),
            "{head}"
        );
        assert!(body.is_empty());
        let (head, body) = exchange(
            &mut s,
            &mut r,
            "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert!(head.contains("Connection: close"), "{head}");
        assert_eq!(body.len(), 1 << 20);
        let mut rest = Vec::new();
        assert_eq!(
            r.read_to_end(&mut rest).unwrap(),
            0,
            "the server closed the connection"
        );
        srv.stop();
    }

    #[test]
    fn malformed_and_oversized_heads_are_refused() {
        let srv = server();
        let (mut s, mut r) = connect(&srv.origin);
        let (head, _) = exchange(&mut s, &mut r, "NOT A REQUEST\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 400"), "{head}");
        let (mut s, mut r) = connect(&srv.origin);
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "y".repeat(MAX_HEAD));
        let (head, _) = exchange(&mut s, &mut r, &long);
        assert!(head.starts_with("HTTP/1.1 431"), "{head}");
        srv.stop();
    }
}
