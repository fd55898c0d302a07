//! Fuzz targets of every reader of outside bytes (issue 11, item 6), as plain functions.
//!
//! Each target takes arbitrary bytes, feeds them to one family of readers and checks, besides "no
//! panic", the reading policy of [`substance_core::input`] where it can be checked from the outside: a
//! reader that accepts an input returned at least one record (rule 2), and a suite's item ids are
//! unique (rule 4). A broken invariant panics, which the fuzzer reports as a crash.
//!
//! The functions live in this ordinary workspace crate, not in the cargo-fuzz package, for two
//! reasons: the cargo-fuzz binaries (`crates/substance-fuzz/fuzz`, run by `cargo xtask fuzz`, which
//! needs libFuzzer and a toolchain that accepts its flags) are thin wrappers over them, and the
//! stable test suite replays every committed corpus input and regression through the very same code
//! (`tests/corpus.rs`, seconds in CI) without installing a fuzzer.
//!
//! The model runtime's readers (safetensors headers, `config.json`) are not here: `substance-model`
//! pulls in burn, whose instrumented build would dominate every fuzz run; they are property-tested in
//! `substance-model/tests/malformed.rs`. Its GGUF reader is: `substance-gguf` is standalone.

// A fuzz target reports a broken invariant by panicking: that is how libFuzzer sees a failure.
#![allow(clippy::panic)]

use std::collections::BTreeSet;

/// A fuzz target: arbitrary bytes in, a panic when a reader breaks the policy.
pub type Target = fn(&[u8]);

/// Every target by name, as `cargo xtask fuzz` and the corpus test know them.
pub const TARGETS: &[(&str, Target)] = &[
    ("suite_import", suite_import),
    ("suite_files", suite_files),
    ("receipt", receipt),
    ("replay", replay),
    ("ifeval", ifeval),
    ("judge_import", judge_import),
    ("leaderboard", leaderboard),
    ("gguf", gguf),
    ("verify_foreign", verify_foreign),
];

/// A target by name.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Panics unless an accepted suite has items with unique ids and validates.
fn check_suite(suite: &substance_core::Suite, how: &str) {
    assert!(
        !suite.items.is_empty(),
        "{how}: accepted a suite without items"
    );
    let mut ids = BTreeSet::new();
    for item in &suite.items {
        assert!(
            ids.insert(&item.id),
            "{how}: accepted a repeated item id `{}`",
            item.id
        );
    }
    if let Err(e) = suite.validate(how) {
        panic!("{how}: accepted a suite that does not validate: {e}");
    }
}

/// Panics when a reader accepted an input but returned no records (rule 2).
fn check_nonempty<T, E>(result: &Result<Vec<T>, E>, how: &str) {
    if let Ok(v) = result {
        assert!(!v.is_empty(), "{how}: accepted an input without records");
    }
}

/// The suite importers: the first byte picks the importer, the rest is the file.
pub fn suite_import(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let names = substance_suite::importer_names();
    let format = names[usize::from(pick) % names.len()];
    let opts = substance_suite::ImportOptions::default();
    // a name the importers that read it from the file name accept (a BBH subtask, a MuSR split), so
    // they read on instead of asking which subtask
    let origin = if format == "bbh-mc" {
        "navigate.json"
    } else {
        "fuzz_team_allocation"
    };
    if let Ok(suite) = substance_suite::import(format, bytes, origin, &opts) {
        check_suite(&suite, format);
    }
}

/// A suite given as files: `suite.toml`, `items.jsonl` and an optional few-shot pool, separated by NUL
/// bytes.
pub fn suite_files(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let toml = parts.next().unwrap_or_default();
    let items = parts.next().unwrap_or_default();
    let fewshot = parts.next();
    if let Ok(suite) = substance_suite::load_suite_from_parts(toml, items, fewshot, "fuzz") {
        check_suite(&suite, "suite files");
    }
}

/// The receipt reader and the verifier, without and with nothing else known.
pub fn receipt(data: &[u8]) {
    for line in substance_core::ReceiptReader::new(data) {
        if line.is_err() {
            break;
        }
    }
    let report = substance_score::verify_reader(data, None);
    if report.ok {
        let n = report.recomputed.as_ref().map_or(0, |s| s.n_items);
        assert!(n > 0, "a receipt of no items verified");
    }
}

/// Replay files (JSONL of recorded responses, or a receipt).
pub fn replay(data: &[u8]) {
    let _ = substance_runner::ReplayModel::parse(&String::from_utf8_lossy(data), "fuzz.jsonl");
}

/// IFEval inputs and responses; each accepted input row is checked against its own prompt.
pub fn ifeval(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let inputs = substance_ifeval::parse_inputs(&text);
    check_nonempty(&inputs, "ifeval inputs");
    check_nonempty(
        &substance_ifeval::parse_responses(&text),
        "ifeval responses",
    );
    for row in inputs.iter().flatten() {
        let _ = substance_ifeval::check_response(&row.prompt, &row.instructions(), &row.prompt);
    }
}

/// Every importer of recorded judgments.
pub fn judge_import(data: &[u8]) {
    use substance_judge::import::{
        alpaca_eval, arena_hard, llmbar, mt_bench, pandalm, prometheus, xstest,
    };
    check_nonempty(
        &arena_hard::import_v01(data, "f", "base"),
        "arena-hard v0.1",
    );
    check_nonempty(&arena_hard::import_v2(data, "f"), "arena-hard v2");
    check_nonempty(&alpaca_eval::import_annotations(data, "f"), "alpaca_eval");
    check_nonempty(&mt_bench::import_single(data, "f", None), "mt-bench single");
    check_nonempty(&mt_bench::import_pair(data, "f", None), "mt-bench pair");
    check_nonempty(&mt_bench::import_votes(data, "f"), "mt-bench votes");
    let mut texts = mt_bench::MtBenchTexts::default();
    let _ = texts.add_questions(data, "f");
    let _ = texts.add_answers(data, "f", None);
    let _ = texts.add_references(data, "f");
    let testset = pandalm::import_testset(data, "f");
    check_nonempty(&testset, "pandalm");
    if let Ok(mut pairs) = testset {
        let _ = pandalm::attach_verdicts(&mut pairs, data, "f", "j");
    }
    check_nonempty(
        &llmbar::import(data, "f", "s", Some("GPT-4/CoT"), true),
        "llmbar",
    );
    check_nonempty(&xstest::import_completions(data, "f"), "xstest");
    check_nonempty(
        &prometheus::import_autoj_pairwise(data, "f"),
        "prometheus autoj",
    );
    check_nonempty(&prometheus::import_hhh(data, "f"), "prometheus hhh");
    check_nonempty(
        &prometheus::import_absolute(data, "f"),
        "prometheus absolute",
    );
    let text = String::from_utf8_lossy(data);
    check_nonempty(
        &substance_judge::examples::parse_pairs(&text, "f"),
        "judged pairs",
    );
    let _ = substance_judge::PromptSet::from_toml(&text, "f");
    let _ = substance_judge::PromptSet::from_fastchat_jsonl(&text, "f");
}

/// Every leaderboard input parser.
pub fn leaderboard(data: &[u8]) {
    use substance_leaderboard::ArenaVersion;
    use substance_leaderboard::formats::*;
    check_nonempty(
        &parse_arena_judgments(data, "f", ArenaVersion::V01),
        "arena v0.1",
    );
    check_nonempty(
        &parse_arena_judgments(data, "f", ArenaVersion::V2),
        "arena v2",
    );
    check_nonempty(&parse_answers(data, "f"), "answers");
    check_nonempty(&parse_alpaca_annotations(data, "f"), "alpaca annotations");
    check_nonempty(
        &parse_instruction_difficulty(data, "f"),
        "instruction difficulty",
    );
    check_nonempty(&parse_gamed_rows(data, "f"), "gamed rows");
    check_nonempty(&parse_mt_bench_single(data, "f"), "mt-bench single");
    check_nonempty(&parse_mt_bench_pair(data, "f"), "mt-bench pair");
    check_nonempty(&parse_bootstrap_stats(data, "f"), "bootstrap stats");
}

/// The readers of other tools' result files (`substance-verify`): the first byte picks the input (an
/// MMLU-Pro prediction file, a zip, claims, an lm-eval run: a results file and a sample log split at
/// the first NUL byte, an inspect_ai `.eval` or `.json` log, a judgment JSONL file (MT-Bench,
/// Arena-Hard, JudgeBench by content), AlpacaEval annotations and a leaderboard CSV split at the first
/// NUL, a RewardBench summary and per-example file split at the first NUL), the rest is the bytes. An
/// accepted MMLU-Pro file's report has items; every report has checks; accepted claims are not empty.
pub fn verify_foreign(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let input = |name: &str, bytes: &[u8]| substance_verify::Input {
        name: name.to_owned(),
        bytes: bytes.to_vec(),
    };
    let cut = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    let (first, second) = (&rest[..cut], rest.get(cut + 1..).unwrap_or(&[]));
    let inputs = match pick % 9 {
        0 => vec![input("model_outputs_m_5shots.json", rest)],
        1 => vec![input("published.zip", rest)],
        2 => {
            check_nonempty(&substance_verify::read_claims(rest, "claims"), "claims");
            return;
        }
        3 => vec![
            input("run/results_2026-01-01T00-00-00.000000.json", first),
            input("run/samples_t_2026-01-01T00-00-00.000000.jsonl", second),
        ],
        4 => vec![input("logs/run.eval", rest)],
        5 => vec![input("logs/run.json", rest)],
        6 => vec![input("model_judgment/judge.jsonl", rest)],
        7 => vec![
            input("results/m/annotator/annotations.json", first),
            input("annotator_leaderboard.csv", second),
        ],
        _ => vec![
            input("eval-set/org/m.json", first),
            input("eval-set-scores/org/m.json", second),
        ],
    };
    let out = substance_verify::verify_inputs(inputs, Vec::new());
    for r in &out.reports {
        assert!(
            !r.checks.is_empty() || r.format != "mmlu-pro",
            "{}: a report without checks",
            r.file
        );
        if r.format == "mmlu-pro" {
            assert!(r.items_checked > 0, "{}: a report without items", r.file);
        }
    }
}

/// The GGUF reader; every tensor of an accepted file is dequantised.
pub fn gguf(data: &[u8]) {
    let Ok(g) = substance_gguf::Gguf::parse(data) else {
        return;
    };
    let _ = substance_gguf::special_tokens(&g);
    let _ = substance_gguf::chat_template(&g);
    for t in g.tensors() {
        // Bounded by the file: a tensor's data lies inside it.
        if t.n_elements() <= 1 << 20 {
            let _ = substance_gguf::dequantize(t);
        }
    }
}

/// Folders of the shared benchmark data (`../shared/data`) whose files seed a target, with the suite
/// importer that reads them (for `suite_import`, whose first input byte picks the importer).
const DATA_SEEDS: &[(&str, &str, Option<&str>)] = &[
    ("suite_import", "mmlu", Some("mmlu")),
    ("suite_import", "arc", Some("arc")),
    ("suite_import", "piqa", Some("piqa")),
    ("suite_import", "boolq", Some("boolq")),
    ("suite_import", "winogrande", Some("winogrande")),
    ("suite_import", "hellaswag", Some("hellaswag")),
    ("suite_import", "truthfulqa", Some("truthfulqa-mc1")),
    ("suite_import", "gsm8k", Some("gsm8k")),
    ("suite_import", "bbh", Some("bbh")),
    ("suite_import", "ifeval", Some("ifeval")),
    ("suite_import", "xstest", Some("xstest")),
    ("suite_import", "bbq", Some("bbq")),
    ("suite_import", "harmbench", Some("harmbench")),
    ("suite_import", "advbench", Some("advbench")),
    ("suite_import", "mt-bench", Some("mt-bench")),
    ("suite_import", "arena-hard-auto", Some("arena-hard")),
    ("ifeval", "ifeval", None),
    ("judge_import", "mt-bench", None),
    ("judge_import", "arena-hard-auto", None),
    ("judge_import", "alpaca-eval", None),
    ("judge_import", "pandalm", None),
    ("judge_import", "llmbar", None),
    ("judge_import", "xstest", None),
    ("judge_import", "prometheus-eval", None),
    ("leaderboard", "arena-hard-auto", None),
    ("leaderboard", "alpaca-eval", None),
    ("leaderboard", "mt-bench", None),
];

/// Seed inputs for `target` from the shared data folder `data`: the first `max_len` bytes of up to
/// `per_folder` files (in name order, so the seeds are the same on every run) of each folder that
/// feeds it. Text files only (`.json`, `.jsonl`, `.csv`, `.txt`); an absent folder gives no seeds.
pub fn data_seeds(
    data: &std::path::Path,
    target: &str,
    per_folder: usize,
    max_len: usize,
) -> Vec<Vec<u8>> {
    let names = substance_suite::importer_names();
    let mut out = Vec::new();
    for &(t, folder, importer) in DATA_SEEDS {
        if t != target {
            continue;
        }
        let prefix = importer.and_then(|i| names.iter().position(|n| *n == i));
        if importer.is_some() && prefix.is_none() {
            continue;
        }
        let mut files = Vec::new();
        collect_text_files(&data.join(folder), &mut files);
        files.sort();
        for f in files.into_iter().take(per_folder) {
            let Ok(bytes) = std::fs::read(&f) else {
                continue;
            };
            let mut seed = Vec::with_capacity(max_len + 1);
            if let Some(p) = prefix {
                seed.push(u8::try_from(p).unwrap_or(0));
            }
            seed.extend_from_slice(&bytes[..bytes.len().min(max_len)]);
            out.push(seed);
        }
    }
    out
}

fn collect_text_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_text_files(&p, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| matches!(x, "json" | "jsonl" | "csv" | "txt"))
        {
            out.push(p);
        }
    }
}
