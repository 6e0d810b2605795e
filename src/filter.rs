//! Row filters: the config's `[[exclude]]` tables. Rows a filter matches are left out of every rule while the
//! batches are decoded, and counted: `rows_read = rows_scanned + rows_with_problems + rows_excluded`.
//!
//! ```toml
//! [[exclude]]
//! name = "placeholder ids"          # optional; default: derived from the condition
//! column = "payee_id"               # canonical column name (after [columns] mapping)
//! value = "GB-0000000"              # exact value (trimmed; "" matches empty and null), or
//! values = ["A", "B"]               # any of these, or
//! pattern = "GB-****-*******"       # glob: `*` any run of characters, `?` one character
//! # amount only:  zero = true  |  below = 0.00  |  above = 1000000.00   (currency units, exact)
//! # dates only:   before = "2020-01-01"  |  after = "2024-12-31"
//! ```
//!
//! Each filter has exactly one condition; a row is counted by the first filter (in config order) that matches
//! it. A row a filter drops is not checked for data-quality problems. Filters are compiled once; on a
//! dictionary-encoded column each dictionary value is matched once.

use crate::error::{Error, Result};
use crate::ledger::batch::Batch;
use crate::ledger::column::{Col, ColSet, Kind};
use crate::ledger::decode::{fmt_date, parse_date, Problem, Text};
use crate::money::{fmt_yuan, toml_yuan};
use arrow::array::Array;
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;

/// The index a row gets when no filter excludes it.
pub const KEPT: u16 = u16::MAX;

/// A compiled glob: `*` any run of characters (none included), `?` exactly one character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob(Vec<GlobTok>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GlobTok {
    Star,
    One,
    Char(char),
}

impl Glob {
    pub fn new(pattern: &str) -> Self {
        let mut v = Vec::new();
        for c in pattern.chars() {
            match c {
                '*' if v.last() == Some(&GlobTok::Star) => {}
                '*' => v.push(GlobTok::Star),
                '?' => v.push(GlobTok::One),
                c => v.push(GlobTok::Char(c)),
            }
        }
        Self(v)
    }

    /// Whether the whole of `s` matches (linear backtracking on the last star: no blow-up).
    pub fn matches(&self, s: &str) -> bool {
        let p = &self.0;
        let t: Vec<char> = s.chars().collect();
        let (mut pi, mut ti) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match p.get(pi) {
                Some(GlobTok::Char(c)) if *c == t[ti] => {
                    pi += 1;
                    ti += 1;
                }
                Some(GlobTok::One) => {
                    pi += 1;
                    ti += 1;
                }
                Some(GlobTok::Star) => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        pi = sp + 1;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi.min(p.len())..].iter().all(|x| *x == GlobTok::Star)
    }
}

/// What a filter matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Text equal to any of these (trimmed); `""` matches an empty or null value.
    Values(HashSet<String>),
    Pattern(Glob),
    /// Amount exactly zero.
    Zero,
    /// Amount below this many hundredths.
    Below(i64),
    /// Amount above this many hundredths.
    Above(i64),
    /// Date before this day (days since the epoch).
    Before(i32),
    /// Date after this day.
    After(i32),
}

/// One `[[exclude]]` table, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub name: String,
    pub column: Col,
    pub cond: Cond,
}

impl Filter {
    fn text_hit(&self, v: Option<&str>) -> bool {
        let t = v.map_or("", str::trim);
        match &self.cond {
            Cond::Values(set) => set.contains(t),
            Cond::Pattern(g) => v.is_some() && g.matches(t),
            _ => false,
        }
    }
}

/// Rows excluded by one filter, for `summary.json` and the terminal.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FilterCount {
    pub name: String,
    pub column: Col,
    pub rows_excluded: u64,
}

/// Every filter of the config, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters(pub Vec<Filter>);

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The columns the filters read (decoded even when no rule reads them).
    pub fn columns(&self) -> ColSet {
        self.0
            .iter()
            .fold(ColSet::default(), |s, f| s.with(f.column))
    }

    /// Per row of `b`, the index of the first filter that excludes it, or [`KEPT`]; `None` when no row is
    /// excluded. `problems` are the batch's (row, column, problem) tuples: a value that could not be read is
    /// never matched by an amount or date condition.
    pub fn apply(&self, b: &Batch, problems: &[(usize, Col, Problem)]) -> Option<Vec<u16>> {
        let n = b.len();
        let mut out: Option<Vec<u16>> = None;
        for (fi, f) in self.0.iter().enumerate() {
            let hits = Self::hits(f, b, problems);
            let Some(hits) = hits else { continue };
            let o = out.get_or_insert_with(|| vec![KEPT; n]);
            for (i, h) in hits.into_iter().enumerate() {
                if h && o[i] == KEPT {
                    o[i] = fi as u16;
                }
            }
        }
        out.filter(|o| o.iter().any(|x| *x != KEPT))
    }

    fn hits(f: &Filter, b: &Batch, problems: &[(usize, Col, Problem)]) -> Option<Vec<bool>> {
        let n = b.len();
        match &f.cond {
            Cond::Values(_) | Cond::Pattern(_) => {
                let t = b.text_column(f.column)?;
                Some(text_hits(f, t, n))
            }
            cond => {
                let mut unreadable = vec![false; n];
                for (i, c, _) in problems {
                    if *c == f.column {
                        if let Some(u) = unreadable.get_mut(*i) {
                            *u = true;
                        }
                    }
                }
                let amount = |test: &dyn Fn(i64) -> bool| -> Vec<bool> {
                    (0..n)
                        .map(|i| !unreadable[i] && b.amount_fen.get(i).is_some_and(|v| test(*v)))
                        .collect()
                };
                match (f.column, cond) {
                    (Col::Amount, Cond::Zero) => Some(amount(&|v| v == 0)),
                    (Col::Amount, Cond::Below(x)) => Some(amount(&|v| v < *x)),
                    (Col::Amount, Cond::Above(x)) => Some(amount(&|v| v > *x)),
                    (c @ (Col::PayDate | Col::BirthDate), Cond::Before(d) | Cond::After(d)) => {
                        let dates = if c == Col::PayDate {
                            &b.pay_date
                        } else {
                            &b.birth_date
                        };
                        let before = matches!(cond, Cond::Before(_));
                        Some(
                            (0..n)
                                .map(|i| {
                                    !unreadable[i]
                                        && dates.get(i).is_some_and(|v| {
                                            *v != crate::ledger::batch::NO_DATE
                                                && if before { *v < *d } else { *v > *d }
                                        })
                                })
                                .collect(),
                        )
                    }
                    _ => None,
                }
            }
        }
    }

    /// Zeroed counts, one per filter.
    pub fn counts(&self, excluded_by: &[u64]) -> Vec<FilterCount> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, f)| FilterCount {
                name: f.name.clone(),
                column: f.column,
                rows_excluded: excluded_by.get(i).copied().unwrap_or(0),
            })
            .collect()
    }
}

fn text_hits(f: &Filter, t: &Text, n: usize) -> Vec<bool> {
    match t.dictionary().filter(|(_, values)| values.len() <= n) {
        Some((keys, values)) => {
            let table: Vec<bool> = (0..values.len())
                .map(|j| f.text_hit(values.is_valid(j).then(|| values.value(j))))
                .collect();
            let null = f.text_hit(None);
            (0..n)
                .map(|i| {
                    if keys.is_null(i) {
                        null
                    } else {
                        usize::try_from(keys.value(i))
                            .ok()
                            .and_then(|j| table.get(j).copied())
                            .unwrap_or(false)
                    }
                })
                .collect()
        }
        None => (0..n).map(|i| f.text_hit(t.get(i))).collect(),
    }
}

/// Parses the config's `exclude` array of tables; errors name the config file and the key (`exclude[2].value`).
pub fn parse(path: &Path, value: &toml::Value) -> Result<Filters> {
    let arr = value.as_array().ok_or_else(|| {
        Error::config(
            path,
            "exclude",
            "must be an array of tables ([[exclude]] with column and one condition)",
        )
    })?;
    let mut out = Vec::new();
    for (k, v) in arr.iter().enumerate() {
        let at = format!("exclude[{}]", k + 1);
        let t = v
            .as_table()
            .ok_or_else(|| Error::config(path, &at, "must be a table"))?;
        out.push(parse_one(path, &at, t)?);
    }
    if out.len() >= usize::from(KEPT) {
        return Err(Error::config(path, "exclude", "too many filters"));
    }
    Ok(Filters(out))
}

const CONDITIONS: &[&str] = &[
    "value", "values", "pattern", "zero", "below", "above", "before", "after",
];

fn parse_one(path: &Path, at: &str, t: &toml::Table) -> Result<Filter> {
    let err = |key: &str, msg: String| Error::config(path, format!("{at}.{key}"), msg);
    for k in t.keys() {
        if k != "name" && k != "column" && !CONDITIONS.contains(&k.as_str()) {
            return Err(err(
                k,
                format!(
                    "unknown key (expected name, column, {})",
                    CONDITIONS.join(", ")
                ),
            ));
        }
    }
    let column_name = t
        .get("column")
        .ok_or_else(|| {
            Error::config(
                path,
                format!("{at}.column"),
                "missing: the canonical column to filter on",
            )
        })?
        .as_str()
        .ok_or_else(|| err("column", "must be a canonical column name (text)".into()))?;
    let column = Col::from_name(column_name).ok_or_else(|| {
        err(
            "column",
            format!(
                "unknown canonical column `{column_name}` (expected one of: {})",
                Col::names().join(", ")
            ),
        )
    })?;
    let conds: Vec<&str> = CONDITIONS
        .iter()
        .copied()
        .filter(|c| t.contains_key(*c))
        .collect();
    let key = match conds.as_slice() {
        [one] => *one,
        [] => {
            return Err(Error::config(
                path,
                at,
                format!("no condition: give one of {}", CONDITIONS.join(", ")),
            ))
        }
        more => {
            return Err(Error::config(
                path,
                at,
                format!(
                    "two conditions ({}): one filter has one condition; write one [[exclude]] per condition",
                    more.join(", ")
                ),
            ))
        }
    };
    let v = &t[key];
    let text_col = matches!(column.kind(), Kind::Text | Kind::TextOrInt);
    let (cond, derived) = match key {
        "value" | "values" | "pattern" => {
            if !text_col {
                return Err(err(
                    key,
                    format!(
                        "`{key}` needs a text column; `{column}` is a {} column (amount: zero, below, above; dates: before, after)",
                        column.kind().describe()
                    ),
                ));
            }
            match key {
                "value" => {
                    let s = v
                        .as_str()
                        .ok_or_else(|| err(key, "must be text".into()))?
                        .trim();
                    (
                        Cond::Values(std::iter::once(s.to_string()).collect()),
                        format!("{column} = \"{s}\""),
                    )
                }
                "values" => {
                    let list: Vec<String> = v
                        .as_array()
                        .filter(|a| !a.is_empty())
                        .and_then(|a| {
                            a.iter()
                                .map(|x| x.as_str().map(|s| s.trim().to_string()))
                                .collect()
                        })
                        .ok_or_else(|| err(key, "must be a non-empty list of texts".into()))?;
                    let shown: Vec<String> = list.iter().map(|s| format!("\"{s}\"")).collect();
                    (
                        Cond::Values(list.into_iter().collect()),
                        format!("{column} in [{}]", shown.join(", ")),
                    )
                }
                _ => {
                    let s = v
                        .as_str()
                        .filter(|s| !s.trim().is_empty())
                        .ok_or_else(|| err(key, "must be a non-empty glob text".into()))?
                        .trim();
                    (
                        Cond::Pattern(Glob::new(s)),
                        format!("{column} like \"{s}\""),
                    )
                }
            }
        }
        "zero" | "below" | "above" => {
            if column != Col::Amount {
                return Err(err(
                    key,
                    format!("`{key}` applies to the amount column only, not `{column}`"),
                ));
            }
            match key {
                "zero" => {
                    if v.as_bool() != Some(true) {
                        return Err(err(key, "must be true".into()));
                    }
                    (Cond::Zero, "amount = 0".to_string())
                }
                _ => {
                    let fen = toml_yuan(v).ok_or_else(|| {
                        err(key, "must be an amount with at most 2 decimals".into())
                    })?;
                    if key == "below" {
                        (Cond::Below(fen), format!("amount < {}", fmt_yuan(fen)))
                    } else {
                        (Cond::Above(fen), format!("amount > {}", fmt_yuan(fen)))
                    }
                }
            }
        }
        _ => {
            if column.kind() != Kind::Date {
                return Err(err(
                    key,
                    format!("`{key}` applies to date columns only (pay_date, birth_date), not `{column}`"),
                ));
            }
            let text = v
                .as_str()
                .map(str::to_string)
                .or_else(|| v.as_datetime().map(ToString::to_string));
            let d = text
                .as_deref()
                .and_then(parse_date)
                .ok_or_else(|| err(key, "must be a date YYYY-MM-DD".into()))?;
            if key == "before" {
                (Cond::Before(d), format!("{column} before {}", fmt_date(d)))
            } else {
                (Cond::After(d), format!("{column} after {}", fmt_date(d)))
            }
        }
    };
    let name = match t.get("name") {
        None => derived,
        Some(n) => n
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| err("name", "must be a non-empty text".into()))?
            .to_string(),
    };
    Ok(Filter { name, column, cond })
}

/// The `[[exclude]]` table that drops rows whose `column` is `value`, for suggestions in messages.
pub fn suggestion(column: Col, value: &str) -> String {
    let v = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("[[exclude]] column = \"{column}\" value = \"{v}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Filters> {
        let doc: toml::Table = toml::from_str(text).expect("toml");
        parse(Path::new("c.toml"), &doc["exclude"])
    }

    #[test]
    fn globs_match_whole_values() {
        let g = Glob::new("GB-****-*******");
        assert!(g.matches("GB-1234-5678901"));
        assert!(g.matches("GB--"));
        assert!(!g.matches("XGB-1234-5678901"));
        assert!(!g.matches("GB-1234"));
        let q = Glob::new("A?C");
        assert!(q.matches("ABC") && q.matches("A元C") && !q.matches("AC") && !q.matches("ABBC"));
        assert!(Glob::new("*").matches(""));
        assert!(Glob::new("*x*y").matches("aaxbbxcy"));
        assert!(!Glob::new("*x*y").matches("aaxbbxc"));
    }

    #[test]
    fn dictionary_columns_match_like_plain_ones() {
        use arrow::array::{ArrayRef, DictionaryArray, Int32Array, StringArray};
        use arrow::datatypes::Int32Type;
        use std::sync::Arc;
        let f = parse_text(
            "[[exclude]]\ncolumn = \"region\"\npattern = \"Direct*\"\n[[exclude]]\ncolumn = \"region\"\nvalue = \"\"\n",
        )
        .expect("ok");
        let keys = vec![Some(0), Some(1), None, Some(2), Some(0), Some(3)];
        let values = vec![Some(" Direct Services"), Some("E0601"), None, Some("  ")];
        let d = DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(keys.clone()),
            Arc::new(StringArray::from(values.clone())),
        )
        .expect("dictionary");
        let dict: ArrayRef = Arc::new(d);
        let dict = Text::from_array(&dict).expect("text");
        assert!(dict.dictionary().is_some());
        let plain: Vec<Option<&str>> = keys
            .iter()
            .map(|k| k.and_then(|k| values[k as usize]))
            .collect();
        let plain: ArrayRef = Arc::new(StringArray::from(plain));
        let plain = Text::from_array(&plain).expect("text");
        for (filter, want) in f.0.iter().zip([
            vec![true, false, false, false, true, false],
            vec![false, false, true, true, false, true],
        ]) {
            assert_eq!(text_hits(filter, &dict, 6), want, "{}", filter.name);
            assert_eq!(text_hits(filter, &plain, 6), want, "{}", filter.name);
        }
    }

    #[test]
    fn flood_suggestions_parse_as_filters() {
        // the filter a flood message suggests (crate::flood) is accepted as written and matches its value
        let text = crate::flood::exclude_filter("payee_name", " 王\"伟 ");
        let f = parse_text(&text).expect("valid filter");
        assert_eq!(f.0[0].column, Col::PayeeName);
        assert!(f.0[0].text_hit(Some("王\"伟")) && !f.0[0].text_hit(Some("王伟")));
    }

    #[test]
    fn filters_compile_with_derived_names() {
        let f = parse_text(
            "[[exclude]]\ncolumn = \"payee_id\"\nvalue = \" GB-0 \"\n[[exclude]]\ncolumn = \"amount\"\nzero = true\n[[exclude]]\nname = \"old\"\ncolumn = \"pay_date\"\nbefore = 2020-01-01\n[[exclude]]\ncolumn = \"amount\"\nbelow = \"-0.01\"\n",
        )
        .expect("ok");
        let names: Vec<&str> = f.0.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["payee_id = \"GB-0\"", "amount = 0", "old", "amount < -0.01"]
        );
        assert_eq!(f.0[3].cond, Cond::Below(-1));
        assert!(f.columns().contains(Col::PayDate) && !f.columns().contains(Col::Account));
    }

    #[test]
    fn config_errors_name_the_key() {
        for (text, key, what) in [
            (
                "[[exclude]]\ncolumn = \"payee\"\nvalue = \"x\"\n",
                "exclude[1].column",
                "unknown canonical column",
            ),
            (
                "[[exclude]]\ncolumn = \"payee_id\"\n",
                "exclude[1]",
                "no condition",
            ),
            (
                "[[exclude]]\ncolumn = \"payee_id\"\nvalue = \"x\"\npattern = \"y*\"\n",
                "exclude[1]",
                "two conditions",
            ),
            (
                "[[exclude]]\ncolumn = \"pay_date\"\nbefore = \"2020-13-01\"\n",
                "exclude[1].before",
                "YYYY-MM-DD",
            ),
            (
                "[[exclude]]\ncolumn = \"payee_id\"\nzero = true\n",
                "exclude[1].zero",
                "amount column only",
            ),
            (
                "[[exclude]]\ncolumn = \"amount\"\nvalue = \"0\"\n",
                "exclude[1].value",
                "needs a text column",
            ),
            (
                "[[exclude]]\ncolumn = \"scheme\"\nafter = \"2020-01-01\"\n",
                "exclude[1].after",
                "date columns only",
            ),
            (
                "[[exclude]]\nvalue = \"x\"\n",
                "exclude[1].column",
                "missing",
            ),
            (
                "[[exclude]]\ncolumn = \"amount\"\nbelow = 0.001\n",
                "exclude[1].below",
                "2 decimals",
            ),
            (
                "[[exclude]]\ncolumn = \"amount\"\nzero = true\nmax = 3\n",
                "exclude[1].max",
                "unknown key",
            ),
            ("exclude = 3\n", "exclude", "array of tables"),
        ] {
            let e = parse_text(text).expect_err(text).to_string();
            assert!(
                e.contains(key) && e.contains(what) && e.contains("c.toml"),
                "{e}"
            );
        }
    }
}
