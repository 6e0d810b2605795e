//! `subsidy-audit check --profile`: what the ledger's columns hold, before anyone scans. One parallel pass
//! (row groups with rayon, the projected reader) over every column the ledger has, after the config's
//! `[[exclude]]` filters: per column the null share, the distinct count (exact, over 64-bit hashes), the top
//! values with their shares, the ranges of amounts and dates, and the shapes of region codes. Warnings name
//! placeholders (one value holding an implausible share of a key column) with the filter that drops them.
//!
//! Every figure is an exact count merged by addition, so the report is the same whatever the thread count.

use crate::error::{Error, Result};
use crate::filter::{suggestion, FilterCount, KEPT};
use crate::ledger::batch::{hash_text, is_blank, Batch, BatchContext, NO_DATE, NO_QUANTITY};
use crate::ledger::column::{Col, ColSet, Kind};
use crate::ledger::decode::{fmt_date, Problem};
use crate::ledger::reader::{read_row_group, units};
use crate::locale::RegionScheme;
use crate::money::fmt_yuan;
use crate::period::Period;
use crate::ScanOptions;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Top values listed per column.
pub const TOP: usize = 5;
/// Key columns: one value should never hold much of them.
pub const KEY_COLUMNS: &[Col] = &[
    Col::TxnId,
    Col::PayeeId,
    Col::PayeeName,
    Col::Account,
    Col::HouseholdId,
    Col::Phone,
];
/// A key column's value is reported as a placeholder from this share of the column's non-null rows...
pub const PLACEHOLDER_SHARE: f64 = 0.10;
/// ... and this many rows.
pub const PLACEHOLDER_ROWS: u64 = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProfileReport {
    pub files: usize,
    pub rows_read: u64,
    /// Rows the `[[exclude]]` filters drop; the columns describe the other rows.
    pub rows_excluded: u64,
    pub rows_profiled: u64,
    pub filters: Vec<FilterCount>,
    pub currency: String,
    pub region_hierarchy: String,
    pub columns: Vec<ColumnProfile>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ColumnProfile {
    pub column: &'static str,
    pub mapped_to: String,
    /// Null or blank values.
    pub nulls: u64,
    pub null_share: f64,
    /// Values that cannot be read as the column's kind.
    pub unreadable: u64,
    /// Distinct non-null values (exact over 64-bit hashes of the trimmed text or the decoded value).
    pub distinct: u64,
    /// The most frequent values, most frequent first (ties by value); shares of the rows profiled. Empty when
    /// every value is distinct.
    pub top: Vec<ValueShare>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
    /// Region codes: length and character-class patterns (`12 digits`, `AAAAA`: `A` a letter, `9` a digit).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shapes: Vec<ValueShare>,
    /// Region codes: rows whose code fits no level of the `[locale] region` hierarchy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_hierarchy: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ValueShare {
    pub value: String,
    pub rows: u64,
    pub share: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Range {
    pub min: String,
    pub max: String,
    /// Amounts: rows of exactly zero and below zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zero: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative: Option<u64>,
}

/// One column's counts.
#[derive(Debug, Default)]
struct Acc {
    nulls: u64,
    unreadable: u64,
    values: HashMap<u64, (u64, Box<str>)>,
    min: Option<i64>,
    max: Option<i64>,
    zero: u64,
    negative: u64,
}

impl Acc {
    fn add(&mut self, key: u64, show: impl FnOnce() -> String) {
        self.values
            .entry(key)
            .or_insert_with(|| (0, show().into_boxed_str()))
            .0 += 1;
    }
    fn number(&mut self, v: i64) {
        self.min = Some(self.min.map_or(v, |m| m.min(v)));
        self.max = Some(self.max.map_or(v, |m| m.max(v)));
    }
    fn merge(&mut self, o: Acc) {
        self.nulls += o.nulls;
        self.unreadable += o.unreadable;
        self.zero += o.zero;
        self.negative += o.negative;
        for v in [o.min, o.max].into_iter().flatten() {
            self.number(v);
        }
        if self.values.len() < o.values.len() {
            let mine = std::mem::replace(&mut self.values, o.values);
            for (k, (n, t)) in mine {
                self.values.entry(k).or_insert((0, t)).0 += n;
            }
        } else {
            for (k, (n, t)) in o.values {
                self.values.entry(k).or_insert((0, t)).0 += n;
            }
        }
    }
}

#[derive(Debug, Default)]
struct State {
    rows_read: u64,
    rows_excluded: u64,
    excluded_by: Vec<u64>,
    cols: BTreeMap<Col, Acc>,
}

impl State {
    fn merge(mut self, o: State) -> State {
        self.rows_read += o.rows_read;
        self.rows_excluded += o.rows_excluded;
        if self.excluded_by.len() < o.excluded_by.len() {
            self.excluded_by.resize(o.excluded_by.len(), 0);
        }
        for (a, b) in self.excluded_by.iter_mut().zip(o.excluded_by) {
            *a += b;
        }
        for (c, a) in o.cols {
            self.cols.entry(c).or_default().merge(a);
        }
        self
    }

    fn add(&mut self, b: &Batch, cols: ColSet) {
        self.rows_read += b.len() as u64;
        self.rows_excluded += b.dq.rows_excluded;
        if self.excluded_by.len() < b.dq.excluded_by.len() {
            self.excluded_by.resize(b.dq.excluded_by.len(), 0);
        }
        for (a, x) in self.excluded_by.iter_mut().zip(&b.dq.excluded_by) {
            *a += x;
        }
        let kept = |i: usize| b.excluded.get(i).is_none_or(|k| *k == KEPT);
        for col in cols.iter() {
            let acc = self.cols.entry(col).or_default();
            // (row -> problem) for this column
            let mut bad: HashMap<usize, Problem> = HashMap::new();
            for (i, c, p) in &b.problem_cells {
                if *c == col {
                    bad.insert(*i, *p);
                }
            }
            for i in (0..b.len()).filter(|&i| kept(i)) {
                match bad.get(&i) {
                    Some(Problem::Null) => {
                        acc.nulls += 1;
                        continue;
                    }
                    Some(Problem::Unparsable) => {
                        acc.unreadable += 1;
                        continue;
                    }
                    None => {}
                }
                match col {
                    Col::Amount => {
                        let v = b.amount_fen[i];
                        acc.number(v);
                        acc.zero += u64::from(v == 0);
                        acc.negative += u64::from(v < 0);
                        acc.add(v as u64, || fmt_yuan(v));
                    }
                    Col::Quantity => match b.quantity_e4.get(i).copied() {
                        Some(NO_QUANTITY) | None => acc.nulls += 1,
                        Some(q) => {
                            acc.number(q);
                            acc.add(q as u64, || fmt_e4(q));
                        }
                    },
                    Col::PayDate | Col::BirthDate => {
                        let d = if col == Col::PayDate {
                            b.pay_date.get(i).copied()
                        } else {
                            b.birth_date.get(i).copied()
                        };
                        match d {
                            Some(NO_DATE) | None => acc.nulls += 1,
                            Some(d) => {
                                acc.number(i64::from(d));
                                acc.add(u64::from(d as u32), || fmt_date(d));
                            }
                        }
                    }
                    Col::Period => {
                        let c = b.period[i];
                        acc.number(i64::from(c));
                        acc.add(u64::from(c), || {
                            Period::from_code(c).map_or_else(|| c.to_string(), |p| p.to_string())
                        });
                    }
                    _ => match b.text(col, i) {
                        Some(s) if !is_blank(s) => {
                            let t = s.trim();
                            acc.add(hash_text(t), || t.to_string());
                        }
                        _ => acc.nulls += 1,
                    },
                }
            }
        }
    }
}

/// Profiles the ledger of `opts` (config, filters and locale included).
pub fn profile(opts: &ScanOptions) -> Result<ProfileReport> {
    let threads = opts.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))?;
    pool.install(|| profile_in_pool(opts))
}

fn profile_in_pool(opts: &ScanOptions) -> Result<ProfileReport> {
    let mut o = opts.clone();
    o.select.clear();
    o.ignore.clear();
    let plan = crate::plan_without_references(&o)?;
    let cfg = &plan.config;
    let ctx = BatchContext::new(&cfg.schemes).with_settings(&cfg.locale, &cfg.filters);
    let cols = plan.ledger.available;
    let files = &plan.ledger.files;
    let units = units(files);
    let state = units
        .par_iter()
        .try_fold(State::default, |mut st, u| {
            read_row_group(
                &files[u.file as usize],
                u.file,
                u.row_group,
                cols,
                &ctx,
                cfg.batch_size,
                None,
                |b| st.add(&b, cols),
            )?;
            Ok::<_, Error>(st)
        })
        .try_reduce(State::default, |a, b| Ok(a.merge(b)))?;
    let profiled = state.rows_read - state.rows_excluded;
    let share = |n: u64| {
        if profiled == 0 {
            0.0
        } else {
            (n as f64 / profiled as f64 * 10_000.0).round() / 10_000.0
        }
    };
    let mut warnings = Vec::new();
    let mut columns = Vec::new();
    for (col, acc) in state.cols {
        let mut top: Vec<(&u64, &(u64, Box<str>))> = acc.values.iter().collect();
        top.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.1 .1.cmp(&b.1 .1)));
        let non_null = profiled - acc.nulls - acc.unreadable;
        if KEY_COLUMNS.contains(&col) {
            if let Some((_, (n, v))) = top.first() {
                if *n >= PLACEHOLDER_ROWS && (*n as f64) >= PLACEHOLDER_SHARE * non_null as f64 {
                    warnings.push(format!(
                        "{col}: the value \"{v}\" holds {:.1}% of the rows ({n} of {profiled}): a placeholder, not a {col}; to leave it out: {}",
                        *n as f64 * 100.0 / profiled.max(1) as f64,
                        suggestion(col, v)
                    ));
                }
            }
        }
        let range = match col.kind() {
            Kind::Number | Kind::Date | Kind::Period => acc.min.zip(acc.max).map(|(lo, hi)| {
                let show = |v: i64| match col {
                    Col::Amount => fmt_yuan(v),
                    Col::Quantity => fmt_e4(v),
                    Col::Period => u32::try_from(v)
                        .ok()
                        .and_then(Period::from_code)
                        .map_or_else(|| v.to_string(), |p| p.to_string()),
                    _ => fmt_date(v as i32),
                };
                Range {
                    min: show(lo),
                    max: show(hi),
                    zero: (col == Col::Amount).then_some(acc.zero),
                    negative: (col == Col::Amount).then_some(acc.negative),
                }
            }),
            _ => None,
        };
        if col == Col::Amount && acc.zero > 0 {
            warnings.push(format!(
                "amount: {} rows ({:.1}%) pay 0.00; to leave them out: [[exclude]] column = \"amount\" zero = true",
                acc.zero,
                acc.zero as f64 * 100.0 / profiled.max(1) as f64
            ));
        }
        let (shapes, outside) = if col == Col::Region {
            let (s, out) = shapes(&acc.values, &cfg.locale.region);
            let shapes: Vec<ValueShare> = s
                .into_iter()
                .map(|(value, rows)| ValueShare {
                    value,
                    rows,
                    share: share(rows),
                })
                .collect();
            if out > 0 {
                warnings.push(format!(
                    "region: {out} rows ({:.1}%) have codes outside the region hierarchy ({}): left out of county and township units; set [locale] region (levels = [county, township] prefix lengths, or \"none\")",
                    out as f64 * 100.0 / profiled.max(1) as f64,
                    cfg.locale.region.describe()
                ));
            }
            (
                shapes,
                (cfg.locale.region != RegionScheme::None).then_some(out),
            )
        } else {
            (Vec::new(), None)
        };
        columns.push(ColumnProfile {
            column: col.name(),
            mapped_to: cfg.column_name(col).to_string(),
            nulls: acc.nulls,
            null_share: share(acc.nulls),
            unreadable: acc.unreadable,
            distinct: acc.values.len() as u64,
            // a column whose values are all distinct lists no top values
            top: top
                .iter()
                .take(if top.first().is_some_and(|(_, (n, _))| *n > 1) {
                    TOP
                } else {
                    0
                })
                .map(|(_, (n, v))| ValueShare {
                    value: v.to_string(),
                    rows: *n,
                    share: share(*n),
                })
                .collect(),
            range,
            shapes,
            outside_hierarchy: outside,
        });
    }
    Ok(ProfileReport {
        files: files.len(),
        rows_read: state.rows_read,
        rows_excluded: state.rows_excluded,
        rows_profiled: profiled,
        filters: cfg.filters.counts(&state.excluded_by),
        currency: cfg.locale.currency.as_str().to_string(),
        region_hierarchy: cfg.locale.region.describe(),
        columns,
        warnings,
    })
}

/// A quantity in 1/10000 units as decimal text, trailing zeros dropped: `125000` -> `12.5`.
fn fmt_e4(q: i64) -> String {
    let a = q.unsigned_abs();
    let mut t = format!(
        "{}{}.{:04}",
        if q < 0 { "-" } else { "" },
        a / 10_000,
        a % 10_000
    );
    while t.ends_with('0') {
        t.pop();
    }
    if t.ends_with('.') {
        t.pop();
    }
    t
}

/// The shape of a code: `12 digits` when all digits, else its characters as classes (`A` an ASCII letter, `9`
/// a digit, `X` another character, punctuation and spaces as they are), or `N characters` beyond 24.
pub fn shape(code: &str) -> String {
    let n = code.chars().count();
    if n > 0 && code.bytes().all(|b| b.is_ascii_digit()) {
        return format!("{n} digits");
    }
    if n > 24 {
        return format!("{n} characters");
    }
    code.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_ascii_alphabetic() {
                'A'
            } else if c.is_ascii_punctuation() || c == ' ' {
                c
            } else {
                'X'
            }
        })
        .collect()
}

/// Region shapes with their rows (most first, ties by shape) and the rows outside the hierarchy.
fn shapes(
    values: &HashMap<u64, (u64, Box<str>)>,
    region: &RegionScheme,
) -> (Vec<(String, u64)>, u64) {
    let mut by: BTreeMap<String, u64> = BTreeMap::new();
    let mut outside = 0;
    for (n, v) in values.values() {
        *by.entry(shape(v)).or_default() += n;
        if *region != RegionScheme::None && !region.fits(v) {
            outside += n;
        }
    }
    let mut v: Vec<(String, u64)> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    (v, outside)
}

/// The table `check --profile` prints.
pub fn render_table(r: &ProfileReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} files, {} rows read, {} excluded by filters, {} profiled (amounts in {}; region hierarchy: {})",
        r.files, r.rows_read, r.rows_excluded, r.rows_profiled, r.currency, r.region_hierarchy
    );
    for f in &r.filters {
        let _ = writeln!(
            s,
            "  filter \"{}\" ({}): {} rows excluded",
            f.name, f.column, f.rows_excluded
        );
    }
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    for c in &r.columns {
        let map = if c.mapped_to == c.column {
            String::new()
        } else {
            format!(" <- {}", c.mapped_to)
        };
        let _ = writeln!(
            s,
            "\n{}{map}: nulls {} ({}), unreadable {}, distinct {}",
            c.column,
            c.nulls,
            pct(c.null_share),
            c.unreadable,
            c.distinct
        );
        if let Some(g) = &c.range {
            let _ = write!(s, "  range {} .. {}", g.min, g.max);
            if let (Some(z), Some(n)) = (g.zero, g.negative) {
                let _ = write!(s, " (zero: {z}, negative: {n})");
            }
            s.push('\n');
        }
        if c.top.is_empty() && c.distinct > 0 {
            s.push_str("  every value distinct\n");
        }
        if !c.top.is_empty() {
            let top: Vec<String> = c
                .top
                .iter()
                .map(|v| format!("{} {} ({})", v.value, v.rows, pct(v.share)))
                .collect();
            let _ = writeln!(s, "  top: {}", top.join(", "));
        }
        if !c.shapes.is_empty() {
            let sh: Vec<String> = c
                .shapes
                .iter()
                .take(8)
                .map(|v| format!("{}: {}", v.value, pct(v.share)))
                .collect();
            let _ = writeln!(s, "  shapes: {}", sh.join(", "));
        }
        if let Some(o) = c.outside_hierarchy {
            let _ = writeln!(s, "  outside the hierarchy: {o} rows");
        }
    }
    if !r.warnings.is_empty() {
        s.push_str("\nwarnings:\n");
        for w in &r.warnings {
            let _ = writeln!(s, "  {w}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_codes() {
        assert_eq!(shape("110105001002"), "12 digits");
        assert_eq!(shape("E0601"), "A9999");
        assert_eq!(shape("ABCDE"), "AAAAA");
        assert_eq!(shape("Direct Services"), "AAAAAA AAAAAAAA");
        assert_eq!(shape("东城区"), "XXX");
        assert_eq!(shape(&"a".repeat(30)), "30 characters");
    }
}
