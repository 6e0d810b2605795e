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
        "report.xlsx",
        "summary.json",
    ] {
        let mut b = std::fs::read(dir.join(name)).expect(name);
        if name == "summary.json" {
            let text = String::from_utf8(b).expect("utf-8");
            let cut = text.find("\"timing\"").expect("timing");
            b = text.as_bytes()[..cut].to_vec();
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
            f.explanation
                .contains("(the first, the first of each payee, the largest)"),
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
                f.column
                    .clone()
                    .or_else(|| f.rule.clone())
                    .unwrap_or_default(),
                f.value.clone().unwrap_or_default(),
                f.count,
            )
        })
        .collect()
}

/// The findings citing fewer rows than they have, per rule.
fn capped(o: &Outcome) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for f in o
        .findings
        .iter()
        .filter(|f| f.txn_ids.len() < f.evidence.len())
    {
        *m.entry(f.rule.to_string()).or_default() += 1;
    }
    m
}

fn show(kind: &str, o: &Outcome) {
    eprintln!(
        "{kind}: {:?}\n  floods {:?}\n  capped {:?}\n  cases {} top payments {:?}",
        per_rule(o),
        floods(o),
        capped(o),
        o.cases.len(),
        o.cases
            .first()
            .map(|c| (c.payments, c.subjects.len(), c.subjects_not_listed))
    );
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| ((*k).to_string(), *n)).collect()
}

fn flood(kind: &str, what: &str, value: &str, count: u64) -> (String, String, String, u64) {
    (kind.into(), what.into(), value.into(), count)
}

/// The findings of the unskewed rows (ledger-only rules).
fn unskewed() -> BTreeMap<String, usize> {
    counts(&[
        ("AMT001", 241),
        ("AMT002", 37),
        ("AMT003", 8),
        ("DUP001", 148),
        ("DUP002", 37),
        ("DUP003", 10),
        ("DUP004", 37),
        ("DUP005", 13),
        ("GHO001", 28),
        ("GHO004", 12),
    ])
}

/// The yuan figure after `before` in `text` (`... 199403 payments (102365592.38 yuan) ...`).
fn yuan_after<'a>(text: &'a str, before: &str) -> &'a str {
    let at = text
        .find(before)
        .unwrap_or_else(|| panic!("{before:?} in {text}"))
        + before.len();
    let rest = &text[at..];
    &rest[..rest.find(' ').unwrap_or(rest.len())]
}

/// The capped finding of a shared account: 1,000 rows cited of all, its totals in full and equal to the
/// rule's own, its money at risk on every row.
fn check_capped_shared_account(o: &Outcome, rows: usize) {
    let f = o
        .findings
        .iter()
        .find(|f| f.rule == "DUP003" && f.subject == placeholder_account());
    let f = f.expect("the shared account's finding");
    assert_eq!(f.evidence.len(), rows);
    assert_eq!(f.txn_ids.len(), 1000);
    let e = &f.explanation;
    assert!(e.contains(&format!("received {rows} payments (")), "{e}");
    assert!(
        e.contains(&format!("evidence: 1000 of the {rows} payments cited")),
        "{e}"
    );
    assert!(
        e.contains(&format!("and {} more payments (", rows - 1000)),
        "{e}"
    );
    assert!(e.ends_with(" yuan in all"), "{e}");
    let total = yuan_after(e, &format!("received {rows} payments ("));
    assert!(e.ends_with(&format!(", {total} yuan in all")), "{e}");
    // money at risk: every row but the owner's, over all the rows, not only the cited ones
    assert!(f.risk.len() > 1000);
    assert_eq!(f.amount_fen, f.risk.iter().map(|r| r.1).sum::<i64>());
    let at = e.find(" yuan paid for people other than").expect("at risk");
    let at_risk = &e[..at];
    let at_risk = &at_risk[at_risk.rfind(' ').map_or(0, |i| i + 1)..];
    assert_eq!(at_risk, subsidy_audit::money::fmt_yuan(f.amount_fen));
    // the first row is cited, and every cited row is one of the finding's
    let cited: std::collections::BTreeSet<&String> = f.txn_ids.iter().collect();
    assert_eq!(cited.len(), 1000);
}

#[test]
fn skew_unskewed_rows_have_no_flood_and_no_cap() {
    let (o, _d) = scan_variant("none");
    show("none", &o);
    assert_eq!(per_rule(&o), unskewed());
    assert!(o.summary.floods.is_empty());
    assert!(capped(&o).is_empty());
    assert_eq!(o.cases.len(), 399);
}

#[test]
fn skew_one_account_on_every_row() {
    let (o, _d) = scan_variant("account");
    show("account", &o);
    let acct = placeholder_account();
    let mut want = unskewed();
    want.remove("DUP002"); // one account: nobody is paid into two
    want.insert("DUP003".into(), 1);
    want.insert("AMT002".into(), 17);
    want.insert("AMT004".into(), 1);
    assert_eq!(per_rule(&o), want);
    assert_eq!(
        floods(&o),
        vec![
            flood("column", "account", &acct, ROWS),
            flood("placeholder", "account", &acct, 27_436),
            flood("rule", "DUP003", "", 199_403),
        ]
    );
    let f = &o.summary.floods[0];
    assert!((f.share - 1.0).abs() < 1e-12, "{}", f.share);
    assert_eq!(
        f.exclude.as_deref(),
        Some(format!("[[exclude]]\nname = \"placeholder account\"\ncolumn = \"account\"\nvalue = \"{acct}\"\n").as_str())
    );
    // DUP005's placeholder is the column's flood: its filter is shown once
    assert_eq!(o.summary.floods[1].exclude, None);
    assert_eq!(capped(&o), counts(&[("DUP003", 1)]));
    check_capped_shared_account(&o, 199_403);
    // one case gathers every payee of the account: its subjects are listed up to the cell's bound
    let c = &o.cases[0];
    assert_eq!(c.payments, 199_403);
    assert_eq!((c.subjects.len(), c.subjects_not_listed), (200, 182));
    assert_eq!(o.cases.len(), 10);
    // the terminal names the value and the filter
    let text = subsidy_audit::report::table::render(&o);
    assert!(
        text.contains(&format!(
            "flood: account \"{acct}\" is on 200000 of 200000 rows scanned (100.0%)"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("  value = \"{acct}\"")), "{text}");
}

#[test]
fn skew_one_payee_id_on_every_row() {
    let (o, _d) = scan_variant("payee_id");
    show("payee_id", &o);
    assert_eq!(
        per_rule(&o),
        counts(&[
            ("AMT001", 32),
            ("AMT002", 37),
            ("DUP001", 30),
            ("DUP002", 30),
            ("DUP003", 10),
            ("DUP004", 30),
            ("GHO001", 1),
        ])
    );
    let mut want = vec![flood("column", "payee_id", PLACEHOLDER_ID, ROWS)];
    for r in ["AMT001", "DUP001", "DUP002", "DUP004", "GHO001"] {
        want.push(flood("rule", r, "", 199_403));
    }
    assert_eq!(floods(&o), want);
    assert_eq!(
        capped(&o),
        counts(&[
            ("AMT001", 26),
            ("DUP001", 26),
            ("DUP002", 26),
            ("DUP004", 26),
            ("GHO001", 1),
        ])
    );
    // one payee: one case of every paid row
    assert_eq!(o.cases.len(), 1);
    assert_eq!(o.cases[0].payments, 199_403);
    let g = o
        .findings
        .iter()
        .find(|f| f.rule == "GHO001")
        .expect("GHO001");
    assert!(
        g.explanation
            .contains("evidence: 1000 of the 199403 payments cited"),
        "{}",
        g.explanation
    );
    // DUP002 names a few accounts and counts them all
    for f in o.findings.iter().filter(|f| f.rule == "DUP002") {
        assert!(
            f.explanation.matches(" payment").count() < 40,
            "{}",
            f.explanation
        );
    }
}

#[test]
fn skew_one_name_on_every_row() {
    let (o, _d) = scan_variant("payee_name");
    show("payee_name", &o);
    // a name on every row is a placeholder to DUP005: no evidence, no finding (was one per pair of payees
    // born on the same day in one village)
    let mut want = unskewed();
    want.remove("DUP005");
    assert_eq!(per_rule(&o), want);
    assert_eq!(
        floods(&o),
        vec![
            flood("column", "payee_name", "王伟", ROWS),
            flood("placeholder", "payee_name", "王伟", 27_436),
        ]
    );
    assert!(capped(&o).is_empty());
}

#[test]
fn skew_one_officer_on_every_row() {
    let (o, _d) = scan_variant("officer_id");
    show("officer_id", &o);
    assert_eq!(per_rule(&o), unskewed());
    assert_eq!(
        floods(&o),
        vec![flood("column", "officer_id", "OFFICER-0", ROWS)]
    );
    assert!(capped(&o).is_empty());
}

#[test]
fn skew_one_region_on_every_row() {
    let (o, _d) = scan_variant("region");
    show("region", &o);
    let mut want = unskewed();
    want.remove("DUP004"); // one region: nobody is paid by two
    want.insert("DUP005".into(), 15);
    assert_eq!(per_rule(&o), want);
    assert_eq!(
        floods(&o),
        vec![flood("column", "region", "110101001001", ROWS)]
    );
    assert!(capped(&o).is_empty());
}

#[test]
fn skew_one_scheme_on_every_row() {
    let (o, _d) = scan_variant("scheme");
    show("scheme", &o);
    // every payment an elderly allowance: the amounts and ages no longer fit its rules (many findings, each
    // of a few rows): AMT001 and GHO004 flood (more than 10,000 findings), so each writes its 1,000 citing
    // the most payments
    assert_eq!(
        per_rule(&o),
        counts(&[
            ("AMT001", 1000),
            ("DUP001", 1707),
            ("DUP002", 53),
            ("DUP003", 10),
            ("DUP004", 37),
            ("DUP005", 13),
            ("GHO001", 28),
            ("GHO004", 1000),
        ])
    );
    assert_eq!(
        floods(&o),
        vec![
            flood("rule", "AMT001", "", 34_952),
            flood("rule", "GHO004", "", 13_602),
        ]
    );
    assert!(capped(&o).is_empty());
}

#[test]
fn skew_one_period_on_every_row() {
    let (o, _d) = scan_variant("period");
    show("period", &o);
    let mut want = unskewed();
    // 15,964 and 15,926 findings: both rules flood, and each writes its 1,000 citing the most payments
    want.insert("AMT001".into(), 1000);
    want.insert("DUP001".into(), 1000);
    assert_eq!(per_rule(&o), want);
    assert_eq!(
        floods(&o),
        vec![
            flood("rule", "AMT001", "", 15_964),
            flood("rule", "DUP001", "", 15_926),
        ]
    );
    assert!(capped(&o).is_empty());
}

#[test]
fn skew_every_amount_equal() {
    let (o, _d) = scan_variant("amount");
    show("amount", &o);
    let mut want = unskewed();
    want.remove("AMT002");
    want.remove("AMT003");
    // 21,660 AMT001 findings: the rule floods and writes its 1,000 citing the most payments
    want.insert("AMT001".into(), 1000);
    want.insert("DIG002".into(), 47);
    assert_eq!(per_rule(&o), want);
    assert_eq!(floods(&o), vec![flood("rule", "AMT001", "", 21_660)]);
    assert!(capped(&o).is_empty());
}

#[test]
fn skew_one_payee_into_100k_accounts() {
    let (o, _d) = scan_variant("one_payee");
    show("one_payee", &o);
    assert_eq!(
        per_rule(&o),
        counts(&[
            ("AMT001", 161),
            ("AMT003", 8),
            ("DUP001", 59),
            ("DUP002", 42),
            ("DUP003", 4),
            ("DUP004", 39),
            ("DUP005", 7),
            ("GHO001", 20),
            ("GHO004", 12),
        ])
    );
    assert_eq!(
        floods(&o),
        vec![
            flood("column", "payee_id", PLACEHOLDER_ID, 100_000),
            flood("column", "payee_name", "王伟", 100_052),
            flood("rule", "AMT001", "", 99_873),
            flood("rule", "DUP001", "", 99_752),
            flood("rule", "DUP002", "", 99_718),
            flood("rule", "DUP004", "", 99_712),
            flood("rule", "GHO001", "", 99_736),
        ]
    );
    assert_eq!(
        capped(&o),
        counts(&[
            ("AMT001", 14),
            ("DUP001", 14),
            ("DUP002", 14),
            ("DUP004", 14),
            ("GHO001", 1),
        ])
    );
    // DUP002 of one period: thousands of accounts, a few named, all counted
    let f = o
        .findings
        .iter()
        .filter(|f| f.rule == "DUP002" && f.subject == PLACEHOLDER_ID)
        .max_by_key(|f| f.evidence.len())
        .expect("DUP002");
    assert!(
        f.explanation
            .contains(&format!("into {} accounts", f.evidence.len())),
        "{}",
        f.explanation
    );
    assert!(f.explanation.contains(" more; "), "{}", f.explanation);
}

#[test]
fn skew_one_account_shared_by_100k_payees() {
    let (o, _d) = scan_variant("one_account");
    show("one_account", &o);
    let acct = placeholder_account();
    assert_eq!(
        per_rule(&o),
        counts(&[
            ("AMT001", 303),
            ("AMT003", 8),
            ("AMT004", 387),
            ("DUP001", 40),
            ("DUP002", 20),
            ("DUP003", 5),
            ("DUP004", 20),
            ("DUP005", 1000),
            ("GHO001", 45),
            ("GHO004", 64),
        ])
    );
    // each payee's rows became ids of their own with the payee's name, birth date and village: DUP005 sees
    // them as one person's many identities (a placeholder account is no evidence of that)
    assert_eq!(
        floods(&o),
        vec![
            flood("column", "account", &acct, 100_000),
            flood("placeholder", "account", &acct, 99_069),
            // 16,564 findings: DUP005 floods and writes its 1,000 citing the most payments
            flood("rule", "DUP005", "", 16_564),
            flood("rule", "AMT004", "", 67_109),
            flood("rule", "DUP003", "", 99_736),
        ]
    );
    assert_eq!(capped(&o), counts(&[("DUP003", 1)]));
    check_capped_shared_account(&o, 99_694);
    let c = &o.cases[0];
    assert_eq!((c.subjects.len(), c.subjects_not_listed), (200, 1057));
}
