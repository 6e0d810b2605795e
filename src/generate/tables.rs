//! Arrow schemas of the generated files and the conversion of a generated chunk into record batches.

use super::chunk::{period_text, Chunk, SCHEME_CODES, STATUS};
use arrow::array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::NaiveDate;
use std::sync::Arc;

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

pub fn ledger_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("txn_id", false),
        utf8("scheme", false),
        utf8("period", false),
        Field::new("pay_date", DataType::Date32, false),
        utf8("region", false),
        utf8("payee_id", false),
        utf8("payee_name", false),
        utf8("account", false),
        Field::new("amount", DataType::Decimal128(14, 2), false),
        Field::new("quantity", DataType::Decimal128(12, 2), true),
        utf8("officer_id", false),
        utf8("status", false),
        utf8("household_id", false),
    ]))
}

pub fn registry_schema() -> SchemaRef {
    Arc::new(Schema::new(
        [
            "payee_id",
            "payee_name",
            "region",
            "account",
            "scheme",
            "household_id",
        ]
        .map(|n| utf8(n, false))
        .to_vec(),
    ))
}

pub fn deaths_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("payee_id", false),
        Field::new("death_date", DataType::Date32, false),
    ]))
}

pub fn officials_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("person_id", false),
        utf8("name", false),
        utf8("region", false),
        utf8("account", true),
        utf8("role", true),
        utf8("household_id", false),
        utf8("relative_of", true),
    ]))
}

pub fn truth_schema() -> SchemaRef {
    Arc::new(Schema::new(
        ["kind", "txn_id", "subject", "detail"]
            .map(|n| utf8(n, false))
            .to_vec(),
    ))
}

pub fn days(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    (d - epoch).num_days() as i32
}

fn strings<I: IntoIterator<Item = S>, S: AsRef<str>>(it: I) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(it))
}

fn decimal(values: Vec<Option<i128>>, p: u8) -> arrow::error::Result<ArrayRef> {
    Ok(Arc::new(
        Decimal128Array::from(values).with_precision_and_scale(p, 2)?,
    ))
}

/// The batches of one chunk: ledger, registry, deaths, officials, truth. `first_txn` numbers its rows.
pub struct Batches {
    pub ledger: RecordBatch,
    pub registry: RecordBatch,
    pub deaths: RecordBatch,
    pub officials: RecordBatch,
    pub truth: RecordBatch,
}

pub fn batches(ch: &Chunk, first_txn: u64) -> arrow::error::Result<Batches> {
    let rows = &ch.rows;
    let person = |i: u32| &ch.persons[i as usize];
    let txn: Vec<String> = (0..rows.len())
        .map(|i| format!("T{:012}", first_txn + i as u64))
        .collect();
    let ledger = RecordBatch::try_new(
        ledger_schema(),
        vec![
            strings(&txn),
            strings(rows.iter().map(|r| SCHEME_CODES[r.scheme as usize])),
            strings(rows.iter().map(|r| period_text(r.period))),
            Arc::new(Date32Array::from_iter_values(
                rows.iter().map(|r| days(r.pay_date)),
            )),
            strings(rows.iter().map(|r| &ch.villages[r.village as usize].code)),
            strings(rows.iter().map(|r| &person(r.person).id)),
            strings(rows.iter().map(|r| &person(r.person).name)),
            strings(rows.iter().map(|r| &ch.accounts[r.account as usize])),
            decimal(
                rows.iter().map(|r| Some(i128::from(r.amount))).collect(),
                14,
            )?,
            decimal(
                rows.iter().map(|r| r.quantity.map(i128::from)).collect(),
                12,
            )?,
            strings(rows.iter().map(|r| &person(r.officer).id)),
            strings(rows.iter().map(|r| STATUS[r.status as usize])),
            strings(rows.iter().map(|r| &person(r.person).household)),
        ],
    )?;
    let reg = &ch.registry;
    let account = |p: u32| {
        person(p)
            .account
            .map_or("", |a| ch.accounts[a as usize].as_str())
    };
    let registry = RecordBatch::try_new(
        registry_schema(),
        vec![
            strings(reg.iter().map(|(p, _)| &person(*p).id)),
            strings(reg.iter().map(|(p, _)| &person(*p).name)),
            strings(
                reg.iter()
                    .map(|(p, _)| &ch.villages[person(*p).village as usize].code),
            ),
            strings(reg.iter().map(|(p, _)| account(*p))),
            strings(reg.iter().map(|(_, s)| SCHEME_CODES[*s as usize])),
            strings(reg.iter().map(|(p, _)| &person(*p).household)),
        ],
    )?;
    let deaths = RecordBatch::try_new(
        deaths_schema(),
        vec![
            strings(ch.deaths.iter().map(|(id, _)| id)),
            Arc::new(Date32Array::from_iter_values(
                ch.deaths.iter().map(|(_, d)| days(*d)),
            )),
        ],
    )?;
    let off = &ch.officials;
    let officials = RecordBatch::try_new(
        officials_schema(),
        vec![
            strings(off.iter().map(|o| &person(o.person).id)),
            strings(off.iter().map(|o| &person(o.person).name)),
            strings(
                off.iter()
                    .map(|o| &ch.villages[person(o.person).village as usize].code),
            ),
            Arc::new(
                off.iter()
                    .map(|o| o.with_account.then(|| account(o.person)))
                    .collect::<StringArray>(),
            ),
            Arc::new(off.iter().map(|o| o.role).collect::<StringArray>()),
            strings(off.iter().map(|o| &person(o.person).household)),
            Arc::new(
                off.iter()
                    .map(|o| o.relative_of.map(|p| person(p).id.as_str()))
                    .collect::<StringArray>(),
            ),
        ],
    )?;
    // truth: one row per planted payment, grouped by tag in tag order, payments in ledger order
    let mut by_tag: Vec<Vec<usize>> = vec![Vec::new(); ch.tags.len()];
    for (i, r) in rows.iter().enumerate() {
        if r.tag > 0 {
            by_tag[r.tag as usize - 1].push(i);
        }
    }
    let mut kind = Vec::new();
    let mut tx = Vec::new();
    let mut subject = Vec::new();
    let mut detail = Vec::new();
    for (t, idx) in ch.tags.iter().zip(&by_tag) {
        for &i in idx {
            kind.push(super::KINDS[t.kind]);
            tx.push(txn[i].as_str());
            subject.push(t.subject.as_str());
            detail.push(t.detail.as_str());
        }
    }
    let truth = RecordBatch::try_new(
        truth_schema(),
        vec![
            strings(kind),
            strings(tx),
            strings(subject),
            strings(detail),
        ],
    )?;
    Ok(Batches {
        ledger,
        registry,
        deaths,
        officials,
        truth,
    })
}
