//! `subsidy-audit digits`: the whole digit table (Nigrini's battery per unit), for auditors who want more than
//! the flags. Reads only `amount`, plus `region` or `officer_id` to group and `scheme`/`status` when present.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::ledger::batch::BatchContext;
use crate::ledger::column::{Col, ColSet};
use crate::ledger::source::Ledger;
use crate::pipeline;
use crate::rules::dig::{Level, Units};
use crate::rules::{erase, Draft, Evidence, Rule, RuleMeta};
use crate::stats::digits::{DigitTest, Gate};
use crate::{layout, ScanOptions};
use serde::Serialize;

/// One line of the digit table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigitRow {
    pub unit: String,
    pub level: &'static str,
    pub test: DigitTest,
    pub n: u64,
    pub mad: f64,
    pub excess_mad: f64,
    pub conformity: String,
    pub chi2: f64,
    pub p_value: f64,
    /// Why the unit is not testable (then the statistics are still shown, for what they are worth).
    pub not_testable: Option<String>,
}

static COLLECT: RuleMeta = RuleMeta {
    code: "DIG000",
    name: "digit-table",
    summary: "",
    doc: "",
    severity: crate::finding::Severity::Low,
    columns: &[Col::Amount],
    optional_columns: &[],
    references: &[],
    params: &[],
};

struct Collect {
    ctx: BatchContext,
    levels: Vec<Level>,
}

impl Rule for Collect {
    type State = Units;
    fn update(&self, st: &mut Units, b: &crate::ledger::batch::Batch) {
        st.update(b, &self.ctx, &self.levels);
    }
    fn merge(&self, into: &mut Units, from: Units) {
        into.merge(from);
    }
    fn finish(&self, _: Units) -> Vec<Draft> {
        Vec::new()
    }
    fn render(&self, _: &Draft, _: &Evidence) -> Option<crate::finding::Finding> {
        None
    }
}

/// The digit table of the ledgers in `opts`, units of `level` (`Level::All`: the whole ledger is one unit), in
/// unit order then test order.
pub fn digit_table(opts: &ScanOptions, level: Level) -> Result<Vec<DigitRow>> {
    opts.validate()?;
    if opts.inputs.is_empty() {
        return Err(Error::Usage("no ledger given".into()));
    }
    let lay = layout(opts);
    let config = Config::load(opts.config.as_deref(), lay.schemes.as_deref())?;
    let ledger = Ledger::open(&lay.ledger, &config)?;
    let need = match level {
        Level::County | Level::Township => Some(Col::Region),
        Level::Officer => Some(Col::OfficerId),
        Level::All => None,
    };
    let mut columns = ColSet::of(&[Col::Amount]);
    for c in need.into_iter().chain([Col::Scheme, Col::Status]) {
        if ledger.available.contains(c) {
            columns = columns.with(c);
        } else if Some(c) == need {
            return Err(Error::Usage(format!(
                "--by {} needs the `{}` column, which the ledger lacks",
                level.as_str(),
                c.name()
            )));
        }
    }
    // the config's filters and region hierarchy apply here as in a scan
    columns = columns.union(config.filters.columns());
    if config.locale.region.from_columns() && columns.contains(Col::Region) {
        for c in [Col::County, Col::Township] {
            if ledger.available.contains(c) {
                columns = columns.with(c);
            }
        }
    }
    let ctx = BatchContext::new(&config.schemes).with_settings(&config.locale, &config.filters);
    let rules = vec![erase(
        &COLLECT,
        Collect {
            ctx: ctx.clone(),
            levels: vec![level],
        },
    )];
    let threads = opts.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))?;
    let state = pool.install(|| {
        pipeline::scan(
            &pipeline::ScanPlan {
                ledger: &ledger,
                rules: &rules,
                columns,
                ctx: &ctx,
                batch_size: opts.batch_size.unwrap_or(config.batch_size),
                max_evidence_rows: usize::MAX,
                rule_flood: crate::config::RuleFlood::default(),
                fingerprint: crate::engine::fingerprint(&rules, columns, &config.hash),
                spill: None,
            },
            &|_| {},
        )
    })?;
    let units = state
        .rules
        .into_iter()
        .next()
        .and_then(|s| s.downcast::<Units>().ok())
        .map(|u| u.into_sorted())
        .unwrap_or_default();
    let gate = Gate::default();
    let mut out = Vec::new();
    for u in units {
        // the gate's text names the default currency; the config's currency replaces it
        let why = u
            .counts
            .not_testable(&gate)
            .map(|w| w.replace(" yuan ", &format!(" {} ", config.locale.currency.as_str())));
        for test in DigitTest::ALL {
            let r = u.counts.test(test);
            out.push(DigitRow {
                unit: u.name.clone(),
                level: u.level.as_str(),
                test,
                n: r.n,
                mad: r.mad,
                excess_mad: r.excess_mad,
                conformity: if why.is_some() {
                    "not_testable".into()
                } else {
                    r.conformity.as_str().into()
                },
                chi2: r.chi2,
                p_value: r.p_value,
                not_testable: why.clone(),
            });
        }
    }
    Ok(out)
}

/// The digit table as text, one line per unit and test.
pub fn render_table(rows: &[DigitRow]) -> String {
    let mut s = format!(
        "{:<20} {:<9} {:>9} {:>9} {:>10} {:<22} {:>11} {:>10}\n",
        "unit", "test", "n", "mad", "excess", "conformity", "chi2", "p_value"
    );
    for r in rows {
        s += &format!(
            "{:<20} {:<9} {:>9} {:>9.6} {:>10.6} {:<22} {:>11.2} {:>10.3e}\n",
            r.unit,
            r.test.as_str(),
            r.n,
            r.mad,
            r.excess_mad,
            r.conformity,
            r.chi2,
            r.p_value
        );
    }
    let mut reasons: Vec<(&str, &str)> = rows
        .iter()
        .filter_map(|r| r.not_testable.as_deref().map(|w| (r.unit.as_str(), w)))
        .collect();
    reasons.dedup();
    for (u, w) in reasons {
        s += &format!("not testable: {u}: {w}\n");
    }
    s
}
