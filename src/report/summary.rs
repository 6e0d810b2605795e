//! `summary.json`: what was read, what ran, what was found. Everything but the `timing` object is the same
//! for the same input and config whatever the thread count, so scheduled jobs can diff it.

use crate::error::{Error, Result};
use crate::ledger::column::Col;
use crate::ledger::decode::Problem;
use crate::reference::TableInfo;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub version: &'static str,
    pub config_hash: String,
    pub inputs: Vec<InputFile>,
    /// Each loaded reference table: path, format, rows, rows skipped, keys and memory.
    pub reference_tables: BTreeMap<String, TableInfo>,
    pub rows_read: u64,
    pub rows_scanned: u64,
    pub rows_with_problems: u64,
    /// Rows dropped by the `[[exclude]]` filters: `rows_read = rows_scanned + rows_with_problems + rows_excluded`.
    pub rows_excluded: u64,
    /// Each filter's name, column and rows excluded (a row counts for the first filter that matches it).
    pub filters: Vec<crate::filter::FilterCount>,
    /// The currency every amount is written in (`[locale] currency`, default `yuan`).
    pub currency: String,
    /// Scanned rows whose region code fits no level of the region hierarchy: left out of county and township
    /// units (never cut into a partial unit).
    pub region_codes_outside_hierarchy: u64,
    /// Of the rows scanned: those without a pay date (kept; rules that need the date skip them).
    pub rows_undated: u64,
    /// Of the rows scanned: those with an amount of 0 (no payment for any rule).
    pub rows_zero_amount: u64,
    /// Of the rows scanned: those with a negative amount (corrections; no payment for any rule).
    pub rows_negative_amount: u64,
    pub rules_run: Vec<String>,
    pub rules_skipped: Vec<Skipped>,
    pub findings_per_rule: BTreeMap<String, usize>,
    pub findings: usize,
    pub cases: usize,
    pub referrals: usize,
    pub reviewed_in_baseline: usize,
    pub amount_at_risk_fen: i64,
    pub referred_amount_at_risk_fen: i64,
    /// Drafts dropped because their evidence rows disagreed (a 64-bit key collision); expected 0.
    pub key_collisions_dropped: usize,
    /// The data-quality gate: whether enough rows were scanned for "no referral" to mean anything.
    pub quality_gate: QualityGate,
    /// Values holding an implausible share of a key column, placeholders a rule treated as unknown, rules
    /// citing an implausible share of the rows ([`crate::flood`]); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub floods: Vec<crate::flood::Flood>,
    /// The region roll-up's total and the first regions of each level by money at risk ([`crate::hotspot`];
    /// every region is in `hotspots.csv`).
    pub hotspots: crate::hotspot::Top,
    pub timing: Timing,
    /// Present in a masked copy (`scan --mask`, `mask`): names the key of its pseudonyms ([`crate::mask`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked: Option<crate::mask::MaskInfo>,
}

/// The data-quality gate of a run (exit code 3 when it fails; the outputs are written all the same).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QualityGate {
    pub passed: bool,
    /// `rows_with_problems / (rows_scanned + rows_with_problems)`; 0 when no row was read.
    pub problem_share: f64,
    /// `[scan] max_problem_share` (or `--max-problem-share`).
    pub max_problem_share: f64,
    /// Why it failed, in words; absent when it passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl QualityGate {
    /// The gate fails when no row was scanned, or when the share of rows with problems exceeds `max_share`.
    pub fn judge(rows_scanned: u64, rows_with_problems: u64, max_share: f64) -> Self {
        let seen = rows_scanned + rows_with_problems;
        let share = if seen == 0 {
            0.0
        } else {
            rows_with_problems as f64 / seen as f64
        };
        let reason = if rows_scanned == 0 {
            Some(format!(
                "no row scanned ({rows_with_problems} rows with data-quality problems): an empty \
                 result means nothing"
            ))
        } else if share > max_share {
            Some(format!(
                "{rows_with_problems} of {seen} rows ({:.1}%) have data-quality problems, above \
                 max_problem_share {max_share}",
                share * 100.0
            ))
        } else {
            None
        };
        Self {
            passed: reason.is_none(),
            problem_share: (share * 1e6).round() / 1e6,
            max_problem_share: max_share,
            reason,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InputFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub row_groups: usize,
    pub rows_read: u64,
    pub rows_scanned: u64,
    pub rows_with_problems: u64,
    pub rows_excluded: u64,
    pub rows_undated: u64,
    pub rows_zero_amount: u64,
    pub rows_negative_amount: u64,
    pub problems: Vec<DqProblem>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DqProblem {
    pub column: Col,
    pub problem: Problem,
    pub rows: u64,
    /// The first few row numbers (0-based, within the file) with the problem.
    pub sample_rows: Vec<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Skipped {
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Timing {
    pub threads: usize,
    /// Seconds each reference table took to load (before the scan; included in `wall_seconds`).
    pub reference_load_seconds: BTreeMap<String, f64>,
    pub wall_seconds: f64,
    pub rows_per_second: f64,
    /// Seconds per phase, in order: plan (footers, config, reference tables), scan, each rule's finish, read
    /// evidence, render, cases.
    pub phases: Vec<(String, f64)>,
    /// `--memory-limit` (or its default) in bytes, and the spill files the rule states were written to under
    /// it (0: everything stayed in memory). Like the rest of `timing`, they depend on the threads and limit.
    pub memory_limit_bytes: u64,
    pub spill_files: usize,
}

pub fn write(path: &Path, s: &Summary) -> Result<()> {
    let mut w = super::create(path)?;
    serde_json::to_writer_pretty(&mut w, s).map_err(|e| Error::output(path, e))?;
    w.write_all(b"\n").map_err(|e| Error::output(path, e))?;
    w.flush().map_err(|e| Error::output(path, e))
}
