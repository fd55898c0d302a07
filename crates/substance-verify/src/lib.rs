//! Verification of published results: the files other evaluation tools write (lm-evaluation-harness
//! results and sample logs, inspect_ai logs, MMLU-Pro prediction files, and the judge result files of
//! AlpacaEval, MT-Bench, Arena-Hard-Auto, JudgeBench and RewardBench) are read as evidence, every
//! number that can be recomputed from them is recomputed with the reference's exact rules, and the
//! outcome comes back in one [`Report`] shape for the CLI (`substance verify`), `--json` and the page's
//! Verify tab.
//!
//! How it is built:
//! - **One reader per format**, each a pure function of bytes (wasm-safe) following the reading policy
//!   of [`substance_core::input`]; [`detect`] tells formats apart by file name and content, in one
//!   place, so the CLI and the page never disagree on what a file is.
//! - **Claims** are the numbers the files carry, or the ones a leaderboard shows ([`claims`], given
//!   with `--claims`). A claim is matched within its printed precision; a number the reference leaves
//!   to chance is recomputed as a range ([`Recomputed::Range`]); a number the files cannot support is
//!   [`Status::NotCheckable`] with the reason, never a pass. A claim that matched nothing is returned
//!   in [`Outcome::unused_claims`], so no claim is dropped silently.
//! - **Archives** (`.zip`, as MMLU-Pro publishes its predictions; inspect_ai's `.eval`) are opened in
//!   memory with the `zip` crate's pure-Rust deflate and, for zstd members, `ruzstd` (the `zip` crate's
//!   own zstd binds the C library, which does not build for wasm32), with size caps against archive
//!   bombs.
//! - **Aggregation math that already exists** in `substance-leaderboard` (AlpacaEval, MT-Bench,
//!   Arena-Hard) is reused, not re-written: the readers here add the per-item re-checks and the
//!   comparison with published numbers.
//!
//! Our own receipts are verified by `substance_score` (streamed); [`receipt`] maps the outcome into the
//! same [`Report`] shape, and [`detect`] recognises them so callers can route them there.

pub mod alpaca_eval;
pub mod arena_hard;
pub mod claims;
pub mod inspect;
pub mod judgebench;
pub mod lm_eval;
pub mod lm_eval_gen;
pub mod mmlu_pro;
pub mod mt_bench;
pub mod open_llm;
pub mod pyjson;
pub mod receipt;
pub mod report;
pub mod rewardbench;

use std::io::Read;

use substance_core::input::{self, InputError};
use substance_leaderboard::formats::ArenaVersion;
use thiserror::Error;

pub use claims::{Claim, read_claims};
pub use report::{Check, Finding, Recomputed, Report, Severity, Status};

/// Why a file could not be verified at all.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum VerifyError {
    /// The reading policy refused the input.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A record (array element) holds a value the format does not allow.
    #[error("{file}: record {record}: field `{field}`: {message}")]
    Record {
        /// The file.
        file: String,
        /// 1-based record.
        record: usize,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The file is not one of the formats read here, or a container is unreadable.
    #[error("{file}: {message}")]
    Format {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// A typed error naming the file, its line and the field (the reading policy's `InputError::Field`).
pub(crate) fn line_error(
    file: &str,
    line: usize,
    field: &str,
    message: impl Into<String>,
) -> VerifyError {
    VerifyError::Input(InputError::Field {
        file: file.to_owned(),
        line,
        field: field.to_owned(),
        message: message.into(),
    })
}

/// A typed error naming the file, its record (array element, document) and the field.
pub(crate) fn record_error(
    file: &str,
    record: usize,
    field: &str,
    message: impl Into<String>,
) -> VerifyError {
    VerifyError::Record {
        file: file.to_owned(),
        record,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The formats [`detect`] tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A substance receipt (verified by `substance_score`).
    Receipt,
    /// An MMLU-Pro prediction file.
    MmluPro,
    /// An lm-evaluation-harness results file.
    LmEvalResults,
    /// An lm-evaluation-harness sample log.
    LmEvalSamples,
    /// A zip archive (its entries are detected one by one).
    Zip,
    /// AlpacaEval `annotations.json`.
    AlpacaEval,
    /// An AlpacaEval leaderboard CSV (its rows are claims).
    AlpacaEvalLeaderboard,
    /// `instruction_difficulty.csv` or `df_gamed.csv`: inputs of AlpacaEval's length-controlled GLM.
    AlpacaEvalLcInput,
    /// MT-Bench single-grade judgments.
    MtBenchSingle,
    /// MT-Bench pairwise judgments.
    MtBenchPair,
    /// Arena-Hard-Auto v2.0 judgments.
    ArenaHardV2,
    /// Arena-Hard-Auto v0.1 judgments.
    ArenaHardV01,
    /// JudgeBench outputs.
    JudgeBench,
    /// A RewardBench per-model summary (`eval-set/<org>/<model>.json`).
    RewardBenchSummary,
    /// A RewardBench per-example file (`eval-set-scores/<org>/<model>.json`).
    RewardBenchScores,
    /// An inspect_ai log (`.json`).
    InspectLog,
    /// An inspect_ai log (`.eval`, a zip).
    InspectEval,
}

impl Format {
    /// Stable name (`--json`, the page).
    pub fn name(self) -> &'static str {
        match self {
            Self::Receipt => "substance-receipt",
            Self::MmluPro => "mmlu-pro",
            Self::LmEvalResults => "lm-eval-results",
            Self::LmEvalSamples => "lm-eval-samples",
            Self::Zip => "zip",
            Self::AlpacaEval => "alpaca-eval-annotations",
            Self::AlpacaEvalLeaderboard => "alpaca-eval-leaderboard",
            Self::AlpacaEvalLcInput => "alpaca-eval-lc-input",
            Self::MtBenchSingle => "mt-bench-single",
            Self::MtBenchPair => "mt-bench-pair",
            Self::ArenaHardV2 => "arena-hard-v2",
            Self::ArenaHardV01 => "arena-hard-v0.1",
            Self::JudgeBench => "judgebench",
            Self::RewardBenchSummary => "rewardbench-summary",
            Self::RewardBenchScores => "rewardbench-scores",
            Self::InspectLog => "inspect-log",
            Self::InspectEval => "inspect-eval",
        }
    }
}

/// What a file is, from its name and its first bytes (up to 64 KiB are enough); `None` when it is
/// none of the formats read here.
pub fn detect(name: &str, head: &[u8]) -> Option<Format> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if head.starts_with(b"PK\x03\x04") {
        if base.to_ascii_lowercase().ends_with(".eval") {
            return Some(Format::InspectEval);
        }
        return Some(Format::Zip);
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // a head cut inside a multi-byte character
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
    };
    let t = text.trim_start();
    // a receipt's header serialises its `type` tag first; its line can be longer than the head
    if t.starts_with(r#"{"type":"header""#) {
        return Some(Format::Receipt);
    }
    if t.starts_with('{') {
        let first = t.lines().next().unwrap_or("");
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(first) {
            if m.get("type").and_then(|v| v.as_str()) == Some("header") && m.contains_key("suite") {
                return Some(Format::Receipt);
            }
            if lm_eval::looks_like_sample(&m) {
                return Some(Format::LmEvalSamples);
            }
            if let Some(v) = arena_hard::looks_like(&m) {
                return Some(match v {
                    ArenaVersion::V2 => Format::ArenaHardV2,
                    ArenaVersion::V01 => Format::ArenaHardV01,
                });
            }
            if judgebench::looks_like(&m) {
                return Some(Format::JudgeBench);
            }
            if mt_bench::looks_like_pair(&m) {
                return Some(Format::MtBenchPair);
            }
            if mt_bench::looks_like_single(&m) {
                return Some(Format::MtBenchSingle);
            }
        }
        if lm_eval::looks_like_results(base, t) {
            return Some(Format::LmEvalResults);
        }
        if inspect::head_looks_like(base, t) {
            return Some(Format::InspectLog);
        }
        // RewardBench writes one pretty-printed object per file (sorted keys); a per-example file is
        // larger than the head, so it is told by its folder or its column names
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(t) {
            if rewardbench::looks_like_scores(&m) {
                return Some(Format::RewardBenchScores);
            }
            if rewardbench::looks_like_summary(&m) {
                return Some(Format::RewardBenchSummary);
            }
        }
        let in_scores_folder = name
            .split(['/', '\\'])
            .any(|c| c == "eval-set-scores" || c == "pref-sets-scores");
        if t.contains("\"model_type\"")
            && (t.contains("\"scores_chosen\": [") || (in_scores_folder && t.contains("\"model\"")))
        {
            return Some(Format::RewardBenchScores);
        }
    }
    if base.ends_with(".json") && mmlu_pro::model_from_file_name(base).is_some() {
        return Some(Format::MmluPro);
    }
    if t.starts_with('[') {
        // The first element, when the head holds it whole.
        if let Some(first) = first_array_element(t) {
            if mmlu_pro::looks_like(&first) {
                return Some(Format::MmluPro);
            }
            if lm_eval::looks_like_sample(&first) {
                return Some(Format::LmEvalSamples);
            }
            if alpaca_eval::looks_like(&first) {
                return Some(Format::AlpacaEval);
            }
        }
    }
    if alpaca_eval::LcFiles::is_lc_file(base) {
        return Some(Format::AlpacaEvalLcInput);
    }
    if alpaca_eval::looks_like_leaderboard(base, t) {
        return Some(Format::AlpacaEvalLeaderboard);
    }
    None
}

fn first_array_element(t: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut stream = serde_json::Deserializer::from_str(t.strip_prefix('[')?.trim_start())
        .into_iter::<serde_json::Value>();
    match stream.next()? {
        Ok(serde_json::Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// Largest archive entry read into memory (uncompressed).
pub const MAX_ENTRY_BYTES: u64 = 1 << 30;
/// Most bytes one archive may inflate to, all entries together.
pub const MAX_ARCHIVE_BYTES: u64 = 2 << 30;
/// Archives inside archives are opened this deep and no deeper (a zip that contains itself must end).
pub const MAX_ARCHIVE_DEPTH: usize = 2;

/// A zstd-compressed member, decoded (every frame, as inspect_ai writes one per 200 MiB), capped at
/// [`MAX_ENTRY_BYTES`].
fn unzstd_entry(
    zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    i: usize,
) -> Result<(String, Vec<u8>), String> {
    let mut entry = zip
        .by_index_raw(i)
        .map_err(|e| format!("entry {}: {e}", i + 1))?;
    let name = entry.name().to_owned();
    if entry.is_dir() {
        return Ok((name, Vec::new()));
    }
    let mut raw = Vec::with_capacity(entry.compressed_size().min(1 << 26) as usize);
    (&mut entry)
        .take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| format!("entry `{name}`: {e}"))?;
    let data = unzstd(&raw, entry.size()).map_err(|m| format!("entry `{name}`: {m}"))?;
    Ok((name, data))
}

/// Every zstd frame of `raw`, decoded and concatenated, capped at [`MAX_ENTRY_BYTES`] (`declared`,
/// the size the archive claims, only sizes the first allocation).
pub fn unzstd(raw: &[u8], declared: u64) -> Result<Vec<u8>, String> {
    let mut rest = raw;
    let mut data = Vec::with_capacity(declared.min(1 << 26) as usize);
    while !rest.is_empty() {
        let mut frame = ruzstd::decoding::StreamingDecoder::new(&mut rest)
            .map_err(|e| format!("not a readable zstd stream: {e}"))?;
        let room = (MAX_ENTRY_BYTES + 1).saturating_sub(data.len() as u64);
        (&mut frame)
            .take(room)
            .read_to_end(&mut data)
            .map_err(|e| format!("zstd: {e}"))?;
        if data.len() as u64 > MAX_ENTRY_BYTES {
            return Err(format!("inflates past {MAX_ENTRY_BYTES} bytes"));
        }
    }
    Ok(data)
}

/// Files read from an archive: (`archive/entry` name, bytes), in archive order.
pub type Entries = Vec<(String, Vec<u8>)>;

/// The files of a zip archive, in archive order (directories and macOS resource forks left out, and
/// counted in the second value).
pub fn unzip(bytes: &[u8], file: &str) -> Result<(Entries, usize), VerifyError> {
    let err = |message: String| VerifyError::Format {
        file: file.to_owned(),
        message,
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| err(format!("not a readable zip archive: {e}")))?;
    let mut out = Vec::new();
    let mut left_out = 0;
    let mut total = 0u64;
    for i in 0..zip.len() {
        // zstd members (inspect_ai `.eval` since 0.3.206) are decoded here with ruzstd: the zip
        // crate's own zstd support binds the C library
        let zstd = zip
            .by_index_raw(i)
            .map_err(|e| err(format!("entry {}: {e}", i + 1)))?
            .compression()
            == zip::CompressionMethod::ZSTD;
        if zstd {
            let (name, data) = unzstd_entry(&mut zip, i).map_err(&err)?;
            total += data.len() as u64;
            if total > MAX_ARCHIVE_BYTES {
                return Err(err(format!(
                    "the archive inflates past {MAX_ARCHIVE_BYTES} bytes (at entry `{name}`)"
                )));
            }
            out.push((format!("{file}/{name}"), data));
            continue;
        }
        let mut entry = zip
            .by_index(i)
            .map_err(|e| err(format!("entry {}: {e}", i + 1)))?;
        let name = entry.name().to_owned();
        if entry.is_dir() || name.starts_with("__MACOSX/") {
            left_out += 1;
            continue;
        }
        if entry.size() > MAX_ENTRY_BYTES {
            return Err(err(format!(
                "entry `{name}` is {} bytes uncompressed (more than the {MAX_ENTRY_BYTES} read into memory)",
                entry.size()
            )));
        }
        // the declared size is untrusted: reserve at most 64 MiB up front
        let mut data = Vec::with_capacity(entry.size().min(1 << 26) as usize);
        (&mut entry)
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(|e| err(format!("entry `{name}`: {e}")))?;
        if data.len() as u64 > MAX_ENTRY_BYTES {
            return Err(err(format!(
                "entry `{name}` inflates past {MAX_ENTRY_BYTES} bytes"
            )));
        }
        total += data.len() as u64;
        if total > MAX_ARCHIVE_BYTES {
            return Err(err(format!(
                "the archive inflates past {MAX_ARCHIVE_BYTES} bytes (at entry `{name}`)"
            )));
        }
        out.push((format!("{file}/{name}"), data));
    }
    Ok((out, left_out))
}

/// The claims of a verification, with which of them a check has used: the user's (`--claims`) and
/// those read from published tables among the inputs (a leaderboard CSV), which fill in where the user
/// gave none and are not listed as unused (a leaderboard has rows for many models).
#[derive(Debug, Clone, Default)]
pub struct ClaimBook {
    claims: Vec<Claim>,
    used: Vec<bool>,
    from_table: Vec<bool>,
}

impl ClaimBook {
    /// A book of the user's claims, none used yet.
    pub fn new(claims: Vec<Claim>) -> Self {
        let n = claims.len();
        Self {
            claims,
            used: vec![false; n],
            from_table: vec![false; n],
        }
    }

    /// Add the claims of a published table.
    pub fn add_table(&mut self, claims: Vec<Claim>) {
        self.used.extend(std::iter::repeat_n(false, claims.len()));
        self.from_table
            .extend(std::iter::repeat_n(true, claims.len()));
        self.claims.extend(claims);
    }

    /// The claim about (`model`, `scope`, `metric`), marked used: the user's before a table's, and one
    /// naming the model before one for any model.
    pub fn take(&mut self, model: Option<&str>, scope: &str, metric: &str) -> Option<Claim> {
        let fits = |c: &Claim| c.task == scope && c.metric == metric && c.is_about(model);
        let named = |c: &Claim| !matches!(c.model.trim(), "" | "*");
        let pick = |table: bool, need_name: bool| {
            (0..self.claims.len()).find(|&i| {
                let c = &self.claims[i];
                self.from_table[i] == table && fits(c) && (!need_name || named(c))
            })
        };
        let i = pick(false, true)
            .or_else(|| pick(false, false))
            .or_else(|| pick(true, true))
            .or_else(|| pick(true, false))?;
        self.used[i] = true;
        Some(self.claims[i].clone())
    }

    /// The user's claims no check used.
    pub fn unused(&self) -> Vec<Claim> {
        (0..self.claims.len())
            .filter(|&i| !self.used[i] && !self.from_table[i])
            .map(|i| self.claims[i].clone())
            .collect()
    }
}

/// One input file.
#[derive(Debug, Clone)]
pub struct Input {
    /// Its name as the user gave it (shown in reports; the CLI passes what was typed).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A file opened (from its start) when it is read instead of held in memory: how the CLI hands over
/// the files of a folder, so that lm-eval sample logs, which are most of a published run's bytes,
/// stream through the verifier line by line and the size of a run does not bound what can be verified.
/// Files of the other formats are read into memory when their turn comes.
pub struct Streamed {
    /// Its name as the user gave it.
    pub name: String,
    /// Its first bytes (up to 64 KiB), for detection.
    pub head: Vec<u8>,
    /// Opens it from its start.
    pub open: Box<dyn Fn() -> std::io::Result<Box<dyn Read>>>,
}

impl std::fmt::Debug for Streamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streamed")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// An lm-eval sample log: in memory, or streamed from its file.
enum SampleLog {
    Bytes(Input),
    Streamed(Streamed),
}

impl SampleLog {
    fn name(&self) -> &str {
        match self {
            SampleLog::Bytes(i) => &i.name,
            SampleLog::Streamed(s) => &s.name,
        }
    }

    /// Hand the log to `read` as a buffered reader.
    fn read<T>(
        &self,
        read: impl FnOnce(&mut dyn std::io::BufRead) -> Result<T, VerifyError>,
    ) -> Result<T, VerifyError> {
        match self {
            SampleLog::Bytes(i) => read(&mut &i.bytes[..]),
            SampleLog::Streamed(s) => {
                let file = (s.open)().map_err(|e| InputError::Io {
                    file: s.name.clone(),
                    message: e.to_string(),
                })?;
                read(&mut std::io::BufReader::with_capacity(1 << 16, file))
            }
        }
    }
}

/// The verification of a set of files.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Outcome {
    /// One report per verified file.
    pub reports: Vec<Report>,
    /// Files that could not be verified, with the typed error's message.
    pub errors: Vec<FileError>,
    /// Receipts found (inside archives too), for the caller to verify with `substance_score`.
    #[serde(skip)]
    pub receipts: Vec<Input>,
    /// Claims that matched no recomputed number.
    pub unused_claims: Vec<Claim>,
    /// Archive entries left out (directories, resource forks), counted.
    pub left_out: usize,
}

/// A file that could not be verified.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileError {
    /// The file.
    pub file: String,
    /// Why.
    pub message: String,
}

impl Outcome {
    /// True when every report verified and no file failed to read.
    pub fn ok(&self) -> bool {
        self.errors.is_empty() && self.reports.iter().all(|r| r.ok)
    }
}

/// Verify one file of a known format: one report, or one per model for files that hold several
/// (judgment and annotation files).
pub fn verify_file(
    format: Format,
    name: &str,
    bytes: &[u8],
    lc_files: &alpaca_eval::LcFiles,
    claims: &mut ClaimBook,
) -> Result<Vec<Report>, VerifyError> {
    let text = || input::text(bytes, name);
    match format {
        Format::MmluPro => {
            let records = mmlu_pro::read(text()?, name)?;
            Ok(vec![mmlu_pro::verify(name, &records, claims)])
        }
        Format::LmEvalResults => {
            let results = lm_eval::read_results(text()?, name)?;
            Ok(vec![lm_eval::Run::new(&results).finish(claims)])
        }
        Format::AlpacaEval => alpaca_eval::verify(name, text()?, lc_files, claims),
        Format::MtBenchSingle => mt_bench::verify_single(name, text()?, claims),
        Format::MtBenchPair => mt_bench::verify_pair(name, text()?, claims),
        Format::ArenaHardV2 => arena_hard::verify(name, text()?, ArenaVersion::V2, claims),
        Format::ArenaHardV01 => arena_hard::verify(name, text()?, ArenaVersion::V01, claims),
        Format::JudgeBench => Ok(vec![judgebench::verify(name, text()?, claims)?]),
        Format::InspectLog => Ok(vec![inspect::verify(&inspect::read_json(text()?, name)?)]),
        Format::InspectEval => {
            let (entries, _) = unzip(bytes, name)?;
            Ok(vec![inspect::verify(&inspect::read_eval(&entries, name)?)])
        }
        Format::RewardBenchScores => Ok(vec![rewardbench::verify_scores(
            name,
            text()?,
            &mut [],
            claims,
        )?]),
        Format::RewardBenchSummary => {
            let s = rewardbench::read_summary(text()?, name)?;
            Ok(vec![rewardbench::verify_summary(&s, claims)])
        }
        Format::LmEvalSamples => Err(VerifyError::Format {
            file: name.to_owned(),
            message: "an lm-eval sample log is verified with its results file (give the folder)"
                .to_owned(),
        }),
        Format::Receipt
        | Format::Zip
        | Format::AlpacaEvalLeaderboard
        | Format::AlpacaEvalLcInput => Err(VerifyError::Format {
            file: name.to_owned(),
            message: format!("{} files are not verified by this function", format.name()),
        }),
    }
}

/// Verify every input (archives opened, formats detected), using `claims` where a file carries none.
pub fn verify_inputs(inputs: Vec<Input>, claims: Vec<Claim>) -> Outcome {
    verify_streamed(inputs, Vec::new(), claims)
}

/// [`verify_inputs`] with files given as [`Streamed`] too: lm-eval sample logs among them are read
/// line by line (see [`lm_eval::Run`]); the others are read into memory in turn.
pub fn verify_streamed(inputs: Vec<Input>, streamed: Vec<Streamed>, claims: Vec<Claim>) -> Outcome {
    let mut book = ClaimBook::new(claims);
    let mut out = Outcome::default();
    // lm-eval files by folder: (results files, sample logs)
    let mut runs: std::collections::BTreeMap<String, (Vec<Input>, Vec<SampleLog>)> =
        std::collections::BTreeMap::new();
    let folder = |name: &str| {
        name.rsplit_once(['/', '\\'])
            .map_or(String::new(), |(d, _)| d.to_owned())
    };
    let mut inputs = inputs;
    for st in streamed {
        if input::text(&st.head, &st.name).is_ok_and(|t| t.trim().is_empty()) {
            out.errors.push(FileError {
                message: InputError::Empty {
                    file: st.name.clone(),
                    what: if st.head.is_empty() {
                        "empty file"
                    } else {
                        "whitespace only"
                    }
                    .to_owned(),
                }
                .to_string(),
                file: st.name,
            });
            continue;
        }
        if detect(&st.name, &st.head) == Some(Format::LmEvalSamples) {
            runs.entry(folder(&st.name))
                .or_default()
                .1
                .push(SampleLog::Streamed(st));
            continue;
        }
        let mut bytes = Vec::new();
        match (st.open)().and_then(|mut r| r.read_to_end(&mut bytes)) {
            Ok(_) => inputs.push(Input {
                name: st.name,
                bytes,
            }),
            Err(e) => out.errors.push(FileError {
                message: format!("{}: cannot read: {e}", st.name),
                file: st.name,
            }),
        }
    }
    let mut deferred: Vec<(Format, Input)> = Vec::new();
    let mut lc_files = alpaca_eval::LcFiles::default();
    let mut summaries: Vec<(rewardbench::Summary, bool)> = Vec::new();
    let mut queue: std::collections::VecDeque<(Input, usize)> =
        inputs.into_iter().map(|i| (i, 0)).collect();
    while let Some((inp, depth)) = queue.pop_front() {
        let head = &inp.bytes[..inp.bytes.len().min(1 << 16)];
        if let Err(e) = input::text(head, &inp.name)
            .and_then(|t| input::require_records(usize::from(!t.trim().is_empty()), t, &inp.name))
        {
            // an empty file is an error whatever it was meant to be (a cut head is not: only Empty counts)
            if matches!(e, InputError::Empty { .. }) {
                out.errors.push(FileError {
                    file: inp.name,
                    message: e.to_string(),
                });
                continue;
            }
        }
        match detect(&inp.name, head) {
            Some(Format::Receipt) => out.receipts.push(inp),
            Some(Format::InspectEval) => {
                let result = unzip(&inp.bytes, &inp.name)
                    .and_then(|(entries, _)| inspect::read_eval(&entries, &inp.name));
                match result {
                    Ok(log) => out.reports.push(inspect::verify(&log)),
                    Err(e) => out.errors.push(FileError {
                        file: inp.name,
                        message: e.to_string(),
                    }),
                }
            }
            Some(Format::Zip) if depth >= MAX_ARCHIVE_DEPTH => out.errors.push(FileError {
                message: format!(
                    "{}: an archive inside {MAX_ARCHIVE_DEPTH} archives is not opened",
                    inp.name
                ),
                file: inp.name,
            }),
            Some(Format::Zip) => match unzip(&inp.bytes, &inp.name) {
                Ok((entries, left_out)) => {
                    out.left_out += left_out;
                    if entries.is_empty() {
                        out.errors.push(FileError {
                            file: inp.name.clone(),
                            message: "the archive holds no files".to_owned(),
                        });
                    }
                    for (name, bytes) in entries.into_iter().rev() {
                        queue.push_front((Input { name, bytes }, depth + 1));
                    }
                }
                Err(e) => out.errors.push(FileError {
                    file: inp.name,
                    message: e.to_string(),
                }),
            },
            Some(f @ (Format::LmEvalResults | Format::LmEvalSamples)) => {
                let run = runs.entry(folder(&inp.name)).or_default();
                if f == Format::LmEvalResults {
                    run.0.push(inp);
                } else {
                    run.1.push(SampleLog::Bytes(inp));
                }
            }
            Some(Format::AlpacaEvalLeaderboard) => match input::text(&inp.bytes, &inp.name)
                .map_err(VerifyError::from)
                .and_then(|t| alpaca_eval::leaderboard_claims(t, &inp.name))
            {
                Ok(claims) => book.add_table(claims),
                Err(e) => out.errors.push(FileError {
                    file: inp.name,
                    message: e.to_string(),
                }),
            },
            Some(Format::AlpacaEvalLcInput) => {
                let base = inp.name.rsplit(['/', '\\']).next().unwrap_or("");
                let slot = if base == "df_gamed.csv" {
                    &mut lc_files.gamed
                } else {
                    &mut lc_files.difficulty
                };
                match slot {
                    Some((first, _)) => out.errors.push(FileError {
                        message: format!(
                            "{}: a second {base} (the first is {first}): give one set of length-control inputs",
                            inp.name
                        ),
                        file: inp.name,
                    }),
                    None => *slot = Some((inp.name, inp.bytes)),
                }
            }
            Some(Format::RewardBenchSummary) => match input::text(&inp.bytes, &inp.name)
                .map_err(VerifyError::from)
                .and_then(|t| rewardbench::read_summary(t, &inp.name))
            {
                Ok(s) => summaries.push((s, false)),
                Err(e) => out.errors.push(FileError {
                    file: inp.name,
                    message: e.to_string(),
                }),
            },
            Some(f) => deferred.push((f, inp)),
            None => out.errors.push(FileError {
                message: format!(
                    "{}: not a format verify reads (receipts, lm-eval results and sample logs, inspect_ai logs, MMLU-Pro predictions, AlpacaEval annotations and leaderboards, MT-Bench, Arena-Hard and JudgeBench judgments, RewardBench results, zips of them)",
                    inp.name
                ),
                file: inp.name,
            }),
        }
    }
    // after every table and length-control input has been read, whatever the order of the inputs
    for (f, inp) in deferred {
        if f == Format::RewardBenchScores {
            // with the summary of the same model, when one was given
            let result = input::text(&inp.bytes, &inp.name)
                .map_err(VerifyError::from)
                .and_then(|t| rewardbench::verify_scores(&inp.name, t, &mut summaries, &mut book));
            match result {
                Ok(r) => out.reports.push(r),
                Err(e) => out.errors.push(FileError {
                    file: inp.name,
                    message: e.to_string(),
                }),
            }
            continue;
        }
        match verify_file(f, &inp.name, &inp.bytes, &lc_files, &mut book) {
            Ok(r) => out.reports.extend(r),
            Err(e) => out.errors.push(FileError {
                file: inp.name,
                message: e.to_string(),
            }),
        }
    }
    for (s, used) in &summaries {
        if !used {
            out.reports.push(rewardbench::verify_summary(s, &mut book));
        }
    }
    for (_, (results, samples)) in runs {
        verify_lm_eval_run(results, samples, &mut book, &mut out);
    }
    out.unused_claims = book.unused();
    out
}

/// The timestamp lm-eval puts in its file names (`…_2026-12-07T00-04-26.247876.json[l]`).
fn timestamp(name: &str) -> Option<&str> {
    let stem = name.rsplit(['/', '\\']).next()?.rsplit_once('.')?.0;
    let stem = stem.strip_suffix(".json").unwrap_or(stem);
    let (_, ts) = stem.rsplit_once('_')?;
    (ts.len() >= 19 && ts.as_bytes()[4] == b'-' && ts.contains('T')).then_some(ts)
}

fn verify_lm_eval_run(
    results: Vec<Input>,
    samples: Vec<SampleLog>,
    book: &mut ClaimBook,
    out: &mut Outcome,
) {
    let several = results.len() > 1;
    let given = !results.is_empty();
    let mut parsed = Vec::new();
    for r in results {
        match input::text(&r.bytes, &r.name)
            .map_err(VerifyError::from)
            .and_then(|t| lm_eval::read_results(t, &r.name))
        {
            Ok(p) => parsed.push(p),
            Err(e) => out.errors.push(FileError {
                file: r.name,
                message: e.to_string(),
            }),
        }
    }
    let mut runs: Vec<lm_eval::Run<'_>> = parsed.iter().map(lm_eval::Run::new).collect();
    for log in samples {
        let name = log.name().to_owned();
        // several runs in one folder: a sample log pairs with the results of its timestamp
        let ts = timestamp(&name);
        let run = if several {
            runs.iter_mut()
                .find(|r| ts.is_some() && timestamp(&r.file()) == ts)
        } else {
            runs.first_mut()
        };
        let result = match run {
            Some(run) => log.read(|r| run.add_samples(&name, r)),
            // no results to compare with: the log is still read, so its own errors come first
            None => log
                .read(|r| lm_eval::read_samples_from(r, &name, |_| Ok(())))
                .and_then(|_| {
                    Err(VerifyError::Format {
                        file: name.clone(),
                        message: if !given {
                            "an lm-eval sample log without its results file beside it: nothing to compare with"
                        } else if parsed.is_empty() {
                            "not checked: the results file beside it could not be read"
                        } else {
                            "no results file of the same run (timestamp) beside it"
                        }
                        .to_owned(),
                    })
                }),
        };
        if let Err(e) = result {
            out.errors.push(FileError {
                file: name,
                message: e.to_string(),
            });
        }
    }
    for run in runs {
        out.reports.push(run.finish(book));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zstd_members_of_several_frames() {
        use ruzstd::encoding::{CompressionLevel, compress_to_vec};
        let a = b"{\"first\": \"frame\"}".repeat(100);
        let b = b"and a second one".repeat(50);
        let mut raw = compress_to_vec(&a[..], CompressionLevel::Fastest);
        raw.extend(compress_to_vec(&b[..], CompressionLevel::Fastest));
        let mut want = a.clone();
        want.extend(&b);
        assert_eq!(unzstd(&raw, 0), Ok(want));
        assert!(unzstd(b"not zstd at all", 0).is_err());
        assert!(
            unzstd(&raw[..raw.len() - 3], 0).is_err(),
            "a cut frame is an error"
        );
    }

    #[test]
    fn detection_by_name_and_content() {
        let long_header = format!(
            r#"{{"type":"header","suite":{{"x":"{}"}}}}"#,
            "a".repeat(1 << 17)
        );
        assert_eq!(
            detect("r.jsonl", &long_header.as_bytes()[..1 << 16]),
            Some(Format::Receipt)
        );
        assert_eq!(detect("x.zip", b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(
            detect("logs/2026-run.eval", b"PK\x03\x04rest"),
            Some(Format::InspectEval)
        );
        assert_eq!(
            detect(
                "log.json",
                b"{\n  \"version\": 2,\n  \"status\": \"success\",\n  \"eval\": {"
            ),
            Some(Format::InspectLog)
        );
        assert_eq!(
            detect("model_outputs_m_5shots.json", b""),
            Some(Format::MmluPro)
        );
        let mmlu = br#"[{"question_id": 1, "options": ["a"], "answer": "A", "pred": null, "model_outputs": ""}]"#;
        assert_eq!(detect("preds.json", mmlu), Some(Format::MmluPro));
        assert_eq!(
            detect("s.jsonl", br#"{"doc_id": 0, "doc": {}, "resps": []}"#),
            Some(Format::LmEvalSamples)
        );
        assert_eq!(
            detect(
                "old.jsonl",
                b"[\n  {\n    \"doc_id\": 0, \"doc\": {}, \"filtered_resps\": []}]"
            ),
            Some(Format::LmEvalSamples)
        );
        assert_eq!(
            detect("dir/results_2026.json", b"{\n  \"results\": {}"),
            Some(Format::LmEvalResults)
        );
        assert_eq!(
            detect("notes.json", b"{\"results\": {}}"),
            None,
            "results need the file name"
        );
        assert_eq!(detect("README.txt", b"hello"), None);
        let jsonl = |name: &str, line: &str| detect(name, line.as_bytes());
        assert_eq!(
            jsonl("a.jsonl", r#"{"uid": "x", "model": "m", "games": []}"#),
            Some(Format::ArenaHardV2)
        );
        assert_eq!(
            jsonl(
                "a.jsonl",
                r#"{"question_id": 1, "model": "m", "games": []}"#
            ),
            Some(Format::ArenaHardV01)
        );
        assert_eq!(
            jsonl(
                "j.jsonl",
                r#"{"question_id": 1, "model": "m", "judge": ["gpt-4", "single-v1"], "score": 7, "turn": 1}"#
            ),
            Some(Format::MtBenchSingle)
        );
        assert_eq!(
            jsonl(
                "j.jsonl",
                r#"{"question_id": 1, "model_1": "a", "model_2": "b", "g1_winner": "tie", "g2_winner": "tie"}"#
            ),
            Some(Format::MtBenchPair)
        );
        assert_eq!(
            jsonl(
                "o.jsonl",
                r#"{"pair_id": "p", "source": "livecodebench", "label": "A>B", "judgments": []}"#
            ),
            Some(Format::JudgeBench)
        );
        assert_eq!(
            jsonl(
                "annotations.json",
                r#"[{"generator_1": "b", "generator_2": "m", "preference": 1.5}]"#
            ),
            Some(Format::AlpacaEval)
        );
        assert_eq!(
            jsonl(
                "x_leaderboard.csv",
                ",win_rate,standard_error,n_total\nm,1,2,3\n"
            ),
            Some(Format::AlpacaEvalLeaderboard)
        );
        assert_eq!(
            jsonl("dir/df_gamed.csv", "a,b\n"),
            Some(Format::AlpacaEvalLcInput)
        );
        assert_eq!(
            jsonl(
                "rm.json",
                "{\n    \"alpacaeval-easy\": 0.9,\n    \"model\": \"m\",\n    \"model_type\": \"DPO\"\n}"
            ),
            Some(Format::RewardBenchSummary)
        );
        assert_eq!(
            jsonl(
                "eval-set-scores/org/m.json",
                "{\n    \"chat_template\": null,\n    \"model\": \"m\",\n    \"model_type\": \"DPO\",\n    \"prompt\": [\"a very long"
            ),
            Some(Format::RewardBenchScores)
        );
    }
}
