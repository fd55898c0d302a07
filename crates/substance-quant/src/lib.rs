//! Quantised weight matrices and the CPU kernels that multiply with them, for the substance model runtime.
//!
//! # What it is for
//!
//! A GGUF model's projections are stored in ggml's block formats (SmolLM2-135M-Instruct Q4_1: 20 bytes per
//! 32 weights). Dequantised to `f32` they take 6.4× the memory, and a decode step, which reads every weight
//! once, is bound by memory bandwidth. [`QMatrix`] keeps the weights in blocks of 32 with one scale (and
//! one minimum) each, and [`QMatrix::matmul`] computes `y = x · Wᵀ` from them:
//!
//! 1. each row of `x` is quantised to 8 bits per block of 32 ([`QActs`], llama.cpp's `Q8_1` idea: a scale
//!    `dₓ = max|x|/127`, the rounded values, and `dₓ·Σq`);
//! 2. each block's dot product is an integer sum `Σ qw·qx` (4- or 8-bit × 8-bit, exact in `i32`), scaled
//!    once per block: `dw·dₓ·Σ qw·qx + mw·dₓ·Σ qx` for `w = dw·qw + mw`.
//!
//! The only approximation is step 1: each activation moves by at most half a step (`dₓ/2`), so every output
//! is within `Σ_blocks (Σ|w|)·dₓ/2` of the exact product with the dequantised weights — the bound the
//! tests check, and the reason the model runtime states a tolerance for this numeric path.
//!
//! # Layouts
//!
//! Blocks are repacked at load time, losslessly: the `f16` scales are widened to `f32` (no conversion in
//! the inner loop; 4 bytes per block more), the quantised values are kept as stored.
//! - **Q8**: 32 × `i8`, `w = d·q` — from `Q8_0`; every other ggml type a model runtime may meet (Q5_*,
//!   Q6_K, Q2_K…) is dequantised and *requantised* to Q8 (labelled [`Origin::Requantised`]: a second,
//!   small rounding of the weights, ≤ `max|w|/254` per block).
//! - **Q4**: 16 bytes of nibbles in ggml's order (byte `j` holds elements `j` and `j + 16`), `w = d·q + m` —
//!   from `Q4_1` as is, `Q4_0` with `m = −8d`, and each 32-element sub-block of `Q4_K` with `d = d·scale`,
//!   `m = −dmin·min` (all products exact in `f32`). [`QMatrix::row_f32`] therefore gives the same bits as
//!   `substance_gguf::dequantize` for these four types (but for the sign of Q4_0's zeros: `8d − 8d` is +0
//!   where ggml's `(8 − 8)·d` is −0 for a negative `d`).
//!
//! # Why hand-written
//!
//! burn 0.22's quantised tensors dequantise the whole matrix before a `matmul` (`q_matmul` in
//! burn-backend), which is the f32 path again, and no pure-Rust crate multiplies ggml blocks. The kernels
//! are plain Rust over fixed-size arrays (`as_chunks`), written so LLVM vectorises the integer dot products
//! (SIMD128 on `wasm32` with `+simd128`, SSE2 natively); on x86-64 the same code is compiled a second time
//! with AVX2 + FMA enabled and chosen at run time when the CPU has them (the crate's one `unsafe` call).
//! This crate is optimised even in dev builds (see the workspace `Cargo.toml`).

use substance_gguf::{GgmlType, dequantize_raw, f16_to_f32, k4_scales};

/// Elements per block.
pub const QK: usize = 32;

/// Activation rows multiplied against one weight row before the next (keeps the rows' 8-bit values in L1).
const TILE: usize = 16;

/// What a [`QMatrix`] can go wrong on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuantError {
    /// The row length is not a whole number of blocks.
    #[error("rows of {cols} values are not a whole number of {block}-value blocks")]
    RowLength {
        /// Values per row.
        cols: usize,
        /// Values per block of the type.
        block: usize,
    },
    /// The data is not `rows` rows of the type's blocks.
    #[error("{ty}: {rows}×{cols} needs {expected} bytes, the data has {got}")]
    Length {
        /// The ggml type.
        ty: &'static str,
        /// Rows.
        rows: usize,
        /// Values per row.
        cols: usize,
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        got: usize,
    },
    /// A type that is not quantised (F32, F16, BF16, integers): such a tensor stays `f32`.
    #[error("{0} is not a quantised type")]
    NotQuantised(&'static str),
    /// The data could not be dequantised for requantisation.
    #[error("{0}")]
    Dequantise(String),
    /// Activations or output of the wrong size for a product.
    #[error("shape mismatch: {0}")]
    Shape(String),
}

/// How a matrix's blocks relate to the file's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The file's values and scales, repacked without loss.
    Exact(GgmlType),
    /// Dequantised from this type and quantised again to Q8.
    Requantised(GgmlType),
    /// Quantised to Q8 from `f32` weights.
    FromF32,
}

impl Origin {
    /// `"Q4_1"`, `"Q6_K→Q8"`, `"f32→Q8"`.
    pub fn label(self) -> String {
        match self {
            Origin::Exact(t) => t.name().to_owned(),
            Origin::Requantised(t) => format!("{}→Q8", t.name()),
            Origin::FromF32 => "f32→Q8".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Blocks {
    /// `w = d·q`.
    Q8 { q: Vec<[i8; QK]>, d: Vec<f32> },
    /// `w = d·q + m`, nibbles in ggml order.
    Q4 {
        q: Vec<[u8; QK / 2]>,
        d: Vec<f32>,
        m: Vec<f32>,
    },
}

/// A `[rows, cols]` weight matrix in blocks of [`QK`] along each row.
#[derive(Debug, Clone, PartialEq)]
pub struct QMatrix {
    rows: usize,
    cols: usize,
    origin: Origin,
    blocks: Blocks,
}

fn f16_at(b: &[u8], i: usize) -> f32 {
    match b.get(i..i + 2) {
        Some(&[lo, hi]) => f16_to_f32(u16::from_le_bytes([lo, hi])),
        _ => 0.0,
    }
}

impl QMatrix {
    /// Repack `rows` rows of `cols` values of ggml type `ty` (the tensor's bytes, row-major as GGUF stores
    /// them: `cols` is the tensor's first dimension).
    pub fn from_ggml(
        ty: GgmlType,
        data: &[u8],
        rows: usize,
        cols: usize,
    ) -> Result<Self, QuantError> {
        use GgmlType::*;
        let block = usize::try_from(ty.block_size()).unwrap_or(usize::MAX);
        let type_size = usize::try_from(ty.type_size()).unwrap_or(usize::MAX);
        if matches!(ty, F32 | F16 | BF16 | F64 | I8 | I16 | I32 | I64) {
            return Err(QuantError::NotQuantised(ty.name()));
        }
        if !cols.is_multiple_of(QK) || !cols.is_multiple_of(block) {
            return Err(QuantError::RowLength {
                cols,
                block: block.max(QK),
            });
        }
        let expected = rows * (cols / block) * type_size;
        if data.len() != expected {
            return Err(QuantError::Length {
                ty: ty.name(),
                rows,
                cols,
                expected,
                got: data.len(),
            });
        }
        let n = rows * cols / QK;
        let blocks = match ty {
            Q8_0 => {
                let (raw, _) = data.as_chunks::<34>();
                let mut q = Vec::with_capacity(n);
                let mut d = Vec::with_capacity(n);
                for b in raw {
                    d.push(f16_at(b, 0));
                    let mut v = [0i8; QK];
                    for (o, &x) in v.iter_mut().zip(&b[2..]) {
                        *o = x as i8;
                    }
                    q.push(v);
                }
                Blocks::Q8 { q, d }
            }
            Q4_0 | Q4_1 => {
                let mut q = Vec::with_capacity(n);
                let mut d = Vec::with_capacity(n);
                let mut m = Vec::with_capacity(n);
                let step = if ty == Q4_0 { 18 } else { 20 };
                for b in data.chunks_exact(step) {
                    let scale = f16_at(b, 0);
                    d.push(scale);
                    m.push(if ty == Q4_0 {
                        -8.0 * scale
                    } else {
                        f16_at(b, 2)
                    });
                    let mut v = [0u8; QK / 2];
                    v.copy_from_slice(&b[step - 16..]);
                    q.push(v);
                }
                Blocks::Q4 { q, d, m }
            }
            Q4_K => {
                let (raw, _) = data.as_chunks::<144>();
                let mut q = Vec::with_capacity(n);
                let mut d = Vec::with_capacity(n);
                let mut m = Vec::with_capacity(n);
                for b in raw {
                    let (dd, dmin) = (f16_at(b, 0), f16_at(b, 2));
                    let (sc, mn) = k4_scales(&b[4..16]);
                    for i in 0..8 {
                        let (c, k) = (i / 2, i % 2);
                        let src = &b[16 + 32 * c..16 + 32 * c + 32];
                        let mut v = [0u8; QK / 2];
                        for (j, o) in v.iter_mut().enumerate() {
                            let lo = (src[j] >> (4 * k)) & 0x0f;
                            let hi = (src[j + 16] >> (4 * k)) & 0x0f;
                            *o = lo | (hi << 4);
                        }
                        q.push(v);
                        d.push(dd * f32::from(sc[i]));
                        m.push(-(dmin * f32::from(mn[i])));
                    }
                }
                Blocks::Q4 { q, d, m }
            }
            _ => {
                let mut values = vec![0f32; rows * cols];
                dequantize_raw(ty, data, &mut values)
                    .map_err(|e| QuantError::Dequantise(e.to_string()))?;
                let mut m = Self::quantize_f32(&values, rows, cols)?;
                m.origin = Origin::Requantised(ty);
                return Ok(m);
            }
        };
        Ok(Self {
            rows,
            cols,
            origin: Origin::Exact(ty),
            blocks,
        })
    }

    /// Quantise `f32` weights (`rows × cols`, row-major) to Q8 blocks: `d = max|w|/127`, `q = round(w/d)`.
    pub fn quantize_f32(values: &[f32], rows: usize, cols: usize) -> Result<Self, QuantError> {
        check_blocks(values.len(), rows, cols, "values")?;
        let (chunks, _) = values.as_chunks::<QK>();
        let mut q = Vec::with_capacity(chunks.len());
        let mut d = Vec::with_capacity(chunks.len());
        for c in chunks {
            let (v, scale) = quantize_block(c);
            q.push(v);
            d.push(scale);
        }
        Ok(Self {
            rows,
            cols,
            origin: Origin::FromF32,
            blocks: Blocks::Q8 { q, d },
        })
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Values per row.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Where the blocks came from.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        match &self.blocks {
            Blocks::Q8 { q, d } => q.len() * QK + d.len() * 4,
            Blocks::Q4 { q, d, m } => q.len() * QK / 2 + (d.len() + m.len()) * 4,
        }
    }

    /// Reorder the rows: row `r` of the result is row `src[r]` of `self` (`src` a permutation).
    pub fn select_rows(&self, src: &[usize]) -> Result<Self, QuantError> {
        let nb = self.cols / QK;
        if src.len() != self.rows || src.iter().any(|&r| r >= self.rows) {
            return Err(QuantError::Shape(format!(
                "row order of {} entries for {} rows",
                src.len(),
                self.rows
            )));
        }
        fn pick<T: Copy>(v: &[T], nb: usize, src: &[usize]) -> Vec<T> {
            src.iter()
                .flat_map(|&r| v[r * nb..(r + 1) * nb].iter().copied())
                .collect()
        }
        let blocks = match &self.blocks {
            Blocks::Q8 { q, d } => Blocks::Q8 {
                q: pick(q, nb, src),
                d: pick(d, nb, src),
            },
            Blocks::Q4 { q, d, m } => Blocks::Q4 {
                q: pick(q, nb, src),
                d: pick(d, nb, src),
                m: pick(m, nb, src),
            },
        };
        Ok(Self {
            blocks,
            ..self.clone()
        })
    }

    /// Row `r` as `f32` (`out.len() == cols`): `d·q (+ m)`, the same bits as ggml's dequantisation for the
    /// exactly repacked types.
    pub fn row_f32(&self, r: usize, out: &mut [f32]) -> Result<(), QuantError> {
        let nb = self.cols / QK;
        if r >= self.rows || out.len() != self.cols {
            return Err(QuantError::Shape(format!(
                "row {r} into {} values of a {}×{} matrix",
                out.len(),
                self.rows,
                self.cols
            )));
        }
        let (outs, _) = out.as_chunks_mut::<QK>();
        match &self.blocks {
            Blocks::Q8 { q, d } => {
                for ((o, b), &s) in outs.iter_mut().zip(&q[r * nb..]).zip(&d[r * nb..]) {
                    for (y, &x) in o.iter_mut().zip(b) {
                        *y = f32::from(x) * s;
                    }
                }
            }
            Blocks::Q4 { q, d, m } => {
                let span = r * nb..(r + 1) * nb;
                for (((o, b), &s), &mm) in outs
                    .iter_mut()
                    .zip(&q[span.clone()])
                    .zip(&d[span.clone()])
                    .zip(&m[span])
                {
                    let (lo, hi) = o.split_at_mut(QK / 2);
                    for j in 0..QK / 2 {
                        lo[j] = s * f32::from(b[j] & 0x0f) + mm;
                        hi[j] = s * f32::from(b[j] >> 4) + mm;
                    }
                }
            }
        }
        Ok(())
    }

    /// The whole matrix as `f32`, row-major.
    pub fn to_f32(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * self.cols];
        for (r, row) in out.chunks_exact_mut(self.cols.max(1)).enumerate() {
            // cannot fail: every row index and length is in range
            let _ = self.row_f32(r, row);
        }
        out
    }

    /// `out[i·ld + offset + r] = Σ_c x[i][c] · W[r][c]` for every activation row `i` and weight row `r`:
    /// `y = x · Wᵀ` written into columns `offset..offset + rows` of a row-major `[x.rows(), ld]` output (so
    /// several matrices can fill one fused output).
    pub fn matmul(
        &self,
        x: &QActs,
        out: &mut [f32],
        ld: usize,
        offset: usize,
    ) -> Result<(), QuantError> {
        self.matmul_with(KernelPath::Best, x, out, ld, offset)
    }

    /// [`QMatrix::matmul`] on a chosen kernel path (the tests compare the paths).
    pub fn matmul_with(
        &self,
        path: KernelPath,
        x: &QActs,
        out: &mut [f32],
        ld: usize,
        offset: usize,
    ) -> Result<(), QuantError> {
        if x.cols != self.cols || offset + self.rows > ld || out.len() < x.rows * ld {
            return Err(QuantError::Shape(format!(
                "[{}, {}] · [{}, {}]ᵀ into {} values with row stride {ld} at column {offset}",
                x.rows,
                x.cols,
                self.rows,
                self.cols,
                out.len()
            )));
        }
        let k = Kernel {
            w: self,
            x,
            ld,
            offset,
        };
        #[cfg(target_arch = "x86_64")]
        if path == KernelPath::Best && has_avx2() {
            #[allow(unsafe_code)]
            // SAFETY: the CPU was just checked to support AVX2 and FMA, the only requirement of
            // `run_avx2` (its body is the same safe code as `run`).
            unsafe {
                k.run_avx2(out)
            };
            return Ok(());
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        if path == KernelPath::Best {
            k.run::<simd128::Simd128>(out);
            return Ok(());
        }
        k.run::<Portable>(out);
        Ok(())
    }
}

/// Which dot-product code [`QMatrix::matmul_with`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelPath {
    /// The fastest this CPU has: AVX2 + FMA on x86-64 when present, SIMD128 on wasm32 built with it.
    Best,
    /// Plain Rust, vectorised by the compiler.
    Portable,
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// The code [`KernelPath::Best`] runs here: `"avx2"`, `"simd128"` or `"portable"` (for receipts and logs).
pub fn best_kernel() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        return "avx2";
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return "simd128";
    #[allow(unreachable_code)]
    "portable"
}

/// Activation rows quantised to 8 bits per block of [`QK`] (llama.cpp's `Q8_1`): values, scale and
/// `scale · Σ values` per block.
#[derive(Debug, Clone, PartialEq)]
pub struct QActs {
    rows: usize,
    cols: usize,
    q: Vec<[i16; QK]>,
    d: Vec<f32>,
    s: Vec<f32>,
}

/// `len` values make `rows` rows of `cols`, a whole number of blocks each.
fn check_blocks(len: usize, rows: usize, cols: usize, what: &str) -> Result<(), QuantError> {
    if !cols.is_multiple_of(QK) {
        return Err(QuantError::RowLength { cols, block: QK });
    }
    if len != rows * cols {
        return Err(QuantError::Shape(format!("{len} {what} for {rows}×{cols}")));
    }
    Ok(())
}

/// A block's scale `d = max|x| / top` and its inverse (0 for an all-zero block, so it quantises to
/// zeros, not NaN).
#[inline(always)]
fn block_scale(x: &[f32; QK], top: f32) -> (f32, f32) {
    let amax = x.iter().fold(0f32, |a, &v| a.max(v.abs()));
    let d = amax / top;
    (d, if d > 0.0 { 1.0 / d } else { 0.0 })
}

/// One block of weights to 8 bits: `(values, d)` with `d = max|w|/127`, values rounded half away from zero.
#[inline(always)]
fn quantize_block(x: &[f32; QK]) -> ([i8; QK], f32) {
    let (d, id) = block_scale(x, 127.0);
    let mut q = [0i8; QK];
    for (o, &v) in q.iter_mut().zip(x) {
        // |v·id| ≤ 127 (+ rounding): the cast saturates, never wraps
        *o = (v * id).round() as i8;
    }
    (q, d)
}

/// Largest activation value: 16-bit, so that `Σ` of 32 products with 8-bit weights stays in `i32`.
const ACT_MAX: f32 = 32767.0;

/// One block of activations to 16 bits: `(values, d, d·Σvalues)` with `d = max|x|/32767`.
#[inline(always)]
fn quantize_act_block(x: &[f32; QK]) -> ([i16; QK], f32, f32) {
    let (d, id) = block_scale(x, ACT_MAX);
    let mut q = [0i16; QK];
    let mut sum = 0i32;
    for (o, &v) in q.iter_mut().zip(x) {
        // |v·id| ≤ 32767 (+ rounding): the cast saturates, never wraps
        let r = (v * id).round() as i16;
        *o = r;
        sum += i32::from(r);
    }
    (q, d, d * sum as f32)
}

impl QActs {
    /// Quantise `rows` rows of `cols` values (row-major). Non-finite values make the whole block's
    /// scale non-finite, so the products come out NaN/inf as the f32 path's would.
    pub fn quantize(x: &[f32], rows: usize, cols: usize) -> Result<Self, QuantError> {
        check_blocks(x.len(), rows, cols, "activations")?;
        let (chunks, _) = x.as_chunks::<QK>();
        let mut q = Vec::with_capacity(chunks.len());
        let mut d = Vec::with_capacity(chunks.len());
        let mut s = Vec::with_capacity(chunks.len());
        for c in chunks {
            let (v, scale, sum) = quantize_act_block(c);
            q.push(v);
            d.push(scale);
            s.push(sum);
        }
        Ok(Self {
            rows,
            cols,
            q,
            d,
            s,
        })
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The largest error bound of row `i` against weights `w`: `Σ_blocks (Σ|w|)·d/2` over the weights'
    /// row `r` — the kernel's result is within this of the exact product (plus `f32` rounding).
    pub fn error_bound(&self, i: usize, w: &QMatrix, r: usize) -> f64 {
        let nb = self.cols / QK;
        let mut row = vec![0f32; w.cols];
        if w.row_f32(r, &mut row).is_err() || i >= self.rows {
            return f64::INFINITY;
        }
        row.chunks_exact(QK)
            .zip(&self.d[i * nb..(i + 1) * nb])
            .map(|(b, &d)| b.iter().map(|v| f64::from(v.abs())).sum::<f64>() * f64::from(d) / 2.0)
            .sum()
    }
}

/// One product's operands.
struct Kernel<'a> {
    w: &'a QMatrix,
    x: &'a QActs,
    ld: usize,
    offset: usize,
}

/// One activation row's blocks.
#[derive(Clone, Copy)]
struct XRow<'a> {
    q: &'a [[i16; QK]],
    d: &'a [f32],
    /// `d·Σq` per block.
    s: &'a [f32],
}

/// One weight row of Q8 blocks.
#[derive(Clone, Copy)]
struct Q8Row<'a> {
    q: &'a [[i8; QK]],
    d: &'a [f32],
}

/// One weight row of Q4 blocks.
#[derive(Clone, Copy)]
struct Q4Row<'a> {
    q: &'a [[u8; QK / 2]],
    d: &'a [f32],
    m: &'a [f32],
}

/// Dot products of one weight row with `R` activation rows at once (the weights are read and widened
/// once for all `R`).
trait Dots {
    fn q8<const R: usize>(w: Q8Row<'_>, x: [XRow<'_>; R]) -> [f32; R];
    fn q4<const R: usize>(w: Q4Row<'_>, x: [XRow<'_>; R]) -> [f32; R];
}

/// Activation rows multiplied together against each weight row when there are that many.
const ROWS: usize = 4;

impl Kernel<'_> {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn run_avx2(&self, out: &mut [f32]) {
        self.run::<x86::Avx2>(out);
    }

    /// Activation row `i`.
    #[inline(always)]
    fn x_row(&self, i: usize) -> XRow<'_> {
        let nb = self.w.cols / QK;
        let r = i * nb..(i + 1) * nb;
        XRow {
            q: &self.x.q[r.clone()],
            d: &self.x.d[r.clone()],
            s: &self.x.s[r],
        }
    }

    /// `y` of `R` activation rows from `i` against weight row `r`.
    #[inline(always)]
    fn dots<D: Dots, const R: usize>(&self, r: usize, i: usize) -> [f32; R] {
        let nb = self.w.cols / QK;
        let wr = r * nb..(r + 1) * nb;
        let x: [XRow<'_>; R] = std::array::from_fn(|k| self.x_row(i + k));
        match &self.w.blocks {
            Blocks::Q8 { q, d } => D::q8(
                Q8Row {
                    q: &q[wr.clone()],
                    d: &d[wr],
                },
                x,
            ),
            Blocks::Q4 { q, d, m } => D::q4(
                Q4Row {
                    q: &q[wr.clone()],
                    d: &d[wr.clone()],
                    m: &m[wr],
                },
                x,
            ),
        }
    }

    #[inline(always)]
    fn run<D: Dots>(&self, out: &mut [f32]) {
        let x = self.x;
        let mut put = |i: usize, r: usize, y: f32| {
            if let Some(o) = out.get_mut(i * self.ld + self.offset + r) {
                *o = y;
            }
        };
        for t0 in (0..x.rows).step_by(TILE) {
            let t1 = (t0 + TILE).min(x.rows);
            for r in 0..self.w.rows {
                let mut i = t0;
                while i + ROWS <= t1 {
                    let ys = self.dots::<D, ROWS>(r, i);
                    for (k, y) in ys.into_iter().enumerate() {
                        put(i + k, r, y);
                    }
                    i += ROWS;
                }
                for i in i..t1 {
                    let [y] = self.dots::<D, 1>(r, i);
                    put(i, r, y);
                }
            }
        }
    }
}

/// Plain Rust (what LLVM makes of it: SSE2 natively, SIMD128 on wasm32): each block's integer sums in
/// [`LANES`] partial sums scaled lane-wise, so a row needs one horizontal sum at its end instead of one
/// per block.
struct Portable;

/// Lanes of the portable accumulators.
const LANES: usize = 8;

impl Dots for Portable {
    #[inline(always)]
    fn q8<const R: usize>(w: Q8Row<'_>, x: [XRow<'_>; R]) -> [f32; R] {
        x.map(|x| {
            let mut acc = [0f32; LANES];
            for (((w, &dw), x), &dx) in w.q.iter().zip(w.d).zip(x.q).zip(x.d) {
                let mut lanes = [0i32; LANES];
                for j in 0..QK {
                    lanes[j % LANES] += i32::from(w[j]) * i32::from(x[j]);
                }
                let s = dw * dx;
                for k in 0..LANES {
                    acc[k] += s * lanes[k] as f32;
                }
            }
            acc.iter().sum()
        })
    }

    #[inline(always)]
    fn q4<const R: usize>(w: Q4Row<'_>, x: [XRow<'_>; R]) -> [f32; R] {
        x.map(|x| {
            let mut acc = [0f32; LANES];
            let mut acc_m = 0f32;
            for (((((w, &dw), &mw), x), &dx), &sx) in
                w.q.iter().zip(w.d).zip(w.m).zip(x.q).zip(x.d).zip(x.s)
            {
                let mut lanes = [0i32; LANES];
                for j in 0..QK / 2 {
                    lanes[j % LANES] += i32::from(w[j] & 0x0f) * i32::from(x[j])
                        + i32::from(w[j] >> 4) * i32::from(x[j + QK / 2]);
                }
                let s = dw * dx;
                for k in 0..LANES {
                    acc[k] += s * lanes[k] as f32;
                }
                acc_m += mw * sx;
            }
            acc.iter().sum::<f32>() + acc_m
        })
    }
}

/// AVX2 dot products: weights widened to `i16` (`vpmovzxbw`/`vpmovsxbw`), multiplied with the 16-bit
/// activations pairwise into `i32` lanes (`vpmaddwd`), converted, one fused multiply-add per block into
/// eight f32 lanes per activation row.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::x86_64::*;

    use super::{Dots, Q4Row, Q8Row, QK, XRow};

    pub(crate) struct Avx2;

    impl Dots for Avx2 {
        #[inline(always)]
        fn q8<const R: usize>(w: Q8Row<'_>, x: [XRow<'_>; R]) -> [f32; R] {
            // SAFETY: only reached through `Kernel::run_avx2`, whose caller checked AVX2 and FMA.
            unsafe { q8(w, x) }
        }
        #[inline(always)]
        fn q4<const R: usize>(w: Q4Row<'_>, x: [XRow<'_>; R]) -> [f32; R] {
            // SAFETY: as above.
            unsafe { q4(w, x) }
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        _mm_cvtss_f32(s)
    }

    /// The 32 activations of a block as two vectors of 16.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn load_x(x: &[i16; QK]) -> (__m256i, __m256i) {
        // SAFETY: `x` refers to 64 bytes: two unaligned 32-byte loads within them.
        unsafe {
            (
                _mm256_loadu_si256(x.as_ptr().cast()),
                _mm256_loadu_si256(x.as_ptr().add(16).cast()),
            )
        }
    }

    /// `Σ w·x` of one block as eight `i32` lanes, the weights already widened.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn block(w0: __m256i, w1: __m256i, x: &[i16; QK]) -> __m256 {
        let (x0, x1) = load_x(x);
        _mm256_cvtepi32_ps(_mm256_add_epi32(
            _mm256_madd_epi16(w0, x0),
            _mm256_madd_epi16(w1, x1),
        ))
    }

    /// One activation row (decode): every operand walked by iterators, no indexing.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn q8_one(w: Q8Row<'_>, x: XRow<'_>) -> f32 {
        let mut acc = _mm256_setzero_ps();
        for (((wb, &dw), xb), &dx) in w.q.iter().zip(w.d).zip(x.q).zip(x.d) {
            // SAFETY: `wb` refers to 32 bytes: two unaligned 16-byte loads within them.
            let (w0, w1) = unsafe {
                (
                    _mm_loadu_si128(wb.as_ptr().cast()),
                    _mm_loadu_si128(wb.as_ptr().add(16).cast()),
                )
            };
            let s = block(_mm256_cvtepi8_epi16(w0), _mm256_cvtepi8_epi16(w1), xb);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(dw * dx), s, acc);
        }
        hsum(acc)
    }

    /// One activation row (decode), as [`q8_one`].
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn q4_one(w: Q4Row<'_>, x: XRow<'_>) -> f32 {
        let low = _mm_set1_epi8(0x0f);
        let mut acc = _mm256_setzero_ps();
        let mut acc_m = 0f32;
        for (((((wb, &dw), &mw), xb), &dx), &sx) in
            w.q.iter().zip(w.d).zip(w.m).zip(x.q).zip(x.d).zip(x.s)
        {
            // SAFETY: `wb` refers to 16 bytes: one unaligned load of exactly those.
            let wb = unsafe { _mm_loadu_si128(wb.as_ptr().cast()) };
            let lo = _mm256_cvtepu8_epi16(_mm_and_si128(wb, low));
            let hi = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(wb, 4), low));
            acc = _mm256_fmadd_ps(_mm256_set1_ps(dw * dx), block(lo, hi, xb), acc);
            acc_m += mw * sx;
        }
        hsum(acc) + acc_m
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn q8<const R: usize>(w: Q8Row<'_>, x: [XRow<'_>; R]) -> [f32; R] {
        if let [one] = x.as_slice() {
            let mut out = [0f32; R];
            out[0] = q8_one(w, *one);
            return out;
        }
        let n = w.q.len().min(w.d.len());
        if x.iter().any(|x| x.q.len() < n || x.d.len() < n) {
            return [f32::NAN; R];
        }
        let mut acc = [_mm256_setzero_ps(); R];
        for (b, (wb, &dw)) in w.q.iter().zip(w.d).enumerate() {
            // SAFETY: `wb` refers to 32 bytes: two unaligned 16-byte loads within them.
            let (w0, w1) = unsafe {
                (
                    _mm_loadu_si128(wb.as_ptr().cast()),
                    _mm_loadu_si128(wb.as_ptr().add(16).cast()),
                )
            };
            let (w0, w1) = (_mm256_cvtepi8_epi16(w0), _mm256_cvtepi8_epi16(w1));
            for (a, x) in acc.iter_mut().zip(&x) {
                let s = block(w0, w1, &x.q[b]);
                *a = _mm256_fmadd_ps(_mm256_set1_ps(dw * x.d[b]), s, *a);
            }
        }
        acc.map(|a| hsum(a))
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn q4<const R: usize>(w: Q4Row<'_>, x: [XRow<'_>; R]) -> [f32; R] {
        if let [one] = x.as_slice() {
            let mut out = [0f32; R];
            out[0] = q4_one(w, *one);
            return out;
        }
        let n = w.q.len().min(w.d.len()).min(w.m.len());
        if x.iter()
            .any(|x| x.q.len() < n || x.d.len() < n || x.s.len() < n)
        {
            return [f32::NAN; R];
        }
        let low = _mm_set1_epi8(0x0f);
        let mut acc = [_mm256_setzero_ps(); R];
        let mut acc_m = [0f32; R];
        for (b, ((wb, &dw), &mw)) in w.q.iter().zip(w.d).zip(w.m).enumerate() {
            // SAFETY: `wb` refers to 16 bytes: one unaligned load of exactly those.
            let wb = unsafe { _mm_loadu_si128(wb.as_ptr().cast()) };
            // elements 0..16 are the low nibbles, 16..32 the high ones
            let lo = _mm256_cvtepu8_epi16(_mm_and_si128(wb, low));
            let hi = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(wb, 4), low));
            for ((a, am), x) in acc.iter_mut().zip(acc_m.iter_mut()).zip(&x) {
                let s = block(lo, hi, &x.q[b]);
                *a = _mm256_fmadd_ps(_mm256_set1_ps(dw * x.d[b]), s, *a);
                *am += mw * x.s[b];
            }
        }
        let mut out = [0f32; R];
        for ((o, a), am) in out.iter_mut().zip(acc).zip(acc_m) {
            *o = hsum(a) + am;
        }
        out
    }
}

/// SIMD128 dot products: weights widened to `i16` and multiplied with the 16-bit activations pairwise
/// into `i32` lanes (`i32x4.dot_i16x8_s`), one multiply-add per block into four f32 lanes per activation
/// row.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(unsafe_code)]
mod simd128 {
    use core::arch::wasm32::*;

    use super::{Dots, Q4Row, Q8Row, QK, XRow};

    pub(crate) struct Simd128;

    #[inline(always)]
    fn hsum(v: v128) -> f32 {
        f32x4_extract_lane::<0>(v)
            + f32x4_extract_lane::<1>(v)
            + f32x4_extract_lane::<2>(v)
            + f32x4_extract_lane::<3>(v)
    }

    /// `Σ w·x` of one block as four f32 lanes, the weights already widened to `i16`: `w` holds the
    /// block's elements 0..8, 8..16, 16..24 and 24..32.
    #[inline(always)]
    fn block(w: [v128; 4], x: &[i16; QK]) -> v128 {
        // SAFETY: `x` refers to 64 bytes: four unaligned 16-byte loads within them.
        let [x0, x1, x2, x3] = unsafe {
            [
                v128_load(x.as_ptr().cast()),
                v128_load(x.as_ptr().add(8).cast()),
                v128_load(x.as_ptr().add(16).cast()),
                v128_load(x.as_ptr().add(24).cast()),
            ]
        };
        f32x4_convert_i32x4(i32x4_add(
            i32x4_add(i32x4_dot_i16x8(w[0], x0), i32x4_dot_i16x8(w[1], x1)),
            i32x4_add(i32x4_dot_i16x8(w[2], x2), i32x4_dot_i16x8(w[3], x3)),
        ))
    }

    /// Q8 weights widened to `i16`.
    #[inline(always)]
    fn widen_q8(wb: &[i8; QK]) -> [v128; 4] {
        // SAFETY: `wb` refers to 32 bytes: two unaligned 16-byte loads within them.
        let (w0, w1) = unsafe {
            (
                v128_load(wb.as_ptr().cast()),
                v128_load(wb.as_ptr().add(16).cast()),
            )
        };
        [
            i16x8_extend_low_i8x16(w0),
            i16x8_extend_high_i8x16(w0),
            i16x8_extend_low_i8x16(w1),
            i16x8_extend_high_i8x16(w1),
        ]
    }

    /// Q4 nibbles widened to `i16` (0..=15: unsigned or signed, the same values).
    #[inline(always)]
    fn widen_q4(wb: &[u8; QK / 2]) -> [v128; 4] {
        // SAFETY: `wb` refers to 16 bytes: one unaligned load of exactly those.
        let wb = unsafe { v128_load(wb.as_ptr().cast()) };
        let lo = v128_and(wb, u8x16_splat(0x0f));
        let hi = u8x16_shr(wb, 4);
        [
            u16x8_extend_low_u8x16(lo),
            u16x8_extend_high_u8x16(lo),
            u16x8_extend_low_u8x16(hi),
            u16x8_extend_high_u8x16(hi),
        ]
    }

    /// One activation row (decode): every operand walked by iterators, no indexing.
    #[inline(always)]
    fn q8_one(w: Q8Row<'_>, x: XRow<'_>) -> f32 {
        let mut acc = f32x4_splat(0.0);
        for (((wb, &dw), xb), &dx) in w.q.iter().zip(w.d).zip(x.q).zip(x.d) {
            acc = f32x4_add(
                acc,
                f32x4_mul(f32x4_splat(dw * dx), block(widen_q8(wb), xb)),
            );
        }
        hsum(acc)
    }

    /// One activation row (decode), as [`q8_one`].
    #[inline(always)]
    fn q4_one(w: Q4Row<'_>, x: XRow<'_>) -> f32 {
        let mut acc = f32x4_splat(0.0);
        let mut acc_m = 0f32;
        for (((((wb, &dw), &mw), xb), &dx), &sx) in
            w.q.iter().zip(w.d).zip(w.m).zip(x.q).zip(x.d).zip(x.s)
        {
            acc = f32x4_add(
                acc,
                f32x4_mul(f32x4_splat(dw * dx), block(widen_q4(wb), xb)),
            );
            acc_m += mw * sx;
        }
        hsum(acc) + acc_m
    }

    impl Dots for Simd128 {
        #[inline(always)]
        fn q8<const R: usize>(w: Q8Row<'_>, x: [XRow<'_>; R]) -> [f32; R] {
            if let [one] = x.as_slice() {
                let mut out = [0f32; R];
                out[0] = q8_one(w, *one);
                return out;
            }
            let n = w.q.len().min(w.d.len());
            if x.iter().any(|x| x.q.len() < n || x.d.len() < n) {
                return [f32::NAN; R];
            }
            let mut acc = [f32x4_splat(0.0); R];
            for (b, (wb, &dw)) in w.q.iter().zip(w.d).enumerate() {
                let wv = widen_q8(wb);
                for (a, x) in acc.iter_mut().zip(&x) {
                    let s = block(wv, &x.q[b]);
                    *a = f32x4_add(*a, f32x4_mul(f32x4_splat(dw * x.d[b]), s));
                }
            }
            acc.map(hsum)
        }

        #[inline(always)]
        fn q4<const R: usize>(w: Q4Row<'_>, x: [XRow<'_>; R]) -> [f32; R] {
            if let [one] = x.as_slice() {
                let mut out = [0f32; R];
                out[0] = q4_one(w, *one);
                return out;
            }
            let n = w.q.len().min(w.d.len()).min(w.m.len());
            if x.iter()
                .any(|x| x.q.len() < n || x.d.len() < n || x.s.len() < n)
            {
                return [f32::NAN; R];
            }
            let mut acc = [f32x4_splat(0.0); R];
            let mut acc_m = [0f32; R];
            for (b, ((wb, &dw), &mw)) in w.q.iter().zip(w.d).zip(w.m).enumerate() {
                let wv = widen_q4(wb);
                for ((a, am), x) in acc.iter_mut().zip(acc_m.iter_mut()).zip(&x) {
                    let s = block(wv, &x.q[b]);
                    *a = f32x4_add(*a, f32x4_mul(f32x4_splat(dw * x.d[b]), s));
                    *am += mw * x.s[b];
                }
            }
            let mut out = [0f32; R];
            for ((o, a), am) in out.iter_mut().zip(acc).zip(acc_m) {
                *o = hsum(a) + am;
            }
            out
        }
    }
}
