//! `import`: ledgers as finance systems export them (CSV or TSV in UTF-8 or GB18030/GBK, Excel workbooks)
//! converted into Parquet that `scan` reads, with the config's `[columns]` mapping applied.
//!
//! ```text
//! input -> encoding (BOM, else UTF-8, GB18030 or Windows-1252 detected on the first MiB; or set) and delimiter
//!       -> header row (the first of the first 20 rows that names the amount column)
//!       -> rows: csv ByteRecords (each field decoded once) or workbook cells, streamed
//!       -> canonical columns, typed (text Utf8, amount/quantity exact decimals, dates Date32)
//!       -> Arrow batches -> Parquet row groups written as they fill -> renamed into place at the end
//! ```
//!
//! A row with the wrong number of fields is rejected with its line number; a value that cannot be read is
//! written as null and counted (column, problem, sample lines and texts). Every row read is written or
//! rejected: `rows_read = rows_written + rows_rejected`.

pub mod convert;
pub mod csv_in;
mod xlsx_in;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::ledger::column::Col;
use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use convert::{Cell, OutColumn};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Default rows per row group of the written Parquet.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 131_072;
/// Rows per Arrow batch handed to the writer (the memory bound of the conversion).
const BATCH_ROWS: usize = 16_384;
/// How many rows are searched for the header row.
pub const HEADER_SEARCH_ROWS: u64 = 20;
/// How many rejected lines are listed.
pub const REJECTED_SAMPLES: usize = 20;
/// The key, in the written file's metadata, that marks a file written by `import`.
pub const IMPORT_MARK: &str = "subsidy-audit.import";
/// The import summary's name in the output folder.
pub const SUMMARY_FILE: &str = "import-summary.json";

/// A text encoding of CSV input: any ASCII-compatible encoding of the WHATWG Encoding Standard (encoding_rs),
/// so that the CSV structure can be found in the bytes before a field is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding(&'static encoding_rs::Encoding);

impl Encoding {
    pub const UTF8: Self = Self(encoding_rs::UTF_8);
    /// GB18030, which reads GBK and GB2312 (its subsets).
    pub const GB18030: Self = Self(encoding_rs::GB18030);
    /// Windows-1252, what `latin1` and `iso-8859-1` mean in practice.
    pub const WINDOWS_1252: Self = Self(encoding_rs::WINDOWS_1252);

    /// `auto` (`None`), or an encoding label: `utf-8`, `gb18030` (`gbk`, `gb2312`: read as GB18030),
    /// `windows-1252` (`latin1`), `windows-1250`, `big5`, `shift_jis`, ... Encodings that are not
    /// ASCII-compatible (UTF-16, ISO-2022-JP) are refused.
    pub fn parse(s: &str) -> std::result::Result<Option<Self>, String> {
        let label = s.trim().to_ascii_lowercase();
        if label == "auto" {
            return Ok(None);
        }
        let label = if label == "utf8" {
            "utf-8".to_string()
        } else {
            label
        };
        let e = encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
            format!("unknown encoding `{label}` (expected auto, utf-8, gb18030 (gbk), windows-1252 (latin1), or another WHATWG encoding label)")
        })?;
        let e = if e == encoding_rs::GBK {
            encoding_rs::GB18030
        } else {
            e
        };
        if !e.is_ascii_compatible() {
            return Err(format!(
                "encoding `{label}` ({}) is not ASCII-compatible, so CSV cannot be read in it; save the file as UTF-8",
                e.name()
            ));
        }
        Ok(Some(Self(e)))
    }

    /// The encoding's name in lower case: `utf-8`, `gb18030`, `windows-1252`.
    pub fn as_str(self) -> String {
        self.0.name().to_ascii_lowercase()
    }

    /// Whether a character can hold bytes of 0x40 and above after its first (GB18030, Big5, Shift_JIS).
    pub fn is_multi_byte_legacy(self) -> bool {
        self.0 != encoding_rs::UTF_8 && !self.0.is_single_byte()
    }

    pub fn encoding(self) -> &'static encoding_rs::Encoding {
        self.0
    }
}

impl Serialize for Encoding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

/// The config's `[import]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSettings {
    pub encoding: Option<Encoding>,
    pub delimiter: Option<u8>,
    pub sheet: Option<String>,
    /// A chrono format for date text (`%d/%m/%Y`); without it ISO dates, `YYYY/MM/DD` and `YYYYMMDD` are read.
    pub date_format: Option<String>,
}

/// Parses a delimiter: one ASCII character, or `tab` / `\t`.
pub fn parse_delimiter(s: &str) -> std::result::Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && s != "\"" && s != "\n" && s != "\r" => {
            Ok(s.as_bytes()[0])
        }
        _ => Err(format!(
            "delimiter `{s}` must be one ASCII character other than a quote or line break (or `tab`)"
        )),
    }
}

/// Reads the config's `[import]` table.
pub fn parse_settings(path: &Path, value: &toml::Value) -> Result<ImportSettings> {
    let t = value
        .as_table()
        .ok_or_else(|| Error::config(path, "import", "must be a table"))?;
    let mut s = ImportSettings::default();
    for (k, v) in t {
        let at = format!("import.{k}");
        let text = || {
            v.as_str()
                .ok_or_else(|| Error::config(path, &at, "must be text"))
        };
        match k.as_str() {
            "encoding" => {
                s.encoding = Encoding::parse(text()?).map_err(|m| Error::config(path, &at, m))?;
            }
            "delimiter" => {
                s.delimiter =
                    Some(parse_delimiter(text()?).map_err(|m| Error::config(path, &at, m))?);
            }
            "sheet" => s.sheet = Some(text()?.to_string()),
            "date_format" => {
                let f = text()?;
                if chrono::format::StrftimeItems::new(f).any(|i| i == chrono::format::Item::Error) {
                    return Err(Error::config(
                        path,
                        &at,
                        format!(
                            "`{f}` is not a valid date format (chrono strftime, e.g. %d/%m/%Y)"
                        ),
                    ));
                }
                s.date_format = Some(f.to_string());
            }
            _ => {
                return Err(Error::config(
                    path,
                    at,
                    "unknown key (expected encoding, delimiter, sheet, date_format)",
                ))
            }
        }
    }
    Ok(s)
}

/// What `import` is asked to do.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub config: Option<PathBuf>,
    /// Overrides the config's `import.encoding`; `None`: the config's, else detected.
    pub encoding: Option<Encoding>,
    pub delimiter: Option<u8>,
    pub sheet: Option<String>,
    pub row_group_rows: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            inputs: Vec::new(),
            out: PathBuf::from("ledger-parquet"),
            config: None,
            encoding: None,
            delimiter: None,
            sheet: None,
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
        }
    }
}

/// What went wrong with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Text that is no value of the column's type (an amount `12,5`, a date `2024-13-01`).
    Unparsable,
    /// Bytes that are not valid in the file's encoding.
    InvalidEncoding,
    /// A spreadsheet number of 16 or more digits: the spreadsheet kept only 15-17 of them (a long id typed
    /// as a number).
    ImpreciseNumber,
}

/// One (column, problem) count while converting.
#[derive(Debug, Clone, Default)]
pub struct ColumnProblem {
    pub rows: u64,
    pub sample_lines: Vec<u64>,
    pub sample_values: Vec<String>,
}

/// A mapped column of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct MappedColumn {
    pub canonical: String,
    pub source: String,
    #[serde(rename = "type")]
    pub data_type: String,
}

/// A problem of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemSummary {
    pub column: String,
    pub problem: Problem,
    pub rows: u64,
    pub sample_lines: Vec<u64>,
    pub sample_values: Vec<String>,
}

/// A rejected row.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

/// What happened to one input.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    pub path: String,
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// `detected`, `bom`, `config` or `flag`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_from: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub output: String,
    /// The line (spreadsheet row) of the header; rows above it (titles) are not data.
    pub header_line: u64,
    pub columns: Vec<MappedColumn>,
    pub columns_ignored: Vec<String>,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_rejected: u64,
    /// The first rejected rows, with their lines.
    pub rejected: Vec<Rejected>,
    pub problems: Vec<ProblemSummary>,
    pub row_groups: usize,
}

/// What `import` did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub version: &'static str,
    pub out: String,
    pub inputs: Vec<InputSummary>,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_rejected: u64,
}

/// Whether `path` names a file `import` reads rather than Parquet (by its extension).
pub fn is_import_format(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|e| {
            matches!(
                e.as_str(),
                "csv" | "tsv" | "tab" | "txt" | "xlsx" | "xlsm" | "xls" | "xlsb" | "ods"
            )
        })
}

fn fail(path: &Path, line: Option<u64>, message: impl Into<String>) -> Error {
    Error::Import {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// Converts every input into `opts.out`; outputs appear together at the end, or not at all.
pub fn import(opts: &ImportOptions) -> Result<ImportSummary> {
    if opts.inputs.is_empty() {
        return Err(Error::Usage("import: no input file given".into()));
    }
    if opts.row_group_rows == 0 || opts.row_group_rows > 16_777_216 {
        return Err(Error::Usage(format!(
            "--row-group-rows {}: must be between 1 and 16777216",
            opts.row_group_rows
        )));
    }
    let config = Config::load(opts.config.as_deref(), None)?;
    // output names: the input's stem, made unique
    let mut names: Vec<String> = Vec::new();
    for input in &opts.inputs {
        if input.is_dir() {
            return Err(fail(
                input,
                None,
                "is a folder; name the CSV, TSV or workbook files",
            ));
        }
        if !input.exists() {
            return Err(Error::NotFound {
                path: input.clone(),
            });
        }
        let stem = input
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| !s.is_empty() && !s.starts_with('.') && !s.starts_with('_'))
            .unwrap_or("ledger");
        let mut name = format!("{stem}.parquet");
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{stem}-{k}.parquet");
            k += 1;
        }
        names.push(name);
    }
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::output(&opts.out, e))?;
    // other Parquet in the folder would be scanned with the imported files
    let ours: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    if let Ok(found) = crate::ledger::source::discover(std::slice::from_ref(&opts.out)) {
        if let Some((p, _)) = found.iter().find(|(p, _)| {
            p.parent() != Some(opts.out.as_path())
                || !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| ours.contains(n))
        }) {
            return Err(Error::output(
                &opts.out,
                format!(
                    "the folder already holds {}, which a scan of the folder would read with the imported files; import into an empty folder",
                    p.display()
                ),
            ));
        }
    }
    remove_stale(&opts.out);
    let tmp = opts.out.join(format!("{TMP_PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::output(&tmp, e))?;
    let result = (|| {
        let mut inputs: Vec<InputSummary> = Vec::new();
        for (input, name) in opts.inputs.iter().zip(&names) {
            let one = import_one(input, &tmp.join(name), &opts.out.join(name), opts, &config)?;
            // the files of one folder are one ledger to the scan: they must hold the same columns
            if let Some(first) = inputs.first() {
                let cols = |s: &InputSummary| -> BTreeSet<String> {
                    s.columns.iter().map(|c| c.canonical.clone()).collect()
                };
                let (a, b) = (cols(first), cols(&one));
                if let Some(c) = a.symmetric_difference(&b).next() {
                    let (has, lacks) = if a.contains(c) {
                        (&first.path, &one.path)
                    } else {
                        (&one.path, &first.path)
                    };
                    return Err(fail(
                        input,
                        None,
                        format!("column `{c}` is in {has} but not in {lacks}; the files of one import are one ledger and must hold the same columns (import them into separate folders)"),
                    ));
                }
            }
            inputs.push(one);
        }
        let summary = ImportSummary {
            version: env!("CARGO_PKG_VERSION"),
            out: opts.out.display().to_string(),
            rows_read: inputs.iter().map(|i| i.rows_read).sum(),
            rows_written: inputs.iter().map(|i| i.rows_written).sum(),
            rows_rejected: inputs.iter().map(|i| i.rows_rejected).sum(),
            inputs,
        };
        let json =
            serde_json::to_string_pretty(&summary).map_err(|e| Error::output(&tmp, e))? + "\n";
        std::fs::write(tmp.join(SUMMARY_FILE), json)
            .map_err(|e| Error::output(tmp.join(SUMMARY_FILE), e))?;
        for name in names.iter().map(String::as_str).chain([SUMMARY_FILE]) {
            std::fs::rename(tmp.join(name), opts.out.join(name))
                .map_err(|e| Error::output(opts.out.join(name), e))?;
        }
        Ok(summary)
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// Whether a row's first filled cell marks it as a total line: 合计, 总计, 小计, 累计, 本页合计, or Total /
/// Grand total / Sum in any case.
fn is_total_label(text: &str) -> bool {
    let t = text.trim();
    matches!(
        t,
        "合计" | "总计" | "小计" | "累计" | "本页合计" | "合计：" | "合计:" | "总计：" | "总计:"
    ) || ["total", "grand total", "sum", "total:", "grand total:"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
}

/// The source of a `txn_id` made from the input's name and line.
const FILE_LINE: usize = usize::MAX;

/// The prefix of the temporary folder inside the output folder (hidden from the scan).
const TMP_PREFIX: &str = ".subsidy-audit-import-";

/// Removes the temporary folders of imports that were killed (their process is gone).
fn remove_stale(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TMP_PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = pid == std::process::id()
            || !Path::new("/proc").is_dir()
            || Path::new("/proc").join(pid.to_string()).exists();
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn import_one(
    input: &Path,
    tmp: &Path,
    out: &Path,
    opts: &ImportOptions,
    config: &Config,
) -> Result<InputSummary> {
    let ext = input
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let mut rows = Rows::new(input, tmp, opts, config);
    let mut summary = match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => {
            xlsx_in::read(input, &ext, opts, config, &mut rows)?
        }
        _ => csv_in::read(input, &ext, opts, config, &mut rows)?,
    };
    rows.finish(&mut summary)?;
    summary.output = out.display().to_string();
    Ok(summary)
}

/// An empty summary for `path`, filled in by the reader and by [`Rows::finish`].
fn summary_for(path: &Path, format: &'static str) -> InputSummary {
    InputSummary {
        path: path.display().to_string(),
        format,
        encoding: None,
        encoding_from: None,
        delimiter: None,
        sheet: None,
        output: String::new(),
        header_line: 0,
        columns: Vec::new(),
        columns_ignored: Vec::new(),
        rows_read: 0,
        rows_written: 0,
        rows_rejected: 0,
        rejected: Vec::new(),
        problems: Vec::new(),
        row_groups: 0,
    }
}

/// The Parquet being written.
struct Sink {
    cols: Vec<OutColumn>,
    schema: SchemaRef,
    writer: Writer,
    pending: usize,
}

/// The Parquet writer on its own thread (encoding and compression overlap the parsing): batches in, in order,
/// through a bounded channel, so memory stays bounded.
struct Writer {
    tx: Option<SyncSender<RecordBatch>>,
    handle: Option<JoinHandle<std::result::Result<usize, String>>>,
}

impl Writer {
    fn spawn(mut w: ArrowWriter<File>) -> Self {
        let (tx, rx) = sync_channel::<RecordBatch>(2);
        let handle = std::thread::spawn(move || {
            for rb in rx {
                w.write(&rb).map_err(|e| e.to_string())?;
            }
            w.close()
                .map(|m| m.num_row_groups())
                .map_err(|e| e.to_string())
        });
        Self {
            tx: Some(tx),
            handle: Some(handle),
        }
    }

    fn send(&mut self, rb: RecordBatch) -> std::result::Result<(), String> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(rb).is_ok());
        if sent {
            Ok(())
        } else {
            // the writer stopped on an error: report it
            Err(self
                .close()
                .err()
                .unwrap_or_else(|| "the writer stopped".into()))
        }
    }

    /// Waits for the last row group; the number of row groups written.
    fn close(&mut self) -> std::result::Result<usize, String> {
        drop(self.tx.take());
        match self.handle.take() {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err("the Parquet writer failed".into())),
            None => Err("the writer stopped".into()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The rows of one input, from the header search to the last row group: every reader feeds this.
pub(crate) struct Rows<'a> {
    path: &'a Path,
    /// The input's file name, for `txn_id`s made of `file:line`.
    file_name: String,
    tmp: &'a Path,
    opts: &'a ImportOptions,
    config: &'a Config,
    /// Rows looked at for the header so far.
    searched: u64,
    first_row: Option<(u64, Vec<String>)>,
    sink: Option<Sink>,
    width: usize,
    header_line: u64,
    mapped: Vec<MappedColumn>,
    ignored: Vec<String>,
    problems: BTreeMap<(Col, Problem), ColumnProblem>,
    n_read: u64,
    n_written: u64,
    n_rejected: u64,
    rejected: Vec<Rejected>,
}

impl<'a> Rows<'a> {
    fn new(path: &'a Path, tmp: &'a Path, opts: &'a ImportOptions, config: &'a Config) -> Self {
        Self {
            path,
            file_name: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            tmp,
            opts,
            config,
            searched: 0,
            first_row: None,
            sink: None,
            width: 0,
            header_line: 0,
            mapped: Vec::new(),
            ignored: Vec::new(),
            problems: BTreeMap::new(),
            n_read: 0,
            n_written: 0,
            n_rejected: 0,
            rejected: Vec::new(),
        }
    }

    /// Whether the header row has been found.
    pub fn has_header(&self) -> bool {
        self.sink.is_some()
    }

    /// Offers a row to the header search: `texts` are its cells as text. A row that names the amount column
    /// becomes the header; rows before it are titles. Errors after [`HEADER_SEARCH_ROWS`] rows without one.
    pub fn header(&mut self, line: u64, texts: Vec<String>) -> Result<()> {
        let texts: Vec<String> = texts
            .into_iter()
            .map(|t| t.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        self.searched += 1;
        let amount = self.config.column_name(Col::Amount);
        if !texts.iter().any(|t| t == amount) {
            if self.first_row.is_none() {
                self.first_row = Some((line, texts));
            }
            if self.searched >= HEADER_SEARCH_ROWS {
                return Err(self.no_header());
            }
            return Ok(());
        }
        self.start(line, &texts)
    }

    fn no_header(&self) -> Error {
        let amount = self.config.column_name(Col::Amount);
        let mapped = if self.config.columns.contains_key(&Col::Amount) {
            format!("`{amount}` (mapped from `amount` in [columns])")
        } else {
            format!("`{amount}` (map yours with [columns] amount = \"...\")")
        };
        match &self.first_row {
            Some((line, texts)) => fail(
                self.path,
                Some(*line),
                format!(
                    "no header row names the amount column {mapped} in the first {} rows; columns found on line {line}: {}",
                    self.searched,
                    texts.join(", ")
                ),
            ),
            None => fail(self.path, None, "no rows: the file is empty"),
        }
    }

    /// The header at `line`: maps the canonical columns and opens the output.
    fn start(&mut self, line: u64, header: &[String]) -> Result<()> {
        let mut cols = Vec::new();
        let mut used = BTreeSet::new();
        for &col in Col::ALL {
            let name = self.config.column_name(col);
            let at: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| *h == name)
                .map(|(i, _)| i)
                .collect();
            match at.as_slice() {
                [] if self.config.columns.contains_key(&col) => {
                    return Err(fail(
                        self.path,
                        Some(line),
                        format!(
                            "column `{name}` (mapped from `{}` in [columns]) is not in the header; columns found: {}",
                            col.name(),
                            header.join(", ")
                        ),
                    ))
                }
                // no transaction id: each row's own place in the export, `file:line`, so that evidence
                // points back to the line an investigator can open
                [] if col == Col::TxnId => {
                    cols.push(OutColumn::new(col, FILE_LINE, None));
                    self.mapped.push(MappedColumn {
                        canonical: col.name().to_string(),
                        source: "(file:line)".to_string(),
                        data_type: convert::output_type(col).to_string(),
                    });
                }
                [] => {}
                [i] => {
                    used.insert(*i);
                    cols.push(OutColumn::new(
                        col,
                        *i,
                        self.config.import.date_format.as_deref(),
                    ));
                    self.mapped.push(MappedColumn {
                        canonical: col.name().to_string(),
                        source: name.to_string(),
                        data_type: convert::output_type(col).to_string(),
                    });
                }
                many => {
                    return Err(fail(
                        self.path,
                        Some(line),
                        format!(
                            "column `{name}` appears {} times in the header (columns {}); which one is `{}` is ambiguous",
                            many.len(),
                            many.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(", "),
                            col.name()
                        ),
                    ))
                }
            }
        }
        self.ignored = header
            .iter()
            .enumerate()
            .filter(|(i, h)| !used.contains(i) && !h.is_empty())
            .map(|(_, h)| h.clone())
            .collect();
        let fields: Vec<_> = cols.iter().map(|c| convert::field(c.col)).collect();
        let mut meta = std::collections::HashMap::new();
        meta.insert(
            IMPORT_MARK.to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        );
        let schema = Arc::new(Schema::new_with_metadata(fields, meta));
        let file = File::create(self.tmp).map_err(|e| Error::output(self.tmp, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(self.opts.row_group_rows))
            .build();
        let writer = Writer::spawn(
            ArrowWriter::try_new(file, schema.clone(), Some(props))
                .map_err(|e| Error::output(self.tmp, e))?,
        );
        self.width = header.len();
        self.header_line = line;
        self.sink = Some(Sink {
            cols,
            schema,
            writer,
            pending: 0,
        });
        Ok(())
    }

    /// One data row of `fields` cells at `line` (`strict`: the field count must match the header's).
    /// `cell(i)` is the row's cell `i`.
    pub fn row<'c>(
        &mut self,
        line: u64,
        fields: usize,
        strict: bool,
        cell: impl Fn(usize) -> Cell<'c>,
    ) -> Result<()> {
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        self.n_read += 1;
        // trailing delimiters (empty fields past the header's) are no reason to reject a row
        let misfit = strict
            && fields != self.width
            && !(fields > self.width
                && (self.width..fields).all(|i| match cell(i) {
                    Cell::Empty => true,
                    Cell::Text(t) => t.trim().is_empty(),
                    _ => false,
                }));
        // the total line finance systems append (合计 in the first filled cell) is no payment
        let total = if misfit {
            None
        } else {
            (0..fields)
                .map(&cell)
                .find(|c| {
                    !matches!(c, Cell::Empty) && !matches!(c, Cell::Text(t) if t.trim().is_empty())
                })
                .and_then(|c| match c {
                    Cell::Text(t) if is_total_label(&t) => Some(t.trim().to_string()),
                    _ => None,
                })
        };
        if misfit || total.is_some() {
            self.n_rejected += 1;
            if self.rejected.len() < REJECTED_SAMPLES {
                self.rejected.push(Rejected {
                    line,
                    reason: match total {
                        Some(t) => format!("a total line ({t})"),
                        None => format!("{fields} fields where the header has {}", self.width),
                    },
                });
            }
            return Ok(());
        }
        for c in &mut sink.cols {
            let v = if c.source < fields {
                cell(c.source)
            } else if c.source == FILE_LINE {
                Cell::Text(std::borrow::Cow::Owned(format!(
                    "{}:{line}",
                    self.file_name
                )))
            } else {
                Cell::Empty
            };
            c.push(v, line, &mut self.problems);
        }
        self.n_written += 1;
        sink.pending += 1;
        let full = sink.pending >= BATCH_ROWS.min(self.opts.row_group_rows);
        if full {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        if sink.pending == 0 {
            return Ok(());
        }
        let arrays = sink.cols.iter_mut().map(OutColumn::finish).collect();
        let rb = if sink.cols.is_empty() {
            RecordBatch::try_new_with_options(
                sink.schema.clone(),
                arrays,
                &arrow::array::RecordBatchOptions::new().with_row_count(Some(sink.pending)),
            )
        } else {
            RecordBatch::try_new(sink.schema.clone(), arrays)
        }
        .map_err(|e| Error::output(self.tmp, e))?;
        sink.writer
            .send(rb)
            .map_err(|e| Error::output(self.tmp, e))?;
        sink.pending = 0;
        Ok(())
    }

    /// Writes the last rows and closes the file; fills the counts of `summary`.
    fn finish(&mut self, summary: &mut InputSummary) -> Result<()> {
        if self.sink.is_none() {
            return Err(self.no_header());
        }
        self.flush()?;
        let Some(mut sink) = self.sink.take() else {
            return Err(self.no_header());
        };
        summary.row_groups = sink
            .writer
            .close()
            .map_err(|e| Error::output(self.tmp, e))?;
        summary.header_line = self.header_line;
        summary.columns = std::mem::take(&mut self.mapped);
        summary.columns_ignored = std::mem::take(&mut self.ignored);
        summary.rows_read = self.n_read;
        summary.rows_written = self.n_written;
        summary.rows_rejected = self.n_rejected;
        summary.rejected = std::mem::take(&mut self.rejected);
        summary.problems = std::mem::take(&mut self.problems)
            .into_iter()
            .map(|((col, problem), p)| ProblemSummary {
                column: col.name().to_string(),
                problem,
                rows: p.rows,
                sample_lines: p.sample_lines,
                sample_values: p.sample_values,
            })
            .collect();
        Ok(())
    }
}

/// The summary as the terminal shows it.
pub fn render(s: &ImportSummary) -> String {
    let mut out = String::new();
    for i in &s.inputs {
        let mut how = vec![i.format.to_string()];
        if let Some(e) = i.encoding {
            how.push(format!(
                "{}{}",
                e.as_str(),
                i.encoding_from
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_default()
            ));
        }
        if let Some(d) = &i.delimiter {
            how.push(format!("delimiter {d}"));
        }
        if let Some(sh) = &i.sheet {
            how.push(format!("sheet {sh}"));
        }
        out += &format!(
            "{}: {} -> {}\n  header on line {}; {} rows read, {} written, {} rejected; columns: {}\n",
            i.path,
            how.join(", "),
            i.output,
            i.header_line,
            i.rows_read,
            i.rows_written,
            i.rows_rejected,
            i.columns
                .iter()
                .map(|c| if c.source == c.canonical {
                    c.canonical.clone()
                } else {
                    format!("{} <- {}", c.canonical, c.source)
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !i.columns_ignored.is_empty() {
            out += &format!(
                "  not imported (no canonical column): {}\n",
                i.columns_ignored.join(", ")
            );
        }
        for r in &i.rejected {
            out += &format!("  rejected line {}: {}\n", r.line, r.reason);
        }
        if i.rows_rejected > i.rejected.len() as u64 {
            out += &format!(
                "  ... {} more rejected\n",
                i.rows_rejected - i.rejected.len() as u64
            );
        }
        for p in &i.problems {
            out += &format!(
                "  {}: {} {} ({}; lines {}{})\n",
                p.column,
                p.rows,
                serde_json::to_value(p.problem)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                if p.problem == Problem::ImpreciseNumber {
                    "kept as the spreadsheet holds it"
                } else {
                    "written as null"
                },
                p.sample_lines
                    .iter()
                    .zip(&p.sample_values)
                    .map(|(l, v)| if v.is_empty() {
                        l.to_string()
                    } else {
                        format!("{l} {v:?}")
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                if p.rows > p.sample_lines.len() as u64 {
                    ", ..."
                } else {
                    ""
                }
            );
        }
    }
    out += &format!(
        "{} rows read, {} written, {} rejected; summary in {}\n",
        s.rows_read,
        s.rows_written,
        s.rows_rejected,
        Path::new(&s.out).join(SUMMARY_FILE).display()
    );
    out
}
