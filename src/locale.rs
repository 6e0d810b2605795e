//! The config's `[locale]` table: the currency every output names, the identity-number scheme, and the region
//! hierarchy that county and township units are taken from.
//!
//! ```toml
//! [locale]
//! currency = "GBP"          # default "yuan": the word or symbol written after every amount
//! id_scheme = "none"        # default "gb11643": resident ids (GHO001, birth dates taken from ids)
//! region = "none"           # default "gb12": 12-digit codes, county = first 6, township = first 9
//! lang = "zh"               # default "en": the terminal summary, the workbook and the page in Chinese
//! # or a table:
//! # [locale.region]
//! # levels = [2, 4]         # county = first 2 characters, township = first 4
//! ```
//!
//! A region code that does not fit the hierarchy (under the default: not 12 ASCII digits; under `levels`:
//! shorter than the level) belongs to no county or township unit: it is never cut into a partial unit such as
//! `Direct Se`. Such rows still count for every rule that reads the whole code (AMT003's villages, DUP004), are
//! left out of the county and township tests (DIG001, DIG002, DIG004) and of AMT004's county peer groups, and
//! are counted in `summary.json` (`region_codes_outside_hierarchy`).

use crate::error::{Error, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// The default currency word: outputs with the default locale are unchanged.
pub const DEFAULT_CURRENCY: &str = "yuan";

/// The currency written after amounts (`12.50 GBP`). Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency(Arc<str>);

impl Default for Currency {
    fn default() -> Self {
        Self(Arc::from(DEFAULT_CURRENCY))
    }
}

impl Currency {
    pub fn new(s: &str) -> Self {
        Self(Arc::from(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_default(&self) -> bool {
        &*self.0 == DEFAULT_CURRENCY
    }
    /// The currency word in Chinese text: `元` for the default `yuan`, the code as configured otherwise.
    pub fn zh(&self) -> &str {
        if self.is_default() {
            "元"
        } else {
            &self.0
        }
    }
    /// `1234.56 GBP` for 123456 hundredths.
    pub fn fmt(&self, fen: i64) -> String {
        let mut s = crate::money::fmt_yuan(fen);
        let _ = write!(s, " {}", self.0);
        s
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How payee ids are read: resident identity numbers (GB 11643-1999, the default: GHO001 checks them, birth
/// dates are read from them, their forms are one key) or `none` (opaque ids compared as written).
pub use crate::ident::IdScheme;

/// The region hierarchy: how a region code gives its county and township.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RegionScheme {
    /// 12-digit codes (GB/T 2260 + township and village): county = first 6 digits, township = first 9.
    #[default]
    Gb12,
    /// County = the first `county` characters, township = the first `township` (when given).
    Prefixes {
        county: usize,
        township: Option<usize>,
    },
    /// County (and township) taken from columns of the ledger (`county_column`, `township_column`: the
    /// ledger's names, mapped to the canonical `county` and `township`).
    Columns {
        county: String,
        township: Option<String>,
    },
    /// No hierarchy: no county or township units.
    None,
}

impl RegionScheme {
    /// The county (`township == false`) or township unit of a region code, or `None` when the code does not
    /// fit the hierarchy. Never a partial cut of a code that does not fit.
    pub fn unit<'a>(&self, code: &'a str, township: bool) -> Option<&'a str> {
        let code = code.trim();
        match self {
            Self::Gb12 => {
                let fits = code.len() == 12 && code.bytes().all(|b| b.is_ascii_digit());
                fits.then(|| &code[..if township { 9 } else { 6 }])
            }
            Self::Prefixes {
                county,
                township: t,
            } => {
                let n = if township { (*t)? } else { *county };
                prefix_chars(code, n)
            }
            Self::Columns { .. } | Self::None => None,
        }
    }

    /// The county or township unit of batch row `i`: cut from its region code, or read from the county and
    /// township columns. `None` when the row has no such unit.
    pub fn unit_of_row<'b>(
        &self,
        b: &'b crate::ledger::batch::Batch,
        i: usize,
        township: bool,
    ) -> Option<&'b str> {
        use crate::ledger::column::Col;
        match self {
            Self::Columns { .. } => b
                .text(if township { Col::Township } else { Col::County }, i)
                .map(str::trim)
                .filter(|s| !s.is_empty()),
            _ => self.unit(b.text(Col::Region, i)?, township),
        }
    }

    /// The county or township unit of an evidence row.
    pub fn unit_of_evidence<'b>(
        &self,
        row: &'b crate::finding::EvidenceRow,
        township: bool,
    ) -> Option<&'b str> {
        match self {
            Self::Columns { .. } => if township { &row.township } else { &row.county }
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty()),
            _ => self.unit(&row.region, township),
        }
    }

    /// Whether units come from the county and township columns rather than the region code.
    pub fn from_columns(&self) -> bool {
        matches!(self, Self::Columns { .. })
    }

    /// Whether a non-empty code fits every level of the hierarchy (`None` has no level, so nothing fits).
    pub fn fits(&self, code: &str) -> bool {
        match self {
            Self::None | Self::Columns { .. } => true,
            Self::Prefixes { township: None, .. } => self.unit(code, false).is_some(),
            _ => self.unit(code, true).is_some(),
        }
    }

    pub fn has_townships(&self) -> bool {
        match self {
            Self::Gb12 => true,
            Self::Prefixes { township, .. } => township.is_some(),
            Self::Columns { township, .. } => township.is_some(),
            Self::None => false,
        }
    }

    pub fn has_counties(&self) -> bool {
        *self != Self::None
    }

    /// How `check` and the docs describe it.
    pub fn describe(&self) -> String {
        match self {
            Self::Gb12 => "12-digit codes: county = first 6, township = first 9".into(),
            Self::Prefixes {
                county,
                township: Some(t),
            } => format!("county = first {county} characters, township = first {t}"),
            Self::Prefixes {
                county,
                township: None,
            } => format!("county = first {county} characters, no township level"),
            Self::Columns {
                county,
                township: Some(t),
            } => format!("county = column `{county}`, township = column `{t}`"),
            Self::Columns {
                county,
                township: None,
            } => format!("county = column `{county}`, no township level"),
            Self::None => "none: no county or township units".into(),
        }
    }
}

/// The first `n` characters of `code`, when it has at least `n`.
fn prefix_chars(code: &str, n: usize) -> Option<&str> {
    if n == 0 {
        return None;
    }
    match code.char_indices().nth(n) {
        Some((at, _)) => Some(&code[..at]),
        None => (code.chars().count() == n).then_some(code),
    }
}

/// The `[locale]` settings of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locale {
    pub currency: Currency,
    pub id_scheme: IdScheme,
    pub region: RegionScheme,
    /// The language of the reports people read (`lang`; `--lang` overrides it).
    pub lang: crate::lang::Lang,
}

impl Locale {
    /// Parses the `[locale]` table; errors name the config file and the key.
    pub fn parse(path: &Path, value: &toml::Value) -> Result<Self> {
        let t = value
            .as_table()
            .ok_or_else(|| Error::config(path, "locale", "must be a table"))?;
        let mut l = Self::default();
        for (k, v) in t {
            let at = format!("locale.{k}");
            match k.as_str() {
                "currency" => {
                    let c = v
                        .as_str()
                        .map(str::trim)
                        .filter(|s| !s.is_empty() && s.chars().count() <= 16)
                        .ok_or_else(|| {
                            Error::config(
                                path,
                                &at,
                                "must be a currency word or symbol (text, 1-16 characters), e.g. \"GBP\" or \"元\"",
                            )
                        })?;
                    l.currency = Currency::new(c);
                }
                "id_scheme" => {
                    l.id_scheme = match v.as_str() {
                        Some("gb11643") => IdScheme::Gb11643,
                        Some("none") => IdScheme::None,
                        _ => {
                            return Err(Error::config(
                                path,
                                at,
                                "must be \"gb11643\" (resident identity numbers) or \"none\"",
                            ))
                        }
                    }
                }
                "region" => l.region = parse_region(path, v)?,
                "lang" => {
                    l.lang = v.as_str().and_then(crate::lang::Lang::parse).ok_or_else(|| {
                        Error::config(
                            path,
                            at,
                            "must be \"en\" or \"zh\" (the language of the terminal summary, the workbook and the page)",
                        )
                    })?;
                }
                _ => {
                    return Err(Error::config(
                        path,
                        at,
                        "unknown key (expected currency, id_scheme, region, lang)",
                    ))
                }
            }
        }
        Ok(l)
    }
}

fn parse_region(path: &Path, v: &toml::Value) -> Result<RegionScheme> {
    if let Some(s) = v.as_str() {
        return match s {
            "gb12" => Ok(RegionScheme::Gb12),
            "none" => Ok(RegionScheme::None),
            _ => Err(Error::config(
                path,
                "locale.region",
                "must be \"gb12\", \"none\" or a table with levels = [county, township]",
            )),
        };
    }
    let t = v.as_table().ok_or_else(|| {
        Error::config(
            path,
            "locale.region",
            "must be \"gb12\", \"none\" or a table with levels = [county, township]",
        )
    })?;
    let mut out = None;
    let (mut county, mut township) = (None, None);
    for (k, v) in t {
        let at = format!("locale.region.{k}");
        match k.as_str() {
            "county_column" | "township_column" => {
                let name = v
                    .as_str()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| Error::config(path, &at, "must be a column name (text)"))?
                    .to_string();
                if k == "county_column" {
                    county = Some(name);
                } else {
                    township = Some(name);
                }
            }
            "levels" => {
                let bad = || {
                    Error::config(
                        path,
                        &at,
                        "must be one or two increasing prefix lengths in characters, e.g. [2, 4]",
                    )
                };
                let n: Vec<usize> = v
                    .as_array()
                    .ok_or_else(bad)?
                    .iter()
                    .map(|x| {
                        x.as_integer()
                            .and_then(|i| usize::try_from(i).ok())
                            .filter(|i| (1..=64).contains(i))
                    })
                    .collect::<Option<_>>()
                    .ok_or_else(bad)?;
                out = Some(match n.as_slice() {
                    [c] => RegionScheme::Prefixes {
                        county: *c,
                        township: None,
                    },
                    [c, t] if c < t => RegionScheme::Prefixes {
                        county: *c,
                        township: Some(*t),
                    },
                    _ => return Err(bad()),
                });
            }
            _ => {
                return Err(Error::config(
                    path,
                    at,
                    "unknown key (expected levels, or county_column and township_column)",
                ))
            }
        }
    }
    match (county, township, &out) {
        (Some(_), _, Some(_)) | (None, Some(_), Some(_)) => {
            return Err(Error::config(
                path,
                "locale.region",
                "give levels or county_column (and township_column), not both",
            ))
        }
        (Some(county), township, None) => return Ok(RegionScheme::Columns { county, township }),
        (None, Some(_), None) => {
            return Err(Error::config(
                path,
                "locale.region.township_column",
                "needs county_column too",
            ))
        }
        _ => {}
    }
    out.ok_or_else(|| {
        Error::config(
            path,
            "locale.region",
            "needs levels = [county, township] (prefix lengths in characters)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Locale> {
        let doc: toml::Table = toml::from_str(text).expect("toml");
        Locale::parse(Path::new("c.toml"), &doc["locale"])
    }

    #[test]
    fn default_hierarchy_never_cuts_codes_that_do_not_fit() {
        let r = RegionScheme::Gb12;
        assert_eq!(r.unit("110105001002", false), Some("110105"));
        assert_eq!(r.unit(" 110105001002 ", true), Some("110105001"));
        for code in [
            "Direct Services",
            "E0601",
            "11010500100",
            "1101050010021",
            "11010500100x",
            "",
        ] {
            assert_eq!(r.unit(code, false), None, "{code}");
            assert_eq!(r.unit(code, true), None, "{code}");
            assert!(!r.fits(code));
        }
    }

    #[test]
    fn prefix_levels_count_characters() {
        let r = parse("[locale.region]\nlevels = [2, 4]\n")
            .expect("ok")
            .region;
        assert_eq!(r.unit("E0601", false), Some("E0"));
        assert_eq!(r.unit("E0601", true), Some("E060"));
        assert_eq!(r.unit("E06", true), None);
        assert_eq!(r.unit("E06", false), Some("E0"));
        assert_eq!(r.unit("东城区一", true), Some("东城区一"));
        assert_eq!(r.unit("东城", false), Some("东城"));
        assert!(r.fits("E060"));
        assert!(!r.fits("E06"));
        let one = parse("[locale.region]\nlevels = [3]\n").expect("ok").region;
        assert_eq!(one.unit("E0601", true), None);
        assert!(one.fits("E06") && !one.has_townships());
    }

    #[test]
    fn parses_and_names_bad_keys() {
        let l = parse("[locale]\ncurrency = \"GBP\"\nid_scheme = \"none\"\nregion = \"none\"\n")
            .expect("ok");
        assert_eq!(l.currency.fmt(-1234), "-12.34 GBP");
        assert_eq!(l.id_scheme, IdScheme::None);
        assert_eq!(l.region, RegionScheme::None);
        assert_eq!(Locale::default().currency.fmt(5), "0.05 yuan");
        for (text, key) in [
            ("[locale]\ncurrency = \"\"\n", "locale.currency"),
            ("[locale]\nid_scheme = \"ssn\"\n", "locale.id_scheme"),
            ("[locale]\nregion = \"nuts\"\n", "locale.region"),
            ("[locale]\nlang = 1\n", "locale.lang"),
            ("[locale.region]\nlevels = [4, 2]\n", "locale.region.levels"),
            ("[locale.region]\nlevels = [0]\n", "locale.region.levels"),
            ("[locale.region]\ncounty = 2\n", "locale.region.county"),
            (
                "[locale.region]\ntownship_column = \"w\"\n",
                "locale.region.township_column",
            ),
            (
                "[locale.region]\nlevels = [2]\ncounty_column = \"d\"\n",
                "locale.region",
            ),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.to_string().contains(key), "{e} lacks {key}");
            assert!(e.to_string().contains("c.toml"), "{e}");
        }
    }
}
