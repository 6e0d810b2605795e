//! A partial scan: every enabled rule's state over some of the ledger's rows, with the data-quality counts
//! and the flood sketch of those rows. Partials merge in any order, and serialize to bytes and back
//! ([`super::codec`]), so they can be made anywhere (a worker thread, a Spark executor) and merged anywhere.

use super::codec;
use super::spill::{Parts, SpillFile};
use super::{Origin, Plan};
use crate::error::Result;
use crate::flood::FloodSketch;
use crate::hotspot::RegionTally;
use crate::ledger::batch::{Batch, DqStats};
use crate::ledger::column::Col;
use crate::ledger::payees::PayeeIndex;
use crate::rules::keyed::Keyed;
use crate::rules::keyed::PARTS;
use crate::rules::shared::{push_periods, PeriodEntry};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};
use std::any::Any;
use std::sync::Mutex;

/// The partial result of a scan over some rows: one state per rule (in the plan's order), data-quality counts
/// per source, the shared payee-period grouping (when a rule reads it) and the flood sketch. Merging partials
/// in any order gives the same findings.
pub struct Partial {
    pub rules: Vec<Box<dyn Any + Send>>,
    /// Data-quality counts per source (file), indexed by [`Origin::source`].
    pub files: Vec<DqStats>,
    /// The shared payee-period grouping, when a rule reads it ([`crate::rules::shared`]).
    pub(crate) periods: Option<Keyed<PeriodEntry>>,
    /// The heavy hitters of the key columns, per unit read ([`crate::flood`]).
    pub floods: FloodSketch,
    /// The per-village counts of the region hotspots ([`crate::hotspot`]), when the plan reads the region and
    /// the payee id.
    pub regions: Option<RegionTally>,
    /// The entries this partial (and those merged into it) wrote out under the memory limit.
    pub spills: Vec<SpillFile>,
    scratch: Scratch,
}

/// A worker's caches: never merged, never serialized (a deserialized or merged partial starts a fresh one).
#[derive(Default)]
struct Scratch {
    /// The worker's payee numbers, when a rule reads them.
    payees: Option<PayeeIndex>,
    /// The rows expected, to size the payee numbers once.
    rows_hint: u64,
}

/// The serialized form (see [`super::codec`] for the envelope).
#[derive(Serialize)]
struct WireRef<'a> {
    files: &'a [DqStats],
    floods: &'a FloodSketch,
    regions: Option<&'a RegionTally>,
    periods: Option<&'a Keyed<PeriodEntry>>,
    rules: Vec<(&'static str, Vec<u8>)>,
}

#[derive(Deserialize)]
struct Wire {
    files: Vec<DqStats>,
    floods: FloodSketch,
    regions: Option<RegionTally>,
    periods: Option<Keyed<PeriodEntry>>,
    rules: Vec<(String, Vec<u8>)>,
}

impl Partial {
    /// An empty partial. `n_sources`: the sources known now (more are added as batches of them come);
    /// `rows_hint`: the rows this partial is expected to see (sizes the worker's payee numbers once; 0 when
    /// unknown).
    pub fn new(plan: &Plan<'_>, n_sources: usize, rows_hint: u64) -> Self {
        Self {
            rules: plan.rules.iter().map(|r| r.new_state()).collect(),
            files: vec![DqStats::default(); n_sources],
            periods: plan
                .rules
                .iter()
                .any(|r| r.payee_periods())
                .then(Keyed::default),
            floods: FloodSketch::default(),
            regions: RegionTally::possible(plan.columns).then(RegionTally::default),
            spills: Vec::new(),
            scratch: Scratch {
                payees: None,
                rows_hint,
            },
        }
    }

    /// Feeds one decoded batch to every rule.
    pub fn update(&mut self, plan: &Plan<'_>, batch: &mut Batch) {
        let f = batch.file as usize;
        if self.files.len() <= f {
            self.files.resize(f + 1, DqStats::default());
        }
        self.files[f].merge(batch.dq.clone());
        if plan.rules.iter().any(|r| r.payee_numbers()) {
            let hint = self.scratch.rows_hint;
            let ix = self.scratch.payees.get_or_insert_with(|| {
                PayeeIndex::with_capacity(usize::try_from(hint / 8).unwrap_or(1 << 24).min(1 << 24))
            });
            let mut no = std::mem::take(&mut batch.payee_no);
            ix.assign(batch.hashes(Col::PayeeId), &mut no);
            batch.payee_no = no;
            batch.payees_numbered = ix.len();
        }
        if let Some(p) = &mut self.periods {
            push_periods(p, batch);
        }
        self.floods.update(batch);
        if let Some(t) = &mut self.regions {
            t.update(batch, &plan.ctx.locale.region);
        }
        for (r, s) in plan.rules.iter().zip(self.rules.iter_mut()) {
            r.update(s.as_mut(), batch);
        }
    }

    /// Feeds an Arrow record batch whose columns carry the canonical names ([`Col::name`]), its rows numbered
    /// from `origin`: the entry point of drivers that read the ledger themselves. Each call is one unit of the
    /// flood sketch, as a row group is in the local scan.
    pub fn update_record_batch(&mut self, plan: &Plan<'_>, rb: &RecordBatch, origin: Origin) {
        let mut b = Batch::from_record_batch(rb, origin, plan.columns, plan.ctx);
        self.update(plan, &mut b);
        self.floods.end_unit(origin.unit());
    }

    /// Merges `other` into this partial (any order gives the same findings).
    pub fn merge(mut self, plan: &Plan<'_>, other: Self) -> Self {
        for ((r, a), b) in plan
            .rules
            .iter()
            .zip(self.rules.iter_mut())
            .zip(other.rules)
        {
            r.merge(a.as_mut(), b);
        }
        if self.files.len() < other.files.len() {
            self.files.resize(other.files.len(), DqStats::default());
        }
        for (a, b) in self.files.iter_mut().zip(other.files) {
            a.merge(b);
        }
        self.floods.merge(other.floods);
        match (&mut self.regions, other.regions) {
            (Some(a), Some(b)) => a.merge(b),
            (a @ None, b) => *a = b,
            _ => {}
        }
        self.spills.extend(other.spills);
        match (&mut self.periods, other.periods) {
            (Some(a), Some(b)) => a.append(b),
            (a @ None, b) => *a = b,
            _ => {}
        }
        self
    }

    /// Bytes held by the entries that can be spilled (of the splitting rule states and the shared grouping).
    pub fn part_bytes(&self, plan: &Plan<'_>) -> usize {
        plan.rules
            .iter()
            .zip(&self.rules)
            .filter(|(r, _)| r.splits())
            .map(|(r, s)| r.part_bytes(s.as_ref()))
            .sum::<usize>()
            + self.periods.as_ref().map_or(0, Parts::part_bytes)
    }

    /// The splitting states, in the order of their slots in a spill file (the shared grouping comes last).
    fn slots(plan: &Plan<'_>) -> Vec<usize> {
        (0..plan.rules.len())
            .filter(|&i| plan.rules[i].splits())
            .collect()
    }

    /// Writes every splitting state's entries to a spill file at `path` (one block per state and partition)
    /// and empties them. A failure to write (a full disk) is an error naming the path.
    pub fn spill(&mut self, plan: &Plan<'_>, path: &std::path::Path) -> Result<()> {
        let slots = Self::slots(plan);
        let rules = &mut self.rules;
        let periods = &mut self.periods;
        let n_slots = slots.len() + usize::from(periods.is_some());
        let file = super::spill::write_spill(path, n_slots, |slot, p| match slots.get(slot) {
            Some(&i) => {
                let part = plan.rules[i].take_part(rules[i].as_mut(), p);
                plan.rules[i].encode_state(part.as_ref())
            }
            None => codec::to_vec(&periods.as_mut().map(|k| k.take_part(p))),
        })?;
        self.spills.push(file);
        Ok(())
    }

    /// When this partial spilled: its splitting states' partitions, taken out of it (what stays in
    /// [`Partial::rules`] is what does not split, handed to [`crate::rules::DynRule::finish_spilled`]).
    pub fn take_spilled(&mut self, plan: &Plan<'_>) -> Option<Spilled> {
        if self.spills.is_empty() {
            return None;
        }
        let slots = Self::slots(plan);
        let mem = slots
            .iter()
            .map(|&i| {
                (0..PARTS)
                    .map(|p| Mutex::new(Some(plan.rules[i].take_part(self.rules[i].as_mut(), p))))
                    .collect()
            })
            .collect();
        let periods = self.periods.as_mut().map(|k| {
            (0..PARTS)
                .map(|p| Mutex::new(Some(k.take_part(p))))
                .collect()
        });
        Some(Spilled {
            slots,
            mem,
            periods,
            files: std::mem::take(&mut self.spills),
        })
    }
}

/// The partitions of a spilled partial's splitting states: in memory and in the spill files. Each partition
/// is pulled once, when its finish comes, so only the partitions being finished are in memory.
pub struct Spilled {
    slots: Vec<usize>,
    mem: Vec<Vec<Mutex<Option<Box<dyn Any + Send>>>>>,
    periods: Option<Vec<Mutex<Option<Keyed<PeriodEntry>>>>>,
    pub files: Vec<SpillFile>,
}

impl Spilled {
    /// Whether rule `i` (of the plan) spilled.
    pub fn has_rule(&self, i: usize) -> bool {
        self.slots.contains(&i)
    }

    /// Partition `p` of rule `i`'s state: its entries in memory and in every spill file, merged.
    pub fn pull_rule(&self, plan: &Plan<'_>, i: usize, p: usize) -> Result<Box<dyn Any + Send>> {
        let r = &plan.rules[i];
        let slot = self.slots.iter().position(|&s| s == i);
        let taken = slot
            .and_then(|s| self.mem.get(s))
            .and_then(|v| v.get(p))
            .and_then(|m| {
                m.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take()
            });
        let mut state = taken.unwrap_or_else(|| r.new_state());
        if let Some(slot) = slot {
            for f in &self.files {
                r.merge(state.as_mut(), r.decode_state(&f.read(slot, p)?)?);
            }
        }
        Ok(state)
    }

    /// Partition `p` of the shared payee-period grouping.
    pub fn pull_periods(&self, p: usize) -> Result<Option<Keyed<PeriodEntry>>> {
        let Some(mem) = &self.periods else {
            return Ok(None);
        };
        let mut k = mem
            .get(p)
            .and_then(|m| {
                m.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take()
            })
            .unwrap_or_default();
        for f in &self.files {
            let part: Option<Keyed<PeriodEntry>> =
                codec::from_slice(&f.read(self.slots.len(), p)?, "a spilled grouping")?;
            if let Some(part) = part {
                k.append(part);
            }
        }
        Ok(Some(k))
    }
}

impl Partial {
    /// The partial as bytes ([`super::codec`]): versioned, tied to the plan's fingerprint, checksummed.
    /// A partial that spilled to local files cannot travel: merge and finish it where it was made.
    pub fn to_bytes(&self, plan: &Plan<'_>) -> Result<Vec<u8>> {
        if !self.spills.is_empty() {
            return Err(crate::error::Error::Partial {
                source_name: None,
                message: "this partial spilled to local files and cannot be serialized".into(),
            });
        }
        let rules = plan
            .rules
            .iter()
            .zip(&self.rules)
            .map(|(r, s)| Ok((r.meta().code, r.encode_state(s.as_ref())?)))
            .collect::<Result<Vec<_>>>()?;
        let body = codec::to_vec(&WireRef {
            files: &self.files,
            floods: &self.floods,
            regions: self.regions.as_ref(),
            periods: self.periods.as_ref(),
            rules,
        })?;
        Ok(codec::seal(plan.fingerprint, body))
    }

    /// A partial from [`Partial::to_bytes`] of the same plan; bytes of another format version or plan, or
    /// damaged ones, are refused with [`crate::error::Error::Partial`].
    pub fn from_bytes(plan: &Plan<'_>, bytes: &[u8]) -> Result<Self> {
        let body = codec::open(bytes, plan.fingerprint)?;
        let w: Wire = codec::from_slice(body, "the partial")?;
        let codes: Vec<&str> = w.rules.iter().map(|(c, _)| c.as_str()).collect();
        let mine: Vec<&str> = plan.rules.iter().map(|r| r.meta().code).collect();
        if codes != mine {
            return Err(crate::error::Error::Partial {
                source_name: None,
                message: format!(
                    "holds the rules {}, the plan runs {}",
                    codes.join(","),
                    mine.join(",")
                ),
            });
        }
        let wants_periods = plan.rules.iter().any(|r| r.payee_periods());
        if wants_periods != w.periods.is_some() {
            return Err(crate::error::Error::Partial {
                source_name: None,
                message: "the shared payee-period grouping does not match the plan".into(),
            });
        }
        let rules = plan
            .rules
            .iter()
            .zip(&w.rules)
            .map(|(r, (_, bytes))| r.decode_state(bytes))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            rules,
            files: w.files,
            periods: w.periods,
            floods: w.floods,
            regions: w.regions,
            spills: Vec::new(),
            scratch: Scratch::default(),
        })
    }
}
