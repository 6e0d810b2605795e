//! Scan throughput in rows: decoding alone, the duplicate family's rules, and the whole scan at 1 and N
//! threads, on a seeded synthetic ledger written once to a temp folder (setup outside the timing).
//! `BENCH_ROWS` sets the ledger size (default 1,000,000).

use arrow::array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;
use subsidy_audit::config::Config;
use subsidy_audit::ledger::batch::BatchContext;
use subsidy_audit::ledger::column::{Col, ColSet};
use subsidy_audit::ledger::reader::{read_row_group, units};
use subsidy_audit::ledger::source::Ledger;
use subsidy_audit::{scan, ScanOptions};

/// xorshift64*: a tiny seeded generator, so the data is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn write_ledger(dir: &Path, rows: usize) {
    let payees = (rows / 7).max(1) as u64;
    let mut rng = Rng(0x5eed);
    let schema = Arc::new(Schema::new(vec![
        Field::new("txn_id", DataType::Utf8, false),
        Field::new("scheme", DataType::Utf8, false),
        Field::new("period", DataType::Utf8, false),
        Field::new("pay_date", DataType::Date32, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("payee_id", DataType::Utf8, false),
        Field::new("payee_name", DataType::Utf8, false),
        Field::new("account", DataType::Utf8, false),
        Field::new("amount", DataType::Decimal128(14, 2), false),
        Field::new("status", DataType::Utf8, false),
        Field::new("household_id", DataType::Utf8, true),
    ]));
    std::fs::create_dir_all(dir).expect("mkdir");
    let file = std::fs::File::create(dir.join("part-00000.parquet")).expect("create");
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(131_072))
        .build();
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props)).expect("writer");
    let chunk = 65_536;
    let mut done = 0;
    while done < rows {
        let n = chunk.min(rows - done);
        let mut cols: Vec<Vec<String>> = (0..8).map(|_| Vec::with_capacity(n)).collect();
        let mut dates = Vec::with_capacity(n);
        let mut amounts = Vec::with_capacity(n);
        for i in 0..n {
            let p = rng.below(payees);
            let month = 1 + (done + i) * 12 / rows;
            cols[0].push(format!("T{:012}", done + i));
            cols[1].push("ELDERLY".into());
            cols[2].push(format!("2024-{month:02}"));
            cols[3].push(format!("5201020{:05}", p % 3000));
            cols[4].push(format!("52010219{:02}{:08}", 30 + p % 60, p));
            cols[5].push(format!("姓名{}", p % 5000));
            cols[6].push(format!("62284800{:011}", p * 7 + rng.below(2)));
            cols[7].push(format!("H{}", p / 2));
            dates.push(19_723 + (month as i32 - 1) * 30 + 14);
            amounts.push(10_000i128);
        }
        let text = |v: &Vec<String>| -> ArrayRef { Arc::new(StringArray::from_iter_values(v)) };
        let arrays: Vec<ArrayRef> = vec![
            text(&cols[0]),
            text(&cols[1]),
            text(&cols[2]),
            Arc::new(Date32Array::from(dates)),
            text(&cols[3]),
            text(&cols[4]),
            text(&cols[5]),
            text(&cols[6]),
            Arc::new(
                Decimal128Array::from(amounts)
                    .with_precision_and_scale(14, 2)
                    .expect("dec"),
            ),
            Arc::new(StringArray::from(vec!["PAID"; n])),
            text(&cols[7]),
        ];
        w.write(&RecordBatch::try_new(schema.clone(), arrays).expect("batch"))
            .expect("write");
        done += n;
    }
    w.close().expect("close");
    std::fs::write(
        dir.join("schemes.toml"),
        "[schemes.ELDERLY]\nfrequency = \"monthly\"\n",
    )
    .expect("schemes");
}

fn benches(c: &mut Criterion) {
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tmp");
    write_ledger(dir.path(), rows);
    let ledger_dir = dir.path().to_path_buf();
    let config = Config::load(None, Some(&ledger_dir.join("schemes.toml"))).expect("config");
    let ledger = Ledger::open(&[ledger_dir.join("part-00000.parquet")], &config).expect("ledger");
    let ctx = BatchContext::new(&config.schemes);
    let cols = ColSet::of(&[
        Col::Scheme,
        Col::Period,
        Col::Region,
        Col::PayeeId,
        Col::Account,
        Col::Amount,
        Col::Status,
        Col::HouseholdId,
    ]);

    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function("decode_dup_columns_1_thread", |b| {
        b.iter(|| {
            let mut n = 0;
            for u in units(&ledger.files) {
                read_row_group(
                    &ledger.files[0],
                    0,
                    u.row_group,
                    cols,
                    &ctx,
                    8192,
                    None,
                    |batch| n += batch.len(),
                )
                .expect("read");
            }
            assert_eq!(n, rows);
        });
    });
    for (family, select) in [
        ("dup_family", vec!["DUP".to_string()]),
        ("duplicate_payment", vec!["DUP001".to_string()]),
        ("shared_account", vec!["DUP003".to_string()]),
    ] {
        for threads in [1, num_cpus()] {
            let opts = ScanOptions {
                inputs: vec![ledger_dir.clone()],
                threads: Some(threads),
                select: select.clone(),
                ..ScanOptions::default()
            };
            g.bench_function(format!("{family}_{threads}_threads"), |b| {
                b.iter(|| scan(&opts, &|_, _| {}).expect("scan"));
            });
        }
    }
    g.finish();
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
