//! `--model` specs for endpoints and where their keys come from.
//!
//! - `openai:NAME` — `https://api.openai.com/v1`, key from `OPENAI_API_KEY` (required).
//! - `http://HOST:PORT/PATH#NAME`, `https://HOST[:PORT]/PATH#NAME` — any OpenAI-compatible server (vLLM
//!   `…:8000/v1`, llama.cpp server `…:8080/v1`, Ollama `…:11434/v1`, TGI `…/v1`); `NAME` is what goes in the
//!   request's `model` (it may contain `/` and `:`, e.g. `meta-llama/Llama-3.1-8B` or `llama3.1:8b`).
//!   No key is sent unless one is asked for (`--api-key-env VAR` or the key flag): a user's OpenAI key is
//!   never sent to some other server by default.
//!
//! URLs with `user:pass@` credentials or a `?query` are refused (a key there would end up in receipts and
//! logs); the error for credentials does not echo the spec.

use crate::error::SpecError;
use crate::secret::Secret;

/// OpenAI's API base.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// The variable `openai:` specs read their key from.
pub const OPENAI_KEY_VAR: &str = "OPENAI_API_KEY";

/// A parsed endpoint model spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// The spec as written (normalised: no trailing `/` on the URL), used as the model id in receipts.
    pub id: String,
    /// Base URL without a trailing `/` (requests go to `{base_url}/chat/completions`, …).
    pub base_url: String,
    /// The `model` field of requests.
    pub model: String,
    /// The variable the key is read from by default (`OPENAI_API_KEY` for `openai:`), if any.
    pub default_key_var: Option<String>,
}

impl ModelSpec {
    /// Parse a spec.
    pub fn parse(spec: &str) -> Result<Self, SpecError> {
        let s = spec.trim();
        if s.is_empty() {
            return Err(SpecError::Empty);
        }
        if let Some(name) = s.strip_prefix("openai:") {
            let name = name.trim();
            if name.is_empty() || name.chars().any(char::is_whitespace) {
                return Err(SpecError::MissingModel { spec: s.to_owned() });
            }
            return Ok(Self {
                id: format!("openai:{name}"),
                base_url: OPENAI_BASE_URL.to_owned(),
                model: name.to_owned(),
                default_key_var: Some(OPENAI_KEY_VAR.to_owned()),
            });
        }
        let lower = s.to_ascii_lowercase();
        let (scheme, rest) = if lower.starts_with("http://") {
            ("http", &s[7..])
        } else if lower.starts_with("https://") {
            ("https", &s[8..])
        } else {
            return Err(SpecError::UnknownForm { spec: s.to_owned() });
        };
        let bad = |reason: &str| SpecError::BadUrl {
            spec: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (url_part, model) = match rest.split_once('#') {
            Some((u, m)) => (u, m.trim()),
            None => return Err(SpecError::MissingModel { spec: s.to_owned() }),
        };
        if model.is_empty() || model.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SpecError::MissingModel { spec: s.to_owned() });
        }
        let (authority, path) = match url_part.find('/') {
            Some(i) => (&url_part[..i], &url_part[i..]),
            None => (url_part, ""),
        };
        if authority.contains('@') {
            return Err(SpecError::CredentialsInUrl);
        }
        if path.contains('?') || authority.contains('?') {
            return Err(bad("a query string is not allowed in the base URL"));
        }
        if url_part
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad("whitespace in the URL"));
        }
        let (host, port) = split_host_port(authority).map_err(|r| bad(&r))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if !host.starts_with('[')
            && !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(bad("the host has characters a host name cannot have"));
        }
        let authority = match port {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        let path = path.trim_end_matches('/');
        let base_url = format!("{scheme}://{authority}{path}");
        Ok(Self {
            id: format!("{base_url}#{model}"),
            base_url,
            model: model.to_owned(),
            default_key_var: None,
        })
    }

    /// `host[:port]` of the base URL (what errors and receipts name).
    pub fn host(&self) -> String {
        host_of(&self.base_url)
    }

    /// The key to send: the flag's, else the named variable's (which must then be set), else the spec's
    /// default variable's (required for `openai:`), else none. `lookup` reads the environment (tests
    /// pass a map; [`ModelSpec::resolve_key_from_env`] passes `std::env::var`).
    pub fn resolve_key(
        &self,
        flag: Option<Secret>,
        key_var: Option<&str>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Secret>, SpecError> {
        if let Some(k) = flag.filter(|k| !k.expose().is_empty()) {
            return Ok(Some(k));
        }
        let var = match (key_var, &self.default_key_var) {
            (Some(v), _) => v,
            (None, Some(v)) => v.as_str(),
            (None, None) => return Ok(None),
        };
        match lookup(var).filter(|v| !v.trim().is_empty()) {
            Some(v) => Ok(Some(Secret::new(v.trim()))),
            None => Err(SpecError::MissingKey {
                var: var.to_owned(),
            }),
        }
    }

    /// [`ModelSpec::resolve_key`] against the process environment.
    pub fn resolve_key_from_env(
        &self,
        flag: Option<Secret>,
        key_var: Option<&str>,
    ) -> Result<Option<Secret>, SpecError> {
        self.resolve_key(flag, key_var, |v| std::env::var(v).ok())
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority
            .find(']')
            .ok_or_else(|| "unclosed `[` in an IPv6 host".to_owned())?;
        let rest = &authority[end + 1..];
        match rest.strip_prefix(':') {
            Some(p) => (&authority[..=end], Some(p)),
            None if rest.is_empty() => (&authority[..=end], None),
            None => return Err("junk after the IPv6 host".into()),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(format!("port `{p}` is not a number in 1–65535")),
        },
    };
    Ok((host, port))
}

/// `host[:port]` of a URL (scheme, path, query and any credentials dropped); `?` if there is none.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    if authority.is_empty() {
        "?".into()
    } else {
        authority.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let s = ModelSpec::parse("openai:gpt-4o-mini").unwrap();
        assert_eq!(
            (s.base_url.as_str(), s.model.as_str(), s.id.as_str()),
            (OPENAI_BASE_URL, "gpt-4o-mini", "openai:gpt-4o-mini")
        );
        assert_eq!(s.host(), "api.openai.com");
        let s = ModelSpec::parse("http://127.0.0.1:8000/v1/#meta-llama/Llama-3.1-8B").unwrap();
        assert_eq!(s.base_url, "http://127.0.0.1:8000/v1");
        assert_eq!(s.model, "meta-llama/Llama-3.1-8B");
        assert_eq!(s.id, "http://127.0.0.1:8000/v1#meta-llama/Llama-3.1-8B");
        assert_eq!(s.host(), "127.0.0.1:8000");
        let s = ModelSpec::parse("HTTPS://[::1]:11434/v1#llama3.1:8b").unwrap();
        assert_eq!(
            (s.base_url.as_str(), s.host().as_str()),
            ("https://[::1]:11434/v1", "[::1]:11434")
        );
        assert!(ModelSpec::parse("https://example.org#m").is_ok());
    }

    #[test]
    fn malformed_specs_are_typed() {
        use SpecError::*;
        let e = |s: &str| ModelSpec::parse(s).unwrap_err();
        assert_eq!(e(""), Empty);
        assert!(matches!(e("gpt-4"), UnknownForm { .. }));
        assert!(matches!(e("ftp://h/v1#m"), UnknownForm { .. }));
        assert!(matches!(e("openai:"), MissingModel { .. }));
        assert!(matches!(e("http://h:8000/v1"), MissingModel { .. }));
        assert!(matches!(e("http://h:8000/v1#"), MissingModel { .. }));
        assert!(matches!(e("http://h:99999/v1#m"), BadUrl { .. }));
        assert!(matches!(e("http://h:/v1#m"), BadUrl { .. }));
        assert!(matches!(e("http://:80/v1#m"), BadUrl { .. }));
        assert!(matches!(e("http://h/v1?key=1#m"), BadUrl { .. }));
        assert!(matches!(e("http://[::1/v1#m"), BadUrl { .. }));
        assert!(matches!(e("http://h h/v1#m"), BadUrl { .. }));
        let creds = e("https://user:sk-secret@h/v1#m");
        assert_eq!(creds, CredentialsInUrl);
        assert!(!creds.to_string().contains("sk-secret"));
    }

    #[test]
    fn key_resolution() {
        let env = |v: &str| match v {
            "OPENAI_API_KEY" => Some("sk-openai".to_owned()),
            "LOCAL_KEY" => Some("sk-local".to_owned()),
            "BLANK" => Some("  ".to_owned()),
            _ => None,
        };
        let openai = ModelSpec::parse("openai:gpt-4o").unwrap();
        let local = ModelSpec::parse("http://127.0.0.1:8000/v1#m").unwrap();
        let k = |s: &ModelSpec, flag: Option<&str>, var: Option<&str>| {
            s.resolve_key(flag.map(Secret::new), var, env)
                .map(|k| k.map(|k| k.expose().to_owned()))
        };
        assert_eq!(k(&openai, None, None), Ok(Some("sk-openai".into())));
        assert_eq!(
            k(&openai, Some("sk-flag"), None),
            Ok(Some("sk-flag".into()))
        );
        assert_eq!(
            k(&local, None, None),
            Ok(None),
            "no key sent to other hosts by default"
        );
        assert_eq!(
            k(&local, None, Some("LOCAL_KEY")),
            Ok(Some("sk-local".into()))
        );
        assert_eq!(
            k(&local, None, Some("BLANK")),
            Err(SpecError::MissingKey {
                var: "BLANK".into()
            })
        );
        let no_env = openai.resolve_key(None, None, |_| None).unwrap_err();
        assert_eq!(
            no_env.to_string(),
            "API key variable `OPENAI_API_KEY` is not set (or empty)"
        );
    }

    #[test]
    fn host_of_drops_everything_else() {
        assert_eq!(
            host_of("https://u:p@h.example:8443/v1?x#y"),
            "h.example:8443"
        );
        assert_eq!(host_of("garbage"), "garbage");
        assert_eq!(host_of(""), "?");
    }
}
