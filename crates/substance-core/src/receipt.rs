//! The receipt: a streamed JSONL record of one run (header, one line per item, summary).
//!
//! ```text
//! {"type":"header", "schema":"substance.receipt/1", "suite":{…}, "model":{…}, …}
//! {"type":"item", "index":0, "id":"…", "item_sha256":"…", "item":{…}, "prompt":{…}, "response":{…}, "scores":{…}, "digest":"…"}
//! …
//! {"type":"summary", "n_items":…, "selection_sha256":"…", "items_digest":"…", "metrics":{…}, "groups":{…}}
//! ```
//!
//! `digest` is the SHA-256 of the canonical JSON of the item line without its `digest` field;
//! `items_digest` is the list digest of all line digests; `selection_sha256` the list digest of the item
//! hashes. A receipt whose summary is missing (an interrupted run) is still readable line by line.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::hash::{ListDigest, canonical_sha256};
use crate::types::{Aggregate, GenerationSpec, Item, Prompt, Response, Score, SuiteSpec};
use crate::{CoreError, ReceiptError};

/// The schema string of this receipt version.
pub const RECEIPT_SCHEMA: &str = "substance.receipt/1";
/// Domain tag of `items_digest`.
pub const ITEMS_DIGEST_TAG: &str = "substance.items/1";
/// Default longest line accepted by [`ReceiptReader`] (64 MiB).
pub const DEFAULT_MAX_LINE: usize = 64 << 20;

/// Which suite the receipt is about, with the spec embedded so the receipt stands alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteRef {
    /// Suite name.
    pub name: String,
    /// Suite version.
    pub version: String,
    /// Digest of the whole suite ([`crate::Suite::sha256`]).
    pub sha256: String,
    /// Number of items in the whole suite.
    pub n_items: usize,
    /// The suite's declarative spec.
    pub spec: SuiteSpec,
}

/// Which part of the suite was run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Only the first `limit` items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Shard `[i, n]`: items whose index ≡ i (mod n).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[usize; 2]>,
}

impl Selection {
    /// `(first index, step)` of the shard (`(0, 1)` unsharded); `None` for a shard not `0 ≤ i < n`.
    fn stride(&self) -> Option<(usize, usize)> {
        match self.shard {
            None => Some((0, 1)),
            Some([i, n]) if n > 0 && i < n => Some((i, n)),
            Some(_) => None,
        }
    }

    /// How many items of an `n_items` suite the selection covers; `None` for an invalid shard.
    /// Arithmetic only (a hostile header's `n_items` allocates nothing).
    pub fn len(&self, n_items: usize) -> Option<usize> {
        let (first, step) = self.stride()?;
        let in_shard = if first < n_items {
            (n_items - first).div_ceil(step)
        } else {
            0
        };
        Some(self.limit.map_or(in_shard, |l| l.min(in_shard)))
    }

    /// Whether no item is covered (also for an invalid shard).
    pub fn is_empty(&self, n_items: usize) -> bool {
        self.len(n_items).is_none_or(|l| l == 0)
    }

    /// The suite index of the `j`-th covered item (0-based), if there is one.
    pub fn nth(&self, n_items: usize, j: usize) -> Option<usize> {
        let (first, step) = self.stride()?;
        (j < self.len(n_items)?).then(|| first + j * step)
    }

    /// Whether suite index `k` is covered.
    pub fn contains(&self, n_items: usize, k: usize) -> bool {
        match (self.stride(), self.len(n_items)) {
            (Some((first, step)), Some(len)) => {
                k >= first && (k - first) % step == 0 && (k - first) / step < len
            }
            _ => false,
        }
    }

    /// Indices of the items of an `n_items` suite this selection covers, in order: the shard's items
    /// (index ≡ i mod n), then the first `limit` of those. `None` for a shard that is not `0 ≤ i < n`.
    pub fn indices(&self, n_items: usize) -> Option<Vec<usize>> {
        let len = self.len(n_items)?;
        (0..len).map(|j| self.nth(n_items, j)).collect()
    }
}

/// The model that produced the responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    /// Model id or spec string (`gguf:…`, `openai:…`, `replay:…`).
    pub id: String,
    /// SHA-256 of the weights file when the model ran locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_sha256: Option<String>,
    /// Free-form provenance (backend, endpoint host without credentials…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Every seed the run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seeds {
    /// Seed of the bootstrap CIs in the summary.
    pub bootstrap: u64,
    /// Number of bootstrap resamples (0 = none).
    pub bootstrap_resamples: usize,
    /// Seed of temperature sampling, when sampling was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<u64>,
}

impl Default for Seeds {
    fn default() -> Self {
        Self {
            bootstrap: 1234,
            bootstrap_resamples: 1000,
            sampling: None,
        }
    }
}

/// The tool that wrote the receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    /// Tool name.
    pub name: String,
    /// Tool version.
    pub version: String,
}

/// First line of a receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// [`RECEIPT_SCHEMA`].
    pub schema: String,
    /// The suite.
    pub suite: SuiteRef,
    /// The part of the suite that was run.
    #[serde(default)]
    pub selection: Selection,
    /// The model.
    pub model: ModelInfo,
    /// Generation settings actually used.
    pub generation: GenerationSpec,
    /// Seeds.
    pub seeds: Seeds,
    /// Writer.
    pub tool: ToolInfo,
    /// RFC 3339 creation time, when the writer knew it (not hashed anywhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// One item line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRecord {
    /// Position of the item in the suite.
    pub index: usize,
    /// Item id (repeated from `item` for grep-ability).
    pub id: String,
    /// SHA-256 of the item's canonical JSON.
    pub item_sha256: String,
    /// The item itself.
    pub item: Item,
    /// The prompt exactly as sent.
    pub prompt: Prompt,
    /// The model's response.
    pub response: Response,
    /// Every score, by metric name.
    pub scores: BTreeMap<String, Score>,
    /// SHA-256 of this line's canonical JSON without `digest`.
    #[serde(default)]
    pub digest: String,
}

impl ItemRecord {
    /// Compute the line digest (over every field but `digest`).
    pub fn compute_digest(&self) -> Result<String, CoreError> {
        let mut v = serde_json::to_value(self).map_err(|source| CoreError::Serialise {
            what: "item record",
            source,
        })?;
        if let Some(obj) = v.as_object_mut() {
            obj.remove("digest");
        }
        canonical_sha256(&v)
    }

    /// Fill in `digest` and `item_sha256` from the current content.
    pub fn seal(&mut self) -> Result<(), CoreError> {
        self.item_sha256 = self.item.sha256()?;
        self.digest = self.compute_digest()?;
        Ok(())
    }
}

/// Last line of a receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Number of item lines.
    pub n_items: usize,
    /// List digest of the item hashes, in line order.
    pub selection_sha256: String,
    /// List digest of the line digests, in line order.
    pub items_digest: String,
    /// Aggregates over all items, by metric name.
    pub metrics: BTreeMap<String, Aggregate>,
    /// Aggregates per group (subtask), by group then metric.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, BTreeMap<String, Aggregate>>,
}

/// One line of a receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReceiptLine {
    /// The header.
    Header(Box<Header>),
    /// An item.
    Item(Box<ItemRecord>),
    /// The summary.
    Summary(Box<Summary>),
}

/// Streaming reader: yields lines one by one, checking structure (header first, summary last) as it goes.
pub struct ReceiptReader<R> {
    inner: R,
    line: usize,
    max_line: usize,
    seen_header: bool,
    seen_summary: bool,
    done: bool,
    buf: Vec<u8>,
}

impl<R: BufRead> ReceiptReader<R> {
    /// Read from `inner` with the default line limit.
    pub fn new(inner: R) -> Self {
        Self::with_max_line(inner, DEFAULT_MAX_LINE)
    }

    /// Read from `inner`, refusing lines longer than `max_line` bytes (protects a page from a huge file).
    pub fn with_max_line(inner: R, max_line: usize) -> Self {
        Self {
            inner,
            line: 0,
            max_line,
            seen_header: false,
            seen_summary: false,
            done: false,
            buf: Vec::new(),
        }
    }

    /// The 1-based number of the last line returned.
    pub fn line_number(&self) -> usize {
        self.line
    }

    fn read_raw(&mut self) -> Result<Option<()>, ReceiptError> {
        loop {
            self.buf.clear();
            self.line += 1;
            let line = self.line;
            let mut limited =
                <&mut R as std::io::Read>::take(&mut self.inner, self.max_line as u64 + 1);
            let n = limited
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| ReceiptError::Io { line, source })?;
            if n == 0 {
                self.line -= 1;
                return Ok(None);
            }
            if self.buf.len() > self.max_line {
                return Err(ReceiptError::LineTooLong {
                    line,
                    limit: self.max_line,
                });
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some(()));
        }
    }

    /// Next line, `None` at the end. After the first error the reader is finished (it returns `None`).
    pub fn next_line(&mut self) -> Result<Option<ReceiptLine>, ReceiptError> {
        if self.done {
            return Ok(None);
        }
        let result = self.next_line_inner();
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    fn next_line_inner(&mut self) -> Result<Option<ReceiptLine>, ReceiptError> {
        if self.read_raw()?.is_none() {
            if !self.seen_header {
                return Err(ReceiptError::Structure {
                    line: self.line + 1,
                    message: "empty receipt: no header line".into(),
                });
            }
            return Ok(None);
        }
        let line = self.line;
        if self.seen_summary {
            return Err(ReceiptError::Structure {
                line,
                message: "content after the summary line".into(),
            });
        }
        let parsed = self.parse_line(line)?;
        match &parsed {
            ReceiptLine::Header(h) => {
                if self.seen_header {
                    return Err(ReceiptError::Structure {
                        line,
                        message: "a second header line".into(),
                    });
                }
                if h.schema != RECEIPT_SCHEMA {
                    return Err(ReceiptError::Schema {
                        line,
                        found: h.schema.clone(),
                        expected: RECEIPT_SCHEMA,
                    });
                }
                self.seen_header = true;
            }
            ReceiptLine::Item(_) | ReceiptLine::Summary(_) if !self.seen_header => {
                return Err(ReceiptError::Structure {
                    line,
                    message: "the first line must be the header".into(),
                });
            }
            ReceiptLine::Summary(_) => self.seen_summary = true,
            ReceiptLine::Item(_) => {}
        }
        Ok(Some(parsed))
    }
}

impl<R> ReceiptReader<R> {
    /// The buffered line as a [`ReceiptLine`], following the reading policy ([`crate::input`]): a
    /// byte-order mark before the first line is dropped, and a JSON object member given twice is refused
    /// (serde_json would keep the last one silently).
    fn parse_line(&self, line: usize) -> Result<ReceiptLine, ReceiptError> {
        let bytes = if self.seen_header {
            &self.buf[..]
        } else {
            self.buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&self.buf)
        };
        let json_error = |bytes: &[u8]| match serde_json::from_slice::<ReceiptLine>(bytes) {
            Err(source) => ReceiptError::Json { line, source },
            Ok(_) => ReceiptError::Structure {
                line,
                message: "malformed JSON".into(),
            },
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(json_error(bytes));
        };
        let value = match crate::input::strict_value(text, "receipt", line) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            // serde's internally tagged enums would read `["item", …]` as a record.
            Ok(other) => {
                return Err(ReceiptError::Structure {
                    line,
                    message: format!(
                        "expected a JSON object (one receipt line), found {}",
                        crate::input::kind(&other)
                    ),
                });
            }
            Err(crate::InputError::Member { key, .. }) => {
                return Err(ReceiptError::Structure {
                    line,
                    message: format!("JSON object member `{key}` given twice in one line"),
                });
            }
            // serde_json's own error names the column and what was expected.
            Err(_) => return Err(json_error(bytes)),
        };
        ReceiptLine::deserialize(value).map_err(|source| ReceiptError::Json { line, source })
    }
}

impl<R: BufRead> Iterator for ReceiptReader<R> {
    type Item = Result<ReceiptLine, ReceiptError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().transpose()
    }
}

/// Streaming writer: writes the header, then sealed item lines, and keeps the running digests the summary
/// needs. Each line is flushed as written so an interrupted run keeps its finished items.
pub struct ReceiptWriter<W> {
    out: W,
    line: usize,
    selection: ListDigest,
    items: ListDigest,
    n_items: usize,
}

impl<W: Write> ReceiptWriter<W> {
    /// Start a receipt by writing its header.
    pub fn new(mut out: W, header: &Header) -> Result<Self, ReceiptError> {
        write_json_line(&mut out, 1, &ReceiptLine::Header(Box::new(header.clone())))?;
        Ok(Self {
            out,
            line: 1,
            selection: ListDigest::new(crate::types::SELECTION_DIGEST_TAG),
            items: ListDigest::new(ITEMS_DIGEST_TAG),
            n_items: 0,
        })
    }

    /// Seal and write one item line.
    pub fn write_item(&mut self, mut record: ItemRecord) -> Result<ItemRecord, ReceiptError> {
        self.line += 1;
        let line = self.line;
        record.seal().map_err(|e| ReceiptError::Structure {
            line,
            message: e.to_string(),
        })?;
        self.selection.push(&record.item_sha256);
        self.items.push(&record.digest);
        self.n_items += 1;
        let wrapped = ReceiptLine::Item(Box::new(record));
        write_json_line(&mut self.out, line, &wrapped)?;
        match wrapped {
            ReceiptLine::Item(r) => Ok(*r),
            _ => unreachable_record(line),
        }
    }

    /// Digests over the items written so far: `(n_items, selection_sha256, items_digest)`.
    pub fn digests(&self) -> (usize, String, String) {
        (
            self.n_items,
            self.selection.clone().finish(),
            self.items.clone().finish(),
        )
    }

    /// Write the summary and return the writer.
    pub fn finish(mut self, summary: &Summary) -> Result<W, ReceiptError> {
        self.line += 1;
        write_json_line(
            &mut self.out,
            self.line,
            &ReceiptLine::Summary(Box::new(summary.clone())),
        )?;
        Ok(self.out)
    }
}

fn unreachable_record(line: usize) -> Result<ItemRecord, ReceiptError> {
    Err(ReceiptError::Structure {
        line,
        message: "internal: item line lost".into(),
    })
}

fn write_json_line<W: Write>(
    out: &mut W,
    line: usize,
    value: &ReceiptLine,
) -> Result<(), ReceiptError> {
    let s = serde_json::to_string(value).map_err(|source| ReceiptError::Json { line, source })?;
    out.write_all(s.as_bytes())
        .map_err(|source| ReceiptError::Io { line, source })?;
    out.write_all(b"\n")
        .map_err(|source| ReceiptError::Io { line, source })?;
    out.flush()
        .map_err(|source| ReceiptError::Io { line, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::*;

    fn header() -> Header {
        Header {
            schema: RECEIPT_SCHEMA.into(),
            suite: SuiteRef {
                name: "t".into(),
                version: "1".into(),
                sha256: "00".into(),
                n_items: 1,
                spec: SuiteSpec {
                    format: 1,
                    name: "t".into(),
                    version: "1".into(),
                    description: String::new(),
                    output_type: OutputType::Generate,
                    prompt: PromptSpec::default(),
                    fewshot: FewShotSpec::default(),
                    generation: GenerationSpec::default(),
                    scorers: vec!["exact_match".into()],
                },
            },
            selection: Selection::default(),
            model: ModelInfo {
                id: "mock".into(),
                weights_sha256: None,
                source: None,
            },
            generation: GenerationSpec::default(),
            seeds: Seeds::default(),
            tool: ToolInfo {
                name: "substance".into(),
                version: "0".into(),
            },
            created: None,
        }
    }

    fn record() -> ItemRecord {
        ItemRecord {
            index: 0,
            id: "x".into(),
            item_sha256: String::new(),
            item: Item {
                id: "x".into(),
                input: "2+2".into(),
                choices: vec![],
                gold: vec![],
                target: Some("4".into()),
                group: None,
                instructions: vec![],
                meta: Default::default(),
            },
            prompt: Prompt::Completion { text: "2+2".into() },
            response: Response::Generation {
                text: "4".into(),
                finish_reason: None,
            },
            scores: [("exact_match".to_owned(), Score::value(1.0))]
                .into_iter()
                .collect(),
            digest: String::new(),
        }
    }

    #[test]
    fn selection_arithmetic_matches_filtering() {
        for n_items in 0..12 {
            for shard in [
                None,
                Some([0, 1]),
                Some([0, 3]),
                Some([2, 3]),
                Some([4, 5]),
                Some([6, 5]),
            ] {
                for limit in [None, Some(0), Some(1), Some(3), Some(20)] {
                    let sel = Selection { limit, shard };
                    let brute: Option<Vec<usize>> = match shard {
                        Some([i, n]) if i >= n => None,
                        _ => {
                            let (i, n) = shard.map_or((0, 1), |[i, n]| (i, n));
                            let v: Vec<usize> = (0..n_items).filter(|k| k % n == i).collect();
                            Some(v.into_iter().take(limit.unwrap_or(usize::MAX)).collect())
                        }
                    };
                    assert_eq!(sel.indices(n_items), brute, "{sel:?} of {n_items}");
                    let brute = brute.unwrap_or_default();
                    assert_eq!(sel.is_empty(n_items), brute.is_empty());
                    for k in 0..14 {
                        assert_eq!(sel.contains(n_items, k), brute.contains(&k), "{sel:?} {k}");
                    }
                }
            }
        }
        // A hostile header's size costs nothing.
        let sel = Selection {
            limit: None,
            shard: Some([1, 2]),
        };
        assert_eq!(sel.len(usize::MAX), Some(usize::MAX / 2));
        assert!(sel.contains(usize::MAX, usize::MAX - 2));
    }

    #[test]
    fn round_trip_and_digests() {
        let mut w = ReceiptWriter::new(Vec::new(), &header()).unwrap();
        let sealed = w.write_item(record()).unwrap();
        assert_eq!(sealed.digest, sealed.compute_digest().unwrap());
        let (n, sel, items) = w.digests();
        let bytes = w
            .finish(&Summary {
                n_items: n,
                selection_sha256: sel,
                items_digest: items,
                metrics: Default::default(),
                groups: Default::default(),
            })
            .unwrap();
        let lines: Vec<_> = ReceiptReader::new(&bytes[..])
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(lines.len(), 3);
        let ReceiptLine::Item(r) = &lines[1] else {
            panic!("not an item")
        };
        assert_eq!(r.digest, r.compute_digest().unwrap());
        let mut edited = (**r).clone();
        edited.response = Response::Generation {
            text: "5".into(),
            finish_reason: None,
        };
        assert_ne!(edited.compute_digest().unwrap(), r.digest);
    }

    #[test]
    fn structure_errors_name_the_line() {
        let h = serde_json::to_string(&ReceiptLine::Header(Box::new(header()))).unwrap();
        let item = serde_json::to_string(&ReceiptLine::Item(Box::new(record()))).unwrap();
        let e = ReceiptReader::new(format!("{item}\n").as_bytes())
            .next()
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, ReceiptError::Structure { line: 1, .. }), "{e}");
        let e =
            ReceiptReader::new(format!("{h}\n{{\"type\":\"item\",\"index\":\"x\"}}\n").as_bytes())
                .nth(1)
                .unwrap()
                .unwrap_err();
        assert!(matches!(e, ReceiptError::Json { line: 2, .. }), "{e}");
        let e = ReceiptReader::new(&b""[..]).next().unwrap().unwrap_err();
        assert!(e.to_string().contains("empty receipt"));
        let e = ReceiptReader::with_max_line(format!("{h}\n").as_bytes(), 10)
            .next()
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, ReceiptError::LineTooLong { line: 1, .. }));
        let bad_schema = h.replace(RECEIPT_SCHEMA, "substance.receipt/99");
        let e = ReceiptReader::new(bad_schema.as_bytes())
            .next()
            .unwrap()
            .unwrap_err();
        assert!(e.to_string().contains("unsupported schema"));
    }

    #[test]
    fn bom_crlf_and_repeated_members_follow_the_reading_policy() {
        let h = serde_json::to_string(&ReceiptLine::Header(Box::new(header()))).unwrap();
        let item = serde_json::to_string(&ReceiptLine::Item(Box::new(record()))).unwrap();
        // A BOM before the header and CRLF line ends are accepted.
        let text = format!("\u{feff}{h}\r\n{item}\r\n");
        let lines: Vec<_> = ReceiptReader::new(text.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(lines.len(), 2);
        // A BOM anywhere else is not a BOM: it is refused as malformed JSON.
        let text = format!("{h}\n\u{feff}{item}\n");
        let e = ReceiptReader::new(text.as_bytes())
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, ReceiptError::Json { line: 2, .. }), "{e}");
        // A member given twice is refused, not resolved to the last value.
        let twice = item.replacen("{", "{\"index\":7,", 1);
        let e = ReceiptReader::new(format!("{h}\n{twice}\n").as_bytes())
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(&e, ReceiptError::Structure { line: 2, message } if message.contains("`index` given twice")),
            "{e}"
        );
        // Valid JSON that is not an object is refused with its line.
        let as_array = format!("[\"item\", {}]", serde_json::to_string(&record()).unwrap());
        let e = ReceiptReader::new(format!("{h}\n{as_array}\n").as_bytes())
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(&e, ReceiptError::Structure { line: 2, message } if message.contains("found an array")),
            "{e}"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            for r in ReceiptReader::with_max_line(&bytes[..], 256) { if r.is_err() { break; } }
        }

        #[test]
        fn truncated_receipts_give_errors_not_panics(cut in 0usize..2000) {
            let mut w = ReceiptWriter::new(Vec::new(), &header()).unwrap();
            w.write_item(record()).unwrap();
            let bytes = w.finish(&Summary { n_items: 1, selection_sha256: String::new(), items_digest: String::new(), metrics: Default::default(), groups: Default::default() }).unwrap();
            let cut = cut.min(bytes.len());
            let lines: Vec<_> = ReceiptReader::new(&bytes[..cut]).collect();
            if cut < bytes.len() - 1 { proptest::prop_assert!(lines.iter().any(|l| l.is_err()) || lines.len() < 3); }
        }
    }
}
