//! Summarise a GGUF file: `cargo run -p substance-gguf --example gguf_info -- model.gguf [tokenizer.json
//! [transformers]]`. Prints the header, metadata (long arrays abbreviated), tensor types and Llama
//! hyperparameters; with a second argument, also writes the Hugging Face `tokenizer.json` rebuilt from the
//! metadata there (llama.cpp flavour, or transformers' with a third argument `transformers`).
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;

use substance_gguf::{Gguf, LlamaParams, PreTokenizerFlavor, Value, hf_tokenizer_json_with};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: gguf_info FILE.gguf [tokenizer.json]")?;
    let bytes = std::fs::read(&path)?;
    let g = Gguf::parse(&bytes)?;
    println!(
        "{path}: GGUF v{}, {} bytes, {} metadata keys, {} tensors, alignment {}, data at byte {}",
        g.version(),
        bytes.len(),
        g.metadata().len(),
        g.tensors().len(),
        g.alignment(),
        g.data_start()
    );
    for (key, value) in g.metadata() {
        let shown = match value {
            Value::Array(a) => format!("[{} x {}]", a.len(), a.element_type()),
            Value::String(s) if s.chars().count() > 120 => {
                format!(
                    "{:?}... ({} bytes)",
                    s.chars().take(120).collect::<String>(),
                    s.len()
                )
            }
            v => format!("{v:?}"),
        };
        println!("  {key} ({}) = {shown}", value.type_description());
    }
    let mut by_type: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    for t in g.tensors() {
        let e = by_type.entry(t.ggml_type().name()).or_default();
        e.0 += 1;
        e.1 += t.n_bytes();
    }
    for (ty, (n, b)) in by_type {
        println!("  tensors {ty}: {n} ({:.1} MB)", b as f64 / 1e6);
    }
    if let Ok(p) = LlamaParams::from_gguf(&g) {
        println!("  {p:?}");
    }
    if let Some(out) = args.next() {
        let flavor = match args.next().as_deref() {
            Some("transformers") => PreTokenizerFlavor::Transformers,
            _ => PreTokenizerFlavor::LlamaCpp,
        };
        std::fs::write(&out, hf_tokenizer_json_with(&g, flavor)?)?;
        println!("wrote {out}");
    }
    Ok(())
}
