//! Columns as real files store them: Parquet BINARY strings without the UTF8 annotation (Hive, Impala) and
//! amounts stored as decimal text, on the duplicate fixture and a Hive-style twin of it.

mod common;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, RecordBatch};
use arrow::datatypes::{DataType, Decimal128Type, Field, Schema};
use common::{bin, dup_rows, summary_json, Ledger, Parquet, SCHEMES};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use subsidy_audit::ledger::decode::fmt_date;
use subsidy_audit::money::fmt_yuan;

/// `1234567.5` yuan as an export prints it: ` 1,234,567.50`.
fn with_thousands(fen: i128) -> String {
    let plain = fmt_yuan(i64::try_from(fen).expect("fen"));
    let (sign, rest) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |r| ("-", r));
    let (int, frac) = rest.split_once('.').expect("decimals");
    let mut grouped = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!(" {sign}{grouped}.{frac}")
}

/// The batch as Hive writes it: every text column BINARY, the date as text, the amount as decimal text;
/// `edit(row, column)` may replace a cell's bytes.
fn hive(b: &RecordBatch, edit: impl Fn(usize, &str) -> Option<Vec<u8>>) -> RecordBatch {
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for (f, a) in b.schema().fields().iter().zip(b.columns()) {
        let cell = |i: usize| -> Option<Vec<u8>> {
            if a.is_null(i) {
                return None;
            }
            Some(match a.data_type() {
                DataType::Utf8 => a.as_string::<i32>().value(i).as_bytes().to_vec(),
                DataType::Date32 => {
                    fmt_date(a.as_primitive::<arrow::datatypes::Date32Type>().value(i)).into_bytes()
                }
                DataType::Decimal128(..) => {
                    with_thousands(a.as_primitive::<Decimal128Type>().value(i)).into_bytes()
                }
                other => panic!("unexpected {other}"),
            })
        };
        let values: Vec<Option<Vec<u8>>> = (0..a.len())
            .map(|i| edit(i, f.name()).or_else(|| cell(i)))
            .collect();
        let arr: BinaryArray = values.iter().map(|v| v.as_deref()).collect();
        fields.push(Field::new(f.name(), DataType::Binary, true));
        cols.push(Arc::new(arr));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("batch")
}

/// Writes without the Arrow schema in the footer, as Hive and Impala do: the reader sees plain BINARY.
fn write_hive(path: &Path, b: &RecordBatch) {
    Parquet::row_groups(7).without_arrow_schema().write(path, b);
}

fn scan(ledger: &Path, cfg: &Path, out: &Path) -> (String, String, Value) {
    bin()
        .args(["scan", "--select", "DUP", "-q"])
        .arg(ledger)
        .arg("--config")
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .assert()
        .code(1);
    let read = |n: &str| std::fs::read_to_string(out.join(n)).expect("output");
    let summary = serde_json::from_str(&read("summary.json")).expect("json");
    (read("findings.jsonl"), read("cases.jsonl"), summary)
}

#[test]
fn hive_binary_strings_and_text_amounts_scan_like_their_utf8_twin() {
    let d = tempfile::tempdir().expect("tmp");
    let cfg = d.path().join("s.toml");
    std::fs::write(&cfg, SCHEMES).expect("cfg");
    let ledger = Ledger::new(&dup_rows()).row_group_size(7);
    let utf8 = ledger.batch();
    let twin = d.path().join("utf8.parquet");
    ledger.write(&twin);
    let hive_path = d.path().join("hive.parquet");
    write_hive(&hive_path, &hive(&utf8, |_, _| None));
    // the reader really sees BINARY (no UTF8 annotation, no Arrow schema)
    let meta = parquet::arrow::arrow_reader::ArrowReaderMetadata::load(
        &std::fs::File::open(&hive_path).expect("open"),
        parquet::arrow::arrow_reader::ArrowReaderOptions::new(),
    )
    .expect("meta");
    assert!(meta
        .schema()
        .fields()
        .iter()
        .all(|f| f.data_type() == &DataType::Binary));
    let (f1, c1, s1) = scan(&twin, &cfg, &d.path().join("a"));
    let (f2, c2, s2) = scan(&hive_path, &cfg, &d.path().join("b"));
    assert_eq!(f1.lines().count(), 7);
    assert_eq!(f1, f2, "same findings");
    assert_eq!(c1, c2, "same cases");
    assert_eq!(s2["rows_scanned"], 24);
    assert_eq!(s2["inputs"][0]["problems"], serde_json::json!([]));
    assert_eq!(s1["amount_at_risk_fen"], s2["amount_at_risk_fen"]);
}

#[test]
fn bad_bytes_and_bad_amount_text_are_counted_per_column() {
    let d = tempfile::tempdir().expect("tmp");
    let cfg = d.path().join("s.toml");
    std::fs::write(&cfg, SCHEMES).expect("cfg");
    let utf8 = Ledger::new(&dup_rows()).batch();
    let path = d.path().join("hive.parquet");
    write_hive(
        &path,
        &hive(&utf8, |row, col| match (row, col) {
            // 张三 in GBK: not UTF-8
            (0, "payee_name") => Some(vec![0xD5, 0xC5, 0xC8, 0xFD]),
            (1, "amount") => Some(b"12,5".to_vec()),
            (2, "amount") => Some(b"  ".to_vec()),
            (3, "period") => Some(vec![0x32, 0x30, 0xFF]),
            (4, "amount") => Some(b"\xA3100.00".to_vec()),
            (5, "amount") => Some(b"(100.00)".to_vec()),
            _ => None,
        }),
    );
    let out = d.path().join("out");
    bin()
        .args(["scan", "--select", "DUP", "-q", "--exit-zero"])
        .arg(&path)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let s = summary_json(&out);
    let i = &s["inputs"][0];
    // each bad cell counted once, under its column; a row with a problem is left out of the rules
    assert_eq!(
        i["problems"],
        serde_json::json!([
            {"column": "period", "problem": "unparsable", "rows": 1, "sample_rows": [3]},
            {"column": "payee_name", "problem": "unparsable", "rows": 1, "sample_rows": [0]},
            {"column": "amount", "problem": "null", "rows": 1, "sample_rows": [2]},
            {"column": "amount", "problem": "unparsable", "rows": 2, "sample_rows": [1, 4]}
        ])
    );
    assert_eq!(s["rows_read"], 24);
    assert_eq!(s["rows_with_problems"], 5);
    assert_eq!(s["rows_scanned"], 19);
}
