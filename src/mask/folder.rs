//! `subsidy-audit mask IN --out OUT`: masked copies of the outputs of an earlier scan.
//!
//! ```text
//! IN's outputs read (JSON lines, JSON, CSV, Parquet) -> learn: subjects' ids and cards, transaction ids, name
//!   floods -> learn: names the texts place next to ids -> every string field masked by its rule
//!   (Masker::field) -> written into OUT's temporary folder -> swapped in together (report::Staging)
//! ```
//!
//! The JSON files keep their layout and key order and the CSV and Parquet files are written as the writers
//! write them, so `mask` over an unmasked folder gives the bytes `scan --mask` writes (but `summary.json`'s
//! `timing`, which differs between runs anyway). A workbook or an HTML page is not masked from the file: its
//! cells and markup are not fields this reads back; they are refused (not copied), and `scan --mask` writes
//! masked ones.

use super::{json, MaskKey, Masker};
use crate::error::{Error, Result};
use crate::report::{Staging, OUTPUTS};
use arrow::array::{Array, ArrayRef, ListArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The outputs `mask` masks from the file.
pub const MASKABLE: &[&str] = &[
    "findings.parquet",
    "findings.jsonl",
    "cases.csv",
    "cases.jsonl",
    "hotspots.csv",
    "summary.json",
];

/// Outputs refused even before the writers that make them are known here.
const REFUSED: &[&str] = &["report.xlsx", "report.html"];

/// What `mask` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderReport {
    /// The masked copies written, in the order they were swapped in.
    pub written: Vec<&'static str>,
    /// Outputs found in the input folder that cannot be masked from the file (not copied).
    pub refused: Vec<String>,
}

/// One output read back.
enum Doc {
    /// JSON or JSON lines, as text.
    Json(String),
    Csv {
        bom: bool,
        rows: Vec<csv::StringRecord>,
    },
    Parquet(RecordBatch),
}

type FieldFn<'a> = dyn FnMut(Option<&str>, &[(String, String)], &str) -> String + 'a;

fn unreadable(path: &Path, detail: impl std::fmt::Display) -> Error {
    Error::Usage(format!(
        "{}: cannot be masked: {detail} (not an output of `subsidy-audit scan`?)",
        path.display()
    ))
}

/// A path made absolute, its folder resolved (the path itself may not exist yet).
fn resolved(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let parent = p.parent().filter(|x| !x.as_os_str().is_empty());
    let base = parent
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        .canonicalize()
        .unwrap_or_else(|_| parent.map_or_else(PathBuf::new, Path::to_path_buf));
    p.file_name().map_or(base.clone(), |n| base.join(n))
}

/// Writes masked copies of the outputs in `input` into `out` (made when missing), all together or none: the
/// folder then holds these copies only (outputs of an earlier run there are removed). `input` must be an output
/// folder (it has `summary.json`) that is not masked already, and not `out` itself.
pub fn mask_folder(input: &Path, out: &Path, key: &MaskKey) -> Result<FolderReport> {
    if !input.is_dir() {
        return Err(if input.exists() {
            Error::Usage(format!(
                "{}: not a folder (give the output folder of a scan)",
                input.display()
            ))
        } else {
            Error::NotFound {
                path: input.to_path_buf(),
            }
        });
    }
    if resolved(input) == resolved(out) {
        return Err(Error::Usage(format!(
            "--out {} is the input folder: the masked copies would replace the originals; give another folder",
            out.display()
        )));
    }
    let summary = input.join("summary.json");
    if !summary.is_file() {
        return Err(Error::Usage(format!(
            "{}: no summary.json: not an output folder of `subsidy-audit scan`",
            input.display()
        )));
    }
    let text = std::fs::read_to_string(&summary).map_err(|e| Error::io(&summary, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| unreadable(&summary, e))?;
    if v.get("masked").is_some() {
        return Err(Error::Usage(format!(
            "{}: the folder is masked already (summary.json: masked)",
            input.display()
        )));
    }
    let names: Vec<&'static str> = OUTPUTS
        .iter()
        .copied()
        .filter(|n| MASKABLE.contains(n) && input.join(n).is_file())
        .collect();
    let mut refused: Vec<String> = OUTPUTS
        .iter()
        .chain(REFUSED)
        .filter(|n| !MASKABLE.contains(n) && input.join(n).exists())
        .map(|n| (*n).to_string())
        .collect();
    refused.sort();
    refused.dedup();
    let docs: Vec<(&'static str, Doc)> = names
        .iter()
        .map(|n| read(&input.join(n)).map(|d| (*n, d)))
        .collect::<Result<_>>()?;

    let mut m = Masker::new(key);
    for (n, d) in &docs {
        fields(d, &mut |k, before, v| {
            m.learn_field(k, before, v);
            v.to_string()
        })
        .map_err(|e| unreadable(&input.join(n), e))?;
    }
    for (n, d) in &docs {
        fields(d, &mut |k, _, v| {
            m.learn_names(k, v);
            v.to_string()
        })
        .map_err(|e| unreadable(&input.join(n), e))?;
    }
    let mut masked = Vec::with_capacity(docs.len());
    for (n, d) in &docs {
        let mut doc = fields(d, &mut |k, before, v| m.field(k, before, v))
            .map_err(|e| unreadable(&input.join(n), e))?;
        if *n == "summary.json" {
            if let Doc::Json(t) = &mut doc {
                *t = with_mask_info(t, &m).map_err(|e| unreadable(&input.join(n), e))?;
            }
        }
        masked.push((*n, doc));
    }
    Staging::begin(out)?.commit_files(&names, |dir| {
        for (n, d) in &masked {
            write(&dir.join(n), d)?;
        }
        Ok(())
    })?;
    Ok(FolderReport {
        written: names,
        refused,
    })
}

fn read(path: &Path) -> Result<Doc> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "parquet" => read_parquet(path),
        "csv" => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let bom = bytes.starts_with(b"\xef\xbb\xbf");
            let body = if bom { &bytes[3..] } else { &bytes[..] };
            let rows = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(body)
                .records()
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| unreadable(path, e))?;
            Ok(Doc::Csv { bom, rows })
        }
        _ => std::fs::read_to_string(path)
            .map(Doc::Json)
            .map_err(|e| Error::io(path, e)),
    }
}

fn read_parquet(path: &Path) -> Result<Doc> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let b = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(path, e))?;
    // the writers' schema, without what the reader adds
    let schema = Arc::new(Schema::new(b.schema().fields().clone()));
    let batches: Vec<RecordBatch> = b
        .build()
        .map_err(|e| unreadable(path, e))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| unreadable(path, e))?;
    let batch =
        arrow::compute::concat_batches(&schema, &batches).map_err(|e| unreadable(path, e))?;
    Ok(Doc::Parquet(batch))
}

/// `doc` with every string field passed through `f` (key: the JSON key or column name; before: the string fields
/// before it in its object or row).
fn fields(doc: &Doc, f: &mut FieldFn<'_>) -> std::result::Result<Doc, String> {
    match doc {
        Doc::Json(t) => json::rewrite(t, f).map(Doc::Json),
        Doc::Csv { bom, rows } => {
            let Some(header) = rows.first() else {
                return Ok(Doc::Csv {
                    bom: *bom,
                    rows: Vec::new(),
                });
            };
            let mut out = vec![header.clone()];
            for r in &rows[1..] {
                let mut before: Vec<(String, String)> = Vec::with_capacity(r.len());
                let mut rec = csv::StringRecord::new();
                for (j, v) in r.iter().enumerate() {
                    let key = header.get(j);
                    rec.push_field(&f(key, &before, v));
                    if let Some(k) = key {
                        before.push((k.to_string(), v.to_string()));
                    }
                }
                out.push(rec);
            }
            Ok(Doc::Csv {
                bom: *bom,
                rows: out,
            })
        }
        Doc::Parquet(batch) => parquet_fields(batch, f).map(Doc::Parquet),
    }
}

fn parquet_fields(
    batch: &RecordBatch,
    f: &mut FieldFn<'_>,
) -> std::result::Result<RecordBatch, String> {
    let schema = batch.schema();
    let names: Vec<&str> = schema.fields().iter().map(|x| x.name().as_str()).collect();
    let strings: Vec<Option<&StringArray>> = batch
        .columns()
        .iter()
        .map(|c| c.as_any().downcast_ref::<StringArray>())
        .collect();
    let mut columns: Vec<Vec<Option<String>>> =
        vec![Vec::with_capacity(batch.num_rows()); names.len()];
    for i in 0..batch.num_rows() {
        let mut before: Vec<(String, String)> = Vec::new();
        for (j, col) in batch.columns().iter().enumerate() {
            if let Some(s) = strings[j] {
                if s.is_null(i) {
                    columns[j].push(None);
                    continue;
                }
                let v = s.value(i);
                columns[j].push(Some(f(Some(names[j]), &before, v)));
                before.push((names[j].to_string(), v.to_string()));
            } else if let (Some(l), DataType::List(_)) =
                (col.as_any().downcast_ref::<ListArray>(), col.data_type())
            {
                // lists of text (txn_ids): learned from, kept as written
                if l.is_valid(i) {
                    let items = l.value(i);
                    if let Some(s) = items.as_any().downcast_ref::<StringArray>() {
                        for v in s.iter().flatten() {
                            f(Some(names[j]), &[], v);
                        }
                    }
                }
            }
        }
    }
    let arrays: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .zip(columns)
        .zip(&strings)
        .map(|((c, vals), s)| match s {
            Some(_) => Arc::new(StringArray::from(vals)) as ArrayRef,
            None => c.clone(),
        })
        .collect();
    RecordBatch::try_new(schema, arrays).map_err(|e| e.to_string())
}

/// `summary.json` with `"masked": {...}` as its last field, as serde_json writes it pretty.
fn with_mask_info(t: &str, m: &Masker) -> std::result::Result<String, String> {
    #[derive(serde::Serialize)]
    struct Only {
        masked: super::MaskInfo,
    }
    let pretty =
        serde_json::to_string_pretty(&Only { masked: m.info() }).map_err(|e| e.to_string())?;
    // `{\n  "masked": {...}\n}`: the field's lines
    let field = pretty
        .strip_prefix("{\n")
        .and_then(|p| p.strip_suffix("\n}"))
        .ok_or("unexpected JSON layout")?;
    let body = t.trim_end();
    let tail = &t[body.len()..];
    let open = body
        .strip_suffix("\n}")
        .ok_or("summary.json does not end its object on a line of its own")?;
    Ok(format!("{open},\n{field}\n}}{tail}"))
}

fn write(path: &Path, doc: &Doc) -> Result<()> {
    match doc {
        Doc::Json(t) => std::fs::write(path, t).map_err(|e| Error::output(path, e)),
        Doc::Csv { bom, rows } => {
            let mut buf: Vec<u8> = Vec::new();
            if *bom {
                buf.extend_from_slice("\u{feff}".as_bytes());
            }
            {
                let mut w = csv::Writer::from_writer(&mut buf);
                for r in rows {
                    w.write_record(r).map_err(|e| Error::output(path, e))?;
                }
                w.flush().map_err(|e| Error::output(path, e))?;
            }
            std::fs::write(path, buf).map_err(|e| Error::output(path, e))
        }
        Doc::Parquet(batch) => crate::report::parquet::write_batch(path, batch),
    }
}
