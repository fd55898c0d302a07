//! Parsers and style features on the real files of the shared data folder (skipped with a message when
//! absent): Arena-Hard v2 answers carry the reference's own `metadata` (o200k token length and markdown
//! counts) to compare with; v0.1 answers and MT-Bench judgments exercise the other layouts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic
)]

mod common;

use substance_judge::protocol::mt_bench::parse_rating;
use substance_leaderboard::formats::{parse_answers, parse_mt_bench_single};
use substance_leaderboard::mtbench::mt_bench_single;
use substance_leaderboard::style::{Encoding, count_markdown};

#[test]
fn v2_answer_metadata_is_reproduced_from_the_text() {
    let Some(dir) = common::data_root("arena-hard-auto/data/arena-hard-v2.0/model_answer") else {
        return;
    };
    let path = dir.join("o3-mini-2025-01-31.jsonl");
    let answers =
        parse_answers(&std::fs::read(&path).unwrap(), &path.display().to_string()).unwrap();
    assert_eq!(answers.len(), 750);
    let (mut md_equal, mut tok_equal, mut tok_checked) = (0, 0, 0);
    for a in &answers {
        let text = a.text.as_deref().unwrap();
        let want = a.markdown.unwrap();
        let got = count_markdown(text);
        assert_eq!(got, want, "markdown counts of {}", a.question_id);
        md_equal += 1;
        if let Some(n) = substance_leaderboard::style::token_len(text, Encoding::O200kBase) {
            tok_checked += 1;
            if n as f64 == a.token_len.unwrap() {
                tok_equal += 1;
            }
        }
    }
    println!(
        "o3-mini v2 answers: markdown counts equal {md_equal}/750; o200k token_len equal {tok_equal}/{tok_checked}"
    );
    assert!(tok_checked == 0 || tok_equal == tok_checked);
}

/// cl100k lengths of the v0.1 answers reproduce the `avg_tokens` column of the published leaderboard
/// (`int(mean token_len)`).
#[test]
fn v01_answers_parse_and_get_style_features() {
    let Some(dir) = common::data_root("arena-hard-auto/data/arena-hard-v0.1/model_answer") else {
        return;
    };
    let csv = dir.join("../../../leaderboard/arena_hard_leaderboard_20240731.csv");
    let (header, rows) = common::read_csv(&csv);
    let tok_col = header.iter().position(|h| h == "avg_tokens").unwrap();
    for name in ["gpt-4-0314", "gpt-4-0613", "gpt-3.5-turbo-0125"] {
        let path = dir.join(format!("{name}.jsonl"));
        let answers =
            parse_answers(&std::fs::read(&path).unwrap(), &path.display().to_string()).unwrap();
        assert_eq!(answers.len(), 500);
        assert!(
            answers
                .iter()
                .all(|a| a.model == name && a.text.is_some() && a.markdown.is_none())
        );
        let _ = (&rows, tok_col);
        #[cfg(feature = "tiktoken")]
        {
            let metas: Vec<_> = answers
                .iter()
                .map(|a| a.style_meta(Encoding::Cl100kBase).unwrap())
                .collect();
            let mean_len = metas.iter().map(|m| m.token_len).sum::<f64>() / metas.len() as f64;
            let want: f64 = rows.iter().find(|r| r[0] == name).unwrap()[tok_col]
                .parse()
                .unwrap();
            println!(
                "{name}: mean cl100k token length {mean_len:.2}; leaderboard avg_tokens {want}"
            );
            assert_eq!(mean_len.floor(), want);
        }
    }
}

#[test]
fn mt_bench_instructlab_judgments() {
    let Some(dir) = common::data_root("mt-bench/instructlab") else {
        return;
    };
    let path = dir.join("gpt-4_single.jsonl");
    let bytes = std::fs::read(&path).unwrap();
    let recs = parse_mt_bench_single(&bytes, &path.display().to_string()).unwrap();
    assert_eq!(recs.len(), 160);
    let missing = recs.iter().filter(|r| r.score == -1.0).count();
    assert_eq!(missing, 120);
    // The recorded score is the first [[rating]] (or [rating]) of the text; -1 when there is none.
    let raw: Vec<serde_json::Value> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    for (r, v) in recs.iter().zip(&raw) {
        let reparsed = parse_rating(v["judgment"].as_str().unwrap()).unwrap_or(-1.0);
        assert_eq!(
            reparsed, r.score,
            "question {} turn {}",
            r.question_id, r.turn
        );
    }
    let rows = mt_bench_single(&recs);
    let g = &rows[0];
    println!(
        "granite-7b-lab: turn 1 {:?} (n {}), turn 2 {:?} (n {}), score {:.4}, {} without rating",
        g.turn1, g.n[0], g.turn2, g.n[1], g.score, g.n_missing
    );
    assert_eq!(g.n, [37, 3]);
    assert_eq!(g.n_missing, 120);
}
