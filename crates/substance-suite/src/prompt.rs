//! Request construction, exactly as lm-evaluation-harness does it (SPEC §6.1).
//!
//! ```text
//! context = description(item)
//!         + Σ over few-shot examples ex: render(ex) + target_delimiter + target(ex) + fewshot_delimiter
//!         + render(item)
//! multiple choice: one request (context, target_delimiter + choice) per choice,
//!                  then the trailing whitespace of the context moves to the front of each continuation
//! generate:        Completion { text: context }, or Chat { [user: context] } when `prompt.chat`
//! ```
//!
//! Details that follow lm-eval's `api/task.py`, `api/samplers.py` and `api/model.py`:
//! - `description` is itself a template rendered against the **evaluated** item (lm-eval renders the
//!   description with the doc), so one suite can carry per-group descriptions such as MMLU's
//!   "…about {subject}.\n\n".
//! - Few-shot examples are the first `n` of the pool (`first_n` sampler), restricted to the item's group
//!   when `fewshot.same_group`; an example that *is* the evaluated item (equal, or same `input` and
//!   `choices`) is skipped, as lm-eval draws `n + 1` and drops the doc itself when the few-shot split is
//!   the test split. (lm-eval skips nothing when the splits differ; on MMLU no dev question repeats a
//!   test question, so the two rules agree there.) Too few examples is an error, as lm-eval's `first_n`
//!   assertion.
//! - The target of a multiple-choice example is `choices[gold[0]]`, otherwise `target`. An example whose
//!   target is the empty string contributes only its rendered text (lm-eval skips the delimiters then).
//! - The whitespace move uses Python's `str.isspace` (Unicode whitespace plus `\x1c`–`\x1f`), as
//!   `context.rstrip()` does in `_encode_pair`.
//! - **Partial scoring** (WinoGrande): an item with `meta.scoring = "partial"` has one *context* per choice
//!   (its `choices`) and one shared continuation (its `input`); lm-eval builds the requests
//!   `(ctx + choice_i, target_delimiter + continuation)`. [`build_requests`] returns them and
//!   [`build_prompt`] records them as [`Prompt::LogLikelihoodPairs`].

use substance_core::{Item, Message, OutputType, Prompt, Suite};

use crate::SuiteError;

/// Meta key that marks a partial-scoring item (value `"partial"`).
pub const SCORING_KEY: &str = "scoring";
/// Value of [`SCORING_KEY`] for partial scoring.
pub const PARTIAL_SCORING: &str = "partial";

/// One log-likelihood request, after the trailing-whitespace move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoglikelihoodRequest {
    /// The context (no trailing whitespace).
    pub context: String,
    /// The continuation whose log-likelihood is summed.
    pub continuation: String,
}

/// Whether an item uses partial scoring (per-choice contexts, one shared continuation).
pub fn is_partial(item: &Item) -> bool {
    item.meta.get(SCORING_KEY).and_then(|v| v.as_str()) == Some(PARTIAL_SCORING)
}

/// Python's `str.isspace` for one character.
pub(crate) fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Split trailing whitespace off `context` (lm-eval `_encode_pair`): returns (context, moved whitespace).
pub fn split_trailing_whitespace(context: &str) -> (&str, &str) {
    let trimmed = context.trim_end_matches(py_isspace);
    (trimmed, &context[trimmed.len()..])
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The placeholder at fault, when there is one.
    pub placeholder: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Render `template` for `item`: `{input}` is the item's input, `{key}` a string field of `meta`; `{{`
/// and `}}` stand for literal braces. An unknown placeholder, a non-string meta value, an unclosed `{` or a
/// lone `}` is an error.
pub fn render_template(template: &str, item: &Item) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + item.input.len());
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => {
                if chars.peek().map(|(_, c)| *c) == Some('{') {
                    chars.next();
                    out.push('{');
                    continue;
                }
                let rest = &template[i + 1..];
                let Some(end) = rest
                    .find(['}', '{'])
                    .filter(|e| rest[*e..].starts_with('}'))
                else {
                    return Err(TemplateError {
                        placeholder: None,
                        message: format!(
                            "unclosed `{{` at byte {i} (write `{{{{` for a literal brace)"
                        ),
                    });
                };
                let name = &rest[..end];
                out.push_str(lookup(name, item)?);
                // Skip the placeholder's characters and its closing brace.
                for _ in 0..name.chars().count() + 1 {
                    chars.next();
                }
            }
            '}' => {
                if chars.peek().map(|(_, c)| *c) == Some('}') {
                    chars.next();
                    out.push('}');
                } else {
                    return Err(TemplateError {
                        placeholder: None,
                        message: format!(
                            "lone `}}` at byte {i} (write `}}}}` for a literal brace)"
                        ),
                    });
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn lookup<'a>(name: &str, item: &'a Item) -> Result<&'a str, TemplateError> {
    if name == "input" {
        return Ok(&item.input);
    }
    match item.meta.get(name) {
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(other) => Err(TemplateError {
            placeholder: Some(name.to_owned()),
            message: format!(
                "placeholder `{{{name}}}`: `meta.{name}` is not a string (found {})",
                json_kind(other)
            ),
        }),
        None => Err(TemplateError {
            placeholder: Some(name.to_owned()),
            message: format!(
                "unknown placeholder `{{{name}}}` (use `{{input}}` or a string field of `meta`)"
            ),
        }),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn render(suite: &Suite, field: &str, template: &str, item: &Item) -> Result<String, SuiteError> {
    render_template(template, item).map_err(|e| SuiteError::Prompt {
        suite: suite.spec.name.clone(),
        item: item.id.clone(),
        field: field.to_owned(),
        message: e.message,
    })
}

fn prompt_error(suite: &Suite, item: &Item, field: &str, message: String) -> SuiteError {
    SuiteError::Prompt {
        suite: suite.spec.name.clone(),
        item: item.id.clone(),
        field: field.to_owned(),
        message,
    }
}

/// Whether a few-shot example is the evaluated item itself: equal, or the same input and choices (a pool
/// item may carry a different target representation, e.g. GSM8K's full solution).
fn same_question(ex: &Item, item: &Item) -> bool {
    ex == item || (ex.input == item.input && ex.choices == item.choices)
}

/// The few-shot examples used for `item`, in order.
pub fn fewshot_examples<'a>(suite: &'a Suite, item: &Item) -> Result<Vec<&'a Item>, SuiteError> {
    let n = suite.spec.fewshot.n;
    if n == 0 {
        return Ok(Vec::new());
    }
    let same_group = suite.spec.fewshot.same_group;
    let chosen: Vec<&Item> = suite
        .fewshot_pool
        .iter()
        .filter(|ex| !same_group || ex.group == item.group)
        .filter(|ex| !same_question(ex, item))
        .take(n)
        .collect();
    if chosen.len() < n {
        let scope = if same_group {
            format!(" in group `{}`", item.group.as_deref().unwrap_or("(none)"))
        } else {
            String::new()
        };
        return Err(prompt_error(
            suite,
            item,
            "fewshot.n",
            format!(
                "{n} few-shot examples requested but the pool has {}{scope}",
                chosen.len()
            ),
        ));
    }
    Ok(chosen)
}

/// The text a few-shot example contributes before its target: the rendered template, or for a
/// partial-scoring example its gold context.
fn example_text(suite: &Suite, ex: &Item) -> Result<String, SuiteError> {
    if is_partial(ex) {
        gold_choice(suite, ex).map(str::to_owned)
    } else {
        render(suite, "prompt.template", &suite.spec.prompt.template, ex)
    }
}

fn gold_choice<'a>(suite: &Suite, ex: &'a Item) -> Result<&'a str, SuiteError> {
    let g = *ex.gold.first().ok_or_else(|| {
        prompt_error(
            suite,
            ex,
            "gold",
            "few-shot example has no gold index".into(),
        )
    })?;
    ex.choices.get(g).map(String::as_str).ok_or_else(|| {
        prompt_error(
            suite,
            ex,
            "gold",
            format!(
                "gold index {g} is out of range for {} choices",
                ex.choices.len()
            ),
        )
    })
}

/// The target a few-shot example contributes: the shared continuation of a partial-scoring example,
/// `choices[gold[0]]` of a multiple-choice example, else `target`.
fn example_target<'a>(suite: &Suite, ex: &'a Item) -> Result<&'a str, SuiteError> {
    if is_partial(ex) {
        return Ok(&ex.input);
    }
    if !ex.gold.is_empty() && !ex.choices.is_empty() {
        return gold_choice(suite, ex);
    }
    ex.target.as_deref().ok_or_else(|| {
        prompt_error(
            suite,
            ex,
            "target",
            "few-shot example has neither `gold` choices nor a `target`".into(),
        )
    })
}

/// Description + few-shot block for `item` (everything before the item's own text).
pub fn fewshot_context(suite: &Suite, item: &Item) -> Result<String, SuiteError> {
    let p = &suite.spec.prompt;
    let mut ctx = render(suite, "prompt.description", &p.description, item)?;
    for ex in fewshot_examples(suite, item)? {
        ctx.push_str(&example_text(suite, ex)?);
        let target = example_target(suite, ex)?;
        if !target.is_empty() {
            ctx.push_str(&p.target_delimiter);
            ctx.push_str(target);
            ctx.push_str(&p.fewshot_delimiter);
        }
    }
    Ok(ctx)
}

fn item_at(suite: &Suite, index: usize) -> Result<&Item, SuiteError> {
    suite
        .items
        .get(index)
        .ok_or_else(|| SuiteError::IndexOutOfRange {
            suite: suite.spec.name.clone(),
            index,
            len: suite.items.len(),
        })
}

fn move_whitespace(context: String, continuation: &str) -> LoglikelihoodRequest {
    let (ctx, ws) = split_trailing_whitespace(&context);
    LoglikelihoodRequest {
        continuation: format!("{ws}{continuation}"),
        context: ctx.to_owned(),
    }
}

/// The log-likelihood requests of a multiple-choice item, one per choice, exactly as lm-eval sends them
/// (after the trailing-whitespace move). Handles partial scoring too.
pub fn build_requests(
    suite: &Suite,
    item_index: usize,
) -> Result<Vec<LoglikelihoodRequest>, SuiteError> {
    let item = item_at(suite, item_index)?;
    if suite.spec.output_type != OutputType::MultipleChoice {
        return Err(prompt_error(
            suite,
            item,
            "output_type",
            "log-likelihood requests exist only for multiple-choice suites".into(),
        ));
    }
    let delim = &suite.spec.prompt.target_delimiter;
    let base = fewshot_context(suite, item)?;
    if is_partial(item) {
        let continuation = format!("{delim}{}", item.input);
        return Ok(item
            .choices
            .iter()
            .map(|c| move_whitespace(format!("{base}{c}"), &continuation))
            .collect());
    }
    let context = base + &render(suite, "prompt.template", &suite.spec.prompt.template, item)?;
    Ok(item
        .choices
        .iter()
        .map(|c| move_whitespace(context.clone(), &format!("{delim}{c}")))
        .collect())
}

/// Build the prompt of item `item_index` exactly as lm-eval would (see the module docs).
pub fn build_prompt(suite: &Suite, item_index: usize) -> Result<Prompt, SuiteError> {
    let item = item_at(suite, item_index)?;
    match suite.spec.output_type {
        OutputType::MultipleChoice => {
            if is_partial(item) {
                let requests = build_requests(suite, item_index)?;
                return Ok(Prompt::LogLikelihoodPairs {
                    requests: requests
                        .into_iter()
                        .map(|r| [r.context, r.continuation])
                        .collect(),
                });
            }
            let delim = &suite.spec.prompt.target_delimiter;
            let context = fewshot_context(suite, item)?
                + &render(suite, "prompt.template", &suite.spec.prompt.template, item)?;
            let (ctx, ws) = split_trailing_whitespace(&context);
            Ok(Prompt::LogLikelihood {
                continuations: item
                    .choices
                    .iter()
                    .map(|c| format!("{ws}{delim}{c}"))
                    .collect(),
                context: ctx.to_owned(),
            })
        }
        OutputType::Generate => {
            let text = fewshot_context(suite, item)?
                + &render(suite, "prompt.template", &suite.spec.prompt.template, item)?;
            Ok(if suite.spec.prompt.chat {
                Prompt::Chat {
                    messages: vec![Message {
                        role: "user".into(),
                        content: text,
                    }],
                }
            } else {
                Prompt::Completion { text }
            })
        }
    }
}
