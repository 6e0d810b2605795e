//! Command-line flags (clap derive), kept close to the raw flags; `main.rs` turns them into library calls.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "subsidy-audit",
    version,
    about = "Scan subsidy disbursement ledgers and refer cases of interception and misappropriation"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan ledgers (files or folders of Parquet) and write findings, cases and a summary.
    Scan(ScanArgs),
    /// Convert CSV / TSV (UTF-8, GB18030/GBK, Windows-1252) and Excel workbooks into Parquet that `scan` reads.
    Import(ImportArgs),
    /// List every rule: code, name, summary, columns read, thresholds and defaults.
    Rules {
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Print a rule's full text.
    Explain {
        /// Rule code, e.g. DUP001.
        code: String,
    },
    /// Check the schema only: column mapping, types, which rules can run and why not.
    Check(CheckArgs),
    /// Write a synthetic ledger folder with planted anomalies and their ground truth.
    Generate(GenerateArgs),
    /// Precision and recall of a scan's findings against a generated folder's truth.
    Evaluate(EvaluateArgs),
    /// Nigrini's digit tests (first, second, first two, last two digits) per unit: the whole table.
    Digits(DigitsArgs),
    /// Masked copies of a scan's outputs (ids, names, card numbers, phones, addresses) for readers outside the
    /// investigators, keyed pseudonyms keeping rows joinable.
    Mask(MaskArgs),
    /// A skewed variant of a generated folder (for the skew tests and benchmark).
    #[command(hide = true)]
    Skew {
        /// The generated folder.
        #[arg(long)]
        from: PathBuf,
        /// The variant's folder.
        #[arg(long)]
        out: PathBuf,
        /// account, payee_id, payee_name, officer_id, region, scheme, period, amount, one_payee, one_account.
        #[arg(long)]
        kind: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DigitsBy {
    County,
    Township,
    Officer,
    None,
}

#[derive(Debug, clap::Args)]
pub struct DigitsArgs {
    /// Ledger files or folders, or a generated folder.
    #[arg(required = true)]
    pub ledger: Vec<PathBuf>,
    /// Config file (TOML): column mapping and scheme rules (amounts fixed by the rules are left out).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The unit of the tests; `none`: the whole ledger is one unit.
    #[arg(long, value_enum, default_value = "county")]
    pub by: DigitsBy,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Ledger files or folders (every *.parquet below, hive folders included), or a generated folder.
    #[arg(required = true)]
    pub ledger: Vec<PathBuf>,
    /// Registry of enrolled beneficiaries (Parquet or CSV).
    #[arg(long)]
    pub registry: Option<PathBuf>,
    /// Civil register of deaths (Parquet or CSV).
    #[arg(long)]
    pub deaths: Option<PathBuf>,
    /// Officials and their relatives (Parquet or CSV).
    #[arg(long)]
    pub officials: Option<PathBuf>,
    /// Config file (TOML): column mapping, thresholds, scheme rules.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

// each flag (--exit-zero, --mask, -q, -v) is a bool, as clap gives flags
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder.
    #[arg(long, default_value = "audit-out")]
    pub out: PathBuf,
    /// What to print on stdout: a table, the summary and cases as JSON, or the cases as CSV.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Only these rules: codes or family prefixes, comma-separated (DUP,GHO001).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Skip these rules: codes or family prefixes, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Rows per decoded batch (overrides the config's scan.batch_size).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Cases already reviewed (an earlier cases.csv or cases.jsonl, or case ids one a line): never referred again.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Exit 0 even when cases are referred (errors still exit 2, a failed data-quality gate 3).
    #[arg(long)]
    pub exit_zero: bool,
    /// Exit 3 when more than this share of rows has data-quality problems (overrides the config's
    /// scan.max_problem_share; default 0.5).
    #[arg(long, value_name = "SHARE")]
    pub max_problem_share: Option<f64>,
    /// Memory for the rule states: above it their partitioned entries are spilled to disk and finished one
    /// partition at a time (1.5GiB, 512MiB, 800MB; overrides the config's scan.memory_limit; default: half
    /// the machine's memory).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub memory_limit: Option<u64>,
    /// Folder for spill files (default: the run's temporary folder inside --out). Removed at the end.
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
    /// The reports to write, comma-separated: parquet (findings.parquet), jsonl (findings.jsonl,
    /// cases.jsonl), csv (cases.csv), hotspots (hotspots.csv), xlsx (report.xlsx: a workbook of the summary,
    /// cases, findings, evidence rows, hotspots, digit tests, data quality and rules), html (report.html, the
    /// case file to open in a browser, offline), or all. summary.json is always written; the other outputs an
    /// earlier run left in --out are removed. [default: all]
    #[arg(long, value_name = "LIST", value_parser = parse_reports)]
    pub report: Option<subsidy_audit::report::Reports>,
    /// The language of the terminal summary and the reports people read: en or zh (overrides the config's
    /// [locale] lang; default English). The JSON lines, CSV, Parquet and summary.json stay English.
    #[arg(long, value_name = "LANG", value_parser = parse_lang)]
    pub lang: Option<subsidy_audit::lang::Lang>,
    /// Write every output masked: identity numbers, names, card numbers, phones and addresses, with keyed
    /// pseudonyms that keep rows joinable (key: the config's [mask] key or SUBSIDY_AUDIT_MASK_KEY).
    #[arg(long)]
    pub mask: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also print data-quality problems per file and skipped rules on stderr.
    #[arg(short, long)]
    pub verbose: bool,
}

fn parse_lang(s: &str) -> Result<subsidy_audit::lang::Lang, String> {
    subsidy_audit::lang::Lang::parse(s)
        .ok_or_else(|| format!("unknown language `{s}` (known: en, zh)"))
}

fn parse_reports(s: &str) -> Result<subsidy_audit::report::Reports, String> {
    subsidy_audit::report::Reports::parse(s)
}

fn parse_memory(s: &str) -> Result<u64, String> {
    subsidy_audit::engine::spill::parse_size(s)
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    /// Also read the data: per column the null share, distinct count, top values, ranges of amounts and
    /// dates, shapes of region codes, and warnings about placeholders (after the config's filters).
    #[arg(long)]
    pub profile: bool,
    /// Worker threads for --profile (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Number of ledger rows (about; the population is sized to it).
    #[arg(long)]
    pub rows: u64,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Total share of rows that carry a planted anomaly (0 gives a clean ledger).
    #[arg(long, default_value_t = 0.005)]
    pub anomaly_rate: f64,
    /// Share of rows for one kind: KIND=R (repeatable).
    #[arg(long = "rate", value_name = "KIND=R")]
    pub rates: Vec<String>,
    /// Number of ledger files (default: one per 2 million rows).
    #[arg(long)]
    pub files: Option<usize>,
    /// Rows per row group.
    #[arg(long, default_value_t = 262_144)]
    pub row_group_rows: usize,
}

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// truth.parquet of a generated folder.
    #[arg(long)]
    pub truth: PathBuf,
    /// findings.parquet of a scan.
    #[arg(long)]
    pub findings: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
}

#[derive(Debug, clap::Args)]
pub struct MaskArgs {
    /// The output folder of a scan (its summary.json, findings, cases and hotspots).
    #[arg(value_name = "IN_DIR")]
    pub input: PathBuf,
    /// Folder for the masked copies (made when missing; written all together or not at all).
    #[arg(long, value_name = "OUT_DIR")]
    pub out: PathBuf,
    /// Config file (TOML) holding `[mask] key` (else SUBSIDY_AUDIT_MASK_KEY gives the key).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print nothing but errors and refused files.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    subsidy_audit::import::parse_delimiter(s)
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// CSV, TSV or workbook files (.csv, .tsv, .txt, .xlsx, .xlsm, .xls, .xlsb, .ods).
    #[arg(required = true)]
    pub input: Vec<PathBuf>,
    /// Output folder: one Parquet file per input and import-summary.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Config file (TOML): the [columns] mapping, and [import] settings.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Text encoding of CSV input: auto (BOM, else UTF-8 if valid, else GB18030 for Chinese text, else
    /// Windows-1252), utf-8, gb18030 (gbk), windows-1252 (latin1), windows-1250, or another WHATWG label.
    #[arg(long)]
    pub encoding: Option<String>,
    /// Field delimiter of CSV input: one character, or `tab` (default: tab for .tsv, else sniffed).
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Workbook sheet to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Rows per Parquet row group.
    #[arg(long, default_value_t = subsidy_audit::import::DEFAULT_ROW_GROUP_ROWS)]
    pub row_group_rows: usize,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}
