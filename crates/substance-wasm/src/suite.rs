//! Suites: the bundled samples (embedded), suite files, and importers of foreign formats.

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use substance_core::Suite;
use substance_suite::{AuxFile, ImportOptions};
use wasm_bindgen::prelude::*;

use crate::convert::{from_js_opt, js_error, named, to_js};

/// A bundled sample suite: `(name, suite.toml, items.jsonl, fewshot.jsonl, sample_responses.jsonl)`.
type Sample = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

macro_rules! sample_file {
    ($suite:literal, $file:literal) => {
        include_str!(concat!("../../../suites/", $suite, "/", $file))
    };
}

const SAMPLES: [Sample; 4] = [
    (
        "sample-knowledge",
        sample_file!("sample-knowledge", "suite.toml"),
        sample_file!("sample-knowledge", "items.jsonl"),
        Some(sample_file!("sample-knowledge", "fewshot.jsonl")),
        None,
    ),
    (
        "sample-instructions",
        sample_file!("sample-instructions", "suite.toml"),
        sample_file!("sample-instructions", "items.jsonl"),
        None,
        Some(sample_file!(
            "sample-instructions",
            "sample_responses.jsonl"
        )),
    ),
    (
        "sample-math",
        sample_file!("sample-math", "suite.toml"),
        sample_file!("sample-math", "items.jsonl"),
        Some(sample_file!("sample-math", "fewshot.jsonl")),
        Some(sample_file!("sample-math", "sample_responses.jsonl")),
    ),
    (
        "sample-safety",
        sample_file!("sample-safety", "suite.toml"),
        sample_file!("sample-safety", "items.jsonl"),
        None,
        None,
    ),
];

/// Summary of a suite for lists and headers.
#[derive(Serialize)]
pub(crate) struct SuiteInfo {
    name: String,
    version: String,
    description: Option<String>,
    output_type: substance_core::OutputType,
    scorers: Vec<String>,
    n_items: usize,
    sha256: String,
    has_sample_responses: bool,
    /// For a suite imported with format "auto": the importer chosen and why.
    imported_as: Option<ImportedAs>,
}

#[derive(Serialize, Clone)]
struct ImportedAs {
    format: &'static str,
    reason: String,
}

/// A loaded suite (items stay in Rust).
#[wasm_bindgen]
pub struct WasmSuite {
    pub(crate) suite: Rc<Suite>,
    sample_responses: Option<&'static str>,
    imported_as: Option<ImportedAs>,
}

fn load_sample(name: &str) -> Result<WasmSuite, JsValue> {
    let (n, toml, items, fewshot, responses) = SAMPLES
        .iter()
        .find(|s| s.0 == name)
        .copied()
        .ok_or_else(|| {
            let known: Vec<&str> = SAMPLES.iter().map(|s| s.0).collect();
            js_error(
                "SuiteError",
                format!("no bundled suite `{name}` (bundled: {})", known.join(", ")),
            )
        })?;
    let suite =
        substance_suite::load_suite_from_parts(toml, items, fewshot, &format!("suites/{n}"))
            .map_err(named("SuiteError"))?;
    Ok(WasmSuite {
        suite: Rc::new(suite),
        sample_responses: responses,
        imported_as: None,
    })
}

/// The bundled sample suites (`suites/sample-*`, embedded in the module).
#[wasm_bindgen(js_name = sampleSuites, unchecked_return_type = "SuiteInfo[]")]
pub fn sample_suites() -> Result<JsValue, JsValue> {
    let mut out = Vec::new();
    for s in SAMPLES {
        out.push(load_sample(s.0)?.info_struct()?);
    }
    to_js(&out)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JsImportOptions {
    name: Option<String>,
    version: Option<String>,
    subject: Option<String>,
    fewshot: Option<JsAux>,
    n_fewshot: Option<usize>,
    chat: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsAux {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    bytes: JsValue,
    file_name: String,
}

#[wasm_bindgen]
impl WasmSuite {
    /// A bundled sample suite by name.
    pub fn sample(name: &str) -> Result<WasmSuite, JsValue> {
        load_sample(name)
    }

    /// A suite from its files' texts: `suite.toml`, the items JSONL (or the foreign file of a suite
    /// with a `[source]`) and the few-shot JSONL when the toml declares one.
    #[wasm_bindgen(js_name = fromFiles)]
    pub fn from_files(
        toml: &str,
        items: &str,
        fewshot: Option<String>,
        origin: Option<String>,
    ) -> Result<WasmSuite, JsValue> {
        let origin = origin.unwrap_or_else(|| "suite".into());
        let suite =
            substance_suite::load_suite_from_parts(toml, items, fewshot.as_deref(), &origin)
                .map_err(named("SuiteError"))?;
        Ok(WasmSuite {
            suite: Rc::new(suite),
            sample_responses: None,
            imported_as: None,
        })
    }

    /// Import a benchmark file with an importer (`format` from `info().importers`, or `"auto"`).
    pub fn import(
        format: &str,
        bytes: &[u8],
        file_name: &str,
        #[wasm_bindgen(unchecked_param_type = "ImportOptions | undefined")] opts: JsValue,
    ) -> Result<WasmSuite, JsValue> {
        let o: JsImportOptions = from_js_opt(opts, "opts")?;
        let fewshot = match o.fewshot {
            Some(a) => Some(AuxFile {
                origin: a.file_name,
                bytes: crate::convert::bytes_of(&a.bytes, "opts.fewshot.bytes")?,
            }),
            None => None,
        };
        let opts = ImportOptions {
            name: o.name,
            version: o.version,
            subject: o.subject,
            fewshot,
            n_fewshot: o.n_fewshot,
            chat: o.chat,
        };
        let (suite, imported_as) = if format == "auto" {
            let (suite, d) = substance_suite::import::import_auto(bytes, file_name, &opts)
                .map_err(named("SuiteError"))?;
            (
                suite,
                Some(ImportedAs {
                    format: d.format,
                    reason: d.reason,
                }),
            )
        } else {
            let suite = substance_suite::import(format, bytes, file_name, &opts)
                .map_err(named("SuiteError"))?;
            (suite, None)
        };
        Ok(WasmSuite {
            suite: Rc::new(suite),
            sample_responses: None,
            imported_as,
        })
    }

    fn info_struct(&self) -> Result<SuiteInfo, JsValue> {
        let s = &self.suite.spec;
        Ok(SuiteInfo {
            name: s.name.clone(),
            version: s.version.clone(),
            description: (!s.description.is_empty()).then(|| s.description.clone()),
            output_type: s.output_type,
            scorers: s.scorers.clone(),
            n_items: self.suite.items.len(),
            sha256: self.suite.sha256().map_err(named("SuiteError"))?,
            has_sample_responses: self.sample_responses.is_some(),
            imported_as: self.imported_as.clone(),
        })
    }

    /// Name, version, output type, scorers, item count, sha256.
    #[wasm_bindgen(unchecked_return_type = "SuiteInfo")]
    pub fn info(&self) -> Result<JsValue, JsValue> {
        to_js(&self.info_struct()?)
    }

    /// The declarative spec (the suite.toml fields, as in receipt headers).
    #[wasm_bindgen(unchecked_return_type = "SuiteSpec")]
    pub fn spec(&self) -> Result<JsValue, JsValue> {
        to_js(&self.suite.spec)
    }

    /// Items `offset..offset+limit` (all by default).
    #[wasm_bindgen(unchecked_return_type = "Item[]")]
    pub fn items(&self, offset: Option<usize>, limit: Option<usize>) -> Result<JsValue, JsValue> {
        let items = &self.suite.items;
        let start = offset.unwrap_or(0).min(items.len());
        let end = limit.map_or(items.len(), |l| start.saturating_add(l).min(items.len()));
        to_js(&items[start..end])
    }

    /// The prompt of item `index`, exactly as a model is sent it.
    #[wasm_bindgen(unchecked_return_type = "Prompt")]
    pub fn prompt(&self, index: usize) -> Result<JsValue, JsValue> {
        if index >= self.suite.items.len() {
            return Err(js_error(
                "InputError",
                format!(
                    "item index {index} out of range ({} items)",
                    self.suite.items.len()
                ),
            ));
        }
        let p = substance_suite::build_prompt(&self.suite, index).map_err(named("SuiteError"))?;
        to_js(&p)
    }

    /// The bundled `sample_responses.jsonl` of a sample suite (for a replay run), if it has one.
    #[wasm_bindgen(js_name = sampleResponses)]
    pub fn sample_responses(&self) -> Option<String> {
        self.sample_responses.map(str::to_owned)
    }

    /// The suite as `suite.toml` text.
    #[wasm_bindgen(js_name = toToml)]
    pub fn to_toml(&self) -> Result<String, JsValue> {
        substance_suite::render_suite_toml(&self.suite).map_err(named("SuiteError"))
    }

    /// The items as JSONL text.
    #[wasm_bindgen(js_name = itemsJsonl)]
    pub fn items_jsonl(&self) -> Result<String, JsValue> {
        substance_suite::render_items_jsonl(&self.suite.items).map_err(named("SuiteError"))
    }
}
