//! Reading one reference table, Parquet or CSV, into chunks of typed columns.
//!
//! Parquet is recognised by its `PAR1` magic and read one row group per task (projected to the wanted columns);
//! a file without the magic whose name ends in `.csv` (or `.tsv`, tab-separated) is read as CSV (UTF-8 or GB18030) with a
//! header row, in chunks of [`CSV_CHUNK`] rows. Columns are found through the table's `[X.columns]` mapping
//! (canonical name = the file's name). Every failure is an [`Error::Reference`] naming the table, the file
//! and, where it applies, the column.

use crate::error::{Error, Result};
use crate::import::convert::Cell;
use crate::import::csv_in;
use crate::ledger::column::Kind;
use crate::ledger::decode::{decode_date, Text};
use crate::ledger::source::accepts;
use arrow::array::{Array, ArrayRef, StringBuilder};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Rows per chunk of a CSV table.
pub const CSV_CHUNK: usize = 65_536;

/// A column a table reads.
#[derive(Debug, Clone, Copy)]
pub struct ColSpec {
    /// Canonical name (the key of the `[X.columns]` mapping).
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

enum Cells {
    Text(Text),
    /// Days since the epoch; `None` when null or unreadable.
    Date(Vec<Option<i32>>),
}

/// Some rows of the table, column by column (in the order of the specs; `None` for an optional column the
/// file lacks).
pub struct Chunk {
    pub len: usize,
    cols: Vec<Option<Cells>>,
}

impl Chunk {
    /// The trimmed, non-empty text of column `c` at row `i`.
    #[inline]
    pub fn text(&self, c: usize, i: usize) -> Option<&str> {
        match self.cols.get(c)? {
            Some(Cells::Text(t)) => t.get(i).map(str::trim).filter(|s| !s.is_empty()),
            _ => None,
        }
    }
    #[inline]
    pub fn date(&self, c: usize, i: usize) -> Option<i32> {
        match self.cols.get(c)? {
            Some(Cells::Date(d)) => d.get(i).copied().flatten(),
            _ => None,
        }
    }
    pub fn has(&self, c: usize) -> bool {
        matches!(self.cols.get(c), Some(Some(_)))
    }
}

/// A table read from its file.
pub struct Loaded {
    pub format: &'static str,
    pub chunks: Vec<Chunk>,
}

impl Loaded {
    pub fn rows(&self) -> u64 {
        self.chunks.iter().map(|c| c.len as u64).sum()
    }

    /// `(key, value)` of every row `pair` accepts (chunks in parallel, rows in table order), and how many rows
    /// it refused (a row without its key is skipped and counted, never lost silently).
    pub fn pairs<V: Send>(
        &self,
        pair: impl Fn(&Chunk, usize) -> Option<(u64, V)> + Sync,
    ) -> (Vec<(u64, V)>, u64) {
        let parts: Vec<(Vec<(u64, V)>, u64)> = self
            .chunks
            .par_iter()
            .map(|c| {
                let mut v = Vec::with_capacity(c.len);
                let mut skipped = 0;
                for i in 0..c.len {
                    match pair(c, i) {
                        Some(kv) => v.push(kv),
                        None => skipped += 1,
                    }
                }
                (v, skipped)
            })
            .collect();
        let skipped = parts.iter().map(|p| p.1).sum();
        (parts.into_iter().flat_map(|p| p.0).collect(), skipped)
    }
}

fn fail(table: &str, path: &Path, message: impl Into<String>) -> Error {
    Error::Reference {
        table: table.into(),
        path: path.into(),
        message: message.into(),
    }
}

/// The file's name of each spec's column, after checking the mapping names only known columns.
fn names(
    table: &str,
    path: &Path,
    mapping: &BTreeMap<String, String>,
    specs: &[ColSpec],
) -> Result<Vec<String>> {
    for k in mapping.keys() {
        if !specs.iter().any(|s| s.name == k) {
            let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
            return Err(fail(
                table,
                path,
                format!(
                    "unknown column `{k}` in [{table}.columns] (known: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(specs
        .iter()
        .map(|s| {
            mapping
                .get(s.name)
                .cloned()
                .unwrap_or_else(|| s.name.to_string())
        })
        .collect())
}

/// Reads the table `table` (for messages: `registry`, `deaths`, `officials`) from `path`.
pub fn load(
    table: &str,
    path: &Path,
    mapping: &BTreeMap<String, String>,
    specs: &[ColSpec],
) -> Result<Loaded> {
    let mut f = File::open(path).map_err(|e| {
        fail(
            table,
            path,
            if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                e.to_string()
            },
        )
    })?;
    if path.is_dir() {
        return Err(fail(
            table,
            path,
            "is a folder, expected a Parquet or CSV file",
        ));
    }
    let mut head = [0u8; 4];
    let is_parquet = f.read_exact(&mut head).is_ok() && &head == b"PAR1";
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let names = names(table, path, mapping, specs)?;
    if is_parquet {
        load_parquet(table, path, &names, specs)
    } else if matches!(ext.as_deref(), Some("csv" | "tsv")) {
        let delim = if ext.as_deref() == Some("tsv") {
            b'\t'
        } else {
            b','
        };
        load_csv(table, path, &names, specs, delim)
    } else {
        Err(fail(
            table,
            path,
            "neither a Parquet file (no PAR1 magic) nor a CSV file (name ending in .csv or .tsv)",
        ))
    }
}

fn load_parquet(table: &str, path: &Path, names: &[String], specs: &[ColSpec]) -> Result<Loaded> {
    let f = File::open(path).map_err(|e| fail(table, path, e.to_string()))?;
    let meta = ArrowReaderMetadata::load(&f, ArrowReaderOptions::new())
        .map_err(|e| fail(table, path, format!("not a readable Parquet file: {e}")))?;
    let size = f
        .metadata()
        .map_err(|e| fail(table, path, e.to_string()))?
        .len();
    crate::ledger::guard::tail(&f, size)
        .map_err(|e| e.to_string())
        .and_then(|t| crate::ledger::guard::check_footer(size, t, meta.metadata()))
        .map_err(|e| {
            fail(
                table,
                path,
                format!("implausible Parquet metadata, refused: {e}"),
            )
        })?;
    let schema = meta.schema().clone();
    let found = || {
        schema
            .fields()
            .iter()
            .map(|x| x.name().as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut roots: Vec<Option<usize>> = Vec::new();
    for (s, name) in specs.iter().zip(names) {
        match schema.column_with_name(name) {
            Some((i, field)) => {
                if !accepts(s.kind, field.data_type()) {
                    return Err(fail(
                        table,
                        path,
                        format!(
                            "column `{name}` has type {}, expected {}",
                            field.data_type(),
                            s.kind.describe()
                        ),
                    ));
                }
                roots.push(Some(i));
            }
            None if s.required => {
                return Err(fail(
                    table,
                    path,
                    format!(
                        "column {} is not in the file; columns found: {}",
                        crate::error::column_label(name, s.name),
                        found()
                    ),
                ))
            }
            None => roots.push(None),
        }
    }
    let mut sorted: Vec<usize> = roots.iter().flatten().copied().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let positions: Vec<Option<usize>> = roots
        .iter()
        .map(|r| r.and_then(|i| sorted.binary_search(&i).ok()))
        .collect();
    let n_rg = meta.metadata().num_row_groups();
    let parts: Vec<Vec<Chunk>> = (0..n_rg)
        .into_par_iter()
        .map(|g| {
            let file = File::open(path).map_err(|e| fail(table, path, e.to_string()))?;
            let leaves = crate::ledger::guard::leaves_of(meta.metadata(), &sorted);
            crate::ledger::guard::check_pages(&file, meta.metadata(), g, &leaves)
                .map_err(|e| fail(table, path, format!("row group {g}: {e}")))?;
            let mask = ProjectionMask::roots(meta.parquet_schema(), sorted.iter().copied());
            let mut reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
                .with_row_groups(vec![g])
                .with_projection(mask)
                .with_batch_size(65_536)
                .build()
                .map_err(|e| fail(table, path, format!("row group {g}: {e}")))?;
            let mut out = Vec::new();
            while let Some(rb) = crate::ledger::guard::next_batch(&mut reader) {
                let rb = rb.map_err(|e| fail(table, path, format!("row group {g}: {e}")))?;
                let cols = positions
                    .iter()
                    .zip(specs)
                    .zip(names)
                    .map(|((p, s), name)| {
                        p.map(|p| cells(table, path, name, s.kind, rb.column(p)))
                            .transpose()
                    })
                    .collect::<Result<Vec<_>>>()?;
                out.push(Chunk {
                    len: rb.num_rows(),
                    cols,
                });
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    Ok(Loaded {
        format: "parquet",
        chunks: parts.into_iter().flatten().collect(),
    })
}

fn cells(table: &str, path: &Path, name: &str, kind: Kind, a: &ArrayRef) -> Result<Cells> {
    if kind == Kind::Date {
        let mut days = Vec::new();
        let mut bad = vec![false; a.len()];
        decode_date(a, &mut days, &mut |i, _| bad[i] = true);
        return Ok(Cells::Date(
            days.into_iter()
                .zip(bad)
                .map(|(d, b)| (!b).then_some(d))
                .collect(),
        ));
    }
    Text::from_array(a)
        .map(Cells::Text)
        .map_err(|e| fail(table, path, format!("column `{name}`: {e}")))
}

/// A CSV field's text; `None` when empty or not valid in the encoding.
fn text(b: &[u8], enc: csv_in::Encoding) -> Option<std::borrow::Cow<'_, str>> {
    match csv_in::decode(b, enc) {
        Cell::Text(t) => Some(t),
        _ => None,
    }
}

fn load_csv(
    table: &str,
    path: &Path,
    names: &[String],
    specs: &[ColSpec],
    delim: u8,
) -> Result<Loaded> {
    // UTF-8 or GB18030 (GBK), as `import` reads ledgers: BOM, else detected; each field decoded once
    let (reader, enc, _) = csv_in::open(path).map_err(|e| fail(table, path, e.to_string()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(false)
        .from_reader(reader);
    let header = rdr
        .byte_headers()
        .map_err(|e| fail(table, path, format!("cannot read the header row: {e}")))?
        .clone();
    let header: Vec<String> = header
        .iter()
        .map(|h| {
            text(h, enc).map_or_else(String::new, |h| {
                h.trim_start_matches('\u{feff}').trim().to_string()
            })
        })
        .collect();
    let mut idx: Vec<Option<usize>> = Vec::new();
    for (s, name) in specs.iter().zip(names) {
        match header.iter().position(|h| h == name) {
            Some(i) => idx.push(Some(i)),
            None if s.required => {
                return Err(fail(
                    table,
                    path,
                    format!(
                        "column {} is not in the header; columns found: {}",
                        crate::error::column_label(name, s.name),
                        header.join(", ")
                    ),
                ))
            }
            None => idx.push(None),
        }
    }
    let mut chunks = Vec::new();
    let mut builders: Vec<StringBuilder> = idx.iter().map(|_| StringBuilder::new()).collect();
    let mut n = 0usize;
    let flush = |builders: &mut Vec<StringBuilder>, n: usize| -> Result<Chunk> {
        let cols = builders
            .iter_mut()
            .zip(&idx)
            .zip(specs.iter().zip(names))
            .map(|((b, i), (s, name))| {
                let a: ArrayRef = Arc::new(b.finish());
                i.map(|_| cells(table, path, name, s.kind, &a)).transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Chunk { len: n, cols })
    };
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(fail(table, path, format!("line {line}: {e}")));
            }
        }
        for (b, i) in builders.iter_mut().zip(&idx) {
            // bytes not valid in the encoding are a null: the row is skipped and counted
            match i.and_then(|i| rec.get(i)).and_then(|b| text(b, enc)) {
                Some(v) if !v.trim().is_empty() => b.append_value(v.trim()),
                _ => b.append_null(),
            }
        }
        n += 1;
        if n == CSV_CHUNK {
            chunks.push(flush(&mut builders, n)?);
            n = 0;
        }
    }
    if n > 0 {
        chunks.push(flush(&mut builders, n)?);
    }
    Ok(Loaded {
        format: "csv",
        chunks,
    })
}
