//! The digit statistics against a published reference (issue 5).
//!
//! Source: the R package benford.analysis (Carlos Cinelli), version 0.1.5, its pkgdown reference pages in the
//! GitHub repository carloscinelli/benford.analysis:
//!
//! - `docs/reference/getBfd.html` (commit 49f2de7f81209f9fbd51f4699d69320906798f56), the example
//!   `cp <- benford(corporate.payment$Amount); getBfd(cp)`: the table of the first-two-digits test of the
//!   corporate payments data of Nigrini (2012) (189,470 payments of a West Coast utility company, 2010), with,
//!   per digit 10..99, `data.dist`, `data.dist.freq` (the observed counts), `squared.diff` (the chi-square
//!   term), `absolute.diff` (|observed - expected| in counts) and `z.statistic`. Copied verbatim into
//!   `tests/data/benford/corporate_payment_first_two.csv` (90 rows).
//! - `docs/reference/benford.html` (commit 416f4de97156b045f37d2b0f92605cfa083bc89b; the same figures are in
//!   the repository's README.md, commit 0274d01ef76314d029818a825941ecd288c38df3), the printout of the same
//!   object: "Number of observations used = 185083", "X-squared = 32094, df = 89, p-value < 2.2e-16",
//!   "Mean Absolute Deviation (MAD): 0.002336614", "MAD Conformity - Nigrini (2012): Nonconformity".
//!
//! The payments themselves are in the package only as an `.rda` binary, so this is a counts reference: the
//! published observed counts go into `DigitResult::of` and every published statistic must come out. Conventions
//! (read from `R/internal.functions.R` of the package): the MAD is the mean of |observed - expected| over the
//! 90 proportions, the chi-square is sum (O - E)^2 / E over counts with 89 degrees of freedom, and
//! `z = (|p_o - p_e| - 1/(2n)) / sqrt(p_e (1 - p_e) / n)`. benford.analysis always subtracts the continuity
//! correction, we only when it is smaller than the difference (Nigrini); here every |O - E| is at least 12.4,
//! far above 1/2, so the two agree. Which amounts are counted does not matter for a counts reference (this
//! version of the package counts every positive amount, 185,083 of the 189,470, including those below 10: our
//! ledger rule of leaving out amounts below 10.00 yuan applies before counting).
//!
//! Precision: each figure is asserted to the decimals it is published with (MAD 9 decimals, z 7 decimals,
//! absolute difference 5 decimals, squared difference 7 significant digits, X-squared as a whole number).

use subsidy_audit::stats::digits::{Conformity, DigitCounts, DigitResult, DigitTest};

/// One row of the published `getBfd(cp)` table.
struct Row {
    digits: u32,
    data_dist: f64,
    freq: u64,
    squared_diff: f64,
    absolute_diff: f64,
    z: f64,
}

fn published() -> Vec<Row> {
    let text = include_str!("data/benford/corporate_payment_first_two.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("digits,data.dist,data.dist.freq,squared.diff,absolute.diff,z.statistic")
    );
    let rows: Vec<Row> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 6, "{l}");
            let num = |i: usize| f[i].parse::<f64>().expect("number");
            Row {
                digits: f[0].parse().expect("digits"),
                data_dist: num(1),
                freq: f[2].parse().expect("count"),
                squared_diff: num(3),
                absolute_diff: num(4),
                z: num(5),
            }
        })
        .collect();
    assert_eq!(
        rows.iter().map(|r| r.digits).collect::<Vec<_>>(),
        (10..=99).collect::<Vec<_>>()
    );
    rows
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, published {want} (tolerance {tol})"
    );
}

#[test]
fn corporate_payments_first_two_digits_match_benford_analysis() {
    let rows = published();
    let counts: Vec<u64> = rows.iter().map(|r| r.freq).collect();
    let r = DigitResult::of(DigitTest::FirstTwo, &counts);

    // "Number of observations used = 185083"
    assert_eq!(r.n, 185_083);
    let n = r.n as f64;

    for (i, row) in rows.iter().enumerate() {
        let d = row.digits;
        // the published proportions are the counts over n (checks the transcription, 9 decimals)
        close(
            &format!("data.dist {d}"),
            row.freq as f64 / n,
            row.data_dist,
            5e-10 + 1e-15,
        );
        // |observed - expected| in counts, 5 decimals: checks the Benford expectation of each digit pair
        let e = DigitTest::FirstTwo.expected(d) * n;
        close(
            &format!("absolute.diff {d}"),
            (row.freq as f64 - e).abs(),
            row.absolute_diff,
            5e-6 + 1e-9,
        );
        // Z statistic with the continuity correction, 7 decimals
        close(&format!("z {d}"), r.z[i], row.z, 5e-8 + 1e-12);
    }

    // "Mean Absolute Deviation (MAD): 0.002336614"
    close("MAD", r.mad, 0.002_336_614, 5e-10 + 1e-15);
    // "MAD Conformity - Nigrini (2012): Nonconformity"
    assert_eq!(r.conformity, Conformity::Nonconformity);

    // "X-squared = 32094, df = 89": the statistic to the printed whole number, and to the sum of the printed
    // per-digit terms (each to 7 significant digits, so within half a unit of the 7th digit of each)
    assert_eq!(r.df, 89);
    assert_eq!(r.chi2.round() as i64, 32_094, "{}", r.chi2);
    let terms: f64 = rows.iter().map(|r| r.squared_diff).sum();
    let slack: f64 = rows.iter().map(|r| r.squared_diff.abs() * 5e-7).sum();
    close("X-squared (sum of terms)", r.chi2, terms, slack);
    // "p-value < 2.2e-16"
    assert!(r.p_value < 2.2e-16, "{}", r.p_value);

    // "The 5 largest deviations": digits 50, 11, 10, 14, 98 (absolute.diff 5938.25, 3331.98, 2811.92,
    // 1043.68, 889.95)
    let mut dev: Vec<(u32, f64)> = rows
        .iter()
        .map(|row| {
            let e = DigitTest::FirstTwo.expected(row.digits) * n;
            (row.digits, (row.freq as f64 - e).abs())
        })
        .collect();
    dev.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top: Vec<(u32, String)> = dev[..5]
        .iter()
        .map(|(d, a)| (*d, format!("{a:.2}")))
        .collect();
    assert_eq!(
        top,
        [
            (50, "5938.25"),
            (11, "3331.98"),
            (10, "2811.92"),
            (14, "1043.68"),
            (98, "889.95")
        ]
        .map(|(d, s)| (d, s.to_string()))
    );
}

/// The same figures through the per-unit counts the rules use: amounts in fen whose first two digits are the
/// published ones (d yuan and some fen, all at least 10.00 yuan so none is left out) give the same test.
#[test]
fn corporate_payments_through_digit_counts() {
    let rows = published();
    let mut c = DigitCounts::default();
    for row in &rows {
        for k in 0..row.freq {
            let fen = i64::from(row.digits) * 100 + (k % 100) as i64;
            c.add(fen, false);
        }
    }
    assert_eq!(c.tested(), 185_083);
    let r = c.test(DigitTest::FirstTwo);
    close("MAD", r.mad, 0.002_336_614, 5e-10 + 1e-15);
    assert_eq!(r.chi2.round() as i64, 32_094);
    assert!(r.p_value < 2.2e-16);
    for (i, row) in rows.iter().enumerate() {
        close(&format!("z {}", row.digits), r.z[i], row.z, 5e-8 + 1e-12);
    }
}
