//! DUP005 same-person-many-identities: exact findings on hand-built Chinese and Latin ledgers (real Parquet),
//! the same with 1 thread and many and batch sizes 8192 and 7, recall and precision on a generated ledger, and
//! nothing on a clean one.

mod common;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use common::{findings, row, scan_folder, write_batch, Ledger, Row, Summary, SCHEMES};
use std::path::Path;
use std::sync::Arc;
use subsidy_audit::generate::{generate, GenerateOptions};
use subsidy_audit::{scan, ScanOptions};

fn run(input: &Path, config: Option<&Path>, threads: usize, bs: usize) -> subsidy_audit::Outcome {
    run_limited(input, config, threads, bs, None)
}

/// [`run`] under a memory limit (`Some(1)`: every row group's rows spilled to disk).
fn run_limited(
    input: &Path,
    config: Option<&Path>,
    threads: usize,
    bs: usize,
    memory_limit: Option<u64>,
) -> subsidy_audit::Outcome {
    let opts = ScanOptions {
        memory_limit,
        inputs: vec![input.to_path_buf()],
        config: config.map(Path::to_path_buf),
        threads: Some(threads),
        batch_size: Some(bs),
        select: vec!["DUP005".into()],
        ..ScanOptions::default()
    };
    scan(&opts, &|_, _| {}).expect("scan")
}

fn f(subject: &str, txns: &[&str], fen: i64) -> Summary {
    (
        "DUP005".into(),
        subject.into(),
        txns.iter().map(ToString::to_string).collect(),
        fen,
    )
}

fn elderly(txn: &str, month: u32, region: &str, id: &str, name: &str, acct: &str) -> Row {
    row(
        txn,
        "ELDERLY",
        &format!("2024-{month:02}"),
        &format!("2024-{month:02}-15"),
        region,
        id,
        name,
        acct,
        "100.00",
    )
}

fn chinese_rows() -> Vec<Row> {
    vec![
        // 张伟 and 章玮: one person, homophone name, same birth date, another village of the county
        elderly("T01", 1, "520102003004", "520102195003120017", "张伟", "A1"),
        elderly("T02", 2, "520102003004", "520102195003120017", "张伟", "A1"),
        elderly("T03", 1, "520102007001", "520102195003120350", "章玮", "A2"),
        elderly("T04", 2, "520102007001", "520102195003120350", "章玮", "A2"),
        // a month 张伟 was not paid: not at risk
        elderly("T05", 3, "520102007001", "520102195003120350", "章玮", "A2"),
        // 陳大文 (traditional) and 陈大文: ids one digit apart, same village
        elderly(
            "T10",
            1,
            "520102001001",
            "520102194501010013",
            "陳大文",
            "A3",
        ),
        elderly(
            "T11",
            1,
            "520102001001",
            "520102194501010018",
            "陈大文",
            "A4",
        ),
        // clean: the same name and birth date as 张伟 in another county (two people)
        elderly("T20", 1, "110105001001", "110105195003120035", "张伟", "A5"),
        // clean: the same name as 张伟 in his village, born another year
        elderly("T21", 1, "520102003004", "520102196101010012", "张伟", "A6"),
        // clean: spouses sharing a card and a household
        elderly("T22", 1, "520102003004", "520102194003030021", "李娜", "A7").household("H1"),
        elderly("T23", 1, "520102003004", "520102193902020034", "王强", "A7").household("H1"),
        // a returned payment is not a payment
        elderly("T24", 1, "520102007001", "520102195003120369", "张玮", "A8").status("RETURNED"),
    ]
}

#[test]
fn chinese_variants_are_found_exactly() {
    let (_d, ledger, cfg) = scan_folder(&Ledger::new(&chinese_rows()).row_group_size(3), SCHEMES);
    let want = vec![
        f(
            "520102194501010013|520102194501010018",
            &["T10", "T11"],
            10_000,
        ),
        f(
            "520102195003120017|520102195003120350",
            &["T01", "T03", "T02", "T04", "T05"],
            20_000,
        ),
    ];
    for (threads, bs, limit) in [
        (1, 8192, None),
        (4, 7, None),
        (2, 8192, None),
        (2, 7, Some(1)),
    ] {
        let o = run_limited(&ledger, Some(&cfg), threads, bs, limit);
        assert_eq!(findings(&o), want, "threads {threads}, batch {bs}");
        let spilled = o.summary.timing.spill_files > 0;
        assert_eq!(spilled, limit.is_some());
    }
    let o = run(&ledger, Some(&cfg), 2, 8192);
    let e = &o.findings[1].explanation;
    assert!(e.contains("张伟 (520102195003120017) ~ 章玮 (520102195003120350): score 23.0 >= 20.0 (name sounds alike (pinyin) +9, same birth date +12, same county +2)"), "{e}");
    assert!(
        e.contains("章玮 (520102195003120350) 200.00 yuan in 2 payments"),
        "{e}"
    );
    let e = &o.findings[0].explanation;
    assert!(
        e.contains("same name +10")
            && e.contains("ids one edit apart +8")
            && e.contains("same village +4"),
        "{e}"
    );
    assert_eq!(o.findings[0].subject_kind.as_str(), "person");
}

/// A Latin-script ledger with a birth_date column (no birth date in the ids).
fn latin_batch() -> RecordBatch {
    let rows: [(&str, &str, &str, &str, &str); 5] = [
        ("L1", "X1234567", "Jonathan Smith", "1950-03-12", "2600"),
        ("L2", "Q7654321", "Jonathon Smyth", "1950-03-12", "2600"),
        ("L3", "M5550001", "Mary Smith", "1950-03-12", "2600"),
        ("L4", "X1234576", "Jonathan Smith", "1961-07-01", "3000"),
        ("L5", "Z9990001", "Élodie Dupré", "1948-11-02", "2600"),
    ];
    let text = |f: &dyn Fn(&(&str, &str, &str, &str, &str)) -> String| -> ArrayRef {
        Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
    };
    let names = [
        "txn_id",
        "scheme",
        "period",
        "pay_date",
        "region",
        "payee_id",
        "payee_name",
        "account",
        "amount",
        "birth_date",
    ];
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| {
                let t = if *n == "amount" {
                    DataType::Float64
                } else {
                    DataType::Utf8
                };
                Field::new(*n, t, true)
            })
            .collect::<Vec<_>>(),
    ));
    RecordBatch::try_new(
        schema,
        vec![
            text(&|r| r.0.into()),
            text(&|_| "TEKUN".into()),
            text(&|_| "2024-Q1".into()),
            text(&|_| "2024-02-10".into()),
            text(&|r| r.4.into()),
            text(&|r| r.1.into()),
            text(&|r| r.2.into()),
            text(&|r| format!("AC{}", r.0)),
            Arc::new(Float64Array::from(vec![1800.0; rows.len()])),
            text(&|r| r.3.into()),
        ],
    )
    .expect("batch")
}

#[test]
fn latin_variants_are_found_exactly() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("latin.parquet");
    write_batch(&p, &latin_batch(), 2);
    let o = run(&p, None, 2, 8192);
    assert_eq!(
        findings(&o),
        vec![f("Q7654321|X1234567", &["L1", "L2"], 180_000)]
    );
    let e = &o.findings[0].explanation;
    assert!(
        e.contains("Jonathan Smith (X1234567) ~ Jonathon Smyth (Q7654321)"),
        "{e}"
    );
    assert!(
        e.contains("name sounds alike (Soundex) +7, same birth date +12, same village +4"),
        "{e}"
    );
}

fn generated(dir: &Path, anomaly_rate: f64) -> subsidy_audit::Outcome {
    generate(&GenerateOptions {
        rows: 20_000,
        out: dir.to_path_buf(),
        seed: 11,
        anomaly_rate,
        rates: if anomaly_rate > 0.0 {
            [("fuzzy_duplicate".to_string(), 0.02)]
                .into_iter()
                .collect()
        } else {
            std::collections::BTreeMap::default()
        },
        row_group_rows: 4096,
        ..GenerateOptions::default()
    })
    .expect("generate");
    run(dir, None, 2, 8192)
}

#[test]
fn generated_ledger_recall_and_precision() {
    let t = tempfile::tempdir().expect("tmp");
    let o = generated(t.path(), 0.005);
    let out = t.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    subsidy_audit::report::parquet::write_findings(&out.join("findings.parquet"), &o.findings)
        .expect("write");
    let e = subsidy_audit::evaluate::evaluate(
        &t.path().join("truth.parquet"),
        &out.join("findings.parquet"),
    )
    .expect("evaluate");
    let k = e
        .kinds
        .iter()
        .find(|k| k.kind == "fuzzy_duplicate")
        .expect("kind");
    assert!(k.planted_subjects >= 10, "{k:?}");
    assert!(k.recall_subject.expect("recall") >= 0.95, "{k:?}");
    assert!(k.precision_subject.expect("precision") >= 0.95, "{k:?}");
    assert!(k.recall_payment.expect("recall") >= 0.95, "{k:?}");
}

#[test]
fn clean_generated_ledger_gives_nothing() {
    let t = tempfile::tempdir().expect("tmp");
    let o = generated(t.path(), 0.0);
    assert!(o.findings.is_empty(), "{:?}", findings(&o));
}
