//! The files that make one logical ledger: discovery (files, folders, hive partitions), opening (footer and
//! schema, checked once), and the mapping of canonical columns to each file's own columns.

use super::column::{Col, ColSet, Kind};
use crate::config::Config;
use crate::error::{Error, Result};
use arrow::datatypes::{DataType, Field, FieldRef, Schema};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use rayon::prelude::*;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a canonical column's values come from in one file.
#[derive(Debug, Clone)]
pub enum Source {
    /// A root column of the file, by index, with its Arrow type.
    Column(usize, DataType),
    /// A hive partition value from the path (`period=2024-01/`).
    Constant(Arc<str>),
}

/// One Parquet file of the ledger, opened and checked.
#[derive(Debug, Clone)]
pub struct LedgerFile {
    pub path: PathBuf,
    pub size: u64,
    pub meta: ArrowReaderMetadata,
    pub hive: Vec<(String, String)>,
    pub num_rows: u64,
    /// First row (within the file) of each row group.
    pub row_group_starts: Vec<u64>,
    /// Per canonical column (indexed by [`Col::index`]).
    pub sources: Vec<Option<Source>>,
}

impl LedgerFile {
    pub fn source(&self, c: Col) -> Option<&Source> {
        self.sources.get(c.index()).and_then(Option::as_ref)
    }

    pub fn num_row_groups(&self) -> usize {
        self.row_group_starts.len()
    }
}

/// The whole ledger: files in a stable order, and the canonical columns every file provides.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub files: Vec<LedgerFile>,
    pub available: ColSet,
}

impl Ledger {
    pub fn total_rows(&self) -> u64 {
        self.files.iter().map(|f| f.num_rows).sum()
    }

    /// Finds, opens and maps the files of `inputs` (files or folders).
    pub fn open(inputs: &[PathBuf], config: &Config) -> Result<Self> {
        let found = discover(inputs)?;
        let mut files = found
            .into_par_iter()
            .map(|(p, hive)| open_file(p, hive))
            .collect::<Result<Vec<_>>>()?;
        let available = map_columns(&mut files, config)?;
        for f in &mut files {
            hint_dictionaries(f);
        }
        Ok(Self { files, available })
    }
}

/// The text columns with few distinct values per row group, read as Arrow dictionaries (each value decoded
/// and hashed once per batch rather than per row).
pub const DICTIONARY_COLS: &[Col] = &[
    Col::Scheme,
    Col::Period,
    Col::Region,
    Col::OfficerId,
    Col::Status,
];

/// Asks the reader for `Dictionary(Int32, Utf8)` arrays for the [`DICTIONARY_COLS`] that the file stores as
/// dictionary-encoded Utf8 / LargeUtf8 text (a dictionary page in every row group), and for
/// `Dictionary(Int32, Binary)` where it stores them as BINARY (Hive). Pages that fell back to
/// plain encoding are still read as dictionaries (the reader packs them). Where the reader cannot take the
/// hint, the file is read as before.
fn hint_dictionaries(f: &mut LedgerFile) {
    let schema = f.meta.schema().clone();
    let md = f.meta.metadata().clone();
    let descr = md.file_metadata().schema_descr();
    let dict_of = |v: DataType| DataType::Dictionary(Box::new(DataType::Int32), Box::new(v));
    let mut fields: Vec<FieldRef> = schema.fields().iter().cloned().collect();
    let mut changed = false;
    for &c in DICTIONARY_COLS {
        // Hive's BINARY strings too: as Dictionary(Int32, Binary), read as text value by value
        let (idx, dict) = match f.source(c) {
            Some(Source::Column(i, DataType::Utf8 | DataType::LargeUtf8)) => {
                (*i, dict_of(DataType::Utf8))
            }
            Some(Source::Column(i, DataType::Binary | DataType::LargeBinary)) => {
                (*i, dict_of(DataType::Binary))
            }
            _ => continue,
        };
        let leaves: Vec<usize> = (0..descr.num_columns())
            .filter(|&l| descr.get_column_root_idx(l) == idx)
            .collect();
        let encoded = leaves.len() == 1
            && md
                .row_groups()
                .iter()
                .all(|rg| rg.column(leaves[0]).dictionary_page_offset().is_some());
        if !encoded || fields[idx].data_type() == &dict {
            continue;
        }
        let old = &fields[idx];
        fields[idx] = Arc::new(
            Field::new(old.name(), dict.clone(), old.is_nullable())
                .with_metadata(old.metadata().clone()),
        );
        changed = true;
    }
    if !changed {
        return;
    }
    let hinted = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    if let Ok(meta) =
        ArrowReaderMetadata::try_new(md, ArrowReaderOptions::new().with_schema(hinted))
    {
        f.meta = meta;
    }
}

/// Every Parquet file named by `inputs`: files as given, folders walked (sorted; hidden and `_`-prefixed
/// entries skipped), with the hive `key=value` folders above each file.
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, Vec<(String, String)>)>> {
    let mut out = Vec::new();
    for input in inputs {
        let md = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if md.is_dir() {
            let before = out.len();
            walk(input, &mut Vec::new(), &mut out)?;
            if out.len() == before {
                return Err(Error::NoParquet {
                    path: input.clone(),
                });
            }
        } else {
            out.push((input.clone(), Vec::new()));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|(p, _)| seen.insert(p.clone()));
    Ok(out)
}

fn walk(
    dir: &Path,
    hive: &mut Vec<(String, String)>,
    out: &mut Vec<(PathBuf, Vec<(String, String)>)>,
) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|err| Error::io(dir, err)))
        .collect::<Result<Vec<_>>>()?;
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if p.is_dir() {
            let pushed = if let Some((k, v)) = name.split_once('=') {
                hive.push((k.to_string(), v.to_string()));
                true
            } else {
                false
            };
            walk(&p, hive, out)?;
            if pushed {
                hive.pop();
            }
        } else if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            out.push((p, hive.clone()));
        }
    }
    Ok(())
}

/// Opens one file: checks the magic bytes (for a clear message) and reads the footer and schema.
pub fn open_file(path: PathBuf, hive: Vec<(String, String)>) -> Result<LedgerFile> {
    let mut f = File::open(&path).map_err(|e| Error::io(&path, e))?;
    let size = f.metadata().map_err(|e| Error::io(&path, e))?.len();
    let mut head = [0u8; 4];
    let has_magic = size >= 12 && f.read_exact(&mut head).is_ok() && &head == b"PAR1";
    if !has_magic && crate::import::is_import_format(&path) {
        return Err(Error::Import {
            path,
            line: None,
            message: "is a CSV, TSV or workbook, not Parquet: convert it first with `subsidy-audit import FILE --out DIR` (with the scan's --config), then scan DIR".into(),
        });
    }
    if !has_magic {
        return Err(Error::NotParquet {
            path,
            detail: "no PAR1 magic at the start (not a Parquet file)".into(),
        });
    }
    let meta = ArrowReaderMetadata::load(&f, ArrowReaderOptions::new()).map_err(|e| {
        Error::NotParquet {
            path: path.clone(),
            detail: format!("footer unreadable, the file may be truncated: {e}"),
        }
    })?;
    super::guard::tail(&f, size)
        .map_err(|e| e.to_string())
        .and_then(|t| super::guard::check_footer(size, t, meta.metadata()))
        .map_err(|detail| Error::NotParquet {
            path: path.clone(),
            detail: format!("implausible metadata, refused: {detail}"),
        })?;
    let mut starts = Vec::with_capacity(meta.metadata().num_row_groups());
    let mut n = 0u64;
    for rg in meta.metadata().row_groups() {
        starts.push(n);
        n += u64::try_from(rg.num_rows()).unwrap_or(0);
    }
    Ok(LedgerFile {
        path,
        size,
        meta,
        hive,
        num_rows: n,
        row_group_starts: starts,
        sources: vec![None; Col::ALL.len()],
    })
}

/// Whether an Arrow type can hold a column of `kind`.
pub fn accepts(kind: Kind, dt: &DataType) -> bool {
    // binary (Parquet BINARY without the UTF8 annotation, as Hive and Impala write strings) reads as text
    let is_text = crate::ledger::decode::is_text_type(dt);
    if *dt == DataType::Null {
        return true;
    }
    match kind {
        Kind::Text => is_text,
        Kind::TextOrInt | Kind::Period => is_text || dt.is_integer(),
        Kind::Date => {
            is_text
                || matches!(
                    dt,
                    DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
                )
        }
        // decimal text (`"12.50"`) is parsed exactly, see `money::parse_amount_text`
        Kind::Number => dt.is_integer() || dt.is_floating() || dt.is_decimal() || is_text,
    }
}

/// Maps every canonical column in every file. A column mapped in the config must exist in every file; a
/// column found in some files but not others is an error; a type the column's kind cannot take is an error.
/// Returns the columns that every file provides.
fn map_columns(files: &mut [LedgerFile], config: &Config) -> Result<ColSet> {
    let mut available = ColSet::default();
    for &col in Col::ALL {
        let name = config.column_name(col);
        let explicit = config.columns.contains_key(&col);
        let mut present: Option<usize> = None;
        let mut absent: Option<usize> = None;
        for (fi, f) in files.iter_mut().enumerate() {
            let schema = f.meta.schema().clone();
            // a file written by `import` holds canonical names already, so the scan's config applies as is
            let imported = schema.metadata().contains_key(crate::import::IMPORT_MARK);
            let found = schema.column_with_name(name).or_else(|| {
                imported
                    .then(|| schema.column_with_name(col.name()))
                    .flatten()
            });
            let src = if let Some((idx, field)) = found {
                if !accepts(col.kind(), field.data_type()) {
                    return Err(Error::ColumnType {
                        path: f.path.clone(),
                        column: name.to_string(),
                        found: field.data_type().to_string(),
                        expected: col.kind().describe().to_string(),
                    });
                }
                Some(Source::Column(idx, field.data_type().clone()))
            } else {
                f.hive
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| Source::Constant(Arc::from(v.as_str())))
            };
            if src.is_some() {
                present.get_or_insert(fi);
            } else {
                if explicit {
                    let found = schema
                        .fields()
                        .iter()
                        .map(|x| x.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(Error::MissingColumn {
                        path: f.path.clone(),
                        column: name.to_string(),
                        canonical: col.name().to_string(),
                        found,
                    });
                }
                absent.get_or_insert(fi);
            }
            f.sources[col.index()] = src;
        }
        match (present, absent) {
            (Some(_), None) => available = available.with(col),
            (Some(p), Some(a)) => {
                return Err(Error::InconsistentColumn {
                    path: files[a].path.clone(),
                    column: name.to_string(),
                    other: files[p].path.display().to_string(),
                })
            }
            _ => {}
        }
    }
    Ok(available)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;

    #[test]
    fn low_cardinality_text_is_read_as_a_dictionary() {
        let dir = std::env::temp_dir().join(format!("sa-dict-hint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("l.parquet");
        let text = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
        let rb = RecordBatch::try_from_iter(vec![
            ("region", text(&["n", "s", "n"])),
            ("payee_id", text(&["p1", "p2", "p3"])),
            (
                "period",
                Arc::new(Int64Array::from(vec![2024, 2024, 2025])) as ArrayRef,
            ),
        ])
        .expect("batch");
        let mut w = ArrowWriter::try_new(File::create(&path).expect("create"), rb.schema(), None)
            .expect("writer");
        w.write(&rb).expect("write");
        w.close().expect("close");
        let ledger = Ledger::open(std::slice::from_ref(&path), &Config::default()).expect("open");
        let f = &ledger.files[0];
        let types: Vec<String> = f
            .meta
            .schema()
            .fields()
            .iter()
            .map(|x| x.data_type().to_string())
            .collect();
        assert_eq!(types, vec!["Dictionary(Int32, Utf8)", "Utf8", "Int64"]);
        // the mapping keeps the file's own type
        assert!(matches!(
            f.source(Col::Region),
            Some(Source::Column(0, DataType::Utf8))
        ));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn hive_binary_text_is_read_as_a_dictionary_of_binary() {
        let dir = std::env::temp_dir().join(format!("sa-dict-hive-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("h.parquet");
        let bin = |v: &[&str]| {
            Arc::new(arrow::array::BinaryArray::from(
                v.iter().map(|s| s.as_bytes()).collect::<Vec<_>>(),
            )) as ArrayRef
        };
        let rb = RecordBatch::try_from_iter(vec![
            ("region", bin(&["n", "s", "n"])),
            ("payee_id", bin(&["p1", "p2", "p3"])),
        ])
        .expect("batch");
        let opts =
            parquet::arrow::arrow_writer::ArrowWriterOptions::new().with_skip_arrow_metadata(true);
        let mut w = ArrowWriter::try_new_with_options(
            File::create(&path).expect("create"),
            rb.schema(),
            opts,
        )
        .expect("writer");
        w.write(&rb).expect("write");
        w.close().expect("close");
        let ledger = Ledger::open(std::slice::from_ref(&path), &Config::default()).expect("open");
        let f = &ledger.files[0];
        let types: Vec<String> = f
            .meta
            .schema()
            .fields()
            .iter()
            .map(|x| x.data_type().to_string())
            .collect();
        assert_eq!(types, vec!["Dictionary(Int32, Binary)", "Binary"]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
