//! The rules framework and the registry of every rule.
//!
//! A rule is one file: its metadata ([`RuleMeta`]: code, name, doc text, columns, thresholds), a state with
//! `update` / `merge` / `finish` so all rules run together in one pass, and `render`, which turns a draft
//! (evidence row references plus numbers) into a [`Finding`] once the evidence rows have been read back.
//!
//! Why drafts: during the scan rules keep only compact hashed keys and row references (16 to 24 bytes a row),
//! never strings, so memory follows the state and not the text of the ledger. The few rows that end up as
//! evidence are read back afterwards with a row selection, and only then are names, ids and amounts shown.

pub mod amt;
pub mod dig;
pub mod dup;
pub mod gho;
pub mod group;
pub mod ins;
pub mod keyed;
pub mod render;
pub mod shared;

use crate::error::{Error, Result};
pub use crate::finding::Evidence;
use crate::finding::{EvidenceRow, Finding};
use crate::ledger::batch::{Batch, BatchContext, RowRef};
use crate::ledger::column::ColSet;
use crate::reference::{Deaths, Officials, Registry};
pub use crate::rule_meta::{ParamSpec, ParamValue, Reference, RuleMeta};
use shared::PeriodEntry;
use std::any::Any;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A rule's thresholds after the config's `[rules.CODE]` overrides.
#[derive(Debug, Clone, Default)]
pub struct Params(BTreeMap<&'static str, ParamValue>);

impl Params {
    /// Defaults of `meta`, overridden by `table`; an unknown key or a value of the wrong type is an error.
    pub fn resolve(
        meta: &RuleMeta,
        table: Option<&toml::Table>,
        config_path: &Path,
    ) -> Result<Self> {
        let mut p: BTreeMap<&'static str, ParamValue> =
            meta.params.iter().map(|s| (s.name, s.default)).collect();
        for (k, v) in table.into_iter().flatten() {
            let spec = meta.params.iter().find(|s| s.name == k).ok_or_else(|| {
                let known: Vec<&str> = meta.params.iter().map(|s| s.name).collect();
                Error::config(
                    config_path,
                    format!("rules.{}.{k}", meta.code),
                    format!(
                        "unknown threshold (known: {})",
                        if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        }
                    ),
                )
            })?;
            let value = ParamValue::from_toml(v, spec.default).ok_or_else(|| {
                Error::config(
                    config_path,
                    format!("rules.{}.{k}", meta.code),
                    format!("must be {}", spec.default.type_name()),
                )
            })?;
            p.insert(spec.name, value);
        }
        Ok(Self(p))
    }

    pub fn int(&self, name: &str) -> i64 {
        match self.0.get(name) {
            Some(ParamValue::Int(i)) => *i,
            Some(ParamValue::Float(f)) => *f as i64,
            _ => 0,
        }
    }
    pub fn float(&self, name: &str) -> f64 {
        match self.0.get(name) {
            Some(ParamValue::Float(f)) => *f,
            Some(ParamValue::Int(i)) => *i as f64,
            _ => 0.0,
        }
    }
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.0.get(name), Some(ParamValue::Bool(true)))
    }
    pub fn values(&self) -> &BTreeMap<&'static str, ParamValue> {
        &self.0
    }
}

/// A finding before its evidence rows are read back: the rows, and numbers the rule wants to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub evidence: Vec<RowRef>,
    pub facts: Vec<i64>,
}

/// The rows of a draft that were read back, in row order.
pub fn rows_of<'a>(draft: &Draft, ev: &'a Evidence) -> Vec<&'a EvidenceRow> {
    draft.evidence.iter().filter_map(|r| ev.get(r)).collect()
}

/// What rules may consult besides the batches.
#[derive(Debug, Clone, Default)]
pub struct RuleEnv {
    pub batch: BatchContext,
    /// Reference tables, loaded once and shared read-only (`None` when not given or not needed).
    pub registry: Option<Arc<Registry>>,
    pub deaths: Option<Arc<Deaths>>,
    pub officials: Option<Arc<Officials>>,
}

/// A rule, with a typed state.
pub trait Rule: Send + Sync + 'static {
    /// The rule's partial state: mergeable, and serializable to bytes and back ([`crate::engine::codec`]);
    /// a worker's caches are marked `#[serde(skip)]` (never merged, never serialized).
    ///
    /// A state whose entries split by key partition ([`crate::engine::spill::Parts`]) is spilled to disk under
    /// `--memory-limit` and finished one partition at a time: its `finish` must then give, over the states of
    /// the partitions one by one, the drafts it gives over the whole state.
    type State: Default
        + Send
        + serde::Serialize
        + serde::de::DeserializeOwned
        + crate::engine::spill::Parts
        + 'static;
    /// Whether the rule reads [`Batch::payee_no`] (the scan numbers payees only when some rule does).
    const PAYEE_NUMBERS: bool = false;
    /// Whether the rule reads the shared payee-period grouping ([`shared`], built only when some enabled rule
    /// asks) through [`Rule::period_run`].
    const PAYEE_PERIODS: bool = false;
    fn update(&self, state: &mut Self::State, batch: &Batch);
    fn merge(&self, into: &mut Self::State, from: Self::State);
    fn finish(&self, state: Self::State) -> Vec<Draft>;
    /// A draft from one run of the shared payee-period grouping (one payee's scheme period, every PAID row),
    /// for rules with [`Rule::PAYEE_PERIODS`]; the pipeline adds these drafts to those of [`Rule::finish`].
    fn period_run(&self, run: &[PeriodEntry]) -> Option<Draft> {
        let _ = run;
        None
    }
    fn render(&self, draft: &Draft, ev: &Evidence) -> Option<Finding>;
    /// The finish of a state that spilled: `rest` is what stayed in memory whole (what does not split, such
    /// as per-officer maps), `pull(p)` gives partition `p` of the split entries (each partition once; pull
    /// them one at a time or a few in parallel, never all at once). Must give [`Rule::finish`]'s drafts over
    /// the whole state. By default, each partition's [`Rule::finish`] in partition order, the partitions in
    /// parallel (right for a state whose finish looks at each key's run alone).
    fn finish_spilled(
        &self,
        rest: Self::State,
        pull: &(dyn Fn(usize) -> Result<Self::State> + Sync),
    ) -> Result<Vec<Draft>> {
        drop(rest);
        Ok(crate::engine::spill::each_part(pull, |s| self.finish(s))?.concat())
    }
    /// Values the rule found to be placeholders in its finish (treated as unknown), for `summary.json`'s
    /// `floods`; a value left `None` is read back from the flood's `row`.
    fn floods(&self) -> Vec<crate::flood::Flood> {
        Vec::new()
    }
    /// What the rule measured in its finish besides its drafts (digit curves, round-sum shares), for the
    /// workbook and the HTML case file ([`crate::exhibit`]).
    fn exhibits(&self) -> crate::exhibit::Exhibits {
        crate::exhibit::Exhibits::default()
    }
}

/// A rule behind a uniform interface (states erased), as the pipeline drives it.
pub trait DynRule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn new_state(&self) -> Box<dyn Any + Send>;
    fn payee_numbers(&self) -> bool;
    fn payee_periods(&self) -> bool;
    fn update(&self, state: &mut (dyn Any + Send), batch: &Batch);
    fn merge(&self, into: &mut (dyn Any + Send), from: Box<dyn Any + Send>);
    fn finish(&self, state: Box<dyn Any + Send>) -> Vec<Draft>;
    fn period_run(&self, run: &[PeriodEntry]) -> Option<Draft>;
    fn render(&self, draft: &Draft, ev: &Evidence) -> Option<Finding>;
    fn floods(&self) -> Vec<crate::flood::Flood>;
    fn exhibits(&self) -> crate::exhibit::Exhibits;
    /// The state's bytes (postcard; see [`crate::engine::codec`]).
    fn encode_state(&self, state: &(dyn Any + Send)) -> Result<Vec<u8>>;
    /// Whether the state splits by key partition ([`crate::engine::spill::Parts::SPLITS`]).
    fn splits(&self) -> bool;
    /// [`Rule::finish_spilled`].
    fn finish_spilled(
        &self,
        rest: Box<dyn Any + Send>,
        pull: &(dyn Fn(usize) -> Result<Box<dyn Any + Send>> + Sync),
    ) -> Result<Vec<Draft>>;
    /// Bytes of the entries the state can spill.
    fn part_bytes(&self, state: &(dyn Any + Send)) -> usize;
    /// Takes partition `p`'s entries out of the state, as a state of their own.
    fn take_part(&self, state: &mut (dyn Any + Send), p: usize) -> Box<dyn Any + Send>;
    /// A state from [`DynRule::encode_state`]'s bytes.
    fn decode_state(&self, bytes: &[u8]) -> Result<Box<dyn Any + Send>>;
}

struct Erased<R: Rule> {
    meta: &'static RuleMeta,
    rule: R,
}

impl<R: Rule> DynRule for Erased<R> {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }
    fn new_state(&self) -> Box<dyn Any + Send> {
        Box::new(R::State::default())
    }
    fn payee_numbers(&self) -> bool {
        R::PAYEE_NUMBERS
    }
    fn payee_periods(&self) -> bool {
        R::PAYEE_PERIODS
    }
    fn update(&self, state: &mut (dyn Any + Send), batch: &Batch) {
        if let Some(s) = state.downcast_mut::<R::State>() {
            self.rule.update(s, batch);
        }
    }
    fn merge(&self, into: &mut (dyn Any + Send), from: Box<dyn Any + Send>) {
        if let (Some(a), Ok(b)) = (into.downcast_mut::<R::State>(), from.downcast::<R::State>()) {
            self.rule.merge(a, *b);
        }
    }
    fn period_run(&self, run: &[PeriodEntry]) -> Option<Draft> {
        self.rule.period_run(run)
    }
    fn finish(&self, state: Box<dyn Any + Send>) -> Vec<Draft> {
        state
            .downcast::<R::State>()
            .map(|s| self.rule.finish(*s))
            .unwrap_or_default()
    }
    fn render(&self, draft: &Draft, ev: &Evidence) -> Option<Finding> {
        self.rule.render(draft, ev)
    }
    fn floods(&self) -> Vec<crate::flood::Flood> {
        self.rule.floods()
    }
    fn exhibits(&self) -> crate::exhibit::Exhibits {
        self.rule.exhibits()
    }
    fn encode_state(&self, state: &(dyn Any + Send)) -> Result<Vec<u8>> {
        let s = state
            .downcast_ref::<R::State>()
            .ok_or_else(|| Error::Partial {
                source_name: None,
                message: format!("{}: a state of another rule", self.meta.code),
            })?;
        crate::engine::codec::to_vec(s)
    }
    fn splits(&self) -> bool {
        <R::State as crate::engine::spill::Parts>::SPLITS
    }
    fn finish_spilled(
        &self,
        rest: Box<dyn Any + Send>,
        pull: &(dyn Fn(usize) -> Result<Box<dyn Any + Send>> + Sync),
    ) -> Result<Vec<Draft>> {
        let rest = rest.downcast::<R::State>().map(|b| *b).unwrap_or_default();
        let typed = |p: usize| -> Result<R::State> {
            pull(p)?
                .downcast::<R::State>()
                .map(|b| *b)
                .map_err(|_| Error::Partial {
                    source_name: None,
                    message: format!("{}: a spilled state of another rule", self.meta.code),
                })
        };
        self.rule.finish_spilled(rest, &typed)
    }
    fn part_bytes(&self, state: &(dyn Any + Send)) -> usize {
        state
            .downcast_ref::<R::State>()
            .map_or(0, crate::engine::spill::Parts::part_bytes)
    }
    fn take_part(&self, state: &mut (dyn Any + Send), p: usize) -> Box<dyn Any + Send> {
        Box::new(
            state
                .downcast_mut::<R::State>()
                .map(|s| crate::engine::spill::Parts::take_part(s, p))
                .unwrap_or_default(),
        )
    }
    fn decode_state(&self, bytes: &[u8]) -> Result<Box<dyn Any + Send>> {
        let what = format!("the state of {}", self.meta.code);
        let s: R::State = crate::engine::codec::from_slice(bytes, &what)?;
        Ok(Box::new(s))
    }
}

/// Puts a typed rule behind [`DynRule`].
pub fn erase<R: Rule>(meta: &'static RuleMeta, rule: R) -> Box<dyn DynRule> {
    Box::new(Erased { meta, rule })
}

/// One entry of the registry: the metadata and how to build the rule from its thresholds.
pub struct RuleEntry {
    pub meta: &'static RuleMeta,
    pub build: fn(&Params, &RuleEnv) -> Box<dyn DynRule>,
}

/// Every rule, in code order. One line per rule.
pub fn registry() -> Vec<RuleEntry> {
    vec![
        RuleEntry {
            meta: &amt::entitlement::META,
            build: amt::entitlement::build,
        },
        RuleEntry {
            meta: &amt::split_payment::META,
            build: amt::split_payment::build,
        },
        RuleEntry {
            meta: &amt::round_sum::META,
            build: amt::round_sum::build,
        },
        RuleEntry {
            meta: &amt::officer_concentration::META,
            build: amt::officer_concentration::build,
        },
        RuleEntry {
            meta: &dig::first_two_digits::META,
            build: dig::first_two_digits::build,
        },
        RuleEntry {
            meta: &dig::repeated_amount::META,
            build: dig::repeated_amount::build,
        },
        RuleEntry {
            meta: &dig::relative_size_factor::META,
            build: dig::relative_size_factor::build,
        },
        RuleEntry {
            meta: &dig::last_two_digits::META,
            build: dig::last_two_digits::build,
        },
        RuleEntry {
            meta: &dup::duplicate_payment::META,
            build: dup::duplicate_payment::build,
        },
        RuleEntry {
            meta: &dup::one_payee_many_accounts::META,
            build: dup::one_payee_many_accounts::build,
        },
        RuleEntry {
            meta: &dup::shared_account::META,
            build: dup::shared_account::build,
        },
        RuleEntry {
            meta: &dup::cross_region::META,
            build: dup::cross_region::build,
        },
        RuleEntry {
            meta: &dup::same_person_many_identities::META,
            build: dup::same_person_many_identities::build,
        },
        RuleEntry {
            meta: &gho::invalid_id::META,
            build: gho::invalid_id::build,
        },
        RuleEntry {
            meta: &gho::not_enrolled::META,
            build: gho::not_enrolled::build,
        },
        RuleEntry {
            meta: &gho::paid_after_death::META,
            build: gho::paid_after_death::build,
        },
        RuleEntry {
            meta: &gho::age_ineligible::META,
            build: gho::age_ineligible::build,
        },
        RuleEntry {
            meta: &gho::malformed_account::META,
            build: gho::malformed_account::build,
        },
        RuleEntry {
            meta: &ins::official_payee::META,
            build: ins::official_payee::build,
        },
        RuleEntry {
            meta: &ins::relative_payee::META,
            build: ins::relative_payee::build,
        },
        RuleEntry {
            meta: &ins::official_account::META,
            build: ins::official_account::build,
        },
    ]
}

/// Whether `code` is matched by a `--select`/`--ignore` item (a full code or a prefix such as `DUP`).
fn matches(code: &str, item: &str) -> bool {
    code.starts_with(&item.to_ascii_uppercase())
}

/// The rules `--select` and `--ignore` leave enabled, in code order. Items that match no rule are errors.
pub fn select(select: &[String], ignore: &[String]) -> Result<Vec<RuleEntry>> {
    let all = registry();
    for item in select.iter().chain(ignore) {
        if item.is_empty() || !all.iter().any(|e| matches(e.meta.code, item)) {
            return Err(Error::UnknownRule { code: item.clone() });
        }
    }
    Ok(all
        .into_iter()
        .filter(|e| select.is_empty() || select.iter().any(|s| matches(e.meta.code, s)))
        .filter(|e| !ignore.iter().any(|s| matches(e.meta.code, s)))
        .collect())
}

/// Why a rule cannot run on a ledger, if it cannot: a missing column, or a reference table not given.
pub fn missing_inputs(
    meta: &RuleMeta,
    available: ColSet,
    references: &[Reference],
) -> Option<String> {
    let missing: Vec<&str> = meta
        .columns
        .iter()
        .filter(|c| !available.contains(**c))
        .map(|c| c.name())
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "ledger lacks column{} {}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        ));
    }
    let refs: Vec<&str> = meta
        .references
        .iter()
        .filter(|r| !references.contains(r))
        .map(|r| r.name())
        .collect();
    (!refs.is_empty()).then(|| {
        let flags: Vec<String> = refs.iter().map(|r| format!("--{r}")).collect();
        format!(
            "no {} table given ({})",
            refs.join(" or "),
            flags.join(", ")
        )
    })
}

/// Every rule's `[rules.CODE]` table must name a known code.
pub fn check_rule_tables(tables: &BTreeMap<String, toml::Table>, config_path: &Path) -> Result<()> {
    let all = registry();
    for code in tables.keys() {
        if !all.iter().any(|e| e.meta.code == code) {
            return Err(Error::config(
                config_path,
                format!("rules.{code}"),
                "unknown rule code (see `subsidy-audit rules`)",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let all = registry();
        let mut codes: Vec<&str> = all.iter().map(|e| e.meta.code).collect();
        let mut names: Vec<&str> = all.iter().map(|e| e.meta.name).collect();
        let sorted = codes.clone();
        codes.sort_unstable();
        assert_eq!(codes, sorted, "registry must be in code order");
        codes.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!(codes.len(), all.len(), "duplicate code");
        assert_eq!(names.len(), all.len(), "duplicate name");
        for e in &all {
            let m = e.meta;
            assert!(
                m.code.len() == 6
                    && m.code[..3].bytes().all(|b| b.is_ascii_uppercase())
                    && m.code[3..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                m.code
            );
            assert!(
                m.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                m.name
            );
            for section in [
                "What it flags",
                "Why it matters",
                "Example",
                "False positives",
            ] {
                assert!(m.doc.contains(section), "{} doc lacks `{section}`", m.code);
            }
        }
    }

    #[test]
    fn every_rule_is_in_the_readme_table() {
        let readme = include_str!("../../README.md");
        for e in registry() {
            let row = format!("| {} | `{}` |", e.meta.code, e.meta.name);
            assert!(readme.contains(&row), "README rule table lacks `{row}`");
        }
    }

    #[test]
    fn select_and_ignore_take_codes_and_prefixes() {
        let codes = |s: &[&str], i: &[&str]| -> Vec<&'static str> {
            let s: Vec<String> = s.iter().map(ToString::to_string).collect();
            let i: Vec<String> = i.iter().map(ToString::to_string).collect();
            select(&s, &i)
                .expect("valid")
                .iter()
                .map(|e| e.meta.code)
                .collect()
        };
        assert_eq!(codes(&["DUP001"], &[]), vec!["DUP001"]);
        assert_eq!(
            codes(&["dup"], &["DUP002", "DUP004"]),
            vec!["DUP001", "DUP003", "DUP005"]
        );
        assert!(matches!(
            select(&["XYZ".into()], &[]),
            Err(Error::UnknownRule { .. })
        ));
        assert!(matches!(
            select(&[], &["DUP9".into()]),
            Err(Error::UnknownRule { .. })
        ));
    }

    #[test]
    fn thresholds_are_checked() {
        let meta = &dup::shared_account::META;
        let t: toml::Table = toml::from_str("min_payees = 5").expect("toml");
        assert_eq!(
            Params::resolve(meta, Some(&t), Path::new("c"))
                .expect("ok")
                .int("min_payees"),
            5
        );
        let t: toml::Table = toml::from_str("min_payee = 5").expect("toml");
        let e = Params::resolve(meta, Some(&t), Path::new("c")).expect_err("unknown");
        assert!(e.to_string().contains("rules.DUP003.min_payee"), "{e}");
        let t: toml::Table = toml::from_str("min_payees = \"5\"").expect("toml");
        assert!(Params::resolve(meta, Some(&t), Path::new("c")).is_err());
    }
}
