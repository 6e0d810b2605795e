//! The projected Parquet reader. The unit of parallel work is one row group of one file; each task opens its
//! own file handle (arrow-rs readers are not shared between threads) and reuses the footer parsed once at open.

use super::batch::{projected_indices, Batch, BatchContext};
use super::column::ColSet;
use super::source::LedgerFile;
use crate::error::{Error, Result};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReaderBuilder, RowSelection, RowSelector};
use parquet::arrow::ProjectionMask;
use std::fs::File;

/// One unit of work: a row group of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unit {
    pub file: u32,
    pub row_group: usize,
    pub rows: u64,
}

/// Every row group of every file, in file order.
pub fn units(files: &[LedgerFile]) -> Vec<Unit> {
    files
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| {
            (0..f.num_row_groups()).map(move |g| Unit {
                file: fi as u32,
                row_group: g,
                rows: u64::try_from(f.meta.metadata().row_group(g).num_rows()).unwrap_or(0),
            })
        })
        .collect()
}

/// Reads the projected `cols` of one row group in batches of `batch_size`, calling `each` per typed batch.
/// With `only`, reads just those rows (row numbers within the row group, ascending).
pub fn read_row_group(
    file: &LedgerFile,
    file_idx: u32,
    row_group: usize,
    cols: ColSet,
    ctx: &BatchContext,
    batch_size: usize,
    only: Option<&[u64]>,
    mut each: impl FnMut(Batch),
) -> Result<()> {
    let decode_err = |e: &dyn std::fmt::Display| Error::Decode {
        path: file.path.clone(),
        row_group: Some(row_group),
        detail: e.to_string(),
    };
    let handle = File::open(&file.path).map_err(|e| Error::io(&file.path, e))?;
    let (_, roots) = projected_indices(file, cols);
    let md = file.meta.metadata();
    super::guard::check_pages(&handle, md, row_group, &super::guard::leaves_of(md, &roots))
        .map_err(|e| decode_err(&format!("implausible page header, refused: {e}")))?;
    let mask = ProjectionMask::roots(file.meta.metadata().file_metadata().schema_descr(), roots);
    let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(handle, file.meta.clone())
        .with_projection(mask)
        .with_row_groups(vec![row_group])
        .with_batch_size(batch_size.max(1));
    let start = file.row_group_starts[row_group];
    if let Some(rows) = only {
        builder = builder.with_row_selection(selection(rows));
    }
    let mut reader = builder.build().map_err(|e| decode_err(&e))?;
    let mut offset = 0usize;
    // a panic inside the parquet crate on corrupt data is a decode error naming the file and row group
    while let Some(rb) = super::guard::next_batch(&mut reader) {
        let rb = rb.map_err(|e| decode_err(&e))?;
        let n = rb.num_rows();
        let rows = match only {
            None => Ok(start + offset as u64),
            Some(list) => Err(list
                .get(offset..offset + n)
                .ok_or_else(|| {
                    decode_err(&format!(
                        "the reader returned more rows than the {} selected",
                        list.len()
                    ))
                })?
                .iter()
                .map(|r| start + r)
                .collect()),
        };
        offset += n;
        each(Batch::build(&rb, file, file_idx, rows, cols, ctx));
    }
    let expected = match only {
        None => usize::try_from(file.meta.metadata().row_group(row_group).num_rows()).unwrap_or(0),
        Some(l) => l.len(),
    };
    if offset != expected {
        return Err(decode_err(&format!(
            "read {offset} rows where the footer promises {expected}"
        )));
    }
    Ok(())
}

/// A row selection that picks the given ascending row numbers.
fn selection(rows: &[u64]) -> RowSelection {
    let mut sel = Vec::new();
    let mut next = 0u64;
    for &r in rows {
        if r > next {
            sel.push(RowSelector::skip((r - next) as usize));
        }
        sel.push(RowSelector::select(1));
        next = r + 1;
    }
    RowSelection::from(sel)
}
