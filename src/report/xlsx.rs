//! `report.xlsx`: the run as a workbook for auditors, one sheet per table.
//!
//! ```text
//! Summary       what was read and found, the quality gate, money at risk, referrals, every sheet and its rows
//! Cases         every case, ranked
//! Findings      every finding, with its case
//! Evidence      one line per (finding, cited payment row)
//! Hotspots      every region of every level (total, county, township, village)
//! Digit tests   every digit curve tested (DIG001/DIG002), then the round-sum share of every officer (AMT003)
//! Data quality  problems per file and column, floods, then the input files
//! Rules         every rule: run, skipped (why) or not selected; severity, summary, default thresholds
//! ```
//!
//! Ids, card numbers, case ids, txn ids and region codes are text cells (every digit kept); money is a number
//! of yuan (fen / 100) with a `0.00` format; dates are dates. Each sheet's header row is frozen and filtered.
//! A table of more rows than a sheet holds (1,048,576 with the header) continues on `Findings (2)`, … and
//! the Summary sheet says so. Sheets stream their rows to a temporary file in the output's folder (constant
//! memory), and the workbook carries a fixed creation time, so the same outcome gives the same bytes.

use crate::error::{Error, Result};
use crate::exhibit::{DigitCurve, RoundShare};
use crate::finding::EvidenceRow;
use crate::lang::Lang;
use crate::ledger::batch::RowRef;
use crate::rule_meta::ParamValue;
use crate::Outcome;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

/// The most rows a sheet holds, its header included (Excel's limit).
pub const MAX_SHEET_ROWS: u32 = 1_048_576;
/// The most characters a cell holds (Excel's limit); a longer text is cut.
const MAX_CELL_CHARS: usize = 32_767;
/// Where a text too long for a cell is cut (in characters), before " … (cut)".
const CUT_AT: usize = 32_000;

type X<T> = std::result::Result<T, XlsxError>;

/// Writes `report.xlsx` of `o` at `path` (its temporary files go to `path`'s folder).
pub fn write(path: &Path, o: &Outcome) -> Result<()> {
    write_with_limit(path, o, MAX_SHEET_ROWS)
}

/// [`write`] with at most `rows_per_sheet` rows a sheet (header included; at least 2), so tests can see a
/// table continue on a second sheet without a million rows.
#[doc(hidden)]
pub fn write_with_limit(path: &Path, o: &Outcome, rows_per_sheet: u32) -> Result<()> {
    check_system_temp().map_err(|e| Error::output(path, e))?;
    // a bare file name's folder is the current one
    let tmp = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let mut book = Book::new(tmp, rows_per_sheet, &o.summary.currency, o.lang)
        .map_err(|e| Error::output(path, e))?;
    write_sheets(&mut book, o).map_err(|e| Error::output(path, e))?;
    book.wb.save(path).map_err(|e| Error::output(path, e))
}

/// rust_xlsxwriter makes a temporary file in the system's temporary folder for every sheet (and fails hard
/// when it cannot): the folder is checked first, so an unwritable one is an error naming it.
fn check_system_temp() -> std::result::Result<(), String> {
    let dir = std::env::temp_dir();
    let probe = dir.join(format!(
        ".subsidy-audit-xlsx-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(f) => {
            drop(f);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!(
            "the workbook needs a writable temporary folder, and {} is not ({e}); set TMPDIR, or leave \
             xlsx out of --report",
            dir.display()
        )),
    }
}

fn write_sheets(book: &mut Book, o: &Outcome) -> X<()> {
    cases(book, o)?;
    findings(book, o)?;
    evidence(book, o)?;
    hotspots(book, o)?;
    digits(book, &o.exhibits.digits, &o.exhibits.round_sums)?;
    data_quality(book, o)?;
    rules(book, o)?;
    // the summary is written last (it lists every sheet and its rows) and shown first
    let before = book.wb.worksheets_mut().len();
    summary(book, o)?;
    let sheets = book.wb.worksheets_mut();
    let added = sheets.len() - before;
    sheets.rotate_right(added);
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// The sheet writer

/// How a number is shown.
#[derive(Debug, Clone, Copy)]
enum Num {
    General,
    /// `0.00`: scores, rates
    Two,
    /// `0.0000`: shares
    Four,
    /// `0.000000`: mean absolute deviations
    Six,
}

/// One cell's value; the value picks the cell's type and format.
enum V<'a> {
    Text(&'a str),
    Owned(String),
    Int(i64),
    /// Fen, shown as yuan with two decimals.
    Money(i64),
    Num(f64, Num),
    Bool(bool),
    /// Days since the epoch; blank when unknown.
    Date(Option<i32>),
    Empty,
}

impl V<'_> {
    fn opt(s: Option<&str>) -> V<'_> {
        s.map_or(V::Empty, V::Text)
    }
    fn count(n: impl TryInto<i64>) -> V<'static> {
        V::Int(n.try_into().unwrap_or(i64::MAX))
    }
}

/// A column: its header and width (in characters); a money column's header names the currency.
#[derive(Debug, Clone, Copy)]
struct Column {
    name: &'static str,
    width: f64,
    money: bool,
}

const fn c(name: &'static str, width: f64) -> Column {
    Column {
        name,
        width,
        money: false,
    }
}

const fn m(name: &'static str, width: f64) -> Column {
    Column {
        name,
        width,
        money: true,
    }
}

struct Formats {
    header: Format,
    title: Format,
    text: Format,
    money: Format,
    date: Format,
    two: Format,
    four: Format,
    six: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0x00D9_E1F2))
                .set_border_bottom(FormatBorder::Thin),
            title: Format::new().set_bold(),
            // `@`: the cell stays text when edited (an id keeps every digit)
            text: Format::new().set_num_format("@"),
            money: Format::new().set_num_format("0.00"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            two: Format::new().set_num_format("0.00"),
            four: Format::new().set_num_format("0.0000"),
            six: Format::new().set_num_format("0.000000"),
        }
    }
}

/// A sheet written, for the Summary's list.
#[derive(Debug, Clone, PartialEq)]
struct Part {
    /// The table it belongs to (its first sheet's name).
    table: &'static str,
    name: String,
    /// Data rows (headers, titles and blank lines not counted).
    rows: usize,
}

struct Book {
    wb: Workbook,
    /// Rows a sheet holds, header included.
    limit: u32,
    fmt: Formats,
    currency: String,
    parts: Vec<Part>,
    /// The language of the sheet names, section titles and column headers.
    lang: crate::lang::Lang,
}

impl Book {
    fn new(tmp: &Path, limit: u32, currency: &str, lang: crate::lang::Lang) -> X<Self> {
        let mut wb = Workbook::new();
        wb.set_tempdir(tmp)?;
        // a fixed creation time: the same outcome gives the same bytes
        let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
        wb.set_properties(
            &DocProperties::new()
                .set_title("subsidy-audit report")
                .set_author("subsidy-audit")
                .set_comment(format!("subsidy-audit {}", env!("CARGO_PKG_VERSION")))
                .set_creation_datetime(&created),
        );
        Ok(Self {
            wb,
            limit: limit.clamp(2, MAX_SHEET_ROWS),
            fmt: Formats::new(),
            currency: if currency.is_empty() {
                "yuan".into()
            } else {
                currency.to_string()
            },
            parts: Vec::new(),
            lang,
        })
    }

    /// The sheet name of part `n` (1-based) of a table.
    fn part_name(base: &str, n: usize) -> String {
        if n <= 1 {
            base.to_string()
        } else {
            format!("{base} ({n})")
        }
    }

    fn table(&mut self, base: &'static str, cols: &'static [Column]) -> X<Table> {
        let base = self.lang.header(base);
        let mut t = Table {
            base,
            part: 1,
            ws: self.wb.new_worksheet_with_constant_memory(),
            row: 0,
            cols,
            widths: Vec::new(),
            filter: None,
            rows_here: 0,
        };
        t.ws.set_name(base)?;
        t.header(self, None)?;
        Ok(t)
    }
}

/// One table written row by row, onto as many sheets as it takes.
struct Table {
    base: &'static str,
    /// The part being written (1: the first sheet).
    part: usize,
    ws: Worksheet,
    /// The next row to write on this sheet.
    row: u32,
    /// The current section's columns.
    cols: &'static [Column],
    widths: Vec<f64>,
    /// The filtered range of this sheet: its first header row, columns, last row, and whether rows still
    /// extend it (until another section begins).
    filter: Option<(u32, u16, u32, bool)>,
    rows_here: usize,
}

impl Table {
    /// Writes the current columns' header at the current row (and `note` after them).
    fn header(&mut self, book: &Book, note: Option<&str>) -> X<()> {
        let r = self.row;
        for (i, col) in self.cols.iter().enumerate() {
            let label = book.lang.header(col.name);
            let name: Cow<str> = if col.money {
                Cow::Owned(format!("{label} ({})", book.currency))
            } else {
                Cow::Borrowed(label)
            };
            self.ws
                .write_string_with_format(r, i as u16, name, &book.fmt.header)?;
            if self.widths.len() <= i {
                self.widths.push(col.width);
            } else {
                self.widths[i] = self.widths[i].max(col.width);
            }
        }
        if let Some(n) = note {
            self.ws
                .write_string_with_format(r, self.cols.len() as u16 + 1, n, &book.fmt.title)?;
        }
        if self.filter.is_none() {
            self.filter = Some((r, self.cols.len().max(1) as u16, r, true));
        }
        self.row += 1;
        Ok(())
    }

    /// Settles this sheet: widths, frozen header, filter.
    fn close(&mut self) -> X<()> {
        for (i, w) in self.widths.iter().enumerate() {
            self.ws.set_column_width(i as u16, *w)?;
        }
        self.ws.set_freeze_panes(1, 0)?;
        if let Some((first, cols, last, _)) = self.filter {
            self.ws.autofilter(first, 0, last, cols - 1)?;
        }
        Ok(())
    }

    /// Puts a closed sheet into the workbook.
    fn push(book: &mut Book, base: &'static str, ws: Worksheet, rows: usize) {
        book.parts.push(Part {
            table: base,
            name: ws.name(),
            rows,
        });
        book.wb.push_worksheet(ws);
    }

    /// Starts the next sheet of this table, its first row the current columns' header.
    fn next_part(&mut self, book: &mut Book, note: Option<&str>) -> X<()> {
        self.close()?;
        let next = book.wb.new_worksheet_with_constant_memory();
        let done = std::mem::replace(&mut self.ws, next);
        Self::push(book, self.base, done, self.rows_here);
        let from = Book::part_name(self.base, self.part);
        self.part += 1;
        self.ws.set_name(Book::part_name(self.base, self.part))?;
        self.row = 0;
        self.widths.clear();
        self.filter = None;
        self.rows_here = 0;
        let note = match note {
            Some(n) => format!("{n} (continued from sheet '{from}')"),
            None => format!("continued from sheet '{from}'"),
        };
        self.header(book, Some(&note))
    }

    /// Begins another table below this one (a blank line, a bold title, its header), or on a new sheet when
    /// this one has no room left for them and a row.
    fn section(&mut self, book: &mut Book, title: &str, cols: &'static [Column]) -> X<()> {
        if let Some(f) = &mut self.filter {
            f.3 = false;
        }
        self.cols = cols;
        let title = book.lang.header(title);
        if self.row + 4 > book.limit {
            return self.next_part(book, Some(title));
        }
        self.row += 1;
        self.ws
            .write_string_with_format(self.row, 0, title, &book.fmt.title)?;
        self.row += 1;
        self.header(book, None)
    }

    fn row(&mut self, book: &mut Book, cells: &[V]) -> X<()> {
        if self.row >= book.limit {
            self.next_part(book, None)?;
        }
        let (r, f) = (self.row, &book.fmt);
        for (i, v) in cells.iter().enumerate() {
            let col = i as u16;
            match v {
                // an empty text is a blank cell
                V::Text("") => {}
                V::Text(s) => {
                    self.ws.write_string_with_format(r, col, cell(s), &f.text)?;
                }
                V::Owned(s) => {
                    if !s.is_empty() {
                        self.ws.write_string_with_format(r, col, cell(s), &f.text)?;
                    }
                }
                V::Int(n) => {
                    self.ws.write_number(r, col, *n as f64)?;
                }
                V::Money(fen) => {
                    self.ws
                        .write_number_with_format(r, col, *fen as f64 / 100.0, &f.money)?;
                }
                V::Num(x, how) => {
                    let x = if x.is_finite() { *x } else { 0.0 };
                    match how {
                        Num::General => self.ws.write_number(r, col, x)?,
                        Num::Two => self.ws.write_number_with_format(r, col, x, &f.two)?,
                        Num::Four => self.ws.write_number_with_format(r, col, x, &f.four)?,
                        Num::Six => self.ws.write_number_with_format(r, col, x, &f.six)?,
                    };
                }
                V::Bool(b) => {
                    self.ws.write_boolean(r, col, *b)?;
                }
                V::Date(Some(days)) => {
                    // Excel's serial day: 25,569 is 1970-01-01; before 1900-03-01 its calendar is off
                    let serial = i64::from(*days) + 25_569;
                    if serial >= 61 {
                        self.ws
                            .write_number_with_format(r, col, serial as f64, &f.date)?;
                    } else {
                        let d = crate::ledger::decode::fmt_date(*days);
                        self.ws.write_string_with_format(r, col, d, &f.text)?;
                    }
                }
                V::Date(None) | V::Empty => {}
            }
        }
        if let Some(f) = &mut self.filter {
            if f.3 {
                f.2 = r;
            }
        }
        self.row += 1;
        self.rows_here += 1;
        Ok(())
    }

    fn finish(mut self, book: &mut Book) -> X<()> {
        self.close()?;
        Self::push(book, self.base, self.ws, self.rows_here);
        Ok(())
    }
}

/// A text within a cell's limit (cut at a character, with a mark).
fn cell(s: &str) -> String {
    if s.len() <= MAX_CELL_CHARS || s.chars().count() <= MAX_CELL_CHARS {
        return s.to_string();
    }
    let mut t: String = s.chars().take(CUT_AT).collect();
    t.push_str(" … (cut)");
    t
}

// ---------------------------------------------------------------------------------------------------------
// The sheets

const CASES: &[Column] = &[
    c("rank", 7.0),
    c("case id", 20.0),
    c("score", 8.0),
    c("referral", 9.0),
    c("reviewed", 9.0),
    c("severity", 9.0),
    c("rules", 22.0),
    m("amount at risk", 16.0),
    c("payments", 10.0),
    c("findings", 9.0),
    c("subjects", 48.0),
    c("explanation", 100.0),
];

fn cases(book: &mut Book, o: &Outcome) -> X<()> {
    let mut t = book.table("Cases", CASES)?;
    for k in &o.cases {
        let subjects = if k.subjects_not_listed == 0 {
            k.subjects.join("; ")
        } else {
            format!(
                "{}; and {} more",
                k.subjects.join("; "),
                k.subjects_not_listed
            )
        };
        t.row(
            book,
            &[
                V::count(k.rank),
                V::Text(&k.case_id),
                V::Num(k.score, Num::Two),
                V::Bool(k.referral),
                V::Bool(k.reviewed),
                V::Text(k.severity.as_str()),
                V::Owned(k.rules.join(" ")),
                V::Money(k.amount_at_risk_fen),
                V::count(k.payments),
                V::count(k.findings),
                V::Owned(subjects),
                V::Text(if o.lang == Lang::Zh && !k.explanation_zh.is_empty() {
                    &k.explanation_zh
                } else {
                    &k.explanation
                }),
            ],
        )?;
    }
    t.finish(book)
}

const FINDINGS: &[Column] = &[
    c("finding", 9.0),
    c("rule", 8.0),
    c("rule name", 24.0),
    c("severity", 9.0),
    c("subject kind", 12.0),
    c("subject", 22.0),
    c("case id", 20.0),
    c("case rank", 10.0),
    m("amount at risk", 16.0),
    c("payments", 10.0),
    c("payments cited", 10.0),
    c("txn ids", 30.0),
    c("explanation", 100.0),
];

fn findings(book: &mut Book, o: &Outcome) -> X<()> {
    let rank: HashMap<&str, usize> = o
        .cases
        .iter()
        .map(|k| (k.case_id.as_str(), k.rank))
        .collect();
    let mut t = book.table("Findings", FINDINGS)?;
    for (i, f) in o.findings.iter().enumerate() {
        t.row(
            book,
            &[
                V::count(i + 1),
                V::Text(f.rule),
                V::Text(o.lang.rule_name(f.rule, f.rule_name)),
                V::Text(f.severity.as_str()),
                V::Text(f.subject_kind.as_str()),
                V::Text(&f.subject),
                V::Text(&f.case_id),
                rank.get(f.case_id.as_str())
                    .map_or(V::Empty, |&r| V::count(r)),
                V::Money(f.amount_fen),
                V::count(f.evidence.len().max(f.txn_ids.len())),
                V::count(f.txn_ids.len()),
                V::Owned(f.txn_ids.join(" ")),
                V::Text(if o.lang == Lang::Zh {
                    f.explanation_zh_or_en()
                } else {
                    &f.explanation
                }),
            ],
        )?;
    }
    t.finish(book)
}

const EVIDENCE: &[Column] = &[
    c("finding", 9.0),
    c("rule", 8.0),
    c("case id", 20.0),
    c("txn id", 18.0),
    c("pay date", 11.0),
    c("scheme", 12.0),
    c("period", 9.0),
    c("region", 14.0),
    c("payee id", 21.0),
    c("payee id as written", 21.0),
    c("payee name", 12.0),
    c("account", 22.0),
    m("amount", 13.0),
    c("status", 9.0),
    c("officer", 12.0),
    c("household", 14.0),
];

/// The evidence row at `r` (`rows` sorted by place).
fn row_at(rows: &[EvidenceRow], r: RowRef) -> Option<&EvidenceRow> {
    rows.binary_search_by(|e| e.row.cmp(&Some(r)))
        .ok()
        .and_then(|i| rows.get(i))
}

fn evidence(book: &mut Book, o: &Outcome) -> X<()> {
    let mut t = book.table("Evidence", EVIDENCE)?;
    for (i, f) in o.findings.iter().enumerate() {
        for j in 0..f.cited.len().max(f.txn_ids.len()) {
            let e = f.cited.get(j).and_then(|&r| row_at(&o.evidence, r));
            let txn = e
                .map(|e| e.txn_id.as_str())
                .or_else(|| f.txn_ids.get(j).map(String::as_str))
                .unwrap_or("");
            match e {
                Some(e) => t.row(
                    book,
                    &[
                        V::count(i + 1),
                        V::Text(f.rule),
                        V::Text(&f.case_id),
                        V::Text(txn),
                        V::Date(e.pay_date),
                        V::Text(&e.scheme),
                        V::Text(&e.period),
                        V::Text(&e.region),
                        V::Text(&e.payee_id),
                        V::Text(&e.payee_raw),
                        V::Text(&e.payee_name),
                        V::Text(&e.account),
                        V::Money(e.amount_fen),
                        V::Text(&e.status),
                        V::opt(e.officer_id.as_deref()),
                        V::opt(e.household_id.as_deref()),
                    ],
                )?,
                // a row not read back: its id only
                None => t.row(
                    book,
                    &[
                        V::count(i + 1),
                        V::Text(f.rule),
                        V::Text(&f.case_id),
                        V::Text(txn),
                    ],
                )?,
            }
        }
    }
    t.finish(book)
}

const HOTSPOTS: &[Column] = &[
    c("level", 9.0),
    c("region", 16.0),
    c("township", 14.0),
    c("county", 12.0),
    c("payees", 10.0),
    c("payments", 10.0),
    m("paid", 16.0),
    c("findings", 9.0),
    c("cases", 8.0),
    c("referrals", 9.0),
    m("amount at risk", 16.0),
    c("findings per 10k payees", 12.0),
    c("top rules", 30.0),
];

fn hotspots(book: &mut Book, o: &Outcome) -> X<()> {
    let mut t = book.table("Hotspots", HOTSPOTS)?;
    for h in &o.hotspots {
        let top: Vec<String> = h
            .top_rules
            .iter()
            .map(|r| format!("{} {}", r.rule, r.findings))
            .collect();
        t.row(
            book,
            &[
                V::Text(h.level.as_str()),
                V::Text(&h.region),
                V::opt(h.township.as_deref()),
                V::opt(h.county.as_deref()),
                V::count(h.payees),
                V::count(h.payments),
                V::Money(h.paid_fen),
                V::count(h.findings),
                V::count(h.cases),
                V::count(h.referrals),
                V::Money(h.amount_at_risk_fen),
                V::Num(h.findings_per_10k_payees, Num::Two),
                V::Owned(top.join(", ")),
            ],
        )?;
    }
    t.finish(book)
}

const DIGITS: &[Column] = &[
    c("rule", 8.0),
    c("test", 16.0),
    c("level", 9.0),
    c("unit", 20.0),
    c("amounts", 10.0),
    c("MAD", 10.0),
    c("expected MAD", 12.0),
    c("chi2", 10.0),
    c("p value", 11.0),
    c("flagged", 8.0),
    c("most over-represented digits", 40.0),
    c("not tested because", 40.0),
];

const ROUND_SUMS: &[Column] = &[
    c("officer", 16.0),
    c("payees", 10.0),
    c("paid a round sum", 12.0),
    c("share", 10.0),
    c("expected share", 12.0),
    c("p value", 11.0),
    c("q value", 11.0),
    c("flagged", 8.0),
];

/// The three digit values most above their expected share: `50 (+2.10 pts)`.
fn over_represented(d: &DigitCurve) -> String {
    if d.n == 0 {
        return String::new();
    }
    let mut excess: Vec<(f64, u32)> = d
        .observed
        .iter()
        .zip(&d.expected)
        .enumerate()
        .map(|(i, (&obs, &exp))| (obs as f64 / d.n as f64 - exp, d.first_digit + i as u32))
        .filter(|(x, _)| *x > 0.0)
        .collect();
    excess.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    excess
        .iter()
        .take(3)
        .map(|(x, digit)| format!("{digit:02} (+{:.2} pts)", x * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

fn digits(book: &mut Book, curves: &[DigitCurve], shares: &[RoundShare]) -> X<()> {
    let mut t = book.table("Digit tests", DIGITS)?;
    for d in curves {
        t.row(
            book,
            &[
                V::Text(&d.rule),
                V::Text(&d.test),
                V::Text(&d.level),
                V::Text(&d.unit),
                V::count(d.n),
                V::Num(d.mad, Num::Six),
                V::Num(d.expected_mad, Num::Six),
                V::Num(d.chi2, Num::Two),
                V::Num(d.p_value, Num::General),
                V::Bool(d.flagged),
                V::Owned(over_represented(d)),
                V::Text(d.not_testable.as_deref().unwrap_or("")),
            ],
        )?;
    }
    t.section(book, "Round-sum shares per officer (AMT003)", ROUND_SUMS)?;
    for s in shares {
        t.row(
            book,
            &[
                V::Text(&s.officer),
                V::count(s.payees),
                V::count(s.round),
                V::Num(s.share, Num::Four),
                V::Num(s.expected, Num::Four),
                V::Num(s.p_value, Num::General),
                V::Num(s.q_value, Num::General),
                V::Bool(s.flagged),
            ],
        )?;
    }
    t.finish(book)
}

const PROBLEMS: &[Column] = &[
    c("file", 40.0),
    c("column", 14.0),
    c("problem", 12.0),
    c("rows", 10.0),
    c("sample rows", 30.0),
];

const FLOODS: &[Column] = &[
    c("kind", 12.0),
    c("column", 14.0),
    c("value", 22.0),
    c("rule", 8.0),
    c("rows", 10.0),
    c("of", 10.0),
    c("share", 10.0),
    c("message", 80.0),
    c("exclude filter", 50.0),
];

const FILES: &[Column] = &[
    c("file", 40.0),
    c("rows read", 12.0),
    c("rows scanned", 12.0),
    c("rows with problems", 12.0),
    c("rows excluded", 12.0),
    c("rows undated", 12.0),
    c("rows of amount 0", 12.0),
    c("rows of negative amount", 12.0),
    c("row groups", 10.0),
    c("bytes", 14.0),
    c("sha256", 66.0),
];

fn data_quality(book: &mut Book, o: &Outcome) -> X<()> {
    let s = &o.summary;
    let mut t = book.table("Data quality", PROBLEMS)?;
    for f in &s.inputs {
        for p in &f.problems {
            let sample: Vec<String> = p.sample_rows.iter().map(u64::to_string).collect();
            t.row(
                book,
                &[
                    V::Text(&f.path),
                    V::Text(p.column.name()),
                    V::Text(match p.problem {
                        crate::ledger::decode::Problem::Null => "null",
                        crate::ledger::decode::Problem::Unparsable => "unparsable",
                    }),
                    V::count(p.rows),
                    V::Owned(sample.join(", ")),
                ],
            )?;
        }
    }
    t.section(book, "Floods", FLOODS)?;
    for f in &s.floods {
        t.row(
            book,
            &[
                V::Text(f.kind),
                V::opt(f.column.as_deref()),
                V::opt(f.value.as_deref()),
                V::opt(f.rule.as_deref()),
                V::count(f.count),
                V::count(f.of),
                V::Num(f.share, Num::Four),
                V::Text(&f.message),
                V::opt(f.exclude.as_deref()),
            ],
        )?;
    }
    t.section(book, "Input files", FILES)?;
    for f in &s.inputs {
        t.row(
            book,
            &[
                V::Text(&f.path),
                V::count(f.rows_read),
                V::count(f.rows_scanned),
                V::count(f.rows_with_problems),
                V::count(f.rows_excluded),
                V::count(f.rows_undated),
                V::count(f.rows_zero_amount),
                V::count(f.rows_negative_amount),
                V::count(f.row_groups),
                V::count(f.size),
                V::Text(&f.sha256),
            ],
        )?;
    }
    t.finish(book)
}

const RULES: &[Column] = &[
    c("rule", 8.0),
    c("name", 26.0),
    c("status", 12.0),
    c("reason", 40.0),
    c("severity", 9.0),
    c("findings", 9.0),
    c("summary", 70.0),
    c("needs", 36.0),
    c("default thresholds", 60.0),
];

fn param(v: ParamValue) -> String {
    match v {
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(f) => f.to_string(),
        ParamValue::Bool(b) => b.to_string(),
    }
}

fn rules(book: &mut Book, o: &Outcome) -> X<()> {
    let s = &o.summary;
    let mut t = book.table("Rules", RULES)?;
    for e in crate::rules::registry() {
        let meta = e.meta;
        let run = s.rules_run.iter().any(|r| r == meta.code);
        let skipped = s.rules_skipped.iter().find(|k| k.code == meta.code);
        let (status, reason) = match (run, skipped) {
            (true, _) => ("run", ""),
            (false, Some(k)) => ("skipped", k.reason.as_str()),
            (false, None) => ("not selected", "left out by --select or --ignore"),
        };
        let needs: Vec<&str> = meta
            .columns
            .iter()
            .map(|c| c.name())
            .chain(meta.references.iter().map(|r| r.name()))
            .collect();
        let thresholds: Vec<String> = meta
            .params
            .iter()
            .map(|p| format!("{} = {}", p.name, param(p.default)))
            .collect();
        let found = s.findings_per_rule.get(meta.code).copied();
        t.row(
            book,
            &[
                V::Text(meta.code),
                V::Text(book.lang.rule_name(meta.code, meta.name)),
                V::Text(status),
                V::Text(reason),
                V::Text(meta.severity.as_str()),
                if run {
                    V::count(found.unwrap_or(0))
                } else {
                    V::Empty
                },
                V::Text(book.lang.rule_summary(meta.code, meta.summary)),
                V::Owned(needs.join(", ")),
                V::Owned(thresholds.join("; ")),
            ],
        )?;
    }
    t.finish(book)
}

const SUMMARY: &[Column] = &[
    c("section", 16.0),
    c("item", 40.0),
    c("value", 18.0),
    c("note", 90.0),
];

fn summary(book: &mut Book, o: &Outcome) -> X<()> {
    let s = &o.summary;
    let parts = book.parts.clone();
    let mut t = book.table("Summary", SUMMARY)?;
    let line = |t: &mut Table, book: &mut Book, section: &str, item: &str, v: V, note: &str| {
        t.row(book, &[V::Text(section), V::Text(item), v, V::Text(note)])
    };
    let gate = &s.quality_gate;
    let currency = book.currency.clone();
    line(
        &mut t,
        book,
        "run",
        "version",
        V::Text(s.version),
        "subsidy-audit",
    )?;
    line(
        &mut t,
        book,
        "run",
        "config hash",
        V::Text(&s.config_hash),
        "",
    )?;
    line(
        &mut t,
        book,
        "run",
        "currency",
        V::Text(&currency),
        "every amount",
    )?;
    line(
        &mut t,
        book,
        "run",
        "rules run",
        V::count(s.rules_run.len()),
        &s.rules_run.join(" "),
    )?;
    let skipped: Vec<&str> = s.rules_skipped.iter().map(|k| k.code.as_str()).collect();
    line(
        &mut t,
        book,
        "run",
        "rules skipped",
        V::count(s.rules_skipped.len()),
        &if skipped.is_empty() {
            String::new()
        } else {
            format!("{} (why: the Rules sheet)", skipped.join(" "))
        },
    )?;
    for (item, n, note) in [
        (
            "rows read",
            s.rows_read,
            "= scanned + with problems + excluded",
        ),
        ("rows scanned", s.rows_scanned, "the rows the rules saw"),
        (
            "rows with data-quality problems",
            s.rows_with_problems,
            "per file and column: the Data quality sheet",
        ),
        ("rows excluded by filters", s.rows_excluded, ""),
        (
            "rows without a pay date",
            s.rows_undated,
            "of the rows scanned",
        ),
        (
            "rows of amount 0",
            s.rows_zero_amount,
            "of the rows scanned",
        ),
        (
            "rows of negative amount",
            s.rows_negative_amount,
            "of the rows scanned (corrections)",
        ),
        (
            "region codes outside the hierarchy",
            s.region_codes_outside_hierarchy,
            "rows left out of county and township units",
        ),
    ] {
        line(&mut t, book, "read", item, V::count(n), note)?;
    }
    for f in &s.filters {
        let item = format!("filter {} ({})", f.name, f.column.name());
        line(
            &mut t,
            book,
            "read",
            &item,
            V::count(f.rows_excluded),
            "rows excluded",
        )?;
    }
    for f in &s.inputs {
        let note = format!(
            "{} rows scanned, {} with problems, {} excluded; sha256 {}",
            f.rows_scanned, f.rows_with_problems, f.rows_excluded, f.sha256
        );
        line(
            &mut t,
            book,
            "input file",
            &f.path,
            V::count(f.rows_read),
            &note,
        )?;
    }
    for (name, r) in &s.reference_tables {
        let note = format!(
            "{} ({}), {} keys, {} rows skipped",
            r.path, r.format, r.keys, r.rows_skipped
        );
        line(
            &mut t,
            book,
            "reference table",
            name,
            V::count(r.rows),
            &note,
        )?;
    }
    line(
        &mut t,
        book,
        "quality gate",
        "passed",
        V::Bool(gate.passed),
        gate.reason.as_deref().unwrap_or(""),
    )?;
    line(
        &mut t,
        book,
        "quality gate",
        "share of rows with problems",
        V::Num(gate.problem_share, Num::Four),
        "",
    )?;
    line(
        &mut t,
        book,
        "quality gate",
        "max share of rows with problems",
        V::Num(gate.max_problem_share, Num::Four),
        "the gate fails above it (exit code 3)",
    )?;
    line(
        &mut t,
        book,
        "found",
        "findings",
        V::count(s.findings),
        "the Findings sheet",
    )?;
    line(
        &mut t,
        book,
        "found",
        "cases",
        V::count(s.cases),
        "the Cases sheet",
    )?;
    line(
        &mut t,
        book,
        "found",
        "referrals",
        V::count(s.referrals),
        "cases whose score reaches the referral threshold, not reviewed before",
    )?;
    line(
        &mut t,
        book,
        "found",
        "reviewed in the baseline",
        V::count(s.reviewed_in_baseline),
        "",
    )?;
    line(
        &mut t,
        book,
        "found",
        "amount at risk",
        V::Money(s.amount_at_risk_fen),
        "every case, each payment once",
    )?;
    line(
        &mut t,
        book,
        "found",
        "referred amount at risk",
        V::Money(s.referred_amount_at_risk_fen),
        "the referred cases",
    )?;
    if s.key_collisions_dropped > 0 {
        line(
            &mut t,
            book,
            "found",
            "drafts dropped (key collisions)",
            V::count(s.key_collisions_dropped),
            "",
        )?;
    }
    for (rule, n) in &s.findings_per_rule {
        line(&mut t, book, "findings per rule", rule, V::count(*n), "")?;
    }
    if !s.floods.is_empty() {
        line(
            &mut t,
            book,
            "data quality",
            "floods",
            V::count(s.floods.len()),
            "a value holding an implausible share of a column, or a rule citing one: the Data quality sheet",
        )?;
    }
    let [counties, townships, villages] = s.hotspots.regions;
    line(
        &mut t,
        book,
        "hotspots",
        "regions (counties, townships, villages)",
        V::count(counties + townships + villages),
        &format!(
            "{counties} counties, {townships} townships, {villages} villages: the Hotspots sheet"
        ),
    )?;
    let (digits, flagged) = (
        o.exhibits.digits.len(),
        o.exhibits.digits.iter().filter(|d| d.flagged).count(),
    );
    line(
        &mut t,
        book,
        "digit tests",
        "units tested",
        V::count(digits),
        &format!("{flagged} flagged; the Digit tests sheet"),
    )?;
    line(
        &mut t,
        book,
        "digit tests",
        "officers tested for round sums",
        V::count(o.exhibits.round_sums.len()),
        &format!(
            "{} flagged",
            o.exhibits.round_sums.iter().filter(|r| r.flagged).count()
        ),
    )?;
    for (i, p) in parts.iter().enumerate() {
        let next = parts.get(i + 1).filter(|n| n.table == p.table);
        let prev = i
            .checked_sub(1)
            .and_then(|j| parts.get(j))
            .filter(|n| n.table == p.table);
        let note = match (prev, next) {
            (None, None) => String::new(),
            (None, Some(n)) => format!(
                "more rows than a sheet holds: continued on sheet '{}'",
                n.name
            ),
            (Some(b), Some(n)) => format!(
                "continued from sheet '{}', continued on sheet '{}'",
                b.name, n.name
            ),
            (Some(b), None) => format!("continued from sheet '{}'", b.name),
        };
        line(&mut t, book, "sheets", &p.name, V::count(p.rows), &note)?;
    }
    t.finish(book)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader};

    const AB: &[Column] = &[c("a", 8.0), m("b", 10.0)];
    const S: &[Column] = &[c("s", 8.0)];

    fn read(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).expect("open");
        wb.sheet_names()
            .into_iter()
            .map(|n| {
                let r = wb.worksheet_range(&n).expect("sheet");
                (n, r.rows().map(<[Data]>::to_vec).collect())
            })
            .collect()
    }

    fn t(s: &str) -> Data {
        Data::String(s.to_string())
    }

    /// Four rows a sheet: five rows go on two sheets (three, then two), each under the header; a section
    /// without room for its title, header and a row starts a third sheet; the parts are recorded in order.
    #[test]
    fn rows_past_the_limit_continue_on_the_next_sheet() {
        let d = tempfile::tempdir().expect("tmp");
        let path = d.path().join("t.xlsx");
        let mut book = Book::new(d.path(), 4, "yuan", crate::lang::Lang::En).expect("book");
        let mut tab = book.table("T", AB).expect("table");
        for i in 0..5 {
            let id = format!("0{i}");
            tab.row(&mut book, &[V::Owned(id), V::Money(i * 100 + 1)])
                .expect("row");
        }
        tab.section(&mut book, "S", S).expect("section");
        tab.row(&mut book, &[V::Text("x")]).expect("row");
        tab.finish(&mut book).expect("finish");
        // a section needs a blank line, its title, its header and a row: not on a sheet of 4 after a header
        let mut one = book.table("U", S).expect("table");
        one.section(&mut book, "more", S).expect("section");
        one.finish(&mut book).expect("finish");
        assert_eq!(
            book.parts,
            [
                ("T", "T", 3),
                ("T", "T (2)", 2),
                ("T", "T (3)", 1),
                ("U", "U", 0),
                ("U", "U (2)", 0)
            ]
            .map(|(table, name, rows)| Part {
                table,
                name: name.into(),
                rows
            })
        );
        book.wb.save(&path).expect("save");

        let sheets = read(&path);
        let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["T", "T (2)", "T (3)", "U", "U (2)"]);
        let money = |f: i64| Data::Float(f as f64 / 100.0);
        assert_eq!(
            sheets[0].1,
            vec![
                vec![t("a"), t("b (yuan)")],
                vec![t("00"), money(1)],
                vec![t("01"), money(101)],
                vec![t("02"), money(201)],
            ]
        );
        assert_eq!(
            sheets[1].1,
            vec![
                vec![
                    t("a"),
                    t("b (yuan)"),
                    Data::Empty,
                    t("continued from sheet 'T'")
                ],
                vec![t("03"), money(301), Data::Empty, Data::Empty],
                vec![t("04"), money(401), Data::Empty, Data::Empty],
            ]
        );
        assert_eq!(
            sheets[2].1,
            vec![
                vec![t("s"), Data::Empty, t("S (continued from sheet 'T (2)')")],
                vec![t("x"), Data::Empty, Data::Empty],
            ]
        );
        assert_eq!(sheets[3].1, vec![vec![t("s")]]);
        assert_eq!(
            sheets[4].1,
            vec![vec![
                t("s"),
                Data::Empty,
                t("more (continued from sheet 'U')")
            ]]
        );
    }

    #[test]
    fn a_text_longer_than_a_cell_is_cut_at_a_character() {
        let long = "王".repeat(MAX_CELL_CHARS + 1);
        let cut = cell(&long);
        assert_eq!(cut.chars().count(), CUT_AT + " … (cut)".chars().count());
        assert!(cut.ends_with("王 … (cut)"));
        let fits = "王".repeat(MAX_CELL_CHARS);
        assert_eq!(cell(&fits), fits);
    }
}
