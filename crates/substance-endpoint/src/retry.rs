//! When and how long to wait before trying again.
//!
//! Retried: HTTP 408, 409, 429 and every 5xx, and transport timeouts, refused connections, resets and
//! truncated bodies. Not retried: other 4xx (the request is wrong), malformed 2xx bodies (a server that
//! sends broken JSON once will again), TLS failures and over-limit bodies.
//!
//! The wait is the server's `Retry-After` when it sends one (delta-seconds or an HTTP-date, both per
//! RFC 9110 §10.2.3; OpenAI's `retry-after-ms` too), capped at [`RetryPolicy::max_retry_after`];
//! otherwise exponential backoff `min(max_delay, base_delay · 2^(n-1))` for the n-th retry, shrunk by a
//! random factor in `(1 - jitter, 1]` drawn from a seeded generator, so a run's delays are reproducible.

use std::time::{Duration, SystemTime};

/// Retry settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry.
    pub base_delay: Duration,
    /// Backoff never exceeds this.
    pub max_delay: Duration,
    /// A server's `Retry-After` is honoured up to this long.
    pub max_retry_after: Duration,
    /// Fraction of the backoff that is randomised, in `[0, 1]` (0 = deterministic doubling).
    pub jitter: f64,
    /// Seed of the jitter generator.
    pub seed: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            jitter: 0.5,
            seed: 0,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Backoff before retry number `retry` (1-based) for a uniform draw `unit` in `[0, 1)`.
    pub fn backoff(&self, retry: u32, unit: f64) -> Duration {
        let exp = retry.saturating_sub(1).min(62);
        let full = self
            .base_delay
            .checked_mul(1u32 << exp.min(31))
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        full.mul_f64(1.0 - jitter * unit)
    }

    /// The wait before retry number `retry`: the server's `retry_after` (capped) if any, else backoff.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        match retry_after {
            Some(d) => d.min(self.max_retry_after),
            None => self.backoff(retry, unit),
        }
    }
}

/// Whether an HTTP status is worth retrying (408, 409, 429, 5xx).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..600).contains(&status)
}

/// Parse a `Retry-After` value: delta-seconds (decimals tolerated) or an HTTP-date, relative to `now`.
/// A date in the past means "now" (zero). Garbage gives `None` (fall back to backoff).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = v.parse().ok()?;
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::try_from_secs_f64(secs.min(1e9)).ok())
            .flatten();
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parse OpenAI's `retry-after-ms` (milliseconds, decimals tolerated).
pub fn parse_retry_after_ms(value: &str) -> Option<Duration> {
    let ms: f64 = value.trim().parse().ok()?;
    (ms.is_finite() && ms >= 0.0)
        .then(|| Duration::try_from_secs_f64((ms / 1000.0).min(1e9)).ok())
        .flatten()
}

/// SplitMix64: a tiny seeded generator for jitter (no `rand` needed for one uniform per retry).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        let d: Vec<u64> = (1..=6).map(|n| p.backoff(n, 0.7).as_secs()).collect();
        assert_eq!(d, vec![1, 2, 4, 5, 5, 5]);
        assert_eq!(p.backoff(200, 0.0), Duration::from_secs(5));
        let j = RetryPolicy { jitter: 0.5, ..p };
        assert_eq!(j.backoff(2, 0.0), Duration::from_secs(2));
        assert_eq!(j.backoff(2, 1.0), Duration::from_secs(1));
        assert_eq!(j.backoff(2, f64::NAN), Duration::from_secs(2));
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in ["", "-1", "soon", "1e999", "99999999999999999999999"] {
            let r = parse_retry_after(bad, now);
            assert!(
                r.is_none() || r.unwrap() <= Duration::from_secs(1_000_000_000),
                "{bad}"
            );
        }
        assert_eq!(
            parse_retry_after_ms("250"),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_retry_after_ms("x"), None);
    }

    #[test]
    fn retry_after_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600)), 0.0),
            p.max_retry_after
        );
    }

    #[test]
    fn jitter_is_seeded() {
        let a: Vec<f64> = {
            let mut r = SplitMix64::new(7);
            (0..5).map(|_| r.next_unit()).collect()
        };
        let mut r = SplitMix64::new(7);
        assert!(
            a.iter()
                .all(|&u| u == r.next_unit() && (0.0..1.0).contains(&u))
        );
    }
}
