//! subsidy-audit: scan subsidy disbursement ledgers (Parquet) in one parallel pass and refer cases of
//! interception and misappropriation to investigators.
//!
//! ```text
//! files -> Ledger::open (footers, column mapping, type checks)
//!       -> pipeline::scan: row groups in parallel (rayon), projected columns only -> typed Batch
//!            -> every enabled rule's update -> merge
//!       -> pipeline::finish: finish -> drafts -> evidence rows read back -> findings (sorted)
//!       -> case::build_cases: connected components over payees/accounts, scored, ranked
//!       -> report::write_all (temporary names, renamed at the end) -> exit code
//! ```
//!
//! The library never prints; `main.rs` does.

pub mod case;
pub mod config;
pub mod digits;
pub mod engine;
pub mod error;
pub mod evaluate;
pub mod exhibit;
pub mod filter;
pub mod finding;
pub mod flood;
pub mod generate;
pub mod hotspot;
pub mod ident;
pub mod import;
pub mod ledger;
pub mod locale;
pub mod matching;
pub mod money;
pub mod period;
pub mod pipeline;
pub mod profile;
pub mod reference;
pub mod report;
pub mod rule_meta;
pub mod rules;
pub mod scheme;
pub mod stats;
pub mod text;

use crate::case::Case;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::ledger::batch::{BatchContext, RowRef};
use crate::ledger::column::{Col, ColSet};
use crate::ledger::source::{Ledger, LedgerFile};
use crate::report::summary::{DqProblem, InputFile, QualityGate, Skipped, Summary, Timing};
use crate::rules::{DynRule, Params, RuleEnv};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Everything a scan is asked to do.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub inputs: Vec<PathBuf>,
    pub registry: Option<PathBuf>,
    pub deaths: Option<PathBuf>,
    pub officials: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub threads: Option<usize>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Overrides the config's `scan.batch_size`.
    pub batch_size: Option<usize>,
    /// A file holding case ids already reviewed (any earlier `cases.*`, or one id a line).
    pub baseline: Option<PathBuf>,
    /// Overrides the config's `scan.max_problem_share`.
    pub max_problem_share: Option<f64>,
    /// `--memory-limit` in bytes (overrides the config's `scan.memory_limit`; default: half the memory).
    pub memory_limit: Option<u64>,
    /// Where spill files go (`--temp-dir`; the command line's default is the run's temporary folder in
    /// `--out`; the library's is the system's temporary folder). A private folder is made inside it and
    /// removed when the scan ends, by success, error or signal.
    pub temp_dir: Option<PathBuf>,
}

/// The private spill folder of one scan, made when the scan starts (so a bad `--temp-dir` fails at once),
/// owner-only, under a random name that no other run can hold (a folder of that name is never adopted), and
/// removed when dropped and on a signal. It holds a `.lock` locked for as long as the run lives, so a later
/// run removes the folders of runs killed without a chance to clean up (`kill -9`), never a live run's.
struct SpillDir(PathBuf, Option<std::fs::File>);

const SPILL_PREFIX: &str = ".subsidy-audit-spill-";

impl SpillDir {
    fn new(parent: &Path) -> Result<Self> {
        if !parent.is_dir() {
            return Err(Error::Output {
                path: parent.to_path_buf(),
                detail: "the temporary folder (--temp-dir) is not an existing folder".into(),
            });
        }
        report::remove_stale(parent, SPILL_PREFIX);
        let mut last = None;
        for _ in 0..16 {
            let dir = parent.join(format!(
                "{SPILL_PREFIX}{}-{:016x}",
                std::process::id(),
                rand::random::<u64>()
            ));
            let mut b = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            match b.create(&dir) {
                Ok(()) => {
                    report::register_temp(&dir);
                    let lock = report::lock_folder(&dir).map_err(|e| Error::output(&dir, e));
                    return match lock {
                        Ok(f) => Ok(Self(dir, Some(f))),
                        Err(e) => {
                            report::release_temp(&dir);
                            Err(e)
                        }
                    };
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(Error::output(&dir, e)),
            }
        }
        Err(Error::Output {
            path: parent.to_path_buf(),
            detail: format!(
                "no free name for a spill folder: {}",
                last.map_or_else(String::new, |e| e.to_string())
            ),
        })
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        report::release_temp(&self.0);
        drop(self.1.take());
    }
}

/// Exit code of a run whose data-quality gate failed (see [`report::summary::QualityGate`]).
pub const EXIT_QUALITY_GATE: u8 = 3;

/// The most worker threads a run accepts (each is a real OS thread with its own stack).
pub const MAX_THREADS: usize = 1024;
/// The largest batch a run decodes at once, in rows (`--batch-size`, `[scan] batch_size`).
pub const MAX_BATCH_SIZE: usize = 1 << 24;

/// `n` within `lo..=hi`, else a usage error naming the flag and the range (exit code 2).
pub fn check_range(flag: &str, n: usize, lo: usize, hi: usize) -> Result<()> {
    if (lo..=hi).contains(&n) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{flag} must be between {lo} and {hi}, got {n}"
        )))
    }
}

impl ScanOptions {
    /// Checks the sizes a caller chose (threads, batch size) before anything runs.
    pub fn validate(&self) -> Result<()> {
        if let Some(t) = self.threads {
            check_range("--threads", t, 1, MAX_THREADS)?;
        }
        if let Some(b) = self.batch_size {
            check_range("--batch-size", b, 1, MAX_BATCH_SIZE)?;
        }
        if let Some(m) = self.max_problem_share {
            if !(m.is_finite() && (0.0..=1.0).contains(&m)) {
                return Err(Error::Usage(format!(
                    "--max-problem-share must be between 0 and 1, got {m}"
                )));
            }
        }
        Ok(())
    }
}

/// What a scan found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub cases: Vec<Case>,
    /// The region roll-up, every region of every level ([`hotspot::roll_up`]; `summary.hotspots` holds the
    /// first of each level). Empty when the scan read no region or no payee id.
    pub hotspots: Vec<hotspot::Hotspot>,
    /// The evidence rows the findings cite (their `txn_ids`), in row order: what the workbook and the page
    /// show of each finding.
    pub evidence: Vec<finding::EvidenceRow>,
    /// What the rules measured besides their findings: digit curves, round-sum shares.
    pub exhibits: exhibit::Exhibits,
}

impl Outcome {
    /// 0 when nothing is referred, 1 when a case is referred, 3 when the data-quality gate failed (no row
    /// scanned, or too many rows with problems): 3 wins over 1. Errors (2) never reach an outcome.
    pub fn exit_code(&self) -> u8 {
        if self.summary.quality_gate.passed {
            u8::from(self.summary.referrals > 0)
        } else {
            EXIT_QUALITY_GATE
        }
    }
}

/// The inputs after recognising a generated folder (`ledger/`, `registry.parquet`, `deaths.parquet`,
/// `officials.parquet`, `schemes.toml`): its reference tables and scheme rules are used unless given.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub ledger: Vec<PathBuf>,
    pub registry: Option<PathBuf>,
    pub deaths: Option<PathBuf>,
    pub officials: Option<PathBuf>,
    pub schemes: Option<PathBuf>,
}

impl Layout {
    /// The reference tables this run has.
    pub fn references(&self) -> Vec<reference::Reference> {
        let mut r = Vec::new();
        for (p, k) in [
            (&self.registry, reference::Reference::Registry),
            (&self.deaths, reference::Reference::Deaths),
            (&self.officials, reference::Reference::Officials),
        ] {
            if p.is_some() {
                r.push(k);
            }
        }
        r
    }
}

pub fn layout(opts: &ScanOptions) -> Layout {
    let mut l = Layout {
        ledger: opts.inputs.clone(),
        ..Layout::default()
    };
    if let [dir] = opts.inputs.as_slice() {
        if dir.join("ledger").is_dir() {
            let some = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
            l.ledger = vec![dir.join("ledger")];
            l.registry = some("registry.parquet");
            l.deaths = some("deaths.parquet");
            l.officials = some("officials.parquet");
            l.schemes = some("schemes.toml");
        } else if dir.join("schemes.toml").is_file() {
            l.schemes = Some(dir.join("schemes.toml"));
        }
    }
    l.registry = opts.registry.clone().or(l.registry);
    l.deaths = opts.deaths.clone().or(l.deaths);
    l.officials = opts.officials.clone().or(l.officials);
    l
}

/// The rules a scan will run and the ones it skips (with why), after config and column checks.
pub struct Plan {
    pub config: Config,
    pub ledger: Ledger,
    pub layout: Layout,
    pub rules: Vec<Box<dyn DynRule>>,
    pub skipped: Vec<Skipped>,
    pub columns: ColSet,
    /// The reference tables the enabled rules need, loaded.
    pub references: reference::References,
}

impl Plan {
    /// The batch context of the plan's config (schemes, locale, filters).
    pub fn batch_context(&self) -> BatchContext {
        batch_context(&self.config)
    }

    /// What the pipeline and the engine take from the plan; `ctx` from [`Plan::batch_context`].
    pub fn scan_plan<'a>(
        &'a self,
        ctx: &'a BatchContext,
        spill: Option<pipeline::SpillPlan>,
    ) -> pipeline::ScanPlan<'a> {
        pipeline::ScanPlan {
            ledger: &self.ledger,
            rules: &self.rules,
            columns: self.columns,
            ctx,
            batch_size: self.config.batch_size,
            max_evidence_rows: self.config.max_evidence_rows,
            rule_flood: self.config.rule_flood,
            fingerprint: engine::fingerprint(&self.rules, self.columns, &self.config.hash),
            spill,
        }
    }
}

/// The batch context of a run: the scheme rules, and how payee ids are keyed (GB 11643 canonical ids by
/// default, `[locale] id_scheme = "none"`: as written), the locale and the `[[exclude]]` filters.
fn batch_context(config: &Config) -> BatchContext {
    BatchContext::new(&config.schemes).with_settings(&config.locale, &config.filters)
}

/// Reads config and ledger footers, decides which rules run and loads the reference tables they need:
/// everything short of reading the ledger's data.
pub fn plan(opts: &ScanOptions) -> Result<Plan> {
    plan_with(opts, true)
}

/// [`plan`] without loading the reference tables (`check`, `check --profile`).
pub fn plan_without_references(opts: &ScanOptions) -> Result<Plan> {
    plan_with(opts, false)
}

fn plan_with(opts: &ScanOptions, load_references: bool) -> Result<Plan> {
    opts.validate()?;
    if opts.inputs.is_empty() {
        return Err(Error::Usage("no ledger given".into()));
    }
    let layout = layout(opts);
    let mut layout = layout;
    let mut config = Config::load(opts.config.as_deref(), layout.schemes.as_deref())?;
    // a reference table's path: the flag, else the config's `[X] path`, else the generated folder's file
    for (flag, cfg, at) in [
        (&opts.registry, &config.registry.path, &mut layout.registry),
        (&opts.deaths, &config.deaths.path, &mut layout.deaths),
        (
            &opts.officials,
            &config.officials.path,
            &mut layout.officials,
        ),
    ] {
        if flag.is_none() {
            if let Some(p) = cfg {
                *at = Some(p.clone());
            }
        }
    }
    if let Some(b) = opts.batch_size {
        config.batch_size = b;
    }
    let config_path = config
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from("<no config>"));
    rules::check_rule_tables(&config.rules, &config_path)?;
    for e in rules::registry() {
        Params::resolve(e.meta, config.rules.get(e.meta.code), &config_path)?;
    }
    let selected = rules::select(&opts.select, &opts.ignore)?;
    for (name, p) in [
        ("registry", &layout.registry),
        ("deaths", &layout.deaths),
        ("officials", &layout.officials),
    ] {
        if let Some(p) = p {
            if !p.exists() {
                return Err(Error::Reference {
                    table: name.into(),
                    path: p.clone(),
                    message: "no such file".into(),
                });
            }
        }
    }
    let ledger = Ledger::open(&layout.ledger, &config)?;
    if !ledger.available.contains(Col::Amount) {
        let f = &ledger.files[0];
        return Err(Error::MissingColumn {
            path: f.path.clone(),
            column: config.column_name(Col::Amount).to_string(),
            canonical: "amount".into(),
            found: f
                .meta
                .schema()
                .fields()
                .iter()
                .map(|x| x.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    for (k, f) in config.filters.0.iter().enumerate() {
        if !ledger.available.contains(f.column) {
            return Err(Error::config(
                &config_path,
                format!("exclude[{}].column", k + 1),
                format!(
                    "the ledger has no column `{}` (mapped from `{}`) to filter on",
                    config.column_name(f.column),
                    f.column
                ),
            ));
        }
    }
    let mut runnable = Vec::new();
    let mut skipped = Vec::new();
    for e in selected {
        let reason =
            rules::missing_inputs(e.meta, ledger.available, &layout.references()).or_else(|| {
                let params =
                    Params::resolve(e.meta, config.rules.get(e.meta.code), &config_path).ok()?;
                locale_skip(e.meta.code, &config.locale, &params, ledger.available)
            });
        if let Some(reason) = reason {
            skipped.push(Skipped {
                code: e.meta.code.into(),
                reason,
            });
        } else {
            runnable.push(e);
        }
    }
    let mut needed: Vec<reference::Reference> = runnable
        .iter()
        .flat_map(|e| e.meta.references.iter().copied())
        .collect();
    needed.sort_unstable();
    needed.dedup();
    let references = if load_references {
        reference::load(
            &needed,
            layout.registry.as_deref(),
            layout.deaths.as_deref(),
            layout.officials.as_deref(),
            &config,
            batch_context(&config).id_scheme,
        )?
    } else {
        reference::References::default()
    };
    let env = RuleEnv {
        batch: batch_context(&config),
        registry: references.registry.clone(),
        deaths: references.deaths.clone(),
        officials: references.officials.clone(),
    };
    let mut rules = Vec::new();
    let mut columns = ColSet::of(&[Col::Amount]).union(config.filters.columns());
    for e in runnable {
        let params = Params::resolve(e.meta, config.rules.get(e.meta.code), &config_path)?;
        columns = columns.union(ColSet::of(e.meta.columns));
        for c in e.meta.optional_columns {
            if ledger.available.contains(*c) {
                columns = columns.with(*c);
            }
        }
        rules.push((e.build)(&params, &env));
    }
    // county and township columns named by `[locale.region]` are read wherever the region is
    if config.locale.region.from_columns() && columns.contains(Col::Region) {
        for c in [Col::County, Col::Township] {
            if ledger.available.contains(c) {
                columns = columns.with(c);
            }
        }
    }
    // without resident ids, ages come from the birth_date column (AMT001's age bands, GHO004, DUP005)
    if config.locale.id_scheme == locale::IdScheme::None
        && ledger.available.contains(Col::BirthDate)
    {
        columns = columns.with(Col::BirthDate);
    }
    Ok(Plan {
        config,
        ledger,
        layout,
        rules,
        skipped,
        columns,
        references,
    })
}

/// Why the `[locale]` settings skip a rule, if they do: GHO001 without resident ids; the county and township
/// digit tests without a region hierarchy (when no officer level is left to test).
fn locale_skip(
    code: &str,
    locale: &locale::Locale,
    params: &Params,
    available: ColSet,
) -> Option<String> {
    if code == "GHO001" && locale.id_scheme == locale::IdScheme::None {
        return Some(
            "payee ids are not resident identity numbers ([locale] id_scheme = \"none\")".into(),
        );
    }
    if matches!(code, "DIG001" | "DIG002" | "DIG004") {
        let levels = rules::dig::levels_of(params, &locale.region);
        let officer = levels.contains(&rules::dig::Level::Officer);
        let only_officer = levels.iter().all(|l| *l == rules::dig::Level::Officer);
        if levels.is_empty() || (only_officer && !available.contains(Col::OfficerId)) {
            return Some(if officer || locale.region.has_counties() {
                "no unit to test: no region level and no officer_id column ([locale] region)".into()
            } else {
                "no unit to test: the region hierarchy is none ([locale] region) and by_officer is off".into()
            });
        }
    }
    None
}

/// Runs a scan: plan, one parallel pass, findings, cases, summary. Writes nothing.
pub fn scan(opts: &ScanOptions, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Outcome> {
    scan_with(opts, &|sp: &pipeline::ScanPlan<'_>| {
        let total = sp.ledger.total_rows();
        pipeline::scan(sp, &|done| progress(done, total))
    })
}

/// [`scan`] with another driver of the engine: `drive` makes the merged [`engine::Partial`] of every row of
/// the plan's ledger (the local scan reads row groups on the thread pool; a test or another driver may feed
/// Arrow record batches, ship partials as bytes and merge them in any order). Everything after (floods,
/// finish, evidence, cases, summary) is the same.
pub fn scan_with(
    opts: &ScanOptions,
    drive: &(dyn Fn(&pipeline::ScanPlan<'_>) -> Result<engine::Partial> + Sync),
) -> Result<Outcome> {
    let start = Instant::now();
    opts.validate()?;
    let threads = opts.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))?;
    let n_threads = pool.current_num_threads();
    pool.install(|| {
        let mut phases = pipeline::Phases::default();
        let t = Instant::now();
        let plan = plan(opts)?;
        phases.add("plan".into(), t);
        let baseline = read_baseline(opts.baseline.as_deref())?;
        let ctx = batch_context(&plan.config);
        let memory_limit = opts
            .memory_limit
            .or(plan.config.memory_limit)
            .unwrap_or_else(engine::spill::default_limit);
        let spill_dir = SpillDir::new(&opts.temp_dir.clone().unwrap_or_else(std::env::temp_dir))?;
        let sp = plan.scan_plan(
            &ctx,
            Some(pipeline::SpillPlan {
                limit: memory_limit,
                dir: spill_dir.0.clone(),
            }),
        );
        let t = Instant::now();
        let (state, hashes) = rayon::join(|| drive(&sp), || file_hashes(&plan.ledger.files));
        let mut state = state?;
        let hashes = hashes?;
        let n_files = plan.ledger.files.len();
        if state.files.len() > n_files {
            return Err(Error::Partial {
                source_name: None,
                message: format!(
                    "holds rows of source {}, the ledger has {n_files} file(s)",
                    state.files.len() - 1
                ),
            });
        }
        state
            .files
            .resize(n_files, ledger::batch::DqStats::default());
        phases.add("scan".into(), t);
        let dq = state.files.clone();
        let mut excluded_by = vec![0u64; plan.config.filters.0.len()];
        let mut region_outside = 0;
        for d in &dq {
            for (a, b) in excluded_by.iter_mut().zip(&d.excluded_by) {
                *a += b;
            }
            region_outside += d.region_outside_hierarchy;
        }
        let t = Instant::now();
        let sketch = std::mem::take(&mut state.floods);
        let mut floods =
            flood::column_floods(&sp, sketch, dq.iter().map(|d| d.rows_scanned).sum())?;
        phases.add("floods".into(), t);
        let tally = state.regions.take();
        let mut exhibits = exhibit::Exhibits::default();
        let pipeline::Finished {
            mut findings,
            dropped,
            floods: rule_placeholders,
            evidence,
        } = pipeline::finish_keeping(&sp, state, &sp, &mut phases)?;
        for r in &plan.rules {
            exhibits.extend(r.exhibits());
        }
        exhibits.sort();
        // a placeholder a rule found that is also a column's flood: its filter is shown once, with the column's
        for mut f in rule_placeholders {
            if floods
                .iter()
                .any(|c| c.kind == "column" && c.column == f.column && c.value == f.value)
            {
                f.exclude = None;
            }
            floods.push(f);
        }
        // a rule whose findings were withheld already has its flood
        let cited = flood::rule_floods(&findings, dq.iter().map(|d| d.rows_scanned).sum());
        let withheld: Vec<Option<String>> = floods
            .iter()
            .filter(|f| f.kind == "rule")
            .map(|f| f.rule.clone())
            .collect();
        floods.extend(cited.into_iter().filter(|f| !withheld.contains(&f.rule)));
        let t = Instant::now();
        let cases = case::build_cases(&mut findings, plan.config.referral_threshold, &baseline);
        phases.add("cases".into(), t);
        let t = Instant::now();
        let hotspots = tally.map_or_else(Vec::new, |tally| {
            hotspot::roll_up(tally, &findings, &cases, &evidence)
        });
        let mut cited: Vec<RowRef> = findings
            .iter()
            .flat_map(|f| f.cited.iter().copied())
            .collect();
        cited.par_sort_unstable();
        cited.dedup();
        let cited: Vec<finding::EvidenceRow> = cited
            .iter()
            .filter_map(|r| evidence.get(r).cloned())
            .collect();
        phases.add("hotspots".into(), t);
        let t = Instant::now();
        drop(evidence);
        phases.add("release evidence".into(), t);
        let inputs: Vec<InputFile> = plan
            .ledger
            .files
            .iter()
            .zip(dq)
            .zip(hashes)
            .map(|((f, d), sha)| InputFile {
                path: f.path.display().to_string(),
                size: f.size,
                sha256: sha,
                row_groups: f.num_row_groups(),
                rows_read: d.rows_read,
                rows_scanned: d.rows_scanned,
                rows_with_problems: d.rows_with_problems,
                rows_excluded: d.rows_excluded,
                rows_undated: d.rows_undated,
                rows_zero_amount: d.rows_zero_amount,
                rows_negative_amount: d.rows_negative_amount,
                problems: d
                    .problems
                    .into_iter()
                    .map(|((column, problem), (rows, sample_rows))| DqProblem {
                        column,
                        problem,
                        rows,
                        sample_rows,
                    })
                    .collect(),
            })
            .collect();
        let mut per_rule: BTreeMap<String, usize> = plan
            .rules
            .iter()
            .map(|r| (r.meta().code.to_string(), 0))
            .collect();
        for f in &findings {
            *per_rule.entry(f.rule.to_string()).or_default() += 1;
        }
        let rows_read: u64 = inputs.iter().map(|i| i.rows_read).sum();
        let rows_scanned: u64 = inputs.iter().map(|i| i.rows_scanned).sum();
        let rows_with_problems: u64 = inputs.iter().map(|i| i.rows_with_problems).sum();
        let wall = start.elapsed().as_secs_f64();
        let reference_tables = plan.references.info.clone();
        let summary = Summary {
            version: env!("CARGO_PKG_VERSION"),
            config_hash: plan.config.hash.clone(),
            rows_read,
            rows_scanned,
            rows_with_problems,
            rows_excluded: inputs.iter().map(|i| i.rows_excluded).sum(),
            filters: plan.config.filters.counts(&excluded_by),
            currency: plan.config.locale.currency.as_str().to_string(),
            region_codes_outside_hierarchy: region_outside,
            rows_undated: inputs.iter().map(|i| i.rows_undated).sum(),
            rows_zero_amount: inputs.iter().map(|i| i.rows_zero_amount).sum(),
            rows_negative_amount: inputs.iter().map(|i| i.rows_negative_amount).sum(),
            inputs,
            reference_tables,
            rules_run: plan
                .rules
                .iter()
                .map(|r| r.meta().code.to_string())
                .collect(),
            rules_skipped: plan.skipped.clone(),
            findings_per_rule: per_rule,
            findings: findings.len(),
            cases: cases.len(),
            referrals: cases.iter().filter(|c| c.referral).count(),
            reviewed_in_baseline: cases.iter().filter(|c| c.reviewed).count(),
            amount_at_risk_fen: cases.iter().map(|c| c.amount_at_risk_fen).sum(),
            referred_amount_at_risk_fen: cases
                .iter()
                .filter(|c| c.referral)
                .map(|c| c.amount_at_risk_fen)
                .sum(),
            key_collisions_dropped: dropped,
            quality_gate: QualityGate::judge(
                rows_scanned,
                rows_with_problems,
                opts.max_problem_share
                    .unwrap_or(plan.config.max_problem_share),
            ),
            floods,
            hotspots: hotspot::top(&hotspots, hotspot::TOP),
            timing: Timing {
                threads: n_threads,
                reference_load_seconds: plan.references.load_seconds.clone(),
                wall_seconds: (wall * 1000.0).round() / 1000.0,
                rows_per_second: if wall > 0.0 {
                    (rows_read as f64 / wall).round()
                } else {
                    0.0
                },
                phases: phases.0,
                memory_limit_bytes: memory_limit,
                spill_files: phases.1,
            },
        };
        Ok(Outcome {
            summary,
            findings,
            cases,
            hotspots,
            evidence: cited,
            exhibits,
        })
    })
}

/// SHA-256 of every input file, in parallel.
fn file_hashes(files: &[LedgerFile]) -> Result<Vec<String>> {
    files
        .par_iter()
        .map(|f| {
            let mut h = Sha256::new();
            let mut file = std::fs::File::open(&f.path).map_err(|e| Error::io(&f.path, e))?;
            std::io::copy(&mut file, &mut h).map_err(|e| Error::io(&f.path, e))?;
            Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
        })
        .collect()
}

/// Case ids found anywhere in the baseline file (`C` + 16 hex digits), so an earlier `cases.csv`,
/// `cases.jsonl` or a hand-kept list all work. A file that is not empty but holds no case id (a
/// `summary.json` given by mistake) is an error naming it, never an empty baseline.
pub fn read_baseline(path: Option<&Path>) -> Result<BTreeSet<String>> {
    let Some(p) = path else {
        return Ok(BTreeSet::new());
    };
    let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
    let b = text.as_bytes();
    let mut ids = BTreeSet::new();
    let mut i = 0;
    while i + 17 <= b.len() {
        let is_start = b[i] == b'C' && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        let is_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
        if is_start
            && b[i + 1..i + 17].iter().all(|c| is_hex(*c))
            && b.get(i + 17).is_none_or(|c| !c.is_ascii_alphanumeric())
        {
            ids.insert(text[i..i + 17].to_string());
            i += 17;
        } else {
            i += 1;
        }
    }
    // a cases.csv of a run that found nothing is its header alone: an empty baseline, rightly
    let header_only = text
        .trim_start_matches('\u{feff}')
        .starts_with("rank,case_id,");
    if ids.is_empty() && !text.trim().is_empty() && !header_only {
        return Err(Error::Usage(format!(
            "{}: the baseline holds no case id (C followed by 16 hex digits); give an earlier \
             cases.csv or cases.jsonl, or case ids one a line",
            p.display()
        )));
    }
    Ok(ids)
}

/// One line per canonical column for `subsidy-audit check`: how it maps, its types, and per rule whether it
/// can run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    pub files: usize,
    pub rows: u64,
    pub row_groups: usize,
    pub columns: Vec<CheckColumn>,
    /// The `[locale]` settings in force.
    pub locale: CheckLocale,
    /// The `[[exclude]]` filters, by name.
    pub filters: Vec<String>,
    pub rules: Vec<CheckRule>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckLocale {
    pub currency: String,
    pub id_scheme: &'static str,
    pub region: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckColumn {
    pub canonical: &'static str,
    pub mapped_to: String,
    pub present: bool,
    pub types: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckRule {
    pub code: &'static str,
    pub name: &'static str,
    pub runs: bool,
    pub reason: Option<String>,
}

/// Schema check only: column mapping, types, which rules can run and why not.
pub fn check(opts: &ScanOptions) -> Result<CheckReport> {
    let mut o = opts.clone();
    o.select.clear();
    o.ignore.clear();
    let plan = plan_with(&o, false)?;
    let columns = Col::ALL
        .iter()
        .map(|&c| {
            let mut types: Vec<String> = plan
                .ledger
                .files
                .iter()
                .filter_map(|f| match f.source(c) {
                    Some(ledger::source::Source::Column(_, dt)) => Some(dt.to_string()),
                    Some(ledger::source::Source::Constant(_)) => Some("hive partition".into()),
                    None => None,
                })
                .collect();
            types.sort();
            types.dedup();
            CheckColumn {
                canonical: c.name(),
                mapped_to: plan.config.column_name(c).to_string(),
                present: plan.ledger.available.contains(c),
                types,
            }
        })
        .collect();
    let rules = rules::registry()
        .iter()
        .map(|e| {
            let reason = plan
                .skipped
                .iter()
                .find(|s| s.code == e.meta.code)
                .map(|s| s.reason.clone());
            CheckRule {
                code: e.meta.code,
                name: e.meta.name,
                runs: reason.is_none(),
                reason,
            }
        })
        .collect();
    Ok(CheckReport {
        files: plan.ledger.files.len(),
        rows: plan.ledger.total_rows(),
        row_groups: plan
            .ledger
            .files
            .iter()
            .map(LedgerFile::num_row_groups)
            .sum(),
        columns,
        locale: CheckLocale {
            currency: plan.config.locale.currency.as_str().to_string(),
            id_scheme: plan.config.locale.id_scheme.as_str(),
            region: plan.config.locale.region.describe(),
        },
        filters: plan
            .config
            .filters
            .0
            .iter()
            .map(|f| format!("{} ({})", f.name, f.column))
            .collect(),
        rules,
    })
}
