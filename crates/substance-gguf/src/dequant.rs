//! Dequantisation of ggml tensor data to `f32`.
//!
//! Every kernel reproduces gguf-py's `gguf.quants` (NumPy, `float32`) bit for bit: the same block layouts as
//! ggml's `ggml-common.h`, and the same order of `f32` operations (for example Q4_1 computes `d * q + m`
//! as a rounded product then a rounded sum — Rust never contracts that into a fused multiply-add).
//!
//! The kernels walk whole blocks: `chunks_exact` over the input bytes zipped with `chunks_exact_mut` over
//! the output, each block turned into fixed-size arrays so the inner loops have constant trip counts and
//! no bounds checks, which LLVM vectorises (SSE/AVX natively, SIMD128 on `wasm32` with `+simd128`).
//! Nothing is allocated per element or per block.

use crate::error::GgufError;
use crate::file::TensorInfo;
use crate::types::GgmlType;

/// `f16` (IEEE binary16) bits to `f32`, exact for every input including subnormals, infinities and NaN
/// payloads. Branch-free (one select), so it vectorises.
#[inline(always)]
pub fn f16_to_f32(h: u16) -> f32 {
    let h = u32::from(h);
    let sign = (h & 0x8000) << 16;
    let exp_mant = h & 0x7fff;
    let shifted = exp_mant << 13;
    // Rebias the exponent by multiplying with 2^112: exact for normals and subnormals alike.
    let scaled = (f32::from_bits(shifted) * f32::from_bits((127 + 112) << 23)).to_bits();
    let bits = if exp_mant >= 0x7c00 {
        shifted | 0x7f80_0000
    } else {
        scaled
    };
    f32::from_bits(bits | sign)
}

/// `bf16` bits to `f32` (exact: the high half of an `f32`).
#[inline(always)]
pub fn bf16_to_f32(h: u16) -> f32 {
    f32::from_bits(u32::from(h) << 16)
}

#[inline(always)]
fn f16_at(b: &[u8], i: usize) -> f32 {
    f16_to_f32(u16::from_le_bytes([b[i], b[i + 1]]))
}

/// The IQ4_NL / IQ4_XS non-linear 4-bit code book (`kvalues_iq4nl`).
const KVALUES_IQ4NL: [i8; 16] = [
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
];
/// MXFP4 e2m1 values, doubled (`kvalues_mxfp4`).
const KVALUES_MXFP4: [i8; 16] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

/// Dequantise a tensor into a new vector of `n_elements()` floats (row-major, ggml element order).
pub fn dequantize(tensor: &TensorInfo<'_>) -> Result<Vec<f32>, GgufError> {
    dequantize_bytes(tensor, tensor.data())
}

/// [`dequantize`] of the tensor's bytes read from elsewhere (a file parsed from its header only,
/// `Gguf::parse_prefix`): `bytes` must be its `n_bytes()`; errors name the tensor.
pub fn dequantize_bytes(tensor: &TensorInfo<'_>, bytes: &[u8]) -> Result<Vec<f32>, GgufError> {
    check_supported(tensor.ggml_type(), tensor.name())?;
    let n = usize::try_from(tensor.n_elements()).map_err(|_| GgufError::LengthMismatch {
        tensor: tensor.name().to_owned(),
        what: "element count",
        expected: tensor.n_elements(),
        got: usize::MAX as u64,
    })?;
    let mut out = vec![0.0f32; n];
    dequantize_raw(tensor.ggml_type(), bytes, &mut out).map_err(|e| rename(e, tensor.name()))?;
    Ok(out)
}

/// Dequantise a tensor into `out`, which must hold exactly `n_elements()` floats.
pub fn dequantize_into(tensor: &TensorInfo<'_>, out: &mut [f32]) -> Result<(), GgufError> {
    dequantize_raw(tensor.ggml_type(), tensor.data(), out).map_err(|e| rename(e, tensor.name()))
}

/// Dequantise raw bytes of type `ggml_type` into `out`; `bytes` must be exactly the size of `out.len()`
/// elements of that type. Use it to dequantise a row range of a tensor (any whole number of blocks).
pub fn dequantize_raw(ggml_type: GgmlType, bytes: &[u8], out: &mut [f32]) -> Result<(), GgufError> {
    check_supported(ggml_type, "")?;
    let expected = ggml_type.bytes_for(out.len() as u64);
    if expected != Some(bytes.len() as u64) {
        return Err(GgufError::LengthMismatch {
            tensor: String::new(),
            what: if expected.is_some() {
                "data"
            } else {
                "output buffer (not whole blocks)"
            },
            expected: expected.unwrap_or(0),
            got: bytes.len() as u64,
        });
    }
    use GgmlType::*;
    match ggml_type {
        F32 => plain::<4>(bytes, out, f32::from_le_bytes),
        F16 => plain::<2>(bytes, out, |b| f16_to_f32(u16::from_le_bytes(b))),
        BF16 => plain::<2>(bytes, out, |b| bf16_to_f32(u16::from_le_bytes(b))),
        F64 => plain::<8>(bytes, out, |b| f64::from_le_bytes(b) as f32),
        I8 => plain::<1>(bytes, out, |b| f32::from(i8::from_le_bytes(b))),
        I16 => plain::<2>(bytes, out, |b| f32::from(i16::from_le_bytes(b))),
        I32 => plain::<4>(bytes, out, |b| i32::from_le_bytes(b) as f32),
        I64 => plain::<8>(bytes, out, |b| i64::from_le_bytes(b) as f32),
        Q4_0 => blocks::<18, 32>(bytes, out, q4_0),
        Q4_1 => blocks::<20, 32>(bytes, out, q4_1),
        Q5_0 => blocks::<22, 32>(bytes, out, q5_0),
        Q5_1 => blocks::<24, 32>(bytes, out, q5_1),
        Q8_0 => blocks::<34, 32>(bytes, out, q8_0),
        Q2_K => blocks::<84, 256>(bytes, out, q2_k),
        Q3_K => blocks::<110, 256>(bytes, out, q3_k),
        Q4_K => blocks::<144, 256>(bytes, out, q4_k),
        Q5_K => blocks::<176, 256>(bytes, out, q5_k),
        Q6_K => blocks::<210, 256>(bytes, out, q6_k),
        IQ4_NL => blocks::<18, 32>(bytes, out, iq4_nl),
        IQ4_XS => blocks::<136, 256>(bytes, out, iq4_xs),
        TQ2_0 => blocks::<66, 256>(bytes, out, tq2_0),
        MXFP4 => blocks::<17, 32>(bytes, out, mxfp4),
        _ => {
            return Err(GgufError::UnsupportedType {
                tensor: String::new(),
                ggml_type,
            });
        }
    }
    Ok(())
}

fn check_supported(ggml_type: GgmlType, name: &str) -> Result<(), GgufError> {
    if ggml_type.can_dequantize() {
        Ok(())
    } else {
        Err(GgufError::UnsupportedType {
            tensor: name.to_owned(),
            ggml_type,
        })
    }
}

fn rename(e: GgufError, name: &str) -> GgufError {
    match e {
        GgufError::LengthMismatch {
            what,
            expected,
            got,
            ..
        } => GgufError::LengthMismatch {
            tensor: name.to_owned(),
            what: if what == "data" {
                "output buffer"
            } else {
                what
            },
            expected,
            got,
        },
        GgufError::UnsupportedType { ggml_type, .. } => GgufError::UnsupportedType {
            tensor: name.to_owned(),
            ggml_type,
        },
        other => other,
    }
}

#[inline(always)]
fn plain<const N: usize>(bytes: &[u8], out: &mut [f32], f: impl Fn([u8; N]) -> f32) {
    for (b, y) in bytes.chunks_exact(N).zip(out.iter_mut()) {
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        *y = f(a);
    }
}

#[inline(always)]
fn blocks<const BB: usize, const BE: usize>(
    bytes: &[u8],
    out: &mut [f32],
    f: fn(&[u8; BB], &mut [f32; BE]),
) {
    for (b, y) in bytes.chunks_exact(BB).zip(out.chunks_exact_mut(BE)) {
        if let (Ok(b), Ok(y)) = (<&[u8; BB]>::try_from(b), <&mut [f32; BE]>::try_from(y)) {
            f(b, y);
        }
    }
}

/// `block_q4_0 { f16 d; u8 qs[16]; }`: element j is the low nibble of `qs[j]`, j+16 the high one; `(q-8)*d`.
#[inline(always)]
fn q4_0(b: &[u8; 18], y: &mut [f32; 32]) {
    let d = f16_at(b, 0);
    let (lo, hi) = y.split_at_mut(16);
    for j in 0..16 {
        let q = b[2 + j];
        lo[j] = (i32::from(q & 0x0f) - 8) as f32 * d;
        hi[j] = (i32::from(q >> 4) - 8) as f32 * d;
    }
}

/// `block_q4_1 { f16 d; f16 m; u8 qs[16]; }`: `d*q + m`.
#[inline(always)]
fn q4_1(b: &[u8; 20], y: &mut [f32; 32]) {
    let d = f16_at(b, 0);
    let m = f16_at(b, 2);
    let (lo, hi) = y.split_at_mut(16);
    for j in 0..16 {
        let q = b[4 + j];
        lo[j] = d * f32::from(q & 0x0f) + m;
        hi[j] = d * f32::from(q >> 4) + m;
    }
}

/// `block_q5_0 { f16 d; u8 qh[4]; u8 qs[16]; }`: bit i of `qh` is the fifth bit of element i; `(q-16)*d`.
#[inline(always)]
fn q5_0(b: &[u8; 22], y: &mut [f32; 32]) {
    let d = f16_at(b, 0);
    let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
    let (lo, hi) = y.split_at_mut(16);
    for j in 0..16 {
        let q = b[6 + j];
        let h0 = ((qh >> j) & 1) << 4;
        let h1 = ((qh >> (j + 16)) & 1) << 4;
        lo[j] = ((u32::from(q & 0x0f) | h0) as i32 - 16) as f32 * d;
        hi[j] = ((u32::from(q >> 4) | h1) as i32 - 16) as f32 * d;
    }
}

/// `block_q5_1 { f16 d; f16 m; u8 qh[4]; u8 qs[16]; }`: `d*q + m`.
#[inline(always)]
fn q5_1(b: &[u8; 24], y: &mut [f32; 32]) {
    let d = f16_at(b, 0);
    let m = f16_at(b, 2);
    let qh = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    let (lo, hi) = y.split_at_mut(16);
    for j in 0..16 {
        let q = b[8 + j];
        let h0 = ((qh >> j) & 1) << 4;
        let h1 = ((qh >> (j + 16)) & 1) << 4;
        lo[j] = d * (u32::from(q & 0x0f) | h0) as f32 + m;
        hi[j] = d * (u32::from(q >> 4) | h1) as f32 + m;
    }
}

/// `block_q8_0 { f16 d; i8 qs[32]; }`: `q*d`.
#[inline(always)]
fn q8_0(b: &[u8; 34], y: &mut [f32; 32]) {
    let d = f16_at(b, 0);
    for j in 0..32 {
        y[j] = f32::from(b[2 + j] as i8) * d;
    }
}

/// `block_q2_K { u8 scales[16]; u8 qs[64]; f16 d; f16 dmin; }`: 16 groups of 16 with a 4-bit scale and a
/// 4-bit min each; element `h*128 + s*32 + l` is bits `2s..2s+2` of `qs[h*32 + l]`.
#[inline(always)]
fn q2_k(b: &[u8; 84], y: &mut [f32; 256]) {
    let d = f16_at(b, 80);
    let dmin = f16_at(b, 82);
    for h in 0..2 {
        for s in 0..4 {
            for g in 0..2 {
                let sc = b[h * 8 + s * 2 + g];
                let dl = d * f32::from(sc & 0x0f);
                let ml = dmin * f32::from(sc >> 4);
                let base = h * 128 + s * 32 + g * 16;
                for l in 0..16 {
                    let q = (b[16 + h * 32 + g * 16 + l] >> (2 * s)) & 3;
                    y[base + l] = dl * f32::from(q) - ml;
                }
            }
        }
    }
}

/// `block_q3_K { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d; }`: 6-bit signed scales per 16 elements;
/// 2 low bits from `qs` as in Q2_K, and 4 is subtracted where the `hmask` bit is *clear*.
#[inline(always)]
fn q3_k(b: &[u8; 110], y: &mut [f32; 256]) {
    let d = f16_at(b, 108);
    let sc_bytes = &b[96..108];
    let mut dl = [0f32; 16];
    for (i, dl) in dl.iter_mut().enumerate() {
        let low = if i < 8 {
            sc_bytes[i] & 0x0f
        } else {
            sc_bytes[i - 8] >> 4
        };
        let high = (sc_bytes[8 + i % 4] >> (2 * (i / 4))) & 3;
        let sc = ((low | (high << 4)) as i8).wrapping_sub(32);
        *dl = d * f32::from(sc);
    }
    for h in 0..2 {
        for s in 0..4 {
            let k = h * 4 + s; // hmask bit
            for g in 0..2 {
                let scale = dl[k * 2 + g];
                let base = k * 32 + g * 16;
                for l in 0..16 {
                    let ql = (b[32 + h * 32 + g * 16 + l] >> (2 * s)) & 3;
                    let hbit = (b[g * 16 + l] >> k) & 1;
                    let q = ql as i8 - (((hbit ^ 1) << 2) as i8);
                    y[base + l] = scale * f32::from(q);
                }
            }
        }
    }
}

/// The eight 6-bit scales and mins of a Q4_K / Q5_K super-block, unpacked from its 12 `scales` bytes
/// (`get_scale_min_k4`).
#[inline(always)]
pub fn k4_scales(s: &[u8]) -> ([u8; 8], [u8; 8]) {
    let mut sc = [0u8; 8];
    let mut mn = [0u8; 8];
    for j in 0..4 {
        sc[j] = s[j] & 0x3f;
        mn[j] = s[4 + j] & 0x3f;
        sc[4 + j] = (s[8 + j] & 0x0f) | ((s[j] >> 2) & 0x30);
        mn[4 + j] = (s[8 + j] >> 4) | ((s[4 + j] >> 2) & 0x30);
    }
    (sc, mn)
}

/// `block_q4_K { f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; }`: 8 sub-blocks of 32; sub-block `2c+k`
/// takes nibble `k` of `qs[32c..32c+32]`; `(d*sc)*q - dmin*m`.
#[inline(always)]
fn q4_k(b: &[u8; 144], y: &mut [f32; 256]) {
    let d = f16_at(b, 0);
    let dmin = f16_at(b, 2);
    let (sc, mn) = k4_scales(&b[4..16]);
    for c in 0..4 {
        for k in 0..2 {
            let i = 2 * c + k;
            let ds = d * f32::from(sc[i]);
            let dm = dmin * f32::from(mn[i]);
            for l in 0..32 {
                let q = (b[16 + 32 * c + l] >> (4 * k)) & 0x0f;
                y[32 * i + l] = ds * f32::from(q) - dm;
            }
        }
    }
}

/// `block_q5_K { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; }`: Q4_K plus a fifth bit, bit
/// `i` of `qh[l]` for sub-block `i`.
#[inline(always)]
fn q5_k(b: &[u8; 176], y: &mut [f32; 256]) {
    let d = f16_at(b, 0);
    let dmin = f16_at(b, 2);
    let (sc, mn) = k4_scales(&b[4..16]);
    for c in 0..4 {
        for k in 0..2 {
            let i = 2 * c + k;
            let ds = d * f32::from(sc[i]);
            let dm = dmin * f32::from(mn[i]);
            for l in 0..32 {
                let ql = (b[48 + 32 * c + l] >> (4 * k)) & 0x0f;
                let qh = ((b[16 + l] >> i) & 1) << 4;
                y[32 * i + l] = ds * f32::from(ql | qh) - dm;
            }
        }
    }
}

/// `block_q6_K { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }`: element `h*128 + s*32 + l` has low
/// nibble `s/2` of `ql[h*64 + (s%2)*32 + l]` and bits `2s..2s+2` of `qh[h*32 + l]`; `(d*sc)*(q-32)`.
#[inline(always)]
fn q6_k(b: &[u8; 210], y: &mut [f32; 256]) {
    let d = f16_at(b, 208);
    let mut ds = [0f32; 16];
    for (i, ds) in ds.iter_mut().enumerate() {
        *ds = d * f32::from(b[192 + i] as i8);
    }
    for h in 0..2 {
        for s in 0..4 {
            for g in 0..2 {
                let scale = ds[h * 8 + s * 2 + g];
                let base = h * 128 + s * 32 + g * 16;
                for l in 0..16 {
                    let lq = (b[h * 64 + (s % 2) * 32 + g * 16 + l] >> (4 * (s / 2))) & 0x0f;
                    let hq = (b[128 + h * 32 + g * 16 + l] >> (2 * s)) & 3;
                    let q = (lq | (hq << 4)) as i8 - 32;
                    y[base + l] = scale * f32::from(q);
                }
            }
        }
    }
}

/// `block_iq4_nl { f16 d; u8 qs[16]; }`: Q4_0's nibble order through the non-linear code book.
#[inline(always)]
fn iq4_nl(b: &[u8; 18], y: &mut [f32; 32]) {
    let d = f16_at(b, 0);
    let (lo, hi) = y.split_at_mut(16);
    for j in 0..16 {
        let q = b[2 + j];
        lo[j] = d * f32::from(KVALUES_IQ4NL[usize::from(q & 0x0f)]);
        hi[j] = d * f32::from(KVALUES_IQ4NL[usize::from(q >> 4)]);
    }
}

/// `block_iq4_xs { f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]; }`: 8 sub-blocks of 32 with 6-bit
/// signed scales, each an IQ4_NL block of 16 bytes.
#[inline(always)]
fn iq4_xs(b: &[u8; 136], y: &mut [f32; 256]) {
    let d = f16_at(b, 0);
    let scales_h = u16::from_le_bytes([b[2], b[3]]);
    for i in 0..8 {
        let low = (b[4 + i / 2] >> (4 * (i % 2))) & 0x0f;
        let high = ((scales_h >> (2 * i)) & 3) as u8;
        let ls = ((low | (high << 4)) as i8).wrapping_sub(32);
        let dl = d * f32::from(ls);
        for j in 0..16 {
            let q = b[8 + 16 * i + j];
            y[32 * i + j] = dl * f32::from(KVALUES_IQ4NL[usize::from(q & 0x0f)]);
            y[32 * i + 16 + j] = dl * f32::from(KVALUES_IQ4NL[usize::from(q >> 4)]);
        }
    }
}

/// `block_tq2_0 { u8 qs[64]; f16 d; }`: ternary, 2 bits per element (0..2 minus 1), Q2_K's bit order.
#[inline(always)]
fn tq2_0(b: &[u8; 66], y: &mut [f32; 256]) {
    let d = f16_at(b, 64);
    for h in 0..2 {
        for s in 0..4 {
            for l in 0..32 {
                let q = ((b[h * 32 + l] >> (2 * s)) & 3) as i8 - 1;
                y[h * 128 + s * 32 + l] = d * f32::from(q);
            }
        }
    }
}

/// `block_mxfp4 { u8 e; u8 qs[16]; }`: e8m0 shared exponent (halved) times doubled e2m1 values, Q4_0's
/// nibble order.
#[inline(always)]
fn mxfp4(b: &[u8; 17], y: &mut [f32; 32]) {
    let e = u32::from(b[0]);
    // ggml_e8m0_to_fp32_half
    let bits = if e < 2 {
        0x0020_0000u32 << e
    } else {
        (e - 1) << 23
    };
    let d = f32::from_bits(bits);
    let (lo, hi) = y.split_at_mut(16);
    for j in 0..16 {
        let q = b[1 + j];
        lo[j] = d * f32::from(KVALUES_MXFP4[usize::from(q & 0x0f)]);
        hi[j] = d * f32::from(KVALUES_MXFP4[usize::from(q >> 4)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact against `half` for every non-NaN; NaNs keep their payload unquieted, as NumPy's conversion does
    /// (`half` goes through F16C, which quiets signalling NaNs).
    #[test]
    fn f16_matches_half_exhaustively() {
        for h in 0..=u16::MAX {
            let ours = f16_to_f32(h);
            let theirs = half::f16::from_bits(h).to_f32();
            if theirs.is_nan() {
                assert!(ours.is_nan(), "{h:#06x}");
                assert_eq!(
                    ours.to_bits() >> 31,
                    u32::from(h >> 15),
                    "NaN sign of {h:#06x}"
                );
                assert_eq!(
                    (ours.to_bits() >> 13) & 0x3ff,
                    u32::from(h & 0x3ff),
                    "NaN payload of {h:#06x}"
                );
            } else {
                assert_eq!(ours.to_bits(), theirs.to_bits(), "{h:#06x}");
            }
        }
        assert_eq!(f16_to_f32(0x7c01).to_bits(), 0x7f80_2000); // NumPy: float16(0x7c01) -> 0x7f802000
    }

    #[test]
    fn bf16_matches_half_exhaustively() {
        for h in 0..=u16::MAX {
            let ours = bf16_to_f32(h);
            let theirs = half::bf16::from_bits(h).to_f32();
            if theirs.is_nan() {
                assert_eq!(ours.to_bits(), u32::from(h) << 16);
            } else {
                assert_eq!(ours.to_bits(), theirs.to_bits(), "{h:#06x}");
            }
        }
    }

    #[test]
    fn q4_0_nibble_order() {
        let mut b = [0u8; 18];
        b[..2].copy_from_slice(&0x3c00u16.to_le_bytes()); // d = 1.0
        for j in 0..16 {
            b[2 + j] = (j as u8) | (((15 - j) as u8) << 4);
        }
        let mut y = [0f32; 32];
        q4_0(&b, &mut y);
        for j in 0..16 {
            assert_eq!(y[j], j as f32 - 8.0);
            assert_eq!(y[j + 16], (15 - j) as f32 - 8.0);
        }
    }

    #[test]
    fn length_checks() {
        let mut out = [0f32; 32];
        assert!(matches!(
            dequantize_raw(GgmlType::Q4_0, &[0u8; 17], &mut out),
            Err(GgufError::LengthMismatch { .. })
        ));
        let mut out = [0f32; 31];
        assert!(matches!(
            dequantize_raw(GgmlType::Q4_0, &[0u8; 18], &mut out),
            Err(GgufError::LengthMismatch { .. })
        ));
        let mut out = [0f32; 256];
        assert!(matches!(
            dequantize_raw(GgmlType::IQ2_XXS, &[0u8; 66], &mut out),
            Err(GgufError::UnsupportedType { .. })
        ));
    }
}
