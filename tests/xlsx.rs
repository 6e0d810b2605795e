//! `report.xlsx` read back with calamine: every case, finding and cited row is there; ids, card numbers and
//! codes are text cells with every digit; money adds up to `summary.json`; tables longer than a sheet continue
//! on the next; `--report` without xlsx writes none (and removes an earlier one); the same outcome gives the
//! same bytes.

mod common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use subsidy_audit::exhibit::{DigitCurve, Exhibits, RoundShare};
use subsidy_audit::{report, scan, Outcome, ScanOptions};

fn demo() -> Outcome {
    let opts = ScanOptions {
        inputs: vec![PathBuf::from("fixtures/demo")],
        ..ScanOptions::default()
    };
    scan(&opts, &|_, _| {}).expect("scan")
}

fn write(o: &Outcome) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().expect("tmp");
    let out = d.path().join("out");
    report::write_all(&out, o).expect("write");
    (d, out)
}

/// A sheet: its header (texts) and its rows below it.
struct Sheet {
    header: Vec<String>,
    rows: Vec<Vec<Data>>,
}

impl Sheet {
    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }
    /// The cells of column `name`, one per row.
    fn column(&self, name: &str) -> Vec<Data> {
        let c = self.col(name);
        self.rows
            .iter()
            .map(|r| r.get(c).cloned().unwrap_or(Data::Empty))
            .collect()
    }
    fn texts(&self, name: &str) -> Vec<String> {
        self.column(name).iter().map(text).collect()
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not a text cell: {other:?}"),
    }
}

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number cell: {other:?}"),
    }
}

fn fen(d: &Data) -> i64 {
    (number(d) * 100.0).round() as i64
}

fn book(path: &Path) -> Xlsx<std::io::BufReader<std::fs::File>> {
    open_workbook(path).expect("open report.xlsx")
}

fn sheet(path: &Path, name: &str) -> Sheet {
    let range = book(path).worksheet_range(name).expect(name);
    let mut rows = range.rows().map(<[Data]>::to_vec);
    let header = rows
        .next()
        .unwrap_or_default()
        .iter()
        .map(|d| match d {
            Data::String(s) => s.clone(),
            _ => String::new(),
        })
        .collect();
    Sheet {
        header,
        rows: rows.collect(),
    }
}

fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

fn summary_json(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).expect("summary"))
        .expect("json")
}

#[test]
fn every_case_finding_and_cited_row_of_the_demo_is_in_the_workbook() {
    let o = demo();
    let (_d, out) = write(&o);
    let x = out.join("report.xlsx");
    assert_eq!(
        book(&x).sheet_names(),
        [
            "Summary",
            "Cases",
            "Findings",
            "Evidence",
            "Hotspots",
            "Digit tests",
            "Data quality",
            "Rules"
        ]
    );

    // every case, its id a text cell, in rank order
    let cases = jsonl(&out.join("cases.jsonl"));
    assert!(cases.len() > 100, "{}", cases.len());
    let sheet_cases = sheet(&x, "Cases");
    let want: Vec<String> = cases
        .iter()
        .map(|c| c["case_id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(sheet_cases.texts("case id"), want);

    // every finding: rule, subject and case id, in output order
    let findings = jsonl(&out.join("findings.jsonl"));
    assert!(findings.len() > 100);
    let f = sheet(&x, "Findings");
    let key = |v: &serde_json::Value, k: &str| v[k].as_str().expect(k).to_string();
    let want: Vec<(String, String, String)> = findings
        .iter()
        .map(|v| (key(v, "rule"), key(v, "subject"), key(v, "case_id")))
        .collect();
    let got: Vec<(String, String, String)> = f
        .texts("rule")
        .into_iter()
        .zip(f.texts("subject"))
        .zip(f.texts("case id"))
        .map(|((r, s), c)| (r, s, c))
        .collect();
    assert_eq!(got, want);
    let amounts: Vec<i64> = f.column("amount at risk (yuan)").iter().map(fen).collect();
    let want: Vec<i64> = findings
        .iter()
        .map(|v| v["amount_fen"].as_i64().expect("fen"))
        .collect();
    assert_eq!(amounts, want);

    // one evidence line per (finding, cited row), in the finding's order of txn ids
    let e = sheet(&x, "Evidence");
    let want: Vec<(usize, String)> = findings
        .iter()
        .enumerate()
        .flat_map(|(i, v)| {
            v["txn_ids"]
                .as_array()
                .expect("ids")
                .iter()
                .map(move |t| (i + 1, t.as_str().expect("id").to_string()))
        })
        .collect();
    let got: Vec<(usize, String)> = e
        .column("finding")
        .iter()
        .map(|n| number(n) as usize)
        .zip(e.texts("txn id"))
        .collect();
    assert_eq!(got, want);
    // and each line shows the row as read back
    let by_txn: BTreeMap<&str, &subsidy_audit::finding::EvidenceRow> =
        o.evidence.iter().map(|r| (r.txn_id.as_str(), r)).collect();
    let (txn, amount, dates) = (
        e.texts("txn id"),
        e.column("amount (yuan)"),
        e.column("pay date"),
    );
    for (i, t) in txn.iter().enumerate() {
        let row = by_txn[t.as_str()];
        assert_eq!(fen(&amount[i]), row.amount_fen, "{t}");
        if let Some(days) = row.pay_date {
            match &dates[i] {
                Data::DateTime(d) => assert_eq!(d.as_f64() as i64 - 25_569, i64::from(days), "{t}"),
                other => panic!("{t}: pay date {other:?}"),
            }
        }
    }

    // every rule, run
    let r = sheet(&x, "Rules");
    assert_eq!(r.rows.len(), subsidy_audit::rules::registry().len());
    let run = r.texts("status").iter().filter(|s| *s == "run").count();
    assert_eq!(run, o.summary.rules_run.len());
}

#[test]
fn ids_card_numbers_and_codes_are_text_cells_with_every_digit() {
    let o = demo();
    let (_d, out) = write(&o);
    let x = out.join("report.xlsx");
    let e = sheet(&x, "Evidence");
    for col in [
        "case id",
        "txn id",
        "region",
        "payee id",
        "payee id as written",
        "account",
        "officer",
    ] {
        for (i, d) in e.column(col).iter().enumerate() {
            assert!(
                matches!(d, Data::String(_) | Data::Empty),
                "Evidence {col} row {i}: {d:?}"
            );
        }
    }
    // every cited row's ids and account exactly as read back (18-digit ids, 16-19 digit cards)
    let by_txn: BTreeMap<&str, &subsidy_audit::finding::EvidenceRow> =
        o.evidence.iter().map(|r| (r.txn_id.as_str(), r)).collect();
    let (txn, ids, cards) = (e.texts("txn id"), e.texts("payee id"), e.texts("account"));
    let (mut long_ids, mut long_cards) = (0, 0);
    for i in 0..txn.len() {
        let row = by_txn[txn[i].as_str()];
        assert_eq!(ids[i], row.payee_id.as_str());
        assert_eq!(cards[i], row.account.as_str());
        let digits = |s: &str| s.len() >= 16 && s.bytes().all(|b| b.is_ascii_digit());
        long_ids += usize::from(ids[i].len() == 18 && digits(&ids[i][..17]));
        long_cards += usize::from(digits(&cards[i]));
    }
    assert!(
        long_ids > 100 && long_cards > 100,
        "{long_ids} {long_cards}"
    );

    // an 18-digit payee id that findings.jsonl gives as a subject is the same text in the Findings sheet
    let findings = jsonl(&out.join("findings.jsonl"));
    let f = sheet(&x, "Findings");
    let subjects = f.column("subject");
    let mut checked = 0;
    for (i, v) in findings.iter().enumerate() {
        let s = v["subject"].as_str().expect("subject");
        if s.len() == 18 && s[..17].bytes().all(|b| b.is_ascii_digit()) {
            assert_eq!(subjects[i], Data::String(s.to_string()));
            checked += 1;
        }
        if v["subject_kind"] == "account" {
            assert_eq!(subjects[i], Data::String(s.to_string()));
        }
    }
    assert!(checked > 10, "{checked}");

    for (sheet_name, col) in [("Cases", "case id"), ("Hotspots", "region")] {
        let s = sheet(&x, sheet_name);
        assert!(s
            .column(col)
            .iter()
            .all(|d| matches!(d, Data::String(t) if !t.is_empty())));
    }
}

#[test]
fn money_adds_up_to_the_summary_and_the_hotspot_total_is_the_summarys() {
    let o = demo();
    let (_d, out) = write(&o);
    let x = out.join("report.xlsx");
    let s = summary_json(&out);
    let c = sheet(&x, "Cases");
    let amounts = c.column("amount at risk (yuan)");
    // numbers, of two decimals at most
    for a in &amounts {
        let f = number(a);
        assert!(((f * 100.0).round() - f * 100.0).abs() < 1e-6, "{f}");
    }
    let total: f64 = amounts.iter().map(number).sum();
    let at_risk = s["amount_at_risk_fen"].as_i64().expect("fen");
    assert!(at_risk > 0);
    assert_eq!((total * 100.0).round() as i64, at_risk);
    let referred: f64 = amounts
        .iter()
        .zip(c.column("referral"))
        .filter(|(_, r)| *r == Data::Bool(true))
        .map(|(a, _)| number(a))
        .sum();
    assert_eq!(
        (referred * 100.0).round() as i64,
        s["referred_amount_at_risk_fen"].as_i64().expect("fen")
    );

    let h = sheet(&x, "Hotspots");
    let levels = h.texts("level");
    let at = levels.iter().position(|l| l == "total").expect("total row");
    assert_eq!(levels.iter().filter(|l| *l == "total").count(), 1);
    assert_eq!(h.rows.len(), o.hotspots.len());
    let t = &s["hotspots"]["total"];
    let cell = |name: &str| h.rows[at][h.col(name)].clone();
    for (col, key) in [
        ("payees", "payees"),
        ("payments", "payments"),
        ("findings", "findings"),
        ("cases", "cases"),
        ("referrals", "referrals"),
    ] {
        assert_eq!(
            number(&cell(col)) as i64,
            t[key].as_i64().expect(key),
            "{col}"
        );
    }
    assert_eq!(
        fen(&cell("paid (yuan)")),
        t["paid_fen"].as_i64().expect("paid")
    );
    assert_eq!(
        fen(&cell("amount at risk (yuan)")),
        t["amount_at_risk_fen"].as_i64().expect("risk")
    );
    assert_eq!(t["amount_at_risk_fen"].as_i64(), Some(at_risk));

    // the Summary sheet gives the same totals
    let sm = sheet(&x, "Summary");
    let items = sm.texts("item");
    let value = |item: &str| {
        let i = items.iter().position(|t| t == item).expect(item);
        sm.rows[i][sm.col("value")].clone()
    };
    assert_eq!(fen(&value("amount at risk")), at_risk);
    assert_eq!(number(&value("cases")) as usize, o.cases.len());
    assert_eq!(number(&value("referrals")) as usize, o.summary.referrals);
    assert_eq!(value("passed"), Data::Bool(o.summary.quality_gate.passed));
}

#[test]
fn report_csv_writes_no_workbook_and_removes_an_earlier_one() {
    let d = tempfile::tempdir().expect("tmp");
    let out = d.path().join("out");
    let run = |extra: &[&str]| {
        common::bin()
            .args(["scan", "fixtures/demo", "--out"])
            .arg(&out)
            .arg("-q")
            .args(extra)
            .assert()
            .code(1);
    };
    run(&[]);
    assert!(out.join("report.xlsx").is_file(), "--report all writes it");
    run(&["--report", "csv"]);
    assert!(!out.join("report.xlsx").exists());
    assert!(out.join("cases.csv").is_file() && out.join("summary.json").is_file());
    run(&["--report", "xlsx"]);
    assert!(out.join("report.xlsx").is_file());
    assert!(!out.join("cases.csv").exists());
}

#[test]
fn the_same_outcome_gives_the_same_bytes() {
    let o = demo();
    let (_a, one) = write(&o);
    let (_b, two) = write(&o);
    let (one, two) = (
        std::fs::read(one.join("report.xlsx")).expect("one"),
        std::fs::read(two.join("report.xlsx")).expect("two"),
    );
    assert!(one == two, "report.xlsx differs between two writes");
}

fn curve(rule: &str, level: &str, unit: &str, flagged: bool) -> DigitCurve {
    let first_two = rule == "DIG001";
    let (first_digit, values) = if first_two { (10, 90) } else { (0, 100) };
    let mut observed = vec![10u64; values];
    observed[40] = 400; // digit 50 (first two) or 40 (last two)
    let n = observed.iter().sum();
    DigitCurve {
        rule: rule.into(),
        test: if first_two {
            "first two digits"
        } else {
            "last two digits"
        }
        .into(),
        level: level.into(),
        unit: unit.into(),
        n,
        first_digit,
        observed,
        expected: vec![1.0 / values as f64; values],
        mad: 0.004_321,
        expected_mad: 0.001_2,
        chi2: 812.5,
        p_value: 1.5e-12,
        flagged,
        not_testable: None,
    }
}

/// The exhibits and data-quality parts of an outcome, built by hand (the demo's rules may give none).
#[test]
fn digit_tests_round_sums_and_data_quality_of_a_hand_built_outcome() {
    use subsidy_audit::ledger::column::Col;
    use subsidy_audit::ledger::decode::Problem;
    use subsidy_audit::report::summary::DqProblem;
    let mut o = demo();
    o.exhibits = Exhibits {
        digits: vec![
            curve("DIG001", "county", "110101", true),
            curve("DIG002", "officer", "0042", false),
        ],
        round_sums: vec![
            RoundShare {
                officer: "0000317".into(),
                payees: 120,
                round: 96,
                share: 0.8,
                expected: 0.12,
                p_value: 3e-40,
                q_value: 2e-38,
                flagged: true,
                sample: None,
            },
            RoundShare {
                officer: "0000318".into(),
                payees: 80,
                round: 9,
                share: 0.1125,
                expected: 0.12,
                p_value: 0.61,
                q_value: 0.9,
                flagged: false,
                sample: None,
            },
        ],
    };
    o.summary.inputs[0].problems = vec![DqProblem {
        column: Col::Amount,
        problem: Problem::Unparsable,
        rows: 3,
        sample_rows: vec![7, 19, 23],
    }];
    o.summary.floods = vec![subsidy_audit::flood::Flood {
        kind: "column",
        column: Some("account".into()),
        value: Some("6222000000000000000".into()),
        rule: None,
        count: 1200,
        of: 20_000,
        share: 0.06,
        message: "account 6222000000000000000 is on 6% of the rows".into(),
        exclude: Some("[[exclude]]\ncolumn = \"account\"".into()),
        row: None,
    }];
    let (_d, out) = write(&o);
    let x = out.join("report.xlsx");

    let range = book(&x).worksheet_range("Digit tests").expect("sheet");
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    let s = |d: &str| Data::String(d.to_string());
    assert_eq!(rows[0][0], s("rule"));
    assert_eq!(rows[0][4], s("amounts"));
    assert_eq!(
        rows[1][..4],
        [s("DIG001"), s("first two digits"), s("county"), s("110101")]
    );
    assert_eq!(rows[1][4], Data::Float(1290.0));
    assert_eq!(rows[1][5], Data::Float(0.004_321));
    assert_eq!(rows[1][8], Data::Float(1.5e-12));
    assert_eq!(rows[1][9], Data::Bool(true));
    assert!(text(&rows[1][10]).starts_with("50 (+"), "{:?}", rows[1][10]);
    assert_eq!(rows[2][3], s("0042"), "an officer id keeps its zeros");
    assert!(text(&rows[2][10]).starts_with("40 (+"), "{:?}", rows[2][10]);
    // a blank line, the title, the round-sum table
    assert!(rows[3].iter().all(|d| *d == Data::Empty));
    assert_eq!(rows[4][0], s("Round-sum shares per officer (AMT003)"));
    assert_eq!(
        rows[5][..3],
        [s("officer"), s("payees"), s("paid a round sum")]
    );
    assert_eq!(rows[6][0], s("0000317"));
    assert_eq!(rows[6][3], Data::Float(0.8));
    assert_eq!(rows[6][6], Data::Float(2e-38));
    assert_eq!(rows[6][7], Data::Bool(true));
    assert_eq!(rows[7][0], s("0000318"));
    assert_eq!(rows.len(), 8);

    let range = book(&x).worksheet_range("Data quality").expect("sheet");
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(
        rows[0][..5],
        [
            s("file"),
            s("column"),
            s("problem"),
            s("rows"),
            s("sample rows")
        ]
    );
    assert_eq!(
        rows[1][1..5],
        [
            s("amount"),
            s("unparsable"),
            Data::Float(3.0),
            s("7, 19, 23")
        ]
    );
    assert_eq!(rows[3][0], s("Floods"));
    assert_eq!(rows[5][2], s("6222000000000000000"));
    assert_eq!(rows[5][4], Data::Float(1200.0));
    assert_eq!(rows[7][0], s("Input files"));
    assert_eq!(rows[9][1], Data::Float(10_000.0));
    assert_eq!(rows[10][1], Data::Float(10_000.0));

    let sm = sheet(&x, "Summary");
    let items = sm.texts("item");
    let i = items
        .iter()
        .position(|t| t == "units tested")
        .expect("digit line");
    assert_eq!(sm.rows[i][2], Data::Float(2.0));
    assert_eq!(sm.rows[i][3], s("1 flagged; the Digit tests sheet"));
}

#[test]
fn a_table_longer_than_a_sheet_continues_on_the_next_and_the_summary_says_so() {
    let o = demo();
    let d = tempfile::tempdir().expect("tmp");
    let (whole, split) = (d.path().join("whole.xlsx"), d.path().join("split.xlsx"));
    report::xlsx::write(&whole, &o).expect("whole");
    // 100 rows a sheet: the header and 99 rows
    report::xlsx::write_with_limit(&split, &o, 100).expect("split");
    let names = book(&split).sheet_names();
    let findings = o.findings.len();
    assert!(findings > 200, "{findings}");
    let parts = findings.div_ceil(99);
    let want: Vec<String> = (1..=parts)
        .map(|n| {
            if n == 1 {
                "Findings".to_string()
            } else {
                format!("Findings ({n})")
            }
        })
        .collect();
    let got: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with("Findings"))
        .cloned()
        .collect();
    assert_eq!(got, want);
    assert_eq!(names[0], "Summary");
    assert!(names.contains(&"Evidence (2)".to_string()));

    // the parts, each under the header, are the whole table in order
    let all = sheet(&whole, "Findings");
    let mut rows = Vec::new();
    for (i, name) in want.iter().enumerate() {
        let part = sheet(&split, name);
        assert_eq!(part.header[..all.header.len()], all.header[..], "{name}");
        if i > 0 {
            // the header row notes where the table began
            assert_eq!(
                part.header.last().map(String::as_str),
                Some(format!("continued from sheet '{}'", want[i - 1]).as_str())
            );
        }
        assert!(part.rows.len() <= 99);
        rows.extend(
            part.rows
                .into_iter()
                .map(|r| r[..all.header.len()].to_vec()),
        );
    }
    assert_eq!(rows, all.rows);

    // the Summary lists every sheet and says where each table continues
    let sm = sheet(&split, "Summary");
    let (items, notes) = (sm.texts("item"), sm.texts("note"));
    let at = items
        .iter()
        .position(|t| t == "Findings")
        .expect("Findings line");
    assert_eq!(sm.texts("section")[at], "sheets");
    assert_eq!(sm.rows[at][2], Data::Float(99.0));
    assert_eq!(
        notes[at],
        "more rows than a sheet holds: continued on sheet 'Findings (2)'"
    );
    let total: f64 = items
        .iter()
        .zip(&sm.rows)
        .filter(|(i, _)| i.starts_with("Findings"))
        .map(|(_, r)| number(&r[2]))
        .sum();
    assert_eq!(total as usize, findings);
    // the whole workbook: one sheet per table, nothing continued
    let sm = sheet(&whole, "Summary");
    assert!(sm.texts("note").iter().all(|n| !n.contains("continued")));
}

/// `--lang zh`: Chinese sheet names, headers and rule names; the same cells otherwise.
#[test]
fn a_chinese_workbook_names_its_sheets_headers_and_rules_in_chinese() {
    let mut o = demo();
    o.lang = subsidy_audit::lang::Lang::Zh;
    let (_d, out) = write(&o);
    let mut wb = book(&out.join("report.xlsx"));
    let names = wb.sheet_names();
    assert_eq!(
        names,
        [
            "概况",
            "案件",
            "疑点",
            "证据",
            "问题区域",
            "数字分布检验",
            "数据质量",
            "审计规则"
        ]
    );
    let cases = wb.worksheet_range("案件").expect("cases");
    let header: Vec<String> = cases
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(text)
        .collect();
    assert_eq!(header[..3], ["排名", "案件编号", "评分"]);
    assert_eq!(cases.rows().count(), o.cases.len() + 1);
    let findings = wb.worksheet_range("疑点").expect("findings");
    let dup = findings
        .rows()
        .find(|r| text(&r[1]) == "DUP001")
        .expect("a DUP001 finding");
    assert_eq!(text(&dup[2]), "重复发放");
}
