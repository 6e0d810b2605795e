//! One output column: cells of any input format -> a typed Arrow column (text as Utf8, amount and quantity
//! as exact decimals, dates as Date32), with every value that cannot be read counted by problem.

use super::{ColumnProblem, Problem};
use crate::ledger::column::{Col, Kind};
use crate::ledger::decode::{days_from_date, fmt_date, parse_date};
use crate::money::parse_amount_text;
use crate::scheme::QUANTITY_SCALE;
use arrow::array::{ArrayRef, Date32Builder, Decimal128Builder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How many sample lines (and texts) are kept per column and problem.
pub const SAMPLES: usize = 5;
/// Decimal precision of the amount and quantity columns.
pub const PRECISION: u8 = 18;
/// Integers from here on are no longer exact in a spreadsheet's 64-bit float (2^53).
const EXACT_FLOAT_INT: f64 = 9_007_199_254_740_992.0;

/// A date as Chinese and other exports write it, when [`parse_date`] cannot read it: `2024年1月5日`,
/// `2024.01.05`, `2024-1-5`.
pub fn parse_export_date(text: &str) -> Option<i32> {
    let t = text.trim();
    parse_date(t).or_else(|| {
        ["%Y年%m月%d日", "%Y.%m.%d", "%Y-%m-%d", "%Y/%m/%d"]
            .iter()
            .find_map(|f| chrono::NaiveDate::parse_from_str(t, f).ok())
            .map(days_from_date)
    })
}

/// A period as Chinese exports write it, in the form the scan reads: `2024年1月` -> `2024-01`, `2024年` ->
/// `2024`, `2024年第1季度` -> `2024-Q1`, `2024-1` / `2024/01` / `2024.01` -> `2024-01`. `None` when it is no
/// such form (the text is then kept as it is, and the scan judges it).
pub fn normalise_period(text: &str) -> Option<String> {
    let t = text.trim();
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    let year = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    let month = |s: &str| -> Option<String> {
        let m: u8 = s.parse().ok()?;
        (digits(s) && (1..=12).contains(&m)).then(|| format!("{m:02}"))
    };
    if let Some(y) = t.strip_suffix('年').filter(|y| year(y)) {
        return Some(y.to_string());
    }
    if let Some((y, rest)) = t.split_once('年').filter(|(y, _)| year(y)) {
        if let Some(m) = rest.strip_suffix('月').and_then(month) {
            return Some(format!("{y}-{m}"));
        }
        let q = rest
            .trim_start_matches('第')
            .strip_suffix("季度")
            .or_else(|| rest.trim_start_matches('第').strip_suffix('季'))?;
        let q = match q {
            "1" | "一" => 1,
            "2" | "二" => 2,
            "3" | "三" => 3,
            "4" | "四" => 4,
            _ => return None,
        };
        return Some(format!("{y}-Q{q}"));
    }
    let (y, m) = t.split_once(['-', '/', '.'])?;
    (year(y)).then_some(())?;
    month(m).map(|m| format!("{y}-{m}"))
}

/// One input cell.
#[derive(Debug, Clone)]
pub enum Cell<'a> {
    Empty,
    Text(Cow<'a, str>),
    Int(i64),
    Float(f64),
    /// A spreadsheet date, in days since 1970-01-01.
    Date(i32),
    Bool(bool),
    /// Bytes not valid in the file's encoding.
    NotText,
    /// A spreadsheet error value (`#N/A`, `#DIV/0!`).
    Error(String),
}

/// The output type of a canonical column.
pub fn output_type(col: Col) -> DataType {
    match col {
        Col::Amount => DataType::Decimal128(PRECISION, 2),
        Col::Quantity => DataType::Decimal128(PRECISION, QUANTITY_SCALE as i8),
        _ if col.kind() == Kind::Date => DataType::Date32,
        _ => DataType::Utf8,
    }
}

pub fn field(col: Col) -> Field {
    Field::new(col.name(), output_type(col), true)
}

enum Builder {
    Text(StringBuilder),
    Decimal(Decimal128Builder, u32),
    Date(Date32Builder),
}

/// One canonical column being built from the input column `source`.
pub struct OutColumn {
    pub col: Col,
    /// The input column's position.
    pub source: usize,
    builder: Builder,
    date_format: Option<String>,
    /// The last date text and its days (pay dates repeat in long runs).
    last_date: Option<(String, Option<i32>)>,
}

impl OutColumn {
    pub fn new(col: Col, source: usize, date_format: Option<&str>) -> Self {
        let builder = match output_type(col) {
            dt @ DataType::Decimal128(_, s) => {
                Builder::Decimal(Decimal128Builder::new().with_data_type(dt), s as u32)
            }
            DataType::Date32 => Builder::Date(Date32Builder::new()),
            _ => Builder::Text(StringBuilder::new()),
        };
        Self {
            col,
            source,
            builder,
            date_format: date_format.map(str::to_string),
            last_date: None,
        }
    }

    /// Appends one cell of input line `line`; a value that cannot be read is a null, counted in `problems`.
    pub fn push(
        &mut self,
        cell: Cell<'_>,
        line: u64,
        problems: &mut BTreeMap<(Col, Problem), ColumnProblem>,
    ) {
        let col = self.col;
        let mut fail = |p: Problem, text: String| {
            let e = problems.entry((col, p)).or_default();
            e.rows += 1;
            if e.sample_lines.len() < SAMPLES {
                e.sample_lines.push(line);
                e.sample_values.push(text);
            }
        };
        let cell = match cell {
            Cell::Text(t) if t.trim().is_empty() => Cell::Empty,
            Cell::NotText => {
                fail(Problem::InvalidEncoding, String::new());
                Cell::Empty
            }
            Cell::Error(e) => {
                fail(Problem::Unparsable, e);
                Cell::Empty
            }
            c => c,
        };
        match &mut self.builder {
            Builder::Text(b) => match cell {
                Cell::Empty => b.append_null(),
                Cell::Text(t) if col == Col::Period => match normalise_period(&t) {
                    Some(p) => b.append_value(p),
                    None => b.append_value(t.trim()),
                },
                Cell::Text(t) => b.append_value(t.trim()),
                Cell::Int(i) => b.append_value(i.to_string()),
                Cell::Float(f) => {
                    // an integral number prints without decimals (Display never uses an exponent)
                    let text = format!("{f}");
                    if f.fract() == 0.0 && f.abs() >= EXACT_FLOAT_INT {
                        // a long id typed into a spreadsheet as a number lost its last digits
                        fail(Problem::ImpreciseNumber, text.clone());
                    }
                    b.append_value(text);
                }
                // Excel turns a typed `2024-01` into a date cell: a period is its month
                Cell::Date(d) if col == Col::Period => {
                    b.append_value(fmt_date(d).get(..7).unwrap_or_default());
                }
                Cell::Date(d) => b.append_value(fmt_date(d)),
                Cell::Bool(v) => b.append_value(if v { "TRUE" } else { "FALSE" }),
                Cell::NotText | Cell::Error(_) => b.append_null(),
            },
            Builder::Decimal(b, scale) => {
                let scale = *scale;
                let v = match &cell {
                    Cell::Empty => None,
                    Cell::Text(t) => {
                        let v = parse_amount_text(t, scale);
                        if v.is_none() {
                            fail(Problem::Unparsable, t.trim().to_string());
                        }
                        v
                    }
                    Cell::Int(i) => {
                        let v = 10i64.checked_pow(scale).and_then(|f| i.checked_mul(f));
                        if v.is_none() {
                            fail(Problem::Unparsable, i.to_string());
                        }
                        v
                    }
                    Cell::Float(f) => {
                        // the number as the spreadsheet shows it (shortest text), read exactly
                        let text = format!("{f}");
                        let v = f
                            .is_finite()
                            .then(|| parse_amount_text(&text, scale))
                            .flatten();
                        if v.is_none() {
                            fail(Problem::Unparsable, text);
                        }
                        v
                    }
                    Cell::Date(d) => {
                        fail(Problem::Unparsable, fmt_date(*d));
                        None
                    }
                    Cell::Bool(x) => {
                        fail(Problem::Unparsable, x.to_string());
                        None
                    }
                    Cell::NotText | Cell::Error(_) => None,
                };
                // beyond the 18 digits of the column's precision
                let v = v.filter(|x| {
                    let fits = x.unsigned_abs() < 1_000_000_000_000_000_000;
                    if !fits {
                        fail(Problem::Unparsable, x.to_string());
                    }
                    fits
                });
                b.append_option(v.map(i128::from));
            }
            Builder::Date(b) => {
                let v = match &cell {
                    Cell::Empty => None,
                    Cell::Date(d) => Some(*d),
                    Cell::Text(t) => {
                        let v = match &self.last_date {
                            Some((last, v)) if last == t => *v,
                            _ => {
                                let v = match &self.date_format {
                                    // the set format first, then the forms read without one (ISO among
                                    // them): an export mixing both loses neither
                                    Some(fmt) => chrono::NaiveDate::parse_from_str(t.trim(), fmt)
                                        .ok()
                                        .map(days_from_date)
                                        .or_else(|| parse_export_date(t)),
                                    None => parse_export_date(t),
                                };
                                self.last_date = Some((t.to_string(), v));
                                v
                            }
                        };
                        if v.is_none() {
                            fail(Problem::Unparsable, t.trim().to_string());
                        }
                        v
                    }
                    // 20240105 typed as a number
                    Cell::Int(i) => {
                        let v = parse_date(&i.to_string());
                        if v.is_none() {
                            fail(Problem::Unparsable, i.to_string());
                        }
                        v
                    }
                    Cell::Float(f) => {
                        let v = (f.fract() == 0.0 && f.abs() < 1e9)
                            .then(|| parse_date(&format!("{}", *f as i64)))
                            .flatten();
                        if v.is_none() {
                            fail(Problem::Unparsable, format!("{f}"));
                        }
                        v
                    }
                    Cell::Bool(x) => {
                        fail(Problem::Unparsable, x.to_string());
                        None
                    }
                    Cell::NotText | Cell::Error(_) => None,
                };
                b.append_option(v);
            }
        }
    }

    /// The column built so far (the builder is emptied).
    pub fn finish(&mut self) -> ArrayRef {
        match &mut self.builder {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Decimal(b, _) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_dates_and_periods() {
        let d = parse_date("2024-01-05");
        for t in [
            "2024年1月5日",
            "2024年01月05日",
            "2024.01.05",
            "2024-1-5",
            "2024/1/5",
            " 2024-01-05 ",
        ] {
            assert_eq!(parse_export_date(t), d, "{t}");
        }
        assert_eq!(parse_export_date("5/1/2024"), None);
        assert_eq!(parse_export_date("2024年13月5日"), None);
        let p = |t: &str| normalise_period(t);
        assert_eq!(p("2024年1月").as_deref(), Some("2024-01"));
        assert_eq!(p("2024年12月").as_deref(), Some("2024-12"));
        assert_eq!(p("2024年").as_deref(), Some("2024"));
        assert_eq!(p("2024年第1季度").as_deref(), Some("2024-Q1"));
        assert_eq!(p("2024年三季度").as_deref(), Some("2024-Q3"));
        assert_eq!(p("2024-1").as_deref(), Some("2024-01"));
        assert_eq!(p("2024/03").as_deref(), Some("2024-03"));
        for bad in [
            "2024年13月",
            "2024-13",
            "24年1月",
            "2024年第5季度",
            "2024-01-05",
            "x",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}
