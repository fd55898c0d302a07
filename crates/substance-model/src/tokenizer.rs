//! Tokenizer (Hugging Face `tokenizers`, fancy-regex build) and chat templates.
//!
//! The `tokenizers` crate is built with `default-features = false, features = ["unstable_wasm"]` on
//! every target: that selects the pure-Rust `fancy-regex` engine instead of the C `onig` library, so
//! the native build tokenizes exactly as the wasm build does (a golden-ids test guards it).
//!
//! **Chat templates are not executed.** Hugging Face ships them as Jinja programs; running arbitrary
//! Jinja would mean embedding a template engine for one format. Instead the template text is
//! *recognised*: a ChatML template (`<|im_start|>role\ncontent<|im_end|>\n`, SmolLM2, Qwen, …) is
//! rendered by [`ChatTemplate::render`], including a default system message when the template inserts
//! one as a literal; any other template is a clear [`ModelError::ChatTemplate`] at render time.

use substance_core::Message;

use crate::error::{ModelError, Result};

/// The longest text [`Tokenizer::encode`] takes: 1 MiB. Tokenisation is linear in the text (measured
/// with SmolLM2's and GPT-2's tokenizers on runs of letters, combining marks, spaces, digits, CJK and
/// punctuation: 4× the text, 4× the time, at most 0.16 s for 160,000 characters natively), but a
/// byte-level tokenizer can make one token per byte and the `tokenizers` encoding keeps about 80 bytes
/// per token, so the limit keeps one hostile item near 80 MB in a browser tab. A prompt longer than the
/// model's context is cut from the left after tokenisation anyway.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// A loaded tokenizer.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    origin: String,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("origin", &self.origin)
            .field("vocab", &self.vocab_size())
            .finish()
    }
}

impl Tokenizer {
    /// Parse a `tokenizer.json`.
    pub fn from_json_bytes(origin: &str, bytes: &[u8]) -> Result<Self> {
        let inner =
            tokenizers::Tokenizer::from_bytes(bytes).map_err(|e| ModelError::Tokenizer {
                file: origin.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Self {
            inner,
            origin: origin.to_owned(),
        })
    }

    /// Where it was loaded from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Entries including added (special) tokens.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Token ids of `text`; `add_special_tokens` runs the post-processor (OPT prepends `</s>`).
    /// A text over [`MAX_TEXT_BYTES`] is refused with [`ModelError::Input`] giving its size.
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(ModelError::Input(format!(
                "a text of {} bytes is over the tokenizer's limit of {MAX_TEXT_BYTES} bytes (1 MiB)",
                text.len()
            )));
        }
        self.inner
            .encode(text, add_special_tokens)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| self.err(e))
    }

    /// Text of `ids`.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        self.inner
            .decode(ids, skip_special_tokens)
            .map_err(|e| self.err(e))
    }

    /// Id of a token string (`<|im_end|>`), if in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The token string of an id.
    pub fn token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// The wrapped `tokenizers` object.
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }

    fn err(&self, e: impl std::fmt::Display) -> ModelError {
        ModelError::Tokenizer {
            file: self.origin.clone(),
            message: e.to_string(),
        }
    }
}

/// A chat template this crate can render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatTemplate {
    /// ChatML: `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n`.
    ChatMl {
        /// System message the template inserts when the conversation has none (SmolLM2-Instruct:
        /// "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
        default_system: Option<String>,
    },
}

impl ChatTemplate {
    /// Recognise a Jinja chat template's text. `Err` names why it is not supported.
    pub fn detect(template: &str) -> Result<Self> {
        if template.contains("<|im_start|>") && template.contains("<|im_end|>") {
            return Ok(Self::ChatMl {
                default_system: chatml_default_system(template),
            });
        }
        let head: String = template.chars().take(80).collect();
        Err(ModelError::ChatTemplate(format!(
            "unsupported template (only ChatML is rendered; Jinja templates are not executed): `{head}…`"
        )))
    }

    /// Render a conversation and open the assistant's turn.
    pub fn render(&self, messages: &[Message]) -> Result<String> {
        match self {
            Self::ChatMl { default_system } => {
                let mut out = String::new();
                if let (Some(sys), Some(first)) = (default_system, messages.first()) {
                    if first.role != "system" {
                        push_chatml(&mut out, "system", sys);
                    }
                }
                for m in messages {
                    if !matches!(m.role.as_str(), "system" | "user" | "assistant") {
                        return Err(ModelError::ChatTemplate(format!(
                            "unknown role `{}` (system, user, assistant)",
                            m.role
                        )));
                    }
                    push_chatml(&mut out, &m.role, &m.content);
                }
                out.push_str("<|im_start|>assistant\n");
                Ok(out)
            }
        }
    }

    /// Token strings that end an assistant turn in this template.
    pub fn stop_tokens(&self) -> &'static [&'static str] {
        match self {
            Self::ChatMl { .. } => &["<|im_end|>"],
        }
    }
}

fn push_chatml(out: &mut String, role: &str, content: &str) {
    out.push_str("<|im_start|>");
    out.push_str(role);
    out.push('\n');
    out.push_str(content);
    out.push_str("<|im_end|>\n");
}

/// The literal system message a ChatML template inserts, if it has one: the text between
/// `<|im_start|>system` + newline and `<|im_end|>` when that text is a plain string (no Jinja).
fn chatml_default_system(template: &str) -> Option<String> {
    let start = template.find("<|im_start|>system")? + "<|im_start|>system".len();
    let rest = &template[start..];
    let rest = rest
        .strip_prefix('\n')
        .or_else(|| rest.strip_prefix("\\n"))?;
    let end = rest.find("<|im_end|>")?;
    let text = &rest[..end];
    if text.is_empty() || text.contains(['\'', '"', '{', '}', '+']) {
        return None;
    }
    Some(text.replace("\\n", "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    fn msg(role: &str, content: &str) -> Message {
        Message {
            role: role.into(),
            content: content.into(),
        }
    }

    #[test]
    fn smollm2_template_renders_chatml_with_its_default_system() {
        let t = ChatTemplate::detect(SMOLLM2).unwrap();
        assert_eq!(
            t,
            ChatTemplate::ChatMl {
                default_system: Some(
                    "You are a helpful AI assistant named SmolLM, trained by Hugging Face".into()
                )
            }
        );
        assert_eq!(
            t.render(&[msg("user", "Hi")]).unwrap(),
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
        assert_eq!(
            t.render(&[msg("system", "Be brief."), msg("user", "Hi")])
                .unwrap(),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn plain_chatml_has_no_default_system() {
        let t = ChatTemplate::detect(
            "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n'}}{% endfor %}",
        )
        .unwrap();
        assert_eq!(
            t,
            ChatTemplate::ChatMl {
                default_system: None
            }
        );
    }

    #[test]
    fn unknown_templates_and_roles_are_errors() {
        let e = ChatTemplate::detect("{{ bos_token }}[INST] {{ m }} [/INST]").unwrap_err();
        assert!(e.to_string().contains("only ChatML"), "{e}");
        let t = ChatTemplate::ChatMl {
            default_system: None,
        };
        assert!(t.render(&[msg("tool", "x")]).is_err());
    }
}
