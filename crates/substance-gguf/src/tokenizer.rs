//! A Hugging Face `tokenizer.json` rebuilt from a GGUF's `tokenizer.ggml.*` metadata, and the chat template.
//!
//! The target is the tokenizer `transformers` builds from the same file
//! (`AutoTokenizer.from_pretrained(dir, gguf_file=...)`, `integrations/gguf/gguf_tokenizer_mapping.py`):
//!
//! - **model**: byte-level BPE. Tokens already spelled in GPT-2's byte alphabet are kept; any other token is
//!   respelled byte by byte through that alphabet (as transformers does). Merges are the file's `"a b"`
//!   strings split at the space. No unknown token, no dropout, `byte_fallback = false`.
//! - **added tokens**: token type 3 (CONTROL) → special, type 4 (USER_DEFINED) → not special, both matched
//!   whole and never normalised. A control token with characters outside the byte alphabet is a
//!   mislabel in the converter and is skipped (transformers skips it too).
//! - **pre-tokenizer** from `tokenizer.ggml.pre` (see [`pre_tokenizer`]): the regex llama.cpp uses for that
//!   name. Names transformers maps to a `Split` regex get that regex; everything else gets GPT-2's
//!   `ByteLevel` regex — except, by default ([`PreTokenizerFlavor::LlamaCpp`]), the names for which llama.cpp
//!   splits every digit off before the GPT-2 regex (`smollm`, `starcoder`, `refact`, ...): those get the
//!   `Digits(individual_digits)` + `ByteLevel` sequence of those models' own `tokenizer.json`.
//!
//! That last point is the one place where transformers' GGUF conversion and the original tokenizer differ:
//! transformers ignores `smollm` and uses the plain GPT-2 regex, which changes the ids of a whitespace run
//! followed by a digit (`"   1"`: GPT-2 splits `"  "`, `" 1"`; with digits split first it is `"   "`, `"1"`).
//! The default follows the model's own tokenizer and llama.cpp; [`PreTokenizerFlavor::Transformers`]
//! reproduces transformers exactly.
//! - **post-processor**: `TemplateProcessing` adding BOS / EOS as `tokenizer.ggml.add_bos_token` /
//!   `add_eos_token` say (transformers' `update_post_processor`).
//! - **decoder**: `ByteLevel`. No normaliser.

use serde_json::{Map, Value as Json, json};

use crate::error::GgufError;
use crate::file::Gguf;

/// llama.cpp token types (`llama_token_type`).
pub mod token_type {
    /// An ordinary token.
    pub const NORMAL: i32 = 1;
    /// The unknown token.
    pub const UNKNOWN: i32 = 2;
    /// A control (special) token such as `<|im_start|>`.
    pub const CONTROL: i32 = 3;
    /// A user-defined added token, matched whole but not special.
    pub const USER_DEFINED: i32 = 4;
    /// An unused slot.
    pub const UNUSED: i32 = 5;
    /// A byte token (`<0x0A>`), SentencePiece byte fallback.
    pub const BYTE: i32 = 6;
}

/// Special token ids and flags from `tokenizer.ggml.*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialTokens {
    /// `tokenizer.ggml.bos_token_id`.
    pub bos: Option<u32>,
    /// `tokenizer.ggml.eos_token_id`.
    pub eos: Option<u32>,
    /// `tokenizer.ggml.unknown_token_id`.
    pub unk: Option<u32>,
    /// `tokenizer.ggml.padding_token_id`.
    pub pad: Option<u32>,
    /// `tokenizer.ggml.add_bos_token` (absent: false, as transformers assumes for byte-level BPE).
    pub add_bos: bool,
    /// `tokenizer.ggml.add_eos_token` (absent: false).
    pub add_eos: bool,
}

fn optional_u32(g: &Gguf<'_>, key: &str) -> Result<Option<u32>, GgufError> {
    if g.contains_key(key) {
        g.get_u32(key).map(Some)
    } else {
        Ok(None)
    }
}

fn optional_bool(g: &Gguf<'_>, key: &str) -> Result<bool, GgufError> {
    if g.contains_key(key) {
        g.get_bool(key)
    } else {
        Ok(false)
    }
}

/// The special token ids and BOS/EOS flags. Ids outside the vocabulary are errors.
pub fn special_tokens(g: &Gguf<'_>) -> Result<SpecialTokens, GgufError> {
    let s = SpecialTokens {
        bos: optional_u32(g, "tokenizer.ggml.bos_token_id")?,
        eos: optional_u32(g, "tokenizer.ggml.eos_token_id")?,
        unk: optional_u32(g, "tokenizer.ggml.unknown_token_id")?,
        pad: optional_u32(g, "tokenizer.ggml.padding_token_id")?,
        add_bos: optional_bool(g, "tokenizer.ggml.add_bos_token")?,
        add_eos: optional_bool(g, "tokenizer.ggml.add_eos_token")?,
    };
    if let Ok(tokens) = g.get_str_array("tokenizer.ggml.tokens") {
        for (name, id) in [
            ("bos", s.bos),
            ("eos", s.eos),
            ("unknown", s.unk),
            ("padding", s.pad),
        ] {
            if let Some(id) = id.filter(|&id| id as usize >= tokens.len()) {
                return Err(GgufError::Tokenizer {
                    reason: format!(
                        "tokenizer.ggml.{name}_token_id = {id} is outside the {}-token vocabulary",
                        tokens.len()
                    ),
                });
            }
        }
    }
    Ok(s)
}

/// `tokenizer.chat_template`, the Jinja chat template, if the file has one as a string.
pub fn chat_template<'a>(g: &Gguf<'a>) -> Option<&'a str> {
    g.get_str("tokenizer.chat_template").ok()
}

/// GPT-2's `bytes_to_unicode`: the printable character standing for each byte in byte-level BPE.
pub fn byte_to_char() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut next = 256u32;
    for (b, slot) in table.iter_mut().enumerate() {
        let printable = matches!(b, 33..=126 | 161..=172 | 174..=255);
        let code = if printable {
            b as u32
        } else {
            let c = next;
            next += 1;
            c
        };
        *slot = char::from_u32(code).unwrap_or('\u{fffd}');
    }
    table
}

fn in_byte_alphabet(s: &str) -> bool {
    // The 188 printable bytes stand for themselves; the other 68 map to U+0100..=U+0143.
    s.chars()
        .all(|c| matches!(c as u32, 33..=126 | 161..=172 | 174..=323))
}

const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const QWEN35_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const TEKKEN_SPLIT: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const GPT4O_SPLIT: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// `tokenizer.ggml.pre` names → `Split` regex (transformers' `GGUF_PRE_TOKENIZER_SPLITS`, which follow
/// llama.cpp's `llama-vocab.cpp`).
const SPLITS: &[(&str, &str)] = &[
    ("llama3", LLAMA3_SPLIT),
    ("llama-v3", LLAMA3_SPLIT),
    ("llama-bpe", LLAMA3_SPLIT),
    ("falcon3", LLAMA3_SPLIT),
    ("falcon-h1", LLAMA3_SPLIT),
    ("pixtral", LLAMA3_SPLIT),
    ("midm-2.0", LLAMA3_SPLIT),
    ("lfm2", LLAMA3_SPLIT),
    ("jina-v5-nano", LLAMA3_SPLIT),
    ("dbrx", LLAMA3_SPLIT),
    ("smaug-bpe", LLAMA3_SPLIT),
    ("tekken", TEKKEN_SPLIT),
    ("qwen2", QWEN2_SPLIT),
    ("deepseek-r1-qwen", QWEN2_SPLIT),
    ("kormo", QWEN2_SPLIT),
    ("f2llmv2", QWEN2_SPLIT),
    ("megrez", QWEN2_SPLIT),
    ("qwen35", QWEN35_SPLIT),
    ("gpt-4o", GPT4O_SPLIT),
    ("llama4", GPT4O_SPLIT),
    ("kanana2", GPT4O_SPLIT),
    ("talkie", GPT4O_SPLIT),
    ("minimax-m2", GPT4O_SPLIT),
];

/// `tokenizer.ggml.pre` names for which llama.cpp splits every digit off (`"\p{N}"`) before the GPT-2
/// regex; their Hugging Face `tokenizer.json` says `Digits(individual_digits)` then `ByteLevel`.
const DIGIT_SPLIT: &[&str] = &[
    "smollm",
    "starcoder",
    "refact",
    "command-r",
    "codeshell",
    "exaone",
    "minerva-7b",
];

fn byte_level(use_regex: bool) -> Json {
    json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex})
}

/// Which reference a rebuilt tokenizer follows where llama.cpp and transformers disagree (see the module
/// documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PreTokenizerFlavor {
    /// llama.cpp's pre-tokenizer for the `tokenizer.ggml.pre` name, which is also the original model's
    /// `tokenizer.json` (digits split individually for `smollm` and kin).
    #[default]
    LlamaCpp,
    /// Exactly what transformers' `AutoTokenizer.from_pretrained(..., gguf_file=...)` builds.
    Transformers,
}

/// The Hugging Face pre-tokenizer for a `tokenizer.ggml.pre` name (absent or unknown: GPT-2's).
pub fn pre_tokenizer(pre: Option<&str>, flavor: PreTokenizerFlavor) -> Json {
    let Some(pre) = pre else {
        return byte_level(true);
    };
    if let Some((_, regex)) = SPLITS.iter().find(|(name, _)| *name == pre) {
        return json!({
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": false},
                byte_level(false),
            ]
        });
    }
    if flavor == PreTokenizerFlavor::LlamaCpp && DIGIT_SPLIT.contains(&pre) {
        return json!({
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Digits", "individual_digits": true},
                byte_level(true),
            ]
        });
    }
    byte_level(true)
}

fn template_piece_special(id: &str, type_id: u32) -> Json {
    json!({"SpecialToken": {"id": id, "type_id": type_id}})
}

fn template_piece_seq(id: &str, type_id: u32) -> Json {
    json!({"Sequence": {"id": id, "type_id": type_id}})
}

/// A Hugging Face `tokenizer.json` (serialised) equivalent to the GGUF's byte-level BPE tokenizer
/// (`tokenizer.ggml.model = "gpt2"`), following llama.cpp where it and transformers disagree. See the module
/// documentation for how each part is derived.
pub fn hf_tokenizer_json(g: &Gguf<'_>) -> Result<String, GgufError> {
    hf_tokenizer_json_with(g, PreTokenizerFlavor::LlamaCpp)
}

/// [`hf_tokenizer_json`] with a choice of [`PreTokenizerFlavor`].
pub fn hf_tokenizer_json_with(
    g: &Gguf<'_>,
    flavor: PreTokenizerFlavor,
) -> Result<String, GgufError> {
    serde_json::to_string(&hf_tokenizer_value(g, flavor)?).map_err(|e| GgufError::Tokenizer {
        reason: format!("serialising tokenizer.json: {e}"),
    })
}

/// The `tokenizer.json` as a `serde_json::Value`, for callers that want to adjust it.
pub fn hf_tokenizer_value(g: &Gguf<'_>, flavor: PreTokenizerFlavor) -> Result<Json, GgufError> {
    let model = g.get_str("tokenizer.ggml.model")?;
    if model != "gpt2" {
        return Err(GgufError::Tokenizer {
            reason: format!(
                "tokenizer.ggml.model = {model:?}: only byte-level BPE (\"gpt2\") is supported"
            ),
        });
    }
    let tokens = g.get_str_array("tokenizer.ggml.tokens")?;
    let merges = g.get_str_array("tokenizer.ggml.merges")?;
    let types = if g.contains_key("tokenizer.ggml.token_type") {
        let t = g.get_i32_array("tokenizer.ggml.token_type")?;
        if t.len() != tokens.len() {
            return Err(GgufError::Tokenizer {
                reason: format!(
                    "tokenizer.ggml.token_type has {} entries for {} tokens",
                    t.len(),
                    tokens.len()
                ),
            });
        }
        t
    } else {
        Vec::new()
    };
    let pre = if g.contains_key("tokenizer.ggml.pre") {
        Some(g.get_str("tokenizer.ggml.pre")?)
    } else {
        None
    };
    let specials = special_tokens(g)?;
    let table = byte_to_char();

    let mut vocab = Map::new();
    let mut spelled_as_is = Vec::with_capacity(tokens.len());
    for (id, &tok) in tokens.iter().enumerate() {
        let as_is = in_byte_alphabet(tok);
        spelled_as_is.push(as_is);
        let spelling = if as_is {
            tok.to_owned()
        } else {
            tok.bytes().map(|b| table[usize::from(b)]).collect()
        };
        vocab.insert(spelling, json!(id));
    }

    let mut merge_pairs = Vec::with_capacity(merges.len());
    for (i, m) in merges.iter().enumerate() {
        let (a, b) = m.split_once(' ').ok_or_else(|| GgufError::Tokenizer {
            reason: format!("tokenizer.ggml.merges[{i}] = {m:?} has no space separating a pair"),
        })?;
        merge_pairs.push(json!([a, b]));
    }

    let mut added = Vec::new();
    for (id, (&tok, &ty)) in tokens.iter().zip(&types).enumerate() {
        let special = match ty {
            token_type::CONTROL => true,
            token_type::USER_DEFINED => false,
            _ => continue,
        };
        if !spelled_as_is[id] {
            continue;
        }
        added.push(json!({
            "id": id,
            "content": tok,
            "single_word": false,
            "lstrip": false,
            "rstrip": false,
            "normalized": false,
            "special": special,
        }));
    }

    let token_of = |id: Option<u32>| id.and_then(|i| tokens.get(i as usize).copied());
    let bos = token_of(specials.bos).filter(|_| specials.add_bos);
    let eos = token_of(specials.eos).filter(|_| specials.add_eos);
    let mut single = Vec::new();
    let mut pair = Vec::new();
    let mut special_map = Map::new();
    if let Some(b) = bos {
        single.push(template_piece_special(b, 0));
        special_map.insert(
            b.to_owned(),
            json!({"id": b, "ids": [specials.bos], "tokens": [b]}),
        );
    }
    single.push(template_piece_seq("A", 0));
    if let Some(e) = eos {
        single.push(template_piece_special(e, 0));
        special_map.insert(
            e.to_owned(),
            json!({"id": e, "ids": [specials.eos], "tokens": [e]}),
        );
    }
    pair.extend(single.iter().cloned());
    if let Some(b) = bos {
        pair.push(template_piece_special(b, 1));
    }
    pair.push(template_piece_seq("B", 1));
    if let Some(e) = eos {
        pair.push(template_piece_special(e, 1));
    }

    Ok(json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": pre_tokenizer(pre, flavor),
        "post_processor": {
            "type": "TemplateProcessing",
            "single": single,
            "pair": pair,
            "special_tokens": special_map,
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {
            "type": "BPE",
            "dropout": null,
            "unk_token": null,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": false,
            "byte_fallback": false,
            "ignore_merges": false,
            "vocab": vocab,
            "merges": merge_pairs,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_alphabet_is_gpt2s() {
        let t = byte_to_char();
        assert_eq!(t[b' ' as usize], 'Ġ');
        assert_eq!(t[b'\n' as usize], 'Ċ');
        assert_eq!(t[b'a' as usize], 'a');
        assert_eq!(t[0], 'Ā');
        let mut seen: Vec<char> = t.to_vec();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 256);
        assert!(t.iter().all(|c| in_byte_alphabet(&c.to_string())));
        assert!(in_byte_alphabet("Ġhello"));
        assert!(!in_byte_alphabet("hello world"));
        assert!(!in_byte_alphabet("日本"));
    }
}
