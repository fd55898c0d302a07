//! The browser transport: the global `fetch` (works in a page and in a Web Worker), an `AbortController`
//! for the timeout, `setTimeout` for sleeping and `Date.now()` for the clock.

use std::time::{Duration, SystemTime};

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::error::TransportError;
use crate::rt::{Clock, LocalBoxFuture, SystemClock};
use crate::transport::{HttpRequest, HttpResponse, Transport};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &web_sys::Request) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// `fetch`-backed transport. Response headers visible to it are limited by CORS; it reads
/// `content-type`, `retry-after` and `retry-after-ms` (a server must list the latter two in
/// `Access-Control-Expose-Headers` for the page to see them).
#[derive(Debug, Clone, Copy, Default)]
pub struct WasmTransport;

fn js_message(v: &JsValue) -> String {
    v.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| v.as_string())
        .unwrap_or_else(|| "fetch failed".into())
}

fn sleep_promise(ms: i32) -> Promise {
    Promise::new(&mut |resolve, _reject| {
        let _ = set_timeout(&resolve, ms);
    })
}

fn millis(d: Duration) -> i32 {
    d.as_millis().min(i32::MAX as u128) as i32
}

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        let ms = js_sys::Date::now();
        SystemTime::UNIX_EPOCH
            + Duration::from_millis(if ms.is_finite() && ms > 0.0 {
                ms as u64
            } else {
                0
            })
    }
    fn sleep(&self, d: Duration) -> LocalBoxFuture<'static, ()> {
        let p = sleep_promise(millis(d));
        Box::pin(async move {
            let _ = JsFuture::from(p).await;
        })
    }
}

impl Transport for WasmTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let invalid =
            |_: JsValue| TransportError::InvalidRequest("cannot build the fetch request".into());
        let init = web_sys::RequestInit::new();
        init.set_method(request.method.as_str());
        let headers = web_sys::Headers::new().map_err(invalid)?;
        for (k, v) in &request.headers {
            headers.set(k, v).map_err(invalid)?;
        }
        if let Some(key) = &request.bearer {
            headers
                .set("authorization", &format!("Bearer {}", key.expose()))
                .map_err(invalid)?;
        }
        init.set_headers(&headers);
        if request.method == crate::transport::Method::Post {
            let body = Uint8Array::from(request.body.as_slice());
            init.set_body(&body);
        }
        let controller = web_sys::AbortController::new().map_err(invalid)?;
        init.set_signal(Some(&controller.signal()));
        let req = web_sys::Request::new_with_str_and_init(&request.url, &init).map_err(invalid)?;
        let timeout = request.timeout.unwrap_or(Duration::from_secs(3600));
        let abort = {
            let c = controller.clone();
            Closure::once_into_js(move || c.abort())
        };
        let timer = abort
            .dyn_ref::<js_sys::Function>()
            .map(|f| set_timeout(f, millis(timeout)));
        let result = read(global_fetch(&req), request.max_body_bytes).await;
        if let Some(t) = &timer {
            clear_timeout(t);
        }
        result.map_err(|e| {
            if controller.signal().aborted() {
                TransportError::Timeout { after: timeout }
            } else {
                e
            }
        })
    }
}

async fn read(fetch: Promise, limit: u64) -> Result<HttpResponse, TransportError> {
    let resp = JsFuture::from(fetch)
        .await
        .map_err(|e| TransportError::Connect(js_message(&e)))?;
    let resp: web_sys::Response = resp
        .dyn_into()
        .map_err(|_| TransportError::Protocol("fetch did not return a Response".into()))?;
    let mut headers = Vec::new();
    for name in [
        "content-type",
        "content-length",
        "retry-after",
        "retry-after-ms",
    ] {
        if let Ok(Some(v)) = resp.headers().get(name) {
            headers.push((name.to_owned(), v));
        }
    }
    if let Some(n) = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
    {
        if n > limit {
            return Err(TransportError::TooLarge { limit });
        }
    }
    let buf = resp
        .array_buffer()
        .map_err(|e| TransportError::Truncated(js_message(&e)))?;
    let buf = JsFuture::from(buf)
        .await
        .map_err(|e| TransportError::Truncated(js_message(&e)))?;
    let bytes = Uint8Array::new(&buf);
    if u64::from(bytes.length()) > limit {
        return Err(TransportError::TooLarge { limit });
    }
    Ok(HttpResponse {
        status: resp.status(),
        headers,
        body: bytes.to_vec(),
    })
}
