//! Choosing the next token from logits, on the host.
//!
//! Sampling runs on the CPU after one asynchronous read of the last position's logits: backends have no
//! async path for some ops (top-k), and a host sampler is identical on every backend and in wasm. The
//! RNG is ChaCha8 seeded explicitly, so a seed written into a receipt reproduces the text.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// How the next token is chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sampling {
    /// Argmax (the first index on ties, as `torch.argmax`).
    Greedy,
    /// Temperature, then top-k, then top-p (nucleus) filtering, as transformers' logits warpers apply
    /// them; then one draw from a ChaCha8 stream seeded with `seed`.
    Random {
        /// Temperature (> 0).
        temperature: f32,
        /// Keep the `k` most likely tokens (`None`/0 = all).
        #[serde(default)]
        top_k: Option<usize>,
        /// Keep the smallest set whose probability reaches `p` (`None`/1 = all).
        #[serde(default)]
        top_p: Option<f32>,
        /// RNG seed.
        seed: u64,
    },
}

impl Sampling {
    /// Greedy when `temperature` is 0, otherwise plain temperature sampling with `seed`.
    pub fn from_temperature(temperature: f64, seed: u64) -> Self {
        if temperature <= 0.0 {
            Self::Greedy
        } else {
            Self::Random {
                temperature: temperature as f32,
                top_k: None,
                top_p: None,
                seed,
            }
        }
    }

    /// Check the parameters.
    pub fn validate(&self) -> Result<()> {
        if let Self::Random {
            temperature, top_p, ..
        } = self
        {
            if !(temperature.is_finite() && *temperature > 0.0) {
                return Err(ModelError::Input(format!(
                    "temperature {temperature} must be positive"
                )));
            }
            if let Some(p) = top_p {
                if !(*p > 0.0 && *p <= 1.0) {
                    return Err(ModelError::Input(format!("top_p {p} must be in (0, 1]")));
                }
            }
        }
        Ok(())
    }
}

/// A [`Sampling`] rule with its RNG state.
#[derive(Debug, Clone)]
pub struct Sampler {
    rule: Sampling,
    rng: ChaCha8Rng,
}

impl Sampler {
    /// Start a sampler (validates the rule).
    pub fn new(rule: Sampling) -> Result<Self> {
        rule.validate()?;
        let seed = match &rule {
            Sampling::Random { seed, .. } => *seed,
            Sampling::Greedy => 0,
        };
        Ok(Self {
            rule,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// The rule.
    pub fn rule(&self) -> &Sampling {
        &self.rule
    }

    /// Choose a token from one position's logits (`allowed` limits the choice to the first `allowed`
    /// ids, e.g. the tokenizer's vocabulary when the model has padding rows).
    pub fn sample(&mut self, logits: &[f32], allowed: usize) -> Result<u32> {
        let n = allowed.min(logits.len());
        if n == 0 {
            return Err(ModelError::Input("no logits to sample from".into()));
        }
        let logits = &logits[..n];
        match &self.rule {
            Sampling::Greedy => Ok(argmax(logits) as u32),
            Sampling::Random {
                temperature,
                top_k,
                top_p,
                ..
            } => {
                let mut idx: Vec<usize> = (0..n).filter(|&i| !logits[i].is_nan()).collect();
                if idx.is_empty() {
                    return Err(ModelError::Input("every logit is NaN".into()));
                }
                // descending by logit, ties by id (stable)
                idx.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
                if let Some(k) = top_k.filter(|k| *k > 0) {
                    idx.truncate(k);
                }
                let t = *temperature;
                let max = logits[idx[0]] / t;
                let mut probs: Vec<f64> = idx
                    .iter()
                    .map(|&i| f64::from((logits[i] / t - max).exp()))
                    .collect();
                let sum: f64 = probs.iter().sum();
                probs.iter_mut().for_each(|p| *p /= sum);
                if let Some(p) = top_p.filter(|p| *p < 1.0) {
                    // keep the smallest prefix whose mass reaches p (at least one token)
                    let mut acc = 0.0;
                    let mut keep = probs.len();
                    for (j, q) in probs.iter().enumerate() {
                        acc += q;
                        if acc >= f64::from(p) {
                            keep = j + 1;
                            break;
                        }
                    }
                    probs.truncate(keep);
                    idx.truncate(keep);
                    let s: f64 = probs.iter().sum();
                    probs.iter_mut().for_each(|q| *q /= s);
                }
                let u: f64 = self.rng.random();
                let mut acc = 0.0;
                for (j, q) in probs.iter().enumerate() {
                    acc += q;
                    if u < acc {
                        return Ok(idx[j] as u32);
                    }
                }
                Ok(idx[idx.len() - 1] as u32)
            }
        }
    }
}

/// Index of the largest value (first on ties; NaN never wins).
pub fn argmax(xs: &[f32]) -> usize {
    let mut best = 0;
    let mut best_v = f32::NEG_INFINITY;
    for (i, &v) in xs.iter().enumerate() {
        if v > best_v {
            best = i;
            best_v = v;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_first_max() {
        let mut s = Sampler::new(Sampling::Greedy).unwrap();
        assert_eq!(s.sample(&[0.0, 2.0, 2.0, 1.0], 4).unwrap(), 1);
        assert_eq!(
            s.sample(&[0.0, 2.0, 3.0], 2).unwrap(),
            1,
            "allowed limits the ids"
        );
    }

    #[test]
    fn seeded_sampling_is_reproducible_and_respects_top_k() {
        let logits: Vec<f32> = (0..50).map(|i| (i as f32 * 0.37).sin()).collect();
        let rule = Sampling::Random {
            temperature: 0.8,
            top_k: Some(5),
            top_p: Some(0.9),
            seed: 7,
        };
        let draw = |rule: &Sampling| {
            let mut s = Sampler::new(rule.clone()).unwrap();
            (0..20)
                .map(|_| s.sample(&logits, 50).unwrap())
                .collect::<Vec<_>>()
        };
        let a = draw(&rule);
        assert_eq!(a, draw(&rule));
        let mut top5: Vec<usize> = (0..50).collect();
        top5.sort_by(|&x, &y| logits[y].total_cmp(&logits[x]));
        top5.truncate(5);
        assert!(a.iter().all(|t| top5.contains(&(*t as usize))));
        let other = Sampling::Random {
            temperature: 0.8,
            top_k: Some(5),
            top_p: Some(0.9),
            seed: 8,
        };
        assert_ne!(a, draw(&other));
    }

    #[test]
    fn tiny_top_p_is_greedy() {
        let mut s = Sampler::new(Sampling::Random {
            temperature: 1.0,
            top_k: None,
            top_p: Some(1e-6),
            seed: 1,
        })
        .unwrap();
        for _ in 0..10 {
            assert_eq!(s.sample(&[0.1, 3.0, 0.2], 3).unwrap(), 1);
        }
    }

    #[test]
    fn bad_parameters_are_rejected() {
        for rule in [
            Sampling::Random {
                temperature: 0.0,
                top_k: None,
                top_p: None,
                seed: 0,
            },
            Sampling::Random {
                temperature: 1.0,
                top_k: None,
                top_p: Some(1.5),
                seed: 0,
            },
        ] {
            assert!(Sampler::new(rule).is_err());
        }
    }
}
