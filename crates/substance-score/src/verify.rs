//! Streaming receipt verification.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;

use serde::Serialize;
use substance_core::hash::ListDigest;
use substance_core::receipt::ITEMS_DIGEST_TAG;
use substance_core::{
    Aggregate, Header, ItemRecord, ReceiptError, ReceiptLine, ReceiptReader, SELECTION_DIGEST_TAG,
    Score, Suite, Summary,
};

use crate::TOLERANCE;
use crate::aggregate::Aggregator;
use crate::scorers::score_item;

/// One disagreement between what a receipt claims and what was recomputed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// 1-based receipt line (0 when the problem is the receipt as a whole).
    pub line: usize,
    /// Item index, for item lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Item id, for item lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// What was compared (`item_sha256`, `digest`, `scores.acc`, `summary.metrics.acc.value`, …).
    pub field: String,
    /// The value the receipt claims.
    pub claimed: String,
    /// The value recomputed here.
    pub recomputed: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    /// True when nothing mismatched and the receipt is complete.
    pub ok: bool,
    /// Suite name and version from the header.
    pub suite: Option<String>,
    /// Model id from the header.
    pub model: Option<String>,
    /// Item lines read.
    pub items_checked: usize,
    /// Whether the suite file itself was available (then suite hash and prompts were checked too).
    pub suite_checked: bool,
    /// Every disagreement, in line order.
    pub mismatches: Vec<Mismatch>,
    /// The summary recomputed from the item lines.
    pub recomputed: Option<Summary>,
}

impl VerifyReport {
    /// Ids of the items with at least one mismatch, in order, without repeats.
    pub fn mismatching_items(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.mismatches
            .iter()
            .filter_map(|m| m.item.as_deref())
            .filter(|i| seen.insert(*i))
            .collect()
    }
}

/// Feeds receipt lines one at a time; [`Verifier::finish`] returns the report.
pub struct Verifier<'a> {
    suite: Option<&'a Suite>,
    header: Option<Header>,
    agg: Aggregator,
    selection: ListDigest,
    items: ListDigest,
    n: usize,
    last_index: Option<usize>,
    /// Suite index of every item line read, in order.
    seen: Vec<usize>,
    ids: HashSet<String>,
    mismatches: Vec<Mismatch>,
    summary: Option<(usize, Summary)>,
    fatal: bool,
}

fn fmt_f(x: f64) -> String {
    format!("{x}")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE || (a.is_nan() && b.is_nan())
}

impl<'a> Verifier<'a> {
    /// A verifier; pass the suite when it is at hand to also check the suite hash, the item contents
    /// against the suite and every prompt.
    pub fn new(suite: Option<&'a Suite>) -> Self {
        Self {
            suite,
            header: None,
            agg: Aggregator::new(),
            selection: ListDigest::new(SELECTION_DIGEST_TAG),
            items: ListDigest::new(ITEMS_DIGEST_TAG),
            n: 0,
            last_index: None,
            seen: Vec::new(),
            ids: HashSet::new(),
            mismatches: Vec::new(),
            summary: None,
            fatal: false,
        }
    }

    fn report(
        &mut self,
        line: usize,
        rec: Option<&ItemRecord>,
        field: impl Into<String>,
        claimed: impl Into<String>,
        recomputed: impl Into<String>,
    ) {
        self.mismatches.push(Mismatch {
            line,
            index: rec.map(|r| r.index),
            item: rec.map(|r| r.id.clone()),
            field: field.into(),
            claimed: claimed.into(),
            recomputed: recomputed.into(),
        });
    }

    /// Record a read error (the receipt is unreadable from this line on).
    pub fn push_error(&mut self, err: &ReceiptError) {
        let line = match err {
            ReceiptError::Io { line, .. }
            | ReceiptError::Json { line, .. }
            | ReceiptError::LineTooLong { line, .. }
            | ReceiptError::Structure { line, .. }
            | ReceiptError::Schema { line, .. } => *line,
        };
        self.report(line, None, "receipt", "readable receipt", err.to_string());
        self.fatal = true;
    }

    /// Feed one parsed line (`line` is its 1-based number).
    pub fn push(&mut self, line: usize, parsed: ReceiptLine) {
        match parsed {
            ReceiptLine::Header(h) => self.push_header(line, *h),
            ReceiptLine::Item(r) => self.push_item(line, &r),
            ReceiptLine::Summary(s) => self.summary = Some((line, *s)),
        }
    }

    fn push_header(&mut self, line: usize, h: Header) {
        if let Err(e) = h.suite.spec.validate("receipt header") {
            self.report(line, None, "suite.spec", "valid suite spec", e.to_string());
        }
        match h.selection.len(h.suite.n_items) {
            None => self.report(
                line,
                None,
                "selection.shard",
                format!("{:?}", h.selection.shard.unwrap_or_default()),
                "a shard [i, n] with 0 ≤ i < n",
            ),
            Some(0) => self.report(
                line,
                None,
                "selection",
                format!("{} of {} items", 0, h.suite.n_items),
                "at least one item (a receipt of no items scores 0 / 0)",
            ),
            Some(_) => {}
        }
        if let Some(suite) = self.suite {
            match suite.sha256() {
                Ok(sha) if sha != h.suite.sha256 => {
                    self.report(line, None, "suite.sha256", h.suite.sha256.clone(), sha)
                }
                Ok(_) => {}
                Err(e) => self.report(
                    line,
                    None,
                    "suite.sha256",
                    h.suite.sha256.clone(),
                    e.to_string(),
                ),
            }
            if suite.spec != h.suite.spec {
                self.report(
                    line,
                    None,
                    "suite.spec",
                    "the spec in the receipt",
                    "differs from the suite file",
                );
            }
            if suite.items.len() != h.suite.n_items {
                self.report(
                    line,
                    None,
                    "suite.n_items",
                    h.suite.n_items.to_string(),
                    suite.items.len().to_string(),
                );
            }
        }
        self.header = Some(h);
    }

    fn push_item(&mut self, line: usize, rec: &ItemRecord) {
        let Some(header) = self.header.clone() else {
            return;
        };
        self.n += 1;
        let r = Some(rec);
        match rec.item.sha256() {
            Ok(h) if h != rec.item_sha256 => {
                self.report(line, r, "item_sha256", rec.item_sha256.clone(), h)
            }
            Ok(_) => {}
            Err(e) => self.report(
                line,
                r,
                "item_sha256",
                rec.item_sha256.clone(),
                e.to_string(),
            ),
        }
        match rec.compute_digest() {
            Ok(d) if d != rec.digest => self.report(line, r, "digest", rec.digest.clone(), d),
            Ok(_) => {}
            Err(e) => self.report(line, r, "digest", rec.digest.clone(), e.to_string()),
        }
        self.selection.push(&rec.item_sha256);
        self.items.push(&rec.digest);
        if rec.id != rec.item.id {
            self.report(line, r, "id", rec.id.clone(), rec.item.id.clone());
        }
        if !self.ids.insert(rec.item.id.clone()) {
            self.report(
                line,
                r,
                "id",
                "unique item id",
                "appears twice in the receipt",
            );
        }
        if self.last_index.is_some_and(|l| rec.index <= l) || rec.index >= header.suite.n_items {
            self.report(
                line,
                r,
                "index",
                rec.index.to_string(),
                format!("increasing and < {}", header.suite.n_items),
            );
        } else if !header.selection.contains(header.suite.n_items, rec.index) {
            self.report(
                line,
                r,
                "index",
                rec.index.to_string(),
                "an item of the header's selection (limit / shard)",
            );
        }
        self.last_index = Some(rec.index);
        self.seen.push(rec.index);
        if let Some(suite) = self.suite {
            match suite.items.get(rec.index) {
                Some(it) if *it != rec.item => self.report(
                    line,
                    r,
                    "item",
                    "the item in the receipt",
                    "differs from the suite file",
                ),
                None => self.report(
                    line,
                    r,
                    "index",
                    rec.index.to_string(),
                    "no such item in the suite file",
                ),
                Some(_) => match substance_suite::build_prompt(suite, rec.index) {
                    Ok(p) if p != rec.prompt => {
                        let show = |p: &substance_core::Prompt| {
                            serde_json::to_string(p).unwrap_or_default()
                        };
                        self.report(line, r, "prompt", show(&rec.prompt), show(&p));
                    }
                    Ok(_) => {}
                    Err(e) => self.report(line, r, "prompt", "a buildable prompt", e.to_string()),
                },
            }
        }
        match score_item(&header.suite.spec, &rec.item, &rec.response) {
            Ok(scores) => {
                compare_scores(&rec.scores, &scores, |f, c, n| {
                    self.report(line, r, f, c, n)
                });
                self.agg.push(rec.item.group.as_deref(), &scores);
            }
            Err(e) => self.report(line, r, "scores", "scorable response", e.to_string()),
        }
    }

    /// Finish: compare the summary and return the report.
    pub fn finish(mut self) -> VerifyReport {
        let mut recomputed = None;
        if let Some(h) = self.header.clone() {
            let (metrics, groups) = self
                .agg
                .finish(h.seeds.bootstrap, h.seeds.bootstrap_resamples);
            let ours = Summary {
                n_items: self.n,
                selection_sha256: self.selection.clone().finish(),
                items_digest: self.items.clone().finish(),
                metrics,
                groups,
            };
            self.check_coverage(&h);
            match self.summary.take() {
                Some((line, claimed)) => self.compare_summary(line, &claimed, &ours),
                None if !self.fatal => self.report(
                    0,
                    None,
                    "summary",
                    "a summary line",
                    "missing (interrupted run?)",
                ),
                None => {}
            }
            recomputed = Some(ours);
        } else if !self.fatal {
            self.report(0, None, "header", "a header line", "missing");
        }
        VerifyReport {
            ok: self.mismatches.is_empty(),
            suite: self
                .header
                .as_ref()
                .map(|h| format!("{} {}", h.suite.name, h.suite.version)),
            model: self.header.as_ref().map(|h| h.model.id.clone()),
            items_checked: self.n,
            suite_checked: self.suite.is_some(),
            mismatches: self.mismatches,
            recomputed,
        }
    }

    /// Every item the header's selection covers must have its line: a receipt with item lines deleted
    /// (and a summary recomputed over the rest) would otherwise verify. Names the first missing items.
    fn check_coverage(&mut self, h: &Header) {
        if self.fatal {
            return;
        }
        let Some(expected) = h.selection.len(h.suite.n_items) else {
            return;
        };
        let covered = self
            .seen
            .iter()
            .filter(|&&k| h.selection.contains(h.suite.n_items, k))
            .count();
        if covered >= expected {
            return;
        }
        // Walk the selection beside the (increasing) indices read, up to a few missing ones: bounded by
        // the lines read, whatever the header claims.
        let mut missing = Vec::new();
        let mut read = self.seen.iter().peekable();
        let mut j = 0;
        while missing.len() < 5 {
            let Some(k) = h.selection.nth(h.suite.n_items, j) else {
                break;
            };
            while read.next_if(|&&r| r < k).is_some() {}
            if read.next_if(|&&r| r == k).is_none() {
                missing.push(k.to_string());
            }
            j += 1;
        }
        let more = if expected - covered > missing.len() {
            ", …"
        } else {
            ""
        };
        self.report(
            0,
            None,
            "items",
            format!("{covered} item lines of the selection"),
            format!(
                "{expected} items selected by the header; missing indices {}{more}",
                missing.join(", ")
            ),
        );
    }

    fn compare_summary(&mut self, line: usize, claimed: &Summary, ours: &Summary) {
        if claimed.n_items != ours.n_items {
            self.report(
                line,
                None,
                "summary.n_items",
                claimed.n_items.to_string(),
                ours.n_items.to_string(),
            );
        }
        if claimed.selection_sha256 != ours.selection_sha256 {
            self.report(
                line,
                None,
                "summary.selection_sha256",
                claimed.selection_sha256.clone(),
                ours.selection_sha256.clone(),
            );
        }
        if claimed.items_digest != ours.items_digest {
            self.report(
                line,
                None,
                "summary.items_digest",
                claimed.items_digest.clone(),
                ours.items_digest.clone(),
            );
        }
        let mut found = Vec::new();
        compare_aggregates(
            "summary.metrics",
            &claimed.metrics,
            &ours.metrics,
            &mut found,
        );
        let empty = BTreeMap::new();
        let groups: std::collections::BTreeSet<&String> =
            claimed.groups.keys().chain(ours.groups.keys()).collect();
        for g in groups {
            let c = claimed.groups.get(g).unwrap_or(&empty);
            let o = ours.groups.get(g).unwrap_or(&empty);
            compare_aggregates(&format!("summary.groups.{g}"), c, o, &mut found);
        }
        for (f, c, o) in found {
            self.report(line, None, f, c, o);
        }
    }
}

fn compare_scores(
    claimed: &BTreeMap<String, Score>,
    ours: &BTreeMap<String, Score>,
    mut report: impl FnMut(String, String, String),
) {
    for (name, s) in ours {
        match claimed.get(name) {
            None => report(format!("scores.{name}"), "(missing)".into(), fmt_f(s.value)),
            Some(c) => {
                if !close(c.value, s.value) {
                    report(
                        format!("scores.{name}.value"),
                        fmt_f(c.value),
                        fmt_f(s.value),
                    );
                }
                if c.weight != s.weight {
                    report(
                        format!("scores.{name}.weight"),
                        format!("{:?}", c.weight),
                        format!("{:?}", s.weight),
                    );
                }
                if c.answer != s.answer {
                    report(
                        format!("scores.{name}.answer"),
                        format!("{:?}", c.answer),
                        format!("{:?}", s.answer),
                    );
                }
                if c.metadata != s.metadata {
                    let show = |m: &Option<serde_json::Value>| {
                        m.as_ref().map(|v| v.to_string()).unwrap_or_default()
                    };
                    report(
                        format!("scores.{name}.metadata"),
                        show(&c.metadata),
                        show(&s.metadata),
                    );
                }
            }
        }
    }
    for name in claimed.keys().filter(|n| !ours.contains_key(*n)) {
        report(
            format!("scores.{name}"),
            "present".into(),
            "(not produced by the suite's scorers)".into(),
        );
    }
}

fn compare_aggregates(
    prefix: &str,
    claimed: &BTreeMap<String, Aggregate>,
    ours: &BTreeMap<String, Aggregate>,
    out: &mut Vec<(String, String, String)>,
) {
    for (name, o) in ours {
        let Some(c) = claimed.get(name) else {
            out.push((
                format!("{prefix}.{name}"),
                "(missing)".into(),
                fmt_f(o.value),
            ));
            continue;
        };
        let pairs = [
            ("value", c.value, o.value),
            ("stderr", c.stderr, o.stderr),
            ("ci95[0]", c.ci95[0], o.ci95[0]),
            ("ci95[1]", c.ci95[1], o.ci95[1]),
        ];
        for (f, a, b) in pairs {
            if !close(a, b) {
                out.push((format!("{prefix}.{name}.{f}"), fmt_f(a), fmt_f(b)));
            }
        }
        if c.n != o.n {
            out.push((
                format!("{prefix}.{name}.n"),
                c.n.to_string(),
                o.n.to_string(),
            ));
        }
        let bs_ok = match (c.bootstrap_ci95, o.bootstrap_ci95) {
            (Some(a), Some(b)) => close(a[0], b[0]) && close(a[1], b[1]),
            (None, None) => true,
            _ => false,
        };
        if !bs_ok {
            out.push((
                format!("{prefix}.{name}.bootstrap_ci95"),
                format!("{:?}", c.bootstrap_ci95),
                format!("{:?}", o.bootstrap_ci95),
            ));
        }
    }
    for name in claimed.keys().filter(|n| !ours.contains_key(*n)) {
        out.push((
            format!("{prefix}.{name}"),
            "present".into(),
            "(no such metric in the items)".into(),
        ));
    }
}

/// Verify a whole receipt from a reader, streaming.
pub fn verify_reader<R: BufRead>(reader: R, suite: Option<&Suite>) -> VerifyReport {
    let mut v = Verifier::new(suite);
    let mut rr = ReceiptReader::new(reader);
    loop {
        match rr.next_line() {
            Ok(Some(l)) => {
                let n = rr.line_number();
                v.push(n, l);
            }
            Ok(None) => break,
            Err(e) => {
                v.push_error(&e);
                break;
            }
        }
    }
    v.finish()
}
