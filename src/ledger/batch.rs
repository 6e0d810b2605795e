//! Typed batches: one decoded slice of a row group, with its columns already checked, converted (money in fen,
//! dates in days, periods in codes) and hashed, so rules never touch raw Arrow arrays.
//!
//! A row with a null where the column must have a value, or a value that cannot be read, is a data-quality
//! problem: it is counted (by column and problem, with sample rows) and left out of `rows()`.

use super::column::{Col, ColSet};
use super::decode::{binary_as_utf8, decode_date, decode_fixed, decode_period, Problem, Text};
pub use super::hash::{hash_id, hash_text, mix, NO_HASH};
use super::source::{LedgerFile, Source};
use crate::ident::IdScheme;
use crate::period::Period;
use crate::scheme::{Scheme, Schemes, QUANTITY_SCALE};
use arrow::array::{Array, ArrayRef, RecordBatch};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Sentinel for "no quantity".
pub const NO_QUANTITY: i64 = i64::MIN;
/// Sentinel for "no date" in an optional date column (`birth_date`).
pub const NO_DATE: i32 = i32::MIN;
/// How many sample rows are kept per (column, problem).
pub const DQ_SAMPLES: usize = 5;

/// The text columns whose values are hashed for grouping.
pub const HASHED: &[Col] = &[
    Col::PayeeId,
    Col::Account,
    Col::Region,
    Col::HouseholdId,
    Col::Scheme,
    Col::OfficerId,
];

/// A payment's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Status {
    Paid,
    Returned,
    Reversed,
}

impl Status {
    pub fn parse(s: &str) -> Option<Self> {
        if s == "PAID" {
            return Some(Self::Paid);
        }
        let t = s.trim();
        if t.eq_ignore_ascii_case("PAID") {
            Some(Self::Paid)
        } else if t.eq_ignore_ascii_case("RETURNED") {
            Some(Self::Returned)
        } else if t.eq_ignore_ascii_case("REVERSED") {
            Some(Self::Reversed)
        } else {
            None
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paid => "PAID",
            Self::Returned => "RETURNED",
            Self::Reversed => "REVERSED",
        }
    }
}

/// Whether a text is empty or only white space (fast path: most values start with a non-space).
#[inline]
pub fn is_blank(s: &str) -> bool {
    s.as_bytes().first().is_none_or(u8::is_ascii_whitespace) && s.trim().is_empty()
}

/// The [`hash_text`] of every row of `t` that `check` accepts ([`NO_HASH`] for the others); `check` sees every
/// row, in order. A dictionary no larger than the column has each value hashed once and its keys mapped.
fn hash_column(
    t: &Text,
    check: &mut impl FnMut(usize, Option<&str>) -> Option<bool>,
    hash_text: impl Fn(&str) -> u64,
) -> Vec<u64> {
    let n = t.len();
    match t.dictionary().filter(|(_, values)| values.len() <= n) {
        Some((keys, values)) => {
            let table: Vec<u64> = (0..values.len())
                .map(|j| {
                    if values.is_valid(j) {
                        hash_text(values.value(j))
                    } else {
                        NO_HASH
                    }
                })
                .collect();
            let keys = keys.values();
            (0..n)
                .map(|i| match check(i, t.get(i)) {
                    // an accepted row has a valid key within the dictionary
                    Some(_) => usize::try_from(keys[i])
                        .ok()
                        .and_then(|j| table.get(j).copied())
                        .unwrap_or(NO_HASH),
                    None => NO_HASH,
                })
                .collect()
        }
        None => (0..n)
            .map(|i| {
                let v = t.get(i);
                match check(i, v) {
                    Some(_) => v.map_or(NO_HASH, &hash_text),
                    None => NO_HASH,
                }
            })
            .collect(),
    }
}

/// A row's place: the file (its index in the ledger) and the row within the file. Packed into 64 bits:
/// 24 bits of file, 40 bits of row. Ordering is file order, then row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RowRef(pub u64);

impl RowRef {
    pub const ROW_BITS: u32 = 40;
    pub fn new(file: u32, row: u64) -> Self {
        Self((u64::from(file) << Self::ROW_BITS) | (row & ((1 << Self::ROW_BITS) - 1)))
    }
    pub fn file(self) -> u32 {
        (self.0 >> Self::ROW_BITS) as u32
    }
    pub fn row(self) -> u64 {
        self.0 & ((1 << Self::ROW_BITS) - 1)
    }
}

/// Data-quality counts: rows, and problems by column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DqStats {
    pub rows_read: u64,
    pub rows_scanned: u64,
    pub rows_with_problems: u64,
    /// Rows scanned without a pay date (null or blank): kept, with the date unknown.
    pub rows_undated: u64,
    /// Rows scanned with an amount of 0 (any status): not payments for any rule.
    pub rows_zero_amount: u64,
    /// Rows scanned with a negative amount (corrections, any status): not payments for any rule.
    pub rows_negative_amount: u64,
    /// (column, problem) -> (count, first rows)
    pub problems: BTreeMap<(Col, Problem), (u64, Vec<u64>)>,
    /// Rows dropped by the config's `[[exclude]]` filters ([`crate::filter`]), and per filter.
    pub rows_excluded: u64,
    pub excluded_by: Vec<u64>,
    /// Scanned rows whose region code fits no level of the `[locale] region` hierarchy.
    pub region_outside_hierarchy: u64,
}

impl DqStats {
    pub fn merge(&mut self, o: DqStats) {
        self.rows_read += o.rows_read;
        self.rows_scanned += o.rows_scanned;
        self.rows_with_problems += o.rows_with_problems;
        self.rows_excluded += o.rows_excluded;
        self.region_outside_hierarchy += o.region_outside_hierarchy;
        if self.excluded_by.len() < o.excluded_by.len() {
            self.excluded_by.resize(o.excluded_by.len(), 0);
        }
        for (a, b) in self.excluded_by.iter_mut().zip(o.excluded_by) {
            *a += b;
        }
        self.rows_undated += o.rows_undated;
        self.rows_zero_amount += o.rows_zero_amount;
        self.rows_negative_amount += o.rows_negative_amount;
        for (k, (n, rows)) in o.problems {
            let e = self.problems.entry(k).or_default();
            e.0 += n;
            e.1.extend(rows);
            e.1.sort_unstable();
            e.1.truncate(DQ_SAMPLES);
        }
    }
}

/// What a batch needs from the run: the scheme rules, in a lookup table; the `[locale]` settings; the row
/// filters.
#[derive(Debug, Clone, Default)]
pub struct BatchContext {
    schemes: Vec<(String, Scheme)>,
    pub locale: crate::locale::Locale,
    pub filters: Option<std::sync::Arc<crate::filter::Filters>>,
    /// How payee ids are keyed (hashes, evidence, reference lookups); `[locale] id_scheme = "none"` keys them
    /// as written.
    pub id_scheme: IdScheme,
}

impl BatchContext {
    pub fn new(schemes: &Schemes) -> Self {
        Self {
            schemes: schemes
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            id_scheme: IdScheme::default(),
            ..Self::default()
        }
    }
    /// With the `[locale]` settings (the id scheme included) and the `[[exclude]]` filters of the config.
    pub fn with_settings(
        mut self,
        locale: &crate::locale::Locale,
        filters: &crate::filter::Filters,
    ) -> Self {
        self.locale = locale.clone();
        self.id_scheme = locale.id_scheme;
        self.filters = (!filters.is_empty()).then(|| std::sync::Arc::new(filters.clone()));
        self
    }
    /// The same context with payee ids keyed under `scheme`.
    #[must_use]
    pub fn with_id_scheme(mut self, scheme: IdScheme) -> Self {
        self.id_scheme = scheme;
        self
    }
    /// The key text of a payee id: one form for every form of one person's id (see [`IdScheme::key`]).
    pub fn payee_key<'a>(&self, raw: &'a str) -> std::borrow::Cow<'a, str> {
        self.id_scheme.key(raw)
    }
    pub fn scheme(&self, idx: u16) -> Option<&Scheme> {
        self.schemes.get(usize::from(idx)).map(|(_, s)| s)
    }
    pub fn scheme_by_code(&self, code: &str) -> Option<&Scheme> {
        self.scheme(self.scheme_index(code))
    }
    fn scheme_index(&self, code: &str) -> u16 {
        let code = code.trim();
        self.schemes
            .iter()
            .position(|(k, _)| k == code)
            .map_or(UNKNOWN_SCHEME, |i| i as u16)
    }
}

/// The scheme index of a scheme the config does not describe.
pub const UNKNOWN_SCHEME: u16 = u16::MAX;

/// One decoded batch.
#[derive(Debug, Clone)]
pub struct Batch {
    pub file: u32,
    /// The file row of each batch row (ascending).
    rows: RowNumbers,
    len: usize,
    valid: Vec<bool>,
    valid_rows: Vec<u32>,
    texts: Vec<Option<Text>>,
    hashes: Vec<Option<Vec<u64>>>,
    pub amount_fen: Vec<i64>,
    /// In 1/10000 units; [`NO_QUANTITY`] when null.
    pub quantity_e4: Vec<i64>,
    /// Days since the epoch; [`NO_DATE`] when null (unknown: see [`Batch::pay_date`]).
    pub pay_date: Vec<i32>,
    /// Days since the epoch; [`NO_DATE`] when null or unreadable.
    pub birth_date: Vec<i32>,
    pub period: Vec<u32>,
    pub status: Vec<Status>,
    pub scheme: Vec<u16>,
    /// mix(payee, scheme, bucket) with the bucket's allowance, when payee_id, scheme and period are read.
    pub payee_period_key: Vec<u64>,
    pub allowed: Vec<u8>,
    /// The scan worker's number of each row's payee ([`super::payees`]); empty unless a rule asked for it.
    pub payee_no: Vec<u32>,
    /// How many payees the worker has numbered so far (the numbers of this batch are below it).
    pub payees_numbered: usize,
    pub dq: DqStats,
    /// The cells with a problem, (row, column, problem), of the rows no filter excluded.
    pub problem_cells: Vec<(usize, Col, Problem)>,
    /// Per row, the index of the `[[exclude]]` filter that dropped it ([`crate::filter::KEPT`] when none);
    /// empty when no row was dropped.
    pub excluded: Vec<u16>,
}

#[derive(Debug, Clone)]
enum RowNumbers {
    Range(u64),
    List(Vec<u64>),
}

impl Batch {
    /// Decodes a record batch read with [`projected_indices`] of `cols`.
    pub fn build(
        rb: &RecordBatch,
        file: &LedgerFile,
        file_idx: u32,
        rows: Result<u64, Vec<u64>>,
        cols: ColSet,
        ctx: &BatchContext,
    ) -> Self {
        let (positions, _) = projected_indices(file, cols);
        Self::decode(
            rb.num_rows(),
            |col| column_array(rb, file, col, &positions, rb.num_rows()),
            file_idx,
            rows,
            cols,
            ctx,
        )
    }

    /// Decodes a record batch whose columns carry the canonical names ([`Col::name`]: a driver that is no
    /// Parquet file of this crate, such as the Spark job, maps the ledger's names first), rows numbered from
    /// `origin`. A column of `cols` that the batch lacks is read as absent, as in a file without it.
    pub fn from_record_batch(
        rb: &RecordBatch,
        origin: crate::engine::Origin,
        cols: ColSet,
        ctx: &BatchContext,
    ) -> Self {
        Self::decode(
            rb.num_rows(),
            |col| rb.column_by_name(col.name()).cloned(),
            origin.source,
            Ok(origin.first_row),
            cols,
            ctx,
        )
    }

    /// Decodes the `len` rows whose column arrays `column` gives.
    fn decode(
        len: usize,
        column: impl Fn(Col) -> Option<ArrayRef>,
        file_idx: u32,
        rows: Result<u64, Vec<u64>>,
        cols: ColSet,
        ctx: &BatchContext,
    ) -> Self {
        let ncols = Col::ALL.len();
        let mut b = Batch {
            file: file_idx,
            rows: match rows {
                Ok(first) => RowNumbers::Range(first),
                Err(list) => RowNumbers::List(list),
            },
            len,
            valid: vec![true; len],
            valid_rows: Vec::new(),
            texts: vec![None; ncols],
            hashes: vec![None; ncols],
            amount_fen: Vec::new(),
            quantity_e4: Vec::new(),
            pay_date: Vec::new(),
            birth_date: Vec::new(),
            period: Vec::new(),
            status: Vec::new(),
            scheme: Vec::new(),
            payee_period_key: Vec::new(),
            allowed: Vec::new(),
            payee_no: Vec::new(),
            payees_numbered: 0,
            dq: DqStats::default(),
            problem_cells: Vec::new(),
            excluded: Vec::new(),
        };
        let mut problems: Vec<(usize, Col, Problem)> = Vec::new();
        for col in cols.iter() {
            let Some(array) = column(col) else {
                continue;
            };
            // binary strings read as text; bytes that are not UTF-8 are this column's unparsable values
            let before = problems.len();
            let (array, not_utf8) = binary_as_utf8(&array).unwrap_or((array, Vec::new()));
            problems.extend(not_utf8.iter().map(|&i| (i, col, Problem::Unparsable)));
            let mut bad = |i: usize, p: Problem| problems.push((i, col, p));
            match col {
                Col::Amount => decode_fixed(&array, 2, &mut b.amount_fen, &mut bad),
                Col::Quantity => {
                    // a null (or blank text) is no quantity
                    let mut none = Vec::new();
                    decode_fixed(&array, QUANTITY_SCALE, &mut b.quantity_e4, &mut |i, p| {
                        if p == Problem::Unparsable {
                            bad(i, p);
                        } else {
                            none.push(i);
                        }
                    });
                    for i in none {
                        b.quantity_e4[i] = NO_QUANTITY;
                    }
                }
                Col::PayDate => {
                    // a missing date is unknown, not a problem: the row is kept, the rules that need the date
                    // skip it
                    let mut unknown = Vec::new();
                    decode_date(&array, &mut b.pay_date, &mut |i, p| {
                        if p == Problem::Null {
                            unknown.push(i);
                        } else {
                            bad(i, p);
                        }
                    });
                    for i in unknown {
                        b.pay_date[i] = NO_DATE;
                    }
                }
                Col::BirthDate => {
                    let mut unknown = Vec::new();
                    decode_date(&array, &mut b.birth_date, &mut |i, p| {
                        unknown.push(i);
                        if p == Problem::Unparsable {
                            bad(i, p);
                        }
                    });
                    for i in unknown {
                        b.birth_date[i] = NO_DATE;
                    }
                }
                Col::Period => decode_period(&array, &mut b.period, &mut bad),
                _ => match Text::from_array(&array) {
                    Ok(t) => {
                        b.decode_text(col, t, &mut bad, ctx);
                    }
                    Err(_) => (0..len).for_each(|i| bad(i, Problem::Unparsable)),
                },
            }
            if !not_utf8.is_empty() {
                // a row counts once per column: the bytes were unparsable, not (also) null
                let mut tail = problems.split_off(before + not_utf8.len());
                tail.retain(|(i, _, _)| not_utf8.binary_search(i).is_err());
                problems.extend(tail);
                problems[before..].sort_by_key(|p| p.0);
            }
        }
        let excluded = ctx.filters.as_ref().and_then(|f| f.apply(&b, &problems));
        if let (Some(ex), Some(f)) = (&excluded, &ctx.filters) {
            b.dq.excluded_by = vec![0; f.0.len()];
            for (i, &k) in ex.iter().enumerate() {
                if k != crate::filter::KEPT {
                    b.valid[i] = false;
                    b.dq.excluded_by[usize::from(k)] += 1;
                    b.dq.rows_excluded += 1;
                }
            }
            // a dropped row's problems are not counted
            problems.retain(|(i, _, _)| ex[*i] == crate::filter::KEPT);
        }
        for &(i, col, p) in &problems {
            if p == Problem::Unparsable || !col.is_nullable() {
                b.valid[i] = false;
            }
            let row = b.row_of(i);
            let e = b.dq.problems.entry((col, p)).or_default();
            e.0 += 1;
            if e.1.len() < DQ_SAMPLES {
                e.1.push(row);
            }
        }
        b.excluded = excluded.unwrap_or_default();
        b.problem_cells = problems;
        b.valid_rows = (0..len as u32).filter(|&i| b.valid[i as usize]).collect();
        b.dq.rows_read = len as u64;
        b.dq.rows_scanned = b.valid_rows.len() as u64;
        b.dq.rows_with_problems = (len - b.valid_rows.len()) as u64 - b.dq.rows_excluded;
        b.dq.region_outside_hierarchy = b.count_region_outside(&ctx.locale.region);
        for &i in &b.valid_rows {
            let i = i as usize;
            if b.pay_date.get(i) == Some(&NO_DATE) {
                b.dq.rows_undated += 1;
            }
            match b.amount_fen.get(i) {
                Some(0) => b.dq.rows_zero_amount += 1,
                Some(a) if *a < 0 => b.dq.rows_negative_amount += 1,
                _ => {}
            }
        }
        if cols.contains(Col::PayeeId) && cols.contains(Col::Scheme) && cols.contains(Col::Period) {
            b.derive_payee_period(ctx);
        }
        b
    }

    fn decode_text(
        &mut self,
        col: Col,
        t: Text,
        bad: &mut impl FnMut(usize, Problem),
        ctx: &BatchContext,
    ) {
        let n = t.len();
        let must = !col.is_nullable();
        let mut check = |i: usize, v: Option<&str>| -> Option<bool> {
            match v {
                None => {
                    if must {
                        bad(i, Problem::Null);
                    }
                    None
                }
                Some(s) if is_blank(s) => {
                    if must {
                        bad(i, Problem::Null);
                    }
                    None
                }
                Some(_) => Some(true),
            }
        };
        match col {
            Col::Status => {
                self.status = (0..n)
                    .map(
                        |i| match t.get(i).map(str::trim).filter(|s| !s.is_empty()) {
                            None => Status::Paid,
                            Some(s) => Status::parse(s).unwrap_or_else(|| {
                                bad(i, Problem::Unparsable);
                                Status::Paid
                            }),
                        },
                    )
                    .collect();
            }
            _ => {
                if col == Col::Scheme {
                    let mut last: Option<(&str, u16)> = None;
                    self.scheme = (0..n)
                        .map(|i| {
                            let Some(s) = t.get(i) else {
                                return UNKNOWN_SCHEME;
                            };
                            if let Some((l, idx)) = last {
                                if l == s {
                                    return idx;
                                }
                            }
                            let idx = ctx.scheme_index(s);
                            last = Some((s, idx));
                            idx
                        })
                        .collect();
                }
                if col == Col::PayeeId {
                    let scheme = ctx.id_scheme;
                    self.hashes[col.index()] =
                        Some(hash_column(&t, &mut check, |s| hash_id(s, scheme)));
                } else if HASHED.contains(&col) {
                    self.hashes[col.index()] = Some(hash_column(&t, &mut check, hash_text));
                } else if must {
                    for i in 0..n {
                        check(i, t.get(i));
                    }
                }
            }
        }
        self.texts[col.index()] = Some(t);
    }

    fn derive_payee_period(&mut self, ctx: &BatchContext) {
        let (Some(payee), Some(scheme_h)) = (
            &self.hashes[Col::PayeeId.index()],
            &self.hashes[Col::Scheme.index()],
        ) else {
            return;
        };
        let mut keys = vec![0u64; self.len];
        let mut allowed = vec![1u8; self.len];
        for &i in &self.valid_rows {
            let i = i as usize;
            let freq = ctx.scheme(self.scheme[i]).and_then(|s| s.frequency);
            let (bucket, n) =
                Period::from_code(self.period[i]).map_or((Period::Year(0), 1), |p| p.bucket(freq));
            keys[i] = mix(payee[i], mix(scheme_h[i], u64::from(bucket.code())));
            allowed[i] = n;
        }
        self.payee_period_key = keys;
        self.allowed = allowed;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The decoded text of a text column (`None` when not read).
    pub fn text_column(&self, col: Col) -> Option<&Text> {
        self.texts[col.index()].as_ref()
    }

    /// The scanned rows whose region code fits no level of the hierarchy (0 when `region` was not read).
    fn count_region_outside(&self, scheme: &crate::locale::RegionScheme) -> u64 {
        let Some(t) = self.text_column(Col::Region) else {
            return 0;
        };
        if *scheme == crate::locale::RegionScheme::None {
            return 0;
        }
        if scheme.from_columns() {
            // rows with no county
            return self
                .rows()
                .filter(|&i| scheme.unit_of_row(self, i, false).is_none())
                .count() as u64;
        }
        let fits = |v: Option<&str>| v.is_some_and(|s| scheme.fits(s));
        match t
            .dictionary()
            .filter(|(_, values)| values.len() <= self.len)
        {
            Some((keys, values)) => {
                let table: Vec<bool> = (0..values.len())
                    .map(|j| fits(values.is_valid(j).then(|| values.value(j))))
                    .collect();
                self.rows()
                    .filter(|&i| {
                        !usize::try_from(keys.value(i))
                            .ok()
                            .and_then(|j| table.get(j).copied())
                            .unwrap_or(false)
                    })
                    .count() as u64
            }
            None => self.rows().filter(|&i| !fits(t.get(i))).count() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The rows without data-quality problems: the ones rules see.
    pub fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.valid_rows.iter().map(|&i| i as usize)
    }

    pub fn is_valid(&self, i: usize) -> bool {
        self.valid[i]
    }

    /// The file row of batch row `i`.
    pub fn row_of(&self, i: usize) -> u64 {
        match &self.rows {
            RowNumbers::Range(first) => first + i as u64,
            RowNumbers::List(l) => l[i],
        }
    }

    pub fn row_ref(&self, i: usize) -> RowRef {
        RowRef::new(self.file, self.row_of(i))
    }

    /// The text of a column at row `i` (`None` when null or not read).
    pub fn text(&self, col: Col, i: usize) -> Option<&str> {
        self.texts[col.index()].as_ref().and_then(|t| t.get(i))
    }

    /// The hashes of a hashed text column ([`NO_HASH`] for nulls); empty when not read.
    pub fn hashes(&self, col: Col) -> &[u64] {
        self.hashes[col.index()].as_deref().unwrap_or(&[])
    }

    pub fn has(&self, col: Col) -> bool {
        self.texts[col.index()].is_some() || self.hashes[col.index()].is_some()
    }

    /// The worker's number of the payee of row `i` ([`super::payees::NO_PAYEE`] when not numbered).
    #[inline]
    pub fn payee_no(&self, i: usize) -> u32 {
        self.payee_no
            .get(i)
            .copied()
            .unwrap_or(super::payees::NO_PAYEE)
    }

    /// Whether row `i` is a payment: status PAID and an amount above 0. A zero amount pays nothing, and a
    /// negative one is a correction: neither counts as a payment for any rule (both are counted in
    /// [`DqStats`]).
    pub fn is_paid(&self, i: usize) -> bool {
        self.status.get(i).is_none_or(|s| *s == Status::Paid)
            && self.amount_fen.get(i).is_none_or(|a| *a > 0)
    }

    /// The pay date of row `i` (days since the epoch), `None` when unknown or not read.
    #[inline]
    pub fn pay_date(&self, i: usize) -> Option<i32> {
        self.pay_date.get(i).copied().filter(|d| *d != NO_DATE)
    }

    pub fn quantity(&self, i: usize) -> Option<i64> {
        self.quantity_e4
            .get(i)
            .copied()
            .filter(|q| *q != NO_QUANTITY)
    }
}

/// The positions, in a record batch read with `ProjectionMask::roots(indices)`, of each projected column, and
/// the sorted unique root indices to read.
pub fn projected_indices(file: &LedgerFile, cols: ColSet) -> (Vec<Option<usize>>, Vec<usize>) {
    let mut roots: Vec<usize> = cols
        .iter()
        .filter_map(|c| match file.source(c) {
            Some(Source::Column(i, _)) => Some(*i),
            _ => None,
        })
        .collect();
    roots.sort_unstable();
    roots.dedup();
    let positions = Col::ALL
        .iter()
        .map(|&c| match file.source(c) {
            Some(Source::Column(i, _)) if cols.contains(c) => roots.binary_search(i).ok(),
            _ => None,
        })
        .collect();
    (positions, roots)
}

fn column_array(
    rb: &RecordBatch,
    file: &LedgerFile,
    col: Col,
    positions: &[Option<usize>],
    len: usize,
) -> Option<ArrayRef> {
    match file.source(col)? {
        Source::Column(..) => positions[col.index()].map(|p| rb.column(p).clone()),
        Source::Constant(v) => {
            let a: ArrayRef =
                std::sync::Arc::new(arrow::array::StringArray::from(vec![Some(v.as_ref()); len]));
            Some(a)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{DictionaryArray, Int32Array, StringArray};
    use arrow::datatypes::Int32Type;
    use std::sync::Arc;

    fn per_row(t: &Text) -> (Vec<u64>, Vec<usize>) {
        let mut seen = Vec::new();
        let h = (0..t.len())
            .map(|i| {
                seen.push(i);
                match t.get(i) {
                    Some(s) if !is_blank(s) => hash_text(s),
                    _ => NO_HASH,
                }
            })
            .collect();
        (h, seen)
    }

    fn hashed(t: &Text) -> (Vec<u64>, Vec<usize>) {
        let mut seen = Vec::new();
        let h = hash_column(
            t,
            &mut |i, v| {
                seen.push(i);
                v.filter(|s| !is_blank(s)).map(|_| true)
            },
            hash_text,
        );
        (h, seen)
    }

    fn dict(keys: Vec<Option<i32>>, values: Vec<Option<&str>>) -> Text {
        let d = DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(keys),
            Arc::new(StringArray::from(values)),
        )
        .expect("dictionary");
        let a: ArrayRef = Arc::new(d);
        let t = Text::from_array(&a).expect("text");
        assert!(t.dictionary().is_some(), "kept as a dictionary");
        t
    }

    #[test]
    fn payee_ids_hash_by_their_canonical_key_unless_switched_off() {
        let k = hash_text("110101196205035536");
        let ctx = BatchContext::default();
        assert_eq!(ctx.id_scheme, IdScheme::Gb11643);
        for form in [
            "110101196205035536",
            " 110101196205035536",
            "110101620503553",
            "１１０１０１１９６２０５０３５５３６",
        ] {
            assert_eq!(hash_id(form, ctx.id_scheme), k, "{form}");
            assert_eq!(ctx.payee_key(form), "110101196205035536");
        }
        assert_eq!(hash_id(" AAA1 ", IdScheme::Gb11643), hash_text("AAA1"));
        let none = ctx.with_id_scheme(IdScheme::None);
        assert_eq!(
            hash_id("110101620503553", none.id_scheme),
            hash_text("110101620503553")
        );
        assert_eq!(none.payee_key(" 110101620503553 "), "110101620503553");
        // a dictionary column hashes its values the same way
        let t = dict(
            vec![Some(0), Some(1), Some(0)],
            vec![Some("110101620503553"), Some("110101196205035536")],
        );
        let h = hash_column(&t, &mut |_, v| v.map(|_| true), |s| {
            hash_id(s, IdScheme::Gb11643)
        });
        assert_eq!(h, vec![k, k, k]);
    }

    #[test]
    fn dictionary_text_reads_through_keys() {
        let t = dict(
            vec![Some(1), None, Some(0), Some(2), Some(1), Some(3)],
            vec![Some("north"), Some(" east "), None, Some("  ")],
        );
        assert_eq!(t.len(), 6);
        let got: Vec<Option<&str>> = (0..t.len()).map(|i| t.get(i)).collect();
        assert_eq!(
            got,
            vec![
                Some(" east "),
                None,
                Some("north"),
                None,
                Some(" east "),
                Some("  ")
            ]
        );
    }

    #[test]
    fn dictionary_values_hash_once_like_rows() {
        // dictionary smaller than the column: hashed per value
        let t = dict(
            vec![Some(1), None, Some(0), Some(2), Some(1), Some(3), Some(0)],
            vec![Some("north"), Some(" east "), None, Some("  ")],
        );
        let (h, seen) = hashed(&t);
        assert_eq!((h.clone(), seen), per_row(&t));
        assert_eq!(h[0], hash_text("east"), "padded value hashes as trimmed");
        assert_eq!(h[0], h[4]);
        assert_eq!(h[2], hash_text("north"));
        assert_eq!(
            [h[1], h[3], h[5]],
            [NO_HASH; 3],
            "null key, null value, blank"
        );
        // dictionary larger than the column: hashed per row, same result
        let t = dict(
            vec![Some(4), None, Some(1)],
            vec![Some("a"), Some(" b"), Some("c"), Some("d"), Some("e ")],
        );
        let (h, seen) = hashed(&t);
        assert_eq!((h.clone(), seen), per_row(&t));
        assert_eq!(h, vec![hash_text("e"), NO_HASH, hash_text("b")]);
        // other kinds are unchanged
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some(" x"), None, Some("")]));
        let t = Text::from_array(&a).expect("text");
        assert_eq!(hashed(&t), per_row(&t));
    }
}
