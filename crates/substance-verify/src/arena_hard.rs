//! Arena-Hard-Auto judgment files (`model_judgment/<judge>/<model>.jsonl`): v2.0 (`uid`, `category`,
//! `games[].judgment.answer`) and v0.1 (`question_id`, `games[].judgment`).
//!
//! - **Per game**: the recorded `score` label is re-parsed from the judge's text with the version's
//!   rule (`substance_judge`'s `parse_v2` / `parse_v01`); a label that differs is an item finding.
//! - **v2 score** per model and category: `show_result.py` (@196f6b8) reports the mean of 100 bootstrap
//!   means of the model's battle outcomes (strong verdicts counted 3 times, ties 0.5), drawn
//!   **unseeded**. Its expected value is the plain mean of the outcomes, recomputed here; a published
//!   score is matched within 4 standard deviations of the 100-round bootstrap mean
//!   (`4 · 100 · σ / √(100 n)`, σ the outcomes' population standard deviation) plus its printed
//!   precision. Style-controlled scores need every model's answers and a joint fit: not checkable here
//!   (`substance leaderboard --protocol arena-hard-v2 --style-control` recomputes them).
//! - **v0.1 scores** are a Bradley–Terry fit over every model's battles: not checkable from one file
//!   (`substance leaderboard --protocol arena-hard-v0.1` recomputes the board from the folder).
//! - Judgments the reference drops (a null game or a game without a label) are listed as skipped.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use substance_core::input::{self, Skipped};
use substance_judge::protocol::arena::{STRONG_WEIGHT, parse_v01, parse_v2};
use substance_leaderboard::arena_v2::battles_v2;
use substance_leaderboard::formats::{ArenaVersion, parse_arena_judgments};

use crate::report::{Check, Finding, Recomputed, Report, Severity};
use crate::{ClaimBook, Format, VerifyError};

/// Bootstrap rounds of the reference's v2 leaderboard.
pub const ROUNDS: f64 = 100.0;
/// Standard deviations of the bootstrap mean allowed between a published v2 score and its expectation.
pub const SIGMAS: f64 = 4.0;

/// Which Arena-Hard layout a first record has, if any.
pub fn looks_like(first: &Map<String, Value>) -> Option<ArenaVersion> {
    if !first.contains_key("games") || !first.contains_key("model") {
        return None;
    }
    if first.contains_key("uid") {
        Some(ArenaVersion::V2)
    } else if first.contains_key("question_id") {
        Some(ArenaVersion::V01)
    } else {
        None
    }
}

fn judgment_text(game: &Map<String, Value>) -> Option<&str> {
    match game.get("judgment") {
        Some(Value::String(s)) => Some(s),
        Some(Value::Object(j)) => j.get("answer").and_then(Value::as_str),
        _ => None,
    }
}

/// The model name the leaderboard shows (v2 strips a path prefix).
fn shown_model(model: &str, version: ArenaVersion) -> &str {
    match version {
        ArenaVersion::V2 => model.rsplit('/').next().unwrap_or(model),
        ArenaVersion::V01 => model,
    }
}

/// Verify a judgment file: one report per judged model.
pub fn verify(
    file: &str,
    text: &str,
    version: ArenaVersion,
    claims: &mut ClaimBook,
) -> Result<Vec<Report>, VerifyError> {
    let lb = |e: substance_leaderboard::error::LeaderboardError| VerifyError::Format {
        file: file.to_owned(),
        message: e.to_string(),
    };
    let judgments = parse_arena_judgments(text.as_bytes(), file, version).map_err(lb)?;
    // the raw records, for the judge's texts and the recorded labels
    let mut lines: Vec<(usize, Map<String, Value>)> = Vec::new();
    for (line, raw) in input::lines(text) {
        if !raw.trim().is_empty() {
            lines.push((line, input::object_line(raw, file, line)?));
        }
    }
    let mut seen = input::UniqueKeys::new("judgment (model, question)");
    for ((line, _), j) in lines.iter().zip(&judgments) {
        seen.insert(&format!("{}, {}", j.model, j.question_id), file, *line)?;
    }
    let mut by_model: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, j) in judgments.iter().enumerate() {
        by_model
            .entry(shown_model(&j.model, version).to_owned())
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for (model, idx) in by_model {
        let mut report = Report::new(
            file,
            match version {
                ArenaVersion::V2 => Format::ArenaHardV2,
                ArenaVersion::V01 => Format::ArenaHardV01,
            },
            Some(model.clone()),
        );
        let mut kept = Vec::new();
        for &i in &idx {
            let (line, raw) = &lines[i];
            let j = &judgments[i];
            let games = raw.get("games").and_then(Value::as_array);
            for (g, game) in games.into_iter().flatten().enumerate() {
                let Value::Object(game) = game else { continue };
                let (Some(Value::String(recorded)), Some(text)) =
                    (game.get("score"), judgment_text(game))
                else {
                    continue;
                };
                let again = match version {
                    ArenaVersion::V2 => parse_v2(text),
                    ArenaVersion::V01 => parse_v01(text).label,
                };
                if again.as_deref() != Some(recorded.as_str()) {
                    report.findings.push(Finding {
                        text: Some(Finding::cut(text)),
                        record: *line,
                        id: j.question_id.clone(),
                        field: format!("games[{g}].score"),
                        claimed: recorded.clone(),
                        recomputed: again.clone().unwrap_or_else(|| "no label".to_owned()),
                        severity: Severity::Differs,
                        reason: format!(
                            "the {} verdict pattern reads {} from the judge's text",
                            match version {
                                ArenaVersion::V2 => "v2",
                                ArenaVersion::V01 => "v0.1",
                            },
                            again.as_deref().unwrap_or("no label")
                        ),
                    });
                }
            }
            let complete = j.games.len() >= 2
                && j.games[..2]
                    .iter()
                    .all(|g| g.as_ref().is_some_and(|g| g.score.is_some()));
            if complete {
                kept.push(j.clone());
            } else {
                report.skipped.push(Skipped {
                    file: file.to_owned(),
                    line: *line,
                    reason: format!(
                        "question {}: a game is null or has no verdict label; the reference drops the judgment",
                        j.question_id
                    ),
                });
            }
        }
        report.items_checked = kept.len();
        match version {
            ArenaVersion::V2 => {
                let mut by_category: BTreeMap<String, Vec<_>> = BTreeMap::new();
                for j in &kept {
                    by_category
                        .entry(j.category.clone().unwrap_or_default())
                        .or_default()
                        .push(j.clone());
                }
                // several categories: the score over all of them too (`show_result.py` without --category)
                if by_category.len() > 1 {
                    by_category.insert(String::new(), kept);
                }
                for (category, js) in by_category {
                    let battles = battles_v2(&js, STRONG_WEIGHT).map_err(lb)?;
                    let n = battles.len();
                    if n == 0 {
                        continue;
                    }
                    let scores: Vec<f64> = battles.iter().map(|b| b.score).collect();
                    let mean = scores.iter().sum::<f64>() / n as f64;
                    let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n as f64;
                    let slack = SIGMAS * 100.0 * (var / (ROUNDS * n as f64)).sqrt();
                    let scope = if category.is_empty() {
                        "arena_hard_v2".to_owned()
                    } else {
                        format!("arena_hard_v2/{category}")
                    };
                    let mut c = Check::against_points(
                        scope,
                        "score",
                        n,
                        Recomputed::Value {
                            value: mean * 100.0,
                        },
                        Some(&model),
                        claims,
                        slack,
                        "judgment files carry no score: give the published one with --claims",
                    );
                    c.detail = Some(format!(
                        "expected value of the reference's unseeded 100-round bootstrap mean over {n} battles; matched within ±{slack:.2} points ({SIGMAS} σ)"
                    ));
                    report.checks.push(c);
                }
                if let Some(b) = judgments[idx[0]]
                    .judge
                    .as_ref()
                    .map(|j| format!("judge: {j}"))
                {
                    report.notes.push(b);
                }
                if let Some(Value::String(b)) = lines[idx[0]].1.get("baseline") {
                    report.notes.push(format!("baseline: {b}"));
                }
            }
            ArenaVersion::V01 => {
                report.checks.push(Check::not_checkable(
                    "arena_hard_v0.1".to_owned(),
                    "score",
                    report.items_checked,
                    Some(&model),
                    claims,
                    "a v0.1 score is a Bradley–Terry fit over every model's battles: recompute the board \
                     with `substance leaderboard --protocol arena-hard-v0.1` on the judgment folder",
                ));
            }
        }
        report.conclude();
        out.push(report);
    }
    Ok(out)
}
