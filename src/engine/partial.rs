//! A partial scan: every enabled rule's state over some of the ledger's rows, with the data-quality counts
//! and the flood sketch of those rows. Partials merge in any order, and serialize to bytes and back
//! ([`super::codec`]), so they can be made anywhere (a worker thread, a Spark executor) and merged anywhere.

use super::codec;
use super::spill::{Parts, SpillFile};
use super::{Origin, Plan};
use crate::error::Result;
use crate::flood::FloodSketch;
use crate::ledger::batch::{Batch, DqStats};
use crate::ledger::column::Col;
use crate::ledger::payees::PayeeIndex;
use crate::rules::keyed::Keyed;
use crate::rules::shared::{push_periods, PeriodEntry};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};
use std::any::Any;

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
    /// The entries this partial (and those merged into it) wrote out under the memory limit.
    pub spills: Vec<SpillFile>,
    scratch: Scratch,
}

/// One partition of the splitting states, gathered from memory and every spill file: per rule of the plan
/// the state of that partition (`None` for a rule whose state does not split), and the shared grouping's.
pub struct Partition {
    pub rules: Vec<Option<Box<dyn Any + Send>>>,
    pub periods: Option<Keyed<PeriodEntry>>,
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
    periods: Option<&'a Keyed<PeriodEntry>>,
    rules: Vec<(&'static str, Vec<u8>)>,
}

#[derive(Deserialize)]
struct Wire {
    files: Vec<DqStats>,
    floods: FloodSketch,
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

    /// Writes every splitting state's entries to a spill file at `path`, one section per partition, and
    /// empties them. A failure to write (a full disk) is an error naming the path.
    pub fn spill(&mut self, plan: &Plan<'_>, path: &std::path::Path) -> Result<()> {
        let rules = &mut self.rules;
        let periods = &mut self.periods;
        let file = super::spill::write_spill(path, |p| {
            let mut states: Vec<Vec<u8>> = Vec::new();
            for (r, s) in plan.rules.iter().zip(rules.iter_mut()) {
                if r.splits() {
                    let part = r.take_part(s.as_mut(), p);
                    states.push(r.encode_state(part.as_ref())?);
                }
            }
            let grouping = periods.as_mut().map(|k| k.take_part(p));
            codec::to_vec(&(states, grouping))
        })?;
        self.spills.push(file);
        Ok(())
    }

    /// Partition `p` of every splitting state in memory (taken out of this partial); see
    /// [`Partition::load_spilled`] for its entries on disk.
    pub fn take_partition(&mut self, plan: &Plan<'_>, p: usize) -> Partition {
        Partition {
            rules: plan
                .rules
                .iter()
                .zip(self.rules.iter_mut())
                .map(|(r, s)| r.splits().then(|| r.take_part(s.as_mut(), p)))
                .collect(),
            periods: self.periods.as_mut().map(|k| k.take_part(p)),
        }
    }
}

impl Partition {
    /// Merges partition `p`'s sections of the spill files into this partition.
    pub fn load_spilled(&mut self, plan: &Plan<'_>, spills: &[SpillFile], p: usize) -> Result<()> {
        let part = self;
        for f in spills {
            let bytes = f.read(p)?;
            let (states, grouping): (Vec<Vec<u8>>, Option<Keyed<PeriodEntry>>) =
                codec::from_slice(&bytes, "a spilled partition")?;
            let mut states = states.into_iter();
            for (r, slot) in plan.rules.iter().zip(part.rules.iter_mut()) {
                if let Some(mine) = slot {
                    let Some(bytes) = states.next() else {
                        return Err(crate::error::Error::Partial {
                            source_name: Some(f.path.display().to_string()),
                            message: "a spilled partition lacks a rule's state".into(),
                        });
                    };
                    r.merge(mine.as_mut(), r.decode_state(&bytes)?);
                }
            }
            match (&mut part.periods, grouping) {
                (Some(a), Some(b)) => a.append(b),
                (a @ None, b) => *a = b,
                _ => {}
            }
        }
        Ok(())
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
            spills: Vec::new(),
            scratch: Scratch::default(),
        })
    }
}
