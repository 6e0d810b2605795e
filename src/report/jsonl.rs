//! `findings.jsonl` and `cases.jsonl`: one JSON object per line.

use crate::case::Case;
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::money::fmt_yuan;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

#[derive(Serialize)]
struct FindingLine<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    amount_yuan: String,
}

#[derive(Serialize)]
struct CaseLine<'a> {
    #[serde(flatten)]
    case: &'a Case,
    amount_at_risk_yuan: String,
}

fn write_lines<T: Serialize>(path: &Path, items: impl Iterator<Item = T>) -> Result<()> {
    let mut w = super::create(path)?;
    for item in items {
        serde_json::to_writer(&mut w, &item).map_err(|e| Error::output(path, e))?;
        w.write_all(b"\n").map_err(|e| Error::output(path, e))?;
    }
    w.flush().map_err(|e| Error::output(path, e))
}

pub fn write_findings(path: &Path, findings: &[Finding]) -> Result<()> {
    write_lines(
        path,
        findings.iter().map(|f| FindingLine {
            finding: f,
            amount_yuan: fmt_yuan(f.amount_fen),
        }),
    )
}

pub fn write_cases(path: &Path, cases: &[Case]) -> Result<()> {
    write_lines(
        path,
        cases.iter().map(|c| CaseLine {
            case: c,
            amount_at_risk_yuan: fmt_yuan(c.amount_at_risk_fen),
        }),
    )
}
