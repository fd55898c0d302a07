//! `run`, `score` and `verify`.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use substance_core::{
    Header, ReceiptLine, ReceiptReader, ReceiptWriter, Seeds, Selection, Suite, Summary,
};
use substance_runner::{RunOptions, RunSession, drive_concurrent};
use substance_score::{VerifyReport, verify_reader};
use substance_verify::{
    Finding, Format, Recomputed, Report, Severity, Status, Streamed, detect, read_claims, receipt,
    verify_streamed,
};

use crate::util::{load_suite, open, print_json, progress, suite_roots};

/// `substance run`.
#[derive(Args)]
pub struct RunArgs {
    /// Suite folder, `suite.toml` path, or bundled suite name (`substance suite list`).
    #[arg(required_unless_present = "bundle", conflicts_with = "bundle")]
    suite: Option<String>,
    /// Run every suite of a bundle (`suites/bundles/NAME.toml`, or a path to a bundle file) into the
    /// folder `--out` (default `out/<bundle>`): one receipt per suite and `bundle.json`, which
    /// `substance sos --receipts DIR` turns into factor scores.
    #[arg(long)]
    pub(crate) bundle: Option<String>,
    /// The folder of upstream benchmark files a bundle's `import` entries name (default `$SUBSTANCE_DATA`).
    #[arg(long)]
    pub(crate) data: Option<PathBuf>,
    /// Model spec: `gguf:PATH`, `hf:DIR` or `hf:ORG/NAME[@REVISION]` (local, burn on the CPU; a hub name is
    /// downloaded into `$SUBSTANCE_MODELS/hf/ORG/NAME` when not cached, from `$HF_ENDPOINT` with
    /// `$HF_TOKEN`), `openai:NAME` or
    /// `http(s)://HOST:PORT/v1#NAME` (OpenAI-compatible endpoint), or `replay:FILE` (recorded responses:
    /// `{"id", "response"}` / `{"id", "text"}` lines, or an earlier receipt).
    #[arg(long)]
    model: String,
    /// Environment variable holding the endpoint's API key (never written anywhere).
    #[arg(long)]
    api_key_env: Option<String>,
    /// Concurrent requests to an endpoint.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Local model: items answered at once, by worker threads sharing the loaded weights (default: the
    /// machine's cores). The receipt is the same byte for byte whatever the number.
    #[arg(long)]
    workers: Option<usize>,
    /// Local GGUF model: dequantise every tensor to f32 (the reference path) instead of keeping the
    /// file's quantised blocks.
    #[arg(long)]
    f32_weights: bool,
    /// Seed of sampled generation (used when the suite's temperature is above 0; recorded in the receipt).
    #[arg(long, default_value_t = 0)]
    sampling_seed: u64,
    /// Only the first N items (after sharding).
    #[arg(long)]
    pub(crate) limit: Option<usize>,
    /// Shard `i/n`: items whose index ≡ i (mod n).
    #[arg(long, value_parser = parse_shard)]
    shard: Option<[usize; 2]>,
    /// Receipt path (default `out/<suite>.receipt.jsonl`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Bootstrap seed (recorded in the receipt).
    #[arg(long, default_value_t = 1234)]
    seed: u64,
    /// Bootstrap resamples for the summary CIs (0 = none).
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Continue an interrupted run: keep the finished items of `<out>.partial` (or of `<out>`) and ask
    /// the model only for the rest. The suite, selection, model, generation settings and seeds must be
    /// those of the interrupted run (the error names the first that differs).
    #[arg(long)]
    resume: bool,
}

/// Where a run writes until it completes: `<out>.partial`.
pub fn partial_path(out: &Path) -> PathBuf {
    let mut name = OsString::from(out.as_os_str());
    name.push(".partial");
    PathBuf::from(name)
}

pub(crate) fn parse_shard(s: &str) -> Result<[usize; 2], String> {
    let (i, n) = s.split_once('/').ok_or("expected i/n, e.g. 0/4")?;
    let i: usize = i.trim().parse().map_err(|e| format!("shard index: {e}"))?;
    let n: usize = n.trim().parse().map_err(|e| format!("shard count: {e}"))?;
    if n == 0 || i >= n {
        return Err(format!("need 0 ≤ i < n, got {i}/{n}"));
    }
    Ok([i, n])
}

pub fn run(a: RunArgs) -> Result<ExitCode> {
    if let Some(bundle) = a.bundle.clone() {
        return crate::cmd_bundle::run(&a, &bundle);
    }
    let (dir, suite) = load_suite(a.suite.as_deref().unwrap_or_default())?;
    let model_options = a.model_options();
    let mut model = crate::models::open_run(&a.model, &model_options)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("{}.receipt.jsonl", suite.spec.name)));
    let summary = run_suite(
        &a,
        &suite,
        &dir.display().to_string(),
        &mut model,
        &out,
        Selection {
            limit: a.limit,
            shard: a.shard,
        },
    )?;
    if a.json {
        print_json(&summary)?;
    } else {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

impl RunArgs {
    /// How models are opened for this run.
    pub(crate) fn model_options(&self) -> crate::models::ModelOptions {
        crate::models::ModelOptions {
            sampling_seed: self.sampling_seed,
            api_key_env: self.api_key_env.clone(),
            concurrency: self.concurrency,
            weights: if self.f32_weights {
                substance_model::LoadOptions::f32()
            } else {
                substance_model::LoadOptions::default()
            },
        }
    }

    /// The model spec.
    pub(crate) fn model(&self) -> &str {
        &self.model
    }

    /// `--shard`.
    pub(crate) fn shard(&self) -> Option<[usize; 2]> {
        self.shard
    }

    /// The receipt path or, for a bundle, the folder.
    pub(crate) fn out(&self) -> Option<&Path> {
        self.out.as_deref()
    }
}

/// Run the `selection` of `suite` (loaded from `from`) on `model` into the receipt `out`, resuming when
/// asked; returns the summary once the receipt is complete.
pub(crate) fn run_suite(
    a: &RunArgs,
    suite: &Suite,
    from: &str,
    model: &mut crate::models::Opened,
    out: &Path,
    selection: Selection,
) -> Result<Summary> {
    let model_options = a.model_options();
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    // Items are flushed line by line into `<out>.partial` (a kill -9 keeps every finished item: the
    // receipt is the run's journal); it becomes `<out>` only when the run completes, so an interrupted
    // run never leaves a receipt that looks complete. `--resume` continues from it.
    let partial = partial_path(out);
    let opts = RunOptions {
        selection,
        seeds: Seeds {
            bootstrap: a.seed,
            bootstrap_resamples: a.bootstrap,
            sampling: None,
        },
        created: None,
    };
    let journal = if a.resume {
        [partial.as_path(), out].into_iter().find(|p| p.is_file())
    } else {
        None
    };
    let (session, file) = match journal {
        Some(journal) => resume_from(suite, model.model.info(), &opts, journal, &partial)?,
        None => {
            if a.resume {
                errln!(
                    "nothing to resume ({} and {} do not exist): starting a new run",
                    partial.display(),
                    out.display()
                );
            } else if partial.is_file() {
                errln!(
                    "note: replacing {} left by an interrupted run (--resume continues one)",
                    partial.display()
                );
            }
            let session = RunSession::new(suite, model.model.info(), &opts)?;
            let mut file = File::create(&partial)
                .with_context(|| format!("cannot create {}", partial.display()))?;
            file.write_all(session.header_line()?.as_bytes())
                .and_then(|()| file.flush())
                .with_context(|| format!("cannot write {}", partial.display()))?;
            (session, file)
        }
    };
    let n = session.total();
    // An endpoint answers `--concurrency` requests at once (one connection per worker); a local model
    // `--workers` (threads sharing its weights); a replay one at a time.
    let workers = if crate::models::is_endpoint(&a.model) {
        a.concurrency.max(1)
    } else if model.sharer.is_some() {
        a.workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1)
    } else {
        1
    };
    errln!(
        "running {} ({} items, {workers} at a time) from {from}",
        suite.spec.name,
        n,
    );
    let pb = progress(n as u64, &suite.spec.name);
    pb.set_position(session.done() as u64);
    let sharer = model.sharer.as_ref();
    let open_more = || match sharer {
        Some(s) => Ok(s.open()),
        None => crate::models::open(&a.model, &model_options).map_err(|e| format!("{e:#}")),
    };
    let summary = drive_concurrent(
        session,
        &mut model.model,
        &open_more,
        workers,
        BufWriter::new(file),
        |done, _| pb.set_position(done as u64),
    )
    .with_context(|| {
        format!(
            "run stopped; finished items are kept in {} (continue with --resume)",
            partial.display()
        )
    })?;
    pb.finish_and_clear();
    std::fs::rename(&partial, out)
        .with_context(|| format!("cannot move {} to {}", partial.display(), out.display()))?;
    errln!("receipt written to {}", out.display());
    Ok(summary)
}

/// Open the journal of an interrupted run for `--resume`: check it against this run (nothing is changed
/// when it does not match), make it the `.partial` file, cut it after its last finished item and return
/// the session positioned after that item with the file open for appending.
fn resume_from<'s>(
    suite: &'s Suite,
    model: substance_core::ModelInfo,
    opts: &RunOptions,
    journal: &Path,
    partial: &Path,
) -> Result<(RunSession<&'s Suite>, File)> {
    let (session, resumed) = RunSession::resume(suite, model, opts, open(journal)?)
        .with_context(|| format!("{}", journal.display()))?;
    if journal != partial {
        std::fs::rename(journal, partial).with_context(|| {
            format!("cannot move {} to {}", journal.display(), partial.display())
        })?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .open(partial)
        .with_context(|| format!("cannot open {} for writing", partial.display()))?;
    let cut = (|| {
        file.set_len(resumed.keep_bytes)?;
        file.seek(SeekFrom::End(0))?;
        if resumed.keep_bytes == 0 {
            file.write_all(session.header_line()?.as_bytes())?;
        }
        file.flush()?;
        anyhow::Ok(())
    })();
    cut.with_context(|| format!("cannot cut {}", partial.display()))?;
    let mut notes = Vec::new();
    if resumed.keep_bytes == 0 {
        notes.push("no complete header, started over".to_owned());
    }
    if resumed.dropped_torn_line {
        notes.push("dropped a torn last line".to_owned());
    }
    if resumed.dropped_summary {
        notes.push("the run had finished; its summary is written again".to_owned());
    }
    errln!(
        "resuming {}: kept {} of {} items{}{}",
        journal.display(),
        resumed.kept_items,
        session.total(),
        if notes.is_empty() { "" } else { "; " },
        notes.join("; ")
    );
    Ok((session, file))
}

/// Print a summary as a table.
pub fn print_summary(s: &Summary) {
    if s.metrics.is_empty() {
        outln!(
            "no metric: a judge-graded suite (Arena-Hard, MT-Bench): the {} answer(s) are kept in the receipt; `substance answers RECEIPT` writes them as the benchmark's model_answer file for a judge",
            s.n_items
        );
        return;
    }
    outln!(
        "{:<28} {:>9} {:>9} {:>7}  {:<21} 95% CI (bootstrap)",
        "metric",
        "value",
        "stderr",
        "n",
        "95% CI (normal)"
    );
    for (name, a) in &s.metrics {
        let bs = a
            .bootstrap_ci95
            .map(|[l, h]| format!("[{l:.4}, {h:.4}]"))
            .unwrap_or_else(|| "-".into());
        outln!(
            "{:<28} {:>9.4} {:>9.4} {:>7}  [{:.4}, {:.4}]  {}",
            name,
            a.value,
            a.stderr,
            a.n,
            a.ci95[0],
            a.ci95[1],
            bs
        );
    }
    for (g, metrics) in &s.groups {
        for (name, a) in metrics {
            outln!(
                "  {:<26} {:>9.4} {:>9.4} {:>7}",
                format!("{g}/{name}"),
                a.value,
                a.stderr,
                a.n
            );
        }
    }
}

/// `substance score`.
#[derive(Args)]
pub struct ScoreArgs {
    /// Receipt to re-score.
    receipt: PathBuf,
    /// Write a re-scored, re-sealed receipt here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the recomputed summary as JSON.
    #[arg(long)]
    json: bool,
}

pub fn score(a: ScoreArgs) -> Result<ExitCode> {
    let mut reader = ReceiptReader::new(open(&a.receipt)?);
    let mut writer: Option<ReceiptWriter<BufWriter<File>>> = None;
    let mut header: Option<Header> = None;
    let mut agg = substance_score::Aggregator::new();
    let mut changed = 0usize;
    let pb = progress(0, "scoring");
    while let Some(line) = reader
        .next_line()
        .with_context(|| format!("reading {}", a.receipt.display()))?
    {
        match line {
            ReceiptLine::Header(h) => {
                if let Some(out) = &a.out {
                    let f = File::create(out)
                        .with_context(|| format!("cannot create {}", out.display()))?;
                    writer = Some(ReceiptWriter::new(BufWriter::new(f), &h)?);
                }
                header = Some(*h);
            }
            ReceiptLine::Item(mut rec) => {
                let h = header.as_ref().context("item before header")?;
                let scores = substance_score::score_item(&h.suite.spec, &rec.item, &rec.response)
                    .with_context(|| {
                    format!("{}: line {}", a.receipt.display(), reader.line_number())
                })?;
                if scores != rec.scores {
                    changed += 1;
                }
                agg.push(rec.item.group.as_deref(), &scores);
                rec.scores = scores;
                if let Some(w) = writer.as_mut() {
                    w.write_item(*rec)?;
                }
                pb.inc(1);
            }
            ReceiptLine::Summary(_) => {}
        }
    }
    pb.finish_and_clear();
    let h = header.context("receipt has no header")?;
    let (metrics, groups) = agg.finish(h.seeds.bootstrap, h.seeds.bootstrap_resamples);
    let summary = match writer {
        Some(w) => {
            let (n_items, selection_sha256, items_digest) = w.digests();
            let s = Summary {
                n_items,
                selection_sha256,
                items_digest,
                metrics,
                groups,
            };
            w.finish(&s)?;
            s
        }
        None => Summary {
            n_items: 0,
            selection_sha256: String::new(),
            items_digest: String::new(),
            metrics,
            groups,
        },
    };
    errln!("{changed} item(s) had scores different from the receipt's");
    if a.json {
        print_json(&summary.metrics)?;
    } else {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// `substance verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// Files or folders to verify: substance receipts, lm-evaluation-harness output (a folder of
    /// `results_*.json` and `samples_*.jsonl` is one run), MMLU-Pro prediction files
    /// (`model_outputs_<model>_<k>shots.json`, or the `.zip` as published), zips of them. A folder is
    /// read recursively (in name order, symbolic links not followed); its files of other formats are
    /// listed as left out.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The suite the receipts claim to be about (folder or bundled name). Default: the bundled suite of the
    /// header's name when one exists; then the suite hash, item contents and prompts are checked too.
    #[arg(long)]
    suite: Option<String>,
    /// Check the receipt alone, even when a bundled suite of that name exists.
    #[arg(long, conflicts_with = "suite")]
    no_suite: bool,
    /// Published numbers to compare with when the files carry none (what a leaderboard page shows):
    /// CSV `model,task,metric,value[,tolerance]` or a JSON array of such objects; `44.25%` or `0.4425`,
    /// matched within the printed precision unless a tolerance is given.
    #[arg(long)]
    claims: Option<PathBuf>,
    /// Print the reports as JSON.
    #[arg(long)]
    json: bool,
}

/// The bundled suite a receipt's header names, looked up only among the bundled suites: the name comes
/// from the (untrusted) receipt, so a name that is a path (`../x`, `/home/…`) is never followed.
fn header_suite(path: &Path) -> Option<PathBuf> {
    let first = ReceiptReader::new(open(path).ok()?).next()?.ok()?;
    let ReceiptLine::Header(h) = first else {
        return None;
    };
    let name = h.suite.name;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain {
        return None;
    }
    suite_roots()
        .into_iter()
        .map(|root| root.join(&name))
        .find(|dir| dir.join("suite.toml").is_file())
}

/// Every file under `path` (itself when it is a file), in name order. Inside a folder, hidden entries
/// and symbolic links to folders (a link loop must not recurse forever) are not read but listed in
/// `left_out` with the reason.
fn walk(
    path: &Path,
    out: &mut Vec<(PathBuf, bool)>,
    in_folder: bool,
    left_out: &mut Vec<String>,
) -> Result<()> {
    let link =
        in_folder && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if link && path.is_dir() {
        left_out.push(format!(
            "{}: a link to a folder, not followed",
            path.display()
        ));
        return Ok(());
    }
    if !path.is_dir() {
        out.push((path.to_path_buf(), in_folder));
        return Ok(());
    }
    let mut entries = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .with_context(|| format!("cannot list {}", path.display()))?;
    entries.sort();
    for e in entries {
        if e.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            left_out.push(format!("{}: hidden, not read", e.display()));
            continue;
        }
        walk(&e, out, true, left_out)?;
    }
    Ok(())
}

fn head(path: &Path) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    open(path)?
        .take(1 << 16)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(buf)
}

fn verify_receipt_file(a: &VerifyArgs, path: &Path) -> Result<VerifyReport> {
    let suite: Option<Suite> = if a.no_suite {
        None
    } else if let Some(s) = &a.suite {
        Some(load_suite(s)?.1)
    } else {
        match header_suite(path) {
            Some(dir) => {
                errln!(
                    "{}: checking against suite {}",
                    path.display(),
                    dir.display()
                );
                Some(load_suite(&dir.to_string_lossy())?.1)
            }
            None => None,
        }
    };
    // Receipts stream through the verifier; the bar follows the bytes read.
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let pb = progress(size, "verifying");
    let report = verify_reader(
        std::io::BufReader::new(pb.wrap_read(open(path)?)),
        suite.as_ref(),
    );
    pb.finish_and_clear();
    Ok(report)
}

pub fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let claims = match &a.claims {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            read_claims(&bytes, &p.display().to_string())?
        }
        None => Vec::new(),
    };
    let mut files = Vec::new();
    let mut left_out = Vec::new();
    for p in &a.files {
        walk(p, &mut files, false, &mut left_out)?;
    }
    let mut receipts = Vec::new();
    let mut streamed = Vec::new();
    for (path, in_folder) in files {
        let name = path.display().to_string();
        let head = head(&path)?;
        match detect(&name, &head) {
            // a file named on the command line that is no other format is read as a receipt, so a
            // damaged receipt gets the receipt reader's line-precise errors
            Some(Format::Receipt) | None if !in_folder => {
                let report = verify_receipt_file(&a, &path)?;
                let claimed = receipt::claimed_summary(std::io::BufReader::new(open(&path)?));
                receipts.push((name, report, claimed));
            }
            None => left_out.push(format!("{name}: not a format verify reads")),
            // opened when read: lm-eval sample logs stream through line by line
            Some(_) => streamed.push(Streamed {
                name,
                head,
                open: Box::new(move || {
                    std::fs::File::open(&path).map(|f| Box::new(f) as Box<dyn std::io::Read>)
                }),
            }),
        }
    }
    let mut outcome = verify_streamed(Vec::new(), streamed, claims);
    for r in std::mem::take(&mut outcome.receipts) {
        let claimed = receipt::claimed_summary(&r.bytes[..]);
        receipts.push((r.name, verify_reader(&r.bytes[..], None), claimed));
    }
    let all_ok = outcome.ok() && receipts.iter().all(|(_, r, _)| r.ok);
    if a.json {
        // every file in the one report shape (receipts first); `receipts` keeps the receipt
        // verifier's own output
        let reports: Vec<substance_verify::Report> = receipts
            .iter()
            .map(|(f, r, c)| receipt::report_of(f, r, c.as_ref()))
            .chain(outcome.reports.iter().cloned())
            .collect();
        print_json(&serde_json::json!({
            "ok": all_ok,
            "receipts": receipts
                .iter()
                .map(|(f, r, _)| serde_json::json!({"receipt": f, "report": r}))
                .collect::<Vec<_>>(),
            "reports": reports,
            "errors": outcome.errors,
            "unused_claims": outcome.unused_claims,
            "left_out": left_out,
        }))?;
    } else {
        for (f, r, _) in &receipts {
            print_report(Path::new(f), r);
        }
        for r in &outcome.reports {
            print_foreign(r);
        }
        for e in &outcome.errors {
            outln!("ERROR     {}", e.message);
        }
        for c in &outcome.unused_claims {
            outln!(
                "UNCHECKED claim {} ({} {} {} = {}): no file recomputes it",
                c.source,
                if c.model.is_empty() { "*" } else { &c.model },
                c.task,
                c.metric,
                c.value
            );
        }
        for f in &left_out {
            outln!("LEFT OUT  {f}");
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn shown(r: &Recomputed) -> String {
    match r {
        Recomputed::Value { value } => format!("{value:.6}"),
        Recomputed::Range { lo, hi, expected } => {
            format!("{lo:.6}..{hi:.6} (expected {expected:.6})")
        }
        Recomputed::Hash { value } => format!("sha256 {}…", &value[..value.len().min(12)]),
        Recomputed::None => "—".to_owned(),
    }
}

/// Findings listed per severity before "… and N more".
const LISTED: usize = 10;

fn print_foreign(r: &Report) {
    let tag = if r.ok { "OK" } else { "MISMATCH" };
    outln!(
        "{tag:<9} {} ({}; model {}; {} items)",
        r.file,
        r.format,
        r.model.as_deref().unwrap_or("?"),
        r.items_checked
    );
    outln!("          {}", r.verdict);
    let mut reasons: Vec<&str> = Vec::new();
    for (i, c) in r.checks.iter().enumerate() {
        let claimed = c.claimed.map_or_else(|| "—".to_owned(), |v| format!("{v}"));
        let status = match &c.status {
            Status::NotCheckable { reason } => {
                if !reasons.contains(&reason.as_str()) {
                    reasons.push(reason);
                }
                "not checkable".to_owned()
            }
            other => other.words(),
        };
        outln!(
            "  {:<28} {:<6} n={:<6} claimed {:<10} recomputed {}  {}",
            c.scope,
            c.metric,
            c.n,
            claimed,
            shown(&c.recomputed),
            status
        );
        // the detail of the first (overall) number and of every claimed one; all of them in --json
        if let Some(d) = &c.detail
            && (i == 0 || c.claimed.is_some())
        {
            outln!("      {d}");
        }
    }
    for reason in reasons {
        outln!("  not checkable: {reason}");
    }
    for n in &r.notes {
        outln!("  note: {n}");
    }
    for sev in [Severity::Differs, Severity::NotCheckable, Severity::Note] {
        let all: Vec<&Finding> = r.findings_of(sev).collect();
        if all.is_empty() {
            continue;
        }
        let what = match sev {
            Severity::Differs => "differ",
            Severity::NotCheckable => "not checkable",
            Severity::Note => "notes",
        };
        outln!("  items {what}: {}", all.len());
        for f in all.iter().take(LISTED) {
            outln!(
                "    record {} `{}` {}: file {} / recomputed {}: {}",
                f.record,
                f.id,
                f.field,
                f.claimed,
                f.recomputed,
                f.reason
            );
        }
        if all.len() > LISTED {
            outln!("    … and {} more (all in --json)", all.len() - LISTED);
        }
    }
    for s in &r.skipped {
        outln!("  {s}");
    }
}

fn print_report(path: &Path, r: &VerifyReport) {
    let what = format!(
        "{} ({}; model {}; {} items{})",
        path.display(),
        r.suite.as_deref().unwrap_or("?"),
        r.model.as_deref().unwrap_or("?"),
        r.items_checked,
        if r.suite_checked {
            "; suite file checked"
        } else {
            "; receipt only"
        }
    );
    if r.ok {
        outln!("OK        {what}");
        if let Some(s) = &r.recomputed {
            for (name, agg) in &s.metrics {
                outln!(
                    "          {name} = {:.4} ± {:.4} (n = {})",
                    agg.value,
                    agg.stderr,
                    agg.n
                );
            }
        }
        return;
    }
    outln!("MISMATCH  {what}");
    for m in &r.mismatches {
        let at = match (&m.item, m.index) {
            (Some(id), Some(i)) => format!("line {} item `{id}` (#{i})", m.line),
            _ if m.line > 0 => format!("line {}", m.line),
            _ => "receipt".to_owned(),
        };
        outln!(
            "  {at}: {}: claimed {} but recomputed {}",
            m.field,
            m.claimed,
            m.recomputed
        );
    }
    let items = r.mismatching_items();
    if !items.is_empty() {
        outln!("  mismatching items: {}", items.join(", "));
    }
}
