//! Leaderboard speed on a synthetic Arena-Hard v0.1-style judgment set (not a test). `cargo xtask bench
//! leaderboard` runs it natively (release) and for `wasm32-wasip1` under Node's WASI, and times the Python
//! reference on the same battles.
//!
//! `cargo run --release -p substance-leaderboard --example bench -- [--models 60] [--questions 500]
//! [--rounds 100] [--runs 5] [--seed 1] [--only v01,v01-style,v2,v2-style] [--dump DIR]`
//!
//! The set (seeded SplitMix64, identical on every target): `--models` judged models and the baseline
//! `gpt-4-0314`, each answering `--questions` questions; per model a latent strength (normal, sd 0.6 in
//! logits), a verbosity and a markdown habit that set each answer's token length and header / list / bold
//! counts. Each judgment has the reference's two games (game 0 shows the baseline first); a game's label
//! comes from the model's advantage (strength + a small length preference of the judge + per-question
//! noise, plus per-game noise and a first-position bias), cut into `B>>A … A>>B` in the presented order;
//! 0.5 % of games have no label. With the defaults: 30,000 judgments, 60,000 games, about 90,000 battle
//! rows after the weight-3 duplication of strong verdicts.
//!
//! Timed per run (wall clock, [`std::time::Instant`], which WASI provides), each the whole library call
//! from parsed judgments to the leaderboard with `--rounds` bootstrap rounds (battle construction, the
//! full-data fit and the bootstrap refits): `v01` (`arena_hard_v01_leaderboard`, plain Bradley–Terry),
//! `v01-style` (the same with length + markdown style control), `v2` (`arena_hard_v2_leaderboard`,
//! bootstrap means) and `v2-style` (soft-label BT with style control). Median, min and max over `--runs`
//! runs after one warm-up run.
//!
//! Stdout has `key=value` lines for `cargo xtask bench leaderboard`: `LB_META` (the set), one `LB_TIME`
//! per computation (battle rows, median / min / max seconds) and one `LB_WR` per leaderboard row (the
//! win rate in %, for comparison across targets and with the reference); stderr a readable summary.
//! `--dump DIR` writes the set for the reference script (`scripts/leaderboard_reference.py --bench DIR`):
//! `judgments.jsonl` (`question_id`, `model`, `games[].score`) and `metadata.jsonl` (per answer
//! `model`, `question_id`, `token_len`, `header_count`, `list_count`, `bold_count`).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io::Write;
use std::time::Instant;

use substance_leaderboard::formats::{Answer, ArenaJudgment, Game};
use substance_leaderboard::style::MarkdownCounts;
use substance_leaderboard::{
    ArenaV01Options, ArenaV2Options, StyleControl, arena_hard_v01_leaderboard,
    arena_hard_v2_leaderboard,
};

const BASELINE: &str = "gpt-4-0314";

/// SplitMix64: a tiny seeded generator, the same stream on every target.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    /// A small count with mean about `mean`.
    fn count(&mut self, mean: f64) -> f64 {
        (mean.max(0.0) * 2.0 * self.uniform()).floor()
    }
}

struct Profile {
    strength: f64,
    verbosity: f64,
    markdown: f64,
}

fn profile(rng: &mut Rng) -> Profile {
    Profile {
        strength: 0.6 * rng.normal(),
        verbosity: 0.35 * rng.normal(),
        markdown: (1.0 + rng.normal()).max(0.0),
    }
}

fn answer(rng: &mut Rng, model: &str, qid: &str, p: &Profile) -> Answer {
    let token_len = (6.0 + p.verbosity + 0.3 * rng.normal())
        .exp()
        .round()
        .max(1.0);
    Answer {
        question_id: qid.to_string(),
        model: model.to_string(),
        text: None,
        token_len: Some(token_len),
        avg_token_len: Some(token_len),
        markdown: Some(MarkdownCounts {
            header: rng.count(p.markdown),
            list: rng.count(2.0 * p.markdown),
            bold: rng.count(1.5 * p.markdown),
        }),
    }
}

/// The label of one game given the model's advantage `adv` (logits) in the presented order
/// (`adv > 0`: the answer shown as A is better).
fn label(rng: &mut Rng, adv: f64) -> Option<String> {
    if rng.uniform() < 0.005 {
        return None;
    }
    let x = adv + 0.15 + 0.7 * rng.normal(); // judge noise and a first-position bias
    let l = if x > 1.6 {
        "A>>B"
    } else if x > 0.45 {
        "A>B"
    } else if x > -0.45 {
        "A=B"
    } else if x > -1.6 {
        "B>A"
    } else {
        "B>>A"
    };
    Some(l.to_string())
}

struct Set {
    judgments: Vec<ArenaJudgment>,
    answers: Vec<Answer>,
}

fn generate(models: usize, questions: usize, seed: u64) -> Set {
    let mut rng = Rng(seed);
    let base = profile(&mut rng);
    let base = Profile {
        strength: 0.0,
        ..base
    };
    let names: Vec<String> = (0..models).map(|i| format!("model-{i:03}")).collect();
    let profiles: Vec<Profile> = names.iter().map(|_| profile(&mut rng)).collect();
    let qids: Vec<String> = (0..questions).map(|q| format!("q{q:05}")).collect();
    let difficulty: Vec<f64> = qids.iter().map(|_| 0.5 * rng.normal()).collect();
    let mut answers: Vec<Answer> = qids
        .iter()
        .map(|q| answer(&mut rng, BASELINE, q, &base))
        .collect();
    let mut judgments = Vec::with_capacity(models * questions);
    for (name, p) in names.iter().zip(&profiles) {
        for (qi, q) in qids.iter().enumerate() {
            let a = answer(&mut rng, name, q, p);
            let base_len = answers[qi].token_len.unwrap_or(1.0);
            let len_pref = 0.3 * (a.token_len.unwrap_or(1.0) / base_len).ln();
            // The model's advantage over the baseline on this question.
            let adv = p.strength + len_pref + difficulty[qi] * p.strength.signum() * 0.3;
            let g0 = label(&mut rng, -adv); // baseline shown as A
            let g1 = label(&mut rng, adv); // model shown as A
            judgments.push(ArenaJudgment {
                question_id: q.clone(),
                model: name.clone(),
                judge: Some("judge-synthetic".into()),
                category: Some("hard_prompt".into()),
                games: vec![Some(Game { score: g0 }), Some(Game { score: g1 })],
                file: String::new(),
                line: 0,
            });
            answers.push(a);
        }
    }
    Set { judgments, answers }
}

fn dump(set: &Set, dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("create the dump folder");
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(dir.join("judgments.jsonl")).unwrap());
    for j in &set.judgments {
        let games: Vec<serde_json::Value> = j
            .games
            .iter()
            .map(|g| serde_json::json!({"score": g.as_ref().and_then(|g| g.score.clone())}))
            .collect();
        let line =
            serde_json::json!({"question_id": j.question_id, "model": j.model, "games": games});
        writeln!(f, "{line}").unwrap();
    }
    f.flush().unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("metadata.jsonl")).unwrap());
    for a in &set.answers {
        let md = a.markdown.unwrap();
        let line = serde_json::json!({
            "model": a.model, "question_id": a.question_id, "token_len": a.token_len,
            "header_count": md.header, "list_count": md.list, "bold_count": md.bold,
        });
        writeln!(f, "{line}").unwrap();
    }
    f.flush().unwrap();
}

fn median_min_max(mut xs: Vec<f64>) -> [f64; 3] {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let med = if n % 2 == 1 {
        xs[n / 2]
    } else {
        0.5 * (xs[n / 2 - 1] + xs[n / 2])
    };
    [med, xs[0], xs[n - 1]]
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}: cannot read {v:?}"))
        })
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let models: usize = arg(&args, "--models", 60);
    let questions: usize = arg(&args, "--questions", 500);
    let rounds: usize = arg(&args, "--rounds", 100);
    let runs: usize = arg(&args, "--runs", 5).max(1);
    let seed: u64 = arg(&args, "--seed", 1);
    let only: String = arg(&args, "--only", "v01,v01-style,v2,v2-style".to_string());

    let t0 = Instant::now();
    let set = generate(models, questions, seed);
    let gen_s = t0.elapsed().as_secs_f64();
    if let Some(dir) = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1))
    {
        dump(&set, std::path::Path::new(dir));
    }
    let games = set.judgments.len() * 2;

    let v01 = |style: StyleControl| {
        let opts = ArenaV01Options {
            baseline: BASELINE.into(),
            style_control: style,
            bootstrap: rounds,
            seed,
            ..ArenaV01Options::default()
        };
        arena_hard_v01_leaderboard(&set.judgments, &set.answers, &opts).expect("v0.1 leaderboard")
    };
    let v2 = |style: StyleControl| {
        let opts = ArenaV2Options {
            baseline: BASELINE.into(),
            category: None,
            style_control: style,
            bootstrap: rounds,
            seed,
        };
        arena_hard_v2_leaderboard(&set.judgments, &set.answers, &opts).expect("v2 leaderboard")
    };
    type Case<'a> = (
        &'a str,
        Box<dyn Fn() -> substance_leaderboard::ArenaLeaderboard + 'a>,
    );
    let cases: Vec<Case<'_>> = vec![
        ("v01", Box::new(|| v01(StyleControl::None))),
        ("v01-style", Box::new(|| v01(StyleControl::Full))),
        ("v2", Box::new(|| v2(StyleControl::None))),
        ("v2-style", Box::new(|| v2(StyleControl::Full))),
    ];
    let wanted: Vec<&str> = only.split(',').map(str::trim).collect();
    // Machine-readable lines (what `cargo xtask bench leaderboard` reads): `key=value` words.
    println!(
        "LB_META target={} models={models} questions={questions} judgments={} games={games} rounds={rounds} seed={seed} generate_s={gen_s}",
        std::env::consts::ARCH,
        set.judgments.len()
    );
    for (name, f) in &cases {
        if !wanted.contains(name) {
            continue;
        }
        let board = f(); // warm-up, and the result whose numbers are reported
        let mut secs = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let b = f();
            secs.push(t.elapsed().as_secs_f64());
            // (Debug text: the v2 rows carry NaN ratings.)
            assert_eq!(
                format!("{:?}", b.rows),
                format!("{:?}", board.rows),
                "the same seed gives the same leaderboard"
            );
        }
        let [med, min, max] = median_min_max(secs);
        eprintln!(
            "{name:<10} {:>7} battle rows, {rounds} rounds: median {med:.3} s (min {min:.3}, max {max:.3}, {runs} runs; {} failed rounds)",
            board.n_battles, board.bootstrap_failed
        );
        println!(
            "LB_TIME case={name} rows={} median_s={med} min_s={min} max_s={max} runs={runs} failed_rounds={}",
            board.n_battles, board.bootstrap_failed
        );
        for r in &board.rows {
            println!("LB_WR case={name} model={} wr={}", r.model, r.score);
        }
    }
}
