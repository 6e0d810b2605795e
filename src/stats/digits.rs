//! Nigrini's digit tests (first digit, second digit, first two digits, last two digits) over per-unit counts.
//!
//! A unit's state is [`DigitCounts`]: a few small arrays filled with integer work per payment (no floats, no
//! strings), merged by adding. The tests run on the counts after the scan: proportions against Benford's (or,
//! for the last two digits, the uniform) expectation, the mean absolute deviation (MAD) with Nigrini's
//! conformity bands, the chi-square statistic with its p-value, a Z statistic per digit with the continuity
//! correction, and the excess MAD (MAD minus the MAD expected of conforming data of the same size), which keeps
//! small units from looking nonconforming by chance.
//!
//! Amounts below 10.00 yuan are left out of the digit tests (as Nigrini does), and so are amounts the scheme
//! rules fix (a fixed amount or an age band): their digits say nothing about invention.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Smallest amount tested, in fen (10.00 yuan).
pub const MIN_TESTED_FEN: i64 = 1_000;
/// Magnitude histogram: tenths of a decade of the amount in fen, 0 to 16 decades.
const MAG_BUCKETS: usize = 160;

/// One of Nigrini's digit tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigitTest {
    First,
    Second,
    FirstTwo,
    LastTwo,
}

impl DigitTest {
    pub const ALL: [DigitTest; 4] = [Self::First, Self::Second, Self::FirstTwo, Self::LastTwo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Second => "second",
            Self::FirstTwo => "first_two",
            Self::LastTwo => "last_two",
        }
    }

    /// The digit values the test counts (1-9, 0-9, 10-99, 00-99).
    pub fn digits(self) -> std::ops::RangeInclusive<u32> {
        match self {
            Self::First => 1..=9,
            Self::Second => 0..=9,
            Self::FirstTwo => 10..=99,
            Self::LastTwo => 0..=99,
        }
    }

    /// The expected proportion of digit value `d`.
    pub fn expected(self, d: u32) -> f64 {
        let f = f64::from(d);
        match self {
            Self::First | Self::FirstTwo => (1.0 + 1.0 / f).log10(),
            Self::Second => (1..=9)
                .map(|k| (1.0 + 1.0 / (10.0 * f64::from(k) + f)).log10())
                .sum(),
            Self::LastTwo => 0.01,
        }
    }

    /// Nigrini's MAD bounds of close, acceptable and marginally acceptable conformity (none for the last two
    /// digits, whose expectation is uniform).
    pub fn mad_bands(self) -> Option<[f64; 3]> {
        match self {
            Self::First => Some([0.006, 0.012, 0.015]),
            Self::Second => Some([0.008, 0.010, 0.012]),
            Self::FirstTwo => Some([0.0012, 0.0018, 0.0022]),
            Self::LastTwo => None,
        }
    }
}

/// Nigrini's conformity levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conformity {
    Close,
    Acceptable,
    MarginallyAcceptable,
    Nonconformity,
    /// The test has no conformity bands (last two digits).
    NotApplicable,
}

impl Conformity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Close => "close",
            Self::Acceptable => "acceptable",
            Self::MarginallyAcceptable => "marginally_acceptable",
            Self::Nonconformity => "nonconformity",
            Self::NotApplicable => "n/a",
        }
    }

    pub fn of(test: DigitTest, mad: f64) -> Self {
        match test.mad_bands() {
            None => Self::NotApplicable,
            Some([a, b, c]) => {
                if mad <= a {
                    Self::Close
                } else if mad <= b {
                    Self::Acceptable
                } else if mad <= c {
                    Self::MarginallyAcceptable
                } else {
                    Self::Nonconformity
                }
            }
        }
    }
}

/// The counts of one unit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DigitCounts {
    /// Payments seen (positive amounts), rule-fixed ones included.
    pub payments: u64,
    /// Payments whose amount the scheme rules fix.
    pub fixed: u64,
    /// First-two-digit counts of the tested amounts (index = digits - 10).
    #[serde(with = "crate::engine::codec::array")]
    pub first_two: [u64; 90],
    /// Last-two-digit counts of the whole-yuan part of the tested amounts.
    #[serde(with = "crate::engine::codec::array")]
    pub last_two: [u64; 100],
    #[serde(with = "crate::engine::codec::array")]
    magnitude: [u64; MAG_BUCKETS],
}

impl Default for DigitCounts {
    fn default() -> Self {
        Self {
            payments: 0,
            fixed: 0,
            first_two: [0; 90],
            last_two: [0; 100],
            magnitude: [0; MAG_BUCKETS],
        }
    }
}

/// `floor(10 x log10(d / 10))` for first-two digits `d` in 10..=99: the tenth of a decade within one decade.
const TENTHS: [u8; 90] = {
    // thresholds 10^(k/10) x 10 for k = 1..9, rounded up: 12.59 13.. -> first two digits at or above
    // 13 (12.589), 16 (15.849), 20 (19.953), 26 (25.119), 32 (31.623), 40 (39.811), 51 (50.119), 64 (63.096),
    // 80 (79.433)
    let starts = [13u8, 16, 20, 26, 32, 40, 51, 64, 80];
    let mut t = [0u8; 90];
    let mut d = 0;
    while d < 90 {
        let v = d as u8 + 10;
        let mut k = 0;
        while k < 9 && v >= starts[k] {
            k += 1;
        }
        t[d] = k as u8;
        d += 1;
    }
    t
};

/// The first two significant digits of `v >= 10`.
#[inline]
pub fn first_two(v: u64) -> (u32, u32) {
    let e = v.ilog10();
    (e, (v / 10u64.pow(e - 1)) as u32)
}

/// What the digit counts need of one payment, worked out once however many units count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitFacts {
    /// Not a payment (zero or negative).
    None,
    /// A payment the scheme rules fix.
    Fixed,
    /// A payment below [`MIN_TESTED_FEN`].
    Small,
    /// A tested amount: first-two-digit index (digits - 10), last-two digits, magnitude bucket.
    Tested { ft: u8, lt: u8, mag: u8 },
}

impl DigitFacts {
    #[inline]
    pub fn of(amount_fen: i64, fixed: bool) -> Self {
        if amount_fen <= 0 {
            return Self::None;
        }
        if fixed {
            return Self::Fixed;
        }
        if amount_fen < MIN_TESTED_FEN {
            return Self::Small;
        }
        let v = amount_fen.unsigned_abs();
        let (e, ft) = first_two(v);
        let ft = ft as usize - 10;
        let mag = (e as usize * 10 + usize::from(TENTHS[ft])).min(MAG_BUCKETS - 1);
        Self::Tested {
            ft: ft as u8,
            lt: ((v / 100) % 100) as u8,
            mag: mag as u8,
        }
    }
}

impl DigitCounts {
    /// Counts one payment of `amount_fen`; `fixed` when the scheme rules fix the amount.
    #[inline]
    pub fn add(&mut self, amount_fen: i64, fixed: bool) {
        self.add_facts(DigitFacts::of(amount_fen, fixed));
    }

    /// Counts one payment from its [`DigitFacts`].
    #[inline]
    pub fn add_facts(&mut self, f: DigitFacts) {
        match f {
            DigitFacts::None => {}
            DigitFacts::Fixed => {
                self.payments += 1;
                self.fixed += 1;
            }
            DigitFacts::Small => self.payments += 1,
            DigitFacts::Tested { ft, lt, mag } => {
                self.payments += 1;
                self.first_two[usize::from(ft)] += 1;
                self.last_two[usize::from(lt)] += 1;
                self.magnitude[usize::from(mag)] += 1;
            }
        }
    }

    pub fn merge(&mut self, o: &DigitCounts) {
        self.payments += o.payments;
        self.fixed += o.fixed;
        for (a, b) in self.first_two.iter_mut().zip(&o.first_two) {
            *a += b;
        }
        for (a, b) in self.last_two.iter_mut().zip(&o.last_two) {
            *a += b;
        }
        for (a, b) in self.magnitude.iter_mut().zip(&o.magnitude) {
            *a += b;
        }
    }

    /// Amounts in the digit tests.
    pub fn tested(&self) -> u64 {
        self.first_two.iter().sum()
    }

    /// Orders of magnitude between the 5th and the 95th percentile of the tested amounts (to a tenth).
    pub fn spread_orders(&self) -> f64 {
        let n = self.tested();
        if n == 0 {
            return 0.0;
        }
        let at = |q: f64| {
            let target = ((n as f64) * q).ceil().max(1.0) as u64;
            let mut acc = 0;
            for (i, c) in self.magnitude.iter().enumerate() {
                acc += c;
                if acc >= target {
                    return i;
                }
            }
            MAG_BUCKETS - 1
        };
        (at(0.95) as f64 - at(0.05) as f64) / 10.0
    }

    /// Share of the payments whose amount the scheme rules fix.
    pub fn fixed_share(&self) -> f64 {
        if self.payments == 0 {
            0.0
        } else {
            self.fixed as f64 / self.payments as f64
        }
    }

    /// Why the unit cannot be tested, if it cannot: too few amounts, too narrow a spread, or mostly rule-fixed
    /// amounts.
    pub fn not_testable(&self, gate: &Gate) -> Option<String> {
        let n = self.tested();
        if self.fixed_share() > gate.max_fixed_share {
            return Some(format!(
                "{:.0}% of {} payments are fixed by the scheme rules (at most {:.0}%)",
                self.fixed_share() * 100.0,
                self.payments,
                gate.max_fixed_share * 100.0
            ));
        }
        if n < gate.min_amounts {
            return Some(format!(
                "{n} amounts of 10.00 yuan or more (at least {})",
                gate.min_amounts
            ));
        }
        let s = self.spread_orders();
        if s < gate.min_orders {
            return Some(format!(
                "amounts span {s:.1} orders of magnitude (at least {:.1})",
                gate.min_orders
            ));
        }
        None
    }

    /// The observed counts of a test, in digit order.
    pub fn observed(&self, test: DigitTest) -> Vec<u64> {
        match test {
            DigitTest::FirstTwo => self.first_two.to_vec(),
            DigitTest::LastTwo => self.last_two.to_vec(),
            DigitTest::First => {
                let mut c = vec![0u64; 9];
                for (i, n) in self.first_two.iter().enumerate() {
                    c[(i + 10) / 10 - 1] += n;
                }
                c
            }
            DigitTest::Second => {
                let mut c = vec![0u64; 10];
                for (i, n) in self.first_two.iter().enumerate() {
                    c[(i + 10) % 10] += n;
                }
                c
            }
        }
    }

    /// Runs one test.
    pub fn test(&self, test: DigitTest) -> DigitResult {
        DigitResult::of(test, &self.observed(test))
    }
}

/// The applicability gate of the digit tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gate {
    pub min_amounts: u64,
    pub min_orders: f64,
    pub max_fixed_share: f64,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            min_amounts: 500,
            min_orders: 2.0,
            max_fixed_share: 0.5,
        }
    }
}

/// The result of one digit test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigitResult {
    pub test: DigitTest,
    pub n: u64,
    pub mad: f64,
    /// The MAD expected of data that conforms exactly, for this `n`.
    pub expected_mad: f64,
    /// `mad - expected_mad`.
    pub excess_mad: f64,
    pub conformity: Conformity,
    pub chi2: f64,
    pub df: u32,
    pub p_value: f64,
    /// Z statistic per digit value (continuity-corrected), in digit order.
    #[serde(skip)]
    pub z: Vec<f64>,
    /// Observed counts, in digit order.
    #[serde(skip)]
    pub observed: Vec<u64>,
}

impl DigitResult {
    /// The test on `observed` counts (in the digit order of `test`).
    pub fn of(test: DigitTest, observed: &[u64]) -> Self {
        let n: u64 = observed.iter().sum();
        let nf = n as f64;
        let k = observed.len();
        let mut mad = 0.0;
        let mut expected_mad = 0.0;
        let mut chi2 = 0.0;
        let mut z = Vec::with_capacity(k);
        for (d, &o) in test.digits().zip(observed) {
            let p = test.expected(d);
            if n == 0 {
                z.push(0.0);
                continue;
            }
            let ap = o as f64 / nf;
            let diff = (ap - p).abs();
            mad += diff;
            expected_mad += (2.0 * p * (1.0 - p) / (std::f64::consts::PI * nf)).sqrt();
            let e = p * nf;
            chi2 += (o as f64 - e).powi(2) / e;
            // Nigrini: the correction 1/(2n) applies only when it is smaller than the difference
            let cc = 1.0 / (2.0 * nf);
            let num = if cc < diff { diff - cc } else { diff };
            z.push(num / (p * (1.0 - p) / nf).sqrt());
        }
        let kf = k as f64;
        let (mad, expected_mad) = if n == 0 {
            (0.0, 0.0)
        } else {
            (mad / kf, expected_mad / kf)
        };
        let df = (k - 1) as u32;
        let p_value = if n == 0 {
            1.0
        } else {
            ChiSquared::new(f64::from(df)).map_or(1.0, |c| c.sf(chi2))
        };
        Self {
            test,
            n,
            mad,
            expected_mad,
            excess_mad: mad - expected_mad,
            conformity: Conformity::of(test, mad),
            chi2,
            df,
            p_value,
            z,
            observed: observed.to_vec(),
        }
    }

    /// The digit values most in excess of their expectation (largest positive Z first), at most `max`, with
    /// their Z.
    pub fn spikes(&self, max: usize, min_z: f64) -> Vec<(u32, f64)> {
        let n = self.n as f64;
        let mut s: Vec<(u32, f64)> = self
            .test
            .digits()
            .zip(self.z.iter().zip(&self.observed))
            .filter(|(d, (z, o))| **z >= min_z && (**o as f64) > self.test.expected(*d) * n)
            .map(|(d, (z, _))| (d, *z))
            .collect();
        s.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        s.truncate(max);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    #[allow(clippy::approx_constant)] // the published table's 5-decimal value, on purpose
    fn expected_proportions_match_nigrini_tables() {
        // Nigrini (2012), Table 5.1: first digit 1 = 0.30103, 9 = 0.04576; second digit 0 = 0.11968,
        // 9 = 0.08500; first two digits 10 = 0.04139, 99 = 0.00436.
        let t = |test: DigitTest, d: u32, want: f64| {
            assert!(
                (test.expected(d) - want).abs() < 5e-6,
                "{test:?} {d}: {}",
                test.expected(d)
            );
        };
        t(DigitTest::First, 1, 0.30103);
        t(DigitTest::First, 9, 0.04576);
        t(DigitTest::Second, 0, 0.11968);
        t(DigitTest::Second, 9, 0.08500);
        t(DigitTest::FirstTwo, 10, 0.04139);
        t(DigitTest::FirstTwo, 99, 0.00436);
        for test in DigitTest::ALL {
            let s: f64 = test.digits().map(|d| test.expected(d)).sum();
            assert!((s - 1.0).abs() < 1e-12, "{test:?}");
        }
    }

    #[test]
    fn tenths_of_a_decade() {
        for d in 10u32..=99 {
            let want = (10.0 * (f64::from(d) / 10.0).log10()).floor() as u8;
            assert_eq!(TENTHS[d as usize - 10], want, "{d}");
        }
    }

    #[test]
    fn counts_digits_of_amounts() {
        let mut c = DigitCounts::default();
        c.add(123_456, false); // 1234.56 -> 12, last two 34
        c.add(999, false); // 9.99: below 10 yuan
        c.add(1_000, false); // 10.00 -> 10, 10
        c.add(10_000, true); // fixed
        c.add(-5, false);
        assert_eq!((c.payments, c.fixed, c.tested()), (4, 1, 2));
        assert_eq!(c.first_two[2], 1);
        assert_eq!(c.first_two[0], 1);
        assert_eq!(c.last_two[34], 1);
        assert_eq!(c.last_two[10], 1);
        assert_eq!(c.observed(DigitTest::First)[0], 2);
        assert_eq!(c.observed(DigitTest::Second)[0], 1);
        assert_eq!(c.observed(DigitTest::Second)[2], 1);
    }

    #[test]
    fn gate_reasons() {
        let g = Gate::default();
        let mut c = DigitCounts::default();
        for i in 0..600 {
            c.add(10_000 + i, false);
        }
        assert!(c.not_testable(&g).is_some_and(|r| r.contains("orders")));
        let mut c = DigitCounts::default();
        for i in 1..=600i64 {
            c.add(1_000 + i * i * 37, false);
        }
        assert_eq!(c.not_testable(&g), None, "spread {}", c.spread_orders());
        for _ in 0..700 {
            c.add(10_000, true);
        }
        assert!(c.not_testable(&g).is_some_and(|r| r.contains("fixed")));
        assert!(DigitCounts::default()
            .not_testable(&g)
            .is_some_and(|r| r.contains("amounts")));
    }

    /// A closed-form case (the published reference is in `tests/benford_reference.rs`): the 90 amounts
    /// 10..=99 once each have first-two proportions 1/90, so MAD = mean |1/90 - log10(1 + 1/d)|, computed here
    /// term by term independently of the implementation; the chi-square is sum (1 - 90 p)^2 / (90 p).
    #[test]
    fn uniform_first_two_digits_closed_form() {
        let obs = vec![1u64; 90];
        let r = DigitResult::of(DigitTest::FirstTwo, &obs);
        let mut mad = 0.0;
        let mut chi = 0.0;
        for d in 10..=99 {
            let p = (1.0 + 1.0 / f64::from(d)).log10();
            mad += (1.0 / 90.0 - p).abs() / 90.0;
            chi += (1.0 - 90.0 * p).powi(2) / (90.0 * p);
        }
        assert!((r.mad - mad).abs() < 1e-12);
        assert!((r.chi2 - chi).abs() < 1e-9);
        // value checked with Python (math.log10): 0.0059743
        assert!((r.mad - 0.005_974_3).abs() < 1e-6, "{}", r.mad);
        assert_eq!(r.df, 89);
        assert_eq!(r.conformity, Conformity::Nonconformity);
    }

    #[test]
    fn chi_square_p_value_matches_the_table() {
        // chi-square critical values (any statistics table): df 8 at 0.05 = 15.507, df 89 at 0.05 = 112.022
        let c8 = ChiSquared::new(8.0).expect("df");
        assert!((c8.sf(15.507) - 0.05).abs() < 1e-4);
        let c89 = ChiSquared::new(89.0).expect("df");
        assert!((c89.sf(112.022) - 0.05).abs() < 1e-4);
        // observed exactly in proportion: statistic 0, p-value 1, Z 0
        let obs: Vec<u64> = (1..=9)
            .map(|d| (DigitTest::First.expected(d) * 1e9).round() as u64)
            .collect();
        let r = DigitResult::of(DigitTest::First, &obs);
        assert!(r.chi2 < 1e-3 && r.p_value > 0.999 && r.mad < 1e-9);
        assert!(r.z.iter().all(|z| z.abs() < 1e-3));
        assert_eq!(r.conformity, Conformity::Close);
    }

    #[test]
    fn z_uses_the_continuity_correction() {
        // first digit 1 observed 40 times of 100: |0.40 - 0.30103| - 1/200 over sqrt(p (1 - p) / 100)
        let mut obs = vec![0u64; 9];
        obs[0] = 40;
        obs[1] = 60;
        let r = DigitResult::of(DigitTest::First, &obs);
        let p = 2f64.log10();
        let want = ((0.40 - p).abs() - 0.005) / (p * (1.0 - p) / 100.0).sqrt();
        assert!((r.z[0] - want).abs() < 1e-12);
        assert_eq!(r.spikes(1, 1.96)[0].0, 2);
    }

    proptest! {
        #[test]
        fn statistics_are_well_formed(obs in proptest::collection::vec(0u64..500, 90)) {
            let r = DigitResult::of(DigitTest::FirstTwo, &obs);
            prop_assert!(r.mad >= 0.0 && r.mad <= 2.0 / 90.0 + 1e-12);
            prop_assert!(r.chi2 >= 0.0);
            prop_assert!((0.0..=1.0).contains(&r.p_value));
            prop_assert!(r.z.iter().all(|z| *z >= 0.0 && z.is_finite()));
            // MAD is scale-free: doubling every count leaves it unchanged, and doubles the chi-square
            let twice: Vec<u64> = obs.iter().map(|x| x * 2).collect();
            let r2 = DigitResult::of(DigitTest::FirstTwo, &twice);
            prop_assert!((r.mad - r2.mad).abs() < 1e-12);
            prop_assert!((2.0 * r.chi2 - r2.chi2).abs() < 1e-6 * (1.0 + r.chi2));
        }

        #[test]
        fn counts_merge_like_one_pass(a in proptest::collection::vec(1i64..10_000_000, 0..200), b in proptest::collection::vec(1i64..10_000_000, 0..200)) {
            let mut x = DigitCounts::default();
            let mut y = DigitCounts::default();
            let mut all = DigitCounts::default();
            for v in &a { x.add(*v, v % 7 == 0); all.add(*v, v % 7 == 0); }
            for v in &b { y.add(*v, v % 7 == 0); all.add(*v, v % 7 == 0); }
            x.merge(&y);
            prop_assert_eq!(x, all);
        }

        #[test]
        fn first_two_digits_are_the_leading_digits(v in 10u64..u64::MAX / 10) {
            let s = v.to_string();
            prop_assert_eq!(first_two(v).1, s[..2].parse::<u32>().expect("digits"));
        }
    }
}
