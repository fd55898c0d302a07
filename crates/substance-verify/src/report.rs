//! The one report shape every verified file comes back in (CLI text, `--json`, the page).

use serde::Serialize;
use substance_core::input::Skipped;

/// How a claimed number compares with the recomputed one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// The claim equals the recomputation within `tolerance` (0: exactly; otherwise the claim's printed
    /// precision or a tolerance stated for an unseeded reference), or lies inside a recomputed range.
    Match {
        /// The tolerance used.
        tolerance: f64,
    },
    /// The claim and the recomputation disagree.
    Differs,
    /// The number cannot be checked from these files; `reason` says why. Never counted as passed.
    NotCheckable {
        /// Why.
        reason: String,
    },
}

impl Status {
    /// `claimed` against `recomputed` (a value or a range) with `tolerance` (plus 1e-12 of float slack);
    /// a hash or nothing recomputed never matches a number.
    pub fn of(claimed: f64, recomputed: &Recomputed, tolerance: f64) -> Self {
        let slack = tolerance + 1e-12;
        let inside = match recomputed {
            Recomputed::Value { value } => (claimed - value).abs() <= slack,
            Recomputed::Range { lo, hi, .. } => claimed >= lo - slack && claimed <= hi + slack,
            Recomputed::Hash { .. } | Recomputed::None => false,
        };
        if inside {
            Self::Match { tolerance }
        } else {
            Self::Differs
        }
    }

    /// Short words for a terminal or a table cell.
    pub fn words(&self) -> String {
        match self {
            Self::Match { tolerance } if *tolerance == 0.0 => "exact".to_owned(),
            Self::Match { tolerance } => format!("matches (±{tolerance:.1e})"),
            Self::Differs => "DIFFERS".to_owned(),
            Self::NotCheckable { reason } => format!("not checkable: {reason}"),
        }
    }
}

/// What was recomputed for one number.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recomputed {
    /// One value.
    Value {
        /// The value.
        value: f64,
    },
    /// A digest (hex), for hash checks.
    Hash {
        /// The recomputed digest.
        value: String,
    },
    /// Nothing could be recomputed (the check says why).
    None,
    /// The reference leaves part of the number to chance (e.g. a random guess for unanswered items):
    /// every value it can report lies in `[lo, hi]`, `expected` is the mean over its random draws.
    Range {
        /// Smallest reachable value.
        lo: f64,
        /// Largest reachable value.
        hi: f64,
        /// Expected value.
        expected: f64,
    },
}

/// One aggregate (a task's or a category's metric): claimed against recomputed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Task, category or group the number belongs to (`mmlu_pro`, `mmlu_pro/biology`, …).
    pub scope: String,
    /// Metric name (`acc`, `exact_match,strict-match`, …).
    pub metric: String,
    /// Items behind the number.
    pub n: usize,
    /// The published value, when the files (or `--claims`) carry one.
    pub claimed: Option<f64>,
    /// Where the claim came from (`claims.csv line 3`, `results_….json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_from: Option<String>,
    /// The recomputed value.
    pub recomputed: Recomputed,
    /// The verdict.
    #[serde(flatten)]
    pub status: Status,
    /// More about the recomputation (e.g. the value under an older reference version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    /// A check of `recomputed` (a proportion, or a number on the reference's own scale) against the
    /// claim about (`model`, `scope`, `metric`) in `claims`, matched within the claim's tolerance plus
    /// `extra` (a tolerance the recomputation itself needs, e.g. for an unseeded reference); without a
    /// claim the number is not checkable, for `no_claim`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn against(
        scope: String,
        metric: &str,
        n: usize,
        recomputed: Recomputed,
        model: Option<&str>,
        claims: &mut crate::ClaimBook,
        extra: f64,
        no_claim: &str,
    ) -> Self {
        Self::compare(
            scope, metric, n, recomputed, model, claims, extra, no_claim, false,
        )
    }

    /// [`Check::against`] for a number published in percentage points (a win rate of 44.25): a claim
    /// written as a percentage is read in points.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn against_points(
        scope: String,
        metric: &str,
        n: usize,
        recomputed: Recomputed,
        model: Option<&str>,
        claims: &mut crate::ClaimBook,
        extra: f64,
        no_claim: &str,
    ) -> Self {
        Self::compare(
            scope, metric, n, recomputed, model, claims, extra, no_claim, true,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn compare(
        scope: String,
        metric: &str,
        n: usize,
        recomputed: Recomputed,
        model: Option<&str>,
        claims: &mut crate::ClaimBook,
        extra: f64,
        no_claim: &str,
        points: bool,
    ) -> Self {
        let claim = claims.take(model, &scope, metric);
        let value = |c: &crate::Claim| {
            if points {
                c.in_points()
            } else {
                (c.value, c.tolerance)
            }
        };
        let status = match &claim {
            Some(c) => {
                let (v, t) = value(c);
                Status::of(v, &recomputed, t + extra)
            }
            None => Status::NotCheckable {
                reason: no_claim.to_owned(),
            },
        };
        Self {
            metric: metric.to_owned(),
            n,
            claimed: claim.as_ref().map(|c| value(c).0),
            claimed_from: claim.map(|c| c.source),
            recomputed,
            status,
            detail: None,
            scope,
        }
    }

    /// The claim `claimed` about (`scope`, `metric`) read from `from`, not yet recomputed (not
    /// checkable, with `reason`, until a recomputation sets `recomputed` and `status`).
    pub(crate) fn claimed_in(
        scope: &str,
        metric: &str,
        claimed: f64,
        from: &str,
        reason: &str,
    ) -> Self {
        Self {
            scope: scope.to_owned(),
            metric: metric.to_owned(),
            n: 0,
            claimed: Some(claimed),
            claimed_from: Some(from.to_owned()),
            recomputed: Recomputed::None,
            status: Status::NotCheckable {
                reason: reason.to_owned(),
            },
            detail: None,
        }
    }

    /// A number that cannot be recomputed from the files, with the reason (and the claim, if any, so
    /// it is shown and not reported as unused).
    pub(crate) fn not_checkable(
        scope: String,
        metric: &str,
        n: usize,
        model: Option<&str>,
        claims: &mut crate::ClaimBook,
        reason: &str,
    ) -> Self {
        let claim = claims.take(model, &scope, metric);
        Self {
            metric: metric.to_owned(),
            n,
            claimed: claim.as_ref().map(|c| c.value),
            claimed_from: claim.map(|c| c.source),
            recomputed: Recomputed::None,
            status: Status::NotCheckable {
                reason: reason.to_owned(),
            },
            detail: None,
            scope,
        }
    }
}

/// How much an item-level finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The file's per-item value disagrees with the recomputation: verification fails.
    Differs,
    /// The item's value cannot be checked (e.g. left to a random guess by the reference).
    NotCheckable,
    /// Worth knowing, does not fail verification (e.g. the file used an older extraction rule).
    Note,
}

/// One item the recomputation has something to say about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// 1-based record (array element or line) in the file.
    pub record: usize,
    /// The item's id in the file.
    pub id: String,
    /// The field compared (`pred`, `resps`, `acc`, …).
    pub field: String,
    /// What the file says.
    pub claimed: String,
    /// What was recomputed.
    pub recomputed: String,
    /// How much it weighs.
    pub severity: Severity,
    /// Why, in words.
    pub reason: String,
    /// The logged text behind the item (prompt and response, the judge's text), for a drill-down;
    /// at most [`Finding::TEXT_LIMIT`] characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Finding {
    /// The most characters of logged text a finding carries.
    pub const TEXT_LIMIT: usize = 4000;

    /// The finding with `text` (see [`Finding::cut`]).
    pub(crate) fn with_text(mut self, text: &str) -> Self {
        self.text = Some(Self::cut(text));
        self
    }

    /// `text` cut at [`Finding::TEXT_LIMIT`] characters, the cut said.
    pub(crate) fn cut(text: &str) -> String {
        let mut t: String = text.chars().take(Self::TEXT_LIMIT).collect();
        if text.chars().nth(Self::TEXT_LIMIT).is_some() {
            t.push_str(" […]");
        }
        t
    }
}

/// The verification of one published file (or one run made of several files).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The file name as given (never a local folder path).
    pub file: String,
    /// The format it was read as ([`crate::Format::name`]).
    pub format: String,
    /// The model the file is about, when it says.
    pub model: Option<String>,
    /// True when no checked number and no item differs. Numbers that are not checkable do not fail it,
    /// but [`Report::verdict`] says that they were not checked.
    pub ok: bool,
    /// The outcome in plain words.
    pub verdict: String,
    /// Items read and recomputed.
    pub items_checked: usize,
    /// Aggregates, claimed against recomputed.
    pub checks: Vec<Check>,
    /// Items with something to report, in file order.
    pub findings: Vec<Finding>,
    /// Other things the reader noticed.
    pub notes: Vec<String>,
    /// Records skipped on purpose (as the reference skips them), with line and reason.
    pub skipped: Vec<Skipped>,
}

impl Report {
    /// An empty report of `file` read as `format`, about `model`; filled by a reader, then concluded.
    pub(crate) fn new(file: &str, format: crate::Format, model: Option<String>) -> Self {
        Self {
            file: file.to_owned(),
            format: format.name().to_owned(),
            model,
            ok: false,
            verdict: String::new(),
            items_checked: 0,
            checks: Vec::new(),
            findings: Vec::new(),
            notes: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// Findings of one severity.
    pub fn findings_of(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }

    /// Set `ok` and `verdict` from the checks and findings.
    pub(crate) fn conclude(&mut self) {
        let differing_checks = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Differs)
            .count();
        let matching = self
            .checks
            .iter()
            .filter(|c| matches!(c.status, Status::Match { .. }))
            .count();
        let unchecked = self.checks.len() - differing_checks - matching;
        let differing_items = self.findings_of(Severity::Differs).count();
        let open_items = self.findings_of(Severity::NotCheckable).count();
        self.ok = differing_checks == 0 && differing_items == 0;
        let mut parts = Vec::new();
        if differing_checks + differing_items > 0 {
            let what: Vec<String> = [
                (differing_checks, "published number(s)"),
                (differing_items, "item(s)"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}"))
            .collect();
            parts.push(format!(
                "does not verify: {} differ from the recomputation",
                what.join(" and ")
            ));
        } else if matching > 0 {
            parts.push(format!(
                "verified: {matching} published number(s) recomputed from {} items",
                self.items_checked
            ));
        } else {
            parts.push(format!(
                "items consistent ({} recomputed), but no published number to compare with",
                self.items_checked
            ));
        }
        if unchecked > 0 {
            parts.push(format!("{unchecked} number(s) not checkable"));
        }
        if open_items > 0 {
            parts.push(format!(
                "{open_items} item(s) left to chance by the reference"
            ));
        }
        if !self.skipped.is_empty() {
            parts.push(format!("{} record(s) skipped", self.skipped.len()));
        }
        self.verdict = parts.join("; ");
    }
}
