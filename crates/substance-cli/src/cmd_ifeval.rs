//! `substance ifeval` (contract: README / issue "Foundation").

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use substance_core::Instruction;
use substance_ifeval::{
    ResultRow, Verdict, breakdown, check_response, join_responses, metrics, parse_inputs,
    parse_responses,
};

use crate::util::{print_json, progress, read_text, warn_skipped};

/// `substance ifeval`.
#[derive(Args)]
pub struct IfevalArgs {
    /// IFEval prompts (`input_data.jsonl` form: key, prompt, instruction_id_list, kwargs).
    #[arg(long)]
    input: PathBuf,
    /// Responses: JSONL lines `{prompt, response}` with an optional `key`.
    #[arg(long)]
    responses: PathBuf,
    /// Write one result line per response line: `{key, prompt, instruction_id_list, strict, loose}`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the four metrics as JSON.
    #[arg(long)]
    json: bool,
    /// Fail when a response matches no prompt (default: report it on stderr and skip it).
    #[arg(long)]
    strict: bool,
    /// Also print per-category and per-instruction accuracy (text mode).
    #[arg(long)]
    breakdown: bool,
}

pub fn run(a: IfevalArgs) -> Result<ExitCode> {
    let inputs =
        parse_inputs(&read_text(&a.input)?).with_context(|| format!("in {}", a.input.display()))?;
    let responses = parse_responses(&read_text(&a.responses)?)
        .with_context(|| format!("in {}", a.responses.display()))?;
    let (joined, unmatched) = join_responses(&inputs, &responses);
    // responses that match no prompt are left out of the metrics, as the reference leaves them out
    let skipped: Vec<substance_core::input::Skipped> = unmatched
        .iter()
        .map(|u| substance_core::input::Skipped {
            file: a.responses.display().to_string(),
            line: u.index + 1,
            reason: u.reason.clone(),
        })
        .collect();
    warn_skipped(&skipped);
    if a.strict && !unmatched.is_empty() {
        bail!(
            "{} response(s) match no prompt of {}",
            unmatched.len(),
            a.input.display()
        );
    }
    let pb = progress(joined.len() as u64, "ifeval");
    let mut rows = Vec::with_capacity(joined.len());
    let mut verdicts: Vec<Verdict> = Vec::with_capacity(joined.len());
    for j in &joined {
        let instructions: Vec<Instruction> = j
            .input
            .instruction_id_list
            .iter()
            .zip(&j.input.kwargs)
            .map(|(id, kwargs)| Instruction {
                id: id.clone(),
                kwargs: kwargs.clone(),
            })
            .collect();
        let v = check_response(&j.input.prompt, &instructions, &j.response)
            .with_context(|| format!("{}: prompt key {}", a.input.display(), j.input.key))?;
        rows.push(ResultRow {
            key: j.input.key,
            prompt: j.input.prompt.clone(),
            instruction_id_list: j.input.instruction_id_list.clone(),
            strict: v.strict.clone(),
            loose: v.loose.clone(),
        });
        verdicts.push(v);
        pb.inc(1);
    }
    pb.finish_and_clear();
    if let Some(out) = &a.out {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(out)
                .with_context(|| format!("cannot create {}", out.display()))?,
        );
        for r in &rows {
            serde_json::to_writer(&mut f, r)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
        errln!("wrote {} result lines to {}", rows.len(), out.display());
    }
    let m = metrics(&verdicts);
    if a.json {
        let mut v = serde_json::to_value(m)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("skipped".to_owned(), serde_json::to_value(&skipped)?);
        }
        print_json(&v)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("responses scored          {}", verdicts.len());
    outln!("prompt_level_strict_acc   {:.4}", m.prompt_level_strict_acc);
    outln!("inst_level_strict_acc     {:.4}", m.inst_level_strict_acc);
    outln!("prompt_level_loose_acc    {:.4}", m.prompt_level_loose_acc);
    outln!("inst_level_loose_acc      {:.4}", m.inst_level_loose_acc);
    if a.breakdown {
        let ids: Vec<Vec<String>> = rows.iter().map(|r| r.instruction_id_list.clone()).collect();
        let b = breakdown(&ids, &verdicts);
        outln!(
            "\n{:<48} {:>6} {:>8} {:>8}",
            "category / instruction",
            "n",
            "strict",
            "loose"
        );
        for (name, c) in b.by_category.iter().chain(b.by_instruction.iter()) {
            outln!(
                "{:<48} {:>6} {:>8.4} {:>8.4}",
                name,
                c.total,
                c.strict_acc,
                c.loose_acc
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
