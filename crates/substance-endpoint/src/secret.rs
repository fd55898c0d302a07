//! API keys that cannot leak through formatting.

use std::fmt;

/// A secret string (an API key). `Debug` and `Display` print `***`; the value is reachable only through
/// [`Secret::expose`], which the transports call when they write the `Authorization` header. It is not
/// `Serialize`, so it cannot end up in a receipt or a cache line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Only for writing it where it belongs (a request header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replace every occurrence of the secret in `text` by `***` (for text a server sent back, which may
    /// echo the request headers).
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, "***")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_the_value() {
        let s = Secret::new("sk-test-123");
        assert_eq!(format!("{s:?} {s} {:?}", Some(&s)), "*** *** Some(***)");
        assert_eq!(s.expose(), "sk-test-123");
        assert_eq!(s.redact("echo: Bearer sk-test-123!"), "echo: Bearer ***!");
        assert_eq!(Secret::new("").redact("abc"), "abc");
    }
}
