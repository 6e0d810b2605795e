//! Keys (issue 10, defects 1-4): an empty key links nothing; one person's id in any of its forms is one key
//! (rules, case links, reference tables); a missing pay date is unknown, not 1970-01-01; rows of amount 0 or
//! below are no payments. Each test pins the exact outcome.

mod common;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use common::{deaths, f, findings, resident_id, row, write_batch, Ledger, Row, Table, SCHEMES};
use std::path::Path;
use std::sync::Arc;
use subsidy_audit::{scan, Outcome, ScanOptions};

const R1: &str = "520102003004";

fn run(dir: &Path, select: &[&str], deaths: bool, config: bool) -> Outcome {
    let opts = ScanOptions {
        inputs: vec![dir.join("ledger.parquet")],
        deaths: deaths.then(|| dir.join("deaths.parquet")),
        config: config.then(|| {
            let p = dir.join("schemes.toml");
            std::fs::write(&p, SCHEMES).expect("write");
            p
        }),
        select: select.iter().map(ToString::to_string).collect(),
        threads: Some(2),
        ..ScanOptions::default()
    };
    scan(&opts, &|_, _| {}).expect("scan")
}

/// `summary.json` as JSON.
fn summary(o: &Outcome) -> serde_json::Value {
    serde_json::to_value(&o.summary).expect("json")
}

// ---------------------------------------------------------------------------------------------------------
// 1. An empty or null key links nothing.

#[test]
fn a_ledger_without_accounts_gives_one_case_per_payee() {
    let d = tempfile::tempdir().expect("tmp");
    let schema = Arc::new(Schema::new(vec![
        Field::new("payee_id", DataType::Utf8, true),
        Field::new("amount", DataType::Int64, true),
    ]));
    let b = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec!["AAA1", "BBB2", "CCC3"])) as ArrayRef,
            Arc::new(Int64Array::from(vec![100, 200, 300])) as ArrayRef,
        ],
    )
    .expect("batch");
    write_batch(&d.path().join("ledger.parquet"), &b, 10);
    let o = run(d.path(), &[], false, false);
    assert_eq!(
        findings(&o),
        vec![
            f("GHO001", "AAA1", &["ledger.parquet:0"], 10_000),
            f("GHO001", "BBB2", &["ledger.parquet:1"], 20_000),
            f("GHO001", "CCC3", &["ledger.parquet:2"], 30_000),
        ]
    );
    assert_eq!(
        o.findings[0].explanation,
        "payee_id AAA1 () is not a valid resident id: not 18 characters (nor the 15-digit legacy form); \
         paid 1 payment (100.00 yuan) on an unknown date"
    );
    assert_eq!(o.cases.len(), 3, "one case per payee: {:?}", o.cases);
    let mut subjects: Vec<Vec<String>> = o.cases.iter().map(|c| c.subjects.clone()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            vec!["payee:AAA1".to_string()],
            vec!["payee:BBB2".to_string()],
            vec!["payee:CCC3".to_string()],
        ]
    );
    for finding in &o.findings {
        assert!(
            !finding.links.iter().any(|l| l.ends_with(':')),
            "{:?}",
            finding.links
        );
    }
}

#[test]
fn null_and_blank_accounts_join_no_unrelated_payees() {
    let d = tempfile::tempdir().expect("tmp");
    let p = |txn: &str, id: &str, acct: &str| {
        row(
            txn,
            "FARMLAND",
            "2024",
            "2024-04-12",
            R1,
            id,
            "张三",
            acct,
            "100.00",
        )
    };
    let rows = vec![
        p("T1", "AAA1", ""),    // null account
        p("T2", "BBB2", ""),    // null account
        p("T3", "CCC3", "   "), // blank account
        p("T4", "DDD4", " "),   // blank account
        p("T5", "EEE5", "A1"),  // two payees who do share a card
        p("T6", "FFF6", "A1"),
    ];
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    // GHO001 does not read the account, so the rows stay in; evidence shows their empty accounts
    let o = run(d.path(), &["GHO001"], false, false);
    assert_eq!(o.findings.len(), 6);
    let mut subjects: Vec<Vec<String>> = o.cases.iter().map(|c| c.subjects.clone()).collect();
    subjects.sort();
    let s = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<String>>();
    assert_eq!(
        subjects,
        vec![
            s(&["payee:AAA1"]),
            s(&["payee:BBB2"]),
            s(&["payee:CCC3"]),
            s(&["payee:DDD4"]),
            s(&["payee:EEE5", "payee:FFF6"]),
        ]
    );
}

#[test]
fn a_payment_without_an_account_stays_in_every_rule() {
    // a payee paid twice for one period, the second time with no account (cash, a blank cell): with every
    // rule that reads the account enabled, the row is still a payment, DUP001 finds the duplicate, and no
    // account rule treats "no account" as an account (found by a trial on a foreign ledger)
    let d = tempfile::tempdir().expect("tmp");
    let id = "110101196205035536";
    let p = |txn: &str, pid: &str, acct: &str, date: &str| {
        row(
            txn, "FARMLAND", "2024", date, R1, pid, "张三", acct, "100.00",
        )
    };
    let rows = vec![
        p("T1", id, "6222020200112233446", "2024-04-12"),
        p("T2", id, "", "2024-05-12"),
        p("T3", "120101195304239216", "", "2024-04-12"),
        p("T4", "130101195304239212", " ", "2024-04-12"),
        p("T5", "140101198610316600", "", "2024-04-12"),
    ];
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    let o = run(
        d.path(),
        &["DUP001", "DUP002", "DUP003", "GHO005", "AMT002"],
        false,
        true,
    );
    assert_eq!(
        findings(&o),
        vec![f("DUP001", id, &["T1", "T2"], 10_000)],
        "{:?}",
        o.findings
    );
    assert_eq!(o.summary.rows_scanned, 5);
    assert_eq!(o.summary.rows_with_problems, 0);
}

// ---------------------------------------------------------------------------------------------------------
// 2. One person's id in mixed forms is one key.

const P18: &str = "110101196205035536";
const P15: &str = "110101620503553";

fn two_form_rows() -> Vec<Row> {
    vec![
        row(
            "T1",
            "ELDERLY",
            "2024-01",
            "2024-01-05",
            R1,
            P18,
            "张三",
            "A1",
            "100.00",
        ),
        row(
            "T2",
            "ELDERLY",
            "2024-02",
            "2024-02-05",
            R1,
            P15,
            "张三",
            "A1",
            "100.00",
        ),
    ]
}

#[test]
fn the_two_forms_are_one_valid_id() {
    let v = subsidy_audit::ident::validate_id(P15).expect("valid legacy id");
    assert_eq!(v.as_str(), P18);
    assert!(subsidy_audit::ident::validate_id(P18).is_ok());
}

#[test]
fn paid_after_death_sees_one_person_under_two_forms() {
    let d = tempfile::tempdir().expect("tmp");
    Ledger::new(&two_form_rows())
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    deaths(&[(P18, "2023-01-01")])
        .row_group_size(10)
        .write(&d.path().join("deaths.parquet"));
    let o = run(d.path(), &["GHO003"], true, false);
    assert_eq!(findings(&o), vec![f("GHO003", P18, &["T1", "T2"], 20_000)]);
    let e = &o.findings[0].explanation;
    assert!(
        e.contains(&format!("ids as written: {P18} as {P15}")),
        "{e}"
    );
    assert_eq!(o.cases.len(), 1);
    assert_eq!(o.cases[0].subjects, vec![format!("payee:{P18}")]);
    // the deaths table may hold the legacy form: the same finding
    deaths(&[(P15, "2023-01-01")])
        .row_group_size(10)
        .write(&d.path().join("deaths.parquet"));
    let o2 = run(d.path(), &["GHO003"], true, false);
    assert_eq!(findings(&o2), findings(&o));
    // either row alone: one finding (the README's promise, row by row)
    for (i, r) in two_form_rows().into_iter().enumerate() {
        Ledger::new(&[r])
            .row_group_size(10)
            .write(&d.path().join("ledger.parquet"));
        let o = run(d.path(), &["GHO003"], true, false);
        let txn = format!("T{}", i + 1);
        assert_eq!(findings(&o), vec![f("GHO003", P18, &[&txn], 10_000)]);
    }
}

#[test]
fn findings_on_two_forms_of_one_id_form_one_case_and_meet_the_officials_table() {
    let d = tempfile::tempdir().expect("tmp");
    let mut rows = two_form_rows();
    // the 15-digit row is a second payment for January: DUP001 on it, GHO003 on both
    rows[1].period = "2024-01".into();
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    deaths(&[(P18, "2023-01-01")])
        .row_group_size(10)
        .write(&d.path().join("deaths.parquet"));
    let o = run(d.path(), &["DUP001", "GHO003"], true, true);
    assert_eq!(
        findings(&o),
        vec![
            f("DUP001", P18, &["T1", "T2"], 10_000),
            f("GHO003", P18, &["T1", "T2"], 20_000),
        ]
    );
    assert_eq!(o.cases.len(), 1);
    assert_eq!(o.cases[0].subjects, vec![format!("payee:{P18}")]);
    assert_eq!(o.cases[0].findings, 2);
    // INS001: the official is listed in the 18-character form, paid under both forms
    Table::new()
        .col("person_id", &[Some(P18)])
        .col("name", &[Some("张三")])
        .col("region", &[Some(R1)])
        .row_group_size(10)
        .write(&d.path().join("officials.parquet"));
    let opts = ScanOptions {
        inputs: vec![d.path().join("ledger.parquet")],
        officials: Some(d.path().join("officials.parquet")),
        select: vec!["INS001".into()],
        threads: Some(2),
        ..ScanOptions::default()
    };
    let o = scan(&opts, &|_, _| {}).expect("scan");
    assert_eq!(findings(&o), vec![f("INS001", P18, &["T1", "T2"], 20_000)]);
}

#[test]
fn duplicate_payment_joins_the_forms_of_one_id() {
    let d = tempfile::tempdir().expect("tmp");
    let mut rows = two_form_rows();
    rows[1].period = "2024-01".into();
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    let o = run(d.path(), &["DUP001"], false, true);
    assert_eq!(findings(&o), vec![f("DUP001", P18, &["T1", "T2"], 10_000)]);
    assert!(
        o.findings[0]
            .explanation
            .contains(&format!("{P18} as {P15}")),
        "{}",
        o.findings[0].explanation
    );
}

#[test]
fn one_person_under_two_forms_is_one_person_on_a_shared_card() {
    let d = tempfile::tempdir().expect("tmp");
    let p = |txn: &str, pid: &str| {
        row(
            txn,
            "ELDERLY",
            "2024-01",
            "2024-01-05",
            R1,
            pid,
            "张三",
            "AX",
            "100.00",
        )
    };
    // two forms of one id and one other person: 2 persons, below DUP003's 3
    let rows = vec![p("T1", P18), p("T2", P15), p("T3", "P02")];
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    let o = run(d.path(), &["DUP003"], false, true);
    assert_eq!(findings(&o), vec![]);
    // a third person makes three
    let mut rows = rows;
    rows.push(p("T4", "P03"));
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    let o = run(d.path(), &["DUP003"], false, true);
    assert_eq!(
        findings(&o),
        vec![f("DUP003", "AX", &["T1", "T2", "T3", "T4"], 20_000)]
    );
}

/// A valid id ending in `X`.
fn id_with_x() -> String {
    (0..1000)
        .map(|seq| resident_id("520102", "19400301", seq))
        .find(|id| id.ends_with('X'))
        .expect("some sequence gives X")
}

fn full_width(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c),
            'X' => 'Ｘ',
            _ => c,
        })
        .collect()
}

#[test]
fn full_width_digits_and_lower_case_x_are_one_key() {
    let d = tempfile::tempdir().expect("tmp");
    let id = id_with_x();
    let lower = id.to_lowercase();
    let wide = full_width(&id);
    let p = |txn: &str, date: &str, pid: &str| {
        row(
            txn, "FARMLAND", "2024", date, R1, pid, "李四", "A7", "1180.00",
        )
    };
    let rows = vec![
        p("T1", "2024-04-12", &lower),
        p("T2", "2024-05-12", &wide),
        p("T3", "2024-06-12", &id),
    ];
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    let o = run(d.path(), &["DUP001", "GHO001"], false, true);
    assert_eq!(
        findings(&o),
        vec![f("DUP001", &id, &["T1", "T2", "T3"], 236_000)]
    );
    let e = &o.findings[0].explanation;
    assert!(e.contains(&format!("{id} as {lower}")), "{e}");
    assert!(e.contains(&format!("{id} as {wide}")), "{e}");
    assert_eq!(o.cases.len(), 1);
}

#[test]
fn non_ids_are_keyed_as_trimmed_text() {
    let d = tempfile::tempdir().expect("tmp");
    let p = |txn: &str, pid: &str| {
        row(
            txn,
            "FARMLAND",
            "2024",
            "2024-04-12",
            R1,
            pid,
            "王五",
            "A9",
            "500.00",
        )
    };
    // " P01 " and "P01" are one payee; "p01" is another
    let rows = vec![p("T1", " P01 "), p("T2", "P01"), p("T3", "p01")];
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    let o = run(d.path(), &["DUP001"], false, true);
    assert_eq!(
        findings(&o),
        vec![f("DUP001", "P01", &["T1", "T2"], 50_000)]
    );
    assert!(!o.findings[0].explanation.contains("ids as written"));
}

// ---------------------------------------------------------------------------------------------------------
// 3. A missing pay date is unknown.

#[test]
fn an_undated_row_is_kept_by_rules_that_need_no_date() {
    let d = tempfile::tempdir().expect("tmp");
    let rows = vec![
        // DUP001: the undated payment comes after the dated one, never first
        row(
            "T1", "FARMLAND", "2024", "", R1, "P01", "张三", "A1", "1200.00",
        ),
        row(
            "T2",
            "FARMLAND",
            "2024",
            "2024-06-03",
            R1,
            "P01",
            "张三",
            "A1",
            "1200.00",
        ),
    ];
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    // GHO004 reads pay_date (DUP001 alone does not, and undated rows are counted where the date is read)
    let o = run(d.path(), &["DUP001", "GHO004"], false, true);
    assert_eq!(
        findings(&o),
        vec![f("DUP001", "P01", &["T2", "T1"], 120_000)]
    );
    let e = &o.findings[0].explanation;
    assert!(
        e.contains("T2 (2024-06-03, 1200.00) for 2024, T1 (unknown, 1200.00) for 2024"),
        "{e}"
    );
    assert!(!e.contains("1970"), "{e}");
    let s = summary(&o);
    assert_eq!(
        [
            &s["rows_read"],
            &s["rows_scanned"],
            &s["rows_with_problems"],
            &s["rows_undated"]
        ],
        [2, 2, 0, 1]
    );
    assert_eq!(s["inputs"][0]["problems"], serde_json::json!([]));
    assert_eq!(s["inputs"][0]["rows_undated"], 1);
}

#[test]
fn digit_rules_keep_undated_rows_and_paid_after_death_skips_them() {
    let d = tempfile::tempdir().expect("tmp");
    let id = resident_id("520102", "19300101", 7);
    let rows = vec![
        // DIG003: the largest payment is undated
        row(
            "T1",
            "TEKUN",
            "2024-01",
            "2024-01-10",
            R1,
            "P02",
            "李四",
            "A2",
            "150.00",
        ),
        row(
            "T2", "TEKUN", "2024-04", "", R1, "P02", "李四", "A2", "5000.00",
        ),
        // GHO003: dead in 2023; one dated payment after, one undated
        row(
            "T3",
            "ELDERLY",
            "2024-01",
            "2024-01-05",
            R1,
            &id,
            "王五",
            "A3",
            "100.00",
        ),
        row(
            "T4", "ELDERLY", "2024-02", "", R1, &id, "王五", "A3", "100.00",
        ),
    ];
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    deaths(&[(&id, "2023-01-01")])
        .row_group_size(10)
        .write(&d.path().join("deaths.parquet"));
    let o = run(d.path(), &["DIG003", "GHO003"], true, false);
    assert_eq!(
        findings(&o),
        vec![
            f("DIG003", "P02", &["T2"], 485_000),
            f("GHO003", &id, &["T3"], 10_000),
        ]
    );
    let e = &o.findings[0].explanation;
    assert!(
        e.starts_with("payee P02 was paid 5000.00 yuan of TEKUN on an unknown date (T2) where"),
        "{e}"
    );
    assert_eq!(summary(&o)["rows_undated"], 2);
    // GHO001 keeps the undated row and says so
    let o = run(d.path(), &["GHO001"], false, false);
    assert_eq!(
        findings(&o),
        vec![f("GHO001", "P02", &["T1", "T2"], 515_000)]
    );
    assert!(
        o.findings[0]
            .explanation
            .ends_with("paid 2 payments (5150.00 yuan): 1 on 2024-01-10 and 1 on an unknown date"),
        "{}",
        o.findings[0].explanation
    );
}

// ---------------------------------------------------------------------------------------------------------
// 4. Zero and negative amounts are no payments.

#[test]
fn zero_and_negative_amounts_are_no_payments() {
    let d = tempfile::tempdir().expect("tmp");
    let p = |txn: &str, date: &str, pid: &str, acct: &str, amount: &str| {
        row(txn, "FARMLAND", "2024", date, R1, pid, "张三", acct, amount)
    };
    let rows = vec![
        // a payment and a zero row: no duplicate
        p("T1", "2024-04-12", "P01", "A1", "1200.00"),
        p("T2", "2024-05-12", "P01", "A1", "0.00"),
        // a payment and its correction: no duplicate
        p("T3", "2024-04-12", "P02", "A2", "1200.00"),
        p("T4", "2024-05-12", "P02", "A2", "-1200.00"),
        // a real duplicate, with a zero row between: the zero row is not cited
        p("T5", "2024-04-12", "P03", "A3", "800.00"),
        p("T6", "2024-04-20", "P03", "A3", "0.00"),
        p("T7", "2024-05-12", "P03", "A3", "800.00"),
        // one card, three payees, one of them paid 0: not three persons paid (DUP003 needs 3)
        p("T8", "2024-04-12", "P04", "AX", "300.00"),
        p("T9", "2024-04-12", "P05", "AX", "300.00"),
        p("T10", "2024-04-12", "P06", "AX", "0.00"),
    ];
    Ledger::new(&rows)
        .row_group_size(10)
        .write(&d.path().join("ledger.parquet"));
    let o = run(
        d.path(),
        &["DUP001", "DUP002", "DUP003", "DUP004"],
        false,
        true,
    );
    assert_eq!(
        findings(&o),
        vec![f("DUP001", "P03", &["T5", "T7"], 80_000)]
    );
    let s = summary(&o);
    assert_eq!(
        [
            &s["rows_read"],
            &s["rows_scanned"],
            &s["rows_with_problems"],
            &s["rows_zero_amount"],
            &s["rows_negative_amount"]
        ],
        [10, 10, 0, 3, 1]
    );
    assert_eq!(s["inputs"][0]["rows_zero_amount"], 3);
    assert_eq!(s["inputs"][0]["rows_negative_amount"], 1);
}
