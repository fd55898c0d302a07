//! Judge protocols: prompt sets, rendering of the judge messages for an item, verdict parsing and the
//! mapping of verdicts to 3-class outcomes. The endpoint client calls [`Judge::render`], sends the
//! messages, and hands the reply to [`Judge::parse`] (and, for Arena-Hard v0.1, asks again with
//! [`Judge::retry_message`] while [`Parsed::retry`] is set and [`Judge::max_attempts`] allows).

pub mod arena;
pub mod judgelm;
pub mod llmbar;
pub mod mt_bench;
pub mod sos;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use substance_core::Message;

use crate::label::{Preference, Verdict};
use crate::{ImportError, JudgeError, py};

pub use llmbar::LlmBarParsing;
pub use sos::FactorRegex;

/// Where a prompt text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptSource {
    /// Transcribed verbatim from SPEC.md.
    Spec,
    /// Substance's own wording of what SPEC describes (not the upstream text).
    #[default]
    Original,
    /// Loaded from a user-supplied file (e.g. the upstream prompts).
    User,
}

/// One judge prompt: an optional system message and a user-turn template in Python `str.format` syntax.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptTemplate {
    /// Name (FastChat's names for MT-Bench: `single-v1`, `pair-v2`, …).
    pub name: String,
    /// System message (may be empty).
    #[serde(default)]
    pub system: String,
    /// User-turn template.
    pub template: String,
    /// `pairwise` / `single` (FastChat's `type`), informational.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `general` / `math` (FastChat), informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The verdict format the prompt asks for (`[[rating]]`, `[[A]]`, `[[A>B]]`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<String>,
    /// Provenance of the text.
    #[serde(default)]
    pub source: PromptSource,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// The built-in prompt families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptFamily {
    /// Arena-Hard v0.1/v2 and the SOS five-factor template (`data/prompts/arena_hard.toml`).
    ArenaHard,
    /// MT-Bench's eight judge prompts (`data/prompts/mt_bench.toml`).
    MtBench,
    /// JudgeLM (`data/prompts/judgelm.toml`).
    JudgeLm,
}

const ARENA_TOML: &str = include_str!("../../data/prompts/arena_hard.toml");
const MT_BENCH_TOML: &str = include_str!("../../data/prompts/mt_bench.toml");
const JUDGELM_TOML: &str = include_str!("../../data/prompts/judgelm.toml");

/// A named collection of prompts, with the label of where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptSet {
    /// Where the set was loaded from (`builtin:arena_hard`, a file path…).
    pub origin: String,
    /// The prompts.
    pub prompts: Vec<PromptTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile {
    #[serde(default)]
    prompt: Vec<PromptTemplate>,
}

#[derive(Deserialize)]
struct FastChatPrompt {
    name: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    system_prompt: String,
    prompt_template: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    output_format: Option<String>,
}

impl PromptSet {
    /// The prompts shipped with the crate. Each carries its [`PromptSource`]; see the data files for which
    /// texts are SPEC transcriptions and which are substance's own wording.
    pub fn builtin(family: PromptFamily) -> PromptSet {
        let (text, origin) = match family {
            PromptFamily::ArenaHard => (ARENA_TOML, "builtin:arena_hard"),
            PromptFamily::MtBench => (MT_BENCH_TOML, "builtin:mt_bench"),
            PromptFamily::JudgeLm => (JUDGELM_TOML, "builtin:judgelm"),
        };
        // The shipped files are parsed by a unit test; an error here is a packaging bug, reported as an
        // empty set (rendering then fails with `UnknownPrompt` instead of panicking).
        PromptSet::from_toml(text, origin).unwrap_or_else(|_| PromptSet {
            origin: origin.to_owned(),
            prompts: Vec::new(),
        })
    }

    /// Read a prompt file in the crate's TOML layout (`[[prompt]]` tables with `name`, `system`,
    /// `template`, optional `output_format`, `type`, `category`, `source`, `description`).
    pub fn from_toml(text: &str, origin: &str) -> Result<PromptSet, ImportError> {
        let file: PromptFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            ImportError::Field {
                file: origin.to_owned(),
                line,
                field: "prompt".into(),
                message: e.message().to_owned(),
            }
        })?;
        let set = PromptSet {
            origin: origin.to_owned(),
            prompts: file.prompt,
        };
        set.check_unique()?;
        Ok(set)
    }

    /// Read FastChat's `judge_prompts.jsonl` (`{name, type, system_prompt, prompt_template, description,
    /// category, output_format}` per line), e.g. to judge MT-Bench with the exact upstream prompts.
    /// The reading policy of [`substance_core::input`] applies: an empty file, a line that is not an
    /// object and a member given twice are errors naming the file and line.
    pub fn from_fastchat_jsonl(text: &str, origin: &str) -> Result<PromptSet, ImportError> {
        let mut prompts = Vec::new();
        for (_, p) in substance_core::input::jsonl::<FastChatPrompt>(text, origin)? {
            prompts.push(PromptTemplate {
                name: p.name,
                system: p.system_prompt,
                template: p.prompt_template,
                kind: p.kind,
                category: p.category,
                output_format: p.output_format,
                source: PromptSource::User,
                description: p.description,
            });
        }
        let set = PromptSet {
            origin: origin.to_owned(),
            prompts,
        };
        set.check_unique()?;
        Ok(set)
    }

    fn check_unique(&self) -> Result<(), ImportError> {
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.prompts {
            if !seen.insert(p.name.as_str()) {
                return Err(ImportError::Field {
                    file: self.origin.clone(),
                    line: 0,
                    field: "name".into(),
                    message: format!("prompt `{}` is defined twice", p.name),
                });
            }
        }
        Ok(())
    }

    /// The prompt of this name.
    pub fn get(&self, name: &str) -> Result<&PromptTemplate, JudgeError> {
        self.prompts
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| JudgeError::UnknownPrompt {
                name: name.to_owned(),
                available: self
                    .prompts
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// This set with the prompts of `other` added, replacing those of the same name (e.g. the upstream
    /// Arena-Hard system prompt over the built-in one, keeping the built-in user template).
    pub fn overlay(mut self, other: PromptSet) -> PromptSet {
        for p in other.prompts {
            match self.prompts.iter_mut().find(|q| q.name == p.name) {
                Some(q) => *q = p,
                None => self.prompts.push(p),
            }
        }
        self.origin = format!("{} + {}", self.origin, other.origin);
        self
    }

    /// SHA-256 of the set's canonical JSON (for receipts: which exact prompts judged).
    pub fn sha256(&self) -> String {
        substance_core::hash::canonical_sha256(&self.prompts).unwrap_or_default()
    }
}

/// The second turn of a two-turn (MT-Bench) item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondTurn {
    /// The user's second question.
    pub question: String,
    /// Each assistant's second answer, in the same order as [`JudgeInput::answers`].
    pub answers: Vec<String>,
    /// The reference's second answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// What a judge is asked about: a question, one answer (single grading), two (pairwise) or more
/// (JudgeLM multi-answer), optionally a reference answer and a second turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgeInput {
    /// The user question (first turn).
    pub question: String,
    /// The answers, in the item's own order (A, B, …).
    pub answers: Vec<String>,
    /// Reference answer (first turn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Question category (selects MT-Bench's reference-guided prompts and Arena-Hard v2's creative
    /// writing prompt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Second turn, for multi-turn grading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_turn: Option<SecondTurn>,
}

/// One presentation of an item to the judge. `swapped` = the answers are shown in reverse order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Game {
    /// 0 for the first game, 1 for the second.
    pub index: usize,
    /// Whether the answers are shown in reverse order.
    pub swapped: bool,
}

impl Game {
    /// The first game, answers in order.
    pub const FIRST: Game = Game {
        index: 0,
        swapped: false,
    };
    /// The second game, answers swapped.
    pub const SWAPPED: Game = Game {
        index: 1,
        swapped: true,
    };
}

/// Messages for one game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendered {
    /// Name of the prompt template used.
    pub prompt_name: String,
    /// The chat messages (system first when the prompt has one).
    pub messages: Vec<Message>,
    /// For completion-style judges (JudgeLM): the full prompt text ending in `### Response:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<String>,
}

/// The parser's result for one judge reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parsed {
    /// The verdict, in the presented orientation; `None` when the reference parser finds none.
    pub verdict: Option<Verdict>,
    /// Arena-Hard v0.1 / SOS: no label at all, so the reference asks the judge again.
    pub retry: bool,
}

/// A judge protocol: which prompts, which parser, which outcome rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "protocol")]
pub enum JudgeProtocol {
    /// Arena-Hard-Auto v0.1: two games, five labels, single-distinct-match parser with retry.
    ArenaHardV01,
    /// Arena-Hard-Auto v2: two games, last match on upper-cased text, ten accepted labels.
    ArenaHardV2,
    /// SOS-Bench five-factor template on the v0.1 pipeline.
    SosFactors {
        /// Which factor regexes to apply.
        regex: FactorRegex,
    },
    /// MT-Bench single-answer grading, `[[rating]]`.
    MtBenchSingle,
    /// MT-Bench pairwise, `[[A]]`/`[[B]]`/`[[C]]`, two games.
    MtBenchPair,
    /// MT-Bench pairwise with the `[[rating_a,rating_b]]` output format (needs a user prompt set that
    /// asks for it), two games.
    MtBenchPairScores,
    /// JudgeLM: scores on the first line, optional reference, any number of answers.
    JudgeLm,
    /// LLMBar's parsers (parse only: LLMBar's prompts are not shipped).
    LlmBar {
        /// Which evaluator family's patterns.
        parsing: LlmBarParsing,
    },
}

impl JudgeProtocol {
    /// Every protocol, for listings.
    pub const ALL: [JudgeProtocol; 10] = [
        JudgeProtocol::ArenaHardV01,
        JudgeProtocol::ArenaHardV2,
        JudgeProtocol::SosFactors {
            regex: FactorRegex::Sos2024,
        },
        JudgeProtocol::SosFactors {
            regex: FactorRegex::Sos2025,
        },
        JudgeProtocol::MtBenchSingle,
        JudgeProtocol::MtBenchPair,
        JudgeProtocol::MtBenchPairScores,
        JudgeProtocol::JudgeLm,
        JudgeProtocol::LlmBar {
            parsing: LlmBarParsing::Vanilla,
        },
        JudgeProtocol::LlmBar {
            parsing: LlmBarParsing::Cot,
        },
    ];

    /// Stable name (`arena-hard-v0.1`, `mt-bench-pair`, …), the inverse of `FromStr`.
    pub fn name(self) -> &'static str {
        match self {
            JudgeProtocol::ArenaHardV01 => "arena-hard-v0.1",
            JudgeProtocol::ArenaHardV2 => "arena-hard-v2",
            JudgeProtocol::SosFactors {
                regex: FactorRegex::Sos2024,
            } => "sos-factors",
            JudgeProtocol::SosFactors {
                regex: FactorRegex::Sos2025,
            } => "sos-factors-2025",
            JudgeProtocol::MtBenchSingle => "mt-bench-single",
            JudgeProtocol::MtBenchPair => "mt-bench-pair",
            JudgeProtocol::MtBenchPairScores => "mt-bench-pair-scores",
            JudgeProtocol::JudgeLm => "judgelm",
            JudgeProtocol::LlmBar {
                parsing: LlmBarParsing::Vanilla,
            } => "llmbar-vanilla",
            JudgeProtocol::LlmBar {
                parsing: LlmBarParsing::Cot,
            } => "llmbar-cot",
        }
    }

    /// The built-in prompt family this protocol renders with (`None` for parse-only protocols).
    pub fn family(self) -> Option<PromptFamily> {
        match self {
            JudgeProtocol::ArenaHardV01
            | JudgeProtocol::ArenaHardV2
            | JudgeProtocol::SosFactors { .. } => Some(PromptFamily::ArenaHard),
            JudgeProtocol::MtBenchSingle
            | JudgeProtocol::MtBenchPair
            | JudgeProtocol::MtBenchPairScores => Some(PromptFamily::MtBench),
            JudgeProtocol::JudgeLm => Some(PromptFamily::JudgeLm),
            JudgeProtocol::LlmBar { .. } => None,
        }
    }

    /// Whether the protocol compares answers (as opposed to grading one).
    pub fn is_pairwise(self) -> bool {
        !matches!(self, JudgeProtocol::MtBenchSingle)
    }
}

impl fmt::Display for JudgeProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for JudgeProtocol {
    type Err = JudgeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JudgeProtocol::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| JudgeError::UnknownLabel {
                what: "protocol",
                label: s.to_owned(),
            })
    }
}

/// A protocol together with the prompts it renders with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judge {
    /// The protocol.
    pub protocol: JudgeProtocol,
    /// Its prompts.
    pub prompts: PromptSet,
}

fn message(role: &str, content: String) -> Message {
    Message {
        role: role.to_owned(),
        content,
    }
}

impl Judge {
    /// The protocol with its built-in prompts.
    pub fn new(protocol: JudgeProtocol) -> Judge {
        let prompts = match protocol.family() {
            Some(f) => PromptSet::builtin(f),
            None => PromptSet {
                origin: "none".into(),
                prompts: Vec::new(),
            },
        };
        Judge { protocol, prompts }
    }

    /// The protocol with other prompts (e.g. the upstream texts loaded from a file).
    pub fn with_prompts(protocol: JudgeProtocol, prompts: PromptSet) -> Judge {
        Judge { protocol, prompts }
    }

    fn bad(&self, message: impl Into<String>) -> JudgeError {
        JudgeError::BadInput {
            protocol: self.protocol.name(),
            message: message.into(),
        }
    }

    /// The games the reference plays per item: two (answers swapped in the second) for Arena-Hard, SOS
    /// and MT-Bench pairwise; one for single grading and JudgeLM (whose swap-consistency pass is
    /// [`Game::SWAPPED`], rendered on request).
    pub fn games(&self) -> Vec<Game> {
        match self.protocol {
            JudgeProtocol::ArenaHardV01
            | JudgeProtocol::ArenaHardV2
            | JudgeProtocol::SosFactors { .. }
            | JudgeProtocol::MtBenchPair
            | JudgeProtocol::MtBenchPairScores
            | JudgeProtocol::LlmBar { .. } => vec![Game::FIRST, Game::SWAPPED],
            JudgeProtocol::MtBenchSingle | JudgeProtocol::JudgeLm => vec![Game::FIRST],
        }
    }

    /// How many judge calls one game may take (Arena-Hard v0.1 and SOS retry once when no label).
    pub fn max_attempts(&self) -> usize {
        match self.protocol {
            JudgeProtocol::ArenaHardV01 | JudgeProtocol::SosFactors { .. } => {
                arena::V01_MAX_ATTEMPTS
            }
            _ => 1,
        }
    }

    fn ordered<'a>(
        &self,
        answers: &'a [String],
        game: Game,
        want: usize,
    ) -> Result<Vec<&'a str>, JudgeError> {
        if answers.len() != want {
            return Err(self.bad(format!(
                "expects {want} answer(s), the input has {}",
                answers.len()
            )));
        }
        let mut v: Vec<&str> = answers.iter().map(String::as_str).collect();
        if game.swapped {
            v.reverse();
        }
        Ok(v)
    }

    /// Render the judge messages for one game of an item.
    pub fn render(&self, input: &JudgeInput, game: Game) -> Result<Rendered, JudgeError> {
        match self.protocol {
            JudgeProtocol::ArenaHardV01
            | JudgeProtocol::ArenaHardV2
            | JudgeProtocol::SosFactors { .. } => {
                let ab = self.ordered(&input.answers, game, 2)?;
                let system_name = match self.protocol {
                    JudgeProtocol::SosFactors { .. } => "sos-factors-system",
                    JudgeProtocol::ArenaHardV2
                        if input.category.as_deref() == Some("creative_writing") =>
                    {
                        "arena-hard-system-creative"
                    }
                    _ => "arena-hard-system",
                };
                let system = self.prompts.get(system_name)?;
                let user = self.prompts.get("arena-hard-user")?;
                let fields = BTreeMap::from([
                    ("QUESTION", input.question.as_str()),
                    ("ANSWER_A", ab[0]),
                    ("ANSWER_B", ab[1]),
                ]);
                let content = py::format(&user.template, &user.name, &fields)?;
                Ok(Rendered {
                    prompt_name: system_name.to_owned(),
                    messages: vec![
                        message("system", system.template.clone()),
                        message("user", content),
                    ],
                    completion: None,
                })
            }
            JudgeProtocol::MtBenchSingle
            | JudgeProtocol::MtBenchPair
            | JudgeProtocol::MtBenchPairScores => self.render_mt_bench(input, game),
            JudgeProtocol::JudgeLm => self.render_judgelm(input, game),
            JudgeProtocol::LlmBar { .. } => Err(self.bad(
                "LLMBar's prompts are not shipped; this protocol only parses recorded outputs",
            )),
        }
    }

    fn render_mt_bench(&self, input: &JudgeInput, game: Game) -> Result<Rendered, JudgeError> {
        let pairwise = self.protocol.is_pairwise();
        let n = if pairwise { 2 } else { 1 };
        let first = self.ordered(&input.answers, game, n)?;
        let multi = input.second_turn.is_some();
        let name = mt_bench::prompt_name(pairwise, input.category.as_deref(), multi);
        let tpl = self.prompts.get(&name)?;
        let mut owned: Vec<(String, String)> = Vec::new();
        let mut put = |k: &str, v: &str| owned.push((k.to_owned(), v.to_owned()));
        match &input.second_turn {
            None => {
                put("question", &input.question);
                if pairwise {
                    put("answer_a", first[0]);
                    put("answer_b", first[1]);
                } else {
                    put("answer", first[0]);
                }
                if let Some(r) = &input.reference {
                    put("ref_answer_1", r);
                }
            }
            Some(t2) => {
                let second = self.ordered(&t2.answers, game, n)?;
                put("question_1", &input.question);
                put("question_2", &t2.question);
                if pairwise {
                    put("answer_a_1", first[0]);
                    put("answer_b_1", first[1]);
                    put("answer_a_2", second[0]);
                    put("answer_b_2", second[1]);
                } else {
                    put("answer_1", first[0]);
                    put("answer_2", second[0]);
                }
                if let Some(r) = &input.reference {
                    put("ref_answer_1", r);
                }
                if let Some(r) = &t2.reference {
                    put("ref_answer_2", r);
                }
            }
        }
        let fields: BTreeMap<&str, &str> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let content = py::format(&tpl.template, &tpl.name, &fields)?;
        let mut messages = Vec::with_capacity(2);
        if !tpl.system.is_empty() {
            messages.push(message("system", tpl.system.clone()));
        }
        messages.push(message("user", content));
        Ok(Rendered {
            prompt_name: name,
            messages,
            completion: None,
        })
    }

    fn render_judgelm(&self, input: &JudgeInput, game: Game) -> Result<Rendered, JudgeError> {
        if input.answers.len() < 2 {
            return Err(self.bad(format!(
                "expects at least 2 answers, the input has {} (single-answer grading: put the reference \
                 in as Assistant 1 and use judgelm::completion_prompt with a prefill)",
                input.answers.len()
            )));
        }
        let mut answers: Vec<&str> = input.answers.iter().map(String::as_str).collect();
        if game.swapped {
            answers.reverse();
        }
        let multi = answers.len() > 2;
        let name = match (multi, input.reference.is_some()) {
            (false, false) => "judgelm-pair",
            (false, true) => "judgelm-pair-reference",
            (true, false) => "judgelm-multi",
            (true, true) => "judgelm-multi-reference",
        };
        let tpl = self.prompts.get(name)?;
        let n = answers.len().to_string();
        let fields = BTreeMap::from([("n", n.as_str())]);
        let prompt = py::format(&tpl.template, &tpl.name, &fields)?;
        let text = judgelm::layout(
            &input.question,
            input.reference.as_deref(),
            &answers,
            &prompt,
        );
        let system = self.prompts.get("judgelm-system")?;
        Ok(Rendered {
            prompt_name: name.to_owned(),
            completion: Some(judgelm::completion_prompt(&text, None)),
            messages: vec![
                message("system", system.template.clone()),
                message("user", text),
            ],
        })
    }

    /// Parse a judge reply (JudgeLM: assuming two answers; see [`Judge::parse_with`]).
    pub fn parse(&self, text: &str) -> Parsed {
        self.parse_with(text, 2)
    }

    /// Parse a judge reply; `n_answers` is the number of scores JudgeLM must emit.
    pub fn parse_with(&self, text: &str, n_answers: usize) -> Parsed {
        let plain = |verdict: Option<Verdict>| Parsed {
            verdict,
            retry: false,
        };
        match self.protocol {
            JudgeProtocol::ArenaHardV01 => {
                let p = arena::parse_v01(text);
                Parsed {
                    verdict: p.label.map(|label| Verdict::Arena { label }),
                    retry: p.retry,
                }
            }
            JudgeProtocol::ArenaHardV2 => {
                plain(arena::parse_v2(text).map(|label| Verdict::Arena { label }))
            }
            JudgeProtocol::SosFactors { regex } => {
                let p = arena::parse_v01(text);
                Parsed {
                    verdict: Some(Verdict::Factors {
                        overall: p.label,
                        factors: sos::extract_factors(text, regex),
                    }),
                    retry: p.retry,
                }
            }
            JudgeProtocol::MtBenchSingle => {
                plain(mt_bench::parse_rating(text).map(|rating| Verdict::Rating { rating }))
            }
            JudgeProtocol::MtBenchPair => {
                plain(mt_bench::parse_pair(text).map(Verdict::preference_of))
            }
            JudgeProtocol::MtBenchPairScores => plain(
                mt_bench::parse_two_scores(text).map(|s| Verdict::Scores { scores: s.to_vec() }),
            ),
            JudgeProtocol::JudgeLm => plain(
                judgelm::parse_scores(text, n_answers).map(|scores| Verdict::Scores { scores }),
            ),
            JudgeProtocol::LlmBar { parsing } => {
                plain(llmbar::parse(text, parsing).map(Verdict::preference_of))
            }
        }
    }

    /// The extra user turn to send after an unlabeled reply (Arena-Hard v0.1 and SOS only).
    pub fn retry_message(&self, parsed: &Parsed) -> Option<Message> {
        (parsed.retry && self.max_attempts() > 1)
            .then(|| message("user", arena::RETRY_PROMPT.to_owned()))
    }

    /// The 3-class outcome of one game in the presented orientation, with each reference's rule:
    /// v0.1 and SOS keep only the five v0.1 labels; v2 accepts all ten spellings; MT-Bench pairwise maps
    /// `[[A]]/[[B]]/[[C]]` (two-score: tie within 0.1); JudgeLM turns a missing verdict into a tie (its
    /// `[-1, -1]` sentinel); single grading has no pairwise outcome.
    pub fn preference(&self, verdict: Option<&Verdict>) -> Option<Preference> {
        match self.protocol {
            JudgeProtocol::ArenaHardV01 | JudgeProtocol::SosFactors { .. } => verdict?
                .arena_label()
                .filter(|l| l.is_v01())
                .map(|l| l.preference()),
            JudgeProtocol::ArenaHardV2 => verdict?.arena_label().map(|l| l.preference()),
            JudgeProtocol::MtBenchSingle => None,
            JudgeProtocol::MtBenchPair | JudgeProtocol::LlmBar { .. } => match verdict? {
                Verdict::Preference { winner } => Some(*winner),
                _ => None,
            },
            JudgeProtocol::MtBenchPairScores => match verdict? {
                Verdict::Scores { scores } if scores.len() == 2 => {
                    Some(mt_bench::compare_ratings(scores[0], scores[1]))
                }
                _ => None,
            },
            JudgeProtocol::JudgeLm => match verdict {
                None => Some(Preference::Tie),
                Some(Verdict::Scores { scores }) if scores.len() == 2 => {
                    Some(judgelm::win_label(scores[0], scores[1], 0.0))
                }
                Some(_) => None,
            },
        }
    }
}

/// What to do after recording a judge reply in a [`Conversation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Step {
    /// Send [`Conversation::messages`] again (the reply and the retry turn were appended).
    Continue,
    /// Finished: the verdict as the reference records it.
    Done(Parsed),
}

/// One game's exchange with the judge, reproducing the reference's attempt loop: Arena-Hard v0.1 (and
/// SOS) append the judge's reply as an assistant turn and the retry user turn while no label was found,
/// up to two attempts, and parse the replies joined as `"\n" + reply₁ + "\n" + reply₂`; every other
/// protocol makes one attempt and parses the reply as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    judge: Judge,
    messages: Vec<Message>,
    judgment: String,
    attempts: usize,
    n_answers: usize,
}

impl Conversation {
    /// The messages to send now.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The judgment text as the reference records it (accumulated replies for v0.1).
    pub fn judgment(&self) -> &str {
        &self.judgment
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> usize {
        self.attempts
    }

    /// Record the judge's reply to [`Self::messages`].
    pub fn record(&mut self, reply: &str) -> Step {
        self.attempts += 1;
        let retrying = self.judge.max_attempts() > 1;
        if retrying {
            arena::accumulate(&mut self.judgment, reply);
        } else {
            self.judgment = reply.to_owned();
        }
        let parsed = self.judge.parse_with(&self.judgment, self.n_answers);
        if retrying {
            self.messages.push(message("assistant", reply.to_owned()));
        }
        match self.judge.retry_message(&parsed) {
            Some(m) if self.attempts < self.judge.max_attempts() => {
                self.messages.push(m);
                Step::Continue
            }
            _ => Step::Done(parsed),
        }
    }
}

impl Judge {
    /// Start one game's exchange with the judge.
    pub fn conversation(&self, input: &JudgeInput, game: Game) -> Result<Conversation, JudgeError> {
        let rendered = self.render(input, game)?;
        Ok(Conversation {
            judge: self.clone(),
            messages: rendered.messages,
            judgment: String::new(),
            attempts: 0,
            n_answers: input.answers.len(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn input() -> JudgeInput {
        JudgeInput {
            question: "What is 2+2?".into(),
            answers: vec!["4".into(), "5".into()],
            reference: Some("4".into()),
            category: Some("math".into()),
            second_turn: None,
        }
    }

    #[test]
    fn builtin_prompt_files_parse() {
        for f in [
            PromptFamily::ArenaHard,
            PromptFamily::MtBench,
            PromptFamily::JudgeLm,
        ] {
            let set = PromptSet::from_toml(
                match f {
                    PromptFamily::ArenaHard => ARENA_TOML,
                    PromptFamily::MtBench => MT_BENCH_TOML,
                    PromptFamily::JudgeLm => JUDGELM_TOML,
                },
                "t",
            )
            .unwrap();
            assert!(!set.prompts.is_empty());
            assert_eq!(
                set,
                PromptSet {
                    origin: "t".into(),
                    ..PromptSet::builtin(f)
                }
            );
        }
        let mt = PromptSet::builtin(PromptFamily::MtBench);
        assert_eq!(mt.prompts.len(), 8);
        assert!(
            mt.prompts
                .iter()
                .all(|p| p.source == PromptSource::Original)
        );
        let ah = PromptSet::builtin(PromptFamily::ArenaHard);
        assert_eq!(
            ah.get("arena-hard-user").unwrap().source,
            PromptSource::Spec
        );
        assert_eq!(
            ah.get("arena-hard-retry").unwrap().template,
            arena::RETRY_PROMPT
        );
    }

    #[test]
    fn arena_games_swap_answers() {
        let j = Judge::new(JudgeProtocol::ArenaHardV01);
        let g = j.games();
        assert_eq!(g, vec![Game::FIRST, Game::SWAPPED]);
        let r0 = j.render(&input(), g[0]).unwrap();
        let r1 = j.render(&input(), g[1]).unwrap();
        assert_eq!(r0.messages[0].role, "system");
        assert!(r0.messages[1].content.starts_with(
            "<|User Prompt|>\nWhat is 2+2?\n\n<|The Start of Assistant A's Answer|>\n4\n"
        ));
        let parts = arena::split_user_prompt(&r1.messages[1].content).unwrap();
        assert_eq!(
            (parts.answer_a.as_str(), parts.answer_b.as_str()),
            ("5", "4")
        );
        let p = j.parse("thinking...");
        assert!(p.retry);
        assert_eq!(j.retry_message(&p).unwrap().content, arena::RETRY_PROMPT);
        let p = j.parse("verdict [[A<B]]");
        assert_eq!(j.preference(p.verdict.as_ref()), None);
        let j2 = Judge::new(JudgeProtocol::ArenaHardV2);
        assert_eq!(
            j2.preference(j2.parse("verdict [[a<b]]").verdict.as_ref()),
            Some(Preference::B)
        );
        assert!(j2.retry_message(&j2.parse("none")).is_none());
        let mut creative = input();
        creative.category = Some("creative_writing".into());
        assert_eq!(
            j2.render(&creative, Game::FIRST).unwrap().prompt_name,
            "arena-hard-system-creative"
        );
    }

    #[test]
    fn mt_bench_rendering() {
        let j = Judge::new(JudgeProtocol::MtBenchPair);
        let r = j.render(&input(), Game::SWAPPED).unwrap();
        assert_eq!(r.prompt_name, "pair-math-v1");
        let user = &r.messages.last().unwrap().content;
        assert!(user.find("5").unwrap() < user.rfind("4").unwrap());
        let mut no_ref = input();
        no_ref.reference = None;
        assert!(matches!(
            j.render(&no_ref, Game::FIRST),
            Err(JudgeError::MissingField { .. })
        ));
        let single = Judge::new(JudgeProtocol::MtBenchSingle);
        assert!(single.render(&input(), Game::FIRST).is_err()); // two answers
        let mut one = input();
        one.answers.truncate(1);
        one.second_turn = Some(SecondTurn {
            question: "And 3+3?".into(),
            answers: vec!["6".into()],
            reference: Some("6".into()),
        });
        let r = single.render(&one, Game::FIRST).unwrap();
        assert_eq!(r.prompt_name, "single-math-v1-multi-turn");
        assert!(r.messages.last().unwrap().content.contains("And 3+3?"));
        assert_eq!(
            single.parse("Rating: [[8]]").verdict,
            Some(Verdict::Rating { rating: 8.0 })
        );
    }

    #[test]
    fn judgelm_rendering_and_outcomes() {
        let j = Judge::new(JudgeProtocol::JudgeLm);
        let r = j.render(&input(), Game::FIRST).unwrap();
        assert_eq!(r.prompt_name, "judgelm-pair-reference");
        let c = r.completion.unwrap();
        assert!(c.starts_with("[Question]\nWhat is 2+2?\n\n[Reference Answer]\n4\n\n"));
        assert!(c.ends_with("\n\n### Response:"));
        let mut three = input();
        three.answers.push("four".into());
        three.reference = None;
        let r = j.render(&three, Game::FIRST).unwrap();
        assert_eq!(r.prompt_name, "judgelm-multi");
        assert!(r.messages[1].content.contains("3 AI assistants"));
        assert_eq!(j.preference(None), Some(Preference::Tie));
        assert_eq!(
            j.preference(j.parse("3 9\n").verdict.as_ref()),
            Some(Preference::B)
        );
        assert_eq!(
            j.parse_with("3 9 4", 3).verdict,
            Some(Verdict::Scores {
                scores: vec![3.0, 9.0, 4.0]
            })
        );
    }

    #[test]
    fn protocol_names_round_trip() {
        for p in JudgeProtocol::ALL {
            assert_eq!(p.name().parse::<JudgeProtocol>().unwrap(), p);
        }
        assert!("nope".parse::<JudgeProtocol>().is_err());
    }

    #[test]
    fn sos_parse() {
        let j = Judge::new(JudgeProtocol::SosFactors {
            regex: FactorRegex::Sos2024,
        });
        let p = j.parse(
            "Correctness: ((A>>B)). Completeness: ((A=B)). My final verdict is tie: [[A=B]]",
        );
        match p.verdict.unwrap() {
            Verdict::Factors { overall, factors } => {
                assert_eq!(overall.as_deref(), Some("A=B"));
                assert_eq!(factors[&crate::Factor::Correctness], "A>>B");
                assert_eq!(factors[&crate::Factor::Style], "");
            }
            v => panic!("{v:?}"),
        }
        let r = j.render(&input(), Game::FIRST).unwrap();
        assert_eq!(r.prompt_name, "sos-factors-system");
    }

    #[test]
    fn fastchat_prompt_file_layout() {
        let line = r#"{"name": "single-v1", "type": "single", "system_prompt": "S", "prompt_template": "Q={question} A={answer}", "description": "d", "category": "general", "output_format": "[[rating]]"}"#;
        let set = PromptSet::from_fastchat_jsonl(line, "judge_prompts.jsonl").unwrap();
        let j = Judge::with_prompts(JudgeProtocol::MtBenchSingle, set);
        let mut one = input();
        one.answers.truncate(1);
        one.category = None;
        let r = j.render(&one, Game::FIRST).unwrap();
        assert_eq!(r.messages[0].content, "S");
        assert_eq!(r.messages[1].content, "Q=What is 2+2? A=4");
        let e = PromptSet::from_fastchat_jsonl("{\"name\": 1}", "f.jsonl").unwrap_err();
        assert!(e.to_string().starts_with("f.jsonl: line 1:"), "{e}");
        // the reading policy: no records, a line that is not an object, a member given twice
        for (bad, want) in [
            ("", "no records"),
            ("[1]\n", "line 1"),
            ("{\"name\": \"a\", \"name\": \"b\"}\n", "name"),
        ] {
            let e = PromptSet::from_fastchat_jsonl(bad, "f.jsonl").unwrap_err();
            assert!(e.to_string().contains(want), "{bad:?}: {e}");
        }
    }

    #[test]
    fn v01_retry_conversation() {
        let j = Judge::new(JudgeProtocol::ArenaHardV01);
        let mut c = j.conversation(&input(), Game::FIRST).unwrap();
        assert_eq!(c.messages().len(), 2);
        assert_eq!(c.record("Let me think."), Step::Continue);
        assert_eq!(c.messages().len(), 4);
        assert_eq!(c.messages()[2].role, "assistant");
        assert_eq!(c.messages()[3].content, arena::RETRY_PROMPT);
        let Step::Done(p) = c.record("Final: [[A>B]]") else {
            panic!()
        };
        assert_eq!(
            p.verdict,
            Some(Verdict::Arena {
                label: "A>B".into()
            })
        );
        assert_eq!(c.judgment(), "\nLet me think.\nFinal: [[A>B]]");
        // Two unlabeled replies: done without a verdict (retry flag still set, as recorded upstream).
        let mut c = j.conversation(&input(), Game::FIRST).unwrap();
        assert_eq!(c.record("a"), Step::Continue);
        let Step::Done(p) = c.record("b") else {
            panic!()
        };
        assert!(p.verdict.is_none() && p.retry);
        assert_eq!(c.attempts(), 2);
        // Other protocols: one attempt, the reply as is.
        let j = Judge::new(JudgeProtocol::JudgeLm);
        let mut c = j.conversation(&input(), Game::FIRST).unwrap();
        let Step::Done(p) = c.record("nothing") else {
            panic!()
        };
        assert_eq!(p.verdict, None);
        assert_eq!(c.judgment(), "nothing");
    }
}
