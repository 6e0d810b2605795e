//! Reports: one file per output format. Every output is written into a temporary folder inside the output
//! folder and renamed into place at the end, so a failed or killed run leaves the earlier outputs untouched
//! and never a partial file.

pub mod csv;
pub mod jsonl;
pub mod parquet;
pub mod summary;
pub mod table;

use crate::error::{Error, Result};
use crate::Outcome;
use std::path::{Path, PathBuf};

/// The files a scan writes, in the order they are renamed into place.
pub const OUTPUTS: &[&str] = &[
    "findings.parquet",
    "findings.jsonl",
    "cases.csv",
    "cases.jsonl",
    "summary.json",
];

/// Writes every output of `outcome` into `out`.
pub fn write_all(out: &Path, outcome: &Outcome) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::output(out, e))?;
    let tmp = out.join(format!(".subsidy-audit-tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::output(&tmp, e))?;
    let result = write_into(&tmp, outcome).and_then(|()| {
        for name in OUTPUTS {
            let (from, to) = (tmp.join(name), out.join(name));
            std::fs::rename(&from, &to).map_err(|e| Error::output(&to, e))?;
        }
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn write_into(dir: &Path, o: &Outcome) -> Result<()> {
    let p = |n: &str| -> PathBuf { dir.join(n) };
    parquet::write_findings(&p("findings.parquet"), &o.findings)?;
    jsonl::write_findings(&p("findings.jsonl"), &o.findings, &o.summary.currency)?;
    csv::write_cases(&p("cases.csv"), &o.cases)?;
    jsonl::write_cases(&p("cases.jsonl"), &o.cases, &o.summary.currency)?;
    summary::write(&p("summary.json"), &o.summary)?;
    Ok(())
}

/// Creates a file for writing, buffered.
pub(crate) fn create(path: &Path) -> Result<std::io::BufWriter<std::fs::File>> {
    std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(|e| Error::output(path, e))
}
