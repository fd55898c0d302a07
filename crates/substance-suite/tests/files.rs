//! The suite file format: parsing, error locations, round trips, and fuzzing (arbitrary and mutated
//! files give `Ok` or a typed error naming the file, never a panic).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::json;
use substance_core::{
    FewShotSpec, GenerationSpec, Instruction, Item, OutputType, PromptSpec, Suite, SuiteSpec,
};
use substance_suite::{
    SuiteError, load_suite_from_parts, parse_items_jsonl, parse_suite_toml, render_items_jsonl,
    render_suite_toml,
};

const TOML: &str = r#"format = 1
name = "tiny"
version = "1.0.0"
description = "A tiny suite."
output_type = "multiple_choice"
scorers = ["acc", "acc_norm"]
data = "items.jsonl"
fewshot_data = "fewshot.jsonl"

[prompt]
template = "Question: {input}\nAnswer:"

[fewshot]
n = 1
"#;

const ITEMS: &str = r#"{"id": "a", "input": "2+2?", "choices": ["4", "5"], "gold": [0]}
{"id": "b", "input": "3+3?", "choices": ["6", "7"], "gold": [0], "group": "math", "meta": {"k": "v"}}
"#;

const FEWSHOT: &str = r#"{"id": "f", "input": "1+1?", "choices": ["2", "3"], "gold": [0]}
"#;

#[test]
fn loads_a_valid_suite() {
    let s = load_suite_from_parts(TOML, ITEMS, Some(FEWSHOT), "suites/tiny").unwrap();
    assert_eq!(s.items.len(), 2);
    assert_eq!(s.fewshot_pool.len(), 1);
    assert_eq!(s.spec.prompt.target_delimiter, " ");
    let f = parse_suite_toml(TOML, "suite.toml").unwrap();
    assert_eq!(f.data.as_deref(), Some("items.jsonl"));
    assert_eq!(f.fewshot_data.as_deref(), Some("fewshot.jsonl"));
    assert!(f.source.is_none());
}

fn err_toml(text: &str) -> SuiteError {
    parse_suite_toml(text, "s/suite.toml").unwrap_err()
}

#[test]
fn toml_errors_name_file_line_and_field() {
    let e = err_toml("format = 1\nname = \n");
    assert!(matches!(e, SuiteError::Syntax { .. }), "{e}");
    assert_eq!(e.file(), Some("s/suite.toml"));
    assert_eq!(e.line(), Some(2), "{e}");

    let e = err_toml(&TOML.replace("template =", "templat ="));
    assert_eq!(e.field(), Some("prompt.templat"), "{e}");
    assert_eq!(e.line(), Some(11), "{e}");
    assert!(
        e.to_string()
            .starts_with("s/suite.toml:11: field `prompt.templat`"),
        "{e}"
    );

    let e = err_toml(&TOML.replace("n = 1", "n = \"one\""));
    assert_eq!(e.field(), Some("fewshot.n"), "{e}");
    assert_eq!(e.line(), Some(14), "{e}");

    let e = err_toml(&TOML.replace("scorers = [\"acc\", \"acc_norm\"]\n", ""));
    assert_eq!(e.field(), Some("scorers"), "{e}");

    let e = err_toml(&TOML.replace("scorers = [\"acc\", \"acc_norm\"]", "scorers = []"));
    assert_eq!(e.field(), Some("scorers"), "{e}");
    assert_eq!(e.line(), Some(6), "{e}");

    let e = err_toml(&TOML.replace("name = \"tiny\"", "name = \"Bad Name\""));
    assert_eq!(e.field(), Some("name"), "{e}");
    assert_eq!(e.line(), Some(2), "{e}");

    let e = err_toml(&TOML.replace("output_type = \"multiple_choice\"", "output_type = \"mc\""));
    assert_eq!(e.field(), Some("output_type"), "{e}");
    assert_eq!(e.line(), Some(5), "{e}");

    let e = err_toml(&TOML.replace("data = \"items.jsonl\"\n", ""));
    assert_eq!(e.field(), Some("data"), "{e}");

    let e = err_toml(&format!(
        "{TOML}\n[source]\nformat = \"mmlu\"\npath = \"x.csv\"\n"
    ));
    assert!(e.to_string().contains("exclusive"), "{e}");

    let e = err_toml(
        "format = 1\nname = \"x\"\nversion = \"1\"\noutput_type = \"generate\"\nscorers = [\"exact_match\"]\n[source]\nformat = \"nope\"\npath = \"x\"\n",
    );
    assert_eq!(e.field(), Some("source.format"), "{e}");

    let e = err_toml(
        "format = 1\nname = \"x\"\nversion = \"1\"\noutput_type = \"generate\"\nscorers = [\"exact_match\"]\n[source]\nformat = \"gsm8k\"\npath = \"x\"\nextra = 1\n",
    );
    assert_eq!(e.field(), Some("source.extra"), "{e}");
    assert_eq!(e.line(), Some(9), "{e}");

    let e = err_toml(&TOML.replace("data = \"items.jsonl\"", "data = 3"));
    assert_eq!(e.field(), Some("data"), "{e}");
    assert_eq!(e.line(), Some(7), "{e}");

    let e = err_toml(&TOML.replace("format = 1", "format = 2"));
    assert_eq!(e.field(), Some("format"), "{e}");
}

#[test]
fn jsonl_errors_name_file_line_and_field() {
    let e = parse_items_jsonl(
        "{\"id\":\"a\",\"input\":\"x\"}\n\n{\"id\":\"b\",\"input\":\"y\",\"gold\":[0,\"1\"]}\n",
        "items.jsonl",
    )
    .unwrap_err();
    assert_eq!(e.file(), Some("items.jsonl"));
    assert_eq!(e.line(), Some(3), "{e}");
    assert_eq!(e.field(), Some("gold[1]"), "{e}");

    let e = parse_items_jsonl("{\"id\":\"a\"}\n", "items.jsonl").unwrap_err();
    assert_eq!(e.field(), Some("input"), "{e}");
    assert_eq!(e.line(), Some(1));

    let e =
        parse_items_jsonl("{\"id\":\"a\",\"input\":\"x\",\"colour\":1}\n", "i.jsonl").unwrap_err();
    assert_eq!(e.field(), Some("colour"), "{e}");

    let e = parse_items_jsonl("{\"id\":\"a\",\"input\":\"x\"}\n{\"id\":", "i.jsonl").unwrap_err();
    assert!(matches!(e, SuiteError::Syntax { line: Some(2), .. }), "{e}");

    let e = parse_items_jsonl("{\"id\":\"a\",\"input\":\"x\"} {}\n", "i.jsonl").unwrap_err();
    assert!(matches!(e, SuiteError::Syntax { line: Some(1), .. }), "{e}");

    let e = parse_items_jsonl(
        "{\"id\":\"a\",\"input\":\"x\",\"meta\":{\"k\":[1,{\"z\":}]}}\n",
        "i.jsonl",
    )
    .unwrap_err();
    assert_eq!(e.line(), Some(1), "{e}");

    // CRLF line endings and a BOM are accepted.
    let items =
        parse_items_jsonl("\u{feff}{\"id\":\"a\",\"input\":\"x\"}\r\n\r\n", "i.jsonl").unwrap();
    assert_eq!(items.len(), 1);
}

#[test]
fn suite_level_errors_name_the_line_of_the_item() {
    let bad_gold = ITEMS.replace("\"gold\": [0], \"group\"", "\"gold\": [5], \"group\"");
    let e = load_suite_from_parts(TOML, &bad_gold, Some(FEWSHOT), "suites/tiny").unwrap_err();
    assert_eq!(e.file(), Some("suites/tiny/items.jsonl"));
    assert_eq!(e.line(), Some(2), "{e}");
    assert_eq!(e.field(), Some("gold"), "{e}");

    let dup = ITEMS.replace("\"id\": \"b\"", "\"id\": \"a\"");
    let e = load_suite_from_parts(TOML, &dup, Some(FEWSHOT), "suites/tiny").unwrap_err();
    assert_eq!(e.line(), Some(2), "{e}");
    assert!(
        e.to_string()
            .contains("duplicate item id `a` (first on line 1)"),
        "{e}"
    );

    let bad_pool = FEWSHOT.replace("\"gold\": [0]", "\"gold\": []");
    let e = load_suite_from_parts(TOML, ITEMS, Some(&bad_pool), "suites/tiny").unwrap_err();
    assert_eq!(e.file(), Some("suites/tiny/fewshot.jsonl"), "{e}");
    assert_eq!(e.line(), Some(1));

    let e = load_suite_from_parts(TOML, ITEMS, None, "suites/tiny").unwrap_err();
    assert_eq!(e.field(), Some("fewshot_data"), "{e}");
    let no_pool = TOML.replace("fewshot_data = \"fewshot.jsonl\"\n", "");
    let e = load_suite_from_parts(&no_pool, ITEMS, Some(FEWSHOT), "suites/tiny").unwrap_err();
    assert_eq!(e.field(), Some("fewshot_data"), "{e}");
    // n = 1 with an empty pool is caught by Suite::validate.
    let e = load_suite_from_parts(&no_pool, ITEMS, None, "suites/tiny").unwrap_err();
    assert_eq!(e.field(), Some("fewshot.n"), "{e}");
}

#[test]
fn source_suites_run_the_importer() {
    let toml = "format = 1\nname = \"mini-gsm\"\nversion = \"2\"\noutput_type = \"generate\"\nscorers = [\"exact_match_gsm8k\"]\n[prompt]\ntemplate = \"Q: {input}\\nA:\"\n[source]\nformat = \"gsm8k\"\npath = \"test.jsonl\"\n";
    let data = "{\"question\": \"1+1?\", \"answer\": \"1+1=2\\n#### 2\"}\n";
    let s = load_suite_from_parts(toml, data, None, "suites/mini").unwrap();
    assert_eq!(s.spec.name, "mini-gsm");
    assert_eq!(s.spec.prompt.template, "Q: {input}\nA:");
    assert_eq!(s.items[0].target.as_deref(), Some("2"));
    let e = load_suite_from_parts(toml, "{\"question\": 1}\n", None, "suites/mini").unwrap_err();
    assert_eq!(e.file(), Some("suites/mini/test.jsonl"), "{e}");
    assert_eq!(e.field(), Some("question"), "{e}");
}

fn sample_suite() -> Suite {
    let mut meta = BTreeMap::new();
    meta.insert("subject".to_owned(), json!("abstract algebra"));
    meta.insert("nested".to_owned(), json!({"a": [1, 2.5, null]}));
    Suite {
        spec: SuiteSpec {
            format: 1,
            name: "round-trip".into(),
            version: "1".into(),
            description: "Quotes \" and \\ and\nnewlines.".into(),
            output_type: OutputType::MultipleChoice,
            prompt: PromptSpec {
                template: "{input}\nAnswer:".into(),
                description: "About {subject}.\n\n".into(),
                target_delimiter: " ".into(),
                fewshot_delimiter: "\n\n".into(),
                chat: false,
            },
            fewshot: FewShotSpec {
                n: 1,
                same_group: true,
            },
            generation: GenerationSpec {
                max_tokens: 12,
                stop: vec!["\n\n".into()],
                temperature: 0.5,
            },
            scorers: vec!["acc".into()],
        },
        items: vec![Item {
            id: "q".into(),
            input: "Q?".into(),
            choices: vec!["a".into(), "b".into()],
            gold: vec![1],
            target: None,
            group: Some("g".into()),
            instructions: vec![Instruction {
                id: "punctuation:no_comma".into(),
                kwargs: json!({}),
            }],
            meta,
        }],
        fewshot_pool: vec![Item {
            id: "f".into(),
            input: "F?".into(),
            choices: vec!["a".into(), "b".into()],
            gold: vec![0],
            target: None,
            group: Some("g".into()),
            instructions: vec![],
            meta: BTreeMap::from([("subject".to_owned(), json!("x"))]),
        }],
    }
}

#[test]
fn render_then_load_round_trips() {
    let s = sample_suite();
    let toml = render_suite_toml(&s).unwrap();
    let items = render_items_jsonl(&s.items).unwrap();
    let pool = render_items_jsonl(&s.fewshot_pool).unwrap();
    let back = load_suite_from_parts(&toml, &items, Some(&pool), "rt").unwrap();
    assert_eq!(back, s);
    assert_eq!(back.sha256().unwrap(), s.sha256().unwrap());
}

#[cfg(feature = "fs")]
#[test]
fn write_then_load_dir_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suites").join("rt");
    let s = sample_suite();
    substance_suite::write_suite_dir(&s, &path).unwrap();
    assert!(path.join("fewshot.jsonl").is_file());
    assert_eq!(substance_suite::load_suite_dir(&path).unwrap(), s);
    // Rewriting without a pool removes the stale pool file.
    let mut s2 = s.clone();
    s2.fewshot_pool.clear();
    s2.spec.fewshot.n = 0;
    substance_suite::write_suite_dir(&s2, &path).unwrap();
    assert!(!path.join("fewshot.jsonl").exists());
    assert_eq!(substance_suite::load_suite_dir(&path).unwrap(), s2);
    let e = substance_suite::load_suite_dir(&dir.path().join("missing")).unwrap_err();
    assert!(matches!(e, SuiteError::Io { .. }), "{e}");
    assert!(e.file().unwrap_or("").ends_with("suite.toml"));
}

/// The repository's own sample suites (when present) load and every prompt builds.
#[cfg(feature = "fs")]
#[test]
fn repository_sample_suites_load() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../suites");
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!("SKIP: no suites/ folder at {}", root.display());
        return;
    };
    let mut n = 0;
    for e in entries.flatten() {
        if !e.path().join("suite.toml").is_file() {
            continue;
        }
        let s = substance_suite::load_suite_dir(&e.path())
            .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
        for i in 0..s.items.len() {
            substance_suite::build_prompt(&s, i)
                .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
        }
        n += 1;
    }
    eprintln!("loaded {n} sample suites from {}", root.display());
}

fn check_error(e: &SuiteError, files: &[&str]) -> Result<(), TestCaseError> {
    let f = e.file().unwrap_or("");
    prop_assert!(files.contains(&f), "error names no input file: {e}");
    prop_assert!(
        e.to_string().starts_with(f),
        "message does not start with the file: {e}"
    );
    Ok(())
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Replace(usize, u8),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let byte = prop_oneof![
        Just(b'{'),
        Just(b'}'),
        Just(b'"'),
        Just(b'\n'),
        Just(b'['),
        Just(b']'),
        Just(b','),
        Just(b'='),
        Just(b':'),
        Just(b'\\'),
        Just(0xff),
        any::<u8>(),
    ];
    let edit = prop_oneof![
        (any::<usize>(), 1usize..8).prop_map(|(a, n)| Edit::Delete(a, n)),
        (
            any::<usize>(),
            proptest::collection::vec(byte.clone(), 1..4)
        )
            .prop_map(|(a, b)| Edit::Insert(a, b)),
        (any::<usize>(), byte).prop_map(|(a, b)| Edit::Replace(a, b)),
    ];
    proptest::collection::vec(edit, 1..4)
}

fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        let len = b.len().max(1);
        match e {
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(b.len());
                if at < end {
                    b.drain(at..end);
                }
            }
            Edit::Insert(at, bytes) => {
                let at = at % (b.len() + 1);
                b.splice(at..at, bytes.iter().copied());
            }
            Edit::Replace(at, byte) => {
                if !b.is_empty() {
                    let at = at % b.len();
                    b[at] = *byte;
                }
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Err(e) = parse_suite_toml(&text, "f.toml") { check_error(&e, &["f.toml"])?; }
        if let Err(e) = parse_items_jsonl(&text, "f.jsonl") { check_error(&e, &["f.jsonl"])?; }
        let lossy = String::from_utf8_lossy(&bytes);
        if let Err(e) = parse_items_jsonl(&lossy, "f.jsonl") { check_error(&e, &["f.jsonl"])?; }
        if let Err(e) = load_suite_from_parts(&lossy, &text, None, "d") {
            check_error(&e, &["d/suite.toml", "d/items.jsonl", "d/fewshot.jsonl"])?;
        }
    }

    #[test]
    fn mutated_files_give_ok_or_a_located_error(
        toml_edits in edits(), items_edits in edits(), pool_edits in edits(), which in 0u8..3,
    ) {
        let (t, i, p) = match which {
            0 => (mutate(TOML, &toml_edits), ITEMS.to_owned(), FEWSHOT.to_owned()),
            1 => (TOML.to_owned(), mutate(ITEMS, &items_edits), FEWSHOT.to_owned()),
            _ => (TOML.to_owned(), ITEMS.to_owned(), mutate(FEWSHOT, &pool_edits)),
        };
        match load_suite_from_parts(&t, &i, Some(&p), "s") {
            Ok(suite) => {
                // Whatever loaded must be buildable or fail with a typed prompt error.
                for k in 0..suite.items.len() { let _ = substance_suite::build_prompt(&suite, k); }
            }
            Err(e) => {
                check_error(&e, &["s/suite.toml", "s/items.jsonl", "s/fewshot.jsonl"])?;
                if which == 1 && matches!(e, SuiteError::Syntax { .. } | SuiteError::Field { .. }) {
                    prop_assert!(e.line().is_some(), "JSONL error without a line: {e}");
                }
            }
        }
    }

    #[test]
    fn arbitrary_strings_round_trip(
        input in "\\PC{0,40}", desc in "\\PC{0,40}", stop in "\\PC{0,10}", meta_val in "\\PC{0,20}",
        delim in "[ \\n\\t]{0,3}",
    ) {
        let mut s = sample_suite();
        s.items[0].input = input;
        s.spec.description = desc;
        s.spec.generation.stop = vec![stop];
        s.spec.prompt.target_delimiter = delim;
        s.items[0].meta.insert("free".into(), json!(meta_val));
        let toml = render_suite_toml(&s).unwrap();
        let items = render_items_jsonl(&s.items).unwrap();
        let pool = render_items_jsonl(&s.fewshot_pool).unwrap();
        let back = load_suite_from_parts(&toml, &items, Some(&pool), "rt").unwrap();
        prop_assert_eq!(back, s);
    }

    #[test]
    fn templates_never_panic(tpl in "[{}a-z\\\\ ]{0,30}") {
        let mut s = sample_suite();
        s.spec.prompt.template = tpl;
        let _ = substance_suite::build_prompt(&s, 0);
        let _ = substance_suite::build_requests(&s, 0);
    }
}
