//! Generation (step API, stop sequences, sampling, chat) and the `LocalModel` adapter.
#![cfg(not(target_family = "wasm"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use burn::tensor::Device;
use common::*;
use substance_core::{GenerationSpec, Message, Prompt, Response};
use substance_model::{FinishReason, GenerateOptions, LocalModel, Sampling};

fn greedy(max_tokens: usize) -> GenerateOptions {
    GenerateOptions {
        max_tokens,
        stop: vec![],
        sampling: Sampling::Greedy,
        stop_at_eos: true,
    }
}

#[test]
fn the_step_api_equals_one_shot_generation() {
    let model = load_hf("tiny-opt", &Device::flex());
    let prompt = model.encode("Hello world", true).unwrap();
    let whole = model.generate_ids(&prompt, greedy(8)).unwrap();
    let mut st = model.start(&prompt, greedy(8)).unwrap();
    let mut steps = Vec::new();
    while let Some(t) = model.next_token(&mut st).unwrap() {
        steps.push(t);
    }
    assert_eq!(steps, whole.generated_ids());
    assert_eq!(st.finish_reason(), Some(FinishReason::Length));
    assert_eq!(
        model.next_token(&mut st).unwrap(),
        None,
        "finished states stay finished"
    );
    assert_eq!(st.text(), model.tokenizer().decode(&steps, true).unwrap());
}

#[test]
fn stop_sequences_cut_the_text_before_them() {
    let model = load_hf("tiny-opt", &Device::flex());
    let prompt = model.encode("Hello world", true).unwrap();
    let full = model.generate_ids(&prompt, greedy(8)).unwrap();
    let text = full.text().to_owned();
    // stop on a piece of the greedy text: the result is the prefix before it
    let cut = text.char_indices().nth(text.chars().count() / 2).unwrap().0;
    let stop: String = text[cut..].chars().take(3).collect();
    let st = model
        .generate_ids(
            &prompt,
            GenerateOptions {
                stop: vec![stop.clone()],
                ..greedy(8)
            },
        )
        .unwrap();
    assert_eq!(st.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(st.text(), &text[..text.find(&stop).unwrap()]);
    assert!(!st.text().contains(&stop));
}

#[test]
fn seeded_sampling_is_reproducible() {
    let model = load_hf("tiny-llama", &Device::flex());
    let prompt = model.encode("The keeper", false).unwrap();
    let run = |seed| {
        let opts = GenerateOptions {
            max_tokens: 12,
            stop: vec![],
            sampling: Sampling::Random {
                temperature: 1.0,
                top_k: Some(50),
                top_p: Some(0.95),
                seed,
            },
            stop_at_eos: false,
        };
        model
            .generate_ids(&prompt, opts)
            .unwrap()
            .generated_ids()
            .to_vec()
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

#[test]
fn local_model_adapter() {
    let device = Device::flex();
    let dir = fixtures().join("tiny-llama");
    let local = LocalModel::load(&format!("hf:{}", dir.display()), &device).unwrap();
    let info = local.info();
    let sha =
        substance_model::load::sha256_hex(&std::fs::read(dir.join("model.safetensors")).unwrap());
    assert_eq!(info.weights_sha256.as_deref(), Some(sha.as_str()));
    assert!(info.id.starts_with("hf:"));
    // log-likelihoods: the reference's lm-eval pairs
    let r = reference("tiny-llama");
    let pairs = r["loglikelihood"]["pairs"].as_array().unwrap();
    let reqs: Vec<[String; 2]> = pairs
        .iter()
        .map(|p| {
            [
                p["context"].as_str().unwrap().to_owned(),
                p["continuation"].as_str().unwrap().to_owned(),
            ]
        })
        .collect();
    let got = local.loglikelihood(&reqs).unwrap();
    for (g, p) in got.iter().zip(pairs) {
        assert!((g.ll - p["logprob"].as_f64().unwrap()).abs() <= 1e-4);
        assert_eq!(g.is_greedy, p["is_greedy"].as_bool().unwrap());
        assert_eq!(
            g.n_tokens,
            Some(p["continuation_ids"].as_array().unwrap().len())
        );
    }
    // completion and chat generations
    let spec = GenerationSpec {
        max_tokens: 6,
        stop: vec![],
        temperature: 0.0,
    };
    let resp = local
        .generate(
            &Prompt::Completion {
                text: "Snow fell".into(),
            },
            &spec,
            0,
        )
        .unwrap();
    let Response::Generation {
        text,
        finish_reason,
    } = resp
    else {
        panic!()
    };
    let ids = local.model().encode("Snow fell", false).unwrap();
    let want = local.model().generate_ids(&ids, greedy(6)).unwrap();
    assert_eq!(text, want.text());
    assert_eq!(finish_reason.as_deref(), Some("length"));
    let chat = Prompt::Chat {
        messages: vec![Message {
            role: "user".into(),
            content: "hi".into(),
        }],
    };
    // the HF folder has no tokenizer_config.json, hence no template (the GGUF tests cover chat)
    let e = local.generate(&chat, &spec, 0).unwrap_err();
    assert!(e.to_string().contains("no chat template"), "{e}");
    let ll = Prompt::LogLikelihood {
        context: "a".into(),
        continuations: vec!["b".into()],
    };
    assert!(local.generate(&ll, &spec, 0).is_err());
}

#[test]
fn chat_needs_a_recognised_template() {
    // tiny-opt ships no chat template: a clear error, not a guess
    let model = load_hf("tiny-opt", &Device::flex());
    let e = model
        .generate_chat(
            &[Message {
                role: "user".into(),
                content: "hi".into(),
            }],
            greedy(2),
        )
        .unwrap_err();
    assert!(e.to_string().contains("no chat template"), "{e}");
}

/// `logits_on_host` (vocabulary projection in row chunks, read back piece by piece) gives the logits a
/// whole forward pass reads back, for every architecture, a batch of two rows and chunks that split rows.
#[test]
fn chunked_host_logits_equal_the_forward_pass() {
    use burn::tensor::{Int, Tensor, TensorData};
    let device = Device::flex();
    for name in ARCHS {
        let model = load_hf(name, &device);
        let lm = model.lm();
        let ids: Vec<i64> = (0..14)
            .map(|i| (i * 7 + 3) % lm.vocab_size() as i64)
            .collect();
        let tokens = || Tensor::<2, Int>::from_data(TensorData::new(ids.clone(), [2, 7]), &device);
        let whole = substance_model::read::block_on(substance_model::read::read_f32(
            lm.forward(tokens(), &mut lm.new_cache(2)).unwrap(),
        ))
        .unwrap();
        for chunk in [1, 3, 14, 64] {
            let got = substance_model::read::block_on(substance_model::runtime::logits_on_host(
                lm,
                tokens(),
                &mut lm.new_cache(2),
                chunk,
            ))
            .unwrap();
            assert_eq!(got.len(), whole.len(), "{name}");
            let d = max_abs(&got, &whole);
            assert!(d <= 1e-5, "{name} chunk {chunk}: max-abs {d}");
        }
    }
}

/// A generation stopped by its hook ends between two tokens with `Cancelled` (the tokens so far
/// counted), and the same model then generates exactly what an uninterrupted run does.
#[test]
fn interruptible_generation_stops_between_tokens_and_the_model_stays_usable() {
    let device = Device::flex();
    let dir = fixtures().join("tiny-llama");
    let local = LocalModel::load(&format!("hf:{}", dir.display()), &device).unwrap();
    let spec = GenerationSpec {
        max_tokens: 8,
        stop: vec![],
        temperature: 0.0,
    };
    let prompt = Prompt::Completion {
        text: "Snow fell".into(),
    };
    let mut calls = 0usize;
    let e =
        substance_model::read::block_on(local.generate_interruptible(&prompt, &spec, 0, || {
            calls += 1;
            std::future::ready(calls <= 3)
        }))
        .unwrap_err();
    assert!(
        matches!(e, substance_model::ModelError::Cancelled { tokens: 3 }),
        "{e:?}"
    );
    assert_eq!(calls, 4);
    let whole = local.generate_counted_async(&prompt, &spec, 0);
    let (resp, n) = substance_model::read::block_on(whole).unwrap();
    assert_eq!(n, 8);
    let ids = local.model().encode("Snow fell", false).unwrap();
    let want = local.model().generate_ids(&ids, greedy(8)).unwrap();
    let Response::Generation { text, .. } = resp else {
        panic!()
    };
    assert_eq!(text, want.text());
}

/// A prompt fed a chunk at a time (the cache grows between chunks, the causal mask offset by what is
/// cached) generates the tokens a one-pass prefill generates, for every architecture and a chunk size
/// that does not divide the prompt; the progress counts each chunk.
#[test]
fn a_chunked_prefill_generates_what_one_pass_does() {
    let device = Device::flex();
    for name in ARCHS {
        let model = load_hf(name, &device);
        let vocab = model.lm().vocab_size() as u32;
        let ids: Vec<u32> = (0..40u32).map(|i| (i * 37 + 11) % vocab).collect();
        let whole = model.generate_ids(&ids, greedy(6)).unwrap();
        let mut st = model.begin(&ids, greedy(6)).unwrap().with_prefill_chunk(7);
        let mut seen = Vec::new();
        while !substance_model::read::block_on(model.prefill_step_async(&mut st)).unwrap() {
            seen.push(st.prefill_progress());
        }
        seen.push(st.prefill_progress());
        let want: Vec<(usize, usize)> = [7, 14, 21, 28, 35, 40].iter().map(|&d| (d, 40)).collect();
        assert_eq!(seen, want, "{name}");
        let mut steps = Vec::new();
        while let Some(t) = model.next_token(&mut st).unwrap() {
            steps.push(t);
        }
        assert_eq!(steps, whole.generated_ids(), "{name}");
    }
}
