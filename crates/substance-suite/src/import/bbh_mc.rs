//! BIG-Bench Hard as the Open LLM Leaderboard v2 runs it: lm-eval's `leaderboard_bbh_<task>`
//! (`tasks/leaderboard/bbh_mc` at 74d23a67, the commit SOS-Bench's results name): 3-shot multiple
//! choice over the subtask's own list of answers, log-likelihood of each as `" {choice}"` after
//! `"Q: {input}\nA:"`, the subtask's description first, the three few-shot samples written in the task
//! file, metric `acc_norm`.
//!
//! The harness's prompt strings (descriptions, choice lists, few-shot samples, the item template) are
//! data, shipped in `data/leaderboard_bbh_mc.json` with their source and licence, written from the task
//! files by `scripts/make_bbh_mc_data.py` (later harness versions changed the descriptions, so the
//! commit is pinned). The input is one BBH task file (`{"examples": [{"input", "target"}]}`, as the
//! BBH repository and the `SaylorTwift/bbh` dataset hold it, one subtask per file); the subtask comes
//! from the file name or `--subject`. A target that is not one of the subtask's choices is an error
//! naming the example. The generate variant of BBH stays the `bbh` importer.

use std::sync::OnceLock;

use serde::Deserialize;
use substance_core::{Item, OutputType, Suite};

use super::bbh::TaskFile;
use super::{ImportOptions, base_spec, file_stem, finish, item, parse_json_document};
use crate::SuiteError;

/// The shipped prompt strings (see the module doc).
const DATA: &str = include_str!("../../data/leaderboard_bbh_mc.json");

#[derive(Deserialize)]
struct Data {
    doc_to_text: String,
    num_fewshot: usize,
    tasks: std::collections::BTreeMap<String, Task>,
}

#[derive(Deserialize)]
struct Task {
    task: String,
    description: String,
    choices: Vec<String>,
    fewshot: Vec<(String, String)>,
}

fn data() -> Result<&'static Data, SuiteError> {
    static DATA_PARSED: OnceLock<Result<Data, String>> = OnceLock::new();
    DATA_PARSED
        .get_or_init(|| serde_json::from_str(DATA).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| SuiteError::syntax("leaderboard_bbh_mc.json (shipped)", None, e.clone()))
}

/// The names of the 24 subtasks.
pub fn subtasks() -> Vec<&'static str> {
    data()
        .map(|d| d.tasks.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Import one subtask's file.
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let d = data()?;
    let name = opts
        .subject
        .clone()
        .unwrap_or_else(|| file_stem(origin).to_owned());
    let t = d.tasks.get(&name).ok_or_else(|| {
        SuiteError::syntax(
            origin,
            None,
            format!(
                "`{name}` is not one of the leaderboard's 24 BBH subtasks ({}); name the file after it or give --subject",
                d.tasks.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let file: TaskFile = parse_json_document(bytes, origin)?;
    let gold = |target: &str, id: &str| -> Result<usize, SuiteError> {
        // (a few-shot sample's target outside the choices is an error: the shipped data is checked)
        t.choices
            .iter()
            .position(|c| c == target)
            .ok_or_else(|| SuiteError::Field {
                file: origin.to_owned(),
                line: None,
                field: format!("{id}.target"),
                message: format!("`{target}` is not one of the subtask's choices"),
            })
    };
    let mc = |id: String, input: &str, target: &str| -> Result<Item, SuiteError> {
        let mut it = item(id.clone(), input.to_owned());
        it.choices = t.choices.clone();
        it.gold = vec![gold(target, &id)?];
        it.group = Some(name.clone());
        Ok(it)
    };
    // An example whose target is none of the choices (BBH movie_recommendation has one: `Monsters,
    // Inc`) is kept by lm-eval with gold -100 and always scored 0. A suite item needs a gold choice,
    // so it is left out here, and the suite's description names it and says how the means relate.
    let mut items = Vec::new();
    let mut left_out = Vec::new();
    for (i, ex) in file.examples.iter().enumerate() {
        match mc(format!("{name}-{i}"), &ex.input, &ex.target) {
            Ok(it) => items.push(it),
            Err(_) => left_out.push(format!("examples[{i}] (target `{}`)", ex.target)),
        }
    }
    let pool = t
        .fewshot
        .iter()
        .enumerate()
        .map(|(i, (input, target))| mc(format!("{name}-fewshot-{i}"), input, target))
        .collect::<Result<Vec<_>, _>>()?;
    // the harness's template `Q: {{input}}\nA:` in this kit's placeholder syntax
    let template = d.doc_to_text.replace("{{input}}", "{input}");
    let mut description = format!(
        "BBH {name} as the Open LLM Leaderboard v2 runs it (lm-eval {}, harness 74d23a67): {}-shot multiple choice over {} answers (acc_norm)",
        t.task,
        d.num_fewshot,
        t.choices.len()
    );
    if !left_out.is_empty() {
        let total = items.len() + left_out.len();
        description.push_str(&format!(
            ". {} of {total} examples left out, their target none of the choices: {}; lm-eval keeps them and scores them 0, so its mean is this suite's × {}/{total}",
            left_out.len(),
            left_out.join(", "),
            items.len()
        ));
    }
    let mut spec = base_spec(
        &t.task,
        &description,
        OutputType::MultipleChoice,
        &template,
        &["acc", "acc_norm"],
    );
    spec.prompt.description = t.description.replace('{', "{{").replace('}', "}}");
    spec.fewshot.n = d.num_fewshot;
    finish(
        Suite {
            spec,
            items,
            fewshot_pool: pool,
        },
        origin,
        opts,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn three_shots_and_the_subtask_choices() {
        assert_eq!(subtasks().len(), 24);
        let file = r#"{"canary": "c", "examples": [{"input": "not ( True ) and ( True ) is", "target": "False"}]}"#;
        let s = import(
            file.as_bytes(),
            "boolean_expressions.json",
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(s.spec.name, "leaderboard_bbh_boolean_expressions");
        assert_eq!(s.items[0].choices, ["False", "True"]);
        assert_eq!(s.items[0].gold, [0]);
        let reqs = crate::build_requests(&s, 0).unwrap();
        let ctx = &reqs[0].context;
        assert!(
            ctx.starts_with("Evaluate the result of a random Boolean expression.\n"),
            "{ctx:?}"
        );
        assert_eq!(ctx.matches("\nA: ").count(), 3, "{ctx:?}");
        assert!(
            ctx.ends_with("\n\nQ: not ( True ) and ( True ) is\nA:"),
            "{ctx:?}"
        );
        assert_eq!(reqs[1].continuation, " True");

        let bad = |f: &str, name: &str| {
            import(f.as_bytes(), name, &ImportOptions::default())
                .unwrap_err()
                .to_string()
        };
        // a target outside the choices: left out, named and counted in the description
        let two = file.replace(
            "}]}",
            "}, {\"input\": \"True is\", \"target\": \"Maybe\"}]}",
        );
        let s = import(
            two.as_bytes(),
            "boolean_expressions.json",
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(s.items.len(), 1);
        assert!(s.spec.description.contains("1 of 2 examples left out, their target none of the choices: examples[1] (target `Maybe`)"), "{}", s.spec.description);
        assert!(
            bad(file, "word_sorting.json").contains("not one of the leaderboard's 24 BBH subtasks")
        );
        assert!(bad(r#"{"examples": []}"#, "navigate.json").contains("the suite has no items"));
    }
}
