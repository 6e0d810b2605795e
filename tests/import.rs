//! `import`: ledgers as finance systems export them (GBK CSV with a title line, UTF-8 TSV with a BOM, an
//! Excel workbook, bad rows) converted into Parquet and scanned.

mod common;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Decimal128Type};
use assert_cmd::Command;
use common::{bin, summary_json};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The mapping of a county's export (Chinese headers) and its scheme.
const CONFIG: &str = r#"
[columns]
txn_id = "流水号"
scheme = "补贴项目"
period = "发放期间"
pay_date = "发放日期"
region = "行政区划"
payee_id = "身份证号"
payee_name = "姓名"
account = "银行卡号"
amount = "发放金额"

[schemes.ELDERLY]
frequency = "monthly"
"#;

const HEADER: [&str; 10] = [
    "流水号",
    "补贴项目",
    "发放期间",
    "发放日期",
    "行政区划",
    "身份证号",
    "姓名",
    "银行卡号",
    "发放金额",
    "备注",
];

/// Four payments and the total line finance systems append: 张伟 is paid twice for 2024-01.
const ROWS: [[&str; 10]; 5] = [
    [
        "T0001",
        "ELDERLY",
        "2024-01",
        "2024-01-05",
        "110101001001",
        "110101196205035536",
        "张伟",
        "6222020200112233445",
        "1,200.00",
        "",
    ],
    [
        "T0002",
        "ELDERLY",
        "2024-01",
        "2024-01-20",
        "110101001001",
        "110101196205035536",
        "张伟",
        "6222020200112233445",
        "1200.00",
        "补发",
    ],
    [
        "T0003",
        "ELDERLY",
        "2024-01",
        "2024-01-05",
        "110101001002",
        "120101195304239216",
        "李娜",
        "6222020200998877665",
        "100.50",
        "",
    ],
    [
        "T0004",
        "ELDERLY",
        "2024-02",
        "2024-02-05",
        "110101001001",
        "110101196205035536",
        "张伟",
        "6222020200112233445",
        "1200.00",
        "",
    ],
    ["合计", "", "", "", "", "", "", "", "3,700.50", ""],
];

/// The ledger as delimited text: `title` first when given, fields quoted where they hold the delimiter.
fn delimited(delim: char, title: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(t) = title {
        s += t;
        s += &delim.to_string().repeat(9);
        s += "\r\n";
    }
    let line = |cells: &[&str]| {
        cells
            .iter()
            .map(|c| {
                if c.contains(delim) {
                    format!("\"{c}\"")
                } else {
                    (*c).to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(&delim.to_string())
            + "\r\n"
    };
    s += &line(&HEADER);
    for r in &ROWS {
        s += &line(r);
    }
    s
}

struct Dir {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

impl Dir {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().to_path_buf();
        std::fs::write(path.join("audit.toml"), CONFIG).expect("config");
        Self { _tmp: tmp, path }
    }
    fn config(&self) -> PathBuf {
        self.path.join("audit.toml")
    }
}

fn import(input: &Path, out: &Path, config: &Path) -> Command {
    let mut c = bin();
    c.arg("import")
        .arg(input)
        .arg("--out")
        .arg(out)
        .arg("--config")
        .arg(config);
    c
}

fn summary(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("import-summary.json")).expect("summary"))
        .expect("json")
}

/// Scans `ledger` with DUP001 alone; returns findings.jsonl and summary.json.
fn scan_dup(ledger: &Path, config: &Path, out: &Path) -> (String, Value) {
    bin()
        .args(["scan", "--select", "DUP001", "-q"])
        .arg(ledger)
        .arg("--config")
        .arg(config)
        .arg("--out")
        .arg(out)
        .assert()
        .code(1);
    let findings = std::fs::read_to_string(out.join("findings.jsonl")).expect("findings");
    (findings, summary_json(out))
}

/// The finding every form of the ledger must give.
fn assert_the_duplicate(findings: &str, scan: &Value) {
    let lines: Vec<Value> = findings
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 1, "{findings}");
    let f = &lines[0];
    assert_eq!(f["rule"], "DUP001");
    assert_eq!(f["subject"], "110101196205035536");
    assert_eq!(f["amount_fen"], 120_000);
    assert_eq!(f["txn_ids"], serde_json::json!(["T0001", "T0002"]));
    // the total line was left out by the import, so no payee `合计` and no data-quality problem
    assert_eq!(scan["rows_read"], 4);
    assert_eq!(scan["rows_scanned"], 4);
    assert_eq!(scan["rows_with_problems"], 0);
}

fn read_parquet(path: &Path) -> RecordBatch {
    let f = std::fs::File::open(path).expect("open");
    let r = ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("parquet")
        .build()
        .expect("reader");
    let batches: Vec<RecordBatch> = r.map(|b| b.expect("batch")).collect();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).expect("concat")
}

#[test]
fn gbk_csv_with_a_title_line_imports_and_scans_to_the_duplicate() {
    let d = Dir::new();
    let text = delimited(',', Some("XX县2024年高龄津贴发放明细表"));
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "really GBK bytes");
    let input = d.path.join("发放明细.csv");
    std::fs::write(&input, &gbk).expect("write");
    let out = d.path.join("parquet");
    import(&input, &out, &d.config())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("gb18030 (detected)"));
    let s = summary(&out);
    let i = &s["inputs"][0];
    assert_eq!(i["encoding"], "gb18030");
    assert_eq!(i["encoding_from"], "detected");
    assert_eq!(i["delimiter"], ",");
    assert_eq!(i["header_line"], 2);
    assert_eq!(
        (&i["rows_read"], &i["rows_written"], &i["rows_rejected"]),
        (&Value::from(5), &Value::from(4), &Value::from(1))
    );
    assert_eq!(
        i["rejected"],
        serde_json::json!([{"line": 7, "reason": "a total line (合计)"}])
    );
    assert_eq!(i["columns_ignored"], serde_json::json!(["备注"]));
    assert_eq!(i["problems"], serde_json::json!([]));
    assert_eq!(
        i["output"],
        out.join("发放明细.parquet").display().to_string()
    );
    // typed columns: Chinese names decoded, amounts exact decimals, dates as Date32
    let rb = read_parquet(&out.join("发放明细.parquet"));
    let schema = rb.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        vec![
            "txn_id",
            "scheme",
            "period",
            "pay_date",
            "region",
            "payee_id",
            "payee_name",
            "account",
            "amount"
        ]
    );
    let name = rb.column(6).as_string::<i32>();
    assert_eq!(name.value(0), "张伟");
    assert_eq!(name.value(2), "李娜");
    assert_eq!(rb.column(3).data_type(), &DataType::Date32);
    assert_eq!(rb.column(8).data_type(), &DataType::Decimal128(18, 2));
    let amount = rb.column(8).as_primitive::<Decimal128Type>();
    let fen: Vec<i128> = (0..amount.len()).map(|k| amount.value(k)).collect();
    assert_eq!(fen, vec![120_000, 120_000, 10_050, 120_000]);
    // the scan reads the folder with the same config (its Chinese mapping applies to imported files)
    let (findings, scan) = scan_dup(&out, &d.config(), &d.path.join("audit"));
    assert_the_duplicate(&findings, &scan);
}

#[test]
fn utf8_tsv_with_bom_gives_the_same_findings() {
    let d = Dir::new();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(delimited('\t', None).into_bytes());
    let input = d.path.join("export.tsv");
    std::fs::write(&input, bytes).expect("write");
    let out = d.path.join("parquet");
    import(&input, &out, &d.config()).assert().code(0);
    let i = &summary(&out)["inputs"][0];
    assert_eq!(i["format"], "tsv");
    assert_eq!(i["encoding"], "utf-8");
    assert_eq!(i["encoding_from"], "bom");
    assert_eq!(i["delimiter"], "tab");
    assert_eq!(i["header_line"], 1);
    assert_eq!(i["rows_written"], 4);
    let (findings, scan) = scan_dup(&out, &d.config(), &d.path.join("audit"));
    assert_the_duplicate(&findings, &scan);
    // GBK bytes forced to be read as UTF-8 are not guessed at: the Chinese header cannot be read, so no
    // header row names the amount column
    let gbk = d.path.join("gbk.csv");
    std::fs::write(&gbk, encoding_rs::GBK.encode(&delimited(',', None)).0).expect("write");
    let out2 = d.path.join("forced");
    let mut c = import(&gbk, &out2, &d.config());
    c.args(["--encoding", "utf-8"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("gbk.csv"))
        .stderr(predicate::str::contains("发放金额"));
}

#[test]
fn xlsx_workbook_with_real_dates_and_numbers() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let d = Dir::new();
    let path = d.path.join("发放.xlsx");
    let mut wb = Workbook::new();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    ws.set_name("明细").expect("name");
    ws.write_string(0, 0, "XX县2024年高龄津贴发放明细表")
        .expect("title");
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(2, c as u16, *h).expect("header");
    }
    for (r, row) in ROWS.iter().enumerate() {
        let r = r as u32 + 3;
        for (c, v) in row.iter().enumerate() {
            let c = c as u16;
            if v.is_empty() {
                continue;
            }
            match c {
                // pay_date: a real date cell
                3 => {
                    let dt = ExcelDateTime::parse_from_str(v).expect("date");
                    ws.write_datetime_with_format(r, c, &dt, &date_fmt)
                        .expect("date");
                }
                // amount: a number (3,700.50 of the total line too)
                8 => {
                    let n: f64 = v.replace(',', "").parse().expect("number");
                    ws.write_number(r, c, n).expect("number");
                }
                _ => {
                    ws.write_string(r, c, *v).expect("text");
                }
            }
        }
    }
    // a sixth payment whose id was typed as a number: Excel kept 15 digits of 18
    ws.write_string(8, 0, "T0005").expect("t");
    ws.write_string(8, 1, "ELDERLY").expect("t");
    // Excel turned the typed period `2024-01` into a date cell
    let jan = ExcelDateTime::parse_from_str("2024-01-01").expect("date");
    ws.write_datetime_with_format(8, 2, &jan, &Format::new().set_num_format("yyyy-mm"))
        .expect("period");
    ws.write_string(8, 3, "2024/01/05").expect("t");
    ws.write_string(8, 4, "110101001003").expect("t");
    ws.write_number(8, 5, 130_101_194_001_011_234.0).expect("n");
    ws.write_string(8, 6, "王芳").expect("t");
    ws.write_string(8, 7, "6222020200555566667").expect("t");
    ws.write_number(8, 8, 88.0).expect("n");
    wb.add_worksheet().set_name("说明").expect("second sheet");
    wb.save(&path).expect("save");

    let out = d.path.join("parquet");
    import(&path, &out, &d.config()).assert().code(0);
    let i = &summary(&out)["inputs"][0];
    assert_eq!(i["format"], "xlsx");
    assert_eq!(i["sheet"], "明细");
    assert_eq!(i["header_line"], 3);
    assert_eq!(i["rows_read"], 6);
    assert_eq!(i["rows_written"], 5);
    assert_eq!(
        i["rejected"],
        serde_json::json!([{"line": 8, "reason": "a total line (合计)"}])
    );
    assert_eq!(
        i["problems"],
        serde_json::json!([{
            "column": "payee_id",
            "problem": "imprecise_number",
            "rows": 1,
            "sample_lines": [9],
            "sample_values": ["130101194001011230"]
        }])
    );
    let rb = read_parquet(&out.join("发放.parquet"));
    let amount = rb.column(8).as_primitive::<Decimal128Type>();
    let fen: Vec<i128> = (0..amount.len()).map(|k| amount.value(k)).collect();
    assert_eq!(fen, vec![120_000, 120_000, 10_050, 120_000, 8800]);
    let pay = rb.column(3).as_primitive::<arrow::datatypes::Date32Type>();
    assert_eq!(
        pay.value(0),
        subsidy_audit::ledger::decode::parse_date("2024-01-05").expect("date")
    );
    assert_eq!(pay.value(4), pay.value(0), "text date read too");
    assert_eq!(rb.column(2).as_string::<i32>().value(4), "2024-01");
    let (findings, scan) = scan_dup(&out, &d.config(), &d.path.join("audit"));
    let lines: Vec<&str> = findings.lines().collect();
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].contains("\"txn_ids\":[\"T0001\",\"T0002\"]"),
        "{findings}"
    );
    assert_eq!(scan["rows_read"], 5);
    assert_eq!(scan["rows_with_problems"], 0);
    // another sheet by name: it has no header, which is an error naming the sheet's file
    import(&path, &d.path.join("p2"), &d.config())
        .args(["--sheet", "说明"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("发放.xlsx"));
    import(&path, &d.path.join("p3"), &d.config())
        .args(["--sheet", "Sheet9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no sheet named `Sheet9`; sheets: 明细, 说明",
        ));
}

#[test]
fn short_lines_and_bad_values_are_counted_with_their_lines() {
    let d = Dir::new();
    let text = "\
txn_id,scheme,period,pay_date,payee_id,amount,quantity
T1,FARM,2024,2024-04-12,110101196205035536,1457.30,12.35
T2,FARM,2024,2024-04-12,120101195304239216,\"1,020.00\",8
T3,FARM,2024
T4,FARM,2024,2024-04-31,130101194001011234,12，50,x
\"T5
continued\",FARM,2024,2024-04-12,140101198610316600,,
T6,FARM,2024,2024-04-12,150101197001010011,(25.00),1.5,extra
T7,FARM,2024,20240413,160101198001010011,99.999,
T8,FARM,2024,2024-04-12,170101198001010011,5.00,,,
";
    let input = d.path.join("ledger.csv");
    std::fs::write(&input, text).expect("write");
    let plain = d.path.join("plain.toml");
    std::fs::write(&plain, "").expect("config");
    let out = d.path.join("parquet");
    import(&input, &out, &plain)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "rejected line 4: 3 fields where the header has 7",
        ))
        .stdout(predicate::str::contains(
            "amount: 1 unparsable (written as null; lines 5 \"12，50\")",
        ));
    let i = &summary(&out)["inputs"][0];
    // T8's trailing delimiters are not a reason to reject it
    assert_eq!(i["rows_read"], 8);
    assert_eq!(i["rows_written"], 6);
    assert_eq!(i["rows_rejected"], 2);
    assert_eq!(
        i["rejected"],
        serde_json::json!([
            {"line": 4, "reason": "3 fields where the header has 7"},
            {"line": 8, "reason": "8 fields where the header has 7"}
        ])
    );
    assert_eq!(
        i["problems"],
        serde_json::json!([
            {"column": "pay_date", "problem": "unparsable", "rows": 1, "sample_lines": [5], "sample_values": ["2024-04-31"]},
            {"column": "amount", "problem": "unparsable", "rows": 1, "sample_lines": [5], "sample_values": ["12，50"]},
            {"column": "quantity", "problem": "unparsable", "rows": 1, "sample_lines": [5], "sample_values": ["x"]}
        ])
    );
    let rb = read_parquet(&out.join("ledger.parquet"));
    assert_eq!(rb.num_rows(), 6);
    let amount = rb.column(5).as_primitive::<Decimal128Type>();
    let fen: Vec<Option<i128>> = (0..6)
        .map(|k| amount.is_valid(k).then(|| amount.value(k)))
        .collect();
    // 99.999 rounds half away from zero, as a decimal(…, 3) column does
    assert_eq!(
        fen,
        vec![
            Some(145_730),
            Some(102_000),
            None,
            None,
            Some(10_000),
            Some(500)
        ]
    );
    let qty = rb.column(6).as_primitive::<Decimal128Type>();
    assert_eq!(rb.column(6).data_type(), &DataType::Decimal128(18, 4));
    assert_eq!((qty.value(0), qty.value(1)), (123_500, 80_000));
    assert!(qty.is_null(2) && qty.is_null(3) && qty.is_null(4));
    let txn = rb.column(0).as_string::<i32>();
    assert_eq!(txn.value(3), "T5\ncontinued");
}

#[test]
fn a_missing_amount_column_exits_2_naming_file_and_column() {
    let d = Dir::new();
    let input = d.path.join("payments.csv");
    std::fs::write(
        &input,
        "txn_id,payee_id,money\nT1,110101196205035536,12.00\n",
    )
    .expect("write");
    let plain = d.path.join("plain.toml");
    std::fs::write(&plain, "").expect("config");
    let out = d.path.join("parquet");
    import(&input, &out, &plain)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("payments.csv"))
        .stderr(predicate::str::contains("`amount`"))
        .stderr(predicate::str::contains(
            "columns found on line 1: txn_id, payee_id, money",
        ));
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|r| r.filter_map(std::result::Result::ok).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "no output left: {left:?}");
    // a mapped column that is not there is named with its mapping
    let cfg = d.path.join("m.toml");
    std::fs::write(
        &cfg,
        "[columns]\namount = \"发放金额\"\naccount = \"卡号\"\n",
    )
    .expect("cfg");
    std::fs::write(&input, "txn_id,发放金额\nT1,1.00\n").expect("write");
    import(&input, &out, &cfg)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "payments.csv: line 1: column `卡号` (mapped from `account` in [columns]) is not in the header",
        ));
}

#[test]
fn scan_of_a_csv_says_to_import_it() {
    let d = Dir::new();
    let input = d.path.join("ledger.csv");
    std::fs::write(&input, delimited(',', None)).expect("write");
    bin()
        .arg("scan")
        .arg(&input)
        .arg("--out")
        .arg(d.path.join("audit"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ledger.csv"))
        .stderr(predicate::str::contains("subsidy-audit import"));
}

#[test]
fn import_refuses_a_folder_holding_other_parquet_and_leaves_it_as_it_was() {
    let d = Dir::new();
    let input = d.path.join("a.csv");
    std::fs::write(&input, delimited(',', None)).expect("write");
    let out = d.path.join("parquet");
    std::fs::create_dir_all(&out).expect("dir");
    std::fs::write(out.join("old.parquet"), b"x").expect("old");
    import(&input, &out, &d.config())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("old.parquet"));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(names, vec!["old.parquet"]);
    // importing again into its own output folder replaces its files
    let out2 = d.path.join("p2");
    import(&input, &out2, &d.config()).assert().code(0);
    import(&input, &out2, &d.config()).assert().code(0);
}

#[test]
fn every_row_rejected_exits_3_with_the_summary_written() {
    let d = Dir::new();
    // a semicolon export read with a comma: the header still names `amount`, but no row fits it
    let input = d.path.join("eu.csv");
    std::fs::write(&input, "txn_id,amount\nT1;12.00\nT2;13.00\n").expect("write");
    let plain = d.path.join("plain.toml");
    std::fs::write(&plain, "").expect("config");
    let out = d.path.join("parquet");
    import(&input, &out, &plain)
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "no row written (2 read, 2 rejected): exit code 3",
        ));
    let i = &summary(&out)["inputs"][0];
    assert_eq!(
        (&i["rows_read"], &i["rows_written"], &i["rows_rejected"]),
        (&Value::from(2), &Value::from(0), &Value::from(2))
    );
    // an explicit delimiter through the config
    let semi = d.path.join("semi.toml");
    std::fs::write(&semi, "[import]\ndelimiter = \";\"\n").expect("config");
    std::fs::write(&input, "txn_id;amount\nT1;12,00\nT2;\"1.013,00\"\n").expect("write");
    let out2 = d.path.join("p2");
    import(&input, &out2, &semi).assert().code(0);
    let i = &summary(&out2)["inputs"][0];
    assert_eq!(i["delimiter"], ";");
    // a decimal comma is refused, not guessed at
    assert_eq!(i["problems"][0]["rows"], 2);
    assert_eq!(
        i["problems"][0]["sample_values"],
        serde_json::json!(["12,00", "1.013,00"])
    );
}

#[test]
fn a_long_csv_streams_in_row_groups_with_exact_lines_and_sums() {
    let d = Dir::new();
    let mut text = String::from("txn_id,payee_id,amount\n");
    let mut expected_fen: i128 = 0;
    for i in 0..20_000u32 {
        match i {
            12_000 => text += "T12000,P12000,12.5.0\n",
            15_000 => text += "T15000,P15000\n",
            _ => {
                text += &format!("T{i},P{i},{}.{:02}\n", i, i % 100);
                expected_fen += i128::from(i) * 100 + i128::from(i % 100);
            }
        }
    }
    let input = d.path.join("big.csv");
    std::fs::write(&input, text).expect("write");
    let plain = d.path.join("plain.toml");
    std::fs::write(&plain, "").expect("config");
    let out = d.path.join("parquet");
    import(&input, &out, &plain)
        .args(["--row-group-rows", "5000"])
        .assert()
        .code(0);
    let i = &summary(&out)["inputs"][0];
    assert_eq!(i["rows_read"], 20_000);
    assert_eq!(i["rows_written"], 19_999);
    assert_eq!(i["row_groups"], 4);
    assert_eq!(
        i["rejected"],
        serde_json::json!([{"line": 15_002, "reason": "2 fields where the header has 3"}])
    );
    assert_eq!(
        i["problems"][0]["sample_lines"],
        serde_json::json!([12_002])
    );
    let rb = read_parquet(&out.join("big.parquet"));
    assert_eq!(rb.num_rows(), 19_999);
    let amount = rb.column(2).as_primitive::<Decimal128Type>();
    let sum: i128 = (0..amount.len())
        .filter(|k| amount.is_valid(*k))
        .map(|k| amount.value(k))
        .sum();
    assert_eq!(sum, expected_fen);
    let txn = rb.column(0).as_string::<i32>();
    assert_eq!(
        (txn.value(0), txn.value(15_000), txn.value(19_998)),
        ("T0", "T15001", "T19999")
    );
}

#[test]
fn monthly_exports_import_into_one_ledger_folder() {
    let d = Dir::new();
    let text = delimited(',', None);
    let mut lines: Vec<&str> = text.split_inclusive("\r\n").collect();
    let header = lines.remove(0);
    // January's rows in one file, the rest in another, the second in GBK
    let jan = d.path.join("2024-01.csv");
    std::fs::write(
        &jan,
        format!("{header}{}{}{}", lines[0], lines[1], lines[2]),
    )
    .expect("w");
    let rest = d.path.join("2024-02.csv");
    let feb = format!("{header}{}{}", lines[3], lines[4]);
    let (gbk, _, _) = encoding_rs::GBK.encode(&feb);
    std::fs::write(&rest, &gbk).expect("w");
    let out = d.path.join("parquet");
    // a killed import left its temporary folder: it goes
    let stale = out.join(".subsidy-audit-import-4000000000");
    std::fs::create_dir_all(&stale).expect("stale");
    std::fs::write(stale.join("half.parquet"), b"x").expect("stale file");
    bin()
        .arg("import")
        .arg(&jan)
        .arg(&rest)
        .arg("--out")
        .arg(&out)
        .arg("--config")
        .arg(d.config())
        .assert()
        .code(0);
    assert!(!stale.exists(), "stale temporary folder removed");
    let s = summary(&out);
    assert_eq!(s["rows_read"], 5);
    assert_eq!(s["inputs"][0]["encoding"], "utf-8");
    assert_eq!(s["inputs"][1]["encoding"], "gb18030");
    assert!(out.join("2024-01.parquet").is_file() && out.join("2024-02.parquet").is_file());
    let (findings, scan) = scan_dup(&out, &d.config(), &d.path.join("audit"));
    assert_the_duplicate(&findings, &scan);
    // files without the same columns are no one ledger
    let a = d.path.join("a.csv");
    std::fs::write(&a, "txn_id,amount,payee_id\nT1,1.00,P1\n").expect("w");
    let other = d.path.join("other.csv");
    std::fs::write(&other, "txn_id,amount\nT2,2.00\n").expect("w");
    let plain = d.path.join("plain.toml");
    std::fs::write(&plain, "").expect("config");
    bin()
        .arg("import")
        .arg(&a)
        .arg(&other)
        .arg("--out")
        .arg(d.path.join("p2"))
        .arg("--config")
        .arg(&plain)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("other.csv"))
        .stderr(predicate::str::contains("column `payee_id` is in"))
        .stderr(predicate::str::contains("must hold the same columns"));
    assert!(
        !d.path.join("p2").join("a.parquet").exists(),
        "nothing written"
    );
}

#[test]
fn inputs_that_are_not_what_they_say_exit_2_naming_them() {
    let d = Dir::new();
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "bad.xlsx",
            b"amount\n1\n".to_vec(),
            "not a readable workbook",
        ),
        (
            "unicode.txt",
            [0xFF, 0xFE, b'a', 0, b'\n', 0].to_vec(),
            "UTF-16",
        ),
        (
            "copy.csv",
            b"PAR1xxxxxxxxxxxx".to_vec(),
            "Parquet file already",
        ),
        ("empty.csv", Vec::new(), "the file is empty"),
    ];
    for (name, bytes, needle) in cases {
        let input = d.path.join(name);
        std::fs::write(&input, bytes).expect("write");
        import(&input, &d.path.join(format!("out-{name}")), &d.config())
            .assert()
            .code(2)
            .stderr(predicate::str::contains(name))
            .stderr(predicate::str::contains(needle));
    }
    // a GB18030 file with a delimiter that can be part of a character
    let input = d.path.join("pipe.csv");
    std::fs::write(&input, encoding_rs::GBK.encode("发放金额|姓名\n1|张伟\n").0).expect("w");
    import(&input, &d.path.join("out-pipe"), &d.config())
        .args(["--delimiter", "|", "--encoding", "gbk"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "can be part of a GB18030 character",
        ));
    // flags out of range
    let input = d.path.join("ok.csv");
    std::fs::write(&input, "amount\n1.00\n").expect("w");
    import(&input, &d.path.join("out-rg"), &d.config())
        .args(["--row-group-rows", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--row-group-rows 0"));
    import(&input, &d.path.join("out-delim"), &d.config())
        .args(["--delimiter", "ab"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("one ASCII character"));
    let cfg = d.path.join("bad.toml");
    std::fs::write(&cfg, "[import]\nencoding = \"klingon\"\n").expect("w");
    import(&input, &d.path.join("out-cfg"), &cfg)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("import.encoding"))
        .stderr(predicate::str::contains("unknown encoding `klingon`"));
    import(&input, &d.path.join("out-16"), &d.config())
        .args(["--encoding", "utf-16le"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not ASCII-compatible"));
}

#[test]
fn without_a_transaction_id_evidence_cites_the_export_line() {
    let d = Dir::new();
    let input = d.path.join("pay.csv");
    std::fs::write(
        &input,
        // periods and dates as Chinese exports write them: one month in three spellings
        "scheme,period,pay_date,payee_id,amount\nELDERLY,2024年1月,2024年1月5日,110101196205035536,100.00\nELDERLY,2024-01,2024.01.05,120101195304239216,100.00\nELDERLY,2024-1,2024-1-20,110101196205035536,100.00\n",
    )
    .expect("write");
    let plain = d.path.join("plain.toml");
    std::fs::write(&plain, "").expect("config");
    let out = d.path.join("parquet");
    import(&input, &out, &plain).assert().code(0);
    let i = &summary(&out)["inputs"][0];
    assert_eq!(
        i["columns"][0],
        serde_json::json!({"canonical": "txn_id", "source": "(file:line)", "type": "Utf8"})
    );
    assert_eq!(i["problems"], serde_json::json!([]));
    let rb = read_parquet(&out.join("pay.parquet"));
    let period = rb.column(2).as_string::<i32>();
    assert_eq!(
        (period.value(0), period.value(1), period.value(2)),
        ("2024-01", "2024-01", "2024-01")
    );
    let (findings, _) = scan_dup(&out, &plain, &d.path.join("audit"));
    let f: Value = serde_json::from_str(findings.lines().next().expect("finding")).expect("json");
    assert_eq!(f["txn_ids"], serde_json::json!(["pay.csv:2", "pay.csv:4"]));
}

#[test]
fn western_exports_in_windows_1252_and_1250() {
    let d = Dir::new();
    let plain = d.path.join("plain.toml");
    std::fs::write(&plain, "").expect("config");
    // a council's spending file saved by Excel on Windows: `£` and accented names in Windows-1252
    let text = "txn_id,payee_name,amount,note\nT1,Renée Café Ltd,1234.50,£ paid\nT2,Müller & Söhne,75.00,\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let input = d.path.join("spend.csv");
    std::fs::write(&input, &bytes).expect("write");
    let out = d.path.join("p1");
    import(&input, &out, &plain).assert().code(0);
    let i = &summary(&out)["inputs"][0];
    assert_eq!(i["encoding"], "windows-1252");
    assert_eq!(i["encoding_from"], "detected");
    let rb = read_parquet(&out.join("spend.parquet"));
    let names = rb.column(1).as_string::<i32>();
    assert_eq!(
        (names.value(0), names.value(1)),
        ("Renée Café Ltd", "Müller & Söhne")
    );
    // Czech farm payments in Windows-1250, named by the flag
    let text = "txn_id,payee_name,amount\nT1,Zemědělské družstvo Říčany,120000.00\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode(text);
    let input = d.path.join("szif.csv");
    std::fs::write(&input, &bytes).expect("write");
    let out = d.path.join("p2");
    import(&input, &out, &plain)
        .args(["--encoding", "windows-1250"])
        .assert()
        .code(0);
    assert_eq!(summary(&out)["inputs"][0]["encoding_from"], "flag");
    let rb = read_parquet(&out.join("szif.parquet"));
    assert_eq!(
        rb.column(1).as_string::<i32>().value(0),
        "Zemědělské družstvo Říčany"
    );
}

#[test]
fn a_set_date_format_still_reads_iso_dates() {
    // an export mixing day-first and ISO dates (found by a trial on a UK-style file): both are read
    let d = Dir::new();
    let input = d.path.join("pay.csv");
    std::fs::write(
        &input,
        "txn_id,scheme,period,pay_date,payee_id,amount\nT1,SPS,2024-01,05/01/2024,A1,100.00\nT2,SPS,2024-01,2024-01-12,A2,100.00\nT3,SPS,2024-01,31/13/2024,A3,100.00\n",
    )
    .expect("write");
    let config = d.path.join("audit.toml");
    std::fs::write(&config, "[import]\ndate_format = \"%d/%m/%Y\"\n").expect("config");
    let out = d.path.join("parquet");
    import(&input, &out, &config).assert().code(0);
    let i = &summary(&out)["inputs"][0];
    let problems = i["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["column"], "pay_date");
    assert_eq!(problems[0]["rows"], 1);
    let rb = read_parquet(&out.join("pay.parquet"));
    let dates = rb.column(3).as_primitive::<arrow::datatypes::Date32Type>();
    let day = |s: &str| {
        (chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
            - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch"))
        .num_days() as i32
    };
    assert_eq!(dates.value(0), day("2024-01-05"));
    assert_eq!(dates.value(1), day("2024-01-12"));
    assert!(dates.is_null(2));
}
