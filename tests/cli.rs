//! The binary as a user runs it: exit codes, outputs, error messages for each kind of bad input, atomic
//! outputs, and byte-identical outputs whatever the thread count and batch size.

mod common;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use assert_cmd::Command;
use common::{bin, dup_folder, dup_rows, row, summary_json, write_batch, Col, Ledger, SCHEMES};
use predicates::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// A scan of the duplicate family (its fixture's ids and accounts are placeholders such as `P01`/`A01`,
/// which the GHO rules would rightly flag).
fn scan(ledger: &Path, cfg: &Path, out: &Path) -> Command {
    let mut c = bin();
    c.arg("scan")
        .args(["--select", "DUP"])
        .arg(ledger)
        .arg("--config")
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .arg("-q");
    c
}

#[test]
fn referrals_exit_1_and_write_every_output() {
    let (d, ledger, cfg) = dup_folder(5);
    let out = d.path().join("out");
    scan(&ledger, &cfg, &out).assert().code(1).stdout("");
    for name in [
        "findings.parquet",
        "findings.jsonl",
        "cases.csv",
        "cases.jsonl",
        "summary.json",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    let csv = std::fs::read(out.join("cases.csv")).expect("csv");
    assert!(csv.starts_with("\u{feff}rank,case_id,score".as_bytes()));
    let jsonl = std::fs::read_to_string(out.join("findings.jsonl")).expect("jsonl");
    assert_eq!(jsonl.lines().count(), 7);
    let first: serde_json::Value =
        serde_json::from_str(jsonl.lines().next().expect("line")).expect("json");
    for key in [
        "rule",
        "severity",
        "subject_kind",
        "subject",
        "amount_fen",
        "txn_ids",
        "explanation",
        "case_id",
    ] {
        assert!(first.get(key).is_some(), "findings.jsonl lacks {key}");
    }
    let summary = summary_json(&out);
    assert_eq!(summary["rows_read"], 24);
    assert_eq!(summary["findings_per_rule"]["DUP001"], 4);
    assert_eq!(
        summary["inputs"][0]["sha256"].as_str().map(str::len),
        Some(64)
    );
    scan(&ledger, &cfg, &out)
        .arg("--exit-zero")
        .assert()
        .code(0);
}

#[test]
fn clean_data_exits_0_with_no_finding() {
    let d = tempfile::tempdir().expect("tmp");
    let rows: Vec<_> = dup_rows().into_iter().take(12).collect();
    Ledger::new(&rows)
        .row_group_size(4)
        .write(&d.path().join("l.parquet"));
    let cfg = d.path().join("s.toml");
    std::fs::write(&cfg, SCHEMES).expect("write");
    let out = d.path().join("out");
    scan(&d.path().join("l.parquet"), &cfg, &out)
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(out.join("findings.jsonl")).expect("read"),
        ""
    );
}

#[test]
fn table_json_and_csv_formats() {
    let (d, ledger, cfg) = dup_folder(5);
    let out = d.path().join("out");
    bin()
        .args(["scan", "--select", "DUP"])
        .arg(&ledger)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("scanned 24 rows")
                .and(predicate::str::contains("7 findings"))
                .and(predicate::str::contains("5 cases")),
        );
    let o = bin()
        .args(["scan", "--select", "DUP", "--format", "json"])
        .arg(&ledger)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["cases"].as_array().map(Vec::len), Some(5));
    bin()
        .args(["scan", "--format", "csv"])
        .arg(&ledger)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .stdout(predicate::str::starts_with("rank,case_id"));
}

#[test]
fn baseline_cases_are_not_referred_again() {
    let (d, ledger, cfg) = dup_folder(5);
    let out = d.path().join("out");
    scan(&ledger, &cfg, &out).assert().code(1);
    let baseline = d.path().join("reviewed.csv");
    std::fs::copy(out.join("cases.csv"), &baseline).expect("copy");
    scan(&ledger, &cfg, &d.path().join("out2"))
        .arg("--baseline")
        .arg(&baseline)
        .assert()
        .code(0);
    let s = summary_json(&d.path().join("out2"));
    assert_eq!(s["referrals"], 0);
    assert_eq!(s["reviewed_in_baseline"], 5);
}

fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    [
        "findings.parquet",
        "findings.jsonl",
        "cases.csv",
        "cases.jsonl",
        "report.xlsx",
        "summary.json",
    ]
    .iter()
    .map(|n| {
        let mut bytes = std::fs::read(dir.join(n)).expect("read");
        if *n == "summary.json" {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            v["timing"] = serde_json::Value::Null;
            bytes = serde_json::to_vec(&v).expect("json");
        }
        ((*n).to_string(), bytes)
    })
    .collect()
}

#[test]
fn outputs_are_byte_identical_across_threads_and_batch_sizes() {
    let (d, ledger, cfg) = dup_folder(5);
    let mut runs = Vec::new();
    for (threads, batch) in [("1", "8192"), ("8", "7"), ("3", "1")] {
        let out = d.path().join(format!("out-{threads}-{batch}"));
        scan(&ledger, &cfg, &out)
            .args(["--threads", threads, "--batch-size", batch])
            .assert()
            .code(1);
        runs.push(outputs(&out));
    }
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
}

fn fails_with(args: &[&std::ffi::OsStr], needles: &[&str]) {
    // a fresh working folder: a run without `--out` must not write into the repository or share `audit-out`
    let cwd = tempfile::tempdir().expect("tmp");
    let a = bin()
        .current_dir(cwd.path())
        .args(args)
        .assert()
        .code(2)
        .stdout("");
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks `{n}`: {err}");
    }
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn missing_path_is_an_error() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("nope.parquet");
    fails_with(
        &[os("scan"), p.as_os_str()],
        &["nope.parquet", "no such file"],
    );
}

#[test]
fn folder_without_parquet_is_an_error() {
    let d = tempfile::tempdir().expect("tmp");
    std::fs::write(d.path().join("readme.txt"), "x").expect("write");
    fails_with(
        &[os("scan"), d.path().as_os_str()],
        &["holds no Parquet file"],
    );
}

#[test]
fn non_parquet_file_is_an_error() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("ledger.parquet");
    std::fs::write(&p, "txn_id,amount\nT1,12.00\n").expect("write");
    fails_with(
        &[os("scan"), p.as_os_str()],
        &["ledger.parquet", "not a Parquet file"],
    );
}

#[test]
fn truncated_parquet_is_an_error_and_leaves_earlier_outputs_untouched() {
    let (d, ledger, cfg) = dup_folder(5);
    let out = d.path().join("out");
    scan(&ledger, &cfg, &out).assert().code(1);
    let before = outputs(&out);
    let bytes = std::fs::read(&ledger).expect("read");
    let cut = d.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    fails_with(
        &[
            os("scan"),
            cut.as_os_str(),
            os("--config"),
            cfg.as_os_str(),
            os("--out"),
            out.as_os_str(),
        ],
        &["cut.parquet", "truncated"],
    );
    assert_eq!(outputs(&out), before);
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    // every output, and nothing else: no temporary file or folder left
    assert_eq!(
        names.len(),
        subsidy_audit::report::OUTPUTS.len(),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .all(|n| subsidy_audit::report::OUTPUTS.contains(&n.as_str())),
        "no temporary file left: {names:?}"
    );
}

#[test]
fn corrupt_data_pages_are_an_error_that_names_the_row_group() {
    let (d, ledger, cfg) = dup_folder(5);
    let mut bytes = std::fs::read(&ledger).expect("read");
    // scribble over the first data page of payee_id (a column the scan reads), keep the footer intact
    let meta = parquet::file::reader::FileReader::metadata(
        &parquet::file::reader::SerializedFileReader::new(
            std::fs::File::open(&ledger).expect("open"),
        )
        .expect("reader"),
    )
    .clone();
    let col = meta.row_group(0).column(5);
    let start = usize::try_from(col.data_page_offset()).expect("offset");
    for b in &mut bytes[start..start + 40] {
        *b = 0xAB;
    }
    std::fs::write(&ledger, &bytes).expect("write");
    let a = scan(&ledger, &cfg, &d.path().join("out")).assert().code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("ledger.parquet") && err.contains("row group"),
        "{err}"
    );
    assert!(!d.path().join("out/findings.jsonl").exists());
}

#[test]
fn empty_file_scans_to_nothing() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("empty.parquet");
    Ledger::new(&[]).row_group_size(10).write(&p);
    let out = d.path().join("out");
    bin()
        .arg("scan")
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        // no row scanned: the data-quality gate (exit 3), outputs still written
        .code(3);
    let s = summary_json(&out);
    assert_eq!(s["rows_read"], 0);
    assert_eq!(s["findings"], 0);
}

#[test]
fn mapped_column_that_is_absent_is_an_error() {
    let (d, ledger, _) = dup_folder(5);
    let cfg = d.path().join("c.toml");
    std::fs::write(&cfg, "[columns]\npayee_id = \"身份证号\"\n").expect("write");
    fails_with(
        &[
            os("scan"),
            ledger.as_os_str(),
            os("--config"),
            cfg.as_os_str(),
        ],
        &["ledger.parquet", "身份证号", "payee_id"],
    );
}

#[test]
fn mapping_renames_columns() {
    let d = tempfile::tempdir().expect("tmp");
    Ledger::new(&dup_rows())
        .rename("payee_id", "身份证号")
        .row_group_size(8)
        .write(&d.path().join("l.parquet"));
    let cfg = d.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!("[columns]\npayee_id = \"身份证号\"\n{SCHEMES}"),
    )
    .expect("write");
    let out = d.path().join("out");
    scan(&d.path().join("l.parquet"), &cfg, &out)
        .assert()
        .code(1);
    let s = summary_json(&out);
    assert_eq!(s["findings"], 7);
}

#[test]
fn column_of_the_wrong_type_is_an_error() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("l.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("payee_id", DataType::Utf8, true),
        // decimal text is an amount (parsed exactly); a boolean is not
        Field::new("amount", DataType::Boolean, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["P1"])),
        Arc::new(arrow::array::BooleanArray::from(vec![true])),
    ];
    write_batch(&p, &RecordBatch::try_new(schema, cols).expect("batch"), 10);
    fails_with(
        &[os("scan"), p.as_os_str()],
        &["l.parquet", "`amount`", "Boolean", "number"],
    );
}

#[test]
fn nulls_and_unparsable_values_are_counted_and_the_scan_goes_on() {
    let d = tempfile::tempdir().expect("tmp");
    let mut rows = dup_rows();
    rows.push(row(
        "T90",
        "FARMLAND",
        "2024-13",
        "2024-04-12",
        "R",
        "P90",
        "甲",
        "A90",
        "1.00",
    ));
    rows.push(row(
        "T91",
        "FARMLAND",
        "2024",
        "2024-04-12",
        "R",
        "",
        "乙",
        "A91",
        "1.00",
    ));
    rows.push(
        row(
            "T92",
            "FARMLAND",
            "2024",
            "2024-04-12",
            "R",
            "P92",
            "丙",
            "A92",
            "1.00",
        )
        .status("PAYED"),
    );
    rows.push(row(
        "T93",
        "FARMLAND",
        "2024",
        "2024-04-12",
        "R",
        "P93",
        "丁",
        "A93",
        "",
    ));
    let p = d.path().join("l.parquet");
    Ledger::new(&rows).row_group_size(7).write(&p);
    let cfg = d.path().join("s.toml");
    std::fs::write(&cfg, SCHEMES).expect("write");
    let out = d.path().join("out");
    scan(&p, &cfg, &out).assert().code(1);
    let s = summary_json(&out);
    assert_eq!(s["rows_read"], 28);
    assert_eq!(s["rows_scanned"], 24);
    assert_eq!(s["rows_with_problems"], 4);
    assert_eq!(s["findings"], 7);
    let problems = s["inputs"][0]["problems"].as_array().expect("problems");
    let got: Vec<(String, String, u64, Vec<u64>)> = problems
        .iter()
        .map(|p| {
            (
                p["column"].as_str().unwrap_or_default().to_string(),
                p["problem"].as_str().unwrap_or_default().to_string(),
                p["rows"].as_u64().unwrap_or_default(),
                p["sample_rows"]
                    .as_array()
                    .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let want = vec![
        ("period".to_string(), "unparsable".to_string(), 1, vec![24]),
        ("payee_id".into(), "null".into(), 1, vec![25]),
        ("amount".into(), "null".into(), 1, vec![27]),
        ("status".into(), "unparsable".into(), 1, vec![26]),
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want;
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted);
}

#[test]
fn unknown_config_key_is_an_error_that_names_it() {
    let (d, ledger, _) = dup_folder(5);
    let cfg = d.path().join("c.toml");
    std::fs::write(&cfg, "[scan]\nreferal_threshold = 3\n").expect("write");
    fails_with(
        &[
            os("scan"),
            ledger.as_os_str(),
            os("--config"),
            cfg.as_os_str(),
        ],
        &["c.toml", "scan.referal_threshold"],
    );
    std::fs::write(&cfg, "[rules.DUP003]\nmin_payee = 3\n").expect("write");
    fails_with(
        &[
            os("scan"),
            ledger.as_os_str(),
            os("--config"),
            cfg.as_os_str(),
        ],
        &["rules.DUP003.min_payee"],
    );
    std::fs::write(&cfg, "[rules.DUP999]\nx = 3\n").expect("write");
    fails_with(
        &[
            os("scan"),
            ledger.as_os_str(),
            os("--config"),
            cfg.as_os_str(),
        ],
        &["rules.DUP999"],
    );
}

#[test]
fn unknown_select_code_is_an_error() {
    let (_d, ledger, _) = dup_folder(5);
    fails_with(
        &[
            os("scan"),
            ledger.as_os_str(),
            os("--select"),
            os("DUP001,XYZ9"),
        ],
        &["XYZ9"],
    );
    fails_with(
        &[os("scan"), ledger.as_os_str(), os("--ignore"), os("NOPE")],
        &["NOPE"],
    );
}

#[test]
fn rules_without_their_columns_are_skipped_with_the_reason() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("l.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("payee_id", DataType::Utf8, true),
        Field::new("account", DataType::Utf8, true),
        Field::new("amount", DataType::Int64, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["P1", "P2", "P3"])),
        Arc::new(StringArray::from(vec!["A", "A", "A"])),
        Arc::new(Int64Array::from(vec![10, 20, 30])),
    ];
    write_batch(&p, &RecordBatch::try_new(schema, cols).expect("batch"), 10);
    let out = d.path().join("out");
    bin()
        .arg("scan")
        .arg(&p)
        .args(["--select", "DUP"])
        .arg("--out")
        .arg(&out)
        .args(["-q", "--select", "DUP"])
        .assert()
        .code(0);
    let s = summary_json(&out);
    assert_eq!(s["rules_run"], serde_json::json!(["DUP003"]));
    let skipped = s["rules_skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 4); // DUP001, DUP002, DUP004, DUP005
    assert_eq!(skipped[0]["code"], "DUP001");
    assert_eq!(skipped[0]["reason"], "ledger lacks columns scheme, period");
    // the three payees share account A but have no txn ids: evidence falls back to file:row
    let f = std::fs::read_to_string(out.join("findings.jsonl")).expect("read");
    assert!(f.contains("\"l.parquet:0\""), "{f}");
    bin().arg("check").arg(&p).assert().code(0).stdout(
        predicate::str::contains("DUP001 duplicate-payment").and(predicate::str::contains(
            "skipped: ledger lacks columns scheme, period",
        )),
    );
}

#[test]
fn hive_partitions_supply_missing_columns() {
    let d = tempfile::tempdir().expect("tmp");
    let rows = dup_rows();
    // the same rows split by period into hive folders, without their period column
    let mut periods: Vec<String> = rows.iter().map(|r| r.period.clone()).collect();
    periods.sort();
    periods.dedup();
    for p in &periods {
        let part: Vec<_> = rows.iter().filter(|r| &r.period == p).cloned().collect();
        Ledger::new(&part)
            .without(&[Col::Period])
            .row_group_size(100)
            .write(&d.path().join(format!("ledger/period={p}/part-0.parquet")));
    }
    let cfg = d.path().join("s.toml");
    std::fs::write(&cfg, SCHEMES).expect("write");
    let out = d.path().join("out");
    scan(&d.path().join("ledger"), &cfg, &out).assert().code(1);
    let s = summary_json(&out);
    assert_eq!(s["findings"], 7);
    assert_eq!(s["inputs"].as_array().map(Vec::len), Some(periods.len()));
}

#[test]
fn rules_lists_and_explains() {
    let o = bin()
        .args(["rules", "--format", "json"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let arr = v.as_array().expect("array");
    assert!(arr.len() >= 4);
    for r in arr {
        assert!(r["code"].is_string() && r["name"].is_string() && r["summary"].is_string());
    }
    bin().args(["explain", "DUP003"]).assert().code(0).stdout(
        predicate::str::contains("What it flags").and(predicate::str::contains("False positives")),
    );
    bin()
        .args(["explain", "NOPE1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NOPE1"));
    bin().args(["scan"]).assert().code(2);
}
