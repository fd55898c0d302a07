//! Request construction: exact strings, assembled by hand from lm-eval's rules (SPEC §6.1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use serde_json::{Value, json};
use substance_core::{
    FewShotSpec, GenerationSpec, Item, Message, OutputType, Prompt, PromptSpec, Suite, SuiteSpec,
};
use substance_suite::import::{ImportOptions, mmlu};
use substance_suite::{LoglikelihoodRequest, SuiteError, build_prompt, build_requests};

fn item(id: &str, input: &str) -> Item {
    Item {
        id: id.into(),
        input: input.into(),
        choices: vec![],
        gold: vec![],
        target: None,
        group: None,
        instructions: vec![],
        meta: BTreeMap::new(),
    }
}

fn spec(output_type: OutputType) -> SuiteSpec {
    SuiteSpec {
        format: 1,
        name: "t".into(),
        version: "1".into(),
        description: String::new(),
        output_type,
        prompt: PromptSpec::default(),
        fewshot: FewShotSpec::default(),
        generation: GenerationSpec::default(),
        scorers: vec!["acc".into()],
    }
}

fn mmlu_csv(rows: &[(&str, [&str; 4], usize)]) -> String {
    let mut s = String::from("question,choice0,choice1,choice2,choice3,answer\n");
    for (q, c, a) in rows {
        s.push_str(&format!(
            "\"{q}\",\"{}\",\"{}\",\"{}\",\"{}\",{a}\n",
            c[0], c[1], c[2], c[3]
        ));
    }
    s
}

#[test]
fn mmlu_five_shot_prompt_is_exact() {
    let dev = mmlu_csv(&[
        ("Find all c in Z_3.", ["0", "1", "2", "3"], 1),
        (
            "Statement 1 | X.",
            ["True, True", "False, False", "True, False", "False, True"],
            1,
        ),
        (
            "Statement 1 | Y.",
            ["True, True", "False, False", "True, False", "False, True"],
            0,
        ),
        (
            "Statement 1 | Z.",
            ["True, True", "False, False", "True, False", "False, True"],
            2,
        ),
        (
            "Find the characteristic of the ring 2Z.",
            ["0", "3", "12", "30"],
            0,
        ),
        (
            "A sixth dev question that must not appear.",
            ["a", "b", "c", "d"],
            3,
        ),
    ]);
    let test = mmlu_csv(&[(
        "  Find the degree of Q(sqrt(2)) over Q.  ",
        ["0", "4", "2", "6"],
        3,
    )]);
    let opts = ImportOptions {
        fewshot: Some(substance_suite::AuxFile {
            origin: "dev/abstract_algebra_dev.csv".into(),
            bytes: dev.into_bytes(),
        }),
        ..ImportOptions::default()
    };
    let suite = mmlu::import(test.as_bytes(), "test/abstract_algebra_test.csv", &opts).unwrap();
    assert_eq!(suite.spec.fewshot.n, 5);
    let expected = "The following are multiple choice questions (with answers) about abstract algebra.\n\n\
Find all c in Z_3.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n\
Statement 1 | X.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer: B\n\n\
Statement 1 | Y.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer: A\n\n\
Statement 1 | Z.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer: C\n\n\
Find the characteristic of the ring 2Z.\nA. 0\nB. 3\nC. 12\nD. 30\nAnswer: A\n\n\
Find the degree of Q(sqrt(2)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:";
    assert_eq!(
        build_prompt(&suite, 0).unwrap(),
        Prompt::LogLikelihood {
            context: expected.into(),
            continuations: vec![" A".into(), " B".into(), " C".into(), " D".into()],
        }
    );
    assert_eq!(suite.items[0].gold, vec![3]);
}

#[test]
fn fewshot_same_group_uses_only_the_items_group() {
    let mut s = Suite {
        spec: spec(OutputType::MultipleChoice),
        items: vec![],
        fewshot_pool: vec![],
    };
    s.spec.fewshot = FewShotSpec {
        n: 1,
        same_group: true,
    };
    s.spec.prompt.template = "{input}:".into();
    for (id, g) in [("x1", "a"), ("y1", "b"), ("y2", "b")] {
        let mut ex = item(id, id);
        ex.choices = vec!["no".into(), "yes".into()];
        ex.gold = vec![1];
        ex.group = Some(g.into());
        s.fewshot_pool.push(ex);
    }
    let mut it = item("q", "Q");
    it.choices = vec!["no".into(), "yes".into()];
    it.gold = vec![0];
    it.group = Some("b".into());
    s.items.push(it.clone());
    let Prompt::LogLikelihood { context, .. } = build_prompt(&s, 0).unwrap() else {
        panic!("not MC")
    };
    assert_eq!(context, "y1: yes\n\nQ:");
    // Group `c` has no examples: a typed error naming fewshot.n.
    s.items[0].group = Some("c".into());
    let e = build_prompt(&s, 0).unwrap_err();
    assert_eq!(e.field(), Some("fewshot.n"), "{e}");
    assert!(e.to_string().contains("group `c`"), "{e}");
    // Without same_group the pool order wins.
    s.spec.fewshot.same_group = false;
    let Prompt::LogLikelihood { context, .. } = build_prompt(&s, 0).unwrap() else {
        panic!("not MC")
    };
    assert_eq!(context, "x1: yes\n\nQ:");
}

#[test]
fn evaluated_item_is_not_its_own_example() {
    let mut s = Suite {
        spec: spec(OutputType::Generate),
        items: vec![],
        fewshot_pool: vec![],
    };
    s.spec.fewshot.n = 1;
    let mut a = item("a", "A?");
    a.target = Some("a".into());
    let mut b = item("b", "B?");
    b.target = Some("b".into());
    s.items = vec![a.clone(), b.clone()];
    s.fewshot_pool = vec![a, b];
    assert_eq!(
        build_prompt(&s, 0).unwrap(),
        Prompt::Completion {
            text: "B? b\n\nA?".into()
        }
    );
    assert_eq!(
        build_prompt(&s, 1).unwrap(),
        Prompt::Completion {
            text: "A? a\n\nB?".into()
        }
    );
}

#[test]
fn trailing_whitespace_moves_to_every_continuation() {
    let mut s = Suite {
        spec: spec(OutputType::MultipleChoice),
        items: vec![],
        fewshot_pool: vec![],
    };
    s.spec.prompt.template = "{input}\nAnswer: \n".into();
    let mut it = item("q", "Q");
    it.choices = vec!["x".into(), "y z".into()];
    it.gold = vec![0];
    s.items.push(it);
    assert_eq!(
        build_prompt(&s, 0).unwrap(),
        Prompt::LogLikelihood {
            context: "Q\nAnswer:".into(),
            continuations: vec![" \n x".into(), " \n y z".into()],
        }
    );
    // Python's isspace counts \x1c..\x1f; an empty target delimiter keeps the moved whitespace only.
    s.spec.prompt.template = "{input}\u{1f}\u{a0}".into();
    s.spec.prompt.target_delimiter = String::new();
    assert_eq!(
        build_prompt(&s, 0).unwrap(),
        Prompt::LogLikelihood {
            context: "Q".into(),
            continuations: vec!["\u{1f}\u{a0}x".into(), "\u{1f}\u{a0}y z".into()],
        }
    );
    assert_eq!(
        build_requests(&s, 0).unwrap()[1],
        LoglikelihoodRequest {
            context: "Q".into(),
            continuation: "\u{1f}\u{a0}y z".into()
        }
    );
}

#[test]
fn generate_completion_and_chat() {
    let mut s = Suite {
        spec: spec(OutputType::Generate),
        items: vec![item("g", "2+2")],
        fewshot_pool: vec![],
    };
    s.spec.prompt.template = "Question: {input}\nAnswer:".into();
    s.spec.prompt.description = "Solve.\n\n".into();
    // Trailing whitespace is left alone for generation.
    s.items[0].input = "2+2 ".into();
    assert_eq!(
        build_prompt(&s, 0).unwrap(),
        Prompt::Completion {
            text: "Solve.\n\nQuestion: 2+2 \nAnswer:".into()
        }
    );
    s.spec.prompt.chat = true;
    assert_eq!(
        build_prompt(&s, 0).unwrap(),
        Prompt::Chat {
            messages: vec![Message {
                role: "user".into(),
                content: "Solve.\n\nQuestion: 2+2 \nAnswer:".into()
            }]
        }
    );
}

#[test]
fn gsm8k_style_fewshot_with_full_solutions() {
    let mut s = Suite {
        spec: spec(OutputType::Generate),
        items: vec![],
        fewshot_pool: vec![],
    };
    s.spec.prompt.template = "Question: {input}\nAnswer:".into();
    s.spec.fewshot.n = 2;
    let mut ex1 = item("f1", "1+1?");
    ex1.target = Some("1+1=2.\n#### 2".into());
    let mut ex2 = item("f2", "Empty target");
    ex2.target = Some(String::new());
    s.fewshot_pool = vec![ex1, ex2];
    let mut it = item("q", "2+2?");
    it.target = Some("4".into());
    s.items.push(it);
    // An empty few-shot target contributes its text only (lm-eval skips both delimiters).
    assert_eq!(
        build_prompt(&s, 0).unwrap(),
        Prompt::Completion {
            text: "Question: 1+1?\nAnswer: 1+1=2.\n#### 2\n\nQuestion: Empty target\nAnswer:Question: 2+2?\nAnswer:".into()
        }
    );
}

#[test]
fn template_placeholders_escapes_and_errors() {
    let mut s = Suite {
        spec: spec(OutputType::Generate),
        items: vec![item("g", "in")],
        fewshot_pool: vec![],
    };
    s.items[0].meta.insert("ctx".into(), json!("C"));
    s.items[0].meta.insert("n".into(), json!(3));
    s.spec.prompt.template = "{{literal}} {ctx}/{input} }}".into();
    assert_eq!(
        build_prompt(&s, 0).unwrap(),
        Prompt::Completion {
            text: "{literal} C/in }".into()
        }
    );
    for (tpl, needle) in [
        ("{missing}", "unknown placeholder `{missing}`"),
        ("{n}", "`meta.n` is not a string"),
        ("{input", "unclosed `{`"),
        ("a } b", "lone `}`"),
        ("{a{b}", "unclosed `{`"),
    ] {
        s.spec.prompt.template = tpl.into();
        let e = build_prompt(&s, 0).unwrap_err();
        assert!(matches!(e, SuiteError::Prompt { .. }), "{e}");
        assert_eq!(e.field(), Some("prompt.template"));
        assert!(e.to_string().contains(needle), "{tpl}: {e}");
        assert!(e.to_string().contains("item `g`"), "{e}");
    }
    s.spec.prompt.template = "{input}".into();
    s.spec.prompt.description = "About {topic}".into();
    let e = build_prompt(&s, 0).unwrap_err();
    assert_eq!(e.field(), Some("prompt.description"), "{e}");
    let e = build_prompt(&s, 7).unwrap_err();
    assert!(matches!(
        e,
        SuiteError::IndexOutOfRange {
            index: 7,
            len: 1,
            ..
        }
    ));
}

#[test]
fn partial_scoring_requests_match_lm_eval() {
    let mut s = Suite {
        spec: spec(OutputType::MultipleChoice),
        items: vec![],
        fewshot_pool: vec![],
    };
    let mk = |id: &str, g: usize, cont: &str| {
        let mut it = item(id, cont);
        it.choices = vec![
            "Sarah was a better surgeon than Maria so Sarah".into(),
            "Sarah was a better surgeon than Maria so Maria".into(),
        ];
        it.gold = vec![g];
        it.meta
            .insert("scoring".into(), Value::String("partial".into()));
        it
    };
    s.items.push(mk("w0", 1, "always got the easier cases."));
    let reqs = build_requests(&s, 0).unwrap();
    assert_eq!(
        reqs,
        vec![
            LoglikelihoodRequest {
                context: "Sarah was a better surgeon than Maria so Sarah".into(),
                continuation: " always got the easier cases.".into()
            },
            LoglikelihoodRequest {
                context: "Sarah was a better surgeon than Maria so Maria".into(),
                continuation: " always got the easier cases.".into()
            },
        ]
    );
    // The prompt carries the same pairs, so a receipt records exactly what was sent.
    assert_eq!(
        build_prompt(&s, 0).unwrap(),
        substance_core::Prompt::LogLikelihoodPairs {
            requests: reqs
                .iter()
                .map(|r| [r.context.clone(), r.continuation.clone()])
                .collect()
        }
    );
    // A partial-scoring few-shot example contributes its gold context + continuation.
    s.spec.fewshot.n = 1;
    s.fewshot_pool
        .push(mk("ex", 0, "always got the harder cases."));
    let reqs = build_requests(&s, 0).unwrap();
    assert_eq!(
        reqs[1].context,
        "Sarah was a better surgeon than Maria so Sarah always got the harder cases.\n\nSarah was a better surgeon than Maria so Maria"
    );
}

#[test]
fn build_requests_equals_build_prompt_for_plain_mc() {
    let mut s = Suite {
        spec: spec(OutputType::MultipleChoice),
        items: vec![],
        fewshot_pool: vec![],
    };
    let mut it = item("q", "Q: ");
    it.choices = vec!["a".into(), "b".into()];
    it.gold = vec![1];
    s.items.push(it);
    let Prompt::LogLikelihood {
        context,
        continuations,
    } = build_prompt(&s, 0).unwrap()
    else {
        panic!("not MC")
    };
    let reqs = build_requests(&s, 0).unwrap();
    for (r, c) in reqs.iter().zip(&continuations) {
        assert_eq!(r.context, context);
        assert_eq!(&r.continuation, c);
    }
    assert_eq!(continuations, vec!["  a", "  b"]);
}
