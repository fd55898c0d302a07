//! The suite file format: a folder with `suite.toml` and one or two JSONL files.
//!
//! ```text
//! suites/<name>/
//!   suite.toml      the fields of `SuiteSpec` at top level, plus `data` / `fewshot_data` or a `[source]`
//!   items.jsonl     one `Item` per line
//!   fewshot.jsonl   optional few-shot pool, one `Item` per line
//! ```
//!
//! A suite whose items live in a foreign file (an MMLU CSV, a HellaSwag text file…) declares
//! `[source] format = "<importer>" path = "…"` instead of `data`; the importer turns the file into items and
//! the spec in `suite.toml` is used as written (the importer's default spec is ignored).
//!
//! Everything here works on strings; only [`load_suite_dir`] and [`write_suite_dir`] touch the file system
//! (feature `fs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use substance_core::{CoreError, Item, OutputType, Suite, SuiteSpec};
use toml::de::{DeTable, DeValue};

use crate::SuiteError;
use crate::import::{self, AuxFile, ImportOptions};

/// Conventional name of the items file written by [`write_suite_dir`].
pub const ITEMS_FILE: &str = "items.jsonl";
/// Conventional name of the few-shot pool file written by [`write_suite_dir`].
pub const FEWSHOT_FILE: &str = "fewshot.jsonl";
/// Name of the suite file inside a suite folder.
pub const SUITE_FILE: &str = "suite.toml";

/// The `[source]` table: items come from a foreign file through an importer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Importer name (see [`crate::importer_names`]).
    pub format: String,
    /// The foreign file (or folder, with the `fs` feature), relative to `suite.toml`.
    pub path: String,
    /// Optional second file for the importer (MMLU dev CSV, GSM8K train JSONL, BBH CoT prompt), relative to
    /// `suite.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fewshot: Option<String>,
    /// Subject / task / category passed to the importer (default: from the file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A parsed `suite.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteFile {
    /// The declarative spec (every top-level field but `data`, `fewshot_data` and `[source]`).
    pub spec: SuiteSpec,
    /// Items file, relative to `suite.toml` (exclusive with `source`).
    pub data: Option<String>,
    /// Few-shot pool file, relative to `suite.toml` (only with `data`).
    pub fewshot_data: Option<String>,
    /// Foreign source of the items (exclusive with `data`).
    pub source: Option<SourceSpec>,
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Turn a serde path + message into the most precise field name (the kit's one rule:
/// [`substance_core::input::field_name`]).
pub(crate) fn field_name(path: &str, message: &str) -> String {
    substance_core::input::field_name(path, message)
}

/// Line of the key at a dotted `path` inside a spanned TOML table.
fn key_line(table: &DeTable<'_>, path: &str, text: &str) -> Option<usize> {
    let mut current = table;
    let mut segments = path.split('.').peekable();
    while let Some(seg) = segments.next() {
        let seg = seg.split('[').next().unwrap_or(seg);
        let (key, value) = current.get_key_value(seg)?;
        if segments.peek().is_none() {
            return Some(line_of(text, key.span().start));
        }
        match value.get_ref() {
            DeValue::Table(t) => current = t,
            _ => return Some(line_of(text, value.span().start)),
        }
    }
    None
}

fn take_string(
    table: &mut DeTable<'_>,
    key: &str,
    text: &str,
    file: &str,
) -> Result<Option<String>, SuiteError> {
    match table.remove(key) {
        None => Ok(None),
        Some(v) => {
            let line = Some(line_of(text, v.span().start));
            match v.get_ref() {
                DeValue::String(s) if !s.trim().is_empty() => Ok(Some(s.to_string())),
                DeValue::String(_) => Err(SuiteError::field_error(
                    file,
                    line,
                    key,
                    "must be a non-empty path",
                )),
                other => Err(SuiteError::field_error(
                    file,
                    line,
                    key,
                    format!("expected a string, found {}", other.type_str()),
                )),
            }
        }
    }
}

fn deserialize_table<T: serde::de::DeserializeOwned>(
    table: toml::Spanned<DeTable<'_>>,
    prefix: &str,
    text: &str,
    file: &str,
) -> Result<T, SuiteError> {
    let de = toml::de::Deserializer::from(table);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let line = inner.span().map(|s| line_of(text, s.start));
        let field = field_name(&path, inner.message());
        let field = if prefix.is_empty() {
            field
        } else if field == "(document)" {
            prefix.to_owned()
        } else {
            format!("{prefix}.{field}")
        };
        SuiteError::field_error(file, line, field, inner.message().trim())
    })
}

/// Parse the text of a `suite.toml`. `origin` names the file in errors.
///
/// Checks: TOML syntax (with line), every spec field (with its dotted path and line), unknown fields,
/// `data` xor `[source]`, and [`SuiteSpec::validate`].
pub fn parse_suite_toml(text: &str, origin: &str) -> Result<SuiteFile, SuiteError> {
    let text = substance_core::input::strip_bom(text);
    let mut root = DeTable::parse(text).map_err(|e| SuiteError::Syntax {
        file: origin.to_owned(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: format!("TOML: {}", e.message().trim()),
    })?;
    let span = root.span();
    let table = root.get_mut();
    let data = take_string(table, "data", text, origin)?;
    let fewshot_data = take_string(table, "fewshot_data", text, origin)?;
    let source = match table.remove("source") {
        None => None,
        Some(v) => {
            let vspan = v.span();
            match v.into_inner() {
                DeValue::Table(t) => Some(deserialize_table::<SourceSpec>(
                    toml::Spanned::new(vspan, t),
                    "source",
                    text,
                    origin,
                )?),
                other => {
                    return Err(SuiteError::field_error(
                        origin,
                        Some(line_of(text, vspan.start)),
                        "source",
                        format!("expected a table, found {}", other.type_str()),
                    ));
                }
            }
        }
    };
    let keys_table = table.clone();
    let spec: SuiteSpec = deserialize_table(
        toml::Spanned::new(span, std::mem::take(table)),
        "",
        text,
        origin,
    )?;
    spec.validate(origin).map_err(|e| match e {
        CoreError::Invalid { field, message, .. } => SuiteError::Field {
            file: origin.to_owned(),
            line: key_line(&keys_table, &field, text),
            field,
            message,
        },
        other => SuiteError::Invalid {
            file: origin.to_owned(),
            source: other,
        },
    })?;
    match (&data, &source) {
        (None, None) => {
            return Err(SuiteError::field_error(
                origin,
                None,
                "data",
                "either `data = \"items.jsonl\"` or a `[source]` table is required",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(SuiteError::field_error(
                origin,
                key_line(&keys_table, "data", text),
                "data",
                "`data` and `[source]` are exclusive",
            ));
        }
        _ => {}
    }
    if source.is_some() && fewshot_data.is_some() {
        return Err(SuiteError::field_error(
            origin,
            None,
            "fewshot_data",
            "with a `[source]`, the few-shot file is `source.fewshot`",
        ));
    }
    if let Some(src) = &source {
        if !import::importer_names().contains(&src.format.as_str()) {
            return Err(SuiteError::field_error(
                origin,
                None,
                "source.format",
                format!(
                    "unknown importer `{}` (known: {})",
                    src.format,
                    import::importer_names().join(", ")
                ),
            ));
        }
    }
    Ok(SuiteFile {
        spec,
        data,
        fewshot_data,
        source,
    })
}

/// Parse one JSON object of type `T` per non-blank line, keeping the 1-based line numbers, with the
/// kit's reading policy ([`substance_core::input`]): BOM and CRLF accepted; a line that is not an
/// object, a member given twice, or a file without records is an error naming the file and line.
pub(crate) fn parse_jsonl_lines<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<Vec<(usize, T)>, SuiteError> {
    Ok(substance_core::input::jsonl(text, origin)?)
}

/// Parse a JSONL items file: one [`Item`] per line (blank lines are skipped). Errors name the file, the
/// line and the field (`gold[1]`, `meta`, …).
pub fn parse_items_jsonl(text: &str, origin: &str) -> Result<Vec<Item>, SuiteError> {
    Ok(parse_jsonl_lines::<Item>(text, origin)?
        .into_iter()
        .map(|(_, item)| item)
        .collect())
}

/// Validate items one by one so that an error names the line, then check ids are unique.
pub(crate) fn validate_item_lines(
    items: &[(usize, Item)],
    output_type: OutputType,
    file: &str,
) -> Result<(), SuiteError> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (line, item) in items {
        item.validate(output_type, file).map_err(|e| match e {
            CoreError::Invalid { field, message, .. } => SuiteError::Field {
                file: file.to_owned(),
                line: Some(*line),
                field,
                message: format!("item `{}`: {message}", item.id),
            },
            other => SuiteError::Invalid {
                file: file.to_owned(),
                source: other,
            },
        })?;
        if let Some(first) = seen.insert(item.id.as_str(), *line) {
            return Err(SuiteError::field_error(
                file,
                Some(*line),
                "id",
                format!("duplicate item id `{}` (first on line {first})", item.id),
            ));
        }
    }
    Ok(())
}

/// Validate a whole suite, attributing errors to `file`; few-shot examples are validated too (they are
/// not covered by [`Suite::validate`]).
pub(crate) fn validate_suite(suite: &Suite, file: &str) -> Result<(), SuiteError> {
    suite.validate(file).map_err(|source| SuiteError::Invalid {
        file: file.to_owned(),
        source,
    })?;
    let mut seen = std::collections::BTreeSet::new();
    for ex in &suite.fewshot_pool {
        ex.validate(suite.spec.output_type, &format!("{file} (few-shot pool)"))
            .map_err(|source| SuiteError::Invalid {
                file: file.to_owned(),
                source,
            })?;
        if !seen.insert(ex.id.as_str()) {
            return Err(SuiteError::Field {
                file: format!("{file} (few-shot pool)"),
                line: None,
                field: "id".to_owned(),
                message: format!("duplicate few-shot example id `{}`", ex.id),
            });
        }
    }
    Ok(())
}

fn join(origin: &str, name: &str) -> String {
    if origin.is_empty() || origin == "." {
        name.to_owned()
    } else {
        format!("{}/{name}", origin.trim_end_matches(['/', '\\']))
    }
}

/// Build the importer options a `[source]` table asks for.
pub(crate) fn source_options(src: &SourceSpec, fewshot: Option<AuxFile>) -> ImportOptions {
    ImportOptions {
        subject: src.subject.clone(),
        fewshot,
        ..ImportOptions::default()
    }
}

/// Assemble a suite from already-parsed parts and validate it.
pub(crate) fn assemble(
    file: &SuiteFile,
    items: Vec<(usize, Item)>,
    items_file: &str,
    pool: Vec<(usize, Item)>,
    pool_file: &str,
) -> Result<Suite, SuiteError> {
    validate_item_lines(&items, file.spec.output_type, items_file)?;
    if file.spec.output_type == OutputType::MultipleChoice {
        for (line, ex) in &pool {
            ex.validate(file.spec.output_type, pool_file)
                .map_err(|e| match e {
                    CoreError::Invalid { field, message, .. } => SuiteError::Field {
                        file: pool_file.to_owned(),
                        line: Some(*line),
                        field,
                        message: format!("few-shot example `{}`: {message}", ex.id),
                    },
                    other => SuiteError::Invalid {
                        file: pool_file.to_owned(),
                        source: other,
                    },
                })?;
        }
    }
    let suite = Suite {
        spec: file.spec.clone(),
        items: items.into_iter().map(|(_, i)| i).collect(),
        fewshot_pool: pool.into_iter().map(|(_, i)| i).collect(),
    };
    validate_suite(&suite, items_file)?;
    Ok(suite)
}

/// Numbered items from an importer (importers have no line numbers of their own here).
fn numbered(items: Vec<Item>) -> Vec<(usize, Item)> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, x)| (i + 1, x))
        .collect()
}

/// Build a suite from the texts of its files, without touching the file system (the browser path).
///
/// - `toml`: the `suite.toml` text;
/// - `items`: the text of the `data` file, or, for a suite with a `[source]`, the foreign file's text
///   (it is passed to the importer named by `source.format`);
/// - `fewshot`: the text of `fewshot_data` (or of `source.fewshot`); required exactly when the toml
///   declares one;
/// - `origin`: the suite folder, used to name files in errors (`<origin>/suite.toml`, …).
pub fn load_suite_from_parts(
    toml: &str,
    items: &str,
    fewshot: Option<&str>,
    origin: &str,
) -> Result<Suite, SuiteError> {
    let toml_name = join(origin, SUITE_FILE);
    let file = parse_suite_toml(toml, &toml_name)?;
    let declared = file
        .fewshot_data
        .as_deref()
        .or(file.source.as_ref().and_then(|s| s.fewshot.as_deref()));
    match (declared, fewshot) {
        (Some(name), None) => {
            return Err(SuiteError::field_error(
                &toml_name,
                None,
                if file.source.is_some() {
                    "source.fewshot"
                } else {
                    "fewshot_data"
                },
                format!("declares `{name}` but its text was not supplied"),
            ));
        }
        (None, Some(_)) => {
            return Err(SuiteError::field_error(
                &toml_name,
                None,
                "fewshot_data",
                "a few-shot file was supplied but the suite declares none",
            ));
        }
        _ => {}
    }
    if let Some(src) = &file.source {
        let src_name = join(origin, &src.path);
        let aux = match (src.fewshot.as_deref(), fewshot) {
            (Some(name), Some(text)) => Some(AuxFile {
                origin: join(origin, name),
                bytes: text.as_bytes().to_vec(),
            }),
            _ => None,
        };
        let imported = import::import(
            &src.format,
            items.as_bytes(),
            &src_name,
            &source_options(src, aux),
        )?;
        return assemble(
            &file,
            numbered(imported.items),
            &src_name,
            numbered(imported.fewshot_pool),
            &src_name,
        );
    }
    let data = file.data.as_deref().unwrap_or(ITEMS_FILE);
    let items_name = join(origin, data);
    let items = parse_jsonl_lines::<Item>(items, &items_name)?;
    let (pool, pool_name) = match (file.fewshot_data.as_deref(), fewshot) {
        (Some(name), Some(text)) => {
            let pool_name = join(origin, name);
            (parse_jsonl_lines::<Item>(text, &pool_name)?, pool_name)
        }
        _ => (Vec::new(), items_name.clone()),
    };
    assemble(&file, items, &items_name, pool, &pool_name)
}

/// Preferred key order of `suite.toml` (keys not listed follow alphabetically, so a field added to the
/// core spec is still written).
const KEY_ORDER: &[&str] = &[
    "format",
    "name",
    "version",
    "template",
    "description",
    "output_type",
    "scorers",
    "target_delimiter",
    "fewshot_delimiter",
    "chat",
    "n",
    "same_group",
    "max_tokens",
    "stop",
    "temperature",
];
const TABLE_ORDER: &[&str] = &["prompt", "fewshot", "generation"];

fn ordered<'a>(
    map: &'a serde_json::Map<String, serde_json::Value>,
    order: &[&str],
) -> Vec<(&'a String, &'a serde_json::Value)> {
    let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(order.len());
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then_with(|| a.0.cmp(b.0)));
    entries
}

/// A TOML basic string on one line (escapes instead of multi-line strings, so `"\n\n"` reads as such).
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_owned()
    } else {
        toml_string(k)
    }
}

fn toml_value(key: &str, v: &serde_json::Value) -> Result<String, SuiteError> {
    use serde_json::Value;
    Ok(match v {
        Value::String(s) => toml_string(s),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            let t = n.to_string();
            if n.is_f64() && !t.contains(['.', 'e', 'E']) {
                format!("{t}.0")
            } else {
                t
            }
        }
        Value::Array(a) => {
            let parts: Result<Vec<_>, _> = a.iter().map(|x| toml_value(key, x)).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Object(m) => {
            let parts: Result<Vec<_>, SuiteError> = ordered(m, KEY_ORDER)
                .into_iter()
                .map(|(k, x)| Ok(format!("{} = {}", toml_key(k), toml_value(k, x)?)))
                .collect();
            format!("{{ {} }}", parts?.join(", "))
        }
        Value::Null => {
            return Err(SuiteError::Serialise {
                what: format!("suite spec field `{key}`"),
                message: "no TOML representation (null or a non-finite number)".into(),
            });
        }
    })
}

/// The `suite.toml` text for a suite written as `suite.toml` + `items.jsonl` (+ `fewshot.jsonl` when the
/// suite has a few-shot pool). Strings are written on one line with escapes (`"\n\n"`), keys in the
/// order of the spec.
pub fn render_suite_toml(suite: &Suite) -> Result<String, SuiteError> {
    let value = serde_json::to_value(&suite.spec).map_err(|e| SuiteError::Serialise {
        what: "suite spec".into(),
        message: e.to_string(),
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(SuiteError::Serialise {
            what: "suite spec".into(),
            message: "not a table".into(),
        });
    };
    let mut out = format!(
        "# substance suite file (format {}): the spec, then the items in `data` (one JSON item per line).\n",
        substance_core::SUITE_FORMAT
    );
    let mut tables = Vec::new();
    for (k, v) in ordered(&map, KEY_ORDER) {
        if v.is_object() {
            tables.push((k, v));
        } else {
            out.push_str(&format!("{} = {}\n", toml_key(k), toml_value(k, v)?));
        }
    }
    out.push_str(&format!("data = {}\n", toml_string(ITEMS_FILE)));
    if !suite.fewshot_pool.is_empty() {
        out.push_str(&format!("fewshot_data = {}\n", toml_string(FEWSHOT_FILE)));
    }
    let rank = |k: &str| {
        TABLE_ORDER
            .iter()
            .position(|o| *o == k)
            .unwrap_or(TABLE_ORDER.len())
    };
    tables.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then_with(|| a.0.cmp(b.0)));
    for (k, v) in tables {
        out.push_str(&format!("\n[{}]\n", toml_key(k)));
        if let serde_json::Value::Object(m) = v {
            for (ik, iv) in ordered(m, KEY_ORDER) {
                out.push_str(&format!("{} = {}\n", toml_key(ik), toml_value(ik, iv)?));
            }
        }
    }
    Ok(out)
}

/// JSONL text of items, one per line (keys in struct order; `meta` keys sorted).
pub fn render_items_jsonl(items: &[Item]) -> Result<String, SuiteError> {
    let mut out = String::new();
    for item in items {
        let line = serde_json::to_string(item).map_err(|e| SuiteError::Serialise {
            what: format!("item `{}`", item.id),
            message: e.to_string(),
        })?;
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(feature = "fs")]
mod fs_impl {
    use std::path::Path;

    use super::*;

    fn read_text(path: &Path) -> Result<String, SuiteError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| SuiteError::Io {
            file: file.clone(),
            source,
        })?;
        crate::import::utf8(&bytes, &file).map(str::to_owned)
    }

    /// Load a suite folder: `suite.toml` plus its `data`/`fewshot_data` files, or its `[source]` (which may
    /// name a folder, e.g. MMLU's `test/`, see [`crate::import_path`]).
    pub fn load_suite_dir(path: &Path) -> Result<Suite, SuiteError> {
        let toml_path = path.join(SUITE_FILE);
        let toml_name = toml_path.display().to_string();
        let text = read_text(&toml_path)?;
        let file = parse_suite_toml(&text, &toml_name)?;
        if let Some(src) = &file.source {
            let src_path = path.join(&src.path);
            let fewshot = src.fewshot.as_ref().map(|f| path.join(f));
            let opts = source_options(src, None);
            let imported =
                crate::import::import_path(&src.format, &src_path, fewshot.as_deref(), &opts)?;
            let name = src_path.display().to_string();
            return assemble(
                &file,
                numbered(imported.items),
                &name,
                numbered(imported.fewshot_pool),
                &name,
            );
        }
        let data = file.data.as_deref().unwrap_or(ITEMS_FILE);
        let items_path = path.join(data);
        let items_name = items_path.display().to_string();
        let items = parse_jsonl_lines::<Item>(&read_text(&items_path)?, &items_name)?;
        let (pool, pool_name) = match &file.fewshot_data {
            Some(f) => {
                let p = path.join(f);
                let n = p.display().to_string();
                (parse_jsonl_lines::<Item>(&read_text(&p)?, &n)?, n)
            }
            None => (Vec::new(), items_name.clone()),
        };
        assemble(&file, items, &items_name, pool, &pool_name)
    }

    /// Write a suite as a folder: `suite.toml`, `items.jsonl` and, when it has a few-shot pool,
    /// `fewshot.jsonl`. The folder is created if needed; existing files of those names are replaced.
    pub fn write_suite_dir(suite: &Suite, dir: &Path) -> Result<(), SuiteError> {
        let io = |p: &Path| {
            let file = p.display().to_string();
            move |source| SuiteError::Io { file, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let toml_path = dir.join(SUITE_FILE);
        std::fs::write(&toml_path, render_suite_toml(suite)?).map_err(io(&toml_path))?;
        let items_path = dir.join(ITEMS_FILE);
        std::fs::write(&items_path, render_items_jsonl(&suite.items)?).map_err(io(&items_path))?;
        let pool_path = dir.join(FEWSHOT_FILE);
        if suite.fewshot_pool.is_empty() {
            if pool_path.exists() {
                std::fs::remove_file(&pool_path).map_err(io(&pool_path))?;
            }
        } else {
            std::fs::write(&pool_path, render_items_jsonl(&suite.fewshot_pool)?)
                .map_err(io(&pool_path))?;
        }
        Ok(())
    }
}

#[cfg(feature = "fs")]
pub use fs_impl::{load_suite_dir, write_suite_dir};
