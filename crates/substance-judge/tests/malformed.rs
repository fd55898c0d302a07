//! Malformed and adversarial input: importers return typed errors naming the file, line/record and
//! field, and never panic on arbitrary bytes; parsers never panic on arbitrary text and behave as the
//! reference on adversarial strings. Self-contained (no data folder).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use substance_judge::import::{
    alpaca_eval, arena_hard, llmbar, mt_bench, pandalm, prometheus, xstest,
};
use substance_judge::probe::{CorruptionKind, Placement, Probe, RestyleOptions};
use substance_judge::protocol::{arena, judgelm, mt_bench as mtb, sos};
use substance_judge::{
    Factor, FactorRegex, ImportError, Judge, JudgeProtocol, JudgedPair, Preference, PromptSet, Side,
};

fn all_importers(bytes: &[u8]) {
    let _ = arena_hard::import_v01(bytes, "f", "base");
    let _ = arena_hard::import_v2(bytes, "f");
    let _ = alpaca_eval::import_annotations(bytes, "f");
    let _ = mt_bench::import_single(bytes, "f", None);
    let _ = mt_bench::import_pair(bytes, "f", None);
    let _ = mt_bench::import_votes(bytes, "f");
    let mut t = mt_bench::MtBenchTexts::default();
    let _ = t.add_questions(bytes, "f");
    let _ = t.add_answers(bytes, "f", None);
    let _ = t.add_references(bytes, "f");
    if let Ok(mut pairs) = pandalm::import_testset(bytes, "f") {
        let _ = pandalm::attach_verdicts(&mut pairs, bytes, "f", "j");
    }
    let _ = llmbar::import(bytes, "f", "s", Some("GPT-4/CoT"), true);
    let _ = xstest::import_completions(bytes, "f");
    let _ = prometheus::import_autoj_pairwise(bytes, "f");
    let _ = prometheus::import_hhh(bytes, "f");
    let _ = prometheus::import_absolute(bytes, "f");
    let _ = PromptSet::from_toml(&String::from_utf8_lossy(bytes), "f");
    let _ = PromptSet::from_fastchat_jsonl(&String::from_utf8_lossy(bytes), "f");
    let _ = substance_judge::examples::parse_pairs(&String::from_utf8_lossy(bytes), "f");
}

fn json_fragment() -> impl Strategy<Value = String> {
    // Bytes that look like the real formats often enough to get past the outer parser.
    let atoms = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "null",
        "true",
        "1",
        "-1",
        "2.5",
        "\n",
        "\"games\"",
        "\"score\"",
        "\"judgment\"",
        "\"user_prompt\"",
        "\"question_id\"",
        "\"model\"",
        "\"judge\"",
        "\"label\"",
        "\"results\"",
        "\"swap = False\"",
        "\"winner\"",
        "\"completion\"",
        "\"input\"",
        "\"output_1\"",
        "\"output_2\"",
        "\"instruction\"",
        "\"preference\"",
        "\"idx\"",
        "\"annotator1\"",
        "\"response1\"",
        "\"turn\"",
        "\"g1_winner\"",
        "\"model_1\"",
        "\"choices\"",
        "\"turns\"",
        "\"A>B\"",
        "\"[[A>>B]]\"",
    ]);
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn importers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        all_importers(&bytes);
    }

    #[test]
    fn importers_never_panic_on_json_like(text in json_fragment()) {
        all_importers(text.as_bytes());
    }

    #[test]
    fn parsers_never_panic(text in "\\PC{0,200}") {
        for p in JudgeProtocol::ALL {
            let j = Judge::new(p);
            let parsed = j.parse(&text);
            let _ = j.preference(parsed.verdict.as_ref());
            let _ = j.parse_with(&text, 3);
        }
        let _ = arena::split_user_prompt(&text);
        let _ = judgelm::swap_review(&text);
        let _ = substance_judge::py::float(&text);
    }

    #[test]
    fn probes_never_panic(a in "\\PC{0,160}", b in "\\PC{0,160}", seed in any::<u64>()) {
        let pair = JudgedPair::new("p", "q", &a, Some(&b));
        for probe in [
            Probe::PositionSwap,
            Probe::VerbosityPadding { side: None, sentences: 2, placement: Placement::Interleave },
            Probe::MarkdownRestyle { side: None, options: RestyleOptions::default() },
            Probe::SubstanceCorruption { side: None, kind: None },
            Probe::StyleOverSubstance { source: Side::A, kind: Some(CorruptionKind::Negation) },
            Probe::ReferenceDropRandom { p: 0.5 },
        ] {
            if let Ok(out) = probe.apply(&pair, seed) {
                for d in &out.diffs {
                    let (_, new) = substance_judge::diff::sides(&d.spans);
                    prop_assert!(new == out.pair.answer_a || Some(&new) == out.pair.answer_b.as_ref());
                }
            }
        }
    }

    #[test]
    fn rendering_is_total(q in "\\PC{0,80}", a in "\\PC{0,80}", b in "\\PC{0,80}") {
        let input = substance_judge::JudgeInput {
            question: q.clone(), answers: vec![a.clone(), b.clone()], reference: Some("r".into()),
            category: None, second_turn: None,
        };
        for p in JudgeProtocol::ALL {
            let j = Judge::new(p);
            for g in j.games() {
                let _ = j.render(&input, g);
            }
        }
        // Braces in item text are data, never template fields.
        let r = Judge::new(JudgeProtocol::ArenaHardV01).render(&input, substance_judge::Game::FIRST).unwrap();
        let parts = arena::split_user_prompt(&r.messages[1].content);
        if !a.contains("<|") && !b.contains("<|") && !q.contains("<|") {
            let parts = parts.unwrap();
            prop_assert_eq!(parts.question, q);
            prop_assert_eq!(parts.answer_a, a);
            prop_assert_eq!(parts.answer_b, b);
        }
    }
}

#[test]
fn errors_name_file_line_and_field() {
    let e =
        arena_hard::import_v01(b"{\"question_id\": 1}\n", "judgments/m.jsonl", "b").unwrap_err();
    assert_eq!(
        e.to_string(),
        "judgments/m.jsonl:1: field `model`: missing field"
    );
    let e = arena_hard::import_v01(b"\n\n{oops\n", "m.jsonl", "b").unwrap_err();
    assert!(
        matches!(
            e,
            ImportError::Input(substance_core::InputError::Syntax { line: 3, .. })
        ),
        "{e:?}"
    );
    let e = mt_bench::import_single(b"{\"question_id\": 1, \"model\": \"m\", \"judge\": [\"gpt-4\", \"single-v1\"], \"score\": \"9\"}", "s.jsonl", None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.jsonl:1: field `score`: expected a number or null, found a string"
    );
    let e = pandalm::import_testset(b"[{\"idx\": 0, \"instruction\": \"i\", \"response1\": \"a\", \"response2\": \"b\", \"annotator1\": 5, \"annotator2\": 1, \"annotator3\": 1}]", "t.json").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.json: record 0: field `annotator1`: expected 0 (tie), 1 or 2, found a number"
    );
    let e = alpaca_eval::import_annotations(b"{}", "a.json").unwrap_err();
    assert!(e.to_string().contains("expected a JSON array"), "{e}");
    let e = llmbar::import(&[0xff, 0xfe], "x.json", "s", None, false).unwrap_err();
    assert!(matches!(e, ImportError::Utf8 { offset: 0, .. }));
    let e = prometheus::import_hhh(
        b"[{\"chosen_instruction\": \"no sections\", \"rejected_instruction\": \"x\"}]",
        "h.json",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "h.json: record 0: field `chosen_instruction`: not a Prometheus absolute-grading prompt"
    );
}

type Importer = fn(&[u8], &str) -> Result<Vec<JudgedPair>, ImportError>;

/// Every importer of recorded judgments follows the one reading policy (`substance_core::input`): an
/// input without records is an error (never 0 pairs), and a JSON object member given twice is refused
/// (serde_json would keep the last one), on the line it is on.
#[test]
fn every_importer_follows_the_reading_policy() {
    let importers: [(&str, Importer); 11] = [
        ("arena_hard v0.1", |b, f| {
            arena_hard::import_v01(b, f, "base")
        }),
        ("arena_hard v2", arena_hard::import_v2),
        ("alpaca_eval", alpaca_eval::import_annotations),
        ("mt_bench single", |b, f| {
            mt_bench::import_single(b, f, None)
        }),
        ("mt_bench pair", |b, f| mt_bench::import_pair(b, f, None)),
        ("mt_bench votes", mt_bench::import_votes),
        ("pandalm", pandalm::import_testset),
        ("llmbar", |b, f| llmbar::import(b, f, "s", None, false)),
        ("prometheus autoj", prometheus::import_autoj_pairwise),
        ("prometheus hhh", prometheus::import_hhh),
        ("prometheus absolute", prometheus::import_absolute),
    ];
    for (name, import) in importers {
        for empty in ["", " \n\r\n", "\u{feff}", "[]", "[]\n"] {
            match import(empty.as_bytes(), "f.json") {
                Err(ImportError::Input(substance_core::InputError::Empty { file, .. })) => {
                    assert_eq!(file, "f.json", "{name}");
                }
                // `[]` in a JSONL format is a line that is not an object.
                Err(e) if empty.starts_with('[') && e.to_string().contains("f.json:1") => {}
                other => panic!("{name} on {empty:?}: {other:?}"),
            }
        }
        for twice in ["\n{\"a\": 1, \"a\": 2}\n", "[\n{\"a\": 1, \"a\": 2}]"] {
            let e = import(twice.as_bytes(), "f.json").unwrap_err().to_string();
            // Array formats reject the JSONL text as "not an array" first; JSONL formats the array.
            assert!(
                e.contains("f.json: line 2: JSON object member `a` given twice")
                    || e.contains("expected a JSON array")
                    || e.contains("f.json: line 1")
                    || e.contains("f.json:1"),
                "{name} on {twice:?}: {e}"
            );
        }
    }
    // The header-only CSV (XSTest) holds no records either.
    let e = xstest::import_completions(b"id,prompt,completion,final_label\n", "x.csv").unwrap_err();
    assert!(e.to_string().contains("x.csv: no records"), "{e}");
    // A repeated or empty id is refused with both lines.
    let row = |id: &str| format!("{id},p,c,1_full_compliance\n");
    let csv = format!(
        "id,prompt,completion,final_label\n{}{}",
        row("v2-1"),
        row("v2-1")
    );
    let e = xstest::import_completions(csv.as_bytes(), "x.csv").unwrap_err();
    assert!(
        e.to_string()
            .contains("line 3: duplicate id `v2-1` (first at line 2)"),
        "{e}"
    );
    let csv = format!("id,prompt,completion,final_label\n{}", row(""));
    assert!(xstest::import_completions(csv.as_bytes(), "x.csv").is_err());
}

/// Adversarial judge outputs, with what each reference parser does on them.
#[test]
fn adversarial_judge_outputs() {
    let v01 = Judge::new(JudgeProtocol::ArenaHardV01);
    let v2 = Judge::new(JudgeProtocol::ArenaHardV2);
    // A judge quoting the label list: several distinct labels → v0.1 gives none (and no retry);
    // v2 takes the last one.
    let quoted = "Labels: [[A>>B]], [[A>B]], [[A=B]], [[B>A]], [[B>>A]]. My final verdict: [[B>A]]";
    let p = v01.parse(quoted);
    assert_eq!((p.verdict, p.retry), (None, false));
    assert_eq!(
        v2.preference(v2.parse(quoted).verdict.as_ref()),
        Some(Preference::B)
    );
    // Markdown-bolded verdict with spaces is not a label in either version.
    assert!(v01.parse("**[[ A>B ]]**").retry);
    assert_eq!(v2.parse("**[[ A>B ]]**").verdict, None);
    // v2's single-bracket fallback catches "[A>B]"; v0.1 does not.
    assert!(v01.parse("Verdict: [A>B]").retry);
    assert!(v2.parse("Verdict: [A>B]").verdict.is_some());
    // Lower case: v2 upper-cases first.
    assert!(v2.parse("final: [[b>>a]]").verdict.is_some());
    // MT-Bench pairwise: [[A]] anywhere wins over a later [[B]] (substring order, not position).
    assert_eq!(
        mtb::parse_pair("I first thought [[A]], but actually [[B]]"),
        Some(Preference::A)
    );
    // Ratings: first match; fallback only when no double-bracket rating exists.
    assert_eq!(mtb::parse_rating("[5] ... Rating: [[8]]"), Some(8.0));
    assert_eq!(mtb::parse_rating("Rating: [[8/10]]"), None);
    assert_eq!(mtb::parse_rating("score [10]"), Some(10.0));
    assert_eq!(mtb::parse_rating("[[-3]]"), None);
    // JudgeLM: anything but exactly two tokens on line one is the [-1, -1] sentinel → tie.
    let jl = Judge::new(JudgeProtocol::JudgeLm);
    for s in [
        "Assistant 1: 8\nAssistant 2: 9",
        "8/10 9/10",
        "",
        "\n8 9",
        "8 9 10",
    ] {
        assert_eq!(jl.parse(s).verdict, None, "{s:?}");
        assert_eq!(jl.preference(None), Some(Preference::Tie));
    }
    assert_eq!(judgelm::parse_pair("inf 9"), Some([f64::INFINITY, 9.0]));
    // SOS factors: only the first occurrence counts; a later correction is ignored.
    let t = "Correctness: ((A>B)) — on reflection, Correctness: ((B>A))";
    assert_eq!(
        sos::extract_factor(t, Factor::Correctness, FactorRegex::Sos2024),
        "A>B"
    );
}
