//! Helpers shared by the architectures' config structs.

use serde::de::DeserializeOwned;

use crate::error::{ModelError, Result};

/// Parse a JSON config, naming the offending field on error (`serde_path_to_error`).
pub fn parse_json<T: DeserializeOwned>(file: &str, text: &str) -> Result<T> {
    // The reading policy (`substance_core::input`): a BOM is dropped, a member given twice refused.
    let value =
        substance_core::input::strict_value(substance_core::input::strip_bom(text), file, 1)
            .map_err(|e| match e {
                substance_core::InputError::Member { key, .. } => bad(
                    file,
                    &key,
                    "given twice (JSON would keep the last one silently)",
                ),
                substance_core::InputError::Syntax { message, line, .. } => {
                    bad(file, "-", format!("line {line}: {message}"))
                }
                other => bad(file, "-", other.to_string()),
            })?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ModelError::Config {
            file: file.to_owned(),
            field: if path == "." { "-".to_owned() } else { path },
            message: e.into_inner().to_string(),
        }
    })
}

/// A `ModelError::Config` for `field` of `file`.
pub fn bad(file: &str, field: &str, message: impl Into<String>) -> ModelError {
    ModelError::Config {
        file: file.to_owned(),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Check a dimension is positive.
pub fn positive(file: &str, field: &str, v: usize) -> Result<()> {
    if v == 0 {
        Err(bad(file, field, "must be positive"))
    } else {
        Ok(())
    }
}

/// Upper bound on any single dimension read from a config (guards allocations driven by input).
pub const MAX_DIM: usize = 1 << 20;

/// Check `0 < v ≤ MAX_DIM`.
pub fn dim(file: &str, field: &str, v: usize) -> Result<()> {
    positive(file, field, v)?;
    if v > MAX_DIM {
        return Err(bad(
            file,
            field,
            format!("{v} is implausibly large (> {MAX_DIM})"),
        ));
    }
    Ok(())
}

/// Longest context this runtime accepts (bounds the RoPE tables and the caches).
pub const MAX_CONTEXT: usize = 1 << 17;

/// Check a context length.
pub fn context(file: &str, field: &str, v: usize) -> Result<()> {
    positive(file, field, v)?;
    if v > MAX_CONTEXT {
        return Err(bad(
            file,
            field,
            format!("{v} exceeds the supported context of {MAX_CONTEXT}"),
        ));
    }
    Ok(())
}

/// Check that a product of dimensions (a tensor's element count) fits comfortably in memory indices.
pub fn product(file: &str, field: &str, dims: &[usize]) -> Result<usize> {
    let n = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= (1usize << 31))
        .ok_or_else(|| bad(file, field, format!("dimensions {dims:?} are too large")))?;
    Ok(n)
}

/// serde default helper.
pub fn default_true() -> bool {
    true
}

/// A token-id field that Hugging Face configs write as a number, a list, or `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum TokenIds {
    /// Absent / `null`.
    #[default]
    None,
    /// One id.
    One(u32),
    /// Several ids (e.g. Llama 3's list of EOS ids).
    Many(Vec<u32>),
}

impl TokenIds {
    /// The ids as a list.
    pub fn to_vec(&self) -> Vec<u32> {
        match self {
            Self::None => Vec::new(),
            Self::One(i) => vec![*i],
            Self::Many(v) => v.clone(),
        }
    }
    /// The first id.
    pub fn first(&self) -> Option<u32> {
        self.to_vec().first().copied()
    }
}

/// `generation_config.json` (the fields the runtime uses; unknown fields ignored).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct GenerationConfig {
    /// BOS id(s).
    #[serde(default)]
    pub bos_token_id: TokenIds,
    /// EOS id(s): generation stops on any.
    #[serde(default)]
    pub eos_token_id: TokenIds,
    /// Padding id.
    #[serde(default)]
    pub pad_token_id: TokenIds,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Small {
        hidden_size: usize,
    }

    #[test]
    fn configs_follow_the_reading_policy() {
        let c: Small = parse_json("config.json", "\u{feff}{\"hidden_size\": 8}\r\n").unwrap();
        assert_eq!(c.hidden_size, 8);
        let e = parse_json::<Small>("config.json", "{\"hidden_size\": 8, \"hidden_size\": 9}")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("config.json") && e.contains("hidden_size") && e.contains("twice"),
            "{e}"
        );
        let e = parse_json::<Small>("config.json", "{\"hidden_size\": 8.5}")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("config.json") && e.contains("hidden_size"),
            "{e}"
        );
        let e = parse_json::<Small>("config.json", "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("config.json"), "{e}");
    }
}
