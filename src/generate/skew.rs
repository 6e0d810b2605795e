//! Skewed variants of a generated ledger, for the skew tests and `scripts/bench-skew.sh`: the same rows with
//! one key column made constant (a placeholder card number, a collective account, a placeholder id, a common
//! name), every amount equal, one payee paid into 100,000 accounts, or one account shared by 100,000 payees.
//!
//! `subsidy-audit skew --from DIR --out DIR --kind KIND` (a hidden command) reads the ledger files of a generated
//! folder and writes the variant, row for row, with the folder's other files copied alongside.

use crate::error::{Error, Result};
use crate::ident::{id_check_char, luhn_check_digit};
use arrow::array::{Array, ArrayRef, Decimal128Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;
use std::sync::Arc;

/// The skews: a column made constant (its name), `amount` (every amount 100.00), `one_payee` (every other row
/// paid to one payee, each into an account of its own) and `one_account` (every other row paid into one
/// account, each by a payee of its own).
pub const SKEWS: &[&str] = &[
    "account",
    "payee_id",
    "payee_name",
    "officer_id",
    "region",
    "scheme",
    "period",
    "amount",
    "one_payee",
    "one_account",
];

/// The placeholder account of the skews (a valid 19-digit card number).
pub fn placeholder_account() -> String {
    card(0)
}

/// The placeholder payee id of the skews: born 1950-01-01, with a wrong check character (9 is right), as typed
/// placeholders often have, so GHO001 flags it once.
pub const PLACEHOLDER_ID: &str = "110101195001011236";
/// The common name of the `payee_name` skew.
pub const PLACEHOLDER_NAME: &str = "王伟";

/// A valid 19-digit card number of its own for `n`.
fn card(n: u64) -> String {
    let body = format!("621799{n:012}");
    let d = luhn_check_digit(body.as_bytes()).unwrap_or(b'0');
    format!("{body}{}", char::from(d))
}

/// A valid resident id of its own for `n` (below 36,500,000): born on one of 36,500 days from 1930, serial
/// `n % 1000`.
fn resident_id(n: u64) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(1930, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(n / 1000 % 36_500)))
        .unwrap_or_default();
    let body = format!("110101{}{:03}", day.format("%Y%m%d"), n % 1000);
    let c = id_check_char(body.as_bytes()).unwrap_or(b'0');
    format!("{body}{}", char::from(c))
}

fn constant(n: usize, v: &str) -> ArrayRef {
    Arc::new(StringArray::from(vec![v; n]))
}

/// `b` (its first row being row `start` of the ledger) with the skew `kind` applied.
pub fn apply(b: &RecordBatch, start: u64, kind: &str) -> Result<RecordBatch> {
    let n = b.num_rows();
    let schema = b.schema();
    let mut cols: Vec<ArrayRef> = b.columns().to_vec();
    let idx = |name: &str| {
        schema
            .index_of(name)
            .map_err(|_| Error::Usage(format!("skew {kind}: the ledger has no column {name}")))
    };
    // every other row (even ledger row numbers), with its ledger row number
    let every_other = |f: &dyn Fn(u64) -> String, col: &ArrayRef| -> ArrayRef {
        let old = col.as_any().downcast_ref::<StringArray>();
        Arc::new(
            (0..n)
                .map(|i| {
                    let row = start + i as u64;
                    if row.is_multiple_of(2) {
                        Some(f(row / 2))
                    } else {
                        old.and_then(|a| (!a.is_null(i)).then(|| a.value(i).to_string()))
                    }
                })
                .collect::<StringArray>(),
        )
    };
    match kind {
        "account" => cols[idx("account")?] = constant(n, &placeholder_account()),
        "payee_id" => cols[idx("payee_id")?] = constant(n, PLACEHOLDER_ID),
        "payee_name" => cols[idx("payee_name")?] = constant(n, PLACEHOLDER_NAME),
        "officer_id" => cols[idx("officer_id")?] = constant(n, "OFFICER-0"),
        "region" => cols[idx("region")?] = constant(n, "110101001001"),
        "scheme" => cols[idx("scheme")?] = constant(n, "ELDERLY"),
        "period" => cols[idx("period")?] = constant(n, "2024-01"),
        "amount" => {
            let i = idx("amount")?;
            let (p, s) = match cols[i].data_type() {
                arrow::datatypes::DataType::Decimal128(p, s) => (*p, *s),
                t => return Err(Error::Usage(format!("skew amount: amount is {t}"))),
            };
            let v = 10_000i128 * 10i128.pow(u32::from(s.unsigned_abs())) / 100;
            cols[i] = Arc::new(
                Decimal128Array::from(vec![v; n])
                    .with_precision_and_scale(p, s)
                    .map_err(|e| Error::Usage(e.to_string()))?,
            );
        }
        "one_payee" => {
            let (p, nm, a) = (idx("payee_id")?, idx("payee_name")?, idx("account")?);
            cols[p] = every_other(&|_| PLACEHOLDER_ID.to_string(), &cols[p]);
            cols[nm] = every_other(&|_| PLACEHOLDER_NAME.to_string(), &cols[nm]);
            cols[a] = every_other(&|k| card(k + 1), &cols[a]);
        }
        "one_account" => {
            let (p, a) = (idx("payee_id")?, idx("account")?);
            // a payee of its own on each row: the row's payee id with the sequence number made the row's
            // (the same birth date and county, so the scheme rules hold as before)
            let old = cols[p].as_any().downcast_ref::<StringArray>().cloned();
            let fresh = |i: usize, k: u64| -> String {
                let id = old
                    .as_ref()
                    .filter(|a| !a.is_null(i))
                    .map(|a| a.value(i))
                    .filter(|v| v.len() == 18 && v.is_ascii())
                    .map_or_else(
                        || resident_id(k),
                        |v| {
                            let body = format!("{}{:03}", &v[..14], k % 1000);
                            let c = id_check_char(body.as_bytes()).unwrap_or(b'0');
                            format!("{body}{}", char::from(c))
                        },
                    );
                id
            };
            cols[p] = Arc::new(
                (0..n)
                    .map(|i| {
                        let row = start + i as u64;
                        if row.is_multiple_of(2) {
                            Some(fresh(i, row / 2))
                        } else {
                            old.as_ref()
                                .and_then(|a| (!a.is_null(i)).then(|| a.value(i).to_string()))
                        }
                    })
                    .collect::<StringArray>(),
            );
            cols[a] = every_other(&|_| placeholder_account(), &cols[a]);
        }
        _ => {
            return Err(Error::Usage(format!(
                "unknown skew {kind} (known: {})",
                SKEWS.join(", ")
            )))
        }
    }
    RecordBatch::try_new(schema, cols).map_err(|e| Error::Usage(e.to_string()))
}

/// Writes the variant `kind` of the generated folder `from` into `to`: `ledger/part-*.parquet` skewed row for
/// row, the other files of `from` (reference tables, `schemes.toml`) copied. Returns the rows written.
pub fn write_variant(from: &Path, to: &Path, kind: &str) -> Result<u64> {
    if !SKEWS.contains(&kind) {
        return Err(Error::Usage(format!(
            "unknown skew {kind} (known: {})",
            SKEWS.join(", ")
        )));
    }
    let src = from.join("ledger");
    let dst = to.join("ledger");
    std::fs::create_dir_all(&dst).map_err(|e| Error::io(&dst, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let p = entry.map_err(|e| Error::io(from, e))?.path();
        if p.is_file() {
            if let Some(name) = p.file_name() {
                let q = to.join(name);
                std::fs::copy(&p, &q).map_err(|e| Error::io(&q, e))?;
            }
        }
    }
    let mut parts: Vec<_> = std::fs::read_dir(&src)
        .map_err(|e| Error::io(&src, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    parts.sort();
    let mut start = 0u64;
    for p in parts {
        let f = std::fs::File::open(&p).map_err(|e| Error::io(&p, e))?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| Error::output(&p, e))?;
        let rg = builder
            .metadata()
            .row_groups()
            .first()
            .map_or(super::DEFAULT_ROW_GROUP_ROWS, |g| {
                usize::try_from(g.num_rows()).unwrap_or(super::DEFAULT_ROW_GROUP_ROWS)
            });
        let schema = builder.schema().clone();
        let reader = builder.build().map_err(|e| Error::output(&p, e))?;
        let q = dst.join(p.file_name().unwrap_or_default());
        let mut w = super::writer(&q, schema, rg.max(1))?;
        for b in reader {
            let b = b.map_err(|e| Error::output(&p, e))?;
            let n = b.num_rows() as u64;
            super::write(&mut w, &q, &apply(&b, start, kind)?)?;
            start += n;
        }
        super::close(w, &q)?;
    }
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::{is_luhn_valid, is_valid_id18};

    #[test]
    fn placeholders_are_valid() {
        assert!(!is_valid_id18(PLACEHOLDER_ID));
        assert!(is_valid_id18("110101195001011239"));
        assert!(is_luhn_valid(&placeholder_account()));
        assert!(is_luhn_valid(&card(99_999)));
        let ids: std::collections::BTreeSet<String> = (0..100_000).map(resident_id).collect();
        assert_eq!(ids.len(), 100_000);
        assert!(ids.iter().all(|i| is_valid_id18(i)));
    }
}
