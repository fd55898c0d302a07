//! Per-check edge cases from `tests/data/unit_cases.json` (original text). Each row gives an
//! instruction id, its kwargs, a response and the expected strict verdict. The expectations were
//! cross-checked against the upstream Python checker (nltk 3.8.1, langdetect seeded with 0),
//! except rows marked `deviation`, where this port deliberately differs (the reason is given).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use serde::Deserialize;
use serde_json::Value;
use substance_core::Instruction;
use substance_ifeval::{Check, INSTRUCTION_IDS, check_response};

#[derive(Deserialize)]
struct Case {
    id: String,
    kwargs: Value,
    response: String,
    expected_strict: bool,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    deviation: Option<String>,
}

#[test]
fn unit_case_table() {
    let cases: Vec<Case> =
        serde_json::from_str(include_str!("data/unit_cases.json")).expect("unit_cases.json");
    let mut failures = Vec::new();
    let mut covered = std::collections::BTreeSet::new();
    for (i, c) in cases.iter().enumerate() {
        covered.insert(c.id.clone());
        let ins = [Instruction {
            id: c.id.clone(),
            kwargs: c.kwargs.clone(),
        }];
        let v = check_response("", &ins, &c.response)
            .unwrap_or_else(|e| panic!("case {i} ({}): {e}", c.id));
        // Loose is never stricter than strict.
        assert!(!v.strict[0] || v.loose[0], "case {i}");
        if v.strict[0] != c.expected_strict {
            failures.push(format!(
                "case {i} {} {:?} on {:?}: expected {}, got {} ({})",
                c.id,
                c.kwargs,
                c.response,
                c.expected_strict,
                v.strict[0],
                c.note.as_deref().or(c.deviation.as_deref()).unwrap_or("")
            ));
        }
        // The typed check round-trips through serde with its id.
        let check = Check::from_kwargs(0, &c.id, &c.kwargs).expect("parse");
        assert_eq!(check.id(), c.id);
        let json = serde_json::to_value(&check).expect("serialise");
        assert_eq!(json["id"].as_str(), Some(c.id.as_str()));
        let back: Check = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, check);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        covered.len(),
        INSTRUCTION_IDS.len(),
        "every instruction id has cases"
    );
}

fn one(id: &str, kwargs: Value) -> Result<Check, substance_ifeval::IfevalError> {
    Check::from_kwargs(3, id, &kwargs)
}

#[test]
fn kwarg_errors_are_typed_and_name_index_and_field() {
    use serde_json::json;
    use substance_ifeval::IfevalError as E;
    assert!(matches!(
        one("keywords:nope", json!({})),
        Err(E::UnknownInstruction { index: 3, .. })
    ));
    assert!(matches!(
        one("keywords:frequency", json!({"keyword": "a", "relation": "at least"})),
        Err(E::MissingKwarg { index: 3, ref field, .. }) if field == "frequency"
    ));
    assert!(matches!(
        one("keywords:frequency", json!({"keyword": "a", "frequency": "3", "relation": "at least"})),
        Err(E::InvalidKwarg { ref field, .. }) if field == "frequency"
    ));
    assert!(matches!(
        one("keywords:frequency", json!({"keyword": "a", "frequency": 3, "relation": "at most"})),
        Err(E::InvalidKwarg { ref field, .. }) if field == "relation"
    ));
    assert!(matches!(
        one("punctuation:no_comma", json!({"extra": 1})),
        Err(E::UnexpectedKwarg { ref field, .. }) if field == "extra"
    ));
    assert!(matches!(
        one("keywords:existence", json!({"keywords": ["ok", 5]})),
        Err(E::InvalidKwarg { ref field, .. }) if field == "keywords[1]"
    ));
    assert!(matches!(
        one("keywords:existence", json!({"keywords": ["("]})),
        Err(E::InvalidKwarg { ref field, .. }) if field == "keywords[0]"
    ));
    assert!(matches!(
        one("length_constraints:nth_paragraph_first_word",
            json!({"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "x"})),
        Err(E::InvalidKwarg { ref field, .. }) if field == "nth_paragraph"
    ));
    assert!(matches!(
        one("language:response_language", json!({"language": "xx"})),
        Err(E::InvalidKwarg { ref field, .. }) if field == "language"
    ));
    assert!(matches!(
        one("punctuation:no_comma", json!([1])),
        Err(E::KwargsNotObject { .. })
    ));
    // Null-valued kwargs are dropped first (the HF copy of IFEval carries every key, mostly null).
    let c = one(
        "length_constraints:number_words",
        json!({"num_words": 10, "relation": "less than", "keywords": null, "language": null}),
    )
    .expect("nulls dropped");
    assert_eq!(c.id(), "length_constraints:number_words");
    assert!(one("punctuation:no_comma", Value::Null).is_ok());
    // The error message names the instruction and the field.
    let msg = one(
        "keywords:frequency",
        json!({"keyword": "a", "frequency": -1, "relation": "at least"}),
    )
    .expect_err("negative")
    .to_string();
    assert!(
        msg.contains("instruction 3") && msg.contains("frequency"),
        "{msg}"
    );
}
