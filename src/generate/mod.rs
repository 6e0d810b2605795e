//! `subsidy-audit generate`: a synthetic, realistic subsidy ledger with planted fraud and its answer key.
//!
//! The output folder holds `ledger/part-NNNNN.parquet`, `registry.parquet`, `deaths.parquet`,
//! `officials.parquet`, `schemes.toml`, `truth.parquet` and `manifest.json`. The ledger is cut into chunks (one
//! county each, see [`chunk`]); each chunk is generated from its own RNG seeded from `(seed, chunk index)`, in
//! parallel windows, and written in chunk order, so the same options give byte-identical files whatever the
//! thread count, and memory stays bounded by a window of chunks whatever the number of rows.

pub mod chunk;
pub mod names;
pub mod skew;
pub mod tables;

use crate::error::{Error, Result};
use crate::scheme::{parse_schemes, Scheme};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// The planted anomaly kinds (the `kind` values of truth.parquet).
pub const KINDS: &[&str] = &[
    "duplicate",
    "one_payee_many_accounts",
    "cross_region",
    "shared_account",
    "fuzzy_duplicate",
    "invalid_id",
    "deceased",
    "ghost",
    "age_ineligible",
    "official_match",
    "round_sum",
    "skim",
    "inflation",
    "split",
];

/// Default share of planted payments among all rows.
pub const DEFAULT_ANOMALY_RATE: f64 = 0.005;
/// Default rows per row group.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 262_144;
/// The most rows per row group `generate` writes (`--row-group-rows`).
pub const MAX_ROW_GROUP_ROWS: usize = 1 << 24;
/// The most rows `generate` writes (`--rows`; chunks stay within memory below it).
pub const MAX_ROWS: u64 = 10_000_000_000;
/// The most ledger files `generate` writes (`--files`).
pub const MAX_FILES: usize = 100_000;

/// Default rows per ledger file (when `--files` is not given).
pub const ROWS_PER_FILE: u64 = 2_000_000;
/// At most this many chunks (each chunk is one county; codes and card numbers stay unique below it).
const MAX_CHUNKS: u64 = 10_000;

/// The scheme rules written to `schemes.toml` and obeyed by clean rows.
pub const SCHEMES_TOML: &str = r#"# Scheme rules of the generated ledger (subsidy-audit generate).
[schemes.FARMLAND]
frequency = "yearly"
rate = 118.00
max_amount = 12000.00
approval_threshold = 5000.00

[schemes.ECO_FOREST]
frequency = "yearly"
rate = 16.50
max_amount = 8000.00
approval_threshold = 5000.00

[schemes.ELDERLY]
frequency = "monthly"
min_age = 80
max_amount = 500.00
bands = [
  { min_age = 80, max_age = 89, amount = 100.00 },
  { min_age = 90, max_age = 99, amount = 200.00 },
  { min_age = 100, amount = 500.00 },
]

[schemes.DIBAO]
frequency = "monthly"
rate = 420.00
max_amount = 3000.00
approval_threshold = 2000.00

[schemes.TEKUN]
frequency = "quarterly"
amount = 1800.00
max_amount = 1800.00
"#;

/// Options of one generation run.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    pub rows: u64,
    pub out: PathBuf,
    pub seed: u64,
    /// Total share of planted payments, split evenly over the kinds.
    pub anomaly_rate: f64,
    /// Per-kind overrides (share of rows).
    pub rates: BTreeMap<String, f64>,
    /// Ledger files; default one per 2,000,000 rows.
    pub files: Option<usize>,
    pub row_group_rows: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            rows: 100_000,
            out: PathBuf::from("data"),
            seed: 42,
            anomaly_rate: DEFAULT_ANOMALY_RATE,
            rates: BTreeMap::new(),
            files: None,
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ManifestOptions {
    pub rows: u64,
    pub seed: u64,
    pub anomaly_rate: f64,
    pub rates: BTreeMap<String, f64>,
    pub files: usize,
    pub row_group_rows: usize,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Planted {
    pub payments: u64,
    pub subjects: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub rows: u64,
    pub payees: u64,
    pub registry_rows: u64,
    pub deaths: u64,
    pub officials: u64,
    pub files: usize,
    pub chunks: usize,
    pub truth_rows: u64,
    pub planted: BTreeMap<String, Planted>,
}

/// `manifest.json`: the options, the counts and the files written (no timestamps, so it is deterministic).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Manifest {
    pub generator: String,
    pub options: ManifestOptions,
    /// Effective share of rows wanted per kind.
    pub kind_rates: BTreeMap<String, f64>,
    pub counts: Counts,
    pub files: Vec<String>,
}

/// The generated schemes, in [`chunk::SCHEME_CODES`] order.
pub fn schemes() -> Result<[Scheme; 5]> {
    let path = Path::new("schemes.toml");
    let doc: toml::Table =
        toml::from_str(SCHEMES_TOML).map_err(|e| Error::config(path, "schemes", e.to_string()))?;
    let table = doc
        .get("schemes")
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_default();
    let parsed = parse_schemes(path, &table)?;
    let get = |c: &str| {
        parsed
            .get(c)
            .cloned()
            .ok_or_else(|| Error::config(path, format!("schemes.{c}"), "missing"))
    };
    Ok([
        get("FARMLAND")?,
        get("ECO_FOREST")?,
        get("ELDERLY")?,
        get("DIBAO")?,
        get("TEKUN")?,
    ])
}

/// The share of rows wanted per kind: `anomaly_rate` split evenly, then the overrides.
pub fn kind_rates(opts: &GenerateOptions) -> Result<Vec<f64>> {
    let ok = |r: f64| r.is_finite() && (0.0..=0.5).contains(&r);
    if !ok(opts.anomaly_rate) {
        return Err(Error::Usage(format!(
            "--anomaly-rate must be between 0 and 0.5, got {}",
            opts.anomaly_rate
        )));
    }
    let mut rates = vec![opts.anomaly_rate / KINDS.len() as f64; KINDS.len()];
    for (k, r) in &opts.rates {
        let i = KINDS.iter().position(|x| x == k).ok_or_else(|| {
            Error::Usage(format!(
                "unknown anomaly kind `{k}` in --rate (kinds: {})",
                KINDS.join(", ")
            ))
        })?;
        if !ok(*r) {
            return Err(Error::Usage(format!(
                "--rate {k}={r}: must be between 0 and 0.5"
            )));
        }
        rates[i] = *r;
    }
    Ok(rates)
}

struct Plan {
    file: usize,
    start: u64,
    rows: usize,
}

fn plan(rows: u64, files: usize, row_group_rows: usize) -> Vec<Plan> {
    let chunk_rows = (row_group_rows as u64)
        .max(rows.div_ceil(MAX_CHUNKS))
        .max(1);
    let mut out = Vec::new();
    for f in 0..files as u64 {
        let (s, e) = (f * rows / files as u64, (f + 1) * rows / files as u64);
        let mut at = s;
        while at < e {
            let n = chunk_rows.min(e - at);
            out.push(Plan {
                file: f as usize,
                start: at,
                rows: n as usize,
            });
            at += n;
        }
    }
    out
}

fn props(row_group_rows: usize) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(true)
        .set_max_row_group_row_count(Some(row_group_rows))
        .build()
}

fn writer(
    path: &Path,
    schema: SchemaRef,
    row_group_rows: usize,
) -> Result<ArrowWriter<BufWriter<File>>> {
    let f = File::create(path).map_err(|e| Error::io(path, e))?;
    ArrowWriter::try_new(
        BufWriter::with_capacity(1 << 20, f),
        schema,
        Some(props(row_group_rows)),
    )
    .map_err(|e| Error::output(path, e))
}

fn write(w: &mut ArrowWriter<BufWriter<File>>, path: &Path, b: &RecordBatch) -> Result<()> {
    w.write(b).map_err(|e| Error::output(path, e))
}

fn close(w: ArrowWriter<BufWriter<File>>, path: &Path) -> Result<()> {
    w.close().map(|_| ()).map_err(|e| Error::output(path, e))
}

/// Generates the folder `opts.out`; returns the manifest it wrote.
#[allow(clippy::type_complexity)]
pub fn generate(opts: &GenerateOptions) -> Result<Manifest> {
    if !(1..=MAX_ROWS).contains(&opts.rows) {
        return Err(Error::Usage(format!(
            "--rows must be between 1 and {MAX_ROWS}, got {}",
            opts.rows
        )));
    }
    crate::check_range(
        "--row-group-rows",
        opts.row_group_rows,
        1,
        MAX_ROW_GROUP_ROWS,
    )?;
    if let Some(f) = opts.files {
        crate::check_range("--files", f, 1, MAX_FILES)?;
    }
    let rates = kind_rates(opts)?;
    let files = opts
        .files
        .unwrap_or_else(|| opts.rows.div_ceil(ROWS_PER_FILE).max(1) as usize);
    if files == 0 || files as u64 > opts.rows {
        return Err(Error::Usage(format!(
            "--files must be between 1 and the number of rows, got {files}"
        )));
    }
    let schemes = schemes()?;
    let out = &opts.out;
    let ledger_dir = out.join("ledger");
    std::fs::create_dir_all(&ledger_dir).map_err(|e| Error::io(&ledger_dir, e))?;
    // a previous run may have written more parts
    for entry in std::fs::read_dir(&ledger_dir).map_err(|e| Error::io(&ledger_dir, e))? {
        let p = entry.map_err(|e| Error::io(&ledger_dir, e))?.path();
        if p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("part-") && n.ends_with(".parquet"))
        {
            std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
    }
    let plan = plan(opts.rows, files, opts.row_group_rows);
    let rg = opts.row_group_rows;
    let side = |name: &str, schema| {
        let p = out.join(name);
        writer(&p, schema, rg).map(|w| (w, p))
    };
    let (mut reg_w, reg_p) = side("registry.parquet", tables::registry_schema())?;
    let (mut dea_w, dea_p) = side("deaths.parquet", tables::deaths_schema())?;
    let (mut off_w, off_p) = side("officials.parquet", tables::officials_schema())?;
    let (mut tru_w, tru_p) = side("truth.parquet", tables::truth_schema())?;
    let mut counts = Counts {
        files,
        chunks: plan.len(),
        ..Counts::default()
    };
    let mut planted = vec![Planted::default(); KINDS.len()];
    let mut file_names = Vec::new();
    let mut ledger: Option<(usize, ArrowWriter<BufWriter<File>>, PathBuf)> = None;
    let window = rayon::current_num_threads().max(1) * 2;
    for (w, win) in plan.chunks(window).enumerate() {
        let produced: Vec<Result<(tables::Batches, Vec<(u64, u64)>, u64)>> = win
            .par_iter()
            .enumerate()
            .map(|(i, p)| {
                let index = (w * window + i) as u64;
                let targets: Vec<u64> = rates
                    .iter()
                    .map(|r| {
                        let at = |x: u64| (r * x as f64).round() as u64;
                        at(p.start + p.rows as u64).saturating_sub(at(p.start))
                    })
                    .collect();
                let ch = chunk::Chunk::generate(opts.seed, index, p.rows, &targets, &schemes);
                let payees = {
                    let mut seen = vec![false; ch.persons.len()];
                    ch.rows
                        .iter()
                        .filter(|r| !std::mem::replace(&mut seen[r.person as usize], true))
                        .count() as u64
                };
                let b = tables::batches(&ch, p.start).map_err(|e| Error::output(out, e))?;
                Ok((b, ch.planted.clone(), payees))
            })
            .collect();
        for (p, res) in win.iter().zip(produced) {
            let (b, pl, payees) = res?;
            if ledger.as_ref().is_none_or(|(f, _, _)| *f != p.file) {
                if let Some((_, w, path)) = ledger.take() {
                    close(w, &path)?;
                }
                let name = format!("ledger/part-{:05}.parquet", p.file);
                let path = out.join(&name);
                file_names.push(name);
                ledger = Some((p.file, writer(&path, tables::ledger_schema(), rg)?, path));
            }
            if let Some((_, w, path)) = ledger.as_mut() {
                write(w, path, &b.ledger)?;
                w.flush().map_err(|e| Error::output(&*path, e))?;
            }
            write(&mut reg_w, &reg_p, &b.registry)?;
            write(&mut dea_w, &dea_p, &b.deaths)?;
            write(&mut off_w, &off_p, &b.officials)?;
            write(&mut tru_w, &tru_p, &b.truth)?;
            counts.rows += b.ledger.num_rows() as u64;
            counts.registry_rows += b.registry.num_rows() as u64;
            counts.deaths += b.deaths.num_rows() as u64;
            counts.officials += b.officials.num_rows() as u64;
            counts.truth_rows += b.truth.num_rows() as u64;
            counts.payees += payees;
            for (k, (n, s)) in pl.into_iter().enumerate() {
                planted[k].payments += n;
                planted[k].subjects += s;
            }
        }
    }
    if let Some((_, w, path)) = ledger.take() {
        close(w, &path)?;
    }
    close(reg_w, &reg_p)?;
    close(dea_w, &dea_p)?;
    close(off_w, &off_p)?;
    close(tru_w, &tru_p)?;
    let toml_path = out.join("schemes.toml");
    std::fs::write(&toml_path, SCHEMES_TOML).map_err(|e| Error::io(&toml_path, e))?;
    file_names.extend(
        [
            "registry.parquet",
            "deaths.parquet",
            "officials.parquet",
            "schemes.toml",
            "truth.parquet",
            "manifest.json",
        ]
        .map(String::from),
    );
    counts.planted = KINDS
        .iter()
        .zip(&planted)
        .map(|(k, p)| ((*k).to_string(), *p))
        .collect();
    let manifest = Manifest {
        generator: format!("subsidy-audit {}", env!("CARGO_PKG_VERSION")),
        options: ManifestOptions {
            rows: opts.rows,
            seed: opts.seed,
            anomaly_rate: opts.anomaly_rate,
            rates: opts.rates.clone(),
            files,
            row_group_rows: rg,
        },
        kind_rates: KINDS
            .iter()
            .zip(&rates)
            .map(|(k, r)| ((*k).to_string(), *r))
            .collect(),
        counts,
        files: file_names,
    };
    let mpath = out.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| Error::output(&mpath, e))?;
    std::fs::write(&mpath, text + "\n").map_err(|e| Error::io(&mpath, e))?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_toml_parses() {
        let s = schemes().expect("schemes");
        assert_eq!(s[0].due_fen(Some(10_0000), None), Some(118_000));
        assert_eq!(s[2].due_fen(None, Some(95)), Some(20_000));
        assert_eq!(s[3].approval_threshold_fen, Some(200_000));
        assert_eq!(s[4].due_fen(None, None), Some(180_000));
    }

    #[test]
    fn unknown_kind_is_a_usage_error() {
        let mut o = GenerateOptions::default();
        o.rates.insert("dupe".into(), 0.1);
        let e = kind_rates(&o).expect_err("unknown kind");
        assert!(
            matches!(e, Error::Usage(ref m) if m.contains("dupe")),
            "{e}"
        );
    }

    #[test]
    fn plan_covers_every_row() {
        let p = plan(20_000, 2, 4096);
        assert_eq!(p.iter().map(|x| x.rows as u64).sum::<u64>(), 20_000);
        assert_eq!(
            p.iter().filter(|x| x.file == 1).map(|x| x.start).min(),
            Some(10_000)
        );
        assert!(p.iter().all(|x| x.rows <= 4096));
    }
}
