//! Region hotspots, exhibits and `--report`: the roll-up adds up from village to township to county to the
//! total, agrees with the summary and with each finding's first row, is the same at 1 and 8 threads; the digit
//! curves and round-sum shares match the findings their rules raised; `--report` writes only what it names.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use subsidy_audit::hotspot::{Hotspot, Level};
use subsidy_audit::{scan, Outcome, ScanOptions};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn scan_demo(threads: usize) -> Outcome {
    let opts = ScanOptions {
        inputs: vec![demo()],
        threads: Some(threads),
        ..ScanOptions::default()
    };
    scan(&opts, &|_, _| {}).expect("scan")
}

/// The numbers of a region that must add up.
fn figures(h: &Hotspot) -> [i64; 8] {
    [
        h.payees as i64,
        h.payments as i64,
        h.paid_fen,
        h.findings as i64,
        h.cases as i64,
        h.referrals as i64,
        h.amount_at_risk_fen,
        0,
    ]
}

fn add(a: &mut [i64; 8], b: [i64; 8]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

#[test]
fn the_roll_up_adds_up_and_agrees_with_the_summary() {
    let o = scan_demo(2);
    let h = &o.hotspots;
    let of = |l: Level| h.iter().filter(move |x| x.level == l);
    assert_eq!(of(Level::Total).count(), 1);
    // the demo: 6 counties of one township each, 62 villages
    assert_eq!(of(Level::County).count(), 6);
    assert_eq!(of(Level::Township).count(), 6);
    assert_eq!(of(Level::Village).count(), 62);
    let mut townships: BTreeMap<String, [i64; 8]> = BTreeMap::new();
    for v in of(Level::Village) {
        let t = v
            .township
            .clone()
            .expect("every demo village lies in a township");
        assert!(v.region.starts_with(&t), "{} in {t}", v.region);
        add(townships.entry(t).or_default(), figures(v));
    }
    for t in of(Level::Township) {
        assert_eq!(townships[&t.region], figures(t), "township {}", t.region);
    }
    let mut counties: BTreeMap<String, [i64; 8]> = BTreeMap::new();
    for t in of(Level::Township) {
        add(
            counties
                .entry(t.county.clone().expect("county"))
                .or_default(),
            figures(t),
        );
    }
    let mut all = [0i64; 8];
    for c in of(Level::County) {
        assert_eq!(counties[&c.region], figures(c), "county {}", c.region);
        add(&mut all, figures(c));
    }
    let total = of(Level::Total).next().expect("total");
    assert_eq!(all, figures(total));
    let s = &o.summary;
    assert_eq!(total.findings as usize, s.findings);
    assert_eq!(total.cases as usize, s.cases);
    assert_eq!(total.referrals as usize, s.referrals);
    assert_eq!(total.amount_at_risk_fen, s.amount_at_risk_fen);
    assert_eq!(total.payments, 19_942);
    assert_eq!(total.paid_fen, 1_037_148_367);
    assert_eq!(total.payees, 2_757);
    // each level sorted by money at risk
    for l in [Level::County, Level::Township, Level::Village] {
        let v: Vec<i64> = of(l).map(|x| x.amount_at_risk_fen).collect();
        assert!(v.windows(2).all(|w| w[0] >= w[1]), "{l:?} {v:?}");
    }
    // the summary holds the total and the first regions of each level
    assert_eq!(s.hotspots.total.as_ref(), Some(total));
    assert_eq!(s.hotspots.regions, [6, 6, 62]);
    assert_eq!(s.hotspots.villages.len(), 20);
    assert_eq!(
        s.hotspots.villages[0],
        *of(Level::Village).next().expect("v")
    );
}

#[test]
fn a_finding_counts_in_the_village_of_its_first_row() {
    let o = scan_demo(2);
    let rows: BTreeMap<_, _> = o.evidence.iter().map(|e| (e.row, e)).collect();
    let mut want: BTreeMap<String, (u64, BTreeMap<String, u64>)> = BTreeMap::new();
    for f in &o.findings {
        let first = f.cited.first().expect("a finding cites a row");
        let region = rows[&Some(*first)].region.trim().to_string();
        let e = want.entry(region).or_default();
        e.0 += 1;
        *e.1.entry(f.rule.to_string()).or_default() += 1;
    }
    for v in o.hotspots.iter().filter(|h| h.level == Level::Village) {
        let (n, rules) = want.remove(&v.region).unwrap_or_default();
        assert_eq!(v.findings, n, "village {}", v.region);
        for r in &v.top_rules {
            assert_eq!(
                rules.get(&r.rule),
                Some(&r.findings),
                "{} {}",
                v.region,
                r.rule
            );
        }
        assert!(v.findings_per_10k_payees >= 0.0);
    }
    assert!(want.is_empty(), "findings in untallied villages: {want:?}");
}

#[test]
fn the_roll_up_and_exhibits_are_the_same_whatever_the_threads() {
    let a = scan_demo(1);
    let b = scan_demo(8);
    assert_eq!(a.hotspots, b.hotspots);
    assert_eq!(a.exhibits, b.exhibits);
    let (da, db) = (
        tempfile::tempdir().expect("t"),
        tempfile::tempdir().expect("t"),
    );
    subsidy_audit::report::write_all(da.path(), &a).expect("write");
    subsidy_audit::report::write_all(db.path(), &b).expect("write");
    let read = |d: &Path| std::fs::read(d.join("hotspots.csv")).expect("hotspots.csv");
    assert_eq!(read(da.path()), read(db.path()));
    let csv = String::from_utf8(read(da.path())).expect("utf8");
    assert!(csv.starts_with("\u{feff}level,region,township,county,payees,payments,paid,"));
    assert_eq!(csv.lines().count(), 1 + 1 + 6 + 6 + 62);
    assert!(csv
        .lines()
        .nth(1)
        .expect("total")
        .starts_with("total,*,,,2757,19942,10371483.67,"));
}

#[test]
fn digit_curves_and_round_shares_match_the_findings() {
    let o = scan_demo(2);
    let x = &o.exhibits;
    assert!(!x.digits.is_empty());
    for c in &x.digits {
        assert!(c.rule == "DIG001" || c.rule == "DIG004", "{}", c.rule);
        let test = if c.rule == "DIG001" {
            "first two digits"
        } else {
            "last two digits"
        };
        assert_eq!(c.test, test);
        let bins = if c.rule == "DIG001" { 90 } else { 100 };
        assert_eq!(c.observed.len(), bins);
        assert_eq!(c.expected.len(), bins);
        assert_eq!(c.first_digit, if c.rule == "DIG001" { 10 } else { 0 });
        assert_eq!(c.observed.iter().sum::<u64>(), c.n);
        assert!((c.expected.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let found = o
            .findings
            .iter()
            .any(|f| f.rule == c.rule && f.subject == c.unit);
        assert_eq!(found, c.flagged, "{} {} {}", c.rule, c.level, c.unit);
        assert!(!(c.flagged && c.not_testable.is_some()));
    }
    // the demo's units are too small to test: every curve says why (the `digits` command says the same)
    assert!(x.digits.iter().all(|c| c.not_testable.is_some()));
    let units: std::collections::BTreeSet<(&str, &str)> = x
        .digits
        .iter()
        .map(|c| (c.level.as_str(), c.unit.as_str()))
        .collect();
    assert!(units.contains(&("county", "110101")), "{units:?}");
    assert_eq!(x.digits.len(), 2 * units.len());
    let flagged_digits = x.digits.iter().filter(|c| c.flagged).count();
    let digit_findings = o
        .findings
        .iter()
        .filter(|f| f.rule == "DIG001" || f.rule == "DIG004")
        .count();
    assert_eq!(flagged_digits, digit_findings);
    // flagged units first
    assert!(x.digits.windows(2).all(|w| w[0].flagged >= w[1].flagged));
    // AMT003: every officer it flagged is a share flagged, and the other way round
    let officers: Vec<&str> = o
        .findings
        .iter()
        .filter(|f| f.rule == "AMT003" && f.subject_kind.as_str() == "officer")
        .map(|f| f.subject.as_str())
        .collect();
    let mut flagged: Vec<&str> = x
        .round_sums
        .iter()
        .filter(|s| s.flagged)
        .map(|s| s.officer.as_str())
        .collect();
    flagged.sort_unstable();
    let mut want = officers.clone();
    want.sort_unstable();
    assert_eq!(flagged, want);
    assert!(!want.is_empty(), "the demo plants round sums by an officer");
    for s in &x.round_sums {
        assert!(s.round >= 1 && s.round <= s.payees);
        assert!((s.share - s.round as f64 / s.payees as f64).abs() < 1e-12);
        assert!(s.flagged == (s.share > s.expected) || !s.flagged);
    }
}

#[test]
fn report_names_what_is_written_and_removes_the_rest() {
    let d = tempfile::tempdir().expect("tmp");
    let out = d.path().join("out");
    common::bin()
        .args(["scan", demo().to_str().expect("utf8"), "--out"])
        .arg(&out)
        .args(["-q", "--exit-zero"])
        .assert()
        .success();
    for f in [
        "findings.parquet",
        "findings.jsonl",
        "cases.jsonl",
        "cases.csv",
        "hotspots.csv",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    common::bin()
        .args(["scan", demo().to_str().expect("utf8"), "--out"])
        .arg(&out)
        .args(["-q", "--exit-zero", "--report", "csv,hotspots"])
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["cases.csv", "hotspots.csv", "summary.json"]);
    common::bin()
        .args(["scan", demo().to_str().expect("utf8"), "--out"])
        .arg(&out)
        .args(["--report", "csv,pdf"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown report `pdf` (known: parquet, jsonl, csv, hotspots",
        ));
}

#[test]
fn the_terminal_lists_the_top_regions() {
    let d = tempfile::tempdir().expect("tmp");
    let a = common::bin()
        .args(["scan", demo().to_str().expect("utf8"), "--out"])
        .arg(d.path())
        .arg("--exit-zero")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(text.contains("county (of 6)"), "{text}");
    assert!(text.contains("\n120101  "), "{text}");
    assert!(text.contains("every region of every level in hotspots.csv"));
}
