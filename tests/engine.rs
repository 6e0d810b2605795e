//! The engine API driven directly, as a driver other than the local scan (the Spark job) drives it: Arrow record
//! batches with their origin go into partials, the partials are serialized, shipped (here: shuffled),
//! deserialized and merged in any order, and the outputs are byte-identical to the command line's.

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::Rng;
use rand::SeedableRng;
use std::path::{Path, PathBuf};
use subsidy_audit::engine::{Origin, Partial};
use subsidy_audit::error::{Error, Result};
use subsidy_audit::generate::{generate, GenerateOptions};
use subsidy_audit::pipeline::ScanPlan;
use subsidy_audit::{report, scan, scan_with, Outcome, ScanOptions};

/// How the test driver makes and merges its partials.
#[derive(Debug, Clone, Copy)]
struct Drive {
    /// Rows per record batch (and per partial).
    rows: usize,
    /// Whether every partial goes through bytes.
    bytes: bool,
    /// Seed of the shuffle of the partials before merging.
    seed: u64,
    /// Merge as a random tree (pairs of random partials) instead of one after another.
    tree: bool,
}

/// Reads every file of the plan's ledger as record batches of `d.rows` rows, one partial per batch, then
/// merges them shuffled.
fn drive(sp: &ScanPlan<'_>, d: Drive) -> Result<Partial> {
    let ep = sp.engine();
    let mut parts: Vec<Partial> = Vec::new();
    let mut bytes: Vec<Vec<u8>> = Vec::new();
    for (i, f) in sp.ledger.files.iter().enumerate() {
        let file = std::fs::File::open(&f.path).map_err(|e| Error::io(&f.path, e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.with_batch_size(d.rows).build())
            .map_err(|e| Error::Usage(e.to_string()))?;
        let mut first = 0u64;
        for rb in reader {
            let rb = rb.map_err(|e| Error::Usage(e.to_string()))?;
            let mut p = Partial::new(&ep, 0, 0);
            p.update_record_batch(&ep, &rb, Origin::new(u32::try_from(i).unwrap_or(0), first));
            first += rb.num_rows() as u64;
            if d.bytes {
                bytes.push(p.to_bytes(&ep)?);
            } else {
                parts.push(p);
            }
        }
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(d.seed);
    bytes.shuffle(&mut rng);
    for b in &bytes {
        parts.push(Partial::from_bytes(&ep, b)?);
    }
    parts.shuffle(&mut rng);
    if d.tree {
        while parts.len() > 1 {
            let a = parts.swap_remove(rng.random_range(0..parts.len()));
            let b = parts.swap_remove(rng.random_range(0..parts.len()));
            parts.push(b.merge(&ep, a));
        }
    }
    let mut it = parts.into_iter();
    let Some(mut all) = it.next() else {
        return Ok(Partial::new(&ep, 0, 0));
    };
    for p in it {
        all = all.merge(&ep, p);
    }
    Ok(all)
}

/// The deterministic outputs of a scan: findings and cases files, the summary without timing.
fn outputs(o: &Outcome, dir: &Path) -> (Vec<Vec<u8>>, serde_json::Value) {
    report::write_all(dir, o).expect("write");
    let files = [
        "findings.parquet",
        "findings.jsonl",
        "cases.csv",
        "cases.jsonl",
    ]
    .iter()
    .map(|n| std::fs::read(dir.join(n)).expect("read"))
    .collect();
    let mut summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).expect("read"))
            .expect("json");
    summary["timing"] = serde_json::Value::Null;
    (files, summary)
}

fn opts(data: &Path) -> ScanOptions {
    ScanOptions {
        inputs: vec![data.to_path_buf()],
        threads: Some(2),
        ..ScanOptions::default()
    }
}

fn gen(dir: &Path, rows: u64, seed: u64, rate: f64) -> PathBuf {
    generate(&GenerateOptions {
        rows,
        out: dir.to_path_buf(),
        seed,
        anomaly_rate: rate,
        row_group_rows: 1024,
        ..GenerateOptions::default()
    })
    .expect("generate");
    dir.to_path_buf()
}

#[test]
fn partials_shipped_as_bytes_and_merged_in_any_order_give_the_command_lines_outputs() {
    let d = tempfile::tempdir().expect("tmp");
    let demo = Path::new("fixtures/demo");
    let want = outputs(
        &scan(&opts(demo), &|_, _| {}).expect("scan"),
        &d.path().join("cli"),
    );
    assert!(!want.0[1].is_empty(), "the demo has findings");
    for (k, dr) in [
        Drive {
            rows: 997,
            bytes: true,
            seed: 1,
            tree: false,
        },
        Drive {
            rows: 4096,
            bytes: true,
            seed: 2,
            tree: true,
        },
        Drive {
            rows: 333,
            bytes: false,
            seed: 3,
            tree: true,
        },
    ]
    .into_iter()
    .enumerate()
    {
        let o = scan_with(&opts(demo), &|sp: &ScanPlan<'_>| drive(sp, dr)).expect("engine");
        let got = outputs(&o, &d.path().join(format!("engine-{k}")));
        assert!(got.0 == want.0, "{dr:?}: findings or cases differ");
        assert_eq!(got.1, want.1, "{dr:?}: summary differs");
    }
}

#[test]
fn a_partial_of_another_plan_or_damaged_is_refused() {
    let d = tempfile::tempdir().expect("tmp");
    let data = gen(&d.path().join("g"), 3000, 5, 0.01);
    let bytes = std::sync::Mutex::new(Vec::new());
    // the bytes of a partial of every rule
    scan_with(&opts(&data), &|sp: &ScanPlan<'_>| {
        let p = drive(
            sp,
            Drive {
                rows: 100_000,
                bytes: false,
                seed: 0,
                tree: false,
            },
        )?;
        *bytes.lock().expect("lock") = p.to_bytes(&sp.engine())?;
        Ok(p)
    })
    .expect("scan");
    let bytes = bytes.into_inner().expect("lock");
    // a plan of fewer rules refuses them, naming the mismatch
    let mut fewer = opts(&data);
    fewer.select = vec!["DUP".into()];
    let err = scan_with(&fewer, &|sp: &ScanPlan<'_>| {
        Partial::from_bytes(&sp.engine(), &bytes)
    })
    .expect_err("another plan");
    assert!(
        matches!(err, Error::Partial { .. }) && err.to_string().contains("another plan"),
        "{err}"
    );
    // damaged bytes are refused, not decoded into something else
    let mut damaged = bytes.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x40;
    let err = scan_with(&opts(&data), &|sp: &ScanPlan<'_>| {
        Partial::from_bytes(&sp.engine(), &damaged)
    })
    .expect_err("damaged");
    assert!(err.to_string().contains("checksum"), "{err}");
    // and the intact bytes scan to the same findings as the command line
    let o = scan_with(&opts(&data), &|sp: &ScanPlan<'_>| {
        Partial::from_bytes(&sp.engine(), &bytes)
    })
    .expect("intact");
    let want = scan(&opts(&data), &|_, _| {}).expect("scan");
    assert!(!want.findings.is_empty());
    assert_eq!(o.findings, want.findings);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    /// The merge and serialization laws over random small ledgers: any split into record batches, any
    /// merge order or tree, with or without a trip through bytes, gives the in-memory scan's outputs.
    #[test]
    fn merge_and_serialization_laws(
        seed in 0u64..1_000_000,
        rows in 200u64..3000,
        batch in 1usize..700,
        order in any::<u64>(),
        bytes in any::<bool>(),
        tree in any::<bool>(),
    ) {
        let d = tempfile::tempdir().expect("tmp");
        let data = gen(&d.path().join("g"), rows, seed, 0.05);
        let want = outputs(&scan(&opts(&data), &|_, _| {}).expect("scan"), &d.path().join("cli"));
        let dr = Drive { rows: batch, bytes, seed: order, tree };
        let o = scan_with(&opts(&data), &|sp: &ScanPlan<'_>| drive(sp, dr)).expect("engine");
        let got = outputs(&o, &d.path().join("engine"));
        prop_assert!(got.0 == want.0, "findings or cases differ");
        prop_assert_eq!(got.1, want.1);
    }
}

/// A scan under `limit` bytes of memory for the rule states, spill files under `temp`.
fn limited(data: &Path, threads: usize, limit: u64, temp: &Path) -> ScanOptions {
    ScanOptions {
        inputs: vec![data.to_path_buf()],
        threads: Some(threads),
        memory_limit: Some(limit),
        temp_dir: Some(temp.to_path_buf()),
        ..ScanOptions::default()
    }
}

#[test]
fn a_tiny_memory_limit_spills_and_gives_the_in_memory_outputs_at_any_thread_count() {
    let d = tempfile::tempdir().expect("tmp");
    let data = gen(&d.path().join("g"), 40_000, 9, 0.01);
    let want = outputs(
        &scan(&opts(&data), &|_, _| {}).expect("scan"),
        &d.path().join("mem"),
    );
    assert!(!want.0[1].is_empty(), "the ledger has findings");
    let temp = d.path().join("temp");
    std::fs::create_dir_all(&temp).expect("temp");
    for threads in [1, 2, 8] {
        let o = scan(&limited(&data, threads, 256 << 10, &temp), &|_, _| {}).expect("scan");
        let files = o.summary.timing.spill_files;
        assert!(files >= 4, "{threads} threads: {files} spill files");
        let got = outputs(&o, &d.path().join(format!("spilled-{threads}")));
        assert!(
            got.0 == want.0,
            "{threads} threads: findings or cases differ"
        );
        assert_eq!(got.1, want.1, "{threads} threads: summary differs");
        // the spill folder is gone
        let left: Vec<_> = std::fs::read_dir(&temp).expect("dir").collect();
        assert!(left.is_empty(), "{left:?}");
    }
    // a generous limit spills nothing
    let o = scan(&limited(&data, 2, 1 << 30, &temp), &|_, _| {}).expect("scan");
    assert_eq!(o.summary.timing.spill_files, 0);
}

#[test]
fn a_spill_folder_that_cannot_be_written_is_an_error_naming_it() {
    let d = tempfile::tempdir().expect("tmp");
    let data = gen(&d.path().join("g"), 20_000, 4, 0.01);
    // a file where the spill folder's parent should be
    let blocker = d.path().join("not-a-folder");
    std::fs::write(&blocker, "x").expect("write");
    let err = scan(&limited(&data, 2, 64 << 10, &blocker), &|_, _| {}).expect_err("unwritable");
    assert!(matches!(err, Error::Output { .. }), "{err:?}");
    assert!(err.to_string().contains("not-a-folder"), "{err}");
}

/// Evidence from the driver's own copy of the ledger (as a Spark job joins it), not from the local files.
struct InMemoryEvidence(
    std::collections::HashMap<
        subsidy_audit::ledger::batch::RowRef,
        subsidy_audit::finding::EvidenceRow,
    >,
);

impl subsidy_audit::pipeline::EvidenceSource for InMemoryEvidence {
    fn evidence(
        &self,
        rows: &[subsidy_audit::ledger::batch::RowRef],
    ) -> Result<subsidy_audit::finding::Evidence> {
        Ok(rows
            .iter()
            .filter_map(|r| self.0.get(r).map(|e| (*r, e.clone())))
            .collect())
    }
}

#[test]
fn evidence_from_another_source_renders_the_same_findings() {
    use subsidy_audit::pipeline::{evidence_rows_of, finish, finish_with, Phases};
    let o = opts(Path::new("fixtures/demo"));
    let plan = subsidy_audit::plan(&o).expect("plan");
    let ctx = plan.batch_context();
    let sp = plan.scan_plan(&ctx, None);
    let ep = sp.engine();
    let bytes = drive(
        &sp,
        Drive {
            rows: 500,
            bytes: false,
            seed: 4,
            tree: false,
        },
    )
    .and_then(|p| p.to_bytes(&ep))
    .expect("partial");
    // every row of the ledger, decoded by the engine's evidence decoder
    let mut rows = std::collections::HashMap::new();
    for (i, f) in sp.ledger.files.iter().enumerate() {
        let file = std::fs::File::open(&f.path).expect("open");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.with_batch_size(1000).build())
            .expect("reader");
        let name = f.path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let mut first = 0u64;
        for rb in reader {
            let rb = rb.expect("batch");
            for e in evidence_rows_of(&sp, &rb, Origin::new(i as u32, first), name) {
                rows.insert(e.row.expect("row"), e);
            }
            first += rb.num_rows() as u64;
        }
    }
    let local = finish(
        &sp,
        Partial::from_bytes(&ep, &bytes).expect("p"),
        &mut Phases::default(),
    )
    .expect("local");
    let other = finish_with(
        &sp,
        Partial::from_bytes(&ep, &bytes).expect("p"),
        &InMemoryEvidence(rows),
        &mut Phases::default(),
    )
    .expect("other");
    assert!(!local.0.is_empty());
    assert_eq!(local.0, other.0);
    // a source that has no row renders no finding
    let none = finish_with(
        &sp,
        Partial::from_bytes(&ep, &bytes).expect("p"),
        &InMemoryEvidence(std::collections::HashMap::new()),
        &mut Phases::default(),
    )
    .expect("none");
    assert!(none.0.is_empty());
}
