//! Test helpers: small readable ledgers written as real Parquet, so the real reader runs.
#![allow(dead_code)]

use arrow::array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;
use subsidy_audit::ledger::decode::parse_date;
use subsidy_audit::money::parse_yuan;

/// One ledger row, as text.
#[derive(Debug, Clone)]
pub struct Row {
    pub txn: String,
    pub scheme: String,
    pub period: String,
    pub date: String,
    pub region: String,
    pub payee: String,
    pub name: String,
    pub account: String,
    pub amount: String,
    pub status: Option<String>,
    pub household: Option<String>,
}

/// `row("T1", "FARMLAND", "2024", "2024-04-12", "R1", "P1", "张三", "A1", "1457.30")`
#[allow(clippy::too_many_arguments)]
pub fn row(
    txn: &str,
    scheme: &str,
    period: &str,
    date: &str,
    region: &str,
    payee: &str,
    name: &str,
    account: &str,
    amount: &str,
) -> Row {
    Row {
        txn: txn.into(),
        scheme: scheme.into(),
        period: period.into(),
        date: date.into(),
        region: region.into(),
        payee: payee.into(),
        name: name.into(),
        account: account.into(),
        amount: amount.into(),
        status: Some("PAID".into()),
        household: None,
    }
}

impl Row {
    pub fn status(mut self, s: &str) -> Self {
        self.status = Some(s.into());
        self
    }
    pub fn household(mut self, h: &str) -> Self {
        self.household = Some(h.into());
        self
    }
}

fn opt(s: &str) -> Option<&str> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

fn text(rows: &[Row], f: impl Fn(&Row) -> Option<&str>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<StringArray>())
}

/// The standard ledger batch for `rows`.
pub fn batch(rows: &[Row]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("txn_id", DataType::Utf8, true),
        Field::new("scheme", DataType::Utf8, true),
        Field::new("period", DataType::Utf8, true),
        Field::new("pay_date", DataType::Date32, true),
        Field::new("region", DataType::Utf8, true),
        Field::new("payee_id", DataType::Utf8, true),
        Field::new("payee_name", DataType::Utf8, true),
        Field::new("account", DataType::Utf8, true),
        Field::new("amount", DataType::Decimal128(14, 2), true),
        Field::new("status", DataType::Utf8, true),
        Field::new("household_id", DataType::Utf8, true),
    ]));
    let dates: Date32Array = rows.iter().map(|r| parse_date(&r.date)).collect();
    let amounts = rows
        .iter()
        .map(|r| parse_yuan(&r.amount).map(i128::from))
        .collect::<Decimal128Array>()
        .with_precision_and_scale(14, 2)
        .expect("decimal");
    RecordBatch::try_new(
        schema,
        vec![
            text(rows, |r| opt(&r.txn)),
            text(rows, |r| opt(&r.scheme)),
            text(rows, |r| opt(&r.period)),
            Arc::new(dates),
            text(rows, |r| opt(&r.region)),
            text(rows, |r| opt(&r.payee)),
            text(rows, |r| opt(&r.name)),
            text(rows, |r| opt(&r.account)),
            Arc::new(amounts),
            text(rows, |r| r.status.as_deref()),
            text(rows, |r| r.household.as_deref()),
        ],
    )
    .expect("batch")
}

/// Writes any record batch as Parquet with row groups of `rg` rows.
pub fn write_batch(path: &Path, b: &RecordBatch, rg: usize) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    let f = std::fs::File::create(path).expect("create");
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(rg.max(1)))
        .build();
    let mut w = ArrowWriter::try_new(f, b.schema(), Some(props)).expect("writer");
    w.write(b).expect("write");
    w.close().expect("close");
}

pub fn write_ledger(path: &Path, rows: &[Row], rg: usize) {
    write_batch(path, &batch(rows), rg);
}

pub const SCHEMES: &str = r#"
[schemes.FARMLAND]
frequency = "yearly"
rate = 118.00
approval_threshold = 5000.00

[schemes.ELDERLY]
frequency = "monthly"
min_age = 80
bands = [{ min_age = 80, max_age = 89, amount = 100.00 }, { min_age = 90, amount = 200.00 }]

[schemes.TEKUN]
frequency = "quarterly"
amount = 1800.00
"#;

/// The fixture of the duplicate family: clean noise and one planted case per rule.
pub fn dup_rows() -> Vec<Row> {
    vec![
        // clean: one yearly payment
        row(
            "T01",
            "FARMLAND",
            "2024",
            "2024-04-12",
            "520102003004",
            "P01",
            "张三",
            "A01",
            "1457.30",
        ),
        // clean: monthly payments in two months
        row(
            "T02",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            "520102003004",
            "P02",
            "李四",
            "A02",
            "100.00",
        ),
        row(
            "T03",
            "ELDERLY",
            "2024-02",
            "2024-02-15",
            "520102003004",
            "P02",
            "李四",
            "A02",
            "100.00",
        ),
        // clean: a reversed payment and its re-issue
        row(
            "T04",
            "FARMLAND",
            "2024",
            "2024-04-12",
            "520102003004",
            "P03",
            "王五",
            "A03",
            "800.00",
        )
        .status("REVERSED"),
        row(
            "T05",
            "FARMLAND",
            "2024",
            "2024-04-20",
            "520102003004",
            "P03",
            "王五",
            "A03",
            "800.00",
        ),
        // clean: a returned payment and its re-issue
        row(
            "T06",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            "520102003004",
            "P13",
            "钱七",
            "A13",
            "100.00",
        )
        .status("RETURNED"),
        row(
            "T07",
            "ELDERLY",
            "2024-01",
            "2024-01-25",
            "520102003004",
            "P13",
            "钱七",
            "A13",
            "100.00",
        ),
        // clean: spouses of one household share one card, with a third person of another household
        row(
            "T08",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            "520102003004",
            "P04",
            "赵大",
            "A45",
            "100.00",
        )
        .household("H1"),
        row(
            "T09",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            "520102003004",
            "P05",
            "孙二",
            "A45",
            "100.00",
        )
        .household("H1"),
        row(
            "T10",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            "520102003004",
            "P14",
            "周八",
            "A45",
            "100.00",
        )
        .household("H2"),
        // clean: a quarterly scheme paid in two quarters with monthly labels
        row(
            "T11",
            "TEKUN",
            "2024-01",
            "2024-01-10",
            "520102003004",
            "P15",
            "吴九",
            "A15",
            "1800.00",
        ),
        row(
            "T12",
            "TEKUN",
            "2024-04",
            "2024-04-10",
            "520102003004",
            "P15",
            "吴九",
            "A15",
            "1800.00",
        ),
        // DUP001: a yearly scheme paid twice
        row(
            "T20",
            "FARMLAND",
            "2024",
            "2024-04-12",
            "520102003004",
            "P06",
            "郑六",
            "A06",
            "1200.00",
        ),
        row(
            "T21",
            "FARMLAND",
            "2024",
            "2024-06-03",
            "520102003004",
            "P06",
            "郑六",
            "A06",
            "1200.00",
        ),
        // DUP001: a quarterly scheme paid in two months of one quarter
        row(
            "T22",
            "TEKUN",
            "2024-01",
            "2024-01-10",
            "520102003004",
            "P07",
            "冯十",
            "A07",
            "1800.00",
        ),
        row(
            "T23",
            "TEKUN",
            "2024-02",
            "2024-02-10",
            "520102003004",
            "P07",
            "冯十",
            "A07",
            "1800.00",
        ),
        // DUP002 (and DUP001): one month paid into two cards
        row(
            "T30",
            "ELDERLY",
            "2024-03",
            "2024-03-15",
            "520102003004",
            "P08",
            "陈一",
            "A08",
            "100.00",
        ),
        row(
            "T31",
            "ELDERLY",
            "2024-03",
            "2024-03-16",
            "520102003004",
            "P08",
            "陈一",
            "A08X",
            "100.00",
        ),
        // DUP003: one card for three households
        row(
            "T40",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            "520102003005",
            "P09",
            "褚甲",
            "AX",
            "100.00",
        )
        .household("H9"),
        row(
            "T41",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            "520102003005",
            "P10",
            "卫乙",
            "AX",
            "200.00",
        )
        .household("H10"),
        row(
            "T42",
            "ELDERLY",
            "2024-02",
            "2024-02-15",
            "520102003005",
            "P10",
            "卫乙",
            "AX",
            "200.00",
        )
        .household("H10"),
        row(
            "T43",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            "520102003005",
            "P11",
            "蒋丙",
            "AX",
            "100.00",
        )
        .household("H11"),
        // DUP004 (and DUP001): paid by two villages
        row(
            "T50",
            "FARMLAND",
            "2024",
            "2024-04-12",
            "520102003004",
            "P12",
            "沈丁",
            "A12",
            "900.00",
        ),
        row(
            "T51",
            "FARMLAND",
            "2024",
            "2024-05-12",
            "520102007001",
            "P12",
            "沈丁",
            "A12",
            "900.00",
        ),
    ]
}

/// The standard ledger batch for `rows` with extra text columns appended (`officer_id`, `birth_date`...).
pub fn batch_with(rows: &[Row], extra: &[(&str, Vec<Option<&str>>)]) -> RecordBatch {
    let b = batch(rows);
    let mut fields: Vec<Field> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut cols = b.columns().to_vec();
    for (name, values) in extra {
        fields.push(Field::new(*name, DataType::Utf8, true));
        cols.push(Arc::new(values.iter().copied().collect::<StringArray>()));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("batch")
}

/// A table of text columns (`None` = null), for reference tables.
pub fn text_table(cols: &[(&str, Vec<Option<&str>>)]) -> RecordBatch {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, _)| Field::new(*n, DataType::Utf8, true))
        .collect();
    let arrays: Vec<ArrayRef> = cols
        .iter()
        .map(|(_, v)| Arc::new(v.iter().copied().collect::<StringArray>()) as ArrayRef)
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("table")
}

/// The same table as CSV (header row; nulls as empty cells).
pub fn write_csv(path: &Path, cols: &[(&str, Vec<Option<&str>>)]) {
    let mut s: String = cols.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(",");
    s.push('\n');
    let n = cols.first().map_or(0, |c| c.1.len());
    for i in 0..n {
        let line: Vec<&str> = cols.iter().map(|(_, v)| v[i].unwrap_or("")).collect();
        s.push_str(&line.join(","));
        s.push('\n');
    }
    std::fs::write(path, s).expect("write csv");
}

/// A valid 18-character resident id: region (6 digits), birth `YYYYMMDD`, sequence (3 digits).
pub fn resident_id(region: &str, birth: &str, seq: u32) -> String {
    let first = format!("{region}{birth}{seq:03}");
    let c = subsidy_audit::ident::id_check_char(first.as_bytes()).expect("17 digits");
    format!("{first}{}", c as char)
}

/// A Luhn-valid 16-digit card number.
pub fn card(n: u32) -> String {
    let body = format!("622848{n:09}");
    let c = subsidy_audit::ident::luhn_check_digit(body.as_bytes()).expect("digits");
    format!("{body}{}", c as char)
}
