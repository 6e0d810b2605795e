//! The engine: what every driver of a scan uses (the `scan` command, `digits`, a Spark job).
//!
//! ```text
//!  config + ledger schema --plan--> Plan (rules, thresholds, schemes, columns, fingerprint)
//!
//!  driver reads batches ──> Partial::update_record_batch(rb, Origin{source, first_row})   per worker/task
//!                              │  (scratch: the worker's payee numbers, memos: never merged or serialized)
//!                              ├─ Partial::to_bytes ──> ship / spill ──> Partial::from_bytes
//!                              └─ Partial::merge (any order, associative, commutative)
//!                                       │
//!                    finish ──> drafts (row references + facts) ──> evidence read back ──> findings
//! ```
//!
//! A driver builds a [`Plan`] (the local scan: [`crate::pipeline::ScanPlan::engine`]), makes one [`Partial`]
//! per worker, feeds it Arrow record batches with their [`Origin`], merges the partials (in memory, or after
//! shipping them as bytes) and hands the merged one to [`crate::pipeline::finish`].

pub mod codec;
pub mod partial;
pub mod spill;

pub use partial::Partial;

use crate::ledger::batch::BatchContext;
use crate::ledger::column::ColSet;
use crate::rules::DynRule;

/// Where a batch's rows come from: the source (the index of the file in the scan's list, or a driver's own
/// numbering) and the row number of its first row within that source. Evidence rows are looked up by
/// (source, row) afterwards, so the numbering must be the one the evidence is read back with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub source: u32,
    pub first_row: u64,
}

impl Origin {
    pub fn new(source: u32, first_row: u64) -> Self {
        Self { source, first_row }
    }

    /// A unit number for the flood sketch (orders its units deterministically).
    pub fn unit(self) -> usize {
        usize::try_from((u64::from(self.source) << 40) | (self.first_row & ((1 << 40) - 1)))
            .unwrap_or(usize::MAX)
    }
}

/// The part of a validated plan that the partials need: the enabled rules (built with their thresholds and
/// reference tables), the columns decoded, the batch context (schemes, locale, filters) and the fingerprint
/// that ties serialized partials to this plan.
#[derive(Clone, Copy)]
pub struct Plan<'a> {
    pub rules: &'a [Box<dyn DynRule>],
    pub columns: ColSet,
    pub ctx: &'a BatchContext,
    pub fingerprint: u64,
}

/// The fingerprint of a plan: the byte format's version, the crate's version, the rules in order, the
/// columns decoded and the config's hash (thresholds, schemes, mapping, locale, filters).
pub fn fingerprint(rules: &[Box<dyn DynRule>], columns: ColSet, config_hash: &str) -> u64 {
    let mut text = format!(
        "{}|{}|{}",
        codec::FORMAT_VERSION,
        env!("CARGO_PKG_VERSION"),
        config_hash
    );
    for r in rules {
        text.push('|');
        text.push_str(r.meta().code);
    }
    for c in columns.iter() {
        text.push('|');
        text.push_str(c.name());
    }
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}
