//! Workbook input (calamine): `.xlsx` / `.xlsm` streamed cell by cell; `.xls`, `.xlsb` and `.ods` read as one
//! sheet range (their formats cap a sheet at 65,536 rows or are rare). Line numbers are the sheet's row
//! numbers; date cells become dates, numbers stay numbers until their column's type reads them.

use super::convert::Cell;
use super::{fail, summary_for, ImportOptions, InputSummary, Rows};
use crate::config::Config;
use crate::error::Result;
use crate::ledger::decode::days_from_date;
use calamine::{Data, DataRef, ExcelDateTime, Reader, Xlsx};
use std::borrow::Cow;
use std::path::Path;

fn date_cell<'a>(d: &ExcelDateTime) -> Cell<'a> {
    if d.is_duration() {
        return Cell::Float(d.as_f64());
    }
    let (y, m, day, ..) = d.to_ymd_hms_milli();
    chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(day))
        .map_or(Cell::Error(format!("date serial {}", d.as_f64())), |x| {
            Cell::Date(days_from_date(x))
        })
}

fn cell_ref<'a>(d: &'a DataRef<'_>) -> Cell<'a> {
    match d {
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Float(*f),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            Cell::Text(Cow::Borrowed(s))
        }
        DataRef::SharedString(s) => Cell::Text(Cow::Borrowed(s)),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(x) => date_cell(x),
        DataRef::Error(e) => Cell::Error(format!("#{e}")),
        DataRef::Empty => Cell::Empty,
    }
}

fn cell_data(d: &Data) -> Cell<'_> {
    match d {
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            Cell::Text(Cow::Borrowed(s))
        }
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(x) => date_cell(x),
        Data::Error(e) => Cell::Error(format!("#{e}")),
        Data::Empty => Cell::Empty,
    }
}

fn text_of(c: Cell<'_>) -> String {
    match c {
        Cell::Text(t) => t.into_owned(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => format!("{f}"),
        _ => String::new(),
    }
}

/// Feeds one sheet row (`cells`, positions within the sheet's columns) to `rows`.
fn feed(rows: &mut Rows<'_>, line: u64, cells: &[Cell<'_>]) -> Result<()> {
    if cells.iter().all(|c| matches!(c, Cell::Empty)) {
        return Ok(());
    }
    if rows.has_header() {
        rows.row(line, cells.len(), false, |i| cells[i].clone())
    } else {
        rows.header(line, cells.iter().cloned().map(text_of).collect())
    }
}

fn pick_sheet(path: &Path, names: &[String], wanted: Option<&str>) -> Result<String> {
    match wanted {
        Some(w) => names.iter().find(|n| *n == w).cloned().ok_or_else(|| {
            fail(
                path,
                None,
                format!("no sheet named `{w}`; sheets: {}", names.join(", ")),
            )
        }),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| fail(path, None, "the workbook has no sheet")),
    }
}

pub fn read(
    path: &Path,
    ext: &str,
    opts: &ImportOptions,
    config: &Config,
    rows: &mut Rows<'_>,
) -> Result<InputSummary> {
    let wanted = opts.sheet.as_deref().or(config.import.sheet.as_deref());
    let mut summary = summary_for(path, "xlsx");
    if matches!(ext, "xlsx" | "xlsm") {
        let mut wb: Xlsx<_> = calamine::open_workbook(path)
            .map_err(|e| fail(path, None, format!("not a readable workbook: {e}")))?;
        let sheet = pick_sheet(path, &wb.sheet_names(), wanted)?;
        summary.sheet = Some(sheet.clone());
        let mut reader = wb
            .worksheet_cells_reader(&sheet)
            .map_err(|e| fail(path, None, format!("sheet `{sheet}`: {e}")))?;
        let mut current: Option<u32> = None;
        let mut row: Vec<DataRef<'_>> = Vec::new();
        loop {
            let next = reader.next_cell().map_err(|e| {
                fail(
                    path,
                    current.map(|r| u64::from(r) + 1),
                    format!("sheet `{sheet}`: {e}"),
                )
            })?;
            let Some(c) = next else { break };
            let (r, col) = c.get_position();
            if current != Some(r) {
                if let Some(prev) = current {
                    let cells: Vec<Cell<'_>> = row.iter().map(cell_ref).collect();
                    feed(rows, u64::from(prev) + 1, &cells)?;
                }
                row.clear();
                current = Some(r);
            }
            let col = col as usize;
            if col >= row.len() {
                if col > 16_384 {
                    return Err(fail(
                        path,
                        Some(u64::from(r) + 1),
                        format!("column {} is beyond a sheet's 16,384", col + 1),
                    ));
                }
                row.resize(col + 1, DataRef::Empty);
            }
            row[col] = c.get_value().clone();
        }
        if let Some(prev) = current {
            let cells: Vec<Cell<'_>> = row.iter().map(cell_ref).collect();
            feed(rows, u64::from(prev) + 1, &cells)?;
        }
    } else {
        let mut wb = calamine::open_workbook_auto(path)
            .map_err(|e| fail(path, None, format!("not a readable workbook: {e}")))?;
        summary.format = if ext == "ods" { "ods" } else { "xls" };
        let sheet = pick_sheet(path, &wb.sheet_names(), wanted)?;
        summary.sheet = Some(sheet.clone());
        let range = wb
            .worksheet_range(&sheet)
            .map_err(|e| fail(path, None, format!("sheet `{sheet}`: {e}")))?;
        let first = u64::from(range.start().map_or(0, |s| s.0));
        let lead = range.start().map_or(0, |s| s.1 as usize);
        for (k, r) in range.rows().enumerate() {
            let mut cells: Vec<Cell<'_>> = vec![Cell::Empty; lead];
            cells.extend(r.iter().map(cell_data));
            feed(rows, first + k as u64 + 1, &cells)?;
        }
    }
    Ok(summary)
}
