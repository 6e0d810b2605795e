//! Multiple testing: Benjamini-Hochberg adjusted p-values (q-values).

/// The Benjamini-Hochberg adjusted p-values of `p`, in the same order: `q_(i) = min_{j >= i} (m / j) p_(j)`,
/// capped at 1. A non-finite p-value counts as 1.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let clean = |x: f64| {
        if x.is_finite() {
            x.clamp(0.0, 1.0)
        } else {
            1.0
        }
    };
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| clean(p[a]).total_cmp(&clean(p[b])).then(a.cmp(&b)));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        let adj = clean(p[i]) * m as f64 / (rank + 1) as f64;
        running = running.min(adj);
        q[i] = running.min(1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn textbook_example() {
        // p = 0.01, 0.04, 0.03, 0.005 (m = 4): sorted 0.005 0.01 0.03 0.04 -> 0.02 0.02 0.04 0.04
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.02, 0.04, 0.04, 0.02];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
        assert!((benjamini_hochberg(&[f64::NAN])[0] - 1.0).abs() < f64::EPSILON);
    }

    proptest! {
        #[test]
        fn q_is_at_least_p_monotone_and_at_most_one(p in proptest::collection::vec(0.0f64..=1.0, 1..60)) {
            let q = benjamini_hochberg(&p);
            prop_assert_eq!(q.len(), p.len());
            for (a, b) in p.iter().zip(&q) {
                prop_assert!(*b >= *a - 1e-15 && *b <= 1.0);
            }
            // the order of p is kept
            for i in 0..p.len() {
                for j in 0..p.len() {
                    if p[i] < p[j] {
                        prop_assert!(q[i] <= q[j] + 1e-15);
                    }
                }
            }
        }

        #[test]
        fn rejections_match_the_step_up_procedure(p in proptest::collection::vec(0.0f64..=1.0, 1..60), alpha in 0.001f64..0.2) {
            let q = benjamini_hochberg(&p);
            let mut s = p.clone();
            s.sort_by(f64::total_cmp);
            let m = s.len() as f64;
            let k = (0..s.len()).rev().find(|&i| s[i] <= (i + 1) as f64 / m * alpha).map_or(0, |i| i + 1);
            let rejected = q.iter().filter(|x| **x <= alpha).count();
            prop_assert_eq!(rejected, k);
        }

        #[test]
        fn permutation_invariant(p in proptest::collection::vec(0.0f64..=1.0, 1..40)) {
            let q = benjamini_hochberg(&p);
            let rev: Vec<f64> = p.iter().rev().copied().collect();
            let qr = benjamini_hochberg(&rev);
            for (a, b) in q.iter().zip(qr.iter().rev()) {
                prop_assert!((a - b).abs() < 1e-15);
            }
        }
    }
}
