//! The duplicate family on a hand-built ledger: exact findings (rule, subject, evidence, money), nothing on
//! the clean noise, and the same output with 1 thread and many, with batch sizes 8192 and 7.

mod common;

use common::{dup_folder, dup_rows, f, findings, write_batch, Ledger, SCHEMES};
use subsidy_audit::{scan, ScanOptions};

fn run(
    dir: &std::path::Path,
    threads: usize,
    batch: usize,
    select: &[&str],
) -> subsidy_audit::Outcome {
    let opts = ScanOptions {
        inputs: vec![dir.join("ledger.parquet")],
        config: Some(dir.join("schemes.toml")),
        threads: Some(threads),
        batch_size: Some(batch),
        // the fixture's ids and accounts are placeholders (`P01`, `A01`) that GHO001/GHO005 would flag
        select: if select.is_empty() {
            vec!["DUP".to_string()]
        } else {
            select.iter().map(ToString::to_string).collect()
        },
        ..ScanOptions::default()
    };
    scan(&opts, &|_, _| {}).expect("scan")
}

#[test]
fn duplicate_payment_finds_exactly_the_planted_payees() {
    let (d, ..) = dup_folder(5);
    let o = run(d.path(), 2, 8192, &["DUP001"]);
    assert_eq!(
        findings(&o),
        vec![
            f("DUP001", "P06", &["T20", "T21"], 120_000),
            f("DUP001", "P07", &["T22", "T23"], 180_000),
            f("DUP001", "P08", &["T30", "T31"], 10_000),
            f("DUP001", "P12", &["T50", "T51"], 90_000),
        ]
    );
    let p07 = &o.findings[1];
    assert!(
        p07.explanation
            .contains("TEKUN 2024-Q1 where a quarterly scheme has 1 payment allowed"),
        "{}",
        p07.explanation
    );
    assert!(
        p07.explanation
            .contains("1800.00 yuan paid beyond the allowance"),
        "{}",
        p07.explanation
    );
}

#[test]
fn one_payee_many_accounts_finds_the_second_card() {
    let (d, ..) = dup_folder(1000);
    let o = run(d.path(), 1, 8192, &["DUP002"]);
    assert_eq!(
        findings(&o),
        vec![f("DUP002", "P08", &["T30", "T31"], 10_000)]
    );
    assert!(o.findings[0].explanation.contains("A08X"));
}

#[test]
fn shared_account_counts_households_once() {
    let (d, ..) = dup_folder(3);
    let o = run(d.path(), 2, 8192, &["DUP003"]);
    // A45 carries two payees of household H1 and one of H2: two persons, below the threshold of 3.
    assert_eq!(
        findings(&o),
        vec![f("DUP003", "AX", &["T40", "T41", "T42", "T43"], 20_000)]
    );
    assert_eq!(o.findings[0].subject_kind.as_str(), "account");
    assert!(
        o.findings[0].explanation.contains("3 distinct payees"),
        "{}",
        o.findings[0].explanation
    );
}

#[test]
fn cross_region_finds_the_second_village() {
    let (d, ..) = dup_folder(4);
    let o = run(d.path(), 2, 8192, &["DUP004"]);
    assert_eq!(
        findings(&o),
        vec![f("DUP004", "P12", &["T50", "T51"], 90_000)]
    );
    assert!(o.findings[0].explanation.contains("520102007001"));
}

#[test]
fn cases_join_findings_that_share_a_payee() {
    let (d, ..) = dup_folder(6);
    let o = run(d.path(), 2, 8192, &[]);
    assert_eq!(o.findings.len(), 7);
    // P08 (DUP001 + DUP002) and P12 (DUP001 + DUP004) each make one case; P06, P07, AX one each.
    assert_eq!(o.cases.len(), 5);
    let p12 = o
        .cases
        .iter()
        .find(|c| c.subjects == vec!["payee:P12".to_string()])
        .expect("P12 case");
    assert_eq!(p12.rules, vec!["DUP001", "DUP004"]);
    // each payment counted once: T51 is at risk in both findings
    assert_eq!(p12.amount_at_risk_fen, 90_000);
    assert_eq!(p12.payments, 2);
    // 6 + 6 + 2 x log10(1 + 900) = 17.91
    assert!((p12.score - 17.91).abs() < 1e-9, "{}", p12.score);
    assert!(p12.referral);
    for f in &o.findings {
        assert!(
            o.cases.iter().any(|c| c.case_id == f.case_id),
            "finding without case"
        );
    }
    assert_eq!(o.summary.rows_read, 24);
    assert_eq!(o.summary.rows_scanned, 24);
}

#[test]
fn same_findings_whatever_the_threads_batches_and_row_groups() {
    let base = {
        let (d, ..) = dup_folder(1000);
        let o = run(d.path(), 1, 8192, &[]);
        (findings(&o), o.cases.clone())
    };
    for (rg, threads, batch) in [(1, 8, 7), (7, 3, 1), (5, 1, 3), (2, 8, 8192)] {
        let (d, ..) = dup_folder(rg);
        let o = run(d.path(), threads, batch, &[]);
        assert_eq!(
            (findings(&o), o.cases.clone()),
            base,
            "rg {rg} threads {threads} batch {batch}"
        );
    }
}

#[test]
fn thresholds_come_from_the_config() {
    let (d, ..) = dup_folder(10);
    std::fs::write(
        d.path().join("schemes.toml"),
        format!("{SCHEMES}\n[rules.DUP003]\nmin_payees = 2\n"),
    )
    .expect("write");
    let o = run(d.path(), 1, 8192, &["DUP003"]);
    let subjects: Vec<&str> = o.findings.iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(subjects, vec!["A45", "AX"]);
}

#[test]
fn files_may_differ_in_column_order_and_compatible_types() {
    use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let d = tempfile::tempdir().expect("tmp");
    let rows = dup_rows();
    let (a, b) = rows.split_at(12);
    Ledger::new(a)
        .row_group_size(100)
        .write(&d.path().join("ledger/a.parquet"));
    // the second file: columns reversed, amount as float64 yuan, text as large utf8
    let batch = Ledger::new(b).batch();
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()).rev() {
        if f.name() == "amount" {
            let dec = c
                .as_any()
                .downcast_ref::<arrow::array::Decimal128Array>()
                .expect("decimal");
            let fl: Float64Array = dec.iter().map(|v| v.map(|x| x as f64 / 100.0)).collect();
            fields.push(Field::new("amount", DataType::Float64, true));
            cols.push(Arc::new(fl));
        } else if *f.data_type() == DataType::Utf8 {
            fields.push(Field::new(f.name(), DataType::LargeUtf8, true));
            cols.push(arrow::compute::cast(c, &DataType::LargeUtf8).expect("cast"));
        } else {
            fields.push(f.as_ref().clone());
            cols.push(c.clone());
        }
    }
    let other = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("batch");
    write_batch(&d.path().join("ledger/b.parquet"), &other, 5);
    std::fs::write(d.path().join("schemes.toml"), SCHEMES).expect("write");
    let opts = ScanOptions {
        inputs: vec![d.path().join("ledger")],
        config: Some(d.path().join("schemes.toml")),
        select: vec!["DUP".into()],
        ..ScanOptions::default()
    };
    let o = scan(&opts, &|_, _| {}).expect("scan");
    let single = {
        let (s, ..) = dup_folder(1000);
        run(s.path(), 2, 8192, &["DUP"])
    };
    let subjects =
        |o: &subsidy_audit::Outcome| -> Vec<(String, String, Vec<String>, i64)> { findings(o) };
    assert_eq!(subjects(&o), subjects(&single));
}
