//! The scan against the generator's answer key: on generated ledgers every planted payment of the duplicate
//! family is cited by its rule, every payment cited is planted, and a clean ledger gives no finding at all.

use std::path::Path;
use subsidy_audit::generate::{generate, GenerateOptions};
use subsidy_audit::{report, scan, ScanOptions};

fn scan_folder(data: &Path, out: &Path, select: &[&str]) -> subsidy_audit::Outcome {
    let opts = ScanOptions {
        inputs: vec![data.to_path_buf()],
        select: select.iter().map(ToString::to_string).collect(),
        ..ScanOptions::default()
    };
    let o = scan(&opts, &|_, _| {}).expect("scan");
    report::write_all(out, &o).expect("write");
    o
}

fn gen(dir: &Path, rows: u64, anomaly_rate: f64, seed: u64) {
    let opts = GenerateOptions {
        rows,
        out: dir.to_path_buf(),
        seed,
        anomaly_rate,
        row_group_rows: 4096,
        ..GenerateOptions::default()
    };
    generate(&opts).expect("generate");
}

#[test]
fn duplicate_family_finds_every_planted_payment_and_nothing_else() {
    let d = tempfile::tempdir().expect("tmp");
    let data = d.path().join("data");
    gen(&data, 30_000, 0.005, 11);
    let out = d.path().join("out");
    scan_folder(&data, &out, &["DUP"]);
    let e = subsidy_audit::evaluate::evaluate(
        &data.join("truth.parquet"),
        &out.join("findings.parquet"),
    )
    .expect("evaluate");
    for kind in [
        "duplicate",
        "one_payee_many_accounts",
        "shared_account",
        "cross_region",
    ] {
        let k = e.kinds.iter().find(|k| k.kind == kind).expect("kind");
        assert!(k.evaluated && k.planted_payments > 0, "{kind}: {k:?}");
        assert_eq!(k.recall_payment, Some(1.0), "{kind}: {k:?}");
        assert_eq!(k.precision_payment, Some(1.0), "{kind}: {k:?}");
        assert_eq!(k.recall_subject, Some(1.0), "{kind}: {k:?}");
    }
    for r in &e.rules {
        assert_eq!(r.precision_payment, Some(1.0), "{r:?}");
    }
}

#[test]
fn clean_generated_ledger_gives_no_finding() {
    let d = tempfile::tempdir().expect("tmp");
    let data = d.path().join("data");
    gen(&data, 30_000, 0.0, 5);
    let o = scan_folder(&data, &d.path().join("out"), &[]);
    assert_eq!(o.summary.rows_scanned, o.summary.rows_read);
    assert!(o.summary.rows_read > 25_000);
    assert_eq!(o.findings.len(), 0, "{:?}", o.findings.first());
    assert_eq!(o.exit_code(), 0);
}

#[test]
fn demo_fixture_scans_to_its_planted_cases() {
    let d = tempfile::tempdir().expect("tmp");
    let o = scan_folder(Path::new("fixtures/demo"), d.path(), &["DUP"]);
    assert_eq!(o.summary.rows_read, 20_000);
    assert_eq!(
        o.summary.rules_run,
        vec!["DUP001", "DUP002", "DUP003", "DUP004", "DUP005"]
    );
    assert!(o.summary.referrals > 0);
    assert_eq!(o.exit_code(), 1);
}

#[test]
fn every_rule_gives_byte_identical_outputs_whatever_the_threads_and_batch_size() {
    let d = tempfile::tempdir().expect("tmp");
    let mut outputs = Vec::new();
    for (threads, batch) in [(1, 8192), (8, 7), (3, 1000)] {
        let opts = ScanOptions {
            inputs: vec![Path::new("fixtures/demo").to_path_buf()],
            threads: Some(threads),
            batch_size: Some(batch),
            ..ScanOptions::default()
        };
        let o = scan(&opts, &|_, _| {}).expect("scan");
        assert!(o.summary.rules_run.len() >= 17);
        let out = d.path().join(format!("out-{threads}-{batch}"));
        report::write_all(&out, &o).expect("write");
        let files: Vec<Vec<u8>> = [
            "findings.parquet",
            "findings.jsonl",
            "cases.csv",
            "cases.jsonl",
            "report.xlsx",
        ]
        .iter()
        .map(|n| std::fs::read(out.join(n)).expect("read"))
        .collect();
        let mut summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).expect("read"))
                .expect("json");
        summary["timing"] = serde_json::Value::Null;
        outputs.push((files, summary));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}
