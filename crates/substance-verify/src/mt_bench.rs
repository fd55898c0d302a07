//! MT-Bench (FastChat `llm_judge`) judgment files: `model_judgment/<judge>_single.jsonl` (one
//! `[[rating]]` per model, question and turn) and `<judge>_pair.jsonl` (two games per match, the second
//! with the answers swapped).
//!
//! Every recorded verdict is re-parsed from the judge's text with FastChat's rules (`substance_judge`'s
//! `parse_rating` / `parse_pair`) and compared with the recorded `score` / `g1_winner` / `g2_winner`;
//! the per-model numbers of `show_result.py` are recomputed from the recorded verdicts with
//! `substance_leaderboard` (pooled mean of kept ratings and the two turn means; win, loss and adjusted
//! win rates) and compared with `--claims` (the files carry no aggregate). Ratings of `-1` (no rating
//! in the judgment) are dropped as `show_result.py` drops them, and listed as skipped; so are pairwise
//! matches with an `error` game.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use substance_core::input::{self, Skipped};
use substance_judge::label::Preference;
use substance_judge::protocol::mt_bench::{parse_pair, parse_rating};
use substance_leaderboard::formats::{MtBenchPair, MtBenchSingle, PairWinner};
use substance_leaderboard::mtbench::{mt_bench_pairwise, mt_bench_single};

use crate::report::{Check, Finding, Recomputed, Report, Severity};
use crate::{ClaimBook, Format, VerifyError};

/// Whether a first record is an MT-Bench single-grade judgment.
pub fn looks_like_single(first: &Map<String, Value>) -> bool {
    ["question_id", "model", "judge", "score", "turn"]
        .iter()
        .all(|k| first.contains_key(*k))
}

/// Whether a first record is an MT-Bench pairwise judgment.
pub fn looks_like_pair(first: &Map<String, Value>) -> bool {
    [
        "question_id",
        "model_1",
        "model_2",
        "g1_winner",
        "g2_winner",
    ]
    .iter()
    .all(|k| first.contains_key(*k))
}

fn text_of<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    file: &str,
    line: usize,
) -> Result<&'a str, VerifyError> {
    match m.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(crate::line_error(
            file,
            line,
            key,
            format!("expected a string, found {}", input::kind(v)),
        )),
        None => Err(crate::line_error(file, line, key, "missing")),
    }
}

fn id_of(m: &Map<String, Value>, file: &str, line: usize) -> Result<String, VerifyError> {
    match m.get("question_id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(v) => Err(crate::line_error(
            file,
            line,
            "question_id",
            format!(
                "expected a non-empty string or a number, found {}",
                input::kind(v)
            ),
        )),
        None => Err(crate::line_error(file, line, "question_id", "missing")),
    }
}

fn turn_of(m: &Map<String, Value>, file: &str, line: usize) -> Result<u32, VerifyError> {
    match m.get("turn").and_then(Value::as_u64) {
        Some(t @ 1..=2) => Ok(t as u32),
        _ => Err(crate::line_error(file, line, "turn", "expected 1 or 2")),
    }
}

fn judge_of(m: &Map<String, Value>) -> Option<String> {
    match m.get("judge")? {
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" / "),
        ),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn shown(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        v.to_string()
    }
}

/// Verify a single-grade judgment file: one report per judged model.
pub fn verify_single(
    file: &str,
    text: &str,
    claims: &mut ClaimBook,
) -> Result<Vec<Report>, VerifyError> {
    let mut records: Vec<(usize, MtBenchSingle)> = Vec::new();
    let mut findings: Vec<(String, Finding)> = Vec::new();
    let mut judges: Vec<String> = Vec::new();
    let mut seen = input::UniqueKeys::new("judgment (model, question_id, turn, judge)");
    for (line, raw) in input::lines(text) {
        if raw.trim().is_empty() {
            continue;
        }
        let m = input::object_line(raw, file, line)?;
        let question_id = id_of(&m, file, line)?;
        let model = text_of(&m, "model", file, line)?.to_owned();
        let turn = turn_of(&m, file, line)?;
        let judge = judge_of(&m).unwrap_or_default();
        seen.insert(
            &format!("{model}, {question_id}, {turn}, {judge}"),
            file,
            line,
        )?;
        if !judges.contains(&judge) {
            judges.push(judge);
        }
        let score = match m.get("score") {
            Some(Value::Number(n)) => n
                .as_f64()
                .ok_or_else(|| crate::line_error(file, line, "score", "not a finite number"))?,
            Some(v) => {
                return Err(crate::line_error(
                    file,
                    line,
                    "score",
                    format!("expected a number, found {}", input::kind(v)),
                ));
            }
            None => return Err(crate::line_error(file, line, "score", "missing")),
        };
        let judgment = text_of(&m, "judgment", file, line)?;
        let reparsed = parse_rating(judgment).unwrap_or(-1.0);
        if reparsed != score {
            findings.push((
                model.clone(),
                Finding {
                    text: Some(Finding::cut(judgment)),
                    record: line,
                    id: format!("{question_id} turn {turn}"),
                    field: "score".to_owned(),
                    claimed: shown(score),
                    recomputed: shown(reparsed),
                    severity: Severity::Differs,
                    reason: if reparsed == -1.0 {
                        "the judgment holds no [[rating]] (FastChat records -1)".to_owned()
                    } else {
                        format!(
                            "FastChat's pattern reads {} from the judgment",
                            shown(reparsed)
                        )
                    },
                },
            ));
        }
        records.push((
            line,
            MtBenchSingle {
                question_id,
                model,
                turn,
                score,
            },
        ));
    }
    input::require_records(records.len(), text, file)?;
    let all: Vec<MtBenchSingle> = records.iter().map(|(_, r)| r.clone()).collect();
    let rows = mt_bench_single(&all);
    let mut out = Vec::new();
    let no_claim = "MT-Bench judgment files carry no score: give the published one with --claims";
    for row in rows {
        let model = Some(row.model.as_str());
        let mine: Vec<&(usize, MtBenchSingle)> = records
            .iter()
            .filter(|(_, r)| r.model == row.model)
            .collect();
        let kept = row.n[0] + row.n[1];
        let mut checks = Vec::new();
        if kept > 0 {
            checks.push(Check::against(
                "mt_bench".to_owned(),
                "score",
                kept,
                Recomputed::Value { value: row.score },
                model,
                claims,
                0.0,
                no_claim,
            ));
        }
        for (t, mean) in [(1, row.turn1), (2, row.turn2)] {
            if let Some(value) = mean {
                checks.push(Check::against(
                    "mt_bench".to_owned(),
                    &format!("score_turn{t}"),
                    row.n[t - 1],
                    Recomputed::Value { value },
                    model,
                    claims,
                    0.0,
                    no_claim,
                ));
            }
        }
        let mut report = Report::new(file, Format::MtBenchSingle, Some(row.model.clone()));
        report.items_checked = kept;
        report.checks = checks;
        report.findings = findings
            .iter()
            .filter(|(m, _)| *m == row.model)
            .map(|(_, f)| f.clone())
            .collect();
        report.skipped = mine
            .iter()
            .filter(|(_, r)| r.score == -1.0)
            .map(|(line, r)| Skipped {
                file: file.to_owned(),
                line: *line,
                reason: format!(
                    "question {} turn {}: rating -1 (no rating), dropped as show_result.py drops it",
                    r.question_id, r.turn
                ),
            })
            .collect();
        report.notes.push(format!(
            "judge: {}; the MT-Bench score is the mean of all kept ratings (not the mean of the turn means)",
            judges.join(", ")
        ));
        if kept == 0 {
            report
                .notes
                .push("no kept rating: no score to recompute".to_owned());
        }
        report.conclude();
        out.push(report);
    }
    Ok(out)
}

fn winner_of(
    m: &Map<String, Value>,
    key: &str,
    file: &str,
    line: usize,
) -> Result<PairWinner, VerifyError> {
    match text_of(m, key, file, line)? {
        "model_1" => Ok(PairWinner::Model1),
        "model_2" => Ok(PairWinner::Model2),
        "tie" => Ok(PairWinner::Tie),
        "error" => Ok(PairWinner::Error),
        other => Err(crate::line_error(
            file,
            line,
            key,
            format!("expected model_1, model_2, tie or error, found {other:?}"),
        )),
    }
}

fn winner_name(w: PairWinner) -> &'static str {
    match w {
        PairWinner::Model1 => "model_1",
        PairWinner::Model2 => "model_2",
        PairWinner::Tie => "tie",
        PairWinner::Error => "error",
    }
}

/// The game's winner from the judge's text; `swapped` for the second game (model_2 shown as A).
fn reparse(judgment: &str, swapped: bool) -> PairWinner {
    match (parse_pair(judgment), swapped) {
        (Some(Preference::A), false) | (Some(Preference::B), true) => PairWinner::Model1,
        (Some(Preference::B), false) | (Some(Preference::A), true) => PairWinner::Model2,
        (Some(Preference::Tie), _) => PairWinner::Tie,
        (None, _) => PairWinner::Error,
    }
}

/// Verify a pairwise judgment file: one report per model (the baseline, when every match has one,
/// gets none, as in `show_result.py --mode pairwise-baseline`).
pub fn verify_pair(
    file: &str,
    text: &str,
    claims: &mut ClaimBook,
) -> Result<Vec<Report>, VerifyError> {
    let mut records: Vec<(usize, MtBenchPair)> = Vec::new();
    let mut findings: Vec<(String, String, Finding)> = Vec::new();
    let mut seen = input::UniqueKeys::new("match (model_1, model_2, question_id, turn)");
    for (line, raw) in input::lines(text) {
        if raw.trim().is_empty() {
            continue;
        }
        let m = input::object_line(raw, file, line)?;
        let question_id = id_of(&m, file, line)?;
        let model_1 = text_of(&m, "model_1", file, line)?.to_owned();
        let model_2 = text_of(&m, "model_2", file, line)?.to_owned();
        let turn = turn_of(&m, file, line)?;
        seen.insert(
            &format!("{model_1}, {model_2}, {question_id}, {turn}"),
            file,
            line,
        )?;
        let mut winners = [PairWinner::Error; 2];
        for (g, key) in ["g1", "g2"].iter().enumerate() {
            let recorded = winner_of(&m, &format!("{key}_winner"), file, line)?;
            winners[g] = recorded;
            let judgment = text_of(&m, &format!("{key}_judgment"), file, line)?;
            let again = reparse(judgment, g == 1);
            if again != recorded {
                findings.push((
                    model_1.clone(),
                    model_2.clone(),
                    Finding {
                        text: Some(Finding::cut(judgment)),
                        record: line,
                        id: format!("{question_id} turn {turn}"),
                        field: format!("{key}_winner"),
                        claimed: winner_name(recorded).to_owned(),
                        recomputed: winner_name(again).to_owned(),
                        severity: Severity::Differs,
                        reason: format!(
                            "FastChat's [[A]]/[[B]]/[[C]] rule reads {} from the judgment{}",
                            winner_name(again),
                            if g == 1 {
                                " (game 2 shows model_2 as A)"
                            } else {
                                ""
                            }
                        ),
                    },
                ));
            }
        }
        records.push((
            line,
            MtBenchPair {
                question_id,
                model_1,
                model_2,
                g1_winner: winners[0],
                g2_winner: winners[1],
                turn: Some(turn),
            },
        ));
    }
    input::require_records(records.len(), text, file)?;
    // the baseline: the one model every match involves (pairwise-baseline), else pairwise-all
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in &records {
        *counts.entry(&r.model_1).or_default() += 1;
        if r.model_2 != r.model_1 {
            *counts.entry(&r.model_2).or_default() += 1;
        }
    }
    let common: Vec<&str> = counts
        .iter()
        .filter(|(_, n)| **n == records.len())
        .map(|(m, _)| *m)
        .collect();
    let baseline = match common.as_slice() {
        [one] if counts.len() > 2 => Some((*one).to_owned()),
        _ => None,
    };
    let all: Vec<MtBenchPair> = records.iter().map(|(_, r)| r.clone()).collect();
    let rows = mt_bench_pairwise(&all, baseline.as_deref(), None);
    let scope = match &baseline {
        Some(b) => format!("mt_bench_pairwise/vs {b}"),
        None => "mt_bench_pairwise".to_owned(),
    };
    let no_claim =
        "MT-Bench judgment files carry no win rate: give the published one with --claims";
    let mut out = Vec::new();
    for row in rows {
        let model = Some(row.model.as_str());
        let n = row.win + row.loss + row.tie;
        let mut checks = Vec::new();
        for (metric, value) in [
            ("win_rate", row.win_rate),
            ("loss_rate", row.loss_rate),
            ("win_rate_adjusted", row.win_rate_adjusted),
        ] {
            checks.push(Check::against(
                scope.clone(),
                metric,
                n,
                Recomputed::Value { value },
                model,
                claims,
                0.0,
                no_claim,
            ));
        }
        let involves = |r: &MtBenchPair| r.model_1 == row.model || r.model_2 == row.model;
        let mut report = Report::new(file, Format::MtBenchPair, Some(row.model.clone()));
        report.items_checked = n;
        report.checks = checks;
        report.findings = findings
            .iter()
            .filter(|(a, b, _)| *a == row.model || *b == row.model)
            .map(|(_, _, f)| f.clone())
            .collect();
        report.skipped = records
            .iter()
            .filter(|(_, r)| {
                involves(r)
                    && (r.g1_winner == PairWinner::Error || r.g2_winner == PairWinner::Error)
            })
            .map(|(line, r)| Skipped {
                file: file.to_owned(),
                line: *line,
                reason: format!(
                    "question {}: a game without a verdict (error), dropped as show_result.py drops it",
                    r.question_id
                ),
            })
            .collect();
        report.notes.push(format!(
            "{} win, {} loss, {} tie (a match whose two games disagree counts as a tie){}",
            row.win,
            row.loss,
            row.tie,
            baseline
                .as_ref()
                .map_or_else(String::new, |b| format!("; against the baseline {b}"))
        ));
        report.conclude();
        out.push(report);
    }
    Ok(out)
}
