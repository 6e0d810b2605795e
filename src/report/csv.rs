//! `cases.csv`: UTF-8 with a byte-order mark so Excel reads Chinese names right. Subjects are written as
//! `kind:key` text, so Excel keeps every digit of ids and card numbers (a bare 18-digit id would lose its last
//! three digits to floating point).

use crate::case::Case;
use crate::error::{Error, Result};
use crate::money::fmt_yuan;
use std::io::Write;
use std::path::Path;

pub const HEADER: &[&str] = &[
    "rank",
    "case_id",
    "score",
    "referral",
    "reviewed",
    "severity",
    "rules",
    "subjects",
    "amount_at_risk",
    "amount_at_risk_fen",
    "payments",
    "findings",
    "explanation",
];

/// Writes the cases as CSV to any writer (no BOM).
pub fn write_to(w: impl Write, cases: &[Case]) -> std::result::Result<(), csv::Error> {
    let mut c = csv::Writer::from_writer(w);
    c.write_record(HEADER)?;
    for k in cases {
        c.write_record([
            k.rank.to_string(),
            k.case_id.clone(),
            format!("{:.2}", k.score),
            k.referral.to_string(),
            k.reviewed.to_string(),
            k.severity.as_str().to_string(),
            k.rules.join(" "),
            if k.subjects_not_listed == 0 {
                k.subjects.join("; ")
            } else {
                format!(
                    "{}; and {} more",
                    k.subjects.join("; "),
                    k.subjects_not_listed
                )
            },
            fmt_yuan(k.amount_at_risk_fen),
            k.amount_at_risk_fen.to_string(),
            k.payments.to_string(),
            k.findings.to_string(),
            k.explanation.clone(),
        ])?;
    }
    c.flush()?;
    Ok(())
}

pub fn write_cases(path: &Path, cases: &[Case]) -> Result<()> {
    let mut f = super::create(path)?;
    f.write_all("\u{feff}".as_bytes())
        .map_err(|e| Error::output(path, e))?;
    write_to(&mut f, cases).map_err(|e| Error::output(path, e))?;
    f.flush().map_err(|e| Error::output(path, e))
}

/// The columns of `hotspots.csv`.
pub const HOTSPOT_HEADER: &[&str] = &[
    "level",
    "region",
    "township",
    "county",
    "payees",
    "payments",
    "paid",
    "paid_fen",
    "findings",
    "cases",
    "referrals",
    "amount_at_risk",
    "amount_at_risk_fen",
    "findings_per_10k_payees",
    "top_rules",
];

/// Writes the region roll-up as CSV to any writer (no BOM): the total, then counties, townships and villages.
pub fn write_hotspots_to(
    w: impl Write,
    hotspots: &[crate::hotspot::Hotspot],
) -> std::result::Result<(), csv::Error> {
    let mut c = csv::Writer::from_writer(w);
    c.write_record(HOTSPOT_HEADER)?;
    for h in hotspots {
        c.write_record([
            h.level.as_str().to_string(),
            h.region.clone(),
            h.township.clone().unwrap_or_default(),
            h.county.clone().unwrap_or_default(),
            h.payees.to_string(),
            h.payments.to_string(),
            fmt_yuan(h.paid_fen),
            h.paid_fen.to_string(),
            h.findings.to_string(),
            h.cases.to_string(),
            h.referrals.to_string(),
            fmt_yuan(h.amount_at_risk_fen),
            h.amount_at_risk_fen.to_string(),
            format!("{:.2}", h.findings_per_10k_payees),
            h.top_rules
                .iter()
                .map(|r| format!("{}:{}", r.rule, r.findings))
                .collect::<Vec<_>>()
                .join(" "),
        ])?;
    }
    c.flush()?;
    Ok(())
}

/// `hotspots.csv`, with a byte-order mark (Excel reads Chinese region names right).
pub fn write_hotspots(path: &Path, hotspots: &[crate::hotspot::Hotspot]) -> Result<()> {
    let mut f = super::create(path)?;
    f.write_all("\u{feff}".as_bytes())
        .map_err(|e| Error::output(path, e))?;
    write_hotspots_to(&mut f, hotspots).map_err(|e| Error::output(path, e))?;
    f.flush().map_err(|e| Error::output(path, e))
}
