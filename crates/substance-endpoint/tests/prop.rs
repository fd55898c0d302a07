//! Property tests: response parsing never panics and round-trips; the continuation rule sums exactly
//! the right tokens for any tokenisation; spec and Retry-After parsing never panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::SystemTime;

use proptest::prelude::*;
use substance_endpoint::api::parse_response;
use substance_endpoint::*;

fn token_text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z]{1,6}", " [a-z]{1,5}", "[\\n.,?!]", "[éüß中😀]{1,2}",]
}

fn logprobs_block(tokens: &[String], lps: &[f64]) -> CompletionLogprobs {
    let mut offsets = Vec::new();
    let mut off = 0;
    for t in tokens {
        offsets.push(off);
        off += t.chars().count();
    }
    CompletionLogprobs {
        tokens: tokens.to_vec(),
        token_logprobs: lps
            .iter()
            .enumerate()
            .map(|(i, &x)| (i > 0).then_some(x))
            .collect(),
        top_logprobs: Some(
            tokens
                .iter()
                .zip(lps)
                .enumerate()
                .map(|(i, (t, &x))| (i > 0).then(|| BTreeMap::from([(t.clone(), x)])))
                .collect(),
        ),
        text_offset: Some(offsets),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_response::<CompletionResponse>("h", None, &body);
        let _ = parse_response::<ChatCompletionResponse>("h", Some("text/html"), &body);
        let _ = parse_response::<ModelList>("h", None, &body);
        let _ = substance_endpoint::api::error_message(None, &body);
    }

    #[test]
    fn json_like_fragments_never_panic(parts in proptest::collection::vec(prop_oneof![
        Just("{".to_owned()), Just("}".to_owned()), Just("[".to_owned()), Just("]".to_owned()),
        Just("\"choices\":".to_owned()), Just("\"logprobs\":".to_owned()), Just("\"tokens\":".to_owned()),
        Just("\"text_offset\":".to_owned()), Just("\"message\":".to_owned()), Just("null".to_owned()),
        Just(",".to_owned()), Just("-1e309".to_owned()), Just("\"x\"".to_owned()), Just("18446744073709551616".to_owned()),
    ], 0..40)) {
        let body = parts.concat();
        let _ = parse_response::<CompletionResponse>("h", None, body.as_bytes());
        let _ = parse_response::<ChatCompletionResponse>("h", None, body.as_bytes());
    }

    #[test]
    fn valid_responses_round_trip_and_every_cut_is_an_error(
        tokens in proptest::collection::vec(token_text(), 1..12),
        lps in proptest::collection::vec(-20.0f64..0.0, 12),
        cut in any::<prop::sample::Index>(),
    ) {
        let lps = &lps[..tokens.len()];
        let text: String = tokens.concat();
        let resp = CompletionResponse {
            id: "x".into(), object: "text_completion".into(), created: 1, model: "m".into(),
            choices: vec![CompletionChoice {
                text, index: 0, logprobs: Some(logprobs_block(&tokens, lps)), finish_reason: Some("length".into()),
            }],
            usage: None,
        };
        let json = serde_json::to_string(&resp).unwrap();
        let back: CompletionResponse = parse_response("h", None, json.as_bytes()).unwrap();
        // serde_json's default float parser may be 1 ulp off (its `float_roundtrip` feature is not on in
        // the workspace), so log-probs are compared to 1e-12; everything else exactly.
        let (a, b) = (back.choices[0].logprobs.as_ref().unwrap(), resp.choices[0].logprobs.as_ref().unwrap());
        prop_assert_eq!(&a.tokens, &b.tokens);
        prop_assert_eq!(&a.text_offset, &b.text_offset);
        for (x, y) in a.token_logprobs.iter().zip(&b.token_logprobs) {
            prop_assert_eq!(x.is_some(), y.is_some());
            prop_assert!((x.unwrap_or(0.0) - y.unwrap_or(0.0)).abs() < 1e-12);
        }
        prop_assert_eq!(&back.choices[0].text, &resp.choices[0].text);
        prop_assert_eq!((&back.id, back.created, &back.choices[0].finish_reason), (&resp.id, resp.created, &resp.choices[0].finish_reason));
        let at = cut.index(json.len());
        let e = parse_response::<CompletionResponse>("h", None, &json.as_bytes()[..at]);
        prop_assert!(e.is_err());
        prop_assert!(e.unwrap_err().to_string().contains("endpoint h"));
    }

    #[test]
    fn continuation_sum_is_exact(
        tokens in proptest::collection::vec(token_text(), 2..16),
        lps in proptest::collection::vec(-20.0f64..0.0, 16),
        split in any::<prop::sample::Index>(),
    ) {
        let lps = &lps[..tokens.len()];
        let prompt: String = tokens.concat();
        let n_chars = prompt.chars().count();
        // Split the prompt at a token boundary after the first token.
        let k = 1 + split.index(tokens.len() - 1);
        let ctx_chars: usize = tokens[..k].iter().map(|t| t.chars().count()).sum();
        prop_assume!(ctx_chars < n_chars);
        let block = logprobs_block(&tokens, lps);
        let r = continuation_loglik(&prompt, ctx_chars, &block).unwrap();
        let want: f64 = lps[k..].iter().sum();
        prop_assert!((r.ll - want).abs() < 1e-9);
        prop_assert_eq!(r.n_tokens, Some(tokens.len() - k));
        prop_assert!(r.is_greedy);
    }

    #[test]
    fn continuation_rule_never_panics_on_garbage(
        tokens in proptest::collection::vec(".{0,3}", 0..8),
        lps in proptest::collection::vec(proptest::option::of(-1e3f64..1e3), 0..8),
        offsets in proptest::option::of(proptest::collection::vec(0usize..40, 0..8)),
        prompt in ".{0,20}",
        ctx in 0usize..25,
    ) {
        let block = CompletionLogprobs { tokens, token_logprobs: lps, top_logprobs: None, text_offset: offsets };
        let _ = continuation_loglik(&prompt, ctx, &block);
    }

    #[test]
    fn specs_and_headers_never_panic(s in ".{0,60}") {
        if let Err(e) = ModelSpec::parse(&s) {
            if matches!(e, SpecError::CredentialsInUrl) {
                prop_assert!(!e.to_string().contains(&s));
            }
        }
        let _ = parse_retry_after(&s, SystemTime::UNIX_EPOCH);
        let _ = substance_endpoint::spec::host_of(&s);
    }
}
