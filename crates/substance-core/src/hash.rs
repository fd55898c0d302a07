//! Canonical JSON and SHA-256 helpers: the single definition of every hash in a receipt.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::CoreError;

/// Hex-encoded SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Serialise `value` as canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant
/// whitespace, numbers as serde_json prints them (shortest round-trip for floats).
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<String, CoreError> {
    let v = serde_json::to_value(value).map_err(|source| CoreError::Serialise {
        what: "value",
        source,
    })?;
    let mut out = String::new();
    write_canonical(&v, &mut out);
    Ok(out)
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // A string always serialises.
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(inner) = map.get(*k) {
                    write_canonical(inner, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, inner) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(inner, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// SHA-256 of the canonical JSON of `value`.
pub fn canonical_sha256<T: Serialize + ?Sized>(value: &T) -> Result<String, CoreError> {
    Ok(sha256_hex(canonical_json(value)?.as_bytes()))
}

/// Digest of an ordered list of hex digests (one per line, `\n`-joined, prefixed by a domain tag so a
/// list digest can never collide with an item digest).
pub fn list_digest<'a, I: IntoIterator<Item = &'a str>>(tag: &str, digests: I) -> String {
    let mut h = Sha256::new();
    h.update(tag.as_bytes());
    for d in digests {
        h.update(b"\n");
        h.update(d.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Incremental form of [`list_digest`], for streaming verification.
#[derive(Clone)]
pub struct ListDigest(Sha256);

impl ListDigest {
    /// Start a list digest with a domain tag.
    pub fn new(tag: &str) -> Self {
        let mut h = Sha256::new();
        h.update(tag.as_bytes());
        Self(h)
    }
    /// Append one hex digest.
    pub fn push(&mut self, digest: &str) {
        self.0.update(b"\n");
        self.0.update(digest.as_bytes());
    }
    /// Finish and return the hex digest.
    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_nested() {
        let v = json!({"b": 1, "a": {"z": [1.5, "x"], "c": null}});
        assert_eq!(
            canonical_json(&v).unwrap(),
            r#"{"a":{"c":null,"z":[1.5,"x"]},"b":1}"#
        );
    }

    #[test]
    fn known_sha256() {
        // `printf abc | sha256sum`
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn incremental_list_digest_matches() {
        let d = ["aa", "bb", "cc"];
        let mut inc = ListDigest::new("t");
        for x in d {
            inc.push(x);
        }
        assert_eq!(inc.finish(), list_digest("t", d));
        assert_ne!(list_digest("t", d), list_digest("u", d));
    }

    #[test]
    fn unicode_escaping_is_stable() {
        let v = json!({"é": "\u{2028}<script>"});
        let s = canonical_json(&v).unwrap();
        assert_eq!(s, "{\"é\":\"\u{2028}<script>\"}");
    }
}
