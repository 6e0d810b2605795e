//! Test helpers: small readable ledgers written as real Parquet, so the real reader runs.
//!
//! One builder for every ledger the tests write: [`Row`]s of text ([`row`] gives the nine columns every ledger
//! has, setters the optional ones), laid out by a [`Ledger`] (which columns, in which order, under which
//! names, in row groups of how many rows) and written by [`Parquet`]. Reference tables (registry, deaths,
//! officials) are [`Table`]s of text columns, written as Parquet or CSV. Batches a test builds by hand (wrong
//! types, missing columns) go through [`write_batch`].
#![allow(dead_code)]

use arrow::array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use subsidy_audit::ledger::decode::parse_date;
use subsidy_audit::money::parse_yuan;

// ---------------------------------------------------------------------------------------------------------
// Writing Parquet

/// How a batch is written: rows per row group, compression, and whether the Arrow schema goes in the footer.
#[derive(Debug, Clone, Copy)]
pub struct Parquet {
    row_group: usize,
    compression: Compression,
    arrow_schema: bool,
}

impl Parquet {
    /// Row groups of `n` rows (at least 1), uncompressed, with the Arrow schema in the footer.
    pub fn row_groups(n: usize) -> Self {
        Self {
            row_group: n.max(1),
            compression: Compression::UNCOMPRESSED,
            arrow_schema: true,
        }
    }

    pub fn compression(mut self, c: Compression) -> Self {
        self.compression = c;
        self
    }

    /// No Arrow schema in the footer, as Hive and Impala write: the reader sees only the Parquet types.
    pub fn without_arrow_schema(mut self) -> Self {
        self.arrow_schema = false;
        self
    }

    /// Writes `b` to `path`, making its folder.
    pub fn write(self, path: &Path, b: &RecordBatch) {
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).expect("mkdir");
        }
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(self.row_group))
            .set_compression(self.compression)
            .build();
        let opts = ArrowWriterOptions::new()
            .with_properties(props)
            .with_skip_arrow_metadata(!self.arrow_schema);
        let f = std::fs::File::create(path).expect("create");
        let mut w = ArrowWriter::try_new_with_options(f, b.schema(), opts).expect("writer");
        w.write(b).expect("write");
        w.close().expect("close");
    }
}

/// Writes any record batch as Parquet with row groups of `rg` rows.
pub fn write_batch(path: &Path, b: &RecordBatch, rg: usize) {
    Parquet::row_groups(rg).write(path, b);
}

// ---------------------------------------------------------------------------------------------------------
// Ledgers

/// One ledger row, as text. An empty text is a null cell (and an empty or unparsable date or amount a null).
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
    /// `PAID` unless set.
    pub status: Option<String>,
    pub household: Option<String>,
    /// Decimal text, as the amount.
    pub quantity: Option<String>,
    pub officer: Option<String>,
}

/// `row("T1", "FARMLAND", "2024", "2024-04-12", "R1", "P1", "张三", "A1", "1457.30")`: status `PAID`, no
/// household, quantity or officer.
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
        quantity: None,
        officer: None,
    }
}

/// `None` for an empty text.
pub fn nonempty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl Row {
    pub fn status(mut self, s: &str) -> Self {
        self.status = nonempty(s);
        self
    }
    pub fn household(mut self, h: &str) -> Self {
        self.household = nonempty(h);
        self
    }
    pub fn quantity(mut self, q: &str) -> Self {
        self.quantity = nonempty(q);
        self
    }
    pub fn officer(mut self, o: &str) -> Self {
        self.officer = nonempty(o);
        self
    }
}

/// A ledger column and the [`Row`] field it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Txn,
    Scheme,
    Period,
    PayDate,
    Region,
    PayeeId,
    PayeeName,
    Account,
    Amount,
    Status,
    Household,
    Quantity,
    Officer,
}

/// The columns of [`Ledger::new`]: the nine of [`row`], `status` and `household_id`.
pub const STANDARD: [Col; 11] = [
    Col::Txn,
    Col::Scheme,
    Col::Period,
    Col::PayDate,
    Col::Region,
    Col::PayeeId,
    Col::PayeeName,
    Col::Account,
    Col::Amount,
    Col::Status,
    Col::Household,
];

impl Col {
    /// The canonical column name.
    pub fn name(self) -> &'static str {
        match self {
            Col::Txn => "txn_id",
            Col::Scheme => "scheme",
            Col::Period => "period",
            Col::PayDate => "pay_date",
            Col::Region => "region",
            Col::PayeeId => "payee_id",
            Col::PayeeName => "payee_name",
            Col::Account => "account",
            Col::Amount => "amount",
            Col::Status => "status",
            Col::Household => "household_id",
            Col::Quantity => "quantity",
            Col::Officer => "officer_id",
        }
    }

    fn data_type(self) -> DataType {
        match self {
            Col::PayDate => DataType::Date32,
            Col::Amount | Col::Quantity => DataType::Decimal128(14, 2),
            _ => DataType::Utf8,
        }
    }

    fn array(self, rows: &[Row]) -> ArrayRef {
        let text = |f: &dyn Fn(&Row) -> Option<&str>| -> ArrayRef {
            Arc::new(rows.iter().map(f).collect::<StringArray>())
        };
        let plain = |f: &dyn Fn(&Row) -> &str| text(&|r| Some(f(r)).filter(|s| !s.is_empty()));
        let decimal = |f: &dyn Fn(&Row) -> Option<&str>| -> ArrayRef {
            Arc::new(
                rows.iter()
                    .map(|r| f(r).and_then(parse_yuan).map(i128::from))
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(14, 2)
                    .expect("decimal"),
            )
        };
        match self {
            Col::Txn => plain(&|r| &r.txn),
            Col::Scheme => plain(&|r| &r.scheme),
            Col::Period => plain(&|r| &r.period),
            Col::PayDate => Arc::new(
                rows.iter()
                    .map(|r| parse_date(&r.date))
                    .collect::<Date32Array>(),
            ),
            Col::Region => plain(&|r| &r.region),
            Col::PayeeId => plain(&|r| &r.payee),
            Col::PayeeName => plain(&|r| &r.name),
            Col::Account => plain(&|r| &r.account),
            Col::Amount => decimal(&|r| Some(r.amount.as_str())),
            Col::Status => text(&|r| r.status.as_deref()),
            Col::Household => text(&|r| r.household.as_deref()),
            Col::Quantity => decimal(&|r| r.quantity.as_deref()),
            Col::Officer => text(&|r| r.officer.as_deref()),
        }
    }
}

/// A ledger to write: rows, the columns they fill, extra text columns after them, renamed columns and the row
/// group size.
#[derive(Debug, Clone)]
pub struct Ledger {
    rows: Vec<Row>,
    cols: Vec<Col>,
    extra: Vec<(String, Vec<Option<String>>)>,
    renamed: Vec<(String, String)>,
    parquet: Parquet,
}

impl Ledger {
    /// The [`STANDARD`] columns of `rows`, in row groups of 1024 rows.
    pub fn new(rows: &[Row]) -> Self {
        Self {
            rows: rows.to_vec(),
            cols: STANDARD.to_vec(),
            extra: Vec::new(),
            renamed: Vec::new(),
            parquet: Parquet::row_groups(1024),
        }
    }

    pub fn row_group_size(mut self, n: usize) -> Self {
        self.parquet = Parquet {
            row_group: n.max(1),
            ..self.parquet
        };
        self
    }

    pub fn compression(mut self, c: Compression) -> Self {
        self.parquet = self.parquet.compression(c);
        self
    }

    /// Leaves `cols` out.
    pub fn without(mut self, cols: &[Col]) -> Self {
        self.cols.retain(|c| !cols.contains(c));
        self
    }

    /// Appends `cols` (after the ones there).
    pub fn with(mut self, cols: &[Col]) -> Self {
        self.cols.extend_from_slice(cols);
        self
    }

    /// Appends a text column of one value per row (`None` = null), after the ledger columns.
    pub fn text_column<S: AsRef<str>>(mut self, name: &str, values: &[Option<S>]) -> Self {
        assert_eq!(values.len(), self.rows.len(), "one value per row of {name}");
        self.extra.push((
            name.to_string(),
            values
                .iter()
                .map(|v| v.as_ref().map(|s| s.as_ref().to_string()))
                .collect(),
        ));
        self
    }

    /// Writes the column `from` under the name `to` (as a ledger whose config maps `to`).
    pub fn rename(mut self, from: &str, to: &str) -> Self {
        self.renamed.push((from.to_string(), to.to_string()));
        self
    }

    pub fn batch(&self) -> RecordBatch {
        let mut fields: Vec<Field> = self
            .cols
            .iter()
            .map(|c| Field::new(c.name(), c.data_type(), true))
            .collect();
        let mut arrays: Vec<ArrayRef> = self.cols.iter().map(|c| c.array(&self.rows)).collect();
        for (name, values) in &self.extra {
            fields.push(Field::new(name, DataType::Utf8, true));
            arrays.push(Arc::new(values.iter().collect::<StringArray>()));
        }
        for f in &mut fields {
            if let Some((_, to)) = self.renamed.iter().find(|(from, _)| from == f.name()) {
                *f = f.clone().with_name(to);
            }
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("batch")
    }

    pub fn write(&self, path: &Path) {
        self.parquet.write(path, &self.batch());
    }
}

/// A new temporary folder holding `ledger.parquet` (the ledger) and `schemes.toml` (the config text):
/// (folder, ledger path, config path).
pub fn scan_folder(ledger: &Ledger, config: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let d = tempfile::tempdir().expect("tmp");
    let path = d.path().join("ledger.parquet");
    ledger.write(&path);
    let cfg = d.path().join("schemes.toml");
    std::fs::write(&cfg, config).expect("write config");
    (d, path, cfg)
}

/// [`scan_folder`] of the duplicate fixture ([`dup_rows`], row groups of `rg`) and [`SCHEMES`].
pub fn dup_folder(rg: usize) -> (tempfile::TempDir, PathBuf, PathBuf) {
    scan_folder(&Ledger::new(&dup_rows()).row_group_size(rg), SCHEMES)
}

// ---------------------------------------------------------------------------------------------------------
// Reference tables

/// A table of text columns (`None` = null): a registry, deaths or officials table.
#[derive(Debug, Clone)]
pub struct Table {
    cols: Vec<(String, Vec<Option<String>>)>,
    row_group: usize,
}

impl Table {
    /// No column yet, row groups of 1024 rows.
    pub fn new() -> Self {
        Self {
            cols: Vec::new(),
            row_group: 1024,
        }
    }

    /// Appends a column (`None` = null).
    pub fn col<S: AsRef<str>>(mut self, name: &str, values: &[Option<S>]) -> Self {
        self.cols.push((
            name.to_string(),
            values
                .iter()
                .map(|v| v.as_ref().map(|s| s.as_ref().to_string()))
                .collect(),
        ));
        self
    }

    pub fn row_group_size(mut self, n: usize) -> Self {
        self.row_group = n;
        self
    }

    pub fn batch(&self) -> RecordBatch {
        let fields: Vec<Field> = self
            .cols
            .iter()
            .map(|(n, _)| Field::new(n, DataType::Utf8, true))
            .collect();
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter()
            .map(|(_, v)| Arc::new(v.iter().collect::<StringArray>()) as ArrayRef)
            .collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("table")
    }

    /// As Parquet.
    pub fn write(&self, path: &Path) {
        write_batch(path, &self.batch(), self.row_group);
    }

    /// As CSV: a header row, nulls as empty cells (no quoting: the tests' values hold no comma).
    pub fn write_csv(&self, path: &Path) {
        let mut s: String = self
            .cols
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(",");
        s.push('\n');
        let n = self.cols.first().map_or(0, |c| c.1.len());
        for i in 0..n {
            let line: Vec<&str> = self
                .cols
                .iter()
                .map(|(_, v)| v[i].as_deref().unwrap_or(""))
                .collect();
            s.push_str(&line.join(","));
            s.push('\n');
        }
        std::fs::write(path, s).expect("write csv");
    }
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}

/// A deaths table of `(payee_id, death_date)`.
pub fn deaths(people: &[(&str, &str)]) -> Table {
    let ids: Vec<Option<&str>> = people.iter().map(|p| Some(p.0)).collect();
    let dates: Vec<Option<&str>> = people.iter().map(|p| Some(p.1)).collect();
    Table::new().col("payee_id", &ids).col("death_date", &dates)
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures

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

// ---------------------------------------------------------------------------------------------------------
// Ids

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

// ---------------------------------------------------------------------------------------------------------
// Outcomes

/// The binary.
pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("subsidy-audit").expect("binary")
}

/// `summary.json` of an output folder.
pub fn summary_json(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).expect("summary"))
        .expect("json")
}

/// (rule, subject, txn ids, fen at risk) of a finding.
pub type Summary = (String, String, Vec<String>, i64);

/// [`Summary`] of every finding, in output order.
pub fn findings(o: &subsidy_audit::Outcome) -> Vec<Summary> {
    o.findings
        .iter()
        .map(|f| {
            (
                f.rule.to_string(),
                f.subject.clone(),
                f.txn_ids.clone(),
                f.amount_fen,
            )
        })
        .collect()
}

/// An expected [`Summary`].
pub fn f(rule: &str, subject: &str, txns: &[&str], fen: i64) -> Summary {
    (
        rule.into(),
        subject.into(),
        txns.iter().map(ToString::to_string).collect(),
        fen,
    )
}
