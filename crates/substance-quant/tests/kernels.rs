//! The repacking against `substance_gguf::dequantize_raw` (bit for bit) and the products against the
//! exact product with the dequantised weights (within the stated bound), on seeded random blocks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use substance_gguf::{GgmlType, dequantize_raw};
use substance_quant::{KernelPath, Origin, QActs, QMatrix, QuantError, best_kernel};

/// A finite f16 of magnitude ~2^-10..2^-1 with a random sign, as little-endian bytes.
fn f16_bytes(rng: &mut ChaCha8Rng) -> [u8; 2] {
    let exp: u16 = rng.random_range(5..15);
    let mant: u16 = rng.random_range(0..1024);
    let sign: u16 = if rng.random_bool(0.5) { 0x8000 } else { 0 };
    (sign | (exp << 10) | mant).to_le_bytes()
}

/// `rows × cols` values of `ty` as random blocks with sane scales.
fn random_tensor(rng: &mut ChaCha8Rng, ty: GgmlType, rows: usize, cols: usize) -> Vec<u8> {
    let block = ty.block_size() as usize;
    let size = ty.type_size() as usize;
    let n = rows * cols / block;
    let mut out = Vec::with_capacity(n * size);
    for _ in 0..n {
        let mut b: Vec<u8> = (0..size).map(|_| rng.random()).collect();
        // every f16 field of the block gets a finite scale
        let f16_fields: &[usize] = match ty {
            GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q5_0 => &[0],
            GgmlType::Q4_1 | GgmlType::Q5_1 | GgmlType::Q4_K | GgmlType::Q5_K => &[0, 2],
            GgmlType::Q6_K => &[208],
            _ => &[],
        };
        for &at in f16_fields {
            let h = f16_bytes(rng);
            b[at..at + 2].copy_from_slice(&h);
        }
        out.extend_from_slice(&b);
    }
    out
}

fn dequant(ty: GgmlType, data: &[u8], n: usize) -> Vec<f32> {
    let mut v = vec![0f32; n];
    dequantize_raw(ty, data, &mut v).unwrap();
    v
}

#[test]
fn exact_types_repack_to_the_same_bits_as_ggml_dequantisation() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for ty in [
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q4_K,
    ] {
        let (rows, cols) = (5, 512);
        let data = random_tensor(&mut rng, ty, rows, cols);
        let m = QMatrix::from_ggml(ty, &data, rows, cols).unwrap();
        assert_eq!(m.origin(), Origin::Exact(ty));
        let want = dequant(ty, &data, rows * cols);
        let got = m.to_f32();
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            // the same bits, except that Q4_0's `(8 − 8)·d` is −0 for a negative d and `8d − 8d` is +0
            assert!(
                a.to_bits() == b.to_bits() || (*a == 0.0 && *b == 0.0 && ty == GgmlType::Q4_0),
                "{}: element {i}: {a} vs {b}",
                ty.name()
            );
        }
        assert!(
            m.bytes() < rows * cols * 4 / 3,
            "{}: {} bytes",
            ty.name(),
            m.bytes()
        );
    }
}

/// `x · Wᵀ` in f64 from the dequantised weights.
fn exact(x: &[f32], w: &[f32], rows: usize, out_rows: usize, cols: usize) -> Vec<f64> {
    let mut y = vec![0f64; rows * out_rows];
    for i in 0..rows {
        for r in 0..out_rows {
            y[i * out_rows + r] = (0..cols)
                .map(|c| f64::from(x[i * cols + c]) * f64::from(w[r * cols + c]))
                .sum();
        }
    }
    y
}

fn check_product(rng: &mut ChaCha8Rng, m: &QMatrix, n_x: usize, label: &str) {
    let cols = m.cols();
    let x: Vec<f32> = (0..n_x * cols)
        .map(|_| rng.random_range(-3.0f32..3.0) * if rng.random_bool(0.02) { 20.0 } else { 1.0 })
        .collect();
    let a = QActs::quantize(&x, n_x, cols).unwrap();
    let ld = m.rows() + 3;
    let mut out = vec![f32::NAN; n_x * ld];
    m.matmul(&a, &mut out, ld, 2).unwrap();
    // the portable code gives the same integer sums; only the f32 accumulation order differs, and both
    // must keep to the bound
    let mut portable = vec![f32::NAN; n_x * ld];
    m.matmul_with(KernelPath::Portable, &a, &mut portable, ld, 2)
        .unwrap();
    let w = m.to_f32();
    let want = exact(&x, &w, n_x, m.rows(), cols);
    let mut worst = 0f64;
    for i in 0..n_x {
        assert!(
            out[i * ld].is_nan() && out[i * ld + 1].is_nan() && portable[i * ld].is_nan(),
            "{label}: columns before the offset untouched"
        );
        for r in 0..m.rows() {
            let y = want[i * m.rows() + r];
            let bound = a.error_bound(i, m, r);
            // f32 accumulation over cols/32 blocks: a few ulps of the magnitudes summed
            let slack = 1e-5 * (1.0 + y.abs() + bound);
            let p = f64::from(portable[i * ld + 2 + r]);
            assert!(
                (p - y).abs() <= bound + slack,
                "{label}: portable row {i} col {r}: {p} vs {y} (bound {bound})"
            );
            let got = f64::from(out[i * ld + 2 + r]);
            assert!(
                (got - y).abs() <= bound + slack,
                "{label} ({}): row {i} col {r}: {got} vs {y} (bound {bound})",
                best_kernel()
            );
            worst = worst.max((got - y).abs() / bound.max(1e-30));
        }
    }
    assert!(worst > 0.0, "{label}: activations were quantised");
}

#[test]
fn products_are_within_the_activation_rounding_bound() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for ty in [
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q4_K,
        GgmlType::Q6_K,
        GgmlType::Q5_1,
    ] {
        let (rows, cols) = (37, 256);
        let data = random_tensor(&mut rng, ty, rows, cols);
        let m = QMatrix::from_ggml(ty, &data, rows, cols).unwrap();
        // one row (decode), a few (prefill) and more than a tile (scoring)
        for n_x in [1, 5, 40] {
            check_product(&mut rng, &m, n_x, ty.name());
        }
    }
    let w: Vec<f32> = (0..9 * 64)
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect();
    let m = QMatrix::quantize_f32(&w, 9, 64).unwrap();
    assert_eq!(m.origin().label(), "f32→Q8");
    check_product(&mut rng, &m, 3, "f32→Q8");
}

#[test]
fn requantised_types_say_so_and_stay_close_to_the_file() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for ty in [GgmlType::Q6_K, GgmlType::Q5_0] {
        let (rows, cols) = (4, 256);
        let data = random_tensor(&mut rng, ty, rows, cols);
        let m = QMatrix::from_ggml(ty, &data, rows, cols).unwrap();
        assert_eq!(m.origin(), Origin::Requantised(ty));
        assert_eq!(m.origin().label(), format!("{}→Q8", ty.name()));
        let want = dequant(ty, &data, rows * cols);
        for (row, (g, w)) in m.to_f32().chunks(32).zip(want.chunks(32)).enumerate() {
            let amax = w.iter().fold(0f32, |a, v| a.max(v.abs()));
            for (a, b) in g.iter().zip(w) {
                assert!(
                    (a - b).abs() <= amax / 254.0 * 1.0001,
                    "block {row}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn rows_are_selected_and_bad_shapes_are_errors() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let data = random_tensor(&mut rng, GgmlType::Q4_1, 3, 64);
    let m = QMatrix::from_ggml(GgmlType::Q4_1, &data, 3, 64).unwrap();
    let p = m.select_rows(&[2, 0, 1]).unwrap();
    let (a, b) = (m.to_f32(), p.to_f32());
    assert_eq!(&b[..64], &a[128..]);
    assert_eq!(&b[64..128], &a[..64]);
    assert!(m.select_rows(&[0, 1]).is_err());
    assert!(m.select_rows(&[0, 1, 3]).is_err());
    assert!(matches!(
        QMatrix::from_ggml(GgmlType::Q4_1, &data[1..], 3, 64),
        Err(QuantError::Length {
            expected: 120,
            got: 119,
            ..
        })
    ));
    assert!(matches!(
        QMatrix::from_ggml(GgmlType::Q4_K, &data, 3, 64),
        Err(QuantError::RowLength {
            cols: 64,
            block: 256
        })
    ));
    assert!(matches!(
        QMatrix::from_ggml(GgmlType::F16, &data, 3, 64),
        Err(QuantError::NotQuantised("F16"))
    ));
    assert!(QActs::quantize(&[0.0; 40], 1, 40).is_err());
    assert!(QActs::quantize(&[0.0; 63], 1, 64).is_err());
    let a = QActs::quantize(&[1.0; 128], 2, 64).unwrap();
    let mut out = vec![0f32; 2 * 3];
    assert!(m.matmul(&a, &mut out, 3, 1).is_err(), "offset + rows > ld");
    assert!(
        m.matmul(&a, &mut out[..5], 3, 0).is_err(),
        "output too short"
    );
    m.matmul(&a, &mut out, 3, 0).unwrap();
    // a zero block quantises to zeros, not NaN
    let z = QActs::quantize(&[0.0; 64], 1, 64).unwrap();
    let mut out = vec![1f32; 3];
    m.matmul(&z, &mut out, 3, 0).unwrap();
    assert_eq!(out, vec![0.0; 3]);
}
