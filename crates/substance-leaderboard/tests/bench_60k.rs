//! Timing of a full-size leaderboard: 60 models × 500 questions × 2 games (≈ 60,000+ battle rows), 100
//! bootstrap rounds, plain and style-controlled. Ignored by default; run with
//! `cargo test --release -p substance-leaderboard --test bench_60k -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use substance_leaderboard::arena::{ArenaV01Options, StyleControl, arena_hard_v01_leaderboard};
use substance_leaderboard::formats::{Answer, ArenaJudgment, Game};
use substance_leaderboard::style::MarkdownCounts;

fn synthetic() -> (Vec<ArenaJudgment>, Vec<Answer>) {
    let labels0 = ["A>>B", "A>B", "A=B", "B>A", "B>>A"];
    let labels1 = ["B>>A", "B>A", "A=B", "A>B", "A>>B"];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut judgments = Vec::new();
    let mut answers = Vec::new();
    for m in 0..=60 {
        let model = if m == 60 {
            "baseline".to_string()
        } else {
            format!("model-{m:02}")
        };
        for q in 0..500 {
            let meta = MarkdownCounts {
                header: (next() % 5) as f64,
                list: (next() % 9) as f64,
                bold: (next() % 7) as f64,
            };
            answers.push(Answer {
                question_id: format!("q{q}"),
                model: model.clone(),
                text: None,
                token_len: Some((100 + next() % 900) as f64),
                avg_token_len: None,
                markdown: Some(meta),
            });
            if m == 60 {
                continue;
            }
            // skill shifts the label distribution
            let pick = |r: u64| ((r % 100) as usize * 5 / 100 + m / 20).min(4);
            judgments.push(ArenaJudgment {
                question_id: format!("q{q}"),
                model: model.clone(),
                judge: None,
                category: None,
                games: vec![
                    Some(Game {
                        score: Some(labels0[pick(next())].to_string()),
                    }),
                    Some(Game {
                        score: Some(labels1[pick(next())].to_string()),
                    }),
                ],
                file: String::new(),
                line: 0,
            });
        }
    }
    (judgments, answers)
}

#[test]
#[ignore]
fn bench_60k_battles_100_rounds() {
    let (j, a) = synthetic();
    for sc in [StyleControl::None, StyleControl::Full] {
        let opts = ArenaV01Options {
            baseline: "baseline".into(),
            style_control: sc,
            bootstrap: 100,
            seed: 1,
            ..Default::default()
        };
        let t = Instant::now();
        let lb = arena_hard_v01_leaderboard(&j, &a, &opts).unwrap();
        println!(
            "{sc:?}: {} battle rows, 100 rounds: {:.2} s (failed rounds {})",
            lb.n_battles,
            t.elapsed().as_secs_f64(),
            lb.bootstrap_failed
        );
    }
}
