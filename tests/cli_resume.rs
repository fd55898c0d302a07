//! End-to-end tests of `substance run --resume`: an interrupted receipt (cut at any byte, or left by a
//! `kill -9` in the middle of a run) is continued into the receipt an uninterrupted run writes, and a
//! receipt of another run is refused with the differing field named and the file left as it was.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use substance_core::ReceiptLine;
use substance_endpoint::server::{ApiFailure, ServeBackend, Server};
use substance_endpoint::{
    ChatCompletionRequest, ChatCompletionResponse, CompletionChoice, CompletionPrompt,
    CompletionRequest, CompletionResponse, ModelList,
};

mod support;
use support::{bin, repo, run_ok};

fn output(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verify(receipt: &Path, suite: &Path) {
    let (ok, stdout, stderr) = output(bin().arg("verify").arg(receipt).arg("--suite").arg(suite));
    assert!(
        ok,
        "{} does not verify:\n{stdout}{stderr}",
        receipt.display()
    );
    assert!(stdout.starts_with("OK"), "{stdout}");
}

/// Recorded log-likelihoods for every item of the bundled knowledge suite (made up, deterministic, with
/// non-trivial floats so the JSON round trip is exercised).
fn knowledge_replay(dir: &Path) -> PathBuf {
    let items =
        std::fs::read_to_string(repo().join("suites/sample-knowledge/items.jsonl")).unwrap();
    let mut lines = String::new();
    for (i, l) in items.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let n = v["choices"].as_array().unwrap().len();
        let choices: Vec<serde_json::Value> = (0..n)
            .map(|j| {
                let ll = -(((i * 7 + j * 3) % 11) as f64) - 0.1 * (j as f64 + 1.0) / 3.0;
                serde_json::json!({"ll": ll, "is_greedy": (i + j) % 4 == 0})
            })
            .collect();
        let line = serde_json::json!({"id": v["id"], "response": {"kind": "log_likelihood", "choices": choices}});
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    let p = dir.join("knowledge-replay.jsonl");
    std::fs::write(&p, lines).unwrap();
    p
}

fn run_cmd(suite: &Path, model: &str, out: &Path) -> Command {
    let mut cmd = bin();
    cmd.arg("run")
        .arg(suite)
        .arg("--model")
        .arg(model)
        .args(["--bootstrap", "200", "--out"])
        .arg(out);
    cmd
}

/// Byte offset just after the `n`-th newline (1-based), i.e. the end of line `n`.
fn end_of_line(text: &[u8], n: usize) -> usize {
    text.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(n - 1)
        .map(|(i, _)| i + 1)
        .unwrap()
}

fn item_ids(receipt: &Path) -> Vec<String> {
    std::fs::read_to_string(receipt)
        .unwrap()
        .lines()
        .filter_map(|l| match serde_json::from_str::<ReceiptLine>(l).unwrap() {
            ReceiptLine::Item(r) => Some(r.id),
            _ => None,
        })
        .collect()
}

/// Cut a finished receipt at several byte offsets (empty file, inside the header, after it, inside and
/// between item lines, without the summary, inside the summary, untouched), leave the cut as `<out>` or
/// as `<out>.partial`, and `run --resume`: the receipt is byte for byte the uninterrupted one (the CLI
/// records no creation time) and verifies; stderr says what was kept and dropped.
#[test]
fn resume_after_a_cut_at_any_offset_gives_the_uninterrupted_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let suite = repo().join("suites/sample-knowledge");
    let model = format!("replay:{}", knowledge_replay(dir.path()).display());
    let full_path = dir.path().join("full.jsonl");
    run_ok(&mut run_cmd(&suite, &model, &full_path));
    let full = std::fs::read(&full_path).unwrap();
    let n_lines = full.iter().filter(|b| **b == b'\n').count();
    assert_eq!(n_lines, 42, "header + 40 items + summary");
    let header_end = end_of_line(&full, 1);
    let body_end = end_of_line(&full, n_lines - 1);
    let cuts = [
        (0, 0),
        (header_end / 2, 0),
        (header_end, 0),
        (header_end + 17, 0),
        (end_of_line(&full, 4), 3),
        (end_of_line(&full, 8) + 200, 7),
        (end_of_line(&full, 21) - 1, 19),
        (body_end, 40),
        (body_end + 30, 40),
        (full.len(), 40),
    ];
    for (k, &(cut, kept)) in cuts.iter().enumerate() {
        let out = dir.path().join(format!("cut{k}.jsonl"));
        // Alternate where the journal lies: the run's own `.partial`, or a cut copy given as `--out`.
        let journal = if k % 2 == 0 {
            PathBuf::from(format!("{}.partial", out.display()))
        } else {
            out.clone()
        };
        std::fs::write(&journal, &full[..cut]).unwrap();
        let res = run_ok(run_cmd(&suite, &model, &out).arg("--resume"));
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert!(
            stderr.contains(&format!("kept {kept} of 40 items")),
            "cut at {cut}: {stderr}"
        );
        let torn = cut > 0 && full[cut - 1] != b'\n';
        assert_eq!(
            stderr.contains("dropped a torn last line"),
            torn,
            "cut at {cut}: {stderr}"
        );
        assert_eq!(
            stderr.contains("summary is written again"),
            cut == full.len(),
            "cut at {cut}: {stderr}"
        );
        let got = std::fs::read(&out).unwrap();
        assert!(
            got == full,
            "cut at byte {cut}: the resumed receipt differs"
        );
        assert!(
            !Path::new(&format!("{}.partial", out.display())).exists(),
            "the .partial file became the receipt"
        );
        verify(&out, &suite);
    }
    // `--resume` with nothing to resume is a fresh run.
    let fresh = dir.path().join("fresh.jsonl");
    let res = run_ok(run_cmd(&suite, &model, &fresh).arg("--resume"));
    assert!(String::from_utf8_lossy(&res.stderr).contains("nothing to resume"));
    assert_eq!(std::fs::read(&fresh).unwrap(), full);
}

/// A receipt of another run is refused: the error names the differing header field, and the journal
/// is left byte for byte as it was (not moved, not cut).
#[test]
fn resume_of_another_run_names_the_field_and_leaves_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let suite = repo().join("suites/sample-knowledge");
    let replay = knowledge_replay(dir.path());
    let model = format!("replay:{}", replay.display());
    let full_path = dir.path().join("full.jsonl");
    run_ok(&mut run_cmd(&suite, &model, &full_path));
    let full = std::fs::read(&full_path).unwrap();
    let cut = end_of_line(&full, 6) + 40;
    // Another model: the same responses under another file name (the replay id names the file).
    let other_replay = dir.path().join("other-replay.jsonl");
    std::fs::copy(&replay, &other_replay).unwrap();
    let other_model = format!("replay:{}", other_replay.display());
    // Another suite: one item changed in a copy of the suite.
    let other_suite = dir.path().join("sample-knowledge");
    std::fs::create_dir_all(&other_suite).unwrap();
    for f in ["suite.toml", "items.jsonl", "fewshot.jsonl"] {
        std::fs::copy(suite.join(f), other_suite.join(f)).unwrap();
    }
    let items = std::fs::read_to_string(other_suite.join("items.jsonl"))
        .unwrap()
        .replacen("Nitrogen", "Nitrogen gas", 1);
    std::fs::write(other_suite.join("items.jsonl"), items).unwrap();
    let cases: [(&Path, &str, &[&str], &str); 4] = [
        (&suite, &other_model, &[], "`model.id` differs"),
        (&other_suite, &model, &[], "`suite.sha256` differs"),
        (&suite, &model, &["--limit", "5"], "`selection` differs"),
        (&suite, &model, &["--seed", "9"], "`seeds` differs"),
    ];
    for (k, (s, m, extra, want)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("other{k}.jsonl"));
        let partial = PathBuf::from(format!("{}.partial", out.display()));
        let journal = if k % 2 == 0 { &partial } else { &out };
        std::fs::write(journal, &full[..cut]).unwrap();
        let (ok, _, stderr) = output(run_cmd(s, m, &out).args(*extra).arg("--resume"));
        assert!(!ok, "resumed another run: {stderr}");
        assert!(stderr.contains(want), "{want}: {stderr}");
        assert!(
            stderr.contains(&journal.display().to_string()),
            "names the file: {stderr}"
        );
        assert_eq!(std::fs::read(journal).unwrap(), &full[..cut], "{want}");
        let other = if k % 2 == 0 { &out } else { &partial };
        assert!(!other.exists(), "{want}: {} was created", other.display());
    }
}

/// A scripted completion endpoint that answers the prompts of some items at once and holds every other
/// request until [`Gated::open`] — so a run (with several requests in flight) can be killed at a known
/// point, deterministically.
struct Gated {
    /// Inputs of the items answered at once (a prompt is answered when it contains one).
    answer_at_once: Vec<String>,
    requests: AtomicUsize,
    open: Mutex<bool>,
    wake: Condvar,
}

impl Gated {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.wake.notify_all();
    }
}

impl ServeBackend for Gated {
    fn models(&self) -> ModelList {
        ModelList {
            object: "list".into(),
            data: vec![],
        }
    }
    fn completions(&self, req: CompletionRequest) -> Result<CompletionResponse, ApiFailure> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let CompletionPrompt::Text(prompt) = &req.prompt else {
            return Err(ApiFailure::bad_request("one text prompt"));
        };
        if !self
            .answer_at_once
            .iter()
            .any(|i| prompt.contains(i.as_str()))
        {
            let mut open = self.open.lock().unwrap();
            while !*open {
                open = self.wake.wait(open).unwrap();
            }
        }
        // The answer depends on the prompt only: every run gets the same responses.
        let text = format!(" Let me think.\n#### {}", prompt.len() % 97);
        Ok(CompletionResponse {
            id: "x".into(),
            object: "text_completion".into(),
            created: 0,
            model: req.model,
            choices: vec![CompletionChoice {
                text,
                index: 0,
                logprobs: None,
                finish_reason: Some("stop".into()),
            }],
            usage: None,
        })
    }
    fn chat(&self, _: ChatCompletionRequest) -> Result<ChatCompletionResponse, ApiFailure> {
        Err(ApiFailure::bad_request("completions only"))
    }
}

/// `kill -9` in the middle of a run, then `--resume`: every item of the selection is in the receipt
/// exactly once, in order, the receipt verifies, and it equals an uninterrupted run's byte for byte.
///
/// The run keeps 8 requests in flight (the default `--concurrency`); the model is a scripted endpoint
/// that answers the first 5 items and holds the requests of the others, so the run is certainly
/// mid-way (5 items flushed, later ones in flight) when it is killed.
#[test]
fn kill_9_mid_run_then_resume_scores_every_item_once() {
    let dir = tempfile::tempdir().unwrap();
    let suite = repo().join("suites/sample-math");
    let answer_at_once: Vec<String> = std::fs::read_to_string(suite.join("items.jsonl"))
        .unwrap()
        .lines()
        .take(5)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["input"].as_str().unwrap().to_owned()
        })
        .collect();
    let backend = Arc::new(Gated {
        answer_at_once,
        requests: AtomicUsize::new(0),
        open: Mutex::new(false),
        wake: Condvar::new(),
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = Server::start(listener, backend.clone(), Default::default()).unwrap();
    let model = format!("http://{}/v1#gated", server.local_addr());
    let out = dir.path().join("math.jsonl");
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    let mut child = run_cmd(&suite, &model, &out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the header and the 5 answered items to be on disk.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let lines = std::fs::read(&partial)
            .map(|b| b.iter().filter(|c| **c == b'\n').count())
            .unwrap_or(0);
        if lines >= 6 && backend.requests.load(Ordering::SeqCst) > 5 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended before it was killed: {status}");
        }
        assert!(Instant::now() < deadline, "the run made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL (Child::kill sends SIGKILL on Unix): no destructor, no flush, no rename.
    child.kill().unwrap();
    child.wait().unwrap();
    backend.open();
    assert!(
        !out.exists(),
        "a killed run must not leave a complete-looking receipt"
    );
    let journal = std::fs::read(&partial).unwrap();
    assert_eq!(journal.iter().filter(|c| **c == b'\n').count(), 6);

    let res = run_ok(run_cmd(&suite, &model, &out).arg("--resume"));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("kept 5 of 30 items"), "{stderr}");
    let resumed = std::fs::read(&out).unwrap();
    assert!(
        resumed.starts_with(&journal),
        "the kept lines are kept as they were"
    );
    let ids = item_ids(&out);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), 30, "every item of the selection");
    assert_eq!(unique.len(), 30, "each item once: {ids:?}");
    verify(&out, &suite);

    // The same run without interruption (same endpoint, so the same model id) writes the same bytes.
    let straight = dir.path().join("straight.jsonl");
    run_ok(&mut run_cmd(&suite, &model, &straight));
    assert!(
        std::fs::read(&straight).unwrap() == resumed,
        "resumed receipt differs from an uninterrupted run's"
    );
    server.shutdown();
}
