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
    #[serde(flatten)]
    money: Money<'a>,
}

/// `amount_yuan` in the default currency (unchanged outputs); otherwise `amount` and `currency`.
#[derive(Serialize)]
struct Money<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_yuan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_at_risk_yuan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_at_risk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'a str>,
}

impl<'a> Money<'a> {
    fn of(fen: i64, currency: &'a str, at_risk: bool) -> Self {
        let text = Some(fmt_yuan(fen));
        let default = currency == crate::locale::DEFAULT_CURRENCY;
        let (a, b) = if default { (text, None) } else { (None, text) };
        let (amount_yuan, amount_at_risk_yuan, amount, amount_at_risk) = if at_risk {
            (None, a, None, b)
        } else {
            (a, None, b, None)
        };
        Self {
            amount_yuan,
            amount_at_risk_yuan,
            amount,
            amount_at_risk,
            currency: (!default).then_some(currency),
        }
    }
}

#[derive(Serialize)]
struct CaseLine<'a> {
    #[serde(flatten)]
    case: &'a Case,
    #[serde(flatten)]
    money: Money<'a>,
}

fn write_lines<T: Serialize>(path: &Path, items: impl Iterator<Item = T>) -> Result<()> {
    let mut w = super::create(path)?;
    for item in items {
        serde_json::to_writer(&mut w, &item).map_err(|e| Error::output(path, e))?;
        w.write_all(b"\n").map_err(|e| Error::output(path, e))?;
    }
    w.flush().map_err(|e| Error::output(path, e))
}

pub fn write_findings(path: &Path, findings: &[Finding], currency: &str) -> Result<()> {
    write_lines(
        path,
        findings.iter().map(|f| FindingLine {
            finding: f,
            money: Money::of(f.amount_fen, currency, false),
        }),
    )
}

pub fn write_cases(path: &Path, cases: &[Case], currency: &str) -> Result<()> {
    write_lines(
        path,
        cases.iter().map(|c| CaseLine {
            case: c,
            money: Money::of(c.amount_at_risk_fen, currency, true),
        }),
    )
}
