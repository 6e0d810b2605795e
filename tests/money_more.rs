//! AMT004 (officer account concentration) and DIG002-DIG004 (repeated amounts, relative size factor, last two
//! digits): exact findings on hand-built ledgers, nothing on the legitimate look-alikes next to them.

mod common;

use common::{row, scan_folder, Col, Ledger, Row};
use subsidy_audit::{scan, ScanOptions};

/// A row of these ledgers: the payee id is the name too; an empty quantity or officer is a null.
#[allow(clippy::too_many_arguments)]
fn r(
    txn: impl Into<String>,
    scheme: &str,
    period: &str,
    date: &str,
    region: &str,
    payee: impl Into<String>,
    account: impl Into<String>,
    amount: impl Into<String>,
    quantity: &str,
    officer: &str,
) -> Row {
    let payee = payee.into();
    row(
        &txn.into(),
        scheme,
        period,
        date,
        region,
        &payee,
        &payee,
        &account.into(),
        &amount.into(),
    )
    .quantity(quantity)
    .officer(officer)
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// The base columns, `quantity` and `officer_id`, in row groups of 4.
fn ledger(rows: &[Row]) -> Ledger {
    Ledger::new(rows)
        .without(&[Col::Status, Col::Household])
        .with(&[Col::Quantity, Col::Officer])
        .row_group_size(4)
}

const SCHEMES: &str = r#"
[schemes.FARMLAND]
frequency = "yearly"
rate = 118.00

[schemes.TEKUN]
frequency = "quarterly"
amount = 1800.00

[schemes.OTHER]
frequency = "monthly"
"#;

fn run_rows(
    rows: &[Row],
    extra: &str,
    select: &[&str],
    threads: usize,
    batch: usize,
) -> subsidy_audit::Outcome {
    run_limited(rows, extra, select, threads, batch, None)
}

/// [`run_rows`] under a memory limit (`Some(1)`: every worker spills after every row group of 4 rows).
fn run_limited(
    rows: &[Row],
    extra: &str,
    select: &[&str],
    threads: usize,
    batch: usize,
    memory_limit: Option<u64>,
) -> subsidy_audit::Outcome {
    let (_dir, ledger, config) = scan_folder(&ledger(rows), &format!("{SCHEMES}\n{extra}"));
    let opts = ScanOptions {
        inputs: vec![ledger],
        config: Some(config),
        threads: Some(threads),
        batch_size: Some(batch),
        memory_limit,
        select: select.iter().map(ToString::to_string).collect(),
        ..ScanOptions::default()
    };
    scan(&opts, &|_, _| {}).expect("scan")
}

type Summary = (String, String, Vec<String>, i64);

fn findings(o: &subsidy_audit::Outcome) -> Vec<Summary> {
    let mut v: Vec<Summary> = o
        .findings
        .iter()
        .map(|f| {
            let mut t = f.txn_ids.clone();
            t.sort();
            (f.rule.to_string(), f.subject.clone(), t, f.amount_fen)
        })
        .collect();
    v.sort();
    v
}

// ------------------------------------------------------------------ AMT004

/// Six ordinary officers of county 520102 (20 payees each, own cards, one couple sharing a card), an officer
/// with a household of three on one card among 60 payees (not concentrated enough), and officer OFX who pays
/// 12 of its 20 payees into card ACCX, monthly for three months.
fn concentration_rows() -> Vec<Row> {
    let mut out = Vec::new();
    let pay = |officer: &str,
               payee: String,
               account: String,
               months: u32,
               tag: &str,
               out: &mut Vec<Row>| {
        for m in 1..=months {
            let txn = format!("{tag}{}-{m}", out.len());
            out.push(r(
                txn,
                "OTHER",
                &format!("2024-{m:02}"),
                &format!("2024-{m:02}-10"),
                "520102003001",
                payee.clone(),
                account.clone(),
                "300.00",
                "",
                officer,
            ));
        }
    };
    for o in 0..6 {
        let off = format!("OF{o}");
        for p in 0..20 {
            let payee = format!("{off}P{p:02}");
            // payees 0 and 1 are a couple on one card
            let acct = if p == 1 {
                format!("{off}A00")
            } else {
                format!("{off}A{p:02}")
            };
            pay(&off, payee, acct, 3, "N", &mut out);
        }
    }
    for p in 0..60 {
        let acct = if p < 3 {
            "HHA".to_string()
        } else {
            format!("OYA{p:02}")
        };
        pay("OFY", format!("OYP{p:02}"), acct, 1, "Y", &mut out);
    }
    for p in 0..20 {
        let acct = if p < 12 {
            "ACCX".to_string()
        } else {
            format!("OXA{p:02}")
        };
        let tag = if p < 12 { "X" } else { "Z" };
        pay("OFX", format!("OXP{p:02}"), acct, 3, tag, &mut out);
    }
    out
}

#[test]
fn officer_concentration_finds_the_officer_and_its_card() {
    let rows = concentration_rows();
    let want_txns: Vec<String> = {
        let mut v: Vec<String> = rows
            .iter()
            .filter(|r| r.account == "ACCX")
            .map(|r| r.txn.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(want_txns.len(), 36);
    // the last run spills its state to disk after every row group and finishes it partition by partition
    for (threads, batch, limit) in [
        (1, 8192, None),
        (2, 7, None),
        (4, 50, None),
        (2, 7, Some(1)),
    ] {
        let o = run_limited(&rows, "", &["AMT004"], threads, batch, limit);
        assert_eq!(limit.is_some(), o.summary.timing.spill_files > 0);
        assert_eq!(
            findings(&o),
            vec![("AMT004".into(), "OFX".into(), want_txns.clone(), 0)],
            "{:#?}",
            o.findings
        );
        let e = &o.findings[0].explanation;
        // 8 own cards + 12 payees on ACCX: (8 + 144) / 20 - 1 = 6.60
        assert!(
            e.contains("concentration 6.60") && e.contains("ACCX (12 payees)"),
            "{e}"
        );
        assert!(e.contains("county officers' median 0.10"), "{e}");
    }
    // a stricter card threshold leaves nothing to cite
    let o = run_rows(
        &rows,
        "[rules.AMT004]\nmin_account_payees = 13\n",
        &["AMT004"],
        2,
        8192,
    );
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
}

// ------------------------------------------------------------------ DIG002

/// Township 520102003 (officer OD): 150 payees paid distinct amounts under OTHER (no rule explains them) and 12
/// payees paid 3,000.00 three times each; township 520102004 (officer OE): 30 payees paid FARMLAND 10 mu
/// (1,180.00, the rate x quantity) and 30 paid the fixed TEKUN 1,800.00, plus 120 distinct OTHER amounts.
fn repeated_rows() -> Vec<Row> {
    let mut out = Vec::new();
    for p in 0..150i64 {
        out.push(r(
            format!("U{p:03}"),
            "OTHER",
            "2024-01",
            "2024-01-10",
            "520102003001",
            format!("UP{p:03}"),
            format!("UA{p:03}"),
            yuan(150_000 + p * 1_737),
            "",
            "OD",
        ));
    }
    for p in 0..12 {
        for m in 1..=3 {
            out.push(r(
                format!("R{p:03}-{m}"),
                "OTHER",
                &format!("2024-{m:02}"),
                &format!("2024-{m:02}-10"),
                "520102003002",
                format!("RP{p:03}"),
                format!("RA{p:03}"),
                "3000.00",
                "",
                "OD",
            ));
        }
    }
    for p in 0..30 {
        out.push(r(
            format!("F{p:03}"),
            "FARMLAND",
            "2024",
            "2024-04-10",
            "520102004001",
            format!("FP{p:03}"),
            format!("FA{p:03}"),
            "1180.00",
            "10",
            "OE",
        ));
        out.push(r(
            format!("T{p:03}"),
            "TEKUN",
            "2024-Q1",
            "2024-02-10",
            "520102004001",
            format!("TP{p:03}"),
            format!("TA{p:03}"),
            "1800.00",
            "",
            "OE",
        ));
    }
    for p in 0..120i64 {
        out.push(r(
            format!("V{p:03}"),
            "OTHER",
            "2024-01",
            "2024-01-10",
            "520102004001",
            format!("VP{p:03}"),
            format!("VA{p:03}"),
            yuan(250_011 + p * 2_913),
            "",
            "OE",
        ));
    }
    out
}

#[test]
fn repeated_amount_flags_the_typed_amount_not_the_rule_amounts() {
    let rows = repeated_rows();
    let txns: Vec<String> = {
        let mut v: Vec<String> = rows
            .iter()
            .filter(|r| r.txn.starts_with('R'))
            .map(|r| r.txn.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(txns.len(), 36);
    let want: Vec<Summary> = ["520102", "520102003", "OD"]
        .iter()
        .map(|s| ("DIG002".to_string(), s.to_string(), txns.clone(), 0))
        .collect();
    for (threads, batch, limit) in [(1, 8192, None), (2, 9, None), (2, 9, Some(1))] {
        let o = run_limited(&rows, "", &["DIG002"], threads, batch, limit);
        assert_eq!(findings(&o), want, "{:#?}", o.findings);
        let town = o
            .findings
            .iter()
            .find(|f| f.subject == "520102003")
            .expect("township");
        assert!(
            town.explanation
                .contains("the amount 3000.00 was paid to 12 distinct payees in 36 payments")
                && town.explanation.contains("other 150 amounts"),
            "{}",
            town.explanation
        );
    }
    // evidence capped: the first rows in file order, the count still in the explanation
    let o = run_rows(
        &rows,
        "[rules.DIG002]\nby_county = false\nby_officer = false\nmax_evidence = 10\n",
        &["DIG002"],
        2,
        8192,
    );
    assert_eq!(o.findings.len(), 1, "{:#?}", o.findings);
    let mut got = o.findings[0].txn_ids.clone();
    got.sort();
    assert_eq!(got, txns[..10].to_vec());
    assert!(
        o.findings[0]
            .explanation
            .contains("in 36 payments (the first 10 cited)"),
        "{}",
        o.findings[0].explanation
    );
    // 12 payees is below a raised threshold
    let o = run_rows(
        &rows,
        "[rules.DIG002]\nmin_payees = 13\n",
        &["DIG002"],
        2,
        8192,
    );
    assert!(o.findings.is_empty());
}

// ------------------------------------------------------------------ DIG003

#[test]
fn relative_size_factor_flags_the_outlier_payment() {
    let mut rows = Vec::new();
    let mut add = |txn: &str, payee: &str, scheme: &str, amount: &str, qty: &str, m: u32| {
        rows.push(r(
            txn,
            scheme,
            &format!("2024-{m:02}"),
            &format!("2024-{m:02}-15"),
            "520102003001",
            payee,
            format!("A-{payee}"),
            amount,
            qty,
            "OF1",
        ));
    };
    // P1: 420.00, 430.00, then 42,000.00 once: factor 97.7
    add("B1", "P1", "OTHER", "420.00", "", 1);
    add("B2", "P1", "OTHER", "430.00", "", 2);
    add("B3", "P1", "OTHER", "42000.00", "", 3);
    // the same payee's other scheme is its own series
    add("B4", "P1", "FARMLAND", "118.00", "1", 4);
    // P2: largest below 1,000 yuan
    add("C1", "P2", "OTHER", "50.00", "", 1);
    add("C2", "P2", "OTHER", "900.00", "", 2);
    // P3: a land area that grew, paid as the rules say (rate x quantity): explained
    add("D1", "P3", "FARMLAND", "118.00", "1", 1);
    add("D2", "P3", "FARMLAND", "11800.00", "100", 2);
    // P4: paid once
    add("E1", "P4", "OTHER", "50000.00", "", 1);
    // P5: factor 9.5 (below 10)
    add("G1", "P5", "OTHER", "2000.00", "", 1);
    add("G2", "P5", "OTHER", "19000.00", "", 2);
    for (threads, batch, limit) in [(1, 8192, None), (2, 2, None), (3, 1, None), (2, 2, Some(1))] {
        let o = run_limited(&rows, "", &["DIG003"], threads, batch, limit);
        assert_eq!(limit.is_some(), o.summary.timing.spill_files > 0);
        assert_eq!(
            findings(&o),
            vec![(
                "DIG003".into(),
                "P1".into(),
                vec!["B3".into()],
                4_200_000 - 43_000
            )],
            "{:#?}",
            o.findings
        );
        let e = &o.findings[0].explanation;
        assert!(
            e.contains("next largest payment of the scheme is 430.00 yuan")
                && e.contains("factor 97.7"),
            "{e}"
        );
    }
    let o = run_rows(
        &rows,
        "[rules.DIG003]\nmin_factor = 9.0\n",
        &["DIG003"],
        2,
        8192,
    );
    let subjects: Vec<String> = findings(&o).into_iter().map(|f| f.1).collect();
    assert_eq!(subjects, vec!["P1".to_string(), "P5".to_string()]);
}

// ------------------------------------------------------------------ DIG004

/// 1,000 log-uniform amounts (100 to 100,000 yuan) by officer OB1 in township 520102003, the same by OB2 in
/// township 520102004 but every second one rounded to whole hundreds of yuan, and 600 FARMLAND payments (rate
/// x quantity, explained by the rules) by OB3 in township 520102005.
fn last_two_rows() -> Vec<Row> {
    let mut out = Vec::new();
    for (town, officer) in [("520102003001", "OB1"), ("520102004001", "OB2")] {
        for k in 0..1000u32 {
            let u = 2.0 + 3.0 * (f64::from(k) + 0.5) / 1000.0;
            let mut fen = (10f64.powf(u) * 100.0).round() as i64;
            if officer == "OB2" && k % 2 == 0 {
                fen = (fen / 10_000).max(1) * 10_000;
            }
            out.push(r(
                format!("{officer}-{k:04}"),
                "OTHER",
                "2024-01",
                "2024-01-10",
                town,
                format!("{officer}P{k:04}"),
                format!("{officer}A{k:04}"),
                yuan(fen),
                "",
                officer,
            ));
        }
    }
    for k in 0..600i64 {
        let q = 1 + k % 90;
        out.push(r(
            format!("OB3-{k:04}"),
            "FARMLAND",
            "2024",
            "2024-04-10",
            "520102005001",
            format!("OB3P{k:04}"),
            format!("OB3A{k:04}"),
            yuan(q * 11_800),
            &q.to_string(),
            "OB3",
        ));
    }
    out
}

#[test]
fn last_two_digits_flags_the_rounding_unit_only() {
    let rows = last_two_rows();
    let o = run_rows(&rows, "", &["DIG004"], 2, 8192);
    // the same findings when every row group's units are spilled and finished partition by partition
    let spilled = run_limited(&rows, "", &["DIG004"], 2, 8192, Some(1));
    assert!(spilled.summary.timing.spill_files > 0);
    assert_eq!(findings(&spilled), findings(&o));
    let subjects: Vec<(String, String)> = findings(&o).into_iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(
        subjects,
        vec![
            ("DIG004".to_string(), "520102".to_string()),
            ("DIG004".to_string(), "520102004".to_string()),
            ("DIG004".to_string(), "OB2".to_string()),
        ],
        "{:#?}",
        o.findings
    );
    for f in &o.findings {
        assert!(
            f.explanation.contains("endings in excess: 00 (Z"),
            "{}",
            f.explanation
        );
        assert_eq!(f.amount_fen, 0);
    }
    // the OB2 finding cites, first among its samples, OB2's lowest row ending in 00 yuan: k = 0 (100.00)
    let ob2 = o.findings.iter().find(|f| f.subject == "OB2").expect("OB2");
    assert!(
        ob2.txn_ids.contains(&"OB2-0000".to_string()),
        "{:?}",
        ob2.txn_ids
    );
    assert_eq!(
        findings(&run_rows(&rows, "", &["DIG004"], 1, 13)),
        findings(&o)
    );
    // the gate: above the unit sizes nothing is testable
    let o = run_rows(
        &rows,
        "[rules.DIG004]\nmin_amounts = 5000\n",
        &["DIG004"],
        2,
        8192,
    );
    assert!(o.findings.is_empty());
}
