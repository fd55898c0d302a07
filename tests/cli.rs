//! End-to-end tests of the `substance` binary: run → receipt → verify, and tampering caught by name.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};

mod support;
use support::{bin, run_ok};

/// `substance run --bundle BUNDLE --model MODEL EXTRA… --bootstrap 0 --json --out OUT`, which must succeed.
fn run_bundle(bundle: &Path, model: &str, extra: &[&str], out: &Path) -> std::process::Output {
    run_ok(
        bin()
            .args(["run", "--bundle"])
            .arg(bundle)
            .args(["--model", model])
            .args(extra)
            .args(["--bootstrap", "0", "--json", "--out"])
            .arg(out),
    )
}

/// A tiny generate suite with three items and recorded responses (two right, one wrong).
fn fixture(dir: &Path) -> (PathBuf, PathBuf) {
    let suite = dir.join("arith");
    std::fs::create_dir_all(&suite).unwrap();
    std::fs::write(
        suite.join("suite.toml"),
        r#"format = 1
name = "arith"
version = "1.0.0"
description = "test suite"
output_type = "generate"
scorers = ["exact_match_gsm8k"]
data = "items.jsonl"

[prompt]
template = "Question: {input}\nAnswer:"

[generation]
max_tokens = 32
stop = ["\n\n"]
"#,
    )
    .unwrap();
    std::fs::write(
        suite.join("items.jsonl"),
        concat!(
            r#"{"id":"a","input":"What is 2+2?","target":"4","group":"easy"}"#,
            "\n",
            r#"{"id":"b","input":"What is 10*10?","target":"100","group":"easy"}"#,
            "\n",
            r#"{"id":"c","input":"What is 1,000 + 234?","target":"1234","group":"hard"}"#,
            "\n",
        ),
    )
    .unwrap();
    let responses = dir.join("responses.jsonl");
    std::fs::write(
        &responses,
        concat!(
            r#"{"id":"a","text":"2+2 is 4.\n#### 4"}"#,
            "\n",
            r#"{"id":"b","text":"It is 1,000."}"#,
            "\n",
            r#"{"id":"c","text":"The sum is 1,234"}"#,
            "\n",
        ),
    )
    .unwrap();
    (suite, responses)
}

fn run_receipt(dir: &Path) -> (PathBuf, PathBuf) {
    let (suite, responses) = fixture(dir);
    let receipt = dir.join("r.jsonl");
    let out = run_ok(
        bin()
            .arg("run")
            .arg(&suite)
            .arg("--model")
            .arg(format!("replay:{}", responses.display()))
            .arg("--out")
            .arg(&receipt)
            .arg("--json"),
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // a: "#### 4" right; b: last number 1,000 → 1000 ≠ 100, wrong; c: last number 1,234 → 1234, right.
    let v = summary["metrics"]["exact_match_gsm8k"]["value"]
        .as_f64()
        .unwrap();
    assert!((v - 2.0 / 3.0).abs() < 1e-12, "{summary}");
    (suite, receipt)
}

fn verify(receipt: &Path, suite: Option<&Path>) -> (bool, String) {
    let mut cmd = bin();
    cmd.arg("verify").arg(receipt);
    match suite {
        Some(s) => cmd.arg("--suite").arg(s),
        None => cmd.arg("--no-suite"),
    };
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn edit_line(receipt: &Path, line: usize, f: impl Fn(&mut serde_json::Value)) {
    let text = std::fs::read_to_string(receipt).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut v: serde_json::Value = serde_json::from_str(&lines[line]).unwrap();
    f(&mut v);
    lines[line] = serde_json::to_string(&v).unwrap();
    std::fs::write(receipt, lines.join("\n") + "\n").unwrap();
}

#[test]
fn untouched_receipt_verifies_with_and_without_suite() {
    let dir = tempfile::tempdir().unwrap();
    let (suite, receipt) = run_receipt(dir.path());
    let (ok, out) = verify(&receipt, Some(&suite));
    assert!(ok, "{out}");
    assert!(out.starts_with("OK"), "{out}");
    let (ok, out) = verify(&receipt, None);
    assert!(ok, "{out}");
}

#[test]
fn altered_response_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (suite, receipt) = run_receipt(dir.path());
    // Line index 3 = item `c`. Change the response only; its stored score no longer follows from it.
    edit_line(&receipt, 3, |v| {
        v["response"]["text"] = "The sum is 999".into()
    });
    let (ok, out) = verify(&receipt, Some(&suite));
    assert!(!ok, "{out}");
    assert!(out.contains("item `c`"), "{out}");
    assert!(out.contains("scores.exact_match_gsm8k.value"), "{out}");
    assert!(out.contains("digest"), "{out}");
}

#[test]
fn altered_response_with_same_score_is_still_caught_by_the_digest() {
    let dir = tempfile::tempdir().unwrap();
    let (_, receipt) = run_receipt(dir.path());
    edit_line(&receipt, 1, |v| {
        v["response"]["text"] = "four: #### 4".into()
    });
    let (ok, out) = verify(&receipt, None);
    assert!(!ok, "{out}");
    assert!(out.contains("item `a`") && out.contains("digest"), "{out}");
}

#[test]
fn altered_score_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, receipt) = run_receipt(dir.path());
    edit_line(&receipt, 2, |v| {
        v["scores"]["exact_match_gsm8k"]["value"] = 1.0.into()
    });
    let (ok, out) = verify(&receipt, None);
    assert!(!ok, "{out}");
    assert!(
        out.contains("item `b`") && out.contains("scores.exact_match_gsm8k.value"),
        "{out}"
    );
}

#[test]
fn altered_suite_hash_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (suite, receipt) = run_receipt(dir.path());
    edit_line(&receipt, 0, |v| {
        v["suite"]["sha256"] = "0".repeat(64).into()
    });
    let (ok, out) = verify(&receipt, Some(&suite));
    assert!(!ok, "{out}");
    assert!(out.contains("suite.sha256"), "{out}");
}

#[test]
fn altered_suite_item_is_reported_against_the_suite_file() {
    let dir = tempfile::tempdir().unwrap();
    let (suite, receipt) = run_receipt(dir.path());
    let items = std::fs::read_to_string(suite.join("items.jsonl"))
        .unwrap()
        .replace("\"target\":\"4\"", "\"target\":\"5\"");
    std::fs::write(suite.join("items.jsonl"), items).unwrap();
    let (ok, out) = verify(&receipt, Some(&suite));
    assert!(!ok, "{out}");
    assert!(
        out.contains("suite.sha256") && out.contains("item `a`"),
        "{out}"
    );
}

#[test]
fn tampered_summary_and_truncation_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (_, receipt) = run_receipt(dir.path());
    let text = std::fs::read_to_string(&receipt).unwrap();
    edit_line(&receipt, 4, |v| {
        v["metrics"]["exact_match_gsm8k"]["value"] = 0.99.into()
    });
    let (ok, out) = verify(&receipt, None);
    assert!(
        !ok && out.contains("summary.metrics.exact_match_gsm8k.value"),
        "{out}"
    );
    // Drop the summary: an interrupted run is not a verified one.
    let truncated: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(&receipt, truncated.join("\n") + "\n").unwrap();
    let (ok, out) = verify(&receipt, None);
    assert!(!ok && out.contains("summary"), "{out}");
    // Garbage mid-file: a typed error naming the line, not a panic.
    std::fs::write(
        &receipt,
        format!("{}\n{{not json\n", text.lines().next().unwrap()),
    )
    .unwrap();
    let out = bin()
        .arg("verify")
        .arg(&receipt)
        .arg("--no-suite")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn score_recomputes_and_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let (_, receipt) = run_receipt(dir.path());
    edit_line(&receipt, 2, |v| {
        v["scores"]["exact_match_gsm8k"]["value"] = 0.5.into()
    });
    let fixed = dir.path().join("fixed.jsonl");
    let out = run_ok(bin().arg("score").arg(&receipt).arg("--out").arg(&fixed));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 item(s) had scores different"));
    let (ok, out) = verify(&fixed, None);
    assert!(ok, "{out}");
}

#[test]
fn unknown_or_missing_model_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (suite, _) = fixture(dir.path());
    let out = bin()
        .arg("run")
        .arg(&suite)
        .arg("--model")
        .arg("foo:bar")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown model spec `foo:bar`"));
    let out = bin()
        .arg("run")
        .arg(&suite)
        .arg("--model")
        .arg("gguf:nowhere.gguf")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nowhere.gguf") && err.contains("No such file"),
        "{err}"
    );
    // A truncated weights file is a typed error naming it, not a panic.
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models/tiny-llama");
    let broken = dir.path().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(model.join(f), broken.join(f)).unwrap();
    }
    let weights = std::fs::read(model.join("model.safetensors")).unwrap();
    std::fs::write(
        broken.join("model.safetensors"),
        &weights[..weights.len() / 2],
    )
    .unwrap();
    let out = bin()
        .arg("run")
        .arg(&suite)
        .arg("--model")
        .arg(format!("hf:{}", broken.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model.safetensors") && !err.contains("panicked"),
        "{err}"
    );
}

/// The `substance ifeval` contract: one output line per response line in input order, joined by key or by
/// exact prompt text, unmatched responses reported and skipped (an error with `--strict`).
#[test]
fn ifeval_contract() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"key": 1, "prompt": "Say hi without commas.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}"#, "\n",
            r#"{"key": 2, "prompt": "Answer in lowercase.", "instruction_id_list": ["change_case:english_lowercase", "punctuation:no_comma"], "kwargs": [{}, {}]}"#, "\n",
        ),
    )
    .unwrap();
    let responses = dir.path().join("responses.jsonl");
    std::fs::write(
        &responses,
        concat!(
            r#"{"prompt": "Answer in lowercase.", "response": "hello there, friend"}"#,
            "\n",
            r#"{"prompt": "Unknown prompt", "response": "x"}"#,
            "\n",
            r#"{"prompt": "ignored when key is given", "key": 1, "response": "hi there"}"#,
            "\n",
            r#"{"prompt": "Say hi without commas.", "response": "hi, there"}"#,
            "\n",
        ),
    )
    .unwrap();
    let out_path = dir.path().join("results.jsonl");
    let out = run_ok(
        bin()
            .args(["ifeval", "--json", "--input"])
            .arg(&input)
            .arg("--responses")
            .arg(&responses)
            .arg("--out")
            .arg(&out_path),
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // the unmatched response is listed in --json with its file and line
    let skipped = m["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["line"], 2);
    assert!(
        skipped[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("responses.jsonl")
    );
    // Verdicts: [true(lower), false(comma)], [true], [false] → prompt strict 1/3; instructions 2/4.
    assert!(
        (m["prompt_level_strict_acc"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12,
        "{m}"
    );
    assert!(
        (m["inst_level_strict_acc"].as_f64().unwrap() - 0.5).abs() < 1e-12,
        "{m}"
    );
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&out_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["key"], 2);
    assert_eq!(rows[0]["strict"], serde_json::json!([true, false]));
    assert_eq!(rows[1]["key"], 1);
    assert_eq!(rows[1]["prompt"], "Say hi without commas.");
    assert_eq!(rows[2]["strict"], serde_json::json!([false]));
    for k in ["key", "prompt", "instruction_id_list", "strict", "loose"] {
        assert!(rows[0].get(k).is_some(), "missing {k}");
    }
    let strict = bin()
        .args(["ifeval", "--strict", "--input"])
        .arg(&input)
        .arg("--responses")
        .arg(&responses)
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(2));
    // Malformed input names the file and line.
    std::fs::write(&input, "{\"key\": 1}\n").unwrap();
    let bad = bin()
        .args(["ifeval", "--input"])
        .arg(&input)
        .arg("--responses")
        .arg(&responses)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        err.contains("input.jsonl") && err.contains("line 1"),
        "{err}"
    );
}

fn shared_data() -> Option<PathBuf> {
    let p = std::env::var_os("SUBSTANCE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "SKIP: shared data not found at {} (set SUBSTANCE_DATA)",
            p.display()
        );
        None
    }
}

/// On the real IFEval files the CLI reproduces the reference checker's prompt-level accuracies.
#[test]
fn ifeval_cli_on_real_gpt4_responses() {
    let Some(data) = shared_data() else { return };
    let d = data.join("ifeval");
    let out = run_ok(
        bin()
            .args(["ifeval", "--json", "--input"])
            .arg(d.join("input_data.jsonl"))
            .arg("--responses")
            .arg(d.join("input_response_data_gpt4_20231107_145030.jsonl")),
    );
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reference = |name: &str| {
        let text = std::fs::read_to_string(d.join(name)).unwrap();
        let rows: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        rows.iter()
            .filter(|r| r["follow_all_instructions"] == true)
            .count() as f64
            / rows.len() as f64
    };
    let strict = m["prompt_level_strict_acc"].as_f64().unwrap();
    let loose = m["prompt_level_loose_acc"].as_f64().unwrap();
    // The reference judged 540 of the 541 responses (one response's prompt text matches no input row; the
    // CLI reports and skips it). Agreement per instruction is tested exactly in substance-ifeval, with
    // each remaining disagreement listed; here the CLI wiring must land within the issue's 0.5%.
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .matches("skipped")
            .count(),
        1
    );
    assert!(
        (strict - reference("eval_results_strict.jsonl")).abs() <= 0.005,
        "{m}"
    );
    assert!(
        (loose - reference("eval_results_loose.jsonl")).abs() <= 0.005,
        "{m}"
    );
}

/// `substance sos` on the paper's CSVs: every judge model joins and the correlations are printed.
#[test]
fn sos_cli_on_real_csvs() {
    let Some(data) = shared_data() else { return };
    let d = data.join("sos-bench");
    let out = run_ok(
        bin()
            .args(["sos", "--json", "--bootstrap", "200", "--results"])
            .arg(d.join("eleuther_wandb.csv"))
            .arg("--judge")
            .arg(d.join("arena_hard_auto.csv"))
            .arg("--livebench")
            .arg(d.join("livebench_groups.csv")),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.is_object(), "{v}");
    let text = run_ok(
        bin()
            .args(["sos", "--bootstrap", "0", "--results"])
            .arg(d.join("eleuther_wandb.csv"))
            .arg("--judge")
            .arg(d.join("arena_hard_auto.csv")),
    );
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(t.to_lowercase().contains("spearman"), "{t}");
}

/// `substance leaderboard --protocol arena-hard-v0.1` on the committed synthetic judgment folder equals the
/// independent Python computation (`scripts/leaderboard_reference.py`) to 1e-6, and the JSON has the
/// contract's fields.
#[test]
fn leaderboard_contract_matches_reference() {
    let fx = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../substance-leaderboard/tests/fixtures/arena_v01");
    let out = run_ok(
        bin()
            .args([
                "leaderboard",
                "--protocol",
                "arena-hard-v0.1",
                "--baseline",
                "gpt-4-0314",
                "--json",
                "--bootstrap",
                "20",
                "--judgments",
            ])
            .arg(fx.join("judgments"))
            .arg("--answers")
            .arg(fx.join("answers")),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx.join("reference.json")).unwrap()).unwrap();
    let elo = reference["elo_newton"].as_object().unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), elo.len());
    for r in rows {
        let m = r["model"].as_str().unwrap();
        let e = elo[m].as_f64().unwrap();
        let expected = 100.0 / (1.0 + 10f64.powf((1000.0 - e) / 400.0));
        let got = r["score"].as_f64().unwrap();
        assert!((got - expected).abs() < 1e-6, "{m}: {got} vs {expected}");
        let (lo, hi) = (r["lower"].as_f64().unwrap(), r["upper"].as_f64().unwrap());
        assert!(lo <= got + 1e-9 && got <= hi + 1e-9, "{m}: {lo} {got} {hi}");
    }
    // Same seed → same intervals.
    let again = run_ok(
        bin()
            .args([
                "leaderboard",
                "--protocol",
                "arena-hard-v0.1",
                "--baseline",
                "gpt-4-0314",
                "--json",
                "--bootstrap",
                "20",
                "--judgments",
            ])
            .arg(fx.join("judgments")),
    );
    let w: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v["rows"], w["rows"]);
}

/// A game the reference drops (a `null` game) is warned about with its file and line, and listed in
/// `--json` (reading policy rule 6: no record left out without a word).
#[test]
fn dropped_games_are_listed_with_their_line() {
    let fx = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../substance-leaderboard/tests/fixtures/arena_v01/judgments/judge-x");
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(&fx).unwrap() {
        let p = e.unwrap().path();
        let mut text = std::fs::read_to_string(&p).unwrap();
        if p.ends_with("model-beta.jsonl") {
            // the third judgment's second game becomes null
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            let mut v: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
            v["games"][1] = serde_json::Value::Null;
            lines[2] = v.to_string();
            text = lines.join("\n") + "\n";
        }
        std::fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
    }
    let out = run_ok(
        bin()
            .args([
                "leaderboard",
                "--protocol",
                "arena-hard-v0.1",
                "--baseline",
                "gpt-4-0314",
                "--json",
                "--bootstrap",
                "0",
                "--judgments",
            ])
            .arg(dir.path()),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // the fixture's own unusable labels are listed too: one entry per dropped game
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(Some(skipped.len() as u64), v["dropped_games"].as_u64());
    let ours: Vec<&serde_json::Value> = skipped
        .iter()
        .filter(|s| s["file"].as_str().unwrap().ends_with("model-beta.jsonl") && s["line"] == 3)
        .collect();
    assert_eq!(ours.len(), 1, "{skipped:?}");
    assert!(
        ours[0]["reason"]
            .as_str()
            .unwrap()
            .contains("game 2 has no verdict"),
        "{ours:?}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("warning: {} record(s) left out", skipped.len()))
            && err.contains("… and"),
        "{err}"
    );
}

/// `substance alpaca-eval` reproduces the published AlpacaEval 2 leaderboard CSV (1e-6).
#[test]
fn alpaca_eval_contract_matches_leaderboard_csv() {
    let Some(data) = shared_data() else { return };
    let d = data.join("alpaca-eval");
    let mut cmd = bin();
    cmd.args(["alpaca-eval", "--json", "--annotations"]);
    for m in ["alpaca-7b", "gpt-3.5-turbo-1106"] {
        cmd.arg(d.join(format!(
            "results/{m}/weighted_alpaca_eval_gpt4_turbo/annotations.json"
        )));
    }
    let out = run_ok(&mut cmd);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let csv = std::fs::read_to_string(
        d.join("leaderboards/data_AlpacaEval_2/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv"),
    )
    .unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for r in &rows {
        let model = r["model"].as_str().unwrap();
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{model},")))
            .unwrap();
        let cells: Vec<&str> = line.split(',').collect();
        for f in [
            "win_rate",
            "standard_error",
            "n_wins",
            "n_wins_base",
            "n_draws",
            "n_total",
            "discrete_win_rate",
        ] {
            let want: f64 = cells[col(f)].parse().unwrap();
            let got = r[f].as_f64().unwrap();
            assert!((got - want).abs() < 1e-6, "{model} {f}: {got} vs {want}");
        }
        // every annotation the win rate leaves out is listed with its record
        let skipped = r["skipped"].as_array().unwrap();
        assert_eq!(
            Some(skipped.len() as u64),
            r["n_dropped"].as_u64(),
            "{model}"
        );
        assert!(skipped.iter().all(|s| s["line"].as_u64().unwrap() > 0));
    }
}

/// A local burn model (the committed tiny random Llama, HF folder) runs a bundled multiple-choice suite and
/// its receipt verifies — regression: log-likelihood floats must survive the JSON round trip bit for bit.
#[test]
fn local_model_receipt_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models/tiny-llama");
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/sample-knowledge");
    let receipt = dir.path().join("r.jsonl");
    run_ok(
        bin()
            .arg("run")
            .arg(&suite)
            .arg("--model")
            .arg(format!("hf:{}", model.display()))
            .arg("--out")
            .arg(&receipt),
    );
    let (ok, out) = verify(&receipt, Some(&suite));
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&receipt).unwrap();
    assert!(
        text.contains("\"weights_sha256\""),
        "local runs record the weights hash"
    );
}

/// Issue 15: a local model's items are answered by worker threads sharing its weights; the receipt is the
/// same byte for byte whatever their number (multiple choice and generation, quantised GGUF blocks).
#[test]
fn parallel_local_runs_write_the_same_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = root.join("tests/fixtures/models/tiny-llama-gguf/tiny-llama-Q4_1.gguf");
    for (suite, limit) in [("sample-knowledge", "40"), ("sample-instructions", "4")] {
        let mut receipts = Vec::new();
        for workers in ["1", "3"] {
            let receipt = dir.path().join(format!("{suite}-{workers}.jsonl"));
            let out = run_ok(
                bin()
                    .arg("run")
                    .arg(root.join("suites").join(suite))
                    .arg("--model")
                    .arg(format!("gguf:{}", model.display()))
                    .arg("--limit")
                    .arg(limit)
                    .arg("--workers")
                    .arg(workers)
                    .arg("--out")
                    .arg(&receipt),
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(&format!("{workers} at a time")), "{err}");
            receipts.push(std::fs::read(&receipt).unwrap());
            let (ok, report) = verify(&receipt, Some(&root.join("suites").join(suite)));
            assert!(ok, "{suite} with {workers} workers: {report}");
        }
        assert!(
            receipts[0] == receipts[1],
            "{suite}: 1 and 3 workers wrote different receipts"
        );
        let text = String::from_utf8(receipts[0].clone()).unwrap();
        assert!(
            text.contains("quantised Q4_1 × 16-bit activations"),
            "the receipt names the numeric path"
        );
    }
}

/// Issue 11: a receipt records a local model by its folder's name and weights hash, never by the path
/// that leads to it (receipts are published; paths carry user and directory names).
#[test]
fn receipts_carry_no_local_paths() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("home-of-someone").join("models");
    let model = models.join("tiny-llama");
    std::fs::create_dir_all(&model).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models/tiny-llama");
    for f in std::fs::read_dir(&src).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, model.join(f.file_name().unwrap())).unwrap();
    }
    let (suite, responses) = fixture(dir.path());
    for (spec, id) in [
        (format!("hf:{}", model.display()), "hf:tiny-llama"),
        (format!("hf:{}/", model.display()), "hf:tiny-llama"),
        (
            format!("replay:{}", responses.display()),
            "replay:responses.jsonl",
        ),
    ] {
        let receipt = dir.path().join("r.jsonl");
        run_ok(
            bin()
                .current_dir(dir.path())
                .args(["run", "--limit", "1", "--out"])
                .arg(&receipt)
                .arg("--model")
                .arg(&spec)
                .arg(&suite),
        );
        let text = std::fs::read_to_string(&receipt).unwrap();
        assert!(!text.contains("home-of-someone"), "{spec}: {text}");
        assert!(!text.contains(&*dir.path().to_string_lossy()), "{spec}");
        let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(header["model"]["id"], id, "{spec}");
        std::fs::remove_file(&receipt).unwrap();
    }
}

/// Issue 11: strings from files (item ids, model names, texts) reach the terminal with control
/// characters escaped: no raw ESC, BEL, BS, CR, C1 or bidi control in what the CLI writes, on stdout or
/// stderr, in text or JSON mode.
#[test]
fn hostile_strings_are_escaped_on_the_terminal() {
    const HOSTILE: &str = "x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{8}\r\u{9b}1m\u{202e}kcab";
    let raw_controls = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        text.chars()
            .filter(|&c| {
                (c < ' ' && c != '\n' && c != '\t')
                    || ('\u{7f}'..='\u{9f}').contains(&c)
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)
            })
            .collect::<String>()
    };
    let dir = tempfile::tempdir().unwrap();
    let (suite, _) = fixture(dir.path());
    let item = |id: &str, input: &str| serde_json::json!({"id": id, "input": input, "target": "4"});
    let ids = [format!("a{HOSTILE}"), format!("b{HOSTILE}")];
    let items: Vec<String> = ids
        .iter()
        .map(|id| item(id, &format!("Q {HOSTILE}")).to_string())
        .collect();
    std::fs::write(suite.join("items.jsonl"), items.join("\n") + "\n").unwrap();
    let responses = dir.path().join("hostile.jsonl");
    let lines: Vec<String> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "text": format!("#### 4 {HOSTILE}")}).to_string())
        .collect();
    std::fs::write(&responses, lines.join("\n") + "\n").unwrap();
    let receipt = dir.path().join("r.jsonl");
    for json in [false, true] {
        let mut cmd = bin();
        cmd.arg("run")
            .arg(&suite)
            .arg("--model")
            .arg(format!("replay:{}", responses.display()))
            .arg("--out")
            .arg(&receipt);
        if json {
            cmd.arg("--json");
        }
        let out = run_ok(&mut cmd);
        assert_eq!(raw_controls(&out.stdout), "", "run stdout, json {json}");
        assert_eq!(raw_controls(&out.stderr), "", "run stderr, json {json}");
    }
    // Tamper one response so verify names the item (its hostile id) in its report.
    edit_line(&receipt, 1, |v| {
        v["response"]["text"] = format!("wrong {HOSTILE}").into()
    });
    for json in [false, true] {
        let mut cmd = bin();
        cmd.arg("verify").arg(&receipt).arg("--suite").arg(&suite);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("\\u{1b}") || stdout.contains("\\u001b"),
            "{stdout}"
        );
        assert_eq!(raw_controls(&out.stdout), "", "verify stdout, json {json}");
        assert_eq!(raw_controls(&out.stderr), "", "verify stderr, json {json}");
        if json {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(
                v.to_string().contains('\u{202e}'),
                "JSON escapes keep the text"
            );
        }
    }
}

/// Issue 14, point 5: an Arena-Hard question file imports (format auto), runs to the end on a local model
/// keeping every answer in the receipt with no metric, the receipt verifies, and `substance answers`
/// writes them in the upstream model_answer layout (read back by the leaderboard's answer reader, the same
/// texts); a receipt of a suite scored at run time has no answers to export.
#[test]
fn judge_graded_run_keeps_its_answers_and_exports_them() {
    let dir = tempfile::tempdir().unwrap();
    let questions = dir.path().join("question.jsonl");
    std::fs::write(
        &questions,
        concat!(
            r#"{"uid":"q-one","category":"hard_prompt","subcategory":"coding","prompt":"Write a haiku about rust."}"#,
            "\n",
            r#"{"uid":"q-two","category":"hard_prompt","subcategory":"math","prompt":"What is 17 times 3?"}"#,
            "\n",
        ),
    )
    .unwrap();
    let suite = dir.path().join("ah");
    let out = run_ok(
        bin()
            .args(["suite", "import"])
            .arg(&questions)
            .arg("--out")
            .arg(&suite),
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("format auto: arena-hard"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A short generation keeps the test quick; the suite's 4096 is what a real run uses.
    let toml = std::fs::read_to_string(suite.join("suite.toml")).unwrap();
    std::fs::write(
        suite.join("suite.toml"),
        toml.replace("max_tokens = 4096", "max_tokens = 8"),
    )
    .unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/models/tiny-llama-gguf/tiny-llama-F32.gguf");
    let receipt = dir.path().join("r.jsonl");
    let out = run_ok(
        bin()
            .arg("run")
            .arg(&suite)
            .arg("--model")
            .arg(format!("gguf:{}", model.display()))
            .arg("--out")
            .arg(&receipt),
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("judge-graded"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (ok, text) = verify(&receipt, Some(&suite));
    assert!(ok, "{text}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&receipt)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3]["metrics"], serde_json::json!({}));
    let generated: Vec<String> = lines[1..3]
        .iter()
        .map(|l| l["response"]["text"].as_str().unwrap().to_owned())
        .collect();
    let answers = dir.path().join("tiny.jsonl");
    run_ok(
        bin()
            .arg("answers")
            .arg(&receipt)
            .args(["--model", "tiny"])
            .arg("--out")
            .arg(&answers),
    );
    let parsed = substance_leaderboard::parse_answers(
        &std::fs::read(&answers).unwrap(),
        "model_answer/tiny.jsonl",
    )
    .unwrap();
    assert_eq!(parsed.len(), 2);
    for (a, (id, text)) in parsed
        .iter()
        .zip([("q-one", &generated[0]), ("q-two", &generated[1])])
    {
        assert_eq!((a.model.as_str(), a.question_id.as_str()), ("tiny", id));
        assert_eq!(a.text.as_deref(), Some(text.as_str()));
    }
    // A run scored at run time has no judge answers.
    let (_, other) = run_receipt(dir.path());
    let out = bin().arg("answers").arg(&other).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not by a judge"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// AlpacaEval `model_outputs.json`: imported (format auto) as a judge-graded suite of its instructions,
/// run, and the answers exported in the same layout (a JSON array of instruction, output, generator,
/// dataset), which imports again to the same instructions. An instruction given twice is refused.
#[test]
fn alpaca_eval_outputs_import_run_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("model_outputs.json");
    let records = serde_json::json!([
        {"instruction": "Name a colour.", "output": "Blue", "generator": "ref", "dataset": "helpful_base"},
        {"instruction": "What is 2+2?", "output": "4", "generator": "ref", "dataset": "oasst"},
    ]);
    std::fs::write(&outputs, records.to_string()).unwrap();
    let suite = dir.path().join("ae");
    let out = run_ok(
        bin()
            .args(["suite", "import"])
            .arg(&outputs)
            .arg("--out")
            .arg(&suite),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("format auto: alpaca-eval"), "{err}");
    let toml = std::fs::read_to_string(suite.join("suite.toml")).unwrap();
    std::fs::write(
        suite.join("suite.toml"),
        toml.replace("max_tokens = 2048", "max_tokens = 8"),
    )
    .unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/models/tiny-llama-gguf/tiny-llama-F32.gguf");
    let receipt = dir.path().join("r.jsonl");
    run_ok(
        bin()
            .arg("run")
            .arg(&suite)
            .arg("--model")
            .arg(format!("gguf:{}", model.display()))
            .arg("--out")
            .arg(&receipt),
    );
    let generated: Vec<String> = std::fs::read_to_string(&receipt)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["type"] == "item")
        .map(|l| l["response"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(generated.len(), 2);
    let exported = dir.path().join("exported.json");
    let out = run_ok(
        bin()
            .arg("answers")
            .arg(&receipt)
            .args(["--model", "tiny"])
            .arg("--out")
            .arg(&exported),
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("model_outputs.json"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    let back = back.as_array().unwrap();
    assert_eq!(back.len(), 2);
    for (i, rec) in back.iter().enumerate() {
        assert_eq!(rec["instruction"], records[i]["instruction"]);
        assert_eq!(rec["dataset"], records[i]["dataset"]);
        assert_eq!(rec["generator"], "tiny");
        assert_eq!(rec["output"], generated[i].as_str());
    }
    let again = dir.path().join("again");
    run_ok(
        bin()
            .args(["suite", "import"])
            .arg(&exported)
            .arg("--out")
            .arg(&again),
    );
    let items = std::fs::read_to_string(again.join("items.jsonl")).unwrap();
    assert!(items.contains("Name a colour.") && items.contains("What is 2+2?"));
    let twice = dir.path().join("twice.json");
    std::fs::write(
        &twice,
        serde_json::json!([{"instruction": "Hi", "output": "a"}, {"instruction": "Hi", "output": "b"}])
            .to_string(),
    )
    .unwrap();
    let out = bin()
        .args(["suite", "import"])
        .arg(&twice)
        .arg("--out")
        .arg(dir.path().join("t"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("twice.json") && err.contains("instruction"),
        "{err}"
    );
}

/// `substance run --bundle` runs every suite of a bundle into one folder (receipts, bundle.json), and
/// `substance sos --receipts` verifies them and turns them into factor scores; an edited number is
/// refused by name. With the paper's CSVs at hand, the model is placed among the paper's models.
#[test]
fn a_bundle_runs_and_its_receipts_give_factor_scores() {
    let dir = tempfile::tempdir().unwrap();
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models/tiny-llama");
    let bundle = dir.path().join("mini.toml");
    std::fs::write(
        &bundle,
        r#"format = 1
name = "mini"
description = "two bundled suites standing for XSTest and MMLU-Pro"

[[suite]]
name = "safety"
factor = "safety"
task = "xstest"
suite = "sample-safety"
metrics = ["acc"]

[[suite]]
name = "knowledge"
factor = "wk"
task = "leaderboard_mmlu_pro"
suite = "sample-knowledge"
limit = 2
"#,
    )
    .unwrap();
    let out = dir.path().join("run");
    let ran = run_bundle(
        &bundle,
        &format!("hf:{}", model.display()),
        &["--limit", "4"],
        &out,
    );
    let run: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    assert_eq!(run["suites"][0]["n_items"], 4);
    assert_eq!(run["suites"][1]["n_items"], 2);
    assert!(out.join("safety.receipt.jsonl").is_file());
    assert!(out.join("knowledge.receipt.jsonl").is_file());
    let sos = |extra: &[&str]| {
        let mut c = bin();
        c.args(["sos", "--bootstrap", "0", "--json", "--receipts"])
            .arg(&out)
            .args(extra);
        c.output().unwrap()
    };
    let o = sos(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &v["placement"];
    assert_eq!(p["model"], run["model"]);
    // WK and safety from the bundle (rank 1 of 1), no instruction-following benchmark in it
    assert_eq!(p["factors"][0]["rank"], 1, "{p}");
    assert!(p["factors"][1]["score"].is_null(), "{p}");
    assert_eq!(p["factors"][2]["rank"], 1);
    // each standing on the one benchmark of its factor the bundle has, of the mapping's many
    for k in [0, 2] {
        assert_eq!(p["factors"][k]["benchmarks_used"], 1, "{p}");
        assert!(
            p["factors"][k]["benchmarks_total"].as_u64().unwrap() > 1,
            "{p}"
        );
    }
    // the safety factor is the chance-corrected acc of the receipt (XSTest: 2 choices)
    let acc = run["suites"][0]["metrics"]["acc"].as_f64().unwrap();
    let safety = p["factors"][2]["score"].as_f64().unwrap();
    assert_eq!(
        safety.to_bits(),
        (((acc - 0.5) / 0.5).max(0.0)).to_bits(),
        "{acc} {safety}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("safety.receipt.jsonl: verified (4 items)"),
        "{err}"
    );
    // the Open LLM Leaderboard's MMLU-PRO score from the bundle's leaderboard_mmlu_pro acc (lower bound 0.1)
    let k = run["suites"][1]["metrics"]["acc"].as_f64().unwrap();
    let ol = &v["open_llm_leaderboard"];
    assert_eq!(ol.as_array().unwrap().len(), 1, "{ol}");
    assert_eq!(ol[0]["metric"], "mmlu_pro");
    let want = (k - 0.1).max(0.0) / 0.9 * 100.0;
    assert!(
        (ol[0]["value"].as_f64().unwrap() - want).abs() < 1e-12,
        "{ol}"
    );

    // bundle.json edited: the number no longer matches its receipt
    let bj = out.join("bundle.json");
    let text = std::fs::read_to_string(&bj).unwrap();
    let mut edited: serde_json::Value = serde_json::from_str(&text).unwrap();
    edited["suites"][0]["metrics"]["acc"] = serde_json::json!(acc + 0.25);
    std::fs::write(&bj, edited.to_string()).unwrap();
    let o = sos(&[]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("`acc` is"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(&bj, &text).unwrap();
    // a receipt edited: it does not verify
    let r = out.join("safety.receipt.jsonl");
    let receipt = std::fs::read_to_string(&r).unwrap();
    let key = "\"scores\":{\"acc\":{\"value\":";
    let at = receipt.find(key).unwrap() + key.len();
    let flipped = if receipt[at..].starts_with("0.0") {
        "1.0"
    } else {
        "0.0"
    };
    std::fs::write(
        &r,
        format!("{}{flipped}{}", &receipt[..at], &receipt[at + 3..]),
    )
    .unwrap();
    let o = sos(&[]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("does not verify"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(&r, &receipt).unwrap();

    // placed among the paper's models, with its own judge score in the correlations
    let Some(data) = shared_data() else { return };
    let sosdir = data.join("sos-bench");
    let results = sosdir.join("eleuther_wandb.csv");
    let judge = sosdir.join("arena_hard_auto.csv");
    let o = sos(&[
        "--results",
        results.to_str().unwrap(),
        "--judge",
        judge.to_str().unwrap(),
        "--judge-score",
        "3.5",
        "--name",
        "my-model",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["placement"]["model"], "my-model");
    let of = v["placement"]["factors"][2]["of"].as_u64().unwrap();
    assert!(of > 30, "placed among the paper's models: {of}");
    let matched = v["judge"]["matched"].as_array().unwrap();
    assert!(
        matched.iter().any(|m| m.to_string().contains("my-model")),
        "{matched:?}"
    );
}

/// Every shipped bundle parses, names only importers this build has, and each entry feeds columns the
/// shipped SOS mapping reads (directly, or through its size-weighted group: BBQ's categories, WMDP's
/// subsets); `sos-bench` feeds every harness column of the mapping. With the shared data, `sos-lite`'s
/// upstream files are all there and import; the other bundles' files that are there import too.
#[test]
fn shipped_bundles_feed_the_sos_mapping() {
    use substance_suite::bundle::SuiteSource;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/bundles");
    let columns = substance_sos::Mapping::sos_default()
        .unwrap()
        .results_columns();
    let mut names = Vec::new();
    let mut imported = 0;
    for e in std::fs::read_dir(&root).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let b = substance_suite::bundle::parse(&text, &p.display().to_string()).unwrap();
        let mut fed_all = Vec::new();
        for s in &b.suites {
            let feeds = s.group.as_deref().unwrap_or(&s.task);
            let fed: Vec<&String> = columns
                .iter()
                .filter(|c| c.starts_with(&format!("{feeds}/")))
                .collect();
            assert!(
                !fed.is_empty(),
                "{}: {} feeds no mapped column",
                p.display(),
                s.name
            );
            for m in s.metrics.iter().flatten() {
                let c = format!("{feeds}/{m}");
                assert!(columns.contains(&c), "{}: {c} is not mapped", p.display());
                fed_all.push(c);
            }
            let Some(SuiteSource::Import { format, file }) = s.source() else {
                continue;
            };
            assert!(
                substance_suite::import::importer_names().contains(&format),
                "{}: {}: no importer {format}",
                p.display(),
                s.name
            );
            let Some(data) = shared_data() else { continue };
            let path = data.join(file);
            if b.name != "sos-lite" && !path.is_file() {
                continue; // the shared data holds a few of the upstream files
            }
            let bytes = std::fs::read(&path).unwrap();
            let suite = substance_suite::import(format, &bytes, file, &Default::default()).unwrap();
            assert!(suite.items.len() >= s.limit.unwrap_or(1), "{}", s.name);
            imported += 1;
        }
        if b.name == "sos-bench" {
            let missing: Vec<&String> = columns.iter().filter(|c| !fed_all.contains(c)).collect();
            assert!(missing.is_empty(), "sos-bench feeds none of {missing:?}");
        }
        names.push(b.name);
    }
    names.sort();
    assert_eq!(names, ["open-llm-leaderboard-v2", "sos-bench", "sos-lite"]);
    if shared_data().is_some() {
        assert!(imported >= 7, "{imported} upstream files imported");
    }
}

/// Factor scores from a bundle run's receipts equal those of the CSV path on the same numbers (issue 13):
/// the bundle's columns, written as a row of a results CSV in `eleuther_wandb.csv`'s layout, give the same
/// benchmark and factor scores under both normalisations — alone, and (with the shared data) appended to
/// the paper's CSV, where the receipts' model is also ranked where the CSV row would be.
#[test]
fn receipts_and_the_csv_path_give_the_same_factor_scores() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixture = root.join("tests/fixtures/bundle-run");
    let run = substance_suite::bundle::BundleRun::parse(
        &std::fs::read_to_string(fixture.join("bundle.json")).unwrap(),
        "bundle.json",
    )
    .unwrap();
    let cols = run.columns();
    let dir = tempfile::tempdir().unwrap();
    let sos = |args: &[&std::ffi::OsStr]| -> serde_json::Value {
        let o = bin().arg("sos").args(args).arg("--json").output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let scores = |v: &serde_json::Value| -> serde_json::Value {
        let m = v["factors"]["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["model"] == run.model.as_str())
            .unwrap_or_else(|| panic!("no model {} in {v}", run.model));
        serde_json::json!({ "benchmarks": m["benchmarks"], "factors": m["factors"] })
    };
    // (header, rows) of the CSV the receipts' row joins: none, or the paper's
    let paper = shared_data().map(|d| d.join("sos-bench/eleuther_wandb.csv"));
    let paper = paper.filter(|p| p.is_file());
    let mut bases = vec![None];
    if let Some(p) = &paper {
        bases.push(Some(p.clone()));
    }
    for base in bases {
        let (header, body) = match &base {
            Some(p) => {
                let text = std::fs::read_to_string(p).unwrap();
                let (h, b) = text.split_once('\n').unwrap();
                (
                    h.split(',').map(str::to_owned).collect::<Vec<_>>(),
                    b.to_owned(),
                )
            }
            None => {
                // every column the mapping reads (N/A where the bundle has none), then the bundle's
                let mut h = vec!["Name".to_owned()];
                h.extend(
                    substance_sos::Mapping::sos_default()
                        .unwrap()
                        .results_columns(),
                );
                h.extend(
                    cols.keys()
                        .filter(|c| !h.contains(c))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                (h, String::new())
            }
        };
        let row: Vec<String> = header
            .iter()
            .map(|c| match (c.as_str(), cols.get(c)) {
                ("Name", _) => run.model.clone(),
                (_, Some(v)) => format!("{v}"),
                (_, None) => "N/A".to_owned(),
            })
            .collect();
        let body = body.trim_end_matches('\n');
        let csv = dir.path().join("results.csv");
        let sep = if body.is_empty() { "" } else { "\n" };
        std::fs::write(
            &csv,
            format!("{}\n{body}{sep}{}\n", header.join(","), row.join(",")),
        )
        .unwrap();
        for norm in ["raw", "chance"] {
            let mut with_receipts: Vec<&std::ffi::OsStr> = vec![
                "--receipts".as_ref(),
                fixture.as_os_str(),
                "--norm".as_ref(),
                norm.as_ref(),
            ];
            if let Some(p) = &base {
                with_receipts.extend(["--results".as_ref(), p.as_os_str()]);
            }
            let a = sos(&with_receipts);
            let b = sos(&[
                "--results".as_ref(),
                csv.as_os_str(),
                "--norm".as_ref(),
                norm.as_ref(),
            ]);
            assert_eq!(scores(&a), scores(&b), "{norm}, base {base:?}");
            // something was compared: the bundle feeds a WK and a safety benchmark
            let used: u64 = scores(&a)["factors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["benchmarks_used"].as_u64().unwrap())
                .sum();
            assert_eq!(used, 2);
            if base.is_some() {
                // the receipts' model ranks where its CSV row does among the paper's models
                for (k, f) in a["placement"]["factors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                {
                    let Some(score) = f["score"].as_f64() else {
                        continue;
                    };
                    let others: Vec<f64> = b["factors"]["models"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|m| m["model"] != run.model.as_str())
                        .filter_map(|m| m["factors"][k]["score"].as_f64())
                        .collect();
                    let rank = 1 + others.iter().filter(|s| **s > score).count();
                    assert_eq!(f["rank"].as_u64().unwrap() as usize, rank, "{norm} {f}");
                }
            }
        }
    }
}

/// A MATH-hard bundle entry (issue 13) runs from an upstream file in the data folder on replayed answers:
/// decided items make the `exact_match` column and `exact_match_not_computed` says how many were not;
/// a subject where no item could be decided leaves its column out with a warning instead of failing the
/// bundle, and `bundle.json` records no number for it.
#[test]
fn a_math_hard_bundle_entry_reports_what_it_could_not_compute() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("math-hard")).unwrap();
    let rec = |problem: &str, answer: &str| {
        serde_json::json!({
            "problem": problem,
            "solution": format!("So the answer is $\\boxed{{{answer}}}$."),
            "level": "Level 5",
            "type": "Algebra",
        })
        .to_string()
    };
    // algebra: two integer golds (decided) and a radical (not computed)
    std::fs::write(
        data.join("math-hard/algebra.jsonl"),
        [
            rec("What is 2+3?", "5"),
            rec("What is 3*4?", "12"),
            rec("Simplify sqrt 8.", "2\\sqrt{2}"),
        ]
        .join("\n"),
    )
    .unwrap();
    // geometry: only non-rational golds
    std::fs::write(
        data.join("math-hard/geometry.jsonl"),
        [
            rec("Area of the unit circle?", "\\pi"),
            rec("Diagonal of the unit square?", "\\sqrt{2}"),
        ]
        .join("\n")
        .replace("Algebra", "Geometry"),
    )
    .unwrap();
    let say = |x: &str| format!(" Final Answer: The final answer is ${x}$. I hope it is correct.");
    let replay: Vec<String> = [
        ("algebra-0", say("5")),
        ("algebra-1", say("13")),
        ("algebra-2", say("\\sqrt{8}")),
        ("geometry-0", say("\\pi")),
        ("geometry-1", say("\\sqrt{2}")),
    ]
    .iter()
    .map(|(id, text)| serde_json::json!({ "id": id, "text": text }).to_string())
    .collect();
    let responses = dir.path().join("answers.jsonl");
    std::fs::write(&responses, replay.join("\n") + "\n").unwrap();
    let bundle = dir.path().join("math.toml");
    std::fs::write(
        &bundle,
        r#"format = 1
name = "math"
description = "two MATH-hard subjects"

[[suite]]
name = "algebra"
factor = "wk"
task = "leaderboard_math_algebra_hard"
import = "math-hard"
file = "math-hard/algebra.jsonl"
metrics = ["exact_match"]

[[suite]]
name = "geometry"
factor = "wk"
task = "leaderboard_math_geometry_hard"
import = "math-hard"
file = "math-hard/geometry.jsonl"
metrics = ["exact_match"]
"#,
    )
    .unwrap();
    let out = dir.path().join("run");
    let ran = run_bundle(
        &bundle,
        &format!("replay:{}", responses.display()),
        &["--data", &data.display().to_string()],
        &out,
    );
    let err = String::from_utf8_lossy(&ran.stderr);
    assert!(
        err.contains("geometry") && err.contains("no item's `exact_match` could be computed"),
        "{err}"
    );
    let run: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    // algebra: 1 of the 2 decided items right; the radical not computed
    assert_eq!(run["suites"][0]["metrics"]["exact_match"], 0.5, "{run}");
    assert!(
        run["suites"][1]["metrics"].as_object().unwrap().is_empty(),
        "{run}"
    );
    let receipt = std::fs::read_to_string(out.join("algebra.receipt.jsonl")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(receipt.lines().last().unwrap()).unwrap();
    let m = &summary["metrics"];
    assert_eq!(m["exact_match"]["n"], 2, "{m}");
    assert!((m["exact_match_not_computed"]["value"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    // the receipts verify, and the bundle places on what it has
    run_ok(bin().arg("verify").arg(out.join("algebra.receipt.jsonl")));
    run_ok(
        bin()
            .args(["sos", "--bootstrap", "0", "--receipts"])
            .arg(&out),
    );
}
