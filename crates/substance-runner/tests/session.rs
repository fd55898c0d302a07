//! The sans-IO session: out-of-order completion, resume from every possible cut of a journal, header and
//! journal errors.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use substance_core::{ModelInfo, Response, Seeds, Selection};
use substance_runner::{
    LanguageModel, ReplayModel, Request, RunError, RunOptions, RunSession, drive, run,
};

mod common;
use common::{ITEMS, REPLAY, SUITE_TOML, suite};

fn model() -> ReplayModel {
    ReplayModel::parse(REPLAY, "replay.jsonl").unwrap()
}

fn opts(selection: Selection) -> RunOptions {
    RunOptions {
        selection,
        seeds: Seeds {
            bootstrap: 7,
            bootstrap_resamples: 40,
            sampling: None,
        },
        created: None,
    }
}

fn full_receipt(sel: Selection) -> String {
    let mut out = Vec::new();
    run(&suite(), &mut model(), &opts(sel), &mut out, |_, _| {}).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn out_of_order_completion_writes_the_same_receipt() {
    let expected = full_receipt(Selection::default());
    let s = suite();
    let mut m = model();
    let mut session = RunSession::new(&s, m.info(), &opts(Selection::default())).unwrap();
    let mut text = session.header_line().unwrap();
    let mut pending = Vec::new();
    while let Some(p) = session.next_request().unwrap() {
        pending.push(p);
    }
    assert_eq!(session.in_flight(), 5);
    // Complete in the order 3, 1, 4, 0, 2: lines only come out once their predecessors are done.
    let mut emitted_after = Vec::new();
    for k in [3usize, 1, 4, 0, 2] {
        let p = &pending[k];
        let Request::LogLikelihood(pairs) = &p.request else {
            panic!("mc suite asks for log-likelihoods")
        };
        let choices = m.loglikelihood(&p.item, pairs).unwrap();
        let lines = session
            .complete(
                p.index,
                Response::LogLikelihood {
                    choices,
                    unconditional: None,
                },
            )
            .unwrap();
        emitted_after.push(lines.len());
        for l in lines {
            text.push_str(&l.text);
        }
    }
    assert_eq!(emitted_after, vec![0, 0, 0, 2, 3]);
    text.push_str(&session.finish().unwrap().text);
    assert_eq!(text, expected);
}

#[test]
fn completing_twice_or_with_the_wrong_kind_is_an_error() {
    let s = suite();
    let mut session = RunSession::new(&s, model().info(), &opts(Selection::default())).unwrap();
    let p = session.next_request().unwrap().unwrap();
    let e = session
        .complete(
            p.index,
            Response::Generation {
                text: "4".into(),
                finish_reason: None,
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
    let e = session
        .complete(
            p.index,
            Response::LogLikelihood {
                choices: vec![],
                unconditional: None,
            },
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("0 log-likelihoods for 2 choices"),
        "{e}"
    );
    let e = session.complete(
        4,
        Response::LogLikelihood {
            choices: vec![],
            unconditional: None,
        },
    );
    assert!(e.unwrap_err().to_string().contains("not handed out"));
    let e = RunSession::new(&s, model().info(), &opts(Selection::default()))
        .unwrap()
        .finish()
        .unwrap_err();
    assert!(e.to_string().contains("0 of 5"), "{e}");
}

/// Cut the journal (the receipt without its summary) at every byte, resume, finish: the result is always
/// the uninterrupted receipt, byte for byte.
#[test]
fn resume_from_every_cut_gives_the_uninterrupted_receipt() {
    for sel in [
        Selection::default(),
        Selection {
            limit: Some(2),
            shard: Some([1, 2]),
        },
    ] {
        let expected = full_receipt(sel.clone());
        let s = suite();
        let body_end = expected.trim_end_matches('\n').rfind('\n').unwrap() + 1;
        let n_lines = expected.lines().count();
        for cut in 0..=expected.len() {
            let journal = &expected.as_bytes()[..cut];
            let mut m = model();
            let (session, resumed) =
                RunSession::resume(&s, m.info(), &opts(sel.clone()), journal).unwrap();
            let keep = usize::try_from(resumed.keep_bytes).unwrap();
            assert!(keep <= cut);
            // A cut inside a line drops exactly that torn line.
            let at_line_end = cut == 0 || expected.as_bytes()[cut - 1] == b'\n';
            assert_eq!(resumed.dropped_torn_line, !at_line_end, "cut {cut}");
            assert_eq!(resumed.dropped_summary, cut == expected.len());
            if cut <= body_end {
                assert_eq!(
                    resumed.kept_items,
                    expected[..keep].lines().count().saturating_sub(1)
                );
            } else {
                assert_eq!(resumed.kept_items, n_lines - 2);
            }
            let mut out = journal[..keep].to_vec();
            if keep == 0 {
                out.extend_from_slice(session.header_line().unwrap().as_bytes());
            }
            drive(session, &mut m, &mut out, |_, _| {}).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                expected,
                "cut at byte {cut}"
            );
        }
    }
}

#[test]
fn resume_refuses_another_run_and_names_the_field() {
    let journal = full_receipt(Selection::default());
    let s = suite();
    let err = |sel: Selection, info: ModelInfo, seeds: Option<Seeds>| {
        let mut o = opts(sel);
        if let Some(seeds) = seeds {
            o.seeds = seeds;
        }
        match RunSession::resume(&s, info, &o, journal.as_bytes()) {
            Err(RunError::ResumeMismatch { field, .. }) => field,
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("resumed a different run"),
        }
    };
    let info = model().info();
    assert_eq!(
        err(
            Selection {
                limit: Some(3),
                shard: None
            },
            info.clone(),
            None
        ),
        "selection"
    );
    let mut other = info.clone();
    other.id = "replay:other.jsonl".into();
    assert_eq!(err(Selection::default(), other, None), "model.id");
    let seeds = Seeds {
        bootstrap: 8,
        bootstrap_resamples: 40,
        sampling: None,
    };
    assert_eq!(
        err(Selection::default(), info.clone(), Some(seeds)),
        "seeds"
    );
    // Another suite version: the hash differs first.
    let edited = ITEMS.replace("Jupiter", "Saturn");
    let s2 = substance_suite::load_suite_from_parts(SUITE_TOML, &edited, None, "mem").unwrap();
    let e = RunSession::resume(&s2, info, &opts(Selection::default()), journal.as_bytes())
        .err()
        .unwrap();
    assert!(e.to_string().contains("`suite.sha256` differs"), "{e}");
}

#[test]
fn resume_rejects_edited_or_misplaced_lines_naming_the_line() {
    let journal = full_receipt(Selection::default());
    let s = suite();
    let info = model().info();
    let lines: Vec<&str> = journal.lines().collect();
    // An edited response (digest no longer matches) on line 3.
    let edited = journal.replacen("-7.0", "-1.0", 1);
    let e = RunSession::resume(
        &s,
        info.clone(),
        &opts(Selection::default()),
        edited.as_bytes(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("journal line 3"), "{e}");
    assert!(e.to_string().contains("digest"), "{e}");
    // A duplicated item line (line 2 repeated as line 3).
    let dup = format!("{}\n{}\n{}\n{}\n", lines[0], lines[1], lines[1], lines[2]);
    let e = RunSession::resume(
        &s,
        info.clone(),
        &opts(Selection::default()),
        dup.as_bytes(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("journal line 3"), "{e}");
    assert!(e.to_string().contains("expected 1"), "{e}");
    // Garbage in the middle (not the last line) is not a torn write.
    let garbage = format!("{}\n{{oops\n{}\n", lines[0], lines[1]);
    let e = RunSession::resume(&s, info, &opts(Selection::default()), garbage.as_bytes())
        .err()
        .unwrap();
    assert!(e.to_string().contains("journal line 2"), "{e}");
}

/// A replayed model that waits before answering: longer for earlier items, so concurrent workers
/// finish out of order; it can also fail on one item.
struct Slow {
    inner: ReplayModel,
    fail_on: Option<&'static str>,
}

impl LanguageModel for Slow {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }
    fn loglikelihood(
        &mut self,
        item: &substance_core::Item,
        requests: &[[String; 2]],
    ) -> Result<Vec<substance_core::ChoiceLogLik>, String> {
        let k: u64 = item.id[1..].parse().unwrap();
        std::thread::sleep(std::time::Duration::from_millis((6 - k) * 15));
        if self.fail_on == Some(item.id.as_str()) {
            return Err("refused".into());
        }
        self.inner.loglikelihood(item, requests)
    }
    fn generate(
        &mut self,
        item: &substance_core::Item,
        prompt: &substance_core::Prompt,
        settings: &substance_core::GenerationSpec,
    ) -> Result<Response, String> {
        self.inner.generate(item, prompt, settings)
    }
}

#[test]
fn concurrent_drive_writes_the_sequential_receipt_and_stops_at_the_first_failure() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let expected = full_receipt(Selection::default());
    let s = suite();
    let opened = AtomicUsize::new(0);
    for fail_on in [None, Some("q2")] {
        let open_more = || -> Result<Box<dyn LanguageModel>, String> {
            opened.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(Slow {
                inner: model(),
                fail_on,
            }))
        };
        let mut m = Slow {
            inner: model(),
            fail_on,
        };
        let session = RunSession::new(&s, m.info(), &opts(Selection::default())).unwrap();
        let mut out = session.header_line().unwrap().into_bytes();
        let mut seen = Vec::new();
        let r = substance_runner::drive_concurrent(
            session,
            &mut m,
            &open_more,
            3,
            &mut out,
            |done, total| seen.push((done, total)),
        );
        let text = String::from_utf8(out).unwrap();
        match fail_on {
            None => {
                r.unwrap();
                assert_eq!(text, expected);
                assert_eq!(seen.last(), Some(&(5, 5)));
                assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
            }
            Some(id) => {
                let e = r.unwrap_err().to_string();
                assert!(e.contains(id), "{e}");
                // q1 is kept (it precedes the failure), nothing after q2 is written.
                assert_eq!(text.lines().count(), 2, "{text}");
                assert!(expected.starts_with(&text));
            }
        }
    }
    assert_eq!(
        opened.load(Ordering::SeqCst),
        4,
        "two extra workers per run"
    );
}
