//! The one reading policy every reader of the kit follows (issue 11), in one place.
//!
//! An evaluation kit's worst bug is the silent one: a record dropped, an array read as a record, a
//! duplicate id that replaces another, a `NaN` that becomes `null` — each changes a denominator and the
//! published score is wrong while every line of code "works". So every reader of outside bytes (suite
//! files and importers, replay files, IFEval inputs and responses, receipts, judgment and annotation
//! files, leaderboard inputs, model configs) builds on these functions and follows these rules:
//!
//! 1. **Text**: bytes are UTF-8; one leading byte-order mark is dropped; CRLF line ends are accepted
//!    (the `\r` is not part of the line). Invalid UTF-8 is an error naming the line. ([`text`], [`lines`])
//! 2. **No records is an error**: an empty file, whitespace only, or a header without rows is
//!    [`InputError::Empty`], never a 0-item suite or a score of 0 / 0. ([`require_records`])
//! 3. **A record is a JSON object**: a JSONL line that is valid JSON but an array, string or number is an
//!    error naming the line — serde's derive would otherwise read `["a", 1]` as a struct's fields in
//!    order. Typed records check this at every depth: a nested struct given an array is an error
//!    naming its path. ([`object_line`], [`record`])
//! 4. **Duplicates are errors naming both places**: a JSON object member given twice (serde_json keeps
//!    the last one silently), a repeated id. ([`strict_value`], [`UniqueKeys`])
//! 5. **Numbers are what the schema says**: no `NaN`/`inf` where a finite number is wanted, no string
//!    `"3"` for 3, no 3.5 for an integer, out-of-range values refused with the field. Typed records get
//!    the last two from serde; text cells (CSV) use [`finite`].
//! 6. **Skips are counted**: a record skipped on purpose, as the reference tool skips it, is returned
//!    as a [`Skipped`] (file, line, reason) beside the records, so the CLI, `--json` and the page can
//!    warn about it and count it. A reader never drops a record without one.
//! 7. **Ids are never invented**: an empty or missing id is an error (or, where a format has no ids,
//!    the id is the record's own 1-based line or index, which cannot collide with another record's).
//!
//! The functions here are pure (bytes in, values or [`InputError`] out) and wasm-safe; each reader
//! wraps [`InputError`] into its crate's typed error, which keeps the file, line and field.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use thiserror::Error;

/// Why an input was refused. Every variant names the file; most name the 1-based line, and field errors
/// the JSON path or column.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// The file could not be read (a streamed input).
    #[error("{file}: cannot read: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        message: String,
    },
    /// Not UTF-8 text.
    #[error("{file}: line {line}: not valid UTF-8 (byte {offset} of the file)")]
    Utf8 {
        /// The file.
        file: String,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The input holds no records.
    #[error("{file}: no records ({what})")]
    Empty {
        /// The file.
        file: String,
        /// What was found instead (`empty file`, `whitespace only`, `a header and no rows`).
        what: String,
    },
    /// A line or document is not valid JSON, or not the JSON the format wants.
    #[error("{file}: line {line}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A field holds a value the schema does not allow.
    #[error("{file}: line {line}: field `{field}`: {message}")]
    Field {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// JSON path or column name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A JSON object member is given twice in one record (serde_json would keep the last silently).
    #[error("{file}: line {line}: JSON object member `{key}` given twice in one record")]
    Member {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The member name.
        key: String,
    },
    /// A key (an id, a question) that must be unique appears twice.
    #[error("{file}: line {line}: duplicate {what} `{key}` (first at line {first_line})")]
    Duplicate {
        /// The file.
        file: String,
        /// 1-based line of the second occurrence.
        line: usize,
        /// 1-based line of the first occurrence.
        first_line: usize,
        /// What kind of key (`id`, `member`, …).
        what: String,
        /// The key.
        key: String,
    },
}

/// A record a reader skipped on purpose (as the reference tool does), with where and why; readers
/// return these beside their records so no skip goes unreported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    /// The file.
    pub file: String,
    /// 1-based line (or record number for formats without lines).
    pub line: usize,
    /// Why the record was skipped.
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: line {}: skipped: {}",
            self.file, self.line, self.reason
        )
    }
}

/// Decode `bytes` as UTF-8 text with one leading byte-order mark dropped (rule 1).
pub fn text<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        InputError::Utf8 {
            file: file.to_owned(),
            line: bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1,
            offset,
        }
    })
}

/// `text` with one leading byte-order mark dropped (for readers handed a `&str`).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The non-blank lines of `text` with their 1-based numbers, `\r\n` and `\n` both ending a line
/// (rule 1; a leading BOM is dropped).
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    strip_bom(text)
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
}

/// [`lines`] for a reader: each non-blank line with its 1-based number is handed to `each` as it is
/// read, so a file of any size is read in memory bounded by its longest line. The same rules as
/// [`text`] and [`lines`] (one leading BOM dropped, `\r\n` or `\n` ending a line, invalid UTF-8 an error
/// naming the line) and as [`require_records`] (no non-blank line is [`InputError::Empty`]). Returns the
/// number of non-blank lines.
pub fn for_each_line<R, E>(
    mut reader: R,
    file: &str,
    mut each: impl FnMut(usize, &str) -> Result<(), E>,
) -> Result<usize, E>
where
    R: std::io::BufRead,
    E: From<InputError>,
{
    let mut buf = Vec::new();
    let (mut line, mut records, mut offset) = (0, 0, 0);
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| InputError::Io {
                file: file.to_owned(),
                message: e.to_string(),
            })?;
        if read == 0 {
            break;
        }
        line += 1;
        let mut bytes = &buf[..];
        if line == 1 {
            // offsets count from after the BOM, as `text` does
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|e| InputError::Utf8 {
            file: file.to_owned(),
            line,
            offset: offset + e.valid_up_to(),
        })?;
        offset += bytes.len();
        let text = match text.strip_suffix('\n') {
            Some(t) => t.strip_suffix('\r').unwrap_or(t),
            None => text,
        };
        if text.trim().is_empty() {
            continue;
        }
        records += 1;
        each(line, text)?;
    }
    if records == 0 {
        return Err(InputError::Empty {
            file: file.to_owned(),
            what: if line == 0 {
                "empty file"
            } else {
                "whitespace only"
            }
            .to_owned(),
        }
        .into());
    }
    Ok(records)
}

/// [`InputError::Empty`] when `n_records` is 0, saying what `text` held instead (rule 2).
pub fn require_records(n_records: usize, text: &str, file: &str) -> Result<(), InputError> {
    if n_records > 0 {
        return Ok(());
    }
    let what = if text.is_empty() {
        "empty file"
    } else if strip_bom(text).trim().is_empty() {
        "whitespace only"
    } else {
        "no record in it"
    };
    Err(InputError::Empty {
        file: file.to_owned(),
        what: what.to_owned(),
    })
}

/// Parse one JSON text with duplicate object members refused (rule 4). `line` is the 1-based line the
/// text starts on (errors add the line within the text).
pub fn strict_value(json: &str, file: &str, line: usize) -> Result<Value, InputError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let v = StrictValue::deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            let full = e.to_string();
            let message = match full.rfind(" at line ") {
                Some(i) => full[..i].to_owned(),
                None => full,
            };
            let at = line + e.line().saturating_sub(1);
            match message.strip_prefix(DUPLICATE) {
                Some(key) => InputError::Member {
                    file: file.to_owned(),
                    line: at,
                    key: key.to_owned(),
                },
                None => InputError::Syntax {
                    file: file.to_owned(),
                    line: at,
                    message: format!("JSON: {message}"),
                },
            }
        })?;
    Ok(v.0)
}

/// One JSONL line as a JSON object (rules 3 and 4): valid JSON that is not an object, or an object with
/// a member given twice, is an error naming the line.
pub fn object_line(json: &str, file: &str, line: usize) -> Result<Map<String, Value>, InputError> {
    match strict_value(json, file, line)? {
        Value::Object(m) => Ok(m),
        other => Err(InputError::Syntax {
            file: file.to_owned(),
            line,
            message: format!(
                "expected a JSON object (one record per line), found {}",
                kind(&other)
            ),
        }),
    }
}

/// One JSON record (a JSONL line, or an element of a JSON array) as `T` (rules 3–5): it must be an
/// object without repeated members; a field error names the JSON path (`choices[2]`).
pub fn record<T: DeserializeOwned>(json: &str, file: &str, line: usize) -> Result<T, InputError> {
    let map = object_line(json, file, line)?;
    from_object(map, file, line)
}

/// A parsed JSON object as `T`, a field error naming the JSON path.
pub fn from_object<T: DeserializeOwned>(
    map: Map<String, Value>,
    file: &str,
    line: usize,
) -> Result<T, InputError> {
    with_path(Value::Object(map)).map_err(|(field, message)| InputError::Field {
        file: file.to_owned(),
        line,
        field,
        message,
    })
}

/// Every non-blank line of a JSONL text as `T`, refusing an input without records (rules 1–5).
pub fn jsonl<T: DeserializeOwned>(text: &str, file: &str) -> Result<Vec<(usize, T)>, InputError> {
    let out = lines(text)
        .map(|(n, l)| record(l, file, n).map(|r| (n, r)))
        .collect::<Result<Vec<_>, _>>()?;
    require_records(out.len(), text, file)?;
    Ok(out)
}

/// A finite number from a text cell (rule 5): `NaN`, `inf` and non-numbers are refused.
pub fn finite(cell: &str) -> Result<f64, String> {
    let t = cell.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("`{t}` is not a finite number")),
        Err(_) => Err(format!("`{t}` is not a number")),
    }
}

/// Remembers where each key was first seen, so a repeat is an error naming both lines (rule 4).
#[derive(Debug, Default, Clone)]
pub struct UniqueKeys {
    what: String,
    seen: BTreeMap<String, usize>,
}

impl UniqueKeys {
    /// Track keys of one kind (`id`, `question_id`, …), named so in errors.
    pub fn new(what: &str) -> Self {
        Self {
            what: what.to_owned(),
            seen: BTreeMap::new(),
        }
    }

    /// Record `key` at `line`; an error when it was seen before. An empty key is refused (rule 7).
    pub fn insert(&mut self, key: &str, file: &str, line: usize) -> Result<(), InputError> {
        if key.trim().is_empty() {
            return Err(InputError::Field {
                file: file.to_owned(),
                line,
                field: self.what.clone(),
                message: "empty".to_owned(),
            });
        }
        if let Some(&first_line) = self.seen.get(key) {
            return Err(InputError::Duplicate {
                file: file.to_owned(),
                line,
                first_line,
                what: self.what.clone(),
                key: key.to_owned(),
            });
        }
        self.seen.insert(key.to_owned(), line);
        Ok(())
    }

    /// How many distinct keys were seen.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no key was seen.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// The JSON kind of a value, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------------

const DUPLICATE: &str = "duplicate JSON object member ";

/// A `serde_json::Value` whose objects refuse a member given twice.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        StrictValue::deserialize(d).map(|v| v.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("{DUPLICATE}{key}")));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// `T::deserialize(value)` with the field of an error named as precisely as possible ([`field_name`]).
fn with_path<T: DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(Objects(value)).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        (field_name(&path, &message), message)
    })
}

/// A JSON value as a serde [`Deserializer`] whose structs must be JSON objects (rule 3, at every depth):
/// `serde_json::Value` would fill a struct from an array, field by field in order, so a nested
/// `["x", 1]` would pass for `{"id": "x", "n": 1}`. Arrays stay arrays for sequences and tuples. Enums,
/// and what serde buffers itself (untagged and internally tagged enums, flattened fields), are read as
/// `serde_json` reads them.
struct Objects(Value);

impl<'de> Deserializer<'de> for Objects {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(a) => visitor.visit_seq(ObjectsSeq(a.into_iter())),
            Value::Object(m) => visitor.visit_map(ObjectsMap {
                iter: m.into_iter(),
                value: None,
            }),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            Value::Array(_) => Err(de::Error::invalid_type(
                de::Unexpected::Seq,
                &"a JSON object (an array is not read as a record)",
            )),
            other => other.deserialize_struct(name, fields, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Objects(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_bool(v)
    }
    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_i8(v)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_i16(v)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_i32(v)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_i64(v)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_u8(v)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_u16(v)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_u32(v)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_u64(v)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_f32(v)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_f64(v)
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_char(v)
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_str(v)
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_string(v)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_bytes(v)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_byte_buf(v)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit(v)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, v)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_identifier(v)
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        v.visit_unit()
    }
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(a) => v.visit_seq(ObjectsSeq(a.into_iter())),
            other => other.deserialize_seq(v),
        }
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(v)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(v)
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(v),
            other => other.deserialize_map(v),
        }
    }
}

struct ObjectsSeq(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for ObjectsSeq {
    type Error = serde_json::Error;
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Objects(v)))
            .transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct ObjectsMap {
    iter: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for ObjectsMap {
    type Error = serde_json::Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(Value::String(k)).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(Objects(v)),
            None => Err(de::Error::custom("a map value without its key")),
        }
    }
}

/// The most precise field name for a serde error: its path (`choices[2]`, `meta.k`), extended by the
/// field a "missing/unknown/duplicate field `x`" message names (`a` + missing `x` → `a.x`);
/// `(document)` for the record as a whole.
pub fn field_name(path: &str, message: &str) -> String {
    let path = if path == "." || path == "?" { "" } else { path };
    for marker in ["missing field `", "unknown field `", "duplicate field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            if let Some(name) = rest.split('`').next() {
                let last = path.rsplit('.').next().unwrap_or("");
                return if path.is_empty() {
                    name.to_owned()
                } else if last == name {
                    path.to_owned()
                } else {
                    format!("{path}.{name}")
                };
            }
        }
    }
    if path.is_empty() {
        "(document)".to_owned()
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn streamed_lines_follow_the_same_rules_as_lines() {
        let cases: [&[u8]; 7] = [
            b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  \n{\"b\":2}",
            b"one\ntwo\n",
            b"x\r",
            b"\n\n last \r\n",
            b"",
            b"\xEF\xBB\xBF \r\n\t",
            b"ok\nbad \xFF here\n",
        ];
        for bytes in cases {
            let want: Result<Vec<(usize, String)>, InputError> = text(bytes, "f").and_then(|t| {
                let v: Vec<_> = lines(t).map(|(n, l)| (n, l.to_owned())).collect();
                require_records(v.len(), t, "f").map(|()| v)
            });
            let mut got = Vec::new();
            let r = for_each_line(bytes, "f", |n, l| {
                got.push((n, l.to_owned()));
                Ok::<(), InputError>(())
            });
            assert_eq!(r.map(|_| got), want, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Rec {
        id: String,
        n: u32,
        x: f64,
    }

    #[test]
    fn bom_crlf_and_blank_lines() {
        let t = text(b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n{\"a\":2}\r\n", "f").unwrap_or_default();
        let got: Vec<(usize, &str)> = lines(t).collect();
        assert_eq!(got, vec![(1, "{\"a\":1}"), (3, "{\"a\":2}")]);
        assert!(matches!(
            text(b"ok\n\xff", "f"),
            Err(InputError::Utf8 { line: 2, .. })
        ));
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Outer {
        inner: Rec,
        #[serde(default)]
        list: Vec<Rec>,
        #[serde(default)]
        pair: Option<(String, u32)>,
    }

    /// Rule 3 at every depth: a nested struct is never filled from an array; arrays stay fine for
    /// sequences and tuples.
    #[test]
    fn nested_records_must_be_objects() {
        let ok = r#"{"inner": {"id": "a", "n": 1, "x": 0.5}, "list": [{"id": "b", "n": 2, "x": 1.0}], "pair": ["p", 3]}"#;
        let o: Outer = record(ok, "f", 1).unwrap();
        assert_eq!(o.list[0].id, "b");
        assert_eq!(o.pair, Some(("p".into(), 3)));
        for (bad, field) in [
            (r#"{"inner": ["a", 1, 0.5]}"#, "inner"),
            (
                r#"{"inner": {"id": "a", "n": 1, "x": 0.5}, "list": [["b", 2, 1.0]]}"#,
                "list[0]",
            ),
        ] {
            match record::<Outer>(bad, "f", 4) {
                Err(InputError::Field {
                    line: 4,
                    field: f,
                    message,
                    ..
                }) => {
                    assert_eq!(f, field, "{bad}");
                    assert!(
                        message.contains("an array is not read as a record"),
                        "{message}"
                    );
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn no_records_is_an_error() {
        for (input, what) in [("", "empty file"), (" \n\r\n\t", "whitespace only")] {
            match jsonl::<Rec>(input, "f.jsonl") {
                Err(InputError::Empty { what: w, .. }) => assert_eq!(w, what),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn non_object_lines_are_refused_by_line() {
        for bad in [r#"["a", 1, 2.0]"#, r#""a""#, "3", "null", "true"] {
            let input = format!("{{\"id\":\"a\",\"n\":1,\"x\":0.5}}\n{bad}\n");
            match jsonl::<Rec>(&input, "f.jsonl") {
                Err(InputError::Syntax {
                    line: 2, message, ..
                }) => {
                    assert!(message.contains("expected a JSON object"), "{message}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn duplicate_members_are_refused_at_any_depth() {
        for bad in [
            r#"{"id":"a","n":1,"x":0.5,"n":2}"#,
            r#"{"id":"a","n":1,"x":0.5,"meta":{"k":1,"k":2}}"#,
            r#"{"id":"a","n":1,"x":0.5,"l":[{"k":1,"k":1}]}"#,
        ] {
            match strict_value(bad, "f", 7) {
                Err(InputError::Member { line: 7, key, .. }) => {
                    assert!(key == "n" || key == "k", "{key}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn numbers_are_what_the_schema_says() {
        for (bad, field) in [
            (r#"{"id":"a","n":"3","x":0.5}"#, "n"),
            (r#"{"id":"a","n":3.5,"x":0.5}"#, "n"),
            (r#"{"id":"a","n":-1,"x":0.5}"#, "n"),
            (r#"{"id":"a","n":1,"x":"0.5"}"#, "x"),
            (r#"{"id":"a","n":1,"x":null}"#, "x"),
        ] {
            match record::<Rec>(bad, "f", 1) {
                Err(InputError::Field { field: f, .. }) => assert_eq!(f, field, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(record::<Rec>(r#"{"id":"a","n":1,"x":1e400}"#, "f", 1).is_err());
        assert_eq!(finite(" 2.5 "), Ok(2.5));
        for bad in ["NaN", "nan", "inf", "-Infinity", "", "3x"] {
            assert!(finite(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unique_keys_name_both_lines() {
        let mut k = UniqueKeys::new("id");
        assert!(k.insert("a", "f", 1).is_ok());
        assert!(k.insert("b", "f", 2).is_ok());
        match k.insert("a", "f", 5) {
            Err(e @ InputError::Duplicate { .. }) => {
                assert_eq!(
                    e.to_string(),
                    "f: line 5: duplicate id `a` (first at line 1)"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            k.insert(" ", "f", 6),
            Err(InputError::Field { .. })
        ));
        assert_eq!(k.len(), 2);
    }
}
