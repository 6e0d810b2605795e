//! Binomial tails (statrs).

use statrs::distribution::{Binomial, DiscreteCDF};

/// `P(X >= k)` for `X ~ Binomial(n, p)`; 1 when `k == 0`, 0 when `k > n`. `p` is clamped to `[0, 1]`.
pub fn upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let p = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.0
    };
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    match Binomial::new(p, n) {
        // sf(x) = P(X > x)
        Ok(b) => b.sf(k - 1).clamp(0.0, 1.0),
        Err(_) => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact(k: u64, n: u64, p: f64) -> f64 {
        // sum of the pmf from k to n, by the recurrence
        let mut pmf = (1.0 - p).powi(i32::try_from(n).expect("small"));
        let mut tail = 0.0;
        for x in 0..=n {
            if x >= k {
                tail += pmf;
            }
            pmf *= (n - x) as f64 / (x + 1) as f64 * p / (1.0 - p);
        }
        tail
    }

    #[test]
    fn known_values() {
        // P(X >= 1), n = 10, p = 0.1: 1 - 0.9^10
        assert!((upper_tail(1, 10, 0.1) - (1.0 - 0.9f64.powi(10))).abs() < 1e-12);
        // P(X >= 10), n = 10, p = 0.5: 2^-10
        assert!((upper_tail(10, 10, 0.5) - 1.0 / 1024.0).abs() < 1e-12);
        assert!((upper_tail(0, 10, 0.3) - 1.0).abs() < f64::EPSILON);
        assert!(upper_tail(11, 10, 0.3).abs() < f64::EPSILON);
        assert!(upper_tail(3, 10, 0.0).abs() < f64::EPSILON);
    }

    proptest! {
        #[test]
        fn matches_the_summed_pmf(n in 1u64..60, k in 0u64..60, p in 0.01f64..0.99) {
            let k = k.min(n + 1);
            let t = upper_tail(k, n, p);
            prop_assert!((t - exact(k, n, p)).abs() < 1e-9, "k {} n {} p {} got {} want {}", k, n, p, t, exact(k, n, p));
        }

        #[test]
        fn decreases_in_k_and_increases_in_p(n in 1u64..200, k in 1u64..200, p in 0.001f64..0.5) {
            let k = k.min(n);
            prop_assert!(upper_tail(k, n, p) <= upper_tail(k - 1, n, p) + 1e-12);
            prop_assert!(upper_tail(k, n, p) <= upper_tail(k, n, (p * 1.5).min(1.0)) + 1e-12);
        }
    }
}
