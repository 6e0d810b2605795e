//! The only place that uses rayon for the scan: fold rule updates over row groups, reduce by merging states,
//! finish each rule, then read the evidence rows back and render findings.
//!
//! ```text
//! row groups --par fold--> (rule states, data-quality counts) --reduce: merge--> finish -> drafts
//!     drafts' row refs --par read back (row selection)--> evidence rows --render--> findings (sorted)
//! ```

use crate::engine::{self, Partial};
use crate::error::Result;
use crate::finding::{EvidenceRow, Finding};
use crate::flood::Flood;
use crate::ledger::batch::{Batch, BatchContext, RowRef, Status};
use crate::ledger::column::{Col, ColSet};
use crate::ledger::reader::{read_row_group, units};
use crate::ledger::source::Ledger;
use crate::period::Period;
use crate::rules::keyed::Keyed;
use crate::rules::shared::PeriodEntry;
use crate::rules::{Draft, DynRule, Evidence};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

/// What a scan needs.
pub struct ScanPlan<'a> {
    pub ledger: &'a Ledger,
    pub rules: &'a [Box<dyn DynRule>],
    /// Columns decoded in the scan: the union of the enabled rules' columns, and `amount`.
    pub columns: ColSet,
    pub ctx: &'a BatchContext,
    pub batch_size: usize,
    /// The most evidence rows a finding cites (`[scan] max_evidence_rows`).
    pub max_evidence_rows: usize,
    /// When a rule floods, and how many of its findings it still writes.
    pub rule_flood: crate::config::RuleFlood,
    /// Ties serialized partials to this plan ([`crate::engine::fingerprint`]).
    pub fingerprint: u64,
    /// Where and above what the scan spills (`None`: never).
    pub spill: Option<SpillPlan>,
}

/// The memory limit and the folder of the spill files.
#[derive(Debug, Clone)]
pub struct SpillPlan {
    /// `--memory-limit` in bytes: the workers together hold at most half of it in partitioned entries.
    pub limit: u64,
    pub dir: std::path::PathBuf,
}

impl ScanPlan<'_> {
    /// The engine's view of the plan.
    pub fn engine(&self) -> engine::Plan<'_> {
        engine::Plan {
            rules: self.rules,
            columns: self.columns,
            ctx: self.ctx,
            fingerprint: self.fingerprint,
        }
    }
}

/// Folds every row group of the ledger through the rules. One worker per thread pulls row groups from a shared
/// counter, so there is exactly one partial state per thread (memory stays bounded whatever the number of row
/// groups); the states are then merged. `progress` is called with rows done.
pub fn scan(plan: &ScanPlan<'_>, progress: &(dyn Fn(u64) + Sync)) -> Result<Partial> {
    let ep = plan.engine();
    let n_files = plan.ledger.files.len();
    let rows: u64 = plan.ledger.files.iter().map(|f| f.num_rows).sum();
    let units = units(&plan.ledger.files);
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let workers = rayon::current_num_threads().clamp(1, units.len().max(1));
    let budget = plan
        .spill
        .as_ref()
        .map(|s| usize::try_from(s.limit / 2 / workers as u64).unwrap_or(usize::MAX));
    let states: Vec<Partial> = (0..workers)
        .into_par_iter()
        .map(|w| {
            let mut st = Partial::new(&ep, n_files, rows);
            let mut spilled = 0usize;
            // over its share of the memory limit (checked after every batch: a row group may be large), the
            // worker writes its partitioned entries out
            let mut spill = |st: &mut Partial| -> Result<()> {
                match (budget, &plan.spill) {
                    (Some(b), Some(s)) if st.part_bytes(&ep) > b => {
                        // the folder exists (made when the scan started): never made again here, so a
                        // signal that removed it leaves nothing behind
                        let path = s.dir.join(format!("spill-{w}-{spilled}.lz4"));
                        spilled += 1;
                        st.spill(&ep, &path)
                    }
                    _ => Ok(()),
                }
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(u) = units.get(i) else { break };
                let file = &plan.ledger.files[u.file as usize];
                let mut failed: Option<crate::error::Error> = None;
                let read = read_row_group(
                    file,
                    u.file,
                    u.row_group,
                    plan.columns,
                    plan.ctx,
                    plan.batch_size,
                    None,
                    |mut b| {
                        if failed.is_none() {
                            st.update(&ep, &mut b);
                            failed = spill(&mut st).err();
                        }
                    },
                );
                if let Some(e) = read.err().or(failed) {
                    // stop the other workers early
                    next.store(units.len(), Ordering::Relaxed);
                    return Err(e);
                }
                st.floods.end_unit(i);
                progress(done.fetch_add(u.rows, Ordering::Relaxed) + u.rows);
            }
            Ok(st)
        })
        .collect::<Result<_>>()?;
    Ok(states
        .into_iter()
        .reduce(|a, b| a.merge(&ep, b))
        .unwrap_or_else(|| Partial::new(&ep, n_files, rows)))
}

/// Where the evidence rows of the drafts come from: the local scan reads them back from its Parquet files by
/// row selection ([`ScanPlan`] is one); another driver may join them from its own copy of the ledger (a Spark
/// job: on (source, row)) and decode them with [`evidence_rows_of`].
pub trait EvidenceSource: Sync {
    /// The evidence rows of `rows` (sorted, distinct). A row the source cannot give is left out (its draft
    /// then renders without it, or not at all).
    fn evidence(&self, rows: &[RowRef]) -> Result<Evidence>;
}

impl EvidenceSource for ScanPlan<'_> {
    fn evidence(&self, rows: &[RowRef]) -> Result<Evidence> {
        read_evidence(self, rows)
    }
}

/// Finishes every rule, reads the evidence back and renders the findings, sorted by their total order.
pub fn finish(
    plan: &ScanPlan<'_>,
    state: Partial,
    phases: &mut Phases,
) -> Result<(Vec<Finding>, usize, Vec<Flood>)> {
    finish_with(plan, state, plan, phases)
}

/// [`finish`] with the evidence rows from `source`.
pub fn finish_with(
    plan: &ScanPlan<'_>,
    state: Partial,
    source: &dyn EvidenceSource,
    phases: &mut Phases,
) -> Result<(Vec<Finding>, usize, Vec<Flood>)> {
    let f = finish_keeping(plan, state, source, phases)?;
    let t = Instant::now();
    drop(f.evidence);
    phases.add("release evidence".into(), t);
    Ok((f.findings, f.dropped, f.floods))
}

/// What [`finish_keeping`] gives: the findings (sorted), the drafts dropped as key collisions, the floods, and
/// the evidence rows read back (every row of every finding), for the reports that show or place them.
pub struct Finished {
    pub findings: Vec<Finding>,
    pub dropped: usize,
    pub floods: Vec<Flood>,
    pub evidence: Evidence,
    /// What the rules measured besides their drafts, in their total order.
    pub exhibits: crate::exhibit::Exhibits,
}

/// [`finish_with`], keeping the evidence rows.
pub fn finish_keeping(
    plan: &ScanPlan<'_>,
    state: Partial,
    source: &dyn EvidenceSource,
    phases: &mut Phases,
) -> Result<Finished> {
    let mut state = state;
    let rows_scanned: u64 = state.files.iter().map(|d| d.rows_scanned).sum();
    let ep = plan.engine();
    let n = plan.rules.len();
    let readers: Vec<usize> = (0..n).filter(|&i| plan.rules[i].payee_periods()).collect();
    let period_drafts = |periods: Keyed<PeriodEntry>| -> Vec<(usize, Draft)> {
        periods
            .finish(|run| {
                let v: Vec<(usize, Draft)> = readers
                    .iter()
                    .filter_map(|&i| plan.rules[i].period_run(run).map(|d| (i, d)))
                    .collect();
                (!v.is_empty()).then_some(v)
            })
            .into_iter()
            .flatten()
            .collect()
    };
    // a partial that spilled: its split states are finished partition by partition, pulled as needed
    let spilled = state.take_spilled(&ep);
    // the shared payee-period grouping: sorted one partition at a time, every run handed to the rules that read it
    let t = Instant::now();
    let mut from_periods: Vec<Vec<Draft>> = plan.rules.iter().map(|_| Vec::new()).collect();
    let found: Option<Vec<(usize, Draft)>> = match &spilled {
        Some(sp) if state.periods.is_some() => {
            let parts = engine::spill::each_part(&|p| sp.pull_periods(p), |k| {
                k.map(&period_drafts).unwrap_or_default()
            })?;
            Some(parts.concat())
        }
        _ => state.periods.take().map(&period_drafts),
    };
    if let Some(found) = found {
        for (i, d) in found {
            from_periods[i].push(d);
        }
        phases.add("finish shared payee-period grouping".into(), t);
    }
    // every rule finishes at once (each also in parallel inside): the slow ones overlap
    let t = Instant::now();
    let timed: Vec<(usize, Vec<Draft>, f64)> = plan
        .rules
        .par_iter()
        .zip(state.rules.into_par_iter())
        .enumerate()
        .map(|(i, (r, s))| {
            let t = Instant::now();
            let d = match &spilled {
                Some(sp) if sp.has_rule(i) => r.finish_spilled(s, &|p| sp.pull_rule(&ep, i, p))?,
                _ => r.finish(s),
            };
            Ok((i, d, (t.elapsed().as_secs_f64() * 1000.0).round() / 1000.0))
        })
        .collect::<Result<_>>()?;
    if let Some(sp) = &spilled {
        for f in &sp.files {
            let _ = std::fs::remove_file(&f.path);
        }
        phases.1 = sp.files.len();
    }
    phases.add("finish".into(), t);
    let mut drafts: Vec<(usize, Vec<Draft>)> = Vec::with_capacity(timed.len());
    for (i, mut d, secs) in timed {
        phases.0.push((
            format!("finish {} (overlapping)", plan.rules[i].meta().code),
            secs,
        ));
        d.append(&mut from_periods[i]);
        drafts.push((i, d));
    }
    // what the rules found to be placeholders (their values read back with the evidence)
    let mut floods: Vec<Flood> = plan.rules.iter().flat_map(|r| r.floods()).collect();
    // a rule flooding the ledger writes only its drafts citing the most payments (before any row is read back)
    for (i, ds) in &mut drafts {
        if let Some(f) = withhold_flood(
            plan.rules[*i].meta().code,
            ds,
            plan.rule_flood,
            rows_scanned,
        ) {
            floods.push(f);
        }
    }
    let mut exhibits = crate::exhibit::Exhibits::default();
    for r in plan.rules {
        exhibits.extend(r.exhibits());
    }
    let t = Instant::now();
    let mut wanted: Vec<RowRef> = drafts
        .iter()
        .flat_map(|(_, ds)| ds.iter().flat_map(|d| d.evidence.iter().copied()))
        .chain(floods.iter().filter_map(|f| f.row))
        .chain(exhibits.round_sums.iter().filter_map(|s| s.sample))
        .collect();
    wanted.par_sort_unstable();
    wanted.dedup();
    let evidence = source.evidence(&wanted)?;
    phases.add("read evidence".into(), t);
    let t = Instant::now();
    // every rule's drafts in one parallel pass: one rule's giant draft does not leave the other cores idle while
    // it renders (the order, rule by rule and draft by draft, is kept; each rule's time is its thread time)
    let jobs: Vec<(usize, &Draft)> = drafts
        .iter()
        .flat_map(|(i, ds)| ds.iter().map(move |d| (*i, d)))
        .collect();
    let rendered: Vec<(usize, Option<Finding>, f64)> = jobs
        .par_iter()
        .with_max_len(1)
        .map(|&(i, d)| {
            let tr = Instant::now();
            let f = plan.rules[i].render(d, &evidence).map(|mut f| {
                f.bound(plan.max_evidence_rows, &evidence);
                f
            });
            (i, f, tr.elapsed().as_secs_f64())
        })
        .collect();
    let mut thread_secs = vec![0.0f64; n];
    let mut dropped = 0;
    let mut findings: Vec<Finding> = Vec::with_capacity(rendered.len());
    for (i, f, secs) in rendered {
        thread_secs[i] += secs;
        match f {
            Some(f) => findings.push(f),
            None => dropped += 1,
        }
    }
    let render_times: Vec<(String, f64)> = drafts
        .iter()
        .map(|(i, _)| {
            (
                format!("render {} (thread seconds)", plan.rules[*i].meta().code),
                (thread_secs[*i] * 1000.0).round() / 1000.0,
            )
        })
        .collect();
    findings.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    phases.add("render".into(), t);
    for f in &mut floods {
        if f.value.is_none() {
            let r = f.row.and_then(|r| evidence.get(&r));
            f.value = r.and_then(|r| match f.column.as_deref() {
                Some("account") => Some(r.account.to_string()),
                Some("payee_name") => Some(r.payee_name.to_string()),
                Some("household_id") => r.household_id.as_deref().map(str::to_string),
                _ => None,
            });
        }
        if let (Some(c), Some(v)) = (&f.column, &f.value) {
            if f.exclude.is_none()
                && matches!(
                    c.as_str(),
                    "account" | "payee_name" | "household_id" | "birth_date"
                )
            {
                f.exclude = Some(crate::flood::exclude_filter(c, v));
            }
            f.message = f.message.replace("{value}", &format!("{v:?}"));
        } else {
            f.message = f.message.replace(" {value}", "");
        }
    }
    phases.0.extend(render_times);
    drop(drafts);
    // an officer's id, from its sample row (a share whose row the source cannot give is left out)
    for s in &mut exhibits.round_sums {
        if let Some(o) = s
            .sample
            .and_then(|r| evidence.get(&r))
            .and_then(|e| e.officer_id.as_deref())
        {
            s.officer = o.to_string();
        }
    }
    exhibits.round_sums.retain(|s| !s.officer.is_empty());
    exhibits.sort();
    Ok(Finished {
        findings,
        dropped,
        floods,
        evidence,
        exhibits,
    })
}

/// When a rule raises more drafts than [`crate::config::RuleFlood::limit`] allows, keeps the `keep` drafts
/// citing the most rows (ties: the earliest first row, then the rows and facts: a total order, so the choice does
/// not depend on threads) and returns the rule's flood.
fn withhold_flood(
    code: &str,
    drafts: &mut Vec<Draft>,
    rf: crate::config::RuleFlood,
    rows_scanned: u64,
) -> Option<Flood> {
    let total = drafts.len();
    if total <= rf.limit(rows_scanned) {
        return None;
    }
    drafts.par_sort_unstable_by(|a, b| {
        b.evidence
            .len()
            .cmp(&a.evidence.len())
            .then_with(|| a.evidence.cmp(&b.evidence))
            .then_with(|| a.facts.cmp(&b.facts))
    });
    drafts.truncate(rf.keep);
    Some(crate::flood::withheld_flood(
        code,
        total,
        drafts.len(),
        rows_scanned,
    ))
}

/// Seconds spent per phase of a run, for `summary.json`'s `timing` (never part of the deterministic output).
#[derive(Debug, Clone, Default)]
/// (the phases in order, the spill files read back: `timing.spill_files`)
pub struct Phases(pub Vec<(String, f64)>, pub usize);

impl Phases {
    pub fn add(&mut self, name: String, since: Instant) {
        self.0.push((
            name,
            (since.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        ));
    }
}

/// The columns shown for evidence rows.
const EVIDENCE_COLUMNS: &[Col] = &[
    Col::TxnId,
    Col::Scheme,
    Col::Period,
    Col::PayDate,
    Col::Region,
    Col::PayeeId,
    Col::PayeeName,
    Col::Account,
    Col::Amount,
    Col::Status,
    Col::OfficerId,
    Col::HouseholdId,
    Col::County,
    Col::Township,
];

/// Reads the given rows (sorted) back from the ledger, one row group per task.
pub fn read_evidence(plan: &ScanPlan<'_>, rows: &[RowRef]) -> Result<Evidence> {
    let cols = EVIDENCE_COLUMNS
        .iter()
        .copied()
        .filter(|c| plan.ledger.available.contains(*c))
        .fold(ColSet::default(), ColSet::with);
    // (file, row group) -> rows within the row group
    let mut groups: BTreeMap<(u32, usize), Vec<u64>> = BTreeMap::new();
    for r in rows {
        let Some(f) = plan.ledger.files.get(r.file() as usize) else {
            continue;
        };
        let g = f
            .row_group_starts
            .partition_point(|s| *s <= r.row())
            .saturating_sub(1);
        groups
            .entry((r.file(), g))
            .or_default()
            .push(r.row() - f.row_group_starts[g]);
    }
    let parts: Vec<Vec<EvidenceRow>> = groups
        .into_par_iter()
        .map(|((fi, g), within)| {
            let file = &plan.ledger.files[fi as usize];
            let mut out = Vec::with_capacity(within.len());
            read_row_group(
                file,
                fi,
                g,
                cols,
                plan.ctx,
                plan.batch_size,
                Some(&within),
                |b| {
                    for i in 0..b.len() {
                        out.push(evidence_row(
                            &b,
                            i,
                            file.path
                                .file_name()
                                .and_then(|n| n.to_str())
                                .unwrap_or("?"),
                            plan.ctx,
                        ));
                    }
                },
            )?;
            Ok(out)
        })
        .collect::<Result<_>>()?;
    // sized once: a map grown row by row moves every row (a few hundred bytes each) at each doubling
    let mut ev =
        Evidence::with_capacity_and_hasher(rows.len(), crate::ledger::hash::KeyHash::default());
    for e in parts.into_iter().flatten() {
        if let Some(r) = e.row {
            ev.insert(r, e);
        }
    }
    Ok(ev)
}

/// The evidence rows of an Arrow batch whose columns carry the canonical names, its rows numbered from
/// `origin` (for an [`EvidenceSource`] of another driver); `source_name` stands in for a missing txn id
/// (`name:row`), as the file name does in the local scan.
pub fn evidence_rows_of(
    plan: &ScanPlan<'_>,
    rb: &arrow::record_batch::RecordBatch,
    origin: engine::Origin,
    source_name: &str,
) -> Vec<EvidenceRow> {
    let cols = EVIDENCE_COLUMNS
        .iter()
        .copied()
        .fold(ColSet::default(), ColSet::with);
    let b = Batch::from_record_batch(rb, origin, cols, plan.ctx);
    (0..b.len())
        .map(|i| evidence_row(&b, i, source_name, plan.ctx))
        .collect()
}

fn evidence_row(b: &Batch, i: usize, file_name: &str, ctx: &BatchContext) -> EvidenceRow {
    use crate::finding::Str;
    let text = |c: Col| b.text(c, i).map(|s| Str::new(s.trim())).unwrap_or_default();
    let opt = |c: Col| {
        b.text(c, i)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Str::new)
    };
    EvidenceRow {
        row: Some(b.row_ref(i)),
        txn_id: opt(Col::TxnId)
            .unwrap_or_else(|| compact_str::format_compact!("{file_name}:{}", b.row_of(i))),
        scheme: text(Col::Scheme),
        period: b
            .period
            .get(i)
            .and_then(|c| Period::from_code(*c))
            .map(|p| compact_str::format_compact!("{p}"))
            .unwrap_or_else(|| text(Col::Period)),
        pay_date: b.pay_date(i),
        region: text(Col::Region),
        payee_id: b
            .text(Col::PayeeId, i)
            .map(|s| Str::new(ctx.payee_key(s)))
            .unwrap_or_default(),
        payee_raw: text(Col::PayeeId),
        payee_name: text(Col::PayeeName),
        account: text(Col::Account),
        amount_fen: b.amount_fen.get(i).copied().unwrap_or(0),
        status: Str::const_new(b.status.get(i).copied().unwrap_or(Status::Paid).as_str()),
        officer_id: opt(Col::OfficerId),
        household_id: opt(Col::HouseholdId),
        county: opt(Col::County),
        township: opt(Col::Township),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RuleFlood;

    fn draft(rows: &[u64]) -> Draft {
        Draft {
            evidence: rows.iter().map(|r| RowRef::new(0, *r)).collect(),
            facts: vec![],
        }
    }

    #[test]
    fn a_flooding_rule_keeps_the_drafts_citing_the_most_rows_in_any_order() {
        let rf = RuleFlood {
            findings: 3,
            share: 0.0,
            keep: 2,
        };
        let all = vec![
            draft(&[1]),
            draft(&[2, 3]),
            draft(&[4, 5, 6]),
            draft(&[0, 7]),
        ];
        let mut a = all.clone();
        let f = withhold_flood("DUP001", &mut a, rf, 100).expect("floods");
        assert_eq!(a, vec![draft(&[4, 5, 6]), draft(&[0, 7])]);
        assert_eq!((f.kind, f.count, f.of), ("rule", 4, 100));
        assert!(f.message.starts_with(
            "DUP001 raised 4 findings over 100 rows scanned: only the 2 citing the most payments are written, 2 are withheld"
        ));
        let mut b: Vec<Draft> = all.iter().rev().cloned().collect();
        withhold_flood("DUP001", &mut b, rf, 100).expect("floods");
        assert_eq!(a, b);
        // at the limit nothing is withheld; the share of the rows scanned raises the limit
        let mut c = all[..3].to_vec();
        assert!(withhold_flood("DUP001", &mut c, rf, 100).is_none());
        let wide = RuleFlood { share: 0.05, ..rf };
        let mut d = all.clone();
        assert!(withhold_flood("DUP001", &mut d, wide, 100).is_none());
        assert_eq!(d.len(), 4);
    }
}
