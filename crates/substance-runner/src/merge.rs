//! Merging the receipts of a sharded run: [`merge_receipts`].
//!
//! `substance run --shard i/n` runs the items whose suite index ≡ i (mod n). The receipts of all `n`
//! shards of one run (same suite, model, generation settings, seeds and tool) merge into the receipt the
//! unsharded run writes: its header (selection without shard, the first shard's creation time), every
//! item line in suite order, and a summary aggregated afresh from the items by the same [`Aggregator`]
//! with the same seeds — byte for byte the unsharded receipt when no creation time was recorded.
//!
//! Nothing is trusted that can be checked without the suite: each shard must be complete (its summary
//! line present), each item line's digest and item hash must match its content, each shard must hold
//! exactly its items in order, and each shard's summary digests must match its lines. The scores
//! themselves are re-checked by `substance verify` on the merged receipt, as for any receipt.
//!
//! The shards are read in lock step (round robin, as their items interleave), so memory stays bounded
//! by one line per shard whatever their size.

use std::io::{BufRead, Write};

use substance_core::hash::ListDigest;
use substance_core::receipt::ITEMS_DIGEST_TAG;
use substance_core::{
    Header, ItemRecord, ReceiptLine, ReceiptReader, SELECTION_DIGEST_TAG, Selection, Summary,
};
use substance_score::Aggregator;

use crate::RunError;
use crate::session::{header_difference, line_text};

/// The result of [`merge_receipts`].
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The merged header.
    pub header: Header,
    /// The merged summary (also written as the last line).
    pub summary: Summary,
    /// Number of shards merged.
    pub shards: usize,
}

struct Shard<R> {
    name: String,
    reader: ReceiptReader<R>,
    header: Header,
    /// `[i, n]` (an unsharded receipt is shard `[0, 1]`).
    shard: [usize; 2],
    items: usize,
    selection: ListDigest,
    digests: ListDigest,
}

impl<R: BufRead> Shard<R> {
    fn next(&mut self) -> Result<Option<ReceiptLine>, RunError> {
        self.reader
            .next_line()
            .map_err(|source| RunError::MergeRead {
                receipt: self.name.clone(),
                source,
            })
    }

    fn bad(&self, message: String) -> RunError {
        RunError::MergeInput {
            receipt: self.name.clone(),
            line: self.reader.line_number(),
            message,
        }
    }

    fn label(&self) -> String {
        format!("{} (shard {}/{})", self.name, self.shard[0], self.shard[1])
    }
}

/// Merge the receipts of the `n` shards of one run, given in any order as `(name, reader)` (`name`
/// labels errors, normally the path), into `out`. Errors name the receipt and, where there is one, the
/// line: headers that differ in anything but the selection and creation time (the field is named), a
/// shard given twice or missing, a run with `--limit`, an incomplete shard (no summary), an item out of
/// place or whose digest does not match.
pub fn merge_receipts<R: BufRead, W: Write>(
    inputs: Vec<(String, R)>,
    mut out: W,
) -> Result<Merged, RunError> {
    let mut shards = Vec::with_capacity(inputs.len());
    for (name, input) in inputs {
        let mut reader = ReceiptReader::new(input);
        let first = reader.next_line().map_err(|source| RunError::MergeRead {
            receipt: name.clone(),
            source,
        })?;
        let Some(ReceiptLine::Header(header)) = first else {
            return Err(RunError::MergeInput {
                receipt: name,
                line: 1,
                message: "the first line is not a header".into(),
            });
        };
        if let Some(limit) = header.selection.limit {
            return Err(RunError::MergeInput {
                receipt: name,
                line: 1,
                message: format!(
                    "the run used --limit {limit}: merged shards must cover the whole suite"
                ),
            });
        }
        let shard = header.selection.shard.unwrap_or([0, 1]);
        shards.push(Shard {
            name,
            reader,
            header: *header,
            shard,
            items: 0,
            selection: ListDigest::new(SELECTION_DIGEST_TAG),
            digests: ListDigest::new(ITEMS_DIGEST_TAG),
        });
    }
    let Some(first) = shards.first() else {
        return Err(RunError::MergeCoverage("no receipts to merge".into()));
    };
    for s in &shards[1..] {
        if let Some((field, a, b)) = header_difference(&first.header, &s.header, &["selection"]) {
            return Err(RunError::MergeMismatch {
                field,
                first: first.name.clone(),
                first_value: a,
                other: s.name.clone(),
                other_value: b,
            });
        }
        if s.shard[1] != first.shard[1] {
            return Err(RunError::MergeCoverage(format!(
                "{} and {} split the suite differently",
                first.label(),
                s.label()
            )));
        }
    }
    let n = first.shard[1];
    shards.sort_by_key(|s| s.shard[0]);
    for w in shards.windows(2) {
        if w[0].shard[0] == w[1].shard[0] {
            return Err(RunError::MergeCoverage(format!(
                "shard {}/{n} is given twice: {} and {}",
                w[0].shard[0], w[0].name, w[1].name
            )));
        }
    }
    let missing: Vec<String> = (0..n)
        .filter(|i| !shards.iter().any(|s| s.shard[0] == *i))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(RunError::MergeCoverage(format!(
            "missing shard{} {} (have {})",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            shards
                .iter()
                .map(Shard::label)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }

    let mut header = shards[0].header.clone();
    header.selection = Selection::default();
    out.write_all(line_text(&ReceiptLine::Header(Box::new(header.clone())), 1)?.as_bytes())?;
    let n_items = header.suite.n_items;
    let mut selection = ListDigest::new(SELECTION_DIGEST_TAG);
    let mut digests = ListDigest::new(ITEMS_DIGEST_TAG);
    let mut agg = Aggregator::new();
    for index in 0..n_items {
        let shard = &mut shards[index % n];
        let record = match shard.next()? {
            Some(ReceiptLine::Item(r)) => r,
            Some(ReceiptLine::Summary(_)) | None => {
                return Err(shard.bad(format!(
                    "{} ends after {} items; its part of the suite has {}",
                    shard.label(),
                    shard.items,
                    (n_items + n - 1 - shard.shard[0]) / n
                )));
            }
            Some(ReceiptLine::Header(_)) => return Err(shard.bad("a second header".into())),
        };
        check_record(shard, &record, index)?;
        shard.items += 1;
        shard.selection.push(&record.item_sha256);
        shard.digests.push(&record.digest);
        selection.push(&record.item_sha256);
        digests.push(&record.digest);
        agg.push(record.item.group.as_deref(), &record.scores);
        out.write_all(line_text(&ReceiptLine::Item(record), index + 2)?.as_bytes())?;
    }
    for shard in &mut shards {
        let summary = match shard.next()? {
            Some(ReceiptLine::Summary(s)) => s,
            Some(ReceiptLine::Item(r)) => {
                return Err(shard.bad(format!(
                    "item `{}` (index {}) is not part of {}",
                    r.id,
                    r.index,
                    shard.label()
                )));
            }
            Some(ReceiptLine::Header(_)) => return Err(shard.bad("a second header".into())),
            None => {
                return Err(shard.bad(format!(
                    "{} is incomplete (no summary line): finish it with `substance run --resume` first",
                    shard.label()
                )));
            }
        };
        let recomputed = (
            shard.items,
            shard.selection.clone().finish(),
            shard.digests.clone().finish(),
        );
        if (
            summary.n_items,
            summary.selection_sha256.clone(),
            summary.items_digest.clone(),
        ) != recomputed
        {
            return Err(
                shard.bad("the summary's item count or digests do not match the item lines".into())
            );
        }
        if let Some(line) = shard.next()? {
            let what = match line {
                ReceiptLine::Header(_) => "a header",
                ReceiptLine::Item(_) => "an item",
                ReceiptLine::Summary(_) => "a second summary",
            };
            return Err(shard.bad(format!("{what} after the summary line")));
        }
    }
    let (metrics, groups) = agg.finish(header.seeds.bootstrap, header.seeds.bootstrap_resamples);
    let summary = Summary {
        n_items,
        selection_sha256: selection.finish(),
        items_digest: digests.finish(),
        metrics,
        groups,
    };
    out.write_all(
        line_text(
            &ReceiptLine::Summary(Box::new(summary.clone())),
            n_items + 2,
        )?
        .as_bytes(),
    )?;
    out.flush()?;
    Ok(Merged {
        header,
        summary,
        shards: shards.len(),
    })
}

fn check_record<R: BufRead>(
    shard: &Shard<R>,
    record: &ItemRecord,
    index: usize,
) -> Result<(), RunError> {
    if record.index != index {
        return Err(shard.bad(format!(
            "item `{}` has index {}, expected {index} (item {} of {})",
            record.id,
            record.index,
            shard.items + 1,
            shard.label()
        )));
    }
    if record.compute_digest()? != record.digest {
        return Err(shard.bad(format!(
            "item `{}`: the line digest does not match its content",
            record.id
        )));
    }
    if record.item.sha256()? != record.item_sha256 {
        return Err(shard.bad(format!(
            "item `{}`: item_sha256 does not match the item",
            record.id
        )));
    }
    Ok(())
}
