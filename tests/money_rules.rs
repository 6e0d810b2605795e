//! The amount and digit families (AMT, DIG): exact findings on a hand-built ledger (with quantity and officer
//! columns), nothing on clean noise (rule-round amounts, spouses sharing a card, legitimate repeats), recall
//! and precision on generated ledgers, and the `digits` table.

mod common;

use common::{bin, dup_rows, f, findings, row, scan_folder, Col, Ledger, Row, Summary};
use std::path::Path;
use subsidy_audit::{scan, ScanOptions};

/// txn, scheme, period, date, region, payee, account, amount, quantity, officer, household
type R = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// The ledger of `(name, row)` pairs: the base columns, `quantity`, `officer_id` and `household_id`, in row
/// groups of 4 (an empty quantity, officer or household is a null).
fn ledger(rows: &[(String, R)]) -> Ledger {
    let rows: Vec<Row> = rows
        .iter()
        .map(|(name, r)| {
            row(r.0, r.1, r.2, r.3, r.4, r.5, name, r.6, r.7)
                .quantity(r.8)
                .officer(r.9)
                .household(r.10)
        })
        .collect();
    Ledger::new(&rows)
        .without(&[Col::Status, Col::Household])
        .with(&[Col::Quantity, Col::Officer, Col::Household])
        .row_group_size(4)
}

const SCHEMES: &str = r#"
[schemes.FARMLAND]
frequency = "yearly"
rate = 118.00
max_amount = 12000.00
approval_threshold = 5000.00

[schemes.DIBAO]
frequency = "monthly"
rate = 420.00
approval_threshold = 2000.00

[schemes.ELDERLY]
frequency = "monthly"
bands = [{ min_age = 80, max_age = 89, amount = 100.00 }, { min_age = 90, amount = 200.00 }]

[schemes.TEKUN]
frequency = "quarterly"
amount = 1800.00
max_amount = 1800.00
"#;

const V: &str = "520102003004";
// ids with birth dates: 1940-03-05 (84 in 2024), 1934-07-01 (90 from July 2024)
const OLD84: &str = "520102194003050011";
const OLD90: &str = "520102193407010022";

fn rows() -> Vec<(String, R)> {
    let mut v: Vec<R> = vec![
        // clean: rate x quantity to the fen; a round rate x quantity (DIBAO 420 x 5); fixed and band amounts
        (
            "C01",
            "FARMLAND",
            "2024",
            "2024-04-12",
            V,
            "P01",
            "A01",
            "1457.30",
            "12.35",
            "OF1",
            "H01",
        ),
        (
            "C02",
            "DIBAO",
            "2024-01",
            "2024-01-15",
            V,
            "P02",
            "A02",
            "2100.00",
            "5",
            "OF1",
            "H02",
        ),
        (
            "C03",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            V,
            OLD84,
            "A03",
            "100.00",
            "",
            "OF1",
            "H03",
        ),
        (
            "C04",
            "ELDERLY",
            "2024-06",
            "2024-06-15",
            V,
            OLD90,
            "A04",
            "100.00",
            "",
            "OF1",
            "H04",
        ),
        // turned 90 on 2024-07-01: the band changes
        (
            "C05",
            "ELDERLY",
            "2024-07",
            "2024-07-15",
            V,
            OLD90,
            "A04",
            "200.00",
            "",
            "OF1",
            "H04",
        ),
        (
            "C06",
            "TEKUN",
            "2024-Q1",
            "2024-02-10",
            V,
            "P06",
            "A06",
            "1800.00",
            "",
            "OF1",
            "H06",
        ),
        // spouses sharing a card, each paid their own due in the split band on the same day: not a split
        (
            "C07",
            "FARMLAND",
            "2024",
            "2024-04-12",
            V,
            "P07",
            "A07",
            "4130.00",
            "35",
            "OF1",
            "H07",
        ),
        (
            "C08",
            "FARMLAND",
            "2024",
            "2024-04-12",
            V,
            "P08",
            "A07",
            "4248.00",
            "36",
            "OF1",
            "H07",
        ),
        // skim: 30.00 mu due 3,540.00, paid 3,000.37
        (
            "S01",
            "FARMLAND",
            "2024",
            "2024-04-12",
            V,
            "P10",
            "A10",
            "3000.37",
            "30",
            "OF1",
            "H10",
        ),
        // inflation on a band: 84 years old, due 100.00, paid 150.00
        (
            "I01",
            "ELDERLY",
            "2024-02",
            "2024-02-15",
            V,
            OLD84,
            "A03",
            "150.00",
            "",
            "OF1",
            "H03",
        ),
        // over the ceiling: two TEKUN payments in one quarter, 3,600.00 against 1,800.00
        (
            "X01",
            "TEKUN",
            "2024-Q2",
            "2024-05-10",
            V,
            "P11",
            "A11",
            "1800.00",
            "",
            "OF1",
            "H11",
        ),
        (
            "X02",
            "TEKUN",
            "2024-Q2",
            "2024-05-20",
            V,
            "P11",
            "A11",
            "1800.00",
            "",
            "OF1",
            "H11",
        ),
        // split: one payee, one card, two parts under 5,000.00 the same day (each the due of its quantity)
        (
            "D01",
            "FARMLAND",
            "2024",
            "2024-04-13",
            V,
            "P12",
            "A12",
            "4602.00",
            "39",
            "OF1",
            "H12",
        ),
        (
            "D02",
            "FARMLAND",
            "2024",
            "2024-04-13",
            V,
            "P12",
            "A12",
            "4484.00",
            "38",
            "OF1",
            "H12",
        ),
        // not judged: no quantity for a rate, no birth date for a band
        (
            "N01",
            "FARMLAND",
            "2024",
            "2024-04-12",
            V,
            "P13",
            "A13",
            "999.99",
            "",
            "OF1",
            "H13",
        ),
        (
            "N02",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            V,
            "BADID",
            "A14",
            "300.00",
            "",
            "OF1",
            "H14",
        ),
    ];
    // round sums: officer OF9 in village 520102003005 pays 6 of 8 FARMLAND payees round sums; 40 payees of
    // officer OF1 elsewhere are paid to the fen
    let round: &[(&str, &str, &str)] = &[
        ("R01", "RP1", "1200.00"),
        ("R02", "RP2", "1500.00"),
        ("R03", "RP3", "2000.00"),
        ("R04", "RP4", "800.00"),
        ("R05", "RP5", "2500.00"),
        ("R06", "RP6", "1100.00"),
        ("R07", "RP7", "1463.20"),
        ("R08", "RP8", "1227.20"),
    ];
    let quantities = ["10.5", "12.9", "17.1", "6.9", "21.3", "9.2", "12.4", "10.4"];
    let mut out: Vec<(String, R)> = v.drain(..).map(|r| ("名".to_string(), r)).collect();
    for (k, (t, p, a)) in round.iter().enumerate() {
        out.push((
            "圆".into(),
            (
                t,
                "FARMLAND",
                "2024",
                "2024-04-20",
                "520102003005",
                p,
                p,
                a,
                quantities[k],
                "OF9",
                p,
            ),
        ));
    }
    out
}

fn clean_many() -> Vec<(String, R)> {
    // 40 FARMLAND payees of OF1 paid to the fen (q = 1.01 .. 1.40 mu: 119.18 ..)
    let mut out = Vec::new();
    for k in 0..40u32 {
        let q = 101 + k;
        let fen = (i64::from(q) * 118 * 100 + 50) / 100;
        let id: &'static str = Box::leak(format!("Q{k:02}").into_boxed_str());
        let txn: &'static str = Box::leak(format!("K{k:02}").into_boxed_str());
        let amt: &'static str =
            Box::leak(format!("{}.{:02}", fen / 100, fen % 100).into_boxed_str());
        let qty: &'static str = Box::leak(format!("{}.{:02}", q / 100, q % 100).into_boxed_str());
        out.push((
            "净".to_string(),
            (
                txn,
                "FARMLAND",
                "2024",
                "2024-04-12",
                "520102003006",
                id,
                id,
                amt,
                qty,
                "OF1",
                id,
            ),
        ));
    }
    out
}

fn setup() -> tempfile::TempDir {
    let mut all = rows();
    all.extend(clean_many());
    scan_folder(&ledger(&all), SCHEMES).0
}

fn run(dir: &Path, select: &[&str], threads: usize, batch: usize) -> subsidy_audit::Outcome {
    let opts = ScanOptions {
        inputs: vec![dir.join("ledger.parquet")],
        config: Some(dir.join("schemes.toml")),
        threads: Some(threads),
        batch_size: Some(batch),
        select: select.iter().map(ToString::to_string).collect(),
        ..ScanOptions::default()
    };
    scan(&opts, &|_, _| {}).expect("scan")
}

#[test]
fn entitlement_finds_skim_inflation_and_ceiling() {
    let d = setup();
    let o = run(d.path(), &["AMT001"], 2, 8192);
    let got = findings(&o);
    // the round sums are off their due too (R07 and R08 are exact)
    let want_round: Vec<Summary> = vec![
        f("AMT001", "RP1", &["R01"], 123_900 - 120_000),
        f("AMT001", "RP2", &["R02"], 152_220 - 150_000),
        f("AMT001", "RP3", &["R03"], 201_780 - 200_000),
        f("AMT001", "RP4", &["R04"], 81_420 - 80_000),
        f("AMT001", "RP5", &["R05"], 251_340 - 250_000),
        f("AMT001", "RP6", &["R06"], 110_000 - 108_560),
    ];
    let mut want = vec![
        f("AMT001", OLD84, &["I01"], 5_000),
        f("AMT001", "P10", &["S01"], 354_000 - 300_037),
        f("AMT001", "P11", &["X01", "X02"], 180_000),
    ];
    want.extend(want_round);
    want.sort();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(got_sorted, want, "{:#?}", o.findings);
    let skim = o
        .findings
        .iter()
        .find(|x| x.subject == "P10")
        .expect("skim");
    assert!(
        skim.explanation.contains("paid 3000.37 due 3540.00"),
        "{}",
        skim.explanation
    );
}

#[test]
fn split_payment_finds_the_parts_not_the_spouses() {
    let d = setup();
    let o = run(d.path(), &["AMT002"], 2, 8192);
    assert_eq!(
        findings(&o),
        vec![f("AMT002", "A12", &["D01", "D02"], 448_400)]
    );
}

#[test]
fn round_sum_finds_the_officer() {
    let d = setup();
    let o = run(d.path(), &["AMT003"], 2, 8192);
    assert_eq!(
        findings(&o),
        vec![f(
            "AMT003",
            "OF9",
            &["R01", "R02", "R03", "R04", "R05", "R06"],
            3_900 + 2_220 + 1_780 + 1_420 + 1_340 + 1_440
        )]
    );
    assert!(o.findings[0]
        .explanation
        .contains("to 6 of 8 distinct payees"));
    // without officers the village is flagged instead
    let mut all = rows();
    all.extend(clean_many());
    for (_, r) in &mut all {
        r.9 = "";
    }
    ledger(&all).write(&d.path().join("ledger.parquet"));
    let o = run(d.path(), &["AMT003"], 1, 7);
    assert_eq!(o.findings.len(), 1, "{:#?}", o.findings);
    assert_eq!(o.findings[0].subject, "520102003005");
}

#[test]
fn same_findings_whatever_the_threads_and_batches() {
    let d = setup();
    let base = findings(&run(d.path(), &["AMT", "DIG"], 1, 8192));
    for (threads, batch) in [(4, 3), (2, 1), (8, 7)] {
        assert_eq!(
            findings(&run(d.path(), &["AMT", "DIG"], threads, batch)),
            base
        );
    }
    // and with a 1-byte memory limit: every row group spilled, finished partition by partition
    let opts = ScanOptions {
        inputs: vec![d.path().join("ledger.parquet")],
        config: Some(d.path().join("schemes.toml")),
        threads: Some(2),
        batch_size: Some(5),
        select: vec!["AMT".into(), "DIG".into()],
        memory_limit: Some(1),
        ..ScanOptions::default()
    };
    let o = scan(&opts, &|_, _| {}).expect("scan");
    assert!(o.summary.timing.spill_files > 0);
    for code in ["AMT001", "AMT002", "AMT003"] {
        assert!(base.iter().any(|f| f.0 == code), "{code}: {base:?}");
    }
    assert_eq!(findings(&o), base);
}

fn generated(rate: f64) -> (tempfile::TempDir, subsidy_audit::Outcome) {
    let dir = tempfile::tempdir().expect("tmp");
    let opts = subsidy_audit::generate::GenerateOptions {
        rows: 20_000,
        out: dir.path().join("g"),
        seed: 11,
        anomaly_rate: rate,
        row_group_rows: 4096,
        ..Default::default()
    };
    subsidy_audit::generate::generate(&opts).expect("generate");
    let o = scan(
        &ScanOptions {
            inputs: vec![dir.path().join("g")],
            select: vec!["AMT".into(), "DIG".into()],
            threads: Some(2),
            ..ScanOptions::default()
        },
        &|_, _| {},
    )
    .expect("scan");
    (dir, o)
}

#[test]
fn nothing_on_a_clean_generated_ledger() {
    let (_d, o) = generated(0.0);
    assert!(
        o.findings.is_empty(),
        "{:#?}",
        &o.findings[..o.findings.len().min(3)]
    );
}

#[test]
fn recall_and_precision_on_a_generated_ledger() {
    let (d, o) = generated(0.05);
    let out = d.path().join("out");
    subsidy_audit::report::write_all(&out, &o).expect("write");
    let e = subsidy_audit::evaluate::evaluate(
        &d.path().join("g").join("truth.parquet"),
        &out.join("findings.parquet"),
    )
    .expect("evaluate");
    for kind in ["skim", "inflation", "split", "round_sum"] {
        let k = e.kinds.iter().find(|k| k.kind == kind).expect("kind");
        assert!(k.planted_payments > 0, "{kind} planted");
        assert_eq!(k.recall_payment, Some(1.0), "{kind}: {k:?}");
        assert_eq!(k.recall_subject, Some(1.0), "{kind}: {k:?}");
    }
    for r in &e.rules {
        // every payment the money rules cite is a planted one (of some kind)
        assert_eq!(r.precision_payment, Some(1.0), "{r:?}");
    }
}

/// 1,000 log-uniform amounts (Benford's law) in township 520102003 by officer OB1, and in township 520102004
/// by officer OB2 the same but every second one replaced by a made-up 48xx or 49xx yuan amount.
fn digit_rows() -> Vec<(String, R)> {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut out = Vec::new();
    for (town, officer) in [("520102003001", "OB1"), ("520102004001", "OB2")] {
        for k in 0..1000u32 {
            let u = 2.0 + 3.0 * (f64::from(k) + 0.5) / 1000.0;
            let mut fen = (10f64.powf(u) * 100.0).round() as i64;
            if officer == "OB2" && k % 2 == 0 {
                fen = 480_000 + i64::from(k) * 37 % 20_000;
            }
            out.push((
                "数".to_string(),
                (
                    leak(format!("{officer}-{k}")),
                    "OTHER",
                    "2024",
                    "2024-03-01",
                    town,
                    leak(format!("{officer}P{k}")),
                    leak(format!("{officer}A{k}")),
                    leak(format!("{}.{:02}", fen / 100, fen % 100)),
                    "",
                    officer,
                    "",
                ),
            ));
        }
    }
    out
}

#[test]
fn digit_nonconformity_flags_the_made_up_unit_only() {
    let (d, ..) = scan_folder(&ledger(&digit_rows()), SCHEMES);
    let o = run(d.path(), &["DIG001"], 2, 8192);
    // the same findings when every row group's units are spilled and finished partition by partition
    let spilled = scan(
        &ScanOptions {
            inputs: vec![d.path().join("ledger.parquet")],
            config: Some(d.path().join("schemes.toml")),
            threads: Some(2),
            select: vec!["DIG001".into()],
            memory_limit: Some(1),
            ..ScanOptions::default()
        },
        &|_, _| {},
    )
    .expect("scan");
    assert!(spilled.summary.timing.spill_files > 0);
    assert_eq!(findings(&spilled), findings(&o));
    let subjects: Vec<(&str, &str)> = o
        .findings
        .iter()
        .map(|f| (f.subject_kind.as_str(), f.subject.as_str()))
        .collect();
    assert_eq!(
        subjects,
        vec![
            ("officer", "OB2"),
            ("region", "520102"),
            ("region", "520102004")
        ],
        "{:#?}",
        o.findings
    );
    for f in &o.findings {
        assert!(
            f.explanation.contains("48") || f.explanation.contains("49"),
            "{}",
            f.explanation
        );
        assert_eq!(f.amount_fen, 0);
        assert!(!f.txn_ids.is_empty());
    }
    // with the gate raised above the unit sizes nothing is testable
    std::fs::write(
        d.path().join("schemes.toml"),
        format!("{SCHEMES}\n[rules.DIG001]\nmin_amounts = 5000\n"),
    )
    .expect("write");
    assert!(run(d.path(), &["DIG001"], 1, 8192).findings.is_empty());
}

#[test]
fn digits_command_prints_the_whole_table() {
    let d = tempfile::tempdir().expect("tmp");
    ledger(&digit_rows()).write(&d.path().join("ledger.parquet"));
    let out = bin()
        .args(["digits", "--by", "none", "--format", "json"])
        .arg(d.path().join("ledger.parquet"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = v.as_array().expect("array");
    let tests: Vec<&str> = rows.iter().filter_map(|r| r["test"].as_str()).collect();
    assert_eq!(tests, vec!["first", "second", "first_two", "last_two"]);
    for r in rows {
        assert_eq!(r["unit"], "all");
        assert_eq!(r["n"], 2000);
        for k in ["mad", "chi2", "p_value", "conformity"] {
            assert!(!r[k].is_null(), "{k}");
        }
    }
    let out = bin()
        .args(["digits", "--by", "township"])
        .arg(d.path().join("ledger.parquet"))
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("520102003") && text.contains("520102004"),
        "{text}"
    );
    assert!(text.contains("nonconformity"), "{text}");
    // a grouping column the ledger lacks is a usage error (exit 2)
    let tmp = tempfile::tempdir().expect("tmp");
    Ledger::new(&dup_rows())
        .row_group_size(10)
        .write(&tmp.path().join("l.parquet"));
    let out = bin()
        .args(["digits", "--by", "officer"])
        .arg(tmp.path().join("l.parquet"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("officer_id"));
}
