//! The engine API per rule family, on a seeded generated ledger read once into Arrow record batches (outside
//! the timing): `update` (every batch into one partial), `merge` (two halves), `serialize` and `deserialize`
//! (the whole partial's bytes), and `finish` (finish, evidence read back, render). `BENCH_ROWS` sets the
//! ledger size (default 200,000).

use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use subsidy_audit::engine::{Origin, Partial};
use subsidy_audit::generate::{generate, GenerateOptions};
use subsidy_audit::pipeline::{finish, Phases, ScanPlan};
use subsidy_audit::ScanOptions;

/// Every record batch of the plan's ledger, with its origin.
fn batches(sp: &ScanPlan<'_>) -> Vec<(RecordBatch, Origin)> {
    let mut out = Vec::new();
    for (i, f) in sp.ledger.files.iter().enumerate() {
        let file = std::fs::File::open(&f.path).expect("open");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.with_batch_size(8192).build())
            .expect("reader");
        let mut first = 0u64;
        for rb in reader {
            let rb = rb.expect("batch");
            let n = rb.num_rows() as u64;
            out.push((rb, Origin::new(u32::try_from(i).expect("files"), first)));
            first += n;
        }
    }
    out
}

fn partial_of(sp: &ScanPlan<'_>, batches: &[(RecordBatch, Origin)]) -> Partial {
    let ep = sp.engine();
    let mut p = Partial::new(&ep, sp.ledger.files.len(), 0);
    for (rb, o) in batches {
        p.update_record_batch(&ep, rb, *o);
    }
    p
}

fn benches(c: &mut Criterion) {
    let rows: u64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    generate(&GenerateOptions {
        rows,
        out: data.clone(),
        seed: 7,
        row_group_rows: 65_536,
        ..GenerateOptions::default()
    })
    .expect("generate");
    for family in ["DUP", "AMT", "DIG", "GHO", "INS"] {
        let opts = ScanOptions {
            inputs: vec![data.clone()],
            select: vec![family.into()],
            ..ScanOptions::default()
        };
        let plan = subsidy_audit::plan(&opts).expect("plan");
        let ctx = plan.batch_context();
        let sp = plan.scan_plan(&ctx, None);
        let ep = sp.engine();
        let all = batches(&sp);
        let half = all.len() / 2;
        let bytes = partial_of(&sp, &all).to_bytes(&ep).expect("bytes");
        let (a, b) = (
            partial_of(&sp, &all[..half]).to_bytes(&ep).expect("a"),
            partial_of(&sp, &all[half..]).to_bytes(&ep).expect("b"),
        );
        let mut g = c.benchmark_group(format!("engine_{family}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(rows));
        g.bench_function("update", |bn| bn.iter(|| partial_of(&sp, &all)));
        g.bench_function("merge", |bn| {
            bn.iter_batched(
                || {
                    (
                        Partial::from_bytes(&ep, &a).expect("a"),
                        Partial::from_bytes(&ep, &b).expect("b"),
                    )
                },
                |(x, y)| x.merge(&ep, y),
                BatchSize::LargeInput,
            );
        });
        g.bench_function("serialize", |bn| {
            bn.iter_batched(
                || Partial::from_bytes(&ep, &bytes).expect("p"),
                |p| p.to_bytes(&ep).expect("bytes"),
                BatchSize::LargeInput,
            );
        });
        g.bench_function("deserialize", |bn| {
            bn.iter(|| Partial::from_bytes(&ep, &bytes).expect("p"));
        });
        g.bench_function("finish", |bn| {
            bn.iter_batched(
                || Partial::from_bytes(&ep, &bytes).expect("p"),
                |p| finish(&sp, p, &mut Phases::default()).expect("finish"),
                BatchSize::LargeInput,
            );
        });
        g.finish();
        eprintln!(
            "engine_{family}: the partial of {rows} rows is {} bytes",
            bytes.len()
        );
    }
}

criterion_group!(engine, benches);
criterion_main!(engine);
