//! Scheme rules: the `[schemes.CODE]` tables of the config file (see `ledger-schema.md`).
//!
//! Money is converted exactly to fen. A rate is kept in micro-yuan per unit and quantities in 1/10000 units,
//! so `due = round(rate x quantity, 2)` is computed in integers, rounding half away from zero.

use crate::error::{Error, Result};
use crate::money::{decimal_text, div_round_half_away, parse_decimal, toml_yuan};
use crate::period::Frequency;
use std::collections::BTreeMap;
use std::path::Path;

/// Quantities (area in mu, household members, ...) are fixed-point with this many decimals.
pub const QUANTITY_SCALE: u32 = 4;
/// Rates are fixed-point micro-yuan per unit of quantity.
pub const RATE_SCALE: u32 = 6;

/// One age band of a scheme whose due amount depends on age (inclusive bounds; `None` is an open end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeBand {
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    pub amount_fen: i64,
}

/// The rules of one subsidy scheme. Every key is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scheme {
    pub code: String,
    pub frequency: Option<Frequency>,
    /// Rate per unit of quantity, in micro-yuan (`118.00` -> 118_000_000).
    pub rate_micro: Option<i64>,
    /// Fixed amount due each period.
    pub amount_fen: Option<i64>,
    pub bands: Vec<AgeBand>,
    pub max_amount_fen: Option<i64>,
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    pub approval_threshold_fen: Option<i64>,
    /// Allowed difference between paid and due (default 0).
    pub tolerance_fen: i64,
}

/// Every scheme of a config, by code (sorted, so iteration is deterministic).
pub type Schemes = BTreeMap<String, Scheme>;

const KEYS: &[&str] = &[
    "frequency",
    "rate",
    "amount",
    "bands",
    "max_amount",
    "min_age",
    "max_age",
    "approval_threshold",
    "tolerance",
];

impl Scheme {
    /// The amount due for one period: `rate x quantity` when the scheme has a rate and the row a quantity,
    /// else the fixed `amount`, else the age band's amount. `None` when the scheme rules cannot say.
    /// `quantity_e4` is the quantity in 1/10000 units.
    pub fn due_fen(&self, quantity_e4: Option<i64>, age: Option<u32>) -> Option<i64> {
        if let (Some(rate), Some(q)) = (self.rate_micro, quantity_e4) {
            // micro-yuan x 1e-4 units = 1e-10 yuan = 1e-8 fen
            let due = div_round_half_away(i128::from(rate) * i128::from(q), 100_000_000);
            return i64::try_from(due).ok();
        }
        if let Some(a) = self.amount_fen {
            return Some(a);
        }
        let age = age?;
        self.bands
            .iter()
            .find(|b| b.min_age.is_none_or(|m| age >= m) && b.max_age.is_none_or(|m| age <= m))
            .map(|b| b.amount_fen)
    }

    /// Whether the scheme rules fix the amount regardless of the payee (a fixed amount or age bands), so a
    /// round amount is no sign of invention.
    pub fn is_amount_fixed(&self) -> bool {
        self.rate_micro.is_none() && (self.amount_fen.is_some() || !self.bands.is_empty())
    }
}

/// Parses the `schemes` table of a config file. `path` names the file in errors.
pub fn parse_schemes(path: &Path, table: &toml::Table) -> Result<Schemes> {
    let mut out = Schemes::new();
    for (code, value) in table {
        let at = |key: &str| format!("schemes.{code}.{key}");
        let toml::Value::Table(t) = value else {
            return Err(Error::config(
                path,
                format!("schemes.{code}"),
                "must be a table",
            ));
        };
        let mut s = Scheme {
            code: code.clone(),
            ..Scheme::default()
        };
        for (key, v) in t {
            let money = || {
                toml_yuan(v).ok_or_else(|| {
                    Error::config(
                        path,
                        at(key),
                        "must be an amount in yuan with at most 2 decimals",
                    )
                })
            };
            let age = || -> Result<u32> {
                v.as_integer()
                    .and_then(|i| u32::try_from(i).ok())
                    .filter(|a| *a <= 150)
                    .ok_or_else(|| {
                        Error::config(path, at(key), "must be an age in years (0..=150)")
                    })
            };
            match key.as_str() {
                "frequency" => {
                    s.frequency = Some(match v.as_str() {
                        Some("monthly") => Frequency::Monthly,
                        Some("quarterly") => Frequency::Quarterly,
                        Some("yearly") => Frequency::Yearly,
                        _ => {
                            return Err(Error::config(
                                path,
                                at(key),
                                "must be \"monthly\", \"quarterly\" or \"yearly\"",
                            ))
                        }
                    });
                }
                "rate" => {
                    s.rate_micro = Some(
                        decimal_text(v)
                            .and_then(|t| parse_decimal(&t, RATE_SCALE))
                            .filter(|r| *r >= 0)
                            .ok_or_else(|| {
                                Error::config(
                                    path,
                                    at(key),
                                    "must be a non-negative rate with at most 6 decimals",
                                )
                            })?,
                    );
                }
                "amount" => s.amount_fen = Some(money()?),
                "max_amount" => s.max_amount_fen = Some(money()?),
                "approval_threshold" => s.approval_threshold_fen = Some(money()?),
                "tolerance" => s.tolerance_fen = money()?,
                "min_age" => s.min_age = Some(age()?),
                "max_age" => s.max_age = Some(age()?),
                "bands" => s.bands = parse_bands(path, &at(key), v)?,
                other => {
                    return Err(Error::config(
                        path,
                        at(other),
                        format!("unknown scheme key (expected one of: {})", KEYS.join(", ")),
                    ))
                }
            }
        }
        out.insert(code.clone(), s);
    }
    Ok(out)
}

fn parse_bands(path: &Path, at: &str, v: &toml::Value) -> Result<Vec<AgeBand>> {
    let err = |m: &str| Error::config(path, at, m.to_string());
    let arr = v
        .as_array()
        .ok_or_else(|| err("must be an array of { min_age, max_age, amount } tables"))?;
    let mut bands = Vec::with_capacity(arr.len());
    for (i, b) in arr.iter().enumerate() {
        let t = b
            .as_table()
            .ok_or_else(|| err("each band must be a table"))?;
        let mut band = AgeBand {
            min_age: None,
            max_age: None,
            amount_fen: 0,
        };
        let mut has_amount = false;
        for (k, x) in t {
            let key = format!("{at}[{i}].{k}");
            match k.as_str() {
                "min_age" | "max_age" => {
                    let a = x
                        .as_integer()
                        .and_then(|a| u32::try_from(a).ok())
                        .ok_or_else(|| Error::config(path, &key, "must be an age in years"))?;
                    if k == "min_age" {
                        band.min_age = Some(a);
                    } else {
                        band.max_age = Some(a);
                    }
                }
                "amount" => {
                    band.amount_fen = toml_yuan(x).ok_or_else(|| {
                        Error::config(
                            path,
                            &key,
                            "must be an amount in yuan with at most 2 decimals",
                        )
                    })?;
                    has_amount = true;
                }
                _ => {
                    return Err(Error::config(
                        path,
                        &key,
                        "unknown band key (expected min_age, max_age, amount)",
                    ))
                }
            }
        }
        if !has_amount {
            return Err(Error::config(
                path,
                format!("{at}[{i}]"),
                "band lacks `amount`",
            ));
        }
        bands.push(band);
    }
    Ok(bands)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Schemes> {
        let doc: toml::Table = toml::from_str(text).expect("test toml");
        let t = doc
            .get("schemes")
            .and_then(toml::Value::as_table)
            .cloned()
            .unwrap_or_default();
        parse_schemes(Path::new("t.toml"), &t)
    }

    #[test]
    fn parses_the_schema_example() {
        let s = parse(
            r#"
[schemes.FARMLAND]
frequency = "yearly"
rate = 118.00
max_amount = 12000.00
approval_threshold = 5000.00
[schemes.ELDERLY]
frequency = "monthly"
min_age = 80
max_amount = 500.00
bands = [
  { min_age = 80, max_age = 89, amount = 100.00 },
  { min_age = 90, max_age = 99, amount = 200.00 },
  { min_age = 100, amount = 500.00 },
]
[schemes.TEKUN]
frequency = "quarterly"
amount = 1800.00
"#,
        )
        .expect("valid");
        let f = &s["FARMLAND"];
        assert_eq!(f.rate_micro, Some(118_000_000));
        assert_eq!(f.due_fen(Some(12_3500), None), Some(145_730)); // 118 x 12.35 = 1457.30
        assert_eq!(f.approval_threshold_fen, Some(500_000));
        let e = &s["ELDERLY"];
        assert_eq!(e.due_fen(None, Some(85)), Some(10_000));
        assert_eq!(e.due_fen(None, Some(101)), Some(50_000));
        assert_eq!(e.due_fen(None, Some(70)), None);
        assert!(e.is_amount_fixed());
        assert_eq!(s["TEKUN"].due_fen(None, None), Some(180_000));
    }

    #[test]
    fn due_rounds_half_away_from_zero() {
        let s = Scheme {
            rate_micro: Some(16_500_000),
            ..Scheme::default()
        }; // 16.5 per mu
        assert_eq!(s.due_fen(Some(3), None), Some(0)); // 0.0003 mu -> 0.00495 yuan -> 0.00
        assert_eq!(s.due_fen(Some(1_0003), None), Some(1650)); // 1.0003 x 16.5 = 16.50495
        assert_eq!(s.due_fen(Some(1_0007), None), Some(1651)); // 16.51155
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = parse("[schemes.X]\nfrequncy = \"yearly\"\n").expect_err("unknown key");
        assert!(e.to_string().contains("schemes.X.frequncy"), "{e}");
        let e = parse("[schemes.X]\nfrequency = \"daily\"\n").expect_err("bad value");
        assert!(e.to_string().contains("schemes.X.frequency"), "{e}");
        let e = parse("[schemes.X]\namount = 1.234\n").expect_err("too many decimals");
        assert!(e.to_string().contains("schemes.X.amount"), "{e}");
        let e = parse("[schemes.X]\nbands = [{ min_age = 1, amout = 3 }]\n").expect_err("band key");
        assert!(e.to_string().contains("schemes.X.bands[0].amout"), "{e}");
    }
}
