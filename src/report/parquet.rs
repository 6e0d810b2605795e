//! `findings.parquet`: one row per finding.

use crate::error::{Error, Result};
use crate::finding::Finding;
use arrow::array::{ArrayRef, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

/// The Arrow schema of `findings.parquet`.
pub fn schema() -> Schema {
    Schema::new(vec![
        Field::new("rule", DataType::Utf8, false),
        Field::new("rule_name", DataType::Utf8, false),
        Field::new("severity", DataType::Utf8, false),
        Field::new("subject_kind", DataType::Utf8, false),
        Field::new("subject", DataType::Utf8, false),
        Field::new("amount_fen", DataType::Int64, false),
        Field::new(
            "txn_ids",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            false,
        ),
        Field::new("explanation", DataType::Utf8, false),
        Field::new("case_id", DataType::Utf8, false),
    ])
}

pub fn write_findings(path: &Path, findings: &[Finding]) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| Error::output(path, e);
    let schema = Arc::new(schema());
    let strings = |f: &dyn Fn(&Finding) -> &str| -> ArrayRef {
        Arc::new(findings.iter().map(|x| Some(f(x))).collect::<StringArray>())
    };
    let mut ids = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        "item",
        DataType::Utf8,
        true,
    )));
    for f in findings {
        for t in &f.txn_ids {
            ids.values().append_value(t);
        }
        ids.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        strings(&|f| f.rule),
        strings(&|f| f.rule_name),
        strings(&|f| f.severity.as_str()),
        strings(&|f| f.subject_kind.as_str()),
        strings(&|f| &f.subject),
        Arc::new(
            findings
                .iter()
                .map(|f| f.amount_fen)
                .collect::<Int64Array>(),
        ),
        Arc::new(ids.finish()),
        strings(&|f| &f.explanation),
        strings(&|f| &f.case_id),
    ];
    let batch = RecordBatch::try_new(schema, columns).map_err(|e| err(&e))?;
    write_batch(path, &batch)
}

/// Writes one batch as `findings.parquet` is written (snappy, one row group): the findings, or their masked
/// copy ([`crate::mask`]).
pub(crate) fn write_batch(path: &Path, batch: &RecordBatch) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| Error::output(path, e);
    let file = std::fs::File::create(path).map_err(|e| err(&e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(|e| err(&e))?;
    w.write(batch).map_err(|e| err(&e))?;
    w.close().map_err(|e| err(&e))?;
    Ok(())
}
