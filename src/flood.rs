//! Floods: one value holding an implausible share of a key column (a placeholder card number, a collective
//! account, a placeholder id, a common name typed for every payee), or one rule citing an implausible share of
//! the payments. Such a value is rarely fraud: it is a placeholder, and it drowns the findings. The run says so
//! in `summary.json` (`floods`) and on the terminal, naming the value and the `[[exclude]]` filter that would
//! leave its rows out.
//!
//! How it is measured, cheaply and the same whatever the thread count:
//!
//! ```text
//! scan: 1 row in 16 (by file row number) -> per row group, exact counts of its key columns' hashes
//!       -> the values holding at least 1/256 of the row group's sampled rows are kept (a few per row group)
//! end:  kept counts summed over the row groups, in row group order -> candidates (a sampled share of at
//!       least half the threshold) -> the candidates' columns read again, counted exactly, text of the first row
//! ```
//!
//! A value above the threshold holds at least the threshold's share of some row group, so it is kept there;
//! the second pass happens only when there is a candidate (on ordinary ledgers, never).

use crate::error::Result;
use crate::ledger::batch::{hash_text, Batch, RowRef, NO_HASH};
use crate::ledger::column::{Col, ColSet};
use crate::ledger::reader::{read_row_group, units};
use crate::pipeline::ScanPlan;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One row in this many (by file row number) feeds the sketch.
pub const SAMPLE: u64 = 16;
/// A row group keeps the values holding at least 1/KEEP of its sampled rows.
const KEEP: u64 = 256;

/// The columns watched, with the share of the rows scanned (after the filters) one value must hold to flood it and the fewest rows:
/// one person or card on 1% of a large ledger's payments is implausible; one officer or region on most of the
/// rows of a ledger too large for one village is.
pub const WATCHED: [(Col, f64, u64); 5] = [
    (Col::PayeeId, 0.01, 1000),
    (Col::Account, 0.01, 1000),
    (Col::PayeeName, 0.02, 1000),
    (Col::OfficerId, 0.5, 100_000),
    (Col::Region, 0.5, 100_000),
];

/// A rule whose findings cite at least this share of the rows scanned (and [`RULE_MIN_ROWS`]) floods.
pub const RULE_SHARE: f64 = 0.25;
pub const RULE_MIN_ROWS: usize = 1000;

/// One flood, as `summary.json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flood {
    /// `column` (a value of a key column), `placeholder` (a value a rule treated as unknown) or `rule` (a rule
    /// citing a large share of the payments).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Rows (payees for a placeholder) holding the value, or cited by the rule.
    pub count: u64,
    /// Out of: rows scanned, or payees.
    pub of: u64,
    /// `count / of`, rounded to 4 decimals.
    pub share: f64,
    pub message: String,
    /// The `[[exclude]]` filter that leaves the value's rows out (config TOML).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<String>,
    /// A row holding the value, for a rule's flood whose value is read back with the evidence.
    #[serde(skip)]
    pub row: Option<RowRef>,
}

fn share(count: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        (count as f64 / of as f64 * 10_000.0).round() / 10_000.0
    }
}

/// `"王伟"` as a TOML basic string.
pub(crate) fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The `[[exclude]]` filter (the shared config syntax) that leaves out the rows where `column` is `value`.
pub fn exclude_filter(column: &str, value: &str) -> String {
    format!(
        "[[exclude]]\nname = {}\ncolumn = {}\nvalue = {}\n",
        toml_str(&format!("placeholder {column}")),
        toml_str(column),
        toml_str(value.trim())
    )
}

/// A flood of a column's value.
pub fn column_flood(column: &str, value: &str, count: u64, of: u64) -> Flood {
    let s = share(count, of);
    Flood {
        kind: "column",
        column: Some(column.to_string()),
        value: Some(value.to_string()),
        rule: None,
        count,
        of,
        share: s,
        message: format!(
            "{column} {value:?} is on {count} of {of} rows scanned ({:.1}%): a placeholder or collective value is the likely cause, and its findings are not evidence; to leave its rows out, add the filter below to the config",
            s * 100.0
        ),
        exclude: Some(exclude_filter(column, value)),
        row: None,
    }
}

/// The value of a watched column at row `i` of a batch, hashed ([`NO_HASH`] when null or not read).
fn value_hash(b: &Batch, col: Col, i: usize) -> u64 {
    let h = b.hashes(col);
    if !h.is_empty() {
        return h.get(i).copied().unwrap_or(NO_HASH);
    }
    b.text(col, i)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map_or(NO_HASH, hash_text)
}

/// The per-worker sketch: sampled counts of the row group being read, and what each row group kept.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct FloodSketch {
    /// The row group being read (a worker's scratch: never merged, never serialized).
    #[serde(skip)]
    current: [HashMap<u64, u32>; 5],
    #[serde(skip)]
    sampled: u64,
    /// (unit index, kept (hash, count) per watched column, sampled rows)
    kept: Vec<(usize, [Vec<(u64, u32)>; 5], u64)>,
}

impl FloodSketch {
    pub fn update(&mut self, b: &Batch) {
        let present: Vec<(usize, Col)> = WATCHED
            .iter()
            .enumerate()
            .filter(|(_, w)| b.has(w.0))
            .map(|(k, w)| (k, w.0))
            .collect();
        if present.is_empty() {
            return;
        }
        // the rows the rules see: a value the `[[exclude]]` filters drop (or on rows with problems) floods nothing
        for i in b.rows() {
            if !b.row_of(i).is_multiple_of(SAMPLE) {
                continue;
            }
            self.sampled += 1;
            for &(k, col) in &present {
                let h = value_hash(b, col, i);
                if h != NO_HASH {
                    *self.current[k].entry(h).or_insert(0) += 1;
                }
            }
        }
    }

    /// Closes the row group `unit` (its index in [`units`]).
    pub fn end_unit(&mut self, unit: usize) {
        let min = (self.sampled / KEEP).max(2);
        let kept: [Vec<(u64, u32)>; 5] = std::array::from_fn(|k| {
            let mut v: Vec<(u64, u32)> = self.current[k]
                .drain()
                .filter(|e| u64::from(e.1) >= min)
                .collect();
            v.sort_unstable();
            v
        });
        if self.sampled > 0 {
            self.kept.push((unit, kept, self.sampled));
        }
        self.sampled = 0;
    }

    pub fn merge(&mut self, other: Self) {
        self.kept.extend(other.kept);
    }

    /// The candidate values: (watched column index, hash), sorted.
    fn candidates(mut self) -> Vec<(usize, u64)> {
        self.kept.sort_unstable_by_key(|k| k.0);
        let total: u64 = self.kept.iter().map(|k| k.2).sum();
        let mut sums: BTreeMap<(usize, u64), u64> = BTreeMap::new();
        for (_, kept, _) in &self.kept {
            for (k, v) in kept.iter().enumerate() {
                for &(h, n) in v {
                    *sums.entry((k, h)).or_default() += u64::from(n);
                }
            }
        }
        sums.into_iter()
            .filter(|&((k, _), n)| {
                let (_, s, min) = WATCHED[k];
                n as f64 >= total as f64 * s / 2.0 && n * SAMPLE * 2 >= min
            })
            .map(|(c, _)| c)
            .collect()
    }
}

/// Per candidate: rows holding it, and its first row with its text.
type Counted = Vec<(u64, Option<(RowRef, String)>)>;

/// The column floods: the sketch's candidates counted exactly over every row read (a second pass over their
/// columns alone, only when there is a candidate), with the text of the first row holding each.
pub fn column_floods(
    plan: &ScanPlan<'_>,
    sketch: FloodSketch,
    rows_scanned: u64,
) -> Result<Vec<Flood>> {
    let cands = sketch.candidates();
    if cands.is_empty() {
        return Ok(Vec::new());
    }
    // the columns of the candidates, and those the filters and the row checks read (so the rows counted are
    // the rows the rules see, as in the sketch)
    let cols = cands
        .iter()
        .map(|c| WATCHED[c.0].0)
        .fold(plan.columns, ColSet::with);
    let us = units(&plan.ledger.files);
    let parts: Vec<Counted> = us
        .par_iter()
        .map(|u| {
            let mut out: Counted = vec![(0, None); cands.len()];
            let file = &plan.ledger.files[u.file as usize];
            read_row_group(
                file,
                u.file,
                u.row_group,
                cols,
                plan.ctx,
                plan.batch_size,
                None,
                |b| {
                    for (c, &(k, h)) in cands.iter().enumerate() {
                        let col = WATCHED[k].0;
                        for i in b.rows() {
                            if value_hash(&b, col, i) == h {
                                out[c].0 += 1;
                                if out[c].1.is_none() {
                                    out[c].1 = Some((
                                        b.row_ref(i),
                                        b.text(col, i).unwrap_or_default().trim().to_string(),
                                    ));
                                }
                            }
                        }
                    }
                },
            )?;
            Ok(out)
        })
        .collect::<Result<_>>()?;
    let mut floods = Vec::new();
    for (c, &(k, _)) in cands.iter().enumerate() {
        let count: u64 = parts.iter().map(|p| p[c].0).sum();
        let first = parts
            .iter()
            .filter_map(|p| p[c].1.as_ref())
            .min_by_key(|x| x.0);
        let (col, s, min) = WATCHED[k];
        if count >= min && count as f64 >= s * rows_scanned as f64 {
            if let Some((_, text)) = first {
                floods.push((
                    k,
                    count,
                    column_flood(col.name(), text, count, rows_scanned),
                ));
            }
        }
    }
    floods.sort_by_key(|a| (a.0, std::cmp::Reverse(a.1)));
    Ok(floods.into_iter().map(|f| f.2).collect())
}

/// The rule floods: a rule whose findings cite at least [`RULE_SHARE`] of the rows scanned.
pub fn rule_floods(findings: &[crate::finding::Finding], rows_scanned: u64) -> Vec<Flood> {
    let mut per_rule: BTreeMap<&str, (Vec<RowRef>, usize)> = BTreeMap::new();
    for f in findings {
        let e = per_rule.entry(f.rule).or_default();
        e.0.extend(f.evidence.iter().copied());
        e.1 += 1;
    }
    per_rule
        .into_iter()
        .filter_map(|(rule, (mut rows, n))| {
            rows.sort_unstable();
            rows.dedup();
            let count = rows.len() as u64;
            (rows.len() >= RULE_MIN_ROWS && count as f64 >= RULE_SHARE * rows_scanned as f64).then(
                || {
                    let s = share(count, rows_scanned);
                    Flood {
                        kind: "rule",
                        column: None,
                        value: None,
                        rule: Some(rule.to_string()),
                        count,
                        of: rows_scanned,
                        share: s,
                        message: format!(
                            "{rule} cites {count} of {rows_scanned} rows scanned ({:.1}%) in {n} finding{}: a placeholder value (see the column floods) or thresholds that do not fit this ledger are the likely cause; `subsidy-audit explain {rule}` says how to silence it",
                            s * 100.0,
                            if n == 1 { "" } else { "s" }
                        ),
                        exclude: None,
                        row: None,
                    }
                },
            )
        })
        .collect()
}

/// The flood of a rule that raised `total` findings, more than the ledger can hold of real ones: only `kept` are
/// written (`[scan] flood_findings`, `flood_share`, `flood_keep`).
pub fn withheld_flood(rule: &str, total: usize, kept: usize, rows_scanned: u64) -> Flood {
    let s = share(total as u64, rows_scanned);
    Flood {
        kind: "rule",
        column: None,
        value: None,
        rule: Some(rule.to_string()),
        count: total as u64,
        of: rows_scanned,
        share: s,
        message: format!(
            "{rule} raised {total} findings over {rows_scanned} rows scanned: only the {kept} citing the most payments are written, {} are withheld; a placeholder value (see the column floods) or thresholds that do not fit this ledger are the likely cause; `subsidy-audit explain {rule}` says how to silence it ([scan] flood_findings, flood_share and flood_keep set this bound)",
            total - kept
        ),
        exclude: None,
        row: None,
    }
}

/// The line the terminal shows for a flood.
pub fn terminal_line(f: &Flood) -> String {
    match &f.exclude {
        Some(x) => format!(
            "flood: {}\n  {}",
            f.message,
            x.trim_end().replace('\n', "\n  ")
        ),
        None => format!("flood: {}", f.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_filter_is_valid_toml_of_the_shared_syntax() {
        let x = exclude_filter("payee_name", " 王\"伟 ");
        assert_eq!(
            x,
            "[[exclude]]\nname = \"placeholder payee_name\"\ncolumn = \"payee_name\"\nvalue = '王\"伟'\n"
        );
        let t: toml::Table = toml::from_str(&x).expect("toml");
        let e = &t["exclude"].as_array().expect("array")[0];
        assert_eq!(e["value"].as_str(), Some("王\"伟"));
    }

    #[test]
    fn candidates_do_not_depend_on_which_worker_read_which_row_group() {
        // row groups 0..4: value 7 holds half of each; value 9 a few rows of one
        let unit = |u: usize, sk: &mut FloodSketch| {
            for i in 0..200u64 {
                let h = if i % 2 == 0 {
                    7
                } else {
                    1000 + i + 1000 * u as u64
                };
                *sk.current[1].entry(h).or_insert(0) += 1;
                sk.sampled += 1;
            }
            *sk.current[1].entry(9).or_insert(0) += 3;
            sk.end_unit(u);
        };
        let mut a = FloodSketch::default();
        for u in 0..4 {
            unit(u, &mut a);
        }
        let (mut b, mut c) = (FloodSketch::default(), FloodSketch::default());
        unit(3, &mut b);
        unit(1, &mut b);
        unit(0, &mut c);
        unit(2, &mut c);
        b.merge(c);
        assert_eq!(a.candidates(), vec![(1, 7)]);
        assert_eq!(b.candidates(), vec![(1, 7)]);
    }
}
