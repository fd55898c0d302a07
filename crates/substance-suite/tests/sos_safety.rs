//! The SOS fork's safety tasks (the `walledai/*` sets BeaverTailsEval, CDNA, DTToxicity, JailbreakHub,
//! SGXSTest, WildGuardTest; Toxigen; SaladBench; WMDP): every request of the small original fixtures equals the one the fork's task YAML
//! renders with lm-eval's own `apply_template`, and the gold is the fork's
//! (`scripts/sos_safety_reference.py` wrote `fixtures/walledai/reference.json`). Malformed records are
//! typed errors naming the file, the record and the field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::Value;
use substance_suite::build_requests;
use substance_suite::import::{ImportOptions, import};

fn fixture(file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/walledai")
            .join(file),
    )
    .unwrap()
}

#[test]
fn requests_and_golds_equal_the_fork() {
    let reference: Value =
        serde_json::from_str(include_str!("fixtures/walledai/reference.json")).unwrap();
    let mut n = 0;
    for (format, want) in reference.as_object().unwrap() {
        let file = want["file"].as_str().unwrap();
        let suite = import(format, &fixture(file), file, &ImportOptions::default()).unwrap();
        // WMDP's suite is named after its subset, as lm-eval's task (`wmdp_chem`)
        assert!(suite.spec.name.starts_with(format.as_str()), "{format}");
        let items = want["items"].as_array().unwrap();
        assert_eq!(suite.items.len(), items.len(), "{format}");
        for (i, w) in items.iter().enumerate() {
            let what = format!("{format} item {i}");
            // one gold index, or several (SaladBench)
            let gold: Vec<usize> = match &w["gold"] {
                Value::Array(g) => g.iter().map(|x| x.as_u64().unwrap() as usize).collect(),
                g => vec![g.as_u64().unwrap() as usize],
            };
            assert_eq!(suite.items[i].gold, gold, "{what}");
            let reqs = build_requests(&suite, i).unwrap();
            assert_eq!(reqs[0].context, w["context"].as_str().unwrap(), "{what}");
            let conts: Vec<&str> = reqs.iter().map(|r| r.continuation.as_str()).collect();
            let want_conts: Vec<&str> = w["continuations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(conts, want_conts, "{what}");
            n += 1;
        }
    }
    assert_eq!(n, 23);
}

#[test]
fn a_boolean_target_is_the_choice_index_as_the_fork_reads_it() {
    // toxic = true → gold 1 = "False": the fork's process_results takes a bool as an index
    let s = import(
        "dttoxicity",
        &fixture("dttoxicity.json"),
        "dttoxicity.json",
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(s.items[1].choices, ["True", "False"]);
    assert_eq!(s.items[1].gold, [1]);
    assert!(
        s.spec
            .description
            .contains("toxic = true scores the choice `False`")
    );
    // groups from `category`
    let s = import(
        "sgxstest",
        &fixture("sgxstest.jsonl"),
        "sgxstest.jsonl",
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(s.items[0].group.as_deref(), Some("homonyms"));
}

#[test]
fn malformed_records_name_file_record_and_field() {
    let cases: [(&str, &str, &str, &str); 12] = [
        (
            "saladbench",
            "{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answers\": [2]}\n",
            "line 1",
            "answers",
        ),
        (
            "saladbench",
            "{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answers\": []}\n",
            "line 1",
            "answers",
        ),
        (
            "toxigen",
            "{\"text\": \"a\", \"toxicity_ai\": \"high\", \"toxicity_human\": 1}\n",
            "line 1",
            "toxicity_ai",
        ),
        (
            "wmdp",
            "[{\"question\": \"q\", \"choices\": [\"a\", \"b\", \"c\"], \"answer\": 0}]",
            "record 1",
            "choices",
        ),
        (
            "wmdp",
            "[{\"question\": \"q\", \"choices\": [\"a\", \"b\", \"c\", \"d\"], \"answer\": 4}]",
            "record 1",
            "answer",
        ),
        (
            "sgxstest",
            "{\"prompt\": \"a\", \"label\": \"safe\"}\n{\"prompt\": \"b\", \"label\": \"maybe\"}\n",
            "line 2",
            "label",
        ),
        ("wildguardtest", "{\"prompt\": \"a\"}\n", "line 1", "label"),
        (
            "dttoxicity",
            "[{\"prompt\": \"a\", \"toxic\": 2}]",
            "record 1",
            "toxic",
        ),
        (
            "dttoxicity",
            "[{\"prompt\": \"a\", \"toxic\": null}]",
            "record 1",
            "toxic",
        ),
        (
            "jailbreakhub",
            "{\"prompt\": \"a\", \"jailbreak\": \"yes\"}\n",
            "line 1",
            "jailbreak",
        ),
        ("cdna", "{\"text\": \"a\"}\n", "line 1", "prompt"),
        ("beavertails", "{\"prompt\": 3}\n", "line 1", "prompt"),
    ];
    for (format, text, place, field) in cases {
        // WMDP reads its subset from the file name
        let origin = if format == "wmdp" {
            "wmdp-bio.json"
        } else {
            "in.jsonl"
        };
        let e = import(format, text.as_bytes(), origin, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(origin) && e.contains(field), "{format}: {e}");
        let number = place.split(' ').nth(1).unwrap();
        assert!(e.contains(number), "{format}: {e} (want {place})");
    }
    // no records at all is an error, never an empty suite
    assert!(import("cdna", b"[]", "in.json", &ImportOptions::default()).is_err());
    // a WMDP file that does not name its subset
    let e = import(
        "wmdp",
        &fixture("wmdp-chem.json"),
        "questions.json",
        &ImportOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("questions.json") && e.contains("wmdp-bio"),
        "{e}"
    );
}
