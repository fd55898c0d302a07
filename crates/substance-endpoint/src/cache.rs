//! Response cache keyed by a canonical hash of the request.
//!
//! The key is SHA-256 over the canonical JSON (sorted keys, no whitespace — `substance-core`'s hashing)
//! of `{"schema", "url", "body"}`: the endpoint URL and the request body as JSON, so two requests that
//! differ only in key order or whitespace share an entry, and any change of model, prompt, settings or
//! seed misses. The API key is not part of it (accounts share answers) and is never stored.
//!
//! Only successful, parsed and checked responses are stored, as the exact body text the server sent, so
//! a cache hit parses the very same bytes as the original answer and yields bit-identical numbers.
//! Natively the cache can be backed by a JSONL file, one `{"key": …, "body": "<body text>"}` line
//! appended (and flushed) per new entry; on open, lines that do not parse — a tail cut by `kill -9` —
//! are skipped and counted, never fatal.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde_json::Value;

use crate::error::EndpointError;

/// Domain tag in every cache key.
pub const CACHE_KEY_SCHEMA: &str = "substance.endpoint.cache/1";

/// The cache key of a request to `url` with JSON `body`.
pub fn cache_key(url: &str, body: &Value) -> String {
    #[derive(Serialize)]
    struct Keyed<'a> {
        schema: &'static str,
        url: &'a str,
        body: &'a Value,
    }
    let keyed = Keyed {
        schema: CACHE_KEY_SCHEMA,
        url: url.trim_end_matches('/'),
        body,
    };
    // Serialising a `Value` cannot fail; fall back to the non-canonical form rather than panic.
    substance_core::hash::canonical_sha256(&keyed).unwrap_or_else(|_| {
        substance_core::sha256_hex(format!("{CACHE_KEY_SCHEMA}\n{url}\n{body}").as_bytes())
    })
}

struct Inner {
    map: HashMap<String, String>,
    #[cfg(not(target_arch = "wasm32"))]
    file: Option<std::fs::File>,
}

/// An in-memory response cache, optionally persisted to a JSONL file (native only).
pub struct ResponseCache {
    inner: Mutex<Inner>,
    path: Option<String>,
    skipped_lines: usize,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.len())
            .field("path", &self.path)
            .finish()
    }
}

impl Default for ResponseCache {
    fn default() -> Self {
        Self::in_memory()
    }
}

impl ResponseCache {
    /// An empty in-memory cache.
    pub fn in_memory() -> Self {
        Self {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                #[cfg(not(target_arch = "wasm32"))]
                file: None,
            }),
            path: None,
            skipped_lines: 0,
        }
    }

    /// Open (or create) a JSONL cache file: its entries are loaded, new ones are appended.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_jsonl(path: impl AsRef<std::path::Path>) -> Result<Self, EndpointError> {
        use std::io::{BufRead, BufReader};
        let path = path.as_ref();
        let shown = path.display().to_string();
        let err = |message: String| EndpointError::Cache {
            path: shown.clone(),
            message,
        };
        let mut map = HashMap::new();
        let mut skipped = 0;
        match std::fs::File::open(path) {
            Ok(f) => {
                for line in BufReader::new(f).split(b'\n') {
                    let line = line.map_err(|e| err(e.to_string()))?;
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let entry = serde_json::from_slice::<Value>(&line).ok().and_then(|v| {
                        let key = v.get("key")?.as_str()?.to_owned();
                        let resp = v.get("body")?.as_str()?.to_owned();
                        Some((key, resp))
                    });
                    match entry {
                        Some((k, v)) => {
                            map.insert(k, v);
                        }
                        None => skipped += 1,
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e.to_string())),
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| err(e.to_string()))?;
        // A cut last line must not glue onto the next entry.
        if skipped > 0 {
            use std::io::Write;
            file.write_all(b"\n").map_err(|e| err(e.to_string()))?;
        }
        Ok(Self {
            inner: Mutex::new(Inner {
                map,
                file: Some(file),
            }),
            path: Some(shown),
            skipped_lines: skipped,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached response body for `key`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.lock().map.get(key).cloned()
    }

    /// Store a response body (and append it to the file, if any).
    pub fn put(&self, key: &str, body: &str) -> Result<(), EndpointError> {
        let mut g = self.lock();
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(f) = g.file.as_mut() {
            use std::io::Write;
            let line = serde_json::json!({ "key": key, "body": body }).to_string() + "\n";
            f.write_all(line.as_bytes())
                .and_then(|()| f.flush())
                .map_err(|e| EndpointError::Cache {
                    path: self.path.clone().unwrap_or_default(),
                    message: e.to_string(),
                })?;
        }
        g.map.insert(key.to_owned(), body.to_owned());
        Ok(())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lines of the file that did not parse when it was opened.
    pub fn skipped_lines(&self) -> usize {
        self.skipped_lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_is_canonical_and_sensitive() {
        let a = cache_key(
            "http://h/v1/completions",
            &json!({"model": "m", "prompt": "x", "seed": 1}),
        );
        let b = cache_key(
            "http://h/v1/completions/",
            &json!({"seed": 1, "prompt": "x", "model": "m"}),
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            cache_key(
                "http://h/v1/completions",
                &json!({"model": "m", "prompt": "x", "seed": 2})
            )
        );
        assert_ne!(
            a,
            cache_key(
                "http://g/v1/completions",
                &json!({"model": "m", "prompt": "x", "seed": 1})
            )
        );
        assert_eq!(a.len(), 64);
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn jsonl_survives_a_cut_tail() {
        let dir =
            std::env::temp_dir().join(format!("substance-endpoint-cache-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("c.jsonl");
        let _ = std::fs::remove_file(&path);
        {
            let c = ResponseCache::open_jsonl(&path).unwrap();
            c.put("k1", r#"{"choices": [1]}"#).unwrap();
        }
        // Simulate a crash mid-write.
        {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            f.write_all(br#"{"key":"k2","bo"#).unwrap();
        }
        let c = ResponseCache::open_jsonl(&path).unwrap();
        assert_eq!(c.skipped_lines(), 1);
        assert_eq!(c.get("k1").as_deref(), Some(r#"{"choices": [1]}"#));
        c.put("k3", "3").unwrap();
        drop(c);
        let c = ResponseCache::open_jsonl(&path).unwrap();
        assert_eq!((c.len(), c.skipped_lines()), (2, 1));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
