//! Parsers of the recorded input formats. Each takes bytes plus a label for error messages (usually the file
//! path) and returns typed records or a [`LeaderboardError::Parse`] naming file, line and field. Arbitrary
//! bytes never panic (property-tested).
//!
//! | function | format |
//! |---|---|
//! | [`parse_arena_judgments`] | Arena-Hard judgment JSONL, v0.1 (`{question_id, model, judge, games:[{user_prompt, judgment, score}]}`) and v2 (`{uid, category, judge, model, games:[{score, judgment:{answer}, prompt}]}`) |
//! | [`parse_answers`] | Arena-Hard answer JSONL: v0.1 @0489bf3 (`{question_id, model_id, choices:[{turns:[{content, token_len}]}], conv_metadata?}`), HEAD v0.1/v2 (`{uid, model, messages:[…, {content:{answer}}], metadata?}`) |
//! | [`parse_alpaca_annotations`] | AlpacaEval `annotations.json` (a JSON array; `NaN` literals as Python writes them are read as missing) |
//! | [`parse_mt_bench_single`], [`parse_mt_bench_pair`] | FastChat `*_single.jsonl` / `*_pair.jsonl` judgments |
//! | [`parse_bootstrap_stats`] | Arena-Hard notebook `bootstrap_stats_*.jsonl` (`{model, score, lower, upper, results}`) |
//! | [`parse_instruction_difficulty`], [`parse_gamed_rows`] | AlpacaEval `instruction_difficulty.csv` and `df_gamed.csv` |
//!
//! Every parser follows the kit's reading policy ([`substance_core::input`]): a leading BOM and CRLF are
//! accepted, an input without records is an error, a JSON object member given twice is refused. One
//! deliberate departure: Python's `json` writes `NaN`/`Infinity` for a missing float (AlpacaEval's
//! `preference` of a failed annotation), and the reference reads them back as missing, so these parsers
//! read those bare tokens as `null` — the records stay, marked missing, and the leaderboards count them.

use serde_json::{Map, Value};
use substance_core::{InputError, input};

use crate::error::{LeaderboardError, Result};
use crate::style::{MarkdownCounts, StyleMeta};
use substance_judge::protocol::arena::{parse_v01, parse_v2};
use substance_judge::protocol::mt_bench::parse_rating;

/// Which Arena-Hard judgment layout (and verdict rule) to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArenaVersion {
    /// v0.1 (`show_result.py` @0489bf3).
    V01,
    /// v2.0 (`show_result.py` @196f6b8).
    V2,
}

/// One game of a pairwise judgment: the verdict label as recorded (or re-parsed), `None` when the judge gave
/// no usable label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Game {
    /// `"A>>B"`, `"A>B"`, `"A=B"`, … or `None`.
    pub score: Option<String>,
}

/// One line of an Arena-Hard judgment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaJudgment {
    /// `question_id` (v0.1) or `uid` (v2), numbers rendered as text.
    pub question_id: String,
    /// The judged model (v2 model paths are kept; the v2 leaderboard strips them as the reference does).
    pub model: String,
    /// The judge, when recorded.
    pub judge: Option<String>,
    /// The v2 category (`hard_prompt`, `coding`, `math`, `creative_writing`), when recorded.
    pub category: Option<String>,
    /// The games in order: `games[0]` has the baseline as A, `games[1]` the model as A. A `null` game is `None`.
    pub games: Vec<Option<Game>>,
    /// The file it was read from (empty when built in code).
    pub file: String,
    /// Its 1-based line in that file (0 when built in code).
    pub line: usize,
}

impl ArenaJudgment {
    /// The verdict label of game `g` (0: the baseline as A, 1: the model as A), `None` for a game that
    /// is missing, `null` or without a label.
    pub fn label(&self, g: usize) -> Option<&str> {
        self.games
            .get(g)
            .and_then(|x| x.as_ref())
            .and_then(|x| x.score.as_deref())
    }
}

/// One answer of an Arena-Hard answer file, with what style control needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// `question_id` or `uid`.
    pub question_id: String,
    /// `model_id` (old layout) or `model`.
    pub model: String,
    /// The answer text of the (first) turn, when present.
    pub text: Option<String>,
    /// A precomputed token length: `conv_metadata.token_len` / `metadata.token_len`, else the old layout's
    /// `choices[0].turns[0].token_len`.
    pub token_len: Option<f64>,
    /// The old layout's per-turn `token_len` (what the v0.1 `avg_tokens` column averages), else
    /// `conv_metadata.token_len`.
    pub avg_token_len: Option<f64>,
    /// Precomputed markdown counts (`conv_metadata` / `metadata`), when present.
    pub markdown: Option<MarkdownCounts>,
}

impl Answer {
    /// The style metadata: precomputed fields where present, otherwise computed from the text (markdown
    /// counts always; the token length only with the `tiktoken` feature, using `encoding`).
    pub fn style_meta(&self, encoding: crate::style::Encoding) -> Option<StyleMeta> {
        let md = match (&self.markdown, &self.text) {
            (Some(m), _) => *m,
            (None, Some(t)) => crate::style::count_markdown(t),
            (None, None) => return None,
        };
        let token_len = match (self.token_len, &self.text) {
            (Some(l), _) => l,
            (None, Some(t)) => crate::style::token_len(t, encoding)? as f64,
            (None, None) => return None,
        };
        Some(StyleMeta::new(token_len, md))
    }
}

/// One AlpacaEval annotation.
#[derive(Debug, Clone, PartialEq)]
pub struct AlpacaAnnotation {
    /// The instruction.
    pub instruction: String,
    /// Baseline output (`output_1`); `None` when missing or null.
    pub output_1: Option<String>,
    /// Baseline name.
    pub generator_1: String,
    /// Model output (`output_2`).
    pub output_2: Option<String>,
    /// Model name.
    pub generator_2: String,
    /// Preference in `[1, 2]` (2 = model wins; 1.5 or 0 = draw); `None` for null/NaN/missing.
    pub preference: Option<f64>,
    /// The file it was read from (empty when built in code).
    pub file: String,
    /// Its 1-based position in the file's array (0 when built in code).
    pub record: usize,
}

/// One MT-Bench single-grade judgment.
#[derive(Debug, Clone, PartialEq)]
pub struct MtBenchSingle {
    /// Question id (numbers rendered as text).
    pub question_id: String,
    /// Graded model.
    pub model: String,
    /// Turn (1 or 2).
    pub turn: u32,
    /// Rating; `-1` (as recorded, or when the judgment has no rating) means "no rating" and is excluded.
    pub score: f64,
}

/// Winner of one MT-Bench pairwise game, already mapped to model positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairWinner {
    /// `model_1` won.
    Model1,
    /// `model_2` won.
    Model2,
    /// A tie.
    Tie,
    /// The judge output had no verdict.
    Error,
}

/// One MT-Bench pairwise judgment (`g1`: model_1 as A; `g2`: positions swapped, already mapped back).
#[derive(Debug, Clone, PartialEq)]
pub struct MtBenchPair {
    /// Question id.
    pub question_id: String,
    /// First model.
    pub model_1: String,
    /// Second model.
    pub model_2: String,
    /// Game 1 winner.
    pub g1_winner: PairWinner,
    /// Game 2 winner.
    pub g2_winner: PairWinner,
    /// Turn, when recorded.
    pub turn: Option<u32>,
}

/// One model's bootstrap record (Arena-Hard notebook `bootstrap_stats_*.jsonl`).
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapStats {
    /// Model name.
    pub model: String,
    /// Point score.
    pub score: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Bootstrap replicates.
    pub results: Vec<f64>,
}

// ---------------------------------------------------------------------------------------------------------
// helpers

/// The non-blank lines with their 1-based numbers (CRLF accepted, a leading BOM dropped: the reading
/// policy of [`substance_core::input`]).
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| l.iter().any(|b| !b.is_ascii_whitespace()))
}

/// One JSON document (or JSONL line starting at `line`) with Python's non-finite tokens read as
/// missing ([`sanitize_non_finite`]) and a JSON object member given twice refused.
fn json_value(file: &str, line: usize, text: &str) -> Result<Value> {
    let sanitized = sanitize_non_finite(text);
    input::strict_value(&sanitized, file, line).map_err(|e| match e {
        InputError::Member { line, key, .. } => LeaderboardError::parse(
            file,
            line,
            Some(&key),
            "JSON object member given twice in one record",
        ),
        InputError::Syntax { line, message, .. } => {
            LeaderboardError::parse(file, line, None, format!("invalid {message}"))
        }
        other => LeaderboardError::parse(file, line, None, other.to_string()),
    })
}

fn json_line(file: &str, line: usize, raw: &[u8]) -> Result<Map<String, Value>> {
    let text = std::str::from_utf8(raw)
        .map_err(|e| LeaderboardError::parse(file, line, None, format!("not UTF-8: {e}")))?;
    match json_value(file, line, text)? {
        Value::Object(m) => Ok(m),
        other => Err(LeaderboardError::parse(
            file,
            line,
            None,
            format!("expected a JSON object, found {}", input::kind(&other)),
        )),
    }
}

/// `out` when it holds records; an input without records is an error (never a table of nothing).
fn nonempty<T>(out: Vec<T>, bytes: &[u8], file: &str) -> Result<Vec<T>> {
    if !out.is_empty() {
        return Ok(out);
    }
    // Only an empty result looks at the text again, to say what it held instead.
    let e = input::require_records(0, &String::from_utf8_lossy(bytes), file).err();
    Err(LeaderboardError::parse(
        file,
        0,
        None,
        e.map(|e| e.to_string()).unwrap_or_default(),
    ))
}

/// Replace the bare `NaN`, `Infinity` and `-Infinity` tokens that Python's `json` module writes (outside
/// strings) with `null`, so that serde_json reads them as missing values.
fn sanitize_non_finite(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("NaN") && !text.contains("Infinity") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_str = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '"' {
            in_str = true;
            out.push(c);
            rest = &rest[1..];
            continue;
        }
        let mut matched = false;
        for tok in ["-Infinity", "Infinity", "NaN"] {
            if rest.starts_with(tok) {
                out.push_str("null");
                rest = &rest[tok.len()..];
                matched = true;
                break;
            }
        }
        if !matched {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    std::borrow::Cow::Owned(out)
}

fn id_field(m: &Map<String, Value>, keys: &[&str], file: &str, line: usize) -> Result<String> {
    for k in keys {
        match m.get(*k) {
            Some(Value::String(s)) => return Ok(s.clone()),
            Some(Value::Number(n)) => return Ok(n.to_string()),
            Some(Value::Null) | None => continue,
            Some(_) => {
                return Err(LeaderboardError::parse(
                    file,
                    line,
                    Some(k),
                    "expected a string or a number",
                ));
            }
        }
    }
    Err(LeaderboardError::parse(
        file,
        line,
        Some(keys[0]),
        "missing",
    ))
}

fn str_field(m: &Map<String, Value>, key: &str, file: &str, line: usize) -> Result<String> {
    match m.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(LeaderboardError::parse(
            file,
            line,
            Some(key),
            "expected a string",
        )),
        None => Err(LeaderboardError::parse(file, line, Some(key), "missing")),
    }
}

fn opt_str(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) => a.first().and_then(|v| v.as_str()).map(str::to_string),
        _ => None,
    }
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// A count that is an int or a dict of ints (collapsed to its sum, as the reference does).
fn count_value(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Object(o) => o.values().map(num).sum::<Option<f64>>(),
        other => num(other),
    }
}

fn markdown_from_meta(meta: &Map<String, Value>) -> Option<MarkdownCounts> {
    Some(MarkdownCounts {
        header: count_value(meta.get("header_count"))?,
        list: count_value(meta.get("list_count"))?,
        bold: count_value(meta.get("bold_count"))?,
    })
}

// ---------------------------------------------------------------------------------------------------------
// Arena-Hard

/// Parse an Arena-Hard judgment JSONL file. A game object without a `score` key gets its label from its
/// `judgment` text with the version's rule ([`parse_v01`] / [`parse_v2`] of `substance-judge`; v2 judgments are
/// objects whose `answer` holds the text); a `null` score stays `None`; a `null` game is `None`.
pub fn parse_arena_judgments(
    bytes: &[u8],
    file: &str,
    version: ArenaVersion,
) -> Result<Vec<ArenaJudgment>> {
    let mut out = Vec::new();
    for (line, raw) in lines(bytes) {
        let m = json_line(file, line, raw)?;
        let question_id = id_field(&m, &["question_id", "uid"], file, line)?;
        let model = str_field(&m, "model", file, line)?;
        let games_v = match m.get("games") {
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(LeaderboardError::parse(
                    file,
                    line,
                    Some("games"),
                    "expected an array",
                ));
            }
            None => {
                return Err(LeaderboardError::parse(
                    file,
                    line,
                    Some("games"),
                    "missing",
                ));
            }
        };
        let mut games = Vec::with_capacity(games_v.len());
        for (gi, g) in games_v.iter().enumerate() {
            let field = format!("games[{gi}]");
            match g {
                Value::Null => games.push(None),
                Value::Object(o) => {
                    let score = match o.get("score") {
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(Value::Null) => None,
                        Some(_) => {
                            return Err(LeaderboardError::parse(
                                file,
                                line,
                                Some(&format!("{field}.score")),
                                "expected a string or null",
                            ));
                        }
                        None => {
                            let text = match o.get("judgment") {
                                Some(Value::String(s)) => Some(s.as_str()),
                                Some(Value::Object(j)) => j.get("answer").and_then(Value::as_str),
                                _ => None,
                            };
                            text.and_then(|t| match version {
                                ArenaVersion::V01 => parse_v01(t).label,
                                ArenaVersion::V2 => parse_v2(t),
                            })
                        }
                    };
                    games.push(Some(Game { score }));
                }
                _ => {
                    return Err(LeaderboardError::parse(
                        file,
                        line,
                        Some(&field),
                        "expected an object or null",
                    ));
                }
            }
        }
        out.push(ArenaJudgment {
            question_id,
            model,
            judge: opt_str(&m, "judge"),
            category: opt_str(&m, "category"),
            games,
            file: file.to_owned(),
            line,
        });
    }
    nonempty(out, bytes, file)
}

/// Answers by model, then by question id, with their text: what judging a model's answers against a
/// baseline's needs. An answer without text, or a model answering a question twice, is an error naming
/// the file.
pub fn answers_by_model(
    answers: &[Answer],
    file: &str,
) -> Result<std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>> {
    let mut out: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> =
        Default::default();
    for a in answers {
        let Some(text) = &a.text else {
            return Err(LeaderboardError::Parse {
                file: file.to_owned(),
                line: 0,
                field: Some("answer".into()),
                message: format!("the answer of {} to {} has no text", a.model, a.question_id),
            });
        };
        if out
            .entry(a.model.clone())
            .or_default()
            .insert(a.question_id.clone(), text.clone())
            .is_some()
        {
            return Err(LeaderboardError::Parse {
                file: file.to_owned(),
                line: 0,
                field: Some("question_id".into()),
                message: format!("{} answers question {} twice", a.model, a.question_id),
            });
        }
    }
    Ok(out)
}

/// Parse an Arena-Hard answer JSONL file (either layout, detected per line).
pub fn parse_answers(bytes: &[u8], file: &str) -> Result<Vec<Answer>> {
    let mut out = Vec::new();
    for (line, raw) in lines(bytes) {
        let m = json_line(file, line, raw)?;
        let question_id = id_field(&m, &["question_id", "uid"], file, line)?;
        let model = match (m.get("model_id"), m.get("model")) {
            (Some(Value::String(s)), _) | (_, Some(Value::String(s))) => s.clone(),
            _ => {
                return Err(LeaderboardError::parse(
                    file,
                    line,
                    Some("model"),
                    "missing (model_id or model)",
                ));
            }
        };
        let text;
        let mut turn_len = None;
        if let Some(choices) = m.get("choices") {
            let turn = choices
                .get(0)
                .and_then(|c| c.get("turns"))
                .and_then(|t| t.get(0))
                .ok_or_else(|| {
                    LeaderboardError::parse(file, line, Some("choices[0].turns[0]"), "missing")
                })?;
            match turn {
                Value::String(s) => text = Some(s.clone()),
                Value::Object(t) => {
                    text = t.get("content").and_then(Value::as_str).map(str::to_string);
                    turn_len = t.get("token_len").and_then(num);
                }
                _ => {
                    return Err(LeaderboardError::parse(
                        file,
                        line,
                        Some("choices[0].turns[0]"),
                        "expected an object or a string",
                    ));
                }
            }
        } else if let Some(Value::Array(msgs)) = m.get("messages") {
            let last = msgs.last().and_then(|mm| mm.get("content"));
            text = match last {
                Some(Value::Object(c)) => {
                    c.get("answer").and_then(Value::as_str).map(str::to_string)
                }
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            };
            if text.is_none() {
                return Err(LeaderboardError::parse(
                    file,
                    line,
                    Some("messages[-1].content.answer"),
                    "missing",
                ));
            }
        } else {
            return Err(LeaderboardError::parse(
                file,
                line,
                Some("choices"),
                "missing (choices or messages)",
            ));
        }
        let meta = match (m.get("conv_metadata"), m.get("metadata")) {
            (Some(Value::Object(o)), _) | (_, Some(Value::Object(o))) => Some(o),
            _ => None,
        };
        let meta_len = meta.and_then(|o| o.get("token_len")).and_then(num);
        out.push(Answer {
            question_id,
            model,
            text,
            token_len: meta_len.or(turn_len),
            avg_token_len: turn_len.or(meta_len),
            markdown: meta.and_then(markdown_from_meta),
        });
    }
    nonempty(out, bytes, file)
}

// ---------------------------------------------------------------------------------------------------------
// AlpacaEval

fn opt_text(o: &Map<String, Value>, key: &str, file: &str, idx: usize) -> Result<Option<String>> {
    match o.get(key) {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(LeaderboardError::parse(
            file,
            idx,
            Some(key),
            "expected a string or null",
        )),
    }
}

/// Parse an AlpacaEval `annotations.json` (a JSON array of objects). Record numbers in errors are 1-based
/// positions in the array. `preference` may be a number, `null`, missing or Python's `NaN`.
pub fn parse_alpaca_annotations(bytes: &[u8], file: &str) -> Result<Vec<AlpacaAnnotation>> {
    let text = input::text(bytes, file)
        .map_err(|e| LeaderboardError::parse(file, 0, None, e.to_string()))?;
    if text.trim().is_empty() {
        return nonempty(Vec::new(), bytes, file);
    }
    let v = json_value(file, 1, text)?;
    let Value::Array(items) = v else {
        return Err(LeaderboardError::parse(
            file,
            0,
            None,
            "expected a JSON array of annotations",
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let idx = i + 1;
        let Value::Object(o) = item else {
            return Err(LeaderboardError::parse(
                file,
                idx,
                None,
                "expected an object",
            ));
        };
        let preference = match o.get("preference") {
            None | Some(Value::Null) => None,
            Some(v) => Some(num(v).ok_or_else(|| {
                LeaderboardError::parse(file, idx, Some("preference"), "expected a number or null")
            })?),
        };
        out.push(AlpacaAnnotation {
            instruction: opt_text(o, "instruction", file, idx)?.unwrap_or_default(),
            output_1: opt_text(o, "output_1", file, idx)?,
            generator_1: str_field(o, "generator_1", file, idx)?,
            output_2: opt_text(o, "output_2", file, idx)?,
            generator_2: str_field(o, "generator_2", file, idx)?,
            preference,
            file: file.to_owned(),
            record: idx,
        });
    }
    nonempty(out, bytes, file)
}

/// A CSV header and its numbered rows.
type CsvRows = (Vec<String>, Vec<(usize, Vec<String>)>);

fn parse_csv_rows(bytes: &[u8], file: &str) -> Result<CsvRows> {
    let text = input::text(bytes, file)
        .map_err(|e| LeaderboardError::parse(file, 0, None, e.to_string()))?;
    let mut rows = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells = split_csv_line(line).ok_or_else(|| {
            LeaderboardError::parse(file, i + 1, None, "unterminated quoted field")
        })?;
        if header.is_none() {
            header = Some(cells);
        } else {
            rows.push((i + 1, cells));
        }
    }
    let header = header.ok_or_else(|| LeaderboardError::parse(file, 0, None, "empty CSV"))?;
    Ok((header, rows))
}

/// Split one CSV line (RFC 4180 quoting, no embedded newlines).
fn split_csv_line(line: &str) -> Option<Vec<String>> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' {
            quoted = true;
        } else if c == ',' {
            cells.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if quoted {
        return None;
    }
    cells.push(cur);
    Some(cells)
}

fn parse_f64_cell(cell: &str, file: &str, line: usize, field: &str) -> Result<f64> {
    let t = cell.trim();
    match t {
        "" | "nan" | "NaN" => Ok(f64::NAN),
        "True" | "true" => Ok(1.0),
        "False" | "false" => Ok(0.0),
        _ => t.parse::<f64>().map_err(|_| {
            LeaderboardError::parse(file, line, Some(field), format!("not a number: {t:?}"))
        }),
    }
}

/// Parse AlpacaEval's `instruction_difficulty.csv` (`pd.read_csv(index_col=0).squeeze()`): a header line,
/// then `index,difficulty` rows. Returns the difficulties ordered by the integer index, which must be
/// `0..n` (each exactly once); the reference looks difficulties up by annotation **position**.
pub fn parse_instruction_difficulty(bytes: &[u8], file: &str) -> Result<Vec<f64>> {
    let (header, rows) = parse_csv_rows(bytes, file)?;
    if header.len() < 2 {
        return Err(LeaderboardError::parse(
            file,
            1,
            None,
            "expected two columns (index, difficulty)",
        ));
    }
    let mut out = vec![f64::NAN; rows.len()];
    let mut seen = vec![false; rows.len()];
    for (line, cells) in &rows {
        if cells.len() < 2 {
            return Err(LeaderboardError::parse(
                file,
                *line,
                None,
                "expected two columns",
            ));
        }
        let idx: usize = cells[0].trim().parse().map_err(|_| {
            LeaderboardError::parse(file, *line, Some(&header[0]), "expected a row index 0..n")
        })?;
        let v = parse_f64_cell(&cells[1], file, *line, &header[1])?;
        if idx >= out.len() || seen[idx] {
            return Err(LeaderboardError::parse(
                file,
                *line,
                Some(&header[0]),
                "index out of range or repeated",
            ));
        }
        seen[idx] = true;
        out[idx] = v;
    }
    nonempty(out, bytes, file)
}

/// One row of AlpacaEval's `df_gamed.csv`: annotations of prompted ("gamed") verbose/concise variants of the
/// baseline, already featurised (`preference` in `[0,1]`, `std_delta_len`, `instruction_difficulty`,
/// `not_gamed_baseline = False`).
#[derive(Debug, Clone, PartialEq)]
pub struct GamedRow {
    /// Row position of the instruction (0..805).
    pub index: usize,
    /// Preference minus one (NaN when missing).
    pub preference: f64,
    /// Standardised length difference.
    pub std_delta_len: f64,
    /// Instruction difficulty.
    pub instruction_difficulty: f64,
    /// Always false in the published file; kept for completeness.
    pub not_gamed_baseline: bool,
}

/// Parse `df_gamed.csv` (columns by header name: `index, preference, std_delta_len, instruction_difficulty,
/// not_gamed_baseline`; others such as `model` ignored).
pub fn parse_gamed_rows(bytes: &[u8], file: &str) -> Result<Vec<GamedRow>> {
    let (header, rows) = parse_csv_rows(bytes, file)?;
    let col = |name: &str| -> Result<usize> {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| LeaderboardError::parse(file, 1, Some(name), "column missing"))
    };
    let (ci, cp, cs, cd, cn) = (
        col("index")?,
        col("preference")?,
        col("std_delta_len")?,
        col("instruction_difficulty")?,
        col("not_gamed_baseline")?,
    );
    let mut out = Vec::with_capacity(rows.len());
    for (line, cells) in &rows {
        let get = |c: usize| -> Result<&str> {
            cells.get(c).map(String::as_str).ok_or_else(|| {
                LeaderboardError::parse(file, *line, Some(&header[c]), "missing cell")
            })
        };
        let index: usize = get(ci)?.trim().parse().map_err(|_| {
            LeaderboardError::parse(
                file,
                *line,
                Some("index"),
                "expected a non-negative integer",
            )
        })?;
        out.push(GamedRow {
            index,
            preference: parse_f64_cell(get(cp)?, file, *line, "preference")?,
            std_delta_len: parse_f64_cell(get(cs)?, file, *line, "std_delta_len")?,
            instruction_difficulty: parse_f64_cell(
                get(cd)?,
                file,
                *line,
                "instruction_difficulty",
            )?,
            not_gamed_baseline: parse_f64_cell(get(cn)?, file, *line, "not_gamed_baseline")? != 0.0,
        });
    }
    nonempty(out, bytes, file)
}

// ---------------------------------------------------------------------------------------------------------
// MT-Bench and notebook stats

fn turn_field(m: &Map<String, Value>, file: &str, line: usize) -> Result<Option<u32>> {
    match m.get("turn") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|t| u32::try_from(t).ok())
            .map(Some)
            .ok_or_else(|| {
                LeaderboardError::parse(file, line, Some("turn"), "expected a small integer")
            }),
    }
}

/// Parse a FastChat single-grade judgment file. When `score` is missing or null the rating is re-parsed from
/// `judgment` ([`parse_rating`] of `substance-judge`); no rating → `-1`.
pub fn parse_mt_bench_single(bytes: &[u8], file: &str) -> Result<Vec<MtBenchSingle>> {
    let mut out = Vec::new();
    for (line, raw) in lines(bytes) {
        let m = json_line(file, line, raw)?;
        let score = match m.get("score") {
            Some(Value::Null) | None => m
                .get("judgment")
                .and_then(Value::as_str)
                .and_then(parse_rating)
                .unwrap_or(-1.0),
            Some(v) => num(v).ok_or_else(|| {
                LeaderboardError::parse(file, line, Some("score"), "expected a number")
            })?,
        };
        out.push(MtBenchSingle {
            question_id: id_field(&m, &["question_id"], file, line)?,
            model: str_field(&m, "model", file, line)?,
            turn: turn_field(&m, file, line)?
                .ok_or_else(|| LeaderboardError::parse(file, line, Some("turn"), "missing"))?,
            score,
        });
    }
    nonempty(out, bytes, file)
}

fn winner(m: &Map<String, Value>, key: &str, file: &str, line: usize) -> Result<PairWinner> {
    match m.get(key).and_then(Value::as_str) {
        Some("model_1") => Ok(PairWinner::Model1),
        Some("model_2") => Ok(PairWinner::Model2),
        Some("tie") => Ok(PairWinner::Tie),
        Some("error") => Ok(PairWinner::Error),
        Some(other) => Err(LeaderboardError::parse(
            file,
            line,
            Some(key),
            format!("unknown winner {other:?}"),
        )),
        None => Err(LeaderboardError::parse(file, line, Some(key), "missing")),
    }
}

/// Parse a FastChat pairwise judgment file (`g1_winner`/`g2_winner` ∈ `model_1`, `model_2`, `tie`, `error`).
pub fn parse_mt_bench_pair(bytes: &[u8], file: &str) -> Result<Vec<MtBenchPair>> {
    let mut out = Vec::new();
    for (line, raw) in lines(bytes) {
        let m = json_line(file, line, raw)?;
        out.push(MtBenchPair {
            question_id: id_field(&m, &["question_id"], file, line)?,
            model_1: str_field(&m, "model_1", file, line)?,
            model_2: str_field(&m, "model_2", file, line)?,
            g1_winner: winner(&m, "g1_winner", file, line)?,
            g2_winner: winner(&m, "g2_winner", file, line)?,
            turn: turn_field(&m, file, line)?,
        });
    }
    nonempty(out, bytes, file)
}

/// Parse a notebook `bootstrap_stats_*.jsonl` file.
pub fn parse_bootstrap_stats(bytes: &[u8], file: &str) -> Result<Vec<BootstrapStats>> {
    let mut out = Vec::new();
    for (line, raw) in lines(bytes) {
        let m = json_line(file, line, raw)?;
        let f = |k: &str| -> Result<f64> {
            m.get(k)
                .and_then(num)
                .ok_or_else(|| LeaderboardError::parse(file, line, Some(k), "expected a number"))
        };
        let results = match m.get("results") {
            Some(Value::Array(a)) => a.iter().map(|v| num(v).unwrap_or(f64::NAN)).collect(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => {
                return Err(LeaderboardError::parse(
                    file,
                    line,
                    Some("results"),
                    "expected an array",
                ));
            }
        };
        out.push(BootstrapStats {
            model: str_field(&m, "model", file, line)?,
            score: f("score")?,
            lower: f("lower")?,
            upper: f("upper")?,
            results,
        });
    }
    nonempty(out, bytes, file)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nan_tokens_become_null_outside_strings() {
        let s = r#"[{"a": NaN, "b": "NaN \" Infinity", "c": -Infinity}]"#;
        let out = sanitize_non_finite(s);
        assert_eq!(out, r#"[{"a": null, "b": "NaN \" Infinity", "c": null}]"#);
    }

    #[test]
    fn v01_judgment_with_and_without_score() {
        let data = br#"{"question_id": "q1", "model": "m", "judge": "j", "games": [{"user_prompt": "u", "judgment": "x [[A>B]]", "score": "B>A"}, {"judgment": "y [[A>>B]] [[A>>B]]"}]}
{"question_id": 7, "model": "m", "games": [{"score": null}, null]}
"#;
        let j = parse_arena_judgments(data, "f.jsonl", ArenaVersion::V01).unwrap();
        assert_eq!(j.len(), 2);
        assert_eq!(
            j[0].games[0].as_ref().unwrap().score.as_deref(),
            Some("B>A")
        );
        assert_eq!(
            j[0].games[1].as_ref().unwrap().score.as_deref(),
            Some("A>>B")
        );
        assert_eq!(j[1].question_id, "7");
        assert_eq!(j[1].games[0].as_ref().unwrap().score, None);
        assert_eq!(j[1].games[1], None);
    }

    #[test]
    fn errors_name_file_line_field() {
        let data = b"{\"question_id\": \"q\", \"model\": 3, \"games\": []}\n";
        let e = parse_arena_judgments(data, "x.jsonl", ArenaVersion::V01).unwrap_err();
        assert_eq!(e.to_string(), "x.jsonl:1: field `model`: expected a string");
        let e = parse_arena_judgments(b"\n\n{", "y.jsonl", ArenaVersion::V2).unwrap_err();
        assert!(e.to_string().starts_with("y.jsonl:3: invalid JSON"), "{e}");
    }

    #[test]
    fn answers_both_layouts() {
        let data = br##"{"question_id": "q", "model_id": "m", "choices": [{"index": 0, "turns": [{"content": "# T\n- a\n**b**", "token_len": 9}]}]}
{"uid": "u", "model": "n", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": {"answer": "hi"}}], "metadata": {"token_len": 3, "header_count": {"h1": 1, "h2": 2}, "list_count": {"ordered": 0, "unordered": 4}, "bold_count": {"**": 1, "__": 1}}}
"##;
        let a = parse_answers(data, "a.jsonl").unwrap();
        assert_eq!(a[0].token_len, Some(9.0));
        assert_eq!(a[0].markdown, None);
        assert_eq!(
            a[1].markdown,
            Some(MarkdownCounts {
                header: 3.0,
                list: 4.0,
                bold: 2.0
            })
        );
        assert_eq!(a[1].text.as_deref(), Some("hi"));
    }

    #[test]
    fn every_parser_follows_the_reading_policy() {
        type Parser = fn(&[u8], &str) -> Result<usize>;
        let parsers: [(&str, Parser); 8] = [
            ("arena", |b, f| {
                parse_arena_judgments(b, f, ArenaVersion::V01).map(|v| v.len())
            }),
            ("answers", |b, f| parse_answers(b, f).map(|v| v.len())),
            ("alpaca", |b, f| {
                parse_alpaca_annotations(b, f).map(|v| v.len())
            }),
            ("difficulty", |b, f| {
                parse_instruction_difficulty(b, f).map(|v| v.len())
            }),
            ("gamed", |b, f| parse_gamed_rows(b, f).map(|v| v.len())),
            ("mt single", |b, f| {
                parse_mt_bench_single(b, f).map(|v| v.len())
            }),
            ("mt pair", |b, f| parse_mt_bench_pair(b, f).map(|v| v.len())),
            ("bootstrap", |b, f| {
                parse_bootstrap_stats(b, f).map(|v| v.len())
            }),
        ];
        for (name, parse) in parsers {
            for empty in ["", "\u{feff}", " \r\n\n", "[]"] {
                let e = parse(empty.as_bytes(), "f").unwrap_err().to_string();
                assert!(e.starts_with("f:"), "{name} on {empty:?}: {e}");
            }
            // JSON formats name the member; CSV formats read the line as a header without rows.
            let e = parse(b"{\"model\": \"a\", \"model\": \"b\"}\n", "f")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("f:"), "{name}: {e}");
        }
        let twice = br#"{"question_id": 1, "model": "m", "model": "n", "games": []}"#;
        let e = parse_arena_judgments(twice, "j.jsonl", ArenaVersion::V01).unwrap_err();
        assert_eq!(
            e.to_string(),
            "j.jsonl:1: field `model`: JSON object member given twice in one record"
        );
        let bom = b"\xEF\xBB\xBF{\"question_id\": 1, \"model\": \"m\", \"games\": []}\r\n";
        assert_eq!(
            parse_arena_judgments(bom, "j", ArenaVersion::V01)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn difficulty_csv() {
        let d = parse_instruction_difficulty(b",instruction_difficulty\n1,0.5\n0,-1.25\n", "d.csv")
            .unwrap();
        assert_eq!(d, vec![-1.25, 0.5]);
        assert!(parse_instruction_difficulty(b"i,d\n0,1\n0,2\n", "d.csv").is_err());
    }
}
