//! Prefill / decode / scoring speed of the runtime (not a test).
//!
//! `cargo run --release -p substance-model --example speed [-- --backend wgpu] [-- --quick]`
//!
//! Options used by `cargo xtask bench model` (which runs one model per process, so peak memory is that
//! model's): `--hf DIR` benchmarks only the Hugging Face folder `DIR` (`config.json` +
//! `model.safetensors`; no tokenizer needed, token ids are given), `--gguf PATH` only that GGUF,
//! `--inputs FILE` takes the prompt and the 8×128 scoring batch from `{"prompt": […], "batch": [[…], …]}`
//! (ids ≥ the vocabulary wrap modulo its size), `--dump-prefill FILE` writes the prefill logits
//! (`[32, vocab]` f32 little-endian), `--json` adds one `SPEED_JSON {…}` line per model to stdout.
//!
//! Model 1: OPT-125m-shaped weights drawn here from a seeded RNG (12 layers, hidden 768, 12 heads,
//! ffn 3072, vocab 50272, tied head — the shape of `$PERF/opt125m-random` in shared/perf/ANCHORS.md,
//! not its values). Model 2: SmolLM2-135M-Instruct Q4_1 GGUF (dequantised to f32) when found at
//! `$SUBSTANCE_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf` or `models/…`, its blocks kept quantised
//! (`--f32`: dequantised to f32).
//!
//! Method (as ANCHORS.md): prefill = median of 5 forwards over the 32-token prompt with logits for
//! every position, after 2 warm-ups; decode = median per-step time (forward of one token + output
//! projection + read-back + argmax) over 127 steps, median of 3 runs after 1 warm-up; scoring = one
//! forward over 8×128 tokens with full logits read back, median of 3 after 1 warm-up; plus the
//! log-likelihood API on the same 8×128 tokens. Peak RSS from /proc/self/status (VmHWM).
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::time::Instant;

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use substance_model::gpt2::{Gpt2, Gpt2Config};
use substance_model::llama::{Llama, LlamaConfig};
use substance_model::opt::{Opt, OptConfig};
use substance_model::read::read_f32;
use substance_model::runtime::EncodedPair;
use substance_model::weights::{MemorySource, SafetensorsFile, WeightMap};
use substance_model::{CausalLm, LoglikOptions, Model};

const PROMPT: [u32; 32] = [
    42531, 31849, 25558, 13492, 15394, 2052, 3765, 830, 8766, 40664, 32472, 45638, 25183, 30333,
    48537, 36475, 31615, 27183, 27997, 46753, 13870, 40793, 33545, 140, 19709, 42870, 27717, 1683,
    38245, 36483, 42329, 8786,
];

fn opt125m_random(device: &Device) -> Opt {
    let config: OptConfig = serde_json::from_value(serde_json::json!({
        "vocab_size": 50272, "hidden_size": 768, "num_hidden_layers": 12, "ffn_dim": 3072,
        "num_attention_heads": 12, "max_position_embeddings": 2048, "word_embed_proj_dim": 768,
        "do_layer_norm_before": true, "activation_function": "relu", "enable_bias": true,
        "tie_word_embeddings": true
    }))
    .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut src = MemorySource::new("opt125m-random");
    let mut add = |name: &str, shape: Vec<usize>, std: f32, mean: f32| {
        let n: usize = shape.iter().product();
        let a = std * 3f32.sqrt();
        let v: Vec<f32> = if a > 0.0 {
            (0..n).map(|_| mean + rng.random_range(-a..a)).collect()
        } else {
            vec![mean; n]
        };
        src.insert(name, shape, v);
    };
    let (h, f, v) = (768, 3072, 50272);
    let p = "model.decoder.";
    add(&format!("{p}embed_tokens.weight"), vec![v, h], 0.02, 0.0);
    add(
        &format!("{p}embed_positions.weight"),
        vec![2050, h],
        0.02,
        0.0,
    );
    add(&format!("{p}final_layer_norm.weight"), vec![h], 0.0, 1.0);
    add(&format!("{p}final_layer_norm.bias"), vec![h], 0.0, 0.0);
    for i in 0..12 {
        let l = format!("{p}layers.{i}.");
        for n in ["q_proj", "k_proj", "v_proj", "out_proj"] {
            add(&format!("{l}self_attn.{n}.weight"), vec![h, h], 0.02, 0.0);
            add(&format!("{l}self_attn.{n}.bias"), vec![h], 0.0, 0.0);
        }
        for n in ["self_attn_layer_norm", "final_layer_norm"] {
            add(&format!("{l}{n}.weight"), vec![h], 0.0, 1.0);
            add(&format!("{l}{n}.bias"), vec![h], 0.0, 0.0);
        }
        add(&format!("{l}fc1.weight"), vec![f, h], 0.02, 0.0);
        add(&format!("{l}fc1.bias"), vec![f], 0.0, 0.0);
        add(&format!("{l}fc2.weight"), vec![h, f], 0.02, 0.0);
        add(&format!("{l}fc2.bias"), vec![h], 0.0, 0.0);
    }
    Opt::load(config, &mut WeightMap::new(&src, device)).unwrap()
}

/// Drive a future on this thread (CPU reads resolve at once); works on wasm32-wasip1 too.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn tokens(rows: &[Vec<u32>], device: &Device) -> Tensor<2, Int> {
    let w = rows[0].len();
    let flat: Vec<i64> = rows.iter().flatten().map(|&t| i64::from(t)).collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), w]), device)
}

fn argmax(xs: &[f32]) -> u32 {
    substance_model::sampling::argmax(xs) as u32
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// High-water mark of this process's memory so far: VmHWM natively; on wasm the linear memory size
/// (it only grows, so it is the heap's high-water mark).
fn high_water_mb() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as f64 * 65536.0 / 1e6
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        peak_rss_mb()
    }
}

/// With `--phases`: print the memory high-water mark after a phase.
fn phase(opts: &Opts, name: &str) {
    if opts.phases {
        println!("memory after {name}: {:.0} MB", high_water_mb());
    }
}

struct Figures {
    prefill_ms: f64,
    decode_ms: f64,
    e2e_tok_s: f64,
    score_tok_s: f64,
    loglik_tok_s: f64,
    /// The greedy tokens of the last decode run (after the prefill's).
    tokens: Vec<u32>,
}

/// What every model is measured on, and what to write out.
struct Opts {
    quick: bool,
    /// The 8×128 scoring batch (`None`: drawn from a seeded RNG).
    batch: Option<Vec<Vec<u32>>>,
    dump_prefill: Option<String>,
    json: bool,
    phases: bool,
}

fn bench(
    lm: &dyn CausalLm,
    prompt: &[u32],
    opts: &Opts,
) -> substance_model::error::Result<Figures> {
    let quick = opts.quick;
    let device = lm.device().clone();
    let vocab = lm.vocab_size();
    // prefill: full logits for all positions
    let mut times = Vec::new();
    for i in 0..(if quick { 3 } else { 7 }) {
        let t0 = Instant::now();
        let mut cache = lm.new_cache(1);
        let logits = lm.forward(tokens(&[prompt.to_vec()], &device), &mut cache)?;
        let v = block_on(read_f32(logits))?;
        assert_eq!(v.len(), prompt.len() * vocab);
        if i >= 2 {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    let prefill_ms = median(times);
    phase(opts, "prefill");
    if let Some(path) = &opts.dump_prefill {
        let mut cache = lm.new_cache(1);
        let logits = lm.forward(tokens(&[prompt.to_vec()], &device), &mut cache)?;
        let v = block_on(read_f32(logits))?;
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(path, bytes).expect("write the prefill logits");
    }
    // decode: 1 prefill (last position only) + 127 single-token steps
    let steps = if quick { 32 } else { 127 };
    let mut run_medians = Vec::new();
    let mut e2e = Vec::new();
    let mut generated = Vec::new();
    for run in 0..(if quick { 2 } else { 4 }) {
        let t_all = Instant::now();
        let mut cache = lm.new_cache(1);
        let h = lm.forward_hidden(tokens(&[prompt.to_vec()], &device), &mut cache)?;
        let last = h.narrow(1, prompt.len() - 1, 1);
        let mut next = argmax(&block_on(read_f32(lm.project(last)))?);
        let mut step_ms = Vec::with_capacity(steps);
        generated = vec![next];
        for _ in 0..steps {
            let t0 = Instant::now();
            let logits = lm.forward(tokens(&[vec![next]], &device), &mut cache)?;
            next = argmax(&block_on(read_f32(logits))?);
            step_ms.push(t0.elapsed().as_secs_f64() * 1e3);
            generated.push(next);
        }
        if run >= 1 {
            run_medians.push(median(step_ms));
            e2e.push((steps + 1) as f64 / t_all.elapsed().as_secs_f64());
        }
    }
    let decode_ms = median(run_medians);
    phase(opts, "decode");
    // scoring: 8×128 random tokens, full logits read back
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let rows: Vec<Vec<u32>> = match &opts.batch {
        Some(b) => b
            .iter()
            .map(|r| r.iter().map(|&t| t % vocab as u32).collect())
            .collect(),
        None => (0..8)
            .map(|_| {
                (0..128)
                    .map(|_| rng.random_range(4..vocab.min(50000) as u32))
                    .collect()
            })
            .collect(),
    };
    let n_tok = (rows.len() * rows[0].len()) as f64;
    let mut times = Vec::new();
    for i in 0..(if quick { 2 } else { 4 }) {
        let t0 = Instant::now();
        let mut cache = lm.new_cache(rows.len());
        // every position's logits on the host, the projection made 128 positions at a time
        let v = block_on(substance_model::runtime::logits_on_host(
            lm,
            tokens(&rows, &device),
            &mut cache,
            128,
        ))?;
        assert_eq!(v.len(), rows.len() * rows[0].len() * vocab);
        assert!(v[v.len() - 1].is_finite());
        phase(opts, "full-logits read");
        drop(v);
        if i >= 1 {
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    let score_tok_s = n_tok / median(times);
    phase(opts, "full-logits scoring");
    // the log-likelihood path on the same tokens: context = first token, continuation = the other 127
    let pairs: Vec<EncodedPair> = rows
        .iter()
        .map(|r| EncodedPair {
            context: r[..1].to_vec(),
            continuation: r[1..].to_vec(),
        })
        .collect();
    let mut times = Vec::new();
    for i in 0..(if quick { 2 } else { 4 }) {
        let t0 = Instant::now();
        let r = block_on(loglik(lm, &pairs))?;
        assert_eq!(r.len(), rows.len());
        if i >= 1 {
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    let loglik_tok_s = n_tok / median(times);
    phase(opts, "log-likelihood scoring");
    Ok(Figures {
        prefill_ms,
        decode_ms,
        e2e_tok_s: median(e2e),
        score_tok_s,
        loglik_tok_s,
        tokens: generated,
    })
}

async fn loglik(lm: &dyn CausalLm, pairs: &[EncodedPair]) -> substance_model::Result<Vec<f64>> {
    let r = substance_model::runtime::score_pairs(lm, pairs, &LoglikOptions::default()).await?;
    Ok(r.into_iter().map(|x| x.logprob).collect())
}

fn print(name: &str, f: &Figures, opts: &Opts, load_s: f64) {
    if opts.json {
        let j = serde_json::json!({
            "model": name,
            "load_s": load_s,
            "prefill_ms": f.prefill_ms,
            "decode_ms": f.decode_ms,
            "decode_tok_s": 1e3 / f.decode_ms,
            "e2e_tok_s": f.e2e_tok_s,
            "score_tok_s": f.score_tok_s,
            "loglik_tok_s": f.loglik_tok_s,
            "peak_rss_mb": peak_rss_mb(),
            "tokens": f.tokens,
        });
        println!("SPEED_JSON {j}");
    }
    println!("{name}");
    println!(
        "  prefill 32 tok: {:7.1} ms ({:6.1} tok/s)",
        f.prefill_ms,
        32.0 / f.prefill_ms * 1e3
    );
    println!(
        "  decode:         {:7.2} ms/token ({:6.1} tok/s; ORT-web 1 thread 35 tok/s -> ratio {:.2}x)",
        f.decode_ms,
        1e3 / f.decode_ms,
        1e3 / f.decode_ms / 35.0
    );
    println!("  end-to-end 128: {:7.1} tok/s", f.e2e_tok_s);
    println!(
        "  scoring 8x128:  {:7.1} tok/s full logits (ORT-web ~100 -> {:.2}x); {:7.1} tok/s via loglikelihood",
        f.score_tok_s,
        f.score_tok_s / 100.0,
        f.loglik_tok_s
    );
}

/// The value after `flag`, if given.
fn arg_value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

/// A Hugging Face folder's model by its `config.json` `model_type`, without the tokenizer (the benchmark
/// gives token ids).
fn load_hf(dir: &str, device: &Device) -> Box<dyn CausalLm> {
    let cfg = std::fs::read_to_string(format!("{dir}/config.json")).expect("read config.json");
    // Tensor by tensor, as `substance run --model hf:DIR` loads: the file is never held whole.
    let src = SafetensorsFile::open(std::path::Path::new(&format!("{dir}/model.safetensors")))
        .expect("open model.safetensors");
    let mut w = WeightMap::new(&src, device);
    let kind: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    match kind["model_type"].as_str() {
        Some("opt") => {
            Box::new(Opt::load(serde_json::from_str::<OptConfig>(&cfg).unwrap(), &mut w).unwrap())
        }
        Some("gpt2") => {
            Box::new(Gpt2::load(serde_json::from_str::<Gpt2Config>(&cfg).unwrap(), &mut w).unwrap())
        }
        Some("llama") => Box::new(
            Llama::load(serde_json::from_str::<LlamaConfig>(&cfg).unwrap(), &mut w).unwrap(),
        ),
        other => panic!("model_type {other:?} is not opt, gpt2 or llama"),
    }
}

/// A JSON array of token ids.
fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap() as u32)
        .collect()
}

/// The figures, or the model's error printed (a device that cannot hold the model, say) and exit 1.
#[allow(clippy::print_stderr)]
fn or_exit(r: substance_model::error::Result<Figures>) -> Figures {
    r.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut opts = Opts {
        quick: args.iter().any(|a| a == "--quick"),
        batch: None,
        dump_prefill: arg_value(&args, "--dump-prefill"),
        json: args.iter().any(|a| a == "--json"),
        phases: args.iter().any(|a| a == "--phases"),
    };
    let mut prompt = PROMPT.to_vec();
    if let Some(path) = arg_value(&args, "--inputs") {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read --inputs")).unwrap();
        prompt = ids(&v["prompt"]);
        opts.batch = Some(v["batch"].as_array().unwrap().iter().map(ids).collect());
    }
    let device = if args.iter().any(|a| a == "wgpu") {
        wgpu_device()
    } else {
        Device::flex()
    };
    println!("backend: {device:?}");
    let hf = arg_value(&args, "--hf");
    let gguf = arg_value(&args, "--gguf");
    if let Some(dir) = &hf {
        let t0 = Instant::now();
        let lm = load_hf(dir, &device);
        let load_s = t0.elapsed().as_secs_f64();
        println!(
            "{dir} loaded in {load_s:.1} s; memory high-water mark so far {:.0} MB",
            high_water_mb()
        );
        let prompt: Vec<u32> = prompt.iter().map(|t| t % lm.vocab_size() as u32).collect();
        let f = or_exit(bench(lm.as_ref(), &prompt, &opts));
        print(&format!("{dir} (fp32)"), &f, &opts, load_s);
        println!("  peak RSS {:.0} MB", peak_rss_mb());
    }
    if hf.is_none() && gguf.is_none() {
        let t0 = Instant::now();
        let opt = opt125m_random(&device);
        let load_s = t0.elapsed().as_secs_f64();
        println!(
            "OPT-125m-shaped random weights built in {load_s:.1} s; peak RSS so far {:.0} MB (fp32 weights 501 MB)",
            peak_rss_mb()
        );
        let f = or_exit(bench(&opt, &prompt, &opts));
        print("OPT-125m-shaped (fp32, random)", &f, &opts, load_s);
        println!("  peak RSS {:.0} MB", peak_rss_mb());
        drop(opt);
    }
    if hf.is_some() && gguf.is_none() {
        return;
    }
    let path = gguf.map_or_else(
        || substance_model::load::models_dir().join("SmolLM2-135M-Instruct.Q4_1.gguf"),
        std::path::PathBuf::from,
    );
    if path.is_file() {
        let t0 = Instant::now();
        let load = if args.iter().any(|a| a == "--f32") {
            substance_model::LoadOptions::f32()
        } else {
            substance_model::LoadOptions::default()
        };
        // read by range, as the CLI loads it: the file is never in memory whole
        match Model::from_gguf_file_with(&path, "smollm2", &device, load) {
            Ok(m) => {
                let load_s = t0.elapsed().as_secs_f64();
                println!("SmolLM2-135M loaded in {load_s:.1} s");
                let vocab = m.lm().vocab_size() as u32;
                let prompt: Vec<u32> = prompt.iter().map(|t| t % vocab).collect();
                let f = or_exit(bench(m.lm(), &prompt, &opts));
                let label = format!("SmolLM2-135M-Instruct Q4_1 GGUF ({})", m.meta().numeric);
                print(&label, &f, &opts, load_s);
                println!("  peak RSS {:.0} MB", peak_rss_mb());
            }
            Err(e) => println!("SmolLM2: {e}"),
        }
    } else {
        println!("SmolLM2: {} not found, skipped", path.display());
    }
}

#[cfg(feature = "wgpu")]
fn wgpu_device() -> Device {
    Device::wgpu_options().init().expect("wgpu adapter")
}

#[cfg(not(feature = "wgpu"))]
#[allow(clippy::panic)]
fn wgpu_device() -> Device {
    panic!("build with --features wgpu")
}
