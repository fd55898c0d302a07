//! Malformed input to every importer: a typed error naming the file, the line and the field; arbitrary
//! bytes never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use substance_suite::import::{ImportOptions, importer_names};
use substance_suite::{AuxFile, SuiteError, import};

fn err(format: &str, text: &str) -> SuiteError {
    import(
        format,
        text.as_bytes(),
        "in/file.x",
        &ImportOptions::default(),
    )
    .expect_err("malformed input was accepted")
}

#[track_caller]
fn located(e: &SuiteError, line: Option<usize>, field: Option<&str>) {
    assert_eq!(e.file(), Some("in/file.x"), "{e}");
    assert_eq!(e.line(), line, "{e}");
    assert_eq!(e.field(), field, "{e}");
    assert!(e.to_string().starts_with("in/file.x"), "{e}");
}

const MMLU_HEAD: &str = "question,choice0,choice1,choice2,choice3,answer\n";

#[test]
fn mmlu() {
    let e = err(
        "mmlu",
        "question,choice0,choice1,choice2,answer\nq,a,b,c,1\n",
    );
    located(&e, Some(1), Some("choice3"));
    let e = err("mmlu", &format!("{MMLU_HEAD}q,a,b,c,d,1\nq2,a,b,c,d,E\n"));
    located(&e, Some(3), Some("answer"));
    let e = err("mmlu", &format!("{MMLU_HEAD}q,a,b,c,d,1\nq2,a,b\n"));
    assert!(matches!(e, SuiteError::Syntax { line: Some(3), .. }), "{e}");
    let e = err("mmlu", &format!("{MMLU_HEAD}\"\",a,b,c,d,1\n"));
    located(&e, Some(2), Some("question"));
    let e = import(
        "mmlu",
        format!("{MMLU_HEAD}q,a,b,c,d,1\n").as_bytes(),
        "in/x_test.csv",
        &ImportOptions {
            fewshot: Some(AuxFile {
                origin: "in/x_dev.csv".into(),
                bytes: format!("{MMLU_HEAD}q,a,b,c,d,9\n").into_bytes(),
            }),
            ..ImportOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.file(), Some("in/x_dev.csv"), "{e}");
    assert_eq!(e.field(), Some("answer"));
    let e = import(
        "mmlu",
        b"question,choice0\n\xff\n",
        "in/file.x",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, SuiteError::Syntax { line: Some(2), .. }), "{e}");
}

#[test]
fn llm_foundry_family() {
    for f in ["arc", "piqa", "boolq", "llm-foundry"] {
        let e = err(
            f,
            "{\"query\": \"q\", \"choices\": [\"a\", \"b\"], \"gold\": 1}\n{\"query\": \"q\", \"choices\": [\"a\"], \"gold\": 3}\n",
        );
        located(&e, Some(2), Some("gold"));
        let e = err(f, "{\"choices\": [\"a\", \"b\"], \"gold\": 1}\n");
        located(&e, Some(1), Some("query"));
        let e = err(
            f,
            "{\"query\": \"q\", \"choices\": [\"a\", 2], \"gold\": 1}\n",
        );
        located(&e, Some(1), Some("choices[1]"));
        let e = err(f, "\n\n{\"query\": \n");
        assert!(matches!(e, SuiteError::Syntax { line: Some(3), .. }), "{e}");
        // A single-choice item fails suite validation, naming the item.
        let e = err(f, "{\"query\": \"q\", \"choices\": [\"a\"], \"gold\": 0}\n");
        assert!(matches!(e, SuiteError::Invalid { .. }), "{e}");
        assert_eq!(e.field(), Some("choices"));
    }
    let e = err(
        "winogrande",
        "{\"context_options\": [\"a\", \"b\"], \"continuation\": \"c\", \"gold\": 2}\n",
    );
    located(&e, Some(1), Some("gold"));
    let e = err(
        "winogrande",
        "{\"context_options\": [\"a\", \"b\"], \"gold\": 0}\n",
    );
    located(&e, Some(1), Some("continuation"));
}

#[test]
fn hellaswag() {
    let ok = "A: b. c\n1\ne0\ne1\ne2\ne3\n";
    assert!(import("hellaswag", ok.as_bytes(), "h", &ImportOptions::default()).is_ok());
    let e = err("hellaswag", &format!("{ok}extra\n"));
    assert!(matches!(e, SuiteError::Syntax { line: Some(7), .. }), "{e}");
    let e = err("hellaswag", &format!("{ok}A: b\nx\ne0\ne1\ne2\ne3\n"));
    located(&e, Some(8), Some("label"));
    let e = err("hellaswag", "A: b\n4\ne0\ne1\ne2\ne3\n");
    located(&e, Some(2), Some("label"));
}

#[test]
fn truthfulqa() {
    let head = "Type,Category,Question,Best Answer,Correct Answers,Incorrect Answers,Source\n";
    let e = err("truthfulqa-mc1", "Question,Best Answer\nq,a\n");
    located(&e, Some(1), Some("Correct Answers"));
    let e = err("truthfulqa-mc2", &format!("{head}A,B,q,a,a; b,,s\n"));
    located(&e, Some(2), Some("Incorrect Answers"));
    let e = err("truthfulqa-mc2", &format!("{head}A,B,q,a,;,x,s\n"));
    located(&e, Some(2), Some("Correct Answers"));
    let e = err("truthfulqa-mc1", &format!("{head}A,B,q,,a,x,s\n"));
    located(&e, Some(2), Some("Best Answer"));
}

#[test]
fn gsm8k() {
    let e = err(
        "gsm8k",
        "{\"question\": \"q\", \"answer\": \"a\\n#### 3\"}\n{\"question\": \"q\", \"answer\": \"no final\"}\n",
    );
    located(&e, Some(2), Some("answer"));
    let e = err("gsm8k", "{\"question\": \"q\"}\n");
    located(&e, Some(1), Some("answer"));
}

#[test]
fn bbh() {
    let e = err(
        "bbh",
        "{\"examples\": [{\"input\": \"a\", \"target\": \"b\"},\n {\"input\": \"c\", \"target\": 3}]}",
    );
    located(&e, Some(2), Some("examples[1].target"));
    let e = err("bbh", "{\"canary\": \"x\"}");
    located(&e, Some(1), Some("examples"));
    let e = err("bbh", "{\"examples\": [");
    assert!(matches!(e, SuiteError::Syntax { line: Some(1), .. }), "{e}");
    let e = import(
        "bbh",
        b"{\"examples\": []}",
        "t.json",
        &ImportOptions {
            fewshot: Some(AuxFile {
                origin: "cot.txt".into(),
                bytes: b"canary\n-----\nQ: x\nA: y".to_vec(),
            }),
            ..ImportOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.file(), Some("cot.txt"), "{e}");
}

#[test]
fn ifeval() {
    let e = err(
        "ifeval",
        "{\"key\": 1, \"prompt\": \"p\", \"instruction_id_list\": [\"a:b\", \"c:d\"], \"kwargs\": [{}]}\n",
    );
    located(&e, Some(1), Some("kwargs"));
    let e = err(
        "ifeval",
        "{\"key\": 1, \"prompt\": \"p\", \"instruction_id_list\": [\"a:b\"], \"kwargs\": [3]}\n",
    );
    located(&e, Some(1), Some("kwargs[0]"));
    let e = err(
        "ifeval",
        "{\"key\": [1], \"prompt\": \"p\", \"instruction_id_list\": [], \"kwargs\": []}\n",
    );
    located(&e, Some(1), Some("key"));
}

#[test]
fn safety() {
    let e = err("xstest", "id,prompt,type,label\n1,p,t,safe\n2,p,t,maybe\n");
    located(&e, Some(3), Some("label"));
    let e = err("xstest", "id,text,label\n1,p,safe\n");
    located(&e, Some(1), Some("prompt"));
    let e = err("harmbench", "BehaviorID,Category\nx,y\n");
    located(&e, Some(1), Some("Behavior"));
    let e = err("harmbench", "Behavior,ImageFileName\nb,i.png\n");
    located(&e, Some(1), Some("ImageFileName"));
    let e = err("advbench", "target\nt\n");
    located(&e, Some(1), Some("goal"));
    let e = err("advbench", "goal,target\n\"\",t\n");
    located(&e, Some(2), Some("goal"));
    let e = err("strongreject", "category,prompt\nc,p\n");
    located(&e, Some(1), Some("forbidden_prompt"));
    let bbq = |cat: &str, label: usize| {
        format!(
            "{{\"example_id\": 0, \"category\": \"{cat}\", \"context\": \"c\", \"question\": \"q\", \"ans0\": \"a\", \"ans1\": \"b\", \"ans2\": \"c\", \"label\": {label}}}\n"
        )
    };
    assert!(
        import(
            "bbq",
            bbq("Age", 1).as_bytes(),
            "b",
            &ImportOptions::default()
        )
        .is_ok()
    );
    let e = err("bbq", &format!("{}{}", bbq("Age", 1), bbq("Colour", 1)));
    located(&e, Some(2), Some("category"));
    let e = err("bbq", &bbq("Age", 5));
    located(&e, Some(1), Some("label"));
    let e = err("bbq", "{\"example_id\": 0, \"category\": \"Age\"}\n");
    located(&e, Some(1), Some("context"));
}

#[test]
fn judge_question_files() {
    let e = err(
        "mt-bench",
        "{\"question_id\": 1, \"category\": \"x\", \"turns\": []}\n",
    );
    located(&e, Some(1), Some("turns"));
    let e = err("mt-bench", "{\"question_id\": 1, \"turns\": [\"t\"]}\n");
    located(&e, Some(1), Some("category"));
    let e = err("arena-hard", "{\"uid\": \"a\", \"category\": \"c\"}\n");
    located(&e, Some(1), Some("prompt"));
    let e = err("arena-hard", "{\"prompt\": \"p\"}\n");
    located(&e, Some(1), Some("uid"));
    // The old v0.1 layout imports.
    let old = "{\"question_id\": \"q1\", \"category\": \"arena-hard-v0.1\", \"cluster\": \"c\", \"turns\": [{\"content\": \"hello\"}]}\n";
    let s = import(
        "arena-hard",
        old.as_bytes(),
        "q.jsonl",
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (s.items[0].id.as_str(), s.items[0].input.as_str()),
        ("q1", "hello")
    );
    assert_eq!(s.spec.name, "arena-hard-v01");
    // Duplicate ids are caught by validation, naming the id.
    let e = err("arena-hard", &format!("{old}{old}"));
    assert!(e.to_string().contains("duplicate item id `q1`"), "{e}");
}

#[test]
fn options_apply_and_are_validated() {
    let data = b"{\"question\": \"q\", \"answer\": \"#### 1\"}\n";
    let s = import(
        "gsm8k",
        data,
        "g.jsonl",
        &ImportOptions {
            name: Some("my-gsm".into()),
            version: Some("7".into()),
            chat: Some(true),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        (s.spec.name.as_str(), s.spec.version.as_str()),
        ("my-gsm", "7")
    );
    assert!(s.spec.prompt.chat);
    let e = import(
        "gsm8k",
        data,
        "g.jsonl",
        &ImportOptions {
            name: Some("Bad Name".into()),
            ..ImportOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("name"), "{e}");
    let e = import(
        "gsm8k",
        data,
        "g.jsonl",
        &ImportOptions {
            n_fewshot: Some(3),
            ..ImportOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("fewshot.n"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in "\\PC{0,300}") {
        for f in importer_names() {
            for input in [&bytes[..], text.as_bytes()] {
                if let Err(e) = import(f, input, "fuzz.in", &ImportOptions::default()) {
                    prop_assert_eq!(e.file(), Some("fuzz.in"), "{}: {}", f, e);
                }
            }
        }
    }

    #[test]
    fn structured_noise_never_panics(
        rows in proptest::collection::vec(proptest::collection::vec("[a-z0-9 ,\"\\\\;:#{}\\[\\]]{0,12}", 1..7), 0..6),
    ) {
        let csv: String = rows.iter().map(|r| r.join(",") + "\n").collect();
        let header = "question,choice0,choice1,choice2,choice3,answer,prompt,label,goal,Behavior,forbidden_prompt,Question,Best Answer,Correct Answers,Incorrect Answers\n";
        for f in importer_names() {
            for input in [csv.clone(), format!("{header}{csv}")] {
                if let Err(e) = import(f, input.as_bytes(), "noise.in", &ImportOptions::default()) {
                    prop_assert_eq!(e.file(), Some("noise.in"), "{}: {}", f, e);
                }
            }
        }
    }
}

/// The reading policy across importers (issue 11): an input with no records is an error, never a
/// 0-item suite; an empty id where the file has an id column is refused, never replaced by a generated
/// one that could collide with a real id; a repeated id is refused.
#[test]
fn no_records_and_ids_follow_the_reading_policy() {
    for format in importer_names() {
        for empty in ["", "\n", "\u{feff}"] {
            let r = import(
                format,
                empty.as_bytes(),
                "in/file.x",
                &ImportOptions::default(),
            );
            assert!(r.is_err(), "{format} accepted {empty:?}");
        }
    }
    // Header only: no rows.
    for (format, header) in [
        ("mmlu", MMLU_HEAD),
        ("xstest", "id,prompt,type,label\n"),
        ("harmbench", "Behavior,BehaviorID\n"),
        ("advbench", "goal,target\n"),
    ] {
        let e = err(format, header);
        assert!(e.to_string().contains("no items"), "{format}: {e}");
    }
    let e = err("xstest", "id,prompt,type,label\n1,a,t,safe\n,b,t,unsafe\n");
    located(&e, Some(3), Some("id"));
    let e = err("harmbench", "Behavior,BehaviorID\nb1,x\nb2,\n");
    located(&e, Some(3), Some("BehaviorID"));
    let e = err("xstest", "id,prompt,type,label\n1,a,t,safe\n1,b,t,unsafe\n");
    assert!(e.to_string().contains('1'), "{e}");
}
