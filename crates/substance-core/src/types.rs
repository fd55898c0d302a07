//! Suites, items, prompts, responses and scores.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::CoreError;
use crate::hash::{canonical_sha256, list_digest};

/// Version of the suite file format this build reads and writes.
pub const SUITE_FORMAT: u32 = 1;

/// How a suite's items are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputType {
    /// The model scores each choice by log-likelihood (lm-eval `multiple_choice`).
    MultipleChoice,
    /// The model generates free text, scored by the suite's scorers (`generate_until`).
    Generate,
}

/// How the prompt sent to a model is built from an item (lm-eval request construction, SPEC §6.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptSpec {
    /// Template for one item; `{input}` is the item's input, `{<key>}` any string field of `meta`.
    #[serde(default = "default_template")]
    pub template: String,
    /// Text prepended once before the few-shot examples (lm-eval `description`). It is itself a template
    /// rendered against the evaluated item (so MMLU's per-subject description is one line), which means
    /// literal braces must be written `{{` and `}}`.
    #[serde(default)]
    pub description: String,
    /// Between a context and its continuation (lm-eval `target_delimiter`, default `" "`).
    #[serde(default = "default_target_delimiter")]
    pub target_delimiter: String,
    /// After each few-shot example (lm-eval `fewshot_delimiter`, default `"\n\n"`).
    #[serde(default = "default_fewshot_delimiter")]
    pub fewshot_delimiter: String,
    /// Wrap the rendered prompt as a single user turn of the model's chat template (generate suites).
    #[serde(default)]
    pub chat: bool,
}

fn default_template() -> String {
    "{input}".to_owned()
}
fn default_target_delimiter() -> String {
    " ".to_owned()
}
fn default_fewshot_delimiter() -> String {
    "\n\n".to_owned()
}

impl Default for PromptSpec {
    fn default() -> Self {
        Self {
            template: default_template(),
            description: String::new(),
            target_delimiter: default_target_delimiter(),
            fewshot_delimiter: default_fewshot_delimiter(),
            chat: false,
        }
    }
}

/// Few-shot rules. Selection is fixed (no RNG): the first `n` items of the few-shot pool, in file order,
/// which is lm-eval's `first_n` sampler.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FewShotSpec {
    /// Number of examples (0 = zero-shot).
    #[serde(default)]
    pub n: usize,
    /// Restrict examples to the same `group` as the evaluated item (MMLU uses its subject's dev set).
    #[serde(default)]
    pub same_group: bool,
}

/// Generation settings for `generate` suites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationSpec {
    /// Maximum number of new tokens.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// Stop sequences (generation ends before the first one; it is not part of the response).
    #[serde(default)]
    pub stop: Vec<String>,
    /// Sampling temperature; 0 means greedy.
    #[serde(default)]
    pub temperature: f64,
}

fn default_max_tokens() -> usize {
    256
}

impl Default for GenerationSpec {
    fn default() -> Self {
        Self {
            max_tokens: default_max_tokens(),
            stop: Vec::new(),
            temperature: 0.0,
        }
    }
}

/// The declarative part of a suite (everything but the items): pure data, no executable hooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteSpec {
    /// Suite file format version ([`SUITE_FORMAT`]).
    pub format: u32,
    /// Suite name (`[a-z0-9_-]+`).
    pub name: String,
    /// Suite version; bump it whenever items or rules change.
    pub version: String,
    /// One-paragraph description.
    #[serde(default)]
    pub description: String,
    /// How items are answered.
    pub output_type: OutputType,
    /// Prompt construction.
    #[serde(default)]
    pub prompt: PromptSpec,
    /// Few-shot rules.
    #[serde(default)]
    pub fewshot: FewShotSpec,
    /// Generation settings (ignored for multiple-choice suites).
    #[serde(default)]
    pub generation: GenerationSpec,
    /// Scorer names from the scorer registry (`substance-score`), e.g. `["acc", "acc_norm"]`.
    pub scorers: Vec<String>,
}

impl SuiteSpec {
    /// Check the invariants serde cannot express.
    pub fn validate(&self, context: &str) -> Result<(), CoreError> {
        let bad = |field: &str, message: String| CoreError::Invalid {
            context: context.to_owned(),
            field: field.to_owned(),
            message,
        };
        if self.format != SUITE_FORMAT {
            return Err(bad(
                "format",
                format!(
                    "unsupported suite format {} (expected {SUITE_FORMAT})",
                    self.format
                ),
            ));
        }
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(bad(
                "name",
                format!("`{}` must be non-empty [a-z0-9_-]", self.name),
            ));
        }
        if self.version.trim().is_empty() {
            return Err(bad("version", "must not be empty".into()));
        }
        if self.scorers.is_empty() {
            return Err(bad("scorers", "at least one scorer is required".into()));
        }
        if !(0.0..=10.0).contains(&self.generation.temperature) {
            return Err(bad(
                "generation.temperature",
                format!("{} is outside [0, 10]", self.generation.temperature),
            ));
        }
        Ok(())
    }
}

/// One IFEval-style verifiable instruction attached to an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instruction {
    /// Instruction id, e.g. `punctuation:no_comma`.
    pub id: String,
    /// Its arguments exactly as in IFEval's `kwargs` (an object; typed by `substance-ifeval`).
    #[serde(default = "empty_object")]
    pub kwargs: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// One benchmark item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable id, unique within the suite.
    pub id: String,
    /// The item's text as it enters the prompt template (lm-eval `doc_to_text`).
    pub input: String,
    /// Answer choices (multiple-choice suites), without the target delimiter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Indices of the correct choices (several → any counts; MC2 sums their probability).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gold: Vec<usize>,
    /// Reference answer of a generate item (exact-match scorers) or the target text of a few-shot example.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Subtask/subject this item belongs to (for size-weighted group aggregates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Verifiable instructions (IFEval).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instructions: Vec<Instruction>,
    /// Other fields: available to the template as `{key}` when they are strings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, Value>,
}

impl Item {
    /// SHA-256 of the item's canonical JSON.
    pub fn sha256(&self) -> Result<String, CoreError> {
        canonical_sha256(self)
    }

    /// Check the item against its suite's output type.
    pub fn validate(&self, output_type: OutputType, context: &str) -> Result<(), CoreError> {
        let bad = |field: &str, message: String| CoreError::Invalid {
            context: format!("{context}: item `{}`", self.id),
            field: field.to_owned(),
            message,
        };
        if self.id.is_empty() {
            return Err(bad("id", "must not be empty".into()));
        }
        match output_type {
            OutputType::MultipleChoice => {
                if self.choices.len() < 2 {
                    return Err(bad(
                        "choices",
                        format!(
                            "a multiple-choice item needs ≥ 2 choices, found {}",
                            self.choices.len()
                        ),
                    ));
                }
                if self.gold.is_empty() {
                    return Err(bad(
                        "gold",
                        "a multiple-choice item needs at least one gold index".into(),
                    ));
                }
                if let Some(g) = self.gold.iter().find(|g| **g >= self.choices.len()) {
                    return Err(bad(
                        "gold",
                        format!(
                            "index {g} is out of range for {} choices",
                            self.choices.len()
                        ),
                    ));
                }
            }
            OutputType::Generate => {}
        }
        for (i, ins) in self.instructions.iter().enumerate() {
            if !ins.kwargs.is_object() {
                return Err(bad(
                    &format!("instructions[{i}].kwargs"),
                    "must be an object".into(),
                ));
            }
        }
        Ok(())
    }
}

/// A suite: its declarative spec, its items and the pool few-shot examples are drawn from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    /// The declarative spec.
    pub spec: SuiteSpec,
    /// Evaluated items, in order.
    pub items: Vec<Item>,
    /// Few-shot pool (e.g. MMLU `dev`); empty for zero-shot suites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fewshot_pool: Vec<Item>,
}

/// Domain tag of the suite digest.
pub const SUITE_DIGEST_TAG: &str = "substance.suite/1";
/// Domain tag of a selection digest (the item hashes a receipt covers, in order).
pub const SELECTION_DIGEST_TAG: &str = "substance.selection/1";

impl Suite {
    /// Validate the spec and every item; a suite without items is refused (a 0-item suite would score
    /// 0 / 0).
    pub fn validate(&self, context: &str) -> Result<(), CoreError> {
        self.spec.validate(context)?;
        if self.items.is_empty() {
            return Err(CoreError::Invalid {
                context: context.to_owned(),
                field: "items".into(),
                message: "the suite has no items (no records in the input)".into(),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for item in &self.items {
            item.validate(self.spec.output_type, context)?;
            if !seen.insert(item.id.as_str()) {
                return Err(CoreError::Invalid {
                    context: context.to_owned(),
                    field: "id".into(),
                    message: format!("duplicate item id `{}`", item.id),
                });
            }
        }
        if self.spec.fewshot.n > 0
            && self.fewshot_pool.len() < self.spec.fewshot.n
            && !self.spec.fewshot.same_group
        {
            return Err(CoreError::Invalid {
                context: context.to_owned(),
                field: "fewshot.n".into(),
                message: format!(
                    "{} examples requested but the pool has {}",
                    self.spec.fewshot.n,
                    self.fewshot_pool.len()
                ),
            });
        }
        Ok(())
    }

    /// Hashes of every item, in order.
    pub fn item_hashes(&self) -> Result<Vec<String>, CoreError> {
        self.items.iter().map(Item::sha256).collect()
    }

    /// The suite digest: spec, few-shot pool and every item hash. Any change to data or rules changes it.
    pub fn sha256(&self) -> Result<String, CoreError> {
        let spec = canonical_sha256(&self.spec)?;
        let pool = canonical_sha256(&self.fewshot_pool)?;
        let items = self.item_hashes()?;
        Ok(list_digest(
            SUITE_DIGEST_TAG,
            [spec.as_str(), pool.as_str()]
                .into_iter()
                .chain(items.iter().map(String::as_str)),
        ))
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

/// The prompt exactly as sent to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Prompt {
    /// Log-likelihood requests `(context, continuation)`, one per choice (after the trailing-whitespace move).
    LogLikelihood {
        /// Shared context.
        context: String,
        /// One continuation per choice.
        continuations: Vec<String>,
    },
    /// Log-likelihood requests with one context per choice (lm-eval partial scoring, e.g. WinoGrande):
    /// `[context, continuation]` pairs in choice order, after the trailing-whitespace move.
    LogLikelihoodPairs {
        /// One `[context, continuation]` pair per choice.
        requests: Vec<[String; 2]>,
    },
    /// A plain completion prompt.
    Completion {
        /// The text.
        text: String,
    },
    /// A chat conversation (the model's chat template is applied by the model side).
    Chat {
        /// The messages.
        messages: Vec<Message>,
    },
}

/// Log-likelihood of one continuation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceLogLik {
    /// Sum of log-probabilities of the continuation tokens (natural log).
    pub ll: f64,
    /// Whether every continuation token was the argmax.
    pub is_greedy: bool,
    /// Number of continuation tokens, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_tokens: Option<usize>,
}

/// What a model returned for one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Response {
    /// Per-choice log-likelihoods (multiple-choice suites).
    LogLikelihood {
        /// One entry per choice, in choice order.
        choices: Vec<ChoiceLogLik>,
        /// Unconditional log-likelihoods `("", " " + choice)` when computed (for `acc_mutual_info`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unconditional: Option<Vec<f64>>,
    },
    /// Generated text (generate suites).
    Generation {
        /// The text, stop sequence excluded.
        text: String,
        /// Why generation ended (`stop`, `length`, …), when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        finish_reason: Option<String>,
    },
}

/// The outcome of one scorer on one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// The value that is aggregated (1/0 for accuracy, a probability for MC2…).
    pub value: f64,
    /// Weight in the aggregate mean (default 1). IFEval's instruction-level accuracy uses the number of
    /// instructions so the mean equals the flattened mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// The extracted answer (a choice index, a number, a verdict label…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Human-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Scorer-specific detail (e.g. IFEval per-instruction verdicts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

impl Score {
    /// A score with only a value.
    pub fn value(value: f64) -> Self {
        Self {
            value,
            weight: None,
            answer: None,
            explanation: None,
            metadata: None,
        }
    }
}

/// An aggregate of one metric over many items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    /// The (weighted) mean.
    pub value: f64,
    /// Standard error of the mean (sample std with ddof = 1 over √n; pooled for groups).
    pub stderr: f64,
    /// Number of items.
    pub n: usize,
    /// Normal 95% interval `value ± 1.96·stderr`.
    pub ci95: [f64; 2],
    /// Percentile-bootstrap 95% interval (seeded; seed in the receipt header), when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_ci95: Option<[f64; 2]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mc_item(id: &str) -> Item {
        Item {
            id: id.into(),
            input: "Q".into(),
            choices: vec!["a".into(), "b".into()],
            gold: vec![1],
            target: None,
            group: None,
            instructions: vec![],
            meta: BTreeMap::new(),
        }
    }

    fn suite() -> Suite {
        Suite {
            spec: SuiteSpec {
                format: 1,
                name: "t".into(),
                version: "1".into(),
                description: String::new(),
                output_type: OutputType::MultipleChoice,
                prompt: PromptSpec::default(),
                fewshot: FewShotSpec::default(),
                generation: GenerationSpec::default(),
                scorers: vec!["acc".into()],
            },
            items: vec![mc_item("a"), mc_item("b")],
            fewshot_pool: vec![],
        }
    }

    #[test]
    fn suite_hash_changes_with_any_item_or_rule() {
        let s = suite();
        let h = s.sha256().unwrap();
        let mut s2 = s.clone();
        s2.items[1].gold = vec![0];
        assert_ne!(h, s2.sha256().unwrap());
        let mut s3 = s.clone();
        s3.spec.prompt.target_delimiter = String::new();
        assert_ne!(h, s3.sha256().unwrap());
        assert_eq!(h, s.clone().sha256().unwrap());
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = suite();
        s.items[0].gold = vec![5];
        let e = s.validate("x.toml").unwrap_err().to_string();
        assert!(e.contains("gold") && e.contains("item `a`"), "{e}");
        let mut s = suite();
        s.items[1].id = "a".into();
        assert!(
            s.validate("x")
                .unwrap_err()
                .to_string()
                .contains("duplicate")
        );
        let mut s = suite();
        s.spec.name = "Bad Name".into();
        assert!(s.validate("x").unwrap_err().to_string().contains("name"));
    }

    #[test]
    fn response_json_shape() {
        let r = Response::Generation {
            text: "hi".into(),
            finish_reason: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"kind":"generation","text":"hi"}"#
        );
        let bad = serde_json::from_str::<Response>(r#"{"kind":"generation"}"#)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("text"), "{bad}");
    }
}
