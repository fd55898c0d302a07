//! Property tests: arbitrary kwargs and arbitrary responses give `Ok` or a typed error, never a
//! panic; verdicts are deterministic and loose is never stricter than strict.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use substance_core::Instruction;
use substance_ifeval::{INSTRUCTION_IDS, check_response, join_responses, parse_inputs, text};

const FIELDS: [&str; 24] = [
    "keywords",
    "keyword",
    "frequency",
    "relation",
    "forbidden_words",
    "letter",
    "let_frequency",
    "let_relation",
    "language",
    "num_sentences",
    "num_paragraphs",
    "num_words",
    "nth_paragraph",
    "first_word",
    "num_placeholders",
    "postscript_marker",
    "num_bullets",
    "num_highlights",
    "section_spliter",
    "num_sections",
    "prompt_to_repeat",
    "end_phrase",
    "capital_frequency",
    "capital_relation",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..40).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("less than".to_owned()),
            Just("at least".to_owned()),
            Just("en".to_owned()),
            Just("P.S.".to_owned()),
            Just("SECTION".to_owned()),
            "[a-z]{1,6}",
            ".{0,8}",
            "[(\\[*+?{|\\\\]{1,3}",
        ]
        .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn kwargs() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_value(),
        prop::collection::btree_map(prop::sample::select(FIELDS.to_vec()), json_value(), 0..5)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
    ]
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(INSTRUCTION_IDS.to_vec()).prop_map(str::to_owned),
        1 => "[a-z_:]{0,30}",
    ]
}

fn response() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \\n\\t*#\\-\\[\\]<>\"'.,!?a-zA-Z0-9éÉß]{0,120}",
        "(\\*\\*\\*|\\*{6}|<<t>>|Section 1|P\\.S\\.|My answer is yes\\.|\\n\\n|[A-Z]{2,5}\\. |[a-z]{2,6} ){0,30}",
        "[\\u{0900}-\\u{097F}\\u{0600}-\\u{06FF}\\u{4E00}-\\u{4E80}\\u{3040}-\\u{30FF} ]{0,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_kwargs_never_panic(id in id(), kw in kwargs(), r in response()) {
        let ins = [Instruction { id, kwargs: kw }];
        match check_response("prompt", &ins, &r) {
            Ok(v) => {
                prop_assert_eq!(v.strict.len(), 1);
                prop_assert!(!v.strict[0] || v.loose[0]);
            }
            Err(e) => prop_assert!(e.to_string().starts_with("instruction 0")),
        }
    }

    #[test]
    fn valid_instructions_on_arbitrary_responses(r in response()) {
        let ins: Vec<Instruction> = [
            ("keywords:existence", json!({"keywords": ["the", "a"]})),
            ("keywords:frequency", json!({"keyword": "is", "frequency": 2, "relation": "at least"})),
            ("keywords:forbidden_words", json!({"forbidden_words": ["no", "é"]})),
            ("keywords:letter_frequency", json!({"letter": "e", "let_frequency": 3, "let_relation": "less than"})),
            ("language:response_language", json!({"language": "hi"})),
            ("length_constraints:number_sentences", json!({"num_sentences": 2, "relation": "at least"})),
            ("length_constraints:number_paragraphs", json!({"num_paragraphs": 2})),
            ("length_constraints:number_words", json!({"num_words": 5, "relation": "less than"})),
            ("length_constraints:nth_paragraph_first_word", json!({"num_paragraphs": 2, "nth_paragraph": 1, "first_word": "a"})),
            ("detectable_content:number_placeholders", json!({"num_placeholders": 1})),
            ("detectable_content:postscript", json!({"postscript_marker": "P.P.S"})),
            ("detectable_format:number_bullet_lists", json!({"num_bullets": 1})),
            ("detectable_format:constrained_response", json!({})),
            ("detectable_format:number_highlighted_sections", json!({"num_highlights": 1})),
            ("detectable_format:multiple_sections", json!({"section_spliter": "Section", "num_sections": 1})),
            ("detectable_format:json_format", json!({})),
            ("detectable_format:title", json!({})),
            ("combination:two_responses", json!({})),
            ("combination:repeat_prompt", json!({"prompt_to_repeat": "Say it"})),
            ("startend:end_checker", json!({"end_phrase": "done."})),
            ("change_case:capital_word_frequency", json!({"capital_frequency": 1, "capital_relation": "at least"})),
            ("change_case:english_capital", json!({})),
            ("change_case:english_lowercase", json!({})),
            ("punctuation:no_comma", json!({})),
            ("startend:quotation", json!({})),
        ]
        .into_iter()
        .map(|(id, kwargs)| Instruction { id: id.to_owned(), kwargs })
        .collect();
        let v = check_response("p", &ins, &r).expect("valid instructions parse");
        prop_assert_eq!(v.strict.len(), 25);
        for (s, l) in v.strict.iter().zip(&v.loose) {
            prop_assert!(!*s || *l);
        }
        // Deterministic.
        prop_assert_eq!(check_response("p", &ins, &r).expect("again"), v);
        let _ = text::count_sentences(&r);
        let _ = text::word_tokenize(&r);
    }

    #[test]
    fn arbitrary_jsonl_lines_give_typed_errors(line in any::<String>(), obj in json_value()) {
        let _ = parse_inputs(&line);
        let as_line = serde_json::to_string(&obj).unwrap_or_default();
        if let Err(e) = parse_inputs(&as_line) {
            prop_assert!(e.to_string().starts_with("line 1"));
        }
        let mut m = Map::new();
        m.insert("prompt".into(), obj);
        let _ = substance_ifeval::parse_responses(&Value::Object(m).to_string());
        let _ = join_responses(&[], &[]);
    }
}
