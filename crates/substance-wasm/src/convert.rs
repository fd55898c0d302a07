//! Conversions across the boundary: JSON values both ways, and typed errors to JS `Error`s.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

/// A JS `Error` with `name` (the error type, e.g. `SuiteError`) and the error's message.
pub(crate) fn js_error(name: &str, message: impl std::fmt::Display) -> JsValue {
    let e = js_sys::Error::new(&message.to_string());
    e.set_name(name);
    e.into()
}

/// Map a library error to a JS `Error` named `name`.
pub(crate) fn named<E: std::fmt::Display>(name: &'static str) -> impl Fn(E) -> JsValue {
    move |e| js_error(name, e)
}

/// Serialize as plain JSON-compatible JS values (objects, not `Map`s; `null` for `None`).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            js_error(
                "InputError",
                format!("cannot convert the result to JS: {e}"),
            )
        })
}

/// Deserialize an argument; `what` names it in the error (`"opts"`, `"pair"`, …). `undefined`/`null`
/// give `T::default()` when `T` has one — use [`from_js_opt`] for that.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| js_error("InputError", format!("{what}: {e}")))
}

/// Like [`from_js`], but `undefined` and `null` give the default.
pub(crate) fn from_js_opt<T: DeserializeOwned + Default>(
    value: JsValue,
    what: &str,
) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(T::default())
    } else {
        from_js(value, what)
    }
}

/// A text file given as `{file_name, text}`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextFile {
    pub file_name: String,
    pub text: String,
}

/// Text or bytes (`string | Uint8Array`) as bytes.
pub(crate) fn bytes_of(value: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = value.as_string() {
        Ok(s.into_bytes())
    } else if value.is_instance_of::<js_sys::Uint8Array>() {
        Ok(js_sys::Uint8Array::new(value).to_vec())
    } else {
        Err(js_error(
            "InputError",
            format!("{what}: expected a string or a Uint8Array"),
        ))
    }
}

/// A dropped file: `{ name, bytes }`.
pub(crate) struct FileArg {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// `{ name, bytes }` with `bytes` a `Uint8Array` or text.
pub(crate) fn file_arg(v: &JsValue, what: &str) -> Result<FileArg, JsValue> {
    let name = js_sys::Reflect::get(v, &JsValue::from_str("name"))?
        .as_string()
        .ok_or_else(|| js_error("InputError", format!("{what}: `name` must be a string")))?;
    let bytes = bytes_of(
        &js_sys::Reflect::get(v, &JsValue::from_str("bytes"))?,
        &format!("{what} `{name}`"),
    )?;
    Ok(FileArg { name, bytes })
}

/// An array of `{ name, bytes }`.
pub(crate) fn files_arg(v: &JsValue, what: &str) -> Result<Vec<FileArg>, JsValue> {
    if !js_sys::Array::is_array(v) {
        return Err(js_error(
            "InputError",
            format!("{what}: expected an array of {{ name, bytes }}"),
        ));
    }
    js_sys::Array::from(v)
        .iter()
        .map(|f| file_arg(&f, what))
        .collect()
}
