//! Multiply-accumulates per second of the kernels on SmolLM2-135M's projection shapes (one layer's
//! q/k/v + o + gate/up + down, and the tied output head): `cargo run --release -p substance-quant
//! --example kernel_speed`. Informational; the model benchmark is `cargo xtask bench model`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

use substance_gguf::GgmlType;
use substance_quant::{QActs, QMatrix};

fn main() {
    cold();
    let shapes = [
        (960, 576),
        (576, 576),
        (3072, 576),
        (576, 1536),
        (49152, 576),
    ];
    for (ty, size) in [(GgmlType::Q4_1, 20usize), (GgmlType::Q8_0, 34)] {
        for m in [1usize, 32, 256] {
            let mut macs = 0f64;
            let mut secs = 0f64;
            for &(rows, cols) in &shapes {
                let bytes: Vec<u8> = (0..rows * cols / 32 * size)
                    .map(|i| {
                        if i % size < 2 {
                            0x20
                        } else {
                            (i * 7 % 251) as u8
                        }
                    })
                    .collect();
                let w = QMatrix::from_ggml(ty, &bytes, rows, cols).unwrap();
                let x: Vec<f32> = (0..m * cols)
                    .map(|i| ((i % 13) as f32 - 6.0) * 0.1)
                    .collect();
                let mut out = vec![0f32; m * rows];
                let reps = (2e8 / (rows * cols * m) as f64).ceil() as usize;
                let t = Instant::now();
                for _ in 0..reps {
                    let a = QActs::quantize(&x, m, cols).unwrap();
                    w.matmul(&a, &mut out, rows, 0).unwrap();
                }
                secs += t.elapsed().as_secs_f64();
                macs += (reps * rows * cols * m) as f64;
            }
            println!("{} m={m:>3}: {:.2} GMAC/s", ty.name(), macs / secs / 1e9);
        }
    }
}

/// Decode from DRAM: 40 distinct 3072×576 Q4_1 matrices (~53 MB), one activation row.
#[allow(dead_code)]
pub fn cold() {
    let (rows, cols) = (3072usize, 576usize);
    let mats: Vec<QMatrix> = (0..40)
        .map(|k| {
            let bytes: Vec<u8> = (0..rows * cols / 32 * 20)
                .map(|i| {
                    if i % 20 < 4 {
                        0x20
                    } else {
                        ((i + k) * 7 % 251) as u8
                    }
                })
                .collect();
            QMatrix::from_ggml(GgmlType::Q4_1, &bytes, rows, cols).unwrap()
        })
        .collect();
    let x: Vec<f32> = (0..cols).map(|i| ((i % 13) as f32 - 6.0) * 0.1).collect();
    let mut out = vec![0f32; rows];
    let t = Instant::now();
    let reps = 10;
    for _ in 0..reps {
        for w in &mats {
            let a = QActs::quantize(&x, 1, cols).unwrap();
            w.matmul(&a, &mut out, rows, 0).unwrap();
        }
    }
    let s = t.elapsed().as_secs_f64();
    let macs = (reps * 40 * rows * cols) as f64;
    let bytes: usize = mats.iter().map(QMatrix::bytes).sum::<usize>() * reps;
    println!(
        "cold Q4_1 m=1: {:.2} GMAC/s, {:.1} GB/s",
        macs / s / 1e9,
        bytes as f64 / s / 1e9
    );
}
