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
    /// Values holding an implausible share of a key column, placeholders a rule treated as unknown, rules
    /// citing an implausible share of the rows ([`crate::flood`]); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub floods: Vec<crate::flood::Flood>,
    pub timing: Timing,
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
}

pub fn write(path: &Path, s: &Summary) -> Result<()> {
    let mut w = super::create(path)?;
    serde_json::to_writer_pretty(&mut w, s).map_err(|e| Error::output(path, e))?;
    w.write_all(b"\n").map_err(|e| Error::output(path, e))?;
    w.flush().map_err(|e| Error::output(path, e))
}
