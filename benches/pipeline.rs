//! Scan throughput in rows, on a seeded generated ledger folder (`subsidy-audit generate`, written once to a
//! temp folder, outside the timing): decoding alone, each rule family alone, and the whole scan at 1 and N
//! threads. `BENCH_ROWS` sets the ledger size (default 500,000).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use subsidy_audit::config::Config;
use subsidy_audit::generate::{generate, GenerateOptions};
use subsidy_audit::ledger::batch::BatchContext;
use subsidy_audit::ledger::column::{Col, ColSet};
use subsidy_audit::ledger::reader::{read_row_group, units};
use subsidy_audit::ledger::source::Ledger;
use subsidy_audit::{scan, ScanOptions};

fn benches(c: &mut Criterion) {
    let rows: u64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000);
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let opts = GenerateOptions {
        rows,
        out: data.clone(),
        seed: 7,
        row_group_rows: 65_536,
        ..GenerateOptions::default()
    };
    generate(&opts).expect("generate");
    let config = Config::load(None, Some(&data.join("schemes.toml"))).expect("config");
    let ledger = Ledger::open(&[data.join("ledger")], &config).expect("ledger");
    let n_rows = ledger.total_rows();
    let ctx = BatchContext::new(&config.schemes);
    let cols = Col::ALL
        .iter()
        .copied()
        .filter(|c| ledger.available.contains(*c))
        .fold(ColSet::default(), ColSet::with);

    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n_rows));
    g.bench_function("decode_every_column_1_thread", |b| {
        b.iter(|| {
            let mut n = 0;
            for u in units(&ledger.files) {
                let f = &ledger.files[u.file as usize];
                read_row_group(f, u.file, u.row_group, cols, &ctx, 8192, None, |batch| {
                    n += batch.len();
                })
                .expect("read");
            }
            assert_eq!(n as u64, n_rows);
        });
    });
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let families: &[(&str, &[&str], &[usize])] = &[
        (
            "dup_exact",
            &["DUP001", "DUP002", "DUP003", "DUP004"],
            &[threads],
        ),
        ("dup_fuzzy", &["DUP005"], &[threads]),
        ("ghosts", &["GHO"], &[threads]),
        ("insiders", &["INS"], &[threads]),
        ("amounts", &["AMT"], &[threads]),
        ("digits", &["DIG"], &[threads]),
        ("all_rules", &[], &[1, threads]),
    ];
    for (name, select, thread_counts) in families {
        for &t in *thread_counts {
            let opts = ScanOptions {
                inputs: vec![data.clone()],
                threads: Some(t),
                select: select.iter().map(ToString::to_string).collect(),
                ..ScanOptions::default()
            };
            g.bench_function(format!("{name}_{t}_threads"), |b| {
                b.iter(|| scan(&opts, &|_, _| {}).expect("scan"));
            });
        }
    }
    g.finish();
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
