//! OpenAI-compatible endpoints from the page (the browser's `fetch`). The key stays in this object.

use std::rc::Rc;

use serde::Deserialize;
use substance_core::{GenerationSpec, Prompt};
use substance_endpoint::{ClientConfig, DefaultTransport, EndpointModel, ModelSpec, Secret};
use wasm_bindgen::prelude::*;

use crate::convert::{from_js, named, to_js};

/// An endpoint model (`http(s)://HOST[:PORT]/v1#MODEL` or `openai:MODEL`).
#[wasm_bindgen]
pub struct WasmEndpoint {
    pub(crate) model: Rc<EndpointModel<DefaultTransport>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    max_tokens: usize,
    #[serde(default)]
    stop: Vec<String>,
    #[serde(default)]
    temperature: f64,
    #[serde(default)]
    seed: u64,
}

#[wasm_bindgen]
impl WasmEndpoint {
    /// Parse the spec; `api_key` (if any) is kept in memory only, sent as `Authorization: Bearer`.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: &str, api_key: Option<String>) -> Result<WasmEndpoint, JsValue> {
        let spec = ModelSpec::parse(spec).map_err(named("EndpointError"))?;
        let key = api_key.filter(|k| !k.is_empty()).map(Secret::new);
        let model = substance_endpoint::model_from_spec(&spec, key, ClientConfig::new(""), None);
        Ok(WasmEndpoint {
            model: Rc::new(model),
        })
    }

    /// Identity written into receipts (never the key).
    #[wasm_bindgen(
        unchecked_return_type = "{ id: string, weights_sha256: string | null, source: string | null }"
    )]
    pub fn info(&self) -> Result<JsValue, JsValue> {
        to_js(&self.model.info())
    }

    /// Answer a prompt (`Prompt` JSON) with the generation settings.
    #[wasm_bindgen(unchecked_return_type = "Response")]
    pub async fn generate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Prompt")] prompt: JsValue,
        #[wasm_bindgen(
            unchecked_param_type = "{ max_tokens: number, stop?: string[], temperature?: number, seed?: number }"
        )]
        settings: JsValue,
    ) -> Result<JsValue, JsValue> {
        let prompt: Prompt = from_js(prompt, "prompt")?;
        let s: Settings = from_js(settings, "settings")?;
        let spec = GenerationSpec {
            max_tokens: s.max_tokens,
            stop: s.stop,
            temperature: s.temperature,
        };
        let r = self
            .model
            .generate_async(&prompt, &spec, s.seed)
            .await
            .map_err(named("EndpointError"))?;
        to_js(&r)
    }

    /// Log-likelihoods of `[context, continuation]` pairs (needs a server with echo + logprobs).
    #[wasm_bindgen(
        unchecked_return_type = "{ ll: number, is_greedy: boolean, n_tokens?: number }[]"
    )]
    pub async fn loglikelihood(
        &self,
        #[wasm_bindgen(unchecked_param_type = "[string, string][]")] requests: JsValue,
    ) -> Result<JsValue, JsValue> {
        let reqs: Vec<[String; 2]> = from_js(requests, "requests")?;
        let r = self
            .model
            .loglikelihood_async(&reqs)
            .await
            .map_err(named("EndpointError"))?;
        to_js(&r)
    }
}
