//! CPython's `random.Random` for the draws benchmarks make with it: MT19937 (`rand_mt`) seeded as
//! `random.seed(n)` seeds it for `0 ≤ n < 2³²` (`init_by_array([n])`), `random()` from two draws (53
//! bits), `getrandbits(k)` for `k ≤ 32`, `_randbelow` (rejection on `n.bit_length()` bits),
//! `choices`, `shuffle` and `gauss` (Fisher–Yates from the end, as CPython 3.11+ and earlier without the `random` argument).
//! Bit-identical to CPython, so an order a harness drew with it can be reproduced.

/// CPython's `random.Random(seed)`.
pub struct PyRandom {
    mt: rand_mt::Mt,
    /// `gauss()`'s second value, kept for the next call as CPython keeps it.
    gauss_next: Option<f64>,
}

impl PyRandom {
    /// `random.Random(seed)` / `random.seed(seed)` for an int seed below 2³².
    pub fn new(seed: u32) -> Self {
        Self {
            mt: rand_mt::Mt::new_with_key([seed]),
            gauss_next: None,
        }
    }

    /// One 32-bit output of the generator.
    pub fn next_u32(&mut self) -> u32 {
        self.mt.next_u32()
    }

    /// `gauss(0.0, 1.0)`: CPython's Box–Muller pair, the second value kept for the next call.
    pub fn gauss(&mut self) -> f64 {
        if let Some(z) = self.gauss_next.take() {
            return z;
        }
        let x2pi = self.random() * std::f64::consts::TAU;
        let g2rad = (-2.0 * (1.0 - self.random()).ln()).sqrt();
        self.gauss_next = Some(x2pi.sin() * g2rad);
        x2pi.cos() * g2rad
    }

    /// `random()`: a 53-bit float in [0, 1).
    pub fn random(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `getrandbits(k)` for `1 ≤ k ≤ 32`.
    pub fn getrandbits(&mut self, k: u32) -> u32 {
        self.next_u32() >> (32 - k.clamp(1, 32))
    }

    /// `_randbelow(n)` for `1 ≤ n ≤ 2³²`: `getrandbits(n.bit_length())` until it is below `n`.
    pub fn randbelow(&mut self, n: u64) -> u64 {
        let n = n.clamp(1, 1 << 32);
        let k = 64 - n.leading_zeros();
        loop {
            let r = u64::from(self.getrandbits(k.min(32)));
            if r < n {
                return r;
            }
        }
    }

    /// `choices(xs, k=len(xs))` into `out`: `xs[floor(random() · n)]` each time.
    pub fn choices<T: Copy>(&mut self, xs: &[T], out: &mut Vec<T>) {
        let n = xs.len() as f64;
        out.clear();
        for _ in 0..xs.len() {
            out.push(xs[(self.random() * n) as usize]);
        }
    }

    /// `shuffle(xs)` in place.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.randbelow(i as u64 + 1) as usize;
            xs.swap(i, j);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Values printed by CPython 3.11: `random.seed(0); [random.getrandbits(32) for _ in range(3)]`,
    /// `random.seed(0); random.random()`, `random.seed(0); x = list(range(10)); random.shuffle(x)`.
    #[test]
    fn matches_cpython() {
        let mut r = PyRandom::new(0);
        assert_eq!(
            [r.next_u32(), r.next_u32(), r.next_u32()],
            [3_626_764_237, 1_654_615_998, 3_255_389_356]
        );
        assert_eq!(PyRandom::new(0).random(), 0.844_421_851_525_048_1);
        let mut x: Vec<u32> = (0..10).collect();
        PyRandom::new(0).shuffle(&mut x);
        assert_eq!(x, [7, 8, 1, 5, 3, 4, 2, 0, 9, 6]);
        // `random.seed(0); [random.gauss(0, 1), random.gauss(0, 1), random.random()]`
        let mut r = PyRandom::new(0);
        assert_eq!(r.gauss(), 0.941_715_404_680_664_4);
        assert_eq!(r.gauss(), -1.396_578_104_701_149_8);
        assert_eq!(r.random(), 0.420_571_580_830_845);
        // `random.seed(0); [random.randrange(1000) for _ in range(5)]`
        let mut r = PyRandom::new(0);
        let picks: Vec<u64> = (0..5).map(|_| r.randbelow(1000)).collect();
        assert_eq!(picks, [864, 394, 776, 911, 430]);
    }
}
