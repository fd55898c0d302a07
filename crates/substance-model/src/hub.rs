//! Downloading `hf:ORG/NAME` models from the Hugging Face hub into the local cache.
//!
//! Native only, behind the crate's `hub` feature (on by default; the CLI enables it explicitly). This is
//! the crate's one piece of network I/O, kept apart from the loaders: it only puts files into a folder,
//! which [`Model::from_hf_dir`](crate::Model::from_hf_dir) then reads like any other. In the browser the
//! page fetches the files itself and passes bytes ([`HfFiles`](crate::HfFiles)).
//!
//! # What it fetches, from where, to where
//!
//! `{endpoint}/{org}/{name}/resolve/{revision}/{file}` for `config.json`, `tokenizer.json`,
//! `generation_config.json` and `tokenizer_config.json` (both optional: a 404 is fine) and
//! `model.safetensors`, in that order — the weights last. A sharded checkpoint (no `model.safetensors`,
//! a `model.safetensors.index.json`) fetches every shard the index names, then the index. The endpoint is `$HF_ENDPOINT` or
//! `https://huggingface.co`, the revision `main` unless the spec pins one (`hf:ORG/NAME@REVISION`);
//! `$HF_TOKEN`, when set, is sent as a bearer token to the endpoint's own origin only (never to the CDN
//! a weights file redirects to), and is never logged,
//! written or put into an error message. Files land in `$SUBSTANCE_MODELS/hf/ORG/NAME` (default
//! `models/hf/ORG/NAME`; `NAME@REVISION` for another revision), the folder [`ModelSpec::resolve`] has
//! always looked in, so a folder placed there by hand works the same.
//!
//! # Cache integrity
//!
//! - Each file streams into a hidden temporary file beside its destination (`.FILE.part-PID`), is
//!   flushed to disk and only then renamed into place; a failed or interrupted transfer removes its
//!   temporary file. A killed process may leave a `.part-PID` file, which nothing reads; the next
//!   download of that file removes it once that process is gone (checked through `/proc`, so on Linux;
//!   elsewhere such files stay).
//! - A cached model is *complete* when `config.json`, `tokenizer.json` and `model.safetensors` (or a
//!   shard index) are all present; the weights are renamed in last (a shard index after its shards). A complete folder is used without any request (offline
//!   runs keep working); an incomplete one fetches only what is missing.
//! - The hub names a large (LFS) file's sha256 in `X-Linked-Etag` on its redirect (or in `ETag` when it
//!   serves the bytes itself); when a 64-hex digest is given the download is checked against it, and
//!   every transfer is checked against its `Content-Length`. A mismatch is
//!   [`ModelError::HubIntegrity`] and nothing is renamed into the cache.
//!
//! # Errors
//!
//! No network (DNS failure, connection refused, a connect timeout) or `HF_HUB_OFFLINE=1` →
//! [`ModelError::Offline`], naming the folder to place the files in by hand; a 404 →
//! [`ModelError::HubNotFound`] naming the repository and file; other statuses →
//! [`ModelError::HubStatus`] (401/403 with a hint about gated models and `HF_TOKEN`); a shard
//! index that is not one, or names a shard outside the folder → [`ModelError::Config`] naming the index.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::{ModelError, Result};
use crate::load::{is_complete_dir, models_dir};

/// The hub's default address.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Files fetched when the hub has them (a 404 is not an error).
pub const OPTIONAL_FILES: [&str; 2] = ["generation_config.json", "tokenizer_config.json"];

const WEIGHTS: &str = "model.safetensors";
const SHARD_INDEX: &str = crate::weights::SHARD_INDEX;
/// A shard index lists one line per tensor: a few hundred KB for the largest checkpoints.
const MAX_INDEX_BYTES: u64 = 16 << 20;

/// An access token. Its `Debug` output is redacted, so it cannot leak through logging a struct.
#[derive(Clone, PartialEq, Eq)]
pub struct HubToken(String);

impl HubToken {
    /// Wrap a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
}

impl fmt::Debug for HubToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HubToken(<redacted>)")
    }
}

/// Where and how to download. [`HubOptions::from_env`] is what the CLI uses; tests pass their own.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// Hub address, without a trailing slash (`$HF_ENDPOINT`, default [`DEFAULT_ENDPOINT`]).
    pub endpoint: String,
    /// Branch, tag or commit (default `main`).
    pub revision: String,
    /// Cache root: a model lives in `cache_dir/ORG/NAME` (`$SUBSTANCE_MODELS/hf` by default).
    pub cache_dir: PathBuf,
    /// Bearer token (`$HF_TOKEN`).
    pub token: Option<HubToken>,
    /// Never touch the network (`$HF_HUB_OFFLINE` set to `1`/`true`/`yes`): a model not in the cache is
    /// [`ModelError::Offline`].
    pub offline: bool,
    /// Limit on connecting (DNS, TCP, TLS).
    pub connect_timeout: Duration,
    /// Limit on one read of a response (a stalled transfer fails instead of hanging).
    pub read_timeout: Duration,
}

impl Default for HubOptions {
    /// The public hub, revision `main`, cache under [`models_dir`], no token.
    fn default() -> Self {
        Self {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            revision: "main".to_owned(),
            cache_dir: models_dir().join("hf"),
            token: None,
            offline: false,
            connect_timeout: Duration::from_secs(20),
            read_timeout: Duration::from_secs(60),
        }
    }
}

impl HubOptions {
    /// Options from the environment: `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`, `SUBSTANCE_MODELS`.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let mut o = Self::default();
        if let Some(e) = var("HF_ENDPOINT") {
            o.endpoint = e.trim().trim_end_matches('/').to_owned();
        }
        o.token = var("HF_TOKEN").map(|t| HubToken::new(t.trim()));
        o.offline = var("HF_HUB_OFFLINE").is_some_and(|v| {
            matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes")
        });
        o
    }

    /// The cache folder of `ORG/NAME` at this revision.
    pub fn repo_dir(&self, org: &str, name: &str) -> PathBuf {
        self.cache_dir
            .join(org)
            .join(crate::load::hub_cache_leaf(name, &self.revision))
    }
}

/// What a download reports while it runs (for a progress bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubEvent<'a> {
    /// A file's transfer starts; `total` is its size when the server says.
    Start {
        /// File name (`model.safetensors`, …).
        file: &'a str,
        /// Size in bytes, if known.
        total: Option<u64>,
    },
    /// Bytes received so far.
    Progress {
        /// File name.
        file: &'a str,
        /// Bytes received.
        done: u64,
        /// Size in bytes, if known.
        total: Option<u64>,
    },
    /// The file is checked and in the cache.
    Done {
        /// File name.
        file: &'a str,
        /// Its size.
        bytes: u64,
        /// Whether the hub announced a sha256 and the bytes matched it (else only the length, when
        /// announced, was checked: the hub gives digests for LFS files only).
        sha256_checked: bool,
    },
    /// An optional file the repository does not have.
    Absent {
        /// File name.
        file: &'a str,
    },
}

/// Make sure `ORG/NAME` is in the cache, downloading what is missing; returns its folder.
///
/// A complete cached folder is returned without any request.
pub fn fetch(
    org: &str,
    name: &str,
    opts: &HubOptions,
    progress: &mut dyn FnMut(HubEvent<'_>),
) -> Result<PathBuf> {
    let repo = format!("{org}/{name}");
    check_revision(&repo, &opts.revision)?;
    let dir = opts.repo_dir(org, name);
    if is_complete_dir(&dir) {
        return Ok(dir);
    }
    let offline = |reason: String| ModelError::Offline {
        name: repo.clone(),
        dir: dir.display().to_string(),
        reason,
    };
    if opts.offline {
        return Err(offline("offline mode is on (HF_HUB_OFFLINE)".to_owned()));
    }
    let client = Client::new(opts, &repo, org, name);
    let order = ["config.json", "tokenizer.json"]
        .into_iter()
        .map(|f| (f, true))
        .chain(OPTIONAL_FILES.into_iter().map(|f| (f, false)))
        .chain([(WEIGHTS, true)]);
    for (file, required) in order {
        if required && dir.join(file).is_file() {
            continue;
        }
        match client.download(file, &dir, progress) {
            Ok(()) => {}
            Err(Fail::Unreachable(why)) => {
                return Err(offline(format!(
                    "the Hugging Face hub at {} is unreachable ({why})",
                    opts.endpoint
                )));
            }
            Err(Fail::NotFound { .. }) if !required => progress(HubEvent::Absent { file }),
            Err(Fail::NotFound { url }) if file == WEIGHTS => {
                return match client.fetch_sharded(&dir, progress) {
                    Ok(true) => Ok(dir),
                    Ok(false) => Err(ModelError::HubNotFound {
                        repo: repo.clone(),
                        revision: opts.revision.clone(),
                        file: WEIGHTS.to_owned(),
                        url,
                    }),
                    Err(Fail::Unreachable(why)) => Err(offline(format!(
                        "the Hugging Face hub at {} is unreachable ({why})",
                        opts.endpoint
                    ))),
                    Err(Fail::NotFound { url }) => Err(ModelError::HubNotFound {
                        repo: repo.clone(),
                        revision: opts.revision.clone(),
                        file: url.rsplit('/').next().unwrap_or_default().to_owned(),
                        url,
                    }),
                    Err(Fail::Model(e)) => Err(e),
                };
            }
            Err(Fail::NotFound { url }) => {
                return Err(ModelError::HubNotFound {
                    repo: repo.clone(),
                    revision: opts.revision.clone(),
                    file: file.to_owned(),
                    url,
                });
            }
            Err(Fail::Model(e)) => return Err(e),
        }
    }
    Ok(dir)
}

/// A revision must pass [`crate::load::valid_revision`] before it reaches a URL or a folder name.
fn check_revision(repo: &str, revision: &str) -> Result<()> {
    if crate::load::valid_revision(revision) {
        Ok(())
    } else {
        Err(ModelError::Spec {
            spec: format!("hf:{repo}"),
            message: format!("invalid revision `{revision}`"),
        })
    }
}

/// How one file's download failed.
enum Fail {
    /// No connection could be made (DNS, refused, connect timeout).
    Unreachable(String),
    /// The hub answered 404.
    NotFound { url: String },
    /// Anything else, already typed.
    Model(ModelError),
}

impl From<ModelError> for Fail {
    fn from(e: ModelError) -> Self {
        Self::Model(e)
    }
}

struct Client<'a> {
    agent: ureq::Agent,
    opts: &'a HubOptions,
    repo: &'a str,
    base: String,
}

/// `scheme://host[:port]` of a URL (the part the token is bound to).
fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    match url[after..].find('/') {
        Some(i) => &url[..after + i],
        None => url,
    }
}

/// Resolve a `Location` header against the URL that sent it.
fn join(current: &str, location: &str) -> String {
    if location.contains("://") {
        location.to_owned()
    } else if location.starts_with('/') {
        format!("{}{location}", origin(current))
    } else {
        let path_end = current.find('?').unwrap_or(current.len());
        let dir_end = current[..path_end].rfind('/').map_or(path_end, |i| i + 1);
        format!("{}{location}", &current[..dir_end])
    }
}

/// A header's value as text.
fn header<'r>(resp: &'r ureq::http::Response<ureq::Body>, name: &str) -> Option<&'r str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The sha256 an ETag-like header carries (`"<64 hex>"`, optionally weak); a git blob id (40 hex) or
/// anything else is not a sha256 and gives `None`.
fn sha256_tag(value: Option<&str>) -> Option<String> {
    let v = value?.trim();
    let v = v.strip_prefix("W/").unwrap_or(v).trim_matches('"');
    (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())).then(|| v.to_ascii_lowercase())
}

/// Is this transport error a failure to reach the server at all?
fn unreachable(e: &ureq::Error) -> Option<String> {
    use std::io::ErrorKind;
    use ureq::Timeout;
    match e {
        ureq::Error::HostNotFound => Some("host not found".into()),
        ureq::Error::ConnectionFailed => Some("connection failed".into()),
        ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => {
            Some("connection timed out".into())
        }
        ureq::Error::ConnectProxyFailed(m) => Some(format!("proxy: {m}")),
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused
            | ErrorKind::AddrNotAvailable
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NotConnected => Some(io.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Removes its file unless [`TempFile::keep`] was called.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    fn keep(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl<'a> Client<'a> {
    fn new(opts: &'a HubOptions, repo: &'a str, org: &str, name: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_per_read(Some(opts.read_timeout))
            .user_agent(concat!("substance/", env!("CARGO_PKG_VERSION")))
            .build();
        let revision = opts.revision.replace('/', "%2F");
        Self {
            agent: ureq::Agent::new_with_config(config),
            opts,
            repo,
            base: format!(
                "{}/{org}/{name}/resolve/{revision}",
                opts.endpoint.trim_end_matches('/')
            ),
        }
    }

    fn status_error(&self, file: &str, status: u16, url: &str) -> ModelError {
        let hint = match status {
            401 | 403 => {
                "the repository does not exist, is private, or is gated: accept its licence on the hub and \
                 set HF_TOKEN"
            }
            429 => "rate limited: try again later, or set HF_TOKEN",
            _ => "",
        };
        ModelError::HubStatus {
            repo: self.repo.to_owned(),
            file: file.to_owned(),
            status,
            message: if hint.is_empty() {
                url.to_owned()
            } else {
                format!("{url}: {hint}")
            },
        }
    }

    fn transfer_error(&self, file: &str, message: String) -> ModelError {
        ModelError::Hub {
            repo: self.repo.to_owned(),
            file: file.to_owned(),
            message,
        }
    }

    /// `model.safetensors` is absent: fetch a sharded checkpoint instead. `Ok(false)`: the repository
    /// has no shard index either. The index is read first (at most [`MAX_INDEX_BYTES`]) and checked
    /// ([`ShardIndex::parse`](crate::weights::ShardIndex::parse): every shard a plain file name in the
    /// folder), then each missing shard downloads like the weights file (length and sha256 checked), and
    /// the index is renamed into the folder last, so the folder only looks complete when every shard
    /// is there.
    fn fetch_sharded(
        &self,
        dir: &Path,
        progress: &mut dyn FnMut(HubEvent<'_>),
    ) -> std::result::Result<bool, Fail> {
        let url = format!("{}/{SHARD_INDEX}", self.base);
        let (resp, _) = match self.get(&url, SHARD_INDEX) {
            Ok(r) => r,
            Err(Fail::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        let mut text = String::new();
        resp.into_body()
            .into_reader()
            .take(MAX_INDEX_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| self.transfer_error(SHARD_INDEX, format!("{url}: {e}")))?;
        if text.len() as u64 > MAX_INDEX_BYTES {
            return Err(self
                .transfer_error(
                    SHARD_INDEX,
                    format!("larger than {MAX_INDEX_BYTES} bytes: not a shard index"),
                )
                .into());
        }
        let index = crate::weights::ShardIndex::parse(&text)?;
        for shard in index.shards() {
            if !dir.join(shard).is_file() {
                self.download(shard, dir, progress)?;
            }
        }
        let io = |path: &Path, source: std::io::Error| ModelError::Io {
            path: path.display().to_string(),
            source,
        };
        let tmp = dir.join(format!(".{SHARD_INDEX}.part-{}", std::process::id()));
        std::fs::write(&tmp, &text).map_err(|e| io(&tmp, e))?;
        let dest = dir.join(SHARD_INDEX);
        std::fs::rename(&tmp, &dest).map_err(|e| io(&dest, e))?;
        Ok(true)
    }

    /// GET `url`, following up to 10 redirects by hand so the first response's `X-Linked-Etag` (the
    /// LFS sha256) is seen and the token goes to the endpoint's origin only. Returns the final response
    /// and the sha256 announced on the way.
    fn get(
        &self,
        url: &str,
        file: &str,
    ) -> std::result::Result<(ureq::http::Response<ureq::Body>, Option<String>), Fail> {
        let home = origin(&self.opts.endpoint).to_owned();
        let mut url = url.to_owned();
        let mut linked: Option<String> = None;
        for _ in 0..10 {
            let mut req = self.agent.get(&url);
            match &self.opts.token {
                Some(token) if origin(&url) == home => {
                    req = req.header("authorization", format!("Bearer {}", token.0));
                }
                _ => {}
            }
            let resp = req.call().map_err(|e| match unreachable(&e) {
                Some(why) => Fail::Unreachable(why),
                None => Fail::Model(self.transfer_error(file, format!("{url}: {e}"))),
            })?;
            let status = resp.status().as_u16();
            if linked.is_none() {
                linked = sha256_tag(header(&resp, "x-linked-etag"));
            }
            if resp.status().is_redirection() {
                let Some(location) = header(&resp, "location") else {
                    return Err(self.status_error(file, status, &url).into());
                };
                url = join(&url, location);
                continue;
            }
            if status == 404 {
                return Err(Fail::NotFound { url });
            }
            if !resp.status().is_success() {
                return Err(self.status_error(file, status, &url).into());
            }
            let announced = linked.or_else(|| sha256_tag(header(&resp, "etag")));
            return Ok((resp, announced));
        }
        Err(self
            .transfer_error(file, format!("too many redirects from {url}"))
            .into())
    }

    /// Download one file into `dir` through a temporary file, verifying length and sha256.
    /// (Any `.FILE.part-PID` left by a process that no longer runs is removed first.)
    fn download(
        &self,
        file: &str,
        dir: &Path,
        progress: &mut dyn FnMut(HubEvent<'_>),
    ) -> std::result::Result<(), Fail> {
        let url = format!("{}/{file}", self.base);
        let (resp, sha) = self.get(&url, file)?;
        let total = resp.body().content_length();
        progress(HubEvent::Start { file, total });
        let io = |path: &Path, source: std::io::Error| ModelError::Io {
            path: path.display().to_string(),
            source,
        };
        // The folder appears with the first file the hub actually serves (an unreachable hub leaves none).
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        remove_stale_parts(dir, file);
        let tmp_path = dir.join(format!(".{file}.part-{}", std::process::id()));
        let mut out = std::fs::File::create(&tmp_path).map_err(|e| io(&tmp_path, e))?;
        let tmp = TempFile {
            path: tmp_path.clone(),
            armed: true,
        };
        let mut body = resp.into_body().into_reader();
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut done = 0u64;
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(self
                        .transfer_error(file, format!("transfer broke after {done} bytes: {e}"))
                        .into());
                }
            };
            out.write_all(&buf[..n]).map_err(|e| io(&tmp_path, e))?;
            hasher.update(&buf[..n]);
            done += n as u64;
            progress(HubEvent::Progress { file, done, total });
        }
        if total.is_some_and(|total| done != total) {
            return Err(ModelError::HubIntegrity {
                repo: self.repo.to_owned(),
                file: file.to_owned(),
                message: format!("received {done} of {} bytes", total.unwrap_or_default()),
            }
            .into());
        }
        let got = hex::encode(hasher.finalize());
        let sha256_checked = sha.is_some();
        if let Some(want) = sha.filter(|want| *want != got) {
            return Err(ModelError::HubIntegrity {
                repo: self.repo.to_owned(),
                file: file.to_owned(),
                message: format!("sha256 {got}, the hub announced {want}"),
            }
            .into());
        }
        out.sync_all().map_err(|e| io(&tmp_path, e))?;
        drop(out);
        let dest = dir.join(file);
        std::fs::rename(&tmp_path, &dest).map_err(|e| io(&dest, e))?;
        tmp.keep();
        progress(HubEvent::Done {
            file,
            bytes: done,
            sha256_checked,
        });
        Ok(())
    }
}

/// Remove `dir/.FILE.part-PID` files whose process is gone (killed mid-download). Only where `/proc`
/// tells which processes run; a file whose PID is alive (another download in progress) is left alone,
/// and a file that cannot be removed is left for the next attempt.
fn remove_stale_parts(dir: &Path, file: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let prefix = format!(".{file}.part-");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix.as_str()))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !proc.join(pid.to_string()).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_and_origins() {
        assert_eq!(
            origin("https://huggingface.co/a/b/resolve/main/x"),
            "https://huggingface.co"
        );
        assert_eq!(origin("http://127.0.0.1:9/x"), "http://127.0.0.1:9");
        assert_eq!(origin("http://h:1"), "http://h:1");
        let cur = "https://huggingface.co/a/b/resolve/main/model.safetensors";
        assert_eq!(
            join(cur, "https://cdn-lfs.hf.co/x?sig=1"),
            "https://cdn-lfs.hf.co/x?sig=1"
        );
        assert_eq!(
            join(cur, "/api/resolve-cache/x"),
            "https://huggingface.co/api/resolve-cache/x"
        );
        assert_eq!(
            join(cur, "other.bin"),
            "https://huggingface.co/a/b/resolve/main/other.bin"
        );
    }

    #[test]
    fn only_sha256_etags_are_digests() {
        let d = "A".repeat(64);
        assert_eq!(sha256_tag(Some(&format!("\"{d}\""))), Some("a".repeat(64)));
        assert_eq!(
            sha256_tag(Some(&format!("W/\"{d}\""))),
            Some("a".repeat(64))
        );
        // A git blob id (sha1) is not a sha256.
        assert_eq!(sha256_tag(Some(&format!("\"{}\"", "b".repeat(40)))), None);
        assert_eq!(sha256_tag(Some(&format!("\"{}\"", "z".repeat(64)))), None);
        assert_eq!(sha256_tag(None), None);
    }

    #[test]
    fn revisions_cannot_escape() {
        for ok in ["main", "v1.0", "refs/pr/1", "0123abcd"] {
            assert!(check_revision("a/b", ok).is_ok(), "{ok}");
        }
        for bad in ["", "../x", "/x", "a b", "a?b", "a#b", "x/../y"] {
            assert!(check_revision("a/b", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cache_folders_and_token_redaction() {
        let mut o = HubOptions {
            cache_dir: PathBuf::from("/c"),
            token: Some(HubToken::new("hf_secret")),
            ..HubOptions::default()
        };
        assert_eq!(o.repo_dir("org", "m"), PathBuf::from("/c/org/m"));
        o.revision = "refs/pr/1".into();
        assert_eq!(
            o.repo_dir("org", "m"),
            PathBuf::from("/c/org/m@refs--pr--1")
        );
        let shown = format!("{o:?}");
        assert!(!shown.contains("hf_secret"), "{shown}");
    }
}
