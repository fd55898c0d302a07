//! Dequantisation throughput, native: `cargo run --release -p substance-gguf --example dequant_throughput
//! [-- path/to/model.gguf]`. Reports MB/s of quantised input consumed (and of f32 output written) per type on
//! 32 MiB of synthetic blocks, then the time to dequantise every tensor of a real file if one is given or
//! found in `<repo>/models/`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use substance_gguf::{GgmlType, Gguf, dequantize_into, dequantize_raw};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let types = [
        GgmlType::F16,
        GgmlType::BF16,
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
        GgmlType::Q2_K,
        GgmlType::Q3_K,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
        GgmlType::IQ4_NL,
        GgmlType::IQ4_XS,
    ];
    const INPUT: u64 = 32 << 20;
    println!(
        "{:<8} {:>12} {:>14} {:>10}",
        "type", "in MB/s", "out Melem/s", "ms/pass"
    );
    for ty in types {
        let n_blocks = INPUT / ty.type_size();
        let n = (n_blocks * ty.block_size()) as usize;
        // deterministic pseudo-random bytes with small f16 scales (0x2000 ~ 0.0078) where scales live
        let mut bytes = vec![0u8; (n_blocks * ty.type_size()) as usize];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = (x >> 24) as u8 & 0x3f;
        }
        let mut out = vec![0f32; n];
        dequantize_raw(ty, &bytes, &mut out)?; // warm up
        let passes = 5;
        let t = Instant::now();
        for _ in 0..passes {
            dequantize_raw(ty, &bytes, &mut out)?;
            std::hint::black_box(&out);
        }
        let secs = t.elapsed().as_secs_f64() / f64::from(passes);
        println!(
            "{:<8} {:>12.0} {:>14.0} {:>10.2}",
            ty.name(),
            bytes.len() as f64 / secs / 1e6,
            n as f64 / secs / 1e6,
            secs * 1e3
        );
    }

    let path = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../models/SmolLM2-135M-Instruct.Q4_1.gguf");
            p.exists().then_some(p)
        });
    if let Some(path) = path {
        let bytes = std::fs::read(&path)?;
        let t = Instant::now();
        let g = Gguf::parse(&bytes)?;
        let parse = t.elapsed();
        let max = g
            .tensors()
            .iter()
            .map(|t| t.n_elements())
            .max()
            .unwrap_or(0) as usize;
        let mut buf = vec![0f32; max];
        let t = Instant::now();
        let mut in_bytes = 0u64;
        let mut elems = 0u64;
        for tensor in g.tensors() {
            let n = tensor.n_elements() as usize;
            dequantize_into(tensor, &mut buf[..n])?;
            in_bytes += tensor.n_bytes();
            elems += tensor.n_elements();
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{}: parse {:.1} ms; dequantise all {} tensors ({:.1} MB in, {:.1} M elements) {:.1} ms = {:.0} MB/s",
            path.display(),
            parse.as_secs_f64() * 1e3,
            g.tensors().len(),
            in_bytes as f64 / 1e6,
            elems as f64 / 1e6,
            secs * 1e3,
            in_bytes as f64 / secs / 1e6
        );
    }
    Ok(())
}
