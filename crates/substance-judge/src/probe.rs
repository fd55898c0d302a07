//! Bias probes: pure, seeded perturbations of a judged pair (SPEC §3 JudgeLM biases, SOS-Bench's
//! style-over-substance hypothesis). Each probe is `(pair, seed) → Perturbed`: the perturbed pair, a
//! [`ProbeRecord`] (probe name, parameters, the seeded choices it made, the seed) for receipts, a
//! one-line description and token-level diffs of every changed field for highlighting.
//!
//! | probe | what changes | gold label |
//! |---|---|---|
//! | [`Probe::PositionSwap`] | answers A and B exchanged | mirrored |
//! | [`Probe::VerbosityPadding`] | content-free filler sentences ([`FILLERS`], original text) added to one answer | kept |
//! | [`Probe::MarkdownRestyle`] | a header, bullets and bold added to one answer; words unchanged | kept |
//! | [`Probe::SubstanceCorruption`] | one number digit, one named entity (all its mentions) or one negation changed in one answer; layout unchanged | kept only if it favoured the other answer |
//! | [`Probe::StyleOverSubstance`] | one answer X becomes the pair (X, restyled(corrupted(X))) in seeded order | the plain X |
//! | [`Probe::ReferenceDrop`] / [`Probe::ReferenceSupport`] | reference removed / attached (JudgeLM) | kept |
//! | [`Probe::ReferenceDropRandom`] | JudgeLM's training-time drop: removed with probability `p` | kept |
//!
//! Randomness: [`substance_metrics::bootstrap::rng_from_seed`] (ChaCha8 from the `u64` seed) and its
//! integer sampler [`substance_metrics::bootstrap::uniform_index`], so a seed gives the same perturbation
//! on every platform and in the browser. Per-item seeds for a dataset come from [`item_seed`].
//!
//! Perturbed pairs carry no verdicts (the recorded ones judged the original texts).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rand_chacha::ChaCha8Rng;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use substance_metrics::bootstrap::{rng_from_seed, uniform_index};

use crate::JudgeError;
use crate::diff::{Span, diff};
use crate::label::{Preference, Side, Verdict};
use crate::pair::JudgedPair;

/// Version of the probe definitions; bump when any probe's output for a given seed changes.
pub const PROBE_VERSION: u32 = 1;

/// Content-free filler sentences used by verbosity padding (substance's own text): they add length,
/// politeness and structure words, never information about the question.
pub const FILLERS: [&str; 24] = [
    "I hope this explanation is helpful.",
    "Please let me know if anything here needs further clarification.",
    "This is a great question, and it deserves a careful answer.",
    "Taking each point in turn makes the overall picture easier to follow.",
    "It is worth keeping the broader context in mind while reading this.",
    "As always, the details matter, so it helps to read carefully.",
    "With that in mind, the answer above should give a clear picture.",
    "Feel free to ask a follow-up question if you would like more detail on any part.",
    "Thinking about the question step by step is usually the most reliable approach.",
    "In short, the points above summarise the main idea.",
    "Many people find this topic interesting once they look into it.",
    "Each of these points can be explored further if needed.",
    "It is always a good idea to double-check important information.",
    "Hopefully this gives you a useful starting point.",
    "There is a lot that could be said here, but the essentials are covered above.",
    "Understanding the question well is the first step toward a good answer.",
    "The explanation above aims to be both accurate and easy to follow.",
    "Different readers may find different parts of this answer most useful.",
    "Let us keep the focus on what the question actually asks.",
    "This should address the main points raised in the question.",
    "Clarity and care are important when discussing a topic like this.",
    "The answer can be summarised in a few simple points.",
    "Happy to help with anything else related to this topic.",
    "Good questions like this one often lead to interesting discussions.",
];

/// Content-free section titles used by markdown restyling.
pub const HEADERS: [&str; 6] = [
    "Overview",
    "Answer",
    "Summary",
    "Details",
    "Explanation",
    "Key Points",
];

/// Named-entity swap groups used by substance corruption: an entity is replaced by another of its group.
pub const ENTITY_GROUPS: [&[&str]; 8] = [
    &[
        "Paris", "London", "Berlin", "Madrid", "Rome", "Tokyo", "Beijing", "Ottawa", "Canberra",
        "Moscow", "Cairo", "Vienna",
    ],
    &[
        "France",
        "Germany",
        "Spain",
        "Italy",
        "Japan",
        "China",
        "Canada",
        "Australia",
        "Brazil",
        "India",
        "Mexico",
        "Egypt",
    ],
    &[
        "Einstein",
        "Newton",
        "Darwin",
        "Curie",
        "Shakespeare",
        "Mozart",
        "Beethoven",
        "Galileo",
        "Edison",
        "Tesla",
        "Picasso",
        "Napoleon",
    ],
    &[
        "Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune",
    ],
    &[
        "oxygen", "hydrogen", "nitrogen", "carbon", "helium", "iron", "sodium", "calcium",
    ],
    &[
        "January",
        "February",
        "March",
        "April",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    &[
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    &[
        "Africa",
        "Asia",
        "Europe",
        "Antarctica",
        "Australia",
        "North America",
        "South America",
    ],
];

/// A per-item seed: SplitMix64 of the base seed mixed with the FNV-1a hash of the item id, so probes on
/// a dataset are reproducible item by item and independent of item order.
pub fn item_seed(base: u64, item_id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in item_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = base ^ h;
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn pick(rng: &mut ChaCha8Rng, n: usize) -> usize {
    // n ≥ 1 at every call site; the result is < n, so the narrowing cast is lossless.
    uniform_index(rng, n as u64) as usize
}

/// Where padding goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// A filler paragraph after the answer.
    End,
    /// A filler paragraph before the answer.
    Start,
    /// Each filler sentence as its own paragraph at a seeded paragraph boundary.
    Interleave,
}

/// What a substance corruption changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorruptionKind {
    /// One digit of one number.
    Number,
    /// One named entity (every mention) swapped for another of its group.
    Entity,
    /// One negation inserted or removed.
    Negation,
}

/// Markdown restyling options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestyleOptions {
    /// Prepend a `## <title>` header with a content-free title.
    pub header: bool,
    /// Turn multi-sentence prose paragraphs into bullet lists (one sentence per bullet).
    pub bullets: bool,
    /// Bold the first words of some paragraphs/bullets.
    pub bold: bool,
}

impl Default for RestyleOptions {
    fn default() -> Self {
        RestyleOptions {
            header: true,
            bullets: true,
            bold: true,
        }
    }
}

/// A probe and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "probe", rename_all = "snake_case")]
pub enum Probe {
    /// Exchange answers A and B.
    PositionSwap,
    /// Add `sentences` filler sentences to one answer (`side: None` = seeded choice).
    VerbosityPadding {
        /// Which answer; `None` = chosen by the seed.
        side: Option<Side>,
        /// Number of filler sentences (1..=24).
        sentences: usize,
        /// Where they go.
        placement: Placement,
    },
    /// Restyle one answer in markdown without changing its words.
    MarkdownRestyle {
        /// Which answer; `None` = chosen by the seed.
        side: Option<Side>,
        /// What to add.
        options: RestyleOptions,
    },
    /// Change one fact in one answer, keeping its style.
    SubstanceCorruption {
        /// Which answer; `None` = chosen by the seed.
        side: Option<Side>,
        /// What to change; `None` = the first applicable kind in a seeded order.
        kind: Option<CorruptionKind>,
    },
    /// Pit answer `source` against a restyled, corrupted copy of itself (positions seeded).
    StyleOverSubstance {
        /// The answer to copy.
        source: Side,
        /// What to corrupt; `None` = seeded.
        kind: Option<CorruptionKind>,
    },
    /// Remove the reference answer.
    ReferenceDrop,
    /// Attach a reference answer (`None` = the pair must already have one; the probe then only records
    /// that the reference is shown).
    ReferenceSupport {
        /// The reference to attach.
        reference: Option<String>,
    },
    /// JudgeLM's reference drop: remove the reference with probability `p`.
    ReferenceDropRandom {
        /// Drop probability in `[0, 1]`.
        p: f64,
    },
}

/// What went into a receipt about one probe application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeRecord {
    /// Probe name (`position_swap`, `verbosity_padding`, …).
    pub probe: String,
    /// The probe's parameters as requested.
    pub params: Value,
    /// The choices the seed made (side, filler indices, the corrupted text…).
    pub resolved: BTreeMap<String, Value>,
    /// The seed.
    pub seed: u64,
    /// [`PROBE_VERSION`].
    pub version: u32,
}

/// Which text of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The question.
    Question,
    /// Answer A.
    AnswerA,
    /// Answer B.
    AnswerB,
    /// The reference answer.
    Reference,
}

/// A changed field and its diff against the text it was derived from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// The field of the perturbed pair.
    pub field: Field,
    /// Token-level spans (`Equal`/`Delete` rebuild the source text, `Equal`/`Insert` the new one).
    pub spans: Vec<Span>,
}

/// A probe's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Perturbed {
    /// The perturbed pair (no verdicts).
    pub pair: JudgedPair,
    /// What was done.
    pub record: ProbeRecord,
    /// One line for people.
    pub description: String,
    /// Changed fields with their diffs.
    pub diffs: Vec<FieldDiff>,
    /// Answers A and B are exchanged relative to the original pair.
    pub swapped: bool,
    /// Position of a styled-but-corrupted answer in the perturbed pair (style-vs-substance probe).
    pub styled_side: Option<Side>,
}

impl Probe {
    /// The probe's name.
    pub fn name(&self) -> &'static str {
        match self {
            Probe::PositionSwap => "position_swap",
            Probe::VerbosityPadding { .. } => "verbosity_padding",
            Probe::MarkdownRestyle { .. } => "markdown_restyle",
            Probe::SubstanceCorruption { .. } => "substance_corruption",
            Probe::StyleOverSubstance { .. } => "style_over_substance",
            Probe::ReferenceDrop => "reference_drop",
            Probe::ReferenceSupport { .. } => "reference_support",
            Probe::ReferenceDropRandom { .. } => "reference_drop_random",
        }
    }

    fn err(&self, message: impl Into<String>) -> JudgeError {
        JudgeError::Probe {
            probe: self.name(),
            message: message.into(),
        }
    }

    /// The probe does not apply to this pair (skipped, counted), as opposed to [`Self::err`].
    fn skip(&self, message: impl Into<String>) -> JudgeError {
        JudgeError::NotApplicable {
            probe: self.name(),
            message: message.into(),
        }
    }

    /// Apply the probe to a pair with a seed.
    pub fn apply(&self, pair: &JudgedPair, seed: u64) -> Result<Perturbed, JudgeError> {
        let mut rng = rng_from_seed(seed);
        let mut resolved = BTreeMap::new();
        let mut out = pair.clone();
        out.verdicts.clear();
        let mut diffs = Vec::new();
        let mut swapped = false;
        let mut styled_side = None;
        let choose_side = |rng: &mut ChaCha8Rng, side: Option<Side>| -> Result<Side, JudgeError> {
            match (side, pair.answer_b.is_some()) {
                (Some(Side::B), false) => Err(self.skip("the pair has no answer B")),
                (Some(s), _) => Ok(s),
                (None, false) => Ok(Side::A),
                (None, true) => Ok(if pick(rng, 2) == 0 { Side::A } else { Side::B }),
            }
        };
        let description = match self {
            Probe::PositionSwap => {
                out = pair
                    .swapped()
                    .ok_or_else(|| self.skip("the pair has no answer B"))?;
                out.verdicts.clear();
                swapped = true;
                "answers A and B exchanged".to_owned()
            }
            Probe::VerbosityPadding {
                side,
                sentences,
                placement,
            } => {
                if *sentences == 0 || *sentences > FILLERS.len() {
                    return Err(self.err(format!("sentences must be 1..={}", FILLERS.len())));
                }
                let s = choose_side(&mut rng, *side)?;
                let (text, chosen) = pad(answer(pair, s), *sentences, *placement, &mut rng);
                resolved.insert("side".into(), json!(s));
                resolved.insert("fillers".into(), json!(chosen));
                diffs.push(set_answer(&mut out, pair, s, text));
                format!("{sentences} filler sentence(s) added to answer {s:?} ({placement:?})")
            }
            Probe::MarkdownRestyle { side, options } => {
                let s = choose_side(&mut rng, *side)?;
                let (text, what) = restyle(answer(pair, s), *options, &mut rng)
                    .ok_or_else(|| self.skip("nothing to restyle (already markdown, or a single sentence with no header allowed)"))?;
                resolved.insert("side".into(), json!(s));
                resolved.insert("changes".into(), json!(what));
                diffs.push(set_answer(&mut out, pair, s, text));
                format!("answer {s:?} restyled in markdown ({})", what.join(", "))
            }
            Probe::SubstanceCorruption { side, kind } => {
                let s = choose_side(&mut rng, *side)?;
                let c = corrupt(answer(pair, s), *kind, &mut rng).ok_or_else(|| {
                    self.skip(format!("answer {s:?} has nothing to corrupt ({kind:?})"))
                })?;
                resolved.insert("side".into(), json!(s));
                resolved.insert("corruption".into(), json!(c));
                diffs.push(set_answer(&mut out, pair, s, c.text.clone()));
                if pair.human_preference() != Some(s.other().preference()) {
                    out.human_label = None;
                    out.human_votes.clear();
                }
                format!("answer {s:?}: {:?} `{}` → `{}`", c.kind, c.before, c.after)
            }
            Probe::StyleOverSubstance { source, kind } => {
                let x = match source {
                    Side::A => pair.answer_a.clone(),
                    Side::B => pair
                        .answer_b
                        .clone()
                        .ok_or_else(|| self.skip("the pair has no answer B"))?,
                };
                let c = corrupt(&x, *kind, &mut rng)
                    .ok_or_else(|| self.skip("the source answer has nothing to corrupt"))?;
                let (styled, what) = restyle(&c.text, RestyleOptions::default(), &mut rng)
                    .ok_or_else(|| self.skip("the corrupted answer cannot be restyled"))?;
                let styled_at = if pick(&mut rng, 2) == 0 {
                    Side::A
                } else {
                    Side::B
                };
                let spans = diff(&x, &styled);
                match styled_at {
                    Side::A => {
                        out.answer_a = styled;
                        out.answer_b = Some(x);
                    }
                    Side::B => {
                        out.answer_a = x;
                        out.answer_b = Some(styled);
                    }
                }
                diffs.push(FieldDiff {
                    field: if styled_at == Side::A {
                        Field::AnswerA
                    } else {
                        Field::AnswerB
                    },
                    spans,
                });
                out.human_label = Some(Verdict::preference_of(styled_at.other().preference()));
                out.human_votes.clear();
                styled_side = Some(styled_at);
                resolved.insert("styled_side".into(), json!(styled_at));
                resolved.insert("corruption".into(), json!(c));
                resolved.insert("restyle".into(), json!(what));
                format!(
                    "answer {source:?} vs its restyled copy with {:?} `{}` → `{}` (styled copy at {styled_at:?})",
                    c.kind, c.before, c.after
                )
            }
            Probe::ReferenceDrop => {
                let r = pair
                    .reference
                    .as_deref()
                    .ok_or_else(|| self.skip("the pair has no reference"))?;
                out.reference = None;
                diffs.push(FieldDiff {
                    field: Field::Reference,
                    spans: diff(r, ""),
                });
                "reference answer removed".to_owned()
            }
            Probe::ReferenceSupport { reference } => {
                let r = match (reference, &pair.reference) {
                    (Some(r), _) => r.clone(),
                    (None, Some(r)) => r.clone(),
                    (None, None) => return Err(self.skip("no reference to attach")),
                };
                diffs.push(FieldDiff {
                    field: Field::Reference,
                    spans: diff(pair.reference.as_deref().unwrap_or(""), &r),
                });
                out.reference = Some(r);
                "reference answer shown to the judge".to_owned()
            }
            Probe::ReferenceDropRandom { p } => {
                if !(0.0..=1.0).contains(p) {
                    return Err(self.err("p must be in [0, 1]"));
                }
                // u < p with u uniform on the 2^53 grid of [0, 1).
                let u = uniform_index(&mut rng, 1 << 53) as f64 / (1u64 << 53) as f64;
                let drop = u < *p;
                resolved.insert("dropped".into(), json!(drop));
                if drop {
                    if let Some(r) = &pair.reference {
                        diffs.push(FieldDiff {
                            field: Field::Reference,
                            spans: diff(r, ""),
                        });
                    }
                    out.reference = None;
                    "reference answer dropped".to_owned()
                } else {
                    "reference answer kept".to_owned()
                }
            }
        };
        Ok(Perturbed {
            pair: out,
            record: ProbeRecord {
                probe: self.name().to_owned(),
                params: serde_json::to_value(self).unwrap_or(Value::Null),
                resolved,
                seed,
                version: PROBE_VERSION,
            },
            description,
            diffs,
            swapped,
            styled_side,
        })
    }
}

fn answer(pair: &JudgedPair, side: Side) -> &str {
    match side {
        Side::A => &pair.answer_a,
        Side::B => pair.answer_b.as_deref().unwrap_or(""),
    }
}

fn set_answer(out: &mut JudgedPair, orig: &JudgedPair, side: Side, text: String) -> FieldDiff {
    let spans = diff(answer(orig, side), &text);
    match side {
        Side::A => out.answer_a = text,
        Side::B => out.answer_b = Some(text),
    }
    FieldDiff {
        field: if side == Side::A {
            Field::AnswerA
        } else {
            Field::AnswerB
        },
        spans,
    }
}

/// Split a text into blocks separated by blank lines; fenced code blocks stay whole.
fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        if in_code {
            cur.push(line);
            if fence {
                in_code = false;
            }
            continue;
        }
        if fence {
            in_code = true;
            cur.push(line);
            continue;
        }
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(cur.join("\n"));
                cur.clear();
            }
        } else {
            cur.push(line);
        }
    }
    if !cur.is_empty() {
        out.push(cur.join("\n"));
    }
    out
}

/// Pad an answer with `n` distinct filler sentences chosen by the seed; returns the text and the filler
/// indices used.
pub fn pad(
    text: &str,
    n: usize,
    placement: Placement,
    rng: &mut ChaCha8Rng,
) -> (String, Vec<usize>) {
    // Partial Fisher–Yates over the filler indices.
    let mut idx: Vec<usize> = (0..FILLERS.len()).collect();
    for i in 0..n.min(idx.len()) {
        let j = i + pick(rng, idx.len() - i);
        idx.swap(i, j);
    }
    let chosen: Vec<usize> = idx[..n.min(FILLERS.len())].to_vec();
    let sentences: Vec<&str> = chosen.iter().map(|&i| FILLERS[i]).collect();
    let body = text.trim_end();
    let out = match placement {
        Placement::End => format!("{body}\n\n{}", sentences.join(" ")),
        Placement::Start => format!("{}\n\n{}", sentences.join(" "), text),
        Placement::Interleave => {
            let mut bs = blocks(text);
            for s in &sentences {
                let at = pick(rng, bs.len() + 1);
                bs.insert(at, (*s).to_owned());
            }
            bs.join("\n\n")
        }
    };
    (out, chosen)
}

const ABBREVIATIONS: [&str; 14] = [
    "e.g", "i.e", "etc", "vs", "Dr", "Mr", "Mrs", "Ms", "St", "Prof", "Inc", "Ltd", "approx", "No",
];

/// Split a prose paragraph into sentences (after `.`, `!` or `?` followed by whitespace and an
/// upper-case letter, a digit or an opening quote/parenthesis; not after common abbreviations).
pub fn sentences(par: &str) -> Vec<String> {
    let chars: Vec<(usize, char)> = par.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if matches!(c, '.' | '!' | '?') {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '"' | '\'' | ')' | '”' | '’') {
                j += 1;
            }
            let end = chars.get(j).map_or(par.len(), |x| x.0);
            let ws = j < chars.len() && chars[j].1.is_whitespace();
            let mut k = j;
            while k < chars.len() && chars[k].1.is_whitespace() {
                k += 1;
            }
            let next_ok = k < chars.len()
                && (chars[k].1.is_uppercase()
                    || chars[k].1.is_ascii_digit()
                    || matches!(chars[k].1, '"' | '(' | '“' | '\''));
            let word_before = par[start..pos]
                .rsplit(|ch: char| ch.is_whitespace())
                .next()
                .unwrap_or("");
            let abbrev = c == '.'
                && ABBREVIATIONS
                    .iter()
                    .any(|a| word_before.ends_with(a) && word_before.len() <= a.len() + 1);
            if ws && next_ok && !abbrev {
                out.push(par[start..end].trim().to_owned());
                start = chars[k].0;
                i = k;
                continue;
            }
        }
        i += 1;
    }
    let last = par[start..].trim();
    if !last.is_empty() {
        out.push(last.to_owned());
    }
    out
}

fn is_markdown_block(b: &str) -> bool {
    b.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with('#')
            || t.starts_with("- ")
            || t.starts_with("* ")
            || t.starts_with("+ ")
            || t.starts_with('>')
            || t.starts_with('|')
            || t.starts_with("```")
            || t.split_once(['.', ')']).is_some_and(|(n, _)| {
                !n.is_empty() && n.len() <= 3 && n.bytes().all(|c| c.is_ascii_digit())
            })
    })
}

fn bold_lead(s: &str, rng: &mut ChaCha8Rng) -> Option<String> {
    if s.contains("**") {
        return None;
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() < 3 {
        return None;
    }
    let k = (2 + pick(rng, 3)).min(words.len() - 1);
    // Byte end of the k-th word.
    let mut end = 0;
    let mut seen = 0;
    for (i, c) in s.char_indices() {
        let at_word_end = !c.is_whitespace()
            && s[i + c.len_utf8()..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace);
        if at_word_end {
            seen += 1;
            if seen == k {
                end = i + c.len_utf8();
                break;
            }
        }
    }
    let lead = &s[..end];
    let trimmed = lead.trim_end_matches([',', '.', ';', ':', '!', '?']);
    let start = s.len() - s.trim_start().len();
    if trimmed.trim().is_empty() {
        return None;
    }
    Some(format!(
        "{}**{}**{}",
        &s[..start],
        &trimmed[start..],
        &s[trimmed.len()..]
    ))
}

/// Restyle an answer in markdown without changing its words: optional header with a content-free
/// title, prose paragraphs of two or more sentences as bullet lists, bold lead words on some
/// paragraphs/bullets (the first always). Existing markdown blocks and code are left alone. `None` when
/// nothing would change.
pub fn restyle(
    text: &str,
    opts: RestyleOptions,
    rng: &mut ChaCha8Rng,
) -> Option<(String, Vec<String>)> {
    let mut what = Vec::new();
    let mut out_blocks = Vec::new();
    let mut bolded = 0usize;
    let mut bulleted = 0usize;
    for b in blocks(text) {
        if is_markdown_block(&b) {
            out_blocks.push(b);
            continue;
        }
        let joined = b.lines().map(str::trim).collect::<Vec<_>>().join(" ");
        let sents = sentences(&joined);
        let mut items: Vec<String> = if opts.bullets && sents.len() >= 2 {
            bulleted += 1;
            sents
        } else {
            vec![b.clone()]
        };
        if opts.bold {
            for (i, it) in items.iter_mut().enumerate() {
                let choose = (bolded == 0 && i == 0) || pick(rng, 2) == 0;
                if choose {
                    if let Some(s) = bold_lead(it, rng) {
                        *it = s;
                        bolded += 1;
                    }
                }
            }
        }
        if items.len() > 1 || (opts.bullets && sentences(&joined).len() >= 2) {
            out_blocks.push(
                items
                    .iter()
                    .map(|s| format!("- {s}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        } else {
            out_blocks.push(items.concat());
        }
    }
    if bulleted > 0 {
        what.push(format!("{bulleted} paragraph(s) as bullets"));
    }
    if bolded > 0 {
        what.push(format!("{bolded} bold lead(s)"));
    }
    let mut body = out_blocks.join("\n\n");
    let starts_with_header = text.trim_start().starts_with('#');
    if opts.header && !starts_with_header {
        let title = HEADERS[pick(rng, HEADERS.len())];
        body = format!("## {title}\n\n{body}");
        what.push(format!("header `{title}`"));
    }
    (!what.is_empty()).then_some((body, what))
}

/// One corruption of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corruption {
    /// What was changed.
    pub kind: CorruptionKind,
    /// The text before (the number, entity or phrase).
    pub before: String,
    /// The text after.
    pub after: String,
    /// Byte offset of the (first) change in the original answer.
    pub offset: usize,
    /// The corrupted answer.
    pub text: String,
}

#[allow(clippy::expect_used)] // constant patterns, exercised by every test
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]+(?:\.[0-9]+)?").expect("valid pattern"));
#[allow(clippy::expect_used)]
static NEG_REMOVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(is|are|was|were|can|could|should|would|will|does|do|did|has|have|had|must|may|might) not\b")
        .expect("valid pattern")
});
#[allow(clippy::expect_used)]
static NEG_CONTRACTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(isn|aren|wasn|weren|doesn|don|didn|hasn|haven|hadn|shouldn|wouldn|couldn|can|won|mustn)['’]t\b")
        .expect("valid pattern")
});
#[allow(clippy::expect_used)]
static NEG_INSERT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(is|are|was|were|can|could|should|would|will|must) (\w+)")
        .expect("valid pattern")
});

fn corrupt_number(text: &str, rng: &mut ChaCha8Rng) -> Option<Corruption> {
    let cands: Vec<(usize, &str)> = NUMBER
        .find_iter(text)
        .filter(|m| {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|m| (m.start(), m.as_str()))
        .collect();
    if cands.is_empty() {
        return None;
    }
    let (start, num) = cands[pick(rng, cands.len())];
    let int_len = num.find('.').unwrap_or(num.len());
    let pos = pick(rng, int_len);
    let old = num.as_bytes()[pos] - b'0';
    let allowed: Vec<u8> = (0..10u8)
        .filter(|d| *d != old && !(pos == 0 && int_len > 1 && *d == 0))
        .collect();
    let new_digit = allowed[pick(rng, allowed.len())];
    let mut after = num.to_owned();
    after.replace_range(pos..pos + 1, &char::from(b'0' + new_digit).to_string());
    let mut out = text.to_owned();
    out.replace_range(start..start + num.len(), &after);
    Some(Corruption {
        kind: CorruptionKind::Number,
        before: num.to_owned(),
        after,
        offset: start,
        text: out,
    })
}

fn word_at(text: &str, start: usize, len: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[start + len..].chars().next();
    !before.is_some_and(|c| c.is_alphanumeric()) && !after.is_some_and(|c| c.is_alphanumeric())
}

fn occurrences(text: &str, word: &str) -> Vec<usize> {
    text.match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| word_at(text, i, word.len()))
        .collect()
}

fn corrupt_entity(text: &str, rng: &mut ChaCha8Rng) -> Option<Corruption> {
    // Entities present, in group order (deterministic), with their group.
    let mut present: Vec<(&[&str], &str)> = Vec::new();
    for g in ENTITY_GROUPS {
        for e in g {
            if !occurrences(text, e).is_empty() && !present.iter().any(|(_, p)| p == e) {
                present.push((g, e));
            }
        }
    }
    if present.is_empty() {
        return None;
    }
    let (group, ent) = present[pick(rng, present.len())];
    let options: Vec<&str> = group
        .iter()
        .copied()
        .filter(|o| *o != ent && occurrences(text, o).is_empty())
        .collect();
    if options.is_empty() {
        return None;
    }
    let new = options[pick(rng, options.len())];
    let occ = occurrences(text, ent);
    let mut out = String::with_capacity(text.len() + 16);
    let mut last = 0;
    for &i in &occ {
        out.push_str(&text[last..i]);
        out.push_str(new);
        last = i + ent.len();
    }
    out.push_str(&text[last..]);
    Some(Corruption {
        kind: CorruptionKind::Entity,
        before: ent.to_owned(),
        after: new.to_owned(),
        offset: occ[0],
        text: out,
    })
}

fn corrupt_negation(text: &str, rng: &mut ChaCha8Rng) -> Option<Corruption> {
    // (start, end, replacement) candidates: removals first, then insertions, in text order.
    let mut cands: Vec<(usize, usize, String)> = Vec::new();
    for c in NEG_REMOVE.captures_iter(text) {
        if let (Some(m), Some(aux)) = (c.get(0), c.get(1)) {
            cands.push((m.start(), m.end(), aux.as_str().to_owned()));
        }
    }
    for c in NEG_CONTRACTED.captures_iter(text) {
        if let (Some(m), Some(stem)) = (c.get(0), c.get(1)) {
            let positive = match stem.as_str() {
                "can" => "can",
                "won" => "will",
                "don" => "do",
                s => &s[..s.len() - 1],
            };
            cands.push((m.start(), m.end(), positive.to_owned()));
        }
    }
    for c in NEG_INSERT.captures_iter(text) {
        if let (Some(aux), Some(next)) = (c.get(1), c.get(2)) {
            if next.as_str() != "not" {
                cands.push((aux.start(), aux.end(), format!("{} not", aux.as_str())));
            }
        }
    }
    if cands.is_empty() {
        return None;
    }
    let (s, e, rep) = cands.swap_remove(pick(rng, cands.len()));
    let mut out = text.to_owned();
    let before = text[s..e].to_owned();
    out.replace_range(s..e, &rep);
    Some(Corruption {
        kind: CorruptionKind::Negation,
        before,
        after: rep,
        offset: s,
        text: out,
    })
}

/// Corrupt one fact of an answer. With `kind: None` the three kinds are tried in a seeded order and the
/// first applicable one is used. `None` when nothing applies.
pub fn corrupt(
    text: &str,
    kind: Option<CorruptionKind>,
    rng: &mut ChaCha8Rng,
) -> Option<Corruption> {
    let order: Vec<CorruptionKind> = match kind {
        Some(k) => vec![k],
        None => {
            let mut v = vec![
                CorruptionKind::Number,
                CorruptionKind::Entity,
                CorruptionKind::Negation,
            ];
            for i in 0..v.len() {
                let j = i + pick(rng, v.len() - i);
                v.swap(i, j);
            }
            v
        }
    };
    for k in order {
        let r = match k {
            CorruptionKind::Number => corrupt_number(text, rng),
            CorruptionKind::Entity => corrupt_entity(text, rng),
            CorruptionKind::Negation => corrupt_negation(text, rng),
        };
        if r.is_some() {
            return r;
        }
    }
    None
}

/// The preference of a judge on the original pair, given its preference on a perturbed pair (maps a
/// position swap back).
pub fn map_back(p: Preference, perturbed: &Perturbed) -> Preference {
    p.swap_if(perturbed.swapped)
}

/// The short probe names of `substance bias --probes` and the browser's judge lab, with their default
/// parameters (seeded side choice, three padding sentences at the end, default markdown restyle, a
/// seeded corruption kind).
pub const SHORT_NAMES: [&str; 5] = ["swap", "padding", "markdown", "corrupt", "reference-drop"];

impl Probe {
    /// The probe a short name ([`SHORT_NAMES`]) or a probe name (`position_swap`, …) stands for, with
    /// default parameters.
    pub fn from_short_name(name: &str) -> Result<Probe, JudgeError> {
        Ok(match name.trim() {
            "swap" | "position_swap" => Probe::PositionSwap,
            "padding" | "verbosity_padding" => Probe::VerbosityPadding {
                side: None,
                sentences: 3,
                placement: Placement::End,
            },
            "markdown" | "markdown_restyle" => Probe::MarkdownRestyle {
                side: None,
                options: RestyleOptions::default(),
            },
            "corrupt" | "substance_corruption" => Probe::SubstanceCorruption {
                side: None,
                kind: None,
            },
            "reference-drop" | "reference_drop" => Probe::ReferenceDrop,
            other => {
                return Err(JudgeError::UnknownLabel {
                    what: "probe (swap, padding, markdown, corrupt, reference-drop)",
                    label: other.to_owned(),
                });
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::diff::sides;

    fn pair() -> JudgedPair {
        let mut p = JudgedPair::new(
            "t",
            "Which planet is largest?",
            "Jupiter is the largest planet. It is about 11 times wider than Earth. It has at least 95 known moons.",
            Some("Saturn is the largest planet."),
        );
        p.human_label = Some(Verdict::preference_of(Preference::A));
        p.reference = Some("Jupiter.".into());
        p
    }

    fn words(s: &str) -> Vec<String> {
        s.replace("**", "")
            .lines()
            .filter(|l| !l.starts_with("## "))
            .map(|l| l.strip_prefix("- ").unwrap_or(l).to_owned())
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn deterministic_per_seed() {
        for probe in [
            Probe::VerbosityPadding {
                side: None,
                sentences: 3,
                placement: Placement::Interleave,
            },
            Probe::MarkdownRestyle {
                side: Some(Side::A),
                options: RestyleOptions::default(),
            },
            Probe::SubstanceCorruption {
                side: Some(Side::A),
                kind: None,
            },
            Probe::StyleOverSubstance {
                source: Side::A,
                kind: None,
            },
        ] {
            let a = probe.apply(&pair(), 7).unwrap();
            let b = probe.apply(&pair(), 7).unwrap();
            assert_eq!(a, b, "{}", probe.name());
            assert_eq!(a.record.seed, 7);
            assert_eq!(a.record.probe, probe.name());
            for d in &a.diffs {
                let (_, new) = sides(&d.spans);
                let field = match d.field {
                    Field::AnswerA => a.pair.answer_a.clone(),
                    Field::AnswerB => a.pair.answer_b.clone().unwrap(),
                    _ => unreachable!(),
                };
                assert_eq!(new, field);
            }
        }
        let seeds: std::collections::BTreeSet<String> = (0..20)
            .map(|s| {
                Probe::SubstanceCorruption {
                    side: Some(Side::A),
                    kind: None,
                }
                .apply(&pair(), s)
                .unwrap()
                .pair
                .answer_a
            })
            .collect();
        assert!(seeds.len() > 3, "{seeds:?}");
    }

    #[test]
    fn swap_and_reference() {
        let s = Probe::PositionSwap.apply(&pair(), 0).unwrap();
        assert!(s.swapped);
        assert_eq!(s.pair.answer_a, pair().answer_b.unwrap());
        assert_eq!(s.pair.human_preference(), Some(Preference::B));
        let d = Probe::ReferenceDrop.apply(&pair(), 0).unwrap();
        assert_eq!(d.pair.reference, None);
        let mut no_ref = pair();
        no_ref.reference = None;
        assert!(Probe::ReferenceDrop.apply(&no_ref, 0).is_err());
        let s = Probe::ReferenceSupport {
            reference: Some("Jupiter is largest.".into()),
        }
        .apply(&no_ref, 0)
        .unwrap();
        assert_eq!(s.pair.reference.as_deref(), Some("Jupiter is largest."));
        let dropped = (0..200)
            .filter(|s| {
                Probe::ReferenceDropRandom { p: 0.5 }
                    .apply(&pair(), *s)
                    .unwrap()
                    .pair
                    .reference
                    .is_none()
            })
            .count();
        assert!((70..130).contains(&dropped), "{dropped}");
        assert!(
            Probe::ReferenceDropRandom { p: 1.5 }
                .apply(&pair(), 0)
                .is_err()
        );
    }

    #[test]
    fn padding_adds_only_fillers() {
        for placement in [Placement::End, Placement::Start, Placement::Interleave] {
            let p = Probe::VerbosityPadding {
                side: Some(Side::B),
                sentences: 4,
                placement,
            }
            .apply(&pair(), 3)
            .unwrap();
            let b = p.pair.answer_b.clone().unwrap();
            assert!(b.len() > pair().answer_b.unwrap().len());
            let inserted: String = p.diffs[0]
                .spans
                .iter()
                .filter(|s| s.kind == crate::diff::SpanKind::Insert)
                .map(|s| s.text.as_str())
                .collect();
            let fillers: Vec<usize> =
                serde_json::from_value(p.record.resolved["fillers"].clone()).unwrap();
            assert_eq!(fillers.len(), 4);
            for i in fillers {
                assert!(b.contains(FILLERS[i]));
            }
            assert!(!inserted.contains("Saturn"));
            assert!(
                p.diffs[0]
                    .spans
                    .iter()
                    .all(|s| s.kind != crate::diff::SpanKind::Delete)
            );
        }
        assert!(
            Probe::VerbosityPadding {
                side: None,
                sentences: 0,
                placement: Placement::End
            }
            .apply(&pair(), 0)
            .is_err()
        );
    }

    #[test]
    fn restyle_keeps_words() {
        let p = Probe::MarkdownRestyle {
            side: Some(Side::A),
            options: RestyleOptions::default(),
        }
        .apply(&pair(), 11)
        .unwrap();
        let a = &p.pair.answer_a;
        assert!(a.starts_with("## "), "{a}");
        assert!(a.contains("\n- ") && a.contains("**"), "{a}");
        assert_eq!(words(a), words(&pair().answer_a));
        // Already-markdown and code blocks are left alone.
        let md = "# Title\n\n- one\n- two\n\n```\ncode. Here.\n```";
        let mut rng = rng_from_seed(1);
        let opts = RestyleOptions {
            header: false,
            bullets: true,
            bold: true,
        };
        assert_eq!(restyle(md, opts, &mut rng), None);
        assert_eq!(
            sentences("Dr. Smith went home. He slept e.g. well. 3.5 is a number! Yes."),
            vec![
                "Dr. Smith went home.",
                "He slept e.g. well.",
                "3.5 is a number!",
                "Yes."
            ]
        );
    }

    #[test]
    fn corruption_kinds() {
        let mut rng = rng_from_seed(5);
        let c = corrupt("It has 95 moons.", Some(CorruptionKind::Number), &mut rng).unwrap();
        assert_ne!(c.after, "95");
        assert_eq!(c.after.len(), 2);
        assert!(!c.after.starts_with('0'));
        assert!(corrupt("H2O and v1.2", Some(CorruptionKind::Number), &mut rng).is_none());
        let c = corrupt(
            "Paris is in France. Paris is big.",
            Some(CorruptionKind::Entity),
            &mut rng,
        )
        .unwrap();
        assert_eq!(
            c.text.matches(&c.after).count(),
            if c.before == "Paris" { 2 } else { 1 }
        );
        assert!(!c.text.contains(&format!("{} ", c.before)) || c.before == "France");
        let c = corrupt("It is not blue.", Some(CorruptionKind::Negation), &mut rng).unwrap();
        assert!(
            c.text == "It is blue." || c.text == "It is not not blue." || c.text.contains("is not"),
            "{}",
            c.text
        );
        let c = corrupt(
            "It doesn't rain and won't stop.",
            Some(CorruptionKind::Negation),
            &mut rng,
        )
        .unwrap();
        assert!(
            [
                "It does rain and won't stop.",
                "It doesn't rain and will stop."
            ]
            .contains(&c.text.as_str()),
            "{}",
            c.text
        );
        assert!(corrupt("Hello there", None, &mut rng).is_none());
        let e = Probe::SubstanceCorruption {
            side: Some(Side::B),
            kind: Some(CorruptionKind::Number),
        }
        .apply(&pair(), 0);
        assert!(
            e.as_ref().is_err_and(JudgeError::is_not_applicable),
            "{e:?}"
        );
        // A bad configuration is an error of the probe, not a pair to skip.
        let e = Probe::ReferenceDropRandom { p: 2.0 }.apply(&pair(), 0);
        assert!(matches!(e, Err(JudgeError::Probe { .. })), "{e:?}");
        let mut no_ref = pair();
        no_ref.reference = None;
        let e = Probe::ReferenceDrop.apply(&no_ref, 0);
        assert!(
            e.as_ref().is_err_and(JudgeError::is_not_applicable),
            "{e:?}"
        );
    }

    #[test]
    fn style_over_substance_pair() {
        for seed in 0..10 {
            let p = Probe::StyleOverSubstance {
                source: Side::A,
                kind: None,
            }
            .apply(&pair(), seed)
            .unwrap();
            let s = p.styled_side.unwrap();
            let (styled, plain) = match s {
                Side::A => (p.pair.answer_a.clone(), p.pair.answer_b.clone().unwrap()),
                Side::B => (p.pair.answer_b.clone().unwrap(), p.pair.answer_a.clone()),
            };
            assert_eq!(plain, pair().answer_a);
            assert!(styled.contains("**") || styled.starts_with("## "));
            assert_ne!(words(&styled), words(&plain));
            assert_eq!(p.pair.human_preference(), Some(s.other().preference()));
        }
    }

    #[test]
    fn item_seeds_differ() {
        assert_ne!(item_seed(1, "a"), item_seed(1, "b"));
        assert_ne!(item_seed(1, "a"), item_seed(2, "a"));
        assert_eq!(item_seed(9, "x"), item_seed(9, "x"));
    }
}
