//! AlpacaEval `annotations.json` (SPEC §5): a JSON array of `{instruction, output_1, generator_1,
//! dataset, output_2, generator_2, annotator, preference, price_per_example, time_per_example,
//! raw_completion?}`. `output_1` is the baseline; the pair is oriented `answer_a` = `output_1`. The verdict
//! is the recorded `preference` ([`Verdict::Alpaca`], `null` → no verdict). Preferences are stored in the
//! output_1/output_2 orientation after AlpacaEval maps its randomised order back, so the recorded verdict
//! is never `swapped`; [`weighted_preference`] recovers which order the judge actually saw.
//!
//! The weighted annotator (`weighted_alpaca_eval_gpt4_turbo`) keeps the judge's first-token logprobs in
//! `raw_completion.logprobs.content[0].top_logprobs`; [`logprob_parser`] reproduces
//! `logprob_parser(numerator "m", denominators ["m", "M"])`: `p = exp(lp_m − logsumexp(lp_m, lp_M))`, a
//! missing token counting as −∞, and the annotator's preference `2 − p` in the order shown.

use serde_json::Value;

use super::{Loc, Rec, parse_json_array, utf8};
use crate::ImportError;
use crate::label::Verdict;
use crate::pair::{JudgedPair, RecordedVerdict};

/// Import an `annotations.json`.
pub fn import_annotations(bytes: &[u8], file: &str) -> Result<Vec<JudgedPair>, ImportError> {
    let text = utf8(bytes, file)?;
    let mut out = Vec::new();
    for (i, v) in parse_json_array(text, file)?.iter().enumerate() {
        let rec = Rec::new(file, Loc::Record(i), v)?;
        let instruction = rec.str("instruction")?;
        let o1 = rec.str("output_1")?;
        let o2 = rec.str("output_2")?;
        let g1 = rec.opt_str("generator_1")?.unwrap_or("");
        let g2 = rec.opt_str("generator_2")?.unwrap_or("");
        let annotator = rec.opt_str("annotator")?.unwrap_or("unknown");
        let preference = rec.opt_f64("preference")?;
        let mut pair = JudgedPair::new(&format!("{g2}/{i}"), instruction, o1, Some(o2));
        let mut rv = RecordedVerdict::new(
            annotator,
            "alpaca-eval",
            false,
            preference.map(|preference| Verdict::Alpaca { preference }),
        );
        match rec.get("raw_completion") {
            Some(Value::String(s)) => rv.raw = Some(s.clone()),
            Some(Value::Object(o)) => {
                rv.raw = o
                    .get("text")
                    .and_then(Value::as_str)
                    .or_else(|| o.get("message")?.get("content")?.as_str())
                    .map(str::to_owned);
                if let Some(p) = logprob_parser(&Value::Object(o.clone())) {
                    rv.meta.insert("p_m".into(), Value::from(p));
                }
            }
            _ => {}
        }
        for key in ["price_per_example", "time_per_example"] {
            if let Some(x) = rec.opt_f64(key)? {
                rv.meta.insert(key.into(), Value::from(x));
            }
        }
        pair.verdicts.push(rv);
        pair.meta.insert("generator_1".into(), Value::from(g1));
        pair.meta.insert("generator_2".into(), Value::from(g2));
        if let Some(d) = rec.opt_str("dataset")? {
            pair.meta.insert("dataset".into(), Value::from(d));
        }
        out.push(pair);
    }
    Ok(out)
}

/// `p = P(m) / (P(m) + P(M))` from the first generated token's `top_logprobs` in an OpenAI
/// `raw_completion` object; `None` when the logprobs are absent or neither token is listed.
pub fn logprob_parser(raw_completion: &Value) -> Option<f64> {
    let top = raw_completion
        .get("logprobs")?
        .get("content")?
        .get(0)?
        .get("top_logprobs")?
        .as_array()?;
    let lp = |tok: &str| {
        top.iter()
            .find(|t| t.get("token").and_then(Value::as_str) == Some(tok))
            .and_then(|t| t.get("logprob")?.as_f64())
            .unwrap_or(f64::NEG_INFINITY)
    };
    let (m, big) = (lp("m"), lp("M"));
    let mx = m.max(big);
    if mx == f64::NEG_INFINITY || mx.is_nan() {
        return None;
    }
    let lse = mx + ((m - mx).exp() + (big - mx).exp()).ln();
    Some((m - lse).exp())
}

/// Which order the weighted annotator saw, recovered from its logprobs: the recorded preference equals
/// `2 − p` when the outputs were shown in order and `1 + p` (= `3 − (2 − p)`) when AlpacaEval had swapped
/// them. Returns `(p, swapped)`, or `None` when neither matches within `tol`.
pub fn weighted_preference(recorded: f64, p: f64, tol: f64) -> Option<bool> {
    if (recorded - (2.0 - p)).abs() <= tol {
        Some(false)
    } else if (recorded - (1.0 + p)).abs() <= tol {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn annotations_and_logprobs() {
        let doc = serde_json::json!([
            {"instruction": "i", "output_1": "a", "generator_1": "base", "output_2": "b", "generator_2": "m",
             "annotator": "weighted", "preference": 1.25, "dataset": "d",
             "raw_completion": {"logprobs": {"content": [{"top_logprobs": [
                 {"token": "M", "logprob": (0.75f64).ln()}, {"token": "m", "logprob": (0.25f64).ln()}]}]}, "text": "M"}},
            {"instruction": "i", "output_1": "a", "output_2": "b", "preference": null}
        ]);
        let pairs = import_annotations(doc.to_string().as_bytes(), "a.json").unwrap();
        assert_eq!(pairs.len(), 2);
        let v = &pairs[0].verdicts[0];
        assert_eq!(v.preference(), Some(crate::Preference::A));
        let p = v.meta["p_m"].as_f64().unwrap();
        assert!((p - 0.25).abs() < 1e-12);
        assert_eq!(weighted_preference(1.25, p, 1e-9), Some(true));
        assert_eq!(weighted_preference(1.75, p, 1e-9), Some(false));
        assert_eq!(pairs[1].verdicts[0].verdict, None);
        let e = import_annotations(b"[{\"instruction\": 1}]", "a.json").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.json: record 0: field `instruction`: expected a string, found a number"
        );
    }
}
